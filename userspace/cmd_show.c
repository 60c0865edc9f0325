// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt show FILE [--json]: validates a whole image with the validator the
 * module uses, then prints its records as text or as one JSON document.
 *
 * Nothing is printed unless the whole image is valid (the output is built
 * in memory first); a corrupt image gets the validator's message (which
 * record, at which offset, what is wrong) on stderr and exit status 1.
 * The JSON writer is json.c's, the names of values names.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "image_read.h"
#include "json.h"
#include "names.h"
#include "tool.h"

typedef unsigned long long ull;

/*
 * CHANGED ranges listed at most; beyond, they are counted only (an image
 * may hold millions, and the output is built in memory).
 */
#define SHOW_MAX_RANGES	1000

/* The output, built in memory and written only if the image is valid. */
struct show {
	FILE *out;
	bool json;
	struct json j;		/* JSON: the writer, on @out */
	/* the group of records being printed (a heading or a JSON array) */
	u32 group;
	bool have_fs, have_sigpending, have_threads, have_timers, have_seccomp,
	     have_files, have_fds;
	/* SIGHAND in text: how many actions are default */
	/* page runs, printed at the trailer */
	struct { u64 vaddr, npages; } *runs;
	size_t nr_runs, cap_runs;
	u64 nr_pages;
	u32 page_size;
	/* incremental images: the CHANGED ranges, the first ones listed */
	bool incremental;
	bool rec_crc;		/* CKPT_IMG_REC_CRC: the trailer has both */
	struct ckpt_range *ranges;
	size_t nr_listed;
	u64 nr_changed_recs, nr_ranges, changed_pages;
};

static void j_sigmask(struct show *s, const char *key, ull mask)
{
	char buf[16];
	unsigned int sig;

	j_open(&s->j, key, '[');
	for (sig = 1; sig <= 64; sig++)
		if (mask & (1ULL << (sig - 1)))
			j_str(&s->j, NULL, sig_name(sig, buf, sizeof(buf)));
	j_close(&s->j, ']');
}

static void j_xfeatures(struct show *s, const char *key, ull v)
{
	unsigned int i;

	j_open(&s->j, key, '[');
	for (i = 0; i < 64; i++) {
		if (!(v & (1ULL << i)))
			continue;
		if (xfeature_name(i)) {
			j_str(&s->j, NULL, xfeature_name(i));
		} else {
			j_key(&s->j, NULL);
			fprintf(s->out, "\"bit%u\"", i);
		}
	}
	j_close(&s->j, ']');
}

/* Text helpers. */

static void t_bits(struct show *s, ull v, const struct bitnames *b,
		   const char *none)
{
	const char *sep = "";
	size_t i;

	if (!v) {
		fputs(none, s->out);
		return;
	}
	for (i = 0; i < b->n; i++) {
		if (v & b->v[i].bit) {
			fprintf(s->out, "%s%s", sep, b->v[i].name);
			sep = "|";
			v &= ~b->v[i].bit;
		}
	}
	if (v)
		fprintf(s->out, "%s0x%llx", sep, v);
}

static void t_sigmask(struct show *s, ull mask)
{
	const char *sep = "";
	char buf[16];
	unsigned int sig;

	if (!mask) {
		fputs("-", s->out);
		return;
	}
	for (sig = 1; sig <= 64; sig++) {
		if (mask & (1ULL << (sig - 1))) {
			fprintf(s->out, "%s%s", sep, sig_name(sig, buf, sizeof(buf)));
			sep = "|";
		}
	}
}

static void t_xfeatures(struct show *s, ull v)
{
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < 64; i++) {
		if (!(v & (1ULL << i)))
			continue;
		if (xfeature_name(i))
			fprintf(s->out, "%s%s", sep, xfeature_name(i));
		else
			fprintf(s->out, "%sbit%u", sep, i);
		sep = " ";
	}
}

/* A string in text output: printable ASCII and UTF-8 as is, others \xNN. */
static void t_str(struct show *s, const char *str)
{
	const unsigned char *p = (const unsigned char *)str;

	unsigned int n;

	fputc('"', s->out);
	while (*p) {
		if (*p == '"' || *p == '\\') {
			fprintf(s->out, "\\%c", *p++);
		} else if (*p >= 0x20 && *p < 0x7f) {
			fputc(*p++, s->out);
		} else if (*p >= 0x80 && (n = utf8_len(p))) {
			fwrite(p, 1, n, s->out);
			p += n;
		} else {
			fprintf(s->out, "\\x%02x", *p++);
		}
	}
	fputc('"', s->out);
}

static void fmt_time(ull ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(buf, len, "?");
	else
		snprintf(buf + strlen(buf), len - strlen(buf), ".%09lluZ",
			 ns % 1000000000ULL);
}

/* new_encode_dev() */
static void fmt_dev(u32 dev, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x", (dev & 0xfff00) >> 8,
		 (dev & 0xff) | ((dev >> 12) & 0xfff00));
}

/* Records. */

static void show_header(struct show *s, const struct ckpt_rec_header *r)
{
	char when[64];

	fmt_time(r->time_ns, when, sizeof(when));
	s->incremental = r->flags & CKPT_IMG_INCREMENTAL;
	s->rec_crc = r->flags & CKPT_IMG_REC_CRC;
	if (s->json) {
		j_open(&s->j, "header", '{');
		j_u64(&s->j, "version", r->version);
		j_u64(&s->j, "arch", r->arch);
		j_str(&s->j, "arch_name", "x86-64");
		j_u64(&s->j, "page_size", r->page_size);
		j_bool(&s->j, "incremental", r->flags & CKPT_IMG_INCREMENTAL);
		j_hex(&s->j, "image_id", r->image_id);
		j_hex(&s->j, "parent_id", r->parent_id);
		j_u64(&s->j, "time_ns", r->time_ns);
		j_str(&s->j, "time", when);
		j_str(&s->j, "release", r->release);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "header     format %u, x86-64, page size %u, image 0x%llx, ",
		r->version, r->page_size, (ull)r->image_id);
	if (r->flags & CKPT_IMG_INCREMENTAL)
		fprintf(s->out, "incremental on 0x%llx\n", (ull)r->parent_id);
	else
		fprintf(s->out, "full\n");
	fprintf(s->out, "           captured %s on kernel ", when);
	t_str(s, r->release);
	fputc('\n', s->out);
}

