#!/bin/bash
# The demo, inside the VM: check, then a process dumped, killed, and
# restored from its image, counting on where it stopped.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd /tmp
PATH=$TOP/build/bin:$TOP/build/tests:$PATH
show() { printf '\n$ %s\n' "$*"; "$@"; }

show ckpt --version
show ckpt --module "$TOP/build/mod/$(uname -r)/ckpt.ko" check
setsid counter > /tmp/counter.out 2>&1 < /dev/null &
pid=$!
sleep 1.5
printf '\n$ counter > counter.out &    # pid %s\n' "$pid"
show tail -n 2 /tmp/counter.out
show ckpt dump -t "$pid" -o /tmp/counter.img --kill --stats
show ls -l /tmp/counter.img
show tail -n 1 /tmp/counter.out
show ckpt restore -i /tmp/counter.img --detach
sleep 1.5
show tail -n 3 /tmp/counter.out
show cat /sys/kernel/debug/ckpt/counters
kill -9 "$pid"
