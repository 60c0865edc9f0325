// SPDX-License-Identifier: GPL-2.0
/*
 * Finding the process to checkpoint, and making sure it holds still.
 *
 * The caller must have ptrace-attached every thread of the process and
 * stopped each.  A successful PTRACE_SEIZE already passed ptrace's permission checks (uids,
 * dumpability, CAP_SYS_PTRACE, Yama, LSMs), so "traced and stopped by
 * current" is our permission proof as well: ptrace_may_access() is not
 * exported, and we need no weaker rule than ptrace's.  Only the tracer can
 * resume a tracee, and it is sitting in our ioctl, so the task stays put
 * (SIGKILL aside: memory stays valid through our mm reference).
 */
#include <linux/compat.h>
#include <linux/delay.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "ctx.h"

/* ptrace_check_attach() for another module: traced by us, stopped, off-CPU. */
static int wait_stopped(struct ckpt_ctx *ctx, struct task_struct *t)
{
	unsigned int spins = 0;
	bool ours;

	rcu_read_lock();
	ours = t->ptrace && rcu_dereference(t->parent) == current;
	rcu_read_unlock();
	if (!ours)
		return ckpt_err(ctx, -EPERM,
				"thread %d of process %d is not ptrace-attached by the caller",
				task_pid_vnr(t), task_tgid_vnr(t));
	if (!task_is_traced(t))
		return ckpt_err(ctx, -EBUSY,
				"thread %d of process %d is not stopped",
				task_pid_vnr(t), task_tgid_vnr(t));
	/* wait_task_inactive() is not exported: its registers must be saved. */
	while (READ_ONCE(t->on_cpu)) {
		if (++spins > 1000000)
			return ckpt_err(ctx, -EBUSY,
					"thread %d of process %d does not get off its CPU",
					task_pid_vnr(t), task_tgid_vnr(t));
		cpu_relax();
	}
	if (!task_is_traced(t))
		return ckpt_err(ctx, -EBUSY,
				"thread %d of process %d was woken up",
				task_pid_vnr(t), task_tgid_vnr(t));
	return 0;
}

static struct task_struct *find_task(pid_t nr)
{
	struct task_struct *t;
	struct pid *p;

	p = find_get_pid(nr);
	t = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	put_pid(p);
	return t;
}

static int tid_cmp(const void *a, const void *b)
{
	pid_t x = task_pid_vnr(*(struct task_struct *const *)a);
	pid_t y = task_pid_vnr(*(struct task_struct *const *)b);

	return x < y ? -1 : x > y;
}

void ckpt_sort_threads(struct ckpt_ctx *ctx)
{
	sort(ctx->threads, ctx->nr_threads, sizeof(*ctx->threads), tid_cmp,
	     NULL);
}

/*
 * The leader's other threads, referenced.  A stopped thread cannot clone,
 * so once all are seen stopped the set is the group's; the count is
 * compared again after the checks, for a thread that had been running.
 */
static int collect_threads(struct ckpt_ctx *ctx, struct task_struct *leader)
{
	unsigned int n, max, i;
	struct task_struct *t;
	int ret;

	max = get_nr_threads(leader) - 1;
	if (!max)
		return 0;
	ctx->threads = kvmalloc_array(max, sizeof(*ctx->threads), GFP_KERNEL);
	if (!ctx->threads)
		return -ENOMEM;
	n = 0;
	rcu_read_lock();
	for_each_thread(leader, t) {
		if (t == leader)
			continue;
		if (n == max) {
			n++;
			break;
		}
		ctx->threads[n++] = get_task_struct(t);
	}
	rcu_read_unlock();
	if (n > max) {
		ctx->nr_threads = max;
		return ckpt_err(ctx, -EBUSY,
				"process %d made a thread while being stopped",
				task_pid_vnr(leader));
	}
	ctx->nr_threads = n;
	ckpt_sort_threads(ctx);
	for (i = 0; i < n; i++) {
		ret = wait_stopped(ctx, ctx->threads[i]);
		if (ret)
			return ret;
	}
	if (get_nr_threads(leader) != n + 1)
		return ckpt_err(ctx, -EBUSY,
				"process %d gained or lost a thread while being captured",
				task_pid_vnr(leader));
	return 0;
}

