// SPDX-License-Identifier: GPL-2.0
/*
 * img_check: the validator of image streams.  See image_check.h for the
 * model; one check_*() function below per record type says what is legal.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/stdarg.h>
#include <linux/stddef.h>
#include <linux/string.h>
#else
#include <stdarg.h>
#endif

#include "crc32c.h"
#include "image_check.h"
#include "search.h"

#ifdef __KERNEL__
#define chk_alloc(n)	kvmalloc(n, GFP_KERNEL_ACCOUNT)
#define chk_free(p)	kvfree(p)
#else
#define chk_alloc(n)	malloc(n)
#define chk_free(p)	free(p)
#endif

#define XULL(x)		((unsigned long long)(x))
#define ALIGN8(x)	(((u64)(x) + 7) & ~7ULL)

/*
 * The x86-64 values of the ABI constants that images store.  They are
 * spelt out because kernel and libc headers disagree on what they define.
 */
#define X_USER_CS		0x33
#define X_USER_DS		0x2b
/* EFLAGS a user task may hold: CF 1 PF AF ZF SF TF IF DF OF NT RF AC VIF VIP ID */
#define X_EFLAGS_OK		0x3d4fd7ULL
#define X_EFLAGS_FIXED		0x2ULL		/* bit 1, always set */
#define X_EFLAGS_IOPL		0x3000ULL
#define X_EFLAGS_VM		0x20000ULL
/* UAPI_SA_FLAGS: what sigaction() keeps on x86-64 */
#define X_SA_KNOWN		0xdc000807ULL
#define X_SA_RESTORER		0x04000000ULL
#define X_SIGKILL		9
#define X_SIGSTOP		19
#define X_SIG_UNBLOCKABLE	((1ULL << (X_SIGKILL - 1)) | (1ULL << (X_SIGSTOP - 1)))
#define X_SS_ONSTACK		1U
#define X_SS_DISABLE		2U
#define X_SS_AUTODISARM		0x80000000U
/* O_ACCMODE and every status flag f_flags keeps */
#define X_O_ACCMODE		03U
#define X_O_RDONLY		0U
#define X_O_KNOWN		037776003U
#define X_O_RDWR		2U
#define X_CLOCK_REALTIME_ALARM	8
#define X_CLOCK_BOOTTIME_ALARM	9
/* the persona byte and the personality flags of uapi/linux/personality.h */
#define X_PER_KNOWN		0x0ffe00ffU
#define X_XFEATURE_X87_SSE	0x3ULL
#define X_XFEATURE_AVX		0x4ULL
#define X_XSTATE_AVX_END	(576U + 256U)	/* standard-format AVX area */
#define X_MXCSR_OFF		24U
#define X_XSAVE_HDR_OFF		512U
#define X_SUID_DUMP_MAX		2U
#define X_CLOCK_REALTIME	0
#define X_CLOCK_MONOTONIC	1
#define X_CLOCK_BOOTTIME	7
#define X_CLOCK_TAI		11
#define X_SIGEV_SIGNAL		0U
#define X_SIGEV_NONE		1U
#define X_SIGEV_THREAD_ID	4U
#define X_AF_UNIX		1U
#define X_AF_INET		2U
#define X_AF_INET6		10U
#define X_SOCK_STREAM		1U
#define X_SOCK_DGRAM		2U
#define X_SOCK_SEQPACKET	5U
#define X_IPPROTO_TCP		6U
#define X_IPPROTO_UDP		17U
#define X_SUN_PATH_OFF		2U	/* offsetof(struct sockaddr_un, sun_path) */
#define X_SUN_LEN_MAX		110U	/* sizeof(struct sockaddr_un) */
#define X_SIN_LEN		16U
#define X_SIN6_LEN		28U
#define X_SCHED_FIFO		1U
#define X_SCHED_RR		2U
#define X_SCHED_ISO		4U	/* reserved, never implemented */
#define X_SCHED_IDLE		5U

/* Record kinds in stream order: rank 1 comes first. */
enum {
	R_NONE,
	R_HEADER,
	R_TASK,
	R_FS,
	R_CPU,
	R_XSTATE,
	R_SIGHAND,
	R_SIGNAL,
	R_SIGPENDING,
	R_THREAD,
	R_TIMER,
	R_SECCOMP,
	R_MM,
	R_VMA,
	R_FILE,
	R_FD,
	R_CHANGED,
	R_PAGES,
	R_TRAILER,
	R_NR
};

struct rec_info {
	const char *name;
	u32 min_len;
	u32 max_len;		/* == min_len: a fixed size */
	bool repeat;		/* may appear more than once */
	bool required;		/* must appear */
};

#define REC_FIXED(name, s, rep, req)	{ name, sizeof(s), sizeof(s), rep, req }

static const struct rec_info rec_info[R_NR] = {
	[R_NONE] = { "unknown", 0, 0, false, false },
	[R_HEADER] = REC_FIXED("HEADER", struct ckpt_rec_header, false, true),
	[R_TASK] = REC_FIXED("TASK", struct ckpt_rec_task, false, true),
	[R_FS] = { "FS", ALIGN8(sizeof(struct ckpt_rec_fs) + 4),
		   ALIGN8(sizeof(struct ckpt_rec_fs) + 2 * IMG_PATH_MAX),
		   false, false },
	[R_CPU] = REC_FIXED("CPU", struct ckpt_rec_cpu, false, true),
	[R_XSTATE] = { "XSTATE",
		       ALIGN8(sizeof(struct ckpt_rec_xstate) + IMG_XSTATE_MIN),
		       ALIGN8(sizeof(struct ckpt_rec_xstate) + IMG_XSTATE_MAX),
		       false, true },
	[R_SIGHAND] = REC_FIXED("SIGHAND", struct ckpt_rec_sighand, false, true),
	[R_SIGNAL] = REC_FIXED("SIGNAL", struct ckpt_rec_signal, false, true),
	[R_SIGPENDING] = REC_FIXED("SIGPENDING", struct ckpt_rec_sigpending,
				   true, false),
	/* nested records: check_thread() says what is wrong with the length */
	[R_THREAD] = { "THREAD", sizeof(struct ckpt_rec_thread),
		       CKPT_REC_MAX_LEN, true, false },
	[R_TIMER] = REC_FIXED("TIMER", struct ckpt_rec_timer, true, false),
	/* the filters follow: check_seccomp() says what is wrong with len */
	[R_SECCOMP] = { "SECCOMP", sizeof(struct ckpt_rec_seccomp),
			CKPT_REC_MAX_LEN, true, false },
	[R_MM] = { "MM", sizeof(struct ckpt_rec_mm),
		   ALIGN8(sizeof(struct ckpt_rec_mm) + IMG_PATH_MAX),
		   false, true },
	[R_VMA] = { "VMA", sizeof(struct ckpt_rec_vma),
		    ALIGN8(sizeof(struct ckpt_rec_vma) + IMG_PATH_MAX),
		    true, true },
	[R_FILE] = { "FILE", sizeof(struct ckpt_rec_file), CKPT_REC_MAX_LEN,
		     true, false },
	[R_FD] = REC_FIXED("FD", struct ckpt_rec_fd, true, false),
	/* from 0 ranges up: check_changed() says what is wrong with nr */
	[R_CHANGED] = { "CHANGED", sizeof(struct ckpt_rec_changed),
			sizeof(struct ckpt_rec_changed) +
			CKPT_CHANGED_MAX_PER_REC * sizeof(struct ckpt_range),
			true, false },
	[R_PAGES] = REC_FIXED("PAGES", struct ckpt_rec_pages, true, false),
	[R_TRAILER] = REC_FIXED("TRAILER", struct ckpt_rec_trailer, false, true),
};

static u32 rank_of(u32 type)
{
	switch (type) {
	case CKPT_REC_HEADER:
		return R_HEADER;
	case CKPT_REC_TASK:
		return R_TASK;
	case CKPT_REC_FS:
		return R_FS;
	case CKPT_REC_CPU:
		return R_CPU;
	case CKPT_REC_XSTATE:
		return R_XSTATE;
	case CKPT_REC_SIGHAND:
		return R_SIGHAND;
	case CKPT_REC_SIGNAL:
		return R_SIGNAL;
	case CKPT_REC_SIGPENDING:
		return R_SIGPENDING;
	case CKPT_REC_THREAD:
		return R_THREAD;
	case CKPT_REC_TIMER:
		return R_TIMER;
	case CKPT_REC_SECCOMP:
		return R_SECCOMP;
	case CKPT_REC_MM:
		return R_MM;
	case CKPT_REC_VMA:
		return R_VMA;
	case CKPT_REC_FILE:
		return R_FILE;
	case CKPT_REC_FD:
		return R_FD;
	case CKPT_REC_CHANGED:
		return R_CHANGED;
	case CKPT_REC_PAGES:
		return R_PAGES;
	case CKPT_REC_TRAILER:
		return R_TRAILER;
	}
	return R_NONE;
}

const char *ckpt_rec_type_name(u32 type)
{
	return rec_info[rank_of(type)].name;
}

const char *ckpt_vma_kind_name(u32 kind)
{
	static const char *const names[] = {
		[CKPT_VMA_ANON] = "ANON",
		[CKPT_VMA_FILE_PRIVATE] = "FILE_PRIVATE",
		[CKPT_VMA_FILE_SHARED] = "FILE_SHARED",
		[CKPT_VMA_ANON_SHARED] = "ANON_SHARED",
		[CKPT_VMA_VDSO] = "VDSO",
		[CKPT_VMA_VVAR] = "VVAR",
	};

	if (kind < ARRAY_SIZE(names) && names[kind])
		return names[kind];
	return "unknown";
}

const char *ckpt_file_kind_name(u32 kind)
{
	static const char *const names[] = {
		[CKPT_FILE_REG] = "REG",
		[CKPT_FILE_DIR] = "DIR",
		[CKPT_FILE_CHR] = "CHR",
		[CKPT_FILE_PIPE] = "PIPE",
		[CKPT_FILE_FIFO] = "FIFO",
		[CKPT_FILE_INHERIT] = "INHERIT",
		[CKPT_FILE_EVENTFD] = "EVENTFD",
		[CKPT_FILE_SIGNALFD] = "SIGNALFD",
		[CKPT_FILE_TIMERFD] = "TIMERFD",
		[CKPT_FILE_EPOLL] = "EPOLL",
		[CKPT_FILE_SOCKET] = "SOCKET",
	};

	if (kind < ARRAY_SIZE(names) && names[kind])
		return names[kind];
	return "unknown";
}

/* Errors: "record N (TYPE) at offset O: what". */

static __printf(6, 0)
int vfail_at(struct img_check *c, int err, u64 idx, u64 off, u32 type,
	     const char *fmt, va_list ap)
{
	int n;

	if (c->error)
		return c->error;
	c->error = err;
	if (type)
		n = snprintf(c->err, sizeof(c->err),
			     "record %llu (%s) at offset %llu: ", XULL(idx),
			     ckpt_rec_type_name(type), XULL(off));
	else
		n = snprintf(c->err, sizeof(c->err),
			     "record %llu at offset %llu: ", XULL(idx), XULL(off));
	if (n >= 0 && (size_t)n < sizeof(c->err))
		vsnprintf(c->err + n, sizeof(c->err) - n, fmt, ap);
	return err;
}

