/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The other threads of a restore (restore_thread.c), as the process's
 * restore (restore.c) sees them.
 */
#ifndef CKPT_RESTORE_THREAD_H
#define CKPT_RESTORE_THREAD_H

#include "ckpt.h"
#include "ctx.h"

/* One thread of the image, restored or being restored. */
struct ckpt_restored_thread {
	struct pid *pid;		/* the thread standing for it */
	struct ckpt_rec_thread *rec;	/* a copy, with its nested records */
	bool done;			/* its registers are applied */
};

/*
 * Before the point of no return, in the process's restore: waits until
 * its @nr other threads are parked, then gives each parked thread its
 * record among @thr (sorted by tid, as the image has them).
 */
int ckpt_park_wait(struct ckpt_ctx *ctx, struct ckpt_park *pk, unsigned int nr);
int ckpt_park_assign(struct ckpt_ctx *ctx, struct ckpt_park *pk,
		     struct ckpt_restored_thread *thr, unsigned int nr);

/* A restore that failed before its line: every parked call returns. */
void ckpt_park_abort(struct ckpt_park *pk);

/*
 * The tracer's: every parked thread is traced by it and will stop before
 * user code; then they go, each to apply its own state.
 */
int ckpt_park_check(struct ckpt_ctx *ctx, struct ckpt_park *pk);
void ckpt_park_release(struct ckpt_park *pk);

#endif /* CKPT_RESTORE_THREAD_H */
