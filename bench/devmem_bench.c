// SPDX-License-Identifier: GPL-2.0
/*
 * bench: memory_failure() around the registry of PFN ranges without struct
 * page (device memory), and on ordinary RAM as a regression check.
 *   route    memory_failure() through hard_offline_page of a PFN in a
 *            registered test range (hwpoison-inject pfn-range-add: its
 *            owner only counts), with 1 range and with 10,000 ranges of 16
 *            PFNs registered (the PFN in a range in the middle). The two
 *            configurations alternate (A B B A A ...) for `rounds` rounds;
 *            each round times m writes one by one after an untimed warm-up
 *            and reports their median. pfn-range-total-hits must grow by
 *            exactly the successful writes, or the program fails.
 *            "supported=0" when the kernel has no pfn-range-add.
 *   unowned  the same for a PFN nobody owns (the write fails with ENXIO),
 *            in each configuration; on a kernel without the registry,
 *            ranges=0.
 *   ram      memory_failure() through corrupt-pfn of each of n touched
 *            4 KiB anonymous pages of a fresh mapping, `rounds` mappings:
 *            the median time of one call per round. The pages stay
 *            poisoned and are never touched again (late kill: no signal).
 * Each "BENCH devmem_* ... median_ns" summary line gives the median of the
 * round medians and their min and max (the spread across rounds).
 * Times include the write(2) to the sysfs or debugfs file.
 * Usage: devmem_bench [m] [rounds] [n]	(defaults 2000, 5, 512)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#define PG 4096UL
#define HWPOISON_DIR "/sys/kernel/debug/hwpoison/"
#define RANGE_ADD HWPOISON_DIR "pfn-range-add"
#define RANGE_DEL HWPOISON_DIR "pfn-range-del"
#define RANGE_TOTAL HWPOISON_DIR "pfn-range-total-hits"
#define CORRUPT_PFN HWPOISON_DIR "corrupt-pfn"
#define HARD_OFFLINE "/sys/devices/system/memory/hard_offline_page"

/* Range i: [PFN_BASE + i * RANGE_STRIDE, + RANGE_NR), far above RAM */
#define PFN_BASE 0x100000000ULL
#define RANGE_STRIDE 32
#define RANGE_NR 16
#define NR_RANGES 10000
#define MID (NR_RANGES / 2)
#define PFN_OWNED_1 (PFN_BASE + 5)
#define PFN_OWNED_MID (PFN_BASE + MID * RANGE_STRIDE + 5)
#define PFN_UNOWNED (PFN_BASE + MID * RANGE_STRIDE + RANGE_NR + 4)

#define WARMUP 100
#define MAX_M 100000
#define MAX_ROUNDS 50
#define MAX_N 8192

static double *t_ns;
static long expected_hits;
static int nr_registered;	/* ranges 0 .. nr_registered - 1 */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Write @s to @path in one write(2): 0 or -errno */
static int write_str(const char *path, const char *s)
{
	ssize_t n, len = strlen(s);
	int fd, err;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return n == len ? 0 : -EIO;
}

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atol(buf) : -1;
}

static unsigned long long range_start(int i)
{
	return PFN_BASE + (unsigned long long)i * RANGE_STRIDE;
}

static int range_add(int i)
{
	char buf[64];

	/* Decimal: parsed with "%lu" or "%li" */
	snprintf(buf, sizeof(buf), "%llu %d", range_start(i), RANGE_NR);
	return write_str(RANGE_ADD, buf);
}

static int range_del(int i)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", range_start(i));
	return write_str(RANGE_DEL, buf);
}

/* Register or unregister ranges until 0 .. nr - 1 are registered */
static int set_ranges(int nr)
{
	int ret;

	while (nr_registered < nr) {
		ret = range_add(nr_registered);
		if (ret) {
			printf("BENCH devmem_route error=pfn-range-add %#llx: %s\n",
			       range_start(nr_registered), strerror(-ret));
			return ret;
		}
		nr_registered++;
	}
	while (nr_registered > nr) {
		ret = range_del(nr_registered - 1);
		if (ret) {
			printf("BENCH devmem_route error=pfn-range-del %#llx: %s\n",
			       range_start(nr_registered - 1), strerror(-ret));
			return ret;
		}
		nr_registered--;
	}
	return 0;
}

