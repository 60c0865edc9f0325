/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chain: what finding a chain (chain_find.c) hands to merging it
 * (chain_merge.c).  Inside the tool only; the interface is chain.h.
 */
#ifndef CKPT_CHAIN_INT_H
#define CKPT_CHAIN_INT_H

#include <stdlib.h>
#include <sys/stat.h>

#include "chain.h"
#include "image_read.h"

/* Image files open at once: a long chain would run out of fds. */
#define OPEN_FDS	64

struct run {
	u64 vaddr, npages;
	u64 off;		/* file offset of its page data */
};

struct img {
	char *path;
	const char *name;	/* the file name, in path */
	u64 id, parent;
	bool incremental;
	int fd;			/* -1 once closed: reopened when needed */
	struct stat st;		/* the file as it was validated */
	struct ckpt_range *ranges;
	size_t nr_ranges;
	struct run *runs;
	size_t nr_runs;
	size_t cursor;		/* merge: first run that may still be used */
};

/* A *.img of the directory by image id, for parents not numbered n - 1. */
struct dir_ent {
	u64 id;
	char *name;
};

struct chain {
	const char *who;	/* messages start "who: ", if set */
	char *dir;
	struct img *imgs;	/* [0] the newest, [n - 1] the full one */
	size_t n;
	/* what the merged image takes from the newest */
	struct ckpt_rec_header hdr;
	u64 meta_end;		/* offset of its first CHANGED, PAGES or TRAILER */
	u64 meta_records;	/* records before that */
	struct ckpt_range *vmas;	/* its VMAs that hold pages */
	size_t nr_vmas;
	unsigned int page_shift;
	/* the ids in the chain (open addressing): a loop meets one again */
	u64 *ids;
	size_t ids_cap;
	/* the directory's images by id, read once, only if needed */
	struct dir_ent *ents;
	size_t nr_ents;
	bool scanned;
	/* open image files, closed in turn beyond OPEN_FDS */
	size_t ring[OPEN_FDS];
	size_t nr_open, next_close;
};

/* Room for element @n: arrays double when @n reaches a power of two. */
static inline void *grow(void *arr, size_t n, size_t elem)
{
	if (n & (n - 1))
		return arr;
	return reallocarray(arr, n ? 2 * n : 1, elem);
}

/* errmsg(), after "who: " when the caller gave one. */

/* errmsg(), after "who: " when the caller gave one. */
void chain_say(const struct chain *ch, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "@what: out of memory" */
void chain_no_memory(const struct chain *ch, const char *what);

/*
 * Reads @img_path and its parents, up to a full image, all validated:
 * ch->imgs[0] the newest, [n - 1] the full one.  ch->who is set by the
 * caller; free with chain_free() whatever it returns.
 */
int chain_build(struct chain *ch, const char *img_path);
/* Image @i's fd, reopened if it was closed: the file validated, or -1. */
int chain_img_fd(struct chain *ch, size_t i);
void chain_free(struct chain *ch);

#endif /* CKPT_CHAIN_INT_H */
