// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the image validator (format/image_check.c), CRC32C
 * (format/crc32c.c), the record index (format/index.c) and the userspace
 * reader (userspace/image_read.c), built with ASan and UBSan.
 *
 * A small valid image is built in memory as a list of records; each test
 * changes a copy (a field, a length, the order), serializes it with a
 * correct trailer, reads it back and checks the exact errno and that the
 * message names the right record at the right offset.
 *
 *   image_check_test              run the tests
 *   image_check_test --corpus DIR write seed images for the fuzzer
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crc32c.h"
#include "image_check.h"
#include "index.h"
#include "../../userspace/image_read.h"

#define PS		4096U
#define UMAX		IMG_USER_ADDR_MAX_4LEVEL
#define MAX_RECS	256
#define ALIGN8(x)	(((x) + 7) & ~(size_t)7)

static int nr_pass, nr_fail;

static void pass(const char *name)
{
	printf("PASS: unit/%s\n", name);
	nr_pass++;
}

static __printf(2, 3) void failf(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: unit/%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	nr_fail++;
}

/* A bitwise CRC32C, independent of the code under test. */
static u32 ref_crc32c(u32 crc, const void *p, size_t len)
{
	const u8 *b = p;
	int k;

	crc = ~crc;
	while (len--) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78U & -(crc & 1));
	}
	return ~crc;
}

/* The image under construction: records, each PAGES with its data. */
struct trec {
	u8 *buf;
	u32 len;
	u8 *data;
	size_t dlen;
};

struct timg {
	struct trec r[MAX_RECS];
	int n;
	bool no_trailer;
};

static void *add(struct timg *m, u32 type, size_t len)
{
	struct trec *r = &m->r[m->n++];
	struct ckpt_hdr *h;

	if (m->n > MAX_RECS)
		abort();
	r->buf = calloc(1, len);
	r->len = (u32)len;
	if (!r->buf)
		abort();
	h = (struct ckpt_hdr *)r->buf;
	h->type = type;
	h->len = (u32)len;
	return r->buf;
}

static void timg_free(struct timg *m)
{
	int i;

	for (i = 0; i < m->n; i++) {
		free(m->r[i].buf);
		free(m->r[i].data);
	}
	m->n = 0;
}

static void timg_copy(struct timg *d, const struct timg *s)
{
	int i;

	*d = *s;
	for (i = 0; i < s->n; i++) {
		d->r[i].buf = malloc(s->r[i].len);
		memcpy(d->r[i].buf, s->r[i].buf, s->r[i].len);
		if (s->r[i].dlen) {
			d->r[i].data = malloc(s->r[i].dlen);
			memcpy(d->r[i].data, s->r[i].data, s->r[i].dlen);
		}
	}
}

static void timg_del(struct timg *m, int i)
{
	free(m->r[i].buf);
	free(m->r[i].data);
	memmove(&m->r[i], &m->r[i + 1], (m->n - i - 1) * sizeof(m->r[0]));
	m->n--;
}

/* Moves record @from to position @to. */
static void timg_move(struct timg *m, int from, int to)
{
	struct trec t = m->r[from];

	if (from < to)
		memmove(&m->r[from], &m->r[from + 1], (to - from) * sizeof(t));
	else
		memmove(&m->r[to + 1], &m->r[to], (from - to) * sizeof(t));
	m->r[to] = t;
}

/* Inserts a copy of record @i right after it. */
static void timg_dup(struct timg *m, int i)
{
	struct trec t = m->r[i];

	t.buf = malloc(t.len);
	memcpy(t.buf, m->r[i].buf, t.len);
	if (t.dlen) {
		t.data = malloc(t.dlen);
		memcpy(t.data, m->r[i].data, t.dlen);
	}
	memmove(&m->r[i + 2], &m->r[i + 1], (m->n - i - 1) * sizeof(t));
	m->r[i + 1] = t;
	m->n++;
}

static int find(const struct timg *m, u32 type, int nth)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (((struct ckpt_hdr *)m->r[i].buf)->type == type && !nth--)
			return i;
	return -1;
}

#define REC(m, T, type, nth)	((T *)(m)->r[find((m), (type), (nth))].buf)

/* serialize(): sets CKPT_IMG_REC_CRC in the header, and the records' CRC. */
static bool serialize_rec_crc;

/* Concatenates the records and a correct trailer; @offs gets offsets. */
static u8 *serialize(const struct timg *m, size_t *lenp, u64 *offs)
{
	struct ckpt_rec_trailer *t;
	size_t len = 0, pos = 0;
	u32 rec_crc = 0;
	u8 *buf;
	int i;

	for (i = 0; i < m->n; i++)
		len += m->r[i].len + m->r[i].dlen;
	buf = malloc(len + sizeof(*t));
	for (i = 0; i < m->n; i++) {
		if (offs)
			offs[i] = pos;
		memcpy(buf + pos, m->r[i].buf, m->r[i].len);
		if (!i && serialize_rec_crc)
			((struct ckpt_rec_header *)buf)->flags |= CKPT_IMG_REC_CRC;
		rec_crc = ref_crc32c(rec_crc, buf + pos, m->r[i].len);
		pos += m->r[i].len;
		if (m->r[i].dlen)
			memcpy(buf + pos, m->r[i].data, m->r[i].dlen);
		pos += m->r[i].dlen;
	}
	if (offs)
		offs[m->n] = pos;
	if (!m->no_trailer) {
		t = (struct ckpt_rec_trailer *)(buf + pos);
		memset(t, 0, sizeof(*t));
		t->h.type = CKPT_REC_TRAILER;
		t->h.len = sizeof(*t);
		t->nr_records = m->n;
		t->nr_bytes = pos;
		t->crc32c = ref_crc32c(0, buf, pos);
		if (serialize_rec_crc)
			t->rec_crc32c = rec_crc;
		pos += sizeof(*t);
	}
	*lenp = pos;
	return buf;
}

/* Builders of the records of the valid image. */

static void add_str_rec_path(char *dst, const char *s)
{
	memcpy(dst, s, strlen(s) + 1);
}

static void add_vma(struct timg *m, u64 start, u64 end, u32 kind, u32 prot,
		    u32 flags, const char *path)
{
	u32 pl = path ? (u32)strlen(path) + 1 : 0;
	struct ckpt_rec_vma *v = add(m, CKPT_REC_VMA, ALIGN8(sizeof(*v) + pl));

	v->start = start;
	v->end = end;
	v->kind = kind;
	v->prot = prot;
	v->flags = flags;
	v->pgoff = kind == CKPT_VMA_ANON ? start / PS : 0;
	v->shared_id = kind == CKPT_VMA_ANON_SHARED ? 1 : 0;
	if (path) {
		v->path_len = pl;
		v->ino = 1234;
		v->dev = 0x801;
		add_str_rec_path(v->path, path);
	}
}

static void add_file(struct timg *m, u32 id, u32 kind, u32 flags,
		     const char *path, const char *data)
{
	u32 pl = path ? (u32)strlen(path) + 1 : 0;
	u32 dl = data ? (u32)strlen(data) : 0;
	struct ckpt_rec_file *f = add(m, CKPT_REC_FILE,
				      ALIGN8(sizeof(*f) + pl + dl));

	f->id = id;
	f->kind = kind;
	f->flags = flags;
	f->path_len = pl;
	f->data_len = dl;
	if (kind == CKPT_FILE_PIPE || kind == CKPT_FILE_FIFO)
		f->pipe_id = 7;
	if (path)
		memcpy(f->data, path, pl);
	if (data)
		memcpy(f->data + pl, data, dl);
}

static void add_fd(struct timg *m, u32 fd, u32 file_id, u32 flags)
{
	struct ckpt_rec_fd *f = add(m, CKPT_REC_FD, sizeof(*f));

	f->fd = fd;
	f->file_id = file_id;
	f->flags = flags;
}

static void add_pages(struct timg *m, u64 vaddr, u64 npages)
{
	struct ckpt_rec_pages *p = add(m, CKPT_REC_PAGES, sizeof(*p));
	struct trec *r = &m->r[m->n - 1];
	size_t i;

	p->vaddr = vaddr;
	p->npages = npages;
	r->dlen = npages * PS;
	r->data = malloc(r->dlen);
	for (i = 0; i < r->dlen; i++)
		r->data[i] = (u8)(vaddr / PS * 7 + i * 13);
}

/* A CHANGED record of @nr ranges (start, end pairs in @se). */
static void add_changed(struct timg *m, const u64 *se, u64 nr)
{
	struct ckpt_rec_changed *c = add(m, CKPT_REC_CHANGED,
					 sizeof(*c) + nr * sizeof(c->range[0]));
	u64 i;

	c->nr = nr;
	for (i = 0; i < nr; i++) {
		c->range[i].start = se[2 * i];
		c->range[i].end = se[2 * i + 1];
	}
}

/* Moves the record just added to position @at. */
static void timg_last_to(struct timg *m, int at)
{
	timg_move(m, m->n - 1, at);
}

#define VDSO	0x7ffc10002000ULL

/* HEADER..MM, the mandatory records; FS and SIGPENDING if @full. */
static void build_head(struct timg *m, bool full)
{
	struct ckpt_rec_header *hd;
	struct ckpt_rec_task *t;
	struct ckpt_rec_fs *fs;
	struct ckpt_rec_cpu *cpu;
	struct ckpt_rec_xstate *x;
	struct ckpt_rec_sighand *sh;
	struct ckpt_rec_signal *sg;
	struct ckpt_rec_sigpending *sp;
	struct ckpt_rec_mm *mm;
	u64 bv = 7;
	u32 mxcsr = 0x1f80;
	s32 signo = 10;
	int i;

	memset(m, 0, sizeof(*m));
	hd = add(m, CKPT_REC_HEADER, sizeof(*hd));
	memcpy(hd->magic, CKPT_IMAGE_MAGIC, 8);
	hd->version = CKPT_IMAGE_VERSION;
	hd->arch = CKPT_ARCH_X86_64;
	hd->page_size = PS;
	hd->image_id = 0x1122334455667788ULL;
	hd->time_ns = 1700000000000000000ULL;
	strcpy(hd->release, "6.12.117+deb12-amd64");

	t = add(m, CKPT_REC_TASK, sizeof(*t));
	t->pid = 4321;
	t->tid = 4321;
	t->ppid = 1;
	t->pgid = 4321;
	t->sid = 4000;
	t->uid = 1000;
	t->gid = 1000;
	t->umask = 022;
	t->dumpable = 1;
	strcpy(t->comm, "victim");
	for (i = 0; i < CKPT_RLIM_NLIMITS; i++) {
		t->rlim[i].cur = ~0ULL;
		t->rlim[i].max = ~0ULL;
	}
	t->rlim[7].cur = 1024;		/* RLIMIT_NOFILE */
	t->rlim[7].max = 4096;

	if (full) {
		fs = add(m, CKPT_REC_FS, ALIGN8(sizeof(*fs) + 11 + 2));
		fs->cwd_len = 11;
		fs->root_len = 2;
		memcpy(fs->paths, "/home/user\0/", 13);
	}

	cpu = add(m, CKPT_REC_CPU, sizeof(*cpu));
	cpu->ip = 0x401234;
	cpu->sp = 0x7ffc00002e00ULL;
	cpu->cs = 0x33;
	cpu->ss = 0x2b;
	cpu->flags = 0x246;
	cpu->orig_ax = ~0ULL;
	cpu->ax = 42;
	cpu->fs_base = 0x7f0000001000ULL;

	x = add(m, CKPT_REC_XSTATE, sizeof(*x) + 832);
	x->size = 832;
	x->xcr0 = 7;
	memcpy(x->data + 24, &mxcsr, 4);
	memcpy(x->data + 512, &bv, 8);

	sh = add(m, CKPT_REC_SIGHAND, sizeof(*sh));
	sh->action[1].handler = 0x401100;	/* SIGINT */
	sh->action[1].flags = 0x14000004;	/* RESTORER|RESTART|SIGINFO */
	sh->action[1].restorer = 0x401200;
	sh->action[1].mask = 1ULL << 14;
	sh->action[12].handler = 1;		/* SIGPIPE ignored */

	sg = add(m, CKPT_REC_SIGNAL, sizeof(*sg));
	sg->blocked = 1ULL << 9;		/* SIGUSR1 */
	sg->altstack_flags = 2;			/* SS_DISABLE */
	sg->itimer[0].value_ns = 1000000000ULL;

	if (full) {
		sp = add(m, CKPT_REC_SIGPENDING, sizeof(*sp));
		sp->signo = 10;
		memcpy(sp->siginfo, &signo, 4);
	}

	mm = add(m, CKPT_REC_MM, ALIGN8(sizeof(*mm) + 16));
	mm->start_code = 0x400000;
	mm->end_code = 0x402000;
	mm->start_data = 0x600000;
	mm->end_data = 0x601000;
	mm->start_brk = 0x602000;
	mm->brk = 0x603000;
	mm->start_stack = 0x7ffc00002f00ULL;
	mm->arg_start = 0x7ffc00002f00ULL;
	mm->arg_end = 0x7ffc00002f40ULL;
	mm->env_start = 0x7ffc00002f40ULL;
	mm->env_end = 0x7ffc00002f80ULL;
	mm->vdso = VDSO;
	mm->auxv[0] = 6;			/* AT_PAGESZ */
	mm->auxv[1] = PS;
	mm->auxv[2] = 33;			/* AT_SYSINFO_EHDR */
	mm->auxv[3] = VDSO;
	mm->exe_len = 16;
	memcpy(mm->exe, "/usr/bin/victim", 16);
}

/*
 * The valid image: 0 HEADER, 1 TASK, 2 FS, 3 CPU, 4 XSTATE, 5 SIGHAND,
 * 6 SIGNAL, 7 SIGPENDING, 8 MM, 9-16 VMA, 17-19 FILE, 20-23 FD,
 * 24-26 PAGES, then the trailer.
 */
static void build_valid(struct timg *m)
{
	build_head(m, true);
	add_vma(m, 0x400000, 0x402000, CKPT_VMA_FILE_PRIVATE, 5, 0,
		"/usr/bin/victim");
	add_vma(m, 0x600000, 0x601000, CKPT_VMA_FILE_PRIVATE, 3, 0,
		"/usr/bin/victim");
	add_vma(m, 0x602000, 0x603000, CKPT_VMA_ANON, 3, CKPT_VMA_HEAP, NULL);
	add_vma(m, 0x7f0000000000ULL, 0x7f0000004000ULL, CKPT_VMA_ANON_SHARED,
		3, 0, "/dev/zero (deleted)");
	add_vma(m, 0x7f0000010000ULL, 0x7f0000011000ULL, CKPT_VMA_FILE_SHARED,
		1, 0, "/etc/passwd");
	add_vma(m, 0x7ffc00000000ULL, 0x7ffc00003000ULL, CKPT_VMA_ANON, 3,
		CKPT_VMA_GROWSDOWN, "[stack]");
	add_vma(m, 0x7ffc10000000ULL, VDSO, CKPT_VMA_VVAR, 1, 0, "[vvar]");
	add_vma(m, VDSO, VDSO + 0x2000, CKPT_VMA_VDSO, 5, 0, "[vdso]");
	add_file(m, 1, CKPT_FILE_CHR, 2, "/dev/null", NULL);
	add_file(m, 2, CKPT_FILE_PIPE, 0, NULL, "hello");
	add_file(m, 3, CKPT_FILE_REG, 01 | 02000, "/tmp/log", NULL);
	REC(m, struct ckpt_rec_file, CKPT_REC_FILE, 2)->pos = 100;
	add_fd(m, 0, 1, 0);
	add_fd(m, 1, 3, CKPT_FD_CLOEXEC);
	add_fd(m, 2, 3, 0);
	add_fd(m, 5, 2, 0);
	add_pages(m, 0x602000, 1);
	add_pages(m, 0x7f0000000000ULL, 2);
	add_pages(m, 0x7ffc00001000ULL, 2);
}

/*
 * The valid image made incremental: two CHANGED records before the PAGES
 * (24 and 25), the second range of the first one adjacent to nothing,
 * the second record's first range on the FILE_SHARED VMA (no pages
 * there, which is legal), its second range made of two adjacent ones.
 */
