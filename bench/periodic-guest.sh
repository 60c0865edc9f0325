#!/bin/bash
# The periodic incremental checkpoint benchmark (issue 5), inside the VM
# (bench/run.sh periodic boots it).  For each size x writer rate: one
# bench/periodic_workload process (it times its own fork() first), then
# `ckpt dump -t PID --every MS --stats` at each interval for a fixed time
# of steady state, then CRIU's `pre-dump --track-mem` back to back on the
# same process for about as long.
#
# Raw lines go to $CKPT_VM_OUT/bench-periodic.txt: a kind, then KEY=VALUE
# fields (bench/periodic_report.py reads them):
#   meta     KEY=VALUE                      the VM, the parameters
#   fork     cfg fields + the workload's fork line
#   ckpt_cp  cfg every=MS t_us=T + one --stats line (T: when the tool
#            printed it, i.e. when that image was complete, CLOCK_REALTIME)
#   ckpt_run cfg every=MS t_start_us t_first_us t_end_us rc + the summary
#   writer   cfg phase=ckpt-MS|criu t_us=.. writes=.. (the workload's own
#            counters at the start and the end of each steady state)
#   criu_cp  cfg seq=N t0_us t1_us rc bytes (one pre-dump, wall clock
#            around it; bytes: its pages-*.img)
#   criu_st  cfg seq=N + CRIU's stats-dump fields (frozen_time µs, ...)
#   fail     cfg what=... msg=...
# cfg = "mib=M rate=R pages=4k|thp".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$TOP/build/bench
export PATH=$TOP/build/bin:$B:$PATH
OUT=${CKPT_VM_OUT:-/tmp}/bench-periodic.txt
: > "$OUT"
SIZES=${PERIODIC_SIZES:-256 1024}	# MiB
RATES=${PERIODIC_RATES:-1 64}		# MiB/s the writer dirties
EVERY=${PERIODIC_EVERY:-10 100 1000}	# --every MS
PAGES=${PERIODIC_PAGES:-4k}		# 4k and/or thp
# Each series runs, after its first (full) image, for RUN_S seconds (at
# --every >= 1000: RUN_S_SLOW) and until MIN_CP more images are complete,
# but no longer than MAX_S; CRIU's likewise (CRIU_S, MIN_CP, MAX_S, and at
# most CRIU_MAX pre-dumps after the first).
RUN_S=${PERIODIC_RUN_S:-8}
RUN_S_SLOW=${PERIODIC_RUN_S_SLOW:-12}
CRIU_S=${PERIODIC_CRIU_S:-10}
CRIU_MAX=${PERIODIC_CRIU_MAX:-30}
MIN_CP=${PERIODIC_MIN_CP:-3}
MAX_S=${PERIODIC_MAX_S:-45}
CRIU=${PERIODIC_CRIU:-1}		# 0: no CRIU series
FIRST_S=${PERIODIC_FIRST_S:-300}	# longest wait for a first (full) image
T=/tmp/pbench				# images: a tmpfs of their own

