// SPDX-License-Identifier: GPL-2.0
/*
 * workload MIB: a process holding MIB MiB of private anonymous memory,
 * every page written with non-zero data (nothing an image could skip),
 * then idle.  Prints "ready" when the memory is filled.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t len, i;
	uint64_t *p, x = 88172645463325252ULL;

	if (argc != 2)
		return 2;
	len = strtoul(argv[1], NULL, 0) << 20;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x | 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
