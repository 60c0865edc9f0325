/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ckpt: process checkpoint/restart, userspace ABI.
 *
 * Two interfaces live here, and both are stable:
 *  - the ioctls of /dev/ckpt, with their argument structs;
 *  - the image stream format (records), which the kernel writes and reads
 *    and which userspace validates with the same code.
 *
 * Argument structs start with a __u32 size that the caller sets to the
 * sizeof() it was built with.  The module accepts any size from the first
 * published layout up to its own: a shorter (older) struct is zero-extended,
 * a longer (newer) one is accepted only if the extra bytes are zero.  So a
 * struct may grow at its end without a new ioctl number; the number is
 * dispatched on type and nr only.
 *
 * Image fields are little-endian and fixed-width.  Every record is 8-byte
 * aligned and its length is a multiple of 8.  No kernel pointer and no raw
 * kernel struct ever goes into an image.
 */
#ifndef _UAPI_LINUX_CKPT_H
#define _UAPI_LINUX_CKPT_H

#include <linux/types.h>
#include <linux/const.h>
#include <linux/ioctl.h>

/* ABI version: a different major means "do not talk to me". */
#define CKPT_ABI_MAJOR		1
#define CKPT_ABI_MINOR		3

#define CKPT_DEVICE_NAME	"ckpt"
#define CKPT_DEVICE_PATH	"/dev/ckpt"

/* 0xC7 is unassigned in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define CKPT_IOC_MAGIC		0xC7

/* Features the loaded module implements, reported by CKPT_IOC_VERSION. */
#define CKPT_FEAT_HBUF		_BITULL(0)	/* hbuf allocator */
#define CKPT_FEAT_SELFTEST	_BITULL(1)	/* CKPT_IOC_SELFTEST enabled */
#define CKPT_FEAT_COUNTERS	_BITULL(2)	/* CKPT_IOC_COUNTERS */
#define CKPT_FEAT_DUMP		_BITULL(3)	/* CKPT_IOC_DUMP, _WRITEOUT */
#define CKPT_FEAT_RESTORE	_BITULL(4)	/* CKPT_IOC_RESTORE */
#define CKPT_FEAT_SNAPSHOT	_BITULL(5)	/* CKPT_IOC_SNAPSHOT and friends */
#define CKPT_FEAT_INCREMENTAL	_BITULL(6)	/* CKPT_DUMP_TRACK */
#define CKPT_FEAT_THREADS	_BITULL(7)	/* multi-threaded dump, restore */
#define CKPT_FEAT_THREAD_SNAPSHOTS _BITULL(8)	/* external snapshots of them */
/* Self, AFL and exit-time snapshots and rollback of them. */
#define CKPT_FEAT_SELF_THREAD_SNAPSHOTS _BITULL(9)
/* Threads in seccomp modes: SECCOMP records, CKPT_DUMP_SIZE_VER2. */
#define CKPT_FEAT_SECCOMP	_BITULL(10)
/* eventfds in images: FILE kind CKPT_FILE_EVENTFD. */
#define CKPT_FEAT_EVENTFD	_BITULL(11)
/* signalfds and timerfds: FILE kinds CKPT_FILE_SIGNALFD, _TIMERFD. */
#define CKPT_FEAT_SIGNALFD_TIMERFD _BITULL(12)
/* epolls: FILE kind CKPT_FILE_EPOLL, their targets from CKPT_DUMP_SIZE_VER3. */
#define CKPT_FEAT_EPOLL		_BITULL(13)
/* Sockets: FILE kind CKPT_FILE_SOCKET (unix, TCP, UDP; not connected streams). */
#define CKPT_FEAT_SOCKET	_BITULL(14)
/* TCP connections: CKPT_SOCK_ESTABLISHED, CKPT_DUMP_FINAL, _TCP_ESTABLISHED. */
#define CKPT_FEAT_TCP		_BITULL(15)

/* Kernel facts reported by CKPT_IOC_VERSION (kfacts). */
#define CKPT_KF_THP		_BITULL(0)	/* THP compiled in */
#define CKPT_KF_PER_VMA_LOCK	_BITULL(1)	/* faults may bypass mmap_lock */
#define CKPT_KF_SHADOW_STACK	_BITULL(2)	/* user shadow stacks compiled in */
#define CKPT_KF_MMU_NOTIFIER	_BITULL(3)
#define CKPT_KF_SWAP		_BITULL(4)
#define CKPT_KF_5LEVEL		_BITULL(5)	/* 5-level paging active */

struct ckpt_version {
	__u32 size;		/* in: sizeof(struct ckpt_version) */
	__u16 abi_major;	/* out: CKPT_ABI_MAJOR of the module */
	__u16 abi_minor;
	__u64 features;		/* out: CKPT_FEAT_* */
	__u64 kfacts;		/* out: CKPT_KF_* */
	__u64 xfeatures;	/* out: XCR0, the user xstate features */
	__u32 xstate_size;	/* out: bytes of NT_X86_XSTATE for a task */
	__u32 page_size;	/* out: PAGE_SIZE */
	__u32 chunk_size;	/* out: hbuf chunk size in bytes */
	__u32 image_version;	/* out: CKPT_IMAGE_VERSION it reads/writes */
	char module_version[16];/* out: e.g. "0.1.0", NUL-terminated */
	char release[72];	/* out: utsname release, NUL-terminated */
};

#define CKPT_VERSION_SIZE_VER0	136

/* Live object counts; every one of them is 0 when nothing is held. */
struct ckpt_counters {
	__u32 size;		/* in: sizeof(struct ckpt_counters) */
	__u32 __pad;
	__u64 ctxs;		/* live checkpoint contexts */
	__u64 hbuf_chunks;	/* live hbuf chunks */
	__u64 hbuf_bytes;	/* bytes in live hbuf chunks */
	__u64 hbuf_high_water;	/* most hbuf bytes live at once since load */
	__u64 page_refs;	/* page references held by checkpoints */
	__u64 opens;		/* open struct files of /dev/ckpt */
	__u64 snapshots;	/* live in-memory snapshots */
	__u64 snap_mms;		/* processes holding snapshots */
};

#define CKPT_COUNTERS_SIZE_VER0	56

/*
 * Debug only: runs an in-kernel self-test.  Answers EOPNOTSUPP unless the
 * module was loaded with debug=1, and needs CAP_SYS_ADMIN.
 */
