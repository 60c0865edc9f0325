// SPDX-License-Identifier: GPL-2.0
/*
 * Restore: the eventfds, signalfds, timerfds and epolls of an image, made
 * by the restoring child (a module cannot make them: their fops are not
 * exported) as each FILE record says, for the kernel to take from the fd
 * the child leaves them at (CKPT_RESTORE_FILES).  An epoll is made last,
 * its targets registered under the fd numbers they were added with.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "restore.h"
#include "tool.h"

#define NSEC	1000000000ULL

/* linux/timerfd.h has it, but clashes with glibc's fcntl.h. */
#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS	_IOW('T', 0, uint64_t)
#endif

static int make_eventfd(const struct plan_file *f)
{
	struct ckpt_file_eventfd st;
	int fd, flags = EFD_CLOEXEC;

	memcpy(&st, f->data, sizeof(st));	/* data_len checked */
	if (st.flags & CKPT_EVENTFD_SEMAPHORE)
		flags |= EFD_SEMAPHORE;
	if (f->rec.flags & O_NONBLOCK)
		flags |= EFD_NONBLOCK;
	/* eventfd()'s initial value is 32 bits; a write takes the 64. */
	fd = eventfd(0, flags);
	if (fd < 0 || (st.count && write(fd, &st.count, sizeof(st.count)) !=
				   (ssize_t)sizeof(st.count))) {
		errmsg("restore: eventfd of count %llu: %s",
		       (unsigned long long)st.count, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int make_signalfd(const struct plan_file *f)
{
	struct ckpt_file_signalfd st;
	int fd, sig, flags = SFD_CLOEXEC;
	sigset_t set;

	memcpy(&st, f->data, sizeof(st));
	sigemptyset(&set);
	for (sig = 1; sig <= 64; sig++)
		if (st.mask & (1ULL << (sig - 1)))
			sigaddset(&set, sig);
	if (f->rec.flags & O_NONBLOCK)
		flags |= SFD_NONBLOCK;
	fd = signalfd(-1, &set, flags);
	if (fd < 0)
		errmsg("restore: signalfd of mask 0x%llx: %s",
		       (unsigned long long)st.mask, strerror(errno));
	return fd;
}

static struct timespec ns_to_ts(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / NSEC, .tv_nsec = ns % NSEC };

	return ts;
}

/*
 * The time left is kept, not the instant: a relative timer goes on with
 * it, an absolute one is set to now plus it on its clock.  Then the ticks
 * not read (settime() zeroes them), with the ioctl made for restorers.
 */
static int make_timerfd(const struct plan_file *f)
{
	struct ckpt_file_timerfd st;
	struct itimerspec its = { 0 };
	struct timespec now;
	int fd, flags = TFD_CLOEXEC, set = 0;
	uint64_t ns;

	memcpy(&st, f->data, sizeof(st));
	if (f->rec.flags & O_NONBLOCK)
		flags |= TFD_NONBLOCK;
	fd = timerfd_create(st.clockid, flags);
	if (fd < 0)
		goto fail;
	/* Due but not yet counted when dumped: due now, not disarmed. */
	ns = st.value_ns ? st.value_ns : st.interval_ns ? 1 : 0;
	if (ns && (st.flags & CKPT_TIMERFD_ABSTIME)) {
		if (clock_gettime(st.clockid, &now))
			goto fail;
		ns += (uint64_t)now.tv_sec * NSEC + (uint64_t)now.tv_nsec;
		set = TFD_TIMER_ABSTIME;
		if (st.flags & CKPT_TIMERFD_CANCEL_ON_SET)
			set |= TFD_TIMER_CANCEL_ON_SET;
	}
	its.it_value = ns_to_ts(ns);
	its.it_interval = ns_to_ts(st.interval_ns);
	if (timerfd_settime(fd, set, &its, NULL) ||
	    (st.ticks && ioctl(fd, TFD_IOC_SET_TICKS, &st.ticks)))
		goto fail;
	return fd;
fail:
	errmsg("restore: timerfd on clock %d, %llu ns left, interval %llu ns, %llu ticks: %s",
	       st.clockid, (unsigned long long)st.value_ns,
	       (unsigned long long)st.interval_ns,
	       (unsigned long long)st.ticks, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int anon_file_make(const struct plan_file *f)
{
	switch (f->rec.kind) {
	case CKPT_FILE_EVENTFD:
		return make_eventfd(f);
	case CKPT_FILE_SIGNALFD:
		return make_signalfd(f);
	case CKPT_FILE_TIMERFD:
		return make_timerfd(f);
	}
	errmsg("restore: FILE record %u of kind %u is not an anonymous file",
	       f->rec.id, f->rec.kind);
	return -1;
}

/* Where the child has FILE record @j's file when epolls are made, or -1. */
static int child_fd_of(const struct plan *p, size_t j, int base,
		       const bool *made)
{
	size_t k;

	switch (p->files[j].rec.kind) {
	case CKPT_FILE_INHERIT:
		/* Restore's own fd of that number is the file now. */
		for (k = 0; k < p->nr_fds; k++)
			if (p->fds[k].file_id == p->files[j].rec.id)
				return (int)p->fds[k].fd;
		return -1;
	case CKPT_FILE_PIPE:
	case CKPT_FILE_EVENTFD:
	case CKPT_FILE_SIGNALFD:
	case CKPT_FILE_TIMERFD:
	case CKPT_FILE_SOCKET:
		return base + (int)j;
	case CKPT_FILE_EPOLL:
		return made[j] ? base + (int)j : -2;	/* -2: not yet */
	}
	return -1;
}

static size_t file_index(const struct plan *p, uint32_t id)
{
	size_t j;

	for (j = 0; j < p->nr_files; j++)
		if (p->files[j].rec.id == id)
			break;
	return j;
}

/*
 * Adds @src to epoll @ep under fd number @tfd, the number it was added
 * with (the key the epoll keeps): @src goes to @tfd for the call, and what
 * was at @tfd comes back after it.
 */
static int add_as(int ep, int tfd, int src, const struct ckpt_epoll_target *t,
		  int above)
{
	struct epoll_event ev = { .events = t->events, .data.u64 = t->data };
	int saved = -1, ret, err;

	if (src == tfd)
		return epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	if (fcntl(tfd, F_GETFD) >= 0) {
		saved = fcntl(tfd, F_DUPFD_CLOEXEC, above);
		if (saved < 0)
			return -1;
	}
	if (dup2(src, tfd) < 0) {
		ret = -1;
		err = errno;
	} else {
		ret = epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
		err = errno;
		close(tfd);
	}
	if (saved >= 0) {
		if (dup3(saved, tfd, O_CLOEXEC) < 0 && !ret) {
			ret = -1;
			err = errno;
		}
		close(saved);
	}
	errno = err;
	return ret;
}

/* Makes the epoll of FILE record @i; 1 if a target epoll is not made yet. */
static int make_epoll(const struct plan *p, size_t i, int base, int above,
		      const bool *made)
{
	const struct plan_file *f = &p->files[i];
	const struct ckpt_epoll_target *t = f->data;
	size_t n = f->rec.data_len / sizeof(*t), k, j;
	int ep, src, moved, made_fd;

	for (k = 0; k < n; k++) {
		j = file_index(p, t[k].file_id);
		if (j < p->nr_files && child_fd_of(p, j, base, made) == -2)
			return 1;
	}
	/* Above every fd number a target may need for its registration. */
	made_fd = epoll_create1(EPOLL_CLOEXEC);
	ep = made_fd < 0 ? -1 : fcntl(made_fd, F_DUPFD_CLOEXEC, above);
	if (made_fd >= 0)
		close(made_fd);
	if (ep < 0) {
		errmsg("restore: epoll: %s", strerror(errno));
		return -1;
	}
	for (k = 0; k < n; k++) {
		j = file_index(p, t[k].file_id);
		src = j < p->nr_files ? child_fd_of(p, j, base, made) : -1;
		if (src < 0) {
			errmsg("restore: epoll (FILE %u): target fd %u: FILE %u is %s",
			       f->rec.id, t[k].tfd, t[k].file_id,
			       j < p->nr_files ? "a file restore cannot register" :
			       "not in the image");
			goto fail;
		}
		if ((int)t[k].tfd == ep) {
			moved = fcntl(ep, F_DUPFD_CLOEXEC, ep + 1);
			close(ep);
			ep = moved;
			if (ep < 0)
				goto fail_errno;
		}
		if (add_as(ep, (int)t[k].tfd, src, &t[k], above))
			goto fail_errno;
	}
	if ((f->rec.flags & O_NONBLOCK && fcntl(ep, F_SETFL, O_NONBLOCK)) ||
	    dup3(ep, base + (int)i, O_CLOEXEC) < 0) {
		errmsg("restore: epoll (FILE %u): %s", f->rec.id, strerror(errno));
		goto fail;
	}
	close(ep);
	return 0;
fail_errno:
	errmsg("restore: epoll (FILE %u): target fd %u: %s", f->rec.id,
	       t[k].tfd, strerror(errno));
fail:
	if (ep >= 0)
		close(ep);
	return -1;
}

int epolls_make(const struct plan *p, int base, int above)
{
	size_t i, left = 0, done;
	bool *made;
	int ret = 0;

	made = calloc(p->nr_files ? p->nr_files : 1, sizeof(*made));
	if (!made) {
		errmsg("restore: out of memory");
		return -1;
	}
	for (i = 0; i < p->nr_files; i++)
		left += p->files[i].rec.kind == CKPT_FILE_EPOLL;
	/* An epoll in an epoll is made first: passes until all are. */
	while (left && !ret) {
		done = 0;
		for (i = 0; i < p->nr_files && !ret; i++) {
			if (p->files[i].rec.kind != CKPT_FILE_EPOLL || made[i])
				continue;
			ret = make_epoll(p, i, base, above, made);
			if (!ret) {
				made[i] = true;
				done++;
			}
			if (ret == 1)
				ret = 0;
		}
		left -= done;
		if (!ret && left && !done) {
			errmsg("restore: %zu epolls are in one another in a loop", left);
			ret = -1;
		}
	}
	free(made);
	return ret;
}
