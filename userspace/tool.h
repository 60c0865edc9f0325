/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ckpt tool: shared declarations of its subcommands.
 */
#ifndef CKPT_TOOL_H
#define CKPT_TOOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ckpt.h"

/* Exit codes: 0 success, 1 failure, 2 usage or not implemented. */
#define EXIT_USAGE	2

struct tool_opts {
	const char *module_path;	/* --module: load this ckpt.ko */
};

/* Messages go to fd tool_errfd (stderr, or the restorer's copy of it). */
extern int tool_errfd;
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A command's help, kept in the command's own file, so that the usage
 * printed after a mistake and the text of --help cannot drift apart.
 */
struct cmd_help {
	const char *name;	/* "dump" */
	const char *summary;	/* one line, for ckpt --help */
	const char *usage;	/* "ckpt dump ...": a synopsis a line, or a
				 * line of spaces and more of the one before */
	const char *text;	/* what it does and its options, for --help */
};

extern const struct cmd_help help_check, help_dump, help_restore, help_show,
	help_snapshot, help_rollback, help_drop, help_list, help_run;

/* "usage: " and the synopsis lines, to @f. */
void help_usage(const struct cmd_help *h, FILE *f);
/* The whole help on stdout: the exit status (1 if stdout failed). */
int help_print(const struct cmd_help *h);
/* A usage error: errmsg(@fmt) unless NULL, the usage on stderr; EXIT_USAGE. */
int help_error(const struct cmd_help *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * After getopt_long() returned '?' or ':' (optstring starts with ':', or
 * "+:"; opterr 0): which option, and why, then the usage; EXIT_USAGE.
 */
int help_getopt_error(const struct cmd_help *h, char **argv, int c);

/*
 * progress.c: a line on stderr that follows one long transfer done by the
 * kernel inside an ioctl (dump's writeout, restore's readin).
 */
enum progress_mode { PROGRESS_AUTO, PROGRESS_ON, PROGRESS_OFF };

/* AUTO shows the line for transfers larger than this, on a terminal. */
#define PROGRESS_AUTO_MIN	(64ULL << 20)

struct progress_spec {
	enum progress_mode mode;
	uint64_t size;		/* compared with PROGRESS_AUTO_MIN */
	const char *what;	/* the command: "ckpt dump: ..." */
	const char *verb;	/* "written", "read" */
	pid_t pid, tid;		/* the task doing the I/O */
	bool reads;		/* count its rchar, else its wchar */
	uint64_t total;		/* bytes expected, 0 if unknown */
	/* Optional: phase[0] until @split bytes are done, then phase[1]. */
	uint64_t split;
	const char *phase[2];
	/* Said on the last line when it ends below @total. */
	const char *short_note;
};

struct progress {
	struct progress_spec s;
	bool on;		/* a thread is drawing */
	bool stop, drawn, hushed;
	int fd;			/* /proc/PID/task/TID/io */
	uint64_t base, done;
	uint64_t t0_ns;
	size_t last_len;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

/* Starts following @s (copied) if it is to be shown; else does nothing. */
void progress_start(struct progress *p, const struct progress_spec *s);
/* Stops: the last line when @ok, else the line is just ended. */
void progress_end(struct progress *p, bool ok);
/* Ends a line being drawn, for good, so a message can follow (errmsg). */
void progress_hush(void);

/*
 * Loads ckpt.ko if /dev/ckpt is missing (libkmod: @module_path, or the
 * installed module by name), opens the device and checks that its ABI
 * matches ours.  Prints why on failure and returns -1.
 */
int tool_open_dev(const struct tool_opts *o, struct ckpt_version *v);

/* modload.c: 0 if loaded now or already, else -1 with a message printed. */
int modload_ensure(const char *module_path, bool *loaded_now);

/*
 * ptrace_stop.c (the stop loop itself: ptrace_stop.h).
 * PTRACE_SEIZE, its failure said in words.
 */
int ptrace_seize(pid_t pid);
/*
 * Stop every thread of @pid, seized by ptrace_seize() (0), or say why
 * not and let it go (-1).  Seizing stops nothing, so a frozen time
 * starts here.
 */
int ptrace_stop_seized(pid_t pid);
/* Seize and stop @pid (0), or say why not (-1). */
int ptrace_stop(pid_t pid);
/* Let it go again (PTRACE_DETACH); a group-stop stays one. */
void ptrace_resume(pid_t pid);
/*
 * Detach from every thread with no signal, so that each runs what the
 * kernel queued for it (a rollback's task_work), group-stopped or not.
 */
int ptrace_release(pid_t pid);
/* Kill a stopped process and wait until it has exited (0), or -1. */
int ptrace_kill(pid_t pid);

/*
 * seccomp_read.c: the SECCOMP records of stopped, traced @pid, malloc'd
 * into *recs (0, or -1 said with errmsg()).
 */
int seccomp_read(pid_t pid, void **recs, size_t *len);
/*
 * proc_ids.c: the numbered entries of /proc/@pid/@sub ("task", "fd"),
 * ascending, malloc'd; NULL with errno.
 */
int *proc_ids(pid_t pid, const char *sub, size_t *nr);
/*
 * tcp_repair.c: stopped, traced @pid's TCP connections put in TCP_REPAIR
 * mode, so that killing it tells their peers nothing (0, or -1 said with
 * errmsg()); then let go of, with @undo out of repair mode again.
 */
struct tcp_quiet {
	int *fds;	/* our copies of the process's sockets */
	size_t nr;
};
int tcp_quiet(pid_t pid, struct tcp_quiet *q);
void tcp_quiet_end(struct tcp_quiet *q, bool undo);
/*
 * epoll_read.c: the targets of every epoll of stopped, traced @pid,
 * malloc'd into *targets (0, or -1 said with errmsg()).
 */
int epoll_read(pid_t pid, struct ckpt_epoll_in **targets, size_t *nr);
/*
 * dump_capture.c: ckpt_dump() of stopped @pid, with its epolls' targets,
 * and its seccomp filters when the kernel finds any (*uses_seccomp, kept
 * for the next dump of a series).  0, -1 with the kernel's reason in d->errmsg or
 * errno, -2 already said.
 */
int dump_capture(int dev, pid_t pid, int out, unsigned int flags,
		 struct ckpt_dump *d, bool *uses_seccomp);

int cmd_check(int argc, char **argv, const struct tool_opts *o);
int cmd_show(int argc, char **argv, const struct tool_opts *o);
int cmd_dump(int argc, char **argv, const struct tool_opts *o);
int cmd_restore(int argc, char **argv, const struct tool_opts *o);
/* cmd_<name>.c: in-memory snapshots of another process (snap_cli.c). */
int cmd_snapshot(int argc, char **argv, const struct tool_opts *o);
int cmd_rollback(int argc, char **argv, const struct tool_opts *o);
int cmd_drop(int argc, char **argv, const struct tool_opts *o);
int cmd_list(int argc, char **argv, const struct tool_opts *o);
int cmd_run(int argc, char **argv, const struct tool_opts *o);

#endif /* CKPT_TOOL_H */
