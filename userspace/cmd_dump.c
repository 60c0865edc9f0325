// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt dump -t PID [-o FILE] [--kill] [--stats] [--progress|--no-progress]
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
#include <sys/stat.h>
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

const struct cmd_help help_dump = {
	.name = "dump",
	.summary = "checkpoint a process into an image",
	.usage = "ckpt dump -t PID [-o FILE] [--kill [--tcp-established]] [--stats]\n"
		 "          [--progress | --no-progress]\n"
		 "ckpt dump -t PID --every MS --dir DIR [--keep N] [--count C] [--stats]",
	.text =
"Checkpoints process PID into an image.  The process is stopped (ptrace)\n"
"while the module captures it: registers, metadata, and its memory\n"
"referenced copy-on-write, not copied.  Then it runs on while the module\n"
"writes the page contents (all-zero anonymous pages are left out).  On\n"
"any failure the process is left running and a partial FILE is removed.\n"
"\n"
"options:\n"
"  -t PID         the process to dump (single-threaded)\n"
"  -o FILE        write the image to FILE (created mode 0600, or\n"
"                 truncated); '-', or no -o: to stdout, if it is not a\n"
"                 terminal\n"
"  --kill         end the process with the dump: it stays stopped from the\n"
"                 capture through the writeout, and is killed only once the\n"
"                 image is complete and, in a file, fsynced; so it runs no\n"
"                 instruction past the image's instant, and nothing it does\n"
"                 is done twice once restored.  If the writeout fails, the\n"
"                 process is resumed, never killed.  Its TCP connections\n"
"                 are put in TCP_REPAIR mode (CAP_NET_ADMIN) before the\n"
"                 kill, so that their close sends nothing.\n"
"  --tcp-established  with --kill: TCP connections to a peer outside the\n"
"                 process move too (a dump refuses them otherwise).  From\n"
"                 the capture until a restore takes them again, the peers'\n"
"                 packets are dropped, which a peer retransmits; for the\n"
"                 module's netlock_secs (300) at most once the process is\n"
"                 gone, and not at all if the dump fails.  A connection\n"
"                 whose both ends are the process's moves in any dump.\n"
"  --stats        one line on stderr at the end:\n"
"                   frozen_us=N pages=N bytes=N hbuf_chunks=N capture_us=N\n"
"                 and with --kill also stop_to_kill_us=N: microseconds from\n"
"                 the first thread stopped to the last one resumed (with\n"
"                 --kill, to the end of the capture), pages written, image\n"
"                 bytes, hbuf chunks of metadata, the module's own capture\n"
"                 time, and microseconds from the first thread stopped\n"
"                 until the killed process is gone\n"
"  --progress     a progress line on stderr during the writeout (MiB\n"
"                 written, MiB/s, percentage of the memory referenced),\n"
"                 whatever the size and wherever stderr goes.  It may end\n"
"                 below 100%: zero pages are counted but not written.\n"
"  --no-progress  no progress line.  Without either, it is shown when\n"
"                 stderr is a terminal and more than 64 MiB of memory is to\n"
"                 be written.\n"
"  -h, --help     this help\n"
"\n"
"periodic checkpoints (--every; not with -o, --kill or --progress):\n"
"  --every MS     capture every MS milliseconds (1 to 3600000) into DIR,\n"
"                 until SIGINT or SIGTERM or C images: the first image is\n"
"                 full, each later one holds only the pages changed since\n"
"                 its parent.  Each is written under a hidden name, synced,\n"
"                 renamed DIR/NNNNNN.img, and only then does the symlink\n"
"                 DIR/latest point at it.  The process runs on at the end.\n"
"  --dir DIR      the directory of the images (created if missing)\n"
"  --keep N       keep only the N newest images: the oldest kept is\n"
"                 rewritten as a full image under its own id, the older ones\n"
"                 deleted (default 0: keep them all)\n"
"  --count C      stop after C images\n"
"  --stats        one line per image on stderr,\n"
"                   seq=N frozen_us=N dirty_pages=N bytes=N write_ms=N\n"
"                 and a summary line at the end (p50/p99/max of frozen_us,\n"
"                 missed intervals, the tool's stop-to-resume times, hbuf\n"
"                 chunks allocated)\n",
};

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

static bool is_regular(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISREG(st.st_mode);
}

/* After a failed ckpt_dump() or ckpt_writeout() (errno): why, in words. */
static void dump_failed(const struct ckpt_dump *d, const char *what)
{
	if (d->errmsg[0])
		errmsg("dump: %s", d->errmsg);
	else
		errmsg("dump: %s: %s", what, strerror(errno));
}