static __printf(6, 7)
int fail_at(struct img_check *c, int err, u64 idx, u64 off, u32 type,
	    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail_at(c, err, idx, off, type, fmt, ap);
	va_end(ap);
	return err;
}

static __printf(3, 4)
int fail(struct img_check *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail_at(c, err, c->rec_idx, c->rec_off, c->rec_type, fmt, ap);
	va_end(ap);
	return err;
}

int img_check_fail(struct img_check *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail_at(c, err, c->rec_idx, c->rec_off, c->rec_type, fmt, ap);
	va_end(ap);
	return err;
}

void img_check_init(struct img_check *c, u32 page_size, u64 user_addr_max)
{
	memset(c, 0, sizeof(*c));
	c->page_size = page_size;
	c->user_addr_max = user_addr_max;
	c->last_fd = -1;
	while (c->page_shift < 31 && (1U << c->page_shift) < page_size)
		c->page_shift++;
	if (page_size < 4096 || page_size > (1U << 21) ||
	    (page_size & (page_size - 1)))
		fail(c, -EINVAL, "checker set up with page size %u (caller bug)",
		     page_size);
}

void img_check_free(struct img_check *c)
{
	chk_free(c->vmas);
	chk_free(c->files);
	chk_free(c->changed);
	c->vmas = NULL;
	c->files = NULL;
	c->changed = NULL;
	c->nr_vmas = 0;
	c->cap_vmas = 0;
	c->nr_files = 0;
	c->cap_files = 0;
	c->nr_changed = 0;
	c->cap_changed = 0;
}

/*
 * Returns @arr with room for element @nr (a new array if it had to grow:
 * the old one is freed), or NULL with the error set and @arr untouched.
 */
static void *grow(struct img_check *c, void *arr, u32 *cap, u32 nr,
		  size_t size, u32 limit, const char *what)
{
	void *n;
	u32 ncap;

	if (nr < *cap)
		return arr;
	if (nr >= limit) {
		fail(c, -E2BIG, "more than %u %s", limit, what);
		return NULL;
	}
	ncap = *cap ? min(*cap * 2, limit) : 64;
	if (c->fail_alloc && --c->fail_alloc == 0)
		n = NULL;
	else
		n = chk_alloc((size_t)ncap * size);
	if (!n) {
		fail(c, -ENOMEM, "out of memory for %u %s", ncap, what);
		return NULL;
	}
	if (nr)
		memcpy(n, arr, (size_t)nr * size);
	chk_free(arr);
	*cap = ncap;
	return n;
}

/* The record or data being read next is a new record. */
static void next_record(struct img_check *c)
{
	c->rec_idx = c->nr_records + (c->trailer ? 1 : 0);
	c->rec_off = c->offset;
	c->rec_type = 0;
}

/* Helpers of the record checks. */

/* A string of @len bytes incl. its NUL; 0 is "none" unless @required. */
static int check_str(struct img_check *c, const char *what, const char *s,
		     u32 len, bool required)
{
	const char *nul;

	if (!len) {
		if (required)
			return fail(c, -EINVAL, "%s is missing", what);
		return 0;
	}
	if (len > IMG_PATH_MAX)
		return fail(c, -EINVAL, "%s length %u is above PATH_MAX", what,
			    len);
	if (len == 1)
		return fail(c, -EINVAL, "%s is empty", what);
	if (s[len - 1])
		return fail(c, -EINVAL,
			    "%s is not NUL-terminated within its length %u",
			    what, len);
	nul = memchr(s, 0, len - 1);
	if (nul)
		return fail(c, -EINVAL,
			    "%s has a NUL at byte %u, before its end at %u",
			    what, (u32)(nul - s), len - 1);
	return 0;
}

/* A fixed-size NUL-terminated char array. */
static int check_cstr(struct img_check *c, const char *what, const char *s,
		      size_t size)
{
	if (!memchr(s, 0, size))
		return fail(c, -EINVAL, "%s is not NUL-terminated within %zu bytes",
			    what, size);
	return 0;
}

/* A variable record: fixed part plus @var bytes, padded to 8, is h->len. */
static int check_len(struct img_check *c, const struct ckpt_hdr *h,
		     size_t fixed, u64 var, const char *what)
{
	u64 want = ALIGN8(fixed + var);

	if (var > CKPT_REC_MAX_LEN || want != h->len)
		return fail(c, -EINVAL,
			    "length %u does not match its %s: %zu + %llu bytes, padded to 8, is %llu",
			    h->len, what, fixed, XULL(var),
			    XULL(var > CKPT_REC_MAX_LEN ? 0 : want));
	return 0;
}

/* Bytes [@used, h->len) are padding and must be zero. */
static int check_padding(struct img_check *c, const struct ckpt_hdr *h,
			 u64 used)
{
	const u8 *p = (const u8 *)h;
	u64 i;

	for (i = used; i < h->len; i++)
		if (p[i])
			return fail(c, -EINVAL, "padding byte at +%llu is 0x%02x, not 0",
				    XULL(i), p[i]);
	return 0;
}

static int check_pad(struct img_check *c, u64 v, const char *what)
{
	if (v)
		return fail(c, -EINVAL, "%s is 0x%llx, not 0", what, XULL(v));
	return 0;
}

/* One check_*() per record type. */

static int check_header(struct img_check *c, const struct ckpt_rec_header *r)
{
	if (memcmp(r->magic, CKPT_IMAGE_MAGIC, sizeof(r->magic)))
		return fail(c, -EINVAL, "bad magic: not a ckpt image");
	if (r->version != CKPT_IMAGE_VERSION)
		return fail(c, -EPROTONOSUPPORT,
			    "image format version %u, this build reads version %u",
			    r->version, CKPT_IMAGE_VERSION);
	if (r->arch != CKPT_ARCH_X86_64)
		return fail(c, -ENOEXEC,
			    "image architecture %u (ELF e_machine), this machine is x86-64 (%u)",
			    r->arch, CKPT_ARCH_X86_64);
	if (r->page_size != c->page_size)
		return fail(c, -ENOEXEC, "image page size %u, this machine %u",
			    r->page_size, c->page_size);
	if (r->flags & ~(u32)CKPT_IMG_KNOWN)
		return fail(c, -EINVAL, "unknown flags 0x%x",
			    r->flags & ~(u32)CKPT_IMG_KNOWN);
	if (!r->image_id)
		return fail(c, -EINVAL, "image id is 0");
	if ((r->flags & CKPT_IMG_INCREMENTAL) && !r->parent_id)
		return fail(c, -EINVAL, "incremental image without a parent id");
	if (!(r->flags & CKPT_IMG_INCREMENTAL) && r->parent_id)
		return fail(c, -EINVAL,
			    "parent id 0x%llx in an image that is not incremental",
			    XULL(r->parent_id));
	if (r->parent_id == r->image_id)
		return fail(c, -EINVAL, "image 0x%llx is its own parent",
			    XULL(r->image_id));
	c->incremental = r->flags & CKPT_IMG_INCREMENTAL;
	c->has_rec_crc = r->flags & CKPT_IMG_REC_CRC;
	return check_cstr(c, "release", r->release, sizeof(r->release));
}

static int check_task(struct img_check *c, const struct ckpt_rec_task *r)
{
	static const char *const pid_names[] = { "pid", "tid", "ppid", "pgid",
						 "sid" };
	const u32 pids[] = { r->pid, r->tid, r->ppid, r->pgid, r->sid };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pids); i++) {
		if (pids[i] >= IMG_PID_MAX || (i < 2 && !pids[i]))
			return fail(c, -EINVAL, "%s %u is not a valid pid",
				    pid_names[i], pids[i]);
	}
	if (r->personality & ~X_PER_KNOWN)
		return fail(c, -EINVAL, "personality 0x%x has unknown bits 0x%x",
			    r->personality, r->personality & ~X_PER_KNOWN);
	if (r->umask & ~0777U)
		return fail(c, -EINVAL, "umask 0%o is not a file mode mask",
			    r->umask);
	if (r->flags & ~(u32)CKPT_TASK_NO_NEW_PRIVS)
		return fail(c, -EINVAL, "unknown flags 0x%x", r->flags);
	if (r->dumpable > X_SUID_DUMP_MAX)
		return fail(c, -EINVAL, "dumpable %u is not 0, 1 or 2",
			    r->dumpable);
	if (r->pdeathsig < 0 || r->pdeathsig > 64)
		return fail(c, -EINVAL, "pdeathsig %d is not a signal",
			    r->pdeathsig);
	for (i = 0; i < CKPT_RLIM_NLIMITS; i++) {
		if (r->rlim[i].cur > r->rlim[i].max)
			return fail(c, -EINVAL,
				    "rlimit %u: soft limit 0x%llx is above the hard limit 0x%llx",
				    i, XULL(r->rlim[i].cur), XULL(r->rlim[i].max));
	}
	c->task_tid = r->tid;
	return check_cstr(c, "comm", r->comm, sizeof(r->comm));
}

static int check_fs(struct img_check *c, const struct ckpt_rec_fs *r)
{
	u64 var = (u64)r->cwd_len + r->root_len;
	int ret;

	ret = check_len(c, &r->h, sizeof(*r), var, "cwd and root lengths");
	if (!ret)
		ret = check_str(c, "cwd", r->paths, r->cwd_len, true);
	if (!ret)
		ret = check_str(c, "root", r->paths + r->cwd_len, r->root_len,
				true);
	if (!ret)
		ret = check_padding(c, &r->h, sizeof(*r) + var);
	return ret;
}

static int check_cpu(struct img_check *c, const struct ckpt_rec_cpu *r)
{
	static const char *const seg_names[] = { "ds", "es", "fs", "gs" };
	static const char *const base_names[] = { "rip", "fs_base", "gs_base" };
	const u64 segs[] = { r->ds, r->es, r->fs, r->gs };
	const u64 bases[] = { r->ip, r->fs_base, r->gs_base };
	u64 f = r->flags;
	unsigned int i;

	if (r->cs != X_USER_CS)
		return fail(c, -EINVAL,
			    "cs 0x%llx is not the 64-bit user code selector 0x%x",
			    XULL(r->cs), X_USER_CS);
	if (r->ss != X_USER_DS)
		return fail(c, -EINVAL,
			    "ss 0x%llx is not the user data selector 0x%x",
			    XULL(r->ss), X_USER_DS);
	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		if (segs[i] && segs[i] != X_USER_DS)
			return fail(c, -EINVAL, "%s 0x%llx is neither 0 nor 0x%x",
				    seg_names[i], XULL(segs[i]), X_USER_DS);
	}
	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		if (bases[i] >= c->user_addr_max)
			return fail(c, -EINVAL, "%s 0x%llx is not a user address",
				    base_names[i], XULL(bases[i]));
	}
	if (r->sp > c->user_addr_max)
		return fail(c, -EINVAL, "rsp 0x%llx is not a user address",
			    XULL(r->sp));
	if (f & X_EFLAGS_IOPL)
		return fail(c, -EINVAL, "eflags 0x%llx: IOPL is %llu, not 0",
			    XULL(f), XULL((f & X_EFLAGS_IOPL) >> 12));
	if (f & X_EFLAGS_VM)
		return fail(c, -EINVAL, "eflags 0x%llx: VM (virtual-8086) is set",
			    XULL(f));
	if (!(f & X_EFLAGS_FIXED))
		return fail(c, -EINVAL, "eflags 0x%llx: reserved bit 1 is clear",
			    XULL(f));
	if (f & ~X_EFLAGS_OK)
		return fail(c, -EINVAL, "eflags 0x%llx: reserved bits 0x%llx set",
			    XULL(f), XULL(f & ~X_EFLAGS_OK));
	return 0;
}

