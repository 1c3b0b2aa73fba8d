// SPDX-License-Identifier: GPL-2.0
/*
 * bench: iommufd costs of the poison tracking, against a mock domain
 * (IOMMU_TEST_OP_MOCK_DOMAIN) attached to an IOAS.
 *   map_unmap  IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP at IOVA 1 GiB of a 1 GiB
 *              HugeTLB memfd page and of 64 MiB of 4 KiB anonymous memory,
 *              n times after one untimed warm-up: median and min of the
 *              pair, and the medians of map and unmap alone
 *   track      pin log size (IOMMU_TEST_OP_MD_CHECK_MAPPED out_track_bytes)
 *              of a mapped 1 GiB page, 64 x 2 MiB pages and 64 MiB of 4 KiB
 *              pages, against the pinned bytes (out_npinned * 4 KiB);
 *              "supported=0" when the kernel lacks the test op
 *   notify     MADV_HWPOISON of one 4 KiB page of a mapped 2 MiB
 *              MFD_MF_KEEP_UE_MAPPED page from a helper thread, then a
 *              non-blocking read() of an IOMMU_IOAS_POISON_ALLOC queue:
 *              was the record queued before madvise returned; "supported=0"
 *              when the kernel has no poison queue. One 2 MiB hugepage per
 *              run, 3 runs.
 * Usage: iommufd_bench [n]	n map+unmap repetitions (default 20)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include "iommufd_test.h"
#include "rig_memfd.h"

#define PG 4096UL
#define SZ_2M (2UL << 20)
#define SZ_1G (1UL << 30)
#define IOVA SZ_1G
#define ANON_LEN (64UL << 20)
#define NR_2M 64
#define NOTIFY_RUNS 3
#define MAX_N 1000

static int ifd;
static __u32 ioas_id, hwpt_id;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int ioas_map(void *va, size_t len, __u64 iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl(ifd, IOMMU_IOAS_MAP, &map);
}

static int ioas_unmap(__u64 iova, size_t len)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = len,
	};

	if (ioctl(ifd, IOMMU_IOAS_UNMAP, &unmap))
		return -1;
	return unmap.length == len ? 0 : -1;
}

static int setup(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};

	ifd = open("/dev/iommu", O_RDWR);
	if (ifd < 0)
		return -1;
	if (ioctl(ifd, IOMMU_IOAS_ALLOC, &alloc))
		return -1;
	ioas_id = alloc.out_ioas_id;
	cmd.id = ioas_id;
	if (ioctl(ifd, IOMMU_TEST_CMD, &cmd))
		return -1;
	hwpt_id = cmd.mock_domain.out_hwpt_id;
	return 0;
}

/* A HugeTLB memfd of len bytes in pages of 1 << shift, each page faulted in */
static char *hugetlb_memfd(size_t len, int shift, unsigned int flags, int *fdp)
{
	char *m;
	int fd;

	fd = memfd_create("iommufd_bench", MFD_HUGETLB | flags |
			  (shift << MFD_HUGE_SHIFT));
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, len)) {
		close(fd);
		return NULL;
	}
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	for (size_t off = 0; off < len; off += 1UL << shift)
		m[off] = 1;
	*fdp = fd;
	return m;
}

/* 4 KiB anonymous pages, each faulted in */
static char *anon_4k(size_t len)
{
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	madvise(m, len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += PG)
		m[off] = 1;
	return m;
}

static int bench_map_unmap(const char *what, char *m, size_t len, int n)
{
	static double pair[MAX_N], map[MAX_N], unmap[MAX_N];
	double t0, t1, t2, pmin;

	if (ioas_map(m, len, IOVA) || ioas_unmap(IOVA, len))
		goto err;
	for (int i = 0; i < n; i++) {
		t0 = now_us();
		if (ioas_map(m, len, IOVA))
			goto err;
		t1 = now_us();
		if (ioas_unmap(IOVA, len))
			goto err;
		t2 = now_us();
		map[i] = t1 - t0;
		unmap[i] = t2 - t1;
		pair[i] = t2 - t0;
	}
	pmin = pair[0];
	for (int i = 1; i < n; i++)
		if (pair[i] < pmin)
			pmin = pair[i];
	printf("BENCH map_unmap what=%s n=%d median_us=%.0f min_us=%.0f map_median_us=%.0f unmap_median_us=%.0f\n",
	       what, n, median(pair, n), pmin, median(map, n),
	       median(unmap, n));
	return 0;
err:
	printf("BENCH map_unmap what=%s error=%s\n", what, strerror(errno));
	return -1;
}

/* 1: measured, 0: the kernel has no MD_CHECK_MAPPED, -1: error */
static int bench_track(const char *what, char *m, size_t len)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_MAPPED,
		.id = hwpt_id,
		.check_mapped = { .iova = IOVA, .length = len },
	};
	unsigned long long pinned;
	int ret;

	if (ioas_map(m, len, IOVA)) {
		printf("BENCH track what=%s error=%s\n", what, strerror(errno));
		return -1;
	}
	ret = ioctl(ifd, IOMMU_TEST_CMD, &cmd);
	if (ioas_unmap(IOVA, len)) {
		printf("BENCH track what=%s unmap error=%s\n", what,
		       strerror(errno));
		return -1;
	}
	if (ret) {
		printf("BENCH track what=%s supported=0 errno=%s\n", what,
		       strerror(errno));
		return 0;
	}
	pinned = cmd.check_mapped.out_npinned * PG;
	printf("BENCH track what=%s supported=1 mapped=%llu npinned=%llu pinned_bytes=%llu bytes=%llu pct=%.4f\n",
	       what, (unsigned long long)cmd.check_mapped.out_mapped,
	       (unsigned long long)cmd.check_mapped.out_npinned, pinned,
	       (unsigned long long)cmd.check_mapped.out_track_bytes,
	       pinned ? 100.0 * cmd.check_mapped.out_track_bytes / pinned : 0);
	return 1;
}

