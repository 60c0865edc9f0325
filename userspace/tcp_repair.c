// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connections that move with a process, through the kernel's
 * TCP_REPAIR (it needs CAP_NET_ADMIN).
 *
 * At the dump, once the image is complete, the process's connections are
 * put in repair mode before it is killed: a socket in repair mode closes
 * without a FIN or RST, so the peer knows nothing of the move.  At the
 * restore, each is rebuilt from its struct ckpt_tcp_conn in repair mode:
 * its sequence numbers before connect() (which then sends no SYN), its
 * options, its queues' bytes, its window; and once all are, out of repair
 * mode, the bytes that had not been sent yet, which are sent now.
 *
 * No network lock: what the peer sends between the dump's capture and
 * the restore is answered by the old socket or by nobody (an RST), so a
 * peer must be quiet meanwhile, as a client waiting for its server is.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "names.h"
#include "restore.h"
#include "tool.h"

#ifndef TCP_REPAIR_ON
#define TCP_REPAIR_ON		1
#define TCP_REPAIR_OFF		0
#endif

enum { NO_QUEUE, RECV_QUEUE, SEND_QUEUE };

static int set_int(int s, int level, int opt, int val)
{
	return setsockopt(s, level, opt, &val, sizeof(val));
}

/* Is @s, a socket of ours, an established TCP connection? */
static bool established(int s)
{
	struct tcp_info ti;
	socklen_t len = sizeof(int);
	int v = 0;

	if (getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &len) ||
	    v != IPPROTO_TCP)
		return false;
	len = sizeof(ti);
	return !getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len) &&
	       ti.tcpi_state == TCP_ESTABLISHED;
}

/*
 * Puts process @pid's TCP connections in repair mode, through copies of
 * their fds (pidfd_getfd(); the process is stopped and ours to trace),
 * kept in @q for tcp_quiet_end().  0, or -1 after saying why.
 */
int tcp_quiet(pid_t pid, struct tcp_quiet *q)
{
	size_t i, nr = 0;
	int *fds, pidfd, s, *grown;
	int ret = 0;

	memset(q, 0, sizeof(*q));
	fds = proc_ids(pid, "fd", &nr);
	if (!fds) {
		errmsg("dump: process %d: its fds: %s", pid, strerror(errno));
		return -1;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		errmsg("dump: process %d: pidfd_open: %s", pid, strerror(errno));
		free(fds);
		return -1;
	}
	for (i = 0; i < nr && !ret; i++) {
		s = (int)syscall(SYS_pidfd_getfd, pidfd, fds[i], 0);
		if (s < 0) {
			if (errno == EBADF)
				continue;	/* closed by now: not ours */
			errmsg("dump: process %d: fd %d: pidfd_getfd: %s", pid,
			       fds[i], strerror(errno));
			ret = -1;
			break;
		}
		if (!established(s)) {
			close(s);
			continue;
		}
		if (set_int(s, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_ON)) {
			errmsg("dump: process %d: fd %d: TCP connection: cannot put it in TCP_REPAIR mode to end the process quietly: %s%s",
			       pid, fds[i], strerror(errno),
			       errno == EPERM ? " (it needs CAP_NET_ADMIN)" : "");
			close(s);
			ret = -1;
			break;
		}
		grown = realloc(q->fds, (q->nr + 1) * sizeof(*q->fds));
		if (!grown) {
			set_int(s, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF);
			close(s);
			errmsg("dump: out of memory");
			ret = -1;
			break;
		}
		q->fds = grown;
		q->fds[q->nr++] = s;
	}
	close(pidfd);
	free(fds);
	if (ret)
		tcp_quiet_end(q, true);
	return ret;
}

/*
 * Lets go of the copies; with @undo (the process was not ended after all)
 * first takes its connections out of repair mode again, which sends the
 * peer a window probe.
 */
void tcp_quiet_end(struct tcp_quiet *q, bool undo)
{
	size_t i;

	for (i = 0; i < q->nr; i++) {
		if (undo)
			set_int(q->fds[i], IPPROTO_TCP, TCP_REPAIR,
				TCP_REPAIR_OFF);
		close(q->fds[i]);
	}
	free(q->fds);
	memset(q, 0, sizeof(*q));
}

/* One connection being rebuilt on socket @s, from its checked record. */
struct conn_job {
	int s;
	unsigned int fd;
	struct ckpt_tcp_conn t;
	const uint8_t *q;	/* the send queue's bytes, then the receive's */
	uint32_t sent;		/* of the send queue's, those sent already */
	char words[256];	/* "TCP connection A to B" */
};

static void job_init(struct conn_job *j, int s,
		     const struct ckpt_file_socket *st, const void *tail,
		     unsigned int fd)
{
	char a[96], b[96];

	j->s = s;
	j->fd = fd;
	memcpy(&j->t, tail, sizeof(j->t));
	j->q = (const uint8_t *)tail + sizeof(j->t);
	j->sent = j->t.snd_nxt - j->t.snd_una;
	sockaddr_words(a, sizeof(a), st->addr, st->addr_len);
	sockaddr_words(b, sizeof(b), st->peer, st->peer_len);
	snprintf(j->words, sizeof(j->words), "%s connection %s to %s",
		 sock_kind_name(st), a, b);
}

static int fail(const struct conn_job *j, const char *what)
{
	int err = errno;

	errmsg("restore: fd %u: %s: %s: %s%s", j->fd, j->words, what,
	       strerror(err),
	       err == EPERM ? " (rebuilding a connection needs CAP_NET_ADMIN)" : "");
	errno = err;
	return -1;
}

