// SPDX-License-Identifier: GPL-2.0
/*
 * bench_fault.c - the fault cases: first touch (demand-zero), resident
 * pages with and without fault-around, copy-on-write, fork, two CPUs, and
 * what tracing costs.  Each compares the device with the kernel's own
 * memory doing the same work: anonymous memory or a memfd (shmem).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "libtoymap.h"

/* A variant's arg: the kind in the low bits, then what it does. */
#define KIND(arg)	((enum bench_kind)((arg) & 0xf))
#define WRITE		0x10	/* touch by writing (else reading) */
#define FA_OFF		0x20	/* the module's fault_around=0 */
#define TWO_PROCS	0x40	/* scaling: two processes on two CPUs */
#define TWO_OBJECTS	0x80	/* scaling: one object (memfd) each */
#define TRACE_PARAM	0x100	/* the module's trace=1 */
#define TRACEPOINTS	0x200	/* tracefs: the toymap events enabled */
#define LARGE		0x400	/* the module's large_folios=1 */

/* First touch of absent pages: the object's range discarded, a fresh memfd. */
static int measure_first_touch(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	struct bench_area area;
	int err, restore = 0;

	if (arg & LARGE) {
		err = bench_large_folios_on(ctx);
		if (err)
			return err;
	}
	err = bench_area_map(ctx, &area, KIND(arg), 0, 0, ctx->pages, -1, true, 0);
	if (!err) {
		bench_timed_touch(ctx, &area, 0, arg & WRITE, out);
		bench_area_unmap(&area);
	}
	/* The next variant starts from an empty object: no large folio left behind. */
	if (arg & LARGE) {
		restore = bench_param_restore(ctx, "large_folios");
		if (!err)
			err = bench_reset_object(ctx, 0);
	}
	return err ? err : restore;
}

const struct bench_case bench_first_write = {
	.name = "first-touch write",
	.what = "a write to each absent page: demand-zero; MAP_SHARED device (.fault, then .page_mkwrite)",
	.variants = {
		{ "toymap", "toymap MAP_SHARED", BENCH_NS_PER_PAGE, measure_first_touch,
		  BENCH_DEVICE_SHARED | WRITE },
		{ "anon", "anonymous (THP off)", BENCH_NS_PER_PAGE, measure_first_touch, BENCH_ANON | WRITE },
		{ "anon-thp", "anonymous (THP)", BENCH_NS_PER_PAGE, measure_first_touch,
		  BENCH_ANON_THP | WRITE },
		{ "memfd", "memfd MAP_SHARED", BENCH_NS_PER_PAGE, measure_first_touch,
		  BENCH_MEMFD_SHARED | WRITE },
	},
	.comparisons = {
		{ "toymap", "anon", '<', 1.10 },
		{ "toymap", "memfd", '<', 1.0 },
		{ "toymap", "anon-thp" },
	},
};

/*
 * large_folios=1: the fault allocates a folio of up to 2 MiB, which core mm
 * maps whole (one PMD) where the mapping is 2 MiB aligned: the issue's
 * moonshot, against anonymous THP.  The .fault calls per page show it.
 */
const struct bench_case bench_large_folios = {
	.name = "large folios",
	.what = "a write to each absent page with large_folios=1: MADV_HUGEPAGE 2 MiB aligned, or a sequential touch; vs anonymous THP",
	.variants = {
		{ "toymap-huge", "toymap large_folios=1, MADV_HUGEPAGE", BENCH_NS_PER_PAGE,
		  measure_first_touch, BENCH_DEVICE_HUGE | WRITE | LARGE },
		{ "toymap-seq", "toymap large_folios=1, sequential", BENCH_NS_PER_PAGE,
		  measure_first_touch, BENCH_DEVICE_SHARED | WRITE | LARGE },
		{ "toymap", "toymap 4 KiB pages (default)", BENCH_NS_PER_PAGE, measure_first_touch,
		  BENCH_DEVICE_SHARED | WRITE },
		{ "anon-thp", "anonymous (THP)", BENCH_NS_PER_PAGE, measure_first_touch,
		  BENCH_ANON_THP | WRITE },
	},
	.comparisons = {
		{ "toymap-huge", "anon-thp", '<', 1.5 },
		{ "toymap-seq", "anon-thp" },
		{ "toymap", "anon-thp" },
	},
};

