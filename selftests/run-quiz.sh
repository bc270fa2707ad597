#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-quiz.sh - toymap-quiz graded by its own key, as root in a guest of
# scripts/vmrun.sh (selftests/run.sh runs it; its KTAP results are numbered on
# into run.sh's).  The quiz prints "# correct: X" before each question's
# result line; this script reads the key from one run and grades others with
# it.  With the module loaded and /dev/toymap0 unused, it checks that:
#   - every answer 'a': the KTAP is whole (plan, a "# correct:" line and a
#     result per question, "# score: X/N" counting the ok lines), every
#     result agrees with the key (ok exactly where the key is 'a'), the key
#     names an option everywhere and is not all one letter, the exit status
#     is 0 or 1 as the score says;
#   - the key's answers: full marks, exit 0, the same key;
#   - the key with the first answer changed: full marks less one, exit 1,
#     that question alone not ok;
#   - with the fault_around parameter flipped: the key changes, only in the
#     questions that name the parameter, and every result agrees with it;
#   - as uid 65534 (the device made mode 0666 meanwhile): the key's answers
#     score full marks, frames compared by LOOKUP identity, no PFN shown;
#   - a wrong number of answers is a usage error (exit 2) that runs nothing.
# A quiz that judged every answer right, or took the learner's answer for
# the key, fails the first or the third check.
# Output: KTAP, one result line per check, names starting "quiz: ".
# Exit status: 0 when nothing failed, 1 otherwise.
#
# Environment: TOYMAP_BUILD  the build directory (default: build/ at the top)
set -euo pipefail

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
BUILD=${TOYMAP_BUILD:-$(dirname "$SELFTESTS")/build}
QUIZ="$BUILD/bin/toymap-quiz"
readonly SELFTESTS BUILD QUIZ

readonly DEVICE=/dev/toymap0
readonly FAULT_AROUND=/sys/module/toymap/parameters/fault_around
readonly NOBODY=65534
readonly AS_NOBODY=(setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups --)
readonly NR_RESULTS=6
# What the quiz prints of a frame: a PFN as root, an identity otherwise.
readonly PFN_RE='pfn 0x[0-9a-f]+'
readonly IDENTITY_RE='frame #[0-9a-f]{6}'
# The line a question whose answer depends on fault_around prints.
readonly FA_LINE_RE="^# +\\(The module's fault_around parameter is"

test_num=0
failed=0
WORK=""
# What grade (and parse_tap) found in the last run.
PLAN=""
SCORE=""
WHY=""
STATUS=""
KEY=()
RESULTS=()
FA_QUESTIONS=()
# The key of the first run, as a list for --answers.
KEY1=()

usage() {
	echo "usage: ${0##*/} [-h]   (as root, toymap loaded; env TOYMAP_BUILD)" >&2
	exit 2
}

ok() {
	test_num=$((test_num + 1))
	echo "ok $test_num quiz: $1"
}

not_ok() {
	test_num=$((test_num + 1)) failed=$((failed + 1))
	echo "# $1: $2"
	echo "not ok $test_num quiz: $1"
}

skip() {
	test_num=$((test_num + 1))
	echo "ok $test_num quiz: $1 # SKIP $2"
}

# result NAME WHY: ok when WHY is empty, else not ok with the reason.
result() {
	if [[ -z "$2" ]]; then
		ok "$1"
	else
		not_ok "$1" "$2"
	fi
}

# join LETTER...: "a,b,c".
join() {
	local IFS=,

	echo "$*"
}

# run_quiz OUT ANSWERS [CMD-PREFIX...]: toymap-quiz --tap --answers ANSWERS,
# its stdout and stderr into OUT; prints its exit status.
run_quiz() {
	local out=$1 answers=$2 status=0

	shift 2
	(cd /tmp && "$@" "$QUIZ" --tap --answers "$answers") > "$out" 2>&1 || status=$?
	echo "$status"
}

