// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets a restore makes again: a TCP listener (SO_REUSEADDR,
 * TCP_NODELAY, in an epoll), a TCPv6 one (IPV6_V6ONLY), a bound UDP
 * socket and one connected to it, a unix stream listener bound to a file
 * by a relative name, an abstract unix datagram socket, and an unbound
 * TCP socket with SO_KEEPALIVE and SO_RCVBUF, a unix stream socketpair
 * (one end non-blocking, in the epoll, bytes in flight to it) and a
 * datagram one.  The TCP listener also has the options a server sets
 * (redis's keepalive three, TCP_USER_TIMEOUT, TCP_MAXSEG,
 * TCP_NOTSENT_LOWAT, SO_PRIORITY, IP_TOS, SO_RCVLOWAT, both timeouts,
 * SO_LINGER, TCP_CONGESTION reno), the TCPv6 one IPV6_TCLASS, the bare one
 * TCP_CORK, a socketpair end SO_RCVTIMEO, the abstract one SO_PASSCRED.  After the wait each has
 * its address, peer and options again, and each works: connections are
 * accepted, datagrams arrive, the epoll sees the listener ready.
 */
#include <poll.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "sockopt_want.h"
#include "zdtm.h"

/* Fails saying @what and errno, as the checks here all go through calls. */
#define MUST(c, what) CHECK(c, "%s: %s", what, strerror(errno))

/* The runner's SIGUSR1s (no SA_RESTART) may interrupt any wait. */
#define RETRY(r, expr) do (r) = (expr); while ((r) < 0 && errno == EINTR)

enum { TCP4, TCP6, UDP, UDPC, UNIXL, UNIXD, BARE, PAIR0, PAIR1, DPAIR0, DPAIR1, NR };

static int fds[NR];
static struct sockaddr_storage names[NR];
static socklen_t name_lens[NR];

static int opt(int s, int level, int name)
{
	int v = -1;
	socklen_t n = sizeof(v);

	MUST(!getsockopt(s, level, name, &v, &n), "getsockopt");
	return v;
}

/* SO_RCVTIMEO or SO_SNDTIMEO of @s, in microseconds. */
static long long timeo_us(int s, int name)
{
	struct timeval tv;
	socklen_t n = sizeof(tv);

	MUST(!getsockopt(s, SOL_SOCKET, name, &tv, &n), "getsockopt timeout");
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

static void set_opt(int s, int level, int name, int v, const char *what)
{
	MUST(!setsockopt(s, level, name, &v, sizeof(v)), what);
}

/* As read before the dump: the kernel rounds timeouts to its ticks. */
static long long rcvtimeo0, sndtimeo0, pairtimeo0;

/*
 * The integer options of the TCP listener, a server's; IP_TOS sets the
 * priority too (rt_tos2priority()), so it comes first.
 */
static const struct sockopt_want server_opts[] = {
	SOCKOPT_REDIS_KEEPALIVE,
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, 12345, "TCP_USER_TIMEOUT" },
	{ IPPROTO_TCP, TCP_MAXSEG, 1200, "TCP_MAXSEG" },
	{ IPPROTO_TCP, TCP_NOTSENT_LOWAT, 65536, "TCP_NOTSENT_LOWAT" },
	{ IPPROTO_IP, IP_TOS, 0x10, "IP_TOS" },
	{ SOL_SOCKET, SO_PRIORITY, 5, "SO_PRIORITY" },
	{ SOL_SOCKET, SO_RCVLOWAT, 7, "SO_RCVLOWAT" },
};
#define NR_SERVER_OPTS	(sizeof(server_opts) / sizeof(server_opts[0]))

/* The server options of the TCP listener, as set below, or zdtm_fail(). */
static void server_options_same(int s)
{
	struct linger l;
	socklen_t n = sizeof(l);
	char cong[16] = "";

	sockopts_same(s, "the TCP listener", server_opts, NR_SERVER_OPTS);
	if (timeo_us(s, SO_RCVTIMEO) != rcvtimeo0 ||
	    timeo_us(s, SO_SNDTIMEO) != sndtimeo0)
		zdtm_fail("the TCP listener's timeouts are %lld and %lld us, were %lld and %lld",
			  timeo_us(s, SO_RCVTIMEO), timeo_us(s, SO_SNDTIMEO),
			  rcvtimeo0, sndtimeo0);
	MUST(!getsockopt(s, SOL_SOCKET, SO_LINGER, &l, &n), "SO_LINGER");
	if (!l.l_onoff || l.l_linger != 4)
		zdtm_fail("the TCP listener's SO_LINGER is %d/%d", l.l_onoff, l.l_linger);
	n = sizeof(cong);
	MUST(!getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, cong, &n), "TCP_CONGESTION");
	if (strcmp(cong, "reno"))
		zdtm_fail("the TCP listener's TCP_CONGESTION is %.16s, not reno", cong);
}