static void build_incremental(struct timg *m)
{
	static const u64 r0[] = { 0x602000, 0x603000,
				  0x7f0000000000ULL, 0x7f0000004000ULL };
	static const u64 r1[] = { 0x7f0000010000ULL, 0x7f0000011000ULL,
				  0x7ffc00000000ULL, 0x7ffc00001000ULL,
				  0x7ffc00001000ULL, 0x7ffc00003000ULL };
	struct ckpt_rec_header *hd;
	int at;

	build_valid(m);
	hd = REC(m, struct ckpt_rec_header, CKPT_REC_HEADER, 0);
	hd->flags = CKPT_IMG_INCREMENTAL;
	hd->parent_id = 99;
	at = find(m, CKPT_REC_PAGES, 0);
	add_changed(m, r0, 2);
	timg_last_to(m, at);
	add_changed(m, r1, 3);
	timg_last_to(m, at + 1);
}

/* Only what must be there: no FS, SIGPENDING, FILE, FD or PAGES. */
static void build_minimal(struct timg *m)
{
	build_head(m, false);
	add_vma(m, 0x7ffc00000000ULL, 0x7ffc00003000ULL, CKPT_VMA_ANON, 3,
		CKPT_VMA_GROWSDOWN, NULL);
	REC(m, struct ckpt_rec_mm, CKPT_REC_MM, 0)->vdso = 0;
}

/* Reads a whole image from memory; returns 0 or -errno, message in @msg. */
static int read_mem(const u8 *buf, size_t len, size_t chunk, size_t max_read,
		    unsigned int flags, char *msg, u64 *nrec)
{
	struct img_reader_opts o = {
		.page_size = PS, .user_addr_max = UMAX, .chunk_size = chunk,
		.max_read = max_read, .flags = flags,
	};
	const struct ckpt_hdr *h;
	struct img_reader r;
	u64 n = 0;
	int ret;

	img_reader_open_mem(&r, buf, len, &o);
	while ((ret = img_reader_next(&r, &h)) > 0)
		n++;
	if (msg)
		snprintf(msg, IMG_ERR_LEN, "%s", img_reader_error(&r));
	img_reader_close(&r);
	if (nrec)
		*nrec = n;
	return ret;
}

static const char *errname(int err)
{
	switch (err) {
	case 0: return "0";
	case -EINVAL: return "-EINVAL";
	case -EPROTONOSUPPORT: return "-EPROTONOSUPPORT";
	case -ENOEXEC: return "-ENOEXEC";
	case -EBADMSG: return "-EBADMSG";
	case -E2BIG: return "-E2BIG";
	case -ENODATA: return "-ENODATA";
	case -ENOMEM: return "-ENOMEM";
	}
	return "other";
}

/*
 * Serializes @m, reads it, and wants error @err, named at record @idx
 * (-1: the trailer, -2: do not check) with @sub in the message.
 */
static void expect(const char *name, const struct timg *m, int err, int idx,
		   const char *sub)
{
	u64 offs[MAX_RECS + 1];
	char msg[IMG_ERR_LEN], want[96];
	size_t len;
	u8 *buf = serialize(m, &len, offs);
	const char *tname;
	int ret;

	ret = read_mem(buf, len, 4096, 0, 0, msg, NULL);
	free(buf);
	if (ret != err) {
		failf(name, "got %s (%d), want %s: %s", errname(ret), ret,
		      errname(err), msg);
		return;
	}
	if (idx != -2) {
		if (idx == -1) {
			idx = m->n;
			tname = "TRAILER";
		} else {
			tname = ckpt_rec_type_name(
				((struct ckpt_hdr *)m->r[idx].buf)->type);
		}
		snprintf(want, sizeof(want), "record %d (%s) at offset %llu: ",
			 idx, tname, (unsigned long long)offs[idx]);
		if (strncmp(msg, want, strlen(want))) {
			failf(name, "message '%s' does not start '%s'", msg,
			      want);
			return;
		}
	}
	if (sub && !strstr(msg, sub)) {
		failf(name, "message '%s' lacks '%s'", msg, sub);
		return;
	}
	pass(name);
}

static struct timg base, incr;

/*
 * MUT(name, err, type, nth, sub, code): on a copy m of the valid image,
 * runs code, and wants err at the nth record of type (0: no check).
 */
#define MUT(name, err, type, nth, sub, code)				\
	MUT_OF(&base, name, err, type, nth, sub, code)

/* The same on a copy of the image @from. */
#define MUT_OF(from, name, err, type, nth, sub, code)			\
	do {								\
		struct timg m;						\
		int at_;						\
		timg_copy(&m, (from));					\
		code;							\
		at_ = (type) == CKPT_REC_TRAILER ? -1 :			\
		      (type) ? find(&m, (type), (nth)) : -2;		\
		expect(name, &m, err, at_, sub);			\
		timg_free(&m);						\
	} while (0)

#define R(T, type, nth)	REC(&m, struct T, type, nth)

/* CRC32C: vectors, the two paths against each other and a reference. */
/* Pieces of a buffer CRC'd apart and combined give the whole's CRC. */
static void test_crc_combine(void)
{
	static u8 buf[70000];
	u32 whole, a, b;
	size_t cuts[] = { 0, 1, 7, 8, 4096, 12345, 69999, 70000 }, i;
	int bad = 0;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)(i * 131 + (i >> 9));
	whole = ckpt_crc32c(0, buf, sizeof(buf));
	for (i = 0; i < ARRAY_SIZE(cuts); i++) {
		a = ckpt_crc32c(0, buf, cuts[i]);
		b = ckpt_crc32c(0, buf + cuts[i], sizeof(buf) - cuts[i]);
		if (ckpt_crc32c_combine(a, b, sizeof(buf) - cuts[i]) != whole)
			bad++;
	}
	/* Three pieces, combined left to right. */
	a = ckpt_crc32c(0, buf, 100);
	a = ckpt_crc32c_combine(a, ckpt_crc32c(0, buf + 100, 30000), 30000);
	a = ckpt_crc32c_combine(a, ckpt_crc32c(0, buf + 30100, 39900), 39900);
	if (a != whole)
		bad++;
	if (bad)
		failf("crc32c/combine", "%d of %zu splits wrong", bad,
		      ARRAY_SIZE(cuts) + 1);
	else
		pass("crc32c/combine");
}

static void test_crc(void)
{
	static const u8 check[] = "123456789";
	u8 buf[4096 + 64], zero[32], ones[32], inc[32];
	u32 a, b, c, x, seed = 12345;
	bool hw = ckpt_crc32c_hw_usable();
	int i, off, len, bad = 0;

	memset(zero, 0, 32);
	memset(ones, 0xff, 32);
	for (i = 0; i < 32; i++)
		inc[i] = (u8)i;
	/* RFC 3720 B.4 and the usual check value */
	if (ckpt_crc32c_sw(0, check, 9) != CKPT_CRC32C_CHECK ||
	    ckpt_crc32c(0, check, 9) != 0xe3069283 ||
	    ckpt_crc32c_sw(0, zero, 32) != 0x8a9136aa ||
	    ckpt_crc32c_sw(0, ones, 32) != 0x62a8ab43 ||
	    ckpt_crc32c_sw(0, inc, 32) != 0x46dd794e ||
	    ckpt_crc32c_sw(0, check, 0) != 0)
		failf("crc32c/vectors-sw", "wrong value");
	else
		pass("crc32c/vectors-sw");
	if (!hw) {
		/* Not a pass: nothing ran.  Nor does the hw path anywhere here. */
		printf("note: unit/crc32c/vectors-hw not run: this CPU has no SSE4.2, so the software path (tested above) is the only one in use\n");
	} else if (ckpt_crc32c_hw(0, check, 9) != 0xe3069283 ||
		   ckpt_crc32c_hw(0, zero, 32) != 0x8a9136aa ||
		   ckpt_crc32c_hw(0, ones, 32) != 0x62a8ab43 ||
		   ckpt_crc32c_hw(0, inc, 32) != 0x46dd794e) {
		failf("crc32c/vectors-hw", "wrong value");
	} else {
		pass("crc32c/vectors-hw");
	}

	for (i = 0; i < (int)sizeof(buf); i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = (u8)(seed >> 16);
	}
	for (i = 0; i < 3000 && !bad; i++) {
		seed = seed * 1103515245 + 12345;
		off = (seed >> 8) % 64;
		seed = seed * 1103515245 + 12345;
		len = i < 600 ? i % 300 : (int)((seed >> 8) % 4096);
		x = ref_crc32c(0, buf + off, len);
		a = ckpt_crc32c_sw(0, buf + off, len);
		b = hw ? ckpt_crc32c_hw(0, buf + off, len) : a;
		/* chained in two pieces */
		c = ckpt_crc32c(ckpt_crc32c(0, buf + off, len / 3),
				buf + off + len / 3, len - len / 3);
		if (a != x || b != x || c != x) {
			failf("crc32c/random", "off %d len %d: ref %08x sw %08x hw %08x chained %08x",
			      off, len, x, a, b, c);
			bad = 1;
		}
	}
	if (!bad)
		pass("crc32c/random (3000 buffers, sw, hw, chained vs bitwise)");
}

static void test_valid(void)
{
	static const size_t chunks[] = { 4096, 8192, 1 << 20 };
	static const size_t reads[] = { 0, 1, 7, 4093 };
	long chunks_live, bytes_live;
	char msg[IMG_ERR_LEN];
	struct timg m;
	size_t len, i, j;
	u8 *buf;
	u64 n;
	int ret;

	buf = serialize(&base, &len, NULL);
	for (i = 0; i < ARRAY_SIZE(chunks); i++) {
		for (j = 0; j < ARRAY_SIZE(reads); j++) {
			ret = read_mem(buf, len, chunks[i], reads[j],
				       j & 1 ? IMG_READ_KEEP : 0, msg, &n);
			if (ret || n != (u64)base.n + 1) {
				failf("valid/full", "chunk %zu read %zu: %d %s (%llu records)",
				      chunks[i], reads[j], ret, msg,
				      (unsigned long long)n);
				free(buf);
				return;
			}
		}
	}
	pass("valid/full (3 chunk sizes x 4 read sizes, keep and stream)");
	free(buf);

	build_minimal(&m);
	buf = serialize(&m, &len, NULL);
	ret = read_mem(buf, len, 4096, 0, 0, msg, &n);
	if (ret)
		failf("valid/minimal", "%s", msg);
	else
		pass("valid/minimal");
	free(buf);
	timg_free(&m);

	/* An incremental image, and FILE ids out of order. */
	timg_copy(&m, &incr);
	REC(&m, struct ckpt_rec_file, CKPT_REC_FILE, 0)->id = 9;
	REC(&m, struct ckpt_rec_fd, CKPT_REC_FD, 0)->file_id = 9;
	buf = serialize(&m, &len, NULL);
	ret = read_mem(buf, len, 4096, 0, 0, msg, &n);
	if (ret)
		failf("valid/incremental-unsorted-files", "%s", msg);
	else
		pass("valid/incremental-unsorted-files");
	free(buf);
	timg_free(&m);

	/* Nothing changed: no CHANGED record, no PAGES. */
	timg_copy(&m, &incr);
	while (find(&m, CKPT_REC_PAGES, 0) >= 0)
		timg_del(&m, find(&m, CKPT_REC_PAGES, 0));
	while (find(&m, CKPT_REC_CHANGED, 0) >= 0)
		timg_del(&m, find(&m, CKPT_REC_CHANGED, 0));
	buf = serialize(&m, &len, NULL);
	ret = read_mem(buf, len, 4096, 0, 0, msg, &n);
	if (ret)
		failf("valid/incremental-nothing-changed", "%s", msg);
	else
		pass("valid/incremental-nothing-changed");
	free(buf);
	timg_free(&m);

	/* Ranges but no pages: all of them read as zero or the file. */
	timg_copy(&m, &incr);
	while (find(&m, CKPT_REC_PAGES, 0) >= 0)
		timg_del(&m, find(&m, CKPT_REC_PAGES, 0));
	buf = serialize(&m, &len, NULL);
	ret = read_mem(buf, len, 4096, 0, 0, msg, &n);
	if (ret)
		failf("valid/incremental-no-pages", "%s", msg);
	else
		pass("valid/incremental-no-pages");
	free(buf);
	timg_free(&m);

	hbuf_shim_live(&chunks_live, &bytes_live);
	if (chunks_live || bytes_live)
		failf("valid/no-leak", "%ld chunks, %ld bytes live", chunks_live,
		      bytes_live);
	else
		pass("valid/no-leak");
}

