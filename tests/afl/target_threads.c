// SPDX-License-Identifier: GPL-2.0
/*
 * A multi-threaded fuzz target for AFL++: each run starts a thread that
 * copies the input and is never joined, so the process exits with two
 * threads.  The exit-time rollback of AFL's snapshot must end that thread
 * (it was born since the snapshot) and take the process back; a thread
 * left over would pile up one per run.  It crashes on inputs that start
 * with "FUZZ", as target.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char copy[256];
static volatile int copied;

static void *worker(void *arg)
{
	memcpy(copy, arg, sizeof(copy));
	copied = 1;
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	char buf[256] = { 0 };
	ssize_t n = read(0, buf, sizeof(buf));
	pthread_t t;

	if (n <= 0)
		return 0;
	if (pthread_create(&t, NULL, worker, buf))
		abort();
	while (!copied)
		usleep(100);
	if (n >= 4 && copy[0] == 'F' && copy[1] == 'U' && copy[2] == 'Z' &&
	    copy[3] == 'Z')
		abort();
	return 0;
}
