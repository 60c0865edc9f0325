// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the chain merge (userspace/chain.c), built with ASan and
 * UBSan.
 *
 * Chains of images (a full one, then incrementals) are written into a
 * temporary directory as a series (000001.img...), merged, and the merged
 * image is read back with the validator and compared page by page with a
 * naive model: a page comes from the newest image whose CHANGED ranges
 * (or fullness) stand for it, if that image has it.  Random chains, then
 * the lookups and the errors one by one.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "image_check.h"
#include "../../userspace/chain.h"
#include "../../userspace/image_read.h"
#include "../../userspace/tool.h"

#define PS		4096U
#define BASE		0x10000000ULL	/* the tests' pages: BASE + p * PS */
#define NPG		64		/* p < NPG */
#define MAXV		16
#define MAXR		32
#define ADDR(p)		(BASE + (u64)(p) * PS)

static int nr_pass, nr_fail;
static char dir[64];

static void pass(const char *name)
{
	printf("PASS: unit/chain/%s\n", name);
	nr_pass++;
}

static __printf(2, 3) void failf(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: unit/chain/%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	nr_fail++;
}

/* The tool's errmsg(): kept for the tests to read. */
int tool_errfd = 2;
static char last_msg[1024];

void errmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
}

/* An image: pages [first, first + n) of its VMAs and ranges. */
struct vspec {
	u32 first, n, kind;
};

struct spec {
	u64 id, parent;		/* parent 0: a full image */
	u32 nvma, nrange;
	struct vspec vma[MAXV];
	u32 range[MAXR][2];	/* pages [a, b) */
	u8 page[NPG];		/* it holds this page */
	u8 split[NPG];		/* a run ends before this page */
	bool files;		/* a FILE and an FD record */
};

static bool holds(u32 kind)
{
	return kind == CKPT_VMA_ANON || kind == CKPT_VMA_FILE_PRIVATE ||
	       kind == CKPT_VMA_ANON_SHARED;
}

/* Index of the VMA holding page @p, or -1. */
static int vma_of(const struct spec *s, u32 p)
{
	u32 i;

	for (i = 0; i < s->nvma; i++)
		if (p >= s->vma[i].first && p < s->vma[i].first + s->vma[i].n)
			return (int)i;
	return -1;
}

static int range_of(const struct spec *s, u32 p)
{
	u32 i;

	for (i = 0; i < s->nrange; i++)
		if (p >= s->range[i][0] && p < s->range[i][1])
			return (int)i;
	return -1;
}

/* May image @s hold page @p?  In a VMA with contents, and where it changed. */
static bool may_hold(const struct spec *s, u32 p)
{
	int v = vma_of(s, p);

	return v >= 0 && holds(s->vma[v].kind) &&
	       (!s->parent || range_of(s, p) >= 0);
}

static void page_fill(u8 *d, u64 addr, u64 id)
{
	u32 i;

	for (i = 0; i < PS; i++)
		d[i] = (u8)(addr / PS * 13 + id * 7 + i);
	memcpy(d, &addr, 8);
	memcpy(d + 8, &id, 8);
}

/* The stream being written: records appended, zeroed. */
struct buf {
	u8 *p;
	size_t len, cap;
	u64 nrec;
};

static void *put(struct buf *b, u32 type, size_t len)
{
	struct ckpt_hdr *h;

	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	h = (struct ckpt_hdr *)(b->p + b->len);
	memset(h, 0, len);
	b->len += len;
	if (!type)
		return h;	/* page data */
	h->type = type;
	h->len = (u32)len;
	b->nrec++;
	return h;
}

