#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - the toymap selftests, as root: in a guest of scripts/vmrun.sh, or on
# a machine whose kernel loads modules (make check-host).
#
# Loads toymap if it is not loaded, runs the kselftest programs
# build/bin/toymap_test, toymap_file_test, toymap_review_test and
# toymap_lookup_test, and passes
# their results through as one KTAP stream: one version line, the results of
# all numbered on from 1 (each program's own plan becomes a comment, and a
# program whose results do not add up to its plan is a failure, as is a
# skip for a reason ROOT_SKIP_ALLOWED_RE does not allow: run.sh runs as
# root), then result lines of its own, then the plan "1..N" last.  Its own
# checks:
#   - toymap_review_test again with its backing and swap files on an ext4
#     and on an XFS file system (an image on a loop device, made with
#     mkfs.ext4 / mkfs.xfs and mounted under $TMPDIR; the modules loop, ext4
#     and xfs from $TOYMAP_MODULES_ROOT, as scripts/vmrun.sh sets it), its
#     results named "ext4: ..." and "xfs: ...";
#   - build/bin/toymap-stress, twice, one result line each:
#       ok N stress: seed S, random, T s   (a fresh seed, printed at the start)
#       ok N stress: seed 1, fixed, 20 s
#     and on a kernel with fault injection (the debug kernel) a third with
#     allocations failing at random in the stress processes only
#     (fail_page_alloc and failslab, task-filter):
#       ok N stress: seed S, allocation failures 2%, 30 s
#     a failure prints the command that replays it;
#   - build/bin/toymap-bench --short, one result line, for its correctness
#     only (never a timing threshold): it completes and prints a well-formed
#     Markdown table, every row as many cells as the header, every ratio a
#     number; in a guest of scripts/vmrun.sh (TOYMAP_KERNEL set) with
#     --kernel-swap;
#   - selftests/run-unprivileged.sh, its results numbered on: mode=0600
#     refuses the user nobody, mode=0666 lets it run the selftests, the demos
#     and the stress without ever seeing a PFN or a stale byte (it reloads the
#     module for that, then loads it as it was);
#   - selftests/run-tracing.sh: trace-cmd, perf, bpftrace match the counters;
#   - selftests/run-quiz.sh, its results numbered on: toymap-quiz graded by
#     its own key (read from the "# correct:" lines of a run): the key's
#     answers score full marks, one wrong answer one less, the key follows
#     fault_around, and uid 65534 scores the same by frame identities;
#   - the module unloads, and its unload line says it held 0 pages;
#   - LOOKUP's frame identities change with every load: build/bin/toymap_frames
#     reloads the module and meets some PFN in both loads, with two identities;
#   - each bad parameter makes the load fail with EINVAL and a kernel log line
#     naming the parameter, and leaves nothing loaded;
#   - the kernel log since the start holds no BUG, WARNING, Oops, KASAN,
#     lockdep or hung-task report.
# The module is left unloaded.  The last line is
#   # run.sh: N passed, N failed, N skipped
# (the programs' results and these together).  Exit status: 0 when nothing
# failed, 1 when something did, 4 (kselftest's skip) when it cannot run here.
#
# Environment: TOYMAP_KO     toymap.ko to load (default: libkmod finds "toymap")
#              TOYMAP_BUILD  the build directory (default: build/ at the top)
#              TOYMAP_STRESS_SECONDS  length of the random-seed stress run (default 60)
#              TOYMAP_STRESS_SEED     its seed (default: a fresh random one)
#              TOYMAP_FAIL_SECONDS    length of the fault-injection run (default 30)
set -euo pipefail

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
BUILD=${TOYMAP_BUILD:-$(dirname "$SELFTESTS")/build}
TEST_PROGS=("$BUILD/bin/toymap_test" "$BUILD/bin/toymap_file_test" "$BUILD/bin/toymap_review_test"
	"$BUILD/bin/toymap_lookup_test")
