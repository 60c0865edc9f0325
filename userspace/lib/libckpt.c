// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libckpt: ioctl wrappers for /dev/ckpt.
 */
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sys/ioctl.h>

#include "ckpt.h"

#define API __attribute__((visibility("default")))

API int ckpt_dev_open(void)
{
	return open(CKPT_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

API int ckpt_get_version(int fd, struct ckpt_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return ioctl(fd, CKPT_IOC_VERSION, v);
}

API int ckpt_abi_compatible(const struct ckpt_version *v)
{
	return v->abi_major == CKPT_ABI_MAJOR;
}

API int ckpt_get_counters(int fd, struct ckpt_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	return ioctl(fd, CKPT_IOC_COUNTERS, c);
}

API int ckpt_run_selftest(int fd, unsigned int which, struct ckpt_selftest *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->which = which;
	return ioctl(fd, CKPT_IOC_SELFTEST, st);
}