/* The reader on real file descriptors: a pipe (fed by a child), a file. */
/* A temporary file holding @len bytes of @buf, at offset 0. */
static int temp_image(const u8 *buf, size_t len)
{
	char path[] = "/tmp/ckpt-image-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	unlink(path);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Reads the image on @fd to its end with @o; the result, the error in @r. */
static int read_all_fd(struct img_reader *r, int fd,
		       const struct img_reader_opts *o)
{
	const struct ckpt_hdr *h;
	int ret;

	img_reader_open_fd(r, fd, o);
	while ((ret = img_reader_next(r, &h)) > 0)
		;
	return ret;
}

/* The image @buf (@len bytes) in a file, read with @o: refused as said. */
static void expect_refused(const char *name, const u8 *buf, size_t len,
			   const struct img_reader_opts *o, int err,
			   const char *sub)
{
	struct img_reader r;
	int fd = temp_image(buf, len), ret;

	ret = read_all_fd(&r, fd, o);
	if (ret != err || !strstr(img_reader_error(&r), sub))
		failf(name, "%d %s", ret, img_reader_error(&r));
	else
		pass(name);
	img_reader_close(&r);
	close(fd);
}

/*
 * The image @buf in a file, read with IMG_READ_SKIP_DATA: accepted whole,
 * the stream's CRC deferred with the trailer's kept for the caller.
 */
static void expect_deferred(const char *name, const u8 *buf, size_t len,
			    const struct img_reader_opts *o)
{
	const struct ckpt_rec_trailer *t = (const void *)(buf + len - sizeof(*t));
	struct img_reader r;
	int fd = temp_image(buf, len), ret;

	ret = read_all_fd(&r, fd, o);
	if (ret || !r.chk.crc_deferred || r.chk.trailer_crc != t->crc32c ||
	    r.chk.offset != len)
		failf(name, "%d deferred %d crc %08x/%08x %s", ret,
		      r.chk.crc_deferred, r.chk.trailer_crc, t->crc32c,
		      img_reader_error(&r));
	else
		pass(name);
	img_reader_close(&r);
	close(fd);
}

/*
 * IMG_READ_SKIP_DATA: the page data is seeked over, so only counts,
 * lengths and the records' CRC are checked, and the stream's CRC is left
 * to the caller, who is told so (crc_deferred, with the trailer's in
 * trailer_crc).  Small chunks and reads make a skip span the read-ahead
 * and the file.
 */
static void skip_data_cases(const u8 *img, size_t len)
{
	struct img_reader_opts o = { .page_size = PS, .user_addr_max = UMAX,
				     .chunk_size = 4096, .max_read = 1000,
				     .flags = IMG_READ_SKIP_DATA };
	const size_t tlen = sizeof(struct ckpt_rec_trailer);
	struct img_reader_opts plain = o;
	u8 *bad = malloc(len);

	if (!bad)
		abort();
	plain.flags = 0;
	expect_deferred("reader/skip-data/valid (CRC deferred, trailer's kept)",
			img, len, &o);

	/* The last byte before the trailer is page data. */
	memcpy(bad, img, len);
	bad[len - tlen - 1] ^= 0x5a;
	expect_refused("reader/skip-data/flip-read (refused when read)", bad,
		       len, &plain, -EBADMSG, "CRC32C mismatch");
	expect_deferred("reader/skip-data/flip-skipped (left to the caller, who is told)",
			bad, len, &o);

	/* A byte of a record (the header's release): its own CRC says so. */
	memcpy(bad, img, len);
	bad[64] ^= 0x20;
	expect_refused("reader/skip-data/record-flip (refused without the data)",
		       bad, len, &o, -EBADMSG, "records' CRC32C mismatch");

	/* Cut inside the page data: the trailer is not where it must be. */
	expect_refused("reader/skip-data/truncated", img,
		       len - tlen - 100, &o, -ENODATA, "truncated");
	free(bad);
}

static void test_fd(void)
{
	struct img_reader_opts o = { .page_size = PS, .user_addr_max = UMAX };
	const struct ckpt_hdr *h;
	struct img_reader r;
	int p[2], ret, st, fd;
	char path[] = "/tmp/ckpt-image-XXXXXX";
	size_t len;
	pid_t pid;
	u8 *buf = serialize(&base, &len, NULL);

	if (pipe(p))
		abort();
	pid = fork();
	if (!pid) {
		size_t off = 0;
		ssize_t w;

		close(p[0]);
		while (off < len) {
			w = write(p[1], buf + off, len - off > 999 ? 999 : len - off);
			if (w <= 0)
				_exit(1);
			off += w;
		}
		_exit(0);
	}
	close(p[1]);
	img_reader_open_fd(&r, p[0], &o);
	while ((ret = img_reader_next(&r, &h)) > 0)
		;
	if (ret)
		failf("reader/pipe", "%s", img_reader_error(&r));
	else
		pass("reader/pipe");
	img_reader_close(&r);
	close(p[0]);
	waitpid(pid, &st, 0);

	fd = mkstemp(path);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	unlink(path);
	lseek(fd, 0, SEEK_SET);
	img_reader_open_fd(&r, fd, &o);
	while ((ret = img_reader_next(&r, &h)) > 0) {
		/* read page data in odd pieces: the CRC still adds up */
		if (h->type == CKPT_REC_PAGES) {
			u8 piece[100];

			if (img_reader_read_data(&r, piece, 100) ||
			    img_reader_read_data(&r, piece, 1))
				break;
		}
	}
	if (ret)
		failf("reader/file", "%s", img_reader_error(&r));
	else
		pass("reader/file (partial page data reads)");
	img_reader_close(&r);
	close(fd);
	free(buf);
	/* Without CKPT_IMG_REC_CRC, IMG_READ_SKIP_DATA reads and checks all. */
	buf = serialize(&base, &len, NULL);
	buf[len - sizeof(struct ckpt_rec_trailer) - 1] ^= 0x5a;
	o.flags = IMG_READ_SKIP_DATA;
	expect_refused("reader/skip-data/old-image-read-whole", buf, len, &o,
		       -EBADMSG, "CRC32C mismatch");
	o.flags = 0;
	free(buf);

	serialize_rec_crc = true;
	buf = serialize(&base, &len, NULL);
	serialize_rec_crc = false;
	skip_data_cases(buf, len);
	free(buf);

	/* read() failing: a directory. */
	fd = open("/", O_RDONLY | O_DIRECTORY);
	img_reader_open_fd(&r, fd, &o);
	ret = img_reader_next(&r, &h);
	if (ret != -EISDIR || !strstr(img_reader_error(&r), "read error"))
		failf("reader/read-error", "%d %s", ret, img_reader_error(&r));
	else
		pass("reader/read-error");
	img_reader_close(&r);
	close(fd);
}

/* Without IMG_READ_KEEP the reader's memory does not grow with the runs. */
static void test_memory(void)
{
	struct img_reader_opts o = { .page_size = PS, .user_addr_max = UMAX,
				     .chunk_size = 4096 };
	unsigned int most = 0, most_keep = 0;
	const struct ckpt_hdr *h;
	struct img_reader r;
	struct timg m;
	size_t len;
	u8 *buf;
	int i, ret, pass_nr;

	build_head(&m, true);
	add_vma(&m, 0x10000000, 0x10000000 + 600 * PS, CKPT_VMA_ANON, 3, 0,
		NULL);
	REC(&m, struct ckpt_rec_mm, CKPT_REC_MM, 0)->vdso = 0;
	for (i = 0; i < 200; i++)
		add_pages(&m, 0x10000000 + (u64)i * 3 * PS, 1 + i % 2);
	buf = serialize(&m, &len, NULL);
	for (pass_nr = 0; pass_nr < 2; pass_nr++) {
		o.flags = pass_nr ? IMG_READ_KEEP : 0;
		img_reader_open_mem(&r, buf, len, &o);
		while ((ret = img_reader_next(&r, &h)) > 0) {
			if (pass_nr)
				most_keep = max(most_keep, r.hb.nr_chunks);
			else
				most = max(most, r.hb.nr_chunks);
		}
		if (ret)
			failf("reader/memory", "%s", img_reader_error(&r));
		img_reader_close(&r);
	}
	if (most > 3 || most_keep < 50)
		failf("reader/memory", "streaming held %u chunks, keep %u",
		      most, most_keep);
	else
		pass("reader/memory (200 runs: 3 chunks at most streaming)");
	free(buf);
	timg_free(&m);
}

static void test_header(void)
{
	MUT("header/magic", -EINVAL, CKPT_REC_HEADER, 0, "bad magic",
	    R(ckpt_rec_header, CKPT_REC_HEADER, 0)->magic[3] = 'X');
	MUT("header/version", -EPROTONOSUPPORT, CKPT_REC_HEADER, 0,
	    "format version 2",
	    R(ckpt_rec_header, CKPT_REC_HEADER, 0)->version = 2);
	MUT("header/arch", -ENOEXEC, CKPT_REC_HEADER, 0, "architecture 183",
	    R(ckpt_rec_header, CKPT_REC_HEADER, 0)->arch = 183);
	MUT("header/page-size", -ENOEXEC, CKPT_REC_HEADER, 0,
	    "image page size 65536, this machine 4096",
	    R(ckpt_rec_header, CKPT_REC_HEADER, 0)->page_size = 65536);
	MUT("header/flags", -EINVAL, CKPT_REC_HEADER, 0, "unknown flags 0x4",
	    R(ckpt_rec_header, CKPT_REC_HEADER, 0)->flags = 4);
	MUT("header/image-id", -EINVAL, CKPT_REC_HEADER, 0, "image id is 0",
	    R(ckpt_rec_header, CKPT_REC_HEADER, 0)->image_id = 0);
	MUT("header/incremental-no-parent", -EINVAL, CKPT_REC_HEADER, 0,
	    "without a parent",
	    R(ckpt_rec_header, CKPT_REC_HEADER, 0)->flags = 1);
	MUT("header/parent-not-incremental", -EINVAL, CKPT_REC_HEADER, 0,
	    "not incremental",
	    R(ckpt_rec_header, CKPT_REC_HEADER, 0)->parent_id = 5);
	MUT("header/own-parent", -EINVAL, CKPT_REC_HEADER, 0, "own parent",
	    { struct ckpt_rec_header *hd = R(ckpt_rec_header,
					      CKPT_REC_HEADER, 0);
	      hd->flags = 1; hd->parent_id = hd->image_id; });
	MUT("header/release", -EINVAL, CKPT_REC_HEADER, 0, "release",
	    memset(R(ckpt_rec_header, CKPT_REC_HEADER, 0)->release, 'x', 72));
	MUT("header/length", -EINVAL, CKPT_REC_HEADER, 0, "length 136, must be 128",
	    R(ckpt_rec_header, CKPT_REC_HEADER, 0)->h.len = 136);
	MUT("header/not-first", -EINVAL, CKPT_REC_TASK, 0,
	    "not a ckpt image: the first record has type 0x2",
	    timg_del(&m, 0));
	MUT("header/elf", -EINVAL, 0, 0, "not a ckpt image",
	    memcpy(m.r[0].buf, "\177ELF\2\1\1\0", 8));
}

static void test_order(void)
{
	MUT("order/fs-after-cpu", -EINVAL, CKPT_REC_FS, 0,
	    "out of order: FS after CPU", timg_move(&m, 2, 3));
	MUT("order/cpu-before-task", -EINVAL, CKPT_REC_CPU, 0,
	    "no TASK record before it", timg_move(&m, 3, 1));
	MUT("order/missing-cpu", -EINVAL, CKPT_REC_XSTATE, 0,
	    "no CPU record before it",
	    timg_del(&m, find(&m, CKPT_REC_CPU, 0)));
	MUT("order/missing-mm", -EINVAL, CKPT_REC_VMA, 0,
	    "no MM record before it",
	    timg_del(&m, find(&m, CKPT_REC_MM, 0)));
	MUT("order/second-task", -EINVAL, CKPT_REC_TASK, 1,
	    "a second TASK record", timg_dup(&m, 1));
	MUT("order/no-vma", -EINVAL, CKPT_REC_FILE, 0, "no VMA record before it",
	    while (find(&m, CKPT_REC_VMA, 0) >= 0)
		timg_del(&m, find(&m, CKPT_REC_VMA, 0)));
	MUT("order/sigpending-after-mm", -EINVAL, CKPT_REC_SIGPENDING, 0,
	    "out of order: SIGPENDING after MM",
	    timg_move(&m, find(&m, CKPT_REC_SIGPENDING, 0),
		      find(&m, CKPT_REC_MM, 0)));
	MUT("order/file-after-fd", -EINVAL, CKPT_REC_FILE, 2,
	    "out of order: FILE after FD",
	    timg_move(&m, find(&m, CKPT_REC_FILE, 2),
		      find(&m, CKPT_REC_FD, 0)));
	MUT("order/vma-after-pages", -EINVAL, CKPT_REC_VMA, 7,
	    "out of order: VMA after PAGES",
	    timg_move(&m, find(&m, CKPT_REC_VMA, 7), m.n - 1));
	MUT("order/unknown-type", -EINVAL, 0, 0, "unknown record type 17",
	    ((struct ckpt_hdr *)m.r[2].buf)->type = 17);
	MUT("order/len-not-8", -EINVAL, CKPT_REC_FILE, 0,
	    "not a multiple of 8",
	    R(ckpt_rec_file, CKPT_REC_FILE, 0)->h.len = 68);
	MUT("order/len-huge", -EINVAL, CKPT_REC_FILE, 0, "outside",
	    R(ckpt_rec_file, CKPT_REC_FILE, 0)->h.len = 0xfffffff8U);
	MUT("order/len-zero", -EINVAL, CKPT_REC_VMA, 0, "outside",
	    R(ckpt_rec_vma, CKPT_REC_VMA, 0)->h.len = 0);
	MUT("order/pages-len", -EINVAL, CKPT_REC_PAGES, 0, "must be 24",
	    R(ckpt_rec_pages, CKPT_REC_PAGES, 0)->h.len = 32);
	MUT("order/no-trailer", -ENODATA, 0, 0, "before the trailer",
	    m.no_trailer = true);
}

static void test_task_fs_cpu(void)
{
	MUT("task/pid-0", -EINVAL, CKPT_REC_TASK, 0, "pid 0 is not a valid pid",
	    R(ckpt_rec_task, CKPT_REC_TASK, 0)->pid = 0);
	MUT("task/tid-big", -EINVAL, CKPT_REC_TASK, 0, "tid 5000000",
	    R(ckpt_rec_task, CKPT_REC_TASK, 0)->tid = 5000000);
	MUT("task/umask", -EINVAL, CKPT_REC_TASK, 0, "umask 01000",
	    R(ckpt_rec_task, CKPT_REC_TASK, 0)->umask = 01000);
	MUT("task/flags", -EINVAL, CKPT_REC_TASK, 0, "unknown flags 0x2",
	    R(ckpt_rec_task, CKPT_REC_TASK, 0)->flags = 2);
	MUT("task/dumpable", -EINVAL, CKPT_REC_TASK, 0, "dumpable 3",
	    R(ckpt_rec_task, CKPT_REC_TASK, 0)->dumpable = 3);
	MUT("task/pdeathsig", -EINVAL, CKPT_REC_TASK, 0, "pdeathsig 65",
	    R(ckpt_rec_task, CKPT_REC_TASK, 0)->pdeathsig = 65);
	MUT("task/personality", -EINVAL, CKPT_REC_TASK, 0, "personality",
	    R(ckpt_rec_task, CKPT_REC_TASK, 0)->personality = 0x10000000);
	MUT("task/rlimit", -EINVAL, CKPT_REC_TASK, 0, "rlimit 7: soft limit",
	    R(ckpt_rec_task, CKPT_REC_TASK, 0)->rlim[7].cur = 5000);
	MUT("task/comm", -EINVAL, CKPT_REC_TASK, 0, "comm is not NUL-terminated",
	    memset(R(ckpt_rec_task, CKPT_REC_TASK, 0)->comm, 'a', 16));

	MUT("fs/cwd-len", -EINVAL, CKPT_REC_FS, 0, "does not match",
	    R(ckpt_rec_fs, CKPT_REC_FS, 0)->cwd_len = 30);
	MUT("fs/cwd-nul", -EINVAL, CKPT_REC_FS, 0,
	    "cwd is not NUL-terminated",
	    R(ckpt_rec_fs, CKPT_REC_FS, 0)->paths[10] = 'x');
	MUT("fs/cwd-embedded-nul", -EINVAL, CKPT_REC_FS, 0,
	    "cwd has a NUL at byte 5",
	    R(ckpt_rec_fs, CKPT_REC_FS, 0)->paths[5] = 0);
	MUT("fs/root-empty", -EINVAL, CKPT_REC_FS, 0, "root is empty",
	    { struct ckpt_rec_fs *f = R(ckpt_rec_fs, CKPT_REC_FS, 0);
	      f->cwd_len = 12; f->root_len = 1; f->paths[10] = 'r';
	      f->paths[11] = 0; f->paths[12] = 0; });
	MUT("fs/padding", -EINVAL, CKPT_REC_FS, 0, "padding byte at +29",
	    R(ckpt_rec_fs, CKPT_REC_FS, 0)->paths[13] = 1);

#define CPU	R(ckpt_rec_cpu, CKPT_REC_CPU, 0)
	MUT("cpu/cs", -EINVAL, CKPT_REC_CPU, 0, "cs 0x23", CPU->cs = 0x23);
	MUT("cpu/ss", -EINVAL, CKPT_REC_CPU, 0, "ss 0x0", CPU->ss = 0);
	MUT("cpu/ds", -EINVAL, CKPT_REC_CPU, 0, "ds 0x1b", CPU->ds = 0x1b);
	MUT("cpu/gs", -EINVAL, CKPT_REC_CPU, 0, "gs 0x63", CPU->gs = 0x63);
	MUT("cpu/rip-kernel", -EINVAL, CKPT_REC_CPU, 0,
	    "rip 0xffffffff81000000 is not a user address",
	    CPU->ip = 0xffffffff81000000ULL);
	MUT("cpu/rip-noncanonical", -EINVAL, CKPT_REC_CPU, 0,
	    "rip 0x800000000000", CPU->ip = 0x800000000000ULL);
	MUT("cpu/rsp", -EINVAL, CKPT_REC_CPU, 0, "rsp", CPU->sp = UMAX + 8);
	MUT("cpu/fs_base", -EINVAL, CKPT_REC_CPU, 0, "fs_base",
	    CPU->fs_base = ~0ULL);
	MUT("cpu/gs_base", -EINVAL, CKPT_REC_CPU, 0, "gs_base",
	    CPU->gs_base = UMAX);
	MUT("cpu/iopl", -EINVAL, CKPT_REC_CPU, 0, "IOPL is 3",
	    CPU->flags |= 0x3000);
	MUT("cpu/vm", -EINVAL, CKPT_REC_CPU, 0, "VM", CPU->flags |= 0x20000);
	MUT("cpu/bit1", -EINVAL, CKPT_REC_CPU, 0, "reserved bit 1 is clear",
	    CPU->flags = 0x244);
	MUT("cpu/bit3", -EINVAL, CKPT_REC_CPU, 0, "reserved bits 0x8",
	    CPU->flags |= 0x8);
	MUT("cpu/bit22", -EINVAL, CKPT_REC_CPU, 0, "reserved bits 0x400000",
	    CPU->flags |= 0x400000);
#undef CPU
}

static void test_xstate_signals(void)
{
#define XS	R(ckpt_rec_xstate, CKPT_REC_XSTATE, 0)
	MUT("xstate/size-len", -EINVAL, CKPT_REC_XSTATE, 0, "does not match",
	    XS->size = 840);
	MUT("xstate/size-small", -EINVAL, CKPT_REC_XSTATE, 0, "below 576",
	    XS->size = 100);
	MUT("xstate/size-big", -E2BIG, CKPT_REC_XSTATE, 0, "above 1048576",
	    XS->size = 2 << 20);
	MUT("xstate/pad", -EINVAL, CKPT_REC_XSTATE, 0, "__pad", XS->__pad = 1);
	MUT("xstate/xcr0", -EINVAL, CKPT_REC_XSTATE, 0, "lacks x87 or SSE",
	    XS->xcr0 = 5);
	MUT("xstate/avx-size", -EINVAL, CKPT_REC_XSTATE, 0, "enables AVX",
	    { XS->size = 576; XS->h.len = sizeof(*XS) + 576; });
	MUT("xstate/xstate_bv", -EINVAL, CKPT_REC_XSTATE, 0,
	    "xstate_bv 0xf has features outside xcr0 0x7",
	    XS->data[512] = 0xf);
	MUT("xstate/xcomp_bv", -EINVAL, CKPT_REC_XSTATE, 0, "compacted",
	    XS->data[527] = 0x80);
	MUT("xstate/reserved", -EINVAL, CKPT_REC_XSTATE, 0,
	    "reserved byte 40", XS->data[552] = 1);
	MUT("xstate/mxcsr", -EINVAL, CKPT_REC_XSTATE, 0, "MXCSR",
	    XS->data[26] = 1);
#undef XS
#define SH	R(ckpt_rec_sighand, CKPT_REC_SIGHAND, 0)
	MUT("sighand/sigkill", -EINVAL, CKPT_REC_SIGHAND, 0,
	    "signal 9 cannot be caught", SH->action[8].handler = 0x401000);
	MUT("sighand/sigstop", -EINVAL, CKPT_REC_SIGHAND, 0,
	    "signal 19 cannot be caught", SH->action[18].handler = 1);
	MUT("sighand/handler", -EINVAL, CKPT_REC_SIGHAND, 0,
	    "signal 2: handler 0xffff888000000000",
	    SH->action[1].handler = 0xffff888000000000ULL);
	MUT("sighand/flags", -EINVAL, CKPT_REC_SIGHAND, 0,
	    "unknown bits 0x400", SH->action[1].flags |= 0x400);
	MUT("sighand/restorer", -EINVAL, CKPT_REC_SIGHAND, 0, "restorer",
	    SH->action[1].restorer = UMAX);
	MUT("sighand/mask", -EINVAL, CKPT_REC_SIGHAND, 0, "blocks SIGKILL",
	    SH->action[63].mask = 1ULL << 18);
#undef SH
#define SG	R(ckpt_rec_signal, CKPT_REC_SIGNAL, 0)
	MUT("signal/blocked", -EINVAL, CKPT_REC_SIGNAL, 0, "blocks SIGKILL",
	    SG->blocked |= 1ULL << 8);
	MUT("signal/pad", -EINVAL, CKPT_REC_SIGNAL, 0, "__pad", SG->__pad = 3);
	MUT("signal/ss-flags", -EINVAL, CKPT_REC_SIGNAL, 0, "unknown bits",
	    SG->altstack_flags = 4);
	MUT("signal/ss-both", -EINVAL, CKPT_REC_SIGNAL, 0, "both",
	    SG->altstack_flags = 3);
	MUT("signal/ss-disabled", -EINVAL, CKPT_REC_SIGNAL, 0,
	    "disabled but", SG->altstack_size = 8192);
	MUT("signal/ss-range", -EINVAL, CKPT_REC_SIGNAL, 0,
	    "not in user space",
	    { SG->altstack_flags = 0; SG->altstack_sp = UMAX - 4096;
	      SG->altstack_size = 8192; });
	MUT("signal/itimer", -EINVAL, CKPT_REC_SIGNAL, 0, "itimer 2",
	    SG->itimer[2].interval_ns = ~0ULL);
#undef SG
#define SP	R(ckpt_rec_sigpending, CKPT_REC_SIGPENDING, 0)
	MUT("sigpending/signo-0", -EINVAL, CKPT_REC_SIGPENDING, 0,
	    "signal number 0", SP->signo = 0);
	MUT("sigpending/signo-65", -EINVAL, CKPT_REC_SIGPENDING, 0,
	    "signal number 65", SP->signo = 65);
	MUT("sigpending/shared", -EINVAL, CKPT_REC_SIGPENDING, 0, "shared is 2",
	    SP->shared = 2);
	MUT("sigpending/si_signo", -EINVAL, CKPT_REC_SIGPENDING, 0,
	    "si_signo 11 differs", SP->siginfo[0] = 11);
#undef SP
}

/*
 * A multi-threaded image: the base one with the leader's THREAD record
 * and one more thread's (CPU, XSTATE and one private signal nested),
 * after the SIGPENDING record.
 */
static struct timg thr;

static void add_thread(struct timg *m, u32 tid, u32 flags, u32 npending)
{
	const struct trec *cpu = &m->r[find(m, CKPT_REC_CPU, 0)];
	const struct trec *xs = &m->r[find(m, CKPT_REC_XSTATE, 0)];
	const struct trec *sp = &m->r[find(m, CKPT_REC_SIGPENDING, 0)];
	struct ckpt_rec_thread *t;
	size_t len = sizeof(*t);
	u8 *p;
	u32 i;

	if (!(flags & CKPT_THREAD_LEADER))
		len += cpu->len + xs->len + npending * sp->len;
	t = add(m, CKPT_REC_THREAD, len);
	t->tid = tid;
	t->flags = flags;
	snprintf(t->comm, sizeof(t->comm), "t%u", tid);
	t->cpus[0] = 3;
	if (flags & CKPT_THREAD_LEADER)
		return;
	t->blocked = 1ULL << 11;
	t->altstack_flags = 2;
	t->nr_pending = npending;
	t->clear_child_tid = 0x7f0000002000ULL;
	t->robust_list = 0x7f0000002100ULL;
	p = (u8 *)(t + 1);
	memcpy(p, cpu->buf, cpu->len);
	p += cpu->len;
	memcpy(p, xs->buf, xs->len);
	p += xs->len;
	for (i = 0; i < npending; i++, p += sp->len) {
		memcpy(p, sp->buf, sp->len);
		((struct ckpt_rec_sigpending *)p)->shared = 0;
	}
}

static void add_timer(struct timg *m, s32 id, u32 notify, u32 tid)
{
	struct ckpt_rec_timer *t = add(m, CKPT_REC_TIMER, sizeof(*t));

	t->id = id;
	t->clock = 1;
	t->notify = notify;
	t->signo = notify == 1 ? 0 : 34;
	t->tid = tid;
	t->value = 0x7f0000003000ULL;
	t->value_ns = 250000000;
	t->interval_ns = 1000000000;
}

/* A thread's seccomp record: @nr filters of 2 instructions, or same_as. */
static void add_seccomp(struct timg *m, u32 tid, u32 mode, u32 nr, u32 same)
{
	struct ckpt_rec_seccomp *r;
	struct ckpt_seccomp_filter *f;
	size_t one = sizeof(*f) + 2 * sizeof(f->insns[0]);
	u32 i;

	r = add(m, CKPT_REC_SECCOMP, sizeof(*r) + (same ? 0 : nr * one));
	r->tid = tid;
	r->mode = mode;
	r->nr_filters = mode == CKPT_SECCOMP_STRICT ? 0 : nr;
	r->same_as = same;
	if (same)
		return;
	for (i = 0; i < nr; i++) {
		f = (void *)((u8 *)(r + 1) + i * one);
		f->flags = i ? CKPT_SECCOMP_LOG : 0;
		f->len = 2;
		f->insns[0].code = 0x20;	/* ld [0] */
		f->insns[1].code = 0x06;	/* ret #ALLOW */
		f->insns[1].k = 0x7fff0000;
	}
}

/*
 * With two POSIX timers too: ids 0 (to the process) and 3 (to 4330); and
 * seccomp: the leader with two filters, 4322 with the leader's, 4330 strict.
 */
static void build_threads(struct timg *m)
{
	int at;

	timg_copy(m, &base);
	at = find(m, CKPT_REC_MM, 0);
	add_thread(m, 4321, CKPT_THREAD_LEADER, 0);
	timg_last_to(m, at++);
	add_thread(m, 4322, 0, 1);
	timg_last_to(m, at++);
	add_thread(m, 4330, 0, 0);
	timg_last_to(m, at++);
	add_timer(m, 0, 0, 0);
	timg_last_to(m, at++);
	add_timer(m, 3, 4, 4330);
	timg_last_to(m, at++);
	add_seccomp(m, 4321, CKPT_SECCOMP_FILTER, 2, 0);
	timg_last_to(m, at++);
	add_seccomp(m, 4322, CKPT_SECCOMP_FILTER, 2, 4321);
	timg_last_to(m, at++);
	add_seccomp(m, 4330, CKPT_SECCOMP_STRICT, 0, 0);
	timg_last_to(m, at);
}

#define SC(nth)		R(ckpt_rec_seccomp, CKPT_REC_SECCOMP, nth)
#define SC_F(nth)	((struct ckpt_seccomp_filter *)(SC(nth) + 1))

#define TM(nth)		R(ckpt_rec_timer, CKPT_REC_TIMER, nth)

/* The nested records of THREAD @nth of @m, from its fixed part on. */
#define TH(nth)		R(ckpt_rec_thread, CKPT_REC_THREAD, nth)
#define TH_CPU(nth)	((struct ckpt_rec_cpu *)(TH(nth) + 1))

static void test_threads(void)
{
	build_threads(&thr);
	expect("threads/valid", &thr, 0, -2, NULL);
	MUT_OF(&thr, "threads/no-leader", -EINVAL, CKPT_REC_THREAD, 0,
	       "is not the leader's", TH(0)->flags = 0);
	MUT_OF(&thr, "threads/leader-tid", -EINVAL, CKPT_REC_THREAD, 0,
	       "the leader is the TASK tid 4321", TH(0)->tid = 999);
	MUT_OF(&thr, "threads/second-leader", -EINVAL, CKPT_REC_THREAD, 1,
	       "a second leader's record", TH(1)->flags = CKPT_THREAD_LEADER);
	MUT_OF(&thr, "threads/leader-tid-twice", -EINVAL, CKPT_REC_THREAD, 1,
	       "the leader is the TASK tid", TH(1)->tid = 4321);
	MUT_OF(&thr, "threads/ascending", -EINVAL, CKPT_REC_THREAD, 2,
	       "tid 4322 after tid 4322: not ascending", TH(2)->tid = 4322);
	MUT_OF(&thr, "threads/flags", -EINVAL, CKPT_REC_THREAD, 1,
	       "unknown flags 0x8", TH(1)->flags = 8);
	MUT_OF(&thr, "threads/nnp-per-thread", 0, 0, 0, NULL,
	       { TH(0)->flags |= CKPT_THREAD_NNP_SAID;
		 TH(1)->flags = CKPT_THREAD_NNP_SAID | CKPT_THREAD_NNP;
		 TH(2)->flags = CKPT_THREAD_NNP_SAID; });
	MUT_OF(&thr, "threads/nnp-unsaid", -EINVAL, CKPT_REC_THREAD, 1,
	       "tid 4322: flags 0x2 say no_new_privs per thread, or not, unlike the leader's",
	       TH(1)->flags = CKPT_THREAD_NNP);
	MUT_OF(&thr, "threads/nnp-said-unlike-leader", -EINVAL, CKPT_REC_THREAD, 1,
	       "flags 0x4 say no_new_privs per thread, or not, unlike the leader's",
	       TH(1)->flags = CKPT_THREAD_NNP_SAID);
	MUT_OF(&thr, "threads/leader-state", -EINVAL, CKPT_REC_THREAD, 0,
	       "holds state of the process records", TH(0)->blocked = 1);
	MUT_OF(&thr, "threads/policy", -EINVAL, CKPT_REC_THREAD, 1,
	       "scheduling policy 6", TH(1)->policy = 6);
	MUT_OF(&thr, "threads/rt-priority", -EINVAL, CKPT_REC_THREAD, 1,
	       "priority 0 under policy 1", TH(1)->policy = 1);
	MUT_OF(&thr, "threads/nice", -EINVAL, CKPT_REC_THREAD, 1,
	       "nice 20 is not in -20..19", TH(1)->nice = 20);
	MUT_OF(&thr, "threads/robust", -EINVAL, CKPT_REC_THREAD, 1,
	       "not a user address", TH(1)->robust_list = UMAX);
	MUT_OF(&thr, "threads/blocked", -EINVAL, CKPT_REC_THREAD, 1,
	       "blocks SIGKILL", TH(1)->blocked |= 1ULL << 8);
	MUT_OF(&thr, "threads/nested-type", -EINVAL, CKPT_REC_THREAD, 1,
	       "thread 4322: no whole CPU record",
	       TH_CPU(1)->h.type = CKPT_REC_XSTATE);
	MUT_OF(&thr, "threads/nested-cpu", -EINVAL, CKPT_REC_THREAD, 1,
	       "cs 0x10", TH_CPU(1)->cs = 0x10);
	MUT_OF(&thr, "threads/nested-len", -EINVAL, CKPT_REC_THREAD, 1,
	       "no whole CPU record", TH_CPU(1)->h.len = 0x10000);
	MUT_OF(&thr, "threads/pending-more", -EINVAL, CKPT_REC_THREAD, 1,
	       "no whole SIGPENDING record", TH(1)->nr_pending = 2);
	MUT_OF(&thr, "threads/pending-fewer", -EINVAL, CKPT_REC_THREAD, 1,
	       "bytes after its 0 pending signals", TH(1)->nr_pending = 0);
	MUT_OF(&thr, "threads/pending-shared", -EINVAL, CKPT_REC_THREAD, 1,
	       "a process-wide signal among its own",
	       ((struct ckpt_rec_sigpending *)((u8 *)TH(1) + TH(1)->h.len -
		sizeof(struct ckpt_rec_sigpending)))->shared = 1);
	MUT_OF(&thr, "timers/order", -EINVAL, CKPT_REC_TIMER, 1,
	       "timer id 0: negative, above 65535, or not above 0", TM(1)->id = 0);
	MUT_OF(&thr, "timers/id-max", -EINVAL, CKPT_REC_TIMER, 1,
	       "timer id 65536: negative, above 65535", TM(1)->id = 65536);
	MUT_OF(&thr, "timers/negative", -EINVAL, CKPT_REC_TIMER, 0,
	       "timer id -1", TM(0)->id = -1);
	MUT_OF(&thr, "timers/clock", -EINVAL, CKPT_REC_TIMER, 0,
	       "timer 0: clock -6", TM(0)->clock = -6);
	MUT_OF(&thr, "timers/notify", -EINVAL, CKPT_REC_TIMER, 0,
	       "sigev_notify 2", TM(0)->notify = 2);
	MUT_OF(&thr, "timers/signo", -EINVAL, CKPT_REC_TIMER, 0,
	       "timer 0: signal 65", TM(0)->signo = 65);
	MUT_OF(&thr, "timers/tid", -EINVAL, CKPT_REC_TIMER, 1,
	       "tid 0 with sigev_notify 4", TM(1)->tid = 0);
	MUT_OF(&thr, "timers/value", -EINVAL, CKPT_REC_TIMER, 0,
	       "out of range", TM(0)->value_ns = ~0ULL);
	MUT_OF(&thr, "seccomp/leader-first", -EINVAL, CKPT_REC_SECCOMP, 1,
	       "tid 4321: the leader's record first", SC(1)->tid = 4321);
	MUT_OF(&thr, "seccomp/ascending", -EINVAL, CKPT_REC_SECCOMP, 2,
	       "tid 4322: the leader's record first, then ascending tid",
	       SC(2)->tid = 4322);
	MUT_OF(&thr, "seccomp/tid", -EINVAL, CKPT_REC_SECCOMP, 2, "tid 0",
	       SC(2)->tid = 0);
	MUT_OF(&thr, "seccomp/mode", -EINVAL, CKPT_REC_SECCOMP, 2,
	       "thread 4330: seccomp mode 3", SC(2)->mode = 3);
	MUT_OF(&thr, "seccomp/strict-filters", -EINVAL, CKPT_REC_SECCOMP, 2,
	       "thread 4330: filters in strict mode", SC(2)->nr_filters = 1);
	MUT_OF(&thr, "seccomp/no-filters", -EINVAL, CKPT_REC_SECCOMP, 0,
	       "thread 4321: 0 filters", SC(0)->nr_filters = 0);
	MUT_OF(&thr, "seccomp/more-filters", -EINVAL, CKPT_REC_SECCOMP, 0,
	       "thread 4321: filter 2 of 3 is cut short",
	       SC(0)->nr_filters = 3);
	MUT_OF(&thr, "seccomp/fewer-filters", -EINVAL, CKPT_REC_SECCOMP, 0,
	       "thread 4321: 24 bytes after its 1 filters",
	       SC(0)->nr_filters = 1);
	MUT_OF(&thr, "seccomp/filter-len", -EINVAL, CKPT_REC_SECCOMP, 0,
	       "thread 4321: filter 0: 0 instructions, not 1..4096",
	       SC_F(0)->len = 0);
	MUT_OF(&thr, "seccomp/filter-long", -EINVAL, CKPT_REC_SECCOMP, 0,
	       "thread 4321: filter 0 of 2 is cut short", SC_F(0)->len = 4096);
	MUT_OF(&thr, "seccomp/filter-flags", -EINVAL, CKPT_REC_SECCOMP, 0,
	       "thread 4321: filter 0: flags 0x4", SC_F(0)->flags = 4);
	MUT_OF(&thr, "seccomp/same-self", -EINVAL, CKPT_REC_SECCOMP, 1,
	       "thread 4322: the filters of thread 4322", SC(1)->same_as = 4322);
	MUT_OF(&thr, "seccomp/before-timer", -EINVAL, CKPT_REC_TIMER, 1,
	       "out of order: TIMER after SECCOMP",
	       timg_move(&m, find(&m, CKPT_REC_SECCOMP, 0),
			 find(&m, CKPT_REC_TIMER, 1)));
	MUT_OF(&thr, "timers/before-thread", -EINVAL, CKPT_REC_THREAD, 2,
	       "out of order: THREAD after TIMER",
	       timg_move(&m, find(&m, CKPT_REC_TIMER, 0),
			 find(&m, CKPT_REC_THREAD, 2)));
	MUT_OF(&thr, "threads/after-mm", -EINVAL, CKPT_REC_THREAD, 2,
	       "out of order: THREAD after MM",
	       timg_move(&m, find(&m, CKPT_REC_THREAD, 2),
			 find(&m, CKPT_REC_MM, 0)));
	timg_free(&thr);
}

static void test_mm_vma(void)
{
#define MM	R(ckpt_rec_mm, CKPT_REC_MM, 0)
	MUT("mm/code-order", -EINVAL, CKPT_REC_MM, 0,
	    "start_code 0x400000 is above end_code 0x3ff000",
	    MM->end_code = 0x3ff000);
	MUT("mm/brk-order", -EINVAL, CKPT_REC_MM, 0, "start_brk", MM->brk = 0);
	MUT("mm/env-order", -EINVAL, CKPT_REC_MM, 0, "env_start",
	    MM->env_end = 1);
	MUT("mm/kernel-address", -EINVAL, CKPT_REC_MM, 0,
	    "arg_end 0xffffffffff600000 is not a user address",
	    MM->arg_end = 0xffffffffff600000ULL);
	MUT("mm/vdso-align", -EINVAL, CKPT_REC_MM, 0, "not page-aligned",
	    MM->vdso += 8);
	MUT("mm/auxv-no-null", -EINVAL, CKPT_REC_MM, 0, "no AT_NULL",
	    { int i_; for (i_ = 0; i_ < 64; i_ += 2) MM->auxv[i_] = 6; });
	MUT("mm/auxv-after-null", -EINVAL, CKPT_REC_MM, 0,
	    "auxv word 63 after the AT_NULL at 4", MM->auxv[63] = 1);
	MUT("mm/exe-len", -EINVAL, CKPT_REC_MM, 0, "does not match its exe_len",
	    MM->exe_len = 40);
	MUT("mm/exe-nul", -EINVAL, CKPT_REC_MM, 0, "exe path is not NUL",
	    MM->exe[15] = 'x');
	MUT("mm/pad", -EINVAL, CKPT_REC_MM, 0, "__pad", MM->__pad = 1);
#undef MM
#define V(n)	R(ckpt_rec_vma, CKPT_REC_VMA, n)
	MUT("vma/empty", -EINVAL, CKPT_REC_VMA, 2,
	    "end 0x602000 is not above start 0x602000", V(2)->end = 0x602000);
	MUT("vma/inverted", -EINVAL, CKPT_REC_VMA, 2,
	    "end 0x1000 is not above start 0x602000", V(2)->end = 0x1000);
	MUT("vma/align", -EINVAL, CKPT_REC_VMA, 1, "not page-aligned",
	    V(1)->start += 0x10);
	MUT("vma/overlap", -EINVAL, CKPT_REC_VMA, 1,
	    "start 0x401000 is below the end 0x402000 of the previous VMA",
	    V(1)->start = 0x401000);
	MUT("vma/unsorted", -EINVAL, CKPT_REC_VMA, 3, "sorted and disjoint",
	    timg_move(&m, find(&m, CKPT_REC_VMA, 0), find(&m, CKPT_REC_VMA, 3)));
	MUT("vma/beyond-user", -EINVAL, CKPT_REC_VMA, 7, "beyond user space",
	    V(7)->end = UMAX + 4096);
	MUT("vma/kind-0", -EINVAL, CKPT_REC_VMA, 2, "unknown kind 0",
	    V(2)->kind = 0);
	MUT("vma/kind-7", -EINVAL, CKPT_REC_VMA, 2, "unknown kind 7",
	    V(2)->kind = 7);
	MUT("vma/prot", -EINVAL, CKPT_REC_VMA, 2, "prot 0x8", V(2)->prot = 8);
	MUT("vma/flags", -EINVAL, CKPT_REC_VMA, 2, "unknown flags 0x800",
	    V(2)->flags = 0x800);
	MUT("vma/huge-and-nohuge", -EINVAL, CKPT_REC_VMA, 2,
	    "both huge pages and no huge pages",
	    V(2)->flags = CKPT_VMA_HUGEPAGE | CKPT_VMA_NOHUGEPAGE);
	MUT("vma/seq-and-rand", -EINVAL, CKPT_REC_VMA, 2,
	    "both sequential and random",
	    V(2)->flags = CKPT_VMA_SEQ_READ | CKPT_VMA_RAND_READ);
	MUT("vma/wipeonfork-on-file", -EINVAL, CKPT_REC_VMA, 0,
	    "a FILE_PRIVATE VMA cannot be wiped on fork",
	    V(0)->flags = CKPT_VMA_WIPEONFORK);
	MUT("vma/stack-on-file", -EINVAL, CKPT_REC_VMA, 0,
	    "a FILE_PRIVATE VMA cannot be a stack",
	    V(0)->flags = CKPT_VMA_GROWSDOWN);
	MUT("vma/stack-and-heap", -EINVAL, CKPT_REC_VMA, 2, "both",
	    V(2)->flags = 3);
	MUT("vma/shared-id", -EINVAL, CKPT_REC_VMA, 2, "shared_id 4 on a ANON",
	    V(2)->shared_id = 4);
	MUT("vma/pgoff", -EINVAL, CKPT_REC_VMA, 0, "file offset overflows",
	    V(0)->pgoff = ~0ULL >> 12);
	MUT("vma/file-no-path", -EINVAL, CKPT_REC_VMA, 4, "path is missing",
	    { V(4)->path_len = 0; V(4)->h.len = 64; });
	MUT("vma/path-len", -EINVAL, CKPT_REC_VMA, 0, "does not match",
	    V(0)->path_len = 30);
	MUT("vma/path-long", -EINVAL, CKPT_REC_VMA, 0, "outside",
	    V(0)->h.len = 64 + 8192);
	MUT("vma/path-nul", -EINVAL, CKPT_REC_VMA, 4, "has a NUL at byte 4",
	    V(4)->path[4] = 0);
	MUT("vma/vdso", -EINVAL, CKPT_REC_VMA, 7,
	    "vDSO mapped at 0x7ffc10002000, but the MM record says 0x7ffc10001000",
	    R(ckpt_rec_mm, CKPT_REC_MM, 0)->vdso = VDSO - 4096);
	MUT("vma/padding", -EINVAL, CKPT_REC_VMA, 4, "padding byte",
	    V(4)->path[15] = 'x');
#undef V
}

/* FILE 0 of the valid image made an anonymous file of @kind, @state. */
/* FILE 0 made of @kind: the file @path (or NULL), then @len bytes of state. */
static void to_made(struct timg *m, u32 kind, const char *path,
		    const void *state, u32 len)
{
	struct trec *t = &m->r[find(m, CKPT_REC_FILE, 0)];
	u32 plen = path ? strlen(path) + 1 : 0;
	u32 size = ALIGN8(sizeof(struct ckpt_rec_file) + plen + len);
	struct ckpt_rec_file *f;

	t->buf = realloc(t->buf, size);
	if (!t->buf)
		abort();
	f = (struct ckpt_rec_file *)t->buf;
	memset(f->data, 0, size - sizeof(*f));
	t->len = size;
	f->h.len = size;	/* a path makes it ragged: padded */
	f->kind = kind;
	f->path_len = plen;
	f->data_len = len;
	if (plen)
		memcpy(f->data, path, plen);
	if (len)
		memcpy(f->data + plen, state, len);
}

static void to_anon(struct timg *m, u32 kind, const void *state, u32 len)
{
	to_made(m, kind, NULL, state, len);
}

static void to_eventfd(struct timg *m, u64 count, u32 flags)
{
	struct ckpt_file_eventfd e = { .count = count, .flags = flags };

	to_anon(m, CKPT_FILE_EVENTFD, &e, sizeof(e));
}

static void to_signalfd(struct timg *m, u64 mask)
{
	struct ckpt_file_signalfd sf = { .mask = mask };

	to_anon(m, CKPT_FILE_SIGNALFD, &sf, sizeof(sf));
}

static void to_timerfd(struct timg *m, s32 clockid, u32 flags, u64 value,
		       u64 interval)
{
	struct ckpt_file_timerfd t = { .clockid = clockid, .flags = flags,
				       .ticks = 3, .value_ns = value,
				       .interval_ns = interval };

	to_anon(m, CKPT_FILE_TIMERFD, &t, sizeof(t));
}

/* FILE 0 made a socket of state @st, bound to the file @path (or NULL). */
static void to_socket(struct timg *m, struct ckpt_file_socket st,
		      const char *path)
{
	struct ckpt_rec_file *f;

	to_made(m, CKPT_FILE_SOCKET, path, &st, sizeof(st));
	f = (struct ckpt_rec_file *)m->r[find(m, CKPT_REC_FILE, 0)].buf;
	f->flags = 2;	/* O_RDWR */
	f->pos = 0;
}

/*
 * FILE 0 made a unix socketpair end of @type (1 stream, 2 dgram, 5
 * seqpacket), pipe_id 9, with the @len bytes at @q waiting after its
 * state.
 */
static void to_pair_waiting(struct timg *m, u16 type, const void *q, u32 len)
{
	struct ckpt_file_socket st = {
		.family = 1, .type = type, .state = CKPT_SOCK_PAIR,
	};
	u8 buf[sizeof(st) + 64];
	struct ckpt_rec_file *f;

	memcpy(buf, &st, sizeof(st));
	memcpy(buf + sizeof(st), q, len);
	to_made(m, CKPT_FILE_SOCKET, NULL, buf, sizeof(st) + len);
	f = (struct ckpt_rec_file *)m->r[find(m, CKPT_REC_FILE, 0)].buf;
	f->flags = 2;	/* O_RDWR */
	f->pos = 0;
	f->pipe_id = 9;
}

/* Two messages, of 3 bytes and none, as a dgram socketpair end keeps them. */
static const u8 two_msgs[] = { 3, 0, 0, 0, 'a', 'b', 'c', 0, 0, 0, 0 };
/* A message that says it is 4 GiB long, in a record of 1 byte more. */
static const u8 huge_msg[] = { 0xff, 0xff, 0xff, 0xff, 'x' };

/* A TCP server's options: redis's keepalive, a timeout, reno. */
static struct ckpt_sock_opts server_opts(void)
{
	struct ckpt_sock_opts o = {
		.keepidle = 300, .keepintvl = 100, .keepcnt = 3,
		.user_timeout = 30000, .rcvtimeo_us = 1500000, .rcvlowat = 1,
		.flags = CKPT_SOCKOPT_LINGER, .linger = 4, .tos = 0x10,
		.congestion = "reno",
	};

	return o;
}

/* FILE 0 made socket @st with its options @o (CKPT_SOCK_OPTS set). */
static void to_socket_opts(struct timg *m, struct ckpt_file_socket st,
			   struct ckpt_sock_opts o, size_t cut)
{
	u8 buf[sizeof(st) + sizeof(o)];
	struct ckpt_rec_file *f;

	st.flags |= CKPT_SOCK_OPTS;
	memcpy(buf, &st, sizeof(st));
	memcpy(buf + sizeof(st), &o, sizeof(o));
	to_made(m, CKPT_FILE_SOCKET, NULL, buf, sizeof(buf) - cut);
	f = (struct ckpt_rec_file *)m->r[find(m, CKPT_REC_FILE, 0)].buf;
	f->flags = 2;	/* O_RDWR */
	f->pos = 0;
}

/* A TCP socket listening on 127.0.0.1:8080 with SO_REUSEADDR. */
static struct ckpt_file_socket tcp_listener(void)
{
	struct ckpt_file_socket st = {
		.family = 2, .type = 1, .protocol = 6, .state = CKPT_SOCK_LISTEN,
		.flags = CKPT_SOCK_REUSEADDR, .backlog = 128, .addr_len = 16,
		.addr = { 2, 0, 0x1f, 0x90, 127, 0, 0, 1 },
	};

	return st;
}

/*
 * A TCP connection 127.0.0.1:8080 to 127.0.0.1:40000: 4 bytes in its send
 * queue (2 not sent yet), 3 in its receive queue.
 */
static struct ckpt_tcp_conn tcp_conn(void)
{
	struct ckpt_tcp_conn t = {
		.snd_una = 1000, .snd_nxt = 1002, .write_seq = 1004,
		.rcv_nxt = 5003, .sendq_len = 4, .recvq_len = 3, .mss = 1460,
		.timestamp = 12345, .options = 7, .snd_wscale = 7,
		.rcv_wscale = 7, .snd_wl1 = 5000, .snd_wnd = 65536,
		.max_window = 65536, .rcv_wnd = 65536, .rcv_wup = 5000,
	};

	return t;
}

/* FILE 0 made TCP connection @t (of state @state), @n bytes after its socket. */
static void to_tcp_conn(struct timg *m, struct ckpt_tcp_conn t, u16 state,
			u32 n)
{
	struct ckpt_file_socket st = {
		.family = 2, .type = 1, .protocol = 6, .state = state,
		.addr_len = 16, .addr = { 2, 0, 0x1f, 0x90, 127, 0, 0, 1 },
		.peer_len = 16, .peer = { 2, 0, 0x9c, 0x40, 127, 0, 0, 1 },
	};
	u8 buf[sizeof(st) + sizeof(t) + 16] = { 0 };
	struct ckpt_rec_file *f;

	memcpy(buf, &st, sizeof(st));
	memcpy(buf + sizeof(st), &t, sizeof(t));
	memcpy(buf + sizeof(st) + sizeof(t), "abcdxyz", 7);
	to_made(m, CKPT_FILE_SOCKET, NULL, buf, sizeof(st) + n);
	f = (struct ckpt_rec_file *)m->r[find(m, CKPT_REC_FILE, 0)].buf;
	f->flags = 2;	/* O_RDWR */
	f->pos = 0;
}

/* A unix stream socket listening on the file "x.sk", of mode 0600. */
static struct ckpt_file_socket unix_listener(void)
{
	struct ckpt_file_socket st = {
		.family = 1, .type = 1, .state = CKPT_SOCK_LISTEN, .backlog = 5,
		.addr_len = 7, .addr = { 1, 0, 'x', '.', 's', 'k', 0 },
		.mode = 0600,
	};

	return st;
}

/*
 * FILE 0 made an epoll of two targets: fd 7 of FILE 3, then fd 8 of FILE
 * 3, target @which's events @events and, unless 0, its FILE @file.
 */
static void to_epoll(struct timg *m, int which, u32 events, u32 file)
{
	struct ckpt_epoll_target t[2] = {
		{ .tfd = 7, .file_id = 3, .events = 1, .data = 0x1111 },
		{ .tfd = 8, .file_id = 3, .events = 4, .data = 0x2222 },
	};

	t[which].events = events;
	if (file)
		t[which].file_id = file;
	to_anon(m, CKPT_FILE_EPOLL, t, sizeof(t));
}

static void test_files_pages(void)
{
#define F(n)	R(ckpt_rec_file, CKPT_REC_FILE, n)
#define FD(n)	R(ckpt_rec_fd, CKPT_REC_FD, n)
#define P(n)	R(ckpt_rec_pages, CKPT_REC_PAGES, n)
	MUT("file/kind", -EINVAL, CKPT_REC_FILE, 0, "unknown kind 12",
	    F(0)->kind = 12);
	MUT("file/flags", -EINVAL, CKPT_REC_FILE, 0, "unknown bits 0100",
	    F(0)->flags |= 0100);
	MUT("file/dir-write", -EINVAL, CKPT_REC_FILE, 0, "directory",
	    F(0)->kind = CKPT_FILE_DIR);
	MUT("file/pos", -EINVAL, CKPT_REC_FILE, 2, "position",
	    F(2)->pos = 1ULL << 63);
	MUT("file/chr-no-path", -EINVAL, CKPT_REC_FILE, 0, "path is missing",
	    { F(0)->path_len = 0; F(0)->h.len = 56; });
	MUT("file/pipe-data-on-reg", -EINVAL, CKPT_REC_FILE, 1,
	    "a REG file with pipe_id 7 and 5 bytes of pipe data",
	    F(1)->kind = CKPT_FILE_REG);
	MUT("file/reg-with-data", -EINVAL, CKPT_REC_FILE, 2, "pipe data",
	    F(2)->pipe_id = 1);
	MUT("file/eventfd", 0, 0, 0, NULL,
	    (to_eventfd(&m, ~0ULL - 1, CKPT_EVENTFD_SEMAPHORE)));
	MUT("file/eventfd-overflowed", -EINVAL, CKPT_REC_FILE, 0,
	    "an eventfd count of 0xffffffffffffffff", (to_eventfd(&m, ~0ULL, 0)));
	MUT("file/eventfd-flags", -EINVAL, CKPT_REC_FILE, 0,
	    "eventfd flags 0x2 have unknown bits", (to_eventfd(&m, 1, 2)));
	MUT("file/eventfd-read-only", -EINVAL, CKPT_REC_FILE, 0,
	    "an eventfd of access mode 0, not O_RDWR",
	    { (to_eventfd(&m, 1, 0)); F(0)->flags = 0; });
	MUT("file/eventfd-with-path", -EINVAL, CKPT_REC_FILE, 0,
	    "an eventfd with path_len 10, pipe_id 0 and position 0",
	    F(0)->kind = CKPT_FILE_EVENTFD);
	MUT("file/signalfd", 0, 0, 0, NULL,
	    (to_signalfd(&m, (1ULL << 11) | (1ULL << 34))));
	MUT("file/signalfd-sigkill", -EINVAL, CKPT_REC_FILE, 0,
	    "a signalfd for SIGKILL or SIGSTOP", (to_signalfd(&m, 1ULL << 8)));
	MUT("file/timerfd", 0, 0, 0, NULL,
	    (to_timerfd(&m, 0, 3, 1000000000ULL, 5000000ULL)));
	MUT("file/timerfd-boottime-alarm", 0, 0, 0, NULL,
	    (to_timerfd(&m, 9, 0, 0, 0)));
	MUT("file/timerfd-clock", -EINVAL, CKPT_REC_FILE, 0,
	    "a timerfd on clock 2, which timerfds do not use",
	    (to_timerfd(&m, 2, 0, 0, 0)));
	MUT("file/timerfd-flags", -EINVAL, CKPT_REC_FILE, 0,
	    "timerfd flags 0x4 have unknown bits", (to_timerfd(&m, 1, 4, 0, 0)));
	MUT("file/timerfd-far", -EINVAL, CKPT_REC_FILE, 0,
	    "a timerfd 1 ns from expiry, interval 18446744073709551615 ns",
	    (to_timerfd(&m, 1, 0, 1, ~0ULL)));
	MUT("file/timerfd-as-signalfd", -EINVAL, CKPT_REC_FILE, 0,
	    "a signalfd with 32 bytes of state, not 8",
	    { (to_timerfd(&m, 1, 0, 0, 0)); F(0)->kind = CKPT_FILE_SIGNALFD; });
	MUT("file/epoll", 0, 0, 0, NULL, (to_epoll(&m, 0, 0x80000001U, 3)));
	MUT("file/epoll-empty", 0, 0, 0, NULL,
	    (to_anon(&m, CKPT_FILE_EPOLL, NULL, 0)));
	MUT("file/epoll-events", -EINVAL, CKPT_REC_FILE, 0,
	    "epoll target 1: events 0x4000 have unknown bits",
	    (to_epoll(&m, 1, 0x4000, 3)));
	MUT("file/epoll-self", -EINVAL, CKPT_REC_FILE, 0,
	    "epoll target 0: fd 7 of file 1 is not a target",
	    (to_epoll(&m, 0, 1, 1)));
	MUT("file/epoll-ragged", -EINVAL, CKPT_REC_FILE, 0,
	    "an epoll with 16 bytes of targets, not a multiple of 24",
	    (to_anon(&m, CKPT_FILE_EPOLL, "123456789012345", 16)));
	MUT("file/socket-opts", 0, 0, 0, NULL,
	    (to_socket_opts(&m, tcp_listener(), server_opts(), 0)));
	MUT("file/socket-opts-short", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket with options in",
	    (to_socket_opts(&m, tcp_listener(), server_opts(), 8)));
	MUT("file/socket-opts-flags", -EINVAL, CKPT_REC_FILE, 0,
	    "socket options out of range: flags 0x5",
	    { struct ckpt_sock_opts o = server_opts(); o.flags |= 4;
	      (to_socket_opts(&m, tcp_listener(), o, 0)); });
	MUT("file/socket-opts-linger-off", -EINVAL, CKPT_REC_FILE, 0,
	    "socket options out of range: flags 0x0 linger 4",
	    { struct ckpt_sock_opts o = server_opts(); o.flags = 0;
	      (to_socket_opts(&m, tcp_listener(), o, 0)); });
	MUT("file/socket-opts-keepcnt", -EINVAL, CKPT_REC_FILE, 0,
	    "TCP options out of range: keepalive 300/100/128",
	    { struct ckpt_sock_opts o = server_opts(); o.keepcnt = 128;
	      (to_socket_opts(&m, tcp_listener(), o, 0)); });
	MUT("file/socket-opts-tcp-on-udp", -EINVAL, CKPT_REC_FILE, 0,
	    "TCP options on a socket that is not TCP",
	    { struct ckpt_file_socket st = tcp_listener(); st.type = 2;
	      st.protocol = 17; st.state = CKPT_SOCK_CLOSED; st.backlog = 0;
	      (to_socket_opts(&m, st, server_opts(), 0)); });
	MUT("file/socket-opts-congestion", -EINVAL, CKPT_REC_FILE, 0,
	    "congestion is not NUL-terminated",
	    { struct ckpt_sock_opts o = server_opts();
	      memset(o.congestion, 'x', sizeof(o.congestion));
	      (to_socket_opts(&m, tcp_listener(), o, 0)); });
	MUT("file/socket-opts-pad", -EINVAL, CKPT_REC_FILE, 0,
	    "socket options' __pad",
	    { struct ckpt_sock_opts o = server_opts(); o.__pad = 1;
	      (to_socket_opts(&m, tcp_listener(), o, 0)); });
	MUT("file/socket-tcp-listen", 0, 0, 0, NULL,
	    (to_socket(&m, tcp_listener(), NULL)));
	MUT("file/socket-unix-file", 0, 0, 0, NULL,
	    (to_socket(&m, unix_listener(), "/tmp/x.sk")));
	MUT("file/socket-unix-no-file", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket bound to a socket file, with path_len 0 and mode 0600",
	    (to_socket(&m, unix_listener(), NULL)));
	MUT("file/socket-unix-relative-file", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket bound to a socket file, with path_len 5 and mode 0600",
	    (to_socket(&m, unix_listener(), "x.sk")));
	MUT("file/socket-raw", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket of family 2, type 3, protocol 6",
	    { struct ckpt_file_socket st = tcp_listener(); st.type = 3;
	      (to_socket(&m, st, NULL)); });
	MUT("file/socket-listening-udp", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket of type 2 in state 2",
	    { struct ckpt_file_socket st = tcp_listener(); st.type = 2;
	      st.protocol = 17; (to_socket(&m, st, NULL)); });
	MUT("file/socket-v6only-v4", -EINVAL, CKPT_REC_FILE, 0,
	    "socket flags 0x5 have unknown bits",
	    { struct ckpt_file_socket st = tcp_listener();
	      st.flags |= CKPT_SOCK_V6ONLY; (to_socket(&m, st, NULL)); });
	MUT("file/socket-addr-family", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket address of family 10 in a socket of family 2",
	    { struct ckpt_file_socket st = tcp_listener(); st.addr[0] = 10;
	      (to_socket(&m, st, NULL)); });
	MUT("file/socket-addr-tail", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket address of 16 bytes with byte 20 set",
	    { struct ckpt_file_socket st = tcp_listener(); st.addr[20] = 1;
	      (to_socket(&m, st, NULL)); });
	MUT("file/socket-connected-no-peer", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket in state 3 with address 16 and peer 0 bytes",
	    { struct ckpt_file_socket st = tcp_listener(); st.type = 2;
	      st.protocol = 17; st.state = CKPT_SOCK_CONNECTED; st.backlog = 0;
	      (to_socket(&m, st, NULL)); });
	MUT("file/socket-closed-backlog", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket in state 1 with a backlog of 128",
	    { struct ckpt_file_socket st = tcp_listener();
	      st.state = CKPT_SOCK_CLOSED; (to_socket(&m, st, NULL)); });
	MUT("file/socket-pair", 0, 0, 0, NULL,
	    { struct ckpt_file_socket st = unix_listener();
	      st.state = CKPT_SOCK_PAIR; st.backlog = 0; st.addr_len = 0;
	      st.mode = 0; memset(st.addr, 0, sizeof(st.addr));
	      (to_socket(&m, st, NULL)); F(0)->pipe_id = 9; });
	MUT("file/socket-pair-stream-bytes", 0, 0, 0, NULL,
	    (to_pair_waiting(&m, 1, "abc", 3)));
	MUT("file/socket-pair-dgram-msgs", 0, 0, 0, NULL,
	    (to_pair_waiting(&m, 2, two_msgs, sizeof(two_msgs))));
	MUT("file/socket-pair-seqpacket-msgs", 0, 0, 0, NULL,
	    (to_pair_waiting(&m, 5, two_msgs, sizeof(two_msgs))));
	MUT("file/socket-pair-msg-past-end", -EINVAL, CKPT_REC_FILE, 0,
	    "socketpair message 0: 3 bytes, past the record's 2",
	    (to_pair_waiting(&m, 2, two_msgs, 6)));
	MUT("file/socket-pair-msg-header-cut", -EINVAL, CKPT_REC_FILE, 0,
	    "socketpair message 1: 2 bytes for its header, not 4",
	    (to_pair_waiting(&m, 5, two_msgs, 9)));
	MUT("file/socket-pair-msg-huge", -EINVAL, CKPT_REC_FILE, 0,
	    "socketpair message 0: 4294967295 bytes, past the record's 1",
	    (to_pair_waiting(&m, 2, huge_msg, sizeof(huge_msg))));
	MUT("file/socket-passcred", 0, 0, 0, NULL,
	    { struct ckpt_file_socket st = unix_listener();
	      st.flags |= CKPT_SOCK_PASSCRED; (to_socket(&m, st, "/tmp/x.sk")); });
	MUT("file/socket-flags-unknown", -EINVAL, CKPT_REC_FILE, 0,
	    "socket flags 0x400 have unknown bits",
	    { struct ckpt_file_socket st = unix_listener(); st.flags = 0x400;
	      (to_socket(&m, st, "/tmp/x.sk")); });
	MUT("file/socket-pair-unpaired", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket in state 4, pipe_id 0, address 0 bytes",
	    { struct ckpt_file_socket st = unix_listener();
	      st.state = CKPT_SOCK_PAIR; st.backlog = 0; st.addr_len = 0;
	      st.mode = 0; memset(st.addr, 0, sizeof(st.addr));
	      (to_socket(&m, st, NULL)); });
	MUT("file/socket-listen-paired", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket in state 2, pipe_id 9, address 16 bytes",
	    { (to_socket(&m, tcp_listener(), NULL)); F(0)->pipe_id = 9; });
	MUT("file/socket-position", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket with position 5, access mode 2",
	    { (to_socket(&m, tcp_listener(), NULL)); F(0)->pos = 5; });
	MUT("file/socket-listener-with-bytes", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket of type 1 in state 2 with 8 bytes waiting",
	    { struct ckpt_file_socket st[2] = { tcp_listener() };
	      to_made(&m, CKPT_FILE_SOCKET, NULL, st, sizeof(st[0]) + 8);
	      F(0)->flags = 2; F(0)->pos = 0; });
	MUT("file/socket-tcp-established", 0, 0, 0, NULL,
	    (to_tcp_conn(&m, tcp_conn(), CKPT_SOCK_ESTABLISHED, 71)));
	MUT("file/socket-tcp-conn-short", -EINVAL, CKPT_REC_FILE, 0,
	    "a TCP connection with 8 bytes of state, not 64",
	    (to_tcp_conn(&m, tcp_conn(), CKPT_SOCK_ESTABLISHED, 8)));
	MUT("file/socket-tcp-queues-short", -EINVAL, CKPT_REC_FILE, 0,
	    "a TCP connection with queues of 4 and 3 bytes in 6",
	    (to_tcp_conn(&m, tcp_conn(), CKPT_SOCK_ESTABLISHED, 70)));
	MUT("file/socket-tcp-queues-huge", -EINVAL, CKPT_REC_FILE, 0,
	    "a TCP connection with queues of 4 and 4294967295 bytes in 7",
	    { struct ckpt_tcp_conn t = tcp_conn(); t.recvq_len = ~0U;
	      (to_tcp_conn(&m, t, CKPT_SOCK_ESTABLISHED, 71)); });
	MUT("file/socket-tcp-sendq-seq", -EINVAL, CKPT_REC_FILE, 0,
	    "a TCP send queue of 4 bytes from 1000, sent to 1002, ending at 1005",
	    { struct ckpt_tcp_conn t = tcp_conn(); t.write_seq = 1005;
	      (to_tcp_conn(&m, t, CKPT_SOCK_ESTABLISHED, 71)); });
	MUT("file/socket-tcp-sent-past-end", -EINVAL, CKPT_REC_FILE, 0,
	    "a TCP send queue of 4 bytes from 1000, sent to 999, ending at 1004",
	    { struct ckpt_tcp_conn t = tcp_conn(); t.snd_nxt = 999;
	      (to_tcp_conn(&m, t, CKPT_SOCK_ESTABLISHED, 71)); });
	MUT("file/socket-tcp-wscale", -EINVAL, CKPT_REC_FILE, 0,
	    "TCP options 0x7, window scales 15 and 7, timestamp 12345, mss 1460",
	    { struct ckpt_tcp_conn t = tcp_conn(); t.snd_wscale = 15;
	      (to_tcp_conn(&m, t, CKPT_SOCK_ESTABLISHED, 71)); });
	MUT("file/socket-tcp-mss-zero", -EINVAL, CKPT_REC_FILE, 0,
	    "TCP options 0x7, window scales 7 and 7, timestamp 12345, mss 0",
	    { struct ckpt_tcp_conn t = tcp_conn(); t.mss = 0;
	      (to_tcp_conn(&m, t, CKPT_SOCK_ESTABLISHED, 71)); });
	MUT("file/socket-tcp-window", -EINVAL, CKPT_REC_FILE, 0,
	    "a TCP window update at 5000, window 65536 from 5004, received to 5003",
	    { struct ckpt_tcp_conn t = tcp_conn(); t.rcv_wup = 5004;
	      (to_tcp_conn(&m, t, CKPT_SOCK_ESTABLISHED, 71)); });
	MUT("file/socket-tcp-pad", -EINVAL, CKPT_REC_FILE, 0,
	    "TCP options 0x7, window scales 7 and 7, timestamp 12345, mss 1460",
	    { struct ckpt_tcp_conn t = tcp_conn(); t.__pad[1] = 1;
	      (to_tcp_conn(&m, t, CKPT_SOCK_ESTABLISHED, 71)); });
	MUT("file/socket-connected-tcp-bytes", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket of type 1 in state 3 with 71 bytes waiting",
	    (to_tcp_conn(&m, tcp_conn(), CKPT_SOCK_CONNECTED, 71)));
	MUT("file/socket-established-udp", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket of type 2 in state 5",
	    { (to_tcp_conn(&m, tcp_conn(), CKPT_SOCK_ESTABLISHED, 71));
	      ((struct ckpt_file_socket *)F(0)->data)->type = 2;
	      ((struct ckpt_file_socket *)F(0)->data)->protocol = 17; });
	MUT("file/socket-established-no-peer", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket in state 5 with address 16 and peer 0 bytes",
	    { (to_tcp_conn(&m, tcp_conn(), CKPT_SOCK_ESTABLISHED, 71));
	      ((struct ckpt_file_socket *)F(0)->data)->peer_len = 0;
	      memset(((struct ckpt_file_socket *)F(0)->data)->peer, 0,
		     CKPT_SOCKADDR_MAX); });
	MUT("file/socket-short", -EINVAL, CKPT_REC_FILE, 0,
	    "a socket with 8 bytes of state, not 296",
	    { (to_socket(&m, tcp_listener(), NULL)); F(0)->data_len = 8;
	      F(0)->h.len = 64; memset(F(0)->data + 8, 0, 8); });
	MUT("file/eventfd-short", -EINVAL, CKPT_REC_FILE, 0,
	    "an eventfd with 8 bytes of state, not 16",
	    { (to_eventfd(&m, 1, 0)); F(0)->data_len = 8; F(0)->h.len = 64;
	      memset(F(0)->data + 8, 0, 8); });
	MUT("file/len", -EINVAL, CKPT_REC_FILE, 1,
	    "does not match its path_len and data_len", F(1)->data_len = 99);
	MUT("file/twin-adjacent", -EINVAL, CKPT_REC_FILE, 1,
	    "id 1 is already used by record 17", F(1)->id = 1);
	MUT("file/twin-apart", -EINVAL, CKPT_REC_FILE, 2,
	    "id 3 is already used by record 17",
	    { F(0)->id = 3; FD(0)->file_id = 2; });
	MUT("fd/unsorted", -EINVAL, CKPT_REC_FD, 2, "follows fd 1",
	    FD(2)->fd = 1);
	MUT("fd/twin", -EINVAL, CKPT_REC_FD, 1, "fd 0 follows fd 0",
	    FD(1)->fd = 0);
	MUT("fd/no-file", -EINVAL, CKPT_REC_FD, 3,
	    "fd 5 refers to file id 4, which has no FILE record",
	    FD(3)->file_id = 4);
	MUT("fd/flags", -EINVAL, CKPT_REC_FD, 0, "unknown flags",
	    FD(0)->flags = 2);
	MUT("fd/range", -EINVAL, CKPT_REC_FD, 3, "not a descriptor",
	    FD(3)->fd = 0x80000000U);
	MUT("fd/pad", -EINVAL, CKPT_REC_FD, 0, "__pad", FD(0)->__pad = 1);

	MUT("pages/align", -EINVAL, CKPT_REC_PAGES, 0, "not page-aligned",
	    P(0)->vaddr += 8);
	MUT("pages/empty", -EINVAL, CKPT_REC_PAGES, 0, "empty run",
	    { P(0)->npages = 0; free(m.r[find(&m, CKPT_REC_PAGES, 0)].data);
	      m.r[find(&m, CKPT_REC_PAGES, 0)].data = NULL;
	      m.r[find(&m, CKPT_REC_PAGES, 0)].dlen = 0; });
	MUT("pages/huge", -EINVAL, CKPT_REC_PAGES, 0, "beyond user space",
	    P(0)->npages = 1ULL << 60);
	MUT("pages/huge-2", -EINVAL, CKPT_REC_PAGES, 2, "beyond user space",
	    P(2)->npages = (UMAX >> 12) - 1);
	MUT("pages/no-vma", -EINVAL, CKPT_REC_PAGES, 0,
	    "run at 0x500000 is not inside any VMA", P(0)->vaddr = 0x500000);
	MUT("pages/after-vmas", -EINVAL, CKPT_REC_PAGES, 2,
	    "not inside any VMA", P(2)->vaddr = 0x7ffd00000000ULL);
	MUT("pages/file-shared", -EINVAL, CKPT_REC_PAGES, 0,
	    "is in a FILE_SHARED VMA, which holds no page contents",
	    P(0)->vaddr = 0x7f0000010000ULL);
	MUT("pages/vdso", -EINVAL, CKPT_REC_PAGES, 2, "in a VDSO VMA",
	    P(2)->vaddr = VDSO);
	MUT("pages/straddle", -EINVAL, CKPT_REC_PAGES, 1,
	    "goes past the end of its VMA",
	    P(1)->vaddr = 0x7f0000003000ULL);
	MUT("pages/overlap", -EINVAL, CKPT_REC_PAGES, 2,
	    "starts below the end 0x7f0000002000 of the previous run",
	    P(2)->vaddr = 0x7f0000001000ULL);
	MUT("pages/unsorted", -EINVAL, CKPT_REC_PAGES, 2, "sorted and disjoint",
	    timg_move(&m, find(&m, CKPT_REC_PAGES, 0), m.n - 1));
#undef F
#undef FD
#undef P
}

/* CHANGED records, and PAGES runs of an incremental image. */
static void test_changed(void)
{
#define CH(n)	R(ckpt_rec_changed, CKPT_REC_CHANGED, n)
#define P(n)	R(ckpt_rec_pages, CKPT_REC_PAGES, n)
	static const u64 one[] = { 0x602000, 0x603000 };

	MUT("changed/in-full-image", -EINVAL, CKPT_REC_CHANGED, 0,
	    "a CHANGED record in a full image",
	    { add_changed(&m, one, 1);
	      timg_last_to(&m, find(&m, CKPT_REC_PAGES, 0)); });
	MUT_OF(&incr, "changed/nr-0", -EINVAL, CKPT_REC_CHANGED, 0,
	       "no ranges: nr is 0", { CH(0)->nr = 0; CH(0)->h.len = 16; });
	MUT_OF(&incr, "changed/nr-too-many", -EINVAL, CKPT_REC_CHANGED, 0,
	       "65537 ranges, at most 65536 in one record",
	       CH(0)->nr = CKPT_CHANGED_MAX_PER_REC + 1);
	MUT_OF(&incr, "changed/nr-huge", -EINVAL, CKPT_REC_CHANGED, 0,
	       "ranges, at most 65536", CH(0)->nr = 1ULL << 60);
	MUT_OF(&incr, "changed/len-short", -EINVAL, CKPT_REC_CHANGED, 1,
	       "length 64 does not match its 4 ranges: 16 + 4 * 16 is 80",
	       CH(1)->nr = 4);
	MUT_OF(&incr, "changed/len-long", -EINVAL, CKPT_REC_CHANGED, 1,
	       "length 64 does not match its 2 ranges: 16 + 2 * 16 is 48",
	       CH(1)->nr = 2);
	MUT_OF(&incr, "changed/len-beyond-max", -EINVAL, CKPT_REC_CHANGED, 0,
	       "length 1048600 is outside [16, 1048592]",
	       CH(0)->h.len = 1048600);
	MUT_OF(&incr, "changed/len-not-8", -EINVAL, CKPT_REC_CHANGED, 0,
	       "not a multiple of 8", CH(0)->h.len = 44);
	MUT_OF(&incr, "changed/align", -EINVAL, CKPT_REC_CHANGED, 0,
	       "range 1: 0x7f0000000000-0x7f0000004008 is not page-aligned",
	       CH(0)->range[1].end += 8);
	MUT_OF(&incr, "changed/empty", -EINVAL, CKPT_REC_CHANGED, 0,
	       "range 0: end 0x602000 is not above start 0x602000",
	       CH(0)->range[0].end = 0x602000);
	MUT_OF(&incr, "changed/inverted", -EINVAL, CKPT_REC_CHANGED, 1,
	       "range 2: end 0x1000 is not above start 0x7ffc00001000",
	       CH(1)->range[2].end = 0x1000);
	MUT_OF(&incr, "changed/beyond-user", -EINVAL, CKPT_REC_CHANGED, 1,
	       "range 2: end 0x800000000000 is beyond user space (0x7ffffffff000)",
	       CH(1)->range[2].end = UMAX + 4096);
	MUT_OF(&incr, "changed/overlap-in-record", -EINVAL, CKPT_REC_CHANGED, 1,
	       "range 2: start 0x7ffc00000000 is below the end 0x7ffc00001000 of the previous range: CHANGED ranges must be sorted and disjoint",
	       CH(1)->range[2].start = 0x7ffc00000000ULL);
	MUT_OF(&incr, "changed/unsorted-across-records", -EINVAL,
	       CKPT_REC_CHANGED, 1,
	       "range 0: start 0x7f0000003000 is below the end 0x7f0000004000 of the previous range",
	       CH(1)->range[0].start = 0x7f0000003000ULL);
	MUT_OF(&incr, "changed/records-swapped", -EINVAL, CKPT_REC_CHANGED, 1,
	       "range 0: start 0x602000 is below the end 0x7ffc00003000",
	       timg_move(&m, find(&m, CKPT_REC_CHANGED, 1),
			 find(&m, CKPT_REC_CHANGED, 0)));
	MUT_OF(&incr, "order/changed-after-pages", -EINVAL, CKPT_REC_CHANGED, 1,
	       "out of order: CHANGED after PAGES",
	       timg_move(&m, find(&m, CKPT_REC_CHANGED, 1),
			 find(&m, CKPT_REC_PAGES, 0)));
	MUT_OF(&incr, "order/fd-after-changed", -EINVAL, CKPT_REC_FD, 3,
	       "out of order: FD after CHANGED",
	       timg_move(&m, find(&m, CKPT_REC_FD, 3),
			 find(&m, CKPT_REC_CHANGED, 0)));
	MUT_OF(&incr, "order/file-after-changed", -EINVAL, CKPT_REC_FILE, 0,
	       "out of order: FILE after CHANGED",
	       timg_move(&m, find(&m, CKPT_REC_CHANGED, 0),
			 find(&m, CKPT_REC_FILE, 0)));

	MUT_OF(&incr, "pages/incr-outside", -EINVAL, CKPT_REC_PAGES, 0,
	       "run at 0x602000 is outside every CHANGED range",
	       { CH(0)->range[0].start = 0x7e0000000000ULL;
		 CH(0)->range[0].end = 0x7e0000001000ULL; });
	MUT_OF(&incr, "pages/incr-in-gap", -EINVAL, CKPT_REC_PAGES, 2,
	       "run at 0x7ffc00001000 is outside every CHANGED range",
	       CH(1)->range[2].start = 0x7ffc00002000ULL);
	MUT_OF(&incr, "pages/incr-after-ranges", -EINVAL, CKPT_REC_PAGES, 2,
	       "run at 0x7ffc00001000 is outside every CHANGED range",
	       { CH(1)->nr = 1; CH(1)->h.len = 32;
		 m.r[find(&m, CKPT_REC_CHANGED, 1)].len = 32; });
	MUT_OF(&incr, "pages/incr-past-range", -EINVAL, CKPT_REC_PAGES, 1,
	       "run 0x7f0000000000-0x7f0000002000 goes past the end of its CHANGED range 0x7f0000000000-0x7f0000001000",
	       CH(0)->range[1].end = 0x7f0000001000ULL);
	/* adjacent ranges are two ranges: a run may not span both */
	MUT_OF(&incr, "pages/incr-across-adjacent", -EINVAL, CKPT_REC_PAGES, 2,
	       "run 0x7ffc00000000-0x7ffc00002000 goes past the end of its CHANGED range 0x7ffc00000000-0x7ffc00001000",
	       P(2)->vaddr = 0x7ffc00000000ULL);
	MUT_OF(&incr, "pages/incr-no-changed", -EINVAL, CKPT_REC_PAGES, 0,
	       "run at 0x602000 in an incremental image without CHANGED records",
	       while (find(&m, CKPT_REC_CHANGED, 0) >= 0)
		   timg_del(&m, find(&m, CKPT_REC_CHANGED, 0)));
	/* the VMA checks still come first */
	MUT_OF(&incr, "pages/incr-vma-first", -EINVAL, CKPT_REC_PAGES, 0,
	       "not inside any VMA", P(0)->vaddr = 0x500000);
#undef CH
#undef P
}

/* Trailer fields, on the serialized image. */
static void test_trailer(void)
{
	static const struct {
		const char *name;
		int field;
		int err;
		const char *sub;
	} cases[] = {
		{ "trailer/records", 0, -EBADMSG, "counts 28 records, the stream has 27" },
		{ "trailer/bytes", 1, -EBADMSG, "bytes" },
		{ "trailer/crc", 2, -EBADMSG, "CRC32C mismatch" },
		{ "trailer/pad", 3, -EINVAL, "rec_crc32c" },
		{ "trailer/type", 4, -EINVAL, "length 32, must be 128" },
		{ "trailer/informational-byte", 5, -EBADMSG, "CRC32C mismatch" },
		{ "trailer/page-data-flip", 6, -EBADMSG, "CRC32C mismatch" },
	};
	struct ckpt_rec_trailer *t;
	char msg[IMG_ERR_LEN];
	size_t len, i;
	u8 *buf;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		buf = serialize(&base, &len, NULL);
		t = (struct ckpt_rec_trailer *)(buf + len - sizeof(*t));
		switch (cases[i].field) {
		case 0: t->nr_records++; break;
		case 1: t->nr_bytes--; break;
		case 2: t->crc32c ^= 0x100; break;
		case 3: t->rec_crc32c = 1; break;
		case 4: t->h.type = CKPT_REC_HEADER; break;
		case 5: buf[64] ^= 0x20; break;	/* header release[] */
		case 6: buf[len - sizeof(*t) - 100] ^= 1; break;
		}
		ret = read_mem(buf, len, 4096, 0, 0, msg, NULL);
		if (ret != cases[i].err || !strstr(msg, cases[i].sub))
			failf(cases[i].name, "got %s: %s", errname(ret), msg);
		else
			pass(cases[i].name);
		free(buf);
	}

	/* After the trailer: a record, or any byte. */
	buf = serialize(&base, &len, NULL);
	buf = realloc(buf, len + 8);
	memcpy(buf + len, buf, 8);
	ret = read_mem(buf, len + 8, 4096, 0, 0, msg, NULL);
	if (ret != -EINVAL || !strstr(msg, "after the trailer"))
		failf("trailer/data-after", "got %s: %s", errname(ret), msg);
	else
		pass("trailer/data-after");
	ret = read_mem(buf, len + 1, 4096, 0, 0, msg, NULL);
	if (ret != -EINVAL || !strstr(msg, "after the trailer"))
		failf("trailer/byte-after", "got %s: %s", errname(ret), msg);
	else
		pass("trailer/byte-after");
	free(buf);
}

