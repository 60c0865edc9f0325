// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets, as far as a restorer can rebuild them with socket(),
 * setsockopt(), bind(), listen(), connect() and socketpair(): unix, TCP
 * and UDP sockets not yet bound or bound, listening, (datagram) connected
 * to a peer, and unix socketpairs whose both ends are in the process;
 * and TCP connections, with TCP_REPAIR (tcp_conn.c): the process's to
 * itself in any dump, those to a peer outside in a final dump that says
 * so, their peers held off meanwhile (netlock.c).
 * Their state is read off the socket itself; at restore, the socket the
 * restorer made is checked against the record before the kernel takes it.
 *
 * A socket whose state is in a connection or a queue that no restorer can
 * rebuild (a unix stream connected out of the process, a datagram not
 * read yet, a connection not accepted yet) is refused in words: rebuilding
 * it empty would lose what the process was owed.
 */
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/stat.h>
#include <linux/un.h>
#include <net/af_unix.h>
#include <net/inet_connection_sock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "ctx.h"
#include "fds.h"

static const char *family_name(int family)
{
	switch (family) {
	case AF_NETLINK:
		return "netlink";
	case AF_PACKET:
		return "packet";
	case AF_ALG:
		return "AF_ALG";
	case AF_VSOCK:
		return "vsock";
	case AF_BLUETOOTH:
		return "bluetooth";
	case AF_KEY:
		return "PF_KEY";
	case AF_XDP:
		return "XDP";
	case AF_TIPC:
		return "TIPC";
	}
	return NULL;
}

/* "TCP", "UDP", "unix stream": NULL if not a kind this file carries. */
static const char *kind_name(const struct sock *sk)
{
	if (sk->sk_family == AF_UNIX) {
		switch (sk->sk_type) {
		case SOCK_STREAM:
			return "unix stream";
		case SOCK_DGRAM:
			return "unix datagram";
		case SOCK_SEQPACKET:
			return "unix seqpacket";
		}
		return NULL;
	}
	if (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)
		return NULL;
	if (sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP)
		return sk->sk_family == AF_INET ? "TCP" : "TCPv6";
	if (sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_UDP)
		return sk->sk_family == AF_INET ? "UDP" : "UDPv6";
	return NULL;
}

/* An address for the words of an error: "127.0.0.1:80", "@name". */
static void addr_words(char *buf, size_t size, const u8 *addr, u32 len)
{
	const struct sockaddr_un *un = (const void *)addr;
	int n = (int)len - (int)offsetof(struct sockaddr_un, sun_path);

	if (!len) {
		strscpy(buf, "(not bound)", size);
	} else if (un->sun_family != AF_UNIX) {
		snprintf(buf, size, "%pISpc", addr);
	} else if (n <= 0) {
		strscpy(buf, "unnamed", size);
	} else if (un->sun_path[0]) {
		snprintf(buf, size, "%.*s", n, un->sun_path);
	} else {
		/* Abstract: a NUL and then bytes, said as ss -x says them. */
		snprintf(buf, size, "@%.*s", n - 1, un->sun_path + 1);
	}
}

/* getsockname() or getpeername() of @sock into @addr; its length. */
static int sock_name(struct socket *sock, u8 *addr, bool peer)
{
	struct sockaddr_storage ss;
	int len;

	memset(&ss, 0, sizeof(ss));
	len = peer ? kernel_getpeername(sock, (struct sockaddr *)&ss) :
		     kernel_getsockname(sock, (struct sockaddr *)&ss);
	if (len < 0)
		return len;
	len = min_t(int, len, CKPT_SOCKADDR_MAX);
	memcpy(addr, &ss, len);
	return len;
}

static bool is_bound(const struct sock *sk, int len)
{
	if (sk->sk_family == AF_UNIX)
		return len > (int)sizeof(sa_family_t);
	return READ_ONCE(inet_sk(sk)->inet_num) != 0;
}

