/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The snapshot commands' shared part (snap_cli.c): their arguments, how
 * they report a failed ioctl, and their common main.
 */
#ifndef CKPT_SNAP_CLI_H
#define CKPT_SNAP_CLI_H

#include "tool.h"

/* Options a command accepts, besides -t PID (which all need). */
#define OPT_ID		(1U << 0)	/* -s ID, required */
#define OPT_ON_EXIT	(1U << 1)
#define OPT_VERBOSE	(1U << 2)
#define OPT_JSON	(1U << 3)

struct snap_args {
	const struct cmd_help *help;	/* the command's usage and --help */
	const char *cmd;		/* its name (snap_parse_args sets it) */
	unsigned int allowed;
	pid_t pid;
	unsigned int id;
	bool on_exit, verbose, json;
};

/*
 * Parses argv into *a, refusing options the command does not take.
 * Returns -1 to go on, or the exit status (after -h/--help, which prints
 * a->help, or a usage error).
 */
int snap_parse_args(int argc, char **argv, struct snap_args *a);

/* Why a snapshot ioctl failed: the kernel's words, else ours from errno. */
void snap_error(const struct snap_args *a, const struct ckpt_version *v,
		int err, const char *kmsg);

/* 0 if stdout reached its destination, else -1 with a message printed. */
int snap_flush_stdout(const struct snap_args *a);

typedef int (*snap_fn)(int dev, const struct ckpt_version *v,
		       const struct snap_args *a);

/* Parses, opens /dev/ckpt (loading the module if need be), runs @fn. */
int snap_main(int argc, char **argv, const struct tool_opts *o,
	      struct snap_args *a, snap_fn fn);

#endif /* CKPT_SNAP_CLI_H */
