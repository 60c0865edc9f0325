#!/bin/bash
# The ioctl interface, with the module loaded with debug=1.
. "$(dirname "$0")/lib.sh"

load debug=1 || { report FAIL ioctl/insmod; exit 1; }
for t in version enotty einval open8 selftest; do
	run_test "ioctl-$t" devtest "$t"
done
run_test perm-0600-denied devtest perm denied
unload

load mode=0666 && run_test perm-0666-allowed devtest perm allowed
unload
load && run_test selftest-needs-debug devtest selftest off
unload
