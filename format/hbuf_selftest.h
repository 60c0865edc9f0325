/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_HBUF_SELFTEST_H
#define CKPT_HBUF_SELFTEST_H

#include "hbuf.h"

struct selftest_result {
	unsigned int passed;
	unsigned int failed;
	char msg[128];		/* the first failure */
};

/*
 * The hbuf tests, shared by the module (debug ioctl) and the host unit
 * test.  @scratch is a caller-provided buffer of at least
 * HBUF_SELFTEST_SCRATCH bytes (vmalloc'd in the kernel).
 */
#define HBUF_SELFTEST_CHUNK	(64UL << 10)
#define HBUF_SELFTEST_SCRATCH	(8UL << 20)

void hbuf_selftest(struct selftest_result *r, u8 *scratch);

#endif /* CKPT_HBUF_SELFTEST_H */
