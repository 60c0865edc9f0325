/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one search over sorted tables, for the module and the tool alike: a
 * lower bound.  Mappings by end, fds by number, FILE ids, page runs and
 * tracked ranges by address are all found with it.
 */
#ifndef CKPT_SEARCH_H
#define CKPT_SEARCH_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "shim.h"
#endif

/*
 * The first index i of [0, @n) for which @below(@arg, i) is false, or @n.
 * @below must hold for a prefix of the table and for nothing after it.
 * Inline, so that each caller's @below is inlined into the loop.
 */
static inline unsigned long ckpt_lower_bound(unsigned long n,
					     bool (*below)(const void *arg,
							   unsigned long i),
					     const void *arg)
{
	unsigned long lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (below(arg, mid))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif /* CKPT_SEARCH_H */
