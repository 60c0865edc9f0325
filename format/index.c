// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt_index: the records of an image or snapshot by type.  See index.h.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#endif

#include "index.h"

#ifdef __KERNEL__
#define idx_alloc(n, size)	kvmalloc_array(n, size, GFP_KERNEL)
#define idx_free(p)		kvfree(p)
#else
static void *idx_alloc(size_t n, size_t size)
{
	return n > SIZE_MAX / size ? NULL : malloc(n * size);
}

#define idx_free(p)		free(p)
#endif

/* A record copied (CKPT_IDX_COPY), aligned as the record was. */
struct ckpt_index_copy {
	struct ckpt_index_copy *next;
	u64 data[];
};

void ckpt_index_init(struct ckpt_index *idx, u32 types, u32 flags)
{
	memset(idx, 0, sizeof(*idx));
	idx->idx_types = types;
	idx->idx_flags = flags;
}

static u32 type_bit(u32 type)
{
	if (type == CKPT_REC_PAGES)
		return 1U;
	return type && type < 32 ? 1U << type : 0;
}

static void *alloc(struct ckpt_index *idx, size_t n, size_t size)
{
	if (idx->fail_alloc && --idx->fail_alloc == 0)
		return NULL;
	return idx_alloc(n, size);
}

/* Room for @need elements of @elem bytes in *@arr: ckpt_grow()'s rule. */
static int grow(struct ckpt_index *idx, void **arr, unsigned long *cap,
		unsigned long need, size_t elem)
{
	unsigned long ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = max(max(need, *cap * 2), 64UL);
	n = alloc(idx, ncap, elem);
	if (!n)
		return -ENOMEM;
	if (*cap)
		memcpy(n, *arr, *cap * elem);
	idx_free(*arr);
	*arr = n;
	*cap = ncap;
	return 0;
}

static int push(struct ckpt_index *idx, const void ***arr, unsigned int *nr,
		unsigned long *cap, const void *rec)
{
	int ret = grow(idx, (void **)arr, cap, *nr + 1UL, sizeof(**arr));

	if (!ret)
		(*arr)[(*nr)++] = rec;
	return ret;
}

static int add_run(struct ckpt_index *idx, const struct ckpt_rec_pages *p,
		   u64 off)
{
	int ret = grow(idx, (void **)&idx->runs, &idx->cap_runs,
		       idx->nr_runs + 1UL, sizeof(*idx->runs));

	if (!ret && (idx->idx_flags & CKPT_IDX_RUN_DATA))
		ret = grow(idx, (void **)&idx->run_data, &idx->cap_run_data,
			   idx->nr_runs + 1UL, sizeof(*idx->run_data));
	if (ret)
		return ret;
	if (idx->idx_flags & CKPT_IDX_RUN_DATA)
		idx->run_data[idx->nr_runs] = off + p->h.len;
	idx->runs[idx->nr_runs++] = *p;
	idx->nr_pages += p->npages;
	return 0;
}

static const void *copy(struct ckpt_index *idx, const struct ckpt_hdr *h)
{
	struct ckpt_index_copy *c;

	c = alloc(idx, 1, sizeof(*c) + h->len);
	if (!c)
		return NULL;
	memcpy(c->data, h, h->len);
	c->next = idx->copies;
	idx->copies = c;
	return c->data;
}

/* The first singleton counts: an image has one (the validator says so). */
static void set_one(const void **slot, const void *rec)
{
	if (!*slot)
		*slot = rec;
}

int ckpt_index_add(struct ckpt_index *idx, const struct ckpt_hdr *h, u64 off)
{
	const void *rec = h;

	if (!(idx->idx_types & type_bit(h->type)))
		return 0;
	if (h->type == CKPT_REC_PAGES)
		return add_run(idx, (const void *)h, off);
	if (idx->idx_flags & CKPT_IDX_COPY) {
		rec = copy(idx, h);
		if (!rec)
			return -ENOMEM;
	}
	switch (h->type) {
	case CKPT_REC_HEADER:
		set_one((const void **)&idx->hdr, rec);
		break;
	case CKPT_REC_TASK:
		set_one((const void **)&idx->task, rec);
		break;
	case CKPT_REC_FS:
		set_one((const void **)&idx->fs, rec);
		break;
	case CKPT_REC_CPU:
		set_one((const void **)&idx->cpu, rec);
		break;
	case CKPT_REC_XSTATE:
		set_one((const void **)&idx->xstate, rec);
		break;
	case CKPT_REC_SIGHAND:
		set_one((const void **)&idx->sighand, rec);
		break;
	case CKPT_REC_SIGNAL:
		set_one((const void **)&idx->signal, rec);
		break;
	case CKPT_REC_MM:
		set_one((const void **)&idx->mm, rec);
		break;
	case CKPT_REC_SIGPENDING:
		return push(idx, (const void ***)&idx->sigs, &idx->nr_sigs,
			    &idx->cap_sigs, rec);
	case CKPT_REC_THREAD:
		return push(idx, (const void ***)&idx->threads,
			    &idx->nr_threads, &idx->cap_threads, rec);
	case CKPT_REC_TIMER:
		return push(idx, (const void ***)&idx->timers,
			    &idx->nr_timers, &idx->cap_timers, rec);
	case CKPT_REC_SECCOMP:
		return push(idx, (const void ***)&idx->seccomp,
			    &idx->nr_seccomp, &idx->cap_seccomp, rec);
	case CKPT_REC_VMA:
		return push(idx, (const void ***)&idx->vmas, &idx->nr_vmas,
			    &idx->cap_vmas, rec);
	case CKPT_REC_FILE:
		return push(idx, (const void ***)&idx->files, &idx->nr_files,
			    &idx->cap_files, rec);
	case CKPT_REC_FD:
		return push(idx, (const void ***)&idx->fds, &idx->nr_fds,
			    &idx->cap_fds, rec);
	case CKPT_REC_CHANGED:
		return push(idx, (const void ***)&idx->changed,
			    &idx->nr_changed, &idx->cap_changed, rec);
	}
	return 0;
}

int ckpt_index_scan(struct ckpt_index *idx, const struct hbuf *hb)
{
	const struct hbuf_chunk *c;
	const struct ckpt_hdr *h;
	u64 stream = 0;
	size_t off;
	int ret;

	for (c = hb->head; c; c = c->next) {
		for (off = 0; off + sizeof(*h) <= c->used; off += h->len) {
			h = (const struct ckpt_hdr *)(c->data + off);
			/* A length of 0 would never move on. */
			if (!h->len)
				break;
			ret = ckpt_index_add(idx, h, stream + off);
			if (ret)
				return ret;
		}
		stream += c->used;
	}
	return 0;
}

void ckpt_index_free(struct ckpt_index *idx)
{
	struct ckpt_index_copy *c, *next;

	for (c = idx->copies; c; c = next) {
		next = c->next;
		idx_free(c);
	}
	idx_free(idx->sigs);
	idx_free(idx->threads);
	idx_free(idx->timers);
	idx_free(idx->seccomp);
	idx_free(idx->vmas);
	idx_free(idx->files);
	idx_free(idx->fds);
	idx_free(idx->changed);
	idx_free(idx->runs);
	idx_free(idx->run_data);
	ckpt_index_init(idx, 0, 0);
}
