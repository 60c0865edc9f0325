# shellcheck shell=bash
# Dump/restore runs of the tests/progs programs (the zdtm protocol).

# Signals @pid with SIGUSR1 until @waitpid (its parent, or itself) ends:
# a signal that lands just before a restarted syscall is legal and lost.
poke_until_done() {	# poke_until_done PID WAITPID
	while kill -0 "$2" 2>/dev/null; do
		kill -USR1 "$1" 2>/dev/null
		sleep 0.3
	done
}

# zdtm_passes NAME PID WAITPID DIR WHAT: PID is signalled until WAITPID
# ends, which must exit 0 with PASS as the last line of DIR/out; DIR goes.
zdtm_passes() {
	local rc
	poke_until_done "$2" "$3" &
	wait "$3"
	rc=$?
	if [ $rc -ne 0 ] || ! tail -n1 "$4/out" | grep -q '^PASS'; then
		echo "FAIL: $1: $5: status $rc: $(tail -n 3 "$4/out" | tr '\n' ' ')"
		return 1
	fi
	rm -rf "$4"
}

# snap_rollbacks PID: the rollbacks of PID's one snapshot, or nothing.
snap_rollbacks() {
	ckpt list -t "$1" --json 2>/dev/null | sed -n 's/.*"rollbacks": \([0-9]*\).*/\1/p'
}

# zdtm_run NAME kill|live|every|snap|self PROG [ARGS...]
#   kill: dump --kill, restore, signal, the restored process must PASS.
#   live: dump, the original goes on and must PASS, then restore, PASS.
#   every: dump --every 300 until three images exist; the original goes
#          on and must PASS; then the middle image (incremental on the
#          first) is restored and must PASS.
#   snap: ckpt snapshot, 0.5 s on, ckpt rollback, signal: it must PASS.
#   self: the same, the process snapshotting and rolling back itself from
#         zdtm.h's agent thread (ZDTM_SELF).
zdtm_run() {
	local name=$1 how=$2 dir pid rpid rc i img id
	shift 2
	dir=$(mktemp -d /tmp/zdtm.XXXXXX)
	img=$dir/img
	if [ "$how" = self ]; then
		mkfifo "$dir/fifo"
		(cd "$dir" && ZDTM_SELF=$dir/fifo exec setsid "$@" >"$dir/out" 2>&1) &
	else
		(cd "$dir" && exec setsid "$@" >"$dir/out" 2>&1) &
	fi
	pid=$!
	for i in $(seq 200); do
		grep -q '^ready' "$dir/out" 2>/dev/null && break
		sleep 0.1
	done
	grep -q '^ready' "$dir/out" || { echo "FAIL: $name: never ready: $(cat "$dir/out")"; return 1; }
	if [ "$how" = snap ] || [ "$how" = self ]; then
		if [ "$how" = snap ]; then
			id=$(ckpt snapshot -t "$pid") || { echo "FAIL: $name: snapshot"; kill -9 "$pid"; return 1; }
		else
			printf s >"$dir/fifo"
			for i in $(seq 300); do
				[ -n "$(snap_rollbacks "$pid")" ] && break
				sleep 0.1
			done
			[ "$(snap_rollbacks "$pid")" = 0 ] || { echo "FAIL: $name: no self snapshot: $(cat "$dir/out")"; kill -9 "$pid"; return 1; }
		fi
		sleep 0.5
		if [ "$how" = snap ]; then
			ckpt rollback -t "$pid" -s "$id" || { echo "FAIL: $name: rollback"; kill -9 "$pid"; return 1; }
		else
			printf r >"$dir/fifo"
			for i in $(seq 300); do
				[ "$(snap_rollbacks "$pid")" = 1 ] && break
				sleep 0.1
			done
			[ "$(snap_rollbacks "$pid")" = 1 ] || { echo "FAIL: $name: no self rollback: $(cat "$dir/out")"; kill -9 "$pid"; return 1; }
		fi
		zdtm_passes "$name" "$pid" "$pid" "$dir" "after the rollback"
		return
	fi
	if [ "$how" = every ]; then
		ckpt dump -t "$pid" --every 300 --dir "$dir/series" 2>"$dir/every.log" &
		local cp=$! n=0
		for i in $(seq 600); do
			n=$(find "$dir/series" -maxdepth 1 -name '[0-9]*.img' 2>/dev/null | wc -l)
			[ "$n" -ge 3 ] && break
			kill -0 "$cp" 2>/dev/null || break
			sleep 0.1
		done
		kill -INT "$cp"
		wait "$cp"
		rc=$?
		[ "$n" -ge 3 ] && [ $rc -eq 0 ] || { echo "FAIL: $name: dump --every: $n images, status $rc: $(cat "$dir/every.log")"; kill -9 "$pid"; return 1; }
		poke_until_done "$pid" "$pid" &
		wait "$pid"
		rc=$?
		[ $rc -eq 0 ] || { echo "FAIL: $name: the original process after dump --every: status $rc: $(cat "$dir/out")"; return 1; }
		img=$dir/series/$(find "$dir/series" -maxdepth 1 -name '[0-9]*.img' -printf '%f\n' | sort | sed -n 2p)
	elif [ "$how" = kill ]; then
		ckpt dump -t "$pid" -o "$dir/img" --kill || { echo "FAIL: $name: dump"; kill -9 "$pid"; return 1; }
		wait "$pid" 2>/dev/null
	else
		ckpt dump -t "$pid" -o "$dir/img" || { echo "FAIL: $name: dump"; kill -9 "$pid"; return 1; }
		poke_until_done "$pid" "$pid" &
		wait "$pid"
		rc=$?
		[ $rc -eq 0 ] || { echo "FAIL: $name: the original process after the dump: status $rc: $(cat "$dir/out")"; return 1; }
	fi
	ckpt restore -i "$img" &
	rpid=$!
	zdtm_passes "$name" "$pid" "$rpid" "$dir" "restored process"
}
