// SPDX-License-Identifier: GPL-2.0
/*
 * CKPT_IOC_DUMP and CKPT_IOC_WRITEOUT: capture a stopped process into a
 * context (metadata streamed to the image, memory referenced COW), then,
 * once the caller has let the process run again, write the page contents.
 *
 * The hbuf streams: whatever the process's size, kernel memory stays at
 * a couple of chunks plus the page set (references, not copies).
 */
#include <linux/file.h>
#include <linux/random.h>
#include <linux/ktime.h>
#include <linux/utsname.h>

#include "ctx.h"
#include "track.h"

static int emit_header(struct ckpt_ctx *ctx)
{
	struct ckpt_rec_header *r;

	r = ckpt_rec_get(ctx, CKPT_REC_HEADER, sizeof(*r));
	if (!r)
		return hbuf_error(&ctx->hb);
	BUILD_BUG_ON(sizeof(CKPT_IMAGE_MAGIC) > sizeof(r->magic));
	memcpy(r->magic, CKPT_IMAGE_MAGIC, sizeof(CKPT_IMAGE_MAGIC));
	r->version = CKPT_IMAGE_VERSION;
	r->arch = CKPT_ARCH_X86_64;
	r->page_size = PAGE_SIZE;
	r->flags = CKPT_IMG_REC_CRC;
	do {
		ctx->image_id = get_random_u64();
	} while (!ctx->image_id);
	r->image_id = ctx->image_id;
	r->time_ns = ktime_get_real_ns();
	strscpy(r->release, utsname()->release, sizeof(r->release));
	ctx->hdr = r;
	return ckpt_rec_put(ctx, r);
}

static int open_output(struct ckpt_ctx *ctx, int fd)
{
	ctx->out = fget(fd);
	if (!ctx->out || !(ctx->out->f_mode & FMODE_WRITE))
		return ckpt_err(ctx, -EBADF, "fd %d is not open for writing", fd);
	ctx->pos = ctx->out->f_pos;
	return 0;
}

/*
 * The capture, in image order; the process is stopped throughout.  A plain
 * dump streams its metadata as it goes; an incremental one buffers it, so
 * the process waits for no I/O, and its chunks serve the next image.
 */
static int capture(struct ckpt_ctx *ctx, const struct ckpt_dump *d,
		   struct ckpt_track **track)
{
	int ret;

	ctx->final = d->flags & CKPT_DUMP_FINAL;
	ctx->tcp_out = d->flags & CKPT_DUMP_TCP_ESTABLISHED;
	ret = ckpt_target_get(ctx, d->pid);
	/* Snapshots allow children: a rollback is of the one process. */
	if (!ret)
		ret = ckpt_refuse_children(ctx);
	/* First: its ENODATA asks the caller for the filters, nothing begun. */
	if (!ret)
		ret = ckpt_seccomp_take(ctx, d);
	if (!ret)
		ret = ckpt_epoll_take(ctx, d);
	if (!ret)
		ret = open_output(ctx, d->fd);
	if (ret)
		return ret;
	if (d->flags & CKPT_DUMP_TRACK) {
		ret = ckpt_track_begin(track, ctx, d->flags & CKPT_DUMP_FULL);
	} else {
		hbuf_init(&ctx->hb, HBUF_STREAM, ckpt_chunk_size, &ctx->io);
		ret = hbuf_prealloc(&ctx->hb,
				    hbuf_hint_get((unsigned long)ctx->mm));
	}
	if (!ret)
		ret = emit_header(ctx);
	if (!ret)
		ret = ckpt_task_capture(ctx);
	if (!ret)
		ret = ckpt_cpu_capture(ctx);
	if (!ret)
		ret = ckpt_signal_capture(ctx);
	if (!ret)
		ret = ckpt_thread_capture(ctx);
	if (!ret)
		ret = ckpt_timer_capture(ctx);
	if (!ret)
		ret = ckpt_seccomp_capture(ctx);
	if (!ret)
		ret = ckpt_mm_capture(ctx);
	if (!ret)
		ret = ckpt_mm_emit(ctx);
	if (!ret)
		ret = ckpt_files_capture(ctx);
	if (!ret && ctx->track)
		ret = ckpt_track_emit(ctx);
	return ret;
}

static long finish(struct ckpt_ctx *ctx, struct ckpt_dump *d,
		   void __user *arg, int ret)
{
	d->image_id = ctx->image_id;
	d->capture_ns = ctx->capture_ns;
	d->pages = ctx->pages_written ? ctx->pages_written : ctx->ps.nr_refs;
	d->bytes = ctx->stream_bytes;
	d->hbuf_chunks = ctx->hb.nr_allocs;
	d->err_fd = ctx->err_fd;
	d->parent_id = ctx->track && !ctx->track->f.all ?
		       ctx->track->parent_id : 0;
	d->changed_ranges = ctx->track ? ctx->track->nr_cover : 0;
	/* No message of ours: the tool words the errno (strerror). */
	strscpy(d->errmsg, ret ? ctx->errmsg : "", sizeof(d->errmsg));
	if (ckpt_arg_out(arg, d, sizeof(*d)) && !ret)
		ret = -EFAULT;
	return ret;
}

long ckpt_ioc_dump(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_ctx *ctx;
	struct ckpt_dump d;
	u64 t0;
	int ret;

	ret = ckpt_arg_in(&d, sizeof(d), CKPT_DUMP_SIZE_VER0, arg);
	if (ret)
		return ret;
	if (d.flags & ~(CKPT_DUMP_TRACK | CKPT_DUMP_FULL | CKPT_DUMP_FINAL |
			CKPT_DUMP_TCP_ESTABLISHED) ||
	    (d.flags & CKPT_DUMP_FULL && !(d.flags & CKPT_DUMP_TRACK)) ||
	    (d.flags & CKPT_DUMP_FINAL && d.flags & CKPT_DUMP_TRACK) ||
	    (d.flags & CKPT_DUMP_TCP_ESTABLISHED && !(d.flags & CKPT_DUMP_FINAL)))
		return -EINVAL;
	if (cf->dump)
		return -EBUSY;
	ctx = ckpt_ctx_alloc();
	if (!ctx)
		return -ENOMEM;
	ctx->owner = cf;
	t0 = ktime_get_ns();
	ret = capture(ctx, &d, &cf->track);
	ctx->capture_ns = ktime_get_ns() - t0;
	ret = finish(ctx, &d, arg, ret);
	if (ret) {
		ckpt_track_end(ctx, ret);
		ckpt_ctx_free(ctx);
	} else {
		cf->dump = ctx;
	}
	return ret;
}

long ckpt_ioc_writeout(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_ctx *ctx = cf->dump;
	struct ckpt_dump d;
	int ret;

	ret = ckpt_arg_in(&d, sizeof(d), CKPT_DUMP_SIZE_VER0, arg);
	if (ret)
		return ret;
	if (!ctx)
		return -ENOENT;
	cf->dump = NULL;
	ret = ckpt_writeout(ctx);
	if (!ret && !ctx->track)
		hbuf_hint_set((unsigned long)ctx->mm, hbuf_used(&ctx->hb));
	ret = finish(ctx, &d, arg, ret);
	ckpt_track_end(ctx, ret);
	ckpt_ctx_free(ctx);
	return ret;
}

void ckpt_file_release(struct ckpt_file *cf)
{
	if (cf->dump)
		ckpt_track_end(cf->dump, -ECANCELED);
	ckpt_ctx_free(cf->dump);
	cf->dump = NULL;
	ckpt_track_free(cf->track);
	cf->track = NULL;
}
