#!/bin/bash
# The walk-through of `make demo`: boots one kernel of the matrix under QEMU
# with toymap.ko loaded with trace=1 (every fault logged), mode=0666 (any
# user may map the objects) and size=1G (the 1 GiB area of the chapter's
# demand-zero example), and runs scripts/demo-guest.sh there: the demos of
# CS:APP chapter 9 in order, each step with the kernel log lines of its page
# faults, then one demo again without root. Expects everything built (make
# userspace modules). Then it renders each demo's figures (a figure a step,
# written by the demos as Graphviz DOT in the guest) with dot -Tsvg here on
# the host, and writes build/demo/index.html: each demo's steps in order, the
# figure, the step's text and its kernel log lines.
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
readonly FIGURES="$REPO/build/demo"
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
	toymap demo: CS:APP 9.7-9.8 (page faults, memory mapping) on a real Linux kernel.
	Booting Debian's $release under QEMU, loading toymap.ko with
	$MODULE_ARGS (log every fault; let any user map the objects;
	objects of 1 GiB). This takes about half a minute. At the end, a figure of
	every step, drawn from this run as the chapter draws them, is in
	${FIGURES#"$REPO"/}/index.html.
	EOF
}

# Boot KERNEL and run the demos; return the guest's (or vmrun's) status.
run_guest() {
	local kernel="$1"

	"$SCRIPTS/vmrun.sh" --kernel "$kernel" --module-args "$MODULE_ARGS" --timeout "$TIMEOUT" \
		-- "$SCRIPTS/demo-guest.sh" --figures "$FIGURES" "$REPO/build/bin"
}

# Render every figure the demos wrote (FIGURES/NAME/step-NN.dot) as SVG.
# Graphviz runs here, not in the guest: under TCG a figure takes seconds.
render_figures() {
	local dot count=0

	command -v dot >/dev/null ||
		die "dot is missing, to draw the figures: as root, run:" \
			"apt-get install graphviz (or $SCRIPTS/deps.sh)"
	for dot in "$FIGURES"/*/step-*.dot; do
		[[ -e "$dot" ]] || continue
		dot -Tsvg -o "${dot%.dot}.svg" "$dot" || die "dot -Tsvg failed on $dot"
		count=$((count + 1))
	done
	echo "$count"
}

# Print text from stdin as HTML: &, < and > escaped.
html_escape() {
	sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'
}

# Print the section of index.html for demo NAME: its output (FIGURES/NAME/
# output.txt) cut into steps ("Step N. ..." lines), each step's figure first.
html_demo() {
	local name="$1" dir="$FIGURES/$1"

	html_escape <"$dir/output.txt" | awk -v name="$name" -v dir="$dir" '
		function end_pre() { if (in_pre) print "</pre>"; in_pre = 0 }
		function end_step() { end_pre(); if (step) print "</div>"; step = 0 }
		BEGIN { printf "<section id=\"%s\">\n<h2>%s</h2>\n<pre>", name, name; in_pre = 1 }
		/^Step [0-9]+\. / {
			end_step()
			step = $2 + 0
			svg = sprintf("step-%02d.svg", step)
			printf "<div class=\"step\" id=\"%s-step-%d\">\n<h3>%s</h3>\n", name, step, $0
			if ((getline line < (dir "/" svg)) >= 0) {
				close(dir "/" svg)
				printf "<img src=\"%s/%s\" alt=\"%s, step %d\">\n", name, svg, name, step
			}
			printf "<pre>"
			in_pre = 1
			next
		}
		/^Result: / { end_step(); printf "<p class=\"result\">%s</p>\n", $0; next }
		{ if (!in_pre) printf "<pre>"; in_pre = 1; print }
		END { end_step(); print "</section>" }'
}

# Write FIGURES/index.html: every demo of FIGURES/demos.txt, its steps in order.
# Its own script checks, once loaded, that every figure loaded and is not
# empty, and says so in #figure-check (scripts/test-figures.sh reads it).
write_index() {
	local release="$1" name names=()

	mapfile -t names <"$FIGURES/demos.txt"
	{
		cat <<-EOF
		<!DOCTYPE html>
		<html lang="en"><head><meta charset="utf-8">
		<title>toymap: CS:APP 9.7-9.8 drawn from a run</title>
		<style>
		body { font-family: sans-serif; margin: 1em 2em; }
		pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; }
		img { max-width: 100%; border: 1px solid #ccc; background: white; }
		.step { margin: 1.5em 0; border-top: 1px solid #ddd; }
		nav a { margin-right: 1em; }
		</style></head><body>
		<h1>The chapter's figures, drawn from this run</h1>
		<p>make demo on Debian's $release, $(date -u '+%Y-%m-%d %H:%M UTC'): each demo's steps in
		order, each with its figure (the virtual address spaces, physical memory, the object and
		its files; what changed in the step in yellow and red), the step's text, and its kernel
		log lines.</p>
		<p id="figure-check">figures not checked yet</p>
		EOF
		echo "<nav>"
		for name in "${names[@]}"; do
			echo "<a href=\"#$name\">$name</a>"
		done
		echo "</nav>"
		for name in "${names[@]}"; do
			html_demo "$name"
		done
		cat <<-'EOF'
		<script>
		// Every figure: loaded, and drawn at a size (an empty or broken SVG has none).
		window.addEventListener("load", function () {
			var images = document.images, bad = [], i;
			for (i = 0; i < images.length; i++)
				if (!images[i].complete || images[i].naturalWidth < 16 || images[i].naturalHeight < 16)
					bad.push(images[i].getAttribute("src"));
			var check = document.getElementById("figure-check");
			check.textContent = bad.length ? "figures: " + bad.length + " of " + images.length +
				" did not load: " + bad.join(" ") : "figures: all " + images.length + " loaded";
		});
		</script>
		</body></html>
		EOF
	} >"$FIGURES/index.html"
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
	local kernel release status=0 count

	kernel=$(pick_kernel "$@")
	release=$("$SCRIPTS/kernels.sh" release "$kernel") || exit "$EXIT_USAGE"
	check_built "$kernel"
	print_preface "$release"
	rm -rf "$FIGURES"
	mkdir -p "$FIGURES"
	run_guest "$kernel" || status=$?
	explain_status "$status"
	if [[ -s "$FIGURES/demos.txt" ]]; then
		count=$(render_figures)
		write_index "$release"
		echo "The figures: $count, one a step, drawn as the chapter draws them; open"
		echo "  $FIGURES/index.html"
		echo "in a browser: each demo's steps with their figures, text and kernel log."
	fi
	exit "$status"
}

main "$@"
