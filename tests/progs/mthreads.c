// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm: a multi-threaded process, its threads parked in every way while
 * it is dumped and restored, each checking its own state afterwards.
 *
 *   mthreads [--wait=sleep|spin|read|nanosleep] [NTHREADS]
 *					(default 16; kinds round-robin)
 *
 * Not --wait=sigsuspend: main's empty temporary mask would take the
 * process-wide signal that must stay pending.
 *
 * Kinds: 0 spins in user mode with a pattern in ymm8-15 (xmm8-15 without
 * AVX); 1 pthread_cond_wait; 2 pthread_cond_timedwait; 3 read() on a
 * pipe; 4 nanosleep(), with a private signal queued to it; 5 sigsuspend()
 * with a temporary mask; 6 increments a counter under a mutex; 7 ppoll()
 * with a temporary mask, the first of them holding a robust mutex that it
 * leaves locked when it ends.
 *
 * Each thread checks, after the restore: its tid, a TLS value, its name,
 * its no_new_privs (every third one set its own, main none),
 * its blocked mask, its altstack, its rseq cpu_id, its registers (kind 0).  main checks
 * that the counter went on, that every thread joins (clear_child_tid),
 * that the robust mutex gives EOWNERDEAD, and that a process-wide signal
 * queued with a value is still pending.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>

#include "zdtm.h"

#define KINDS	8
#define SIG_WAKE	(SIGRTMIN + 2)
#define SIG_SHARED	(SIGRTMIN + 1)

struct th {
	pthread_t pt;
	int idx, kind;
	pid_t tid;
	int pipe[2];
	char altstack[16384];
	char err[160];
};

static struct th *ths;
static int nr;
static volatile int stop;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t robust;
static pthread_barrier_t started;
static unsigned long counter;
static __thread int tls_idx = -1;
static bool have_avx;

/* The cpu_id of this thread's rseq area (glibc registers one), or -2. */
static int rseq_cpu(void)
{
	char *tp;

	if (!__rseq_size)
		return -2;
	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return (int)((volatile struct rseq *)(tp + __rseq_offset))->cpu_id;
}

static void wake(int sig)
{
	(void)sig;
}

#define FAIL(t, ...) do { snprintf((t)->err, sizeof((t)->err), __VA_ARGS__); \
			  return (t); } while (0)

static void pattern(const struct th *t, uint64_t *p)
{
	int i;

	for (i = 0; i < 32; i++)
		p[i] = 0x0123456789abcdefULL * (t->idx + 1) + i;
}

