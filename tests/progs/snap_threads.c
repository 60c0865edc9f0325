// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots of a multi-threaded process, from outside (ckpt snapshot and
 * rollback -t PID), and the refusals around them.
 *
 *   snap_threads N [born|ended|reused]
 *   snap_threads N self|self-worker|self-born|self-exit|self-ended|self-exit-ended|self-seccomp [R]
 *
 * N workers each count in a local (a register) and in memory: the two
 * agree at every check only if a rollback brought registers and memory
 * back from one instant.  Each worker has its own blocked mask and
 * altstack.  Prints "ready" once all run.
 *
 * SIGUSR1: every worker changes its mask and altstack, main maps a page
 *          and sets phase 2; "born" also starts two threads, one asleep
 *          in pause() and one spinning in user code, and prints "changed
 *          born TID TID"; "ended" ends the last worker, "reused" ends it
 *          and starts a thread with its tid (through ns_last_pid).
 *          Prints "changed" ("changed reused" once the tid was had
 *          again).
 * SIGUSR2: prints "state phase=P mapped=M masks=snapshot|changed|mixed
 *          counters=ok|bad" (workers counting on, their two counts
 *          agreeing); main's own mask is checked too.
 * Self snapshots, with libckpt, R rounds of change and rollback each
 * (what must outlive a rollback sits in a MAP_SHARED page):
 *   self R         main takes the snapshot and rolls back;
 *   self-worker R  worker 0 takes it and main rolls back: main resumes
 *                  where the snapshot stopped it, worker 0 returns from
 *                  its ckpt_snapshot() again;
 *   self-born R    threads are born after the snapshot (one asleep, one
 *                  spinning); main rolls back in odd rounds, the spinning
 *                  born thread in even ones; the born threads end;
 *   self-exit R    a CKPT_SNAP_EXIT snapshot taken by main; main calls
 *                  exit() in odd rounds, worker 0 exit_group() in even
 *                  ones, and the process is rolled back instead; then the
 *                  snapshot is dropped and exit() ends the process;
 *   self-ended     the last worker ends after the snapshot: the rollback
 *                  is refused in words and the process goes on as it was;
 *   self-exit-ended the same at exit: the process exits with status 7;
 *   self-seccomp   main adds a seccomp filter (allowing everything) after
 *                  the snapshot: the rollback is refused in words.
 * After every return from ckpt_snapshot() main checks the state as
 * SIGUSR2 does ("self: round K: state ..."); the run ends with
 * "self: PASS" or "self: FAIL: why".
 * Output goes through write(): stdio's buffer would be rolled back too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ckpt.h"

#define MAX_WORKERS	64
#define STACK		(64 * 1024)

struct worker {
	pthread_t t;
	int i;
	volatile unsigned long count;	/* the memory copy of its local */
	volatile int bad;		/* the two counts disagreed */
	volatile int change_seen, check_seen;
	volatile int mask_state;	/* 0 snapshot's, 1 changed, 2 other */
	volatile int exit_now;
	volatile pid_t tid;
	char stack[2][STACK];		/* its altstack, before and after */
};

static struct worker workers[MAX_WORKERS];
static int nr;
static volatile int phase = 1, change_req, check_req, ready;
static volatile sig_atomic_t got1, got2;
static void *mapped;

static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(1, buf, n) != n)
		exit(2);
}

static int my_rt(int i, int changed)
{
	return SIGRTMIN + 1 + (i + changed) % 8;
}

/* This worker's mask and altstack: 0 as set up, 1 as changed, 2 other. */
static int own_state(struct worker *w)
{
	sigset_t set;
	stack_t ss;
	int k;

	pthread_sigmask(SIG_SETMASK, NULL, &set);
	sigaltstack(NULL, &ss);
	for (k = 0; k < 2; k++)
		if (sigismember(&set, my_rt(w->i, k)) &&
		    !sigismember(&set, my_rt(w->i, !k)) &&
		    ss.ss_sp == w->stack[k] && ss.ss_size == STACK)
			return k;
	return 2;
}

static void set_own(struct worker *w, int changed)
{
	stack_t ss = { .ss_sp = w->stack[changed], .ss_size = STACK };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, my_rt(w->i, changed));
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	sigaltstack(&ss, NULL);
}