static int check_xstate(struct img_check *c, const struct ckpt_rec_xstate *r)
{
	const u8 *d = r->data;
	u64 bv, comp, xcr0 = r->xcr0;
	u32 mxcsr, i;
	int ret;

	ret = check_pad(c, r->__pad, "__pad");
	if (ret)
		return ret;
	if (r->size < IMG_XSTATE_MIN)
		return fail(c, -EINVAL, "xstate size %u is below %u", r->size,
			    IMG_XSTATE_MIN);
	if (r->size > IMG_XSTATE_MAX)
		return fail(c, -E2BIG, "xstate size %u is above %u", r->size,
			    IMG_XSTATE_MAX);
	ret = check_len(c, &r->h, sizeof(*r), r->size, "xstate size");
	if (!ret)
		ret = check_padding(c, &r->h, sizeof(*r) + r->size);
	if (ret)
		return ret;
	if ((xcr0 & X_XFEATURE_X87_SSE) != X_XFEATURE_X87_SSE)
		return fail(c, -EINVAL, "xcr0 0x%llx lacks x87 or SSE", XULL(xcr0));
	if (xcr0 >> 63)
		return fail(c, -EINVAL, "xcr0 0x%llx sets reserved bit 63",
			    XULL(xcr0));
	if ((xcr0 & X_XFEATURE_AVX) && r->size < X_XSTATE_AVX_END)
		return fail(c, -EINVAL,
			    "xcr0 0x%llx enables AVX but the xstate size %u is below %u",
			    XULL(xcr0), r->size, X_XSTATE_AVX_END);
	memcpy(&mxcsr, d + X_MXCSR_OFF, sizeof(mxcsr));
	if (mxcsr & 0xffff0000U)
		return fail(c, -EINVAL, "MXCSR 0x%x sets reserved bits", mxcsr);
	memcpy(&bv, d + X_XSAVE_HDR_OFF, sizeof(bv));
	memcpy(&comp, d + X_XSAVE_HDR_OFF + 8, sizeof(comp));
	if (bv & ~xcr0)
		return fail(c, -EINVAL,
			    "XSAVE header xstate_bv 0x%llx has features outside xcr0 0x%llx",
			    XULL(bv), XULL(xcr0));
	if (comp)
		return fail(c, -EINVAL,
			    "XSAVE header xcomp_bv 0x%llx is not 0 (compacted format)",
			    XULL(comp));
	for (i = X_XSAVE_HDR_OFF + 16; i < IMG_XSTATE_MIN; i++)
		if (d[i])
			return fail(c, -EINVAL,
				    "XSAVE header reserved byte %u is not 0",
				    i - X_XSAVE_HDR_OFF);
	return 0;
}

static int check_sighand(struct img_check *c, const struct ckpt_rec_sighand *r)
{
	const struct ckpt_sigaction *a;
	unsigned int sig;

	for (sig = 1; sig <= 64; sig++) {
		a = &r->action[sig - 1];
		if ((sig == X_SIGKILL || sig == X_SIGSTOP) &&
		    (a->handler || a->flags))
			return fail(c, -EINVAL,
				    "signal %u cannot be caught, yet its handler is 0x%llx, flags 0x%llx",
				    sig, XULL(a->handler), XULL(a->flags));
		if (a->handler > 1 && a->handler >= c->user_addr_max)
			return fail(c, -EINVAL,
				    "signal %u: handler 0x%llx is not a user address",
				    sig, XULL(a->handler));
		if (a->flags & ~X_SA_KNOWN)
			return fail(c, -EINVAL,
				    "signal %u: flags 0x%llx have unknown bits 0x%llx",
				    sig, XULL(a->flags), XULL(a->flags & ~X_SA_KNOWN));
		if (a->restorer >= c->user_addr_max)
			return fail(c, -EINVAL,
				    "signal %u: restorer 0x%llx is not a user address",
				    sig, XULL(a->restorer));
		if (a->mask & X_SIG_UNBLOCKABLE)
			return fail(c, -EINVAL,
				    "signal %u: mask 0x%llx blocks SIGKILL or SIGSTOP",
				    sig, XULL(a->mask));
	}
	return 0;
}

static int check_itimer(struct img_check *c, const struct ckpt_itimer *t,
			unsigned int which)
{
	if (t->value_ns > S64_MAX || t->interval_ns > S64_MAX)
		return fail(c, -EINVAL,
			    "itimer %u: value %llu ns or interval %llu ns is out of range",
			    which, XULL(t->value_ns), XULL(t->interval_ns));
	return 0;
}

/* A thread's blocked mask and alternate stack (SIGNAL, THREAD). */
static int check_mask_altstack(struct img_check *c, u64 blocked, u64 sp,
			       u64 size, u32 fl)
{
	if (blocked & X_SIG_UNBLOCKABLE)
		return fail(c, -EINVAL,
			    "blocked mask 0x%llx blocks SIGKILL or SIGSTOP",
			    XULL(blocked));
	if (fl & ~(X_SS_ONSTACK | X_SS_DISABLE | X_SS_AUTODISARM))
		return fail(c, -EINVAL, "altstack flags 0x%x have unknown bits",
			    fl);
	if ((fl & X_SS_ONSTACK) && (fl & X_SS_DISABLE))
		return fail(c, -EINVAL,
			    "altstack flags 0x%x: both SS_ONSTACK and SS_DISABLE",
			    fl);
	if ((fl & X_SS_DISABLE) && (sp || size))
		return fail(c, -EINVAL,
			    "altstack disabled but sp 0x%llx size %llu",
			    XULL(sp), XULL(size));
	if (sp > c->user_addr_max || size > c->user_addr_max - sp)
		return fail(c, -EINVAL,
			    "altstack 0x%llx size %llu is not in user space",
			    XULL(sp), XULL(size));
	return 0;
}