static void show_task(struct show *s, const struct ckpt_rec_task *r)
{
	const char *sep = "";
	unsigned int i;

	if (s->json) {
		j_open(&s->j, "task", '{');
		j_u64(&s->j, "pid", r->pid);
		j_u64(&s->j, "tid", r->tid);
		j_u64(&s->j, "ppid", r->ppid);
		j_u64(&s->j, "pgid", r->pgid);
		j_u64(&s->j, "sid", r->sid);
		j_u64(&s->j, "uid", r->uid);
		j_u64(&s->j, "gid", r->gid);
		j_str(&s->j, "comm", r->comm);
		j_hex(&s->j, "personality", r->personality);
		j_key(&s->j, "umask");
		fprintf(s->out, "\"%04o\"", r->umask);
		j_bool(&s->j, "no_new_privs", r->flags & CKPT_TASK_NO_NEW_PRIVS);
		j_u64(&s->j, "dumpable", r->dumpable);
		j_s64(&s->j, "pdeathsig", r->pdeathsig);
		j_open(&s->j, "rlimits", '{');
		for (i = 0; i < CKPT_RLIM_NLIMITS; i++) {
			j_open(&s->j, rlimit_names[i], '{');
			j_key(&s->j, "cur");
			if (r->rlim[i].cur == ~0ULL)
				fputs("null", s->out);
			else
				fprintf(s->out, "%llu", (ull)r->rlim[i].cur);
			j_key(&s->j, "max");
			if (r->rlim[i].max == ~0ULL)
				fputs("null", s->out);
			else
				fprintf(s->out, "%llu", (ull)r->rlim[i].max);
			j_close(&s->j, '}');
		}
		j_close(&s->j, '}');
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "task       pid %u tid %u ppid %u pgid %u sid %u uid %u gid %u comm ",
		r->pid, r->tid, r->ppid, r->pgid, r->sid, r->uid, r->gid);
	t_str(s, r->comm);
	fprintf(s->out, "\n           umask %04o personality 0x%x dumpable %u pdeathsig %d%s\n",
		r->umask, r->personality, r->dumpable, r->pdeathsig,
		r->flags & CKPT_TASK_NO_NEW_PRIVS ? " no_new_privs" : "");
	fprintf(s->out, "limits     ");
	for (i = 0; i < CKPT_RLIM_NLIMITS; i++) {
		if (r->rlim[i].cur == ~0ULL && r->rlim[i].max == ~0ULL)
			continue;
		fprintf(s->out, "%s%s ", sep, rlimit_names[i]);
		if (r->rlim[i].cur == ~0ULL)
			fprintf(s->out, "unlimited/");
		else
			fprintf(s->out, "%llu/", (ull)r->rlim[i].cur);
		if (r->rlim[i].max == ~0ULL)
			fprintf(s->out, "unlimited");
		else
			fprintf(s->out, "%llu", (ull)r->rlim[i].max);
		sep = ", ";
	}
	fprintf(s->out, "%s\n", *sep ? " (others unlimited)" : "all unlimited");
}

static void show_fs(struct show *s, const struct ckpt_rec_fs *r)
{
	s->have_fs = true;
	if (s->json) {
		j_open(&s->j, "fs", '{');
		j_str(&s->j, "cwd", r->paths);
		j_str(&s->j, "root", r->paths + r->cwd_len);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "fs         cwd ");
	t_str(s, r->paths);
	fprintf(s->out, " root ");
	t_str(s, r->paths + r->cwd_len);
	fputc('\n', s->out);
}

static void show_cpu(struct show *s, const struct ckpt_rec_cpu *r)
{
	const struct {
		const char *name;
		ull v;
	} regs[] = {
		{ "rip", r->ip }, { "rsp", r->sp }, { "rbp", r->bp },
		{ "rax", r->ax }, { "rbx", r->bx }, { "rcx", r->cx },
		{ "rdx", r->dx }, { "rsi", r->si }, { "rdi", r->di },
		{ "r8", r->r8 }, { "r9", r->r9 }, { "r10", r->r10 },
		{ "r11", r->r11 }, { "r12", r->r12 }, { "r13", r->r13 },
		{ "r14", r->r14 }, { "r15", r->r15 },
		{ "orig_rax", r->orig_ax }, { "eflags", r->flags },
		{ "fs_base", r->fs_base }, { "gs_base", r->gs_base },
		{ "cs", r->cs }, { "ss", r->ss }, { "ds", r->ds },
		{ "es", r->es }, { "fs", r->fs }, { "gs", r->gs },
	};
	size_t i;

	if (s->json) {
		j_open(&s->j, "cpu", '{');
		for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
			j_hex(&s->j, regs[i].name, regs[i].v);
		j_bits(&s->j, "eflags_names", r->flags, &eflags_names);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "cpu        rip 0x%llx rsp 0x%llx rbp 0x%llx\n",
		(ull)r->ip, (ull)r->sp, (ull)r->bp);
	fprintf(s->out, "           rax 0x%llx orig_rax 0x%llx (%lld) eflags 0x%llx [",
		(ull)r->ax, (ull)r->orig_ax, (long long)r->orig_ax,
		(ull)r->flags);
	t_bits(s, r->flags & ~2ULL, &eflags_names, "-");
	fprintf(s->out, "]\n");
	for (i = 4; i < 17; i++)
		fprintf(s->out, "%s%s 0x%llx",
			(i - 4) % 5 ? " " : i > 4 ? "\n           " : "           ",
			regs[i].name, regs[i].v);
	fprintf(s->out, "\n           fs_base 0x%llx gs_base 0x%llx cs 0x%llx ss 0x%llx ds 0x%llx es 0x%llx fs 0x%llx gs 0x%llx\n",
		(ull)r->fs_base, (ull)r->gs_base, (ull)r->cs, (ull)r->ss,
		(ull)r->ds, (ull)r->es, (ull)r->fs, (ull)r->gs);
}

static void show_xstate(struct show *s, const struct ckpt_rec_xstate *r)
{
	u64 bv;
	u32 mxcsr;

	memcpy(&mxcsr, r->data + 24, sizeof(mxcsr));
	memcpy(&bv, r->data + 512, sizeof(bv));
	if (s->json) {
		j_open(&s->j, "xstate", '{');
		j_u64(&s->j, "size", r->size);
		j_hex(&s->j, "xcr0", r->xcr0);
		j_xfeatures(s, "xcr0_features", r->xcr0);
		j_hex(&s->j, "xstate_bv", bv);
		j_xfeatures(s, "xstate_bv_features", bv);
		j_hex(&s->j, "mxcsr", mxcsr);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "xstate     %u bytes, xcr0 0x%llx (", r->size,
		(ull)r->xcr0);
	t_xfeatures(s, r->xcr0);
	fprintf(s->out, "), in use 0x%llx (", (ull)bv);
	t_xfeatures(s, bv);
	fprintf(s->out, "), mxcsr 0x%x\n", mxcsr);
}

