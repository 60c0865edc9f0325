// SPDX-License-Identifier: GPL-2.0
/*
 * The network lock of TCP connections that move to a peer outside the
 * process (ckpt dump --kill --tcp-established).  From the capture until a
 * restore takes a connection again, the packets its peer sends it are
 * dropped at LOCAL_IN: between the kill and the restore no socket has the
 * connection, and the kernel would answer them with an RST, which ends it
 * for the peer.  Dropped, they are only lost packets: the peer sends them
 * again, until the restored socket acknowledges them.  From the capture
 * on, too, what the peer sends is not acknowledged by the socket the
 * image was read from, so the image holds all the process was owed.
 *
 * It fails open.  A dump's connections are its /dev/ckpt file's until
 * that file is closed: if the process still lives then (the writeout
 * failed, or the kill), they are unlocked at once; if it is gone, they
 * stay locked for netlock_secs, after which the peer meets the RST it
 * would have met without the lock.  Unloading the module unlocks all.
 *
 * Locks: locks_mutex serialises changes to the list, the hook's
 * registrations and the expiry; the hook reads the list under RCU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fdtable.h>
#include <linux/ipv6.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rculist.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/workqueue.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "ckpt.h"
#include "fds.h"

static unsigned int ckpt_netlock_secs = 300;
module_param_named(netlock_secs, ckpt_netlock_secs, uint, 0644);
MODULE_PARM_DESC(netlock_secs, "How long a moved TCP connection's peer is held off once its process is gone (default 300 s)");

/* A connection as its peer's packets name it; IPv4 addresses v4-mapped. */
struct conn_key {
	const struct net *net;
	struct in6_addr laddr, raddr;
	__be16 lport, rport;
};

struct conn_lock {
	struct list_head node;		/* in locks, RCU */
	struct rcu_head rcu;
	struct conn_key k;
	const void *owner;		/* the dump's open file, until settled */
	struct task_struct *task;	/* its process, referenced while owned */
	unsigned long expires;		/* jiffies, once settled */
};

/* A net namespace the hook is registered in, and how many locks use it. */
struct hooked_net {
	struct list_head node;
	struct net *net;		/* get_net() */
	unsigned int users;
};

static LIST_HEAD(locks);
static LIST_HEAD(hooked);
static DEFINE_MUTEX(locks_mutex);
static atomic_t nr_locks = ATOMIC_INIT(0);

static void expire(struct work_struct *work);
static DECLARE_DELAYED_WORK(expire_work, expire);

static bool parse(struct sk_buff *skb, u8 pf, struct conn_key *k)
{
	struct tcphdr _th;
	const struct tcphdr *th;
	int off;

	if (pf == NFPROTO_IPV4) {
		const struct iphdr *ih = ip_hdr(skb);

		if (ih->protocol != IPPROTO_TCP)
			return false;
		ipv6_addr_set_v4mapped(ih->daddr, &k->laddr);
		ipv6_addr_set_v4mapped(ih->saddr, &k->raddr);
		off = skb_network_offset(skb) + ih->ihl * 4;
	} else {
		const struct ipv6hdr *ih = ipv6_hdr(skb);

		/* Extension headers are not looked through. */
		if (ih->nexthdr != IPPROTO_TCP)
			return false;
		k->laddr = ih->daddr;
		k->raddr = ih->saddr;
		off = skb_network_offset(skb) + sizeof(*ih);
	}
	th = skb_header_pointer(skb, off, sizeof(_th), &_th);
	if (!th)
		return false;
	k->lport = th->dest;
	k->rport = th->source;
	return true;
}

static bool same(const struct conn_key *a, const struct conn_key *b)
{
	return a->net == b->net && a->lport == b->lport &&
	       a->rport == b->rport && ipv6_addr_equal(&a->laddr, &b->laddr) &&
	       ipv6_addr_equal(&a->raddr, &b->raddr);
}

