// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt drop -t PID -s ID: frees an in-memory snapshot of another process.
 *
 * The process is not stopped: the kernel checks the caller's right to it
 * itself.  The parser is snap_cli.c's.
 */
#include <errno.h>

#include "snap_cli.h"

static int do_drop(int dev, const struct ckpt_version *v,
		   const struct snap_args *a)
{
	char kmsg[128];

	if (ckpt_snap_drop(dev, a->pid, a->id, kmsg, sizeof(kmsg))) {
		snap_error(a, v, errno, kmsg);
		return 1;
	}
	return 0;
}

const struct cmd_help help_drop = {
	.name = "drop",
	.summary = "drop a snapshot",
	.usage = "ckpt drop -t PID -s ID",
	.text =
"Frees snapshot ID of process PID: its page references and metadata.  The\n"
"process is not stopped; the kernel checks the caller's right to it.\n"
"\n"
"options:\n"
"  -t, --pid PID        the process\n"
"  -s, --snapshot ID    the snapshot (ckpt list shows them)\n"
"  -h, --help           this help\n",
};

int cmd_drop(int argc, char **argv, const struct tool_opts *o)
{
	struct snap_args a = {
		.help = &help_drop, .allowed = OPT_ID,
	};

	return snap_main(argc, argv, o, &a, do_drop);
}
