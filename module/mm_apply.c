// SPDX-License-Identifier: GPL-2.0
/*
 * Memory layout put back into current's mm: the apply side of mm.c.
 *
 * The layout is ctx->vmas and ctx->mm_rec.  A capture made them for a
 * snapshot; for a restore ckpt_mm_prepare() makes them from the image,
 * with every file open and every shared object made, so that nothing is
 * left to fail but the mapping itself.  Then one applier, two modes:
 *
 *   REBUILD  restore: every mapping of the restorer goes but the vDSO and
 *            vvar, which must already be where the image had them (the
 *            tool moves them from userspace), and every mapping of the
 *            image is made.
 *   REWIND   rollback: every range where the mapping differs from the
 *            snapshot's (made since, moved, re-protected, another file)
 *            is unmapped, and every snapshot mapping missing now is made
 *            again; its held pages are marked dirty, for pages_apply.c.
 *
 * Both then put back the page contents (pages_apply.c) and the mm fields.
 * Mappings are made and unmapped with vm_mmap()/vm_munmap(), which act on
 * current's mm and take its lock: the callers run in the process's own
 * context and it has one thread, so nothing maps behind our back.
 */
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/utsname.h>

#include "compat.h"
#include "readin.h"
#include "search.h"
#include "snap.h"
#include "watch.h"

/* Flags a mapping must keep for its contents to be rolled back in place. */
#define VMA_SAME_FLAGS	(VM_READ | VM_WRITE | VM_EXEC | VM_SHARED | \
			 VM_MAYSHARE | VM_GROWSDOWN | CKPT_VM_ADVICE)

/*
 * The one way a mapping is made again, by restore (every mapping of the
 * image) and by rollback (a piece missing since the snapshot): at exactly
 * @m->start, with the image's protection, mmap() flags and advice.
 *
 * do_mmap() and do_brk_flags() add mm->def_flags to every new mapping:
 * the one way to create it with its advice, which madvise() would have set
 * afterwards, so that it merges with its neighbours as it did.  Only
 * current's own mm, and only a process of one thread (both callers check
 * it), so nobody else maps while def_flags is changed.
 */
static void set_def_flags(struct mm_struct *mm, vm_flags_t def_flags)
{
	mmap_write_lock(mm);
	mm->def_flags = def_flags;
	mmap_write_unlock(mm);
}

int ckpt_vma_map(struct ckpt_ctx *ctx, const struct ckpt_vma_map *m)
{
	struct mm_struct *mm = current->mm;
	unsigned long flags = 0, addr;
	vm_flags_t def_flags, advised;
	int ret = 0;

	if (m->flags & CKPT_VMA_GROWSDOWN)
		flags |= MAP_GROWSDOWN;
	if (m->flags & CKPT_VMA_NORESERVE)
		flags |= MAP_NORESERVE;
	if (m->flags & CKPT_VMA_LOCKED)
		flags |= MAP_LOCKED;
	/* Only current changes its def_flags (prctl), so read it unlocked. */
	def_flags = READ_ONCE(mm->def_flags);
	advised = (def_flags & ~CKPT_VM_ADVICE) | ckpt_vma_advice(m->flags);
	/* Most mappings have no advice: def_flags, and its lock, stay alone. */
	if (advised != def_flags)
		set_def_flags(mm, advised);
	if (m->brk) {
		ret = vm_brk_flags(m->start, m->len, 0);
		addr = m->start;
	} else {
		addr = vm_mmap(m->file, m->start, m->len, m->prot,
			       m->map_flags | flags, m->off);
		if (IS_ERR_VALUE(addr))
			ret = (long)addr;
		else if (addr != m->start)
			ret = -EFAULT;
	}
	if (advised != def_flags)
		set_def_flags(mm, def_flags);
	if (ret)
		return ckpt_err(ctx, ret, "cannot map %#lx-%#lx: error %d",
				m->start, m->start + m->len, ret);
	return 0;
}

struct vma_key {
	const struct ckpt_ctx *ctx;
	unsigned long addr;
};

static bool vma_ends_below(const void *arg, unsigned long i)
{
	const struct vma_key *k = arg;

	return k->ctx->vmas[i].end <= k->addr;
}

