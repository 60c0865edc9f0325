// SPDX-License-Identifier: GPL-2.0
/*
 * The tool's view of an image for restore: read whole and checked by the
 * module's own validator (img_reader), the records it acts on found by the
 * shared record index (format/index.h) and copied out.
 * A bad image is refused here, before any process is made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>

#include "image_read.h"
#include "index.h"
#include "restore.h"
#include "tool.h"

static void *dup_mem(const void *src, size_t len)
{
	void *p = malloc(len ? len : 1);

	if (p && len)
		memcpy(p, src, len);
	return p;
}

/*
 * What the tool acts on: all but the queued signals (the kernel applies
 * them) and the runs (only counted: the validator does that).
 */
#define PLAN_TYPES	(CKPT_IDX_SINGLETONS | CKPT_IDX(CKPT_REC_VMA) | \
			 CKPT_IDX(CKPT_REC_FILE) | CKPT_IDX(CKPT_REC_FD) | \
			 CKPT_IDX(CKPT_REC_THREAD) | CKPT_IDX(CKPT_REC_TIMER) | \
			 CKPT_IDX(CKPT_REC_SECCOMP))

static int copy_fs(struct plan *p, const struct ckpt_rec_fs *fs)
{
	p->cwd = dup_mem(fs->paths, fs->cwd_len);
	p->root = dup_mem(fs->paths + fs->cwd_len, fs->root_len);
	return p->cwd && p->root ? 0 : -1;
}

static int copy_xstate(struct plan *p, const struct ckpt_rec_xstate *xs)
{
	p->xstate_size = xs->size;
	p->xcr0 = xs->xcr0;
	p->xstate = dup_mem(xs->data, xs->size);
	return p->xstate ? 0 : -1;
}

static int copy_vmas(struct plan *p, const struct ckpt_index *idx)
{
	unsigned int i;

	p->vmas = calloc(idx->nr_vmas ? idx->nr_vmas : 1, sizeof(*p->vmas));
	if (!p->vmas)
		return -1;
	for (i = 0; i < idx->nr_vmas; i++) {
		p->vmas[i].start = idx->vmas[i]->start;
		p->vmas[i].end = idx->vmas[i]->end;
		p->vmas[i].kind = idx->vmas[i]->kind;
	}
	p->nr_vmas = idx->nr_vmas;
	return 0;
}

static int copy_files(struct plan *p, const struct ckpt_index *idx)
{
	const struct ckpt_rec_file *f;
	struct plan_file *pf;
	unsigned int i;

	p->files = calloc(idx->nr_files ? idx->nr_files : 1, sizeof(*p->files));
	if (!p->files)
		return -1;
	for (i = 0; i < idx->nr_files; i++) {
		f = idx->files[i];
		/* Counted first: plan_free() frees what is copied so far. */
		pf = &p->files[p->nr_files++];
		memcpy(&pf->rec, f, sizeof(pf->rec));
		if (f->path_len && !(pf->path = dup_mem(f->data, f->path_len)))
			return -1;
		if (f->data_len && !(pf->data = dup_mem(f->data + f->path_len,
							  f->data_len)))
			return -1;
	}
	return 0;
}

static int copy_fds(struct plan *p, const struct ckpt_index *idx)
{
	unsigned int i;

	p->fds = calloc(idx->nr_fds ? idx->nr_fds : 1, sizeof(*p->fds));
	if (!p->fds)
		return -1;
	for (i = 0; i < idx->nr_fds; i++)
		p->fds[i] = *idx->fds[i];
	p->nr_fds = idx->nr_fds;
	return 0;
}

