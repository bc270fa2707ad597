#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The figures of make demo, tested in a real browser: make check's row
# "figures". Runs scripts/demo.sh on one kernel (6.12 when it is among
# KERNEL..., else the first): every demo in one guest, their figures rendered
# by dot, and build/demo/index.html. Then loads index.html in headless
# Chromium and reads what the page's own script wrote into #figure-check once
# the page and its images had loaded (--dump-dom): every figure loaded and has
# a size. A copy of the page with one empty figure must fail that same check,
# so that the check is known to be able to fail.
#
# Output: KTAP, one line a check; the demo run's output goes to
# build/logs/figures-demo.out. Exit status: 0 when every check passed, 1
# otherwise, 2 on a usage error.
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPTS")
readonly SCRIPTS REPO
readonly FIGURES="$REPO/build/demo"
readonly LOG="$REPO/build/logs/figures-demo.out"
readonly PREFERRED_KERNEL=6.12
# Virtual time the page gets to load its figures and run its script.
readonly BROWSER_BUDGET_MS=20000
readonly BROWSER_TIMEOUT=180
readonly NR_CHECKS=5

COUNT=0
FAILED=0
TMP=""

usage() {
	echo "usage: ${0##*/} KERNEL...   (runs the demos on $PREFERRED_KERNEL if listed, else the first)" >&2
	exit 2
}

cleanup() {
	[[ -z "$TMP" ]] || rm -rf "$TMP"
}

# result NAME WHY: ok when WHY is empty, else not ok with the reason.
result() {
	COUNT=$((COUNT + 1))
	if [[ -z "$2" ]]; then
		echo "ok $COUNT figures: $1"
	else
		FAILED=$((FAILED + 1))
		echo "# $2"
		echo "not ok $COUNT figures: $1"
	fi
}

# The kernel to run the demos on.
pick_kernel() {
	local kernel

	for kernel in "$@"; do
		if [[ "$kernel" == "$PREFERRED_KERNEL" ]]; then
			echo "$kernel"
			return
		fi
	done
	echo "$1"
}

# Print what headless Chromium's DOM of PAGE says in #figure-check.
browser_check() {
	local page="$1" dom

	dom=$(timeout "$BROWSER_TIMEOUT" chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$TMP/profile" --virtual-time-budget="$BROWSER_BUDGET_MS" \
		--dump-dom "file://$page" 2>"$TMP/chromium.err") || {
		echo "chromium failed: $(tail -n 3 "$TMP/chromium.err" | tr '\n' ' ')"
		return
	}
	sed -n 's/.*<p id="figure-check">\([^<]*\)<.*/\1/p' <<<"$dom"
}

# The steps of each demo (its output's "Step N." lines) and their figures:
# sets STEPS and SVGS (totals), and WHY for a demo whose counts differ.
count_figures() {
	local name steps svgs svg

	STEPS=0 SVGS=0 WHY=""
	while read -r name; do
		steps=$(grep -cE '^Step [0-9]+\. ' "$FIGURES/$name/output.txt" || true)
		svgs=0
		for svg in "$FIGURES/$name"/step-*.svg; do
			[[ -e "$svg" ]] || continue
			if grep -q '<svg' "$svg"; then
				svgs=$((svgs + 1))
			else
				WHY="${WHY:+$WHY; }$svg is no SVG"
			fi
		done
		((steps > 0 && steps == svgs)) ||
			WHY="${WHY:+$WHY; }$name: $steps steps, $svgs figures"
		STEPS=$((STEPS + steps)) SVGS=$((SVGS + svgs))
	done <"$FIGURES/demos.txt"
}

# index.html's steps, in order: "NAME-step-N" ids, N from 1 up within each demo.
check_order() {
	{ grep -oE 'class="step" id="[^"]+-step-[0-9]+"' "$FIGURES/index.html" || true; } |
		sed -E 's/.*id="(.+)-step-([0-9]+)"/\1 \2/' |
		awk '$1 != name { name = $1; next_step = 1 }
			$2 != next_step { print name " step " $2 " comes where step " next_step " should"; exit }
			{ next_step++ }'
}

main() {
	local kernel status=0 why="" shown steps_shown

	[[ $# -ge 1 && "$1" != -* ]] || usage
	kernel=$(pick_kernel "$@")
	TMP=$(mktemp -d)
	trap cleanup EXIT
	echo "TAP version 13"
	echo "1..$NR_CHECKS"
	mkdir -p "$(dirname "$LOG")"
	echo "# scripts/demo.sh $kernel (output in $LOG)"
	"$SCRIPTS/demo.sh" "$kernel" >"$LOG" 2>&1 || status=$?
	[[ "$status" == 0 ]] || why="scripts/demo.sh $kernel exited $status: $(tail -n 5 "$LOG" | tr '\n' '|')"
	result "make demo's run on $kernel: every demo agrees with the chapter" "$why"

	if [[ ! -s "$FIGURES/demos.txt" || ! -f "$FIGURES/index.html" ]]; then
		why="no $FIGURES/demos.txt or index.html: the demo run made no figures"
		result "every step of every demo has its figure" "$why"
		result "index.html shows each demo's steps in order" "$why"
		result "headless Chromium loads every figure of index.html" "$why"
		result "headless Chromium reports an empty figure" "$why"
		return 1
	fi
	count_figures
	result "every step of every demo has its figure ($SVGS figures, $(wc -l <"$FIGURES/demos.txt") demos)" "$WHY"

	steps_shown=$(grep -c 'class="step"' "$FIGURES/index.html" || true)
	why=$(check_order)
	[[ "$steps_shown" == "$STEPS" ]] || why="${why:+$why; }index.html shows $steps_shown steps of $STEPS"
	result "index.html shows each demo's steps in order ($steps_shown steps)" "$why"

	if ! command -v chromium >/dev/null; then
		why="chromium is missing: as root, run: apt-get install chromium (or scripts/deps.sh --check)"
		result "headless Chromium loads every figure of index.html" "$why"
		result "headless Chromium reports an empty figure" "$why"
		return 1
	fi
	shown=$(browser_check "$FIGURES/index.html")
	why=""
	[[ "$shown" == "figures: all $SVGS loaded" ]] || why="the page says: ${shown:-nothing}"
	result "headless Chromium loads every figure of index.html ($SVGS)" "$why"

	# The same page with its first figure empty: the check must see it.
	: >"$FIGURES/empty-figure.svg"
	sed -E '0,/<img src="[^"]+"/s//<img src="empty-figure.svg"/' "$FIGURES/index.html" \
		>"$FIGURES/index-broken.html"
	shown=$(browser_check "$FIGURES/index-broken.html")
	rm -f "$FIGURES/empty-figure.svg" "$FIGURES/index-broken.html"
	why=""
	[[ "$shown" == "figures: 1 of $SVGS did not load: empty-figure.svg" ]] ||
		why="with one empty figure the page says: ${shown:-nothing}"
	result "headless Chromium reports an empty figure" "$why"
	((FAILED == 0))
}

main "$@"
