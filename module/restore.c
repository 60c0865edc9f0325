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
#include <linux/rseq.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "fds.h"
#include "readin.h"
#include "restore_thread.h"

/*
 * The image's registers, kept on the open file the restore came through
 * (its tracer holds it too, inherited) until the tracer has them applied,
 * the leader's and every thread's.
 */
struct ckpt_restored {
	struct pid *pid;		/* the restored process */
	bool done;			/* the leader's registers are applied */
	unsigned int nr_threads, nr_done;	/* the others */
	struct ckpt_restored_thread *threads;
	struct ckpt_rec_cpu cpu;
	struct ckpt_rec_xstate xs;	/* with its data: last */
};

static void restored_free(struct ckpt_restored *rs)
{
	unsigned int i;

	if (!rs)
		return;
	put_pid(rs->pid);
	for (i = 0; rs->threads && i < rs->nr_threads; i++) {
		put_pid(rs->threads[i].pid);
		kvfree(rs->threads[i].rec);
	}
	kvfree(rs->threads);
	kfree(rs);
}

/* Made before the point of no return, as nothing may fail after it. */
static struct ckpt_restored *restored_alloc(const struct ckpt_image *img)
{
	struct ckpt_restored *rs;
	const struct ckpt_rec_thread *r;
	unsigned int i;

	rs = kzalloc(sizeof(*rs) + img->xstate->size, GFP_KERNEL);
	if (!rs)
		return NULL;
	rs->pid = get_task_pid(current, PIDTYPE_PID);
	rs->cpu = *img->cpu;
	rs->xs = *img->xstate;
	memcpy(rs->xs.data, img->xstate->data, img->xstate->size);
	/* threads[0] is the leader's record: the others follow, by tid. */
	if (img->nr_threads <= 1)
		return rs;
	rs->threads = kvcalloc(img->nr_threads - 1, sizeof(*rs->threads),
			       GFP_KERNEL);
	if (!rs->threads)
		goto fail;
	for (i = 1; i < img->nr_threads; i++) {
		r = img->threads[i];
		rs->threads[i - 1].rec = kvmalloc(r->h.len, GFP_KERNEL);
		if (!rs->threads[i - 1].rec)
			goto fail;
		memcpy(rs->threads[i - 1].rec, r, r->h.len);
		rs->nr_threads = i;
	}
	return rs;
fail:
	restored_free(rs);
	return NULL;
}

void ckpt_restore_file_release(struct ckpt_file *cf)
{
	restored_free(cf->restored);
	cf->restored = NULL;
}

/*
 * The caller alone, or with its other threads parked here: nothing but
 * the caller runs in its memory, which the restore is about to replace.
 */
static int check_caller(struct ckpt_file *cf, struct ckpt_ctx *ctx)
{
	unsigned int others = get_nr_threads(current) - 1;
	int ret;

	if (!checkpoint_restore_ns_capable(current_user_ns()))
		return ckpt_err(ctx, -EPERM,
				"restore needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN");
	if (others) {
		ret = ckpt_park_wait(ctx, &cf->park, others);
		if (ret)
			return ret;
	}
	if (get_nr_threads(current) != others + 1 ||
	    atomic_read(&current->mm->mm_users) != others + 1)
		return ckpt_err(ctx, -EBUSY,
				"the restoring process must own its memory, and its other threads must be parked");
	return 0;
}

/* Every thread of the image has a parked thread to stand for it. */
static int check_threads(struct ckpt_file *cf, struct ckpt_ctx *ctx,
			 struct ckpt_image *img, struct ckpt_restored *rs)
{
	unsigned int others = img->nr_threads ? img->nr_threads - 1 : 0;

