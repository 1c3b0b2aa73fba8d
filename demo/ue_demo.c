// SPDX-License-Identifier: GPL-2.0
/*
 * make demo: what one poisoned 4 KiB page costs in a 2 MiB and a 1 GiB
 * HugeTLB memfd page. Prints one readable line per case.
 * Usage: ue_demo [keep]   (keep: create the memfd with MFD_MF_KEEP_UE_MAPPED;
 *                          without it, a private anonymous 2 MiB page too)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "rig_memfd.h"

#define PG 4096UL

static sigjmp_buf jb;
static volatile int armed, lsb;
static char *volatile lost;	/* what the first SIGBUS reported lost */

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (!armed) {
		lsb = si->si_addr_lsb;
		lost = (char *)((uintptr_t)si->si_addr & ~((1UL << lsb) - 1));
	}
	if (armed) {
		armed = 0;
		siglongjmp(jb, 1);
	}
}

static void *poison(void *addr)
{
	madvise(addr, PG, MADV_HWPOISON);
	return NULL;
}

static long hp(size_t sz, const char *what)
{
	char path[128], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/%s",
		 sz >> 10, what);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	if (fd >= 0)
		close(fd);
	return atol(buf);
}

/* keep: 1 memfd with the flag, 0 memfd without, -1 private anonymous. */
static void run(int shift, int keep)
{
	size_t sz = 1UL << shift, off, ok = 0;
	long tot0 = hp(sz, "nr_hugepages"), free0 = hp(sz, "free_hugepages");
	int first_lsb, fd;
	pthread_t th;
	char *m;

	fd = keep < 0 ? -2 :
	     memfd_create("demo", MFD_HUGETLB | (shift << MFD_HUGE_SHIFT) |
			  (keep ? MFD_MF_KEEP_UE_MAPPED : 0));
	if (fd == -1) {
		printf("%-5s %-13s memfd_create failed: %s\n",
		       shift == 21 ? "2MiB" : "1GiB", keep ? "keep" : "default",
		       strerror(errno));
		return;
	}
	if (keep < 0)
		m = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	else if (ftruncate(fd, sz) == 0)
		m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	else
		m = MAP_FAILED;
	if (m == MAP_FAILED) {
		printf("mmap failed: %s\n", strerror(errno));
		return;
	}
	for (off = 0; off < sz; off += PG)
		*(volatile uint64_t *)(m + off) = off;
	lsb = 0;
	lost = NULL;
	pthread_create(&th, NULL, poison, m + 3 * PG);
	pthread_join(th, NULL);
	first_lsb = lsb;
	/* Usable: loads without SIGBUS and was not reported lost. */
	for (off = 0; off < sz; off += PG) {
		if (sigsetjmp(jb, 0))
			continue;
		armed = 1;
		if (*(volatile uint64_t *)(m + off) == off &&
		    (m + off < lost || m + off >= lost + (1UL << first_lsb)))
			ok++;
		armed = 0;
	}
	long poisoned_nr = hp(sz, "nr_hugepages");

	munmap(m, sz);
	if (fd >= 0)
		close(fd);
	long tot1 = hp(sz, "nr_hugepages"), free1 = hp(sz, "free_hugepages");
	long stuck = (tot1 - free1) - (tot0 - free0);
	printf("%-5s %-8s SIGBUS si_addr_lsb=%-2d  usable 4K pages: %6zu of %6zu"
	       "  nr_hugepages at the error: %+ld; after close: %ld stuck in the pool, %ld offlined\n",
	       shift == 21 ? "2MiB" : "1GiB",
	       keep < 0 ? "anon" : keep ? "keep" : "default",
	       first_lsb, ok, sz / PG, poisoned_nr - tot0, stuck, tot0 - tot1);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	int keep = argc > 1 && !strcmp(argv[1], "keep");

	sigaction(SIGBUS, &sa, NULL);
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!keep)
		run(21, -1);
	run(21, keep);
	run(30, keep);
	return 0;
}
