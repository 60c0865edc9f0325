#!/bin/bash
# Every test of ckpt, as `make check` runs it:
#   build (module for each supported kernel, tool, library, test programs),
#   host unit tests, a libFuzzer smoke run of the image validator, kernel
#   style (checkpatch, sparse), the Debian packages (build, lintian, install:
#   DKMS builds the module for both kernels), then the in-VM suite on
#   Debian's 6.1 and 6.12 kernels, then the packages' purge.
# Ends with the line "N passed, N failed"; exits non-zero on any failure.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
LOGS=$TOP/build/test-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"
pass=0
fail=0
t0=$(date +%s)

ok()  { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1${2:+: $2}" | tee -a "$LOGS/failures.log"; fail=$((fail + 1)); }

# Counts the PASS:/FAIL: lines of a results file or log.
tally() {
	local p f
	p=$(grep -c '^PASS: ' "$1")
	f=$(grep -c '^FAIL: ' "$1")
	grep -E '^(PASS|FAIL): ' "$1"
	grep '^FAIL: ' "$1" >> "$LOGS/failures.log"
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
	# Failures again, last, where a reader of the tail finds them.
	if [ "$fail" -gt 0 ]; then
		echo "== failures"
		cat "$LOGS/failures.log" "$LOGS/trouble.log" 2>/dev/null
	fi
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

# The tool's help and usage errors, every command (no module needed).
"$TOP/tests/host/cli-help.sh" >"$LOGS/cli-help.log" 2>&1
tally "$LOGS/cli-help.log"
grep -q '^PASS: ' "$LOGS/cli-help.log" || bad host/cli-help "no check ran, see ${LOGS#"$TOP"/}/cli-help.log"

# The image validator under libFuzzer, for a short smoke time.
make -C "$TOP" -s fuzz-smoke FUZZ_TIME="${FUZZ_TIME:-30}" >"$LOGS/fuzz.log" 2>&1
tally "$LOGS/fuzz.log"
grep -q '^PASS: fuzz' "$LOGS/fuzz.log" || grep -q '^FAIL: fuzz' "$LOGS/fuzz.log" ||
	bad fuzz/image "the fuzzer did not run, see ${LOGS#"$TOP"/}/fuzz.log"

# Kernel style, and the manual pages (mandoc, groff, nothing undocumented).
step style/checkpatch "$LOGS/checkpatch.log" "$TOP/scripts/checkpatch.sh"
step style/sparse "$LOGS/sparse.log" make -C "$TOP" -s sparse KVER="${KVERS[*]}"
step style/man "$LOGS/man.log" "$TOP/scripts/manlint.sh"
step meta/dkms-version "$LOGS/meta.log" \
	grep -qx "PACKAGE_VERSION=\"$(cat "$TOP/VERSION")\"" "$TOP/dkms.conf"

# The Debian packages: built (lintian: no error), installed on this host,
# where ckpt-dkms has DKMS build and install ckpt.ko for both kernels.
# The VM sees the host root: its suite uses the packaged module and
# /usr/bin/ckpt (t-05-package).  After it the packages are purged, and
# must leave nothing behind.
VERSION=$(cat "$TOP/VERSION")
DEB_PKGS=(ckpt libckpt1 libckpt-dev ckpt-dkms)

deb_install() {
	local p debs=()
	# Leftovers of an earlier run or of 'make install-module' would be
	# taken for the packages' files.
	dpkg --purge "${DEB_PKGS[@]}" || return 1
	"$TOP/scripts/dkms.sh" remove || return 1
	for p in "${DEB_PKGS[@]}"; do
		debs+=("$TOP/build/deb/${p}_${VERSION}_amd64.deb")
	done
	dpkg -i "${debs[@]}" || return 1
	for p in "${DEB_PKGS[@]}"; do
		[ "$(dpkg-query -W -f='${Status}' "$p")" = "install ok installed" ] ||
			{ echo "deb: $p is not installed: $(dpkg-query -W -f='${Status}' "$p")"; return 1; }
	done
	getent group ckpt || { echo "deb: the ckpt package made no group ckpt"; return 1; }
}

deb_dkms_built() {	# deb_dkms_built KVER...
	local k f
	dkms status ckpt
	for k in "$@"; do
		dkms status -m ckpt -v "$VERSION" -k "$k" | grep -q ': installed' ||
			{ echo "deb: DKMS did not install ckpt/$VERSION for $k"; return 1; }
		f=$(modinfo -k "$k" -n ckpt) || { echo "deb: no module ckpt for $k"; return 1; }
		case $f in
		/lib/modules/"$k"/updates/dkms/ckpt.ko*) [ -f "$f" ] ;;
		*) false ;;
		esac || { echo "deb: module ckpt for $k is $f, not DKMS's"; return 1; }
		[ "$(modinfo -k "$k" -F version ckpt)" = "$VERSION" ] ||
			{ echo "deb: $f is version $(modinfo -k "$k" -F version ckpt), not $VERSION"; return 1; }
		echo "$k: $f"
	done
}

