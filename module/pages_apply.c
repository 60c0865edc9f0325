// SPDX-License-Identifier: GPL-2.0
/*
 * Page contents put back into current's mm, after mm.c has made the
 * mappings: the apply side of pages.c.
 *
 * REBUILD (restore) is pages_fill.c's: each page run's data read once,
 * straight into place, and the image's CRC checked there.
 *
 * REWIND (rollback): only the held pages marked dirty are looked at, under
 * the mmap write lock.  If the PTE still maps our page, nothing changed.
 * If it maps a page exclusive to the task, our contents are copied into it
 * and that page becomes the held one (exclusive bit cleared, referenced,
 * write-protected: fork's protocol), so the next write to it breaks COW
 * again and is seen again.  Anything else (none, swapped out, shared, a
 * huge PMD) is faulted writable first, then done the same.  Anonymous
 * pages that appeared where the snapshot held none (its holes) are zapped,
 * so a read gives zeros or the file's contents again.  Nothing is
 * allocated in steady state: the dirty list, the bitmap and the holes were
 * made at capture, and slots are replaced in place.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>

#include "compat.h"
#include "ptwalk.h"
#include "readin.h"
#include "snap.h"
#include "track.h"
#include "watch.h"

/* Tries per page of fault-then-copy before giving up. */
#define PAGE_TRIES	8

struct rewind {
	struct ckpt_snap *s;
	struct mm_struct *mm;
	struct ckpt_rb_stats *st;
	bool pinned_mm;
	unsigned long nr_wp;		/* PTEs write-protected */
	unsigned long idx;		/* try_page: the slot */
	struct vm_area_struct *vma;	/* zap_new: the VMA walked */
};

/* What try_page() found; PAGE_FAULT is also "no page table there". */
enum { PAGE_FAULT, PAGE_DONE, PAGE_SPLIT, PAGE_PINNED };

/* Rolls back slot rw->idx at @addr if the page there allows it. */
static int try_page(struct ckpt_ptwalk *w, pmd_t *pmd, unsigned long addr,
		    unsigned long end)
{
	struct rewind *rw = w->priv;
	struct page **slot = &rw->s->ctx->ps.pages[rw->idx];
	struct page *want = *slot, *page;
	struct folio *folio;
	spinlock_t *ptl;	/* of the page table or PMD */
	pmd_t pmdval;
	pte_t *ptep, pte;
	bool same;

	pmdval = READ_ONCE(*pmd);
	if (pmd_none(pmdval) || !pmd_present(pmdval))
		return PAGE_FAULT;
	if (pmd_trans_huge(pmdval)) {
		ptl = pmd_lock(rw->mm, pmd);
		same = pmd_trans_huge(*pmd) &&
		       nth_page(pmd_page(*pmd),
				(addr & ~PMD_MASK) >> PAGE_SHIFT) == want;
		spin_unlock(ptl);
		return same ? PAGE_DONE : PAGE_SPLIT;
	}
	if (pmd_bad(pmdval))
		return PAGE_FAULT;
	ptep = ckpt_pte_lock(rw->mm, pmd, pmdval, addr, &ptl);
	if (!ptep) {
		spin_unlock(ptl);
		return PAGE_FAULT;
	}
	pte = ptep_get(ptep);
	if (!pte_present(pte) || pte_special(pte)) {
		spin_unlock(ptl);
		return PAGE_FAULT;
	}
	page = pte_page(pte);
	if (page == want) {
		spin_unlock(ptl);
		return PAGE_DONE;
	}
	folio = page_folio(page);
	if (!folio_test_anon(folio) || folio_test_ksm(folio) ||
	    !PageAnonExclusive(page)) {
		spin_unlock(ptl);
		return PAGE_FAULT;
	}
	/* The task's own page: nobody else can see it, so write into it. */
	copy_highpage(page, want);
	rw->st->pages_copied++;
	if (rw->pinned_mm && folio_maybe_dma_pinned(folio)) {
		/* A device may write it: it stays exclusive, and marked. */
		spin_unlock(ptl);
		return PAGE_PINNED;
	}
	ClearPageAnonExclusive(page);
	folio_get(folio);
	if (pte_write(pte)) {
		ptep_set_wrprotect(rw->mm, addr, ptep);
		rw->nr_wp++;
	}
	*slot = page;
	spin_unlock(ptl);
	put_page(want);
	return PAGE_DONE;
}

