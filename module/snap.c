// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots: their registry, CKPT_IOC_SNAPSHOT, _DROP and _LIST, and the
 * state a rollback goes by (rollback is in rollback.c).
 *
 * A snapshot belongs to an mm, never to an open file of /dev/ckpt: it
 * lives until it is dropped or the mm dies (exit, exec).  A fork()ed child
 * has another mm, so it has none of its parent's snapshots.  The mm's
 * snapshot state is part of its watcher (watch.c), which holds the module
 * reference and hears of the mm's death.
 *
 * A snapshot's pages are write-protected and shared, so the task can only
 * change one through the kernel, and the watcher marks its slot in the
 * snapshot's "changed since" set (dirty.h).  Rollback then visits only
 * marked slots: its cost follows the pages dirtied, not the pages held.
 *
 * Pages that appear where the snapshot held nothing (a first touch of a
 * hole) raise no notifier.  Those ranges are the snapshot's "holes",
 * computed once at capture; rollback walks their page tables, which is
 * cheap where no page table exists.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>

#include "index.h"
#include "snap.h"
#include "thread_hold.h"
#include "watch.h"

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
	ckpt_fds_release(&s->fds);
	/* Unlinked, or never linked: the watcher no longer marks it. */
	WARN_ON_ONCE(!list_empty(&s->changed.node));
	ckpt_dirty_free(&s->changed);
	kvfree(s->pinned);
	kvfree(s->holes);
	kvfree(s->threads);
	kvfree(s->thread_start);
	kvfree(s->seccomp);
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
	list_del_init(&s->node);
	ckpt_watch_unsubscribe(ckpt_mmsnap_watch(ms), &s->changed);
	ms->nr_snaps--;
	if (s->flags & CKPT_SNAP_EXIT)
		ms->nr_exit--;
	if (s->id == ms->afl_id)
		ms->afl_id = 0;
}

void ckpt_mmsnap_init(struct ckpt_mmsnap *ms)
{
	mutex_init(&ms->mutex);
	INIT_LIST_HEAD(&ms->snaps);
}

struct ckpt_mmsnap *ckpt_mmsnap_get_or_make(struct mm_struct *mm)
{
	struct ckpt_watch *w = ckpt_watch_get_or_make(mm);

	return w ? &w->snaps : NULL;
}

/* A reference to the snapshot state of @mm, or NULL; any context. */
struct ckpt_mmsnap *ckpt_mmsnap_find(struct mm_struct *mm)
{
	struct ckpt_watch *w = ckpt_watch_find(mm);

	return w ? &w->snaps : NULL;
}

void ckpt_mmsnap_put(struct ckpt_mmsnap *ms)
{
	ckpt_watch_put(ckpt_mmsnap_watch(ms));
}

/* The mm is being torn down: its snapshots go with it. */
void ckpt_mmsnap_release(struct ckpt_mmsnap *ms)
{
	struct ckpt_watch *w = ckpt_mmsnap_watch(ms);
	struct ckpt_snap *s, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&ms->mutex);
	list_splice_init(&ms->snaps, &dead);
	list_for_each_entry(s, &dead, node)
		ckpt_watch_unsubscribe(w, &s->changed);
	ms->nr_snaps = 0;
	ms->nr_exit = 0;
	mutex_unlock(&ms->mutex);
	list_for_each_entry_safe(s, tmp, &dead, node) {
		list_del_init(&s->node);
		ckpt_snap_put(s);
	}
}

void ckpt_snap_mark(struct ckpt_snap *s, unsigned long start,
		    unsigned long end)
{
	lockdep_assert_held(&ckpt_snap_watch(s)->lock);
	ckpt_dirty_mark(&s->changed, start, end);
}

/*
 * Pinned pages were copied, not shared: the task writes them without a
 * fault, so they stay marked, always; so do those a rollback found pinned
 * since (s->pinned).
 */