#define CKPT_SELFTEST_HBUF	1

struct ckpt_selftest {
	__u32 size;		/* in: sizeof(struct ckpt_selftest) */
	__u32 which;		/* in: CKPT_SELFTEST_* */
	__u32 passed;		/* out: checks that held */
	__u32 failed;		/* out: checks that did not */
	char msg[128];		/* out: the first failure, NUL-terminated */
};

#define CKPT_SELFTEST_SIZE_VER0	144

/*
 * A dump is two calls.  CKPT_IOC_DUMP captures process @pid, which must be
 * ptrace-stopped by the caller: metadata is written to @fd as it is
 * gathered, memory is referenced copy-on-write, nothing is copied.  The
 * caller then resumes the process and calls CKPT_IOC_WRITEOUT on the same
 * open file, which writes the page contents and the trailer.  Closing the
 * file instead drops the capture.  On failure both fill errmsg.
 */
/*
 * CKPT_DUMP_TRACK: the dump is one of a series on this open /dev/ckpt.
 * The first dump of a process is full; each later one of the same process
 * (same mm) is incremental on the previous one whose writeout succeeded:
 * it holds all metadata, the CHANGED ranges, and only the pages inside
 * them.  Between dumps the module tracks changes (write-protected PTEs and
 * an MMU notifier); no page is held.  CKPT_DUMP_FULL starts the series
 * again with a full image (after the caller lost an image).
 */
#define CKPT_DUMP_TRACK		_BITUL(0)
#define CKPT_DUMP_FULL		_BITUL(1)
/*
 * CKPT_DUMP_FINAL: the process ends with this dump (ckpt dump --kill).
 * The caller puts its TCP sockets in TCP_REPAIR mode before it ends it,
 * so that their close tells their peers nothing.
 */
#define CKPT_DUMP_FINAL		_BITUL(2)
/*
 * CKPT_DUMP_TCP_ESTABLISHED (with CKPT_DUMP_FINAL; ckpt dump
 * --tcp-established): connections to a peer outside the process move
 * too, which a dump refuses otherwise.  From the capture their peers'
 * packets are dropped, so that no RST answers them while no socket has
 * the connection, until a restore takes it again; when the dump's file
 * is closed with the process still alive (the dump failed), at once, and
 * with it gone, after the module's netlock_secs at the latest.  A
 * connection whose both ends are the process's moves without it.
 */
#define CKPT_DUMP_TCP_ESTABLISHED _BITUL(3)

struct ckpt_dump {
	__u32 size;		/* in: sizeof(struct ckpt_dump) */
	__u32 flags;		/* in: CKPT_DUMP_* */
	__s32 pid;		/* in (DUMP): the process */
	__s32 fd;		/* in (DUMP): image output: file or pipe */
	__u64 image_id;		/* out */
	__u64 capture_ns;	/* out: time the capture held the process */
	__u64 pages;		/* out: pages referenced, then written */
	__u64 bytes;		/* out: image bytes written so far */
	__u32 hbuf_chunks;	/* out: hbuf chunks allocated */
	__s32 err_fd;		/* out: the fd that made it fail, or -1 */
	char errmsg[128];	/* out: why it failed, NUL-terminated */
	/* Since ABI 1.1 (CKPT_DUMP_SIZE_VER1). */
	__u64 parent_id;	/* out: the image this one is incremental on, or 0 */
	__u64 changed_ranges;	/* out: address ranges in its CHANGED records */
	/* Since ABI 1.2 (CKPT_DUMP_SIZE_VER2). */
	__u64 seccomp;		/* in: user address of SECCOMP records, or 0 */
	__u32 seccomp_len;	/* in: their bytes, at most CKPT_SECCOMP_IN_MAX */
	__u32 __pad;
	/* Since ABI 1.3 (CKPT_DUMP_SIZE_VER3). */
	__u64 epoll;		/* in: user address of struct ckpt_epoll_in[], or 0 */
	__u32 epoll_len;	/* in: their bytes, at most CKPT_EPOLL_IN_MAX */
	__u32 __pad2;
};

#define CKPT_DUMP_SIZE_VER0	184
#define CKPT_DUMP_SIZE_VER1	200
#define CKPT_DUMP_SIZE_VER2	216
#define CKPT_DUMP_SIZE_VER3	232

/*
 * Seccomp filters are private to kernel/seccomp.c, so the caller reads
 * them (PTRACE_SECCOMP_GET_FILTER and PTRACE_GET_SECCOMP_METADATA, on the
 * stopped threads) and passes them as the SECCOMP records of the image:
 * one per thread in filter mode, the leader's first, then ascending tid.
 * The kernel checks each as it checks an image, and that it names a
 * thread of the process in filter mode with as many filters, and copies
 * them into the image; strict-mode threads' records it makes itself.  A
 * process with a filter and no records fails with ENODATA, before the
 * capture begins, so the caller may read them and call again.
 */
#define CKPT_SECCOMP_IN_MAX	(64U << 20)

/*
 * An epoll's targets are private to fs/eventpoll.c, and its fdinfo names
 * each by the fd it was added with, which may have been closed or dup'd
 * since: only kcmp(KCMP_EPOLL_TFD) tells which file it is.  So the caller
 * passes, for every target of every epoll of the process, one of these:
 * the epoll's fd, the target's fd at registration (@tfd), an fd of the
 * process whose file is the target now (@target_fd), and the events and
 * data as the epoll's fdinfo shows them.  The kernel checks them against
 * that fdinfo (each target once, inode and device too).  A dump of a
 * process with an epoll that has targets, given none of these, fails with
 * ENODATA (when it comes to the files: the process is left as it was).
 */
struct ckpt_epoll_in {
	__s32 epfd;
	__s32 tfd;
	__s32 target_fd;
	__u32 events;
	__u64 data;
};

#define CKPT_EPOLL_IN_MAX	(16U << 20)

