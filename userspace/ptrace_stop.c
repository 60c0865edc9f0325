// SPDX-License-Identifier: GPL-2.0
/*
 * Holding a process still with ptrace: every thread seized (PTRACE_SEIZE,
 * PTRACE_O_TRACECLONE), PTRACE_INTERRUPT to each, and letting them go
 * again.  A signal that arrives meanwhile is passed on, never lost; a
 * group-stop stays one.  One wait loop (tracee_stop()) for every caller:
 * see ptrace_stop.h.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "ptrace_stop.h"
#include "tool.h"

pid_t ptrace_waitpid(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, __WALL);
	while (r < 0 && errno == EINTR);
	return r;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

static struct tracee_thread *thr_find(struct tracee *t, pid_t tid)
{
	unsigned int i;

	for (i = 0; i < t->nr_thr; i++)
		if (t->thr[i].tid == tid)
			return &t->thr[i];
	return NULL;
}

static struct tracee_thread *thr_add(struct tracee *t, pid_t tid)
{
	struct tracee_thread *n = thr_find(t, tid);

	if (n)
		return n;
	if (t->nr_thr == t->cap_thr) {
		unsigned int cap = t->cap_thr ? t->cap_thr * 2 : 16;

		n = realloc(t->thr, cap * sizeof(*n));
		if (!n)
			return NULL;
		t->thr = n;
		t->cap_thr = cap;
	}
	n = &t->thr[t->nr_thr++];
	memset(n, 0, sizeof(*n));
	n->tid = tid;
	return n;
}

/* A thread gone: the leader stays (its exit is the process's). */
static void thr_del(struct tracee *t, struct tracee_thread *th)
{
	unsigned int i = th - t->thr;

	if (!i)
		return;
	t->thr[i] = t->thr[--t->nr_thr];
}

static bool in_group(pid_t pid, pid_t tid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/task/%d", pid, tid);
	return !stat(path, &st);
}

/*
 * A clone of a traced thread, now traced too.  A thread is added; a
 * process (a clone without CLONE_THREAD) is let go once it has stopped.
 */
static void new_clone(struct tracee *t, pid_t from)
{
	unsigned long msg = 0;
	pid_t child;
	int status;

	if (ptrace(PTRACE_GETEVENTMSG, from, 0, &msg) || !msg)
		return;
	child = (pid_t)msg;
	if (in_group(t->pid, child)) {
		thr_add(t, child);
		return;
	}
	if (ptrace_waitpid(child, &status) == child && WIFSTOPPED(status))
		ptrace(PTRACE_DETACH, child, 0, 0);
}

/*
 * One wait status of thread @th.  Returns true if it is now held in a
 * stop of ours (kept only if @want_stop); @th may be gone after it.
 */
static bool handle(struct tracee *t, struct tracee_thread *th, int status,
		   bool want_stop)
{
	int event = status >> 16, sig;
	pid_t tid = th->tid;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (tid == t->pid) {
			t->exited = true;
			t->status = status;
		} else {
			thr_del(t, th);
		}
		return false;
	}
	if (!WIFSTOPPED(status))
		return false;
	sig = WSTOPSIG(status);
	if (event == PTRACE_EVENT_EXEC) {
		/* Only the exec'ing thread is left, under the leader's pid. */
		t->exec_done = true;
		t->nr_thr = 1;
		t->thr[0].tid = t->pid;
		ptrace(PTRACE_CONT, t->pid, 0, 0);
		return false;
	}
	if (event == PTRACE_EVENT_CLONE) {
		new_clone(t, tid);
		ptrace(PTRACE_CONT, tid, 0, 0);
		/* Stopped inside clone(): stop it again past the call. */
		if (want_stop)
			ptrace(PTRACE_INTERRUPT, tid, 0, 0);
		return false;
	}
	if (event == PTRACE_EVENT_STOP) {
		/* Ours (SIGTRAP), or a group-stop, which an interrupt also gives. */
		th->listening = is_stop_signal(sig);
		if (tid == t->pid)
			t->listening = th->listening;
		if (want_stop) {
			th->stopped = true;
			return true;
		}
		ptrace(th->listening ? PTRACE_LISTEN : PTRACE_CONT, tid, 0, 0);
		return false;
	}
	/*
	 * A signal on its way in: deliver it.  Should that fail, the thread
	 * is gone, and the next wait says so.
	 */
	ptrace(PTRACE_CONT, tid, 0, sig);
	return false;
}

/* Seizes the threads of t->pid not seized yet; how many it found. */
static int seize_new_threads(struct tracee *t, long opts)
{
	char path[64];
	struct dirent *d;
	int found = 0;
	pid_t tid;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", t->pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		tid = atoi(d->d_name);
		if (tid <= 0 || thr_find(t, tid))
			continue;
		/* ESRCH: it has just exited; EPERM: it is already ours. */
		if (ptrace(PTRACE_SEIZE, tid, 0, opts | PTRACE_O_TRACECLONE))
			continue;
		thr_add(t, tid);
		found++;
	}
	closedir(dir);
	return found;
}

