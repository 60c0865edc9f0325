// SPDX-License-Identifier: GPL-2.0
/*
 * image_read: the userspace image reader.  See image_read.h.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "image_read.h"

#define DEFAULT_CHUNK	(1UL << 20)
#define SCRATCH_SIZE	(64UL << 10)

static int fd_read(void *priv, void *buf, size_t len, size_t *got)
{
	struct img_reader *r = priv;
	ssize_t n;

	if (len > r->max_read)
		len = r->max_read;
	do {
		n = read(r->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno ? -errno : -EIO;
	*got = (size_t)n;
	return 0;
}

static int fd_skip(void *priv, u64 len)
{
	struct img_reader *r = priv;

	if (len > INT64_MAX || lseek(r->fd, (off_t)len, SEEK_CUR) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

static int mem_read(void *priv, void *buf, size_t len, size_t *got)
{
	struct img_reader *r = priv;
	size_t n = r->mem_len - r->mem_pos;

	if (n > len)
		n = len;
	if (n > r->max_read)
		n = r->max_read;
	memcpy(buf, r->mem + r->mem_pos, n);
	r->mem_pos += n;
	*got = n;
	return 0;
}

static int open_common(struct img_reader *r, const struct img_reader_opts *o)
{
	static const struct img_reader_opts defaults;
	long ps;

	if (!o)
		o = &defaults;
	r->flags = o->flags;
	r->chunk_size = o->chunk_size ? o->chunk_size : DEFAULT_CHUNK;
	r->max_read = o->max_read ? o->max_read : r->chunk_size;
	ps = o->page_size ? (long)o->page_size : sysconf(_SC_PAGESIZE);
	img_check_init(&r->chk, ps > 0 ? (u32)ps : 4096,
		       o->user_addr_max ? o->user_addr_max :
					  IMG_USER_ADDR_MAX_5LEVEL);
	r->io.priv = r;
	hbuf_init(&r->hb, HBUF_READ, r->chunk_size, &r->io);
	return img_check_error(&r->chk);
}

int img_reader_open_fd(struct img_reader *r, int fd,
		       const struct img_reader_opts *o)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->io.read = fd_read;
	if (o && (o->flags & IMG_READ_SKIP_DATA))
		r->io.skip = fd_skip;
	return open_common(r, o);
}

int img_reader_open_mem(struct img_reader *r, const void *buf, size_t len,
			const struct img_reader_opts *o)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->mem = buf;
	r->mem_len = len;
	r->io.read = mem_read;
	return open_common(r, o);
}

/* hbuf could not give @want bytes: the stream ended, or read() failed. */
static int read_failed(struct img_reader *r, const char *where)
{
	int err = hbuf_error(&r->hb);

	if (err == -ENODATA)
		return img_check_fail(&r->chk, -ENODATA,
				      "the stream ends %s (truncated image)",
				      where);
	if (err == -ENOMEM || err == -EFBIG)
		return img_check_fail(&r->chk, -ENOMEM,
				      "out of memory reading %s", where);
	if (!err)
		err = -EIO;
	return img_check_fail(&r->chk, err, "read error %s: %s", where,
			      strerror(-err));
}

/*
 * Without IMG_READ_KEEP, chunks whose records were all returned are freed
 * once the current one is used up, so memory does not grow with the
 * stream (hbuf keeps every chunk of a READ chain until hbuf_free()).
 */
static void recycle(struct img_reader *r)
{
	struct hbuf_chunk *c = r->hb.cur;

	if ((r->flags & IMG_READ_KEEP) || !c || c->pos != c->used ||
	    r->hb.nr_chunks < 2)
		return;
	hbuf_free(&r->hb);
	hbuf_init(&r->hb, HBUF_READ, r->chunk_size, &r->io);
}

/* Bytes read ahead and not consumed, to say where a stream ended. */
static size_t buffered(const struct img_reader *r)
{
	const struct hbuf_chunk *c = r->hb.cur;

	return c ? c->used - c->pos : 0;
}

/*
 * hbuf hands out a record where it sits in its chunk.  After page data
 * read past the chunk (hbuf_read_raw() reads directly once the read-ahead
 * is used up), the chunk's fill position no longer matches the stream's
 * alignment, and with reads of odd sizes (pipes) the next record can sit
 * at an address that is not 8-byte aligned.  The validator, and any C
 * code, needs it aligned: such a record is copied.
 */
struct img_copy {
	struct img_copy *next;
	uint64_t data[];
};

static void free_copies(struct img_reader *r)
{
	struct img_copy *c, *next;

	for (c = r->copies; c; c = next) {
		next = c->next;
		free(c);
	}
	r->copies = NULL;
}