/*
 * CKPT_IOC_RESTORE is called by a fresh single-threaded process on itself:
 * it turns that process into the one in the image.  The image (@fd) must
 * be seekable: it is read and checked whole (every record, the page data,
 * the trailer's CRC) before anything changes, so a bad image fails with
 * the caller intact.  Past that point an error kills the caller.
 *
 * The kernel applies, in the caller's own context and with the same code
 * as a rollback, the mappings and their contents, the mm fields, the
 * signal handlers, the alternate stack, the image's queued signals (on top
 * of any that arrived meanwhile) and, last, the blocked mask.  What only
 * userspace can do comes before, in the caller: its cwd, limits, interval
 * timers, its pipes, and moving its vDSO to the image's address.  On
 * success @fd and @close_fd are closed.
 *
 * With CKPT_RESTORE_FILES (since CKPT_RESTORE_SIZE_VER1) the kernel also
 * makes the caller's fd table the image's, as a rollback does: it opens
 * each file by path (a regular file must be the inode the process had),
 * before anything changes, and then closes every other fd but @fd and
 * @close_fd.  Pipes cannot be made by a module: the caller makes each
 * and refills it, and leaves the end of FILE record i (in image order, of
 * kind CKPT_FILE_PIPE) at fd @pipe_fd + i.  An fd of kind
 * CKPT_FILE_INHERIT is the caller's own fd of that number.  Without the
 * flag the caller has set its fds itself, and they are left alone.
 *
 * The registers and xstate cannot be written on current.  So the caller's
 * tracer, at the restore's syscall-exit stop, calls CKPT_IOC_RESTORE with
 * CKPT_RESTORE_REGS and @pid on the same open file: the kernel writes the
 * image's registers into the stopped process, as it does for a rollback.
 * Signals that arrived are delivered after that, against the image's state.
 */
#define CKPT_RESTORE_REGS	_BITUL(0)	/* the registers of @pid's restore */
#define CKPT_RESTORE_FILES	_BITUL(1)	/* the image's fds, by the kernel */

struct ckpt_restore {
	__u32 size;		/* in: sizeof(struct ckpt_restore) */
	__u32 flags;		/* in: CKPT_RESTORE_FILES, or CKPT_RESTORE_REGS */
	__s32 fd;		/* in: the image */
	__s32 close_fd;		/* in: another fd to close on success, or -1 */
	char errmsg[128];	/* out: why it failed (caller still intact) */
	__s32 pid;		/* in, CKPT_RESTORE_REGS: the restored process */
	__s32 pipe_fd;		/* in, CKPT_RESTORE_FILES: see above (was padding) */
};

#define CKPT_RESTORE_SIZE_VER0	144
#define CKPT_RESTORE_SIZE_VER1	152

/*
 * The other threads of a multi-threaded image.  Before the process's
 * CKPT_IOC_RESTORE, the caller makes one thread per THREAD record but the
 * leader's (any tid; clone3 set_tid keeps the image's), and each calls
 * CKPT_IOC_RESTORE_THREAD with the image @tid it stands for.  That call
 * parks it: the process's restore waits until every such thread is
 * parked, and refuses to run otherwise.  The tracer, at the process's
 * syscall-exit stop, seizes and interrupts every parked thread, then
 * calls CKPT_IOC_RESTORE with CKPT_RESTORE_REGS for the process: that
 * releases the threads.  Each applies its own state in its own context
 * (mask, altstack, private signals, clear_child_tid, robust list, rseq,
 * scheduling) and stops on its way out, where the tracer applies its
 * registers with CKPT_RESTORE_REGS and @pid its tid.  No thread runs
 * user code before the tracer lets all of them go.  A restore that fails
 * before its point of no return makes the parked calls return -ECANCELED.
 */
struct ckpt_restore_thread {
	__u32 size;		/* in: sizeof(struct ckpt_restore_thread) */
	__u32 flags;		/* in: 0 */
	__s32 tid;		/* in: the image's tid this thread becomes */
	__u32 __pad;
};

#define CKPT_RESTORE_THREAD_SIZE_VER0	16

/*
 * In-memory snapshots.  A snapshot is a checkpoint that stays in the
 * kernel: metadata in hbuf chunks, memory as copy-on-write page
 * references.  It belongs to the process's memory: it dies with the
 * process, on exec, or on CKPT_IOC_DROP; fork()ed children do not get it.
 *
 * @pid 0 means the caller itself ("self"): registers are kept with setjmp
 * semantics (general registers; the library keeps the FP control words),
 * and a later CKPT_IOC_ROLLBACK by the process itself makes this
 * CKPT_IOC_SNAPSHOT call return again, with the snapshot id as its value
 * instead of 0.  Any other pid must be ptrace-stopped by the caller
 * ("external"): every register and the whole xstate are kept.
 *
 * Rollback restores private memory byte for byte (pages that appeared
 * since are discarded, mappings made since are unmapped, mappings removed
 * or changed since come back), brk, the fd table (the same open file
 * descriptions) and file offsets, signal handlers and the blocked mask,
 * and the registers.  Shared memory (MAP_SHARED, SysV shm) is left alone,
 * and signals that arrived since stay pending.
 *
 * External rollback is two calls: CKPT_IOC_ROLLBACK on the stopped process
 * sets its registers and queues the rest to run in the process's own
 * context; the caller then resumes (or detaches from) it and calls
 * CKPT_IOC_ROLLBACK again with CKPT_RB_WAIT for the result.
 */
#define CKPT_SNAP_EXIT		_BITUL(0)	/* roll back at exit/exit_group */

struct ckpt_snapshot {
	__u32 size;		/* in: sizeof(struct ckpt_snapshot) */
	__u32 flags;		/* in: CKPT_SNAP_* */
	__s32 pid;		/* in: the process, 0 for the caller */
	__u32 id;		/* out: the snapshot, > 0 */
	__u64 capture_ns;	/* out: time the process was held */
	__u64 pages;		/* out: page references held */
	__u64 meta_bytes;	/* out: metadata bytes in hbuf chunks */
	__u32 hbuf_chunks;	/* out: hbuf chunks allocated by this call */
	__u32 __pad;
	char errmsg[128];	/* out: why it failed, NUL-terminated */
};

#define CKPT_SNAPSHOT_SIZE_VER0	176

#define CKPT_RB_WAIT		_BITUL(0)	/* external: the queued result */

struct ckpt_rollback {
	__u32 size;		/* in: sizeof(struct ckpt_rollback) */
	__u32 flags;		/* in: CKPT_RB_* */
	__s32 pid;		/* in: the process, 0 for the caller */
	__u32 id;		/* in: the snapshot */
	__u64 rollback_ns;	/* out (external): time of the apply */
	__u64 pages_copied;	/* out (external): pages written back */
	__u64 pages_zapped;	/* out (external): new pages discarded */
	__u32 vmas_unmapped;	/* out (external): mappings made since */
	__u32 vmas_restored;	/* out (external): mappings brought back */
	char errmsg[128];	/* out: why it failed, NUL-terminated */
};

