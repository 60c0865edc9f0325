#!/bin/sh
# /init of the initramfs built by mkinitramfs.sh (runs under busybox sh).
# Loads virtio/9p/overlay modules, mounts the host root (9p, read-only) under
# a tmpfs overlay so the guest may write anywhere, then switch_roots into it
# and runs tests/vm/guest-init.sh from the host tree.  switch_root, not
# chroot: the kernel's module autoloader runs /sbin/modprobe in the real root.
/bin/busybox --install -s /bin
export PATH=/bin

die() {
	echo "vm-init: $*"
	# Power off rather than exit: PID 1 exiting panics the kernel.
	poweroff -f
}

mount -t proc proc /proc
for m in /modules/*.ko; do
	[ -e "$m" ] || continue
	insmod "$m" || die "insmod $m failed"
done

p9=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$p9,ro" hostroot /lower || die "cannot mount host root"
mount -t tmpfs -o mode=755 tmpfs /rw || die "cannot mount tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	die "cannot mount overlay"

# The control share tells us where guest-init.sh lives (the host tree may be
# anywhere, and its path may hold any character, so it is not on the cmdline).
mount -t 9p -o "$p9" vmctl /ctl || die "cannot mount control share"
gi=$(cat /ctl/guest-init) || die "no /ctl/guest-init"
umount /ctl
umount /proc
exec switch_root /newroot /bin/bash "$gi"
