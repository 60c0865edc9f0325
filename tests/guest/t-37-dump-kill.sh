#!/bin/bash
# dump --kill: the process runs no instruction past the image's instant
# (nothing it writes is written again by the restored process), and a
# --kill dump that fails leaves it running.
. "$(dirname "$0")/lib.sh"

load || { report FAIL dump-kill/insmod; exit 1; }

# seq_ok FILE: its lines are 0, 1, 2, ... each once and in order.
seq_ok() {
	awk -v f="${1##*/}" '
		NR == 1 && $1 != 0 { printf "FAIL: %s starts at %s\n", f, $1; bad = 1; exit }
		NR > 1 && $1 != prev + 1 {
			printf "FAIL: %s: line %d is %s after %s (%s)\n", f, NR, $1, prev,
			       $1 <= prev ? "a number written twice" : "a gap"
			bad = 1; exit
		}
		{ prev = $1 }
		END { if (!bad) printf "%s: 0..%s, each once\n", f, prev; exit bad }' "$1"
}

lines() { if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# wait_lines FILE N: until FILE has more than N lines (30 s at most).
wait_lines() {
	local i
	for i in $(seq 300); do
		[ "$(lines "$1")" -gt "$2" ] && return 0
		sleep 0.1
	done
	echo "FAIL: ${1##*/} stays at $(lines "$1") lines"
	return 1
}

# kill_restore CMD...: CMD (its @LOG argument replaced by a file) writes a
# count to that file and to stdout, a pipe the test reads; dumped with
# --kill, restored into the same pipe, run on, killed.  Both logs must
# count with no repeat and no gap.
kill_restore() {
	local dir pid rpid w out n_img rc st a cmd=()
	dir=$(mktemp -d)
	for a in "$@"; do
		[ "$a" = @LOG ] && a=$dir/file.log
		cmd+=("$a")
	done
	mkfifo "$dir/fifo"
	cat "$dir/fifo" >"$dir/pipe.log" &
	local reader=$!
	exec {w}>"$dir/fifo"
	setsid "${cmd[@]}" >&$w 2>/dev/null </dev/null &
	pid=$!
	wait_lines "$dir/file.log" 2000 || return 1

	out=$(ckpt dump -t "$pid" -o "$dir/img" --kill --stats 2>&1) ||
		{ echo "FAIL: dump: $out"; return 1; }
	echo "$out"
	echo "$out" | grep -Eq '^frozen_us=[0-9]+ .* stop_to_kill_us=[0-9]+$' ||
		{ echo "FAIL: --stats has no stop_to_kill_us: $out"; return 1; }
	# ckpt has reaped its tracee's exit: it is dead, not dying.
	st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ] ||
		{ echo "FAIL: process $pid is in state $st after dump --kill"; return 1; }
	wait "$pid"
	rc=$?
	[ $rc -eq 137 ] || { echo "FAIL: the dumped process ended with status $rc, not SIGKILL"; return 1; }
	n_img=$(lines "$dir/file.log")

	ckpt restore -i "$dir/img" --pid-file "$dir/rpid" >&$w &
	rpid=$!
	wait_lines "$dir/file.log" $((n_img + 2000)) || { kill -9 "$rpid"; return 1; }
	[ "$(cat "$dir/rpid")" = "$pid" ] || { echo "FAIL: restored as pid $(cat "$dir/rpid"), not $pid"; return 1; }
	kill -9 "$pid"
	wait "$rpid"
	exec {w}>&-
	wait "$reader"
	echo "dumped at line $n_img, restored ran to $(lines "$dir/file.log")"
	seq_ok "$dir/file.log" || return 1
	seq_ok "$dir/pipe.log" || return 1
	rm -rf "$dir"
}
run_test dump-kill-no-repeat kill_restore kill_log @LOG 0
run_test dump-kill-no-repeat-256m kill_restore kill_log @LOG 256

# The same with unmodified interpreters from Debian's packages (the case
# that was reported: Python and Perl counters logged numbers twice).
PY='import os, sys
f = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
n = 0
while True:
    b = b"%d\n" % n
    os.write(f, b)
    os.write(1, b)
    n += 1'
PL='open(my $f, ">>", $ARGV[0]) or die; my $n = 0;
while (1) { my $b = "$n\n"; syswrite($f, $b); syswrite(STDOUT, $b); $n++ }'
run_test dump-kill-no-repeat-python3 kill_restore /usr/bin/python3 -c "$PY" @LOG
run_test dump-kill-no-repeat-perl kill_restore /usr/bin/perl -e "$PL" @LOG

# A --kill dump that cannot be written (a full filesystem) fails in words,
# leaves no partial image, and leaves the process running and counting.
kill_enospc() {
	local dir pid out n
	dir=$(mktemp -d)
	mkdir "$dir/small"
	mount -t tmpfs -o size=1m tmpfs "$dir/small" || return 1
	setsid kill_log "$dir/file.log" 256 >/dev/null 2>&1 </dev/null &
	pid=$!
	wait_lines "$dir/file.log" 2000 || return 1
	if out=$(ckpt dump -t "$pid" -o "$dir/small/img" --kill 2>&1); then
		echo "FAIL: a dump to a full filesystem succeeded: $out"
		return 1
	fi
	echo "$out"
	echo "$out" | grep -q "$dir/small/img: No space left on device" ||
		{ echo "FAIL: the error does not say why: $out"; return 1; }
	echo "$out" | grep -q "process $pid was not killed and runs on" ||
		{ echo "FAIL: the error does not say that the process runs on: $out"; return 1; }
	[ ! -e "$dir/small/img" ] || { echo "FAIL: a partial image is left"; return 1; }
	n=$(lines "$dir/file.log")
	wait_lines "$dir/file.log" $((n + 2000)) || return 1
	case $(awk '{print $3}' "/proc/$pid/stat") in
	t | T | Z) echo "FAIL: process $pid is $(grep ^State "/proc/$pid/status")"; return 1 ;;
	esac
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	umount "$dir/small"
	seq_ok "$dir/file.log" || return 1
	rm -rf "$dir"
}
run_test dump-kill-enospc-resumes kill_enospc