/* @id into ctx->task, referenced; @what names it in errors. */
static int take_task(struct ckpt_ctx *ctx, pid_t id, const char *what)
{
	struct task_struct *t;

	t = find_task(id);
	if (!t)
		return ckpt_err(ctx, -ESRCH, "no %s %d", what, id);
	ctx->task = t;
	if (t->flags & (PF_KTHREAD | PF_EXITING))
		return ckpt_err(ctx, -EINVAL, "%s %d is a kernel thread or exiting",
				what, id);
	return 0;
}

int ckpt_tracee_get(struct ckpt_ctx *ctx, pid_t pid)
{
	int ret;

	ret = take_task(ctx, pid, "process");
	if (ret)
		return ret;
	if (task_tgid_vnr(ctx->task) != pid)
		return ckpt_err(ctx, -EINVAL, "%d is a thread, not a process", pid);
	ret = wait_stopped(ctx, ctx->task);
	if (!ret)
		ret = collect_threads(ctx, ctx->task);
	return ret;
}

int ckpt_thread_get(struct ckpt_ctx *ctx, pid_t tid)
{
	int ret;

	ret = take_task(ctx, tid, "thread");
	return ret ? ret : wait_stopped(ctx, ctx->task);
}

/*
 * /proc readers (stat, status, maps) and access_process_vm() take the mm
 * for a moment: only a user that stays is another task's.  Returns at
 * once when there is none, which is the common case.
 */
bool ckpt_mm_shared(struct mm_struct *mm, int users)
{
	unsigned int i;

	for (i = 0; i < 20; i++) {
		if (atomic_read(&mm->mm_users) <= users)
			return false;
		usleep_range(500, 1000);
	}
	return true;
}

/*
 * tasklist_lock, which guards ->children, is not exported.  The threads
 * are stopped, so their lists only lose autoreaped children, or gain a
 * subreaper's orphans; one read of each head says whether there are any.
 * A task is freed after an RCU grace period, so the first child read
 * under rcu_read_lock() can still be named even if it is being reaped.
 */
int ckpt_refuse_children(struct ckpt_ctx *ctx)
{
	struct task_struct *th, *child;
	unsigned int i;
	pid_t nr;

	for (i = 0; i <= ctx->nr_threads; i++) {
		th = ckpt_ctx_thread(ctx, i);
		rcu_read_lock();
		child = list_first_entry_or_null(&th->children,
						 struct task_struct, sibling);
		nr = child ? task_pid_vnr(child) : 0;
		rcu_read_unlock();
		if (child)
			return ckpt_err(ctx, -ECHILD,
					"process %d has a child process (pid %d): process trees are not supported yet",
					task_tgid_vnr(th), nr);
	}
	return 0;
}

int ckpt_threads_64bit(struct ckpt_ctx *ctx)
{
	struct task_struct *th;
	unsigned int i;

	for (i = 0; i <= ctx->nr_threads; i++) {
		th = ckpt_ctx_thread(ctx, i);
		if (!user_64bit_mode(task_pt_regs(th)) ||
		    test_tsk_thread_flag(th, TIF_ADDR32))
			return ckpt_err(ctx, -EINVAL,
					"thread %d of process %d runs 32-bit code: only x86_64 processes are supported",
					task_pid_vnr(th), task_tgid_vnr(th));
	}
	return 0;
}

int ckpt_target_get(struct ckpt_ctx *ctx, pid_t pid)
{
	struct task_struct *t;
	struct mm_struct *mm;
	int ret;

	ret = ckpt_tracee_get(ctx, pid);
	if (ret)
		return ret;
	t = ctx->task;
	ret = ckpt_threads_64bit(ctx);
	if (ret)
		return ret;
	mm = get_task_mm(t);
	if (!mm)
		return ckpt_err(ctx, -EINVAL, "process %d has no memory", pid);
	ctx->mm = mm;
	/* Ours and the threads': anyone else (vfork, io_uring, vhost) could write. */
	if (ckpt_mm_shared(mm, 2 + ctx->nr_threads))
		return ckpt_err(ctx, -EBUSY,
				"process %d shares its memory with another task (vfork child, io_uring or vhost worker)",
				pid);
	if (get_dumpable(mm) != SUID_DUMP_USER &&
	    !ns_capable(mm->user_ns, CAP_SYS_PTRACE))
		return ckpt_err(ctx, -EPERM, "process %d is not dumpable", pid);
	return 0;
}
