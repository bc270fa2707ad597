// SPDX-License-Identifier: GPL-2.0
/*
 * demo-fault: Linux page fault handling (CS:APP 9.7.2, Figure 9.28).  The
 * kernel's handler asks of the faulting address: is it in an area?  (no:
 * segmentation fault); does the area allow the access?  (no: protection
 * fault); else it is a normal page fault, and the page is found (here by the
 * module's .fault) and the instruction restarted.  Each bad access runs in a
 * child, which reports the signal it got, with si_code and si_addr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo_util.h"
#include "demo_figure.h"

#define NORMAL_AREA	0	/* two pages, read-write; its page 1 is unmapped: a hole */
#define READONLY_AREA	1	/* one page, made PROT_READ */
#define END_AREA	2	/* the object's last page and one page past its end */

static const char about[] =
	"Shows the three cases of the kernel's page fault handler: a read of an\n"
	"address in no area (segmentation fault: SIGSEGV, SEGV_MAPERR); a read of a\n"
	"page of an area that has no page table entry yet (a normal page fault: the\n"
	"module's .fault gives the page and the read goes on); a write to a\n"
	"read-only area (protection fault: SIGSEGV, SEGV_ACCERR). And a fourth, the\n"
	"module's own: a read past the end of the object, in an area (SIGBUS). Each\n"
	"bad access runs in a child, which reports its signal, si_code and si_addr.";

/* What a child saw when it touched an address: signal 0 when none. */
struct fault_seen {
	int32_t signo;
	int32_t code;
	uint64_t addr;
	int32_t pid;
};

static int report_fd = -1;	/* in a child: where its handler reports */

static void report_signal(int signo, siginfo_t *info, void *context)
{
	struct fault_seen seen = {
		.signo = signo, .code = info->si_code,
		.addr = (uintptr_t)info->si_addr, .pid = getpid(),
	};

	(void)context;
	/* async-signal-safe: write() and _exit() only */
	if (write(report_fd, &seen, sizeof(seen)) != sizeof(seen))
		_exit(2);
	_exit(0);
}

/* In a child: touch @addr (a write when @write), and report what happened. */
static void __attribute__((noreturn)) child_touch(volatile unsigned char *addr, bool write)
{
	struct sigaction sa = { .sa_sigaction = report_signal, .sa_flags = SA_SIGINFO };
	struct fault_seen none = { .pid = getpid() };

	prctl(PR_SET_NAME, "child");
	if (sigaction(SIGSEGV, &sa, NULL) < 0 || sigaction(SIGBUS, &sa, NULL) < 0)
		_exit(3);
	if (write)
		*addr = 1;
	else
		(void)*addr;
	if (toymap_write_full(report_fd, &none, sizeof(none)))
		_exit(2);
	_exit(0);
}

/* Fork a child that touches @addr; @seen gets what it reported. */
static void touch_in_child(volatile unsigned char *addr, bool write, struct fault_seen *seen)
{
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		perror("pipe2");
		exit(DEMO_EXIT_CANNOT_RUN);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(DEMO_EXIT_CANNOT_RUN);
	}
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		child_touch(addr, write);
	}
	close(fds[1]);
	if (toymap_read_full(fds[0], seen, sizeof(*seen)) ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "the child (pid %d) did not report what it saw\n", (int)pid);
		exit(DEMO_EXIT_CANNOT_RUN);
	}
	close(fds[0]);
}

static const char *signal_name(int signo)
{
	return signo == SIGSEGV ? "SIGSEGV" : signo == SIGBUS ? "SIGBUS" : "no signal";
}

/* The si_code values of the demo's faults. */
static const struct {
	int signo, code;
	const char *name, *meaning;
} codes[] = {
	{ SIGSEGV, SEGV_MAPERR, "SEGV_MAPERR", "address not mapped" },
	{ SIGSEGV, SEGV_ACCERR, "SEGV_ACCERR", "access not allowed" },
	{ SIGBUS, BUS_ADRERR, "BUS_ADRERR", "no such page in the object" },
};

static const char *code_name(int signo, int code, bool meaning)
{
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].signo == signo && codes[i].code == code)
			return meaning ? codes[i].meaning : codes[i].name;
	return meaning ? "another code" : "?";
}

