#!/bin/bash
# run-vm.sh KERNEL INITRAMFS OUTDIR [TESTS]
# Boot the guest under TCG, run the test programs (all, or the
# comma-separated TESTS), and judge the run.  Writes OUTDIR/console.log
# (kernel) and OUTDIR/tap.log (tests).  Prints "N passed, N failed, N skipped"
# and exits non-zero on any failure, panic, hang or kernel splat.
# Env: VM_TIMEOUT, HUGE_1G, GUEST_APPEND, QEMU_EXTRA, VM_IOMMU=1 (see below),
# KMEMLEAK=1 (scan for leaks after the tests; any leak fails), PLANS=0 (make
# demo and make bench: their programs print results, not TAP).
. "$(dirname "$0")/lib.sh"

kernel=$1 initrd=$2 out=$3 tests=${4:-}
timeout=${VM_TIMEOUT:-1200}
mkdir -p "$out"
rm -f "$out"/{console,tap,vmhost}.log "$out"/*.sock
append="console=ttyS0 panic=-1 panic_on_warn=1 oops=panic softlockup_panic=1"
# 1 GiB pages (HUGE_1G, default 16) come from the run-time allocator
# (rig.hp1g): pages reserved on the command line are memblock allocations,
# which kmemleak registers and scans in full at every scan (16 GiB under TCG:
# minutes per scan).
append+=" hugepagesz=2M hugepages=160 hugepagesz=1G hugepages=0 rig.hp1g=${HUGE_1G:-16}"
[ -z "${KMEMLEAK:-}" ] || append+=" rig.kmemleak=1"
append+=" ${GUEST_APPEND:-} rig.tests=$tests"
# VM_IOMMU=1: QEMU's VT-d (before any other -device), its edu PCI device,
# bound to vfio-pci at boot, and two ivshmem-plain devices (16 MiB of host
# shared memory as BAR2 each), bound to the vfio-ivshmem sample driver. Each
# ivshmem sits alone behind a PCIe root port, so that VFIO can reset it (a
# secondary bus reset: ivshmem has no FLR or PM reset). Not by default: in
# 6.12 the iommufd selftests' mock devices get a registered real IOMMU's ops,
# and their tests fail.
devices=
if [ -n "${VM_IOMMU:-}" ]; then
	devices="-device intel-iommu,intremap=on,caching-mode=on -device edu"
	for i in 0 1; do
		devices+=" -device pcie-root-port,id=rp$i,chassis=$((i + 1))"
		devices+=" -object memory-backend-memfd,id=ivshm$i,size=16M,share=on"
		devices+=" -device ivshmem-plain,memdev=ivshm$i,bus=rp$i"
	done
	append="intel_iommu=on rig.vfio=1234:11e8,1af4:1110@vfio-ivshmem $append"
fi

timeout -k 5 "$timeout" qemu-system-x86_64 -accel tcg -cpu Skylake-Server \
	-machine q35 -smp 2 -m 20G -nographic -no-reboot \
	-kernel "$kernel" -initrd "$initrd" -append "$append" \
	-serial file:"$out/console.log" -serial file:"$out/tap.log" \
	-chardev socket,id=req,path="$out/req.sock",server=on,wait=off \
	-serial chardev:req -qmp unix:"$out/qmp.sock",server=on,wait=off \
	$devices ${QEMU_EXTRA:-} >"$out/qemu.log" 2>&1 &
qemu=$!
python3 "$TOP/scripts/vmhost.py" "$out/qmp.sock" "$out/req.sock" 2>"$out/vmhost.log" &
host=$!
rc=0
wait $qemu || rc=$?
kill $host 2>/dev/null || true
wait $host 2>/dev/null || true

fail=0
bad() { say "FAIL: $*"; fail=1; }
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	bad "guest hung: no exit within ${timeout}s"
elif [ $rc -ne 0 ]; then
	bad "qemu exited with $rc: $(tail -3 "$out/qemu.log")"
fi
grep -q '^RIG-DONE' "$out/tap.log" || bad "guest did not finish its tests (panic, hang or crash)"
# Splats, on the console and in the guest's full kernel log, which the guest
# dumps at the end (a quiet loglevel hides lockdep reports from the console).
splats='WARNING:|BUG:|BUG [a-z0-9_-]+ \(|Kernel panic|Oops|general protection fault'
splats+='|KASAN|UBSAN|KFENCE|ODEBUG|unreferenced object|suspected memory leak'
splats+='|possible recursive locking|circular locking dependency|inconsistent lock state'
splats+='|suspicious RCU usage|sleeping function called from invalid context'
splats+='|INFO: task .* blocked|detected stalls|self-detected stall|soft lockup'
splat=$( (cat "$out/console.log"; sed -n '/^RIG-DMESG-BEGIN/,/^RIG-DMESG-END/p' "$out/tap.log") |
	grep -E "$splats" | head -5 || true)
[ -z "$splat" ] || bad "kernel splat:"$'\n'"$splat"
# KMEMLEAK=1: the guest scans for leaks after its tests; any report fails.
if [ -n "${KMEMLEAK:-}" ]; then
	leaks=$(sed -n 's/^RIG-KMEMLEAK \([0-9]*\).*/\1/p' "$out/tap.log")
	[ -n "$leaks" ] || bad "no kmemleak scan result from the guest"
	[ "${leaks:-0}" -eq 0 ] || bad "kmemleak: $leaks unreferenced object(s), see $out/tap.log"