/* The options a restorer sets again, as setsockopt() would read them. */
static void sock_options(struct sock *sk, struct ckpt_file_socket *st)
{
	if (sk->sk_reuse)
		st->flags |= CKPT_SOCK_REUSEADDR;
	if (sk->sk_reuseport)
		st->flags |= CKPT_SOCK_REUSEPORT;
	if (sk->sk_family == AF_INET6 && sk->sk_ipv6only)
		st->flags |= CKPT_SOCK_V6ONLY;
	if (sock_flag(sk, SOCK_KEEPOPEN))
		st->flags |= CKPT_SOCK_KEEPALIVE;
	if (sock_flag(sk, SOCK_BROADCAST))
		st->flags |= CKPT_SOCK_BROADCAST;
	if (sk->sk_socket && test_bit(SOCK_PASSCRED, &sk->sk_socket->flags))
		st->flags |= CKPT_SOCK_PASSCRED;
	if (sk->sk_protocol == IPPROTO_TCP && sk->sk_family != AF_UNIX &&
	    (tcp_sk(sk)->nonagle & TCP_NAGLE_OFF))
		st->flags |= CKPT_SOCK_NODELAY;
	/* SO_RCVBUF and SO_SNDBUF keep twice what they are given. */
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK) {
		st->flags |= CKPT_SOCK_RCVBUF;
		st->rcvbuf = READ_ONCE(sk->sk_rcvbuf) / 2;
	}
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK) {
		st->flags |= CKPT_SOCK_SNDBUF;
		st->sndbuf = READ_ONCE(sk->sk_sndbuf) / 2;
	}
}

/* A timeout in jiffies as SO_RCVTIMEO reads it, in microseconds; 0: none. */
static u64 timeo_us(long t)
{
	return t == MAX_SCHEDULE_TIMEOUT ? 0 : jiffies_to_nsecs(t) / NSEC_PER_USEC;
}

/*
 * The other options, as their getsockopt()s read them, but 0 for "the
 * system's" where a TCP field keeps that (the keepalive three).  Under
 * lock_sock(), as setsockopt() writes them.
 */
static void sock_more_options(struct sock *sk, struct ckpt_sock_opts *o)
{
	const struct tcp_congestion_ops *ca;
	struct tcp_sock *tp;

	o->rcvtimeo_us = timeo_us(READ_ONCE(sk->sk_rcvtimeo));
	o->sndtimeo_us = timeo_us(READ_ONCE(sk->sk_sndtimeo));
	o->rcvlowat = READ_ONCE(sk->sk_rcvlowat);
	o->priority = READ_ONCE(sk->sk_priority);
	if (sock_flag(sk, SOCK_LINGER)) {
		o->flags |= CKPT_SOCKOPT_LINGER;
		o->linger = READ_ONCE(sk->sk_lingertime) / HZ;
	}
	if (sk->sk_family == AF_INET)
		o->tos = READ_ONCE(inet_sk(sk)->tos);
	else if (sk->sk_family == AF_INET6)
		o->tos = READ_ONCE(inet6_sk(sk)->tclass);
	if (sk->sk_family == AF_UNIX || sk->sk_protocol != IPPROTO_TCP)
		return;
	tp = tcp_sk(sk);
	o->keepidle = READ_ONCE(tp->keepalive_time) / HZ;
	o->keepintvl = READ_ONCE(tp->keepalive_intvl) / HZ;
	o->keepcnt = READ_ONCE(tp->keepalive_probes);
	o->user_timeout = READ_ONCE(inet_csk(sk)->icsk_user_timeout);
	o->maxseg = READ_ONCE(tp->rx_opt.user_mss);
	o->notsent_lowat = READ_ONCE(tp->notsent_lowat);
	if (tp->nonagle & TCP_NAGLE_CORK)
		o->flags |= CKPT_SOCKOPT_CORK;
	ca = inet_csk(sk)->icsk_ca_ops;
	if (ca)
		strscpy(o->congestion, ca->name, sizeof(o->congestion));
}

/* Connections a listener holds for accept(): unix queues them as skbs. */
static unsigned int accept_queue_len(const struct sock *sk)
{
	if (sk->sk_family == AF_UNIX)
		return skb_queue_len_lockless(&sk->sk_receive_queue);
	return READ_ONCE(sk->sk_ack_backlog);
}

/*
 * The other end of unix socket @sk, if it is one of the process's files
 * @c: the smaller of the two socket inode numbers, which names the pair;
 * else 0.  unix_peer() is read under the socket's state lock, and only
 * compared.
 */
static u32 pair_in(const struct ckpt_fds *c, struct sock *sk)
{
	struct socket *other;
	struct sock *peer;
	unsigned int i;

	if (sk->sk_family != AF_UNIX)
		return 0;
	unix_state_lock(sk);
	peer = unix_peer(sk);
	unix_state_unlock(sk);
	if (!peer)
		return 0;
	for (i = 0; i < c->n; i++) {
		other = sock_from_file(c->fds[i].file);
		if (other && other->sk == peer)
			return min(SOCK_INODE(other)->i_ino,
				   SOCK_INODE(sk->sk_socket)->i_ino);
	}
	return 0;
}

