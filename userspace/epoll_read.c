// SPDX-License-Identifier: GPL-2.0
/*
 * The targets of a stopped process's epolls, for CKPT_IOC_DUMP (struct
 * ckpt_epoll_in).  An epoll's fdinfo names each target by the fd it was
 * added with; that fd may have been closed or dup'd since, and every
 * anonymous-inode file shows the same inode, so each target's file is
 * found by kcmp(KCMP_EPOLL_TFD) among the process's fds: the fd it was
 * added with first, which nearly always is it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kcmp.h>

#include "tool.h"

struct ep_buf {
	struct ckpt_epoll_in *v;
	size_t n, cap;
};

static bool is_epoll(pid_t pid, int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, "anon_inode:[eventpoll]");
}

/* Is the toff-th target added as @tfd to epoll @epfd the file at @fd? */
static bool same_target(pid_t pid, int fd, int epfd, int tfd, int toff)
{
	struct kcmp_epoll_slot slot = {
		.efd = (__u32)epfd, .tfd = (__u32)tfd, .toff = (__u32)toff,
	};

	return syscall(SYS_kcmp, pid, pid, KCMP_EPOLL_TFD, fd, &slot) == 0;
}

static int add_target(struct ep_buf *b, const struct ckpt_epoll_in *e)
{
	struct ckpt_epoll_in *nv;

	if (b->n == b->cap) {
		nv = realloc(b->v, (b->cap ? 2 * b->cap : 64) * sizeof(*nv));
		if (!nv) {
			errmsg("out of memory");
			return -1;
		}
		b->v = nv;
		b->cap = b->cap ? 2 * b->cap : 64;
	}
	b->v[b->n++] = *e;
	return 0;
}

static int read_epoll(pid_t pid, int epfd, const int *fds, size_t nr_fds,
		      struct ep_buf *b)
{
	struct ckpt_epoll_in e = { .epfd = epfd };
	size_t first = b->n, i;
	unsigned long long data;
	char path[64], line[256];
	int toff, ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, epfd);
	f = fopen(path, "re");
	if (!f) {
		errmsg("process %d: fd %d: epoll: cannot read its fdinfo: %s",
		       pid, epfd, strerror(errno));
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "tfd: %d events: %x data: %llx", &e.tfd,
			   &e.events, &data) != 3)
			continue;
		e.data = data;
		/* kcmp counts the targets added under one fd in this order. */
		toff = 0;
		for (i = first; i < b->n; i++)
			toff += b->v[i].tfd == e.tfd;
		e.target_fd = -1;
		if (same_target(pid, e.tfd, epfd, e.tfd, toff))
			e.target_fd = e.tfd;
		for (i = 0; i < nr_fds && e.target_fd < 0; i++)
			if (same_target(pid, fds[i], epfd, e.tfd, toff))
				e.target_fd = fds[i];
		if (e.target_fd < 0) {
			errmsg("process %d: fd %d: epoll: target fd %d is no open fd of the process any more (closed, its file open elsewhere)",
			       pid, epfd, e.tfd);
			ret = -1;
			break;
		}
		ret = add_target(b, &e);
	}
	fclose(f);
	return ret;
}

int epoll_read(pid_t pid, struct ckpt_epoll_in **targets, size_t *nr)
{
	struct ep_buf b = { 0 };
	size_t nr_fds = 0, i;
	int *fds, ret = 0;

	*targets = NULL;
	*nr = 0;
	fds = proc_ids(pid, "fd", &nr_fds);
	if (!fds) {
		errmsg("process %d: cannot list its fds: %s", pid, strerror(errno));
		return -1;
	}
	for (i = 0; i < nr_fds && !ret; i++)
		if (is_epoll(pid, fds[i]))
			ret = read_epoll(pid, fds[i], fds, nr_fds, &b);
	free(fds);
	if (ret) {
		free(b.v);
		return -1;
	}
	*targets = b.v;
	*nr = b.n;
	return 0;
}
