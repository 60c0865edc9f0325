// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt restore [-i FILE|DIR] [--detach] [--pid-file F] [--new-pid]
 *              [--progress|--no-progress]
 *
 *  1. The image's metadata is read and checked, its page data seeked
 *     over (a pipe is spooled into a memfd, because the module seeks
 *     too): bad metadata fails here, before any process exists.  DIR
 *     means DIR/latest.  An incremental image is merged with its parents
 *     (chain.c) into a memfd: the module restores full images only.  The
 *     page data, and the CRC over it, are the module's to read and check,
 *     once; bad data kills the child before it runs.
 *  2. A child is made with the image's pid (clone3 set_tid), or any pid
 *     with --new-pid, and this process ptrace-seizes it.
 *  3. The child sets up what only userspace sets (restore_child.c), stops
 *     itself, and calls CKPT_IOC_RESTORE, which replaces its memory and
 *     applies its signal state, with rollback's appliers.
 *  4. At the ioctl's syscall-exit stop, this process has the kernel write
 *     the image's registers and xstate into the child (CKPT_RESTORE_REGS:
 *     regsets only work on a stopped task that is not current) and lets
 *     it go.  Signals sent to it meanwhile are delivered then.
 *  5. Without --detach it waits and exits as the child does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chain.h"
#include "restore.h"
#include "tool.h"

/* At the same address in the child (a fork), so the tracer can read it. */
static struct ckpt_restore restore_arg;

const struct cmd_help help_restore = {
	.name = "restore",
	.summary = "restart a process from an image",
	.usage = "ckpt restore [-i FILE|DIR] [--detach] [--pid-file F] [--new-pid]\n"
		 "             [--progress | --no-progress]",
	.text =
"Restarts the process in an image.  The whole image is read and checked\n"
"first, so a bad one fails before any process exists.  A child then takes\n"
"the image's pid, becomes the process and runs on from the image's\n"
"instant; its stdio that went to a terminal or a pipe is reconnected to\n"
"ckpt's own.  Without --detach, ckpt waits for it and exits as it does\n"
"(128+N if a signal N ended it); a failed restore exits 1, saying why.\n"
"Needs CAP_CHECKPOINT_RESTORE (or root) and the kernel the image came\n"
"from.\n"
"\n"
"options:\n"
"  -i FILE|DIR    the image: a FILE, or DIR for DIR/latest of a series of\n"
"                 periodic checkpoints; an incremental image is merged with\n"
"                 its parents, found in its directory.  '-', or no -i: stdin\n"
"                 (a full image; it is read into memory first)\n"
"  --detach       print the restored process's pid on stdout and exit at\n"
"                 once, leaving it running\n"
"  --pid-file F   write the restored process's pid to F\n"
"  --new-pid      if the image's pid is in use or cannot be taken (that\n"
"                 needs root), restore under a new pid instead of failing\n"
"  --progress     a progress line on stderr while the kernel reads the\n"
"                 image (MiB read, MiB/s, percentage), whatever the size\n"
"                 and wherever stderr goes.  The kernel reads each byte of\n"
"                 the image once, checking its metadata, then loading the\n"
"                 memory: the total is the image's size.\n"
"  --no-progress  no progress line.  Without either, it is shown when\n"
"                 stderr is a terminal and the image is over 64 MiB.\n"
"  -h, --help     this help\n",
};

/* An incremental image merged with its parents, in a memfd. */
static int merge_image(const char *path)
{
	int mfd = memfd_create("ckpt-image", MFD_CLOEXEC);

	if (mfd < 0) {
		errmsg("restore: memfd: %s", strerror(errno));
		return -1;
	}
	if (chain_merge_as("restore", path, mfd)) {
		close(mfd);
		return -1;
	}
	lseek(mfd, 0, SEEK_SET);
	return mfd;
}

