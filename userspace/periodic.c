// SPDX-License-Identifier: GPL-2.0
/*
 * Periodic incremental checkpoints, the machinery of `ckpt run` (cmd_run.c)
 * and `ckpt dump --every` (cmd_dump.c):
 *
 * Every MS milliseconds: stop the process, capture it (the module takes
 * only what changed since the last image, and buffers the metadata), let
 * it run, write the image, make it durable, point latest at it.  One
 * thread captures and writes, so there is never more than one writeout;
 * when a writeout overruns the interval, the checkpoints it overlapped
 * are skipped and counted as missed.  --keep's merge rewrites the whole
 * base image, so it runs in a thread of its own (series.c) and never
 * holds up a tick.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "periodic.h"
#include "tool.h"

struct run_stats {
	uint64_t *frozen_us;	/* one per checkpoint, in the kernel */
	uint64_t *stopped_us;	/* stop request to resume, in the tool */
	size_t nr, cap;
	unsigned long missed;
	unsigned long chunk_allocs;	/* hbuf chunks the module allocated */
	bool child_said;	/* the refusal of a process with children */
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static int stats_add(struct run_stats *st, uint64_t frozen, uint64_t stopped)
{
	size_t ncap;
	uint64_t *a, *b;

	if (st->nr == st->cap) {
		ncap = st->cap ? st->cap * 2 : 256;
		a = realloc(st->frozen_us, ncap * sizeof(*a));
		if (a)
			st->frozen_us = a;
		b = realloc(st->stopped_us, ncap * sizeof(*b));
		if (b)
			st->stopped_us = b;
		if (!a || !b)
			return -1;
		st->cap = ncap;
	}
	st->frozen_us[st->nr] = frozen;
	st->stopped_us[st->nr++] = stopped;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile @p of the sorted @v. */
static uint64_t pct(const uint64_t *v, size_t n, unsigned int p)
{
	size_t r = (n * p + 99) / 100;

	return n ? v[r ? r - 1 : 0] : 0;
}

static void stats_summary(struct run_stats *st)
{
	size_t n = st->nr;

	qsort(st->frozen_us, n, sizeof(uint64_t), cmp_u64);
	qsort(st->stopped_us, n, sizeof(uint64_t), cmp_u64);
	fprintf(stderr,
		"summary: checkpoints=%zu frozen_us_p50=%llu frozen_us_p99=%llu frozen_us_max=%llu missed=%lu stopped_us_p50=%llu stopped_us_p99=%llu stopped_us_max=%llu hbuf_chunk_allocs=%lu\n",
		n, (unsigned long long)pct(st->frozen_us, n, 50),
		(unsigned long long)pct(st->frozen_us, n, 99),
		(unsigned long long)(n ? st->frozen_us[n - 1] : 0), st->missed,
		(unsigned long long)pct(st->stopped_us, n, 50),
		(unsigned long long)pct(st->stopped_us, n, 99),
		(unsigned long long)(n ? st->stopped_us[n - 1] : 0),
		st->chunk_allocs);
	free(st->frozen_us);
	free(st->stopped_us);
}

static void say_failed(const struct ckpt_dump *d, const char *what,
		       unsigned long seq, int err)
{
	if (d->errmsg[0])
		errmsg("checkpoint %lu: %s", seq, d->errmsg);
	else
		errmsg("checkpoint %lu: %s: %s", seq, what, strerror(err));
}

/*
 * One checkpoint.  0 done, 1 the process exited first, 2 skipped, -1
 * failed (the process runs on, untouched but for write-protected pages).
 * A process with a child is refused until trees are supported; a child
 * is often brief (a fork and exec, a helper), so the series waits for a
 * tick without one, and says why once.
 */
static int checkpoint(int dev, struct target *t, struct series *s,
		      const struct periodic_opts *o, struct run_stats *st,
		      bool *full)
{
	uint64_t t0, stopped, w0, write_ms, dirty;
	unsigned long seq = s->seq + 1;
	struct ckpt_dump d;
	bool said;
	int ret;

	if (series_begin(s))
		return -1;
	t0 = now_us();
	ret = target_stop(t);
	if (ret) {
		series_abort(s);
		return ret < 0 && target_dying(t) ? 1 : ret;
	}
	ret = dump_capture(dev, t->tr.pid, s->part_fd,
			   CKPT_DUMP_TRACK | (*full ? CKPT_DUMP_FULL : 0), &d,
			   &t->seccomp);
	said = ret == -2;
	ret = ret ? errno : 0;
	/* Memory is referenced copy-on-write: the process may run now. */
	target_resume(t);
	stopped = now_us() - t0;
	if (ret) {
		series_abort(s);
		/* Killed while held (SIGKILL ends a stop): not our failure. */
		if (target_dying(t))
			return 1;
		if (ret == ECHILD && !said) {
			if (!st->child_said)
				errmsg("checkpoint %lu: %s; skipped until it has none",
				       seq, d.errmsg);
			st->child_said = true;
			return 2;
		}
		if (!said)
			say_failed(&d, "capture", seq, ret);
		return -1;
	}
	st->child_said = false;
	dirty = d.pages;
	st->chunk_allocs += d.hbuf_chunks;
	w0 = now_us();
	/* Any failure from here on loses this image: the next is full. */
	*full = true;
	if (ckpt_writeout(dev, &d)) {
		say_failed(&d, "writeout", seq, errno);
		series_abort(s);
		return -1;
	}
	if (series_commit(s))
		return -1;
	*full = false;
	write_ms = (now_us() - w0) / 1000;
	if (o->stats)
		fprintf(stderr, "seq=%lu frozen_us=%llu dirty_pages=%llu bytes=%llu write_ms=%llu\n",
			seq, (unsigned long long)d.capture_ns / 1000,
			(unsigned long long)dirty, (unsigned long long)d.bytes,
			(unsigned long long)write_ms);
	if (stats_add(st, d.capture_ns / 1000, stopped)) {
		errmsg("out of memory");
		return -1;
	}
	return series_keep(s, o->keep) ? -1 : 0;
}

/* Waits until @deadline (µs), handling the process's events and signals. */
static bool wait_until(struct target *t, uint64_t deadline, const sigset_t *set,
		       bool *stop)
{
	struct timespec ts;
	uint64_t now;
	int sig;

	while (!t->tr.exited && !*stop) {
		target_events(t);
		now = now_us();
		if (t->tr.exited || now >= deadline)
			break;
		ts.tv_sec = (deadline - now) / 1000000;
		ts.tv_nsec = (deadline - now) % 1000000 * 1000;
		sig = sigtimedwait(set, NULL, &ts);
		/* run: a terminal's ^C reaches CMD itself; CMD decides. */
		if (sig == SIGTERM && t->child)
			kill(t->tr.pid, SIGTERM);
		else if ((sig == SIGINT || sig == SIGTERM) && !t->child)
			*stop = true;
	}
	return !t->tr.exited && !*stop;
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int periodic_run(int dev, struct target *t, const struct periodic_opts *o)
{
	struct run_stats st = { 0 };
	unsigned long done = 0;
	uint64_t next, now;
	bool stop = false, full = true, skipped;
	struct series s;
	sigset_t set, old;
	int ret = 0, status;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (series_open(&s, o->dir)) {
		target_detach(t);
		ret = 1;
		goto out;
	}
	next = now_us() + o->every_ms * 1000ULL;
	while (wait_until(t, next, &set, &stop)) {
		if (!t->tr.exec_done) {
			next += o->every_ms * 1000ULL;
			continue;
		}
		ret = checkpoint(dev, t, &s, o, &st, &full);
		if (ret < 0) {
			errmsg("checkpoints stopped; process %d runs on", t->tr.pid);
			target_detach(t);
			break;
		}
		skipped = ret == 2;
		st.missed += skipped;
		ret = 0;
		if (t->tr.exited)
			break;
		if (!skipped && o->count && ++done == o->count) {
			target_detach(t);
			break;
		}
		next += o->every_ms * 1000ULL;
		for (now = now_us(); next <= now; next += o->every_ms * 1000ULL)
			st.missed++;
	}
	if (stop)
		target_detach(t);
	if (ret >= 0 && series_finish(&s, o->keep))
		ret = -1;
	series_close(&s);
	if (ret < 0)
		ret = 1;
out:
	if (o->stats)
		stats_summary(&st);
	else {
		free(st.frozen_us);
		free(st.stopped_us);
	}
	/* run: CMD's own exit status, whenever it ends (it is detached). */
	while (t->child && !t->tr.exited) {
		if (ptrace_waitpid(t->tr.pid, &status) < 0)
			break;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			t->tr.exited = true;
			t->tr.status = status;
		}
	}
	if (t->child && !ret && t->tr.exited)
		ret = exit_status(t->tr.status);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

static int parse_uint(const char *what, const char *arg, unsigned long max,
		      unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *v > max || arg[0] == '-') {
		errmsg("%s: %s is not a number in [0, %lu]", what, arg, max);
		return -1;
	}
	return 0;
}

/* The options both commands share; -1 on a bad one. */
int periodic_opt(struct periodic_opts *o, int c, const char *arg)
{
	unsigned long v;

	switch (c) {
	case 'E':
		if (parse_uint("--every", arg, 3600000, &v))
			return -1;
		if (!v) {
			errmsg("--every: the interval must be at least 1 ms");
			return -1;
		}
		o->every_ms = v;
		return 0;
	case 'D':
		o->dir = arg;
		return 0;
	case 'K':
		if (parse_uint("--keep", arg, 999999, &v))
			return -1;
		o->keep = v;
		return 0;
	case 'C':
		return parse_uint("--count", arg, ~0UL, &o->count);
	}
	return -1;
}
