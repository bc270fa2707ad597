#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/debug-checks.sh [-- COMMAND [ARG...]]
#
# In a guest of scripts/vmrun.sh on the debug kernel of scripts/debug-kernel.sh,
# as root: runs COMMAND if one is given (e.g. selftests/run.sh, which leaves
# the module unloaded), its output passed through, then two checks:
#   - the checkers were on all along, so that a clean run means something:
#     the kernel was built with the fragment's KASAN, lockdep, KFENCE,
#     kmemleak and fault injection (/proc/config.gz), KASAN and KFENCE are not
#     switched off on the command line, lockdep is still live (debug_locks 1:
#     lockdep switches itself off after its first report), KFENCE is enabled;
#   - a kmemleak scan, every suspected leak printed.  A leak involves toymap
#     when its report names toymap (a backtrace frame "[toymap]", or an
#     allocation by a process "toymap...") or has a frame in code that is
#     gone: an address kallsyms cannot name is in a module unloaded since,
#     and toymap is the only module the test bed loads.
#
# The verdicts are KTAP lines, numbered after COMMAND's result lines:
#   ok N debug checkers: KASAN, lockdep, KFENCE, kmemleak, fault injection on
#   ok N+1 kmemleak: no suspected leak involves toymap
#   (or "not ok ..." saying why; "ok ... # SKIP" on a kernel without kmemleak)
# and when COMMAND printed a KTAP plan ("1..M", as selftests/run.sh does last),
# the plan moves after them and counts them.
# Exit status: COMMAND's if it failed, else 1 when a check failed, 4
# (kselftest's skip) when the kernel has no kmemleak and there is no COMMAND,
# else 0.
set -euo pipefail
shopt -s inherit_errexit

readonly KMEMLEAK=/sys/kernel/debug/kmemleak
# kmemleak reports only objects older than this at the scan (MSECS_MIN_AGE).
readonly MIN_AGE_SECONDS=5
readonly KSFT_SKIP=4
# What the debug kernel must have been built with, and running.
readonly CHECKERS=(KASAN PROVE_LOCKING KFENCE DEBUG_KMEMLEAK FAILSLAB FAIL_PAGE_ALLOC)
readonly KFENCE_STATS=/sys/kernel/debug/kfence/stats

usage() {
	echo "usage: ${0##*/} [-- COMMAND [ARG...]]   (as root, in a guest with kmemleak)" >&2
	exit 2
}

# Scan twice, the first after the minimum age: a pointer that was stale in
# a register or on a stack during one scan does not make a report.
scan() {
	sleep "$MIN_AGE_SECONDS"
	echo scan >"$KMEMLEAK" && echo scan >"$KMEMLEAK"
}

# Print the reports of FILE, each line behind "# ", and a last line
# "TOTAL INVOLVING": the number of reports and of those involving toymap.
read_reports() {
	awk '
	function close_report() {
		if (!in_report)
			return
		total++
		if (involves)
			bad++
		printf "# kmemleak: report %d%s\n", total, involves ? " (involves toymap)" : ""
		printf "%s", text
		in_report = 0
	}
	/^unreferenced object / { close_report(); in_report = 1; involves = 0; text = "" }
	in_report {
		text = text "#   " $0 "\n"
		if (tolower($0) ~ /toymap/)
			involves = 1
		# A backtrace frame kallsyms could not name: "[<...>] 0xffffffffc0123456".
		if ($0 ~ /^ +\[<[^>]*>\] 0x[0-9a-f]+$/)
			involves = 1
	}
	END { close_report(); print total + 0, bad + 0 }' "$1"
}

# checkers_on: print why a checker is off, one reason a line; nothing when all are on.
checkers_on() {
	local config option

	if ! config=$(zcat /proc/config.gz 2>/dev/null); then
		echo "no /proc/config.gz: not the debug kernel (CONFIG_IKCONFIG_PROC)"
		return
	fi
	for option in "${CHECKERS[@]}"; do
		grep -qx "CONFIG_$option=y" <<<"$config" || echo "CONFIG_$option is not set"
	done
	grep -qwE 'kasan=off|kfence.sample_interval=0' /proc/cmdline &&
		echo "switched off on the command line: $(cat /proc/cmdline)"
	grep -qE '^ *debug_locks: *1$' /proc/lockdep_stats 2>/dev/null ||
		echo "lockdep is off (debug_locks is not 1 in /proc/lockdep_stats): it stops after its first report"
	grep -qE '^enabled: *1$' "$KFENCE_STATS" 2>/dev/null || echo "KFENCE is not enabled ($KFENCE_STATS)"
	[[ -d /sys/kernel/debug/fail_page_alloc && -d /sys/kernel/debug/failslab ]] ||
		echo "no fault injection in debugfs"
}

main() {
	local status=0 out="" number=0 plan="" reports summary total involving start why line

	if [[ $# -gt 0 ]]; then
		[[ "$1" == -- && $# -ge 2 ]] || usage
		shift
		out=$(mktemp)
		# shellcheck disable=SC2064 # remove this very file
		trap "rm -f '$out'" EXIT
		set +e
		"$@" 2>&1 | tee "$out" | awk '/^1\.\.[0-9]+$/ { next } { print; fflush() }'
		status=${PIPESTATUS[0]}
		set -e
		number=$(grep -cE '^(not )?ok [0-9]+ ' "$out" || true)
		grep -qE '^1\.\.[0-9]+$' "$out" && plan=y
	fi
	# shellcheck disable=SC2064 # the plan's number is known now
	[[ -z "$plan" ]] || trap "echo 1..$((number + 2)); rm -f '$out'" EXIT
	[[ "$(id -u)" -eq 0 ]] || { echo "${0##*/}: must run as root" >&2; exit 2; }
	number=$((number + 1))
	why=$(checkers_on)
	if [[ -z "$why" ]]; then
		echo "ok $number debug checkers: ${CHECKERS[*]} on"
	else
		while IFS= read -r line; do
			echo "# debug checkers: $line"
		done <<<"$why"
		echo "not ok $number debug checkers: off"
		[[ "$status" -ne 0 ]] || status=1
	fi
	number=$((number + 1))
	if [[ ! -e "$KMEMLEAK" ]]; then
		echo "ok $number kmemleak # SKIP no $KMEMLEAK: no kmemleak in this kernel, or no debugfs"
		[[ $# -gt 0 || "$status" -ne 0 ]] && exit "$status"
		exit "$KSFT_SKIP"
	fi
	start=$SECONDS
	if ! scan 2>/dev/null; then
		echo "# kmemleak: cannot scan (disabled after an error? see the kernel log)"
		echo "not ok $number kmemleak: no scan"
		[[ "$status" -ne 0 ]] || status=1
		exit "$status"
	fi
	reports=$(mktemp)
	cat "$KMEMLEAK" >"$reports"
	summary=$(read_reports "$reports")
	rm -f "$reports"
	read -r total involving <<<"$(tail -n 1 <<<"$summary")"
	sed '$d' <<<"$summary"
	echo "# kmemleak: $total suspected leak(s), $involving involving toymap, scanned in $((SECONDS - start)) s"
	if [[ "$involving" -gt 0 ]]; then
		echo "not ok $number kmemleak: $involving suspected leak(s) involve toymap"
		[[ "$status" -ne 0 ]] || status=1
	else
		echo "ok $number kmemleak: no suspected leak involves toymap"
	fi
	exit "$status"
}

main "$@"