#define CKPT_ROLLBACK_SIZE_VER0	176

struct ckpt_snap_info {
	__u32 id;
	__u32 flags;		/* CKPT_SNAP_* */
	__u64 pages;		/* page references held */
	__u64 meta_bytes;	/* metadata bytes in hbuf chunks */
	__u64 capture_ns;
	__u64 rollbacks;	/* rollbacks done to it */
};

/* CKPT_IOC_DROP uses @id; CKPT_IOC_LIST fills @snaps. */
struct ckpt_snap_list {
	__u32 size;		/* in: sizeof(struct ckpt_snap_list) */
	__u32 flags;		/* in: 0 */
	__s32 pid;		/* in: the process, 0 for the caller */
	__u32 id;		/* in (DROP): the snapshot */
	__u32 max;		/* in (LIST): entries at @snaps */
	__u32 count;		/* out (LIST): snapshots alive (may be > max) */
	__u64 snaps;		/* in (LIST): struct ckpt_snap_info *, or 0 */
	char errmsg[128];	/* out */
};

#define CKPT_SNAP_LIST_SIZE_VER0	160

#define CKPT_IOC_VERSION	_IOWR(CKPT_IOC_MAGIC, 0x00, struct ckpt_version)
#define CKPT_IOC_COUNTERS	_IOWR(CKPT_IOC_MAGIC, 0x01, struct ckpt_counters)
#define CKPT_IOC_DUMP		_IOWR(CKPT_IOC_MAGIC, 0x10, struct ckpt_dump)
#define CKPT_IOC_WRITEOUT	_IOWR(CKPT_IOC_MAGIC, 0x11, struct ckpt_dump)
#define CKPT_IOC_RESTORE	_IOWR(CKPT_IOC_MAGIC, 0x12, struct ckpt_restore)
#define CKPT_IOC_RESTORE_THREAD	_IOW(CKPT_IOC_MAGIC, 0x13, struct ckpt_restore_thread)
#define CKPT_IOC_SNAPSHOT	_IOWR(CKPT_IOC_MAGIC, 0x20, struct ckpt_snapshot)
#define CKPT_IOC_ROLLBACK	_IOWR(CKPT_IOC_MAGIC, 0x21, struct ckpt_rollback)
#define CKPT_IOC_DROP		_IOWR(CKPT_IOC_MAGIC, 0x22, struct ckpt_snap_list)
#define CKPT_IOC_LIST		_IOWR(CKPT_IOC_MAGIC, 0x23, struct ckpt_snap_list)
#define CKPT_IOC_SELFTEST	_IOWR(CKPT_IOC_MAGIC, 0x3f, struct ckpt_selftest)

/*
 * Image stream.
 *
 *   HEADER, metadata records..., PAGES runs (each followed by its raw
 *   pages)..., TRAILER
 *
 * The trailer counts every record before it and holds the CRC32C
 * (Castagnoli, initial ~0, final xor ~0) of every byte before it.
 */
#define CKPT_IMAGE_MAGIC	"CKPTIMG"	/* 7 bytes + NUL in the header */
#define CKPT_IMAGE_VERSION	1
#define CKPT_ARCH_X86_64	62		/* ELF e_machine EM_X86_64 */
#define CKPT_REC_ALIGN		8
#define CKPT_REC_MAX_LEN	(16U << 20)	/* no metadata record is larger */

enum ckpt_rec_type {
	CKPT_REC_HEADER		= 1,
	CKPT_REC_TASK		= 2,	/* identity, limits */
	CKPT_REC_FS		= 3,	/* cwd and root */
	CKPT_REC_CPU		= 4,	/* general registers */
	CKPT_REC_XSTATE		= 5,	/* FPU/SSE/AVX...: NT_X86_XSTATE bytes */
	CKPT_REC_SIGHAND	= 6,	/* all 64 handlers */
	CKPT_REC_SIGNAL		= 7,	/* mask, altstack, itimers */
	CKPT_REC_SIGPENDING	= 8,	/* one queued signal */
	CKPT_REC_MM		= 9,	/* mm fields, auxv, exe */
	CKPT_REC_VMA		= 10,	/* one mapping */
	CKPT_REC_FILE		= 11,	/* one open file description */
	CKPT_REC_FD		= 12,	/* one fd -> file */
	CKPT_REC_CHANGED	= 13,	/* incremental: ranges it stands for */
	CKPT_REC_THREAD		= 14,	/* one thread: its own state */
	CKPT_REC_TIMER		= 15,	/* one POSIX timer (timer_create) */
	CKPT_REC_SECCOMP	= 16,	/* one thread's seccomp mode, filters */
	CKPT_REC_PAGES		= 64,	/* run of pages, data follows */
	CKPT_REC_TRAILER	= 127,
};

struct ckpt_hdr {
	__u32 type;		/* enum ckpt_rec_type */
	__u32 len;		/* whole record incl. this header, % 8 == 0 */
};

/*
 * Order: HEADER, TASK, FS, CPU, XSTATE, SIGHAND, SIGNAL, SIGPENDING*,
 * THREAD* (the leader's first), TIMER* (ascending id), SECCOMP* (the
 * leader's first, then ascending tid), MM, VMA* (sorted,
 * disjoint), FILE*, FD* (sorted), PAGES* (sorted, inside VMAs that hold
 * contents), TRAILER.
 */

#define CKPT_IMG_INCREMENTAL	_BITUL(0)	/* pages only since parent_id */
/*
 * The trailer's rec_crc32c is set: a reader can check every record
 * without reading the page data, which it may then leave to whoever reads
 * it (restore reads it once, into place, and checks crc32c there).
 */
#define CKPT_IMG_REC_CRC	_BITUL(1)
#define CKPT_IMG_KNOWN		(CKPT_IMG_INCREMENTAL | CKPT_IMG_REC_CRC)

