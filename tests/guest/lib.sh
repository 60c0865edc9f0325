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

# run_test NAME CMD...: PASS iff CMD exits 0, prints no FAIL line, and
# leaves every counter at zero.
run_test() {
	local name=$1 out rc left t0
	shift
	t0=$(date +%s%N)
	out=$("$@" 2>&1)
	rc=$?
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
