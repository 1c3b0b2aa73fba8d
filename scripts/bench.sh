#!/bin/bash
# make bench: the keep-ue-mapped table, patched kernel (keep and default
# policy) against the unpatched base kernel built from the same config, in
# the same run; then the iommufd table (bench/iommufd_bench.c, run first in
# the same boots): map+unmap time, pin log memory and poison notification,
# with their budgets; then the device memory table (bench/devmem_bench.c,
# run second): memory_failure() routing of PFNs without struct page with 1
# and 10,000 registered ranges, and memory_failure() of ordinary RAM pages,
# base against patched. Writes bench/results.md.
# Env: IOMMUFD_BENCH_N, map+unmap repetitions per kernel (default 20);
# DEVMEM_BENCH_M, timed writes per configuration and round (default 2000);
# DEVMEM_BENCH_ROUNDS (default 5).
. "$(dirname "$0")/lib.sh"
out=$BUILD/bench
run() {	# kernel tests -> BENCH lines
	PLANS=0 GUEST_APPEND="loglevel=2 log_buf_len=16M rig.dmesg=1" VM_TIMEOUT=900 "$TOP/scripts/run-vm.sh" "$BUILD/bzImage-$1" \
		"$BUILD/initramfs-linux.cpio.gz" "$out/$1" "$2" >/dev/null ||
		die "bench run on $1 failed: see $out/$1/console.log"
	grep '^BENCH' "$out/$1/tap.log"
}
n=${IOMMUFD_BENCH_N:-20}
dm=${DEVMEM_BENCH_M:-2000}
dr=${DEVMEM_BENCH_ROUNDS:-5}
t0=$SECONDS
base=$(run base iommufd_bench:$n,devmem_bench:$dm:$dr,ue_bench:default)
pat=$(run linux iommufd_bench:$n,devmem_bench:$dm:$dr,ue_bench:default,ue_bench:keep)
say "bench: both boots took $((SECONDS - t0)) s"
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }
{
	echo "Base: $(cat "$BUILD/linux/.git/base-version"), $(series_files | wc -l) patches; QEMU TCG, one run each;"
	echo "one 1 GiB HugeTLB memfd page with k poisoned 4 KiB pages (MADV_HWPOISON)."
	echo "usable: bytes that load and that no SIGBUS reported lost. inject: mean time"
	echo "of one MADV_HWPOISON call. truncate: ftruncate(0) until it is done; with"
	echo "keep that includes the asynchronous offline (nr_hugepages dropped); the"
	echo "default policy offlines nothing (the hugepage stays stuck in the pool)."
	echo
	echo "| k | usable bytes: base | patched default | patched keep | goal 1 GiB - k*4 KiB | inject us: base / default / keep | truncate us: base / default / keep |"
	echo "|---|---|---|---|---|---|---|"
	for k in 1 2 4 8; do
		b=$(grep "^BENCH k=$k " <<<"$base")
		d=$(grep "^BENCH k=$k " <<<"$pat" | head -1)
		p=$(grep "^BENCH k=$k " <<<"$pat" | tail -1)
		echo "| $k | $(field usable <<<"$b") | $(field usable <<<"$d") | $(field usable <<<"$p") | $(( (1 << 30) - k * 4096 )) |" \
			"$(field inject_us <<<"$b") / $(field inject_us <<<"$d") / $(field inject_us <<<"$p") |" \
			"$(field offline_us <<<"$b") / $(field offline_us <<<"$d") / $(field offline_us <<<"$p") |"
	done
} >"$TOP/bench/results.md"

