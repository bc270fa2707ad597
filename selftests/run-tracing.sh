#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-tracing.sh - the tracepoints of system "toymap" read by the tools people
# use, as root in a guest of scripts/vmrun.sh with the module loaded
# (selftests/run.sh runs it; its KTAP results are numbered on into run.sh's).
# Each tool watches one run of the same workload on /dev/toymap0: a discard of
# the object, mmapcopy of a file of FILE_PAGES pages through it (its mapping
# advised MADV_SEQUENTIAL: one file-read fault, a read-ahead of the other
# pages, fault-around), demo-private-cow (zero-fill, mkwrite, COW,
# fault-around hits) and an eviction.  What the tool prints must add up to
# what the module's counters (toymapctl info, before and after) say happened:
#   - tracefs: the events' format files give every outcome of toymap_fault a
#     number and a name (TRACE_DEFINE_ENUM: no enum constant is left);
#   - trace-cmd record -e 'toymap:*' + trace-cmd report: every event, by name,
#     with its fields; outcomes by name;
#   - perf stat -e 'toymap:*': the count of each event;
#   - bpftrace, faults by outcome (@faults[outcome] = count()) and pages read
#     ahead (@ahead = sum(nr)), the outcome numbers named through the format
#     file; a skip on a kernel without the
#     bpf() system call (the debug kernel: CONFIG_BPF_SYSCALL is not set).
# A tool that is not installed is a failure naming its Debian package
# (scripts/deps.sh --check installs them).
# Output: KTAP, one result line per check, names starting "tracing: ".
# Exit status: 0 when nothing failed, 1 otherwise.
#
# Environment: TOYMAP_BUILD   the build directory (default: build/ at the top)
set -euo pipefail

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
BUILD=${TOYMAP_BUILD:-$(dirname "$SELFTESTS")/build}
TOYMAPCTL="$BUILD/bin/toymapctl"
MMAPCOPY="$BUILD/bin/mmapcopy"
DEMO="$BUILD/bin/demo-private-cow"
readonly SELFTESTS BUILD TOYMAPCTL MMAPCOPY DEMO

readonly DEVICE=/dev/toymap0
readonly FILE_PAGES=16
readonly EVENTS=(toymap_fault toymap_readahead toymap_fault_around toymap_mkwrite toymap_discard
	toymap_writeback toymap_evict)
readonly TRACEFS_DIRS=(/sys/kernel/tracing /sys/kernel/debug/tracing)
# The tool, and its Debian package.
readonly -A PACKAGE=([trace-cmd]=trace-cmd [perf]=linux-perf [bpftrace]=bpftrace)
# The bpftrace one-liner of the README.
readonly BPFTRACE_PROG='tracepoint:toymap:toymap_fault { @faults[args->outcome] = count(); }
tracepoint:toymap:toymap_readahead { @ahead = sum(args->nr); }'
# Seconds a tool may take with the workload (bpftrace compiles its program first).
readonly TOOL_TIMEOUT=300
# Results: the format files, trace-cmd, perf stat, bpftrace.  (perf trace is
# not run: it enables scheduler tracepoints too, and patching __schedule's
# under QEMU's TCG oopsed the 6.12-rt guest, int3 in __schedule, once in
# three runs of make check: a kernel-and-emulator problem, not toymap's.)
readonly NR_RESULTS=4

test_num=0
failed=0
WORK=""
TRACEFS=""
WHY=""
# Outcome names of toymap_fault by number, from its format file.
declare -A OUTCOME_NAME=()
# The counters summed over the objects, before and after a tool's run.
declare -A BEFORE=() AFTER=()

usage() {
	echo "usage: ${0##*/} [-h]   (as root, toymap loaded; env TOYMAP_BUILD)" >&2
	exit 2
}

# result NAME WHY: one KTAP result line, ok when WHY is empty, else not ok
# after a comment that says why.
result() {
	test_num=$((test_num + 1))
	if [[ -n "$2" ]]; then
		failed=$((failed + 1))
		echo "# $1: ${2//$'\n'/ | }"
		echo "not ok $test_num tracing: $1"
	else
		echo "ok $test_num tracing: $1"
	fi
}

