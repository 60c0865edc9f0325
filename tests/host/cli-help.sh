#!/bin/bash
# The tool's command line, on the host (no module needed): for every
# command, --help, -h and `ckpt help CMD` print the same help on stdout
# and exit 0; the help names every option the command takes; a bad
# option exits 2 with the usage on stderr.  Prints PASS:/FAIL: lines and
# exits non-zero on any failure.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CKPT=${CKPT:-$TOP/build/bin/ckpt}
SRC=$TOP/userspace
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS: host/cli-help/$1"; }
fail() { echo "FAIL: host/cli-help/$1: $2"; fails=$((fails + 1)); }

[ -x "$CKPT" ] || { fail build "$CKPT is missing: make userspace"; exit 1; }

# What each command takes: its long options without --, its short ones.
# The source tables are checked against these lists below, so an option
# added to a command without its help (and this list) fails here.
COMMANDS="check dump restore show snapshot rollback drop list run"
declare -A LONG=(
	[check]="help"
	[dump]="kill tcp-established stats progress no-progress every dir keep count help"
	[restore]="detach pid-file new-pid progress no-progress help"
	[show]="json help"
	[snapshot]="pid on-exit verbose help"
	[rollback]="pid snapshot verbose help"
	[drop]="pid snapshot help"
	[list]="pid json help"
	[run]="every dir keep stats help"
)
declare -A SHORT=(
	[check]="-h" [dump]="-t -o -h" [restore]="-i -h" [show]="-h"
	[snapshot]="-t -v -h" [rollback]="-t -s -v -h" [drop]="-t -s -h"
	[list]="-t -h" [run]="-h"
)
# The file whose option table (or strcmp list) each command parses with.
declare -A FILE=(
	[check]=cmd_check.c [dump]=cmd_dump.c [restore]=cmd_restore.c
	[show]=cmd_show.c [snapshot]=snap_cli.c [rollback]=snap_cli.c
	[drop]=snap_cli.c [list]=snap_cli.c [run]=cmd_run.c
)

# has_opt TEXT OPT: OPT appears as a word of its own (--progress is not
# found in --no-progress).
has_opt() {
	grep -qE -- "(^|[^a-z-])$2([^a-z-]|\$)" <<<"$1"
}

# The long options of one source file: its struct option tables, or the
# "--name" strings a hand-made parser compares.
src_longs() {
	{
		grep -oE '\{ "[a-z-]+", (no|required|optional)_argument' "$SRC/$1" |
			sed -E 's/^\{ "([a-z-]+)".*/\1/'
		[ "$1" = cmd_show.c ] && grep -oE '"--[a-z-]+"' "$SRC/$1" | tr -d '"' | sed 's/^--//'
	} | sort -u
}