static int check_signal(struct img_check *c, const struct ckpt_rec_signal *r)
{
	unsigned int i;
	int ret;

	ret = check_pad(c, r->__pad, "__pad");
	if (ret)
		return ret;
	ret = check_mask_altstack(c, r->blocked, r->altstack_sp,
				  r->altstack_size, r->altstack_flags);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(r->itimer); i++) {
		ret = check_itimer(c, &r->itimer[i], i);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_sigpending(struct img_check *c,
			    const struct ckpt_rec_sigpending *r)
{
	s32 si_signo;

	if (c->nr_sigpending >= IMG_MAX_SIGPENDING)
		return fail(c, -E2BIG, "more than %u pending signals",
			    IMG_MAX_SIGPENDING);
	if (r->shared > 1)
		return fail(c, -EINVAL, "shared is %u, not 0 or 1", r->shared);
	if (r->signo < 1 || r->signo > 64)
		return fail(c, -EINVAL, "signal number %u is not in 1..64",
			    r->signo);
	memcpy(&si_signo, r->siginfo, sizeof(si_signo));
	if (si_signo != (s32)r->signo)
		return fail(c, -EINVAL,
			    "siginfo si_signo %d differs from signal number %u",
			    si_signo, r->signo);
	c->nr_sigpending++;
	return 0;
}

/*
 * A record nested in a THREAD: its header must fit in what is left and
 * name @type, at a size the top-level record of that type may have.
 */
static const struct ckpt_hdr *nested(struct img_check *c, const u8 **p,
				     const u8 *end, u32 type, u32 tid)
{
	const struct rec_info *ri = &rec_info[rank_of(type)];
	const struct ckpt_hdr *h = (const void *)*p;

	if (end - *p < (long)sizeof(*h) || h->type != type ||
	    h->len % CKPT_REC_ALIGN || h->len < ri->min_len ||
	    h->len > ri->max_len || h->len > (u64)(end - *p)) {
		fail(c, -EINVAL, "thread %u: no whole %s record where one is due",
		     tid, ri->name);
		return NULL;
	}
	*p += h->len;
	return h;
}

static int check_thread(struct img_check *c, const struct ckpt_rec_thread *r)
{
	const u8 *p = (const u8 *)(r + 1), *end = (const u8 *)r + r->h.len;
	bool leader = r->flags & CKPT_THREAD_LEADER, is_leader_tid, said;
	const struct ckpt_rec_sigpending *sp;
	const struct ckpt_rec_xstate *xs;
	const struct ckpt_hdr *h;
	u32 i;
	int ret;

	if (c->nr_threads >= IMG_MAX_THREADS)
		return fail(c, -E2BIG, "more than %u threads", IMG_MAX_THREADS);
	if (r->flags & ~(u32)(CKPT_THREAD_LEADER | CKPT_THREAD_NNP |
			      CKPT_THREAD_NNP_SAID))
		return fail(c, -EINVAL, "unknown flags 0x%x", r->flags);
	said = r->flags & CKPT_THREAD_NNP_SAID;
	if (((r->flags & CKPT_THREAD_NNP) && !said) ||
	    (c->nr_threads && said != c->nnp_said))
		return fail(c, -EINVAL,
			    "tid %u: flags 0x%x say no_new_privs per thread, or not, unlike the leader's",
			    r->tid, r->flags);
	c->nnp_said = said;
	if (!r->tid || r->tid >= IMG_PID_MAX)
		return fail(c, -EINVAL, "tid %u is not a valid pid", r->tid);
	if (leader != !c->nr_threads)
		return fail(c, -EINVAL, leader ?
			    "a second leader's record (tid %u)" :
			    "the first THREAD record (tid %u) is not the leader's",
			    r->tid);
	is_leader_tid = r->tid == c->task_tid;
	if (leader != is_leader_tid)
		return fail(c, -EINVAL,
			    "tid %u: the leader is the TASK tid %u, and only it",
			    r->tid, c->task_tid);
	if (!leader && c->nr_threads > 1 && r->tid <= c->last_tid)
		return fail(c, -EINVAL, "tid %u after tid %u: not ascending",
			    r->tid, c->last_tid);
	ret = check_cstr(c, "comm", r->comm, sizeof(r->comm));
	if (!ret)
		ret = check_pad(c, r->__pad, "__pad");
	if (ret)
		return ret;
	if (r->policy > X_SCHED_IDLE || r->policy == X_SCHED_ISO)
		return fail(c, -EINVAL, "thread %u: scheduling policy %u",
			    r->tid, r->policy);
	if ((r->policy == X_SCHED_FIFO || r->policy == X_SCHED_RR) ?
	    r->rt_priority < 1 || r->rt_priority > 99 : r->rt_priority)
		return fail(c, -EINVAL,
			    "thread %u: priority %u under policy %u", r->tid,
			    r->rt_priority, r->policy);
	if (r->nice < -20 || r->nice > 19)
		return fail(c, -EINVAL, "thread %u: nice %d is not in -20..19",
			    r->tid, r->nice);
	if (r->clear_child_tid >= c->user_addr_max ||
	    r->robust_list >= c->user_addr_max || r->rseq >= c->user_addr_max)
		return fail(c, -EINVAL,
			    "thread %u: clear_child_tid, robust_list or rseq is not a user address",
			    r->tid);
	c->nr_threads++;
	if (leader) {
		if (r->h.len != sizeof(*r) || r->nr_pending || r->blocked ||
		    r->altstack_sp || r->altstack_size || r->altstack_flags)
			return fail(c, -EINVAL,
				    "the leader's record holds state of the process records (CPU, SIGNAL, SIGPENDING)");
		return 0;
	}
	c->last_tid = r->tid;
	ret = check_mask_altstack(c, r->blocked, r->altstack_sp,
				  r->altstack_size, r->altstack_flags);
	if (ret)
		return ret;
	h = nested(c, &p, end, CKPT_REC_CPU, r->tid);
	if (!h || check_cpu(c, (const void *)h))
		return c->error;
	h = nested(c, &p, end, CKPT_REC_XSTATE, r->tid);
	xs = (const void *)h;
	if (!h || check_xstate(c, xs))
		return c->error;
	if (xs->size != c->xstate_size)
		return fail(c, -EINVAL,
			    "thread %u: xstate size %u, the leader's is %u",
			    r->tid, xs->size, c->xstate_size);
	for (i = 0; i < r->nr_pending; i++) {
		h = nested(c, &p, end, CKPT_REC_SIGPENDING, r->tid);
		sp = (const void *)h;
		if (!h || check_sigpending(c, sp))
			return c->error;
		if (sp->shared)
			return fail(c, -EINVAL,
				    "thread %u: a process-wide signal among its own",
				    r->tid);
	}
	if (p != end)
		return fail(c, -EINVAL,
			    "thread %u: %ld bytes after its %u pending signals",
			    r->tid, (long)(end - p), r->nr_pending);
	return 0;
}

static int check_timer(struct img_check *c, const struct ckpt_rec_timer *r)
{
	bool none = r->notify == X_SIGEV_NONE;
	bool to_thread = r->notify == X_SIGEV_THREAD_ID, has_tid = r->tid;
	int ret;

	if (c->nr_timers >= IMG_MAX_TIMERS)
		return fail(c, -E2BIG, "more than %u POSIX timers", IMG_MAX_TIMERS);
	ret = check_pad(c, r->__pad, "__pad");
	if (ret)
		return ret;
	if (r->id < 0 || r->id > CKPT_TIMER_ID_MAX ||
	    (c->nr_timers && r->id <= c->last_timer_id))
		return fail(c, -EINVAL,
			    "timer id %d: negative, above %d, or not above %d",
			    r->id, CKPT_TIMER_ID_MAX, c->last_timer_id);
	if (r->clock != X_CLOCK_REALTIME && r->clock != X_CLOCK_MONOTONIC &&
	    r->clock != X_CLOCK_BOOTTIME && r->clock != X_CLOCK_TAI)
		return fail(c, -EINVAL, "timer %d: clock %d", r->id, r->clock);
	if (!none && r->notify != X_SIGEV_SIGNAL &&
	    r->notify != X_SIGEV_THREAD_ID)
		return fail(c, -EINVAL, "timer %d: sigev_notify %u", r->id,
			    r->notify);
	if (none ? r->signo != 0 : r->signo < 1 || r->signo > 64)
		return fail(c, -EINVAL, "timer %d: signal %u", r->id, r->signo);
	if (to_thread != has_tid || r->tid >= IMG_PID_MAX)
		return fail(c, -EINVAL, "timer %d: tid %u with sigev_notify %u",
			    r->id, r->tid, r->notify);
	if (r->value_ns > S64_MAX || r->interval_ns > S64_MAX)
		return fail(c, -EINVAL,
			    "timer %d: value %llu ns or interval %llu ns is out of range",
			    r->id, XULL(r->value_ns), XULL(r->interval_ns));
	c->last_timer_id = r->id;
	c->nr_timers++;
	return 0;
}

/* The filters of a FILTER record: each whole, and no byte after them. */
static int check_filters(struct img_check *c, const struct ckpt_rec_seccomp *r)
{
	const u8 *p = (const u8 *)(r + 1), *end = (const u8 *)r + r->h.len;
	const struct ckpt_seccomp_filter *f;
	u64 path = 0;
	u32 i;

	for (i = 0; i < r->nr_filters; i++) {
		f = (const void *)p;
		if ((u64)(end - p) < sizeof(*f))
			return fail(c, -EINVAL,
				    "thread %u: filter %u of %u is cut short",
				    r->tid, i, r->nr_filters);
		if (f->flags & ~(u32)CKPT_SECCOMP_LOG)
			return fail(c, -EINVAL, "thread %u: filter %u: flags %#x",
				    r->tid, i, f->flags);
		if (!f->len || f->len > CKPT_SECCOMP_MAX_INSNS)
			return fail(c, -EINVAL,
				    "thread %u: filter %u: %u instructions, not 1..%u",
				    r->tid, i, f->len, CKPT_SECCOMP_MAX_INSNS);
		if ((u64)(end - p) - sizeof(*f) <
		    (u64)f->len * sizeof(f->insns[0]))
			return fail(c, -EINVAL,
				    "thread %u: filter %u of %u is cut short",
				    r->tid, i, r->nr_filters);
		/* The kernel's limit: what one syscall runs through. */
		path += f->len + 4;
		if (path > CKPT_SECCOMP_MAX_PATH)
			return fail(c, -EINVAL,
				    "thread %u: its filters run more than %u instructions",
				    r->tid, CKPT_SECCOMP_MAX_PATH);
		p += sizeof(*f) + (u64)f->len * sizeof(f->insns[0]);
	}
	if (p != end)
		return fail(c, -EINVAL, "thread %u: %ld bytes after its %u filters",
			    r->tid, (long)(end - p), r->nr_filters);
	return 0;
}

/*
 * One thread's mode and filters.  The instructions themselves are the
 * kernel's to judge when the restore installs them (a bad one fails the
 * restore before the process exists); a same_as that names no earlier
 * record is the restore's to find (restore_load.c).
 */
static int check_seccomp(struct img_check *c, const struct ckpt_rec_seccomp *r)
{
	bool leader = r->tid == c->task_tid;

	if (c->nr_seccomp >= IMG_MAX_THREADS)
		return fail(c, -E2BIG, "more than %u SECCOMP records",
			    IMG_MAX_THREADS);
	if (!r->tid || r->tid >= IMG_PID_MAX)
		return fail(c, -EINVAL, "tid %u", r->tid);
	if (leader ? c->nr_seccomp :
	    c->last_seccomp_tid && r->tid <= c->last_seccomp_tid)
		return fail(c, -EINVAL,
			    "tid %u: the leader's record first, then ascending tid",
			    r->tid);
	if (r->mode == CKPT_SECCOMP_STRICT) {
		if (r->nr_filters || r->same_as ||
		    r->h.len != sizeof(*r))
			return fail(c, -EINVAL,
				    "thread %u: filters in strict mode", r->tid);
	} else if (r->mode == CKPT_SECCOMP_FILTER) {
		if (!r->nr_filters ||
		    r->nr_filters > CKPT_SECCOMP_MAX_PATH / 5)
			return fail(c, -EINVAL, "thread %u: %u filters",
				    r->tid, r->nr_filters);
		if (r->same_as) {
			if (r->same_as == r->tid ||
			    r->same_as >= IMG_PID_MAX ||
			    r->h.len != sizeof(*r))
				return fail(c, -EINVAL,
					    "thread %u: the filters of thread %u, and a length of %u",
					    r->tid, r->same_as, r->h.len);
		} else if (check_filters(c, r)) {
			return c->error;
		}
	} else {
		return fail(c, -EINVAL, "thread %u: seccomp mode %u", r->tid,
			    r->mode);
	}
	if (!leader)
		c->last_seccomp_tid = r->tid;
	c->nr_seccomp++;
	return 0;
}

int img_check_seccomp(struct img_check *c, const struct ckpt_rec_seccomp *r,
		      u32 len)
{
	if (c->error)
		return c->error;
	if (len < sizeof(*r) || r->h.type != CKPT_REC_SECCOMP ||
	    r->h.len != len || len % CKPT_REC_ALIGN)
		return fail(c, -EINVAL, "not a SECCOMP record of %u bytes", len);
	return check_seccomp(c, r);
}

static const struct {
	const char *name;
	u32 off;
} mm_fields[] = {
	{ "start_code", offsetof(struct ckpt_rec_mm, start_code) },
	{ "end_code", offsetof(struct ckpt_rec_mm, end_code) },
	{ "start_data", offsetof(struct ckpt_rec_mm, start_data) },
	{ "end_data", offsetof(struct ckpt_rec_mm, end_data) },
	{ "start_brk", offsetof(struct ckpt_rec_mm, start_brk) },
	{ "brk", offsetof(struct ckpt_rec_mm, brk) },
	{ "start_stack", offsetof(struct ckpt_rec_mm, start_stack) },
	{ "arg_start", offsetof(struct ckpt_rec_mm, arg_start) },
	{ "arg_end", offsetof(struct ckpt_rec_mm, arg_end) },
	{ "env_start", offsetof(struct ckpt_rec_mm, env_start) },
	{ "env_end", offsetof(struct ckpt_rec_mm, env_end) },
	{ "vdso", offsetof(struct ckpt_rec_mm, vdso) },
};

/* Pairs of mm_fields[] indices that must be ordered: first <= second. */
static const u8 mm_pairs[][2] = { { 0, 1 }, { 2, 3 }, { 4, 5 }, { 7, 8 },
				  { 9, 10 } };

static int check_auxv(struct img_check *c, const __u64 *auxv)
{
	unsigned int i, j;

	for (i = 0; i < CKPT_AUXV_WORDS; i += 2) {
		if (auxv[i])
			continue;
		/* AT_NULL: it, its value and every word after it are 0. */
		for (j = i + 1; j < CKPT_AUXV_WORDS; j++)
			if (auxv[j])
				return fail(c, -EINVAL,
					    "auxv word %u after the AT_NULL at %u is 0x%llx, not 0",
					    j, i, XULL(auxv[j]));
		return 0;
	}
	return fail(c, -EINVAL, "auxv has no AT_NULL entry in its %u words",
		    CKPT_AUXV_WORDS);
}

static int check_mm(struct img_check *c, const struct ckpt_rec_mm *r)
{
	const u8 *base = (const u8 *)r;
	u64 v[ARRAY_SIZE(mm_fields)];
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(mm_fields); i++) {
		memcpy(&v[i], base + mm_fields[i].off, sizeof(v[i]));
		if (v[i] > c->user_addr_max)
			return fail(c, -EINVAL, "%s 0x%llx is not a user address",
				    mm_fields[i].name, XULL(v[i]));
	}
	for (i = 0; i < ARRAY_SIZE(mm_pairs); i++) {
		u8 a = mm_pairs[i][0], b = mm_pairs[i][1];

		if (v[a] > v[b])
			return fail(c, -EINVAL, "%s 0x%llx is above %s 0x%llx",
				    mm_fields[a].name, XULL(v[a]),
				    mm_fields[b].name, XULL(v[b]));
	}
	if (r->vdso & (c->page_size - 1))
		return fail(c, -EINVAL, "vdso 0x%llx is not page-aligned",
			    XULL(r->vdso));
	ret = check_auxv(c, r->auxv);
	if (!ret)
		ret = check_pad(c, r->__pad, "__pad");
	if (!ret)
		ret = check_len(c, &r->h, sizeof(*r), r->exe_len, "exe_len");
	if (!ret)
		ret = check_str(c, "exe path", r->exe, r->exe_len, false);
	if (!ret)
		ret = check_padding(c, &r->h, sizeof(*r) + r->exe_len);
	if (!ret)
		c->mm_vdso = r->vdso;
	return ret;
}

