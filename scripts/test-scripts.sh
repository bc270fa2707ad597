#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The cold-start tests of the scripts themselves, run by every make check
# before any guest boots: against an empty TOYMAP_ROOTS, in about a minute,
# what a first run on a fresh machine goes through, so that a warm cache can
# never hide a cold-start bug again:
#   the matrix and the package lists    kernels.sh, deps.sh --print
#   the host's package mirror           deps.sh --mirror on sample apt sources
#   the debug kernel's key and its      debug-kernel.sh key, dir, configure
#   configuration up to make
#   the error paths                     an unknown kernel name (every command),
#                                       no QEMU, no static busybox, no config
#                                       fragment, no source package, a user who
#                                       is not root
# Each check is a KTAP line ("ok N name", "not ok N name", "# SKIP reason")
# that scripts/check.sh counts; every check looks at the exit status and at
# the message, so it fails when a script stops failing, or fails silently.
# Exits 1 if any check failed.

# The conditions of check() are strings, evaluated after the run they judge.
# shellcheck disable=SC2016
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly SCRIPTS
readonly NOBODY=65534

COUNT=0
FAILED=0
# Set by run(): the status and the output (stdout and stderr) of the command.
STATUS=0
OUT=""

usage() {
	echo "usage: ${0##*/}   (no arguments; environment: none needed)" >&2
	exit 2
}

# The scratch directory, removed on exit.
TMP=""

cleanup() {
	[[ -z "$TMP" ]] || rm -rf "$TMP"
}

# Run COMMAND with an empty cache, set STATUS and OUT.
run() {
	STATUS=0
	OUT=$(TOYMAP_ROOTS="$TMP/roots" "$@" 2>&1) || STATUS=$?
}

# Record check NAME: passed when CONDITION (a command) succeeds; on a failure,
# print what the last run() said.
check() {
	local name="$1" lines=()
	shift

	COUNT=$((COUNT + 1))
	if "$@"; then
		echo "ok $COUNT $name"
	else
		FAILED=$((FAILED + 1))
		echo "not ok $COUNT $name"
		echo "# status $STATUS, output:"
		mapfile -t lines <<<"$OUT"
		printf '#   %s\n' "${lines[@]}"
	fi
}

skip() {
	COUNT=$((COUNT + 1))
	echo "ok $COUNT $1 # SKIP $2"
}

# Conditions on the last run().
failed_saying() {
	[[ $STATUS -ne 0 && "$OUT" == *"$1"* ]]
}

passed_saying() {
	[[ $STATUS -eq 0 && "$OUT" == *"$1"* ]]
}

# The output has line LINE.
has_line() {
	grep -qxF -- "$1" <<<"$OUT"
}

lacks_line() {
	! grep -qxF -- "$1" <<<"$OUT"
}

# Every question of kernels.sh about one kernel, and every script that takes
# a kernel name, fails on an unknown one and names it.
test_unknown_kernel() {
	local command

	for command in root build cmdline release headers image "packages 6.1" "roots 6.1"; do
		# shellcheck disable=SC2086 # the command and its first argument
		run "$SCRIPTS/kernels.sh" $command no-such-kernel
		check "kernels.sh ${command%% *}: an unknown kernel fails" failed_saying "unknown kernel 'no-such-kernel'"
	done
	run "$SCRIPTS/deps.sh" --print no-such-kernel
	check "deps.sh: an unknown kernel fails" failed_saying "unknown kernel 'no-such-kernel'"
	run "$SCRIPTS/build-module.sh" no-such-kernel
	check "build-module.sh: an unknown kernel fails" failed_saying "unknown kernel 'no-such-kernel'"
	run "$SCRIPTS/demo.sh" no-such-kernel
	check "demo.sh: an unknown kernel fails" failed_saying "unknown kernel 'no-such-kernel'"
	run "$SCRIPTS/vmrun.sh" --kernel no-such-kernel true
	check "vmrun.sh: an unknown kernel fails" failed_saying "unknown kernel 'no-such-kernel'"
}

