#!/bin/bash
# Build the tiny initramfs that tests/vm/run.sh boots: busybox-static plus the
# modules (and their dependencies) needed to mount the host root over virtio-9p
# and put an overlayfs on top of it.  Usage: mkinitramfs.sh KVER OUT
#
# Only host tools from busybox-static and kmod are used (busybox provides cpio
# and xz), so a fresh Debian 12 with the harness packages can run it.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 KVER OUT" >&2
	exit 2
fi
kver=$1
out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
bb=/bin/busybox # busybox-static: the initramfs has no libc

[ -d "/lib/modules/$kver" ] || { echo "mkinitramfs: no /lib/modules/$kver" >&2; exit 1; }
[ -x "$bb" ] || { echo "mkinitramfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
# Debian's plain `busybox` package also installs /bin/busybox, dynamically
# linked: useless in an initramfs without libc.
if ldd "$bb" >/dev/null 2>&1; then
	echo "mkinitramfs: $bb is not static (apt-get install busybox-static)" >&2
	exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,lower,rw,newroot,ctl,modules}
cp "$bb" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"

# Top-level modules only; modprobe resolves dependencies for this kernel and
# prints "builtin NAME" for what is built in (virtio_pci on 6.12, for one).
deps=$(for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe -S "$kver" --show-depends "$m" || exit 1
done)
n=0
while read -r verb path _; do
	[ "$verb" = insmod ] || continue
	name=$(basename "$path")
	[ -e "$stage/modules/loaded-$name" ] && continue # shared dependency
	touch "$stage/modules/loaded-$name"
	n=$((n + 1))
	dst=$(printf '%s/modules/%02d-%s' "$stage" "$n" "${name%%.ko*}.ko")
	# busybox insmod only takes plain .ko files: decompress here.
	case $path in
	*.ko) cp "$path" "$dst" ;;
	*.ko.xz) "$bb" xz -dc "$path" >"$dst" ;;
	*.ko.gz) "$bb" gzip -dc "$path" >"$dst" ;;
	*.ko.zst) zstd -qdc "$path" >"$dst" ;;
	*) echo "mkinitramfs: unknown module format: $path" >&2; exit 1 ;;
	esac
done <<<"$deps"
rm -f "$stage"/modules/loaded-*

cp "$here/initramfs-init.sh" "$stage/init"
chmod 755 "$stage/init"

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
# Write to a temp name and rename so concurrent runs never see half a file.
# Left uncompressed: it is a few MB, and unpacking is faster under TCG.
(cd "$stage" && find . | LC_ALL=C sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) >"$tmp"
mv -f "$tmp" "$out"
