// SPDX-License-Identifier: GPL-2.0
/*
 * hbuf: chunked metadata allocator.  See hbuf.h for the model.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#endif

#include "hbuf.h"

#ifdef __KERNEL__
static DEFINE_SPINLOCK(hint_lock);
#define hint_lock()	spin_lock(&hint_lock)
#define hint_unlock()	spin_unlock(&hint_lock)
#define chunk_vmalloc(n)	vmalloc(n)
#define chunk_vfree(p)		vfree(p)
#else
#define hint_lock()	do { } while (0)
#define hint_unlock()	do { } while (0)
#define chunk_vmalloc(n)	shim_vmalloc(n)
#define chunk_vfree(p)		shim_vfree(p)
#endif

static void hbuf_fail(struct hbuf *hb, int err)
{
	if (!hb->err)
		hb->err = err;
}

void hbuf_init(struct hbuf *hb, enum hbuf_mode mode, size_t chunk_size,
	       const struct hbuf_io *io)
{
	memset(hb, 0, sizeof(*hb));
	hb->mode = mode;
	hb->io = io;
	chunk_size = clamp(chunk_size, HBUF_CHUNK_MIN, HBUF_CHUNK_MAX);
	hb->chunk_size = round_up(chunk_size, HBUF_CHUNK_MIN);
}

/* A chunk whose data holds at least @len bytes, not linked anywhere. */
static struct hbuf_chunk *chunk_alloc(struct hbuf *hb, size_t len)
{
	struct hbuf_chunk *c;
	size_t alloc = hb->chunk_size;

	if (len > alloc - HBUF_CHUNK_HDR) {
		if (len > SIZE_MAX / 2) {
			hbuf_fail(hb, -EFBIG);
			return NULL;
		}
		alloc = round_up(len + HBUF_CHUNK_HDR, hb->chunk_size);
	}
	if (hb->limit && hb->alloc_bytes + alloc > hb->limit) {
		hbuf_fail(hb, -EFBIG);
		return NULL;
	}
	if (hb->fail_alloc && --hb->fail_alloc == 0)
		c = NULL;
	else
		c = chunk_vmalloc(alloc);
	if (!c) {
		hbuf_fail(hb, -ENOMEM);
		return NULL;
	}
	c->next = NULL;
	c->alloc = alloc;
	c->cap = alloc - HBUF_CHUNK_HDR;
	c->used = 0;
	c->pos = 0;
	hb->nr_allocs++;
	hb->nr_chunks++;
	hb->max_chunks = max(hb->max_chunks, hb->nr_chunks);
	hb->alloc_bytes += alloc;
	hbuf_account(1, (long)alloc);
	return c;
}

static void chunk_free(struct hbuf *hb, struct hbuf_chunk *c)
{
	hb->nr_chunks--;
	hb->alloc_bytes -= c->alloc;
	hbuf_account(-1, -(long)c->alloc);
	chunk_vfree(c);
}

/* Links @c after hb->cur (or as the head) and makes it current. */
static void chunk_link(struct hbuf *hb, struct hbuf_chunk *c)
{
	if (hb->cur) {
		c->next = hb->cur->next;
		hb->cur->next = c;
	} else {
		c->next = hb->head;
		hb->head = c;
	}
	hb->cur = c;
}

/*
 * Sized from the previous round: one allocation that holds @bytes of
 * records, so an unchanged target allocates exactly once.
 */
int hbuf_prealloc(struct hbuf *hb, size_t bytes)
{
	struct hbuf_chunk *c;

	if (hb->err)
		return hb->err;
	if (hb->head || !bytes)
		return 0;
	if (hb->mode == HBUF_STREAM)
		bytes = min(bytes, hb->chunk_size - HBUF_CHUNK_HDR);
	c = chunk_alloc(hb, bytes);
	if (!c)
		return hb->err;
	chunk_link(hb, c);
	return 0;
}

static int io_write(struct hbuf *hb, const void *buf, size_t len)
{
	int ret;

	if (!len)
		return 0;
	if (!hb->io || !hb->io->write)
		return -EINVAL;
	ret = hb->io->write(hb->io->priv, buf, len);
	if (!ret)
		hb->io_bytes += len;
	return ret;
}

/* STREAM: writes out the current chunk and makes room for @len bytes. */
static struct hbuf_chunk *stream_next(struct hbuf *hb, size_t len)
{
	size_t std_cap = hb->chunk_size - HBUF_CHUNK_HDR;
	struct hbuf_chunk *c = hb->cur;
	int ret;

