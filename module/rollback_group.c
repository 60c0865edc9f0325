// SPDX-License-Identifier: GPL-2.0
/*
 * A process that rolls itself back while it has other threads, or to a
 * snapshot that had them: self rollback (CKPT_IOC_ROLLBACK with pid 0),
 * AFL-Snapshot-LKM's restore, and exit-time rollback.
 *
 * The calling thread holds the others (thread_hold.c), as a tracer holds
 * them for an external rollback, and refuses, before any change, what it
 * cannot do: a thread of the snapshot that has ended cannot be made
 * again.  Then it rewinds the process in its own context (memory, files,
 * handlers, its own mask and altstack), writes every held thread's
 * registers and xstate while it sleeps, and lets them go.  Each sets its
 * own mask and altstack before it leaves the kernel; one born since the
 * snapshot runs exit(0) instead, and leaves no mark in user memory.
 *
 * The caller's own xstate cannot be written while it runs: the regset
 * setters work only on a task off its CPU.  The thread that took a self
 * snapshot needs none, as for one thread: it returns from its
 * CKPT_IOC_SNAPSHOT call again, and that call was a function call.  Any
 * other caller was stopped by the snapshot at an arbitrary instruction,
 * so another thread of the snapshot, let go first of all, writes the
 * caller's registers and xstate while the caller sleeps, and only then
 * the caller leaves the kernel.  Without such a thread (all the others
 * born since) the caller gets its general registers only.
 *
 * Past the first change there is no way back: an error kills the process
 * rather than let it run half rolled back.
 */
#include <linux/completion.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/unistd.h>

#include "apply.h"
#include "snap.h"
#include "thread_hold.h"

struct rb_group {
	struct ckpt_snap *s;
	/* The caller, when another thread writes its registers. */
	struct task_struct *me;
	const struct ckpt_rec_cpu *my_cpu;
	const struct ckpt_rec_xstate *my_xs;
	bool waiting;			/* the caller sleeps on helped */
	int help_ret;
	struct completion helped;
};

/* A thread of the snapshot, its registers written: its own signal state. */
static void resume_then(struct ckpt_held *e)
{
	struct rb_group *g = e->hold->data;

	ckpt_snap_resume_thread(g->s, e->arg);
}

static void born_then(struct ckpt_held *e)
{
	struct rb_group *g = e->hold->data;

	ckpt_snap_born_forget();
	ckpt_snap_born_exit(g->s);
}

/* First the caller's registers, once it sleeps; then its own state. */
static void help_then(struct ckpt_held *e)
{
	struct rb_group *g = e->hold->data;

	/* Pairs with the caller's release: it sleeps from then on. */
	while (!smp_load_acquire(&g->waiting)) {
		if (fatal_signal_pending(current))
			return;
		cond_resched();
		cpu_relax();
	}
	ckpt_hold_wait_asleep(g->me);
	g->help_ret = ckpt_cpu_apply(g->s->ctx, g->me, g->my_cpu, g->my_xs);
	complete(&g->helped);
	resume_then(e);
}

/* Thread @i of @ctx in @s: its registers and xstate (the leader's: 0). */
static const struct ckpt_rec_cpu *cpu_of(const struct ckpt_snap *s,
					 const struct ckpt_rec_thread **recs,
					 unsigned int i)
{
	return i ? ckpt_thread_cpu(recs[i - 1]) : s->cpu;
}

static const struct ckpt_rec_xstate *xs_of(const struct ckpt_snap *s,
					   const struct ckpt_rec_thread **recs,
					   unsigned int i)
{
	return i ? ckpt_thread_xstate(recs[i - 1]) : s->xstate;
}

static bool born(const struct ckpt_rec_thread **recs, unsigned int i)
{
	return i && !recs[i - 1];
}

/* Who is who among the threads. */
struct roles {
	int me, self, helper;
};

static int find_roles(struct ckpt_ctx *ctx, const struct ckpt_snap *s,
		      const struct ckpt_rec_thread **recs, struct roles *r)
{
	struct task_struct *t;
	unsigned int i;

	r->me = -1;
	r->self = -1;
	r->helper = -1;
	for (i = 0; i <= ctx->nr_threads; i++) {
		t = ckpt_ctx_thread(ctx, i);
		if (!born(recs, i) && s->self && task_pid_vnr(t) == s->self_tid)
			r->self = i;
		if (t == current)
			r->me = i;
	}
	if (WARN_ON_ONCE(r->me < 0))
		return -EINVAL;
	if (born(recs, r->me) || r->me == r->self)
		return 0;
	/* The snapshot's caller, else any other thread of the snapshot. */
	if (r->self >= 0)
		r->helper = r->self;
	for (i = 0; r->helper < 0 && i <= ctx->nr_threads; i++)
		if ((int)i != r->me && !born(recs, i))
			r->helper = i;
	return 0;
}

/* Every held thread's registers, and what it does when let go. */
static int set_held(struct ckpt_ctx *ctx, struct ckpt_snap *s,
		    const struct ckpt_rec_thread **recs, struct ckpt_hold *h,
		    const struct roles *r)
{
	const struct ckpt_rec_cpu *cpu;
	struct ckpt_rec_cpu ret_cpu;
	struct task_struct *t;
	struct ckpt_held *e;
	unsigned int i;
	int ret;

	for (i = 0; i <= ctx->nr_threads; i++) {
		if ((int)i == r->me)
			continue;
		t = ckpt_ctx_thread(ctx, i);
		e = ckpt_hold_entry(h, t);
		if (WARN_ON_ONCE(!e))
			return -EINVAL;
		/* Until its then() sets its mask, no handler frame is pushed. */
		ckpt_signal_block_all(t);
		if (born(recs, i)) {
			e->then = born_then;
			continue;
		}
		cpu = cpu_of(s, recs, i);
		if ((int)i == r->self) {
			/* It returns from its snapshot call again. */
			ret_cpu = *cpu;
			ret_cpu.ax = s->rb_ret;
			cpu = &ret_cpu;
		}
		ret = ckpt_cpu_apply(ctx, t, cpu, xs_of(s, recs, i));
		if (ret)
			return ret;
		e->then = (int)i == r->helper ? help_then : resume_then;
		e->arg = i ? recs[i - 1] : NULL;
	}
	return 0;
}

