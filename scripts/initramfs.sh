#!/bin/bash
# Build the guest initramfs: busybox-static, the selftests and samples of
# the series (compiled statically from build/$1), and the rig's own
# scenario programs from tests/.  Output: build/initramfs-$1.cpio.gz
. "$(dirname "$0")/lib.sh"

which=${1:-linux}
src=$BUILD/$which
root=$BUILD/initramfs-$which
hdr=$src/obj/hdrs
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q static ||
	apt-get install -y busybox-static >&2
make -s -C "$src" O=obj INSTALL_HDR_PATH=hdrs headers_install >/dev/null

rm -rf "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,tests}
cp /bin/busybox "$root/bin/busybox"
cp "$TOP/scripts/guest-init" "$root/init"
# iommu_prog NAME: true if NAME runs in the intel-iommu boot only.
iommu_prog() { echo ",$IOMMU_TESTS," | tr , '\n' | cut -d: -f1 | grep -qx "$1"; }
cflags="-static -O2 -Wall -Wno-unused-function -D_GNU_SOURCE -pthread -I$hdr/include -I$TOP/tests/guest"

: >"$root/tests/list"
# The kernel's own mm and memfd selftests (tests/kernel_suites.sh), first in
# every boot: they want a fresh hugepage pool. Built with their own flags.
mkdir -p "$root/tests/ks"
st=$src/tools/testing/selftests
echo "// No liburing support found" >"$root/tests/ks/local_config.h"
# Compiled in their directory, as kselftest does: gup_longterm makes its
# temporary file from __FILE__.
ksflags="-static -O2 -pthread -I$hdr/include -I$root/tests/ks -I$st"
for t in hugepage-mmap map_hugetlb hugepage-mremap hugepage-vmemmap \
	hugetlb-madvise hugetlb_dio hugetlb_fault_after_madv hugetlb_madv_vs_map \
	gup_longterm hugetlb-soft-offline hugetlb-read-hwpoison; do
	(cd "$st/mm" && gcc $ksflags -o "$root/tests/ks/$t" "$t.c" vm_util.c \
		thp_settings.c "$TOP/tests/ks_unbuffered.c" -lm) 2>"$BUILD/ks-build.log" ||
		{ cat "$BUILD/ks-build.log" >&2; die "building mm/$t"; }
done
(cd "$st/memfd" && gcc $ksflags -o "$root/tests/ks/memfd_test" memfd_test.c \
	common.c "$TOP/tests/ks_unbuffered.c")
rm "$root/tests/ks/local_config.h"
install -m 755 "$TOP/tests/kernel_suites.sh" "$root/tests/kernel_suites"
grep -v '^#' "$TOP/tests/kernel_suites.xfail" >"$root/tests/ks/xfail" || true
echo kernel_suites >>"$root/tests/list"
# Kernel selftests, in the order listed in tests/selftests.list
# (IOMMU_TESTS only on request: they need the intel-iommu boot).
while read -r f _; do
	case "$f" in '' | \#*) continue ;; esac
	[ -f "$src/$f" ] || die "$f (tests/selftests.list) is not in build/$which"
	name=$(basename "$f" .c)
	gcc $cflags -I"$(dirname "$src/$f")" -I"$src/tools/testing/selftests" \
		-o "$root/tests/$name" "$src/$f" -lm
	iommu_prog "$name" || echo "$name" >>"$root/tests/list"
done <"$TOP/tests/selftests.list"
# Host-driven scenario tests of the rig, run after the selftests
# (IOMMU_TESTS only on request: they need the intel-iommu boot).
for f in "$TOP"/tests/guest/*.c; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .c)
	gcc $cflags -I"$src/tools/testing/selftests" -o "$root/tests/$name" "$f"
	iommu_prog "$name" || echo "$name" >>"$root/tests/list"
done
# Programs run only on request (rig.tests=/rig.extra=): make demo, the
# failure demos of make test DEMO_FAIL=fail|panic|hang, and make bench (which
# also sees the iommufd mock-domain test uAPI, iommufd_test.h).
for f in "$TOP"/demo/*.c "$TOP"/tests/demo/*.c "$TOP"/bench/*.c; do
	[ -e "$f" ] || continue
	inc=
	[[ $f != "$TOP"/bench/* ]] || inc=-I$src/drivers/iommu/iommufd
	gcc $cflags -I"$src/tools/testing/selftests" $inc -o "$root/tests/$(basename "$f" .c)" "$f"
done
# The series' iommufd poison sample, for make demo (built if the tree has it).
f=$src/samples/iommufd/poison_vmm.c
[ ! -f "$f" ] || gcc $cflags -o "$root/tests/poison_vmm" "$f"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$BUILD/initramfs-$which.cpio.gz"
say "initramfs: $(wc -l <"$root/tests/list") test programs"
