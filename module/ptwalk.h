/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page tables: the one walker and the locks each level needs, for capture
 * (pages.c) and rollback (pages_apply.c) alike.
 *
 * walk_page_range() is not exported, so this is a small private one.  It
 * descends to each PMD of a range and calls back with no page-table lock
 * held.  The callback reads the PMD once and decides from that value; then,
 * under the lock its case needs (pmd_lock() for a THP, ckpt_pte_lock() for
 * a page table), it rechecks that the PMD is still what it read, because
 * 6.12 may replace a page table (khugepaged, a THP split) while only the
 * mmap lock is held.
 */
#ifndef CKPT_PTWALK_H
#define CKPT_PTWALK_H

#include <linux/mm.h>

struct ckpt_ptwalk;

/*
 * One PMD slot, covering [addr, end).  Returns 0 to go on, -EAGAIN to be
 * called again for the same slot (it changed under us), or anything else
 * to end the walk with that value.
 */
typedef int (*ckpt_pmd_fn)(struct ckpt_ptwalk *w, pmd_t *pmd,
			   unsigned long addr, unsigned long end);

struct ckpt_ptwalk {
	struct mm_struct *mm;
	ckpt_pmd_fn pmd;
	void *priv;
};

/*
 * Calls w->pmd for each PMD slot of [start, end) under a present PUD.  A
 * slot that keeps answering -EAGAIN ends the walk with -EAGAIN.  Caller
 * holds w->mm's mmap lock.
 */
int ckpt_pt_walk(struct ckpt_ptwalk *w, unsigned long start,
		 unsigned long end);

/*
 * Locks the page table under @pmd (always: unlock *@ptl in every case) and
 * returns its entry for @addr, or NULL if @pmd no longer holds @pmdval.
 */
pte_t *ckpt_pte_lock(struct mm_struct *mm, pmd_t *pmd, pmd_t pmdval,
		     unsigned long addr, spinlock_t **ptl) __acquires(*ptl);

/*
 * Every CPU's TLB, once, after PTEs were write-protected: the task may
 * have run anywhere, and flush_tlb_range() wants a VMA per range.
 */
void ckpt_flush_tlb_all(void);

#endif /* CKPT_PTWALK_H */
