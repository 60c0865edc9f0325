#!/bin/bash
# Unprivileged use through the group "ckpt" (the ckpt package's udev rule,
# udev/60-ckpt.rules), applied for real: systemd-udevd from the host root
# runs in the VM with this tree's rule in /run/udev/rules.d, and sets the
# group and mode of /dev/ckpt and /dev/afl_snapshot when the module loads.
# The group and two users are made in the VM's /etc (the tmpfs overlay):
# "ckptin" joins the group the way the tool's message says (adduser USER
# ckpt), "ckptout" does not.
#
#   a member does everything to its own process: check, dump, snapshot,
#     list, rollback, drop; restore is refused in words (it needs
#     CAP_CHECKPOINT_RESTORE, which the group does not give);
#   a non-member cannot open the device, and is told so in words;
#   a member gets EPERM, in words, on another user's process: the group
#     opens the device, ptrace still decides which processes.
. "$(dirname "$0")/lib.sh"

RULE=$TOP/udev/60-ckpt.rules
UDEVD=/lib/systemd/systemd-udevd
IN=(setpriv --reuid=ckptin --regid=ckptin --init-groups)
OUT=(setpriv --reuid=ckptout --regid=ckptout --init-groups)

# The users and the group, as a package install and an admin leave them.
setup_accounts() {
	getent group ckpt >/dev/null || groupadd --system ckpt || return 1
	local u
	for u in ckptin ckptout; do
		id "$u" >/dev/null 2>&1 || useradd --no-create-home --user-group --shell /bin/sh "$u" || return 1
	done
	adduser --quiet ckptin ckpt || return 1
	id -nG ckptin | grep -qw ckpt && ! id -nG ckptout | grep -qw ckpt
}

udevd_pid=
start_udev() {
	mkdir -p /run/udev/rules.d
	cp "$RULE" /run/udev/rules.d/ || return 1
	"$UDEVD" --daemon || return 1
	udevd_pid=$(pgrep -o -x systemd-udevd) || return 1
	udevadm settle --timeout=30
}

stop_udev() {
	[ -n "$udevd_pid" ] || return 0
	udevadm control --exit
	for _ in $(seq 50); do
		kill -0 "$udevd_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$udevd_pid" 2>/dev/null
	rm -f /run/udev/rules.d/60-ckpt.rules
	udevd_pid=
}

# spawn_as DIR USER-PREFIX... PROG...: spawn (lib.sh), where the user may
# write DIR/out by name too: a restore reopens it.
spawn_as() {
	: >"$1/out" && chmod 666 "$1/out" && spawn "$@"
}

bail() {	# bail PID WHY: kills the target and fails the test
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	echo "FAIL: $2"
	return 1
}

# finish DIR PID: PID ends within 30 s with status 0 and PASS last.
finish() {
	local rc
	for _ in $(seq 300); do
		kill -0 "$2" 2>/dev/null || break
		[ "$(awk '{ print $3 }' "/proc/$2/stat" 2>/dev/null)" = Z ] && break
		sleep 0.1
	done
	kill -9 "$2" 2>/dev/null
	wait "$2"
	rc=$?
	if [ $rc -ne 0 ] || ! tail -n 1 "$1/out" | grep -q '^PASS'; then
		sed 's/^/    /' "$1/out"
		echo "FAIL: the target ended with status $rc"
		return 1
	fi
	rm -rf "$1"
}

# The counters come back to zero once a target died.
wait_clean() {
	local left
	for _ in $(seq 50); do
		left=$(counters_clean) && return 0
		sleep 0.1
	done
	echo "FAIL: counters not back to zero: $(echo $left)"
	return 1
}

# refused WHO CMD...: CMD as WHO fails with status 1; its message is in OUT.
refused() {
	local -n who=$1
	shift
	OUT_MSG=$("${who[@]}" "$@" 2>&1)
	local rc=$?
	echo "${1##*/} ${*:2} as ${who[2]#--regid=}: exit $rc: $OUT_MSG"
	[ $rc -eq 1 ]
}

workdir() {	# a directory both test users may write to
	local d
	d=$(mktemp -d)
	chmod 777 "$d"
	echo "$d"
}

setup_accounts || { report FAIL group/accounts "cannot create the group and the users"; exit 1; }
[ -x "$UDEVD" ] || { report FAIL group/udevd "no $UDEVD on the host root"; exit 1; }
start_udev || { report FAIL group/udevd "systemd-udevd does not start"; stop_udev; exit 1; }

