// SPDX-License-Identifier: GPL-2.0
/*
 * Watchers (watch.h): their registry and lifetime, and the MMU notifier
 * that marks the "changed since" sets of snapshots and incremental dumps.
 *
 * A snapshot's pages are write-protected and shared, and so are those a
 * capture of an incremental dump saw, so the task changes one only
 * through the kernel: a COW break, an munmap, madvise, mremap, reclaim,
 * migration.  Each of those calls invalidate_range_start() of the
 * notifiers of the mm, ours included, and only for this mm: every
 * subscriber of the watcher gets the range marked.
 *
 * A watcher referenced (by an mm with snapshots, or a tracker) holds a
 * module reference, so the module cannot be unloaded under it.  The last
 * reference is dropped from our own workqueue, which module exit drains,
 * and the notifier's memory is freed after an SRCU grace period, which
 * module exit waits for (mmu_notifier_synchronize()).
 *
 * Once registered, our notifier stays on the mm until the mm dies or the
 * module goes, even after the last reference was dropped ("idle": no
 * reference, no module reference).  The kernel keeps an mm's notifier
 * bookkeeping for the mm's whole life after a first registration, so
 * mm_has_notifiers() cannot tell a later snapshot or dump that the mm is
 * free of foreign notifiers; our idle notifier on the list can.
 */
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "watch.h"

static LIST_HEAD(watches);		/* RCU readers; writers: watches_mutex */
static DEFINE_MUTEX(watches_mutex);
static struct workqueue_struct *watch_wq;
static bool watch_exiting;		/* under watches_mutex */

/* Off the list and off the mm; caller holds watches_mutex. */
static void watch_unlist(struct ckpt_watch *w)
{
	lockdep_assert_held(&watches_mutex);
	list_del_rcu(&w->node);
	atomic_long_dec(&ckpt_stats.snap_mms);
	if (w->registered) {
		/* Frees w through watch_free() after an SRCU period. */
		mmu_notifier_put(&w->mn);
	} else {
		mmdrop(w->mn.mm);
		kfree_rcu(w, rcu);
	}
}

static void watch_put_work(struct work_struct *work)
{
	struct ckpt_watch *w = container_of(work, struct ckpt_watch, put_work);
	bool mod_ref;

	mutex_lock(&watches_mutex);
	/* Made live again by ckpt_watch_get_or_make() meanwhile. */
	if (kref_read(&w->ref)) {
		mutex_unlock(&watches_mutex);
		return;
	}
	mod_ref = w->mod_ref;
	w->mod_ref = false;
	if (!w->registered || READ_ONCE(w->dead))
		watch_unlist(w);
	mutex_unlock(&watches_mutex);
	/* Module exit drains this workqueue: nothing runs after us here. */
	if (mod_ref)
		module_put(THIS_MODULE);
}

static void watch_free(struct mmu_notifier *mn)
{
	struct ckpt_watch *w = container_of(mn, struct ckpt_watch, mn);

	/* Drops the reference taken when w was made; the notifier's own
	 * mmgrab() is dropped by the caller.
	 */
	mmdrop(w->mn.mm);
	kfree_rcu(w, rcu);
}

static void watch_release_ref(struct kref *ref)
{
	struct ckpt_watch *w = container_of(ref, struct ckpt_watch, ref);

	queue_work(watch_wq, &w->put_work);
}

void ckpt_watch_put(struct ckpt_watch *w)
{
	kref_put(&w->ref, watch_release_ref);
}

