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

# zdtm_run NAME kill|live|every PROG [ARGS...]
#   kill: dump --kill, restore, signal, the restored process must PASS.
#   live: dump, the original goes on and must PASS, then restore, PASS.
#   every: dump --every 300 until three images exist; the original goes
#          on and must PASS; then the middle image (incremental on the
#          first) is restored and must PASS.
zdtm_run() {
	local name=$1 how=$2 dir pid rpid rc i img
	shift 2
	dir=$(mktemp -d /tmp/zdtm.XXXXXX)
	img=$dir/img
	(cd "$dir" && exec setsid "$@" >"$dir/out" 2>&1) &
	pid=$!
	for i in $(seq 200); do
		grep -q '^ready' "$dir/out" 2>/dev/null && break
		sleep 0.1
	done
	grep -q '^ready' "$dir/out" || { echo "FAIL: $name: never ready: $(cat "$dir/out")"; return 1; }
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
	poke_until_done "$pid" "$rpid" &
	wait "$rpid"
	rc=$?
	if [ $rc -ne 0 ] || ! tail -n1 "$dir/out" | grep -q '^PASS'; then
		echo "FAIL: $name: restored process: status $rc: $(tail -n 3 "$dir/out" | tr '\n' ' ')"
		return 1
	fi
	rm -rf "$dir"
}
