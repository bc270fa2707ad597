#!/bin/bash
# The walk-through of `make demo`: boots one kernel of the matrix under QEMU
# with toymap.ko loaded with trace=1 (every fault logged), mode=0666 (any
# user may map the objects) and size=1G (the 1 GiB area of the chapter's
# demand-zero example), and runs scripts/demo-guest.sh there: the demos of
# CS:APP chapter 9 in order, each step with the kernel log lines of its page
# faults, then one demo again without root. Expects everything built (make
# userspace modules).
#
# Exit status: 0 every demo agrees with the chapter; 1 a demo contradicts
# it; 3 a demo could not run; 2 a usage or setup error; 124, 125 and 126 as
# scripts/vmrun.sh (timeout, panic, a splat in the kernel log).
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPTS")
readonly SCRIPTS REPO

readonly MODULE_ARGS="trace=1 mode=0666 size=1G"
readonly TIMEOUT=300
readonly EXIT_USAGE=2

usage() {
	echo "usage: ${0##*/} [KERNEL]   (default: the first kernel of scripts/kernels.conf)" >&2
	exit "$EXIT_USAGE"
}

die() {
	echo "${0##*/}: $*" >&2
	exit "$EXIT_USAGE"
}

# Print the kernel to boot: KERNEL, or the first of the matrix.
pick_kernel() {
	local names

	case "$#:${1:-}" in
	0:)
		names=$("$SCRIPTS/kernels.sh" names)
		echo "${names%%$'\n'*}"
		;;
	1:-*) usage ;;
	1:*) echo "$1" ;;
	*) usage ;;
	esac
}

# Check that what the guest runs has been built for KERNEL.
check_built() {
	local kernel="$1" file

	for file in "build/$kernel/toymap.ko" build/bin/toymapctl build/bin/demo-fault \
		build/bin/demo-demand-zero \
		build/bin/demo-shared build/bin/demo-private-cow build/bin/demo-fork \
		build/bin/demo-file build/bin/demo-swap build/bin/demo-execve build/bin/mmapcopy; do
		[[ -e "$REPO/$file" ]] || die "$file is missing: run make demo (or make userspace modules)"
	done
}

# Say what is about to happen on kernel RELEASE: the boot is silent for a
# few seconds.
print_preface() {
	local release="$1"

	cat <<-EOF
	toymap demo: CS:APP chapter 9.8 (memory mapping), run on a real Linux kernel.
	Booting Debian's $release under QEMU, loading toymap.ko with
	$MODULE_ARGS (log every fault; let any user map the objects;
	objects of 1 GiB).
	This takes about half a minute.
	EOF
}

# Boot KERNEL and run the demos; return the guest's (or vmrun's) status.
run_guest() {
	local kernel="$1"

	"$SCRIPTS/vmrun.sh" --kernel "$kernel" --module-args "$MODULE_ARGS" --timeout "$TIMEOUT" \
		-- "$SCRIPTS/demo-guest.sh" "$REPO/build/bin"
}

# Explain a STATUS that the guest's own summary does not.
explain_status() {
	local status="$1"

	case "$status" in
	0 | 1 | 3) ;;
	124) echo "${0##*/}: the guest did not finish within $TIMEOUT s" >&2 ;;
	125) echo "${0##*/}: the guest kernel panicked or died (see the log above)" >&2 ;;
	126) echo "${0##*/}: the kernel log holds a BUG or WARNING (listed above): a module bug" >&2 ;;
	*) echo "${0##*/}: the demo run failed with status $status" >&2 ;;
	esac
}

main() {
	local kernel release status=0

	kernel=$(pick_kernel "$@")
	release=$("$SCRIPTS/kernels.sh" release "$kernel") || exit "$EXIT_USAGE"
	check_built "$kernel"
	print_preface "$release"
	run_guest "$kernel" || status=$?
	explain_status "$status"
	exit "$status"
}

main "$@"
