#!/bin/bash
# More dump/restore: file-backed and shared memory, identity, the COW
# proof, an image through a pipe, restoring twice, --stats.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zdtm.sh"

load || { report FAIL dump-more/insmod; exit 1; }
# TCP connections of the process to itself move in any dump.
for how in kill live every; do
	run_test "tcp_conn-$how" zdtm_run tcp_conn "$how" tcp_conn
done
for how in kill live; do
	run_test "mem_file-$how" zdtm_run mem_file "$how" mem_file
	run_test "ident-$how" zdtm_run ident "$how" ident
done
for how in kill live every snap; do
	run_test "eventfd-$how" zdtm_run eventfd "$how" eventfd
	run_test "signalfd-$how" zdtm_run signalfd "$how" signalfd
	run_test "timerfd-$how" zdtm_run timerfd "$how" timerfd
	run_test "epoll-$how" zdtm_run epoll "$how" epoll
	run_test "sockets-$how" zdtm_run sockets "$how" sockets
done
# Socketpairs with messages (datagram, seqpacket) and bytes waiting both ways.
for how in kill live every; do
	run_test "sockpair_msgs-$how" zdtm_run sockpair_msgs "$how" sockpair_msgs
done

# zdtm_start DIR PROG...: runs PROG in DIR, waits for "ready", echoes its pid.
zdtm_start() {
	local dir=$1 i
	shift
	(cd "$dir" && exec setsid "$@" >"$dir/out" 2>&1) &
	for i in $(seq 300); do
		grep -q '^ready' "$dir/out" 2>/dev/null && break
		sleep 0.1
	done
	echo $!
}

# A process that rewrites all its memory while the dump writes it out.
cow_proof() {
	local dir pid out
	dir=$(mktemp -d)
	pid=$(zdtm_start "$dir" cow_writer)
	out=$(ckpt dump -t "$pid" -o "$dir/img" --stats 2>&1) || { echo "FAIL: dump: $out"; return 1; }
	echo "$out"
	cowcheck "$dir/img" || return 1
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	# The image restores, and the writer runs on from that instant.
	ckpt restore -i "$dir/img" &
	local rpid=$!
	poke_until_done "$pid" "$rpid" &
	wait "$rpid" || { echo "FAIL: restored writer: $(tail -n1 "$dir/out")"; return 1; }
	rm -rf "$dir"
}
run_test cow-proof cow_proof

# dumped_to DIR PROG: PROG's image at DIR/img, dumped once it is ready.
dumped_to() {
	local pid
	pid=$(zdtm_start "$1" "$2")
	ckpt dump -t "$pid" -o "$1/img" || { echo "FAIL: dump of $2"; kill -9 "$pid"; return 1; }
	kill -9 "$pid"
}

