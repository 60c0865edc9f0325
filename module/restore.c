// SPDX-License-Identifier: GPL-2.0
/*
 * CKPT_IOC_RESTORE: the calling process becomes the one in the image.
 *
 *   readin (pass 1)  every record and byte checked, files opened
 *   fds              CKPT_RESTORE_FILES: the image's fd table installed
 *                    (files.c, the installer of a rollback)
 *   ---------------  point of no return: the caller's mappings go
 *   apply            mappings, page contents, mm fields, exe, rseq,
 *                    signal state (REBUILD, the appliers of a rollback)
 *   regs             CKPT_RESTORE_REGS, from the tracer at the syscall-exit
 *                    stop: registers and xstate, as an external rollback
 *
 * Before the line an error returns with the caller intact and errmsg
 * filled.  After it the caller's code is gone, so an error kills it.
 */
#include <linux/capability.h>
#include <linux/fdtable.h>
#include <linux/lockdep.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "fds.h"
#include "readin.h"

/*
 * The image's registers, kept on the open file the restore came through
 * (its tracer holds it too, inherited) until the tracer has them applied.
 */
struct ckpt_restored {
	struct pid *pid;		/* the restored process */
	struct ckpt_rec_cpu cpu;
	struct ckpt_rec_xstate xs;	/* with its data: last */
};

static void restored_free(struct ckpt_restored *rs)
{
	if (!rs)
		return;
	put_pid(rs->pid);
	kfree(rs);
}

/* Made before the point of no return, as nothing may fail after it. */
static struct ckpt_restored *restored_alloc(const struct ckpt_image *img)
{
	struct ckpt_restored *rs;

	rs = kmalloc(sizeof(*rs) + img->xstate->size, GFP_KERNEL);
	if (!rs)
		return NULL;
	rs->pid = get_task_pid(current, PIDTYPE_PID);
	rs->cpu = *img->cpu;
	rs->xs = *img->xstate;
	memcpy(rs->xs.data, img->xstate->data, img->xstate->size);
	return rs;
}

void ckpt_restore_file_release(struct ckpt_file *cf)
{
	restored_free(cf->restored);
	cf->restored = NULL;
}

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

static int do_restore(struct ckpt_file *cf, struct ckpt_ctx *ctx,
		      struct ckpt_image *img, const struct ckpt_restore *r)
{
	struct ckpt_mem_src mem = { .img = img };
	struct ckpt_sigstate ss = { };
	struct ckpt_restored *rs;
	struct ckpt_fds fds = { };
	int ret;

	lockdep_assert_held(&cf->lock);
	ret = check_caller(ctx);
	if (!ret)
		ret = ckpt_image_read(ctx, img, r->fd);
	/* The fds first, as when the tool opened them, then the mappings. */
	if (!ret && (r->flags & CKPT_RESTORE_FILES))
		ret = ckpt_files_prepare(ctx, img, r->pipe_fd, r->fd,
					 r->close_fd, &fds);
	if (!ret)
		ret = ckpt_mm_prepare(ctx, img);
	rs = ret ? NULL : restored_alloc(img);
	if (!ret && !rs)
		ret = -ENOMEM;
	/*
	 * The fds before the line, the files being open: nothing of the
	 * caller's memory is touched, so on an error here it still runs to
	 * report it, and it needs no fd but the image and the device.
	 */
	if (!ret && (r->flags & CKPT_RESTORE_FILES))
		ret = ckpt_files_apply(ctx, &fds, CKPT_REBUILD);
	ckpt_fds_release(&fds);
	if (ret) {
		restored_free(rs);
		return ret;
	}

	/* The point of no return. */
	ret = ckpt_mm_apply(ctx, &mem, CKPT_REBUILD);
	if (!ret)
		ret = ckpt_task_apply(ctx, img->task);
	if (!ret) {
		ss.sighand = img->sighand;
		ss.signal = img->signal;
		ss.pending = img->sigs;
		ss.nr_pending = img->nr_sigs;
		ret = ckpt_signal_apply(ctx, &ss, CKPT_REBUILD);
	}
	if (ret) {
		restored_free(rs);
		pr_warn_ratelimited("ckpt: pid %d killed: its restore failed past the point of no return: %s\n",
				    task_pid_nr(current), ctx->errmsg);
		send_sig(SIGKILL, current, 1);
		return ret;
	}
	restored_free(cf->restored);
	cf->restored = rs;
	close_fd(r->fd);
	if (r->close_fd >= 0 && r->close_fd != r->fd)
		close_fd(r->close_fd);
	return 0;
}

/* The tracer's half: the registers of the restore it saw end. */
static int restore_regs(struct ckpt_file *cf, struct ckpt_ctx *ctx,
			const struct ckpt_restore *r)
{
	struct ckpt_restored *rs = cf->restored;
	int ret;

	lockdep_assert_held(&cf->lock);
	if (!rs)
		return ckpt_err(ctx, -ENOENT,
				"process %d: no restore through this open of the device left registers to apply",
				r->pid);
	ret = ckpt_tracee_get(ctx, r->pid);
	if (ret)
		return ret;
	if (task_pid(ctx->task) != rs->pid)
		return ckpt_err(ctx, -ESRCH,
				"process %d is not the one the restore made",
				r->pid);
	cf->restored = NULL;
	ret = ckpt_cpu_apply(ctx, ctx->task, &rs->cpu, &rs->xs);
	restored_free(rs);
	return ret;
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
	if (r.flags & ~(CKPT_RESTORE_REGS | CKPT_RESTORE_FILES))
		return -EINVAL;
	/* @pipe_fd is in VER1; REGS applies registers only. */
	if ((r.flags & CKPT_RESTORE_FILES) &&
	    (r.size < CKPT_RESTORE_SIZE_VER1 || (r.flags & CKPT_RESTORE_REGS)))
		return -EINVAL;
	ctx = ckpt_ctx_alloc();
	img = kzalloc(sizeof(*img), GFP_KERNEL);
	if (!ctx || !img) {
		ret = -ENOMEM;
		goto out;
	}
	if (r.flags & CKPT_RESTORE_REGS)
		ret = restore_regs(cf, ctx, &r);
	else
		ret = do_restore(cf, ctx, img, &r);
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
