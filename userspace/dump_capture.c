// SPDX-License-Identifier: GPL-2.0
/*
 * One CKPT_IOC_DUMP of a stopped process, given what the kernel cannot
 * read itself: its epolls' targets (epoll_read.c), always, and its seccomp
 * filters (seccomp_read.c) once the kernel has found any (ENODATA).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

int dump_capture(int dev, pid_t pid, int out, unsigned int flags,
		 struct ckpt_dump *d, bool *uses_seccomp)
{
	struct ckpt_epoll_in *ep = NULL;
	size_t len = 0, nr_ep = 0;
	void *recs = NULL;
	int ret, err;

	if (epoll_read(pid, &ep, &nr_ep)) {
		memset(d, 0, sizeof(*d));
		errno = EOPNOTSUPP;
		return -2;
	}
	if (!*uses_seccomp) {
		ret = ckpt_dump_given(dev, pid, out, flags, NULL, 0, ep, nr_ep, d);
		if (!ret || errno != ENODATA)
			goto out;
		/* The kernel found filters: it needs them read. */
		*uses_seccomp = true;
	}
	if (seccomp_read(pid, &recs, &len)) {
		memset(d, 0, sizeof(*d));
		errno = EOPNOTSUPP;
		ret = -2;
		goto out;
	}
	ret = ckpt_dump_given(dev, pid, out, flags, recs, len, ep, nr_ep, d);
out:
	err = errno;
	free(recs);
	free(ep);
	errno = err;
	return ret;
}