static void show_sighand(struct show *s, const struct ckpt_rec_sighand *r)
{
	const struct ckpt_sigaction *a;
	unsigned int sig, dfl = 0;
	bool first = true;
	char buf[16];

	if (s->json)
		j_open(&s->j, "sighand", '[');
	for (sig = 1; sig <= 64; sig++) {
		a = &r->action[sig - 1];
		if (!a->handler && !a->flags && !a->restorer && !a->mask) {
			dfl++;
			continue;
		}
		if (s->json) {
			j_open(&s->j, NULL, '{');
			j_u64(&s->j, "signo", sig);
			j_str(&s->j, "name", sig_name(sig, buf, sizeof(buf)));
			j_str(&s->j, "disposition", a->handler == 0 ? "default" :
				  a->handler == 1 ? "ignore" : "handler");
			j_hex(&s->j, "handler", a->handler);
			j_hex(&s->j, "flags", a->flags);
			j_bits(&s->j, "flag_names", a->flags, &sa_flag_names);
			j_hex(&s->j, "restorer", a->restorer);
			j_sigmask(s, "mask", a->mask);
			j_close(&s->j, '}');
			continue;
		}
		fprintf(s->out, "%s%-10s ", first ? "sighand    " : "           ",
			sig_name(sig, buf, sizeof(buf)));
		first = false;
		if (a->handler == 0)
			fprintf(s->out, "default");
		else if (a->handler == 1)
			fprintf(s->out, "ignored");
		else
			fprintf(s->out, "handler 0x%llx", (ull)a->handler);
		fprintf(s->out, " flags ");
		t_bits(s, a->flags, &sa_flag_names, "-");
		if (a->restorer)
			fprintf(s->out, " restorer 0x%llx", (ull)a->restorer);
		fprintf(s->out, " mask ");
		t_sigmask(s, a->mask);
		fputc('\n', s->out);
	}
	if (s->json)
		j_close(&s->j, ']');
	else
		fprintf(s->out, "%s(%u signals with the default action)\n",
			first ? "sighand    " : "           ", dfl);
}

static void show_signal(struct show *s, const struct ckpt_rec_signal *r)
{
	unsigned int i;

	if (s->json) {
		j_open(&s->j, "signal", '{');
		j_hex(&s->j, "blocked", r->blocked);
		j_sigmask(s, "blocked_names", r->blocked);
		j_open(&s->j, "altstack", '{');
		j_hex(&s->j, "sp", r->altstack_sp);
		j_u64(&s->j, "size", r->altstack_size);
		j_bits(&s->j, "flags", r->altstack_flags, &ss_flag_names);
		j_close(&s->j, '}');
		j_open(&s->j, "itimers", '{');
		for (i = 0; i < 3; i++) {
			j_open(&s->j, itimer_names[i], '{');
			j_u64(&s->j, "value_ns", r->itimer[i].value_ns);
			j_u64(&s->j, "interval_ns", r->itimer[i].interval_ns);
			j_close(&s->j, '}');
		}
		j_close(&s->j, '}');
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "signal     blocked ");
	t_sigmask(s, r->blocked);
	if (r->altstack_size)
		fprintf(s->out, "; altstack 0x%llx size %llu flags ",
			(ull)r->altstack_sp, (ull)r->altstack_size);
	else
		fprintf(s->out, "; no altstack, flags ");
	t_bits(s, r->altstack_flags, &ss_flag_names, "-");
	for (i = 0; i < 3; i++) {
		if (!r->itimer[i].value_ns && !r->itimer[i].interval_ns)
			continue;
		fprintf(s->out, "; itimer %s %llu.%09llus", itimer_names[i],
			(ull)r->itimer[i].value_ns / 1000000000ULL,
			(ull)r->itimer[i].value_ns % 1000000000ULL);
		if (r->itimer[i].interval_ns)
			fprintf(s->out, " every %llu.%09llus",
				(ull)r->itimer[i].interval_ns / 1000000000ULL,
				(ull)r->itimer[i].interval_ns % 1000000000ULL);
	}
	fputc('\n', s->out);
}

static void show_sigpending(struct show *s,
			    const struct ckpt_rec_sigpending *r)
{
	int32_t errno_, code;
	char buf[16];

	memcpy(&errno_, r->siginfo + 4, sizeof(errno_));
	memcpy(&code, r->siginfo + 8, sizeof(code));
	s->have_sigpending = true;
	if (s->json) {
		j_open(&s->j, NULL, '{');
		j_u64(&s->j, "signo", r->signo);
		j_str(&s->j, "name", sig_name(r->signo, buf, sizeof(buf)));
		j_str(&s->j, "queue", r->shared ? "process" : "thread");
		j_s64(&s->j, "si_code", code);
		j_s64(&s->j, "si_errno", errno_);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "           %-10s %s queue, si_code %d si_errno %d\n",
		sig_name(r->signo, buf, sizeof(buf)),
		r->shared ? "process" : "thread", code, errno_);
}

/* CPUs of a THREAD record's affinity, counted. */
static unsigned int nr_cpus(const struct ckpt_rec_thread *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < CKPT_THREAD_CPUS / 64; i++)
		n += __builtin_popcountll(r->cpus[i]);
	return n;
}

static void show_thread(struct show *s, const struct ckpt_rec_thread *r)
{
	const struct ckpt_rec_cpu *cpu = (const void *)(r + 1);
	bool leader = r->flags & CKPT_THREAD_LEADER;

	s->have_threads = true;
	if (s->json) {
		j_open(&s->j, NULL, '{');
		j_u64(&s->j, "tid", r->tid);
		j_str(&s->j, "comm", r->comm);
		j_str(&s->j, "role", leader ? "leader" : "thread");
		j_u64(&s->j, "policy", r->policy);
		j_u64(&s->j, "rt_priority", r->rt_priority);
		j_s64(&s->j, "nice", r->nice);
		j_u64(&s->j, "cpus", nr_cpus(r));
		j_hex(&s->j, "clear_child_tid", r->clear_child_tid);
		j_hex(&s->j, "robust_list", r->robust_list);
		j_hex(&s->j, "rseq", r->rseq);
		if (r->flags & CKPT_THREAD_NNP_SAID)
			j_bool(&s->j, "no_new_privs", r->flags & CKPT_THREAD_NNP);
		if (!leader) {
			j_hex(&s->j, "blocked", r->blocked);
			j_sigmask(s, "blocked_names", r->blocked);
			j_hex(&s->j, "altstack_sp", r->altstack_sp);
			j_u64(&s->j, "altstack_size", r->altstack_size);
			j_u64(&s->j, "pending", r->nr_pending);
			j_hex(&s->j, "rip", cpu->ip);
			j_hex(&s->j, "rsp", cpu->sp);
			j_hex(&s->j, "fs_base", cpu->fs_base);
			j_s64(&s->j, "orig_rax", (long long)cpu->orig_ax);
		}
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "  THREAD   %u '%s'%s policy %u prio %u nice %d on %u CPUs%s; clear_child_tid 0x%llx robust_list 0x%llx rseq 0x%llx\n",
		r->tid, r->comm, leader ? " (leader)" : "", r->policy,
		r->rt_priority, r->nice, nr_cpus(r),
		r->flags & CKPT_THREAD_NNP ? " no_new_privs" : "",
		(ull)r->clear_child_tid, (ull)r->robust_list, (ull)r->rseq);
	if (leader)
		return;
	fprintf(s->out, "           rip 0x%llx rsp 0x%llx fs_base 0x%llx orig_rax %lld; blocked ",
		(ull)cpu->ip, (ull)cpu->sp, (ull)cpu->fs_base,
		(long long)cpu->orig_ax);
	t_sigmask(s, r->blocked);
	fprintf(s->out, "; altstack 0x%llx size %llu; %u pending\n",
		(ull)r->altstack_sp, (ull)r->altstack_size, r->nr_pending);
}