struct ckpt_watch *ckpt_watch_find(struct mm_struct *mm)
{
	struct ckpt_watch *w, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(w, &watches, node) {
		if (w->mn.mm == mm && kref_get_unless_zero(&w->ref)) {
			found = w;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

bool ckpt_mm_notifier_ours(struct mm_struct *mm)
{
	struct ckpt_watch *w;
	bool ours = false;

	/* An idle watcher counts too: it has no reference to take. */
	rcu_read_lock();
	list_for_each_entry_rcu(w, &watches, node) {
		if (w->mn.mm == mm && w->registered && !READ_ONCE(w->dead)) {
			ours = true;
			break;
		}
	}
	rcu_read_unlock();
	return ours;
}

static const struct mmu_notifier_ops watch_ops;

struct ckpt_watch *ckpt_watch_get_or_make(struct mm_struct *mm)
{
	struct ckpt_watch *w;

	mutex_lock(&watches_mutex);
	list_for_each_entry(w, &watches, node) {
		if (w->mn.mm != mm || READ_ONCE(w->dead))
			continue;
		if (kref_get_unless_zero(&w->ref))
			goto out;
		if (!w->registered)
			continue;	/* going: a new one is made */
		/* Idle, or its put_work is still to run: live again. */
		kref_init(&w->ref);
		if (!w->mod_ref) {
			__module_get(THIS_MODULE);
			w->mod_ref = true;
		}
		goto out;
	}
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		goto out;
	kref_init(&w->ref);
	spin_lock_init(&w->lock);
	INIT_LIST_HEAD(&w->subs);
	INIT_WORK(&w->put_work, watch_put_work);
	ckpt_mmsnap_init(&w->snaps);
	w->mn.ops = &watch_ops;
	/* Set here for lookups; the notifier sets it again when registered. */
	w->mn.mm = mm;
	mmgrab(mm);
	__module_get(THIS_MODULE);
	w->mod_ref = true;
	list_add_rcu(&w->node, &watches);
	atomic_long_inc(&ckpt_stats.snap_mms);
out:
	mutex_unlock(&watches_mutex);
	return w;
}

/*
 * The mm is being torn down (exit, exec): its snapshots go with it.  Any
 * ioctl on this mm holds an mm_users reference, so none runs now.  The
 * trackers stay subscribed: they see the death at their next capture.
 */
static void watch_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct ckpt_watch *w = container_of(mn, struct ckpt_watch, mn);

	mutex_lock(&watches_mutex);
	WRITE_ONCE(w->dead, true);
	if (!kref_read(&w->ref) && !w->mod_ref) {
		/* Idle: nobody else can reach it (module exit unlisted it). */
		if (!watch_exiting)
			watch_unlist(w);
		mutex_unlock(&watches_mutex);
		return;
	}
	mutex_unlock(&watches_mutex);
	ckpt_mmsnap_release(&w->snaps);
}

static int watch_invalidate(struct mmu_notifier *mn,
			    const struct mmu_notifier_range *range)
{
	struct ckpt_watch *w = container_of(mn, struct ckpt_watch, mn);
	struct ckpt_dirty *d;

	spin_lock(&w->lock);
	list_for_each_entry(d, &w->subs, node)
		ckpt_dirty_mark(d, range->start, range->end);
	spin_unlock(&w->lock);
	return 0;
}

static const struct mmu_notifier_ops watch_ops = {
	.release		= watch_release,
	.invalidate_range_start	= watch_invalidate,
	.free_notifier		= watch_free,
};

int ckpt_watch_register(struct ckpt_ctx *ctx, struct ckpt_watch *w,
			struct mm_struct *mm)
{
	int ret;

	mmap_assert_write_locked(mm);
	if (w->registered)
		return 0;
	/* A device or VM mirroring this mm would not see our COW. */
	if (mm_has_notifiers(mm))
		return ckpt_err(ctx, -EBUSY,
				"the process's memory is mirrored by a device or VM (MMU notifiers): not supported");
	ret = __mmu_notifier_register(&w->mn, mm);
	if (ret)
		return ckpt_err(ctx, ret, "cannot watch the process's memory");
	/* The notifier's mmgrab() is separate from ours. */
	w->registered = true;
	return 0;
}

void ckpt_watch_subscribe(struct ckpt_watch *w, struct ckpt_dirty *d)
{
	lockdep_assert_held(&w->lock);
	d->lock = &w->lock;
	list_add_tail(&d->node, &w->subs);
}

void ckpt_watch_unsubscribe(struct ckpt_watch *w, struct ckpt_dirty *d)
{
	spin_lock(&w->lock);
	list_del_init(&d->node);
	spin_unlock(&w->lock);
}

void ckpt_watch_mark_unseen(struct ckpt_watch *w,
			    const struct ckpt_dirty *except)
{
	struct ckpt_dirty *d;

	spin_lock(&w->lock);
	list_for_each_entry(d, &w->subs, node)
		if (d != except && d->reads_ptes)
			ckpt_dirty_mark_all(d);
	spin_unlock(&w->lock);
}

int ckpt_watch_init(void)
{
	watch_wq = alloc_workqueue("ckpt_snap", 0, 0);
	return watch_wq ? 0 : -ENOMEM;
}

void ckpt_watch_exit(void)
{
	struct ckpt_watch *w, *tmp;

	/*
	 * No reference is left (each holds a module reference), and no
	 * put_work is pending: every watcher left is idle.
	 */
	mutex_lock(&watches_mutex);
	watch_exiting = true;
	list_for_each_entry_safe(w, tmp, &watches, node)
		watch_unlist(w);
	mutex_unlock(&watches_mutex);
	destroy_workqueue(watch_wq);
	mmu_notifier_synchronize();
	rcu_barrier();
}
