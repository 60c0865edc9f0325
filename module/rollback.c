// SPDX-License-Identifier: GPL-2.0
/*
 * CKPT_IOC_ROLLBACK: a snapshot applied back onto its process.
 *
 * Memory, mappings and the fd table can only be changed from the process's
 * own context (vm_mmap() and the fd helpers work on current), and
 * registers and xstate only while it is stopped and not current (the
 * regset setters).  So:
 *
 *  self      the process calls in on itself: everything is rewound in the
 *            ioctl, and its saved user registers are those of the
 *            CKPT_IOC_SNAPSHOT call, which thus returns again, with the
 *            snapshot id as its value (longjmp).
 *  external  the caller has the process ptrace-stopped, every thread.
 *            The ioctl sets each thread's registers and xstate, blocks
 *            every signal (so that no handler frame is pushed onto a stack
 *            about to be rewound), and queues the rest as task_work.  The
 *            caller resumes the process, the leader's work runs before any
 *            user instruction, restores the blocked mask last, and reports
 *            through CKPT_RB_WAIT.  Every other thread's work waits for the
 *            leader's, so that no thread runs on memory half rewound, then
 *            sets that thread's own mask and altstack.
 *
 * A thread born since the snapshot ends: no exported call ends a thread
 * alone, so its work points its registers at a syscall instruction of the
 * vDSO with exit() in ax, after the leader's work, and lets it go; it
 * leaves no mark in user memory (its clear_child_tid, robust list and
 * rseq are cleared first).  A thread of the snapshot that has ended
 * cannot be made again, so such a rollback is refused, in words, before
 * it changes anything.  A process with threads that rolls itself back
 * (self, AFL and exit-time rollback) holds them instead of a tracer:
 * rollback_group.c.
 *
 * Past the first change there is no way back: an error kills the process
 * rather than let it run half rolled back.
 */
#include <linux/ktime.h>
#include <linux/rseq.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <asm/unistd.h>

#include "compat.h"
#include "snap.h"
#include "watch.h"

/* Rollback wait for the process to run its queued part, at most. */
#define RB_WAIT_TIMEOUT	(30 * HZ)

int ckpt_rollback_current(struct ckpt_snap *s, const struct ckpt_rec_signal *own,
			  struct ckpt_rb_stats *st)
{
	struct ckpt_mem_src mem = { .snap = s, .st = st };
	int ret;

	lockdep_assert_held(&s->ms->mutex);
	ret = ckpt_mm_apply(s->ctx, &mem, CKPT_REWIND);
	if (!ret)
		ret = ckpt_files_apply(s->ctx, &s->fds, CKPT_REWIND);
	if (!ret) {
		struct ckpt_sigstate ss = {
			.sighand = s->sighand, .signal = own,
		};

		ret = ckpt_signal_apply(s->ctx, &ss, CKPT_REWIND);
	}
	if (!ret) {
		/* The rseq area was rewound too: its cpu_id may be stale. */
		rseq_set_notify_resume(current);
		s->rollbacks++;
	}
	return ret;
}

void ckpt_snap_kill_current(struct ckpt_snap *s, int err)
{
	pr_warn_ratelimited("ckpt: pid %d killed: its rollback to snapshot %u failed half-way: %s (%d)\n",
			    task_pid_nr(current), s->id,
			    s->ctx->errmsg[0] ? s->ctx->errmsg : "error", err);
	send_sig(SIGKILL, current, 1);
}

/* Why @t cannot be rolled back, or NULL: its handlers are its threads' alone. */
static const char *not_alone(struct task_struct *t)
{
	struct sighand_struct *sh;
	bool shared;

	rcu_read_lock();
	sh = rcu_dereference(t->sighand);
	shared = !sh || refcount_read(&sh->count) != get_nr_threads(t);
	rcu_read_unlock();
	return shared ? "the process shares its signal handlers with another process" : NULL;
}

