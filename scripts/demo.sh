#!/bin/bash
# make demo: one 4 KiB page of a 2 MiB and of a 1 GiB HugeTLB memfd page
# is poisoned (MADV_HWPOISON); what is left, on the unpatched base kernel
# and on the patched kernel, default policy and MFD_MF_KEEP_UE_MAPPED.
. "$(dirname "$0")/lib.sh"
out=$BUILD/demo
show() {
	VM_TIMEOUT=600 "$TOP/scripts/run-vm.sh" "$BUILD/bzImage-$1" \
		"$BUILD/initramfs-linux.cpio.gz" "$out/$1" "$2" >/dev/null ||
		say "(the $1 run reported a problem: see $out/$1/console.log)"
	grep -vE '^RIG' "$out/$1/tap.log" | sed 's/^/  /'
}
echo "== unpatched base ($(cat "$BUILD/linux/.git/base-version")): default policy"
show base ue_demo
echo "== patched: default policy, then MFD_MF_KEEP_UE_MAPPED"
show linux ue_demo,ue_demo:keep