/* Its parents are found next to an image's file, not from a stream. */
static int refuse_incremental_stream(int fd, const char *path)
{
	errmsg("restore: the image on %s is incremental, and its parent images cannot be found from there: give its file path (-i DIR/NNNNNN.img, or -i DIR for the latest)",
	       path && strcmp(path, "-") ? path : "stdin");
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * A seekable fd holding a full image: FILE itself (DIR/latest for a
 * directory), an incremental FILE merged, or stdin/pipe spooled.
 */
static int open_image(const char *path)
{
	char buf[1 << 16], file[PATH_MAX];
	struct stat st;
	ssize_t n, w;
	int fd, mfd;

	if (path && strcmp(path, "-")) {
		if (chain_path(path, file, sizeof(file)))
			return -1;
		path = file;
	}
	fd = path && strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) :
					 STDIN_FILENO;
	if (fd < 0) {
		errmsg("restore: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (!chain_fd_is_incremental(fd))
			return fd == STDIN_FILENO ?
			       fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd;
		if (fd == STDIN_FILENO)
			return refuse_incremental_stream(-1, NULL);
		close(fd);
		return merge_image(path);
	}
	mfd = memfd_create("ckpt-image", MFD_CLOEXEC);
	if (mfd < 0) {
		errmsg("restore: memfd: %s", strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (w = 0; w < n; ) {
			ssize_t k = write(mfd, buf + w, n - w);

			if (k < 0) {
				errmsg("restore: spooling the image: %s", strerror(errno));
				close(mfd);
				return -1;
			}
			w += k;
		}
	}
	if (n < 0) {
		errmsg("restore: reading the image: %s", strerror(errno));
		close(mfd);
		return -1;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (chain_fd_is_incremental(mfd))
		return refuse_incremental_stream(mfd, path);
	lseek(mfd, 0, SEEK_SET);
	return mfd;
}

/* The xstate and its features must be what this CPU and kernel use. */
static int check_cpu(const struct plan *p, const struct ckpt_version *v)
{
	uint64_t xstate_bv;

	if (p->xstate_size != v->xstate_size) {
		errmsg("restore: the image's FPU state is %u bytes, this machine's is %u: restore on a CPU with the same features",
		       p->xstate_size, v->xstate_size);
		return -1;
	}
	memcpy(&xstate_bv, (char *)p->xstate + 512, sizeof(xstate_bv));
	if (xstate_bv & ~v->xfeatures) {
		errmsg("restore: the process used CPU state (XCR0 bits %#llx) this CPU does not have",
		       (unsigned long long)(xstate_bv & ~v->xfeatures));
		return -1;
	}
	return 0;
}

static pid_t make_child(const struct plan *p, bool new_pid)
{
	pid_t want = p->task.pid;
	struct clone_args ca;
	pid_t pid;

	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	ca.set_tid = (uintptr_t)&want;
	ca.set_tid_size = 1;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid >= 0)
		return pid;
	if (!new_pid) {
		if (errno == EEXIST)
			errmsg("restore: pid %d is in use (give --new-pid to restore under another pid)",
			       want);
		else
			errmsg("restore: cannot take pid %d: %s (restoring the pid needs root; give --new-pid to restore under another pid)",
			       want, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0)
		errmsg("restore: fork: %s", strerror(errno));
	return pid;
}

static void child(const struct plan *p, int img, int dev, int sync_rd,
		  bool new_pid)
{
	int keep[4] = { img, dev, sync_rd, dup(STDERR_FILENO) };
	int pipe_fd;
	char c;

	/* Our messages keep going to the tool's stderr, wherever fd 2 goes. */
	tool_errfd = keep[3];
	/* Wait until the parent has seized us. */
	if (read(sync_rd, &c, 1) != 1)
		_exit(127);
	if (child_prepare(p, keep, 4, &pipe_fd) ||
	    child_threads(p, keep[1], new_pid) || child_timers(p) ||
	    child_seccomp(p))
		_exit(127);
	close(keep[2]);
	/*
	 * Nothing is said from here on (the tracer reports a failed ioctl),
	 * and the restored process must not hold our stderr: a pipe from
	 * `ckpt restore --detach 2>&1 | ...` would never see its end.
	 */
	close(keep[3]);
	tool_errfd = -1;
	/*
	 * The stop tells the tracer that the next syscall is the restore;
	 * raise() would make another syscall after the kill.
	 */
	syscall(SYS_tgkill, getpid(), gettid(), SIGSTOP);
	ckpt_restore_files(keep[1], keep[0], keep[1], pipe_fd, &restore_arg);
	_exit(127);
}

/* Waits for the next stop of @pid; returns its status, -1 if it is gone. */
static int wait_stop(pid_t pid, int *status)
{
	if (waitpid(pid, status, __WALL) < 0)
		return -1;
	return WIFSTOPPED(*status) ? 0 : -1;
}

/*
 * The kernel kills a restore that fails past its point of no return, and
 * keeps why on the open file @dev for us (asked as a registers call).
 */
static void say_child_died(int status, int dev, pid_t pid)
{
	struct ckpt_restore r;

	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	    ckpt_restore_regs(dev, pid, &r) && errno == ECANCELED &&
	    r.errmsg[0])
		errmsg("restore: the process was killed during restore: %s",
		       r.errmsg);
	else if (WIFSIGNALED(status))
		errmsg("restore: the process was killed by signal %d during restore (see the kernel log)",
		       WTERMSIG(status));
	else
		errmsg("restore: the restoring process exited with status %d before the restore",
		       WEXITSTATUS(status));
}

/*
 * Registers and xstate, at the restore ioctl's syscall-exit stop: the
 * kernel has them from the image it read, on the open file @dev that the
 * child's restore went through.
 */
static int set_regs(int dev, pid_t pid)
{
	struct ckpt_restore r;

	if (ckpt_restore_regs(dev, pid, &r)) {
		errmsg("restore: setting the registers: %s",
		       r.errmsg[0] ? r.errmsg : strerror(errno));
		return -1;
	}
	return 0;
}

/* The child's other threads, as their first stops show them. */
struct born {
	pid_t *tids;		/* nr_threads of them */
	size_t nr, max;
};

/*
 * The next stop of the leader @pid, whichever of the child's threads
 * stops first: the others, traced from birth (CLONE_PTRACE), stop once
 * before they make their filters and park.  Each is noted in @b and let
 * go.  A thread that exits or is killed is let be: the leader's restore
 * then fails and says why.
 */
static int wait_leader(pid_t pid, int *status, struct born *b)
{
	pid_t w;

	for (;;) {
		w = waitpid(-1, status, __WALL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == pid)
			return WIFSTOPPED(*status) ? 0 : -1;
		if (!WIFSTOPPED(*status))
			continue;
		if ((*status >> 16) == PTRACE_EVENT_STOP) {
			if (b->nr < b->max)
				b->tids[b->nr] = w;
			b->nr++;
			ptrace(PTRACE_CONT, w, 0, 0);
		} else {
			/* A fault of its own: delivered, it ends the group. */
			ptrace(PTRACE_CONT, w, 0, WSTOPSIG(*status));
		}
	}
}

/*
 * The child's other threads, parked in the kernel: each interrupted, so
 * that once released it stops before any user code.
 */
static int interrupt_threads(const struct born *b)
{
	size_t i;

	if (b->nr != b->max) {
		errmsg("restore: the restoring process has %zu threads besides its leader, the image %zu",
		       b->nr, b->max);
		return -1;
	}
	for (i = 0; i < b->nr; i++) {
		if (ptrace(PTRACE_INTERRUPT, b->tids[i], 0, 0)) {
			errmsg("restore: cannot interrupt thread %d: %s",
			       b->tids[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Released by the leader's registers, each thread applies its own state
 * in the kernel and stops on its way out: its registers go in there.
 */
static int thread_regs(int dev, size_t nr, const pid_t *tids)
{
	int status;
	size_t i;

	for (i = 0; i < nr; i++) {
		for (;;) {
			if (wait_stop(tids[i], &status)) {
				errmsg("restore: thread %d died during restore (see the kernel log)",
				       tids[i]);
				return -1;
			}
			if ((status >> 16) == PTRACE_EVENT_STOP)
				break;
			/* A signal: it stays queued, delivered after the restore. */
			ptrace(PTRACE_CONT, tids[i], 0, 0);
		}
		if (set_regs(dev, tids[i]))
			return -1;
	}
	return 0;
}

/*
 * Drives the child from its SIGSTOP to the end of the restore ioctl,
 * during which a progress thread follows what it reads (@ps); then its
 * threads, which it leaves in @tids.
 */
static int trace_restore(pid_t pid, int dev, struct progress_spec *ps,
			 size_t nr_threads, pid_t *tids)
{
	struct progress prog;
	struct user_regs_struct regs;
	struct ckpt_restore r;
	struct iovec local = { &r, sizeof(r) };
	struct iovec remote = { &restore_arg, sizeof(r) };
	struct born b = { tids, 0, nr_threads };
	int status;

	/* The child's SIGSTOP: the next syscall is CKPT_IOC_RESTORE. */
	for (;;) {
		if (wait_leader(pid, &status, &b)) {
			say_child_died(status, dev, pid);
			return -1;
		}
		if (WSTOPSIG(status) == SIGSTOP && (status >> 16) == 0)
			break;
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
	/* From here on, all the child reads is the image, in the kernel. */
	ps->pid = ps->tid = pid;
	progress_start(&prog, ps);
	/* Entry stop, then exit stop. */
	if (ptrace(PTRACE_SYSCALL, pid, 0, 0) || wait_leader(pid, &status, &b) ||
	    ptrace(PTRACE_SYSCALL, pid, 0, 0) || wait_leader(pid, &status, &b)) {
		progress_end(&prog, false);
		say_child_died(status, dev, pid);
		return -1;
	}
	if (ptrace(PTRACE_GETREGS, pid, 0, &regs)) {
		progress_end(&prog, false);
		errmsg("restore: reading the child's registers: %s", strerror(errno));
		return -1;
	}
	progress_end(&prog, (long)regs.rax >= 0);
	if ((long)regs.rax < 0) {
		/* Before the point of no return: the child's memory is intact. */
		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == sizeof(r) &&
		    r.errmsg[0])
			errmsg("restore: %s", r.errmsg);
		else
			errmsg("restore: %s", strerror(-regs.rax));
		return -1;
	}
	if (interrupt_threads(&b))
		return -1;
	if (set_regs(dev, pid))
		return -1;
	return nr_threads ? thread_regs(dev, nr_threads, tids) : 0;
}

static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int cmd_restore(int argc, char **argv, const struct tool_opts *o)
{
	static const struct option opts[] = {
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "new-pid", no_argument, NULL, 'n' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct progress_spec ps = {
		.mode = PROGRESS_AUTO, .what = "restore", .verb = "read",
		.reads = true, .phase = { "checking the image", "loading the memory" },
	};
	struct stat st;
	const char *in = NULL, *pid_file = NULL;
	bool detach = false, new_pid = false;
	int c, img, dev, sync[2], status, ret = 1;
	sigset_t all, old_mask;
	struct ckpt_version v;
	pid_t pid, *tids = NULL;
	struct plan p;
	size_t i;

	while ((c = getopt_long(argc, argv, ":i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			in = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case 'p':
			pid_file = optarg;
			break;
		case 'n':
			new_pid = true;
			break;
		case 'P':
			ps.mode = PROGRESS_ON;
			break;
		case 'N':
			ps.mode = PROGRESS_OFF;
			break;
		case 'h':
			return help_print(&help_restore);
		default:
			return help_getopt_error(&help_restore, argv, c);
		}
	}
	if (optind != argc)
		return help_error(&help_restore, "unexpected argument '%s' (the image goes with -i)",
				  argv[optind]);
	memset(&p, 0, sizeof(p));
	img = open_image(in);
	if (img < 0)
		return 1;
	if (plan_load(img, &p))
		goto close_img;
	lseek(img, 0, SEEK_SET);
	dev = tool_open_dev(o, &v);
	if (dev < 0)
		goto free_plan;
	if (check_cpu(&p, &v) || pipe2(sync, O_CLOEXEC)) {
		close(dev);
		goto free_plan;
	}
	/*
	 * img is always a file here (a stream was spooled into a memfd): the
	 * kernel reads its metadata, then its page data, each byte once.
	 */
	if (!fstat(img, &st) && S_ISREG(st.st_mode)) {
		ps.size = st.st_size;
		ps.split = p.data_offset ? p.data_offset : (uint64_t)st.st_size;
		ps.total = st.st_size;
	}
	fflush(NULL);
	/* The child starts with every signal blocked: none may kill it early. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old_mask);
	pid = make_child(&p, new_pid);
	if (pid == 0) {
		close(sync[1]);
		child(&p, img, dev, sync[0], new_pid);
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	close(sync[0]);
	if (pid < 0) {
		close(sync[1]);
		goto close_dev;
	}
	/*
	 * PTRACE_O_SUSPEND_SECCOMP: the filters the child and its threads
	 * make filter nothing until we detach.
	 */
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_EXITKILL |
		   (p.nr_seccomp ? PTRACE_O_SUSPEND_SECCOMP : 0))) {
		if (p.nr_seccomp && errno == EPERM)
			errmsg("restore: the image has seccomp filters: making them again needs CAP_SYS_ADMIN, and a ckpt not itself under seccomp (PTRACE_O_SUSPEND_SECCOMP)");
		else
			errmsg("restore: cannot trace the restoring process: %s",
			       strerror(errno));
		kill(pid, SIGKILL);
		close(sync[1]);
		waitpid(pid, NULL, 0);
		goto close_dev;
	}
	if (pid_file) {
		FILE *f = fopen(pid_file, "we");

		if (!f || fprintf(f, "%d\n", pid) < 0 || fclose(f)) {
			errmsg("restore: cannot write %s: %s", pid_file, strerror(errno));
			kill(pid, SIGKILL);
			close(sync[1]);
			waitpid(pid, NULL, 0);
			goto close_dev;
		}
	}
	tids = calloc(p.nr_threads ? p.nr_threads : 1, sizeof(*tids));
	if (!tids || write(sync[1], "", 1) != 1 ||
	    trace_restore(pid, dev, &ps, p.nr_threads, tids)) {
		close(sync[1]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
		goto close_dev;
	}
	close(sync[1]);
	close(dev);
	dev = -1;
	/* All at once: no thread ran before every one was restored. */
	for (i = 0; i < p.nr_threads; i++)
		ptrace(PTRACE_DETACH, tids[i], 0, 0);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	if (detach) {
		printf("%d\n", pid);
		ret = 0;
		goto free_plan;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ret = exit_status(status);
close_dev:
	if (dev >= 0)
		close(dev);
free_plan:
	free(tids);
	plan_free(&p);
close_img:
	close(img);
	return ret;
}
