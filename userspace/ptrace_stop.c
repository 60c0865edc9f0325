// SPDX-License-Identifier: GPL-2.0
/*
 * Holding a process still with ptrace: PTRACE_SEIZE + PTRACE_INTERRUPT,
 * and letting it go again.  A signal that arrives meanwhile is passed on,
 * never lost.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "tool.h"

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
	int status;

	if (ptrace_seize(pid))
		return -1;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0)) {
		errmsg("cannot stop process %d: %s", pid, strerror(errno));
		goto detach;
	}
	for (;;) {
		if (waitpid(pid, &status, __WALL) < 0) {
			errmsg("waiting for process %d: %s", pid, strerror(errno));
			goto detach;
		}
		if (!WIFSTOPPED(status)) {
			errmsg("process %d exited while being stopped", pid);
			return -1;
		}
		if (status >> 16 == PTRACE_EVENT_STOP)
			return 0;
		/* A signal is being delivered: let it, the stop comes next. */
		if (ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(status))) {
			errmsg("cannot stop process %d: %s", pid, strerror(errno));
			goto detach;
		}
	}
detach:
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return -1;
}

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
		if (waitpid(pid, &status, __WALL) < 0)
			return errno == ECHILD ? 0 : -1;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return 0;
		/* PTRACE_EVENT_EXIT is not set; any other stop just goes on. */
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
}
