/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libckpt: the userspace side of /dev/ckpt.
 *
 * Every function returns 0 (or a non-negative value) on success and -1
 * with errno set on failure.
 */
#ifndef CKPT_LIB_H
#define CKPT_LIB_H

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

#ifdef __cplusplus
}
#endif

#endif /* CKPT_LIB_H */
