// SPDX-License-Identifier: GPL-2.0
/*
 * The restoring child, before the restore ioctl: what the kernel cannot
 * apply for it, each step saying why: pipes, limits, identity,
 * directories, interval timers, and moving the vDSO to the image's
 * address.  The kernel applies the rest (fds, mappings, pages, signal
 * handlers, altstack, queued signals, the mask) with rollback's appliers.
 *
 * All signals are blocked by the caller; the kernel sets the image's mask
 * last.  After the vDSO moves, nothing here may call into it (no
 * clock_gettime()), which is why the timers are set before.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/sched.h>
#include <linux/seccomp.h>

#include "restore.h"
#include "tool.h"

/* Fds of the restorer itself are parked above every image fd. */
static int park_base;

/*
 * Moves our own fds out of the image's way: the kernel installs the
 * image's fds at their numbers (CKPT_RESTORE_FILES) and closes every
 * other fd but the image and the device, which it closes at the end.
 */
static int park_fds(const struct plan *p, int *keep, size_t nr_keep)
{
	size_t i;
	int nfd;

	park_base = 3;
	for (i = 0; i < p->nr_fds; i++)
		if ((int)p->fds[i].fd >= park_base)
			park_base = p->fds[i].fd + 1;
	for (i = 0; i < nr_keep; i++) {
		nfd = fcntl(keep[i], F_DUPFD_CLOEXEC, park_base);
		if (nfd < 0) {
			errmsg("restore: cannot move fd %d: %s", keep[i], strerror(errno));
			return -1;
		}
		close(keep[i]);
		if (keep[i] == tool_errfd)
			tool_errfd = nfd;
		keep[i] = nfd;
	}
	return 0;
}

/* Moves *fd to @base or above, out of the way of the fds placed below. */
static int park(int *fd, int base)
{
	int nfd;

	if (*fd >= base)
		return 0;
	nfd = fcntl(*fd, F_DUPFD_CLOEXEC, base);
	close(*fd);
	*fd = nfd;
	return nfd < 0 ? -1 : 0;
}

/* Makes the pipe of FILE record @i, and of every record of its pipe_id. */
static int make_pipe(const struct plan *p, size_t i, int *pipes, int above)
{
	int pfd[2];
	size_t j;

	if (pipe2(pfd, O_CLOEXEC) || park(&pfd[0], above) || park(&pfd[1], above)) {
		errmsg("restore: pipe: %s", strerror(errno));
		return -1;
	}
	for (j = 0; j < p->nr_files; j++) {
		if (p->files[j].rec.kind != CKPT_FILE_PIPE ||
		    p->files[j].rec.pipe_id != p->files[i].rec.pipe_id)
			continue;
		pipes[2 * j] = pfd[0];
		pipes[2 * j + 1] = pfd[1];
	}
	return 0;
}

