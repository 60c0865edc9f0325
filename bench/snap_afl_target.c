// SPDX-License-Identifier: GPL-2.0
/*
 * A small AFL++ target for bench/snap-guest.sh, built with afl-clang-fast:
 * reads stdin, branches on the bytes, and writes a few pages of a 1 MiB
 * global table and of a heap block (so each run dirties some memory the
 * next run must not see).  The same binary runs under afl-fuzz's fork
 * server and in snapshot mode (/dev/afl_snapshot).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PG	4096

static unsigned char table[1 << 20];	/* 256 pages */

int main(void)
{
	unsigned char buf[1024];
	unsigned int i, sum = 0;
	unsigned char *heap;
	ssize_t n = read(0, buf, sizeof(buf));

	if (n <= 0)
		return 0;
	heap = malloc(64 * PG);
	if (!heap)
		return 1;
	memcpy(heap + (buf[0] & 63) * PG, buf, n);
	/* one to four pages of the table, chosen by the input */
	for (i = 0; i < (unsigned int)n && i < 4; i++)
		table[buf[i] * PG + i] ^= buf[i];
	if (n > 4 && buf[0] == 'F') {
		if (buf[1] == 'U') {
			if (buf[2] == 'Z') {
				if (buf[3] == 'Z')
					puts("deep");
				sum += 3;
			}
			sum += 2;
		}
		sum++;
	}
	for (i = 0; i < (unsigned int)n; i++) {
		if (buf[i] < 0x20)
			sum += 1;
		else if (buf[i] < 0x80)
			sum += 2;
		else
			sum += 3;
	}
	if (sum == 0x1234)
		table[0] = 1;
	free(heap);
	return 0;
}
