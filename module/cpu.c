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
#include <linux/sched/task_stack.h>
#include <asm/fpu/xcr.h>
#include <asm/user.h>

#include "apply.h"
#include "compat.h"

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

/* @r: a CPU record with its header, filled from stopped @t. */
int ckpt_cpu_read(struct ckpt_ctx *ctx, struct task_struct *t,
		  struct ckpt_rec_cpu *r)
{
	const struct user_regset *rs = find_regset(t, NT_PRSTATUS);
	int ret;

	BUILD_BUG_ON(sizeof(struct user_regs_struct) !=
		     sizeof(*r) - sizeof(struct ckpt_hdr));
	if (!rs)
		return ckpt_err(ctx, -EOPNOTSUPP, "this kernel has no register set");
	/*
	 * Its SSP and the shadow stack's special mapping would need
	 * map_shadow_stack() and a locked ARCH_SHSTK_ENABLE at restore, and
	 * rollback would have to keep the stack and SSP in step.
	 */
	if (ckpt_shstk_enabled(t))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"thread %d uses a shadow stack (CET), which is not supported",
				task_pid_vnr(t));
	ret = regset_get(t, rs, sizeof(struct user_regs_struct),
			 (u8 *)r + sizeof(r->h));
	if (ret < 0)
		return ckpt_err(ctx, ret, "thread %d: cannot read the registers",
				task_pid_vnr(t));
	normalise_restart(r);
	return 0;
}

/* Bytes of @t's xstate regset (NT_X86_XSTATE), 0 if there is none. */
unsigned int ckpt_xstate_size(struct task_struct *t)
{
	const struct user_regset *rs = find_regset(t, NT_X86_XSTATE);

	if (!rs || !boot_cpu_has(X86_FEATURE_XSAVE))
		return 0;
	return rs->n * rs->size;
}

/* @r: an XSTATE record of ckpt_xstate_size(@t) bytes, filled from @t. */
int ckpt_xstate_read(struct ckpt_ctx *ctx, struct task_struct *t,
		     struct ckpt_rec_xstate *r)
{
	const struct user_regset *rs = find_regset(t, NT_X86_XSTATE);
	int ret;

	r->size = ckpt_xstate_size(t);
	r->xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	ret = rs ? regset_get(t, rs, r->size, r->data) : -EOPNOTSUPP;
	if (ret < 0)
		return ckpt_err(ctx, ret,
				"thread %d: cannot read the FPU/xstate registers",
				task_pid_vnr(t));
	return 0;
}

int ckpt_cpu_capture(struct ckpt_ctx *ctx)
{
	unsigned int size = ckpt_xstate_size(ctx->task);
	struct ckpt_rec_xstate *xs;
	struct ckpt_rec_cpu *r;
	int ret;

	if (!size || !find_regset(ctx->task, NT_PRSTATUS))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"this CPU or kernel has no XSAVE regset");
	r = ckpt_rec_get(ctx, CKPT_REC_CPU, sizeof(*r));
	if (!r)
		return hbuf_error(&ctx->hb);
	ret = ckpt_cpu_read(ctx, ctx->task, r);
	if (!ret)
		ret = ckpt_rec_put(ctx, r);
	if (ret)
		return ret;
	xs = ckpt_rec_get(ctx, CKPT_REC_XSTATE, sizeof(*xs) + size);
	if (!xs)
		return hbuf_error(&ctx->hb);
	ret = ckpt_xstate_read(ctx, ctx->task, xs);
	if (!ret)
		ret = ckpt_rec_put(ctx, xs);
	return ret;
}

/*
 * Restore and external rollback: the tracer has @t stopped, so its
 * registers are saved in memory, where the regset setters write them.
 */
int ckpt_cpu_apply(struct ckpt_ctx *ctx, struct task_struct *t,
		   const struct ckpt_rec_cpu *cpu,
		   const struct ckpt_rec_xstate *xs)
{
	const struct user_regset *gp, *xsr;
	struct user_regs_struct regs;
	int ret;

	gp = find_regset(t, NT_PRSTATUS);
	xsr = find_regset(t, NT_X86_XSTATE);
	if (!gp || !xsr || !gp->set || !xsr->set)
		return ckpt_err(ctx, -EOPNOTSUPP, "no register set to write");
	if (xs->size != xsr->n * xsr->size)
		return ckpt_err(ctx, -EINVAL, "the xstate size changed");
	memcpy(&regs, (const u8 *)cpu + sizeof(cpu->h), sizeof(regs));
	/* Not inside a syscall any more: no restart on the way out. */
	regs.orig_ax = -1;
	ret = gp->set(t, gp, 0, sizeof(regs), &regs, NULL);
	if (ret)
		return ckpt_err(ctx, ret, "cannot write the registers");
	ret = xsr->set(t, xsr, 0, xs->size, xs->data, NULL);
	if (ret)
		return ckpt_err(ctx, ret, "cannot write the FPU/xstate registers");
	return 0;
}

/* The flags userspace may change, as ptrace's putreg() allows. */
#define USER_FLAGS	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF | \
			 X86_EFLAGS_DF | X86_EFLAGS_OF | X86_EFLAGS_RF | \
			 X86_EFLAGS_AC)

/*
 * Current's saved user registers become the image's, so that this syscall
 * returns there.  Segment and base registers stay: it is the same thread.
 */
void ckpt_cpu_apply_current(const struct ckpt_rec_cpu *cpu, long ret)
{
	const struct user_regs_struct *u =
		(const void *)((const u8 *)cpu + sizeof(cpu->h));
	struct pt_regs *regs = task_pt_regs(current);

	regs->r15 = u->r15;
	regs->r14 = u->r14;
	regs->r13 = u->r13;
	regs->r12 = u->r12;
	regs->bp = u->bp;
	regs->bx = u->bx;
	regs->r11 = u->r11;
	regs->r10 = u->r10;
	regs->r9 = u->r9;
	regs->r8 = u->r8;
	regs->cx = u->cx;
	regs->dx = u->dx;
	regs->si = u->si;
	regs->di = u->di;
	regs->ip = u->ip;
	regs->sp = u->sp;
	regs->flags = (regs->flags & ~USER_FLAGS) | (u->flags & USER_FLAGS);
	regs->orig_ax = -1;
	regs->ax = ret;
}
