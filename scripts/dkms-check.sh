#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Proves that the tree's dkms.conf builds toymap.ko the way `sudo make install`
# has DKMS build it: `dkms build` for each kernel KERNEL... of the matrix
# (default: all) whose headers are there, in a private DKMS tree that is
# removed again (the machine's own DKMS state is not touched, except that DKMS
# makes its signing key /var/lib/dkms/mok.key on its first run, as any DKMS
# module does). A kernel installed in a debootstrap root builds in that root
# with the root's dkms. Prints one KTAP line per kernel: "ok", "not ok", or
# "ok ... # SKIP reason" for a kernel whose headers are not installed.
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPTS")
readonly SCRIPTS REPO

COUNT=0
FAILED=0
# The scratch directories, removed on exit.
SCRATCH=()

usage() {
	echo "usage: ${0##*/} [KERNEL...]   (default: every kernel of scripts/kernels.conf)" >&2
	exit 2
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

cleanup() {
	[[ ${#SCRATCH[@]} -eq 0 ]] || rm -rf "${SCRATCH[@]}"
}

result() {
	COUNT=$((COUNT + 1))
	echo "$1 $COUNT $2"
}

# dkms build for kernel NAME in a scratch tree under BASE (/ or its root).
check_kernel() {
	local name="$1" version="$2" root build release headers base tmp inner status=0 out
	local cmd=() lines=()

	root=$("$SCRIPTS/kernels.sh" root "$name")
	build=$("$SCRIPTS/kernels.sh" build "$name")
	if ! headers=$("$SCRIPTS/kernels.sh" headers "$name" 2>&1); then
		result ok "dkms build $name # SKIP its headers are not installed: ${headers#*: }"
		return
	fi
	release=$("$SCRIPTS/kernels.sh" release "$name")
	base=${root:-}
	if [[ -n "$root" && ! -x "$root/usr/sbin/dkms" ]]; then
		result ok "dkms build $name # SKIP the root $root has no dkms (scripts/deps.sh --check $name)"
		return
	fi
	tmp=$(mktemp -d "$base/tmp/toymap-dkms.XXXXXX")
	SCRATCH+=("$tmp")
	inner=${tmp#"$base"}
	mkdir -p "$tmp/src/toymap-$version" "$tmp/dkms"
	cp -a "$REPO/Kbuild" "$REPO/module" "$REPO/dkms.conf" "$tmp/src/toymap-$version/"
	cmd=(dkms build -m toymap -v "$version" -k "$release" --dkmstree "$inner/dkms" --sourcetree "$inner/src")
	# The debug kernel is no package: its tree is the headers.
	[[ -z "$build" ]] || cmd+=(--kernelsourcedir "$headers")
	[[ -z "$root" ]] || cmd=("$SCRIPTS/inroot.sh" "$root" "${cmd[@]}")
	out=$("${cmd[@]}" 2>&1) || status=$?
	if [[ $status -eq 0 ]] && compgen -G "$tmp/dkms/toymap/$version/$release/*/module/toymap.ko*" >/dev/null; then
		result ok "dkms build $name"
	else
		FAILED=$((FAILED + 1))
		result "not ok" "dkms build $name"
		mapfile -t lines <<<"$out"
		printf '# %s\n' "dkms exit $status:" "${cmd[*]}"
		printf '#   %s\n' "${lines[@]}"
	fi
}

main() {
	local version list name names=()

	[[ "${1:-}" != -* ]] || usage
	command -v dkms >/dev/null || die "dkms is missing: as root, run: apt-get install dkms"
	version=$("$SCRIPTS/install.sh" version)
	if [[ $# -gt 0 ]]; then
		names=("$@")
	else
		list=$("$SCRIPTS/kernels.sh" names)
		mapfile -t names <<<"$list"
	fi
	trap cleanup EXIT
	echo "TAP version 13"
	for name in "${names[@]}"; do
		check_kernel "$name" "$version"
	done
	echo "1..$COUNT"
	[[ $FAILED -eq 0 ]]
}

main "$@"
