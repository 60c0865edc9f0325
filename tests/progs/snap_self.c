// SPDX-License-Identifier: GPL-2.0
/*
 * Self snapshots and rollbacks through libckpt (ckpt_snapshot(),
 * ckpt_rollback(), ckpt_drop()), used the way a fuzzer uses them.
 *
 *   snap_self [--iters N] [--full-every K] [--seed S] [--small] [DIR]
 *	One snapshot, then N rounds of: change (nearly) everything a
 *	snapshot covers, ckpt_rollback().  After every rollback the state
 *	must be exactly the one recorded just after the snapshot: private
 *	memory, /proc/self/maps, brk, the fds with their offsets and flags,
 *	the signal handlers and mask, the FP control words.  Then: a fork
 *	after the snapshot, a second (nested) snapshot, drops and bad ids.
 *   snap_self --cycles N [--small] [DIR]
 *	N x (snapshot, small change, rollback, check, drop); one snapshot
 *	in 1000 is left alive for the exit to free.
 *   snap_self --hold N
 *	Takes N snapshots, prints "ready" then "ids I1 I2 ...", waits for
 *	SIGUSR1 (zdtm protocol: PASS) or to be killed.
 *   snap_self --exit
 *	A CKPT_SNAP_EXIT snapshot: exit() and _exit() roll back instead of
 *	ending the process, until the snapshot is dropped.
 *
 * Ends with "PASS" (exit 0) or "FAIL: why" (exit 1), after a line of
 * figures (rollbacks per second).  DIR (default /tmp) holds the files it
 * opens and maps; they are removed at the end.  --small: a 4 MiB region
 * instead of 64 MiB, no THP region, fewer heap blocks.
 *
 * What must survive a rollback lives in a MAP_SHARED region, which a
 * rollback leaves alone (that is checked too): the round counter, the
 * state recorded after the snapshot, the pages the last round touched.
 * Everything else (private memory) goes back, including this program's
 * own bookkeeping, which therefore always describes the memory it sits
 * in.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <ckpt.h>

#include "zdtm.h"

__attribute__((noreturn, format(printf, 1, 2)))
static void failf(const char *fmt, ...);

#include "snap_state.h"

#define SH_SZ		(2UL << 20)
#define THP_SZ		(8UL << 20)
#define HPAGE		(2UL << 20)
#define MAX_TOUCH	16384
#define NSLOTS		16
#define PF_PAGES	64	/* private file mapping, read-write */
#define PF_COW		16	/* of which written before the snapshot */
#define PFR_PAGES	16	/* private file mapping, read-only */
#define NBLK_MAX	48
#define STK_WORDS	512

/* Seeds of the fill pattern, one per kind of memory. */
#define S_BIG		0x1000
#define S_THP		0x2000
#define S_BRK		0x3000
#define S_PFC		0x4000	/* the COW'd pages of the file mapping */
#define S_FILE		0x5000	/* the file's own contents */
#define S_HEAP		0x6000	/* + block number */
#define S_STACK		0x7000
#define S_DEL		0x8000	/* the unlinked file */
#define S_G		0x9000	/* pages written before the nested snapshot */
#define S_F		0xa000	/* pages written before the fork */

enum { R_BIG, R_THP, R_BRK, R_PF, R_PFR, R_HEAP, R_STACK };
static const char *const rname[] = {
	"64 MiB region", "THP region", "brk region", "private file mapping",
	"read-only file mapping", "heap block", "stack array",
};

/* Kinds of change a round makes. */
enum {
	K_FORK, K_BRK, K_HEAP, K_BIG, K_THP, K_PF, K_MMAP, K_FIXED, K_MUNMAP,
	K_MPROTECT, K_MREMAP, K_MADV, K_FD, K_SIGACT, K_SIGMASK, K_FP,
	K_PENDING, NK
};
static const char *const kname[NK] = {
	"fork", "brk", "malloc", "write", "thp", "filemap", "mmap", "map_fixed",
	"munmap", "mprotect", "mremap", "madvise", "fds", "sigaction",
	"sigmask", "fpctl", "pending",
};

struct touch {
	uint8_t r;
	uint32_t i;
};

enum { PH_LOOP = 1, PH_FORK, PH_NESTED, PH_DROP };

/* The MAP_SHARED region: not rewound by a rollback. */
struct shared {
	volatile uint64_t iter, phase, expect, rollbacks, recorded;
	volatile int id, idB, stage, exit_id;
	volatile uint64_t cycle, kept, full_checks, forks;
	volatile uint64_t usr1_runs, usr1_bad_mask, usr2_runs, alt_runs;
	volatile int usr2_pending;
	volatile uint64_t stamp;	/* written into data[] by each round */
	volatile int child_state;
	uint64_t t0, t1;
	uint64_t kinds[NK];
	int devfd;			/* libckpt's /dev/ckpt fd, never touched */
	int ntouch, overflow;
	struct touch touch[MAX_TOUCH];
	uint32_t child_pages[256];
	struct state rec;		/* the state just after the snapshot */
	uint64_t data[512] __attribute__((aligned(4096)));
};

static struct shared *sh;
static struct state cur;
static int in_child;

/* Sizes and places, set up before the snapshot (private, rewound). */
static int small_mode, use_thp;
static size_t big_sz, nbig, brk_sz, slot_pages;
static unsigned char *big, *thp, *brkr, *pf, *pfr;
static void *blk[NBLK_MAX];
static size_t blk_sz[NBLK_MAX];
static int nblk;
static uint64_t *stk;
static int fd_a, fd_b, fd_ro, fd_app, fd_del, fd_null, fd_dir, fd_hi, pip[2];
static char dir[PATH_MAX / 2], p_data[PATH_MAX], p_a[PATH_MAX],
	    p_app[PATH_MAX], p_tmp[4][PATH_MAX];
static uint64_t seed = 1;
static ino_t a_ino;

/* Pages whose expected contents differ from the pattern (private, so it
 * is rewound together with the pages it describes). */
static uint8_t ovr_bits[(64UL << 20) / PG / 8];
static uint64_t ovr_seed;

