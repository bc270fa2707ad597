#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/bench.sh [--rounds N] [--short] [--only WORD] KERNEL...
#
# make bench: boots each kernel (scripts/vmrun.sh, the module loaded with
# size=1G), runs toymap-bench in it (--kernel-swap: the guest may have a swap
# on a RAM disk for the EVICT case's reference), and leaves in build/bench/:
#   KERNEL.out            the guest's output: the progress, then the table
#   KERNEL.md             the Markdown table, its notes, what was not measured
#   KERNEL.csv            the table's rows
#   KERNEL.png .svg       the chart: every row's ratio, its min-max and target
#   bench.csv             the rows of every kernel of this run
# and prints each kernel's table at the end.  The charts need gnuplot (Debian
# gnuplot-nox; scripts/deps.sh --bench installs it).  A kernel whose run fails
# is named at the end and the others still run.  Exit status: 0, 1 when a
# kernel's run failed, 2 usage or a missing tool.
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPTS")
OUT=$REPO/build/bench
readonly SCRIPTS REPO OUT
readonly MODULE_ARGS="size=1G"
# The guest's limit: a full run takes 4-11 minutes under TCG on two busy
# CPUs; the debug kernel (KASAN, lockdep) several times that.
readonly TIMEOUT=2400 DEBUG_TIMEOUT=9000
# Chart colours: target met, missed, no target.
readonly COLOUR_MET=0x2e7d32 COLOUR_MISSED=0xc62828 COLOUR_NONE=0x4682b4

usage() {
	echo "usage: ${0##*/} [--rounds N] [--short] [--only WORD] KERNEL..." >&2
	exit 2
}

die() {
	echo "${0##*/}: $*" >&2
	exit 2
}

# Print the chart data of CSV (toymap-bench's columns) as tab-separated
# "label ratio min max target colour text text-x" lines, and a last line
# "# XMIN XMAX": the log axis's range.  Values under XMIN (a ratio of 0) are
# drawn at XMIN; the text is the ratio itself, right of the whisker and
# the target.
chart_data() {
	awk -F, -v met="$COLOUR_MET" -v missed="$COLOUR_MISSED" -v none="$COLOUR_NONE" '
		NR == 1 { next }
		{
			n++; label[n] = $19; r[n] = $13; lo[n] = $14; hi[n] = $15; met_of[n] = $17
			t = $16; sub(/^[<>]= */, "", t); target[n] = t
			for (v = 13; v <= 15; v++) if ($v > 0 && (xmin == "" || $v < xmin)) xmin = $v
			if ($15 > xmax) xmax = $15
		}
		END {
			if (xmin == "" || xmin > 0.5) xmin = 0.5
			if (xmax < 2) xmax = 2
			xmin /= 2; xmax *= 6
			for (i = 1; i <= n; i++) {
				c = met_of[i] == "yes" ? met : met_of[i] == "no" ? missed : none
				t = target[i] == "" ? "NaN" : (target[i] > xmin ? target[i] : xmin)
				x = hi[i] > 1 ? hi[i] : 1
				if (t != "NaN" && t > x) x = t
				printf "%s\t%g\t%g\t%g\t%s\t%s\t%.2f\t%g\n", label[i], (r[i] > xmin ? r[i] : xmin),
					(lo[i] > xmin ? lo[i] : xmin), (hi[i] > xmin ? hi[i] : xmin), t, c, r[i], x * 1.25
			}
			printf "# %g %g\n", xmin, xmax
		}' "$1"
}

# chart KERNEL: KERNEL.png and KERNEL.svg from KERNEL.csv.
chart() {
	local kernel=$1 dat="$OUT/$1.dat" range rows height xmin xmax

	chart_data "$OUT/$kernel.csv" >"$dat"
	range=$(tail -n 1 "$dat")
	read -r _ xmin xmax <<<"$range"
	rows=$(grep -vc '^#' "$dat" || true)
	height=$((rows * 24 + 160))
	# One bar a row from 1 (parity) to its median ratio, on a log axis; the
	# whisker its min-max over the rounds, the circle the target.
	gnuplot <<-EOF
	set datafile separator "\t"
	set title noenhanced "toymap-bench on $kernel: each row's ratio, subject / reference (median, min-max of the rounds)"
	set logscale x
	set xrange [$xmin:$xmax]
	set yrange [$rows:-1]
	set ytics nomirror noenhanced font ",9"
	set grid xtics
	set xlabel "ratio (log scale): bar from 1 to the median; circle: the target; green met, red missed"
	set key off
	set arrow from 1, graph 0 to 1, graph 1 nohead dashtype 2 linecolor rgb "black"
	set style fill solid 0.7 noborder
	set terminal pngcairo size 1200,$height font "sans,10"
	set output "$OUT/$kernel.png"
	plot "$dat" using (1 < \$2 ? 1 : \$2):0:(1 < \$2 ? 1 : \$2):(1 < \$2 ? \$2 : 1):(\$0 - 0.35):(\$0 + 0.35):6:ytic(1) \
		with boxxyerror linecolor rgb variable, \
	     "" using 2:0:3:4 with xerrorbars pointtype -1 linecolor rgb "black", \
	     "" using 5:0 with points pointtype 6 pointsize 1.2 linecolor rgb "black", \
	     "" using 8:0:7 with labels left font ",8"
	set terminal svg size 1200,$height dynamic font "sans,10"
	set output "$OUT/$kernel.svg"
	replot
	EOF
	rm -f "$dat"
}