# Prints "PFN IDENTITY" for pages it touches: the identities' key changes at each load.
FRAMES="$BUILD/bin/toymap_frames"
# The program run again with its files on each file system of BACKING_FS.
BACKING_PROG="$BUILD/bin/toymap_review_test"
STRESS="$BUILD/bin/toymap-stress"
BENCH="$BUILD/bin/toymap-bench"
readonly SELFTESTS BUILD TEST_PROGS FRAMES BACKING_PROG STRESS BENCH
readonly FRAMES_PAGES=1024
# The stress: P processes x N threads, plus the attach cycle's process.
readonly STRESS_ARGS=(--procs 3 --threads 2)
readonly STRESS_FIXED_SEED=1 STRESS_FIXED_SECONDS=20
# The fault-injection run: its probability of failing an allocation, in %.
readonly FAIL_PERCENT=2
readonly FAIL_ATTRS=(/sys/kernel/debug/fail_page_alloc /sys/kernel/debug/failslab)

# Backing files on real disk file systems: each an image of this size (XFS
# needs 300 MiB at least; the image is sparse) and the package of its mkfs.
readonly BACKING_FS=(ext4 xfs)
readonly -A BACKING_FS_PACKAGE=([ext4]=e2fsprogs [xfs]=xfsprogs)
readonly -A BACKING_FS_MKFS_ARGS=([ext4]="-q -F" [xfs]="-q -f")
readonly BACKING_FS_SIZE=320M

readonly KSFT_SKIP=4
# A skip is not a pass: as root, a program's skip is a failure unless its
# reason is one of these, which no privilege can change (a frame-identity,
# /dev/kmsg or memory-cgroup check that cannot run fails).
readonly ROOT_SKIP_ALLOWED_RE='needs two CPUs|has no O_DIRECT|has no userfaultfd|has no bpf\(\) system call|has no large folios'
readonly MODULE=toymap
readonly SYSFS_MODULE=/sys/module/$MODULE
# The unload line of module/toymap_dev.c; what matters is "0 pages held".
readonly UNLOAD_RE='toymap: unloaded.*[^0-9]0 pages held'
# What toymapctl says for EINVAL (libtoymap's toymap_kmod_strerror, or strerror).
readonly LOAD_EINVAL_RE='bad parameter value|Invalid argument|EINVAL'
readonly SPLAT_RE='BUG:|WARNING:|Oops|KASAN|UBSAN|general protection fault|INFO: task .* blocked for more than|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|rcu: INFO: .*detected stall'
# size=16777217T is 2^64 + 1T: it must not wrap around to 1T.
readonly BAD_PARAMS=(devices=0 devices=65 devices=-1 size=4097 size=0 size=2T size=16777217T
	size=64Q mode=01000 max_pages=-1 trace=maybe fault_around=2 large_folios=2)
shopt -s lastpipe

# Every result line so far, the programs' and this script's own.
test_num=0
passed=0
failed=0
skipped=0
TOYMAPCTL=""
KO_ARGS=()
RUN_MARKER=""
STRESS_SEED=""
STRESS_SECONDS=""
FAIL_SECONDS=""

usage() {
	echo "usage: ${0##*/} [-h]   (as root; env TOYMAP_KO, TOYMAP_BUILD)" >&2
	exit 2
}

# skip_all REASON: nothing can run here.
skip_all() {
	echo "1..0 # SKIP $1"
	echo "# run.sh: 0 passed, 0 failed, 0 skipped"
	exit "$KSFT_SKIP"
}

# count_result LINE: count a result line by its outcome.
count_result() {
	if [[ "$1" == not* ]]; then
		failed=$((failed + 1))
	elif [[ "$1" == *"# SKIP"* ]]; then
		skipped=$((skipped + 1))
	else
		passed=$((passed + 1))
	fi
}

# result_ok NAME / result_fail NAME WHY / result_skip NAME WHY: one KTAP line.
result_ok() {
	test_num=$((test_num + 1)) passed=$((passed + 1))
	echo "ok $test_num run.sh: $1"
}

result_fail() {
	test_num=$((test_num + 1)) failed=$((failed + 1))
	echo "# $1: $2"
	echo "not ok $test_num run.sh: $1"
}

result_skip() {
	test_num=$((test_num + 1)) skipped=$((skipped + 1))
	echo "ok $test_num run.sh: $1 # SKIP $2"
}

# kmsg_marker WHAT: write a unique marker line to the kernel log; print it.
kmsg_marker() {
	local marker
	marker="toymap-selftests[$$]: $1 $(date +%s%N)"
	echo "$marker" > /dev/kmsg
	echo "$marker"
}

# log_since MARKER: the kernel log after MARKER; fails when MARKER is gone
# (no dmesg, or the ring buffer wrapped).
log_since() {
	local log
	log=$(dmesg 2>/dev/null) || return 1
	grep -qF -- "$1" <<<"$log" || return 1
	awk -v marker="$1" 'found { print } index($0, marker) { found = 1 }' <<<"$log"
}

