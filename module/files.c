// SPDX-License-Identifier: GPL-2.0
/*
 * Open files: one FILE record per open file description (so dup'd fds
 * keep sharing an offset) and one FD record per descriptor.
 *
 * Supported: regular files and directories (reopened by path), the
 * harmless character devices, pipes and FIFOs whose every end is in the
 * process (with the data in flight), eventfds, signalfds, timerfds and
 * epolls (eventfd.c, fdinfo.c, epoll.c), sockets a restorer can rebuild
 * (socket.c), and, for fds 0-2, whatever
 * connects the process to the outside world (a terminal, a pipe to its
 * parent), which restore reconnects to its own fd of the same number.
 * Anything else fails the dump with the fd and its type named.
 *
 * Applying is one installer, ckpt_files_apply(), for rollback (REWIND:
 * the very open file descriptions a snapshot held, shared offsets, flags
 * and locks and all, even if the process closed them since) and for
 * restore (REBUILD: the files ckpt_files_prepare() opened from the image
 * before the point of no return).  Both run in the process's own context.
 */
#include <linux/eventfd.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/kdev_t.h>
#include <linux/major.h>
#include <linux/magic.h>
#include <linux/pipe_fs_i.h>
#include <linux/slab.h>
#include <linux/stat.h>

#include "compat.h"
#include "ctx.h"
#include "fds.h"
#include "readin.h"
#include "search.h"

/* Pipe contents carried in an image, at most. */
#define PIPE_DATA_MAX	(CKPT_REC_MAX_LEN / 2)

static bool is_tty(struct inode *inode)
{
	unsigned int major = imajor(inode);

	return major == TTY_MAJOR || major == TTYAUX_MAJOR ||
	       (major >= UNIX98_PTY_SLAVE_MAJOR &&
		major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT);
}

static bool is_plain_chr(struct inode *inode)
{
	/* null, zero, full, random, urandom: no state to carry. */
	return imajor(inode) == MEM_MAJOR &&
	       (iminor(inode) == 3 || iminor(inode) == 5 ||
		iminor(inode) == 7 || iminor(inode) == 8 || iminor(inode) == 9);
}

/*
 * pidfs, nsfs: regular files of no filesystem a path reaches, whose d_path()
 * is a name ("net:[4026531840]") made by d_dname.
 */
static bool no_path(struct file *f)
{
	const struct dentry *d = f->f_path.dentry;

	return (file_inode(f)->i_sb->s_flags & SB_NOUSER) ||
	       (d->d_op && d->d_op->d_dname);
}

static const char *type_name(struct file *f)
{
	struct inode *inode = file_inode(f);

	if ((S_ISREG(inode->i_mode) || S_ISDIR(inode->i_mode)) && no_path(f))
		return ckpt_is_pidfs(inode->i_sb) ? "pidfd" :
		       inode->i_sb->s_type->name;
	switch (inode->i_mode & S_IFMT) {
	case S_IFSOCK:
		return "socket";
	case S_IFCHR:
		return is_tty(inode) ? "terminal" : "character device";
	case S_IFBLK:
		return "block device";
	case S_IFIFO:
		return "pipe shared with another process";
	}
	if (inode->i_sb->s_magic == ANON_INODE_FS_MAGIC)
		return f->f_path.dentry->d_name.name;	/* "[pidfd]" */
	return "unknown";
}

/* Are all the pipe's readers and writers among the process's files? */
static bool pipe_internal(struct ckpt_fds *c, struct pipe_inode_info *pipe,
			  struct inode *inode)
{
	unsigned int i, j, r = 0, w = 0;

	for (i = 0; i < c->n; i++) {
		if (file_inode(c->fds[i].file) != inode)
			continue;
		for (j = 0; j < i; j++)
			if (c->fds[j].file == c->fds[i].file)
				break;
		if (j < i)
			continue;	/* the same open file, counted */
		r += !!(c->fds[i].file->f_mode & FMODE_READ);
		w += !!(c->fds[i].file->f_mode & FMODE_WRITE);
	}
	return r == READ_ONCE(pipe->readers) && w == READ_ONCE(pipe->writers);
}

