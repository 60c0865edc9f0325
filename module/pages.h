/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page set: copy-on-write references to a task's private pages.
 */
#ifndef CKPT_PAGES_H
#define CKPT_PAGES_H

#include <linux/mm_types.h>

#include "ckpt.h"

/* Pages at consecutive addresses share a run. */
struct pgrun {
	unsigned long vaddr;
	unsigned int first;	/* index of the first page in pages[] */
	unsigned int n;
};

/*
 * Incremental capture (track.c): a present anonymous page is taken only if
 * it may have changed since the last capture: its PTE is writable again
 * (every page was write-protected then), an MMU notifier saw it change
 * (its bit in @marked), or it was not there last time.  Otherwise its
 * contents are the parent image's, and it is left alone: no reference, no
 * fault.
 *
 * In a VMA without VM_WRITE every page counts as changed: a FOLL_FORCE
 * write there (ptrace, /proc/PID/mem) reuses an exclusive page in place
 * and leaves its PTE read-only, with no notifier call.
 */
struct pgfilter {
	const struct ckpt_range *prev;	/* anon pages present last time */
	const unsigned long *prev_first;	/* page index of each range */
	const unsigned long *marked;	/* a bit per page of prev: changed */
	unsigned long nr_prev, pi;
	struct ckpt_range *present;	/* anon pages present now */
	unsigned long nr_present, cap_present;
	bool all;			/* every page counts as changed */
	bool vma_ro;			/* the VMA being walked has no VM_WRITE */
	unsigned long unchanged;	/* pages left out */
};

/* Starts a walk again from the lowest address. */
void pgfilter_restart(struct pgfilter *f);

struct pgset {
	struct page **pages;	/* one reference held on each */
	unsigned long nr, cap;
	struct pgrun *runs;
	unsigned long nr_runs, cap_runs;
	unsigned long nr_refs;		/* non-NULL entries of pages[] */
	unsigned long nr_accounted;	/* of them, in ckpt_stats.page_refs */
	unsigned long nr_copied;	/* pinned pages copied by value */
	unsigned long *copied;		/* their slots */
	unsigned long cap_copied;
	unsigned long nr_wrprotected;	/* PTEs/PMDs made read-only */
	bool run_break;			/* the next page starts a run */
	/* Pinned pages seen under a PTE lock, copied once it is dropped. */
	struct page **copy;
	unsigned long *copy_idx;	/* their slots in pages[] */
	unsigned int nr_copy;
	/* Swapped-out addresses: faulted in, then the capture is retried. */
	unsigned long *swap_addr;
	unsigned long nr_swap, cap_swap;
	struct pgfilter *filter;	/* incremental capture, or NULL */
};

void pgset_init(struct pgset *ps);
/* Drops every reference; ps->filter stays. */
void pgset_free(struct pgset *ps);
/* The address of slot @idx (@ps has at least one run). */
unsigned long ckpt_pgset_addr(const struct pgset *ps, unsigned long idx);

/*
 * Takes COW references on every present private anonymous page of @vma
 * (fork's protocol).  The caller holds mmap_write_lock, has write-locked
 * every VMA and raised mm->write_protect_seq.  Returns 0, -EAGAIN when
 * pages must be faulted in first (ps->swap_addr), or -errno.
 */
int pgset_capture_vma(struct pgset *ps, struct mm_struct *mm,
		      struct vm_area_struct *vma);

/* Flushes the TLBs of every CPU if anything was write-protected. */
void pgset_flush(struct pgset *ps);

/* Faults in ps->swap_addr (no lock held) and forgets them. */
int pgset_swapin(struct pgset *ps, struct mm_struct *mm);

#endif /* CKPT_PAGES_H */
