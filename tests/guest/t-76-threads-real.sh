#!/bin/bash
# Real multi-threaded programs from Debian's packages, unmodified, each
# run once with no checkpoint and once dumped with --kill on the way and
# restored: the outputs must be byte-identical.
#   xz -T4 of 64 MiB of text (21 of xz -1's 3 MiB blocks: all four
#   workers busy at the dump); sort --parallel=4; a Python `threading`
#   counter; a Java counter thread (tests/real/); and xz -T4 under
#   `ckpt run --every`, restored from a middle image; xz -T4 under a
#   container-style seccomp filter; Python threads handing work over
#   eventfds, a Python event loop (epoll) over a pipe and an eventfd, and
#   Python's asyncio (epoll and its self-pipe socketpair, bytes in
#   flight).  And python3 with threads snapshotting and rolling back
#   itself through ctypes.
. "$(dirname "$0")/lib.sh"

load || { report FAIL threads-real/insmod; exit 1; }
W=$(mktemp -d /tmp/t76.XXXXXX)
REAL=$TOP/tests/real

ms() { echo $(($(date +%s%N) / 1000000)); }

# ready_at FILE PID T0: ms from T0 until FILE has a "ready" line (0 if PID
# ends first, or for a program that prints none).
ready_at() {
	while kill -0 "$2" 2>/dev/null; do
		grep -q '^ready' "$1" 2>/dev/null && { echo $(($(ms) - $3)); return; }
		sleep 0.05
	done
	echo 0
}

# real_run NAME FRACTION MINTHREADS CMD...: CMD's stdout goes to
# W/NAME.out.  The reference run decides when to dump: at FRACTION/10 of
# its time past its "ready" line (a program that prints one: the
# interpreter's start-up varies with the page cache); the image must hold
# MINTHREADS threads at least.
real_run() {
	local name=$1 frac=$2 min=$3 t0 t r d pid rc n
	shift 3
	t0=$(ms)
	(cd "$W" && exec "$@" >"$W/$name.ref" 2>"$W/$name.referr") &
	pid=$!
	r=$(ready_at "$W/$name.ref" "$pid" "$t0")
	wait "$pid" || { echo "FAIL: $name: the reference run: $(cat "$W/$name.referr")"; return 1; }
	t=$(($(ms) - t0))
	d=$(((t - r) * frac / 10))
	echo "$name: the reference run takes $t ms, $r of them before it is ready; dump $d ms after that"
	t0=$(ms)
	(cd "$W" && exec setsid "$@" >"$W/$name.out" 2>"$W/$name.err") &
	pid=$!
	[ "$r" -gt 0 ] && ready_at "$W/$name.out" "$pid" "$t0" >/dev/null
	sleep "$(awk -v d="$d" 'BEGIN { printf "%.3f", d / 1000 }')"
	t0=$(ms)
	ckpt dump -t "$pid" -o "$W/$name.img" --kill --stats || { echo "FAIL: $name: dump (did it end first?): its stderr: $(tail -n 3 "$W/$name.err" | tr "\n" " ")"; kill -9 "$pid"; return 1; }
	wait "$pid" 2>/dev/null
	n=$(ckpt show "$W/$name.img" | grep -c '^  THREAD')
	echo "$name: dumped in $(($(ms) - t0)) ms, $(stat -c %s "$W/$name.img") bytes, $n threads"
	[ "$n" -ge "$min" ] || { echo "FAIL: $name: the image has $n threads, fewer than $min"; return 1; }
	t0=$(ms)
	ckpt restore -i "$W/$name.img"
	rc=$?
	echo "$name: restored and ran to the end in $(($(ms) - t0)) ms, status $rc"
	[ $rc -eq 0 ] || { echo "FAIL: $name: the restored run: status $rc: $(tail -n 3 "$W/$name.err")"; return 1; }
	cmp "$W/$name.ref" "$W/$name.out" || { echo "FAIL: $name: the output differs from the run without a checkpoint"; return 1; }
	rm -f "$W/$name.img" "$W/$name.out"
}

# ckpt run --every of a real program: the run's own output is unaffected,
# and a restore of a middle image continues from there to the same bytes.
xz_every() {
	local d=$W/xzs img rc n
	gen_text $((24 << 20)) 3 >"$W/in-every"
	xz -T4 -1 -c "$W/in-every" >"$W/xz-every.ref" || return 1
	ckpt run --every 250 --dir "$d" -- sh -c 'exec xz -T4 -1 -c "$1" >"$2"' sh "$W/in-every" "$W/xz-every.out" || { echo "FAIL: ckpt run: status $?"; return 1; }
	cmp "$W/xz-every.ref" "$W/xz-every.out" || { echo "FAIL: the output of xz under ckpt run differs"; return 1; }
	n=$(find "$d" -maxdepth 1 -name '[0-9]*.img' | wc -l)
	[ "$n" -ge 3 ] || { echo "FAIL: ckpt run made $n images"; return 1; }
	img=$d/$(find "$d" -maxdepth 1 -name '[0-9]*.img' -printf '%f\n' | sort | sed -n "$((n / 2))p")
	echo "xz under ckpt run: $n images; restoring ${img##*/} ($(ckpt show "$img" | grep -c '^  THREAD') threads)"
	ckpt restore -i "$img"
	rc=$?
	[ $rc -eq 0 ] || { echo "FAIL: restore of ${img##*/}: status $rc"; return 1; }
	cmp "$W/xz-every.ref" "$W/xz-every.out" || { echo "FAIL: xz restored from ${img##*/} wrote other bytes"; return 1; }
	rm -rf "$d" "$W/in-every" "$W/xz-every.ref" "$W/xz-every.out"
}

