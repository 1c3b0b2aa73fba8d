// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd poison reports on the real device path: QEMU's edu device behind
 * its intel-iommu, bound to vfio-pci and attached to an IOAS through the
 * VFIO cdev. HugeTLB memfd pages are mapped at a fixed IOVA, one 4 KiB page
 * is poisoned (MADV_HWPOISON, or a real machine check from the host), and
 * the test checks the poison queue record, IOMMU_IOAS_POISON_QUERY and the
 * IOMMU page table as the intel-iommu debugfs dump shows it.
 * Without IOMMU_IOAS_POISON_ALLOC (ENOTTY) only the device setup is tested.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "rig_memfd.h"

#include "kselftest_harness.h"
#include "rig_host.h"
#include "rig_vfio.h"

#define SZ_1G (1ULL << 30)
#define IOVA (4ULL << 30)	/* 1 GiB aligned, below QEMU's 39-bit limit */
#define EDU "0x1234:0x11e8"
#define NR_1G "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"

static volatile int sig_got, sig_code, sig_lsb;
static void *volatile sig_addr;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	sig_code = si->si_code;
	sig_addr = si->si_addr;
	sig_lsb = si->si_addr_lsb;
	sig_got++;
}

static long nr_1g(void)
{
	char buf[32];

	return read_str(NR_1G, buf, sizeof(buf)) ? -1 : atol(buf);
}

/* The edu device's BDF in @bdf, 0 if found. */
static int find_edu(char *bdf)
{
	char path[300], id[32], dev[32];
	struct dirent *d;
	DIR *dir = opendir(PCI_DEVS);
	int ret = -1;

	while (dir && ret && (d = readdir(dir))) {
		snprintf(path, sizeof(path), PCI_DEVS "%s/vendor", d->d_name);
		if (read_str(path, id, sizeof(id)))
			continue;
		snprintf(path, sizeof(path), PCI_DEVS "%s/device", d->d_name);
		if (read_str(path, dev, sizeof(dev)))
			continue;
		strcat(id, ":");
		if (!strcmp(strcat(id, dev), EDU)) {
			strcpy(bdf, d->d_name);
			ret = 0;
		}
	}
	if (dir)
		closedir(dir);
	return ret;
}

/* A leaf (last-level entry) of the IOMMU page table. */
struct leaf {
	uint64_t iova, size, pa;
};

/*
 * Scan the intel-iommu debugfs dump of @bdf's domain. One line per leaf:
 * "0x0000000100000 |\t0x0000000000000000\t0x0000000000000000\t0x...083",
 * IOVA_PFN | PML5E PML4E PDPE [PDE [PTE]], the entries on the path to the
 * leaf: 3 for a 1 GiB leaf, 4 for 2 MiB, 5 for 4 KiB. Returns how many leaves
 * map some of [iova, iova + len) and the first in @first; -1 on error.
 */
static int iommu_scan(const char *bdf, uint64_t iova, uint64_t len,
		      struct leaf *first, int dump)
{
	char path[300], line[512], *p;
	unsigned long long e[5];
	struct leaf l;
	int n, found = 0;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/iommu/intel/%s/domain_translation_struct",
		 bdf);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (dump)
			printf("# debugfs: %s", line);
		p = strchr(line, '|');
		if (strncmp(line, "0x", 2) || !p)
			continue;
		for (n = 0, p++; n < 5; n++) {
			p += strspn(p, " \t");
			if (strncmp(p, "0x", 2))
				break;
			e[n] = strtoull(p, &p, 16);
		}
		if (n < 3)
			continue;
		l.iova = strtoull(line, NULL, 16) << 12;
		l.size = 1ULL << (30 - 9 * (n - 3));
		l.pa = e[n - 1] & 0x000ffffffffff000ULL;
		if (l.iova < iova + len && l.iova + l.size > iova && !found++)
			*first = l;
	}
	fclose(f);
	return found;
}

/* Each hugepage of [iova, iova + len) is one IOMMU leaf of @psize at @va's PA. */
static int mapped_as(const char *bdf, uint64_t iova, uint64_t len,
		     uint64_t psize, const char *va)
{
	struct leaf l;
	uint64_t off;

	for (off = 0; off < len; off += psize) {
		if (iommu_scan(bdf, iova + off, psize, &l, 0) != 1 ||
		    l.iova != iova + off || l.size != psize ||
		    l.pa != rig_virt_to_phys(va + off))
			return 0;
	}
	return 1;
}

/* No IOMMU leaf maps any of [iova, iova + len). */
static int unmapped(const char *bdf, uint64_t iova, uint64_t len)
{
	struct leaf l;

	return iommu_scan(bdf, iova, len, &l, 0) == 0;
}

