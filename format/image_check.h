/* SPDX-License-Identifier: GPL-2.0 */
/*
 * img_check: the one validator of image streams.
 *
 * Every image is hostile input.  This pure C code builds into the module
 * (restore) and into userspace (ckpt show, the unit tests, the fuzzer)
 * with format/shim.h, so what userspace proves is what guards the
 * kernel.  It checks every record and the stream as a whole:
 *  - order: HEADER, TASK, FS, CPU, XSTATE, SIGHAND, SIGNAL, SIGPENDING*,
 *    MM, VMA*, FILE*, FD*, CHANGED*, PAGES*, TRAILER (uapi/linux/ckpt.h);
 *    FS is optional, at least one VMA is required, CHANGED only in an
 *    incremental image;
 *  - each record: type known, length exact (or consistent with its own
 *    length fields), strings NUL-terminated, padding and __pad zero,
 *    values and addresses legal (see image_check.c, one function a type);
 *  - across records: VMAs sorted and disjoint; PAGES runs sorted and each
 *    inside one VMA that holds contents; FILE ids unique; FDs ascending
 *    and naming a FILE; CHANGED ranges sorted and disjoint across records,
 *    and in an incremental image every PAGES run inside one of them; the
 *    trailer's record count, byte count and CRC32C.
 *
 * Use, one record at a time, so a reader can validate while reading ahead:
 *
 *	img_check_init(&c, PAGE_SIZE, TASK_SIZE_MAX);
 *	loop:
 *		read the 8-byte struct ckpt_hdr;  img_check_hdr(&c, h)
 *		  (checks type, order and length before the body is read:
 *		   h->len is then safe to allocate and read)
 *		read the h->len bytes of the record;  img_check_record(&c, rec)
 *		if PAGES: read c.data_left bytes of page data, passing them
 *		  (in any pieces) to img_check_data(&c, buf, n)
 *		stop after the TRAILER record
 *	img_check_end(&c)	(there was a trailer; nothing is missing)
 *	img_check_free(&c)
 *
 * The checker computes the CRC32C and the byte count itself from what it
 * is given, so the trailer is checked inside img_check_record().
 *
 * Errors: every function returns 0 or a negative errno, and the first
 * error is sticky (every later call returns it):
 *   -EINVAL           a bad record (or a caller bug, said so)
 *   -EPROTONOSUPPORT  another image format version
 *   -ENOEXEC          another architecture or page size
 *   -EBADMSG          the trailer's count, byte count or CRC does not match
 *   -E2BIG            a count limit below is exceeded
 *   -ENODATA          the stream ends early (truncated image)
 *   -ENOMEM           the checker's own memory
 * and c->err holds a message naming the record (0-based index, type),
 * its stream offset and what is wrong, e.g.
 *   "record 12 (VMA) at offset 4096: end 0x1000 is not above start 0x2000"
 *
 * Memory: the checker keeps the VMA ranges (16 bytes each), the FILE ids
 * (24 bytes each) and the CHANGED ranges (16 bytes each), bounded by
 * IMG_MAX_VMAS / IMG_MAX_FILES / IMG_MAX_CHANGED and grown geometrically
 * with kvmalloc() (malloc() in userspace); the CHANGED ranges take no
 * more memory than their records take in the image.  No recursion, no
 * VLAs, small stack frames.  A struct img_check belongs to one thread.
 */
#ifndef CKPT_IMAGE_CHECK_H
#define CKPT_IMAGE_CHECK_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "shim.h"
#endif

#include "../uapi/linux/ckpt.h"

/* Limits on counts (E2BIG beyond them). */
#define IMG_MAX_VMAS		1048576U	/* 2^20 each */
#define IMG_MAX_FILES		1048576U
#define IMG_MAX_FDS		1048576U
#define IMG_MAX_SIGPENDING	1048576U
#define IMG_MAX_THREADS		65536U
#define IMG_MAX_TIMERS		65536U
#define IMG_MAX_CHANGED		16777216U	/* 2^24 CHANGED ranges in all */
#define IMG_PATH_MAX		4096U		/* PATH_MAX, NUL included */
#define IMG_XSTATE_MIN		(512U + 64U)	/* legacy area + XSAVE header */
#define IMG_XSTATE_MAX		1048576U	/* 1 MiB */
#define IMG_PID_MAX		4194304U	/* PID_MAX_LIMIT on 64-bit */

/* TASK_SIZE_MAX of x86-64 with 4-level and 5-level paging. */
#define IMG_USER_ADDR_MAX_4LEVEL	((1ULL << 47) - 4096)
#define IMG_USER_ADDR_MAX_5LEVEL	((1ULL << 56) - 4096)

#define IMG_ERR_LEN		192

/* A VMA as the PAGES checks need it: kind in the low bits of start. */
struct img_vma_range {
	u64 start_kind;
	u64 end;
};

struct img_file_ent {
	u32 id;
	u32 __pad;
	u64 rec;		/* record index and offset, for messages */
	u64 off;
};

struct img_check {
	/* Set by img_check_init(). */
	u32 page_size;
	u32 page_shift;
	u64 user_addr_max;

