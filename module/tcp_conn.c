// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connections in an image: their sequence numbers, negotiated
 * options, windows and the bytes of both queues, read under the socket's
 * lock as TCP_REPAIR's getsockopt()s read them.  The restorer rebuilds
 * each with TCP_REPAIR; the kernel checks that it did before it takes the
 * socket.
 *
 * A connection of the process to itself is copied whole by any dump.  One
 * to a peer outside only moves, in a final dump (socket.c decides): a
 * copy and the process would both answer the peer.  Before a final dump
 * ends the process, the caller puts its sockets in repair mode, so that
 * their close sends neither FIN nor RST.
 */
#include <linux/mm.h>
#include <linux/skbuff.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "ctx.h"
#include "fds.h"

/*
 * The bytes of @skb from *@seq up to @end, copied to @dst + *@n; both move
 * on.  A gap before it, or a SYN or FIN in it, is -EPROTO: they are no
 * bytes a restorer could send again.
 */
static int copy_seg(const struct sk_buff *skb, u32 *seq, u32 end, u8 *dst,
		    u32 *n)
{
	const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	u32 to;

	if (cb->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN))
		return -EPROTO;
	if (!after(cb->end_seq, *seq))
		return 0;	/* acked or read already */
	if (after(cb->seq, *seq))
		return -EPROTO;
	to = before(cb->end_seq, end) ? cb->end_seq : end;
	if (!after(to, *seq))
		return 0;
	if (skb_copy_bits(skb, *seq - cb->seq, dst + *n, to - *seq))
		return -EPROTO;
	*n += to - *seq;
	*seq = to;
	return 0;
}

/* The send queue, sent (the retransmit tree) and not (the write queue). */
static int copy_sendq(struct sock *sk, const struct ckpt_tcp_conn *t, u8 *dst)
{
	u32 seq = t->snd_una, n = 0;
	struct sk_buff *skb;
	int ret = 0;

	skb_rbtree_walk(skb, &sk->tcp_rtx_queue) {
		ret = copy_seg(skb, &seq, t->write_seq, dst, &n);
		if (ret)
			return ret;
	}
	skb_queue_walk(&sk->sk_write_queue, skb) {
		ret = copy_seg(skb, &seq, t->write_seq, dst, &n);
		if (ret)
			return ret;
	}
	return n == t->sendq_len ? 0 : -EPROTO;
}

static int copy_recvq(struct sock *sk, const struct tcp_sock *tp,
		      const struct ckpt_tcp_conn *t, u8 *dst)
{
	u32 seq = tp->copied_seq, n = 0;
	struct sk_buff *skb;
	int ret;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		ret = copy_seg(skb, &seq, t->rcv_nxt, dst, &n);
		if (ret)
			return ret;
	}
	return n == t->recvq_len ? 0 : -EPROTO;
}

static void read_conn(struct sock *sk, const struct tcp_sock *tp,
		      struct ckpt_tcp_conn *t)
{
	sock_owned_by_me(sk);
	t->snd_una = tp->snd_una;
	t->snd_nxt = tp->snd_nxt;
	t->write_seq = tp->write_seq;
	t->rcv_nxt = tp->rcv_nxt;
	t->sendq_len = tp->write_seq - tp->snd_una;
	t->recvq_len = tp->rcv_nxt - tp->copied_seq;
	t->mss = tp->rx_opt.mss_clamp;
	if (tcp_is_sack(tp))
		t->options |= CKPT_TCP_SACK;
	if (tp->rx_opt.wscale_ok) {
		t->options |= CKPT_TCP_WSCALE;
		t->snd_wscale = tp->rx_opt.snd_wscale;
		t->rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	if (tp->rx_opt.tstamp_ok) {
		t->options |= CKPT_TCP_TSTAMP;
		t->timestamp = ckpt_tcp_timestamp(tp);
	}
	t->snd_wl1 = tp->snd_wl1;
	t->snd_wnd = tp->snd_wnd;
	t->max_window = tp->max_window;
	t->rcv_wnd = tp->rcv_wnd;
	t->rcv_wup = tp->rcv_wup;
}

/**
 * ckpt_tcp_conn_read - TCP connection @sk as a restorer rebuilds it
 * @ctx: the dump, final, for the words of an error
 * @sk: an established TCP socket
 * @fd: its number in the process
 * @words: "fd 4: TCP connection A to B", for the words
 * @data: set to a struct ckpt_tcp_conn and the queues' bytes, kvmalloc'd
 * @len: set to their size
 *
 * Under the socket's lock, which holds off its input (to the backlog) and
 * its timers, so that the numbers and the queues agree.  An error is said
 * in @ctx.
 */
int ckpt_tcp_conn_read(struct ckpt_ctx *ctx, struct sock *sk,
		       const char *words, u8 **data, size_t *len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct ckpt_tcp_conn t = { 0 };
	const char *why = NULL;
	u64 queues;
	u8 *buf = NULL;
	int ret = 0;

	*data = NULL;
	*len = 0;
	lock_sock(sk);
	if (sk->sk_state != TCP_ESTABLISHED)
		why = "it is no longer established";
	else if (READ_ONCE(sk->sk_shutdown))
		why = "it is shut down in a direction, which TCP_REPAIR cannot make again";
	else if (tp->repair)
		why = "another program has it in TCP_REPAIR mode";
	else if (READ_ONCE(tp->urg_data))
		why = "urgent data waits, which TCP_REPAIR cannot send again";
	if (why)
		goto unlock;
	read_conn(sk, tp, &t);
	queues = (u64)t.sendq_len + t.recvq_len;
	if (queues > CKPT_TCP_QUEUES_MAX) {
		why = "more bytes wait in its queues than CKPT_TCP_QUEUES_MAX";
		ret = -EFBIG;
		goto unlock;
	}
	/* The socket is owned, not spin-locked: an allocation may sleep. */
	buf = kvmalloc(sizeof(t) + queues, GFP_KERNEL);
	if (!buf) {
		why = "no memory for its queues";
		ret = -ENOMEM;
		goto unlock;
	}
	memcpy(buf, &t, sizeof(t));
	ret = copy_sendq(sk, &t, buf + sizeof(t));
	if (!ret)
		ret = copy_recvq(sk, tp, &t, buf + sizeof(t) + t.sendq_len);
	if (ret)
		why = "its queues hold something other than bytes (a SYN or FIN, or a gap)";
unlock:
	release_sock(sk);
	if (why) {
		kvfree(buf);
		return ckpt_err(ctx, ret ? ret : -EOPNOTSUPP, "%s: %s", words,
				why);
	}
	*data = buf;
	*len = sizeof(t) + queues;
	return 0;
}

/**
 * ckpt_tcp_conn_is - whether TCP socket @sk is the connection @t rebuilt
 * @sk: a socket the restorer made, of the family, addresses and state
 * @t: its record's struct ckpt_tcp_conn, validated
 *
 * Out of repair mode, with the send queue's end and at least the receive
 * queue's: the peer may have acknowledged or sent more since.
 */
bool ckpt_tcp_conn_is(struct sock *sk, const struct ckpt_tcp_conn *t)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	bool ok;

	lock_sock(sk);
	ok = !tp->repair && tp->write_seq == t->write_seq &&
	     !before(tp->rcv_nxt, t->rcv_nxt) &&
	     !before(tp->snd_una, t->snd_una);
	release_sock(sk);
	return ok;
}
