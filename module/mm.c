// SPDX-License-Identifier: GPL-2.0
/*
 * Memory layout: the mm fields, every VMA, and (through pages.c) the COW
 * references to private pages, all taken in one pass under the mmap lock.
 * Putting them back is mm_apply.c's.
 *
 * Lock order and rules: mmap_write_lock(target mm), then each VMA's write
 * lock (6.12: faults run under per-VMA locks), then write_protect_seq,
 * then page table locks inside pages.c.  Nothing is written to the image
 * and no user memory is touched while the target's mmap lock is held: a
 * fault or a filesystem lock there would nest mmap locks the wrong way.
 * Records are emitted afterwards from what was collected.
 */
#include <linux/file.h>
#include <linux/hugetlb.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "ctx.h"
#include "apply.h"
#include "track.h"

/* Faulting in swapped-out pages is retried at most this many times. */
#define SWAPIN_TRIES	64

static int vmas_reserve(struct ckpt_ctx *ctx)
{
	return ckpt_grow((void **)&ctx->vmas, &ctx->cap_vmas, ctx->nr_vmas + 1,
			 sizeof(*ctx->vmas));
}

static void vmas_release(struct ckpt_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_vmas; i++)
		if (ctx->vmas[i].file)
			fput(ctx->vmas[i].file);
	ctx->nr_vmas = 0;
}

/*
 * Shared anonymous memory (and memfd): a tmpfs object with no name to
 * reopen.  Its dentry is a pseudo one (its own root), or was unlinked.
 */
static bool is_anon_shared(struct vm_area_struct *vma)
{
	struct file *f = vma->vm_file;
	struct dentry *d;

	if (!f || f->f_inode->i_sb->s_magic != TMPFS_MAGIC)
		return false;
	d = f->f_path.dentry;
	return IS_ROOT(d) || d_unlinked(d);
}

static u32 shared_id(struct ckpt_ctx *ctx, struct file *f)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_vmas; i++)
		if (ctx->vmas[i].kind == CKPT_VMA_ANON_SHARED &&
		    file_inode(ctx->vmas[i].file) == file_inode(f))
			return ctx->vmas[i].shared_id;
	return ctx->nr_vmas + 1;
}

/*
 * What madvise() and mmap() flags set on a mapping beyond its protection,
 * as the image records them.  A mapping made without them would not be
 * the same, and would merge with neighbours that differ only in them.
 */
static const struct {
	vm_flags_t vm;
	u32 ckpt;
} vma_flag_map[] = {
	{ VM_GROWSDOWN, CKPT_VMA_GROWSDOWN },
	{ VM_DONTDUMP, CKPT_VMA_DONTDUMP },
	{ VM_HUGEPAGE, CKPT_VMA_HUGEPAGE },
	{ VM_NOHUGEPAGE, CKPT_VMA_NOHUGEPAGE },
	{ VM_DONTCOPY, CKPT_VMA_DONTFORK },
	{ VM_WIPEONFORK, CKPT_VMA_WIPEONFORK },
	{ VM_SEQ_READ, CKPT_VMA_SEQ_READ },
	{ VM_RAND_READ, CKPT_VMA_RAND_READ },
	{ VM_NORESERVE, CKPT_VMA_NORESERVE },
	{ VM_LOCKED, CKPT_VMA_LOCKED },
};

u32 ckpt_vma_flags(vm_flags_t vm_flags)
{
	unsigned int i;
	u32 flags = 0;

	for (i = 0; i < ARRAY_SIZE(vma_flag_map); i++)
		if (vm_flags & vma_flag_map[i].vm)
			flags |= vma_flag_map[i].ckpt;
	return flags;
}

/* The madvise() advice of image flags @flags, as VMA flags. */
vm_flags_t ckpt_vma_advice(u32 flags)
{
	vm_flags_t vm = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vma_flag_map); i++)
		if ((flags & vma_flag_map[i].ckpt) &&
		    (vma_flag_map[i].vm & CKPT_VM_ADVICE))
			vm |= vma_flag_map[i].vm;
	return vm;
}

/* Sorts @vma into one of the kinds an image can hold, or says why not. */
static int classify(struct ckpt_ctx *ctx, struct mm_struct *mm,
		    struct vm_area_struct *vma, struct ckpt_vma_cap *v)
{
	const char *name = NULL;

