# SPDX-License-Identifier: GPL-2.0
#
# toymap: the two commands a user needs
#   make demo    build, boot a Debian kernel under QEMU with trace=1, run every demo
#   make check   install what is missing, build, boot every kernel of the matrix,
#                run the selftests and the lint; prints "N passed, N failed"
# and the ones a developer needs
#   make         build the user-space programs and toymap.ko for every kernel
#   make lint    checkpatch --strict, sparse, W=1, shellcheck
#   make check-host   the selftests on this machine's running kernel (root)
#   make vm KERNEL=6.12   a guest with the module loaded, running a shell command: CMD="..."
#
# toymap.ko itself is built by kbuild through ./Kbuild:
#   make -C /lib/modules/$(uname -r)/build M=$PWD

KERNELS ?= $(shell scripts/kernels.sh names)
KERNEL ?= $(firstword $(KERNELS))
O := $(CURDIR)/build

.PHONY: all deps userspace selftests modules check check-host demo lint vm clean

all: userspace selftests modules

deps:
	@scripts/deps.sh

userspace:
	@$(MAKE) --no-print-directory -C userspace O=$(O)

selftests: userspace
	@$(MAKE) --no-print-directory -C selftests O=$(O)

modules:
	@for k in $(KERNELS); do scripts/build-module.sh $$k || exit 1; done

check: deps
	@$(MAKE) --no-print-directory all KERNELS="$(KERNELS)"
	@scripts/check.sh $(KERNELS)

check-host: userspace selftests
	@scripts/check-host.sh

demo: deps
	@$(MAKE) --no-print-directory userspace modules KERNELS="$(KERNEL)"
	@scripts/demo.sh $(KERNEL)

lint: deps
	@scripts/lint.sh $(KERNELS)

vm: all
	@scripts/vmrun.sh --kernel $(KERNEL) -- sh -c '$(CMD)'

clean:
	rm -rf $(O)