static void show_timer(struct show *s, const struct ckpt_rec_timer *r)
{
	s->have_timers = true;
	if (s->json) {
		j_open(&s->j, NULL, '{');
		j_s64(&s->j, "id", r->id);
		j_s64(&s->j, "clock", r->clock);
		j_u64(&s->j, "notify", r->notify);
		j_u64(&s->j, "signo", r->signo);
		j_u64(&s->j, "tid", r->tid);
		j_hex(&s->j, "value", r->value);
		j_u64(&s->j, "value_ns", r->value_ns);
		j_u64(&s->j, "interval_ns", r->interval_ns);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "  TIMER    %d clock %d notify %u signal %u", r->id,
		r->clock, r->notify, r->signo);
	if (r->tid)
		fprintf(s->out, " to thread %u", r->tid);
	fprintf(s->out, " value 0x%llx; left %llu ns, every %llu ns\n",
		(ull)r->value, (ull)r->value_ns, (ull)r->interval_ns);
}

static void show_seccomp(struct show *s, const struct ckpt_rec_seccomp *r)
{
	const char *mode = r->mode == CKPT_SECCOMP_STRICT ? "strict" : "filter";
	const unsigned char *p = (const unsigned char *)(r + 1);
	const struct ckpt_seccomp_filter *f;
	u32 i, insns = 0;

	s->have_seccomp = true;
	for (i = 0; i < r->nr_filters && !r->same_as; i++) {
		f = (const void *)p;
		insns += f->len;
		p += sizeof(*f) + f->len * sizeof(f->insns[0]);
	}
	if (s->json) {
		j_open(&s->j, NULL, '{');
		j_u64(&s->j, "tid", r->tid);
		j_str(&s->j, "mode", mode);
		j_u64(&s->j, "filters", r->nr_filters);
		j_u64(&s->j, "instructions", insns);
		j_u64(&s->j, "same_as", r->same_as);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "  SECCOMP  thread %u %s mode", r->tid, mode);
	if (r->same_as)
		fprintf(s->out, ": %u filters, thread %u's\n", r->nr_filters,
			r->same_as);
	else if (r->mode == CKPT_SECCOMP_FILTER)
		fprintf(s->out, ": %u filters, %u instructions\n", r->nr_filters,
			insns);
	else
		fputc('\n', s->out);
}

static void show_mm(struct show *s, const struct ckpt_rec_mm *r)
{
	const struct {
		const char *name;
		ull v;
	} f[] = {
		{ "start_code", r->start_code }, { "end_code", r->end_code },
		{ "start_data", r->start_data }, { "end_data", r->end_data },
		{ "start_brk", r->start_brk }, { "brk", r->brk },
		{ "start_stack", r->start_stack },
		{ "arg_start", r->arg_start }, { "arg_end", r->arg_end },
		{ "env_start", r->env_start }, { "env_end", r->env_end },
		{ "vdso", r->vdso },
	};
	const char *name;
	unsigned int i;

	if (s->json) {
		j_open(&s->j, "mm", '{');
		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			j_hex(&s->j, f[i].name, f[i].v);
		j_str(&s->j, "exe", r->exe_len ? r->exe : NULL);
		j_open(&s->j, "auxv", '[');
		for (i = 0; i < CKPT_AUXV_WORDS && r->auxv[i]; i += 2) {
			j_open(&s->j, NULL, '{');
			j_u64(&s->j, "type", r->auxv[i]);
			j_str(&s->j, "name", auxv_name(r->auxv[i]));
			j_hex(&s->j, "value", r->auxv[i + 1]);
			j_close(&s->j, '}');
		}
		j_close(&s->j, ']');
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "mm         code 0x%llx-0x%llx data 0x%llx-0x%llx brk 0x%llx-0x%llx\n",
		(ull)r->start_code, (ull)r->end_code, (ull)r->start_data,
		(ull)r->end_data, (ull)r->start_brk, (ull)r->brk);
	fprintf(s->out, "           stack 0x%llx args 0x%llx-0x%llx env 0x%llx-0x%llx vdso 0x%llx\n",
		(ull)r->start_stack, (ull)r->arg_start, (ull)r->arg_end,
		(ull)r->env_start, (ull)r->env_end, (ull)r->vdso);
	fprintf(s->out, "           exe ");
	if (r->exe_len)
		t_str(s, r->exe);
	else
		fprintf(s->out, "-");
	fprintf(s->out, "\n           auxv");
	for (i = 0; i < CKPT_AUXV_WORDS && r->auxv[i]; i += 2) {
		name = auxv_name(r->auxv[i]);
		if (name)
			fprintf(s->out, " %s=0x%llx", name,
				(ull)r->auxv[i + 1]);
		else
			fprintf(s->out, " %llu=0x%llx", (ull)r->auxv[i],
				(ull)r->auxv[i + 1]);
	}
	fputc('\n', s->out);
}

static void show_vma(struct show *s, const struct ckpt_rec_vma *r)
{
	bool shared = r->kind == CKPT_VMA_FILE_SHARED ||
		      r->kind == CKPT_VMA_ANON_SHARED;
	char prot[5], dev[16];

	prot[0] = r->prot & 1 ? 'r' : '-';
	prot[1] = r->prot & 2 ? 'w' : '-';
	prot[2] = r->prot & 4 ? 'x' : '-';
	prot[3] = shared ? 's' : 'p';
	prot[4] = 0;
	fmt_dev(r->dev, dev, sizeof(dev));
	if (s->json) {
		j_open(&s->j, NULL, '{');
		j_hex(&s->j, "start", r->start);
		j_hex(&s->j, "end", r->end);
		j_str(&s->j, "prot", prot);
		j_str(&s->j, "kind", ckpt_vma_kind_name(r->kind));
		j_bits(&s->j, "flags", r->flags, &vma_flag_names);
		j_u64(&s->j, "pgoff", r->pgoff);
		j_str(&s->j, "dev", dev);
		j_u64(&s->j, "ino", r->ino);
		j_u64(&s->j, "shared_id", r->shared_id);
		j_str(&s->j, "path", r->path_len ? r->path : NULL);
		j_close(&s->j, '}');
		return;
	}
	/* like /proc/PID/maps: the offset of what a file backs */
	fprintf(s->out, "  %08llx-%08llx %s %08llx %s %-8llu %s",
		(ull)r->start, (ull)r->end, prot,
		r->kind == CKPT_VMA_FILE_PRIVATE || shared ?
			(ull)r->pgoff * s->page_size : 0ULL,
		dev, (ull)r->ino, ckpt_vma_kind_name(r->kind));
	if (r->flags) {
		fputc(' ', s->out);
		t_bits(s, r->flags, &vma_flag_names, "");
	}
	if (r->shared_id)
		fprintf(s->out, " shm %u", r->shared_id);
	if (r->path_len) {
		fputc(' ', s->out);
		t_str(s, r->path);
	}
	fputc('\n', s->out);
}

