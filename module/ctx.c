// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint contexts: allocation, the image writer (CRC32C of every byte,
 * as the trailer records it), record helpers and error messages.
 */
#include <linux/file.h>
#include <linux/limits.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "crc32c.h"
#include "ctx.h"

static int out_write(void *priv, const void *buf, size_t len)
{
	struct ckpt_ctx *ctx = priv;
	const char *p = buf;
	ssize_t n;

	ctx->crc = ckpt_crc32c(ctx->crc, buf, len);
	if (!ctx->writing_data)
		ctx->rec_crc = ckpt_crc32c(ctx->rec_crc, buf, len);
	while (len) {
		if (fatal_signal_pending(current))
			return -EINTR;
		n = kernel_write(ctx->out, p, len, &ctx->pos);
		if (n < 0)
			return n;
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
		ctx->stream_bytes += n;
	}
	return 0;
}

struct ckpt_ctx *ckpt_ctx_alloc(void)
{
	struct ckpt_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return NULL;
	ctx->path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!ctx->path) {
		kfree(ctx);
		return NULL;
	}
	ctx->io.write = out_write;
	ctx->io.priv = ctx;
	ctx->err_fd = -1;
	pgset_init(&ctx->ps);
	atomic_long_inc(&ckpt_stats.ctxs);
	return ctx;
}

void ckpt_ctx_free(struct ckpt_ctx *ctx)
{
	unsigned int i;

	if (!ctx)
		return;
	hbuf_free(&ctx->hb);
	pgset_free(&ctx->ps);
	for (i = 0; i < ctx->nr_vmas; i++)
		if (ctx->vmas[i].file)
			fput(ctx->vmas[i].file);
	kvfree(ctx->vmas);
	kfree(ctx->mm_rec);
	if (ctx->exe)
		fput(ctx->exe);
	if (ctx->out) {
		/* Pipes and sockets have no position of their own. */
		if (!(ctx->out->f_mode & FMODE_STREAM))
			ctx->out->f_pos = ctx->pos;
		fput(ctx->out);
	}
	if (ctx->mm)
		mmput(ctx->mm);
	if (ctx->task)
		put_task_struct(ctx->task);
	while (ctx->nr_threads)
		put_task_struct(ctx->threads[--ctx->nr_threads]);
	kvfree(ctx->threads);
	kvfree(ctx->seccomp_in);
	kvfree(ctx->seccomp_recs);
	kvfree(ctx->epoll_in);
	kvfree(ctx->epoll_used);
	kfree(ctx->path);
	kfree(ctx);
	atomic_long_dec(&ckpt_stats.ctxs);
}

int ckpt_err(struct ckpt_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->errmsg[0]) {
		va_start(ap, fmt);
		vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
		va_end(ap);
	}
	return err;
}

void *ckpt_rec_get(struct ckpt_ctx *ctx, u32 type, size_t len)
{
	struct ckpt_hdr *h;

	len = ALIGN(len, CKPT_REC_ALIGN);
	if (len > CKPT_REC_MAX_LEN) {
		ckpt_err(ctx, -E2BIG, "a record of %zu bytes is too large", len);
		return NULL;
	}
	h = hbuf_get(&ctx->hb, len);
	if (!h)
		return NULL;
	memset(h, 0, len);
	h->type = type;
	h->len = len;
	return h;
}

int ckpt_rec_put(struct ckpt_ctx *ctx, void *rec)
{
	struct ckpt_hdr *h = rec;

	hbuf_put(&ctx->hb, h->len);
	return hbuf_error(&ctx->hb);
}

int ckpt_out_write(struct ckpt_ctx *ctx, const void *buf, size_t len)
{
	return out_write(ctx, buf, len);
}

int ckpt_out_write_data(struct ckpt_ctx *ctx, const void *buf, size_t len)
{
	int ret;

	ctx->writing_data = true;
	ret = out_write(ctx, buf, len);
	ctx->writing_data = false;
	return ret;
}

int ckpt_grow(void **arr, unsigned long *cap, unsigned long need, size_t elem)
{
	unsigned long ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = max3(need, *cap * 2, 64UL);
	n = kvmalloc_array(ncap, elem, GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	if (*cap)
		memcpy(n, *arr, *cap * elem);
	kvfree(*arr);
	*arr = n;
	*cap = ncap;
	return 0;
}

const char *ckpt_path(struct ckpt_ctx *ctx, const struct path *path)
{
	return d_path(path, ctx->path, PATH_MAX);
}
