// SPDX-License-Identifier: GPL-2.0
/*
 * Restore's page fill (pass 2 of readin.c): each byte of page data read
 * once, from the image straight into the pages of the new address space,
 * and the image's CRC32C checked on the bytes where they landed, before
 * the process runs.
 *
 * The data is cut into units of at most FILL_UNIT_PAGES pages of one run.
 * A unit's pages come from get_user_pages_remote(FOLL_WRITE | FOLL_FORCE),
 * as ptrace pokes reach them (COW broken, read-only mappings work, THP
 * where the mapping gets it), and are read into through a bvec iov_iter,
 * one call per FILL_PAGES.  Shared anonymous memory is written through
 * its object instead (it may be mapped read-only), through a buffer.
 *
 * Large images are filled by the caller and up to fill_threads - 1 work
 * items on system_unbound_wq, which take private units in turn from one
 * counter.  Each unit has its own CRC; they are combined in stream order
 * (ckpt_crc32c_combine()), so the order the units finish in does not
 * matter.  The workers touch only the mm (referenced by the caller, who
 * waits for them), the image file and the pages: shared anonymous units,
 * whose shmem pages would be charged to a worker's memory cgroup, and any
 * message, are the caller's.
 */
#include <linux/bvec.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/xacct.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "crc32c.h"
#include "readin.h"

/* Pages per GUP and read: 256 KiB. */
#define FILL_PAGES		64
/* Pages per unit, the share taken at once: 4 MiB. */
#define FILL_UNIT_PAGES		1024
/* By default, helpers only for images with this much page data. */
#define FILL_PAR_MIN		(32ULL << 20)
#define FILL_THREADS_MAX	16

static unsigned int fill_threads;
module_param(fill_threads, uint, 0644);
MODULE_PARM_DESC(fill_threads,
		 "Threads filling a restore's memory, the caller included (0: one per CPU, at most 4, for 32 MiB of pages or more)");

struct fill_unit {
	u64 off;		/* stream offset of its data */
	u64 addr;
	u32 npages;
	u32 vma;		/* index in ctx->vmas */
	u32 crc;		/* of its stream bytes, the run's record first */
	u32 head;		/* record bytes before the data (first unit) */
	int err;
};

struct fill {
	struct ckpt_ctx *ctx;
	struct ckpt_image *img;
	struct mm_struct *mm;
	struct fill_unit *units;
	unsigned int nr_units;
	atomic_t next;		/* the next private unit to take */
	atomic_t nr_done;	/* units filled */
	atomic64_t file_bytes;	/* read from the file, not yet counted */
	bool abort;		/* an error or a fatal signal: stop */
};

/* One thread's buffers. */
struct filler {
	struct fill *f;
	struct work_struct work;
	struct completion done;
	void *buf;		/* shared anonymous memory only */
	struct page *pages[FILL_PAGES];
	struct bio_vec bv[FILL_PAGES];
};

static long fill_private(struct filler *fl, struct fill_unit *u,
			 unsigned long addr, unsigned long nr, u64 off)
{
	struct fill *f = fl->f;
	struct iov_iter it;
	u64 got_file = 0;
	long got, i;
	void *p;
	int ret;

	ret = mmap_read_lock_killable(f->mm);
	if (ret)
		return ret;
	got = ckpt_gup(f->mm, addr, min_t(unsigned long, nr, FILL_PAGES),
		       FOLL_WRITE | FOLL_FORCE, fl->pages);
	mmap_read_unlock(f->mm);
	if (got <= 0)
		return got ? got : -EFAULT;
	for (i = 0; i < got; i++) {
		fl->bv[i].bv_page = fl->pages[i];
		fl->bv[i].bv_len = PAGE_SIZE;
		fl->bv[i].bv_offset = 0;
	}
	iov_iter_bvec(&it, ITER_DEST, fl->bv, got, got << PAGE_SHIFT);
	ret = ckpt_image_read_at(f->img, &it, off, &got_file);
	atomic64_add(got_file, &f->file_bytes);
	for (i = 0; i < got; i++) {
		if (!ret) {
			flush_dcache_page(fl->pages[i]);
			p = kmap_local_page(fl->pages[i]);
			u->crc = ckpt_crc32c(u->crc, p, PAGE_SIZE);
			kunmap_local(p);
		}
		put_page(fl->pages[i]);
	}
	return ret ? ret : got;
}

