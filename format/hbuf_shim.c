// SPDX-License-Identifier: GPL-2.0
/*
 * What format/hbuf.c needs from its host when it is built into userspace
 * (the tool, the unit tests, the fuzzer): chunk memory and accounting.
 */
#include <stdlib.h>

#include "hbuf.h"

static long live_chunks, live_bytes;

void *shim_vmalloc(size_t size)
{
	return malloc(size);
}

void shim_vfree(void *p)
{
	free(p);
}

void hbuf_account(long chunks, long bytes)
{
	live_chunks += chunks;
	live_bytes += bytes;
}

void hbuf_shim_live(long *chunks, long *bytes)
{
	*chunks = live_chunks;
	*bytes = live_bytes;
}