/*
 * A filter stays until the thread ends, and holds the one before it, so
 * an unchanged pointer is an unchanged chain.
 */
int ckpt_snap_same_seccomp(struct ckpt_ctx *ctx, const struct ckpt_snap *s,
			   unsigned int j, struct task_struct *t)
{
	if (READ_ONCE(t->seccomp.mode) == s->seccomp[j].mode &&
	    READ_ONCE(t->seccomp.filter) == s->seccomp[j].filter)
		return 0;
	return ckpt_err(ctx, -EBUSY,
			"thread %d has entered seccomp or added a seccomp filter since snapshot %u: a rollback cannot take it off",
			task_pid_vnr(t), s->id);
}

/* The tid of the i-th thread of @ctx, the leader being 0. */
static pid_t ctx_tid(const struct ckpt_ctx *ctx, unsigned int i)
{
	return task_pid_vnr(ckpt_ctx_thread(ctx, i));
}

/*
 * The threads of @ctx (the leader and the others, by tid) must be those
 * of @s, but for threads born since: @recs[i] becomes the record of
 * ctx->threads[i], NULL for one born since.  A single-threaded snapshot
 * has no THREAD record: its one thread is the leader.
 */
int ckpt_snap_same_threads(struct ckpt_ctx *ctx, const struct ckpt_snap *s,
			   const struct ckpt_rec_thread **recs)
{
	unsigned int now = ctx->nr_threads + 1, then = s->nr_threads ?: 1;
	unsigned int i = 1, j = 1;
	pid_t a, b;
	int ret;

	ret = ckpt_snap_same_seccomp(ctx, s, 0, ctx->task);
	if (ret)
		return ret;
	while (i < now || j < then) {
		a = i < now ? ctx_tid(ctx, i) : 0;
		b = j < then ? (pid_t)s->threads[j]->tid : 0;
		if (a == b && ckpt_ctx_thread(ctx, i)->start_time !=
		    s->thread_start[j]) {
			return ckpt_err(ctx, -EBUSY,
					"thread %d of snapshot %u has ended, and its tid was reused: a rollback cannot make it again",
					a, s->id);
		} else if (a == b) {
			ret = ckpt_snap_same_seccomp(ctx, s, j,
						     ckpt_ctx_thread(ctx, i));
			if (ret)
				return ret;
			recs[i++ - 1] = s->threads[j++];
		} else if (!b || (a && a < b)) {
			/* Born since: it ends through a syscall of the vDSO. */
			if (!ctx->mm->context.vdso)
				return ckpt_err(ctx, -EOPNOTSUPP,
						"thread %d was started after snapshot %u, and without a vDSO (vdso=0) a rollback cannot end it",
						a, s->id);
			recs[i++ - 1] = NULL;
		} else {
			return ckpt_err(ctx, -EBUSY,
					"thread %d of snapshot %u has ended: a rollback cannot make it again",
					b, s->id);
		}
	}
	return 0;
}

/*
 * Allocates nothing for a single thread: the fuzzer loop calls this many
 * times a second.  With threads, rollback_group.c does it.
 */
