// SPDX-License-Identifier: GPL-2.0
/*
 * make demo: a memory error in device memory, i.e. memory without struct
 * page behind a PCI BAR, here BAR2 of QEMU's ivshmem-plain device (16 MiB
 * of host RAM). Prints a few lines per case, checks what it prints, and
 * exits non-zero if anything is not as expected.
 *
 * Usage: devmem_demo base   the unpatched kernel: no driver for ivshmem,
 *                           BAR2 mapped from sysfs resource2
 *        devmem_demo        the patched kernel: two ivshmem devices bound
 *                           to vfio-ivshmem, VFIO_DEVICE_FEATURE_MEM_POISON
 *
 * Needs the intel-iommu boot of the rig (scripts/run-vm.sh VM_IOMMU=1) and
 * a boot of its own: poison lasts for the boot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "rig_host.h"
#include "rig_vfio.h"

#define HARD_OFFLINE "/sys/devices/system/memory/hard_offline_page"
#define IVSHMEM_ID "0x1af4:0x1110"
#define PG 4096UL
#define BAR2 VFIO_PCI_BAR2_REGION_INDEX
#define MAX_DEVS 4
#define MAX_RECORDS 4096
#define WAIT_MS 20000

/* What the SIGBUS handler saw: the number of signals, the last one. */
static struct {
	int count;
	int code;
	char *addr;
	int lsb;
} sigbus;

static sigjmp_buf fault_jmp;
static int fault_armed;
static int failed;

static inline void barrier(void)
{
	asm volatile("" ::: "memory");
}

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

static void reset_sigbus(void)
{
	memset(&sigbus, 0, sizeof(sigbus));
}

/* Print a failure unless @ok; returns @ok. */
static bool __attribute__((format(printf, 2, 3)))
expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	printf("  FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failed = 1;
	return false;
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

static uint64_t pattern(uint64_t off)
{
	return 0xdec0de0000000000ULL ^ (off * 0x9e3779b97f4a7c15ULL);
}

/* Write the pattern to each page of [@from, @to) of BAR2 mapped at @map. */
static void fill(char *map, uint64_t from, uint64_t to)
{
	for (; from < to; from += PG)
		wr(map + from, pattern(from));
}

/* The pages of [@from, @to) that do not read back their pattern. */
static int check(char *map, uint64_t from, uint64_t to, uint64_t skip)
{
	int bad = 0;

	for (; from < to; from += PG)
		if (from != skip)
			bad += rd(map + from) != pattern(from);
	return bad;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), n, err;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	err = errno;
	close(fd);
	return n < 0 ? -err : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* BDFs of the ivshmem devices, whatever their driver, sorted. */
static int find_ivshmem(char bdf[][32])
{
	char path[300], ven[32], dev[32];
	struct dirent *d;
	DIR *dir = opendir(PCI_DEVS);
	int n = 0;

	while (dir && n < MAX_DEVS && (d = readdir(dir))) {
		if (d->d_name[0] == '.' || strlen(d->d_name) >= 32)
			continue;
		snprintf(path, sizeof(path), PCI_DEVS "%s/vendor", d->d_name);
		if (read_str(path, ven, sizeof(ven)))
			continue;
		snprintf(path, sizeof(path), PCI_DEVS "%s/device", d->d_name);
		if (read_str(path, dev, sizeof(dev)))
			continue;
		snprintf(path, sizeof(path), "%s:%s", ven, dev);
		if (!strcmp(path, IVSHMEM_ID))
			snprintf(bdf[n++], 32, "%s", d->d_name);
	}
	if (dir)
		closedir(dir);
	qsort(bdf, n, sizeof(bdf[0]), cmp_str);
	return n;
}

/* memory_failure() at @pa through hard_offline_page: 0 or -errno. */
static int inject(uint64_t pa)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)pa);
	return write_str(HARD_OFFLINE, buf);
}

/* Whether the kernel log has "PFN: memory outside kernel control". */
static bool logged_outside(uint64_t pa)
{
	char want[64], *buf;
	int len = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	bool found;

	buf = malloc(len > 0 ? len + 1 : 1);
	if (!buf)
		return false;
	len = klogctl(3, buf, len > 0 ? len : 0);	/* READ_ALL */
	buf[len > 0 ? len : 0] = 0;
	snprintf(want, sizeof(want), "%#llx: memory outside kernel control",
		 (unsigned long long)pa / PG);
	found = strstr(buf, want);
	free(buf);
	return found;
}

