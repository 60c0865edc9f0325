#!/bin/bash
# DKMS install/remove of ckpt.ko.
#   dkms.sh install KVER...   register ckpt/VERSION, build and install
#   dkms.sh remove            unregister every version's build
# The registered source is a clean copy of what the module needs (the same
# as 'dkms add .' in a fresh clone, without build outputs or .git).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
VERSION=$(cat "$TOP/VERSION")
SRC=/usr/src/ckpt-$VERSION

# Also mends a half-registered tree (source gone, tree still there), which
# dkms itself can neither list nor remove.
remove() {
	local k
	dkms remove "ckpt/$VERSION" --all >/dev/null 2>&1 || true
	rm -rf "/var/lib/dkms/ckpt/$VERSION" "$SRC"
	find /var/lib/dkms/ckpt -maxdepth 1 -xtype l -delete 2>/dev/null || true
	rmdir /var/lib/dkms/ckpt 2>/dev/null || true
	for k in /lib/modules/*/updates/dkms/ckpt.ko*; do
		[ -e "$k" ] || continue
		rm -f "$k"
		k=${k#/lib/modules/}
		depmod "${k%%/*}"
	done
}

case "${1:-}" in
install)
	shift
	[ $# -gt 0 ] || { echo "dkms.sh install: no kernel given" >&2; exit 2; }
	remove
	mkdir -p "$SRC"
	cp -r "$TOP/dkms.conf" "$TOP/Kbuild" "$TOP/VERSION" "$TOP/module" "$TOP/format" "$TOP/uapi" "$SRC/"
	dkms add "ckpt/$VERSION"
	for k in "$@"; do
		dkms build "ckpt/$VERSION" -k "$k"
		dkms install "ckpt/$VERSION" -k "$k" --force
	done
	;;
remove)
	remove
	;;
*)
	echo "usage: dkms.sh install KVER... | remove" >&2
	exit 2
	;;
esac
