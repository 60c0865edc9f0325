// SPDX-License-Identifier: GPL-2.0
/*
 * Incremental dumps: the tracker kept between the images of a series
 * (track.h says how a change is seen).
 *
 * An image N+1 stands for the pages of N marked since, plus the pages it
 * took (changed or new), plus shared anonymous memory (written whole: the
 * task writes it in place, unseen).  Everything else reads as in N: a
 * page absent at N+1 was absent at N too, or it was marked when it went.
 *
 * The walk runs under the mm's write lock, so only reclaim, migration and
 * the like change pages meanwhile.  The marks it goes by are frozen at
 * its start; a mark on prev that comes before its end makes it walk again,
 * so what it saw, what it took and what the image stands for agree.
 *
 * Any failure, of a capture or of a writeout, makes the next image full:
 * the failed capture has write-protected pages whose changes no image
 * holds, so the walk could no longer tell them from unchanged ones.
 */
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "track.h"
#include "watch.h"

static void track_detach(struct ckpt_track *t)
{
	struct ckpt_watch *w = t->w;

	if (!w)
		return;
	ckpt_watch_unsubscribe(w, &t->changed);
	t->w = NULL;
	t->parent_id = 0;
	ckpt_watch_put(w);
}

void ckpt_track_free(struct ckpt_track *t)
{
	if (!t)
		return;
	track_detach(t);
	hbuf_free(&t->hb);
	kvfree(t->prev);
	kvfree(t->prev_first);
	ckpt_dirty_free(&t->changed);
	kvfree(t->frozen);
	kvfree(t->taken);
	kvfree(t->f.present);
	kvfree(t->cover);
	kfree(t);
}

int ckpt_track_begin(struct ckpt_track **tp, struct ckpt_ctx *ctx, bool full)
{
	struct ckpt_track *t = *tp;

	if (!t) {
		t = kzalloc(sizeof(*t), GFP_KERNEL);
		if (!t)
			return -ENOMEM;
		ckpt_dirty_init(&t->changed, true);
		*tp = t;
	}
	/* Another process, or this one's mm died (exec): a new series. */
	if (t->w && (t->w->mn.mm != ctx->mm || ckpt_watch_dead(t->w)))
		track_detach(t);
	if (!t->w) {
		t->w = ckpt_watch_get_or_make(ctx->mm);
		if (!t->w)
			return -ENOMEM;
	}
	if (full)
		t->parent_id = 0;
	ctx->track = t;
	ctx->ps.filter = &t->f;
	if (t->hb.head) {
		/* The chunks of the last image: steady state allocates none. */
		ctx->hb = t->hb;
		memset(&t->hb, 0, sizeof(t->hb));
		hbuf_reset(&ctx->hb);
		ctx->hb.nr_allocs = 0;
		return 0;
	}
	hbuf_init(&ctx->hb, HBUF_BUFFER, ckpt_chunk_size, NULL);
	return hbuf_prealloc(&ctx->hb, hbuf_hint_get((unsigned long)ctx->mm));
}

void ckpt_track_mark_all(struct ckpt_watch *w)
{
	ckpt_watch_mark_unseen(w, NULL);
}

void ckpt_track_foreign(struct mm_struct *mm, struct ckpt_track *self)
{
	struct ckpt_watch *w = ckpt_watch_find(mm);

	if (!w)
		return;
	ckpt_watch_mark_unseen(w, self ? &self->changed : NULL);
	ckpt_watch_put(w);
}