static void worker_snapshot(void);
static volatile int snap_req;

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned long mine = 0;

	w->tid = gettid();
	set_own(w, 0);
	__atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		if (w->count != mine)
			w->bad = 1;
		mine++;
		w->count = mine;
		if (w->change_seen != change_req) {
			set_own(w, 1);
			w->change_seen = change_req;
		}
		if (w->check_seen != check_req) {
			w->mask_state = own_state(w);
			w->check_seen = check_req;
		}
		if (w->exit_now == 2)
			syscall(SYS_exit_group, 7);
		if (w->exit_now)
			return NULL;
		if (w->i == 0 && snap_req)
			worker_snapshot();
		/* Not a busy loop: the VM has two CPUs for all of them. */
		if (!(mine & 255))
			usleep(1000);
	}
}

static volatile pid_t born_tid, spin_tid;

static void *born(void *arg)
{
	(void)arg;
	born_tid = gettid();
	for (;;)
		pause();
	return NULL;
}

/* Stopped in user code, not in a syscall, when the rollback comes. */
static void *born_spin(void *arg)
{
	volatile unsigned long n = 0;

	(void)arg;
	spin_tid = gettid();
	for (;;)
		if (!(++n & 0xfffff))
			sched_yield();
	return NULL;
}

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		got1 = 1;
	else
		got2 = 1;
}

static void wait_workers(volatile int *seen_of(struct worker *), int want)
{
	int i;

	for (i = 0; i < nr; i++)
		while (workers[i].exit_now ? 0 : *seen_of(&workers[i]) != want)
			usleep(1000);
}

static volatile int *change_of(struct worker *w) { return &w->change_seen; }
static volatile int *check_of(struct worker *w) { return &w->check_seen; }

static void change(const char *mode)
{
	pthread_t t;

	phase = 2;
	mapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mapped == MAP_FAILED)
		exit(3);
	*(int *)mapped = 1;
	change_req++;
	wait_workers(change_of, change_req);
	if (!strcmp(mode, "born")) {
		if (pthread_create(&t, NULL, born, NULL) ||
		    pthread_create(&t, NULL, born_spin, NULL))
			exit(4);
		while (!born_tid || !spin_tid)
			usleep(1000);
		say("changed born %d %d\n", born_tid, spin_tid);
		return;
	}
	if (!strcmp(mode, "ended") || !strcmp(mode, "reused")) {
		workers[nr - 1].exit_now = 1;
		pthread_join(workers[nr - 1].t, NULL);
	}
	if (!strcmp(mode, "reused")) {
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");

		if (!f || fprintf(f, "%d", workers[nr - 1].tid - 1) < 0 ||
		    fclose(f))
			exit(4);
		pthread_create(&t, NULL, born, NULL);
		while (!born_tid)
			usleep(1000);
	}
	say("changed%s\n", born_tid && born_tid == workers[nr - 1].tid ?
	    " reused" : "");
}

/* The state line, without its newline, into @buf. */
static void check_quiet(char *buf, size_t len)
{
	unsigned long before[MAX_WORKERS];
	int i, snap = 0, changed = 0, ok = 1;
	sigset_t set;

	for (i = 0; i < nr; i++)
		before[i] = workers[i].count;
	check_req++;
	wait_workers(check_of, check_req);
	usleep(100 * 1000);
	for (i = 0; i < nr; i++) {
		if (workers[i].exit_now)
			continue;
		snap += workers[i].mask_state == 0;
		changed += workers[i].mask_state == 1;
		if (workers[i].bad || workers[i].count <= before[i])
			ok = 0;
	}
	/* main: SIGRTMIN blocked, since before the snapshot */
	pthread_sigmask(SIG_SETMASK, NULL, &set);
	if (!sigismember(&set, SIGRTMIN) || sigismember(&set, SIGUSR1))
		ok = 0;
	snprintf(buf, len, "state phase=%d mapped=%d masks=%s counters=%s",
		 phase, mapped != NULL, snap && !changed ? "snapshot" :
		 changed && !snap ? "changed" : "mixed", ok ? "ok" : "bad");
}

static void check(void)
{
	char buf[128];

	check_quiet(buf, sizeof(buf));
	say("%s\n", buf);
}

/* What outlives a rollback. */
struct shared {
	int rounds;
	int worker_back;		/* worker 0's returns from its snapshot */
	int exit_status;
};

static struct shared *sh;
static volatile int snap_id, snap_flags;
static volatile int rollback_req;	/* 1: the spinning born thread rolls back */

static void self_fail(const char *why)
{
	say("self: FAIL: %s (%s)\n", why, ckpt_errmsg());
	exit(1);
}

/* The check's line, which must be @want's. */
static void self_check(int round, const char *want)
{
	char buf[128];
	int n;

	check_quiet(buf, sizeof(buf));
	say("self: round %d: %s\n", round, buf);
	n = strlen(want);
	if (strncmp(buf, want, n))
		self_fail("not the expected state");
}

