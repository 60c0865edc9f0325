#!/bin/bash
# Periodic incremental checkpoints: `ckpt run --every` and `ckpt dump
# --every` of mem_touch (tests/progs/mem_touch.c: random pages rewritten
# every 100 us, which verifies its own memory on SIGUSR2 and runs on, or on
# SIGUSR1 and exits).  The image chain (first full, then incremental on the
# one before), `latest`, --stats, restore from the newest and a middle
# image, SIGKILL of the checkpointer in the middle of a writeout, a chain of
# 100, --keep, a target that exits, a missing parent, a damaged page.
#
# Every wait has a time limit and every process is killed at the end of
# its test, so the module's counters come back to zero.
. "$(dirname "$0")/lib.sh"

load || { report FAIL periodic/insmod; exit 1; }

# Tests run in subshells (run_test): what they share lives under $W.
W=$(mktemp -d /tmp/t60.XXXXXX)

# Under TCG every exec costs 0.2-2 s (ckpt show ~0.6 s, python3 ~2 s):
# the helpers use shell builtins where they can.

# wait_until SECONDS CMD...: polls CMD every 0.1 s; fails when time is up.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

alive() {	# alive PID: running, not a zombie
	local s
	kill -0 "$1" 2>/dev/null && read -r s <"/proc/$1/stat" 2>/dev/null || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}
gone() { ! alive "$1"; }
file_has() { grep -Eq "$2" "$1" 2>/dev/null; }
pid_or_gone() { [ -s "$1" ] || gone "$2"; }

# finish_child PID SECONDS: waits for a child of this shell, SIGKILLing it
# after SECONDS (then LATE=1); its status in RC.
finish_child() {
	LATE=0
	wait_until "$2" gone "$1" || { LATE=1; kill -9 "$1" 2>/dev/null; }
	wait "$1"
	RC=$?
}

# killwait PID...: SIGKILL, reap our children among them, and wait (10 s
# at most) until the others are gone too.
killwait() {
	local p
	for p in "$@"; do
		[ -n "$p" ] || continue
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		wait_until 10 gone "$p"
	done
	return 0
}

# start_touch DIR ARGS...: mem_touch ARGS in DIR, a child of this shell,
# stdout appended to DIR/out (restored copies append there too), its pid
# in TPID and DIR/pid; returns once it said "ready" (60 s at most).
start_touch() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && exec setsid mem_touch --pid-file "$dir/pid" --timeout-s 1800 "$@" \
		</dev/null >>"$dir/out" 2>&1) &
	TPID=$!
	wait_until 60 file_has "$dir/out" '^ready' && return 0
	echo "FAIL: mem_touch $*: never ready: $(tail -n 3 "$dir/out" | tr '\n' ' ')"
	killwait "$TPID"
	return 1
}

# images DIR: the image files of DIR, oldest first.
images() {
	find "$1" -maxdepth 1 -name '[0-9][0-9][0-9][0-9][0-9][0-9].img' -printf '%f\n' | sort
}

latest() {	# latest DIR: the file name that DIR/latest points at
	local t
	t=$(readlink "$1/latest") || return 1
	[ -f "$1/latest" ] || return 1
	basename "$t"
}
# latest_after DIR NAME: DIR/latest names an image after NAME.
latest_after() {
	local l
	l=$(latest "$1" 2>/dev/null) && [[ $l > $2 ]]
}

# header IMG: its header line ("header ... image 0xID, full" or "...,
# incremental on 0xPARENT"), once `ckpt show` validated the whole image.
header() {
	local out
	out=$(ckpt show "$1" 2>&1) || { echo "ckpt show $1: $(echo "$out" | tail -n 2)" >&2; return 1; }
	echo "$out" | grep -m1 '^header '
}
hdr_id() { sed -n 's/.*, image \(0x[0-9a-f]*\),.*/\1/p' <<<"$1"; }
hdr_parent() { sed -n 's/.*, incremental on \(0x[0-9a-f]*\).*/\1/p' <<<"$1"; }

