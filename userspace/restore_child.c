// SPDX-License-Identifier: GPL-2.0
/*
 * The restoring child, before the restore ioctl: what the kernel cannot
 * apply for it, each step saying why: fds at exact numbers, limits,
 * identity, directories, interval timers, and moving the vDSO to the
 * image's address.  The kernel applies the rest (mappings, pages, signal
 * handlers, altstack, queued signals, the mask) with rollback's appliers.
 *
 * All signals are blocked by the caller; the kernel sets the image's mask
 * last.  After the vDSO moves, nothing here may call into it (no
 * clock_gettime()), which is why the timers are set before.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <unistd.h>

#include "restore.h"
#include "tool.h"

/* Fds of the restorer itself are parked above every image fd. */
static int park_base;

static bool is_kept(int fd, const int *keep, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

static const struct plan_file *file_by_id(const struct plan *p, uint32_t id)
{
	size_t i;

	for (i = 0; i < p->nr_files; i++)
		if (p->files[i].rec.id == id)
			return &p->files[i];
	return NULL;
}

static bool fd_inherited(const struct plan *p, int fd)
{
	const struct plan_file *f;
	size_t i;

	for (i = 0; i < p->nr_fds; i++) {
		if ((int)p->fds[i].fd != fd)
			continue;
		f = file_by_id(p, p->fds[i].file_id);
		return f && f->rec.kind == CKPT_FILE_INHERIT;
	}
	return false;
}

/* Moves our own fds out of the image's way; closes everything else. */
static int park_fds(const struct plan *p, int *keep, size_t nr_keep)
{
	struct dirent *de;
	size_t i;
	DIR *d;
	int fd, nfd;

	park_base = 3;
	for (i = 0; i < p->nr_fds; i++)
		if ((int)p->fds[i].fd >= park_base)
			park_base = p->fds[i].fd + 1;
	for (i = 0; i < nr_keep; i++) {
		nfd = fcntl(keep[i], F_DUPFD_CLOEXEC, park_base);
		if (nfd < 0) {
			errmsg("restore: cannot move fd %d: %s", keep[i], strerror(errno));
			return -1;
		}
		close(keep[i]);
		if (keep[i] == tool_errfd)
			tool_errfd = nfd;
		keep[i] = nfd;
	}
	d = opendir("/proc/self/fd");
	if (!d) {
		errmsg("restore: /proc/self/fd: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d) || is_kept(fd, keep, nr_keep) ||
		    fd_inherited(p, fd))
			continue;
		close(fd);
	}
	closedir(d);
	return 0;
}

/*
 * Moves *fd above every image fd: a low number would be taken over by a
 * dup2() of the image's fds, and closing ours later would close theirs.
 */
static int park(int *fd)
{
	int nfd;

	if (*fd >= park_base)
		return 0;
	nfd = fcntl(*fd, F_DUPFD_CLOEXEC, park_base);
	close(*fd);
	*fd = nfd;
	return nfd < 0 ? -1 : 0;
}

/* Opens one FILE record at a temporary fd above the image's range. */
static int open_file(const struct plan *p, const struct plan_file *f,
		     int *pipes)
{
	int acc = f->rec.flags & O_ACCMODE, fd, flags, pfd[2];
	struct stat st;
	size_t i;

	flags = f->rec.flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT |
				O_NOATIME | O_SYNC | O_DSYNC | O_LARGEFILE |
				O_DIRECTORY | O_NOFOLLOW | O_PATH);
	switch (f->rec.kind) {
	case CKPT_FILE_PIPE:
		/* Both ends of a pipe come from one pipe2(), by pipe_id. */
		for (i = 0; i < p->nr_files; i++)
			if (&p->files[i] == f)
				break;
		if (pipes[2 * i] < 0) {
			if (pipe2(pfd, O_CLOEXEC) || park(&pfd[0]) || park(&pfd[1])) {
				errmsg("restore: pipe: %s", strerror(errno));
				return -1;
			}
			for (size_t j = 0; j < p->nr_files; j++) {
				if (p->files[j].rec.kind != CKPT_FILE_PIPE ||
				    p->files[j].rec.pipe_id != f->rec.pipe_id)
					continue;
				pipes[2 * j] = pfd[0];
				pipes[2 * j + 1] = pfd[1];
			}
		}
		fd = dup(acc == O_RDONLY ? pipes[2 * i] : pipes[2 * i + 1]);
		if (fd >= 0 && f->data && f->rec.data_len) {
			if (fcntl(pipes[2 * i + 1], F_SETPIPE_SZ, f->rec.data_len) < 0 &&
			    f->rec.data_len > 65536) {
				errmsg("restore: fd with pipe data: cannot size the pipe: %s",
				       strerror(errno));
				return -1;
			}
			if (write(pipes[2 * i + 1], f->data, f->rec.data_len) !=
			    (ssize_t)f->rec.data_len) {
				errmsg("restore: cannot refill a pipe: %s", strerror(errno));
				return -1;
			}
		}
		if (fd >= 0 && fcntl(fd, F_SETFL, flags & ~O_ACCMODE) < 0)
			return -1;
		return fd;
	case CKPT_FILE_FIFO:
		/* Opening one end alone would block until the other opens. */
		fd = open(f->path, O_RDWR | O_CLOEXEC | (flags & O_NONBLOCK));
		if (fd >= 0 && f->data && f->rec.data_len &&
		    write(fd, f->data, f->rec.data_len) != (ssize_t)f->rec.data_len) {
			errmsg("restore: %s: cannot refill the FIFO: %s", f->path,
			       strerror(errno));
			close(fd);
			return -1;
		}
		break;
	default:
		fd = open(f->path, flags | O_CLOEXEC);
		break;
	}
	if (fd < 0) {
		errmsg("restore: cannot open %s: %s", f->path, strerror(errno));
		return -1;
	}
	if (f->rec.kind == CKPT_FILE_REG &&
	    (fstat(fd, &st) || st.st_ino != f->rec.ino ||
	     st.st_dev != f->rec.dev)) {
		errmsg("restore: %s is not the file the process had open (replaced since the checkpoint)",
		       f->path);
		close(fd);
		return -1;
	}
	if ((f->rec.kind == CKPT_FILE_REG || f->rec.kind == CKPT_FILE_DIR) &&
	    lseek(fd, f->rec.pos, SEEK_SET) < 0) {
		errmsg("restore: %s: cannot seek to %llu: %s", f->path,
		       (unsigned long long)f->rec.pos, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Still in userspace: opening files by path and making pipes is easy
 * here.  The kernel's fd installer for rollback (snap_files.c) is to take
 * this over, so that restore and rollback share one (issue 11).
 */
static int restore_fds(const struct plan *p)
{
	const struct plan_file *f;
	int *tmp, *pipes, ret = -1;
	size_t i, j;

	tmp = calloc(p->nr_files + 1, sizeof(*tmp));
	pipes = malloc((2 * p->nr_files + 2) * sizeof(*pipes));
	if (!tmp || !pipes) {
		errmsg("restore: out of memory");
		goto out;
	}
	for (i = 0; i < 2 * p->nr_files; i++)
		pipes[i] = -1;
	for (i = 0; i < p->nr_files; i++) {
		f = &p->files[i];
		tmp[i] = -1;
		if (f->rec.kind == CKPT_FILE_INHERIT)
			continue;
		tmp[i] = open_file(p, f, pipes);
		if (tmp[i] < 0 || park(&tmp[i]))
			goto out;
	}
	for (i = 0; i < p->nr_fds; i++) {
		const struct ckpt_rec_fd *d = &p->fds[i];

		for (j = 0; j < p->nr_files; j++)
			if (p->files[j].rec.id == d->file_id)
				break;
		if (p->files[j].rec.kind == CKPT_FILE_INHERIT) {
			if (fcntl(d->fd, F_GETFD) < 0) {
				errmsg("restore: fd %u was connected outside the process, and this restore has no fd %u to give it",
				       d->fd, d->fd);
				goto out;
			}
		} else if (dup2(tmp[j], d->fd) < 0) {
			errmsg("restore: fd %u: %s", d->fd, strerror(errno));
			goto out;
		}
		if (fcntl(d->fd, F_SETFD,
			  d->flags & CKPT_FD_CLOEXEC ? FD_CLOEXEC : 0) < 0)
			goto out;
	}
	ret = 0;
out:
	for (i = 0; tmp && i < p->nr_files; i++)
		if (tmp[i] >= 0)
			close(tmp[i]);
	for (i = 0; pipes && i < 2 * p->nr_files; i++)
		if (pipes[i] >= 0) {
			for (j = i + 1; j < 2 * p->nr_files; j++)
				if (pipes[j] == pipes[i])
					pipes[j] = -1;
			close(pipes[i]);
		}
	free(tmp);
	free(pipes);
	return ret;
}

/*
 * Interval timers stay in userspace: do_setitimer() is not exported, and
 * the timers must be set before the vDSO moves (setitimer() is a plain
 * syscall, but getting them right needs no clock of ours after that).
 * They start ticking here, a little before the restore ends, as the
 * CPU-time ones count the restorer's time from here on.
 */
static int restore_timers(const struct plan *p)
{
	const struct ckpt_rec_signal *s = &p->signal;
	struct itimerval it;
	int i;

	for (i = 0; i < 3; i++) {
		const struct ckpt_itimer *t = &s->itimer[i];

		if (!t->value_ns)
			continue;
		it.it_value.tv_sec = t->value_ns / 1000000000;
		it.it_value.tv_usec = (t->value_ns % 1000000000 + 999) / 1000;
		it.it_interval.tv_sec = t->interval_ns / 1000000000;
		it.it_interval.tv_usec = (t->interval_ns % 1000000000 + 999) / 1000;
		if (setitimer(i, &it, NULL)) {
			errmsg("restore: interval timer %d: %s", i, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * In userspace because the kernel's setters are not exported to modules:
 * do_prlimit() (a direct write of the limits would skip the LSM hook and
 * RLIMIT_CPU's timer), __set_task_comm() and set_dumpable().  umask,
 * personality, pdeathsig and no_new_privs could be written by the module;
 * they stay here with the rest of the identity until the task applier
 * takes them (issue 11).
 */
static int restore_identity(const struct plan *p)
{
	const struct ckpt_rec_task *t = &p->task;
	struct rlimit rl;
	int i;

	for (i = 0; i < RLIM_NLIMITS && i < CKPT_RLIM_NLIMITS; i++) {
		rl.rlim_cur = t->rlim[i].cur;
		rl.rlim_max = t->rlim[i].max;
		if (prlimit(0, i, &rl, NULL)) {
			errmsg("restore: resource limit %d: %s", i, strerror(errno));
			return -1;
		}
	}
	umask(t->umask);
	if (prctl(PR_SET_NAME, t->comm) ||
	    (personality(0xffffffff) != (int)t->personality &&
	     personality(t->personality) < 0) ||
	    prctl(PR_SET_PDEATHSIG, t->pdeathsig) ||
	    ((t->flags & CKPT_TASK_NO_NEW_PRIVS) &&
	     prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) ||
	    (t->dumpable <= 1 && prctl(PR_SET_DUMPABLE, t->dumpable))) {
		errmsg("restore: process identity (comm, personality, prctl): %s",
		       strerror(errno));
		return -1;
	}
	return 0;
}

static int restore_dirs(const struct plan *p)
{
	if (p->root && strcmp(p->root, "/") && chroot(p->root)) {
		errmsg("restore: chroot %s: %s", p->root, strerror(errno));
		return -1;
	}
	if (p->cwd && chdir(p->cwd)) {
		errmsg("restore: working directory %s: %s", p->cwd, strerror(errno));
		return -1;
	}
	return 0;
}

struct special {
	uint64_t start, end;
	uint32_t kind;
};

/* Our [vdso], [vvar]... from /proc/self/maps; also any overlap check. */
static int read_specials(struct special *sp, int max)
{
	char line[512], name[256];
	unsigned long long s, e;
	int n = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		name[0] = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %255s", &s, &e, name) < 2)
			continue;
		if (n < max && (!strcmp(name, "[vdso]") || !strncmp(name, "[vvar", 5))) {
			sp[n].start = s;
			sp[n].end = e;
			sp[n].kind = name[2] == 'd' ? CKPT_VMA_VDSO : CKPT_VMA_VVAR;
			n++;
		}
	}
	fclose(f);
	return n;
}

static bool overlaps_other(uint64_t s, uint64_t e)
{
	char line[512], name[256];
	unsigned long long a, b;
	bool hit = false;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return true;
	while (!hit && fgets(line, sizeof(line), f)) {
		name[0] = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %255s", &a, &b, name) < 2)
			continue;
		if (!strcmp(name, "[vdso]") || !strncmp(name, "[vvar", 5))
			continue;
		hit = a < e && s < b;
	}
	fclose(f);
	return hit;
}

/* Moves [vvar]/[vdso] as one block to where the image had them. */
static int move_vdso(const struct plan *p)
{
	struct special sp[4];
	uint64_t img_vdso = 0, delta;
	int n, i;
	size_t j;

	for (j = 0; j < p->nr_vmas; j++)
		if (p->vmas[j].kind == CKPT_VMA_VDSO)
			img_vdso = p->vmas[j].start;
	n = read_specials(sp, 4);
	if (n < 0) {
		errmsg("restore: /proc/self/maps: %s", strerror(errno));
		return -1;
	}
	if (!img_vdso)
		return 0;
	for (i = 0; i < n && sp[i].kind != CKPT_VMA_VDSO; i++)
		;
	if (i == n) {
		errmsg("restore: the image has a vDSO, this process has none");
		return -1;
	}
	delta = img_vdso - sp[i].start;
	/* Every special mapping must land on the image's, same size. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < p->nr_vmas; j++)
			if (p->vmas[j].kind == sp[i].kind &&
			    p->vmas[j].start == sp[i].start + delta &&
			    p->vmas[j].end == sp[i].end + delta)
				break;
		if (j == p->nr_vmas) {
			errmsg("restore: this kernel's vDSO layout differs from the image's: restore on the kernel that made it");
			return -1;
		}
		if (delta && overlaps_other(sp[i].start + delta, sp[i].end + delta)) {
			errmsg("restore: the image's vDSO address is taken in the restorer; try again");
			return -1;
		}
	}
	if (!delta)
		return 0;
	for (i = 0; i < n; i++) {
		if (mremap((void *)(uintptr_t)sp[i].start, sp[i].end - sp[i].start,
			   sp[i].end - sp[i].start, MREMAP_MAYMOVE | MREMAP_FIXED,
			   (void *)(uintptr_t)(sp[i].start + delta)) == MAP_FAILED) {
			errmsg("restore: cannot move the vDSO: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

int child_prepare(const struct plan *p, int *keep, size_t nr_keep)
{
	if (park_fds(p, keep, nr_keep) || restore_fds(p) ||
	    restore_identity(p) || restore_dirs(p) || restore_timers(p))
		return -1;
	/* Last: from here on the old vDSO is gone. */
	return move_vdso(p);
}
