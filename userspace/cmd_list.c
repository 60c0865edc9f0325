// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt list -t PID [--json]: the in-memory snapshots of another process,
 * ID PAGES META_BYTES per line (or one JSON document).
 *
 * The process is not stopped: the kernel checks the caller's right to it
 * itself.  The parser is snap_cli.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snap_cli.h"

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
