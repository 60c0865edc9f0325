#!/bin/bash
# Every test of ckpt, as `make check` runs it:
#   build (module for each supported kernel, tool, library, test programs),
#   host unit tests, a libFuzzer smoke run of the image validator, kernel
#   style (checkpatch, sparse), DKMS build+install, then the in-VM suite on
#   Debian's 6.1 and 6.12 kernels.
# Ends with the line "N passed, N failed"; exits non-zero on any failure.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
LOGS=$TOP/build/test-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"
pass=0
fail=0
t0=$(date +%s)

ok()  { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1${2:+: $2}"; fail=$((fail + 1)); }

# Counts the PASS:/FAIL: lines of a results file or log.
tally() {
	local p f
	p=$(grep -c '^PASS: ' "$1")
	f=$(grep -c '^FAIL: ' "$1")
	grep -E '^(PASS|FAIL): ' "$1"
	pass=$((pass + p))
	fail=$((fail + f))
}

step() {	# step NAME LOG CMD...: one PASS/FAIL from the exit status
	local name=$1 log=$2
	shift 2
	if "$@" >"$log" 2>&1; then
		ok "$name"
	else
		bad "$name" "see ${log#"$TOP"/}"
		tail -n 20 "$log" | sed 's/^/    /'
	fi
}

summary() {
	echo "check: $(( $(date +%s) - t0 )) s, logs in ${LOGS#"$TOP"/}"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

mapfile -t KVERS < <("$TOP/tests/vm/kernels.sh")
[ ${#KVERS[@]} -eq 2 ] || { bad kernels "need Debian's 6.1 and 6.12 kernels (make deps)"; summary; }

# Build everything; without a build nothing else means anything.
for k in "${KVERS[@]}"; do
	step "build/module/$k" "$LOGS/build-$k.log" make -C "$TOP" -s modules KVER="$k"
done
step build/userspace "$LOGS/build-user.log" make -C "$TOP" -s userspace tests
[ "$fail" -eq 0 ] || summary

# Host unit tests (ASan).
make -C "$TOP" -s unit >"$LOGS/unit.log" 2>&1
tally "$LOGS/unit.log"
grep -q '^PASS: ' "$LOGS/unit.log" || bad unit "no unit test ran"

# The image validator under libFuzzer, for a short smoke time.
make -C "$TOP" -s fuzz-smoke FUZZ_TIME="${FUZZ_TIME:-30}" >"$LOGS/fuzz.log" 2>&1
tally "$LOGS/fuzz.log"
grep -q '^PASS: fuzz' "$LOGS/fuzz.log" || grep -q '^FAIL: fuzz' "$LOGS/fuzz.log" ||
	bad fuzz/image "the fuzzer did not run, see ${LOGS#"$TOP"/}/fuzz.log"

# Kernel style.
step style/checkpatch "$LOGS/checkpatch.log" "$TOP/scripts/checkpatch.sh"
step style/sparse "$LOGS/sparse.log" make -C "$TOP" -s sparse KVER="${KVERS[*]}"
step meta/dkms-version "$LOGS/meta.log" \
	grep -qx "PACKAGE_VERSION=\"$(cat "$TOP/VERSION")\"" "$TOP/dkms.conf"

# DKMS: registered, built and installed for both kernels; the VM suite
# then loads the installed module by name through the tool.
step dkms/install "$LOGS/dkms.log" "$TOP/scripts/dkms.sh" install "${KVERS[@]}"

# The VM suite, one boot per kernel.
for k in "${KVERS[@]}"; do
	out=$LOGS/vm-$k
	mkdir -p "$out"
	echo "== VM $k"
	"$TOP/tests/vm/run.sh" --kernel "$k" --out "$out" --log "$out/console.log" \
		-- "$TOP/tests/guest/run-suite.sh" >"$out/run.log" 2>&1
	rc=$?
	if [ -f "$out/results" ]; then
		tally "$out/results"
	else
		bad "vm/$k/results" "the suite wrote no results"
	fi
	case $rc in
	0) ok "vm/$k/kernel-clean" ;;
	124) bad "vm/$k/timeout" "see ${out#"$TOP"/}/run.log" ;;
	125) bad "vm/$k/kernel-trouble" "$(grep -m3 'vm: kernel trouble' -A3 "$out/run.log" | tr '\n' ' ')" ;;
	*) grep -q '^FAIL' "$out/results" 2>/dev/null || bad "vm/$k/exit" "status $rc, see ${out#"$TOP"/}/run.log" ;;
	esac
done

"$TOP/scripts/dkms.sh" remove >/dev/null 2>&1
summary
