// SPDX-License-Identifier: GPL-2.0
/*
 * What each thread has of its own: the THREAD records.  The process's
 * records (TASK, CPU, XSTATE, SIGNAL...) describe the leader; a THREAD
 * record per thread adds what only a thread has (clear_child_tid, the
 * robust list, rseq, scheduling and affinity) and, for every thread but
 * the leader, nests that thread's CPU, XSTATE and private SIGPENDING
 * records, so the one validator and the one applier of each kind serve
 * every thread.
 */
#include <linux/cpumask.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <uapi/linux/sched/types.h>

#include "compat.h"
#include "apply.h"

static bool is_rt(u32 policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

static int read_own(struct ckpt_ctx *ctx, struct task_struct *t,
		    struct ckpt_rec_thread *r, bool leader)
{
	unsigned int cpu;

	if (t->policy != SCHED_NORMAL && t->policy != SCHED_BATCH &&
	    t->policy != SCHED_IDLE && t->policy != SCHED_FIFO &&
	    t->policy != SCHED_RR)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"thread %d: scheduling policy %u (SCHED_DEADLINE) is not supported",
				task_pid_vnr(t), t->policy);
	r->tid = task_pid_vnr(t);
	r->flags = (leader ? CKPT_THREAD_LEADER : 0) | CKPT_THREAD_NNP_SAID |
		   (task_no_new_privs(t) ? CKPT_THREAD_NNP : 0);
	task_lock(t);
	strscpy(r->comm, t->comm, sizeof(r->comm));
	task_unlock(t);
	r->clear_child_tid = (unsigned long)t->clear_child_tid;
	r->robust_list = (unsigned long)t->robust_list;
	r->rseq = (unsigned long)t->rseq;
	r->rseq_len = ckpt_rseq_len(t);
	r->rseq_sig = t->rseq_sig;
	r->policy = t->policy;
	r->rt_priority = is_rt(t->policy) ? t->rt_priority : 0;
	r->nice = task_nice(t);
	for_each_cpu(cpu, t->cpus_ptr)
		if (cpu < CKPT_THREAD_CPUS)
			r->cpus[cpu / 64] |= 1ULL << (cpu % 64);
	return 0;
}

/* The leader's record: only what the process records lack. */
static int capture_leader(struct ckpt_ctx *ctx)
{
	struct ckpt_rec_thread *r;
	int ret;

	r = ckpt_rec_get(ctx, CKPT_REC_THREAD, sizeof(*r));
	if (!r)
		return hbuf_error(&ctx->hb);
	ret = read_own(ctx, ctx->task, r, true);
	return ret ? ret : ckpt_rec_put(ctx, r);
}

/*
 * Another thread: its record with CPU, XSTATE and its own queued signals
 * nested.  The signals are read first, so the record is sized once.
 */
static int capture_one(struct ckpt_ctx *ctx, struct task_struct *t,
		       unsigned int xsize)
{
	struct ckpt_rec_sigpending *sigs = NULL;
	struct ckpt_rec_thread own = { };
	struct ckpt_rec_xstate *xs;
	struct ckpt_rec_thread *r;
	struct ckpt_rec_cpu *cpu;
	size_t xlen, len;
	unsigned int nr, i;
	u8 *p;
	int ret;

	if (ckpt_xstate_size(t) != xsize)
		return ckpt_err(ctx, -EINVAL,
				"thread %d: its xstate size differs from the leader's",
				task_pid_vnr(t));
	ret = read_own(ctx, t, &own, false);
	if (!ret)
		ret = ckpt_signal_thread_read(ctx, t, &own, &sigs, &nr);
	if (ret)
		return ret;
	xlen = ALIGN(sizeof(*xs) + xsize, CKPT_REC_ALIGN);
	len = sizeof(*r) + sizeof(*cpu) + xlen + (size_t)nr * sizeof(*sigs);
	r = ckpt_rec_get(ctx, CKPT_REC_THREAD, len);
	if (!r) {
		ret = hbuf_error(&ctx->hb);
		goto out;
	}
	own.h = r->h;
	own.nr_pending = nr;
	*r = own;
	cpu = (void *)(r + 1);
	cpu->h.type = CKPT_REC_CPU;
	cpu->h.len = sizeof(*cpu);
	ret = ckpt_cpu_read(ctx, t, cpu);
	if (ret)
		goto out;
	xs = (void *)(cpu + 1);
	xs->h.type = CKPT_REC_XSTATE;
	xs->h.len = xlen;
	ret = ckpt_xstate_read(ctx, t, xs);
	if (ret)
		goto out;
	p = (u8 *)xs + xlen;
	for (i = 0; i < nr; i++, p += sizeof(*sigs))
		memcpy(p, &sigs[i], sizeof(*sigs));
	ret = ckpt_rec_put(ctx, r);
out:
	kfree(sigs);
	return ret;
}