# The rule applies at load: both nodes root:ckpt 0660 (the module itself
# makes them 0600 root).
rule_applies() {
	local dev
	load || { echo "FAIL: insmod"; return 1; }
	udevadm settle --timeout=30
	for dev in /dev/ckpt /dev/afl_snapshot; do
		[ "$(stat -c '%U:%G %a' "$dev")" = "root:ckpt 660" ] ||
			{ echo "FAIL: $dev is $(stat -c '%U:%G %a' "$dev"), not root:ckpt 660"; return 1; }
		"${IN[@]}" sh -c "exec 3<>$dev" || { echo "FAIL: a member cannot open $dev"; return 1; }
		"${OUT[@]}" sh -c "exec 3<>$dev" 2>/dev/null && { echo "FAIL: a non-member opened $dev"; return 1; }
		echo "$dev: $(stat -c '%U:%G %a' "$dev")"
	done
	# A device that was there before the package: debian/ckpt.postinst
	# has udev apply the rule to it with this very command.
	chgrp root /dev/ckpt /dev/afl_snapshot && chmod 0600 /dev/ckpt /dev/afl_snapshot
	udevadm trigger --action=change --subsystem-match=misc \
		--sysname-match=ckpt --sysname-match=afl_snapshot || { echo "FAIL: udevadm trigger"; return 1; }
	udevadm settle --timeout=30
	for dev in /dev/ckpt /dev/afl_snapshot; do
		[ "$(stat -c '%U:%G %a' "$dev")" = "root:ckpt 660" ] ||
			{ echo "FAIL: after the postinst's trigger $dev is $(stat -c '%U:%G %a' "$dev")"; return 1; }
	done
	echo "postinst trigger: both back to root:ckpt 660"
}
run_test group-udev-rule rule_applies

# A member, on its own processes: everything but restore.
member_own() {
	local dir pid id out l
	out=$("${IN[@]}" ckpt check 2>&1) || { echo "FAIL: ckpt check as a member: $out"; return 1; }

	# dump of its own process, then restore: refused, with the reason.
	dir=$(workdir)
	spawn_as "$dir" "${IN[@]}" mem_anon --wait=sleep || return 1
	pid=$SPID
	out=$(cd "$dir" && "${IN[@]}" ckpt dump -t "$pid" -o "$dir/img" 2>&1) ||
		{ bail "$pid" "a member cannot dump its own process: $out"; return 1; }
	[ -s "$dir/img" ] || { bail "$pid" "the dump wrote no image"; return 1; }
	echo "dump: $(stat -c %s "$dir/img") bytes"
	# The pid is in use (the original runs), so restore under a new one:
	# that reaches the module, which wants CAP_CHECKPOINT_RESTORE.
	refused IN ckpt restore -i "$dir/img" --new-pid ||
		{ bail "$pid" "an unprivileged restore did not fail with status 1"; return 1; }
	echo "$OUT_MSG" | grep -q 'restore needs CAP_CHECKPOINT_RESTORE' ||
		{ bail "$pid" "restore refused, but not in words: $OUT_MSG"; return 1; }
	# Its own pid: taking a pid needs privilege too, and says so.
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	refused IN ckpt restore -i "$dir/img" ||
		{ echo "FAIL: an unprivileged restore under the old pid did not fail with status 1"; return 1; }
	echo "$OUT_MSG" | grep -Eq "cannot take pid $pid: .*needs root|restore needs CAP_CHECKPOINT_RESTORE" ||
		{ echo "FAIL: restore refused, but not in words: $OUT_MSG"; return 1; }
	rm -rf "$dir"

	# snapshot, list, rollback, drop (snap_target's protocol).
	dir=$(workdir)
	spawn_as "$dir" "${IN[@]}" snap_target "$dir" || return 1
	pid=$SPID
	id=$("${IN[@]}" ckpt snapshot -t "$pid" 2>&1) || { bail "$pid" "snapshot as a member: $id"; return 1; }
	[[ $id =~ ^[0-9]+$ ]] || { bail "$pid" "ckpt snapshot printed '$id'"; return 1; }
	l=$("${IN[@]}" ckpt list -t "$pid" 2>&1) || { bail "$pid" "list as a member: $l"; return 1; }
	printf '%s\n' "$l" | awk -v id="$id" '$1 == id { f = 1 } END { exit !f }' ||
		{ bail "$pid" "ckpt list does not show snapshot $id: $l"; return 1; }
	kill -USR1 "$pid"
	wait_line "$dir" '^mutated 1$' || { bail "$pid" "the target did not change"; return 1; }
	out=$("${IN[@]}" ckpt rollback -t "$pid" -s "$id" 2>&1) || { bail "$pid" "rollback as a member: $out"; return 1; }
	out=$("${IN[@]}" ckpt drop -t "$pid" -s "$id" 2>&1) || { bail "$pid" "drop as a member: $out"; return 1; }
	l=$("${IN[@]}" ckpt list -t "$pid" 2>&1) || { bail "$pid" "list as a member: $l"; return 1; }
	printf '%s\n' "$l" | awk '!/^#/ && NF { f = 1 } END { exit f }' ||
		{ bail "$pid" "snapshot $id is still listed after the drop: $l"; return 1; }
	echo "snapshot $id: taken, listed, rolled back, dropped"
	kill -USR2 "$pid"
	finish "$dir" "$pid" || return 1
	wait_clean
}
run_test group-member-own-process member_own

