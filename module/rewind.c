// SPDX-License-Identifier: GPL-2.0
/*
 * Rollback of memory, in the target's own context (current->mm is the
 * snapshot's mm), so vm_mmap() and vm_munmap() act on it.
 *
 *  1. Mappings: every range where the mapping differs from the snapshot's
 *     (made since, moved, re-protected, another file) is unmapped, and
 *     every snapshot mapping missing now is mapped again.  Held pages in
 *     a mapping made again are marked dirty.
 *  2. Dirty pages: under the mmap write lock, each marked slot is looked
 *     at.  If the PTE still maps our page, nothing changed.  If it maps a
 *     page exclusive to the task, our contents are copied into it and
 *     that page becomes the held one (exclusive bit cleared, referenced,
 *     write-protected: fork's protocol), so the next write to it breaks
 *     COW again and is seen again.  Anything else (none, swapped out,
 *     shared, a huge PMD) is faulted writable first, then done the same.
 *  3. Holes: anonymous pages that appeared where the snapshot held none
 *     are zapped, so a read gives zeros or the file's contents again.
 *  4. brk, and one TLB flush on every CPU for the write-protections.
 *
 * Nothing is allocated here in steady state: the dirty list, the bitmap
 * and the holes were made at capture, and slots are replaced in place.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pgtable.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/smp.h>
#include <asm/tlbflush.h>

#include "compat.h"
#include "snap.h"
#include "track.h"

/* Flags a mapping must keep for its contents to be rolled back in place. */
#define VMA_SAME_FLAGS	(VM_READ | VM_WRITE | VM_EXEC | VM_SHARED | \
			 VM_MAYSHARE | VM_GROWSDOWN | CKPT_VM_ADVICE)

/* Tries per page of fault-then-copy before giving up. */
#define PAGE_TRIES	8

struct rewind {
	struct ckpt_snap *s;
	struct mm_struct *mm;
	struct ckpt_rb_stats *st;
	bool pinned_mm;
	unsigned long nr_wp;		/* PTEs write-protected */
};

/* Never mapped again: the kernel's own, or a driver's. */
static bool special(const struct ckpt_vma_cap *v)
{
	return v->kind == CKPT_VMA_VDSO || v->kind == CKPT_VMA_VVAR ||
	       v->kind == CKPT_VMA_KEEP;
}

static bool vma_special(struct vm_area_struct *vma)
{
	return vma->vm_ops && vma->vm_ops->name && vma->vm_ops->name(vma);
}

