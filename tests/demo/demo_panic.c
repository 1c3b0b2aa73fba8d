// SPDX-License-Identifier: GPL-2.0
/* make test DEMO_FAIL=panic: crash the guest kernel (sysrq c). */
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	return fd < 0 || write(fd, "c", 1) != 1;
}
