#!/bin/bash
# Hostile and impossible cases: every one fails cleanly, in words, with
# the target intact, and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zdtm.sh"

load mode=0666 || { report FAIL negative/insmod; exit 1; }

# spawn_ready DIR PROG...: PROG runs in DIR as a child of this shell (so it
# can be waited for), stdout in DIR/out; returns once it said "ready".
# Its pid is in SPID.
spawn_ready() {
	local dir=$1 i
	shift
	(cd "$dir" && exec setsid "$@" >"$dir/out" 2>&1) &
	SPID=$!
	for i in $(seq 300); do grep -q '^ready' "$dir/out" && break; sleep 0.1; done
}

D=$(mktemp -d)
chmod 755 "$D"
spawn_ready "$D" mem_anon
PID=$SPID
ckpt dump -t "$PID" -o "$D/good" || report FAIL negative/setup "cannot make a good image"
kill -9 "$PID"
wait "$PID" 2>/dev/null
SIZE=$(stat -c %s "$D/good")

# must_refuse NAME IMAGE PATTERN: restore fails with PATTERN in its words.
must_refuse() {
	local out rc
	out=$(ckpt restore -i "$2" 2>&1)
	rc=$?
	[ $rc -eq 1 ] || { echo "FAIL: $1: exit $rc: $out"; return 1; }
	echo "$out" | grep -Eq "$3" || { echo "FAIL: $1: message '$out' lacks /$3/"; return 1; }
	! kill -0 "$PID" 2>/dev/null || { echo "FAIL: $1: a process $PID exists"; return 1; }
}

truncated() {
	local off n=0
	for off in $(python3 -c "import random; random.seed(7); print(*sorted(random.sample(range(1, $SIZE), 20)))"); do
		head -c "$off" "$D/good" > "$D/cut"
		must_refuse "cut at $off" "$D/cut" 'bad image: .*(ends early|truncated)' || return 1
		n=$((n + 1))
	done
	echo "$n truncations refused"
}
run_test restore-truncated-20 truncated

# One flipped byte inside each kind of record, then one in page data.
flipped() {
	local line type off n=0
	while read -r type off; do
		python3 - "$D/good" "$D/flip" "$off" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[int(sys.argv[3])] ^= 0x5a
open(sys.argv[2], 'wb').write(d)
PY
		must_refuse "flip in $type at $off" "$D/flip" 'bad image: record [0-9]+' || return 1
		n=$((n + 1))
	done < <(imgrecs "$D/good" | awk '!seen[$1]++ { print $1, $2 + ($3 > 20 ? 12 : $3 - 1) }')
	[ $n -ge 10 ] || { echo "FAIL: only $n record kinds found to flip"; return 1; }
	echo "$n record kinds: one flipped byte each, all refused"
}
run_test restore-flipped-byte-per-record flipped

# One flipped byte in page data: only the kernel reads page data, once,
# into place, so the CRC catches it there, before the process runs; the
# tool says why, and nothing is left.  ckpt show, which reads it all,
# refuses the image before any restore.
flipped_data() {
	local off
	off=$(imgrecs "$D/good" | awk '$1 == "PAGES" && $3 < 100 { print $2 + $3 + 100; exit }')
	[ -n "$off" ] || { echo "FAIL: no PAGES record in the image"; return 1; }
	python3 - "$D/good" "$D/flipdata" "$off" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[int(sys.argv[3])] ^= 0x5a
open(sys.argv[2], 'wb').write(d)
PY
	must_refuse "page data flipped at $off" "$D/flipdata" \
		"killed during restore: bad image: its data's CRC32C is 0x[0-9a-f]{8}, the trailer says 0x[0-9a-f]{8}" || return 1
	! ckpt show "$D/flipdata" >/dev/null 2>&1 ||
		{ echo "FAIL: ckpt show accepts page data with a flipped byte"; return 1; }
	echo "page data flipped at $off: the restored process was killed before running, in words"
}
run_test restore-flipped-page-data flipped_data