struct inject {
	char *addr;
	int ret, err;
};

static void *inject_thread(void *arg)
{
	struct inject *in = arg;

	in->ret = madvise(in->addr, 4096, MADV_HWPOISON);
	in->err = errno;
	return NULL;
}

/* MADV_HWPOISON one page from a thread of its own; madvise's result. */
static int inject(char *addr)
{
	struct inject in = { .addr = addr };
	pthread_t t;

	sig_got = 0;
	if (pthread_create(&t, NULL, inject_thread, &in) || pthread_join(t, NULL))
		return -2;
	errno = in.err;
	return in.ret;
}

FIXTURE(vfio) {
	char bdf[64];
	int iommufd, devfd, qfd;
	__u32 ioas_id;
	int memfd;
	char *map;
	size_t len;
};

FIXTURE_SETUP(vfio)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	struct iommu_iova_range ranges[16];
	struct iommu_ioas_iova_ranges r = {
		.size = sizeof(r), .num_iovas = 16,
		.allowed_iovas = (uintptr_t)ranges,
	};
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct iommu_ioas_poison_alloc pa = { .size = sizeof(pa), .depth = 16 };
	char path[64], drv[64];
	int n, ok = 0;

	self->qfd = -1;
	self->memfd = -1;
	self->devfd = -1;
	self->iommufd = -1;
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	/* run-vm.sh VM_IOMMU=1: guest-init has bound edu to vfio-pci */
	ASSERT_EQ(0, find_edu(self->bdf)) TH_LOG("no edu (run-vm.sh VM_IOMMU=1)");
	driver_of(self->bdf, drv, sizeof(drv));
	ASSERT_STREQ("vfio-pci", drv);
	n = vfio_cdev(self->bdf);
	ASSERT_LE(0, n);
	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%d", n);
	self->devfd = open(path, O_RDWR);
	ASSERT_LE(0, self->devfd) TH_LOG("%s: %s", path, strerror(errno));
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);

	bind.iommufd = self->iommufd;
	ASSERT_EQ(0, ioctl(self->devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &alloc));
	self->ioas_id = alloc.out_ioas_id;
	at.pt_id = self->ioas_id;
	ASSERT_EQ(0, ioctl(self->devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	ASSERT_NE(self->ioas_id, at.pt_id);	/* the auto-created HWPT */

	r.ioas_id = self->ioas_id;
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_IOVA_RANGES, &r));
	for (n = 0; n < (int)r.num_iovas && n < 16; n++)
		ok |= ranges[n].start <= IOVA && ranges[n].last >= IOVA + SZ_1G - 1;
	ASSERT_TRUE(ok) TH_LOG("IOVA %#llx..+1G not allowed", IOVA);

	pa.ioas_id = self->ioas_id;
	if (ioctl(self->iommufd, IOMMU_IOAS_POISON_ALLOC, &pa)) {
		ASSERT_EQ(ENOTTY, errno);
		return;
	}
	self->qfd = pa.out_poison_fd;
	ASSERT_LE(0, self->qfd);
}

FIXTURE_TEARDOWN(vfio)
{
	if (self->map)
		munmap(self->map, self->len);
	if (self->memfd >= 0)
		close(self->memfd);
	if (self->qfd >= 0)
		close(self->qfd);
	if (self->devfd >= 0)
		close(self->devfd);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

/* A hugetlb memfd of @len in @psize pages, touched, mapped at IOVA. */
static void map_memfd(struct __test_metadata *_metadata,
		      FIXTURE_DATA(vfio) *self, size_t len, int shift,
		      unsigned int flags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = self->ioas_id, .iova = IOVA,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_READABLE,
	};

	self->memfd = memfd_create("guest-ram", MFD_HUGETLB | flags |
				   (shift << MFD_HUGE_SHIFT));
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, len));
	self->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	self->len = len;
	for (size_t off = 0; off < len; off += 1UL << shift)
		self->map[off] = 1;
	m.user_va = (uintptr_t)self->map;
	m.length = len;
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_MAP, &m));
	ASSERT_EQ(IOVA, m.iova);
	ASSERT_TRUE(mapped_as(self->bdf, IOVA, len, 1ULL << shift, self->map));
}

static void unmap_all(struct __test_metadata *_metadata,
		      FIXTURE_DATA(vfio) *self)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = self->ioas_id,
		.iova = IOVA, .length = self->len,
	};

	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_UNMAP, &u));
	ASSERT_EQ(self->len, u.length);
	ASSERT_TRUE(unmapped(self->bdf, IOVA, self->len));
	ASSERT_EQ(0, munmap(self->map, self->len));
	self->map = NULL;
	ASSERT_EQ(0, close(self->memfd));
	self->memfd = -1;
}