/*
 * What waits in unix socket @sk's receive queue, copied to @dst (when not
 * NULL, @max at most) without consuming it; its length, -EMSGSIZE past
 * @max, -EOPNOTSUPP for passed fds or out-of-band data, which a restorer
 * cannot send again.  A stream's bytes as they are, each message of any
 * other type as a struct ckpt_sock_msg and its bytes: a datagram or
 * seqpacket skb is one message, read whole (consumed is a stream's).
 * Under the socket's iolock, as its readers, and the queue's lock, as its
 * writers.
 */
static long unix_peek(struct sock *sk, u8 *dst, size_t max)
{
	bool msgs = sk->sk_type != SOCK_STREAM;
	struct unix_sock *u = unix_sk(sk);
	struct ckpt_sock_msg m;
	struct sk_buff *skb;
	size_t n = 0, hdr;
	long ret = 0;
	u32 len;

	mutex_lock(&u->iolock);
	spin_lock(&sk->sk_receive_queue.lock);
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		if (UNIXCB(skb).fp || READ_ONCE(u->oob_skb)) {
			ret = -EOPNOTSUPP;
			break;
		}
		len = msgs ? skb->len : skb->len - UNIXCB(skb).consumed;
		hdr = msgs ? sizeof(m) : 0;
		if (dst) {
			if (n + hdr + len > max) {
				ret = -EMSGSIZE;
				break;
			}
			m.len = len;
			memcpy(dst + n, &m, hdr);
			ret = skb_copy_bits(skb, msgs ? 0 : UNIXCB(skb).consumed,
					    dst + n + hdr, len);
			if (ret)
				break;
		}
		n += hdr + len;
	}
	spin_unlock(&sk->sk_receive_queue.lock);
	mutex_unlock(&u->iolock);
	return ret ? ret : (long)n;
}

/*
 * What waits in socketpair end @sk for its reader (unix_peek()),
 * kvmalloc'd in *@data (NULL for none), or -errno said in @ctx.
 */