module_loaded() {
	[[ -d "$SYSFS_MODULE" ]]
}

find_tools() {
	TOYMAPCTL=$(command -v toymapctl || echo "$BUILD/bin/toymapctl")
	[[ -x "$TOYMAPCTL" ]] || skip_all "toymapctl not found in PATH or $BUILD/bin: run make"
	local prog

	for prog in "${TEST_PROGS[@]}" "$FRAMES" "$STRESS" "$BENCH"; do
		[[ -x "$prog" ]] || skip_all "$prog not built: run make"
	done
	if [[ -n "${TOYMAP_KO:-}" ]]; then
		KO_ARGS=(--ko "$TOYMAP_KO")
	fi
}

check_requirements() {
	[[ "$(id -u)" -eq 0 ]] || skip_all "must be run as root (load, unload, /dev/kmsg)"
	[[ -e /proc/modules ]] || skip_all "this kernel cannot load modules (no /proc/modules): use scripts/vmrun.sh"
	[[ -w /dev/kmsg ]] || skip_all "/dev/kmsg is not writable"
	command -v dmesg > /dev/null || skip_all "dmesg (util-linux) is not installed"
}

# load_module: load toymap unless it is loaded; 0 on success.
load_module() {
	if module_loaded; then
		echo "# run.sh: $MODULE was already loaded; testing it as it is"
		return 0
	fi
	echo "# run.sh: $TOYMAPCTL load ${KO_ARGS[*]}"
	"$TOYMAPCTL" load "${KO_ARGS[@]}" 2>&1 | sed 's/^/# /' || true
	module_loaded
}

# run_stress SEED KIND SECONDS [ARG...]: toymap-stress as one result line,
# "stress: seed SEED, KIND, SECONDS s"; its output as comments, and on a
# failure the command that replays it.
run_stress() {
	local seed=$1 kind=$2 secs=$3 status name cmd

	shift 3
	name="stress: seed $seed, $kind, $secs s"
	cmd=("$STRESS" --seed "$seed" --seconds "$secs" "${STRESS_ARGS[@]}" "$@")
	echo "# run.sh: ${cmd[*]}"
	set +e
	"${cmd[@]}" 2>&1 | sed 's/^/# /'
	status=${PIPESTATUS[0]}
	set -e
	# The stress switches large_folios and puts it back; a stress that was
	# killed cannot: what follows (tracing, quiz) counts 4 KiB pages.
	echo 0 >"$SYSFS_MODULE/parameters/large_folios"
	test_num=$((test_num + 1))
	if [[ "$status" -eq 0 ]]; then
		passed=$((passed + 1))
		echo "ok $test_num $name"
		return
	fi
	failed=$((failed + 1))
	echo "# $name: toymap-stress exited $status; replay it with"
	echo "#   scripts/vmrun.sh --kernel ${TOYMAP_KERNEL:-KERNEL} -- ${cmd[*]}"
	echo "# or, as root with the module loaded here: ${cmd[*]}"
	echo "not ok $test_num $name"
}

# run_fail_stress: the stress with allocations failing in its processes,
# where the kernel has fault injection; a skip that says why elsewhere.
run_fail_stress() {
	local attr name="stress with allocation failures"

	for attr in "${FAIL_ATTRS[@]}"; do
		if [[ ! -d "$attr" ]]; then
			result_skip "$name" "no $attr: this kernel has no fault injection (the debug kernel has)"
			return
		fi
	done
	run_stress "$STRESS_SEED" "allocation failures $FAIL_PERCENT%" "$FAIL_SECONDS" \
		--fail-alloc "$FAIL_PERCENT"
}

# bench_table_problem: read toymap-bench's output; print what is wrong with
# its table (the first block of lines that start with "|"), nothing if it is
# well-formed: a header with a "ratio" column, a separator, one row at least,
# each with the header's cells, each ratio a number.
bench_table_problem() {
	awk -F'|' '
		function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
		function bad(why) { print why; failed = 1; exit }
		/^\|/ && !done {
			n++
			if (n == 1) {
				cells = NF
				for (i = 2; i < NF; i++) if (trim($i) == "ratio") col = i
				if (!col) bad("no ratio column in the header: " $0)
			} else if (n == 2) {
				if ($0 !~ /^\|( *:?-+:? *\|)+$/) bad("no separator under the header: " $0)
			} else if (NF != cells) {
				bad("a row of " NF - 2 " cells, the header has " cells - 2 ": " $0)
			} else if (trim($col) !~ /^[0-9]+(\.[0-9]+)?$/) {
				bad("a ratio that is not a number (" trim($col) "): " $0)
			}
			next
		}
		n { done = 1 }
		END { if (!failed && n < 3) print "no table rows (" n " table lines)" }'
}

