#!/bin/bash
# Loading and unloading, and what the device looks like.
. "$(dirname "$0")/lib.sh"

load_unload_20() {
	local i
	for i in $(seq 20); do
		load || { echo "FAIL: insmod #$i"; return 1; }
		[ -c /dev/ckpt ] || { echo "FAIL: no /dev/ckpt after insmod #$i"; return 1; }
		rmmod ckpt || { echo "FAIL: rmmod #$i"; return 1; }
		[ ! -e /dev/ckpt ] || { echo "FAIL: /dev/ckpt left after rmmod #$i"; return 1; }
	done
}
run_test load-unload-20 load_unload_20

dev_mode() {
	load && [ "$(stat -c %a /dev/ckpt)" = 600 ] && rmmod ckpt &&
		load mode=0660 && [ "$(stat -c %a /dev/ckpt)" = 660 ] && rmmod ckpt
}
run_test dev-mode dev_mode

bad_params() {
	! load mode=04777 2>/dev/null && ! load chunk_size=1000 2>/dev/null && ! mod_loaded
}
run_test bad-params-refused bad_params
