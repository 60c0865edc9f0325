// SPDX-License-Identifier: GPL-2.0
/*
 * The target of an external rollback (ckpt snapshot/rollback -t PID).
 *
 *   snap_target [--wait=spin|sleep] [DIR]
 *
 * Protocol (stdout is a file the runner reads):
 *   1. It sets up its state (memory, mappings, brk, files in DIR, default
 *      /tmp, handlers, mask), records it, prints "ready", and waits at W1,
 *      the snapshot point.  --wait=spin (default): an asm loop holding
 *      known values in rbx, rcx, rdx, rsi, rdi, r8-r15, ymm0-15, MXCSR,
 *      the x87 control word, st0 and st1, and PKRU when the OS enables
 *      protection keys.  --wait=sleep: a nanosleep() loop, so the
 *      snapshot and the rollback meet it inside a system call.
 *   2. The runner takes a snapshot: ckpt snapshot -t PID.
 *   3. SIGUSR1: it changes everything a rollback must restore, raises a
 *      (blocked) SIGWINCH, prints "mutated N" (N counts the rounds) and
 *      waits at W2 with other register values and other handlers.
 *   4. The runner rolls it back: ckpt rollback -t PID -s ID.  It is at W1
 *      again.  Steps 3-4 may repeat.
 *   5. SIGUSR2: at W1 it checks everything against what it recorded and
 *      ends with "PASS" (exit 0) or "FAIL: why" (exit 1).  Woken at W2
 *      (no rollback happened), or by a handler installed in step 3, it
 *      fails.  Without any round of step 3 it fails too, after the checks.
 *
 * A rollback rewinds file offsets, stdout's too: output is written with
 * pwrite() on an O_APPEND stdout, which appends without moving the offset.
 * Communication goes through a MAP_SHARED region, which a rollback leaves
 * alone, and signals (the handlers of step 1 are the ones that count).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>

__attribute__((noreturn, format(printf, 1, 2)))
static void failf(const char *fmt, ...);

#include "snap_state.h"

#define REG_PAGES	4096		/* 16 MiB */
#define SLOT		256		/* pages */
#define PF_PAGES	32
#define PF_COW		8
#define BRK_SZ		(256UL << 10)
#define NBLK		16
#define STK_WORDS	512

#define S_REG		0x11000
#define S_BRK		0x12000
#define S_PFC		0x13000
#define S_FILE		0x14000
#define S_HEAP		0x15000		/* + block number */
#define S_STACK		0x16000
#define S_DEL		0x17000

struct shared {
	volatile int cmd;		/* 1 mutate, 2 verify, 3 a wrong handler ran */
	volatile int rounds;		/* mutations done */
	volatile int wrong;		/* the signal a wrong handler got */
	volatile uint64_t stamp;
	struct state rec;		/* the state at W1 */
	uint64_t data[512] __attribute__((aligned(4096)));
};

/* Register values held at a wait point (spin), and the ones found there. */
struct regs {
	uint64_t gp[13];		/* rbx rcx rdx rsi rdi r8 .. r15 */
	uint8_t ymm[16][32];
	uint8_t st[2][16];		/* st0, st1: 80 bits each */
	uint32_t mxcsr;
	uint32_t pkru;
	uint16_t fcw;
};

static const char *const gpname[13] = {
	"rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
	"r13", "r14", "r15",
};

static struct shared *sh;
static struct state cur;
static struct regs want_a, want_b, got;
static const struct regs *wptr;
static volatile int *cmdptr;
static int use_pk, spin_mode = 1;

static unsigned char *reg, *brkr, *pf;
static void *blk[NBLK];
static size_t blk_sz[NBLK];
static uint64_t *stk;
static int fd_a, fd_b, fd_ro, fd_del, fd_null, pip[2];
static char dir[PATH_MAX / 2], p_data[PATH_MAX], p_a[PATH_MAX], p_new[PATH_MAX];

/* Appends to stdout without moving its offset (see above). */
__attribute__((format(printf, 1, 2)))
static void out(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (pwrite(1, buf, n, 0) < 0 && errno == ESPIPE)
		(void)!write(1, buf, n);
}

