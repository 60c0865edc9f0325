/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt_ctx: one checkpoint held in kernel memory, its metadata in hbuf
 * chunks and its memory in a page set (DESIGN.md, section 1).
 */
#ifndef CKPT_CTX_H
#define CKPT_CTX_H

#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/sched.h>

#include "ckpt.h"
#include "hbuf.h"
#include "pages.h"

/*
 * Snapshots only, never in an image: device, PFN or hugetlbfs memory that
 * a snapshot leaves as it is (like shared memory).
 */
#define CKPT_VMA_KEEP	0x100

/* A mapping as captured under the mmap lock. */
struct ckpt_vma_cap {
	unsigned long start, end, pgoff;
	struct file *file;	/* referenced, or NULL */
	u32 kind;		/* enum ckpt_vma_kind */
	u32 flags;		/* CKPT_VMA_* */
	u32 prot;
	u32 shared_id;
	unsigned long vm_flags;	/* as the VMA had them */
	const void *anon_vma;	/* identity only, never dereferenced */
};

struct ckpt_snap;
struct ckpt_track;

struct ckpt_ctx {
	struct hbuf hb;
	struct hbuf_io io;
	struct pgset ps;

	struct task_struct *task;	/* referenced: the thread-group leader */
	struct mm_struct *mm;		/* mmget() */
	/* Its other threads, referenced, in ascending tid order. */
	struct task_struct **threads;
	unsigned int nr_threads;
	/* Dumps: the caller's SECCOMP records, and each thread's (or NULL). */
	void *seccomp_in;
	const struct ckpt_rec_seccomp **seccomp_recs;
	/* Dumps: the caller's epoll targets, and which an epoll matched. */
	struct ckpt_epoll_in *epoll_in;
	bool *epoll_used;
	size_t nr_epoll_in;

	struct file *out;		/* the image, referenced */
	loff_t pos;
	u32 crc;
	u32 rec_crc;			/* of the records alone */
	bool writing_data;		/* page data: not in rec_crc */
	u64 stream_bytes;		/* bytes written to out */
	u64 nr_data_records;		/* PAGES records written directly */
	u64 pages_written;

	struct ckpt_vma_cap *vmas;
	unsigned int nr_vmas;
	unsigned long cap_vmas;
	struct ckpt_rec_mm *mm_rec;	/* mm fields read under the lock */
	struct file *exe;		/* referenced, or NULL */

	u64 image_id;
	u64 capture_ns;
	char *path;			/* PATH_MAX scratch for d_path */
	char errmsg[CKPT_ERRMSG_LEN];
	int err_fd;
	/* A snapshot being captured: its notifier and list join the mm lock. */
	struct ckpt_snap *snap;
	/* An incremental dump: the tracker of its series (track.h). */
	struct ckpt_track *track;
	/* The process ends with this dump: its TCP connections move. */
	bool final;
	/* And those to a peer outside it, their peers held off by @owner. */
	bool tcp_out;
	const void *owner;		/* the dump's open file */
	struct ckpt_rec_header *hdr;	/* buffered: patched after capture */
};

struct ckpt_ctx *ckpt_ctx_alloc(void);
void ckpt_ctx_free(struct ckpt_ctx *ctx);

/* Records the first failure in words; returns @err. */
__printf(3, 4) int ckpt_err(struct ckpt_ctx *ctx, int err, const char *fmt, ...);

/*
 * Space for a record of @len bytes (rounded up to 8), zeroed, with its
 * header filled; NULL on error (hbuf_error() says which).
 */
void *ckpt_rec_get(struct ckpt_ctx *ctx, u32 type, size_t len);
int ckpt_rec_put(struct ckpt_ctx *ctx, void *rec);

/* Writes raw stream bytes (page data) after the hbuf is flushed. */
int ckpt_out_write(struct ckpt_ctx *ctx, const void *buf, size_t len);
/* The same, for page data: left out of the records' CRC. */
int ckpt_out_write_data(struct ckpt_ctx *ctx, const void *buf, size_t len);

