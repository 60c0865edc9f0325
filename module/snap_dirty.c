// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty tracking for snapshots: which held pages the task no longer maps.
 *
 * A snapshot's pages are write-protected and shared, so the task can only
 * change one through the kernel: a COW break, an munmap, madvise, mremap,
 * reclaim.  Each of those calls invalidate_range_start() of the MMU
 * notifiers of the mm, ours included, and only for this mm.  We mark the
 * slots of the held pages in the range.  Rollback then visits only marked
 * slots: its cost follows the pages dirtied, not the pages held.
 *
 * Pages that appear where the snapshot held nothing (a first touch of a
 * hole) raise no notifier.  Those ranges are the snapshot's "holes",
 * computed once at capture; rollback walks their page tables, which is
 * cheap where no page table exists.
 *
 * The callback may run where sleeping is not allowed, so the marks go
 * into memory allocated at capture: a bitmap, and a list of set bits
 * while it fits (past that, rollback scans the bitmap).
 */
#include <linux/bitmap.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "snap.h"
#include "track.h"

/* The first run that ends after @addr, or ps->nr_runs. */
static unsigned long run_after(const struct pgset *ps, unsigned long addr)
{
	unsigned long lo = 0, hi = ps->nr_runs, mid;
	const struct pgrun *r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = &ps->runs[mid];
		if (r->vaddr + ((unsigned long)r->n << PAGE_SHIFT) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

unsigned long ckpt_pgset_addr(const struct pgset *ps, unsigned long idx)
{
	unsigned long lo = 0, hi = ps->nr_runs, mid;

	/* The last run whose first slot is <= idx. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (ps->runs[mid].first <= idx)
			lo = mid;
		else
			hi = mid;
	}
	return ps->runs[lo].vaddr + ((idx - ps->runs[lo].first) << PAGE_SHIFT);
}

/* Marks slot @idx; caller holds ms->lock. */
static void mark_slot(struct ckpt_snap *s, unsigned long idx)
{
	if (__test_and_set_bit(idx, s->dirty))
		return;
	if (s->nr_dlist < s->cap_dlist)
		s->dlist[s->nr_dlist++] = idx;
	else
		s->doverflow = true;
}

/* Caller holds ms->lock. */
void ckpt_snap_mark(struct ckpt_snap *s, unsigned long start,
		    unsigned long end)
{
	const struct pgset *ps = &s->ctx->ps;
	unsigned long i, from, to, idx;
	const struct pgrun *r;

	lockdep_assert_held(&s->ms->lock);
	for (i = run_after(ps, start); i < ps->nr_runs; i++) {
		r = &ps->runs[i];
		if (r->vaddr >= end)
			break;
		from = max(start, r->vaddr);
		to = min(end, r->vaddr + ((unsigned long)r->n << PAGE_SHIFT));
		for (; from < to; from += PAGE_SIZE) {
			idx = r->first + ((from - r->vaddr) >> PAGE_SHIFT);
			mark_slot(s, idx);
		}
	}
}

/*
 * Caller holds ms->lock.  Pinned pages were copied, not shared: the task
 * writes them without a fault, so they stay marked, always; so do those a
 * rollback found pinned since (s->pinned).
 */
void ckpt_snap_dirty_clear(struct ckpt_snap *s)
{
	const struct pgset *ps = &s->ctx->ps;
	unsigned long i;

	if (s->doverflow) {
		bitmap_zero(s->dirty, ps->nr);
	} else {
		for (i = 0; i < s->nr_dlist; i++)
			__clear_bit(s->dlist[i], s->dirty);
	}
	s->nr_dlist = 0;
	s->doverflow = false;
	for (i = 0; i < ps->nr_copied; i++)
		mark_slot(s, ps->copied[i]);
	if (s->nr_pinned)
		for_each_set_bit(i, s->pinned, ps->nr)
			mark_slot(s, i);
}

int ckpt_snap_dirty_alloc(struct ckpt_snap *s)
{
	unsigned long nr = s->ctx->ps.nr;

	/* Past 1/16 of the pages dirty, a bitmap scan is cheap anyway. */
	s->cap_dlist = max_t(unsigned long, 256, nr / 16);
	s->dirty = kvcalloc(BITS_TO_LONGS(max(nr, 1UL)), sizeof(long),
			    GFP_KERNEL);
	s->dlist = kvmalloc_array(s->cap_dlist, sizeof(*s->dlist), GFP_KERNEL);
	s->pinned = kvcalloc(BITS_TO_LONGS(max(nr, 1UL)), sizeof(long),
			     GFP_KERNEL);
	if (!s->dirty || !s->dlist || !s->pinned)
		return -ENOMEM;
	ckpt_snap_dirty_clear(s);	/* marks the pinned pages */
	return 0;
}

void ckpt_snap_dirty_free(struct ckpt_snap *s)
{
	kvfree(s->dirty);
	kvfree(s->dlist);
	kvfree(s->pinned);
	kvfree(s->holes);
	s->dirty = NULL;
	s->dlist = NULL;
	s->pinned = NULL;
	s->holes = NULL;
}

static bool vma_private(const struct ckpt_vma_cap *v)
{
	return v->kind == CKPT_VMA_ANON || v->kind == CKPT_VMA_FILE_PRIVATE;
}

/* Appends [start, end) unless empty; room was counted. */
static void add_hole(struct ckpt_snap *s, unsigned long start,
		     unsigned long end)
{
	if (start < end) {
		s->holes[s->nr_holes].start = start;
		s->holes[s->nr_holes].end = end;
		s->nr_holes++;
	}
}

/*
 * The private ranges without a held page.  Runs never cross VMAs, so each
 * private VMA gives at most one hole more than the runs inside it.
 */
int ckpt_snap_holes(struct ckpt_snap *s)
{
	const struct pgset *ps = &s->ctx->ps;
	const struct ckpt_vma_cap *v;
	unsigned long i, ri = 0, pos, rend, cap;
	const struct pgrun *r;

	cap = ps->nr_runs + s->ctx->nr_vmas;
	s->holes = kvmalloc_array(max(cap, 1UL), sizeof(*s->holes), GFP_KERNEL);
	if (!s->holes)
		return -ENOMEM;
	for (i = 0; i < s->ctx->nr_vmas; i++) {
		v = &s->ctx->vmas[i];
		if (!vma_private(v))
			continue;
		pos = v->start;
		while (ri < ps->nr_runs && ps->runs[ri].vaddr < v->end) {
			r = &ps->runs[ri++];
			rend = r->vaddr + ((unsigned long)r->n << PAGE_SHIFT);
			if (rend <= v->start)
				continue;
			add_hole(s, pos, r->vaddr);
			pos = rend;
		}
		add_hole(s, pos, v->end);
	}
	return 0;
}

static int snap_invalidate(struct mmu_notifier *mn,
			   const struct mmu_notifier_range *range)
{
	struct ckpt_mmsnap *ms = container_of(mn, struct ckpt_mmsnap, mn);
	struct ckpt_track *t;
	struct ckpt_snap *s;

	spin_lock(&ms->lock);
	list_for_each_entry(s, &ms->snaps, node)
		ckpt_snap_mark(s, range->start, range->end);
	list_for_each_entry(t, &ms->tracks, node)
		ckpt_track_mark(t, range->start, range->end);
	spin_unlock(&ms->lock);
	return 0;
}

const struct mmu_notifier_ops ckpt_snap_mn_ops = {
	.release		= ckpt_mmsnap_release,
	.invalidate_range_start	= snap_invalidate,
	.free_notifier		= ckpt_mmsnap_free,
};