struct ckpt_rec_header {
	struct ckpt_hdr h;
	char magic[8];		/* CKPT_IMAGE_MAGIC, NUL-terminated */
	__u32 version;		/* CKPT_IMAGE_VERSION */
	__u32 arch;		/* CKPT_ARCH_* */
	__u32 page_size;
	__u32 flags;		/* CKPT_IMG_* */
	__u64 image_id;		/* non-zero */
	__u64 parent_id;	/* 0 unless CKPT_IMG_INCREMENTAL */
	__u64 time_ns;		/* CLOCK_REALTIME at capture, informational */
	char release[72];	/* kernel release, informational */
};

#define CKPT_RLIM_NLIMITS	16

struct ckpt_rlimit {
	__u64 cur;
	__u64 max;
};

#define CKPT_TASK_NO_NEW_PRIVS	_BITUL(0)

struct ckpt_rec_task {
	struct ckpt_hdr h;
	__u32 pid;		/* thread group id */
	__u32 tid;
	__u32 ppid;		/* informational */
	__u32 pgid;		/* informational */
	__u32 sid;		/* informational */
	__u32 uid;		/* real ids, informational */
	__u32 gid;
	__u32 personality;
	__u32 umask;
	__u32 flags;		/* CKPT_TASK_* */
	__u32 dumpable;		/* SUID_DUMP_* */
	__s32 pdeathsig;
	char comm[16];		/* NUL-terminated */
	struct ckpt_rlimit rlim[CKPT_RLIM_NLIMITS];
	__u64 rseq;		/* registered struct rseq, 0 if none */
	__u32 rseq_len;
	__u32 rseq_sig;
};

/* cwd then root: two NUL-terminated paths in paths[], padded to 8. */
struct ckpt_rec_fs {
	struct ckpt_hdr h;
	__u32 cwd_len;		/* bytes incl. NUL */
	__u32 root_len;		/* bytes incl. NUL */
	char paths[];
};

/* The layout of struct user_regs_struct (NT_PRSTATUS) on x86_64. */
struct ckpt_rec_cpu {
	struct ckpt_hdr h;
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	__u64 ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
	__u64 fs_base, gs_base, ds, es, fs, gs;
};

/* XSAVE standard-format bytes as PTRACE_GETREGSET(NT_X86_XSTATE) gives. */
struct ckpt_rec_xstate {
	struct ckpt_hdr h;
	__u32 size;		/* bytes in data[] */
	__u32 __pad;
	__u64 xcr0;		/* XCR0 of the capturing kernel */
	__u8 data[];		/* padded to 8 */
};

struct ckpt_sigaction {
	__u64 handler;		/* SIG_DFL 0, SIG_IGN 1, else an address */
	__u64 flags;		/* SA_* */
	__u64 restorer;
	__u64 mask;
};

struct ckpt_rec_sighand {
	struct ckpt_hdr h;
	struct ckpt_sigaction action[64];	/* signal n at [n - 1] */
};

struct ckpt_itimer {
	__u64 value_ns;		/* time left, 0 if disarmed */
	__u64 interval_ns;
};

struct ckpt_rec_signal {
	struct ckpt_hdr h;
	__u64 blocked;		/* signal n is bit n - 1 */
	__u64 altstack_sp;
	__u64 altstack_size;
	__u32 altstack_flags;	/* SS_* */
	__u32 __pad;
	struct ckpt_itimer itimer[3];	/* ITIMER_REAL, _VIRTUAL, _PROF */
};

struct ckpt_rec_sigpending {
	struct ckpt_hdr h;
	__u32 shared;		/* 1: process-wide queue, 0: the thread's */
	__u32 signo;
	__u8 siginfo[128];	/* siginfo_t as userspace sees it */
};

/*
 * One thread.  The leader's record (CKPT_THREAD_LEADER, tid == TASK tid,
 * first) holds only what the process records lack: its mask, altstack,
 * registers and pending signals are the CPU, XSTATE, SIGNAL and
 * SIGPENDING records, and its own fields for those are zero.  Every other
 * thread's record is followed, inside its len, by that thread's CPU and
 * XSTATE records and nr_pending SIGPENDING records (shared 0), whole.
 * Non-leader records come in ascending tid order.
 */
#define CKPT_THREAD_LEADER	_BITUL(0)
/*
 * no_new_privs is per thread: CKPT_THREAD_NNP_SAID says that this record
 * has it, in CKPT_THREAD_NNP (every record of an image or none).  Without
 * it (an older image), every thread takes the TASK's.
 */
#define CKPT_THREAD_NNP		_BITUL(1)
#define CKPT_THREAD_NNP_SAID	_BITUL(2)
#define CKPT_THREAD_CPUS	1024		/* affinity bits kept */

struct ckpt_rec_thread {
	struct ckpt_hdr h;
	__u32 tid;
	__u32 flags;		/* CKPT_THREAD_* */
	char comm[16];		/* NUL-terminated */
	__u64 blocked;		/* as in SIGNAL */
	__u64 altstack_sp;
	__u64 altstack_size;
	__u32 altstack_flags;
	__u32 nr_pending;	/* SIGPENDING records nested after XSTATE */
	__u64 clear_child_tid;	/* set_tid_address() */
	__u64 robust_list;	/* set_robust_list() head, 0 if none */
	__u64 rseq;		/* registered struct rseq, 0 if none */
	__u32 rseq_len;
	__u32 rseq_sig;
	__u32 policy;		/* SCHED_OTHER, _BATCH, _IDLE, _FIFO, _RR */
	__u32 rt_priority;	/* FIFO and RR: 1..99, else 0 */
	__s32 nice;		/* -20..19 */
	__u32 __pad;
	__u64 cpus[CKPT_THREAD_CPUS / 64];	/* affinity: CPU n is bit n */
};

/*
 * A POSIX timer, recreated by the restoring process with timer_create()
 * (ids come in order, so holes are made and deleted again) and armed
 * with timer_settime() for the time it had left.  Only the clocks a
 * process may use without privilege, and not the CPU-time clocks.
 */
struct ckpt_rec_timer {
	struct ckpt_hdr h;
	__s32 id;		/* timer_t, as timer_create() gave it */
	__s32 clock;		/* CLOCK_REALTIME, _MONOTONIC, _BOOTTIME, _TAI */
	__u32 notify;		/* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID */
	__u32 signo;		/* 0 for SIGEV_NONE */
	__u32 tid;		/* SIGEV_THREAD_ID: the thread signalled */
	__u32 __pad;
	__u64 value;		/* sigev_value */
	__u64 value_ns;		/* time left, 0 if disarmed */
	__u64 interval_ns;
};

