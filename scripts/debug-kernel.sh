#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel of the test bed: Debian's linux-source-6.1, x86_64_defconfig
# and the fragment scripts/debug-kernel.config (KASAN, lockdep, DEBUG_VM,
# DEBUG_PAGEALLOC, kmemleak, KFENCE, fault injection; 9p over virtio built in).
#
# The build is cached outside the work tree, beside the debootstrap roots of
# scripts/kernels.sh, in
#   $TOYMAP_ROOTS/debug-KEY/      (default TOYMAP_ROOTS=/var/cache/toymap)
#     bzImage                     the kernel image QEMU boots
#     release                     its release string (uname -r in the guest)
#     tree/                       the built kernel tree, object files removed:
#                                 make -C tree M=DIR modules builds a module
#     build.log, build.info       make's output; how and when it was built
# KEY hashes what decides the build: the version of the linux-source-6.1
# package, the fragment's content, the compiler's version and the recipe of
# this script.  Only the first run for a KEY pays (about 8 minutes with two
# CPUs); it builds in DIR.tmp.XXXXXX and renames it into place when complete,
# so an interrupted build leaves nothing that looks usable.
#
#   build      build the kernel unless it is cached; print its directory
#   configure DIR
#              only the first steps of a build, in an empty directory DIR: the
#              source's Kconfig files and scripts (not the whole tree, 15 s),
#              x86_64_defconfig and the fragment, checked as a build checks
#              them; print DIR/.config (the cold-start test of
#              scripts/test-scripts.sh runs it)
#   dir        print the directory of the current KEY, built or not
#   release | image | headers
#              print the release, the bzImage, the tree for M= builds; fail
#              when the kernel is not built yet
#   cmdline    the kernel parameters its guests need (scripts/vmrun.sh adds
#              them to its own)
#   packages   the Debian packages the build needs, one a line
#   key        print KEY
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly SCRIPTS
readonly FRAGMENT=$SCRIPTS/debug-kernel.config
readonly SOURCE_PACKAGE=linux-source-6.1
readonly SOURCE_TARBALL=/usr/src/linux-source-6.1.tar.xz
readonly BUILD_PACKAGES=(linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev
	dwarves cpio xz-utils)
# Bump when a change of this script makes a cached build wrong.
readonly RECIPE=1
# pci=noacpi: under KASAN and lockdep the ACPI interpreter runs each PCI
# device's _PRT method into its 30 s loop timeout (AE_AML_LOOP_TIMEOUT), a
# minute of every boot for the two virtio devices; the BIOS's routing table
# serves as well, and virtio uses MSI-X anyway.
readonly BOOT_PARAMS="pci=noacpi"
readonly PROGRESS_SECONDS=30
CACHE=${TOYMAP_ROOTS:-/var/cache/toymap}
readonly CACHE

# Set while building: the temporary directory and make's process.
TMP_DIR=""
MAKE_PID=""

