// SPDX-License-Identifier: GPL-2.0
/*
 * Writeout: page contents and the trailer, written while the task runs.
 *
 * Private pages come from the page set, whose references keep them as
 * they were at capture.  Shared anonymous memory cannot be held that way
 * (the task writes it in place), so it is read from its shmem file now:
 * an image is a point in time for private memory only, as in BLCR.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "crc32c.h"
#include "ctx.h"

/* Shared memory is read in batches of this many pages. */
#define SHM_BATCH	64

static int write_run_header(struct ckpt_ctx *ctx, unsigned long vaddr,
			    unsigned long npages)
{
	struct ckpt_rec_pages r = {
		.h = { .type = CKPT_REC_PAGES, .len = sizeof(r) },
		.vaddr = vaddr,
		.npages = npages,
	};

	ctx->nr_data_records++;
	return ckpt_out_write(ctx, &r, sizeof(r));
}

static bool page_is_zero(const void *p)
{
	return !memchr_inv(p, 0, PAGE_SIZE);
}

static bool pgset_page_zero(struct ckpt_ctx *ctx, unsigned long i)
{
	void *p = kmap_local_page(ctx->ps.pages[i]);
	bool zero = page_is_zero(p);

	kunmap_local(p);
	return zero;
}

/*
 * A run of captured pages.  In an anonymous mapping an all-zero page is
 * left out (a hole reads as zero again): THP=always makes whole 2 MiB
 * pages of a few touched bytes.  In a file mapping it is a change from
 * the file and is kept.
 */
static int write_private(struct ckpt_ctx *ctx, const struct pgrun *run,
			 bool skip_zero)
{
	unsigned int i = 0, first;
	void *p;
	int ret = 0;

	while (i < run->n && !ret) {
		if (skip_zero && pgset_page_zero(ctx, run->first + i)) {
			i++;
			continue;
		}
		first = i;
		while (i < run->n &&
		       !(skip_zero && pgset_page_zero(ctx, run->first + i)))
			i++;
		ret = write_run_header(ctx, run->vaddr + ((unsigned long)first << PAGE_SHIFT),
				       i - first);
		for (; first < i && !ret; first++) {
			p = kmap_local_page(ctx->ps.pages[run->first + first]);
			ret = ckpt_out_write_data(ctx, p, PAGE_SIZE);
			kunmap_local(p);
			ctx->pages_written++;
		}
	}
	return ret;
}

/* Non-zero pages of a shared anonymous mapping, in runs. */
static int write_shared(struct ckpt_ctx *ctx, const struct ckpt_vma_cap *v,
			u8 *buf)
{
	unsigned long addr, n, i, first;
	loff_t pos;
	ssize_t got;
	int ret = 0;

	for (addr = v->start; addr < v->end && !ret; addr += n << PAGE_SHIFT) {
		n = min_t(unsigned long, SHM_BATCH, (v->end - addr) >> PAGE_SHIFT);
		pos = (loff_t)(v->pgoff + ((addr - v->start) >> PAGE_SHIFT))
		      << PAGE_SHIFT;
		got = kernel_read(v->file, buf, n << PAGE_SHIFT, &pos);
		if (got < 0)
			return ckpt_err(ctx, got,
					"mapping %#lx-%#lx: cannot read shared memory",
					v->start, v->end);
		/* Past the end of the object reads as zeros, like a hole. */
		memset(buf + got, 0, (n << PAGE_SHIFT) - got);
		for (i = 0; i < n && !ret; ) {
			if (page_is_zero(buf + (i << PAGE_SHIFT))) {
				i++;
				continue;
			}
			first = i;
			while (i < n && !page_is_zero(buf + (i << PAGE_SHIFT)))
				i++;
			ret = write_run_header(ctx, addr + (first << PAGE_SHIFT),
					       i - first);
			if (!ret)
				ret = ckpt_out_write_data(ctx,
							  buf + (first << PAGE_SHIFT),
							  (i - first) << PAGE_SHIFT);
			ctx->pages_written += i - first;
		}
	}
	return ret;
}

static int write_trailer(struct ckpt_ctx *ctx)
{
	struct ckpt_rec_trailer t = {
		.h = { .type = CKPT_REC_TRAILER, .len = sizeof(t) },
		.nr_records = ctx->hb.nr_records + ctx->nr_data_records,
		.nr_bytes = ctx->stream_bytes,
		.crc32c = ctx->crc,
		.rec_crc32c = ctx->rec_crc,
	};

	return ckpt_out_write(ctx, &t, sizeof(t));
}

/* Page runs in address order, VMA by VMA, then the trailer. */
int ckpt_writeout(struct ckpt_ctx *ctx)
{
	unsigned long r = 0;
	u8 *buf = NULL;
	unsigned int i;
	int ret;

	/* Buffered metadata (incremental dumps) goes out in bulk now. */
	if (ctx->hb.mode == HBUF_BUFFER)
		ret = hbuf_writeout(&ctx->hb, &ctx->io);
	else
		ret = hbuf_flush(&ctx->hb);
	for (i = 0; i < ctx->nr_vmas && !ret; i++) {
		const struct ckpt_vma_cap *v = &ctx->vmas[i];

		while (!ret && r < ctx->ps.nr_runs &&
		       ctx->ps.runs[r].vaddr < v->end)
			ret = write_private(ctx, &ctx->ps.runs[r++],
					    v->kind == CKPT_VMA_ANON);
		if (ret || v->kind != CKPT_VMA_ANON_SHARED)
			continue;
		if (!buf) {
			buf = vmalloc(SHM_BATCH << PAGE_SHIFT);
			if (!buf) {
				ret = -ENOMEM;
				break;
			}
		}
		ret = write_shared(ctx, v, buf);
	}
	vfree(buf);
	if (!ret)
		ret = write_trailer(ctx);
	return ret;
}