# Each byte of the image is read once, by the kernel: its ckpt/io count
# grows by the image's size across one restore (the tool reads only the
# metadata, and seeks over the page data).
read_once() {
	local io=/sys/kernel/debug/ckpt/io before after rpid size=$SIZE
	before=$(awk '$1 == "restore_bytes_read" { print $2 }' "$io")
	rpid=$(ckpt restore -i "$D/good" --new-pid --detach) ||
		{ echo "FAIL: restore"; return 1; }
	after=$(awk '$1 == "restore_bytes_read" { print $2 }' "$io")
	kill -9 "$rpid"
	[ "$((after - before))" -eq "$size" ] ||
		{ echo "FAIL: the kernel read $((after - before)) bytes of a $size-byte image"; return 1; }
	echo "the kernel read $((after - before)) bytes of a $size-byte image: each once"
}
run_test restore-reads-each-byte-once read_once

foreign() {
	python3 - "$D/good" "$D/arch" "$D/psz" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
a = bytearray(d); struct.pack_into('<I', a, 20, 183)      # EM_AARCH64
open(sys.argv[2], 'wb').write(a)
p = bytearray(d); struct.pack_into('<I', p, 24, 65536)     # 64 KiB pages
open(sys.argv[3], 'wb').write(p)
PY
	must_refuse arch "$D/arch" 'arch|architecture' &&
		must_refuse page-size "$D/psz" 'page size 65536'
}
run_test restore-foreign-arch-page-size foreign

# An image from another kernel: its vDSO (which the process may be calling)
# can differ from this kernel's, so restore refuses it before any change,
# in words.  imgpatch keeps the image valid (CRC and all) but for that.
other_kernel() {
	imgpatch "$D/good" "$D/otherk" --release 5.10.0-99-amd64 || return 1
	ckpt show "$D/otherk" >/dev/null || { echo "FAIL: the patched image is not valid"; return 1; }
	must_refuse vdso "$D/otherk" 'kernel 5\.10\.0-99-amd64.*vDSO may differ'
}
run_test restore-other-kernel-vdso other_kernel

unsupported_fd() {
	local dir pid out
	dir=$(mktemp -d)
	spawn_ready "$dir" sockfd
	pid=$SPID
	out=$(ckpt dump -t "$pid" -o "$dir/img" 2>&1) && { echo "FAIL: dumped a socketpair"; return 1; }
	echo "$out" | grep -q 'fd 5: unix stream socketpair: its other end is not in the process, which is not supported yet' || { echo "FAIL: message: $out"; return 1; }
	[ ! -e "$dir/img" ] || { echo "FAIL: a partial image was left"; return 1; }
	kill -USR1 "$pid"
	wait "$pid" || { echo "FAIL: the target did not survive"; return 1; }
}
run_test dump-unsupported-fd unsupported_fd

# wait_line FILE REGEX: until FILE has a line matching REGEX (10 s at most).
wait_line() {
	local i
	for i in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return; sleep 0.1; done
}

# refused_dump PID DIR WHAT REGEX: a dump of PID must fail, saying REGEX,
# and PID must go on; PID is killed on failure.
refused_dump() {
	local out
	out=$(ckpt dump -t "$1" -o "$2/img" 2>&1) && { echo "FAIL: dumped $3"; kill -9 "$1"; return 1; }
	echo "$out" | grep -q "$4" || { echo "FAIL: message: $out"; kill -9 "$1"; return 1; }
	kill -0 "$1" || { echo "FAIL: the target did not survive"; return 1; }
}