# bench_csv_problem FILE: what is wrong with toymap-bench's CSV, nothing if
# every line has the header's fields (the charts split them at commas).
bench_csv_problem() {
	awk -F, '
		NR == 1 { fields = NF; next }
		NF != fields { print "CSV line " NR " has " NF " fields, the header " fields ": " $0; exit }
		END { if (NR < 2) print "no CSV rows" }' "$1"
}

# run_bench: toymap-bench --short as one result line, for its correctness only.
run_bench() {
	local name="bench: toymap-bench --short completes, its table and CSV well-formed" out csv
	local status why=""
	local args=(--short)

	# In a test guest only: the EVICT case's reference swaps to a RAM disk.
	[[ -z "${TOYMAP_KERNEL:-}" ]] || args+=(--kernel-swap)
	release_objects
	echo "# run.sh: ${BENCH##*/} ${args[*]}"
	out=$(mktemp "${TMPDIR:-/tmp}/toymap-bench.XXXXXX")
	csv=$(mktemp "${TMPDIR:-/tmp}/toymap-bench-csv.XXXXXX")
	args+=(--csv "$csv")
	set +e
	"$BENCH" "${args[@]}" 2>&1 | tee "$out" | sed 's/^/# /'
	status=${PIPESTATUS[0]}
	set -e
	if [[ "$status" -ne 0 ]]; then
		why="toymap-bench exited $status"
	else
		why=$(bench_table_problem <"$out")$(bench_csv_problem "$csv")
	fi
	rm -f "$out" "$csv"
	if [[ -z "$why" ]]; then
		result_ok "$name"
	else
		result_fail "$name" "$why"
	fi
}