/*
 * The unpatched kernel: BAR2 of @bdf, without a driver, mapped from sysfs
 * resource2 as any root process can. An error at @off is memory outside
 * kernel control: nobody is told, the page stays mapped.
 */
static void case_sysfs(const char *bdf, uint64_t off)
{
	char path[300], drv[64];
	uint64_t pa, size, v;
	int fd, ret, bad;
	long flt;
	char *map;

	driver_of(bdf, drv, sizeof(drv));
	if (!expect(!*drv, "%s bound to %s: expected no driver", bdf, drv))
		return;
	pa = bar_phys(bdf, BAR2, &size);
	if (!expect(pa && size > off, "%s: no BAR2", bdf))
		return;
	printf("%s ivshmem, no driver; BAR2: %llu MiB at %#llx, mapped from sysfs resource2\n",
	       bdf, (unsigned long long)size >> 20, (unsigned long long)pa);
	snprintf(path, sizeof(path), PCI_DEVS "%s/enable", bdf);
	ret = write_str(path, "1");
	if (!expect(!ret, "%s: %s", path, strerror(-ret)))
		return;
	snprintf(path, sizeof(path), PCI_DEVS "%s/resource2", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (!expect(fd >= 0, "%s: %s", path, strerror(errno)))
		return;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (!expect(map != MAP_FAILED, "mmap %s: %s", path, strerror(errno)))
		return;
	fill(map, 0, size);

	reset_sigbus();
	ret = inject(pa + off);
	printf("error at BAR2+%#llx, hard_offline_page: %s%s; signals: %s\n",
	       (unsigned long long)off, ret ? strerrorname_np(-ret) : "ok",
	       logged_outside(pa + off) ? ", \"memory outside kernel control\"" : "",
	       sigbus.count ? "SIGBUS" : "none");
	expect(ret == -ENXIO, "hard_offline_page: %s, expected ENXIO",
	       strerror(-ret));
	expect(logged_outside(pa + off), "no \"memory outside kernel control\"");
	expect(!sigbus.count, "SIGBUS code %d", sigbus.code);

	/* a zapped page would fault: SIGBUS (resource mmaps have no fault handler) */
	flt = minflt();
	ret = load_faults(map + off, &v);
	bad = check(map, 0, size, ~0ULL);
	flt = minflt() - flt;
	expect(!ret && v == pattern(off), "the page does not load its data");
	expect(!bad && !flt, "%d pages changed, %ld faults", bad, flt);
	printf("  after: the page is still mapped and loads its data; all %llu pages: %d changed, %ld faults; nobody knows it is bad\n",
	       (unsigned long long)size / PG, bad, flt);
	munmap(map, size);
}

/* A device bound to vfio-ivshmem, opened as a VMM does. */
struct dev {
	char bdf[32];
	int fd, iommufd;
	uint64_t pa;		/* BAR2's physical address */
	uint64_t size;		/* BAR2's size */
	uint64_t bar;		/* BAR2's offset in the device fd */
};

/* cdev, iommufd, an IOAS, BAR2, PCI_COMMAND_MEMORY on: 0 or -1. */
static int dev_open(struct dev *d, const char *bdf)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	char path[64];
	uint16_t cmd;

	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%d", vfio_cdev(bdf));
	d->fd = open(path, O_RDWR);
	if (!expect(d->fd >= 0, "%s: %s", path, strerror(errno)))
		return -1;
	d->iommufd = open("/dev/iommu", O_RDWR);
	if (!expect(d->iommufd >= 0, "/dev/iommu: %s", strerror(errno)))
		return -1;
	bind.iommufd = d->iommufd;
	if (!expect(!ioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) &&
		    !ioctl(d->iommufd, IOMMU_IOAS_ALLOC, &alloc),
		    "%s: bind: %s", path, strerror(errno)))
		return -1;
	at.pt_id = alloc.out_ioas_id;
	if (!expect(!ioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
		    "%s: attach: %s", path, strerror(errno)))
		return -1;
	d->pa = bar_phys(bdf, BAR2, &d->size);
	ri.index = BAR2;
	if (!expect(d->pa && !ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) &&
		    ri.size == d->size && d->size >= 8 * SZ_2M, "%s: no BAR2", bdf))
		return -1;
	d->bar = ri.offset;
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (!expect(!ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) &&
		    pread(d->fd, &cmd, 2, ri.offset + PCI_COMMAND) == 2,
		    "%s: config space", bdf))
		return -1;
	cmd |= PCI_COMMAND_MEMORY;
	if (!expect(pwrite(d->fd, &cmd, 2, ri.offset + PCI_COMMAND) == 2,
		    "%s: PCI_COMMAND", bdf))
		return -1;
	return 0;
}

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

