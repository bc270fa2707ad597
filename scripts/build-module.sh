#!/bin/bash
# Builds toymap.ko for one kernel of the matrix into build/NAME/toymap.ko.
# A kernel that lives in a debootstrap root (kernels.conf root=SUITE) is built
# inside that root, with its compiler, through scripts/inroot.sh (as root);
# build/NAME/src then holds the build tree copied back, and the messages name
# the files there, as for the other kernels.
#
# --if-present: a kernel whose headers are not there (not installed, its root
# not made, a kernel built from source not built yet) or whose root needs root
# is skipped with a line that says why, and the exit status is 0 (plain make).
# Nothing here installs or builds a kernel: scripts/deps.sh does.
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPTS")
readonly SCRIPTS REPO

usage() {
	echo "usage: ${0##*/} [--if-present] NAME [make args, e.g. W=1 C=2]   (V=1 in the environment shows the make output)" >&2
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

# Run kbuild on SRC against HEADERS with the extra make args, in ROOT when it
# is set (SRC is then the path inside ROOT, shown as SHOWN in the output); the
# output goes to LOG, and to stdout too when VERBOSE is 1.
run_make() {
	local root="$1" headers="$2" src="$3" shown="$4" log="$5" verbose="$6"
	shift 6
	local cmd=(make -C "$headers" M="$src" -j"$(nproc)" modules "$@") status=0

	[[ -z "$root" ]] || cmd=("$SCRIPTS/inroot.sh" "$root" "${cmd[@]}")
	if [[ "$verbose" == 1 ]]; then
		"${cmd[@]}" 2>&1 | sed "s|$src|$shown|g" | tee "$log" || status=$?
	else
		"${cmd[@]}" 2>&1 | sed "s|$src|$shown|g" >"$log" || status=$?
		[[ $status -eq 0 ]] || cat "$log"
	fi
	return "$status"
}

# The build directory inside the root, removed on exit.
ROOT_SRC=""

remove_root_src() {
	[[ -z "$ROOT_SRC" ]] || rm -rf "$ROOT_SRC"
}

main() {
	local name root headers out inner verbose=0 status=0 if_present=0 why

	[[ "${1:-}" != --if-present ]] || { if_present=1; shift; }
	[[ $# -ge 1 && "$1" != -* ]] || usage
	name="$1"
	shift
	root=$("$SCRIPTS/kernels.sh" root "$name")
	if [[ $if_present == 1 ]]; then
		if ! why=$("$SCRIPTS/kernels.sh" headers "$name" 2>&1 >/dev/null); then
			echo "${0##*/}: $name skipped: ${why#kernels.sh: }"
			return 0
		fi
		if [[ -n "$root" && $EUID -ne 0 ]]; then
			echo "${0##*/}: $name skipped: it is built in the root $root, as root (sudo make modules)"
			return 0
		fi
	fi
	headers=$("$SCRIPTS/kernels.sh" headers "$name")
	out="$REPO/build/$name"
	[[ "${V:-0}" == 1 || $# -gt 0 ]] && verbose=1
	copy_sources "$out/src"
	rm -f "$out/toymap.ko"
	if [[ -z "$root" ]]; then
		run_make "" "$headers" "$out/src" "$out/src" "$out/build.log" "$verbose" "$@" || status=$?
	else
		[[ $EUID -eq 0 ]] || die "$name is built in the root $root, which needs root: sudo $0 $name"
		trap remove_root_src EXIT
		ROOT_SRC=$(mktemp -d "$root/tmp/toymap-build.XXXXXX")
		inner=/tmp/${ROOT_SRC##*/}
		cp -a "$out/src/." "$ROOT_SRC/"
		run_make "$root" "$headers" "$inner" "$out/src" "$out/build.log" "$verbose" "$@" || status=$?
		cp -a "$ROOT_SRC/." "$out/src/"
	fi
	[[ $status -eq 0 ]] || die "$name: build failed (log: $out/build.log)"
	[[ -f "$out/src/toymap.ko" ]] || die "$name: the build made no toymap.ko"
	cp "$out/src/toymap.ko" "$out/toymap.ko"
}

main "$@"