/* The @i-th thread of @ctx's process: 0 the leader, then by tid. */
static inline struct task_struct *ckpt_ctx_thread(const struct ckpt_ctx *ctx,
						  unsigned int i)
{
	return i ? ctx->threads[i - 1] : ctx->task;
}

/* The path of @path into ctx->path; an ERR_PTR on failure. */
const char *ckpt_path(struct ckpt_ctx *ctx, const struct path *path);

/* State captured per kind: one file each (DESIGN.md, section 1). */
/*
 * target.c: @pid, a process every thread of which is ptrace-stopped by
 * the caller: the leader into ctx->task, the others into ctx->threads.
 * ckpt_target_get() also takes its mm into ctx->mm and checks that it may
 * be captured.  ckpt_thread_get() takes one stopped thread, any thread
 * of a process, into ctx->task (the restore's tracer, for its registers).
 */
int ckpt_tracee_get(struct ckpt_ctx *ctx, pid_t pid);
int ckpt_target_get(struct ckpt_ctx *ctx, pid_t pid);
int ckpt_thread_get(struct ckpt_ctx *ctx, pid_t tid);
/*
 * Whether @mm has more than @users users for longer than a /proc read
 * keeps one (up to ~15 ms of sleep).
 */
bool ckpt_mm_shared(struct mm_struct *mm, int users);
/*
 * -ECHILD, in words, if a thread of @ctx has a child process, a zombie
 * included: an image of one process would leave its children behind.
 */
int ckpt_refuse_children(struct ckpt_ctx *ctx);
/* -EINVAL, in words, if a thread of @ctx runs 32-bit code. */
int ckpt_threads_64bit(struct ckpt_ctx *ctx);
/* ctx->threads into ascending tid order. */
void ckpt_sort_threads(struct ckpt_ctx *ctx);
int ckpt_thread_capture(struct ckpt_ctx *ctx);
int ckpt_timer_capture(struct ckpt_ctx *ctx);
int ckpt_seccomp_take(struct ckpt_ctx *ctx, const struct ckpt_dump *d);
/* epoll.c: copies the caller's epoll targets (CKPT_DUMP_SIZE_VER3). */
int ckpt_epoll_take(struct ckpt_ctx *ctx, const struct ckpt_dump *d);
int ckpt_seccomp_capture(struct ckpt_ctx *ctx);

/*
 * signal.c: runs @fn with @t's siglock held (lock_task_sighand() is not
 * exported); -ESRCH once it has none.
 */
int ckpt_with_sighand(struct task_struct *t,
		      void (*fn)(struct task_struct *t,
				 struct sighand_struct *sh, void *arg),
		      void *arg);

/*
 * An array read under the siglock, where nothing can be allocated: @fn
 * fills at most @max entries of @v and sets @n to how many there are.
 * ckpt_with_sighand_array() runs it, and while @n is above @max makes @v
 * larger and runs it again.  On error @v is freed; else the caller
 * kvfree()s it.
 */
struct ckpt_lock_array {
	void *v;
	unsigned int n, max;
};

int ckpt_with_sighand_array(struct task_struct *t,
			    void (*fn)(struct task_struct *t,
				       struct sighand_struct *sh, void *arg),
			    void *arg, struct ckpt_lock_array *a, size_t size);
int ckpt_task_capture(struct ckpt_ctx *ctx);
int ckpt_cpu_capture(struct ckpt_ctx *ctx);
int ckpt_signal_capture(struct ckpt_ctx *ctx);
int ckpt_mm_capture(struct ckpt_ctx *ctx);
int ckpt_mm_emit(struct ckpt_ctx *ctx);
int ckpt_files_capture(struct ckpt_ctx *ctx);
int ckpt_writeout(struct ckpt_ctx *ctx);

/*
 * Snapshot capture, under the target's mmap write lock (snap.c): @end
 * false before the walk (our notifier goes on the mm), true after it (the
 * snapshot joins the notifier's list before any page can change).
 */
int ckpt_snap_locked(struct ckpt_ctx *ctx, struct mm_struct *mm, bool end);
bool ckpt_mm_notifier_ours(struct mm_struct *mm);

#endif /* CKPT_CTX_H */