static int pair_data(struct ckpt_ctx *ctx, struct sock *sk, unsigned int fd,
		     const char *what, u8 **data, size_t *len)
{
	long n = unix_peek(sk, NULL, 0);
	u8 *buf;

	*data = NULL;
	*len = 0;
	if (n > CKPT_SOCK_DATA_MAX)
		n = -EMSGSIZE;
	if (n <= 0 && n != -EMSGSIZE && n != -EOPNOTSUPP)
		return n;
	buf = n > 0 ? kvmalloc(n, GFP_KERNEL) : NULL;
	if (n > 0 && !buf)
		n = -ENOMEM;
	if (n > 0)
		n = unix_peek(sk, buf, n);
	if (n == -EOPNOTSUPP)
		ckpt_err(ctx, -EOPNOTSUPP,
			 "fd %u: %s socketpair: fds or out-of-band data wait to be read, which a restore cannot send again",
			 fd, what);
	else if (n < 0)
		ckpt_err(ctx, n == -EMSGSIZE ? -EFBIG : (int)n,
			 "fd %u: %s socketpair: cannot keep the data waiting to be read (%s)",
			 fd, what, n == -EMSGSIZE ? "too much, or it grew" : "no memory");
	if (n < 0) {
		kvfree(buf);
		return n == -EMSGSIZE ? -EFBIG : (int)n;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* The state of @sk, or what stops it from being rebuilt (said in @ctx). */
static int sock_state(struct ckpt_ctx *ctx, struct socket *sock,
		      unsigned int fd, const char *what, const char *name,
		      bool pair, struct ckpt_sock_rec *rec)
{
	struct ckpt_file_socket *st = &rec->st;
	struct sock *sk = sock->sk;
	bool stream = sk->sk_type != SOCK_DGRAM;
	unsigned int n, queued;
	char peer[64];
	int state, len;

	lock_sock(sk);
	state = sk->sk_state;
	sock_options(sk, st);
	st->flags |= CKPT_SOCK_OPTS;
	sock_more_options(sk, &rec->opts);
	n = accept_queue_len(sk);
	st->backlog = READ_ONCE(sk->sk_max_ack_backlog);
	/* Data a TCP stream holds belongs to its connection, refused anyway. */
	len = stream ? 0 : sk_rmem_alloc_get(sk);
	queued = sk->sk_family == AF_UNIX && state != TCP_LISTEN ?
		 skb_queue_len(&sk->sk_receive_queue) : 0;
	release_sock(sk);
	/* A socketpair end's is carried (pair_data()), checked again below. */
	if (!len && !pair)
		len = queued;

	if (state == TCP_LISTEN && stream) {
		if (n)
			return ckpt_err(ctx, -EBUSY,
					"fd %u: %s socket %s: %u connections wait to be accepted; try again once they are",
					fd, what, name, n);
		st->state = CKPT_SOCK_LISTEN;
		return 0;
	}
	if (len)
		return ckpt_err(ctx, -EBUSY,
				"fd %u: %s socket %s: %s to be read; try again once they are",
				fd, what, name, stream ? "data waits" : "datagrams wait");
	if (state == TCP_CLOSE) {
		/* A stream whose connection ended reads EOF, not ENOTCONN. */
		if (stream && (READ_ONCE(sk->sk_shutdown) || READ_ONCE(sk->sk_err) ||
			       (sk->sk_family == AF_UNIX && unix_peer(sk))))
			return ckpt_err(ctx, -EOPNOTSUPP,
					"fd %u: %s socket %s: its connection ended, which a restore cannot make again",
					fd, what, name);
		st->state = CKPT_SOCK_CLOSED;
		return 0;
	}
	if (state == TCP_ESTABLISHED) {
		len = sock_name(sock, st->peer, true);
		if (len < 0)
			len = 0;
		addr_words(peer, sizeof(peer), st->peer, len);
		if (sk->sk_family == AF_UNIX && !is_bound(sk, len) &&
		    !st->addr_len) {
			if (!pair)
				return ckpt_err(ctx, -EOPNOTSUPP,
						"fd %u: %s socketpair: its other end is not in the process, which is not supported yet",
						fd, what);
			if (READ_ONCE(sk->sk_shutdown))
				return ckpt_err(ctx, -EOPNOTSUPP,
						"fd %u: %s socketpair: shut down in a direction, which a restore cannot make again",
						fd, what);
			/* Its peer's name is only a family. */
			memset(st->peer, 0, sizeof(st->peer));
			st->state = CKPT_SOCK_PAIR;
			return 0;
		}
		if (stream && sk->sk_family == AF_UNIX)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"fd %u: %s connection %s to %s: unix stream connections but socketpairs are not supported yet",
					fd, what, name, peer);
		/* Its peer is in the process, but it is no socketpair. */
		if (queued)
			return ckpt_err(ctx, -EBUSY,
					"fd %u: %s socket %s: datagrams wait to be read; try again once they are",
					fd, what, name);
		if (stream) {
			st->peer_len = len;
			st->state = CKPT_SOCK_ESTABLISHED;
			return 0;
		}
		if (!is_bound(sk, len) && sk->sk_family == AF_UNIX)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"fd %u: %s socket %s: connected to an unnamed socket (a socketpair), which is not supported yet",
					fd, what, name);
		st->peer_len = len;
		st->state = CKPT_SOCK_CONNECTED;
		return 0;
	}
	return ckpt_err(ctx, -EOPNOTSUPP,
			"fd %u: %s socket %s: in TCP state %d (connecting or closing), which is not supported",
			fd, what, name, state);
}

static bool tcp_established(struct sock *sk)
{
	return sk && sk->sk_type == SOCK_STREAM &&
	       sk->sk_protocol == IPPROTO_TCP &&
	       (sk->sk_family == AF_INET || sk->sk_family == AF_INET6) &&
	       READ_ONCE(sk->sk_state) == TCP_ESTABLISHED;
}

/**
 * ckpt_tcp_hold_peers - hold off the peers of the TCP connections to outside
 * @ctx: a final dump that moves them (ctx->tcp_out)
 * @c: the process's files, numbered (id); each connection held is marked
 *	(held)
 *
 * Every lock first, then one synchronize_net() for all of them, which
 * costs a grace period (about 15 ms under TCG): after it, the packets
 * already past the hook are in their sockets.  A connection that was not
 * established yet here is held by tcp_conn() on its own.
 */
