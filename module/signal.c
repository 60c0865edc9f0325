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

static void read_state(struct task_struct *t, struct sighand_struct *sh,
		       void *arg)
{
	struct state_arg *a = arg;
	struct ckpt_rec_signal *r = a->r;
	struct signal_struct *sig = t->signal;
	u64 ut = a->ut + sig->utime, st = a->st + sig->stime;
	ktime_t rem;

	lockdep_assert_held(&sh->siglock);
	/*
	 * Stopped inside sigsuspend(), ppoll(), pselect() or epoll_pwait(),
	 * the task runs under the call's temporary mask; the restarted call
	 * installs that again.  Until then the mask is the saved one, which
	 * is what the kernel itself puts back when it restarts the call.
	 */
	r->blocked = test_tsk_restore_sigmask(t) ? t->saved_sigmask.sig[0] :
						   t->blocked.sig[0];
	r->altstack_sp = t->sas_ss_sp;
	r->altstack_size = t->sas_ss_size;
	r->altstack_flags = t->sas_ss_flags;
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

struct pending_arg {
	struct pending_sig *ps;
	unsigned int n, max;
};

static void read_pending(struct task_struct *t, struct sighand_struct *sh,
			 void *arg)
{
	struct pending_arg *a = arg;

	lockdep_assert_held(&sh->siglock);
	a->n = collect(&t->pending, 0, a->ps, 0, a->max);
	a->n = collect(&t->signal->shared_pending, 1, a->ps, a->n, a->max);
}

static int capture_pending(struct ckpt_ctx *ctx)
{
	struct pending_arg a = { };
	struct ckpt_rec_sigpending *r;
	unsigned int i;
	int ret = 0;

	/* Count under the lock, allocate without it, and again if it grew. */
	for (;;) {
		if (ckpt_with_sighand(ctx->task, read_pending, &a)) {
			kfree(a.ps);
			return ckpt_err(ctx, -ESRCH, "the process is exiting");
		}
		if (a.n <= a.max)
			break;
		kfree(a.ps);
		a.max = a.n + 8;
		a.ps = kmalloc_array(a.max, sizeof(*a.ps), GFP_KERNEL);
		if (!a.ps)
			return -ENOMEM;
	}
	for (i = 0; i < a.n && !ret; i++) {
		r = ckpt_rec_get(ctx, CKPT_REC_SIGPENDING, sizeof(*r));
		if (!r) {
			ret = hbuf_error(&ctx->hb);
			break;
		}
		BUILD_BUG_ON(sizeof(a.ps[i].info) > sizeof(r->siginfo));
		r->shared = a.ps[i].shared;
		r->signo = a.ps[i].signo;
		memcpy(r->siginfo, &a.ps[i].info, sizeof(a.ps[i].info));
		ret = ckpt_rec_put(ctx, r);
	}
	kfree(a.ps);
	return ret;
}

struct thread_arg {
	struct ckpt_rec_thread *r;
	struct pending_arg p;
};

static void read_thread(struct task_struct *t, struct sighand_struct *sh,
			void *arg)
{
	struct thread_arg *a = arg;

	lockdep_assert_held(&sh->siglock);
	/* As read_state(): the mask a restarted call puts back. */
	a->r->blocked = test_tsk_restore_sigmask(t) ? t->saved_sigmask.sig[0] :
						      t->blocked.sig[0];
	a->r->altstack_sp = t->sas_ss_sp;
	a->r->altstack_size = t->sas_ss_size;
	a->r->altstack_flags = t->sas_ss_flags;
	a->p.n = collect(&t->pending, 0, a->p.ps, 0, a->p.max);
}

int ckpt_signal_thread_read(struct ckpt_ctx *ctx, struct task_struct *t,
			    struct ckpt_rec_thread *r,
			    struct ckpt_rec_sigpending **recs,
			    unsigned int *nr)
{
	struct thread_arg a = { .r = r };
	struct ckpt_rec_sigpending *out;
	unsigned int i;

	for (;;) {
		if (ckpt_with_sighand(t, read_thread, &a)) {
			kfree(a.p.ps);
			return ckpt_err(ctx, -ESRCH, "thread %d is exiting",
					task_pid_vnr(t));
		}
		if (a.p.n <= a.p.max)
			break;
		kfree(a.p.ps);
		a.p.max = a.p.n + 8;
		a.p.ps = kmalloc_array(a.p.max, sizeof(*a.p.ps), GFP_KERNEL);
		if (!a.p.ps)
			return -ENOMEM;
	}
	out = a.p.n ? kcalloc(a.p.n, sizeof(*out), GFP_KERNEL) : NULL;
	if (a.p.n && !out) {
		kfree(a.p.ps);
		return -ENOMEM;
	}
	for (i = 0; i < a.p.n; i++) {
		out[i].h.type = CKPT_REC_SIGPENDING;
		out[i].h.len = sizeof(out[i]);
		out[i].signo = a.p.ps[i].signo;
		memcpy(out[i].siginfo, &a.p.ps[i].info, sizeof(a.p.ps[i].info));
	}
	kfree(a.p.ps);
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
