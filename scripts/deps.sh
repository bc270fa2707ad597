#!/bin/bash
# Installs the Debian packages (bookworm) that the kernels KERNEL... of
# scripts/kernels.conf need (default: the whole matrix) and that are missing,
# makes the debootstrap root of those that live in one (root=SUITE) and builds
# those built from source (build=debug), and nothing else: `make demo` needs
# one kernel, `make check` the matrix.
#
#   --check   add what make check and make lint need besides the kernels: the
#             lint's tools, mandoc, dkms, linux-source-6.1 (checkpatch and the
#             kselftest headers), and the tracing tools of the selftests
#             (trace-cmd, linux-perf, bpftrace)
#   --bench   add what make bench needs: gnuplot-nox (the charts)
#   --mirror  print the package mirror a root would be made from, and exit
#   --print   install nothing: print what the kernels need, one line each,
#             "host PACKAGE", "root DIR SUITE PACKAGE...", "build NAME", then
#             "missing: ..." for what is not there yet
#
# Everything that needs root is found first: a user who is not root gets the
# exact command to run, before any long work. The root's package mirror is
# the host's own (the URIs of its apt sources for bookworm; TOYMAP_MIRROR
# overrides it). The host's package sources are never changed: a root has
# sources of its own.
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly SCRIPTS
export DEBIAN_FRONTEND=noninteractive

# Tools of the build and the test bed, for any kernel; the kernels come from
# kernels.conf. e2fsprogs and xfsprogs: the selftests make ext4 and XFS images.
# graphviz: make demo draws the demos' figures with dot.
readonly BASE_PACKAGES=(
	build-essential kmod libkmod-dev dwarves
	qemu-system-x86 busybox-static cpio xz-utils
	e2fsprogs xfsprogs
	graphviz
)
# What make check and make lint add: the lint (sparse, shellcheck, mandoc,
# checkpatch from linux-source-6.1), the kselftest headers (linux-source-6.1),
# the DKMS build, and the browser that loads make demo's figures
# (scripts/test-figures.sh).
readonly CHECK_PACKAGES=(sparse shellcheck mandoc dkms linux-source-6.1
	chromium)
# ... and the tools selftests/run-tracing.sh runs in every guest (whose
# userland is the host's root, for a kernel in a root too): perf and bpftrace
# of bookworm read the tracepoints of any kernel through tracefs.
readonly TRACE_PACKAGES=(trace-cmd linux-perf bpftrace)
# What make bench adds: gnuplot for its charts (PNG and SVG, no X).
readonly BENCH_PACKAGES=(gnuplot-nox)

# What a root needs besides its kernels' image and headers: the module build
# and its lint (sparse for C=2).
readonly ROOT_PACKAGES=(make gcc sparse)
# ... and for make check: its DKMS build (scripts/dkms-check.sh).
readonly ROOT_CHECK_PACKAGES=(dkms)
readonly HOST_SUITE=bookworm
# Where the host's apt sources are (TOYMAP_APT_ETC: another place, for tests).
readonly APT_SOURCES=${TOYMAP_APT_ETC:-/etc/apt}/sources.list
readonly APT_SOURCES_DIR=${TOYMAP_APT_ETC:-/etc/apt}/sources.list.d

