#!/bin/bash
# In-memory snapshots and rollback: the self API of libckpt (snap_self),
# the CLI on another process (snap_target: registers and xstate too),
# list and drop, bad ids, lifetime (a process's death frees its snapshots;
# rmmod is refused while one lives), permissions, and 10^4 cycles.
#
# Every wait here has a time limit, and every program is killed on a
# failure: a broken rollback must fail its test, not hang the suite.
. "$(dirname "$0")/lib.sh"

load mode=0666 || { report FAIL snapshot/insmod; exit 1; }



# finish DIR PID: PID must end within 30 s, with status 0 and PASS as its
# last line (snap_target after SIGUSR2, snap_self --hold after SIGUSR1).
finish() {
	local rc i late=
	# Bash reaps an ended child at once; one it has not reaped yet is a
	# zombie, which kill -0 still finds.
	for i in $(seq 300); do
		kill -0 "$2" 2>/dev/null || break
		[ "$(awk '{ print $3 }' "/proc/$2/stat" 2>/dev/null)" = Z ] && break
		sleep 0.1
	done
	if kill -0 "$2" 2>/dev/null &&
	   [ "$(awk '{ print $3 }' "/proc/$2/stat" 2>/dev/null)" != Z ]; then
		kill -9 "$2"
		late=" (killed: still running 30 s after the signal)"
	fi
	wait "$2"
	rc=$?
	sed 's/^/    /' "$1/out"
	if [ $rc -ne 0 ] || ! tail -n 1 "$1/out" | grep -q '^PASS'; then
		echo "FAIL: the target ended with status $rc$late"
		return 1
	fi
	rm -rf "$1"
}

# bail PID WHY: kills the target and fails the test.
bail() {
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	echo "FAIL: $2"
	return 1
}

counter() {	# counter NAME: one live counter of the module
	awk -v n="$1" '$1 == n { print $2 }' "$COUNTERS"
}

# The counters come back to zero once a process died (5 s at most: the
# last reference to its mm may go a moment after the wait).
wait_clean() {
	local i left
	for i in $(seq 50); do
		left=$(counters_clean) && return 0
		sleep 0.1
	done
	echo "FAIL: counters not back to zero: $(echo $left)"
	return 1
}

# snap PID: prints the id of a new snapshot of PID (checked: a number).
snap() {
	local id
	id=$(ckpt snapshot -t "$1") || return 1
	[[ $id =~ ^[0-9]+$ ]] && [ "$id" -gt 0 ] || { echo "FAIL: ckpt snapshot printed '$id'" >&2; return 1; }
	echo "$id"
}

# ids PID: the ids that 'ckpt list -t PID' shows, one per line; fails on a
# malformed line or a snapshot holding no page or no metadata.
ids() {
	local out
	out=$(ckpt list -t "$1") || return 1
	printf '%s\n' "$out" | awk '
		/^#/ || /^$/ { next }
		NF != 3 || $1 !~ /^[0-9]+$/ || $2 !~ /^[0-9]+$/ || $3 !~ /^[0-9]+$/ { print "bad line: " $0 > "/dev/stderr"; bad = 1; next }
		$2 == 0 || $3 == 0 { print "snapshot " $1 " holds " $2 " pages, " $3 " metadata bytes" > "/dev/stderr"; bad = 1 }
		{ print $1 }
		END { exit bad }'
}

# rollback_rounds DIR PID ID N: N times: SIGUSR1 (the target changes
# everything), "mutated K", ckpt rollback to ID.
rollback_rounds() {
	local i
	for i in $(seq "$4"); do
		kill -USR1 "$2"
		wait_line "$1" "^mutated $i\$" || { bail "$2" "round $i"; return 1; }
		ckpt rollback -t "$2" -s "$3" -v || { bail "$2" "ckpt rollback -t $2 -s $3 (round $i)"; return 1; }
	done
}

# External rollback through the CLI: snap_target's protocol (see the top
# of tests/progs/snap_target.c), ROUNDS change+rollback rounds.
cli_rollback() {	# cli_rollback spin|sleep ROUNDS
	local dir pid id
	dir=$(mktemp -d)
	spawn "$dir" snap_target --wait="$1" "$dir" || return 1
	pid=$SPID
	id=$(snap "$pid") || { bail "$pid" "ckpt snapshot -t $pid"; return 1; }
	echo "snapshot $id"
	rollback_rounds "$dir" "$pid" "$id" "$2" || return 1
	kill -USR2 "$pid"
	finish "$dir" "$pid"
}
run_test snap-cli-rollback-spin-1 cli_rollback spin 1
run_test snap-cli-rollback-spin-3 cli_rollback spin 3
run_test snap-cli-rollback-sleep-2 cli_rollback sleep 2

