/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hbuf: the metadata allocator of a checkpoint.
 *
 * Records are carved out of a chain of large vmalloc'd chunks with
 * hbuf_get()/hbuf_put().  A record never spans two chunks, so a pointer
 * returned by hbuf_get() is valid for the whole record; a record larger
 * than a chunk gets a chunk of its own.
 *
 * Three modes:
 *  HBUF_BUFFER  chunks stay in the chain until hbuf_free(); hbuf_writeout()
 *               writes them in bulk; hbuf_reset() empties them for reuse.
 *  HBUF_STREAM  a full chunk is written to the sink and reused, so memory
 *               stays at most two chunks whatever the stream length.
 *  HBUF_READ    chunks are filled from the source in large reads; a record
 *               is returned in one piece (a tail that straddles the end of
 *               a chunk moves to the next one) and stays valid until
 *               hbuf_free(), so a reader can validate everything first.
 *
 * This file and hbuf.c build both in the kernel and in userspace (with
 * format/shim.h), so the allocator is unit-tested on the host.
 *
 * Locking: an hbuf belongs to one thread at a time; the caller serialises.
 * Only the sizing hint table is shared, under its own lock.
 */
#ifndef CKPT_HBUF_H
#define CKPT_HBUF_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "shim.h"
#endif

struct hbuf_io {
	/* Writes all of len bytes; 0 or -errno. */
	int (*write)(void *priv, const void *buf, size_t len);
	/* Reads up to len bytes; *got is 0 only at end of stream. */
	int (*read)(void *priv, void *buf, size_t len, size_t *got);
	/*
	 * Optional, for a seekable source: moves past len bytes unread; 0 or
	 * -errno.  A source that ends early is found by the next read.
	 */
	int (*skip)(void *priv, u64 len);
	void *priv;
};

enum hbuf_mode {
	HBUF_BUFFER,
	HBUF_STREAM,
	HBUF_READ,
};

struct hbuf_chunk {
	struct hbuf_chunk *next;
	size_t alloc;		/* bytes allocated, this header included */
	size_t cap;		/* bytes of data[] */
	size_t used;		/* writer: bytes filled; reader: bytes read */
	size_t pos;		/* reader: bytes consumed */
	u8 data[];
};

#define HBUF_CHUNK_HDR		sizeof(struct hbuf_chunk)
#define HBUF_CHUNK_MIN		(4096UL)
#define HBUF_CHUNK_MAX		(64UL << 20)

struct hbuf {
	enum hbuf_mode mode;
	size_t chunk_size;	/* allocation size of a standard chunk */
	const struct hbuf_io *io;
	struct hbuf_chunk *head;	/* chain in stream order */
	struct hbuf_chunk *cur;		/* chunk being filled or read */
	struct hbuf_chunk *spare;	/* STREAM: a standard chunk kept */
	size_t limit;		/* most chunk bytes allowed, 0: none */
	size_t reserved;	/* writer: bytes given by the open get */
	bool open;		/* a get is waiting for its put */
	int err;		/* first error, sticky */
	u64 nr_records;		/* records put */
	u64 bytes;		/* record bytes put (or consumed) */
	u64 io_bytes;		/* bytes written to or read from io */
	unsigned int nr_chunks;		/* chunks alive in this hbuf */
	unsigned int max_chunks;	/* most chunks alive at once */
	unsigned int nr_allocs;		/* chunk allocations made */
	size_t alloc_bytes;		/* bytes in live chunks */
	unsigned int fail_alloc;	/* self-test: fail the n-th alloc */
};

void hbuf_init(struct hbuf *hb, enum hbuf_mode mode, size_t chunk_size,
	       const struct hbuf_io *io);
int hbuf_prealloc(struct hbuf *hb, size_t bytes);
void *hbuf_get(struct hbuf *hb, size_t len);
void hbuf_put(struct hbuf *hb, size_t len);
int hbuf_flush(struct hbuf *hb);
int hbuf_writeout(struct hbuf *hb, const struct hbuf_io *io);
int hbuf_read_raw(struct hbuf *hb, void *dst, size_t len);
int hbuf_skip_raw(struct hbuf *hb, u64 len);
const void *hbuf_ahead(const struct hbuf *hb, size_t *len);
void hbuf_unget(struct hbuf *hb);
void hbuf_reset(struct hbuf *hb);
void hbuf_free(struct hbuf *hb);

static inline int hbuf_error(const struct hbuf *hb)
{
	return hb->err;
}

/* Bytes of records in the chain: what the next round should reserve. */
size_t hbuf_used(const struct hbuf *hb);

/*
 * Sizing memory: the record bytes of the last checkpoint of a target,
 * keyed by an opaque non-zero value (the target's mm).  A stale or
 * colliding key only costs a badly sized first chunk.
 */
size_t hbuf_hint_get(u64 key);
void hbuf_hint_set(u64 key, size_t bytes);
void hbuf_hint_clear(void);

/* Global accounting, provided by the module (stats.c) or the unit test. */
void hbuf_account(long chunks, long bytes);

#endif /* CKPT_HBUF_H */