/*
 * memory_failure() of @pfn through hard_offline_page @fd, @warmup untimed
 * then @m timed writes, each expected to succeed (@owned) or to fail with
 * ENXIO. Returns the median time of one write in ns, or -1.
 */
static double hard_offline(int fd, unsigned long long pfn, int owned,
			   int warmup, int m)
{
	char buf[32];
	ssize_t len, ret;
	double t0;

	len = snprintf(buf, sizeof(buf), "0x%llx", pfn * PG);
	for (int i = 0; i < warmup + m; i++) {
		t0 = now_ns();
		ret = pwrite(fd, buf, len, 0);
		if (i >= warmup)
			t_ns[i - warmup] = now_ns() - t0;
		if (owned && ret == len) {
			expected_hits++;
			continue;
		}
		if (!owned && ret < 0 && errno == ENXIO)
			continue;
		printf("BENCH devmem_route error=hard_offline_page pfn %#llx owned=%d ranges=%d: ret %zd %s\n",
		       pfn, owned, nr_registered, ret,
		       ret < 0 ? strerror(errno) : "");
		return -1;
	}
	return median(t_ns, m);
}

/* Median, min and max of the round medians v[0 .. n - 1] (sorts v) */
static void summary(const char *what, const char *key, double *v, int n,
		    int m)
{
	double med = median(v, n);

	printf("BENCH %s %s rounds=%d n=%d median_ns=%.0f min_ns=%.0f max_ns=%.0f spread_pct=%.1f\n",
	       what, key, n, m, med, v[0], v[n - 1],
	       med > 0 ? 100.0 * (v[n - 1] - v[0]) / med : 0);
}

static int bench_route(int m, int rounds)
{
	static double own[2][MAX_ROUNDS], unown[2][MAX_ROUNDS];
	static const int nr[2] = { 1, NR_RANGES };
	static const unsigned long long pfn[2] = { PFN_OWNED_1, PFN_OWNED_MID };
	long hits0, hits;
	int fd, err = 0;
	double t;

	fd = open(HARD_OFFLINE, O_WRONLY);
	if (fd < 0) {
		printf("BENCH devmem_route error=%s: %s\n", HARD_OFFLINE,
		       strerror(errno));
		return -1;
	}
	if (access(RANGE_ADD, W_OK)) {
		/* No registry: the unowned path only */
		printf("BENCH devmem_route supported=0 errno=%s\n",
		       strerror(errno));
		for (int r = 0; r < rounds; r++) {
			t = hard_offline(fd, PFN_UNOWNED, 0, WARMUP, m);
			if (t < 0) {
				close(fd);
				return -1;
			}
			unown[0][r] = t;
		}
		summary("devmem_unowned", "ranges=0", unown[0], rounds, m);
		close(fd);
		return 0;
	}

	hits0 = read_long(RANGE_TOTAL);
	/* Rounds alternate the configurations: 1 10k, 10k 1, 1 10k, ... */
	for (int r = 0; r < rounds && !err; r++) {
		for (int k = 0; k < 2 && !err; k++) {
			int c = r % 2 ? 1 - k : k;

			err = set_ranges(nr[c]);
			if (err)
				break;
			t = hard_offline(fd, pfn[c], 1, WARMUP, m);
			if (t < 0) {
				err = -1;
				break;
			}
			own[c][r] = t;
			printf("BENCH devmem_route_round round=%d ranges=%d owned=1 median_ns=%.0f\n",
			       r, nr[c], t);
			t = hard_offline(fd, PFN_UNOWNED, 0, WARMUP, m);
			if (t < 0) {
				err = -1;
				break;
			}
			unown[c][r] = t;
			printf("BENCH devmem_route_round round=%d ranges=%d owned=0 median_ns=%.0f\n",
			       r, nr[c], t);
		}
	}
	close(fd);
	hits = read_long(RANGE_TOTAL);
	if (set_ranges(0))
		err = -1;
	if (err)
		return -1;

	printf("BENCH devmem_route supported=1\n");
	summary("devmem_route", "ranges=1", own[0], rounds, m);
	summary("devmem_route", "ranges=10000", own[1], rounds, m);
	summary("devmem_unowned", "ranges=1", unown[0], rounds, m);
	summary("devmem_unowned", "ranges=10000", unown[1], rounds, m);
	printf("BENCH devmem_hits expected=%ld got=%ld ok=%d\n", expected_hits,
	       hits - hits0, hits0 >= 0 && hits - hits0 == expected_hits);
	return hits0 >= 0 && hits - hits0 == expected_hits ? 0 : -1;
}