/*
 * The queue holds exactly @want within @ms (POLLIN, one 72-byte record,
 * then read() returns 0), and QUERY lists exactly @range.
 */
static void expect_record(struct __test_metadata *_metadata,
			  FIXTURE_DATA(vfio) *self, int ms,
			  struct iommu_ioas_poison_event *want,
			  struct iommu_ioas_poison_range *range)
{
	struct iommu_ioas_poison_event ev[4] = {};
	struct iommu_ioas_poison_range got[4] = {};
	struct iommu_ioas_poison_query q = {
		.size = sizeof(q), .ioas_id = self->ioas_id,
		.ranges = (uintptr_t)got,
	};
	struct pollfd p = { .fd = self->qfd, .events = POLLIN };

	ASSERT_EQ(1, poll(&p, 1, ms));
	ASSERT_EQ(POLLIN, p.revents & (POLLIN | POLLERR | POLLHUP));
	ASSERT_EQ(sizeof(ev[0]), read(self->qfd, ev, sizeof(ev)));
	ASSERT_EQ(0, read(self->qfd, ev + 1, sizeof(ev[1])));
	TH_LOG("record: flags %#x seq %u iova %#llx+%#llx folio %#llx+%#llx revoked %#llx+%#llx va %#llx",
	       ev[0].flags, ev[0].sequence, ev[0].iova, ev[0].length,
	       ev[0].folio_iova, ev[0].folio_length, ev[0].revoked_iova,
	       ev[0].revoked_length, ev[0].user_va);
	ASSERT_EQ(want->flags, ev[0].flags);
	ASSERT_EQ(self->ioas_id, ev[0].ioas_id);
	ASSERT_EQ(0, ev[0].__reserved);
	ASSERT_EQ(want->iova, ev[0].iova);
	ASSERT_EQ(4096, ev[0].length);
	ASSERT_EQ(want->folio_iova, ev[0].folio_iova);
	ASSERT_EQ(want->folio_length, ev[0].folio_length);
	ASSERT_EQ(want->revoked_iova, ev[0].revoked_iova);
	ASSERT_EQ(want->revoked_length, ev[0].revoked_length);
	ASSERT_EQ(want->user_va, ev[0].user_va);

	ASSERT_EQ(-1, ioctl(self->iommufd, IOMMU_IOAS_POISON_QUERY, &q));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(1, q.num_ranges);
	q.num_ranges = 4;
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_POISON_QUERY, &q));
	ASSERT_EQ(1, q.num_ranges);
	ASSERT_EQ(range->iova, got[0].iova);
	ASSERT_EQ(range->length, got[0].length);
	ASSERT_EQ(range->flags, got[0].flags);
	ASSERT_EQ(0, got[0].__reserved);
}

static void expect_no_ranges(struct __test_metadata *_metadata,
			     FIXTURE_DATA(vfio) *self)
{
	struct iommu_ioas_poison_query q = {
		.size = sizeof(q), .ioas_id = self->ioas_id,
	};

	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_POISON_QUERY, &q));
	ASSERT_EQ(0, q.num_ranges);
}

/* Kept 1 GiB page after @off was poisoned: record, same IOPTE, offline. */
static void expect_kept_1g(struct __test_metadata *_metadata,
			   FIXTURE_DATA(vfio) *self, size_t off, int ms,
			   long before)
{
	struct iommu_ioas_poison_event want = {
		.flags = IOMMU_IOAS_POISON_KEPT, .iova = IOVA + off,
		.folio_iova = IOVA, .folio_length = SZ_1G,
		.user_va = (uintptr_t)self->map + off,
	};
	struct iommu_ioas_poison_range range = {
		.iova = IOVA + off, .length = 4096,
		.flags = IOMMU_IOAS_POISON_KEPT,
	};
	int i;

	expect_record(_metadata, self, ms, &want, &range);
	ASSERT_TRUE(mapped_as(self->bdf, IOVA, SZ_1G, SZ_1G, self->map));
	unmap_all(_metadata, self);
	expect_no_ranges(_metadata, self);
	for (i = 0; i < 1000 && nr_1g() != before - 1; i++)
		usleep(10000);
	ASSERT_EQ(before - 1, nr_1g());
}