/*
 * /proc/@pid/stat from the state on, after the ")" that ends comm (which
 * may hold spaces and parentheses itself), into @buf; NULL if unreadable.
 */
static const char *stat_after_comm(pid_t pid, char *buf, size_t size)
{
	char path[64], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

/* The leader has exited while other threads run on (a zombie leader). */
static bool leader_dead(pid_t pid)
{
	char buf[512];
	const char *p = stat_after_comm(pid, buf, sizeof(buf));

	return p && *p == 'Z';
}

bool tracee_exiting(pid_t pid)
{
	char buf[512], line[256];
	unsigned long long pnd;
	unsigned long flags;
	const char *p;
	bool ret = false;
	FILE *f;

	p = stat_after_comm(pid, buf, sizeof(buf));
	if (!p)
		return true;
	/* flags, the 9th field: the 7th from the state on. */
	if (sscanf(p, "%*c %*d %*d %*d %*d %*d %lu", &flags) == 1 &&
	    (flags & 0x4))	/* PF_EXITING */
		return true;
	snprintf(line, sizeof(line), "/proc/%d/status", pid);
	f = fopen(line, "re");
	if (!f)
		return true;
	while (!ret && fgets(line, sizeof(line), f))
		if ((sscanf(line, "SigPnd: %llx", &pnd) == 1 ||
		     sscanf(line, "ShdPnd: %llx", &pnd) == 1) &&
		    (pnd & (1ULL << (SIGKILL - 1))))
			ret = true;
	fclose(f);
	return ret;
}

int tracee_seize(struct tracee *t, pid_t pid, long opts)
{
	t->pid = pid;
	if (!thr_add(t, pid))
		return -1;
	if (ptrace(PTRACE_SEIZE, pid, 0, opts | PTRACE_O_TRACECLONE)) {
		if (errno == EPERM && leader_dead(pid))
			errmsg("process %d: its main thread has exited while other threads run on: a process with a dead leader is not supported",
			       pid);
		else if (errno == EPERM)
			errmsg("cannot attach to process %d: %s (another user's process, not dumpable, already traced, or ptrace restricted by Yama)",
			       pid, strerror(errno));
		else if (errno == ESRCH)
			errmsg("no process %d", pid);
		else
			errmsg("cannot attach to process %d: %s", pid,
			       strerror(errno));
		return -1;
	}
	/*
	 * Each seized thread's clones are seized by the kernel; a thread
	 * that an unseized one made meanwhile shows up in the next pass.
	 */
	while (seize_new_threads(t, opts))
		;
	return 0;
}

/*
 * One pass over the threads of @t: each one not held yet, or (@every)
 * each one, polled once, its event handled (a stop of ours kept if
 * @want_stop).  Returns 1 if the process has exited, -1 on error, else 0
 * with *@events the events handled.
 */
static int poll_pass(struct tracee *t, bool every, bool want_stop,
		     unsigned int *events)
{
	struct tracee_thread *th;
	unsigned int i;
	int status;
	pid_t r, tid;

	*events = 0;
	for (i = 0; i < t->nr_thr; i++) {
		th = &t->thr[i];
		if (th->stopped && !every)
			continue;
		tid = th->tid;
		r = waitpid(tid, &status, WNOHANG | __WALL);
		if (r < 0 && errno == ECHILD && i) {
			thr_del(t, th);
			(*events)++;
			i--;	/* the last thread moved into this slot */
			continue;
		}
		if (r < 0 && errno != EINTR) {
			errmsg("waiting for thread %d of process %d: %s", tid,
			       t->pid, strerror(errno));
			return -1;
		}
		if (r <= 0)
			continue;
		/* May add threads (at the end) or remove this one. */
		handle(t, th, status, want_stop);
		if (t->exited)
			return 1;
		(*events)++;
		if (i < t->nr_thr && t->thr[i].tid != tid)
			i--;
	}
	return 0;
}

void tracee_events(struct tracee *t)
{
	unsigned int events;

	/* Until a pass finds nothing: a thread may have more than one. */
	while (!poll_pass(t, true, false, &events) && events)
		;
}

static bool all_held(const struct tracee *t)
{
	unsigned int i;

	for (i = 0; i < t->nr_thr; i++)
		if (!t->thr[i].stopped)
			return false;
	return true;
}

/*
 * Waits until every thread of @t is held, with SIGCHLD blocked (@chld).
 * Never a blocking wait for one thread: once the process has called
 * exit_group(), its leader's exit is reported only after every other
 * thread has been reaped, and a thread held already leaves its stop for
 * that SIGKILL.  So the threads not held yet are polled (O(threads) calls
 * in all while they stop), then, when they have nothing, every thread, and
 * only then is there a sleep for SIGCHLD, which each change sends (the
 * timeout only bounds the cost of one that were missed).
 */
static int wait_held(struct tracee *t, const sigset_t *chld)
{
	const struct timespec ts = { 0, 100 * 1000 * 1000 };
	unsigned int events;
	bool every = false;
	int ret;

	for (;;) {
		ret = poll_pass(t, every, true, &events);
		if (ret)
			return ret;
		if (all_held(t))
			return 0;
		if (events || !every) {
			every = !events;
			continue;
		}
		sigtimedwait(chld, NULL, &ts);
		every = false;
	}
}

int tracee_stop(struct tracee *t)
{
	struct tracee_thread *th;
	sigset_t chld, old;
	unsigned int i;
	int err, ret;

	/* Blocked before the first interrupt: no stop's SIGCHLD is lost. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	for (i = 0; i < t->nr_thr; i++) {
		th = &t->thr[i];
		th->stopped = false;
		if (!ptrace(PTRACE_INTERRUPT, th->tid, 0, 0) || i)
			continue;
		err = errno;
		tracee_events(t);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (t->exited)
			return 1;
		errmsg("cannot stop process %d: %s", t->pid, strerror(err));
		return -1;
	}
	ret = wait_held(t, &chld);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

void tracee_resume(struct tracee *t)
{
	unsigned int i;

	for (i = 0; i < t->nr_thr; i++) {
		if (!t->thr[i].stopped)
			continue;
		t->thr[i].stopped = false;
		ptrace(t->thr[i].listening ? PTRACE_LISTEN : PTRACE_CONT,
		       t->thr[i].tid, 0, 0);
	}
}

void tracee_detach(struct tracee *t)
{
	unsigned int i;

	for (i = t->nr_thr; i-- > 0;)
		ptrace(PTRACE_DETACH, t->thr[i].tid, 0,
		       t->thr[i].listening ? SIGSTOP : 0);
}

void tracee_free(struct tracee *t)
{
	free(t->thr);
	t->thr = NULL;
	t->nr_thr = t->cap_thr = 0;
}

/* The process ptrace_stop() holds, for ptrace_resume() and ptrace_kill(). */
static struct tracee held;

int ptrace_seize(pid_t pid)
{
	tracee_free(&held);
	memset(&held, 0, sizeof(held));
	return tracee_seize(&held, pid, 0);
}

int ptrace_stop_seized(pid_t pid)
{
	switch (tracee_stop(&held)) {
	case 0:
		return 0;
	case 1:
		errmsg("process %d exited while being stopped", pid);
		return -1;
	}
	tracee_detach(&held);
	return -1;
}

int ptrace_stop(pid_t pid)
{
	return ptrace_seize(pid) ? -1 : ptrace_stop_seized(pid);
}

/*
 * Detaching ends the stop; a process that was in a group-stop stays
 * stopped (the kernel keeps the group-stop across a detach).
 */
void ptrace_resume(pid_t pid)
{
	if (held.pid != pid) {
		ptrace(PTRACE_DETACH, pid, 0, 0);
		return;
	}
	tracee_detach(&held);
	tracee_free(&held);
}

int ptrace_release(pid_t pid)
{
	unsigned int i;
	int ret = 0;

	if (held.pid != pid)
		return ptrace(PTRACE_DETACH, pid, 0, 0) ? -1 : 0;
	for (i = held.nr_thr; i-- > 0;)
		if (ptrace(PTRACE_DETACH, held.thr[i].tid, 0, 0))
			ret = -1;
	tracee_free(&held);
	return ret;
}

/*
 * Kill a process held by ptrace_stop() and wait until it is gone, so that
 * its pid is free for a restore once we return (its real parent still
 * reaps it).  SIGKILL ends the stop with no user instruction run.  The
 * leader's exit is reported last, once every thread is gone.
 */
int ptrace_kill(pid_t pid)
{
	unsigned int i;
	int status;
	pid_t tid;

	/* ESRCH: it is already dying (another SIGKILL); reap it all the same. */
	if (kill(pid, SIGKILL) && errno != ESRCH)
		return -1;
	for (i = held.pid == pid ? held.nr_thr : 0; i-- > 1;) {
		tid = held.thr[i].tid;
		while (ptrace_waitpid(tid, &status) == tid &&
		       !WIFEXITED(status) && !WIFSIGNALED(status))
			ptrace(PTRACE_CONT, tid, 0, 0);
	}
	tracee_free(&held);
	for (;;) {
		if (ptrace_waitpid(pid, &status) < 0)
			return errno == ECHILD ? 0 : -1;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return 0;
		/* PTRACE_EVENT_EXIT is not set; any other stop just goes on. */
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
}
