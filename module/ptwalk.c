// SPDX-License-Identifier: GPL-2.0
/*
 * Page tables: the one walker.  See ptwalk.h.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/smp.h>
#include <asm/tlbflush.h>

#include "ptwalk.h"

/* A PMD slot that changed under us is retried this many times. */
#define PMD_TRIES	4

int ckpt_pt_walk(struct ckpt_ptwalk *w, unsigned long start,
		 unsigned long end)
{
	unsigned long addr = start, next;
	unsigned int tries = 0;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	int ret;

	mmap_assert_locked(w->mm);
	while (addr < end) {
		pgd = pgd_offset(w->mm, addr);
		next = pgd_addr_end(addr, end);
		if (pgd_none(*pgd) || pgd_bad(*pgd))
			goto skip;
		p4d = p4d_offset(pgd, addr);
		next = p4d_addr_end(addr, end);
		if (p4d_none(*p4d) || p4d_bad(*p4d))
			goto skip;
		pud = pud_offset(p4d, addr);
		next = pud_addr_end(addr, end);
		if (pud_none(*pud) || pud_bad(*pud) || pud_leaf(*pud))
			goto skip;
		next = pmd_addr_end(addr, end);
		ret = w->pmd(w, pmd_offset(pud, addr), addr, next);
		if (ret == -EAGAIN && ++tries < PMD_TRIES)
			continue;
		if (ret)
			return ret;
		tries = 0;
skip:
		addr = next;
	}
	return 0;
}

pte_t *ckpt_pte_lock(struct mm_struct *mm, pmd_t *pmd, pmd_t pmdval,
		     unsigned long addr, spinlock_t **ptl) __acquires(*ptl)
{
	*ptl = pte_lockptr(mm, pmd);
	spin_lock(*ptl);
	if (!pmd_same(pmdval, READ_ONCE(*pmd)))
		return NULL;
	return pte_offset_kernel(pmd, addr);
}

static void flush_this_cpu(void *unused)
{
	__flush_tlb_all();
}

void ckpt_flush_tlb_all(void)
{
	on_each_cpu(flush_this_cpu, NULL, 1);
}
