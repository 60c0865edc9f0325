// SPDX-License-Identifier: GPL-2.0
/*
 * chain: finds, validates and merges the chain of an incremental image.
 * See chain.h.
 *
 * The merge is a sweep over sorted interval lists, so its cost grows with
 * the runs, ranges and VMAs, never with the size of the address space:
 *  - every CHANGED range of every incremental image gives two events
 *    (image j starts / stops standing for those addresses); between two
 *    event addresses the owner is the newest image standing for them (the
 *    smallest active index, from a heap), else the full image at the end;
 *  - each owner segment is cut by the newest image's VMAs that hold pages
 *    and filled from the owner's runs (a cursor per image: the segments
 *    come in address order); where the owner has no page, there is none;
 *  - the pieces, in address order, become PAGES runs (contiguous pieces
 *    in one VMA make one run), their data copied with pread() through a
 *    1 MiB buffer, so no more than that is held at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "crc32c.h"
#include "image_read.h"
#include "tool.h"

#define BUF_SIZE	(1U << 20)
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
static void *grow(void *arr, size_t n, size_t elem)
{
	if (n & (n - 1))
		return arr;
	return reallocarray(arr, n ? 2 * n : 1, elem);
}

/* errmsg(), after "who: " when the caller gave one. */
static __attribute__((format(printf, 2, 3)))
void say(const struct chain *ch, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (ch->who)
		errmsg("%s: %s", ch->who, buf);
	else
		errmsg("%s", buf);
}

static void no_memory(const struct chain *ch, const char *what)
{
	say(ch, "%s: out of memory", what);
}

static char *join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p;

	if (!strcmp(dir, "."))
		return strdup(name);
	p = malloc(dl + nl + 2);
	if (p)
		sprintf(p, "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", name);
	return p;
}

/* NNNNNN.img (6 digits or more): its number, else 0. */
static unsigned long image_number(const char *name)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; name[i] >= '0' && name[i] <= '9'; i++) {
		if (n > (ULONG_MAX - 9) / 10)
			return 0;
		n = n * 10 + (unsigned long)(name[i] - '0');
	}
	return i >= 6 && !strcmp(name + i, ".img") ? n : 0;
}

/* The header at the start of @fd, if it looks like an image's. */
static bool peek_fd(int fd, struct ckpt_rec_header *h)
{
	return pread(fd, h, sizeof(*h), 0) == (ssize_t)sizeof(*h) &&
	       h->h.type == CKPT_REC_HEADER && h->h.len == sizeof(*h) &&
	       !memcmp(h->magic, CKPT_IMAGE_MAGIC, sizeof(h->magic)) &&
	       h->image_id;
}

/*
 * The image id of the regular file @path, 0 if it is not an image; then
 * *@err is the errno of open(), or 0.  O_NONBLOCK: a FIFO named like an
 * image must not hang the lookup.
 */
static u64 peek_path(const char *path, int *err)
{
	struct ckpt_rec_header h;
	struct stat st;
	bool ok;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	*err = fd < 0 ? errno : 0;
	if (fd < 0)
		return 0;
	ok = !fstat(fd, &st) && S_ISREG(st.st_mode) && peek_fd(fd, &h);
	close(fd);
	return ok ? h.image_id : 0;
}

bool chain_fd_is_incremental(int fd)
{
	struct ckpt_rec_header h;

	return peek_fd(fd, &h) && (h.flags & CKPT_IMG_INCREMENTAL);
}

int chain_is_incremental(const char *img_path, int *incremental)
{
	int fd = open(img_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		errmsg("cannot open %s: %s", img_path, strerror(errno));
		return -1;
	}
	*incremental = chain_fd_is_incremental(fd);
	close(fd);
	return 0;
}

