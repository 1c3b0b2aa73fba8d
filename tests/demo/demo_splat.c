// SPDX-License-Identifier: GPL-2.0
/*
 * make test DEMO_FAIL=splat: a kernel WARN that does not crash the guest.
 * panic_on_warn is turned off first, so the run completes and only the
 * splat on the console can fail it. The WARN comes from LKDTM.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	int ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

int main(void)
{
	printf("TAP version 13\n1..1\n");
	if (put("/proc/sys/kernel/panic_on_warn", "0") ||
	    put("/sys/kernel/debug/provoke-crash/DIRECT", "WARNING")) {
		printf("not ok 1 demo_splat: cannot provoke a WARN\n");
		return 1;
	}
	/* The test itself passes: only the rig's splat check can fail it. */
	printf("ok 1 demo_splat\n");
	return 0;
}
