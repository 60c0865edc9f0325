#!/bin/bash
# The demo, inside the VM.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
PATH=$TOP/build/bin:$PATH
show() { printf '\n$ %s\n' "$*"; "$@"; }

show ckpt --version
show ckpt --module "build/mod/$(uname -r)/ckpt.ko" check
show cat /sys/kernel/debug/ckpt/counters
show ls -l /dev/ckpt
show rmmod ckpt
