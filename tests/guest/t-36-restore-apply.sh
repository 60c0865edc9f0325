#!/bin/bash
# Restore applies what the image holds, as rollback does, and nothing the
# restore itself did gets in the way: madvise() advice per mapping, and
# signals that arrive while the process is being restored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zdtm.sh"

load || { report FAIL restore-apply/insmod; exit 1; }

for how in kill live; do
	run_test "mem_advice-sleep-$how" zdtm_run mem_advice "$how" mem_advice --wait=sleep
done

# sig_during_restore NAME SIG DELAY EXPECT PROG...: PROG is dumped with
# --kill, and restored with --pid-file; SIG is sent once, DELAY seconds
# after the pid file exists (the restore is not finished yet: the image
# is still being read, or its memory loaded), and never again.  EXPECT:
# "pass" (the process must wake and PASS) or "die" (SIG's default action
# must end it).
sig_during_restore() {
	local name=$1 sig=$2 delay=$3 expect=$4 dir rpid rc i
	shift 4
	dir=$(mktemp -d /tmp/sigrst.XXXXXX)
	spawn "$dir" "$@" || return 1
	ckpt dump -t "$SPID" -o "$dir/img" --kill || { echo "FAIL: $name: dump"; return 1; }
	wait "$SPID" 2>/dev/null
	ckpt restore -i "$dir/img" --pid-file "$dir/pid" &
	rpid=$!
	for i in $(seq 2000); do
		[ -s "$dir/pid" ] && break
		sleep 0.005
	done
	[ -s "$dir/pid" ] || { echo "FAIL: $name: no pid file"; kill -9 "$rpid"; return 1; }
	sleep "$delay"
	kill "-$sig" "$(cat "$dir/pid")"
	# The process waits for this one signal: without it, it never ends.
	for i in $(seq 200); do
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$rpid" 2>/dev/null; then
		echo "FAIL: $name: SIG$sig sent during the restore was lost: the process still waits after 20 s"
		kill -9 "$(cat "$dir/pid")" 2>/dev/null
		wait "$rpid"
		return 1
	fi
	wait "$rpid"
	rc=$?
	case $expect in
	pass)
		[ $rc -eq 0 ] && tail -n1 "$dir/out" | grep -q '^PASS' ||
			{ echo "FAIL: $name: restored process: status $rc: $(tail -n 3 "$dir/out" | tr '\n' ' ')"; return 1; } ;;
	die)
		[ $rc -eq $((128 + $(kill -l "$sig"))) ] ||
			{ echo "FAIL: $name: restored process: status $rc, not killed by SIG$sig: $(tail -n 3 "$dir/out" | tr '\n' ' ')"; return 1; } ;;
	esac
	rm -rf "$dir"
}

# A read() without SA_RESTART is left out: the image holds its restart
# already decided (the capture rewinds it to the syscall instruction, as
# CRIU does), so a signal handled before the read runs again does not make
# it return EINTR.  That needs the image to keep the restart code.
for w in sigsuspend sleep nanosleep; do
	run_test "signal-during-restore-$w" sig_during_restore "usr1-$w" USR1 0 pass mem_anon --wait=$w
done
for d in 0.1 0.5; do
	run_test "signal-during-restore-sigsuspend-after-${d}s" \
		sig_during_restore "usr1-$d" USR1 "$d" pass mem_anon --wait=sigsuspend
done
# sig has signals pending in its image: they must stay, with the new one.
run_test signal-during-restore-with-pending sig_during_restore usr1-sig USR1 0 pass sig --wait=sleep
run_test sigterm-during-restore sig_during_restore term TERM 0 die mem_anon --wait=sigsuspend
