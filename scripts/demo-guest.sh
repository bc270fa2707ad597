#!/bin/bash
# The guest side of scripts/demo.sh: runs inside a scripts/vmrun.sh guest, as
# root, with toymap.ko loaded with trace=1 mode=0666 size=1G. Runs the
# chapter's demos in order (each shows its steps' own kernel log lines), then
# mmapcopy on a file compared with the original, followed by the kernel log
# lines of its page faults, then demo-private-cow again as the unprivileged
# user nobody, and closes with one summary line per run. Files the demos write
# go to /tmp (a tmpfs in the guest). With --figures DIR, each demo run as root
# also writes its figures there, DIR/NAME/step-NN.dot (--dot: scripts/demo.sh
# renders them on the host, where dot runs some forty times faster than under
# TCG), and its output to DIR/NAME/output.txt; DIR/demos.txt lists the demos
# in order.
#
# Exit status: 0 every run agrees with the chapter; 1 a run contradicts it;
# 3 a run could not run (and none contradicts); 2 a usage or setup error.
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPTS")
readonly SCRIPTS REPO

# The chapter's order: CS:APP 9.7.2 (Figure 9.28), 9.8, 9.8.1 (Figures 9.29
# and 9.30), 9.8.2; then file-backed areas (9.8), swapping (9.3.4), execve
# (9.8.3, Figure 9.31).
readonly DEMOS=(demo-fault demo-demand-zero demo-shared demo-private-cow demo-fork
	demo-file demo-swap demo-execve)
# CS:APP 9.8.4, Practice Problem 9.5: mmapcopy copies this file to stdout.
readonly MMAPCOPY_FILE=/etc/os-release
# Run once more without root, to show what a student's account sees.
readonly UNPRIVILEGED_DEMO=demo-private-cow
readonly NOBODY_UID=65534
# Kernel log lines shown per run; the rest are counted.
readonly MAX_LOG_LINES=50
readonly RULE="------------------------------------------------------------------------"

readonly EXIT_OK=0 EXIT_CONTRADICTION=1 EXIT_USAGE=2 EXIT_CANNOT_RUN=3

usage() {
	echo "usage: ${0##*/} [--figures DIR] [BINDIR]" \
		"  (default $REPO/build/bin; run by scripts/demo.sh)" >&2
	exit "$EXIT_USAGE"
}

die() {
	echo "${0##*/}: $*" >&2
	exit "$EXIT_USAGE"
}

# Check that we are root in a guest where the demos can run and the module
# logs its faults.
check_setup() {
	local bindir="$1" demo trace

	[[ "$(id -u)" == 0 ]] || die "must run as root (the guest of scripts/vmrun.sh)"
	[[ -w /dev/kmsg ]] || die "/dev/kmsg is not writable"
	for demo in "${DEMOS[@]}" mmapcopy; do
		[[ -x "$bindir/$demo" ]] || die "$bindir/$demo is missing: make userspace"
	done
	trace=$(cat /sys/module/toymap/parameters/trace 2>/dev/null) ||
		die "toymap is not loaded"
	[[ "$trace" == Y ]] || die "toymap is loaded without trace=1"
	command -v setpriv >/dev/null || die "setpriv (util-linux) is missing"
}