unsigned int ckpt_vma_after(const struct ckpt_ctx *ctx, unsigned long addr)
{
	struct vma_key k = { .ctx = ctx, .addr = addr };

	return ckpt_lower_bound(ctx->nr_vmas, vma_ends_below, &k);
}

/* The kernel's own mappings (vDSO, vvar) and a driver's: never made here. */
static bool cap_special(const struct ckpt_vma_cap *v)
{
	return v->kind == CKPT_VMA_VDSO || v->kind == CKPT_VMA_VVAR ||
	       v->kind == CKPT_VMA_KEEP;
}

static bool vma_special(struct vm_area_struct *vma)
{
	return vma->vm_ops && vma->vm_ops->name && vma->vm_ops->name(vma);
}

/* [start, end) of mapping @v, made again at exactly its place. */
static int map_range(struct ckpt_ctx *ctx, const struct ckpt_vma_cap *v,
		     unsigned long start, unsigned long end)
{
	struct ckpt_vma_map m = {
		.file = v->file, .start = start, .len = end - start,
		.prot = v->prot, .map_flags = MAP_FIXED_NOREPLACE,
		.flags = v->flags,
	};

	switch (v->kind) {
	case CKPT_VMA_ANON:
		/* The heap as brk() made it, so that brk() can grow it again. */
		m.brk = (v->flags & CKPT_VMA_HEAP) &&
			v->prot == (PROT_READ | PROT_WRITE);
		m.map_flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	case CKPT_VMA_FILE_PRIVATE:
		m.map_flags |= MAP_PRIVATE;
		break;
	case CKPT_VMA_FILE_SHARED:
	case CKPT_VMA_ANON_SHARED:
		m.map_flags |= MAP_SHARED;
		break;
	default:
		return ckpt_err(ctx, -EINVAL, "mapping %#lx-%#lx: kind %u cannot be made",
				v->start, v->end, v->kind);
	}
	if (m.file)
		m.off = (v->pgoff << PAGE_SHIFT) + (start - v->start);
	return ckpt_vma_map(ctx, &m);
}

/*
 * Restore, before the point of no return.  Every file the mappings need is
 * opened and checked against the image (a file that changed since the
 * checkpoint is refused, not silently mapped).
 */
static int check_special(struct ckpt_ctx *ctx, const struct ckpt_rec_vma *v)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool ok;

	mmap_read_lock(mm);
	vma = find_vma(mm, v->start);
	ok = vma && vma->vm_start == v->start && vma->vm_end == v->end &&
	     vma_special(vma);
	mmap_read_unlock(mm);
	if (!ok)
		return ckpt_err(ctx, -EINVAL,
				"the %s must be at %#llx-%#llx as in the image: this kernel's differs or was not moved there",
				v->kind == CKPT_VMA_VDSO ? "vDSO" : "vvar",
				(unsigned long long)v->start,
				(unsigned long long)v->end);
	return 0;
}

static struct file *open_checked(struct ckpt_ctx *ctx, const char *path,
				 int flags, u64 ino, u32 dev)
{
	struct inode *inode;
	struct file *f;

	f = filp_open(path, flags | O_LARGEFILE, 0);
	if (IS_ERR(f)) {
		ckpt_err(ctx, PTR_ERR(f), "cannot open %s: error %ld", path,
			 PTR_ERR(f));
		return f;
	}
	inode = d_real_inode(f->f_path.dentry);
	if (inode->i_ino != ino || new_encode_dev(inode->i_sb->s_dev) != dev) {
		fput(f);
		ckpt_err(ctx, -ESTALE,
			 "%s is not the file the process had mapped (replaced since the checkpoint)",
			 path);
		return ERR_PTR(-ESTALE);
	}
	return f;
}

/* The shmem object of shared anonymous segment @idx: one per shared_id. */
static struct file *shared_object(struct ckpt_ctx *ctx,
				  struct ckpt_image *img, unsigned int idx)
{
	const struct ckpt_rec_vma *v = img->vmas[idx];
	loff_t size = 0, end;
	unsigned int i;