static void spin_regs(struct th *t)
{
	uint64_t want[32] __attribute__((aligned(32))), got[32] __attribute__((aligned(32)));

	pattern(t, want);
	memset(got, 0, sizeof(got));
	if (have_avx)
		__asm__ volatile(
			"vmovdqu 0(%0), %%ymm8\n\tvmovdqu 32(%0), %%ymm9\n\t"
			"vmovdqu 64(%0), %%ymm10\n\tvmovdqu 96(%0), %%ymm11\n\t"
			"vmovdqu 128(%0), %%ymm12\n\tvmovdqu 160(%0), %%ymm13\n\t"
			"vmovdqu 192(%0), %%ymm14\n\tvmovdqu 224(%0), %%ymm15\n\t"
			"1: pause\n\tcmpl $0, %2\n\tje 1b\n\t"
			"vmovdqu %%ymm8, 0(%1)\n\tvmovdqu %%ymm9, 32(%1)\n\t"
			"vmovdqu %%ymm10, 64(%1)\n\tvmovdqu %%ymm11, 96(%1)\n\t"
			"vmovdqu %%ymm12, 128(%1)\n\tvmovdqu %%ymm13, 160(%1)\n\t"
			"vmovdqu %%ymm14, 192(%1)\n\tvmovdqu %%ymm15, 224(%1)\n\t"
			"vzeroupper"
			: : "r"(want), "r"(got), "m"(stop)
			: "memory", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
	else
		__asm__ volatile(
			"movdqu 0(%0), %%xmm8\n\tmovdqu 16(%0), %%xmm9\n\t"
			"movdqu 32(%0), %%xmm10\n\tmovdqu 48(%0), %%xmm11\n\t"
			"1: pause\n\tcmpl $0, %2\n\tje 1b\n\t"
			"movdqu %%xmm8, 0(%1)\n\tmovdqu %%xmm9, 16(%1)\n\t"
			"movdqu %%xmm10, 32(%1)\n\tmovdqu %%xmm11, 48(%1)"
			: : "r"(want), "r"(got), "m"(stop)
			: "memory", "xmm8", "xmm9", "xmm10", "xmm11");
	if (memcmp(want, got, have_avx ? 256 : 64))
		snprintf(t->err, sizeof(t->err), "thread %d: vector registers changed",
			 t->idx);
}

static void *run(void *arg)
{
	struct th *t = arg;
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	sigset_t mask, tmp, got;
	char name[16], want_name[16];
	stack_t ss, old;
	siginfo_t si;
	char c;

	t->tid = syscall(SYS_gettid);
	tls_idx = t->idx;
	snprintf(want_name, sizeof(want_name), "mt-%d", t->idx);
	prctl(PR_SET_NAME, want_name);
	/* A mask of its own: SIGRTMIN+3.. by index, on top of what main blocks. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGRTMIN + 3 + t->idx % 20);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	ss.ss_sp = t->altstack;
	ss.ss_size = sizeof(t->altstack);
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	if (t->kind == 7 && t->idx == 7)
		pthread_mutex_lock(&robust);
	/* no_new_privs is per thread: every third one sets its own. */
	if (t->idx % 3 == 1 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		FAIL(t, "thread %d: PR_SET_NO_NEW_PRIVS: %s", t->idx, strerror(errno));
	pthread_barrier_wait(&started);

	tmp = mask;
	sigdelset(&tmp, SIG_WAKE);
	switch (t->kind) {
	case 0:
		spin_regs(t);
		break;
	case 1:
		pthread_mutex_lock(&lock);
		while (!stop)
			pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);
		break;
	case 2:
		pthread_mutex_lock(&lock);
		while (!stop) {
			struct timespec abs;

			clock_gettime(CLOCK_REALTIME, &abs);
			abs.tv_sec += 3600;
			pthread_cond_timedwait(&cond, &lock, &abs);
		}
		pthread_mutex_unlock(&lock);
		break;
	case 3:
		while (read(t->pipe[0], &c, 1) != 1)
			if (errno != EINTR)
				FAIL(t, "thread %d: read: %s", t->idx, strerror(errno));
		break;
	case 4:
		while (!stop)
			nanosleep(&ts, NULL);
		sigemptyset(&got);
		sigpending(&got);
		if (!sigismember(&got, SIGUSR2))
			FAIL(t, "thread %d: its queued SIGUSR2 is not pending", t->idx);
		sigemptyset(&tmp);
		sigaddset(&tmp, SIGUSR2);
		ts.tv_nsec = 0;
		if (sigtimedwait(&tmp, &si, &ts) != SIGUSR2 ||
		    si.si_code != SI_QUEUE || si.si_value.sival_int != 1000 + t->idx)
			FAIL(t, "thread %d: SIGUSR2 lost its siginfo (code %d value %d)",
			     t->idx, si.si_code, si.si_value.sival_int);
		break;
	case 5:
		while (!stop)
			sigsuspend(&tmp);
		break;
	case 6:
		while (!stop) {
			pthread_mutex_lock(&lock);
			counter++;
			pthread_mutex_unlock(&lock);
		}
		break;
	case 7:
		while (!stop)
			ppoll(NULL, 0, NULL, &tmp);
		break;
	}
	if (t->err[0])
		return t;
	if (syscall(SYS_gettid) != t->tid)
		FAIL(t, "thread %d: tid %ld, was %d", t->idx, syscall(SYS_gettid), t->tid);
	if (tls_idx != t->idx)
		FAIL(t, "thread %d: TLS value %d", t->idx, tls_idx);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != (t->idx % 3 == 1))
		FAIL(t, "thread %d: no_new_privs %d, was %d", t->idx,
		     prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), t->idx % 3 == 1);
	prctl(PR_GET_NAME, name);
	if (strcmp(name, want_name))
		FAIL(t, "thread %d: name '%s', was '%s'", t->idx, name, want_name);
	pthread_sigmask(SIG_BLOCK, NULL, &got);
	for (c = 1; c < 64; c++)
		if (sigismember(&got, c) != sigismember(&mask, c))
			FAIL(t, "thread %d: signal %d blocked %d, was %d", t->idx,
			     c, sigismember(&got, c), sigismember(&mask, c));
	/* rseq: the kernel keeps cpu_id current after the restore too. */
	for (c = 0; rseq_cpu() != -2 && rseq_cpu() != sched_getcpu(); c++)
		if (c > 100)
			FAIL(t, "thread %d: rseq cpu_id %d, but on CPU %d", t->idx,
			     rseq_cpu(), sched_getcpu());
	sigaltstack(NULL, &old);
	if (old.ss_sp != t->altstack || old.ss_size != sizeof(t->altstack))
		FAIL(t, "thread %d: altstack %p+%zu, was %p+%zu", t->idx,
		     old.ss_sp, old.ss_size, (void *)t->altstack,
		     sizeof(t->altstack));
	return t;
}

