#!/bin/bash
# Snapshots of multi-threaded processes (tests/progs/snap_threads.c):
# ckpt snapshot and rollback -t of 4 and 32 threads, twice onto one
# snapshot; threads born since (one asleep, one spinning) ended by the
# rollback, twice; a thread ended since, or one ended and another born
# with its tid, refused in words with nothing changed; self snapshots
# through libckpt taken by main or by a worker, rolled back by main, by a
# thread born since, or at exit() or a worker's exit_group(); a self or
# exit-time rollback with a thread ended since, or after a seccomp filter
# was added, refused.
. "$(dirname "$0")/lib.sh"

load || { report FAIL snapshot-threads/insmod; exit 1; }
ckpt check | grep -qw 'thread-snapshots' || report FAIL snapshot-threads/feature "ckpt check does not list thread-snapshots"
ckpt check | grep -qw 'self-thread-snapshots' || report FAIL snapshot-threads/self-feature "ckpt check does not list self-thread-snapshots"

# st_state DIR: the "state" line the program prints on SIGUSR2.
st_state() {
	local n
	n=$(grep -c '^state' "$1/out")
	kill -USR2 "$SPID"
	wait_line "$1" "^state" >/dev/null || return 1
	for i in $(seq 300); do
		[ "$(grep -c '^state' "$1/out")" -gt "$n" ] && break
		sleep 0.1
	done
	grep '^state' "$1/out" | tail -n 1
}

# st_change DIR: SIGUSR1, then wait for the "changed" line.
st_change() {
	local n i
	n=$(grep -c '^changed' "$1/out")
	kill -USR1 "$SPID"
	for i in $(seq 300); do
		[ "$(grep -c '^changed' "$1/out")" -gt "$n" ] && return 0
		sleep 0.1
	done
	echo "FAIL: no 'changed' line"
	return 1
}

snap_threads_rollback() {	# snap_threads_rollback N
	local d id st round
	d=$(mktemp -d /tmp/snapthr.XXXXXX)
	spawn "$d" snap_threads "$1" || return 1
	[ "$(ls /proc/$SPID/task | wc -l)" -eq $(($1 + 1)) ] || { echo "FAIL: not $(($1 + 1)) threads"; kill -9 $SPID; return 1; }
	id=$(ckpt snapshot -t "$SPID" -v) || { echo "FAIL: snapshot"; kill -9 $SPID; return 1; }
	for round in 1 2; do
		st_change "$d" || { kill -9 $SPID; return 1; }
		st=$(st_state "$d")
		echo "round $round, changed: $st"
		[ "$st" = "state phase=2 mapped=1 masks=changed counters=ok" ] || { echo "FAIL: the change did not take"; kill -9 $SPID; return 1; }
		ckpt rollback -t "$SPID" -s "$id" -v || { echo "FAIL: rollback"; kill -9 $SPID; return 1; }
		st=$(st_state "$d")
		echo "round $round, rolled back: $st"
		[ "$st" = "state phase=1 mapped=0 masks=snapshot counters=ok" ] || { echo "FAIL: not rolled back"; kill -9 $SPID; return 1; }
	done
	kill -9 "$SPID"; wait "$SPID" 2>/dev/null
	rm -rf "$d"
}
run_test snap-threads-4-rollback snap_threads_rollback 4
run_test snap-threads-32-rollback snap_threads_rollback 32

# gone PID TID: TID is no thread of PID, within 10 s.
gone_thread() {
	local i
	for i in $(seq 100); do
		[ -e "/proc/$1/task/$2" ] || return 0
		sleep 0.1
	done
	return 1
}

snap_threads_born() {
	local d id st round tids t
	d=$(mktemp -d /tmp/snapthr.XXXXXX)
	spawn "$d" snap_threads 4 born || return 1
	id=$(ckpt snapshot -t "$SPID") || { echo "FAIL: snapshot"; kill -9 $SPID; return 1; }
	for round in 1 2; do
		st_change "$d" || { kill -9 $SPID; return 1; }
		tids=$(grep '^changed born' "$d/out" | tail -n 1 | cut -d' ' -f3-)
		echo "round $round: born $tids, $(ls /proc/$SPID/task | wc -l) threads"
		[ "$(ls /proc/$SPID/task | wc -l)" -eq 7 ] || { echo "FAIL: not 7 threads"; kill -9 $SPID; return 1; }
		ckpt rollback -t "$SPID" -s "$id" -v || { echo "FAIL: rollback"; kill -9 $SPID; return 1; }
		for t in $tids; do
			gone_thread "$SPID" "$t" || { echo "FAIL: thread $t, born since the snapshot, runs on"; kill -9 $SPID; return 1; }
		done
		st=$(st_state "$d")
		echo "round $round, rolled back: $st, $(ls /proc/$SPID/task | wc -l) threads"
		[ "$st" = "state phase=1 mapped=0 masks=snapshot counters=ok" ] || { echo "FAIL: not rolled back"; kill -9 $SPID; return 1; }
		[ "$(ls /proc/$SPID/task | wc -l)" -eq 5 ] || { echo "FAIL: not the snapshot's 5 threads"; kill -9 $SPID; return 1; }
	done
	kill -9 "$SPID"; wait "$SPID" 2>/dev/null
	rm -rf "$d"
}
run_test snap-threads-born-ended snap_threads_born