void ckpt_snap_dirty_clear(struct ckpt_snap *s)
{
	const struct pgset *ps = &s->ctx->ps;
	unsigned long i;

	lockdep_assert_held(&ckpt_snap_watch(s)->lock);
	ckpt_dirty_clear(&s->changed);
	for (i = 0; i < ps->nr_copied; i++)
		ckpt_dirty_mark_slot(&s->changed, ps->copied[i]);
	if (s->nr_pinned)
		for_each_set_bit(i, s->pinned, ps->nr)
			ckpt_dirty_mark_slot(&s->changed, i);
}

static int dirty_alloc(struct ckpt_snap *s)
{
	const struct pgset *ps = &s->ctx->ps;
	unsigned long nr = ps->nr;

	s->pinned = kvcalloc(BITS_TO_LONGS(max(nr, 1UL)), sizeof(long),
			     GFP_KERNEL);
	if (!s->pinned)
		return -ENOMEM;
	/* Past 1/16 of the pages dirty, a bitmap scan is cheap anyway. */
	return ckpt_dirty_alloc_runs(&s->changed, ps->runs, ps->nr_runs, nr,
				     max_t(unsigned long, 256, nr / 16));
}

static bool vma_private(const struct ckpt_vma_cap *v)
{
	return v->kind == CKPT_VMA_ANON || v->kind == CKPT_VMA_FILE_PRIVATE;
}

/* Appends [start, end) unless empty; room was counted. */
static void add_hole(struct ckpt_snap *s, unsigned long start,
		     unsigned long end)
{
	if (start < end) {
		s->holes[s->nr_holes].start = start;
		s->holes[s->nr_holes].end = end;
		s->nr_holes++;
	}
}

/*
 * The private ranges without a held page.  Runs never cross VMAs, so each
 * private VMA gives at most one hole more than the runs inside it.
 */
static int find_holes(struct ckpt_snap *s)
{
	const struct pgset *ps = &s->ctx->ps;
	const struct ckpt_vma_cap *v;
	unsigned long i, ri = 0, pos, rend, cap;
	const struct pgrun *r;

	cap = ps->nr_runs + s->ctx->nr_vmas;
	s->holes = kvmalloc_array(max(cap, 1UL), sizeof(*s->holes), GFP_KERNEL);
	if (!s->holes)
		return -ENOMEM;
	for (i = 0; i < s->ctx->nr_vmas; i++) {
		v = &s->ctx->vmas[i];
		if (!vma_private(v))
			continue;
		pos = v->start;
		while (ri < ps->nr_runs && ps->runs[ri].vaddr < v->end) {
			r = &ps->runs[ri++];
			rend = r->vaddr + ((unsigned long)r->n << PAGE_SHIFT);
			if (rend <= v->start)
				continue;
			add_hole(s, pos, r->vaddr);
			pos = rend;
		}
		add_hole(s, pos, v->end);
	}
	return 0;
}

/* The records rollback needs, found in the snapshot's own chunks. */
/*
 * The records rollback applies, and the threads they are of; the THREAD
 * arrays are the only allocations.
 */
static int find_records(struct ckpt_snap *s, const struct ckpt_ctx *ctx)
{
	const struct ckpt_rec_thread **threads = NULL;
	struct ckpt_index idx;
	unsigned int i;
	int ret;

	ckpt_index_init(&idx, CKPT_IDX(CKPT_REC_CPU) |
			CKPT_IDX(CKPT_REC_XSTATE) | CKPT_IDX(CKPT_REC_SIGHAND) |
			CKPT_IDX(CKPT_REC_SIGNAL) | CKPT_IDX(CKPT_REC_THREAD), 0);
	ret = ckpt_index_scan(&idx, &s->ctx->hb);
	if (!ret && WARN_ON_ONCE(idx.nr_threads &&
				 idx.nr_threads != ctx->nr_threads + 1))
		ret = -EINVAL;
	if (!ret && idx.nr_threads) {
		threads = kvmalloc_array(idx.nr_threads, sizeof(*threads),
					 GFP_KERNEL);
		s->thread_start = kvmalloc_array(idx.nr_threads,
						 sizeof(*s->thread_start),
						 GFP_KERNEL);
		if (threads && s->thread_start) {
			memcpy(threads, idx.threads,
			       idx.nr_threads * sizeof(*threads));
			/* The records are in ctx's order: leader, then by tid. */
			for (i = 0; i < idx.nr_threads; i++)
				s->thread_start[i] =
					ckpt_ctx_thread(ctx, i)->start_time;
		} else {
			kvfree(threads);
			ret = -ENOMEM;
		}
	}
	if (!ret) {
		s->cpu = idx.cpu;
		s->xstate = idx.xstate;
		s->sighand = idx.sighand;
		s->signal = idx.signal;
		s->threads = threads;
		s->nr_threads = idx.nr_threads;
	}
	ckpt_index_free(&idx);
	return ret;
}

