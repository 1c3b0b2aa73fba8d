// SPDX-License-Identifier: GPL-2.0
/* Shrink the 2 MiB pool by 4 pages: frees HVO-optimized pages when HVO is on. */
#include <stdio.h>

int main(void)
{
	const char *p = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
	FILE *f = fopen(p, "r+");
	long n = 0;

	if (!f || fscanf(f, "%ld", &n) != 1)
		return 1;
	rewind(f);
	fprintf(f, "%ld\n", n - 4);
	fclose(f);
	printf("nr_hugepages %ld -> %ld\n", n, n - 4);
	return 0;
}
