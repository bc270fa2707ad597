#!/bin/bash
# Runs COMMAND inside the debootstrap root ROOT (made by scripts/deps.sh), as
# root, with the host's /proc bind-mounted on ROOT/proc for its duration (apt's
# maintainer scripts and the kernel's objtool need it) and a clean environment.
# /proc is unmounted again however the command ends; one run at a time holds
# the root, so a run never loses /proc under it. Exits with COMMAND's status.
set -euo pipefail
shopt -s inherit_errexit

readonly ROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

usage() {
	echo "usage: ${0##*/} ROOT COMMAND [ARGS...]" >&2
	exit 2
}

die() {
	echo "${0##*/}: $*" >&2
	exit 2
}

MOUNTED=""

unmount_proc() {
	[[ -z "$MOUNTED" ]] || umount "$MOUNTED" || umount -l "$MOUNTED"
	MOUNTED=""
}

main() {
	local root status=0

	[[ $# -ge 2 ]] || usage
	[[ $EUID -eq 0 ]] || die "chroot needs root"
	root=$(cd "$1" 2>/dev/null && pwd -P) || die "$1: no such directory"
	shift
	[[ "$root" != / && -d "$root/proc" && -x "$root/usr/bin/env" ]] || die "$root is not a Debian root"
	# One run per root: another run's exit would unmount /proc under this one.
	exec 9<"$root"
	flock 9
	trap unmount_proc EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if ! mountpoint -q "$root/proc"; then
		mount --bind /proc "$root/proc"
		MOUNTED="$root/proc"
	fi
	chroot "$root" /usr/bin/env -i PATH="$ROOT_PATH" HOME=/root LC_ALL=C \
		DEBIAN_FRONTEND=noninteractive "$@" || status=$?
	unmount_proc
	exit "$status"
}

main "$@"