static void failf(const char *fmt, ...)
{
	char buf[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out("FAIL: %s\n", buf);
	exit(1);
}

static int hole(size_t i)
{
	return i % 8 == 7;
}

/* ---- Handlers ------------------------------------------------------------- */

static void h_usr1(int sig)
{
	(void)sig;
	sh->cmd = 1;
}

static void h_usr2(int sig)
{
	(void)sig;
	sh->cmd = 2;
}

/* Installed by the mutation: must never run after a rollback. */
static void h_wrong(int sig)
{
	sh->wrong = sig;
	sh->cmd = 3;
}

static void h_other(int sig)
{
	(void)sig;
}

/* ---- Registers ------------------------------------------------------------ */

static int has_avx(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	return (c & bit_AVX) && (c & bit_OSXSAVE);
}

static int has_ospke(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return !!(c & (1U << 4));	/* OSPKE */
}

static void set_regs(struct regs *r, int b)
{
	int i, j;

	for (i = 0; i < 13; i++)
		r->gp[i] = 0x0101010101010101ULL * (uint64_t)(i + 1) ^ (b ? ~0ULL : 0);
	for (i = 0; i < 16; i++)
		for (j = 0; j < 32; j++)
			r->ymm[i][j] = (uint8_t)((i * 37 + j * 11 + 1) ^ (b ? 0xff : 0));
	r->mxcsr = 0x1f80 | (b ? 0x2000 : 0x6000);	/* round down / toward zero */
	r->fcw = b ? 0x027f : 0x007f;			/* 53-bit / 24-bit precision */
	/* Key 0 (all our memory) stays open; keys 1-15 differ. */
	r->pkru = b ? 0x55555554 : 0x5555555c;
	memset(r->st, 0, sizeof(r->st));
	if (b)
		__asm__ volatile("fldln2\n\tfstpt %0\n\tfldlg2\n\tfstpt %1"
				 : "=m"(r->st[0]), "=m"(r->st[1]));
	else
		__asm__ volatile("fldpi\n\tfstpt %0\n\tfldl2e\n\tfstpt %1"
				 : "=m"(r->st[0]), "=m"(r->st[1]));
}

#define O(f) [f] "i"(offsetof(struct regs, f))

/*
 * Loads *w into the registers and spins until sh->cmd is set, then
 * stores the registers into got.  Only the stack pointer and rax (the
 * address of sh->cmd) are not test values while it spins.  Inlined, so
 * that the instruction pointer alone (no return address on the stack)
 * says which wait point the process is at.
 */
static inline __attribute__((always_inline)) void spin_wait(const struct regs *w)
{
	wptr = w;
	cmdptr = &sh->cmd;
	__asm__ volatile(
		"movq %[w], %%rax\n\t"
		"cmpl $0, %[pk]\n\t"
		"je 1f\n\t"
		"movq %%rax, %%rsi\n\t"
		"movl %c[pkru](%%rsi), %%eax\n\t"
		"xorl %%ecx, %%ecx\n\t"
		"xorl %%edx, %%edx\n\t"
		"wrpkru\n\t"
		"movq %%rsi, %%rax\n\t"
		"1:\n\t"
		"ldmxcsr %c[mxcsr](%%rax)\n\t"
		"fldcw %c[fcw](%%rax)\n\t"
		"fldt %c[st]+16(%%rax)\n\t"
		"fldt %c[st](%%rax)\n\t"
		"vmovdqu %c[ymm]+0*32(%%rax), %%ymm0\n\t"
		"vmovdqu %c[ymm]+1*32(%%rax), %%ymm1\n\t"
		"vmovdqu %c[ymm]+2*32(%%rax), %%ymm2\n\t"
		"vmovdqu %c[ymm]+3*32(%%rax), %%ymm3\n\t"
		"vmovdqu %c[ymm]+4*32(%%rax), %%ymm4\n\t"
		"vmovdqu %c[ymm]+5*32(%%rax), %%ymm5\n\t"
		"vmovdqu %c[ymm]+6*32(%%rax), %%ymm6\n\t"
		"vmovdqu %c[ymm]+7*32(%%rax), %%ymm7\n\t"
		"vmovdqu %c[ymm]+8*32(%%rax), %%ymm8\n\t"
		"vmovdqu %c[ymm]+9*32(%%rax), %%ymm9\n\t"
		"vmovdqu %c[ymm]+10*32(%%rax), %%ymm10\n\t"
		"vmovdqu %c[ymm]+11*32(%%rax), %%ymm11\n\t"
		"vmovdqu %c[ymm]+12*32(%%rax), %%ymm12\n\t"
		"vmovdqu %c[ymm]+13*32(%%rax), %%ymm13\n\t"
		"vmovdqu %c[ymm]+14*32(%%rax), %%ymm14\n\t"
		"vmovdqu %c[ymm]+15*32(%%rax), %%ymm15\n\t"
		"movq %c[gp]+0*8(%%rax), %%rbx\n\t"
		"movq %c[gp]+1*8(%%rax), %%rcx\n\t"
		"movq %c[gp]+2*8(%%rax), %%rdx\n\t"
		"movq %c[gp]+3*8(%%rax), %%rsi\n\t"
		"movq %c[gp]+4*8(%%rax), %%rdi\n\t"
		"movq %c[gp]+5*8(%%rax), %%r8\n\t"
		"movq %c[gp]+6*8(%%rax), %%r9\n\t"
		"movq %c[gp]+7*8(%%rax), %%r10\n\t"
		"movq %c[gp]+8*8(%%rax), %%r11\n\t"
		"movq %c[gp]+9*8(%%rax), %%r12\n\t"
		"movq %c[gp]+10*8(%%rax), %%r13\n\t"
		"movq %c[gp]+11*8(%%rax), %%r14\n\t"
		"movq %c[gp]+12*8(%%rax), %%r15\n\t"
		"movq %[cmd], %%rax\n\t"
		"2: pause\n\t"
		"cmpl $0, (%%rax)\n\t"
		"je 2b\n\t"
		"leaq %[got], %%rax\n\t"
		"movq %%rbx, %c[gp]+0*8(%%rax)\n\t"
		"movq %%rcx, %c[gp]+1*8(%%rax)\n\t"
		"movq %%rdx, %c[gp]+2*8(%%rax)\n\t"
		"movq %%rsi, %c[gp]+3*8(%%rax)\n\t"
		"movq %%rdi, %c[gp]+4*8(%%rax)\n\t"
		"movq %%r8, %c[gp]+5*8(%%rax)\n\t"
		"movq %%r9, %c[gp]+6*8(%%rax)\n\t"
		"movq %%r10, %c[gp]+7*8(%%rax)\n\t"
		"movq %%r11, %c[gp]+8*8(%%rax)\n\t"
		"movq %%r12, %c[gp]+9*8(%%rax)\n\t"
		"movq %%r13, %c[gp]+10*8(%%rax)\n\t"
		"movq %%r14, %c[gp]+11*8(%%rax)\n\t"
		"movq %%r15, %c[gp]+12*8(%%rax)\n\t"
		"vmovdqu %%ymm0, %c[ymm]+0*32(%%rax)\n\t"
		"vmovdqu %%ymm1, %c[ymm]+1*32(%%rax)\n\t"
		"vmovdqu %%ymm2, %c[ymm]+2*32(%%rax)\n\t"
		"vmovdqu %%ymm3, %c[ymm]+3*32(%%rax)\n\t"
		"vmovdqu %%ymm4, %c[ymm]+4*32(%%rax)\n\t"
		"vmovdqu %%ymm5, %c[ymm]+5*32(%%rax)\n\t"
		"vmovdqu %%ymm6, %c[ymm]+6*32(%%rax)\n\t"
		"vmovdqu %%ymm7, %c[ymm]+7*32(%%rax)\n\t"
		"vmovdqu %%ymm8, %c[ymm]+8*32(%%rax)\n\t"
		"vmovdqu %%ymm9, %c[ymm]+9*32(%%rax)\n\t"
		"vmovdqu %%ymm10, %c[ymm]+10*32(%%rax)\n\t"
		"vmovdqu %%ymm11, %c[ymm]+11*32(%%rax)\n\t"
		"vmovdqu %%ymm12, %c[ymm]+12*32(%%rax)\n\t"
		"vmovdqu %%ymm13, %c[ymm]+13*32(%%rax)\n\t"
		"vmovdqu %%ymm14, %c[ymm]+14*32(%%rax)\n\t"
		"vmovdqu %%ymm15, %c[ymm]+15*32(%%rax)\n\t"
		"stmxcsr %c[mxcsr](%%rax)\n\t"
		"fnstcw %c[fcw](%%rax)\n\t"
		"fstpt %c[st](%%rax)\n\t"
		"fstpt %c[st]+16(%%rax)\n\t"
		"cmpl $0, %[pk]\n\t"
		"je 3f\n\t"
		"movq %%rax, %%rsi\n\t"
		"xorl %%ecx, %%ecx\n\t"
		"rdpkru\n\t"
		"movl %%eax, %c[pkru](%%rsi)\n\t"
		"3: vzeroupper\n\t"
		:
		: [w] "m"(wptr), [cmd] "m"(cmdptr), [got] "m"(got), [pk] "m"(use_pk),
		  O(gp), O(ymm), O(st), O(mxcsr), O(pkru), O(fcw)
		: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10",
		  "r11", "r12", "r13", "r14", "r15", "memory", "cc",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		  "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
		  "xmm13", "xmm14", "xmm15");
}

static inline __attribute__((always_inline)) void sleep_wait(const struct regs *w)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(w->mxcsr), "m"(w->fcw));
	while (!sh->cmd)
		nanosleep(&ts, NULL);
	memset(&got, 0, sizeof(got));
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(got.mxcsr), "=m"(got.fcw));
}

