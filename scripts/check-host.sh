#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: sudo scripts/check-host.sh
#
# The selftests on this machine's running kernel, no VM: builds toymap.ko
# against /lib/modules/$(uname -r)/build into build/host/, then runs
# selftests/run.sh with it (which loads, tests, checks the kernel log and
# unloads).  Needs root and the running kernel's headers package.
set -euo pipefail
shopt -s inherit_errexit

top=$(cd "$(dirname "$0")/.." && pwd)
headers=/lib/modules/$(uname -r)/build

die() {
	echo "check-host: $*" >&2
	exit 1
}

# build_module: toymap.ko for the running kernel, in build/host/.
build_module() {
	local src="$top/build/host/src"

	[ -d "$headers" ] || die "no headers for $(uname -r): apt-get install linux-headers-$(uname -r)"
	rm -rf "$src"
	mkdir -p "$src"
	cp -a "$top/Kbuild" "$top/module" "$src/"
	make -C "$headers" M="$src" modules >"$top/build/host/build.log" 2>&1 ||
		{ cat "$top/build/host/build.log"; die "module build failed"; }
	cp "$src/toymap.ko" "$top/build/host/toymap.ko"
}

main() {
	[ $# -eq 0 ] || { echo "usage: sudo $0" >&2; exit 2; }
	[ "$(id -u)" -eq 0 ] || die "needs root: sudo $0"
	if grep -qw '^toymap' /proc/modules 2>/dev/null; then
		die "toymap is loaded already: unload it first (build/bin/toymapctl unload)"
	fi
	build_module
	TOYMAP_KO="$top/build/host/toymap.ko" "$top/selftests/run.sh"
}

main "$@"