int ckpt_tcp_hold_peers(struct ckpt_ctx *ctx, struct ckpt_fds *c)
{
	unsigned int i, n = 0;
	struct socket *sock;
	u32 last_id = 0;
	int ret;

	for (i = 0; i < c->n; i++) {
		/*
		 * FILE ids come in order of first fd: an fd whose id is not
		 * new is dup'd from an earlier one, which holds its peer.
		 */
		if (c->fds[i].id <= last_id)
			continue;
		last_id = c->fds[i].id;
		sock = sock_from_file(c->fds[i].file);
		if (!sock || !tcp_established(sock->sk) ||
		    !ckpt_tcp_peer_outside(c, sock->sk))
			continue;
		ret = ckpt_netlock_add(ctx->owner, ctx->task, sock->sk);
		if (ret)
			return ckpt_err(ctx, ret,
					"fd %u: TCP connection: cannot hold its peer's packets off",
					c->fds[i].fd);
		c->fds[i].held = true;
		n++;
	}
	if (n)
		synchronize_net();
	return 0;
}

/*
 * A TCP connection's numbers and queues (tcp_conn.c), after its struct.
 * One to a peer outside the process moves only in a final dump that says
 * so, its peer held off from before it is read (netlock.c): what the peer
 * sends after that is not acknowledged, so not lost.  Held already by
 * ckpt_tcp_hold_peers() (@held), or here.
 */
static int tcp_conn(struct ckpt_ctx *ctx, const struct ckpt_fds *c,
		    struct sock *sk, unsigned int fd, bool held,
		    const char *what, const char *name,
		    const struct ckpt_file_socket *st, u8 **data, size_t *len)
{
	char peer[64], words[160];
	int ret;

	addr_words(peer, sizeof(peer), st->peer, st->peer_len);
	snprintf(words, sizeof(words), "fd %u: %s connection %s to %s", fd,
		 what, name, peer);
	if (!held && ckpt_tcp_peer_outside(c, sk)) {
		if (!ctx->tcp_out)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"%s: its peer is outside: dump --kill --tcp-established moves it",
					words);
		ret = ckpt_netlock_add(ctx->owner, ctx->task, sk);
		if (ret)
			return ckpt_err(ctx, ret, "%s: cannot hold its peer's packets off",
					words);
		/* Packets past the hook already are in the socket after it. */
		synchronize_net();
	}
	return ckpt_tcp_conn_read(ctx, sk, words, data, len);
}

/**
 * ckpt_socket_state - the state of the socket open as @fc
 * @ctx: the dump, for the words of an error
 * @c: the process's files, among which a socketpair's other end may be
 * @fc: its first fd; -ENOENT if its file is not a socket (nothing said)
 * @rec: filled in
 * @path: set to the name of the socket file a unix socket is bound to, in
 *	@ctx's path buffer, or NULL
 * @pair_id: set to the pipe_id of a socketpair, or 0
 * @data: set to what waits in a socketpair's end (unix_peek()), or a TCP
 *	connection's struct and queues, kvmalloc'd, or NULL
 * @data_len: set to their number
 */
int ckpt_socket_state(struct ckpt_ctx *ctx, const struct ckpt_fds *c,
		      const struct ckpt_fd *fc, struct ckpt_sock_rec *rec,
		      const char **path, u32 *pair_id, u8 **data,
		      size_t *data_len)
{
	struct ckpt_file_socket *st = &rec->st;
	struct socket *sock = sock_from_file(fc->file);
	unsigned int fd = fc->fd;
	struct unix_sock *u;
	const char *what;
	struct sock *sk;
	char name[64];
	int len;

	*path = NULL;
	*pair_id = 0;
	*data = NULL;
	*data_len = 0;
	if (!sock)
		return -ENOENT;
	sk = sock->sk;
	what = sk ? kind_name(sk) : NULL;
	if (!what) {
		what = sk ? family_name(sk->sk_family) : NULL;
		if (what)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"fd %u: unsupported file type: %s socket",
					fd, what);
		return ckpt_err(ctx, -EOPNOTSUPP,
				"fd %u: unsupported file type: socket of family %d, type %d, protocol %d",
				fd, sk ? sk->sk_family : -1, sk ? sk->sk_type : -1,
				sk ? sk->sk_protocol : -1);
	}
	memset(rec, 0, sizeof(*rec));
	st->family = sk->sk_family;
	st->type = sk->sk_type;
	st->protocol = sk->sk_protocol;
	len = sock_name(sock, st->addr, false);
	if (len < 0)
		return ckpt_err(ctx, len, "fd %u: %s socket: cannot read its address",
				fd, what);
	if (is_bound(sk, len))
		st->addr_len = len;
	addr_words(name, sizeof(name), st->addr, st->addr_len);
	if (!st->addr_len)
		memset(st->addr, 0, sizeof(st->addr));
	*pair_id = pair_in(c, sk);
	len = sock_state(ctx, sock, fd, what, name, *pair_id, rec);
	if (len)
		return len;
	if (st->state != CKPT_SOCK_LISTEN)
		st->backlog = 0;
	if (st->state != CKPT_SOCK_PAIR)
		*pair_id = 0;
	else
		return pair_data(ctx, sk, fd, what, data, data_len);
	if (st->state == CKPT_SOCK_ESTABLISHED)
		return tcp_conn(ctx, c, sk, fd, fc->held, what, name, st, data,
				data_len);
	if (sk->sk_family != AF_UNIX)
		return 0;
	/* Bound to a file: the address is set only after the path is. */
	u = unix_sk(sk);
	if (!st->addr_len || !u->path.dentry)
		return 0;
	if (d_unlinked(u->path.dentry))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"fd %u: %s socket %s: its socket file was deleted, and a restore would make it again",
				fd, what, name);
	st->mode = d_inode(u->path.dentry)->i_mode & 07777;
	*path = ckpt_path(ctx, &u->path);
	if (IS_ERR(*path))
		return ckpt_err(ctx, PTR_ERR(*path),
				"fd %u: %s socket %s: cannot name its socket file",
				fd, what, name);
	return 0;
}

