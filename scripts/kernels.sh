#!/bin/bash
# Answers questions about the kernel matrix of scripts/kernels.conf.
set -euo pipefail

CONF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/kernels.conf
readonly CONF

usage() {
	echo "usage: ${0##*/} names | packages | release NAME | headers NAME | image NAME" >&2
	exit 2
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# Print the matrix as "name image-metapackage headers-metapackage" lines,
# without comments and blank lines; nothing if a line is wrong.
matrix() {
	local name image headers options lines=""

	while read -r name image headers options; do
		[[ -z "$name" || "$name" == \#* ]] && continue
		[[ -n "$headers" ]] || die "$CONF: '$name' needs an image and a headers package"
		[[ -z "$options" ]] || die "$CONF: '$name': options '$options' are not supported yet"
		lines+="$name $image $headers"$'\n'
	done <"$CONF"
	printf '%s' "$lines"
}

# Print the matrix line of kernel NAME.
entry() {
	local line

	line=$(matrix | awk -v name="$1" '$1 == name')
	[[ -n "$line" ]] || die "unknown kernel '$1' (known: $(matrix | awk '{ print $1 }' | xargs))"
	echo "$line"
}

# Print the package PREFIX-<release> that metapackage PKG depends on, as <release>.
depends_release() {
	local pkg="$1" prefix="$2" depends dep

	depends=$(dpkg-query -W -f='${db:Status-Abbrev} ${Depends}' "$pkg" 2>/dev/null) ||
		die "$pkg is not installed (run scripts/deps.sh)"
	[[ "$depends" == ii* ]] || die "$pkg is not installed (run scripts/deps.sh)"
	depends=${depends#ii }
	# Depends is "pkg (>= v), pkg | alt, ...": keep the first PREFIX-* name.
	for dep in $(tr ',|' '\n' <<<"$depends" | awk '{ print $1 }'); do
		if [[ "$dep" == "$prefix"-* ]]; then
			dep=${dep#"$prefix"-}
			echo "${dep%-unsigned}"
			return
		fi
	done
	die "$pkg does not depend on a $prefix-<release> package"
}

# Print the kernel release of NAME, from its image metapackage.
release() {
	local line name image headers

	line=$(entry "$1")
	read -r name image headers <<<"$line"
	depends_release "$image" linux-image
}

# Print the headers directory of NAME; it must match the image's release.
headers() {
	local line name image headers rel hrel dir

	line=$(entry "$1")
	read -r name image headers <<<"$line"
	rel=$(depends_release "$image" linux-image)
	hrel=$(depends_release "$headers" linux-headers)
	[[ "$rel" == "$hrel" ]] || die "$name: $image is $rel but $headers is $hrel"
	dir=/usr/src/linux-headers-$rel
	[[ -f "$dir/Makefile" ]] || die "$name: $dir is missing (package linux-headers-$rel)"
	echo "$dir"
}

# Print the kernel image of NAME.
image() {
	local rel

	rel=$(release "$1")
	[[ -f "/boot/vmlinuz-$rel" ]] || die "$1: /boot/vmlinuz-$rel is missing"
	echo "/boot/vmlinuz-$rel"
}

main() {
	[[ $# -ge 1 ]] || usage
	case "$1" in
	names)
		[[ $# -eq 1 ]] || usage
		matrix | awk '{ print $1 }'
		;;
	packages)
		[[ $# -eq 1 ]] || usage
		matrix | awk '{ print $2; print $3 }'
		;;
	release | headers | image)
		[[ $# -eq 2 ]] || usage
		"$1" "$2"
		;;
	*)
		usage
		;;
	esac
}

main "$@"
