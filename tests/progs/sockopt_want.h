/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Integer socket options a restored socket must have again, checked with
 * getsockopt(): the tables of sockets.c and tcp_conn.c.
 */
#ifndef SOCKOPT_WANT_H
#define SOCKOPT_WANT_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "zdtm.h"

struct sockopt_want {
	int level, name, want;
	const char *what;
};

/* What redis sets on each client's connection (tcp-keepalive 300). */
#define SOCKOPT_REDIS_KEEPALIVE						\
	{ IPPROTO_TCP, TCP_KEEPIDLE, 300, "TCP_KEEPIDLE" },		\
	{ IPPROTO_TCP, TCP_KEEPINTVL, 100, "TCP_KEEPINTVL" },		\
	{ IPPROTO_TCP, TCP_KEEPCNT, 3, "TCP_KEEPCNT" }

/* Sets the @n options on @s, in order, or zdtm_fail(). */
static inline void sockopts_set(int s, const char *who,
				const struct sockopt_want *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (setsockopt(s, o[i].level, o[i].name, &o[i].want,
			       sizeof(o[i].want)))
			zdtm_fail("%s: setsockopt %s: %s", who, o[i].what,
				  strerror(errno));
}

/* Each of @n options of socket @s (@who, for the words), or zdtm_fail(). */
static inline void sockopts_same(int s, const char *who,
				 const struct sockopt_want *o, size_t n)
{
	socklen_t len;
	size_t i;
	int v;

	for (i = 0; i < n; i++) {
		v = -1;
		len = sizeof(v);
		if (getsockopt(s, o[i].level, o[i].name, &v, &len))
			zdtm_fail("%s: getsockopt %s: %s", who, o[i].what,
				  strerror(errno));
		if (v != o[i].want)
			zdtm_fail("%s: %s is %d, not %d", who, o[i].what, v,
				  o[i].want);
	}
}

#endif /* SOCKOPT_WANT_H */
