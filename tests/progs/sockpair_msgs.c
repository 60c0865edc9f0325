// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm: unix socketpairs with messages waiting in both directions at the
 * dump: a datagram pair and a seqpacket pair, each end with messages of
 * other lengths (an empty one, one of 60000 bytes), and a stream pair
 * with binary bytes both ways.  After the wait each end reads the same
 * messages, whole (MSG_TRUNC says a message's real length), in order, and
 * nothing more; then the pairs still carry new ones.
 */
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

int main(int argc, char **argv)
{
	char buf[4096], want[4096];
	size_t k;
	ssize_t r;
	int end;

	zdtm_init(&argc, argv);
	MUST(!socketpair(AF_UNIX, SOCK_DGRAM, 0, &fds[D0]) &&
	     !socketpair(AF_UNIX, SOCK_SEQPACKET, 0, &fds[S0]) &&
	     !socketpair(AF_UNIX, SOCK_STREAM, 0, &fds[T0]), "socketpair");
	for (end = 0; end < 2; end++) {
		send_all(D0, end, "datagram send");
		send_all(S0, end, "seqpacket send");
		fill(buf, end, 9, sizeof(buf));
		MUST(write(fds[T0 + !end], buf, 3000 + end) == 3000 + end,
		     "stream write");
	}
	zdtm_ready();
	zdtm_wait();

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
	zdtm_pass();
}