# Not in the group: the device does not open, and the message says which
# device and which group.
outsider() {
	local dir pid
	refused OUT ckpt check || { echo "FAIL: ckpt check worked for a non-member"; return 1; }
	echo "$OUT_MSG" | grep -q "cannot open /dev/ckpt: Permission denied" &&
		echo "$OUT_MSG" | grep -q "group 'ckpt'" ||
		{ echo "FAIL: message: $OUT_MSG"; return 1; }
	# Its own process makes no difference.
	dir=$(workdir)
	spawn_as "$dir" "${OUT[@]}" snap_target "$dir" || return 1
	pid=$SPID
	refused OUT ckpt snapshot -t "$pid" || { bail "$pid" "a non-member took a snapshot"; return 1; }
	echo "$OUT_MSG" | grep -q "cannot open /dev/ckpt: Permission denied" ||
		{ bail "$pid" "message: $OUT_MSG"; return 1; }
	refused OUT ckpt dump -t "$pid" -o "$dir/img" || { bail "$pid" "a non-member dumped a process"; return 1; }
	echo "$OUT_MSG" | grep -q "cannot open /dev/ckpt: Permission denied" ||
		{ bail "$pid" "message: $OUT_MSG"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
run_test group-outsider-denied outsider

# A member, on another user's process (a non-member's): EPERM in words,
# for every operation; the owner's snapshot stays.
member_other() {
	local dir pid id args a l
	dir=$(workdir)
	spawn_as "$dir" "${OUT[@]}" snap_target "$dir" || return 1
	pid=$SPID
	id=$(ckpt snapshot -t "$pid") || { bail "$pid" "snapshot as root"; return 1; }
	for args in "dump -t $pid -o $dir/img" "snapshot -t $pid" "rollback -t $pid -s $id" \
		    "drop -t $pid -s $id" "list -t $pid"; do
		read -ra a <<<"$args"
		refused IN ckpt "${a[@]}" || { bail "$pid" "a member could 'ckpt $args' on another user's process"; return 1; }
		echo "$OUT_MSG" | grep -q "process $pid" &&
			echo "$OUT_MSG" | grep -Eq 'Operation not permitted|not allowed' ||
			{ bail "$pid" "ckpt $args: message: $OUT_MSG"; return 1; }
	done
	[ ! -e "$dir/img" ] || { bail "$pid" "a refused dump left an image"; return 1; }
	l=$(ckpt list -t "$pid") || { bail "$pid" "list as root"; return 1; }
	printf '%s\n' "$l" | awk -v id="$id" '$1 == id { f = 1 } END { exit !f }' ||
		{ bail "$pid" "the owner's snapshot $id is gone: $l"; return 1; }
	# The owner finishes its protocol: one change and a rollback.
	kill -USR1 "$pid"
	wait_line "$dir" '^mutated 1$' || { bail "$pid" "the target did not change"; return 1; }
	ckpt rollback -t "$pid" -s "$id" || { bail "$pid" "rollback as root"; return 1; }
	kill -USR2 "$pid"
	finish "$dir" "$pid" || return 1
	wait_clean
}
run_test group-member-other-user-eperm member_other

# A member's own process that made itself not dumpable (as a setuid program
# or PR_SET_DUMPABLE 0 does): ptrace refuses it to its owner, and so do
# list and drop, which do not go through ptrace; root's snapshot stays.
member_nondumpable() {
	local dir pid id l args a
	dir=$(workdir)
	spawn_as "$dir" "${IN[@]}" /usr/bin/python3 -c 'import ctypes, time
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
print("ready", flush=True)
time.sleep(120)' || return 1
	pid=$SPID
	id=$(ckpt snapshot -t "$pid") || { bail "$pid" "snapshot as root"; return 1; }
	for args in "list -t $pid" "drop -t $pid -s $id" "snapshot -t $pid"; do
		read -ra a <<<"$args"
		refused IN ckpt "${a[@]}" || { bail "$pid" "the owner could 'ckpt $args' on its non-dumpable process"; return 1; }
		echo "$OUT_MSG" | grep -Eq "process $pid.*(Operation not permitted|not allowed)|not allowed to access process $pid" ||
			{ bail "$pid" "ckpt $args: message: $OUT_MSG"; return 1; }
	done
	l=$(ckpt list -t "$pid") || { bail "$pid" "list as root"; return 1; }
	printf '%s\n' "$l" | awk -v id="$id" '$1 == id { f = 1 } END { exit !f }' ||
		{ bail "$pid" "root's snapshot $id is gone: $l"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
	wait_clean
}
run_test group-member-nondumpable-eperm member_nondumpable

unload
stop_udev
