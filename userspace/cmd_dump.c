// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt dump -t PID [-o FILE] [--kill] [--stats]
 * ckpt dump -t PID --every MS --dir DIR [--keep N] [--count C] [--stats]
 *
 * Stops the process, lets the module capture it (metadata written, memory
 * referenced copy-on-write), lets it run again at once, then has the
 * module write the page contents.  With --kill it is not let run: it stays
 * stopped through the writeout and is killed once the image is durable.
 * On any failure the process is left running, untouched, and a partial
 * FILE is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "periodic.h"
#include "tool.h"

static unsigned long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static void usage(void)
{
	fprintf(stderr, "usage: ckpt dump -t PID [-o FILE] [--kill] [--stats]\n"
			"       ckpt dump -t PID --every MS --dir DIR [--keep N] [--count C] [--stats]\n");
}

/* The image output: FILE, '-' for stdout, or stdout when it is no tty. */
static int open_output(const char *path, bool *created)
{
	int fd;

	*created = false;
	if (!path || !strcmp(path, "-")) {
		if (!path && isatty(STDOUT_FILENO)) {
			errmsg("dump: will not write an image to a terminal: give -o FILE or redirect stdout");
			return -1;
		}
		return STDOUT_FILENO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		errmsg("dump: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	*created = true;
	return fd;
}

static int dump_ioctl(int dev, unsigned long req, struct ckpt_dump *d,
		      const char *what)
{
	if (!ioctl(dev, req, d))
		return 0;
	if (d->errmsg[0])
		errmsg("dump: %s", d->errmsg);
	else
		errmsg("dump: %s: %s", what, strerror(errno));
	return -1;
}

/* --every: a series of images in a directory (cmd_periodic.c). */
static int dump_every(pid_t pid, struct periodic_opts *po, bool stats,
		      bool single_opts, const struct tool_opts *o)
{
	struct ckpt_version v;
	struct target t;
	int dev, ret;

	if (!po->every_ms || !po->dir || single_opts) {
		errmsg("dump: --every needs --dir, and takes neither -o nor --kill");
		usage();
		return EXIT_USAGE;
	}
	po->stats = stats;
	dev = tool_open_dev(o, &v);
	if (dev < 0)
		return 1;
	if (target_seize(&t, pid)) {
		close(dev);
		return 1;
	}
	ret = periodic_run(dev, &t, po);
	close(dev);
	return ret;
}

int cmd_dump(int argc, char **argv, const struct tool_opts *o)
{
	static const struct option opts[] = {
		{ "kill", no_argument, NULL, 'k' },
		{ "stats", no_argument, NULL, 's' },
		{ "every", required_argument, NULL, 'E' },
		{ "dir", required_argument, NULL, 'D' },
		{ "keep", required_argument, NULL, 'K' },
		{ "count", required_argument, NULL, 'C' },
		{ 0 }
	};
	struct periodic_opts po = { 0 };
	bool periodic = false;
	const char *out_path = NULL;
	unsigned long long t0, capture_us, kill_us = 0;
	bool kill_after = false, stats = false, created;
	struct ckpt_version v;
	struct ckpt_dump d;
	int c, dev, out, ret = 1;
	pid_t pid = 0;

	while ((c = getopt_long(argc, argv, "t:o:", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			pid = atoi(optarg);
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'k':
			kill_after = true;
			break;
		case 's':
			stats = true;
			break;
		case 'E':
		case 'D':
		case 'K':
		case 'C':
			periodic = true;
			if (periodic_opt(&po, c, optarg)) {
				usage();
				return EXIT_USAGE;
			}
			break;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	if (pid <= 0 || optind != argc) {
		usage();
		return EXIT_USAGE;
	}
	if (periodic)
		return dump_every(pid, &po, stats, out_path || kill_after, o);
	dev = tool_open_dev(o, &v);
	if (dev < 0)
		return 1;
	out = open_output(out_path, &created);
	if (out < 0)
		goto close_dev;

	t0 = now_us();
	if (ptrace_stop(pid))
		goto close_out;
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.pid = pid;
	d.fd = out;
	if (dump_ioctl(dev, CKPT_IOC_DUMP, &d, "capture")) {
		ptrace_resume(pid);
		goto close_out;
	}
	capture_us = now_us() - t0;
	/*
	 * Memory is referenced copy-on-write: a process that lives on may run
	 * now.  One that --kill ends may not: whatever it did past the capture
	 * (a write to a file or a socket) the restored process would do again.
	 * It stays stopped until the image is durable, and is resumed, not
	 * killed, if the writeout fails.
	 */
	if (!kill_after)
		ptrace_resume(pid);

	if (dump_ioctl(dev, CKPT_IOC_WRITEOUT, &d,
		       out_path && strcmp(out_path, "-") ? out_path : "writing the image"))
		goto resume;
	if (created && fsync(out)) {
		errmsg("dump: %s: %s", out_path, strerror(errno));
		goto resume;
	}
	if (kill_after) {
		if (ptrace_kill(pid)) {
			errmsg("dump: the image is complete, but process %d could not be killed: %s",
			       pid, strerror(errno));
			goto resume;
		}
		kill_us = now_us() - t0;
	}
	if (stats) {
		fprintf(stderr, "frozen_us=%llu pages=%llu bytes=%llu hbuf_chunks=%u capture_us=%llu",
			capture_us,
			(unsigned long long)d.pages,
			(unsigned long long)d.bytes, d.hbuf_chunks,
			(unsigned long long)d.capture_ns / 1000);
		if (kill_after)
			fprintf(stderr, " stop_to_kill_us=%llu", kill_us);
		fputc('\n', stderr);
	}
	ret = 0;
	goto close_out;
resume:
	if (kill_after) {
		ptrace_resume(pid);
		errmsg("dump: process %d was not killed and runs on (--kill ends it only after a complete image)",
		       pid);
	}
close_out:
	if (out != STDOUT_FILENO)
		close(out);
	if (ret && created)
		unlink(out_path);
close_dev:
	close(dev);
	return ret;
}