fi
# A machine check taints the kernel and turns lockdep off: only the tests
# that inject one (MCE_TESTS) may run after the first.
late=$(awk -v mce=" $MCE_TESTS " '/Disabling lock debugging due to kernel taint/ {t=1}
	t && /rig: begin / {e=$NF; sub(/\r$/, "", e); if (index(mce, " " e " ") == 0) print e}' "$out/console.log")
[ -z "$late" ] || bad "ran after a machine check turned lockdep off: $late"
# Every program's TAP plan is met exactly: a filter that matches nothing
# (1..0) or a program that stops early fails.
plans=$(awk '/^RIG-TEST-BEGIN/ {t=$2; plan=-1; n=0}
	/^1\.\.[0-9]+/ {if (plan < 0) plan=substr($1, 4) + 0}
	/^(not )?ok [0-9]+ / {n++}
	/^RIG-TEST-END/ {if (plan < 0) print t ": no TAP plan";
		else if (plan == 0) print t ": empty plan 1..0";
		else if (n != plan) print t ": plan 1.." plan ", " n " results"}' "$out/tap.log")
[ -z "$plans" ] || [ "${PLANS:-1}" = 0 ] || bad "TAP plan not met:"$'\n'"$plans"

# A program that exits non-zero without reporting a TAP failure still fails.
crashed=$(awk '/^RIG-TEST-BEGIN/ {t=$2; nf=0} /^not ok/ {nf++}
	/^RIG-TEST-END/ {if ($3 != "rc=0" && nf == 0) print t}' "$out/tap.log")
[ -z "$crashed" ] || bad "test program(s) failed without a TAP failure: $crashed"
count() { grep -cE "$1" "$out/tap.log" || true; }
passed=$(count '^ok [0-9]+ ')
skipped=$(count '^ok [0-9]+ .*# SKIP')
failed=$(count '^not ok [0-9]+ ')
# TAP TODO: an expected failure (tests/kernel_suites.xfail), not counted.
todo=$(count '^not ok [0-9]+ .*# TODO')
failed=$((failed - todo))
passed=$((passed - skipped))
grep -E '^not ok [0-9]+ ' "$out/tap.log" | grep -v '# TODO' | sed 's/^/  /' >&2 || true
[ -n "$crashed" ] && failed=$((failed + $(echo "$crashed" | wc -w)))
[ $fail -eq 1 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed, $skipped skipped"
[ $fail -eq 0 ] && [ "$failed" -eq 0 ]
