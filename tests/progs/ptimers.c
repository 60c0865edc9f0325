// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm: POSIX timers (timer_create) in a multi-threaded process.
 *
 * Ids 0..3 are made and id 1 deleted again (a hole).  Timer 0: CLOCK_MONOTONIC,
 * SIGEV_SIGNAL to the process, every 20 ms, value 100.  Timer 2:
 * CLOCK_REALTIME, SIGEV_THREAD_ID to the worker thread, every 30 ms, value
 * 200.  Timer 3: CLOCK_BOOTTIME, disarmed, interval kept for a later
 * arming.  After the restore: the same ids (1 still a hole), clocks'
 * intervals, and the worker still gets its timer's signal, with its
 * value and timer id, while main gets timer 0's.
 *
 * "high N": N ids are made and deleted first (ids only go up), then one
 * timer like timer 0 gets id N: a restore must make it again with id N,
 * and a dump must refuse N above CKPT_TIMER_ID_MAX.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "zdtm.h"

#define SIG_P	(SIGRTMIN + 4)
#define SIG_T	(SIGRTMIN + 5)

static int ktimer(clockid_t clock, int notify, int sig, int value, pid_t tid)
{
	struct sigevent sev;
	int id;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = notify;
	sev.sigev_signo = sig;
	sev.sigev_value.sival_int = value;
	sev._sigev_un._tid = tid;
	if (syscall(SYS_timer_create, clock, &sev, &id))
		zdtm_fail("timer_create: %s", strerror(errno));
	return id;
}

static void kset(int id, long first_ms, long every_ms)
{
	struct itimerspec its = {
		{ every_ms / 1000, every_ms % 1000 * 1000000 },
		{ first_ms / 1000, first_ms % 1000 * 1000000 },
	};

	if (syscall(SYS_timer_settime, id, 0, &its, NULL))
		zdtm_fail("timer_settime %d: %s", id, strerror(errno));
}

static volatile pid_t worker_tid;
static volatile int worker_got, worker_bad;
static volatile int stop;
static int timer0_id;

/* Counts its own timer's signals: value 200, timer id 2. */
static void *worker(void *arg)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	sigset_t set;
	siginfo_t si;

	(void)arg;
	worker_tid = syscall(SYS_gettid);
	sigemptyset(&set);
	sigaddset(&set, SIG_T);
	while (!stop) {
		if (sigtimedwait(&set, &si, &ts) != SIG_T)
			continue;
		if (si.si_value.sival_int != 200 || si.si_code != SI_TIMER ||
		    si.si_timerid != 2)
			worker_bad = 1;
		worker_got++;
	}
	return NULL;
}

/* Signals of timer 0 that main takes within @ms; fails on a wrong one. */
static int take_process_signals(long ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	sigset_t set;
	siginfo_t si;
	int n = 0;
	long i;

	sigemptyset(&set);
	sigaddset(&set, SIG_P);
	for (i = 0; i < ms / 10; i++) {
		if (sigtimedwait(&set, &si, &ts) != SIG_P)
			continue;
		CHECK(si.si_value.sival_int == 100 && si.si_timerid == timer0_id,
		      "timer 0's signal: value %d timer id %d",
		      si.si_value.sival_int, si.si_timerid);
		n++;
	}
	return n;
}

/* "high N": timer0_id is N, and it is the only timer. */
static int high(int n)
{
	struct itimerspec its;
	int i, got;

	for (i = 0; i < n; i++)
		if (syscall(SYS_timer_delete,
			    ktimer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0)))
			zdtm_fail("timer_delete: %s", strerror(errno));
	timer0_id = ktimer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIG_P, 100, 0);
	CHECK(timer0_id == n, "id %d, not %d", timer0_id, n);
	kset(timer0_id, 20, 20);
	zdtm_ready();
	zdtm_wait();
	got = take_process_signals(500);
	CHECK(got >= 3, "timer %d fired %d times in 500 ms", n, got);
	CHECK(!syscall(SYS_timer_gettime, timer0_id, &its) &&
	      its.it_interval.tv_nsec == 20 * 1000000, "timer %d's interval", n);
	CHECK(syscall(SYS_timer_gettime, n - 1, &its) && errno == EINVAL,
	      "timer %d is a hole", n - 1);
	stop = 1;
	zdtm_pass();
}

int main(int argc, char **argv)
{
	struct itimerspec its;
	pthread_t t;
	sigset_t set;
	int got0, got_w;

	zdtm_init(&argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIG_P);
	sigaddset(&set, SIG_T);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_create(&t, NULL, worker, NULL);
	while (!worker_tid)
		usleep(1000);
	if (argc > 2 && !strcmp(argv[1], "high"))
		return high(atoi(argv[2]));
	CHECK(ktimer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIG_P, 100, 0) == 0, "id 0");
	CHECK(ktimer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0) == 1, "id 1");
	CHECK(ktimer(CLOCK_REALTIME, SIGEV_THREAD_ID, SIG_T, 200, worker_tid) == 2,
	      "id 2");
	CHECK(ktimer(CLOCK_BOOTTIME, SIGEV_SIGNAL, SIG_P, 300, 0) == 3, "id 3");
	if (syscall(SYS_timer_delete, 1))
		zdtm_fail("timer_delete: %s", strerror(errno));
	kset(0, 20, 20);
	kset(2, 30, 30);
	zdtm_ready();
	zdtm_wait();

	got_w = worker_got;
	got0 = take_process_signals(500);
	CHECK(got0 >= 3, "timer 0 fired %d times in 500 ms", got0);
	CHECK(worker_got > got_w + 2, "the worker's timer fired %d times in 500 ms",
	      worker_got - got_w);
	CHECK(!worker_bad, "the worker got a wrong signal");
	CHECK(!syscall(SYS_timer_gettime, 0, &its) &&
	      its.it_interval.tv_nsec == 20 * 1000000, "timer 0's interval");
	CHECK(!syscall(SYS_timer_gettime, 2, &its) &&
	      its.it_interval.tv_nsec == 30 * 1000000, "timer 2's interval");
	CHECK(!syscall(SYS_timer_gettime, 3, &its) && !its.it_value.tv_sec &&
	      !its.it_value.tv_nsec, "timer 3 is there, disarmed");
	CHECK(syscall(SYS_timer_gettime, 1, &its) && errno == EINVAL,
	      "timer 1 is a hole");
	stop = 1;
	pthread_join(t, NULL);
	zdtm_pass();
}
