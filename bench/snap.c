// SPDX-License-Identifier: GPL-2.0
/*
 * snap: the snapshot/rollback benchmark, one process per memory size.
 *
 *   snap MIB [--4k] [--take] [--fork R] [--rollback R K,...]
 *            [--all-reps R] [--loop SECONDS K,K,...]
 *
 * Maps MIB MiB of private anonymous memory and writes every page (non-zero
 * data), once, then runs the parts asked for, in this order.  --4k:
 * MADV_NOHUGEPAGE on the region first (otherwise THP backs what it can).
 *
 *   --take        One ckpt_snapshot() and one ckpt_drop(), each timed with
 *                 CLOCK_MONOTONIC around the call (and the kernel's own
 *                 capture_ns, read with CKPT_IOC_LIST before the drop);
 *                 then one more ckpt_snapshot() whose outcome is printed
 *                 ("resnap"): a snapshot after the process dropped its
 *                 last one.
 *   --fork R      R x fork() + child _exit(0) + waitpid(): the time until
 *                 fork() returns in the parent, and the whole cycle; the
 *                 first one (on memory no fork or snapshot has touched,
 *                 like --take's) and the median of all R.
 *   --rollback R K,...
 *                 One snapshot; for each K: one warm-up round then R
 *                 rounds of (write one byte in each of K distinct
 *                 pseudo-random pages of the region, t0 = now,
 *                 ckpt_rollback()); the time is taken when ckpt_snapshot()
 *                 returns 1.  "all" = every page of the region (rounds:
 *                 --all-reps, default R).  "huge" = one page in every
 *                 2 MiB, one round, no warm-up: put first, it splits
 *                 every THP of the region (a write to a huge page under a
 *                 snapshot splits it), so that the other K all see the
 *                 same page tables.  The module's counters are read after
 *                 the first and the last round of each K.
 *   --loop S K,...
 *                 Fuzzer loops, S seconds each: first a fork server for
 *                 every K ({fork; the child dirties K pages and _exit()s;
 *                 waitpid}), then one snapshot and for every K
 *                 {dirty K pages; rollback} until S seconds have passed.
 *                 Iterations per second.
 *
 * Give one of --take, --rollback, --loop per process: each takes exactly
 * one snapshot and drops it (--take then only tries another), because a
 * process cannot take a snapshot again once it has dropped its last one
 * (see "resnap" in docs/bench-snap.md).
 *
 * Prints one line per result, "KEY MIB PG K VALUE..." (PG: thp or 4k; "-"
 * for no K), times in nanoseconds; a median line's values are "median
 * min max n".  Rollback rewinds all private memory (stack, heap,
 * globals, stdio buffers), so everything that must outlive a rollback is
 * in a MAP_SHARED region, which a rollback leaves alone; stdout is
 * flushed before every snapshot and written only when no rollback is
 * pending.  A rollback also rewinds file offsets: stdout must be a pipe,
 * a terminal or an O_APPEND file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ckpt.h"

#define PG	4096UL
#define MAXK	16
#define MAXR	64

struct shared {
	/* rollback part */
	int ki, it;			/* current K (index), round (-1: warm-up) */
	uint64_t t0;
	uint64_t rb_ns[MAXK][MAXR];
	uint64_t dirty_ns[MAXK][MAXR];
	struct ckpt_counters c_first[MAXK], c_last[MAXK];
	/* loop part */
	uint64_t loop_iters, loop_end, loop_last;
	/* shared PRNG: advances across rollbacks */
	uint64_t rng;
};

static struct shared *sh;
static unsigned char *mem;
static size_t npages;
static int ctr_fd = -1;
static const char *pgname = "thp";	/* or "4k": --4k */

static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "snap: %s: %s (%s)\n", what, strerror(errno), ckpt_errmsg());
	exit(1);
}

static uint64_t rnd(void)
{
	uint64_t x = sh->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return sh->rng = x;
}

