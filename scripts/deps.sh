#!/bin/bash
# Installs what building and testing ckpt needs on Debian 12, if missing.
# Debian's 6.1 (linux-image-amd64) and 6.12 (linux-image-6.12-amd64)
# kernels and headers are the two supported targets; the test VM boots
# them under QEMU.
set -euo pipefail

PKGS=(
	build-essential pkg-config libkmod-dev kmod
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-source-6.1
	qemu-system-x86 busybox-static
	dkms sparse
	debhelper dh-dkms dpkg-dev lintian adduser
	clang libclang-rt-14-dev
	afl++
	mandoc groff-base
	python3 xz-utils openjdk-17-jdk-headless
	redis-server redis-tools memcached nginx-light
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