# Say once how to read the demos' steps and the kernel log lines in them.
print_legend() {
	cat <<-EOF

	How to read this run
	Each demo tells its story in steps. A step shows the evidence first: a
	table (process, area, virtual address, the frame behind it, the page's
	first bytes), what changed in the object's counters, and the lines the
	module wrote to the kernel log (trace=1) during the step. Then what it
	means, and the checks against the chapter ("ok:"). A log line such as

	  toymap0: pid 812 (process 1) va 0x7f3a1c000000 pgoff 0 read shared:
	      zero-fill

	is a page fault of process 812 ("process 1" in the demo's table): it read
	virtual address 0x7f3a1c000000, which had no page table entry, so the
	kernel asked the module for page 0 (pgoff) of the object /dev/toymap0
	through a MAP_SHARED area. What the module did, after the colon:
	  zero-fill      the object had no such page: a new frame, filled with zeros
	  file-read      the object had no such page: a new frame, filled from the
	                 file attached to the object (a file-backed area)
	  swap-in        the page had been evicted to the swap file: read back
	  resident       the object had the page already: mapped as it is
	  cow-by-kernel  a write to a private area: the kernel copies the page for
	                 the writer; the object's page stays as it was
	  fault-around   a read fault first maps pages already resident near the
	                 address; if it "found nothing", .fault is called next
	  page_mkwrite   the first write to a shared page: the module marks it dirty
	  discard        not a fault: the demo freed pages, so they start demand-zero
	Lines without a va are no faults either: attach and detach of a file,
	evict, a write-back of a dirty page to the file, a swap-out to the swap file.
	One fault can take two lines: fault-around that found nothing, then .fault;
	or, on a write to a shared area, .fault then page_mkwrite.
	Faults the kernel handles alone, such as the copy of a private page that is
	already mapped read-only, never reach the module, so they have no line.
	EOF
}

# Print a banner for run NUMBER of TOTAL.
print_banner() {
	local number="$1" total="$2" what="$3"

	printf '\n%s\n%s\n%s\n\n' "$RULE" "make demo, part $number of $total: $what" "$RULE"
}

# Write a unique MARKER to the kernel log, so that the lines after it are
# those of the run that follows.
mark_log() {
	echo "$1" >/dev/kmsg
}

# Print the module's lines logged after MARKER: at most MAX_LOG_LINES, and
# how many more there were.
print_fault_log() {
	local marker="$1" lines count

	lines=$(dmesg --notime | awk -v marker="$marker" '
		seen && /^toymap[0-9]+: / { print }
		$0 == marker { seen = 1 }')
	echo
	echo "Its kernel log, one line per call into the module on a page fault: process,"
	echo "virtual address (va), page of the object (pgoff), and what the module did."
	if [[ -z "$lines" ]]; then
		echo "  (none)"
		return
	fi
	count=$(wc -l <<<"$lines")
	head -n "$MAX_LOG_LINES" <<<"$lines" | fold -s -w 76 | sed 's/^/  /'
	if ((count > MAX_LOG_LINES)); then
		echo "  ... and $((count - MAX_LOG_LINES)) more (dmesg has them all)"
	fi
}

# Run COMMAND as run NUMBER; return its exit status. A demo prints the
# kernel log lines of each step itself.
run_demo() {
	local number="$1" status=0

	shift
	mark_log "toymap-demo: run $number begins"
	"$@" || status=$?
	return "$status"
}

# Run demo NAME of BINDIR as run NUMBER; with FIGDIR, write its figures (DOT)
# and a copy of its output to FIGDIR/NAME. Return its exit status.
run_figured_demo() {
	local number="$1" bindir="$2" name="$3" figdir="$4" status

	if [[ -z "$figdir" ]]; then
		run_demo "$number" "$bindir/$name"
		return
	fi
	mkdir -p "$figdir/$name"
	echo "$name" >>"$figdir/demos.txt"
	set +e
	run_demo "$number" "$bindir/$name" --dot "$figdir/$name" | tee "$figdir/$name/output.txt"
	status=${PIPESTATUS[0]}
	set -e
	return "$status"
}

# Run COMMAND as run NUMBER, then show its kernel log lines; return its
# exit status.
run_logged() {
	local number="$1" status=0
	local marker="toymap-demo: run $1 begins"

	shift
	mark_log "$marker"
	"$@" || status=$?
	print_fault_log "$marker"
	return "$status"
}

# Copy MMAPCOPY_FILE to stdout with BINDIR/mmapcopy, show the copy and
# compare it with the original. Exit status as a demo's.
run_mmapcopy() {
	local bindir="$1" status=0 bytes

	echo "mmapcopy (CS:APP 9.8.4, Practice Problem 9.5) copies a file to stdout without"
	echo "read(): it attaches the file to /dev/toymap0, maps the object MAP_PRIVATE and"
	echo "PROT_READ, and write()s the area to stdout. Each page is read from the file"
	echo "when write() first touches it."
	echo
	echo "\$ mmapcopy $MMAPCOPY_FILE"
	"$bindir/mmapcopy" "$MMAPCOPY_FILE" | sed 's/^/  /' || status=$?
	if ((status != 0)); then
		echo "mmapcopy failed with status $status"
		return "$EXIT_CANNOT_RUN"
	fi
	echo "\$ mmapcopy $MMAPCOPY_FILE | cmp - $MMAPCOPY_FILE"
	"$bindir/mmapcopy" "$MMAPCOPY_FILE" | cmp - "$MMAPCOPY_FILE" || status=$?
	if ((status == 0)); then
		bytes=$(stat -L -c %s "$MMAPCOPY_FILE")
		echo "  ok: the copy is byte for byte the file ($bytes bytes)"
	else
		echo "  CONTRADICTION: the copy differs from the file (status $status)"
		status=$EXIT_CONTRADICTION
	fi
	return "$status"
}

# Print "NAME: ok" or what went wrong, from a demo's exit STATUS.
print_verdict() {
	local name="$1" status="$2"

	case "$status" in
	"$EXIT_OK") printf '  %-40s ok\n' "$name" ;;
	"$EXIT_CONTRADICTION") printf '  %-40s CONTRADICTION (see its output)\n' "$name" ;;
	"$EXIT_CANNOT_RUN") printf '  %-40s could not run (see its output)\n' "$name" ;;
	*) printf '  %-40s failed with status %s\n' "$name" "$status" ;;
	esac
}

