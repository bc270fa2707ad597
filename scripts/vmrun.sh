#!/bin/bash
# Boots a kernel of the matrix under QEMU (TCG) with the host's root shared
# read-only and the project tree read-write, runs one command in it and
# passes back its exit status. The caller builds the module first
# (scripts/build-module.sh NAME, and build/bin/toymapctl unless --no-module).
# A kernel installed in a debootstrap root (kernels.conf root=SUITE) boots
# from that root's /boot with its own 9p modules; the guest's userland is the
# host's root all the same.
#
# The command runs as root in the caller's working directory, stdin from
# /dev/null, with TOYMAP_KERNEL=NAME, TOYMAP_KO=<repo>/build/NAME/toymap.ko,
# TOYMAP_MODULES_ROOT=the directory whose lib/modules holds the kernel's own
# modules (/ or its debootstrap root: modprobe -d "$TOYMAP_MODULES_ROOT" loop)
# and <repo>/build/bin first in PATH; /tmp, /run and /dev/shm are tmpfs, the
# rest of the host root is read-only. Its stdout and stderr stream to stdout;
# the guest kernel log goes to build/logs/NAME-<time>.log (or --log FILE).
#
# QEMU runs both vCPUs on one host thread (-accel tcg,thread=single) unless
# TOYMAP_TCG_THREAD=multi (make bench: its scaling case needs two host
# threads).  Multi-threaded TCG has made Debian's kernels oops on an int3 or
# hang while they patch their own text (tracepoints, static keys: trace=,
# perf), a few times in a dozen make checks; one thread serialises the vCPUs
# and with them the patching.
#
# Exit status: the command's own; 124 on a timeout; 125 on a kernel panic or
# a guest that died before reporting a status; 126 when the guest kernel log
# holds a splat (BUG, WARNING, Oops, lockdep, hung task...); 2 on a usage or
# setup error.
set -euo pipefail
shopt -s inherit_errexit

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPTS")
readonly SCRIPTS REPO

# The modules the guest needs for virtio-9p, in load order; their own
# dependencies are added, built-in and absent ones are skipped (kernels
# differ: 7.3 builds virtio in and has no fscache module).
readonly GUEST_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p)

# Kernel log lines that count as a splat, and harmless lines that match them
# (vmrun's own markers, which quote the command line).
readonly SPLAT_RE='BUG:|WARNING:|Oops|KASAN|UBSAN|general protection fault|Kernel panic|INFO: task .* blocked for more than|possible circular locking|possible recursive locking|inconsistent lock state|kmemleak: .*suspected memory leak|unreferenced object 0x|rcu: INFO: .*detected stall'
readonly HARMLESS_RE='vmrun: '
readonly TCG_THREAD=${TOYMAP_TCG_THREAD:-single}
readonly PANIC_RE='Kernel panic - not syncing'

readonly EXIT_USAGE=2 EXIT_TIMEOUT=124 EXIT_PANIC=125 EXIT_SPLAT=126
# The guest's busybox, a static one (TOYMAP_BUSYBOX: another, for the tests of
# scripts/test-scripts.sh).
readonly BUSYBOX=${TOYMAP_BUSYBOX:-/bin/busybox}

