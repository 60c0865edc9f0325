// SPDX-License-Identifier: GPL-2.0
/*
 * madvise() state: adjacent private anonymous mappings that differ only
 * in their advice (huge pages on and off, not copied or wiped on fork,
 * not dumped, random or sequential read-ahead) must come back as separate
 * mappings, each with its advice, and with its contents.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "zdtm.h"

#define PIECE	(2UL << 20)

static const struct {
	int advice;
	const char *flag;	/* in /proc/self/smaps VmFlags */
} pieces[] = {
	{ MADV_HUGEPAGE, "hg" },
	{ MADV_NOHUGEPAGE, "nh" },
	{ MADV_DONTFORK, "dc" },
	{ MADV_WIPEONFORK, "wf" },
	{ MADV_DONTDUMP, "dd" },
	{ MADV_RANDOM, "rr" },
};

#define NR	(sizeof(pieces) / sizeof(pieces[0]))

/* Checks that [start, end) is one mapping whose VmFlags has @flag. */
static void check_vma(unsigned long start, unsigned long end, const char *flag)
{
	char line[512], want[8];
	unsigned long s, e;
	int in = 0;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	CHECK(f, "smaps: %s", strerror(errno));
	snprintf(want, sizeof(want), " %s", flag);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, ' ') &&
		    line[strspn(line, "0123456789abcdef")] == '-') {
			in = s == start;
			if (in && e != end)
				zdtm_fail("mapping %#lx-%#lx became %#lx-%#lx (merged or split)",
					  start, end, s, e);
			if (s > start && s < end)
				zdtm_fail("mapping %#lx-%#lx split at %#lx", start, end, s);
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			strtok(line, "\n");
			strcat(line, " ");
			snprintf(want, sizeof(want), " %s ", flag);
			if (!strstr(line, want))
				zdtm_fail("mapping %#lx-%#lx lost its advice '%s': %s",
					  start, end, flag, line);
			fclose(f);
			return;
		}
	}
	fclose(f);
	zdtm_fail("mapping %#lx-%#lx is gone", start, end);
}

int main(int argc, char **argv)
{
	unsigned long base, i, j;
	char *p;

	zdtm_init(&argc, argv);
	p = mmap(NULL, NR * PIECE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	base = (unsigned long)p;
	for (i = 0; i < NR; i++) {
		CHECK(!madvise(p + i * PIECE, PIECE, pieces[i].advice),
		      "madvise %s: %s", pieces[i].flag, strerror(errno));
		for (j = 0; j < PIECE; j += 4096)
			p[i * PIECE + j] = (char)(i * 7 + j / 4096);
	}
	for (i = 0; i < NR; i++)
		check_vma(base + i * PIECE, base + (i + 1) * PIECE, pieces[i].flag);
	zdtm_ready();
	zdtm_wait();
	for (i = 0; i < NR; i++) {
		check_vma(base + i * PIECE, base + (i + 1) * PIECE, pieces[i].flag);
		for (j = 0; j < PIECE; j += 4096)
			CHECK(p[i * PIECE + j] == (char)(i * 7 + j / 4096),
			      "piece %lu page %lu lost its contents", i, j / 4096);
	}
	zdtm_pass();
}