static long fill_shared(struct filler *fl, struct fill_unit *u,
			const struct ckpt_vma_cap *v, unsigned long addr,
			unsigned long nr, u64 off)
{
	size_t len = min_t(unsigned long, nr, CKPT_READ_BUF >> PAGE_SHIFT)
		     << PAGE_SHIFT;
	struct kvec kv = { .iov_len = len };
	struct iov_iter it;
	u64 got_file = 0;
	loff_t pos;
	int ret;

	if (!fl->buf) {
		fl->buf = vmalloc(CKPT_READ_BUF);
		if (!fl->buf)
			return -ENOMEM;
	}
	kv.iov_base = fl->buf;
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, len);
	ret = ckpt_image_read_at(fl->f->img, &it, off, &got_file);
	atomic64_add(got_file, &fl->f->file_bytes);
	if (ret)
		return ret;
	u->crc = ckpt_crc32c(u->crc, fl->buf, len);
	pos = (loff_t)(v->pgoff + ((addr - v->start) >> PAGE_SHIFT))
	      << PAGE_SHIFT;
	if (kernel_write(v->file, fl->buf, len, &pos) != len)
		return -EFAULT;
	return len >> PAGE_SHIFT;
}

static int fill_unit(struct filler *fl, struct fill_unit *u)
{
	const struct ckpt_vma_cap *v = &fl->f->ctx->vmas[u->vma];
	unsigned long addr = u->addr, left = u->npages;
	u64 off = u->off;
	long done;

	while (left) {
		if (READ_ONCE(fl->f->abort))
			return -EINTR;
		done = v->kind == CKPT_VMA_ANON_SHARED ?
		       fill_shared(fl, u, v, addr, left, off) :
		       fill_private(fl, u, addr, left, off);
		if (done < 0) {
			u->addr = addr;		/* where, for the message */
			return done;
		}
		addr += done << PAGE_SHIFT;
		off += done << PAGE_SHIFT;
		left -= done;
	}
	return 0;
}

/* Takes private units until none is left; shared ones are the caller's. */
static void fill_private_units(struct filler *fl)
{
	struct fill *f = fl->f;
	struct fill_unit *u;
	unsigned int i;

	while (!READ_ONCE(f->abort)) {
		i = atomic_inc_return(&f->next) - 1;
		if (i >= f->nr_units)
			break;
		u = &f->units[i];
		if (f->ctx->vmas[u->vma].kind == CKPT_VMA_ANON_SHARED)
			continue;
		u->err = fill_unit(fl, u);
		if (u->err)
			WRITE_ONCE(f->abort, true);
		else
			atomic_inc(&f->nr_done);
	}
}

static void fill_work(struct work_struct *w)
{
	struct filler *fl = container_of(w, struct filler, work);

	fill_private_units(fl);
	complete(&fl->done);
}

/* Counts what the helpers read, for the caller's rchar (the progress). */
static void count_reads(struct fill *f)
{
	u64 n = atomic64_xchg(&f->file_bytes, 0);

	f->img->bytes_read += n;
	add_rchar(current, n);
}

/* The units of every run, in stream order; a run's record heads its first. */
static int make_units(struct fill *f)
{
	struct ckpt_image *img = f->img;
	const struct ckpt_rec_pages *r;
	unsigned int i, n = 0, vi;
	u64 off = img->data_offset, p, left;

	for (i = 0; i < img->nr_runs; i++)
		n += DIV_ROUND_UP(img->runs[i].npages, FILL_UNIT_PAGES);
	f->units = kvcalloc(n, sizeof(*f->units), GFP_KERNEL);
	if (!f->units)
		return -ENOMEM;
	for (i = 0; i < img->nr_runs; i++) {
		r = &img->runs[i];
		vi = ckpt_vma_after(f->ctx, r->vaddr);
		if (vi == f->ctx->nr_vmas || f->ctx->vmas[vi].start > r->vaddr)
			return ckpt_err(f->ctx, -EINVAL,
					"page run %#llx: no mapping",
					(unsigned long long)r->vaddr);
		off += sizeof(*r);
		for (p = 0; p < r->npages; p += left) {
			struct fill_unit *u = &f->units[f->nr_units++];

			left = min_t(u64, r->npages - p, FILL_UNIT_PAGES);
			u->off = off + (p << PAGE_SHIFT);
			u->addr = r->vaddr + (p << PAGE_SHIFT);
			u->npages = left;
			u->vma = vi;
			/* The record is stream bytes too, before its data. */
			if (!p) {
				u->crc = ckpt_crc32c(0, r, sizeof(*r));
				u->head = sizeof(*r);
			}
		}
		off += r->npages << PAGE_SHIFT;
	}
	return 0;
}

