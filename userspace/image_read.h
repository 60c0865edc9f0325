/* SPDX-License-Identifier: GPL-2.0 */
/*
 * image_read: reads an image stream in userspace and validates all of it
 * with the module's own validator (format/image_check.c), through the
 * module's own reader buffer (format/hbuf.c in HBUF_READ mode).
 *
 *	struct img_reader r;
 *	const struct ckpt_hdr *h;
 *	int ret;
 *
 *	img_reader_open_fd(&r, fd, NULL);
 *	while ((ret = img_reader_next(&r, &h)) > 0) {
 *		switch (h->type) { ... }
 *		if (h->type == CKPT_REC_PAGES)
 *			img_reader_read_data(&r, buf, n);  (optional)
 *	}
 *	if (ret < 0)
 *		fprintf(stderr, "%s\n", img_reader_error(&r));
 *	img_reader_close(&r);
 *
 * img_reader_next() returns every record, the TRAILER included, each one
 * validated before it is returned (so the trailer it returns has a
 * matching record count, byte count and CRC32C).  It returns 0 only once
 * the trailer was accepted and the stream ended right after it.  So a
 * caller has seen a whole, valid image only when next() returned 0; a
 * record seen before that is valid on its own and in order with the ones
 * before it, but the image may still turn out truncated or corrupt.
 *
 * The page data of a PAGES record (npages * page_size bytes) follows it;
 * read any part of it with img_reader_read_data(), in pieces of any size;
 * next() skips (reads and checksums) whatever is left.
 *
 * Errors are negative errnos, as image_check.h lists them (-ENODATA for
 * a truncated stream, -EBADMSG for a CRC or count mismatch, ...), or the
 * -errno of a failed read(); img_reader_error() says which record, at
 * which stream offset, and what is wrong.  The first error is sticky.
 *
 * Memory: without IMG_READ_KEEP a record stays valid until the next call
 * to img_reader_next(), and the reader holds about two chunks (plus one
 * record larger than a chunk); with IMG_READ_KEEP every record stays valid
 * until img_reader_close(), and every chunk read is kept.
 *
 * The struct must not move while open (hbuf points into it).
 */
#ifndef CKPT_IMAGE_READ_H
#define CKPT_IMAGE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "hbuf.h"
#include "image_check.h"

#define IMG_READ_KEEP		0x1U	/* keep every record until close */
/*
 * The fd is seekable: the page data of an image with CKPT_IMG_REC_CRC is
 * passed over by lseek, unread, so the stream's CRC32C cannot be checked
 * here and is left unchecked (img_check_skip(): chk.crc_deferred is set
 * and chk.trailer_crc holds the trailer's); the records' CRC is checked.
 * An image without it is read whole, and checked whole, as without the
 * flag.
 * For a reader that needs the metadata only and hands the data to one
 * that checks it: the restore's plan, the kernel then reading the data.
 */
#define IMG_READ_SKIP_DATA	0x2U

struct img_reader_opts {
	uint32_t page_size;	/* 0: this machine's */
	uint64_t user_addr_max;	/* 0: IMG_USER_ADDR_MAX_5LEVEL */
	size_t chunk_size;	/* hbuf chunk size, 0: 1 MiB */
	size_t max_read;	/* largest read() asked for, 0: a chunk */
	unsigned int flags;	/* IMG_READ_* */
};

struct img_reader {
	struct hbuf hb;
	struct hbuf_io io;
	struct img_check chk;
	size_t chunk_size;
	size_t max_read;
	unsigned int flags;
	bool done;		/* next() returned 0 */
	/* the source: a file descriptor, or memory */
	int fd;
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	/* the last record returned */
	const struct ckpt_hdr *rec;
	uint64_t rec_idx;
	uint64_t rec_off;
	unsigned char *scratch;	/* for skipping page data */
	struct img_copy *copies;	/* records copied to be aligned */
};

/* Sources: a file, pipe or socket (not closed by the reader), or memory. */
int img_reader_open_fd(struct img_reader *r, int fd,
		       const struct img_reader_opts *o);
int img_reader_open_mem(struct img_reader *r, const void *buf, size_t len,
			const struct img_reader_opts *o);

/* 1 and *rec: the next record; 0: the end of a valid image; or -errno. */
int img_reader_next(struct img_reader *r, const struct ckpt_hdr **rec);

/* Bytes of page data of the current PAGES record not read yet. */
static inline uint64_t img_reader_data_left(const struct img_reader *r)
{
	return r->chk.data_left;
}

/* Reads exactly @len (at most img_reader_data_left()) bytes of page data. */
int img_reader_read_data(struct img_reader *r, void *buf, size_t len);

/* Reads and checksums the rest of the current page data (or seeks past it). */
int img_reader_skip_data(struct img_reader *r);

/* Index (0 is the HEADER) and stream offset of the last record returned. */
static inline uint64_t img_reader_index(const struct img_reader *r)
{
	return r->rec_idx;
}

static inline uint64_t img_reader_offset(const struct img_reader *r)
{
	return r->rec_off;
}

/* The message of the first error, "" if none. */
static inline const char *img_reader_error(const struct img_reader *r)
{
	return r->chk.err;
}

void img_reader_close(struct img_reader *r);

#endif /* CKPT_IMAGE_READ_H */