# run KERNEL ARGS...: toymap-bench in a guest of KERNEL; its files in OUT.
run() {
	local kernel=$1 timeout=$TIMEOUT status=0
	shift

	[[ -z "$("$SCRIPTS/kernels.sh" build "$kernel")" ]] || timeout=$DEBUG_TIMEOUT
	rm -f "$OUT/$kernel".{out,md,csv,png,svg}
	# Two host threads for two vCPUs: the scaling case measures them.
	TOYMAP_TCG_THREAD=multi "$SCRIPTS/vmrun.sh" --kernel "$kernel" --module-args "$MODULE_ARGS" \
		--timeout "$timeout" \
		-- toymap-bench --kernel-swap --label "$kernel" --csv "$OUT/$kernel.csv" "$@" 2>&1 |
		tee "$OUT/$kernel.out" || status=${PIPESTATUS[0]}
	[[ $status -eq 0 && -s "$OUT/$kernel.csv" ]] || return 1
	# The table and what follows it, without vmrun's own last line.
	tr -d '\r' <"$OUT/$kernel.out" | sed -n '/^## toymap-bench/,$p' | grep -v '^vmrun\.sh: ' >"$OUT/$kernel.md"
	chart "$kernel"
}

main() {
	local args=() kernels=() failed=() kernel i=0 start

	while [[ $# -gt 0 ]]; do
		case "$1" in
		--rounds | --only) [[ $# -ge 2 ]] || usage; args+=("$1" "$2"); shift 2 ;;
		--short) args+=("$1"); shift ;;
		-*) usage ;;
		*) kernels+=("$1"); shift ;;
		esac
	done
	[[ ${#kernels[@]} -gt 0 ]] || usage
	# An unknown kernel fails before any boot, saying so.
	for kernel in "${kernels[@]}"; do
		"$SCRIPTS/kernels.sh" build "$kernel" >/dev/null || exit 2
	done
	command -v gnuplot >/dev/null ||
		die "gnuplot is missing (Debian package gnuplot-nox): as root, run $SCRIPTS/deps.sh --bench ${kernels[*]}"
	[[ -x "$REPO/build/bin/toymap-bench" ]] || die "build/bin/toymap-bench is missing: run make"
	mkdir -p "$OUT"
	for kernel in "${kernels[@]}"; do
		i=$((i + 1))
		start=$SECONDS
		echo "=== [$i/${#kernels[@]}] $kernel: boot, then toymap-bench${args[*]:+ ${args[*]}}" \
			"(4-11 minutes; a case a line, a dot a round)"
		if run "$kernel" "${args[@]}"; then
			echo "=== $kernel: done in $((SECONDS - start)) s"
		else
			echo "=== $kernel: FAILED after $((SECONDS - start)) s (see $OUT/$kernel.out)"
			failed+=("$kernel")
		fi
	done
	# Every kernel's rows under one header line.
	rm -f "$OUT/bench.csv"
	for kernel in "${kernels[@]}"; do
		[[ -s "$OUT/$kernel.csv" ]] || continue
		[[ -s "$OUT/bench.csv" ]] || head -n 1 "$OUT/$kernel.csv" >"$OUT/bench.csv"
		tail -n +2 "$OUT/$kernel.csv" >>"$OUT/bench.csv"
	done
	for kernel in "${kernels[@]}"; do
		if [[ -s "$OUT/$kernel.md" ]]; then
			echo
			cat "$OUT/$kernel.md"
		fi
	done
	echo
	echo "bench: tables, CSV and charts in ${OUT#"$REPO"/}/ (KERNEL.md, .csv, .png, .svg; bench.csv)"
	if [[ ${#failed[@]} -gt 0 ]]; then
		echo "bench: FAILED on ${failed[*]}"
		return 1
	fi
}

main "$@"