/* --every: a series of images in a directory (periodic.c). */
static int dump_every(pid_t pid, struct periodic_opts *po, bool stats,
		      bool single_opts, const struct tool_opts *o)
{
	struct ckpt_version v;
	struct target t;
	int dev, ret;

	if (!po->every_ms || !po->dir || single_opts)
		return help_error(&help_dump, "%s",
				  !po->every_ms ? "--dir, --keep and --count go with --every MS" :
				  !po->dir ? "--every needs --dir DIR" :
				  "--every takes none of -o, --kill, --progress");
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
		{ "tcp-established", no_argument, NULL, 'T' },
		{ "stats", no_argument, NULL, 's' },
		{ "every", required_argument, NULL, 'E' },
		{ "dir", required_argument, NULL, 'D' },
		{ "keep", required_argument, NULL, 'K' },
		{ "count", required_argument, NULL, 'C' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum progress_mode show = PROGRESS_AUTO;
	struct progress prog;
	char *end;
	struct periodic_opts po = { 0 };
	bool periodic = false;
	const char *out_path = NULL;
	unsigned long long t0, frozen_us, kill_us = 0;
	bool kill_after = false, stats = false, created, seccomp = false;
	bool tcp_out = false;
	unsigned int flags;
	struct ckpt_version v;
	struct tcp_quiet quiet;
	struct ckpt_dump d;
	int c, dev, out, ret = 1;
	pid_t pid = 0;

	while ((c = getopt_long(argc, argv, ":t:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || pid <= 0)
				return help_error(&help_dump,
						  "-t wants a process id, not '%s'",
						  optarg);
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'k':
			kill_after = true;
			break;
		case 'T':
			tcp_out = true;
			break;
		case 's':
			stats = true;
			break;
		case 'P':
			show = PROGRESS_ON;
			break;
		case 'N':
			show = PROGRESS_OFF;
			break;
		case 'h':
			return help_print(&help_dump);
		case 'E':
		case 'D':
		case 'K':
		case 'C':
			periodic = true;
			if (periodic_opt(&po, c, optarg))
				return help_error(&help_dump, NULL);
			break;
		default:
			return help_getopt_error(&help_dump, argv, c);
		}
	}
	if (optind != argc)
		return help_error(&help_dump, "unexpected argument '%s'",
				  argv[optind]);
	if (pid <= 0)
		return help_error(&help_dump, "which process? give -t PID");
	if (tcp_out && (!kill_after || periodic))
		return help_error(&help_dump,
				  "--tcp-established needs --kill: a connection to a peer outside the process can only move");
	if (periodic)
		return dump_every(pid, &po, stats,
				  out_path || kill_after || show == PROGRESS_ON, o);
	dev = tool_open_dev(o, &v);
	if (dev < 0)
		return 1;
	out = open_output(out_path, &created);
	if (out < 0)
		goto close_dev;

	if (ptrace_seize(pid))
		goto close_out;
	/* Seizing stops nothing: the process is frozen from here. */
	t0 = now_us();
	if (ptrace_stop_seized(pid))
		goto close_out;
	/* A process that ends with its dump takes its TCP connections along. */
	flags = kill_after && (v.features & CKPT_FEAT_TCP) ? CKPT_DUMP_FINAL : 0;
	if (tcp_out && !(v.features & CKPT_FEAT_TCP)) {
		errmsg("dump: --tcp-established: this module does not move TCP connections");
		goto close_out;
	}
	if (tcp_out)
		flags |= CKPT_DUMP_TCP_ESTABLISHED;
	c = dump_capture(dev, pid, out, flags, &d, &seccomp);
	if (c) {
		if (c != -2)
			dump_failed(&d, "capture");
		ptrace_resume(pid);
		goto close_out;
	}
	frozen_us = now_us() - t0;
	/*
	 * Memory is referenced copy-on-write: a process that lives on may run
	 * now.  One that --kill ends may not: whatever it did past the capture
	 * (a write to a file or a socket) the restored process would do again.
	 * It stays stopped until the image is durable, and is resumed, not
	 * killed, if the writeout fails.
	 */
	if (!kill_after) {
		ptrace_resume(pid);
		/* To the last thread resumed, as in CRIU's frozen_time. */
		frozen_us = now_us() - t0;
	}

	/*
	 * The writeout is one ioctl of this thread: a progress thread follows
	 * its bytes (progress.c) against the pages the capture referenced.
	 */
	progress_start(&prog, &(struct progress_spec){
		.mode = show, .what = "dump", .verb = "written",
		.size = d.pages * v.page_size, .total = d.pages * v.page_size,
		.pid = getpid(), .tid = gettid(),
		.short_note = "zero pages are counted, not written",
	});
	if (ckpt_writeout(dev, &d)) {
		dump_failed(&d, out_path && strcmp(out_path, "-") ? out_path :
			    "writing the image");
		progress_end(&prog, false);
		goto resume;
	}
	progress_end(&prog, true);
	/* Stdout redirected to a file is as much a file as -o FILE. */
	if ((created || is_regular(out)) && fsync(out)) {
		errmsg("dump: %s: %s", created ? out_path : "stdout",
		       strerror(errno));
		goto resume;
	}
	if (kill_after) {
		if (tcp_quiet(pid, &quiet))
			goto resume;
		if (ptrace_kill(pid)) {
			errmsg("dump: the image is complete, but process %d could not be killed: %s",
			       pid, strerror(errno));
			tcp_quiet_end(&quiet, true);
			goto resume;
		}
		tcp_quiet_end(&quiet, false);
		kill_us = now_us() - t0;
	}
	if (stats) {
		fprintf(stderr, "frozen_us=%llu pages=%llu bytes=%llu hbuf_chunks=%u capture_us=%llu",
			frozen_us,
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
