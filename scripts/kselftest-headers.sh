#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Puts the kselftest harness (kselftest.h, kselftest_harness.h) that the
# selftests compile against into DIR, unless it is there already. They are not
# kept in the repository; they come from the first of:
#   the running kernel's source tree  /lib/modules/$(uname -r)/{source,build}
#   Debian's linux-source-6.1          /usr/src/linux-source-6.1.tar.xz
#                                      (the test bed's own, read once, ~10 s)
#   a kernel tree in /usr/src          /usr/src/linux-*/tools/testing/selftests
# and when none holds them, it says what to install and exits 1.
set -euo pipefail
shopt -s inherit_errexit

readonly HEADERS=(kselftest.h kselftest_harness.h)
readonly SUBDIR=tools/testing/selftests
readonly SOURCE_TARBALL=/usr/src/linux-source-6.1.tar.xz

usage() {
	echo "usage: ${0##*/} DIR" >&2
	exit 2
}

# Copy the headers from source tree TREE into DIR if it has both.
from_tree() {
	local tree="$1" dir="$2" header

	for header in "${HEADERS[@]}"; do
		[[ -f "$tree/$SUBDIR/$header" ]] || return 1
	done
	mkdir -p "$dir"
	for header in "${HEADERS[@]}"; do
		cp "$tree/$SUBDIR/$header" "$dir/"
	done
	echo "${0##*/}: kselftest headers from $tree"
}

# Extract the headers from Debian's linux-source-6.1 into DIR.
from_tarball() {
	local dir="$1" top=linux-source-6.1 header members=()

	[[ -r "$SOURCE_TARBALL" ]] || return 1
	for header in "${HEADERS[@]}"; do
		members+=("$top/$SUBDIR/$header")
	done
	mkdir -p "$dir"
	tar -xJf "$SOURCE_TARBALL" -C "$dir" --strip-components=4 "${members[@]}"
	touch "${HEADERS[@]/#/"$dir/"}"
	echo "${0##*/}: kselftest headers from $SOURCE_TARBALL"
}

main() {
	local dir tree release

	[[ $# -eq 1 && "$1" != -* ]] || usage
	dir="$1"
	[[ ! -f "$dir/kselftest.h" || ! -f "$dir/kselftest_harness.h" ]] || return 0
	release=$(uname -r)
	for tree in "/lib/modules/$release/source" "/lib/modules/$release/build"; do
		from_tree "$tree" "$dir" && return 0
	done
	from_tarball "$dir" && return 0
	for tree in /usr/src/linux-*/; do
		[[ -d "$tree" ]] || continue
		from_tree "${tree%/}" "$dir" && return 0
	done
	echo "${0##*/}: the selftests need the kselftest headers (kselftest_harness.h) of a kernel source tree;" \
		"none found in /lib/modules/$release/source or /usr/src." >&2
	echo "${0##*/}: on Debian or Ubuntu, as root: apt-get install linux-source-6.1 (or linux-source);" \
		"elsewhere, install your kernel's source package, or unpack a kernel tree in /usr/src" >&2
	exit 1
}

main "$@"