	if (c) {
		ret = io_write(hb, c->data, c->used);
		if (ret) {
			hbuf_fail(hb, ret);
			return NULL;
		}
		c->used = 0;
		if (c->cap >= len && (c->cap == std_cap || len > std_cap))
			return c;
		/* Unlink: the chain never holds more than the current chunk. */
		hb->head = NULL;
		hb->cur = NULL;
		if (c->cap == std_cap && !hb->spare)
			hb->spare = c;
		else
			chunk_free(hb, c);
	}
	if (len <= std_cap && hb->spare) {
		c = hb->spare;
		hb->spare = NULL;
	} else {
		c = chunk_alloc(hb, len);
		if (!c)
			return NULL;
	}
	c->next = NULL;
	hb->head = c;
	hb->cur = c;
	return c;
}

/* BUFFER: the next chunk of the chain that fits, or a new one after cur. */
static struct hbuf_chunk *buffer_next(struct hbuf *hb, size_t len)
{
	struct hbuf_chunk *c = hb->cur ? hb->cur->next : hb->head;

	/* Chunks after cur are empty ones kept by hbuf_reset(). */
	if (c && c->cap >= len) {
		hb->cur = c;
		return c;
	}
	c = chunk_alloc(hb, len);
	if (!c)
		return NULL;
	chunk_link(hb, c);
	return c;
}

/*
 * READ: makes @len unconsumed bytes available contiguously in cur.
 * Returns 0, or -ENODATA when the stream ends first.
 */
static int read_fill(struct hbuf *hb, size_t len)
{
	struct hbuf_chunk *c = hb->cur;
	size_t got;
	int ret;

	if (c && c->used - c->pos >= len)
		return 0;
	if (!hb->io || !hb->io->read)
		return -EINVAL;
	if (!c || c->cap - c->pos < len) {
		struct hbuf_chunk *n = chunk_alloc(hb, len);
		size_t tail = c ? c->used - c->pos : 0;

		if (!n)
			return hb->err;
		if (tail) {
			memcpy(n->data, c->data + c->pos, tail);
			c->used = c->pos;
		}
		n->used = tail;
		chunk_link(hb, n);
		c = n;
	}
	/* Read ahead as far as the chunk goes: few, large reads. */
	while (c->used - c->pos < len) {
		ret = hb->io->read(hb->io->priv, c->data + c->used,
				   c->cap - c->used, &got);
		if (ret)
			return ret;
		if (!got)
			return -ENODATA;
		c->used += got;
		hb->io_bytes += got;
	}
	return 0;
}

void *hbuf_get(struct hbuf *hb, size_t len)
{
	struct hbuf_chunk *c;
	int ret;

	if (hb->err)
		return NULL;
	if (hb->mode == HBUF_READ) {
		/* A reader may peek again before put: the record may move. */
		ret = read_fill(hb, len);
		if (ret) {
			hbuf_fail(hb, ret);
			return NULL;
		}
		hb->open = true;
		hb->reserved = len;
		return hb->cur->data + hb->cur->pos;
	}
	if (hb->open) {
		/* Two gets without a put: a caller bug, not bad input. */
		hbuf_fail(hb, -EINVAL);
		return NULL;
	}
	c = hb->cur;
	if (!c || c->cap - c->used < len) {
		c = hb->mode == HBUF_STREAM ? stream_next(hb, len) :
					      buffer_next(hb, len);
		if (!c)
			return NULL;
	}
	hb->open = true;
	hb->reserved = len;
	return c->data + c->used;
}

void hbuf_put(struct hbuf *hb, size_t len)
{
	if (hb->err)
		return;
	if (!hb->open || len > hb->reserved) {
		hbuf_fail(hb, -EINVAL);
		return;
	}
	if (hb->mode == HBUF_READ)
		hb->cur->pos += len;
	else
		hb->cur->used += len;
	hb->open = false;
	hb->reserved = 0;
	hb->nr_records++;
	hb->bytes += len;
}

/* STREAM: writes what the current chunk holds. */
int hbuf_flush(struct hbuf *hb)
{
	struct hbuf_chunk *c = hb->cur;
	int ret;

	if (hb->err)
		return hb->err;
	if (hb->mode != HBUF_STREAM || !c)
		return 0;
	ret = io_write(hb, c->data, c->used);
	if (ret) {
		hbuf_fail(hb, ret);
		return ret;
	}
	c->used = 0;
	return 0;
}

/* BUFFER: bulk write of every chunk, one write per chunk. */
int hbuf_writeout(struct hbuf *hb, const struct hbuf_io *io)
{
	const struct hbuf_io *saved = hb->io;
	struct hbuf_chunk *c;
	int ret = 0;

	if (hb->err)
		return hb->err;
	if (hb->mode != HBUF_BUFFER || hb->open)
		return -EINVAL;
	hb->io = io;
	for (c = hb->head; c && !ret; c = c->next)
		ret = io_write(hb, c->data, c->used);
	hb->io = saved;
	if (ret)
		hbuf_fail(hb, ret);
	return ret;
}