/* The registers found at a wait point are the ones it loaded. */
static void check_regs(const struct regs *w, const char *where)
{
	int i, j;

	if (!spin_mode) {
		CK(got.mxcsr == w->mxcsr && got.fcw == w->fcw, "%s: MXCSR %#x x87 CW %#x, want %#x %#x",
		   where, got.mxcsr, got.fcw, w->mxcsr, w->fcw);
		return;
	}
	for (i = 0; i < 13; i++)
		CK(got.gp[i] == w->gp[i], "%s: %s is %#" PRIx64 ", want %#" PRIx64, where, gpname[i],
		   got.gp[i], w->gp[i]);
	for (i = 0; i < 16; i++)
		for (j = 0; j < 32; j++)
			CK(got.ymm[i][j] == w->ymm[i][j], "%s: ymm%d byte %d is %#x, want %#x (%s half)",
			   where, i, j, got.ymm[i][j], w->ymm[i][j], j < 16 ? "xmm" : "upper");
	CK(got.mxcsr == w->mxcsr, "%s: MXCSR %#x, want %#x", where, got.mxcsr, w->mxcsr);
	CK(got.fcw == w->fcw, "%s: x87 control word %#x, want %#x", where, got.fcw, w->fcw);
	for (i = 0; i < 2; i++)
		CK(!memcmp(got.st[i], w->st[i], 10), "%s: st%d differs (x87 register stack)", where, i);
	CK(!use_pk || got.pkru == w->pkru, "%s: PKRU %#x, want %#x", where, got.pkru, w->pkru);
}