# py_refused NAME WHAT REGEX SETUP: python3 runs SETUP, says "up" and
# sleeps; its dump must be refused, saying REGEX, and it must go on.
py_refused() {
	local dir pid
	dir=$(mktemp -d)
	(exec python3 -c "import socket, time
$4
print('up', flush=True)
time.sleep(600)" >"$dir/out" 2>&1) &
	pid=$!
	wait_line "$dir/out" up
	refused_dump "$pid" "$dir" "$2" "$3" || return 1
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}

# Sockets whose state is in a connection or a queue are refused in words;
# a TCP connection to a peer outside the process, unless the dump is
# --kill --tcp-established (t-78), also with --kill alone, which then
# leaves the process running.  (One to itself moves: t-35's tcp_conn.)
tcp_outside() {
	local dir pid sp port out
	dir=$(mktemp -d)
	python3 -c 'import socket, time
l = socket.create_server(("127.0.0.1", 0))
print(l.getsockname()[1], flush=True)
a, _ = l.accept()
time.sleep(600)' >"$dir/port" &
	sp=$!
	wait_line "$dir/port" '^[0-9]'
	port=$(cat "$dir/port")
	(exec python3 -c "import socket, time
c = socket.create_connection(('127.0.0.1', $port))
print('up', flush=True)
time.sleep(600)" >"$dir/out" 2>&1) &
	pid=$!
	wait_line "$dir/out" up
	refused_dump "$pid" "$dir" "a TCP connection" \
		"fd 3: TCP connection 127\.0\.0\.1:[0-9]* to 127\.0\.0\.1:$port: its peer is outside: dump --kill --tcp-established moves it" ||
		{ kill -9 "$sp"; return 1; }
	out=$(ckpt dump -t "$pid" -o "$dir/img" --kill 2>&1) && { echo "FAIL: dump --kill without --tcp-established moved it"; kill -9 "$pid" "$sp"; return 1; }
	echo "$out" | grep -q 'its peer is outside: dump --kill --tcp-established moves it' &&
		kill -0 "$pid" || { echo "FAIL: dump --kill: $out"; kill -9 "$pid" "$sp"; return 1; }
	out=$(ckpt dump -t "$pid" -o "$dir/img" --tcp-established 2>&1) && { echo "FAIL: --tcp-established without --kill"; kill -9 "$pid" "$sp"; return 1; }
	echo "$out" | grep -q -- '--tcp-established needs --kill' || { echo "FAIL: --tcp-established alone: $out"; kill -9 "$pid" "$sp"; return 1; }
	kill -9 "$pid" "$sp"
	wait "$pid" "$sp" 2>/dev/null
	rm -rf "$dir"
}
run_test dump-unsupported-tcp-outside tcp_outside
run_test dump-unsupported-unix-stream py_refused unix "a unix stream connection" \
	'fd [0-9]*: unix stream connection .* to @ckpt-t40: unix stream connections but socketpairs are not supported yet' \
	'l = socket.socket(socket.AF_UNIX)
l.bind("\0ckpt-t40")
l.listen()
c = socket.socket(socket.AF_UNIX)
c.connect("\0ckpt-t40")
a, _ = l.accept()
l.close()'
run_test dump-unsupported-tcp-backlog py_refused backlog "a listener with a connection waiting" \
	'fd 3: TCP socket 127\.0\.0\.1:[0-9]*: 1 connections wait to be accepted; try again once they are' \
	'l = socket.create_server(("127.0.0.1", 0))
c = socket.create_connection(l.getsockname())'
run_test dump-unsupported-udp-queued py_refused udp "a datagram not read" \
	'fd 3: UDP socket 127\.0\.0\.1:[0-9]*: datagrams wait to be read; try again once they are' \
	'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v.sendto(b"x", u.getsockname())
time.sleep(0.2)'
run_test dump-unsupported-pair-fds py_refused pairfds "a socketpair with an fd in flight" \
	'fd [0-9]*: unix datagram socketpair: fds or out-of-band data wait to be read, which a restore cannot send again' \
	'a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
socket.send_fds(b, [b"x"], [a.fileno()])'
run_test dump-unsupported-netlink py_refused netlink "a netlink socket" \
	'fd 3: unsupported file type: netlink socket' \
	's = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)'

# An anonymous-inode file not carried yet is named too: tail -f's inotify.
unsupported_inotify() {
	local dir pid
	dir=$(mktemp -d)
	echo line >"$dir/log"
	tail -f "$dir/log" >"$dir/out" &
	pid=$!
	wait_line "$dir/out" line
	refused_dump "$pid" "$dir" "an inotify" "fd [0-9]*: unsupported file type: inotify" || return 1
	echo more >>"$dir/log"
	wait_line "$dir/out" more
	grep -q more "$dir/out" || { echo "FAIL: tail -f does not go on after the refused dump"; kill -9 "$pid"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
run_test dump-unsupported-inotify unsupported_inotify

# A bracketed anonymous-inode name is said plainly: python3's pidfd.
unsupported_pidfd() {
	local dir pid fd
	dir=$(mktemp -d)
	(exec python3 -c 'import os, time
fd = os.pidfd_open(os.getpid())
print("ready", fd, flush=True)
time.sleep(120)' >"$dir/out") &
	pid=$!
	wait_line "$dir/out" '^ready'
	fd=$(sed -n 's/^ready //p' "$dir/out")
	[ -n "$fd" ] || { echo "FAIL: python3 never ready"; kill -9 "$pid"; return 1; }
	refused_dump "$pid" "$dir" "a pidfd" "fd $fd: unsupported file type: pidfd\$" || return 1
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
run_test dump-unsupported-pidfd unsupported_pidfd

# A namespace file is a regular file no path opens again: refused, named.
unsupported_nsfs() {
	local dir pid
	dir=$(mktemp -d)
	(exec 7</proc/self/ns/net; echo ready >"$dir/out"; exec sleep 120) &
	pid=$!
	wait_line "$dir/out" '^ready'
	refused_dump "$pid" "$dir" "a namespace file" "fd 7: unsupported file type: nsfs\$" || return 1
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
run_test dump-unsupported-nsfs unsupported_nsfs

# An open file replaced or removed since the dump: restore opens each file
# by path (in the kernel) and refuses another inode, in words naming the
# fd, before any change; with the file back, the same image restores.
replaced_file() {
	local dir pid out rc rpid
	dir=$(mktemp -d)
	spawn_ready "$dir" files
	pid=$SPID
	ckpt dump -t "$pid" -o "$dir/img" --kill || { kill -9 "$pid"; echo "FAIL: dump"; return 1; }
	wait "$pid" 2>/dev/null
	mv "$dir/sub/data" "$dir/sub/data.orig"
	echo other >"$dir/sub/data"
	out=$(ckpt restore -i "$dir/img" 2>&1)
	rc=$?
	[ $rc -eq 1 ] || { echo "FAIL: replaced: exit $rc: $out"; return 1; }
	echo "$out" | grep -Eq "restore: fd [0-9]+: $dir/sub/data is not the file the process had open \(replaced since the checkpoint\)" ||
		{ echo "FAIL: replaced: message: $out"; return 1; }
	! kill -0 "$pid" 2>/dev/null || { echo "FAIL: replaced: a process $pid exists"; return 1; }
	rm "$dir/sub/data"
	out=$(ckpt restore -i "$dir/img" 2>&1)
	rc=$?
	[ $rc -eq 1 ] || { echo "FAIL: removed: exit $rc: $out"; return 1; }
	echo "$out" | grep -Eq "restore: fd [0-9]+: cannot open $dir/sub/data: No such file or directory" ||
		{ echo "FAIL: removed: message: $out"; return 1; }
	echo "$out"
	mv "$dir/sub/data.orig" "$dir/sub/data"
	ckpt restore -i "$dir/img" &
	rpid=$!
	poke_until_done "$pid" "$rpid" &
	wait "$rpid"
	rc=$?
	[ $rc -eq 0 ] && tail -n1 "$dir/out" | grep -q '^PASS' ||
		{ echo "FAIL: with the file back: status $rc: $(tail -n 3 "$dir/out" | tr '\n' ' ')"; return 1; }
	rm -rf "$dir"
}
run_test restore-replaced-file replaced_file

other_user() {
	local pid out
	setsid setpriv --reuid=1000 --regid=1000 --clear-groups sleep 1000 &
	pid=$!
	sleep 0.3
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups ckpt dump -t "$pid" -o /tmp/other.img 2>&1) &&
		{ kill -9 "$pid"; echo "FAIL: dumped another user's process"; return 1; }
	kill -9 "$pid"
	echo "$out" | grep -q "cannot attach to process $pid: Operation not permitted" ||
		{ echo "FAIL: message: $out"; return 1; }
}
run_test dump-other-user-eperm other_user

not_dumpable() {
	local dir pid out
	dir=$(mktemp -d)
	chmod 777 "$dir"
	spawn_ready "$dir" setpriv --reuid=65534 --regid=65534 --clear-groups nodump
	pid=$SPID
	out=$(cd "$dir" && setpriv --reuid=65534 --regid=65534 --clear-groups ckpt dump -t "$pid" -o "$dir/img" 2>&1) &&
		{ kill -9 "$pid"; echo "FAIL: dumped a non-dumpable process"; return 1; }
	kill -USR1 "$pid"
	wait "$pid"
	echo "$out" | grep -q 'Operation not permitted' || { echo "FAIL: message: $out"; return 1; }
}
run_test dump-not-dumpable-eperm not_dumpable

restore_unprivileged() {
	local out
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups ckpt restore -i "$D/good" 2>&1) &&
		{ echo "FAIL: an unprivileged restore succeeded"; return 1; }
	echo "$out" | grep -Eq 'pid [0-9]+|CAP_CHECKPOINT_RESTORE|Permission denied|Operation not permitted' ||
		{ echo "FAIL: message: $out"; return 1; }
}
run_test restore-unprivileged-refused restore_unprivileged
rm -rf "$D"

# A filter that hands calls to a user-space listener cannot come back
# without it: refused in words, the target intact.
seccomp_notif_refused() {
	local dir pid out
	dir=$(mktemp -d)
	spawn_ready "$dir" seccomp_filter notif
	pid=$SPID
	out=$(ckpt dump -t "$pid" -o "$dir/img" 2>&1) && { echo "FAIL: dumped a user-notif filter"; return 1; }
	echo "$out"
	echo "$out" | grep -Eq "thread $pid: seccomp filter 0 hands system calls to a user-space listener \(SECCOMP_RET_USER_NOTIF\)" ||
		{ echo "FAIL: message: $out"; return 1; }
	[ ! -s "$dir/img" ] || { echo "FAIL: a partial image was left"; return 1; }
	kill -USR1 "$pid"
	wait "$pid" || { echo "FAIL: the target did not survive: $(cat "$dir/out")"; return 1; }
}
run_test dump-seccomp-notif-refused seccomp_notif_refused

# A process with a child: refused in words until process trees are
# supported (an image of the parent alone leaves the child behind, and
# its pid in the child's group and session); --kill kills nothing.  The
# child is named, also when a second thread made it or it is a zombie.
children_refused() {
	local dir pid out kid
	dir=$(mktemp -d)
	spawn_ready "$dir" with_child "$1"
	pid=$SPID
	kid=$(sed -n 's/^child //p' "$dir/out")
	out=$(ckpt dump -t "$pid" -o "$dir/img" --kill 2>&1) && { echo "FAIL: dumped a process with a child"; return 1; }
	echo "$out"
	echo "$out" | grep -q "process $pid has a child process (pid $kid): process trees are not supported yet" ||
		{ echo "FAIL: message: $out"; return 1; }
	[ ! -s "$dir/img" ] || { echo "FAIL: a partial image was left"; return 1; }
	kill -USR1 "$pid"
	wait "$pid" || { echo "FAIL: the target or its child did not survive: $(cat "$dir/out")"; return 1; }
	rm -rf "$dir"
}
for how in leader thread zombie; do
	run_test "dump-child-$how-refused" children_refused "$how"
done

# A series waits for a tick with no child, and says why once.
children_series() {
	local dir pid out n
	dir=$(mktemp -d)
	spawn_ready "$dir" with_child brief
	pid=$SPID
	out=$(ckpt dump -t "$pid" --every 200 --count 2 --dir "$dir/series" 2>&1) ||
		{ echo "FAIL: dump --every: $out"; kill -9 "$pid"; return 1; }
	echo "$out"
	[ "$(echo "$out" | grep -c "has a child process (pid [0-9]*): process trees are not supported yet; skipped until it has none")" = 1 ] ||
		{ echo "FAIL: not said once: $out"; kill -9 "$pid"; return 1; }
	n=$(find "$dir/series" -name '[0-9]*.img' | wc -l)
	[ "$n" = 2 ] || { echo "FAIL: $n images, not 2"; kill -9 "$pid"; return 1; }
	kill -USR1 "$pid"
	wait "$pid" || { echo "FAIL: the target did not survive: $(cat "$dir/out")"; return 1; }
	rm -rf "$dir"
}
run_test dump-every-child-skipped children_series

# Images made on the other supported kernel, in another boot (by its VM
# run of this suite, earlier in the same make check): refused, in words.
# The first difference met is the file identity (9p gives other dev/inode
# numbers in every boot), else the kernel and its vDSO.
other_kernel() {
	local img out n=0
	for img in "$TOP"/build/test-logs/vm-*/cross-*.img; do
		[ -e "$img" ] || continue
		case $img in *"cross-$KVER.img") continue ;; esac
		out=$(ckpt restore -i "$img" 2>&1) && { echo "FAIL: restored an image of another kernel"; return 1; }
		echo "$out" | grep -Eq 'vDSO|comes from kernel|not the file the process had mapped' ||
			{ echo "FAIL: message: $out"; return 1; }
		echo "$out"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || { echo "no image of another kernel in this run"; return 0; }
}
# Only once the other kernel's run has left an image.
if ls "$TOP"/build/test-logs/vm-*/cross-*.img 2>/dev/null | grep -qv "cross-$KVER.img"; then
	run_test restore-other-boot-refused other_kernel
fi
