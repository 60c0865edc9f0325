#!/bin/bash
# bench/redis_report.sh RAW OUT.md: the median of each redis measurement,
# ckpt beside CRIU, with the ratios.
set -eu
raw=$1 md=$2
med() {	# med KEY: the median of KEY's values, or nothing
	awk -v k="$1" '$1 == k { print $3 }' "$raw" | sort -n |
		awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}
row() {	# row WHAT KEY: ckpt's, CRIU's and CRIU/ckpt
	local c r
	c=$(med "ckpt_$2") r=$(med "criu_$2")
	printf '| %s | %s | %s | %s |\n' "$1" "${c:-failed}" "${r:-failed}" \
		"$(awk -v c="${c:-0}" -v r="${r:-0}" 'BEGIN { if (c > 0 && r > 0) printf "%.1f", r / c; else print "-" }')"
}
{
	echo "# Redis: moved with a client connected"
	echo
	echo "One VM run under TCG (ratios only mean something side by side): an"
	echo "unmodified redis-server (Debian 12's) holding $(awk '$1 == "redis_used_mib" { print $3 }' "$raw") MiB"
	echo "(\`DEBUG POPULATE\`), while a client (bench/redis_pinger.py) pings it"
	echo "on one TCP connection, is moved by \`ckpt dump --kill --tcp-established\`"
	echo "and \`ckpt restore --detach\`, and by CRIU 3.17.1 \`dump --tcp-established\`"
	echo "and \`restore -d --tcp-established\`, images on the same tmpfs; median of"
	echo "3. The pause is the longest time the client waited for an answer: the"
	echo "dump, the restore, and the client's TCP retransmission back-off while"
	echo "its packets were held off. Raw figures: docs/bench-redis.raw.txt. Made"
	echo "by \`bench/run.sh redis\`."
	echo
	echo "| | ckpt | CRIU | CRIU/ckpt |"
	echo "|---|---|---|---|"
	row "frozen (us)" frozen_us
	row "dump, wall (ms)" dump_ms
	row "image (MiB)" image_mib
	row "restore, wall (ms)" restore_ms
	row "client's pause (ms)" pause_ms
	echo
	echo "Frozen is the capture alone for both: with --kill the process then"
	echo "stays stopped through the writeout, which the dump's wall time and the"
	echo "pause include. The pause is where ckpt loses today: its restore reads"
	echo "the image twice (every record and CRC checked before the point of no"
	echo "return, then loaded) and TCG emulates crc32 slowly; the restore-speed"
	echo "work (issue 15) is what closes it. The client's back-off adds the rest"
	echo "(its retransmissions at 0.2, 0.6, 1.4, 3.0, 6.2 s, ... after the dump)."
	if grep -q '_failed\|_wrong' "$raw"; then
		echo
		echo "Failures:"
		echo
		grep '_failed\|_wrong' "$raw" | sed 's/^/    /'
	fi
} > "$md"
