// SPDX-License-Identifier: GPL-2.0
/*
 * Open files: one FILE record per open file description (so dup'd fds
 * keep sharing an offset) and one FD record per descriptor.
 *
 * Supported: regular files and directories (reopened by path), the
 * harmless character devices, pipes and FIFOs whose every end is in the
 * process (with the data in flight), and, for fds 0-2, whatever connects
 * the process to the outside world (a terminal, a pipe to its parent),
 * which restore reconnects to its own fd of the same number.  Anything
 * else fails the dump with the fd and its type named.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/kdev_t.h>
#include <linux/major.h>
#include <linux/magic.h>
#include <linux/pipe_fs_i.h>
#include <linux/slab.h>
#include <linux/stat.h>

#include "ctx.h"
#include "fds.h"

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

static const char *type_name(struct file *f)
{
	struct inode *inode = file_inode(f);

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
	if (inode->i_sb->s_magic == ANON_INODE_FS_MAGIC) {
		/* "[eventfd]" -> "eventfd" */
		const char *n = f->f_path.dentry->d_name.name;

		return n[0] == '[' ? n + 1 : n;
	}
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

static int emit_file(struct ckpt_ctx *ctx, struct ckpt_fds *c,
		     struct ckpt_fd *fc, bool *pipe_done)
{
	struct file *f = fc->file;
	struct inode *inode = file_inode(f);
	struct pipe_inode_info *pipe = NULL;
	const char *path = NULL;
	struct ckpt_rec_file *r;
	struct kstat st;
	size_t plen = 0, dlen = 0;
	char *data = NULL;
	u32 kind;
	int ret;

	switch (inode->i_mode & S_IFMT) {
	case S_IFREG:
		kind = CKPT_FILE_REG;
		break;
	case S_IFDIR:
		kind = CKPT_FILE_DIR;
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
	default:
		if (fc->fd <= 2 && inode->i_sb->s_magic == SOCKFS_MAGIC) {
			kind = CKPT_FILE_INHERIT;	/* e.g. an ssh session */
			break;
		}
		goto unsupported;
	}

	if (kind != CKPT_FILE_PIPE && kind != CKPT_FILE_INHERIT) {
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
		r->pos = f->f_pos;
		r->ino = st.ino;
		r->dev = new_encode_dev(st.dev);
		r->rdev = new_encode_dev(inode->i_rdev);
		/* A pipe to the outside is not carried, only reconnected. */
		r->pipe_id = kind == CKPT_FILE_PIPE || kind == CKPT_FILE_FIFO ?
			     (u32)inode->i_ino : 0;
		r->path_len = plen;
		r->data_len = dlen;
		if (plen)
			memcpy(r->data, path, plen);
		if (dlen)
			memcpy(r->data + plen, data, dlen);
	}
	kvfree(data);
	if (!r)
		return hbuf_error(&ctx->hb);
	return ckpt_rec_put(ctx, r);

unsupported:
	ctx->err_fd = fc->fd;
	return ckpt_err(ctx, -EOPNOTSUPP, "fd %u: unsupported file type: %s",
			fc->fd, type_name(f));
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
	for (i = 0; i < c.n && !ret; i++) {
		for (j = 0; j < i; j++)
			if (c.fds[j].file == c.fds[i].file)
				break;
		if (j < i) {
			c.fds[i].id = c.fds[j].id;
			continue;
		}
		c.fds[i].id = next_id++;
		/* pipe_done is per pipe: the slot of its first file. */
		for (j = 0; j < i; j++)
			if (file_inode(c.fds[j].file) == file_inode(c.fds[i].file))
				break;
		ret = emit_file(ctx, &c, &c.fds[i], &pipe_done[j]);
	}
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