const struct bench_case bench_first_read = {
	.name = "first-touch read",
	.what = "a read of each absent page: the device and memfd allocate a zeroed page",
	.variants = {
		{ "toymap", "toymap MAP_SHARED", BENCH_NS_PER_PAGE, measure_first_touch,
		  BENCH_DEVICE_SHARED },
		{ "memfd", "memfd MAP_SHARED", BENCH_NS_PER_PAGE, measure_first_touch, BENCH_MEMFD_SHARED },
	},
	.comparisons = { { "toymap", "memfd" } },
};

/* Resident read: every page exists in the object and in ctx->memfd. */
static int resident_setup(struct bench_ctx *ctx)
{
	struct bench_area area;
	int err;

	ctx->memfd = bench_memfd(ctx->pages * ctx->page);
	if (ctx->memfd < 0)
		return bench_fail(ctx, -ctx->memfd, "memfd_create");
	err = bench_area_map(ctx, &area, BENCH_DEVICE_SHARED, 0, 0, ctx->pages, -1, true, 0);
	if (err)
		return err;
	bench_touch(ctx, area.addr, ctx->pages, 1, true);
	bench_area_unmap(&area);
	err = bench_area_map(ctx, &area, BENCH_MEMFD_SHARED, 0, 0, ctx->pages, ctx->memfd, false, 0);
	if (err)
		return err;
	bench_touch(ctx, area.addr, ctx->pages, 1, true);
	bench_area_unmap(&area);
	return 0;
}

static void resident_teardown(struct bench_ctx *ctx)
{
	bench_reset_object(ctx, 0);
}

static int measure_resident(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	struct bench_area area;
	int err;

	if (arg & FA_OFF) {
		err = bench_param_save_set(ctx, "fault_around", "0");
		if (err)
			return err;
	}
	err = bench_area_map(ctx, &area, KIND(arg), 0, 0, ctx->pages, ctx->memfd, false, 0);
	if (!err) {
		bench_timed_touch(ctx, &area, 0, false, out);
		bench_area_unmap(&area);
	}
	if (arg & FA_OFF) {
		int restore = bench_param_restore(ctx, "fault_around");

		err = err ? err : restore;
	}
	return err;
}

const struct bench_case bench_resident_read = {
	.name = "resident read",
	.what = "a read of each page already in memory, by a new mapping: fault-around maps 16 a fault",
	.setup = resident_setup,
	.teardown = resident_teardown,
	.variants = {
		{ "toymap", "toymap (fault-around on)", BENCH_NS_PER_PAGE, measure_resident,
		  BENCH_DEVICE_SHARED },
		{ "toymap-fa-off", "toymap (fault-around off)", BENCH_NS_PER_PAGE, measure_resident,
		  BENCH_DEVICE_SHARED | FA_OFF },
		{ "memfd", "memfd MAP_SHARED", BENCH_NS_PER_PAGE, measure_resident, BENCH_MEMFD_SHARED },
	},
	.comparisons = {
		{ "toymap", "memfd", '<', 1.0 },
		{ "toymap-fa-off", "memfd" },
	},
};

/* A private mapping read first (the object's pages mapped read-only), then written. */
static int measure_cow_after_read(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	struct bench_area area;
	int err;

	err = bench_area_map(ctx, &area, KIND(arg), 0, 0, ctx->pages, -1, true, 0);
	if (err)
		return err;
	bench_touch(ctx, area.addr, ctx->pages, 1, false);
	bench_timed_touch(ctx, &area, 0, true, out);
	bench_area_unmap(&area);
	return 0;
}

