// SPDX-License-Identifier: GPL-2.0
/*
 * Live object counters, in debugfs as ckpt/counters.  Tests read them
 * after every test file: all must be back to zero.  And ckpt/io, totals.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "ckpt.h"
#include "hbuf.h"

struct ckpt_stats ckpt_stats;
static struct dentry *ckpt_debugfs;

void hbuf_account(long chunks, long bytes)
{
	long now, high;

	atomic_long_add(chunks, &ckpt_stats.hbuf_chunks);
	now = atomic_long_add_return(bytes, &ckpt_stats.hbuf_bytes);
	high = atomic_long_read(&ckpt_stats.hbuf_high_water);
	while (now > high &&
	       !atomic_long_try_cmpxchg(&ckpt_stats.hbuf_high_water, &high, now))
		;
}

void ckpt_stats_fill(struct ckpt_counters *c)
{
	c->ctxs = atomic_long_read(&ckpt_stats.ctxs);
	c->hbuf_chunks = atomic_long_read(&ckpt_stats.hbuf_chunks);
	c->hbuf_bytes = atomic_long_read(&ckpt_stats.hbuf_bytes);
	c->hbuf_high_water = atomic_long_read(&ckpt_stats.hbuf_high_water);
	c->page_refs = atomic_long_read(&ckpt_stats.page_refs);
	c->opens = atomic_long_read(&ckpt_stats.opens);
	c->snapshots = atomic_long_read(&ckpt_stats.snapshots);
	c->snap_mms = atomic_long_read(&ckpt_stats.snap_mms);
}

static int counters_show(struct seq_file *m, void *v)
{
	struct ckpt_counters c;

	ckpt_stats_fill(&c);
	seq_printf(m, "ctxs %llu\n", c.ctxs);
	seq_printf(m, "hbuf_chunks %llu\n", c.hbuf_chunks);
	seq_printf(m, "hbuf_bytes %llu\n", c.hbuf_bytes);
	seq_printf(m, "hbuf_high_water %llu\n", c.hbuf_high_water);
	seq_printf(m, "page_refs %llu\n", c.page_refs);
	seq_printf(m, "opens %llu\n", c.opens);
	seq_printf(m, "snapshots %llu\n", c.snapshots);
	seq_printf(m, "snap_mms %llu\n", c.snap_mms);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

long ckpt_ioc_counters(struct ckpt_file *cf, void __user *arg)
{
	struct ckpt_counters c;
	int ret;

	ret = ckpt_arg_in(&c, sizeof(c), CKPT_COUNTERS_SIZE_VER0, arg);
	if (ret)
		return ret;
	ckpt_stats_fill(&c);
	return ckpt_arg_out(arg, &c, sizeof(c));
}

/*
 * What restores read from their images, in all: a test compares the
 * growth across one restore with the image's size (each byte once).
 */
static int io_show(struct seq_file *m, void *v)
{
	seq_printf(m, "restores %llu\n",
		   (u64)atomic64_read(&ckpt_stats.restores));
	seq_printf(m, "restore_bytes_read %llu\n",
		   (u64)atomic64_read(&ckpt_stats.restore_bytes_read));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(io);

int ckpt_stats_init(void)
{
	/* debugfs is optional: failures here only lose the view. */
	ckpt_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("counters", 0400, ckpt_debugfs, NULL,
			    &counters_fops);
	debugfs_create_file("io", 0400, ckpt_debugfs, NULL, &io_fops);
	return 0;
}

void ckpt_stats_exit(void)
{
	debugfs_remove_recursive(ckpt_debugfs);
}
