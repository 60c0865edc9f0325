// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm: a process with a child, which a dump must refuse in words until
 * process trees are supported (an image of the parent alone would leave
 * the child behind, and its pid in the child's group and session).
 *
 *   with_child leader   main forks a child that sleeps
 *   with_child thread   a second thread forks it (the child is that
 *                       thread's, not the leader's)
 *   with_child zombie   the child has exited, not reaped yet
 *   with_child brief    the child exits after 1.5 s and is reaped: a
 *                       series (dump --every) goes on once it is gone
 *
 * It prints "child PID" and "ready"; on SIGUSR1 it checks the child is
 * as it was (alive, a zombie, or reaped) and ends.
 */
#include <sys/wait.h>

#include "zdtm.h"

static pid_t child;
static volatile int forked;

static void make_child(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	child = fork();
	CHECK(child >= 0, "fork: %s", strerror(errno));
	if (!child) {
		nanosleep(&ts, NULL);
		_exit(7);
	}
}

/* It stays: were it to end, its child would pass to the leader. */
static void *forker(void *arg)
{
	(void)arg;
	make_child(3600 * 1000);
	forked = 1;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "leader";
	siginfo_t si;
	pthread_t t;
	int status;

	zdtm_init(&argc, argv);
	if (!strcmp(mode, "thread")) {
		CHECK(!pthread_create(&t, NULL, forker, NULL), "pthread_create");
		while (!forked)
			usleep(1000);
	} else if (!strcmp(mode, "zombie")) {
		make_child(0);
		/* Exited, and left unreaped: WNOWAIT looks without reaping. */
		CHECK(!waitid(P_PID, child, &si, WEXITED | WNOWAIT),
		      "waitid: %s", strerror(errno));
	} else {
		make_child(!strcmp(mode, "brief") ? 1500 : 3600 * 1000);
	}
	printf("child %d\n", child);
	zdtm_ready();
	if (!strcmp(mode, "brief")) {
		while (waitpid(child, &status, 0) < 0)
			CHECK(errno == EINTR, "waitpid: %s", strerror(errno));
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7,
		      "child status %#x", status);
	}
	zdtm_wait();
	if (!strcmp(mode, "brief"))
		zdtm_pass();
	if (!strcmp(mode, "zombie")) {
		CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 7, "the zombie child is lost");
		zdtm_pass();
	}
	CHECK(!kill(child, 0), "child %d is gone: %s", child, strerror(errno));
	CHECK(waitpid(child, &status, WNOHANG) == 0, "child %d has ended", child);
	kill(child, SIGKILL);
	zdtm_pass();
}
