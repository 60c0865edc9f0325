// SPDX-License-Identifier: GPL-2.0
/*
 * A process under a seccomp filter (allow-all): a dump must refuse it.
 * "thread": only a second thread has the filter (seccomp filters are per
 * thread without TSYNC), so the leader alone would look clean.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/prctl.h>

#include "zdtm.h"

static sem_t filtered;

static void install(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };

	CHECK(!prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
	CHECK(!prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), "seccomp");
}

static void *filtered_thread(void *arg)
{
	(void)arg;
	install();
	sem_post(&filtered);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	zdtm_init(&argc, argv);
	if (argc > 1 && !strcmp(argv[1], "thread")) {
		sem_init(&filtered, 0, 0);
		CHECK(!pthread_create(&t, NULL, filtered_thread, NULL), "pthread_create");
		while (sem_wait(&filtered))
			;
	} else {
		install();
	}
	zdtm_ready();
	zdtm_wait();
	zdtm_pass();
}