static struct vfio_mem_poison_record records[MAX_RECORDS];

/* GET into records[]: the total number of records, -1 on error. */
static int get_records(int fd)
{
	struct vfio_device_feature_mem_poison mp = {
		.nr_records = MAX_RECORDS, .records = (uintptr_t)records,
	};

	return mem_poison(fd, VFIO_DEVICE_FEATURE_GET, &mp) ? -1 :
	       (int)mp.nr_records;
}

/* The record of BAR2 offset @off among the first @n, or NULL. */
static struct vfio_mem_poison_record *record_of(int n, uint64_t off)
{
	int i;

	for (i = 0; i < n && i < MAX_RECORDS; i++)
		if (records[i].region_index == BAR2 && records[i].offset == off)
			return &records[i];
	return NULL;
}

/*
 * The patched kernel, a device bound to vfio-ivshmem but not open: its
 * range is not registered, the error is outside kernel control as before.
 */
static void case_closed(const char *bdf, uint64_t off)
{
	uint64_t pa, size;
	int ret;

	pa = bar_phys(bdf, BAR2, &size);
	if (!expect(pa && size > off, "%s: no BAR2", bdf))
		return;
	reset_sigbus();
	ret = inject(pa + off);
	printf("%s not open: error at BAR2+%#llx, hard_offline_page: %s%s; signals: %s (only ranges of open devices are routed)\n",
	       bdf, (unsigned long long)off, ret ? strerrorname_np(-ret) : "ok",
	       logged_outside(pa + off) ? ", \"memory outside kernel control\"" : "",
	       sigbus.count ? "SIGBUS" : "none");
	expect(ret == -ENXIO, "hard_offline_page: %s, expected ENXIO",
	       strerror(-ret));
	expect(logged_outside(pa + off), "no \"memory outside kernel control\"");
	expect(!sigbus.count, "SIGBUS code %d", sigbus.code);
}

static const char *code_name(int code)
{
	return code == BUS_MCEERR_AR ? "BUS_MCEERR_AR" :
	       code == BUS_MCEERR_AO ? "BUS_MCEERR_AO" : "other";
}

/*
 * The patched kernel: BAR2 of @d mapped through VFIO with 2 MiB mappings,
 * the policy @keep, an error at @off injected in software or, with @mce,
 * as a real machine check. What the process is told, and what still works.
 */
