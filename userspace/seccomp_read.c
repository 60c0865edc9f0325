// SPDX-License-Identifier: GPL-2.0
/*
 * The seccomp filters of a stopped process, for CKPT_IOC_DUMP.  The kernel
 * keeps them private to kernel/seccomp.c, so the module asks for them
 * (ENODATA) and they are read here through ptrace, as the SECCOMP records
 * of <linux/ckpt.h>: the leader's first, then ascending tid, a thread
 * whose filters equal an earlier thread's naming that thread (same_as),
 * as the threads of one process nearly always share theirs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "tool.h"

struct sc_buf {
	unsigned char *p;
	size_t len, cap;
	size_t *own;		/* offsets of records with filters of their own */
	size_t nr_own;
};

/* The threads of @pid: the leader first, then ascending tid. */
static pid_t *list_tids(pid_t pid, size_t *nr)
{
	pid_t *v, *nv;
	size_t i, n;

	v = proc_ids(pid, "task", &n);
	if (!v)
		return NULL;
	for (i = 0; i < n && v[i] != pid; i++)
		;
	if (i == n) {
		/* Listed or not, the leader is first. */
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return NULL;
		}
		v = nv;
		n++;
	}
	memmove(v + 1, v, i * sizeof(*v));
	v[0] = pid;
	*nr = n;
	return v;
}

static void *room(struct sc_buf *b, size_t len)
{
	unsigned char *np;
	size_t ncap;

	if (b->len + len > b->cap) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + len)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (!np)
			return NULL;
		b->p = np;
		b->cap = ncap;
	}
	b->len += len;
	return b->p + b->len - len;
}

/*
 * Why filter @f cannot be restored, or NULL.  A filter that hands calls
 * to a user-space listener would come back without it (the listener is
 * an fd of some other process), and calls it hands on would then fail
 * with ENOSYS.  One that returns its accumulator may compute that action.
 */
static const char *why_not(const struct sock_filter *f, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		if (BPF_CLASS(f[i].code) != BPF_RET)
			continue;
		if (BPF_RVAL(f[i].code) == BPF_A)
			return "returns an action it computes (BPF_RET|BPF_A), which may be SECCOMP_RET_USER_NOTIF";
		if ((f[i].k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
			return "hands system calls to a user-space listener (SECCOMP_RET_USER_NOTIF), which cannot come with it";
	}
	return NULL;
}

/* Filter @i of @tid appended to @b; its length, 0 past the last, -1. */
static long read_filter(pid_t tid, unsigned int i, struct sc_buf *b)
{
	struct __ptrace_seccomp_metadata md = { .filter_off = i };
	struct ckpt_seccomp_filter *f;
	const char *why;
	size_t at;
	long n;

	n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(uintptr_t)i, NULL);
	if (n < 0 && errno == ENOENT && i)
		return 0;
	if (n < 0) {
		if (errno == EACCES)
			errmsg("thread %d has seccomp filters: reading them needs CAP_SYS_ADMIN, and a ckpt not itself under seccomp",
			       tid);
		else
			errmsg("thread %d: reading seccomp filter %u: %s", tid, i,
			       strerror(errno));
		return -1;
	}
	if (n < 1 || n > CKPT_SECCOMP_MAX_INSNS) {
		errmsg("thread %d: seccomp filter %u has %ld instructions", tid,
		       i, n);
		return -1;
	}
	at = b->len;
	if (!room(b, sizeof(*f) + n * sizeof(f->insns[0]))) {
		errmsg("thread %d: no memory for its seccomp filters", tid);
		return -1;
	}
	f = (void *)(b->p + at);
	f->len = n;
	f->flags = 0;
	if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(uintptr_t)i,
		   f->insns) != n ||
	    ptrace(PTRACE_SECCOMP_GET_METADATA, tid, (void *)sizeof(md),
		   &md) < 0) {
		errmsg("thread %d: reading seccomp filter %u: %s", tid, i,
		       strerror(errno));
		return -1;
	}
	if (md.flags & SECCOMP_FILTER_FLAG_LOG)
		f->flags |= CKPT_SECCOMP_LOG;
	why = why_not((const struct sock_filter *)f->insns, n);
	if (why) {
		errmsg("thread %d: seccomp filter %u %s", tid, i, why);
		return -1;
	}
	return n;
}

/* The record of @tid at b->len, if it is in filter mode; 0, or -1. */
static int read_thread(pid_t tid, struct sc_buf *b)
{
	struct ckpt_rec_seccomp *r;
	size_t at = b->len, body, i;
	unsigned int nr;
	long n;
	size_t *no;

	/* EINVAL: not in filter mode (none, or strict, which the kernel reads). */
	if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, NULL, NULL) < 0 &&
	    errno == EINVAL)
		return 0;
	if (!room(b, sizeof(*r))) {
		errmsg("thread %d: no memory for its seccomp filters", tid);
		return -1;
	}
	for (nr = 0; (n = read_filter(tid, nr, b)) > 0; nr++)
		;
	if (n < 0)
		return -1;
	r = (void *)(b->p + at);
	memset(r, 0, sizeof(*r));
	r->h.type = CKPT_REC_SECCOMP;
	r->tid = tid;
	r->mode = CKPT_SECCOMP_FILTER;
	r->nr_filters = nr;
	body = b->len - at - sizeof(*r);
	/* The same filters as an earlier thread: named, not repeated. */
	for (i = 0; i < b->nr_own; i++) {
		const struct ckpt_rec_seccomp *o = (void *)(b->p + b->own[i]);

		if (o->h.len == sizeof(*r) + body &&
		    !memcmp(o + 1, r + 1, body)) {
			r->same_as = o->tid;
			b->len = at + sizeof(*r);
			break;
		}
	}
	r->h.len = b->len - at;
	if (!r->same_as) {
		no = realloc(b->own, (b->nr_own + 1) * sizeof(*no));
		if (!no) {
			errmsg("thread %d: no memory for its seccomp filters", tid);
			return -1;
		}
		b->own = no;
		b->own[b->nr_own++] = at;
	}
	return 0;
}

int seccomp_read(pid_t pid, void **recs, size_t *len)
{
	struct sc_buf b = { 0 };
	size_t nr, i;
	pid_t *tids;

	tids = list_tids(pid, &nr);
	if (!tids) {
		errmsg("process %d: cannot list its threads: %s", pid,
		       strerror(errno));
		return -1;
	}
	for (i = 0; i < nr; i++)
		if (read_thread(tids[i], &b))
			break;
	free(tids);
	free(b.own);
	if (i < nr) {
		free(b.p);
		return -1;
	}
	*recs = b.p;
	*len = b.len;
	return 0;
}
