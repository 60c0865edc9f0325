/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt module internals shared between its files.
 */
#ifndef CKPT_CKPT_H
#define CKPT_CKPT_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/types.h>

#include "../uapi/linux/ckpt.h"

#define CKPT_PR_PREFIX	"ckpt: "

/* Module parameters (main.c). */
extern unsigned int ckpt_chunk_size;
extern bool ckpt_debug;
extern unsigned long ckpt_max_user_pages;

/* Live object counts (stats.c), all zero when nothing is held. */
struct ckpt_stats {
	atomic_long_t ctxs;
	atomic_long_t hbuf_chunks;
	atomic_long_t hbuf_bytes;
	atomic_long_t hbuf_high_water;
	atomic_long_t page_refs;
	atomic_long_t opens;
	atomic_long_t snapshots;
	atomic_long_t snap_mms;
	/* Totals, not live objects: debugfs ckpt/io, never back to zero. */
	atomic64_t restores;
	atomic64_t restore_bytes_read;	/* from images, both passes */
};

extern struct ckpt_stats ckpt_stats;

int ckpt_stats_init(void);
void ckpt_stats_exit(void);
void ckpt_stats_fill(struct ckpt_counters *c);

/* The misc device (dev.c). */
int ckpt_dev_init(umode_t mode);
void ckpt_dev_exit(void);

struct ckpt_ctx;

/* An error's words, as the uapi structs carry them. */
#define CKPT_ERRMSG_LEN	128
struct ckpt_rb_req;
struct ckpt_restored;

/*
 * The threads of a restore, parked in CKPT_IOC_RESTORE_THREAD until the
 * process's restore is done (restore_thread.c).  @lock guards the list,
 * @nr and each entry's state; @wq wakes both sides.
 */
struct ckpt_park {
	spinlock_t lock;		/* the list, @nr, each entry's state */
	/*
	 * Two queues, so that each arrival wakes only the restore waiting
	 * for them all, not the hundreds already parked (with one queue a
	 * 1000-thread restore made half a million wake-ups).
	 */
	wait_queue_head_t arrived;	/* the process's restore */
	wait_queue_head_t released;	/* the parked threads */
	struct list_head threads;	/* struct ckpt_parked, waiting */
	unsigned int nr;
};

/*
 * Per-open state of /dev/ckpt.  Operations on one open file are
 * serialised by @lock; several opens work independently.
 */
struct ckpt_file {
	struct mutex lock;	/* serialises this open's ioctls */
	struct ckpt_ctx *dump;	/* captured, waiting for its writeout */
	struct ckpt_track *track;	/* CKPT_DUMP_TRACK series */
	struct ckpt_rb_req *rb;	/* external rollback, waiting for its result */
	struct ckpt_restored *restored;	/* registers for the restore's tracer */
	/* Why the last restore failed past its point of no return, or "". */
	char restore_failed[CKPT_ERRMSG_LEN];
	struct ckpt_park park;	/* not under @lock: it has its own */
};

/* ioctl handlers; @arg is the user pointer. */
long ckpt_ioc_version(struct ckpt_file *cf, void __user *arg);
long ckpt_ioc_counters(struct ckpt_file *cf, void __user *arg);
long ckpt_ioc_selftest(struct ckpt_file *cf, void __user *arg);
long ckpt_ioc_dump(struct ckpt_file *cf, void __user *arg);
long ckpt_ioc_writeout(struct ckpt_file *cf, void __user *arg);
long ckpt_ioc_restore(struct ckpt_file *cf, void __user *arg);
long ckpt_ioc_restore_thread(struct ckpt_file *cf, void __user *arg);
void ckpt_park_init(struct ckpt_park *pk);
long ckpt_ioc_snapshot(struct ckpt_file *cf, void __user *arg);
long ckpt_ioc_rollback(struct ckpt_file *cf, void __user *arg);
long ckpt_ioc_drop(struct ckpt_file *cf, void __user *arg);
long ckpt_ioc_list(struct ckpt_file *cf, void __user *arg);
void ckpt_file_release(struct ckpt_file *cf);
void ckpt_snap_file_release(struct ckpt_file *cf);
void ckpt_restore_file_release(struct ckpt_file *cf);

/* /dev/afl_snapshot (afl_compat.c). */
int ckpt_afl_init(umode_t mode);
void ckpt_afl_exit(void);

/* Snapshots (snap.c): module load and unload. */
int ckpt_snap_init(void);
void ckpt_snap_exit(void);

/*
 * Grows the kvmalloc'd array *@arr of @elem-byte entries to hold at least
 * @need, doubling (at least 64); *@cap is its capacity.  0 or -ENOMEM.
 */
int ckpt_grow(void **arr, unsigned long *cap, unsigned long need, size_t elem);

/*
 * Copies a size-versioned argument struct in: its __u32 size must be at
 * least @min_size; a larger size is accepted if the bytes we do not know
 * are zero.  ckpt_arg_out() copies back no more than the caller's size.
 */
int ckpt_arg_in(void *karg, size_t ksize, size_t min_size,
		const void __user *uarg);
int ckpt_arg_out(void __user *uarg, const void *karg, size_t ksize);

#endif /* CKPT_CKPT_H */