/* Every truncation is ENODATA; every single bit flip is an error. */
static void test_truncate_flip(void)
{
	char msg[IMG_ERR_LEN];
	size_t len, cut, meta, off, n = 0, flips = 0;
	bool bad = false;
	u8 *buf = serialize(&base, &len, NULL);
	int ret;

	meta = 0;
	for (off = 0; off < (size_t)base.n; off++)
		if (((struct ckpt_hdr *)base.r[off].buf)->type != CKPT_REC_PAGES)
			meta += base.r[off].len;
	for (cut = 0; cut < len && !bad; cut += cut < meta + 64 || cut > len - 64 ? 1 : 97) {
		ret = read_mem(buf, cut, 4096, cut % 3 ? 0 : 1 + cut % 17, 0,
			       msg, NULL);
		n++;
		if (ret != -ENODATA) {
			failf("truncate", "at %zu of %zu: got %s: %s", cut, len,
			      errname(ret), msg);
			bad = true;
		}
	}
	if (!bad) {
		snprintf(msg, sizeof(msg),
			 "truncate (%zu cuts of a %zu-byte image: all ENODATA)",
			 n, len);
		pass(msg);
	}
	bad = false;
	for (off = 0; off < len && !bad; off += off < meta + 64 || off > len - 64 ? 1 : 61) {
		buf[off] ^= (u8)(1U << (off % 8));
		ret = read_mem(buf, len, 4096, 0, 0, msg, NULL);
		buf[off] ^= (u8)(1U << (off % 8));
		flips++;
		if (ret >= 0) {
			failf("bitflip", "flip at %zu accepted", off);
			bad = true;
		}
	}
	if (!bad) {
		snprintf(msg, sizeof(msg), "bitflip (%zu single-bit flips: all refused)",
			 flips);
		pass(msg);
	}
	free(buf);
}

