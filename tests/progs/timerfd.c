// SPDX-License-Identifier: GPL-2.0
/*
 * timerfds on each use: a relative one-shot 30 s away, a 40 ms periodic
 * one, an absolute CLOCK_REALTIME one 1000 s away, a disarmed one, and a
 * one-shot that expired before the dump with its tick not read.  After the
 * restore each must have its clock's behaviour: the time left no more
 * than before, the periodic one firing again at its interval, the
 * absolute one still about 1000 s away, the disarmed one disarmed, and the
 * expired one's tick read once.
 */
#include <poll.h>
#include <stdint.h>
#include <sys/timerfd.h>

#include "zdtm.h"

#define MS	1000000LL
#define S	1000000000LL

static long long ns_of(const struct timespec *t)
{
	return t->tv_sec * S + t->tv_nsec;
}

static void arm(int fd, int flags, long long value, long long interval)
{
	struct itimerspec its = {
		.it_value = { value / S, value % S },
		.it_interval = { interval / S, interval % S },
	};

	CHECK(!timerfd_settime(fd, flags, &its, NULL), "timerfd_settime: %s",
	      strerror(errno));
}

static void left(int fd, struct itimerspec *its)
{
	CHECK(!timerfd_gettime(fd, its), "timerfd_gettime: %s", strerror(errno));
}

/* A read, blocking or not; the runner's SIGUSR1 may interrupt it. */
static uint64_t ticks(int fd)
{
	uint64_t n = 0;
	ssize_t r;

	do
		r = read(fd, &n, sizeof(n));
	while (r < 0 && errno == EINTR);
	CHECK(r == sizeof(n), "timerfd read: %s", strerror(errno));
	return n;
}

int main(int argc, char **argv)
{
	int rel, per, abs_, off, done, i;
	struct itimerspec its;
	struct timespec now;
	struct pollfd p;
	uint64_t n;

	zdtm_init(&argc, argv);
	rel = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	per = timerfd_create(CLOCK_MONOTONIC, 0);
	abs_ = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	off = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	done = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	CHECK(rel >= 0 && per >= 0 && abs_ >= 0 && off >= 0 && done >= 0,
	      "timerfd_create: %s", strerror(errno));
	arm(rel, 0, 30 * S, 0);
	arm(per, 0, 40 * MS, 40 * MS);
	CHECK(!clock_gettime(CLOCK_REALTIME, &now), "clock_gettime");
	arm(abs_, TFD_TIMER_ABSTIME, ns_of(&now) + 1000 * S, 0);
	arm(done, 0, 1 * MS, 0);
	p.fd = done;
	p.events = POLLIN;
	CHECK(poll(&p, 1, 5000) == 1, "the 1 ms timerfd did not expire");

	zdtm_ready();
	zdtm_wait();

	CHECK(fcntl(per, F_GETFL) >= 0 && !(fcntl(per, F_GETFL) & O_NONBLOCK),
	      "the blocking timerfd is not");
	CHECK(fcntl(rel, F_GETFL) & O_NONBLOCK, "the timerfd is blocking now");
	left(rel, &its);
	CHECK(ns_of(&its.it_value) > 0 && ns_of(&its.it_value) <= 30 * S &&
	      ns_of(&its.it_interval) == 0,
	      "the 30 s one-shot: %lld ns left, interval %lld",
	      ns_of(&its.it_value), ns_of(&its.it_interval));
	CHECK(ticks(done) == 1, "the expired one-shot's tick");
	left(done, &its);
	CHECK(ns_of(&its.it_value) == 0, "the expired one-shot is armed again");
	left(off, &its);
	CHECK(ns_of(&its.it_value) == 0 && ns_of(&its.it_interval) == 0,
	      "the disarmed timerfd is armed");
	left(abs_, &its);
	CHECK(ns_of(&its.it_value) > 900 * S && ns_of(&its.it_value) <= 1000 * S,
	      "the absolute timerfd has %lld ns left, not about 1000 s",
	      ns_of(&its.it_value));
	left(per, &its);
	CHECK(ns_of(&its.it_interval) == 40 * MS,
	      "the periodic timerfd's interval is %lld ns",
	      ns_of(&its.it_interval));
	/* It fires on: ticks keep coming, one read at a time, blocking. */
	for (i = 0; i < 3; i++)
		CHECK((n = ticks(per)) >= 1, "periodic tick %d: %llu", i,
		      (unsigned long long)n);
	zdtm_pass();
}
