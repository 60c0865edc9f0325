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

remove() {
	if dkms status ckpt 2>/dev/null | grep -q .; then
		dkms remove "ckpt/$VERSION" --all >/dev/null 2>&1 || true
	fi
	rm -rf "$SRC"
}

case "${1:-}" in
install)
	shift
	[ $# -gt 0 ] || { echo "dkms.sh install: no kernel given" >&2; exit 2; }
	remove
	mkdir -p "$SRC"
	cp -r "$TOP/dkms.conf" "$TOP/Kbuild" "$TOP/VERSION" "$TOP/module" "$TOP/uapi" "$SRC/"
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