static bool kind_holds_pages(u32 kind)
{
	return kind == CKPT_VMA_ANON || kind == CKPT_VMA_FILE_PRIVATE ||
	       kind == CKPT_VMA_ANON_SHARED;
}

static int check_vma(struct img_check *c, const struct ckpt_rec_vma *r)
{
	bool file = r->kind == CKPT_VMA_FILE_PRIVATE ||
		    r->kind == CKPT_VMA_FILE_SHARED;
	u64 mask = c->page_size - 1, npages;
	struct img_vma_range *v;
	int ret;

	if ((r->start | r->end) & mask)
		return fail(c, -EINVAL, "range 0x%llx-0x%llx is not page-aligned",
			    XULL(r->start), XULL(r->end));
	if (r->end <= r->start)
		return fail(c, -EINVAL, "end 0x%llx is not above start 0x%llx",
			    XULL(r->end), XULL(r->start));
	if (r->end > c->user_addr_max)
		return fail(c, -EINVAL, "end 0x%llx is beyond user space (0x%llx)",
			    XULL(r->end), XULL(c->user_addr_max));
	if (c->nr_vmas && r->start < c->vma_end)
		return fail(c, -EINVAL,
			    "start 0x%llx is below the end 0x%llx of the previous VMA: VMAs must be sorted and disjoint",
			    XULL(r->start), XULL(c->vma_end));
	if (r->kind < CKPT_VMA_ANON || r->kind > CKPT_VMA_VVAR)
		return fail(c, -EINVAL, "unknown kind %u", r->kind);
	if (r->prot & ~7U)
		return fail(c, -EINVAL, "prot 0x%x has bits beyond rwx", r->prot);
	if (r->flags & ~CKPT_VMA_KNOWN)
		return fail(c, -EINVAL, "unknown flags 0x%x", r->flags);
	if ((r->flags & CKPT_VMA_HUGEPAGE) && (r->flags & CKPT_VMA_NOHUGEPAGE))
		return fail(c, -EINVAL, "both huge pages and no huge pages");
	if ((r->flags & CKPT_VMA_SEQ_READ) && (r->flags & CKPT_VMA_RAND_READ))
		return fail(c, -EINVAL, "both sequential and random read-ahead");
	if ((r->flags & CKPT_VMA_WIPEONFORK) && r->kind != CKPT_VMA_ANON)
		return fail(c, -EINVAL, "a %s VMA cannot be wiped on fork",
			    ckpt_vma_kind_name(r->kind));
	if ((r->flags & (CKPT_VMA_GROWSDOWN | CKPT_VMA_HEAP)) &&
	    r->kind != CKPT_VMA_ANON)
		return fail(c, -EINVAL, "a %s VMA cannot be a stack or the heap",
			    ckpt_vma_kind_name(r->kind));
	if ((r->flags & CKPT_VMA_GROWSDOWN) && (r->flags & CKPT_VMA_HEAP))
		return fail(c, -EINVAL, "both a stack and the heap");
	if (r->shared_id && r->kind != CKPT_VMA_ANON_SHARED)
		return fail(c, -EINVAL, "shared_id %u on a %s VMA", r->shared_id,
			    ckpt_vma_kind_name(r->kind));
	npages = (r->end - r->start) >> c->page_shift;
	if (npages > ((u64)S64_MAX >> c->page_shift) ||
	    r->pgoff > ((u64)S64_MAX >> c->page_shift) - npages)
		return fail(c, -EINVAL, "pgoff 0x%llx: the file offset overflows",
			    XULL(r->pgoff));
	if (r->kind == CKPT_VMA_VDSO && r->start != c->mm_vdso)
		return fail(c, -EINVAL,
			    "vDSO mapped at 0x%llx, but the MM record says 0x%llx",
			    XULL(r->start), XULL(c->mm_vdso));
	ret = check_len(c, &r->h, sizeof(*r), r->path_len, "path_len");
	if (!ret)
		ret = check_str(c, "path", r->path, r->path_len, file);
	if (!ret)
		ret = check_padding(c, &r->h, sizeof(*r) + r->path_len);
	if (ret)
		return ret;

	v = grow(c, c->vmas, &c->cap_vmas, c->nr_vmas, sizeof(*v),
		 IMG_MAX_VMAS, "VMAs");
	if (!v)
		return c->error;
	c->vmas = v;
	v[c->nr_vmas].start_kind = r->start | r->kind;
	v[c->nr_vmas].end = r->end;
	c->nr_vmas++;
	c->vma_end = r->end;
	return 0;
}

static bool file_less(const struct img_file_ent *a,
		      const struct img_file_ent *b)
{
	return a->id < b->id || (a->id == b->id && a->rec < b->rec);
}

static void sift_down(struct img_file_ent *f, u32 root, u32 n)
{
	struct img_file_ent t;
	u32 child;

	for (;;) {
		child = 2 * root + 1;
		if (child >= n)
			break;
		if (child + 1 < n && file_less(&f[child], &f[child + 1]))
			child++;
		if (!file_less(&f[root], &f[child]))
			break;
		t = f[root];
		f[root] = f[child];
		f[child] = t;
		root = child;
	}
}

/* Heapsort: no recursion, no allocation, O(n log n) whatever the input. */
static void sort_files(struct img_file_ent *f, u32 n)
{
	struct img_file_ent t;
	u32 i;

	for (i = n / 2; i-- > 0; )
		sift_down(f, i, n);
	for (i = n; i-- > 1; ) {
		t = f[0];
		f[0] = f[i];
		f[i] = t;
		sift_down(f, 0, i);
	}
}

/* After the last FILE: sorts the ids (if they came unsorted), no twins. */
static int files_finish(struct img_check *c)
{
	struct img_file_ent *f = c->files;
	u32 i;

	c->files_done = true;
	if (c->nr_files < 2)
		return 0;
	for (i = 1; i < c->nr_files; i++)
		if (f[i - 1].id >= f[i].id)
			break;
	if (i == c->nr_files)
		return 0;
	sort_files(f, c->nr_files);
	for (i = 1; i < c->nr_files; i++)
		if (f[i - 1].id == f[i].id)
			return fail_at(c, -EINVAL, f[i].rec, f[i].off,
				       CKPT_REC_FILE,
				       "id %u is already used by record %llu",
				       f[i].id, XULL(f[i - 1].rec));
	return 0;
}

static int check_eventfd(struct img_check *c,
			 const struct ckpt_file_eventfd *e)
{
	/* A write(2) can never make the count all ones: no restore could. */
	if (e->count == U64_MAX)
		return fail(c, -EINVAL, "an eventfd count of 0x%llx (overflowed)",
			    XULL(e->count));
	if (e->flags & ~(u32)CKPT_EVENTFD_SEMAPHORE || e->__pad)
		return fail(c, -EINVAL, "eventfd flags 0x%x have unknown bits",
			    e->flags);
	return 0;
}

static int check_signalfd(struct img_check *c,
			  const struct ckpt_file_signalfd *s)
{
	if (s->mask & X_SIG_UNBLOCKABLE)
		return fail(c, -EINVAL, "a signalfd for SIGKILL or SIGSTOP (mask 0x%llx)",
			    XULL(s->mask));
	return 0;
}

static int check_timerfd(struct img_check *c, const struct ckpt_file_timerfd *t)
{
	/* The clocks timerfd_create() takes. */
	if (t->clockid != X_CLOCK_REALTIME && t->clockid != X_CLOCK_MONOTONIC &&
	    t->clockid != X_CLOCK_BOOTTIME && t->clockid != X_CLOCK_REALTIME_ALARM &&
	    t->clockid != X_CLOCK_BOOTTIME_ALARM)
		return fail(c, -EINVAL, "a timerfd on clock %d, which timerfds do not use",
			    t->clockid);
	if (t->flags & ~(u32)(CKPT_TIMERFD_ABSTIME | CKPT_TIMERFD_CANCEL_ON_SET))
		return fail(c, -EINVAL, "timerfd flags 0x%x have unknown bits",
			    t->flags);
	/* Past 2^62 ns (146 years), a clock's now plus it may not fit a ktime. */
	if (t->value_ns > 1ULL << 62 || t->interval_ns > 1ULL << 62)
		return fail(c, -EINVAL, "a timerfd %llu ns from expiry, interval %llu ns",
			    XULL(t->value_ns), XULL(t->interval_ns));
	return 0;
}

/* Bits an epoll keeps in a target's events (EPOLLIN ... EPOLLET). */
#define X_EPOLL_KNOWN	0xf00027ffU

/*
 * An epoll's targets: known events, and FILE ids that are not the epoll's
 * own.  Whether each FILE exists, and that no target is there twice (the
 * same file under the same fd), the restorer's epoll_ctl() calls find:
 * the FILE records may follow this one.
 */
static int check_epoll(struct img_check *c, const struct ckpt_rec_file *r)
{
	const struct ckpt_epoll_target *t = (const void *)r->data;
	u32 i, n = r->data_len / sizeof(*t);

	for (i = 0; i < n; i++) {
		if (t[i].events & ~X_EPOLL_KNOWN || t[i].__pad)
			return fail(c, -EINVAL, "epoll target %u: events 0x%x have unknown bits",
				    i, t[i].events);
		if (t[i].tfd > S32_MAX || !t[i].file_id || t[i].file_id == r->id)
			return fail(c, -EINVAL, "epoll target %u: fd %u of file %u is not a target",
				    i, t[i].tfd, t[i].file_id);
	}
	return 0;
}

