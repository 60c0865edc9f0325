// SPDX-License-Identifier: GPL-2.0
/*
 * gen_text BYTES [SEED]: deterministic text-like data on stdout, for the
 * real-program tests (xz, sort): words from a small vocabulary, lines of
 * varied length, so that it compresses and sorts like text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const words[] = {
	"checkpoint", "restore", "thread", "process", "memory", "page",
	"kernel", "module", "signal", "register", "image", "stream", "the",
	"a", "of", "and", "to", "in", "is", "it", "copy", "write", "read",
	"tree", "socket", "timer", "futex", "mutex", "lock", "stack", "heap",
	"file", "pipe", "descriptor", "map", "table", "entry", "zero", "one",
};

int main(int argc, char **argv)
{
	unsigned long long left = argc > 1 ? strtoull(argv[1], NULL, 0) : 1 << 20;
	uint64_t x = argc > 2 ? strtoull(argv[2], NULL, 0) : 88172645463325252ULL;
	static char buf[1 << 16];
	size_t n = 0, w;
	const char *s;

	while (left) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s = words[x % (sizeof(words) / sizeof(words[0]))];
		w = strlen(s);
		memcpy(buf + n, s, w);
		n += w;
		buf[n++] = (x >> 32) % 9 ? ' ' : '\n';
		if ((x >> 40) % 13 == 0)
			n += sprintf(buf + n, "%u ", (unsigned int)(x >> 44) % 100000);
		if (n + 32 > sizeof(buf) || n >= left) {
			w = n < left ? n : left;
			if (fwrite(buf, 1, w, stdout) != w)
				return 1;
			left -= w;
			n = 0;
		}
	}
	return 0;
}
