// SPDX-License-Identifier: GPL-2.0
/* The demo's process: counts, one line every 200 ms, forever. */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	unsigned long n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		printf("count %lu\n", n++);
		nanosleep(&ts, NULL);
	}
}
