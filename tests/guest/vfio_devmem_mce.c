// SPDX-License-Identifier: GPL-2.0
/*
 * Memory errors in VFIO device memory through the real machine-check path:
 * the host injects an action-optional UE (QEMU `mce`, SRAO) at a guest
 * physical address in BAR2 of an ivshmem-plain device bound to the
 * vfio-ivshmem sample driver (QEMU shared memory exposed as a BAR, no
 * struct page). The guest kernel runs memory_failure(pfn, 0) from a
 * workqueue, so the test waits for the device's eventfd (up to 20 s).
 *
 * keep_mapped: VFIO_MEM_POISON_KEEP_MAPPED; nobody is signalled, not even
 * an early-kill process, the 2 MiB mappings (of the 2 MiB chunks of BAR2
 * without earlier poison) stay with their data, the page is recorded and a
 * new fault on it gets BUS_MCEERR_AR.
 * default_early_kill: the default policy; the early-kill process gets
 * BUS_MCEERR_AO for its mapping (the kworker is current: nobody gets AR).
 *
 * Poison lasts for the boot. This test uses the last 8 MiB of BAR2 (the
 * selftest vfio_devmem_poison uses the first 8 MiB): keep_mapped the first
 * 2 MiB chunk without poison of chunks 4-6, default_early_kill the first
 * page without poison of chunk 7. Runs in the intel-iommu boot
 * (run-vm.sh VM_IOMMU=1), after vfio_devmem_poison.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "rig_host.h"
#include "rig_vfio.h"

#define IVSHMEM_ID "0x1af4:0x1110"
#define PG 4096UL
#define BAR2 VFIO_PCI_BAR2_REGION_INDEX
#define MAX_RECORDS 8192
#define WAIT_MS 20000

static inline void barrier(void)
{
	asm volatile("" ::: "memory");
}

/* What the SIGBUS handler saw last. */
static struct {
	int count;
	int code;
	void *addr;
	int lsb;
} sigbus;

static sigjmp_buf fault_jmp;
static int fault_armed;

static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	sigbus.code = si->si_code;
	sigbus.addr = si->si_addr;
	sigbus.lsb = si->si_addr_lsb;
	sigbus.count++;
	barrier();
	if (fault_armed) {
		fault_armed = 0;
		siglongjmp(fault_jmp, 1);
	}
}

/* One 8-byte load or store of device memory, never merged or elided. */
static uint64_t rd(char *p)
{
	return __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED);
}

static void wr(char *p, uint64_t v)
{
	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
}

/* Load 8 bytes at @p into *@val; 1 if that raised SIGBUS. */
static int load_faults(char *p, uint64_t *val)
{
	if (sigsetjmp(fault_jmp, 1))
		return 1;
	fault_armed = 1;
	barrier();
	*val = rd(p);
	barrier();
	fault_armed = 0;
	return 0;
}

static uint64_t pattern(uint64_t seed, uint64_t off)
{
	return seed ^ (off * 0x9e3779b97f4a7c15ULL);
}

/* The first ivshmem device bound to vfio-ivshmem (by BDF) in @bdf, 0 if any. */
static int find_ivshmem(char *bdf)
{
	char path[300], id[64], dev[32], link[300];
	struct dirent *d;
	DIR *dir = opendir(PCI_DEVS);
	ssize_t n;

	*bdf = 0;
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.' || strlen(d->d_name) >= 32)
			continue;
		snprintf(path, sizeof(path), PCI_DEVS "%s/vendor", d->d_name);
		if (read_str(path, id, 32))
			continue;
		snprintf(path, sizeof(path), PCI_DEVS "%s/device", d->d_name);
		if (read_str(path, dev, sizeof(dev)))
			continue;
		strcat(strcat(id, ":"), dev);
		snprintf(path, sizeof(path), PCI_DEVS "%s/driver", d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		if (!strcmp(id, IVSHMEM_ID) && strstr(link, "/vfio-ivshmem") &&
		    (!*bdf || strcmp(d->d_name, bdf) < 0))
			snprintf(bdf, 32, "%s", d->d_name);
	}
	if (dir)
		closedir(dir);
	return *bdf ? 0 : -1;
}

static struct vfio_mem_poison_record records[MAX_RECORDS];

/* VFIO_DEVICE_FEATURE_MEM_POISON with @op (GET or SET) and *@mp. */
static int mem_poison(int fd, uint32_t op,
		      struct vfio_device_feature_mem_poison *mp)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) + sizeof(*mp)) / 8];
	struct vfio_device_feature *f = (void *)buf;
	int ret;

	f->argsz = sizeof(buf);
	f->flags = op | VFIO_DEVICE_FEATURE_MEM_POISON;
	memcpy(f->data, mp, sizeof(*mp));
	ret = ioctl(fd, VFIO_DEVICE_FEATURE, f);
	memcpy(mp, f->data, sizeof(*mp));
	return ret;
}