/* ---- Set-up ---------------------------------------------------------------- */

static void setup(void)
{
	struct sigaction sa;
	sigset_t m;
	size_t i;
	pid_t pid = getpid();
	char p_del[PATH_MAX];
	int fd;

	reg = xmmap(NULL, REG_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < REG_PAGES; i++)
		if (!hole(i))
			fill(reg + i * PG, PG, S_REG);
	for (i = 0; i < NBLK; i++) {
		blk_sz[i] = i % 4 == 3 ? 200 * 1024 : 64 + i * 1000;
		blk[i] = malloc(blk_sz[i]);
		CK(blk[i], "malloc");
		fill(blk[i], blk_sz[i], S_HEAP + i);
	}
	brkr = sbrk(BRK_SZ);
	CK(brkr != (void *)-1, "sbrk: %s", strerror(errno));
	fill(brkr, BRK_SZ, S_BRK);

	snprintf(p_data, sizeof(p_data), "%s/snap_target.%d.data", dir, pid);
	snprintf(p_a, sizeof(p_a), "%s/snap_target.%d.a", dir, pid);
	snprintf(p_new, sizeof(p_new), "%s/snap_target.%d.new", dir, pid);
	snprintf(p_del, sizeof(p_del), "%s/snap_target.%d.del", dir, pid);
	fd = xopen(p_data, O_RDWR | O_CREAT | O_TRUNC);
	write_file(fd, PF_PAGES * PG, S_FILE);
	pf = xmmap(NULL, PF_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	for (i = 0; i < PF_COW; i++)
		fill(pf + i * PG, PG, S_PFC);
	close(fd);

	fd_a = xopen(p_a, O_RDWR | O_CREAT | O_TRUNC);
	write_file(fd_a, 4 * PG, 1);
	lseek(fd_a, 5555, SEEK_SET);
	fd_b = dup(fd_a);
	fd_ro = xopen(p_data, O_RDONLY);
	lseek(fd_ro, 2 * PG + 3, SEEK_SET);
	fd_del = xopen(p_del, O_RDWR | O_CREAT | O_TRUNC);
	write_file(fd_del, PG, S_DEL);
	unlink(p_del);
	lseek(fd_del, 99, SEEK_SET);
	CK(!pipe2(pip, O_NONBLOCK), "pipe: %s", strerror(errno));
	fd_null = xopen("/dev/null", O_RDONLY | O_CLOEXEC);
	CK(dup2(fd_ro, 100) == 100, "dup2: %s", strerror(errno));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h_usr1;
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: nanosleep sees EINTR */
	sa.sa_handler = h_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = h_other;
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	sigaddset(&sa.sa_mask, SIGQUIT);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&m);
	sigaddset(&m, SIGWINCH);
	sigaddset(&m, SIGPROF);
	sigaddset(&m, SIGRTMIN + 3);
	sigprocmask(SIG_SETMASK, &m, NULL);
	pretouch_stack();
}

