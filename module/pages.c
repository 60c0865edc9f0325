// SPDX-License-Identifier: GPL-2.0
/*
 * COW page references: the capture side of memory contents.
 *
 * A captured page must keep its contents while the task runs on.  On 6.x a
 * write fault reuses an anonymous page in place whenever the page is marked
 * PageAnonExclusive, whatever other references exist.  So we do what fork
 * does for the parent in copy_present_pte(): with mmap_write_lock held,
 * every VMA write-locked and mm->write_protect_seq raised (GUP-fast backs
 * off), clear the exclusive bit, take a reference and write-protect the PTE.
 * The task's next write then copies the page and ours keeps the old
 * contents.  One TLB flush for all CPUs follows, before the task runs.
 *
 * Pages that may be DMA-pinned cannot be shared that way (a device would
 * keep writing into our copy), so, as fork does, they are copied by value.
 * Swapped-out pages cannot be referenced from a module: they are faulted
 * in and the capture is retried.
 *
 * Only VMAs with an anon_vma are walked: without one there is no private
 * page, and on 6.12 khugepaged may free the page tables of such file VMAs
 * under us (retract_page_tables() skips VMAs that have an anon_vma).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/coredump.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/swapops.h>

#include "ckpt.h"
#include "compat.h"
#include "pages.h"
#include "ptwalk.h"
#include "search.h"

void pgset_init(struct pgset *ps)
{
	memset(ps, 0, sizeof(*ps));
}

void pgfilter_restart(struct pgfilter *f)
{
	f->pi = 0;
	f->nr_present = 0;
	f->unchanged = 0;
}

/*
 * Whether [start, end) may have changed since the last capture.  The walk
 * asks in address order, so the cursor on prev only moves on.
 */
static bool pgfilter_changed(struct pgfilter *f, unsigned long start,
			     unsigned long end, bool writable)
{
	const struct ckpt_range *r;
	unsigned long idx, n;

	if (f->all || writable)
		return true;
	while (f->pi < f->nr_prev && f->prev[f->pi].end <= start)
		f->pi++;
	r = &f->prev[f->pi];
	/* Not there, or not all of it, last time: new. */
	if (f->pi == f->nr_prev || r->start > start || r->end < end)
		return true;
	idx = f->prev_first[f->pi] + ((start - r->start) >> PAGE_SHIFT);
	n = (end - start) >> PAGE_SHIFT;
	/* Most calls are for one page: no out-of-line bit search. */
	if (n == 1)
		return test_bit(idx, f->marked);
	return find_next_bit(f->marked, idx + n, idx) < idx + n;
}

/* Notes [start, end) as present; room was reserved per PMD. */
static void pgfilter_present(struct pgfilter *f, unsigned long start,
			     unsigned long end)
{
	struct ckpt_range *last = f->nr_present ?
				  &f->present[f->nr_present - 1] : NULL;

	if (last && last->end == start) {
		last->end = end;
		return;
	}
	f->present[f->nr_present].start = start;
	f->present[f->nr_present].end = end;
	f->nr_present++;
}

/*
 * Whether the page (or THP) at [addr, end) is taken; the caller holds its
 * page table lock.  Pinned pages are always taken: a device may write them
 * without a fault.
 */
static bool pgset_wants(struct pgset *ps, unsigned long addr,
			unsigned long end, bool writable, bool pinned)
{
	struct pgfilter *f = ps->filter;

	if (!f)
		return true;
	pgfilter_present(f, addr, end);
	if (pinned || f->vma_ro || pgfilter_changed(f, addr, end, writable))
		return true;
	f->unchanged += (end - addr) >> PAGE_SHIFT;
	return false;
}