const struct bench_case bench_cow_after_read = {
	.name = "COW after read",
	.what = "MAP_PRIVATE, every page read first, then the timed writes: the kernel copies (do_wp_page)",
	.variants = {
		{ "toymap", "toymap MAP_PRIVATE", BENCH_NS_PER_PAGE, measure_cow_after_read,
		  BENCH_DEVICE_PRIVATE },
		{ "memfd", "memfd MAP_PRIVATE", BENCH_NS_PER_PAGE, measure_cow_after_read,
		  BENCH_MEMFD_PRIVATE },
	},
	.comparisons = { { "toymap", "memfd", '<', 1.0 } },
};

const struct bench_case bench_private_write = {
	.name = "first private write",
	.what = "MAP_PRIVATE, a write to each absent page: .fault makes the object's page, the kernel copies it",
	.variants = {
		{ "toymap", "toymap MAP_PRIVATE", BENCH_NS_PER_PAGE, measure_first_touch,
		  BENCH_DEVICE_PRIVATE | WRITE },
		{ "memfd", "memfd MAP_PRIVATE", BENCH_NS_PER_PAGE, measure_first_touch,
		  BENCH_MEMFD_PRIVATE | WRITE },
	},
	.comparisons = { { "toymap", "memfd", '<', 1.0 } },
};

/*
 * Read one byte from @fd: 0 for a zero byte, -EPROTO for another (a child
 * that failed), -EPIPE when every writer is gone, or -errno.
 */