# The matrix parses, and each kernel answers the questions that need no
# installed package.
test_matrix() {
	local names name

	run "$SCRIPTS/kernels.sh" names
	check "kernels.sh names: the matrix starts with 6.1 and has the debug kernel" \
		eval '[[ $STATUS -eq 0 && "${OUT%%$'"'"'\n'"'"'*}" == 6.1 ]] && has_line debug'
	names=$OUT
	for name in $names; do
		run "$SCRIPTS/kernels.sh" root "$name"
		[[ $STATUS -eq 0 ]] || break
		run "$SCRIPTS/kernels.sh" build "$name"
		[[ $STATUS -eq 0 ]] || break
	done
	check "kernels.sh root, build: every kernel of the matrix answers" eval '[[ $STATUS -eq 0 ]]'
	run "$SCRIPTS/kernels.sh" roots
	check "kernels.sh roots: the trixie root lies in TOYMAP_ROOTS" \
		has_line "$TMP/roots/trixie-root trixie linux-image-amd64 linux-headers-amd64"
}

# The package lists: one kernel needs its own packages and the base ones,
# nothing of the others; --check adds the lint's.
test_packages() {
	run "$SCRIPTS/deps.sh" --print 6.1
	check "deps.sh --print 6.1: base packages and the 6.1 kernel" \
		eval 'has_line "host qemu-system-x86" && has_line "host busybox-static" && has_line "host xfsprogs" &&
			has_line "host e2fsprogs" && has_line "host linux-headers-amd64"'
	check "deps.sh --print 6.1: no other kernel, no root, no build, no lint" \
		eval '[[ $STATUS -eq 0 ]] && lacks_line "host linux-image-6.12-amd64" && lacks_line "host debootstrap" &&
			lacks_line "host linux-source-6.1" && lacks_line "host shellcheck" && ! grep -q "^root\|^build" <<<"$OUT"'
	run "$SCRIPTS/deps.sh" --print 7.3
	check "deps.sh --print 7.3: debootstrap and the root, no host kernel" \
		eval 'has_line "host debootstrap" && grep -q "^root $TMP/roots/trixie-root trixie .*make" <<<"$OUT" &&
			lacks_line "host linux-image-amd64" && [[ "$OUT" == *"1 root(s) to make"* ]]'
	run "$SCRIPTS/deps.sh" --print debug
	check "deps.sh --print debug: the build's packages, the kernel to build" \
		eval 'has_line "host flex" && has_line "host linux-source-6.1" && has_line "build debug" &&
			[[ "$OUT" == *"1 kernel(s) to build"* ]]'
	run "$SCRIPTS/deps.sh" --print --check 6.1
	check "deps.sh --print --check: the lint's tools, mandoc, dkms" \
		eval 'has_line "host shellcheck" && has_line "host sparse" && has_line "host mandoc" && has_line "host dkms"'
}

# The host's mirror, from deb822 and one-line sources; none is an error.
test_mirror() {
	local etc="$TMP/apt"

	mkdir -p "$etc/sources.list.d"
	run env TOYMAP_APT_ETC="$etc" "$SCRIPTS/deps.sh" --mirror
	check "deps.sh --mirror: no apt sources is an error" failed_saying "no package mirror for bookworm"
	printf 'deb [arch=amd64 signed-by=/k.gpg] http://one.invalid/debian bookworm main\n' >"$etc/sources.list"
	run env TOYMAP_APT_ETC="$etc" "$SCRIPTS/deps.sh" --mirror
	check "deps.sh --mirror: one-line sources.list" eval '[[ $STATUS -eq 0 && "$OUT" == http://one.invalid/debian ]]'
	printf '%s\n' "Types: deb" "URIs: http://sec.invalid/d" "Suites: bookworm-security" "" \
		"Types: deb-src deb" "URIs: http://two.invalid/d" "Suites: bookworm bookworm-updates" \
		>"$etc/sources.list.d/x.sources"
	run env TOYMAP_APT_ETC="$etc" "$SCRIPTS/deps.sh" --mirror
	check "deps.sh --mirror: the deb822 stanza of bookworm, not bookworm-security" \
		eval '[[ $STATUS -eq 0 && "$OUT" == http://two.invalid/d ]]'
}

