// SPDX-License-Identifier: GPL-2.0
/*
 * Private anonymous memory: a huge mostly-untouched mapping, the heap
 * (brk exact), the stack, PROT_NONE guards, thousands of small VMAs,
 * and a THP-backed range.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>

#include "zdtm.h"

#define HUGE_SZ		(256UL << 20)
#define NR_SMALL	2000
#define THP_SZ		(8UL << 20)

static uint64_t pat(uint64_t a, uint64_t seed)
{
	return (a * 0x9e3779b97f4a7c15ULL) ^ seed;
}

static void fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		q[i] = pat((uintptr_t)&q[i], seed);
}

static int same(const void *p, size_t len, uint64_t seed)
{
	const uint64_t *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (q[i] != pat((uintptr_t)&q[i], seed))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	unsigned char *huge, *small, *guard, *thp, *heap;
	void *brk0, *brk1;
	uint64_t stack[512];
	size_t i, ps = 4096;

	zdtm_init(&argc, argv);
	huge = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(huge != MAP_FAILED, "mmap huge");
	for (i = 0; i < HUGE_SZ; i += 17 * ps + 4096 * 31)
		fill(huge + i, ps, 1);

	brk0 = sbrk(0);
	heap = sbrk(1 << 20);
	CHECK(heap != (void *)-1, "sbrk");
	fill(heap, 1 << 20, 2);
	brk1 = sbrk(0);

	fill(stack, sizeof(stack), 3);

	/* Alternating protections split one mapping into NR_SMALL VMAs. */
	small = mmap(NULL, NR_SMALL * ps, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(small != MAP_FAILED, "mmap small");
	fill(small, NR_SMALL * ps, 4);
	for (i = 0; i < NR_SMALL; i += 2)
		CHECK(!mprotect(small + i * ps, ps, PROT_READ), "mprotect");

	/* A written page that is PROT_NONE now: its contents still count. */
	guard = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(guard != MAP_FAILED, "mmap guard");
	fill(guard, 3 * ps, 5);
	CHECK(!mprotect(guard + ps, ps, PROT_NONE), "mprotect none");

	thp = mmap(NULL, 2 * THP_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(thp != MAP_FAILED, "mmap thp");
	thp = (unsigned char *)(((uintptr_t)thp + THP_SZ - 1) & ~(THP_SZ - 1));
	madvise(thp, THP_SZ, MADV_HUGEPAGE);
	fill(thp, THP_SZ, 6);

	zdtm_ready();
	zdtm_wait();

	for (i = 0; i < HUGE_SZ; i += ps) {
		int touched = (i % (17 * ps + 4096 * 31)) == 0;

		if (touched)
			CHECK(same(huge + i, ps, 1), "huge mapping page %zu", i / ps);
	}
	CHECK(sbrk(0) == brk1 && brk0 != brk1, "brk moved: %p, was %p", sbrk(0), brk1);
	CHECK(same(heap, 1 << 20, 2), "heap");
	CHECK(same(stack, sizeof(stack), 3), "stack");
	CHECK(same(small, NR_SMALL * ps, 4), "small VMAs");
	CHECK(!mprotect(guard + ps, ps, PROT_READ), "mprotect back");
	CHECK(same(guard, 3 * ps, 5), "PROT_NONE page");
	CHECK(same(thp, THP_SZ, 6), "THP range");
	/* The heap still grows where it ended. */
	CHECK(sbrk(4096) == brk1, "sbrk after restore");
	zdtm_pass();
}