# run_program PROG [LABEL]: run one kselftest program and pass its KTAP
# through, line by line, its results numbered on after those before it and
# their names prefixed with LABEL; its version line is left out (run.sh
# printed one) and its plan becomes a comment.  A skip whose reason is not
# allowed by ROOT_SKIP_ALLOWED_RE becomes a failure.  A program that exits
# non-zero without a failed result, or whose results do not add up to its
# plan, is a failure of its own.  The loop runs in this shell (lastpipe), so that it
# counts for main.
run_program() {
	local prog=$1 label=${2:-} name=${1##*/} line status not rest fails=0 plan="" results=0
	local result_re='^(not )?ok [0-9]+ (.*)$' plan_re='^1\.\.([0-9]+)'

	set +e
	"$prog" 2>&1 | while IFS= read -r line; do
		if [[ "$line" =~ $result_re ]]; then
			not=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
			test_num=$((test_num + 1)) results=$((results + 1))
			if [[ -z "$not" && "$rest" == *"# SKIP"* && ! "$rest" =~ $ROOT_SKIP_ALLOWED_RE ]]; then
				echo "# a skip as root, for a reason not in run.sh's ROOT_SKIP_ALLOWED_RE:"
				not="not " rest="${rest/"# SKIP"/"(skipped as root:"})"
			fi
			line="${not}ok $test_num $label$rest"
			count_result "$line"
			[[ -z "$not" ]] || fails=$((fails + 1))
			echo "$line"
		elif [[ "$line" =~ $plan_re ]]; then
			plan=${BASH_REMATCH[1]}
			echo "# $label$name: $plan tests, numbered from $((test_num + 1))"
		elif [[ "$line" != "TAP version "* ]]; then
			echo "$line"
		fi
	done
	status=${PIPESTATUS[0]}
	set -e
	if [[ "$status" -ne 0 && "$fails" -eq 0 ]]; then
		result_fail "$label$name exit status" "exited $status without a failed test line"
	fi
	if [[ "$plan" != "$results" ]]; then
		result_fail "$label$name plan" "planned ${plan:-no tests (no plan line)}, printed $results results"
	fi
}

# release_objects: detach every object's backing file and drop its swap
# file: a program leaves its objects as its last test did, and a file held
# keeps its file system busy.
release_objects() {
	local dev

	for dev in /dev/"$MODULE"[0-9]*; do
		[[ -e "$dev" ]] || continue
		"$TOYMAPCTL" detach "$dev" > /dev/null 2>&1 || true
		"$TOYMAPCTL" swap "$dev" none > /dev/null 2>&1 || true
	done
}

# run_on_backing_fs FS: BACKING_PROG with $TMPDIR on a file system FS made
# for it: an image on a loop device, unmounted and removed after.
run_on_backing_fs() {
	local fs=$1 dir img status=0
	local -a mkfs_args

	if ! command -v "mkfs.$fs" > /dev/null; then
		result_skip "$fs backing files" "mkfs.$fs not found: apt-get install ${BACKING_FS_PACKAGE[$fs]}"
		return
	fi
	# Modules where they are modules; built in, modprobe may find no modules.* at all.
	modprobe -a -q -d "${TOYMAP_MODULES_ROOT:-/}" loop "$fs" 2>&1 | sed 's/^/# /' || true
	if ! grep -qw "$fs" /proc/filesystems || [[ ! -e /dev/loop-control ]]; then
		result_fail "$fs backing files" \
			"this kernel has no $fs or no loop device (modprobe -d ${TOYMAP_MODULES_ROOT:-/} loop $fs)"
		return
	fi
	read -ra mkfs_args <<<"${BACKING_FS_MKFS_ARGS[$fs]}"
	dir=$(mktemp -d "${TMPDIR:-/tmp}/toymap-$fs.XXXXXX")
	img="$dir.img"
	{
		truncate -s "$BACKING_FS_SIZE" "$img" &&
			"mkfs.$fs" "${mkfs_args[@]}" "$img" &&
			mount -o loop "$img" "$dir"
	} 2>&1 | sed 's/^/# /' || status=$?
	if [[ "$status" -ne 0 ]]; then
		result_fail "$fs backing files" "could not make and mount a $fs image on a loop device"
		rm -rf "$dir" "$img"
		return
	fi
	echo "# run.sh: ${BACKING_PROG##*/} with TMPDIR=$dir ($fs on a loop device)"
	TMPDIR=$dir run_program "$BACKING_PROG" "$fs: "
	release_objects
	if umount "$dir" 2>&1 | sed 's/^/# /'; then
		rm -rf "$dir" "$img"
	else
		result_fail "$fs backing files" "cannot unmount $dir: a file of it is still in use"
	fi
}

check_unload() {
	local marker log

	marker=$(kmsg_marker "unload")
	if ! "$TOYMAPCTL" unload 2>&1 | sed 's/^/# /' || module_loaded; then
		result_fail "unload" "toymapctl unload failed; $MODULE is still loaded"
		result_skip "unload frees every page" "the module did not unload"
		return
	fi
	result_ok "unload"
	if ! log=$(log_since "$marker"); then
		result_skip "unload frees every page" "the kernel log since the unload is gone"
	elif grep -qE -- "$UNLOAD_RE" <<<"$log"; then
		result_ok "unload frees every page"
	else
		result_fail "unload frees every page" \
			"no line matching '$UNLOAD_RE' in: $(grep -F "$MODULE" <<<"$log" | tr '\n' '|')"
	fi
}

# check_frame_identities: LOOKUP's identities change with every load
# (toymap_frames reloads the module in between and says how many PFNs came
# back); the module is left unloaded.
check_frame_identities() {
	local name="frame identities change at every load" out status=0

	if ! "$TOYMAPCTL" load "${KO_ARGS[@]}" > /dev/null 2>&1; then
		result_fail "$name" "toymapctl load ${KO_ARGS[*]} failed"
		return
	fi
	out=$("$FRAMES" "$FRAMES_PAGES" ${TOYMAP_KO:+"$TOYMAP_KO"} 2>&1) || status=$?
	"$TOYMAPCTL" unload > /dev/null 2>&1 || out+=" (and toymapctl unload failed)"
	printf '# %s\n' "${out//$'\n'/$'\n# '}"
	if [[ "$status" -eq 0 && "$out" != *"unload failed"* ]]; then
		result_ok "$name"
	else
		result_fail "$name" "$(tr '\n' ' ' <<<"$out")"
	fi
}

# check_bad_param PARAM=VALUE: the load fails with EINVAL, the kernel log
# names the parameter, and nothing stays loaded.
check_bad_param() {
	local param=$1 name=${1%%=*} marker out log why=""

	marker=$(kmsg_marker "load $param")
	if out=$("$TOYMAPCTL" load "${KO_ARGS[@]}" "$param" 2>&1); then
		why="the load succeeded"
	elif ! grep -qE -- "$LOAD_EINVAL_RE" <<<"$out"; then
		why="not EINVAL: $(tr '\n' ' ' <<<"$out")"
	elif ! log=$(log_since "$marker"); then
		why="the kernel log since the load is gone"
	elif ! grep -qE -- "$MODULE.*\\<$name\\>" <<<"$log"; then
		why="no kernel log line names '$name'"
	fi
	if module_loaded; then
		why="${why:+$why; }$MODULE stayed loaded"
		"$TOYMAPCTL" unload > /dev/null 2>&1 || true
	fi
	if [[ -z "$why" ]]; then
		result_ok "load with $param fails"
	else
		result_fail "load with $param fails" "$why"
	fi
}

# check_kernel_log MARKER: no splat since MARKER.
check_kernel_log() {
	local log splats

	if ! log=$(log_since "$1"); then
		result_fail "kernel log clean" "the kernel log since the start is gone (dmesg failed or the ring buffer wrapped)"
		return
	fi
	splats=$(grep -E -- "$SPLAT_RE" <<<"$log" || true)
	if [[ -z "$splats" ]]; then
		result_ok "kernel log clean"
	else
		result_fail "kernel log clean" "$(head -n 20 <<<"$splats" | tr '\n' '|')"
	fi
}

main() {
	local param prog fs

	[[ $# -eq 0 ]] || usage
	echo "TAP version 13"
	check_requirements
	find_tools
	STRESS_SECONDS=${TOYMAP_STRESS_SECONDS:-60}
	STRESS_SEED=${TOYMAP_STRESS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	[[ "$STRESS_SECONDS" =~ ^[1-9][0-9]*$ ]] ||
		skip_all "TOYMAP_STRESS_SECONDS=$STRESS_SECONDS is not a number of seconds"
	[[ "$STRESS_SEED" =~ ^[0-9]+$ ]] || skip_all "TOYMAP_STRESS_SEED=$STRESS_SEED is not a number"
	FAIL_SECONDS=${TOYMAP_FAIL_SECONDS:-30}
	[[ "$FAIL_SECONDS" =~ ^[1-9][0-9]*$ ]] ||
		skip_all "TOYMAP_FAIL_SECONDS=$FAIL_SECONDS is not a number of seconds"
	echo "# run.sh: toymap-stress random seed $STRESS_SEED ($STRESS_SECONDS s), fixed seed $STRESS_FIXED_SEED ($STRESS_FIXED_SECONDS s)"
	RUN_MARKER=$(kmsg_marker "start")

	if load_module; then
		for prog in "${TEST_PROGS[@]}"; do
			run_program "$prog"
		done
		for fs in "${BACKING_FS[@]}"; do
			run_on_backing_fs "$fs"
		done
		echo "# run.sh: toymap-stress"
		run_stress "$STRESS_SEED" random "$STRESS_SECONDS"
		run_stress "$STRESS_FIXED_SEED" fixed "$STRESS_FIXED_SECONDS"
		run_fail_stress
		run_bench
		echo "# run.sh: as an unprivileged user"
		TOYMAP_STRESS_SEED=$STRESS_SEED run_program "$SELFTESTS/run-unprivileged.sh"
		run_program "$SELFTESTS/run-tracing.sh"
		run_program "$SELFTESTS/run-quiz.sh"
		echo "# run.sh: module checks"
		check_unload
		module_loaded || check_frame_identities
	else
		echo "# run.sh: module checks"
		result_fail "load $MODULE" "toymapctl load ${KO_ARGS[*]} failed: no test program run"
	fi
	if module_loaded; then
		result_skip "bad parameters" "$MODULE is still loaded"
	else
		for param in "${BAD_PARAMS[@]}"; do
			check_bad_param "$param"
		done
	fi
	check_kernel_log "$RUN_MARKER"

	echo "1..$test_num"
	echo "# run.sh: $passed passed, $failed failed, $skipped skipped"
	[[ "$failed" -eq 0 ]]
}

main "$@"
