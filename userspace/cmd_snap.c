// SPDX-License-Identifier: GPL-2.0
/*
 * In-memory snapshots of another process:
 *
 *   ckpt snapshot -t PID [--on-exit] [-v]   prints the new snapshot's id
 *   ckpt rollback -t PID -s ID [-v]
 *   ckpt drop -t PID -s ID
 *   ckpt list -t PID [--json]               ID PAGES META_BYTES per line
 *
 * The snapshot stays in the kernel, tied to the process's memory.  Taking
 * one and rolling back need the process ptrace-stopped (the kernel reads
 * and writes its registers); drop and list do not, the kernel checks the
 * caller's right to the process itself.  Figures (-v) go to stderr, so
 * stdout carries only what a script reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

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
	if (ptrace(PTRACE_DETACH, a->pid, 0, 0)) {
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

/*
 * Asks for the snapshots until they all fit: the kernel says how many
 * are alive, which may grow between two calls.  Returns the array (*n
 * entries), or NULL with the error printed.
 */
static struct ckpt_snap_info *fetch_list(int dev, const struct ckpt_version *v,
					 const struct snap_args *a, unsigned int *n)
{
	struct ckpt_snap_info *vec = NULL, *bigger;
	unsigned int cap = 16, count;
	char kmsg[128];
	int tries;

	for (tries = 0; tries < 8; tries++) {
		bigger = realloc(vec, (size_t)cap * sizeof(*vec));
		if (!bigger) {
			errmsg("%s: out of memory", a->cmd);
			break;
		}
		vec = bigger;
		memset(vec, 0, (size_t)cap * sizeof(*vec));
		if (ckpt_snap_list(dev, a->pid, vec, cap, &count, kmsg,
				   sizeof(kmsg))) {
			snap_error(a, v, errno, kmsg);
			break;
		}
		if (count <= cap) {
			*n = count;
			return vec;
		}
		cap = count + 16;
	}
	if (tries == 8)
		errmsg("%s: process %d keeps taking snapshots faster than they can be listed",
		       a->cmd, a->pid);
	free(vec);
	return NULL;
}

static void print_list_json(const struct snap_args *a,
			    const struct ckpt_snap_info *vec, unsigned int n)
{
	unsigned int i;

	printf("{\"pid\": %d, \"snapshots\": [", a->pid);
	for (i = 0; i < n; i++)
		printf("%s\n  {\"id\": %u, \"on_exit\": %s, \"pages\": %llu, \"meta_bytes\": %llu, \"capture_ns\": %llu, \"rollbacks\": %llu}",
		       i ? "," : "", vec[i].id,
		       vec[i].flags & CKPT_SNAP_EXIT ? "true" : "false",
		       (unsigned long long)vec[i].pages,
		       (unsigned long long)vec[i].meta_bytes,
		       (unsigned long long)vec[i].capture_ns,
		       (unsigned long long)vec[i].rollbacks);
	printf("%s]}\n", n ? "\n" : "");
}

static int do_list(int dev, const struct ckpt_version *v,
		   const struct snap_args *a)
{
	struct ckpt_snap_info *vec;
	unsigned int i, n;

	vec = fetch_list(dev, v, a, &n);
	if (!vec)
		return 1;
	if (a->json) {
		print_list_json(a, vec, n);
	} else {
		printf("# id pages meta_bytes\n");
		for (i = 0; i < n; i++)
			printf("%u %llu %llu\n", vec[i].id,
			       (unsigned long long)vec[i].pages,
			       (unsigned long long)vec[i].meta_bytes);
	}
	free(vec);
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
"  -t, --pid PID  the process (single-threaded)\n"
"  --on-exit      when the process calls exit() or exit_group(), it rolls\n"
"                 back to this snapshot instead of ending\n"
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

const struct cmd_help help_rollback = {
	.name = "rollback",
	.summary = "roll a process back to a snapshot",
	.usage = "ckpt rollback -t PID -s ID [-v]",
	.text =
"Rolls process PID back to its snapshot ID: the process continues from\n"
"the instant of the snapshot, which stays for later rollbacks.  Only what\n"
"changed since is touched.  The process is stopped (ptrace) while its\n"
"registers are set, then finishes the rollback in its own context; ckpt\n"
"waits for that and reports its result.\n"
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

const struct cmd_help help_list = {
	.name = "list",
	.summary = "list the snapshots of a process",
	.usage = "ckpt list -t PID [--json]",
	.text =
"Lists the snapshots of process PID on stdout: a header line\n"
"'# id pages meta_bytes', then one line per snapshot: its id, the pages\n"
"it holds, the bytes of its metadata.  The process is not stopped.\n"
"\n"
"options:\n"
"  -t, --pid PID  the process\n"
"  --json         one JSON document instead: {\"pid\": N, \"snapshots\":\n"
"                 [{\"id\", \"on_exit\", \"pages\", \"meta_bytes\",\n"
"                 \"capture_ns\", \"rollbacks\"}, ...]}\n"
"  -h, --help     this help\n",
};

int cmd_list(int argc, char **argv, const struct tool_opts *o)
{
	struct snap_args a = {
		.help = &help_list, .allowed = OPT_JSON,
	};

	return snap_main(argc, argv, o, &a, do_list);
}
