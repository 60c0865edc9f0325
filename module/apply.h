/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Apply: captured state put back into a process, one applier per kind of
 * state, in that kind's file.  Restore (REBUILD: a new process becomes the
 * image's) and every rollback (REWIND: a process goes back to its own
 * snapshot, called in on itself, from outside, or at exit) call the same
 * applier; the mode says only what differs between them.
 */
#ifndef CKPT_APPLY_H
#define CKPT_APPLY_H

#include <linux/mm_types.h>
#include <linux/types.h>

#include "ctx.h"

enum ckpt_apply_mode {
	CKPT_REBUILD	= 1,	/* restore: nothing of the old state stays */
	CKPT_REWIND	= 2,	/* rollback: back to the same process's past */
};

/*
 * Memory: mm.c applies the mappings, pages_apply.c their contents, then
 * mm.c the mm fields, all from the layout in ctx->vmas and ctx->mm_rec,
 * which a capture made (rollback) or readin made from an image (restore).
 * Only the contents come from different places.
 */
struct ckpt_image;
struct ckpt_snap;
struct ckpt_rb_stats;

struct ckpt_mem_src {
	struct ckpt_image *img;		/* REBUILD: page runs, read again */
	struct ckpt_snap *snap;		/* REWIND: held pages, dirty slots */
	struct ckpt_rb_stats *st;	/* REWIND: what it took */
};

/* Into current's mm; past the first change, an error leaves it torn. */
int ckpt_mm_apply(struct ckpt_ctx *ctx, const struct ckpt_mem_src *src,
		  enum ckpt_apply_mode mode);
int ckpt_pages_apply(struct ckpt_ctx *ctx, const struct ckpt_mem_src *src,
		     enum ckpt_apply_mode mode);

/* The first VMA of ctx->vmas (sorted) that ends above @addr. */
unsigned int ckpt_vma_after(const struct ckpt_ctx *ctx, unsigned long addr);

/* mm.c: mapping flags; mm_apply.c: the one mapper. */

/* What madvise() sets on a mapping: given at creation, through def_flags. */
#define CKPT_VM_ADVICE	(VM_HUGEPAGE | VM_NOHUGEPAGE | VM_DONTDUMP | \
			 VM_DONTCOPY | VM_WIPEONFORK | VM_SEQ_READ | \
			 VM_RAND_READ)

/* The CKPT_VMA_* flags an image records for VMA flags @vm_flags. */
u32 ckpt_vma_flags(vm_flags_t vm_flags);
/* The madvise() advice among CKPT_VMA_* @flags, as VMA flags. */
vm_flags_t ckpt_vma_advice(u32 flags);

/* One mapping to make, at exactly @start, in current's mm. */
struct ckpt_vma_map {
	struct file *file;	/* or NULL for anonymous memory */
	unsigned long start, len, off;
	unsigned long prot;	/* PROT_* */
	unsigned long map_flags;	/* MAP_SHARED/PRIVATE/ANONYMOUS/FIXED... */
	u32 flags;		/* CKPT_VMA_*: advice, growsdown, noreserve */
	bool brk;		/* the heap, made as brk() makes it */
};

int ckpt_vma_map(struct ckpt_ctx *ctx, const struct ckpt_vma_map *m);

/*
 * task.c: umask, personality, pdeathsig, no_new_privs, dumpable, rseq.
 * REBUILD only: a snapshot does not capture the task record.
 */
int ckpt_task_apply(struct ckpt_ctx *ctx, const struct ckpt_rec_task *r);

/*
 * signal.c: handlers, alternate stack, pending signals, blocked mask.
 * A thread other than the leader has no @sighand (the handlers are the
 * process's, which the leader applies), and its @signal is made from its
 * THREAD record: only the mask and the altstack are read from it.
 */
struct ckpt_sigstate {
	const struct ckpt_rec_sighand *sighand;
	const struct ckpt_rec_signal *signal;
	const struct ckpt_rec_sigpending * const *pending;	/* REBUILD */
	unsigned int nr_pending;
};

int ckpt_signal_apply(struct ckpt_ctx *ctx, const struct ckpt_sigstate *ss,
		      enum ckpt_apply_mode mode);
/* @t is stopped: nothing but SIGKILL is delivered until its mask is set. */
void ckpt_signal_block_all(struct task_struct *t);

/*
 * A stopped thread's own signal state into its THREAD record @r (mask,
 * altstack), and its private queue as whole SIGPENDING records, into
 * *@recs (kmalloc'd, the caller frees it) and *@nr.
 */
int ckpt_signal_thread_read(struct ckpt_ctx *ctx, struct task_struct *t,
			    struct ckpt_rec_thread *r,
			    struct ckpt_rec_sigpending **recs,
			    unsigned int *nr);

/*
 * thread.c: a thread's own state from its THREAD record, in its own
 * context (clear_child_tid, robust list, rseq, scheduling, affinity).
 * The leader's too (REBUILD).
 */
int ckpt_thread_apply(struct ckpt_ctx *ctx, const struct ckpt_rec_thread *r);

/* The records nested in a non-leader thread's THREAD record @r. */
static inline const struct ckpt_rec_cpu *
ckpt_thread_cpu(const struct ckpt_rec_thread *r)
{
	return (const void *)(r + 1);
}

static inline const struct ckpt_rec_xstate *
ckpt_thread_xstate(const struct ckpt_rec_thread *r)
{
	return (const void *)(ckpt_thread_cpu(r) + 1);
}

/*
 * @ss for ckpt_signal_apply() on the thread of record @r: its mask and
 * altstack in @sig, no handlers (they are the process's) and no queued
 * signals (the caller adds them for a restore).
 */
void ckpt_thread_sigstate(const struct ckpt_rec_thread *r,
			  struct ckpt_rec_signal *sig,
			  struct ckpt_sigstate *ss);

/* cpu.c: general registers and xstate. */

/* Reading a stopped thread's (thread.c builds its THREAD record with them). */
int ckpt_cpu_read(struct ckpt_ctx *ctx, struct task_struct *t,
		  struct ckpt_rec_cpu *r);
unsigned int ckpt_xstate_size(struct task_struct *t);
int ckpt_xstate_read(struct ckpt_ctx *ctx, struct task_struct *t,
		     struct ckpt_rec_xstate *r);

/* Into @t, stopped and not current (the regset setters refuse current). */
int ckpt_cpu_apply(struct ckpt_ctx *ctx, struct task_struct *t,
		   const struct ckpt_rec_cpu *cpu,
		   const struct ckpt_rec_xstate *xs);
/*
 * Into current, for its way back to user mode from this syscall, which
 * returns @ret: general registers only, as xstate cannot be written on
 * current.  Self rollback (setjmp semantics) and rollback at exit.
 */
void ckpt_cpu_apply_current(const struct ckpt_rec_cpu *cpu, long ret);

#endif /* CKPT_APPLY_H */
