// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot and rollback of memory the kernel treats specially:
 *
 *   snap_mem thp      a MADV_HUGEPAGE region backed by huge pages
 *   snap_mem swap     pages swapped out before, and after, the snapshot
 *   snap_mem pinned   an io_uring fixed buffer (pinned): copied at capture,
 *                     never shared, so the device keeps writing into the
 *                     page the process sees
 *   snap_mem pinned-late  the same buffer, pinned only after the snapshot:
 *                     a rollback copies into the pinned page, and the
 *                     next one must do so again after the device wrote it
 *   snap_mem shared   MAP_SHARED memory: left alone by rollback
 *   snap_mem fork     a child forked after the snapshot sees the parent's
 *                     memory, changes nothing of it, and has no snapshot
 *
 * Each ends with PASS or FAIL: why.  State that must survive a rollback
 * lives in a MAP_SHARED page (struct shared), since everything private is
 * rewound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ckpt.h"

#define PG	4096UL
#define MB	(1UL << 20)

struct shared {
	int rollbacks;
	int phase;
};

static struct shared *sh;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i += PG)
		memset(p + i, (int)((i / PG + seed) & 0xff) | 1, PG);
}

/* The first page of [p, p + len) that differs from fill(seed), or -1. */
static long check(const unsigned char *p, size_t len, unsigned int seed)
{
	size_t i, j;

	for (i = 0; i < len; i += PG) {
		unsigned char want = (unsigned char)(((i / PG + seed) & 0xff) | 1);

		for (j = 0; j < PG; j += 512)
			if (p[i + j] != want)
				return (long)(i / PG);
	}
	return -1;
}

/* A field of /proc/self/smaps summed over the mapping at @addr, in kB. */
static long smaps_kb(void *addr, const char *field)
{
	char line[256], name[64];
	unsigned long lo, hi, a = (unsigned long)addr;
	long kb, total = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			if (in)
				total = 0;
			continue;
		}
		if (in && sscanf(line, "%63[^:]: %ld kB", name, &kb) == 2 &&
		    !strcmp(name, field))
			total += kb;
	}
	fclose(f);
	return total;
}