int ckpt_snap_rollback_self(struct ckpt_rollback *a, long *ax)
{
	const char *why = not_alone(current);
	struct ckpt_rb_stats st = {};
	struct ckpt_mmsnap *ms;
	struct ckpt_snap *s;
	int ret = -EINVAL;

	/* With threads, rollback_group.c checks it once they are held. */
	if (!why && get_nr_threads(current) == 1 &&
	    ckpt_mm_shared(current->mm, 1))
		why = "the process shares its memory with another task";
	if (why) {
		strscpy(a->errmsg, why, sizeof(a->errmsg));
		return -EBUSY;
	}
	ms = ckpt_mmsnap_find(current->mm);
	if (!ms)
		goto none;
	/* As for a snapshot: a thread held meanwhile takes the call again. */
	if (mutex_lock_interruptible(&ms->mutex)) {
		ckpt_mmsnap_put(ms);
		return -ERESTARTNOINTR;
	}
	s = ckpt_snap_find(ms, a->id);
	if (s && (s->nr_threads || get_nr_threads(current) > 1)) {
		s->ctx->errmsg[0] = 0;
		ret = ckpt_rollback_group(s, ax, &st);
		if (ret)
			strscpy(a->errmsg, s->ctx->errmsg[0] ? s->ctx->errmsg :
				"rollback failed", sizeof(a->errmsg));
	} else if (s) {
		s->ctx->errmsg[0] = 0;
		ret = ckpt_snap_same_seccomp(s->ctx, s, 0, current);
		if (ret) {
			strscpy(a->errmsg, s->ctx->errmsg, sizeof(a->errmsg));
		} else {
			ret = ckpt_rollback_current(s, s->signal, &st);
			if (ret)
				ckpt_snap_kill_current(s, ret);
			else
				*ax = ckpt_snap_regs_current(s);
		}
	}
	mutex_unlock(&ms->mutex);
	ckpt_mmsnap_put(ms);
	if (s)
		return ret;
none:
	snprintf(a->errmsg, sizeof(a->errmsg), "no snapshot %u", a->id);
	return -EINVAL;
}

/*
 * A self snapshot returns again from its CKPT_IOC_SNAPSHOT call, with
 * s->rb_ret as value.  Another one resumes where the process was stopped,
 * with its general registers; its xstate cannot be written on current
 * (regsets refuse it), which only exit-time rollback of an external
 * snapshot comes to.  The value returned is what the syscall exit path
 * puts into ax.
 */
long ckpt_snap_regs_current(struct ckpt_snap *s)
{
	long ax = s->self ? s->rb_ret : (long)s->cpu->ax;

	ckpt_cpu_apply_current(s->cpu, ax);
	return ax;
}

static void req_free(struct kref *ref)
{
	struct ckpt_rb_req *req = container_of(ref, struct ckpt_rb_req, ref);

	ckpt_snap_put(req->snap);
	kfree(req);
}

static void req_put(struct ckpt_rb_req *req)
{
	kref_put(&req->ref, req_free);
}

/* task_work: runs in the target on its way back to user mode. */
static void rollback_work(struct callback_head *cb)
{
	struct ckpt_rb_req *req = container_of(cb, struct ckpt_rb_req, work);
	struct ckpt_snap *s = req->snap;
	struct ckpt_mmsnap *ms = s->ms;
	u64 t0 = ktime_get_ns();
	int ret;

	/* It may run from do_exit(), after the mm is gone. */
	if (!current->mm || (current->flags & PF_EXITING) ||
	    current->mm != ckpt_mmsnap_watch(ms)->mn.mm) {
		req->result = -ESRCH;
		strscpy(req->errmsg, "the process exited before its rollback",
			sizeof(req->errmsg));
		goto done;
	}
	mutex_lock(&ms->mutex);
	if (ckpt_watch_dead(ckpt_mmsnap_watch(ms)) || list_empty(&s->node)) {
		ret = -ENOENT;
		strscpy(s->ctx->errmsg, "the snapshot was dropped",
			sizeof(s->ctx->errmsg));
	} else {
		s->ctx->errmsg[0] = 0;
		ret = ckpt_rollback_current(s, s->signal, &req->st);
	}
	mutex_unlock(&ms->mutex);
	req->st.ns = ktime_get_ns() - t0;
	req->result = ret;
	if (ret) {
		strscpy(req->errmsg, s->ctx->errmsg, sizeof(req->errmsg));
		/* Its registers are the snapshot's already. */
		ckpt_snap_kill_current(s, ret);
	}
done:
	/* The waiters: CKPT_RB_WAIT, and the other threads' works. */
	complete_all(&req->done);
	req_put(req);
}