/* GET into records[]: the total number of records, -1 on error. */
static int get_records(int fd)
{
	struct vfio_device_feature_mem_poison mp = {
		.nr_records = MAX_RECORDS, .records = (uintptr_t)records,
	};

	return mem_poison(fd, VFIO_DEVICE_FEATURE_GET, &mp) ? -1 :
	       (int)mp.nr_records;
}

static int listed(int n, uint64_t off)
{
	int i;

	for (i = 0; i < n && i < MAX_RECORDS; i++)
		if (records[i].region_index == BAR2 && records[i].offset == off)
			return 1;
	return 0;
}

FIXTURE(devmem_mce) {
	char bdf[32];
	int fd, iommufd, efd;
	uint64_t pa, size, bar;
	char *map, *map2;
	size_t maplen;
};

/* Open the device as a VMM does: cdev, iommufd, IOAS, BAR2, memory on. */
FIXTURE_SETUP(devmem_mce)
{
	struct sigaction sa = { .sa_sigaction = sigbus_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	char path[64];
	uint16_t cmd;

	self->fd = -1;
	self->iommufd = -1;
	self->efd = -1;
	if (find_ivshmem(self->bdf))
		SKIP(return, "no ivshmem device bound to vfio-ivshmem");
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%d",
		 vfio_cdev(self->bdf));
	self->fd = open(path, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("%s: %s", path, strerror(errno));
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
	bind.iommufd = self->iommufd;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &alloc));
	at.pt_id = alloc.out_ioas_id;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));

	self->pa = bar_phys(self->bdf, BAR2, NULL);
	ASSERT_NE(0, self->pa);
	ri.index = BAR2;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_TRUE(ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_LE(8 << 20, ri.size);
	ASSERT_GE(MAX_RECORDS * PG, ri.size);
	self->size = ri.size;
	self->bar = ri.offset;
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_EQ(2, pread(self->fd, &cmd, 2, ri.offset + PCI_COMMAND));
	cmd |= PCI_COMMAND_MEMORY;
	ASSERT_EQ(2, pwrite(self->fd, &cmd, 2, ri.offset + PCI_COMMAND));

	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY,
			   0, 0));
	sigbus.count = 0;
}

