// SPDX-License-Identifier: GPL-2.0
/*
 * CKPT_IOC_RESTORE: the calling process becomes the one in the image.
 *
 *   readin (pass 1)  every record and byte checked, files opened
 *   ---------------  point of no return: the caller's mappings go
 *   apply            mappings, page contents, mm fields, exe, rseq, signals
 *
 * Before the line an error returns with the caller intact and errmsg
 * filled.  After it the caller's code is gone, so an error kills it.
 */
#include <linux/capability.h>
#include <linux/fdtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "readin.h"

static int check_caller(struct ckpt_ctx *ctx)
{
	if (!checkpoint_restore_ns_capable(current_user_ns()))
		return ckpt_err(ctx, -EPERM,
				"restore needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN");
	if (get_nr_threads(current) != 1 ||
	    atomic_read(&current->mm->mm_users) != 1)
		return ckpt_err(ctx, -EBUSY,
				"the restoring process must be single-threaded and own its memory");
	return 0;
}

static int do_restore(struct ckpt_ctx *ctx, struct ckpt_image *img,
		      const struct ckpt_restore *r)
{
	int ret;

	ret = check_caller(ctx);
	if (!ret)
		ret = ckpt_image_read(ctx, img, r->fd);
	if (!ret)
		ret = ckpt_mm_prepare(ctx, img);
	if (ret)
		return ret;

	/* The point of no return. */
	ret = ckpt_mm_apply(ctx, img);
	if (!ret)
		ret = ckpt_task_apply(ctx, img);
	if (!ret)
		ret = ckpt_signal_apply(ctx, img);
	if (ret) {
		pr_warn_ratelimited("ckpt: pid %d killed: its restore failed past the point of no return: %s\n",
				    task_pid_nr(current), ctx->errmsg);
		send_sig(SIGKILL, current, 1);
		return ret;
	}
	close_fd(r->fd);
	if (r->close_fd >= 0 && r->close_fd != r->fd)
		close_fd(r->close_fd);
	return 0;
}

long ckpt_ioc_restore(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_image *img;
	struct ckpt_ctx *ctx;
	struct ckpt_restore r;
	int ret;

	ret = ckpt_arg_in(&r, sizeof(r), CKPT_RESTORE_SIZE_VER0, arg);
	if (ret)
		return ret;
	if (r.flags)
		return -EINVAL;
	ctx = ckpt_ctx_alloc();
	img = kzalloc(sizeof(*img), GFP_KERNEL);
	if (!ctx || !img) {
		ret = -ENOMEM;
		goto out;
	}
	ret = do_restore(ctx, img, &r);
	/* A failure before the point of no return leaves the caller, with words. */
	if (ret && !fatal_signal_pending(current)) {
		strscpy(r.errmsg, ctx->errmsg[0] ? ctx->errmsg : "restore failed",
			sizeof(r.errmsg));
		ckpt_arg_out(arg, &r, sizeof(r));
	}
out:
	if (img)
		ckpt_image_free(img);
	ckpt_ctx_free(ctx);
	kfree(img);
	return ret;
}
