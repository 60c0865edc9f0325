// SPDX-License-Identifier: GPL-2.0
/*
 * kill_log FILE [MIB]: counts 0, 1, 2, ... as fast as it can, and writes
 * each number as a line to FILE (O_APPEND) and then to stdout (a pipe the
 * test reads).  With MIB, first fills that much memory with a pattern,
 * so that an image of it is large and its writeout slow.
 *
 * Any instruction run after the instant of a `--kill` dump shows up as a
 * number written twice: once by the dumped process, once by the restored
 * one.  The test reads both logs for that, and for gaps.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void put(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n <= 0)
			exit(1);
		buf += n;
		len -= n;
	}
}

int main(int argc, char **argv)
{
	unsigned long long n;
	char line[32];
	size_t mib, i;
	int fd, len;
	char *mem;

	if (argc < 2)
		return 2;
	mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
	if (mib) {
		mem = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			return 1;
		for (i = 0; i < mib << 20; i += 64)
			mem[i] = (char)(i / 4096 * 7 + 1);
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		return 1;
	for (n = 0; ; n++) {
		len = snprintf(line, sizeof(line), "%llu\n", n);
		put(fd, line, len);
		put(STDOUT_FILENO, line, len);
	}
}
