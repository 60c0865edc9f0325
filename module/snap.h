/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-memory snapshots: checkpoints that stay in the kernel and are applied
 * back onto the same process (DESIGN.md, sections 4 and 5a).
 *
 * Objects and their lifetimes:
 *
 *   ckpt_mmsnap  one per mm that has had snapshots.  It carries our MMU
 *                notifier on that mm (the dirty tracker, and the news of
 *                the mm's death), a module reference while it has
 *                snapshots, and the list of snapshots.  Once its last
 *                reference goes it stays, idle, until the mm dies or the
 *                module goes (snap.c says why); then it is freed through
 *                mmu_notifier_put().
 *   ckpt_snap    one snapshot: a ckpt_ctx in buffering mode (metadata
 *                records in hbuf chunks, COW page references in the page
 *                set, the VMA list), the fd table's open files, and the
 *                dirty state the notifier keeps for it.
 *
 * Locking, outermost first:
 *   ms->mutex    snapshot, rollback, drop and release on one mm
 *   mmap_lock    of that mm
 *   ms->lock     (spinlock) the snapshot list against the notifier, and
 *                every snapshot's dirty state
 */
#ifndef CKPT_SNAP_H
#define CKPT_SNAP_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/task_work.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>

#include "apply.h"
#include "ctx.h"
#include "fds.h"

/* A range of addresses, [start, end). */
struct ckpt_hole {
	unsigned long start, end;
};

#define CKPT_AFL_MAX_RANGES	16

struct ckpt_mmsnap {
	struct mmu_notifier mn;		/* mn.mm is the mm */
	struct list_head node;		/* in the global list (RCU) */
	struct kref ref;
	struct mutex mutex;		/* see "Locking" above */
	spinlock_t lock;		/* see "Locking" above */
	struct list_head snaps;		/* under both mutex and lock */
	struct list_head tracks;	/* incremental dumps, under lock */
	u32 next_id;
	unsigned int nr_snaps;
	unsigned int nr_exit;		/* snapshots with CKPT_SNAP_EXIT */
	bool registered;		/* mn is on the mm */
	bool dead;			/* the mm went away */
	bool mod_ref;			/* holds a module reference */
	/* Exit-time rollback (snap_exit.c), queued by the sys_enter probe. */
	struct callback_head exit_work;
	int exit_queued;		/* exit_work is pending (xchg) */
	long exit_nr;			/* the syscall it replaced */
	sigset_t exit_mask;		/* the blocked mask before it */
	/* AFL-Snapshot-LKM's one snapshot, and the ranges it leaves alone. */
	u32 afl_id;
	unsigned int nr_excl;
	struct ckpt_hole excl[CKPT_AFL_MAX_RANGES];
	struct work_struct put_work;
	struct rcu_head rcu;
};

struct ckpt_snap {
	struct list_head node;		/* in ms->snaps */
	refcount_t ref;
	struct ckpt_mmsnap *ms;		/* referenced */
	struct ckpt_ctx *ctx;
	u32 id;
	u32 flags;			/* CKPT_SNAP_* */
	bool self;			/* taken by the process on itself */
	bool afl;			/* through /dev/afl_snapshot */
	long rb_ret;			/* self: what the snapshot call returns again */
	kuid_t uid;			/* the user its pages are charged to */
	unsigned long charged;
	u64 rollbacks;

	/* Records inside ctx->hb. */
	const struct ckpt_rec_cpu *cpu;
	const struct ckpt_rec_xstate *xstate;
	const struct ckpt_rec_sighand *sighand;
	const struct ckpt_rec_signal *signal;

	/* Dirty state, under ms->lock: slots of ctx->ps whose page changed. */
	unsigned long *dirty;		/* one bit per slot */
	unsigned int *dlist;		/* the set bits, while they fit */
	unsigned int nr_dlist, cap_dlist;
	bool doverflow;			/* dlist is incomplete: scan dirty */
	/*
	 * Slots whose page a rollback found DMA-pinned (pinned after the
	 * capture; those pinned before are ctx->ps.copied): a device writes
	 * them without a fault, so they stay marked.  Under ms->mutex.
	 */
	unsigned long *pinned;
	unsigned long nr_pinned;

	struct ckpt_hole *holes;
	unsigned long nr_holes;

	struct ckpt_fds fds;		/* the fd table, files held */
	unsigned int *scratch;		/* rollback: fds open now */
	unsigned long cap_scratch;
};

/* What one rollback did. */
struct ckpt_rb_stats {
	u64 pages_copied;
	u64 pages_zapped;
	u32 vmas_unmapped;
	u32 vmas_restored;
	u64 ns;
};

/* An external rollback queued to run in the target (CKPT_RB_WAIT). */
struct ckpt_rb_req {
	struct callback_head work;
	struct kref ref;
	struct completion done;
	struct ckpt_snap *snap;		/* referenced */
	int result;
	struct ckpt_rb_stats st;
	char errmsg[128];
};

/* snap.c */
int ckpt_snap_take(struct ckpt_snapshot *a, bool afl);
/* Caller holds ms->mutex; the list's reference passes to the caller. */
void ckpt_snap_unlink(struct ckpt_mmsnap *ms, struct ckpt_snap *s);
struct ckpt_mmsnap *ckpt_mmsnap_get_or_make(struct mm_struct *mm);
struct ckpt_mmsnap *ckpt_mmsnap_find(struct mm_struct *mm);
void ckpt_mmsnap_put(struct ckpt_mmsnap *ms);
struct ckpt_snap *ckpt_snap_find(struct ckpt_mmsnap *ms, u32 id);
void ckpt_snap_put(struct ckpt_snap *s);
bool ckpt_mm_notifier_ours(struct mm_struct *mm);
/* Puts our notifier on @mm if it is not there; mmap_lock held for write. */
int ckpt_mmsnap_watch(struct ckpt_ctx *ctx, struct ckpt_mmsnap *ms,
		      struct mm_struct *mm);
/* Notifier callbacks: the mm goes away; the notifier's memory may go. */
void ckpt_mmsnap_release(struct mmu_notifier *mn, struct mm_struct *mm);
void ckpt_mmsnap_free(struct mmu_notifier *mn);

/* snap_dirty.c: the MMU notifier and the dirty state. */
extern const struct mmu_notifier_ops ckpt_snap_mn_ops;
int ckpt_snap_dirty_alloc(struct ckpt_snap *s);
void ckpt_snap_dirty_free(struct ckpt_snap *s);
void ckpt_snap_mark(struct ckpt_snap *s, unsigned long start,
		    unsigned long end);
void ckpt_snap_dirty_clear(struct ckpt_snap *s);
int ckpt_snap_holes(struct ckpt_snap *s);
/* Lets go of held pages in ms->excl ranges; ms->mutex held. */
void ckpt_snap_exclude(struct ckpt_snap *s);
/* Whether [start, end) overlaps one of ms->excl. */
bool ckpt_snap_excluded(const struct ckpt_mmsnap *ms, unsigned long start,
			unsigned long end);
/* The address of page slot @idx of the page set. */
unsigned long ckpt_pgset_addr(const struct pgset *ps, unsigned long idx);

/* snap_files.c: the fd table. */
int ckpt_snap_files_hold(struct ckpt_snap *s, struct task_struct *t);
void ckpt_snap_files_release(struct ckpt_snap *s);
int ckpt_snap_files_rewind(struct ckpt_snap *s);

/* rollback.c: all but registers, in current's context; ms->mutex held. */
int ckpt_snap_rewind_current(struct ckpt_snap *s, struct ckpt_rb_stats *st);
void ckpt_snap_kill_current(struct ckpt_snap *s, int err);
/* Registers of current for @s, so that its return to user mode lands there. */
long ckpt_snap_regs_current(struct ckpt_snap *s);

/* rollback.c */
/* 0 and the value for ax, or -errno with nothing changed (or killed). */
int ckpt_snap_rollback_self(struct ckpt_rollback *a, long *ax);

/* snap_exit.c: rollback at exit()/exit_group() for CKPT_SNAP_EXIT. */
int ckpt_snap_exit_get(void);
void ckpt_snap_exit_put(void);
/* The newest CKPT_SNAP_EXIT snapshot of @ms, or NULL; ms->mutex held. */
struct ckpt_snap *ckpt_snap_exit_find(struct ckpt_mmsnap *ms);

#endif /* CKPT_SNAP_H */
