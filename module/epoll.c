// SPDX-License-Identifier: GPL-2.0
/*
 * Epolls: the interest list of each, as FILE kind EPOLL with one struct
 * ckpt_epoll_target per target.
 *
 * struct eventpoll and its epitems are private, and get_epoll_tfile_raw_ptr()
 * (kcmp's way to a target's file) is not exported.  The epoll's fdinfo
 * shows each target: the fd it was added with, its events and data, and
 * its file's position, inode and device; but that fd may have been closed
 * or dup'd since, and every anonymous-inode file (eventfds, timerfds,
 * other epolls) has the one inode.  So the caller resolves each target by
 * kcmp(KCMP_EPOLL_TFD) and passes what it found (struct ckpt_epoll_in,
 * CKPT_DUMP_SIZE_VER3); the module checks it against the fdinfo, each
 * target once, and records the target by its FILE record.
 *
 * A target must be a file the restorer can make and then register (pipes,
 * eventfds, signalfds, timerfds, epolls, sockets) or one of fds 0-2 connected to
 * the outside (registered as restore's own): the restorer registers each
 * target before the kernel installs the image's fds.
 */
#include <linux/capability.h>
#include <linux/fs.h>
/* After fs.h and capability.h, which it uses without including. */
#include <linux/eventpoll.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ctx.h"
#include "fds.h"

/* Every bit an epoll keeps in a target's events. */
#define EPOLL_KNOWN	((__force u32)(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | \
			 EPOLLHUP | EPOLLNVAL | EPOLLRDNORM | EPOLLRDBAND | \
			 EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP | \
			 EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET))

/* An fdinfo line is under 100 bytes; up to this many targets are read. */
#define EPOLL_FDINFO_MAX	(64UL << 20)

int ckpt_epoll_take(struct ckpt_ctx *ctx, const struct ckpt_dump *d)
{
	size_t n = d->epoll_len / sizeof(struct ckpt_epoll_in);

	if (!d->epoll_len)
		return 0;
	if (d->epoll_len > CKPT_EPOLL_IN_MAX ||
	    d->epoll_len % sizeof(struct ckpt_epoll_in))
		return ckpt_err(ctx, -EINVAL,
				"%u bytes of epoll targets: not a multiple of %zu, or above %u",
				d->epoll_len, sizeof(struct ckpt_epoll_in),
				CKPT_EPOLL_IN_MAX);
	ctx->epoll_in = kvmalloc_array(n, sizeof(*ctx->epoll_in), GFP_KERNEL);
	ctx->epoll_used = kvcalloc(n, sizeof(*ctx->epoll_used), GFP_KERNEL);
	if (!ctx->epoll_in || !ctx->epoll_used)
		return -ENOMEM;
	if (copy_from_user(ctx->epoll_in, u64_to_user_ptr(d->epoll),
			   d->epoll_len))
		return -EFAULT;
	ctx->nr_epoll_in = n;
	return 0;
}

/* @f's fdinfo, however long: an epoll shows a line per target. */
static char *epoll_fdinfo(struct file *f)
{
	struct seq_file m = { };
	size_t size = PAGE_SIZE;

	for (;;) {
		m.buf = kvmalloc(size, GFP_KERNEL);
		if (!m.buf)
			return ERR_PTR(-ENOMEM);
		m.size = size;
		m.count = 0;
		f->f_op->show_fdinfo(&m, f);
		if (m.count < m.size) {
			m.buf[m.count] = '\0';
			return m.buf;
		}
		kvfree(m.buf);
		if (size >= EPOLL_FDINFO_MAX)
			return ERR_PTR(-EOVERFLOW);
		size *= 2;
	}
}

struct epoll_line {
	int tfd;
	unsigned int events;
	unsigned long long data, ino;
	unsigned int sdev;
};

/* The next "tfd:" line at or after *@p; false at the end. */
static bool next_line(const char **p, struct epoll_line *l, int *bad)
{
	long long pos;
	const char *nl;

	while (**p) {
		nl = strchr(*p, '\n');
		if (!strncmp(*p, "tfd:", 4)) {
			if (sscanf(*p, "tfd: %d events: %x data: %llx pos:%lli ino:%llx sdev:%x",
				   &l->tfd, &l->events, &l->data, &pos,
				   &l->ino, &l->sdev) != 6)
				*bad = 1;
			*p = nl ? nl + 1 : *p + strlen(*p);
			return !*bad;
		}
		*p = nl ? nl + 1 : *p + strlen(*p);
	}
	return false;
}

static bool target_supported(struct file *f, int fd)
{
	struct inode *inode = file_inode(f);

	if (fd <= 2)
		return true;	/* the outside world, or a pipe */
	if (S_ISFIFO(inode->i_mode))
		return inode->i_sb->s_magic == PIPEFS_MAGIC;
	/* Which sockets the restorer makes, their own FILE records say. */
	if (S_ISSOCK(inode->i_mode))
		return inode->i_sb->s_magic == SOCKFS_MAGIC;
	return ckpt_anon_file_is(f, "[eventfd]") ||
	       ckpt_anon_file_is(f, "[signalfd]") ||
	       ckpt_anon_file_is(f, "[timerfd]") ||
	       ckpt_anon_file_is(f, "[eventpoll]");
}