/* A socket address of @family, @len bytes of @a, the rest zero. */
static int check_sockaddr(struct img_check *c, const char *what, u32 family,
			  const u8 *a, u32 len)
{
	u32 i, want = family == X_AF_INET ? X_SIN_LEN :
		      family == X_AF_INET6 ? X_SIN6_LEN : 0;

	if (len > CKPT_SOCKADDR_MAX)
		return fail(c, -EINVAL, "a socket %s of %u bytes, above %u",
			    what, len, CKPT_SOCKADDR_MAX);
	for (i = len; i < CKPT_SOCKADDR_MAX; i++)
		if (a[i])
			return fail(c, -EINVAL, "a socket %s of %u bytes with byte %u set",
				    what, len, i);
	if (!len)
		return 0;
	if (len < X_SUN_PATH_OFF || (a[0] | (u32)a[1] << 8) != family)
		return fail(c, -EINVAL, "a socket %s of family %u in a socket of family %u",
			    what, len < X_SUN_PATH_OFF ? 0 : a[0] | (u32)a[1] << 8,
			    family);
	if (want ? len != want : len <= X_SUN_PATH_OFF || len > X_SUN_LEN_MAX)
		return fail(c, -EINVAL, "a socket %s of %u bytes, which family %u does not have",
			    what, len, family);
	return 0;
}

/*
 * A socket: of a family, type and protocol restore makes; in a state that
 * fits its type; its address, peer and socket file agreeing.
 */
/*
 * A TCP connection's numbers after its socket's @off bytes: queues as long
 * as they say, and what TCP_REPAIR would take (a window it would refuse
 * is said here rather than as EINVAL from setsockopt()).
 */
static int check_tcp_conn(struct img_check *c, const struct ckpt_rec_file *r,
			  u32 off)
{
	struct ckpt_tcp_conn t;
	u64 queues;

	if (r->data_len < off + sizeof(t))
		return fail(c, -EINVAL, "a TCP connection with %u bytes of state, not %zu",
			    r->data_len - off, sizeof(t));
	memcpy(&t, r->data + r->path_len + off, sizeof(t));
	queues = (u64)t.sendq_len + t.recvq_len;
	if (queues > CKPT_TCP_QUEUES_MAX ||
	    r->data_len - off - sizeof(t) != queues)
		return fail(c, -EINVAL,
			    "a TCP connection with queues of %u and %u bytes in %zu",
			    t.sendq_len, t.recvq_len,
			    (size_t)(r->data_len - off - sizeof(t)));
	if (t.sendq_len != t.write_seq - t.snd_una ||
	    t.snd_nxt - t.snd_una > t.sendq_len)
		return fail(c, -EINVAL,
			    "a TCP send queue of %u bytes from %u, sent to %u, ending at %u",
			    t.sendq_len, t.snd_una, t.snd_nxt, t.write_seq);
	if (t.options & ~(u32)(CKPT_TCP_SACK | CKPT_TCP_WSCALE | CKPT_TCP_TSTAMP) ||
	    t.snd_wscale > 14 || t.rcv_wscale > 14 ||
	    (!(t.options & CKPT_TCP_WSCALE) && (t.snd_wscale || t.rcv_wscale)) ||
	    (!(t.options & CKPT_TCP_TSTAMP) && t.timestamp) ||
	    !t.mss || t.mss > 65535 || t.__pad[0] || t.__pad[1])
		return fail(c, -EINVAL,
			    "TCP options 0x%x, window scales %u and %u, timestamp %u, mss %u",
			    t.options, t.snd_wscale, t.rcv_wscale, t.timestamp,
			    t.mss);
	/* As TCP_REPAIR_WINDOW checks them against the rebuilt rcv_nxt. */
	if ((s32)(t.snd_wl1 - (t.rcv_nxt + t.rcv_wnd)) > 0 ||
	    (s32)(t.rcv_wup - t.rcv_nxt) > 0)
		return fail(c, -EINVAL,
			    "a TCP window update at %u, window %u from %u, received to %u",
			    t.snd_wl1, t.rcv_wnd, t.rcv_wup, t.rcv_nxt);
	return 0;
}

/* A socket's other options: each in its range, TCP's on TCP only. */
static int check_sock_opts(struct img_check *c, const struct ckpt_rec_file *r,
			   const struct ckpt_file_socket *s)
{
	struct ckpt_sock_opts o;
	bool tcp = s->family != X_AF_UNIX && s->protocol == X_IPPROTO_TCP;
	int ret;

	memcpy(&o, r->data + r->path_len + sizeof(*s), sizeof(o));
	ret = check_pad(c, o.__pad, "socket options' __pad");
	if (ret)
		return ret;
	if (o.flags & ~(u32)(CKPT_SOCKOPT_LINGER | CKPT_SOCKOPT_CORK) ||
	    (!(o.flags & CKPT_SOCKOPT_LINGER) && o.linger) ||
	    o.linger > S32_MAX / 1000 || o.rcvlowat > S32_MAX ||
	    o.rcvtimeo_us > (u64)S32_MAX * 1000000 ||
	    o.sndtimeo_us > (u64)S32_MAX * 1000000 ||
	    o.tos > 255 || (s->family == X_AF_UNIX && o.tos))
		return fail(c, -EINVAL,
			    "socket options out of range: flags 0x%x linger %u rcvlowat %u timeouts %llu/%llu us tos %u",
			    o.flags, o.linger, o.rcvlowat, XULL(o.rcvtimeo_us),
			    XULL(o.sndtimeo_us), o.tos);
	if (!tcp && ((o.flags & CKPT_SOCKOPT_CORK) || o.keepidle || o.keepintvl ||
		     o.keepcnt || o.user_timeout || o.maxseg || o.notsent_lowat ||
		     o.congestion[0]))
		return fail(c, -EINVAL, "TCP options on a socket that is not TCP");
	if (o.keepidle > 32767 || o.keepintvl > 32767 || o.keepcnt > 127 ||
	    o.user_timeout > S32_MAX || o.maxseg > 65535 ||
	    o.notsent_lowat > S32_MAX)
		return fail(c, -EINVAL,
			    "TCP options out of range: keepalive %u/%u/%u user_timeout %u maxseg %u notsent_lowat %u",
			    o.keepidle, o.keepintvl, o.keepcnt, o.user_timeout,
			    o.maxseg, o.notsent_lowat);
	return check_cstr(c, "congestion", o.congestion, sizeof(o.congestion));
}

/*
 * A datagram or seqpacket socketpair end's messages, from @off to the end
 * of data[]: each a struct ckpt_sock_msg and its bytes, the last one
 * ending there.
 */
static int check_sock_msgs(struct img_check *c, const struct ckpt_rec_file *r,
			   u32 off)
{
	const char *d = r->data + r->path_len;
	struct ckpt_sock_msg m;
	u32 n = 0;

	while (off < r->data_len) {
		if (r->data_len - off < sizeof(m))
			return fail(c, -EINVAL,
				    "socketpair message %u: %u bytes for its header, not %zu",
				    n, r->data_len - off, sizeof(m));
		memcpy(&m, d + off, sizeof(m));		/* not aligned */
		off += sizeof(m);
		if (m.len > r->data_len - off)
			return fail(c, -EINVAL,
				    "socketpair message %u: %u bytes, past the record's %u",
				    n, m.len, r->data_len - off);
		off += m.len;
		n++;
	}
	return 0;
}

static int check_socket(struct img_check *c, const struct ckpt_rec_file *r)
{
	struct ckpt_file_socket s;
	bool un, stream, named, connected, pair;
	u32 off;
	int ret;

	if (r->data_len < sizeof(s))
		return fail(c, -EINVAL, "a socket with %u bytes of state, not %zu",
			    r->data_len, sizeof(s));
	memcpy(&s, r->data + r->path_len, sizeof(s));	/* after the path */
	off = ckpt_sock_data_off(&s);
	if (r->data_len < off)
		return fail(c, -EINVAL, "a socket with options in %u bytes, not %u",
			    r->data_len, off);
	if (s.flags & CKPT_SOCK_OPTS) {
		ret = check_sock_opts(c, r, &s);
		if (ret)
			return ret;
	}
	/* What waits: a socketpair's end's, a TCP connection's. */
	if (s.state == CKPT_SOCK_ESTABLISHED) {
		ret = check_tcp_conn(c, r, off);
		if (ret)
			return ret;
	} else if (r->data_len > off &&
	    (s.state != CKPT_SOCK_PAIR || r->data_len - off > CKPT_SOCK_DATA_MAX)) {
		return fail(c, -EINVAL, "a socket of type %u in state %u with %u bytes waiting",
			    s.type, s.state, r->data_len - off);
	} else if (r->data_len > off && s.type != X_SOCK_STREAM) {
		ret = check_sock_msgs(c, r, off);
		if (ret)
			return ret;
	}
	un = s.family == X_AF_UNIX;
	stream = s.type != X_SOCK_DGRAM;
	if (un ? (s.type != X_SOCK_STREAM && s.type != X_SOCK_DGRAM &&
		  s.type != X_SOCK_SEQPACKET) || s.protocol :
	    (s.family != X_AF_INET && s.family != X_AF_INET6) ||
	    !((s.type == X_SOCK_STREAM && s.protocol == X_IPPROTO_TCP) ||
	      (s.type == X_SOCK_DGRAM && s.protocol == X_IPPROTO_UDP)))
		return fail(c, -EINVAL, "a socket of family %u, type %u, protocol %u",
			    s.family, s.type, s.protocol);
	if (s.state < CKPT_SOCK_CLOSED || s.state > CKPT_SOCK_ESTABLISHED ||
	    (s.state == CKPT_SOCK_PAIR && !un) ||
	    (s.state == CKPT_SOCK_ESTABLISHED && s.protocol != X_IPPROTO_TCP) ||
	    (s.state == CKPT_SOCK_LISTEN && !stream) ||
	    (s.state == CKPT_SOCK_CONNECTED && stream))
		return fail(c, -EINVAL, "a socket of type %u in state %u", s.type,
			    s.state);
	if (s.flags & ~(u32)0x3ff || s.__pad ||
	    ((s.flags & CKPT_SOCK_V6ONLY) && s.family != X_AF_INET6) ||
	    ((s.flags & CKPT_SOCK_NODELAY) && s.protocol != X_IPPROTO_TCP))
		return fail(c, -EINVAL, "socket flags 0x%x have unknown bits, or its family's not",
			    s.flags);
	if ((!(s.flags & CKPT_SOCK_RCVBUF) && s.rcvbuf) || s.rcvbuf > S32_MAX / 2 ||
	    (!(s.flags & CKPT_SOCK_SNDBUF) && s.sndbuf) || s.sndbuf > S32_MAX / 2)
		return fail(c, -EINVAL, "socket buffers of %u and %u bytes with flags 0x%x",
			    s.rcvbuf, s.sndbuf, s.flags);
	if ((s.state != CKPT_SOCK_LISTEN && s.backlog) || s.backlog > S32_MAX)
		return fail(c, -EINVAL, "a socket in state %u with a backlog of %u",
			    s.state, s.backlog);
	ret = check_sockaddr(c, "address", s.family, s.addr, s.addr_len);
	if (!ret)
		ret = check_sockaddr(c, "peer", s.family, s.peer, s.peer_len);
	if (ret)
		return ret;
	connected = s.state == CKPT_SOCK_CONNECTED ||
		    s.state == CKPT_SOCK_ESTABLISHED;
	if (((s.state == CKPT_SOCK_LISTEN || s.state == CKPT_SOCK_ESTABLISHED) &&
	     !s.addr_len) ||
	    connected != (s.peer_len > (un ? X_SUN_PATH_OFF : 0)))
		return fail(c, -EINVAL, "a socket in state %u with address %u and peer %u bytes",
			    s.state, s.addr_len, s.peer_len);
	/* A socketpair's ends: unnamed, and paired by pipe_id. */
	pair = s.state == CKPT_SOCK_PAIR;
	if (pair != !!r->pipe_id || (pair && s.addr_len))
		return fail(c, -EINVAL, "a socket in state %u, pipe_id %u, address %u bytes",
			    s.state, r->pipe_id, s.addr_len);
	/* Bound to a file: its absolute name, and the file's mode. */
	named = un && s.addr_len > X_SUN_PATH_OFF && s.addr[X_SUN_PATH_OFF];
	if (named != !!r->path_len || (r->path_len && r->data[0] != '/') ||
	    (!named && s.mode) || s.mode > 07777)
		return fail(c, -EINVAL, "a socket %s a socket file, with path_len %u and mode 0%o",
			    named ? "bound to" : "not bound to", r->path_len,
			    s.mode);
	return 0;
}