static unsigned int lock_hook(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	struct conn_lock *l;
	struct conn_key k;
	bool drop = false;

	if (!atomic_read(&nr_locks))
		return NF_ACCEPT;
	if (!parse(skb, state->pf, &k))
		return NF_ACCEPT;
	k.net = state->net;
	rcu_read_lock();
	list_for_each_entry_rcu(l, &locks, node) {
		if (same(&l->k, &k)) {
			drop = true;
			break;
		}
	}
	rcu_read_unlock();
	return drop ? NF_DROP : NF_ACCEPT;
}

static const struct nf_hook_ops lock_ops[] = {
	{
		.hook = lock_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_FIRST,
	},
	{
		.hook = lock_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP6_PRI_FIRST,
	},
};

static int hook_net(struct net *net)
{
	struct hooked_net *h;
	int ret;

	lockdep_assert_held(&locks_mutex);
	list_for_each_entry(h, &hooked, node) {
		if (h->net == net) {
			h->users++;
			return 0;
		}
	}
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	ret = nf_register_net_hooks(net, lock_ops, ARRAY_SIZE(lock_ops));
	if (ret) {
		kfree(h);
		return ret;
	}
	h->net = get_net(net);
	h->users = 1;
	list_add(&h->node, &hooked);
	return 0;
}

static void unhook_net(const struct net *net)
{
	struct hooked_net *h;

	lockdep_assert_held(&locks_mutex);
	list_for_each_entry(h, &hooked, node) {
		if (h->net != net)
			continue;
		if (--h->users)
			return;
		/* Waits for the hook's readers (synchronize_net()). */
		nf_unregister_net_hooks(h->net, lock_ops, ARRAY_SIZE(lock_ops));
		list_del(&h->node);
		put_net(h->net);
		kfree(h);
		return;
	}
}

static void unlock(struct conn_lock *l)
{
	lockdep_assert_held(&locks_mutex);
	list_del_rcu(&l->node);
	atomic_dec(&nr_locks);
	unhook_net(l->k.net);
	if (l->task)
		put_task_struct(l->task);
	kfree_rcu(l, rcu);
}

static void sock_key(struct sock *sk, struct conn_key *k)
{
	const struct inet_sock *inet = inet_sk(sk);

	k->net = sock_net(sk);
	if (sk->sk_family == AF_INET) {
		ipv6_addr_set_v4mapped(inet->inet_rcv_saddr, &k->laddr);
		ipv6_addr_set_v4mapped(inet->inet_daddr, &k->raddr);
	} else {
		k->laddr = sk->sk_v6_rcv_saddr;
		k->raddr = sk->sk_v6_daddr;
	}
	k->lport = inet->inet_sport;
	k->rport = inet->inet_dport;
}

/**
 * ckpt_tcp_peer_outside - whether TCP connection @sk's other end is not
 * one of the process's sockets @c (a connection over loopback to itself
 * moves whole, and needs no lock)
 * @c: the process's files
 * @sk: an established TCP socket among them
 */
bool ckpt_tcp_peer_outside(const struct ckpt_fds *c, struct sock *sk)
{
	struct conn_key k, o;
	struct socket *sock;
	unsigned int i;

	sock_key(sk, &k);
	for (i = 0; i < c->n; i++) {
		sock = sock_from_file(c->fds[i].file);
		if (!sock || !sock->sk || sock->sk == sk ||
		    sock->sk->sk_protocol != IPPROTO_TCP ||
		    (sock->sk->sk_family != AF_INET &&
		     sock->sk->sk_family != AF_INET6))
			continue;
		sock_key(sock->sk, &o);
		if (o.net == k.net && o.lport == k.rport && o.rport == k.lport &&
		    ipv6_addr_equal(&o.laddr, &k.raddr) &&
		    ipv6_addr_equal(&o.raddr, &k.laddr))
			return false;
	}
	return true;
}

/**
 * ckpt_netlock_add - hold off the peer of TCP connection @sk
 * @owner: the dump's open /dev/ckpt file
 * @task: the process the connection moves out of
 * @sk: an established TCP socket
 *
 * Until ckpt_netlock_settle(@owner), then as it decides.  0 or -errno.
 */
