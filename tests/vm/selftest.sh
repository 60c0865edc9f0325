#!/bin/bash
# Self-test of the VM harness on every kernel kernels.sh lists: run.sh must
# pass exit codes, quoting, artifacts, module loading and cwd through, and
# must fail (125/124) when the kernel complains or the command hangs.
# Usage: tests/vm/selftest.sh [KVER...]   (default: all from kernels.sh)

# Guest commands are single-quoted on purpose: they expand in the guest.
# shellcheck disable=SC2016
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)
run=$here/run.sh
logs=$top/build/vm/selftest
mkdir -p "$logs"

if [ $# -gt 0 ]; then
	kvers=("$@")
else
	mapfile -t kvers < <("$here/kernels.sh")
	# kernels.sh failing (a series missing) must fail the self-test.
	"$here/kernels.sh" >/dev/null
fi

pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "FAIL - $*"; fail=$((fail + 1)); }

# vm NAME KVER [run.sh options] -- CMD...: run quietly, output in $out, status
# in $rc; the console log is kept per test under build/vm/selftest/.
vm() {
	local name=$1 kver=$2
	shift 2
	rc=0
	out=$("$run" --kernel "$kver" --timeout 300 --log "$logs/$kver-$name.log" "$@" 2>&1) || rc=$?
}
# expect NAME WANT: check $rc; show the output on failure.
expect() {
	if [ "$rc" = "$2" ]; then
		ok "$kver: $1 (exit $rc)"
	else
		nok "$kver: $1: exit $rc, want $2"
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/    | /'
	fi
}

for kver in "${kvers[@]}"; do
	echo "# $kver"
	# (a) exit status passes through.
	vm true "$kver" -- true
	expect "true" 0
	vm exit3 "$kver" -- sh -c 'exit 3'
	expect "sh -c 'exit 3'" 3

	# (b) arguments survive any quoting; CMD output reaches our stdout.
	vm quoting "$kver" -- printf '<%s>\n' 'a b' "c'd" '$(echo x) `y` $HOME' 'back\slash' '' "new
line"
	want=$(printf '<%s>\n' 'a b' "c'd" '$(echo x) `y` $HOME' 'back\slash' '' "new
line")
	if [ "$rc" = 0 ] && [[ $out == *"$want"* ]]; then
		ok "$kver: quoting"
	else
		nok "$kver: quoting (exit $rc)"
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/    | /'
	fi

	# (c) a kernel WARNING on the console fails the run with 125.
	vm warning "$kver" -- sh -c "echo 'WARNING: harness selftest' > /dev/kmsg"
	expect "WARNING in kmsg" 125
	# ... and a kernel panic too (sysrq crash).
	vm panic "$kver" -- sh -c 'echo c > /proc/sysrq-trigger; sleep 60'
	expect "kernel panic" 125

	# (d) files written to $CKPT_VM_OUT come back with --out.
	dir=$(mktemp -d)
	vm out "$kver" --out "$dir" -- sh -c 'echo hello >"$CKPT_VM_OUT/a.txt" &&
		mkdir "$CKPT_VM_OUT/sub" && echo "$KVER" >"$CKPT_VM_OUT/sub/kver"'
	if [ "$rc" = 0 ] && [ "$(cat "$dir/a.txt" 2>/dev/null)" = hello ] &&
		[ "$(cat "$dir/sub/kver" 2>/dev/null)" = "$kver" ]; then
		ok "$kver: --out artifacts"
	else
		nok "$kver: --out artifacts (exit $rc)"
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/    | /'
	fi
	rm -rf "$dir"

	# (e) modprobe of a real module works; request_module() autoloading
	# (creating a dummy link loads dummy.ko via /sbin/modprobe) works too.
	vm modprobe "$kver" -- sh -c 'modprobe loop && lsmod | grep -q "^loop " &&
		busybox ip link add vmtest0 type dummy && lsmod | grep -q "^dummy "'
	expect "modprobe loop, autoload dummy" 0

	# (f) the guest sees this tree, cwd is kept (run from a subdirectory),
	# CKPT_VM/KVER are set, and the guest may write anywhere (not to the host).
	marker=/usr/ckpt-vm-selftest-$$
	sum=$(sha256sum "$here/selftest.sh")
	rc=0
	out=$(cd "$here" && "$run" --kernel "$kver" --timeout 300 --log "$logs/$kver-cwd.log" -- \
		sh -c 'test "$(pwd)" = "$1" && test "$(sha256sum "$1/selftest.sh")" = "$2" &&
			test "$CKPT_VM" = 1 && test "$KVER" = "$(uname -r)" && touch "$3"' \
		sh "$here" "$sum" "$marker" 2>&1) || rc=$?
	if [ "$rc" = 0 ] && [ ! -e "$marker" ]; then
		ok "$kver: host tree visible, cwd kept, overlay writable"
	else
		nok "$kver: host tree / cwd / overlay (exit $rc)"
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/    | /'
	fi
done

# Kernel-independent failure paths, on the newest kernel only: a hang is cut
# by --timeout (124); a VM that dies without a word (sudden reboot, as after
# a triple fault) is 126.
kver=${kvers[${#kvers[@]} - 1]}
rc=0
out=$("$run" --kernel "$kver" --timeout 20 --log "$logs/$kver-timeout.log" -- sleep 600 2>&1) || rc=$?
expect "--timeout" 124
vm reboot "$kver" -- sh -c 'echo b > /proc/sysrq-trigger; sleep 60'
expect "VM gone without status" 126

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