static void remember(int i)
{
	name_lens[i] = sizeof(names[i]);
	MUST(!getsockname(fds[i], (struct sockaddr *)&names[i], &name_lens[i]),
	      "getsockname");
}

static void same_name(int i, const char *what)
{
	struct sockaddr_storage ss;
	socklen_t n = sizeof(ss);

	MUST(!getsockname(fds[i], (struct sockaddr *)&ss, &n), what);
	if (n != name_lens[i] || memcmp(&ss, &names[i], n))
		zdtm_fail("%s: getsockname() is not what it was (%u bytes, was %u)",
			  what, n, name_lens[i]);
}

/* connect(), which a signal interrupts but does not stop: waits it out. */
static int connect_to(int family, int i)
{
	struct pollfd p = { .events = POLLOUT };
	socklen_t n = sizeof(int);
	int err = 0, r;

	p.fd = socket(family, SOCK_STREAM, 0);
	if (p.fd < 0 || !connect(p.fd, (struct sockaddr *)&names[i], name_lens[i]))
		return p.fd;
	if (errno != EINTR)
		return -1;
	RETRY(r, poll(&p, 1, 5000));
	if (r != 1 || getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &n) || err) {
		errno = err ? err : ETIMEDOUT;
		return -1;
	}
	return p.fd;
}

/* Connects to listener @i, accepts, and sends a byte each way. */
static void connects(int i, int family, const char *what)
{
	struct pollfd p = { .fd = fds[i], .events = POLLIN };
	char b = 'x';
	int c, a, r;

	c = connect_to(family, i);
	MUST(c >= 0, what);
	RETRY(r, poll(&p, 1, 5000));
	CHECK(r == 1, "%s: no connection to accept", what);
	RETRY(a, accept(fds[i], NULL, NULL));
	MUST(a >= 0, what);
	MUST(write(c, &b, 1) == 1, what);
	RETRY(r, read(a, &b, 1));
	MUST(r == 1 && write(a, &b, 1) == 1, what);
	RETRY(r, read(c, &b, 1));
	MUST(r == 1, what);
	/* The client closes first: its end, not the listener's port, waits. */
	close(c);
	close(a);
}