/* Bytes waiting in @pipe, copied without consuming them. */
static size_t pipe_peek(struct pipe_inode_info *pipe, char *dst, size_t max)
{
	unsigned int i, mask = pipe->ring_size - 1;
	struct pipe_buffer *buf;
	size_t n = 0;
	char *src;

	for (i = pipe->tail; i != pipe->head; i++) {
		buf = &pipe->bufs[i & mask];
		if (dst) {
			if (n + buf->len > max)
				break;
			src = kmap_local_page(buf->page);
			memcpy(dst + n, src + buf->offset, buf->len);
			kunmap_local(src);
		}
		n += buf->len;
	}
	return n;
}

/* The kinds a module cannot make: the restorer makes them, and hands over. */
static bool made_by_restorer(u32 kind)
{
	return kind == CKPT_FILE_PIPE || kind == CKPT_FILE_EVENTFD ||
	       kind == CKPT_FILE_SIGNALFD || kind == CKPT_FILE_TIMERFD ||
	       kind == CKPT_FILE_EPOLL || kind == CKPT_FILE_SOCKET;
}

static int emit_file(struct ckpt_ctx *ctx, struct ckpt_fds *c,
		     struct ckpt_fd *fc, bool *pipe_done)
{
	struct file *f = fc->file;
	struct inode *inode = file_inode(f);
	struct pipe_inode_info *pipe = NULL;
	union {
		struct ckpt_file_eventfd efd;
		struct ckpt_file_signalfd sfd;
		struct ckpt_file_timerfd tfd;
		struct ckpt_sock_rec sock;
	} anon;
	const char *path = NULL, *what;
	struct ckpt_rec_file *r;
	struct kstat st;
	size_t plen = 0, dlen = 0, n;
	char *data = NULL;
	u32 kind, pair_id = 0;
	u8 *queued;
	size_t nq;
	int ret;

	switch (inode->i_mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
		if (no_path(f))
			goto unsupported;
		kind = S_ISREG(inode->i_mode) ? CKPT_FILE_REG : CKPT_FILE_DIR;
		break;
	case S_IFCHR:
		if (is_plain_chr(inode))
			kind = CKPT_FILE_CHR;
		else if (fc->fd <= 2 && is_tty(inode))
			kind = CKPT_FILE_INHERIT;
		else
			goto unsupported;
		break;
	case S_IFIFO:
		pipe = inode->i_pipe;
		if (pipe && pipe_internal(c, pipe, inode))
			kind = inode->i_sb->s_magic == PIPEFS_MAGIC ?
			       CKPT_FILE_PIPE : CKPT_FILE_FIFO;
		else if (fc->fd <= 2)
			kind = CKPT_FILE_INHERIT;
		else
			goto unsupported;
		break;
	case S_IFSOCK:
		if (fc->fd <= 2 && inode->i_sb->s_magic == SOCKFS_MAGIC) {
			kind = CKPT_FILE_INHERIT;	/* e.g. an ssh session */
			break;
		}
		kind = CKPT_FILE_SOCKET;
		dlen = sizeof(anon.sock);
		data = (char *)&anon;
		ret = ckpt_socket_state(ctx, c, fc, &anon.sock, &path,
					&pair_id, &queued, &nq);
		if (ret == -ENOENT)
			goto unsupported;	/* an O_PATH fd of a socket file */
		if (ret) {
			ctx->err_fd = fc->fd;
			return ret;
		}
		/* A socketpair end's waiting bytes follow its state. */
		if (queued) {
			data = kvmalloc(dlen + nq, GFP_KERNEL);
			if (data) {
				memcpy(data, &anon.sock, dlen);
				memcpy(data + dlen, queued, nq);
				dlen += nq;
			}
			kvfree(queued);
			if (!data) {
				ctx->err_fd = fc->fd;
				return ckpt_err(ctx, -ENOMEM,
						"fd %u: cannot keep the %zu bytes waiting in its socketpair",
						fc->fd, nq);
			}
		}
		/* A unix socket's file, its name to bind again. */
		plen = path ? strlen(path) + 1 : 0;
		break;
	default:
		kind = CKPT_FILE_EVENTFD;
		dlen = sizeof(anon.efd);
		data = (char *)&anon;
		ret = ckpt_eventfd_state(ctx, f, fc->fd, &anon.efd);
		if (ret == -ENOENT)
			ret = ckpt_anon_state(ctx, f, fc->fd, &kind, &anon,
					      &dlen);
		if (ret == -ENOENT) {
			kind = CKPT_FILE_EPOLL;
			data = NULL;
			ret = ckpt_epoll_state(ctx, c, fc, &data, &dlen);
		}
		if (!ret)
			break;
		if (ret != -ENOENT) {
			ctx->err_fd = fc->fd;
			return ret;
		}
		goto unsupported;
	}

