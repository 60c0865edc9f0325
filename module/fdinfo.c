// SPDX-License-Identifier: GPL-2.0
/*
 * Anonymous-inode files whose state the kernel shows only in their fdinfo
 * (the text of /proc/PID/fdinfo/N, a user-visible format): their contexts
 * (struct signalfd_ctx, timerfd_ctx, eventfd_ctx) are private, and their
 * f_ops are not exported.  So the module asks the file's own show_fdinfo()
 * into a seq_file of its own, and parses the lines.
 *
 * Here: the reader, and the state of signalfds (the mask) and timerfds
 * (clock, flags, time left, interval, ticks not read).  eventfd.c has
 * eventfds, which need more.
 */
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/seq_file.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/time64.h>

#include "ctx.h"
#include "fds.h"

/* Every file here shows less: timerfd's five lines are the longest. */
#define FDINFO_MAX	512

/**
 * ckpt_fdinfo_read - @f's fdinfo lines, NUL-terminated
 * @f: an open file
 *
 * Returns a kmalloc'd string (kfree() it) or an ERR_PTR: -EOPNOTSUPP if
 * @f shows nothing, -EOVERFLOW if it shows more than this reader holds.
 */
char *ckpt_fdinfo_read(struct file *f)
{
	/* seq_printf() and seq_putc() use only these. */
	struct seq_file m = { .size = FDINFO_MAX };

	if (!f->f_op->show_fdinfo)
		return ERR_PTR(-EOPNOTSUPP);
	m.buf = kmalloc(FDINFO_MAX, GFP_KERNEL);
	if (!m.buf)
		return ERR_PTR(-ENOMEM);
	f->f_op->show_fdinfo(&m, f);
	if (m.count >= m.size) {
		kfree(m.buf);
		return ERR_PTR(-EOVERFLOW);
	}
	m.buf[m.count] = '\0';
	return m.buf;
}

/**
 * ckpt_fdinfo_field - scans the value of line "@key:VALUE" of @info
 * @info: from ckpt_fdinfo_read()
 * @key: the line's key, without the colon
 * @fmt: one sscanf() conversion, for what follows the colon
 * @val: where it goes
 *
 * Returns 0, -ENOENT if there is no such line, -EINVAL if its value does
 * not scan.
 */
int ckpt_fdinfo_field(const char *info, const char *key, const char *fmt,
		      void *val)
{
	const char *p = info;
	size_t n = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, n) && p[n] == ':')
			return sscanf(p + n + 1, fmt, val) == 1 ? 0 : -EINVAL;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* Is @f the anonymous-inode file that anon_inode_getfile() named @name? */
bool ckpt_anon_file_is(struct file *f, const char *name)
{
	return file_inode(f)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(f->f_path.dentry->d_name.name, name);
}

static int signalfd_state(char *info, struct ckpt_file_signalfd *st)
{
	unsigned long long mask;
	int ret;

	/* "sigmask:\t" then the signals it reads, in hex (render_sigset_t). */
	ret = ckpt_fdinfo_field(info, "sigmask", "%llx", &mask);
	if (!ret)
		st->mask = mask;
	return ret;
}

static int timespec_field(const char *info, const char *key, u64 *ns)
{
	unsigned long long sec, nsec;
	const char *p;
	int ret;

	/* "it_value: (SEC, NSEC)": the line found, then its two numbers. */
	ret = ckpt_fdinfo_field(info, key, " (%llu", &sec);
	if (ret)
		return ret;
	p = strstr(info, key);
	p = p ? strchr(p, ',') : NULL;
	if (!p || sscanf(p + 1, "%llu", &nsec) != 1 || nsec >= NSEC_PER_SEC ||
	    sec > KTIME_SEC_MAX)
		return -EINVAL;
	*ns = sec * NSEC_PER_SEC + nsec;
	return 0;
}

static int timerfd_state(char *info, struct ckpt_file_timerfd *st)
{
	unsigned long long ticks;
	unsigned int flags;
	int clockid, ret;

	ret = ckpt_fdinfo_field(info, "clockid", "%d", &clockid);
	if (!ret)
		ret = ckpt_fdinfo_field(info, "ticks", "%llu", &ticks);
	if (!ret)
		ret = ckpt_fdinfo_field(info, "settime flags", "%o", &flags);
	if (!ret)
		ret = timespec_field(info, "it_value", &st->value_ns);
	if (!ret)
		ret = timespec_field(info, "it_interval", &st->interval_ns);
	if (ret)
		return ret;
	st->clockid = clockid;
	st->ticks = ticks;
	/* TFD_TIMER_ABSTIME and _CANCEL_ON_SET are bits 0 and 1 here too. */
	st->flags = flags & (CKPT_TIMERFD_ABSTIME | CKPT_TIMERFD_CANCEL_ON_SET);
	return 0;
}

/**
 * ckpt_anon_state - the state of signalfd or timerfd @f, opened as fd @fd
 * @ctx: the dump, for the error's words
 * @f: the file; -ENOENT if it is neither (nothing said)
 * @fd: its number in the process
 * @kind: set to CKPT_FILE_SIGNALFD or CKPT_FILE_TIMERFD
 * @st: filled in with a struct ckpt_file_signalfd or _timerfd
 * @len: set to its size
 */
int ckpt_anon_state(struct ckpt_ctx *ctx, struct file *f, unsigned int fd,
		    u32 *kind, void *st, size_t *len)
{
	const char *what;
	char *info;
	int ret;

	if (ckpt_anon_file_is(f, "[signalfd]")) {
		*kind = CKPT_FILE_SIGNALFD;
		*len = sizeof(struct ckpt_file_signalfd);
		what = "signalfd";
	} else if (ckpt_anon_file_is(f, "[timerfd]")) {
		*kind = CKPT_FILE_TIMERFD;
		*len = sizeof(struct ckpt_file_timerfd);
		what = "timerfd";
	} else {
		return -ENOENT;
	}
	memset(st, 0, *len);
	info = ckpt_fdinfo_read(f);
	if (IS_ERR(info)) {
		ret = PTR_ERR(info);
	} else {
		ret = *kind == CKPT_FILE_SIGNALFD ? signalfd_state(info, st) :
						    timerfd_state(info, st);
		kfree(info);
	}
	if (ret)
		return ckpt_err(ctx, ret, "fd %u: %s: its fdinfo does not read as expected",
				fd, what);
	return 0;
}
