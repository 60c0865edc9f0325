#!/bin/bash
# The threads benchmark, inside the VM (bench/run.sh threads boots it):
# frozen time and restore time of a 256 MiB process against its thread
# count, ckpt and CRIU 3.17.1 side by side, images on the same tmpfs.
# Prints one line per measurement: "KEY THREADS VALUE".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PATH=$TOP/build/bin:$TOP/build/bench:$PATH
OUT=${CKPT_VM_OUT:-/tmp}/bench-threads.txt
MIB=${BENCH_MIB:-256}
: > "$OUT"
insmod "$TOP/build/mod/$(uname -r)/ckpt.ko"
ip link set lo up 2>/dev/null
now() { date +%s%N; }
rec() { echo "$1 $2 $3" | tee -a "$OUT"; }
. "$TOP/bench/criu-lib.sh"

start() {	# start N: the workload's pid, once it is ready
	local f=/tmp/wl.out
	setsid threads_workload "$MIB" "$1" > $f 2>&1 < /dev/null &
	local pid=$!
	while ! grep -q ready $f 2>/dev/null; do sleep 0.1; done
	echo $pid
}

for n in ${BENCH_THREADS:-1 8 64 512}; do
	for rep in 1 2 3; do
		pid=$(start "$n")
		stats=$(ckpt dump -t "$pid" -o /tmp/ckpt.img --stats 2>&1 >/dev/null)
		rec ckpt_frozen_us "$n" "$(echo "$stats" | sed -n 's/.*frozen_us=\([0-9]*\).*/\1/p')"
		kill -9 "$pid"; wait_gone "$pid"
		t0=$(now)
		rpid=$(ckpt restore -i /tmp/ckpt.img --detach)
		t1=$(now)
		[ "$(ls /proc/"$rpid"/task | wc -l)" -eq "$n" ] || rec ckpt_restore_threads_wrong "$n" "$(ls /proc/"$rpid"/task | wc -l)"
		rec ckpt_restore_ms "$n" $(( (t1 - t0) / 1000000 ))
		kill -9 "$rpid"
		while [ -e "/proc/$rpid" ]; do sleep 0.1; done
		rm -f /tmp/ckpt.img

		criu_dump_restore "$n" "$(start "$n")"
	done
done
rmmod ckpt