/* Records HEADER to FD (the metadata), as the validator wants them. */
static void put_meta(struct buf *b, const struct spec *s)
{
	struct ckpt_rec_header *hd = put(b, CKPT_REC_HEADER, sizeof(*hd));
	struct ckpt_rec_task *t;
	struct ckpt_rec_cpu *cpu;
	struct ckpt_rec_xstate *x;
	struct ckpt_rec_vma *v;
	struct ckpt_rec_file *f;
	struct ckpt_rec_fd *fd;
	u32 i, mxcsr = 0x1f80;

	memcpy(hd->magic, CKPT_IMAGE_MAGIC, 8);
	hd->version = CKPT_IMAGE_VERSION;
	hd->arch = CKPT_ARCH_X86_64;
	hd->page_size = PS;
	hd->flags = s->parent ? CKPT_IMG_INCREMENTAL : 0;
	hd->image_id = s->id;
	hd->parent_id = s->parent;
	hd->time_ns = s->id;
	strcpy(hd->release, "test");
	t = put(b, CKPT_REC_TASK, sizeof(*t));
	t->pid = 100;
	t->tid = 100;
	strcpy(t->comm, "chain");
	cpu = put(b, CKPT_REC_CPU, sizeof(*cpu));
	cpu->cs = 0x33;
	cpu->ss = 0x2b;
	cpu->flags = 0x202;
	cpu->ip = BASE;
	x = put(b, CKPT_REC_XSTATE, sizeof(*x) + 576);
	x->size = 576;
	x->xcr0 = 3;
	memcpy(x->data + 24, &mxcsr, 4);
	put(b, CKPT_REC_SIGHAND, sizeof(struct ckpt_rec_sighand));
	put(b, CKPT_REC_SIGNAL, sizeof(struct ckpt_rec_signal));
	put(b, CKPT_REC_MM, sizeof(struct ckpt_rec_mm));
	for (i = 0; i < s->nvma; i++) {
		bool file = s->vma[i].kind == CKPT_VMA_FILE_PRIVATE ||
			    s->vma[i].kind == CKPT_VMA_FILE_SHARED;

		v = put(b, CKPT_REC_VMA, sizeof(*v) + (file ? 8 : 0));
		v->start = ADDR(s->vma[i].first);
		v->end = ADDR(s->vma[i].first + s->vma[i].n);
		v->kind = s->vma[i].kind;
		v->prot = 3;
		if (file) {
			v->path_len = 6;
			strcpy(v->path, "/file");
		}
	}
	if (s->files) {
		f = put(b, CKPT_REC_FILE, sizeof(*f) + 16);
		f->id = 1;
		f->kind = CKPT_FILE_CHR;
		f->flags = 2;
		f->path_len = 10;
		strcpy(f->data, "/dev/null");
		fd = put(b, CKPT_REC_FD, sizeof(*fd));
		fd->file_id = 1;
	}
}

/* The whole image of @s, with a correct trailer; @bad flips a data byte. */
static int write_img(const char *name, const struct spec *s, bool bad)
{
	struct buf b = { 0 };
	struct ckpt_rec_changed *c;
	struct ckpt_rec_pages *r;
	struct ckpt_rec_trailer *t;
	u64 off, first_data = 0;
	u32 i, p, q;
	char path[128];
	int fd, ok;

	put_meta(&b, s);
	for (i = 0; i < s->nrange; i++) {
		/* one range per record, then two in the last one */
		u32 n = i + 2 == s->nrange ? 2 : 1;

		c = put(&b, CKPT_REC_CHANGED, sizeof(*c) + n * 16);
		c->nr = n;
		for (q = 0; q < n; q++) {
			c->range[q].start = ADDR(s->range[i + q][0]);
			c->range[q].end = ADDR(s->range[i + q][1]);
		}
		i += n - 1;
	}
	for (p = 0; p < NPG; p = q) {
		if (!s->page[p]) {
			q = p + 1;
			continue;
		}
		for (q = p + 1; q < NPG && s->page[q] && !s->split[q] &&
		     vma_of(s, q) == vma_of(s, p) &&
		     range_of(s, q) == range_of(s, p); q++)
			;
		r = put(&b, CKPT_REC_PAGES, sizeof(*r));
		r->vaddr = ADDR(p);
		r->npages = q - p;
		off = b.len;
		put(&b, 0, (q - p) * PS);
		for (i = p; i < q; i++)
			page_fill(b.p + off + (i - p) * PS, ADDR(i), s->id);
		if (!first_data)
			first_data = off;
	}
	off = b.len;
	t = put(&b, CKPT_REC_TRAILER, sizeof(*t));
	t->nr_records = b.nrec - 1;
	t->nr_bytes = off;
	t->crc32c = ckpt_crc32c(0, b.p, off);
	/* after the CRC: a flipped bit in the page data, or in the header */
	if (bad)
		b.p[first_data ? first_data + 100 : 64] ^= 1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok = fd >= 0 && write(fd, b.p, b.len) == (ssize_t)b.len;
	if (fd >= 0)
		close(fd);
	free(b.p);
	return ok ? 0 : -1;
}

/* The model: the id of the image whose page the merge must give, or 0. */
static u64 expect_page(const struct spec *s, int n, u32 p)
{
	int j, v = vma_of(&s[0], p);

	if (v < 0 || !holds(s[0].vma[v].kind))
		return 0;
	for (j = 0; j < n; j++)
		if (!s[j].parent || range_of(&s[j], p) >= 0)
			return s[j].page[p] ? s[j].id : 0;
	return 0;
}

