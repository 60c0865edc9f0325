// SPDX-License-Identifier: GPL-2.0
/*
 * "Changed since" sets (dirty.h): marking the pages of a basis.
 *
 * Marks are idempotent, so the order in which the notifier, a rollback
 * and a set's owner mark does not matter; only that each mark lands
 * before the owner next reads the set, which the watcher's lock gives.
 */
#include <linux/bitmap.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "dirty.h"
#include "search.h"

static unsigned long basis_start(const struct ckpt_dirty *d, unsigned long i)
{
	return d->runs ? d->runs[i].vaddr : d->ranges[i].start;
}

static unsigned long basis_end(const struct ckpt_dirty *d, unsigned long i)
{
	if (d->runs)
		return d->runs[i].vaddr +
		       ((unsigned long)d->runs[i].n << PAGE_SHIFT);
	return d->ranges[i].end;
}

static unsigned long basis_first(const struct ckpt_dirty *d, unsigned long i)
{
	return d->runs ? d->runs[i].first : d->first[i];
}

struct basis_key {
	const struct ckpt_dirty *d;
	unsigned long addr;
};

static bool basis_ends_below(const void *arg, unsigned long i)
{
	const struct basis_key *k = arg;

	return basis_end(k->d, i) <= k->addr;
}

/* The first run or range that ends after @addr, or d->nr. */
static unsigned long basis_after(const struct ckpt_dirty *d,
				 unsigned long addr)
{
	struct basis_key k = { .d = d, .addr = addr };

	return ckpt_lower_bound(d->nr, basis_ends_below, &k);
}

int ckpt_dirty_alloc_runs(struct ckpt_dirty *d, const struct pgrun *runs,
			  unsigned long nr_runs, unsigned long nbits,
			  unsigned int cap_list)
{
	d->runs = runs;
	d->nr = nr_runs;
	d->nbits = nbits;
	d->bits = kvcalloc(BITS_TO_LONGS(max(nbits, 1UL)), sizeof(long),
			   GFP_KERNEL);
	if (!d->bits)
		return -ENOMEM;
	if (!cap_list)
		return 0;
	d->cap_list = cap_list;
	d->list = kvmalloc_array(cap_list, sizeof(*d->list), GFP_KERNEL);
	return d->list ? 0 : -ENOMEM;
}

void ckpt_dirty_free(struct ckpt_dirty *d)
{
	kvfree(d->bits);
	kvfree(d->list);
	d->bits = NULL;
	d->list = NULL;
	d->nbits = 0;
	d->nr = 0;
}

/* Caller holds d->lock. */
static void mark_slot(struct ckpt_dirty *d, unsigned long idx)
{
	if (__test_and_set_bit(idx, d->bits))
		return;
	if (d->nr_list < d->cap_list)
		d->list[d->nr_list++] = idx;
	else
		d->overflow = true;
}

void ckpt_dirty_mark_slot(struct ckpt_dirty *d, unsigned long idx)
{
	lockdep_assert_held(d->lock);
	mark_slot(d, idx);
}

void ckpt_dirty_mark(struct ckpt_dirty *d, unsigned long start,
		     unsigned long end)
{
	unsigned long i, s, a, b, first, last;

	lockdep_assert_held(d->lock);
	for (i = basis_after(d, start); i < d->nr; i++) {
		s = basis_start(d, i);
		if (s >= end)
			break;
		a = max(start, s);
		b = min(end, basis_end(d, i));
		if (a >= b)
			continue;
		first = basis_first(d, i) + ((a - s) >> PAGE_SHIFT);
		last = basis_first(d, i) + DIV_ROUND_UP(b - s, PAGE_SIZE);
		if (d->list) {
			for (; first < last; first++)
				mark_slot(d, first);
		} else {
			bitmap_set(d->bits, first, last - first);
		}
		d->hit = true;
	}
}

void ckpt_dirty_mark_all(struct ckpt_dirty *d)
{
	lockdep_assert_held(d->lock);
	if (!d->nr)
		return;
	bitmap_fill(d->bits, d->nbits);
	if (d->list)
		d->overflow = true;
	d->hit = true;
}

void ckpt_dirty_clear(struct ckpt_dirty *d)
{
	unsigned int i;

	lockdep_assert_held(d->lock);
	if (!d->list || d->overflow) {
		bitmap_zero(d->bits, d->nbits);
	} else {
		for (i = 0; i < d->nr_list; i++)
			__clear_bit(d->list[i], d->bits);
	}
	d->nr_list = 0;
	d->overflow = false;
}

void ckpt_dirty_take(struct ckpt_dirty *d, unsigned long **into, bool add)
{
	lockdep_assert_held(d->lock);
	if (WARN_ON_ONCE(d->list) || !d->nr)
		return;
	if (add)
		bitmap_or(*into, *into, d->bits, d->nbits);
	else
		swap(*into, d->bits);
	bitmap_zero(d->bits, d->nbits);
}

void ckpt_dirty_rebase(struct ckpt_dirty *d, const struct ckpt_range *ranges,
		       const unsigned long *first, unsigned long nr,
		       unsigned long **bits, unsigned long nbits)
{
	lockdep_assert_held(d->lock);
	WARN_ON_ONCE(d->list || d->runs);
	d->ranges = ranges;
	d->first = first;
	d->nr = nr;
	swap(d->bits, *bits);
	d->nbits = nbits;
}