	/* Progress. */
	u64 nr_records;		/* records accepted, the trailer excluded */
	u64 offset;		/* stream bytes accepted */
	u32 crc;		/* CRC32C of those bytes */
	u32 rec_crc;		/* CRC32C of the records among them */
	bool has_rec_crc;	/* the header has CKPT_IMG_REC_CRC */
	u32 seen;		/* record kinds seen, bit = rank */
	u32 rank;		/* rank of the last record */
	int error;		/* first error, sticky */
	bool trailer;		/* the trailer was accepted */
	bool files_done;	/* FILE ids sorted and checked */
	bool incremental;	/* the header has CKPT_IMG_INCREMENTAL */
	u64 data_left;		/* page data of the last PAGES still due */
	bool crc_deferred;	/* page data was skipped: see img_check_skip() */
	u32 trailer_crc;	/* the trailer's CRC32C, when crc_deferred */

	/* What messages name: the record being read (or whose data is). */
	u64 rec_idx;
	u64 rec_off;
	u32 rec_type;		/* 0 before its header is checked */

	/* Facts carried between records. */
	u32 task_tid;		/* TASK: the leader's tid */
	u32 xstate_size;	/* XSTATE: every thread's must be the same */
	u32 nr_threads;		/* THREAD records so far */
	bool nnp_said;		/* THREAD: CKPT_THREAD_NNP_SAID, as the leader's */
	u32 last_tid;		/* of the last non-leader THREAD */
	u32 nr_timers;		/* TIMER records so far */
	s32 last_timer_id;
	u32 nr_seccomp;		/* SECCOMP records so far */
	u32 last_seccomp_tid;	/* of the last non-leader SECCOMP */
	u64 mm_vdso;
	u64 vma_end;		/* end of the last VMA */
	u64 pages_end;		/* end of the last PAGES run */
	s64 last_fd;		/* -1 before the first FD */
	u32 vma_cursor;		/* PAGES: first VMA that may hold the run */
	u64 changed_end;	/* end of the last CHANGED range */
	u32 changed_cursor;	/* PAGES: first range that may hold the run */

	/* Counts. */
	u64 nr_sigpending;
	u64 nr_fds;
	u64 nr_runs;
	u64 nr_pages;
	u32 nr_vmas, cap_vmas;
	u32 nr_files, cap_files;
	u32 nr_changed, cap_changed;	/* ranges of all CHANGED records */
	u64 nr_changed_recs;
	struct img_vma_range *vmas;
	struct img_file_ent *files;
	struct ckpt_range *changed;

	unsigned int fail_alloc;	/* tests: fail the n-th allocation */
	char err[IMG_ERR_LEN];
};

/*
 * @page_size: this machine's (a power of two, 4096 or more); an image of
 * another page size is refused.  @user_addr_max: TASK_SIZE_MAX, the end
 * of user space: VMAs, PAGES runs and mm fields end at or below it;
 * rip, fs_base, gs_base and handler addresses are below it.
 */
void img_check_init(struct img_check *c, u32 page_size, u64 user_addr_max);

/* The header of the next record, before its body is read. */
int img_check_hdr(struct img_check *c, const struct ckpt_hdr *h);

/* The whole record (h->len bytes, 8-byte aligned), TRAILER included. */
int img_check_record(struct img_check *c, const void *rec);

/* Page data of the last PAGES record: exactly c->data_left bytes in all. */
int img_check_data(struct img_check *c, const void *data, size_t len);

/*
 * Page data of the last PAGES record passed over unread (@len of
 * c->data_left), in an image with CKPT_IMG_REC_CRC only (-EINVAL
 * otherwise: read its data).  The stream's CRC32C can then not be
 * computed here: the trailer's is kept in c->trailer_crc, unchecked, and
 * c->crc_deferred says the caller must check it against the data it
 * reads later (restore's readin does, on the data it put in place,
 * before the process runs).  Counts, lengths and the records' own CRC
 * are still checked.
 */
int img_check_skip(struct img_check *c, u64 len);

/* At the end of the stream: a trailer was accepted, no data is due. */
int img_check_end(struct img_check *c);

/*
 * Records an error found by the reader (I/O, truncation) with the same
 * prefix as the checker's own; returns @err.
 */
__printf(3, 4)
int img_check_fail(struct img_check *c, int err, const char *fmt, ...);

void img_check_free(struct img_check *c);

/*
 * One SECCOMP record of @len bytes, checked as in an image, outside one:
 * the caller's records of CKPT_IOC_DUMP.  Set c->task_tid first.
 */
int img_check_seccomp(struct img_check *c, const struct ckpt_rec_seccomp *r,
		      u32 len);

static inline int img_check_error(const struct img_check *c)
{
	return c->error;
}

/* "VMA", "PAGES"..., or "unknown". */
const char *ckpt_rec_type_name(u32 type);
const char *ckpt_vma_kind_name(u32 kind);
const char *ckpt_file_kind_name(u32 kind);

#endif /* CKPT_IMAGE_CHECK_H */
