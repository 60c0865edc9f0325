// SPDX-License-Identifier: GPL-2.0
/*
 * Signal state: handlers, the blocked mask, the alternate stack, interval
 * timers, and the signals queued but not yet delivered.
 *
 * lock_task_sighand() is not exported; ckpt_with_sighand() is the same RCU
 * loop (sighand_struct is SLAB_TYPESAFE_BY_RCU, so a recheck of the
 * pointer after locking proves we hold the task's current one).
 */
#include <linux/hrtimer.h>
#include <linux/lockdep.h>
#include <linux/sched/cputime.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>

#include "apply.h"

/* Runs @fn with the task's siglock held; -ESRCH once it has none. */
int ckpt_with_sighand(struct task_struct *t,
		      void (*fn)(struct task_struct *t,
				 struct sighand_struct *sh, void *arg),
		      void *arg)
{
	struct sighand_struct *sh;
	unsigned long flags;

	rcu_read_lock();
	for (;;) {
		sh = rcu_dereference(t->sighand);
		if (!sh) {
			rcu_read_unlock();
			return -ESRCH;
		}
		spin_lock_irqsave(&sh->siglock, flags);
		if (likely(sh == rcu_access_pointer(t->sighand)))
			break;
		spin_unlock_irqrestore(&sh->siglock, flags);
	}
	rcu_read_unlock();
	fn(t, sh, arg);
	spin_unlock_irqrestore(&sh->siglock, flags);
	return 0;
}

int ckpt_with_sighand_array(struct task_struct *t,
			    void (*fn)(struct task_struct *t,
				       struct sighand_struct *sh, void *arg),
			    void *arg, struct ckpt_lock_array *a, size_t size)
{
	for (;;) {
		if (ckpt_with_sighand(t, fn, arg))
			break;
		if (a->n <= a->max)
			return 0;
		kvfree(a->v);
		a->max = a->n + 8;
		a->v = kvmalloc_array(a->max, size, GFP_KERNEL);
		if (!a->v) {
			a->max = 0;
			return -ENOMEM;
		}
	}
	kvfree(a->v);
	a->v = NULL;
	a->max = 0;
	return -ESRCH;
}

static void read_handlers(struct task_struct *t, struct sighand_struct *sh,
			  void *arg)
{
	struct ckpt_rec_sighand *r = arg;
	struct k_sigaction *ka;
	unsigned int i;

	lockdep_assert_held(&sh->siglock);
	for (i = 0; i < _NSIG; i++) {
		ka = &sh->action[i];
		r->action[i].handler = (unsigned long)ka->sa.sa_handler;
		r->action[i].flags = ka->sa.sa_flags;
		r->action[i].restorer = (unsigned long)ka->sa.sa_restorer;
		r->action[i].mask = ka->sa.sa_mask.sig[0];
	}
}

static int capture_handlers(struct ckpt_ctx *ctx)
{
	struct ckpt_rec_sighand *r;

	/* The record is allocated first: no allocation under the lock. */
	r = ckpt_rec_get(ctx, CKPT_REC_SIGHAND, sizeof(*r));
	if (!r)
		return hbuf_error(&ctx->hb);
	if (ckpt_with_sighand(ctx->task, read_handlers, r))
		return ckpt_err(ctx, -ESRCH, "the process is exiting");
	return ckpt_rec_put(ctx, r);
}

static void capture_cpu_itimer(struct ckpt_itimer *it,
			       const struct cpu_itimer *ci, u64 now)
{
	if (!ci->expires)
		return;
	it->value_ns = ci->expires > now ? ci->expires - now : 1;
	it->interval_ns = ci->incr;
}

struct state_arg {
	struct ckpt_rec_signal *r;
	u64 ut, st;		/* CPU time of the live thread */
};

/*
 * @t's blocked mask and altstack, for the leader's SIGNAL record and each
 * other thread's THREAD record.  Stopped inside sigsuspend(), ppoll(),
 * pselect() or epoll_pwait(), a thread runs under the call's temporary
 * mask, which the restarted call installs again; until then its mask is
 * the saved one, which is what the kernel puts back when it restarts the
 * call.
 */
