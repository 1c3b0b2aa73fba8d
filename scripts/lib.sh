# Shared settings for the rig scripts.  Sourced, not executed.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$TOP/build
BASE_PKG=linux-source-6.12
BASE_VER=${BASE_VER:-6.12.117-1~deb12u1}
TARBALL=/usr/src/linux-source-6.12.tar.xz
# Fixed identity and dates make the base commit and `make export` reproducible.
export GIT_AUTHOR_NAME="keep-ue-mapped rig" GIT_AUTHOR_EMAIL="rig@localhost"
export GIT_COMMITTER_NAME="keep-ue-mapped rig" GIT_COMMITTER_EMAIL="rig@localhost"
export CCACHE_DIR=${CCACHE_DIR:-/var/cache/keep-ue-mapped-ccache}
export CCACHE_BASEDIR=$BUILD
export CCACHE_COMPILERCHECK=content
# Tests (tests/guest/*.c or tests/selftests.list names) that need the
# intel-iommu boot (run-vm.sh VM_IOMMU=1), in order; they are not in the
# initramfs' default list, test.sh runs them in a boot of their own.
# A real machine check taints the kernel, which turns lockdep off: the tests
# that inject one come after those that do not.
IOMMU_TESTS=vfio_devmem_poison,iommufd_vfio_poison:-T:keep_1g_mce
IOMMU_TESTS+=,iommufd_vfio_poison:-t:keep_1g_mce,vfio_devmem_mce
# What the KASAN boot runs (the intel-iommu tests get a KASAN boot of their
# own): the fail_nth suite, the poison tests of the iommufd suite (races with
# map/unmap and close among them), the HugeTLB policy (its truncate race)
# and the PFN registry (its add/del race).
KASAN_TESTS=iommufd_fail_nth,iommufd:-f:iommufd_poison:-f:iommufd_poison_keep
KASAN_TESTS+=:-f:iommufd_poison_api,hugetlb_ue_policy,hwpoison_pfn_range
# The test entries that inject real machine checks; run-vm.sh fails a boot
# in which anything else runs after the first one.
MCE_TESTS="mce_scenario mce_scenario:-v:default_2m:-v:default_1g"
MCE_TESTS+=" iommufd_vfio_poison:-t:keep_1g_mce vfio_devmem_mce"

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installed version of the base package, or empty.
base_version() { dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || true; }

# Stable patch-ids of the commits base..HEAD in tree $1, one per line.
tree_patch_ids() {
	git -C "$1" rev-list --reverse base..HEAD | while read -r c; do
		git -C "$1" show "$c" | git patch-id --stable | cut -d' ' -f1
	done
}

# Patch files of the series (cover letter excluded), in apply order.
series_files() { ls "$TOP"/patches/[0-9]*.patch 2>/dev/null | grep -v '/0000-' || true; }