static int rewind_page(struct rewind *rw, unsigned long idx)
{
	unsigned long addr = ckpt_pgset_addr(&rw->s->ctx->ps, idx);
	struct ckpt_ptwalk w = { .mm = rw->mm, .pmd = try_page, .priv = rw };
	struct vm_area_struct *vma;
	struct page *page;
	unsigned int tries;
	long got;
	int ret;

	if (!rw->s->ctx->ps.pages[idx])
		return 0;
	rw->idx = idx;
	for (tries = 0; tries < PAGE_TRIES; tries++) {
		ret = ckpt_pt_walk(&w, addr, addr + PAGE_SIZE);
		if (ret == PAGE_PINNED) {
			if (!__test_and_set_bit(idx, rw->s->pinned))
				rw->s->nr_pinned++;
			return 0;
		}
		if (ret == PAGE_DONE) {
			/* Its page is ours again, or shared: no longer pinned. */
			if (__test_and_clear_bit(idx, rw->s->pinned))
				rw->s->nr_pinned--;
			return 0;
		}
		if (ret == PAGE_SPLIT) {
			/* Zapping one page of a huge PMD splits it. */
			vma = vma_lookup(rw->mm, addr);
			if (!vma)
				break;
			ckpt_zap(vma, addr, PAGE_SIZE);
		}
		/* Makes the page present, exclusive and writable. */
		got = ckpt_gup_one(rw->mm, addr, FOLL_WRITE | FOLL_FORCE, &page);
		if (got != 1)
			return ckpt_err(rw->s->ctx, got < 0 ? (int)got : -EFAULT,
					"cannot write page %#lx back", addr);
		put_page(page);
	}
	return ckpt_err(rw->s->ctx, -EAGAIN,
			"page %#lx keeps changing during rollback", addr);
}

static int rewind_dirty(struct rewind *rw)
{
	struct ckpt_snap *s = rw->s;
	unsigned long idx;
	unsigned int i;
	int ret;

	mmap_assert_write_locked(rw->mm);
	if (s->changed.overflow) {
		for_each_set_bit(idx, s->changed.bits, s->ctx->ps.nr) {
			ret = rewind_page(rw, idx);
			if (ret)
				return ret;
		}
		return 0;
	}
	/* Faults (ours, or reclaim elsewhere) may append: read it as it grows. */
	for (i = 0;; i++) {
		spin_lock(&ckpt_snap_watch(s)->lock);
		if (s->changed.overflow || i >= s->changed.nr_list) {
			spin_unlock(&ckpt_snap_watch(s)->lock);
			break;
		}
		idx = s->changed.list[i];
		spin_unlock(&ckpt_snap_watch(s)->lock);
		ret = rewind_page(rw, idx);
		if (ret)
			return ret;
	}
	return s->changed.overflow ? rewind_dirty(rw) : 0;
}

/* Zaps the anonymous pages of one PMD slot of rw->vma. */
static int zap_new(struct ckpt_ptwalk *w, pmd_t *pmd, unsigned long addr,
		   unsigned long end)
{
	struct rewind *rw = w->priv;
	unsigned long first = 0, last = 0, a;
	spinlock_t *ptl;	/* of the page table or PMD */
	pte_t *ptep, pte;
	bool huge_anon;
	pmd_t pmdval;

	pmdval = READ_ONCE(*pmd);
	if (pmd_none(pmdval) || !pmd_present(pmdval))
		return 0;
	if (pmd_trans_huge(pmdval)) {
		ptl = pmd_lock(rw->mm, pmd);
		huge_anon = pmd_trans_huge(*pmd) &&
			    folio_test_anon(page_folio(pmd_page(*pmd)));
		spin_unlock(ptl);
		if (huge_anon) {
			ckpt_zap(rw->vma, addr, end - addr);
			rw->st->pages_zapped += (end - addr) >> PAGE_SHIFT;
		}
		return 0;
	}
	if (pmd_bad(pmdval))
		return 0;
	/*
	 * The span from the first to the last new page of this table; a table
	 * replaced under us (ptep NULL) was emptied, so nothing is left in it.
	 */
	ptep = ckpt_pte_lock(rw->mm, pmd, pmdval, addr, &ptl);
	for (a = addr; ptep && a < end; a += PAGE_SIZE, ptep++) {
		pte = ptep_get(ptep);
		if (pte_none(pte))
			continue;
		/* Swapped-out anon pages count as new, too. */
		if (pte_present(pte) &&
		    (pte_special(pte) ||
		     !folio_test_anon(page_folio(pte_page(pte)))))
			continue;
		if (!first)
			first = a;
		last = a + PAGE_SIZE;
		rw->st->pages_zapped++;
	}
	spin_unlock(ptl);
	/* Page cache pages in between are only unmapped: no loss. */
	if (first)
		ckpt_zap(rw->vma, first, last - first);
	return 0;
}