__attribute__((noreturn, format(printf, 1, 2)))
static void failf(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s", in_child ? "fork child: " : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (in_child)
		_exit(1);
	/* A CKPT_SNAP_EXIT snapshot would turn this exit into a rollback. */
	if (sh && sh->exit_id)
		ckpt_drop(sh->exit_id);
	exit(1);
}


static int hole(size_t i)
{
	return i % 8 == 7;
}

/* ---- Checking memory ---------------------------------------------------- */

static void check_one(int r, size_t i)
{
	const unsigned char *p = NULL;
	size_t bad = 0, len = PG;

	switch (r) {
	case R_BIG:
		p = big + i * PG;
		if (ovr_bits[i / 8] & (1 << (i % 8)))
			bad = same(p, PG, ovr_seed);
		else
			bad = hole(i) ? zero(p, PG) : same(p, PG, S_BIG);
		break;
	case R_THP:
		p = thp + i * PG;
		bad = same(p, PG, S_THP);
		break;
	case R_BRK:
		p = brkr + i * PG;
		bad = same(p, PG, S_BRK);
		break;
	case R_PF:
		p = pf + i * PG;
		bad = i < PF_COW ? same(p, PG, S_PFC) : same_off(p, PG, i * PG, S_FILE);
		break;
	case R_PFR:
		p = pfr + i * PG;
		bad = same_off(p, PG, i * PG, S_FILE);
		break;
	case R_HEAP:
		p = blk[i];
		len = blk_sz[i];
		bad = same(p, len, S_HEAP + i);
		break;
	case R_STACK:
		p = (const unsigned char *)stk;
		len = STK_WORDS * 8;
		bad = same(p, len, S_STACK);
		break;
	}
	if (bad)
		failf("memory after rollback %" PRIu64 " (round %" PRIu64 ", phase %" PRIu64 "): %s %zu, the word at byte %zu of %zu (%p) is %#" PRIx64,
		      sh->rollbacks, sh->iter, sh->phase, rname[r], i, (bad - 1) * 8, len,
		      (const void *)(p + (bad - 1) * 8),
		      *(const uint64_t *)(p + (bad - 1) * 8));
}

static void check_all_pages(int r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_one(r, i);
}

/*
 * Full: every page of every region.  Otherwise: what the last round
 * touched, plus a random sample, plus the small regions whole.  Light
 * (the cycle test): what was touched and a few pages.
 */
static void verify_mem(int full, uint64_t salt, int light)
{
	int i;

	check_one(R_STACK, 0);
	if (light && !full && !sh->overflow) {
		for (i = 0; i < sh->ntouch; i++)
			check_one(sh->touch[i].r, sh->touch[i].i);
		rnd_seed(salt, 0x5a5a);
		for (i = 0; i < 4; i++)
			check_one(R_BIG, rndn(nbig));
		return;
	}
	check_all_pages(R_PF, PF_PAGES);
	check_all_pages(R_PFR, PFR_PAGES);
	if (full || sh->overflow) {
		check_all_pages(R_BIG, nbig);
		if (use_thp)
			check_all_pages(R_THP, THP_SZ / PG);
		check_all_pages(R_BRK, brk_sz / PG);
		check_all_pages(R_HEAP, nblk);
		sh->full_checks++;
		return;
	}
	for (i = 0; i < sh->ntouch; i++)
		check_one(sh->touch[i].r, sh->touch[i].i);
	rnd_seed(salt, 0x5a5a);
	for (i = 0; i < 64; i++)
		check_one(R_BIG, rndn(nbig));
	for (i = 0; use_thp && i < 16; i++)
		check_one(R_THP, rndn(THP_SZ / PG));
	for (i = 0; i < 16; i++)
		check_one(R_BRK, rndn(brk_sz / PG));
	for (i = 0; i < 8; i++)
		check_one(R_HEAP, rndn(nblk));
}

static void touch(int r, size_t i)
{
	if (sh->ntouch < MAX_TOUCH) {
		sh->touch[sh->ntouch].r = (uint8_t)r;
		sh->touch[sh->ntouch].i = (uint32_t)i;
		sh->ntouch++;
	} else {
		sh->overflow = 1;
	}
}

static void touch_range(int r, size_t first, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		touch(r, first + i);
}

/* ---- Signal handlers ----------------------------------------------------- */

static void h_usr1(int sig, siginfo_t *si, void *uc)
{
	sigset_t m;

	(void)sig;
	(void)si;
	(void)uc;
	sh->usr1_runs++;
	/* The handler's sa_mask (SIGHUP) must be in force while it runs. */
	sigprocmask(SIG_BLOCK, NULL, &m);
	if (!sigismember(&m, SIGHUP))
		sh->usr1_bad_mask++;
}

static void h_usr2(int sig)
{
	(void)sig;
	sh->usr2_runs++;
}

static void h_alt(int sig)
{
	(void)sig;
	sh->alt_runs++;
}

static void h_alt_si(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	h_alt(sig);
}

static void h_term(int sig)
{
	(void)sig;
}

/*
 * Checks that act: the handler that runs is the recorded one, pending
 * signals are exactly those raised since, a pipe closed since carries data
 * again, dup'd fds still share their offset, an unlinked file is the same
 * file.  Each leaves the state as it found it.
 */
