/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The zdtm protocol of the dump/restore tests (after CRIU's zdtm):
 *
 *   prog [--wait=sleep|spin|sigsuspend|read|nanosleep] [args]
 *
 * A test sets up its state, calls zdtm_ready() (prints "ready" on stdout),
 * and zdtm_wait() waits, in the chosen way, for SIGUSR1 from the runner:
 * meanwhile it is dumped, killed, restored.  Then it checks everything
 * and ends with zdtm_pass() or zdtm_fail(), which print "PASS" or
 * "FAIL: why" and exit 0 or 1.  stdout is a file the runner reads.
 *
 * With ZDTM_SELF=FIFO in the environment, zdtm_ready() also starts an
 * agent thread, every signal blocked, that reads commands from FIFO: 's'
 * makes the process snapshot itself from that thread (CKPT_IOC_SNAPSHOT,
 * pid 0), 'r' rolls it back to that snapshot.  The runner's "self"
 * operation: the program itself is not changed for it.
 */
#ifndef ZDTM_H
#define ZDTM_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ckpt.h>

static volatile sig_atomic_t zdtm_go;
static const char *zdtm_wait_mode = "sleep";

static void zdtm_on_usr1(int sig)
{
	(void)sig;
	zdtm_go = 1;
}

static inline void zdtm_init(int *argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = zdtm_on_usr1;
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: reads see EINTR */
	if (*argc > 1 && !strncmp(argv[1], "--wait=", 7)) {
		zdtm_wait_mode = argv[1] + 7;
		memmove(&argv[1], &argv[2], (*argc - 2) * sizeof(*argv));
		(*argc)--;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
}

/* Written whole, not through stdio: its buffer would be rolled back too. */
static void zdtm_self_say(const char *what, const char *errmsg)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf), "FAIL: self %s: %s (%s)\n", what,
		     errmsg, strerror(errno));
	if (write(1, buf, n) != n)
		_exit(2);
	_exit(1);
}

static void *zdtm_self_agent(void *arg)
{
	struct ckpt_snapshot s;
	struct ckpt_rollback rb;
	unsigned int id = 0;
	int fd, dev, r;
	char c;

	fd = open(arg, O_RDWR | O_CLOEXEC);
	dev = open("/dev/ckpt", O_RDWR | O_CLOEXEC);
	if (fd < 0 || dev < 0)
		zdtm_self_say("open", "");
	for (;;) {
		if (read(fd, &c, 1) != 1) {
			if (errno == EINTR)
				continue;
			zdtm_self_say("read", "");
		}
		if (c == 's') {
			memset(&s, 0, sizeof(s));
			s.size = sizeof(s);
			/*
			 * 0 now, and the id again after a rollback, which
			 * rewinds s to before the call wrote it.
			 */
			r = ioctl(dev, CKPT_IOC_SNAPSHOT, &s);
			if (r < 0)
				zdtm_self_say("snapshot", s.errmsg);
			id = r ? (unsigned int)r : s.id;
		} else if (c == 'r') {
			memset(&rb, 0, sizeof(rb));
			rb.size = sizeof(rb);
			rb.id = id;
			ioctl(dev, CKPT_IOC_ROLLBACK, &rb);
			zdtm_self_say("rollback", rb.errmsg);
		}
	}
	return NULL;
}

static inline void zdtm_ready(void)
{
	const char *fifo = getenv("ZDTM_SELF");
	sigset_t all, old;
	pthread_t t;

	if (fifo) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		if (pthread_create(&t, NULL, zdtm_self_agent, (void *)fifo))
			zdtm_self_say("pthread_create", "");
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	printf("ready\n");
}

__attribute__((noreturn, format(printf, 1, 2)))
static inline void zdtm_fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

__attribute__((noreturn))
static inline void zdtm_pass(void)
{
	printf("PASS\n");
	exit(0);
}

/* Waits for SIGUSR1, sleeping in a syscall or spinning in user mode. */
static inline void zdtm_wait(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	sigset_t none;
	int p[2];
	char c;

	if (!strcmp(zdtm_wait_mode, "spin")) {
		while (!zdtm_go)
			;
	} else if (!strcmp(zdtm_wait_mode, "sigsuspend")) {
		/* Blocked outside sigsuspend(), as a correct program does. */
		sigemptyset(&none);
		sigaddset(&none, SIGUSR1);
		sigprocmask(SIG_BLOCK, &none, NULL);
		sigemptyset(&none);
		while (!zdtm_go)
			sigsuspend(&none);
	} else if (!strcmp(zdtm_wait_mode, "read")) {
		if (pipe(p))
			zdtm_fail("pipe: %s", strerror(errno));
		while (!zdtm_go)
			if (read(p[0], &c, 1) >= 0 || errno != EINTR)
				zdtm_fail("read returned without a signal");
		close(p[0]);
		close(p[1]);
	} else if (!strcmp(zdtm_wait_mode, "nanosleep")) {
		ts.tv_sec = 3600;
		ts.tv_nsec = 0;
		while (!zdtm_go)
			nanosleep(&ts, NULL);
	} else {
		while (!zdtm_go)
			nanosleep(&ts, NULL);
	}
}

/* A field of /proc/self/task/@tid/status, -1 if there is none. */
static inline long zdtm_status_field(pid_t tid, const char *key)
{
	char path[64], line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * waitpid() that outlasts the runner's SIGUSR1s: the handler has no
 * SA_RESTART, so a bare wait can return EINTR before the child ran.
 */
static inline pid_t zdtm_waitpid(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, 0);
	while (r < 0 && errno == EINTR);
	return r;
}

#define CHECK(cond, ...) do { if (!(cond)) zdtm_fail(__VA_ARGS__); } while (0)

#endif /* ZDTM_H */