usage() {
	echo "usage: ${0##*/} build | configure DIR | dir | release | image | headers | cmdline | packages | key" >&2
	echo "       (environment: TOYMAP_ROOTS, the cache directory, default /var/cache/toymap)" >&2
	exit 2
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

say() {
	echo "${0##*/}: $*" >&2
}

# Print the version of the installed kernel source package.
source_version() {
	local status

	status=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$SOURCE_PACKAGE" 2>/dev/null) ||
		die "$SOURCE_PACKAGE is not installed (run scripts/deps.sh)"
	[[ "$status" == ii* ]] || die "$SOURCE_PACKAGE is not installed (run scripts/deps.sh)"
	echo "${status##* }"
}

# Print the version of the compiler, "none" without one.
compiler_version() {
	gcc -dumpfullversion 2>/dev/null || echo none
}

# Print the cache key: a hash of everything that decides the build.
key() {
	local version compiler sum

	[[ -f "$FRAGMENT" ]] || die "$FRAGMENT is missing"
	version=$(source_version)
	compiler=$(compiler_version)
	sum=$(printf 'recipe %s\nsource %s %s\ncompiler %s\n' "$RECIPE" "$SOURCE_PACKAGE" "$version" "$compiler" |
		cat - "$FRAGMENT" | sha256sum)
	echo "${sum:0:16}"
}

# Print the cache directory of the current key.
cache_dir() {
	local key

	[[ "$CACHE" == /* && "$CACHE" != *[[:space:]]* ]] ||
		die "TOYMAP_ROOTS must be an absolute path without white space: '$CACHE'"
	key=$(key)
	echo "$CACHE/debug-$key"
}

# Fail, before any long work, when something the build needs is missing: the
# fragment, a package of BUILD_PACKAGES, the source tarball.
check_inputs() {
	local list missing=()

	[[ -f "$FRAGMENT" ]] || die "$FRAGMENT is missing"
	list=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${BUILD_PACKAGES[@]}" 2>/dev/null || true)
	mapfile -t missing < <(printf '%s\n' "${BUILD_PACKAGES[@]}" | grep -vxF -f <(awk '$1 == "ii" { print $2 }' <<<"$list") || true)
	[[ ${#missing[@]} -eq 0 ]] ||
		die "the build needs the packages ${missing[*]}; as root, run: $SCRIPTS/deps.sh debug"
	[[ -f "$SOURCE_TARBALL" ]] || die "$SOURCE_TARBALL is missing (package $SOURCE_PACKAGE)"
}

# Print the cache directory if the kernel is built there, else fail.
built_dir() {
	local dir

	dir=$(cache_dir)
	[[ -f "$dir/release" ]] ||
		die "the debug kernel is not built ($dir): run scripts/debug-kernel.sh build"
	echo "$dir"
}

# Kill make if it runs, then remove the unfinished build.
cleanup() {
	if [[ -n "$MAKE_PID" ]]; then
		kill -TERM "$MAKE_PID" 2>/dev/null || true
		wait "$MAKE_PID" 2>/dev/null || true
		MAKE_PID=""
	fi
	if [[ -n "$TMP_DIR" && -d "$TMP_DIR" ]]; then
		say "removing the unfinished build $TMP_DIR"
		rm -rf --one-file-system "$TMP_DIR"
	fi
	TMP_DIR=""
}

# Extract the kernel source into TREE, or with "kconfig" only what
# configure() reads: the top Makefile, scripts/, arch/x86/, the Kconfig files
# and Makefiles.
extract_source() {
	local tree="$1" what="${2:-}" top=linux-source-6.1 start=$SECONDS members=()

	[[ -f "$SOURCE_TARBALL" ]] || die "$SOURCE_TARBALL is missing (package $SOURCE_PACKAGE)"
	[[ "$what" != kconfig ]] ||
		members=(--wildcards "$top/Makefile" "$top/scripts/*" "$top/arch/x86/*" '*Kconfig*' '*/Makefile*')
	say "extracting $SOURCE_TARBALL${what:+ ($what files only)}"
	tar -xJf "$SOURCE_TARBALL" -C "$(dirname "$tree")" "${members[@]}"
	mv -T "$(dirname "$tree")/$top" "$tree"
	say "extracted in $((SECONDS - start)) s"
}

# Make the .config of TREE: x86_64_defconfig, then the fragment; fail when a
# line of the fragment did not survive (a dependency missing, a typo).
configure() {
	local tree="$1" line sym want got lost=()

	make -s -C "$tree" x86_64_defconfig
	(cd "$tree" && scripts/kconfig/merge_config.sh -m .config "$FRAGMENT") >"$tree/merge_config.log" 2>&1 ||
		{ cat "$tree/merge_config.log" >&2; die "merge_config.sh failed"; }
	make -s -C "$tree" olddefconfig >>"$tree/merge_config.log" 2>&1 ||
		{ cat "$tree/merge_config.log" >&2; die "make olddefconfig failed"; }
	while read -r line; do
		if [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			sym=${BASH_REMATCH[1]}
			got=$(grep -E "^$sym=" "$tree/.config" || true)
			[[ -z "$got" ]] || lost+=("$line (got $got)")
		elif [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)= ]]; then
			sym=${BASH_REMATCH[1]}
			want=$line
			got=$(grep -E "^$sym=" "$tree/.config" || echo "$sym unset")
			[[ "$got" == "$want" ]] || lost+=("$want (got $got)")
		fi
	done <"$FRAGMENT"
	if [[ ${#lost[@]} -gt 0 ]]; then
		printf '  %s\n' "${lost[@]}" >&2
		die "these lines of ${FRAGMENT##*/} did not survive olddefconfig"
	fi
}

# Print the number of make steps of the last build in the cache, or nothing.
previous_steps() {
	local infos=()

	shopt -s nullglob
	infos=("$CACHE"/debug-*/build.info)
	shopt -u nullglob
	[[ ${#infos[@]} -gt 0 ]] || return 0
	awk '$1 == "steps:" { n = $2 } END { if (n) print n }' "${infos[@]}"
}

# Print the number of make steps in LOG: the kbuild lines ("  CC  file").
count_steps() {
	grep -cE '^  [A-Z][A-Z0-9_]* ' "$1" || true
}

# Print one progress line: elapsed time, steps done (of about EXPECTED, if
# known), the last one.
progress_line() {
	local log="$1" start="$2" expected="$3" tree="$4" count last elapsed of=""

	count=$(count_steps "$log")
	[[ -z "$expected" ]] || of=" of ~$expected"
	last=$(grep -E '^  [A-Z]' "$log" | tail -n 1 | sed "s|$tree/||; s/^ *//; s/  */ /g" || true)
	elapsed=$((SECONDS - start))
	printf '%s: %2dm%02ds  %5d steps%s  %s\n' "${0##*/}" $((elapsed / 60)) $((elapsed % 60)) \
		"$count" "$of" "$last" >&2
}

# Build the kernel in TREE, make's output to LOG, a progress line every
# PROGRESS_SECONDS seconds.
run_make() {
	local tree="$1" log="$2" start=$SECONDS next status=0 expected

	expected=$(previous_steps)
	say "building with make -j$(nproc): a line every $PROGRESS_SECONDS s, make's output in $log"
	make -C "$tree" -j"$(nproc)" all >"$log" 2>&1 &
	MAKE_PID=$!
	next=$((SECONDS + PROGRESS_SECONDS))
	while kill -0 "$MAKE_PID" 2>/dev/null; do
		sleep 1
		if ((SECONDS >= next)); then
			progress_line "$log" "$start" "$expected" "$tree"
			next=$((SECONDS + PROGRESS_SECONDS))
		fi
	done
	wait "$MAKE_PID" || status=$?
	MAKE_PID=""
	if [[ "$status" -ne 0 ]]; then
		tail -n 40 "$log" >&2
		die "make failed (status $status); the whole log: $log"
	fi
	progress_line "$log" "$start" "$expected" "$tree"
}

# Remove what an external module build (make -C tree M=DIR) does not need,
# about 1.6 of 1.9 GB: object files and archives, the sources of drivers,
# file systems, networking, sound and the other architectures, the
# documentation, the tools but objtool (it checks the module's objects).
# The tree keeps vmlinux and System.map for reading splats.
prune_tree() {
	local tree="$1" arch

	find "$tree" \( -name '*.o' -o -name '*.a' -o -name '*.ko' -o -name '*.mod.c' \) -type f -delete
	rm -f "$tree"/vmlinux.o "$tree"/.tmp_vmlinux* "$tree/arch/x86/boot/compressed/vmlinux"
	rm -rf "${tree:?}"/{Documentation,drivers,fs,net,sound,samples,LICENSES}
	for arch in "$tree"/arch/*/; do
		[[ "$arch" == */x86/ ]] || rm -rf "$arch"
	done
	mv "$tree/tools/objtool/objtool" "$tree/objtool.keep"
	rm -rf "$tree/tools"
	mkdir -p "$tree/tools/objtool"
	mv "$tree/objtool.keep" "$tree/tools/objtool/objtool"
}

# Build the kernel into DIR, through a temporary directory beside it.
build_into() {
	local dir="$1" start=$SECONDS tree stale version compiler release steps now cpus image_mb cache_mb

	# A build killed before its cleanup left its directory: remove it.
	for stale in "$dir".tmp.*; do
		[[ -d "$stale" ]] || continue
		say "removing the stale unfinished build $stale"
		rm -rf --one-file-system "$stale"
	done
	TMP_DIR=$(mktemp -d "$dir.tmp.XXXXXX")
	chmod 755 "$TMP_DIR"
	tree=$TMP_DIR/tree
	extract_source "$tree"
	configure "$tree"
	cp "$FRAGMENT" "$TMP_DIR/debug-kernel.config"
	run_make "$tree" "$TMP_DIR/build.log"
	[[ -f "$tree/Module.symvers" ]] || die "the build made no Module.symvers"
	make -s -C "$tree" kernelrelease >"$TMP_DIR/release"
	cp "$tree/arch/x86/boot/bzImage" "$TMP_DIR/bzImage"
	prune_tree "$tree"
	version=$(source_version)
	compiler=$(compiler_version)
	release=$(<"$TMP_DIR/release")
	steps=$(count_steps "$TMP_DIR/build.log")
	now=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
	cpus=$(nproc)
	printf '%s\n' "source: $SOURCE_PACKAGE $version" "compiler: $compiler" "release: $release" \
		"steps: $steps" "built: $now in $((SECONDS - start)) s with $cpus CPUs" >"$TMP_DIR/build.info"
	mv -T "$TMP_DIR" "$dir"
	TMP_DIR=""
	image_mb=$(du -m "$dir/bzImage")
	cache_mb=$(du -sm "$dir")
	say "built $release in $((SECONDS - start)) s: bzImage ${image_mb%%[[:space:]]*} MB," \
		"cache ${cache_mb%%[[:space:]]*} MB"
}

# Say which other debug kernels the cache holds: nothing removes them.
list_others() {
	local dir="$1" other mb

	for other in "$CACHE"/debug-*; do
		[[ -d "$other" && "$other" != "$dir" && "$other" != *.tmp.* ]] || continue
		mb=$(du -sm "$other")
		say "an older debug kernel is cached in $other (${mb%%[[:space:]]*} MB): rm -rf it if unused"
	done
}

# Build the kernel unless it is cached; print its directory.
build() {
	local dir

	dir=$(cache_dir)
	if [[ ! -f "$dir/release" ]]; then
		check_inputs
		if ! mkdir -p "$CACHE" 2>/dev/null || [[ ! -w "$CACHE" ]]; then
			die "cannot write to $CACHE (the build takes 10-35 minutes): as root, run $0 build;" \
				"or choose a cache of your own: TOYMAP_ROOTS=DIR $0 build"
		fi
		# One builder per key; the lock file stays beside the build.
		exec 8>"$dir.lock"
		if ! flock -n 8; then
			say "another run is building this kernel ($dir.tmp.*): waiting for it"
			flock 8
		fi
		if [[ ! -f "$dir/release" ]]; then
			trap cleanup EXIT
			trap 'exit 129' HUP
			trap 'exit 130' INT
			trap 'exit 143' TERM
			say "building the debug kernel into $dir (only once for this source and fragment)"
			build_into "$dir"
			list_others "$dir"
		fi
		exec 8>&-
	fi
	echo "$dir"
}

# The first steps of a build in the empty directory DIR (the Kconfig files of
# the source only); print the .config.
configure_only() {
	local dir="$1" entries=()

	[[ -d "$dir" ]] && mapfile -t entries < <(find "$dir" -mindepth 1 -maxdepth 1)
	[[ -d "$dir" && ${#entries[@]} -eq 0 ]] || die "configure: $dir is not an empty directory"
	check_inputs
	extract_source "$dir/tree" kconfig
	configure "$dir/tree"
	echo "$dir/tree/.config"
}

main() {
	local dir

	[[ $# -eq 2 && "$1" == configure ]] && { configure_only "$2"; return; }
	[[ $# -eq 1 ]] || usage
	# A calling make (make deps) must not pass its flags and jobserver on.
	unset KBUILD_OUTPUT ARCH CROSS_COMPILE LLVM MAKEFLAGS MFLAGS MAKELEVEL
	case "$1" in
	build) build ;;
	dir) cache_dir ;;
	key) key ;;
	release | image | headers)
		dir=$(built_dir)
		case "$1" in
		release) cat "$dir/release" ;;
		image) echo "$dir/bzImage" ;;
		headers) echo "$dir/tree" ;;
		esac
		;;
	cmdline) echo "$BOOT_PARAMS" ;;
	packages) printf '%s\n' "${BUILD_PACKAGES[@]}" ;;
	*) usage ;;
	esac
}

main "$@"
