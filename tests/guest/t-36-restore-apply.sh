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

# The page fill with helper threads (fill_threads=3; by default only for
# 32 MiB of pages or more): private, read-only, THP and shared anonymous
# memory, and many threads, each program checking its memory restored.
FILL=/sys/module/ckpt/parameters/fill_threads
echo 3 >"$FILL"
run_test fill-threads-mem_anon zdtm_run mem_anon kill mem_anon --wait=sleep
run_test fill-threads-mem_file zdtm_run mem_file kill mem_file
run_test fill-threads-mthreads zdtm_run mthreads kill mthreads 16
echo 0 >"$FILL"

# thp_kept: mem_anon's MADV_HUGEPAGE range is backed by huge pages again
# after a restore, as before the dump (AnonHugePages in smaps_rollup).
anon_huge_kb() {
	awk '$1 == "AnonHugePages:" { print $2 }' "/proc/$1/smaps_rollup"
}
thp_kept() {
	local dir before after rpid rc
	dir=$(mktemp -d /tmp/thp.XXXXXX)
	spawn "$dir" mem_anon --wait=sleep || return 1
	before=$(anon_huge_kb "$SPID")
	[ "${before:-0}" -gt 0 ] ||
		{ echo "FAIL: the original has no huge pages (AnonHugePages ${before:-none}): THP is off in this VM"; kill -9 "$SPID"; return 1; }
	ckpt dump -t "$SPID" -o "$dir/img" --kill || { echo "FAIL: dump"; return 1; }
	wait "$SPID" 2>/dev/null
	rpid=$(ckpt restore -i "$dir/img" --detach) || { echo "FAIL: restore"; return 1; }
	after=$(anon_huge_kb "$rpid")
	kill -USR1 "$rpid"
	for rc in $(seq 100); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
	tail -n1 "$dir/out" | grep -q '^PASS' ||
		{ echo "FAIL: the restored process: $(tail -n 3 "$dir/out" | tr '\n' ' ')"; kill -9 "$rpid"; return 1; }
	[ "${after:-0}" -ge "$before" ] ||
		{ echo "FAIL: AnonHugePages ${before} kB before the dump, ${after:-none} kB after the restore"; return 1; }
	echo "AnonHugePages ${before} kB before the dump, ${after} kB after the restore"
	rm -rf "$dir"
}
run_test restore-keeps-thp thp_kept

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
