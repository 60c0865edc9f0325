// SPDX-License-Identifier: GPL-2.0
/*
 * CKPT_IOC_RESTORE_THREAD: the threads of a process being restored.
 *
 * A module cannot make a thread in another task's group, so the restoring
 * process makes them (clone3 set_tid) and each parks here.  The process's
 * restore waits for all of them, rebuilds the memory while they sleep in
 * the kernel (they touch no user memory), and leaves each its THREAD
 * record.  The tracer then seizes and interrupts every thread and, with
 * the process's registers, releases them: each applies its own signal
 * state and THREAD fields in its own context, with the same appliers the
 * leader uses, and stops on its way out (the interrupt's trap comes before
 * any signal or user instruction), where the tracer writes its registers.
 *
 * Parked calls do not take the open file's mutex: the process's restore
 * holds it while it waits for them.
 */
#include <linux/capability.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched/jobctl.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "apply.h"
#include "restore_thread.h"

enum park_state { PARK_WAIT, PARK_GO, PARK_ABORT };

struct ckpt_parked {
	struct list_head node;		/* on ckpt_park.threads while waiting */
	struct task_struct *task;	/* current, in its ioctl */
	pid_t tid;			/* the image's tid it stands for */
	const struct ckpt_rec_thread *rec;
	enum park_state state;
};

void ckpt_park_init(struct ckpt_park *pk)
{
	spin_lock_init(&pk->lock);
	init_waitqueue_head(&pk->arrived);
	init_waitqueue_head(&pk->released);
	INIT_LIST_HEAD(&pk->threads);
	pk->nr = 0;
}

static unsigned int nr_parked(struct ckpt_park *pk)
{
	unsigned int n;

	spin_lock(&pk->lock);
	n = pk->nr;
	spin_unlock(&pk->lock);
	return n;
}

int ckpt_park_wait(struct ckpt_ctx *ctx, struct ckpt_park *pk, unsigned int nr)
{
	long left;

	/* The caller made them just before: they are on their way here. */
	left = wait_event_killable_timeout(pk->arrived, nr_parked(pk) >= nr, 30 * HZ);
	if (left < 0)
		return left;
	if (nr_parked(pk) != nr)
		return ckpt_err(ctx, -EBUSY,
				"%u of the restoring process's %u other threads are parked in CKPT_IOC_RESTORE_THREAD",
				nr_parked(pk), nr);
	return 0;
}

