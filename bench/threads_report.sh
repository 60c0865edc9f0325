#!/bin/bash
# bench/threads_report.sh RAW OUT.md: the median of each measurement per
# thread count, ckpt beside CRIU, with the ratios (any awk: mawk has no
# sorted traversal, so the rows are sorted by sort).
set -eu
raw=$1 md=$2
{
	echo "# Threads: frozen and restore time against the thread count"
	echo
	echo "One VM run under TCG (ratios only mean something side by side): a"
	echo "256 MiB process (bench/threads_workload.c) whose threads wake every"
	echo "100 ms (every 10 ms, 512 threads would saturate TCG's two vCPUs);"
	echo "ckpt dump (live) and CRIU 3.17.1 dump --leave-running, then"
	echo "restore (--detach / -d) from the same tmpfs; median of 3. Raw figures:"
	echo "docs/bench-threads.raw.txt. Made by \`bench/run.sh threads\`."
	echo
	echo "| threads | ckpt frozen (us) | CRIU frozen (us) | CRIU/ckpt | ckpt restore (ms) | CRIU restore (ms) | CRIU/ckpt |"
	echo "|---|---|---|---|---|---|---|"
	awk '
		{ v[$1 " " $2] = v[$1 " " $2] " " $3; ns[$2] = 1 }
		function med(s,   a, n, i, j, t) {
			n = split(s, a, " ")
			if (!n) return ""
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
			return a[int((n + 1) / 2)]
		}
		function ratio(a, b) { return (a != "" && b != "" && a > 0) ? sprintf("%.1f", b / a) : "-" }
		END {
			for (n in ns) {
				cf = med(v["ckpt_frozen_us " n]); rf = med(v["criu_frozen_us " n])
				cr = med(v["ckpt_restore_ms " n]); rr = med(v["criu_restore_ms " n])
				printf "| %s | %s | %s | %s | %s | %s | %s |\n", n, cf, rf == "" ? "failed" : rf,
				       ratio(cf, rf), cr, rr == "" ? "failed" : rr, ratio(cr, rr)
			}
		}' "$raw" | sort -t'|' -k2,2n
	echo
	echo "Restore: ckpt reads the whole image twice, once to validate every"
	echo "record and its CRC before the point of no return, and once to load"
	echo "it, and TCG emulates the crc32 instruction slowly (docs/bench-dump.md"
	echo "times the CRC alone); CRIU checks no checksum. What the threads add"
	echo "is the difference between the rows."
	if grep -q _failed "$raw"; then
		echo
		echo "CRIU failures:"
		echo
		grep _failed "$raw" | sed 's/^/    /'
	fi
} > "$md"