# The debug kernel on an empty cache: its key, its directory, "not built",
# and its configuration up to make (the Kconfig files only, ~30 s).
test_debug_kernel() {
	local key config

	run "$SCRIPTS/debug-kernel.sh" key
	# shellcheck disable=SC2034 # read by the conditions
	key=$OUT
	check "debug-kernel.sh key: a hash" eval '[[ $STATUS -eq 0 && "$key" =~ ^[0-9a-f]{16}$ ]]'
	run "$SCRIPTS/debug-kernel.sh" dir
	check "debug-kernel.sh dir: in TOYMAP_ROOTS" eval '[[ $STATUS -eq 0 && "$OUT" == "$TMP/roots/debug-$key" ]]'
	run "$SCRIPTS/debug-kernel.sh" release
	check "debug-kernel.sh release: not built yet is an error" failed_saying "the debug kernel is not built"
	run "$SCRIPTS/kernels.sh" headers debug
	check "kernels.sh headers debug: not built yet is an error" failed_saying "the debug kernel is not built"
	mkdir "$TMP/configure"
	run "$SCRIPTS/debug-kernel.sh" configure "$TMP/configure"
	# shellcheck disable=SC2034 # read by the condition
	config="$TMP/configure/tree/.config"
	if [[ $STATUS -ne 0 && "$OUT" == *"the build needs the packages"* ]]; then
		# make check KERNELS=6.1 installs no debug kernel's tools.
		skip "debug-kernel.sh configure: the fragment survives olddefconfig" \
			"the debug kernel's build packages are not installed (scripts/deps.sh debug)"
	else
		check "debug-kernel.sh configure: the fragment survives olddefconfig" \
			eval '[[ $STATUS -eq 0 && "$OUT" == *"$config" ]] && grep -qx CONFIG_KASAN=y "$config" &&
				grep -qx CONFIG_PROVE_LOCKING=y "$config"'
	fi
	rm -rf "$TMP/configure"
}

# A copy of scripts/ in which FILE is removed or replaced, for the error paths.
copy_scripts() {
	rm -rf "$TMP/scripts"
	cp -a "$SCRIPTS" "$TMP/scripts"
}

# What the debug kernel's build needs is checked before it starts.
test_debug_inputs() {
	local stub="$TMP/stub"

	copy_scripts
	rm "$TMP/scripts/debug-kernel.config"
	run "$TMP/scripts/debug-kernel.sh" build
	check "debug-kernel.sh build: a missing fragment fails before the build" \
		eval 'failed_saying "debug-kernel.config is missing" && [[ "$OUT" != *extracting* && ! -e "$TMP/roots" ]]'
	# A dpkg-query that knows no package: linux-source-6.1 is not installed.
	mkdir -p "$stub"
	printf '#!/bin/sh\nexit 1\n' >"$stub/dpkg-query"
	chmod +x "$stub/dpkg-query"
	run env PATH="$stub:$PATH" "$SCRIPTS/debug-kernel.sh" build
	check "debug-kernel.sh build: a missing source package fails before the build" \
		eval 'failed_saying "linux-source-6.1 is not installed" && [[ "$OUT" != *extracting* && ! -e "$TMP/roots" ]]'
}