	if (!made_by_restorer(kind) && kind != CKPT_FILE_INHERIT) {
		if (d_unlinked(f->f_path.dentry)) {
			ctx->err_fd = fc->fd;
			return ckpt_err(ctx, -EOPNOTSUPP,
					"fd %u: its file was deleted", fc->fd);
		}
		path = ckpt_path(ctx, &f->f_path);
		if (IS_ERR(path))
			return ckpt_err(ctx, PTR_ERR(path),
					"fd %u: cannot name its file", fc->fd);
		plen = strlen(path) + 1;
	}
	/* What fstat() says, so the restorer can compare with it. */
	ret = vfs_getattr(&f->f_path, &st, STATX_INO, AT_STATX_SYNC_AS_STAT);
	if (ret)
		return ckpt_err(ctx, ret, "fd %u: cannot stat its file", fc->fd);
	/*
	 * The data in flight goes with the first read end of the pipe.  It is
	 * copied out under the pipe's lock and written after it: the image
	 * may itself be going into a pipe.
	 */
	if (pipe && kind != CKPT_FILE_INHERIT && (f->f_mode & FMODE_READ) &&
	    !*pipe_done) {
		pipe_lock(pipe);
		dlen = pipe_peek(pipe, NULL, 0);
		data = dlen <= PIPE_DATA_MAX ? kvmalloc(max(dlen, 1UL), GFP_KERNEL) :
					       NULL;
		if (data)
			dlen = pipe_peek(pipe, data, dlen);
		pipe_unlock(pipe);
		if (!data) {
			ctx->err_fd = fc->fd;
			return ckpt_err(ctx, dlen > PIPE_DATA_MAX ? -EFBIG : -ENOMEM,
					"fd %u: cannot keep the %zu bytes in its pipe",
					fc->fd, dlen);
		}
		*pipe_done = true;
	}
	r = ckpt_rec_get(ctx, CKPT_REC_FILE, sizeof(*r) + plen + dlen);
	if (r) {
		r->id = fc->id;
		r->kind = kind;
		/* Status flags only: f_flags also holds kernel-internal bits. */
		r->flags = f->f_flags & (O_ACCMODE | O_APPEND | O_NONBLOCK |
					 O_DSYNC | FASYNC | O_DIRECT |
					 O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW |
					 O_NOATIME | __O_SYNC | O_PATH);
		r->pos = made_by_restorer(kind) && kind != CKPT_FILE_PIPE ? 0 :
			 f->f_pos;
		r->ino = st.ino;
		r->dev = new_encode_dev(st.dev);
		r->rdev = new_encode_dev(inode->i_rdev);
		/* A pipe to the outside is not carried, only reconnected. */
		r->pipe_id = kind == CKPT_FILE_PIPE || kind == CKPT_FILE_FIFO ?
			     (u32)inode->i_ino : pair_id;
		r->path_len = plen;
		r->data_len = dlen;
		if (plen)
			memcpy(r->data, path, plen);
		if (dlen)
			memcpy(r->data + plen, data, dlen);
	}
	if (data != (char *)&anon)
		kvfree(data);
	if (!r)
		return hbuf_error(&ctx->hb);
	return ckpt_rec_put(ctx, r);

unsupported:
	ctx->err_fd = fc->fd;
	what = type_name(f);
	/* An anonymous inode's "[pidfd]" is said "pidfd". */
	n = strlen(what);
	if (what[0] == '[' && n > 2 && what[n - 1] == ']')
		return ckpt_err(ctx, -EOPNOTSUPP, "fd %u: unsupported file type: %.*s",
				fc->fd, (int)n - 2, what + 1);
	return ckpt_err(ctx, -EOPNOTSUPP, "fd %u: unsupported file type: %s",
			fc->fd, what);
}