int main(int argc, char **argv)
{
	struct sockaddr_in in4 = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 };
	int ep, rcvbuf, n, r;
	char buf[8];
	struct stat st;

	zdtm_init(&argc, argv);
	fds[TCP4] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	MUST(fds[TCP4] >= 0, "tcp4");
	MUST(!setsockopt(fds[TCP4], SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) &&
	      !setsockopt(fds[TCP4], IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int)),
	      "tcp4 options");
	sockopts_set(fds[TCP4], "the TCP listener", server_opts, NR_SERVER_OPTS);
	MUST(!setsockopt(fds[TCP4], SOL_SOCKET, SO_RCVTIMEO,
			 &(struct timeval){ 1, 500000 }, sizeof(struct timeval)) &&
	     !setsockopt(fds[TCP4], SOL_SOCKET, SO_SNDTIMEO,
			 &(struct timeval){ 2, 250000 }, sizeof(struct timeval)) &&
	     !setsockopt(fds[TCP4], SOL_SOCKET, SO_LINGER,
			 &(struct linger){ 1, 4 }, sizeof(struct linger)) &&
	     !setsockopt(fds[TCP4], IPPROTO_TCP, TCP_CONGESTION, "reno", 4),
	     "tcp4 timeouts, linger, congestion");
	MUST(!bind(fds[TCP4], (struct sockaddr *)&in4, sizeof(in4)) &&
	      !listen(fds[TCP4], 7), "tcp4 listen");
	fds[TCP6] = socket(AF_INET6, SOCK_STREAM, 0);
	MUST(fds[TCP6] >= 0, "tcp6");
	MUST(!setsockopt(fds[TCP6], IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 1 }, sizeof(int)),
	      "tcp6 v6only");
	set_opt(fds[TCP6], IPPROTO_IPV6, IPV6_TCLASS, 0x20, "IPV6_TCLASS");
	MUST(!bind(fds[TCP6], (struct sockaddr *)&in6, sizeof(in6)) &&
	      !listen(fds[TCP6], 3), "tcp6 listen");
	fds[UDP] = socket(AF_INET, SOCK_DGRAM, 0);
	MUST(fds[UDP] >= 0 && !bind(fds[UDP], (struct sockaddr *)&in4, sizeof(in4)),
	      "udp bind");
	remember(UDP);
	fds[UDPC] = socket(AF_INET, SOCK_DGRAM, 0);
	MUST(fds[UDPC] >= 0 &&
	      !connect(fds[UDPC], (struct sockaddr *)&names[UDP], name_lens[UDP]),
	      "udp connect");
	mkdir("sub", 0755);
	strcpy(un.sun_path, "sub/listen.sock");
	fds[UNIXL] = socket(AF_UNIX, SOCK_STREAM, 0);
	MUST(fds[UNIXL] >= 0 && !bind(fds[UNIXL], (struct sockaddr *)&un, sizeof(un)) &&
	      !chmod("sub/listen.sock", 0600) && !listen(fds[UNIXL], 5), "unix listen");
	fds[UNIXD] = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(un.sun_path, 0, sizeof(un.sun_path));
	n = snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "ckpt-test-%d", getpid());
	MUST(fds[UNIXD] >= 0 &&
	      !bind(fds[UNIXD], (struct sockaddr *)&un,
		    offsetof(struct sockaddr_un, sun_path) + 1 + n), "unix abstract");
	set_opt(fds[UNIXD], SOL_SOCKET, SO_PASSCRED, 1, "SO_PASSCRED");
	fds[BARE] = socket(AF_INET, SOCK_STREAM, 0);
	MUST(fds[BARE] >= 0 &&
	      !setsockopt(fds[BARE], SOL_SOCKET, SO_KEEPALIVE, &(int){ 1 }, sizeof(int)) &&
	      !setsockopt(fds[BARE], SOL_SOCKET, SO_RCVBUF, &(int){ 12345 }, sizeof(int)),
	      "bare options");
	set_opt(fds[BARE], IPPROTO_TCP, TCP_CORK, 1, "TCP_CORK");
	rcvbuf = opt(fds[BARE], SOL_SOCKET, SO_RCVBUF);
	MUST(!socketpair(AF_UNIX, SOCK_STREAM, 0, &fds[PAIR0]) &&
	     !socketpair(AF_UNIX, SOCK_DGRAM, 0, &fds[DPAIR0]) &&
	     !fcntl(fds[PAIR1], F_SETFL, O_NONBLOCK), "socketpair");
	MUST(!setsockopt(fds[PAIR0], SOL_SOCKET, SO_RCVTIMEO,
			 &(struct timeval){ 0, 750000 }, sizeof(struct timeval)),
	     "socketpair SO_RCVTIMEO");
	/* In flight at the dump: the image carries it. */
	MUST(write(fds[PAIR0], "queued", 6) == 6, "socketpair write");
	for (n = 0; n < NR; n++)
		remember(n);
	ep = epoll_create1(0);
	MUST(ep >= 0 && !epoll_ctl(ep, EPOLL_CTL_ADD, fds[TCP4], &ev), "epoll");
	ev.data.u64 = 43;
	MUST(!epoll_ctl(ep, EPOLL_CTL_ADD, fds[PAIR1], &ev), "epoll of the pair");

	rcvtimeo0 = timeo_us(fds[TCP4], SO_RCVTIMEO);
	sndtimeo0 = timeo_us(fds[TCP4], SO_SNDTIMEO);
	pairtimeo0 = timeo_us(fds[PAIR0], SO_RCVTIMEO);
	CHECK(rcvtimeo0 && sndtimeo0 && pairtimeo0, "timeouts not set");

	zdtm_ready();
	zdtm_wait();

	for (n = 0; n < NR; n++)
		same_name(n, "address after restore");
	if (!opt(fds[TCP4], SOL_SOCKET, SO_REUSEADDR) ||
	    !opt(fds[TCP4], IPPROTO_TCP, TCP_NODELAY) ||
	    !opt(fds[TCP4], SOL_SOCKET, SO_ACCEPTCONN) ||
	    !(fcntl(fds[TCP4], F_GETFL) & O_NONBLOCK))
		zdtm_fail("the TCP listener lost SO_REUSEADDR, TCP_NODELAY, listening or O_NONBLOCK");
	server_options_same(fds[TCP4]);
	if (!opt(fds[TCP6], IPPROTO_IPV6, IPV6_V6ONLY) ||
	    opt(fds[TCP6], SOL_SOCKET, SO_REUSEADDR) ||
	    opt(fds[TCP6], IPPROTO_IPV6, IPV6_TCLASS) != 0x20)
		zdtm_fail("the TCPv6 listener's IPV6_V6ONLY, SO_REUSEADDR or IPV6_TCLASS changed");
	if (!opt(fds[BARE], IPPROTO_TCP, TCP_CORK))
		zdtm_fail("the bare socket lost TCP_CORK");
	if (opt(fds[UNIXD], SOL_SOCKET, SO_PASSCRED) != 1 ||
	    opt(fds[UNIXL], SOL_SOCKET, SO_PASSCRED))
		zdtm_fail("SO_PASSCRED is not on the abstract socket alone");
	if (timeo_us(fds[PAIR0], SO_RCVTIMEO) != pairtimeo0 ||
	    timeo_us(fds[PAIR1], SO_RCVTIMEO))
		zdtm_fail("the socketpair's SO_RCVTIMEO are %lld and %lld us, were %lld and 0",
			  timeo_us(fds[PAIR0], SO_RCVTIMEO),
			  timeo_us(fds[PAIR1], SO_RCVTIMEO), pairtimeo0);
	if (!opt(fds[BARE], SOL_SOCKET, SO_KEEPALIVE) ||
	    opt(fds[BARE], SOL_SOCKET, SO_RCVBUF) != rcvbuf)
		zdtm_fail("the bare socket's SO_KEEPALIVE or SO_RCVBUF (%d, was %d) changed",
			  opt(fds[BARE], SOL_SOCKET, SO_RCVBUF), rcvbuf);
	if (stat("sub/listen.sock", &st) || !S_ISSOCK(st.st_mode) ||
	    (st.st_mode & 07777) != 0600)
		zdtm_fail("sub/listen.sock is not a socket file of mode 0600");

	/* Each one works. */
	connects(TCP4, AF_INET, "tcp4 connect");
	connects(TCP6, AF_INET6, "tcp6 connect");
	connects(UNIXL, AF_UNIX, "unix connect");
	MUST(write(fds[UDPC], "udp", 3) == 3, "udp send");
	RETRY(r, read(fds[UDP], buf, sizeof(buf)));
	MUST(r == 3 && !memcmp(buf, "udp", 3), "udp receive");
	n = socket(AF_UNIX, SOCK_DGRAM, 0);
	MUST(n >= 0 && sendto(n, "un", 2, 0, (struct sockaddr *)&names[UNIXD],
			       name_lens[UNIXD]) == 2, "unix datagram send");
	close(n);
	RETRY(r, read(fds[UNIXD], buf, sizeof(buf)));
	MUST(r == 2, "unix datagram receive");
	/* The pairs are still pairs, the non-blocking end still so. */
	RETRY(r, read(fds[PAIR1], buf, sizeof(buf)));
	MUST(r == 6 && !memcmp(buf, "queued", 6), "the socketpair's bytes in flight");
	if (!(fcntl(fds[PAIR1], F_GETFL) & O_NONBLOCK) ||
	    read(fds[PAIR1], buf, 1) != -1 || errno != EAGAIN)
		zdtm_fail("the socketpair's non-blocking end blocks, or has more data");
	MUST(write(fds[PAIR0], "pair", 4) == 4, "socketpair write");
	memset(&ev, 0, sizeof(ev));
	RETRY(r, epoll_wait(ep, &ev, 1, 5000));
	MUST(r == 1 && ev.data.u64 == 43, "epoll_wait on the socketpair");
	RETRY(r, read(fds[PAIR1], buf, sizeof(buf)));
	MUST(r == 4 && !memcmp(buf, "pair", 4), "socketpair read");
	MUST(write(fds[PAIR1], "back", 4) == 4, "socketpair write back");
	RETRY(r, read(fds[PAIR0], buf, sizeof(buf)));
	MUST(r == 4 && !memcmp(buf, "back", 4), "socketpair read back");
	MUST(send(fds[DPAIR1], "d1", 2, 0) == 2 && send(fds[DPAIR1], "d22", 3, 0) == 3,
	     "datagram socketpair send");
	RETRY(r, read(fds[DPAIR0], buf, sizeof(buf)));
	MUST(r == 2, "datagram socketpair: the first datagram, whole");
	RETRY(r, read(fds[DPAIR0], buf, sizeof(buf)));
	MUST(r == 3, "datagram socketpair: the second datagram, whole");
	/* The epoll sees a connection waiting on the listener. */
	n = connect_to(AF_INET, TCP4);
	MUST(n >= 0, "tcp4 connect for the epoll");
	memset(&ev, 0, sizeof(ev));
	RETRY(r, epoll_wait(ep, &ev, 1, 5000));
	MUST(r == 1 && ev.data.u64 == 42 && (ev.events & EPOLLIN),
	     "epoll_wait on the listener");
	close(n);
	zdtm_pass();
}
