#!/bin/bash
# make bench: the keep-ue-mapped table, patched kernel (keep and default
# policy) against the unpatched base kernel built from the same config, in
# the same run. Writes bench/results.md.
. "$(dirname "$0")/lib.sh"
out=$BUILD/bench
run() {	# kernel tests -> BENCH lines
	GUEST_APPEND="loglevel=2" VM_TIMEOUT=900 "$TOP/scripts/run-vm.sh" "$BUILD/bzImage-$1" \
		"$BUILD/initramfs-linux.cpio.gz" "$out/$1" "$2" >/dev/null ||
		die "bench run on $1 failed: see $out/$1/console.log"
	grep '^BENCH' "$out/$1/tap.log"
}
base=$(run base ue_bench:default)
pat=$(run linux ue_bench:default,ue_bench:keep)
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
		b=$(grep "k=$k " <<<"$base")
		d=$(grep "k=$k " <<<"$pat" | head -1)
		p=$(grep "k=$k " <<<"$pat" | tail -1)
		echo "| $k | $(field usable <<<"$b") | $(field usable <<<"$d") | $(field usable <<<"$p") | $(( (1 << 30) - k * 4096 )) |" \
			"$(field inject_us <<<"$b") / $(field inject_us <<<"$d") / $(field inject_us <<<"$p") |" \
			"$(field offline_us <<<"$b") / $(field offline_us <<<"$d") / $(field offline_us <<<"$p") |"
	done
} >"$TOP/bench/results.md"
cat "$TOP/bench/results.md"