# Debian leaves a system group on purge (files may still belong to it,
# and a new group must not get its gid): so does the ckpt package.
deb_nothing_left() {
	local f p left=() k
	for p in "${DEB_PKGS[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^.[^n]' &&
			left+=("package $p: $(dpkg-query -W -f='${Status}' "$p")")
	done
	for f in /usr/src/ckpt-* /var/lib/dkms/ckpt /lib/modules/*/updates/dkms/ckpt.ko* \
		/usr/bin/ckpt /usr/lib/udev/rules.d/60-ckpt.rules /lib/udev/rules.d/60-ckpt.rules \
		/usr/lib/*/libckpt.* /usr/include/ckpt.h /usr/include/linux/ckpt.h \
		/usr/lib/*/pkgconfig/ckpt.pc /usr/share/man/man8/ckpt.8* /usr/share/man/man3/ckpt_*.3* \
		/usr/share/bash-completion/completions/ckpt /usr/share/doc/ckpt /usr/share/doc/libckpt1 \
		/usr/share/doc/libckpt-dev /usr/share/doc/ckpt-dkms; do
		if [ -e "$f" ] || [ -L "$f" ]; then left+=("$f"); fi
	done
	for k in "${KVERS[@]}"; do
		f=$(modinfo -k "$k" -n ckpt 2>/dev/null) && left+=("modules.dep of $k: ckpt is $f")
	done
	if [ ${#left[@]} -gt 0 ]; then
		printf 'left after the purge: %s\n' "${left[@]}"
		return 1
	fi
	getent group ckpt >/dev/null || { echo "deb: the purge removed the group ckpt"; return 1; }
	echo "nothing left; the system group ckpt stays, as Debian's do"
}

step deb/build "$LOGS/deb.log" env DEB_BUILD_OPTIONS=nocheck make -C "$TOP" -s deb
step deb/install "$LOGS/deb-install.log" deb_install
step deb/dkms-both-kernels "$LOGS/deb-dkms.log" deb_dkms_built "${KVERS[@]}"

# A failed VM test's own lines ("  [NAME] ...") under its FAIL line in
# failures.log, the last 30: CI shows the end of this output, not the logs.
fail_details() {	# fail_details OUTDIR
	local name
	grep '^FAIL: ' "$1/results" | sed 's/^FAIL: vm\/[^/]*\/\([^:]*\).*/\1/' |
	while read -r name; do
		echo "-- ${name}:"
		grep -F "  [$name] " "$1/run.log" | tail -n 30
	done >>"$LOGS/failures.log"
}

# The VM suite, five boots per kernel, each well inside its timeout under
# TCG: the dump files (t-0* to t-35), the restore and refusal files (t-36
# to t-4*), the snapshot files (t-5*), the periodic and group files (t-60
# to t-74; one boot each pair was, until they passed 900 s on 6.1), and
# the threads files (t-75 on: the real programs, xz, Java, and 1000
# threads, take minutes under TCG, hence 1800 s).  t-40 finds the other
# kernel's cross-boot image under build/test-logs/vm-*/ (t-35 saves it).
vm_part() {	# vm_part KVER OUTDIR LABEL TIMEOUT FILE...
	local k=$1 out=$2 label=$3 timeout=$4 rc
	shift 4
	mkdir -p "$out"
	echo "== VM $k ($label)"
	"$TOP/tests/vm/run.sh" --kernel "$k" --timeout "$timeout" --out "$out" \
		--log "$out/console.log" \
		-- "$TOP/tests/guest/run-suite.sh" "$@" >"$out/run.log" 2>&1
	rc=$?
	if [ -f "$out/results" ]; then
		tally "$out/results"
		fail_details "$out"
	else
		bad "vm/$k/$label/results" "the suite wrote no results"
	fi
	case $rc in
	0) ok "vm/$k/$label/kernel-clean" ;;
	124) bad "vm/$k/$label/timeout" "see ${out#"$TOP"/}/run.log" ;;
	125)
		bad "vm/$k/$label/kernel-trouble" "see ${out#"$TOP"/}/console.log"
		# The whole report, here: CI keeps this output, not the logs.
		grep 'vm: kernel trouble' "$out/run.log" | sed 's/^vm: kernel trouble: /    /' |
			tee -a "$LOGS/trouble.log"
		;;
	*) grep -q '^FAIL' "$out/results" 2>/dev/null || bad "vm/$k/$label/exit" "status $rc, see ${out#"$TOP"/}/run.log" ;;
	esac
}
mapfile -t DUMP_FILES < <(cd "$TOP/tests/guest" && ls t-[0-2]*.sh t-3[0-5]*.sh)
mapfile -t RESTORE_FILES < <(cd "$TOP/tests/guest" && ls t-3[6-9]*.sh t-4*.sh)
mapfile -t SNAP_FILES < <(cd "$TOP/tests/guest" && ls t-5*.sh)
mapfile -t PERIODIC_FILES < <(cd "$TOP/tests/guest" && ls t-6*.sh t-7[0-4]*.sh)
mapfile -t THREAD_FILES < <(cd "$TOP/tests/guest" && ls t-7[5-9]*.sh)
for k in "${KVERS[@]}"; do
	vm_part "$k" "$LOGS/vm-$k" dump 900 "${DUMP_FILES[@]}"
	vm_part "$k" "$LOGS/vm-$k-restore" restore 900 "${RESTORE_FILES[@]}"
	vm_part "$k" "$LOGS/vm-$k-snap" snap 900 "${SNAP_FILES[@]}"
	vm_part "$k" "$LOGS/vm-$k-periodic" periodic 900 "${PERIODIC_FILES[@]}"
	vm_part "$k" "$LOGS/vm-$k-threads" threads 1800 "${THREAD_FILES[@]}"
done

step deb/purge "$LOGS/deb-purge.log" dpkg --purge "${DEB_PKGS[@]}"
step deb/purge-leaves-nothing "$LOGS/deb-left.log" deb_nothing_left
summary
