/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Incremental dumps (CKPT_DUMP_TRACK): what changed in a process since its
 * last image, with no page held between images.
 *
 * A capture write-protects every present anonymous page (the pages it
 * takes, as any dump does, and the others were already).  After it, a page
 * changes only through the kernel, in one of two ways:
 *  - a write fault makes the PTE writable again (in place when the page
 *    is the task's alone, or on a new copy): the next walk sees it;
 *  - anything else that replaces or removes the page (munmap, madvise,
 *    mremap, mprotect, reclaim, migration, KSM, fork's COW) calls the MMU
 *    notifiers of the mm, ours among them: the range is marked.
 * A page that is neither, and was present last time, is the parent
 * image's.  One that was not present last time is new.  Soft-dirty is
 * not used: VMA merges lose it, and its users must not be disturbed.
 *
 * Locking: a tracker belongs to one open /dev/ckpt (its ioctl mutex).
 * Its "changed since" set is subscribed to the mm's watcher (watch.h):
 * marks are written by the notifier and taken by a capture under the
 * watcher's lock.
 */
#ifndef CKPT_TRACK_H
#define CKPT_TRACK_H

#include <linux/list.h>

#include "ctx.h"
#include "dirty.h"
#include "hbuf.h"
#include "pages.h"

struct ckpt_watch;

/*
 * The pages present at the last capture (prev) and, a bit per page, the
 * ones the notifier saw change since: the basis and the marks of the
 * tracker's changed set.  Only those pages need marks: a page that was
 * not there is new anyway.  So marks are exact and never run out,
 * whatever the task does between two images.
 */
struct ckpt_track {
	struct ckpt_watch *w;		/* referenced, or NULL */
	u64 parent_id;			/* the last complete image, or 0 */

	/*
	 * The basis of @changed: changed under the watcher's lock, since the
	 * notifier reads it.  changed.hit: a mark on prev came during the walk.
	 */
	struct ckpt_dirty changed;
	struct ckpt_range *prev;
	unsigned long nr_prev, cap_prev;
	unsigned long *prev_first;	/* page index of each prev range */
	unsigned long *frozen;		/* the marks the walk goes by */
	bool walking;			/* between the walk's start and its end */

	/* The frozen marks as address ranges, for the CHANGED records. */
	struct ckpt_range *taken;
	unsigned long nr_taken, cap_taken;

	/* The walk's filter: its present list becomes prev. */
	struct pgfilter f;

	/* What the image being made stands for (its CHANGED ranges). */
	struct ckpt_range *cover;
	unsigned long nr_cover, cap_cover;

	/* Metadata chunks, kept from one image to the next. */
	struct hbuf hb;
};

void ckpt_track_free(struct ckpt_track *t);

/*
 * Starts a capture of ctx->mm on @t (allocated if NULL): a full one when
 * @full, when the process is another one, or after a failure.
 */
int ckpt_track_begin(struct ckpt_track **tp, struct ckpt_ctx *ctx, bool full);
/*
 * Under the mm's write lock: before the walk, its marks are frozen; after
 * it (@end), what it found present becomes prev.  -EAGAIN: a page of prev
 * changed during the walk (reclaim, migration): walk again.
 */
int ckpt_track_locked(struct ckpt_ctx *ctx, struct mm_struct *mm, bool end);
/* The CHANGED records and the header's parent, once the walk is done. */
int ckpt_track_emit(struct ckpt_ctx *ctx);
/* After the writeout (or a failure, @err): the next image's parent. */
void ckpt_track_end(struct ckpt_ctx *ctx, int err);

/*
 * Every page of the mm behind @w may have changed unseen (a snapshot
 * rollback writes pages in place): for every series on it.
 */
void ckpt_track_mark_all(struct ckpt_watch *w);
/*
 * A capture of @mm (a plain dump, a snapshot, or the series @self) write-
 * protected pages, changed ones among them, that the images of the other
 * series do not hold.
 */
void ckpt_track_foreign(struct mm_struct *mm, struct ckpt_track *self);

#endif /* CKPT_TRACK_H */
