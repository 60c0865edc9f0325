// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connections moved with their process (dump --kill): over IPv4 and
 * IPv6 loopback, both ends in the process, each mid-stream.  The client
 * has sent bytes the server has not read; the server has sent more than
 * the client's receive queue (SO_RCVBUF) and its own send queue
 * (SO_SNDBUF) hold, which has bytes in flight and bytes not sent yet.  After the wait every byte
 * arrives once and in order, both ways, the names and TCP_NODELAY are as
 * they were, the server's end has the keepalive three and
 * TCP_USER_TIMEOUT a server sets (redis's), and the connection goes on: more bytes, then a close the
 * other end reads as EOF.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "sockopt_want.h"
#include "zdtm.h"

#define MUST(c, what) CHECK(c, "%s: %s", what, strerror(errno))
#define RETRY(r, expr) do (r) = (expr); while ((r) < 0 && errno == EINTR)

#define BIG	(1536 << 10)	/* more than both queues hold */

struct conn {
	const char *name;
	int l, c, s;		/* listener, client, server's end */
	struct sockaddr_storage cname, sname;
	socklen_t clen, slen;
	size_t sent;		/* of the server's BIG bytes */
};

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 131 + (i >> 9));
}

static void names(struct conn *k)
{
	k->clen = sizeof(k->cname);
	k->slen = sizeof(k->sname);
	MUST(!getsockname(k->c, (struct sockaddr *)&k->cname, &k->clen), "getsockname");
	MUST(!getsockname(k->s, (struct sockaddr *)&k->sname, &k->slen), "getsockname");
}

static void same_names(struct conn *k)
{
	struct sockaddr_storage a, p;
	socklen_t al = sizeof(a), pl = sizeof(p);

	MUST(!getsockname(k->c, (struct sockaddr *)&a, &al), "getsockname");
	MUST(!getpeername(k->s, (struct sockaddr *)&p, &pl), "getpeername");
	CHECK(al == k->clen && !memcmp(&a, &k->cname, al) && pl == k->clen &&
	      !memcmp(&p, &k->cname, pl), "%s: the client's name changed", k->name);
	al = sizeof(a);
	pl = sizeof(p);
	MUST(!getsockname(k->s, (struct sockaddr *)&a, &al), "getsockname");
	MUST(!getpeername(k->c, (struct sockaddr *)&p, &pl), "getpeername");
	CHECK(al == k->slen && !memcmp(&a, &k->sname, al) && pl == k->slen &&
	      !memcmp(&p, &k->sname, pl), "%s: the server's name changed", k->name);
}

/* The server end's keepalive options, as a redis client's. */
static const struct sockopt_want keepalive_opts[] = {
	{ SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE" },
	SOCKOPT_REDIS_KEEPALIVE,
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, 30000, "TCP_USER_TIMEOUT" },
};
#define NR_KEEPALIVE_OPTS (sizeof(keepalive_opts) / sizeof(keepalive_opts[0]))

static void open_conn(struct conn *k, int family)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t n = family == AF_INET ? sizeof(*in) : sizeof(*in6);
	int one = 1, buf = 96 << 10, r;

	ss.ss_family = family;
	if (family == AF_INET)
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		in6->sin6_addr = in6addr_loopback;
	k->l = socket(family, SOCK_STREAM, 0);
	MUST(k->l >= 0, "socket");
	MUST(!setsockopt(k->l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), "SO_REUSEADDR");
	MUST(!bind(k->l, (struct sockaddr *)&ss, n), "bind");
	MUST(!listen(k->l, 4), "listen");
	MUST(!getsockname(k->l, (struct sockaddr *)&ss, &n), "getsockname");
	k->c = socket(family, SOCK_STREAM, 0);
	MUST(k->c >= 0, "socket");
	MUST(!setsockopt(k->c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), "TCP_NODELAY");
	/* Small buffers, so that the queues fill on any machine. */
	MUST(!setsockopt(k->c, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)), "SO_RCVBUF");
	RETRY(r, connect(k->c, (struct sockaddr *)&ss, n));
	MUST(!r, "connect");
	RETRY(k->s, accept(k->l, NULL, NULL));
	MUST(k->s >= 0, "accept");
	MUST(!setsockopt(k->s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)), "SO_SNDBUF");
	sockopts_set(k->s, k->name, keepalive_opts, NR_KEEPALIVE_OPTS);
	names(k);
}

