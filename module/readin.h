/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Readin: an image stream read back and checked, for restore.
 */
#ifndef CKPT_READIN_H
#define CKPT_READIN_H

#include "apply.h"
#include "ctx.h"
#include "image_check.h"
#include "index.h"

/* An image read whole, every record checked; metadata kept in hbuf. */
struct ckpt_image {
	struct hbuf hb;			/* HBUF_READ: the metadata records */
	struct hbuf_io io;
	struct img_check chk;
	struct file *file;		/* the image, referenced */
	loff_t base;			/* file offset of the stream's start */
	loff_t pos;			/* file offset being read */
	u64 data_offset;		/* stream offset of the first PAGES */
	u32 meta_crc;			/* CRC32C of the stream before it */
	const u8 *ahead;		/* stream bytes from data_offset, */
	size_t ahead_len;		/* read ahead by pass 1, in hbuf */
	u64 bytes_read;			/* from the file, both passes */
	void *bounce;			/* pass 2, a file without read_iter */

	/*
	 * The records by type (format/index.h), under the index's names as
	 * well: img->vmas is img->idx.vmas, img->runs the PAGES copies.
	 */
	union {
		struct ckpt_index idx;
		struct {
			CKPT_INDEX_FIELDS;
		};
	};
};

/* Page data is read in pieces of this size, at most. */
#define CKPT_READ_BUF	(256UL << 10)

/*
 * Pass 1: reads and checks the metadata of @fd and the lengths of its page
 * data; nothing is changed.  The trailer's CRC is left in
 * img->chk.trailer_crc, for pass 2 to check.
 */
int ckpt_image_read(struct ckpt_ctx *ctx, struct ckpt_image *img, int fd);

/* Pass 2: iov_iter_count(@it) stream bytes from offset @off into @it. */
int ckpt_image_read_at(struct ckpt_image *img, struct iov_iter *it, u64 off,
		       u64 *got_file);

/* Pass 2 (pages_fill.c): the page data read into current's new mm. */
int ckpt_pages_fill(struct ckpt_ctx *ctx, struct ckpt_image *img);
void ckpt_image_free(struct ckpt_image *img);

/*
 * Before the point of no return (mm_apply.c): the image's layout made into
 * ctx->vmas and ctx->mm_rec, as a capture leaves them, files opened.
 * Pass 2 is then ckpt_mm_apply() in REBUILD mode (apply.h).
 */
int ckpt_mm_prepare(struct ckpt_ctx *ctx, struct ckpt_image *img);

#endif /* CKPT_READIN_H */
