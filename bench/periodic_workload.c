// SPDX-License-Identifier: GPL-2.0
/*
 * periodic_workload MIB RATE [--thp] [--forks N] [--seconds S]
 *
 * The target of the periodic-checkpoint benchmark (bench/periodic-guest.sh):
 *
 *   1. maps MIB MiB of private anonymous memory (MADV_NOHUGEPAGE, 4 KiB
 *      pages, unless --thp: then the system's THP policy applies) and
 *      writes every page with non-zero data (nothing an image could skip);
 *   2. times its own fork(), N times (default 5): "fork_us" is the time
 *      fork() takes to return in the parent (how long the parent is held,
 *      what frozen_us compares with), "fork_total_us" that plus the
 *      child's _exit(0) and the waitpid() (the child's mm torn down); the
 *      first fork of the process is printed on its own and left out of the
 *      medians;
 *   3. prints one line "fork_first_us=.. fork_us=.. fork_total_us=..
 *      forks=N pages=.. thp_kib=.." and then "ready";
 *   4. dirties RATE MiB/s: every 10 ms it writes one word in as many
 *      random pages as the rate calls for by then (a backlog after being
 *      stopped is caught up, but never more than 100 ms of it), until
 *      SIGTERM/SIGINT or S seconds (0: no limit).
 *
 * On SIGUSR2 it times N forks again, on the pages as the writer has left
 * them, and prints "fork_late_us=.. fork_late_total_us=..".
 *
 * Under TCG the writer may not manage RATE: on SIGUSR1 it prints
 * "writer t_us=T writes=W" (both since "ready", W the page writes so far),
 * so a caller can take the rate it really got over any window by the
 * difference of two such lines.  At exit it prints the same line and
 * "achieved_mib_s=X target_mib_s=RATE".
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS 10000000ULL		/* 10 ms */
#define MAX_BACKLOG_TICKS 10

static volatile sig_atomic_t stop_flag, report_flag, refork_flag;

static void on_stop(int sig) { (void)sig; stop_flag = 1; }
static void on_report(int sig) { (void)sig; report_flag = 1; }
static void on_refork(int sig) { (void)sig; refork_flag = 1; }

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t xs(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One fork: @ret_ns until fork returns in the parent, @tot_ns until reaped. */
static int one_fork(uint64_t *ret_ns, uint64_t *tot_ns)
{
	uint64_t t0 = now_ns(), t1;
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(0);
	t1 = now_ns();
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	*ret_ns = t1 - t0;
	*tot_ns = now_ns() - t0;
	return 0;
}

/* AnonHugePages of this process in kB (how much THP it really got). */
static long thp_kib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void usage(void)
{
	fprintf(stderr, "usage: periodic_workload MIB RATE_MIB_S [--thp] [--forks N] [--seconds S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long mib, forks = 5, seconds = 0, i;
	double rate;
	int thp = 0;
	size_t len, npages, pg = 4096;
	uint64_t *p, x = 88172645463325252ULL, t_start, next, writes = 0, due;
	uint64_t sched = 0, backlog;
	uint64_t fork_first = 0, tot_first = 0, *fr, *ft, t;
	double pages_per_ns;
	struct sigaction sa;
	int a;

	if (argc < 3)
		usage();
	mib = strtoul(argv[1], NULL, 0);
	rate = strtod(argv[2], NULL);
	for (a = 3; a < argc; a++) {
		if (!strcmp(argv[a], "--thp"))
			thp = 1;
		else if (!strcmp(argv[a], "--forks") && a + 1 < argc)
			forks = strtoul(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--seconds") && a + 1 < argc)
			seconds = strtoul(argv[++a], NULL, 0);
		else
			usage();
	}
	if (!mib || rate < 0 || forks < 1)
		usage();
	len = mib << 20;
	npages = len / pg;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	if (!thp && madvise(p, len, MADV_NOHUGEPAGE))
		perror("madvise(MADV_NOHUGEPAGE)");
	for (i = 0; i < len / 8; i++)
		p[i] = xs(&x) | 1;

	fr = calloc(forks, sizeof(*fr));
	ft = calloc(forks, sizeof(*ft));
	if (!fr || !ft || one_fork(&fork_first, &tot_first))
		return 1;
	for (i = 0; i < forks; i++)
		if (one_fork(&fr[i], &ft[i]))
			return 1;
	printf("fork_first_us=%llu fork_first_total_us=%llu fork_us=%llu fork_total_us=%llu forks=%lu region_pages=%zu thp_kib=%ld\n",
	       (unsigned long long)fork_first / 1000, (unsigned long long)tot_first / 1000,
	       (unsigned long long)median(fr, forks) / 1000,
	       (unsigned long long)median(ft, forks) / 1000, forks, npages, thp_kib());

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_report;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_refork;
	sigaction(SIGUSR2, &sa, NULL);
	printf("ready\n");
	fflush(stdout);

	pages_per_ns = rate * 256.0 / 1e9;	/* 256 pages of 4 KiB per MiB */
	backlog = (uint64_t)(pages_per_ns * TICK_NS * MAX_BACKLOG_TICKS) + 1;
	t_start = now_ns();
	next = t_start;
	while (!stop_flag) {
		struct timespec ts;

		t = now_ns();
		if (seconds && t - t_start >= seconds * 1000000000ULL)
			break;
		due = (uint64_t)((double)(t - t_start) * pages_per_ns);
		/* After a long stop, catch up on 100 ms at most: the rest
		 * of the backlog is dropped from the schedule, unwritten. */
		if (due > sched + backlog)
			sched = due - backlog;
		for (; sched < due && !stop_flag; sched++, writes++) {
			uint64_t v = xs(&x);
			size_t page = v % npages, word = (v >> 40) % (pg / 8);

			p[page * (pg / 8) + word] = v | 1;
		}
		if (refork_flag) {
			/* fork() again, now that the writer has scattered the
			 * pages (the state checkpoints see), not on fresh ones. */
			refork_flag = 0;
			for (i = 0; i < forks; i++)
				if (one_fork(&fr[i], &ft[i]))
					return 1;
			printf("fork_late_us=%llu fork_late_total_us=%llu\n",
			       (unsigned long long)median(fr, forks) / 1000,
			       (unsigned long long)median(ft, forks) / 1000);
			fflush(stdout);
		}
		if (report_flag) {
			report_flag = 0;
			printf("writer t_us=%llu writes=%llu\n",
			       (unsigned long long)(now_ns() - t_start) / 1000,
			       (unsigned long long)writes);
			fflush(stdout);
		}
		next += TICK_NS;
		if (next < now_ns())
			next = now_ns();
		ts.tv_sec = next / 1000000000ULL;
		ts.tv_nsec = next % 1000000000ULL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	t = now_ns() - t_start;
	printf("writer t_us=%llu writes=%llu\n", (unsigned long long)t / 1000,
	       (unsigned long long)writes);
	printf("achieved_mib_s=%.2f target_mib_s=%.2f\n",
	       t ? writes / 256.0 / (t / 1e9) : 0.0, rate);
	return 0;
}
