#!/bin/bash
# make bench: benchmarks in one VM run on Debian's 6.12 kernel (KVER=...).
# Under TCG only ratios mean anything; they are printed and kept in docs/.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
KVER=${KVER:-$("$TOP/tests/vm/kernels.sh" | tail -n 1)}
for p in criu python3-matplotlib; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p"
done
make -C "$TOP" -s modules userspace KVER="$KVER"
mkdir -p "$TOP/build/bench"
cc -O2 -o "$TOP/build/bench/workload" "$TOP/bench/workload.c"
out=$(mktemp -d)
"$TOP/tests/vm/run.sh" --kernel "$KVER" --mem 6144 --timeout 3000 --out "$out" \
	-- "$TOP/bench/dump-guest.sh"
/usr/bin/python3 "$TOP/bench/report.py" "$out/bench-dump.txt" "$TOP/docs" "$KVER"
