#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sudo make install / sudo make uninstall: toymap on the user's own machine.
#
#   install    registers the module's source with DKMS (/usr/src/toymap-VERSION,
#              dkms add, then dkms install for each kernel of DKMS_KERNELS whose
#              headers are there; DKMS rebuilds it for each kernel installed
#              later), installs toymapctl (sbin), mmapcopy, the demos and
#              toymap-quiz (bin) from build/bin and their man pages
#   uninstall  dkms remove --all, and removes every file install put there
#   version    print the module's version, dkms.conf's PACKAGE_VERSION
#
# Environment: PREFIX (default /usr/local), DESTDIR (a staging directory: the
# files only, no DKMS registration), DKMS_KERNELS (default: the running
# kernel). The module is not loaded at boot: see README, "On your own machine".
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPTS")
readonly SCRIPTS REPO
readonly PROGRAMS=(mmapcopy demo-fault demo-demand-zero demo-shared demo-private-cow demo-fork demo-file demo-swap
	demo-execve toymap-quiz)
readonly ADMIN_PROGRAMS=(toymapctl)
readonly MODULE_FILES=(Kbuild module dkms.conf)

usage() {
	echo "usage: ${0##*/} install | uninstall | version   (environment: PREFIX, DESTDIR, DKMS_KERNELS)" >&2
	exit 2
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

say() {
	echo "${0##*/}: $*"
}

# Print dkms.conf's PACKAGE_VERSION.
package_version() {
	local line

	line=$(grep -E '^PACKAGE_VERSION="[^"]+"$' "$REPO/dkms.conf") || die "$REPO/dkms.conf has no PACKAGE_VERSION"
	line=${line#*\"}
	echo "${line%\"}"
}

# Print the man pages, one a line.
man_pages() {
	local page

	for page in "$REPO"/man/*.[1-9]; do
		[[ -f "$page" ]] && echo "$page"
	done
	return 0
}

# The files install puts in place, as "SOURCE DEST MODE" lines.
file_list() {
	local prefix="$1" program page list

	for program in "${PROGRAMS[@]}"; do
		echo "$REPO/build/bin/$program $prefix/bin/$program 755"
	done
	for program in "${ADMIN_PROGRAMS[@]}"; do
		echo "$REPO/build/bin/$program $prefix/sbin/$program 755"
	done
	list=$(man_pages)
	for page in $list; do
		echo "$page $prefix/share/man/man${page##*.}/${page##*/} 644"
	done
}

# Fail before any change when root, dkms or a built program is missing.
check_ready() {
	local dest="$1" list line src

	if [[ -z "$dest" ]]; then
		[[ $EUID -eq 0 ]] || die "installing needs root: sudo make install"
		command -v dkms >/dev/null || die "dkms is missing: as root, run: apt-get install dkms"
	fi
	list=$(file_list /)
	while read -r src _ _; do
		[[ -f "$src" ]] || die "$src is missing: run make userspace first (as yourself)"
	done <<<"$list"
}

# Succeed when DKMS knows toymap VERSION.
dkms_has() {
	local status

	status=$(dkms status -m toymap -v "$1" 2>/dev/null || true)
	[[ -n "$status" ]]
}

# Register the module source with DKMS and build it for each kernel.
dkms_install() {
	local version="$1" src kernel kernels=() running

	src=/usr/src/toymap-$version
	if dkms_has "$version"; then
		say "replacing toymap/$version in DKMS"
		dkms remove -m toymap -v "$version" --all
	fi
	rm -rf "$src"
	mkdir -p "$src"
	cp -a "${MODULE_FILES[@]/#/"$REPO/"}" "$src/"
	dkms add -m toymap -v "$version"
	running=$(uname -r)
	read -r -a kernels <<<"${DKMS_KERNELS:-$running}"
	for kernel in "${kernels[@]}"; do
		if [[ ! -e "/lib/modules/$kernel/build" ]]; then
			say "no headers for $kernel: as root, run: apt-get install linux-headers-$kernel" \
				"(DKMS builds toymap when they are installed)"
			continue
		fi
		dkms install -m toymap -v "$version" -k "$kernel"
	done
}

install_all() {
	local prefix=${PREFIX:-/usr/local} dest=${DESTDIR:-} version list src dst mode

	version=$(package_version)
	check_ready "$dest"
	list=$(file_list "$prefix")
	while read -r src dst mode; do
		install -D -m "$mode" "$src" "$dest$dst"
	done <<<"$list"
	if [[ -n "$dest" ]]; then
		mkdir -p "$dest/usr/src/toymap-$version"
		cp -a "${MODULE_FILES[@]/#/"$REPO/"}" "$dest/usr/src/toymap-$version/"
		say "staged in $dest (no DKMS registration with DESTDIR)"
		return
	fi
	if command -v mandb >/dev/null; then
		mandb -q 2>/dev/null || true
	fi
	dkms_install "$version"
	say "installed toymap $version: toymapctl in $prefix/sbin, the demos, mmapcopy and toymap-quiz in $prefix/bin;" \
		"load it with: sudo toymapctl load (mode=0600: root only; mode=0666 for a lab)"
}

uninstall_all() {
	local prefix=${PREFIX:-/usr/local} dest=${DESTDIR:-} version list dst

	version=$(package_version)
	[[ -n "$dest" || $EUID -eq 0 ]] || die "uninstalling needs root: sudo make uninstall"
	if [[ -z "$dest" ]] && command -v dkms >/dev/null && dkms_has "$version"; then
		if grep -qw '^toymap' /proc/modules 2>/dev/null; then
			say "toymap is loaded: its files go, it stays loaded until: sudo toymapctl unload"
		fi
		dkms remove -m toymap -v "$version" --all
	fi
	rm -rf "$dest/usr/src/toymap-$version"
	list=$(file_list "$prefix")
	while read -r _ dst _; do
		rm -f "$dest$dst"
	done <<<"$list"
	say "removed toymap $version"
}

main() {
	[[ $# -eq 1 ]] || usage
	case "$1" in
	install) install_all ;;
	uninstall) uninstall_all ;;
	version) package_version ;;
	*) usage ;;
	esac
}

main "$@"
