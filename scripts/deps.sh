#!/bin/bash
# Installs every Debian package the project needs that is missing (bookworm).
set -euo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly SCRIPTS
export DEBIAN_FRONTEND=noninteractive

# Tools of the build and the test bed; the kernels come from kernels.conf.
readonly BASE_PACKAGES=(
	build-essential kmod libkmod-dev sparse dwarves shellcheck
	qemu-system-x86 busybox-static cpio xz-utils debootstrap
	linux-source-6.1
)

usage() {
	echo "usage: ${0##*/}" >&2
	exit 2
}

# Print the packages the project needs, one a line.
wanted_packages() {
	printf '%s\n' "${BASE_PACKAGES[@]}"
	"$SCRIPTS/kernels.sh" packages
}

# Print the packages of the arguments that are not installed.
missing_packages() {
	local installed

	installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
		awk '$1 == "ii" { print $2 }') || true
	printf '%s\n' "$@" | grep -vxF -f <(echo "${installed:-}") || true
}

# Install PACKAGES with apt-get, or tell a non-root user how to.
install_packages() {
	if [[ $EUID -ne 0 ]]; then
		echo "${0##*/}: missing packages; as root, run:" >&2
		echo "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $*" >&2
		exit 1
	fi
	apt-get update
	apt-get install -y "$@"
}

main() {
	local list wanted missing

	[[ $# -eq 0 ]] || usage
	list=$(wanted_packages | sort -u)
	mapfile -t wanted <<<"$list"
	list=$(missing_packages "${wanted[@]}")
	mapfile -t missing < <(grep . <<<"$list" || true)
	[[ ${#missing[@]} -eq 0 ]] && return
	echo "${0##*/}: installing ${missing[*]}" >&2
	install_packages "${missing[@]}"
}

main "$@"