snap_threads_refused() {	# snap_threads_refused ended|reused PATTERN
	local d id out rc st
	d=$(mktemp -d /tmp/snapthr.XXXXXX)
	spawn "$d" snap_threads 4 "$1" || return 1
	id=$(ckpt snapshot -t "$SPID") || { echo "FAIL: snapshot"; kill -9 $SPID; return 1; }
	st_change "$d" || { kill -9 $SPID; return 1; }
	if [ "$1" = reused ] && ! grep -q '^changed reused' "$d/out"; then
		echo "FAIL: the new thread did not get the ended one's tid"
		kill -9 $SPID
		return 1
	fi
	out=$(ckpt rollback -t "$SPID" -s "$id" 2>&1)
	rc=$?
	echo "$out"
	st=$(st_state "$d")
	echo "after: $st"
	kill -9 "$SPID"; wait "$SPID" 2>/dev/null
	rm -rf "$d"
	[ $rc -eq 1 ] || { echo "FAIL: rollback status $rc"; return 1; }
	echo "$out" | grep -Eq "$2" || { echo "FAIL: message"; return 1; }
	[ "$st" = "state phase=2 mapped=1 masks=changed counters=ok" ] || { echo "FAIL: the process was changed"; return 1; }
}
run_test snap-threads-ended-refused snap_threads_refused ended \
	'thread [0-9]+ of snapshot [0-9]+ has ended: a rollback cannot make it again'
run_test snap-threads-tid-reused-refused snap_threads_refused reused \
	'thread [0-9]+ of snapshot [0-9]+ has ended, and its tid was reused: a rollback cannot make it again'

# snap_self MODE ROUNDS WORKERS: the program's own checks, then its PASS.
snap_self() {
	local out rc
	out=$(timeout 300 snap_threads "$3" "$1" "$2")
	rc=$?
	echo "$out"
	[ $rc -eq 0 ] || { echo "FAIL: status $rc"; return 1; }
	[ "$(echo "$out" | grep -c '^self: round [0-9]*: state phase=1 mapped=0 masks=snapshot counters=ok')" -eq $(($2 + 1)) ] || { echo "FAIL: not $(($2 + 1)) returns to the snapshot"; return 1; }
	echo "$out" | tail -n 1 | grep -qx 'self: PASS'
}
run_test snap-threads-self-4 snap_self self 3 4
run_test snap-threads-self-32 snap_self self 2 32
run_test snap-threads-self-worker snap_self self-worker 3 4
run_test snap-threads-self-born snap_self self-born 4 4
run_test snap-threads-self-exit snap_self self-exit 4 4

snap_self_refused() {	# snap_self_refused MODE PATTERN
	local out rc
	out=$(timeout 300 snap_threads 4 "$1" 1)
	rc=$?
	echo "$out"
	[ $rc -eq 0 ] || { echo "FAIL: status $rc"; return 1; }
	echo "$out" | grep -Eq "^self: refused: $2\$" || { echo "FAIL: message"; return 1; }
	echo "$out" | tail -n 1 | grep -qx 'self: PASS'
}
run_test snap-threads-self-ended-refused snap_self_refused self-ended \
	'thread [0-9]+ of snapshot [0-9]+ has ended: a rollback cannot make it again'
run_test snap-threads-self-seccomp-refused snap_self_refused self-seccomp \
	'thread [0-9]+ has entered seccomp or added a seccomp filter since snapshot [0-9]+: a rollback cannot take it off'

# At exit, a refused rollback lets the process exit as it asked.
snap_self_exit_ended() {
	local out rc
	out=$(timeout 300 snap_threads 4 self-exit-ended 1)
	rc=$?
	echo "$out"
	[ $rc -eq 7 ] || { echo "FAIL: status $rc, want 7"; return 1; }
	[ "$(echo "$out" | grep -c '^self: round')" -eq 2 ] || { echo "FAIL: rolled back"; return 1; }
	dmesg | grep -q 'its rollback to snapshot [0-9]* at exit was refused: thread [0-9]* of snapshot [0-9]* has ended' || { echo "FAIL: no notice in the kernel log"; return 1; }
}
run_test snap-threads-self-exit-ended snap_self_exit_ended

unload