/* zap_new() on the parts of [a, b) outside the excluded ranges. */
static void zap_outside(struct rewind *rw, unsigned long a, unsigned long b)
{
	const struct ckpt_mmsnap *ms = rw->s->ms;
	struct ckpt_ptwalk w = { .mm = rw->mm, .pmd = zap_new, .priv = rw };
	unsigned int i;

	for (i = 0; i < ms->nr_excl; i++) {
		if (a >= ms->excl[i].end || b <= ms->excl[i].start)
			continue;
		if (a < ms->excl[i].start)
			zap_outside(rw, a, ms->excl[i].start);
		if (b > ms->excl[i].end)
			zap_outside(rw, ms->excl[i].end, b);
		return;
	}
	ckpt_pt_walk(&w, a, b);
}

static void rewind_holes(struct rewind *rw)
{
	struct ckpt_snap *s = rw->s;
	struct vm_area_struct *vma;
	unsigned long i, a, b;

	mmap_assert_write_locked(rw->mm);
	for (i = 0; i < s->nr_holes; i++) {
		VMA_ITERATOR(vmi, rw->mm, s->holes[i].start);

		for_each_vma_range(vmi, vma, s->holes[i].end) {
			/* No anon_vma: no anonymous page was ever made here. */
			if (!vma->anon_vma || (vma->vm_flags & VM_SHARED))
				continue;
			a = max(vma->vm_start, s->holes[i].start);
			b = min(vma->vm_end, s->holes[i].end);
			rw->vma = vma;
			zap_outside(rw, a, b);
		}
	}
}

static int rewind_pages(const struct ckpt_mem_src *src)
{
	struct rewind rw = { .s = src->snap, .mm = current->mm, .st = src->st };
	struct ckpt_snap *s = rw.s;
	struct vm_area_struct *vma;
	int ret;

	ret = mmap_write_lock_killable(rw.mm);
	if (ret)
		return ret;
	{
		VMA_ITERATOR(vmi, rw.mm, 0);

		for_each_vma(vmi, vma)
			ckpt_vma_start_write(vma);
	}
	rw.pinned_mm = test_bit(MMF_HAS_PINNED, &rw.mm->flags);
	/* Pages are written in place below, unseen by an incremental dump. */
	ckpt_track_mark_all(ckpt_snap_watch(s));
	raw_write_seqcount_begin(&rw.mm->write_protect_seq);
	ret = rewind_dirty(&rw);
	raw_write_seqcount_end(&rw.mm->write_protect_seq);
	if (!ret)
		rewind_holes(&rw);
	if (rw.nr_wp)
		ckpt_flush_tlb_all();
	mmap_write_unlock(rw.mm);
	if (ret)
		return ret;
	/* Every slot matches again. */
	spin_lock(&ckpt_snap_watch(s)->lock);
	ckpt_snap_dirty_clear(s);
	spin_unlock(&ckpt_snap_watch(s)->lock);
	return 0;
}

int ckpt_pages_apply(struct ckpt_ctx *ctx, const struct ckpt_mem_src *src,
		     enum ckpt_apply_mode mode)
{
	if (mode == CKPT_REBUILD)
		return ckpt_pages_fill(ctx, src->img);
	return rewind_pages(src);
}
