// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots: their registry and lifetime, CKPT_IOC_SNAPSHOT, _DROP and
 * _LIST (rollback is in rollback.c).
 *
 * A snapshot belongs to an mm, never to an open file of /dev/ckpt: it
 * lives until it is dropped or the mm dies (exit, exec).  A fork()ed child
 * has another mm, so it has none of its parent's snapshots.
 *
 * Every mm with snapshots holds a module reference, so the module cannot
 * be unloaded under them.  The last reference is dropped from our own
 * workqueue, which module exit drains, and the notifier's memory is freed
 * after an SRCU grace period, which module exit waits for
 * (mmu_notifier_synchronize()).
 *
 * Once registered, our notifier stays on the mm until the mm dies or the
 * module goes, even after the last snapshot was dropped ("idle": no
 * reference, no module reference).  The kernel keeps an mm's notifier
 * bookkeeping for the mm's whole life after a first registration, so
 * mm_has_notifiers() cannot tell a later snapshot or dump that the mm is
 * free of foreign notifiers; our idle notifier on the list can.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rculist.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "snap.h"

static LIST_HEAD(snap_mms);		/* RCU readers; writers: snap_mms_mutex */
static DEFINE_MUTEX(snap_mms_mutex);
static struct workqueue_struct *snap_wq;
static bool snap_exiting;		/* under snap_mms_mutex */

/* Pages held per user, for the max_user_pages cap. */
struct ckpt_user {
	struct list_head node;
	kuid_t uid;
	unsigned long pages;
};

static LIST_HEAD(snap_users);
static DEFINE_SPINLOCK(snap_users_lock);

static unsigned long user_cap(void)
{
	return ckpt_max_user_pages ?: totalram_pages() / 2;
}

static struct ckpt_user *user_find(kuid_t uid)
{
	struct ckpt_user *u;

	list_for_each_entry(u, &snap_users, node)
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

static int user_charge(struct ckpt_ctx *ctx, kuid_t uid, unsigned long n)
{
	struct ckpt_user *u, *nu = kzalloc(sizeof(*nu), GFP_KERNEL);
	unsigned long cap = user_cap(), held;

	if (!nu)
		return -ENOMEM;
	spin_lock(&snap_users_lock);
	u = user_find(uid);
	held = u ? u->pages : 0;
	if (held + n > cap) {
		spin_unlock(&snap_users_lock);
		kfree(nu);
		return ckpt_err(ctx, -ENOSPC,
				"the snapshot would hold %lu pages and user %u already holds %lu: over max_user_pages=%lu",
				n, from_kuid(&init_user_ns, uid), held, cap);
	}
	if (!u) {
		u = nu;
		nu = NULL;
		u->uid = uid;
		list_add(&u->node, &snap_users);
	}
	u->pages += n;
	spin_unlock(&snap_users_lock);
	kfree(nu);
	return 0;
}

static void user_uncharge(kuid_t uid, unsigned long n)
{
	struct ckpt_user *u;

	if (!n)
		return;
	spin_lock(&snap_users_lock);
	u = user_find(uid);
	if (u) {
		u->pages -= min(n, u->pages);
		if (!u->pages) {
			list_del(&u->node);
			kfree(u);
		}
	}
	spin_unlock(&snap_users_lock);
}

static void snap_free(struct ckpt_snap *s)
{
	if (s->flags & CKPT_SNAP_EXIT && s->id)
		ckpt_snap_exit_put();
	ckpt_snap_files_release(s);
	ckpt_snap_dirty_free(s);
	user_uncharge(s->uid, s->charged);
	ckpt_ctx_free(s->ctx);
	if (s->ms)
		ckpt_mmsnap_put(s->ms);
	kfree(s);
	atomic_long_dec(&ckpt_stats.snapshots);
}

void ckpt_snap_put(struct ckpt_snap *s)
{
	if (refcount_dec_and_test(&s->ref))
		snap_free(s);
}

/* Caller holds ms->mutex. */
struct ckpt_snap *ckpt_snap_find(struct ckpt_mmsnap *ms, u32 id)
{
	struct ckpt_snap *s;