/* The size of the state of FILE kind @kind, if it is an anonymous file. */
static u32 anon_state_len(u32 kind)
{
	switch (kind) {
	case CKPT_FILE_EVENTFD:
		return sizeof(struct ckpt_file_eventfd);
	case CKPT_FILE_SIGNALFD:
		return sizeof(struct ckpt_file_signalfd);
	case CKPT_FILE_TIMERFD:
		return sizeof(struct ckpt_file_timerfd);
	case CKPT_FILE_EPOLL:	/* per target */
		return sizeof(struct ckpt_epoll_target);
	}
	return 0;
}

/* An eventfd, signalfd or timerfd: its state and no path or position. */
static int check_anon_file(struct img_check *c, const struct ckpt_rec_file *r)
{
	const char *name = r->kind == CKPT_FILE_EVENTFD ? "an eventfd" :
			   r->kind == CKPT_FILE_SIGNALFD ? "a signalfd" :
			   r->kind == CKPT_FILE_TIMERFD ? "a timerfd" : "an epoll";
	u32 len = anon_state_len(r->kind);

	if (r->pipe_id || r->path_len || r->pos)
		return fail(c, -EINVAL, "%s with path_len %u, pipe_id %u and position %llu",
			    name, r->path_len, r->pipe_id, XULL(r->pos));
	if (r->kind == CKPT_FILE_EPOLL && r->data_len % len)
		return fail(c, -EINVAL, "an epoll with %u bytes of targets, not a multiple of %u",
			    r->data_len, len);
	if (r->kind != CKPT_FILE_EPOLL && r->data_len != len)
		return fail(c, -EINVAL, "%s with %u bytes of state, not %u",
			    name, r->data_len, len);
	if ((r->flags & X_O_ACCMODE) != X_O_RDWR)
		return fail(c, -EINVAL, "%s of access mode %u, not O_RDWR",
			    name, r->flags & X_O_ACCMODE);
	return 0;
}

static int check_file(struct img_check *c, const struct ckpt_rec_file *r)
{
	bool pipe = r->kind == CKPT_FILE_PIPE || r->kind == CKPT_FILE_FIFO;
	bool path = !pipe && r->kind != CKPT_FILE_INHERIT &&
		    r->kind != CKPT_FILE_SOCKET;
	u64 var = (u64)r->path_len + r->data_len;
	struct img_file_ent *f;
	int ret;

	if (r->kind < CKPT_FILE_REG || r->kind > CKPT_FILE_SOCKET)
		return fail(c, -EINVAL, "unknown kind %u", r->kind);
	if (r->flags & ~X_O_KNOWN)
		return fail(c, -EINVAL, "flags 0%o have unknown bits 0%o",
			    r->flags, r->flags & ~X_O_KNOWN);
	if (r->kind == CKPT_FILE_DIR && (r->flags & X_O_ACCMODE) != X_O_RDONLY)
		return fail(c, -EINVAL, "directory with access mode %u, not O_RDONLY",
			    r->flags & X_O_ACCMODE);
	if (r->pos > S64_MAX)
		return fail(c, -EINVAL, "position 0x%llx is not a file offset",
			    XULL(r->pos));
	if (anon_state_len(r->kind)) {
		path = false;
		ret = check_anon_file(c, r);
		if (ret)
			return ret;
	}
	if (r->kind == CKPT_FILE_SOCKET &&
	    (r->pos || (r->flags & X_O_ACCMODE) != X_O_RDWR))
		return fail(c, -EINVAL, "a socket with position %llu, access mode %u",
			    XULL(r->pos), r->flags & X_O_ACCMODE);
	if (!pipe && !anon_state_len(r->kind) && r->kind != CKPT_FILE_SOCKET &&
	    (r->pipe_id || r->data_len))
		return fail(c, -EINVAL, "a %s file with pipe_id %u and %u bytes of pipe data",
			    ckpt_file_kind_name(r->kind), r->pipe_id,
			    r->data_len);
	ret = check_len(c, &r->h, sizeof(*r), var, "path_len and data_len");
	if (!ret)
		ret = check_str(c, "path", r->data, r->path_len, path);
	if (!ret && r->kind == CKPT_FILE_EVENTFD)
		ret = check_eventfd(c, (const void *)r->data);
	if (!ret && r->kind == CKPT_FILE_SIGNALFD)
		ret = check_signalfd(c, (const void *)r->data);
	if (!ret && r->kind == CKPT_FILE_TIMERFD)
		ret = check_timerfd(c, (const void *)r->data);
	if (!ret && r->kind == CKPT_FILE_EPOLL)
		ret = check_epoll(c, r);
	if (!ret && r->kind == CKPT_FILE_SOCKET)
		ret = check_socket(c, r);
	if (!ret)
		ret = check_padding(c, &r->h, sizeof(*r) + var);
	if (ret)
		return ret;

	/* In id order (the usual case) a twin is the previous one. */
	if (c->nr_files && c->files[c->nr_files - 1].id == r->id)
		return fail(c, -EINVAL, "id %u is already used by record %llu",
			    r->id, XULL(c->files[c->nr_files - 1].rec));
	f = grow(c, c->files, &c->cap_files, c->nr_files, sizeof(*f),
		 IMG_MAX_FILES, "files");
	if (!f)
		return c->error;
	c->files = f;
	f[c->nr_files].id = r->id;
	f[c->nr_files].__pad = 0;
	f[c->nr_files].rec = c->rec_idx;
	f[c->nr_files].off = c->rec_off;
	c->nr_files++;
	return 0;
}

struct file_key {
	const struct img_check *c;
	u32 id;
};

static bool file_below(const void *arg, unsigned long i)
{
	const struct file_key *k = arg;

	return k->c->files[i].id < k->id;
}

static bool file_exists(const struct img_check *c, u32 id)
{
	struct file_key k = { .c = c, .id = id };
	unsigned long i = ckpt_lower_bound(c->nr_files, file_below, &k);

	return i < c->nr_files && c->files[i].id == id;
}

static int check_fd(struct img_check *c, const struct ckpt_rec_fd *r)
{
	int ret;

	ret = check_pad(c, r->__pad, "__pad");
	if (ret)
		return ret;
	if (c->nr_fds >= IMG_MAX_FDS)
		return fail(c, -E2BIG, "more than %u fds", IMG_MAX_FDS);
	if (r->flags & ~(u32)CKPT_FD_CLOEXEC)
		return fail(c, -EINVAL, "unknown flags 0x%x", r->flags);
	if (r->fd > INT_MAX)
		return fail(c, -EINVAL, "fd %u is not a descriptor number", r->fd);
	if ((s64)r->fd <= c->last_fd)
		return fail(c, -EINVAL,
			    "fd %u follows fd %lld: FDs must be sorted, each once",
			    r->fd, (long long)c->last_fd);
	if (!file_exists(c, r->file_id))
		return fail(c, -EINVAL, "fd %u refers to file id %u, which has no FILE record",
			    r->fd, r->file_id);
	c->last_fd = r->fd;
	c->nr_fds++;
	return 0;
}

/*
 * CHANGED: the ranges in which an incremental image alone is the truth.
 * Those of all records are kept, sorted, for check_pages().
 */
static int check_changed(struct img_check *c,
			 const struct ckpt_rec_changed *r)
{
	u64 mask = c->page_size - 1, i;
	const struct ckpt_range *g;
	struct ckpt_range *v;

	if (!c->incremental)
		return fail(c, -EINVAL,
			    "a CHANGED record in a full image (only incremental images have them)");
	if (!r->nr)
		return fail(c, -EINVAL, "no ranges: nr is 0");
	if (r->nr > CKPT_CHANGED_MAX_PER_REC)
		return fail(c, -EINVAL, "%llu ranges, at most %u in one record",
			    XULL(r->nr), CKPT_CHANGED_MAX_PER_REC);
	if (r->h.len != sizeof(*r) + r->nr * sizeof(*g))
		return fail(c, -EINVAL,
			    "length %u does not match its %llu ranges: %zu + %llu * %zu is %llu",
			    r->h.len, XULL(r->nr), sizeof(*r), XULL(r->nr),
			    sizeof(*g), XULL(sizeof(*r) + r->nr * sizeof(*g)));
	if (r->nr > IMG_MAX_CHANGED - c->nr_changed)
		return fail(c, -E2BIG, "more than %u CHANGED ranges",
			    IMG_MAX_CHANGED);
	for (i = 0; i < r->nr; i++) {
		g = &r->range[i];
		if ((g->start | g->end) & mask)
			return fail(c, -EINVAL,
				    "range %llu: 0x%llx-0x%llx is not page-aligned",
				    XULL(i), XULL(g->start), XULL(g->end));
		if (g->end <= g->start)
			return fail(c, -EINVAL,
				    "range %llu: end 0x%llx is not above start 0x%llx",
				    XULL(i), XULL(g->end), XULL(g->start));
		if (g->end > c->user_addr_max)
			return fail(c, -EINVAL,
				    "range %llu: end 0x%llx is beyond user space (0x%llx)",
				    XULL(i), XULL(g->end), XULL(c->user_addr_max));
		if (c->nr_changed && g->start < c->changed_end)
			return fail(c, -EINVAL,
				    "range %llu: start 0x%llx is below the end 0x%llx of the previous range: CHANGED ranges must be sorted and disjoint",
				    XULL(i), XULL(g->start), XULL(c->changed_end));
		v = grow(c, c->changed, &c->cap_changed, c->nr_changed,
			 sizeof(*v), IMG_MAX_CHANGED, "CHANGED ranges");
		if (!v)
			return c->error;
		c->changed = v;
		v[c->nr_changed].start = g->start;
		v[c->nr_changed].end = g->end;
		c->nr_changed++;
		c->changed_end = g->end;
	}
	c->nr_changed_recs++;
	return 0;
}