/* A thread other than the leader: its part of an external rollback. */
struct ckpt_rb_thread {
	struct callback_head work;
	struct ckpt_rb_req *req;		/* referenced */
	/* In req->snap's hbuf; NULL for a thread born since: it ends. */
	const struct ckpt_rec_thread *rec;
};

void ckpt_snap_resume_thread(struct ckpt_snap *s,
			     const struct ckpt_rec_thread *r)
{
	struct ckpt_rec_signal sig;
	struct ckpt_sigstate ss = { .signal = s->signal };

	if (r)
		ckpt_thread_sigstate(r, &sig, &ss);
	/* No handlers, no queue: this cannot fail. */
	WARN_ON_ONCE(ckpt_signal_apply(s->ctx, &ss, CKPT_REWIND));
	rseq_set_notify_resume(current);
}

/*
 * task_work of that thread.  Its registers are the snapshot's already;
 * it waits for the leader's work, which rewinds memory, files and the
 * process's signal state, then sets its own mask and altstack.  If the
 * leader failed, it killed the process, and this thread dies with it.
 */
static void rollback_thread_work(struct callback_head *cb)
{
	struct ckpt_rb_thread *rt = container_of(cb, struct ckpt_rb_thread,
						 work);
	struct ckpt_rb_req *req = rt->req;

	if (!wait_for_completion_killable(&req->done) && !req->result &&
	    !(current->flags & PF_EXITING))
		ckpt_snap_resume_thread(req->snap, rt->rec);
	req_put(req);
	kfree(rt);
}

/*
 * The address of a syscall instruction in the vDSO's text, or 0.  Any
 * 0f 05 there is one when jumped to, whatever the bytes around it; the
 * vDSO's syscall fallbacks hold several.  A rollback leaves the vDSO
 * where it is, and nothing can write to it.
 */
static unsigned long vdso_syscall(void)
{
	unsigned long a = (unsigned long)current->mm->context.vdso, end = 0;
	struct vm_area_struct *vma;
	unsigned int i, n;
	u8 buf[128];

	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, a);
	if (vma)
		end = vma->vm_end;
	mmap_read_unlock(current->mm);
	/* Windows overlap by a byte: an instruction may straddle two. */
	for (; a + 1 < end; a += n - 1) {
		n = min_t(unsigned long, sizeof(buf), end - a);
		if (copy_from_user(buf, (const void __user *)a, n))
			return 0;
		for (i = 0; i + 1 < n; i++)
			if (buf[i] == 0x0f && buf[i + 1] == 0x05)
				return a + i;
	}
	return 0;
}

/*
 * Current, born since the snapshot, leaves no mark in user memory on its
 * way out: no tid to clear, no robust futexes to release, no rseq area
 * to update.
 */
void ckpt_snap_born_forget(void)
{
	current->clear_child_tid = NULL;
	current->robust_list = NULL;
	ckpt_set_rseq(current, 0, 0, 0);
}

bool ckpt_snap_born_exit(const struct ckpt_snap *s)
{
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long ip = vdso_syscall();

	if (!ip) {
		pr_warn_ratelimited("ckpt: pid %d killed: its thread %d, born since snapshot %u, found no syscall instruction in the vDSO to end itself with\n",
				    task_tgid_nr(current), task_pid_nr(current),
				    s->id);
		send_sig(SIGKILL, current, 1);
		return false;
	}
	regs->ip = ip;
	regs->ax = __NR_exit;
	regs->di = 0;
	/* Not a syscall to restart: ip and ax stay as set here. */
	regs->orig_ax = -1;
	return true;
}

/*
 * task_work of a thread born since the snapshot: once the leader's work
 * has rewound the process, the thread returns to user mode only to run
 * exit(0).  Its blocked mask stays full: no handler runs on its way out.
 */
