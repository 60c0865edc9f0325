// SPDX-License-Identifier: GPL-2.0
/*
 * eventfds: counters and semaphores, with counts of 0, 1, 3 and 2^40,
 * blocking and not, one of them dup'd.  After the restore each must read
 * as before (a counter all at once, a semaphore one at a time), keep its
 * flags, poll readable exactly when it has a count, and still be one
 * eventfd through both of its fds.  A live dump must leave the original's
 * eventfds as they were: on 6.1 the dump reads one to learn whether it is
 * a semaphore, and puts the count back.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include "zdtm.h"

enum { CNT5, SEM3, SEM0, SEM1, CNT0_BLOCKING, CNT_BIG, NR };

static const struct {
	uint64_t count;
	int flags;
} want[NR] = {
	[CNT5] = { 5, EFD_NONBLOCK },
	[SEM3] = { 3, EFD_NONBLOCK | EFD_SEMAPHORE },
	[SEM0] = { 0, EFD_NONBLOCK | EFD_SEMAPHORE },
	[SEM1] = { 1, EFD_NONBLOCK | EFD_SEMAPHORE },
	[CNT0_BLOCKING] = { 0, 0 },
	[CNT_BIG] = { 1ULL << 40, EFD_NONBLOCK },
};

static uint64_t get(int fd, int i)
{
	uint64_t v;

	CHECK(read(fd, &v, sizeof(v)) == sizeof(v), "eventfd %d: read: %s", i,
	      strerror(errno));
	return v;
}

static void put(int fd, int i, uint64_t v)
{
	CHECK(write(fd, &v, sizeof(v)) == sizeof(v), "eventfd %d: write: %s",
	      i, strerror(errno));
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	CHECK(poll(&p, 1, 0) >= 0, "poll: %s", strerror(errno));
	return !!(p.revents & POLLIN);
}

static void empty(int fd, int i)
{
	uint64_t v;

	CHECK(read(fd, &v, sizeof(v)) < 0 && errno == EAGAIN,
	      "eventfd %d: not empty after its count was read", i);
}

int main(int argc, char **argv)
{
	int fd[NR], dup5, i, fl;
	uint64_t n;

	zdtm_init(&argc, argv);
	for (i = 0; i < NR; i++) {
		fd[i] = eventfd(0, want[i].flags);
		CHECK(fd[i] >= 0, "eventfd: %s", strerror(errno));
		if (want[i].count)
			put(fd[i], i, want[i].count);
	}
	dup5 = dup(fd[CNT5]);
	CHECK(dup5 >= 0, "dup: %s", strerror(errno));

	zdtm_ready();
	zdtm_wait();

	for (i = 0; i < NR; i++) {
		fl = fcntl(fd[i], F_GETFL);
		CHECK(fl >= 0 && !!(fl & O_NONBLOCK) ==
				 !!(want[i].flags & EFD_NONBLOCK),
		      "eventfd %d: O_NONBLOCK is %s", i,
		      fl & O_NONBLOCK ? "set" : "clear");
		CHECK(readable(fd[i]) == !!want[i].count,
		      "eventfd %d: poll says %sreadable, with count %llu", i,
		      readable(fd[i]) ? "" : "not ",
		      (unsigned long long)want[i].count);
	}
	CHECK((n = get(dup5, CNT5)) == 5, "the counter of 5 reads %llu",
	      (unsigned long long)n);
	empty(fd[CNT5], CNT5);
	/* The dup is the same eventfd: a write through one reads at the other. */
	put(dup5, CNT5, 2);
	CHECK(get(fd[CNT5], CNT5) == 2, "the dup'd eventfd is not shared");
	for (i = 0; i < 3; i++)
		CHECK((n = get(fd[SEM3], SEM3)) == 1,
		      "the semaphore of 3 gives %llu at read %d",
		      (unsigned long long)n, i);
	empty(fd[SEM3], SEM3);
	/* A semaphore at 0 (or 1) is still one once it counts again. */
	empty(fd[SEM0], SEM0);
	put(fd[SEM0], SEM0, 2);
	CHECK((n = get(fd[SEM0], SEM0)) == 1,
	      "the semaphore of 0 given 2 gives %llu: not a semaphore",
	      (unsigned long long)n);
	CHECK(get(fd[SEM1], SEM1) == 1, "the semaphore of 1");
	empty(fd[SEM1], SEM1);
	put(fd[SEM1], SEM1, 4);
	CHECK((n = get(fd[SEM1], SEM1)) == 1,
	      "the semaphore of 1 given 4 gives %llu: not a semaphore",
	      (unsigned long long)n);
	put(fd[CNT0_BLOCKING], CNT0_BLOCKING, 7);
	CHECK(get(fd[CNT0_BLOCKING], CNT0_BLOCKING) == 7, "the blocking counter");
	CHECK((n = get(fd[CNT_BIG], CNT_BIG)) == 1ULL << 40,
	      "the counter of 2^40 reads %llu", (unsigned long long)n);
	zdtm_pass();
}