# check_chain DIR: the images of DIR are numbered without a gap, the
# first is full, each other is incremental on the one just before it (one
# python3 pass over their header records: a ckpt exec per image costs ~1 s
# under TCG), DIR/latest names the last, and `ckpt show` validates the
# first and the last and agrees with those headers.  NIMG: their number.
check_chain() {
	local dir=$1 out n first fid lid lpar h
	NIMG=0
	out=$(python3 - "$dir" <<'PY'
import os, re, struct, sys
def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)
d = sys.argv[1]
names = sorted(f for f in os.listdir(d) if re.fullmatch(r'[0-9]{6}\.img', f))
if not names:
    fail('no image in %s: %s' % (d, ' '.join(sorted(os.listdir(d)))))
prev = 0
for i, f in enumerate(names):
    with open(os.path.join(d, f), 'rb') as fh:
        h = fh.read(48)
    if len(h) < 48 or struct.unpack_from('<I', h, 0)[0] != 1 or h[8:16] != b'CKPTIMG\0':
        fail('%s does not start with an image header' % f)
    flags, = struct.unpack_from('<I', h, 28)
    iid, par = struct.unpack_from('<QQ', h, 32)
    if i == 0:
        if flags & 1 or par:
            fail('%s, the first image, is incremental on 0x%x' % (f, par))
    else:
        if int(f[:6]) != int(names[i - 1][:6]) + 1:
            fail('%s follows %s: a gap' % (f, names[i - 1]))
        if not flags & 1 or par != prev:
            fail('%s (flags 0x%x) is not incremental on %s (0x%x) but on 0x%x'
                 % (f, flags, names[i - 1], prev, par))
    if i == 0:
        first = iid
    prev = iid
print(len(names), names[0], '0x%x' % first, names[-1], '0x%x' % prev, '0x%x' % par)
PY
	) || { echo "$out"; return 1; }
	read -r n first fid last lid lpar <<<"$out"
	[ "$(latest "$dir")" = "$last" ] ||
		{ echo "FAIL: $dir/latest -> '$(readlink "$dir/latest")', the newest image is $last"; return 1; }
	h=$(header "$dir/$first") || { echo "FAIL: $first does not validate"; return 1; }
	[[ $h == *"image $fid, full" ]] || { echo "FAIL: ckpt show $first: '$h', want image $fid, full"; return 1; }
	if [ "$n" -gt 1 ]; then
		h=$(header "$dir/$last") || { echo "FAIL: $last does not validate"; return 1; }
		[[ $h == *"image $lid, incremental on $lpar" ]] ||
			{ echo "FAIL: ckpt show $last: '$h', want image $lid, incremental on $lpar"; return 1; }
	fi
	NIMG=$n
}

# validate_all DIR: `ckpt show` validates every image of DIR (slow: for
# short chains only).
validate_all() {
	local f
	for f in $(images "$1"); do
		header "$1/$f" >/dev/null || { echo "FAIL: $f does not validate"; return 1; }
	done
}

# verified_lines OUT FROM: the "verified touches=" lines of OUT after line
# FROM; FAIL when the process printed a FAIL line there.
verified_lines() {
	tail -n +"$(($2 + 1))" "$1" | grep '^verified touches='
}
nverified() { [ "$(verified_lines "$1" "$2" | wc -l)" -ge "$3" ]; }
failed_since() { tail -n +"$(($2 + 1))" "$1" | grep -q '^FAIL'; }
touches() { sed -n 's/^verified touches=\([0-9]*\).*/\1/p' | tail -n 1; }

# ask_verify OUT FROM PID N: SIGUSR2 to PID until OUT has N verified lines
# after line FROM (120 s at most: 256 MiB take a while under TCG).
ask_verify() {
	local end=$((SECONDS + 120))
	while ! nverified "$1" "$2" "$4"; do
		if failed_since "$1" "$2" || gone "$3" || [ "$SECONDS" -ge "$end" ]; then
			echo "FAIL: no verification from $3: $(tail -n +"$(($2 + 1))" "$1" | tail -n 3 | tr '\n' ' ')"
			return 1
		fi
		kill -USR2 "$3" 2>/dev/null
		sleep 0.3
	done
}