# Without the rollback the target must notice (the test is not vacuous).
no_rollback() {
	local dir pid id
	dir=$(mktemp -d)
	spawn "$dir" snap_target "$dir" || return 1
	pid=$SPID
	id=$(snap "$pid") || { bail "$pid" "ckpt snapshot -t $pid"; return 1; }
	kill -USR1 "$pid"
	wait_line "$dir" '^mutated 1$' || { bail "$pid" "no change"; return 1; }
	kill -USR2 "$pid"
	if finish "$dir" "$pid" >/dev/null; then
		echo "FAIL: the target passed without a rollback"
		return 1
	fi
	grep -q '^FAIL: .*no rollback happened\|^FAIL: not rolled back' "$dir/out" ||
		{ echo "FAIL: unexpected output: $(cat "$dir/out")"; return 1; }
	echo "without a rollback: $(grep '^FAIL' "$dir/out")"
	rm -rf "$dir"
}
run_test snap-cli-without-rollback-fails no_rollback

# ckpt list shows every snapshot with its pages; drop removes exactly one;
# a dropped id and an unknown one are refused (exit 1, in words); the
# target is intact after all that and rolls back to the other.
list_drop() {
	local dir pid id1 id2 l out rc args a
	dir=$(mktemp -d)
	spawn "$dir" snap_target "$dir" || return 1
	pid=$SPID
	l=$(ids "$pid") || { bail "$pid" "ckpt list with no snapshot: $l"; return 1; }
	[ -z "$l" ] || { bail "$pid" "ckpt list shows snapshots before any: $l"; return 1; }
	id1=$(snap "$pid") && id2=$(snap "$pid") || { bail "$pid" "ckpt snapshot"; return 1; }
	[ "$id1" != "$id2" ] || { bail "$pid" "two snapshots, one id $id1"; return 1; }
	l=$(ids "$pid") || { bail "$pid" "ckpt list"; return 1; }
	echo "ids: $(echo $l)"
	[ "$(echo $l | tr ' ' '\n' | sort -n | tr '\n' ' ')" = "$(printf '%s\n' "$id1" "$id2" | sort -n | tr '\n' ' ')" ] ||
		{ bail "$pid" "ckpt list shows '$(echo $l)', want $id1 and $id2"; return 1; }
	[ "$(counter snapshots)" = 2 ] && [ "$(counter snap_mms)" = 1 ] ||
		{ bail "$pid" "counters: snapshots $(counter snapshots), snap_mms $(counter snap_mms), want 2 and 1"; return 1; }
	[ "$(counter opens)" = 0 ] || { bail "$pid" "the tool left /dev/ckpt open"; return 1; }
	ckpt drop -t "$pid" -s "$id1" || { bail "$pid" "ckpt drop -s $id1"; return 1; }
	l=$(ids "$pid") || { bail "$pid" "ckpt list"; return 1; }
	[ "$(echo $l)" = "$id2" ] || { bail "$pid" "after dropping $id1, ckpt list shows '$(echo $l)'"; return 1; }
	[ "$(counter snapshots)" = 1 ] || { bail "$pid" "counter snapshots $(counter snapshots) after a drop"; return 1; }
	for args in "drop -s $id1" "rollback -s $id1" "rollback -s 999999" "drop -s 999999"; do
		read -ra a <<<"$args"
		out=$(ckpt "${a[0]}" -t "$pid" "${a[@]:1}" 2>&1)
		rc=$?
		[ $rc -eq 1 ] || { bail "$pid" "ckpt $args: exit $rc ($out)"; return 1; }
		echo "$out" | grep -q '^ckpt: ..*' || { bail "$pid" "ckpt $args: no message"; return 1; }
		echo "ckpt $args: $out"
	done
	kill -0 "$pid" || { echo "FAIL: the target died"; return 1; }
	rollback_rounds "$dir" "$pid" "$id2" 1 || return 1
	kill -USR2 "$pid"
	finish "$dir" "$pid"
}
run_test snap-list-drop-bad-ids list_drop

