#!/bin/bash
# Snapshots of memory the kernel treats specially (THP, swap, pinned pages,
# MAP_SHARED, fork), exit-time rollback, and AFL++ fuzzing through
# /dev/afl_snapshot with an unmodified afl-fuzz, of a single-threaded
# target and of one that leaves a thread running at each exit.
. "$(dirname "$0")/lib.sh"

# Swap for the swap test: zram, since the guest's disks are tmpfs and 9p.
swap_on() {
	grep -q '^/dev/zram0' /proc/swaps && return 0
	modprobe zram && echo 256M > /sys/block/zram0/disksize &&
		mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
}

load || { report FAIL snapshot-memory/insmod; exit 1; }
for t in thp pinned pinned-late shared fork; do
	run_test "snap-mem-$t" snap_mem "$t"
done
if swap_on; then
	run_test snap-mem-swap snap_mem swap
else
	report FAIL snap-mem-swap "no swap in the VM: zram could not be set up"
fi

run_test snap-exit-rollback snap_exit 300
run_test snap-exit-vfork snap_exit vfork

# afl-fuzz in snapshot mode must find the crash two flipped bits from its
# seed, and say it uses the device; the fork server runs beside it for the
# ratio.  -D: afl++ 4 skips the deterministic stages (which flip every bit
# pair) unless asked, and its random stage alone may miss the crash.
afl_run() {	# afl_run NAME SECONDS [nosnap] [TARGET]
	local dir=/tmp/afl-$1
	rm -rf "$dir"; mkdir -p "$dir/in"
	printf 'FUZY' > "$dir/in/seed"
	env AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
		AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_BENCH_UNTIL_CRASH=1 \
		${3:+AFL_NO_SNAPSHOT=1} \
		timeout $(($2 + 60)) afl-fuzz -D -V "$2" -i "$dir/in" -o "$dir/out" \
		-- "$TBIN/${4:-afl_target}" > "$dir/log" 2>&1
}

afl_stat() {	# afl_stat DIR KEY
	awk -v k="$2" '$1 == k { print $3 }' "$1/out/default/fuzzer_stats"
}

afl_snapshot() {
	local crashes execs
	afl_run snap 30 || { tail -5 /tmp/afl-snap/log; return 1; }
	grep -q 'Using SNAPSHOT feature' /tmp/afl-snap/log ||
		{ echo "FAIL: afl-fuzz did not use /dev/afl_snapshot"; return 1; }
	crashes=$(afl_stat /tmp/afl-snap saved_crashes)
	execs=$(afl_stat /tmp/afl-snap execs_done)
	echo "snapshot mode: $execs execs, $crashes crashes, $(afl_stat /tmp/afl-snap execs_per_sec) execs/s"
	[ "${crashes:-0}" -ge 1 ] || { echo "FAIL: the crash was not found"; return 1; }
	grep -q . /tmp/afl-snap/out/default/crashes/id* 2>/dev/null ||
		{ echo "FAIL: no crashing input saved"; return 1; }
}
run_test afl-snapshot-finds-crash afl_snapshot

# A target that leaves a thread running at each exit: the rollback at
# exit ends it, run after run (tests/afl/target_threads.c).
afl_snapshot_threads() {
	local crashes
	afl_run snapthr 30 "" afl_target_threads || { tail -5 /tmp/afl-snapthr/log; return 1; }
	grep -q 'Using SNAPSHOT feature' /tmp/afl-snapthr/log ||
		{ echo "FAIL: afl-fuzz did not use /dev/afl_snapshot"; return 1; }
	crashes=$(afl_stat /tmp/afl-snapthr saved_crashes)
	echo "snapshot mode, a thread per run: $(afl_stat /tmp/afl-snapthr execs_done) execs, $crashes crashes, $(afl_stat /tmp/afl-snapthr execs_per_sec) execs/s"
	[ "${crashes:-0}" -ge 1 ] || { echo "FAIL: the crash was not found"; return 1; }
	if dmesg | grep -q 'at exit was refused'; then
		echo "FAIL: an exit-time rollback was refused: $(dmesg | grep 'at exit was refused' | tail -n 1)"
		return 1
	fi
}
run_test afl-snapshot-threads-finds-crash afl_snapshot_threads

afl_forkserver() {
	afl_run fork 30 nosnap || return 1
	grep -q 'Using SNAPSHOT feature' /tmp/afl-fork/log &&
		{ echo "FAIL: AFL_NO_SNAPSHOT was ignored"; return 1; }
	echo "fork server: $(afl_stat /tmp/afl-fork execs_done) execs, $(afl_stat /tmp/afl-fork execs_per_sec) execs/s"
	[ "$(afl_stat /tmp/afl-fork saved_crashes)" -ge 1 ]
}
run_test afl-forkserver-finds-crash afl_forkserver
unload

# Limits, in words: the per-user page cap.
snap_refused() {	# snap_refused PATTERN CMD...: ckpt snapshot must fail so
	local pat=$1 pid out rc
	shift
	"$@" > /tmp/refused.out &
	pid=$!
	while ! grep -q . /tmp/refused.out 2>/dev/null; do sleep 0.05; done
	out=$(ckpt snapshot -t $pid 2>&1)
	rc=$?
	kill -9 $pid; wait $pid 2>/dev/null
	echo "$out"
	[ $rc -eq 1 ] && echo "$out" | grep -Eq "$pat"
}

load max_user_pages=8 || { report FAIL snapshot-limits/insmod; exit 1; }
run_test snap-user-page-cap snap_refused 'over max_user_pages=8' \
	sh -c 'echo ready; exec sleep 100'
unload