/* The checker alone: pieces of data, limits, allocation failures. */
static void feed_img(const struct timg *m, struct img_check *c, int stop_at)
{
	size_t len, off = 0, step;
	u8 *buf = serialize(m, &len, NULL);
	int i;

	for (i = 0; i <= m->n && i != stop_at; i++) {
		const struct ckpt_hdr *h = (const void *)(buf + off);

		if (img_check_hdr(c, h) || img_check_record(c, h))
			break;
		off += h->len;
		for (step = 1; c->data_left; step = step * 3 + 1) {
			size_t n = min(step, (size_t)c->data_left);

			if (img_check_data(c, buf + off, n))
				break;
			off += n;
		}
	}
	free(buf);
}

static void feed_base(struct img_check *c, int stop_at)
{
	feed_img(&base, c, stop_at);
}

/*
 * The CHANGED limit, for real: 256 records of 65536 ranges reach
 * IMG_MAX_CHANGED (256 MiB kept by the checker), one range more is E2BIG.
 */
static void test_changed_limit(void)
{
	size_t len = sizeof(struct ckpt_rec_changed) +
		     CKPT_CHANGED_MAX_PER_REC * sizeof(struct ckpt_range);
	struct ckpt_rec_changed *r = calloc(1, len);
	struct img_check c;
	u64 addr = 0x1000;
	unsigned int i, j;
	int ret = 0;

	img_check_init(&c, PS, UMAX);
	feed_img(&incr, &c, find(&incr, CKPT_REC_CHANGED, 0));
	r->h.type = CKPT_REC_CHANGED;
	for (i = 0; i < IMG_MAX_CHANGED / CKPT_CHANGED_MAX_PER_REC && !ret; i++) {
		r->h.len = len;
		r->nr = CKPT_CHANGED_MAX_PER_REC;
		for (j = 0; j < CKPT_CHANGED_MAX_PER_REC; j++, addr += 2 * PS) {
			r->range[j].start = addr;
			r->range[j].end = addr + PS;
		}
		ret = img_check_record(&c, r);
	}
	if (ret || c.nr_changed != IMG_MAX_CHANGED || c.nr_changed_recs != i) {
		failf("limits/changed", "at the limit: %d after %u records: %s",
		      ret, i, c.err);
	} else {
		r->h.len = sizeof(*r) + sizeof(r->range[0]);
		r->nr = 1;
		r->range[0].start = addr;
		r->range[0].end = addr + PS;
		ret = img_check_record(&c, r);
		if (ret != -E2BIG ||
		    !strstr(c.err, "more than 16777216 CHANGED ranges"))
			failf("limits/changed", "%d: %s", ret, c.err);
		else
			pass("limits/changed (2^24 ranges in 256 records, then E2BIG)");
	}
	img_check_free(&c);
	free(r);
}

