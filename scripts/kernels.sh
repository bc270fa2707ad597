#!/bin/bash
# Answers questions about the kernel matrix of scripts/kernels.conf.
#
#   names            the kernels, in test order
#   packages [NAME...]
#                    the host packages these kernels (default: the whole
#                    matrix) need: image and headers of a host kernel,
#                    debootstrap for a kernel in a root, the build packages of
#                    a kernel built from source
#   roots [NAME...]  one line per debootstrap root of these kernels (default:
#                    the whole matrix): DIR SUITE PACKAGE... (the image and
#                    headers packages of its kernels)
#   root NAME        the root directory of NAME, or nothing for a host kernel
#   build NAME       "debug" for the kernel built by scripts/debug-kernel.sh
#                    (kernels.conf build=debug), nothing for a Debian kernel
#   cmdline NAME     the kernel parameters its guests need, or nothing
#   release NAME     the kernel release, e.g. 6.1.0-56-amd64
#   headers NAME     the headers directory, as seen by the build: for a kernel
#                    in a root, the path inside the root (chroot ROOT make -C ...)
#   image NAME       the kernel image, a path on the host
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CONF=$SCRIPTS/kernels.conf
ROOTS=${TOYMAP_ROOTS:-/var/cache/toymap}
readonly SCRIPTS CONF ROOTS

usage() {
	echo "usage: ${0##*/} names | packages [NAME...] | roots [NAME...] | root NAME | build NAME |" \
		"cmdline NAME | release NAME | headers NAME | image NAME" >&2
	exit 2
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# Print the matrix as "name image-metapackage headers-metapackage root build"
# lines, root being the root's directory or "-" for the host, build "debug"
# for a kernel built by scripts/debug-kernel.sh or "-", without comments and
# blank lines; nothing if a line is wrong.
matrix() {
	local name image headers options option root build lines=""

	while read -r name image headers options; do
		[[ -z "$name" || "$name" == \#* ]] && continue
		[[ -n "$headers" ]] || die "$CONF: '$name' needs an image and a headers package"
		root=- build=-
		for option in $options; do
			case "$option" in
			build=debug) build=debug ;;
			build=*) die "$CONF: '$name': unknown build '${option#build=}' (known: debug)" ;;
			root=*)
				[[ "${option#root=}" =~ ^[a-z][a-z0-9-]*$ ]] ||
					die "$CONF: '$name': '$option' does not name a Debian suite"
				root="$ROOTS/${option#root=}-root"
				;;
			*) die "$CONF: '$name': unknown option '$option'" ;;
			esac
		done
		if [[ "$build" != - && ("$image" != - || "$headers" != - || "$root" != -) ]]; then
			die "$CONF: '$name': a kernel with build=$build has '-' for image and headers, and no root"
		fi
		lines+="$name $image $headers $root $build"$'\n'
	done <"$CONF"
	printf '%s' "$lines"
}

# Print the matrix line of kernel NAME.
entry() {
	local lines line known=()

	lines=$(matrix)
	line=$(awk -v name="$1" '$1 == name' <<<"$lines")
	if [[ -z "$line" ]]; then
		mapfile -t known < <(awk '{ print $1 }' <<<"$lines")
		die "unknown kernel '$1' (known: ${known[*]})"
	fi
	echo "$line"
}

# Print the dpkg database of ROOT ("-": the host's).
admindir() {
	if [[ "$1" == - ]]; then
		echo /var/lib/dpkg
	else
		[[ -d "$1/var/lib/dpkg" ]] || die "the root $1 is missing (run scripts/deps.sh as root)"
		echo "$1/var/lib/dpkg"
	fi
}

