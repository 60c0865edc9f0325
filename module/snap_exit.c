// SPDX-License-Identifier: GPL-2.0
/*
 * Exit-time rollback (CKPT_SNAP_EXIT, AFL-Snapshot-LKM's EXIT flag): a
 * process with such a snapshot that calls exit() or exit_group() is
 * rolled back to it instead of exiting.  Fuzzers rely on it: the target's
 * main() returns, and the next input starts from the snapshot.
 *
 * No kprobe and no syscall table: while such a snapshot exists we attach
 * a probe to the sys_enter tracepoint (found by name with the exported
 * for_each_kernel_tracepoint()).  The probe runs in atomic context, so it
 * only turns the syscall into a no-op (the entry code re-reads the number
 * after the tracepoint), blocks signals and queues task_work.  The work
 * runs on the way back to user mode, in the process's own context, and
 * does the rollback there, holding the process's other threads if it has
 * any (rollback_group.c).  With no such snapshot left by then, or if the
 * rollback is refused (a thread of the snapshot has ended), it puts the
 * syscall back, to run again past the probe.
 *
 * The probe outlives the last such snapshot by PROBE_LINGER.  Registering
 * and unregistering live-patch the kernel's text (the tracepoint's static
 * key and static calls, on every CPU) and unregistering waits for an
 * RCU-tasks grace period: a fuzzer re-forks its target after every crash
 * or hang, and each child's snapshot would pay both, the grace period in
 * the dying child's exit.  Meanwhile every syscall in the system takes the
 * tracing slow path, which is why the probe does not stay for good.
 */
#include <linux/compat.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/string.h>
#include <linux/task_work.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>
#include <asm/syscall.h>
#include <asm/unistd.h>

#include "snap.h"
#include "watch.h"

#define PROBE_LINGER	(5 * HZ)

static DEFINE_MUTEX(exit_lock);		/* exit_users and probe_on */
static unsigned int exit_users;
static bool probe_on;
static struct tracepoint *sys_enter_tp;

static void probe_off_work(struct work_struct *work);
static DECLARE_DELAYED_WORK(probe_off, probe_off_work);

static void find_sys_enter(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sys_enter"))
		*(struct tracepoint **)priv = tp;
}

struct ckpt_snap *ckpt_snap_exit_find(struct ckpt_mmsnap *ms)
{
	struct ckpt_snap *s, *found = NULL;

	lockdep_assert_held(&ms->mutex);
	list_for_each_entry(s, &ms->snaps, node)
		if (s->flags & CKPT_SNAP_EXIT)
			found = s;
	return found;
}

/* The exit syscall the probe skipped, as it was made. */
struct exit_call {
	long nr;
	sigset_t mask;
};

/* The exit runs again, through the probe. */
static void exit_retry(struct pt_regs *regs, const struct exit_call *c)
{
	sigset_t mask = c->mask;

	sigprocmask(SIG_SETMASK, &mask, NULL);
	regs->ax = c->nr;
	regs->ip -= 2;		/* the syscall instruction */
}

/* The exit runs again, for real this time, and the probe lets it pass. */
static void exit_again(struct ckpt_mmsnap *ms, struct pt_regs *regs,
		       const struct exit_call *c)
{
	WRITE_ONCE(ms->exit_pass, task_pid_nr(current));
	exit_retry(regs, c);
}

static void exit_refused(struct ckpt_mmsnap *ms, struct ckpt_snap *s,
			 struct pt_regs *regs, const struct exit_call *c)
{
	pr_notice_ratelimited("ckpt: pid %d exits: its rollback to snapshot %u at exit was refused: %s\n",
			      task_tgid_nr(current), s->id,
			      s->ctx->errmsg[0] ? s->ctx->errmsg : "error");
	exit_again(ms, regs, c);
}

static void exit_work(struct callback_head *cb)
{
	struct ckpt_mmsnap *ms = container_of(cb, struct ckpt_mmsnap,
					      exit_work);
	struct pt_regs *regs = task_pt_regs(current);
	struct exit_call c = { .nr = ms->exit_nr, .mask = ms->exit_mask };
	struct ckpt_rb_stats st = {};
	struct ckpt_snap *s = NULL;
	long ax;
	int ret;

	/* From here another thread's exit may queue the work again. */
	WRITE_ONCE(ms->exit_queued, 0);
	if (!current->mm || (current->flags & PF_EXITING))
		goto out;
	/*
	 * Not waited for: the holder may be another thread's snapshot or
	 * rollback, waiting for this thread, whose work runs after this one
	 * returns.  So the exit comes back to the probe after that.
	 */
	if (!mutex_trylock(&ms->mutex)) {
		exit_retry(regs, &c);
		goto out;
	}
	if (current->mm == ckpt_mmsnap_watch(ms)->mn.mm &&
	    !ckpt_watch_dead(ckpt_mmsnap_watch(ms)))
		s = ckpt_snap_exit_find(ms);
	if (!s) {
		/* Dropped meanwhile. */
		exit_again(ms, regs, &c);
	} else if (s->nr_threads || get_nr_threads(current) > 1) {
		s->ctx->errmsg[0] = 0;
		ret = ckpt_rollback_group(s, &ax, &st);
		/* Refused, nothing changed: the process exits as it asked. */
		if (ret == -ERESTARTNOINTR)
			exit_retry(regs, &c);
		else if (ret && !fatal_signal_pending(current))
			exit_refused(ms, s, regs, &c);
	} else {
		s->ctx->errmsg[0] = 0;
		if (ckpt_snap_same_seccomp(s->ctx, s, 0, current)) {
			exit_refused(ms, s, regs, &c);
		} else {
			ret = ckpt_rollback_current(s, s->signal, &st);
			if (ret)
				ckpt_snap_kill_current(s, ret);
			else
				/* Skipped: nothing writes ax after us. */
				ckpt_snap_regs_current(s);
		}
	}
	mutex_unlock(&ms->mutex);
out:
	ckpt_mmsnap_put(ms);
}

