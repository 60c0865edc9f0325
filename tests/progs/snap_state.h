/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the snapshot test programs (snap_self.c, snap_target.c) share:
 * reading the state a rollback must bring back (/proc/self/maps, the fd
 * table with offsets and flags, every signal's action, the blocked mask,
 * brk, the FP control words) and saying how two readings differ; memory
 * patterns; a small random generator.
 *
 * The includer defines failf() (prints "FAIL: ..." and exits 1) before
 * including this file.
 */
#ifndef SNAP_STATE_H
#define SNAP_STATE_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define PG		4096UL
#define MAPS_MAX	(96 << 10)
#define MAX_FDS		96
#define S_MUT		0xdead0000ULL	/* what scribble() writes */

#define CK(cond, ...) do { if (!(cond)) failf(__VA_ARGS__); } while (0)

struct fdrec {
	int fd, fdflags, flflags, off_errno;
	long long off;
	uint64_t dev, ino;
	uint32_t mode;
	char path[160];
};

struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

#define G_MAPS	1
#define G_FDS	2
#define G_SIG	4
#define G_MASK	8
#define G_BRK	16
#define G_FP	32
#define G_ALL	63

/* What gather() reads; compared field by field. */
struct state {
	uint32_t maps_len;
	int nfds;
	uint64_t mask;
	uint64_t brk;
	uint32_t mxcsr;
	uint16_t fcw;
	struct fdrec fds[MAX_FDS];
	struct ksigaction sa[65];
	char maps[MAPS_MAX];
};


static __attribute__((unused)) uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* xorshift64*: the generator state is per round, never carried over. */
static uint64_t rs;

static __attribute__((unused)) uint64_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ULL;
}

static __attribute__((unused)) uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static __attribute__((unused)) void rnd_seed(uint64_t a, uint64_t b)
{
	rs = (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xbf58476d1ce4e5b9ULL) ^ 0x94d049bb133111ebULL;
	if (!rs)
		rs = 1;
	rnd();
}

static inline uint64_t pat(uint64_t a, uint64_t s)
{
	return (a * 0x9e3779b97f4a7c15ULL) ^ (s * 0xff51afd7ed558ccdULL);
}

/* Pattern by address. */
static __attribute__((unused)) void fill(void *p, size_t len, uint64_t s)
{
	uint64_t *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		q[i] = pat((uintptr_t)&q[i], s);
}

/* 0 if it holds, else 1 + the index of the first wrong word. */
static __attribute__((unused)) size_t same(const void *p, size_t len, uint64_t s)
{
	const uint64_t *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (q[i] != pat((uintptr_t)&q[i], s))
			return i + 1;
	return 0;
}

/* Pattern by file offset: what the data file holds. */
static __attribute__((unused)) void fill_off(void *p, size_t len, uint64_t off, uint64_t s)
{
	uint64_t *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		q[i] = pat(off + i * 8, s);
}

static __attribute__((unused)) size_t same_off(const void *p, size_t len, uint64_t off, uint64_t s)
{
	const uint64_t *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (q[i] != pat(off + i * 8, s))
			return i + 1;
	return 0;
}

static __attribute__((unused)) size_t zero(const void *p, size_t len)
{
	const uint64_t *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (q[i])
			return i + 1;
	return 0;
}

/* Something that is none of the patterns. */
static __attribute__((unused)) void scribble(void *p, size_t len, uint64_t tag)
{
	uint64_t *q = p;
	size_t i;

	for (i = 0; i < len / 8; i += 7)
		q[i] = S_MUT ^ tag ^ i;
}



static __attribute__((unused)) uint32_t read_all(const char *path, char *buf, size_t max)
{
	ssize_t n;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CK(fd >= 0, "open %s: %s", path, strerror(errno));
	while ((n = read(fd, buf + len, max - len)) > 0)
		len += n;
	CK(n == 0, "read %s: %s", path, n < 0 ? strerror(errno) : "more than the buffer holds");
	close(fd);
	return (uint32_t)len;
}

struct dirent64_k {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static __attribute__((unused)) void gather_fds(struct state *s)
{
	static char buf[8192];
	int d, fds[MAX_FDS], n = 0, i, j;
	long got;

