// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX timers (timer_create): one TIMER record each, in id order.  The
 * restoring process makes them again itself (timer_create() and
 * timer_settime() are what set a timer's id, clock, target and time, and
 * a module has no exported way to make one), so only the capture is here.
 *
 * struct k_itimer is read under the process's siglock, which guards the
 * list; the process is stopped, so a timer can fire but not be created,
 * deleted or set.
 */
#include <linux/hrtimer.h>
#include <linux/posix-timers.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "compat.h"
#include "apply.h"

struct timers_arg {
	struct ckpt_lock_array t;	/* of struct ckpt_rec_timer */
	int bad_id;
	const char *why;
};

static bool clock_ok(clockid_t c)
{
	return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC ||
	       c == CLOCK_BOOTTIME || c == CLOCK_TAI;
}

static void read_timers(struct task_struct *t, struct sighand_struct *sh,
			void *arg)
{
	struct timers_arg *a = arg;
	struct k_itimer *timr;
	struct ckpt_rec_timer *r;
	ktime_t left;
	bool armed, fired;

	lockdep_assert_held(&sh->siglock);
	a->t.n = 0;
	a->why = NULL;
	ckpt_for_each_posix_timer(timr, t->signal) {
		if (a->t.n++ >= a->t.max || a->why)
			continue;
		r = (struct ckpt_rec_timer *)a->t.v + a->t.n - 1;
		memset(r, 0, sizeof(*r));
		fired = false;
		r->id = timr->it_id;
		r->clock = timr->it_clock;
		r->notify = timr->it_sigev_notify;
		if (timr->it_id > CKPT_TIMER_ID_MAX) {
			/* The words name CKPT_TIMER_ID_MAX: */
			BUILD_BUG_ON(CKPT_TIMER_ID_MAX != 65535);
			a->why = "its id is above 65535, which a restore cannot make again";
			a->bad_id = timr->it_id;
			continue;
		}
		if (!clock_ok(timr->it_clock)) {
			a->why = "its clock is a CPU-time or alarm clock, which is not supported";
			a->bad_id = timr->it_id;
			continue;
		}
		armed = hrtimer_active(&timr->it.real.timer);
		/*
		 * Its signal is queued: the kernel re-arms a periodic timer
		 * only once that is taken.  The capture leaves that signal
		 * out (signal.c), and the restored timer fires at once to
		 * queue it again, from the timer itself.
		 */
		if (!armed && timr->sigq && !list_empty(&timr->sigq->list)) {
			r->value_ns = 1;
			fired = true;
		}
		if (r->notify == SIGEV_NONE && armed) {
			a->why = "it is armed with SIGEV_NONE, which is not supported";
			a->bad_id = timr->it_id;
			continue;
		}
		if (r->notify != SIGEV_NONE && timr->sigq) {
			r->signo = timr->sigq->info.si_signo;
			r->value = (unsigned long)timr->sigq->info.si_value.sival_ptr;
		}
		if (r->notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID))
			r->tid = pid_vnr(timr->it_pid);
		r->interval_ns = ktime_to_ns(timr->it_interval);
		if (armed && !fired) {
			left = hrtimer_get_remaining(&timr->it.real.timer);
			r->value_ns = max_t(s64, ktime_to_ns(left), 1);
		}
	}
}

static int id_cmp(const void *a, const void *b)
{
	const struct ckpt_rec_timer *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int ckpt_timer_capture(struct ckpt_ctx *ctx)
{
	struct timers_arg a = { };
	struct ckpt_rec_timer *r, *t;
	unsigned int i;
	int ret = 0;

	ret = ckpt_with_sighand_array(ctx->task, read_timers, &a, &a.t,
				      sizeof(*t));
	if (ret == -ESRCH)
		return ckpt_err(ctx, ret, "the process is exiting");
	if (ret)
		return ret;
	t = a.t.v;
	if (a.why) {
		ret = ckpt_err(ctx, -EOPNOTSUPP, "POSIX timer %d: %s", a.bad_id,
			       a.why);
		goto out;
	}
	sort(t, a.t.n, sizeof(*t), id_cmp, NULL);
	for (i = 0; i < a.t.n && !ret; i++) {
		r = ckpt_rec_get(ctx, CKPT_REC_TIMER, sizeof(*r));
		if (!r) {
			ret = hbuf_error(&ctx->hb);
			break;
		}
		t[i].h = r->h;
		*r = t[i];
		ret = ckpt_rec_put(ctx, r);
	}
out:
	kvfree(t);
	return ret;
}
