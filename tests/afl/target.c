// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzz target for AFL++: it crashes on inputs that start with "FUZZ".
 * The seed is "FUZY", two adjacent bits away, so afl-fuzz -D finds the
 * crash in its deterministic bit-flip stage, whatever the machine's speed.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch[1 << 20];

int main(void)
{
	char buf[256];
	ssize_t n = read(0, buf, sizeof(buf));
	char *p;

	if (n <= 0)
		return 0;
	p = malloc(4096);
	memcpy(p, buf, (size_t)n);
	memset(scratch + (unsigned char)buf[0] * 4096, buf[0], 4096);
	if (n >= 4 && buf[0] == 'F' && buf[1] == 'U' && buf[2] == 'Z' &&
	    buf[3] == 'Z')
		abort();
	free(p);
	return 0;
}