# restore_verify OUT IMG: restores IMG (an image, or a directory: its
# latest) with a new pid.  The restored mem_touch appends to OUT, its
# stdout: it must verify itself on SIGUSR2, run on, and verify itself again
# and pass on SIGUSR1, with more touches than the first time.
restore_verify() {
	local out=$1 img=$2 rd rpid pid n0 t1 t2
	rd=$(mktemp -d /tmp/t60r.XXXXXX)
	n0=$(wc -l <"$out")
	timeout -s KILL 300 ckpt restore -i "$img" --new-pid --pid-file "$rd/pid" \
		</dev/null >"$rd/log" 2>&1 &
	rpid=$!
	wait_until 120 pid_or_gone "$rd/pid" "$rpid"
	if [ ! -s "$rd/pid" ]; then
		finish_child "$rpid" 5
		echo "FAIL: restore -i $img: exit $RC: $(cat "$rd/log")"
		return 1
	fi
	pid=$(cat "$rd/pid")
	if ! ask_verify "$out" "$n0" "$pid" 1; then
		killwait "$pid" "$rpid"
		echo "FAIL: restored from $img: $(cat "$rd/log")"
		return 1
	fi
	t1=$(verified_lines "$out" "$n0" | touches)
	sleep 0.5
	kill -USR1 "$pid"
	finish_child "$rpid" 120
	killwait "$pid"
	if [ "$RC" -ne 0 ] || [ "$(tail -n 1 "$out")" != PASS ]; then
		echo "FAIL: restored from $img: exit $RC: $(tail -n +"$((n0 + 1))" "$out" | tail -n 3 | tr '\n' ' ') $(cat "$rd/log")"
		return 1
	fi
	t2=$(verified_lines "$out" "$n0" | touches)
	[ "$t2" -gt "$t1" ] ||
		{ echo "FAIL: restored from $img: $t1 touches, then $t2: it does not run on"; return 1; }
	echo "restored from ${img#"$W"/}: verified at $t1 and $t2 touches, PASS"
	rm -rf "$rd"
}

STATS_RE='^seq=[0-9]+ frozen_us=[0-9]+ dirty_pages=[0-9]+ bytes=[0-9]+ write_ms=[0-9]+$'
# (more fields may follow: stopped_us_*, hbuf_chunk_allocs)
SUMMARY_RE='^summary: checkpoints=[0-9]+ frozen_us_p50=[0-9]+ frozen_us_p99=[0-9]+ frozen_us_max=[0-9]+ missed=[0-9]+( [a-z0-9_]+=[0-9]+)*$'