	if (others != get_nr_threads(current) - 1)
		return ckpt_err(ctx, -EINVAL,
				"the image has %u threads, the restoring process %d: it must make one per THREAD record",
				others + 1, get_nr_threads(current));
	if (!others)
		return 0;
	return ckpt_park_assign(ctx, &cf->park, rs->threads, others);
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
	ret = check_caller(cf, ctx);
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
	if (!ret)
		ret = check_threads(cf, ctx, img, rs);
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
	if (!ret && img->nr_threads)
		ret = ckpt_thread_apply(ctx, img->threads[0]);
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
		/* For the tracer, which finds the caller killed. */
		strscpy(cf->restore_failed, ctx->errmsg[0] ? ctx->errmsg :
			"an error past the point of no return",
			sizeof(cf->restore_failed));
		send_sig(SIGKILL, current, 1);
		return ret;
	}
	restored_free(cf->restored);
	cf->restored = rs;
	if (r->flags & CKPT_RESTORE_FILES)
		ckpt_netlock_release();
	close_fd(r->fd);
	if (r->close_fd >= 0 && r->close_fd != r->fd)
		close_fd(r->close_fd);
	return 0;
}

/* The image thread @pid stands for, by the thread's struct pid. */
static struct ckpt_restored_thread *find_thread(struct ckpt_restored *rs,
						struct task_struct *t)
{
	unsigned int i;

	for (i = 0; i < rs->nr_threads; i++)
		if (rs->threads[i].pid == task_pid(t))
			return &rs->threads[i];
	return NULL;
}

/*
 * The tracer's half: the registers of the restore it saw end.  The
 * leader's first, which releases the parked threads; then each thread's,
 * once it has stopped on its way out.
 */
static int restore_regs(struct ckpt_file *cf, struct ckpt_ctx *ctx,
			const struct ckpt_restore *r)
{
	struct ckpt_restored *rs = cf->restored;
	struct ckpt_restored_thread *rt = NULL;
	int ret;

	lockdep_assert_held(&cf->lock);
	if (!rs && cf->restore_failed[0]) {
		/* Said once: -ECANCELED tells the tracer why it was killed. */
		ret = ckpt_err(ctx, -ECANCELED, "%s", cf->restore_failed);
		cf->restore_failed[0] = '\0';
		return ret;
	}
	if (!rs)
		return ckpt_err(ctx, -ENOENT,
				"process %d: no restore through this open of the device left registers to apply",
				r->pid);
	ret = ckpt_thread_get(ctx, r->pid);
	if (ret)
		return ret;
	if (task_pid(ctx->task) != rs->pid) {
		rt = find_thread(rs, ctx->task);
		if (!rt || !rs->done || rt->done)
			return ckpt_err(ctx, -ESRCH,
					"%d is not a thread the restore made, or not one whose registers are due",
					r->pid);
	} else if (rs->done) {
		return ckpt_err(ctx, -ESRCH,
				"process %d: its registers are applied already",
				r->pid);
	} else if (rs->nr_threads) {
		ret = ckpt_park_check(ctx, &cf->park);
		if (ret)
			return ret;
	}
	if (rt) {
		ret = ckpt_cpu_apply(ctx, ctx->task, ckpt_thread_cpu(rt->rec),
				     ckpt_thread_xstate(rt->rec));
		rt->done = true;
		rs->nr_done++;
	} else {
		ret = ckpt_cpu_apply(ctx, ctx->task, &rs->cpu, &rs->xs);
		rs->done = true;
		if (rs->nr_threads)
			ckpt_park_release(&cf->park);
	}
	/*
	 * A thread stopped inside an rseq critical section must abort it,
	 * and every thread's cpu_id be made current: rseq's notify-resume
	 * does both on the way out, against the registers just written.
	 */
	if (!ret && ctx->task->rseq)
		rseq_set_notify_resume(ctx->task);
	if (rs->done && rs->nr_done == rs->nr_threads) {
		cf->restored = NULL;
		restored_free(rs);
	}
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
	if (r.flags & CKPT_RESTORE_REGS) {
		ret = restore_regs(cf, ctx, &r);
	} else {
		ret = do_restore(cf, ctx, img, &r);
		atomic64_inc(&ckpt_stats.restores);
		atomic64_add(img->bytes_read, &ckpt_stats.restore_bytes_read);
		/* Parked threads go back to report it, or die with the caller. */
		if (ret)
			ckpt_park_abort(&cf->park);
	}
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
