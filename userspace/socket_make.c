// SPDX-License-Identifier: GPL-2.0
/*
 * Restore: the sockets of an image, made by the restoring child as their
 * FILE records say, with socket(), setsockopt(), bind(), listen() and
 * connect(), for the kernel to check and take like the other files the
 * child makes (a module cannot bind or listen for a process: it would do
 * so with the module's view of paths and credentials, not the process's).
 *
 * A socketpair is made whole, both ends at once, when the first is met.
 *
 * A unix socket bound to a file usually finds that file left over by the
 * process it was checkpointed from.  It is replaced when nobody listens
 * on it, as a server starting again replaces its own; one somebody does
 * listen on fails the restore.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "names.h"
#include "restore.h"
#include "tool.h"

struct sock_job {
	const struct plan_file *f;
	struct ckpt_file_socket st;
	unsigned int fd;	/* the process's number, for the words */
	char name[160];		/* its address, for the words */
};

static int fail(const struct sock_job *j, const char *what)
{
	errmsg("restore: fd %u: %s socket %s: %s: %s", j->fd,
	       sock_kind_name(&j->st), j->name, what, strerror(errno));
	return -1;
}

static int set_int(int s, int level, int opt, int val)
{
	return setsockopt(s, level, opt, &val, sizeof(val));
}