static void active_checks(void)
{
	uint64_t pend = 0, want;
	uint64_t runs = sh->usr1_runs;
	char buf[PG];
	sigset_t s2;
	off_t off;
	struct timespec zero_ts = { 0, 0 };

	raise(SIGUSR1);
	CK(sh->usr1_runs == runs + 1, "SIGUSR1 did not run the handler installed before the snapshot");
	CK(!sh->usr1_bad_mask, "the SIGUSR1 handler ran without its sa_mask (SIGHUP)");

	CK(!syscall(SYS_rt_sigpending, &pend, 8), "rt_sigpending: %s", strerror(errno));
	want = sh->usr2_pending ? 1ULL << (SIGUSR2 - 1) : 0;
	CK(pend == want, "pending signals %#" PRIx64 ", want %#" PRIx64 " (a signal raised after the snapshot must stay pending)",
	   pend, want);
	if (sh->usr2_pending) {
		sigemptyset(&s2);
		sigaddset(&s2, SIGUSR2);
		CK(sigtimedwait(&s2, NULL, &zero_ts) == SIGUSR2, "sigtimedwait(SIGUSR2): %s", strerror(errno));
		sh->usr2_pending = 0;
	}

	CK(write(pip[1], "x", 1) == 1, "write to the pipe (fd %d): %s", pip[1], strerror(errno));
	buf[0] = 0;
	CK(read(pip[0], buf, 2) == 1 && buf[0] == 'x', "the pipe (fds %d, %d) is not the pipe of the snapshot",
	   pip[0], pip[1]);

	off = lseek(fd_a, 0, SEEK_CUR);
	CK(lseek(fd_a, 4242, SEEK_SET) == 4242, "lseek fd %d: %s", fd_a, strerror(errno));
	CK(lseek(fd_b, 0, SEEK_CUR) == 4242, "fds %d and %d (dup) no longer share one open file", fd_a, fd_b);
	CK(lseek(fd_a, off, SEEK_SET) == off, "lseek back: %s", strerror(errno));

	CK(pread(fd_del, buf, PG, 0) == (ssize_t)PG && !same_off(buf, PG, 0, S_DEL),
	   "the unlinked file (fd %d) lost its contents", fd_del);
	CK((uint64_t)(uintptr_t)sbrk(0) == sh->rec.brk, "sbrk(0) %p, want %#" PRIx64, sbrk(0), sh->rec.brk);
}

/* Everything: the recorded state, memory, and the checks that act. */
static void verify_all(int full, uint64_t salt)
{
	const char *why;
	int i;

	gather(&cur, G_ALL);
	why = state_diff(&cur, &sh->rec, G_ALL);
	if (why)
		failf("after rollback %" PRIu64 " (round %" PRIu64 "): %s", sh->rollbacks, sh->iter, why);
	verify_mem(full, salt, 0);
	active_checks();
	for (i = 0; i < 512; i++)
		CK(sh->data[i] == sh->stamp, "the MAP_SHARED region was rewound: word %d is %#" PRIx64 ", want %#" PRIx64,
		   i, sh->data[i], sh->stamp);
}

/* ---- Set-up ---------------------------------------------------------------- */

/* kB of huge pages behind the THP region (information only). */
static long thp_kb(void)
{
	static char buf[256 << 10];
	char head[32], *p;
	uint32_t n = read_all("/proc/self/smaps", buf, sizeof(buf) - 1);

	buf[n] = 0;
	snprintf(head, sizeof(head), "%lx-", (unsigned long)(uintptr_t)thp);
	p = strstr(buf, head);
	if (p)
		p = strstr(p, "AnonHugePages:");
	return p ? strtol(p + 14, NULL, 10) : -1;
}

