// SPDX-License-Identifier: GPL-2.0
/*
 * CPU state: general registers and the full xstate (x87, SSE, AVX,
 * AVX-512, PKRU...), read through the same regsets ptrace uses.  The
 * task is ptrace-stopped and off-CPU, so its registers are saved in
 * memory and the regset getters read them there.
 *
 * Regsets are found by ELF note type, because their indices differ between
 * 6.1 and 6.12.
 */
#include <linux/elf.h>
#include <linux/errno.h>
#include <linux/regset.h>
#include <asm/fpu/xcr.h>
#include <asm/user.h>

#include "ctx.h"

static const struct user_regset *find_regset(struct task_struct *t,
					     unsigned int note)
{
	const struct user_regset_view *view = task_user_regset_view(t);
	unsigned int i;

	for (i = 0; i < view->n; i++)
		if (view->regsets[i].core_note_type == note)
			return &view->regsets[i];
	return NULL;
}

/*
 * A task stopped inside a syscall that will be restarted holds -ERESTART*
 * in ax; the kernel would fix that up on its way out, but a restored task
 * never goes that way.  Do the fix-up in the image, as signal delivery
 * without a handler would: re-execute the syscall instruction.  A
 * restart_block (nanosleep, poll...) cannot travel with the image, so that
 * syscall returns EINTR instead, which its callers must handle anyway.
 */
static void normalise_restart(struct ckpt_rec_cpu *r)
{
	if ((long)r->orig_ax < 0)
		return;
	switch ((long)r->ax) {
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
		r->ax = r->orig_ax;
		r->ip -= 2;
		break;
	case -ERESTART_RESTARTBLOCK:
		r->ax = -EINTR;
		break;
	}
}

static int capture_gp(struct ckpt_ctx *ctx, const struct user_regset *rs)
{
	struct ckpt_rec_cpu *r;
	int ret;

	BUILD_BUG_ON(sizeof(struct user_regs_struct) !=
		     sizeof(*r) - sizeof(struct ckpt_hdr));
	r = ckpt_rec_get(ctx, CKPT_REC_CPU, sizeof(*r));
	if (!r)
		return hbuf_error(&ctx->hb);
	ret = regset_get(ctx->task, rs, sizeof(struct user_regs_struct),
			 (u8 *)r + sizeof(r->h));
	if (ret < 0)
		return ckpt_err(ctx, ret, "cannot read the registers");
	normalise_restart(r);
	return ckpt_rec_put(ctx, r);
}

static int capture_xstate(struct ckpt_ctx *ctx, const struct user_regset *rs)
{
	unsigned int size = rs->n * rs->size;
	struct ckpt_rec_xstate *r;
	int ret;

	r = ckpt_rec_get(ctx, CKPT_REC_XSTATE, sizeof(*r) + size);
	if (!r)
		return hbuf_error(&ctx->hb);
	r->size = size;
	r->xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	ret = regset_get(ctx->task, rs, size, r->data);
	if (ret < 0)
		return ckpt_err(ctx, ret, "cannot read the FPU/xstate registers");
	return ckpt_rec_put(ctx, r);
}

int ckpt_cpu_capture(struct ckpt_ctx *ctx)
{
	const struct user_regset *gp, *xs;
	int ret;

	gp = find_regset(ctx->task, NT_PRSTATUS);
	xs = find_regset(ctx->task, NT_X86_XSTATE);
	if (!gp || !xs || !boot_cpu_has(X86_FEATURE_XSAVE))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"this CPU or kernel has no XSAVE regset");
	ret = capture_gp(ctx, gp);
	if (!ret)
		ret = capture_xstate(ctx, xs);
	return ret;
}