/* Before the walk: freezes the marks (again, with the new ones, on a retry). */
static int walk_start(struct ckpt_ctx *ctx, struct mm_struct *mm)
{
	struct ckpt_track *t = ctx->track;
	struct ckpt_watch *w = t->w;
	int ret;

	mmap_assert_write_locked(mm);
	ret = ckpt_watch_register(ctx, w, mm);
	if (ret)
		return ret;
	spin_lock(&w->lock);
	/* From here on every change is marked. */
	if (list_empty(&t->changed.node))
		ckpt_watch_subscribe(w, &t->changed);
	/* On a retry the new marks join those of the last try. */
	ckpt_dirty_take(&t->changed, &t->frozen, t->walking);
	t->walking = true;
	t->changed.hit = false;
	spin_unlock(&w->lock);
	t->f.prev = t->prev;
	t->f.prev_first = t->prev_first;
	t->f.nr_prev = t->nr_prev;
	t->f.marked = t->frozen;
	t->f.all = !t->parent_id;
	pgfilter_restart(&t->f);
	return 0;
}

/* Appends [start, end) to sorted @r, merged with the last if they touch. */
static void range_append(struct ckpt_range *r, unsigned long *nr, u64 start,
			 u64 end)
{
	struct ckpt_range *last = *nr ? &r[*nr - 1] : NULL;

	if (start >= end)
		return;
	if (last && start <= last->end) {
		last->end = max(last->end, end);
		return;
	}
	r[*nr].start = start;
	r[*nr].end = end;
	(*nr)++;
}

/* The frozen marks of prev as address ranges (sorted: prev is). */
static int freeze_taken(struct ckpt_track *t)
{
	unsigned long i, b, e, end;
	const struct ckpt_range *r;
	int ret;

	t->nr_taken = 0;
	if (t->f.all)
		return 0;
	for (i = 0; i < t->nr_prev; i++) {
		r = &t->prev[i];
		end = t->prev_first[i] + ((r->end - r->start) >> PAGE_SHIFT);
		for (b = find_next_bit(t->frozen, end, t->prev_first[i]);
		     b < end; b = find_next_bit(t->frozen, end, e)) {
			e = find_next_zero_bit(t->frozen, end, b);
			ret = ckpt_grow((void **)&t->taken, &t->cap_taken,
					t->nr_taken + 1, sizeof(*t->taken));
			if (ret)
				return ret;
			range_append(t->taken, &t->nr_taken,
				     r->start + ((b - t->prev_first[i]) << PAGE_SHIFT),
				     r->start + ((e - t->prev_first[i]) << PAGE_SHIFT));
		}
	}
	return 0;
}

/* After the walk: what it found present becomes prev, with no marks. */
static int walk_end(struct ckpt_ctx *ctx)
{
	struct ckpt_track *t = ctx->track;
	struct ckpt_watch *w = t->w;
	unsigned long *first, *live, *frozen, i, n = 0;
	int ret;

	ret = freeze_taken(t);
	if (ret)
		return ret;
	first = kvmalloc_array(max(t->f.nr_present, 1UL), sizeof(*first),
			       GFP_KERNEL);
	for (i = 0; first && i < t->f.nr_present; i++) {
		first[i] = n;
		n += (t->f.present[i].end - t->f.present[i].start) >> PAGE_SHIFT;
	}
	live = kvcalloc(BITS_TO_LONGS(max(n, 1UL)), sizeof(long), GFP_KERNEL);
	frozen = kvcalloc(BITS_TO_LONGS(max(n, 1UL)), sizeof(long), GFP_KERNEL);
	if (!first || !live || !frozen) {
		ret = -ENOMEM;
		goto out;
	}
	spin_lock(&w->lock);
	if (t->changed.hit && !t->f.all) {
		spin_unlock(&w->lock);
		ret = -EAGAIN;
		goto out;
	}
	swap(t->prev, t->f.present);
	swap(t->cap_prev, t->f.cap_present);
	t->nr_prev = t->f.nr_present;
	swap(t->prev_first, first);
	ckpt_dirty_rebase(&t->changed, t->prev, t->prev_first, t->nr_prev,
			  &live, n);
	swap(t->frozen, frozen);
	t->walking = false;
	spin_unlock(&w->lock);
	t->f.nr_present = 0;
out:
	kvfree(first);
	kvfree(live);
	kvfree(frozen);
	return ret;
}