/* The on/off options, in order: SO_REUSE* decide whether bind() works. */
static const struct {
	unsigned int flag;
	int level, opt;
	const char *name;
} bool_opts[] = {
	{ CKPT_SOCK_REUSEADDR, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR" },
	{ CKPT_SOCK_REUSEPORT, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT" },
	{ CKPT_SOCK_KEEPALIVE, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE" },
	{ CKPT_SOCK_BROADCAST, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST" },
	{ CKPT_SOCK_NODELAY, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY" },
};

/*
 * SO_PASSCRED, last: an unbound unix socket with it that connects or
 * sends is bound to a name (unix_autobind()), which the original was not.
 */
static int set_passcred(const struct sock_job *j, int s)
{
	if ((j->st.flags & CKPT_SOCK_PASSCRED) && set_int(s, SOL_SOCKET, SO_PASSCRED, 1))
		return fail(j, "SO_PASSCRED");
	return 0;
}

/* Before bind(), as the ones above and IPV6_V6ONLY decide whether it binds. */
static int set_options(const struct sock_job *j, int s)
{
	const struct ckpt_file_socket *st = &j->st;
	size_t i;

	for (i = 0; i < sizeof(bool_opts) / sizeof(bool_opts[0]); i++)
		if ((st->flags & bool_opts[i].flag) &&
		    set_int(s, bool_opts[i].level, bool_opts[i].opt, 1))
			return fail(j, bool_opts[i].name);
	/* Set either way: the default is a sysctl's, maybe not the same. */
	if (st->family == AF_INET6 &&
	    set_int(s, IPPROTO_IPV6, IPV6_V6ONLY,
		    !!(st->flags & CKPT_SOCK_V6ONLY)))
		return fail(j, "IPV6_V6ONLY");
	/* The FORCE ones pass rmem_max and wmem_max, as a root-run server. */
	if ((st->flags & CKPT_SOCK_RCVBUF) &&
	    set_int(s, SOL_SOCKET, SO_RCVBUFFORCE, (int)st->rcvbuf) &&
	    set_int(s, SOL_SOCKET, SO_RCVBUF, (int)st->rcvbuf))
		return fail(j, "SO_RCVBUF");
	if ((st->flags & CKPT_SOCK_SNDBUF) &&
	    set_int(s, SOL_SOCKET, SO_SNDBUFFORCE, (int)st->sndbuf) &&
	    set_int(s, SOL_SOCKET, SO_SNDBUF, (int)st->sndbuf))
		return fail(j, "SO_SNDBUF");
	return 0;
}

static int set_timeo(int s, int opt, uint64_t us)
{
	struct timeval tv = { .tv_sec = (time_t)(us / 1000000),
			      .tv_usec = (suseconds_t)(us % 1000000) };

	return setsockopt(s, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/*
 * The other options (CKPT_SOCK_OPTS, after @j's struct in its data), each
 * one a new socket does not have already: its number in the image is what
 * a new one has, 0 for most (the keepalive three: the system's).
 */
static int set_more_options(const struct sock_job *j, int s)
{
	const struct ckpt_file_socket *st = &j->st;
	struct ckpt_sock_opts o;
	struct linger l;
	char cong[CKPT_SOCK_CONG_MAX];
	socklen_t len = sizeof(cong);
	size_t i;

	if (!(st->flags & CKPT_SOCK_OPTS))
		return 0;
	memcpy(&o, (const char *)j->f->data + sizeof(*st), sizeof(o));
	const struct {
		uint32_t val;
		int level, opt;
		const char *name;
	} ints[] = {
		{ o.keepidle, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE" },
		{ o.keepintvl, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL" },
		{ o.keepcnt, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT" },
		{ o.user_timeout, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT" },
		{ o.maxseg, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG" },
		{ o.notsent_lowat, IPPROTO_TCP, TCP_NOTSENT_LOWAT, "TCP_NOTSENT_LOWAT" },
		/* IP_TOS sets the priority too: the priority after it. */
		{ o.tos, st->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		  st->family == AF_INET6 ? IPV6_TCLASS : IP_TOS,
		  st->family == AF_INET6 ? "IPV6_TCLASS" : "IP_TOS" },
		{ o.priority, SOL_SOCKET, SO_PRIORITY, "SO_PRIORITY" },
		{ !!(o.flags & CKPT_SOCKOPT_CORK), IPPROTO_TCP, TCP_CORK, "TCP_CORK" },
	};

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		bool after_tos = ints[i].level == SOL_SOCKET &&
				 ints[i].opt == SO_PRIORITY && o.tos;

		if ((ints[i].val || after_tos) &&
		    set_int(s, ints[i].level, ints[i].opt, (int)ints[i].val))
			return fail(j, ints[i].name);
	}
	/* A new socket's low-water mark is 1 byte. */
	if (o.rcvlowat != 1 && set_int(s, SOL_SOCKET, SO_RCVLOWAT, (int)o.rcvlowat))
		return fail(j, "SO_RCVLOWAT");
	if (o.rcvtimeo_us && set_timeo(s, SO_RCVTIMEO, o.rcvtimeo_us))
		return fail(j, "SO_RCVTIMEO");
	if (o.sndtimeo_us && set_timeo(s, SO_SNDTIMEO, o.sndtimeo_us))
		return fail(j, "SO_SNDTIMEO");
	l.l_onoff = 1;
	l.l_linger = (int)o.linger;
	if ((o.flags & CKPT_SOCKOPT_LINGER) &&
	    setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
		return fail(j, "SO_LINGER");
	/* The algorithm a new socket has is this system's default. */
	if (o.congestion[0] &&
	    (getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, cong, &len) ||
	     strncmp(cong, o.congestion, sizeof(cong))) &&
	    setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, o.congestion,
		       (socklen_t)strlen(o.congestion))) {
		errmsg("restore: fd %u: %s socket %s: TCP_CONGESTION %s: %s", j->fd,
		       sock_kind_name(st), j->name, o.congestion, strerror(errno));
		return -1;
	}
	return 0;
}

/* Is somebody bound to the unix socket file @path?  Asks it. */
static bool in_use(const struct sock_job *j, const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int s, ret;

	if (strlen(path) >= sizeof(un.sun_path))
		return true;	/* cannot ask: leave it */
	strcpy(un.sun_path, path);
	s = socket(AF_UNIX, j->st.type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return true;
	ret = connect(s, (struct sockaddr *)&un, sizeof(un));
	ret = ret && (errno == ECONNREFUSED || errno == ENOENT);
	close(s);
	return !ret;
}

/*
 * bind() to a file by the name the process bound with, a relative one
 * from the directory it was relative to, so that getsockname() says it
 * again; else (a name with "..", say) by the file's absolute name.
 */
static int bind_file(const struct sock_job *j, int s)
{
	const char *path = j->f->path;
	struct sockaddr_un un;
	size_t n = j->st.addr_len - offsetof(struct sockaddr_un, sun_path);
	size_t plen = strlen(path);
	char dir[PATH_MAX];
	int here = -1, ret, err;
	struct stat sb;
	bool again = true;

	memset(&un, 0, sizeof(un));
	memcpy(&un, j->st.addr, j->st.addr_len);
	n = strnlen(un.sun_path, n);
	if (un.sun_path[0] == '/') {
		/* As it was: the file may be reached through a symlink. */
	} else if (plen > n + 1 && path[plen - n - 1] == '/' &&
		   !memcmp(path + plen - n, un.sun_path, n) &&
		   plen - n < sizeof(dir)) {
		memcpy(dir, path, plen - n);
		dir[plen - n] = 0;
		here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (here < 0 || chdir(dir)) {
			if (here >= 0)
				close(here);
			return fail(j, "cannot enter its directory");
		}
	} else if (plen < sizeof(un.sun_path)) {
		memset(un.sun_path, 0, sizeof(un.sun_path));
		memcpy(un.sun_path, path, plen);
		n = plen;
	} else {
		errno = ENAMETOOLONG;
		return fail(j, path);
	}
retry:
	ret = bind(s, (struct sockaddr *)&un,
		   offsetof(struct sockaddr_un, sun_path) + n + 1);
	if (ret && errno == EADDRINUSE && again && !lstat(path, &sb) &&
	    S_ISSOCK(sb.st_mode) && !in_use(j, path) && !unlink(path)) {
		again = false;
		goto retry;
	}
	err = errno;
	if (!ret && chmod(path, j->st.mode)) {
		err = errno;
		ret = -1;
	}
	if (here >= 0) {
		if (fchdir(here) && !ret) {
			err = errno;
			ret = -1;
		}
		close(here);
	}
	errno = err;
	if (ret && err == EADDRINUSE)
		return fail(j, "bind (another process listens on its socket file)");
	return ret ? fail(j, "bind") : 0;
}

/* The socket of FILE record @f, which fd @fd had; its fd, or -1. */
int socket_make(const struct plan_file *f, unsigned int fd)
{
	struct sock_job j = { .f = f, .fd = fd };
	int s, type;

	memcpy(&j.st, f->data, sizeof(j.st));	/* data_len checked */
	sockaddr_words(j.name, sizeof(j.name), j.st.addr, j.st.addr_len);
	type = j.st.type | SOCK_CLOEXEC;
	if (f->rec.flags & O_NONBLOCK)
		type |= SOCK_NONBLOCK;
	s = socket(j.st.family, type, j.st.protocol);
	if (s < 0)
		return fail(&j, "socket");
	if (set_options(&j, s) || set_more_options(&j, s))
		goto err;
	if (j.st.state == CKPT_SOCK_ESTABLISHED) {
		if (tcp_conn_make(s, &j.st,
				  (const char *)f->data + ckpt_sock_data_off(&j.st),
				  fd) || set_passcred(&j, s))
			goto err;
		return s;
	}
	if (f->path) {
		if (bind_file(&j, s))
			goto err;
	} else if (j.st.addr_len &&
		   bind(s, (const struct sockaddr *)j.st.addr, j.st.addr_len)) {
		fail(&j, "bind");
		goto err;
	}
	if (j.st.state == CKPT_SOCK_LISTEN && listen(s, (int)j.st.backlog)) {
		fail(&j, "listen");
		goto err;
	}
	if (j.st.state == CKPT_SOCK_CONNECTED &&
	    connect(s, (const struct sockaddr *)j.st.peer, j.st.peer_len)) {
		sockaddr_words(j.name, sizeof(j.name), j.st.peer, j.st.peer_len);
		errmsg("restore: fd %u: %s socket: cannot connect it to %s again: %s",
		       fd, sock_kind_name(&j.st), j.name, strerror(errno));
		goto err;
	}
	if (set_passcred(&j, s))
		goto err;
	return s;
err:
	close(s);
	return -1;
}

/*
 * The options of socketpair end @g on its socket @s: before its twin's
 * waiting data is sent (@late false), all but SO_PASSCRED; then (@late)
 * that one, set_passcred().
 */
static int end_options(const struct plan *p, const struct plan_file *g, int s,
		       bool late)
{
	struct sock_job j = { .f = g, .fd = plan_first_fd(p, g) };

	memcpy(&j.st, g->data, sizeof(j.st));	/* data_len checked */
	snprintf(j.name, sizeof(j.name), "(socketpair %u)", g->rec.pipe_id);
	if (late)
		return set_passcred(&j, s);
	if (set_options(&j, s))
		return -1;
	return set_more_options(&j, s);
}

/*
 * What waited in a socketpair end, @len bytes at @d, sent again from its
 * twin @s: a stream's bytes at once, a datagram or seqpacket socketpair's
 * messages one by one (struct ckpt_sock_msg, validated), so each keeps its
 * bounds.  Never blocks: a queue the kernel would not take back is said.
 */
static int pair_send(uint32_t id, int s, const struct ckpt_file_socket *st,
		     const char *d, size_t len)
{
	struct ckpt_sock_msg m;
	size_t off = 0, nr = 0;

	if (st->type == SOCK_STREAM) {
		if (!len || send(s, d, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
			return 0;
		errmsg("restore: socketpair %u: cannot send its %zu waiting bytes again: %s",
		       id, len, strerror(errno));
		return -1;
	}
	while (off < len) {
		memcpy(&m, d + off, sizeof(m));		/* not aligned */
		off += sizeof(m);
		if (send(s, d + off, m.len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)m.len) {
			errmsg("restore: socketpair %u: cannot send its waiting message %zu (%u bytes) again: %s",
			       id, nr + 1, m.len, strerror(errno));
			return -1;
		}
		off += m.len;
		nr++;
	}
	return 0;
}

/*
 * The socketpair of FILE record @i: both ends, at @base + the index of
 * each; the twin is the one other SOCKET record of its pipe_id.  @made
 * marks both.  0, or -1 after saying why.
 */
int socketpair_make(const struct plan *p, size_t i, int base, int above,
		    bool *made)
{
	const struct plan_file *f = &p->files[i], *g;
	struct ckpt_file_socket st;
	size_t j, twin = p->nr_files;
	int sv[2], k, fd, ret = 0;

	for (j = 0; j < p->nr_files; j++) {
		g = &p->files[j];
		if (j == i || g->rec.kind != CKPT_FILE_SOCKET ||
		    g->rec.pipe_id != f->rec.pipe_id)
			continue;
		if (twin < p->nr_files) {
			errmsg("restore: socketpair %u has more than two ends",
			       f->rec.pipe_id);
			return -1;
		}
		twin = j;
	}
	if (twin == p->nr_files) {
		errmsg("restore: socketpair %u has one end only", f->rec.pipe_id);
		return -1;
	}
	memcpy(&st, f->data, sizeof(st));	/* data_len checked */
	if (socketpair(AF_UNIX, st.type | SOCK_CLOEXEC, 0, sv)) {
		errmsg("restore: socketpair %u (%s): %s", f->rec.pipe_id,
		       sock_kind_name(&st), strerror(errno));
		return -1;
	}
	/* Both ends' options first: the sender's buffer bounds what it sends. */
	for (k = 0; k < 2; k++)
		if (end_options(p, &p->files[k ? twin : i], sv[k], false))
			ret = -1;
	for (k = 0; k < 2; k++) {
		j = k ? twin : i;
		g = &p->files[j];
		/* What waited for it, sent again from its twin. */
		memcpy(&st, g->data, sizeof(st));	/* data_len checked */
		if (pair_send(f->rec.pipe_id, sv[!k], &st,
			      (const char *)g->data + ckpt_sock_data_off(&st),
			      g->rec.data_len - ckpt_sock_data_off(&st)))
			ret = -1;
		fd = fcntl(sv[k], F_DUPFD_CLOEXEC, above);
		if (fd < 0 ||
		    ((g->rec.flags & O_NONBLOCK) && fcntl(fd, F_SETFL, O_NONBLOCK)) ||
		    dup3(fd, base + (int)j, O_CLOEXEC) < 0) {
			errmsg("restore: socketpair %u: %s", f->rec.pipe_id,
			       strerror(errno));
			ret = -1;
		}
		if (fd >= 0)
			close(fd);
		made[j] = true;
	}
	for (k = 0; k < 2; k++)
		if (end_options(p, &p->files[k ? twin : i], sv[k], true))
			ret = -1;
	close(sv[0]);
	close(sv[1]);
	return ret;
}
