# shellcheck shell=bash
# Helpers for test files that run as root inside the test VM.
# Each test reports "PASS: vm/KVER/NAME" or "FAIL: vm/KVER/NAME: why", on
# stdout and in $CKPT_VM_OUT/results, which the host counts.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KVER=$(uname -r)
KO=$TOP/build/mod/$KVER/ckpt.ko
CKPT=$TOP/build/bin/ckpt
TBIN=$TOP/build/tests
RESULTS=${CKPT_VM_OUT:-/tmp}/results
COUNTERS=/sys/kernel/debug/ckpt/counters
export PATH=$TOP/build/bin:$TBIN:$PATH

report() {	# report PASS|FAIL NAME [WHY]
	echo "$1: vm/$KVER/$2${3:+: $3}" | tee -a "$RESULTS"
}

# Live counters other than the high-water mark must be 0 (or the module
# is not loaded, so nothing can be held).
counters_clean() {
	[ -r "$COUNTERS" ] || return 0
	awk '$1 != "hbuf_high_water" && $2 != 0 { print; bad = 1 } END { exit bad }' "$COUNTERS"
}

# hang_diag: every user process and thread (state, tracer, the syscall
# it is in, wchan, kernel stack), the module's counters, the kernel log's
# end: what a test that hangs leaves, for its FAIL.
hang_diag() {
	local p t c
	for p in /proc/[0-9]*; do
		c=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-160)
		[ -n "$c" ] || grep -q '^State:.*Z' "$p/status" 2>/dev/null || continue
		echo "process ${p#/proc/}: ppid $(awk '/^PPid:/ { print $2 }' "$p/status" 2>/dev/null) tracer $(awk '/^TracerPid:/ { print $2 }' "$p/status" 2>/dev/null): $c"
		for t in "$p"/task/*; do
			echo "  thread ${t##*/}: $(awk '/^State:/ { print $2 }' "$t/status" 2>/dev/null) syscall $(cut -d' ' -f1-3 "$t/syscall" 2>/dev/null) wchan $(cat "$t/wchan" 2>/dev/null) pending $(awk '/^SigPnd:/ { print $2 }' "$t/status" 2>/dev/null)"
			sed 's/^/    /' "$t/stack" 2>/dev/null | head -n 16
		done
	done
	cat "$COUNTERS" 2>/dev/null
	dmesg | tail -n 20
}

# kill_tree PID: SIGKILL to PID and every descendant it has.
kill_tree() {
	local c
	for c in $(awk -v p="$1" '$4 == p { print $1 }' /proc/[0-9]*/stat 2>/dev/null); do
		kill_tree "$c"
	done
	kill -9 "$1" 2>/dev/null
}

# run_test NAME CMD...: PASS iff CMD exits 0, prints no FAIL line, and
# leaves every counter at zero.  A CMD still running after TEST_TIMEOUT
# seconds (480) fails with what hang_diag shows, and is killed, so one
# hang costs one test, not its whole boot.
run_test() {
	local name=$1 out rc left t0 pid wd f
	shift
	t0=$(date +%s%N)
	f=$(mktemp /tmp/run_test.XXXXXX)
	"$@" >"$f" 2>&1 </dev/null &
	pid=$!
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep "${TEST_TIMEOUT:-480}" &
		s=$!
		wait $s
		kill -0 $pid 2>/dev/null || exit 0
		{
			echo "FAIL: still running after ${TEST_TIMEOUT:-480} s; every process:"
			hang_diag
		} >>"$f" 2>&1
		kill_tree $pid
	) &
	wd=$!
	wait $pid
	rc=$?
	kill $wd 2>/dev/null
	wait $wd 2>/dev/null
	out=$(cat "$f")
	rm -f "$f"
	[ -n "$out" ] && printf '%s\n' "$out" | sed "s|^|  [$name] |"
	echo "  [$name] $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	if [ $rc -ne 0 ]; then
		report FAIL "$name" "exit status $rc"
	elif printf '%s\n' "$out" | grep -q '^FAIL'; then
		report FAIL "$name" "a check failed"
	elif ! left=$(counters_clean); then
		report FAIL "$name" "counters not zero after the test: $(echo $left)"
	else
		report PASS "$name"
	fi
}

# spawn DIR PROG...: PROG runs in DIR as a child of this shell, stdout
# appended to DIR/out (appended: a rollback rewinds file offsets); returns
# once it printed "ready".  Its pid is in SPID.
spawn() {
	local dir=$1 i
	shift
	(cd "$dir" && exec setsid "$@" >>"$dir/out" 2>&1) &
	SPID=$!
	for i in $(seq 300); do
		grep -q '^ready' "$dir/out" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL: $*: never ready: $(cat "$dir/out")"
	kill -9 "$SPID" 2>/dev/null
	return 1
}

# wait_line DIR REGEX: until a line of DIR/out matches (30 s at most).
wait_line() {
	local i
	for i in $(seq 300); do
		grep -Eq "$2" "$1/out" && return 0
		sleep 0.1
	done
	echo "FAIL: no line /$2/ in the output: $(tail -n 5 "$1/out" | tr '\n' ' ')"
	return 1
}

mod_loaded() {
	grep -q '^ckpt ' /proc/modules
}

load() {	# load [PARAM=VALUE...]
	insmod "$KO" "$@"
}

unload() {
	mod_loaded || return 0
	rmmod ckpt
}
