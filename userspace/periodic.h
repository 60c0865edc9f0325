/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Periodic incremental checkpoints: `ckpt run --every` and
 * `ckpt dump --every`.  The target is traced (seized) for the whole run,
 * so a checkpoint costs one interrupt, not an attach; the image series
 * lives in one directory (series.c).
 */
#ifndef CKPT_PERIODIC_H
#define CKPT_PERIODIC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ptrace_stop.h"

struct periodic_opts {
	unsigned int every_ms;
	const char *dir;
	unsigned int keep;	/* 0: keep every image */
	unsigned long count;	/* 0: until the process exits or a signal */
	bool stats;
};

/*
 * The traced process (periodic_target.c), stopped and resumed with the
 * tool's one ptrace helper (ptrace_stop.h).  tr.exec_done: for run, CMD
 * is running, not our fork.
 */
struct target {
	struct tracee tr;
	bool child;		/* started by us: we reap it */
	bool seccomp;		/* has seccomp filters: read them each time */
};

int target_spawn(struct target *t, char **argv);
int target_seize(struct target *t, pid_t pid);
/* Stops it for a capture; 1 if it exited meanwhile, -1 on error. */
int target_stop(struct target *t);
void target_resume(struct target *t);
/* Handles every pending wait event (signals, group-stops, exit). */
void target_events(struct target *t);
void target_detach(struct target *t);
/* After a failed capture: whether it exits (waits a little to see). */
bool target_dying(struct target *t);

/* The image directory (series.c). */
struct series {
	const char *dir;
	int dirfd;
	unsigned long first;	/* oldest image of this run still there */
	unsigned long seq;	/* newest complete image, 0: none yet */
	int part_fd;		/* the image being written */
	char part[32];
	/* --keep's merge runs beside the captures (series_keep()). */
	pthread_t merger;
	bool merging;		/* started, not yet joined */
	atomic_bool merged;	/* the merger has finished */
	unsigned long merge_k;	/* the image it rewrites as full */
	int merge_ret;
};

int series_open(struct series *s, const char *dir);
/* Opens the next image's temporary file: s->part_fd. */
int series_begin(struct series *s);
/* Syncs it, names it NNNNNN.img, points latest at it. */
int series_commit(struct series *s);
void series_abort(struct series *s);
/*
 * Merges the images older than the @keep newest into the oldest kept, in
 * a thread of its own: it starts one merge if none runs and collects a
 * finished one.  -1 if a merge failed.
 */
int series_keep(struct series *s, unsigned int keep);
/* Waits for a running merge, then merges down to @keep images. */
int series_finish(struct series *s, unsigned int keep);
void series_close(struct series *s);

/*
 * The names of a series' images, NNNNNN.img (six digits, 000001 to
 * 999999), which chain_find.c follows too.  image_number(): the number
 * of such a name, else 0.  image_name(): the name of image @n.
 */
unsigned long image_number(const char *name);
void image_name(char *buf, size_t len, unsigned long n);

/* periodic.c: the loop; returns the tool's exit status. */
int periodic_run(int dev, struct target *t, const struct periodic_opts *o);
/* getopt values 'E' --every, 'D' --dir, 'K' --keep, 'C' --count. */
int periodic_opt(struct periodic_opts *o, int c, const char *arg);

#endif /* CKPT_PERIODIC_H */