/* Print the address, its area in /proc/self/maps, and what the child saw. */
static void show_touch(const char *access, const void *addr, const struct fault_seen *seen)
{
	char line[256];

	printf("  address %p, %s\n", addr,
	       demo_maps_line(getpid(), (uintptr_t)addr, line, sizeof(line)) ?
	       "in this area of /proc/self/maps:" : "in no area of /proc/self/maps");
	if (line[0])
		printf("    %s\n", line);
	if (!seen)
		return;
	printf("  the child (pid %d) %s it: %s\n", (int)seen->pid, access,
	       signal_name(seen->signo));
	if (seen->signo)
		printf("    si_code %s (%s), si_addr 0x%" PRIx64 "\n",
		       code_name(seen->signo, seen->code, false),
		       code_name(seen->signo, seen->code, true), seen->addr);
}

struct figure {
	struct demo d;
	struct demo_proc self;
	unsigned char *hole;		/* an address in no area */
	struct fault_seen seen;
};

/* The areas: the kernel's list of them is what its fault handler searches. */
static void map_areas(struct figure *f)
{
	struct demo *d = &f->d;
	uint64_t end = d->now.object_size - (uint64_t)d->page_size;
	unsigned char *normal;
	struct demo_view v;

	demo_step(d, "This process maps three areas of the object, and leaves a hole.");
	demo_map(&f->self, NORMAL_AREA, 0, 2, MAP_SHARED, 0, &v);
	demo_map(&f->self, READONLY_AREA, (uint64_t)d->page_size, 1, MAP_SHARED, 0, &v);
	demo_map(&f->self, END_AREA, end, 2, MAP_SHARED, 0, &v);
	if (mprotect(demo_area_addr(READONLY_AREA), (size_t)d->page_size, PROT_READ) < 0) {
		perror("mprotect");
		exit(DEMO_EXIT_CANNOT_RUN);
	}
	demo_figure_prot(f->self.pid, READONLY_AREA, "r--");
	/* Last, so that no later mapping lands in it. */
	normal = demo_area_addr(NORMAL_AREA);
	f->hole = normal + d->page_size;
	if (munmap(f->hole, (size_t)d->page_size) < 0) {
		perror("munmap");
		exit(DEMO_EXIT_CANNOT_RUN);
	}
	demo_figure_hole(f->self.pid, NORMAL_AREA, 1);
	printf("  read-write, page 0 of the object (its page 1 was unmapped: a hole):\n");
	show_touch(NULL, normal, NULL);
	printf("  read-only (mprotect PROT_READ), page 1 of the object:\n");
	show_touch(NULL, demo_area_addr(READONLY_AREA), NULL);
	printf("  the object's last page, and one page past its end:\n");
	show_touch(NULL, demo_area_addr(END_AREA), NULL);
	demo_counters(d);
	demo_say("Each mmap() made an area: a vm_area_struct in the kernel's list of this\n"
		 "process's areas, which /proc/self/maps prints, one line each (start-end,\n"
		 "permissions, offset in the object, the object). On a page fault the\n"
		 "kernel's handler looks the faulting address up in that list first.\n"
		 "No page of the object is mapped yet.");
	demo_expect_delta(d, faults, 0, "mapping faulted nothing in");
}

/*
 * A step where a child touches page @page of @area (writes when @write)
 * and must get @signo with @code there; @why explains it.
 */
static void child_faults(struct figure *f, const char *title, unsigned int area, uint64_t page,
			 bool write, int signo, int code, const char *why)
{
	struct demo *d = &f->d;
	const char *access = write ? "wrote" : "read";
	unsigned char *addr = (unsigned char *)demo_area_addr(area) + page * d->page_size;
	char what[96];

	demo_step(d, "%s", title);
	touch_in_child(addr, write, &f->seen);
	snprintf(what, sizeof(what), "the child (pid %d) %s here: %s, %s", (int)f->seen.pid,
		 write ? "writes" : "reads", signal_name(f->seen.signo),
		 code_name(f->seen.signo, f->seen.code, false));
	demo_figure_access(f->self.pid, area, page, what);
	show_touch(access, addr, &f->seen);
	demo_counters(d);
	demo_say("%s", why);
	demo_expect(d, f->seen.signo == signo && f->seen.code == code, "the child got %s with %s",
		    signal_name(signo), code_name(signo, code, false));
	demo_expect(d, f->seen.addr == (uintptr_t)addr, "si_addr is the address it %s", access);
}

