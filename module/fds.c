// SPDX-License-Identifier: GPL-2.0
/*
 * Collecting a task's fd table (applying one is files.c's).
 * get_files_struct() is not exported, so the table is read under
 * task_lock() with iterate_fd(), whose callback runs under
 * files->file_lock: it only counts and takes references, and the array is
 * sized before, retrying if it was too small.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "ctx.h"
#include "fds.h"

/* iterate_fd() callback: runs under files->file_lock, so no sleeping. */
static int collect_fd(const void *p, struct file *f, unsigned int fd)
{
	struct ckpt_fds *c = (struct ckpt_fds *)p;

	if (c->n < c->max) {
		c->fds[c->n].fd = fd;
		c->fds[c->n].file = get_file(f);
		c->fds[c->n].cloexec =
			test_bit(fd, files_fdtable(c->files)->close_on_exec);
		c->fds[c->n].held = false;
	}
	c->n++;
	return 0;
}

void ckpt_fds_release(struct ckpt_fds *c)
{
	unsigned int i;

	for (i = 0; i < min(c->n, c->max); i++)
		fput(c->fds[i].file);
	kvfree(c->fds);
	kvfree(c->scratch);
	memset(c, 0, sizeof(*c));
}

int ckpt_fds_collect(struct ckpt_ctx *ctx, struct task_struct *t,
		     struct ckpt_fds *c)
{
	unsigned int want = 64;

	for (;;) {
		c->fds = kvmalloc_array(want, sizeof(*c->fds), GFP_KERNEL);
		if (!c->fds)
			return -ENOMEM;
		c->max = want;
		c->n = 0;
		task_lock(t);
		c->files = t->files;
		if (c->files)
			iterate_fd(c->files, 0, collect_fd, c);
		task_unlock(t);
		if (!c->files)
			return ckpt_err(ctx, -ESRCH, "the process is exiting");
		if (c->n <= c->max)
			return 0;
		want = c->n + 16;
		ckpt_fds_release(c);
	}
}
