// SPDX-License-Identifier: GPL-2.0
/* A process with a second thread, for the "not supported yet" checks. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, idle, NULL))
		return 1;
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("ready\n");
	for (;;)
		pause();
}
