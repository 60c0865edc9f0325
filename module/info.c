// SPDX-License-Identifier: GPL-2.0
/*
 * CKPT_IOC_VERSION: the module's ABI and features, and the facts about
 * this kernel and CPU that decide what a checkpoint can hold.
 */
#include <linux/elf.h>
#include <linux/mm.h>
#include <linux/regset.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/utsname.h>
#include <asm/fpu/xcr.h>

#include "ckpt.h"

static u32 xstate_size(void)
{
	const struct user_regset_view *view = task_user_regset_view(current);
	unsigned int i;

	for (i = 0; i < view->n; i++) {
		const struct user_regset *rs = &view->regsets[i];

		if (rs->core_note_type == NT_X86_XSTATE)
			return rs->n * rs->size;
	}
	return 0;
}

static u64 kernel_facts(void)
{
	u64 kf = 0;

	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		kf |= CKPT_KF_THP;
	if (IS_ENABLED(CONFIG_PER_VMA_LOCK))
		kf |= CKPT_KF_PER_VMA_LOCK;
	if (IS_ENABLED(CONFIG_X86_USER_SHADOW_STACK))
		kf |= CKPT_KF_SHADOW_STACK;
	if (IS_ENABLED(CONFIG_MMU_NOTIFIER))
		kf |= CKPT_KF_MMU_NOTIFIER;
	if (IS_ENABLED(CONFIG_SWAP))
		kf |= CKPT_KF_SWAP;
	if (pgtable_l5_enabled())
		kf |= CKPT_KF_5LEVEL;
	return kf;
}

long ckpt_ioc_version(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_version v;
	int ret;

	ret = ckpt_arg_in(&v, sizeof(v), CKPT_VERSION_SIZE_VER0, arg);
	if (ret)
		return ret;
	v.abi_major = CKPT_ABI_MAJOR;
	v.abi_minor = CKPT_ABI_MINOR;
	v.features = CKPT_FEAT_HBUF | CKPT_FEAT_COUNTERS | CKPT_FEAT_DUMP |
		     CKPT_FEAT_RESTORE | CKPT_FEAT_SNAPSHOT |
		     CKPT_FEAT_INCREMENTAL | CKPT_FEAT_THREADS |
		     CKPT_FEAT_THREAD_SNAPSHOTS |
		     CKPT_FEAT_SELF_THREAD_SNAPSHOTS | CKPT_FEAT_SECCOMP |
		     CKPT_FEAT_EVENTFD | CKPT_FEAT_SIGNALFD_TIMERFD |
		     CKPT_FEAT_EPOLL | CKPT_FEAT_SOCKET |
		     CKPT_FEAT_TCP;
	if (ckpt_debug)
		v.features |= CKPT_FEAT_SELFTEST;
	v.kfacts = kernel_facts();
	v.xfeatures = boot_cpu_has(X86_FEATURE_XSAVE) ?
		      xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
	v.xstate_size = xstate_size();
	v.page_size = PAGE_SIZE;
	v.chunk_size = ckpt_chunk_size;
	v.image_version = CKPT_IMAGE_VERSION;
	strscpy(v.module_version, CKPT_VERSION, sizeof(v.module_version));
	strscpy(v.release, utsname()->release, sizeof(v.release));
	return ckpt_arg_out(arg, &v, sizeof(v));
}
