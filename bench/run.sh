#!/bin/bash
# make bench: benchmarks, each in one VM run, on Debian's 6.12 kernel (KVER=...).
# Under TCG only ratios mean anything; they are printed and kept in docs/.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
KVER=${KVER:-$("$TOP/tests/vm/kernels.sh" | tail -n 1)}
for p in criu iptables redis-server redis-tools python3-matplotlib; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p"
done
# Which benchmarks: dump (against CRIU), snap (snapshots, rollback, the
# fuzz loop, AFL++), periodic (periodic incremental checkpoints against
# fork() and CRIU's pre-dump), threads (frozen and restore time against
# the thread count, against CRIU), redis (a server moved with a client
# connected, against CRIU), or all.  Each is one VM run.
WHAT=${1:-all}
case $WHAT in dump|snap|periodic|threads|redis|all) ;; *) echo "usage: bench/run.sh [dump|snap|periodic|threads|redis|all]" >&2; exit 2 ;; esac
make -C "$TOP" -s modules userspace KVER="$KVER"
mkdir -p "$TOP/build/bench"
if [ "$WHAT" = dump ] || [ "$WHAT" = all ]; then
	cc -O2 -o "$TOP/build/bench/workload" "$TOP/bench/workload.c"
	cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$TOP/format" \
		-o "$TOP/build/bench/crc_cost" "$TOP/bench/crc_cost.c" "$TOP/format/crc32c.c"
	out=$(mktemp -d)
	"$TOP/tests/vm/run.sh" --kernel "$KVER" --mem 6144 --timeout 3000 --out "$out" \
		--log "$out/console.log" -- "$TOP/bench/dump-guest.sh"
	/usr/bin/python3 "$TOP/bench/report.py" "$out/bench-dump.txt" "$TOP/docs" "$KVER"
fi
if [ "$WHAT" = snap ] || [ "$WHAT" = all ]; then
	cc -std=gnu11 -O2 -Wall -Wextra -Werror -I"$TOP/userspace/lib" -I"$TOP/uapi" \
		-o "$TOP/build/bench/snap" "$TOP/bench/snap.c" "$TOP/build/lib/libckpt.a"
	AFL_QUIET=1 afl-clang-fast -O1 -o "$TOP/build/bench/snap_afl_target" "$TOP/bench/snap_afl_target.c"
	out=$(mktemp -d)
	"$TOP/tests/vm/run.sh" --kernel "$KVER" --mem 6144 --timeout 3000 --out "$out" \
		--log "$out/console.log" -- "$TOP/bench/snap-guest.sh"
	cp "$out/bench-snap.txt" "$TOP/docs/bench-snap.raw.txt"
	/usr/bin/python3 "$TOP/bench/snap_report.py" "$TOP/docs/bench-snap.raw.txt" "$TOP/docs"
	echo "bench: docs/bench-snap.md, docs/bench-snap-rollback.png"
fi
if [ "$WHAT" = periodic ] || [ "$WHAT" = all ]; then
	cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$TOP/build/bench/periodic_workload" \
		"$TOP/bench/periodic_workload.c"
	out=$(mktemp -d)
	"$TOP/tests/vm/run.sh" --kernel "$KVER" --mem 6144 --timeout 3000 --out "$out" \
		--log "$out/console.log" -- "$TOP/bench/periodic-guest.sh"
	cp "$out/bench-periodic.txt" "$TOP/docs/bench-periodic.raw.txt"
	/usr/bin/python3 "$TOP/bench/periodic_report.py" "$TOP/docs/bench-periodic.raw.txt" "$TOP/docs"
	echo "bench: docs/bench-periodic.md, docs/bench-periodic-frozen.png"
fi
if [ "$WHAT" = threads ] || [ "$WHAT" = all ]; then
	cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$TOP/build/bench/threads_workload" \
		"$TOP/bench/threads_workload.c"
	out=$(mktemp -d)
	"$TOP/tests/vm/run.sh" --kernel "$KVER" --mem 6144 --timeout 3000 --out "$out" \
		--log "$out/console.log" -- "$TOP/bench/threads-guest.sh"
	cp "$out/bench-threads.txt" "$TOP/docs/bench-threads.raw.txt"
	"$TOP/bench/threads_report.sh" "$TOP/docs/bench-threads.raw.txt" "$TOP/docs/bench-threads.md"
	echo "bench: docs/bench-threads.md"
fi
if [ "$WHAT" = redis ] || [ "$WHAT" = all ]; then
	out=$(mktemp -d)
	"$TOP/tests/vm/run.sh" --kernel "$KVER" --mem 6144 --timeout 3000 --out "$out" \
		--log "$out/console.log" -- "$TOP/bench/redis-guest.sh"
	cp "$out/bench-redis.txt" "$TOP/docs/bench-redis.raw.txt"
	"$TOP/bench/redis_report.sh" "$TOP/docs/bench-redis.raw.txt" "$TOP/docs/bench-redis.md"
	echo "bench: docs/bench-redis.md"
fi