/* The kernel's handler refused the access before asking the module anything. */
static void expect_module_not_asked(struct demo *d)
{
	demo_expect(d, DEMO_DELTA(d, faults) == 0 && DEMO_DELTA(d, fault_around_calls) == 0 &&
		    DEMO_DELTA(d, page_mkwrites) == 0,
		    "no page fault reached the module (faults +0, fault_around_calls +0, "
		    "page_mkwrites +0)");
}

static void segmentation_fault(struct figure *f)
{
	struct demo *d = &f->d;

	child_faults(f, "A child reads an address in no area: a segmentation fault.", NORMAL_AREA,
		     1, false, SIGSEGV, SEGV_MAPERR,
		     "Figure 9.28 (1): the address is in no area, so the handler gives up at\n"
		     "once: SIGSEGV, with si_code SEGV_MAPERR and the address in si_addr. The\n"
		     "module was never asked: no area, no fault handler of a driver. (The\n"
		     "module saw the child's copies of the three areas come and go: fork and\n"
		     "exit, vma_opens and vma_closes.)");
	expect_module_not_asked(d);
}

static void normal_fault(struct figure *f)
{
	struct demo *d = &f->d;
	struct demo_view v;

	demo_step(d, "This process reads page 0 of its read-write area: a normal fault.");
	demo_read(&f->self, NORMAL_AREA, 0, &v);
	demo_figure_access(f->self.pid, NORMAL_AREA, 0,
			   "this process reads here: a page fault, .fault gives the page");
	demo_row(&f->self, "read-write", &v);
	demo_counters(d);
	demo_say("Figure 9.28 (3): a legal address, a legal read, but no page table entry\n"
		 "yet. The handler asks the area's owner for the page: the module's .fault\n"
		 "made it (demand-zero), the kernel mapped it and restarted the read, which\n"
		 "then went on as if nothing had happened. No signal.");
	demo_expect(d, v.pte.present && v.pte.file && v.zero_bytes == d->page_size,
		    "the page is mapped now, a page of the object, all zeros");
	demo_expect_delta(d, faults, 1, "the page fault reached the module's .fault");
	demo_expect_delta(d, zero_fills, 1, "which made the page");
}

static void protection_fault(struct figure *f)
{
	struct demo *d = &f->d;

	child_faults(f, "A child writes to the read-only area: a protection fault.",
		     READONLY_AREA, 0, true, SIGSEGV, SEGV_ACCERR,
		     "Figure 9.28 (2): the address is in an area, but the area is read-only\n"
		     "(\"r--s\"): the write is not allowed. SIGSEGV again, with si_code\n"
		     "SEGV_ACCERR this time. The kernel checks the area's permissions before\n"
		     "it asks anyone for a page: the module saw nothing of it.");
	expect_module_not_asked(d);
}

static void past_the_end(struct figure *f)
{
	struct demo *d = &f->d;

	child_faults(f, "A child reads past the end of the object, inside its area: SIGBUS.",
		     END_AREA, 1, false, SIGBUS, BUS_ADRERR,
		     "Not in Figure 9.28, but the same path as a normal fault: the area and\n"
		     "the read are legal, so the kernel asks the module's .fault for the page.\n"
		     "There is none: the area reaches past the end of the object, as an mmap()\n"
		     "of a file may reach past its end. The module answers VM_FAULT_SIGBUS.");
	demo_expect_delta(d, sigbus_faults, 1, "the module answered this fault with SIGBUS");
}

int main(int argc, char **argv)
{
	struct figure f;
	struct demo *d = &f.d;

	demo_init(d, argc, argv, about);
	demo_self(&f.self, "this process");
	demo_title(d, "Page fault handling (CS:APP 9.7.2, Figure 9.28)");
	demo_say("A page fault hands the faulting address to the kernel's handler, which\n"
		 "asks, in order: is the address in an area (a vm_area_struct)? If not, a\n"
		 "segmentation fault. Does the area allow this access? If not, a\n"
		 "protection fault. Otherwise it is a normal page fault: the handler finds\n"
		 "the page (for this object, the module's .fault), maps it, and restarts\n"
		 "the instruction. A bad access kills the process, so a child makes each\n"
		 "one and reports the signal it got.\n"
		 "First, the object is made fresh: no page, no file attached.");
	demo_fresh_object(d);

	map_areas(&f);
	segmentation_fault(&f);
	normal_fault(&f);
	protection_fault(&f);
	past_the_end(&f);
	return demo_finish(d);
}
