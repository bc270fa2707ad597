#!/bin/bash
# Lints the project: checkpatch --strict on the module, a W=1 C=2 (sparse)
# build for each kernel, shellcheck on the scripts, mandoc -T lint on the man
# pages. Exits 1 on any finding.
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPTS")
readonly SCRIPTS REPO
readonly KERNEL_SOURCE=/usr/src/linux-source-6.1.tar.xz
readonly CHECKPATCH_DIR="$REPO/build/checkpatch"

# The lines of a clean build: kbuild's "  CC [M]  file" lines, make's
# directory lines, and the BTF notice of headers built without vmlinux.
readonly BUILD_NORMAL_RE='^  [A-Z][A-Z0-9_]*( \[M\])? +[^ ]|^make(\[[0-9]+\])?: (Entering|Leaving) directory|^Skipping BTF generation for .* due to unavailability of vmlinux$'
# Newer kernels (7.3 here) test the checker first and build without it,
# saying so, when it is too old or their scripts/checker-valid.sh is missing.
# 7.3 hits both: Debian's 7.3 headers lack that script, and its test needs
# __typeof_unqual__, which trixie's sparse 0.6.4 does not parse. Such a build
# is W=1 only; the lint says so rather than fail.
readonly CHECKER_OFF_RE='C=[0-9] specified, but .* is not available or not up to date$'
readonly CHECKER_VALID_RE='/scripts/checker-valid\.sh: No such file or directory$'

FAILED=()

usage() {
	echo "usage: ${0##*/} [KERNEL...]   (default: every kernel of scripts/kernels.conf)" >&2
	exit 2
}

# Print the files of the arguments (globs) that exist.
existing() {
	local file

	for file in "$@"; do
		[[ -e "$file" ]] && echo "$file"
	done
	return 0
}

# Record a failed check NAME and print its findings from stdin.
fail() {
	FAILED+=("$1")
	echo "lint: $1: findings:"
	sed 's/^/    /'
}

# Extract checkpatch.pl and its data files from Debian's kernel source once.
extract_checkpatch() {
	local tmp top=linux-source-6.1

	[[ -f "$CHECKPATCH_DIR/scripts/checkpatch.pl" &&
		"$CHECKPATCH_DIR/scripts/checkpatch.pl" -nt "$KERNEL_SOURCE" ]] && return
	[[ -f "$KERNEL_SOURCE" ]] || { echo "lint: $KERNEL_SOURCE is missing (run scripts/deps.sh)" >&2; return 1; }
	echo "lint: extracting checkpatch.pl from $KERNEL_SOURCE"
	mkdir -p "$REPO/build"
	tmp=$(mktemp -d "$CHECKPATCH_DIR.tmp.XXXXXX")
	tar -xJf "$KERNEL_SOURCE" -C "$tmp" --strip-components=1 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" "$top/scripts/const_structs.checkpatch"
	touch "$tmp/scripts/checkpatch.pl"
	rm -rf "$CHECKPATCH_DIR"
	mv "$tmp" "$CHECKPATCH_DIR"
}

# checkpatch --strict on the module's sources and headers.  Two files get a
# documented exception each, for what is their very purpose:
#   compat.h        version tests (LINUX_VERSION_CODE, KERNEL_VERSION on the left)
#   toymap_trace.h  the TRACE_EVENT() layout of include/trace/events/*.h
declare -A CHECKPATCH_IGNORE=(
	[module/compat.h]="LINUX_VERSION_CODE,CONSTANT_COMPARISON"
	[module/toymap_trace.h]="OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT"
)

run_checkpatch() {
	local files file out status=0

	mapfile -t files < <(existing module/*.c module/*.h module/uapi/*.h)
	if [[ ${#files[@]} -eq 0 ]]; then
		echo "lint: checkpatch: no module sources yet, skipped"
		return
	fi
	extract_checkpatch
	for file in "${files[@]}"; do
		if ! out=$("$CHECKPATCH_DIR/scripts/checkpatch.pl" --strict --no-tree --quiet \
				--ignore "${CHECKPATCH_IGNORE[$file]:-NONE}" -f "$file" 2>&1); then
			status=1
			fail checkpatch <<<"$out"
		fi
	done
	[[ $status -eq 0 ]] && echo "lint: checkpatch: ${#files[@]} files clean"
	return 0
}

# A W=1 C=2 build of the module for KERNEL: any line beyond the normal ones
# (a compiler warning, a sparse complaint, an error) is a finding.
run_build() {
	local kernel="$1" out findings checks="W=1, sparse" off

	if [[ ! -f Kbuild || ! -d module ]]; then
		echo "lint: build $kernel: no Kbuild or module/ yet, skipped"
		return
	fi
	out=$("$SCRIPTS/build-module.sh" "$kernel" W=1 C=2 2>&1) || true
	off=$(grep -oE "$CHECKER_OFF_RE" <<<"$out" | head -n 1 || true)
	[[ -z "$off" ]] || checks="W=1; sparse not run, kbuild says: $off"
	# Name files as in the repository, not as in the build copy.
	findings=$(grep -vE "$BUILD_NORMAL_RE|$CHECKER_OFF_RE|$CHECKER_VALID_RE" <<<"$out" |
		sed "s|$REPO/build/$kernel/src/||g" || true)
	if [[ -z "$findings" ]]; then
		echo "lint: build $kernel ($checks): clean"
	else
		fail "build $kernel" <<<"$findings"
	fi
}

# Run shellcheck on the project's shell scripts.
run_shellcheck() {
	local files out

	mapfile -t files < <(existing scripts/*.sh selftests/*.sh .ci/run)
	if [[ ${#files[@]} -eq 0 ]]; then
		echo "lint: shellcheck: no scripts, skipped"
		return
	fi
	if out=$(shellcheck -x -P SCRIPTDIR "${files[@]}" 2>&1); then
		echo "lint: shellcheck: ${#files[@]} files clean"
	else
		fail shellcheck <<<"$out"
	fi
}

# Run mandoc -T lint on the man pages (warnings and worse are findings).
run_mandoc() {
	local files out

	mapfile -t files < <(existing man/*.[1-9])
	if [[ ${#files[@]} -eq 0 ]]; then
		echo "lint: mandoc: no man pages, skipped"
		return
	fi
	command -v mandoc >/dev/null || { echo "lint: mandoc is missing (run scripts/deps.sh --check)" | fail mandoc; return; }
	if out=$(mandoc -T lint -W warning "${files[@]}" 2>&1); then
		echo "lint: mandoc: ${#files[@]} man pages clean"
	else
		fail mandoc <<<"$out"
	fi
}

main() {
	local kernels kernel list

	[[ "${1:-}" != -* ]] || usage
	cd "$REPO"
	if [[ $# -gt 0 ]]; then
		kernels=("$@")
	else
		list=$("$SCRIPTS/kernels.sh" names)
		mapfile -t kernels <<<"$list"
	fi
	run_checkpatch
	for kernel in "${kernels[@]}"; do
		run_build "$kernel"
	done
	run_shellcheck
	run_mandoc
	if [[ ${#FAILED[@]} -gt 0 ]]; then
		printf -v list '%s, ' "${FAILED[@]}"
		echo "lint: FAILED: ${list%, }"
		exit 1
	fi
	echo "lint: all clean"
}

main "$@"