/* Reads the merged image back (validated) and compares it with the model. */
static int check_merged(const char *name, int fd, const struct spec *s, int n,
			const char *newest)
{
	struct img_reader_opts o = { .page_size = PS,
				     .user_addr_max = IMG_USER_ADDR_MAX_4LEVEL };
	const struct ckpt_hdr *h;
	const struct ckpt_rec_header *hd;
	const struct ckpt_rec_pages *r;
	u64 got[NPG] = { 0 }, prev_end = 0, meta_end = 0, id;
	u8 page[PS], want[PS], *a, *b;
	struct img_reader rd;
	int ret = 0, err = 0, prev_vma = -1;
	size_t alen;
	u32 p, i;

	lseek(fd, 0, SEEK_SET);
	img_reader_open_fd(&rd, fd, &o);
	while (!err && (ret = img_reader_next(&rd, &h)) > 0) {
		if (!meta_end && h->type >= CKPT_REC_CHANGED)
			meta_end = img_reader_offset(&rd);
		if (h->type == CKPT_REC_HEADER) {
			hd = (const void *)h;
			if (hd->flags != CKPT_IMG_REC_CRC || hd->parent_id || hd->image_id != s[0].id) {
				failf(name, "header flags %u parent 0x%llx id 0x%llx",
				      hd->flags, (unsigned long long)hd->parent_id,
				      (unsigned long long)hd->image_id);
				err = 1;
			}
		}
		if (h->type == CKPT_REC_CHANGED) {
			failf(name, "a CHANGED record in the merged image");
			err = 1;
		}
		if (h->type != CKPT_REC_PAGES)
			continue;
		r = (const void *)h;
		p = (u32)((r->vaddr - BASE) / PS);
		/* contiguous runs of one VMA are one run */
		if (r->vaddr == prev_end && vma_of(&s[0], p) == prev_vma) {
			failf(name, "run at page %u not joined to the one before", p);
			err = 1;
		}
		prev_end = r->vaddr + r->npages * PS;
		prev_vma = vma_of(&s[0], p);
		for (i = 0; i < r->npages && !err; i++, p++) {
			if (img_reader_read_data(&rd, page, PS))
				break;
			memcpy(&id, page + 8, 8);
			page_fill(want, ADDR(p), expect_page(s, n, p));
			got[p] = id;
			if (!expect_page(s, n, p) || memcmp(page, want, PS)) {
				failf(name, "page %u is image 0x%llx's, want 0x%llx's",
				      p, (unsigned long long)id,
				      (unsigned long long)expect_page(s, n, p));
				err = 1;
			}
		}
	}
	if (!err && ret) {
		failf(name, "the merged image is invalid: %s",
		      img_reader_error(&rd));
		err = 1;
	}
	img_reader_close(&rd);
	for (p = 0; p < NPG && !err; p++) {
		if (expect_page(s, n, p) && !got[p]) {
			failf(name, "page %u (image 0x%llx's) is missing", p,
			      (unsigned long long)expect_page(s, n, p));
			err = 1;
		}
	}
	/* the metadata after the header is the newest image's, byte for byte */
	if (!err) {
		int nfd = open(newest, O_RDONLY);
		off_t nlen = lseek(nfd, 0, SEEK_END);

		alen = meta_end - sizeof(*hd);
		a = malloc(alen);
		b = malloc(alen);
		if (nlen < (off_t)meta_end ||
		    pread(nfd, a, alen, sizeof(*hd)) != (ssize_t)alen ||
		    pread(fd, b, alen, sizeof(*hd)) != (ssize_t)alen ||
		    memcmp(a, b, alen)) {
			failf(name, "metadata differs from the newest image's");
			err = 1;
		}
		free(a);
		free(b);
		close(nfd);
	}
	return err;
}

static const char *img_name(int num)
{
	static char name[16];

	snprintf(name, sizeof(name), "%06d.img", num);
	return name;
}

/* Empties the test directory (files, FIFOs, empty directories). */
static void clean_dir(void)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		abort();
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) &&
		    unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR))
			abort();
	}
	closedir(d);
}