int ckpt_files_capture(struct ckpt_ctx *ctx)
{
	struct ckpt_fds c = { };
	struct ckpt_rec_fd *r;
	unsigned int i, j, next_id = 1;
	bool *pipe_done = NULL;
	int ret;

	ret = ckpt_fds_collect(ctx, ctx->task, &c);
	if (ret)
		goto out;
	pipe_done = kcalloc(max(c.n, 1U), sizeof(*pipe_done), GFP_KERNEL);
	if (!pipe_done) {
		ret = -ENOMEM;
		goto out;
	}
	/* One FILE per open file description, in order of first fd. */
	for (i = 0; i < c.n; i++) {
		for (j = 0; j < i; j++)
			if (c.fds[j].file == c.fds[i].file)
				break;
		c.fds[i].id = j < i ? c.fds[j].id : next_id++;
	}
	if (ctx->tcp_out)
		ret = ckpt_tcp_hold_peers(ctx, &c);
	/* Numbered first: an epoll names its targets by FILE id. */
	for (i = 0; i < c.n && !ret; i++) {
		for (j = 0; j < i; j++)
			if (c.fds[j].file == c.fds[i].file)
				break;
		if (j < i)
			continue;
		/* pipe_done is per pipe: the slot of its first file. */
		for (j = 0; j < i; j++)
			if (file_inode(c.fds[j].file) == file_inode(c.fds[i].file))
				break;
		ret = emit_file(ctx, &c, &c.fds[i], &pipe_done[j]);
	}
	if (!ret)
		ret = ckpt_epoll_all_used(ctx);
	for (i = 0; i < c.n && !ret; i++) {
		r = ckpt_rec_get(ctx, CKPT_REC_FD, sizeof(*r));
		if (!r) {
			ret = hbuf_error(&ctx->hb);
			break;
		}
		r->fd = c.fds[i].fd;
		r->file_id = c.fds[i].id;
		r->flags = c.fds[i].cloexec ? CKPT_FD_CLOEXEC : 0;
		ret = ckpt_rec_put(ctx, r);
	}
out:
	kfree(pipe_done);
	ckpt_fds_release(&c);
	return ret;
}

/*
 * Room for what applying @c needs: the fds to close, and the free numbers
 * reserved below its top one.
 */
static int fds_size_scratch(struct ckpt_fds *c)
{
	unsigned int top = c->n ? c->fds[c->n - 1].fd + 1 : 0;

	return ckpt_grow((void **)&c->scratch, &c->cap_scratch,
			 max3(2U * c->n, top, 64U), sizeof(*c->scratch));
}

int ckpt_files_hold(struct ckpt_ctx *ctx, struct task_struct *t,
		    struct ckpt_fds *c)
{
	unsigned int i;
	int ret;

