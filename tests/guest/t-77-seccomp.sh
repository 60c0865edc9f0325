#!/bin/bash
# Seccomp: tests/progs/seccomp_threads.c (filters of its own per thread,
# shared ones, a filter with SECCOMP_FILTER_FLAG_LOG, a thread in strict
# mode) dumped with --kill, dumped live, restored from the middle of a
# --every series, and snapshotted and rolled back from outside and by
# the process itself; tests/progs/seccomp_filter.c with the filter on the
# leader and on a second thread alone.  A user-notif filter is refused in
# t-40-negative.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zdtm.sh"

load || { report FAIL seccomp/insmod; exit 1; }
for how in kill live every snap self; do
	run_test "seccomp-threads-$how" zdtm_run seccomp_threads "$how" seccomp_threads
done
run_test seccomp-leader-kill zdtm_run seccomp_filter kill seccomp_filter
run_test seccomp-thread-kill zdtm_run seccomp_filter kill seccomp_filter thread

# The image says what each thread has: main's two filters, A's two, B's
# one, C's the same as B's, S strict.
seccomp_show() {
	local d out
	d=$(mktemp -d /tmp/seccomp.XXXXXX)
	spawn "$d" seccomp_threads || return 1
	ckpt dump -t "$SPID" -o "$d/img" || { kill -9 "$SPID"; return 1; }
	kill -USR1 "$SPID"
	wait "$SPID" || { echo "FAIL: the process did not go on: $(cat "$d/out")"; return 1; }
	out=$(ckpt show "$d/img")
	rm -rf "$d"
	echo "$out" | grep SECCOMP
	[ "$(echo "$out" | grep -c 'SECCOMP  thread')" = 5 ] &&
		echo "$out" | grep -Eq "SECCOMP  thread $SPID filter mode: 2 filters, [0-9]+ instructions" &&
		echo "$out" | grep -Eq "SECCOMP  thread [0-9]+ filter mode: 1 filters, thread [0-9]+'s" &&
		echo "$out" | grep -Eq 'SECCOMP  thread [0-9]+ strict mode$'
}
run_test seccomp-show seccomp_show
