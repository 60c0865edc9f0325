// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm: seccomp filters, per thread, in a multi-threaded process.
 *
 * Each filter makes one harmless syscall fail with an errno of its own:
 *   F1, made by main before any thread (so every thread has it):
 *       sched_get_priority_min -> 77
 *   F2, made by worker A for itself, with SECCOMP_FILTER_FLAG_LOG:
 *       sched_get_priority_max -> 78
 *   F3, made by main once the workers exist (so only main has it):
 *       sched_rr_get_interval -> 79
 * Workers B and C have F1 alone, the same filters: an image names B's
 * for C (same_as).  Thread S, made before F1, is in strict mode
 * (SECCOMP_MODE_STRICT), blocked in read(2) on a pipe; it answers a byte
 * with a byte.
 *
 * After the restore every thread checks the errno each call gives it,
 * and main checks each thread's Seccomp, Seccomp_filters and NoNewPrivs
 * in /proc, and that S still answers.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "zdtm.h"

/* A filter: @nr fails with @err, everything else is allowed. */
static void deny(long nr, int err, unsigned int flags)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog))
		zdtm_fail("seccomp: %s", strerror(errno));
}

/* The errno of syscall @nr, 0 if it succeeds. */
static int err_of(long nr)
{
	struct timespec ts;

	if (nr == SYS_sched_rr_get_interval)
		return syscall(nr, 0, &ts) ? errno : 0;
	return syscall(nr, SCHED_OTHER) < 0 ? errno : 0;
}

struct worker {
	const char *name;
	int want_min, want_max, want_rr;
	pid_t tid;
	char why[128];
};

static struct worker workers[3] = {
	{ .name = "A", .want_min = 77, .want_max = 78 },
	{ .name = "B", .want_min = 77 },
	{ .name = "C", .want_min = 77 },
};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int started, go;
static volatile pid_t strict_tid;
static int to_s[2], from_s[2];

static void check_own(const char *name, int min, int max, int rr, char *why,
		      size_t len)
{
	int a = err_of(SYS_sched_get_priority_min);
	int b = err_of(SYS_sched_get_priority_max);
	int c = err_of(SYS_sched_rr_get_interval);

	if (a != min || b != max || c != rr)
		snprintf(why, len,
			 "thread %s: errnos %d %d %d, not %d %d %d", name, a, b,
			 c, min, max, rr);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->tid = syscall(SYS_gettid);
	if (w->want_max)
		deny(SYS_sched_get_priority_max, 78, SECCOMP_FILTER_FLAG_LOG);
	pthread_mutex_lock(&lock);
	started++;
	pthread_cond_broadcast(&cond);
	/* An untimed futex wait across the checkpoint. */
	while (!go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	check_own(w->name, w->want_min, w->want_max, w->want_rr, w->why,
		  sizeof(w->why));
	return NULL;
}

/* Strict mode: read, write and exit only. */
static void *strict_main(void *arg)
{
	char c;

	(void)arg;
	strict_tid = syscall(SYS_gettid);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT))
		zdtm_fail("PR_SET_SECCOMP strict: %s", strerror(errno));
	for (;;) {
		if (syscall(SYS_read, to_s[0], &c, 1) != 1)
			syscall(SYS_exit, 1);
		if (c == 'q')
			syscall(SYS_exit, 0);
		c++;
		syscall(SYS_write, from_s[1], &c, 1);
	}
}

static void check_status(const char *name, pid_t tid, long mode, long filters)
{
	long m = zdtm_status_field(tid, "Seccomp");
	long nf = zdtm_status_field(tid, "Seccomp_filters");
	long nnp = zdtm_status_field(tid, "NoNewPrivs");

	CHECK(m == mode && nf == filters && nnp == 1,
	      "thread %s (%d): Seccomp %ld, Seccomp_filters %ld, NoNewPrivs %ld; not %ld, %ld, 1",
	      name, tid, m, nf, nnp, mode, filters);
}

static void ask_strict(char c)
{
	struct pollfd pfd = { from_s[0], POLLIN, 0 };
	char r;

	CHECK(write(to_s[1], &c, 1) == 1, "write to S: %s", strerror(errno));
	CHECK(poll(&pfd, 1, 5000) == 1 && read(from_s[0], &r, 1) == 1 &&
	      r == c + 1, "thread S does not answer");
}

int main(int argc, char **argv)
{
	char why[128] = "";
	pthread_t t[3], s;
	int i;

	zdtm_init(&argc, argv);
	if (pipe(to_s) || pipe(from_s))
		zdtm_fail("pipe: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		zdtm_fail("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/* First: a thread with a filter cannot enter strict mode. */
	pthread_create(&s, NULL, strict_main, NULL);
	while (!strict_tid)
		usleep(1000);
	deny(SYS_sched_get_priority_min, 77, 0);
	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, worker_main, &workers[i]);
	pthread_mutex_lock(&lock);
	while (started < 3)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	deny(SYS_sched_rr_get_interval, 79, 0);
	ask_strict('a');
	zdtm_ready();
	zdtm_wait();

	check_own("main", 77, 0, 79, why, sizeof(why));
	CHECK(!why[0], "%s", why);
	check_status("main", getpid(), 2, 2);
	check_status("A", workers[0].tid, 2, 2);
	check_status("B", workers[1].tid, 2, 1);
	check_status("C", workers[2].tid, 2, 1);
	check_status("S", strict_tid, 1, 0);
	ask_strict('m');
	pthread_mutex_lock(&lock);
	go = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		CHECK(!workers[i].why[0], "%s", workers[i].why);
	}
	CHECK(write(to_s[1], "q", 1) == 1, "write to S");
	pthread_join(s, NULL);
	zdtm_pass();
}
