#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-unprivileged.sh - toymap as an unprivileged user, as root in a guest of
# scripts/vmrun.sh (selftests/run.sh runs it; its KTAP results are numbered on
# into run.sh's).  With the module loaded and unused, it:
#   - reloads it with mode=0600: the user nobody (uid 65534, through setpriv
#     --reuid=65534 --regid=65534 --clear-groups) cannot open /dev/toymap0,
#     for reading or writing: EACCES;
#   - reloads it with mode=0666 and, as nobody: opens it; runs
#     build/bin/toymap_test, toymap_file_test and toymap_lookup_test, which
#     must pass, every skip saying it needs root or CAP_SYS_ADMIN; runs every
#     demo, which must succeed, print no PFN, and compare frames through
#     TOYMAP_IOC_LOOKUP's identities (shared, private-cow, fork, file);
#     runs toymap-stress for a few seconds, whose model checks that freshly discarded pages (and every page it reads)
#     hold no stale data and that pagemap hides every PFN;
#   - reloads the module with the parameters it had.
# Output: KTAP, one result line per check, names starting "unprivileged: ".
# Exit status: 0 when nothing failed, 1 otherwise.
#
# Environment: TOYMAP_KO            toymap.ko to load (default: libkmod finds "toymap")
#              TOYMAP_BUILD         the build directory (default: build/ at the top)
#              TOYMAP_STRESS_SEED   the stress run's seed (default: random)
#              TOYMAP_UNPRIV_STRESS_SECONDS  its length (default 10)
set -euo pipefail

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
BUILD=${TOYMAP_BUILD:-$(dirname "$SELFTESTS")/build}
readonly SELFTESTS BUILD

readonly NOBODY=65534
readonly AS_NOBODY=(setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups --)
readonly DEVICE=/dev/toymap0
readonly SYSFS_PARAMS=/sys/module/toymap/parameters
# The parameters a reload keeps (the writable ones included).
readonly PARAMS=(devices size max_pages mode trace fault_around)
readonly TEST_PROGS=(toymap_test toymap_file_test toymap_lookup_test)
readonly DEMOS=(demo-fault demo-demand-zero demo-shared demo-private-cow demo-fork demo-file demo-swap
	demo-execve)
# Why a selftest may skip for an unprivileged user, and nothing else.
readonly ALLOWED_SKIP_RE='needs root|needs CAP_SYS_ADMIN'
# Result lines: mode=0600, mode=0666, three selftests, the demos, the stress
# and its two findings, the reload.
readonly NR_RESULTS=10
# A frame number as libtoymap's toymap_describe_frame prints it (as root).
readonly PFN_RE='pfn 0x[0-9a-f]+'
# The demos that compare frames: without PFNs they must do it by LOOKUP's
# identities (demo_util's "ok: ...: the same frame (identity #... = #...)").
readonly FRAME_DEMOS_RE='^demo-(shared|private-cow|fork|file)$'
readonly IDENTITY_CHECK_RE='^ *ok: .* frame \(identity #'
readonly LEFT_OUT_RE='comparing PFNs needs root'

test_num=0
failed=0
TOYMAPCTL=""
KO_ARGS=()
SAVED_PARAMS=()
STRESS_SEED=""
STRESS_SECONDS=""

usage() {
	echo "usage: ${0##*/} [-h]   (as root, toymap loaded; env TOYMAP_KO, TOYMAP_BUILD)" >&2
	exit 2
}

ok() {
	test_num=$((test_num + 1))
	echo "ok $test_num unprivileged: $1"
}

not_ok() {
	test_num=$((test_num + 1)) failed=$((failed + 1))
	echo "# $1: $2"
	echo "not ok $test_num unprivileged: $1"
}

skip() {
	test_num=$((test_num + 1))
	echo "ok $test_num unprivileged: $1 # SKIP $2"
}

# result NAME WHY: ok when WHY is empty, else not ok with the reason.
result() {
	if [[ -z "$2" ]]; then
		ok "$1"
	else
		not_ok "$1" "$2"
	fi
}

# comment [PREFIX]: stdin as KTAP comment lines.
comment() {
	sed "s/^/# ${1:-}/"
}

# as_nobody CMD...: run CMD as uid/gid 65534 without groups, in /tmp.
as_nobody() {
	(cd /tmp && "${AS_NOBODY[@]}" "$@")
}

# Save the loaded module's parameters, for the reload at the end.
save_params() {
	local name value

	SAVED_PARAMS=()
	for name in "${PARAMS[@]}"; do
		value=$(cat "$SYSFS_PARAMS/$name") || return 1
		case "$value" in
		Y) value=1 ;;
		N) value=0 ;;
		esac
		SAVED_PARAMS+=("$name=$value")
	done
}