/* ---- The change (step 3) --------------------------------------------------- */

static void mutate(int round)
{
	struct sigaction sa;
	sigset_t m;
	size_t i, a, s0 = (size_t)round * 5;
	unsigned char *p;
	int fd;

	rnd_seed(round, 77);
	sh->stamp = round;
	for (i = 0; i < 512; i++)
		sh->data[i] = round;

	/* Memory: written pages, written holes, then one change per slot. */
	for (i = 0; i < 64; i++)
		scribble(reg + rndn(REG_PAGES) * PG, PG, round);
	for (i = 0; i < 8; i++)
		reg[(rndn(REG_PAGES / 8) * 8 + 7) * PG] = 0x5a;
	stk[rndn(STK_WORDS)] ^= 1;
	for (i = 0; i < NBLK; i += 3)
		scribble(blk[i], blk_sz[i], round);
	for (i = 1; i < NBLK; i += 4) {
		free(blk[i]);
		blk[i] = NULL;
	}
	for (i = 0; i < 8; i++) {
		p = malloc(i % 3 ? 100 + i * 500 : 300000);
		if (p)
			memset(p, 0x77, 100);
	}
	scribble(brkr, BRK_SZ, round);
	sbrk(-(intptr_t)(BRK_SZ / 4));
	for (i = 0; i < PF_PAGES; i += 3)
		scribble(pf + i * PG, PG, round);
	mprotect(pf + 4 * PG, 4 * PG, PROT_READ);

	a = ((s0 + 0) % 16) * SLOT;
	munmap(reg + a * PG, SLOT * PG);
	a = ((s0 + 1) % 16) * SLOT;
	mprotect(reg + (a + 10) * PG, 64 * PG, PROT_NONE);
	a = ((s0 + 2) % 16) * SLOT;
	p = mremap(reg + (a + 3) * PG, 32 * PG, 64 * PG, MREMAP_MAYMOVE);
	if (p != MAP_FAILED)
		scribble(p, 64 * PG, round);
	a = ((s0 + 3) % 16) * SLOT;
	p = mmap(reg + (a + 7) * PG, 16 * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p != MAP_FAILED)
		scribble(p, 16 * PG, round);
	a = ((s0 + 4) % 16) * SLOT;
	madvise(reg + a * PG, 128 * PG, MADV_DONTNEED);
	p = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		scribble(p, 64 * PG, round);
	p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		p[1] = 1;

	/* fds. */
	close(fd_a);
	close(pip[1]);
	close(fd_del);
	dup2(fd_null, fd_b);
	fd = open(p_new, O_RDWR | O_CREAT, 0600);
	if (fd >= 0)
		(void)!write(fd, "new\n", 4);
	(void)!open("/dev/zero", O_RDONLY);
	lseek(fd_ro, 1000 * round, SEEK_CUR);
	fcntl(fd_null, F_SETFD, 0);
	dup2(fd_null, 100);

	/* Handlers: the ones of the signals the runner sends, and others. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h_wrong;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_DFL);

	/* A signal that arrives after the snapshot stays pending; then a
	 * new mask (SIGWINCH still blocked, SIGPROF unblocked). */
	raise(SIGWINCH);
	sigemptyset(&m);
	sigaddset(&m, SIGWINCH);
	sigaddset(&m, SIGINT);
	sigaddset(&m, SIGALRM);
	sigaddset(&m, SIGRTMIN + 5);
	sigprocmask(SIG_SETMASK, &m, NULL);
}