/* The caller's entry for line @l of epoll @epfd not used yet, or -1. */
static long find_entry(struct ckpt_ctx *ctx, int epfd,
		       const struct epoll_line *l)
{
	const struct ckpt_epoll_in *e;
	size_t i;

	for (i = 0; i < ctx->nr_epoll_in; i++) {
		e = &ctx->epoll_in[i];
		if (!ctx->epoll_used[i] && e->epfd == epfd && e->tfd == l->tfd &&
		    e->events == l->events && e->data == l->data)
			return i;
		cond_resched();
	}
	return -1;
}

/**
 * ckpt_epoll_state - the targets of epoll @fc, as a FILE record's data
 * @ctx: the dump, with the caller's targets (ckpt_epoll_take())
 * @c: the process's fds, with their FILE ids
 * @fc: the epoll's fd; -ENOENT if it is not an epoll (nothing said)
 * @data: set to a kvmalloc'd struct ckpt_epoll_target[] (kvfree() it)
 * @len: set to its bytes
 */
int ckpt_epoll_state(struct ckpt_ctx *ctx, const struct ckpt_fds *c,
		     const struct ckpt_fd *fc, char **data, size_t *len)
{
	struct ckpt_epoll_target *t = NULL;
	const struct ckpt_epoll_in *e;
	const struct ckpt_fd *tf;
	unsigned long n = 0, cap = 0;
	struct epoll_line l;
	const char *p;
	struct inode *inode;
	char *info;
	int bad = 0, ret = 0;
	unsigned int i;
	long k;

	if (!ckpt_anon_file_is(fc->file, "[eventpoll]"))
		return -ENOENT;
	info = epoll_fdinfo(fc->file);
	if (IS_ERR(info))
		return ckpt_err(ctx, PTR_ERR(info), "fd %u: epoll: cannot read its targets",
				fc->fd);
	p = info;
	while (!ret && next_line(&p, &l, &bad)) {
		k = find_entry(ctx, fc->fd, &l);
		if (k < 0) {
			ret = ckpt_err(ctx, ctx->nr_epoll_in ? -EINVAL : -ENODATA,
				       "fd %u: epoll: target fd %d (events 0x%x) was not given by the caller (kcmp(KCMP_EPOLL_TFD) finds each)",
				       fc->fd, l.tfd, l.events);
			break;
		}
		e = &ctx->epoll_in[k];
		tf = NULL;
		for (i = 0; i < c->n && !tf; i++)
			if ((int)c->fds[i].fd == e->target_fd)
				tf = &c->fds[i];
		inode = tf ? file_inode(tf->file) : NULL;
		if (!inode || inode->i_ino != l.ino ||
		    inode->i_sb->s_dev != l.sdev) {
			ret = ckpt_err(ctx, -EINVAL,
				       "fd %u: epoll: target fd %d: the caller's fd %d is not its file",
				       fc->fd, l.tfd, e->target_fd);
			break;
		}
		if (!target_supported(tf->file, tf->fd)) {
			ret = ckpt_err(ctx, -EOPNOTSUPP,
				       "fd %u: epoll: target fd %d (now fd %u) is a file restore cannot register yet",
				       fc->fd, l.tfd, tf->fd);
			break;
		}
		if (l.events & ~EPOLL_KNOWN) {
			ret = ckpt_err(ctx, -EOPNOTSUPP,
				       "fd %u: epoll: target fd %d has unknown events 0x%x",
				       fc->fd, l.tfd, l.events);
			break;
		}
		ctx->epoll_used[k] = true;
		if (n == cap) {
			ret = ckpt_grow((void **)&t, &cap, n + 1, sizeof(*t));
			if (ret)
				break;
		}
		t[n].tfd = l.tfd;
		t[n].file_id = tf->id;
		t[n].events = l.events;
		t[n].__pad = 0;
		t[n].data = l.data;
		n++;
	}
	if (!ret && bad)
		ret = ckpt_err(ctx, -EINVAL, "fd %u: epoll: its fdinfo does not read as expected",
			       fc->fd);
	kvfree(info);
	if (ret) {
		ctx->err_fd = fc->fd;
		kvfree(t);
		return ret;
	}
	*data = (char *)t;
	*len = n * sizeof(*t);
	return 0;
}

/* After the files: every target the caller gave belongs to an epoll. */
int ckpt_epoll_all_used(struct ckpt_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nr_epoll_in; i++)
		if (!ctx->epoll_used[i])
			return ckpt_err(ctx, -EINVAL,
					"the caller's epoll target %zu (epoll fd %d, fd %d) is in no epoll of the process",
					i, ctx->epoll_in[i].epfd,
					ctx->epoll_in[i].tfd);
	return 0;
}
