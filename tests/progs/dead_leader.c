// SPDX-License-Identifier: GPL-2.0
/*
 * A process whose main thread has ended (pthread_exit) while another
 * thread runs on: the leader is a zombie, which ckpt refuses in words.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *run(void *arg)
{
	(void)arg;
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, run, NULL))
		return 1;
	pthread_exit(NULL);
}