static void read_mask(struct task_struct *t, u64 *blocked, u64 *sp,
		      u64 *size, u32 *flags)
{
	*blocked = test_tsk_restore_sigmask(t) ? t->saved_sigmask.sig[0] :
						 t->blocked.sig[0];
	*sp = t->sas_ss_sp;
	*size = t->sas_ss_size;
	*flags = t->sas_ss_flags;
}

static void read_state(struct task_struct *t, struct sighand_struct *sh,
		       void *arg)
{
	struct state_arg *a = arg;
	struct ckpt_rec_signal *r = a->r;
	struct signal_struct *sig = t->signal;
	u64 ut = a->ut + sig->utime, st = a->st + sig->stime;
	ktime_t rem;

	lockdep_assert_held(&sh->siglock);
	read_mask(t, &r->blocked, &r->altstack_sp, &r->altstack_size,
		  &r->altstack_flags);
	if (hrtimer_active(&sig->real_timer)) {
		rem = hrtimer_get_remaining(&sig->real_timer);
		r->itimer[0].value_ns = max_t(s64, ktime_to_ns(rem), 1);
		r->itimer[0].interval_ns = ktime_to_ns(sig->it_real_incr);
	}
	/*
	 * The CPU timers count process CPU time; a single-threaded process
	 * has used what its one thread and its reaped threads have.
	 */
	capture_cpu_itimer(&r->itimer[2], &sig->it[CPUCLOCK_PROF], ut + st);
	capture_cpu_itimer(&r->itimer[1], &sig->it[CPUCLOCK_VIRT], ut);
}

static int capture_state(struct ckpt_ctx *ctx)
{
	struct state_arg a;

	a.r = ckpt_rec_get(ctx, CKPT_REC_SIGNAL, sizeof(*a.r));
	if (!a.r)
		return hbuf_error(&ctx->hb);
	task_cputime_adjusted(ctx->task, &a.ut, &a.st);
	if (ckpt_with_sighand(ctx->task, read_state, &a))
		return ckpt_err(ctx, -ESRCH, "the process is exiting");
	return ckpt_rec_put(ctx, a.r);
}

struct pending_sig {
	u32 shared;
	u32 signo;
	kernel_siginfo_t info;
};

/* Copies up to @max queued signals of @p; returns how many there are. */
static unsigned int collect(struct sigpending *p, u32 shared,
			    struct pending_sig *out, unsigned int n,
			    unsigned int max)
{
	sigset_t seen;
	struct sigqueue *q;
	int sig;

	sigemptyset(&seen);
	list_for_each_entry(q, &p->list, list) {
		/* A POSIX timer's own: the restored timer queues it (timer.c). */
		if (q->info.si_code == SI_TIMER) {
			sigaddset(&seen, q->info.si_signo);
			continue;
		}
		if (n < max) {
			out[n].shared = shared;
			out[n].signo = q->info.si_signo;
			out[n].info = q->info;
		}
		sigaddset(&seen, q->info.si_signo);
		n++;
	}
	/* Pending with no queue entry (SIGKILL/SIGSTOP, or no memory). */
	for (sig = 1; sig <= _NSIG; sig++) {
		if (!sigismember(&p->signal, sig) || sigismember(&seen, sig))
			continue;
		if (n < max) {
			out[n].shared = shared;
			out[n].signo = sig;
			memset(&out[n].info, 0, sizeof(out[n].info));
			out[n].info.si_signo = sig;
			out[n].info.si_code = SI_KERNEL;
		}
		n++;
	}
	return n;
}

static void read_pending(struct task_struct *t, struct sighand_struct *sh,
			 void *arg)
{
	struct ckpt_lock_array *a = arg;

	lockdep_assert_held(&sh->siglock);
	a->n = collect(&t->pending, 0, a->v, 0, a->max);
	a->n = collect(&t->signal->shared_pending, 1, a->v, a->n, a->max);
}

