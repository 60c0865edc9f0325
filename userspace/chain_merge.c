// SPDX-License-Identifier: GPL-2.0
/*
 * chain: merges the chain of an incremental image, as chain_find.c found
 * and validated it, into one full image.  See chain.h.
 *
 * The merge is a sweep over sorted interval lists, so its cost grows with
 * the runs, ranges and VMAs, never with the size of the address space:
 *  - every CHANGED range of every incremental image gives two events
 *    (image j starts / stops standing for those addresses); between two
 *    event addresses the owner is the newest image standing for them (the
 *    smallest active index, from a heap), else the full image at the end;
 *  - each owner segment is cut by the newest image's VMAs that hold pages
 *    and filled from the owner's runs (a cursor per image: the segments
 *    come in address order); where the owner has no page, there is none;
 *  - the pieces, in address order, become PAGES runs (contiguous pieces
 *    in one VMA make one run), their data copied with pread() through a
 *    1 MiB buffer, so no more than that is held at once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain_int.h"
#include "crc32c.h"
#include "tool.h"

#define BUF_SIZE	(1U << 20)

/* The merge plan: pieces of runs, in address order. */

struct event {
	u64 addr;
	u32 img;
	u32 start;		/* 1: its range starts, 0: it ends */
};

struct piece {
	u64 addr, npages;
	u64 off;		/* in the image file */
	u32 img;
	u32 vma;		/* runs do not cross the newest's VMAs */
};

struct plan {
	struct piece *pieces;
	size_t nr;
	size_t vma;		/* first VMA the next segment may touch */
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* an end before a start: adjacent ranges of one image */
	return (int)x->start - (int)y->start;
}

static u64 run_end(const struct chain *ch, const struct run *r)
{
	return r->vaddr + (r->npages << ch->page_shift);
}

/* Image @o's pages in [@a, @b), inside VMA @v. */
static int fill_vma(struct chain *ch, struct plan *pl, u32 o, u64 a, u64 b,
		    u32 v)
{
	struct img *im = &ch->imgs[o];
	const struct run *r;
	struct piece *pc;
	size_t k;
	u64 s, e;

	while (im->cursor < im->nr_runs &&
	       run_end(ch, &im->runs[im->cursor]) <= a)
		im->cursor++;
	for (k = im->cursor; k < im->nr_runs && im->runs[k].vaddr < b; k++) {
		r = &im->runs[k];
		s = r->vaddr > a ? r->vaddr : a;
		e = run_end(ch, r) < b ? run_end(ch, r) : b;
		pc = grow(pl->pieces, pl->nr, sizeof(*pc));
		if (!pc)
			return -1;
		pl->pieces = pc;
		pc += pl->nr++;
		pc->addr = s;
		pc->npages = (e - s) >> ch->page_shift;
		pc->off = r->off + (s - r->vaddr);
		pc->img = o;
		pc->vma = v;
	}
	return 0;
}

/* Segment [@s, @e) belongs to image @o: its pages inside the VMAs. */
static int fill(struct chain *ch, struct plan *pl, u32 o, u64 s, u64 e)
{
	const struct ckpt_range *v;
	size_t i;

	while (pl->vma < ch->nr_vmas && ch->vmas[pl->vma].end <= s)
		pl->vma++;
	for (i = pl->vma; i < ch->nr_vmas && ch->vmas[i].start < e; i++) {
		v = &ch->vmas[i];
		if (fill_vma(ch, pl, o, v->start > s ? v->start : s,
			     v->end < e ? v->end : e, (u32)i))
			return -1;
	}
	return 0;
}

/* A min-heap of image indices; entries of inactive images are dropped lazily. */
static void heap_push(u32 *h, size_t *n, u32 v)
{
	size_t i = (*n)++, p;

	while (i && h[p = (i - 1) / 2] > v) {
		h[i] = h[p];
		i = p;
	}
	h[i] = v;
}

static void heap_pop(u32 *h, size_t *n)
{
	size_t i = 0, c;
	u32 v = h[--*n];

	for (; (c = 2 * i + 1) < *n; i = c) {
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (v <= h[c])
			break;
		h[i] = h[c];
	}
	h[i] = v;
}

static int plan(struct chain *ch, struct plan *pl)
{
	size_t full = ch->n - 1, nev = 0, e = 0, hn = 0, i, k;
	struct event *ev;
	bool *active;
	u32 *heap, owner;
	u64 pos = 0, next;
	int ret = -1;

	for (i = 0; i < full; i++)
		nev += 2 * ch->imgs[i].nr_ranges;
	ev = malloc((nev + 1) * sizeof(*ev));
	heap = malloc((nev / 2 + 1) * sizeof(*heap));
	active = calloc(ch->n, sizeof(*active));
	if (!ev || !heap || !active)
		goto out;
	for (i = 0, k = 0; i < full; i++) {
		const struct img *im = &ch->imgs[i];
		size_t j;

		for (j = 0; j < im->nr_ranges; j++) {
			ev[k++] = (struct event){ im->ranges[j].start, (u32)i, 1 };
			ev[k++] = (struct event){ im->ranges[j].end, (u32)i, 0 };
		}
	}
	qsort(ev, nev, sizeof(*ev), cmp_event);
	for (;;) {
		next = e < nev ? ev[e].addr : UINT64_MAX;
		if (next > pos) {
			while (hn && !active[heap[0]])
				heap_pop(heap, &hn);
			owner = hn ? heap[0] : (u32)full;
			if (fill(ch, pl, owner, pos, next))
				goto out;
			pos = next;
		}
		if (e == nev)
			break;
		for (; e < nev && ev[e].addr == next; e++) {
			active[ev[e].img] = ev[e].start;
			if (ev[e].start)
				heap_push(heap, &hn, ev[e].img);
		}
	}
	ret = 0;
out:
	free(ev);
	free(heap);
	free(active);
	return ret;
}

