#!/bin/bash
# The progress line of dump and restore: shown on a terminal (a pty made
# by util-linux's script) for more than 64 MiB, with MiB/s and a
# percentage, updated in place and ended with a newline; absent when
# stderr is a pipe or a file, or the work is small; --no-progress and
# --progress force it off and on.
. "$(dirname "$0")/lib.sh"

load || { report FAIL progress/insmod; exit 1; }

W=$(mktemp -d /tmp/t38.XXXXXX)
NUM='[0-9]+\.[0-9]'
DUMP_RE="ckpt dump: $NUM of $NUM MiB written \\(([0-9]+)%\\), $NUM MiB/s"
RESTORE_RE="ckpt restore: ([a-z ]+, )?$NUM of $NUM MiB read \\(([0-9]+)%\\), $NUM MiB/s"

# wait_ready OUT: mem_touch said "ready" in OUT (60 s at most).
wait_ready() {
	for _ in $(seq 600); do
		grep -q '^ready' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL: mem_touch never ready: $(tail -n 3 "$1" | tr '\n' ' ')"
	return 1
}

# start_touch NAME MIB: mem_touch with MIB of written memory, in its own
# session, almost idle (a touch every 100 ms); its pid in TPID.
start_touch() {
	mkdir -p "$W/$1"
	(cd "$W/$1" && exec setsid mem_touch --mib "$2" --prefill --period-us 100000 \
		--timeout-s 1800 </dev/null >>"$W/$1/out" 2>&1) &
	TPID=$!
	wait_ready "$W/$1/out"
}

# on_pty OUT CMD: CMD (a shell command line) with its stdin, stdout and
# stderr on a new pty; what it wrote there in OUT; its exit status.
on_pty() {
	local out=$1
	shift
	timeout -s KILL 300 script -qec "$*" /dev/null </dev/null >"$out"
}

# shown OUT RE: OUT has the line RE, drawn from the line's start (\r) as
# an updating line does, the last one ending with a newline; its
# percentages are at most 100.
shown() {
	local out=$1 re=$2 p
	if ! tr '\r' '\n' <"$out" | grep -Eq "$re"; then
		echo "FAIL: no progress line in: $(tr '\r' '|' <"$out" | head -c 400)"
		return 1
	fi
	grep -q $'\r''ckpt \(dump\|restore\): ' "$out" ||
		{ echo "FAIL: the progress line is not drawn from the line's start (CR)"; return 1; }
	[ "$(tail -c 1 "$out" | od -An -c | tr -d ' ')" = '\n' ] ||
		{ echo "FAIL: the output does not end with a newline"; return 1; }
	for p in $(tr '\r' '\n' <"$out" | grep -Eo '\(([0-9]+)%\)' | tr -dc '0-9\n'); do
		[ "$p" -le 100 ] || { echo "FAIL: a percentage of $p"; return 1; }
	done
	echo "$(tr '\r' '\n' <"$out" | grep -Ec "$re") progress lines, the last: $(tr '\r' '\n' <"$out" | grep -E "$re" | tail -n 1)"
}

# not_shown OUT WHAT: no progress line of WHAT (dump, restore) in OUT.
not_shown() {
	if tr '\r' '\n' <"$1" | grep -Eq "ckpt $2: .*MiB/s"; then
		echo "FAIL: a progress line where none belongs: $(tr '\r' '|' <"$1" | head -c 400)"
		return 1
	fi
}

# is_empty FILE WHAT: FILE (a command's stderr) is empty.
is_empty() {
	[ ! -s "$1" ] || { echo "FAIL: $2 wrote to stderr: $(tr '\r' '|' <"$1" | head -c 400)"; return 1; }
}

start_touch big 100 || exit 1
big_pid=$TPID
start_touch small 1 || exit 1
small_pid=$TPID

# A dump of ~100 MiB with stderr on a terminal: the line, then a valid image.
dump_tty() {
	on_pty "$W/o" "ckpt dump -t $big_pid -o $W/big.img >/dev/null" ||
		{ echo "FAIL: dump: $(tr '\r' '|' <"$W/o")"; return 1; }
	shown "$W/o" "$DUMP_RE" || return 1
	ckpt show "$W/big.img" >/dev/null || { echo "FAIL: the image does not validate"; return 1; }
	echo "image: $(stat -c %s "$W/big.img") bytes"
}
run_test progress-dump-tty dump_tty

# stderr a file, then a pipe: nothing.
dump_notty() {
	ckpt dump -t "$big_pid" -o "$W/b2.img" 2>"$W/e" || { cat "$W/e"; return 1; }
	is_empty "$W/e" "dump, stderr a file," || return 1
	out=$(ckpt dump -t "$big_pid" -o "$W/b2.img" 2>&1 | cat) || return 1
	[ -z "$out" ] || { echo "FAIL: dump, stderr a pipe, wrote: $(tr '\r' '|' <<<"$out")"; return 1; }
	rm -f "$W/b2.img"
}
run_test progress-dump-notty dump_notty

