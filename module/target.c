// SPDX-License-Identifier: GPL-2.0
/*
 * Finding the process to checkpoint, and making sure it holds still.
 *
 * The caller must have ptrace-attached the process and stopped it.  A
 * successful PTRACE_SEIZE already passed ptrace's permission checks (uids,
 * dumpability, CAP_SYS_PTRACE, Yama, LSMs), so "traced and stopped by
 * current" is our permission proof as well: ptrace_may_access() is not
 * exported, and we need no weaker rule than ptrace's.  Only the tracer can
 * resume a tracee, and it is sitting in our ioctl, so the task stays put
 * (SIGKILL aside: memory stays valid through our mm reference).
 */
#include <linux/compat.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

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
				"process %d is not ptrace-attached by the caller",
				task_pid_vnr(t));
	if (!task_is_traced(t))
		return ckpt_err(ctx, -EBUSY, "process %d is not stopped",
				task_pid_vnr(t));
	/* wait_task_inactive() is not exported: its registers must be saved. */
	while (READ_ONCE(t->on_cpu)) {
		if (++spins > 1000000)
			return ckpt_err(ctx, -EBUSY,
					"process %d does not get off its CPU",
					task_pid_vnr(t));
		cpu_relax();
	}
	if (!task_is_traced(t))
		return ckpt_err(ctx, -EBUSY, "process %d was woken up",
				task_pid_vnr(t));
	return 0;
}

int ckpt_tracee_get(struct ckpt_ctx *ctx, pid_t pid)
{
	struct task_struct *t;
	struct pid *p;

	p = find_get_pid(pid);
	t = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	put_pid(p);
	if (!t)
		return ckpt_err(ctx, -ESRCH, "no process %d", pid);
	ctx->task = t;
	if (t->flags & (PF_KTHREAD | PF_EXITING))
		return ckpt_err(ctx, -EINVAL, "process %d is a kernel thread or exiting",
				pid);
	if (task_tgid_vnr(t) != pid)
		return ckpt_err(ctx, -EINVAL, "%d is a thread, not a process", pid);
	if (get_nr_threads(t) != 1)
		return ckpt_err(ctx, -EBUSY,
				"process %d has %d threads: multi-threaded processes are not supported yet",
				pid, get_nr_threads(t));
	return wait_stopped(ctx, t);
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
	if (!user_64bit_mode(task_pt_regs(t)) ||
	    test_tsk_thread_flag(t, TIF_ADDR32))
		return ckpt_err(ctx, -EINVAL,
				"process %d runs 32-bit code: only x86_64 processes are supported",
				pid);
	mm = get_task_mm(t);
	if (!mm)
		return ckpt_err(ctx, -EINVAL, "process %d has no memory", pid);
	ctx->mm = mm;
	/* Ours and the task's: anyone else (vfork, io_uring, vhost) could write. */
	if (atomic_read(&mm->mm_users) > 2)
		return ckpt_err(ctx, -EBUSY,
				"process %d shares its memory with another task (vfork child, io_uring or vhost worker)",
				pid);
	if (get_dumpable(mm) != SUID_DUMP_USER &&
	    !ns_capable(mm->user_ns, CAP_SYS_PTRACE))
		return ckpt_err(ctx, -EPERM, "process %d is not dumpable", pid);
	return 0;
}