/* Puts the data in flight back into the pipe of FILE record @i. */
static int refill_pipe(const struct plan_file *f, int wr)
{
	if (fcntl(wr, F_SETPIPE_SZ, f->rec.data_len) < 0 &&
	    f->rec.data_len > 65536) {
		errmsg("restore: fd with pipe data: cannot size the pipe: %s",
		       strerror(errno));
		return -1;
	}
	if (write(wr, f->data, f->rec.data_len) != (ssize_t)f->rec.data_len) {
		errmsg("restore: cannot refill a pipe: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Makes the eventfd, signalfd, timerfd or socket of FILE record @f, at fd
 * @at.
 */
static int make_anon(const struct plan *p, const struct plan_file *f, int at,
		     int above)
{
	int fd = f->rec.kind == CKPT_FILE_SOCKET ? socket_make(f, plan_first_fd(p, f)) :
						   anon_file_make(f);

	if (fd < 0)
		return -1;
	if (park(&fd, above) || dup3(fd, at, O_CLOEXEC) < 0) {
		errmsg("restore: fd %u: %s", plan_first_fd(p, f), strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Pipes, eventfds, signalfds, timerfds and sockets stay in userspace: a
 * module cannot make them (create_pipe_files(), do_pipe_flags() and their
 * fops are not exported; a socket is bound with the process's view of
 * paths), so they are made, given their status flags and refilled here, and the kernel takes the file of FILE record i from fd
 * *pipe_fd + i (CKPT_RESTORE_FILES).  Every other file is opened by the
 * kernel, which also installs all of the image's fds (files.c, the
 * installer of a rollback).
 */
/* The TCP connections made at @base + FILE index, out of repair mode. */
static int tcp_conns_finish(const struct plan *p, int base)
{
	const struct plan_file *f;
	struct ckpt_file_socket st;
	size_t i;

	for (i = 0; i < p->nr_files; i++) {
		f = &p->files[i];
		if (f->rec.kind != CKPT_FILE_SOCKET)
			continue;
		memcpy(&st, f->data, sizeof(st));	/* data_len checked */
		if (st.state == CKPT_SOCK_ESTABLISHED &&
		    tcp_conn_finish(base + (int)i, &st,
				    (const char *)f->data + ckpt_sock_data_off(&st),
				    plan_first_fd(p, f)))
			return -1;
	}
	return 0;
}

static int hand_over_pipes(const struct plan *p, const int *keep,
			   size_t nr_keep, int *pipe_fd)
{
	const struct plan_file *f;
	int *pipes, base = park_base, end, ret = -1;
	bool *paired = NULL;
	size_t i, j;

	for (i = 0; i < nr_keep; i++)
		if (keep[i] >= base)
			base = keep[i] + 1;
	*pipe_fd = base;
	pipes = malloc((2 * p->nr_files + 2) * sizeof(*pipes));
	if (!pipes) {
		errmsg("restore: out of memory");
		return -1;
	}
	for (i = 0; i < 2 * p->nr_files; i++)
		pipes[i] = -1;
	paired = calloc(p->nr_files + 1, sizeof(*paired));
	if (!paired) {
		errmsg("restore: out of memory");
		goto out;
	}
	for (i = 0; i < p->nr_files; i++) {
		f = &p->files[i];
		if (f->rec.kind == CKPT_FILE_SOCKET && f->rec.pipe_id) {
			if (!paired[i] &&
			    socketpair_make(p, i, base, base + (int)p->nr_files,
					    paired))
				goto out;
			continue;
		}
		if (f->rec.kind == CKPT_FILE_EVENTFD ||
		    f->rec.kind == CKPT_FILE_SIGNALFD ||
		    f->rec.kind == CKPT_FILE_TIMERFD ||
		    f->rec.kind == CKPT_FILE_SOCKET) {
			if (make_anon(p, f, base + (int)i, base + (int)p->nr_files))
				goto out;
			continue;
		}
		if (f->rec.kind != CKPT_FILE_PIPE)
			continue;
		/* Both ends of a pipe come from one pipe2(), by pipe_id. */
		if (pipes[2 * i] < 0 &&
		    make_pipe(p, i, pipes, base + (int)p->nr_files))
			goto out;
		end = (f->rec.flags & O_ACCMODE) == O_RDONLY ? pipes[2 * i] :
							       pipes[2 * i + 1];
		if (f->data && f->rec.data_len && refill_pipe(f, pipes[2 * i + 1]))
			goto out;
		if (fcntl(end, F_SETFL, f->rec.flags & (O_APPEND | O_NONBLOCK |
							O_DIRECT | O_NOATIME)) < 0 ||
		    dup3(end, base + (int)i, O_CLOEXEC) < 0) {
			errmsg("restore: pipe: %s", strerror(errno));
			goto out;
		}
	}
	if (tcp_conns_finish(p, base))
		goto out;
	ret = epolls_make(p, base, base + (int)p->nr_files);
out:
	for (i = 0; i < 2 * p->nr_files; i++)
		if (pipes[i] >= 0) {
			for (j = i + 1; j < 2 * p->nr_files; j++)
				if (pipes[j] == pipes[i])
					pipes[j] = -1;
			close(pipes[i]);
		}
	free(pipes);
	free(paired);
	return ret;
}

/*
 * Interval timers stay in userspace: do_setitimer() is not exported, and
 * the timers must be set before the vDSO moves (setitimer() is a plain
 * syscall, but getting them right needs no clock of ours after that).
 * They start ticking here, a little before the restore ends, as the
 * CPU-time ones count the restorer's time from here on.
 */
static int restore_timers(const struct plan *p)
{
	const struct ckpt_rec_signal *s = &p->signal;
	struct itimerval it;
	int i;

	for (i = 0; i < 3; i++) {
		const struct ckpt_itimer *t = &s->itimer[i];

		if (!t->value_ns)
			continue;
		it.it_value.tv_sec = t->value_ns / 1000000000;
		it.it_value.tv_usec = (t->value_ns % 1000000000 + 999) / 1000;
		it.it_interval.tv_sec = t->interval_ns / 1000000000;
		it.it_interval.tv_usec = (t->interval_ns % 1000000000 + 999) / 1000;
		if (setitimer(i, &it, NULL)) {
			errmsg("restore: interval timer %d: %s", i, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * The part of the identity that stays in userspace, because the kernel's
 * setters are not exported to modules: do_prlimit() (a direct write of the
 * limits would skip the LSM hook and RLIMIT_CPU's timer) and
 * __set_task_comm() (a direct write of ->comm would skip its perf and
 * trace events).  umask, personality, pdeathsig, no_new_privs, dumpable
 * and rseq are set by the module (task.c ckpt_task_apply()).
 */
static int restore_identity(const struct plan *p)
{
	const struct ckpt_rec_task *t = &p->task;
	struct rlimit rl;
	int i;

	for (i = 0; i < RLIM_NLIMITS && i < CKPT_RLIM_NLIMITS; i++) {
		rl.rlim_cur = t->rlim[i].cur;
		rl.rlim_max = t->rlim[i].max;
		if (prlimit(0, i, &rl, NULL)) {
			errmsg("restore: resource limit %d: %s", i, strerror(errno));
			return -1;
		}
	}
	if (prctl(PR_SET_NAME, t->comm)) {
		errmsg("restore: process name: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Root and working directory stay in userspace: set_fs_root() and
 * set_fs_pwd() are not exported to modules on either kernel, and chroot()
 * and chdir() also make the permission checks a restore must pass.
 */
static int restore_dirs(const struct plan *p)
{
	if (p->root && strcmp(p->root, "/") && chroot(p->root)) {
		errmsg("restore: chroot %s: %s", p->root, strerror(errno));
		return -1;
	}
	if (p->cwd && chdir(p->cwd)) {
		errmsg("restore: working directory %s: %s", p->cwd, strerror(errno));
		return -1;
	}
	return 0;
}

struct special {
	uint64_t start, end;
	uint32_t kind;
};

/* Our [vdso], [vvar]... from /proc/self/maps; also any overlap check. */
static int read_specials(struct special *sp, int max)
{
	char line[512], name[256];
	unsigned long long s, e;
	int n = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		name[0] = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %255s", &s, &e, name) < 2)
			continue;
		if (n < max && (!strcmp(name, "[vdso]") || !strncmp(name, "[vvar", 5))) {
			sp[n].start = s;
			sp[n].end = e;
			sp[n].kind = name[2] == 'd' ? CKPT_VMA_VDSO : CKPT_VMA_VVAR;
			n++;
		}
	}
	fclose(f);
	return n;
}

static bool overlaps_other(uint64_t s, uint64_t e)
{
	char line[512], name[256];
	unsigned long long a, b;
	bool hit = false;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return true;
	while (!hit && fgets(line, sizeof(line), f)) {
		name[0] = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %255s", &a, &b, name) < 2)
			continue;
		if (!strcmp(name, "[vdso]") || !strncmp(name, "[vvar", 5))
			continue;
		hit = a < e && s < b;
	}
	fclose(f);
	return hit;
}

/* Moves [vvar]/[vdso] as one block to where the image had them. */
static int move_vdso(const struct plan *p)
{
	struct special sp[4];
	uint64_t img_vdso = 0, delta;
	int n, i;
	size_t j;

	for (j = 0; j < p->nr_vmas; j++)
		if (p->vmas[j].kind == CKPT_VMA_VDSO)
			img_vdso = p->vmas[j].start;
	n = read_specials(sp, 4);
	if (n < 0) {
		errmsg("restore: /proc/self/maps: %s", strerror(errno));
		return -1;
	}
	if (!img_vdso)
		return 0;
	for (i = 0; i < n && sp[i].kind != CKPT_VMA_VDSO; i++)
		;
	if (i == n) {
		errmsg("restore: the image has a vDSO, this process has none");
		return -1;
	}
	delta = img_vdso - sp[i].start;
	/* Every special mapping must land on the image's, same size. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < p->nr_vmas; j++)
			if (p->vmas[j].kind == sp[i].kind &&
			    p->vmas[j].start == sp[i].start + delta &&
			    p->vmas[j].end == sp[i].end + delta)
				break;
		if (j == p->nr_vmas) {
			errmsg("restore: this kernel's vDSO layout differs from the image's: restore on the kernel that made it");
			return -1;
		}
		if (delta && overlaps_other(sp[i].start + delta, sp[i].end + delta)) {
			errmsg("restore: the image's vDSO address is taken in the restorer; try again");
			return -1;
		}
	}
	if (!delta)
		return 0;
	for (i = 0; i < n; i++) {
		if (mremap((void *)(uintptr_t)sp[i].start, sp[i].end - sp[i].start,
			   sp[i].end - sp[i].start, MREMAP_MAYMOVE | MREMAP_FIXED,
			   (void *)(uintptr_t)(sp[i].start + delta)) == MAP_FAILED) {
			errmsg("restore: cannot move the vDSO: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

int child_prepare(const struct plan *p, int *keep, size_t nr_keep, int *pipe_fd)
{
	if (park_fds(p, keep, nr_keep) ||
	    hand_over_pipes(p, keep, nr_keep, pipe_fd) ||
	    restore_identity(p) || restore_dirs(p) || restore_timers(p))
		return -1;
	/* Last: from here on the old vDSO is gone. */
	return move_vdso(p);
}

/*
 * The image's other threads.  Each is made with raw clone3 (glibc has no
 * call that gives set_tid to a thread) and runs only raw syscalls: it
 * shares the TLS of the thread that made it until the tracer writes its
 * registers, so nothing in it may touch errno or any other TLS.  It names
 * itself (__set_task_comm() is not exported), makes its seccomp filters
 * (installing one is for the calling thread only), says how that went in
 * sc_done, and parks in the kernel, which it leaves only released by the
 * tracer, to stop at once, or with the restore failed, to exit.
 */
struct park_arg {
	int dev;
	char comm[16];
	struct ckpt_restore_thread rt;
	const struct plan_seccomp *seccomp;
	int sc_done;		/* 1 made, -errno failed, 0 not yet */
	unsigned int sc_at;	/* the filter that failed */
};

#define PARK_STACK	(16 * 1024)

static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * Makes @s's mode and filters in the calling thread, oldest first, with
 * raw syscalls only (a parked thread has no TLS of its own); 0, or the
 * -errno of filter *at.
 */
static long seccomp_make(const struct plan_seccomp *s, unsigned int *at)
{
	long ret = 0;

	*at = 0;
	if (s->mode == CKPT_SECCOMP_STRICT)
		return raw_syscall3(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, 0);
	for (; *at < s->nr && !ret; ++*at)
		ret = raw_syscall3(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				   s->flags[*at], (long)&s->progs[*at]);
	if (ret)
		--*at;
	return ret;
}

__attribute__((noreturn, used)) static void park_thread(struct park_arg *a)
{
	long ret;

	raw_syscall3(SYS_prctl, PR_SET_NAME, (long)a->comm, 0);
	if (a->seccomp) {
		ret = seccomp_make(a->seccomp, &a->sc_at);
		__atomic_store_n(&a->sc_done, ret ? (int)ret : 1,
				 __ATOMIC_RELEASE);
	}
	raw_syscall3(SYS_ioctl, a->dev, CKPT_IOC_RESTORE_THREAD, (long)&a->rt);
	for (;;)
		raw_syscall3(SYS_exit, 0, 0, 0);
}

/* clone3(@ca); the new thread calls park_thread(@a) on its own stack. */
static long clone3_parked(struct clone_args *ca, struct park_arg *a)
{
	register long arg __asm__("r12") = (long)a;
	register long fn __asm__("r13") = (long)park_thread;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r12, %%rdi\n\t"
			 "call *%%r13\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(SYS_clone3), "D"(ca), "S"(sizeof(*ca)), "r"(arg),
			   "r"(fn)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The tids the threads got, image order (the image's, unless --new-pid). */
static pid_t *made_tids;
static struct park_arg *park_args;

int child_threads(const struct plan *p, int dev, bool new_tids)
{
	struct park_arg *args;
	struct clone_args ca;
	char *stacks;
	pid_t want;
	size_t i;
	long ret;

	if (!p->nr_threads)
		return 0;
	/*
	 * no_new_privs is per thread and inherited by clone.  The kernel
	 * sets each thread's as its record says; an older image has the
	 * process's alone, which the threads made here must inherit, as the
	 * kernel sets the leader's only at the restore.
	 */
	if (!p->nnp_per_thread && (p->task.flags & CKPT_TASK_NO_NEW_PRIVS) &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		errmsg("restore: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	args = park_args = calloc(p->nr_threads, sizeof(*args));
	made_tids = calloc(p->nr_threads, sizeof(*made_tids));
	stacks = mmap(NULL, p->nr_threads * PARK_STACK, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!args || !made_tids || stacks == MAP_FAILED) {
		errmsg("restore: no memory for %zu threads", p->nr_threads);
		return -1;
	}
	for (i = 0; i < p->nr_threads; i++) {
		args[i].dev = dev;
		memcpy(args[i].comm, p->threads[i].comm, sizeof(args[i].comm));
		args[i].comm[sizeof(args[i].comm) - 1] = 0;
		args[i].rt.size = sizeof(args[i].rt);
		args[i].rt.tid = p->threads[i].tid;
		args[i].seccomp = p->threads[i].seccomp;
		memset(&ca, 0, sizeof(ca));
		/*
		 * CLONE_PTRACE: traced from birth, with the leader's options,
		 * PTRACE_O_SUSPEND_SECCOMP among them, before it makes its
		 * filters; it stops once first (PTRACE_EVENT_STOP).
		 */
		ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			   CLONE_THREAD | CLONE_SYSVSEM | CLONE_PTRACE;
		ca.stack = (uintptr_t)(stacks + i * PARK_STACK);
		ca.stack_size = PARK_STACK;
		want = p->threads[i].tid;
		if (!new_tids) {
			ca.set_tid = (uintptr_t)&want;
			ca.set_tid_size = 1;
		}
		ret = clone3_parked(&ca, &args[i]);
		if (ret < 0) {
			if (ret == -EEXIST)
				errmsg("restore: thread %d: pid %d is in use (give --new-pid to restore under other ids)",
				       want, want);
			else
				errmsg("restore: cannot make thread %d: %s", want,
				       strerror((int)-ret));
			return -1;
		}
		made_tids[i] = ret;
	}
	return 0;
}

/* The tid the restored thread of image tid @tid has here. */
static pid_t tid_here(const struct plan *p, uint32_t tid)
{
	size_t i;

	if (tid == p->task.tid)
		return getpid();
	for (i = 0; i < p->nr_threads; i++)
		if ((uint32_t)p->threads[i].tid == tid)
			return made_tids[i];
	return -1;
}

/*
 * timer_create(2) without glibc, whose timer_t is a pointer.  It takes
 * the process's next id, which only goes up: making them one by one from
 * 0 gives each its id, holes made and deleted.
 */
static int make_timer(const struct plan *p, const struct ckpt_rec_timer *t,
		      int id)
{
	struct sigevent sev;
	int got;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = t ? (int)t->notify : SIGEV_NONE;
	sev.sigev_signo = t ? (int)t->signo : 0;
	sev.sigev_value.sival_ptr = t ? (void *)(uintptr_t)t->value : NULL;
	if (t && t->notify == SIGEV_THREAD_ID) {
		sev._sigev_un._tid = tid_here(p, t->tid);
		if (sev._sigev_un._tid < 0) {
			errmsg("restore: POSIX timer %d: its thread %u is not in the image",
			       id, t->tid);
			return -1;
		}
	}
	if (syscall(SYS_timer_create, t ? t->clock : CLOCK_MONOTONIC, &sev,
		    &got)) {
		errmsg("restore: POSIX timer %d: timer_create: %s", id,
		       strerror(errno));
		return -1;
	}
	if (got != id) {
		errmsg("restore: POSIX timer %d: timer_create gave id %d", id, got);
		return -1;
	}
	return 0;
}

int child_timers(const struct plan *p)
{
	const struct ckpt_rec_timer *t;
	struct itimerspec its;
	int id, last;
	size_t i;

	if (!p->nr_timers)
		return 0;
	/* At most CKPT_TIMER_ID_MAX: the validator saw to that. */
	last = p->timers[p->nr_timers - 1].id;
	for (i = 0, id = 0; id <= last; id++) {
		t = p->timers[i].id == id ? &p->timers[i++] : NULL;
		if (make_timer(p, t, id))
			return -1;
		/*
		 * A hole goes at once: ids only go up, so this costs no id,
		 * and the holes never hold a signal queue entry each
		 * (RLIMIT_SIGPENDING) or memory all at the same time.
		 */
		if (!t) {
			syscall(SYS_timer_delete, id);
			continue;
		}
		its.it_value.tv_sec = t->value_ns / 1000000000ULL;
		its.it_value.tv_nsec = t->value_ns % 1000000000ULL;
		its.it_interval.tv_sec = t->interval_ns / 1000000000ULL;
		its.it_interval.tv_nsec = t->interval_ns % 1000000000ULL;
		if (syscall(SYS_timer_settime, id, 0, &its, NULL)) {
			errmsg("restore: POSIX timer %d: timer_settime: %s", id,
			       strerror(errno));
			return -1;
		}
	}
	return 0;
}

int child_seccomp(const struct plan *p)
{
	const struct timespec nap = { 0, 100000 };
	unsigned int at, naps;
	size_t i;
	long ret;
	int done;

	for (i = 0; i < p->nr_threads; i++) {
		if (!park_args[i].seccomp)
			continue;
		/* 30 s: the tracer lets each thread go from its first stop. */
		for (naps = 0; !(done = __atomic_load_n(&park_args[i].sc_done,
							 __ATOMIC_ACQUIRE));
		     naps++) {
			if (naps == 300000) {
				errmsg("restore: thread %d did not make its seccomp filters in 30 s",
				       p->threads[i].tid);
				return -1;
			}
			nanosleep(&nap, NULL);
		}
		if (done < 0) {
			errmsg("restore: thread %d: seccomp filter %u of %u: %s",
			       p->threads[i].tid, park_args[i].sc_at,
			       park_args[i].seccomp->nr, strerror(-done));
			return -1;
		}
	}
	if (!p->leader_seccomp)
		return 0;
	ret = seccomp_make(p->leader_seccomp, &at);
	if (ret) {
		errmsg("restore: seccomp filter %u of %u: %s", at,
		       p->leader_seccomp->nr, strerror((int)-ret));
		return -1;
	}
	return 0;
}
