#!/bin/bash
# The dump/restore benchmark, inside the VM (bench/run.sh boots it).
# Prints one line per measurement: "KEY SIZE_MIB VALUE".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PATH=$TOP/build/bin:$TOP/build/bench:$PATH
OUT=${CKPT_VM_OUT:-/tmp}/bench-dump.txt
: > "$OUT"
insmod "$TOP/build/mod/$(uname -r)/ckpt.ko"
ip link set lo up 2>/dev/null
now() { date +%s%N; }
rec() { echo "$1 $2 $3" | tee -a "$OUT"; }
. "$TOP/bench/criu-lib.sh"

start() {	# start MIB: the workload's pid, once it is ready
	local f=/tmp/wl.out
	setsid workload "$1" > $f 2>&1 < /dev/null &
	local pid=$!
	while ! grep -q ready $f 2>/dev/null; do sleep 0.1; done
	echo $pid
}

for mib in ${BENCH_SIZES:-64 256 1024}; do
	# ckpt: dump (the process keeps running), then restore from tmpfs.
	pid=$(start "$mib")
	t0=$(now)
	stats=$(ckpt dump -t "$pid" -o /tmp/ckpt.img --stats 2>&1 >/dev/null)
	t1=$(now)
	rec ckpt_dump_ms "$mib" $(( (t1 - t0) / 1000000 ))
	rec ckpt_frozen_us "$mib" "$(echo "$stats" | sed -n 's/.*frozen_us=\([0-9]*\).*/\1/p')"
	rec ckpt_capture_us "$mib" "$(echo "$stats" | sed -n 's/.*capture_us=\([0-9]*\).*/\1/p')"
	rec ckpt_image_mib "$mib" $(( $(stat -c %s /tmp/ckpt.img) >> 20 ))
	kill -9 "$pid"; wait_gone "$pid"
	# Restore: the default page fill (helpers for 32 MiB or more), then
	# the caller alone (fill_threads=1); the bytes the kernel read; and
	# dd reading the same image.
	for thr in 0 1; do
		echo "$thr" > /sys/module/ckpt/parameters/fill_threads
		r0=$(awk '$1 == "restore_bytes_read" { print $2 }' /sys/kernel/debug/ckpt/io)
		t0=$(now)
		rpid=$(ckpt restore -i /tmp/ckpt.img --detach 2>/tmp/restore.err)
		t1=$(now)
		r1=$(awk '$1 == "restore_bytes_read" { print $2 }' /sys/kernel/debug/ckpt/io)
		[ -n "$rpid" ] || rec ckpt_restore_failed "$mib" "fill_threads=$thr:_$(head -c 300 /tmp/restore.err | tr ' \n' __)"
		kill -9 "$rpid"; wait_gone "$rpid"
		if [ "$thr" = 0 ]; then
			rec ckpt_restore_ms "$mib" $(( (t1 - t0) / 1000000 ))
			rec ckpt_restore_read_bytes "$mib" $(( r1 - r0 ))
			rec ckpt_image_bytes "$mib" "$(stat -c %s /tmp/ckpt.img)"
		else
			rec ckpt_restore_1thr_ms "$mib" $(( (t1 - t0) / 1000000 ))
		fi
		sleep 1
	done
	echo 0 > /sys/module/ckpt/parameters/fill_threads
	t0=$(now)
	dd if=/tmp/ckpt.img of=/dev/null bs=1M status=none
	t1=$(now)
	rec dd_read_image_ms "$mib" $(( (t1 - t0) / 1000000 ))
	rm -f /tmp/ckpt.img

	# ckpt dump --kill: the process stays stopped through the writeout.
	pid=$(start "$mib")
	t0=$(now)
	stats=$(ckpt dump -t "$pid" -o /tmp/ckpt.img --kill --stats 2>&1 >/dev/null)
	t1=$(now)
	wait "$pid" 2>/dev/null
	rec ckpt_kill_dump_ms "$mib" $(( (t1 - t0) / 1000000 ))
	rec ckpt_kill_frozen_us "$mib" "$(echo "$stats" | sed -n 's/.*stop_to_kill_us=\([0-9]*\).*/\1/p')"
	rm -f /tmp/ckpt.img

	# CRIU 3.17.1: the same, images on the same tmpfs.
	criu_dump_restore "$mib" "$(start "$mib")"

	# CRIU without --leave-running: it kills the process after the dump.
	pid=$(start "$mib")
	mkdir -p /tmp/criu
	t0=$(now)
	if criu dump -t "$pid" -D /tmp/criu -o dump.log -v1 2>/dev/null; then
		t1=$(now)
		rec criu_kill_dump_ms "$mib" $(( (t1 - t0) / 1000000 ))
		rec criu_kill_frozen_us "$mib" "$(criu_frozen_us /tmp/criu)"
	else
		rec criu_kill_dump_failed "$mib" "$(criu_error /tmp/criu/dump.log)"
	fi
	kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	rm -rf /tmp/criu

	# The image's CRC32C and a memcpy of the same bytes, under this TCG.
	crc_cost "$mib" | while read -r k s val; do rec "$k" "$s" "$val"; done

	# dd of the same bytes to the same tmpfs.
	t0=$(now)
	dd if=/dev/zero of=/tmp/dd.out bs=1M count="$mib" status=none
	t1=$(now)
	rec dd_ms "$mib" $(( (t1 - t0) / 1000000 ))
	rm -f /tmp/dd.out
done
rmmod ckpt
