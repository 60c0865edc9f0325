/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libckpt: the userspace side of /dev/ckpt.
 *
 * Every function returns 0 (or a non-negative value) on success and -1
 * with errno set on failure.
 */
#ifndef CKPT_LIB_H
#define CKPT_LIB_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/ckpt.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens /dev/ckpt (close-on-exec). */
int ckpt_dev_open(void);

/* Fills *v (v->size is set for you). */
int ckpt_get_version(int fd, struct ckpt_version *v);

/* Whether this library can talk to the module that answered *v. */
int ckpt_abi_compatible(const struct ckpt_version *v);

/* Live object counts of the module. */
int ckpt_get_counters(int fd, struct ckpt_counters *c);

/* Runs in-kernel self-test @which (module loaded with debug=1). */
int ckpt_run_selftest(int fd, unsigned int which, struct ckpt_selftest *st);

/*
 * In-memory snapshots (see CKPT_IOC_SNAPSHOT in <linux/ckpt.h>).
 *
 * Of the calling process ("self"): ckpt_snapshot() works like setjmp(),
 * but rolling back also rewinds memory, the fd table, file offsets,
 * signal handlers and mask.  A fuzzer loop:
 *
 *	int id;
 *	if (ckpt_snapshot(&id) < 0) err(1, "snapshot");
 *	// here after every rollback: read the next input
 *	run_one_input();
 *	ckpt_rollback(id);
 *
 * The library opens /dev/ckpt once, lazily, and keeps that fd (it is in
 * every snapshot taken after).  It never loads the module: without it,
 * these fail with errno ENOENT.  Any thread may call them: the kernel
 * holds the others meanwhile, a snapshot covers every thread, and a
 * rollback puts each back where the snapshot found it (the one that took
 * it returns here); threads born since end, and one ended since makes
 * the rollback fail (EBUSY) with nothing changed.
 */

/*
 * Returns 0 when the snapshot was just taken (*id set), 1 when execution
 * comes back here through ckpt_rollback(*id) (*id set again), -1 with
 * errno on failure.
 */
int ckpt_snapshot(int *id) __attribute__((returns_twice));

/* The same, with CKPT_SNAP_* flags (CKPT_SNAP_EXIT: roll back at exit). */
int ckpt_snapshot_flags(int *id, unsigned int flags)
	__attribute__((returns_twice));

/*
 * Goes back to snapshot @id: does not return on success.  -1 with errno
 * on failure (EINVAL for an unknown id).
 */
int ckpt_rollback(int id);

/* Frees snapshot @id of the calling process. */
int ckpt_drop(int id);

/*
 * The kernel's words for the last failure of ckpt_snapshot*(),
 * ckpt_rollback() or ckpt_drop() in this thread, "" when it gave none.
 */
const char *ckpt_errmsg(void);

/*
 * Lower level, for a tool acting on another process @pid (which must be
 * ptrace-stopped for take and for a rollback without CKPT_RB_WAIT).  Each
 * sets the struct's size, returns 0, or -1 with errno and the kernel's
 * reason in out->errmsg (or @errbuf).  Use ckpt_snapshot() for the caller
 * itself: a pid 0 snapshot returns twice.
 */
int ckpt_snap_take(int fd, pid_t pid, unsigned int flags,
		   struct ckpt_snapshot *out);
int ckpt_snap_rollback(int fd, pid_t pid, unsigned int id, unsigned int flags,
		       struct ckpt_rollback *out);
int ckpt_snap_drop(int fd, pid_t pid, unsigned int id, char *errbuf,
		   size_t errlen);

/*
 * Fills up to @max entries at @v and sets *count to the number of
 * snapshots alive, which may be more than @max (call again with more).
 */
int ckpt_snap_list(int fd, pid_t pid, struct ckpt_snap_info *v,
		   unsigned int max, unsigned int *count, char *errbuf,
		   size_t errlen);

/*
 * Checkpoints to an image (see CKPT_IOC_DUMP in <linux/ckpt.h>): two
 * calls on one fd.  ckpt_dump() captures process @pid, which the caller
 * has ptrace-stopped, into *d (set whole: size, @flags CKPT_DUMP_*, the
 * image output @out_fd, a file or pipe); the process may run again as
 * soon as it returns.  ckpt_writeout() then writes the page contents,
 * with the same *d, which it updates (pages, bytes).  On failure both
 * leave the kernel's reason in d->errmsg.
 */
int ckpt_dump(int fd, pid_t pid, int out_fd, unsigned int flags,
	      struct ckpt_dump *d);
/*
 * ckpt_dump() of a process with seccomp filters, which the kernel cannot
 * read (ckpt_dump() fails with ENODATA): the caller read them with
 * PTRACE_SECCOMP_GET_FILTER and passes them as SECCOMP records (see
 * CKPT_SECCOMP_IN_MAX in <linux/ckpt.h>), @seccomp_len bytes at @seccomp.
 */
/*
 * ckpt_dump() given what the kernel cannot read itself: seccomp filters
 * as above, and the targets of the process's epolls (struct
 * ckpt_epoll_in, see CKPT_EPOLL_IN_MAX in <linux/ckpt.h>: without them a
 * process with an epoll fails with ENODATA), @nr_epoll at @epoll.
 */
int ckpt_dump_given(int fd, pid_t pid, int out_fd, unsigned int flags,
		    const void *seccomp, size_t seccomp_len,
		    const struct ckpt_epoll_in *epoll, size_t nr_epoll,
		    struct ckpt_dump *d);
int ckpt_dump_seccomp(int fd, pid_t pid, int out_fd, unsigned int flags,
		      const void *seccomp, size_t seccomp_len,
		      struct ckpt_dump *d);
int ckpt_writeout(int fd, struct ckpt_dump *d);

/*
 * Turns the calling process, fresh and single-threaded, into the one in
 * the image @image_fd (seekable), closing @close_fd (or -1) as well on
 * success; it needs a tracer, which has the registers set at the
 * syscall's exit with ckpt_restore_regs() (see CKPT_IOC_RESTORE in
 * <linux/ckpt.h>).  *r is set whole and stays where the caller put it: on
 * failure the caller is intact and the kernel's reason is in r->errmsg.
 */
int ckpt_restore(int fd, int image_fd, int close_fd, struct ckpt_restore *r);

/*
 * ckpt_restore(), and the kernel makes the caller's fds the image's as
 * well (CKPT_RESTORE_FILES): it opens the files, takes the pipes the
 * caller made from @pipe_fd on (FILE record i's end at @pipe_fd + i), and
 * closes every other fd but @image_fd and @close_fd.
 */
int ckpt_restore_files(int fd, int image_fd, int close_fd, int pipe_fd,
		       struct ckpt_restore *r);

/*
 * The tracer's half: at the syscall-exit stop of ckpt_restore() in @pid,
 * called on the same open file @fd (inherited by the child), writes the
 * image's registers and xstate into @pid.  On failure, r->errmsg says why.
 */
int ckpt_restore_regs(int fd, pid_t pid, struct ckpt_restore *r);

#ifdef __cplusplus
}
#endif

#endif /* CKPT_LIB_H */
