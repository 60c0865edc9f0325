#!/bin/bash
# make demo: builds everything and shows the tool in a VM running Debian's
# 6.12 kernel (or KVER=...): the tool loads the module through libkmod,
# checks versions, prints what the kernel supports, and the counters.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
KVER=${KVER:-$("$TOP/tests/vm/kernels.sh" | tail -n 1)}
make -C "$TOP" -s modules userspace KVER="$KVER"
exec "$TOP/tests/vm/run.sh" --kernel "$KVER" -- "$TOP/scripts/demo-guest.sh"
