// SPDX-License-Identifier: GPL-2.0
/*
 * hbuf tests.  The same code runs in the module (CKPT_IOC_SELFTEST, with
 * debug=1) and on the host (tests/unit), so what the host proves in
 * milliseconds is also proven against the real vmalloc.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#endif

#include "hbuf_selftest.h"

#define CHUNK	HBUF_SELFTEST_CHUNK

static bool check(struct selftest_result *r, bool ok, int line,
		  const char *what)
{
	if (ok) {
		r->passed++;
		return true;
	}
	if (!r->failed++)
		snprintf(r->msg, sizeof(r->msg), "hbuf_selftest.c:%d: %s",
			 line, what);
	return false;
}

#define CHECK(r, cond)	check(r, (cond), __LINE__, #cond)

/* A memory stream with fault injection; or a hash-only sink. */
struct memio {
	u8 *buf;
	size_t cap;
	size_t len;		/* bytes written */
	size_t pos;		/* bytes read */
	size_t max_read;	/* largest read answered, to force refills */
	unsigned int writes;
	unsigned int fail_write;	/* fail the n-th write */
	bool hash_only;
	u32 hash;
};

static u32 fnv(u32 h, const u8 *p, size_t len)
{
	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static int mem_write(void *priv, const void *buf, size_t len)
{
	struct memio *m = priv;

	if (m->fail_write && ++m->writes == m->fail_write)
		return -EIO;
	if (m->hash_only) {
		m->hash = fnv(m->hash, buf, len);
		m->len += len;
		return 0;
	}
	if (len > m->cap - m->len)
		return -ENOSPC;
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

static int mem_read(void *priv, void *buf, size_t len, size_t *got)
{
	struct memio *m = priv;
	size_t n = min(len, m->len - m->pos);

	if (m->max_read)
		n = min(n, m->max_read);
	memcpy(buf, m->buf + m->pos, n);
	m->pos += n;
	*got = n;
	return 0;
}

static void memio_init(struct memio *m, struct hbuf_io *io, u8 *buf,
		       size_t cap)
{
	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->cap = cap;
	m->hash = 2166136261u;
	io->write = mem_write;
	io->read = mem_read;
	io->priv = m;
}

static u8 pattern(unsigned int seed, size_t i)
{
	return (u8)(seed * 131 + i * 7 + (i >> 8));
}

static bool put_record(struct hbuf *hb, size_t len, unsigned int seed)
{
	u8 *p = hbuf_get(hb, len);
	size_t i;

	if (!p)
		return false;
	for (i = 0; i < len; i++)
		p[i] = pattern(seed, i);
	hbuf_put(hb, len);
	return !hbuf_error(hb);
}

static bool get_record(struct hbuf *hb, size_t len, unsigned int seed)
{
	u8 *p = hbuf_get(hb, len);
	size_t i;

	if (!p)
		return false;
	for (i = 0; i < len; i++)
		if (p[i] != pattern(seed, i))
			return false;
	hbuf_put(hb, len);
	return !hbuf_error(hb);
}

static const size_t edge_sizes[] = {
	0, 1, 8, CHUNK - HBUF_CHUNK_HDR - 1, CHUNK - HBUF_CHUNK_HDR,
	CHUNK - 1, CHUNK, 3 * CHUNK, 24, CHUNK + 1, 0, 5,
};

static bool no_leak(struct hbuf *hb)
{
	return hb->nr_chunks == 0 && hb->alloc_bytes == 0;
}

/* Records of every edge size, written in @mode, read back in pieces. */
static void test_edges(struct selftest_result *r, u8 *scratch,
		       enum hbuf_mode mode)
{
	struct hbuf_io io;
	struct memio m;
	struct hbuf hb;
	size_t i, total = 0;
	bool ok = true;

	memio_init(&m, &io, scratch, HBUF_SELFTEST_SCRATCH);
	hbuf_init(&hb, mode, CHUNK, &io);
	for (i = 0; i < ARRAY_SIZE(edge_sizes); i++) {
		ok &= put_record(&hb, edge_sizes[i], i);
		total += edge_sizes[i];
	}
	CHECK(r, ok);
	if (mode == HBUF_STREAM) {
		CHECK(r, hbuf_flush(&hb) == 0);
		CHECK(r, hb.max_chunks <= 2);
	} else {
		CHECK(r, hbuf_used(&hb) == total);
		CHECK(r, hbuf_writeout(&hb, &io) == 0);
	}
	CHECK(r, m.len == total);
	hbuf_free(&hb);
	CHECK(r, no_leak(&hb));

	/* Read back through small reads: every record must come out whole. */
	m.max_read = 4093;
	hbuf_init(&hb, HBUF_READ, CHUNK, &io);
	ok = true;
	for (i = 0; i < ARRAY_SIZE(edge_sizes); i++)
		ok &= get_record(&hb, edge_sizes[i], i);
	CHECK(r, ok);
	CHECK(r, hb.bytes == total);
	/* The stream is over: a further record is an error, not garbage. */
	CHECK(r, !hbuf_get(&hb, 1) && hbuf_error(&hb) == -ENODATA);
	hbuf_free(&hb);
	CHECK(r, no_leak(&hb));
}

/* 100 chunks' worth of records through at most two live chunks. */
static void test_stream_bounded(struct selftest_result *r)
{
	u32 want = 2166136261u;
	struct hbuf_io io;
	struct memio m;
	struct hbuf hb;
	size_t total = 0, len, i;
	unsigned int n = 0;
	bool ok = true;
	u8 b;

	memio_init(&m, &io, NULL, 0);
	m.hash_only = true;
	hbuf_init(&hb, HBUF_STREAM, CHUNK, &io);
	while (total < 100 * CHUNK) {
		len = (n * 2654435761u) % 4100;
		if (n % 97 == 0)
			len = 2 * CHUNK;	/* now and then, an oversized one */
		for (i = 0; i < len; i++) {
			b = pattern(n, i);
			want = fnv(want, &b, 1);
		}
		ok &= put_record(&hb, len, n);
		total += len;
		n++;
	}
	CHECK(r, ok);
	CHECK(r, hbuf_flush(&hb) == 0);
	CHECK(r, hb.max_chunks <= 2);
	CHECK(r, m.len == total && m.hash == want);
	CHECK(r, hb.nr_records == n);
	hbuf_free(&hb);
	CHECK(r, no_leak(&hb));
}

/* The second round of the same size allocates exactly once. */
static void test_sizing(struct selftest_result *r, u8 *scratch)
{
	const u64 key = 0xc7c7c7c7ULL;
	struct hbuf_io io;
	struct memio m;
	struct hbuf hb;
	unsigned int i;
	bool ok = true;

	memio_init(&m, &io, scratch, HBUF_SELFTEST_SCRATCH);
	hbuf_init(&hb, HBUF_BUFFER, CHUNK, &io);
	CHECK(r, hbuf_prealloc(&hb, hbuf_hint_get(key)) == 0);
	for (i = 0; i < 200; i++)
		ok &= put_record(&hb, 1000 + i, i);	/* ~3.5 chunks */
	CHECK(r, ok);
	CHECK(r, hb.nr_allocs >= 4);
	hbuf_hint_set(key, hbuf_used(&hb));
	hbuf_free(&hb);

	hbuf_init(&hb, HBUF_BUFFER, CHUNK, &io);
	CHECK(r, hbuf_hint_get(key) >= 200 * 1000);
	CHECK(r, hbuf_prealloc(&hb, hbuf_hint_get(key)) == 0);
	ok = true;
	for (i = 0; i < 200; i++)
		ok &= put_record(&hb, 1000 + i, i);
	CHECK(r, ok);
	CHECK(r, hb.nr_allocs == 1);

	/* Reset keeps the chain: a third round allocates nothing. */
	hbuf_reset(&hb);
	ok = true;
	for (i = 0; i < 200; i++)
		ok &= put_record(&hb, 1000 + i, i);
	CHECK(r, ok);
	CHECK(r, hb.nr_allocs == 1);
	CHECK(r, hbuf_writeout(&hb, &io) == 0);
	hbuf_free(&hb);
	CHECK(r, no_leak(&hb));

	hbuf_init(&hb, HBUF_READ, CHUNK, &io);
	ok = true;
	for (i = 0; i < 200; i++)
		ok &= get_record(&hb, 1000 + i, i);
	CHECK(r, ok);
	hbuf_free(&hb);
	hbuf_hint_set(key, 0);
}

/* Records, then raw data: read-ahead hands back the same bytes. */
static void test_read_raw(struct selftest_result *r, u8 *scratch)
{
	const size_t raw = 3 * CHUNK + 5;
	struct hbuf_io io;
	struct memio m;
	struct hbuf hb;
	size_t i, half = HBUF_SELFTEST_SCRATCH / 2;
	u8 *dst = scratch + half;
	bool ok = true;

	memio_init(&m, &io, scratch, half);
	hbuf_init(&hb, HBUF_STREAM, CHUNK, &io);
	for (i = 0; i < 10; i++)
		ok &= put_record(&hb, 40 * i, i);
	ok &= put_record(&hb, raw, 99);
	CHECK(r, ok && hbuf_flush(&hb) == 0);
	hbuf_free(&hb);

	m.max_read = 0;
	hbuf_init(&hb, HBUF_READ, CHUNK, &io);
	for (i = 0; i < 10; i++)
		ok &= get_record(&hb, 40 * i, i);
	CHECK(r, ok);
	/* The first read pulled a whole chunk: raw data starts inside it. */
	CHECK(r, hb.io_bytes > hb.bytes);
	CHECK(r, hbuf_read_raw(&hb, dst, raw) == 0);
	for (i = 0; i < raw; i++)
		ok &= dst[i] == pattern(99, i);
	CHECK(r, ok);
	CHECK(r, hbuf_read_raw(&hb, dst, 1) == -ENODATA);
	hbuf_free(&hb);
	CHECK(r, no_leak(&hb));
}

/* Misuse and hostile sizes answer with an error, never with memory. */
static void test_errors(struct selftest_result *r, u8 *scratch)
{
	struct hbuf_io io;
	struct memio m;
	struct hbuf hb;

	memio_init(&m, &io, scratch, HBUF_SELFTEST_SCRATCH);
	hbuf_init(&hb, HBUF_BUFFER, CHUNK, &io);
	hbuf_put(&hb, 8);
	CHECK(r, hbuf_error(&hb) == -EINVAL);
	hbuf_free(&hb);

	hbuf_init(&hb, HBUF_BUFFER, CHUNK, &io);
	CHECK(r, hbuf_get(&hb, 8) && !hbuf_get(&hb, 8));
	CHECK(r, hbuf_error(&hb) == -EINVAL);
	hbuf_free(&hb);

	hbuf_init(&hb, HBUF_BUFFER, CHUNK, &io);
	CHECK(r, hbuf_get(&hb, 8));
	hbuf_put(&hb, 9);
	CHECK(r, hbuf_error(&hb) == -EINVAL);
	hbuf_free(&hb);

	hbuf_init(&hb, HBUF_BUFFER, CHUNK, &io);
	CHECK(r, !hbuf_get(&hb, SIZE_MAX - 8) && hbuf_error(&hb) == -EFBIG);
	hbuf_free(&hb);

	/* A reader with a limit refuses a record that would pass it. */
	m.len = HBUF_SELFTEST_SCRATCH;
	hbuf_init(&hb, HBUF_READ, CHUNK, &io);
	hb.limit = 4 * CHUNK;
	CHECK(r, hbuf_get(&hb, 2 * CHUNK));
	hbuf_put(&hb, 2 * CHUNK);
	CHECK(r, !hbuf_get(&hb, 3 * CHUNK) && hbuf_error(&hb) == -EFBIG);
	hbuf_free(&hb);
	CHECK(r, no_leak(&hb));
}

/* One full round trip; true if it completed. */
static bool round_trip(struct hbuf *hb, struct hbuf_io *io,
		       struct memio *m, enum hbuf_mode mode,
		       unsigned int fail_alloc, unsigned int fail_write)
{
	bool ok = true;
	size_t i;

	m->len = 0;
	m->pos = 0;
	m->writes = 0;
	m->fail_write = fail_write;
	hbuf_init(hb, mode, CHUNK, io);
	hb->fail_alloc = fail_alloc;
	for (i = 0; ok && i < ARRAY_SIZE(edge_sizes); i++)
		ok = put_record(hb, edge_sizes[i], i);
	if (ok)
		ok = !(mode == HBUF_STREAM ? hbuf_flush(hb) :
					     hbuf_writeout(hb, io));
	if (!ok)
		return false;
	hbuf_free(hb);
	m->fail_write = 0;
	hbuf_init(hb, HBUF_READ, CHUNK, io);
	hb->fail_alloc = fail_alloc;
	for (i = 0; ok && i < ARRAY_SIZE(edge_sizes); i++)
		ok = get_record(hb, edge_sizes[i], i);
	return ok;
}

/* Fail every allocation and every write in turn: clean error, no leak. */
static void test_faults(struct selftest_result *r, u8 *scratch)
{
	static const enum hbuf_mode modes[] = { HBUF_BUFFER, HBUF_STREAM };
	unsigned int k, mi, injected;
	struct hbuf_io io;
	struct memio m;
	struct hbuf hb;
	bool ok, clean;

	memio_init(&m, &io, scratch, HBUF_SELFTEST_SCRATCH);
	for (mi = 0; mi < ARRAY_SIZE(modes); mi++) {
		clean = true;
		injected = 0;
		for (k = 1; k < 64; k++) {
			ok = round_trip(&hb, &io, &m, modes[mi], k, 0);
			if (!ok) {
				injected++;
				clean &= hbuf_error(&hb) == -ENOMEM;
			}
			hbuf_free(&hb);
			clean &= no_leak(&hb);
			if (ok)
				break;
		}
		CHECK(r, clean && ok && injected >= 3);

		clean = true;
		injected = 0;
		for (k = 1; k < 64; k++) {
			ok = round_trip(&hb, &io, &m, modes[mi], 0, k);
			if (!ok) {
				injected++;
				clean &= hbuf_error(&hb) == -EIO;
			}
			hbuf_free(&hb);
			clean &= no_leak(&hb);
			if (ok)
				break;
		}
		CHECK(r, clean && ok && injected >= 1);
	}
}

void hbuf_selftest(struct selftest_result *r, u8 *scratch)
{
	memset(r, 0, sizeof(*r));
	test_edges(r, scratch, HBUF_BUFFER);
	test_edges(r, scratch, HBUF_STREAM);
	test_stream_bounded(r);
	test_sizing(r, scratch);
	test_read_raw(r, scratch);
	test_errors(r, scratch);
	test_faults(r, scratch);
}