	for (i = 0; i < idx; i++)
		if (ctx->vmas[i].kind == CKPT_VMA_ANON_SHARED &&
		    ctx->vmas[i].shared_id == v->shared_id)
			return get_file(ctx->vmas[i].file);
	for (i = idx; i < img->nr_vmas; i++) {
		if (img->vmas[i]->kind != CKPT_VMA_ANON_SHARED ||
		    img->vmas[i]->shared_id != v->shared_id)
			continue;
		end = (img->vmas[i]->pgoff << PAGE_SHIFT) +
		      img->vmas[i]->end - img->vmas[i]->start;
		size = max(size, end);
	}
	return shmem_file_setup("dev/zero", size, VM_NORESERVE);
}

/* The file behind image mapping @i, opened; NULL for anonymous memory. */
static struct file *vma_file(struct ckpt_ctx *ctx, struct ckpt_image *img,
			     unsigned int i)
{
	const struct ckpt_rec_vma *v = img->vmas[i];
	int ret;

	switch (v->kind) {
	case CKPT_VMA_VDSO:
	case CKPT_VMA_VVAR:
		if (strcmp(img->hdr->release, utsname()->release)) {
			ckpt_err(ctx, -EINVAL,
				 "the image comes from kernel %s, this is %s: its vDSO may differ",
				 img->hdr->release, utsname()->release);
			return ERR_PTR(-EINVAL);
		}
		ret = check_special(ctx, v);
		return ret ? ERR_PTR(ret) : NULL;
	case CKPT_VMA_FILE_PRIVATE:
	case CKPT_VMA_FILE_SHARED:
		return open_checked(ctx, v->path,
				    v->kind == CKPT_VMA_FILE_SHARED &&
				    (v->prot & PROT_WRITE) ? O_RDWR : O_RDONLY,
				    v->ino, v->dev);
	case CKPT_VMA_ANON_SHARED:
		return shared_object(ctx, img, i);
	}
	return NULL;
}

int ckpt_mm_prepare(struct ckpt_ctx *ctx, struct ckpt_image *img)
{
	const struct ckpt_rec_vma *r;
	struct ckpt_vma_cap *v;
	struct file *f;
	unsigned int i;

	ctx->vmas = kvcalloc(img->nr_vmas, sizeof(*ctx->vmas), GFP_KERNEL);
	ctx->mm_rec = kmemdup(img->mm, sizeof(*img->mm), GFP_KERNEL);
	if ((img->nr_vmas && !ctx->vmas) || !ctx->mm_rec)
		return -ENOMEM;
	ctx->cap_vmas = img->nr_vmas;
	for (i = 0; i < img->nr_vmas; i++) {
		r = img->vmas[i];
		f = vma_file(ctx, img, i);
		if (IS_ERR(f))
			return PTR_ERR(f);
		v = &ctx->vmas[ctx->nr_vmas++];
		v->start = r->start;
		v->end = r->end;
		v->pgoff = r->pgoff;
		v->file = f;
		v->kind = r->kind;
		v->flags = r->flags;
		v->prot = r->prot;
		v->shared_id = r->shared_id;
	}
	if (img->mm->exe_len) {
		f = filp_open(img->mm->exe, O_RDONLY | O_LARGEFILE, 0);
		if (IS_ERR(f))
			return ckpt_err(ctx, PTR_ERR(f), "cannot open the executable %s",
					img->mm->exe);
		ctx->exe = f;
	}
	return 0;
}

/* Unmaps everything but the vDSO and vvar: the point of no return. */
static int teardown(void)
{
	struct mm_struct *mm = current->mm;
	unsigned long start[32], len[32];
	struct vm_area_struct *vma;
	unsigned int n, i;
	int ret;

	do {
		n = 0;
		mmap_read_lock(mm);
		{
			VMA_ITERATOR(vmi, mm, 0);

			for_each_vma(vmi, vma) {
				if (vma_special(vma))
					continue;
				start[n] = vma->vm_start;
				len[n] = vma->vm_end - vma->vm_start;
				if (++n == ARRAY_SIZE(start))
					break;
			}
		}
		mmap_read_unlock(mm);
		for (i = 0; i < n; i++) {
			ret = vm_munmap(start[i], len[i]);
			if (ret)
				return ret;
		}
	} while (n);
	return 0;
}