int ckpt_track_locked(struct ckpt_ctx *ctx, struct mm_struct *mm, bool end)
{
	return end ? walk_end(ctx) : walk_start(ctx, mm);
}

/* The union of the taken marks, the page runs and shared memory. */
static int make_cover(struct ckpt_ctx *ctx, struct ckpt_track *t)
{
	const struct pgset *ps = &ctx->ps;
	unsigned long ti = 0, ri = 0, vi = 0, need;
	u64 s, e, best;
	int ret;

	need = t->nr_taken + ps->nr_runs + ctx->nr_vmas;
	ret = ckpt_grow((void **)&t->cover, &t->cap_cover, max(need, 1UL),
			sizeof(*t->cover));
	if (ret)
		return ret;
	t->nr_cover = 0;
	for (;;) {
		while (vi < ctx->nr_vmas &&
		       ctx->vmas[vi].kind != CKPT_VMA_ANON_SHARED)
			vi++;
		best = U64_MAX;
		if (ti < t->nr_taken)
			best = t->taken[ti].start;
		if (ri < ps->nr_runs)
			best = min_t(u64, best, ps->runs[ri].vaddr);
		if (vi < ctx->nr_vmas)
			best = min_t(u64, best, ctx->vmas[vi].start);
		if (best == U64_MAX)
			break;
		if (ti < t->nr_taken && t->taken[ti].start == best) {
			s = t->taken[ti].start;
			e = t->taken[ti++].end;
		} else if (ri < ps->nr_runs && ps->runs[ri].vaddr == best) {
			s = ps->runs[ri].vaddr;
			e = s + ((u64)ps->runs[ri++].n << PAGE_SHIFT);
		} else {
			s = ctx->vmas[vi].start;
			e = ctx->vmas[vi++].end;
		}
		range_append(t->cover, &t->nr_cover, s, e);
	}
	return 0;
}

static int emit_cover(struct ckpt_ctx *ctx, struct ckpt_track *t)
{
	struct ckpt_rec_changed *r;
	unsigned long i, n;
	int ret;

	for (i = 0; i < t->nr_cover; i += n) {
		n = min_t(unsigned long, t->nr_cover - i,
			  CKPT_CHANGED_MAX_PER_REC);
		r = ckpt_rec_get(ctx, CKPT_REC_CHANGED,
				 sizeof(*r) + n * sizeof(r->range[0]));
		if (!r)
			return hbuf_error(&ctx->hb);
		r->nr = n;
		memcpy(r->range, t->cover + i, n * sizeof(r->range[0]));
		ret = ckpt_rec_put(ctx, r);
		if (ret)
			return ret;
	}
	return 0;
}

int ckpt_track_emit(struct ckpt_ctx *ctx)
{
	struct ckpt_track *t = ctx->track;
	int ret;

	t->nr_cover = 0;
	if (t->f.all)
		return 0;
	ret = make_cover(ctx, t);
	if (!ret)
		ret = emit_cover(ctx, t);
	if (ret)
		return ret;
	/* Buffered: the header is still in its chunk, not written yet. */
	ctx->hdr->flags |= CKPT_IMG_INCREMENTAL;
	ctx->hdr->parent_id = t->parent_id;
	return 0;
}

void ckpt_track_end(struct ckpt_ctx *ctx, int err)
{
	struct ckpt_track *t = ctx->track;

	if (!t)
		return;
	if (err) {
		/* Pages were write-protected for nothing: the next is full. */
		t->parent_id = 0;
		t->walking = false;
	} else {
		t->parent_id = ctx->image_id;
		hbuf_hint_set((unsigned long)ctx->mm, hbuf_used(&ctx->hb));
	}
	t->f.nr_present = 0;
	/* The image is written: its pages go back now, its chunks stay. */
	hbuf_free(&t->hb);
	t->hb = ctx->hb;
	memset(&ctx->hb, 0, sizeof(ctx->hb));
	ctx->ps.filter = NULL;
	pgset_free(&ctx->ps);
	ctx->track = NULL;
}
