// SPDX-License-Identifier: GPL-2.0
/*
 * Shrink the 2 MiB pool by 4 pages. With HVO on this frees optimized pages,
 * which printed "BUG: Bad page state" on 6.12.117 (fixed by patch 0003);
 * the rig fails the run on any such splat. Run in the HVO boot of make test.
 */
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
