/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt_index: the records of one image or snapshot by type, found once,
 * the same way, for every reader:
 *  - restore's readin, from the image file (module/readin.c);
 *  - rollback, from a snapshot's buffered hbuf, without I/O (module/snap.c);
 *  - the tool's restore (userspace/restore_load.c);
 *  - chain merging, one index per image of the chain
 *    (userspace/chain_find.c).
 *
 * It is fed one record at a time with ckpt_index_add(), after the
 * validator accepted that record (image_check.h), so order, lengths and
 * counts are proven before they are indexed; or, for an hbuf in BUFFER
 * mode whose records the module wrote itself, all at once with
 * ckpt_index_scan().  Only the types in the mask given to
 * ckpt_index_init() are indexed, so a reader holds nothing it does not
 * use.
 *
 *  - singletons (HEADER, TASK, FS, CPU, XSTATE, SIGHAND, SIGNAL, MM): a
 *    pointer to the record, NULL if there is none; the first one counts
 *    (the validator refuses a second one in an image);
 *  - repeated records (SIGPENDING, THREAD, TIMER, SECCOMP, VMA, FILE, FD,
 *    CHANGED):
 *    arrays of pointers, in stream order (a THREAD's nested records stay
 *    inside it);
 *  - PAGES: the records copied into runs[] (their page data is never
 *    kept, and a reader may read them into a stack buffer), with
 *    nr_pages their total; with CKPT_IDX_RUN_DATA also the stream offset
 *    of each run's page data, in run_data[].
 *
 * Memory: the records stay where the reader keeps them (hbuf chunks in
 * READ or BUFFER mode) and must outlive the index, unless CKPT_IDX_COPY:
 * then each indexed record is copied and the copy lives as long as the
 * index (a reader, such as the tool's img_reader, that reuses its
 * buffer).  Arrays grow geometrically, as ckpt_grow() does: kvmalloc()
 * in the kernel, malloc() on the host.  An index belongs to one thread.
 *
 * struct ckpt_image (module/readin.h) carries the fields under their own
 * names as well (img->vmas is img->idx.vmas), as struct_group() does:
 * CKPT_INDEX_FIELDS is the one list of them.
 */
#ifndef CKPT_INDEX_H
#define CKPT_INDEX_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "shim.h"
#endif

#include "../uapi/linux/ckpt.h"
#include "hbuf.h"

/*
 * The bit of record type @t in a mask of types to index: the types below
 * 32 by number, and PAGES (64) on bit 0, which no type has.
 */
#define CKPT_IDX(t)	(1U << ((t) & 31))

#define CKPT_IDX_SINGLETONS						\
	(CKPT_IDX(CKPT_REC_HEADER) | CKPT_IDX(CKPT_REC_TASK) |		\
	 CKPT_IDX(CKPT_REC_FS) | CKPT_IDX(CKPT_REC_CPU) |		\
	 CKPT_IDX(CKPT_REC_XSTATE) | CKPT_IDX(CKPT_REC_SIGHAND) |	\
	 CKPT_IDX(CKPT_REC_SIGNAL) | CKPT_IDX(CKPT_REC_MM))

/* Flags of ckpt_index_init(). */
#define CKPT_IDX_COPY		0x1U	/* copy each record indexed */
#define CKPT_IDX_RUN_DATA	0x2U	/* keep run_data[] */

struct ckpt_index_copy;

#define CKPT_INDEX_FIELDS						\
	u32 idx_types;		/* CKPT_IDX() of the types indexed */	\
	u32 idx_flags;		/* CKPT_IDX_COPY, CKPT_IDX_RUN_DATA */	\
	const struct ckpt_rec_header *hdr;				\
	const struct ckpt_rec_task *task;				\
	const struct ckpt_rec_fs *fs;					\
	const struct ckpt_rec_cpu *cpu;					\
	const struct ckpt_rec_xstate *xstate;				\
	const struct ckpt_rec_sighand *sighand;				\
	const struct ckpt_rec_signal *signal;				\
	const struct ckpt_rec_mm *mm;					\
	const struct ckpt_rec_sigpending **sigs;			\
	unsigned int nr_sigs;						\
	unsigned long cap_sigs;						\
	const struct ckpt_rec_thread **threads;				\
	unsigned int nr_threads;					\
	unsigned long cap_threads;					\
	const struct ckpt_rec_timer **timers;				\
	unsigned int nr_timers;						\
	unsigned long cap_timers;					\
	const struct ckpt_rec_seccomp **seccomp;			\
	unsigned int nr_seccomp;					\
	unsigned long cap_seccomp;					\
	const struct ckpt_rec_vma **vmas;				\
	unsigned int nr_vmas;						\
	unsigned long cap_vmas;						\
	const struct ckpt_rec_file **files;				\
	unsigned int nr_files;						\
	unsigned long cap_files;					\
	const struct ckpt_rec_fd **fds;					\
	unsigned int nr_fds;						\
	unsigned long cap_fds;						\
	const struct ckpt_rec_changed **changed;			\
	unsigned int nr_changed;					\
	unsigned long cap_changed;					\
	struct ckpt_rec_pages *runs;	/* copies */			\
	u64 *run_data;			/* CKPT_IDX_RUN_DATA */		\
	unsigned int nr_runs;						\
	unsigned long cap_runs, cap_run_data;				\
	u64 nr_pages;			/* of all runs */		\
	struct ckpt_index_copy *copies;	/* CKPT_IDX_COPY */		\
	unsigned int fail_alloc		/* tests: fail the n-th allocation */

struct ckpt_index {
	CKPT_INDEX_FIELDS;
};

/* Zeroes @idx; @types: CKPT_IDX() bits; @flags: CKPT_IDX_*. */
void ckpt_index_init(struct ckpt_index *idx, u32 types, u32 flags);

/*
 * Indexes record @h, checked by the validator, at stream offset @off (only
 * run_data[] uses it).  A type outside the mask is ignored.  0 or -ENOMEM;
 * the index stays usable, and is freed by ckpt_index_free(), either way.
 */
int ckpt_index_add(struct ckpt_index *idx, const struct ckpt_hdr *h, u64 off);

/*
 * Indexes every record of @hb, an hbuf in BUFFER mode that the module
 * filled: the records stay in its chunks, which must outlive the index.
 */
int ckpt_index_scan(struct ckpt_index *idx, const struct hbuf *hb);

void ckpt_index_free(struct ckpt_index *idx);

#endif /* CKPT_INDEX_H */