/* sys_enter probe: atomic context, every syscall of every task. */
static void exit_probe(void *data, struct pt_regs *regs, long id)
{
	struct ckpt_mmsnap *ms;

	if (id != __NR_exit && id != __NR_exit_group)
		return;
	/*
	 * exit() of one thread among others is its own.  So is a vfork
	 * child's exit; with threads, the rollback checks the mm's users
	 * once they are held, as a clone in progress counts here too.
	 */
	if (in_compat_syscall() || !current->mm ||
	    (current->flags & PF_KTHREAD) ||
	    (id == __NR_exit && get_nr_threads(current) != 1) ||
	    (get_nr_threads(current) == 1 &&
	     atomic_read(&current->mm->mm_users) != 1))
		return;
	ms = ckpt_mmsnap_find(current->mm);
	if (!ms)
		return;
	/* Its rollback was refused: this exit is for real. */
	if (READ_ONCE(ms->exit_pass) == task_pid_nr(current)) {
		WRITE_ONCE(ms->exit_pass, 0);
		goto put;
	}
	if (!READ_ONCE(ms->nr_exit) || ckpt_watch_dead(ckpt_mmsnap_watch(ms)))
		goto put;
	if (xchg(&ms->exit_queued, 1)) {
		/*
		 * Another thread's exit is on its way to a rollback: this one
		 * is skipped and made again until that rollback holds this
		 * thread (its registers become the snapshot's) or lets the
		 * process exit.
		 */
		regs->orig_ax = -1;
		regs->ax = id;
		regs->ip -= 2;
		goto put;
	}
	ms->exit_nr = id;
	ms->exit_mask = current->blocked;
	init_task_work(&ms->exit_work, exit_work);
	if (task_work_add(current, &ms->exit_work, TWA_RESUME)) {
		WRITE_ONCE(ms->exit_queued, 0);
		goto put;
	}
	/* No handler frame may land on a stack about to be rewound. */
	ckpt_signal_block_all(current);
	/* Skipped: the entry code re-reads the number after the probes. */
	regs->orig_ax = -1;
	return;		/* the work drops the reference */
put:
	ckpt_mmsnap_put(ms);
}

int ckpt_snap_exit_get(void)
{
	int ret = 0;

	mutex_lock(&exit_lock);
	if (!probe_on) {
		if (!sys_enter_tp)
			for_each_kernel_tracepoint(find_sys_enter,
						   &sys_enter_tp);
		if (!sys_enter_tp) {
			ret = -EOPNOTSUPP;
			goto out;
		}
		ret = tracepoint_probe_register(sys_enter_tp, exit_probe, NULL);
		if (ret)
			goto out;
		probe_on = true;
	}
	exit_users++;
out:
	mutex_unlock(&exit_lock);
	return ret;
}

void ckpt_snap_exit_put(void)
{
	mutex_lock(&exit_lock);
	if (!WARN_ON_ONCE(!exit_users) && !--exit_users)
		mod_delayed_work(system_wq, &probe_off, PROBE_LINGER);
	mutex_unlock(&exit_lock);
}

/* Caller holds exit_lock; true if the caller must wait for the probe. */
static bool probe_unregister(void)
{
	lockdep_assert_held(&exit_lock);
	if (exit_users || !probe_on)
		return false;
	tracepoint_probe_unregister(sys_enter_tp, exit_probe, NULL);
	probe_on = false;
	return true;
}

static void probe_off_work(struct work_struct *work)
{
	bool wait;

	mutex_lock(&exit_lock);
	wait = probe_unregister();
	mutex_unlock(&exit_lock);
	/* Module exit cancels this work: it waits for us, and so for this. */
	if (wait)
		tracepoint_synchronize_unregister();
}

/* Module exit: no snapshot is left, so no user; the lingering probe goes. */
void ckpt_snap_exit_cleanup(void)
{
	bool wait;

	cancel_delayed_work_sync(&probe_off);
	mutex_lock(&exit_lock);
	WARN_ON_ONCE(exit_users);
	wait = probe_unregister();
	mutex_unlock(&exit_lock);
	/* No probe may still run our code once we return. */
	if (wait)
		tracepoint_synchronize_unregister();
}
