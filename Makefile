# keep-ue-mapped: a Linux 6.12 patch series and the QEMU rig that proves it.
# See README.md.  Targets:
#   tree     build/linux = Debian linux-source-6.12 (tag base) + patches/
#   export   write patches/ back from build/linux (base..HEAD)
#   kernel   bzImage of build/linux; kernel-base: of the unpatched base;
#            kernel-kasan: of build/linux with KASAN and UBSAN
#   test     boot both kernels under TCG and run every test (CI runs this)
#   test-kasan  the patched kernel with KASAN and UBSAN: races, fail_nth, poison
#   check    checkpatch --strict, per-patch build, sparse, headers_install
#   demo     show what a poisoned 4 KiB page costs, base vs patched
#   bench    benchmark table (patched vs unpatched base, same run)
# Failure demos: make test DEMO_FAIL=fail|panic|hang

S := scripts

.PHONY: all tree export kernel kernel-base kernel-kasan initramfs test test-kasan check demo bench deps clean

all: test

deps:
	$(S)/deps.sh

tree: deps
	$(S)/tree.sh

export:
	$(S)/export.sh

kernel: tree
	$(S)/kernel.sh linux

kernel-base: tree
	$(S)/kernel.sh base

kernel-kasan: tree
	$(S)/kernel.sh kasan

initramfs: kernel
	$(S)/initramfs.sh linux

test: kernel kernel-base initramfs
	$(S)/test.sh

test-kasan: kernel-kasan initramfs
	$(S)/test-kasan.sh

check: tree
	$(S)/check.sh

demo: kernel kernel-base initramfs
	$(S)/demo.sh

bench: kernel kernel-base initramfs
	$(S)/bench.sh

clean:
	rm -rf build/test build/initramfs-* build/bzImage-*
