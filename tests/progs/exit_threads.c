// SPDX-License-Identifier: GPL-2.0
/*
 * A process that ends with exit() while its threads still run, as xz and
 * many programs do: exit_group() kills the threads, and the leader's exit
 * is reported to a tracer only once each of them has been reaped.  A
 * checkpointer that stops the process then must reap the threads while it
 * waits, or it waits for the leader forever.
 *
 *   exit_threads MIB NTHREADS MS
 *
 * Touches MIB MiB (a large memory makes the exit slow, so a capture falls
 * into it often), starts NTHREADS threads that each touch a share of it and
 * wait, sleeps MS ms and exits 0.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static char *mem;
static size_t share;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *worker(void *arg)
{
	size_t i = (size_t)arg;

	memset(mem + i * share, (int)i + 1, share);
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec ts;
	pthread_t pt;
	size_t size, i, n;
	long ms;

	if (argc != 4) {
		fprintf(stderr, "usage: exit_threads MIB NTHREADS MS\n");
		return 2;
	}
	size = strtoul(argv[1], NULL, 0) << 20;
	n = strtoul(argv[2], NULL, 0);
	ms = strtol(argv[3], NULL, 0);
	if (!n || !size)
		return 2;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 2;
	share = size / n;
	for (i = 0; i < n; i++)
		if (pthread_create(&pt, NULL, worker, (void *)i))
			return 2;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = ms % 1000 * 1000000;
	nanosleep(&ts, NULL);
	exit(0);
}
