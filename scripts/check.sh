#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/check.sh KERNEL...
#
# First the cold-start tests of the scripts (scripts/test-scripts.sh) and a
# DKMS build for each kernel whose headers the host has; then boots each
# kernel of the matrix, runs selftests/run.sh in it, then the lint, and prints
# a table (one row each) and the closing line "N passed, N failed".
# A failed guest (panic, timeout, splat in its kernel log) is a failure of its
# own.  Exits non-zero on any failure or on a skip that gives no reason.
# Expects everything built (make all).
set -euo pipefail
shopt -s inherit_errexit

top=$(cd "$(dirname "$0")/.." && pwd)
logs="$top/build/logs"

declare -a rows=()
total_pass=0
total_fail=0
total_skip=0
unexplained_skips=0

usage() {
	echo "usage: $0 KERNEL..." >&2
	exit 2
}

# count_ktap FILE: sets pass, fail, skip, bare_skip from the KTAP result lines.
count_ktap() {
	local file=$1
	pass=$(grep -cE '^ok [0-9]+ ' "$file" || true)
	skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$file" || true)
	bare_skip=$(grep -cE '^ok [0-9]+ .*# SKIP[[:space:]]*$' "$file" || true)
	fail=$(grep -cE '^not ok [0-9]+ ' "$file" || true)
	pass=$((pass - skip))
}

# run_kernel NAME: the selftests in one guest; appends a table row.  On the
# debug kernel the random stress runs 30 s, the guest may take longer, and
# scripts/debug-checks.sh follows them (checkers on, a kmemleak scan).
run_kernel() {
	local name=$1
	local out="$logs/check-$name.out" klog="$logs/check-$name.kernel.log"
	local start status secs note="" timeout=600 command=("$top/selftests/run.sh") build

	build=$("$top/scripts/kernels.sh" build "$name")
	if [ -n "$build" ]; then
		timeout=1500
		command=(env TOYMAP_STRESS_SECONDS=30 "$top/scripts/debug-checks.sh" -- "${command[@]}")
	fi
	echo "=== $name: booting the guest and running ${command[*]}"
	start=$(date +%s)
	set +e
	"$top/scripts/vmrun.sh" --kernel "$name" --no-module --timeout "$timeout" --log "$klog" \
		-- "${command[@]}" 2>&1 | tee "$out"
	status=${PIPESTATUS[0]}
	set -e
	secs=$(($(date +%s) - start))

	count_ktap "$out"
	if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
		# The guest failed in a way no test line reports: count it once.
		fail=1
		note="guest exit $status, see $klog"
	elif [ "$status" -ne 0 ]; then
		note="guest exit $status"
	fi
	if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then
		fail=1
		note="no test ran"
	fi
	add_row "$name" "$secs" "$note"
}

# add_row NAME SECS NOTE: a table row from pass, fail, skip and bare_skip.
add_row() {
	rows+=("$(printf '%-10s %6d %6d %7d %6ds  %s' "$1" "$pass" "$fail" "$skip" "$2" "$3")")
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	unexplained_skips=$((unexplained_skips + bare_skip))
}

# run_ktap NAME COMMAND...: a host command that prints KTAP lines, counted
# like a guest's; a failing status without a failed line counts once.
run_ktap() {
	local name=$1 out="$logs/check-$1.out" start status=0 secs note=""
	shift

	echo "=== $name: $*"
	start=$(date +%s)
	"$@" >"$out" 2>&1 || status=$?
	secs=$(($(date +%s) - start))
	grep -E '^(not )?ok |^# ' "$out" || true
	count_ktap "$out"
	if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1
		note="exit $status, see $out"
	fi
	if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ] && [ "$skip" -eq 0 ]; then
		fail=1
		note="no test ran, see $out"
	fi
	add_row "$name" "$secs" "$note"
}

# run_lint: checkpatch, sparse, W=1 and shellcheck count as one test.
run_lint() {
	local start secs status=0

	echo "=== lint"
	start=$(date +%s)
	"$top/scripts/lint.sh" "$@" || status=$?
	secs=$(($(date +%s) - start))
	if [ "$status" -eq 0 ]; then
		total_pass=$((total_pass + 1))
		rows+=("$(printf '%-10s %6d %6d %7d %6ds' lint 1 0 0 "$secs")")
	else
		total_fail=$((total_fail + 1))
		rows+=("$(printf '%-10s %6d %6d %7d %6ds  %s' lint 0 1 0 "$secs" "see above")")
	fi
}

main() {
	[ $# -ge 1 ] || usage
	mkdir -p "$logs"
	local name
	run_ktap scripts "$top/scripts/test-scripts.sh"
	run_ktap dkms "$top/scripts/dkms-check.sh" "$@"
	for name in "$@"; do
		run_kernel "$name"
	done
	run_ktap figures "$top/scripts/test-figures.sh" "$@"
	run_lint "$@"

	echo
	printf '%-10s %6s %6s %7s %7s\n' kernel passed failed skipped time
	printf '%s\n' "${rows[@]}"
	echo
	if [ "$unexplained_skips" -ne 0 ]; then
		echo "check: $unexplained_skips skipped test(s) gave no reason"
		total_fail=$((total_fail + unexplained_skips))
	fi
	echo "check: $total_pass passed, $total_fail failed, $total_skip skipped"
	[ "$total_fail" -eq 0 ]
}

main "$@"
