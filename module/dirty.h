/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A "changed since" set: which pages of a basis may have changed since the
 * set was last emptied.  A snapshot and an incremental dump's tracker each
 * own one and subscribe it to the watcher of their mm (watch.h), whose
 * notifier marks every subscribed set through ckpt_dirty_mark().
 *
 * The basis is a sorted list of disjoint address ranges, each with the
 * index of its first page: a snapshot's page runs (the slots of its page
 * set), or the pages a tracker found present at its last capture.  Marks
 * outside the basis are dropped: a snapshot holds nothing there, and for
 * a tracker a page that was not there is new anyway.  So the marks never
 * run out, whatever the task does.
 *
 * Marks come where sleeping is not allowed, so a set's memory is
 * allocated beforehand: a bit per page and, if its owner wants to visit
 * only the marked pages, a list of the set bits while it fits (past that,
 * the owner scans the bitmap).
 *
 * Locking: the basis pointers, the bits, the list and @hit are under the
 * lock of the watcher the set is subscribed to (@lock).
 */
#ifndef CKPT_DIRTY_H
#define CKPT_DIRTY_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "pages.h"

struct ckpt_dirty {
	struct list_head node;		/* on the watcher's subscribers */
	spinlock_t *lock;		/* the watcher's, once subscribed */

	/* The basis: page runs, or ranges with the page index of each. */
	const struct pgrun *runs;
	const struct ckpt_range *ranges;
	const unsigned long *first;
	unsigned long nr;		/* runs or ranges */

	unsigned long *bits;		/* one per page of the basis */
	unsigned long nbits;
	unsigned int *list;		/* the set bits, or NULL: none kept */
	unsigned int nr_list, cap_list;
	bool overflow;			/* list is incomplete: scan bits */
	bool hit;			/* a mark landed since hit was cleared */
	/*
	 * The owner also takes a page whose PTE is writable again as changed
	 * (an incremental dump).  A write-protect by another capture, or a
	 * write in place by a rollback, hides such a change from it, so those
	 * mark its whole set (ckpt_watch_mark_unseen()).  A snapshot holds its
	 * pages and does not care.
	 */
	bool reads_ptes;
};

static inline void ckpt_dirty_init(struct ckpt_dirty *d, bool reads_ptes)
{
	memset(d, 0, sizeof(*d));
	INIT_LIST_HEAD(&d->node);
	d->reads_ptes = reads_ptes;
}

/*
 * A basis of page runs with @nbits slots, and a list of up to @cap_list
 * marked slots (0: no list).  Not subscribed yet: no lock needed.
 */
int ckpt_dirty_alloc_runs(struct ckpt_dirty *d, const struct pgrun *runs,
			  unsigned long nr_runs, unsigned long nbits,
			  unsigned int cap_list);
void ckpt_dirty_free(struct ckpt_dirty *d);

/* The one mark entry point: the pages of the basis in [start, end). */
void ckpt_dirty_mark(struct ckpt_dirty *d, unsigned long start,
		     unsigned long end);
/* Page @idx of the basis. */
void ckpt_dirty_mark_slot(struct ckpt_dirty *d, unsigned long idx);
/* Every page of the basis. */
void ckpt_dirty_mark_all(struct ckpt_dirty *d);
/* No page marked any more. */
void ckpt_dirty_clear(struct ckpt_dirty *d);
/*
 * Moves the marks to *@into (a bitmap of nbits, ORed into it when @add,
 * else swapped with the set's), leaving the set with none.  Sets without
 * a list only.
 */
void ckpt_dirty_take(struct ckpt_dirty *d, unsigned long **into, bool add);
/*
 * A new basis of @nr ranges, and the bitmap *@bits of @nbits for it (all
 * zero, swapped with the set's, whose old one the caller frees).  Sets
 * without a list only.
 */
void ckpt_dirty_rebase(struct ckpt_dirty *d, const struct ckpt_range *ranges,
		       const unsigned long *first, unsigned long nr,
		       unsigned long **bits, unsigned long nbits);

#endif /* CKPT_DIRTY_H */
