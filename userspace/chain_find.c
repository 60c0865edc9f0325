// SPDX-License-Identifier: GPL-2.0
/*
 * chain: finds the chain of an incremental image, its parents up to a
 * full image, each read and validated whole (see chain.h); chain_merge.c
 * merges it.  Also what the tool asks of one image: its path for a
 * directory (latest), whether it is incremental.
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

#include "chain_int.h"
#include "index.h"
#include "periodic.h"
#include "search.h"
#include "tool.h"

void chain_say(const struct chain *ch, const char *fmt, ...)
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

void chain_no_memory(const struct chain *ch, const char *what)
{
	chain_say(ch, "%s: out of memory", what);
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
int chain_img_fd(struct chain *ch, size_t i)
{
	struct img *im = &ch->imgs[i];
	struct stat st;
	int fd;

	if (im->fd >= 0)
		return im->fd;
	fd = open(im->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		chain_say(ch, "cannot open %s again: %s", im->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !same_file(&st, &im->st)) {
		chain_say(ch, "%s changed while its chain was read: try again",
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

/*
 * What the merge needs of image @i: its header, CHANGED ranges and runs,
 * and of the newest also its VMAs.
 */
static u32 index_types(size_t i)
{
	return CKPT_IDX(CKPT_REC_HEADER) | CKPT_IDX(CKPT_REC_CHANGED) |
	       CKPT_IDX(CKPT_REC_PAGES) | (i ? 0 : CKPT_IDX(CKPT_REC_VMA));
}

/* Record @h of image @i, just validated, into @idx. */
static int keep(struct chain *ch, size_t i, struct ckpt_index *idx,
		const struct img_reader *r, const struct ckpt_hdr *h)
{
	if (!i && !ch->meta_end && (h->type == CKPT_REC_CHANGED ||
				    h->type == CKPT_REC_PAGES ||
				    h->type == CKPT_REC_TRAILER)) {
		ch->meta_end = img_reader_offset(r);
		ch->meta_records = img_reader_index(r);
	}
	return ckpt_index_add(idx, h, img_reader_offset(r));
}

/* The merge's compact view of image @i, from its whole, valid index. */
static int adopt(struct chain *ch, size_t i, const struct ckpt_index *idx)
{
	const struct ckpt_rec_header *hd = idx->hdr;
	const struct ckpt_rec_changed *c;
	struct img *im = &ch->imgs[i];
	unsigned int k;
	u64 j;

	im->id = hd->image_id;
	im->parent = hd->parent_id;
	im->incremental = hd->flags & CKPT_IMG_INCREMENTAL;
	if (!i) {
		ch->hdr = *hd;
		ch->page_shift = (unsigned int)__builtin_ctz(hd->page_size);
	}
	for (k = 0; k < idx->nr_vmas; k++)
		if (holds_pages(idx->vmas[k]->kind) &&
		    add_range(&ch->vmas, &ch->nr_vmas, idx->vmas[k]->start,
			      idx->vmas[k]->end))
			return -1;
	for (k = 0; k < idx->nr_changed; k++) {
		c = idx->changed[k];
		for (j = 0; j < c->nr; j++)
			if (add_range(&im->ranges, &im->nr_ranges,
				      c->range[j].start, c->range[j].end))
				return -1;
	}
	im->runs = calloc(idx->nr_runs ? idx->nr_runs : 1, sizeof(*im->runs));
	if (!im->runs)
		return -1;
	for (k = 0; k < idx->nr_runs; k++) {
		im->runs[k].vaddr = idx->runs[k].vaddr;
		im->runs[k].npages = idx->runs[k].npages;
		im->runs[k].off = idx->run_data[k];
	}
	im->nr_runs = idx->nr_runs;
	return 0;
}