/* fill_threads, or by default one per CPU (4 at most) for large images. */
static unsigned int nr_threads(const struct fill *f)
{
	unsigned int n = READ_ONCE(fill_threads);

	if (!f->img->file->f_op->read_iter)
		return 1;
	if (!n && f->img->chk.nr_pages << PAGE_SHIFT < FILL_PAR_MIN)
		return 1;
	if (!n)
		n = min(num_online_cpus(), 4U);
	return clamp(n, 1U, min_t(unsigned int, FILL_THREADS_MAX, f->nr_units));
}

/* 0 only if every unit was filled; else the first real error, in words. */
static int first_error(struct fill *f)
{
	struct fill_unit *u;
	unsigned int i;

	if (atomic_read(&f->nr_done) == f->nr_units)
		return 0;
	for (i = 0; i < f->nr_units; i++) {
		u = &f->units[i];
		if (!u->err || u->err == -EINTR)
			continue;
		if (u->err == -EIO)
			return ckpt_err(f->ctx, -EIO,
					"bad image: it ends before the data at %#llx (changed during restore?)",
					(unsigned long long)u->addr);
		return ckpt_err(f->ctx, u->err, "cannot write the pages at %#llx",
				(unsigned long long)u->addr);
	}
	/* Stopped by a fatal signal, or by a unit that was: no words. */
	return -EINTR;
}

int ckpt_pages_fill(struct ckpt_ctx *ctx, struct ckpt_image *img)
{
	struct fill f = { .ctx = ctx, .img = img, .mm = current->mm };
	struct filler *fl;
	unsigned int i, n, ticks;
	u32 crc;
	int ret;

	if (!img->nr_runs)
		return 0;
	ret = make_units(&f);
	if (ret)
		goto out;
	n = nr_threads(&f);
	fl = kvcalloc(n, sizeof(*fl), GFP_KERNEL);
	if (!fl) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		fl[i].f = &f;
		init_completion(&fl[i].done);
	}
	for (i = 1; i < n; i++) {
		INIT_WORK(&fl[i].work, fill_work);
		queue_work(system_unbound_wq, &fl[i].work);
	}
	/* The caller's share: every shared unit, then private ones. */
	for (i = 0; i < f.nr_units && !f.abort; i++) {
		if (ctx->vmas[f.units[i].vma].kind != CKPT_VMA_ANON_SHARED)
			continue;
		f.units[i].err = fill_unit(&fl[0], &f.units[i]);
		if (f.units[i].err)
			WRITE_ONCE(f.abort, true);
		else
			atomic_inc(&f.nr_done);
	}
	fill_private_units(&fl[0]);
	count_reads(&f);
	for (i = 1, ticks = 0; i < n; i++) {
		while (!wait_for_completion_timeout(&fl[i].done, HZ / 10)) {
			count_reads(&f);
			if (fatal_signal_pending(current))
				WRITE_ONCE(f.abort, true);
			/* Helpers never take this long: say so, for the log. */
			if (++ticks == 600)
				pr_warn("ckpt: pid %d: the page fill waits for helper %u after 60 s (%d of %u units filled)\n",
					task_pid_nr(current), i,
					atomic_read(&f.nr_done), f.nr_units);
		}
	}
	count_reads(&f);
	for (i = 0; i < n; i++)
		vfree(fl[i].buf);
	kvfree(fl);
	ret = first_error(&f);
	if (ret)
		goto out;
	/* The stream's CRC: the metadata's, then each unit's, in order. */
	crc = img->meta_crc;
	for (i = 0; i < f.nr_units; i++)
		crc = ckpt_crc32c_combine(crc, f.units[i].crc,
					  f.units[i].head +
					  ((u64)f.units[i].npages << PAGE_SHIFT));
	if (crc != img->chk.trailer_crc)
		ret = ckpt_err(ctx, -EBADMSG,
			       "bad image: its data's CRC32C is 0x%08x, the trailer says 0x%08x",
			       crc, img->chk.trailer_crc);
out:
	kvfree(f.units);
	return ret;
}
