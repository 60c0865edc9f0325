/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one way the tool stops a seized process and lets it go on
 * (ptrace_stop.c): PTRACE_INTERRUPT, then a wait for the stop that
 * retries after EINTR, passes on the signals that arrive meanwhile and
 * keeps group-stops (resumed with PTRACE_LISTEN, not PTRACE_CONT).
 * ptrace_stop() (tool.h) and the periodic checkpoints' target
 * (periodic_target.c) are both built on it.
 */
#ifndef CKPT_PTRACE_STOP_H
#define CKPT_PTRACE_STOP_H

#include <stdbool.h>
#include <sys/types.h>

/* A process the tool has seized (PTRACE_SEIZE). */
struct tracee {
	pid_t pid;
	bool exec_done;		/* a PTRACE_EVENT_EXEC stop was seen */
	bool exited;
	int status;		/* wait status once exited */
	bool listening;		/* in a group-stop: resume with LISTEN */
};

/* waitpid(@pid, __WALL), again after EINTR. */
pid_t ptrace_waitpid(pid_t pid, int *status);

/*
 * One wait status of @t.  An exit is recorded; a signal on its way in is
 * delivered; an exec stop is let go on.  A PTRACE_EVENT_STOP (ours, or a
 * group-stop) is kept if @want_stop, and true returned; otherwise it is
 * let go on (PTRACE_LISTEN in a group-stop).
 */
bool tracee_handle(struct tracee *t, int status, bool want_stop);

/* Handles every pending wait event of @t, without blocking. */
void tracee_events(struct tracee *t);

/*
 * Stops @t (PTRACE_INTERRUPT) and waits for the stop: 0 stopped, 1 it
 * exited first (t->exited, t->status), -1 on error, said with errmsg().
 */
int tracee_stop(struct tracee *t);

/* Lets a stopped @t go on: PTRACE_LISTEN in a group-stop, else CONT. */
void tracee_resume(struct tracee *t);

#endif /* CKPT_PTRACE_STOP_H */