usage() {
	cat >&2 <<-EOF
	usage: ${0##*/} [--kernel NAME] [--module-args "ARGS"] [--no-module] [--timeout SECS]
	                [--log FILE] [--] COMMAND [ARGS...]
	EOF
	exit "$EXIT_USAGE"
}

die() {
	echo "${0##*/}: $*" >&2
	exit "$EXIT_USAGE"
}

# Parse the options into the globals KERNEL, MODULE_ARGS, LOAD_MODULE,
# TIMEOUT, LOG and COMMAND.
parse_args() {
	KERNEL="" MODULE_ARGS="" LOAD_MODULE=1 TIMEOUT=300 LOG=""
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--kernel) [[ $# -ge 2 ]] || usage; KERNEL="$2"; shift 2 ;;
		--module-args) [[ $# -ge 2 ]] || usage; MODULE_ARGS="$2"; shift 2 ;;
		--no-module) LOAD_MODULE=0; shift ;;
		--timeout) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; TIMEOUT="$2"; shift 2 ;;
		--log) [[ $# -ge 2 ]] || usage; LOG="$2"; shift 2 ;;
		--) shift; break ;;
		-*) usage ;;
		*) break ;;
		esac
	done
	[[ $# -ge 1 ]] || usage
	COMMAND=("$@")
	if [[ -z "$KERNEL" ]]; then
		KERNEL=$("$SCRIPTS/kernels.sh" names)
		KERNEL=${KERNEL%%$'\n'*}
	fi
}

# Fail with what to install when a program the test bed needs is missing:
# QEMU, a static busybox (the initramfs has no libc), cpio.
check_tools() {
	local kind

	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 is missing: as root, run: apt-get install qemu-system-x86 (or $SCRIPTS/deps.sh $KERNEL)"
	command -v cpio >/dev/null || die "cpio is missing: as root, run: apt-get install cpio"
	[[ -x "$BUSYBOX" ]] || die "$BUSYBOX is missing: as root, run: apt-get install busybox-static"
	kind=$(LC_ALL=C ldd "$BUSYBOX" 2>&1 || true)
	[[ "$kind" == *"not a dynamic executable"* ]] ||
		die "$BUSYBOX is linked dynamically and cannot run in the initramfs: as root, run: apt-get install busybox-static"
}

# Print the .ko files of the guest modules of RELEASE, dependencies first,
# from BASE/lib/modules/RELEASE (BASE: / or the kernel's debootstrap root).
guest_module_files() {
	local base="$1" release="$2" name
	local -A seen=()

	for name in "${GUEST_MODULES[@]}"; do
		module_with_deps "$base" "$release" "$name"
	done
}

# Print the .ko file of module NAME after those of its dependencies, once
# (uses the caller's "seen" table).
module_with_deps() {
	local base="$1" release="$2" name="$3" file dep

	local deps

	[[ -z "${seen[$name]:-}" ]] || return 0
	seen[$name]=1
	file=$(modinfo -b "$base" -k "$release" -F filename "$name" 2>/dev/null) || return 0
	[[ "$file" != "(builtin)" ]] || return 0
	deps=$(modinfo -b "$base" -k "$release" -F depends "$name")
	for dep in ${deps//,/ }; do
		module_with_deps "$base" "$release" "$dep"
	done
	echo "$file"
}

# Print the guest's /init. It reads vmrun_repo and vmrun_run from the
# kernel command line (the kernel passes them to init as environment).
guest_init() {
	cat <<-'EOF'
	#!/bin/sh
	# /init of the toymap test bed (generated by scripts/vmrun.sh).
	export PATH=/bin
	new=/newroot

	fail() {
		echo "vmrun: init: $*" | tee /dev/kmsg >/dev/ttyS1
		poweroff -f
	}

	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	for ko in /modules/*.ko; do
		[ -e "$ko" ] || continue	# none: 9p is built in
		insmod "$ko" || fail "insmod $ko failed"
	done
	echo "vmrun: init: modules loaded, mounting the host root" >/dev/kmsg
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot "$new" ||
		fail "cannot mount the host root"
	mount -t proc proc "$new/proc"
	mount -t sysfs sysfs "$new/sys"
	mount -t devtmpfs devtmpfs "$new/dev"
	mkdir -p "$new/dev/pts" "$new/dev/shm"
	mount -t devpts devpts "$new/dev/pts"
	mount -t tmpfs tmpfs "$new/dev/shm"
	mount -t tmpfs tmpfs "$new/tmp"
	mount -t tmpfs tmpfs "$new/run"
	mount -t debugfs debugfs "$new/sys/kernel/debug" 2>/dev/null
	mount -t tracefs tracefs "$new/sys/kernel/tracing" 2>/dev/null
	# The project tree last: it may live under one of the tmpfs above.
	mkdir -p "$new$vmrun_repo"
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=mmap project "$new$vmrun_repo" ||
		fail "cannot mount the project tree at $vmrun_repo"
	ip link set lo up
	stty -F /dev/ttyS1 raw -echo
	echo "vmrun: init: entering the host root" >/dev/kmsg
	chroot "$new" /bin/bash "$vmrun_run/guest.sh" </dev/null >/dev/ttyS1 2>&1
	sync
	poweroff -f
	EOF
}

# Build the initramfs of KERNEL (release RELEASE, modules under BASE) into
# OUT unless the cached one was built from the same inputs.
build_initramfs() {
	local base="$1" release="$2" out="$3" files=() list stamp tmp i=0 file applet how

	# A Debian kernel has 9p as modules; one built from source has it built in.
	how=$("$SCRIPTS/kernels.sh" build "$KERNEL")
	[[ -n "$how" || -d "$base/lib/modules/$release" ]] ||
		die "${base%/}/lib/modules/$release is missing: the modules of kernel $KERNEL are not installed"
	list=$(guest_module_files "$base" "$release")
	mapfile -t files < <(grep . <<<"$list" || true)
	stamp=$( { guest_init; stat -L -c '%n %s %Y' "$BUSYBOX" "${files[@]}"; } | sha256sum)
	[[ -f "$out" && "$(cat "$out.stamp" 2>/dev/null)" == "$stamp" ]] && return
	tmp=$(mktemp -d "$out.tmp.XXXXXX")
	mkdir -p "$tmp"/{bin,dev,proc,sys,modules,newroot}
	cp "$BUSYBOX" "$tmp/bin/busybox"
	for applet in sh mount insmod mkdir chroot stty ip sync poweroff tee; do
		ln -s busybox "$tmp/bin/$applet"
	done
	for file in "${files[@]}"; do
		i=$((i + 1))
		decompress "$file" >"$tmp/modules/$(printf %02d "$i")-$(basename "${file%%.ko*}").ko"
	done
	guest_init >"$tmp/init"
	chmod +x "$tmp/init"
	(cd "$tmp" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -1) >"$tmp.cpio.gz"
	mv "$tmp.cpio.gz" "$out"
	echo "$stamp" >"$out.stamp"
	rm -rf "$tmp"
}

# Print module FILE decompressed: busybox insmod loads plain .ko files only.
decompress() {
	case "$1" in
	*.ko) cat "$1" ;;
	*.ko.xz) xz -dc "$1" ;;
	*.ko.gz) gzip -dc "$1" ;;
	*.ko.zst) zstd -dc "$1" || die "cannot decompress $1 (package zstd)" ;;
	*) die "unknown module format: $1" ;;
	esac
}

# Write the script that runs in the guest's chroot into RUNDIR: it sets the
# environment, loads the module, runs the command and records its status.
write_guest_script() {
	local rundir="$1" ko="$2" modroot="$3" load=()

	if [[ "$LOAD_MODULE" == 1 ]]; then
		# shellcheck disable=SC2206 # the module args are words by design
		load=("$REPO/build/bin/toymapctl" load --ko "$ko" $MODULE_ARGS)
	fi
	{
		echo "# generated by scripts/vmrun.sh for one run"
		printf 'cwd=%q\n' "$(pwd -P)"
		printf 'status_file=%q\n' "$rundir/status"
		printf 'export TOYMAP_KERNEL=%q TOYMAP_KO=%q TOYMAP_MODULES_ROOT=%q\n' "$KERNEL" "$ko" "$modroot"
		printf 'export PATH=%q HOME=/root TERM=dumb\n' \
			"$REPO/build/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		echo "load=(${load[*]@Q})"
		echo "command=(${COMMAND[*]@Q})"
		cat <<-'EOF'
		kmsg() { echo "vmrun: $*" >/dev/kmsg; }
		finish() { kmsg "guest exit status $1"; echo "$1" >"$status_file"; exit; }
		cd -- "$cwd" || finish 1
		if [[ ${#load[@]} -gt 0 ]]; then
			"${load[@]}" || { s=$?; echo "vmrun: module load failed: ${load[*]}"; finish "$s"; }
		fi
		kmsg "running ${command[*]}"
		"${command[@]}" </dev/null
		finish $?
		EOF
	} >"$rundir/guest.sh"
}

# Boot IMAGE with INITRD, log its console to LOG, stream the command's output
# to stdout; set QEMU_RC to QEMU's exit status (124 on a timeout), or
# INTERRUPTED when a signal stopped the run.
boot() {
	local image="$1" initrd="$2" rundir="$3"
	local append="console=ttyS0 panic=-1 hung_task_panic=0 printk.devkmsg=on" extra

	extra=$("$SCRIPTS/kernels.sh" cmdline "$KERNEL")
	[[ -z "$extra" ]] || append+=" $extra"
	append+=" vmrun_repo=$REPO vmrun_run=$rundir"
	timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 \
		-accel tcg,thread="$TCG_THREAD" -cpu max -m 2G -smp 2 -no-reboot \
		-nodefaults -display none -monitor none \
		-kernel "$image" -initrd "$initrd" -append "$append" \
		-chardev file,id=console,path="$LOG" -serial chardev:console \
		-chardev stdio,id=output,signal=off -serial chardev:output \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs local,path="$REPO",mount_tag=project,security_model=none,multidevs=remap \
		</dev/null &
	BOOT_PID=$!
	trap 'INTERRUPTED=1; kill -TERM "$BOOT_PID" 2>/dev/null || true' INT TERM HUP
	# A trapped signal interrupts wait: wait again until QEMU is gone.
	while :; do
		QEMU_RC=0
		wait "$BOOT_PID" || QEMU_RC=$?
		kill -0 "$BOOT_PID" 2>/dev/null || break
	done
	trap - INT TERM HUP
}

# Print the splat lines of the guest kernel log.
splats() {
	tr -d '\r' <"$LOG" | grep -E "$SPLAT_RE" | grep -vE "$HARMLESS_RE" || true
}

# Turn QEMU's status, the guest's status file and the kernel log into the
# exit status, with a message on stderr for each failure of the test bed.
verdict() {
	local qemu_rc="$1" status_file="$2" status="" found

	[[ -f "$status_file" ]] && status=$(cat "$status_file")
	found=$(splats | grep -vE "$PANIC_RE" || true)
	if grep -qE "$PANIC_RE" "$LOG"; then
		echo "${0##*/}: $KERNEL: kernel panic:" >&2
		grep -E -A3 "$PANIC_RE" "$LOG" | tr -d '\r' >&2
		status=$EXIT_PANIC
	elif [[ "$qemu_rc" == 124 || "$qemu_rc" == 137 ]]; then
		echo "${0##*/}: $KERNEL: timeout after $TIMEOUT s" >&2
		status=$EXIT_TIMEOUT
	elif [[ ! "$status" =~ ^[0-9]+$ ]]; then
		echo "${0##*/}: $KERNEL: the guest stopped without a status (QEMU status $qemu_rc)" >&2
		status=$EXIT_PANIC
	fi
	if [[ -n "$found" ]]; then
		echo "${0##*/}: $KERNEL: the kernel log has $(wc -l <<<"$found") splat line(s):" >&2
		head -n 20 <<<"$found" >&2
		[[ "$status" == "$EXIT_PANIC" || "$status" == "$EXIT_TIMEOUT" ]] || status=$EXIT_SPLAT
	fi
	echo "$status"
}

main() {
	local root release image initrd ko rundir status

	parse_args "$@"
	[[ "$TCG_THREAD" == single || "$TCG_THREAD" == multi ]] ||
		die "TOYMAP_TCG_THREAD is single or multi, not '$TCG_THREAD'"
	check_tools
	root=$("$SCRIPTS/kernels.sh" root "$KERNEL") || exit "$EXIT_USAGE"
	release=$("$SCRIPTS/kernels.sh" release "$KERNEL") || exit "$EXIT_USAGE"
	image=$("$SCRIPTS/kernels.sh" image "$KERNEL") || exit "$EXIT_USAGE"
	[[ -r "$image" ]] ||
		die "$image is not readable (Debian makes kernel images root-only): run as root, e.g. sudo make demo"
	[[ "$REPO" != *[[:space:]]* ]] || die "the repository path must not contain white space"
	ko="$REPO/build/$KERNEL/toymap.ko"
	if [[ "$LOAD_MODULE" == 1 ]]; then
		[[ -f "$ko" ]] || die "$ko is missing: run scripts/build-module.sh $KERNEL"
		[[ -x "$REPO/build/bin/toymapctl" ]] || die "$REPO/build/bin/toymapctl is missing"
	fi
	mkdir -p "$REPO/build/initramfs" "$REPO/build/logs" "$REPO/build/vm"
	LOG=$(realpath -m "${LOG:-$REPO/build/logs/$KERNEL-$(date +%Y%m%d-%H%M%S)-$$.log}")
	mkdir -p "$(dirname "$LOG")"
	initrd="$REPO/build/initramfs/$KERNEL.cpio.gz"
	build_initramfs "${root:-/}" "$release" "$initrd"
	rundir=$(mktemp -d "$REPO/build/vm/run.XXXXXX")
	# shellcheck disable=SC2064 # expand rundir now
	trap "rm -rf '$rundir'" EXIT
	write_guest_script "$rundir" "$ko" "${root:-/}"
	QEMU_RC=0 INTERRUPTED=""
	boot "$image" "$initrd" "$rundir"
	# A panic before the command started is the boot's: under TCG, Debian's
	# kernels have oopsed on an int3 while patching their own text at boot
	# (sched_clock_cpu, 6.12, once in many boots).  No test ran, so boot once
	# more, saying so; the first console log is kept beside the second.
	if [[ -z "$INTERRUPTED" ]] && grep -qE "$PANIC_RE" "$LOG" && ! grep -q 'vmrun: running' "$LOG"; then
		echo "${0##*/}: $KERNEL: the kernel panicked while booting, before the command ran" \
			"(log: $LOG.boot1); booting again" >&2
		mv "$LOG" "$LOG.boot1"
		QEMU_RC=0
		boot "$image" "$initrd" "$rundir"
	fi
	if [[ -n "$INTERRUPTED" ]]; then
		echo "${0##*/}: $KERNEL: interrupted" >&2
		status=130
	else
		status=$(verdict "$QEMU_RC" "$rundir/status")
	fi
	echo "${0##*/}: log: $LOG" >&2
	exit "$status"
}

main "$@"
