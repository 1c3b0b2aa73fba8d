// SPDX-License-Identifier: GPL-2.0
/*
 * bench: a 1 GiB HugeTLB memfd page with k = 1, 2, 4, 8 poisoned base pages
 * (MADV_HWPOISON from a helper thread).
 *   usable  bytes of the hugepage that load without SIGBUS and that no
 *           SIGBUS reported as lost ([si_addr, si_addr + 2^lsb))
 *   inject  mean time of one MADV_HWPOISON call (the memory_failure path)
 *   offline time from ftruncate(0) until the hugepage is offlined (keep:
 *           the poisoned page is no longer part of a hugepage in
 *           /proc/kpageflags) or until the call returned (default, which
 *           offlines nothing)
 * Usage: ue_bench default|keep     prints one line per k
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "rig_memfd.h"

#define PG 4096UL
#define HP (1UL << 30)
#define NRPATH "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"

static sigjmp_buf jb;
static volatile int armed;
static char *lost_addr[64];
static short lost_lsb[64];
static volatile int nlost;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (armed) {
		armed = 0;
		siglongjmp(jb, 1);
	}
	if (nlost < 64) {
		lost_addr[nlost] = si->si_addr;
		lost_lsb[nlost] = si->si_addr_lsb;
		nlost++;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double spent;

static void *poison(void *addr)
{
	double t = now();

	madvise(addr, PG, MADV_HWPOISON);
	spent += now() - t;
	return NULL;
}

#define KPF_HUGE 17

static uint64_t pfn_flags(uint64_t pfn)
{
	uint64_t flags = 0;
	int fd = open("/proc/kpageflags", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &flags, 8, pfn * 8) != 8)
		flags = 0;
	close(fd);
	return flags;
}

static uint64_t pfn_of(void *addr)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, 8, (uintptr_t)addr / PG * 8) != 8)
		ent = 0;
	close(fd);
	return ent & ((1ULL << 55) - 1);
}

static long nr(void)
{
	char buf[32] = "";
	int fd = open(NRPATH, O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = 0;
		close(fd);
	}
	return atol(buf);
}

static int reported_lost(char *p)
{
	for (int i = 0; i < nlost; i++) {
		uintptr_t a = (uintptr_t)lost_addr[i] & ~((1UL << lost_lsb[i]) - 1);

		if ((uintptr_t)p >= a && (uintptr_t)p < a + (1UL << lost_lsb[i]))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	int keep = argc > 1 && !strcmp(argv[1], "keep");
	int ks[] = { 1, 2, 4, 8 };

	sigaction(SIGBUS, &sa, NULL);
	setvbuf(stdout, NULL, _IONBF, 0);
	for (unsigned int i = 0; i < 4; i++) {
		int k = ks[i], fd;
		size_t off, usable = 0;
		long nr0 = nr();
		double t0, off_time;
		uint64_t pfn;
		pthread_t th;
		char *m;

		fd = memfd_create("bench", MFD_HUGETLB | (30 << MFD_HUGE_SHIFT) |
				  (keep ? MFD_MF_KEEP_UE_MAPPED : 0));
		if (fd < 0 || ftruncate(fd, HP)) {
			printf("BENCH k=%d error\n", k);
			return 1;
		}
		m = mmap(NULL, HP, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			printf("BENCH k=%d mmap error\n", k);
			return 1;
		}
		m[0] = 1;
		nlost = 0;
		spent = 0;
		for (int j = 0; j < k; j++) {
			pthread_create(&th, NULL, poison, m + (size_t)(1 + 4099 * j) * PG);
			pthread_join(th, NULL);
		}
		for (off = 0; off < HP; off += PG) {
			if (sigsetjmp(jb, 0))
				continue;
			armed = 1;
			(void)*(volatile char *)(m + off);
			armed = 0;
			if (!reported_lost(m + off))
				usable += PG;
		}
		pfn = pfn_of(m + PG);
		munmap(m, HP);
		t0 = now();
		ftruncate(fd, 0);
		while (keep && (nr() == nr0 || pfn_flags(pfn) & (1ULL << KPF_HUGE)) &&
		       now() - t0 < 10)
			usleep(100);
		off_time = now() - t0;
		close(fd);
		printf("BENCH k=%d usable=%zu inject_us=%.0f offline_us=%.0f\n",
		       k, usable, spent / k * 1e6, off_time * 1e6);
	}
	return 0;
}
