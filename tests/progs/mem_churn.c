// SPDX-License-Identifier: GPL-2.0
/*
 * mem_churn: the memory layout changes all the time, for incremental
 * checkpoints (what CRIU's soft-dirty tracking gets wrong across VMA
 * merges and moves).
 *
 *   mem_churn [--period-us N] [--seed N]
 *
 * Regions of 1..64 pages live in 1 MiB slots of a PROT_NONE arena.  Every
 * period one event, numbered c = 1, 2, ...:
 *   new      map a region in a free slot, write every page
 *   write    write one page (through /proc/self/mem when it is read-only:
 *            a FOLL_FORCE write, which changes a page without making its
 *            PTE writable)
 *   unmap    drop a region (PROT_NONE again)
 *   move     mremap a region to another slot
 *   protect  make a region read-only, or writable again
 *   zap      MADV_DONTNEED one page: it reads as zeros
 *   fork     a child writes over a region and exits (the parent keeps
 *            its pages: COW)
 *   brk      grow the heap by a page and write it, or shrink it
 * A page holds pat(region id, page, event) in every word, or zeros; the
 * shadow tables (static, so the heap is ours) say which.  All state is in
 * memory, so a checkpoint at any instant restores a consistent process.
 *
 * SIGUSR2: verify, print "verified events=N", run on.  SIGUSR1: verify,
 * PASS or FAIL: why, exit.  --self-test-corrupt: damage one page before
 * the first verification (it must FAIL).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtm.h"

#define SLOTS		128
#define SLOT_SIZE	(1UL << 20)
#define MAX_PAGES	64
#define MAX_BRK		32
#define PAGE		4096UL
#define WORDS		(PAGE / 8)

struct region {
	int used;
	int ro;
	uint32_t id;
	uint32_t npages;
	uint64_t gen[MAX_PAGES];	/* event that wrote the page, 0: zeros */
};

static struct region slot[SLOTS];
static uint64_t brk_gen[MAX_BRK];
static unsigned int nr_brk;
static char *brk_base;
static char *arena;
static uint64_t events, rng = 88172645463325252ULL;
static uint32_t next_id = 1;
static volatile sig_atomic_t want_check;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t pat(uint32_t id, uint32_t page, uint64_t gen, uint64_t w)
{
	return ((uint64_t)id << 40) ^ ((uint64_t)page << 32) ^ gen ^
	       (w * 0x9e3779b97f4a7c15ULL);
}

static char *slot_addr(unsigned int s)
{
	return arena + s * SLOT_SIZE;
}

static void fill(uint64_t *buf, uint32_t id, uint32_t page, uint64_t gen)
{
	uint64_t w;

	for (w = 0; w < WORDS; w++)
		buf[w] = gen ? pat(id, page, gen, w) : 0;
}

static void write_page(unsigned int s, uint32_t p, uint64_t gen)
{
	struct region *r = &slot[s];
	uint64_t *dst = (uint64_t *)(slot_addr(s) + p * PAGE);
	static uint64_t buf[WORDS];

	if (!r->ro) {
		fill(dst, r->id, p, gen);
	} else {
		/* Opened each time: a checkpoint cannot keep a /proc fd. */
		int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);

		fill(buf, r->id, p, gen);
		CHECK(fd >= 0 && pwrite(fd, buf, PAGE, (off_t)(uintptr_t)dst) == PAGE,
		      "write through /proc/self/mem: %s", strerror(errno));
		close(fd);
	}
	r->gen[p] = gen;
}

static int pick(int used)
{
	unsigned int i, s = rnd() % SLOTS;

	for (i = 0; i < SLOTS; i++, s = (s + 1) % SLOTS)
		if (slot[s].used == used)
			return s;
	return -1;
}

