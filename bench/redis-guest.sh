#!/bin/bash
# The redis benchmark, inside the VM (bench/run.sh redis boots it): an
# unmodified redis-server holding BENCH_REDIS_KEYS keys (DEBUG POPULATE,
# about 256 MiB) moved by ckpt dump --kill --tcp-established and restore,
# and by CRIU 3.17.1 dump --tcp-established and restore, images on the
# same tmpfs, while a client (bench/redis_pinger.py) keeps pinging it on
# one connection.  Prints one line per measurement: "KEY REP VALUE".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PATH=$TOP/build/bin:$PATH
OUT=${CKPT_VM_OUT:-/tmp}/bench-redis.txt
KEYS=${BENCH_REDIS_KEYS:-850000}
PORT=6400
: > "$OUT"
insmod "$TOP/build/mod/$(uname -r)/ckpt.ko"
ip link set lo up 2>/dev/null
now() { date +%s%N; }
rec() { echo "$1 $2 $3" | tee -a "$OUT"; }
cli() { redis-cli -p $PORT "$@"; }

# start: redis-server's pid, once it holds the keys.
start() {
	setsid redis-server --port $PORT --save '' --appendonly no --daemonize no \
		--enable-debug-command yes >/tmp/redis.log 2>&1 </dev/null &
	local pid=$! i
	for i in $(seq 300); do [ "$(cli PING 2>/dev/null)" = PONG ] && break; sleep 0.1; done
	cli DEBUG POPULATE "$KEYS" key 200 >/dev/null
	echo $pid
}

# pinger: starts the client, once it is connected and pinging.
pinger() {
	rm -f /tmp/stop /tmp/pinger.out
	python3 "$TOP/bench/redis_pinger.py" $PORT /tmp/stop >/tmp/pinger.out 2>&1 &
	PINGER=$!
	while ! grep -q ready /tmp/pinger.out 2>/dev/null; do sleep 0.1; done
	sleep 1
}

# settle REP WHO PID: the restored server has its keys; the client's
# pause; the server stopped.
settle() {
	local n
	n=$(cli DBSIZE)
	[ "$n" = "$KEYS" ] || rec "$2_restored_keys_wrong" "$1" "$n"
	sleep 1
	touch /tmp/stop
	wait "$PINGER"
	if grep -q pause_ms /tmp/pinger.out; then
		rec "$2_pause_ms" "$1" "$(sed -n 's/.*pause_ms \([0-9]*\).*/\1/p' /tmp/pinger.out)"
	else
		rec "$2_client_failed" "$1" "$(tr ' ' _ </tmp/pinger.out)"
	fi
	cli SHUTDOWN NOSAVE >/dev/null 2>&1
	for n in $(seq 100); do [ -e "/proc/$3" ] || break; sleep 0.1; done
}

for rep in $(seq "${BENCH_REPS:-3}"); do
	pid=$(start)
	[ "$rep" = 1 ] && rec redis_used_mib 0 $(( $(cli INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p') >> 20 ))
	pinger
	t0=$(now)
	stats=$(ckpt dump -t "$pid" -o /tmp/ckpt.img --kill --tcp-established --stats 2>&1 >/dev/null)
	t1=$(now)
	rec ckpt_dump_ms "$rep" $(( (t1 - t0) / 1000000 ))
	rec ckpt_frozen_us "$rep" "$(echo "$stats" | sed -n 's/.*frozen_us=\([0-9]*\).*/\1/p')"
	rec ckpt_image_mib "$rep" $(( $(stat -c %s /tmp/ckpt.img) >> 20 ))
	t0=$(now)
	ckpt restore -i /tmp/ckpt.img --detach >/dev/null
	t1=$(now)
	rec ckpt_restore_ms "$rep" $(( (t1 - t0) / 1000000 ))
	rm -f /tmp/ckpt.img
	settle "$rep" ckpt "$pid"

	pid=$(start)
	pinger
	d=/tmp/criu
	rm -rf "$d" && mkdir -p "$d"
	t0=$(now)
	if criu dump -t "$pid" -D "$d" --tcp-established -o dump.log -v1 2>/dev/null; then
		t1=$(now)
		rec criu_dump_ms "$rep" $(( (t1 - t0) / 1000000 ))
		rec criu_frozen_us "$rep" "$(crit show "$d/stats-dump" 2>/dev/null |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["dump"]["frozen_time"])')"
		rec criu_image_mib "$rep" $(( $(du -sb "$d" | cut -f1) >> 20 ))
		t0=$(now)
		if criu restore -D "$d" -d --tcp-established -o restore.log -v1 2>/dev/null; then
			t1=$(now)
			rec criu_restore_ms "$rep" $(( (t1 - t0) / 1000000 ))
			settle "$rep" criu "$pid"
		else
			rec criu_restore_failed "$rep" "$(grep -m1 -i error "$d/restore.log" | tr ' ' _)"
			touch /tmp/stop; kill "$PINGER"
		fi
	else
		rec criu_dump_failed "$rep" "$(grep -m1 -i error "$d/dump.log" | tr ' ' _)"
		touch /tmp/stop; kill -9 "$PINGER" "$pid"
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$d"
done
rmmod ckpt