	lockdep_assert_held(&ms->mutex);
	list_for_each_entry(s, &ms->snaps, node)
		if (s->id == id)
			return s;
	return NULL;
}

void ckpt_snap_unlink(struct ckpt_mmsnap *ms, struct ckpt_snap *s)
{
	lockdep_assert_held(&ms->mutex);
	spin_lock(&ms->lock);
	list_del_init(&s->node);
	spin_unlock(&ms->lock);
	ms->nr_snaps--;
	if (s->flags & CKPT_SNAP_EXIT)
		ms->nr_exit--;
	if (s->id == ms->afl_id)
		ms->afl_id = 0;
}

/* Off the list and off the mm; caller holds snap_mms_mutex. */
static void mmsnap_unlist(struct ckpt_mmsnap *ms)
{
	lockdep_assert_held(&snap_mms_mutex);
	list_del_rcu(&ms->node);
	atomic_long_dec(&ckpt_stats.snap_mms);
	if (ms->registered) {
		/* Frees ms through ckpt_mmsnap_free() after an SRCU period. */
		mmu_notifier_put(&ms->mn);
	} else {
		mmdrop(ms->mn.mm);
		kfree_rcu(ms, rcu);
	}
}

static void mmsnap_put_work(struct work_struct *w)
{
	struct ckpt_mmsnap *ms = container_of(w, struct ckpt_mmsnap, put_work);
	bool mod_ref;

	mutex_lock(&snap_mms_mutex);
	/* Made live again by ckpt_mmsnap_get_or_make() meanwhile. */
	if (kref_read(&ms->ref)) {
		mutex_unlock(&snap_mms_mutex);
		return;
	}
	mod_ref = ms->mod_ref;
	ms->mod_ref = false;
	if (!ms->registered || READ_ONCE(ms->dead))
		mmsnap_unlist(ms);
	mutex_unlock(&snap_mms_mutex);
	/* Module exit drains this workqueue: nothing runs after us here. */
	if (mod_ref)
		module_put(THIS_MODULE);
}

void ckpt_mmsnap_free(struct mmu_notifier *mn)
{
	struct ckpt_mmsnap *ms = container_of(mn, struct ckpt_mmsnap, mn);

	/* Drops the reference taken when ms was made; the notifier's own
	 * mmgrab() is dropped by the caller.
	 */
	mmdrop(ms->mn.mm);
	kfree_rcu(ms, rcu);
}

static void mmsnap_release_ref(struct kref *ref)
{
	struct ckpt_mmsnap *ms = container_of(ref, struct ckpt_mmsnap, ref);

	queue_work(snap_wq, &ms->put_work);
}

void ckpt_mmsnap_put(struct ckpt_mmsnap *ms)
{
	kref_put(&ms->ref, mmsnap_release_ref);
}

/* A reference to the snapshot state of @mm, or NULL. */
struct ckpt_mmsnap *ckpt_mmsnap_find(struct mm_struct *mm)
{
	struct ckpt_mmsnap *ms, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(ms, &snap_mms, node) {
		if (ms->mn.mm == mm && kref_get_unless_zero(&ms->ref)) {
			found = ms;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

bool ckpt_mm_notifier_ours(struct mm_struct *mm)
{
	struct ckpt_mmsnap *ms;
	bool ours = false;

	/* An idle ckpt_mmsnap counts too: it has no reference to take. */
	rcu_read_lock();
	list_for_each_entry_rcu(ms, &snap_mms, node) {
		if (ms->mn.mm == mm && ms->registered &&
		    !READ_ONCE(ms->dead)) {
			ours = true;
			break;
		}
	}
	rcu_read_unlock();
	return ours;
}

struct ckpt_mmsnap *ckpt_mmsnap_get_or_make(struct mm_struct *mm)
{
	struct ckpt_mmsnap *ms;

	mutex_lock(&snap_mms_mutex);
	list_for_each_entry(ms, &snap_mms, node) {
		if (ms->mn.mm != mm || READ_ONCE(ms->dead))
			continue;
		if (kref_get_unless_zero(&ms->ref))
			goto out;
		if (!ms->registered)
			continue;	/* going: a new one is made */
		/* Idle, or its put_work is still to run: live again. */
		kref_init(&ms->ref);
		if (!ms->mod_ref) {
			__module_get(THIS_MODULE);
			ms->mod_ref = true;
		}
		goto out;
	}
	ms = kzalloc(sizeof(*ms), GFP_KERNEL);
	if (!ms)
		goto out;
	kref_init(&ms->ref);
	mutex_init(&ms->mutex);
	spin_lock_init(&ms->lock);
	INIT_LIST_HEAD(&ms->snaps);
	INIT_LIST_HEAD(&ms->tracks);
	INIT_WORK(&ms->put_work, mmsnap_put_work);
	ms->mn.ops = &ckpt_snap_mn_ops;
	/* Set here for lookups; the notifier sets it again when registered. */
	ms->mn.mm = mm;
	mmgrab(mm);
	__module_get(THIS_MODULE);
	ms->mod_ref = true;
	list_add_rcu(&ms->node, &snap_mms);
	atomic_long_inc(&ckpt_stats.snap_mms);
out:
	mutex_unlock(&snap_mms_mutex);
	return ms;
}

/*
 * The mm is being torn down (exit, exec): its snapshots go with it.  Any
 * ioctl on this mm holds an mm_users reference, so none runs now.
 */
void ckpt_mmsnap_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct ckpt_mmsnap *ms = container_of(mn, struct ckpt_mmsnap, mn);
	struct ckpt_snap *s, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&snap_mms_mutex);
	WRITE_ONCE(ms->dead, true);
	if (!kref_read(&ms->ref) && !ms->mod_ref) {
		/* Idle: nobody else can reach it (module exit unlisted it). */
		if (!snap_exiting)
			mmsnap_unlist(ms);
		mutex_unlock(&snap_mms_mutex);
		return;
	}
	mutex_unlock(&snap_mms_mutex);
	mutex_lock(&ms->mutex);
	spin_lock(&ms->lock);
	list_splice_init(&ms->snaps, &dead);
	spin_unlock(&ms->lock);
	ms->nr_snaps = 0;
	ms->nr_exit = 0;
	mutex_unlock(&ms->mutex);
	list_for_each_entry_safe(s, tmp, &dead, node) {
		list_del_init(&s->node);
		ckpt_snap_put(s);
	}
}

/* Walks the records of a buffering hbuf for the ones rollback needs. */
static void find_records(struct ckpt_snap *s)
{
	struct hbuf_chunk *c;
	struct ckpt_hdr *h;
	size_t off;

	for (c = s->ctx->hb.head; c; c = c->next) {
		for (off = 0; off + sizeof(*h) <= c->used; off += h->len) {
			h = (struct ckpt_hdr *)(c->data + off);
			if (!h->len)
				break;
			if (h->type == CKPT_REC_CPU && !s->cpu)
				s->cpu = (const void *)h;
			else if (h->type == CKPT_REC_XSTATE && !s->xstate)
				s->xstate = (const void *)h;
			else if (h->type == CKPT_REC_SIGHAND && !s->sighand)
				s->sighand = (const void *)h;
			else if (h->type == CKPT_REC_SIGNAL && !s->signal)
				s->signal = (const void *)h;
		}
	}
}

int ckpt_mmsnap_watch(struct ckpt_ctx *ctx, struct ckpt_mmsnap *ms,
		      struct mm_struct *mm)
{
	int ret;