# reload PARAM=VALUE...: unload toymap and load it with these parameters.
reload() {
	"$TOYMAPCTL" unload > /dev/null 2>&1 || return 1
	"$TOYMAPCTL" load "${KO_ARGS[@]}" "$@" 2>&1 | comment
	[[ -d /sys/module/toymap ]]
}

# open_error MODE: what opening DEVICE for MODE (r, w or rw) as nobody says:
# "" when it opened, else bash's message (C locale: EACCES is "Permission denied").
open_error() {
	local redirect

	# shellcheck disable=SC2016 # $1 is expanded by the inner bash
	case "$1" in
	r) redirect='exec 3<"$1"' ;;
	w) redirect='exec 3>"$1"' ;;
	*) redirect='exec 3<>"$1"' ;;
	esac
	LC_ALL=C as_nobody bash -c "$redirect" _ "$DEVICE" 2>&1 || true
}

check_mode_0600() {
	local mode why="" mode_name err

	if ! reload mode=0600; then
		not_ok "mode=0600 refuses to open" "the module did not load with mode=0600"
		return 1
	fi
	mode=$(stat -c '%a %U:%G' "$DEVICE")
	[[ "$mode" == "600 root:root" ]] || why="$DEVICE is $mode, expected 600 root:root"
	for mode_name in r w rw; do
		err=$(open_error "$mode_name")
		if [[ "$err" != *"Permission denied"* ]]; then
			why="${why:+$why; }opening for $mode_name as uid $NOBODY: ${err:-it opened}"
		fi
	done
	[[ -z "$(LC_ALL=C bash -c 'exec 3<>"$1"' _ "$DEVICE" 2>&1)" ]] ||
		why="${why:+$why; }root cannot open $DEVICE"
	result "mode=0600 refuses to open $DEVICE (EACCES for r, w, rw)" "$why"
}

check_mode_0666() {
	local mode why="" err

	if ! reload mode=0666; then
		not_ok "mode=0666 opens for everyone" "the module did not load with mode=0666"
		return 1
	fi
	mode=$(stat -c '%a' "$DEVICE")
	[[ "$mode" == 666 ]] || why="$DEVICE is mode $mode, expected 666"
	err=$(open_error rw)
	[[ -z "$err" ]] || why="${why:+$why; }opening it read-write as uid $NOBODY: $err"
	result "mode=0666 opens $DEVICE read-write for uid $NOBODY" "$why"
}

# run_selftest NAME: the kselftest program as nobody: no failure, and every
# skip explained by a missing privilege.
run_selftest() {
	local prog="$BUILD/bin/$1" out status=0 pass fail skips nskips bad_skips why=""

	out=$(as_nobody "$prog" 2>&1) || status=$?
	comment "$1: " <<<"$out"
	pass=$(grep -cE '^ok [0-9]+ ' <<<"$out" || true)
	fail=$(grep -cE '^not ok [0-9]+ ' <<<"$out" || true)
	skips=$(grep -E '^ok [0-9]+ .*# SKIP' <<<"$out" || true)
	bad_skips=$(grep -vE "$ALLOWED_SKIP_RE" <<<"$skips" || true)
	if [[ -n "$skips" ]]; then
		pass=$((pass - $(wc -l <<<"$skips")))
		echo "# $1 as uid $NOBODY skipped $(wc -l <<<"$skips") test(s), each for a privilege:"
		sed -E 's/^ok [0-9]+ (.*)# SKIP /#   /' <<<"$skips"
	fi
	((fail == 0)) || why="$fail test(s) failed"
	[[ "$status" -eq 0 || "$fail" -gt 0 ]] || why="exit status $status"
	((pass > 0)) || why="${why:+$why; }no test passed"
	[[ -z "$bad_skips" ]] ||
		why="${why:+$why; }skips not for root or CAP_SYS_ADMIN: $(tr '\n' '|' <<<"$bad_skips")"
	nskips=$(grep -c . <<<"$skips" || true)
	result "$1 as uid $NOBODY: $pass passed, $nskips skipped (need root or CAP_SYS_ADMIN)" "$why"
}

