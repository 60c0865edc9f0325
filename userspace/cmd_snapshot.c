// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt snapshot -t PID [--on-exit] [-v]: takes an in-memory snapshot of
 * another process and prints its id.
 *
 * The snapshot stays in the kernel, tied to the process's memory.  Taking
 * one needs the process ptrace-stopped (the kernel reads its registers),
 * for the moment of the call only.  Figures (-v) go to stderr, so stdout
 * carries only what a script reads.  The parser is snap_cli.c's.
 */
#include <errno.h>
#include <stdio.h>

#include "snap_cli.h"

static int do_snapshot(int dev, const struct ckpt_version *v,
		       const struct snap_args *a)
{
	struct ckpt_snapshot s;
	int r, err;

	if (ptrace_stop(a->pid))
		return 1;
	r = ckpt_snap_take(dev, a->pid, a->on_exit ? CKPT_SNAP_EXIT : 0, &s);
	err = errno;
	/* Memory is held copy-on-write: the process may run on at once. */
	ptrace_resume(a->pid);
	if (r) {
		snap_error(a, v, err, s.errmsg);
		return 1;
	}
	printf("%u\n", s.id);
	if (a->verbose)
		fprintf(stderr, "capture_ns=%llu pages=%llu meta_bytes=%llu hbuf_chunks=%u\n",
			(unsigned long long)s.capture_ns,
			(unsigned long long)s.pages,
			(unsigned long long)s.meta_bytes, s.hbuf_chunks);
	return snap_flush_stdout(a) ? 1 : 0;
}

const struct cmd_help help_snapshot = {
	.name = "snapshot",
	.summary = "take an in-memory snapshot of a process",
	.usage = "ckpt snapshot -t PID [--on-exit] [-v]",
	.text =
"Takes an in-memory snapshot of process PID and prints its id on stdout.\n"
"The process is stopped (ptrace) for the moment of the call only: its\n"
"memory is held copy-on-write, not copied.  The snapshot stays in the\n"
"kernel until ckpt drop, or until the process's memory goes (exit, exec).\n"
"\n"
"options:\n"
"  -t, --pid PID  the process; every thread of it is stopped\n"
"  --on-exit      when the process calls exit() or exit_group() (any\n"
"                 thread), it rolls back to this snapshot instead of\n"
"                 ending\n"
"  -v, --verbose  figures of the capture on stderr, one line:\n"
"                 capture_ns=N pages=N meta_bytes=N hbuf_chunks=N\n"
"  -h, --help     this help\n",
};

int cmd_snapshot(int argc, char **argv, const struct tool_opts *o)
{
	struct snap_args a = {
		.help = &help_snapshot, .allowed = OPT_ON_EXIT | OPT_VERBOSE,
	};

	return snap_main(argc, argv, o, &a, do_snapshot);
}
