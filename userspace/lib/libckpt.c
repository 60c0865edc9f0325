// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libckpt: ioctl wrappers for /dev/ckpt.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "ckpt.h"

#define API __attribute__((visibility("default")))

API int ckpt_dev_open(void)
{
	return open(CKPT_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

API int ckpt_get_version(int fd, struct ckpt_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return ioctl(fd, CKPT_IOC_VERSION, v);
}

API int ckpt_abi_compatible(const struct ckpt_version *v)
{
	return v->abi_major == CKPT_ABI_MAJOR;
}

API int ckpt_get_counters(int fd, struct ckpt_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	return ioctl(fd, CKPT_IOC_COUNTERS, c);
}

API int ckpt_run_selftest(int fd, unsigned int which, struct ckpt_selftest *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->which = which;
	return ioctl(fd, CKPT_IOC_SELFTEST, st);
}

/* Copies the kernel's reason out of an ioctl struct; "" if none. */
static void copy_errmsg(char *dst, size_t len, const char *kmsg, size_t klen)
{
	size_t n;

	if (!dst || !len)
		return;
	n = strnlen(kmsg, klen);
	if (n >= len)
		n = len - 1;
	memcpy(dst, kmsg, n);
	dst[n] = '\0';
}

API int ckpt_snap_take(int fd, pid_t pid, unsigned int flags,
		       struct ckpt_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->flags = flags;
	out->pid = pid;
	return ioctl(fd, CKPT_IOC_SNAPSHOT, out) < 0 ? -1 : 0;
}

API int ckpt_snap_rollback(int fd, pid_t pid, unsigned int id,
			   unsigned int flags, struct ckpt_rollback *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->flags = flags;
	out->pid = pid;
	out->id = id;
	return ioctl(fd, CKPT_IOC_ROLLBACK, out) < 0 ? -1 : 0;
}

API int ckpt_snap_drop(int fd, pid_t pid, unsigned int id, char *errbuf,
		       size_t errlen)
{
	struct ckpt_snap_list l;
	int r;

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.pid = pid;
	l.id = id;
	r = ioctl(fd, CKPT_IOC_DROP, &l);
	copy_errmsg(errbuf, errlen, l.errmsg, sizeof(l.errmsg));
	return r < 0 ? -1 : 0;
}

API int ckpt_snap_list(int fd, pid_t pid, struct ckpt_snap_info *v,
		       unsigned int max, unsigned int *count, char *errbuf,
		       size_t errlen)
{
	struct ckpt_snap_list l;
	int r;

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.pid = pid;
	l.max = v ? max : 0;
	l.snaps = (__u64)(uintptr_t)v;
	r = ioctl(fd, CKPT_IOC_LIST, &l);
	copy_errmsg(errbuf, errlen, l.errmsg, sizeof(l.errmsg));
	if (r < 0)
		return -1;
	*count = l.count;
	return 0;
}

API int ckpt_dump_given(int fd, pid_t pid, int out_fd, unsigned int flags,
			const void *seccomp, size_t seccomp_len,
			const struct ckpt_epoll_in *epoll, size_t nr_epoll,
			struct ckpt_dump *d)
{
	memset(d, 0, sizeof(*d));
	d->size = sizeof(*d);
	d->flags = flags;
	d->pid = pid;
	d->fd = out_fd;
	if (seccomp_len > CKPT_SECCOMP_IN_MAX ||
	    nr_epoll > CKPT_EPOLL_IN_MAX / sizeof(*epoll)) {
		errno = E2BIG;
		return -1;
	}
	d->seccomp = (__u64)(uintptr_t)seccomp;
	d->seccomp_len = seccomp_len;
	d->epoll = (__u64)(uintptr_t)epoll;
	d->epoll_len = nr_epoll * sizeof(*epoll);
	return ioctl(fd, CKPT_IOC_DUMP, d) < 0 ? -1 : 0;
}

API int ckpt_dump_seccomp(int fd, pid_t pid, int out_fd, unsigned int flags,
			  const void *seccomp, size_t seccomp_len,
			  struct ckpt_dump *d)
{
	if (seccomp_len > CKPT_SECCOMP_IN_MAX) {
		memset(d, 0, sizeof(*d));
		errno = E2BIG;
		return -1;
	}
	return ckpt_dump_given(fd, pid, out_fd, flags, seccomp, seccomp_len,
			       NULL, 0, d);
}

API int ckpt_dump(int fd, pid_t pid, int out_fd, unsigned int flags,
		  struct ckpt_dump *d)
{
	return ckpt_dump_seccomp(fd, pid, out_fd, flags, NULL, 0, d);
}

API int ckpt_writeout(int fd, struct ckpt_dump *d)
{
	return ioctl(fd, CKPT_IOC_WRITEOUT, d) < 0 ? -1 : 0;
}

static int restore(int fd, unsigned int flags, int image_fd, int close_fd,
		   int pipe_fd, struct ckpt_restore *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->flags = flags;
	r->fd = image_fd;
	r->close_fd = close_fd;
	r->pipe_fd = pipe_fd;
	return ioctl(fd, CKPT_IOC_RESTORE, r) < 0 ? -1 : 0;
}

API int ckpt_restore(int fd, int image_fd, int close_fd,
		     struct ckpt_restore *r)
{
	return restore(fd, 0, image_fd, close_fd, 0, r);
}

API int ckpt_restore_files(int fd, int image_fd, int close_fd, int pipe_fd,
			   struct ckpt_restore *r)
{
	return restore(fd, CKPT_RESTORE_FILES, image_fd, close_fd, pipe_fd, r);
}

API int ckpt_restore_regs(int fd, pid_t pid, struct ckpt_restore *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->flags = CKPT_RESTORE_REGS;
	r->pid = pid;
	return ioctl(fd, CKPT_IOC_RESTORE, r) < 0 ? -1 : 0;
}

/*
 * The calling process's own snapshots.  One /dev/ckpt fd, opened before
 * the first snapshot so that every snapshot holds it in its fd table and
 * this variable in its memory: a rollback can never lose it.
 */
static int self_fd = -1;
static _Thread_local char self_errmsg[128];

static int self_dev(void)
{
	int fd = __atomic_load_n(&self_fd, __ATOMIC_ACQUIRE);
	int expected = -1;

	if (fd >= 0)
		return fd;
	fd = open(CKPT_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* Two threads racing here: keep the first fd, close ours. */
	if (!__atomic_compare_exchange_n(&self_fd, &expected, fd, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd);
		return expected;
	}
	return fd;
}

API const char *ckpt_errmsg(void)
{
	return self_errmsg;
}

/*
 * The kernel keeps the general registers of a self snapshot, not the FPU
 * state, which at the rollback is the rolling-back code's.  Of that state
 * the ABI makes only the x87 control word and MXCSR survive a call
 * (callee-saved), so those two are what the caller expects back.
 */
struct fp_ctl {
	unsigned short fcw;
	unsigned int mxcsr;
};

static inline void fp_ctl_save(volatile struct fp_ctl *c)
{
	__asm__ volatile("fnstcw %0" : "=m"(c->fcw));
	__asm__ volatile("stmxcsr %0" : "=m"(c->mxcsr));
}

static inline void fp_ctl_restore(const volatile struct fp_ctl *c)
{
	__asm__ volatile("fldcw %0" : : "m"(c->fcw));
	__asm__ volatile("ldmxcsr %0" : : "m"(c->mxcsr));
}

/*
 * Returns twice, like setjmp(): 0 from the ioctl that took the snapshot,
 * then the snapshot id from the same ioctl each time a rollback makes it
 * return again.  By then memory is as it was at the capture, so *id and
 * s (written after it) are not what the first return left: *id comes
 * from the return value.  noinline keeps this frame, the one the
 * rollback comes back into, the same for every caller.
 */
API __attribute__((noinline, returns_twice))
int ckpt_snapshot_flags(int *id, unsigned int flags)
{
	struct ckpt_snapshot s;
	volatile struct fp_ctl fp;
	int fd, r;

	self_errmsg[0] = '\0';
	fd = self_dev();
	if (fd < 0)
		return -1;
	fp_ctl_save(&fp);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = flags;
	s.pid = 0;
	r = ioctl(fd, CKPT_IOC_SNAPSHOT, &s);
	if (r < 0) {
		copy_errmsg(self_errmsg, sizeof(self_errmsg), s.errmsg,
			    sizeof(s.errmsg));
		return -1;
	}
	if (r == 0) {
		*id = (int)s.id;
		return 0;
	}
	fp_ctl_restore(&fp);
	*id = r;
	return 1;
}

API __attribute__((noinline, returns_twice))
int ckpt_snapshot(int *id)
{
	return ckpt_snapshot_flags(id, 0);
}

API int ckpt_rollback(int id)
{
	struct ckpt_rollback rb;
	int fd = __atomic_load_n(&self_fd, __ATOMIC_ACQUIRE);

	self_errmsg[0] = '\0';
	/* No fd yet: no snapshot was ever taken here. */
	if (fd < 0 || id <= 0) {
		errno = EINVAL;
		return -1;
	}
	memset(&rb, 0, sizeof(rb));
	rb.size = sizeof(rb);
	rb.pid = 0;
	rb.id = (unsigned int)id;
	/* Success returns at the snapshot site, never here. */
	if (ioctl(fd, CKPT_IOC_ROLLBACK, &rb) >= 0)
		errno = EPROTO;
	copy_errmsg(self_errmsg, sizeof(self_errmsg), rb.errmsg,
		    sizeof(rb.errmsg));
	return -1;
}

API int ckpt_drop(int id)
{
	int fd = __atomic_load_n(&self_fd, __ATOMIC_ACQUIRE);

	self_errmsg[0] = '\0';
	if (fd < 0 || id <= 0) {
		errno = EINVAL;
		return -1;
	}
	return ckpt_snap_drop(fd, 0, (unsigned int)id, self_errmsg,
			      sizeof(self_errmsg));
}