# skip NAME WHY: a result line for a check that cannot run here.
skip() {
	test_num=$((test_num + 1))
	echo "ok $test_num tracing: $1 # SKIP $2"
}

# show FILE REGEX PREFIX: the lines of FILE that match REGEX, as comments.
show() {
	if [[ -f "$1" ]]; then
		awk -v re="$2" -v prefix="# $3" '$0 ~ re { print prefix $0 }' "$1"
	fi
}

# show_events FILE PREFIX: the first line of each event (of each fault
# outcome) in FILE, as comments: an example of the tool's output.
show_events() {
	if [[ -f "$1" ]]; then
		awk 'match($0, /toymap_[a-z_]+[:(]/) {
			kind = substr($0, RSTART, RLENGTH)
			if (match($0, /outcome=[a-z-]+/))
				kind = kind substr($0, RSTART, RLENGTH)
			if (!(kind in seen)) {
				seen[kind]
				print prefix $0
			}
		}' prefix="# $2" "$1"
	fi
}

cleanup() {
	[[ -z "$WORK" ]] || rm -rf "$WORK"
}

# Write the workload into WORK/workload.sh, and the file it copies: the
# workload leaves its output in WORK/workload.log and, when all went well,
# WORK/workload.done.
write_workload() {
	local page

	page=$(getconf PAGESIZE)
	head -c "$((FILE_PAGES * page))" /dev/urandom >"$WORK/in"
	{
		echo "set -euo pipefail"
		echo "exec >$(printf %q "$WORK/workload.log") 2>&1"
		printf '%q discard %q 0 %q\n' "$TOYMAPCTL" "$DEVICE" "$(cat /sys/module/toymap/parameters/size)"
		printf '%q --device %q %q > %q\n' "$MMAPCOPY" "$DEVICE" "$WORK/in" "$WORK/out"
		printf 'cmp %q %q\n' "$WORK/in" "$WORK/out"
		printf '%q %q\n' "$DEMO" "$DEVICE"
		printf '%q evict %q\n' "$TOYMAPCTL" "$DEVICE"
		printf 'echo done > %q\n' "$WORK/workload.done"
	} >"$WORK/workload.sh"
}

