#!/bin/bash
# make test-kasan: the patched kernel built with KASAN and UBSAN (make
# kernel-kasan) in two boots: the race, fail_nth and poison tests of the mock
# IOMMU, the HugeTLB policy and the PFN registry (KASAN_TESTS); then the
# intel-iommu tests. Fails on any failure, skip, splat or kmemleak report.
. "$(dirname "$0")/lib.sh"

out=$BUILD/test
mkdir -p "$out"
rc=0
export KMEMLEAK=1
# 1 GiB pages are fewer here: KASAN's shadow takes an eighth of the guest's
# memory.
say "== same kernel with KASAN + UBSAN: $KASAN_TESTS"
kasan_summary=$(HUGE_1G=6 VM_TIMEOUT=2400 "$TOP/scripts/run-vm.sh" "$BUILD/bzImage-kasan" \
	"$BUILD/initramfs-linux.cpio.gz" "$out/kasan" "$KASAN_TESTS") || rc=1
say "   KASAN: $kasan_summary"
say "== same kernel with KASAN + UBSAN, intel-iommu: $IOMMU_TESTS"
kasan_iommu_summary=$(HUGE_1G=6 VM_TIMEOUT=2400 VM_IOMMU=1 "$TOP/scripts/run-vm.sh" \
	"$BUILD/bzImage-kasan" "$BUILD/initramfs-linux.cpio.gz" "$out/kasan-iommu" \
	"$IOMMU_TESTS") || rc=1
say "   KASAN intel-iommu: $kasan_iommu_summary"
for d in kasan kasan-iommu; do
	grep -q 'KernelAddressSanitizer initialized' "$out/$d/console.log" ||
		{ say "FAIL: the $d boot did not run with KASAN"; rc=1; }
done

p=0 f=0 s=0
for sum in "$kasan_summary" "$kasan_iommu_summary"; do
	set -- $sum
	p=$((p + ${1:-0})) f=$((f + ${3:-1})) s=$((s + ${5:-0}))
done
if [ "$s" -ne 0 ]; then
	say "FAIL: $s test(s) skipped with KASAN"
	rc=1
fi
echo "$p passed, $f failed, $s skipped"
exit $rc
