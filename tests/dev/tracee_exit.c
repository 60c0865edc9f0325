// SPDX-License-Identifier: GPL-2.0
/*
 * The tool's stop helper (userspace/ptrace_stop.c) against a process that
 * is exiting with its threads: exit_group() has killed them, they are
 * zombies no one has reaped yet, and the leader's exit is reported only
 * once they are.  tracee_stop() must reap them and report the exit; a stop
 * that waits for the leader alone waits forever (the alarm ends it, and
 * the test fails).  That is the moment `ckpt run --every` hits when a
 * capture falls into the exit of xz, whose threads run until exit().
 *
 *   tracee_exit [NTHREADS]	(default 4): prints PASS or FAIL: why
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ptrace_stop.h"
#include "tool.h"

int tool_errfd = 2;

void errmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void child(int nr, int ready, int go)
{
	pthread_t pt;
	char c = 0;
	int i;

	for (i = 0; i < nr; i++)
		if (pthread_create(&pt, NULL, idle, NULL))
			_exit(3);
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		_exit(3);
	exit(0);	/* exit_group(): the threads still run */
}

/* Tasks of @pid in state Z, and all of them. */
static int zombies(pid_t pid, int *all)
{
	char path[320], buf[512], *p;
	struct dirent *d;
	int z = 0;
	DIR *dir;
	FILE *f;

	*all = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid,
			 d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		buf[fread(buf, 1, sizeof(buf) - 1, f)] = 0;
		fclose(f);
		(*all)++;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'Z')
			z++;
	}
	closedir(dir);
	return z;
}

int main(int argc, char **argv)
{
	int nr = argc > 1 ? atoi(argv[1]) : 4, ready[2], go[2], z, all, i;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct tracee t = { 0 };
	char c = 0;
	pid_t pid;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (nr < 1 || pipe(ready) || pipe(go))
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (!pid)
		child(nr, ready[1], go[0]);
	if (read(ready[0], &c, 1) != 1) {
		printf("FAIL: the child did not start its threads\n");
		return 1;
	}
	if (tracee_seize(&t, pid, 0)) {
		printf("FAIL: cannot seize the child\n");
		return 1;
	}
	if (t.nr_thr != (unsigned int)nr + 1) {
		printf("FAIL: seized %u threads, not %d\n", t.nr_thr, nr + 1);
		return 1;
	}
	if (write(go[1], &c, 1) != 1)
		return 2;
	/* Every task a zombie, the threads unreaped: the exit is under way. */
	for (i = 0; i < 1000; i++) {
		z = zombies(pid, &all);
		if (z == nr + 1 && all == nr + 1)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == 1000) {
		printf("FAIL: the child's %d tasks are not all zombies (%d are)\n",
		       all, z);
		return 1;
	}
	printf("%d tasks exited, none reaped; stopping the process\n", all);
	alarm(10);
	switch (tracee_stop(&t)) {
	case 1:
		break;
	case 0:
		printf("FAIL: tracee_stop() held a process that has exited\n");
		return 1;
	default:
		printf("FAIL: tracee_stop() failed\n");
		return 1;
	}
	if (!WIFEXITED(t.status) || WEXITSTATUS(t.status)) {
		printf("FAIL: exit status %#x, not 0\n", t.status);
		return 1;
	}
	if (waitpid(pid, NULL, WNOHANG) != -1 || errno != ECHILD) {
		printf("FAIL: the child is still there to reap\n");
		return 1;
	}
	printf("PASS\n");
	return 0;
}