static int threads(void)
{
	char line[128];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

static void *map_aligned(size_t len, size_t align)
{
	unsigned char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	return (void *)a;
}

/* Snapshot, dirty @dirty pages (plus the whole region if @all), roll back. */
static int cycle(unsigned char *p, size_t len, unsigned int seed, int rounds,
		 void (*between)(unsigned char *, size_t))
{
	int id, r;
	size_t k;

	r = ckpt_snapshot(&id);
	if (r < 0)
		fail("snapshot: %s: %s", strerror(errno), ckpt_errmsg());
	if (r == 1)
		sh->rollbacks++;
	if (check(p, len, seed) >= 0)
		fail("page %ld differs after %d rollbacks", check(p, len, seed),
		     sh->rollbacks);
	if (sh->rollbacks >= rounds)
		return id;
	for (k = 0; k < 64; k++)
		p[((size_t)rand() % (len / PG)) * PG + (size_t)(rand() % (int)PG)] ^= 0x5a;
	if (sh->rollbacks % 2)
		memset(p, 0, len / 2);
	if (between)
		between(p, len);
	ckpt_rollback(id);
	fail("rollback: %s: %s", strerror(errno), ckpt_errmsg());
}

static int test_thp(void)
{
	size_t len = 16 * MB;
	unsigned char *p = map_aligned(len, 2 * MB);
	long huge;
	int id;

	if (madvise(p, len, MADV_HUGEPAGE))
		fail("madvise(MADV_HUGEPAGE): %s", strerror(errno));
	fill(p, len, 7);
	huge = smaps_kb(p, "AnonHugePages");
	if (huge <= 0)
		fail("the region got no huge pages (AnonHugePages %ld kB)", huge);
	printf("AnonHugePages %ld kB before the snapshot\n", huge);
	id = cycle(p, len, 7, 20, NULL);
	ckpt_drop(id);
	return 0;
}

static void page_out(unsigned char *p, size_t len)
{
	if (madvise(p, len, MADV_PAGEOUT))
		fail("madvise(MADV_PAGEOUT): %s", strerror(errno));
}

static int test_swap(void)
{
	size_t len = 8 * MB;
	unsigned char *p = map_aligned(len, PG);
	long swapped;
	int id;

	madvise(p, len, MADV_NOHUGEPAGE);
	fill(p, len, 3);
	page_out(p, len);
	swapped = smaps_kb(p, "Swap");
	if (swapped <= 0)
		fail("nothing was swapped out (Swap %ld kB): is swap on?", swapped);
	printf("Swap %ld kB before the snapshot\n", swapped);
	/* Swapped out before it, and (page_out) after it, each round. */
	id = cycle(p, len, 3, 10, page_out);
	ckpt_drop(id);
	return 0;
}

/* A fd with one page of 'Q' to read: 0 a tmpfs file, 1 a pipe. */
static int source_fd(int kind)
{
	char path[] = "/tmp/snap_mem.XXXXXX";
	unsigned char q[PG];
	int fd, pfd[2];

	memset(q, 'Q', sizeof(q));
	if (kind == 0) {
		fd = mkstemp(path);
		if (fd < 0)
			fail("mkstemp: %s", strerror(errno));
		unlink(path);
		if (pwrite(fd, q, sizeof(q), 0) != (ssize_t)sizeof(q))
			fail("pwrite: %s", strerror(errno));
		return fd;
	}
	if (pipe(pfd) || write(pfd[1], q, sizeof(q)) != (ssize_t)sizeof(q))
		fail("pipe: %s", strerror(errno));
	return pfd[0];
}

/* An io_uring with its rings mapped, for one READ_FIXED at a time. */
struct ring {
	int fd;
	unsigned int entries;
	struct io_uring_sqe *sqes;
	unsigned int *sq_tail, *sq_array, *cq_head, *cq_tail;
	struct io_uring_cqe *cqes;
};

static void ring_setup(struct ring *rg)
{
	struct io_uring_params prm;
	unsigned char *sqring, *cqring;

	memset(&prm, 0, sizeof(prm));
	rg->fd = (int)syscall(__NR_io_uring_setup, 4, &prm);
	if (rg->fd < 0)
		fail("io_uring_setup: %s", strerror(errno));
	sqring = mmap(NULL, prm.sq_off.array + prm.sq_entries * 4, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, rg->fd, IORING_OFF_SQ_RING);
	cqring = mmap(NULL, prm.cq_off.cqes + prm.cq_entries * sizeof(*rg->cqes),
		      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rg->fd,
		      IORING_OFF_CQ_RING);
	rg->sqes = mmap(NULL, prm.sq_entries * sizeof(*rg->sqes), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_POPULATE, rg->fd, IORING_OFF_SQES);
	if (sqring == MAP_FAILED || cqring == MAP_FAILED || rg->sqes == MAP_FAILED)
		fail("mmap of the io_uring rings: %s", strerror(errno));
	rg->entries = prm.cq_entries;
	rg->sq_tail = (unsigned int *)(sqring + prm.sq_off.tail);
	rg->sq_array = (unsigned int *)(sqring + prm.sq_off.array);
	rg->cq_head = (unsigned int *)(cqring + prm.cq_off.head);
	rg->cq_tail = (unsigned int *)(cqring + prm.cq_off.tail);
	rg->cqes = (struct io_uring_cqe *)(cqring + prm.cq_off.cqes);
}

static void ring_register(struct ring *rg, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	if (syscall(__NR_io_uring_register, rg->fd, IORING_REGISTER_BUFFERS, &iov, 1))
		fail("IORING_REGISTER_BUFFERS: %s", strerror(errno));
}

/* One page from @fd into the registered buffer at @buf: the device writes. */
static void ring_read_fixed(struct ring *rg, int fd, void *buf)
{
	struct io_uring_cqe *cqe;

	memset(&rg->sqes[0], 0, sizeof(rg->sqes[0]));
	rg->sqes[0].opcode = IORING_OP_READ_FIXED;
	rg->sqes[0].fd = fd;
	rg->sqes[0].addr = (unsigned long)buf;
	rg->sqes[0].len = PG;
	rg->sq_array[0] = 0;
	__atomic_store_n(rg->sq_tail, *rg->sq_tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, rg->fd, 1, 1, IORING_ENTER_GETEVENTS,
		    NULL, 0) < 0)
		fail("io_uring_enter: %s", strerror(errno));
	while (__atomic_load_n(rg->cq_tail, __ATOMIC_ACQUIRE) == *rg->cq_head)
		syscall(__NR_io_uring_enter, rg->fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	cqe = &rg->cqes[*rg->cq_head & (rg->entries - 1)];
	if (cqe->res != (int)PG)
		fail("READ_FIXED: %d", cqe->res);
	__atomic_store_n(rg->cq_head, *rg->cq_head + 1, __ATOMIC_RELEASE);
}

/*
 * io_uring completes some reads inline and hands others to an io-wq
 * worker thread, which then stays: and a process with an io_uring worker
 * cannot be rolled back.  Which reads go inline differs between kernels (6.1: tmpfs
 * files; 6.12: pipes), so a child tries each first.
 */
static int pinned_run(int kind, int probe);

/* The kind of source_fd() whose READ_FIXED this kernel completes inline. */
static int inline_kind(void)
{
	int kind, st;
	pid_t c;

	for (kind = 0; kind < 2; kind++) {
		c = fork();
		if (c < 0)
			fail("fork: %s", strerror(errno));
		if (!c)
			_exit(pinned_run(kind, 1));
		if (waitpid(c, &st, 0) == c && WIFEXITED(st) && !WEXITSTATUS(st))
			return kind;
	}
	fail("every io_uring read here needs a worker thread");
}

static int test_pinned(void)
{
	return pinned_run(inline_kind(), 0);
}

static int pinned_run(int kind, int probe)
{
	struct ring rg;
	unsigned char *buf;
	int fd, id, r;

	ring_setup(&rg);
	buf = map_aligned(4 * PG, PG);
	fill(buf, 4 * PG, 11);
	ring_register(&rg, buf, 4 * PG);
	fd = source_fd(kind);
	if (probe) {
		ring_read_fixed(&rg, fd, buf);
		return threads() > 1;
	}

	r = ckpt_snapshot(&id);
	if (r < 0)
		fail("snapshot: %s: %s", strerror(errno), ckpt_errmsg());
	if (r == 1) {
		if (check(buf, 4 * PG, 11) >= 0)
			fail("pinned page %ld not rolled back", check(buf, 4 * PG, 11));
		ckpt_drop(id);
		return 0;
	}
	/* The process writes, then the device writes the page it pinned. */
	memset(buf, 'P', PG);
	ring_read_fixed(&rg, fd, buf);
	if (threads() > 1)
		fail("an io-wq worker thread appeared");
	/* Had the page been shared COW, the process would still see 'P'. */
	if (buf[0] != 'Q' || buf[PG - 1] != 'Q')
		fail("the device's write went to a page the process does not map (%c)",
		     buf[0]);
	ckpt_rollback(id);
	fail("rollback: %s: %s", strerror(errno), ckpt_errmsg());
}

/*
 * The ring exists before the snapshot (a rollback keeps its fd, and so its
 * registered buffers); the buffer is registered, and its page pinned,
 * after it.  Round 1: the process writes the pinned page, rollback.
 * Round 2: the page is the snapshot's again; the device writes it (no
 * fault, no notifier), rollback.  Round 3: it must be the snapshot's
 * again, though nothing marked it since round 2.
 */
static int pinned_late_run(int kind)
{
	struct ring rg;
	unsigned char *buf;
	int id, r;

	ring_setup(&rg);
	buf = map_aligned(4 * PG, PG);
	fill(buf, 4 * PG, 13);

	r = ckpt_snapshot(&id);
	if (r < 0)
		fail("snapshot: %s: %s", strerror(errno), ckpt_errmsg());
	if (r == 1 && check(buf, 4 * PG, 13) >= 0)
		fail("after rollback %d: page %ld not rolled back", sh->rollbacks + 1,
		     check(buf, 4 * PG, 13));
	switch (r ? ++sh->rollbacks : 0) {
	case 0:
		ring_register(&rg, buf, 4 * PG);
		memset(buf, 'P', PG);
		break;
	case 1:
		ring_read_fixed(&rg, source_fd(kind), buf);
		if (threads() > 1)
			fail("an io-wq worker thread appeared");
		if (buf[0] != 'Q' || buf[PG - 1] != 'Q')
			fail("the device's write went to a page the process does not map (%c)",
			     buf[0]);
		break;
	default:
		ckpt_drop(id);
		return 0;
	}
	ckpt_rollback(id);
	fail("rollback: %s: %s", strerror(errno), ckpt_errmsg());
}

static int test_pinned_late(void)
{
	return pinned_late_run(inline_kind());
}

static int test_shared(void)
{
	size_t len = 64 * PG;
	unsigned char *s = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int id, r;

	if (s == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	fill(s, len, 5);
	r = ckpt_snapshot(&id);
	if (r < 0)
		fail("snapshot: %s: %s", strerror(errno), ckpt_errmsg());
	if (r == 1) {
		if (check(s, len, 9) >= 0)
			fail("MAP_SHARED page %ld was rewound", check(s, len, 9));
		ckpt_drop(id);
		return 0;
	}
	fill(s, len, 9);
	ckpt_rollback(id);
	fail("rollback: %s: %s", strerror(errno), ckpt_errmsg());
}

static int test_fork(void)
{
	size_t len = 8 * MB;
	unsigned char *p = map_aligned(len, PG);
	int id, r, st;
	pid_t c;

	fill(p, len, 1);
	r = ckpt_snapshot(&id);
	if (r < 0)
		fail("snapshot: %s: %s", strerror(errno), ckpt_errmsg());
	if (r == 1) {
		if (check(p, len, 1) >= 0)
			fail("page %ld not rolled back after the fork", check(p, len, 1));
		ckpt_drop(id);
		return 0;
	}
	fill(p, len / 2, 2);		/* the parent changes half */
	c = fork();
	if (c < 0)
		fail("fork: %s", strerror(errno));
	if (!c) {
		/* The child sees the parent's memory as of the fork... */
		if (check(p, len / 2, 2) >= 0 ||
		    check(p + len / 2, len / 2, 1 + (unsigned int)(len / 2 / PG)) >= 0) {
			printf("FAIL: the child does not see the parent's memory\n");
			_exit(1);
		}
		/* ...has no snapshot of its own... */
		if (ckpt_rollback(id) == 0 || errno != EINVAL) {
			printf("FAIL: the child could roll back its parent's snapshot\n");
			_exit(1);
		}
		/* ...and its writes stay its own. */
		fill(p, len, 3);
		_exit(0);
	}
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		fail("child status %#x", st);
	if (check(p, len / 2, 2) >= 0 ||
	    check(p + len / 2, len / 2, 1 + (unsigned int)(len / 2 / PG)) >= 0)
		fail("the child's writes reached the parent");
	ckpt_rollback(id);
	fail("rollback: %s: %s", strerror(errno), ckpt_errmsg());
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} tests[] = {
		{ "thp", test_thp }, { "swap", test_swap },
		{ "pinned", test_pinned }, { "pinned-late", test_pinned_late },
		{ "shared", test_shared },
		{ "fork", test_fork },
	};
	size_t i;

	setvbuf(stdout, NULL, _IONBF, 0);
	sh = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (sh == MAP_FAILED || argc != 2)
		fail("usage: snap_mem thp|swap|pinned|pinned-late|shared|fork");
	srand(1);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (strcmp(argv[1], tests[i].name))
			continue;
		tests[i].fn();
		printf("PASS\n");
		return 0;
	}
	fail("unknown test %s", argv[1]);
}