static void ev_new(void)
{
	int s = pick(0);
	uint32_t p;

	if (s < 0)
		return;
	slot[s].npages = 1 + rnd() % MAX_PAGES;
	slot[s].id = next_id++;
	slot[s].ro = 0;
	CHECK(mmap(slot_addr(s), slot[s].npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED,
	      "mmap: %s", strerror(errno));
	slot[s].used = 1;
	for (p = 0; p < slot[s].npages; p++)
		write_page(s, p, events);
}

static void unmap_slot(unsigned int s, uint32_t npages)
{
	CHECK(mmap(slot_addr(s), npages * PAGE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		   -1, 0) != MAP_FAILED, "mmap PROT_NONE: %s", strerror(errno));
}

static void ev_unmap(void)
{
	int s = pick(1);

	if (s < 0)
		return;
	unmap_slot(s, slot[s].npages);
	slot[s].used = 0;
}

static void ev_move(void)
{
	int from = pick(1), to = pick(0);

	if (from < 0 || to < 0)
		return;
	CHECK(mremap(slot_addr(from), slot[from].npages * PAGE,
		     slot[from].npages * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
		     slot_addr(to)) != MAP_FAILED, "mremap: %s", strerror(errno));
	slot[to] = slot[from];
	slot[from].used = 0;
	unmap_slot(from, slot[to].npages);
}

static void ev_protect(void)
{
	int s = pick(1);

	if (s < 0)
		return;
	slot[s].ro = !slot[s].ro;
	CHECK(!mprotect(slot_addr(s), slot[s].npages * PAGE,
			slot[s].ro ? PROT_READ : PROT_READ | PROT_WRITE),
	      "mprotect: %s", strerror(errno));
}

static void ev_zap(void)
{
	int s = pick(1);
	uint32_t p;

	if (s < 0)
		return;
	p = rnd() % slot[s].npages;
	CHECK(!madvise(slot_addr(s) + p * PAGE, PAGE, MADV_DONTNEED),
	      "madvise: %s", strerror(errno));
	slot[s].gen[p] = 0;
}

static void ev_fork(void)
{
	int s = pick(1), status;
	pid_t pid;

	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (s >= 0 && !slot[s].ro)
			memset(slot_addr(s), 0xa5, slot[s].npages * PAGE);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0) {
		/* Restored from a checkpoint taken before the wait: no child. */
		if (errno == ECHILD)
			return;
		CHECK(errno == EINTR, "waitpid: %s", strerror(errno));
	}
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
	      "the forked child failed: status %#x", status);
}

static void ev_brk(void)
{
	if (nr_brk < MAX_BRK && (nr_brk == 0 || rnd() % 3)) {
		CHECK(sbrk(PAGE) == brk_base + nr_brk * PAGE, "sbrk grow");
		fill((uint64_t *)(brk_base + nr_brk * PAGE), 0, nr_brk, events);
		brk_gen[nr_brk++] = events;
	} else if (nr_brk) {
		CHECK(sbrk(-(intptr_t)PAGE) != (void *)-1, "sbrk shrink");
		nr_brk--;
	}
}

static void event(void)
{
	uint64_t k = rnd() % 100;
	int s;

	events++;
	if (k < 10) {
		ev_new();
	} else if (k < 60) {
		s = pick(1);
		if (s >= 0)
			write_page(s, rnd() % slot[s].npages, events);
	} else if (k < 66) {
		ev_unmap();
	} else if (k < 74) {
		ev_move();
	} else if (k < 82) {
		ev_protect();
	} else if (k < 90) {
		ev_zap();
	} else if (k < 92) {
		ev_fork();
	} else {
		ev_brk();
	}
}

static void verify(void)
{
	static uint64_t want[WORDS];
	unsigned int s, p;

	for (s = 0; s < SLOTS; s++) {
		if (!slot[s].used)
			continue;
		for (p = 0; p < slot[s].npages; p++) {
			fill(want, slot[s].id, p, slot[s].gen[p]);
			CHECK(!memcmp(slot_addr(s) + p * PAGE, want, PAGE),
			      "slot %u (region %u) page %u: not event %llu's contents (first word %#llx)",
			      s, slot[s].id, p, (unsigned long long)slot[s].gen[p],
			      (unsigned long long)*(uint64_t *)(slot_addr(s) + p * PAGE));
		}
	}
	CHECK(sbrk(0) == brk_base + nr_brk * PAGE, "brk is %p, want %p",
	      sbrk(0), (void *)(brk_base + nr_brk * PAGE));
	for (p = 0; p < nr_brk; p++) {
		fill(want, 0, p, brk_gen[p]);
		CHECK(!memcmp(brk_base + p * PAGE, want, PAGE),
		      "heap page %u: not event %llu's contents", p,
		      (unsigned long long)brk_gen[p]);
	}
}

static void on_usr2(int sig)
{
	(void)sig;
	want_check = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "period-us", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "self-test-corrupt", no_argument, NULL, 'c' },
		{ 0 }
	};
	struct timespec ts = { 0, 0 };
	int c, corrupt = 0, i;
	long period = 200;
	struct sigaction sa;

	zdtm_init(&argc, argv);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			period = atol(optarg);
		else if (c == 's')
			rng ^= strtoull(optarg, NULL, 0) * 0x2545f4914f6cdd1dULL;
		else if (c == 'c')
			corrupt = 1;
		else
			return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	arena = mmap(NULL, SLOTS * SLOT_SIZE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(arena != MAP_FAILED, "arena: %s", strerror(errno));
	brk_base = sbrk(0);
	for (i = 0; i < 24; i++)
		ev_new();
	ts.tv_nsec = period * 1000;
	zdtm_ready();
	while (!zdtm_go) {
		event();
		if (want_check) {
			want_check = 0;
			verify();
			printf("verified events=%llu\n", (unsigned long long)events);
		}
		if (period)
			nanosleep(&ts, NULL);
	}
	if (corrupt) {
		for (c = 0; c < SLOTS && (!slot[c].used || slot[c].ro); c++)
			;
		CHECK(c < SLOTS, "nothing to corrupt");
		slot_addr(c)[PAGE / 2] ^= 1;
	}
	verify();
	zdtm_pass();
}
