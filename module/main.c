// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: process checkpoint/restart.  Module entry points and parameters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "ckpt.h"
#include "fds.h"
#include "hbuf.h"

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "Permissions of /dev/ckpt (default 0600)");

unsigned int ckpt_chunk_size = 1U << 20;
module_param_named(chunk_size, ckpt_chunk_size, uint, 0444);
MODULE_PARM_DESC(chunk_size, "hbuf chunk size in bytes (4 KiB..64 MiB, default 1 MiB)");

bool ckpt_debug;
module_param_named(debug, ckpt_debug, bool, 0444);
MODULE_PARM_DESC(debug, "Enable debug-only ioctls such as the self-tests");

unsigned long ckpt_max_user_pages;
module_param_named(max_user_pages, ckpt_max_user_pages, ulong, 0644);
MODULE_PARM_DESC(max_user_pages, "Most pages one user's snapshots may hold (0: half of RAM)");

static bool afl = true;
module_param(afl, bool, 0444);
MODULE_PARM_DESC(afl, "Also register /dev/afl_snapshot, AFL-Snapshot-LKM's ABI (default on)");

static int __init ckpt_init(void)
{
	int ret;

	if (mode & ~0777) {
		pr_err("mode=%#o: only permission bits are allowed\n", mode);
		return -EINVAL;
	}
	if (ckpt_chunk_size < HBUF_CHUNK_MIN ||
	    ckpt_chunk_size > HBUF_CHUNK_MAX ||
	    ckpt_chunk_size % HBUF_CHUNK_MIN) {
		pr_err("chunk_size=%u: must be a multiple of 4096 in [4 KiB, 64 MiB]\n",
		       ckpt_chunk_size);
		return -EINVAL;
	}
	ret = ckpt_stats_init();
	if (ret)
		return ret;
	ret = ckpt_snap_init();
	if (ret)
		goto err_stats;
	ret = ckpt_dev_init(mode);
	if (ret)
		goto err_snap;
	if (afl) {
		ret = ckpt_afl_init(mode);
		if (ret)
			goto err_dev;
	}
	return 0;

err_dev:
	ckpt_dev_exit();
err_snap:
	ckpt_snap_exit();
err_stats:
	ckpt_stats_exit();
	return ret;
}

static void __exit ckpt_exit(void)
{
	if (afl)
		ckpt_afl_exit();
	ckpt_dev_exit();
	ckpt_netlock_exit();
	ckpt_snap_exit();
	ckpt_stats_exit();
}

module_init(ckpt_init);
module_exit(ckpt_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The ckpt developers");
MODULE_DESCRIPTION("Process checkpoint/restart and in-memory snapshots");
MODULE_VERSION(CKPT_VERSION);
