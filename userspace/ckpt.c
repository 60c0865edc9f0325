// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: command-line front end of /dev/ckpt.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

struct command {
	int (*fn)(int argc, char **argv, const struct tool_opts *o);
	const struct cmd_help *help;	/* name, summary, usage, text */
};

static const struct command commands[] = {
	{ cmd_check, &help_check },
	{ cmd_dump, &help_dump },
	{ cmd_restore, &help_restore },
	{ cmd_show, &help_show },
	{ cmd_snapshot, &help_snapshot },
	{ cmd_rollback, &help_rollback },
	{ cmd_drop, &help_drop },
	{ cmd_list, &help_list },
	{ cmd_run, &help_run },
};

#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

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
	/* A progress line on the terminal ends first, for good. */
	progress_hush();
	dprintf(tool_errfd, "ckpt: %s\n", buf);
}

void help_usage(const struct cmd_help *h, FILE *f)
{
	const char *s = h->usage, *nl;

	fputs("usage: ", f);
	for (;;) {
		nl = strchr(s, '\n');
		fprintf(f, "%.*s\n", nl ? (int)(nl - s) : (int)strlen(s), s);
		if (!nl || !nl[1])
			break;
		s = nl + 1;
		fputs("       ", f);
	}
}

int help_print(const struct cmd_help *h)
{
	help_usage(h, stdout);
	printf("\n%s", h->text);
	/* Help piped into a pager or a file: a failed write is an error. */
	if (fflush(stdout) || ferror(stdout)) {
		errmsg("%s: writing the help: %s", h->name, strerror(errno));
		return 1;
	}
	return 0;
}

int help_error(const struct cmd_help *h, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		errmsg("%s: %s", h->name, buf);
	}
	help_usage(h, stderr);
	return EXIT_USAGE;
}

int help_getopt_error(const struct cmd_help *h, char **argv, int c)
{
	const char *opt = argv[optind - 1];
	int len = (int)strcspn(opt, "=");

	/* optopt is a long option's value: for words, its own name. */
	if (strncmp(opt, "--", 2)) {
		if (c == ':')
			return help_error(h, "option '-%c' needs a value", optopt);
		return help_error(h, "unknown option '-%c'", optopt);
	}
	if (c == ':')
		return help_error(h, "option '%.*s' needs a value", len, opt);
	if (optopt)
		return help_error(h, "option '%.*s' takes no value", len, opt);
	return help_error(h, "unknown option '%.*s'", len, opt);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ckpt [--module PATH] COMMAND [ARGS...]\n"
		   "       ckpt help [COMMAND]\n"
		   "       ckpt --version | --help\n\n"
		   "commands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].help->name,
			commands[i].help->summary);
	fprintf(f, "\noptions:\n"
		   "  --module PATH  load this ckpt.ko when /dev/ckpt is missing\n"
		   "                 (default: the module installed for this kernel)\n"
		   "  --version      the tool's version, ABI and image format\n"
		   "  -h, --help     this help\n\n"
		   "ckpt COMMAND --help (or ckpt help COMMAND) describes a command.\n");
}

/* ckpt --help, ckpt help: stdout, and a failed write is an error. */
static int top_help(void)
{
	usage(stdout);
	if (fflush(stdout) || ferror(stdout)) {
		errmsg("writing the help: %s", strerror(errno));
		return 1;
	}
	return 0;
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(name, commands[i].help->name))
			return &commands[i];
	return NULL;
}

/* ckpt help [COMMAND]: what ckpt --help or ckpt COMMAND --help print. */
static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc == 1)
		return top_help();
	if (argc > 2) {
		errmsg("help: one command at a time");
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[1]);
	if (!c) {
		errmsg("help: there is no command '%s' (ckpt help lists them)",
		       argv[1]);
		return EXIT_USAGE;
	}
	return help_print(c->help);
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
			errmsg("cannot open %s: %s (only root may, and the group 'ckpt' where the udev rule of the ckpt package is installed: run as root, or join that group with 'adduser USER ckpt' and log in again)",
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
	const struct command *c;
	struct tool_opts o = { 0 };
	int a = 1;

	while (a < argc && argv[a][0] == '-') {
		if (!strcmp(argv[a], "--version")) {
			printf("ckpt %s (ABI %u.%u, image format %u)\n",
			       CKPT_VERSION, CKPT_ABI_MAJOR, CKPT_ABI_MINOR,
			       CKPT_IMAGE_VERSION);
			return 0;
		} else if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			return top_help();
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
	if (!strcmp(argv[a], "help"))
		return cmd_help(argc - a, argv + a);
	c = find_command(argv[a]);
	if (c) {
		/* Our messages, prefixed like every other; see help_getopt_error. */
		opterr = 0;
		return c->fn(argc - a, argv + a, &o);
	}
	errmsg("unknown command '%s' (try ckpt --help)", argv[a]);
	return EXIT_USAGE;
}
