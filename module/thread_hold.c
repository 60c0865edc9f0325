// SPDX-License-Identifier: GPL-2.0
/*
 * Holding a process's other threads still, from one of its own threads.
 *
 * A self snapshot, a self rollback and an exit-time rollback run in the
 * process, with no tracer to stop its other threads.  Each other thread
 * gets a task_work with TWA_SIGNAL: the kick ends an interruptible sleep
 * as a signal does (the syscall restarts, or returns EINTR where the
 * syscall never restarts, as under PTRACE_INTERRUPT), and the work runs
 * at the top of get_signal(), before any signal is taken and before any
 * user instruction.  That is where a ptrace interrupt would stop the
 * thread, with the same registers: ax holds -ERESTART* for a syscall to
 * restart, which the capture's fix-up handles as for a tracee.  There the
 * thread reports and sleeps, killable, until the holder lets it go.
 *
 * Asleep and off its CPU, its registers and xstate are in memory, where
 * the regset getters and setters work, as on a stopped tracee: the first
 * switch away saved the FPU registers, and a spurious wakeup does not
 * load them again.  Threads born meanwhile are found by a second pass: a
 * held thread cannot clone, and a clone in progress has linked its child
 * before its caller comes, so the passes end.  A thread that runs the
 * work inside a syscall (io_uring_enter() and a tracer's syscall stops
 * run task_work too) is refused: its syscall would end after us.
 *
 * A work cannot be cancelled (task_work_cancel() is not exported): each
 * keeps the hold and the module referenced until it has run, which for a
 * thread that never came may be after its holder gave up.
 */
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <asm/syscall.h>

#include "compat.h"
#include "thread_hold.h"

/* Long enough for a thread in a disk wait; a debugger's stop is refused. */
#define HOLD_TIMEOUT	(10 * HZ)

static void hold_free(struct kref *ref)
{
	struct ckpt_hold *h = container_of(ref, struct ckpt_hold, ref);
	unsigned int i;

	for (i = 0; i < h->nr; i++) {
		put_task_struct(h->held[i]->task);
		kfree(h->held[i]);
	}
	kvfree(h->held);
	kfree(h);
}

static void hold_put(struct ckpt_hold *h)
{
	kref_put(&h->ref, hold_free);
}

static void count(struct ckpt_hold *h, unsigned int *n)
{
	bool last;

	spin_lock(&h->lock);
	last = ++*n == h->nr;
	spin_unlock(&h->lock);
	/* The holder waits for the last one only: no wakeup per thread. */
	if (last)
		wake_up(&h->wq);
}

static bool all(struct ckpt_hold *h, unsigned int *n)
{
	bool yes;

	spin_lock(&h->lock);
	yes = *n == h->nr;
	spin_unlock(&h->lock);
	return yes;
}

/*
 * Inside a syscall rather than past it: task_work also runs from
 * io_uring_enter()'s wait and from a tracer's syscall stops, where the
 * syscall's return would overwrite ax after a rollback.
 */
static bool mid_syscall(void)
{
	struct pt_regs *regs = task_pt_regs(current);

	return syscall_get_nr(current, regs) >= 0 && regs->ax == -ENOSYS;
}

/* task_work of a held thread. */
static void held_work(struct callback_head *cb)
{
	struct ckpt_held *e = container_of(cb, struct ckpt_held, work);
	struct ckpt_hold *h = e->hold;
	bool alive = current->mm && !(current->flags & PF_EXITING);

	spin_lock(&h->lock);
	e->arrived = alive;
	e->gone = !alive;
	e->mid_syscall = alive && mid_syscall();
	spin_unlock(&h->lock);
	count(h, &h->came);
	/*
	 * Acquire: then() and arg, set by the holder before its release.  A
	 * thread woken by SIGKILL may see go too: it does nothing but die.
	 */
	if (alive && !wait_event_killable(h->go_wq, smp_load_acquire(&h->go)) &&
	    e->then && !fatal_signal_pending(current))
		e->then(e);
	count(h, &h->finished);
	hold_put(h);
	module_put(THIS_MODULE);
}