	ret = ckpt_fds_collect(ctx, t, c);
	if (ret)
		return ret;
	for (i = 0; i < c->n; i++)
		c->fds[i].pos = c->fds[i].file->f_pos;
	c->keep[0] = -1;
	c->keep[1] = -1;
	return fds_size_scratch(c);
}

/*
 * The words of the errors opening a file gives, as strerror() says them,
 * so that a restore's messages read as they did when the tool opened the
 * files; the kernel has no such table for modules.
 */
static const char *errno_text(int err)
{
	switch (-err) {
	case EPERM:
		return "Operation not permitted";
	case ENOENT:
		return "No such file or directory";
	case EINTR:
		return "Interrupted system call";
	case EIO:
		return "Input/output error";
	case ENXIO:
		return "No such device or address";
	case EAGAIN:
		return "Resource temporarily unavailable";
	case ENOMEM:
		return "Cannot allocate memory";
	case EACCES:
		return "Permission denied";
	case EBUSY:
		return "Device or resource busy";
	case ENODEV:
		return "No such device";
	case ENOTDIR:
		return "Not a directory";
	case EISDIR:
		return "Is a directory";
	case EINVAL:
		return "Invalid argument";
	case ENFILE:
		return "Too many open files in system";
	case EMFILE:
		return "Too many open files";
	case ETXTBSY:
		return "Text file busy";
	case EFBIG:
		return "File too large";
	case ENOSPC:
		return "No space left on device";
	case ESPIPE:
		return "Illegal seek";
	case EROFS:
		return "Read-only file system";
	case ENAMETOOLONG:
		return "File name too long";
	case ELOOP:
		return "Too many levels of symbolic links";
	case EOVERFLOW:
		return "Value too large for defined data type";
	case EOPNOTSUPP:
		return "Operation not supported";
	case ESTALE:
		return "Stale file handle";
	}
	return "error";
}

/* The status flags an open() of the tool gave a FILE record's file. */
#define REOPEN_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT | \
			 O_NOATIME | __O_SYNC | O_DSYNC | O_LARGEFILE | \
			 O_DIRECTORY | O_NOFOLLOW | O_PATH)

/*
 * Opens the file of FILE record @r for fd @fd, by its path, as the process
 * had it: same file (a regular file must be the same inode on the same
 * device), same status flags, same offset, a FIFO with its data again.
 */
static struct file *open_by_path(struct ckpt_ctx *ctx,
				 const struct ckpt_rec_file *r, unsigned int fd)
{
	const char *path = r->data;
	struct file *f;
	struct kstat st;
	loff_t pos = 0;
	ssize_t n;
	int flags, ret;

	/* open(2) on a 64-bit kernel sets O_LARGEFILE; filp_open() does not. */
	flags = (r->flags & REOPEN_FLAGS) | O_LARGEFILE;
	/* Opening one end of a FIFO alone would block until the other opens. */
	if (r->kind == CKPT_FILE_FIFO)
		flags = O_RDWR | O_LARGEFILE | (r->flags & O_NONBLOCK);
	f = filp_open(path, flags, 0);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		ckpt_err(ctx, ret, "fd %u: cannot open %s: %s", fd, path,
			 errno_text(ret));
		return f;
	}
	if (r->kind == CKPT_FILE_REG) {
		ret = vfs_getattr(&f->f_path, &st, STATX_INO,
				  AT_STATX_SYNC_AS_STAT);
		if (!ret && (st.ino != r->ino ||
			     new_encode_dev(st.dev) != r->dev))
			ret = ckpt_err(ctx, -ESTALE,
				       "fd %u: %s is not the file the process had open (replaced since the checkpoint)",
				       fd, path);
		else if (ret)
			ckpt_err(ctx, ret, "fd %u: cannot stat %s: %s", fd, path,
				 errno_text(ret));
		if (ret)
			goto err_put;
	}
	if (r->kind == CKPT_FILE_REG || r->kind == CKPT_FILE_DIR) {
		pos = vfs_llseek(f, r->pos, SEEK_SET);
		if (pos < 0) {
			ret = ckpt_err(ctx, (int)pos,
				       "fd %u: %s: cannot seek to %llu: %s", fd,
				       path, r->pos, errno_text((int)pos));
			goto err_put;
		}
	}
	if (r->kind == CKPT_FILE_FIFO && r->data_len) {
		/* The FIFO's own pipe, so the position is not used. */
		n = kernel_write(f, r->data + r->path_len, r->data_len, &pos);
		if (n != r->data_len) {
			ret = n < 0 ? (int)n : -EAGAIN;
			ckpt_err(ctx, ret, "fd %u: %s: cannot refill the FIFO: %s",
				 fd, path, errno_text(ret));
			goto err_put;
		}
	}
	return f;