static int capture_pending(struct ckpt_ctx *ctx)
{
	struct ckpt_lock_array a = { };
	struct ckpt_rec_sigpending *r;
	struct pending_sig *ps;
	unsigned int i;
	int ret;

	ret = ckpt_with_sighand_array(ctx->task, read_pending, &a, &a,
				      sizeof(*ps));
	if (ret == -ESRCH)
		return ckpt_err(ctx, ret, "the process is exiting");
	ps = a.v;
	for (i = 0; i < a.n && !ret; i++) {
		r = ckpt_rec_get(ctx, CKPT_REC_SIGPENDING, sizeof(*r));
		if (!r) {
			ret = hbuf_error(&ctx->hb);
			break;
		}
		BUILD_BUG_ON(sizeof(ps[i].info) > sizeof(r->siginfo));
		r->shared = ps[i].shared;
		r->signo = ps[i].signo;
		memcpy(r->siginfo, &ps[i].info, sizeof(ps[i].info));
		ret = ckpt_rec_put(ctx, r);
	}
	kvfree(a.v);
	return ret;
}

struct thread_arg {
	struct ckpt_rec_thread *r;
	struct ckpt_lock_array p;
};

static void read_thread(struct task_struct *t, struct sighand_struct *sh,
			void *arg)
{
	struct thread_arg *a = arg;

	lockdep_assert_held(&sh->siglock);
	read_mask(t, &a->r->blocked, &a->r->altstack_sp, &a->r->altstack_size,
		  &a->r->altstack_flags);
	a->p.n = collect(&t->pending, 0, a->p.v, 0, a->p.max);
}

int ckpt_signal_thread_read(struct ckpt_ctx *ctx, struct task_struct *t,
			    struct ckpt_rec_thread *r,
			    struct ckpt_rec_sigpending **recs,
			    unsigned int *nr)
{
	struct thread_arg a = { .r = r };
	struct ckpt_rec_sigpending *out;
	struct pending_sig *ps;
	unsigned int i;
	int ret;

	ret = ckpt_with_sighand_array(t, read_thread, &a, &a.p, sizeof(*ps));
	if (ret == -ESRCH)
		return ckpt_err(ctx, ret, "thread %d is exiting",
				task_pid_vnr(t));
	if (ret)
		return ret;
	ps = a.p.v;
	out = a.p.n ? kcalloc(a.p.n, sizeof(*out), GFP_KERNEL) : NULL;
	if (a.p.n && !out) {
		kvfree(ps);
		return -ENOMEM;
	}
	for (i = 0; i < a.p.n; i++) {
		out[i].h.type = CKPT_REC_SIGPENDING;
		out[i].h.len = sizeof(out[i]);
		out[i].signo = ps[i].signo;
		memcpy(out[i].siginfo, &ps[i].info, sizeof(ps[i].info));
	}
	kvfree(ps);
	*recs = out;
	*nr = a.p.n;
	return 0;
}

int ckpt_signal_capture(struct ckpt_ctx *ctx)
{
	int ret;

	ret = capture_handlers(ctx);
	if (!ret)
		ret = capture_state(ctx);
	if (!ret)
		ret = capture_pending(ctx);
	return ret;
}

/* The image's handlers; SIGKILL's and SIGSTOP's cannot be changed. */
static void write_handlers(struct task_struct *t, struct sighand_struct *sh,
			   void *arg)
{
	const struct ckpt_rec_sighand *r = arg;
	struct k_sigaction *ka;
	unsigned int i;

	lockdep_assert_held(&sh->siglock);
	for (i = 0; i < _NSIG; i++) {
		if (i + 1 == SIGKILL || i + 1 == SIGSTOP)
			continue;
		ka = &sh->action[i];
		ka->sa.sa_handler = (__sighandler_t)r->action[i].handler;
		ka->sa.sa_flags = r->action[i].flags;
		ka->sa.sa_restorer = (__sigrestore_t)r->action[i].restorer;
		ka->sa.sa_mask.sig[0] = r->action[i].mask;
	}
}