static volatile int sigbus_code, sigbus_lsb;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	sigbus_code = si->si_code;
	sigbus_lsb = si->si_addr_lsb;
}

struct notify_arg {
	char *addr;
	int qfd;
	double madvise_us;
	int madvise_ret;
	ssize_t got;
	struct iommu_ioas_poison_event ev;
};

/* madvise, then at once look for the record without blocking */
static void *inject(void *p)
{
	struct notify_arg *a = p;
	double t0 = now_us();

	a->madvise_ret = madvise(a->addr, PG, MADV_HWPOISON);
	a->madvise_us = now_us() - t0;
	a->got = read(a->qfd, &a->ev, sizeof(a->ev));
	return NULL;
}

static int bench_notify(void)
{
	struct iommu_ioas_poison_alloc alloc = {
		.size = sizeof(alloc),
		.ioas_id = ioas_id,
		.depth = 16,
	};
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };
	struct notify_arg a;
	pthread_t th;
	int ret = 0;

	if (ioctl(ifd, IOMMU_IOAS_POISON_ALLOC, &alloc)) {
		printf("BENCH notify supported=0 errno=%s\n", strerror(errno));
		return 0;
	}
	fcntl(alloc.out_poison_fd, F_SETFL, O_NONBLOCK);
	sigaction(SIGBUS, &sa, NULL);
	for (int run = 1; run <= NOTIFY_RUNS; run++) {
		int fd;
		char *m = hugetlb_memfd(SZ_2M, 21, MFD_MF_KEEP_UE_MAPPED, &fd);

		if (!m) {
			printf("BENCH notify run=%d memfd error=%s\n", run,
			       strerror(errno));
			ret = -1;
			break;
		}
		if (ioas_map(m, SZ_2M, IOVA)) {
			printf("BENCH notify run=%d map error=%s\n", run,
			       strerror(errno));
			ret = -1;
			munmap(m, SZ_2M);
			close(fd);
			break;
		}
		memset(&a, 0, sizeof(a));
		a.addr = m + 5 * PG;
		a.qfd = alloc.out_poison_fd;
		sigbus_code = 0;
		sigbus_lsb = 0;
		pthread_create(&th, NULL, inject, &a);
		pthread_join(th, NULL);
		printf("BENCH notify run=%d queued_before_return=%d madvise_us=%.0f madvise_ret=%d sigbus_code=%d sigbus_lsb=%d flags=0x%x iova_ok=%d\n",
		       run, a.got == sizeof(a.ev), a.madvise_us, a.madvise_ret,
		       sigbus_code, sigbus_lsb,
		       a.got == sizeof(a.ev) ? a.ev.flags : 0,
		       a.got == sizeof(a.ev) && a.ev.iova == IOVA + 5 * PG);
		/* Drain what else is queued so each run starts empty */
		while (read(alloc.out_poison_fd, &a.ev, sizeof(a.ev)) > 0)
			;
		if (ioas_unmap(IOVA, SZ_2M)) {
			printf("BENCH notify run=%d unmap error=%s\n", run,
			       strerror(errno));
			ret = -1;
		}
		munmap(m, SZ_2M);
		close(fd);
		if (ret)
			break;
	}
	close(alloc.out_poison_fd);
	destroy.id = alloc.out_poison_id;
	ioctl(ifd, IOMMU_DESTROY, &destroy);
	return ret;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20;
	int fd_1g, fd_2m, ret, err = 0;
	char *m_1g, *m_2m, *m_4k;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (n < 1 || n > MAX_N)
		n = 20;
	if (setup()) {
		printf("BENCH error=setup: %s\n", strerror(errno));
		return 1;
	}
	m_1g = hugetlb_memfd(SZ_1G, 30, 0, &fd_1g);
	m_4k = anon_4k(ANON_LEN);
	if (!m_1g || !m_4k) {
		printf("BENCH error=memory: %s\n", strerror(errno));
		return 1;
	}

	err |= bench_map_unmap("hugetlb_1g", m_1g, SZ_1G, n);
	err |= bench_map_unmap("anon_4k_64m", m_4k, ANON_LEN, n);

	ret = bench_track("hugetlb_1g", m_1g, SZ_1G);
	err |= ret < 0;
	if (ret > 0) {
		m_2m = hugetlb_memfd(NR_2M * SZ_2M, 21, 0, &fd_2m);
		if (m_2m) {
			err |= bench_track("hugetlb_2m_x64", m_2m,
					   NR_2M * SZ_2M) < 0;
			munmap(m_2m, NR_2M * SZ_2M);
			close(fd_2m);
		} else {
			printf("BENCH track what=hugetlb_2m_x64 error=%s\n",
			       strerror(errno));
			err = 1;
		}
		err |= bench_track("anon_4k_64m", m_4k, ANON_LEN) < 0;
	}
	munmap(m_1g, SZ_1G);
	close(fd_1g);
	munmap(m_4k, ANON_LEN);

	err |= bench_notify() < 0;
	close(ifd);
	return err ? 1 : 0;
}