# xz -T4 under a container-style seccomp filter (libseccomp, through
# tests/real/seccomp_exec.py; its threads inherit it): dumped with --kill
# half-way and restored, the output byte-identical to a run under the same
# filter with no checkpoint, and every thread of the restored process in
# filter mode with the filter count it had.
xz_seccomp() {
	local img=$W/xzsc.img t0 t pid n f want
	t0=$(ms)
	python3 "$REAL/seccomp_exec.py" xz -T4 -1 -c "$W/in64" >"$W/xzsc.ref" || { echo "FAIL: the reference run"; return 1; }
	t=$(($(ms) - t0))
	(cd "$W" && exec setsid python3 "$REAL/seccomp_exec.py" xz -T4 -1 -c "$W/in64" >"$W/xzsc.out") &
	pid=$!
	sleep "$(awk -v t="$t" 'BEGIN { printf "%.3f", t / 2000 }')"
	want=$(awk '/^Seccomp_filters:/ { print $2 }' "/proc/$pid/status")
	ckpt dump -t "$pid" -o "$img" --kill || { echo "FAIL: dump"; kill -9 "$pid"; return 1; }
	wait "$pid" 2>/dev/null
	ckpt show "$img" | grep SECCOMP
	n=$(ckpt show "$img" | grep -c '^  SECCOMP  thread [0-9]* filter mode')
	echo "reference $t ms; dumped with $n threads under $want filters"
	[ "$n" -ge 5 ] && [ "${want:-0}" -ge 1 ] || { echo "FAIL: $n SECCOMP records, $want filters"; return 1; }
	pid=$(ckpt restore -i "$img" --detach) || { echo "FAIL: restore"; return 1; }
	for f in /proc/"$pid"/task/*/status; do
		[ "$(awk '/^Seccomp:/ { print $2 }' "$f")" = 2 ] &&
			[ "$(awk '/^Seccomp_filters:/ { print $2 }' "$f")" = "$want" ] ||
			{ echo "FAIL: $f: $(grep -E '^(Seccomp|Seccomp_filters):' "$f" | tr '\n' ' ')"; kill -9 "$pid"; return 1; }
	done
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	cmp "$W/xzsc.ref" "$W/xzsc.out" || { echo "FAIL: the restored xz wrote other bytes"; return 1; }
	rm -f "$img" "$W/xzsc.ref" "$W/xzsc.out"
}

# Python rolling itself back through ctypes and libckpt, its threads
# counting on: the interpreter's lock and heap are rewound with them.
py_self() {
	local out
	out=$(timeout 120 python3 "$REAL/py_self_snapshot.py" "$TOP/build/lib/libckpt.so" "$W/py-self.state" 3)
	echo "$out"
	[ "$(echo "$out" | grep -c '^round [0-9]: counting on$')" -eq 4 ] || { echo "FAIL: not 4 rounds"; return 1; }
	[ "$(echo "$out" | tail -n 1)" = PASS ]
}

gen_text $((64 << 20)) >"$W/in64"
run_test xz-T4 real_run xz 4 5 xz -T4 -1 -c "$W/in64"
run_test xz-T4-seccomp xz_seccomp
rm -f "$W/in64"
gen_text $((24 << 20)) 7 >"$W/in24"
run_test sort-parallel real_run sort 4 1 sort --parallel=4 -S 256M "$W/in24"
rm -f "$W/in24"
run_test python-threading real_run python 2 5 python3 "$REAL/py_counter.py" 100000
run_test python-eventfd real_run pyeventfd 4 4 python3 "$REAL/py_eventfd.py" 100000
run_test python-epoll real_run pyepoll 4 2 python3 "$REAL/py_epoll.py" 50000
run_test python-asyncio real_run pyasyncio 4 2 python3 "$REAL/py_asyncio.py" 50000
run_test java-counter real_run java 0 8 java -XX:+UseSerialGC -Xmx64m \
	-XX:TieredStopAtLevel=1 -XX:-UsePerfData -cp "$TBIN/java" Counter 20000000
run_test xz-run-every xz_every
run_test python-threading-self-snapshot py_self
rm -rf "$W"