static void test_checker_api(void)
{
	struct ckpt_rec_vma v;
	struct ckpt_rec_fd fd;
	struct img_check c;
	unsigned int i, n;
	int ret;

	img_check_init(&c, PS, UMAX);
	feed_base(&c, -1);
	ret = img_check_end(&c);
	if (ret || c.nr_runs != 3 || c.nr_pages != 5 || c.nr_vmas != 8 ||
	    c.nr_files != 3 || c.nr_fds != 4)
		failf("api/records", "%d %s", ret, c.err);
	else
		pass("api/records (data fed in pieces of 1, 4, 13...)");
	img_check_free(&c);

	img_check_init(&c, PS, UMAX);
	feed_img(&incr, &c, -1);
	ret = img_check_end(&c);
	if (ret || c.nr_runs != 3 || c.nr_changed != 5 ||
	    c.nr_changed_recs != 2 || !c.incremental)
		failf("api/incremental", "%d %s", ret, c.err);
	else
		pass("api/incremental (5 CHANGED ranges in 2 records)");
	img_check_free(&c);

	for (n = 1; n <= 4; n++) {
		img_check_init(&c, PS, UMAX);
		c.fail_alloc = n;
		feed_img(&incr, &c, -1);
		ret = img_check_error(&c);
		img_check_free(&c);
		if (ret != (n <= 3 ? -ENOMEM : 0))
			break;
	}
	if (n <= 4)
		failf("api/alloc-failure-changed", "allocation %u: %d", n, ret);
	else
		pass("api/alloc-failure-changed (VMAs, files, CHANGED ranges)");

	img_check_init(&c, PS, UMAX);
	feed_base(&c, 25);
	ret = img_check_data(&c, "x", 1);
	if (ret != -EINVAL || !strstr(c.err, "caller bug"))
		failf("api/data-overrun", "%d %s", ret, c.err);
	else
		pass("api/data-overrun");
	img_check_free(&c);

	img_check_init(&c, PS, UMAX);
	feed_base(&c, 20);
	ret = img_check_end(&c);
	if (ret != -ENODATA || !strstr(c.err, "without a trailer"))
		failf("api/end-early", "%d %s", ret, c.err);
	else
		pass("api/end-early");
	img_check_free(&c);

	img_check_init(&c, 3000, UMAX);
	ret = img_check_error(&c);
	if (ret != -EINVAL)
		failf("api/bad-page-size", "%d", ret);
	else
		pass("api/bad-page-size");

	for (n = 1; n <= 3; n++) {
		img_check_init(&c, PS, UMAX);
		c.fail_alloc = n;
		feed_base(&c, -1);
		ret = img_check_error(&c);
		img_check_free(&c);
		if (ret != (n <= 2 ? -ENOMEM : 0))
			break;
	}
	if (n <= 3)
		failf("api/alloc-failure", "allocation %u: %d", n, ret);
	else
		pass("api/alloc-failure (each allocation fails in turn, no leak)");

	/* Limits: one VMA too many, one FD too many. */
	img_check_init(&c, PS, UMAX);
	feed_base(&c, 9);
	memset(&v, 0, sizeof(v));
	v.h.type = CKPT_REC_VMA;
	v.h.len = sizeof(v);
	v.kind = CKPT_VMA_ANON;
	for (i = 0, ret = 0; i <= IMG_MAX_VMAS && !ret; i++) {
		v.start = (u64)i * 2 * PS;
		v.end = v.start + PS;
		v.pgoff = v.start / PS;
		ret = img_check_record(&c, &v);
	}
	if (ret != -E2BIG || i != IMG_MAX_VMAS + 1 ||
	    !strstr(c.err, "more than 1048576 VMAs"))
		failf("limits/vmas", "%d after %u: %s", ret, i, c.err);
	else
		pass("limits/vmas");
	img_check_free(&c);

	img_check_init(&c, PS, UMAX);
	feed_base(&c, 20);
	memset(&fd, 0, sizeof(fd));
	fd.h.type = CKPT_REC_FD;
	fd.h.len = sizeof(fd);
	fd.file_id = 1;
	for (i = 0, ret = 0; i <= IMG_MAX_FDS && !ret; i++) {
		fd.fd = i;
		ret = img_check_record(&c, &fd);
	}
	if (ret != -E2BIG || !strstr(c.err, "more than 1048576 fds"))
		failf("limits/fds", "%d after %u: %s", ret, i, c.err);
	else
		pass("limits/fds");
	img_check_free(&c);

	if (strcmp(ckpt_rec_type_name(CKPT_REC_VMA), "VMA") ||
	    strcmp(ckpt_rec_type_name(1000), "unknown") ||
	    strcmp(ckpt_rec_type_name(CKPT_REC_CHANGED), "CHANGED") ||
	    strcmp(ckpt_vma_kind_name(CKPT_VMA_ANON_SHARED), "ANON_SHARED") ||
	    strcmp(ckpt_file_kind_name(0), "unknown"))
		failf("api/names", "wrong names");
	else
		pass("api/names");
}