static int by_task(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)(*(struct ckpt_held *const *)a)->task;
	uintptr_t y = (uintptr_t)(*(struct ckpt_held *const *)b)->task;

	return x < y ? -1 : x > y;
}

struct ckpt_held *ckpt_hold_entry(struct ckpt_hold *h, struct task_struct *t)
{
	unsigned int lo = 0, hi = h->nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((uintptr_t)h->held[mid]->task < (uintptr_t)t)
			lo = mid + 1;
		else if (h->held[mid]->task != t)
			hi = mid;
		else
			return h->held[mid];
	}
	return NULL;
}

/*
 * Up to @max of current's other live threads not held yet, referenced;
 * *@worker: an io_uring worker's tid, which never returns to user mode.
 */
static unsigned int collect(struct ckpt_hold *h, struct task_struct **ts,
			    unsigned int max, pid_t *worker)
{
	struct task_struct *t;
	unsigned int n = 0;

	rcu_read_lock();
	/*
	 * An exiting thread too: its work runs from do_exit() after its
	 * exit_mm(), so that its clear_child_tid write and robust futexes are
	 * done before the capture, and marks it gone.
	 */
	for_each_thread(current, t) {
		if (t == current || ckpt_hold_entry(h, t))
			continue;
		if (t->flags & PF_IO_WORKER) {
			*worker = task_pid_vnr(t);
			break;
		}
		if (n == max) {
			n++;
			break;
		}
		ts[n++] = get_task_struct(t);
	}
	rcu_read_unlock();
	return n;
}

/* Queues the work on each of @ts, whose references pass to the hold. */
static int kick(struct ckpt_hold *h, struct task_struct **ts, unsigned int n)
{
	struct ckpt_held **held, *e;
	unsigned int i;
	int ret = 0;

	held = kvmalloc_array(h->nr + n, sizeof(*held), GFP_KERNEL);
	if (held) {
		memcpy(held, h->held, h->nr * sizeof(*held));
		kvfree(h->held);
		h->held = held;
	}
	for (i = 0; held && i < n; i++) {
		e = kzalloc(sizeof(*e), GFP_KERNEL);
		if (!e)
			break;
		e->hold = h;
		e->task = ts[i];
		init_task_work(&e->work, held_work);
		spin_lock(&h->lock);
		h->held[h->nr++] = e;
		spin_unlock(&h->lock);
		kref_get(&h->ref);
		__module_get(THIS_MODULE);
		if (task_work_add(e->task, &e->work, TWA_SIGNAL)) {
			/* Past exit_task_work(): it is as good as gone. */
			e->gone = true;
			count(h, &h->came);
			count(h, &h->finished);
			module_put(THIS_MODULE);
			hold_put(h);
		}
	}
	if (i < n)
		ret = -ENOMEM;
	for (; i < n; i++)
		put_task_struct(ts[i]);
	sort(h->held, h->nr, sizeof(*h->held), by_task, NULL);
	return ret;
}

/* Every thread that came is asleep in its work, off its CPU. */
void ckpt_hold_wait_asleep(struct task_struct *t)
{
	while (!(READ_ONCE(t->__state) & TASK_UNINTERRUPTIBLE) ||
	       READ_ONCE(t->on_cpu)) {
		/* Killed: the process is going, it does not matter. */
		if ((t->flags & PF_EXITING) || fatal_signal_pending(current))
			return;
		cond_resched();
		cpu_relax();
	}
}

