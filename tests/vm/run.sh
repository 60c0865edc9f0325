#!/bin/bash
# Run a command inside a throw-away QEMU/TCG VM booted with a Debian kernel,
# with the host root visible read-only (plus a tmpfs overlay), and fail loudly
# on any kernel WARN/BUG/oops.  See usage() for options and exit codes.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: tests/vm/run.sh [--kernel KVER] [--mem MB] [--smp N] [--timeout SECONDS]
                       [--log FILE] [--out DIR] [--quiet] -- CMD [ARGS...]
Runs CMD in a QEMU/TCG VM (cwd preserved, host root read-only + tmpfs overlay,
CKPT_VM=1, KVER and CKPT_VM_OUT=/mnt/out exported; files written there are
copied to DIR with --out).  --quiet, for showing the tool to people (make
demo): kernel messages stay off the console and the screen (the log keeps
what the kernel prints), there are no slab debugging options, and the
harness says nothing unless something fails.
Exit: CMD's status; 124 timeout; 125 kernel trouble in the console log;
126 VM died without reporting a status (panic, crash, harness error).
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)

kver='' mem=2048 smp=2 timeout=900 log='' outdir='' quiet=0
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kver=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--out) outdir=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { usage >&2; exit 2; }

if [ -z "$kver" ]; then
	# kernels.sh lists 6.1 then 6.12: take the last, i.e. 6.12 if present.
	kver=$("$here/kernels.sh" 2>/dev/null | tail -n 1) || true
	[ -n "$kver" ] || { echo "vm: no Debian 6.12 or 6.1 kernel installed" >&2; exit 2; }
fi
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || { echo "vm: $kernel not found" >&2; exit 2; }

# Per-kernel cached initramfs; rebuilt when its inputs change.
cache=$top/build/vm/$kver
initrd=$cache/initramfs.cpio
mkdir -p "$cache"
rebuild=0
[ -e "$initrd" ] || rebuild=1
for dep in "$here/mkinitramfs.sh" "$here/initramfs-init.sh" "$kernel" "/lib/modules/$kver/modules.dep"; do
	[ "$rebuild" = 1 ] || [ ! "$dep" -nt "$initrd" ] || rebuild=1
done
if [ "$rebuild" = 1 ]; then
	[ "$quiet" = 1 ] || echo "vm: building initramfs for $kver" >&2
	"$here/mkinitramfs.sh" "$kver" "$initrd"
fi
log=${log:-$cache/console.log}
mkdir -p "$(dirname "$log")"

