/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt restore: what the tool needs from an image, and the steps.
 */
#ifndef CKPT_RESTORE_H
#define CKPT_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/ckpt.h>
#include <linux/filter.h>

struct plan_vma {
	uint64_t start, end;
	uint32_t kind;
};

struct plan_file {
	struct ckpt_rec_file rec;	/* fixed part */
	char *path;			/* NULL if none */
	void *data;			/* pipe data in flight */
};

/*
 * A thread's seccomp mode and filters (SECCOMP record), ready for
 * seccomp(2): progs[] point into the plan's copy of the record, or into
 * the one its same_as names.
 */
struct plan_seccomp {
	int32_t tid;
	uint32_t mode;			/* CKPT_SECCOMP_* */
	uint32_t nr;			/* filters, oldest first */
	struct sock_fprog *progs;
	unsigned int *flags;		/* SECCOMP_FILTER_FLAG_* of each */
	void *rec;			/* the copy, NULL for same_as */
};

/* A thread but the leader: the child makes it, with this tid and name. */
struct plan_thread {
	int32_t tid;
	char comm[16];
	const struct plan_seccomp *seccomp;	/* NULL: none */
};

/* The records the tool acts on, copied out of a checked image. */
struct plan {
	struct ckpt_rec_header hdr;
	struct ckpt_rec_task task;
	char *cwd, *root;
	struct ckpt_rec_cpu cpu;
	struct ckpt_rec_sighand sighand;
	struct ckpt_rec_signal signal;
	struct ckpt_rec_mm mm;		/* without the exe path */
	void *xstate;
	uint32_t xstate_size;
	uint64_t xcr0;
	struct plan_vma *vmas;
	size_t nr_vmas;
	struct plan_file *files;
	size_t nr_files;
	struct ckpt_rec_fd *fds;
	size_t nr_fds;
	struct plan_thread *threads;	/* in image order: ascending tid */
	bool nnp_per_thread;	/* CKPT_THREAD_NNP_SAID: the kernel sets each */
	size_t nr_threads;
	struct ckpt_rec_timer *timers;	/* ascending id */
	size_t nr_timers;
	struct plan_seccomp *seccomp;	/* image order */
	size_t nr_seccomp;
	const struct plan_seccomp *leader_seccomp;	/* NULL: none */
	uint64_t nr_pages;
	uint64_t data_offset;	/* stream offset of the first PAGES, 0: none */
};

/* restore_load.c: reads and checks the image's metadata; fills @p. */
int plan_load(int fd, struct plan *p);

/* The first fd of FILE record @f in the image, for the words. */
unsigned int plan_first_fd(const struct plan *p, const struct plan_file *f);
void plan_free(struct plan *p);

/*
 * anon_files.c: the eventfd, signalfd or timerfd of FILE record @f, made
 * as it says (close-on-exec); its fd, or -1 after saying why.
 */
int anon_file_make(const struct plan_file *f);
/*
 * socket_make.c: the socket of FILE record @f, which the process had as
 * fd @fd (for the words), made, bound, listening or connected as @f says
 * (close-on-exec); its fd, or -1 after saying why.
 */
int socket_make(const struct plan_file *f, unsigned int fd);
/*
 * tcp_repair.c: TCP connection @st, whose struct ckpt_tcp_conn and queues
 * are @tail, rebuilt on new socket @s with TCP_REPAIR.  0, or -1 after
 * saying why.
 */
int tcp_conn_make(int s, const struct ckpt_file_socket *st, const void *tail,
		  unsigned int fd);
/* tcp_repair.c: and out of repair mode, once every socket is made. */
int tcp_conn_finish(int s, const struct ckpt_file_socket *st, const void *tail,
		    unsigned int fd);
/*
 * socket_make.c: the unix socketpair FILE record @i is an end of, both
 * ends left at @base + their FILE indexes (@above is free for
 * temporaries) and marked in @made.  0, or -1 after saying why.
 */
int socketpair_make(const struct plan *p, size_t i, int base, int above,
		    bool *made);
/*
 * anon_files.c, after every other file the child makes is at @base + its
 * FILE index: the epolls, there too, with their targets.  @above is free
 * for temporaries.  0, or -1 after saying why.
 */
int epolls_make(const struct plan *p, int base, int above);

/*
 * restore_child.c: in the forked child, before the restore ioctl: pipes,
 * cwd, limits, timers, identity, the vDSO's place.
 * @keep are the child's own fds (image, device) that must survive; they
 * are moved out of the way and their new numbers written back.  The
 * pipes are left from *pipe_fd on, for CKPT_RESTORE_FILES.
 * Returns 0, or -1 after printing why.
 */
int child_prepare(const struct plan *p, int *keep, size_t nr_keep, int *pipe_fd);

/*
 * restore_child.c, last before the restore ioctl: one thread per
 * p->threads entry (clone3 set_tid = its tid, unless @new_tids), each
 * named and parked in CKPT_IOC_RESTORE_THREAD on @dev.  Returns 0, or -1
 * after printing why.
 */
int child_threads(const struct plan *p, int dev, bool new_tids);

/*
 * After child_threads(): the POSIX timers, with their ids (made in order,
 * holes deleted again), targets, and time left.  0, or -1 after saying why.
 */
int child_timers(const struct plan *p);

/*
 * Last, after child_timers(): waits until every thread made its filters,
 * then makes the leader's.  The tracer has the child under
 * PTRACE_O_SUSPEND_SECCOMP (inherited by the threads, made with
 * CLONE_PTRACE), so none of them filters the restore.  0, or -1 after
 * saying why.
 */
int child_seccomp(const struct plan *p);

#endif /* CKPT_RESTORE_H */
