// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: command-line front end of /dev/ckpt.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, const struct tool_opts *o);
	const char *summary;
};

/* A NULL fn is a command whose contract is set but not built yet. */
static const struct command commands[] = {
	{ "check", cmd_check, "load the module if needed and show what this kernel supports" },
	{ "dump", cmd_dump, "checkpoint a process into an image" },
	{ "restore", cmd_restore, "restart a process from an image" },
	{ "show", cmd_show, "validate an image and print its records" },
	{ "snapshot", cmd_snapshot, "take an in-memory snapshot of a process" },
	{ "rollback", cmd_rollback, "roll a process back to a snapshot" },
	{ "drop", cmd_drop, "drop a snapshot" },
	{ "list", cmd_list, "list the snapshots of a process" },
	{ "run", cmd_run, "run a command under periodic checkpoints" },
};

int tool_errfd = STDERR_FILENO;

void errmsg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	dprintf(tool_errfd, "ckpt: %s\n", buf);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ckpt [--module PATH] COMMAND [ARGS...]\n"
		   "       ckpt --version | --help\n\n"
		   "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s%s\n", commands[i].name, commands[i].summary,
			commands[i].fn ? "" : " (not implemented yet)");
	fprintf(f, "\noptions:\n"
		   "  --module PATH  load this ckpt.ko when /dev/ckpt is missing\n"
		   "                 (default: the module installed for this kernel)\n");
}

int tool_open_dev(const struct tool_opts *o, struct ckpt_version *v)
{
	bool loaded_now;
	int fd, tries;

	if (modload_ensure(o->module_path, &loaded_now))
		return -1;
	/* devtmpfs creates the node at load; udev may still adjust it. */
	for (tries = 0; ; tries++) {
		fd = ckpt_dev_open();
		if (fd >= 0 || errno != ENOENT || !loaded_now || tries == 40)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	}
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			errmsg("cannot open %s: %s (it is mode 0600 unless the module was loaded with mode=...: run as root, or give the device a group)",
			       CKPT_DEVICE_PATH, strerror(errno));
		else
			errmsg("cannot open %s: %s", CKPT_DEVICE_PATH,
			       strerror(errno));
		return -1;
	}
	if (ckpt_get_version(fd, v)) {
		errmsg("%s does not answer the version ioctl: %s (is it really the ckpt module?)",
		       CKPT_DEVICE_PATH, strerror(errno));
		close(fd);
		return -1;
	}
	if (!ckpt_abi_compatible(v)) {
		errmsg("the loaded module speaks ABI %u.%u but this tool speaks %u.%u: install matching versions of the tool and the module",
		       v->abi_major, v->abi_minor, CKPT_ABI_MAJOR,
		       CKPT_ABI_MINOR);
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct tool_opts o = { 0 };
	size_t i;
	int a = 1;

	while (a < argc && argv[a][0] == '-') {
		if (!strcmp(argv[a], "--version")) {
			printf("ckpt %s (ABI %u.%u, image format %u)\n",
			       CKPT_VERSION, CKPT_ABI_MAJOR, CKPT_ABI_MINOR,
			       CKPT_IMAGE_VERSION);
			return 0;
		} else if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "--module") && a + 1 < argc) {
			o.module_path = argv[++a];
		} else {
			errmsg("unknown option '%s'", argv[a]);
			usage(stderr);
			return EXIT_USAGE;
		}
		a++;
	}
	if (a == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[a], commands[i].name))
			continue;
		if (!commands[i].fn) {
			errmsg("%s: not implemented yet", commands[i].name);
			return EXIT_USAGE;
		}
		return commands[i].fn(argc - a, argv + a, &o);
	}
	errmsg("unknown command '%s' (try ckpt --help)", argv[a]);
	return EXIT_USAGE;
}
