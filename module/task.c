// SPDX-License-Identifier: GPL-2.0
/*
 * Task identity: ids, comm, personality, umask, limits, prctl basics, and
 * the working and root directories.
 */
#include <linux/cred.h>
#include <linux/fs_struct.h>
#include <linux/personality.h>
#include <linux/pid.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/uidgid.h>

#include "compat.h"
#include "apply.h"

static int capture_ids(struct ckpt_ctx *ctx)
{
	struct task_struct *t = ctx->task;
	struct ckpt_rec_task *r;
	const struct cred *cred;
	unsigned int i;

	BUILD_BUG_ON(RLIM_NLIMITS > CKPT_RLIM_NLIMITS);
	r = ckpt_rec_get(ctx, CKPT_REC_TASK, sizeof(*r));
	if (!r)
		return hbuf_error(&ctx->hb);
	r->pid = task_tgid_vnr(t);
	r->tid = task_pid_vnr(t);
	rcu_read_lock();
	r->ppid = task_tgid_vnr(rcu_dereference(t->real_parent));
	cred = __task_cred(t);
	r->uid = from_kuid_munged(current_user_ns(), cred->uid);
	r->gid = from_kgid_munged(current_user_ns(), cred->gid);
	rcu_read_unlock();
	r->pgid = task_pgrp_vnr(t);
	r->sid = task_session_vnr(t);
	r->personality = t->personality;
	r->flags = task_no_new_privs(t) ? CKPT_TASK_NO_NEW_PRIVS : 0;
	r->dumpable = get_dumpable(ctx->mm);
	r->pdeathsig = t->pdeath_signal;
	r->rseq = (unsigned long)t->rseq;
	r->rseq_len = ckpt_rseq_len(t);
	r->rseq_sig = t->rseq_sig;

	task_lock(t);
	strscpy(r->comm, t->comm, sizeof(r->comm));
	r->umask = t->fs ? t->fs->umask : 0;
	task_unlock(t);

	task_lock(t->group_leader);
	for (i = 0; i < RLIM_NLIMITS; i++) {
		r->rlim[i].cur = t->signal->rlim[i].rlim_cur;
		r->rlim[i].max = t->signal->rlim[i].rlim_max;
	}
	task_unlock(t->group_leader);
	return ckpt_rec_put(ctx, r);
}

/* cwd and root, as paths. */
static int capture_fs(struct ckpt_ctx *ctx)
{
	struct task_struct *t = ctx->task;
	struct path pwd, root;
	const char *p;
	char *cwd;
	size_t cl, rl;
	struct ckpt_rec_fs *r;
	int ret = 0;

	task_lock(t);
	if (!t->fs) {
		task_unlock(t);
		return ckpt_err(ctx, -ESRCH, "process %d is exiting", task_pid_vnr(t));
	}
	get_fs_pwd(t->fs, &pwd);
	get_fs_root(t->fs, &root);
	task_unlock(t);

	p = ckpt_path(ctx, &pwd);
	cwd = IS_ERR(p) ? NULL : kstrdup(p, GFP_KERNEL);
	p = ckpt_path(ctx, &root);
	if (!cwd || IS_ERR(p)) {
		ret = ckpt_err(ctx, cwd ? PTR_ERR(p) : -ENOMEM,
			       "cannot name the working or root directory");
		goto out;
	}
	if (d_unlinked(pwd.dentry)) {
		ret = ckpt_err(ctx, -ENOENT,
			       "the working directory %s was removed", cwd);
		goto out;
	}
	cl = strlen(cwd) + 1;
	rl = strlen(p) + 1;
	r = ckpt_rec_get(ctx, CKPT_REC_FS, sizeof(*r) + cl + rl);
	if (!r) {
		ret = hbuf_error(&ctx->hb);
		goto out;
	}
	r->cwd_len = cl;
	r->root_len = rl;
	memcpy(r->paths, cwd, cl);
	memcpy(r->paths + cl, p, rl);
	ret = ckpt_rec_put(ctx, r);
out:
	kfree(cwd);
	path_put(&pwd);
	path_put(&root);
	return ret;
}

int ckpt_task_capture(struct ckpt_ctx *ctx)
{
	int ret;

	ret = capture_ids(ctx);
	if (!ret)
		ret = capture_fs(ctx);
	return ret;
}

/*
 * Restore (REBUILD only: a snapshot does not capture the task record).
 * What the kernel sets here, it sets as the syscalls do, on current, the
 * process being restored.  Left to the restoring child in userspace:
 * comm (__set_task_comm() is not exported, and writing ->comm directly
 * would skip its perf and trace events) and the resource limits
 * (do_prlimit() is not exported, and its security hook and RLIMIT_CPU
 * timer cannot be skipped).
 */
int ckpt_task_apply(struct ckpt_ctx *ctx, const struct ckpt_rec_task *r)
{
	/* umask(2); the validator allows only mode bits. */
	xchg(&current->fs->umask, r->umask & 0777);
	/* personality(2): any value the validator let through is settable. */
	set_personality(r->personality);
	/* prctl(PR_SET_PDEATHSIG) */
	current->pdeath_signal = r->pdeathsig;
	/* prctl(PR_SET_NO_NEW_PRIVS): one way only, as there. */
	if (r->flags & CKPT_TASK_NO_NEW_PRIVS)
		task_set_no_new_privs(current);
	/*
	 * prctl(PR_SET_DUMPABLE) takes 0 or 1 only; SUID_DUMP_ROOT is what
	 * an exec gives, never set by hand.  set_dumpable() is not
	 * exported: its one step, open-coded.
	 */
	if (r->dumpable <= SUID_DUMP_USER)
		set_mask_bits(&current->mm->flags, MMF_DUMPABLE_MASK,
			      r->dumpable);
	ckpt_set_rseq(current, r->rseq, r->rseq_len, r->rseq_sig);
	if (r->rseq)
		rseq_set_notify_resume(current);
	return 0;
}
