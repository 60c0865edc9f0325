#!/bin/bash
# Print the kernels the VM tests run on, one per line, 6.1 first then 6.12:
# the newest installed Debian 12 6.1.0-N-amd64 and 6.12.N+deb12-amd64 images
# (not -rt/-cloud flavours) that have both /boot/vmlinuz-KVER and
# /lib/modules/KVER.  Exits 1 with a message if either series is missing
# (still printing the one that was found; run.sh relies on that).
set -euo pipefail

rc=0
for series in '6\.1\.0-[0-9]+-amd64' '6\.12\.[0-9]+\+deb12-amd64'; do
	found=$(
		for f in /boot/vmlinuz-*; do
			v=${f#/boot/vmlinuz-}
			if [[ $v =~ ^${series}$ ]] && [ -d "/lib/modules/$v" ]; then echo "$v"; fi
		done | sort -V | tail -n 1
	)
	if [ -n "$found" ]; then
		echo "$found"
	else
		echo "kernels.sh: no installed kernel matching $series (need /boot/vmlinuz-* and /lib/modules/*)" >&2
		rc=1
	fi
done
exit "$rc"