err_put:
	fput(f);
	return ERR_PTR(ret);
}

/*
 * The file of FILE record @i that the restorer made, for the kinds a
 * module cannot make, and left at fd @pipe_fd + @i: a pipe end
 * (create_pipe_files() and do_pipe_flags() are not exported), refilled,
 * of the record's access mode; an eventfd (neither is its fops), of the
 * record's count and flags.
 */
static struct file *take_made(struct ckpt_ctx *ctx,
			      const struct ckpt_rec_file *r, unsigned int i,
			      int pipe_fd, unsigned int fd)
{
	fmode_t want = (r->flags & O_ACCMODE) == O_RDONLY ? FMODE_READ :
							    FMODE_WRITE;
	const char *what = want == FMODE_READ ? "pipe read end" :
						"pipe write end";
	struct eventfd_ctx *e;
	struct file *f = NULL;
	bool ok = false;

	if (r->kind != CKPT_FILE_PIPE)
		want = FMODE_READ | FMODE_WRITE;
	if (pipe_fd >= 0 && pipe_fd <= INT_MAX - (int)i)
		f = fget(pipe_fd + i);
	switch (r->kind) {
	case CKPT_FILE_PIPE:
		ok = f && S_ISFIFO(file_inode(f)->i_mode) &&
		     file_inode(f)->i_sb->s_magic == PIPEFS_MAGIC;
		break;
	case CKPT_FILE_EVENTFD:
		what = "eventfd";
		e = f ? eventfd_ctx_fileget(f) : ERR_PTR(-EBADF);
		ok = !IS_ERR(e);
		if (ok)
			eventfd_ctx_put(e);
		break;
	case CKPT_FILE_SIGNALFD:
		what = "signalfd";
		ok = f && ckpt_anon_file_is(f, "[signalfd]");
		break;
	case CKPT_FILE_TIMERFD:
		what = "timerfd";
		ok = f && ckpt_anon_file_is(f, "[timerfd]");
		break;
	case CKPT_FILE_EPOLL:
		what = "epoll";
		ok = f && ckpt_anon_file_is(f, "[eventpoll]");
		break;
	case CKPT_FILE_SOCKET:
		what = "socket of the image's address and state";
		ok = f && ckpt_socket_is(r, f);
		break;
	}
	if (ok && (f->f_mode & (FMODE_READ | FMODE_WRITE)) == want)
		return f;
	if (f)
		fput(f);
	ckpt_err(ctx, -EBADF,
		 "fd %u: the restorer handed over no %s for it (at fd %d)",
		 fd, what, pipe_fd < 0 ? -1 : pipe_fd + (int)i);
	return ERR_PTR(-EBADF);
}

/*
 * The index, among the image's FILE records, of the one with @id, or
 * nr_files.  A dump numbers them 1, 2, ... in order; any other order is
 * valid too, and searched.
 */
