// SPDX-License-Identifier: GPL-2.0
/*
 * The fd table of a snapshot: each fd's open file description is held, so
 * rollback can put back the very same description (shared offset, flags,
 * locks and all) even after the process closed it.
 *
 * Rollback runs in the process's own context: fds that are not the
 * snapshot's are closed, missing ones are installed at their number, and
 * regular files and directories get their offset back, and every fd
 * its close-on-exec.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "fds.h"
#include "snap.h"

int ckpt_snap_files_hold(struct ckpt_snap *s, struct task_struct *t)
{
	struct ckpt_fd *f;
	unsigned int i, top;
	int ret;

	ret = ckpt_fds_collect(s->ctx, t, &s->fds);
	if (ret)
		return ret;
	for (i = 0; i < s->fds.n; i++) {
		f = &s->fds.fds[i];
		f->pos = f->file->f_pos;
	}
	/*
	 * Rollback lists the fds to close here, and the free numbers it
	 * reserves below the top one, without allocating.
	 */
	top = s->fds.n ? s->fds.fds[s->fds.n - 1].fd + 1 : 0;
	return ckpt_grow((void **)&s->scratch, &s->cap_scratch,
			 max3(2U * s->fds.n, top, 64U), sizeof(*s->scratch));
}

void ckpt_snap_files_release(struct ckpt_snap *s)
{
	ckpt_fds_release(&s->fds);
	s->fds.fds = NULL;
	s->fds.n = 0;
	kvfree(s->scratch);
	s->scratch = NULL;
}

/* The snapshot's entry for @fd (they are in fd order), or NULL. */
static const struct ckpt_fd *held_fd(const struct ckpt_snap *s,
				     unsigned int fd)
{
	unsigned int lo = 0, hi = s->fds.n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->fds.fds[mid].fd == fd)
			return &s->fds.fds[mid];
		if (s->fds.fds[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct stale {
	const struct ckpt_snap *s;
	unsigned int n;
	unsigned int from;	/* where the next pass starts */
};

/* iterate_fd() callback, under file_lock: lists fds to close. */
static int find_stale(const void *p, struct file *file, unsigned int fd)
{
	struct stale *st = (struct stale *)p;
	const struct ckpt_fd *h = held_fd(st->s, fd);

	if (h && h->file == file)
		return 0;
	if (st->n == st->s->cap_scratch) {
		st->from = fd;
		return 1;
	}
	st->s->scratch[st->n++] = fd;
	return 0;
}

static int close_stale(struct ckpt_snap *s)
{
	struct stale st = { .s = s };
	unsigned int i;
	int more;

	do {
		st.n = 0;
		more = iterate_fd(current->files, st.from, find_stale, &st);
		for (i = 0; i < st.n; i++)
			close_fd(s->scratch[i]);
	} while (more);
	return 0;
}

/*
 * Puts back the snapshot's fds that are missing now, each at its number.
 * Exported helpers only hand out the lowest free number, so on the way up
 * the free numbers that must stay free are reserved (never installed: a
 * close would drop the process's record locks on the file) and released
 * at the end.  It is our own process (current), with one thread, so
 * nobody sees them.
 */
static int install_missing(struct ckpt_snap *s)
{
	const struct ckpt_fd *f;
	unsigned int nr_tmp = 0, i;
	struct file *now;
	int fd, ret = 0;

	for (i = 0; i < s->fds.n && !ret; i++) {
		f = &s->fds.fds[i];
		now = fget_raw(f->fd);
		if (now) {
			fput(now);
			continue;
		}
		for (;;) {
			fd = get_unused_fd_flags(f->cloexec ? O_CLOEXEC : 0);
			if (fd < 0) {
				ret = ckpt_err(s->ctx, fd, "cannot reopen fd %u",
					       f->fd);
				break;
			}
			if (fd == f->fd) {
				fd_install(fd, get_file(f->file));
				break;
			}
			/* Sized at capture for every number below the top. */
			if (fd > f->fd || nr_tmp == s->cap_scratch) {
				put_unused_fd(fd);
				ret = ckpt_err(s->ctx, -EBUSY,
					       "cannot reopen fd %u: got fd %d",
					       f->fd, fd);
				break;
			}
			s->scratch[nr_tmp++] = fd;
		}
	}
	for (i = 0; i < nr_tmp; i++)
		put_unused_fd(s->scratch[i]);
	return ret;
}

/*
 * set_close_on_exec() is not exported; this is its body, on the fdtable
 * that linux/fdtable.h lays out.  Our own table (current), so the fd
 * cannot change files under us, and file_lock keeps the table in place.
 */
static void set_cloexec(unsigned int fd, bool on)
{
	struct files_struct *files = current->files;
	struct fdtable *fdt;

	spin_lock(&files->file_lock);
	fdt = files_fdtable(files);
	if (fd < fdt->max_fds) {
		if (on)
			__set_bit(fd, fdt->close_on_exec);
		else
			__clear_bit(fd, fdt->close_on_exec);
	}
	spin_unlock(&files->file_lock);
}

int ckpt_snap_files_rewind(struct ckpt_snap *s)
{
	const struct ckpt_fd *f;
	unsigned int i;
	loff_t pos;
	int ret;

	ret = close_stale(s);
	if (!ret)
		ret = install_missing(s);
	if (ret)
		return ret;
	for (i = 0; i < s->fds.n; i++) {
		f = &s->fds.fds[i];
		set_cloexec(f->fd, f->cloexec);
		/* A directory's offset is its readdir position. */
		if (!(f->file->f_mode & FMODE_LSEEK) ||
		    !(S_ISREG(file_inode(f->file)->i_mode) ||
		      S_ISDIR(file_inode(f->file)->i_mode)))
			continue;
		pos = vfs_llseek(f->file, f->pos, SEEK_SET);
		if (pos < 0)
			return ckpt_err(s->ctx, (int)pos,
					"fd %u: cannot restore its offset", f->fd);
	}
	return 0;
}
