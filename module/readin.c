// SPDX-License-Identifier: GPL-2.0
/*
 * Readin: the image read back for restore, in two passes over a seekable
 * file.
 *
 * Pass 1 reads everything: each record is checked by the shared validator
 * (the code `ckpt show` and the fuzzer run), metadata stays in hbuf
 * chunks, page data is read through for the CRC, and the trailer must
 * match.  Only then may restore change the caller: a truncated or
 * corrupted image fails with the caller intact.
 *
 * Pass 2, after the point of no return, is pages_apply.c's: it reads the
 * page runs again and writes them into the new address space.  The runs
 * must be the ones pass 1 checked and the CRC must match again; a file
 * changed in between kills the caller (which supplied it) and nothing
 * else.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "crc32c.h"
#include "readin.h"

/* Metadata of one image, at most (hostile images cannot pin more). */
#define META_LIMIT	(256UL << 20)

static int img_io_read(void *priv, void *buf, size_t len, size_t *got)
{
	struct ckpt_image *img = priv;
	ssize_t n;

	if (fatal_signal_pending(current))
		return -EINTR;
	n = kernel_read(img->file, buf, len, &img->pos);
	if (n < 0)
		return n;
	*got = n;
	return 0;
}

/*
 * What restore applies in the kernel: every singleton, the VMAs, queued
 * signals, files and fds, and the PAGES runs (copied: pass 2 reads their
 * data again).  CHANGED is refused here: only the tool merges a chain.
 */
#define READIN_TYPES	(CKPT_IDX_SINGLETONS | CKPT_IDX(CKPT_REC_SIGPENDING) | \
			 CKPT_IDX(CKPT_REC_THREAD) | \
			 CKPT_IDX(CKPT_REC_VMA) | CKPT_IDX(CKPT_REC_FILE) | \
			 CKPT_IDX(CKPT_REC_FD) | CKPT_IDX(CKPT_REC_PAGES))

/* Record @h, just checked: the last one the validator accepted. */
static int keep(struct ckpt_image *img, const struct ckpt_hdr *h)
{
	return ckpt_index_add(&img->idx, h, img->chk.offset - h->len);
}

/* Reads the page data of the last PAGES record, for the checks only. */
static int skip_data(struct ckpt_image *img, u8 *buf)
{
	size_t n;
	int ret;

	while (img->chk.data_left) {
		n = min_t(u64, img->chk.data_left, CKPT_READ_BUF);
		ret = hbuf_read_raw(&img->hb, buf, n);
		if (ret)
			return ret;
		img->data_crc = ckpt_crc32c(img->data_crc, buf, n);
		ret = img_check_data(&img->chk, buf, n);
		if (ret)
			return ret;
	}
	return 0;
}

static int bad(struct ckpt_ctx *ctx, struct ckpt_image *img, int err)
{
	if (err == -ENODATA)
		err = img_check_fail(&img->chk, -EINVAL,
				     "the image ends early (truncated)");
	if (img->chk.err[0])
		return ckpt_err(ctx, err, "%s", img->chk.err);
	return ckpt_err(ctx, err, "cannot read the image: error %d", err);
}

/*
 * The data section (PAGES runs with their data, then the trailer) is read
 * raw: its records are copied out, the data is read through, and none of
 * it stays in hbuf chunks, so memory is the metadata's, not the image's.
 */
static int read_data_section(struct ckpt_image *img, u8 *buf)
{
	union {
		struct ckpt_hdr h;
		struct ckpt_rec_pages pages;
		struct ckpt_rec_trailer trailer;
	} rec;
	int ret;

	img->data_offset = img->chk.offset;
	for (;;) {
		ret = hbuf_read_raw(&img->hb, &rec.h, sizeof(rec.h));
		if (!ret)
			ret = img_check_hdr(&img->chk, &rec.h);
		if (!ret && rec.h.type != CKPT_REC_PAGES &&
		    rec.h.type != CKPT_REC_TRAILER)
			ret = img_check_fail(&img->chk, -EINVAL,
					     "metadata record after the page data");
		/* The checked length is exact for these two records. */
		if (!ret)
			ret = hbuf_read_raw(&img->hb, (u8 *)&rec + sizeof(rec.h),
					    rec.h.len - sizeof(rec.h));
		if (!ret)
			ret = img_check_record(&img->chk, &rec);
		if (ret || rec.h.type == CKPT_REC_TRAILER)
			return ret;
		ret = keep(img, &rec.h);
		if (ret)
			return ret;
		img->data_crc = ckpt_crc32c(img->data_crc, &rec, rec.h.len);
		ret = skip_data(img, buf);
		if (ret)
			return ret;
	}
}

static int read_all(struct ckpt_ctx *ctx, struct ckpt_image *img)
{
	const struct ckpt_hdr *h;
	u8 *buf;
	int ret;

	buf = vmalloc(CKPT_READ_BUF);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		h = hbuf_get(&img->hb, sizeof(*h));
		if (!h) {
			ret = hbuf_error(&img->hb);
			break;
		}
		if (h->type == CKPT_REC_PAGES || h->type == CKPT_REC_TRAILER) {
			hbuf_unget(&img->hb);
			ret = read_data_section(img, buf);
			break;
		}
		ret = img_check_hdr(&img->chk, h);
		if (ret)
			break;
		/* The length is checked: the whole record may be read now. */
		h = hbuf_get(&img->hb, h->len);
		ret = h ? img_check_record(&img->chk, h) : hbuf_error(&img->hb);
		if (!ret)
			ret = keep(img, h);
		if (ret)
			break;
		/* Its parents' pages are not here: the tool merges a chain. */
		if (h->type == CKPT_REC_HEADER &&
		    img->hdr->flags & CKPT_IMG_INCREMENTAL) {
			ret = ckpt_err(ctx, -EINVAL,
				       "image 0x%llx is incremental on 0x%llx: restore its chain merged into one image (ckpt restore -i FILE does)",
				       img->hdr->image_id, img->hdr->parent_id);
			break;
		}
		hbuf_put(&img->hb, h->len);
	}
	if (!ret)
		ret = img_check_end(&img->chk);
	vfree(buf);
	return ret ? bad(ctx, img, ret) : 0;
}

int ckpt_image_read(struct ckpt_ctx *ctx, struct ckpt_image *img, int fd)
{
	img->file = fget(fd);
	if (!img->file || !(img->file->f_mode & FMODE_READ))
		return ckpt_err(ctx, -EBADF, "fd %d is not open for reading", fd);
	if (!(img->file->f_mode & FMODE_LSEEK) ||
	    (img->file->f_mode & FMODE_STREAM))
		return ckpt_err(ctx, -ESPIPE,
				"the image must be a seekable file (a pipe is read into memory by the tool)");
	img->base = img->file->f_pos;
	img->pos = img->base;
	img->io.read = img_io_read;
	img->io.priv = img;
	hbuf_init(&img->hb, HBUF_READ, ckpt_chunk_size, &img->io);
	img->hb.limit = META_LIMIT;
	img_check_init(&img->chk, PAGE_SIZE, TASK_SIZE_MAX);
	ckpt_index_init(&img->idx, READIN_TYPES, 0);
	return read_all(ctx, img);
}

void ckpt_image_free(struct ckpt_image *img)
{
	ckpt_index_free(&img->idx);
	img_check_free(&img->chk);
	hbuf_free(&img->hb);
	if (img->file)
		fput(img->file);
	memset(img, 0, sizeof(*img));
}
