// SPDX-License-Identifier: GPL-2.0
/*
 * Host-driven scenario: the host injects a real machine check (QEMU `mce`,
 * SRAO) at the guest physical address of one base page inside a HugeTLB
 * memfd page. The process is early-kill, so it gets BUS_MCEERR_AO.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "kselftest_harness.h"
#include "rig_host.h"

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

static volatile sig_atomic_t got;
static volatile int code;
static void *volatile addr;
static volatile short lsb;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	code = si->si_code;
	addr = si->si_addr;
	lsb = si->si_addr_lsb;
	got++;
}

FIXTURE(mce) {
	int fd;
	char *map;
	size_t len;
};

FIXTURE_VARIANT(mce) {
	int shift;
	unsigned int mfd_flags;
};

FIXTURE_VARIANT_ADD(mce, default_2m) { .shift = 21, };
FIXTURE_VARIANT_ADD(mce, default_1g) { .shift = 30, };

FIXTURE_SETUP(mce)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };

	self->len = 1UL << variant->shift;
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	self->fd = memfd_create("mce", MFD_HUGETLB | variant->mfd_flags |
				(variant->shift << MFD_HUGE_SHIFT));
	if (self->fd < 0)
		SKIP(return, "memfd_create: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(self->fd, self->len));
	self->map = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	self->map[0] = 1;
	ASSERT_EQ(0, prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY,
			   0, 0));
}

FIXTURE_TEARDOWN(mce)
{
	prctl(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0);
	munmap(self->map, self->len);
	close(self->fd);
}

TEST_F(mce, srao_in_hugepage)
{
	char *victim = self->map + 7 * 4096 + 0x40;
	uint64_t pa = rig_virt_to_phys(victim);
	int i;

	ASSERT_NE(0, pa);
	got = 0;
	ASSERT_EQ(0, rig_host_mce(pa));
	for (i = 0; i < 5000 && !got; i++)
		usleep(1000);
	ASSERT_EQ(1, got);
	ASSERT_EQ(BUS_MCEERR_AO, code);
	ASSERT_EQ(self->map + 7 * 4096, addr);
	/* 6.12 default: the whole hugepage is reported and unmapped. */
	ASSERT_EQ(variant->shift, lsb);
}

TEST_HARNESS_MAIN
