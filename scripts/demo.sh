#!/bin/bash
# make demo: builds what the demo runs (the module for Debian's 6.12
# kernel, or KVER=..., the tool and the counter it shows), then runs
# scripts/demo-guest.sh in a VM with a quiet console.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
KVER=${KVER:-$("$TOP/tests/vm/kernels.sh" | tail -n 1)}
log=$TOP/build/demo-build.log
mkdir -p "$TOP/build"
echo "demo: building ckpt for $KVER (log: ${log#"$TOP"/})"
if ! make -C "$TOP" -s modules userspace "$TOP/build/tests/counter" KVER="$KVER" >"$log" 2>&1; then
	tail -n 30 "$log"
	echo "demo: the build failed" >&2
	exit 1
fi
echo "demo: booting a VM with Linux $KVER (QEMU, software emulation)"
exec "$TOP/tests/vm/run.sh" --quiet --kernel "$KVER" -- "$TOP/scripts/demo-guest.sh"
