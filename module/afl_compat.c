// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/afl_snapshot: AFL-Snapshot-LKM's ioctl ABI, as AFL++'s runtime
 * (afl-compiler-rt, include/snapshot-inl.h) drives it, over our snapshots.
 *
 * A process has at most one such snapshot, of itself.  TAKE returns 1,
 * and when the process is rolled back (RESTORE, or exit_group() with the
 * EXIT flag) the same TAKE call returns again with 0.  AFL++'s fork server
 * child raises SIGSTOP on that 0 to end one run.
 *
 * Config flags: EXIT is honoured; MMAP, FDS and REGS are what a snapshot
 * always does (new mappings unmapped, fd table and registers restored);
 * BLOCK, NOCOW and NOSTACK are accepted and change nothing (all private
 * memory is kept COW, the stack included, which is correct, only not the
 * cheapest).  EXCLUDE_VMRANGE ranges are left alone by later snapshots:
 * their pages are not kept, and mappings overlapping them are not
 * unmapped or mapped again.  INCLUDE_VMRANGE has nothing to add, since
 * every private mapping is included; it only checks its argument.
 *
 * The numbers come from AFL-Snapshot-LKM's header.  Its magic does not
 * fit the 8-bit type field, so the numbers spill into the size bits; the
 * same arithmetic on both sides gives the same numbers.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>

#include "snap.h"

#define AFL_MAGIC		44313
#define AFL_IOCTL_DO		_IO(AFL_MAGIC, 1)
#define AFL_IOCTL_CLEAN		_IO(AFL_MAGIC, 2)
#define AFL_EXCLUDE_VMRANGE	_IOR(AFL_MAGIC, 3, struct afl_range *)
#define AFL_INCLUDE_VMRANGE	_IOR(AFL_MAGIC, 4, struct afl_range *)
#define AFL_IOCTL_TAKE		_IOR(AFL_MAGIC, 5, int)
#define AFL_IOCTL_RESTORE	_IO(AFL_MAGIC, 6)

#define AFL_MMAP	1
#define AFL_BLOCK	2
#define AFL_FDS		4
#define AFL_REGS	8
#define AFL_EXIT	16
#define AFL_NOCOW	32
#define AFL_NOSTACK	64
#define AFL_ALL		127

struct afl_range {
	unsigned long start, end;
};

bool ckpt_snap_excluded(const struct ckpt_mmsnap *ms, unsigned long start,
			unsigned long end)
{
	unsigned int i;

	for (i = 0; i < ms->nr_excl; i++)
		if (start < ms->excl[i].end && end > ms->excl[i].start)
			return true;
	return false;
}

void ckpt_snap_exclude(struct ckpt_snap *s)
{
	struct pgset *ps = &s->ctx->ps;
	unsigned long i, addr;

	lockdep_assert_held(&s->ms->mutex);
	if (!s->ms->nr_excl)
		return;
	for (i = 0; i < ps->nr; i++) {
		if (!ps->pages[i])
			continue;
		addr = ckpt_pgset_addr(ps, i);
		if (!ckpt_snap_excluded(s->ms, addr, addr + PAGE_SIZE))
			continue;
		put_page(ps->pages[i]);
		ps->pages[i] = NULL;
		ps->nr_refs--;
	}
	atomic_long_sub(ps->nr_accounted - ps->nr_refs, &ckpt_stats.page_refs);
	ps->nr_accounted = ps->nr_refs;
}

