/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A task's fd table, collected: each fd with its open file referenced.
 * Used by dumps (files.c) and snapshots (snap_files.c).
 */
#ifndef CKPT_FDS_H
#define CKPT_FDS_H

#include <linux/types.h>

struct ckpt_ctx;
struct file;
struct files_struct;
struct task_struct;

struct ckpt_fd {
	unsigned int fd;
	bool cloexec;
	struct file *file;	/* referenced */
	u32 id;			/* dump: FILE record id, 1-based */
	loff_t pos;		/* snapshot: the offset, if it has one */
};

struct ckpt_fds {
	struct files_struct *files;
	struct ckpt_fd *fds;
	unsigned int n, max;
};

/*
 * Collects @t's fds into @c (allocated here; free with ckpt_fds_release()).
 * @t must not change its table meanwhile: stopped, or current.
 */
int ckpt_fds_collect(struct ckpt_ctx *ctx, struct task_struct *t,
		     struct ckpt_fds *c);
void ckpt_fds_release(struct ckpt_fds *c);

#endif /* CKPT_FDS_H */