/* Writing the merged image. */

struct out {
	const struct chain *ch;
	int fd;
	u8 *buf;
	size_t used;
	u32 crc;		/* of the bytes flushed */
	u32 rec_crc;		/* of the records among them */
	bool copying_records;	/* out_copy(): records, not page data */
	u64 bytes;
};

static int write_all(const struct out *o, const void *p, size_t len)
{
	const struct chain *ch = o->ch;
	const u8 *b = p;
	ssize_t n;

	while (len) {
		n = write(o->fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			chain_say(ch, "cannot write the merged image: %s",
			    n < 0 ? strerror(errno) : "nothing written");
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int out_flush(struct out *o)
{
	o->crc = ckpt_crc32c(o->crc, o->buf, o->used);
	o->bytes += o->used;
	if (write_all(o, o->buf, o->used))
		return -1;
	o->used = 0;
	return 0;
}

/* A small record (well below BUF_SIZE). */
static int out_put(struct out *o, const void *p, size_t len)
{
	if (o->used + len > BUF_SIZE && out_flush(o))
		return -1;
	o->rec_crc = ckpt_crc32c(o->rec_crc, p, len);
	memcpy(o->buf + o->used, p, len);
	o->used += len;
	return 0;
}

/* @len bytes of image @i from offset @off, read straight into the buffer. */
static int out_copy(struct out *o, struct chain *ch, size_t i, u64 off,
		    u64 len)
{
	int fd = chain_img_fd(ch, i);
	ssize_t got;
	size_t n;

	if (fd < 0)
		return -1;
	while (len) {
		if (o->used == BUF_SIZE && out_flush(o))
			return -1;
		n = BUF_SIZE - o->used;
		if (n > len)
			n = (size_t)len;
		got = pread(fd, o->buf + o->used, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got > 0 && o->copying_records)
			o->rec_crc = ckpt_crc32c(o->rec_crc, o->buf + o->used,
						 (size_t)got);
		if (got <= 0) {
			chain_say(ch, "%s: reading at offset %llu: %s", ch->imgs[i].path,
			    (unsigned long long)off,
			    got ? strerror(errno) : "the file is shorter than when it was checked");
			return -1;
		}
		o->used += (size_t)got;
		off += (u64)got;
		len -= (u64)got;
	}
	return 0;
}

static int write_image(struct chain *ch, const struct plan *pl, int out_fd)
{
	const struct piece *pc = pl->pieces;
	struct ckpt_rec_header hdr = ch->hdr;
	struct ckpt_rec_trailer t;
	struct ckpt_rec_pages pr;
	struct out o = { .ch = ch, .fd = out_fd };
	size_t i, j, k;
	u64 runs = 0;
	int ret = -1;

	o.buf = malloc(BUF_SIZE);
	if (!o.buf) {
		chain_no_memory(ch, ch->imgs[0].path);
		return -1;
	}
	hdr.flags = CKPT_IMG_REC_CRC;
	hdr.parent_id = 0;
	o.copying_records = true;
	if (out_put(&o, &hdr, sizeof(hdr)) ||
	    out_copy(&o, ch, 0, sizeof(hdr), ch->meta_end - sizeof(hdr)))
		goto out;
	o.copying_records = false;
	for (i = 0; i < pl->nr; i = j) {
		memset(&pr, 0, sizeof(pr));
		pr.h.type = CKPT_REC_PAGES;
		pr.h.len = sizeof(pr);
		pr.vaddr = pc[i].addr;
		pr.npages = pc[i].npages;
		for (j = i + 1; j < pl->nr && pc[j].vma == pc[i].vma &&
		     pc[j].addr == pr.vaddr + (pr.npages << ch->page_shift); j++)
			pr.npages += pc[j].npages;
		if (out_put(&o, &pr, sizeof(pr)))
			goto out;
		for (k = i; k < j; k++)
			if (out_copy(&o, ch, pc[k].img, pc[k].off,
				     pc[k].npages << ch->page_shift))
				goto out;
		runs++;
	}
	if (out_flush(&o))
		goto out;
	memset(&t, 0, sizeof(t));
	t.h.type = CKPT_REC_TRAILER;
	t.h.len = sizeof(t);
	t.nr_records = ch->meta_records + runs;
	t.nr_bytes = o.bytes;
	t.crc32c = o.crc;
	t.rec_crc32c = o.rec_crc;
	ret = write_all(&o, &t, sizeof(t));
out:
	free(o.buf);
	return ret;
}

int chain_merge_as(const char *who, const char *img_path, int out_fd)
{
	struct plan pl = { 0 };
	struct chain ch;
	int ret;

	memset(&ch, 0, sizeof(ch));
	ch.who = who;
	ret = chain_build(&ch, img_path);
	if (!ret) {
		ret = plan(&ch, &pl);
		if (ret)
			chain_no_memory(&ch, img_path);
	}
	if (!ret)
		ret = write_image(&ch, &pl, out_fd);
	free(pl.pieces);
	chain_free(&ch);
	return ret;
}

int chain_merge(const char *img_path, int out_fd)
{
	return chain_merge_as(NULL, img_path, out_fd);
}
