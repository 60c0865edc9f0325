// SPDX-License-Identifier: GPL-2.0
/*
 * The state of an eventfd: its count and EFD_SEMAPHORE.  struct
 * eventfd_ctx is private, so both are read where the kernel shows them,
 * its fdinfo (eventfd_show_fdinfo(), the text /proc/PID/fdinfo/N gives:
 * a user-visible format).
 *
 * fdinfo shows EFD_SEMAPHORE only from 6.3 on.  Before, one read tells:
 * a semaphore gives 1 of a count of 2 or more, a counter all of it.  The
 * module reads with eventfd_ctx_remove_wait_queue() (a read under the
 * eventfd's lock, with an entry of ours that was never queued) and puts
 * back what it took with eventfd_signal(), first adding 2 if the count is
 * below 2.  The dumped process is stopped and cannot see it; what can is
 * another process sharing the eventfd, which may be woken (spuriously:
 * the count is as it was once the probe ends), or read meanwhile, and
 * then the flag may be wrong.
 */
#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "compat.h"
#include "ctx.h"
#include "fds.h"

#define FDINFO_MAX	256

/* @f's fdinfo lines into @buf, NUL-terminated; 0 or -errno. */
static int eventfd_fdinfo(struct file *f, char *buf, size_t size)
{
	/* seq_printf() uses only these: a stand-in for proc's seq_file. */
	struct seq_file m = { .buf = buf, .size = size };

	if (!f->f_op->show_fdinfo)
		return -EOPNOTSUPP;
	f->f_op->show_fdinfo(&m, f);
	if (m.count >= size)
		return -EOVERFLOW;
	buf[m.count] = '\0';
	return 0;
}

/* The value of "@key: VALUE" in @info, or -ENOENT. */
static int fdinfo_field(const char *info, const char *key, const char *fmt,
			void *val)
{
	const char *p = info;
	size_t n = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, n) && p[n] == ':')
			return sscanf(p + n + 1, fmt, val) == 1 ? 0 : -EINVAL;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* One read(2) of @e, as the module can make it: what it took, maybe 0. */
static u64 eventfd_take(struct eventfd_ctx *e)
{
	struct wait_queue_entry w;
	u64 got = 0;

	/* Removing an entry that is its own list is a no-op list_del(). */
	init_waitqueue_entry(&w, current);
	INIT_LIST_HEAD(&w.entry);
	eventfd_ctx_remove_wait_queue(e, &w, &got);
	return got;
}

/* Whether @e, of @count, is a semaphore: 1, 0, or -EOPNOTSUPP. */
static int eventfd_probe_semaphore(struct eventfd_ctx *e, u64 count)
{
	bool added = count < 2;
	u64 got;

	if (!CKPT_EVENTFD_CAN_ADD)
		return -EOPNOTSUPP;
	if (added)
		ckpt_eventfd_add(e, 2);
	got = eventfd_take(e);
	if (got == 1) {
		if (added)
			eventfd_take(e);	/* the other 1 of ours */
		else
			ckpt_eventfd_add(e, 1);
		return 1;
	}
	if (added)
		got = got >= 2 ? got - 2 : 0;
	if (got)
		ckpt_eventfd_add(e, got);
	return 0;
}

/**
 * ckpt_eventfd_state - the state of eventfd @f, opened as fd @fd
 * @ctx: the dump, for the error's words
 * @f: a file; -ENOENT if it is not an eventfd (nothing said)
 * @fd: its number in the process
 * @st: filled in
 */
int ckpt_eventfd_state(struct ckpt_ctx *ctx, struct file *f, unsigned int fd,
		       struct ckpt_file_eventfd *st)
{
	struct eventfd_ctx *e;
	unsigned long long count;
	int sem = 0, ret;
	char *info;

	e = eventfd_ctx_fileget(f);
	if (IS_ERR(e))
		return -ENOENT;
	info = kmalloc(FDINFO_MAX, GFP_KERNEL);
	ret = info ? eventfd_fdinfo(f, info, FDINFO_MAX) : -ENOMEM;
	if (!ret)
		ret = fdinfo_field(info, "eventfd-count", "%llx", &count);
	if (ret) {
		ckpt_err(ctx, ret, "fd %u: eventfd: cannot read its count", fd);
		goto out;
	}
	memset(st, 0, sizeof(*st));
	st->count = count;
	ret = fdinfo_field(info, "eventfd-semaphore", "%d", &sem);
	if (ret == -ENOENT) {
		sem = eventfd_probe_semaphore(e, count);
		ret = min(sem, 0);
	}
	if (ret) {
		ckpt_err(ctx, -EOPNOTSUPP,
			 "fd %u: eventfd: this kernel does not tell whether it is a semaphore",
			 fd);
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (sem)
		st->flags |= CKPT_EVENTFD_SEMAPHORE;
out:
	kfree(info);
	eventfd_ctx_put(e);
	return ret;
}