for cmd in $COMMANDS; do
	# The three ways to ask, each alone on stdout with status 0.
	ok=1
	for how in "$cmd --help" "$cmd -h" "help $cmd"; do
		f=$tmp/$(tr ' ' _ <<<"$how")
		# shellcheck disable=SC2086 # $how is two words on purpose
		"$CKPT" $how >"$f.out" 2>"$f.err"
		rc=$?
		if [ $rc -ne 0 ]; then
			fail "$cmd/help" "ckpt $how exits $rc"; ok=0
		elif [ -s "$f.err" ]; then
			fail "$cmd/help" "ckpt $how writes to stderr: $(head -c 200 "$f.err")"; ok=0
		elif ! head -n 1 "$f.out" | grep -q "^usage: ckpt $cmd\b"; then
			fail "$cmd/help" "ckpt $how does not start with 'usage: ckpt $cmd': $(head -n 1 "$f.out")"; ok=0
		elif [ "$(wc -l <"$f.out")" -lt 4 ]; then
			fail "$cmd/help" "ckpt $how is only the usage, no description"; ok=0
		fi
	done
	if [ $ok = 1 ]; then
		if ! cmp -s "$tmp/${cmd}_--help.out" "$tmp/${cmd}_-h.out" ||
		   ! cmp -s "$tmp/${cmd}_--help.out" "$tmp/help_${cmd}.out"; then
			fail "$cmd/help" "--help, -h and 'ckpt help $cmd' differ"
		else
			pass "$cmd/help"
		fi
	fi

	# Every option in the help; every option listed is one it takes.
	help=$(cat "$tmp/${cmd}_--help.out" 2>/dev/null)
	ok=1
	for o in ${LONG[$cmd]}; do
		has_opt "$help" "--$o" || { fail "$cmd/options" "--$o is not in its help"; ok=0; }
		# Without its value or the rest of the line the command stops at
		# a usage error (or, restore, at an empty image on stdin) before
		# any module or process is touched.
		err=$("$CKPT" "$cmd" "--$o" </dev/null 2>&1 >/dev/null)
		if grep -q "unknown option" <<<"$err"; then
			fail "$cmd/options" "--$o is listed here but ckpt $cmd refuses it: $err"; ok=0
		fi
	done
	for o in ${SHORT[$cmd]}; do
		has_opt "$help" "$o" || { fail "$cmd/options" "$o is not in its help"; ok=0; }
	done
	[ $ok = 1 ] && pass "$cmd/options"

	# A bad option: status 2, why and the usage on stderr, nothing on stdout.
	"$CKPT" "$cmd" --no-such-option >"$tmp/bad.out" 2>"$tmp/bad.err" </dev/null
	rc=$?
	if [ $rc -ne 2 ]; then
		fail "$cmd/bad-option" "exits $rc, not 2"
	elif [ -s "$tmp/bad.out" ]; then
		fail "$cmd/bad-option" "writes to stdout: $(head -c 200 "$tmp/bad.out")"
	elif ! grep -q "^ckpt: $cmd: unknown option '--no-such-option'" "$tmp/bad.err"; then
		fail "$cmd/bad-option" "stderr does not say which option: $(head -c 200 "$tmp/bad.err")"
	elif ! grep -q "^usage: ckpt $cmd\b" "$tmp/bad.err"; then
		fail "$cmd/bad-option" "no usage on stderr: $(head -c 200 "$tmp/bad.err")"
	elif ! diff <(sed -n '/^usage: /,/^$/p' "$tmp/${cmd}_--help.out" | sed '/^$/d') \
		    <(sed -n '/^usage: /,$p' "$tmp/bad.err") >/dev/null; then
		fail "$cmd/bad-option" "the usage on stderr is not the one of --help"
	else
		pass "$cmd/bad-option"
	fi
done

# The source tables hold no option that the lists above (so the help
# checks) miss.
ok=1
for f in $(printf '%s\n' "${FILE[@]}" | sort -u); do
	listed=" "
	for cmd in $COMMANDS; do
		[ "${FILE[$cmd]}" = "$f" ] && listed+="${LONG[$cmd]} "
	done
	for o in $(src_longs "$f"); do
		case $listed in
		*" $o "*) ;;
		*) fail sources "userspace/$f takes --$o, which this test does not check"; ok=0 ;;
		esac
	done
done
[ $ok = 1 ] && pass sources

# ckpt help alone is ckpt --help; an unknown command is said in words.
"$CKPT" help >"$tmp/top.out" 2>"$tmp/top.err"
rc=$?
"$CKPT" --help >"$tmp/top2.out" 2>&1
if [ $rc -ne 0 ] || [ -s "$tmp/top.err" ]; then
	fail help "ckpt help exits $rc: $(head -c 200 "$tmp/top.err")"
elif ! cmp -s "$tmp/top.out" "$tmp/top2.out"; then
	fail help "ckpt help and ckpt --help differ"
elif ! head -n 1 "$tmp/top.out" | grep -q '^usage: ckpt '; then
	fail help "ckpt help prints no usage"
else
	ok=1
	for cmd in $COMMANDS; do
		grep -qE "^  $cmd " "$tmp/top.out" || { fail help "ckpt --help does not list $cmd"; ok=0; }
	done
	[ $ok = 1 ] && pass help
fi
"$CKPT" help no-such-command >"$tmp/nosuch.out" 2>"$tmp/nosuch.err"
rc=$?
if [ $rc -ne 2 ]; then
	fail help-unknown "ckpt help no-such-command exits $rc, not 2"
elif [ -s "$tmp/nosuch.out" ]; then
	fail help-unknown "ckpt help no-such-command writes to stdout"
elif ! grep -q "no command 'no-such-command'" "$tmp/nosuch.err"; then
	fail help-unknown "does not say so: $(cat "$tmp/nosuch.err")"
else
	pass help-unknown
fi

[ $fails -eq 0 ]
