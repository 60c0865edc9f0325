#!/bin/bash
# PID 1 of the test VM after switch_root (see initramfs-init.sh); runs from the
# host tree through the read-only 9p root + tmpfs overlay.  Sets up a minimal
# system, runs the command that run.sh left in the control share, records its
# exit status there and powers off.
#
# No `set -e`: whatever fails, we must still power off.  Exiting instead would
# kill PID 1, i.e. panic the kernel, which run.sh would report as a crash.
set -uo pipefail

ctl=/run/vmctl

halt_vm() {
	sync
	# Immediate power-off (no init system to stop); sysrq as a fallback.
	/bin/busybox poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 60
}

fail() {
	echo "vm: guest-init: $*"
	[ -d "$ctl" ] && echo "$*" >"$ctl/error"
	halt_vm
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# devtmpfs lacks these; bash process substitution needs /dev/fd.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

# The tree (and cwd) may live under /tmp or /run (a CI clone, say), which get
# fresh tmpfs mounts below: keep a plain view of the root to re-bind them from.
top=$(cd "$(dirname "$0")/../.." && pwd -P)
hostview=/mnt/.vm-root
mkdir -p "$hostview" && mount --bind / "$hostview"
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p "$ctl" /mnt/out
p9=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$p9" vmctl "$ctl" || fail "cannot mount control share"
mount -t 9p -o "$p9" vmout /mnt/out || fail "cannot mount out share"
/bin/busybox ip link set lo up

# Written by run.sh: sets VMH_CWD and the command as positional parameters,
# single-quoted, so any argument survives.
# shellcheck source=/dev/null
. "$ctl/args" || fail "cannot read $ctl/args"
rebind() {
	case $1 in
	/tmp | /tmp/* | /run | /run/*)
		{ mkdir -p "$1" && mount --bind "$hostview$1" "$1"; } || fail "cannot re-bind $1"
		;;
	esac
}
rebind "$top"
case $VMH_CWD in
"$top" | "$top"/*) ;; # inside the tree: already there
*) rebind "$VMH_CWD" ;;
esac
umount -l "$hostview" && rmdir "$hostview"
cd -- "$VMH_CWD" || fail "cannot cd to $VMH_CWD in the guest"

(
	# A clean, predictable environment instead of whatever the kernel and
	# initramfs left behind.
	while read -r v; do unset "$v"; done < <(compgen -e)
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export HOME=/root TERM=dumb LANG=C.UTF-8
	export CKPT_VM=1 CKPT_VM_OUT=/mnt/out
	KVER=$(uname -r)
	export KVER
	exec "$@"
) </dev/null
echo "$?" >"$ctl/status"
halt_vm
