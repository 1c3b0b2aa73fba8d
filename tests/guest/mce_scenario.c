// SPDX-License-Identifier: GPL-2.0
/*
 * Host-driven scenario: the host injects a real machine check (QEMU `mce`,
 * SRAO) at the guest physical address of one base page inside a HugeTLB
 * memfd page. The process is early-kill, so it gets BUS_MCEERR_AO.
 * Default policy: the error is reported for the whole hugepage, which is
 * unmapped. MFD_MF_KEEP_UE_MAPPED: it is reported for the base page, and
 * the rest of the hugepage stays mapped with its data.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "rig_memfd.h"

#include "kselftest_harness.h"
#include "rig_host.h"


static sigjmp_buf jb;
static volatile int armed;
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
	if (armed) {
		armed = 0;
		siglongjmp(jb, 1);
	}
}

/* Does a load of @p raise SIGBUS? */
static int load_faults(volatile char *p)
{
	if (sigsetjmp(jb, 0))
		return 1;
	armed = 1;
	(void)*p;
	armed = 0;
	return 0;
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
FIXTURE_VARIANT_ADD(mce, keep_2m) {
	.shift = 21, .mfd_flags = MFD_MF_KEEP_UE_MAPPED, };
FIXTURE_VARIANT_ADD(mce, keep_1g) {
	.shift = 30, .mfd_flags = MFD_MF_KEEP_UE_MAPPED, };

FIXTURE_SETUP(mce)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

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
	for (size_t off = 0; off < self->len; off += 64 * 1024)
		*(size_t *)(self->map + off) = off;
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
	if (!variant->mfd_flags) {
		/* 6.12 default: the whole hugepage is reported and unmapped. */
		ASSERT_EQ(variant->shift, lsb);
		ASSERT_EQ(1, load_faults(self->map + self->len - 4096));
		ASSERT_EQ(BUS_MCEERR_AR, code);
		ASSERT_EQ(variant->shift, lsb);
		return;
	}
	/* Kept: one base page lost; the rest is mapped, same data. */
	ASSERT_EQ(12, lsb);
	got = 0;
	for (size_t off = 0; off < self->len; off += 64 * 1024)
		ASSERT_EQ(off, *(size_t *)(self->map + off));
	ASSERT_EQ(0, got);
	ASSERT_EQ(pa & ~4095ULL, rig_virt_to_phys(victim) & ~4095ULL);
}

TEST_HARNESS_MAIN
