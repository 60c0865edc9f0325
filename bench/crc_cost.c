// SPDX-License-Identifier: GPL-2.0
/*
 * crc_cost MIB: how long the image's CRC32C (the module's own code, built
 * for userspace) and a plain memcpy take over MIB of data, in ms, as
 * "crc32c_ms MIB N" and "memcpy_ms MIB N" lines.  Every image byte is
 * CRC'd at writeout, and TCG emulates the crc32 instruction far more
 * slowly than it runs moves, so this tells how much of a dump's time
 * under TCG is that emulation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crc32c.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 0, n = mib << 20, i;
	volatile unsigned int sink;
	char *a, *b;
	double t;

	a = malloc(n);
	b = malloc(n);
	if (!mib || !a || !b)
		return 1;
	for (i = 0; i < n; i += 64)
		a[i] = (char)(i / 4096 * 7 + 1);
	memset(b, 1, n);
	t = now_ms();
	sink = ckpt_crc32c(0, a, n);
	printf("crc32c_ms %zu %.0f\n", mib, now_ms() - t);
	t = now_ms();
	memcpy(b, a, n);
	sink = b[n / 2];
	printf("memcpy_ms %zu %.0f\n", mib, now_ms() - t);
	(void)sink;
	return 0;
}
