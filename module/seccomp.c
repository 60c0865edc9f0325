// SPDX-License-Identifier: GPL-2.0
/*
 * Seccomp: one SECCOMP record per thread in a seccomp mode.
 *
 * The filters are private to kernel/seccomp.c (struct seccomp_filter, and
 * no exported call reads one), so the caller reads them through ptrace
 * (PTRACE_SECCOMP_GET_FILTER) and passes them in as SECCOMP records.  Here
 * they are checked as an image's records are (img_check_seccomp()), held
 * against the threads (the mode, and the number of filters the kernel
 * counts in each: seccomp.filter_count), and copied into the image.  A
 * strict-mode thread has nothing a module cannot read: its record is made
 * here.
 *
 * The process is stopped by the caller throughout: no thread of it can
 * enter a mode or add a filter, for itself or for the group (TSYNC).
 */
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ctx.h"
#include "image_check.h"

/* The index in ckpt_ctx_thread() order of the thread @tid, or -1. */
static int thread_index(const struct ckpt_ctx *ctx, pid_t tid)
{
	unsigned int lo = 0, hi = ctx->nr_threads, mid;
	pid_t t;

	if (task_pid_vnr(ctx->task) == tid)
		return 0;
	/* ctx->threads: ascending tid (ckpt_sort_threads()). */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		t = task_pid_vnr(ctx->threads[mid]);
		if (t == tid)
			return mid + 1;
		if (t < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int check_mode(struct ckpt_ctx *ctx, struct task_struct *t,
		      unsigned int *nr_filter)
{
	int mode = READ_ONCE(t->seccomp.mode);

	if (mode == SECCOMP_MODE_FILTER)
		(*nr_filter)++;
	if (mode == SECCOMP_MODE_DISABLED || mode == SECCOMP_MODE_STRICT ||
	    mode == SECCOMP_MODE_FILTER)
		return 0;
	/* SECCOMP_MODE_DEAD: a filter is killing it. */
	return ckpt_err(ctx, -EOPNOTSUPP,
			"thread %d of process %d is in seccomp mode %d (being killed by its filter)",
			task_pid_vnr(t), task_pid_vnr(ctx->task), mode);
}

/* The caller's record @r, for the thread of index @i: the same thread state? */
static int match(struct ckpt_ctx *ctx, const struct ckpt_rec_seccomp *r,
		 int i)
{
	struct task_struct *t;
	const struct ckpt_rec_seccomp *same;
	int j, nr;

	if (i < 0)
		return ckpt_err(ctx, -EINVAL,
				"seccomp filters for thread %u, which process %d does not have",
				r->tid, task_pid_vnr(ctx->task));
	t = ckpt_ctx_thread(ctx, i);
	if (r->mode != CKPT_SECCOMP_FILTER ||
	    READ_ONCE(t->seccomp.mode) != SECCOMP_MODE_FILTER)
		return ckpt_err(ctx, -EINVAL,
				"seccomp filters for thread %u, which is not in filter mode",
				r->tid);
	nr = atomic_read(&t->seccomp.filter_count);
	if (r->nr_filters != nr)
		return ckpt_err(ctx, -EINVAL,
				"thread %u has %d seccomp filters, the caller passed %u",
				r->tid, nr, r->nr_filters);
	if (!r->same_as)
		return 0;
	j = thread_index(ctx, r->same_as);
	same = j >= 0 && j < i ? ctx->seccomp_recs[j] : NULL;
	if (!same || same->same_as || same->nr_filters != r->nr_filters)
		return ckpt_err(ctx, -EINVAL,
				"thread %u: the seccomp filters of thread %u, which has none of its own before it",
				r->tid, r->same_as);
	return 0;
}

static int take_records(struct ckpt_ctx *ctx, const u8 *p, u32 len)
{
	const struct ckpt_rec_seccomp *r;
	struct img_check *c;
	const u8 *end = p + len;
	int i, ret = 0;

	c = kmalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	img_check_init(c, PAGE_SIZE, TASK_SIZE_MAX);
	c->task_tid = task_pid_vnr(ctx->task);
	while (p < end && !ret) {
		r = (const void *)p;
		if ((size_t)(end - p) < sizeof(*r) || r->h.len > (size_t)(end - p)) {
			ret = ckpt_err(ctx, -EINVAL,
				       "the caller's seccomp records are cut short");
			break;
		}
		if (img_check_seccomp(c, r, r->h.len)) {
			ret = ckpt_err(ctx, -EINVAL, "the caller's seccomp records: %s",
				       c->err);
			break;
		}
		i = thread_index(ctx, r->tid);
		ret = match(ctx, r, i);
		if (!ret)
			ctx->seccomp_recs[i] = r;
		p += r->h.len;
	}
	img_check_free(c);
	kfree(c);
	return ret;
}

int ckpt_seccomp_take(struct ckpt_ctx *ctx, const struct ckpt_dump *d)
{
	unsigned int i, nr_filter = 0;
	struct task_struct *t;
	int ret;

	for (i = 0; i <= ctx->nr_threads; i++) {
		ret = check_mode(ctx, ckpt_ctx_thread(ctx, i), &nr_filter);
		if (ret)
			return ret;
	}
	if (!nr_filter && !d->seccomp_len)
		return 0;
	if (nr_filter && !d->seccomp_len) {
		for (i = 0; i <= ctx->nr_threads; i++) {
			t = ckpt_ctx_thread(ctx, i);
			if (READ_ONCE(t->seccomp.mode) == SECCOMP_MODE_FILTER)
				break;
		}
		return ckpt_err(ctx, -ENODATA,
				"thread %d of process %d has seccomp filters, and the caller passed none (PTRACE_SECCOMP_GET_FILTER reads them)",
				task_pid_vnr(t), task_pid_vnr(ctx->task));
	}
	if (d->seccomp_len > CKPT_SECCOMP_IN_MAX || d->seccomp_len % 8)
		return ckpt_err(ctx, -EINVAL,
				"%u bytes of seccomp records: not a multiple of 8, or above %u",
				d->seccomp_len, CKPT_SECCOMP_IN_MAX);
	ctx->seccomp_recs = kvcalloc(ctx->nr_threads + 1,
				     sizeof(*ctx->seccomp_recs), GFP_KERNEL);
	ctx->seccomp_in = kvmalloc(d->seccomp_len, GFP_KERNEL);
	if (!ctx->seccomp_recs || !ctx->seccomp_in)
		return -ENOMEM;
	if (copy_from_user(ctx->seccomp_in, u64_to_user_ptr(d->seccomp),
			   d->seccomp_len))
		return -EFAULT;
	ret = take_records(ctx, ctx->seccomp_in, d->seccomp_len);
	if (ret)
		return ret;
	for (i = 0; i <= ctx->nr_threads; i++) {
		t = ckpt_ctx_thread(ctx, i);
		if (READ_ONCE(t->seccomp.mode) == SECCOMP_MODE_FILTER &&
		    !ctx->seccomp_recs[i])
			return ckpt_err(ctx, -EINVAL,
					"thread %d has seccomp filters, and the caller passed none for it",
					task_pid_vnr(t));
	}
	return 0;
}

/* After the TIMER records: one per thread in a mode, in thread order. */
int ckpt_seccomp_capture(struct ckpt_ctx *ctx)
{
	const struct ckpt_rec_seccomp *in;
	struct ckpt_rec_seccomp *r;
	struct task_struct *t;
	unsigned int i;
	int ret;

	for (i = 0; i <= ctx->nr_threads; i++) {
		t = ckpt_ctx_thread(ctx, i);
		in = ctx->seccomp_recs ? ctx->seccomp_recs[i] : NULL;
		if (READ_ONCE(t->seccomp.mode) == SECCOMP_MODE_STRICT) {
			r = ckpt_rec_get(ctx, CKPT_REC_SECCOMP, sizeof(*r));
			if (!r)
				return hbuf_error(&ctx->hb);
			r->tid = task_pid_vnr(t);
			r->mode = CKPT_SECCOMP_STRICT;
		} else if (in) {
			r = ckpt_rec_get(ctx, CKPT_REC_SECCOMP, in->h.len);
			if (!r)
				return hbuf_error(&ctx->hb);
			memcpy(r + 1, in + 1, in->h.len - sizeof(*in));
			r->tid = in->tid;
			r->mode = in->mode;
			r->nr_filters = in->nr_filters;
			r->same_as = in->same_as;
		} else {
			continue;
		}
		ret = ckpt_rec_put(ctx, r);
		if (ret)
			return ret;
	}
	return 0;
}