/* ---- The checks (step 5) ---------------------------------------------------- */

static void check_mem(void)
{
	size_t i, bad;
	const unsigned char *p;

	for (i = 0; i < REG_PAGES; i++) {
		p = reg + i * PG;
		bad = hole(i) ? zero(p, PG) : same(p, PG, S_REG);
		CK(!bad, "private memory: page %zu of the 16 MiB region (%s), word at byte %zu is %#" PRIx64,
		   i, hole(i) ? "never written: must read zero" : "pattern", (bad - 1) * 8,
		   *(const uint64_t *)(p + (bad - 1) * 8));
	}
	for (i = 0; i < NBLK; i++)
		CK(blk[i] && !same(blk[i], blk_sz[i], S_HEAP + i), "heap block %zu (%zu bytes at %p)", i,
		   blk_sz[i], blk[i]);
	CK(!same(brkr, BRK_SZ, S_BRK), "the brk region");
	for (i = 0; i < PF_PAGES; i++)
		CK(!(i < PF_COW ? same(pf + i * PG, PG, S_PFC) : same_off(pf + i * PG, PG, i * PG, S_FILE)),
		   "private file mapping page %zu (%s)", i, i < PF_COW ? "written before the snapshot" : "the file's");
	CK(!same(stk, STK_WORDS * 8, S_STACK), "the stack array");
}