/* Reads image @i whole with the validator; @child names it in messages. */
static int load(struct chain *ch, size_t i, const char *child)
{
	struct img *im = &ch->imgs[i];
	const struct ckpt_hdr *h;
	struct ckpt_index idx;
	struct img_reader r;
	int fd, ret;

	fd = open(im->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		chain_say(ch, "cannot open %s: %s", im->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &im->st) || !S_ISREG(im->st.st_mode)) {
		chain_say(ch, "%s is not a regular file", im->path);
		close(fd);
		return -1;
	}
	keep_open(ch, i, fd);
	/* The reader reuses its buffer: the index keeps copies. */
	ckpt_index_init(&idx, index_types(i), CKPT_IDX_COPY | CKPT_IDX_RUN_DATA);
	ret = img_reader_open_fd(&r, fd, NULL);
	while (!ret && (ret = img_reader_next(&r, &h)) > 0) {
		ret = keep(ch, i, &idx, &r, h);
		if (ret) {
			chain_no_memory(ch, im->path);
			ret = -ENOMEM;
		}
	}
	if (!ret && adopt(ch, i, &idx)) {
		chain_no_memory(ch, im->path);
		ret = -ENOMEM;
	}
	ckpt_index_free(&idx);
	if (ret < 0 && ret != -ENOMEM) {
		if (child)
			chain_say(ch, "%s (parent of %s): %s", im->path, child,
			    img_reader_error(&r));
		else
			chain_say(ch, "%s: %s", im->path, img_reader_error(&r));
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
		chain_say(ch, "cannot read the directory %s: %s", ch->dir,
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
	chain_no_memory(ch, ch->dir);
	return -1;
}

/* The file name of the image with id @id in the directory, or NULL. */
struct id_key {
	const struct chain *ch;
	u64 id;
};

static bool id_below(const void *arg, unsigned long i)
{
	const struct id_key *k = arg;

	return k->ch->ents[i].id < k->id;
}

static const char *find_id(const struct chain *ch, u64 id)
{
	struct id_key k = { .ch = ch, .id = id };
	/* the first entry with that id: the names are sorted within it */
	unsigned long lo = ckpt_lower_bound(ch->nr_ents, id_below, &k);

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
		image_name(prev, sizeof(prev), num - 1);
		path = join(ch->dir, prev);
		if (!path) {
			chain_no_memory(ch, c->path);
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
			chain_no_memory(ch, c->path);
		return path;
	}
	chain_say(ch, "%s: its parent 0x%llx is not in %s%s", c->name,
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

int chain_build(struct chain *ch, const char *img_path)
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
		chain_no_memory(ch, img_path);
		return -1;
	}
	if (add_img(ch, path)) {
		chain_no_memory(ch, img_path);
		return -1;
	}
	if (load(ch, 0, NULL))
		return -1;
	if (id_add(ch, ch->imgs[0].id) < 0) {
		chain_no_memory(ch, img_path);
		return -1;
	}
	while (ch->imgs[ch->n - 1].incremental) {
		c = &ch->imgs[ch->n - 1];
		if (ch->n >= CHAIN_MAX) {
			chain_say(ch, "%s: its chain of parents is longer than %u images",
			    ch->imgs[0].path, CHAIN_MAX);
			return -1;
		}
		if (id_add(ch, c->parent) == 0) {
			chain_say(ch, "%s: its parent 0x%llx is already in its chain: the parents make a loop",
			    c->name, (unsigned long long)c->parent);
			return -1;
		}
		path = find_parent(ch, c);
		if (!path)
			return -1;
		if (add_img(ch, path)) {
			chain_no_memory(ch, img_path);
			return -1;
		}
		c = &ch->imgs[ch->n - 2];
		p = &ch->imgs[ch->n - 1];
		if (load(ch, ch->n - 1, c->name))
			return -1;
		if (p->id != c->parent) {
			chain_say(ch, "%s changed while its chain was read (it is 0x%llx now, not 0x%llx): try again",
			    p->path, (unsigned long long)p->id,
			    (unsigned long long)c->parent);
			return -1;
		}
	}
	return 0;
}

void chain_free(struct chain *ch)
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