static struct ckpt_restored_thread *find(struct ckpt_restored_thread *thr,
					 unsigned int nr, pid_t tid)
{
	unsigned int lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (thr[mid].rec->tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nr && thr[lo].rec->tid == tid ? &thr[lo] : NULL;
}

int ckpt_park_assign(struct ckpt_ctx *ctx, struct ckpt_park *pk,
		     struct ckpt_restored_thread *thr, unsigned int nr)
{
	struct ckpt_restored_thread *rt;
	struct ckpt_parked *p;
	int ret = 0;

	spin_lock(&pk->lock);
	if (pk->nr != nr)
		ret = ckpt_err(ctx, -EINVAL,
			       "the image has %u threads besides the leader, the restoring process %u",
			       nr, pk->nr);
	list_for_each_entry(p, &pk->threads, node) {
		if (ret)
			break;
		rt = find(thr, nr, p->tid);
		if (!same_thread_group(p->task, current))
			ret = ckpt_err(ctx, -EINVAL,
				       "a thread of another process is parked for thread %d",
				       p->tid);
		else if (!rt)
			ret = ckpt_err(ctx, -EINVAL,
				       "the image has no thread %d", p->tid);
		else if (rt->pid)
			ret = ckpt_err(ctx, -EINVAL,
				       "two threads are parked for thread %d",
				       p->tid);
		else
			rt->pid = get_task_pid(p->task, PIDTYPE_PID);
		if (!ret)
			p->rec = rt->rec;
	}
	spin_unlock(&pk->lock);
	return ret;
}

static void wake_all(struct ckpt_park *pk, enum park_state state)
{
	struct ckpt_parked *p, *n;

	spin_lock(&pk->lock);
	list_for_each_entry_safe(p, n, &pk->threads, node) {
		list_del_init(&p->node);
		WRITE_ONCE(p->state, state);
	}
	pk->nr = 0;
	spin_unlock(&pk->lock);
	wake_up_all(&pk->released);
}

void ckpt_park_abort(struct ckpt_park *pk)
{
	wake_all(pk, PARK_ABORT);
}

void ckpt_park_release(struct ckpt_park *pk)
{
	wake_all(pk, PARK_GO);
}

int ckpt_park_check(struct ckpt_ctx *ctx, struct ckpt_park *pk)
{
	struct ckpt_parked *p;
	struct task_struct *t;
	int ret = 0;

	spin_lock(&pk->lock);
	list_for_each_entry(p, &pk->threads, node) {
		t = p->task;
		rcu_read_lock();
		if (!t->ptrace || rcu_dereference(t->parent) != current ||
		    !(READ_ONCE(t->jobctl) & JOBCTL_TRAP_STOP))
			ret = -EPERM;
		rcu_read_unlock();
		if (ret) {
			ret = ckpt_err(ctx, ret,
				       "thread %d is not seized and interrupted by the caller: it would run before its registers are set",
				       task_pid_vnr(t));
			break;
		}
	}
	spin_unlock(&pk->lock);
	return ret;
}

/*
 * Released: this thread's mask, altstack and queued signals, then its
 * THREAD fields, in its own context.  Past the point of no return, so an
 * error kills the process, as it does for the leader.
 */
static int apply_own(const struct ckpt_rec_thread *r)
{
	const struct ckpt_rec_xstate *xs = ckpt_thread_xstate(r);
	const struct ckpt_rec_sigpending **sigs = NULL;
	struct ckpt_rec_signal sig;
	struct ckpt_sigstate ss;
	struct ckpt_ctx *ctx;
	const u8 *p;
	unsigned int i;
	int ret = -ENOMEM;

	ctx = ckpt_ctx_alloc();
	if (r->nr_pending)
		sigs = kcalloc(r->nr_pending, sizeof(*sigs), GFP_KERNEL);
	if (!ctx || (r->nr_pending && !sigs))
		goto out;
	p = (const u8 *)xs + xs->h.len;
	for (i = 0; i < r->nr_pending; i++, p += sizeof(**sigs))
		sigs[i] = (const void *)p;
	ckpt_thread_sigstate(r, &sig, &ss);
	ss.pending = sigs;
	ss.nr_pending = r->nr_pending;
	ret = ckpt_signal_apply(ctx, &ss, CKPT_REBUILD);
	if (!ret)
		ret = ckpt_thread_apply(ctx, r);
out:
	if (ret) {
		pr_warn_ratelimited("ckpt: pid %d killed: the restore of its thread %d failed: %s\n",
				    task_tgid_nr(current), task_pid_nr(current),
				    ctx && ctx->errmsg[0] ? ctx->errmsg : "no memory");
		send_sig(SIGKILL, current, 1);
	}
	kfree(sigs);
	ckpt_ctx_free(ctx);
	return ret;
}

long ckpt_ioc_restore_thread(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_parked me = { .task = current, .state = PARK_WAIT };
	struct ckpt_park *pk = &cf->park;
	struct ckpt_restore_thread a;
	int ret;

	ret = ckpt_arg_in(&a, sizeof(a), CKPT_RESTORE_THREAD_SIZE_VER0, arg);
	if (ret)
		return ret;
	if (a.flags || a.__pad || a.tid <= 0 || thread_group_leader(current))
		return -EINVAL;
	if (!checkpoint_restore_ns_capable(current_user_ns()))
		return -EPERM;
	me.tid = a.tid;
	spin_lock(&pk->lock);
	list_add_tail(&me.node, &pk->threads);
	pk->nr++;
	spin_unlock(&pk->lock);
	wake_up(&pk->arrived);

	ret = wait_event_killable(pk->released, READ_ONCE(me.state) != PARK_WAIT);
	spin_lock(&pk->lock);
	if (!list_empty(&me.node)) {
		list_del_init(&me.node);
		pk->nr--;
	}
	spin_unlock(&pk->lock);
	if (ret)
		return ret;
	if (me.state == PARK_ABORT || !me.rec)
		return -ECANCELED;
	return apply_own(me.rec);
}
