#!/bin/bash
# The in-VM test suite: runs as root in the guest (tests/vm/run.sh), with
# the freshly built ckpt.ko for the running kernel.  Every file in
# tests/guest/t-*.sh is a test file (or only those named as arguments); after each one the module's live
# counters must be zero and the module must unload.
set -u
. "$(dirname "$0")/lib.sh"

[ -f "$KO" ] || { report FAIL build "no $KO"; exit 1; }
: > "$RESULTS"
status=0
# With arguments (test file names, e.g. t-37-dump-kill.sh), only those.
files=("$@")
[ $# -gt 0 ] || files=("$TOP"/tests/guest/t-*.sh)
for t in "${files[@]}"; do
	[ "${t#/}" != "$t" ] || t=$TOP/tests/guest/$t
	name=$(basename "$t" .sh)
	name=${name#t-}
	echo "== $name"
	bash "$t" || status=1
	if ! left=$(counters_clean); then
		report FAIL "$name/counters" "$(echo $left)"
		status=1
	fi
	if ! unload; then
		report FAIL "$name/rmmod" "the module does not unload"
		status=1
	fi
done
exit $status
