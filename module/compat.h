/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that knows how 6.1 and 6.12 differ.
 *
 * Differences are detected by feature tests (module/conftest.sh greps the
 * target kernel's headers and Kbuild passes -DCKPT_HAVE_*), never by
 * version numbers, so a backport or a newer LTS that has a feature gets
 * the right branch.  Code elsewhere calls the ckpt_* wrappers below and
 * never tests a kernel version itself.
 */
#ifndef CKPT_COMPAT_H
#define CKPT_COMPAT_H

#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/rseq.h>
#include <linux/sched.h>
#include <net/tcp.h>
#include <asm/prctl.h>

/*
 * Per-VMA locks (6.4+): page faults can run under a VMA read lock without
 * mmap_lock, so write-protecting PTEs also needs each VMA write-locked.
 * Without them mmap_write_lock alone excludes faults.
 */
#ifdef CKPT_HAVE_VMA_START_WRITE
static inline void ckpt_vma_start_write(struct vm_area_struct *vma)
{
	vma_start_write(vma);
}
#else
static inline void ckpt_vma_start_write(struct vm_area_struct *vma)
{
}
#endif

/* @nr pages of @mm from @addr, with the GUP flags given; mmap lock held. */
static inline long ckpt_gup(struct mm_struct *mm, unsigned long addr,
			    unsigned long nr, unsigned int flags,
			    struct page **pages)
{
	mmap_assert_locked(mm);
#ifdef CKPT_HAVE_GUP_REMOTE_VMAS
	return get_user_pages_remote(mm, addr, nr, flags, pages, NULL, NULL);
#else
	return get_user_pages_remote(mm, addr, nr, flags, pages, NULL);
#endif
}

/* One page of another mm; 1 on success. */
static inline long ckpt_gup_one(struct mm_struct *mm, unsigned long addr,
				unsigned int flags, struct page **page)
{
	return ckpt_gup(mm, addr, 1, flags, page);
}

/* The rseq area a task registered, and its length. */
static inline u32 ckpt_rseq_len(struct task_struct *t)
{
#ifdef CKPT_HAVE_TASK_RSEQ_LEN
	return t->rseq_len;
#else
	return t->rseq ? sizeof(struct rseq) : 0;
#endif
}

static inline void ckpt_set_rseq(struct task_struct *t, u64 rseq, u32 len,
				 u32 sig)
{
	t->rseq = u64_to_user_ptr(rseq);
#ifdef CKPT_HAVE_TASK_RSEQ_LEN
	t->rseq_len = len;
#endif
	t->rseq_sig = sig;
}

/* Unmaps the pages of [addr, addr + size) in @vma; mmap lock held. */
static inline void ckpt_zap(struct vm_area_struct *vma, unsigned long addr,
			    unsigned long size)
{
	mmap_assert_locked(vma->vm_mm);
#ifdef CKPT_HAVE_ZAP_PAGE_RANGE
	zap_page_range(vma, addr, size);
#else
	zap_page_range_single(vma, addr, size, NULL);
#endif
}

/* The POSIX timers of a process: an hlist on 6.12, a list on 6.1. */
#ifdef CKPT_HAVE_POSIX_TIMERS_HLIST
#define ckpt_for_each_posix_timer(timr, sig)				\
	hlist_for_each_entry(timr, &(sig)->posix_timers, list)
#else
#define ckpt_for_each_posix_timer(timr, sig)				\
	list_for_each_entry(timr, &(sig)->posix_timers, list)
#endif

/*
 * Whether @t has a user shadow stack on (6.6+ with
 * CONFIG_X86_USER_SHADOW_STACK; the field exists only then).
 */
static inline bool ckpt_shstk_enabled(struct task_struct *t)
{
#if defined(CKPT_HAVE_THREAD_FEATURES) && defined(CONFIG_X86_USER_SHADOW_STACK)
	return t->thread.features & ARCH_SHSTK_SHSTK;
#else
	return false;
#endif
}

/*
 * pidfds have a filesystem of their own from 6.9 (PID_FS_MAGIC), whose
 * files are S_IFREG; before, they are anonymous-inode files.
 */
static inline bool ckpt_is_pidfs(const struct super_block *sb)
{
#ifdef PID_FS_MAGIC
	return sb->s_magic == PID_FS_MAGIC;
#else
	return false;
#endif
}

/*
 * Adding @n to an eventfd's count: eventfd_signal() took a count before
 * 6.8, which made it add one.  Only eventfd.c's semaphore probe needs it,
 * and only before 6.3, whose fdinfo does not show the flag.
 */
#ifdef CKPT_HAVE_EVENTFD_SIGNAL_N
#define CKPT_EVENTFD_CAN_ADD	true
static inline void ckpt_eventfd_add(struct eventfd_ctx *e, u64 n)
{
	eventfd_signal(e, n);
}
#else
#define CKPT_EVENTFD_CAN_ADD	false
static inline void ckpt_eventfd_add(struct eventfd_ctx *e, u64 n)
{
}
#endif

/*
 * A TCP socket's timestamp clock as getsockopt(TCP_TIMESTAMP) says it and
 * setsockopt() takes it back: from 6.7 a connection may count in
 * microseconds, which the value's low bit says; before, milliseconds.
 */
static inline u32 ckpt_tcp_timestamp(const struct tcp_sock *tp)
{
#ifdef CKPT_HAVE_TCP_USEC_TS
	u32 val = tcp_clock_ts(tp->tcp_usec_ts) + READ_ONCE(tp->tsoffset);

	return tp->tcp_usec_ts ? val | 1 : val & ~1U;
#else
	return tcp_time_stamp_raw() + READ_ONCE(tp->tsoffset);
#endif
}

#endif /* CKPT_COMPAT_H */