/* The first snapshot VMA that ends after @addr. */
static unsigned int snap_vma_after(const struct ckpt_ctx *ctx,
				   unsigned long addr)
{
	unsigned int lo = 0, hi = ctx->nr_vmas, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ctx->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool same_mapping(struct vm_area_struct *vma,
			 const struct ckpt_vma_cap *v)
{
	if ((vma->vm_flags ^ v->vm_flags) & VMA_SAME_FLAGS)
		return false;
	/*
	 * Private memory mapped anew since (and written) has an anon_vma of
	 * its own and never merges with the snapshot's pieces around it.
	 */
	if (v->anon_vma && vma->anon_vma && vma->anon_vma != v->anon_vma)
		return false;
	if (!vma->vm_file != !v->file)
		return false;
	/*
	 * mremap() moves a VMA with its old offset, and such a VMA never
	 * merges with its neighbours again.  Where the snapshot had memory
	 * at its own offset, a moved VMA is replaced by a fresh mapping.
	 */
	if (!vma->vm_file)
		return v->pgoff != v->start >> PAGE_SHIFT ||
		       vma->vm_pgoff == vma->vm_start >> PAGE_SHIFT;
	/* The same file, at the same offset for the same address. */
	return file_inode(vma->vm_file) == file_inode(v->file) &&
	       vma->vm_pgoff - (vma->vm_start >> PAGE_SHIFT) ==
	       v->pgoff - (v->start >> PAGE_SHIFT);
}

enum op_kind { OP_NONE, OP_UNMAP, OP_MAP };

struct vma_op {
	enum op_kind kind;
	unsigned long start, end;
	const struct ckpt_vma_cap *v;
};

/* A range of @vma that the snapshot does not have as it is now. */
static bool find_unmap(const struct ckpt_ctx *ctx, struct vm_area_struct *vma,
		       struct vma_op *op)
{
	unsigned long pos = vma->vm_start;
	const struct ckpt_vma_cap *v;
	unsigned int i;

	for (i = snap_vma_after(ctx, pos); i < ctx->nr_vmas; i++) {
		v = &ctx->vmas[i];
		if (v->start >= vma->vm_end)
			break;
		if (v->start > pos) {
			op->end = v->start;
			goto found;
		}
		/* Device memory is left as it is, like shared memory. */
		if (v->kind == CKPT_VMA_KEEP && same_mapping(vma, v)) {
			pos = v->end;
			if (pos >= vma->vm_end)
				return false;
			continue;
		}
		if (special(v) || !same_mapping(vma, v)) {
			op->end = min(v->end, vma->vm_end);
			goto found;
		}
		pos = v->end;
		if (pos >= vma->vm_end)
			return false;
	}
	op->end = vma->vm_end;
found:
	op->kind = OP_UNMAP;
	op->start = pos;
	return true;
}

/* A range of snapshot VMA @v with no mapping now. */
static bool find_map(struct mm_struct *mm, const struct ckpt_vma_cap *v,
		     struct vma_op *op)
{
	VMA_ITERATOR(vmi, mm, v->start);
	unsigned long pos = v->start;
	struct vm_area_struct *vma;

	for_each_vma_range(vmi, vma, v->end) {
		if (vma->vm_start > pos)
			break;
		pos = vma->vm_end;
	}
	if (pos >= v->end)
		return false;
	op->kind = OP_MAP;
	op->start = pos;
	op->end = vma && vma->vm_start < v->end ? vma->vm_start : v->end;
	op->v = v;
	return true;
}

static void find_op(const struct ckpt_snap *s, struct mm_struct *mm,
		    struct vma_op *op)
{
	VMA_ITERATOR(vmi, mm, 0);
	const struct ckpt_mmsnap *ms = s->ms;
	const struct ckpt_ctx *ctx = s->ctx;
	const struct ckpt_vma_cap *v;
	struct vm_area_struct *vma;
	unsigned int i;

	op->kind = OP_NONE;
	for_each_vma(vmi, vma) {
		if (vma_special(vma) ||
		    ckpt_snap_excluded(ms, vma->vm_start, vma->vm_end))
			continue;
		if (find_unmap(ctx, vma, op))
			return;
	}
	for (i = 0; i < ctx->nr_vmas; i++) {
		v = &ctx->vmas[i];
		if (!special(v) && !ckpt_snap_excluded(ms, v->start, v->end) &&
		    find_map(mm, v, op))
			return;
	}
}

static int map_again(struct ckpt_ctx *ctx, const struct vma_op *op)
{
	const struct ckpt_vma_cap *v = op->v;
	struct ckpt_vma_map m = {
		.file = v->file, .start = op->start, .len = op->end - op->start,
		.prot = v->prot, .map_flags = MAP_FIXED,
		.flags = ckpt_vma_flags(v->vm_flags),
	};

	m.map_flags |= v->vm_flags & VM_SHARED ? MAP_SHARED : MAP_PRIVATE;
	if (!v->file)
		m.map_flags |= MAP_ANONYMOUS;
	else
		m.off = (v->pgoff << PAGE_SHIFT) + (op->start - v->start);
	return ckpt_vma_map(ctx, &m);
}

static int rewind_vmas(struct rewind *rw)
{
	struct ckpt_ctx *ctx = rw->s->ctx;
	unsigned int n;
	struct vma_op op;
	int ret;

	/* Each step removes a difference; more than this is a loop. */
	for (n = 0; n < 4 * (ctx->nr_vmas + 64); n++) {
		ret = mmap_read_lock_killable(rw->mm);
		if (ret)
			return ret;
		find_op(rw->s, rw->mm, &op);
		mmap_read_unlock(rw->mm);
		if (op.kind == OP_NONE)
			return 0;
		if (op.kind == OP_UNMAP) {
			ret = vm_munmap(op.start, op.end - op.start);
			if (ret)
				return ckpt_err(ctx, ret, "cannot unmap %#lx-%#lx",
						op.start, op.end);
			rw->st->vmas_unmapped++;
			continue;
		}
		ret = map_again(ctx, &op);
		if (ret)
			return ret;
		rw->st->vmas_restored++;
		spin_lock(&rw->s->ms->lock);
		ckpt_snap_mark(rw->s, op.start, op.end);
		spin_unlock(&rw->s->ms->lock);
	}
	return ckpt_err(ctx, -ELOOP, "the mappings keep changing during rollback");
}

static pmd_t *find_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_bad(*pud) || pud_leaf(*pud))
		return NULL;
	return pmd_offset(pud, addr);
}

enum { PAGE_DONE, PAGE_FAULT, PAGE_SPLIT, PAGE_PINNED };