static int wait_byte(int fd)
{
	char c;
	ssize_t n;

	do {
		n = read(fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1)
		return c ? -EPROTO : 0;
	return n < 0 ? -errno : -EPIPE;
}

static int send_bytes(int fd, int n)
{
	char buf[8] = "";

	return write(fd, buf, n) == n ? 0 : -errno;
}

/* Wait for @pid; 0 when it exited 0. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
}

/*
 * The parent writes every page; timed: fork, and the child writing every
 * page (a shared mapping refaults, a private one copies each page).
 */
static int measure_fork(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	bool device = bench_kind_is_device(KIND(arg));
	struct bench_area area;
	double faults;
	uint64_t start;
	int done[2], err;
	pid_t pid;

	err = bench_area_map(ctx, &area, KIND(arg), 0, 0, ctx->pages, -1, true, 0);
	if (err)
		return err;
	bench_touch(ctx, area.addr, ctx->pages, 1, true);
	if (pipe2(done, O_CLOEXEC)) {
		bench_area_unmap(&area);
		return bench_fail(ctx, errno, "pipe");
	}
	faults = device ? bench_fault_calls(ctx, 0) : -1;
	start = bench_now_ns();
	pid = fork();
	if (pid == 0) {
		bench_touch(ctx, area.addr, ctx->pages, 1, true);
		_exit(send_bytes(done[1], 1) ? 1 : 0);
	}
	close(done[1]);
	err = pid < 0 ? bench_fail(ctx, errno, "fork") : wait_byte(done[0]);
	out->value = (double)(bench_now_ns() - start) / (double)ctx->pages;
	out->fault_calls = device ? (bench_fault_calls(ctx, 0) - faults) / (double)ctx->pages : -1;
	close(done[0]);
	if (pid > 0 && reap(pid) && !err)
		err = bench_fail(ctx, 0, "the forked child failed");
	bench_area_unmap(&area);
	return err < 0 && !ctx->why[0] ? bench_fail(ctx, -err, "fork case") : err;
}

const struct bench_case bench_fork = {
	.name = "fork + child writes",
	.what = "the parent wrote every page; timed: fork() and the child writing every page",
	.variants = {
		{ "toymap-shared", "toymap MAP_SHARED", BENCH_NS_PER_PAGE, measure_fork, BENCH_DEVICE_SHARED },
		{ "toymap-private", "toymap MAP_PRIVATE", BENCH_NS_PER_PAGE, measure_fork,
		  BENCH_DEVICE_PRIVATE },
		{ "anon", "anonymous (THP off)", BENCH_NS_PER_PAGE, measure_fork, BENCH_ANON },
		{ "memfd", "memfd MAP_SHARED", BENCH_NS_PER_PAGE, measure_fork, BENCH_MEMFD_SHARED },
	},
	.comparisons = {
		{ "toymap-shared", "anon" },
		{ "toymap-private", "anon" },
		{ "toymap-shared", "memfd" },
	},
};

static int scaling_setup(struct bench_ctx *ctx)
{
	if (ctx->cpus < 2)
		return bench_unavailable(ctx, "one CPU online: scaling needs two (vmrun.sh boots with -smp 2)");
	return 0;
}

/*
 * One child of the scaling case: pinned to CPU @i, maps its own disjoint
 * pages, says it is ready, waits for the start, writes every page, says
 * done.  The mapping goes with its exit, after the parent stopped the clock.
 */
static void __attribute__((noreturn)) scaling_child(struct bench_ctx *ctx, long arg, int i,
						    const int memfds[2], int ready, int go)
{
	bool two_objects = arg & TWO_OBJECTS;
	struct bench_area area;

	if (bench_pin(i % ctx->cpus) ||
	    bench_area_map(ctx, &area, KIND(arg), two_objects ? i : 0, two_objects ? 0 : i * ctx->pages,
			   ctx->pages, memfds[two_objects ? i : 0], false, 0)) {
		/* A byte other than zero: the parent stops waiting for us. */
		_exit(write(ready, "E", 1) == 1 ? 1 : 2);
	}
	if (send_bytes(ready, 1) || wait_byte(go))
		_exit(1);
	bench_touch(ctx, area.addr, ctx->pages, 1, true);
	_exit(send_bytes(ready, 1) ? 1 : 0);
}

/*
 * Pages per second of one or two processes, each writing ctx->pages absent
 * pages: disjoint halves of one object (memfd), or one object (memfd) each.
 * The clock runs from the start signal to the last process's done.
 */
static int measure_scaling(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	int procs = arg & TWO_PROCS ? 2 : 1, memfds[2] = { -1, -1 }, ready[2], go[2], i, err = 0;
	bool device = bench_kind_is_device(KIND(arg));
	size_t total = (size_t)procs * ctx->pages;
	double faults = 0;
	pid_t pids[2] = { 0, 0 };
	uint64_t start = 0;

	for (i = 0; i < 2 && !err; i++) {
		if (device) {
			err = bench_reset_object(ctx, i);
			faults += bench_fault_calls(ctx, i);
		} else if ((memfds[i] = bench_memfd(2 * ctx->pages * ctx->page)) < 0) {
			err = bench_fail(ctx, -memfds[i], "memfd_create");
		}
	}
	if (!err && pipe2(ready, O_CLOEXEC))
		err = bench_fail(ctx, errno, "pipe");
	if (!err && pipe2(go, O_CLOEXEC)) {
		err = bench_fail(ctx, errno, "pipe");
		close(ready[0]);
		close(ready[1]);
	}
	if (err)
		goto out;
	for (i = 0; i < procs && !err; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			scaling_child(ctx, arg, i, memfds, ready[1], go[0]);
		if (pids[i] < 0)
			err = bench_fail(ctx, errno, "fork");
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < procs && !err; i++)
		err = wait_byte(ready[0]);
	if (!err) {
		start = bench_now_ns();
		err = send_bytes(go[1], procs);
	}
	for (i = 0; i < procs && !err; i++)
		err = wait_byte(ready[0]);
	if (!err)
		out->value = (double)total * 1e9 / (double)(bench_now_ns() - start);
	close(go[1]);
	close(ready[0]);
	for (i = 0; i < procs; i++)
		if (pids[i] > 0 && reap(pids[i]) && !err)
			err = -ECHILD;
	if (err && !ctx->why[0])
		err = bench_fail(ctx, -err, "a scaling child failed");
	if (device)
		out->fault_calls = (bench_fault_calls(ctx, 0) + bench_fault_calls(ctx, 1) - faults) /
				   (double)total;
	else
		out->fault_calls = -1;
out:
	for (i = 0; i < 2; i++)
		if (memfds[i] >= 0)
			close(memfds[i]);
	return err;
}

const struct bench_case bench_scaling = {
	.name = "scaling",
	.what = "pages per second written by 1 or 2 processes on 2 CPUs, disjoint pages of one object, or two",
	.setup = scaling_setup,
	.variants = {
		{ "toymap-1", "toymap 1 CPU", BENCH_PAGES_PER_S, measure_scaling, BENCH_DEVICE_SHARED },
		{ "toymap-2", "toymap 2 CPUs", BENCH_PAGES_PER_S, measure_scaling,
		  BENCH_DEVICE_SHARED | TWO_PROCS },
		{ "toymap-2obj", "toymap 2 CPUs 2 objects", BENCH_PAGES_PER_S, measure_scaling,
		  BENCH_DEVICE_SHARED | TWO_PROCS | TWO_OBJECTS },
		{ "memfd-1", "memfd 1 CPU", BENCH_PAGES_PER_S, measure_scaling, BENCH_MEMFD_SHARED },
		{ "memfd-2", "memfd 2 CPUs", BENCH_PAGES_PER_S, measure_scaling,
		  BENCH_MEMFD_SHARED | TWO_PROCS },
		{ "memfd-2obj", "memfd 2 CPUs 2 memfds", BENCH_PAGES_PER_S, measure_scaling,
		  BENCH_MEMFD_SHARED | TWO_PROCS | TWO_OBJECTS },
	},
	.comparisons = {
		{ "toymap-2", "toymap-1", '>', 1.8 },
		{ "memfd-2", "memfd-1" },
		{ "toymap-2obj", "toymap-1" },
		{ "memfd-2obj", "memfd-1" },
	},
};

/* First-touch writes of ctx->trace_pages with tracing off, trace=1, or the tracepoints on. */
static int measure_tracing(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	struct bench_area area;
	int err = 0, restore = 0;

	if (arg & TRACE_PARAM)
		err = bench_param_save_set(ctx, "trace", "1");
	else if (arg & TRACEPOINTS)
		err = bench_tracepoints(ctx, true);
	if (err)
		return err;
	err = bench_area_map(ctx, &area, BENCH_DEVICE_SHARED, 0, 0, ctx->trace_pages, -1, true, 0);
	if (!err) {
		bench_timed_touch(ctx, &area, 0, true, out);
		bench_area_unmap(&area);
	}
	if (arg & TRACE_PARAM)
		restore = bench_param_restore(ctx, "trace");
	else if (arg & TRACEPOINTS)
		restore = bench_tracepoints(ctx, false);
	return err ? err : restore;
}

const struct bench_case bench_tracing = {
	.name = "tracing",
	.what = "first-touch writes (toymap MAP_SHARED) with trace=0 twice (the noise), trace=1, the tracepoints on",
	.variants = {
		{ "trace0", "trace=0", BENCH_NS_PER_PAGE, measure_tracing, 0 },
		{ "trace0-again", "trace=0 again", BENCH_NS_PER_PAGE, measure_tracing, 0 },
		{ "trace1", "trace=1 (kernel log)", BENCH_NS_PER_PAGE, measure_tracing, TRACE_PARAM },
		{ "tracepoints", "tracepoints on", BENCH_NS_PER_PAGE, measure_tracing, TRACEPOINTS },
	},
	.comparisons = {
		{ "trace0-again", "trace0" },
		{ "trace1", "trace0" },
		{ "tracepoints", "trace0" },
	},
};