# Print the package PREFIX-<release> that metapackage PKG, installed in ROOT
# ("-": the host), depends on, as <release>.
depends_release() {
	local pkg="$1" prefix="$2" root="$3" where="" depends dep admin

	[[ "$root" == - ]] || where=" in $root"
	admin=$(admindir "$root")
	depends=$(dpkg-query --admindir="$admin" -W -f='${db:Status-Abbrev} ${Depends}' "$pkg" 2>/dev/null) ||
		die "$pkg is not installed$where (run scripts/deps.sh)"
	[[ "$depends" == ii* ]] || die "$pkg is not installed$where (run scripts/deps.sh)"
	depends=${depends#ii }
	# Depends is "pkg (>= v), pkg | alt, ...": keep the first PREFIX-* name.
	for dep in $(tr ',|' '\n' <<<"$depends" | awk '{ print $1 }'); do
		if [[ "$dep" == "$prefix"-* ]]; then
			dep=${dep#"$prefix"-}
			echo "${dep%-unsigned}"
			return
		fi
	done
	die "$pkg$where does not depend on a $prefix-<release> package"
}

# Print the root directory of NAME, or nothing for a host kernel.
root() {
	local line name image headers root build

	line=$(entry "$1")
	read -r name image headers root build <<<"$line"
	[[ "$root" == - ]] || echo "$root"
}

# Print how NAME is built ("debug"), or nothing for a Debian kernel.
build() {
	local line name image headers root build

	line=$(entry "$1")
	read -r name image headers root build <<<"$line"
	[[ "$build" == - ]] || echo "$build"
}

# Print the kernel parameters the guests of NAME need, or nothing.
cmdline() {
	local how

	how=$(build "$1")
	[[ -z "$how" ]] || "$SCRIPTS/debug-kernel.sh" cmdline
}

# Print the kernel release of NAME, from its image metapackage.
release() {
	local line name image headers root build

	line=$(entry "$1")
	read -r name image headers root build <<<"$line"
	[[ "$build" == - ]] || { "$SCRIPTS/debug-kernel.sh" release; return; }
	depends_release "$image" linux-image "$root"
}

# Print the headers directory of NAME (inside its root, if it has one); it
# must match the image's release.
headers() {
	local line name image headers root build rel hrel dir prefix=""

	line=$(entry "$1")
	read -r name image headers root build <<<"$line"
	[[ "$build" == - ]] || { "$SCRIPTS/debug-kernel.sh" headers; return; }
	[[ "$root" == - ]] || prefix="$root"
	rel=$(depends_release "$image" linux-image "$root")
	hrel=$(depends_release "$headers" linux-headers "$root")
	[[ "$rel" == "$hrel" ]] || die "$name: $image is $rel but $headers is $hrel"
	dir=/usr/src/linux-headers-$rel
	[[ -f "$prefix$dir/Makefile" ]] || die "$name: $prefix$dir is missing (package linux-headers-$rel)"
	echo "$dir"
}

# Print the kernel image of NAME, a path on the host.
image() {
	local how prefix rel

	how=$(build "$1")
	[[ -z "$how" ]] || { "$SCRIPTS/debug-kernel.sh" image; return; }
	prefix=$(root "$1")
	rel=$(release "$1")
	[[ -f "$prefix/boot/vmlinuz-$rel" ]] || die "$1: $prefix/boot/vmlinuz-$rel is missing"
	echo "$prefix/boot/vmlinuz-$rel"
}

# Print the matrix lines of the kernels NAME... (all of them without one), in
# the order asked; fail on an unknown name.
selected() {
	local name

	[[ $# -gt 0 ]] || { matrix; return; }
	for name in "$@"; do
		entry "$name"
	done
}

# Print the host packages of kernels NAME... (default: all), each once: the
# kernels installed on the host, debootstrap if a kernel lives in a root, and
# what scripts/debug-kernel.sh needs if a kernel is built.
packages() {
	local lines

	lines=$(selected "$@")
	awk '
		$5 != "-" { next }
		$4 == "-" { print $2; print $3; next }
		{ print "debootstrap" }' <<<"$lines" | awk '!seen[$0]++'
	if awk '$5 != "-" { found = 1 } END { exit !found }' <<<"$lines"; then
		"$SCRIPTS/debug-kernel.sh" packages
	fi
}

# Print "DIR SUITE PACKAGE..." for each root of kernels NAME... (default: all),
# in matrix order, each package once.
roots() {
	local lines

	lines=$(selected "$@")
	awk '
		$4 == "-" { next }
		!($4 in pkgs) { order[++n] = $4; pkgs[$4] = "" }
		{
			for (i = 2; i <= 3; i++)
				if (!(($4, $i) in seen)) { seen[$4, $i] = 1; pkgs[$4] = pkgs[$4] " " $i }
		}
		END {
			for (i = 1; i <= n; i++) {
				suite = order[i]; sub(/.*\//, "", suite); sub(/-root$/, "", suite)
				print order[i], suite pkgs[order[i]]
			}
		}' <<<"$lines"
}

main() {
	[[ $# -ge 1 ]] || usage
	[[ "$ROOTS" == /* && "$ROOTS" != *[[:space:]]* ]] ||
		die "TOYMAP_ROOTS must be an absolute path without white space: '$ROOTS'"
	case "$1" in
	names)
		[[ $# -eq 1 ]] || usage
		matrix | awk '{ print $1 }'
		;;
	packages | roots)
		"$@"
		;;
	root | build | cmdline | release | headers | image)
		[[ $# -eq 2 ]] || usage
		"$1" "$2"
		;;
	*)
		usage
		;;
	esac
}

main "$@"
