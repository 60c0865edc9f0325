/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-memory snapshots: checkpoints that stay in the kernel and are applied
 * back onto the same process (DESIGN.md, sections 4 and 5a).
 *
 * Objects and their lifetimes:
 *
 *   ckpt_mmsnap  one per mm that has had snapshots: the list of them, and
 *                the state of exit-time and AFL rollback.  It is part of
 *                the mm's watcher (watch.h), whose lifetime it shares: it
 *                stays, idle, after its last snapshot, until the mm dies
 *                or the module goes.
 *   ckpt_snap    one snapshot: a ckpt_ctx in buffering mode (metadata
 *                records in hbuf chunks, COW page references in the page
 *                set, the VMA list), the fd table's open files, and the
 *                slots whose page changed since (its "changed since" set,
 *                subscribed to the watcher).
 *
 * Locking, outermost first:
 *   ms->mutex    snapshot, rollback, drop and release on one mm; the list
 *   mmap_lock    of that mm
 *   w->lock      (the watcher's spinlock) every snapshot's changed set
 */
#ifndef CKPT_SNAP_H
#define CKPT_SNAP_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/task_work.h>
#include <linux/uidgid.h>

#include "apply.h"
#include "ctx.h"
#include "dirty.h"
#include "fds.h"

/* A range of addresses, [start, end). */
struct ckpt_hole {
	unsigned long start, end;
};

#define CKPT_AFL_MAX_RANGES	16

struct ckpt_mmsnap {
	struct mutex mutex;		/* see "Locking" above */
	struct list_head snaps;		/* under mutex */
	u32 next_id;
	unsigned int nr_snaps;
	unsigned int nr_exit;		/* snapshots with CKPT_SNAP_EXIT */
	/* Exit-time rollback (snap_exit.c), queued by the sys_enter probe. */
	struct callback_head exit_work;
	int exit_queued;		/* exit_work is pending (xchg) */
	long exit_nr;			/* the syscall it replaced */
	sigset_t exit_mask;		/* the blocked mask before it */
	pid_t exit_pass;		/* this thread's next exit is not probed */
	/* AFL-Snapshot-LKM's one snapshot, and the ranges it leaves alone. */
	u32 afl_id;
	unsigned int nr_excl;
	struct ckpt_hole excl[CKPT_AFL_MAX_RANGES];
};

struct ckpt_seccomp_mark {
	int mode;
	const void *filter;		/* compared, never followed */
};

struct ckpt_snap {
	struct list_head node;		/* in ms->snaps */
	refcount_t ref;
	struct ckpt_mmsnap *ms;		/* referenced (its watcher) */
	struct ckpt_ctx *ctx;
	u32 id;
	u32 flags;			/* CKPT_SNAP_* */
	bool self;			/* taken by the process on itself */
	pid_t self_tid;			/* self: the thread that took it */
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
	/*
	 * A multi-threaded process's THREAD records, the leader's first, by
	 * tid (kvmalloc'd array); 0 and NULL for a single-threaded one.
	 */
	const struct ckpt_rec_thread **threads;
	unsigned int nr_threads;
	/* start_time of each (same order), so that a reused tid is told apart. */
	u64 *thread_start;
	/*
	 * Each thread's seccomp mode and filter, the leader's first, by tid:
	 * a rollback cannot take a filter off, so it refuses one added since.
	 */
	struct ckpt_seccomp_mark *seccomp;

	/* Slots of ctx->ps whose page changed, under the watcher's lock. */
	struct ckpt_dirty changed;
	/*
	 * Slots whose page a rollback found DMA-pinned (pinned after the
	 * capture; those pinned before are ctx->ps.copied): a device writes
	 * them without a fault, so they stay marked.  Under ms->mutex.
	 */
	unsigned long *pinned;
	unsigned long nr_pinned;

	struct ckpt_hole *holes;
	unsigned long nr_holes;

	struct ckpt_fds fds;		/* the fd table, files held (files.c) */
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
int ckpt_snap_capture(struct ckpt_snapshot *a, bool afl);
/* Caller holds ms->mutex; the list's reference passes to the caller. */
void ckpt_snap_unlink(struct ckpt_mmsnap *ms, struct ckpt_snap *s);
/* References to the snapshot state of @mm (its watcher's). */
struct ckpt_mmsnap *ckpt_mmsnap_get_or_make(struct mm_struct *mm);
struct ckpt_mmsnap *ckpt_mmsnap_find(struct mm_struct *mm);
void ckpt_mmsnap_put(struct ckpt_mmsnap *ms);
/* Called by the watcher: when it is made, and when the mm goes away. */
void ckpt_mmsnap_init(struct ckpt_mmsnap *ms);
void ckpt_mmsnap_release(struct ckpt_mmsnap *ms);
struct ckpt_snap *ckpt_snap_find(struct ckpt_mmsnap *ms, u32 id);
void ckpt_snap_put(struct ckpt_snap *s);
/* The notifier saw [start, end) change; the watcher's lock held. */
void ckpt_snap_mark(struct ckpt_snap *s, unsigned long start,
		    unsigned long end);
/*
 * Every slot matches again, but those a device may write without a fault
 * (ps->copied, s->pinned); the watcher's lock held.
 */
void ckpt_snap_dirty_clear(struct ckpt_snap *s);

/* afl_compat.c */
/* Lets go of held pages in ms->excl ranges; ms->mutex held. */
void ckpt_snap_exclude(struct ckpt_snap *s);
/* Whether [start, end) overlaps one of ms->excl. */
bool ckpt_snap_excluded(const struct ckpt_mmsnap *ms, unsigned long start,
			unsigned long end);

/*
 * rollback.c: all but registers, in current's context; ms->mutex held.
 * @own: the signal record of current's own mask and altstack.
 */
int ckpt_rollback_current(struct ckpt_snap *s, const struct ckpt_rec_signal *own,
			  struct ckpt_rb_stats *st);
void ckpt_snap_kill_current(struct ckpt_snap *s, int err);
/* Registers of current for @s, so that its return to user mode lands there. */
long ckpt_snap_regs_current(struct ckpt_snap *s);

/* rollback.c */
/* 0 and the value for ax, or -errno with nothing changed (or killed). */
int ckpt_snap_rollback_self(struct ckpt_rollback *a, long *ax);
/*
 * recs[i - 1]: the THREAD record of thread i of @ctx (the leader is 0),
 * NULL for one born since @s; -EBUSY if a thread of @s has ended.
 */
int ckpt_snap_same_threads(struct ckpt_ctx *ctx, const struct ckpt_snap *s,
			   const struct ckpt_rec_thread **recs);
/* -EBUSY if @t, thread @j of @s, has changed its seccomp state since. */
int ckpt_snap_same_seccomp(struct ckpt_ctx *ctx, const struct ckpt_snap *s,
			   unsigned int j, struct task_struct *t);
/* Current's own mask and altstack, from @r (NULL: the leader's). */
void ckpt_snap_resume_thread(struct ckpt_snap *s,
			     const struct ckpt_rec_thread *r);
/* Current, born since @s: nothing of it stays, and it runs exit(0). */
void ckpt_snap_born_forget(void);
bool ckpt_snap_born_exit(const struct ckpt_snap *s);

/*
 * rollback_group.c: current rolls its process back to @s while it has
 * other threads, or @s had: 0 and the value for ax, or -errno with
 * nothing changed, or the process killed.  ms->mutex held.
 */
int ckpt_rollback_group(struct ckpt_snap *s, long *ax,
			struct ckpt_rb_stats *st);

/* snap_exit.c: rollback at exit()/exit_group() for CKPT_SNAP_EXIT. */
int ckpt_snap_exit_get(void);
void ckpt_snap_exit_put(void);
void ckpt_snap_exit_cleanup(void);
/* The newest CKPT_SNAP_EXIT snapshot of @ms, or NULL; ms->mutex held. */
struct ckpt_snap *ckpt_snap_exit_find(struct ckpt_mmsnap *ms);

#endif /* CKPT_SNAP_H */