static long afl_take(unsigned long config)
{
	struct ckpt_snapshot a = { .size = sizeof(a) };
	struct ckpt_mmsnap *ms;
	struct ckpt_snap *old = NULL;
	int ret;

	if (config & ~AFL_ALL)
		return -EINVAL;
	/* One snapshot per process: a new one replaces the old. */
	ms = ckpt_mmsnap_find(current->mm);
	/* Interruptible, as everywhere: another thread may hold this one. */
	if (ms && mutex_lock_interruptible(&ms->mutex)) {
		ckpt_mmsnap_put(ms);
		return -ERESTARTNOINTR;
	}
	if (ms) {
		old = ms->afl_id ? ckpt_snap_find(ms, ms->afl_id) : NULL;
		if (old)
			ckpt_snap_unlink(ms, old);
		mutex_unlock(&ms->mutex);
		ckpt_mmsnap_put(ms);
		if (old)
			ckpt_snap_put(old);
	}
	if (config & AFL_EXIT)
		a.flags |= CKPT_SNAP_EXIT;
	ret = ckpt_snap_capture(&a, true);
	if (ret) {
		if (ret != -ERESTARTNOINTR)
			pr_warn_ratelimited("ckpt: afl_snapshot: pid %d: %s\n",
					    task_pid_nr(current), a.errmsg);
		return ret;
	}
	return 1;
}

static long afl_restore(void)
{
	struct ckpt_rollback a = { .size = sizeof(a) };
	struct ckpt_mmsnap *ms;
	long ax;
	int ret;

	ms = ckpt_mmsnap_find(current->mm);
	if (!ms)
		return -ENOENT;
	a.id = READ_ONCE(ms->afl_id);
	ckpt_mmsnap_put(ms);
	if (!a.id)
		return -ENOENT;
	ret = ckpt_snap_rollback_self(&a, &ax);
	return ret ?: ax;
}

static long afl_clean(void)
{
	struct ckpt_mmsnap *ms = ckpt_mmsnap_find(current->mm);
	struct ckpt_snap *s = NULL;

	if (!ms)
		return 0;
	if (mutex_lock_interruptible(&ms->mutex)) {
		ckpt_mmsnap_put(ms);
		return -ERESTARTNOINTR;
	}
	if (ms->afl_id)
		s = ckpt_snap_find(ms, ms->afl_id);
	if (s)
		ckpt_snap_unlink(ms, s);
	ms->nr_excl = 0;
	mutex_unlock(&ms->mutex);
	ckpt_mmsnap_put(ms);
	if (s)
		ckpt_snap_put(s);
	return 0;
}

static long afl_range(unsigned int cmd, void __user *arg)
{
	struct ckpt_mmsnap *ms;
	struct afl_range r;
	long ret = 0;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (r.start >= r.end || r.end > TASK_SIZE_MAX)
		return -EINVAL;
	if (cmd == AFL_INCLUDE_VMRANGE)
		return 0;
	ms = ckpt_mmsnap_get_or_make(current->mm);
	if (!ms)
		return -ENOMEM;
	if (mutex_lock_interruptible(&ms->mutex)) {
		ckpt_mmsnap_put(ms);
		return -ERESTARTNOINTR;
	}
	if (ms->nr_excl == ARRAY_SIZE(ms->excl)) {
		ret = -ENOSPC;
	} else {
		ms->excl[ms->nr_excl].start = r.start & PAGE_MASK;
		ms->excl[ms->nr_excl].end = PAGE_ALIGN(r.end);
		ms->nr_excl++;
	}
	mutex_unlock(&ms->mutex);
	ckpt_mmsnap_put(ms);
	return ret;
}

static long afl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (!current->mm)
		return -EINVAL;
	switch (cmd) {
	case AFL_IOCTL_TAKE:
		return afl_take(arg);
	case AFL_IOCTL_DO:
		return afl_take(AFL_MMAP | AFL_FDS | AFL_REGS | AFL_EXIT);
	case AFL_IOCTL_RESTORE:
		return afl_restore();
	case AFL_IOCTL_CLEAN:
		return afl_clean();
	case AFL_EXCLUDE_VMRANGE:
	case AFL_INCLUDE_VMRANGE:
		return afl_range(cmd, (void __user *)arg);
	}
	return -ENOTTY;
}

static const struct file_operations afl_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= afl_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice afl_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "afl_snapshot",
	.fops	= &afl_fops,
};

int ckpt_afl_init(umode_t mode)
{
	afl_misc.mode = mode;
	return misc_register(&afl_misc);
}

void ckpt_afl_exit(void)
{
	misc_deregister(&afl_misc);
}