static int wait_came(struct ckpt_ctx *ctx, struct ckpt_hold *h)
{
	unsigned int i;
	long left;

	left = wait_event_killable_timeout(h->wq, all(h, &h->came),
					   HOLD_TIMEOUT);
	if (left < 0)
		return -EINTR;
	if (!left) {
		for (i = 0; i < h->nr; i++)
			if (!READ_ONCE(h->held[i]->arrived) &&
			    !READ_ONCE(h->held[i]->gone))
				break;
		return ckpt_err(ctx, -EBUSY,
				"thread %d did not stop within %d s (a debugger's stop, or an uninterruptible wait)",
				i < h->nr ? task_pid_vnr(h->held[i]->task) : 0,
				HOLD_TIMEOUT / HZ);
	}
	for (i = 0; i < h->nr; i++) {
		if (!h->held[i]->arrived)
			continue;
		if (h->held[i]->mid_syscall)
			return ckpt_err(ctx, -EBUSY,
					"thread %d was stopped inside a syscall (io_uring_enter, or a tracer's syscall stop), where it cannot be held",
					task_pid_vnr(h->held[i]->task));
		ckpt_hold_wait_asleep(h->held[i]->task);
	}
	return fatal_signal_pending(current) ? -EINTR : 0;
}

/* ctx->task and ctx->threads, as ckpt_target_get() would leave them. */
static int fill(struct ckpt_ctx *ctx, struct ckpt_hold *h)
{
	struct task_struct *leader = current->group_leader;
	struct ckpt_held *e = ckpt_hold_entry(h, leader);
	unsigned int i, n = 0;

	if (leader != current && (!e || !e->arrived))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"thread %d, the leader of process %d, has ended: a process whose leader has ended is not supported",
				task_pid_vnr(leader), task_tgid_vnr(current));
	ctx->task = get_task_struct(leader);
	ctx->threads = kvmalloc_array(h->nr + 1, sizeof(*ctx->threads),
				      GFP_KERNEL);
	if (!ctx->threads)
		return -ENOMEM;
	for (i = 0; i < h->nr; i++)
		if (h->held[i]->arrived && h->held[i]->task != leader)
			ctx->threads[n++] = get_task_struct(h->held[i]->task);
	if (current != leader)
		ctx->threads[n++] = get_task_struct(current);
	ctx->nr_threads = n;
	ckpt_sort_threads(ctx);
	return 0;
}

static void hold_abort(struct ckpt_hold *h)
{
	ckpt_hold_go(h);
	/* Threads that never came drop the last references when they do. */
	hold_put(h);
}

int ckpt_hold_others(struct ckpt_ctx *ctx, struct ckpt_hold **out)
{
	struct task_struct **ts;
	struct ckpt_hold *h;
	unsigned int max, n;
	pid_t worker = 0;
	int ret;

	*out = NULL;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	kref_init(&h->ref);
	spin_lock_init(&h->lock);
	init_waitqueue_head(&h->wq);
	init_waitqueue_head(&h->go_wq);
	for (;;) {
		max = get_nr_threads(current);
		ts = kvmalloc_array(max, sizeof(*ts), GFP_KERNEL);
		if (!ts) {
			ret = -ENOMEM;
			goto fail;
		}
		n = collect(h, ts, max, &worker);
		if (n > max || worker) {
			for (n = min(n, max); n; )
				put_task_struct(ts[--n]);
			kvfree(ts);
			if (!worker)
				continue;	/* it grew meanwhile: count again */
			ret = ckpt_err(ctx, -EOPNOTSUPP,
				       "thread %d is an io_uring worker, which is not supported",
				       worker);
			goto fail;
		}
		ret = n ? kick(h, ts, n) : 0;
		kvfree(ts);
		if (ret || !n)
			break;
		ret = wait_came(ctx, h);
		if (ret)
			break;
	}
	if (!ret)
		ret = fill(ctx, h);
	if (!ret) {
		*out = h;
		return 0;
	}
fail:
	hold_abort(h);
	return ret == -EINTR ? -ERESTARTNOINTR : ret;
}

void ckpt_hold_go(struct ckpt_hold *h)
{
	/* Pairs with the works' acquire: their then() and arg are set. */
	smp_store_release(&h->go, true);
	wake_up_all(&h->go_wq);
}

void ckpt_hold_end(struct ckpt_hold *h)
{
	/* Uninterruptible: each then() is short, and may use the caller's. */
	wait_event(h->wq, all(h, &h->finished));
	hold_put(h);
}

void ckpt_hold_release(struct ckpt_hold *h)
{
	/* No then(): the threads use nothing of the caller's. */
	hold_abort(h);
}