# Print the closing summary of RESULTS ("name=status" words) and return
# the exit status of the whole run.
print_summary() {
	local item worst="$EXIT_OK" failed=0

	printf '\n%s\nSummary: does what each demo saw agree with CS:APP chapter 9?\n' "$RULE"
	for item in "$@"; do
		print_verdict "${item%=*}" "${item##*=}"
		case "${item##*=}" in
		"$EXIT_OK") continue ;;
		"$EXIT_CONTRADICTION") worst=$EXIT_CONTRADICTION ;;
		*) [[ "$worst" == "$EXIT_CONTRADICTION" ]] || worst=$EXIT_CANNOT_RUN ;;
		esac
		failed=$((failed + 1))
	done
	if ((failed == 0)); then
		echo "All $# runs agree with the chapter."
	else
		echo "$failed of $# runs did not end ok: read their output above."
	fi
	return "$worst"
}

main() {
	local bindir results=() total number=0 demo status figdir=""

	if [[ "${1:-}" == --figures ]]; then
		[[ $# -ge 2 ]] || usage
		figdir="$2"
		shift 2
		rm -f "$figdir/demos.txt"
	fi
	[[ $# -le 1 && "${1:-}" != -* ]] || usage
	bindir="${1:-$REPO/build/bin}"
	check_setup "$bindir"
	total=$((${#DEMOS[@]} + 2))
	print_legend
	for demo in "${DEMOS[@]}"; do
		number=$((number + 1))
		print_banner "$number" "$total" "${bindir#"$REPO"/}/$demo, as root"
		status=0
		run_figured_demo "$number" "$bindir" "$demo" "$figdir" || status=$?
		results+=("$demo (as root)=$status")
	done

	number=$((number + 1))
	print_banner "$number" "$total" "${bindir#"$REPO"/}/mmapcopy $MMAPCOPY_FILE, as root"
	status=0
	run_logged "$number" run_mmapcopy "$bindir" || status=$?
	results+=("mmapcopy $MMAPCOPY_FILE=$status")

	number=$((number + 1))
	print_banner "$number" "$total" \
		"${bindir#"$REPO"/}/$UNPRIVILEGED_DEMO again, as user nobody"
	echo "A student's own account: no root. The module was loaded with mode=0666, so"
	echo "anyone may open and map /dev/toymap0; but /proc/self/pagemap now hides the"
	echo "frame numbers, so the demo compares frames by the module's frame identities"
	echo "(TOYMAP_IOC_LOOKUP), and the kernel log is root's: its lines are not shown."
	echo
	status=0
	run_demo "$number" setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_UID" --clear-groups \
		-- "$bindir/$UNPRIVILEGED_DEMO" || status=$?
	results+=("$UNPRIVILEGED_DEMO (as nobody)=$status")

	print_summary "${results[@]}"
}

main "$@"