/* REBUILD: the restorer's mappings go, the image's are made. */
static int rebuild_vmas(struct ckpt_ctx *ctx)
{
	const struct ckpt_vma_cap *v;
	unsigned int i;
	int ret;

	ret = teardown();
	for (i = 0; i < ctx->nr_vmas && !ret; i++) {
		v = &ctx->vmas[i];
		if (!cap_special(v))
			ret = map_range(ctx, v, v->start, v->end);
	}
	return ret;
}

static bool same_mapping(struct vm_area_struct *vma,
			 const struct ckpt_vma_cap *v)
{
	if ((vma->vm_flags ^ v->vm_flags) & VMA_SAME_FLAGS)
		return false;
	/*
	 * Private memory mapped anew since (and written) has an anon_vma of
	 * its own and never merges with the snapshot's pieces around it.
	 */
	if (v->anon_vma && vma->anon_vma && vma->anon_vma != v->anon_vma)
		return false;
	if (!vma->vm_file != !v->file)
		return false;
	/*
	 * mremap() moves a VMA with its old offset, and such a VMA never
	 * merges with its neighbours again.  Where the snapshot had memory
	 * at its own offset, a moved VMA is replaced by a fresh mapping.
	 */
	if (!vma->vm_file)
		return v->pgoff != v->start >> PAGE_SHIFT ||
		       vma->vm_pgoff == vma->vm_start >> PAGE_SHIFT;
	/* The same file, at the same offset for the same address. */
	return file_inode(vma->vm_file) == file_inode(v->file) &&
	       vma->vm_pgoff - (vma->vm_start >> PAGE_SHIFT) ==
	       v->pgoff - (v->start >> PAGE_SHIFT);
}

enum op_kind { OP_NONE, OP_UNMAP, OP_MAP };

/* One difference between the mappings now and the snapshot's. */
struct vma_op {
	enum op_kind kind;
	unsigned long start, end;
	const struct ckpt_vma_cap *v;
};

/* A range of @vma that the snapshot does not have as it is now. */
static bool find_unmap(const struct ckpt_ctx *ctx, struct vm_area_struct *vma,
		       struct vma_op *op)
{
	unsigned long pos = vma->vm_start;
	const struct ckpt_vma_cap *v;
	unsigned int i;

	for (i = ckpt_vma_after(ctx, pos); i < ctx->nr_vmas; i++) {
		v = &ctx->vmas[i];
		if (v->start >= vma->vm_end)
			break;
		if (v->start > pos) {
			op->end = v->start;
			goto found;
		}
		/* Device memory is left as it is, like shared memory. */
		if (v->kind == CKPT_VMA_KEEP && same_mapping(vma, v)) {
			pos = v->end;
			if (pos >= vma->vm_end)
				return false;
			continue;
		}
		if (cap_special(v) || !same_mapping(vma, v)) {
			op->end = min(v->end, vma->vm_end);
			goto found;
		}
		pos = v->end;
		if (pos >= vma->vm_end)
			return false;
	}
	op->end = vma->vm_end;
found:
	op->kind = OP_UNMAP;
	op->start = pos;
	return true;
}

/* A range of snapshot VMA @v with no mapping now. */
static bool find_map(struct mm_struct *mm, const struct ckpt_vma_cap *v,
		     struct vma_op *op)
{
	VMA_ITERATOR(vmi, mm, v->start);
	unsigned long pos = v->start;
	struct vm_area_struct *vma;

	for_each_vma_range(vmi, vma, v->end) {
		if (vma->vm_start > pos)
			break;
		pos = vma->vm_end;
	}
	if (pos >= v->end)
		return false;
	op->kind = OP_MAP;
	op->start = pos;
	op->end = vma && vma->vm_start < v->end ? vma->vm_start : v->end;
	op->v = v;
	return true;
}

/* The first difference, or OP_NONE; AFL's excluded ranges are left alone. */
static void find_op(const struct ckpt_ctx *ctx, const struct ckpt_mmsnap *ms,
		    struct mm_struct *mm, struct vma_op *op)
{
	VMA_ITERATOR(vmi, mm, 0);
	const struct ckpt_vma_cap *v;
	struct vm_area_struct *vma;
	unsigned int i;