static int write_file(const char *dir, const char *name, const struct timg *m)
{
	char path[4096];
	size_t len;
	u8 *buf = serialize(m, &len, NULL);
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ok = f && fwrite(buf, 1, len, f) == len;
	if (f && fclose(f))
		ok = 0;
	free(buf);
	return ok ? 0 : -1;
}

/* Seeds for the fuzzer: valid images of several shapes. */
static int write_corpus(const char *dir)
{
	struct timg m;
	int ret = 0;

	mkdir(dir, 0755);
	ret |= write_file(dir, "full.img", &base);
	build_minimal(&m);
	ret |= write_file(dir, "minimal.img", &m);
	timg_free(&m);
	timg_copy(&m, &base);
	REC(&m, struct ckpt_rec_header, CKPT_REC_HEADER, 0)->flags = 1;
	REC(&m, struct ckpt_rec_header, CKPT_REC_HEADER, 0)->parent_id = 7;
	while (find(&m, CKPT_REC_PAGES, 0) >= 0)
		timg_del(&m, find(&m, CKPT_REC_PAGES, 0));
	ret |= write_file(dir, "nopages.img", &m);
	timg_free(&m);
	ret |= write_file(dir, "incremental.img", &incr);
	if (ret)
		fprintf(stderr, "cannot write the corpus in %s\n", dir);
	return ret ? 1 : 0;
}

