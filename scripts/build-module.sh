#!/bin/bash
# Builds toymap.ko for one kernel of the matrix into build/NAME/toymap.ko.
set -euo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPTS")
readonly SCRIPTS REPO

usage() {
	echo "usage: ${0##*/} NAME [make args, e.g. W=1 C=2]   (V=1 in the environment shows the make output)" >&2
	exit 2
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# Refresh SRC with a fresh copy of the top-level Kbuild and module/.
copy_sources() {
	local src="$1"

	[[ -f "$REPO/Kbuild" && -d "$REPO/module" ]] || die "$REPO/Kbuild or $REPO/module/ is missing"
	rm -rf "$src"
	mkdir -p "$src"
	cp -a "$REPO/Kbuild" "$REPO/module" "$src/"
}

# Run kbuild on SRC against HEADERS with the extra make args; the output goes
# to LOG, and to stdout too when VERBOSE is 1.
run_make() {
	local headers="$1" src="$2" log="$3" verbose="$4"
	shift 4
	local cmd=(make -C "$headers" M="$src" -j"$(nproc)" modules "$@")

	if [[ "$verbose" == 1 ]]; then
		"${cmd[@]}" 2>&1 | tee "$log"
	elif ! "${cmd[@]}" >"$log" 2>&1; then
		cat "$log"
		return 1
	fi
}

main() {
	local name headers out verbose=0

	[[ $# -ge 1 && "$1" != -* ]] || usage
	name="$1"
	shift
	headers=$("$SCRIPTS/kernels.sh" headers "$name")
	out="$REPO/build/$name"
	[[ "${V:-0}" == 1 || $# -gt 0 ]] && verbose=1
	copy_sources "$out/src"
	run_make "$headers" "$out/src" "$out/build.log" "$verbose" "$@" ||
		die "$name: build failed (log: $out/build.log)"
	[[ -f "$out/src/toymap.ko" ]] || die "$name: the build made no toymap.ko"
	cp "$out/src/toymap.ko" "$out/toymap.ko"
}

main "$@"