/* Writes @s[0..n) as a series (s[n - 1] oldest), merges s[0]'s file. */
static int run_chain(const char *name, const struct spec *s, int n,
		     const int *nums)
{
	char path[128];
	int j, fd, ret;

	clean_dir();
	for (j = 0; j < n; j++)
		if (write_img(img_name(nums[j]), &s[j], false))
			abort();
	snprintf(path, sizeof(path), "%s/%s", dir, img_name(nums[0]));
	fd = memfd_create("merged", MFD_CLOEXEC);
	last_msg[0] = 0;
	ret = chain_merge(path, fd);
	if (ret) {
		failf(name, "merge failed: %s", last_msg);
		close(fd);
		return 1;
	}
	ret = check_merged(name, fd, s, n, path);
	close(fd);
	return ret;
}

/* Random chains. */

static u32 seed = 12345;

static u32 rnd(u32 n)
{
	seed = seed * 1103515245 + 12345;
	return (seed >> 8) % n;
}

static void gen(struct spec *s, int j, int n)
{
	static const u32 kinds[] = { CKPT_VMA_ANON, CKPT_VMA_FILE_PRIVATE,
				     CKPT_VMA_ANON_SHARED, CKPT_VMA_FILE_SHARED,
				     CKPT_VMA_ANON };
	u32 p, len;

	memset(s, 0, sizeof(*s));
	s->id = 0x5000 + (u64)rnd(1000) * 64 + (u64)j;
	s->files = rnd(2);
	/* VMAs, sometimes adjacent */
	for (p = rnd(4); p < NPG && s->nvma < MAXV; p += len + rnd(3)) {
		len = 1 + rnd(10);
		if (p + len > NPG)
			len = NPG - p;
		s->vma[s->nvma].first = p;
		s->vma[s->nvma].n = len;
		s->vma[s->nvma].kind = kinds[rnd(5)];
		s->nvma++;
	}
	/* ranges, sometimes adjacent, anywhere */
	if (j < n - 1) {
		for (p = rnd(6); p < NPG && s->nrange < MAXR; p += len + rnd(8)) {
			len = 1 + rnd(6);
			if (p + len > NPG)
				len = NPG - p;
			s->range[s->nrange][0] = p;
			s->range[s->nrange][1] = p + len;
			s->nrange++;
		}
		if (!rnd(8))
			s->nrange = 0;	/* nothing changed */
	}
	s->parent = j < n - 1;	/* for may_hold(); the caller sets the id */
	for (p = 0; p < NPG; p++) {
		s->page[p] = may_hold(s, p) && rnd(3);
		s->split[p] = !rnd(6);
	}
}

/* What the model says of each page: [0] newest's, [1] a parent's, [2] none in CHANGED. */
static void tally(const struct spec *s, int n, unsigned long *c)
{
	u64 id;
	u32 p;
	int v;

	for (p = 0; p < NPG; p++) {
		v = vma_of(&s[0], p);
		if (v < 0 || !holds(s[0].vma[v].kind))
			continue;
		id = expect_page(s, n, p);
		if (id == s[0].id)
			c[0]++;
		else if (id)
			c[1]++;
		else if (s[0].parent && range_of(&s[0], p) >= 0)
			c[2]++;
	}
}

static void test_random(void)
{
	unsigned long c[3] = { 0 };
	struct spec s[6];
	int nums[6], it, n, j, bad = 0;
	char name[192];

	for (it = 0; it < 400 && !bad; it++) {
		n = 1 + rnd(6);
		for (j = n - 1; j >= 0; j--) {
			gen(&s[j], j, n);
			s[j].parent = j < n - 1 ? s[j + 1].id : 0;
			/* a gap in the numbers: the parent is found by id */
			nums[j] = j == n - 1 ? 1 : nums[j + 1] + 1 + (int)!rnd(4);
		}
		snprintf(name, sizeof(name), "random-%d (%d images)", it, n);
		bad = run_chain(name, s, n, nums);
		tally(s, n, c);
	}
	snprintf(name, sizeof(name),
		 "random (400 chains of 1 to 6 images vs the model: %lu pages of the newest, %lu of parents, %lu absent in CHANGED)",
		 c[0], c[1], c[2]);
	if (!bad && c[0] && c[1] && c[2])
		pass(name);
	else if (!bad)
		failf("random", "a case was never met: %s", name);
}