/*
 * A thread in a seccomp mode.  A restore makes each thread's filters
 * again in that thread, oldest first, while its tracer has it under
 * PTRACE_O_SUSPEND_SECCOMP: they filter nothing of the restore, and
 * everything from the moment the tracer lets the thread go.  Filters
 * that send calls to a user-space listener (SECCOMP_RET_USER_NOTIF) are
 * not taken: the listener cannot come with them.
 */
#define CKPT_SECCOMP_STRICT	1	/* SECCOMP_MODE_STRICT */
#define CKPT_SECCOMP_FILTER	2	/* SECCOMP_MODE_FILTER */
#define CKPT_SECCOMP_LOG	_BITUL(0)	/* SECCOMP_FILTER_FLAG_LOG */
#define CKPT_SECCOMP_MAX_INSNS	4096	/* BPF_MAXINSNS, per filter */
/* MAX_INSNS_PER_PATH: a thread's instructions, plus 4 per filter. */
#define CKPT_SECCOMP_MAX_PATH	32768

struct ckpt_sock_filter {	/* struct sock_filter */
	__u16 code;
	__u8 jt;
	__u8 jf;
	__u32 k;
};

struct ckpt_seccomp_filter {
	__u32 flags;		/* CKPT_SECCOMP_LOG */
	__u32 len;		/* instructions that follow: 1..MAX_INSNS */
	struct ckpt_sock_filter insns[];
};

struct ckpt_rec_seccomp {
	struct ckpt_hdr h;
	__u32 tid;
	__u32 mode;		/* CKPT_SECCOMP_STRICT or _FILTER */
	__u32 nr_filters;	/* FILTER: how many, oldest first */
	/*
	 * FILTER: 0, and nr_filters struct ckpt_seccomp_filter follow; or
	 * the tid of an earlier record whose filters these are (as many),
	 * and none follow: threads that share their filters, as threads
	 * made after a filter or synced by SECCOMP_FILTER_FLAG_TSYNC do.
	 */
	__u32 same_as;
};

/*
 * Timer ids above this are refused: a process's timer ids only go up, so
 * a restore makes (and deletes again) every id below the highest one.
 */
#define CKPT_TIMER_ID_MAX	65535

#define CKPT_AUXV_WORDS		64

struct ckpt_rec_mm {
	struct ckpt_hdr h;
	__u64 start_code, end_code, start_data, end_data;
	__u64 start_brk, brk, start_stack;
	__u64 arg_start, arg_end, env_start, env_end;
	__u64 vdso;		/* base of [vdso] */
	__u64 auxv[CKPT_AUXV_WORDS];	/* id/value pairs, AT_NULL-ended */
	__u32 exe_len;		/* bytes of exe[] incl. NUL, 0 if none */
	__u32 __pad;
	char exe[];		/* executable's path, padded to 8 */
};

enum ckpt_vma_kind {
	CKPT_VMA_ANON		= 1,	/* private anonymous (heap, stack...) */
	CKPT_VMA_FILE_PRIVATE	= 2,	/* private file: changed pages stored */
	CKPT_VMA_FILE_SHARED	= 3,	/* shared file: contents in the file */
	CKPT_VMA_ANON_SHARED	= 4,	/* shared anonymous: contents stored */
	CKPT_VMA_VDSO		= 5,
	CKPT_VMA_VVAR		= 6,
};

#define CKPT_VMA_GROWSDOWN	_BITUL(0)	/* a stack */
#define CKPT_VMA_HEAP		_BITUL(1)	/* [heap] */
#define CKPT_VMA_DONTDUMP	_BITUL(2)	/* madvise(MADV_DONTDUMP) */
#define CKPT_VMA_HUGEPAGE	_BITUL(3)	/* madvise(MADV_HUGEPAGE) */
#define CKPT_VMA_NOHUGEPAGE	_BITUL(4)	/* madvise(MADV_NOHUGEPAGE) */
#define CKPT_VMA_DONTFORK	_BITUL(5)	/* madvise(MADV_DONTFORK) */
#define CKPT_VMA_WIPEONFORK	_BITUL(6)	/* madvise(MADV_WIPEONFORK) */
#define CKPT_VMA_SEQ_READ	_BITUL(7)	/* madvise(MADV_SEQUENTIAL) */
#define CKPT_VMA_RAND_READ	_BITUL(8)	/* madvise(MADV_RANDOM) */
#define CKPT_VMA_NORESERVE	_BITUL(9)	/* mmap(MAP_NORESERVE) */
#define CKPT_VMA_LOCKED		_BITUL(10)	/* mlock() */
#define CKPT_VMA_KNOWN		0x7ffU

struct ckpt_rec_vma {
	struct ckpt_hdr h;
	__u64 start;
	__u64 end;
	__u64 pgoff;		/* file offset in pages */
	__u64 ino;		/* of the mapped file: a changed file fails */
	__u32 dev;		/* new_encode_dev() of the mapped file */
	__u32 kind;		/* enum ckpt_vma_kind */
	__u32 prot;		/* PROT_READ | PROT_WRITE | PROT_EXEC */
	__u32 flags;		/* CKPT_VMA_* */
	__u32 shared_id;	/* ANON_SHARED: same id, same memory */
	__u32 path_len;		/* bytes of path[] incl. NUL, 0 if none */
	char path[];		/* padded to 8 */
};

enum ckpt_file_kind {
	CKPT_FILE_REG		= 1,	/* regular file, reopened by path */
	CKPT_FILE_DIR		= 2,
	CKPT_FILE_CHR		= 3,	/* /dev/null, /dev/zero, /dev/urandom */
	CKPT_FILE_PIPE		= 4,	/* both ends in the process */
	CKPT_FILE_FIFO		= 5,
	CKPT_FILE_INHERIT	= 6,	/* outside world: restore's own fd */
	CKPT_FILE_EVENTFD	= 7,	/* data[] is a struct ckpt_file_eventfd */
	CKPT_FILE_SIGNALFD	= 8,	/* data[] is a struct ckpt_file_signalfd */
	CKPT_FILE_TIMERFD	= 9,	/* data[] is a struct ckpt_file_timerfd */
	CKPT_FILE_EPOLL		= 10,	/* data[] is struct ckpt_epoll_target[] */
	CKPT_FILE_SOCKET	= 11,	/* data[] is a struct ckpt_file_socket */
};