/* A TCP connection's numbers, after its struct ckpt_file_socket. */
static void show_tcp_conn(struct show *s, const struct ckpt_rec_file *r)
{
	static const char *const opt[] = { "sack", "wscale", "timestamps" };
	struct ckpt_tcp_conn t;
	unsigned int i;

	struct ckpt_file_socket so;

	memcpy(&so, r->data + r->path_len, sizeof(so));	/* checked */
	memcpy(&t, r->data + r->path_len + ckpt_sock_data_off(&so),
	       sizeof(t));	/* checked */
	if (s->json) {
		j_open(&s->j, "tcp", '{');
		j_u64(&s->j, "snd_una", t.snd_una);
		j_u64(&s->j, "snd_nxt", t.snd_nxt);
		j_u64(&s->j, "write_seq", t.write_seq);
		j_u64(&s->j, "rcv_nxt", t.rcv_nxt);
		j_u64(&s->j, "sendq", t.sendq_len);
		j_u64(&s->j, "unsent", t.write_seq - t.snd_nxt);
		j_u64(&s->j, "recvq", t.recvq_len);
		j_u64(&s->j, "mss", t.mss);
		j_u64(&s->j, "snd_wscale", t.snd_wscale);
		j_u64(&s->j, "rcv_wscale", t.rcv_wscale);
		j_u64(&s->j, "timestamp", t.timestamp);
		j_open(&s->j, "options", '[');
		for (i = 0; i < 3; i++)
			if (t.options & (1U << i))
				j_str(&s->j, NULL, opt[i]);
		j_close(&s->j, ']');
		j_u64(&s->j, "snd_wnd", t.snd_wnd);
		j_u64(&s->j, "rcv_wnd", t.rcv_wnd);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, " sendq %u (%u unsent) recvq %u mss %u", t.sendq_len,
		t.write_seq - t.snd_nxt, t.recvq_len, t.mss);
	if (t.options & CKPT_TCP_WSCALE)
		fprintf(s->out, " wscale %u/%u", t.snd_wscale, t.rcv_wscale);
	for (i = 0; i < 3; i++)
		if (t.options & (1U << i) && i != 1)
			fprintf(s->out, " %s", opt[i]);
}

/* The other options (CKPT_SOCK_OPTS): all in JSON, the set ones in text. */
static void show_sock_opts(struct show *s, const struct ckpt_rec_file *r)
{
	struct ckpt_sock_opts o;
	size_t i;

	memcpy(&o, r->data + r->path_len + sizeof(struct ckpt_file_socket),
	       sizeof(o));	/* checked */
	const struct {
		const char *name;
		unsigned long long val;
	} num[] = {
		{ "keepidle", o.keepidle }, { "keepintvl", o.keepintvl },
		{ "keepcnt", o.keepcnt }, { "user_timeout_ms", o.user_timeout },
		{ "rcvtimeo_us", o.rcvtimeo_us }, { "sndtimeo_us", o.sndtimeo_us },
		{ "priority", o.priority }, { "tos", o.tos },
		{ "maxseg", o.maxseg }, { "notsent_lowat", o.notsent_lowat },
	};

	if (s->json) {
		j_open(&s->j, "opts", '{');
		for (i = 0; i < sizeof(num) / sizeof(num[0]); i++)
			j_u64(&s->j, num[i].name, num[i].val);
		j_u64(&s->j, "rcvlowat", o.rcvlowat);
		j_bool(&s->j, "cork", o.flags & CKPT_SOCKOPT_CORK);
		if (o.flags & CKPT_SOCKOPT_LINGER)
			j_u64(&s->j, "linger", o.linger);
		j_str(&s->j, "congestion", o.congestion[0] ? o.congestion : NULL);
		j_close(&s->j, '}');
		return;
	}
	for (i = 0; i < sizeof(num) / sizeof(num[0]); i++)
		if (num[i].val)
			fprintf(s->out, " %s %llu", num[i].name, num[i].val);
	if (o.rcvlowat != 1)
		fprintf(s->out, " rcvlowat %u", o.rcvlowat);
	if (o.flags & CKPT_SOCKOPT_LINGER)
		fprintf(s->out, " linger %u", o.linger);
	if (o.flags & CKPT_SOCKOPT_CORK)
		fprintf(s->out, " cork");
	if (o.congestion[0]) {
		fprintf(s->out, " congestion ");
		t_str(s, o.congestion);
	}
}

/*
 * The messages of a datagram or seqpacket socketpair end, from @off to
 * @end of @d (validated): their number, their bytes in *@bytes.
 */
static size_t count_msgs(const char *d, size_t off, size_t end, size_t *bytes)
{
	struct ckpt_sock_msg m;
	size_t n = 0;

	*bytes = 0;
	while (off + sizeof(m) <= end) {
		memcpy(&m, d + off, sizeof(m));		/* not aligned */
		off += sizeof(m) + m.len;
		*bytes += m.len;
		n++;
	}
	return n;
}