/* The server's end writes until neither queue takes more. */
static void fill(struct conn *k)
{
	static unsigned char buf[65536];
	ssize_t n;
	size_t i;

	while (k->sent < BIG) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(k->sent + i);
		n = send(k->s, buf, BIG - k->sent < sizeof(buf) ?
			 BIG - k->sent : sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		MUST(n > 0, "send");
		k->sent += (size_t)n;
	}
	CHECK(k->sent < BIG, "%s: %zu bytes fit in the queues", k->name, k->sent);
}

static void read_all(int s, size_t from, size_t len, const char *what)
{
	static unsigned char buf[65536];
	size_t got = 0, i;
	ssize_t n;

	while (got < len) {
		RETRY(n, recv(s, buf, len - got < sizeof(buf) ? len - got :
			      sizeof(buf), 0));
		MUST(n >= 0, what);
		CHECK(n > 0, "%s: EOF after %zu of %zu bytes", what, got, len);
		for (i = 0; i < (size_t)n; i++)
			CHECK(buf[i] == pattern(from + got + i),
			      "%s: byte %zu is wrong", what, from + got + i);
		got += (size_t)n;
	}
}

static void write_all(int s, size_t from, size_t len, const char *what)
{
	static unsigned char buf[65536];
	size_t put = 0, i, n;
	ssize_t w;

	while (put < len) {
		n = len - put < sizeof(buf) ? len - put : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(from + put + i);
		RETRY(w, send(s, buf, n, 0));
		MUST(w > 0, what);
		put += (size_t)w;
	}
}

static void *writer(void *arg)
{
	struct conn *k = arg;

	write_all(k->s, k->sent, BIG - k->sent, "the server's end goes on");
	return NULL;
}

/* The server end's keepalive options, as open_conn() set them, or fail. */
static void keepalive_same(const struct conn *k)
{
	char who[64];

	snprintf(who, sizeof(who), "%s: the server end", k->name);
	sockopts_same(k->s, who, keepalive_opts, NR_KEEPALIVE_OPTS);
}

static void check(struct conn *k)
{
	char msg[32] = { 0 }, c;
	pthread_t t;
	ssize_t n;
	int v = 0;
	socklen_t len = sizeof(v);

	same_names(k);
	MUST(!getsockopt(k->c, IPPROTO_TCP, TCP_NODELAY, &v, &len), "getsockopt");
	CHECK(v, "%s: TCP_NODELAY is off", k->name);
	keepalive_same(k);
	/* What the client sent before the dump, waiting for the server. */
	RETRY(n, recv(k->s, msg, 6, MSG_WAITALL));
	CHECK(n == 6 && !memcmp(msg, "hello!", 6), "%s: the server read %zd bytes '%.6s'",
	      k->name, n, msg);
	/* The rest of the server's stream, written as the client reads. */
	MUST(!pthread_create(&t, NULL, writer, k), "pthread_create");
	read_all(k->c, 0, BIG, k->name);
	pthread_join(t, NULL);
	write_all(k->c, 7, 1000, "the client goes on");
	read_all(k->s, 7, 1000, "the server reads on");
	close(k->s);
	RETRY(n, recv(k->c, &c, 1, 0));
	CHECK(n == 0, "%s: the client read %zd, not EOF, after the close", k->name, n);
	close(k->c);
	close(k->l);
}

int main(int argc, char **argv)
{
	struct conn k[2] = { { .name = "TCP" }, { .name = "TCPv6" } };
	int i;

	zdtm_init(&argc, argv);
	for (i = 0; i < 2; i++) {
		open_conn(&k[i], i ? AF_INET6 : AF_INET);
		MUST(send(k[i].c, "hello!", 6, 0) == 6, "send");
		fill(&k[i]);
	}
	zdtm_ready();
	zdtm_wait();
	for (i = 0; i < 2; i++)
		check(&k[i]);
	zdtm_pass();
}