/* Rolls back slot @idx at @addr if the page there allows it. */
static int try_page(struct rewind *rw, unsigned long addr, unsigned long idx)
{
	struct page **slot = &rw->s->ctx->ps.pages[idx];
	struct page *want = *slot, *page;
	struct folio *folio;
	spinlock_t *ptl;	/* of the page table or PMD */
	pmd_t *pmd, pmdval;
	pte_t *ptep, pte;
	bool same;

	pmd = find_pmd(rw->mm, addr);
	if (!pmd)
		return PAGE_FAULT;
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
	ptl = pte_lockptr(rw->mm, pmd);
	ptep = pte_offset_kernel(pmd, addr);
	spin_lock(ptl);
	if (!pmd_same(pmdval, READ_ONCE(*pmd))) {
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
	struct vm_area_struct *vma;
	struct page *page;
	unsigned int tries;
	long got;
	int ret;

	if (!rw->s->ctx->ps.pages[idx])
		return 0;
	for (tries = 0; tries < PAGE_TRIES; tries++) {
		ret = try_page(rw, addr, idx);
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

	if (s->doverflow) {
		for_each_set_bit(idx, s->dirty, s->ctx->ps.nr) {
			ret = rewind_page(rw, idx);
			if (ret)
				return ret;
		}
		return 0;
	}
	/* Faults (ours, or reclaim elsewhere) may append: read it as it grows. */
	for (i = 0;; i++) {
		spin_lock(&s->ms->lock);
		if (s->doverflow || i >= s->nr_dlist) {
			spin_unlock(&s->ms->lock);
			break;
		}
		idx = s->dlist[i];
		spin_unlock(&s->ms->lock);
		ret = rewind_page(rw, idx);
		if (ret)
			return ret;
	}
	return s->doverflow ? rewind_dirty(rw) : 0;
}

/* Zaps the anonymous pages in [addr, end) of @vma; PMD by PMD. */
static void zap_new(struct rewind *rw, struct vm_area_struct *vma,
		    unsigned long addr, unsigned long end)
{
	unsigned long next, first, last;
	spinlock_t *ptl;	/* of the page table or PMD */
	pmd_t *pmd, pmdval;
	pte_t *ptep, pte;
	bool huge_anon;

	for (; addr < end; addr = next) {
		next = pmd_addr_end(addr, end);
		pmd = find_pmd(rw->mm, addr);
		if (!pmd)
			continue;
		pmdval = READ_ONCE(*pmd);
		if (pmd_none(pmdval) || !pmd_present(pmdval))
			continue;
		if (pmd_trans_huge(pmdval)) {
			ptl = pmd_lock(rw->mm, pmd);
			huge_anon = pmd_trans_huge(*pmd) &&
				    folio_test_anon(page_folio(pmd_page(*pmd)));
			spin_unlock(ptl);
			if (huge_anon) {
				ckpt_zap(vma, addr, next - addr);
				rw->st->pages_zapped += (next - addr) >> PAGE_SHIFT;
			}
			continue;
		}
		if (pmd_bad(pmdval))
			continue;
		/* The span from the first to the last new page of this table. */
		first = 0;
		last = 0;
		ptl = pte_lockptr(rw->mm, pmd);
		ptep = pte_offset_kernel(pmd, addr);
		spin_lock(ptl);
		if (pmd_same(pmdval, READ_ONCE(*pmd))) {
			unsigned long a;

			for (a = addr; a < next; a += PAGE_SIZE, ptep++) {
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
		}
		spin_unlock(ptl);
		/* Page cache pages in between are only unmapped: no loss. */
		if (first)
			ckpt_zap(vma, first, last - first);
	}
}

/* zap_new() on the parts of [a, b) outside the excluded ranges. */
static void zap_outside(struct rewind *rw, struct vm_area_struct *vma,
			unsigned long a, unsigned long b)
{
	const struct ckpt_mmsnap *ms = rw->s->ms;
	unsigned int i;

	for (i = 0; i < ms->nr_excl; i++) {
		if (a >= ms->excl[i].end || b <= ms->excl[i].start)
			continue;
		if (a < ms->excl[i].start)
			zap_outside(rw, vma, a, ms->excl[i].start);
		if (b > ms->excl[i].end)
			zap_outside(rw, vma, ms->excl[i].end, b);
		return;
	}
	zap_new(rw, vma, a, b);
}

static void rewind_holes(struct rewind *rw)
{
	struct ckpt_snap *s = rw->s;
	struct vm_area_struct *vma;
	unsigned long i, a, b;

	for (i = 0; i < s->nr_holes; i++) {
		VMA_ITERATOR(vmi, rw->mm, s->holes[i].start);

		for_each_vma_range(vmi, vma, s->holes[i].end) {
			/* No anon_vma: no anonymous page was ever made here. */
			if (!vma->anon_vma || (vma->vm_flags & VM_SHARED))
				continue;
			a = max(vma->vm_start, s->holes[i].start);
			b = min(vma->vm_end, s->holes[i].end);
			zap_outside(rw, vma, a, b);
		}
	}
}

static void flush_all(void *unused)
{
	__flush_tlb_all();
}

int ckpt_snap_rewind_mm(struct ckpt_snap *s, struct ckpt_rb_stats *st)
{
	struct rewind rw = { .s = s, .mm = current->mm, .st = st };
	const struct ckpt_rec_mm *m = s->ctx->mm_rec;
	struct vm_area_struct *vma;
	int ret;

	ret = rewind_vmas(&rw);
	if (ret)
		return ret;
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
	ckpt_track_mark_all(s->ms);
	raw_write_seqcount_begin(&rw.mm->write_protect_seq);
	ret = rewind_dirty(&rw);
	raw_write_seqcount_end(&rw.mm->write_protect_seq);
	if (!ret)
		rewind_holes(&rw);
	if (rw.nr_wp)
		on_each_cpu(flush_all, NULL, 1);
	if (!ret) {
		rw.mm->start_brk = m->start_brk;
		rw.mm->brk = m->brk;
	}
	mmap_write_unlock(rw.mm);
	if (ret)
		return ret;
	/* Every slot matches again. */
	spin_lock(&s->ms->lock);
	ckpt_snap_dirty_clear(s);
	spin_unlock(&s->ms->lock);
	return 0;
}