static void show_socket(struct show *s, const struct ckpt_rec_file *r)
{
	struct ckpt_file_socket so;
	char addr[160], peer[160];
	size_t off, bytes, msgs = 0;
	bool of_msgs;

	memcpy(&so, r->data + r->path_len, sizeof(so));	/* checked */
	off = ckpt_sock_data_off(&so);
	bytes = r->data_len - off;
	/* A datagram or seqpacket socketpair end's data is its messages. */
	of_msgs = so.state == CKPT_SOCK_PAIR && so.type != SOCK_STREAM;
	if (of_msgs)
		msgs = count_msgs(r->data + r->path_len, off, r->data_len, &bytes);
	sockaddr_words(addr, sizeof(addr), so.addr, so.addr_len);
	sockaddr_words(peer, sizeof(peer), so.peer, so.peer_len);
	if (s->json) {
		j_open(&s->j, "socket", '{');
		j_str(&s->j, "kind", sock_kind_name(&so));
		j_u64(&s->j, "family", so.family);
		j_u64(&s->j, "type", so.type);
		j_u64(&s->j, "protocol", so.protocol);
		j_str(&s->j, "state", sock_state_names[so.state <= CKPT_SOCK_ESTABLISHED ? so.state : 0]);
		j_str(&s->j, "address", so.addr_len ? addr : NULL);
		j_str(&s->j, "peer", so.peer_len ? peer : NULL);
		j_u64(&s->j, "backlog", so.backlog);
		j_bits(&s->j, "options", so.flags & ~CKPT_SOCK_OPTS,
		       &sock_flag_names);
		if (so.flags & CKPT_SOCK_OPTS)
			show_sock_opts(s, r);
		j_u64(&s->j, "bytes_waiting", bytes);
		if (of_msgs)
			j_u64(&s->j, "messages_waiting", msgs);
		j_u64(&s->j, "rcvbuf", so.rcvbuf);
		j_u64(&s->j, "sndbuf", so.sndbuf);
		if (r->path_len) {
			j_key(&s->j, "mode");
			fprintf(s->out, "\"0%o\"", so.mode);
		}
		if (so.state == CKPT_SOCK_ESTABLISHED)
			show_tcp_conn(s, r);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, " %s %s %s", sock_kind_name(&so), sock_state_names[so.state <= CKPT_SOCK_ESTABLISHED ? so.state : 0],
		addr);
	if (so.peer_len)
		fprintf(s->out, " peer %s", peer);
	if (r->pipe_id)
		fprintf(s->out, " pair %u", r->pipe_id);
	if (so.state == CKPT_SOCK_ESTABLISHED)
		show_tcp_conn(s, r);
	else if (of_msgs && msgs)
		fprintf(s->out, " %zu messages (%zu bytes) waiting", msgs, bytes);
	else if (r->data_len > off)
		fprintf(s->out, " %zu bytes waiting", bytes);
	if (so.state == CKPT_SOCK_LISTEN)
		fprintf(s->out, " backlog %u", so.backlog);
	if (so.flags & ~CKPT_SOCK_OPTS) {
		fputc(' ', s->out);
		t_bits(s, so.flags & ~CKPT_SOCK_OPTS, &sock_flag_names, "");
	}
	if (so.flags & CKPT_SOCK_RCVBUF)
		fprintf(s->out, " rcvbuf %u", so.rcvbuf);
	if (so.flags & CKPT_SOCK_SNDBUF)
		fprintf(s->out, " sndbuf %u", so.sndbuf);
	if (r->path_len)
		fprintf(s->out, " mode 0%o", so.mode);
	if (so.flags & CKPT_SOCK_OPTS)
		show_sock_opts(s, r);
}

static void show_file(struct show *s, const struct ckpt_rec_file *r)
{
	struct ckpt_epoll_target ept;
	struct ckpt_file_signalfd sfd;
	struct ckpt_file_timerfd tfd;
	size_t i;
	struct ckpt_file_eventfd efd;
	char dev[16], rdev[16];

	s->have_files = true;
	fmt_dev(r->dev, dev, sizeof(dev));
	fmt_dev(r->rdev, rdev, sizeof(rdev));
	if (s->json) {
		j_open(&s->j, NULL, '{');
		j_u64(&s->j, "id", r->id);
		j_str(&s->j, "kind", ckpt_file_kind_name(r->kind));
		j_key(&s->j, "flags");
		fprintf(s->out, "\"0%o\"", r->flags);
		j_str(&s->j, "access", accmode_names[r->flags & 3]);
		j_bits(&s->j, "flag_names", r->flags & ~3U, &open_flag_names);
		j_u64(&s->j, "pos", r->pos);
		j_str(&s->j, "dev", dev);
		j_u64(&s->j, "ino", r->ino);
		j_str(&s->j, "rdev", rdev);
		j_u64(&s->j, "pipe_id", r->pipe_id);
		j_u64(&s->j, "pipe_bytes", r->data_len);
		j_str(&s->j, "path", r->path_len ? r->data : NULL);
		if (r->kind == CKPT_FILE_EVENTFD) {
			memcpy(&efd, r->data, sizeof(efd));	/* checked */
			j_u64(&s->j, "eventfd_count", efd.count);
			j_bool(&s->j, "eventfd_semaphore",
			       efd.flags & CKPT_EVENTFD_SEMAPHORE);
		}
		if (r->kind == CKPT_FILE_SIGNALFD) {
			memcpy(&sfd, r->data, sizeof(sfd));
			j_key(&s->j, "signalfd_mask");
			fprintf(s->out, "\"0x%llx\"", (ull)sfd.mask);
		}
		if (r->kind == CKPT_FILE_EPOLL) {
			j_open(&s->j, "epoll_targets", '[');
			for (i = 0; i < r->data_len / sizeof(ept); i++) {
				memcpy(&ept, r->data + i * sizeof(ept), sizeof(ept));
				j_open(&s->j, NULL, '{');
				j_u64(&s->j, "tfd", ept.tfd);
				j_u64(&s->j, "file", ept.file_id);
				j_key(&s->j, "events");
				fprintf(s->out, "\"0x%x\"", ept.events);
				j_key(&s->j, "data");
				fprintf(s->out, "\"0x%llx\"", (ull)ept.data);
				j_close(&s->j, '}');
			}
			j_close(&s->j, ']');
		}
		if (r->kind == CKPT_FILE_TIMERFD) {
			memcpy(&tfd, r->data, sizeof(tfd));
			j_u64(&s->j, "timerfd_clockid", (u64)(u32)tfd.clockid);
			j_bool(&s->j, "timerfd_abstime",
			       tfd.flags & CKPT_TIMERFD_ABSTIME);
			j_bool(&s->j, "timerfd_cancel_on_set",
			       tfd.flags & CKPT_TIMERFD_CANCEL_ON_SET);
			j_u64(&s->j, "timerfd_value_ns", tfd.value_ns);
			j_u64(&s->j, "timerfd_interval_ns", tfd.interval_ns);
			j_u64(&s->j, "timerfd_ticks", tfd.ticks);
		}
		if (r->kind == CKPT_FILE_SOCKET)
			show_socket(s, r);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "  %-4u %-7s %s", r->id, ckpt_file_kind_name(r->kind),
		accmode_names[r->flags & 3]);
	if (r->flags & ~3U) {
		fputc('|', s->out);
		t_bits(s, r->flags & ~3U, &open_flag_names, "");
	}
	fprintf(s->out, " pos %llu", (ull)r->pos);
	if (r->ino)
		fprintf(s->out, " dev %s ino %llu", dev, (ull)r->ino);
	if (r->kind == CKPT_FILE_CHR)
		fprintf(s->out, " rdev %s", rdev);
	if (r->kind == CKPT_FILE_PIPE || r->kind == CKPT_FILE_FIFO)
		fprintf(s->out, " pipe %u, %u bytes buffered", r->pipe_id,
			r->data_len);
	if (r->kind == CKPT_FILE_EVENTFD) {
		memcpy(&efd, r->data, sizeof(efd));
		fprintf(s->out, " count %llu%s", (ull)efd.count,
			efd.flags & CKPT_EVENTFD_SEMAPHORE ? " semaphore" : "");
	}
	if (r->kind == CKPT_FILE_SIGNALFD) {
		memcpy(&sfd, r->data, sizeof(sfd));
		fprintf(s->out, " mask 0x%llx", (ull)sfd.mask);
	}
	if (r->kind == CKPT_FILE_EPOLL) {
		fprintf(s->out, " %zu targets:", r->data_len / sizeof(ept));
		for (i = 0; i < r->data_len / sizeof(ept); i++) {
			memcpy(&ept, r->data + i * sizeof(ept), sizeof(ept));
			fprintf(s->out, " fd %u=file %u events 0x%x data 0x%llx%s",
				ept.tfd, ept.file_id, ept.events,
				(ull)ept.data,
				i + 1 < r->data_len / sizeof(ept) ? "," : "");
		}
	}
	if (r->kind == CKPT_FILE_TIMERFD) {
		memcpy(&tfd, r->data, sizeof(tfd));
		fprintf(s->out, " clock %d%s%s left %llu ns interval %llu ns ticks %llu",
			tfd.clockid,
			tfd.flags & CKPT_TIMERFD_ABSTIME ? " absolute" : "",
			tfd.flags & CKPT_TIMERFD_CANCEL_ON_SET ? " cancel-on-set" : "",
			(ull)tfd.value_ns, (ull)tfd.interval_ns, (ull)tfd.ticks);
	}
	if (r->kind == CKPT_FILE_SOCKET)
		show_socket(s, r);
	if (r->path_len) {
		fputc(' ', s->out);
		t_str(s, r->data);
	}
	fputc('\n', s->out);
}