rec() { echo "$*" | tee -a "$OUT"; }
us() { echo "${EPOCHREALTIME/./}"; }	# wall clock, µs
# stamp: each line of stdin prefixed with the time it arrived (µs).
stamp() { local l; while IFS= read -r l; do echo "${EPOCHREALTIME/./} $l"; done; }
# wait_for SECONDS CMD...: polls CMD every 0.1 s; fails when time is up.
wait_for() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}
has() { grep -q "$2" "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
more_writer_lines() { [ "$(grep -c '^writer ' "$1")" -gt "$2" ]; }
ncp() { local n=0 l; while IFS= read -r l; do [[ $l == *" seq="* ]] && n=$((n + 1)); done <"$1"; echo $n; }
# prune DIR: deletes the complete images but the newest (the tool reads no
# old image without --keep), so that a long series fits in the tmpfs.
prune() {
	# Shell builtins and one rm: under TCG every exec costs the guest's
	# CPUs, and the capture being measured shares them.
	local imgs=("$1"/[0-9]*.img)
	[ ${#imgs[@]} -gt 1 ] && rm -f "${imgs[@]:0:${#imgs[@]}-1}"
}
writer_line() {	# writer_line PID WL_OUT: the workload's counters, now
	local n
	n=$(grep -c '^writer ' "$2")
	kill -USR1 "$1"
	wait_for 120 more_writer_lines "$2" "$n" || return 1
	grep '^writer ' "$2" | tail -n 1 | cut -d' ' -f2-
}

insmod "$TOP/build/mod/$(uname -r)/ckpt.ko" || exit 1
mkdir -p $T
mount -t tmpfs -o size=85% tmpfs $T || exit 1
rec "meta kernel=$(uname -r)"
rec "meta date=$(date -u +%Y-%m-%dT%H:%MZ)"
rec "meta cpus=$(nproc)"
rec "meta mem_mib=$(( $(sed -n 's/MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) >> 10 ))"
rec "meta thp=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled)"
rec "meta criu=$(criu --version 2>/dev/null | sed -n 's/^Version: *//p')"
rec "meta params=sizes:${SIZES// /,}_rates:${RATES// /,}_every:${EVERY// /,}_pages:${PAGES// /,}_run_s:${RUN_S}_run_s_slow:${RUN_S_SLOW}_criu_s:${CRIU_S}_criu_max:${CRIU_MAX}_min_cp:${MIN_CP}_max_s:${MAX_S}_criu:${CRIU}"
t_all=$(date +%s)

# ckpt_series PID CFG MS WL_OUT: one `ckpt dump --every MS` run.
ckpt_series() {
	local pid=$1 cfg=$2 ms=$3 wl=$4 d=$T/ckpt s=$T/ckpt.stats run_s=$RUN_S
	local t_start t_first t_end cpid ppid rc w0 w1
	[ "$ms" -ge 1000 ] && run_s=$RUN_S_SLOW
	rm -rf "$d" "$s" $T/cpid
	mkdir -p "$d"
	t_start=$(us)
	{ sh -c 'echo $$ > '$T'/cpid; exec "$@" 2>&1 >/dev/null' sh \
		ckpt dump -t "$pid" --every "$ms" --dir "$d" --stats < /dev/null; } | stamp > "$s" &
	ppid=$!
	wait_for 30 test -s $T/cpid || { rec "fail $cfg every=$ms what=ckpt-start"; return 1; }
	cpid=$(cat $T/cpid)
	if ! wait_for "$FIRST_S" has "$s" ' seq=1 '; then
		kill -TERM "$cpid" 2>/dev/null
		wait "$ppid"
		rec "fail $cfg every=$ms what=ckpt-first msg=$(tail -n 2 "$s" | tr ' \n' '_;')"
		return 1
	fi
	t_first=$(awk '$2 == "seq=1" { print $1; exit }' "$s")
	w0=$(writer_line "$pid" "$wl")
	until [ $(( $(us) - t_first )) -ge $((run_s * 1000000)) ] && [ "$(ncp "$s")" -gt "$MIN_CP" ] ||
		[ $(( $(us) - t_first )) -ge $((MAX_S * 1000000)) ]; do
		prune "$d"
		sleep 2
	done
	w1=$(writer_line "$pid" "$wl")
	kill -TERM "$cpid" 2>/dev/null
	wait "$ppid"
	wait_for 60 gone "$cpid"
	rc=$(grep -c '^[0-9]* summary:' "$s")
	t_end=$(us)
	grep -v ' seq=\| summary:' "$s" | sed "s/^[0-9]* /other $cfg every=$ms msg=/" | tee -a "$OUT" | head -n 5
	sed -n 's/^\([0-9]*\) \(seq=.*\)/ckpt_cp '"$cfg every=$ms"' t_us=\1 \2/p' "$s" >> "$OUT"
	rec "ckpt_run $cfg every=$ms t_start_us=$t_start t_first_us=$t_first t_end_us=$t_end" \
		"summaries=$rc $(sed -n 's/^[0-9]* summary: //p' "$s")"
	rec "writer $cfg phase=ckpt-$ms $w0"
	rec "writer $cfg phase=ckpt-$ms $w1"
	tail -n 3 "$s" | cut -c1-160
	rm -rf "$d" "$s"
}

# criu_series PID CFG WL_OUT: `criu pre-dump --track-mem` back to back,
# each on the one before (--prev-images-dir), for CRIU_S seconds after
# the first (full) one.
criu_series() {
	local pid=$1 cfg=$2 wl=$3 d=$T/criu n=0 t0 t1 t_first=0 rc prev w0="" w1 f
	rm -rf "$d"
	mkdir -p "$d"
	while :; do
		n=$((n + 1))
		mkdir "$d/$n"
		prev=()
		[ $n -gt 1 ] && prev=(--prev-images-dir "../$((n - 1))")
		t0=$(us)
		criu pre-dump -t "$pid" -D "$d/$n" --track-mem "${prev[@]}" \
			-o pre-dump.log -v2 > /dev/null 2>&1
		rc=$?
		t1=$(us)
		echo "criu_cp $cfg seq=$n t0_us=$t0 t1_us=$t1 rc=$rc bytes=$(stat -c %s "$d/$n"/pages-*.img 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')" >> "$OUT"
		# Only the parent's pagemap is read: free the older page data.
		[ $n -gt 1 ] && for f in "$d/$((n - 1))"/pages-*.img; do : > "$f"; done
		if [ $rc -ne 0 ]; then
			rec "fail $cfg what=criu-pre-dump seq=$n msg=$(grep -m1 -i 'error' "$d/$n/pre-dump.log" | tr ' ' '_')"
			break
		fi
		if [ $n -eq 1 ]; then
			t_first=$t1
			w0=$(writer_line "$pid" "$wl")
		fi
		[ $((t1 - t_first)) -ge $((CRIU_S * 1000000)) ] && [ $n -gt "$MIN_CP" ] && break
		[ $((t1 - t_first)) -ge $((MAX_S * 1000000)) ] && break
		[ $n -gt "$CRIU_MAX" ] && break
	done
	[ -n "$w0" ] && w1=$(writer_line "$pid" "$wl") &&
		rec "writer $cfg phase=criu $w0" && rec "writer $cfg phase=criu $w1"
	# CRIU's own stats, read once the series is over (crit is slow to start).
	/usr/bin/python3 - "$d" "$cfg" >> "$OUT" <<'PY'
import os, sys
from pycriu import images
d, cfg = sys.argv[1:3]
for n in sorted((int(x) for x in os.listdir(d) if x.isdigit())):
    dd = "%s/%d" % (d, n)
    try:
        st = images.load(open(dd + "/stats-dump", "rb"))["entries"][0]["dump"]
    except Exception as e:
        print("criu_st %s seq=%d error=%s" % (cfg, n, type(e).__name__))
        continue
    print("criu_st %s seq=%d %s" % (cfg, n, " ".join(
        "%s=%s" % (k, v) for k, v in st.items())))
PY
	grep "^criu_st $cfg " "$OUT" | tail -n 2
	rm -rf "$d"
}

for pg in $PAGES; do
	for mib in $SIZES; do
		for rate in $RATES; do
			cfg="mib=$mib rate=$rate pages=$pg"
			wl=$T/wl.out
			rm -f "$wl"
			t0=$(date +%s)
			thp=
			[ "$pg" = thp ] && thp=--thp
			setsid periodic_workload "$mib" "$rate" $thp > "$wl" 2>&1 < /dev/null &
			pid=$!
			if ! wait_for 600 has "$wl" '^ready'; then
				rec "fail $cfg what=workload msg=$(tr ' \n' '_;' < "$wl")"
				kill -9 "$pid"
				wait "$pid" 2>/dev/null
				continue
			fi
			rec "fork $cfg $(grep '^fork_' "$wl")"
			for ms in $EVERY; do
				ckpt_series "$pid" "$cfg" "$ms" "$wl"
				rec "meta part_s=ckpt_${mib}_${rate}_${pg}_$ms:$(( $(date +%s) - t0 ))"
			done
			# fork() of the same process again, its pages as the writer
			# and the series left them (the first one saw fresh pages).
			kill -USR2 "$pid"
			wait_for 120 has "$wl" '^fork_late_' &&
				rec "forklate $cfg $(grep '^fork_late_' "$wl" | tail -n 1)"
			[ "$CRIU" = 1 ] && criu_series "$pid" "$cfg" "$wl"
			kill -TERM "$pid"
			wait "$pid"
			grep '^achieved' "$wl" | sed "s/^/final $cfg /" | tee -a "$OUT"
			rec "meta part_s=${mib}_${rate}_${pg}:$(( $(date +%s) - t0 ))"
		done
	done
done
rec "meta total_s=$(( $(date +%s) - t_all ))"
umount $T
rmmod ckpt
