// SPDX-License-Identifier: GPL-2.0
/*
 * Rewrites 64 MiB without pause, stamping each page with a generation and
 * keeping its progress in a control page, so that any instant of its
 * memory is self-consistent: pages [0, idx) hold generation gen, pages
 * [idx, N) hold gen - 1 (page idx may already hold gen).  A dump taken
 * while it runs must be such an instant (tests/dev/cowcheck.c checks).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>

#include "zdtm.h"

#define BASE	0x500000000000UL
#define NPAGES	16384UL
#define PS	4096UL

struct ctl {
	volatile uint64_t magic, gen, idx;
};

int main(int argc, char **argv)
{
	volatile uint64_t *mem;
	struct ctl *ctl;
	uint64_t g, i;

	zdtm_init(&argc, argv);
	mem = mmap((void *)BASE, NPAGES * PS, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ctl = mmap((void *)(BASE + NPAGES * PS + PS), PS, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(mem != MAP_FAILED && ctl != MAP_FAILED, "mmap at fixed addresses");
	ctl->magic = 0xc0ffee;
	for (g = 1; !zdtm_go; g++) {
		ctl->gen = g;
		for (i = 0; i < NPAGES; i++) {
			mem[i * PS / 8] = g;
			mem[i * PS / 8 + PS / 8 - 1] = g;
			ctl->idx = i + 1;
		}
		if (g == 1)
			zdtm_ready();
	}
	zdtm_pass();
}