# Once its last snapshot is dropped a process can be snapshotted again (the
# kernel keeps an mm's notifier bookkeeping after the first snapshot), and
# dumped; the new snapshot rolls back as the first did.
snap_again() {
	local dir pid id
	dir=$(mktemp -d)
	spawn "$dir" snap_target "$dir" || return 1
	pid=$SPID
	id=$(snap "$pid") || { bail "$pid" "first ckpt snapshot"; return 1; }
	ckpt drop -t "$pid" -s "$id" || { bail "$pid" "ckpt drop -s $id"; return 1; }
	[ "$(counter snapshots)" = 0 ] || { bail "$pid" "counter snapshots $(counter snapshots) after the drop"; return 1; }
	id=$(snap "$pid") || { bail "$pid" "ckpt snapshot after the drop"; return 1; }
	echo "snapshot again: $id"
	rollback_rounds "$dir" "$pid" "$id" 1 || return 1
	kill -USR2 "$pid"
	finish "$dir" "$pid" || return 1
	# A dump sees only our idle notifier on the mm, and goes on.
	sleep 600 &
	pid=$!
	id=$(snap "$pid") && ckpt drop -t "$pid" -s "$id" || { bail "$pid" "snapshot and drop of sleep"; return 1; }
	ckpt dump -t "$pid" -o /tmp/snap-again.img || { bail "$pid" "ckpt dump after a dropped snapshot"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rm -f /tmp/snap-again.img
}
run_test snap-again-after-drop snap_again

# A process that has never had a snapshot: rollback fails the same way.
never_snapshotted() {
	local dir pid out rc
	dir=$(mktemp -d)
	spawn "$dir" snap_target "$dir" || return 1
	pid=$SPID
	out=$(ckpt rollback -t "$pid" -s 1 2>&1)
	rc=$?
	[ $rc -eq 1 ] && [ -n "$out" ] || { bail "$pid" "rollback without a snapshot: exit $rc ($out)"; return 1; }
	echo "$out"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
run_test snap-rollback-without-snapshot never_snapshotted

# A process's death frees its snapshots: external ones (the CLI), and the
# library's own (snap_self --hold), which the CLI also lists and drops.
kill_frees() {
	local dir pid l i ids_self
	dir=$(mktemp -d)
	spawn "$dir" snap_target "$dir" || return 1
	pid=$SPID
	for i in 1 2 3; do
		snap "$pid" >/dev/null || { bail "$pid" "ckpt snapshot #$i"; return 1; }
	done
	[ "$(counter snapshots)" = 3 ] && [ "$(counter snap_mms)" = 1 ] && [ "$(counter page_refs)" -gt 0 ] ||
		{ bail "$pid" "counters with 3 snapshots: $(tr '\n' ' ' <"$COUNTERS")"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	wait_clean || return 1

	spawn "$dir" snap_self --hold 3 "$dir" || return 1
	pid=$SPID
	wait_line "$dir" '^ids ' || { bail "$pid" "no ids"; return 1; }
	ids_self=$(sed -n 's/^ids //p' "$dir/out")
	l=$(ids "$pid") || { bail "$pid" "ckpt list of a self-snapshotting process"; return 1; }
	[ "$(echo $l)" = "$ids_self" ] || { bail "$pid" "ckpt list shows '$(echo $l)', the process took '$ids_self'"; return 1; }
	ckpt drop -t "$pid" -s "${ids_self%% *}" || { bail "$pid" "ckpt drop of a self snapshot"; return 1; }
	[ "$(counter snapshots)" = 2 ] || { bail "$pid" "counter snapshots $(counter snapshots), want 2"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	wait_clean || return 1
	rm -rf "$dir"
}
run_test snap-kill-frees-all kill_frees

# rmmod is refused while a snapshot lives, even with /dev/ckpt closed; the
# snapshot still works after the refusal; rmmod works once the process
# died.  The module is loaded again for the tests after this one.
rmmod_refused() {
	local dir pid id
	dir=$(mktemp -d)
	spawn "$dir" snap_target "$dir" || return 1
	pid=$SPID
	id=$(snap "$pid") || { bail "$pid" "ckpt snapshot"; return 1; }
	[ "$(counter opens)" = 0 ] || { bail "$pid" "/dev/ckpt is still open"; return 1; }
	if rmmod ckpt 2>/dev/null; then
		kill -9 "$pid"
		load mode=0666
		echo "FAIL: rmmod succeeded while snapshot $id of process $pid lived"
		return 1
	fi
	mod_loaded || { bail "$pid" "the module is gone"; return 1; }
	rollback_rounds "$dir" "$pid" "$id" 1 || return 1
	kill -USR2 "$pid"
	finish "$dir" "$pid" || return 1
	wait_clean || return 1
	rmmod ckpt || { echo "FAIL: rmmod refused after the process died"; load mode=0666; return 1; }
	load mode=0666 || { echo "FAIL: insmod again"; return 1; }
}
run_test snap-rmmod-refused-while-alive rmmod_refused

# An unprivileged user (the device is 0666 here) can neither snapshot
# nor roll back nor drop a root process, but can do all of it to its own.
unprivileged() {
	local dir udir pid upid id uid out rc args l a
	local -a nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	dir=$(mktemp -d)
	chmod 755 "$dir"
	spawn "$dir" snap_target "$dir" || return 1
	pid=$SPID
	id=$(snap "$pid") || { bail "$pid" "ckpt snapshot as root"; return 1; }
	for args in "snapshot" "rollback -s $id" "drop -s $id"; do
		read -ra a <<<"$args"
		out=$(cd "$dir" && "${nobody[@]}" ckpt "${a[0]}" -t "$pid" "${a[@]:1}" 2>&1)
		rc=$?
		[ $rc -eq 1 ] || { bail "$pid" "nobody: ckpt $args on a root process: exit $rc ($out)"; return 1; }
		echo "$out" | grep -Eiq 'Operation not permitted|Permission denied|not allowed|permission|another user|privilege' ||
			{ bail "$pid" "nobody: ckpt $args: message '$out'"; return 1; }
		echo "nobody: ckpt $args: $out"
	done
	l=$(ids "$pid")
	[ "$(echo $l)" = "$id" ] || { bail "$pid" "root's snapshot $id is gone (list: $(echo $l))"; return 1; }
	[ "$(counter snapshots)" = 1 ] || { bail "$pid" "counter snapshots $(counter snapshots)"; return 1; }

	# Its own process: allowed.
	udir=$(mktemp -d)
	chmod 777 "$udir"
	spawn "$udir" "${nobody[@]}" snap_target "$udir" || { bail "$pid" "nobody's target"; return 1; }
	upid=$SPID
	uid=$(cd "$udir" && "${nobody[@]}" ckpt snapshot -t "$upid") ||
		{ kill -9 "$upid"; bail "$pid" "nobody cannot snapshot its own process"; return 1; }
	kill -USR1 "$upid"
	wait_line "$udir" '^mutated 1$' || { kill -9 "$upid"; bail "$pid" "nobody's target: no change"; return 1; }
	(cd "$udir" && "${nobody[@]}" ckpt rollback -t "$upid" -s "$uid") ||
		{ kill -9 "$upid"; bail "$pid" "nobody cannot roll back its own process"; return 1; }
	kill -USR2 "$upid"
	finish "$udir" "$upid" || { bail "$pid" "nobody's target"; return 1; }

	rollback_rounds "$dir" "$pid" "$id" 1 || return 1
	kill -USR2 "$pid"
	finish "$dir" "$pid"
}
run_test snap-unprivileged unprivileged

# Self rollback through libckpt (tests/progs/snap_self.c).  Under TCG the
# program's own share of a round (changes, checks, one fork in 17 rounds)
# measured ~25 ms with a fork()-based stand-in for the kernel side, so
# 1000 rounds fit; the hard limit turns a hang into a failure.
D=$(mktemp -d)
run_test snap-self-rollback-1000 timeout -s KILL 600 snap_self --iters 1000 "$D"
run_test snap-self-rollback-small-300 timeout -s KILL 300 snap_self --iters 300 --small --seed 2 "$D"
run_test snap-self-exit-rollback timeout -s KILL 60 snap_self --exit "$D"
# 10^4 snapshot + rollback + drop cycles (10 snapshots left for the exit):
# the counters must be back at zero after it.
run_test snap-self-cycles-10000 timeout -s KILL 600 snap_self --cycles 10000 --small "$D"
rm -rf "$D"
