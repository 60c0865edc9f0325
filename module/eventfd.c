// SPDX-License-Identifier: GPL-2.0
/*
 * The state of an eventfd: its count and EFD_SEMAPHORE.  struct
 * eventfd_ctx is private, so both are read where the kernel shows them,
 * its fdinfo (fdinfo.c).
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
#include <linux/slab.h>
#include <linux/wait.h>

#include "compat.h"
#include "ctx.h"
#include "fds.h"

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
	info = ckpt_fdinfo_read(f);
	ret = PTR_ERR_OR_ZERO(info);
	if (!ret)
		ret = ckpt_fdinfo_field(info, "eventfd-count", "%llx", &count);
	if (ret) {
		ckpt_err(ctx, ret, "fd %u: eventfd: cannot read its count", fd);
		goto out;
	}
	memset(st, 0, sizeof(*st));
	st->count = count;
	ret = ckpt_fdinfo_field(info, "eventfd-semaphore", "%d", &sem);
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
	if (!IS_ERR(info))
		kfree(info);
	eventfd_ctx_put(e);
	return ret;
}