/* The threads to make: every THREAD record but the leader's (the first). */
static int copy_threads(struct plan *p, const struct ckpt_index *idx)
{
	unsigned int i;

	if (!idx->nr_threads)
		return 0;
	p->nnp_per_thread = idx->threads[0]->flags & CKPT_THREAD_NNP_SAID;
	if (idx->nr_threads == 1)
		return 0;
	p->threads = calloc(idx->nr_threads - 1, sizeof(*p->threads));
	if (!p->threads)
		return -1;
	for (i = 1; i < idx->nr_threads; i++) {
		p->threads[i - 1].tid = idx->threads[i]->tid;
		memcpy(p->threads[i - 1].comm, idx->threads[i]->comm,
		       sizeof(p->threads[i - 1].comm));
	}
	p->nr_threads = idx->nr_threads - 1;
	return 0;
}

static int copy_timers(struct plan *p, const struct ckpt_index *idx)
{
	unsigned int i;

	if (!idx->nr_timers)
		return 0;
	p->timers = calloc(idx->nr_timers, sizeof(*p->timers));
	if (!p->timers)
		return -1;
	for (i = 0; i < idx->nr_timers; i++)
		p->timers[i] = *idx->timers[i];
	p->nr_timers = idx->nr_timers;
	return 0;
}