# Print a directory of links to every program in PATH but those matching
# the extended regex EXCLUDE.
path_without() {
	local exclude="$1" dir="$TMP/path-${RANDOM}" bin file

	mkdir -p "$dir"
	for bin in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		for file in "$bin"/*; do
			[[ -x "$file" && ! -e "$dir/${file##*/}" ]] || continue
			[[ "${file##*/}" =~ $exclude ]] || ln -s "$file" "$dir/${file##*/}"
		done
	done
	echo "$dir"
}

# vmrun.sh names what the test bed lacks, before it boots anything.
test_vmrun_tools() {
	local path

	path=$(path_without '^qemu-system-')
	run env PATH="$path" "$SCRIPTS/vmrun.sh" --kernel 6.1 true
	check "vmrun.sh: no QEMU is reported as such" \
		eval 'failed_saying "qemu-system-x86_64 is missing" && [[ "$OUT" != *panic* ]]'
	run env TOYMAP_BUSYBOX="$TMP/no-busybox" "$SCRIPTS/vmrun.sh" --kernel 6.1 true
	check "vmrun.sh: no busybox is reported as such" failed_saying "no-busybox is missing"
	run env TOYMAP_BUSYBOX=/bin/ls "$SCRIPTS/vmrun.sh" --kernel 6.1 true
	check "vmrun.sh: a dynamic busybox is reported as such" failed_saying "linked dynamically"
}

# A user who is not root: told the command to run, before any work, and
# nothing written to a cache they cannot write.
test_not_root() {
	local as_nobody=(setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups) reason=""

	if [[ $EUID -ne 0 ]]; then
		as_nobody=()
	elif ! command -v setpriv >/dev/null; then
		reason="setpriv (util-linux) is missing"
	elif ! "${as_nobody[@]}" test -x "$SCRIPTS/deps.sh"; then
		reason="uid $NOBODY cannot run $SCRIPTS (clone the tree to a place others can read)"
	fi
	if [[ -n "$reason" ]]; then
		skip "deps.sh 7.3 as a user: the root is made by root" "$reason"
		skip "debug-kernel.sh build as a user: an unwritable cache" "$reason"
		skip "build-module.sh --if-present 7.3 as a user: skipped, says why" "$reason"
		return
	fi
	# The cache belongs to root, mode 755: the user cannot write it.
	mkdir -m 755 "$TMP/roots"
	run "${as_nobody[@]}" "$SCRIPTS/deps.sh" 7.3
	check "deps.sh 7.3 as a user: the root is made by root" \
		eval 'failed_saying "this needs root" && [[ "$OUT" == *"sudo $SCRIPTS/deps.sh 7.3"* ]] &&
			[[ "$OUT" != *debootstrap\ took* && -z "$(ls -A "$TMP/roots")" ]]'
	run "${as_nobody[@]}" "$SCRIPTS/debug-kernel.sh" build
	check "debug-kernel.sh build as a user: an unwritable cache" \
		eval '{ failed_saying "cannot write to $TMP/roots" || failed_saying "as root, run"; } &&
			[[ "$OUT" != *extracting* && -z "$(ls -A "$TMP/roots")" ]]'
	run "${as_nobody[@]}" "$SCRIPTS/build-module.sh" --if-present 7.3
	check "build-module.sh --if-present 7.3 as a user: skipped, says why" \
		passed_saying "7.3 skipped: the root $TMP/roots/trixie-root is missing"
	rmdir "$TMP/roots"
}

main() {
	[[ $# -eq 0 ]] || usage
	trap cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	TMP=$(mktemp -d)
	chmod 755 "$TMP"
	echo "TAP version 13"
	echo "# ${0##*/}: the scripts from a cold start (TOYMAP_ROOTS=$TMP/roots, empty)"
	test_unknown_kernel
	test_matrix
	test_packages
	test_mirror
	test_debug_kernel
	test_debug_inputs
	test_vmrun_tools
	test_not_root
	echo "1..$COUNT"
	echo "# ${0##*/}: $((COUNT - FAILED)) of $COUNT passed"
	[[ $FAILED -eq 0 ]]
}

main "$@"
