// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm: threads born and ending all the time, so that the freeze catches
 * some inside clone() and some just born.  Two spawner threads each make
 * and join short-lived workers in a loop; each worker adds its number to
 * a sum.  After the restore the churn goes on, and the sum is exactly what
 * the joined workers added (no worker lost, none run twice).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "zdtm.h"

static atomic_ulong sum, made;
static volatile int stop;

static void *worker(void *arg)
{
	atomic_fetch_add(&sum, (unsigned long)arg);
	return NULL;
}

static void *spawner(void *arg)
{
	unsigned long i, *joined = arg;
	pthread_t t;

	for (i = 1; !stop; i++) {
		if (pthread_create(&t, NULL, worker, (void *)i))
			zdtm_fail("pthread_create: %s", strerror(errno));
		atomic_fetch_add(&made, 1);
		pthread_join(t, NULL);
		*joined += i;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	unsigned long joined[2] = { 0, 0 }, m0;
	pthread_t s[2];
	sigset_t set;
	int i;

	zdtm_init(&argc, argv);
	/* SIGUSR1 is main's: every other thread blocks it. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < 2; i++)
		pthread_create(&s[i], NULL, spawner, &joined[i]);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (atomic_load(&made) < 20)
		nanosleep(&ts, NULL);
	zdtm_ready();
	zdtm_wait();
	m0 = atomic_load(&made);
	nanosleep(&ts, NULL);
	CHECK(atomic_load(&made) > m0, "no thread was made after the restore (%lu)",
	      m0);
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(s[i], NULL);
	CHECK(atomic_load(&sum) == joined[0] + joined[1],
	      "the workers added %lu, the joined ones %lu",
	      atomic_load(&sum), joined[0] + joined[1]);
	zdtm_pass();
}