static void verify(void)
{
	const char *why;
	uint64_t pend = 0, want;
	char buf[PG];
	sigset_t s;
	struct timespec zero_ts = { 0, 0 };
	int i;

	check_regs(&want_a, "after the rollback, at the snapshot point");
	CK(!sh->wrong, "signal %d ran the handler installed after the snapshot", sh->wrong);
	gather(&cur, G_ALL);
	why = state_diff(&cur, &sh->rec, G_ALL);
	if (why)
		failf("%s", why);
	check_mem();

	CK(!syscall(SYS_rt_sigpending, &pend, 8), "rt_sigpending: %s", strerror(errno));
	want = sh->rounds ? 1ULL << (SIGWINCH - 1) : 0;
	CK(pend == want, "pending signals %#" PRIx64 ", want %#" PRIx64 " (SIGWINCH raised after the snapshot stays pending)",
	   pend, want);
	if (pend) {
		sigemptyset(&s);
		sigaddset(&s, SIGWINCH);
		CK(sigtimedwait(&s, NULL, &zero_ts) == SIGWINCH, "sigtimedwait: %s", strerror(errno));
	}
	CK(write(pip[1], "y", 1) == 1, "write to the pipe (fd %d): %s", pip[1], strerror(errno));
	CK(read(pip[0], buf, 2) == 1 && buf[0] == 'y', "the pipe (fds %d, %d) is not the pipe of the snapshot",
	   pip[0], pip[1]);
	CK(lseek(fd_a, 777, SEEK_SET) == 777 && lseek(fd_b, 0, SEEK_CUR) == 777,
	   "fds %d and %d (dup) no longer share one open file", fd_a, fd_b);
	CK(pread(fd_del, buf, PG, 0) == (ssize_t)PG && !same_off(buf, PG, 0, S_DEL),
	   "the unlinked file (fd %d) lost its contents", fd_del);
	for (i = 0; i < 512; i++)
		CK(sh->data[i] == sh->stamp, "the MAP_SHARED region was rewound (word %d: %#" PRIx64 ", want %#" PRIx64 ")",
		   i, sh->data[i], sh->stamp);
	CK(sh->rounds > 0, "all checks held, but no change was ever made (SIGUSR1 before SIGUSR2)");
}

int main(int argc, char **argv)
{
	uint64_t stkbuf[STK_WORDS];
	int i, fl, c;

	snprintf(dir, sizeof(dir), "/tmp");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait=spin"))
			spin_mode = 1;
		else if (!strcmp(argv[i], "--wait=sleep"))
			spin_mode = 0;
		else if (argv[i][0] != '-')
			snprintf(dir, sizeof(dir), "%s", argv[i]);
		else
			failf("usage: snap_target [--wait=spin|sleep] [DIR]");
	}
	fl = fcntl(1, F_GETFL);
	if (fl >= 0)
		fcntl(1, F_SETFL, fl | O_APPEND);
	if (spin_mode && !has_avx())
		failf("this CPU has no AVX: the register test needs it (use --wait=sleep)");
	use_pk = spin_mode && has_ospke();
	set_regs(&want_a, 0);
	set_regs(&want_b, 1);

	sh = xmmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	stk = stkbuf;
	fill(stk, sizeof(stkbuf), S_STACK);
	setup();
	/* The FP control words of W1 are part of the recorded state. */
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(want_a.mxcsr), "m"(want_a.fcw));
	gather(&sh->rec, G_ALL);
	out("ready\n");
	out("registers: %s%s\n", spin_mode ? "gp, ymm0-15, MXCSR, x87 CW, st0-1" : "MXCSR, x87 CW (sleep)",
	    use_pk ? ", PKRU" : "");

	/* W1: the snapshot point, and where every rollback comes back to. */
	if (spin_mode)
		spin_wait(&want_a);
	else
		sleep_wait(&want_a);
	c = sh->cmd;
	sh->cmd = 0;
	if (c == 1) {
		check_regs(&want_a, "at the snapshot point, before any change");
		sh->rounds++;
		mutate(sh->rounds);
		out("mutated %d\n", sh->rounds);
		/* W2: only leaves it for a failure. */
		if (spin_mode)
			spin_wait(&want_b);
		else
			sleep_wait(&want_b);
		c = sh->cmd;
		if (c == 2 || c == 1) {
			check_regs(&want_b, "after the change (not rolled back)");
			failf("SIGUSR%d found the process where the change left it: no rollback happened", c);
		}
		failf("not rolled back: signal %d ran the handler installed after the snapshot", sh->wrong);
	}
	if (c == 2) {
		verify();
		unlink(p_data);
		unlink(p_a);
		unlink(p_new);
		out("PASS\n");
		return 0;
	}
	failf("back at the snapshot point (registers), but signal %d ran the handler installed after the snapshot",
	      sh->wrong);
}