/* The caller's own registers, or its helper's part; its syscall's value. */
static long set_me(struct ckpt_snap *s, const struct ckpt_rec_thread **recs,
		   const struct roles *r, struct rb_group *g)
{
	const struct ckpt_rec_cpu *cpu;

	if (born(recs, r->me)) {
		ckpt_signal_block_all(current);
		ckpt_snap_born_forget();
		ckpt_snap_born_exit(s);
		return __NR_exit;
	}
	cpu = cpu_of(s, recs, r->me);
	if (r->me == r->self) {
		ckpt_cpu_apply_current(cpu, s->rb_ret);
		return s->rb_ret;
	}
	if (r->helper < 0) {
		ckpt_cpu_apply_current(cpu, cpu->ax);
		return cpu->ax;
	}
	g->me = current;
	g->my_cpu = cpu;
	g->my_xs = xs_of(s, recs, r->me);
	return cpu->ax;
}

/*
 * The threads born since are on their way to exit(): once they are
 * exiting, the next snapshot's hold takes them as gone, not as threads
 * that a rollback to it would have to make again.  Bounded: a stop
 * signal may catch one on its way.
 */
static void wait_born(struct ckpt_ctx *ctx, const struct ckpt_rec_thread **recs,
		      int me)
{
	struct task_struct *t;
	unsigned long until = jiffies + HZ;
	unsigned int i;

	for (i = 1; i <= ctx->nr_threads; i++) {
		t = ckpt_ctx_thread(ctx, i);
		if (!born(recs, i) || (int)i == me)
			continue;
		while (!(READ_ONCE(t->flags) & PF_EXITING) &&
		       time_before(jiffies, until) &&
		       !fatal_signal_pending(current))
			schedule_timeout_uninterruptible(1);
	}
}

int ckpt_rollback_group(struct ckpt_snap *s, long *ax,
			struct ckpt_rb_stats *st)
{
	const struct ckpt_rec_thread **recs = NULL;
	struct rb_group g = { .s = s };
	const struct ckpt_rec_signal *own;
	struct ckpt_rec_signal sig;
	struct ckpt_sigstate ss;
	struct ckpt_hold *h;
	struct ckpt_ctx *ctx;
	struct roles r;
	int ret;

	lockdep_assert_held(&s->ms->mutex);
	init_completion(&g.helped);
	ctx = ckpt_ctx_alloc();
	if (!ctx)
		return -ENOMEM;
	ret = ckpt_hold_others(ctx, &h);
	if (ret)
		goto out;
	/* Before any then() is set: a thread killed meanwhile may run one. */
	h->data = &g;
	/* Held: no clone or exit in progress counts any more. */
	if (ckpt_mm_shared(current->mm, ctx->nr_threads + 1)) {
		ret = ckpt_err(ctx, -EBUSY,
			       "the process shares its memory with another task (vfork child, io_uring or vhost worker)");
	} else {
		/* As ckpt_target_get() leaves it, for the checks. */
		mmget(current->mm);
		ctx->mm = current->mm;
		ret = -ENOMEM;
		recs = kcalloc(ctx->nr_threads + 1, sizeof(*recs), GFP_KERNEL);
	}
	if (recs)
		ret = ckpt_snap_same_threads(ctx, s, recs);
	if (!ret)
		ret = find_roles(ctx, s, recs, &r);
	if (ret) {
		ckpt_hold_release(h);
		goto out;
	}

	/* The point of no return. */
	if (born(recs, r.me)) {
		/* Its mask stays full until it is gone. */
		memset(&sig, 0, sizeof(sig));
		sig.blocked = ~0ULL;
		sig.altstack_flags = SS_DISABLE;
		own = &sig;
	} else if (r.me) {
		ckpt_thread_sigstate(recs[r.me - 1], &sig, &ss);
		own = &sig;
	} else {
		own = s->signal;
	}
	ret = ckpt_rollback_current(s, own, st);
	if (!ret)
		ret = set_held(ctx, s, recs, h, &r);
	if (ret)
		goto kill;
	*ax = set_me(s, recs, &r, &g);
	ckpt_hold_go(h);
	if (g.me) {
		/* Pairs with help_then(): from here the caller only sleeps. */
		smp_store_release(&g.waiting, true);
		if (!wait_for_completion_killable(&g.helped) && g.help_ret) {
			ret = g.help_ret;
			ckpt_snap_kill_current(s, ret);
		}
	}
	ckpt_hold_end(h);
	wait_born(ctx, recs, r.me);
	goto out;

kill:
	if (ctx->errmsg[0])
		strscpy(s->ctx->errmsg, ctx->errmsg, sizeof(s->ctx->errmsg));
	ckpt_snap_kill_current(s, ret);
	/*
	 * Killed: the held threads wake to die.  One may still see go first
	 * and run its then(), which uses g: wait for them all.
	 */
	ckpt_hold_go(h);
	ckpt_hold_end(h);
out:
	if (ret && ctx->errmsg[0] && !s->ctx->errmsg[0])
		strscpy(s->ctx->errmsg, ctx->errmsg, sizeof(s->ctx->errmsg));
	kfree(recs);
	ckpt_ctx_free(ctx);
	return ret;
}
