// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ckpt: the misc device, its per-open state and ioctl dispatch.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ckpt.h"
#include "fds.h"

static int ckpt_open(struct inode *inode, struct file *file)
{
	struct ckpt_file *cf;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf)
		return -ENOMEM;
	mutex_init(&cf->lock);
	ckpt_park_init(&cf->park);
	file->private_data = cf;
	atomic_long_inc(&ckpt_stats.opens);
	return 0;
}

static int ckpt_release(struct inode *inode, struct file *file)
{
	struct ckpt_file *cf = file->private_data;

	ckpt_file_release(cf);
	ckpt_netlock_settle(cf);
	ckpt_snap_file_release(cf);
	ckpt_restore_file_release(cf);
	mutex_destroy(&cf->lock);
	kfree(cf);
	atomic_long_dec(&ckpt_stats.opens);
	return 0;
}

int ckpt_arg_in(void *karg, size_t ksize, size_t min_size,
		const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < min_size)
		return -EINVAL;
	return copy_struct_from_user(karg, ksize, uarg, usize);
}

int ckpt_arg_out(void __user *uarg, const void *karg, size_t ksize)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (copy_to_user(uarg, karg, min_t(size_t, usize, ksize)))
		return -EFAULT;
	return 0;
}

struct ckpt_ioc {
	unsigned int dir;
	size_t min_size;
	long (*fn)(struct ckpt_file *cf, void __user *arg);
	bool unlocked;		/* waits on other ioctls: never under cf->lock */
};

/* Indexed by _IOC_NR: a struct may grow without a new number. */
static const struct ckpt_ioc ckpt_iocs[] = {
	[_IOC_NR(CKPT_IOC_VERSION)] = {
		_IOC_DIR(CKPT_IOC_VERSION), CKPT_VERSION_SIZE_VER0,
		ckpt_ioc_version },
	[_IOC_NR(CKPT_IOC_COUNTERS)] = {
		_IOC_DIR(CKPT_IOC_COUNTERS), CKPT_COUNTERS_SIZE_VER0,
		ckpt_ioc_counters },
	[_IOC_NR(CKPT_IOC_DUMP)] = {
		_IOC_DIR(CKPT_IOC_DUMP), CKPT_DUMP_SIZE_VER0, ckpt_ioc_dump },
	[_IOC_NR(CKPT_IOC_WRITEOUT)] = {
		_IOC_DIR(CKPT_IOC_WRITEOUT), CKPT_DUMP_SIZE_VER0,
		ckpt_ioc_writeout },
	[_IOC_NR(CKPT_IOC_RESTORE)] = {
		_IOC_DIR(CKPT_IOC_RESTORE), CKPT_RESTORE_SIZE_VER0,
		ckpt_ioc_restore },
	[_IOC_NR(CKPT_IOC_RESTORE_THREAD)] = {
		_IOC_DIR(CKPT_IOC_RESTORE_THREAD), CKPT_RESTORE_THREAD_SIZE_VER0,
		ckpt_ioc_restore_thread, true },
	[_IOC_NR(CKPT_IOC_SNAPSHOT)] = {
		_IOC_DIR(CKPT_IOC_SNAPSHOT), CKPT_SNAPSHOT_SIZE_VER0,
		ckpt_ioc_snapshot },
	[_IOC_NR(CKPT_IOC_ROLLBACK)] = {
		_IOC_DIR(CKPT_IOC_ROLLBACK), CKPT_ROLLBACK_SIZE_VER0,
		ckpt_ioc_rollback },
	[_IOC_NR(CKPT_IOC_DROP)] = {
		_IOC_DIR(CKPT_IOC_DROP), CKPT_SNAP_LIST_SIZE_VER0,
		ckpt_ioc_drop },
	[_IOC_NR(CKPT_IOC_LIST)] = {
		_IOC_DIR(CKPT_IOC_LIST), CKPT_SNAP_LIST_SIZE_VER0,
		ckpt_ioc_list },
	[_IOC_NR(CKPT_IOC_SELFTEST)] = {
		_IOC_DIR(CKPT_IOC_SELFTEST), CKPT_SELFTEST_SIZE_VER0,
		ckpt_ioc_selftest },
};

static long ckpt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ckpt_file *cf = file->private_data;
	const struct ckpt_ioc *ioc;
	unsigned int nr = _IOC_NR(cmd);
	void __user *uarg = (void __user *)arg;
	u32 usize;
	long ret;

	if (_IOC_TYPE(cmd) != CKPT_IOC_MAGIC || nr >= ARRAY_SIZE(ckpt_iocs))
		return -ENOTTY;
	ioc = &ckpt_iocs[nr];
	if (!ioc->fn || _IOC_DIR(cmd) != ioc->dir)
		return -ENOTTY;
	/* The size in the number and the size in the struct must agree. */
	if (_IOC_SIZE(cmd) < ioc->min_size)
		return -EINVAL;
	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize != _IOC_SIZE(cmd))
		return -EINVAL;

	if (ioc->unlocked)
		return ioc->fn(cf, uarg);
	/*
	 * Taken again after a signal: a thread of a process that holds its
	 * threads (thread_hold.c) may wait here for another of them.
	 */
	if (mutex_lock_interruptible(&cf->lock))
		return -ERESTARTNOINTR;
	ret = ioc->fn(cf, uarg);
	mutex_unlock(&cf->lock);
	return ret;
}

static const struct file_operations ckpt_fops = {
	.owner		= THIS_MODULE,
	.open		= ckpt_open,
	.release	= ckpt_release,
	.unlocked_ioctl	= ckpt_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ckpt_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= CKPT_DEVICE_NAME,
	.fops	= &ckpt_fops,
};

int ckpt_dev_init(umode_t mode)
{
	ckpt_misc.mode = mode;
	return misc_register(&ckpt_misc);
}

void ckpt_dev_exit(void)
{
	misc_deregister(&ckpt_misc);
}
