/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An fd table: each fd with its open file referenced.  Collected from a
 * task by dumps and snapshots (fds.c); made into current's table by the
 * one fd installer, ckpt_files_apply() (files.c), for rollback (the
 * snapshot's held table) and for restore (the table files.c opens from an
 * image before the point of no return).
 */
#ifndef CKPT_FDS_H
#define CKPT_FDS_H

#include <linux/types.h>

#include "apply.h"

struct ckpt_ctx;
struct ckpt_file_eventfd;
struct ckpt_image;
struct file;
struct files_struct;
struct sock;
struct task_struct;

struct ckpt_fd {
	unsigned int fd;
	bool cloexec;
	struct file *file;	/* referenced */
	u32 id;			/* dump: FILE record id, 1-based */
	bool held;		/* dump: a TCP connection, its peer held off */
	loff_t pos;		/* apply: the offset, if it has one */
};

struct ckpt_fds {
	struct files_struct *files;
	struct ckpt_fd *fds;	/* in fd order */
	unsigned int n, max;
	/*
	 * Apply: the fds it closes and the numbers it reserves, sized with
	 * the table so that applying allocates nothing.
	 */
	unsigned int *scratch;
	unsigned long cap_scratch;
	/* REBUILD: the restorer's own fds, left open (or -1). */
	int keep[2];
};

/*
 * Collects @t's fds into @c (allocated here; free with ckpt_fds_release()).
 * @t must not change its table meanwhile: stopped, or current.
 */
int ckpt_fds_collect(struct ckpt_ctx *ctx, struct task_struct *t,
		     struct ckpt_fds *c);
/* Drops the files and frees the table; @c is empty after it. */
void ckpt_fds_release(struct ckpt_fds *c);

/* files.c (and ckpt_files_capture(), ctx.h, for dumps) */

/* Snapshot: @t's table into @c, with the offsets, ready to apply. */
int ckpt_files_hold(struct ckpt_ctx *ctx, struct task_struct *t,
		    struct ckpt_fds *c);
/*
 * Restore, before the point of no return: the image's table opened into
 * @c, nothing changed.  Files are opened by path; pipes are taken from
 * the caller, FILE record i's at fd @pipe_fd + i; an inherited fd is the
 * caller's own of that number.  @img_fd and @dev_fd stay open.
 */
int ckpt_files_prepare(struct ckpt_ctx *ctx, const struct ckpt_image *img,
		       int pipe_fd, int img_fd, int dev_fd, struct ckpt_fds *c);
/*
 * Makes current's fd table exactly @c: fds not in it are closed (but for
 * REBUILD, c->keep), missing ones installed at their numbers, then every
 * fd gets its close-on-exec and regular files and directories their
 * offsets.  Current must have one thread: nobody else sees the table
 * while numbers are reserved.
 */
int ckpt_files_apply(struct ckpt_ctx *ctx, struct ckpt_fds *c,
		     enum ckpt_apply_mode mode);

/*
 * eventfd.c: the count and flags of eventfd @f (fd @fd) into @st; -ENOENT
 * if @f is not an eventfd, another error said in @ctx.
 */
int ckpt_eventfd_state(struct ckpt_ctx *ctx, struct file *f, unsigned int fd,
		       struct ckpt_file_eventfd *st);

/* fdinfo.c: anonymous-inode files read through their fdinfo. */
char *ckpt_fdinfo_read(struct file *f);
int ckpt_fdinfo_field(const char *info, const char *key, const char *fmt,
		      void *val);
bool ckpt_anon_file_is(struct file *f, const char *name);
int ckpt_anon_state(struct ckpt_ctx *ctx, struct file *f, unsigned int fd,
		    u32 *kind, void *st, size_t *len);

/*
 * epoll.c: the targets of epoll @fc as FILE data (kvmalloc'd, by FILE id:
 * @c's ids must be set), -ENOENT if it is not an epoll; and, after the
 * files, that every target the caller gave was some epoll's.
 */
int ckpt_epoll_state(struct ckpt_ctx *ctx, const struct ckpt_fds *c,
		     const struct ckpt_fd *fc, char **data, size_t *len);
int ckpt_epoll_all_used(struct ckpt_ctx *ctx);

/*
 * socket.c: the state of socket @f (fd @fd) into @st, in @path the file a
 * unix socket is bound to, in @pair_id the pipe_id of a socketpair whose
 * other end is among @c and in @data (kvmalloc'd) the bytes waiting in a
 * stream one; -ENOENT if @f is not a socket, another
 * error said in @ctx.  At restore, whether @f is the socket of FILE
 * record @r.
 */
/* A socket's state as its FILE record carries it, before any bytes. */
struct ckpt_sock_rec {
	struct ckpt_file_socket st;
	struct ckpt_sock_opts opts;	/* CKPT_SOCK_OPTS: always written */
};

int ckpt_tcp_hold_peers(struct ckpt_ctx *ctx, struct ckpt_fds *c);
int ckpt_socket_state(struct ckpt_ctx *ctx, const struct ckpt_fds *c,
		      const struct ckpt_fd *fc, struct ckpt_sock_rec *rec,
		      const char **path, u32 *pair_id, u8 **data,
		      size_t *data_len);
bool ckpt_socket_is(const struct ckpt_rec_file *r, struct file *f);

/*
 * tcp_conn.c: established TCP socket @sk as a struct ckpt_tcp_conn and its
 * queues' bytes, kvmalloc'd in @data, for a final dump (an error said in
 * @ctx, after @words); at restore, whether @sk is that connection rebuilt.
 */
int ckpt_tcp_conn_read(struct ckpt_ctx *ctx, struct sock *sk,
		       const char *words, u8 **data, size_t *len);
bool ckpt_tcp_conn_is(struct sock *sk, const struct ckpt_tcp_conn *t);

/*
 * netlock.c: the peers of TCP connections that move out of the process
 * held off (their packets dropped) from the dump's capture until a
 * restore takes each again, its file @owner closed with the process gone
 * plus netlock_secs, or at once if it lives on.
 */
bool ckpt_tcp_peer_outside(const struct ckpt_fds *c, struct sock *sk);
int ckpt_netlock_add(const void *owner, struct task_struct *task,
		     struct sock *sk);
void ckpt_netlock_settle(const void *owner);
void ckpt_netlock_release(void);
void ckpt_netlock_exit(void);

#endif /* CKPT_FDS_H */
