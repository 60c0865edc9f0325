// SPDX-License-Identifier: GPL-2.0
/*
 * Readin: the image read back for restore, each byte once, from a
 * seekable file.
 *
 * Pass 1 reads the metadata: each record is checked by the shared
 * validator (the code `ckpt show` and the fuzzer run) and stays in hbuf
 * chunks; the PAGES records are read and checked too, but their data is
 * passed over unread (hbuf_skip_raw()), so the trailer's counts and the
 * records' own CRC (CKPT_IMG_REC_CRC) are checked, and the stream's
 * CRC32C kept for later.  Only then may restore change the caller: a
 * truncated image or a changed byte in any record fails with the caller
 * intact.  An image without the records' CRC (written before it) has its
 * page data read through here, for the stream's CRC, and again in pass 2.
 *
 * Pass 2, after the point of no return, is pages_apply.c's: it reads each
 * run's data once, straight into the new address space
 * (ckpt_image_read_at()), and computes the stream's CRC over the
 * metadata pass 1 read and the data where it landed.  A mismatch, or a
 * file that changed in between, kills the caller (which supplied it)
 * before it runs a single instruction, and nothing else.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
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
	img->bytes_read += n;
	*got = n;
	return 0;
}

static int img_io_skip(void *priv, u64 len)
{
	struct ckpt_image *img = priv;

	img->pos += len;
	return 0;
}

/*
 * Reads the stream's bytes from offset @off into @it, all of them: those
 * pass 1 read ahead from its copy, the rest from the file, into @it's
 * pages directly when the file has read_iter (a page cache copy, the only
 * one), else through img->bounce (the caller's thread only).  Adds the
 * bytes read from the file to *@got_file; -EIO if the file is shorter
 * now.  Safe on several threads at once with read_iter.
 */
int ckpt_image_read_at(struct ckpt_image *img, struct iov_iter *it, u64 off,
		       u64 *got_file)
{
	size_t want = iov_iter_count(it), n;
	loff_t pos;
	ssize_t got;

	if (off < img->data_offset + img->ahead_len && off >= img->data_offset) {
		n = min_t(u64, want, img->data_offset + img->ahead_len - off);
		if (copy_to_iter(img->ahead + (off - img->data_offset), n, it) != n)
			return -EFAULT;
		off += n;
		want -= n;
	}
	pos = img->base + off;
	while (want) {
		if (fatal_signal_pending(current))
			return -EINTR;
		if (img->file->f_op->read_iter) {
			got = vfs_iter_read(img->file, it, &pos, 0);
		} else {
			n = min_t(size_t, want, CKPT_READ_BUF);
			got = kernel_read(img->file, img->bounce, n, &pos);
			if (got > 0 && copy_to_iter(img->bounce, got, it) != got)
				return -EFAULT;
		}
		if (got <= 0)
			return got < 0 ? got : -EIO;
		*got_file += got;
		want -= got;
	}
	return 0;
}

/*
 * What restore applies in the kernel: every singleton, the VMAs, queued
 * signals, files and fds, and the PAGES runs (copied: pass 2 reads their
 * data).  CHANGED is refused here: only the tool merges a chain.
 */
#define READIN_TYPES	(CKPT_IDX_SINGLETONS | CKPT_IDX(CKPT_REC_SIGPENDING) | \
			 CKPT_IDX(CKPT_REC_THREAD) | \
			 CKPT_IDX(CKPT_REC_VMA) | CKPT_IDX(CKPT_REC_FILE) | \
			 CKPT_IDX(CKPT_REC_FD) | CKPT_IDX(CKPT_REC_PAGES))

/*
 * The page data of the last PAGES record, in an image without the
 * records' CRC: read through, for the stream's CRC, before the point of
 * no return (pass 2 reads it again).
 */
static int read_through(struct ckpt_image *img, u8 **buf)
{
	size_t n;
	int ret = 0;

	/* One buffer for all the runs, freed by the caller. */
	if (!*buf)
		*buf = vmalloc(CKPT_READ_BUF);
	if (!*buf)
		return -ENOMEM;
	while (img->chk.data_left && !ret) {
		n = min_t(u64, img->chk.data_left, CKPT_READ_BUF);
		ret = hbuf_read_raw(&img->hb, *buf, n);
		if (!ret)
			ret = img_check_data(&img->chk, *buf, n);
	}
	return ret;
}

/* Record @h, just checked: the last one the validator accepted. */
static int keep(struct ckpt_image *img, const struct ckpt_hdr *h)
{
	return ckpt_index_add(&img->idx, h, img->chk.offset - h->len);
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
 * raw: its records are copied out and none of it stays in hbuf chunks, so
 * memory is the metadata's, not the image's.  The data is skipped: pass 2
 * reads it, and checks the CRC.  What hbuf read ahead of it stays where
 * it is, for pass 2 to copy rather than read again.
 */
static int read_data_section(struct ckpt_image *img)
{
	union {
		struct ckpt_hdr h;
		struct ckpt_rec_pages pages;
		struct ckpt_rec_trailer trailer;
	} rec;
	u8 *buf = NULL;		/* read_through()'s */
	int ret;

	img->data_offset = img->chk.offset;
	img->meta_crc = img->chk.crc;
	img->ahead = hbuf_ahead(&img->hb, &img->ahead_len);
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
			break;
		ret = keep(img, &rec.h);
		if (ret)
			break;
		if (!img->chk.has_rec_crc) {
			ret = read_through(img, &buf);
		} else {
			ret = hbuf_skip_raw(&img->hb, img->chk.data_left);
			if (!ret)
				ret = img_check_skip(&img->chk, img->chk.data_left);
		}
		if (ret)
			break;
	}
	vfree(buf);
	return ret;
}

static int read_all(struct ckpt_ctx *ctx, struct ckpt_image *img)
{
	const struct ckpt_hdr *h;
	int ret;

	for (;;) {
		h = hbuf_get(&img->hb, sizeof(*h));
		if (!h) {
			ret = hbuf_error(&img->hb);
			break;
		}
		if (h->type == CKPT_REC_PAGES || h->type == CKPT_REC_TRAILER) {
			hbuf_unget(&img->hb);
			ret = read_data_section(img);
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
	if (!ret && !img->chk.crc_deferred)
		img->chk.trailer_crc = img->chk.crc;
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
	/* Without read_iter, pass 2 reads through a buffer: made now. */
	if (!img->file->f_op->read_iter) {
		img->bounce = vmalloc(CKPT_READ_BUF);
		if (!img->bounce)
			return -ENOMEM;
	}
	img->io.read = img_io_read;
	img->io.skip = img_io_skip;
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
	vfree(img->bounce);
	if (img->file)
		fput(img->file);
	memset(img, 0, sizeof(*img));
}
