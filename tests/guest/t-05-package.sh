#!/bin/bash
# The Debian packages, as the host installed them before the suite (make
# check: ckpt, libckpt1, libckpt-dev, ckpt-dkms): the packaged tool
# loads the DKMS-built module by name, dumps and restores with it, and a
# program built against libckpt-dev runs on libckpt1.  Without the
# packages every test here fails: make check installs them first.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zdtm.sh"

PKG_CKPT=/usr/bin/ckpt
# Only the packaged tool and the test programs: not build/bin/ckpt.
PKG_PATH=/usr/sbin:/usr/bin:/sbin:/bin:$TBIN

installed() {	# installed PATH PACKAGE: PATH is there, and PACKAGE's
	[ -e "$1" ] || { echo "FAIL: no $1: are the packages installed on the host (make deb, dpkg -i)?"; return 1; }
	[ "$(dpkg-query -S "$1" 2>/dev/null | cut -d: -f1)" = "$2" ] ||
		{ echo "FAIL: $1 is not from package $2: $(dpkg-query -S "$1" 2>&1)"; return 1; }
}

# No --module: the tool must find ckpt.ko for this kernel by name
# (libkmod, modules.dep) and that must be the DKMS build of ckpt-dkms.
check_by_name() {
	local out path
	installed "$PKG_CKPT" ckpt || return 1
	unload || { echo "FAIL: the module was loaded and does not unload"; return 1; }
	out=$("$PKG_CKPT" check 2>&1) || { echo "FAIL: $PKG_CKPT check: $out"; return 1; }
	printf '%s\n' "$out"
	mod_loaded || { echo "FAIL: ckpt is not in /proc/modules after ckpt check"; return 1; }
	path=$(modinfo -n ckpt) || { echo "FAIL: modinfo -n ckpt"; return 1; }
	echo "module: $path"
	case $path in
	/lib/modules/"$KVER"/updates/dkms/ckpt.ko*) ;;
	*) echo "FAIL: modinfo finds $path, not the DKMS build under updates/dkms"; return 1 ;;
	esac
	# The loaded module is that file, not some other ckpt.ko.
	[ "$(cat /sys/module/ckpt/srcversion)" = "$(modinfo -F srcversion ckpt)" ] ||
		{ echo "FAIL: the loaded module's srcversion is not $path's"; return 1; }
	[ "$(cat /sys/module/ckpt/version)" = "$(dpkg-query -W -f='${Version}' ckpt-dkms)" ] ||
		{ echo "FAIL: the loaded module is version $(cat /sys/module/ckpt/version), ckpt-dkms is $(dpkg-query -W -f='${Version}' ckpt-dkms)"; return 1; }
}
run_test package-check-loads-by-name check_by_name

# zdtm_run calls "ckpt" through PATH: here that is the packaged one.
dump_restore() {
	installed "$PKG_CKPT" ckpt || return 1
	mod_loaded || "$PKG_CKPT" check >/dev/null || { echo "FAIL: the module does not load"; return 1; }
	PATH=$PKG_PATH
	[ "$(type -P ckpt)" = "$PKG_CKPT" ] || { echo "FAIL: ckpt is $(type -P ckpt)"; return 1; }
	zdtm_run mem_anon kill mem_anon --wait=sleep || return 1
	zdtm_run sig live sig --wait=spin
}
run_test package-dump-restore dump_restore

# A self snapshot and rollback in a program compiled against the
# installed headers and pkg-config file, linked to the shared libckpt1.
libckpt() {
	local dir out lib want
	want=/usr/lib/$(gcc -print-multiarch)/libckpt.so.1
	installed /usr/include/ckpt.h libckpt-dev || return 1
	installed /usr/include/linux/ckpt.h libckpt-dev || return 1
	mod_loaded || "$PKG_CKPT" check >/dev/null || { echo "FAIL: the module does not load"; return 1; }
	dir=$(mktemp -d)
	cat >"$dir/self.c" <<'EOF'
#include <ckpt.h>
#include <stdio.h>

static volatile int value;

int main(void)
{
	int id, r;

	value = 1;
	r = ckpt_snapshot(&id);
	if (r < 0) {
		printf("FAIL: ckpt_snapshot: %s\n", ckpt_errmsg());
		return 1;
	}
	if (r == 1) {
		if (value != 1) {
			printf("FAIL: value is %d after the rollback, not 1\n", value);
			return 1;
		}
		if (ckpt_drop(id)) {
			printf("FAIL: ckpt_drop: %s\n", ckpt_errmsg());
			return 1;
		}
		printf("rolled back to snapshot %d\n", id);
		return 0;
	}
	value = 2;
	ckpt_rollback(id);
	printf("FAIL: ckpt_rollback returned: %s\n", ckpt_errmsg());
	return 1;
}
EOF
	# shellcheck disable=SC2046 # pkg-config's words are separate flags
	out=$(cc -Wall -Werror -o "$dir/self" "$dir/self.c" $(pkg-config --cflags --libs ckpt) 2>&1) ||
		{ echo "FAIL: building against libckpt-dev: $out"; rm -rf "$dir"; return 1; }
	lib=$(ldd "$dir/self" | awk '$1 == "libckpt.so.1" { print $3 }')
	# /lib is /usr/lib (merged /usr): the same file by either name.
	[ -n "$lib" ] && [ "$(readlink -f "$lib")" = "$(readlink -f "$want")" ] ||
		{ echo "FAIL: the program is not linked to the packaged $want: $(ldd "$dir/self")"; rm -rf "$dir"; return 1; }
	installed "$want" libckpt1 || { rm -rf "$dir"; return 1; }
	out=$("$dir/self" 2>&1)
	local rc=$?
	rm -rf "$dir"
	printf '%s\n' "$out"
	[ $rc -eq 0 ] || { echo "FAIL: the program exited with status $rc"; return 1; }
}
run_test package-libckpt libckpt

# The next file starts with the module unloaded, as after every other.
unload