/* The threads are stopped or held: none installs a filter meanwhile. */
static int mark_seccomp(struct ckpt_snap *s, struct ckpt_ctx *ctx)
{
	struct task_struct *t;
	unsigned int i;

	s->seccomp = kvmalloc_array(ctx->nr_threads + 1, sizeof(*s->seccomp),
				    GFP_KERNEL);
	if (!s->seccomp)
		return -ENOMEM;
	for (i = 0; i <= ctx->nr_threads; i++) {
		t = ckpt_ctx_thread(ctx, i);
		s->seccomp[i].mode = READ_ONCE(t->seccomp.mode);
		s->seccomp[i].filter = READ_ONCE(t->seccomp.filter);
	}
	return 0;
}

int ckpt_snap_locked(struct ckpt_ctx *ctx, struct mm_struct *mm, bool end)
{
	struct ckpt_snap *s = ctx->snap;
	struct ckpt_watch *w = ckpt_snap_watch(s);
	int ret;

	lockdep_assert_held(&s->ms->mutex);
	mmap_assert_write_locked(mm);
	if (!end)
		return ckpt_watch_register(ctx, w, mm);
	ret = dirty_alloc(s);
	if (!ret)
		ret = find_holes(s);
	if (ret)
		return ret;
	/* From here on every change to a held page is marked. */
	spin_lock(&w->lock);
	ckpt_watch_subscribe(w, &s->changed);
	ckpt_snap_dirty_clear(s);	/* marks the pinned pages */
	spin_unlock(&w->lock);
	return 0;
}

/*
 * The caller as its own target, owning its memory.  Its other threads, if
 * any, are held (thread_hold.c) until the capture is done: @hold.
 */
static int self_target(struct ckpt_ctx *ctx, struct ckpt_hold **hold)
{
	int ret;

	if (get_nr_threads(current) == 1) {
		ctx->task = get_task_struct(current);
	} else {
		ret = ckpt_hold_others(ctx, hold);
		if (!ret)
			ret = ckpt_threads_64bit(ctx);
		if (ret)
			return ret;
	}
	/*
	 * Its threads share it, and no clone or exit is in progress once
	 * they are held: anyone else (vfork, io_uring, vhost) could write.
	 */
	if (ckpt_mm_shared(current->mm, ctx->nr_threads + 1))
		return ckpt_err(ctx, -EBUSY,
				"the process shares its memory with another task (vfork child, io_uring or vhost worker)");
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
	if (!ret && ctx->nr_threads)
		ret = ckpt_thread_capture(ctx);
	if (ret)
		return ret;
	ctx->snap = s;
	ret = ckpt_mm_capture(ctx);
	ctx->snap = NULL;
	if (ret)
		return ret;
	/* Subscribed now: a later failure must unsubscribe it again. */
	ret = ckpt_files_hold(ctx, ctx->task, &s->fds);
	if (!ret)
		ret = user_charge(ctx, s->uid, ctx->ps.nr_refs);
	if (!ret)
		s->charged = ctx->ps.nr_refs;
	return ret;
}

