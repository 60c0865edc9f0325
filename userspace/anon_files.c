// SPDX-License-Identifier: GPL-2.0
/*
 * Restore: the eventfds, signalfds and timerfds of an image, made by the
 * restoring child (a module cannot make them: their fops are not
 * exported) as each FILE record says, for the kernel to take from the fd
 * the child leaves them at (CKPT_RESTORE_FILES).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
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
