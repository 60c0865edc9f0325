// SPDX-License-Identifier: GPL-2.0
/*
 * Incremental dumps: the tracker kept between the images of a series
 * (track.h says how a change is seen).
 *
 * An image N+1 stands for the ranges marked since image N, plus the pages
 * it took (changed or new), plus shared anonymous memory (written whole:
 * the task writes it in place, unseen).  Everything else reads as in N.
 *
 * Any failure, of a capture or of a writeout, makes the next image full:
 * the failed capture has write-protected pages whose changes no image
 * holds, so the walk could no longer tell them from unchanged ones.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "snap.h"
#include "track.h"

static void track_detach(struct ckpt_track *t)
{
	struct ckpt_mmsnap *ms = t->ms;

	if (!ms)
		return;
	if (t->listed) {
		spin_lock(&ms->lock);
		list_del_init(&t->node);
		spin_unlock(&ms->lock);
		t->listed = false;
	}
	t->ms = NULL;
	t->parent_id = 0;
	ckpt_mmsnap_put(ms);
}

void ckpt_track_free(struct ckpt_track *t)
{
	if (!t)
		return;
	track_detach(t);
	hbuf_free(&t->hb);
	kvfree(t->marks);
	kvfree(t->taken);
	kvfree(t->f.present);
	kvfree(t->prev);
	kvfree(t->cover);
	kfree(t);
}

static struct ckpt_track *track_alloc(void)
{
	struct ckpt_track *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return NULL;
	INIT_LIST_HEAD(&t->node);
	t->marks = kvmalloc_array(CKPT_TRACK_MARKS, sizeof(*t->marks),
				  GFP_KERNEL);
	if (!t->marks) {
		kfree(t);
		return NULL;
	}
	return t;
}

int ckpt_track_begin(struct ckpt_track **tp, struct ckpt_ctx *ctx, bool full)
{
	struct ckpt_track *t = *tp;

	if (!t) {
		t = track_alloc();
		if (!t)
			return -ENOMEM;
		*tp = t;
	}
	/* Another process, or this one's mm died (exec): a new series. */
	if (t->ms && (t->ms->mn.mm != ctx->mm || READ_ONCE(t->ms->dead)))
		track_detach(t);
	if (!t->ms) {
		t->ms = ckpt_mmsnap_get_or_make(ctx->mm);
		if (!t->ms)
			return -ENOMEM;
	}
	if (full)
		t->parent_id = 0;
	if (!t->parent_id) {
		t->nr_taken = 0;
		t->taken_all = false;
		t->nr_prev = 0;
	}
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

void ckpt_track_mark(struct ckpt_track *t, unsigned long start,
		     unsigned long end)
{
	struct ckpt_range *last;

	if (t->overflow)
		return;
	last = t->nr_marks ? &t->marks[t->nr_marks - 1] : NULL;
	/* Faults and zaps come in address order: extend the last one. */
	if (last && start <= last->end && end >= last->start) {
		last->start = min_t(u64, last->start, start);
		last->end = max_t(u64, last->end, end);
		return;
	}
	if (t->nr_marks == CKPT_TRACK_MARKS) {
		t->overflow = true;
		return;
	}
	t->marks[t->nr_marks].start = start;
	t->marks[t->nr_marks].end = end;
	t->nr_marks++;
}

void ckpt_track_mark_all(struct ckpt_mmsnap *ms)
{
	struct ckpt_track *t;

	spin_lock(&ms->lock);
	list_for_each_entry(t, &ms->tracks, node)
		t->overflow = true;
	spin_unlock(&ms->lock);
}

static int range_cmp(const void *a, const void *b)
{
	const struct ckpt_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
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

/* Sorts and merges the taken marks, page-aligned, inside user space. */
static void taken_normalise(struct ckpt_track *t)
{
	unsigned long i, n = 0;
	u64 start, end;

	sort(t->taken, t->nr_taken, sizeof(*t->taken), range_cmp, NULL);
	for (i = 0; i < t->nr_taken; i++) {
		start = round_down(t->taken[i].start, PAGE_SIZE);
		end = min_t(u64, t->taken[i].end, TASK_SIZE_MAX);
		end = round_up(end, PAGE_SIZE);
		range_append(t->taken, &n, start, end);
	}
	t->nr_taken = n;
}

int ckpt_track_locked(struct ckpt_ctx *ctx, struct mm_struct *mm)
{
	struct ckpt_track *t = ctx->track;
	struct ckpt_mmsnap *ms = t->ms;
	int ret;

	ret = ckpt_mmsnap_watch(ctx, ms, mm);
	if (!ret)
		ret = ckpt_grow((void **)&t->taken, &t->cap_taken,
				t->nr_taken + CKPT_TRACK_MARKS,
				sizeof(*t->taken));
	if (ret)
		return ret;
	spin_lock(&ms->lock);
	if (!t->listed) {
		/* From here on every change is marked. */
		list_add_tail(&t->node, &ms->tracks);
		t->listed = true;
		t->nr_marks = 0;
		t->overflow = false;
	}
	memcpy(t->taken + t->nr_taken, t->marks,
	       t->nr_marks * sizeof(*t->marks));
	t->nr_taken += t->nr_marks;
	t->taken_all |= t->overflow;
	t->nr_marks = 0;
	t->overflow = false;
	spin_unlock(&ms->lock);
	taken_normalise(t);
	t->f.marks = t->taken;
	t->f.nr_marks = t->nr_taken;
	t->f.prev = t->prev;
	t->f.nr_prev = t->nr_prev;
	t->f.all = !t->parent_id || t->taken_all;
	pgfilter_restart(&t->f);
	return 0;
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
		t->parent_id = 0;
	} else {
		t->parent_id = ctx->image_id;
		swap(t->prev, t->f.present);
		swap(t->cap_prev, t->f.cap_present);
		t->nr_prev = t->f.nr_present;
		t->nr_taken = 0;
		t->taken_all = false;
		hbuf_hint_set((unsigned long)ctx->mm, hbuf_used(&ctx->hb));
	}
	t->f.nr_present = 0;
	t->f.marks = NULL;
	t->f.prev = NULL;
	/* The image is written: its pages go back now, its chunks stay. */
	hbuf_free(&t->hb);
	t->hb = ctx->hb;
	memset(&ctx->hb, 0, sizeof(ctx->hb));
	ctx->ps.filter = NULL;
	pgset_free(&ctx->ps);
	ctx->track = NULL;
}