static unsigned int file_index(const struct ckpt_image *img, u32 id)
{
	unsigned int i;

	if (id && id <= img->nr_files && img->files[id - 1]->id == id)
		return id - 1;
	for (i = 0; i < img->nr_files; i++) {
		if (img->files[i]->id == id)
			break;
		cond_resched();
	}
	return i;
}

/*
 * The files of the image's FD records, one open file per FILE record, so
 * that fds dup'd from one another share it (and its offset) again.
 */
static int open_files(struct ckpt_ctx *ctx, const struct ckpt_image *img,
		      int pipe_fd, struct file **opened, struct ckpt_fds *c)
{
	const struct ckpt_rec_file *r;
	const struct ckpt_rec_fd *d;
	struct ckpt_fd *e;
	unsigned int i, j;
	struct file *f;

	for (i = 0; i < img->nr_fds; i++) {
		d = img->fds[i];
		j = file_index(img, d->file_id);
		if (j == img->nr_files)	/* the validator refuses it */
			return ckpt_err(ctx, -EINVAL, "fd %u: no FILE record %u",
					d->fd, d->file_id);
		r = img->files[j];
		if (r->kind == CKPT_FILE_INHERIT) {
			/* Connected outside the process: the restorer's own. */
			f = fget_raw(d->fd);
			if (!f)
				return ckpt_err(ctx, -EBADF,
						"fd %u was connected outside the process, and this restore has no fd %u to give it",
						d->fd, d->fd);
		} else {
			if (!opened[j]) {
				f = made_by_restorer(r->kind) ?
				    take_made(ctx, r, j, pipe_fd, d->fd) :
				    open_by_path(ctx, r, d->fd);
				if (IS_ERR(f))
					return PTR_ERR(f);
				opened[j] = f;
			}
			f = get_file(opened[j]);
		}
		e = &c->fds[c->n++];
		e->fd = d->fd;
		e->cloexec = d->flags & CKPT_FD_CLOEXEC;
		e->file = f;
		e->pos = f->f_pos;
		e->id = r->id;
	}
	return 0;
}

int ckpt_files_prepare(struct ckpt_ctx *ctx, const struct ckpt_image *img,
		       int pipe_fd, int img_fd, int dev_fd, struct ckpt_fds *c)
{
	struct file **opened;
	unsigned int i;
	int ret;

	c->keep[0] = img_fd;
	c->keep[1] = dev_fd;
	/* Installed over, they would be closed at the end with the image's. */
	for (i = 0; i < img->nr_fds; i++)
		if ((int)img->fds[i]->fd == img_fd ||
		    (int)img->fds[i]->fd == dev_fd)
			return ckpt_err(ctx, -EBUSY,
					"fd %u of the image is the restorer's own (the image or the device): move it above the image's fds",
					img->fds[i]->fd);
	c->fds = kvcalloc(max(img->nr_fds, 1U), sizeof(*c->fds), GFP_KERNEL);
	opened = kvcalloc(max(img->nr_files, 1U), sizeof(*opened),
			  GFP_KERNEL);
	ret = c->fds && opened ? 0 : -ENOMEM;
	if (!ret) {
		c->max = img->nr_fds;
		ret = open_files(ctx, img, pipe_fd, opened, c);
	}
	if (!ret)
		ret = fds_size_scratch(c);
	for (i = 0; opened && i < img->nr_files; i++)
		if (opened[i])
			fput(opened[i]);
	kvfree(opened);
	return ret;
}

/* The table's entry for @fd (the table is in fd order), or NULL. */
struct fd_key {
	const struct ckpt_fds *c;
	unsigned int fd;
};

static bool fd_below(const void *arg, unsigned long i)
{
	const struct fd_key *k = arg;

	return k->c->fds[i].fd < k->fd;
}

static const struct ckpt_fd *fds_find(const struct ckpt_fds *c,
				      unsigned int fd)
{
	struct fd_key k = { .c = c, .fd = fd };
	unsigned long i = ckpt_lower_bound(c->n, fd_below, &k);

	return i < c->n && c->fds[i].fd == fd ? &c->fds[i] : NULL;
}