/*
 * An incremental image holds pages only where it changed: the run lies
 * inside one CHANGED range.  Both are sorted: that range is at or after
 * the cursor.
 */
static int check_run_changed(struct img_check *c, u64 vaddr, u64 end)
{
	const struct ckpt_range *g;

	if (!c->nr_changed)
		return fail(c, -EINVAL,
			    "run at 0x%llx in an incremental image without CHANGED records (it may hold pages only inside CHANGED ranges)",
			    XULL(vaddr));
	while (c->changed_cursor < c->nr_changed &&
	       c->changed[c->changed_cursor].end <= vaddr)
		c->changed_cursor++;
	if (c->changed_cursor == c->nr_changed ||
	    c->changed[c->changed_cursor].start > vaddr)
		return fail(c, -EINVAL,
			    "run at 0x%llx is outside every CHANGED range (an incremental image holds pages only where it changed)",
			    XULL(vaddr));
	g = &c->changed[c->changed_cursor];
	if (end > g->end)
		return fail(c, -EINVAL,
			    "run 0x%llx-0x%llx goes past the end of its CHANGED range 0x%llx-0x%llx",
			    XULL(vaddr), XULL(end), XULL(g->start),
			    XULL(g->end));
	return 0;
}

static int check_pages(struct img_check *c, const struct ckpt_rec_pages *r)
{
	const struct img_vma_range *v;
	u64 mask = c->page_size - 1, end, vstart;
	u32 kind;

	if (r->vaddr & mask)
		return fail(c, -EINVAL, "vaddr 0x%llx is not page-aligned",
			    XULL(r->vaddr));
	if (!r->npages)
		return fail(c, -EINVAL, "empty run at 0x%llx", XULL(r->vaddr));
	if (r->vaddr >= c->user_addr_max ||
	    r->npages > (c->user_addr_max - r->vaddr) >> c->page_shift)
		return fail(c, -EINVAL,
			    "run of %llu pages at 0x%llx goes beyond user space",
			    XULL(r->npages), XULL(r->vaddr));
	end = r->vaddr + (r->npages << c->page_shift);
	if (r->vaddr < c->pages_end)
		return fail(c, -EINVAL,
			    "run at 0x%llx starts below the end 0x%llx of the previous run: runs must be sorted and disjoint",
			    XULL(r->vaddr), XULL(c->pages_end));
	/* Both are sorted: the VMA of this run is at or after the cursor. */
	while (c->vma_cursor < c->nr_vmas &&
	       c->vmas[c->vma_cursor].end <= r->vaddr)
		c->vma_cursor++;
	if (c->vma_cursor == c->nr_vmas)
		return fail(c, -EINVAL, "run at 0x%llx is not inside any VMA",
			    XULL(r->vaddr));
	v = &c->vmas[c->vma_cursor];
	vstart = v->start_kind & ~mask;
	kind = v->start_kind & mask;
	if (vstart > r->vaddr)
		return fail(c, -EINVAL, "run at 0x%llx is not inside any VMA",
			    XULL(r->vaddr));
	if (end > v->end)
		return fail(c, -EINVAL,
			    "run 0x%llx-0x%llx goes past the end of its VMA 0x%llx-0x%llx",
			    XULL(r->vaddr), XULL(end), XULL(vstart), XULL(v->end));
	if (!kind_holds_pages(kind))
		return fail(c, -EINVAL,
			    "run at 0x%llx is in a %s VMA, which holds no page contents",
			    XULL(r->vaddr), ckpt_vma_kind_name(kind));
	if (c->incremental && check_run_changed(c, r->vaddr, end))
		return c->error;
	c->pages_end = end;
	c->nr_runs++;
	c->nr_pages += r->npages;
	c->data_left = r->npages << c->page_shift;
	return 0;
}

static int check_trailer(struct img_check *c, const struct ckpt_rec_trailer *r)
{
	int ret;

	if (!c->has_rec_crc) {
		ret = check_pad(c, r->rec_crc32c, "rec_crc32c");
		if (ret)
			return ret;
	} else if (r->rec_crc32c != c->rec_crc) {
		return fail(c, -EBADMSG,
			    "records' CRC32C mismatch: the trailer says 0x%08x, the records' is 0x%08x",
			    r->rec_crc32c, c->rec_crc);
	}
	if (r->nr_records != c->nr_records)
		return fail(c, -EBADMSG,
			    "the trailer counts %llu records, the stream has %llu",
			    XULL(r->nr_records), XULL(c->nr_records));
	if (r->nr_bytes != c->offset)
		return fail(c, -EBADMSG,
			    "the trailer counts %llu bytes, the stream has %llu",
			    XULL(r->nr_bytes), XULL(c->offset));
	if (c->crc_deferred) {
		c->trailer_crc = r->crc32c;
		return 0;
	}
	if (r->crc32c != c->crc)
		return fail(c, -EBADMSG,
			    "CRC32C mismatch: the trailer says 0x%08x, the stream's is 0x%08x",
			    r->crc32c, c->crc);
	return 0;
}

int img_check_hdr(struct img_check *c, const struct ckpt_hdr *h)
{
	const struct rec_info *ri;
	u32 r, i;

	if (c->error)
		return c->error;
	if (c->data_left)
		return fail(c, -EINVAL,
			    "next header read with %llu bytes of page data still due (caller bug)",
			    XULL(c->data_left));
	c->rec_type = 0;
	if (c->trailer)
		return fail(c, -EINVAL, "data after the trailer");
	r = rank_of(h->type);
	if (r)
		c->rec_type = h->type;
	if (!c->nr_records && h->type != CKPT_REC_HEADER)
		return fail(c, -EINVAL,
			    "not a ckpt image: the first record has type 0x%x, not HEADER",
			    h->type);
	if (!r)
		return fail(c, -EINVAL, "unknown record type %u (length %u)",
			    h->type, h->len);
	ri = &rec_info[r];
	if (h->len % CKPT_REC_ALIGN)
		return fail(c, -EINVAL, "length %u is not a multiple of %u",
			    h->len, CKPT_REC_ALIGN);
	if (ri->min_len == ri->max_len && h->len != ri->min_len)
		return fail(c, -EINVAL, "length %u, must be %u", h->len,
			    ri->min_len);
	if (h->len < ri->min_len || h->len > ri->max_len)
		return fail(c, -EINVAL, "length %u is outside [%u, %u]", h->len,
			    ri->min_len, ri->max_len);
	if (r < c->rank)
		return fail(c, -EINVAL, "out of order: %s after %s",
			    ri->name, rec_info[c->rank].name);
	if (r == c->rank && !ri->repeat)
		return fail(c, -EINVAL, "a second %s record", ri->name);
	for (i = c->rank + 1; i < r; i++)
		if (rec_info[i].required && !(c->seen & (1U << i)))
			return fail(c, -EINVAL, "no %s record before it",
				    rec_info[i].name);
	return 0;
}

int img_check_record(struct img_check *c, const void *rec)
{
	const struct ckpt_hdr *h = rec;
	int ret;
	u32 r;

	if (c->error)
		return c->error;
	if ((unsigned long)rec & (CKPT_REC_ALIGN - 1))
		return fail(c, -EINVAL, "record not 8-byte aligned in memory (caller bug)");
	ret = img_check_hdr(c, h);
	if (ret)
		return ret;
	r = rank_of(h->type);
	if (r > R_FILE && !c->files_done) {
		ret = files_finish(c);
		if (ret)
			return ret;
	}
	switch (r) {
	case R_HEADER:
		ret = check_header(c, rec);
		break;
	case R_TASK:
		ret = check_task(c, rec);
		break;
	case R_FS:
		ret = check_fs(c, rec);
		break;
	case R_CPU:
		ret = check_cpu(c, rec);
		break;
	case R_XSTATE:
		ret = check_xstate(c, rec);
		c->xstate_size = ((const struct ckpt_rec_xstate *)rec)->size;
		break;
	case R_SIGHAND:
		ret = check_sighand(c, rec);
		break;
	case R_SIGNAL:
		ret = check_signal(c, rec);
		break;
	case R_SIGPENDING:
		ret = check_sigpending(c, rec);
		break;
	case R_THREAD:
		ret = check_thread(c, rec);
		break;
	case R_TIMER:
		ret = check_timer(c, rec);
		break;
	case R_SECCOMP:
		ret = check_seccomp(c, rec);
		break;
	case R_MM:
		ret = check_mm(c, rec);
		break;
	case R_VMA:
		ret = check_vma(c, rec);
		break;
	case R_FILE:
		ret = check_file(c, rec);
		break;
	case R_FD:
		ret = check_fd(c, rec);
		break;
	case R_CHANGED:
		ret = check_changed(c, rec);
		break;
	case R_PAGES:
		ret = check_pages(c, rec);
		break;
	case R_TRAILER:
		ret = check_trailer(c, rec);
		break;
	default:
		ret = fail(c, -EINVAL, "unknown record type (checker bug)");
	}
	if (ret)
		return ret;
	c->seen |= 1U << r;
	c->rank = r;
	if (r == R_TRAILER) {
		c->trailer = true;
		c->offset += h->len;
	} else {
		c->crc = ckpt_crc32c(c->crc, rec, h->len);
		c->rec_crc = ckpt_crc32c(c->rec_crc, rec, h->len);
		c->offset += h->len;
		c->nr_records++;
	}
	if (!c->data_left)
		next_record(c);
	return 0;
}

int img_check_data(struct img_check *c, const void *data, size_t len)
{
	if (c->error)
		return c->error;
	if (len > c->data_left)
		return fail(c, -EINVAL,
			    "%zu bytes of page data given, %llu due (caller bug)",
			    len, XULL(c->data_left));
	c->crc = ckpt_crc32c(c->crc, data, len);
	c->offset += len;
	c->data_left -= len;
	if (!c->data_left)
		next_record(c);
	return 0;
}

int img_check_skip(struct img_check *c, u64 len)
{
	if (c->error)
		return c->error;
	if (len > c->data_left)
		return fail(c, -EINVAL,
			    "%llu bytes of page data skipped, %llu due (caller bug)",
			    XULL(len), XULL(c->data_left));
	if (!c->has_rec_crc)
		return fail(c, -EINVAL,
			    "page data skipped in an image without CKPT_IMG_REC_CRC (caller bug)");
	c->crc_deferred = true;
	c->offset += len;
	c->data_left -= len;
	if (!c->data_left)
		next_record(c);
	return 0;
}

int img_check_end(struct img_check *c)
{
	if (c->error)
		return c->error;
	if (c->data_left)
		return fail(c, -ENODATA,
			    "the stream ends with %llu bytes of its page data missing (truncated image)",
			    XULL(c->data_left));
	if (!c->trailer)
		return fail(c, -ENODATA,
			    "the stream ends without a trailer (truncated image)");
	return 0;
}