dump_tty_off() {
	on_pty "$W/o" "ckpt dump -t $big_pid -o $W/b2.img --no-progress >/dev/null" ||
		{ echo "FAIL: dump: $(tr '\r' '|' <"$W/o")"; return 1; }
	not_shown "$W/o" dump || return 1
	rm -f "$W/b2.img"
}
run_test progress-dump-tty-no-progress dump_tty_off

# Forced on, with stderr a pipe (to stdout, the image: -o -).
dump_pipe_on() {
	ckpt dump -t "$big_pid" --progress 2>"$W/e" | cat >"$W/b2.img" ||
		{ cat "$W/e"; return 1; }
	shown "$W/e" "$DUMP_RE" || return 1
	ckpt show "$W/b2.img" >/dev/null || { echo "FAIL: the piped image does not validate"; return 1; }
	rm -f "$W/b2.img"
}
run_test progress-dump-pipe-progress dump_pipe_on

# A small process: none on a terminal (under 64 MiB), but --progress shows it.
dump_small() {
	on_pty "$W/o" "ckpt dump -t $small_pid -o $W/small.img >/dev/null" ||
		{ echo "FAIL: dump: $(tr '\r' '|' <"$W/o")"; return 1; }
	not_shown "$W/o" dump || return 1
	ckpt dump -t "$small_pid" -o "$W/small.img" --progress 2>"$W/e" || { cat "$W/e"; return 1; }
	shown "$W/e" "$DUMP_RE"
}
run_test progress-dump-small dump_small

# restore_tty OUT ARGS...: ckpt restore ARGS of big.img on a pty, in a
# session of its own (the pty's hangup must not reach the restored
# process), detached; the restored pid in RPID.
restore_tty() {
	local out=$1
	shift
	rm -f "$W/rpid"
	on_pty "$out" "setsid -w ckpt restore -i $W/big.img --new-pid --detach --pid-file $W/rpid $* >/dev/null" ||
		{ echo "FAIL: restore: $(tr '\r' '|' <"$out")"; return 1; }
	RPID=$(cat "$W/rpid")
}

# gone PID: it has exited (10 s at most).
gone() {
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

restore_shown() {
	local n0
	restore_tty "$W/o" || return 1
	shown "$W/o" "$RESTORE_RE" || { kill -9 "$RPID"; return 1; }
	# The restored copy is whole: it verifies itself and passes.
	n0=$(wc -l <"$W/big/out")
	kill -USR1 "$RPID"
	gone "$RPID" || { kill -9 "$RPID"; echo "FAIL: the restored process does not finish its check"; return 1; }
	tail -n +"$((n0 + 1))" "$W/big/out" | grep -qx PASS ||
		{ echo "FAIL: the restored process: $(tail -n 3 "$W/big/out" | tr '\n' ' ')"; return 1; }
	echo "the restored process verified its memory: PASS"
}
run_test progress-restore-tty restore_shown

# detached_pipe ARGS...: ckpt restore --detach ARGS of big.img with stderr
# a pipe, read into $W/e; the restored pid in RPID.  The pipe must end when
# ckpt does: the restored process holds none of ckpt's own fds.
detached_pipe() {
	local rc
	rm -f "$W/rpid"
	ckpt restore --new-pid --detach "$@" 2>&1 >"$W/rpid" | timeout 120 cat >"$W/e"
	rc=${PIPESTATUS[1]}
	RPID=$(cat "$W/rpid")
	[ -n "$RPID" ] || { echo "FAIL: restore: $(cat "$W/e")"; return 1; }
	if [ "$rc" -ne 0 ]; then
		kill -9 "$RPID"
		echo "FAIL: stderr's pipe stays open after ckpt restore --detach exits (cat: status $rc): the restored process holds it"
		return 1
	fi
}

restore_notty() {
	ckpt restore -i "$W/big.img" --new-pid --detach >"$W/rpid" 2>"$W/e" || { cat "$W/e"; return 1; }
	kill -9 "$(cat "$W/rpid")"
	is_empty "$W/e" "restore, stderr a file," || return 1
	detached_pipe -i "$W/big.img" || return 1
	kill -9 "$RPID"
	is_empty "$W/e" "restore, stderr a pipe,"
}
run_test progress-restore-notty restore_notty

restore_tty_off() {
	restore_tty "$W/o" --no-progress || return 1
	kill -9 "$RPID"
	not_shown "$W/o" restore
}
run_test progress-restore-tty-no-progress restore_tty_off

# Forced on, stderr a pipe, the image on stdin (spooled: its size is known).
restore_pipe_on() {
	detached_pipe --progress <"$W/big.img" || return 1
	kill -9 "$RPID"
	shown "$W/e" "$RESTORE_RE"
}
run_test progress-restore-pipe-progress restore_pipe_on

kill -9 "$big_pid" "$small_pid" 2>/dev/null
wait 2>/dev/null
rm -rf "$W"
