#!/bin/bash
# Dump and restore of one process, one test program per kind of state,
# each dumped with --kill and dumped while running, in several waits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zdtm.sh"

load || { report FAIL dump/insmod; exit 1; }
for how in kill live; do
	for w in sleep spin sigsuspend read nanosleep; do
		run_test "mem_anon-$w-$how" zdtm_run mem_anon "$how" mem_anon --wait=$w
	done
	for p in sig files; do
		for w in sleep spin; do
			run_test "$p-$w-$how" zdtm_run "$p" "$how" "$p" --wait=$w
		done
	done
	run_test "cpu-spin-$how" zdtm_run cpu "$how" cpu --wait=spin
done
