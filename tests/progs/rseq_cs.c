// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm: a thread that sits inside an rseq critical section when it is
 * frozen, as every per-CPU fast path (tcmalloc, librseq) may.  The kernel's
 * contract is that a critical section interrupted by preemption, migration
 * or a signal never commits: the thread goes to its abort handler first.
 * A dump, a restore and a rollback are all such an interruption, so:
 *
 *  - after the longest pause main saw (the dump and restore, or the time
 *    between snapshot and rollback; the process's own clock jumps over
 *    it), the spinner must have been sent to its abort handler again: the
 *    section it was in at the freeze may not go on as if nothing happened;
 *  - a signal to the spinner still aborts its section (rseq is registered
 *    on that thread, with glibc's area and signature);
 *  - its rseq cpu_id follows it from CPU to CPU;
 *  - a section started after the restore commits.
 *
 * If the restore left rseq unregistered, the kernel never aborts the
 * spinner again and the first two checks fail.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <sys/rseq.h>
#include <sys/syscall.h>

#include "zdtm.h"

static volatile int go, committed, ready_spin;
static volatile unsigned long aborts;
static volatile int64_t last_abort_ns;
static volatile pid_t spinner_tid;
static volatile struct rseq *spinner_rseq;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static volatile struct rseq *my_rseq(void)
{
	char *tp;

	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return (volatile struct rseq *)(tp + __rseq_offset);
}

/*
 * One critical section: it spins until @go, then commits by setting
 * @committed.  Returns 0 if it committed, 1 if the kernel aborted it.
 * The descriptor and the abort handler, with glibc's signature before it,
 * are laid out as the rseq ABI wants them (as librseq does on x86-64).
 */
static int section(void)
{
	__asm__ goto(
		"leaq 3f(%%rip), %%rax\n\t"
		"movq %%rax, 8(%[rs])\n\t"	/* rseq->rseq_cs = &3f */
		"1:\n\t"
		"cmpl $0, (%[go])\n\t"
		"je 1b\n\t"
		"movl $1, (%[done])\n\t"	/* the commit */
		"2:\n\t"
		".pushsection __rseq_cs, \"aw\"\n\t"
		".balign 32\n\t"
		"3: .long 0, 0\n\t"
		".quad 1b, 2b - 1b, 4f\n\t"
		".popsection\n\t"
		".pushsection __rseq_failure, \"ax\"\n\t"
		".byte 0x0f, 0xb9, 0x3d\n\t"
		".long 0x53053053\n\t"
		"4: jmp %l[aborted]\n\t"
		".popsection\n\t"
		:
		: [rs] "r"(my_rseq()), [go] "r"(&go), [done] "r"(&committed)
		: "memory", "rax", "cc"
		: aborted);
	return 0;
aborted:
	return 1;
}

static void *spinner(void *arg)
{
	(void)arg;
	spinner_tid = syscall(SYS_gettid);
	spinner_rseq = my_rseq();
	ready_spin = 1;
	while (section()) {
		last_abort_ns = now_ns();
		aborts++;
	}
	return NULL;
}

static void nothing(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int64_t prev, t, gap_from = 0, gap_to = 0;
	struct sigaction sa;
	unsigned long a;
	pthread_t th;
	cpu_set_t set;
	int i, c, cpu;

	zdtm_init(&argc, argv);
	CHECK(__rseq_size > 0, "glibc registered no rseq area");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nothing;
	sigaction(SIGUSR2, &sa, NULL);
	CHECK(!pthread_create(&th, NULL, spinner, NULL), "pthread_create");
	while (!ready_spin)
		nanosleep(&ts, NULL);
	zdtm_ready();

	/* zdtm_wait()'s sleep, keeping the longest gap between wakeups. */
	prev = now_ns();
	while (!zdtm_go) {
		nanosleep(&ts, NULL);
		t = now_ns();
		if (t - prev > gap_to - gap_from) {
			gap_from = prev;
			gap_to = t;
		}
		prev = t;
	}

	if (gap_to - gap_from >= 300000000) {
		/* The spinner wakes at the same time as main, or just after. */
		for (i = 0; i < 200 && last_abort_ns <= (gap_from + gap_to) / 2; i++)
			nanosleep(&ts, NULL);
		CHECK(last_abort_ns > (gap_from + gap_to) / 2,
		      "the spinner's critical section was not aborted after a %lld ms pause (last abort %lld ms before its end)",
		      (long long)(gap_to - gap_from) / 1000000,
		      (long long)(gap_to - last_abort_ns) / 1000000);
	}

	/* A signal lands inside the section almost always; a few tries. */
	a = aborts;
	for (i = 0; i < 20 && aborts == a; i++) {
		syscall(SYS_tgkill, getpid(), spinner_tid, SIGUSR2);
		nanosleep(&ts, NULL);
	}
	CHECK(aborts != a, "a signal no longer aborts the spinner's critical section");

	/* Moved to each CPU in turn, its rseq area must follow it. */
	for (cpu = 0; cpu < 2 && cpu < sysconf(_SC_NPROCESSORS_ONLN); cpu++) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		CHECK(!sched_setaffinity(spinner_tid, sizeof(set), &set),
		      "sched_setaffinity: %s", strerror(errno));
		for (c = 0; c < 300 && (int)spinner_rseq->cpu_id != cpu; c++)
			nanosleep(&ts, NULL);
		CHECK((int)spinner_rseq->cpu_id == cpu,
		      "the spinner runs on CPU %d, but its rseq cpu_id is %d",
		      cpu, (int)spinner_rseq->cpu_id);
	}

	go = 1;
	CHECK(!pthread_join(th, NULL), "pthread_join");
	CHECK(committed, "the last critical section did not commit");
	zdtm_pass();
}