/* The chain of one test: @n images, each changing pages i and i + 1. */
static void linear(struct spec *s, int n)
{
	int j;

	for (j = n - 1; j >= 0; j--) {
		memset(&s[j], 0, sizeof(s[j]));
		s[j].id = 0x100 + (u64)j;
		s[j].parent = j < n - 1 ? s[j + 1].id : 0;
		s[j].nvma = 1;
		s[j].vma[0].n = NPG;
		s[j].vma[0].kind = CKPT_VMA_ANON;
		if (j < n - 1) {
			s[j].nrange = 1;
			s[j].range[0][0] = (u32)(j % (NPG - 1));
			s[j].range[0][1] = s[j].range[0][0] + 2;
			s[j].page[s[j].range[0][0]] = 1;	/* the other is gone */
		} else {
			memset(s[j].page, 1, NPG);
		}
	}
}

/* A chain longer than the files kept open (64): they are reopened. */
static void test_long(void)
{
	static struct spec s[200];
	static int nums[200];
	int j;

	linear(s, 200);
	for (j = 0; j < 200; j++)
		nums[j] = 200 - j;
	if (!run_chain("long", s, 200, nums))
		pass("long (a chain of 200 images, more than the 64 kept open)");
}

/* Merge @path into a memfd; wants failure with @sub in the message. */
static void want_error(const char *name, const char *path, const char *sub)
{
	int fd = memfd_create("merged", MFD_CLOEXEC);
	int ret;

	last_msg[0] = 0;
	ret = chain_merge(path, fd);
	close(fd);
	if (!ret)
		failf(name, "merged, want an error with '%s'", sub);
	else if (!strstr(last_msg, sub))
		failf(name, "message '%s' lacks '%s'", last_msg, sub);
	else
		pass(name);
}

static void test_errors(void)
{
	struct spec s[3];
	char path[128], want[256], other[128];

	/* 000001.img is not the parent, and there is no other */
	linear(s, 2);
	clean_dir();
	s[1].id = 0x5678;
	write_img("000001.img", &s[1], false);
	write_img("000002.img", &s[0], false);
	snprintf(path, sizeof(path), "%s/000002.img", dir);
	snprintf(want, sizeof(want),
		 "000002.img: its parent 0x101 is not in %s (000001.img is 0x5678)",
		 dir);
	want_error("parent-missing", path, want);

	/* no 000001.img at all; junk named like images is left out */
	clean_dir();
	write_img("000002.img", &s[0], false);
	snprintf(other, sizeof(other), "%s/junk.img", dir);
	if (mkfifo(other, 0600))
		abort();
	snprintf(other, sizeof(other), "%s/dir.img", dir);
	mkdir(other, 0700);
	snprintf(other, sizeof(other), "echo not an image > %s/text.img", dir);
	if (system(other))
		abort();
	/* a hidden file (a .part being written) does not count */
	s[1].id = 0x101;
	write_img(".000001.img", &s[1], false);
	snprintf(want, sizeof(want),
		 "000002.img: its parent 0x101 is not in %s (there is no 000001.img)",
		 dir);
	want_error("parent-missing-junk-ignored", path, want);

	/* found by id under any name, the junk still there */
	write_img("base.img", &s[1], false);
	{
		int fd = memfd_create("merged", MFD_CLOEXEC);

		if (chain_merge(path, fd))
			failf("parent-by-id", "%s", last_msg);
		else if (!check_merged("parent-by-id", fd, s, 2, path))
			pass("parent-by-id (base.img, past a FIFO, a directory and text named *.img)");
		close(fd);
	}

	/* the parent is corrupt: named, with the validator's words */
	clean_dir();
	write_img("000001.img", &s[1], true);
	write_img("000002.img", &s[0], false);
	snprintf(want, sizeof(want),
		 "%s/000001.img (parent of 000002.img): record ", dir);
	want_error("parent-corrupt", path, want);
	want_error("parent-corrupt-crc", path, "CRC32C mismatch");

	/* the newest is corrupt */
	clean_dir();
	write_img("000001.img", &s[1], false);
	write_img("000002.img", &s[0], true);
	snprintf(want, sizeof(want), "%s/000002.img: record ", dir);
	want_error("newest-corrupt", path, want);

	/* a loop: 1 -> 2 -> 1 */
	linear(s, 3);
	clean_dir();
	s[1].parent = s[0].id;
	s[1].nrange = 1;
	s[1].range[0][0] = 5;
	s[1].range[0][1] = 6;
	memset(s[1].page, 0, NPG);
	write_img("000001.img", &s[1], false);
	write_img("000002.img", &s[0], false);
	want_error("loop", path,
		   "000001.img: its parent 0x100 is already in its chain: the parents make a loop");

	/* not a file */
	snprintf(path, sizeof(path), "%s/nothing.img", dir);
	want_error("no-file", path, "cannot open");
	want_error("directory", dir, "is not a regular file");
}

