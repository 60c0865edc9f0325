// SPDX-License-Identifier: GPL-2.0
/*
 * Host run of the hbuf self-test (format/hbuf_selftest.c), built with
 * AddressSanitizer, plus the global accounting that the module keeps in
 * debugfs: every chunk allocated must be freed.
 */
#include <stdlib.h>

#include "hbuf_selftest.h"

static long live_chunks, live_bytes;

void hbuf_account(long chunks, long bytes)
{
	live_chunks += chunks;
	live_bytes += bytes;
}

void *shim_vmalloc(size_t size)
{
	return malloc(size);
}

void shim_vfree(void *p)
{
	free(p);
}

int main(void)
{
	struct selftest_result r;
	u8 *scratch = malloc(HBUF_SELFTEST_SCRATCH);
	int bad = 0;

	if (!scratch)
		return 2;
	hbuf_selftest(&r, scratch);
	free(scratch);
	if (r.failed) {
		printf("FAIL: unit/hbuf: %u of %u checks failed, first: %s\n",
		       r.failed, r.passed + r.failed, r.msg);
		bad = 1;
	} else {
		printf("PASS: unit/hbuf (%u checks)\n", r.passed);
	}
	if (live_chunks || live_bytes) {
		printf("FAIL: unit/hbuf-accounting: %ld chunks, %ld bytes live\n",
		       live_chunks, live_bytes);
		bad = 1;
	} else {
		printf("PASS: unit/hbuf-accounting\n");
	}
	return bad;
}