static void setup(void)
{
	struct sigaction sa;
	sigset_t m;
	size_t i;
	unsigned char *raw;
	pid_t pid = getpid();
	int fd;

	big_sz = small_mode ? 4UL << 20 : 64UL << 20;
	nbig = big_sz / PG;
	slot_pages = nbig / NSLOTS;
	brk_sz = small_mode ? 256UL << 10 : 1UL << 20;
	nblk = small_mode ? 12 : NBLK_MAX;
	use_thp = !small_mode;

	/* Memory: the big region (one page in 8 never touched: holes). */
	big = xmmap(NULL, big_sz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	for (i = 0; i < nbig; i++)
		if (!hole(i))
			fill(big + i * PG, PG, S_BIG);
	if (use_thp) {
		raw = xmmap(NULL, 2 * THP_SZ, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		thp = (unsigned char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
		if (thp > raw)
			munmap(raw, thp - raw);
		munmap(thp + THP_SZ, raw + 2 * THP_SZ - (thp + THP_SZ));
		madvise(thp, THP_SZ, MADV_HUGEPAGE);
		fill(thp, THP_SZ, S_THP);
	}
	/* Heap blocks: small, medium, and big enough for malloc to mmap. */
	for (i = 0; i < (size_t)nblk; i++) {
		blk_sz[i] = i % 12 == 5 ? 200 * 1024 + i * 4096 :
			    i % 2 ? 4096 + i * 1000 : 16 + i * 40;
		blk_sz[i] &= ~7UL;
		blk[i] = malloc(blk_sz[i]);
		CK(blk[i], "malloc");
		fill(blk[i], blk_sz[i], S_HEAP + i);
	}
	/* The brk region, after malloc has its heap. */
	brkr = sbrk(brk_sz);
	CK(brkr != (void *)-1, "sbrk: %s", strerror(errno));
	fill(brkr, brk_sz, S_BRK);

	/* Files. */
	snprintf(p_data, sizeof(p_data), "%s/snap_self.%d.data", dir, pid);
	snprintf(p_a, sizeof(p_a), "%s/snap_self.%d.a", dir, pid);
	snprintf(p_app, sizeof(p_app), "%s/snap_self.%d.log", dir, pid);
	for (i = 0; i < 4; i++)
		snprintf(p_tmp[i], sizeof(p_tmp[i]), "%s/snap_self.%d.tmp%zu", dir, pid, i);
	fd = xopen(p_data, O_RDWR | O_CREAT | O_TRUNC);
	write_file(fd, PF_PAGES * PG, S_FILE);
	pf = xmmap(NULL, PF_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	for (i = 0; i < PF_COW; i++)
		fill(pf + i * PG, PG, S_PFC);
	pfr = xmmap(NULL, PFR_PAGES * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);

	fd_a = xopen(p_a, O_RDWR | O_CREAT | O_TRUNC);
	write_file(fd_a, 16 * PG, 1);
	lseek(fd_a, 12345, SEEK_SET);
	fd_b = dup(fd_a);
	{
		struct stat st;

		CK(!fstat(fd_a, &st), "fstat: %s", strerror(errno));
		a_ino = st.st_ino;
	}
	fd_ro = xopen(p_data, O_RDONLY);
	lseek(fd_ro, 3 * PG + 17, SEEK_SET);
	fd_app = xopen(p_app, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC);
	CK(write(fd_app, "log\n", 4) == 4, "write log");
	snprintf(p_tmp[3], sizeof(p_tmp[3]), "%s/snap_self.%d.del", dir, pid);
	fd_del = xopen(p_tmp[3], O_RDWR | O_CREAT | O_TRUNC);
	write_file(fd_del, 2 * PG, S_DEL);
	unlink(p_tmp[3]);
	snprintf(p_tmp[3], sizeof(p_tmp[3]), "%s/snap_self.%d.tmp3", dir, pid);
	lseek(fd_del, 777, SEEK_SET);
	CK(!pipe2(pip, O_NONBLOCK), "pipe: %s", strerror(errno));
	fd_null = xopen("/dev/null", O_RDONLY | O_CLOEXEC);
	fd_dir = xopen(dir, O_RDONLY | O_DIRECTORY);
	fd_hi = dup2(fd_ro, 100);
	CK(fd_hi == 100, "dup2: %s", strerror(errno));

	/* Handlers and mask. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = h_usr1;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGUSR1, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = h_term;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = h_alt;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGRTMIN + 2, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigaddset(&m, SIGWINCH);
	sigaddset(&m, SIGRTMIN + 3);
	sigprocmask(SIG_SETMASK, &m, NULL);

	pretouch_stack();
	/* FP control words the library must keep: round up, 53-bit x87. */
	{
		uint32_t mx = 0x1f80 | 0x4000;
		uint16_t cw = 0x027f;

		__asm__ volatile("ldmxcsr %0" : : "m"(mx));
		__asm__ volatile("fldcw %0" : : "m"(cw));
	}
}

static void cleanup_files(void)
{
	int i;

	unlink(p_data);
	unlink(p_a);
	unlink(p_app);
	for (i = 0; i < 4; i++)
		unlink(p_tmp[i]);
}

/* ---- One round of changes ------------------------------------------------ */

static int slot_order[NSLOTS], slot_next;

/* A page range inside a slot of the big region no other change of this
 * round uses: [*first, *first + *n). */
static void take_range(size_t *first, size_t *n, size_t maxn)
{
	size_t s = slot_order[slot_next++ % NSLOTS], off;

	off = rndn(slot_pages - 1);
	*n = 1 + rndn(maxn < slot_pages - off ? maxn : slot_pages - off);
	*first = s * slot_pages + off;
	touch_range(R_BIG, *first, *n);
}

static int pick_fd(void)
{
	const struct fdrec *f;
	int tries;

	for (tries = 0; tries < 16; tries++) {
		f = &sh->rec.fds[rndn(sh->rec.nfds)];
		if (f->fd > 2 && f->fd != sh->devfd)
			return f->fd;
	}
	return fd_null;
}

static void do_fork(uint64_t it)
{
	pid_t pid;
	int st, i;

	sh->forks++;
	pid = fork();
	CK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		in_child = 1;
		/* The child sees the parent's memory and may write it. */
		size_t p[32];

		for (i = 0; i < 32; i++) {
			p[i] = rndn(nbig);
			check_one(R_BIG, p[i]);
		}
		for (i = 0; i < 32; i++)
			scribble(big + p[i] * PG, PG, it);
		_exit(0);
	}
	CK(zdtm_waitpid(pid, &st) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the fork child of round %" PRIu64 " failed (status %#x)", it, st);
}

static void do_fds(uint64_t it)
{
	int n = 1 + rndn(6), i, fd;
	char buf[256];
	struct stat st;

	for (i = 0; i < n; i++) {
		switch (rndn(9)) {
		case 0:
		case 1:
			close(pick_fd());
			break;
		case 2:
			open(p_tmp[rndn(3)], O_RDWR | O_CREAT, 0600);
			break;
		case 3:
			fd = dup(pick_fd());
			if (rndn(2))
				open("/dev/zero", O_RDONLY);
			(void)fd;
			break;
		case 4:
			fd = rndn(2) ? pick_fd() : 3 + (int)rndn(200);
			if (fd != sh->devfd)
				dup2(pick_fd(), fd);
			break;
		case 5:
			lseek(pick_fd(), rndn(1 << 20), SEEK_SET);
			break;
		case 6:
			(void)!read(fd_ro, buf, 1 + rndn(sizeof(buf)));
			break;
		case 7:
			/* Only into file a, not into whatever an earlier dup2
			 * put at fd_a: file and pipe contents are not rewound. */
			memset(buf, (int)it, sizeof(buf));
			if (!fstat(fd_a, &st) && st.st_ino == a_ino)
				(void)!write(fd_a, buf, 1 + rndn(sizeof(buf)));
			break;
		case 8:
			fd = pick_fd();
			fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) ^ FD_CLOEXEC);
			break;
		}
	}
}

static void do_sigact(void)
{
	static const int flags[] = { SA_RESTART, SA_NODEFER, SA_RESETHAND, SA_ONSTACK };
	struct sigaction sa;
	int n = 1 + rndn(8), i, j, sig;

	for (i = 0; i < n; i++) {
		/* Every one glibc lets us set; SIGUSR1 (the checked handler) often. */
		sig = rndn(4) ? 1 + (int)rndn(64) : SIGUSR1;
		if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33)
			continue;
		memset(&sa, 0, sizeof(sa));
		switch (rndn(4)) {
		case 0:
			sa.sa_handler = SIG_DFL;
			break;
		case 1:
			sa.sa_handler = SIG_IGN;
			break;
		case 2:
			sa.sa_handler = h_alt;
			break;
		case 3:
			sa.sa_sigaction = h_alt_si;
			sa.sa_flags = SA_SIGINFO;
			break;
		}
		for (j = 0; j < 4; j++)
			if (rndn(2))
				sa.sa_flags |= flags[j];
		sigemptyset(&sa.sa_mask);
		for (j = 0; j < 4; j++)
			sigaddset(&sa.sa_mask, 1 + (int)rndn(31));
		sigaction(sig, &sa, NULL);
	}
}

static void mutate(uint64_t it)
{
	int on[NK], k, i;
	size_t a, n;
	unsigned char *p;

	rnd_seed(seed, it + 1);
	for (k = 0; k < NK; k++)
		on[k] = rndn(100) < 35;
	on[it % NK] = 1;		/* every kind at least every NK rounds */
	on[K_FORK] = it % NK == K_FORK;	/* forks are slow under TCG */
	if (!use_thp)
		on[K_THP] = 0;
	for (k = 0; k < NK; k++)
		sh->kinds[k] += on[k];
	for (i = 0; i < NSLOTS; i++)
		slot_order[i] = i;
	for (i = NSLOTS - 1; i > 0; i--) {
		k = rndn(i + 1);
		n = slot_order[i];
		slot_order[i] = slot_order[k];
		slot_order[k] = n;
	}
	slot_next = 0;
	sh->ntouch = 0;
	sh->overflow = 0;

	/* The shared region is not rewound: the next check expects this. */
	sh->stamp = it + 1;
	for (i = 0; i < 512; i++)
		sh->data[i] = it + 1;

	if (on[K_FORK])
		do_fork(it);
	if (on[K_BRK]) {
		/* Write, then grow or shrink (never touched again after). */
		for (i = 0; i < 8; i++) {
			a = rndn(brk_sz / PG);
			scribble(brkr + a * PG, PG, it);
			touch(R_BRK, a);
		}
		n = 1 + rndn(brk_sz / PG / 2);
		if (rndn(2)) {
			p = sbrk(n * PG);
			if (p != (void *)-1)
				memset(p, 0x5a, n * PG);
		} else {
			sbrk(-(intptr_t)(n * PG));
			touch_range(R_BRK, brk_sz / PG - n, n);
		}
	}
	if (on[K_HEAP]) {
		void *nb[16];
		int nn = 1 + rndn(16);

		for (i = 0; i < 4; i++) {
			k = rndn(nblk);
			scribble(blk[k], blk_sz[k], it);
			touch(R_HEAP, k);
		}
		for (i = 0; i < 3; i++) {
			k = rndn(nblk);
			free(blk[k]);
			blk[k] = NULL;
			touch(R_HEAP, k);
		}
		for (i = 0; i < nn; i++) {
			size_t sz = rndn(4) ? 16 + rndn(8192) : 100000 + rndn(300000);

			nb[i] = malloc(sz);
			if (nb[i])
				scribble(nb[i], sz & ~7UL, it);
		}
		for (i = 0; i < nn; i += 2)
			free(nb[i]);
		k = rndn(nblk);
		if (blk[k]) {
			void *r = realloc(blk[k], blk_sz[k] * 3 + 64);

			if (r) {
				blk[k] = r;
				scribble(r, blk_sz[k] * 3, it);
			}
			touch(R_HEAP, k);
		}
	}
	if (on[K_BIG]) {
		n = 1 + rndn(48);
		for (i = 0; i < (int)n; i++) {
			a = rndn(nbig);
			scribble(big + a * PG, PG, it);
			touch(R_BIG, a);
		}
		/* A few pages in holes: they must be gone again. */
		for (i = 0; i < 4; i++) {
			a = rndn(nbig / 8) * 8 + 7;
			big[a * PG + rndn(PG)] = 0xa5;
			touch(R_BIG, a);
		}
		stk[rndn(STK_WORDS)] ^= 1;
	}
	if (on[K_THP]) {
		size_t np = THP_SZ / PG;

		for (i = 0; i < 16; i++) {
			a = rndn(np);
			scribble(thp + a * PG, PG, it);
			touch(R_THP, a);
		}
		/* Drop a whole huge page, or a piece of one. */
		if (rndn(2)) {
			a = rndn(THP_SZ / HPAGE) * (HPAGE / PG);
			n = HPAGE / PG;
		} else {
			a = rndn(np - 16);
			n = 1 + rndn(16);
		}
		madvise(thp + a * PG, n * PG, MADV_DONTNEED);
		touch_range(R_THP, a, n);
		/* Then split one by protection, or unmap part. */
		a = rndn(np - 32);
		n = 1 + rndn(32);
		if (rndn(3))
			mprotect(thp + a * PG, n * PG, PROT_READ);
		else
			munmap(thp + a * PG, n * PG);
		touch_range(R_THP, a, n);
	}
	if (on[K_PF]) {
		for (i = 0; i < 6; i++) {
			a = rndn(PF_PAGES);
			scribble(pf + a * PG, PG, it);
			touch(R_PF, a);
		}
	}
	if (on[K_MMAP]) {
		n = 1 + rndn(64);
		p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			scribble(p, n * PG, it);
		p = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			p[0] = 1;
		k = open(p_data, O_RDONLY);
		if (k >= 0) {
			p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, k, 0);
			if (p != MAP_FAILED)
				p[5] = p[6];
			close(k);
		}
		mmap(NULL, 32 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (on[K_FIXED]) {
		take_range(&a, &n, 64);
		if (rndn(2)) {
			p = mmap(big + a * PG, n * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			if (p != MAP_FAILED)
				scribble(p, n * PG, it);
		} else {
			k = open(p_data, O_RDONLY);
			if (k >= 0) {
				mmap(big + a * PG, (n < PF_PAGES ? n : PF_PAGES) * PG, PROT_READ,
				     MAP_PRIVATE | MAP_FIXED, k, 0);
				close(k);
			}
		}
	}
	if (on[K_MUNMAP]) {
		take_range(&a, &n, 128);
		munmap(big + a * PG, n * PG);
		if (rndn(2)) {
			a = rndn(PF_PAGES - 8);
			munmap(pf + a * PG, 8 * PG);
			touch_range(R_PF, a, 8);
		}
	}
	if (on[K_MPROTECT]) {
		static const int prots[] = { PROT_READ, PROT_NONE, PROT_READ | PROT_EXEC };

		take_range(&a, &n, 128);
		mprotect(big + a * PG, n * PG, prots[rndn(3)]);
		/* A read-only file mapping made writable and written (COW). */
		if (!mprotect(pfr, PFR_PAGES * PG, PROT_READ | PROT_WRITE)) {
			a = rndn(PFR_PAGES);
			scribble(pfr + a * PG, PG, it);
			touch(R_PFR, a);
		}
		a = rndn(PF_PAGES - 4);
		mprotect(pf + a * PG, 4 * PG, PROT_READ);
	}
	if (on[K_MREMAP]) {
		take_range(&a, &n, 64);
		switch (rndn(3)) {
		case 0:	/* move elsewhere */
			p = mmap(NULL, n * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p != MAP_FAILED) {
				p = mremap(big + a * PG, n * PG, n * PG,
					   MREMAP_MAYMOVE | MREMAP_FIXED, p);
				if (p != MAP_FAILED)
					scribble(p, n * PG, it);
			}
			break;
		case 1:	/* shrink in place */
			mremap(big + a * PG, n * PG, (n / 2) * PG, 0);
			break;
		case 2:	/* grow, so move */
			p = mremap(big + a * PG, n * PG, 2 * n * PG, MREMAP_MAYMOVE);
			if (p != MAP_FAILED)
				scribble(p, 2 * n * PG, it);
			break;
		}
	}
	if (on[K_MADV]) {
		take_range(&a, &n, 128);
		madvise(big + a * PG, n * PG, MADV_DONTNEED);
	}
	if (on[K_FD])
		do_fds(it);
	if (on[K_SIGACT])
		do_sigact();
	if (on[K_SIGMASK]) {
		uint64_t m = rnd();

		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, 8);
	}
	if (on[K_FP]) {
		uint32_t mx = 0x1f80 | ((uint32_t)rndn(4) << 13) | (rndn(2) ? 0x8000 : 0);
		uint16_t cw = 0x037f & ~0x0300;

		__asm__ volatile("ldmxcsr %0" : : "m"(mx));
		__asm__ volatile("fldcw %0" : : "m"(cw));
	}
	if (on[K_PENDING]) {
		uint64_t m = 0;

		/* Last: nothing after this may discard or deliver it. */
		syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
		if (m & (1ULL << (SIGUSR2 - 1))) {
			raise(SIGUSR2);
			sh->usr2_pending = 1;
		}
	}
}

/* ---- After the loop --------------------------------------------------------- */

static void set_ovr(size_t i)
{
	ovr_bits[i / 8] |= 1 << (i % 8);
}

/*
 * Fork after the snapshot: the child sees the parent's memory of the fork
 * instant, cannot use the parent's snapshot, can take its own; what it
 * writes the parent never sees.
 */
static void fork_test(void)
{
	pid_t pid;
	int st, i, r, cid = 0;
	size_t p;

	rnd_seed(seed, 0xf0f0);
	sh->ntouch = 0;
	sh->overflow = 0;
	ovr_seed = S_F;
	for (i = 0; i < 32; i++) {
		p = rndn(nbig);
		fill(big + p * PG, PG, S_F);
		set_ovr(p);
		touch(R_BIG, p);
	}
	sh->child_state = 0;
	pid = fork();
	CK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		in_child = 1;
		check_all_pages(R_BIG, nbig);
		check_all_pages(R_HEAP, nblk);
		errno = 0;
		CK(ckpt_rollback(sh->id) == -1 && errno == EINVAL,
		   "rolled back to the parent's snapshot, or not with EINVAL: %s", strerror(errno));
		errno = 0;
		CK(ckpt_drop(sh->id) == -1 && errno == EINVAL,
		   "dropped the parent's snapshot, or not with EINVAL: %s", strerror(errno));
		/* Its own snapshot, of memory it shares with the parent's. */
		r = ckpt_snapshot(&cid);
		CK(r >= 0, "its own snapshot: %s (%s)", strerror(errno), ckpt_errmsg());
		if (r == 0) {
			sh->child_state = 1;
			for (i = 0; i < 256; i++)
				scribble(big + rndn(nbig) * PG, PG, 0xc1);
			ckpt_rollback(cid);
			failf("its own rollback returned: %s (%s)", strerror(errno), ckpt_errmsg());
		}
		CK(sh->child_state == 1, "its snapshot returned 1 without a rollback");
		check_all_pages(R_BIG, nbig);
		CK(!ckpt_drop(cid), "drop its snapshot: %s", strerror(errno));
		/* Then it writes everywhere, the parent must not see it. */
		for (i = 0; i < 256; i++) {
			p = rndn(nbig);
			sh->child_pages[i] = (uint32_t)p;
			scribble(big + p * PG, PG, 0xc2);
		}
		sh->child_state = 2;
		_exit(0);
	}
	CK(zdtm_waitpid(pid, &st) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the fork child failed (status %#x)", st);
	CK(sh->child_state == 2, "the fork child did not finish");
	for (i = 0; i < 256; i++) {
		check_one(R_BIG, sh->child_pages[i]);
		touch(R_BIG, sh->child_pages[i]);
	}
	check_all_pages(R_BIG, nbig);
}

/*
 * A second snapshot B on top of the state of A plus 16 written pages;
 * rollback to B, then to A.  Each must give its own state.
 */
static void __attribute__((noinline)) nested_test(void)
{
	int idB = 0, r, i;
	size_t p;

	rnd_seed(seed, 0xb0b0);
	ovr_seed = S_G;
	for (i = 0; i < 16; i++) {
		p = rndn(nbig);
		fill(big + p * PG, PG, S_G);
		set_ovr(p);
	}
	sh->stage = 0;
	r = ckpt_snapshot(&idB);
	CK(r >= 0, "second snapshot: %s (%s)", strerror(errno), ckpt_errmsg());
	if (r == 0) {
		CK(idB > 0 && idB != sh->id, "second snapshot id %d (first %d)", idB, sh->id);
		sh->idB = idB;
		sh->stage = 1;
		mutate(sh->iter + 1000);
		sh->expect = 2;
		ckpt_rollback(idB);
		failf("ckpt_rollback(%d) returned: %s (%s)", idB, strerror(errno), ckpt_errmsg());
	}
	CK(sh->stage == 1 && sh->expect == 2, "came back to the second snapshot unexpectedly (stage %d, expected %" PRIu64 ")",
	   sh->stage, sh->expect);
	CK(idB == sh->idB, "*id after rollback is %d, want %d", idB, sh->idB);
	sh->expect = 0;
	sh->rollbacks++;
	/* B's memory is A's plus the 16 pages (the override); the rest as A. */
	verify_all(1, 0xb0b0);
	sh->phase = PH_DROP;
	sh->expect = 1;
	ckpt_rollback(sh->id);
	failf("ckpt_rollback(%d) returned: %s (%s)", sh->id, strerror(errno), ckpt_errmsg());
}

static void drop_tests(void)
{
	int bogus = (sh->id > sh->idB ? sh->id : sh->idB) + 1000, id3 = 0, r;

	errno = 0;
	CK(ckpt_rollback(bogus) == -1 && errno == EINVAL, "rollback to unknown id %d: %s", bogus, strerror(errno));
	CK(ckpt_drop(bogus) == -1 && errno == EINVAL, "drop of unknown id %d: %s", bogus, strerror(errno));
	CK(!ckpt_drop(sh->idB), "drop %d: %s (%s)", sh->idB, strerror(errno), ckpt_errmsg());
	errno = 0;
	CK(ckpt_rollback(sh->idB) == -1 && errno == EINVAL, "rollback to dropped %d: %s", sh->idB, strerror(errno));
	CK(ckpt_drop(sh->idB) == -1 && errno == EINVAL, "second drop of %d: %s", sh->idB, strerror(errno));
	CK(!ckpt_drop(sh->id), "drop %d: %s (%s)", sh->id, strerror(errno), ckpt_errmsg());
	errno = 0;
	CK(ckpt_rollback(sh->id) == -1 && errno == EINVAL, "rollback to dropped %d: %s", sh->id, strerror(errno));
	/* Failed rollbacks change nothing. */
	verify_all(1, 0xd0d0);
	/* A fresh snapshot once none is left. */
	r = ckpt_snapshot(&id3);
	CK(r == 0, "a snapshot after the drops: %d: %s (%s)", r, strerror(errno), ckpt_errmsg());
	CK(!ckpt_drop(id3), "drop %d: %s", id3, strerror(errno));
}

static void report(const char *what, uint64_t n, uint64_t t0, uint64_t t1)
{
	double s = (t1 - t0) / 1e9;
	int k;

	printf("%s: %" PRIu64 " in %.2f s: %.1f/s; full checks %" PRIu64 ", forks %" PRIu64 ", %s\n",
	       what, n, s, s > 0 ? n / s : 0.0, sh->full_checks, sh->forks,
	       small_mode ? "small" : "64 MiB");
	if (sh->iter) {
		printf("rounds with each kind of change:");
		for (k = 0; k < NK; k++)
			printf(" %s=%" PRIu64, kname[k], sh->kinds[k]);
		printf("\n");
	}
}

/* ---- Modes ---------------------------------------------------------------- */

/* The state just after the snapshot, and libckpt's own /dev/ckpt fd. */
static void record(void)
{
	int i;

	gather(&sh->rec, G_ALL);
	sh->recorded = 1;
	sh->devfd = -1;
	for (i = 0; i < sh->rec.nfds; i++)
		if (!strncmp(sh->rec.fds[i].path, "/dev/ckpt", 9))
			sh->devfd = sh->rec.fds[i].fd;
	sh->t0 = now_ns();
}

static int loop_mode(uint64_t iters, uint64_t full_every)
{
	uint64_t stkbuf[STK_WORDS];
	int id = 0, r;

	stk = stkbuf;
	fill(stk, sizeof(stkbuf), S_STACK);
	if (use_thp)
		printf("THP region: %ld kB in huge pages\n", thp_kb());
	sh->phase = PH_LOOP;
	r = ckpt_snapshot(&id);
	CK(r >= 0, "ckpt_snapshot: %s (%s)", strerror(errno), ckpt_errmsg());
	if (r == 0) {
		CK(!sh->recorded, "ckpt_snapshot returned 0 again (round %" PRIu64 ")", sh->iter);
		CK(id > 0, "snapshot id %d", id);
		sh->id = id;
		record();
		verify_mem(1, 0, 0);
		active_checks();
	} else {
		CK(r == 1, "ckpt_snapshot returned %d", r);
		CK(sh->recorded, "ckpt_snapshot returned 1 first");
		CK(sh->expect == 1, "came back to the first snapshot unexpectedly (expected %" PRIu64 ")", sh->expect);
		CK(id == sh->id, "*id after rollback is %d, want %d", id, sh->id);
		sh->expect = 0;
		sh->rollbacks++;
		/* One per round, one after the fork test, two in the nested one. */
		CK(sh->rollbacks == sh->iter + (sh->phase >= PH_NESTED) + 2 * (sh->phase >= PH_DROP),
		   "%" PRIu64 " rollbacks after %" PRIu64 " rounds: the counter in shared memory was rewound?",
		   sh->rollbacks, sh->iter);
		verify_all(sh->phase != PH_LOOP || sh->iter % full_every == 0 || sh->iter == iters,
			   sh->iter);
	}
	switch (sh->phase) {
	case PH_LOOP:
		if (sh->iter < iters) {
			mutate(sh->iter);
			sh->iter++;
			sh->expect = 1;
			ckpt_rollback(sh->id);
			failf("ckpt_rollback(%d) returned: %s (%s)", sh->id, strerror(errno), ckpt_errmsg());
		}
		sh->t1 = now_ns();
		sh->phase = PH_FORK;
		/* fall through */
	case PH_FORK:
		fork_test();
		sh->phase = PH_NESTED;
		sh->expect = 1;
		ckpt_rollback(sh->id);
		failf("ckpt_rollback(%d) returned: %s (%s)", sh->id, strerror(errno), ckpt_errmsg());
	case PH_NESTED:
		nested_test();
		failf("nested test returned");
	case PH_DROP:
		drop_tests();
		break;
	default:
		failf("phase %" PRIu64 "?", sh->phase);
	}
	report("rollbacks", sh->iter, sh->t0, sh->t1);
	cleanup_files();
	zdtm_pass();
}

/* Small changes for the cycle test: pages, an fd, the mask, a mapping. */
static void mutate_light(uint64_t c)
{
	size_t a, n;
	int i;
	uint64_t m;

	rnd_seed(seed, c + 7);
	sh->ntouch = 0;
	sh->overflow = 0;
	for (i = 0; i < 1 + (int)rndn(4); i++) {
		a = rndn(nbig);
		scribble(big + a * PG, PG, c);
		touch(R_BIG, a);
	}
	switch (c % 4) {
	case 0:
		open(p_tmp[0], O_RDWR | O_CREAT, 0600);
		break;
	case 1:
		close(pick_fd());
		break;
	case 2:
		lseek(fd_a, c, SEEK_SET);
		break;
	case 3:
		dup2(fd_ro, 50);
		break;
	}
	m = rnd();
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, 8);
	if (c % 7 == 0)
		mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (c % 11 == 0) {
		slot_order[0] = rndn(NSLOTS);
		slot_next = 0;
		take_range(&a, &n, 4);
		munmap(big + a * PG, n * PG);
	}
	if (c % 13 == 0)
		signal(SIGTERM, SIG_IGN);
}

static int cycles_mode(uint64_t ncycles)
{
	uint64_t stkbuf[STK_WORDS];
	const char *why;
	int id = 0, r, what;

	stk = stkbuf;
	fill(stk, sizeof(stkbuf), S_STACK);
	sh->stage = 0;
	while (sh->cycle < ncycles) {
		r = ckpt_snapshot(&id);
		CK(r >= 0, "cycle %" PRIu64 ": ckpt_snapshot: %s (%s)", sh->cycle, strerror(errno), ckpt_errmsg());
		if (r == 0) {
			CK(sh->stage == 0, "cycle %" PRIu64 ": ckpt_snapshot returned 0 where a rollback was expected",
			   sh->cycle);
			if (!sh->recorded) {
				record();
			}
			sh->id = id;
			mutate_light(sh->cycle);
			sh->stage = 1;
			ckpt_rollback(id);
			failf("cycle %" PRIu64 ": ckpt_rollback(%d) returned: %s (%s)", sh->cycle, id,
			      strerror(errno), ckpt_errmsg());
		}
		CK(r == 1 && sh->stage == 1, "cycle %" PRIu64 ": ckpt_snapshot returned %d unexpectedly", sh->cycle, r);
		CK(id == sh->id, "cycle %" PRIu64 ": *id after rollback is %d, want %d", sh->cycle, id, sh->id);
		sh->stage = 0;
		sh->rollbacks++;
		/* Every state taken equals the first: nothing leaks between cycles. */
		what = G_FDS | G_MASK | G_BRK | G_FP | (sh->cycle % 100 == 0 ? G_MAPS | G_SIG : 0);
		gather(&cur, what);
		why = state_diff(&cur, &sh->rec, what);
		if (why)
			failf("cycle %" PRIu64 ": %s", sh->cycle, why);
		verify_mem(sh->cycle % 1000 == 0, sh->cycle, 1);
		if (sh->cycle % 1000 == 999)
			sh->kept++;	/* left for the exit to free */
		else
			CK(!ckpt_drop(id), "cycle %" PRIu64 ": drop %d: %s (%s)", sh->cycle, id,
			   strerror(errno), ckpt_errmsg());
		sh->cycle++;
	}
	sh->t1 = now_ns();
	verify_all(1, 0);
	report("snapshot+rollback+drop cycles", sh->cycle, sh->t0, sh->t1);
	printf("%" PRIu64 " snapshots left alive for the exit to free\n", sh->kept);
	cleanup_files();
	zdtm_pass();
}

static int hold_mode(int n)
{
	int ids[64], i, r;

	CK(n > 0 && n <= 64, "--hold 1..64");
	for (i = 0; i < n; i++) {
		scribble(big + i * PG, PG, i);
		r = ckpt_snapshot(&ids[i]);
		CK(r == 0, "snapshot %d: %d: %s (%s)", i, r, strerror(errno), ckpt_errmsg());
	}
	zdtm_ready();
	printf("ids");
	for (i = 0; i < n; i++)
		printf(" %d", ids[i]);
	printf("\n");
	zdtm_wait();
	cleanup_files();
	zdtm_pass();
}

/* exit() and _exit() come back here while the CKPT_SNAP_EXIT snapshot lives. */
static int exit_mode(void)
{
	int id = 0, r;

	r = ckpt_snapshot_flags(&id, CKPT_SNAP_EXIT);
	CK(r >= 0, "ckpt_snapshot_flags(CKPT_SNAP_EXIT): %s (%s)", strerror(errno), ckpt_errmsg());
	if (r == 0) {
		sh->exit_id = id;
		sh->stage = 1;
		scribble(big, 16 * PG, 1);
		exit(3);
	}
	CK(id == sh->exit_id, "*id after the exit rollback is %d, want %d", id, sh->exit_id);
	check_all_pages(R_BIG, 32);
	if (sh->stage == 1) {
		printf("exit(3) rolled back\n");
		sh->stage = 2;
		scribble(big, 16 * PG, 2);
		_exit(4);
	}
	CK(sh->stage == 2, "stage %d", sh->stage);
	printf("_exit(4) rolled back\n");
	CK(!ckpt_drop(id), "drop: %s (%s)", strerror(errno), ckpt_errmsg());
	sh->exit_id = 0;
	cleanup_files();
	zdtm_pass();	/* a real exit now */
}

int main(int argc, char **argv)
{
	uint64_t iters = 1000, full_every = 50, cycles = 0;
	int hold = 0, exit_test = 0, i, fl;

	setvbuf(stdout, NULL, _IONBF, 0);
	/* A rollback rewinds file offsets: appends are safe, plain writes are not. */
	fl = fcntl(1, F_GETFL);
	if (fl >= 0)
		fcntl(1, F_SETFL, fl | O_APPEND);
	snprintf(dir, sizeof(dir), "/tmp");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--iters") && i + 1 < argc)
			iters = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--full-every") && i + 1 < argc)
			full_every = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--cycles") && i + 1 < argc)
			cycles = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--hold") && i + 1 < argc)
			hold = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--exit"))
			exit_test = 1;
		else if (!strcmp(argv[i], "--small"))
			small_mode = 1;
		else if (argv[i][0] != '-')
			snprintf(dir, sizeof(dir), "%s", argv[i]);
		else
			failf("usage: snap_self [--iters N] [--full-every K] [--seed S] [--small] [--cycles N] [--hold N] [--exit] [DIR]");
	}
	if (!full_every)
		full_every = 1;
	if (hold || exit_test)
		small_mode = 1;

	sh = xmmap(NULL, SH_SZ, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	setup();
	if (hold) {
		int one = 1;

		zdtm_init(&one, argv);
		return hold_mode(hold);
	}
	if (exit_test)
		return exit_mode();
	if (cycles)
		return cycles_mode(cycles);
	return loop_mode(iters, full_every);
}