int ckpt_thread_capture(struct ckpt_ctx *ctx)
{
	unsigned int xsize = ckpt_xstate_size(ctx->task), i;
	int ret;

	ret = capture_leader(ctx);
	for (i = 0; !ret && i < ctx->nr_threads; i++)
		ret = capture_one(ctx, ctx->threads[i], xsize);
	return ret;
}

/* sched_setattr(2), with its permission rule: ours is the restorer's. */
static int apply_sched(struct ckpt_ctx *ctx, const struct ckpt_rec_thread *r)
{
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = r->policy,
		.sched_priority = r->rt_priority,
		.sched_nice = r->nice,
	};
	int ret;

	if (r->policy == current->policy && r->nice == task_nice(current) &&
	    (!is_rt(r->policy) || r->rt_priority == current->rt_priority))
		return 0;
	if ((is_rt(r->policy) || r->nice < task_nice(current)) &&
	    !capable(CAP_SYS_NICE))
		return ckpt_err(ctx, -EPERM,
				"thread %u: policy %u priority %u nice %d needs CAP_SYS_NICE",
				r->tid, r->policy, r->rt_priority, r->nice);
	ret = sched_setattr_nocheck(current, &attr);
	if (ret)
		return ckpt_err(ctx, ret,
				"thread %u: cannot set policy %u priority %u nice %d",
				r->tid, r->policy, r->rt_priority, r->nice);
	return 0;
}

/* The image's CPUs that this machine has; none of them: left as it is. */
static int apply_affinity(struct ckpt_ctx *ctx, const struct ckpt_rec_thread *r)
{
	cpumask_var_t mask;
	unsigned int cpu;
	int ret = 0;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		if (cpu < CKPT_THREAD_CPUS &&
		    (r->cpus[cpu / 64] & (1ULL << (cpu % 64))))
			cpumask_set_cpu(cpu, mask);
	if (!cpumask_empty(mask) && !cpumask_equal(mask, current->cpus_ptr)) {
		ret = set_cpus_allowed_ptr(current, mask);
		if (ret)
			ret = ckpt_err(ctx, ret, "thread %u: cannot set its CPU affinity",
				       r->tid);
	}
	free_cpumask_var(mask);
	return ret;
}

void ckpt_thread_sigstate(const struct ckpt_rec_thread *r,
			  struct ckpt_rec_signal *sig,
			  struct ckpt_sigstate *ss)
{
	memset(sig, 0, sizeof(*sig));
	memset(ss, 0, sizeof(*ss));
	sig->blocked = r->blocked;
	sig->altstack_sp = r->altstack_sp;
	sig->altstack_size = r->altstack_size;
	sig->altstack_flags = r->altstack_flags;
	ss->signal = sig;
}

int ckpt_thread_apply(struct ckpt_ctx *ctx, const struct ckpt_rec_thread *r)
{
	int ret;

	/* set_tid_address(2) and set_robust_list(2), as they do it. */
	current->clear_child_tid = u64_to_user_ptr(r->clear_child_tid);
	current->robust_list = u64_to_user_ptr(r->robust_list);
	ckpt_set_rseq(current, r->rseq, r->rseq_len, r->rseq_sig);
	if (r->rseq)
		rseq_set_notify_resume(current);
	/*
	 * prctl(PR_SET_NO_NEW_PRIVS), one way only: a thread made at restore
	 * has none (its maker sets none for an image that says it per thread).
	 */
	if (r->flags & CKPT_THREAD_NNP)
		task_set_no_new_privs(current);
	ret = apply_sched(ctx, r);
	if (!ret)
		ret = apply_affinity(ctx, r);
	return ret;
}