static void rollback_born_work(struct callback_head *cb)
{
	struct ckpt_rb_thread *rt = container_of(cb, struct ckpt_rb_thread,
						 work);
	struct ckpt_rb_req *req = rt->req;

	ckpt_snap_born_forget();
	if (!wait_for_completion_killable(&req->done) && !req->result &&
	    !(current->flags & PF_EXITING))
		ckpt_snap_born_exit(req->snap);
	req_put(req);
	kfree(rt);
}

/*
 * Every thread's registers and blocked mask set, every thread's work
 * queued, the leader's last: past the first register written there is no
 * way back, so a failure kills the process.
 */
static int queue_threads(struct ckpt_ctx *ctx, struct ckpt_snap *s,
			 struct ckpt_rb_req *req, struct ckpt_rb_thread **rts)
{
	const struct ckpt_rec_thread *r;
	struct task_struct *t;
	unsigned int i;
	int ret;

	ret = ckpt_cpu_apply(ctx, ctx->task, s->cpu, s->xstate);
	for (i = 0; !ret && i < ctx->nr_threads; i++) {
		r = rts[i]->rec;
		if (r)
			ret = ckpt_cpu_apply(ctx, ctx->threads[i],
					     ckpt_thread_cpu(r),
					     ckpt_thread_xstate(r));
	}
	if (ret)
		goto kill;
	/* Until the works restore the masks, no handler frame may be pushed. */
	for (i = 0; i <= ctx->nr_threads; i++)
		ckpt_signal_block_all(ckpt_ctx_thread(ctx, i));
	for (i = 0; i < ctx->nr_threads; i++) {
		t = ctx->threads[i];
		kref_get(&req->ref);
		ret = task_work_add(t, &rts[i]->work, TWA_RESUME);
		if (ret) {
			req_put(req);
			ret = ckpt_err(ctx, ret, "thread %d is exiting",
				       task_pid_vnr(t));
			goto kill;
		}
		rts[i] = NULL;		/* the work frees it */
	}
	ret = task_work_add(ctx->task, &req->work, TWA_RESUME);
	if (ret) {
		ret = ckpt_err(ctx, ret, "process %d is exiting",
			       task_pid_vnr(ctx->task));
		goto kill;
	}
	return 0;
kill:
	/* Registers may be half set: the process cannot go on. */
	send_sig(SIGKILL, ctx->task, 1);
	return ret;
}

static long rollback_start(struct ckpt_file *cf, struct ckpt_rollback *a,
			   struct ckpt_ctx *ctx)
{
	const struct ckpt_rec_thread **recs = NULL;
	struct ckpt_rb_thread **rts = NULL;
	struct ckpt_rb_req *req = NULL;
	struct ckpt_mmsnap *ms;
	struct ckpt_snap *s;
	const char *why;
	unsigned int i;
	int ret;

