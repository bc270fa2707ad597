#!/bin/bash
# Installs every Debian package the project needs that is missing (bookworm),
# and makes the debootstrap root of each kernel of scripts/kernels.conf that
# lives in one (root=SUITE), with the packages it needs. The host's package
# sources are never changed: a root has sources of its own.
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly SCRIPTS
export DEBIAN_FRONTEND=noninteractive

# Tools of the build and the test bed; the kernels come from kernels.conf.
readonly BASE_PACKAGES=(
	build-essential kmod libkmod-dev sparse dwarves shellcheck
	qemu-system-x86 busybox-static cpio xz-utils debootstrap
	linux-source-6.1
)

# What a root needs besides its kernels' image and headers: the module build
# and its lint (sparse for C=2).
readonly ROOT_PACKAGES=(make gcc sparse)
readonly MIRROR=http://deb.debian.org/debian

usage() {
	echo "usage: ${0##*/}   (environment: TOYMAP_ROOTS, the directory of the roots)" >&2
	exit 2
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# Print the host packages the project needs, one a line.
wanted_packages() {
	printf '%s\n' "${BASE_PACKAGES[@]}"
	"$SCRIPTS/kernels.sh" packages
}

# Print the packages of the arguments that are not installed in the dpkg
# database ADMINDIR.
missing_packages() {
	local admindir="$1" installed
	shift

	installed=$(dpkg-query --admindir="$admindir" -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
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

# Install the missing host packages.
host_packages() {
	local list wanted missing

	list=$(wanted_packages | sort -u)
	mapfile -t wanted <<<"$list"
	list=$(missing_packages /var/lib/dpkg "${wanted[@]}")
	mapfile -t missing < <(grep . <<<"$list" || true)
	[[ ${#missing[@]} -eq 0 ]] && return
	echo "${0##*/}: installing ${missing[*]}" >&2
	install_packages "${missing[@]}"
}

# The root being made, removed again unless it was completed; set while
# making one.
TMP_ROOT=""

# Remove TMP_ROOT, unmounting first what a killed run left mounted in it
# (inroot.sh's /proc, debootstrap's /proc and /sys); never cross into a file
# system still mounted there.
remove_tmp_root() {
	local mounts mnt

	[[ -n "$TMP_ROOT" && -d "$TMP_ROOT" ]] || return 0
	mounts=$(findmnt -rn -o TARGET | grep -F "$TMP_ROOT/" | sort -r || true)
	for mnt in $mounts; do
		umount "$mnt" 2>/dev/null || umount -l "$mnt" || true
	done
	mounts=$(findmnt -rn -o TARGET | grep -F "$TMP_ROOT/" || true)
	if [[ -n "$mounts" ]]; then
		echo "${0##*/}: $TMP_ROOT still has mounts: left in place, remove it by hand" >&2
		return 0
	fi
	echo "${0##*/}: removing the unfinished root $TMP_ROOT" >&2
	rm -rf --one-file-system "$TMP_ROOT"
	TMP_ROOT=""
}

# Write the package sources of root DIR of SUITE: the release, its updates and
# its backports (the one-line format takes one suite a line).
write_sources() {
	local dir="$1" suite="$2" s

	for s in "$suite" "$suite-updates" "$suite-backports"; do
		echo "deb $MIRROR $s main"
	done >"$dir/etc/apt/sources.list"
	rm -f "$dir/etc/apt/sources.list.d/debian.sources"
}

# Install PACKAGES into root DIR of SUITE, the kernels from its backports.
root_install() {
	local dir="$1" suite="$2"
	shift 2

	"$SCRIPTS/inroot.sh" "$dir" apt-get update
	"$SCRIPTS/inroot.sh" "$dir" apt-get install -y --no-install-recommends -t "$suite-backports" "$@"
}

# Make root DIR of SUITE with PACKAGES: in a temporary directory beside it,
# renamed into place only when complete.
create_root() {
	local dir="$1" suite="$2" start stale missing
	shift 2

	start=$SECONDS
	# A run killed before its cleanup left its unfinished root: remove it.
	for stale in "$dir".tmp.*; do
		[[ -d "$stale" ]] || continue
		TMP_ROOT=$stale
		remove_tmp_root
	done
	TMP_ROOT=$(mktemp -d "$dir.tmp.XXXXXX")
	chmod 755 "$TMP_ROOT"
	echo "${0##*/}: making the $suite root $dir (debootstrap, then apt-get; a few minutes)" >&2
	debootstrap --variant=minbase "$suite" "$TMP_ROOT" "$MIRROR"
	echo "${0##*/}: debootstrap took $((SECONDS - start)) s" >&2
	write_sources "$TMP_ROOT" "$suite"
	# The image's postinst runs dracut, which fails in a chroot and says so:
	# harmless, vmrun.sh makes its own initramfs.
	root_install "$TMP_ROOT" "$suite" "$@"
	missing=$(missing_packages "$TMP_ROOT/var/lib/dpkg" "$@")
	[[ -z "$missing" ]] || die "the $suite root lacks $(xargs <<<"$missing") after apt-get"
	"$SCRIPTS/inroot.sh" "$TMP_ROOT" apt-get clean
	mv -T "$TMP_ROOT" "$dir"
	TMP_ROOT=""
	echo "${0##*/}: the $suite root is ready in $((SECONDS - start)) s" >&2
}

# Give root DIR of SUITE the PACKAGES it lacks, making it if it is missing.
ensure_root() {
	local dir="$1" suite="$2" list missing
	shift 2

	if [[ -d "$dir" ]]; then
		list=$(missing_packages "$dir/var/lib/dpkg" "$@")
		mapfile -t missing < <(grep . <<<"$list" || true)
		[[ ${#missing[@]} -eq 0 ]] && return
	fi
	[[ $EUID -eq 0 ]] || die "the $suite root $dir is missing or incomplete; as root, run: $0"
	mkdir -p "$(dirname "$dir")"
	# One maker per root; the lock file stays beside it.
	exec 8>"$dir.lock"
	flock 8
	if [[ ! -d "$dir" ]]; then
		create_root "$dir" "$suite" "$@"
	else
		# Complete an existing root in place; its kernel stays as it is.
		list=$(missing_packages "$dir/var/lib/dpkg" "$@")
		mapfile -t missing < <(grep . <<<"$list" || true)
		if [[ ${#missing[@]} -gt 0 ]]; then
			echo "${0##*/}: installing ${missing[*]} in the $suite root $dir" >&2
			"$SCRIPTS/inroot.sh" "$dir" dpkg --configure -a
			root_install "$dir" "$suite" "${missing[@]}"
			"$SCRIPTS/inroot.sh" "$dir" apt-get clean
		fi
	fi
	exec 8>&-
}

# Build the kernels of the matrix that are built from source (build=debug):
# only the first run pays, later ones find them in the cache.
built_kernels() {
	local list names name

	list=$("$SCRIPTS/kernels.sh" names)
	mapfile -t names <<<"$list"
	for name in "${names[@]}"; do
		[[ -n "$("$SCRIPTS/kernels.sh" build "$name")" ]] || continue
		"$SCRIPTS/debug-kernel.sh" build >/dev/null
	done
}

# Make or complete every root of the matrix.
roots() {
	local list lines line dir suite packages

	list=$("$SCRIPTS/kernels.sh" roots)
	mapfile -t lines < <(grep . <<<"$list" || true)
	for line in "${lines[@]}"; do
		read -r dir suite packages <<<"$line"
		# shellcheck disable=SC2086 # a list of package names
		ensure_root "$dir" "$suite" $packages "${ROOT_PACKAGES[@]}"
	done
}

main() {
	[[ $# -eq 0 ]] || usage
	trap remove_tmp_root EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	host_packages
	roots
	built_kernels
}

main "$@"