# check_stats FILE NIMG: one well-formed line per checkpoint (seq 1..N, N
# = NIMG), and the summary, consistent with them.
check_stats() {
	local f=$1 n s p50 p99 max
	grep -Ev "^seq=|^summary:" "$f" | sed 's/^/  other stderr: /'
	if grep -E '^seq=' "$f" | grep -Evq "$STATS_RE"; then
		echo "FAIL: malformed --stats lines: $(grep -E '^seq=' "$f" | grep -Ev "$STATS_RE" | head -n 3)"
		return 1
	fi
	n=$(grep -Ec "$STATS_RE" "$f")
	grep -E "$STATS_RE" "$f" | sed -n 's/^seq=\([0-9]*\) .*/\1/p' | tr '\n' ' ' >"$f.seqs"
	[ "$(cat "$f.seqs")" = "$(seq -s ' ' 1 "$n") " ] ||
		{ echo "FAIL: --stats seq numbers are not 1..$n: $(cat "$f.seqs")"; return 1; }
	[ "$n" -eq "$2" ] || { echo "FAIL: $n --stats lines for $2 images"; return 1; }
	s=$(grep -E '^summary:' "$f")
	[ "$(grep -c '^summary:' "$f")" -eq 1 ] && grep -Eq "$SUMMARY_RE" <<<"$s" ||
		{ echo "FAIL: summary line: '$s'"; return 1; }
	grep -E "$STATS_RE" "$f" | tail -n 1
	echo "$s"
	read -r p50 p99 max < <(sed 's/.*p50=\([0-9]*\) .*p99=\([0-9]*\) .*max=\([0-9]*\) .*/\1 \2 \3/' <<<"$s")
	[[ $s == "summary: checkpoints=$n "* ]] ||
		{ echo "FAIL: the summary counts other checkpoints than the $n lines"; return 1; }
	[ "$p50" -le "$p99" ] && [ "$p99" -le "$max" ] && [ "$max" -gt 0 ] ||
		{ echo "FAIL: summary: p50 $p50, p99 $p99, max $max"; return 1; }
	grep -E "$STATS_RE" "$f" | awk -v max="$max" '{ split($2, a, "="); if (a[2] > max) bad = 1 } END { exit bad }' ||
		{ echo "FAIL: a frozen_us above the summary's max $max"; return 1; }
}

# 1. mem_touch under `ckpt run --every 50 --stats` for ~5 s, verifying
# itself twice on the way (live, between checkpoints), then SIGKILLed:
# ckpt run exits 128 + 9.  The images form one chain, latest names the
# newest, --stats has one line per image and the summary.
RUN=$W/run
run_5s() {
	local rpid pid n0
	mkdir -p "$RUN/img"
	(cd "$RUN" && exec ckpt run --every 50 --dir "$RUN/img" --stats -- \
		mem_touch --pid-file "$RUN/pid" --zap-every 16 --timeout-s 1800 \
		</dev/null >>"$RUN/out" 2>>"$RUN/stats") &
	rpid=$!
	if ! wait_until 60 file_has "$RUN/out" '^ready' || [ ! -s "$RUN/pid" ]; then
		killwait "$rpid"
		echo "FAIL: mem_touch under ckpt run never ready: $(cat "$RUN/out" "$RUN/stats" | tail -n 5)"
		return 1
	fi
	pid=$(cat "$RUN/pid")
	for _ in 1 2; do
		sleep 2
		n0=$(wc -l <"$RUN/out")
		ask_verify "$RUN/out" "$n0" "$pid" 1 || { killwait "$pid" "$rpid"; return 1; }
		alive "$rpid" || { killwait "$pid"; echo "FAIL: ckpt run ended early: $(tail -n 3 "$RUN/stats")"; return 1; }
	done
	sleep 1
	alive "$rpid" || { killwait "$pid"; echo "FAIL: ckpt run ended early: $(tail -n 3 "$RUN/stats")"; return 1; }
	kill -9 "$pid"
	finish_child "$rpid" 60
	killwait "$pid"
	[ "$LATE" -eq 0 ] || { echo "FAIL: ckpt run still ran 60 s after its command was SIGKILLed"; return 1; }
	# A wrong status fails the test, but the images and --stats are
	# checked all the same (run_test fails on any FAIL line).
	[ "$RC" -eq 137 ] || echo "FAIL: ckpt run exited $RC when its command was SIGKILLed, want 137: $(grep -Ev "$STATS_RE" "$RUN/stats" | tail -n 3)"
	grep '^verified' "$RUN/out"
	check_chain "$RUN/img" || return 1
	echo "$NIMG images, latest -> $(readlink "$RUN/img/latest")"
	[ "$NIMG" -ge 3 ] || { echo "FAIL: only $NIMG images in 5 s at --every 50"; return 1; }
	check_stats "$RUN/stats" "$NIMG"
}
run_test periodic-run-5s run_5s