/*
 * send_sig_info() queues on the thread; a process-wide signal belongs on
 * the process's queue, where any thread that does not block it takes it
 * (no exported call queues there with a siginfo).  So the entry just
 * queued for @arg's signal moves there, as __send_signal() would have put
 * it.  A legacy signal already pending on the thread was not queued
 * again: then that one moves, which is the same signal.
 */
static void move_to_shared(struct task_struct *t, struct sighand_struct *sh,
			   void *arg)
{
	struct sigpending *own = &t->pending, *all = &t->signal->shared_pending;
	int sig = *(int *)arg;
	struct sigqueue *q, *last = NULL;
	bool more = false;

	lockdep_assert_held(&sh->siglock);
	list_for_each_entry(q, &own->list, list)
		if (q->info.si_signo == sig)
			last = q;
	if (last)
		list_move_tail(&last->list, &all->list);
	list_for_each_entry(q, &own->list, list)
		more |= q->info.si_signo == sig;
	if (!more)
		sigdelset(&own->signal, sig);
	sigaddset(&all->signal, sig);
}

/*
 * Queued signals of the image, queued again on top of any that arrived
 * while the process was being restored: those are its own now, and must
 * be delivered after the restore, never replaced.
 */
static int queue_pending(struct ckpt_ctx *ctx, const struct ckpt_sigstate *ss)
{
	const struct ckpt_rec_sigpending *r;
	kernel_siginfo_t info;
	unsigned int i;
	int ret, sig;

	for (i = 0; i < ss->nr_pending; i++) {
		r = ss->pending[i];
		memcpy(&info, r->siginfo, sizeof(info));
		info.si_signo = r->signo;
		ret = send_sig_info(r->signo, &info, current);
		if (ret)
			return ckpt_err(ctx, ret, "cannot queue signal %u",
					r->signo);
		sig = r->signo;
		if (r->shared && ckpt_with_sighand(current, move_to_shared, &sig))
			return ckpt_err(ctx, -ESRCH, "the process is exiting");
	}
	return 0;
}

/*
 * In the process's own context: handlers, the alternate stack, then (for
 * a restore) the image's queued signals, and the blocked mask last, so
 * that a signal that arrived meanwhile stays queued and is delivered
 * against the applied state, once the registers are the image's too.
 */
int ckpt_signal_apply(struct ckpt_ctx *ctx, const struct ckpt_sigstate *ss,
		      enum ckpt_apply_mode mode)
{
	const struct ckpt_rec_signal *sig = ss->signal;
	sigset_t set;
	int ret;

	if (ss->sighand &&
	    ckpt_with_sighand(current, write_handlers, (void *)ss->sighand))
		return ckpt_err(ctx, -ESRCH, "the process is exiting");
	current->sas_ss_sp = sig->altstack_sp;
	current->sas_ss_size = sig->altstack_size;
	current->sas_ss_flags = sig->altstack_flags;
	if (mode == CKPT_REBUILD) {
		ret = queue_pending(ctx, ss);
		if (ret)
			return ret;
	}
	siginitset(&set, sig->blocked & ~(sigmask(SIGKILL) | sigmask(SIGSTOP)));
	return sigprocmask(SIG_SETMASK, &set, NULL);
}

static void block_all(struct task_struct *t, struct sighand_struct *sh,
		      void *arg)
{
	lockdep_assert_held(&sh->siglock);
	siginitsetinv(&t->blocked, sigmask(SIGKILL) | sigmask(SIGSTOP));
	/* Else the way out of sigsuspend() would unblock its saved mask. */
	clear_tsk_restore_sigmask(t);
}

void ckpt_signal_block_all(struct task_struct *t)
{
	ckpt_with_sighand(t, block_all, NULL);
}