# The iommufd table. A row's value (one BENCH line, key=value fields).
row() { grep "^BENCH $1 " <<<"$2" | grep -- " $3" | head -1 || true; }
val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
# ratio VALUE_BASE VALUE_PATCHED BUDGET -> "ratio | <= budget | PASS/FAIL"
ratio() {
	awk -v b="$1" -v p="$2" -v max="$3" 'BEGIN {
		if (b == "" || p == "" || b <= 0) {
			printf "- | <= %s | FAIL (no result) |", max
			exit
		}
		r = p / b
		printf "%.3f | <= %s | %s |", r, max, r <= max ? "PASS" : "FAIL"
	}'
}
# map+unmap row: label what budget
map_row() {
	local b p
	b=$(row map_unmap "$base" "what=$2 ")
	p=$(row map_unmap "$pat" "what=$2 ")
	echo "| $1 | $(val median_us <<<"$b") ($(val min_us <<<"$b")) |" \
		"$(val median_us <<<"$p") ($(val min_us <<<"$p")) |" \
		"$(ratio "$(val median_us <<<"$b")" "$(val median_us <<<"$p")" "$3")"
}
# pin log row: label what budget_pct (empty: informational)
track_cell() {
	if [ "$(val supported <<<"$1")" != 1 ]; then
		echo "not supported"
	else
		echo "$(val bytes <<<"$1") B of $(val pinned_bytes <<<"$1") B = $(val pct <<<"$1")%"
	fi
}
track_row() {
	local b p verdict
	b=$(row track "$base" "what=$2 ")
	p=$(row track "$pat" "what=$2 ")
	if [ -z "$3" ]; then
		verdict="- | informational |"
	elif [ "$(val supported <<<"$p")" != 1 ]; then
		verdict="<= $3% of pinned | FAIL (no result) |"
	else
		verdict="<= $3% of pinned | $(awk -v v="$(val pct <<<"$p")" -v max="$3" \
			'BEGIN { print v <= max ? "PASS" : "FAIL" }') |"
	fi
	echo "| $1 | $(track_cell "$b") | $(track_cell "$p") | - | $verdict"
}
notify_cell() {
	local runs queued us
	if grep -q "^BENCH notify supported=0" <<<"$1"; then
		echo "not supported"
		return
	fi
	runs=$(grep -c "^BENCH notify run=" <<<"$1" || true)
	queued=$(grep -c "^BENCH notify run=.* queued_before_return=1 " <<<"$1" || true)
	us=$(grep "^BENCH notify run=" <<<"$1" | val madvise_us | paste -sd/ | sed 's|/| / |g')
	echo "$queued of $runs runs (madvise us: ${us:--})"
}
notify_row() {
	local runs queued verdict=FAIL
	runs=$(grep -c "^BENCH notify run=.*madvise_ret=0 " <<<"$pat" || true)
	queued=$(grep -c "^BENCH notify run=.* queued_before_return=1 " <<<"$pat" || true)
	[ "$runs" -gt 0 ] && [ "$queued" -eq "$runs" ] && verdict=PASS
	echo "| poison record queued when MADV_HWPOISON of a pinned 2 MiB keep page returns |" \
		"$(notify_cell "$base") | $(notify_cell "$pat") | - | queued before the injecting call returns | $verdict |"
}
{
	echo
	echo "iommufd (bench/iommufd_bench.c): an IOAS with a mock domain"
	echo "(IOMMU_TEST_OP_MOCK_DOMAIN), same boots as above, iommufd_bench first."
	echo "Single TCG runs: one boot per kernel, so the timings carry TCG noise."
	echo "map+unmap: IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP at IOVA 1 GiB, n=$n after one"
	echo "warm-up, median (min) in us; the ratio is of the medians. pin log: the"
	echo "tracking memory of the mapped pages (MD_CHECK_MAPPED out_track_bytes)"
	echo "against the pinned bytes. Budgets are a report: the script does not fail."
	echo
	echo "| measurement | base | patched | patched/base | budget | result |"
	echo "|---|---|---|---|---|---|"
	map_row "map+unmap 1 GiB HugeTLB memfd page" hugetlb_1g 1.02
	map_row "map+unmap 64 MiB of 4 KiB anonymous pages" anon_4k_64m 1.05
	track_row "pin log, 1 GiB HugeTLB memfd page" hugetlb_1g 0.1
	track_row "pin log, 64 x 2 MiB HugeTLB memfd pages" hugetlb_2m_x64 0.1
	track_row "pin log, 64 MiB of 4 KiB anonymous pages" anon_4k_64m ""
	notify_row
} >>"$TOP/bench/results.md"

# The device memory table. ns_cell LINE -> "median (min-max)" or $2
ns_cell() {
	if [ -z "$(val median_ns <<<"$1")" ]; then
		echo "${2:--}"
	else
		echo "$(val median_ns <<<"$1") ($(val min_ns <<<"$1")-$(val max_ns <<<"$1"))"
	fi
}
devmem_rows() {
	local r1 r10k ub u1 u10k rb rp hits got="no result" verdict=FAIL
	r1=$(row devmem_route "$pat" "ranges=1 ")
	r10k=$(row devmem_route "$pat" "ranges=10000 ")
	ub=$(row devmem_unowned "$base" "ranges=0 ")
	u1=$(row devmem_unowned "$pat" "ranges=1 ")
	u10k=$(row devmem_unowned "$pat" "ranges=10000 ")
	rb=$(row devmem_ram "$base" "what=anon_4k ")
	rp=$(row devmem_ram "$pat" "what=anon_4k ")
	hits=$(grep "^BENCH devmem_hits " <<<"$pat" || true)
	echo "| PFN in the only registered range (hard_offline_page) | not supported | $(ns_cell "$r1" "no result") | - | - | reference |"
	echo "| PFN in the middle one of 10,000 registered ranges | not supported | $(ns_cell "$r10k" "no result") |" \
		"10,000 / 1 range: $(ratio "$(val median_ns <<<"$r1")" "$(val median_ns <<<"$r10k")" 2.0)"
	echo "| unowned PFN (ENXIO), patched with 1 / 10,000 ranges | $(ns_cell "$ub") |" \
		"$(ns_cell "$u1") / $(ns_cell "$u10k") | - | - | informational |"
	[ "$(val ok <<<"$hits")" = 1 ] && verdict=PASS
	[ -z "$hits" ] || got="$(val got <<<"$hits") of $(val expected <<<"$hits")"
	echo "| pfn-range-total-hits grew by the successful writes | - | $got | - | equal | $verdict |"
	echo "| anonymous 4 KiB RAM page (corrupt-pfn), 512 pages per round | $(ns_cell "$rb" "no result") |" \
		"$(ns_cell "$rp" "no result") | patched / base: $(ratio "$(val median_ns <<<"$rb")" "$(val median_ns <<<"$rp")" 1.10)"
}
{
	echo
	echo "Device memory without struct page (bench/devmem_bench.c), same boots,"
	echo "run after iommufd_bench. ns per memory_failure() call, including the"
	echo "write(2) to its sysfs or debugfs file. Routing: hard_offline_page of a PFN"
	echo "in a hwpoison-inject test range (its owner only counts), with 1 and with"
	echo "10,000 registered ranges of 16 PFNs; unowned: a PFN in no range. The two"
	echo "configurations alternate over $dr rounds of $dm timed writes (after 100"
	echo "untimed); RAM: corrupt-pfn of each page of a fresh mapping, $dr rounds."
	echo "Cells: the median of the round medians (min-max of the round medians:"
	echo "the noise); ratios are of the medians."
	echo
	echo "| memory_failure() of | base | patched | ratio | budget | result |"
	echo "|---|---|---|---|---|---|"
	devmem_rows
} >>"$TOP/bench/results.md"
cat "$TOP/bench/results.md"