# snapshot ARRAY: the counters of toymapctl info into the associative ARRAY,
# summed over the objects: each table's counters are its last columns (the
# size and backing columns may hold blanks).
snapshot() {
	local -n counters=$1
	local out sums name value

	counters=()
	out=$("$TOYMAPCTL" info) || return 1
	sums=$(awk '
		$1 == "device" { n = NF - 2; for (i = 1; i <= n; i++) col[i] = $(i + 2); next }
		$1 ~ /^\/dev\// && n { for (i = 1; i <= n; i++) sum[col[i]] += $(NF - n + i); next }
		{ n = 0 }
		END { for (c in sum) print c, sum[c] }' <<<"$out") || return 1
	while read -r name value; do
		counters["$name"]=$value
	done <<<"$sums"
	[[ -n "${counters[faults]:-}" ]]
}

# delta COUNTER...: the sum of these counters' growth during the tool's run.
delta() {
	local name sum=0

	for name in "$@"; do
		sum=$((sum + ${AFTER[$name]:-0} - ${BEFORE[$name]:-0}))
	done
	echo "$sum"
}

# run_workload OUTPUT COMMAND...: the workload under the tool's COMMAND (which
# runs WORK/workload.sh), its output in OUTPUT; the counters before and after
# into BEFORE and AFTER.  Sets WHY to why it failed, empty when it did not.
run_workload() {
	local output=$1 status=0 start
	shift

	WHY=""
	rm -f "$WORK/workload.done"
	if ! snapshot BEFORE; then
		WHY="toymapctl info failed"
		return
	fi
	start=$SECONDS
	timeout -k 10 "$TOOL_TIMEOUT" "$@" >"$output" 2>&1 || status=$?
	echo "# $1 with the workload: $((SECONDS - start)) s"
	if ! snapshot AFTER; then
		WHY="toymapctl info failed"
	elif [[ ! -f "$WORK/workload.done" ]]; then
		WHY="the workload failed (the tool exited $status): $(tail -n 5 "$WORK/workload.log" "$output" 2>&1)"
	elif [[ "$status" -ne 0 ]]; then
		WHY="$1 exited $status: $(tail -n 5 "$output")"
	fi
}

# tally FILE: what the events in FILE add up to, "KEY VALUE" lines.  The
# events are lines as trace-cmd report prints them ("toymap_fault: toymap0
# va=... outcome=zero-fill") or perf trace does ("toymap:toymap_fault(toymap0
# va=... outcome=zero-fill)").  Keys: "event:NAME" each event's count,
# "outcome:NAME" faults by outcome, cow, ahead (read-ahead), hits (fault-around), freed
# (discard), "to:file" and "to:swap" (write-back), dropped (evict), and
# bad_faults: toymap_fault lines that lack a field.
tally() {
	awk '
		match($0, /toymap_(fault_around|fault|readahead|mkwrite|discard|writeback|evict)[:(]/) {
			event = substr($0, RSTART, RLENGTH - 1)
			rest = substr($0, RSTART + RLENGTH)
			sub(/\)$/, "", rest)
			count["event:" event]++
			delete field
			n = split(rest, words, " ")
			for (i = 1; i <= n; i++)
				if (split(words[i], kv, "=") == 2)
					field[kv[1]] = kv[2]
			if (event == "toymap_fault") {
				if (!("va" in field) || !("pgoff" in field) || !("cow" in field) ||
				    !("outcome" in field))
					count["bad_faults"]++
				count["outcome:" field["outcome"]]++
				count["cow"] += field["cow"]
			} else if (event == "toymap_readahead") {
				count["ahead"] += field["nr"]
			} else if (event == "toymap_fault_around") {
				count["hits"] += field["hit"]
			} else if (event == "toymap_discard") {
				count["freed"] += field["freed"]
			} else if (event == "toymap_writeback") {
				count["to:" field["to"]]++
			} else if (event == "toymap_evict") {
				count["dropped"] += field["dropped"]
			}
		}
		END { for (k in count) print k, count[k] }' "$1"
}

# expect WHAT GOT WANT: nothing when GOT equals WANT, else why not.
expect() {
	[[ "$2" == "$3" ]] || printf '%s: %s, the counters say %s; ' "$1" "$2" "$3"
}

# check_outcome_names ARRAY: every outcome key of the tally ARRAY is a name
# of the format file (not a number, which a tool prints for an enum it
# cannot resolve).
check_outcome_names() {
	local -n tallied=$1
	local key name names=" ${OUTCOME_NAME[*]} "

	for key in "${!tallied[@]}"; do
		[[ "$key" == outcome:* ]] || continue
		name=${key#outcome:}
		[[ "$names" == *" $name "* ]] || printf "outcome '%s' is not a name of the format file; " "$name"
	done
}

# check_events FILE: the events in FILE (trace-cmd report) match
# the counters' growth.  Prints why not.
check_events() {
	local -A counts=()
	local list key value reads

	if ! list=$(tally "$1"); then
		printf 'awk failed on %s' "$1"
		return
	fi
	while read -r key value; do
		[[ -z "$key" ]] || counts[$key]=$value
	done <<<"$list"
	expect "toymap_fault events" "${counts[event:toymap_fault]:-0}" "$(delta faults)"
	expect "outcome=zero-fill" "${counts[outcome:zero-fill]:-0}" "$(delta zero_fills)"
	reads=$((${counts[outcome:file-read]:-0} + ${counts[ahead]:-0}))
	expect "outcome=file-read + toymap_readahead nr=" "$reads" "$(delta file_reads)"
	expect "outcome=file-read + nr= (mmapcopy's $FILE_PAGES pages)" "$reads" "$FILE_PAGES"
	[[ -n "${counts[event:toymap_readahead]:-}" ]] || printf 'no toymap_readahead event (mmapcopy); '

	expect "outcome=swap-in" "${counts[outcome:swap-in]:-0}" "$(delta swap_ins)"
	expect "cow=1" "${counts[cow]:-0}" "$(delta cow)"
	expect "toymap_fault_around events" "${counts[event:toymap_fault_around]:-0}" "$(delta fa_calls)"
	expect "hit=1" "${counts[hits]:-0}" "$(delta fa_hits)"
	expect "toymap_mkwrite events" "${counts[event:toymap_mkwrite]:-0}" "$(delta mkwrite)"
	expect "toymap_discard freed=" "${counts[freed]:-0}" "$(delta discarded)"
	expect "toymap_writeback to=file" "${counts[to:file]:-0}" "$(delta write_backs)"
	expect "toymap_writeback to=swap" "${counts[to:swap]:-0}" "$(delta swap_outs)"
	expect "toymap_evict dropped=" "${counts[dropped]:-0}" "$(delta evicted)"
	expect "toymap_fault lines without va=, pgoff=, cow= or outcome=" "${counts[bad_faults]:-0}" 0
	check_outcome_names counts
	for key in toymap_discard toymap_evict; do
		[[ -n "${counts[event:$key]:-}" ]] || printf 'no %s event; ' "$key"
	done
}

# have TOOL NAME: TOOL is installed, else a failure of NAME naming its package.
have() {
	command -v "$1" >/dev/null && return
	result "$2" "$1 is not installed: apt-get install ${PACKAGE[$1]} (scripts/deps.sh --check installs it)"
	return 1
}

# The format files: every event is there, toymap_fault's outcomes are
# numbers with names, and no enum constant is left for user space to guess.
check_formats() {
	local name="the format files name every outcome (TRACE_DEFINE_ENUM)" event file why="" pairs
	local number outcome

	for event in "${EVENTS[@]}"; do
		file="$TRACEFS/events/toymap/$event/format"
		if [[ ! -r "$file" ]]; then
			why+="no $file; "
		elif grep -q 'TOYMAP_' "$file"; then
			why+="$event's format holds an enum constant: $(grep -o -m 1 'TOYMAP_[A-Z_]*' "$file"); "
		fi
	done
	file="$TRACEFS/events/toymap/toymap_fault/format"
	# { 0, "zero-fill" }, ... as "0 zero-fill" lines.
	pairs=$(sed -nE 's/.*__print_symbolic\(REC->outcome, (.*)\).*/\1/p' "$file" 2>/dev/null |
		grep -oE '\{ [0-9]+, "[^"]+" \}' | tr -d '{},"') || pairs=""
	while read -r number outcome; do
		[[ -z "$number" ]] || OUTCOME_NAME[$number]=$outcome
	done <<<"$pairs"
	[[ ${#OUTCOME_NAME[@]} -gt 0 ]] || why+="toymap_fault's print fmt has no { number, \"name\" } pair; "
	echo "# outcomes of toymap_fault: $(for number in "${!OUTCOME_NAME[@]}"; do
		echo "$number=${OUTCOME_NAME[$number]}"; done | sort -n | tr '\n' ' ')"
	result "$name" "$why"
}

# trace-cmd record and report.
check_trace_cmd() {
	local name="trace-cmd record -e 'toymap:*', report: events and fields match the counters"
	local why

	have trace-cmd "$name" || return 0
	run_workload "$WORK/record.log" trace-cmd record -q -e 'toymap:*' -o "$WORK/trace.dat" \
		"$BASH" "$WORK/workload.sh"
	why=$WHY
	if [[ -z "$why" ]] && ! trace-cmd report -i "$WORK/trace.dat" >"$WORK/report.txt" 2>&1; then
		why="trace-cmd report failed: $(tail -n 5 "$WORK/report.txt")"
	fi
	[[ -n "$why" ]] || why=$(check_events "$WORK/report.txt")
	show_events "$WORK/report.txt" "trace-cmd report: "
	result "$name" "$why"
}

# perf stat: each event's count.
check_perf_stat() {
	local name="perf stat -e 'toymap:*': each event's count matches the counters"
	local why event count
	local -A counts=()

	have perf "$name" || return 0
	run_workload "$WORK/stat.log" perf stat -x, -o "$WORK/stat.csv" -e 'toymap:*' -- \
		"$BASH" "$WORK/workload.sh"
	why=$WHY
	if [[ -z "$why" ]]; then
		# "COUNT,UNIT,EVENT,...": "<not counted>" is no number.
		while IFS=, read -r count _ event _; do
			if [[ "$event" == toymap:* ]]; then
				counts[${event#toymap:}]=$count
			fi
		done <"$WORK/stat.csv"
		show "$WORK/stat.csv" 'toymap:' "perf stat: "
		for event in "${EVENTS[@]}"; do
			[[ "${counts[$event]:-}" =~ ^[0-9]+$ ]] || why+="no count of toymap:$event; "
		done
		why+=$(expect "toymap:toymap_fault" "${counts[toymap_fault]:-}" "$(delta faults)")
		why+=$(expect "toymap:toymap_fault_around" "${counts[toymap_fault_around]:-}" "$(delta fa_calls)")
		why+=$(expect "toymap:toymap_mkwrite" "${counts[toymap_mkwrite]:-}" "$(delta mkwrite)")
		why+=$(expect "toymap:toymap_writeback" "${counts[toymap_writeback]:-}" \
			"$(delta write_backs swap_outs)")
	fi
	result "$name" "$why"
}

# bpftrace: faults by outcome, named through the format file.
check_bpftrace() {
	local name="bpftrace: faults by outcome match the counters"
	local why list number count total=0 ahead reads
	local -A by_name=()

	have bpftrace "$name" || return 0
	# The sysctl exists with the bpf() system call (kernel/bpf/syscall.c).
	if [[ ! -e /proc/sys/kernel/unprivileged_bpf_disabled ]]; then
		skip "$name" "this kernel has no bpf() system call (CONFIG_BPF_SYSCALL is not set)"
		return 0
	fi
	run_workload "$WORK/bpftrace.txt" bpftrace -e "$BPFTRACE_PROG" -c "$BASH $WORK/workload.sh"
	why=$WHY
	if [[ -z "$why" ]]; then
		show "$WORK/bpftrace.txt" '^@' "bpftrace: "
		list=$(sed -nE 's/^@faults\[([0-9]+)\]: ([0-9]+)$/\1 \2/p' "$WORK/bpftrace.txt")
		while read -r number count; do
			[[ -n "$number" ]] || continue
			total=$((total + count))
			if [[ -n "${OUTCOME_NAME[$number]:-}" ]]; then
				by_name[${OUTCOME_NAME[$number]}]=$count
			else
				why+="outcome $number is not in the format file; "
			fi
		done <<<"$list"
		why+=$(expect "faults" "$total" "$(delta faults)")
		why+=$(expect "zero-fill" "${by_name[zero-fill]:-0}" "$(delta zero_fills)")
		ahead=$(sed -nE 's/^@ahead: ([0-9]+)$/\1/p' "$WORK/bpftrace.txt")
		[[ -n "$ahead" ]] || why+="no @ahead (toymap_readahead); "
		reads=$((${by_name[file-read]:-0} + ${ahead:-0}))
		why+=$(expect "file-read + @ahead" "$reads" "$(delta file_reads)")
		why+=$(expect "file-read + @ahead (mmapcopy's $FILE_PAGES pages)" "$reads" "$FILE_PAGES")
	fi
	result "$name" "$why"
}

main() {
	local dir

	[[ $# -eq 0 ]] || usage
	echo "TAP version 13"
	if [[ "$(id -u)" -ne 0 || ! -x "$TOYMAPCTL" || ! -x "$MMAPCOPY" || ! -x "$DEMO" ]]; then
		echo "1..1"
		skip "everything" "needs root, $TOYMAPCTL, $MMAPCOPY and $DEMO"
		return 0
	fi
	echo "1..$NR_RESULTS"
	for dir in "${TRACEFS_DIRS[@]}"; do
		if [[ -d "$dir/events" ]]; then
			TRACEFS=$dir
			break
		fi
	done
	if [[ ! -d /sys/module/toymap || -z "$TRACEFS" ]]; then
		while ((test_num < NR_RESULTS)); do
			result "the tracepoints" "toymap is not loaded, or tracefs is not mounted (${TRACEFS_DIRS[*]})"
		done
		return 1
	fi
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/toymap-tracing.XXXXXX")
	trap cleanup EXIT
	write_workload
	echo "# run-tracing.sh: the workload, under each tool:"
	show "$WORK/workload.sh" '^(/|cmp )' "  "

	check_formats
	check_trace_cmd
	check_perf_stat
	check_bpftrace
	echo "# run-tracing.sh: $failed failed"
	((failed == 0))
}

main "$@"