static void show_fd(struct show *s, const struct ckpt_rec_fd *r)
{
	s->have_fds = true;
	if (s->json) {
		j_open(&s->j, NULL, '{');
		j_u64(&s->j, "fd", r->fd);
		j_u64(&s->j, "file", r->file_id);
		j_bool(&s->j, "cloexec", r->flags & CKPT_FD_CLOEXEC);
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "  %-4u -> file %u%s\n", r->fd, r->file_id,
		r->flags & CKPT_FD_CLOEXEC ? " cloexec" : "");
}

static int add_run(struct show *s, const struct ckpt_rec_pages *r)
{
	void *n;

	if (s->nr_runs == s->cap_runs) {
		s->cap_runs = s->cap_runs ? s->cap_runs * 2 : 64;
		n = realloc(s->runs, s->cap_runs * sizeof(s->runs[0]));
		if (!n)
			return -ENOMEM;
		s->runs = n;
	}
	s->runs[s->nr_runs].vaddr = r->vaddr;
	s->runs[s->nr_runs].npages = r->npages;
	s->nr_runs++;
	s->nr_pages += r->npages;
	return 0;
}

static void show_pages(struct show *s)
{
	ull bytes = (ull)s->nr_pages * s->page_size;
	size_t i;

	if (s->json) {
		j_open(&s->j, "pages", '{');
		j_u64(&s->j, "runs", s->nr_runs);
		j_u64(&s->j, "pages", s->nr_pages);
		j_u64(&s->j, "bytes", bytes);
		j_open(&s->j, "list", '[');
		for (i = 0; i < s->nr_runs; i++) {
			j_open(&s->j, NULL, '{');
			j_hex(&s->j, "vaddr", s->runs[i].vaddr);
			j_u64(&s->j, "npages", s->runs[i].npages);
			j_close(&s->j, '}');
		}
		j_close(&s->j, ']');
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "pages      %zu runs, %llu pages, %llu bytes\n",
		s->nr_runs, (ull)s->nr_pages, bytes);
	for (i = 0; i < s->nr_runs; i++)
		fprintf(s->out, "  %08llx-%08llx %llu page%s\n",
			(ull)s->runs[i].vaddr,
			(ull)(s->runs[i].vaddr +
			      s->runs[i].npages * s->page_size),
			(ull)s->runs[i].npages,
			s->runs[i].npages == 1 ? "" : "s");
}

static int add_changed(struct show *s, const struct ckpt_rec_changed *r)
{
	u64 i;

	if (!s->ranges) {
		s->ranges = malloc(SHOW_MAX_RANGES * sizeof(s->ranges[0]));
		if (!s->ranges)
			return -ENOMEM;
	}
	s->nr_changed_recs++;
	for (i = 0; i < r->nr; i++) {
		if (s->nr_listed < SHOW_MAX_RANGES)
			s->ranges[s->nr_listed++] = r->range[i];
		s->nr_ranges++;
		s->changed_pages += (r->range[i].end - r->range[i].start) /
				    s->page_size;
	}
	return 0;
}

/* Where an incremental image alone is the truth: a full one has none. */
static void show_changed(struct show *s)
{
	ull bytes = (ull)s->changed_pages * s->page_size;
	const struct ckpt_range *g;
	size_t i;

	if (s->json) {
		if (!s->incremental) {
			j_str(&s->j, "changed", NULL);
			return;
		}
		j_open(&s->j, "changed", '{');
		j_u64(&s->j, "records", s->nr_changed_recs);
		j_u64(&s->j, "ranges", s->nr_ranges);
		j_u64(&s->j, "pages", s->changed_pages);
		j_u64(&s->j, "bytes", bytes);
		j_u64(&s->j, "listed", s->nr_listed);
		j_open(&s->j, "list", '[');
		for (i = 0; i < s->nr_listed; i++) {
			g = &s->ranges[i];
			j_open(&s->j, NULL, '{');
			j_hex(&s->j, "start", g->start);
			j_hex(&s->j, "end", g->end);
			j_u64(&s->j, "npages", (g->end - g->start) / s->page_size);
			j_close(&s->j, '}');
		}
		j_close(&s->j, ']');
		j_close(&s->j, '}');
		return;
	}
	if (!s->incremental)
		return;
	if (!s->nr_ranges) {
		fprintf(s->out, "changed    nothing: every page is the parent's\n");
		return;
	}
	fprintf(s->out, "changed    %llu range%s in %llu record%s, %llu pages, %llu bytes (only this image counts there)\n",
		(ull)s->nr_ranges, s->nr_ranges == 1 ? "" : "s",
		(ull)s->nr_changed_recs, s->nr_changed_recs == 1 ? "" : "s",
		(ull)s->changed_pages, bytes);
	for (i = 0; i < s->nr_listed; i++) {
		g = &s->ranges[i];
		fprintf(s->out, "  %08llx-%08llx %llu page%s\n",
			(ull)g->start, (ull)g->end,
			(ull)(g->end - g->start) / s->page_size,
			g->end - g->start == s->page_size ? "" : "s");
	}
	if (s->nr_ranges > s->nr_listed)
		fprintf(s->out, "  ... and %llu more ranges (not listed)\n",
			(ull)(s->nr_ranges - s->nr_listed));
}