/* Room for @n more pages and runs, made before a page table is locked. */
static int pgset_reserve(struct pgset *ps, unsigned long n)
{
	struct pgfilter *f = ps->filter;
	int ret;

	if (f) {
		ret = ckpt_grow((void **)&f->present, &f->cap_present,
				f->nr_present + n, sizeof(*f->present));
		if (ret)
			return ret;
	}

	ret = ckpt_grow((void **)&ps->pages, &ps->cap, ps->nr + n,
			sizeof(*ps->pages));
	if (!ret)
		ret = ckpt_grow((void **)&ps->runs, &ps->cap_runs,
				ps->nr_runs + n, sizeof(*ps->runs));
	if (!ret)
		ret = ckpt_grow((void **)&ps->swap_addr, &ps->cap_swap,
				ps->nr_swap + n, sizeof(*ps->swap_addr));
	return ret;
}

/* Appends @page (or a NULL placeholder) at @addr; room was reserved. */
static unsigned long pgset_add(struct pgset *ps, unsigned long addr,
			       struct page *page)
{
	struct pgrun *r = ps->nr_runs ? &ps->runs[ps->nr_runs - 1] : NULL;

	if (r && !ps->run_break &&
	    r->vaddr + ((unsigned long)r->n << PAGE_SHIFT) == addr) {
		r->n++;
	} else {
		r = &ps->runs[ps->nr_runs++];
		r->vaddr = addr;
		r->first = ps->nr;
		r->n = 1;
		ps->run_break = false;
	}
	ps->pages[ps->nr] = page;
	if (page)
		ps->nr_refs++;
	return ps->nr++;
}

/* pgset_add() of the @n pages of a huge page, at one run's cost. */
static void pgset_add_huge(struct pgset *ps, unsigned long addr,
			   struct page *page, unsigned int n)
{
	unsigned long first = pgset_add(ps, addr, page);
	unsigned int i;

	ps->runs[ps->nr_runs - 1].n += n - 1;
	for (i = 1; i < n; i++)
		ps->pages[first + i] = nth_page(page, i);
	ps->nr += n - 1;
	ps->nr_refs += n - 1;
}

/* A pinned page found under a lock: hold it, copy it once unlocked. */
static void pgset_defer_copy(struct pgset *ps, unsigned long addr,
			     struct page *page)
{
	get_page(page);
	ps->copy[ps->nr_copy] = page;
	ps->copy_idx[ps->nr_copy++] = pgset_add(ps, addr, NULL);
}

static int pgset_do_copies(struct pgset *ps)
{
	struct page *dst;
	int ret = 0;
	unsigned int i;

	/* Snapshots must know them: the task writes them without a fault. */
	ret = ckpt_grow((void **)&ps->copied, &ps->cap_copied,
			ps->nr_copied + ps->nr_copy, sizeof(*ps->copied));
	for (i = 0; i < ps->nr_copy; i++) {
		dst = ret ? NULL : alloc_page(GFP_HIGHUSER);
		if (dst) {
			copy_highpage(dst, ps->copy[i]);
			ps->pages[ps->copy_idx[i]] = dst;
			ps->nr_refs++;
			ps->copied[ps->nr_copied++] = ps->copy_idx[i];
		} else {
			ret = -ENOMEM;
		}
		put_page(ps->copy[i]);
	}
	ps->nr_copy = 0;
	return ret;
}

static void pgset_account(struct pgset *ps)
{
	atomic_long_add(ps->nr_refs - ps->nr_accounted, &ckpt_stats.page_refs);
	ps->nr_accounted = ps->nr_refs;
}

void pgset_free(struct pgset *ps)
{
	struct pgfilter *f;
	unsigned long i;

	for (i = 0; i < ps->nr; i++)
		if (ps->pages[i])
			put_page(ps->pages[i]);
	atomic_long_sub(ps->nr_accounted, &ckpt_stats.page_refs);
	kvfree(ps->pages);
	kvfree(ps->runs);
	kfree(ps->copy);
	kfree(ps->copy_idx);
	kvfree(ps->swap_addr);
	kvfree(ps->copied);
	f = ps->filter;
	pgset_init(ps);
	ps->filter = f;
}

struct slot_key {
	const struct pgset *ps;
	unsigned long idx;
};