	mmap_assert_locked(mm);
	op->kind = OP_NONE;
	for_each_vma(vmi, vma) {
		if (vma_special(vma) ||
		    ckpt_snap_excluded(ms, vma->vm_start, vma->vm_end))
			continue;
		if (find_unmap(ctx, vma, op))
			return;
	}
	for (i = 0; i < ctx->nr_vmas; i++) {
		v = &ctx->vmas[i];
		if (!cap_special(v) && !ckpt_snap_excluded(ms, v->start, v->end) &&
		    find_map(mm, v, op))
			return;
	}
}

/* REWIND: one difference at a time, each removed, until none is left. */
static int rewind_vmas(struct ckpt_ctx *ctx, const struct ckpt_mem_src *src)
{
	struct ckpt_snap *s = src->snap;
	struct mm_struct *mm = current->mm;
	struct vma_op op;
	unsigned int n;
	int ret;

	/* Each step removes a difference; more than this is a loop. */
	for (n = 0; n < 4 * (ctx->nr_vmas + 64); n++) {
		ret = mmap_read_lock_killable(mm);
		if (ret)
			return ret;
		find_op(ctx, s->ms, mm, &op);
		mmap_read_unlock(mm);
		if (op.kind == OP_NONE)
			return 0;
		if (op.kind == OP_UNMAP) {
			ret = vm_munmap(op.start, op.end - op.start);
			if (ret)
				return ckpt_err(ctx, ret, "cannot unmap %#lx-%#lx",
						op.start, op.end);
			src->st->vmas_unmapped++;
			continue;
		}
		ret = map_range(ctx, op.v, op.start, op.end);
		if (ret)
			return ret;
		src->st->vmas_restored++;
		/* Its held pages are no longer mapped: write them back. */
		spin_lock(&ckpt_snap_watch(s)->lock);
		ckpt_snap_mark(s, op.start, op.end);
		spin_unlock(&ckpt_snap_watch(s)->lock);
	}
	return ckpt_err(ctx, -ELOOP, "the mappings keep changing during rollback");
}

/*
 * The mm fields.  Both modes put back the same ones; the executable only a
 * restore, as a rollback's process never changed it (PR_SET_MM_EXE_FILE
 * aside, which the snapshot does not track).
 */
static void apply_fields(struct ckpt_ctx *ctx)
{
	const struct ckpt_rec_mm *r = ctx->mm_rec;
	struct mm_struct *mm = current->mm;

	mmap_write_lock(mm);
	mm->start_code = r->start_code;
	mm->end_code = r->end_code;
	mm->start_data = r->start_data;
	mm->end_data = r->end_data;
	mm->start_brk = r->start_brk;
	mm->brk = r->brk;
	mm->start_stack = r->start_stack;
	spin_lock(&mm->arg_lock);
	mm->arg_start = r->arg_start;
	mm->arg_end = r->arg_end;
	mm->env_start = r->env_start;
	mm->env_end = r->env_end;
	spin_unlock(&mm->arg_lock);
	memcpy(mm->saved_auxv, r->auxv, sizeof(mm->saved_auxv));
	mmap_write_unlock(mm);
}

/* set_mm_exe_file() is not exported: the same steps, open-coded. */
static int set_exe(struct ckpt_ctx *ctx)
{
	struct mm_struct *mm = current->mm;
	struct file *old;
	int ret;

	if (!ctx->exe)
		return 0;
	ret = exe_file_deny_write_access(ctx->exe);
	if (ret)
		return ret;
	old = rcu_replace_pointer(mm->exe_file, get_file(ctx->exe), true);
	if (old) {
		exe_file_allow_write_access(old);
		fput(old);
	}
	return 0;
}

int ckpt_mm_apply(struct ckpt_ctx *ctx, const struct ckpt_mem_src *src,
		  enum ckpt_apply_mode mode)
{
	int ret;

	ret = mode == CKPT_REBUILD ? rebuild_vmas(ctx) : rewind_vmas(ctx, src);
	if (!ret)
		ret = ckpt_pages_apply(ctx, src, mode);
	if (ret)
		return ret;
	apply_fields(ctx);
	return mode == CKPT_REBUILD ? set_exe(ctx) : 0;
}