struct ckpt_rec_file {
	struct ckpt_hdr h;
	__u32 id;		/* referenced by FD records */
	__u32 kind;		/* enum ckpt_file_kind */
	__u32 flags;		/* O_* status flags and access mode */
	__u32 pipe_id;		/* PIPE/FIFO, socketpair: same id, same pipe */
	__u64 pos;
	__u64 ino;
	__u32 dev;
	__u32 rdev;		/* CHR: the device */
	__u32 data_len;		/* PIPE/FIFO read end: bytes in flight */
	__u32 path_len;		/* bytes of path incl. NUL */
	char data[];		/* path, then pipe data, padded to 8 */
};

/*
 * The state of an eventfd (FILE kind EVENTFD, data_len the size of this,
 * no path).  Its O_NONBLOCK is in the record's flags, as for any file.
 */
#define CKPT_EVENTFD_SEMAPHORE	_BITUL(0)	/* EFD_SEMAPHORE */

struct ckpt_file_eventfd {
	__u64 count;
	__u32 flags;		/* CKPT_EVENTFD_* */
	__u32 __pad;
};

/* A signalfd (FILE kind SIGNALFD): the signals it reads. */
struct ckpt_file_signalfd {
	__u64 mask;		/* bit n - 1: signal n; never SIGKILL, SIGSTOP */
};

/*
 * A timerfd (FILE kind TIMERFD).  The time to its next expiry is kept, not
 * the instant: a relative timer resumes with it at restore, an absolute
 * one is set to the restore's now on its clock plus it.
 */
#define CKPT_TIMERFD_ABSTIME	_BITUL(0)	/* TFD_TIMER_ABSTIME */
#define CKPT_TIMERFD_CANCEL_ON_SET _BITUL(1)	/* TFD_TIMER_CANCEL_ON_SET */

struct ckpt_file_timerfd {
	__s32 clockid;		/* REALTIME, MONOTONIC, BOOTTIME, the _ALARMs */
	__u32 flags;		/* CKPT_TIMERFD_*: its last timerfd_settime()'s */
	__u64 ticks;		/* expiries not read yet */
	__u64 value_ns;		/* to the next expiry; 0: not armed */
	__u64 interval_ns;	/* 0: one-shot */
};

/*
 * A target of an epoll (FILE kind EPOLL, data_len a multiple of this): the
 * file of FILE record @file_id, registered as fd @tfd, with @events (the
 * EPOLL* bits; a EPOLLONESHOT target that fired has no others) and @data.
 */
struct ckpt_epoll_target {
	__u32 tfd;
	__u32 file_id;
	__u32 events;
	__u32 __pad;
	__u64 data;
};

/*
 * A socket (FILE kind SOCKET: data[] is this; path[], if any, the absolute
 * name of the socket file a unix socket is bound to).  It is what a
 * restorer rebuilds with socket(), setsockopt(), bind(), listen(),
 * connect() and socketpair(): a socket not yet bound or bound, one
 * listening with no connection waiting to be accepted, a datagram socket
 * connected to a peer, or one end of a unix socketpair whose other end is
 * in the process too (the two FILE records share a pipe_id), with nothing
 * queued to read but what waits for this end, which follows this struct
 * in data[] (CKPT_SOCK_DATA_MAX at most): a stream socketpair's bytes, or
 * a datagram or seqpacket socketpair's messages, each a struct
 * ckpt_sock_msg and its bytes, oldest first;
 * or a TCP connection, whose struct ckpt_tcp_conn and queues follow: one
 * of the process to itself in any dump, one to a peer outside with
 * CKPT_DUMP_TCP_ESTABLISHED.  A dump refuses the others (a unix
 * stream connected outside the process, data or connections in a queue)
 * in words.
 */
enum ckpt_sock_state {
	CKPT_SOCK_CLOSED	= 1,	/* not listening or connected */
	CKPT_SOCK_LISTEN	= 2,	/* stream, seqpacket */
	CKPT_SOCK_CONNECTED	= 3,	/* datagram, to peer[] */
	CKPT_SOCK_PAIR		= 4,	/* unix, unnamed, to its pipe_id twin */
	CKPT_SOCK_ESTABLISHED	= 5,	/* TCP, to peer[]: ckpt_tcp_conn */
};

#define CKPT_SOCK_REUSEADDR	_BITUL(0)
#define CKPT_SOCK_REUSEPORT	_BITUL(1)
#define CKPT_SOCK_V6ONLY	_BITUL(2)	/* IPV6_V6ONLY */
#define CKPT_SOCK_KEEPALIVE	_BITUL(3)
#define CKPT_SOCK_BROADCAST	_BITUL(4)
#define CKPT_SOCK_NODELAY	_BITUL(5)	/* TCP_NODELAY */
#define CKPT_SOCK_RCVBUF	_BITUL(6)	/* rcvbuf was set by SO_RCVBUF */
#define CKPT_SOCK_SNDBUF	_BITUL(7)	/* sndbuf was set by SO_SNDBUF */
#define CKPT_SOCK_OPTS		_BITUL(8)	/* a struct ckpt_sock_opts follows */
#define CKPT_SOCK_PASSCRED	_BITUL(9)	/* SO_PASSCRED */

#define CKPT_SOCKADDR_MAX	128	/* sizeof(struct sockaddr_storage) */
#define CKPT_SOCK_DATA_MAX	4194304	/* a socketpair end's bytes, 4 MiB */

/* One message waiting in a datagram or seqpacket socketpair's end. */
struct ckpt_sock_msg {
	__u32 len;		/* its bytes, which follow (not aligned) */
};

struct ckpt_file_socket {
	__u16 family;		/* AF_UNIX, AF_INET, AF_INET6 */
	__u16 type;		/* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	__u16 protocol;		/* IPPROTO_TCP, IPPROTO_UDP; 0 for AF_UNIX */
	__u16 state;		/* enum ckpt_sock_state */
	__u32 flags;		/* CKPT_SOCK_* */
	__u32 backlog;		/* LISTEN: listen()'s, as the kernel keeps it */
	__u32 rcvbuf;		/* CKPT_SOCK_RCVBUF: what SO_RCVBUF was given */
	__u32 sndbuf;		/* CKPT_SOCK_SNDBUF: what SO_SNDBUF was given */
	__u32 addr_len;		/* bytes of addr[]: 0 if not bound */
	__u32 peer_len;		/* bytes of peer[]: CONNECTED only */
	__u32 mode;		/* unix socket file: its permission bits */
	__u32 __pad;
	__u8 addr[CKPT_SOCKADDR_MAX];	/* as getsockname() says it */
	__u8 peer[CKPT_SOCKADDR_MAX];	/* as getpeername() says it */
};