static int snapshot(struct ckpt_snapshot *a, struct ckpt_snap *s)
{
	struct ckpt_ctx *ctx = s->ctx;
	struct ckpt_hold *hold = NULL;
	struct ckpt_mmsnap *ms;
	u64 t0 = ktime_get_ns();
	int ret;

	if (a->pid) {
		ret = ckpt_target_get(ctx, a->pid);
		if (ret)
			return ret;
	}
	ms = ckpt_mmsnap_get_or_make(a->pid ? ctx->mm : current->mm);
	if (!ms)
		return -ENOMEM;
	s->ms = ms;
	/*
	 * Interruptible: a thread that waits here while another holds the
	 * process must come when held, and takes the call again after.
	 */
	if (mutex_lock_interruptible(&ms->mutex))
		return -ERESTARTNOINTR;
	if (!a->pid) {
		ret = self_target(ctx, &hold);
		if (ret)
			goto err_unlock;
		s->self_tid = task_pid_vnr(current);
	}
	ret = capture(s, a);
	if (!ret)
		ret = find_records(s, ctx);
	if (!ret)
		ret = mark_seccomp(s, ctx);
	if (ret)
		goto err_unsubscribe;
	if (s->flags & CKPT_SNAP_EXIT) {
		ret = ckpt_snap_exit_get();
		if (ret) {
			ret = ckpt_err(ctx, ret, "cannot watch for exit: %d", ret);
			goto err_unsubscribe;
		}
	}
	if (hold)
		ckpt_hold_release(hold);
	s->id = ++ms->next_id ?: ++ms->next_id;
	s->self = !a->pid;
	/* AFL-Snapshot-LKM's take returns 1, then 0 once restored. */
	s->rb_ret = s->afl ? 0 : s->id;
	if (s->afl) {
		ckpt_snap_exclude(s);
		ms->afl_id = s->id;
	}
	list_add_tail(&s->node, &ms->snaps);
	ms->nr_snaps++;
	if (s->flags & CKPT_SNAP_EXIT)
		ms->nr_exit++;
	hbuf_hint_set((unsigned long)ctx->mm, hbuf_used(&ctx->hb));
	mutex_unlock(&ms->mutex);
	ctx->capture_ns = ktime_get_ns() - t0;
	/* The snapshot must not keep the process or its memory alive. */
	mmput(ctx->mm);
	ctx->mm = NULL;
	put_task_struct(ctx->task);
	ctx->task = NULL;
	return 0;

err_unsubscribe:
	/* The mm lock is not held: the notifier may look at s. */
	ckpt_watch_unsubscribe(ckpt_mmsnap_watch(ms), &s->changed);
err_unlock:
	if (hold)
		ckpt_hold_release(hold);
	mutex_unlock(&ms->mutex);
	return ret;
}

int ckpt_snap_capture(struct ckpt_snapshot *a, bool afl)
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
		ret = -ENOMEM;
		goto err_free;
	}
	refcount_set(&s->ref, 1);
	INIT_LIST_HEAD(&s->node);
	ckpt_dirty_init(&s->changed, false);
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

err_free:
	kfree(s);
	return ret;
}

long ckpt_ioc_snapshot(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_snapshot a;
	int ret;

	ret = ckpt_arg_in(&a, sizeof(a), CKPT_SNAPSHOT_SIZE_VER0, arg);
	if (ret)
		return ret;
	ret = ckpt_snap_capture(&a, false);
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
		/* As for a snapshot: a thread held meanwhile calls again. */
		if (!mutex_lock_interruptible(&ms->mutex)) {
			s = ckpt_snap_find(ms, a.id);
			if (s)
				ckpt_snap_unlink(ms, s);
			mutex_unlock(&ms->mutex);
		} else {
			ret = -ERESTARTNOINTR;
		}
		ckpt_mmsnap_put(ms);
	}
	if (mm)
		mmput(mm);
	if (s) {
		ckpt_snap_put(s);
		return 0;
	}
	if (ret == -ERESTARTNOINTR)
		return ret;
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
	if (ms && mutex_lock_interruptible(&ms->mutex)) {
		ckpt_mmsnap_put(ms);
		if (mm)
			mmput(mm);
		return -ERESTARTNOINTR;
	}
	if (ms) {
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

/* The module's snapshot machinery is its watchers' (main.c knows it so). */
int ckpt_snap_init(void)
{
	return ckpt_watch_init();
}

void ckpt_snap_exit(void)
{
	ckpt_snap_exit_cleanup();
	ckpt_watch_exit();
}