/* Nothing changed; a full image alone; pages beyond the newest's VMAs. */
static void test_shapes(void)
{
	struct spec s[3];
	int nums[3] = { 3, 2, 1 };

	linear(s, 3);
	s[0].nrange = 0;
	memset(s[0].page, 0, NPG);
	if (!run_chain("nothing-changed", s, 3, nums))
		pass("nothing-changed (an incremental image without CHANGED)");

	linear(s, 1);
	s[0].files = true;
	memset(s[0].split, 1, NPG);
	if (!run_chain("full-alone", s, 1, nums + 2))
		pass("full-alone (a full image again, its runs joined)");

	/* the newest unmapped most of it, and split it in two VMAs */
	linear(s, 2);
	s[0].nvma = 2;
	s[0].vma[0].first = 4;
	s[0].vma[0].n = 3;
	s[0].vma[1].first = 7;
	s[0].vma[1].n = 5;
	s[0].vma[1].kind = CKPT_VMA_FILE_PRIVATE;
	s[0].files = true;
	s[0].range[0][0] = 5;
	s[0].range[0][1] = 9;
	memset(s[0].page, 0, NPG);
	s[0].page[6] = 1;
	s[0].page[8] = 1;
	if (!run_chain("vmas-of-the-newest", s, 2, nums + 1))
		pass("vmas-of-the-newest (pages outside them dropped, runs cut at their boundary)");

	/* the newest's range covers a page the parent has: it is gone */
	linear(s, 2);
	s[0].range[0][0] = 10;
	s[0].range[0][1] = 20;
	memset(s[0].page, 0, NPG);
	s[0].page[12] = 1;
	if (!run_chain("changed-means-absent", s, 2, nums + 1))
		pass("changed-means-absent (inside CHANGED, no page is no page)");
}

static void test_paths(void)
{
	char out[256], want[256], link[128], target[128];
	struct spec s[2];
	int incr = -1;

	linear(s, 2);
	clean_dir();
	write_img("000001.img", &s[1], false);
	write_img("000002.img", &s[0], false);

	last_msg[0] = 0;
	if (!chain_path(dir, out, sizeof(out)) ||
	    !strstr(last_msg, "has no latest image"))
		failf("path/no-latest", "%s", last_msg);
	else
		pass("path/no-latest");

	snprintf(link, sizeof(link), "%s/latest", dir);
	if (symlink("000002.img", link))
		abort();
	snprintf(want, sizeof(want), "%s/000002.img", dir);
	if (chain_path(dir, out, sizeof(out)) || strcmp(out, want))
		failf("path/latest", "'%s': %s", out, last_msg);
	else
		pass("path/latest (relative target)");

	snprintf(target, sizeof(target), "%s/", dir);
	if (chain_path(target, out, sizeof(out)) || strcmp(out, want))
		failf("path/latest-slash", "'%s': %s", out, last_msg);
	else
		pass("path/latest-slash");

	if (chain_path(want, out, sizeof(out)) || strcmp(out, want))
		failf("path/file", "'%s'", out);
	else
		pass("path/file");

	if (!chain_path(dir, out, 10) || !strstr(last_msg, "too long"))
		failf("path/too-long", "%s", last_msg);
	else
		pass("path/too-long");

	unlink(link);
	if (symlink("000009.img", link))
		abort();
	if (!chain_path(dir, out, sizeof(out)) ||
	    !strstr(last_msg, "points to 000009.img, which cannot be opened"))
		failf("path/dangling", "%s", last_msg);
	else
		pass("path/dangling");

	if (chain_is_incremental(want, &incr) || incr != 1)
		failf("is-incremental", "%d %s", incr, last_msg);
	else
		pass("is-incremental");
	snprintf(want, sizeof(want), "%s/000001.img", dir);
	if (chain_is_incremental(want, &incr) || incr != 0)
		failf("is-incremental/full", "%d", incr);
	else
		pass("is-incremental/full");
	if (chain_is_incremental(link, &incr) != -1 ||
	    !strstr(last_msg, "cannot open"))
		failf("is-incremental/missing", "%s", last_msg);
	else
		pass("is-incremental/missing");
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ckpt-chain-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	test_random();
	test_long();
	test_shapes();
	test_errors();
	test_paths();
	clean_dir();
	if (rmdir(dir))
		nr_fail++;
	printf("unit/chain: %d passed, %d failed\n", nr_pass, nr_fail);
	return nr_fail ? 1 : 0;
}
