// SPDX-License-Identifier: GPL-2.0
/*
 * Shrink the 2 MiB pool by 4 pages and check that it shrank. With HVO on
 * this frees optimized pages, which printed "BUG: Bad page state" on
 * 6.12.117 (fixed by patch 0003); the rig fails the run on any such splat.
 * Run in the HVO boot of make test. TAP output.
 */
#include <stdio.h>

#define NR "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

static long read_nr(void)
{
	FILE *f = fopen(NR, "r");
	long n = -1;

	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

int main(void)
{
	long n = read_nr(), after;
	FILE *f = fopen(NR, "w");
	int ok;

	printf("TAP version 13\n1..1\n");
	ok = n >= 4 && f && fprintf(f, "%ld\n", n - 4) > 0;
	if (f && fclose(f))
		ok = 0;
	after = read_nr();
	ok = ok && after == n - 4;
	printf("# nr_hugepages %ld -> %ld\n", n, after);
	printf("%sok 1 hvo_pool_shrink\n", ok ? "" : "not ");
	return !ok;
}