static bool run_starts_at_or_below(const void *arg, unsigned long i)
{
	const struct slot_key *k = arg;

	return k->ps->runs[i].first <= k->idx;
}

unsigned long ckpt_pgset_addr(const struct pgset *ps, unsigned long idx)
{
	struct slot_key k = { .ps = ps, .idx = idx };
	unsigned long i;

	/* The last run whose first slot is <= idx (run 0's first is 0). */
	i = ckpt_lower_bound(ps->nr_runs, run_starts_at_or_below, &k) - 1;
	return ps->runs[i].vaddr + ((idx - ps->runs[i].first) << PAGE_SHIFT);
}

/* Remembers an address to fault in; room was reserved per PMD. */
static void pgset_need_fault(struct pgset *ps, unsigned long addr)
{
	ps->swap_addr[ps->nr_swap++] = addr;
}

static int capture_pte_range(struct pgset *ps, struct mm_struct *mm,
			     pmd_t *pmd, pmd_t pmdval, unsigned long addr,
			     unsigned long end)
{
	bool pinned_mm = test_bit(MMF_HAS_PINNED, &mm->flags);
	struct folio *folio;
	struct page *page;
	swp_entry_t entry;
	spinlock_t *ptl;	/* of the page table */
	int ret = 0;
	pte_t *ptep;
	pte_t pte;

	ptep = ckpt_pte_lock(mm, pmd, pmdval, addr, &ptl);
	if (!ptep) {
		spin_unlock(ptl);
		return -EAGAIN;
	}
	for (; addr < end; addr += PAGE_SIZE, ptep++) {
		pte = ptep_get(ptep);
		if (pte_none(pte))
			continue;
		if (!pte_present(pte)) {
			entry = pte_to_swp_entry(pte);
			if (is_pte_marker_entry(entry))
				continue;	/* uffd-wp or poison: no data */
			if (!non_swap_entry(entry) || is_migration_entry(entry)) {
				pgset_need_fault(ps, addr);
				continue;
			}
			ret = -EBUSY;		/* device-private memory */
			break;
		}
		if (pte_special(pte))
			continue;		/* the zero page: reads as zero */
		page = pte_page(pte);
		folio = page_folio(page);
		if (!folio_test_anon(folio))
			continue;		/* page cache: kept by the file */
		if (!pgset_wants(ps, addr, addr + PAGE_SIZE, pte_write(pte),
				 pinned_mm && folio_maybe_dma_pinned(folio)))
			continue;		/* the parent image has it */
		if (!folio_test_ksm(folio) && PageAnonExclusive(page)) {
			if (pinned_mm && folio_maybe_dma_pinned(folio)) {
				pgset_defer_copy(ps, addr, page);
				continue;
			}
			ClearPageAnonExclusive(page);
		}
		folio_get(folio);
		if (pte_write(pte)) {
			ptep_set_wrprotect(mm, addr, ptep);
			ps->nr_wrprotected++;
		}
		pgset_add(ps, addr, page);
	}
	spin_unlock(ptl);
	return ret;
}

/* A PMD-mapped THP: one folio, write-protected at the PMD. */
static int capture_huge_pmd(struct pgset *ps, struct mm_struct *mm,
			    pmd_t *pmd, unsigned long addr)
{
	bool pinned_mm = test_bit(MMF_HAS_PINNED, &mm->flags);
	spinlock_t *ptl = pmd_lock(mm, pmd);
	struct folio *folio;
	struct page *page;
	pmd_t pmdval = *pmd;
	unsigned int i;

	if (!pmd_trans_huge(pmdval)) {
		spin_unlock(ptl);
		return -EAGAIN;
	}
	page = pmd_page(pmdval);
	folio = page_folio(page);
	/* The huge zero page (or file THP): nothing private to keep. */
	if (!folio_test_anon(folio) ||
	    !pgset_wants(ps, addr, addr + PMD_SIZE, pmd_write(pmdval),
			 pinned_mm && folio_maybe_dma_pinned(folio))) {
		spin_unlock(ptl);
		return 0;
	}
	if (pinned_mm && folio_maybe_dma_pinned(folio)) {
		for (i = 0; i < PTRS_PER_PMD; i++)
			pgset_defer_copy(ps, addr + i * PAGE_SIZE,
					 nth_page(page, i));
		spin_unlock(ptl);
		return 0;
	}
	/* For a PMD mapping the head page carries the exclusive bit. */
	if (PageAnonExclusive(page))
		ClearPageAnonExclusive(page);
	folio_ref_add(folio, PTRS_PER_PMD);
	if (pmd_write(pmdval)) {
		pmdp_set_wrprotect(mm, addr, pmd);
		ps->nr_wrprotected++;
	}
	pgset_add_huge(ps, addr, page, PTRS_PER_PMD);
	spin_unlock(ptl);
	return 0;
}

