/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one way the tool stops a seized process and lets it go on
 * (ptrace_stop.c): every thread seized, with PTRACE_O_TRACECLONE so that
 * a thread born meanwhile is seized too; PTRACE_INTERRUPT of each, then a
 * wait for every stop that polls each thread and sleeps for SIGCHLD (never
 * blocks on one thread: a leader's exit waits for its threads to be
 * reaped), passes on the signals that arrive meanwhile and keeps
 * group-stops (resumed with PTRACE_LISTEN, not PTRACE_CONT).  ptrace_stop() (tool.h) and the periodic checkpoints'
 * target (periodic_target.c) are both built on it.
 */
#ifndef CKPT_PTRACE_STOP_H
#define CKPT_PTRACE_STOP_H

#include <stdbool.h>
#include <sys/types.h>

/* One seized thread. */
struct tracee_thread {
	pid_t tid;
	bool listening;		/* in a group-stop: resume with LISTEN */
	bool stopped;		/* held in a stop of ours */
};

/* A process the tool has seized (PTRACE_SEIZE), all its threads. */
struct tracee {
	pid_t pid;
	bool exec_done;		/* a PTRACE_EVENT_EXEC stop was seen */
	bool exited;
	int status;		/* wait status once exited */
	bool listening;		/* the leader is in a group-stop */
	/* Every thread, the leader first. */
	struct tracee_thread *thr;
	unsigned int nr_thr, cap_thr;
};

/* waitpid(@pid, __WALL), again after EINTR. */
pid_t ptrace_waitpid(pid_t pid, int *status);

/*
 * Seizes @pid and every thread it has, with @opts and
 * PTRACE_O_TRACECLONE.  -1 with a message if the leader cannot be seized.
 */
int tracee_seize(struct tracee *t, pid_t pid, long opts);

/*
 * True while process @pid is on its way out, and always ends: SIGKILL
 * pending on the group or its leader, or PF_EXITING set (do_exit has
 * begun, and has taken the SIGKILL off the pending set already).
 */
bool tracee_exiting(pid_t pid);

/*
 * Handles every pending wait event of every thread of @t, without
 * blocking: exits are recorded, signals delivered, new threads added,
 * stops not of ours let go on.
 */
void tracee_events(struct tracee *t);

/*
 * Stops every thread of @t (PTRACE_INTERRUPT) and waits for each: 0 all
 * stopped, 1 the process exited first (t->exited, t->status), -1 on
 * error, said with errmsg().
 */
int tracee_stop(struct tracee *t);

/* Lets every stopped thread go on: PTRACE_LISTEN in a group-stop, else CONT. */
void tracee_resume(struct tracee *t);

/* Detaches from every thread of a stopped @t; a group-stop stays one. */
void tracee_detach(struct tracee *t);

void tracee_free(struct tracee *t);

#endif /* CKPT_PTRACE_STOP_H */