usage() {
	echo "usage: ${0##*/} [--check] [--bench] [--print | --mirror] [KERNEL...]   (default: every kernel of scripts/kernels.conf;" \
		"environment: TOYMAP_ROOTS, the directory of the roots and builds; TOYMAP_MIRROR)" >&2
	exit 2
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

say() {
	echo "${0##*/}: $*" >&2
}

# Print the packages of the arguments that are not installed in the dpkg
# database ADMINDIR.
missing_packages() {
	local admindir="$1" installed
	shift

	installed=$(dpkg-query --admindir="$admindir" -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
		awk '$1 == "ii" { print $2 }') || true
	printf '%s\n' "$@" | grep -vxF -f <(echo "${installed:-}") || true
}

# Print the archive URI of the host's apt sources for HOST_SUITE: a deb822
# stanza (*.sources) whose Suites holds it, or a one-line "deb URI SUITE"
# (sources.list, *.list); TOYMAP_MIRROR if set. Fail when there is none.
host_mirror() {
	local files=() uri

	if [[ -n "${TOYMAP_MIRROR:-}" ]]; then
		echo "$TOYMAP_MIRROR"
		return
	fi
	shopt -s nullglob
	files=("$APT_SOURCES_DIR"/*.sources)
	shopt -u nullglob
	uri=""
	if [[ ${#files[@]} -gt 0 ]]; then
		uri=$(awk -v suite="$HOST_SUITE" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " suite " ") && uri == "")
					uri = uris
				types = uris = suites = enabled = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			tolower($1) == "types:" { $1 = ""; types = substr($0, 2) }
			tolower($1) == "uris:" { uris = $2 }
			tolower($1) == "suites:" { $1 = ""; suites = substr($0, 2) }
			tolower($1) == "enabled:" { enabled = tolower($2) }
			END { flush(); if (uri != "") print uri }' "${files[@]}")
	fi
	if [[ -z "$uri" ]]; then
		files=()
		[[ -f "$APT_SOURCES" ]] && files+=("$APT_SOURCES")
		shopt -s nullglob
		files+=("$APT_SOURCES_DIR"/*.list)
		shopt -u nullglob
		# "deb [options] URI SUITE COMPONENT...": drop the options first.
		[[ ${#files[@]} -eq 0 ]] || uri=$(awk -v suite="$HOST_SUITE" '
			$1 != "deb" { next }
			{ sub(/\[[^]]*\]/, ""); $0 = $0 }
			$3 == suite { print $2; exit }' "${files[@]}")
	fi
	[[ -n "$uri" ]] || die "no package mirror for $HOST_SUITE in $APT_SOURCES or $APT_SOURCES_DIR/*.sources:" \
		"a root is made from the host's own mirror; name one with TOYMAP_MIRROR=URI"
	echo "$uri"
}

# Succeed when this machine boots kernels of its own: a boot loader is
# installed. A container, a chroot or a CI image has none: only QEMU boots the
# kernels installed there, with the initramfs scripts/vmrun.sh makes.
boots_own_kernels() {
	local list

	[[ ! -d /boot/grub && ! -d /boot/efi/EFI && ! -d /boot/loader ]] || return 0
	list=$(missing_packages /var/lib/dpkg grub-pc grub-efi-amd64 grub-efi-amd64-signed systemd-boot \
		extlinux lilo)
	[[ $(wc -l <<<"$list") -lt 6 ]]
}

# Install PACKAGES on the host (as root): the tools first, then the kernels. A
# kernel image's postinst makes its initramfs; initramfs-tools, or a tool with
# an initramfs hook (busybox, kmod, e2fsprogs, xfsprogs), installed in the
# same run makes it a second time through its trigger: a minute more on a
# first run. So a machine without an initramfs generator gets Debian's
# default one with the tools, when no kernel is there to need it yet.
install_host_packages() {
	local package tools=() kernels=() generators apt

	for package in "$@"; do
		case "$package" in
		linux-image-* | linux-headers-*) kernels+=("$package") ;;
		*) tools+=("$package") ;;
		esac
	done
	generators=$(missing_packages /var/lib/dpkg initramfs-tools dracut tiny-initramfs)
	if [[ ${#kernels[@]} -gt 0 && $(wc -l <<<"$generators") -eq 3 ]]; then
		tools+=(initramfs-tools)
	fi
	# Their recommends are not needed (a first make demo saves a minute).
	apt=(apt-get install -y --no-install-recommends)
	if ! boots_own_kernels; then
		# Nothing boots these kernels but QEMU: no initramfs (a minute
		# saved), and dpkg without its fsyncs, as container images do.
		say "no boot loader here (a container or chroot): no initramfs, dpkg's unsafe-io"
		export INITRD=No
		apt+=(-o Dpkg::Options::=--force-unsafe-io)
	fi
	apt-get update
	[[ ${#tools[@]} -eq 0 ]] || "${apt[@]}" "${tools[@]}"
	[[ ${#kernels[@]} -eq 0 ]] || "${apt[@]}" "${kernels[@]}"
}

# The root being made, removed again unless it was completed; set while
# making one.
TMP_ROOT=""

# Remove TMP_ROOT, unmounting first what a killed run left mounted in it
# (inroot.sh's /proc, debootstrap's /proc and /sys); never cross into a file
# system still mounted there.
remove_tmp_root() {
	local mounts mnt

	[[ -n "$TMP_ROOT" && -d "$TMP_ROOT" ]] || return 0
	mounts=$(findmnt -rn -o TARGET | grep -F "$TMP_ROOT/" | sort -r || true)
	for mnt in $mounts; do
		umount "$mnt" 2>/dev/null || umount -l "$mnt" || true
	done
	mounts=$(findmnt -rn -o TARGET | grep -F "$TMP_ROOT/" || true)
	if [[ -n "$mounts" ]]; then
		echo "${0##*/}: $TMP_ROOT still has mounts: left in place, remove it by hand" >&2
		return 0
	fi
	echo "${0##*/}: removing the unfinished root $TMP_ROOT" >&2
	rm -rf --one-file-system "$TMP_ROOT"
	TMP_ROOT=""
}

# Write the package sources of root DIR of SUITE from MIRROR: the release, its
# updates and its backports (the one-line format takes one suite a line).
write_sources() {
	local dir="$1" suite="$2" mirror="$3" s

	for s in "$suite" "$suite-updates" "$suite-backports"; do
		echo "deb $mirror $s main"
	done >"$dir/etc/apt/sources.list"
	rm -f "$dir/etc/apt/sources.list.d/debian.sources"
}

# Install PACKAGES into root DIR of SUITE, the kernels from its backports. A
# root boots nothing: no initramfs for its kernel (QEMU boots it with the one
# scripts/vmrun.sh makes), and dpkg without its fsyncs (the root is a cache,
# made again if a crash spoils it).
root_install() {
	local dir="$1" suite="$2"
	shift 2

	"$SCRIPTS/inroot.sh" "$dir" apt-get update
	"$SCRIPTS/inroot.sh" "$dir" env INITRD=No apt-get install -y --no-install-recommends \
		-o Dpkg::Options::=--force-unsafe-io -t "$suite-backports" "$@"
}

# Make root DIR of SUITE with PACKAGES from MIRROR: in a temporary directory
# beside it, renamed into place only when complete.
create_root() {
	local dir="$1" suite="$2" mirror="$3" start stale missing
	shift 3

	start=$SECONDS
	# A run killed before its cleanup left its unfinished root: remove it.
	for stale in "$dir".tmp.*; do
		[[ -d "$stale" ]] || continue
		TMP_ROOT=$stale
		remove_tmp_root
	done
	TMP_ROOT=$(mktemp -d "$dir.tmp.XXXXXX")
	chmod 755 "$TMP_ROOT"
	say "making the $suite root $dir (debootstrap, then apt-get; a few minutes)"
	debootstrap --variant=minbase "$suite" "$TMP_ROOT" "$mirror"
	say "debootstrap took $((SECONDS - start)) s"
	write_sources "$TMP_ROOT" "$suite" "$mirror"
	root_install "$TMP_ROOT" "$suite" "$@"
	missing=$(missing_packages "$TMP_ROOT/var/lib/dpkg" "$@")
	[[ -z "$missing" ]] || die "the $suite root lacks ${missing//$'\n'/ } after apt-get"
	"$SCRIPTS/inroot.sh" "$TMP_ROOT" apt-get clean
	mv -T "$TMP_ROOT" "$dir"
	TMP_ROOT=""
	say "the $suite root is ready in $((SECONDS - start)) s"
}

# Print the packages of PACKAGES... that root DIR lacks, all of them if DIR
# does not exist.
root_missing() {
	local dir="$1"
	shift

	if [[ -d "$dir" ]]; then
		missing_packages "$dir/var/lib/dpkg" "$@"
	else
		printf '%s\n' "$@"
	fi
}

# Give root DIR of SUITE the PACKAGES it lacks, making it if it is missing.
ensure_root() {
	local dir="$1" suite="$2" list missing mirror
	shift 2

	list=$(root_missing "$dir" "$@")
	mapfile -t missing < <(grep . <<<"$list" || true)
	[[ ${#missing[@]} -eq 0 ]] && return
	mkdir -p "$(dirname "$dir")"
	# One maker per root; the lock file stays beside it.
	exec 8>"$dir.lock"
	if ! flock -n 8; then
		say "another run is making the root $dir: waiting for it"
		flock 8
	fi
	if [[ ! -d "$dir" ]]; then
		mirror=$(host_mirror)
		create_root "$dir" "$suite" "$mirror" "$@"
	else
		# Complete an existing root in place; its kernel stays as it is.
		list=$(missing_packages "$dir/var/lib/dpkg" "$@")
		mapfile -t missing < <(grep . <<<"$list" || true)
		if [[ ${#missing[@]} -gt 0 ]]; then
			say "installing ${missing[*]} in the $suite root $dir"
			"$SCRIPTS/inroot.sh" "$dir" dpkg --configure -a
			root_install "$dir" "$suite" "${missing[@]}"
			"$SCRIPTS/inroot.sh" "$dir" apt-get clean
		fi
	fi
	exec 8>&-
}

# What the kernels of the command line need, set by plan():
HOST_WANTED=()     # host packages
HOST_MISSING=()    # ... not installed
ROOT_LINES=()      # "DIR SUITE PACKAGE..." of each root
ROOT_TODO=()       # ... of each root missing or lacking a package
BUILDS=()          # kernels built from source
BUILD_TODO=()      # ... not built yet

# Fill the lists above for kernels NAME... (all without one); WITH_CHECK 1
# adds CHECK_PACKAGES, WITH_BENCH 1 BENCH_PACKAGES.
plan() {
	local with_check="$1" with_bench="$2" list line dir suite packages name how missing names lines extra
	shift 2

	list=$("$SCRIPTS/kernels.sh" packages "$@")
	mapfile -t HOST_WANTED < <({ printf '%s\n' "${BASE_PACKAGES[@]}"; grep . <<<"$list" || true
		[[ "$with_check" == 0 ]] || printf '%s\n' "${CHECK_PACKAGES[@]}" "${TRACE_PACKAGES[@]}"
		[[ "$with_bench" == 0 ]] || printf '%s\n' "${BENCH_PACKAGES[@]}"; } | awk '!seen[$0]++')
	list=$(missing_packages /var/lib/dpkg "${HOST_WANTED[@]}")
	mapfile -t HOST_MISSING < <(grep . <<<"$list" || true)

	list=$("$SCRIPTS/kernels.sh" roots "$@")
	mapfile -t lines < <(grep . <<<"$list" || true)
	extra=("${ROOT_PACKAGES[@]}")
	[[ "$with_check" == 0 ]] || extra+=("${ROOT_CHECK_PACKAGES[@]}")
	for line in "${lines[@]}"; do
		line+=" ${extra[*]}"
		ROOT_LINES+=("$line")
		read -r dir suite packages <<<"$line"
		# shellcheck disable=SC2086 # a list of package names
		missing=$(root_missing "$dir" $packages)
		[[ -z "$missing" ]] || ROOT_TODO+=("$line")
	done

	if [[ $# -eq 0 ]]; then
		list=$("$SCRIPTS/kernels.sh" names)
		mapfile -t names <<<"$list"
		set -- "${names[@]}"
	fi
	for name in "$@"; do
		how=$("$SCRIPTS/kernels.sh" build "$name")
		[[ -n "$how" ]] || continue
		BUILDS+=("$name")
		# The key needs the source package: unknown yet, not built yet.
		dir=$("$SCRIPTS/debug-kernel.sh" dir 2>/dev/null) || { BUILD_TODO+=("$name"); continue; }
		[[ -f "$dir/release" ]] || BUILD_TODO+=("$name")
	done
}

# Print the plan (--print).
print_plan() {
	local line

	printf 'host %s\n' "${HOST_WANTED[@]}"
	for line in "${ROOT_LINES[@]}"; do
		echo "root $line"
	done
	for line in "${BUILDS[@]}"; do
		echo "build $line"
	done
	echo "missing: ${HOST_MISSING[*]:-no host package}; ${#ROOT_TODO[@]} root(s) to make or complete;" \
		"${#BUILD_TODO[@]} kernel(s) to build"
}

# Stop a user who is not root before any work when a step needs root: the
# packages, the roots, a build into a cache the user cannot write. ARGS: this
# script's own arguments, for the command to show.
check_privileges() {
	local cache=${TOYMAP_ROOTS:-/var/cache/toymap} why=() cmd=""

	[[ $EUID -ne 0 ]] || return 0
	[[ ${#HOST_MISSING[@]} -eq 0 ]] || why+=("the packages ${HOST_MISSING[*]} are missing")
	[[ ${#ROOT_TODO[@]} -eq 0 ]] || why+=("a debootstrap root is to be made (chroot, debootstrap)")
	if [[ ${#BUILD_TODO[@]} -gt 0 ]] && ! { mkdir -p "$cache" 2>/dev/null && [[ -w "$cache" ]]; }; then
		why+=("the debug kernel is to be built into $cache, which you cannot write")
	fi
	[[ ${#why[@]} -gt 0 ]] || return 0
	printf "${0##*/}: %s\n" "${why[@]}" >&2
	printf -v cmd ' %q' "$@"
	echo "${0##*/}: this needs root; run:" >&2
	echo "    sudo $SCRIPTS/deps.sh${cmd% }" >&2
	[[ ${#HOST_MISSING[@]} -eq 0 ]] || {
		echo "${0##*/}: or install just the packages:" >&2
		echo "    sudo apt-get install --no-install-recommends ${HOST_MISSING[*]}" >&2
	}
	exit 1
}

main() {
	local with_check=0 with_bench=0 print=0 line dir suite packages step=0 steps name args=("$@")

	while [[ $# -gt 0 ]]; do
		case "$1" in
		--check) with_check=1; shift ;;
		--bench) with_bench=1; shift ;;
		--print) print=1; shift ;;
		--mirror) host_mirror; return ;;
		--) shift; break ;;
		-*) usage ;;
		*) break ;;
		esac
	done
	plan "$with_check" "$with_bench" "$@"
	if [[ $print == 1 ]]; then
		print_plan
		return
	fi
	check_privileges "${args[@]}"
	trap remove_tmp_root EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	steps=$(( ${#HOST_MISSING[@]} > 0 ? 1 : 0 ))
	steps=$((steps + ${#ROOT_TODO[@]} + ${#BUILD_TODO[@]}))
	[[ $steps -gt 0 ]] || return 0
	if [[ ${#HOST_MISSING[@]} -gt 0 ]]; then
		step=$((step + 1))
		say "[$step/$steps] installing ${HOST_MISSING[*]}"
		install_host_packages "${HOST_MISSING[@]}"
	fi
	for line in "${ROOT_TODO[@]}"; do
		step=$((step + 1))
		read -r dir suite packages <<<"$line"
		say "[$step/$steps] the $suite root $dir"
		# shellcheck disable=SC2086 # a list of package names
		ensure_root "$dir" "$suite" $packages
	done
	for name in "${BUILD_TODO[@]}"; do
		step=$((step + 1))
		say "[$step/$steps] the kernel $name, built from source (10-35 minutes, a progress line every 30 s)"
		"$SCRIPTS/debug-kernel.sh" build >/dev/null
	done
	say "done: what ${*:-the whole matrix} need${1:+s} is in place"
}

main "$@"