/* Has the socket file a unix socket is bound to the name @path? */
static bool same_file(const char *path, struct socket *sock)
{
	struct unix_sock *u = unix_sk(sock->sk);
	const char *now;
	bool same;
	char *buf;

	if (!u->path.dentry)
		return false;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return false;
	now = d_path(&u->path, buf, PATH_MAX);
	same = !IS_ERR(now) && !strcmp(now, path);
	kfree(buf);
	return same;
}

static bool socket_is(const struct ckpt_rec_file *r,
		      const struct ckpt_file_socket *st, struct socket *sock)
{
	struct sock *sk = sock->sk;
	u8 addr[CKPT_SOCKADDR_MAX];
	int state = READ_ONCE(sk->sk_state), len;

	if (sk->sk_family != st->family || sk->sk_type != st->type ||
	    sk->sk_protocol != st->protocol)
		return false;
	if (state != (st->state == CKPT_SOCK_LISTEN ? TCP_LISTEN :
		      st->state == CKPT_SOCK_CLOSED ? TCP_CLOSE :
		      TCP_ESTABLISHED))
		return false;
	len = sock_name(sock, addr, false);
	if (len < 0 || is_bound(sk, len) != !!st->addr_len)
		return false;
	if (r->path_len) {
		if (!same_file(r->data, sock))
			return false;
	} else if (st->addr_len &&
		   (len != (int)st->addr_len || memcmp(addr, st->addr, len))) {
		return false;
	}
	if (st->state == CKPT_SOCK_PAIR)	/* to an unnamed socket */
		return sock_name(sock, addr, true) == sizeof(sa_family_t);
	if (st->state != CKPT_SOCK_CONNECTED &&
	    st->state != CKPT_SOCK_ESTABLISHED)
		return true;
	len = sock_name(sock, addr, true);
	return len == (int)st->peer_len && !memcmp(addr, st->peer, len);
}

/**
 * ckpt_socket_is - whether @f is the socket FILE record @r describes
 * @r: a FILE record of kind SOCKET, validated
 * @f: the file the restorer made for it
 *
 * Of the same family, type and protocol, in the state, bound to the
 * address (a unix socket bound to a file: to that file's name, as its
 * address may be said relative to another directory) and connected to the
 * peer.  Its options are the restorer's to set: nothing in the kernel
 * depends on them.
 */
bool ckpt_socket_is(const struct ckpt_rec_file *r, struct file *f)
{
	struct socket *sock = sock_from_file(f);
	struct ckpt_file_socket *st;
	struct ckpt_tcp_conn *t;
	bool ok;

	if (!sock || !sock->sk)
		return false;
	/* After the path: not aligned. */
	st = kmemdup(r->data + r->path_len, sizeof(*st), GFP_KERNEL);
	if (!st)
		return false;
	ok = socket_is(r, st, sock);
	/* Its struct ckpt_tcp_conn follows (after its options); not aligned. */
	if (ok && st->state == CKPT_SOCK_ESTABLISHED) {
		t = kmemdup(r->data + r->path_len + ckpt_sock_data_off(st),
			    sizeof(*t), GFP_KERNEL);
		ok = t && ckpt_tcp_conn_is(sock->sk, t);
		kfree(t);
	}
	kfree(st);
	return ok;
}