static int pfns_of(char *m, int n, uint64_t *pfn)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	ssize_t len = n * sizeof(*pfn);

	if (fd < 0)
		return -1;
	if (pread(fd, pfn, len, (uintptr_t)m / PG * sizeof(*pfn)) != len) {
		close(fd);
		return -1;
	}
	close(fd);
	for (int i = 0; i < n; i++) {
		/* Present, and the PFN is shown (root) */
		if (!(pfn[i] >> 63) || !(pfn[i] & ((1ULL << 55) - 1)))
			return -1;
		pfn[i] &= (1ULL << 55) - 1;
	}
	return 0;
}

/* corrupt-pfn of each page of @n fresh pages: median ns, or -1 */
static double ram_round(int fd, int n, int timed)
{
	static uint64_t pfn[MAX_N];
	char buf[32];
	ssize_t len, ret;
	double t0;
	char *m;

	m = mmap(NULL, n * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	madvise(m, n * PG, MADV_NOHUGEPAGE);
	for (int i = 0; i < n; i++)
		m[i * PG] = 1;
	if (pfns_of(m, n, pfn)) {
		printf("BENCH devmem_ram error=pagemap\n");
		return -1;
	}
	/* From here on, the pages are not touched again */
	for (int i = 0; i < n; i++) {
		len = snprintf(buf, sizeof(buf), "%llu",
			       (unsigned long long)pfn[i]);
		t0 = now_ns();
		ret = write(fd, buf, len);	/* not seekable: no pwrite */
		t_ns[i] = now_ns() - t0;
		if (ret != len) {
			printf("BENCH devmem_ram error=corrupt-pfn %#llx: ret %zd %s\n",
			       (unsigned long long)pfn[i], ret,
			       ret < 0 ? strerror(errno) : "");
			return -1;
		}
	}
	munmap(m, n * PG);
	return timed ? median(t_ns, n) : 0;
}

static int bench_ram(int n, int rounds)
{
	static double med[MAX_ROUNDS];
	double t;
	int fd;

	fd = open(CORRUPT_PFN, O_WRONLY);
	if (fd < 0) {
		printf("BENCH devmem_ram error=%s: %s\n", CORRUPT_PFN,
		       strerror(errno));
		return -1;
	}
	/* Warm-up: 16 pages, untimed */
	if (ram_round(fd, 16, 0) < 0) {
		close(fd);
		return -1;
	}
	for (int r = 0; r < rounds; r++) {
		t = ram_round(fd, n, 1);
		if (t < 0) {
			close(fd);
			return -1;
		}
		med[r] = t;
		printf("BENCH devmem_ram_round round=%d pages=%d median_ns=%.0f\n",
		       r, n, t);
	}
	close(fd);
	summary("devmem_ram", "what=anon_4k", med, rounds, n);
	return 0;
}

int main(int argc, char **argv)
{
	int m = argc > 1 ? atoi(argv[1]) : 2000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	int n = argc > 3 ? atoi(argv[3]) : 512;
	int err = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (m < 1 || m > MAX_M)
		m = 2000;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 5;
	if (n < 16 || n > MAX_N)
		n = 512;
	t_ns = calloc(m > n ? m : n, sizeof(*t_ns));
	if (!t_ns)
		return 1;
	/* Poisoned pages of ours are unmapped quietly: no early SIGBUS */
	prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0);

	err |= bench_route(m, rounds) < 0;
	err |= bench_ram(n, rounds) < 0;
	return err ? 1 : 0;
}