# parse_tap FILE: read the quiz's KTAP into PLAN, SCORE, KEY (a letter or
# "none" per question), RESULTS ("ok" or "not ok") and FA_QUESTIONS (the
# numbers of the questions that name fault_around), and into WHY why it is
# not whole KTAP ("" when it is).  Not in a $(...): it sets globals.
parse_tap() {
	local line pending="" question=0 why=""
	local plan_re='^1\.\.([0-9]+)$' correct_re='^# correct: ([a-z]|none)$'
	local result_re='^(not )?ok ([0-9]+) ' score_re='^# score: ([0-9]+)/([0-9]+)$'
	local question_re='^# Question ([0-9]+) of '

	PLAN="" SCORE="" KEY=() RESULTS=() FA_QUESTIONS=() WHY=""
	while IFS= read -r line; do
		if [[ "$line" =~ $plan_re ]]; then
			PLAN=${BASH_REMATCH[1]}
		elif [[ "$line" =~ $question_re ]]; then
			question=${BASH_REMATCH[1]}
		elif [[ "$line" =~ $FA_LINE_RE ]]; then
			FA_QUESTIONS+=("$question")
		elif [[ "$line" =~ $correct_re ]]; then
			pending=${BASH_REMATCH[1]}
		elif [[ "$line" =~ $result_re ]]; then
			if [[ "${BASH_REMATCH[2]}" -ne $((${#RESULTS[@]} + 1)) ]]; then
				why="${why:+$why; }result ${BASH_REMATCH[2]} out of order"
			fi
			if [[ -z "$pending" ]]; then
				why="${why:+$why; }result ${BASH_REMATCH[2]} has no \"# correct:\" line"
			fi
			KEY+=("${pending:-none}")
			RESULTS+=("${BASH_REMATCH[1]}ok")
			pending=""
		elif [[ "$line" =~ $score_re ]]; then
			SCORE=${BASH_REMATCH[1]}
			[[ "${BASH_REMATCH[2]}" == "$PLAN" ]] ||
				why="${why:+$why; }the score is out of ${BASH_REMATCH[2]}, the plan $PLAN"
		fi
	done < "$1"
	[[ -n "$PLAN" ]] || why="${why:+$why; }no plan line"
	[[ -n "$SCORE" ]] || why="${why:+$why; }no score line"
	if [[ -n "$PLAN" && "$PLAN" -ne "${#RESULTS[@]}" ]]; then
		why="${why:+$why; }planned $PLAN questions, printed ${#RESULTS[@]} results"
	fi
	if [[ -n "$SCORE" && "$SCORE" -ne "$(count_ok)" ]]; then
		why="${why:+$why; }score $SCORE, but $(count_ok) ok lines"
	fi
	WHY=$why
}

count_ok() {
	local r n=0

	for r in "${RESULTS[@]}"; do
		[[ "$r" == ok ]] && n=$((n + 1))
	done
	echo "$n"
}

# comment FILE: the quiz's output as KTAP comments, for the log.
comment() {
	sed 's/^/# | /' "$1"
}

# add TEXT: append TEXT to WHY, "; " between.
add() {
	WHY="${WHY:+$WHY; }$1"
}

# grade RUN ANSWER... [-- CMD-PREFIX...]: the quiz with these answers (one
# a question), its output in $WORK/RUN.out, read by parse_tap: STATUS gets
# its exit status, WHY what is wrong with its KTAP and each result that
# does not follow from the answer and the key (ok exactly when they are
# equal), or whose key is "none" (the run contradicted every option).
grade() {
	local run=$1 i expected
	local -a answers=() prefix=()

	shift
	while (($#)) && [[ "$1" != -- ]]; do
		answers+=("$1")
		shift
	done
	(($# == 0)) || prefix=("${@:2}")
	STATUS=$(run_quiz "$WORK/$run.out" "$(join "${answers[@]}")" "${prefix[@]}")
	parse_tap "$WORK/$run.out"
	for i in "${!RESULTS[@]}"; do
		expected="not ok"
		[[ "${answers[i]:-}" != "${KEY[i]}" ]] || expected=ok
		if [[ "${KEY[i]}" == none ]]; then
			add "question $((i + 1)): no option true"
		elif [[ "${RESULTS[i]}" != "$expected" ]]; then
			add "question $((i + 1)): answer ${answers[i]:-?}, key ${KEY[i]}, yet ${RESULTS[i]}"
		fi
	done
}

# full_marks: add to WHY what keeps the last run from full marks, exit 0
# and the first run's key.
full_marks() {
	[[ "$SCORE" == "$PLAN" ]] || add "score $SCORE/$PLAN"
	[[ "$STATUS" -eq 0 ]] || add "exit status $STATUS"
	same_key
}

# same_key: add to WHY when KEY is not KEY1.
same_key() {
	[[ "$(join "${KEY[@]}")" == "$(join "${KEY1[@]}")" ]] ||
		add "the key changed: $(join "${KEY[@]}"), was $(join "${KEY1[@]}")"
}

# report NAME RUN: the result line; the run's output as comments if it failed.
report() {
	[[ -z "$WHY" ]] || comment "$WORK/$2.out"
	result "$1" "$WHY"
}

# The first run: every answer 'a'.  Sets KEY1; fails when there is no key.
check_all_a() {
	local name="every answer 'a': whole KTAP, results agree with the key" n list
	local -a answers=()
	local -A letters=()

	if ! list=$("$QUIZ" --list); then
		not_ok "$name" "toymap-quiz --list failed"
		return 1
	fi
	n=$(sed -n 's/^toymap-quiz: \([0-9]*\) questions.*/\1/p' <<<"$list")
	if [[ -z "$n" || "$n" -lt 20 ]]; then
		not_ok "$name" "toymap-quiz --list names ${n:-no} questions, fewer than 20"
		return 1
	fi
	while ((${#answers[@]} < n)); do
		answers+=(a)
	done
	grade all-a "${answers[@]}"
	comment "$WORK/all-a.out"
	[[ "$PLAN" == "$n" ]] || add "plan ${PLAN:-none}, --list says $n"
	if [[ "$STATUS" -ne 0 && "$STATUS" -ne 1 ]]; then
		add "exit status $STATUS"
	elif [[ "$STATUS" -ne $((SCORE == PLAN ? 0 : 1)) ]]; then
		add "exit status $STATUS with score $SCORE/$PLAN"
	fi
	for n in "${KEY[@]}"; do
		letters[$n]=1
	done
	if [[ -z "$WHY" && "${#letters[@]}" -lt 2 ]]; then
		add "the key is all '${KEY[0]}': a judge that says right to every answer would pass"
	fi
	KEY1=("${KEY[@]}")
	result "$name ($PLAN questions, score $SCORE, key $(join "${KEY[@]}"))" "$WHY"
	[[ -z "$WHY" ]]
}

check_key() {
	grade key "${KEY1[@]}"
	full_marks
	report "the key's answers: full marks, exit 0 (score $SCORE/$PLAN)" key
}

check_one_wrong() {
	local wrong=a i name
	local -a answers=("${KEY1[@]}")

	[[ "${KEY1[0]}" != a ]] || wrong=b
	answers[0]=$wrong
	grade one-wrong "${answers[@]}"
	same_key
	[[ "${RESULTS[0]:-}" == "not ok" ]] || add "question 1 (answer $wrong) is ${RESULTS[0]:-missing}"
	for ((i = 1; i < ${#RESULTS[@]}; i++)); do
		[[ "${RESULTS[i]}" == ok ]] || add "question $((i + 1)) is ${RESULTS[i]}"
	done
	[[ -n "$SCORE" && "$SCORE" -eq $((PLAN - 1)) ]] || add "score $SCORE/$PLAN"
	[[ "$STATUS" -eq 1 ]] || add "exit status $STATUS"
	name="one answer wrong: full marks less one, exit 1"
	report "$name (question 1 answered $wrong, key ${KEY1[0]}: score $SCORE/$PLAN)" one-wrong
}

# With fault_around flipped, the key follows the parameter, and only where a
# question names it.
check_fault_around() {
	local name="fault_around flipped: the key changes where the questions name it"
	local was flipped i changed="" fa_list

	if ! was=$(cat "$FAULT_AROUND"); then
		not_ok "$name" "cannot read $FAULT_AROUND"
		return
	fi
	case "$was" in
	Y | 1) flipped=0 ;;
	*) flipped=1 ;;
	esac
	if ! echo "$flipped" > "$FAULT_AROUND"; then
		not_ok "$name" "cannot write $FAULT_AROUND"
		return
	fi
	grade fault-around "${KEY1[@]}"
	echo "$was" > "$FAULT_AROUND"
	fa_list=" ${FA_QUESTIONS[*]} "
	for i in "${!KEY[@]}"; do
		[[ "${KEY[i]}" != "${KEY1[i]:-}" ]] || continue
		changed+=" $((i + 1))"
		[[ "$fa_list" == *" $((i + 1)) "* ]] ||
			add "question $((i + 1)) changed but does not name fault_around"
	done
	[[ -n "$changed" ]] || add "no answer changed with fault_around=$flipped"
	[[ "$STATUS" -eq 1 ]] || add "exit status $STATUS (some answers were wrong)"
	report "$name (fault_around=$flipped: questions${changed:- none} changed, of${fa_list% })" \
		fault-around
}

check_nobody() {
	local name="as uid $NOBODY: full marks with the key, frames by identity, no PFN" mode

	if ! command -v setpriv > /dev/null; then
		not_ok "$name" "setpriv (util-linux) is not installed"
		return
	fi
	mode=$(stat -c '%a' "$DEVICE")
	chmod 0666 "$DEVICE"
	grade nobody "${KEY1[@]}" -- "${AS_NOBODY[@]}"
	chmod "$mode" "$DEVICE"
	full_marks
	! grep -qE "$PFN_RE" "$WORK/nobody.out" || add "a PFN is shown to uid $NOBODY"
	grep -qE "$IDENTITY_RE" "$WORK/nobody.out" || add "no frame identity is shown"
	report "$name (score $SCORE/$PLAN)" nobody
}

check_usage() {
	local status

	WHY=""
	status=$(run_quiz "$WORK/usage.out" "a,b")
	[[ "$status" -eq 2 ]] || add "exit status $status"
	! grep -qE '^(not )?ok ' "$WORK/usage.out" || add "a question ran"
	report "too few answers: a usage error, nothing run" usage
}

main() {
	[[ $# -eq 0 ]] || usage
	echo "TAP version 13"
	if [[ "$(id -u)" -ne 0 || ! -x "$QUIZ" || ! -e "$DEVICE" ]]; then
		echo "1..1"
		skip "everything" "needs root, $QUIZ and $DEVICE (toymap loaded)"
		return 0
	fi
	echo "1..$NR_RESULTS"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/toymap-quiz.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
	if check_all_a; then
		check_key
		check_one_wrong
		check_fault_around
		check_nobody
	else
		while ((test_num < NR_RESULTS - 1)); do
			skip "graded by the key" "the first run gave no key to grade by"
		done
	fi
	check_usage
	echo "# run-quiz.sh: $failed failed"
	((failed == 0))
}

main "$@"