	/* The vDSO and vvar first: vvar is a PFN mapping, but a known one. */
	if (vma->vm_ops && vma->vm_ops->name)
		name = vma->vm_ops->name(vma);
	if (name) {
		if (!strcmp(name, "[vdso]"))
			v->kind = CKPT_VMA_VDSO;
		else if (!strcmp(name, "[vvar]") || !strcmp(name, "[vvar_vclock]"))
			v->kind = CKPT_VMA_VVAR;
		else if (ctx->snap)
			v->kind = CKPT_VMA_KEEP;
		else
			return ckpt_err(ctx, -EOPNOTSUPP,
					"mapping %#lx-%#lx: special mapping %s is not supported",
					vma->vm_start, vma->vm_end, name);
		return 0;
	}
	if (is_vm_hugetlb_page(vma) ||
	    (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP))) {
		/* A snapshot leaves it alone; an image cannot hold it. */
		if (ctx->snap) {
			v->kind = CKPT_VMA_KEEP;
			v->file = vma->vm_file ? get_file(vma->vm_file) : NULL;
			return 0;
		}
		return ckpt_err(ctx, -EOPNOTSUPP,
				"mapping %#lx-%#lx: hugetlbfs or device memory is not supported",
				vma->vm_start, vma->vm_end);
	}
	if (!vma->vm_file) {
		if (vma->vm_flags & VM_SHARED)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"mapping %#lx-%#lx: shared mapping without a file",
					vma->vm_start, vma->vm_end);
		v->kind = CKPT_VMA_ANON;
		if (vma->vm_start < mm->brk && vma->vm_end > mm->start_brk)
			v->flags |= CKPT_VMA_HEAP;
		return 0;
	}
	if (vma->vm_flags & VM_SHARED) {
		if (is_anon_shared(vma)) {
			v->kind = CKPT_VMA_ANON_SHARED;
			v->shared_id = shared_id(ctx, vma->vm_file);
		} else {
			v->kind = CKPT_VMA_FILE_SHARED;
		}
	} else {
		v->kind = CKPT_VMA_FILE_PRIVATE;
	}
	v->file = get_file(vma->vm_file);
	return 0;
}

static int record_vma(struct ckpt_ctx *ctx, struct mm_struct *mm,
		      struct vm_area_struct *vma)
{
	struct ckpt_vma_cap *v;
	int ret;

	mmap_assert_write_locked(mm);
	ret = vmas_reserve(ctx);
	if (ret)
		return ret;
	v = &ctx->vmas[ctx->nr_vmas];
	memset(v, 0, sizeof(*v));
	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->pgoff = vma->vm_pgoff;
	v->vm_flags = vma->vm_flags;
	v->anon_vma = vma->anon_vma;
	v->prot = (vma->vm_flags & VM_READ ? PROT_READ : 0) |
		  (vma->vm_flags & VM_WRITE ? PROT_WRITE : 0) |
		  (vma->vm_flags & VM_EXEC ? PROT_EXEC : 0);
	v->flags = ckpt_vma_flags(vma->vm_flags);
	ret = classify(ctx, mm, vma, v);
	if (ret)
		return ret;
	ctx->nr_vmas++;
	if (v->kind == CKPT_VMA_ANON || v->kind == CKPT_VMA_FILE_PRIVATE)
		return pgset_capture_vma(&ctx->ps, mm, vma);
	return 0;
}

static void read_mm_fields(struct ckpt_ctx *ctx, struct mm_struct *mm)
{
	struct ckpt_rec_mm *r = ctx->mm_rec;
	struct file *exe;

	BUILD_BUG_ON(AT_VECTOR_SIZE > CKPT_AUXV_WORDS);
	r->start_code = mm->start_code;
	r->end_code = mm->end_code;
	r->start_data = mm->start_data;
	r->end_data = mm->end_data;
	r->start_brk = mm->start_brk;
	r->brk = mm->brk;
	r->start_stack = mm->start_stack;
	spin_lock(&mm->arg_lock);
	r->arg_start = mm->arg_start;
	r->arg_end = mm->arg_end;
	r->env_start = mm->env_start;
	r->env_end = mm->env_end;
	spin_unlock(&mm->arg_lock);
	memcpy(r->auxv, mm->saved_auxv, sizeof(mm->saved_auxv));
	r->vdso = (unsigned long)mm->context.vdso;
	/* Only the stopped task itself could replace its exe_file. */
	exe = rcu_dereference_protected(mm->exe_file, true);
	ctx->exe = exe ? get_file(exe) : NULL;
}