/* The record index (format/index.c): what each reader finds through it. */

static int count_type(const struct timg *m, u32 type)
{
	int i, n = 0;

	for (i = 0; i < m->n; i++)
		n += ((struct ckpt_hdr *)m->r[i].buf)->type == type;
	return n;
}

/* Whether @idx holds every record of @m, each equal to @m's. */
static bool index_matches(const struct ckpt_index *idx, const struct timg *m,
			  const u64 *offs, char *why, size_t len)
{
	const void *one[] = { idx->hdr, idx->task, idx->fs, idx->cpu,
			      idx->xstate, idx->sighand, idx->signal, idx->mm };
	static const u32 one_type[] = { CKPT_REC_HEADER, CKPT_REC_TASK,
		CKPT_REC_FS, CKPT_REC_CPU, CKPT_REC_XSTATE, CKPT_REC_SIGHAND,
		CKPT_REC_SIGNAL, CKPT_REC_MM };
	unsigned int k;
	u64 pages = 0;
	int i;

	for (k = 0; k < ARRAY_SIZE(one); k++) {
		i = find(m, one_type[k], 0);
		if (!one[k] || memcmp(one[k], m->r[i].buf, m->r[i].len)) {
			snprintf(why, len, "%s missing or wrong",
				 ckpt_rec_type_name(one_type[k]));
			return false;
		}
	}
	if (idx->nr_sigs != (unsigned int)count_type(m, CKPT_REC_SIGPENDING) ||
	    idx->nr_vmas != (unsigned int)count_type(m, CKPT_REC_VMA) ||
	    idx->nr_files != (unsigned int)count_type(m, CKPT_REC_FILE) ||
	    idx->nr_fds != (unsigned int)count_type(m, CKPT_REC_FD) ||
	    idx->nr_changed != (unsigned int)count_type(m, CKPT_REC_CHANGED) ||
	    idx->nr_runs != (unsigned int)count_type(m, CKPT_REC_PAGES)) {
		snprintf(why, len, "counts %u %u %u %u %u %u", idx->nr_sigs,
			 idx->nr_vmas, idx->nr_files, idx->nr_fds,
			 idx->nr_changed, idx->nr_runs);
		return false;
	}
	for (k = 0; k < idx->nr_vmas; k++) {
		i = find(m, CKPT_REC_VMA, (int)k);
		if (memcmp(idx->vmas[k], m->r[i].buf, m->r[i].len)) {
			snprintf(why, len, "VMA %u differs", k);
			return false;
		}
	}
	for (k = 0; k < idx->nr_changed; k++) {
		i = find(m, CKPT_REC_CHANGED, (int)k);
		if (memcmp(idx->changed[k], m->r[i].buf, m->r[i].len)) {
			snprintf(why, len, "CHANGED %u differs", k);
			return false;
		}
	}
	for (k = 0; k < idx->nr_runs; k++) {
		i = find(m, CKPT_REC_PAGES, (int)k);
		pages += idx->runs[k].npages;
		if (memcmp(&idx->runs[k], m->r[i].buf, m->r[i].len) ||
		    (offs && idx->run_data[k] != offs[i] + m->r[i].len)) {
			snprintf(why, len, "run %u differs", k);
			return false;
		}
	}
	if (idx->nr_pages != pages) {
		snprintf(why, len, "nr_pages %llu",
			 (unsigned long long)idx->nr_pages);
		return false;
	}
	return true;
}

/*
 * Indexes image @buf with the reader (flags IMG_READ_*) into @idx:
 * 0, or the first error of the reader or the index.
 */
static int index_read(const u8 *buf, size_t len, unsigned int rflags,
		      struct ckpt_index *idx, struct img_reader *r)
{
	struct img_reader_opts o = { .page_size = PS, .user_addr_max = UMAX,
				     .chunk_size = 4096, .flags = rflags };
	const struct ckpt_hdr *h;
	int ret;

	img_reader_open_mem(r, buf, len, &o);
	while ((ret = img_reader_next(r, &h)) > 0) {
		ret = ckpt_index_add(idx, h, img_reader_offset(r));
		if (ret)
			break;
	}
	return ret;
}

static void test_index(void)
{
	u32 all = CKPT_IDX_SINGLETONS | CKPT_IDX(CKPT_REC_SIGPENDING) |
		  CKPT_IDX(CKPT_REC_VMA) | CKPT_IDX(CKPT_REC_FILE) |
		  CKPT_IDX(CKPT_REC_FD) | CKPT_IDX(CKPT_REC_CHANGED) |
		  CKPT_IDX(CKPT_REC_PAGES);
	u64 offs[MAX_RECS + 1];
	struct ckpt_index idx;
	struct img_reader r;
	struct hbuf hb;
	char why[128];
	unsigned int n;
	size_t len;
	void *rec;
	u8 *buf;
	int i, ret;

	buf = serialize(&incr, &len, offs);
	/* As the tool reads: the reader reuses its buffer, the index copies. */
	ckpt_index_init(&idx, all, CKPT_IDX_COPY | CKPT_IDX_RUN_DATA);
	ret = index_read(buf, len, 0, &idx, &r);
	img_reader_close(&r);
	if (ret || !index_matches(&idx, &incr, offs, why, sizeof(why)))
		failf("index/copy", "%d: %s", ret, ret ? r.chk.err : why);
	else
		pass("index/copy (every type, copies outlive the reader)");
	ckpt_index_free(&idx);

	/* As readin reads: the records stay in the reader's chunks. */
	ckpt_index_init(&idx, all, 0);
	ret = index_read(buf, len, IMG_READ_KEEP, &idx, &r);
	if (ret || !index_matches(&idx, &incr, NULL, why, sizeof(why)))
		failf("index/in-place", "%d: %s", ret, ret ? r.chk.err : why);
	else if (idx.run_data || idx.copies)
		failf("index/in-place", "copies or run_data without asking");
	else
		pass("index/in-place (pointers into the kept chunks)");
	ckpt_index_free(&idx);
	img_reader_close(&r);

	/* Only what the mask asks for. */
	ckpt_index_init(&idx, CKPT_IDX(CKPT_REC_HEADER) | CKPT_IDX(CKPT_REC_VMA),
			CKPT_IDX_COPY);
	ret = index_read(buf, len, 0, &idx, &r);
	img_reader_close(&r);
	if (ret || !idx.hdr || idx.task || idx.cpu || idx.nr_sigs ||
	    idx.nr_files || idx.nr_changed || idx.nr_runs || idx.nr_pages ||
	    idx.nr_vmas != (unsigned int)count_type(&incr, CKPT_REC_VMA))
		failf("index/mask", "%d: other records indexed", ret);
	else
		pass("index/mask");
	ckpt_index_free(&idx);

	/* Every allocation failing in turn: -ENOMEM, and no leak (ASan). */
	for (n = 1;; n++) {
		ckpt_index_init(&idx, all, CKPT_IDX_COPY | CKPT_IDX_RUN_DATA);
		idx.fail_alloc = n;
		ret = index_read(buf, len, 0, &idx, &r);
		img_reader_close(&r);
		ckpt_index_free(&idx);
		if (ret != -ENOMEM)
			break;
	}
	if (ret || n < 10)
		failf("index/alloc-fail", "allocation %u: %d", n, ret);
	else
		pass("index/alloc-fail (each of the allocations in turn)");
	free(buf);

	/* As a snapshot finds its records: a BUFFER hbuf, no I/O. */
	hbuf_init(&hb, HBUF_BUFFER, 4096, NULL);
	for (i = 0; i < base.n; i++) {
		rec = hbuf_get(&hb, base.r[i].len);
		if (!rec)
			break;
		memcpy(rec, base.r[i].buf, base.r[i].len);
		hbuf_put(&hb, base.r[i].len);
	}
	ckpt_index_init(&idx, all, CKPT_IDX_RUN_DATA);
	ret = i == base.n ? ckpt_index_scan(&idx, &hb) : -ENOMEM;
	if (ret || hb.nr_chunks < 2 ||
	    !index_matches(&idx, &base, NULL, why, sizeof(why)))
		failf("index/scan", "%d (%u chunks): %s", ret, hb.nr_chunks,
		      ret ? "" : why);
	else
		pass("index/scan (a buffered hbuf over several chunks)");
	ckpt_index_free(&idx);
	hbuf_free(&hb);
}

int main(int argc, char **argv)
{
	int ret;

	build_valid(&base);
	build_incremental(&incr);
	if (argc == 3 && !strcmp(argv[1], "--corpus")) {
		ret = write_corpus(argv[2]);
		timg_free(&base);
		timg_free(&incr);
		return ret;
	}
	test_crc();
	test_crc_combine();
	test_valid();
	test_fd();
	test_memory();
	test_header();
	test_order();
	test_task_fs_cpu();
	test_xstate_signals();
	test_threads();
	test_mm_vma();
	test_files_pages();
	test_changed();
	test_trailer();
	test_truncate_flip();
	test_checker_api();
	test_changed_limit();
	test_index();
	timg_free(&base);
	timg_free(&incr);
	printf("unit/image_check: %d passed, %d failed\n", nr_pass, nr_fail);
	return nr_fail ? 1 : 0;
}
