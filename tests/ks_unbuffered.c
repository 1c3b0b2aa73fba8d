// SPDX-License-Identifier: GPL-2.0
/*
 * Linked into the kernel's own selftests that tests/kernel_suites.sh runs:
 * their output goes to a pipe, and a test that dies of a signal or abort()
 * would lose what it printed last, just what explains the failure.
 */
#include <stdio.h>

__attribute__((constructor)) static void ks_unbuffered(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
}
