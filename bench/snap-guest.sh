#!/bin/bash
# The snapshot/rollback benchmark, inside the VM (bench/run.sh boots it).
# Raw lines "KEY MIB PG K VALUE..." go to $CKPT_VM_OUT/bench-snap.txt
# (bench/snap.c says what each part measures); bench/snap_report.py
# turns them into docs/bench-snap.md.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$TOP/build/bench
OUT=${CKPT_VM_OUT:-/tmp}/bench-snap.txt
: > "$OUT"
TAKE_REPS=${SNAP_TAKE_REPS:-7}	# fresh processes per snapshot/fork point
FORK_REPS=${SNAP_FORK_REPS:-5}	# forks in each of those
REPS=${SNAP_REPS:-9}		# rollback rounds per point (median)
ALL_REPS=${SNAP_ALL_REPS:-3}	# rollback rounds when every page is dirtied
LOOP_S=${SNAP_LOOP_S:-6}	# seconds per fuzz loop
AFL_S=${SNAP_AFL_S:-20}		# afl-fuzz -V
rec() { echo "$*" | tee -a "$OUT"; }
since() { echo $(( ($(date +%s%N) - $1) / 1000000000 )); }

insmod "$TOP/build/mod/$(uname -r)/ckpt.ko" || exit 1
rec "kernel - - - $(uname -r)"
rec "date - - - $(date -u +%Y-%m-%dT%H:%MZ)"
rec "cpus - - - $(nproc)"
rec "mem_mib - - - $(( $(sed -n 's/MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) >> 10 ))"
rec "thp - - - $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
rec "params - - - take_reps=$TAKE_REPS fork_reps=$FORK_REPS reps=$REPS all_reps=$ALL_REPS loop_s=$LOOP_S afl_s=$AFL_S"

# AFL++ first, on a fresh VM: snapshot mode (/dev/afl_snapshot), then the
# fork server (AFL_NO_SNAPSHOT=1), the same target and seeds.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
mkdir -p /tmp/afl-in
printf 'hello' > /tmp/afl-in/a
printf 'FUZ\001\002' > /tmp/afl-in/b
for mode in snap fork; do
	rm -rf /tmp/afl-out
	t0=$(date +%s%N)
	no_snap=
	[ $mode = fork ] && no_snap=1
	env ${no_snap:+AFL_NO_SNAPSHOT=1} timeout $((AFL_S * 4 + 60)) \
		afl-fuzz -V "$AFL_S" -i /tmp/afl-in -o /tmp/afl-out -- "$B/snap_afl_target" \
		> /tmp/afl-$mode.log 2>&1
	rc=$?
	s=/tmp/afl-out/default/fuzzer_stats
	feat=no
	grep -q 'Using SNAPSHOT feature' /tmp/afl-$mode.log && feat=yes
	f() { sed -n "s/^$1 *: *//p" $s 2>/dev/null; }
	rec "afl_$mode - - - execs_per_sec $(f execs_per_sec) execs_done $(f execs_done)" \
		"run_time $(f run_time) stability $(f stability) snapshot_feature $feat rc $rc"
	rec "part_s afl_$mode - - $(since "$t0")"
	[ -s $s ] || tail -n 20 /tmp/afl-$mode.log
done

# Snapshot vs fork: a fresh process for every measurement (a process
# cannot take a snapshot again after dropping its last one), with THP
# (Debian's default, "always") and with 4 KiB pages (MADV_NOHUGEPAGE).
t0=$(date +%s%N)
for r in $(seq "$TAKE_REPS"); do
	for mib in 64 256 1024; do
		for pg in "" --4k; do
			"$B/snap" $mib $pg --take | tee -a "$OUT"
			"$B/snap" $mib $pg --fork "$FORK_REPS" | tee -a "$OUT"
		done
	done
done
rec "part_s take - - $(since "$t0")"

# Rollback vs dirty pages, at 1 MiB, 16 MiB, 256 MiB and 1 GiB, THP and
# 4 KiB pages: flat in process size, linear in dirty pages.
for mib in 1 16 256 1024; do
	ks=huge,1,16,256,4096,all
	[ $mib -lt 256 ] && ks=huge,1,16,256,all
	for pg in "" --4k; do
		t0=$(date +%s%N)
		"$B/snap" $mib $pg --rollback "$REPS" $ks \
			--all-reps "$ALL_REPS" | tee -a "$OUT"
		rc=${PIPESTATUS[0]}
		rec "part_s rollback $mib ${pg:-thp} $(since "$t0") rc=$rc"
	done
done

# Fuzz loops at 64 MiB: fork server vs snapshot/rollback.
for pg in "" --4k; do
	t0=$(date +%s%N)
	"$B/snap" 64 $pg --loop "$LOOP_S" 1,16,256 | tee -a "$OUT"
	rc=${PIPESTATUS[0]}
	rec "part_s loop 64 ${pg:-thp} $(since "$t0") rc=$rc"
done

rec "counters_end - - - $(grep -v high /sys/kernel/debug/ckpt/counters | tr '\n' ' ')"
rmmod ckpt