static int queue_seq(const struct conn_job *j, int queue, uint32_t seq)
{
	if (set_int(j->s, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue) ||
	    setsockopt(j->s, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, sizeof(seq)))
		return fail(j, "TCP_QUEUE_SEQ");
	return 0;
}

/*
 * @len bytes into the socket's queue @queue (NO_QUEUE: sent for real).  A
 * new socket's buffers start small, and the old one's had grown: if they
 * are too small for the bytes, they are made large enough once.
 */
static int queue_bytes(const struct conn_job *j, int queue, const uint8_t *buf,
		       size_t len, bool locked)
{
	int opt = queue == RECV_QUEUE ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
	bool grown = locked;
	size_t off = 0, chunk;
	ssize_t n;

	if (queue != NO_QUEUE &&
	    set_int(j->s, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue))
		return fail(j, "TCP_REPAIR_QUEUE");
	while (off < len) {
		chunk = len - off < 65536 ? len - off : 65536;
		n = send(j->s, buf + off, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == ENOMEM) && !grown &&
		    len < (size_t)INT32_MAX / 2) {
			grown = true;
			if (!set_int(j->s, SOL_SOCKET, opt, (int)(2 * len + 65536)))
				continue;
		}
		if (n == 0)
			errno = EAGAIN;
		return fail(j, queue == RECV_QUEUE ? "its receive queue's bytes" :
			       queue == SEND_QUEUE ? "its send queue's bytes" :
			       "its bytes not sent yet");
	}
	return 0;
}

static int repair_options(const struct conn_job *j,
			  const struct ckpt_tcp_conn *t)
{
	struct tcp_repair_opt opts[4];
	unsigned int n = 0;

	if (t->options & CKPT_TCP_SACK)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (t->options & CKPT_TCP_WSCALE)
		opts[n++] = (struct tcp_repair_opt){
			TCPOPT_WINDOW, t->snd_wscale + (t->rcv_wscale << 16) };
	if (t->options & CKPT_TCP_TSTAMP)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	opts[n++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, t->mss };
	if (setsockopt(j->s, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts,
		       n * sizeof(opts[0])))
		return fail(j, "TCP_REPAIR_OPTIONS");
	if ((t->options & CKPT_TCP_TSTAMP) &&
	    setsockopt(j->s, IPPROTO_TCP, TCP_TIMESTAMP, &t->timestamp,
		       sizeof(t->timestamp)))
		return fail(j, "TCP_TIMESTAMP");
	return 0;
}

/*
 * Rebuilds TCP connection @st (its struct ckpt_tcp_conn and queues in
 * @tail, checked) on @s, a new TCP socket with its options set, which the
 * process had as fd @fd, and leaves it in repair mode, silent, for
 * tcp_conn_finish().  0, or -1 after saying why.
 */
int tcp_conn_make(int s, const struct ckpt_file_socket *st, const void *tail,
		  unsigned int fd)
{
	struct tcp_repair_window w;
	struct conn_job j;
	const struct ckpt_tcp_conn *t = &j.t;

	job_init(&j, s, st, tail, fd);
	if (set_int(s, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_ON))
		return fail(&j, "TCP_REPAIR");
	if (queue_seq(&j, RECV_QUEUE, t->rcv_nxt - t->recvq_len) ||
	    queue_seq(&j, SEND_QUEUE, t->snd_una))
		return -1;
	/* In repair mode both bind over the listener and connect quietly. */
	if (bind(s, (const struct sockaddr *)st->addr, st->addr_len))
		return fail(&j, "bind");
	if (connect(s, (const struct sockaddr *)st->peer, st->peer_len))
		return fail(&j, "connect");
	if (repair_options(&j, t) ||
	    queue_bytes(&j, RECV_QUEUE, j.q + t->sendq_len, t->recvq_len,
			st->flags & CKPT_SOCK_RCVBUF) ||
	    queue_bytes(&j, SEND_QUEUE, j.q, j.sent,
			st->flags & CKPT_SOCK_SNDBUF))
		return -1;
	w = (struct tcp_repair_window){
		.snd_wl1 = t->snd_wl1, .snd_wnd = t->snd_wnd,
		.max_window = t->max_window, .rcv_wnd = t->rcv_wnd,
		.rcv_wup = t->rcv_wup,
	};
	if (setsockopt(s, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)))
		return fail(&j, "TCP_REPAIR_WINDOW");
	return 0;
}

/*
 * TCP connection @st, rebuilt on @s by tcp_conn_make(), out of repair
 * mode: it talks to its peer from here on (a window probe, the bytes not
 * sent yet), so only once every socket of the process is rebuilt, lest
 * an end not yet made answer for its peer with an RST.
 */
int tcp_conn_finish(int s, const struct ckpt_file_socket *st, const void *tail,
		    unsigned int fd)
{
	struct conn_job j;

	job_init(&j, s, st, tail, fd);
	if (set_int(s, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF))
		return fail(&j, "leaving TCP_REPAIR mode");
	/* Leaving repair mode forgot SO_REUSEADDR. */
	if ((st->flags & CKPT_SOCK_REUSEADDR) &&
	    set_int(s, SOL_SOCKET, SO_REUSEADDR, 1))
		return fail(&j, "SO_REUSEADDR");
	return queue_bytes(&j, NO_QUEUE, j.q + j.sent, j.t.sendq_len - j.sent,
			   st->flags & CKPT_SOCK_SNDBUF);
}
