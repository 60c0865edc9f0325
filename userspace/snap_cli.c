// SPDX-License-Identifier: GPL-2.0
/*
 * What ckpt snapshot, rollback, drop and list share: one option parser
 * (each command says which options it takes), and one way to put a
 * failed ioctl into words.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snap_cli.h"

/* A decimal number in [1, max], nothing else around it. */
static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out == 0 || *out > max)
		return -1;
	return 0;
}

static int bad_usage(const struct snap_args *a)
{
	return help_error(a->help, NULL);
}

static int take_opt(struct snap_args *a, int c, const char *arg)
{
	unsigned long n;

	switch (c) {
	case 't':
		if (parse_num(arg, 0x7fffffff, &n)) {
			errmsg("%s: -t wants a process id, not '%s'", a->cmd, arg);
			return -1;
		}
		a->pid = (pid_t)n;
		return 0;
	case 's':
		if (parse_num(arg, 0xffffffff, &n)) {
			errmsg("%s: -s wants a snapshot id (a number > 0), not '%s'",
			       a->cmd, arg);
			return -1;
		}
		a->id = (unsigned int)n;
		return 0;
	case 'e':
		a->on_exit = true;
		return 0;
	case 'v':
		a->verbose = true;
		return 0;
	case 'j':
		a->json = true;
		return 0;
	}
	return -1;
}

int snap_parse_args(int argc, char **argv, struct snap_args *a)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 't' },
		{ "snapshot", required_argument, NULL, 's' },
		{ "on-exit", no_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct {
		int c;
		unsigned int bit;
		const char *name;
	} gate[] = {
		{ 's', OPT_ID, "-s/--snapshot" },
		{ 'e', OPT_ON_EXIT, "--on-exit" },
		{ 'v', OPT_VERBOSE, "-v/--verbose" },
		{ 'j', OPT_JSON, "--json" },
	};
	size_t i;
	int c;

	a->cmd = a->help->name;
	opterr = 0;	/* our own messages, prefixed like every other */
	while ((c = getopt_long(argc, argv, ":t:s:vh", opts, NULL)) != -1) {
		if (c == 'h')
			return help_print(a->help);
		if (c == ':' || c == '?')
			return help_getopt_error(a->help, argv, c);
		/* Known to some snapshot command, but not to this one. */
		for (i = 0; i < sizeof(gate) / sizeof(gate[0]); i++) {
			if (gate[i].c == c && !(a->allowed & gate[i].bit)) {
				errmsg("%s: takes no %s", a->cmd, gate[i].name);
				return bad_usage(a);
			}
		}
		if (take_opt(a, c, optarg))
			return bad_usage(a);
	}
	if (optind != argc) {
		errmsg("%s: unexpected argument '%s'", a->cmd, argv[optind]);
		return bad_usage(a);
	}
	if (!a->pid || ((a->allowed & OPT_ID) && !a->id)) {
		errmsg("%s: %s", a->cmd, !a->pid ? "which process? give -t PID" :
		       "which snapshot? give -s ID (see ckpt list)");
		return bad_usage(a);
	}
	return -1;
}

void snap_error(const struct snap_args *a, const struct ckpt_version *v,
		int err, const char *kmsg)
{
	if (kmsg && kmsg[0])
		errmsg("%s: %s", a->cmd, kmsg);
	else if (err == ENOTTY && !(v->features & CKPT_FEAT_SNAPSHOT))
		errmsg("%s: the loaded ckpt module (%s) has no snapshots: load a newer one",
		       a->cmd, v->module_version);
	else if (err == ESRCH)
		errmsg("%s: no process %d", a->cmd, a->pid);
	else if (err == EPERM || err == EACCES)
		errmsg("%s: not allowed to act on process %d: %s", a->cmd,
		       a->pid, strerror(err));
	else if (a->id)
		errmsg("%s: snapshot %u of process %d: %s", a->cmd, a->id,
		       a->pid, strerror(err));
	else
		errmsg("%s: process %d: %s", a->cmd, a->pid, strerror(err));
}

/* stdout is what a script reads: a failed write must not look like success. */
int snap_flush_stdout(const struct snap_args *a)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	errmsg("%s: writing the output: %s", a->cmd, strerror(errno));
	return -1;
}

int snap_main(int argc, char **argv, const struct tool_opts *o,
	      struct snap_args *a, snap_fn fn)
{
	struct ckpt_version v;
	int dev, ret;

	ret = snap_parse_args(argc, argv, a);
	if (ret >= 0)
		return ret;
	dev = tool_open_dev(o, &v);
	if (dev < 0)
		return 1;
	ret = fn(dev, &v, a);
	close(dev);
	return ret;
}
