#!/bin/bash
# make test: run the regression suites on the unpatched base kernel, then
# everything on the patched kernel; fail on any failure, splat, panic or
# hang, and on any test that passes on the base but not on the patched kernel.
. "$(dirname "$0")/lib.sh"

out=$BUILD/test
# The regression suites, and the tests that record the default policy.
regress=kernel_suites,iommufd,iommufd_fail_nth,hugetlb_ue_policy:-f:hugetlb_ue
# memory_failure() of a PFN nobody owns fails with ENXIO (the rest skips)
regress+=,hwpoison_pfn_range
# Real machine checks last: they turn lockdep off.
regress+=,mce_scenario:-v:default_2m:-v:default_1g
mkdir -p "$out"
names() { sed -nE 's/^ok [0-9]+ ([^#]*[^ #]) *$/\1/p' "$1" | sort; }

say "== base $(cat "$BUILD/linux/.git/base-version"), unpatched: $regress"
rc=0
base_summary=$("$TOP/scripts/run-vm.sh" "$BUILD/bzImage-base" \
	"$BUILD/initramfs-linux.cpio.gz" "$out/base" "$regress") || {
	say "FAIL: the unpatched base did not pass its own run; no baseline"
	rc=1
}
say "   base: $base_summary"
# The base may skip only what tests/base-skips.list names (with its reason).
unlisted=$(sed -nE 's/^ok [0-9]+ ([^#]*[^ #]) *# SKIP.*/\1/p' "$out/base/tap.log" |
	while read -r name; do
		grep -vE '^(#|$)' "$TOP/tests/base-skips.list" | cut -d' ' -f1 |
			grep -qxF "$name" || echo "$name"
	done)
if [ -n "$unlisted" ]; then
	say "FAIL: skipped on the base but not in tests/base-skips.list:"
	say "$unlisted"
	rc=1
fi

say "== base $(cat "$BUILD/linux/.git/base-version") + $(series_files | wc -l) patches: all tests"
if [ -n "${DEMO_FAIL:-}" ]; then
	say "   DEMO_FAIL=$DEMO_FAIL: adding demo_$DEMO_FAIL, this run must fail"
	export GUEST_APPEND="rig.extra=demo_$DEMO_FAIL"
	[ "$DEMO_FAIL" = hang ] && export VM_TIMEOUT=120
fi
export KMEMLEAK=1
summary=$("$TOP/scripts/run-vm.sh" "$BUILD/bzImage-linux" \
	"$BUILD/initramfs-linux.cpio.gz" "$out/linux" "${TESTS:-}") || rc=1

# The HugeTLB policy again with HVO on (1 GiB pages come from the run-time
# allocator in every boot; with HVO, boot-time ones hit a 6.12.117 warning).
say "== same kernel, hugetlb_free_vmemmap=on: hugetlb_ue_policy, hvo_pool_shrink"
hvo_summary=$(HUGE_1G=14 GUEST_APPEND="hugetlb_free_vmemmap=on ${GUEST_APPEND:-}" \
	"$TOP/scripts/run-vm.sh" "$BUILD/bzImage-linux" \
	"$BUILD/initramfs-linux.cpio.gz" "$out/linux-hvo" hugetlb_ue_policy,hvo_pool_shrink) || rc=1
say "   HVO: $hvo_summary"
grep -q 'hugetlb_optimize_vmemmap=1' "$out/linux-hvo/tap.log" ||
	{ say "FAIL: the HVO boot did not have HVO on"; rc=1; }

# The real device path: QEMU's intel-iommu, an edu device bound to vfio-pci
# and two ivshmem devices bound to vfio-ivshmem. A boot of its own: in 6.12
# the iommufd mock selftests fail next to a real IOMMU.
say "== same kernel, intel-iommu + edu (vfio-pci) + 2 ivshmem (vfio-ivshmem): $IOMMU_TESTS"
iommu_summary=$(VM_IOMMU=1 "$TOP/scripts/run-vm.sh" "$BUILD/bzImage-linux" \
	"$BUILD/initramfs-linux.cpio.gz" "$out/linux-iommu" "$IOMMU_TESTS") || rc=1
say "   intel-iommu: $iommu_summary"

# Keep-passing: every test that passes on the base passes here.
lost=$(comm -23 <(names "$out/base/tap.log") <(names "$out/linux/tap.log"))
if [ -n "$lost" ]; then
	say "FAIL: passing on the base kernel but not on the patched one:"
	say "$lost"
	rc=1
fi
grep -E '^# (Totals|PASSED|FAILED)|^RIG-TEST-END' "$out/linux/tap.log" >&2 || true
say "logs: $out/linux/{console,tap}.log"
set -- $summary
p=${1:-0} f=${3:-1} s=${5:-0}
for extra in "$hvo_summary" "$iommu_summary"; do
	set -- $extra
	p=$((p + ${1:-0})) f=$((f + ${3:-1})) s=$((s + ${5:-0}))
done
nlost=$(printf '%s' "$lost" | grep -c . || true)
# On the patched kernel every test must run: a skip hides a missing feature.
if [ "$s" -ne 0 ]; then
	say "FAIL: $s test(s) skipped on the patched kernel:"
	grep -hE '^ok [0-9]+ .*# SKIP' "$out"/{linux,linux-hvo,linux-iommu}/tap.log >&2 || true
	rc=1
fi
echo "$p passed, $((f + nlost)) failed, $s skipped"
exit $rc