static void show_trailer(struct show *s, const struct ckpt_rec_trailer *r)
{
	if (s->json) {
		j_open(&s->j, "trailer", '{');
		j_u64(&s->j, "records", r->nr_records);
		j_u64(&s->j, "bytes", r->nr_bytes);
		j_key(&s->j, "crc32c");
		fprintf(s->out, "\"0x%08x\"", r->crc32c);
		if (s->rec_crc) {
			j_key(&s->j, "records_crc32c");
			fprintf(s->out, "\"0x%08x\"", r->rec_crc32c);
		}
		j_close(&s->j, '}');
		return;
	}
	fprintf(s->out, "trailer    %llu records, %llu bytes, CRC32C 0x%08x (matches)",
		(ull)r->nr_records, (ull)r->nr_bytes, r->crc32c);
	if (s->rec_crc)
		fprintf(s->out, ", of the records alone 0x%08x (matches)",
			r->rec_crc32c);
	fputc('\n', s->out);
}

/* Groups of repeated records: a text heading, or a JSON array. */
static void group(struct show *s, u32 type)
{
	static const struct {
		u32 type;
		const char *key;
		const char *title;
	} groups[] = {
		{ CKPT_REC_SIGPENDING, "sigpending", "pending" },
		{ CKPT_REC_THREAD, "threads", "threads" },
		{ CKPT_REC_TIMER, "timers", "posix timers" },
		{ CKPT_REC_SECCOMP, "seccomp", "seccomp" },
		{ CKPT_REC_VMA, "vmas", "vmas" },
		{ CKPT_REC_FILE, "files", "files" },
		{ CKPT_REC_FD, "fds", "fds" },
	};
	size_t i;

	if (s->group == type)
		return;
	if (s->group && s->json)
		j_close(&s->j, ']');
	s->group = 0;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (groups[i].type != type)
			continue;
		s->group = type;
		if (s->json)
			j_open(&s->j, groups[i].key, '[');
		else
			fprintf(s->out, "%s\n", groups[i].title);
	}
}

static int show_record(struct show *s, const struct ckpt_hdr *h)
{
	group(s, h->type);
	switch (h->type) {
	case CKPT_REC_HEADER:
		show_header(s, (const void *)h);
		break;
	case CKPT_REC_TASK:
		show_task(s, (const void *)h);
		break;
	case CKPT_REC_FS:
		show_fs(s, (const void *)h);
		break;
	case CKPT_REC_CPU:
		show_cpu(s, (const void *)h);
		break;
	case CKPT_REC_XSTATE:
		show_xstate(s, (const void *)h);
		break;
	case CKPT_REC_SIGHAND:
		show_sighand(s, (const void *)h);
		break;
	case CKPT_REC_SIGNAL:
		show_signal(s, (const void *)h);
		break;
	case CKPT_REC_SIGPENDING:
		show_sigpending(s, (const void *)h);
		break;
	case CKPT_REC_THREAD:
		show_thread(s, (const void *)h);
		break;
	case CKPT_REC_TIMER:
		show_timer(s, (const void *)h);
		break;
	case CKPT_REC_SECCOMP:
		show_seccomp(s, (const void *)h);
		break;
	case CKPT_REC_MM:
		show_mm(s, (const void *)h);
		break;
	case CKPT_REC_VMA:
		show_vma(s, (const void *)h);
		break;
	case CKPT_REC_FILE:
		show_file(s, (const void *)h);
		break;
	case CKPT_REC_FD:
		show_fd(s, (const void *)h);
		break;
	case CKPT_REC_CHANGED:
		return add_changed(s, (const void *)h);
	case CKPT_REC_PAGES:
		return add_run(s, (const void *)h);
	case CKPT_REC_TRAILER:
		/* keys always present in JSON, even for absent records */
		if (s->json) {
			if (!s->have_fs)
				j_str(&s->j, "fs", NULL);
			if (!s->have_sigpending)
				j_empty(&s->j, "sigpending");
			if (!s->have_threads)
				j_empty(&s->j, "threads");
			if (!s->have_timers)
				j_empty(&s->j, "timers");
			if (!s->have_seccomp)
				j_empty(&s->j, "seccomp");
			if (!s->have_files)
				j_empty(&s->j, "files");
			if (!s->have_fds)
				j_empty(&s->j, "fds");
		}
		show_changed(s);
		show_pages(s);
		show_trailer(s, (const void *)h);
		break;
	}
	return 0;
}

const struct cmd_help help_show = {
	.name = "show",
	.summary = "validate an image and print its records",
	.usage = "ckpt show FILE [--json]",
	.text =
"Reads the image FILE ('-' for stdin) through the module's own validator\n"
"(the checks a restore makes: every record, the page runs, the CRC32C and\n"
"the trailer) and prints its records.  Needs neither the module nor root.\n"
"A bad image prints nothing on stdout and exits 1 with the reason.\n"
"\n"
"options:\n"
"  --json      one JSON document instead of text\n"
"  -h, --help  this help\n",
};

int cmd_show(int argc, char **argv, const struct tool_opts *o)
{
	struct img_reader_opts ro = { .flags = 0 };
	const struct ckpt_hdr *h;
	struct img_reader r;
	struct show s;
	const char *path = NULL;
	char *text = NULL;
	size_t text_len = 0;
	int i, fd, ret;

	(void)o;
	memset(&s, 0, sizeof(s));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			s.json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return help_print(&help_show);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return help_error(&help_show, "unknown option '%s'",
					  argv[i]);
		} else if (path) {
			return help_error(&help_show, "one image at a time");
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return help_error(&help_show, "which image? give FILE, or - for stdin");
	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			errmsg("show: cannot open %s: %s", path, strerror(errno));
			return 1;
		}
	}
	s.out = open_memstream(&text, &text_len);
	s.j.out = s.out;
	if (!s.out) {
		errmsg("show: %s", strerror(errno));
		if (fd != STDIN_FILENO)
			close(fd);
		return 1;
	}
	img_reader_open_fd(&r, fd, &ro);
	s.page_size = r.chk.page_size;
	if (s.json) {
		fputc('{', s.out);
		j_str(&s.j, "file", path);
	} else {
		fprintf(s.out, "image      ");
		t_str(&s, path);
		fputc('\n', s.out);
	}
	while ((ret = img_reader_next(&r, &h)) > 0) {
		if (show_record(&s, h)) {
			img_check_fail(&r.chk, -ENOMEM, "out of memory");
			ret = -ENOMEM;
			break;
		}
	}
	if (s.json && !ret) {
		s.j.depth = 0;
		fputs("\n}\n", s.out);
	}
	if (fclose(s.out) && !ret) {
		img_check_fail(&r.chk, -errno, "cannot build the output");
		ret = -1;
	}
	if (ret)
		errmsg("show: %s%s%s", path && strcmp(path, "-") ? path : "stdin",
		       ": ", img_reader_error(&r));
	img_reader_close(&r);
	if (fd != STDIN_FILENO)
		close(fd);
	free(s.runs);
	free(s.ranges);
	if (!ret && (fwrite(text, 1, text_len, stdout) != text_len ||
		     fflush(stdout))) {
		errmsg("show: cannot write the output: %s", strerror(errno));
		ret = -1;
	}
	free(text);
	return ret ? 1 : 0;
}