/* Worker 0, in self-worker mode: takes the snapshot when asked. */
static void worker_snapshot(void)
{
	int id, r;

	snap_req = 0;
	r = ckpt_snapshot_flags(&id, snap_flags);
	if (r < 0)
		self_fail("worker snapshot");
	if (r == 1)
		__atomic_add_fetch(&sh->worker_back, 1, __ATOMIC_SEQ_CST);
	snap_id = id;
}

/* The spinning born thread, in self-born mode: rolls back when asked. */
static void *born_roller(void *arg)
{
	(void)arg;
	spin_tid = gettid();
	for (;;) {
		if (rollback_req) {
			ckpt_rollback(snap_id);
			self_fail("rollback from a born thread");
		}
		sched_yield();
	}
	return NULL;
}

static int nr_tasks(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	int n = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/* The born threads are gone within 10 s. */
static void wait_threads(int want)
{
	int i;

	for (i = 0; i < 1000 && nr_tasks() != want; i++)
		usleep(10000);
	if (nr_tasks() != want)
		self_fail("threads born since the snapshot run on");
}

static int self_main(const char *mode, int rounds)
{
	int worker = !strcmp(mode, "self-worker");
	int born_mode = !strcmp(mode, "self-born");
	int exit_mode = !strncmp(mode, "self-exit", 9);
	int ended = !strcmp(mode, "self-ended") ||
		    !strcmp(mode, "self-exit-ended");
	int filter = !strcmp(mode, "self-seccomp");
	int refuse = ended || filter;	/* the rollback must be refused */
	pthread_t t;
	int id = 0, r;

	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	snap_flags = exit_mode ? CKPT_SNAP_EXIT : 0;
	if (worker) {
		snap_req = 1;
		while (!snap_id)
			usleep(1000);
		id = snap_id;
		r = sh->rounds ? 1 : 0;
		if (sh->worker_back != sh->rounds)
			self_fail("worker 0 did not return from its snapshot again");
	} else {
		r = ckpt_snapshot_flags(&id, snap_flags);
		if (r < 0)
			self_fail("snapshot");
		snap_id = id;
	}
	if (r != (sh->rounds ? 1 : 0))
		self_fail("ckpt_snapshot() returned the wrong value");
	self_check(sh->rounds, "state phase=1 mapped=0 masks=snapshot counters=ok");
	if (born_mode)
		wait_threads(nr + 1);
	if (refuse && sh->rounds) {
		say("self: FAIL: rolled back, which it must refuse\n");
		return 1;
	}
	if (sh->rounds == rounds) {
		if (exit_mode && ckpt_drop(id))
			self_fail("drop");
		say("self: PASS\n");
		return 0;
	}
	sh->rounds++;
	change(ended ? "ended" : "");
	if (filter) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K,
						    SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { .len = 1, .filter = &allow };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			self_fail("seccomp");
	}
	if (born_mode) {
		if (pthread_create(&t, NULL, born, NULL) ||
		    pthread_create(&t, NULL, born_roller, NULL))
			return 2;
		while (!born_tid || !spin_tid)
			usleep(1000);
		if (nr_tasks() != nr + 3)
			self_fail("not two threads born");
	}
	self_check(sh->rounds, "state phase=2 mapped=1 masks=changed counters=");
	if (exit_mode && ended) {
		exit(7);
	} else if (exit_mode && sh->rounds % 2 == 0) {
		workers[0].exit_now = 2;	/* it calls exit_group() */
		for (;;)
			pause();
	} else if (exit_mode) {
		exit(7);
	} else if (born_mode && sh->rounds % 2 == 0) {
		rollback_req = 1;
		for (;;)
			pause();
	} else {
		ckpt_rollback(id);
		if (refuse) {
			say("self: refused: %s\n", ckpt_errmsg());
			self_check(sh->rounds, "state phase=2 mapped=1 masks=changed counters=ok");
			say("self: PASS\n");
			return 0;
		}
		self_fail("rollback");
	}
	return 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[2] : "";
	struct sigaction sa;
	sigset_t set;
	int i;

	nr = argc > 1 ? atoi(argv[1]) : 4;
	if (nr < 1 || nr > MAX_WORKERS)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	for (i = 0; i < nr; i++) {
		workers[i].i = i;
		if (pthread_create(&workers[i].t, NULL, work, &workers[i]))
			return 2;
	}
	while (ready != nr)
		usleep(1000);
	if (!strncmp(mode, "self", 4))
		return self_main(mode, argc > 3 ? atoi(argv[3]) : 1);
	say("ready\n");
	for (;;) {
		pause();
		if (got1) {
			got1 = 0;
			change(mode);
		}
		if (got2) {
			got2 = 0;
			check();
		}
	}
}