# Per-run shares: ctl (args in, status out) and out (artifacts).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ckpt-vm.XXXXXX")
# shellcheck disable=SC2317 # called via trap
cleanup() {
	# QEMU outlives us if we are killed while it runs: stop it first.
	if [ -s "$tmp/qemu.pid" ] && [ ! -e "$tmp/qemu.rc" ]; then
		kill "$(cat "$tmp/qemu.pid")" 2>/dev/null || true
		wait || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "vm: interrupted" >&2; exit 130' INT
trap 'echo "vm: terminated" >&2; exit 143' TERM
mkdir "$tmp/ctl" "$tmp/out"

# Single-quote for the guest shell: survives spaces, quotes, newlines.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
{
	printf 'VMH_CWD=%s\n' "$(q "$PWD")"
	printf 'set --'
	for a in "$@"; do printf ' %s' "$(q "$a")"; done
	printf '\n'
} >"$tmp/ctl/args"
printf '%s\n' "$here/guest-init.sh" >"$tmp/ctl/guest-init"

# panic_on_warn/oops + panic=-1 + -no-reboot: the first WARN or oops ends the
# VM at once.  loglevel=5 (not `quiet`, which is 4) hides info/notice boot
# chatter but still prints KERN_WARNING, the level WARN() and /dev/kmsg use.
# slub_debug/page_poison: catch slab corruption and use-after-free.
append="console=ttyS0 loglevel=5 printk.time=1 panic_on_warn=1 panic_on_oops=1 panic=-1"
append+=" slub_debug=FZP page_poison=1"
# Boot noise under TCG, silenced at the source: edd (BIOS disk probe), the
# unstable-sched_clock notice of the tracer (TCG's TSC), and amd_pstate
# complaining about the missing _CPC ACPI object (-cpu max is AMD-flavoured).
append+=" edd=off trace_clock=global initcall_blacklist=amd_pstate_init"
# tsc=unstable: 6.12 trusts TCG's TSC and flips the sched_clock_stable static
# key late in boot while the other vCPU runs that very code; QEMU 7.2's
# multi-threaded TCG then sometimes executes the stale int3 of the live patch
# ("Oops: int3" in sched_clock_cpu, ~1 boot in 150-300).  6.1 already
# finds the TSC unstable by itself; both then keep time with the HPET.
append+=" tsc=unstable"
# A lockup or hung task is trouble too: panic at once instead of waiting for
# --timeout.
append+=" softlockup_panic=1 hung_task_panic=1"
if [ "$quiet" = 1 ]; then
	# slub_debug makes the kernel print its 13-line "NOTICE ... unhashed
	# kernel memory addresses" banner, and loglevel=5 lets boot warnings
	# (APIC calibration under TCG) through: a newcomer reads both as
	# errors.  panic_on_warn stays, so a WARN still fails the run.
	append=${append/ slub_debug=FZP page_poison=1/}
	append=${append/loglevel=5/loglevel=1}
fi

# TCG only (KVM cannot boot these kernels here).  qboot (qemu-system-data)
# instead of SeaBIOS: it boots faster and does not spray terminal-reset
# escapes on the serial console.  q35 + qboot boots both kernels without
# warnings; -net none: no NIC, no network.
qemu=(
	qemu-system-x86_64 -accel "tcg,thread=multi" -cpu max -M q35 -bios qboot.rom
	-smp "$smp" -m "$mem" -nographic -no-reboot -net none
	-kernel "$kernel" -initrd "$initrd" -append "$append"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$tmp/ctl,mount_tag=vmctl,security_model=none"
	-virtfs "local,path=$tmp/out,mount_tag=vmout,security_model=none"
)

# The serial console (kernel + CMD output) goes to our stdout and the log.
# CRs from the guest tty are dropped so the log greps cleanly.  The pipeline
# runs in the background so that `wait` lets our INT/TERM traps kill QEMU at
# once (bash defers traps while a foreground pipeline runs).
start=$(date +%s)
{
	rc=0
	timeout -k 10 "$timeout" "${qemu[@]}" -pidfile "$tmp/qemu.pid" </dev/null 2>&1 || rc=$?
	echo "$rc" >"$tmp/qemu.rc"
} | sed -u 's/\r$//' | tee "$log" | {
	# --quiet: what the kernel still prints (its power-off line, say)
	# stays in the log, off the screen.
	if [ "$quiet" = 1 ]; then grep --line-buffered -Ev '^\[ *[0-9]+\.[0-9]+\] ' || true; else cat; fi
} &
wait $! || true
qrc=$(cat "$tmp/qemu.rc" 2>/dev/null || echo '?')
[ "$quiet" = 1 ] || echo "vm: $kver: QEMU exited ($qrc) after $(($(date +%s) - start)) s; console log: $log" >&2

if [ -n "$outdir" ]; then
	mkdir -p "$outdir"
	cp -a "$tmp/out/." "$outdir/"
fi

# Kernel trouble.  Only timestamped (kernel) lines are scanned, so CMD's own
# output may mention e.g. "BUG:" without failing the run.  "BUG cache (...)"
# is how SLUB reports corruption found by slub_debug (no colon, no WARN on 6.1).
pat='BUG:|BUG [^ ]+ \(|WARNING:|Oops|Call Trace|KASAN|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|INFO: task .* blocked|lockdep|UBSAN|general protection fault'
pat="\\[ *[0-9]+\\.[0-9]+\\].*($pat)"
if grep -Eq "$pat" "$log"; then
	echo "vm: kernel trouble: $kver, full console log: $log" >&2
	grep -E -B3 -A8 "$pat" "$log" | head -n 60 | sed 's/^/vm: kernel trouble: /' >&2 || true
	exit 125
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "vm: timeout: killed QEMU after $timeout s" >&2
	exit 124
fi
if [ -s "$tmp/ctl/error" ]; then
	echo "vm: harness error in guest: $(cat "$tmp/ctl/error")" >&2
	exit 126
fi
if [ ! -s "$tmp/ctl/status" ]; then
	echo "vm: VM exited without a status (QEMU rc $qrc): kernel panic or crash? see $log" >&2
	exit 126
fi
exit "$(cat "$tmp/ctl/status")"
