// SPDX-License-Identifier: GPL-2.0
/*
 * An epoll with a target of each use: a pipe (level), an eventfd with
 * EPOLLET and its event pending, one with EPOLLEXCLUSIVE, a timerfd with
 * EPOLLONESHOT that fired (disarmed, its tick unread), an epoll with its
 * own target inside, an eventfd added as fd X then dup'd to Y and X
 * closed, and one file added under two fds.  After the restore each must
 * fire as it did: nothing but the pending edge at first, then each on its
 * own event with its data, the inner epoll through the outer, the closed
 * fd's registration by its file, both of the twice-added file's, and the
 * one-shot once re-armed.
 */
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include "zdtm.h"

/* The data of the events ready now, sorted, ended by 0. */
static void ready(int ep, uint64_t *out, int max)
{
	struct epoll_event ev[16];
	int n, i, j;
	uint64_t t;

	n = epoll_wait(ep, ev, 16, 0);
	CHECK(n >= 0 && n < max, "epoll_wait: %d: %s", n, strerror(errno));
	for (i = 0; i < n; i++)
		out[i] = ev[i].data.u64;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (out[j] < out[i]) {
				t = out[i];
				out[i] = out[j];
				out[j] = t;
			}
	out[n] = 0;
}

static void expect(int ep, const char *what, uint64_t a, uint64_t b)
{
	uint64_t got[17];

	ready(ep, got, 17);
	CHECK(got[0] == a && (!a || got[1] == b) && (!b || got[2] == 0),
	      "%s: ready 0x%llx 0x%llx 0x%llx, want 0x%llx 0x%llx", what,
	      (unsigned long long)got[0],
	      (unsigned long long)(got[0] ? got[1] : 0),
	      (unsigned long long)(got[0] && got[1] ? got[2] : 0),
	      (unsigned long long)a, (unsigned long long)b);
}

static void add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl add %d: %s",
	      fd, strerror(errno));
}

static void poke(int fd)
{
	uint64_t one = 1;

	CHECK(write(fd, &one, 8) == 8, "write: %s", strerror(errno));
}

static void drain(int fd)
{
	uint64_t v;

	CHECK(read(fd, &v, 8) == 8, "read: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	int ep, inner, p[2], et, ex, tf, in, x, y, z, w;
	struct itimerspec its = { .it_value = { 0, 1000000 } };
	struct epoll_event ev;
	char c;

	zdtm_init(&argc, argv);
	ep = epoll_create1(EPOLL_CLOEXEC);
	inner = epoll_create1(0);
	et = eventfd(0, EFD_NONBLOCK);
	ex = eventfd(0, EFD_NONBLOCK);
	in = eventfd(0, EFD_NONBLOCK);
	x = eventfd(0, EFD_NONBLOCK);
	z = eventfd(0, EFD_NONBLOCK);
	tf = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	CHECK(ep >= 0 && inner >= 0 && et >= 0 && ex >= 0 && in >= 0 &&
	      x >= 0 && z >= 0 && tf >= 0 && !pipe(p), "setup: %s",
	      strerror(errno));
	add(ep, p[0], EPOLLIN, 0x1111);
	add(ep, et, EPOLLIN | EPOLLET, 0x2222);
	add(ep, ex, EPOLLIN | EPOLLEXCLUSIVE, 0x3333);
	add(ep, tf, EPOLLIN | EPOLLONESHOT, 0x4444);
	add(inner, in, EPOLLIN, 0x5555);
	add(ep, inner, EPOLLIN, 0x6666);
	add(ep, x, EPOLLIN, 0x7777);
	/* High numbers: x's must stay free once it is closed. */
	y = fcntl(x, F_DUPFD, 50);
	CHECK(y >= 0 && !close(x), "dup");
	add(ep, z, EPOLLIN, 0x8888);
	w = fcntl(z, F_DUPFD, 60);
	CHECK(w >= 0, "dup");
	add(ep, w, EPOLLIN, 0x9999);
	/* The one-shot fires, and is disarmed; its tick stays unread. */
	CHECK(!timerfd_settime(tf, 0, &its, NULL), "timerfd_settime");
	CHECK(epoll_wait(ep, &ev, 1, 5000) == 1 && ev.data.u64 == 0x4444,
	      "the one-shot did not fire");
	poke(et);	/* an edge, not collected */

	zdtm_ready();
	zdtm_wait();

	CHECK(fcntl(ep, F_GETFD) == FD_CLOEXEC, "the epoll lost close-on-exec");
	expect(ep, "at first", 0x2222, 0);
	expect(ep, "the edge again", 0, 0);
	CHECK(write(p[1], "x", 1) == 1, "write");
	expect(ep, "the pipe", 0x1111, 0);
	CHECK(read(p[0], &c, 1) == 1, "read");
	poke(ex);
	expect(ep, "the exclusive eventfd", 0x3333, 0);
	drain(ex);
	poke(in);
	expect(ep, "the inner epoll", 0x6666, 0);
	expect(inner, "inside the inner epoll", 0x5555, 0);
	drain(in);
	poke(y);
	expect(ep, "the eventfd added as a closed fd", 0x7777, 0);
	drain(y);
	ev.events = EPOLLIN;
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, x, &ev) < 0 && errno == EBADF,
	      "fd %d, closed before the dump, is open", x);
	poke(z);
	expect(ep, "the eventfd added twice", 0x8888, 0x9999);
	drain(z);
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 0x4444;
	CHECK(!epoll_ctl(ep, EPOLL_CTL_MOD, tf, &ev), "re-arm: %s",
	      strerror(errno));
	expect(ep, "the one-shot re-armed", 0x4444, 0);
	expect(ep, "the one-shot after it fired", 0, 0);
	zdtm_pass();
}
