// SPDX-License-Identifier: GPL-2.0
/*
 * File-backed and shared memory: a private file mapping (changed pages
 * stored, clean pages from the file), a shared file mapping (still backed
 * by the file after restore), shared anonymous memory (contents stored,
 * still shared), and a vDSO call after restore.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtm.h"

#define NP	16
#define PS	4096

int main(int argc, char **argv)
{
	unsigned char *priv, *shf, *sha, page[PS];
	struct timespec t0, t1;
	int fd, fs, i, st;
	pid_t c;

	zdtm_init(&argc, argv);
	fd = open("private.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
	fs = open("shared.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && fs >= 0, "open");
	for (i = 0; i < NP; i++) {
		memset(page, 'a' + i, PS);
		CHECK(write(fd, page, PS) == PS && write(fs, page, PS) == PS, "write");
	}
	priv = mmap(NULL, NP * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	shf = mmap(NULL, NP * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fs, 0);
	sha = mmap(NULL, NP * PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(priv != MAP_FAILED && shf != MAP_FAILED && sha != MAP_FAILED, "mmap");
	close(fd);
	close(fs);
	/* Even pages of the private mapping changed: those are the process's. */
	for (i = 0; i < NP; i += 2)
		memset(priv + i * PS, 'A' + i, PS);
	memset(shf + 3 * PS, 'S', PS);
	for (i = 0; i < NP; i++)
		memset(sha + i * PS, 0x40 + i, PS);
	CHECK(!clock_gettime(CLOCK_MONOTONIC, &t0), "clock_gettime");

	zdtm_ready();
	zdtm_wait();

	for (i = 0; i < NP; i++)
		CHECK(priv[i * PS] == (i % 2 ? 'a' + i : 'A' + i) &&
		      priv[i * PS + PS - 1] == priv[i * PS],
		      "private file page %d: %c", i, priv[i * PS]);
	CHECK(shf[3 * PS] == 'S' && shf[4 * PS] == 'a' + 4, "shared file contents");
	/* Still the file: a write through the mapping reaches it. */
	shf[5 * PS] = 'W';
	CHECK(!msync(shf, NP * PS, MS_SYNC), "msync");
	fs = open("shared.dat", O_RDONLY);
	CHECK(fs >= 0 && pread(fs, page, 1, 5 * PS) == 1 && page[0] == 'W',
	      "the shared mapping is not backed by its file any more");
	for (i = 0; i < NP; i++)
		CHECK(sha[i * PS] == 0x40 + i, "shared anonymous page %d", i);
	/* Still shared: a child's write shows here. */
	c = fork();
	CHECK(c >= 0, "fork: %s", strerror(errno));
	if (c == 0) {
		sha[0] = 0x7f;
		_exit(0);
	}
	CHECK(zdtm_waitpid(c, &st) == c && WIFEXITED(st) && !WEXITSTATUS(st),
	      "the child writing shared memory: status %#x", st);
	CHECK(sha[0] == 0x7f, "shared anonymous memory is not shared any more");
	/* The vDSO still answers, and time went on. */
	CHECK(!clock_gettime(CLOCK_MONOTONIC, &t1) &&
	      (t1.tv_sec > t0.tv_sec || (t1.tv_sec == t0.tv_sec && t1.tv_nsec >= t0.tv_nsec)),
	      "clock_gettime after restore");
	zdtm_pass();
}