int chain_path(const char *path, char *out, size_t len)
{
	char link[PATH_MAX + 8], target[PATH_MAX];
	size_t dl = strlen(path);
	struct stat st;
	ssize_t n;
	int w;

	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		w = snprintf(out, len, "%s", path);
		goto done;
	}
	/* DIR/latest; "dir/" is "dir" in what we print, "/" stays "/" */
	while (dl > 1 && path[dl - 1] == '/')
		dl--;
	if (dl >= PATH_MAX) {
		errmsg("%s: the path is too long", path);
		return -1;
	}
	memcpy(link, path, dl);
	strcpy(link + dl, path[dl - 1] == '/' ? "latest" : "/latest");
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0 && errno == ENOENT) {
		errmsg("%.*s has no latest image", (int)dl, path);
		return -1;
	}
	if (n < 0 && errno == EINVAL) {
		/* latest is a file, not a symlink: it is the image */
		w = snprintf(out, len, "%s", link);
		goto done;
	}
	if (n < 0) {
		errmsg("cannot read %s: %s", link, strerror(errno));
		return -1;
	}
	target[n] = 0;
	/* a relative target is relative to DIR: replace "latest" by it */
	if (target[0] == '/')
		w = snprintf(out, len, "%s", target);
	else
		w = snprintf(out, len, "%.*s%s", (int)(strlen(link) - 6), link,
			     target);
	if (w >= 0 && (size_t)w < len && stat(out, &st)) {
		errmsg("%s points to %s, which cannot be opened: %s", link,
		       target, strerror(errno));
		return -1;
	}
done:
	if (w < 0 || (size_t)w >= len) {
		errmsg("%s: the path is too long", path);
		return -1;
	}
	return 0;
}

/* Open files. */

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* @fd is image @i's; beyond OPEN_FDS, the oldest one open is closed. */
static void keep_open(struct chain *ch, size_t i, int fd)
{
	size_t slot;

	if (ch->nr_open < OPEN_FDS) {
		slot = ch->nr_open++;
	} else {
		slot = ch->next_close;
		ch->next_close = (slot + 1) % OPEN_FDS;
		close(ch->imgs[ch->ring[slot]].fd);
		ch->imgs[ch->ring[slot]].fd = -1;
	}
	ch->ring[slot] = i;
	ch->imgs[i].fd = fd;
}