int main(int argc, char **argv)
{
	pthread_mutexattr_t ma;
	pthread_attr_t attr;
	struct sigaction sa;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	unsigned long c0, c1;
	unsigned int a, b, cc, d;
	union sigval v;
	siginfo_t si;
	sigset_t set;
	void *ret;
	int i, err;

	zdtm_init(&argc, argv);
	nr = argc > 1 ? atoi(argv[1]) : 16;
	if (nr < KINDS)
		nr = KINDS;
	have_avx = __get_cpuid(1, &a, &b, &cc, &d) && (cc & bit_AVX) &&
		   (cc & bit_OSXSAVE);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake;
	sigaction(SIG_WAKE, &sa, NULL);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &ma);
	/* The threads take none of these: SIGUSR1 is main's, the rest queued. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIG_SHARED);
	sigaddset(&set, SIG_WAKE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	ths = calloc(nr, sizeof(*ths));
	pthread_barrier_init(&started, NULL, nr + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	for (i = 0; i < nr; i++) {
		ths[i].idx = i;
		ths[i].kind = i % KINDS;
		if (ths[i].kind == 3 && pipe(ths[i].pipe))
			zdtm_fail("pipe: %s", strerror(errno));
		err = pthread_create(&ths[i].pt, &attr, run, &ths[i]);
		if (err)
			zdtm_fail("pthread_create %d: %s", i, strerror(err));
	}
	pthread_barrier_wait(&started);
	for (i = 4; i < nr; i += KINDS) {
		v.sival_int = 1000 + i;
		pthread_sigqueue(ths[i].pt, SIGUSR2, v);
	}
	v.sival_int = 42;
	sigqueue(getpid(), SIG_SHARED, v);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	zdtm_ready();
	zdtm_wait();

	/*
	 * The counter goes on where it was.  Within 10 s, not 100 ms: under
	 * TCG, 1000 threads of which 250 spin or contend share two vCPUs, and
	 * a round of the scheduler through them all can take longer than
	 * that; a lost wake-up or a lock left held stops it for good.
	 */
	pthread_mutex_lock(&lock);
	c0 = counter;
	pthread_mutex_unlock(&lock);
	for (i = 0; i < 100; i++) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&lock);
		c1 = counter;
		pthread_mutex_unlock(&lock);
		if (c1 > c0)
			break;
	}
	if (nr > 6 && c1 <= c0)
		zdtm_fail("the counter stopped at %lu", c1);

	stop = 1;
	pthread_mutex_lock(&lock);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < nr; i++) {
		if (ths[i].kind == 3 && write(ths[i].pipe[1], "x", 1) != 1)
			zdtm_fail("write: %s", strerror(errno));
		if (ths[i].kind == 5 || ths[i].kind == 7)
			pthread_kill(ths[i].pt, SIG_WAKE);
	}
	for (i = 0; i < nr; i++) {
		/* The kind 5 and 7 threads may miss one wake-up: again. */
		while (pthread_tryjoin_np(ths[i].pt, &ret) == EBUSY) {
			if (ths[i].kind == 5 || ths[i].kind == 7)
				pthread_kill(ths[i].pt, SIG_WAKE);
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		}
		if (((struct th *)ret)->err[0])
			zdtm_fail("%s", ((struct th *)ret)->err);
	}
	err = pthread_mutex_lock(&robust);
	if (err != EOWNERDEAD)
		zdtm_fail("the robust mutex of an ended thread gave %d, not EOWNERDEAD",
			  err);
	sigemptyset(&set);
	sigaddset(&set, SIG_SHARED);
	ts.tv_nsec = 0;
	if (sigtimedwait(&set, &si, &ts) != SIG_SHARED || si.si_value.sival_int != 42)
		zdtm_fail("the process-wide signal with value 42 is not pending");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0))
		zdtm_fail("main has no_new_privs, which it never set");
	zdtm_pass();
}
