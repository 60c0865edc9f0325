/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Holding a process's other threads still from one of its own threads:
 * a process that snapshots or rolls back itself has no tracer to stop
 * them (thread_hold.c).
 */
#ifndef CKPT_THREAD_HOLD_H
#define CKPT_THREAD_HOLD_H

#include <linux/kref.h>
#include <linux/spinlock.h>
#include <linux/task_work.h>
#include <linux/wait.h>

#include "ctx.h"

struct ckpt_hold;
struct ckpt_held;

/* Run by a held thread in its own context when let go, if not killed. */
typedef void (*ckpt_held_fn)(struct ckpt_held *e);

struct ckpt_held {
	struct callback_head work;
	struct ckpt_hold *hold;
	struct task_struct *task;	/* referenced */
	/* Set by the holder while the thread is held. */
	ckpt_held_fn then;
	const void *arg;
	bool arrived;			/* under hold->lock */
	bool gone;			/* its work ran from do_exit() */
	bool mid_syscall;		/* it came inside a syscall, not past it */
};

struct ckpt_hold {
	struct kref ref;		/* the holder's, and each queued work's */
	spinlock_t lock;
	wait_queue_head_t wq;		/* the holder waits here */
	wait_queue_head_t go_wq;	/* the held threads wait here */
	unsigned int nr;		/* entries in held[], under lock */
	unsigned int came;		/* works that ran, under lock */
	unsigned int finished;		/* works that ended, under lock */
	bool go;
	void *data;			/* the holder's, for the then()s */
	struct ckpt_held **held;	/* by task pointer, for lookup */
};

/*
 * Holds every other live thread of current's group in the kernel, off
 * its CPU, with its user registers and xstate saved, before it runs
 * another user instruction.  ctx->task becomes the group leader and
 * ctx->threads the others by tid (current among them unless it leads),
 * referenced, as ckpt_target_get() leaves them.  The caller holds the
 * mm's snapshot mutex, so that two holders never wait for each other.
 * -ERESTARTNOINTR if the caller is interrupted; nothing is held then.
 */
int ckpt_hold_others(struct ckpt_ctx *ctx, struct ckpt_hold **out);
/* The entry of held thread @t; NULL for current. */
struct ckpt_held *ckpt_hold_entry(struct ckpt_hold *h, struct task_struct *t);
/* Lets the threads go; each runs its then(), if set, in its own context. */
void ckpt_hold_go(struct ckpt_hold *h);
/* After ckpt_hold_go(): waits until every then() has returned, and frees. */
void ckpt_hold_end(struct ckpt_hold *h);
/* Lets them go without then()s, and does not wait for them to leave. */
void ckpt_hold_release(struct ckpt_hold *h);
/* Waits until @t sleeps uninterruptibly, off its CPU (a then()'s helper). */
void ckpt_hold_wait_asleep(struct task_struct *t);

#endif /* CKPT_THREAD_HOLD_H */
