/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The watcher of an mm: our MMU notifier on it, the one per mm that
 * snapshots and incremental dumps share (watch.c says why it stays).
 *
 * It tells its subscribers, "changed since" sets (dirty.h), which pages
 * of the mm changed: a snapshot's and a tracker's each.  It also carries
 * the mm's snapshot registry (snap.h), whose snapshots go when the mm
 * dies, and holds a module reference while it is referenced.
 *
 * Locking, with snap.h's: ms->mutex, then the mm's mmap_lock, then
 * w->lock (spinlock: the subscriber list, and every subscriber's set).
 */
#ifndef CKPT_WATCH_H
#define CKPT_WATCH_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "ctx.h"
#include "dirty.h"
#include "snap.h"

struct ckpt_watch {
	struct mmu_notifier mn;		/* mn.mm is the mm */
	struct list_head node;		/* in the global list (RCU) */
	struct kref ref;
	spinlock_t lock;		/* see "Locking" above */
	struct list_head subs;		/* struct ckpt_dirty, under lock */
	bool registered;		/* mn is on the mm */
	bool dead;			/* the mm went away */
	bool mod_ref;			/* holds a module reference */
	struct work_struct put_work;
	struct rcu_head rcu;
	struct ckpt_mmsnap snaps;	/* the mm's snapshots (snap.c) */
};

static inline struct ckpt_watch *ckpt_mmsnap_watch(struct ckpt_mmsnap *ms)
{
	return container_of(ms, struct ckpt_watch, snaps);
}

static inline struct ckpt_watch *ckpt_snap_watch(const struct ckpt_snap *s)
{
	return ckpt_mmsnap_watch(s->ms);
}

/* Whether the mm is gone (the watcher lives on until its last put). */
static inline bool ckpt_watch_dead(const struct ckpt_watch *w)
{
	return READ_ONCE(w->dead);
}

/* A reference to the watcher of @mm, made if there is none; or NULL. */
struct ckpt_watch *ckpt_watch_get_or_make(struct mm_struct *mm);
/* A reference to the watcher of @mm, or NULL; any context. */
struct ckpt_watch *ckpt_watch_find(struct mm_struct *mm);
void ckpt_watch_put(struct ckpt_watch *w);
/* Puts the notifier on @mm if it is not there; mmap_lock held for write. */
int ckpt_watch_register(struct ckpt_ctx *ctx, struct ckpt_watch *w,
			struct mm_struct *mm);

/* From here on the notifier marks @d; caller holds w->lock. */
void ckpt_watch_subscribe(struct ckpt_watch *w, struct ckpt_dirty *d);
/* No more marks on @d (if it was subscribed). */
void ckpt_watch_unsubscribe(struct ckpt_watch *w, struct ckpt_dirty *d);
/* Marks whole every subscriber that reads PTEs, but @except. */
void ckpt_watch_mark_unseen(struct ckpt_watch *w,
			    const struct ckpt_dirty *except);

int ckpt_watch_init(void);
void ckpt_watch_exit(void);

#endif /* CKPT_WATCH_H */
