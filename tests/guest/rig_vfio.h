/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side helpers shared by the rig's VFIO programs (tests/guest and
 * demo): sysfs lookups of PCI devices, BAR mappings, eventfd waits.
 */
#ifndef RIG_VFIO_H
#define RIG_VFIO_H

#include <dirent.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define PCI_DEVS "/sys/bus/pci/devices/"
#define SZ_2M (2UL << 20)

/* First line of @path without its newline in @buf: 0, or -1. */
static inline int read_str(const char *path, char *buf, int len)
{
	FILE *f = fopen(path, "r");
	int ok = f && fgets(buf, len, f);

	if (f)
		fclose(f);
	buf[ok ? strcspn(buf, "\n") : 0] = 0;
	return ok ? 0 : -1;
}

/* Name of the driver bound to @bdf in @drv, "" if none. */
static inline void driver_of(const char *bdf, char *drv, int len)
{
	char path[300], link[300], *p;
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVS "%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	p = strrchr(link, '/');
	snprintf(drv, len, "%s", p ? p + 1 : "");
}

/* The number N of @bdf's VFIO cdev /dev/vfio/devices/vfioN, or -1. */
static inline int vfio_cdev(const char *bdf)
{
	char path[300];
	struct dirent *d;
	DIR *dir;
	int n = -1;

	snprintf(path, sizeof(path), PCI_DEVS "%s/vfio-dev", bdf);
	dir = opendir(path);
	while (dir && (d = readdir(dir)))
		if (sscanf(d->d_name, "vfio%d", &n) == 1)
			break;
	if (dir)
		closedir(dir);
	return n;
}

/* Physical address of BAR @bar of @bdf (sysfs resource), 0 if none. */
static inline uint64_t bar_phys(const char *bdf, int bar, uint64_t *size)
{
	unsigned long long start = 0, end = 0, flags;
	char path[300], line[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), PCI_DEVS "%s/resource", bdf);
	f = fopen(path, "r");
	for (i = 0; f && i <= bar; i++)
		if (!fgets(line, sizeof(line), f) ||
		    sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
			start = 0;
	if (f)
		fclose(f);
	if (size)
		*size = start ? end - start + 1 : 0;
	return start;
}

/* Wait up to @ms for the eventfd: its counter, 0 on timeout. */
static inline uint64_t wait_efd(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, ms) != 1 || read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Map @len bytes of @fd at @off at a 2 MiB aligned address, or NULL. */
static inline char *map_aligned(int fd, uint64_t off, size_t len)
{
	char *area, *p;

	area = mmap(NULL, len + SZ_2M, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)area + SZ_2M - 1) & ~(SZ_2M - 1));
	if (mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, off) == MAP_FAILED) {
		munmap(area, len + SZ_2M);
		return NULL;
	}
	if (p > area)
		munmap(area, p - area);
	if (area + SZ_2M > p)
		munmap(p + len, area + SZ_2M - p);
	return p;
}

/* Minor faults of this process so far. */
static inline long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

#endif /* RIG_VFIO_H */
