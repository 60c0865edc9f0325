// SPDX-License-Identifier: GPL-2.0
/*
 * Holding a process still with ptrace: PTRACE_SEIZE + PTRACE_INTERRUPT,
 * and letting it go again.  A signal that arrives meanwhile is passed on,
 * never lost; a group-stop stays one.  One wait loop (tracee_stop()) for
 * every caller: see ptrace_stop.h.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

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

bool tracee_handle(struct tracee *t, int status, bool want_stop)
{
	int event = status >> 16, sig;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		t->exited = true;
		t->status = status;
		return false;
	}
	if (!WIFSTOPPED(status))
		return false;
	sig = WSTOPSIG(status);
	if (event == PTRACE_EVENT_EXEC) {
		t->exec_done = true;
		ptrace(PTRACE_CONT, t->pid, 0, 0);
		return false;
	}
	if (event == PTRACE_EVENT_STOP) {
		/* Ours (SIGTRAP), or a group-stop, which an interrupt also gives. */
		t->listening = is_stop_signal(sig);
		if (want_stop)
			return true;
		if (t->listening)
			ptrace(PTRACE_LISTEN, t->pid, 0, 0);
		else
			ptrace(PTRACE_CONT, t->pid, 0, 0);
		return false;
	}
	/*
	 * A signal on its way in: deliver it.  Should that fail, the process
	 * is gone, and the next wait says so.
	 */
	ptrace(PTRACE_CONT, t->pid, 0, sig);
	return false;
}

void tracee_events(struct tracee *t)
{
	int status;

	while (!t->exited && waitpid(t->pid, &status, WNOHANG | __WALL) > 0)
		tracee_handle(t, status, false);
}

int tracee_stop(struct tracee *t)
{
	int status, err;

	if (ptrace(PTRACE_INTERRUPT, t->pid, 0, 0)) {
		err = errno;
		tracee_events(t);
		if (t->exited)
			return 1;
		errmsg("cannot stop process %d: %s", t->pid, strerror(err));
		return -1;
	}
	for (;;) {
		if (ptrace_waitpid(t->pid, &status) < 0) {
			errmsg("waiting for process %d: %s", t->pid,
			       strerror(errno));
			return -1;
		}
		if (tracee_handle(t, status, true))
			return 0;
		if (t->exited)
			return 1;
	}
}

void tracee_resume(struct tracee *t)
{
	ptrace(t->listening ? PTRACE_LISTEN : PTRACE_CONT, t->pid, 0, 0);
}

int ptrace_seize(pid_t pid)
{
	if (!ptrace(PTRACE_SEIZE, pid, 0, 0))
		return 0;
	if (errno == EPERM)
		errmsg("cannot attach to process %d: %s (another user's process, not dumpable, already traced, or ptrace restricted by Yama)",
		       pid, strerror(errno));
	else if (errno == ESRCH)
		errmsg("no process %d", pid);
	else
		errmsg("cannot attach to process %d: %s", pid, strerror(errno));
	return -1;
}

int ptrace_stop(pid_t pid)
{
	struct tracee t = { .pid = pid };

	if (ptrace_seize(pid))
		return -1;
	switch (tracee_stop(&t)) {
	case 0:
		return 0;
	case 1:
		errmsg("process %d exited while being stopped", pid);
		return -1;
	}
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return -1;
}

/*
 * Detaching ends the stop; a process that was in a group-stop stays
 * stopped (the kernel keeps the group-stop across a detach).
 */
void ptrace_resume(pid_t pid)
{
	ptrace(PTRACE_DETACH, pid, 0, 0);
}

/*
 * Kill a process held by ptrace_stop() and wait until it is gone, so that
 * its pid is free for a restore once we return (its real parent still
 * reaps it).  SIGKILL ends the stop with no user instruction run.
 */
int ptrace_kill(pid_t pid)
{
	int status;

	/* ESRCH: it is already dying (another SIGKILL); reap it all the same. */
	if (kill(pid, SIGKILL) && errno != ESRCH)
		return -1;
	for (;;) {
		if (ptrace_waitpid(pid, &status) < 0)
			return errno == ECHILD ? 0 : -1;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return 0;
		/* PTRACE_EVENT_EXIT is not set; any other stop just goes on. */
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
}