/* Device setup, and the IOMMU page table for 1 GiB and 2 MiB mappings. */
TEST_F_TIMEOUT(vfio, device_setup, 120)
{
	struct leaf l;

	map_memfd(_metadata, self, SZ_1G, 30, 0);
	ASSERT_EQ(1, iommu_scan(self->bdf, IOVA - SZ_1G, 4 * SZ_1G, &l, 1));
	ASSERT_EQ(IOVA, l.iova);
	ASSERT_EQ(SZ_1G, l.size);
	ASSERT_EQ(rig_virt_to_phys(self->map), l.pa);
	unmap_all(_metadata, self);

	map_memfd(_metadata, self, 2 * SZ_2M, 21, 0);
	ASSERT_EQ(2, iommu_scan(self->bdf, IOVA - SZ_1G, 4 * SZ_1G, &l, 1));
	ASSERT_EQ(IOVA, l.iova);
	ASSERT_EQ(SZ_2M, l.size);
	ASSERT_EQ(rig_virt_to_phys(self->map), l.pa);
	unmap_all(_metadata, self);
	if (self->qfd >= 0) {
		struct pollfd p = { .fd = self->qfd, .events = POLLIN };
		char buf[72];

		ASSERT_EQ(72, sizeof(struct iommu_ioas_poison_event));
		ASSERT_EQ(0, poll(&p, 1, 0));
		ASSERT_EQ(0, read(self->qfd, buf, sizeof(buf)));
		expect_no_ranges(_metadata, self);
	}
}

#define NEED_QUEUE() do { \
	if (self->qfd < 0) \
		SKIP(return, "no IOMMU_IOAS_POISON_ALLOC (ENOTTY)"); \
} while (0)

/* a. Kept 1 GiB page, MADV_HWPOISON: KEPT, the 1 GiB IOPTE stays. */
TEST_F_TIMEOUT(vfio, keep_1g_madvise, 120)
{
	size_t off = 123 * 4096;
	long before = nr_1g();

	NEED_QUEUE();
	map_memfd(_metadata, self, SZ_1G, 30, MFD_MF_KEEP_UE_MAPPED);
	ASSERT_EQ(0, inject(self->map + off)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(1, sig_got);
	ASSERT_EQ(BUS_MCEERR_AR, sig_code);
	ASSERT_EQ(self->map + off, sig_addr);
	ASSERT_EQ(12, sig_lsb);
	expect_kept_1g(_metadata, self, off, 0, before);
}

/* b. Kept 1 GiB page, machine check from the QEMU monitor: KEPT. */
TEST_F_TIMEOUT(vfio, keep_1g_mce, 120)
{
	size_t off = 77777 * 4096;
	long before = nr_1g();
	uint64_t pa;

	NEED_QUEUE();
	map_memfd(_metadata, self, SZ_1G, 30, MFD_MF_KEEP_UE_MAPPED);
	pa = rig_virt_to_phys(self->map + off);
	ASSERT_NE(0, pa);
	ASSERT_EQ(0, rig_host_mce(pa));
	expect_kept_1g(_metadata, self, off, 10000, before);
}

/* c. Default 2 MiB pages: REVOKED, only the poisoned hugepage's IOVA. */
TEST_F_TIMEOUT(vfio, default_2m_madvise, 120)
{
	size_t off = SZ_2M + 5 * 4096;
	struct iommu_ioas_poison_event want = {
		.flags = IOMMU_IOAS_POISON_REVOKED, .iova = IOVA + off,
		.folio_iova = IOVA + SZ_2M, .folio_length = SZ_2M,
		.revoked_iova = IOVA + SZ_2M, .revoked_length = SZ_2M,
	};
	struct iommu_ioas_poison_range range = {
		.iova = IOVA + SZ_2M, .length = SZ_2M,
		.flags = IOMMU_IOAS_POISON_REVOKED,
	};
	int ret;

	NEED_QUEUE();
	map_memfd(_metadata, self, 2 * SZ_2M, 21, 0);
	want.user_va = (uintptr_t)self->map + off;
	ret = inject(self->map + off);
	/* the revoke dropped the IOMMU pins: memory_failure() recovers */
	ASSERT_EQ(0, ret) TH_LOG("madvise: %s", strerror(errno));
	ASSERT_EQ(1, sig_got);
	ASSERT_EQ(BUS_MCEERR_AR, sig_code);
	ASSERT_EQ(self->map + off, sig_addr);
	ASSERT_EQ(21, sig_lsb);
	expect_record(_metadata, self, 0, &want, &range);
	ASSERT_TRUE(unmapped(self->bdf, IOVA + SZ_2M, SZ_2M));
	ASSERT_TRUE(mapped_as(self->bdf, IOVA, SZ_2M, SZ_2M, self->map));
	unmap_all(_metadata, self);
	expect_no_ranges(_metadata, self);
}

TEST_HARNESS_MAIN
