#!/bin/bash
# The demo, inside the VM: the three uses of ckpt, each on a counter that
# prints "count N" every 200 ms.  Lines starting with "$" are the commands
# run, as typed; lines starting with "#" are the demo's own checks of what
# they printed.  Any check that fails ends the demo with status 1.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH=$TOP/build/bin:$TOP/build/tests:$PATH
W=$(mktemp -d /tmp/demo.XXXXXX)
cd "$W"

show() { printf '\n$ %s\n' "$*"; "$@"; }
say() { printf '# %s\n' "$*"; }
die() { say "FAILED: $*"; exit 1; }
count() { sed -n 's/^count //p' "$1"; }
last() { tail -n 1 "$1" | sed 's/^count //'; }
# wait_count FILE N: until FILE's last count is at least N.
wait_count() {
	local i
	for i in $(seq 100); do
		[ -s "$1" ] && [ "$(last "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	die "$1 stays at count $(last "$1")"
}
# seq_ok FILE: the counts are 0, 1, 2, ... each once.
seq_ok() {
	count "$1" | awk '$1 != NR - 1 { exit 1 }'
}
# start OUT CMD...: CMD in the background, stdout to OUT (appended with
# OUT=+FILE); prints its pid.  A subshell is its parent and reaps it, so
# that bash prints no "Killed" notice for it.
start() {
	local out=$1
	shift
	if [ "${out#+}" != "$out" ]; then
		( setsid "$@" >>"${out#+}" 2>&1 </dev/null & echo $! >"$W/pid"; wait ) >/dev/null 2>&1 &
	else
		( setsid "$@" >"$out" 2>&1 </dev/null & echo $! >"$W/pid"; wait ) >/dev/null 2>&1 &
	fi
	while [ ! -s "$W/pid" ]; do sleep 0.05; done
	cat "$W/pid"
	rm -f "$W/pid"
}
# restored FILE IMAGE WHAT: restores IMAGE (a file or a series) and checks
# that the count in FILE went on from where it stopped, each number once.
restored() {
	local at
	at=$(last "$1")
	show ckpt restore -i "$2" --detach
	wait_count "$1" $((at + 5))
	show tail -n 3 "$1"
	seq_ok "$1" || die "$1 repeats or skips a number"
	say "$3; it went on after count $at: $1 counts 0 to $(last "$1"), no number twice or missing"
}
# gone PID: until PID has exited and been reaped, so it is free again.
gone() {
	while [ -e "/proc/$1" ]; do sleep 0.05; done
}

printf '$ ckpt --version\n'
ckpt --version
show ckpt --module "$TOP/build/mod/$(uname -r)/ckpt.ko" check

printf '\n## 1. Checkpoint and restart: dump a running program, kill it, restore it\n'
pid=$(start counter.out counter)
wait_count counter.out 5
printf '\n$ counter > counter.out &    # pid %s\n' "$pid"
show tail -n 2 counter.out
show ckpt dump -t "$pid" -o counter.img --kill
gone "$pid"
show tail -n 1 counter.out
show ls -l counter.img
restored counter.out counter.img "restored as pid $pid"
kill -9 "$pid"

printf '\n## 2. In-memory snapshot and rollback\n'
pid=$(start +snap.out counter)
wait_count snap.out 5
printf '\n$ counter >> snap.out &    # pid %s\n' "$pid"
before=$(last snap.out)
printf '\n$ ckpt snapshot -t %s\n' "$pid"
id=$(ckpt snapshot -t "$pid")
echo "$id"
show tail -n 1 snap.out
snapped=$(last snap.out)
wait_count snap.out $((snapped + 6))
show tail -n 1 snap.out
show ckpt rollback -t "$pid" -s "$id"
# Until the count has gone back and gone on two more lines.
for i in $(seq 100); do
	after=$(count snap.out | awk 'NR > 1 && $1 < prev { back = 1 } back { n++ } { prev = $1 } END { print n + 0 }')
	[ "$after" -ge 3 ] && break
	sleep 0.1
done
show tail -n $((after + 2)) snap.out
drop=$(count snap.out | awk 'NR > 1 && $1 < prev { print prev, $1; exit } { prev = $1 }')
[ -n "$drop" ] || die "snap.out never went back"
read -r from to <<<"$drop"
# The snapshot was taken after count $before and before $snapped + 1.
[ "$to" -ge $((before + 1)) ] && [ "$to" -le $((snapped + 1)) ] ||
	die "after the rollback it printed count $to; the snapshot was taken between count $before and count $snapped"
say "rolled back: after count $from it printed count $to again, as it did right after the snapshot"
show ckpt drop -t "$pid" -s "$id"
kill -9 "$pid"

printf '\n## 3. Periodic incremental checkpoints: run, crash, restore the latest\n'
runner=$(start run.out ckpt run --every 200 --dir series -- counter)
wait_count run.out 8
printf '\n$ ckpt run --every 200 --dir series -- counter > run.out &\n'
show ls series
cpid=$(pgrep -P "$runner" counter)
printf '\n$ kill -9 %s    # the counter dies\n' "$cpid"
kill -9 "$cpid"
gone "$runner"
gone "$cpid"
show tail -n 1 run.out
restored run.out series "restored from $(readlink series/latest)"
kill -9 "$cpid"

printf '\n$ cat /sys/kernel/debug/ckpt/counters    # nothing left held\n'
cat /sys/kernel/debug/ckpt/counters
say "demo done: dump/restore, snapshot/rollback and periodic checkpoints all worked"