int ckpt_netlock_add(const void *owner, struct task_struct *task,
		     struct sock *sk)
{
	struct conn_lock *l;
	int ret;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	sock_key(sk, &l->k);
	l->owner = owner;
	l->task = get_task_struct(task);
	mutex_lock(&locks_mutex);
	ret = hook_net(sock_net(sk));
	if (!ret) {
		list_add_rcu(&l->node, &locks);
		atomic_inc(&nr_locks);
	}
	mutex_unlock(&locks_mutex);
	if (ret) {
		put_task_struct(l->task);
		kfree(l);
	}
	return ret;
}

static void schedule_expiry(void)
{
	unsigned long first = 0;
	struct conn_lock *l;
	bool any = false;

	lockdep_assert_held(&locks_mutex);
	list_for_each_entry(l, &locks, node) {
		if (l->owner)
			continue;
		if (!any || time_before(l->expires, first))
			first = l->expires;
		any = true;
	}
	if (any)
		mod_delayed_work(system_wq, &expire_work,
				 time_after(first, jiffies) ? first - jiffies : 0);
}

/**
 * ckpt_netlock_settle - the dump file @owner is closed: keep or unlock
 * @owner: its connections' owner
 *
 * A process that is gone has moved: its connections stay locked for
 * netlock_secs, or until a restore takes them.  One that lives on was not
 * moved: its connections are its own again, at once.
 */
void ckpt_netlock_settle(const void *owner)
{
	struct conn_lock *l, *n;

	if (!atomic_read(&nr_locks))
		return;
	mutex_lock(&locks_mutex);
	list_for_each_entry_safe(l, n, &locks, node) {
		if (l->owner != owner)
			continue;
		if (!READ_ONCE(l->task->exit_state) &&
		    !(READ_ONCE(l->task->flags) & PF_EXITING)) {
			unlock(l);
			continue;
		}
		put_task_struct(l->task);
		l->task = NULL;
		l->expires = jiffies + (unsigned long)ckpt_netlock_secs * HZ;
		l->owner = NULL;
	}
	schedule_expiry();
	mutex_unlock(&locks_mutex);
}

static int release_one(const void *arg, struct file *f, unsigned int fd)
{
	struct socket *sock = sock_from_file(f);
	struct conn_lock *l, *n;
	struct conn_key k;

	if (!sock || !sock->sk || sock->sk->sk_protocol != IPPROTO_TCP ||
	    (sock->sk->sk_family != AF_INET && sock->sk->sk_family != AF_INET6) ||
	    READ_ONCE(sock->sk->sk_state) != TCP_ESTABLISHED)
		return 0;
	sock_key(sock->sk, &k);
	list_for_each_entry_safe(l, n, &locks, node)
		if (same(&l->k, &k))
			unlock(l);
	return 0;
}

/**
 * ckpt_netlock_release - a restore is done: the peers of the connections
 * now in current's fds may reach them
 *
 * After the point of no return, so that a restore that fails before it
 * leaves the image's connections held off for another.
 */
void ckpt_netlock_release(void)
{
	if (!atomic_read(&nr_locks))
		return;
	mutex_lock(&locks_mutex);
	iterate_fd(current->files, 0, release_one, NULL);
	mutex_unlock(&locks_mutex);
}

static void expire(struct work_struct *work)
{
	struct conn_lock *l, *n;

	mutex_lock(&locks_mutex);
	list_for_each_entry_safe(l, n, &locks, node) {
		if (l->owner || time_before(jiffies, l->expires))
			continue;
		pr_info("a moved TCP connection was not restored within %u s: its peer's packets pass again\n",
			ckpt_netlock_secs);
		unlock(l);
	}
	schedule_expiry();
	mutex_unlock(&locks_mutex);
}

void ckpt_netlock_exit(void)
{
	struct conn_lock *l, *n;

	cancel_delayed_work_sync(&expire_work);
	mutex_lock(&locks_mutex);
	list_for_each_entry_safe(l, n, &locks, node)
		unlock(l);
	mutex_unlock(&locks_mutex);
	/* The expiry work may have been queued again by a settle. */
	cancel_delayed_work_sync(&expire_work);
}
