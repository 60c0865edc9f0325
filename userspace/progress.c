// SPDX-License-Identifier: GPL-2.0
/*
 * A progress line on stderr for the long part of a dump (the writeout,
 * CKPT_IOC_WRITEOUT, made by the tool's own thread) and of a restore (the
 * readin, inside CKPT_IOC_RESTORE, made by the restored child).  Both are
 * one ioctl: the tool sees nothing of them until they return.
 *
 * How far they are, without asking the module: the kernel's per-task I/O
 * counters.  The module moves the image with kernel_write() and
 * kernel_read(), whose __kernel_write_iter() and __kernel_read() add
 * every byte moved to the calling task's wchar and rchar (add_wchar(),
 * add_rchar() in fs/read_write.c; so in 6.1 and in 6.12), which
 * /proc/PID/task/TID/io shows to the task's tracer or owner.  A thread of
 * the tool reads that file every 200 ms while the ioctl runs.
 *
 * Sampling the image file's size instead was the other way: it sees
 * nothing when the image goes to a pipe, and nothing of a restore, which
 * only reads.  The counter covers both, and is the task's, not the
 * process's: this thread's own writes to stderr do not count.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define POLL_NS		200000000L
#define MIB		(1024.0 * 1024.0)

/* The one line on the terminal: errmsg() must end it before it writes. */
static struct progress *active;
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The task's rchar or wchar; -1 if the file cannot be read. */
static int read_counter(int fd, bool reads, uint64_t *v)
{
	const char *key = reads ? "rchar:" : "wchar:";
	char buf[512], *s;
	ssize_t n;

	/* A seq_file read at offset 0 shows the counters as they are now. */
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	s = strstr(buf, key);
	if (!s)
		return -1;
	*v = strtoull(s + strlen(key), NULL, 10);
	return 0;
}

static void put(const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(STDERR_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

static void add(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + n < size ? *len + n : size - 1;
}

/*
 * "ckpt dump: 52.0 of 100.0 MiB written (52%), 310.4 MiB/s" while it
 * runs; the last line adds the time taken.  Past an estimate that was too
 * low, no "of" and no percentage: what is done, not a figure over 100%.
 * Called with p->lock held.
 */
static void draw(struct progress *p, bool last)
{
	const struct progress_spec *s = &p->s;
	double secs = (now_ns() - p->t0_ns) / 1e9;
	char line[256];
	size_t len = 0, pad;

	add(line, sizeof(line), &len, "\rckpt %s: ", s->what);
	if (!last && s->phase[0])
		add(line, sizeof(line), &len, "%s, ",
		    s->phase[p->done > s->split ? 1 : 0]);
	/* Record headers may take an estimate of data bytes a little past. */
	if (s->total && p->done <= s->total + s->total / 100)
		add(line, sizeof(line), &len, "%.1f of %.1f MiB %s (%u%%)",
		    p->done / MIB, s->total / MIB, s->verb,
		    p->done >= s->total ? 100 :
		    (unsigned int)(p->done * 100 / s->total));
	else
		add(line, sizeof(line), &len, "%.1f MiB %s", p->done / MIB,
		    s->verb);
	if (secs >= 0.001)
		add(line, sizeof(line), &len, ", %.1f MiB/s",
		    p->done / MIB / secs);
	if (last) {
		add(line, sizeof(line), &len, ", %.1f s", secs);
		if (s->short_note && s->total && p->done < s->total)
			add(line, sizeof(line), &len, " (%s)", s->short_note);
	}
	/*
	 * Blank out what a longer line before left on the terminal: after
	 * the new one while it updates, before the last one (which stays,
	 * in a log too, without trailing blanks).
	 */
	pad = p->last_len > len ? p->last_len - len : 0;
	p->last_len = len;
	if (last && pad) {
		put("\r", 1);
		for (pad += len - 1; pad; pad--)
			put(" ", 1);
	}
	put(line, len);
	while (pad--)
		put(" ", 1);
	if (last)
		put("\n", 1);
	p->drawn = !last;
}

static void *poll_thread(void *arg)
{
	struct progress *p = arg;
	struct timespec until;
	uint64_t v;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += POLL_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!p->stop &&
		       pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
			;
		if (p->stop)
			break;
		if (!read_counter(p->fd, p->s.reads, &v) && v >= p->base)
			p->done = v - p->base;
		if (!p->hushed)
			draw(p, false);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static bool wanted(const struct progress_spec *s)
{
	switch (s->mode) {
	case PROGRESS_ON:
		return true;
	case PROGRESS_OFF:
		return false;
	default:
		return s->size > PROGRESS_AUTO_MIN && isatty(STDERR_FILENO);
	}
}

void progress_start(struct progress *p, const struct progress_spec *s)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	char path[64];
	int err;

	memset(p, 0, sizeof(*p));
	p->s = *s;
	p->fd = -1;
	if (!wanted(s))
		return;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/io", s->pid, s->tid);
	p->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->fd < 0 || read_counter(p->fd, s->reads, &p->base)) {
		/* Asked for by name: say why there is none; else no noise. */
		if (s->mode == PROGRESS_ON)
			errmsg("%s: no progress line: cannot read %s: %s", s->what,
			       path, p->fd < 0 ? strerror(errno) :
			       "no I/O counters there (a kernel without task I/O accounting?)");
		if (p->fd >= 0)
			close(p->fd);
		p->fd = -1;
		return;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &ca);
	pthread_condattr_destroy(&ca);
	p->t0_ns = now_ns();
	/* Signals stay the main thread's business (restore waits on its child). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&p->thread, NULL, poll_thread, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		if (s->mode == PROGRESS_ON)
			errmsg("%s: no progress line: cannot start its thread: %s",
			       s->what, strerror(err));
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
		close(p->fd);
		p->fd = -1;
		return;
	}
	p->on = true;
	pthread_mutex_lock(&active_lock);
	active = p;
	pthread_mutex_unlock(&active_lock);
}

void progress_end(struct progress *p, bool ok)
{
	uint64_t v;

	if (!p->on)
		return;
	pthread_mutex_lock(&active_lock);
	active = NULL;
	pthread_mutex_unlock(&active_lock);
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	/* The transfer is over: the counter now says how much it moved. */
	if (!read_counter(p->fd, p->s.reads, &v) && v >= p->base)
		p->done = v - p->base;
	if (ok && !p->hushed)
		draw(p, true);
	else if (p->drawn && !p->hushed)
		put("\n", 1);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	close(p->fd);
	p->fd = -1;
	p->on = false;
}

void progress_hush(void)
{
	struct progress *p;

	pthread_mutex_lock(&active_lock);
	p = active;
	if (p) {
		pthread_mutex_lock(&p->lock);
		if (p->drawn)
			put("\n", 1);
		p->drawn = false;
		p->hushed = true;
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_unlock(&active_lock);
}
