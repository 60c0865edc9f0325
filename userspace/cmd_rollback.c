// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt rollback -t PID -s ID [-v]: rolls another process back to one of
 * its in-memory snapshots.
 *
 * The process is ptrace-stopped while the kernel sets its registers, then
 * finishes the rollback in its own context.  Figures (-v) go to stderr.
 * The parser is snap_cli.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "snap_cli.h"

/*
 * Two calls on one fd: the first, with the process stopped, sets its
 * registers and queues the rest of the rollback to run in the process's
 * own context; once it runs again, the second (CKPT_RB_WAIT) waits for
 * that part and brings back its result.
 */
static int do_rollback(int dev, const struct ckpt_version *v,
		       const struct snap_args *a)
{
	struct ckpt_rollback rb;
	int r, err;

	if (ptrace_stop(a->pid))
		return 1;
	r = ckpt_snap_rollback(dev, a->pid, a->id, 0, &rb);
	err = errno;
	if (r) {
		ptrace_resume(a->pid);
		snap_error(a, v, err, rb.errmsg);
		return 1;
	}
	/* Not ptrace_resume(): a process left stopped would make WAIT hang. */
	if (ptrace_release(a->pid)) {
		errmsg("%s: cannot let process %d run to finish the rollback: %s",
		       a->cmd, a->pid, strerror(errno));
		return 1;
	}
	if (ckpt_snap_rollback(dev, a->pid, a->id, CKPT_RB_WAIT, &rb)) {
		snap_error(a, v, errno, rb.errmsg);
		return 1;
	}
	if (a->verbose)
		fprintf(stderr, "rollback_ns=%llu pages_copied=%llu pages_zapped=%llu vmas_unmapped=%u vmas_restored=%u\n",
			(unsigned long long)rb.rollback_ns,
			(unsigned long long)rb.pages_copied,
			(unsigned long long)rb.pages_zapped,
			rb.vmas_unmapped, rb.vmas_restored);
	return 0;
}

const struct cmd_help help_rollback = {
	.name = "rollback",
	.summary = "roll a process back to a snapshot",
	.usage = "ckpt rollback -t PID -s ID [-v]",
	.text =
"Rolls process PID back to its snapshot ID: the process continues from\n"
"the instant of the snapshot, which stays for later rollbacks.  Only what\n"
"changed since is touched.  The process is stopped (ptrace) while its\n"
"registers are set, then finishes the rollback in its own context; ckpt\n"
"waits for that and reports its result.  Threads started since the\n"
"snapshot end; a thread of the snapshot that has ended since cannot be\n"
"made again: such a rollback is refused, and nothing is changed.\n"
"\n"
"options:\n"
"  -t, --pid PID        the process\n"
"  -s, --snapshot ID    the snapshot (ckpt list shows them)\n"
"  -v, --verbose        figures of the rollback on stderr, one line:\n"
"                       rollback_ns=N pages_copied=N pages_zapped=N\n"
"                       vmas_unmapped=N vmas_restored=N\n"
"  -h, --help           this help\n",
};

int cmd_rollback(int argc, char **argv, const struct tool_opts *o)
{
	struct snap_args a = {
		.help = &help_rollback, .allowed = OPT_ID | OPT_VERBOSE,
	};

	return snap_main(argc, argv, o, &a, do_rollback);
}