/* READ: the next @len stream bytes, from read-ahead first, then direct. */
int hbuf_read_raw(struct hbuf *hb, void *dst, size_t len)
{
	struct hbuf_chunk *c = hb->cur;
	size_t n, got;
	u8 *p = dst;
	int ret;

	if (hb->err)
		return hb->err;
	if (hb->mode != HBUF_READ || hb->open)
		return -EINVAL;
	if (c) {
		n = min(len, c->used - c->pos);
		memcpy(p, c->data + c->pos, n);
		c->pos += n;
		p += n;
		len -= n;
		hb->bytes += n;
	}
	while (len) {
		ret = hb->io->read(hb->io->priv, p, len, &got);
		if (!ret && !got)
			ret = -ENODATA;
		if (ret) {
			hbuf_fail(hb, ret);
			return ret;
		}
		p += got;
		len -= got;
		hb->io_bytes += got;
		hb->bytes += got;
	}
	return 0;
}

/*
 * READ: passes over the next @len stream bytes: read-ahead first, then by
 * io->skip without reading them (page data whose checks are the caller's).
 */
int hbuf_skip_raw(struct hbuf *hb, u64 len)
{
	struct hbuf_chunk *c = hb->cur;
	size_t n;
	int ret;

	if (hb->err)
		return hb->err;
	if (hb->mode != HBUF_READ || hb->open || !hb->io->skip)
		return -EINVAL;
	if (c) {
		n = min_t(u64, len, c->used - c->pos);
		c->pos += n;
		len -= n;
		hb->bytes += n;
	}
	if (!len)
		return 0;
	ret = hb->io->skip(hb->io->priv, len);
	if (ret) {
		hbuf_fail(hb, ret);
		return ret;
	}
	hb->bytes += len;
	return 0;
}

/*
 * READ: the bytes read ahead and not consumed yet, which stay in place
 * until hbuf_free(): a reader that skipped them can copy them later
 * instead of reading them from the source a second time.
 */
const void *hbuf_ahead(const struct hbuf *hb, size_t *len)
{
	const struct hbuf_chunk *c = hb->cur;

	*len = c ? c->used - c->pos : 0;
	return c ? c->data + c->pos : NULL;
}

/*
 * READ: forgets the last hbuf_get() without consuming it, so the bytes
 * can be taken by hbuf_read_raw() instead (a reader that peeked at a
 * header and found the end of the part it keeps).
 */
void hbuf_unget(struct hbuf *hb)
{
	if (hb->mode == HBUF_READ) {
		hb->open = false;
		hb->reserved = 0;
	}
}

/* Keeps every chunk, empty, for the next round: no allocation then. */
void hbuf_reset(struct hbuf *hb)
{
	struct hbuf_chunk *c;

	for (c = hb->head; c; c = c->next) {
		c->used = 0;
		c->pos = 0;
	}
	hb->cur = NULL;
	hb->open = false;
	hb->reserved = 0;
	hb->err = 0;
	hb->nr_records = 0;
	hb->bytes = 0;
	hb->io_bytes = 0;
}

size_t hbuf_used(const struct hbuf *hb)
{
	const struct hbuf_chunk *c;
	size_t n = 0;

	if (hb->mode != HBUF_BUFFER)
		return (size_t)hb->bytes;
	for (c = hb->head; c; c = c->next)
		n += c->used;
	return n;
}

/* One sweep over the chain. */
void hbuf_free(struct hbuf *hb)
{
	struct hbuf_chunk *c, *next;

	for (c = hb->head; c; c = next) {
		next = c->next;
		chunk_free(hb, c);
	}
	if (hb->spare)
		chunk_free(hb, hb->spare);
	hb->head = NULL;
	hb->cur = NULL;
	hb->spare = NULL;
	hb->open = false;
}

#define HBUF_HINTS	64

static struct {
	u64 key;
	size_t bytes;
	u64 stamp;
} hints[HBUF_HINTS];
static u64 hint_clock;

size_t hbuf_hint_get(u64 key)
{
	size_t bytes = 0;
	int i;

	if (!key)
		return 0;
	hint_lock();
	for (i = 0; i < HBUF_HINTS; i++) {
		if (hints[i].key == key) {
			bytes = hints[i].bytes;
			hints[i].stamp = ++hint_clock;
			break;
		}
	}
	hint_unlock();
	return bytes;
}

void hbuf_hint_set(u64 key, size_t bytes)
{
	int i, victim = 0;

	if (!key)
		return;
	hint_lock();
	for (i = 0; i < HBUF_HINTS; i++) {
		if (hints[i].key == key) {
			victim = i;
			break;
		}
		if (hints[i].stamp < hints[victim].stamp)
			victim = i;
	}
	hints[victim].key = key;
	hints[victim].bytes = bytes;
	hints[victim].stamp = ++hint_clock;
	hint_unlock();
}

void hbuf_hint_clear(void)
{
	hint_lock();
	memset(hints, 0, sizeof(hints));
	hint_unlock();
}