# ckpt show names each eventfd with its count and whether it is a
# semaphore, each timerfd with its clock, time left, interval and ticks,
# each epoll's targets (in JSON too).
anon_show() {
	local dir out
	dir=$(mktemp -d)
	mkdir "$dir/e" "$dir/t"
	dumped_to "$dir/e" eventfd && dumped_to "$dir/t" timerfd || return 1
	out=$(ckpt show "$dir/e/img") || { echo "FAIL: show: $out"; return 1; }
	echo "$out" | grep -q 'EVENTFD .* count 3 semaphore$' &&
	echo "$out" | grep -q 'EVENTFD .* count 1099511627776$' &&
	[ "$(echo "$out" | grep -c 'EVENTFD')" = 6 ] ||
		{ echo "FAIL: the eventfds in ckpt show: $out"; return 1; }
	ckpt show --json "$dir/e/img" | grep -q '"eventfd_semaphore": true' ||
		{ echo "FAIL: no semaphore in ckpt show --json"; return 1; }
	out=$(ckpt show "$dir/t/img") || { echo "FAIL: show: $out"; return 1; }
	echo "$out" | grep -q 'TIMERFD .* clock 0 absolute left [0-9]* ns interval 0 ns ticks 0$' &&
	echo "$out" | grep -q 'TIMERFD .* clock 1 left 0 ns interval 0 ns ticks 1$' &&
	echo "$out" | grep -q 'TIMERFD .* clock 1 left [0-9]* ns interval 40000000 ns' ||
		{ echo "FAIL: the timerfds in ckpt show: $out"; return 1; }
	ckpt show --json "$dir/t/img" | grep -q '"timerfd_abstime": true' ||
		{ echo "FAIL: no absolute timerfd in ckpt show --json"; return 1; }
	mkdir "$dir/p"
	dumped_to "$dir/p" epoll || return 1
	out=$(ckpt show --json "$dir/p/img" | python3 -c 'import json, sys
fs = json.load(sys.stdin)["files"]
print(sorted(len(f["epoll_targets"]) for f in fs if f["kind"] == "EPOLL"))') ||
		{ echo "FAIL: ckpt show --json of an epoll is not JSON"; return 1; }
	[ "$out" = "[1, 8]" ] || { echo "FAIL: epoll targets in ckpt show --json: $out"; return 1; }
	rm -rf "$dir"
}
run_test anon-files-show anon_show

# ckpt show says each socket's kind, state, address and options, and
# --json the same; a restore over a process still listening refuses in
# words.
sockets_show() {
	local dir out pid
	dir=$(mktemp -d)
	pid=$(zdtm_start "$dir" sockets)
	ckpt dump -t "$pid" -o "$dir/img" || { echo "FAIL: dump of sockets"; kill -9 "$pid"; return 1; }
	out=$(ckpt show "$dir/img") || { echo "FAIL: show: $out"; kill -9 "$pid"; return 1; }
	echo "$out" | grep -q 'SOCKET .* TCP listen 127\.0\.0\.1:[1-9][0-9]* backlog 7 reuseaddr|nodelay keepidle 300 keepintvl 100 keepcnt 3 user_timeout_ms 12345 rcvtimeo_us [1-9][0-9]* sndtimeo_us [1-9][0-9]* priority 5 tos 16 maxseg 1200 notsent_lowat 65536 rcvlowat 7 linger 4 congestion "reno"$' &&
	echo "$out" | grep -q 'SOCKET .* TCPv6 listen \[::1\]:[1-9][0-9]* backlog 3 v6only tos 32 congestion "[a-z0-9]*"$' &&
	echo "$out" | grep -q 'SOCKET .* UDP connected 127\.0\.0\.1:[1-9][0-9]* peer 127\.0\.0\.1:[1-9][0-9]*$' &&
	echo "$out" | grep -q "SOCKET .* unix stream listen sub/listen.sock backlog 5 mode 0600 \"$dir/sub/listen.sock\"\$" &&
	echo "$out" | grep -q 'SOCKET .* unix datagram closed @ckpt-test-[0-9]* passcred$' &&
	echo "$out" | grep -q 'SOCKET .* TCP closed (not bound) keepalive|rcvbuf rcvbuf 12345 cork congestion "[a-z0-9]*"$' &&
	echo "$out" | grep -q 'SOCKET .* unix stream socketpair (not bound) pair [1-9][0-9]* rcvtimeo_us [1-9][0-9]*$' &&
	echo "$out" | grep -q 'SOCKET .* unix stream socketpair (not bound) pair [1-9][0-9]* 6 bytes waiting$' &&
	[ "$(echo "$out" | grep -c 'SOCKET .* unix datagram socketpair (not bound) pair [1-9][0-9]*$')" = 2 ] ||
		{ echo "FAIL: the sockets in ckpt show: $out"; kill -9 "$pid"; return 1; }
	out=$(ckpt show --json "$dir/img" | python3 -c 'import json, sys
fs = json.load(sys.stdin)["files"]
print(sorted(f["socket"]["kind"] + " " + f["socket"]["state"] for f in fs if f["kind"] == "SOCKET"))') ||
		{ echo "FAIL: ckpt show --json of sockets is not JSON"; kill -9 "$pid"; return 1; }
	[ "$out" = "['TCP closed', 'TCP listen', 'TCPv6 listen', 'UDP closed', 'UDP connected', 'unix datagram closed', 'unix datagram socketpair', 'unix datagram socketpair', 'unix stream listen', 'unix stream socketpair', 'unix stream socketpair']" ] ||
		{ echo "FAIL: sockets in ckpt show --json: $out"; kill -9 "$pid"; return 1; }
	# The original still listens: the port is taken, and the restore says so.
	out=$(ckpt restore --new-pid -i "$dir/img" 2>&1) && { echo "FAIL: restored over a live listener"; kill -9 "$pid"; return 1; }
	echo "$out" | grep -q 'restore: fd [0-9]*: TCP socket 127\.0\.0\.1:[0-9]*: bind: Address already in use' ||
		{ echo "FAIL: restore over a live listener said: $out"; kill -9 "$pid"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
run_test sockets-show sockets_show

# ckpt show of socketpair ends with messages waiting: their number and
# bytes, in text and JSON; SO_PASSCRED and SO_RCVBUF on ends.
sockpair_msgs_show() {
	local dir out pid
	dir=$(mktemp -d)
	pid=$(zdtm_start "$dir" sockpair_msgs)
	ckpt dump -t "$pid" -o "$dir/img" || { echo "FAIL: dump of sockpair_msgs"; kill -9 "$pid"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	out=$(ckpt show "$dir/img") || { echo "FAIL: show: $out"; return 1; }
	echo "$out" | grep SOCKET
	echo "$out" | grep -q 'SOCKET .* unix datagram socketpair (not bound) pair [1-9][0-9]* 5 messages (60308 bytes) waiting passcred$' &&
	echo "$out" | grep -q 'SOCKET .* unix datagram socketpair (not bound) pair [1-9][0-9]* 3 messages (4098 bytes) waiting$' &&
	echo "$out" | grep -q 'SOCKET .* unix seqpacket socketpair (not bound) pair [1-9][0-9]* 5 messages (60308 bytes) waiting$' &&
	echo "$out" | grep -q 'SOCKET .* unix seqpacket socketpair (not bound) pair [1-9][0-9]* 3 messages (4098 bytes) waiting passcred$' &&
	echo "$out" | grep -q 'SOCKET .* unix stream socketpair (not bound) pair [1-9][0-9]* 3000 bytes waiting rcvbuf rcvbuf 30000$' &&
	echo "$out" | grep -q 'SOCKET .* unix stream socketpair (not bound) pair [1-9][0-9]* 3001 bytes waiting$' ||
		{ echo "FAIL: the socketpairs in ckpt show"; return 1; }
	out=$(ckpt show --json "$dir/img" | python3 -c 'import json, sys
fs = json.load(sys.stdin)["files"]
print(sorted((f["socket"]["kind"], f["socket"].get("messages_waiting"), f["socket"]["bytes_waiting"]) for f in fs if f["kind"] == "SOCKET"))') ||
		{ echo "FAIL: ckpt show --json is not JSON"; return 1; }
	[ "$out" = "[('unix datagram', 3, 4098), ('unix datagram', 5, 60308), ('unix seqpacket', 3, 4098), ('unix seqpacket', 5, 60308), ('unix stream', None, 3000), ('unix stream', None, 3001)]" ] ||
		{ echo "FAIL: socketpairs in ckpt show --json: $out"; return 1; }
	rm -rf "$dir"
}
run_test sockpair_msgs-show sockpair_msgs_show

# ckpt show of moved TCP connections: each end's queues (the client's
# receive queue full, the server's send queue with bytes not sent yet;
# loopback acknowledges what was sent at once), options and the
# negotiated TCP options, in text and JSON; the restored process then
# passes.
tcp_conn_show() {
	local dir out pid rpid
	dir=$(mktemp -d)
	pid=$(zdtm_start "$dir" tcp_conn)
	ckpt dump -t "$pid" -o "$dir/img" --kill || { echo "FAIL: dump --kill of tcp_conn"; kill -9 "$pid"; return 1; }
	wait "$pid" 2>/dev/null
	out=$(ckpt show "$dir/img") || { echo "FAIL: show: $out"; return 1; }
	echo "$out" | grep ' established '
	[ "$(echo "$out" | grep -c 'SOCKET .* TCP established 127\.0\.0\.1:[0-9]* peer 127\.0\.0\.1:[0-9]* sendq ')" = 2 ] &&
	[ "$(echo "$out" | grep -c 'SOCKET .* TCPv6 established \[::1\]:[0-9]* peer \[::1\]:[0-9]* sendq ')" = 2 ] &&
	[ "$(echo "$out" | grep -c 'sendq [1-9][0-9]* ([1-9][0-9]* unsent) recvq 6 mss [0-9]* wscale [0-9]*/[0-9]* sack timestamps .*sndbuf 98304 keepidle 300 keepintvl 100 keepcnt 3 user_timeout_ms 30000 congestion "[a-z0-9]*"$')" = 2 ] &&
	[ "$(echo "$out" | grep -c 'sendq 0 (0 unsent) recvq [1-9][0-9]* mss .*nodelay|rcvbuf rcvbuf 98304 congestion "[a-z0-9]*"$')" = 2 ] ||
		{ echo "FAIL: the connections in ckpt show: $out"; return 1; }
	out=$(ckpt show --json "$dir/img" | python3 -c 'import json, sys
fs = json.load(sys.stdin)["files"]
t = [f["socket"]["tcp"] for f in fs if f["kind"] == "SOCKET" and f["socket"]["state"] == "established"]
print(len(t), sum(1 for x in t if x["unsent"] > 0 and x["sendq"] >= x["unsent"]), sum(1 for x in t if x["recvq"] > 6), sorted(set(o for x in t for o in x["options"])))') ||
		{ echo "FAIL: ckpt show --json of tcp_conn is not JSON"; return 1; }
	[ "$out" = "4 2 2 ['sack', 'timestamps', 'wscale']" ] || { echo "FAIL: connections in ckpt show --json: $out"; return 1; }
	ckpt restore -i "$dir/img" &
	rpid=$!
	zdtm_passes tcp_conn "$pid" "$rpid" "$dir" "restored process" || return 1
	rm -rf "$dir"
}
run_test tcp_conn-show tcp_conn_show

stats_line() {
	local dir pid out
	dir=$(mktemp -d)
	pid=$(zdtm_start "$dir" mem_anon)
	out=$(ckpt dump -t "$pid" -o "$dir/img" --stats --kill 2>&1 >/dev/null) || return 1
	echo "$out"
	echo "$out" | grep -Eq '^frozen_us=[0-9]+ pages=[0-9]+ bytes=[0-9]+ hbuf_chunks=[0-9]+' ||
		{ echo "FAIL: --stats line: $out"; return 1; }
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
run_test dump-stats stats_line

through_pipe() {
	local dir pid rpid
	dir=$(mktemp -d)
	pid=$(zdtm_start "$dir" mem_anon --wait=read)
	( ckpt dump -t "$pid" --kill | ckpt restore --pid-file "$dir/rpid" ) &
	rpid=$!
	# The original must not be poked: only the restored process.
	while [ ! -s "$dir/rpid" ] && kill -0 "$rpid" 2>/dev/null; do sleep 0.1; done
	poke_until_done "$pid" "$rpid" &
	wait "$rpid" || { echo "FAIL: dump | restore: $(tail -n2 "$dir/out")"; return 1; }
	tail -n1 "$dir/out" | grep -q '^PASS' || return 1
	rm -rf "$dir"
}
run_test dump-pipe-restore through_pipe

twice() {
	local dir pid rpid n
	dir=$(mktemp -d)
	pid=$(zdtm_start "$dir" sig)
	ckpt dump -t "$pid" -o "$dir/img" --kill || return 1
	wait "$pid" 2>/dev/null
	for n in 1 2; do
		ckpt restore -i "$dir/img" &
		rpid=$!
		poke_until_done "$pid" "$rpid" &
		wait "$rpid" || { echo "FAIL: restore #$n: $(tail -n1 "$dir/out")"; return 1; }
	done
	rm -rf "$dir"
}
run_test restore-twice twice

detach_pidfile() {
	local dir pid got
	dir=$(mktemp -d)
	pid=$(zdtm_start "$dir" mem_anon)
	ckpt dump -t "$pid" -o "$dir/img" --kill || return 1
	wait "$pid" 2>/dev/null
	got=$(ckpt restore -i "$dir/img" --detach --pid-file "$dir/pid") || return 1
	[ "$got" = "$pid" ] && [ "$(cat "$dir/pid")" = "$pid" ] ||
		{ echo "FAIL: --detach printed '$got', pid file '$(cat "$dir/pid")', want $pid"; return 1; }
	kill -USR1 "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	tail -n1 "$dir/out" | grep -q '^PASS'
}
run_test restore-detach-pidfile detach_pidfile

new_pid() {
	local dir pid blocker out
	dir=$(mktemp -d)
	pid=$(zdtm_start "$dir" mem_anon)
	ckpt dump -t "$pid" -o "$dir/img" || return 1
	# The original still runs: its pid is taken.
	out=$(ckpt restore -i "$dir/img" 2>&1) && { echo "FAIL: restore took a used pid"; return 1; }
	echo "$out" | grep -q "pid $pid is in use" || { echo "FAIL: message: $out"; return 1; }
	ckpt restore -i "$dir/img" --new-pid --detach > "$dir/newpid" || return 1
	blocker=$(cat "$dir/newpid")
	[ "$blocker" != "$pid" ] || return 1
	kill -USR1 "$blocker" "$pid"
	while kill -0 "$blocker" 2>/dev/null || kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}
run_test restore-new-pid new_pid

# stdout is a pipe to a process outside (the dump refers to it as "the
# outside world"); the restored process writes to restore's own stdout.
inherit_restore() {
	local dir pid rpid i
	dir=$(mktemp -d)
	(cd "$dir" && exec setsid mem_anon --wait=read | cat > "$dir/out") &
	for i in $(seq 300); do grep -q '^ready' "$dir/out" 2>/dev/null && break; sleep 0.1; done
	pid=$(pgrep -n -x mem_anon)
	ckpt dump -t "$pid" -o "$dir/img" --kill || return 1
	ckpt show "$dir/img" | grep -Eq '^ +[0-9]+ +INHERIT' || { echo "FAIL: no INHERIT file in the image"; return 1; }
	ckpt restore -i "$dir/img" --pid-file "$dir/rpid" > "$dir/out2" &
	rpid=$!
	while [ ! -s "$dir/rpid" ] && kill -0 "$rpid" 2>/dev/null; do sleep 0.1; done
	poke_until_done "$pid" "$rpid" &
	wait "$rpid" || { echo "FAIL: restore: $(cat "$dir/out2")"; return 1; }
	grep -q '^PASS' "$dir/out2" || { echo "FAIL: nothing on restore's stdout: '$(cat "$dir/out2")'"; return 1; }
	rm -rf "$dir"
}
run_test stdout-pipe-inherited inherit_restore

# An image for the other kernel's run to refuse (t-40: vDSO/kernel): a
# process whose files all exist under both kernels (the host root).
save_cross_image() {
	local pid
	(cd / && exec setsid sleep 1000 </dev/null >/dev/null 2>&1) &
	pid=$!
	sleep 0.5
	ckpt dump -t "$pid" -o "${CKPT_VM_OUT:-/tmp}/cross-$KVER.img" --kill || return 1
	wait "$pid" 2>/dev/null
	return 0
}
run_test save-image-for-other-kernel save_cross_image
