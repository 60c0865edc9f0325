// SPDX-License-Identifier: GPL-2.0
/*
 * Signal state: handlers with flags and masks, ignored signals, the
 * blocked mask, pending signals (a standard one, and queued real-time
 * ones with their values), the alternate stack, the three interval
 * timers.
 */
#define _GNU_SOURCE
#include <sys/time.h>

#include "zdtm.h"

static volatile sig_atomic_t got_usr2, rt_count;
static volatile int rt_vals[4];
static char altstack[64 * 1024];
static volatile int on_alt;

static void on_usr2(int sig)
{
	(void)sig;
	got_usr2++;
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (rt_count < 4)
		rt_vals[rt_count] = si->si_value.sival_int;
	rt_count++;
}

static void on_hup(int sig)
{
	char here;

	(void)sig;
	on_alt = &here >= altstack && &here < altstack + sizeof(altstack);
}

int main(int argc, char **argv)
{
	struct sigaction sa, q;
	struct itimerval it;
	sigset_t block, cur, pend;
	stack_t ss;
	int i;

	zdtm_init(&argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sigaddset(&sa.sa_mask, SIGTERM);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN + 3, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	CHECK(!sigaltstack(&ss, NULL), "sigaltstack");

	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGRTMIN + 3);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR2);
	for (i = 0; i < 3; i++)
		sigqueue(getpid(), SIGRTMIN + 3, (union sigval){ .sival_int = 100 + i });

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = 1000;
	it.it_interval.tv_sec = 2000;
	CHECK(!setitimer(ITIMER_REAL, &it, NULL), "setitimer");
	CHECK(!setitimer(ITIMER_VIRTUAL, &it, NULL), "setitimer virtual");
	CHECK(!setitimer(ITIMER_PROF, &it, NULL), "setitimer prof");

	zdtm_ready();
	zdtm_wait();

	sigaction(SIGUSR2, NULL, &q);
	CHECK(q.sa_handler == on_usr2 && (q.sa_flags & SA_RESTART) &&
	      sigismember(&q.sa_mask, SIGTERM), "SIGUSR2 handler, flags or mask");
	sigaction(SIGRTMIN + 3, NULL, &q);
	CHECK(q.sa_sigaction == on_rt && (q.sa_flags & SA_SIGINFO), "RT handler");
	sigaction(SIGHUP, NULL, &q);
	CHECK((q.sa_flags & (SA_ONSTACK | SA_NODEFER)) == (SA_ONSTACK | SA_NODEFER),
	      "SIGHUP flags");
	sigaction(SIGPIPE, NULL, &q);
	CHECK(q.sa_handler == SIG_IGN, "SIGPIPE not ignored");

	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR2) && sigismember(&cur, SIGWINCH) &&
	      sigismember(&cur, SIGRTMIN + 3) && !sigismember(&cur, SIGUSR1),
	      "blocked mask");
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR2) && sigismember(&pend, SIGRTMIN + 3),
	      "pending signals lost");

	CHECK(!sigaltstack(NULL, &ss) && ss.ss_sp == altstack &&
	      ss.ss_size == sizeof(altstack), "alternate stack");
	raise(SIGHUP);
	CHECK(on_alt, "SIGHUP did not run on the alternate stack");

	CHECK(!getitimer(ITIMER_REAL, &it), "getitimer");
	CHECK(it.it_value.tv_sec > 900 && it.it_value.tv_sec <= 1000 &&
	      it.it_interval.tv_sec == 2000, "ITIMER_REAL %ld s left, interval %ld s",
	      (long)it.it_value.tv_sec, (long)it.it_interval.tv_sec);

	/* CPU-time timers: little CPU time went by, the rest is left. */
	CHECK(!getitimer(ITIMER_VIRTUAL, &it) && it.it_value.tv_sec > 900 &&
	      it.it_value.tv_sec <= 1000 && it.it_interval.tv_sec == 2000,
	      "ITIMER_VIRTUAL %ld s left, interval %ld s",
	      (long)it.it_value.tv_sec, (long)it.it_interval.tv_sec);
	CHECK(!getitimer(ITIMER_PROF, &it) && it.it_value.tv_sec > 900 &&
	      it.it_value.tv_sec <= 1000 && it.it_interval.tv_sec == 2000,
	      "ITIMER_PROF %ld s left, interval %ld s",
	      (long)it.it_value.tv_sec, (long)it.it_interval.tv_sec);

	sigprocmask(SIG_UNBLOCK, &block, NULL);
	CHECK(got_usr2 == 1, "SIGUSR2 delivered %d times", (int)got_usr2);
	CHECK(rt_count == 3 && rt_vals[0] == 100 && rt_vals[1] == 101 &&
	      rt_vals[2] == 102, "queued RT signals: %d, values %d %d %d",
	      (int)rt_count, rt_vals[0], rt_vals[1], rt_vals[2]);
	zdtm_pass();
}
