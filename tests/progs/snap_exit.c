// SPDX-License-Identifier: GPL-2.0
/*
 * Exit-time rollback: with a CKPT_SNAP_EXIT snapshot, exit() and
 * exit_group() roll the process back to the snapshot instead of ending it.
 *
 *   snap_exit N     N exits rolled back, each after changing memory, an fd
 *                   and the signal mask; then the snapshot is dropped and
 *                   the last exit(0) is real.
 *   snap_exit vfork a vfork child's _exit() is its own, not a rollback
 *
 * The run count lives in MAP_SHARED memory: the only memory rollback does
 * not rewind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ckpt.h"

static unsigned char region[64 * 4096];
static int snap_id;

/* A failing exit would be rolled back too: drop the snapshot first. */
static void fail(const char *why, int runs)
{
	printf("FAIL: %s (after %d exits)\n", why, runs);
	ckpt_drop(snap_id);
	_exit(1);
}

static int fd_count(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static int test_vfork(void)
{
	int id, st, r;
	pid_t c;

	r = ckpt_snapshot_flags(&id, CKPT_SNAP_EXIT);
	if (r) {
		printf("FAIL: snapshot: %d %s %s\n", r, strerror(errno), ckpt_errmsg());
		return 1;
	}
	c = vfork();
	if (!c)
		_exit(7);
	if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 7) {
		printf("FAIL: vfork child status %#x\n", st);
		return 1;
	}
	if (ckpt_drop(id)) {
		printf("FAIL: drop: %s\n", strerror(errno));
		return 1;
	}
	printf("PASS\n");
	return 0;
}

int main(int argc, char **argv)
{
	volatile int *runs;
	int n, id, r;
	sigset_t set, now;
	size_t i;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && !strcmp(argv[1], "vfork"))
		return test_vfork();
	n = argc > 1 ? atoi(argv[1]) : 100;
	runs = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (runs == MAP_FAILED)
		return 1;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_SETMASK, &set, NULL);
	r = ckpt_snapshot_flags(&id, CKPT_SNAP_EXIT);
	if (r < 0) {
		printf("FAIL: snapshot: %s: %s\n", strerror(errno), ckpt_errmsg());
		return 1;
	}
	snap_id = id;
	/* The library's /dev/ckpt fd is open from here on: count it. */
	if (r == 0)
		runs[1] = fd_count();
	else
		(*runs)++;
	for (i = 0; i < sizeof(region); i++)
		if (region[i])
			fail("memory not rolled back", *runs);
	sigprocmask(SIG_SETMASK, NULL, &now);
	if (fd_count() != runs[1])
		fail("fds opened since the snapshot are still open", *runs);
	if (!sigismember(&now, SIGUSR2) || sigismember(&now, SIGUSR1))
		fail("the signal mask not rolled back", *runs);
	if (*runs >= n) {
		if (ckpt_drop(id))
			fail("drop failed", *runs);
		printf("PASS: %d exits rolled back\n", *runs);
		exit(0);
	}
	memset(region + (*runs % 64) * 4096, 0xee, 4096);
	if (open("/dev/null", O_RDONLY) < 0)
		_exit(1);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* Both ways out: exit() (atexit, stdio) and the raw exit_group(). */
	if (*runs % 2)
		exit(3);
	syscall(SYS_exit_group, 4);
	return 5;
}