/* One pass under the lock; -EAGAIN when pages had to be faulted in. */
static int capture_locked(struct ckpt_ctx *ctx, struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	bool again = false;
	int ret;

	ret = mmap_write_lock_killable(mm);
	if (ret)
		return ret;
	if (ctx->snap || ctx->track) {
		ret = ctx->snap ? ckpt_snap_locked(ctx, mm, false) :
				  ckpt_track_locked(ctx, mm, false);
		if (ret)
			goto unlock;
	} else if (mm_has_notifiers(mm) && !ckpt_mm_notifier_ours(mm)) {
		ret = ckpt_err(ctx, -EBUSY,
			       "the process's memory is mirrored by a device or VM (MMU notifiers): not supported");
		goto unlock;
	}
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma)
			ckpt_vma_start_write(vma);
	}
	raw_write_seqcount_begin(&mm->write_protect_seq);
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			ret = record_vma(ctx, mm, vma);
			if (ret == -EAGAIN) {
				/* Go on: collect every page to fault in. */
				again = true;
				ret = 0;
			} else if (ret) {
				break;
			}
		}
	}
	raw_write_seqcount_end(&mm->write_protect_seq);
	if (!ret && again)
		ret = -EAGAIN;
	/* Writable pages of another series, now read-only: changed for it. */
	if (ctx->ps.nr_wrprotected)
		ckpt_track_foreign(mm, ctx->track);
	/* Before anyone runs on this mm again: no stale writable TLB entry. */
	pgset_flush(&ctx->ps);
	if (!ret)
		read_mm_fields(ctx, mm);
	if (!ret && ctx->snap)
		ret = ckpt_snap_locked(ctx, mm, true);
	if (!ret && ctx->track)
		ret = ckpt_track_locked(ctx, mm, true);
unlock:
	mmap_write_unlock(mm);
	return ret;
}

int ckpt_mm_capture(struct ckpt_ctx *ctx)
{
	unsigned int tries;
	int ret;

	ctx->mm_rec = kzalloc(sizeof(*ctx->mm_rec), GFP_KERNEL);
	if (!ctx->mm_rec)
		return -ENOMEM;
	for (tries = 0; tries < SWAPIN_TRIES; tries++) {
		ret = capture_locked(ctx, ctx->mm);
		if (ret != -EAGAIN)
			break;
		/* Swapped-out or migrating pages: bring them in and redo. */
		vmas_release(ctx);
		pgset_swapin(&ctx->ps, ctx->mm);
		pgset_free(&ctx->ps);
	}
	if (ret == -EAGAIN)
		return ckpt_err(ctx, -EAGAIN,
				"pages keep being swapped out or migrated during the capture");
	return ret;
}

static int emit_vma(struct ckpt_ctx *ctx, const struct ckpt_vma_cap *v)
{
	const char *path = NULL;
	struct ckpt_rec_vma *r;
	size_t plen = 0;

	if (v->file && v->kind != CKPT_VMA_ANON_SHARED) {
		if (d_unlinked(v->file->f_path.dentry))
			return ckpt_err(ctx, -EOPNOTSUPP,
					"mapping %#lx-%#lx: its file was deleted",
					v->start, v->end);
		path = ckpt_path(ctx, &v->file->f_path);
		if (IS_ERR(path))
			return ckpt_err(ctx, PTR_ERR(path),
					"mapping %#lx-%#lx: cannot name its file",
					v->start, v->end);
		plen = strlen(path) + 1;
	}
	r = ckpt_rec_get(ctx, CKPT_REC_VMA, sizeof(*r) + plen);
	if (!r)
		return hbuf_error(&ctx->hb);
	r->start = v->start;
	r->end = v->end;
	r->pgoff = v->pgoff;
	r->kind = v->kind;
	r->prot = v->prot;
	r->flags = v->flags;
	r->shared_id = v->shared_id;
	if (v->file) {
		/* The real inode: overlayfs maps its lower file. */
		struct inode *inode = d_real_inode(v->file->f_path.dentry);

		r->ino = inode->i_ino;
		r->dev = new_encode_dev(inode->i_sb->s_dev);
	}
	r->path_len = plen;
	if (plen)
		memcpy(r->path, path, plen);
	return ckpt_rec_put(ctx, r);
}

/* The MM and VMA records, after the lock is dropped. */
int ckpt_mm_emit(struct ckpt_ctx *ctx)
{
	const char *exe = NULL;
	struct ckpt_rec_mm *r;
	size_t elen = 0;
	unsigned int i;
	int ret;

	if (ctx->exe) {
		exe = ckpt_path(ctx, &ctx->exe->f_path);
		if (IS_ERR(exe))
			return ckpt_err(ctx, PTR_ERR(exe),
					"cannot name the executable");
		elen = strlen(exe) + 1;
	}
	r = ckpt_rec_get(ctx, CKPT_REC_MM, sizeof(*r) + elen);
	if (!r)
		return hbuf_error(&ctx->hb);
	/* Everything but the header and the exe path was read under the lock. */
	memcpy((u8 *)r + sizeof(r->h), (u8 *)ctx->mm_rec + sizeof(r->h),
	       sizeof(*r) - sizeof(r->h));
	r->exe_len = elen;
	if (elen)
		memcpy(r->exe, exe, elen);
	ret = ckpt_rec_put(ctx, r);
	for (i = 0; i < ctx->nr_vmas && !ret; i++)
		ret = emit_vma(ctx, &ctx->vmas[i]);
	return ret;
}