	mmap_assert_write_locked(mm);
	if (ms->registered)
		return 0;
	/* A device or VM mirroring this mm would not see our COW. */
	if (mm_has_notifiers(mm))
		return ckpt_err(ctx, -EBUSY,
				"the process's memory is mirrored by a device or VM (MMU notifiers): not supported");
	ret = __mmu_notifier_register(&ms->mn, mm);
	if (ret)
		return ckpt_err(ctx, ret, "cannot watch the process's memory");
	/* The notifier's mmgrab() is separate from ours. */
	ms->registered = true;
	return 0;
}

int ckpt_snap_locked(struct ckpt_ctx *ctx, struct mm_struct *mm, bool end)
{
	struct ckpt_snap *s = ctx->snap;
	struct ckpt_mmsnap *ms = s->ms;
	int ret;

	if (!end)
		return ckpt_mmsnap_watch(ctx, ms, mm);
	ret = ckpt_snap_dirty_alloc(s);
	if (!ret)
		ret = ckpt_snap_holes(s);
	if (ret)
		return ret;
	/* From here on every change to a held page is marked. */
	spin_lock(&ms->lock);
	list_add_tail(&s->node, &ms->snaps);
	spin_unlock(&ms->lock);
	return 0;
}

/* The caller as its own target: single-threaded, owning its memory. */
static int self_target(struct ckpt_ctx *ctx)
{
	if (get_nr_threads(current) != 1)
		return ckpt_err(ctx, -EBUSY,
				"multi-threaded processes are not supported yet");
	if (atomic_read(&current->mm->mm_users) > 1)
		return ckpt_err(ctx, -EBUSY,
				"the process shares its memory with another task (vfork child, io_uring or vhost worker)");
	ctx->task = get_task_struct(current);
	mmget(current->mm);
	ctx->mm = current->mm;
	return 0;
}

static int capture(struct ckpt_snap *s, const struct ckpt_snapshot *a)
{
	struct ckpt_ctx *ctx = s->ctx;
	int ret;

	hbuf_init(&ctx->hb, HBUF_BUFFER, ckpt_chunk_size, NULL);
	ret = hbuf_prealloc(&ctx->hb, hbuf_hint_get((unsigned long)ctx->mm));
	if (!ret)
		ret = ckpt_cpu_capture(ctx);
	if (!ret)
		ret = ckpt_signal_capture(ctx);
	if (ret)
		return ret;
	ctx->snap = s;
	ret = ckpt_mm_capture(ctx);
	ctx->snap = NULL;
	if (ret)
		return ret;
	/* On the list now: a later failure must take it off again. */
	ret = ckpt_snap_files_hold(s, ctx->task);
	if (!ret)
		ret = user_charge(ctx, s->uid, ctx->ps.nr_refs);
	if (!ret)
		s->charged = ctx->ps.nr_refs;
	return ret;
}

static int snapshot(struct ckpt_snapshot *a, struct ckpt_snap *s)
{
	struct ckpt_ctx *ctx = s->ctx;
	struct ckpt_mmsnap *ms;
	u64 t0 = ktime_get_ns();
	int ret;

	ret = a->pid ? ckpt_target_get(ctx, a->pid) : self_target(ctx);
	if (ret)
		return ret;
	ms = ckpt_mmsnap_get_or_make(ctx->mm);
	if (!ms)
		return -ENOMEM;
	s->ms = ms;
	mutex_lock(&ms->mutex);
	ret = capture(s, a);
	if (ret) {
		/* The mm lock is not held: the notifier may look at s. */
		spin_lock(&ms->lock);
		list_del_init(&s->node);
		spin_unlock(&ms->lock);
		mutex_unlock(&ms->mutex);
		return ret;
	}
	if (s->flags & CKPT_SNAP_EXIT) {
		ret = ckpt_snap_exit_get();
		if (ret) {
			spin_lock(&ms->lock);
			list_del_init(&s->node);
			spin_unlock(&ms->lock);
			mutex_unlock(&ms->mutex);
			return ckpt_err(ctx, ret, "cannot watch for exit: %d", ret);
		}
	}
	s->id = ++ms->next_id ?: ++ms->next_id;
	s->self = !a->pid;
	/* AFL-Snapshot-LKM's take returns 1, then 0 once restored. */
	s->rb_ret = s->afl ? 0 : s->id;
	if (s->afl) {
		ckpt_snap_exclude(s);
		ms->afl_id = s->id;
	}
	ms->nr_snaps++;
	if (s->flags & CKPT_SNAP_EXIT)
		ms->nr_exit++;
	find_records(s);
	hbuf_hint_set((unsigned long)ctx->mm, hbuf_used(&ctx->hb));
	mutex_unlock(&ms->mutex);
	ctx->capture_ns = ktime_get_ns() - t0;
	/* The snapshot must not keep the process or its memory alive. */
	mmput(ctx->mm);
	ctx->mm = NULL;
	put_task_struct(ctx->task);
	ctx->task = NULL;
	return 0;
}

int ckpt_snap_take(struct ckpt_snapshot *a, bool afl)
{
	struct ckpt_snap *s;
	int ret;

	if (a->flags & ~CKPT_SNAP_EXIT || a->pid < 0)
		return -EINVAL;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->ctx = ckpt_ctx_alloc();
	if (!s->ctx) {
		kfree(s);
		return -ENOMEM;
	}
	refcount_set(&s->ref, 1);
	INIT_LIST_HEAD(&s->node);
	s->flags = a->flags;
	s->uid = current_uid();
	s->afl = afl;
	atomic_long_inc(&ckpt_stats.snapshots);
	ret = snapshot(a, s);
	a->id = s->id;
	a->capture_ns = s->ctx->capture_ns;
	a->pages = s->ctx->ps.nr_refs;
	a->meta_bytes = hbuf_used(&s->ctx->hb);
	a->hbuf_chunks = s->ctx->hb.nr_allocs;
	strscpy(a->errmsg, ret ? (s->ctx->errmsg[0] ? s->ctx->errmsg :
				  "snapshot failed") : "", sizeof(a->errmsg));
	if (ret)
		ckpt_snap_put(s);
	return ret;
}

long ckpt_ioc_snapshot(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_snapshot a;
	int ret;

	ret = ckpt_arg_in(&a, sizeof(a), CKPT_SNAPSHOT_SIZE_VER0, arg);
	if (ret)
		return ret;
	ret = ckpt_snap_take(&a, false);
	if (ckpt_arg_out(arg, &a, sizeof(a)) && !ret)
		ret = -EFAULT;
	return ret;
}

/* Whether current may see and drop @t's snapshots: ptrace's uid rule. */
static int may_access(struct task_struct *t, struct mm_struct *mm)
{
	const struct cred *cred = current_cred(), *tcred;
	bool ok;

	if (same_thread_group(t, current))
		return 0;
	rcu_read_lock();
	tcred = __task_cred(t);
	ok = (uid_eq(cred->uid, tcred->euid) &&
	      uid_eq(cred->uid, tcred->suid) &&
	      uid_eq(cred->uid, tcred->uid) &&
	      gid_eq(cred->gid, tcred->egid) &&
	      gid_eq(cred->gid, tcred->sgid) &&
	      gid_eq(cred->gid, tcred->gid)) ||
	     ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	/*
	 * As ptrace: a process that is not dumpable (it changed credentials,
	 * or said so with PR_SET_DUMPABLE) is only for CAP_SYS_PTRACE.
	 * Yama and the LSMs cannot be asked from a module; the operations
	 * that stop the process go through PTRACE_SEIZE, which asks them.
	 */
	if (ok && mm && get_dumpable(mm) != SUID_DUMP_USER)
		ok = ns_capable(mm->user_ns, CAP_SYS_PTRACE);
	return ok ? 0 : -EPERM;
}

/*
 * The snapshot state of process @pid (0: the caller), referenced, for an
 * operation that does not stop the process.  @mm gets an mm_users
 * reference, so the mm cannot die under the caller.
 */
static struct ckpt_mmsnap *mmsnap_of(pid_t pid, struct mm_struct **mm,
				     char *errmsg, size_t len, int *err)
{
	struct task_struct *t = NULL;
	struct ckpt_mmsnap *ms = NULL;
	struct pid *p;

	if (pid) {
		p = find_get_pid(pid);
		t = get_pid_task(p, PIDTYPE_PID);
		put_pid(p);
	}
	*err = 0;
	*mm = NULL;
	if (pid && !t) {
		snprintf(errmsg, len, "no process %d", pid);
		*err = -ESRCH;
		return NULL;
	}
	*mm = get_task_mm(t ?: current);
	if (t && may_access(t, *mm)) {
		snprintf(errmsg, len, "not allowed to access process %d", pid);
		*err = -EPERM;
		if (*mm)
			mmput(*mm);
		*mm = NULL;
		goto out;
	}
	if (*mm)
		ms = ckpt_mmsnap_find(*mm);
out:
	if (t)
		put_task_struct(t);
	return ms;
}

long ckpt_ioc_drop(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_snap_list a;
	struct ckpt_mmsnap *ms;
	struct ckpt_snap *s = NULL;
	struct mm_struct *mm;
	int ret;

	ret = ckpt_arg_in(&a, sizeof(a), CKPT_SNAP_LIST_SIZE_VER0, arg);
	if (ret)
		return ret;
	if (a.flags || a.pid < 0)
		return -EINVAL;
	ms = mmsnap_of(a.pid, &mm, a.errmsg, sizeof(a.errmsg), &ret);
	if (ms) {
		mutex_lock(&ms->mutex);
		s = ckpt_snap_find(ms, a.id);
		if (s)
			ckpt_snap_unlink(ms, s);
		mutex_unlock(&ms->mutex);
		ckpt_mmsnap_put(ms);
	}
	if (mm)
		mmput(mm);
	if (s) {
		ckpt_snap_put(s);
		return 0;
	}
	if (!ret) {
		ret = -EINVAL;
		snprintf(a.errmsg, sizeof(a.errmsg), "no snapshot %u", a.id);
	}
	ckpt_arg_out(arg, &a, sizeof(a));
	return ret;
}

long ckpt_ioc_list(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_snap_info __user *out;
	struct ckpt_snap_info info;
	struct ckpt_snap_list a;
	struct ckpt_mmsnap *ms;
	struct ckpt_snap *s;
	struct mm_struct *mm;
	int ret;

	ret = ckpt_arg_in(&a, sizeof(a), CKPT_SNAP_LIST_SIZE_VER0, arg);
	if (ret)
		return ret;
	if (a.flags || a.pid < 0)
		return -EINVAL;
	out = u64_to_user_ptr(a.snaps);
	a.count = 0;
	ms = mmsnap_of(a.pid, &mm, a.errmsg, sizeof(a.errmsg), &ret);
	if (ms) {
		mutex_lock(&ms->mutex);
		list_for_each_entry(s, &ms->snaps, node) {
			if (a.count < a.max && out) {
				memset(&info, 0, sizeof(info));
				info.id = s->id;
				info.flags = s->flags;
				info.pages = s->ctx->ps.nr_refs;
				info.meta_bytes = hbuf_used(&s->ctx->hb);
				info.capture_ns = s->ctx->capture_ns;
				info.rollbacks = s->rollbacks;
				/* Our own memory: never the target's lock held. */
				if (copy_to_user(&out[a.count], &info,
						 sizeof(info)))
					ret = -EFAULT;
			}
			a.count++;
		}
		mutex_unlock(&ms->mutex);
		ckpt_mmsnap_put(ms);
	}
	if (mm)
		mmput(mm);
	if (ckpt_arg_out(arg, &a, sizeof(a)) && !ret)
		ret = -EFAULT;
	return ret;
}

int ckpt_snap_init(void)
{
	snap_wq = alloc_workqueue("ckpt_snap", 0, 0);
	return snap_wq ? 0 : -ENOMEM;
}

void ckpt_snap_exit(void)
{
	struct ckpt_mmsnap *ms, *tmp;

	/*
	 * No snapshot is left (each holds a module reference), and no
	 * put_work is pending: every ckpt_mmsnap left is idle.
	 */
	mutex_lock(&snap_mms_mutex);
	snap_exiting = true;
	list_for_each_entry_safe(ms, tmp, &snap_mms, node)
		mmsnap_unlist(ms);
	mutex_unlock(&snap_mms_mutex);
	destroy_workqueue(snap_wq);
	mmu_notifier_synchronize();
	rcu_barrier();
}
