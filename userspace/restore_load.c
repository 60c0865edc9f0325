// SPDX-License-Identifier: GPL-2.0
/*
 * The tool's view of an image for restore: read whole and checked by the
 * module's own validator (img_reader), the records it acts on copied out.
 * A bad image is refused here, before any process is made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image_read.h"
#include "restore.h"
#include "tool.h"

static void *dup_mem(const void *src, size_t len)
{
	void *p = malloc(len ? len : 1);

	if (p && len)
		memcpy(p, src, len);
	return p;
}

static void *grow(void *arr, size_t n, size_t elem)
{
	/* Doubling at powers of two. */
	if (n & (n - 1))
		return arr;
	return realloc(arr, (n ? 2 * n : 1) * elem);
}

static int keep_vma(struct plan *p, const struct ckpt_rec_vma *v)
{
	struct plan_vma *n = grow(p->vmas, p->nr_vmas, sizeof(*n));

	if (!n)
		return -1;
	p->vmas = n;
	n[p->nr_vmas].start = v->start;
	n[p->nr_vmas].end = v->end;
	n[p->nr_vmas].kind = v->kind;
	p->nr_vmas++;
	return 0;
}

static int keep_file(struct plan *p, const struct ckpt_rec_file *f)
{
	struct plan_file *n = grow(p->files, p->nr_files, sizeof(*n));
	struct plan_file *pf;

	if (!n)
		return -1;
	p->files = n;
	pf = &n[p->nr_files];
	memset(pf, 0, sizeof(*pf));
	memcpy(&pf->rec, f, sizeof(pf->rec));
	if (f->path_len && !(pf->path = dup_mem(f->data, f->path_len)))
		return -1;
	if (f->data_len && !(pf->data = dup_mem(f->data + f->path_len,
						  f->data_len)))
		return -1;
	p->nr_files++;
	return 0;
}

static int keep_fd(struct plan *p, const struct ckpt_rec_fd *d)
{
	struct ckpt_rec_fd *n = grow(p->fds, p->nr_fds, sizeof(*n));

	if (!n)
		return -1;
	p->fds = n;
	n[p->nr_fds++] = *d;
	return 0;
}

static int keep(struct plan *p, const struct ckpt_hdr *h)
{
	const struct ckpt_rec_fs *fs;
	const struct ckpt_rec_xstate *xs;

	switch (h->type) {
	case CKPT_REC_HEADER:
		memcpy(&p->hdr, h, sizeof(p->hdr));
		break;
	case CKPT_REC_TASK:
		memcpy(&p->task, h, sizeof(p->task));
		break;
	case CKPT_REC_FS:
		fs = (const void *)h;
		p->cwd = dup_mem(fs->paths, fs->cwd_len);
		p->root = dup_mem(fs->paths + fs->cwd_len, fs->root_len);
		return p->cwd && p->root ? 0 : -1;
	case CKPT_REC_CPU:
		memcpy(&p->cpu, h, sizeof(p->cpu));
		break;
	case CKPT_REC_XSTATE:
		xs = (const void *)h;
		p->xstate_size = xs->size;
		p->xcr0 = xs->xcr0;
		p->xstate = dup_mem(xs->data, xs->size);
		return p->xstate ? 0 : -1;
	case CKPT_REC_SIGHAND:
		memcpy(&p->sighand, h, sizeof(p->sighand));
		break;
	case CKPT_REC_SIGNAL:
		memcpy(&p->signal, h, sizeof(p->signal));
		break;
	case CKPT_REC_MM:
		memcpy(&p->mm, h, sizeof(p->mm));
		break;
	case CKPT_REC_VMA:
		return keep_vma(p, (const void *)h);
	case CKPT_REC_FILE:
		return keep_file(p, (const void *)h);
	case CKPT_REC_FD:
		return keep_fd(p, (const void *)h);
	case CKPT_REC_PAGES:
		p->nr_pages += ((const struct ckpt_rec_pages *)h)->npages;
		break;
	}
	return 0;
}

int plan_load(int fd, struct plan *p)
{
	const struct ckpt_hdr *h;
	struct img_reader r;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = img_reader_open_fd(&r, fd, NULL);
	while (!ret && (ret = img_reader_next(&r, &h)) > 0) {
		ret = 0;
		if (keep(p, h)) {
			errmsg("restore: out of memory");
			ret = -ENOMEM;
		}
	}
	if (ret < 0 && ret != -ENOMEM)
		errmsg("restore: bad image: %s", img_reader_error(&r)[0] ?
		       img_reader_error(&r) : strerror(-ret));
	img_reader_close(&r);
	if (ret)
		plan_free(p);
	return ret ? -1 : 0;
}

void plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->nr_files; i++) {
		free(p->files[i].path);
		free(p->files[i].data);
	}
	free(p->files);
	free(p->fds);
	free(p->vmas);
	free(p->xstate);
	free(p->cwd);
	free(p->root);
	memset(p, 0, sizeof(*p));
}