/* Image @i's fd; a reopened file must be the one validated. */
static int img_fd(struct chain *ch, size_t i)
{
	struct img *im = &ch->imgs[i];
	struct stat st;
	int fd;

	if (im->fd >= 0)
		return im->fd;
	fd = open(im->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say(ch, "cannot open %s again: %s", im->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !same_file(&st, &im->st)) {
		say(ch, "%s changed while its chain was read: try again",
		    im->path);
		close(fd);
		return -1;
	}
	keep_open(ch, i, fd);
	return fd;
}

/* Reading and validating each image. */

static bool holds_pages(u32 kind)
{
	return kind == CKPT_VMA_ANON || kind == CKPT_VMA_FILE_PRIVATE ||
	       kind == CKPT_VMA_ANON_SHARED;
}

static int add_range(struct ckpt_range **arr, size_t *n, u64 start, u64 end)
{
	struct ckpt_range *p = grow(*arr, *n, sizeof(*p));

	if (!p)
		return -1;
	*arr = p;
	p[*n].start = start;
	p[*n].end = end;
	(*n)++;
	return 0;
}

/* What the merge needs of record @h of image @i. */
static int keep(struct chain *ch, size_t i, const struct img_reader *r,
		const struct ckpt_hdr *h)
{
	const struct ckpt_rec_header *hd = (const void *)h;
	const struct ckpt_rec_changed *c = (const void *)h;
	const struct ckpt_rec_pages *p = (const void *)h;
	const struct ckpt_rec_vma *v = (const void *)h;
	struct img *im = &ch->imgs[i];
	struct run *run;
	u64 k;

	if (!i && !ch->meta_end && (h->type == CKPT_REC_CHANGED ||
				    h->type == CKPT_REC_PAGES ||
				    h->type == CKPT_REC_TRAILER)) {
		ch->meta_end = img_reader_offset(r);
		ch->meta_records = img_reader_index(r);
	}
	switch (h->type) {
	case CKPT_REC_HEADER:
		im->id = hd->image_id;
		im->parent = hd->parent_id;
		im->incremental = hd->flags & CKPT_IMG_INCREMENTAL;
		if (!i) {
			ch->hdr = *hd;
			ch->page_shift = (unsigned int)__builtin_ctz(hd->page_size);
		}
		break;
	case CKPT_REC_VMA:
		if (!i && holds_pages(v->kind))
			return add_range(&ch->vmas, &ch->nr_vmas, v->start,
					 v->end);
		break;
	case CKPT_REC_CHANGED:
		for (k = 0; k < c->nr; k++)
			if (add_range(&im->ranges, &im->nr_ranges,
				      c->range[k].start, c->range[k].end))
				return -1;
		break;
	case CKPT_REC_PAGES:
		run = grow(im->runs, im->nr_runs, sizeof(*run));
		if (!run)
			return -1;
		im->runs = run;
		run[im->nr_runs].vaddr = p->vaddr;
		run[im->nr_runs].npages = p->npages;
		run[im->nr_runs].off = img_reader_offset(r) + h->len;
		im->nr_runs++;
		break;
	}
	return 0;
}

/* Reads image @i whole with the validator; @child names it in messages. */
static int load(struct chain *ch, size_t i, const char *child)
{
	struct img *im = &ch->imgs[i];
	const struct ckpt_hdr *h;
	struct img_reader r;
	int fd, ret;

	fd = open(im->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		say(ch, "cannot open %s: %s", im->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &im->st) || !S_ISREG(im->st.st_mode)) {
		say(ch, "%s is not a regular file", im->path);
		close(fd);
		return -1;
	}
	keep_open(ch, i, fd);
	ret = img_reader_open_fd(&r, fd, NULL);
	while (!ret && (ret = img_reader_next(&r, &h)) > 0) {
		ret = keep(ch, i, &r, h);
		if (ret) {
			no_memory(ch, im->path);
			ret = -ENOMEM;
		}
	}
	if (ret < 0 && ret != -ENOMEM) {
		if (child)
			say(ch, "%s (parent of %s): %s", im->path, child,
			    img_reader_error(&r));
		else
			say(ch, "%s: %s", im->path, img_reader_error(&r));
	}
	img_reader_close(&r);
	return ret ? -1 : 0;
}

/* Finding the parents. */

/* Adds @id to the ids of the chain: 1, or 0 if it is there, -1 no memory. */
static int id_add(struct chain *ch, u64 id)
{
	size_t i, j, mask;
	u64 *old = ch->ids;

	if (2 * ch->n >= ch->ids_cap) {
		size_t cap = ch->ids_cap ? 2 * ch->ids_cap : 64;
		u64 *n = calloc(cap, sizeof(*n));

		if (!n)
			return -1;
		for (i = 0; i < ch->ids_cap; i++) {
			if (!old[i])
				continue;
			for (j = (old[i] * 0x9e3779b97f4a7c15ULL) & (cap - 1);
			     n[j]; j = (j + 1) & (cap - 1))
				;
			n[j] = old[i];
		}
		free(old);
		ch->ids = n;
		ch->ids_cap = cap;
	}
	mask = ch->ids_cap - 1;
	/* ids are never 0 (the validator says so): 0 is an empty slot */
	for (j = (id * 0x9e3779b97f4a7c15ULL) & mask; ch->ids[j];
	     j = (j + 1) & mask)
		if (ch->ids[j] == id)
			return 0;
	ch->ids[j] = id;
	return 1;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct dir_ent *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The ids of every *.img of the directory; what is not an image is left out. */
static int scan_dir(struct chain *ch)
{
	struct dir_ent *e;
	struct dirent *d;
	size_t len;
	char *path;
	DIR *dir;
	int err;
	u64 id;

	ch->scanned = true;
	dir = opendir(ch->dir);
	if (!dir) {
		say(ch, "cannot read the directory %s: %s", ch->dir,
		    strerror(errno));
		return -1;
	}
	while ((d = readdir(dir))) {
		len = strlen(d->d_name);
		/* hidden: a temporary file being written */
		if (d->d_name[0] == '.' || len < 5 ||
		    strcmp(d->d_name + len - 4, ".img"))
			continue;
		path = join(ch->dir, d->d_name);
		id = path ? peek_path(path, &err) : 0;
		free(path);
		if (!path)
			goto nomem;
		if (!id)
			continue;
		e = grow(ch->ents, ch->nr_ents, sizeof(*e));
		if (!e)
			goto nomem;
		ch->ents = e;
		e[ch->nr_ents].id = id;
		e[ch->nr_ents].name = strdup(d->d_name);
		if (!e[ch->nr_ents].name)
			goto nomem;
		ch->nr_ents++;
	}
	closedir(dir);
	if (ch->nr_ents)
		qsort(ch->ents, ch->nr_ents, sizeof(*ch->ents), cmp_ent);
	return 0;
nomem:
	closedir(dir);
	no_memory(ch, ch->dir);
	return -1;
}

/* The file name of the image with id @id in the directory, or NULL. */
static const char *find_id(const struct chain *ch, u64 id)
{
	size_t lo = 0, hi = ch->nr_ents, mid;

	/* the first entry with that id: the names are sorted within it */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ch->ents[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ch->nr_ents && ch->ents[lo].id == id ?
	       ch->ents[lo].name : NULL;
}

/* The path of the parent of image @c: NNNNNN - 1 first, else by id. */
static char *find_parent(struct chain *ch, const struct img *c)
{
	unsigned long num = image_number(c->name);
	char prev[32], hint[96] = "";
	const char *name;
	char *path;
	int err;
	u64 id;

	if (num > 1) {
		snprintf(prev, sizeof(prev), "%06lu.img", num - 1);
		path = join(ch->dir, prev);
		if (!path) {
			no_memory(ch, c->path);
			return NULL;
		}
		id = peek_path(path, &err);
		if (id == c->parent)
			return path;
		free(path);
		if (err == ENOENT)
			snprintf(hint, sizeof(hint), " (there is no %s)", prev);
		else if (err)
			snprintf(hint, sizeof(hint), " (%s cannot be opened: %s)",
				 prev, strerror(err));
		else if (!id)
			snprintf(hint, sizeof(hint), " (%s is not an image)", prev);
		else
			snprintf(hint, sizeof(hint), " (%s is 0x%llx)", prev,
				 (unsigned long long)id);
	}
	if (!ch->scanned && scan_dir(ch))
		return NULL;
	name = find_id(ch, c->parent);
	if (name) {
		path = join(ch->dir, name);
		if (!path)
			no_memory(ch, c->path);
		return path;
	}
	say(ch, "%s: its parent 0x%llx is not in %s%s", c->name,
	    (unsigned long long)c->parent,
	    strcmp(ch->dir, ".") ? ch->dir : "the current directory", hint);
	return NULL;
}

static int add_img(struct chain *ch, char *path)
{
	struct img *im = grow(ch->imgs, ch->n, sizeof(*im));
	const char *slash = strrchr(path, '/');

	if (!im) {
		free(path);
		return -1;
	}
	ch->imgs = im;
	im = &ch->imgs[ch->n++];
	memset(im, 0, sizeof(*im));
	im->path = path;
	im->name = slash ? slash + 1 : path;
	im->fd = -1;
	return 0;
}

/* Reads @img_path and its parents, up to a full image, all validated. */
static int build(struct chain *ch, const char *img_path)
{
	const char *slash = strrchr(img_path, '/');
	struct img *c, *p;
	char *path;

	if (!slash)
		ch->dir = strdup(".");
	else if (slash == img_path)
		ch->dir = strdup("/");
	else
		ch->dir = strndup(img_path, (size_t)(slash - img_path));
	path = strdup(img_path);
	if (!ch->dir || !path) {
		free(path);
		no_memory(ch, img_path);
		return -1;
	}
	if (add_img(ch, path)) {
		no_memory(ch, img_path);
		return -1;
	}
	if (load(ch, 0, NULL))
		return -1;
	if (id_add(ch, ch->imgs[0].id) < 0) {
		no_memory(ch, img_path);
		return -1;
	}
	while (ch->imgs[ch->n - 1].incremental) {
		c = &ch->imgs[ch->n - 1];
		if (ch->n >= CHAIN_MAX) {
			say(ch, "%s: its chain of parents is longer than %u images",
			    ch->imgs[0].path, CHAIN_MAX);
			return -1;
		}
		if (id_add(ch, c->parent) == 0) {
			say(ch, "%s: its parent 0x%llx is already in its chain: the parents make a loop",
			    c->name, (unsigned long long)c->parent);
			return -1;
		}
		path = find_parent(ch, c);
		if (!path)
			return -1;
		if (add_img(ch, path)) {
			no_memory(ch, img_path);
			return -1;
		}
		c = &ch->imgs[ch->n - 2];
		p = &ch->imgs[ch->n - 1];
		if (load(ch, ch->n - 1, c->name))
			return -1;
		if (p->id != c->parent) {
			say(ch, "%s changed while its chain was read (it is 0x%llx now, not 0x%llx): try again",
			    p->path, (unsigned long long)p->id,
			    (unsigned long long)c->parent);
			return -1;
		}
	}
	return 0;
}

/* The merge plan: pieces of runs, in address order. */

struct event {
	u64 addr;
	u32 img;
	u32 start;		/* 1: its range starts, 0: it ends */
};

struct piece {
	u64 addr, npages;
	u64 off;		/* in the image file */
	u32 img;
	u32 vma;		/* runs do not cross the newest's VMAs */
};

struct plan {
	struct piece *pieces;
	size_t nr;
	size_t vma;		/* first VMA the next segment may touch */
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* an end before a start: adjacent ranges of one image */
	return (int)x->start - (int)y->start;
}

static u64 run_end(const struct chain *ch, const struct run *r)
{
	return r->vaddr + (r->npages << ch->page_shift);
}

/* Image @o's pages in [@a, @b), inside VMA @v. */
static int fill_vma(struct chain *ch, struct plan *pl, u32 o, u64 a, u64 b,
		    u32 v)
{
	struct img *im = &ch->imgs[o];
	const struct run *r;
	struct piece *pc;
	size_t k;
	u64 s, e;

	while (im->cursor < im->nr_runs &&
	       run_end(ch, &im->runs[im->cursor]) <= a)
		im->cursor++;
	for (k = im->cursor; k < im->nr_runs && im->runs[k].vaddr < b; k++) {
		r = &im->runs[k];
		s = r->vaddr > a ? r->vaddr : a;
		e = run_end(ch, r) < b ? run_end(ch, r) : b;
		pc = grow(pl->pieces, pl->nr, sizeof(*pc));
		if (!pc)
			return -1;
		pl->pieces = pc;
		pc += pl->nr++;
		pc->addr = s;
		pc->npages = (e - s) >> ch->page_shift;
		pc->off = r->off + (s - r->vaddr);
		pc->img = o;
		pc->vma = v;
	}
	return 0;
}

/* Segment [@s, @e) belongs to image @o: its pages inside the VMAs. */
static int fill(struct chain *ch, struct plan *pl, u32 o, u64 s, u64 e)
{
	const struct ckpt_range *v;
	size_t i;

	while (pl->vma < ch->nr_vmas && ch->vmas[pl->vma].end <= s)
		pl->vma++;
	for (i = pl->vma; i < ch->nr_vmas && ch->vmas[i].start < e; i++) {
		v = &ch->vmas[i];
		if (fill_vma(ch, pl, o, v->start > s ? v->start : s,
			     v->end < e ? v->end : e, (u32)i))
			return -1;
	}
	return 0;
}

/* A min-heap of image indices; entries of inactive images are dropped lazily. */
static void heap_push(u32 *h, size_t *n, u32 v)
{
	size_t i = (*n)++, p;

	while (i && h[p = (i - 1) / 2] > v) {
		h[i] = h[p];
		i = p;
	}
	h[i] = v;
}

static void heap_pop(u32 *h, size_t *n)
{
	size_t i = 0, c;
	u32 v = h[--*n];

	for (; (c = 2 * i + 1) < *n; i = c) {
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (v <= h[c])
			break;
		h[i] = h[c];
	}
	h[i] = v;
}

static int plan(struct chain *ch, struct plan *pl)
{
	size_t full = ch->n - 1, nev = 0, e = 0, hn = 0, i, k;
	struct event *ev;
	bool *active;
	u32 *heap, owner;
	u64 pos = 0, next;
	int ret = -1;

	for (i = 0; i < full; i++)
		nev += 2 * ch->imgs[i].nr_ranges;
	ev = malloc((nev + 1) * sizeof(*ev));
	heap = malloc((nev / 2 + 1) * sizeof(*heap));
	active = calloc(ch->n, sizeof(*active));
	if (!ev || !heap || !active)
		goto out;
	for (i = 0, k = 0; i < full; i++) {
		const struct img *im = &ch->imgs[i];
		size_t j;

		for (j = 0; j < im->nr_ranges; j++) {
			ev[k++] = (struct event){ im->ranges[j].start, (u32)i, 1 };
			ev[k++] = (struct event){ im->ranges[j].end, (u32)i, 0 };
		}
	}
	qsort(ev, nev, sizeof(*ev), cmp_event);
	for (;;) {
		next = e < nev ? ev[e].addr : UINT64_MAX;
		if (next > pos) {
			while (hn && !active[heap[0]])
				heap_pop(heap, &hn);
			owner = hn ? heap[0] : (u32)full;
			if (fill(ch, pl, owner, pos, next))
				goto out;
			pos = next;
		}
		if (e == nev)
			break;
		for (; e < nev && ev[e].addr == next; e++) {
			active[ev[e].img] = ev[e].start;
			if (ev[e].start)
				heap_push(heap, &hn, ev[e].img);
		}
	}
	ret = 0;
out:
	free(ev);
	free(heap);
	free(active);
	return ret;
}

/* Writing the merged image. */

struct out {
	const struct chain *ch;
	int fd;
	u8 *buf;
	size_t used;
	u32 crc;		/* of the bytes flushed */
	u64 bytes;
};

static int write_all(const struct out *o, const void *p, size_t len)
{
	const struct chain *ch = o->ch;
	const u8 *b = p;
	ssize_t n;

	while (len) {
		n = write(o->fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			say(ch, "cannot write the merged image: %s",
			    n < 0 ? strerror(errno) : "nothing written");
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int out_flush(struct out *o)
{
	o->crc = ckpt_crc32c(o->crc, o->buf, o->used);
	o->bytes += o->used;
	if (write_all(o, o->buf, o->used))
		return -1;
	o->used = 0;
	return 0;
}

/* A small record (well below BUF_SIZE). */
static int out_put(struct out *o, const void *p, size_t len)
{
	if (o->used + len > BUF_SIZE && out_flush(o))
		return -1;
	memcpy(o->buf + o->used, p, len);
	o->used += len;
	return 0;
}

/* @len bytes of image @i from offset @off, read straight into the buffer. */
static int out_copy(struct out *o, struct chain *ch, size_t i, u64 off,
		    u64 len)
{
	int fd = img_fd(ch, i);
	ssize_t got;
	size_t n;

	if (fd < 0)
		return -1;
	while (len) {
		if (o->used == BUF_SIZE && out_flush(o))
			return -1;
		n = BUF_SIZE - o->used;
		if (n > len)
			n = (size_t)len;
		got = pread(fd, o->buf + o->used, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			say(ch, "%s: reading at offset %llu: %s", ch->imgs[i].path,
			    (unsigned long long)off,
			    got ? strerror(errno) : "the file is shorter than when it was checked");
			return -1;
		}
		o->used += (size_t)got;
		off += (u64)got;
		len -= (u64)got;
	}
	return 0;
}

static int write_image(struct chain *ch, const struct plan *pl, int out_fd)
{
	const struct piece *pc = pl->pieces;
	struct ckpt_rec_header hdr = ch->hdr;
	struct ckpt_rec_trailer t;
	struct ckpt_rec_pages pr;
	struct out o = { .ch = ch, .fd = out_fd };
	size_t i, j, k;
	u64 runs = 0;
	int ret = -1;

	o.buf = malloc(BUF_SIZE);
	if (!o.buf) {
		no_memory(ch, ch->imgs[0].path);
		return -1;
	}
	hdr.flags = 0;
	hdr.parent_id = 0;
	if (out_put(&o, &hdr, sizeof(hdr)) ||
	    out_copy(&o, ch, 0, sizeof(hdr), ch->meta_end - sizeof(hdr)))
		goto out;
	for (i = 0; i < pl->nr; i = j) {
		memset(&pr, 0, sizeof(pr));
		pr.h.type = CKPT_REC_PAGES;
		pr.h.len = sizeof(pr);
		pr.vaddr = pc[i].addr;
		pr.npages = pc[i].npages;
		for (j = i + 1; j < pl->nr && pc[j].vma == pc[i].vma &&
		     pc[j].addr == pr.vaddr + (pr.npages << ch->page_shift); j++)
			pr.npages += pc[j].npages;
		if (out_put(&o, &pr, sizeof(pr)))
			goto out;
		for (k = i; k < j; k++)
			if (out_copy(&o, ch, pc[k].img, pc[k].off,
				     pc[k].npages << ch->page_shift))
				goto out;
		runs++;
	}
	if (out_flush(&o))
		goto out;
	memset(&t, 0, sizeof(t));
	t.h.type = CKPT_REC_TRAILER;
	t.h.len = sizeof(t);
	t.nr_records = ch->meta_records + runs;
	t.nr_bytes = o.bytes;
	t.crc32c = o.crc;
	ret = write_all(&o, &t, sizeof(t));
out:
	free(o.buf);
	return ret;
}

static void chain_free(struct chain *ch)
{
	size_t i;

	for (i = 0; i < ch->n; i++) {
		if (ch->imgs[i].fd >= 0)
			close(ch->imgs[i].fd);
		free(ch->imgs[i].path);
		free(ch->imgs[i].ranges);
		free(ch->imgs[i].runs);
	}
	for (i = 0; i < ch->nr_ents; i++)
		free(ch->ents[i].name);
	free(ch->ents);
	free(ch->imgs);
	free(ch->vmas);
	free(ch->ids);
	free(ch->dir);
}

int chain_merge_as(const char *who, const char *img_path, int out_fd)
{
	struct plan pl = { 0 };
	struct chain ch;
	int ret;

	memset(&ch, 0, sizeof(ch));
	ch.who = who;
	ret = build(&ch, img_path);
	if (!ret) {
		ret = plan(&ch, &pl);
		if (ret)
			no_memory(&ch, img_path);
	}
	if (!ret)
		ret = write_image(&ch, &pl, out_fd);
	free(pl.pieces);
	chain_free(&ch);
	return ret;
}

int chain_merge(const char *img_path, int out_fd)
{
	return chain_merge_as(NULL, img_path, out_fd);
}
