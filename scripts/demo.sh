#!/bin/bash
# make demo: one 4 KiB page of a 2 MiB and of a 1 GiB HugeTLB memfd page
# is poisoned (MADV_HWPOISON); what is left, on the unpatched base kernel
# and on the patched kernel, default policy and MFD_MF_KEEP_UE_MAPPED; then
# the iommufd poison queue of the patched kernel (samples/iommufd/poison_vmm),
# and an error in device memory without struct page (ivshmem BAR2).
. "$(dirname "$0")/lib.sh"
out=$BUILD/demo
base=$(cat "$BUILD/linux/.git/base-version")
rc=0
show() {
	PLANS=0 VM_TIMEOUT=600 "$TOP/scripts/run-vm.sh" "$BUILD/bzImage-$1" \
		"$BUILD/initramfs-linux.cpio.gz" "$out/${3:-$1}" "$2" >/dev/null || {
		say "(the $1 run reported a problem: see $out/${3:-$1}/console.log)"
		rc=1
	}
	grep -vE '^RIG' "$out/${3:-$1}/tap.log" | sed 's/^/  /'
}
echo "== unpatched base ($base): default policy"
show base ue_demo
echo "== patched: default policy, then MFD_MF_KEEP_UE_MAPPED"
show linux ue_demo,ue_demo:keep
# iommufd: guest RAM (a kept HugeTLB memfd) DMA-mapped for a VFIO device
# (QEMU's edu behind its intel-iommu); what the poison queue tells a VMM.
echo "== patched: iommufd poison queue, edu bound to vfio-pci behind intel-iommu"
vmm=poison_vmm:--timeout:2:--inject-offset
dev=/dev/vfio/devices/vfio0
VM_IOMMU=1 show linux "$vmm:0x1234567:$dev,$vmm:0x2345678:--1g:--size:1024:$dev" linux-iommufd
# Device memory without struct page: BAR2 of QEMU's ivshmem-plain (host
# RAM). On the base kernel an error there is "outside kernel control"; the
# patched kernel routes it to the VFIO driver (vfio-ivshmem, the sample).
echo "== unpatched base ($base): ivshmem BAR2 (device memory, no struct page), no driver"
VM_IOMMU=1 show base devmem_demo:base base-devmem
echo "== patched: the same BAR2 bound to vfio-ivshmem, VFIO_DEVICE_FEATURE_MEM_POISON"
VM_IOMMU=1 show linux devmem_demo linux-devmem
exit $rc