/*
 * The other options of a socket, as getsockopt() reads them, with
 * CKPT_SOCK_OPTS: right after its struct ckpt_file_socket in data[],
 * before a connection's or a socketpair's bytes.  A restorer sets each
 * one that differs from what a new socket has.
 */
#define CKPT_SOCKOPT_LINGER	_BITUL(0)	/* SO_LINGER on, for linger s */
#define CKPT_SOCKOPT_CORK	_BITUL(1)	/* TCP_CORK */

#define CKPT_SOCK_CONG_MAX	16	/* TCP_CA_NAME_MAX */

struct ckpt_sock_opts {
	__u32 flags;		/* CKPT_SOCKOPT_* */
	__u32 keepidle;		/* TCP_KEEPIDLE, s; 0: the system's */
	__u32 keepintvl;	/* TCP_KEEPINTVL, s; 0: the system's */
	__u32 keepcnt;		/* TCP_KEEPCNT; 0: the system's */
	__u32 user_timeout;	/* TCP_USER_TIMEOUT, ms; 0: none */
	__u32 linger;		/* SO_LINGER's l_linger, s */
	__u64 rcvtimeo_us;	/* SO_RCVTIMEO; 0: none */
	__u64 sndtimeo_us;	/* SO_SNDTIMEO; 0: none */
	__u32 rcvlowat;		/* SO_RCVLOWAT */
	__u32 priority;		/* SO_PRIORITY */
	__u32 tos;		/* IP_TOS, or IPV6_TCLASS for IPv6 */
	__u32 maxseg;		/* TCP_MAXSEG as set; 0: none */
	__u32 notsent_lowat;	/* TCP_NOTSENT_LOWAT; 0: none */
	__u32 __pad;
	char congestion[CKPT_SOCK_CONG_MAX];	/* TCP_CONGESTION; "" not TCP */
};

/* Where a socket's bytes (a connection's, a socketpair's) start in data[]. */
static inline __u32 ckpt_sock_data_off(const struct ckpt_file_socket *st)
{
	return sizeof(*st) +
	       (st->flags & CKPT_SOCK_OPTS ? sizeof(struct ckpt_sock_opts) : 0);
}

/*
 * A TCP connection (state CKPT_SOCK_ESTABLISHED): what a restorer gives
 * TCP_REPAIR, read as its getsockopt()s read it.  This follows the struct
 * ckpt_file_socket in data[] and its options (at ckpt_sock_data_off()),
 * then the send queue's sendq_len bytes (from
 * snd_una; the last write_seq - snd_nxt of them not sent yet), then the
 * receive queue's recvq_len bytes (up to rcv_nxt), together
 * CKPT_TCP_QUEUES_MAX at most.
 */
#define CKPT_TCP_SACK		_BITUL(0)	/* TCPOPT_SACK_PERM */
#define CKPT_TCP_WSCALE		_BITUL(1)	/* TCPOPT_WINDOW */
#define CKPT_TCP_TSTAMP		_BITUL(2)	/* TCPOPT_TIMESTAMP */

#define CKPT_TCP_QUEUES_MAX	12582912	/* 12 MiB */

struct ckpt_tcp_conn {
	__u32 snd_una;		/* sequence number of the send queue's start */
	__u32 snd_nxt;		/* of its first byte not sent yet */
	__u32 write_seq;	/* after its end */
	__u32 rcv_nxt;		/* after the receive queue's end */
	__u32 sendq_len;	/* write_seq - snd_una */
	__u32 recvq_len;	/* bytes not read yet, ending at rcv_nxt */
	__u32 mss;		/* TCPOPT_MAXSEG: the negotiated clamp */
	__u32 timestamp;	/* TCP_TIMESTAMP, with CKPT_TCP_TSTAMP */
	__u16 options;		/* CKPT_TCP_* */
	__u8 snd_wscale;	/* with CKPT_TCP_WSCALE, 14 at most */
	__u8 rcv_wscale;
	__u32 snd_wl1;		/* struct tcp_repair_window's five */
	__u32 snd_wnd;
	__u32 max_window;
	__u32 rcv_wnd;
	__u32 rcv_wup;
	__u32 __pad[2];
};

#define CKPT_FD_CLOEXEC		_BITUL(0)

struct ckpt_rec_fd {
	struct ckpt_hdr h;
	__u32 fd;
	__u32 file_id;
	__u32 flags;		/* CKPT_FD_* */
	__u32 __pad;
};

/*
 * A run of npages pages at vaddr; npages * page_size bytes of page data
 * follow the record.  len covers the record only, not the data.
 */
struct ckpt_rec_pages {
	struct ckpt_hdr h;
	__u64 vaddr;
	__u64 npages;
};

/*
 * Incremental images only, after the FD records and before the pages:
 * the address ranges [start, end) in which this image alone is the truth.
 * Inside them a page without a PAGES run is not present (it reads as zero,
 * or as the mapped file); outside them, the contents are those the parent
 * image chain gives.  Ranges are page-aligned, sorted and disjoint, across
 * all CHANGED records; every PAGES run of the image lies inside one.
 */
struct ckpt_range {
	__u64 start;
	__u64 end;
};

struct ckpt_rec_changed {
	struct ckpt_hdr h;
	__u64 nr;		/* ranges in this record */
	struct ckpt_range range[];
};

#define CKPT_CHANGED_MAX_PER_REC	65536

struct ckpt_rec_trailer {
	struct ckpt_hdr h;
	__u64 nr_records;	/* records before the trailer */
	__u64 nr_bytes;		/* stream bytes before the trailer */
	__u32 crc32c;		/* of those bytes */
	/*
	 * With CKPT_IMG_REC_CRC: of the records alone, every one but this
	 * (headers and bodies, PAGES included), none of the page data; else 0.
	 */
	__u32 rec_crc32c;
};

#endif /* _UAPI_LINUX_CKPT_H */
