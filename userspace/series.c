// SPDX-License-Identifier: GPL-2.0
/*
 * The image directory of periodic checkpoints: DIR/NNNNNN.img and the
 * symlink DIR/latest.
 *
 * An image is written under a hidden temporary name, synced, and only
 * then renamed to its number; latest is replaced by rename() of a new
 * symlink.  A crash at any moment leaves latest at a complete image (and
 * perhaps a stray .part file).  --keep rewrites the oldest kept image as
 * a full one under the same id (its child finds it by id), and only after
 * that is durable removes the older ones.  The merge runs beside the
 * captures, one at a time; while one runs the series may hold more than
 * --keep images, and the end of the run waits for it and merges down to
 * exactly --keep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "periodic.h"
#include "tool.h"

/*
 * NNNNNN.img, exactly six digits: its number, or 0.  The one rule, for
 * the series and for chain_find.c's search for a parent.
 */
unsigned long image_number(const char *name)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < 6; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		n = n * 10 + (name[i] - '0');
	}
	return strcmp(name + 6, ".img") ? 0 : n;
}

void image_name(char *buf, size_t len, unsigned long n)
{
	snprintf(buf, len, "%06lu.img", n);
}

int series_open(struct series *s, const char *dir)
{
	unsigned long n, max = 0;
	struct dirent *e;
	DIR *d;

	memset(s, 0, sizeof(*s));
	s->dir = dir;
	s->part_fd = -1;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		errmsg("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		errmsg("cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	/* Images of an earlier run stay; this run's numbers follow them. */
	d = fdopendir(dup(s->dirfd));
	if (!d) {
		errmsg("cannot read %s: %s", dir, strerror(errno));
		close(s->dirfd);
		return -1;
	}
	while ((e = readdir(d)))
		if ((n = image_number(e->d_name)) > max)
			max = n;
	closedir(d);
	if (max >= 999999) {
		errmsg("%s already holds image 999999: use another directory", dir);
		close(s->dirfd);
		return -1;
	}
	s->seq = max;
	s->first = max + 1;
	return 0;
}

int series_begin(struct series *s)
{
	snprintf(s->part, sizeof(s->part), ".%06lu.img.part", s->seq + 1);
	s->part_fd = openat(s->dirfd, s->part,
			    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s->part_fd < 0) {
		errmsg("cannot create %s/%s: %s", s->dir, s->part, strerror(errno));
		return -1;
	}
	return 0;
}

void series_abort(struct series *s)
{
	if (s->part_fd < 0)
		return;
	close(s->part_fd);
	s->part_fd = -1;
	unlinkat(s->dirfd, s->part, 0);
}

static int sync_dir(struct series *s)
{
	if (fsync(s->dirfd)) {
		errmsg("cannot sync %s: %s", s->dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int point_latest(struct series *s, const char *name)
{
	unlinkat(s->dirfd, ".latest.tmp", 0);
	if (symlinkat(name, s->dirfd, ".latest.tmp") ||
	    renameat(s->dirfd, ".latest.tmp", s->dirfd, "latest")) {
		errmsg("cannot point %s/latest at %s: %s", s->dir, name,
		       strerror(errno));
		return -1;
	}
	return sync_dir(s);
}

int series_commit(struct series *s)
{
	char name[16];
	int ret;

	image_name(name, sizeof(name), s->seq + 1);
	ret = fsync(s->part_fd);
	if (ret)
		errmsg("cannot sync %s/%s: %s", s->dir, s->part, strerror(errno));
	if (!ret && renameat(s->dirfd, s->part, s->dirfd, name)) {
		errmsg("cannot name %s/%s: %s", s->dir, name, strerror(errno));
		ret = -1;
	}
	if (ret) {
		series_abort(s);
		return -1;
	}
	close(s->part_fd);
	s->part_fd = -1;
	if (sync_dir(s) || point_latest(s, name))
		return -1;
	s->seq++;
	return 0;
}

/* Rewrites image @k as a full image: the merge of its chain. */
static int merge_into(struct series *s, unsigned long k)
{
	char name[16], path[PATH_MAX];
	int fd, ret;

	image_name(name, sizeof(name), k);
	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	fd = openat(s->dirfd, ".keep.part",
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		errmsg("--keep: cannot create %s/.keep.part: %s", s->dir,
		       strerror(errno));
		return -1;
	}
	ret = chain_merge(path, fd);
	if (!ret && fsync(fd)) {
		errmsg("--keep: cannot sync %s/.keep.part: %s", s->dir,
		       strerror(errno));
		ret = -1;
	}
	close(fd);
	if (!ret && renameat(s->dirfd, ".keep.part", s->dirfd, name)) {
		errmsg("--keep: cannot replace %s: %s", path, strerror(errno));
		ret = -1;
	}
	if (ret) {
		unlinkat(s->dirfd, ".keep.part", 0);
		return -1;
	}
	return sync_dir(s);
}

/* Removes the images older than @k, which is full now. */
static int drop_older(struct series *s, unsigned long k)
{
	unsigned long i;
	char name[16];

	for (i = s->first; i < k; i++) {
		image_name(name, sizeof(name), i);
		if (unlinkat(s->dirfd, name, 0) && errno != ENOENT) {
			errmsg("--keep: cannot remove %s/%s: %s", s->dir, name,
			       strerror(errno));
			return -1;
		}
	}
	return sync_dir(s);
}

/* Leaves image @k full and nothing older: the whole of one --keep step. */
static int merge_down(struct series *s, unsigned long k)
{
	return merge_into(s, k) || drop_older(s, k) ? -1 : 0;
}

/*
 * The merge thread.  It reads and writes only images older than the
 * newest (the captures write the next one, under another name) and
 * reads s->first, dirfd and dir, which nobody changes while it runs.
 */
static void *merger(void *arg)
{
	struct series *s = arg;

	/* The captures and the process come first on a busy machine. */
	setpriority(PRIO_PROCESS, gettid(), 10);
	s->merge_ret = merge_down(s, s->merge_k);
	atomic_store(&s->merged, true);
	return NULL;
}

static int merge_join(struct series *s)
{
	if (!s->merging)
		return 0;
	pthread_join(s->merger, NULL);
	s->merging = false;
	if (s->merge_ret)
		return -1;
	s->first = s->merge_k;
	return 0;
}

static bool too_many(const struct series *s, unsigned int keep)
{
	return keep && s->seq >= s->first && s->seq - s->first + 1 > keep;
}

int series_keep(struct series *s, unsigned int keep)
{
	int err;

	if (s->merging) {
		/* Still merging: the next checkpoint looks again. */
		if (!atomic_load(&s->merged))
			return 0;
		if (merge_join(s))
			return -1;
	}
	if (!too_many(s, keep))
		return 0;
	s->merge_k = s->seq - keep + 1;
	s->merge_ret = 0;
	atomic_store(&s->merged, false);
	err = pthread_create(&s->merger, NULL, merger, s);
	if (err) {
		errmsg("--keep: cannot start the merge: %s", strerror(err));
		return -1;
	}
	s->merging = true;
	return 0;
}

int series_finish(struct series *s, unsigned int keep)
{
	if (merge_join(s))
		return -1;
	if (!too_many(s, keep))
		return 0;
	s->merge_k = s->seq - keep + 1;
	if (merge_down(s, s->merge_k))
		return -1;
	s->first = s->merge_k;
	return 0;
}

void series_close(struct series *s)
{
	merge_join(s);
	series_abort(s);
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
}