	d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CK(d >= 0, "open /proc/self/fd: %s", strerror(errno));
	while ((got = syscall(SYS_getdents64, d, buf, sizeof(buf))) > 0) {
		for (i = 0; i < got;) {
			struct dirent64_k *e = (struct dirent64_k *)(buf + i);
			int fd;

			i += e->reclen;
			if (e->name[0] < '0' || e->name[0] > '9')
				continue;
			fd = atoi(e->name);
			if (fd == d)
				continue;
			CK(n < MAX_FDS, "more than %d fds", MAX_FDS);
			fds[n++] = fd;
		}
	}
	close(d);
	/* Sorted, whatever order the directory gave. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int t = fds[j];

			fds[j] = fds[j - 1];
			fds[j - 1] = t;
		}
	s->nfds = n;
	for (i = 0; i < n; i++) {
		struct fdrec *f = &s->fds[i];
		char link[64];
		struct stat st;
		ssize_t l;

		memset(f, 0, sizeof(*f));
		f->fd = fds[i];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", f->fd);
		l = readlink(link, f->path, sizeof(f->path) - 1);
		if (l < 0)
			snprintf(f->path, sizeof(f->path), "(readlink: %s)", strerror(errno));
		f->fdflags = fcntl(f->fd, F_GETFD);
		f->flflags = fcntl(f->fd, F_GETFL);
		errno = 0;
		f->off = lseek(f->fd, 0, SEEK_CUR);
		f->off_errno = f->off < 0 ? errno : 0;
		if (!fstat(f->fd, &st)) {
			f->dev = st.st_dev;
			f->ino = st.st_ino;
			f->mode = st.st_mode;
		}
	}
}

static __attribute__((unused)) void gather(struct state *s, int what)
{
	int sig;

	if (what & G_MAPS)
		s->maps_len = read_all("/proc/self/maps", s->maps, sizeof(s->maps));
	if (what & G_FDS)
		gather_fds(s);
	if (what & G_SIG)
		for (sig = 1; sig <= 64; sig++) {
			memset(&s->sa[sig], 0, sizeof(s->sa[sig]));
			CK(!syscall(SYS_rt_sigaction, sig, NULL, &s->sa[sig], 8),
			   "rt_sigaction(%d): %s", sig, strerror(errno));
		}
	if (what & G_MASK)
		CK(!syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &s->mask, 8),
		   "rt_sigprocmask: %s", strerror(errno));
	if (what & G_BRK)
		s->brk = (uint64_t)syscall(SYS_brk, 0);
	if (what & G_FP) {
		__asm__ volatile("stmxcsr %0" : "=m"(s->mxcsr));
		__asm__ volatile("fnstcw %0" : "=m"(s->fcw));
	}
}

static char diffmsg[1024];

/* Line @n (from 0) of text @t, "(none)" past its end. */
static __attribute__((unused)) void line_at(const char *t, uint32_t len, int n, char *out, size_t outlen)
{
	uint32_t b = 0, e;

	while (n-- > 0 && b < len) {
		while (b < len && t[b] != '\n')
			b++;
		b++;
	}
	if (b >= len) {
		snprintf(out, outlen, "(none)");
		return;
	}
	for (e = b; e < len && t[e] != '\n'; e++)
		;
	snprintf(out, outlen, "%.*s", (int)(e - b), t + b);
}

static __attribute__((unused)) const char *fd_str(const struct fdrec *f, char *buf, size_t len)
{
	snprintf(buf, len, "fd %d -> %s (ino %" PRIu64 ", fd flags %#x, file flags %#x, offset %lld%s%s)",
		 f->fd, f->path, f->ino, f->fdflags, f->flflags, f->off,
		 f->off_errno ? " " : "", f->off_errno ? strerror(f->off_errno) : "");
	return buf;
}

/* NULL when @s matches @w in the parts @what, else why not. */
static __attribute__((unused)) const char *state_diff(const struct state *s, const struct state *w, int what)
{
	char a[256], b[256];
	uint32_t i;
	int k;

	if ((what & G_MAPS) && (s->maps_len != w->maps_len || memcmp(s->maps, w->maps, s->maps_len))) {
		int line = 0;

		for (i = 0; i < s->maps_len && i < w->maps_len && s->maps[i] == w->maps[i]; i++)
			line += s->maps[i] == '\n';
		line_at(s->maps, s->maps_len, line, a, sizeof(a));
		line_at(w->maps, w->maps_len, line, b, sizeof(b));
		/* Both whole, for whoever debugs the rollback. */
		printf("maps now:\n%.*smaps at the snapshot:\n%.*s", (int)s->maps_len, s->maps,
		       (int)w->maps_len, w->maps);
		snprintf(diffmsg, sizeof(diffmsg), "/proc/self/maps line %d is '%s', want '%s'",
			 line + 1, a, b);
		return diffmsg;
	}
	if (what & G_FDS) {
		for (k = 0; k < s->nfds || k < w->nfds; k++) {
			const struct fdrec *x = k < s->nfds ? &s->fds[k] : NULL;
			const struct fdrec *y = k < w->nfds ? &w->fds[k] : NULL;

			if (x && y && x->fd == y->fd && !strcmp(x->path, y->path) &&
			    x->fdflags == y->fdflags && x->flflags == y->flflags &&
			    x->off == y->off && x->off_errno == y->off_errno &&
			    x->dev == y->dev && x->ino == y->ino && x->mode == y->mode)
				continue;
			if (x && y && x->fd == y->fd)
				snprintf(diffmsg, sizeof(diffmsg), "fd table: %s, want %s",
					 fd_str(x, a, sizeof(a)), fd_str(y, b, sizeof(b)));
			else if (x && (!y || x->fd < y->fd))
				snprintf(diffmsg, sizeof(diffmsg), "fd table: %s is open, it was not at the snapshot",
					 fd_str(x, a, sizeof(a)));
			else
				snprintf(diffmsg, sizeof(diffmsg), "fd table: %s is missing",
					 fd_str(y, b, sizeof(b)));
			return diffmsg;
		}
	}
	if (what & G_SIG) {
		for (k = 1; k <= 64; k++) {
			const struct ksigaction *x = &s->sa[k], *y = &w->sa[k];

			if (!memcmp(x, y, sizeof(*x)))
				continue;
			snprintf(diffmsg, sizeof(diffmsg),
				 "signal %d: handler %#" PRIx64 " flags %#" PRIx64 " restorer %#" PRIx64 " mask %#" PRIx64
				 ", want %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64,
				 k, x->handler, x->flags, x->restorer, x->mask,
				 y->handler, y->flags, y->restorer, y->mask);
			return diffmsg;
		}
	}
	if ((what & G_MASK) && s->mask != w->mask) {
		snprintf(diffmsg, sizeof(diffmsg), "blocked mask %#" PRIx64 ", want %#" PRIx64,
			 s->mask, w->mask);
		return diffmsg;
	}
	if ((what & G_BRK) && s->brk != w->brk) {
		snprintf(diffmsg, sizeof(diffmsg), "brk %#" PRIx64 ", want %#" PRIx64, s->brk, w->brk);
		return diffmsg;
	}
	if ((what & G_FP) && (s->mxcsr != w->mxcsr || s->fcw != w->fcw)) {
		snprintf(diffmsg, sizeof(diffmsg), "MXCSR %#x x87 CW %#x, want %#x %#x",
			 s->mxcsr, s->fcw, w->mxcsr, w->fcw);
		return diffmsg;
	}
	return NULL;
}

/* Set-up helpers: they fail the test with a reason. */
static __attribute__((unused)) void *xmmap(void *a, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(a, len, prot, flags, fd, off);

	CK(p != MAP_FAILED, "mmap %zu bytes: %s", len, strerror(errno));
	return p;
}

static __attribute__((unused)) int xopen(const char *path, int flags)
{
	int fd = open(path, flags, 0600);

	CK(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

static __attribute__((unused)) void write_file(int fd, size_t len, uint64_t s)
{
	static char buf[PG];
	size_t off;

	for (off = 0; off < len; off += PG) {
		fill_off(buf, PG, off, s);
		CK(write(fd, buf, PG) == (ssize_t)PG, "write: %s", strerror(errno));
	}
}

/* Maps the stack's first MiB now, not during a round. */
static __attribute__((unused, noinline)) void pretouch_stack(void)
{
	volatile char b[1 << 20];
	size_t i;

	for (i = 0; i < sizeof(b); i += PG)
		b[i] = 1;
}

#endif /* SNAP_STATE_H */