# 2. Restore from latest (-i DIR) and from a middle image (-i FILE): each
# restored process verifies its memory, runs on, and passes.
restore_run() {
	local imgs mid
	mapfile -t imgs < <(images "$RUN/img")
	[ ${#imgs[@]} -ge 3 ] || { echo "FAIL: no images from periodic-run-5s"; return 1; }
	mid=${imgs[$(( ${#imgs[@]} / 2 ))]}
	restore_verify "$RUN/out" "$RUN/img" || return 1
	restore_verify "$RUN/out" "$RUN/img/$mid"
}
run_test periodic-restore-latest-and-middle restore_run
rm -rf "$RUN"

# 3. The checkpointer SIGKILLed at a random moment while it writes a
# 64 MiB process out (every page written before "ready"): latest must
# still name a complete image, which restores (the restore validates the
# whole chain) and verifies, and the original must run on unharmed.
# Once with `ckpt dump --every` of a process rewriting random pages
# without pause (every increment is large), once with `ckpt run --every
# --keep 2`, whose merges rewrite the whole base image every time.
# (64 MiB, not 256: restoring and verifying 256 MiB alone takes ~20 s
# under TCG; the writeouts of 64 MiB still take a second or so.)
killed_writer() {	# killed_writer dump|run
	local d=$W/kill-$1 cpid pid before after delay f n0
	mkdir -p "$d/img"
	if [ "$1" = dump ]; then
		start_touch "$d" --mib 64 --prefill --period-us 0 || return 1
		pid=$TPID
		ckpt dump -t "$pid" --every 20 --dir "$d/img" </dev/null >"$d/log" 2>&1 &
		cpid=$!
	else
		(cd "$d" && exec ckpt run --every 20 --keep 2 --dir "$d/img" -- \
			mem_touch --pid-file "$d/pid" --mib 64 --prefill --period-us 20 --timeout-s 1800 \
			</dev/null >>"$d/out" 2>"$d/log") &
		cpid=$!
		wait_until 120 file_has "$d/out" '^ready' || { killwait "$cpid"; killwait "$(cat "$d/pid" 2>/dev/null)"; echo "FAIL: never ready"; return 1; }
		pid=$(cat "$d/pid")
	fi
	if ! wait_until 180 latest "$d/img" >/dev/null; then
		killwait "$cpid" "$pid"
		echo "FAIL: no latest after 180 s: $(tail -n 3 "$d/log")"
		return 1
	fi
	before=$(latest "$d/img")
	delay=$((RANDOM % 2000))
	sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
	alive "$cpid" || { killwait "$pid"; echo "FAIL: ckpt $1 ended by itself: $(tail -n 3 "$d/log")"; return 1; }
	kill -9 "$cpid"
	wait "$cpid" 2>/dev/null
	after=$(latest "$d/img") || { killwait "$pid"; echo "FAIL: latest broken after the kill: $(ls -l "$d/img")"; return 1; }
	echo "SIGKILL $delay ms after latest -> $before: latest -> $after; files: $(ls "$d/img" | tr '\n' ' ')"
	[[ ! $after < $before ]] || { killwait "$pid"; echo "FAIL: latest went back from $before to $after"; return 1; }
	# The original is no longer needed: the restore must do without it.
	n0=$(wc -l <"$d/out")
	ask_verify "$d/out" "$n0" "$pid" 1 || { killwait "$pid"; return 1; }
	killwait "$pid"
	# A file past latest may be the one cut short; latest must be whole.
	for f in $(images "$d/img"); do
		[[ $f > $after ]] && echo "past latest: $f ($(stat -c %s "$d/img/$f") bytes)"
	done
	header "$d/img/$after" >/dev/null || { echo "FAIL: latest ($after) does not validate"; return 1; }
	restore_verify "$d/out" "$d/img" || return 1
	rm -rf "$d"
}
run_test periodic-sigkill-dump-every-mid-writeout killed_writer dump
run_test periodic-sigkill-run-keep-mid-writeout killed_writer run

# 4. A chain of 100 increments (ckpt dump --every 20 --count 101) restores;
# then --keep 3 (stopped by SIGTERM) leaves 3 images, the oldest full,
# and its latest restores.  The original verifies itself after all that.
chain_keep() {
	local d=$W/chain pid kpid n0 imgs
	start_touch "$d" --zap-every 16 || return 1
	pid=$TPID
	timeout -s KILL 300 ckpt dump -t "$pid" --every 20 --count 101 --dir "$d/img" </dev/null >"$d/log" 2>&1
	RC=$?
	[ $RC -eq 0 ] || { killwait "$pid"; echo "FAIL: dump --count 101: exit $RC: $(tail -n 3 "$d/log")"; return 1; }
	check_chain "$d/img" || { killwait "$pid"; return 1; }
	[ "$NIMG" -eq 101 ] && [ "$(latest "$d/img")" = 000101.img ] ||
		{ killwait "$pid"; echo "FAIL: --count 101 left $NIMG images, latest -> $(readlink "$d/img/latest")"; return 1; }

	ckpt dump -t "$pid" --every 20 --keep 3 --dir "$d/keep" </dev/null >"$d/keep.log" 2>&1 &
	kpid=$!
	if ! wait_until 120 latest_after "$d/keep" 000007.img; then
		killwait "$kpid" "$pid"
		echo "FAIL: --keep 3: no 8th image in 120 s: $(ls "$d/keep" 2>&1 | tr '\n' ' ') $(tail -n 3 "$d/keep.log")"
		return 1
	fi
	kill -TERM "$kpid"
	finish_child "$kpid" 60
	[ $RC -eq 0 ] || { killwait "$pid"; echo "FAIL: ckpt dump --every --keep 3 after SIGTERM: exit $RC: $(tail -n 3 "$d/keep.log")"; return 1; }
	echo "--keep 3 after SIGTERM: $(ls "$d/keep" | tr '\n' ' ')-> $(readlink "$d/keep/latest")"
	mapfile -t imgs < <(images "$d/keep")
	[ ${#imgs[@]} -eq 3 ] || { killwait "$pid"; echo "FAIL: --keep 3 left ${#imgs[@]} images"; return 1; }
	[ -z "$(find "$d/keep" -mindepth 1 ! -name latest ! -name '[0-9][0-9][0-9][0-9][0-9][0-9].img')" ] ||
		{ killwait "$pid"; echo "FAIL: --keep 3 left other files: $(ls -a "$d/keep" | tr '\n' ' ')"; return 1; }
	check_chain "$d/keep" || { killwait "$pid"; return 1; }
	[[ ${imgs[0]} > 000005.img ]] || { killwait "$pid"; echo "FAIL: --keep 3 kept ${imgs[*]}, not the newest"; return 1; }

	n0=$(wc -l <"$d/out")
	ask_verify "$d/out" "$n0" "$pid" 1 || { killwait "$pid"; return 1; }
	killwait "$pid"
	restore_verify "$d/out" "$d/img" || return 1
	restore_verify "$d/out" "$d/keep" || return 1
	rm -rf "$d"
}
run_test periodic-chain-100-and-keep-3 chain_keep

# 5. A target that exits (or is killed) during the run: ckpt run exits as
# it did, and every image it left validates (ckpt show) and chains.  Not
# sh with sleep: a process with a child is not checkpointed; perl starts
# faster than python3 under TCG.
target_exits() {
	local d=$W/exit
	mkdir -p "$d/img7" "$d/img143"
	timeout -s KILL 60 ckpt run --every 100 --dir "$d/img7" -- \
		perl -e 'select(undef, undef, undef, 0.5); exit 7' \
		</dev/null >"$d/log7" 2>&1
	RC=$?
	[ $RC -eq 7 ] || { echo "FAIL: ckpt run -- perl exiting 7: exit $RC: $(cat "$d/log7")"; return 1; }
	check_chain "$d/img7" && validate_all "$d/img7" || return 1
	echo "exit 7: $NIMG images"
	timeout -s KILL 60 ckpt run --every 100 --dir "$d/img143" -- \
		perl -e 'select(undef, undef, undef, 0.5); kill "TERM", $$' \
		</dev/null >"$d/log143" 2>&1
	RC=$?
	[ $RC -eq 143 ] || { echo "FAIL: ckpt run -- perl killed by SIGTERM: exit $RC, want 143: $(cat "$d/log143")"; return 1; }
	check_chain "$d/img143" && validate_all "$d/img143" || return 1
	echo "SIGTERM: $NIMG images"
	rm -rf "$d"
}
run_test periodic-target-exits target_exits

# make_chain DIR N: N checkpoints of a fresh mem_touch into DIR/img (every
# 20 ms), then the process is killed; check_chain passed.
make_chain() {
	start_touch "$1" --zap-every 16 || return 1
	timeout -s KILL 120 ckpt dump -t "$TPID" --every 20 --count "$2" --dir "$1/img" </dev/null >"$1/log" 2>&1
	RC=$?
	killwait "$TPID"
	[ $RC -eq 0 ] || { echo "FAIL: dump --count $2: exit $RC: $(tail -n 3 "$1/log")"; return 1; }
	check_chain "$1/img" && [ "$NIMG" -eq "$2" ] || { echo "FAIL: $NIMG images, want $2"; return 1; }
}

# must_refuse IMG DIR PATTERN: restore of IMG fails (exit 1) in words
# matching PATTERN, and no process of DIR's mem_touch exists.
must_refuse() {
	local out
	out=$(timeout -s KILL 120 ckpt restore -i "$1" --new-pid </dev/null 2>&1)
	RC=$?
	echo "restore -i ${1#"$W"/}: exit $RC: $out"
	[ $RC -eq 1 ] || { echo "FAIL: restore -i $1: exit $RC, want 1"; return 1; }
	grep -Eiq "$3" <<<"$out" || { echo "FAIL: restore -i $1: the message lacks /$3/"; return 1; }
	! pgrep -f -- "--pid-file $2/pid" >/dev/null ||
		{ echo "FAIL: a process exists after the refused restore"; killwait $(pgrep -f -- "--pid-file $2/pid"); return 1; }
}

# 6. A missing parent, or one with another id (000003.img replaced by a
# copy of 000002.img): restore of a later image fails, naming the parent.
# The same chain restored fine before (the test is not vacuous).
missing_parent() {
	local d=$W/parent
	make_chain "$d" 6 || return 1
	restore_verify "$d/out" "$d/img/000006.img" || return 1
	mv "$d/img/000003.img" "$d/000003.img"
	must_refuse "$d/img/000005.img" "$d" 'parent' || return 1
	must_refuse "$d/img" "$d" 'parent' || return 1
	cp "$d/img/000002.img" "$d/img/000003.img"
	must_refuse "$d/img/000005.img" "$d" 'parent' || return 1
	rm -rf "$d"
}
run_test periodic-missing-parent missing_parent

# 7. One byte of page data flipped in a middle image: restoring it, or a
# later image through it, fails in words (the CRC), and ckpt show refuses it.
damaged_page() {
	local d=$W/damage f off img=''
	make_chain "$d" 6 || return 1
	for f in 000003.img 000004.img 000002.img 000005.img; do
		off=$(imgrecs "$d/img/$f" | awk '$1 == "PAGES" { print $2 + $3 + 2048; exit }')
		[ -n "$off" ] && { img=$f; break; }
	done
	[ -n "$img" ] || { echo "FAIL: no middle image holds page data"; return 1; }
	python3 - "$d/img/$img" "$off" <<'PY'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2])); b = f.read(1)
    f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x5a]))
PY
	echo "flipped the byte at $off of $img"
	! ckpt show "$d/img/$img" >/dev/null 2>&1 || { echo "FAIL: ckpt show accepts the damaged $img"; return 1; }
	must_refuse "$d/img/$img" "$d" 'crc|checksum|bad image|corrupt|damaged' || return 1
	must_refuse "$d/img" "$d" 'crc|checksum|bad image|corrupt|damaged' || return 1
	rm -rf "$d"
}
run_test periodic-damaged-page-refused damaged_page

# 8. mem_touch's own checks are not vacuous here either: a zeroed page, a
# page from an older instant, and pages + shadow table of an older instant
# mixed with a newer log make it FAIL (all its modes are in mem_touch.c).
self_test() {
	local m d n0 rc
	for m in zero stale mix; do
		d=$W/self-$m
		start_touch "$d" --mib 4 --zap-every 16 --self-test-corrupt="$m" || return 1
		n0=$(wc -l <"$d/out")
		kill -USR1 "$TPID"
		finish_child "$TPID" 30
		rc=$RC
		tail -n 1 "$d/out" | grep -q '^FAIL: ' && [ "$rc" -eq 1 ] ||
			{ echo "FAIL: --self-test-corrupt=$m: exit $rc: $(tail -n +"$((n0 + 1))" "$d/out" | tr '\n' ' ')"; return 1; }
		echo "$m: $(tail -n 1 "$d/out" | sed 's/^FAIL/caught/')"
	done
	rm -rf "$d"
}
run_test periodic-mem-touch-detects-damage self_test

# 9. The layout changes all the time (tests/progs/mem_churn.c: map, unmap,
# mremap, mprotect, FOLL_FORCE writes into read-only memory, MADV_DONTNEED,
# fork, brk): restored from the newest image and from older ones, each
# process verifies every page against its shadow tables.  In steady state
# an image allocates no hbuf chunk.
churn() {
	local d=$W/churn img p rc n
	mkdir -p "$d"
	(cd "$d" && exec mem_churn --period-us 100 >"$d/out" 2>&1) &
	p=$!
	wait_until 30 file_has "$d/out" '^ready' || { echo "FAIL: mem_churn not ready"; return 1; }
	timeout -s KILL 120 ckpt dump -t "$p" --every 30 --count 30 --dir "$d/img" --stats \
		2>"$d/stats"
	rc=$?
	[ $rc -eq 0 ] || { echo "FAIL: dump --every: exit $rc: $(tail -n 3 "$d/stats")"; kill -9 $p; return 1; }
	grep -q 'hbuf_chunk_allocs=1$' "$d/stats" ||
		{ echo "FAIL: hbuf chunks allocated after the first image: $(tail -n 1 "$d/stats")"; kill -9 $p; return 1; }
	kill -USR1 $p
	wait $p
	rc=$?
	[ $rc -eq 0 ] || { echo "FAIL: the original failed: $(tail -n 1 "$d/out")"; return 1; }
	for img in 30 29 20 11 2; do
		# One caught in a FOLL_FORCE write has /proc/PID/mem open, which
		# no restore can reopen: take the nearest one without, older
		# first, then newer (a run of them can reach the first image).
		for n in $(seq "$img" -1 1) $(seq $((img + 1)) 30) none; do
			[ "$n" = none ] && { echo "FAIL: every image has /proc/PID/mem open"; return 1; }
			ckpt show "$d/img/$(printf %06d "$n").img" | grep -q '/proc/[0-9]*/mem' || break
		done
		[ "$n" = "$img" ] || echo "$img: has /proc/PID/mem open, taking $n"
		img=$d/img/$(printf %06d "$n").img
		rm -f "$d/pid"
		ckpt restore -i "$img" --new-pid --pid-file "$d/pid" 2>"$d/err" &
		rc=$!
		wait_until 60 test -s "$d/pid" || { echo "FAIL: $img: no restored process: $(cat "$d/err")"; kill -9 $rc; return 1; }
		sleep 0.3
		kill -USR2 "$(cat "$d/pid")"
		sleep 0.3
		kill -USR1 "$(cat "$d/pid")"
		wait $rc || { echo "FAIL: $img: the restored process failed (exit $?): $(cat "$d/err")"; return 1; }
		echo "${img#"$d"/}: verified"
	done
	rm -rf "$d"
}
run_test periodic-mem-churn churn

rm -rf "$W"