static size_t gcd(size_t a, size_t b)
{
	while (b) {
		size_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* One byte in each of k distinct pages: page i -> (a * i + b) mod n. */
#define K_ALL	((size_t)-1)	/* every page */
#define K_HUGE	((size_t)-2)	/* one page in every 2 MiB */
#define HPAGES	512		/* 4 KiB pages in 2 MiB */

static void dirty(size_t k, unsigned char val)
{
	size_t a, b, i;

	if (k == K_HUGE) {
		for (i = 0; i < npages; i += HPAGES)
			mem[i * PG] = val;
		return;
	}
	if (k >= npages) {
		for (i = 0; i < npages; i++)
			mem[i * PG + (i & (PG - 1))] = val;
		return;
	}
	do
		a = rnd() % npages;
	while (!a || gcd(a, npages) != 1);
	b = rnd() % npages;
	for (i = 0; i < k; i++)
		mem[((a * i + b) % npages) * PG + (i & (PG - 1))] = val;
}

static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* "KEY MIB PG K median min max n" */
static void stat_line(const char *key, unsigned long mib, const char *k,
		      uint64_t *v, int n)
{
	uint64_t s[MAXR];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp64);
	printf("%s %lu %s %s %llu %llu %llu %d\n", key, mib, pgname, k,
	       (unsigned long long)(n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2),
	       (unsigned long long)s[0], (unsigned long long)s[n - 1], n);
}

static void counters(struct ckpt_counters *c)
{
	if (ckpt_get_counters(ctr_fd, c) < 0)
		die("counters");
}

/* One snapshot that is never rolled back to: 0 or die. */
static __attribute__((noinline)) uint64_t timed_snapshot(int *id)
{
	uint64_t t0, t1;
	int rc;

	t0 = now();
	rc = ckpt_snapshot(id);
	t1 = now();
	if (rc != 0)
		die(rc < 0 ? "snapshot" : "snapshot returned 1 unasked");
	return t1 - t0;
}

static void take(unsigned long mib)
{
	struct ckpt_snap_info info;
	uint64_t t_snap, t_drop, t0;
	unsigned int count;
	int id;

	fflush(stdout);
	t_snap = timed_snapshot(&id);
	if (ckpt_snap_list(ctr_fd, 0, &info, 1, &count, NULL, 0) < 0 || count != 1)
		die("list");
	t0 = now();
	if (ckpt_drop(id) < 0)
		die("drop");
	t_drop = now() - t0;
	printf("snap_take_ns %lu %s - %llu\n", mib, pgname, (unsigned long long)t_snap);
	printf("snap_capture_ns %lu %s - %llu\n", mib, pgname, (unsigned long long)info.capture_ns);
	printf("snap_drop_ns %lu %s - %llu\n", mib, pgname, (unsigned long long)t_drop);
	printf("snap_pages %lu %s - %llu\n", mib, pgname, (unsigned long long)info.pages);
	fflush(stdout);
	/* A second snapshot, after the first was dropped. */
	if (ckpt_snapshot(&id) == 0) {
		printf("resnap %lu %s - ok\n", mib, pgname);
		ckpt_drop(id);
	} else {
		printf("resnap %lu %s - failed: %s: %s\n", mib, pgname, strerror(errno),
		       ckpt_errmsg());
	}
	fflush(stdout);
}

static void forks(unsigned long mib, int reps)
{
	uint64_t t_fork[MAXR], t_cyc[MAXR];
	int r;

	for (r = 0; r < reps; r++) {
		uint64_t t0, t1;
		pid_t pid;
		int st;

		fflush(stdout);
		t0 = now();
		pid = fork();
		if (pid == 0)
			_exit(0);
		t1 = now();
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			die("fork");
		t_cyc[r] = now() - t0;
		t_fork[r] = t1 - t0;
	}
	printf("fork_first_ns %lu %s - %llu\n", mib, pgname, (unsigned long long)t_fork[0]);
	printf("fork_cycle_first_ns %lu %s - %llu\n", mib, pgname, (unsigned long long)t_cyc[0]);
	stat_line("fork_ns", mib, "-", t_fork, reps);
	stat_line("fork_cycle_ns", mib, "-", t_cyc, reps);
	fflush(stdout);
}

/* Measured rounds for K, and the first round (-1: a warm-up first). */
static int rounds(size_t k, int reps, int all_reps)
{
	return k == K_HUGE ? 1 : k >= npages ? all_reps : reps;
}

static int first_round(size_t k)
{
	return k == K_HUGE ? 0 : -1;
}

/*
 * After the snapshot returned (0 or 1): record the round that ended, then
 * start the next one (never returns) or return when all are done.
 */
static __attribute__((noinline)) void rb_step(int id, int back, const size_t *ks,
					      int nk, int reps, int all_reps)
{
	uint64_t t1 = now();
	int n;

	if (back) {
		n = rounds(ks[sh->ki], reps, all_reps);
		if (sh->it >= 0)
			sh->rb_ns[sh->ki][sh->it] = t1 - sh->t0;
		if (sh->it == 0)
			counters(&sh->c_first[sh->ki]);
		if (sh->it == n - 1) {
			counters(&sh->c_last[sh->ki]);
			sh->ki++;
			if (sh->ki < nk)
				sh->it = first_round(ks[sh->ki]);
		} else {
			sh->it++;
		}
	}
	if (sh->ki >= nk)
		return;
	n = sh->it;
	t1 = now();
	dirty(ks[sh->ki], (unsigned char)(n + 2));
	sh->t0 = now();
	if (n >= 0)
		sh->dirty_ns[sh->ki][n] = sh->t0 - t1;
	ckpt_rollback(id);
	die("rollback");
}

static void rollback(unsigned long mib, const size_t *ks, int nk, int reps, int all_reps)
{
	char kname[32];
	int id, rc, i, n;

	sh->ki = 0;
	sh->it = first_round(ks[0]);
	fflush(stdout);
	rc = ckpt_snapshot(&id);
	if (rc < 0)
		die("snapshot");
	rb_step(id, rc, ks, nk, reps, all_reps);
	if (ckpt_drop(id) < 0)
		die("drop");
	for (i = 0; i < nk; i++) {
		n = rounds(ks[i], reps, all_reps);
		if (ks[i] == K_HUGE)
			snprintf(kname, sizeof(kname), "huge:%zu", (npages + HPAGES - 1) / HPAGES);
		else if (ks[i] >= npages)
			snprintf(kname, sizeof(kname), "all:%zu", npages);
		else
			snprintf(kname, sizeof(kname), "%zu", ks[i]);
		stat_line("rollback_ns", mib, kname, sh->rb_ns[i], n);
		stat_line("dirty_ns", mib, kname, sh->dirty_ns[i], n);
		printf("rb_counters %lu %s %s hbuf_chunks %llu %llu hbuf_bytes %llu %llu page_refs %llu %llu snapshots %llu %llu\n",
		       mib, pgname, kname,
		       (unsigned long long)sh->c_first[i].hbuf_chunks,
		       (unsigned long long)sh->c_last[i].hbuf_chunks,
		       (unsigned long long)sh->c_first[i].hbuf_bytes,
		       (unsigned long long)sh->c_last[i].hbuf_bytes,
		       (unsigned long long)sh->c_first[i].page_refs,
		       (unsigned long long)sh->c_last[i].page_refs,
		       (unsigned long long)sh->c_first[i].snapshots,
		       (unsigned long long)sh->c_last[i].snapshots);
	}
	fflush(stdout);
}

/*
 * One snapshot; for each K: {dirty K pages; rollback} until sh->loop_end
 * (iterations and end time in sh), then the next K.
 */
static __attribute__((noinline)) void snap_loop(unsigned long mib, const size_t *ks,
						int nk, uint64_t budget)
{
	int id, rc;

	sh->ki = 0;
	sh->loop_iters = 0;
	fflush(stdout);
	sh->t0 = now();
	sh->loop_end = sh->t0 + budget;
	rc = ckpt_snapshot(&id);
	if (rc < 0)
		die("snapshot");
	if (rc == 1)
		sh->loop_iters++;
	sh->loop_last = now();
	if (sh->loop_last >= sh->loop_end) {
		/* stdout was flushed before the snapshot: nothing is pending */
		printf("loop_snap %lu %s %zu %llu %llu\n", mib, pgname, ks[sh->ki],
		       (unsigned long long)sh->loop_iters,
		       (unsigned long long)(sh->loop_last - sh->t0));
		fflush(stdout);
		if (++sh->ki == nk) {
			if (ckpt_drop(id) < 0)
				die("drop");
			return;
		}
		sh->loop_iters = 0;
		sh->t0 = now();
		sh->loop_end = sh->t0 + budget;
	}
	dirty(ks[sh->ki], (unsigned char)sh->loop_iters);
	ckpt_rollback(id);
	die("rollback");
}

static void loop(unsigned long mib, const size_t *ks, int nk, double secs)
{
	uint64_t budget = (uint64_t)(secs * 1e9), t0, iters;
	int i;

	for (i = 0; i < nk; i++) {
		size_t k = ks[i];

		fflush(stdout);
		iters = 0;
		t0 = now();
		for (;;) {
			uint64_t t = now();
			pid_t pid;
			int st;

			if (t >= t0 + budget) {
				printf("loop_fork %lu %s %zu %llu %llu\n", mib, pgname, k,
				       (unsigned long long)iters,
				       (unsigned long long)(t - t0));
				break;
			}
			pid = fork();
			if (pid == 0) {
				dirty(k, (unsigned char)iters);
				_exit(0);
			}
			if (pid < 0 || waitpid(pid, &st, 0) != pid || st)
				die("fork server");
			iters++;
		}
		fflush(stdout);
	}
	snap_loop(mib, ks, nk, budget);
}

static int parse_ks(char *s, size_t *ks)
{
	int n = 0;

	for (s = strtok(s, ","); s && n < MAXK; s = strtok(NULL, ","))
		ks[n++] = !strcmp(s, "all") ? K_ALL :
			  !strcmp(s, "huge") ? K_HUGE : strtoul(s, NULL, 0);
	return n;
}

int main(int argc, char **argv)
{
	size_t rb_ks[MAXK], loop_ks[MAXK], len, i;
	int do_take = 0, fork_r = 0, nothp = 0, rb_r = 0, all_r = 0, rb_n = 0, loop_n = 0;
	double loop_s = 0;
	unsigned long mib;
	uint64_t x = 88172645463325252ULL, t0, *p;

	if (argc < 2)
		goto usage;
	mib = strtoul(argv[1], NULL, 0);
	for (i = 2; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--take")) {
			do_take = 1;
		} else if (!strcmp(argv[i], "--4k")) {
			nothp = 1;
		} else if (!strcmp(argv[i], "--fork") && i + 1 < (size_t)argc) {
			fork_r = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--rollback") && i + 2 < (size_t)argc) {
			rb_r = atoi(argv[++i]);
			rb_n = parse_ks(argv[++i], rb_ks);
		} else if (!strcmp(argv[i], "--all-reps") && i + 1 < (size_t)argc) {
			all_r = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--loop") && i + 2 < (size_t)argc) {
			loop_s = atof(argv[++i]);
			loop_n = parse_ks(argv[++i], loop_ks);
		} else {
			goto usage;
		}
	}
	if (!mib || fork_r < 0 || fork_r > MAXR || rb_r < 0 || rb_r > MAXR ||
	    all_r < 0 || all_r > MAXR || (rb_n && !rb_r))
		goto usage;
	if (!all_r)
		all_r = rb_r;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	len = mib << 20;
	npages = len / PG;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || mem == MAP_FAILED)
		die("mmap");
	if (nothp && madvise(mem, len, MADV_NOHUGEPAGE) < 0)
		die("madvise");
	if (nothp)
		pgname = "4k";
	sh->rng = 0x9e3779b97f4a7c15ULL ^ mib;
	t0 = now();
	for (p = (uint64_t *)mem, i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x | 1;
	}
	printf("touch_ns %lu %s - %llu\n", mib, pgname, (unsigned long long)(now() - t0));
	ctr_fd = ckpt_dev_open();
	if (ctr_fd < 0)
		die("open /dev/ckpt");
	/* How much of the region THP backs (it changes what fork copies). */
	{
		FILE *f = fopen("/proc/self/smaps_rollup", "r");
		char line[256];
		unsigned long kb;

		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
				printf("thp_mib %lu %s - %lu\n", mib, pgname, kb >> 10);
		if (f)
			fclose(f);
	}
	fflush(stdout);
	if (do_take)
		take(mib);
	if (fork_r)
		forks(mib, fork_r);
	if (rb_n)
		rollback(mib, rb_ks, rb_n, rb_r, all_r);
	if (loop_n)
		loop(mib, loop_ks, loop_n, loop_s);
	return 0;
usage:
	fprintf(stderr, "usage: snap MIB [--4k] [--take] [--fork R] [--rollback R K|all|huge,..] [--all-reps R] [--loop SECONDS K,..]\n");
	return 2;
}
