#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Feature tests against the target kernel's headers: prints -DCKPT_HAVE_*
# flags for compat.h.  Greps declarations instead of comparing version
# numbers, so backports pick the right branch.
#
# usage: conftest.sh SRCTREE
src=${1:?usage: conftest.sh SRCTREE}

have() {	# have NAME FILE REGEX
	if grep -Eqs -- "$3" "$src/$2"; then
		printf ' -DCKPT_HAVE_%s' "$1"
	fi
}

# Per-VMA locks (6.4+): faults may run without mmap_lock.
have VMA_START_WRITE include/linux/mm.h 'static inline void vma_start_write\('
# get_user_pages_remote() lost its vmas argument in 6.5.
if grep -A3 -s 'long get_user_pages_remote(' "$src/include/linux/mm.h" | grep -q 'vmas'; then
	printf ' -DCKPT_HAVE_GUP_REMOTE_VMAS'
fi
# rseq registration length (6.3+); before it, only the 32-byte struct.
have TASK_RSEQ_LEN include/linux/sched.h '^[[:space:]]+u32[[:space:]]+rseq_len;'
# zap_page_range() (exported up to 6.2); later only zap_page_range_single().
have ZAP_PAGE_RANGE include/linux/mm.h '^void zap_page_range\('
# POSIX timers hang off signal_struct in an hlist (6.12), a list (6.1).
have POSIX_TIMERS_HLIST include/linux/sched/signal.h 'struct hlist_head[[:space:]]+posix_timers;'
# User shadow stacks (6.6+): thread.features says whether one is on.
have THREAD_FEATURES arch/x86/include/asm/processor.h '^[[:space:]]+unsigned long[[:space:]]+features;'
# eventfd_signal() took a count to add up to 6.7.
have EVENTFD_SIGNAL_N include/linux/eventfd.h '^__u64 eventfd_signal\(struct eventfd_ctx \*ctx, __u64 n\);'
# TCP timestamps may count in microseconds (6.7+): tcp_clock_ts(usec_ts).
have TCP_USEC_TS include/net/tcp.h 'static inline u32 tcp_clock_ts\(bool usec_ts\)'

echo
