// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt run --every MS --dir DIR [--keep N] [--stats] -- CMD [ARG...]
 *
 * Starts CMD, traced, and checkpoints it periodically (periodic.c) until
 * it exits; then exits as it did.
 */
#include <getopt.h>
#include <unistd.h>

#include "periodic.h"
#include "tool.h"

const struct cmd_help help_run = {
	.name = "run",
	.summary = "run a command under periodic checkpoints",
	.usage = "ckpt run --every MS --dir DIR [--keep N] [--stats] -- CMD [ARG...]",
	.text =
"Starts CMD and checkpoints it every MS milliseconds into DIR until it\n"
"exits, then exits as CMD did (128+N if a signal N ended it).  The first\n"
"image is full, each later one incremental: only the pages changed since\n"
"its parent.  Each is written under a hidden name, synced, renamed to\n"
"DIR/NNNNNN.img, and only then does the symlink DIR/latest point at it.\n"
"CMD is stopped only for each capture; the writeout runs while it runs,\n"
"and an interval that a writeout overruns is skipped and counted as\n"
"missed.  A terminal's ^C reaches CMD itself; a SIGTERM to ckpt is passed\n"
"on to CMD.  ckpt restore -i DIR restarts it from the latest image.\n"
"\n"
"options:\n"
"  --every MS  the interval, 1 to 3600000 milliseconds\n"
"  --dir DIR   the directory of the images (created if missing)\n"
"  --keep N    keep only the N newest images: the oldest kept is rewritten\n"
"              as a full image under its own id, the older ones deleted\n"
"              (default 0: keep them all)\n"
"  --stats     one line per image on stderr,\n"
"              seq=N frozen_us=N dirty_pages=N bytes=N write_ms=N,\n"
"              and a summary line at the end (p50/p99/max of frozen_us,\n"
"              missed intervals, the tool's stop-to-resume times, hbuf\n"
"              chunks allocated)\n"
"  -h, --help  this help\n",
};

int cmd_run(int argc, char **argv, const struct tool_opts *topts)
{
	static const struct option opts[] = {
		{ "every", required_argument, NULL, 'E' },
		{ "dir", required_argument, NULL, 'D' },
		{ "keep", required_argument, NULL, 'K' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct periodic_opts o = { 0 };
	struct ckpt_version v;
	struct target t;
	int c, dev, ret;

	/* '+': the options end at CMD, whose own options are its business. */
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (c == 's')
			o.stats = true;
		else if (c == 'h')
			return help_print(&help_run);
		else if (c == '?' || c == ':')
			return help_getopt_error(&help_run, argv, c);
		else if (periodic_opt(&o, c, optarg))
			return help_error(&help_run, NULL);
	}
	if (!o.every_ms || !o.dir || optind >= argc)
		return help_error(&help_run, "%s",
				  !o.every_ms ? "how often? give --every MS" :
				  !o.dir ? "where to? give --dir DIR" :
				  "which command? give -- CMD [ARG...]");
	dev = tool_open_dev(topts, &v);
	if (dev < 0)
		return 1;
	if (target_spawn(&t, argv + optind)) {
		close(dev);
		return 1;
	}
	ret = periodic_run(dev, &t, &o);
	close(dev);
	return ret;
}