	ret = ckpt_target_get(ctx, a->pid);
	if (ret)
		return ret;
	why = not_alone(ctx->task);
	if (why)
		return ckpt_err(ctx, -EBUSY, "%s", why);
	ms = ckpt_mmsnap_find(ctx->mm);
	if (!ms)
		return ckpt_err(ctx, -EINVAL, "process %d has no snapshot %u",
				a->pid, a->id);
	mutex_lock(&ms->mutex);
	s = ckpt_snap_find(ms, a->id);
	if (!s) {
		ret = ckpt_err(ctx, -EINVAL, "process %d has no snapshot %u",
			       a->pid, a->id);
		goto out;
	}
	/* Everything that can fail without harm, before the first change. */
	ret = -ENOMEM;
	if (ctx->nr_threads) {
		recs = kcalloc(ctx->nr_threads, sizeof(*recs), GFP_KERNEL);
		if (!recs)
			goto out;
	}
	ret = ckpt_snap_same_threads(ctx, s, recs);
	if (ret)
		goto out;
	ret = -ENOMEM;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		goto out;
	kref_init(&req->ref);
	kref_get(&req->ref);		/* one for the work, one for cf */
	init_completion(&req->done);
	refcount_inc(&s->ref);
	req->snap = s;
	init_task_work(&req->work, rollback_work);
	if (ctx->nr_threads) {
		rts = kcalloc(ctx->nr_threads, sizeof(*rts), GFP_KERNEL);
		if (!rts)
			goto drop;
	}
	for (i = 0; i < ctx->nr_threads; i++) {
		rts[i] = kzalloc(sizeof(**rts), GFP_KERNEL);
		if (!rts[i])
			goto drop;
		rts[i]->req = req;
		rts[i]->rec = recs[i];
		init_task_work(&rts[i]->work, recs[i] ? rollback_thread_work :
					      rollback_born_work);
	}
	ret = queue_threads(ctx, s, req, rts);
	if (!ret)
		goto out;
drop:
	req_put(req);
	req_put(req);
	req = NULL;
out:
	if (rts)
		for (i = 0; i < ctx->nr_threads; i++)
			kfree(rts[i]);
	kfree(rts);
	kfree(recs);
	mutex_unlock(&ms->mutex);
	ckpt_mmsnap_put(ms);
	if (req) {
		if (cf->rb)
			req_put(cf->rb);
		cf->rb = req;
	}
	return ret;
}

static long rollback_wait(struct ckpt_file *cf, struct ckpt_rollback *a)
{
	struct ckpt_rb_req *req = cf->rb;
	long left;

	if (!req)
		return -ENOENT;
	left = wait_for_completion_killable_timeout(&req->done,
						    RB_WAIT_TIMEOUT);
	if (left < 0)
		return left;
	if (!left) {
		strscpy(a->errmsg, "the process did not run its rollback: resume it first",
			sizeof(a->errmsg));
		return -ETIMEDOUT;
	}
	cf->rb = NULL;
	a->rollback_ns = req->st.ns;
	a->pages_copied = req->st.pages_copied;
	a->pages_zapped = req->st.pages_zapped;
	a->vmas_unmapped = req->st.vmas_unmapped;
	a->vmas_restored = req->st.vmas_restored;
	strscpy(a->errmsg, req->errmsg, sizeof(a->errmsg));
	left = req->result;
	req_put(req);
	return left;
}

long ckpt_ioc_rollback(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_rollback a;
	struct ckpt_ctx *ctx;
	long ret, ax;

	ret = ckpt_arg_in(&a, sizeof(a), CKPT_ROLLBACK_SIZE_VER0, arg);
	if (ret)
		return ret;
	if (a.flags & ~CKPT_RB_WAIT || a.pid < 0 ||
	    (a.flags & CKPT_RB_WAIT && !a.pid))
		return -EINVAL;
	if (a.flags & CKPT_RB_WAIT) {
		ret = rollback_wait(cf, &a);
		if (ckpt_arg_out(arg, &a, sizeof(a)) && !ret)
			ret = -EFAULT;
		return ret;
	}
	if (!a.pid) {
		ret = ckpt_snap_rollback_self(&a, &ax);
		/* On success the caller's memory is the snapshot's: hands off. */
		if (!ret)
			return ax;
		if (!fatal_signal_pending(current))
			ckpt_arg_out(arg, &a, sizeof(a));
		return ret;
	}
	ctx = ckpt_ctx_alloc();
	if (!ctx)
		return -ENOMEM;
	ret = rollback_start(cf, &a, ctx);
	if (ret && !fatal_signal_pending(current)) {
		strscpy(a.errmsg, ctx->errmsg[0] ? ctx->errmsg : "rollback failed",
			sizeof(a.errmsg));
		ckpt_arg_out(arg, &a, sizeof(a));
	}
	ckpt_ctx_free(ctx);
	return ret;
}

void ckpt_snap_file_release(struct ckpt_file *cf)
{
	if (cf->rb)
		req_put(cf->rb);
	cf->rb = NULL;
}
