// SPDX-License-Identifier: GPL-2.0
/*
 * threads_workload MIB N: MIB MiB of touched anonymous memory and N
 * threads (the main one included), each waking every 100 ms to bump its
 * own counter.  Prints "ready" once all run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long counters[4096];

static void *run(void *arg)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	long i = (long)arg;

	for (;;) {
		counters[i % 4096]++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
	long n = argc > 2 ? strtol(argv[2], NULL, 0) : 1, i;
	pthread_attr_t attr;
	pthread_t t;
	char *mem;

	mem = malloc(mib << 20);
	if (!mem)
		return 1;
	for (i = 0; i < (long)(mib << 20); i += 4096)
		mem[i] = (char)i | 1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 1; i < n; i++)
		if (pthread_create(&t, &attr, run, (void *)i))
			return 1;
	printf("ready\n");
	fflush(stdout);
	run(0);
}