FIXTURE_TEARDOWN(devmem_mce)
{
	if (self->map)
		munmap(self->map, self->maplen);
	if (self->map2)
		munmap(self->map2, self->size);
	if (self->efd >= 0)
		close(self->efd);
	if (self->fd >= 0)
		close(self->fd);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

static int set_policy(int fd, uint32_t flags, int efd)
{
	struct vfio_device_feature_mem_poison mp = {
		.flags = flags, .eventfd = efd,
	};

	return mem_poison(fd, VFIO_DEVICE_FEATURE_SET, &mp);
}

TEST_F_TIMEOUT(devmem_mce, keep_mapped, 300)
{
	static char skip[MAX_RECORDS];
	uint64_t seed = 0x6d63650000000000ULL ^ getpid(), off = ~0ULL, v, pg;
	int c, i, n0, n, nchunks, poisoned, bad = 0;
	long flt, flt_chunk, limit = 0;
	char *map;

	n0 = get_records(self->fd);
	ASSERT_LE(0, n0);
	ASSERT_GE(MAX_RECORDS, n0);
	nchunks = self->size / SZ_2M;
	memset(skip, 0, sizeof(skip));
	for (i = 0; i < n0; i++)
		if (records[i].region_index == BAR2 &&
		    records[i].offset < self->size)
			skip[records[i].offset / PG] = 1;
	/* only chunks without poison are used: one fault (a PMD) each */
	for (c = 0; c < nchunks; c++) {
		poisoned = 0;
		for (i = 0; i < (int)(SZ_2M / PG); i++)
			poisoned += skip[c * SZ_2M / PG + i];
		if (poisoned)
			memset(skip + c * SZ_2M / PG, 1, SZ_2M / PG);
		else
			limit++;
		if (!poisoned && off == ~0ULL && c >= nchunks / 2 &&
		    c < nchunks - 1)
			off = c * SZ_2M + 7 * PG;
	}
	ASSERT_NE(~0ULL, off) TH_LOG("no clean 2 MiB chunk left");
	ASSERT_EQ(0, set_policy(self->fd, VFIO_MEM_POISON_KEEP_MAPPED,
				self->efd));

	self->map = map_aligned(self->fd, self->bar, self->size);
	map = self->map;
	ASSERT_NE(NULL, map);
	self->maplen = self->size;
	/*
	 * Run the code of the loop once before counting: in this forked test
	 * process its text pages fault in on first use, and those are minor
	 * faults too.
	 */
	wr((char *)&v, pattern(seed, 0));
	flt = minflt();
	for (pg = off & ~(SZ_2M - 1); pg < (off | (SZ_2M - 1)); pg += PG)
		wr(map + pg, pattern(seed, pg));
	flt_chunk = minflt() - flt;
	for (pg = 0; pg < self->size; pg += PG)
		if (!skip[pg / PG] && (pg ^ off) >= SZ_2M)
			wr(map + pg, pattern(seed, pg));
	flt = minflt() - flt;
	TH_LOG("first touch of %ld chunks: %ld faults, %ld in the chunk of %#llx",
	       limit, flt, flt_chunk, (unsigned long long)off);
	ASSERT_EQ(1, flt_chunk);
	ASSERT_GE(limit, flt);

	ASSERT_EQ(0, rig_host_mce(self->pa + off));
	ASSERT_EQ(1, wait_efd(self->efd, WAIT_MS)) TH_LOG("no eventfd");
	ASSERT_EQ(0, sigbus.count);
	n = get_records(self->fd);
	ASSERT_EQ(n0 + 1, n);
	ASSERT_TRUE(listed(n, off));

	flt = minflt();
	for (pg = 0; pg < self->size; pg += PG)
		if (!skip[pg / PG] && pg != off)
			bad += rd(map + pg) != pattern(seed, pg);
	flt = minflt() - flt;
	ASSERT_EQ(0, flt);
	ASSERT_EQ(0, bad);

	self->map2 = map_aligned(self->fd, self->bar, self->size);
	ASSERT_NE(NULL, self->map2);
	ASSERT_EQ(0, load_faults(self->map2 + off - PG, &v));
	ASSERT_EQ(pattern(seed, off - PG), v);
	ASSERT_EQ(1, load_faults(self->map2 + off, &v));
	ASSERT_EQ(1, sigbus.count);
	ASSERT_EQ(BUS_MCEERR_AR, sigbus.code);
	ASSERT_EQ(self->map2 + off, sigbus.addr);
	ASSERT_EQ(12, sigbus.lsb);
	ASSERT_EQ(0, load_faults(self->map2 + off + PG, &v));
	ASSERT_EQ(pattern(seed, off + PG), v);
	ASSERT_EQ(1, sigbus.count);
}

TEST_F_TIMEOUT(devmem_mce, default_early_kill, 120)
{
	struct timespec ts = { .tv_sec = WAIT_MS / 1000 }, zero = {};
	uint64_t off = ~0ULL, v;
	sigset_t set;
	siginfo_t si;
	int i, n0, n;

	n0 = get_records(self->fd);
	ASSERT_LE(0, n0);
	for (i = 0; i < 64 && off == ~0ULL; i++)
		if (!listed(n0, self->size - SZ_2M + i * PG))
			off = self->size - SZ_2M + i * PG;
	ASSERT_NE(~0ULL, off) TH_LOG("no unpoisoned page left");
	ASSERT_EQ(0, set_policy(self->fd, 0, self->efd));

	self->map = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, self->bar + off);
	ASSERT_NE(MAP_FAILED, self->map);
	self->maplen = PG;
	v = rd(self->map);
	(void)v;

	sigemptyset(&set);
	sigaddset(&set, SIGBUS);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, rig_host_mce(self->pa + off));
	memset(&si, 0, sizeof(si));
	ASSERT_EQ(SIGBUS, sigtimedwait(&set, &si, &ts)) TH_LOG("no SIGBUS");
	ASSERT_EQ(BUS_MCEERR_AO, si.si_code);
	ASSERT_EQ(self->map, si.si_addr);
	ASSERT_EQ(12, si.si_addr_lsb);
	ASSERT_EQ(1, wait_efd(self->efd, WAIT_MS)) TH_LOG("no eventfd");
	/* one signal only: nobody consumed the poison, no AR */
	ASSERT_EQ(-1, sigtimedwait(&set, &si, &zero));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, sigprocmask(SIG_UNBLOCK, &set, NULL));
	ASSERT_EQ(0, sigbus.count);
	n = get_records(self->fd);
	ASSERT_EQ(n0 + 1, n);
	ASSERT_TRUE(listed(n, off));

	/* a new mapping faults at the page */
	self->map2 = map_aligned(self->fd, self->bar, self->size);
	ASSERT_NE(NULL, self->map2);
	ASSERT_EQ(1, load_faults(self->map2 + off, &v));
	ASSERT_EQ(1, sigbus.count);
	ASSERT_EQ(BUS_MCEERR_AR, sigbus.code);
	ASSERT_EQ(self->map2 + off, sigbus.addr);
	ASSERT_EQ(12, sigbus.lsb);
}

TEST_HARNESS_MAIN
