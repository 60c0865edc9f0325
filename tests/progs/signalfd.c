// SPDX-License-Identifier: GPL-2.0
/*
 * signalfds: one non-blocking for SIGUSR2 and SIGRTMIN+1, one blocking for
 * SIGWINCH.  At the dump SIGUSR2 and SIGRTMIN+1 (with a value) are
 * pending, and SIGTERM too, blocked but in no signalfd's mask.  After the
 * restore a read must give exactly the two pending signals of its mask,
 * with the value, then nothing; the mask still reads a new SIGUSR2; and
 * each keeps its blocking mode.
 */
#include <poll.h>
#include <sys/signalfd.h>

#include "zdtm.h"

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	CHECK(poll(&p, 1, 0) >= 0, "poll: %s", strerror(errno));
	return !!(p.revents & POLLIN);
}

static int next(int fd, struct signalfd_siginfo *si)
{
	ssize_t n = read(fd, si, sizeof(*si));

	if (n < 0 && errno == EAGAIN)
		return 0;
	CHECK(n == sizeof(*si), "signalfd read: %zd: %s", n, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	sigset_t mask, winch, block;
	union sigval v = { .sival_int = 42 };
	int fd, fw, fl, got_usr2 = 0, got_rt = 0;

	zdtm_init(&argc, argv);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGRTMIN + 1);
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	block = mask;
	sigaddset(&block, SIGWINCH);
	sigaddset(&block, SIGTERM);
	CHECK(!sigprocmask(SIG_BLOCK, &block, NULL), "sigprocmask");
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	fw = signalfd(-1, &winch, 0);
	CHECK(fd >= 0 && fw >= 0, "signalfd: %s", strerror(errno));
	CHECK(!kill(getpid(), SIGUSR2), "kill");
	CHECK(!sigqueue(getpid(), SIGRTMIN + 1, v), "sigqueue");
	CHECK(!kill(getpid(), SIGTERM), "kill SIGTERM");

	zdtm_ready();
	zdtm_wait();

	fl = fcntl(fd, F_GETFL);
	CHECK(fl >= 0 && (fl & O_NONBLOCK), "the signalfd is blocking now");
	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "the signalfd lost close-on-exec");
	fl = fcntl(fw, F_GETFL);
	CHECK(fl >= 0 && !(fl & O_NONBLOCK), "the blocking signalfd is not");
	CHECK(readable(fd), "the signalfd with two signals pending is not readable");
	CHECK(!readable(fw), "the SIGWINCH signalfd is readable");
	while (next(fd, &si)) {
		if (si.ssi_signo == SIGUSR2)
			got_usr2++;
		else if ((int)si.ssi_signo == SIGRTMIN + 1 && si.ssi_int == 42)
			got_rt++;
		else
			zdtm_fail("the signalfd read signal %u (value %d)",
				  si.ssi_signo, si.ssi_int);
	}
	CHECK(got_usr2 == 1 && got_rt == 1,
	      "the signalfd read SIGUSR2 %d times and SIGRTMIN+1 %d times",
	      got_usr2, got_rt);
	CHECK(!kill(getpid(), SIGUSR2), "kill");
	CHECK(next(fd, &si) && si.ssi_signo == SIGUSR2,
	      "a new SIGUSR2 is not read from the signalfd");
	CHECK(!kill(getpid(), SIGWINCH), "kill SIGWINCH");
	CHECK(next(fw, &si) && si.ssi_signo == SIGWINCH,
	      "the SIGWINCH signalfd does not read SIGWINCH");
	CHECK(sigpending(&block) == 0 && sigismember(&block, SIGTERM),
	      "SIGTERM is no longer pending");
	zdtm_pass();
}
