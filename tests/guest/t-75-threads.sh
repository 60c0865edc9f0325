#!/bin/bash
# Multi-threaded processes: tests/progs/mthreads.c (threads parked in
# every way, each checking its own state) dumped with --kill, dumped live,
# restored from the middle of a --every series, and snapshotted and rolled
# back (ckpt snapshot -t, and the process on itself); 64 and 1000 threads;
# POSIX timers (tests/progs/ptimers.c); threads born during the freeze
# (tests/progs/thread_churn.c); a thread frozen inside an rseq critical
# section (tests/progs/rseq_cs.c); a process exiting with its threads
# while it is stopped (tests/dev/tracee_exit.c, tests/progs/exit_threads.c).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zdtm.sh"

load || { report FAIL threads/insmod; exit 1; }
for how in kill live every; do
	for w in sleep read; do
		run_test "mthreads-16-$w-$how" zdtm_run mthreads "$how" mthreads --wait=$w 16
	done
done
for how in kill live every; do
	run_test "ptimers-$how" zdtm_run ptimers "$how" ptimers
	run_test "thread-churn-$how" zdtm_run thread_churn "$how" thread_churn
done
run_test mthreads-64-kill zdtm_run mthreads kill mthreads 64
# Snapshot and rollback, from outside and by the process itself (zdtm.h's
# agent thread).  Not thread_churn: its workers end, and a rollback
# refuses a snapshot whose threads have ended.
for how in snap self; do
	for w in sleep spin; do
		run_test "mthreads-16-$w-$how" zdtm_run mthreads "$how" mthreads --wait=$w 16
	done
	run_test "ptimers-$how" zdtm_run ptimers "$how" ptimers
done
for how in live every snap self; do
	run_test "mthreads-64-$how" zdtm_run mthreads "$how" mthreads 64
done
for how in kill live every snap self; do
	run_test "rseq-cs-$how" zdtm_run rseq_cs "$how" rseq_cs
done

# Timer ids only go up: the highest id a restore makes again, and the first
# one a dump refuses, in words, leaving the process running.
run_test ptimers-id-65535-kill zdtm_run ptimers kill ptimers high 65535
ptimers_id_refused() {
	local d out rc
	d=$(mktemp -d /tmp/ptimers.XXXXXX)
	spawn "$d" ptimers high 65536 || return 1
	out=$(ckpt dump -t "$SPID" -o "$d/img" 2>&1)
	rc=$?
	echo "$out"
	kill -USR1 "$SPID"
	wait "$SPID" || { echo "FAIL: the process did not go on: $(cat "$d/out")"; rc=0; }
	rm -rf "$d"
	[ $rc -eq 1 ] && echo "$out" | grep -q 'POSIX timer 65536: its id is above 65535, which a restore cannot make again'
}
run_test ptimers-id-65536-refused ptimers_id_refused
run_test mthreads-1000-kill zdtm_run mthreads kill mthreads 1000

# A process whose main thread has ended while another runs: refused in words.
dead_leader_refused() {
	local d out rc
	d=$(mktemp -d /tmp/dead.XXXXXX)
	spawn "$d" dead_leader || return 1
	out=$(ckpt dump -t "$SPID" -o "$d/img" 2>&1)
	rc=$?
	kill -9 "$SPID"
	wait "$SPID" 2>/dev/null
	rm -rf "$d"
	echo "$out"
	[ $rc -eq 1 ] && echo "$out" | grep -q 'its main thread has exited while other threads run on'
}
run_test dead-leader-refused dead_leader_refused

# A process that exits while its threads run (exit_group(), as xz does):
# a stop that falls into the exit must reap the threads and report the
# exit, not wait for the leader, which the kernel reports only once its
# threads are reaped.  First the tool's stop helper at that very moment
# (tests/dev/tracee_exit.c: every task a zombie, none reaped), then
# `ckpt run --every 2` of such a process, 256 MiB so that its exit is
# slow and captures fall into it, ten times, each bounded.
run_test tracee-stop-exiting tracee_exit 4
run_every_exit() {
	local d i rc
	d=$(mktemp -d /tmp/exitthr.XXXXXX)
	for i in $(seq 10); do
		timeout 120 ckpt run --every 2 --dir "$d/s" -- exit_threads 256 4 300
		rc=$?
		[ $rc -eq 124 ] && echo "FAIL: run $i: ckpt run still waits 120 s on"
		[ $rc -eq 0 ] || { rm -rf "$d"; echo "FAIL: run $i: status $rc"; return 1; }
		rm -rf "$d/s"
	done
	rm -rf "$d"
}
run_test run-every-exit run_every_exit