static int classify_pmd(struct pgset *ps, struct mm_struct *mm, pmd_t *pmd,
			unsigned long addr, unsigned long end)
{
	pmd_t pmdval = READ_ONCE(*pmd);

	if (pmd_none(pmdval))
		return 0;
	if (!pmd_present(pmdval)) {
		/* A THP under migration: GUP waits for it. */
		pgset_need_fault(ps, addr);
		return 0;
	}
	if (pmd_devmap(pmdval))
		return -EBUSY;
	if (pmd_trans_huge(pmdval))
		return capture_huge_pmd(ps, mm, pmd, addr);
	if (pmd_bad(pmdval))
		return -EFAULT;
	return capture_pte_range(ps, mm, pmd, pmdval, addr, end);
}

/* One PMD slot, with room reserved for all its pages first. */
static int capture_pmd(struct ckpt_ptwalk *w, pmd_t *pmd, unsigned long addr,
		       unsigned long end)
{
	struct pgset *ps = w->priv;
	int ret;

	ret = pgset_reserve(ps, PTRS_PER_PMD);
	if (ret)
		return ret;
	ret = classify_pmd(ps, w->mm, pmd, addr, end);
	if (!ret && ps->nr_copy)
		ret = pgset_do_copies(ps);
	pgset_account(ps);
	return ret;
}

int pgset_capture_vma(struct pgset *ps, struct mm_struct *mm,
		      struct vm_area_struct *vma)
{
	struct ckpt_ptwalk w = { .mm = mm, .pmd = capture_pmd, .priv = ps };
	int ret;

	mmap_assert_write_locked(mm);
	if (!vma->anon_vma)
		return 0;
	if (test_bit(MMF_HAS_PINNED, &mm->flags) && !ps->copy) {
		ps->copy = kmalloc_array(PTRS_PER_PTE, sizeof(*ps->copy),
					 GFP_KERNEL);
		ps->copy_idx = kmalloc_array(PTRS_PER_PTE,
					     sizeof(*ps->copy_idx), GFP_KERNEL);
		if (!ps->copy || !ps->copy_idx)
			return -ENOMEM;
	}
	/* A run never crosses into another VMA. */
	ps->run_break = true;
	if (ps->filter)
		ps->filter->vma_ro = !(vma->vm_flags & VM_WRITE);
	ret = ckpt_pt_walk(&w, vma->vm_start, vma->vm_end);
	if (ret)
		return ret;
	return ps->nr_swap ? -EAGAIN : 0;
}

void pgset_flush(struct pgset *ps)
{
	if (ps->nr_wrprotected)
		ckpt_flush_tlb_all();
	ps->nr_wrprotected = 0;
}

int pgset_swapin(struct pgset *ps, struct mm_struct *mm)
{
	struct page *page;
	unsigned long i;
	int ret;

	ret = mmap_read_lock_killable(mm);
	if (ret)
		return ret;
	for (i = 0; i < ps->nr_swap; i++) {
		if (fatal_signal_pending(current))
			break;
		if (ckpt_gup_one(mm, ps->swap_addr[i], FOLL_FORCE, &page) == 1)
			put_page(page);
	}
	mmap_read_unlock(mm);
	ps->nr_swap = 0;
	return 0;
}