# The demos as nobody: each succeeds, none prints a PFN, and those that
# compare frames do so by identity, none left out.
run_demos() {
	local demo out status why="" pfns checks

	for demo in "${DEMOS[@]}"; do
		status=0
		out=$(as_nobody "$BUILD/bin/$demo" 2>&1) || status=$?
		pfns=$(grep -E "$PFN_RE" <<<"$out" || true)
		checks=$(grep -cE "$IDENTITY_CHECK_RE" <<<"$out" || true)
		if [[ "$status" -ne 0 ]]; then
			why="${why:+$why; }$demo exited $status"
			comment "$demo: " <<<"$out" | tail -n 30
		fi
		if [[ -n "$pfns" ]]; then
			why="${why:+$why; }$demo shows a PFN: $(head -n 2 <<<"$pfns" | tr '\n' '|')"
		fi
		if [[ "$demo" =~ $FRAME_DEMOS_RE && "$checks" -eq 0 ]]; then
			why="${why:+$why; }$demo compared no frame by identity"
		fi
		if grep -qE "$LEFT_OUT_RE" <<<"$out"; then
			why="${why:+$why; }$demo left a frame comparison out"
		fi
		echo "# $demo as uid $NOBODY: exit $status, $checks frame comparison(s) by identity"
	done
	result "the demos run as uid $NOBODY, show no PFN, compare frames by identity" "$why"
}

# A short toymap-stress as nobody, and what its summary says of PFNs and
# freshly discarded pages.
run_stress() {
	local cmd out status=0 pfns zeros

	cmd=("$BUILD/bin/toymap-stress" --seed "$STRESS_SEED" --seconds "$STRESS_SECONDS"
		--procs 2 --threads 2)
	echo "# ${cmd[*]} (as uid $NOBODY)"
	out=$(as_nobody "${cmd[@]}" 2>&1) || status=$?
	comment <<<"$out"
	if [[ "$status" -eq 0 ]]; then
		ok "toymap-stress as uid $NOBODY: seed $STRESS_SEED, $STRESS_SECONDS s"
	else
		echo "# replay: scripts/vmrun.sh --kernel ${TOYMAP_KERNEL:-KERNEL}" \
			"--module-args mode=0666 -- ${AS_NOBODY[*]} ${cmd[*]}"
		not_ok "toymap-stress as uid $NOBODY: seed $STRESS_SEED, $STRESS_SECONDS s" \
			"exit status $status"
	fi
	pfns=$(sed -nE 's/.* ([0-9]+) present ones with the PFN hidden.*/\1/p' <<<"$out")
	if [[ "$status" -eq 0 && "${pfns:-0}" -gt 0 ]]; then
		ok "pagemap hides the PFN from uid $NOBODY ($pfns present entries checked)"
	else
		not_ok "pagemap hides the PFN from uid $NOBODY" \
			"the stress failed or checked no present pagemap entry without a PFN"
	fi
	zeros=$(sed -nE 's/^no stale data: ([0-9]+) pages read zero right after DISCARD.*/\1/p' <<<"$out")
	if [[ "$status" -eq 0 && "${zeros:-0}" -gt 0 ]]; then
		ok "freshly discarded pages read zero for uid $NOBODY ($zeros pages)"
	else
		not_ok "freshly discarded pages read zero for uid $NOBODY" \
			"the stress failed or read no page right after a DISCARD"
	fi
}

main() {
	local prog

	[[ $# -eq 0 ]] || usage
	echo "TAP version 13"
	TOYMAPCTL="$BUILD/bin/toymapctl"
	if [[ "$(id -u)" -ne 0 ]] || ! command -v setpriv > /dev/null || [[ ! -x "$TOYMAPCTL" ]]; then
		echo "1..1"
		skip "everything" "needs root, setpriv (util-linux) and $TOYMAPCTL"
		return 0
	fi
	[[ -z "${TOYMAP_KO:-}" ]] || KO_ARGS=(--ko "$TOYMAP_KO")
	STRESS_SEED=${TOYMAP_STRESS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	STRESS_SECONDS=${TOYMAP_UNPRIV_STRESS_SECONDS:-10}
	echo "1..$NR_RESULTS"
	if ! save_params; then
		not_ok "the module's parameters" "toymap is not loaded"
		return 1
	fi
	echo "# run-unprivileged.sh: toymap loaded with ${SAVED_PARAMS[*]}"

	check_mode_0600 || true
	if check_mode_0666; then
		for prog in "${TEST_PROGS[@]}"; do
			run_selftest "$prog"
		done
		run_demos
		run_stress
	else
		while ((test_num < NR_RESULTS - 1)); do
			skip "as uid $NOBODY with mode=0666" "the module did not load with mode=0666"
		done
	fi
	if reload "${SAVED_PARAMS[@]}"; then
		ok "the module reloaded as it was (${SAVED_PARAMS[*]})"
	else
		not_ok "the module reloaded as it was" "toymapctl load ${SAVED_PARAMS[*]} failed"
	fi
	echo "# run-unprivileged.sh: $failed failed"
	((failed == 0))
}

main "$@"
