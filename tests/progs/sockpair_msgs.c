// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm: unix socketpairs with messages waiting in both directions at the
 * dump: a datagram pair and a seqpacket pair, each end with messages of
 * other lengths (an empty one, one of 60000 bytes), and a stream pair
 * with binary bytes both ways.  After the wait each end reads the same
 * messages, whole (MSG_TRUNC says a message's real length), in order, and
 * nothing more; then the pairs still carry new ones.  A datagram end and
 * a seqpacket end have SO_PASSCRED (set after they sent: an end with it
 * that sends is bound to a name, which a dump refuses for a socketpair
 * end), a stream end SO_RCVBUF: after the wait
 * they have them still, the others not, each end reports this process as
 * its peer (SO_PEERCRED), and a message to the datagram end comes with
 * this process's credentials (SCM_CREDENTIALS).
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include "zdtm.h"

#define MUST(c, what) CHECK(c, "%s: %s", what, strerror(errno))
#define RETRY(r, expr) do (r) = (expr); while ((r) < 0 && errno == EINTR)

enum { D0, D1, S0, S1, T0, T1, NR };
static int fds[NR];

/* Lengths of the messages sent to each end: end 0 of a pair gets them. */
static const size_t lens[2][5] = { { 1, 0, 60000, 7, 300 }, { 4096, 2, 0 } };
static const int nr_lens[2] = { 5, 3 };

static char msg_byte(int end, int i, size_t j)
{
	return (char)(end * 97 + i * 31 + j * 7 + 1);
}

static void fill(char *buf, int end, int i, size_t len)
{
	size_t j;

	for (j = 0; j < len; j++)
		buf[j] = msg_byte(end, i, j);
}

/* The messages for end @end of the pair at @base, sent from its twin. */
static void send_all(int base, int end, const char *what)
{
	static char buf[65536];
	int i;

	for (i = 0; i < nr_lens[end]; i++) {
		fill(buf, end, i, lens[end][i]);
		MUST(send(fds[base + !end], buf, lens[end][i], MSG_DONTWAIT) ==
		     (ssize_t)lens[end][i], what);
	}
}

static void recv_all(int base, int end, const char *what)
{
	static char buf[65536], want[65536];
	ssize_t r;
	int i;

	for (i = 0; i < nr_lens[end]; i++) {
		RETRY(r, recv(fds[base + end], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC));
		fill(want, end, i, lens[end][i]);
		if (r != (ssize_t)lens[end][i] || memcmp(buf, want, lens[end][i]))
			zdtm_fail("%s, end %d: message %d is %zd bytes (%s), not the %zu sent",
				  what, end, i, r, r < 0 ? strerror(errno) : "its bytes",
				  lens[end][i]);
	}
	r = recv(fds[base + end], buf, sizeof(buf), MSG_DONTWAIT);
	if (r != -1 || errno != EAGAIN)
		zdtm_fail("%s, end %d: more than the messages sent (%zd)", what, end, r);
}

static int opt(int s, int name)
{
	socklen_t n = sizeof(int);
	int v = -1;

	MUST(!getsockopt(s, SOL_SOCKET, name, &v, &n), "getsockopt");
	return v;
}

/* What the peer of every end says it is, and SCM_CREDENTIALS on D0. */
static void check_creds(void)
{
	char cbuf[CMSG_SPACE(sizeof(struct ucred))], c;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	struct ucred u;
	socklen_t n;
	ssize_t r;
	int i;

	for (i = 0; i < NR; i++) {
		n = sizeof(u);
		MUST(!getsockopt(fds[i], SOL_SOCKET, SO_PEERCRED, &u, &n), "SO_PEERCRED");
		if (u.pid != getpid() || u.uid != getuid() || u.gid != getgid())
			zdtm_fail("end %d: its peer is pid %d uid %d gid %d, not this process",
				  i, u.pid, u.uid, u.gid);
	}
	MUST(send(fds[D1], "c", 1, 0) == 1, "send for the credentials");
	RETRY(r, recvmsg(fds[D0], &mh, 0));
	MUST(r == 1, "recvmsg for the credentials");
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_CREDENTIALS)
		zdtm_fail("no SCM_CREDENTIALS with a message to the SO_PASSCRED end");
	memcpy(&u, CMSG_DATA(cm), sizeof(u));
	if (u.pid != getpid())
		zdtm_fail("SCM_CREDENTIALS say pid %d, not %d", u.pid, getpid());
}

int main(int argc, char **argv)
{
	char buf[4096], want[4096];
	int end, rcvbuf;
	size_t k;
	ssize_t r;

	zdtm_init(&argc, argv);
	MUST(!socketpair(AF_UNIX, SOCK_DGRAM, 0, &fds[D0]) &&
	     !socketpair(AF_UNIX, SOCK_SEQPACKET, 0, &fds[S0]) &&
	     !socketpair(AF_UNIX, SOCK_STREAM, 0, &fds[T0]), "socketpair");
	MUST(!setsockopt(fds[T0], SOL_SOCKET, SO_RCVBUF, &(int){ 30000 }, sizeof(int)),
	     "SO_RCVBUF");
	rcvbuf = opt(fds[T0], SO_RCVBUF);
	for (end = 0; end < 2; end++) {
		send_all(D0, end, "datagram send");
		send_all(S0, end, "seqpacket send");
		fill(buf, end, 9, sizeof(buf));
		MUST(write(fds[T0 + !end], buf, 3000 + end) == 3000 + end,
		     "stream write");
	}
	MUST(!setsockopt(fds[D0], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)) &&
	     !setsockopt(fds[S1], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)),
	     "SO_PASSCRED");
	zdtm_ready();
	zdtm_wait();

	if (opt(fds[D0], SO_PASSCRED) != 1 || opt(fds[D1], SO_PASSCRED) ||
	    opt(fds[S0], SO_PASSCRED) || opt(fds[S1], SO_PASSCRED) != 1 ||
	    opt(fds[T0], SO_PASSCRED) || opt(fds[T1], SO_PASSCRED))
		zdtm_fail("SO_PASSCRED is not on the two ends that had it alone");
	if (opt(fds[T0], SO_RCVBUF) != rcvbuf)
		zdtm_fail("the stream end's SO_RCVBUF is %d, was %d",
			  opt(fds[T0], SO_RCVBUF), rcvbuf);

	for (end = 0; end < 2; end++) {
		recv_all(D0, end, "the datagram socketpair");
		recv_all(S0, end, "the seqpacket socketpair");
		fill(want, end, 9, sizeof(want));
		for (k = 0; k < 3000u + end; k += r) {
			RETRY(r, read(fds[T0 + end], buf + k, 3000 + end - k));
			MUST(r > 0, "stream read");
		}
		if (memcmp(buf, want, k))
			zdtm_fail("the stream socketpair, end %d: other bytes", end);
		r = recv(fds[T0 + end], buf, 1, MSG_DONTWAIT);
		if (r != -1 || errno != EAGAIN)
			zdtm_fail("the stream socketpair, end %d: more bytes", end);
		/* Still pairs: a new message each way. */
		send_all(D0, end, "datagram send after");
		recv_all(D0, end, "the datagram socketpair after");
		send_all(S0, end, "seqpacket send after");
		recv_all(S0, end, "the seqpacket socketpair after");
	}
	check_creds();
	zdtm_pass();
}
