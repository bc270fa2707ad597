# SPDX-License-Identifier: GPL-2.0
#
# toymap: the two commands a user needs
#   make demo    build, boot a Debian kernel under QEMU with trace=1, run every demo
#   make check   install what is missing, build, boot every kernel of the matrix,
#                run the selftests and the lint; prints "N passed, N failed"
#   make stress  build, boot each kernel, run only toymap-stress for SECONDS
#                (default 60) with a fresh random seed (or SEED=N):
#                make stress SECONDS=600 KERNELS="6.1"
#                FAIL_ALLOC=PCT: PCT% of the stress's allocations fail (debug kernel)
#   make bench   boot each kernel, run toymap-bench: what a page of the object
#                costs against the kernel's own memory, in the same boot;
#                table, CSV and charts in build/bench/ (4-11 minutes a kernel):
#                make bench KERNELS=7.3 [ROUNDS=N]
# Each installs (as root) only what its kernels need: make demo and make vm
# one kernel (KERNEL, default the first of the matrix), make check, make
# stress, make bench and make lint their KERNELS (default: the whole matrix).
# and the ones a developer needs
#   make         build the user space, and toymap.ko for every kernel whose
#                headers are installed (says which it skipped); installs nothing
#   make deps    install what make check needs for KERNELS
#   make lint    checkpatch --strict, sparse, W=1, shellcheck, mandoc
#   make check-host   the selftests on this machine's running kernel (root)
#   make vm KERNEL=6.12   a guest with the module loaded, running a shell command: CMD="..."
#
# toymap.ko itself is built by kbuild through ./Kbuild:
#   make -C /lib/modules/$(uname -r)/build M=$PWD

KERNELS ?= $(shell scripts/kernels.sh names)
KERNEL ?= $(firstword $(KERNELS))
O := $(CURDIR)/build
NPROC := $(shell nproc)
# What make demo runs: toymapctl, mmapcopy and the demos (not the stress).
DEMO_BINS := $(addprefix $(O)/bin/,toymapctl mmapcopy $(patsubst userspace/demos/%.c,%,$(wildcard userspace/demos/demo-*.c)))

# make stress: its length, seed (default: random) and size.
SECONDS ?= 60
SEED ?=
STRESS_PROCS ?= 3
STRESS_THREADS ?= 2
FAIL_ALLOC ?=

# make bench: rounds after the warm-up (default toymap-bench's, 7).
ROUNDS ?=

# make install: where the programs, the man pages and the module's DKMS
# source go.
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps userspace selftests modules check check-host stress bench demo lint vm clean \
	install uninstall

# Plain make installs nothing and builds no kernel: the user space, the
# selftests if a kernel source for their headers is there, and the module for
# each kernel whose headers are there, saying which it skipped.
all: userspace modules
	@$(maybe_selftests)

# The selftests if the kselftest headers can be had, else a line saying so.
maybe_selftests = if scripts/kselftest-headers.sh $(O)/kselftest; then \
		$(MAKE) --no-print-directory -C selftests O=$(O); \
	else \
		echo "make: selftests skipped: no kselftest headers (above: what to install)"; \
	fi

# What make check needs for KERNELS (default: the whole matrix).
deps:
	@scripts/deps.sh --check $(KERNELS)

userspace:
	@$(MAKE) --no-print-directory -C userspace O=$(O)

selftests: userspace
	@scripts/kselftest-headers.sh $(O)/kselftest
	@$(MAKE) --no-print-directory -C selftests O=$(O)

modules:
	@for k in $(KERNELS); do scripts/build-module.sh --if-present $$k || exit 1; done

# The module for each kernel of $(1), none skipped.
build_modules = for k in $(1); do scripts/build-module.sh $$k || exit 1; done

check:
	@scripts/deps.sh --check $(KERNELS)
	@$(MAKE) --no-print-directory selftests
	@$(call build_modules,$(KERNELS))
	@scripts/check.sh $(KERNELS)

check-host: userspace selftests
	@scripts/check-host.sh

# One seed for every kernel; the guest's timeout leaves room for the stress's
# own guard (2 x SECONDS + 120 s).  Logs: build/logs/stress-KERNEL.out.
stress: SHELL := /bin/bash
stress:
	@scripts/deps.sh $(KERNELS)
	@$(MAKE) --no-print-directory userspace
	@$(call build_modules,$(KERNELS))
	@seed="$(SEED)"; [ -n "$$seed" ] || seed=$$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); \
	args=(--seed "$$seed" --seconds $(SECONDS) --procs $(STRESS_PROCS) --threads $(STRESS_THREADS)); \
	[ -z "$(FAIL_ALLOC)" ] || args+=(--fail-alloc $(FAIL_ALLOC)); \
	echo "stress: seed $$seed, $(SECONDS) s, on $(KERNELS)"; status=0; table=(); \
	mkdir -p $(O)/logs; \
	for k in $(KERNELS); do \
		log=$(O)/logs/stress-$$k.out; \
		echo "=== $$k: toymap-stress $${args[*]}"; \
		scripts/vmrun.sh --kernel $$k --timeout $$(($(SECONDS) * 2 + 300)) \
			-- $(O)/bin/toymap-stress "$${args[@]}" 2>&1 | tee "$$log"; \
		[ "$${PIPESTATUS[0]}" -eq 0 ] && r=PASS || { r=FAIL; status=1; }; \
		table+=("$$k $$r $$(sed -n 's/^toymap-stress: \(PASS\|FAIL\) //p' "$$log")"); \
	done; \
	echo; printf 'stress: %s\n' "$${table[@]}"; \
	[ $$status -eq 0 ] || \
		echo "stress: FAILED; replay: make stress SEED=$$seed SECONDS=$(SECONDS) KERNELS=\"$(KERNELS)\"$(if $(FAIL_ALLOC), FAIL_ALLOC=$(FAIL_ALLOC))"; \
	exit $$status

# Each kernel's packages and gnuplot (the charts); the tables, CSVs and charts
# go to build/bench/ (scripts/bench.sh).
bench:
	@scripts/deps.sh --bench $(KERNELS)
	@$(MAKE) --no-print-directory userspace
	@$(call build_modules,$(KERNELS))
	@scripts/bench.sh $(if $(ROUNDS),--rounds $(ROUNDS)) $(KERNELS)

# One kernel only: its packages (and root or build), nothing of the others.
demo:
	@scripts/deps.sh $(KERNEL)
	@$(MAKE) --no-print-directory -j$(NPROC) -C userspace O=$(O) $(DEMO_BINS)
	@$(call build_modules,$(KERNEL))
	@scripts/demo.sh $(KERNEL)

lint:
	@scripts/deps.sh --check $(KERNELS)
	@scripts/lint.sh $(KERNELS)

vm:
	@scripts/deps.sh $(KERNEL)
	@$(MAKE) --no-print-directory userspace
	@$(maybe_selftests)
	@$(call build_modules,$(KERNEL))
	@scripts/vmrun.sh --kernel $(KERNEL) -- sh -c '$(CMD)'

# On your own machine: the module through DKMS (rebuilt for every new
# kernel), the programs and the man pages. Build first as yourself (make),
# then: sudo make install. DKMS_KERNELS: the kernels to build for now
# (default: the running one).
install: userspace
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) scripts/install.sh install

uninstall:
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) scripts/install.sh uninstall

clean:
	rm -rf $(O)
