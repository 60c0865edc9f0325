#!/bin/bash
# The ckpt tool: check, module loading through libkmod, errors in words.
. "$(dirname "$0")/lib.sh"

version=$(cat "$TOP/VERSION")

tool_loads_by_path() {
	local out
	unload
	out=$(ckpt --module "$KO" check) || { echo "FAIL: ckpt check: $out"; return 1; }
	echo "$out"
	mod_loaded || { echo "FAIL: module not loaded by the tool"; return 1; }
	echo "$out" | grep -q "module $version (ABI" || { echo "FAIL: no module version line"; return 1; }
	echo "$out" | grep -q "^counters .*ctxs 0" || { echo "FAIL: no counters line"; return 1; }
	echo "$out" | grep -q "^xstate .*x87 sse" || { echo "FAIL: no xstate line"; return 1; }
	echo "$out" | grep -q "^open files .* pipe fifo eventfd signalfd timerfd epoll socket(unix,TCP,UDP: [^;]*);" || { echo "FAIL: no open files line naming eventfd"; return 1; }
}
run_test tool-check-loads-module tool_loads_by_path

# With the module already loaded, check only opens it.
run_test tool-check-loaded ckpt check
unload

# The DKMS-installed module, found by name, when the host installed it.
if modinfo -k "$KVER" -F version ckpt >/dev/null 2>&1; then
	by_name() {
		ckpt check && mod_loaded &&
			[ "$(modinfo -k "$KVER" -F version ckpt)" = "$version" ]
	}
	run_test tool-check-dkms-module by_name
	unload
fi

bad_path() {
	local out
	out=$(ckpt --module /nonexistent/ckpt.ko check 2>&1) && return 1
	echo "$out" | grep -q '^ckpt: /nonexistent/ckpt.ko: ' || { echo "FAIL: message: $out"; return 1; }
}
run_test tool-bad-module-path bad_path

unprivileged() {
	local out
	load || return 1
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CKPT" check 2>&1) && return 1
	echo "$out" | grep -q 'cannot open /dev/ckpt: Permission denied' || { echo "FAIL: message: $out"; return 1; }
}
run_test tool-unprivileged-denied unprivileged
unload

# An unknown command, or none, or an unknown option: a message on stderr,
# nothing on stdout, exit 2 (usage), and the module is not touched.
unknown_command() {
	local out err rc
	out=$(ckpt frobnicate 2>/dev/null)
	err=$(ckpt frobnicate 2>&1 >/dev/null)
	rc=$?
	echo "ckpt frobnicate: exit $rc: $err"
	[ $rc -eq 2 ] || { echo "FAIL: ckpt frobnicate: exit $rc, want 2"; return 1; }
	[ -z "$out" ] || { echo "FAIL: ckpt frobnicate wrote on stdout: $out"; return 1; }
	echo "$err" | grep -q "^ckpt: unknown command 'frobnicate'" ||
		{ echo "FAIL: ckpt frobnicate: message '$err'"; return 1; }
	echo "$err" | grep -q -- '--help' || { echo "FAIL: ckpt frobnicate: no hint at --help"; return 1; }
	err=$(ckpt 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 2 ] && echo "$err" | grep -q '^usage: ckpt ' ||
		{ echo "FAIL: ckpt without a command: exit $rc: $err"; return 1; }
	err=$(ckpt --frobnicate check 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 2 ] && echo "$err" | grep -q "^ckpt: unknown option '--frobnicate'" &&
		echo "$err" | grep -q '^usage: ckpt ' ||
		{ echo "FAIL: ckpt --frobnicate: exit $rc: $err"; return 1; }
	! mod_loaded || { echo "FAIL: a usage error loaded the module"; return 1; }
}
run_test tool-unknown-command-exit-2 unknown_command