struct stale {
	const struct ckpt_fds *c;
	bool keep;		/* REBUILD: c->keep stays open */
	unsigned int n;
	unsigned int from;	/* where the next pass starts */
};

/* iterate_fd() callback, under file_lock: lists fds to close. */
static int find_stale(const void *p, struct file *file, unsigned int fd)
{
	struct stale *st = (struct stale *)p;
	const struct ckpt_fd *h = fds_find(st->c, fd);

	lockdep_assert_held(&current->files->file_lock);
	if (h && h->file == file)
		return 0;
	if (st->keep && ((int)fd == st->c->keep[0] || (int)fd == st->c->keep[1]))
		return 0;
	if (st->n == st->c->cap_scratch) {
		st->from = fd;
		return 1;
	}
	st->c->scratch[st->n++] = fd;
	return 0;
}

static void close_stale(struct ckpt_fds *c, enum ckpt_apply_mode mode)
{
	struct stale st = { .c = c, .keep = mode == CKPT_REBUILD };
	unsigned int i;
	int more;

	do {
		st.n = 0;
		more = iterate_fd(current->files, st.from, find_stale, &st);
		for (i = 0; i < st.n; i++)
			close_fd(c->scratch[i]);
	} while (more);
}

/*
 * Puts the table's fds that are missing in, each at its number.  Exported
 * helpers only hand out the lowest free number, so on the way up the free
 * numbers that must stay free are reserved (never installed: a close would
 * drop the process's record locks on the file) and released at the end.
 * It is our own process (current), with one thread, so nobody sees them.
 */
static int install_missing(struct ckpt_ctx *ctx, struct ckpt_fds *c)
{
	const struct ckpt_fd *f;
	unsigned int nr_tmp = 0, i;
	struct file *now;
	int fd, ret = 0;

	for (i = 0; i < c->n && !ret; i++) {
		f = &c->fds[i];
		now = fget_raw(f->fd);
		if (now) {
			fput(now);
			continue;
		}
		for (;;) {
			fd = get_unused_fd_flags(f->cloexec ? O_CLOEXEC : 0);
			if (fd < 0) {
				ret = ckpt_err(ctx, fd, "cannot reopen fd %u",
					       f->fd);
				break;
			}
			if (fd == f->fd) {
				fd_install(fd, get_file(f->file));
				break;
			}
			/* Sized with the table for every number below the top. */
			if (fd > f->fd || nr_tmp == c->cap_scratch) {
				put_unused_fd(fd);
				ret = ckpt_err(ctx, -EBUSY,
					       "cannot reopen fd %u: got fd %d",
					       f->fd, fd);
				break;
			}
			c->scratch[nr_tmp++] = fd;
		}
	}
	for (i = 0; i < nr_tmp; i++)
		put_unused_fd(c->scratch[i]);
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

int ckpt_files_apply(struct ckpt_ctx *ctx, struct ckpt_fds *c,
		     enum ckpt_apply_mode mode)
{
	const struct ckpt_fd *f;
	unsigned int i;
	loff_t pos;
	int ret;

	close_stale(c, mode);
	ret = install_missing(ctx, c);
	if (ret)
		return ret;
	for (i = 0; i < c->n; i++) {
		f = &c->fds[i];
		set_cloexec(f->fd, f->cloexec);
		/* A directory's offset is its readdir position. */
		if (!(f->file->f_mode & FMODE_LSEEK) ||
		    !(S_ISREG(file_inode(f->file)->i_mode) ||
		      S_ISDIR(file_inode(f->file)->i_mode)))
			continue;
		pos = vfs_llseek(f->file, f->pos, SEEK_SET);
		if (pos < 0)
			return ckpt_err(ctx, (int)pos,
					"fd %u: cannot restore its offset", f->fd);
	}
	return 0;
}