static void case_vfio(struct dev *d, uint64_t off, bool keep, bool mce)
{
	struct vfio_device_feature_mem_poison mp = {
		.flags = keep ? VFIO_MEM_POISON_KEEP_MAPPED : 0,
	};
	uint64_t chunk = off & ~(SZ_2M - 1), efd_val, v;
	struct vfio_mem_poison_record *rec;
	int ret, n0, n, bad, efd;
	char *map, *map2, buf[8];
	long flt;

	printf("%s %s: error at BAR2+%#llx, %s:\n", d->bdf,
	       keep ? "VFIO_MEM_POISON_KEEP_MAPPED" : "default policy",
	       (unsigned long long)off,
	       mce ? "real machine check (QEMU mce, action optional)" :
		     "hard_offline_page");
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	mp.eventfd = efd;
	if (!expect(efd >= 0 && !mem_poison(d->fd, VFIO_DEVICE_FEATURE_SET, &mp),
		    "SET: %s", strerror(errno)))
		return;
	n0 = get_records(d->fd);
	if (!expect(n0 >= 0 && !record_of(n0, off), "GET: %s, or %#llx poisoned",
		    strerror(errno), (unsigned long long)off))
		return;

	/* the 2 MiB chunk of @off: mapped by its first touch, with a PMD */
	map = map_aligned(d->fd, d->bar, d->size);
	if (!expect(map, "mmap: %s", strerror(errno)))
		return;
	flt = minflt();
	fill(map, chunk, chunk + SZ_2M);
	flt = minflt() - flt;
	expect(flt == 1, "first touch of the 2 MiB chunk: %ld faults", flt);

	reset_sigbus();
	if (mce) {
		ret = rig_host_mce(d->pa + off);
		expect(!ret, "rig_host_mce failed");
		efd_val = wait_efd(efd, WAIT_MS);
	} else {
		ret = inject(d->pa + off);
		expect(!ret, "hard_offline_page: %s", strerror(-ret));
		efd_val = wait_efd(efd, 0);
	}
	n = get_records(d->fd);
	rec = n > 0 ? record_of(n, off) : NULL;
	if (sigbus.count)
		printf("  told: SIGBUS %s to the %s, si_addr=mapping+%#lx lsb=%d",
		       code_name(sigbus.code), mce ? "process" : "writer",
		       (long)(sigbus.addr - map), sigbus.lsb);
	else
		printf("  told: no signal");
	printf("; eventfd %llu; query: ", (unsigned long long)efd_val);
	if (rec)
		printf("region %u offset %#llx", rec->region_index,
		       (unsigned long long)rec->offset);
	else
		printf("%d records, not this page", n);
	printf(" (%d record%s)\n", n, n == 1 ? "" : "s");
	if (keep || mce) {
		expect(!sigbus.count, "SIGBUS code %d", sigbus.code);
	} else {
		expect(sigbus.count == 1 && sigbus.code == BUS_MCEERR_AR &&
		       sigbus.addr == map + off && sigbus.lsb == 12,
		       "expected one SIGBUS BUS_MCEERR_AR at the page, lsb 12");
	}
	expect(efd_val == 1, "eventfd %llu, expected 1",
	       (unsigned long long)efd_val);
	expect(rec && n == n0 + 1, "expected one more record, for the page");

	/* the existing mapping: no fault, the data are there */
	flt = minflt();
	bad = check(map, chunk, chunk + SZ_2M, keep ? ~0ULL : off);
	flt = minflt() - flt;
	expect(!bad && !flt, "existing mapping: %d pages changed, %ld refaults",
	       bad, flt);
	printf("  after: existing 2 MiB mapping: %s intact, %ld refaults",
	       keep ? "all 512 pages incl. the poisoned one" :
		      "the 511 other pages", flt);

	/* a fresh mapping: the page faults, its neighbours map */
	map2 = map_aligned(d->fd, d->bar, d->size);
	if (!expect(map2, "mmap: %s", strerror(errno)))
		goto out;
	reset_sigbus();
	ret = load_faults(map2 + off, &v);
	printf("; fresh map of the page: %s", ret ? "SIGBUS" : "loads");
	if (ret)
		printf(" %s lsb=%d", code_name(sigbus.code), sigbus.lsb);
	expect(ret && sigbus.code == BUS_MCEERR_AR &&
	       sigbus.addr == map2 + off && sigbus.lsb == 12,
	       "expected SIGBUS BUS_MCEERR_AR at the page, lsb 12");
	bad = load_faults(map2 + off - PG, &v) || v != pattern(off - PG);
	bad += load_faults(map2 + off + PG, &v) || v != pattern(off + PG);
	expect(!bad, "the neighbours of the page do not load");
	munmap(map2, d->size);

	errno = 0;
	ret = pread(d->fd, buf, sizeof(buf), d->bar + off);
	printf(", neighbours load; pread: %s\n",
	       ret < 0 ? strerrorname_np(errno) : "ok");
	expect(ret == -1 && errno == EIO, "pread: %d, expected EIO", ret);
out:
	munmap(map, d->size);
	close(efd);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = sigbus_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	char bdf[MAX_DEVS][32], drv[64];
	struct dev a, b;
	int i, n;

	setvbuf(stdout, NULL, _IONBF, 0);
	sigaction(SIGBUS, &sa, NULL);
	n = find_ivshmem(bdf);
	if (!expect(n >= 2, "%d ivshmem devices, expected 2", n))
		return 1;

	if (argc > 1 && !strcmp(argv[1], "base")) {
		case_sysfs(bdf[0], 0x3000);
		return failed;
	}

	for (i = 0; i < 2; i++) {
		driver_of(bdf[i], drv, sizeof(drv));
		if (!expect(!strcmp(drv, "vfio-ivshmem"),
			    "%s bound to \"%s\", expected vfio-ivshmem",
			    bdf[i], drv))
			return 1;
	}
	case_closed(bdf[1], 0x3000);
	if (dev_open(&a, bdf[0]))
		return 1;
	case_vfio(&a, 0x3000, false, false);
	case_vfio(&a, 0x205000, true, false);
	if (dev_open(&b, bdf[1]))
		return 1;
	case_vfio(&b, 0x407000, true, true);
	return failed;
}
