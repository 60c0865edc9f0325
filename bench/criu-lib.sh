#!/bin/bash
# CRIU 3.17.1 beside ckpt in the benchmarks that run inside the VM (sourced
# by dump-guest.sh and threads-guest.sh), its images on the same tmpfs.
# The caller defines rec KEY X VALUE and now (ns).

# criu_frozen_us DIR: CRIU's own frozen time for the dump in DIR.
criu_frozen_us() {
	crit show "$1/stats-dump" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["dump"]["frozen_time"])'
}

# wait_gone PID: until PID (killed, not our child) has exited, 30 s at
# most: a large process takes a while to free its memory, and a restore
# that wants its pid back fails while it is still there.
wait_gone() {
	local i
	for i in $(seq 300); do [ -e "/proc/$1" ] || return 0; sleep 0.1; done
}

# criu_error LOG: CRIU's first error line, as one word for the record.
criu_error() {
	grep -m1 -i error "$1" | tr ' ' _
}

# criu_dump_restore X PID: CRIU dumps PID, left running, which is then
# killed and restored from the images, and killed again.  Records
# criu_dump_ms, criu_frozen_us and criu_restore_ms for X, or
# criu_dump_failed / criu_restore_failed with CRIU's error.
criu_dump_restore() {
	local x=$1 pid=$2 d=/tmp/criu t0 t1
	rm -rf "$d" && mkdir -p "$d"
	t0=$(now)
	if criu dump -t "$pid" -D "$d" --leave-running -o dump.log -v1 2>/dev/null; then
		t1=$(now)
		rec criu_dump_ms "$x" $(( (t1 - t0) / 1000000 ))
		rec criu_frozen_us "$x" "$(criu_frozen_us "$d")"
		kill -9 "$pid"; wait_gone "$pid"
		t0=$(now)
		if criu restore -D "$d" -d -o restore.log -v1 2>/dev/null; then
			t1=$(now)
			rec criu_restore_ms "$x" $(( (t1 - t0) / 1000000 ))
			kill -9 "$pid" 2>/dev/null
		else
			rec criu_restore_failed "$x" "$(criu_error "$d/restore.log")"
		fi
	else
		rec criu_dump_failed "$x" "$(criu_error "$d/dump.log")"
		kill -9 "$pid"
	fi
	# The restored process has the same pid, and is not our child.
	wait_gone "$pid"
	rm -rf "$d"
}
