// SPDX-License-Identifier: GPL-2.0
/*
 * cowcheck IMAGE: the image of tests/progs/cow_writer must be one instant
 * of its memory.  Prints PASS or FAIL (and what is wrong).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_read.h"

#define BASE	0x500000000000ULL
#define NPAGES	16384ULL
#define PS	4096ULL

static uint64_t first[NPAGES], last[NPAGES];
static unsigned char seen[NPAGES];

int main(int argc, char **argv)
{
	uint64_t ctl[3] = { 0 }, i, p, lo, gen, idx;
	const struct ckpt_hdr *h;
	unsigned char page[PS];
	struct img_reader r;
	int fd, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: cowcheck IMAGE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || img_reader_open_fd(&r, fd, NULL)) {
		printf("FAIL: cowcheck: cannot read %s\n", argv[1]);
		return 1;
	}
	while ((ret = img_reader_next(&r, &h)) > 0) {
		const struct ckpt_rec_pages *run = (const void *)h;

		if (h->type != CKPT_REC_PAGES)
			continue;
		for (i = 0; i < run->npages; i++) {
			if (img_reader_read_data(&r, page, PS))
				break;
			p = run->vaddr + i * PS;
			if (p >= BASE && p < BASE + NPAGES * PS) {
				lo = (p - BASE) / PS;
				memcpy(&first[lo], page, 8);
				memcpy(&last[lo], page + PS - 8, 8);
				seen[lo] = 1;
			} else if (p == BASE + NPAGES * PS + PS) {
				memcpy(ctl, page, sizeof(ctl));
			}
		}
	}
	if (ret < 0) {
		printf("FAIL: cowcheck: %s\n", img_reader_error(&r));
		return 1;
	}
	img_reader_close(&r);
	if (ctl[0] != 0xc0ffee) {
		printf("FAIL: cowcheck: no control page in the image\n");
		return 1;
	}
	gen = ctl[1];
	idx = ctl[2];
	for (i = 0; i < NPAGES; i++) {
		uint64_t want = i < idx ? gen : gen - 1;

		if (!seen[i] || first[i] != last[i] ||
		    (first[i] != want && !(i == idx && first[i] == gen))) {
			printf("FAIL: cowcheck: page %llu holds generation %llu (%s), the instant says %llu (gen %llu, at page %llu)\n",
			       (unsigned long long)i, (unsigned long long)first[i],
			       seen[i] ? (first[i] == last[i] ? "whole" : "torn") : "missing",
			       (unsigned long long)want, (unsigned long long)gen,
			       (unsigned long long)idx);
			return 1;
		}
	}
	printf("PASS: cowcheck: %llu pages all of one instant (generation %llu at page %llu)\n",
	       (unsigned long long)NPAGES, (unsigned long long)gen, (unsigned long long)idx);
	return 0;
}