static const void *aligned(struct img_reader *r, const void *p, size_t len)
{
	struct img_copy *c;

	if (!((uintptr_t)p & (CKPT_REC_ALIGN - 1)))
		return p;
	c = malloc(sizeof(*c) + len);
	if (!c)
		return NULL;
	memcpy(c->data, p, len);
	c->next = r->copies;
	r->copies = c;
	return c->data;
}

/* After the trailer: the stream must end. */
static int expect_eof(struct img_reader *r)
{
	int err;

	if (hbuf_get(&r->hb, 1))
		return img_check_fail(&r->chk, -EINVAL,
				      "data after the trailer");
	err = hbuf_error(&r->hb);
	if (err != -ENODATA)
		return read_failed(r, "after the trailer");
	return img_check_end(&r->chk);
}

int img_reader_next(struct img_reader *r, const struct ckpt_hdr **rec)
{
	const struct ckpt_hdr *p;
	struct ckpt_hdr h;
	int ret;

	*rec = NULL;
	r->rec = NULL;
	if (!(r->flags & IMG_READ_KEEP))
		free_copies(r);
	if (img_check_error(&r->chk))
		return img_check_error(&r->chk);
	if (r->done)
		return 0;
	ret = img_reader_skip_data(r);
	if (ret)
		return ret;
	if (r->chk.trailer) {
		ret = expect_eof(r);
		if (!ret)
			r->done = true;
		return ret;
	}
	recycle(r);
	p = hbuf_get(&r->hb, sizeof(h));
	if (!p) {
		if (hbuf_error(&r->hb) == -ENODATA && buffered(r))
			return read_failed(r, "inside a record header");
		if (hbuf_error(&r->hb) == -ENODATA && !r->chk.offset)
			return img_check_fail(&r->chk, -ENODATA,
					      "the stream is empty (not a ckpt image)");
		return read_failed(r, "before the trailer");
	}
	memcpy(&h, p, sizeof(h));
	ret = img_check_hdr(&r->chk, &h);
	if (ret)
		return ret;
	/* The header is sane: h.len is bounded for its type. */
	p = hbuf_get(&r->hb, h.len);
	if (!p)
		return read_failed(r, "inside the record");
	hbuf_put(&r->hb, h.len);
	p = aligned(r, p, h.len);
	if (!p)
		return img_check_fail(&r->chk, -ENOMEM, "out of memory");
	ret = img_check_record(&r->chk, p);
	if (ret)
		return ret;
	r->rec = p;
	r->rec_off = r->chk.offset - h.len;
	r->rec_idx = r->chk.nr_records - (h.type == CKPT_REC_TRAILER ? 0 : 1);
	*rec = p;
	return 1;
}

int img_reader_read_data(struct img_reader *r, void *buf, size_t len)
{
	int ret;

	if (img_check_error(&r->chk))
		return img_check_error(&r->chk);
	if (len > r->chk.data_left)
		return img_check_fail(&r->chk, -EINVAL,
				      "%zu bytes of page data asked for, %llu left (caller bug)",
				      len, (unsigned long long)r->chk.data_left);
	if (!len)
		return 0;
	ret = hbuf_read_raw(&r->hb, buf, len);
	if (ret)
		return read_failed(r, "inside its page data");
	return img_check_data(&r->chk, buf, len);
}

int img_reader_skip_data(struct img_reader *r)
{
	size_t n;
	int ret;

	/* An image without the records' CRC is checked by reading it all. */
	if (r->chk.data_left && r->io.skip && r->chk.has_rec_crc) {
		ret = hbuf_skip_raw(&r->hb, r->chk.data_left);
		if (ret)
			return read_failed(r, "inside its page data");
		return img_check_skip(&r->chk, r->chk.data_left);
	}
	while (r->chk.data_left) {
		if (!r->scratch) {
			r->scratch = malloc(SCRATCH_SIZE);
			if (!r->scratch)
				return img_check_fail(&r->chk, -ENOMEM,
						      "out of memory");
		}
		n = r->chk.data_left < SCRATCH_SIZE ?
			(size_t)r->chk.data_left : SCRATCH_SIZE;
		ret = img_reader_read_data(r, r->scratch, n);
		if (ret)
			return ret;
	}
	return 0;
}

void img_reader_close(struct img_reader *r)
{
	hbuf_free(&r->hb);
	img_check_free(&r->chk);
	free(r->scratch);
	r->scratch = NULL;
	free_copies(r);
	r->rec = NULL;
}
