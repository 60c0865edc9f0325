// SPDX-License-Identifier: GPL-2.0
/*
 * The process under periodic checkpoints, traced with PTRACE_SEIZE for the
 * whole run.  Its signals are passed on, its group-stops are kept (LISTEN),
 * and PTRACE_INTERRUPT stops it for a capture, all by the tool's one stop
 * helper (ptrace_stop.c).  No PTRACE_O_EXITKILL: if the tool dies, the
 * process runs on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "periodic.h"
#include "tool.h"

void target_events(struct target *t)
{
	tracee_events(&t->tr);
}

/*
 * After a failed capture: has the process been killed meanwhile?  A
 * SIGKILL ends a ptrace stop, so a capture can fail for it; that is the
 * process's end, not the checkpointer's failure.  A dying process is waited
 * for as long as its exit takes (seconds for a large one under emulation);
 * a live one only briefly, for an exit already under way.
 */
bool target_dying(struct target *t)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i, left = 20;

	/* 60 s at most: a zombie leader of live threads is PF_EXITING too. */
	for (i = 0; i < 6000 && left-- > 0 && !t->tr.exited; i++) {
		target_events(t);
		if (t->tr.exited)
			break;
		if (tracee_exiting(t->tr.pid))
			left = 20;
		nanosleep(&ts, NULL);
	}
	return t->tr.exited;
}

int target_seize(struct target *t, pid_t pid)
{
	memset(t, 0, sizeof(*t));
	t->tr.exec_done = true;
	return tracee_seize(&t->tr, pid, 0);
}

/* The child: waits to be seized, then becomes CMD. */
static void child(char **argv, int go, int err, const sigset_t *mask)
{
	char c;
	int e;

	sigprocmask(SIG_SETMASK, mask, NULL);
	if (read(go, &c, 1) != 1)
		_exit(127);
	execvp(argv[0], argv);
	e = errno;
	if (write(err, &e, sizeof(e)) != sizeof(e))
		_exit(127);
	_exit(127);
}

int target_spawn(struct target *t, char **argv)
{
	int go[2], err[2], e;
	sigset_t unblocked;
	ssize_t n;

	memset(t, 0, sizeof(*t));
	t->child = true;
	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		errmsg("run: pipe: %s", strerror(errno));
		return -1;
	}
	/* The tool blocks the signals it waits for; CMD must not inherit that. */
	sigemptyset(&unblocked);
	fflush(NULL);
	t->tr.pid = fork();
	if (t->tr.pid < 0) {
		errmsg("run: fork: %s", strerror(errno));
		return -1;
	}
	if (t->tr.pid == 0) {
		close(go[1]);
		close(err[0]);
		child(argv, go[0], err[1], &unblocked);
	}
	close(go[0]);
	close(err[1]);
	if (ptrace(PTRACE_SEIZE, t->tr.pid, 0,
		   PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE)) {
		errmsg("run: cannot trace %s: %s", argv[0], strerror(errno));
		kill(t->tr.pid, SIGKILL);
		close(go[1]);
		close(err[0]);
		waitpid(t->tr.pid, NULL, 0);
		return -1;
	}
	if (write(go[1], "", 1) != 1) {
		errmsg("run: cannot start %s: %s", argv[0], strerror(errno));
		kill(t->tr.pid, SIGKILL);
		close(go[1]);
		close(err[0]);
		waitpid(t->tr.pid, NULL, __WALL);
		return -1;
	}
	close(go[1]);
	/* One thread yet: CMD's threads come through PTRACE_EVENT_CLONE. */
	t->tr.thr = calloc(1, sizeof(*t->tr.thr));
	if (!t->tr.thr) {
		errmsg("run: out of memory");
		kill(t->tr.pid, SIGKILL);
		close(err[0]);
		waitpid(t->tr.pid, NULL, __WALL);
		return -1;
	}
	t->tr.thr[0].tid = t->tr.pid;
	t->tr.nr_thr = t->tr.cap_thr = 1;
	n = read(err[0], &e, sizeof(e));
	close(err[0]);
	if (n == sizeof(e)) {
		errmsg("run: cannot run %s: %s", argv[0], strerror(e));
		waitpid(t->tr.pid, NULL, __WALL);
		return -1;
	}
	return 0;
}

int target_stop(struct target *t)
{
	return tracee_stop(&t->tr);
}

void target_resume(struct target *t)
{
	tracee_resume(&t->tr);
}

void target_detach(struct target *t)
{
	if (t->tr.exited) {
		tracee_free(&t->tr);
		return;
	}
	/* Only a stopped tracee can be detached: stop it first. */
	if (target_stop(t) == 0)
		tracee_detach(&t->tr);
	tracee_free(&t->tr);
}
