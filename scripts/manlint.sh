#!/bin/bash
# The manual pages (man/), as `make check` tests them:
#  - installed with `make install-man` into a scratch tree, then every page
#    there, read from the tree's root as man(1) reads it (so that a ".so
#    man3/ckpt_snapshot.3" link resolves), must give no word from
#    `mandoc -Tlint -Wwarning` nor from `groff -ww -z -mandoc`;
#  - nothing the tool and the library offer may go undocumented: every
#    command `ckpt --help` lists and every long option of userspace/*.c
#    in ckpt.8, every function of userspace/lib/ckpt.h with a page of its
#    name that names it.
# Prints what is wrong, page by page; exits non-zero if anything is.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
CKPT=$TOP/build/bin/ckpt
bad=0

say() { echo "manlint: $*"; bad=1; }

for t in mandoc groff; do
	command -v "$t" >/dev/null || { echo "manlint: $t is not installed (make deps)"; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
if ! out=$(make -s -C "$TOP" install-man DESTDIR="$stage" MANDIR=/man 2>&1); then
	echo "manlint: make install-man failed:"
	echo "$out"
	exit 1
fi
cd "$stage/man" || exit 1
pages=(man*/*)
[ ${#pages[@]} -gt 1 ] && [ -e "${pages[0]}" ] || { echo "manlint: install-man installed no page"; exit 1; }

# check PAGE TOOL ARGS...: TOOL must say nothing and exit 0.  The one
# exception: mandoc's advice against .so itself, on a link page, which is
# a .so on purpose (and checked below); its status is then that advice's.
check() {
	local p=$1 out rc
	shift
	out=$("$@" "$p" 2>&1)
	rc=$?
	if [ "$1" = mandoc ] && grep -q '^\.so ' "$p"; then
		out=$(printf '%s\n' "$out" | grep -v ': WARNING: \.so is fragile, better use ln(1): so ')
		[ -n "$out" ] || [ $rc -gt 2 ] || rc=0
	fi
	[ -n "$out" ] || [ $rc -eq 0 ] || out="exit status $rc"
	[ -z "$out" ] || say "$p: $1:"$'\n'"$out"
}

for p in "${pages[@]}"; do
	check "$p" mandoc -Tlint -Wwarning
	check "$p" groff -ww -z -mandoc
done

# A page that is a link is that one line, to a page that exists.
for p in man3/*.3; do
	if grep -q '^\.so' "$p"; then
		tgt=$(sed -n 's/^\.so //p' "$p")
		[ "$(wc -l <"$p")" -eq 1 ] || say "$p: a .so link must be that line alone"
		[ -f "$tgt" ] && ! grep -q '^\.so' "$tgt" ||
			say "$p: links to $tgt, which is not an installed page"
	fi
done

# Every function of the library: its own page, whose target names it.
fns=$(sed -nE 's/^[a-z][a-z_ ]*[ *](ckpt_[a-z0-9_]+)\(.*/\1/p' "$TOP/userspace/lib/ckpt.h")
[ -n "$fns" ] || say "found no function in userspace/lib/ckpt.h"
for f in $fns; do
	p=man3/$f.3
	if [ ! -f "$p" ]; then
		say "$f (userspace/lib/ckpt.h) has no page: add man/$f.3"
		continue
	fi
	tgt=$(sed -n 's/^\.so //p' "$p")
	grep -qE "^\.Nm $f( ,)?$" "${tgt:-$p}" ||
		say "$f: ${tgt:-$p} does not name it in NAME (.Nm $f)"
done

# Every command and long option of the tool, in ckpt.8.
if [ ! -x "$CKPT" ]; then
	say "$CKPT is missing: build it first (make userspace)"
else
	cmds=$("$CKPT" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
	[ -n "$cmds" ] || say "ckpt --help lists no command"
	for c in $cmds help; do
		grep -qE "^\.It Cm $c( |$)" man8/ckpt.8 ||
			say "ckpt.8 does not describe the command '$c' (.It Cm $c)"
	done
	opts=$(cat "$TOP"/userspace/*.c |
		sed -nE 's/.*\{ *"([a-z][a-z0-9-]*)", *(no|required|optional)_argument.*/\1/p' | sort -u)
	[ -n "$opts" ] || say "found no long option in userspace/*.c"
	for o in $opts module version; do
		grep -qE "Fl -$o( |$)|\| -$o( |$)" man8/ckpt.8 ||
			say "ckpt.8 does not document --$o"
	done
fi

[ $bad -eq 0 ] && echo "manlint: ${#pages[@]} pages clean"
exit $bad
