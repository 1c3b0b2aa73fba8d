/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest side of the rig's host channel (ttyS2, served by scripts/vmhost.py):
 * ask the host to inject a real machine check at a guest physical address.
 */
#ifndef RIG_HOST_H
#define RIG_HOST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RIG_CHANNEL "/dev/ttyS2"

/* Guest physical address of the page mapping @addr, or 0. */
static inline uint64_t rig_virt_to_phys(const void *addr)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, 8, (uintptr_t)addr / 4096 * 8) != 8)
		ent = 0;
	close(fd);
	if (!(ent & (1ULL << 63)))
		return 0;
	return (ent & ((1ULL << 55) - 1)) * 4096 + (uintptr_t)addr % 4096;
}

/*
 * Inject an action-optional UE (SRAO, memory scrub) at @pa from the QEMU
 * monitor. Returns 0 once the host has delivered it, -1 otherwise.
 */
static inline int rig_host_mce(uint64_t pa)
{
	char buf[64];
	int fd, n, len = 0;

	fd = open(RIG_CHANNEL, O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "MCE %#llx\n", (unsigned long long)pa);
	if (write(fd, buf, n) != n) {
		close(fd);
		return -1;
	}
	while (len < (int)sizeof(buf) - 1) {
		n = read(fd, buf + len, 1);
		if (n < 0 && errno == EINTR)	/* e.g. the SIGBUS we asked for */
			continue;
		if (n <= 0 || buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = 0;
	close(fd);
	return strcmp(buf, "OK") ? -1 : 0;
}

#endif