/* The thread of image tid @tid, or NULL (the leader too). */
static struct plan_thread *find_thread(struct plan *p, int32_t tid)
{
	size_t lo = 0, hi = p->nr_threads, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->threads[mid].tid == tid)
			return &p->threads[mid];
		if (p->threads[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Its filters, ready for seccomp(2), from the plan's copy of @r. */
static int own_filters(struct plan_seccomp *s, const struct ckpt_rec_seccomp *r)
{
	const struct ckpt_seccomp_filter *f;
	const unsigned char *q;
	uint32_t i;

	/* First: plan_free() frees the rest of a record it finds. */
	s->rec = dup_mem(r, r->h.len);
	if (!s->rec)
		return -1;
	s->progs = calloc(r->nr_filters, sizeof(*s->progs));
	s->flags = calloc(r->nr_filters, sizeof(*s->flags));
	if (!s->progs || !s->flags)
		return -1;
	/* The validator proved each filter whole, in the record. */
	q = (const unsigned char *)s->rec + sizeof(*r);
	for (i = 0; i < r->nr_filters; i++) {
		f = (const void *)q;
		s->progs[i].len = f->len;
		s->progs[i].filter = (struct sock_filter *)f->insns;
		s->flags[i] = f->flags & CKPT_SECCOMP_LOG ?
			      SECCOMP_FILTER_FLAG_LOG : 0;
		q += sizeof(*f) + f->len * sizeof(f->insns[0]);
	}
	return 0;
}

/*
 * Each SECCOMP record onto its thread.  What the validator cannot see
 * alone, as it holds no list of threads, is checked here: the tid is one
 * of the image's threads, and a same_as names an earlier record with
 * filters of its own, as many.
 */
static int copy_seccomp(struct plan *p, const struct ckpt_index *idx)
{
	const struct ckpt_rec_seccomp *r;
	struct plan_seccomp *s, *o;
	struct plan_thread *t;
	unsigned int i, j;

	if (!idx->nr_seccomp)
		return 0;
	p->seccomp = calloc(idx->nr_seccomp, sizeof(*p->seccomp));
	if (!p->seccomp) {
		errmsg("restore: out of memory");
		return -1;
	}
	for (i = 0; i < idx->nr_seccomp; i++) {
		r = idx->seccomp[i];
		s = &p->seccomp[p->nr_seccomp++];
		s->tid = r->tid;
		s->mode = r->mode;
		s->nr = r->nr_filters;
		t = find_thread(p, r->tid);
		if (!t && r->tid != p->task.tid) {
			errmsg("restore: bad image: seccomp filters for thread %u, which the image does not have",
			       r->tid);
			return -1;
		}
		if (t)
			t->seccomp = s;
		else
			p->leader_seccomp = s;
		if (r->mode == CKPT_SECCOMP_STRICT)
			continue;
		if (!r->same_as) {
			if (own_filters(s, r)) {
				errmsg("restore: out of memory");
				return -1;
			}
			continue;
		}
		for (j = 0, o = NULL; j < i && !o; j++)
			if (p->seccomp[j].tid == (int32_t)r->same_as &&
			    p->seccomp[j].rec)
				o = &p->seccomp[j];
		if (!o || o->nr != s->nr) {
			errmsg("restore: bad image: thread %u has the seccomp filters of thread %u, which has no %u filters of its own before it",
			       r->tid, r->same_as, s->nr);
			return -1;
		}
		s->progs = o->progs;
		s->flags = o->flags;
	}
	return 0;
}

/* The plan's own copies of what the index found: it outlives the reader. */
static int copy_plan(struct plan *p, const struct ckpt_index *idx)
{
	if (idx->hdr)
		memcpy(&p->hdr, idx->hdr, sizeof(p->hdr));
	if (idx->task)
		memcpy(&p->task, idx->task, sizeof(p->task));
	if (idx->cpu)
		memcpy(&p->cpu, idx->cpu, sizeof(p->cpu));
	if (idx->sighand)
		memcpy(&p->sighand, idx->sighand, sizeof(p->sighand));
	if (idx->signal)
		memcpy(&p->signal, idx->signal, sizeof(p->signal));
	if (idx->mm)
		memcpy(&p->mm, idx->mm, sizeof(p->mm));
	if (idx->fs && copy_fs(p, idx->fs))
		return -1;
	if (idx->xstate && copy_xstate(p, idx->xstate))
		return -1;
	if (copy_vmas(p, idx) || copy_files(p, idx) || copy_fds(p, idx) ||
	    copy_threads(p, idx) || copy_timers(p, idx))
		return -1;
	return 0;
}

unsigned int plan_first_fd(const struct plan *p, const struct plan_file *f)
{
	size_t k;

	for (k = 0; k < p->nr_fds; k++)
		if (p->fds[k].file_id == f->rec.id)
			return p->fds[k].fd;
	return 0;
}

/*
 * The metadata of the image on @fd (a seekable file), checked; its page
 * data is seeked over, unread: the kernel reads it once, into place, and
 * checks the CRC there (module/readin.c), before the process runs.
 */
int plan_load(int fd, struct plan *p)
{
	const struct img_reader_opts opts = { .flags = IMG_READ_SKIP_DATA };
	const struct ckpt_hdr *h;
	struct ckpt_index idx;
	struct img_reader r;
	int ret;

	memset(p, 0, sizeof(*p));
	/* The reader reuses its buffer: the index keeps copies. */
	ckpt_index_init(&idx, PLAN_TYPES, CKPT_IDX_COPY);
	ret = img_reader_open_fd(&r, fd, &opts);
	while (!ret && (ret = img_reader_next(&r, &h)) > 0) {
		ret = 0;
		if (h->type == CKPT_REC_PAGES && !p->data_offset)
			p->data_offset = img_reader_offset(&r);
		if (ckpt_index_add(&idx, h, img_reader_offset(&r))) {
			errmsg("restore: out of memory");
			ret = -ENOMEM;
		}
	}
	if (ret < 0 && ret != -ENOMEM)
		errmsg("restore: bad image: %s", img_reader_error(&r)[0] ?
		       img_reader_error(&r) : strerror(-ret));
	if (!ret) {
		p->nr_pages = r.chk.nr_pages;
		if (copy_plan(p, &idx)) {
			errmsg("restore: out of memory");
			ret = -ENOMEM;
		} else if (copy_seccomp(p, &idx)) {
			ret = -EINVAL;
		}
	}
	img_reader_close(&r);
	ckpt_index_free(&idx);
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
	free(p->threads);
	free(p->timers);
	for (i = 0; i < p->nr_seccomp; i++) {
		if (!p->seccomp[i].rec)
			continue;
		free(p->seccomp[i].rec);
		free(p->seccomp[i].progs);
		free(p->seccomp[i].flags);
	}
	free(p->seccomp);
	free(p->vmas);
	free(p->xstate);
	free(p->cwd);
	free(p->root);
	memset(p, 0, sizeof(*p));
}
