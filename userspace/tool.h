/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ckpt tool: shared declarations of its subcommands.
 */
#ifndef CKPT_TOOL_H
#define CKPT_TOOL_H

#include <stdbool.h>
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
 * Loads ckpt.ko if /dev/ckpt is missing (libkmod: @module_path, or the
 * installed module by name), opens the device and checks that its ABI
 * matches ours.  Prints why on failure and returns -1.
 */
int tool_open_dev(const struct tool_opts *o, struct ckpt_version *v);

/* modload.c: 0 if loaded now or already, else -1 with a message printed. */
int modload_ensure(const char *module_path, bool *loaded_now);

/* ptrace_stop.c: seize and stop @pid (0), or say why not (-1). */
/* PTRACE_SEIZE, its failure said in words. */
int ptrace_seize(pid_t pid);
int ptrace_stop(pid_t pid);
void ptrace_resume(pid_t pid);
/* Kill a stopped process and wait until it has exited (0), or -1. */
int ptrace_kill(pid_t pid);

int cmd_check(int argc, char **argv, const struct tool_opts *o);
int cmd_show(int argc, char **argv, const struct tool_opts *o);
int cmd_dump(int argc, char **argv, const struct tool_opts *o);
int cmd_restore(int argc, char **argv, const struct tool_opts *o);
/* cmd_snap.c: in-memory snapshots of another process. */
int cmd_snapshot(int argc, char **argv, const struct tool_opts *o);
int cmd_rollback(int argc, char **argv, const struct tool_opts *o);
int cmd_drop(int argc, char **argv, const struct tool_opts *o);
int cmd_list(int argc, char **argv, const struct tool_opts *o);
int cmd_run(int argc, char **argv, const struct tool_opts *o);

#endif /* CKPT_TOOL_H */
