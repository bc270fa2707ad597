/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toymap-bench: what a page of a toymap object costs, against the kernel's
 * own memory measured in the same boot (anonymous memory, memfd, a tmpfs
 * file, the kernel's swap).
 *
 * A case (struct bench_case) names its variants, each one way of doing the
 * same work (the device, memfd, anonymous memory...), and the comparisons
 * the table shows: a subject variant against a reference variant.  The
 * runner (toymap-bench.c) measures every variant of a case once per round,
 * the order reversed every other round, after one warm-up round it throws
 * away; the ratio of a comparison is the median of the per-round ratios.
 *
 *   bench.h         this: the context, the case tables, the helpers
 *   toymap-bench.c  options, the runner, statistics, table and CSV
 *   bench_area.c    the memory under test: device, memfd, anonymous
 *   bench_env.c     the guest around it: parameters, tracefs, memcg, swap
 *   bench_fault.c   the fault cases: first touch, resident, COW, fork,
 *                   scaling, tracing
 *   bench_object.c  the object cases: file section, mmapcopy, msync, EVICT,
 *                   space and MAP_POPULATE
 */
#ifndef TOYMAP_BENCH_H
#define TOYMAP_BENCH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_ROUNDS	99
#define BENCH_MAX_VARIANTS	8
#define BENCH_MAX_COMPARISONS	6
#define BENCH_NOTE_LEN		160
/* A measure function's answer when this boot cannot measure the variant. */
#define BENCH_UNAVAILABLE	1

enum bench_unit {
	BENCH_NS_PER_PAGE,	/* lower is better */
	BENCH_PAGES_PER_S,	/* higher is better */
	BENCH_MIB_PER_S,	/* higher is better */
	BENCH_BYTES,		/* lower is better */
};

/* What the memory under test is (bench_area.c). */
enum bench_kind {
	BENCH_DEVICE_SHARED,	/* /dev/toymapN, MAP_SHARED */
	BENCH_DEVICE_PRIVATE,	/* /dev/toymapN, MAP_PRIVATE */
	BENCH_ANON,		/* anonymous, MADV_NOHUGEPAGE */
	BENCH_ANON_THP,		/* anonymous, 2 MiB aligned, MADV_HUGEPAGE */
	BENCH_MEMFD_SHARED,	/* memfd (shmem), MAP_SHARED */
	BENCH_MEMFD_PRIVATE,	/* memfd (shmem), MAP_PRIVATE */
	BENCH_DEVICE_HUGE,	/* /dev/toymapN, MAP_SHARED, 2 MiB aligned, MADV_HUGEPAGE */
};

/* The whole run: set up by main, read by every case. */
struct bench_ctx {
	int dev[2];		/* /dev/toymap0 and /dev/toymap1, read-write */
	size_t page;		/* bytes */
	uint64_t object_size;	/* bytes of each object */
	size_t pages;		/* pages a fault case touches */
	size_t file_pages;	/* pages of the file section cases */
	size_t trace_pages;	/* pages of the tracing case */
	uint64_t space_size;	/* bytes of the space case's mapping */
	int rounds;
	bool kernel_swap;	/* may make a swap device in RAM (brd) */
	int cpus;		/* online CPUs */
	char bin_dir[PATH_MAX];	/* where toymap-bench is: mmapcopy is beside it */

	/* A case's own state, from its setup to its teardown. */
	int memfd;		/* a memfd that outlives a measurement */
	int file_fd;		/* a regular file of the case */
	int swap_fd;		/* the object's swap file */
	char file_path[PATH_MAX];
	char out_path[PATH_MAX];
	void *buf;		/* a read() buffer */
	size_t buf_len;
	char saved_param[32];	/* a module parameter to put back */
	bool swap_on;		/* the kernel's swap device is on */

	char why[BENCH_NOTE_LEN];	/* set with BENCH_UNAVAILABLE or an error */
	char note[BENCH_NOTE_LEN];	/* what a measurement observed (footnote) */
};

/* One measurement of one variant. */
struct bench_sample {
	double value;		/* in the variant's unit */
	double fault_calls;	/* the module's .fault calls per page, or -1 */
	double also;		/* the value of the variant's @also, if it has one */
};

/*
 * A variant: @measure does the work once and fills @out.  It returns 0,
 * BENCH_UNAVAILABLE (with ctx->why: this boot cannot do it, e.g. no THP), or
 * -errno (with ctx->why: the bench fails).
 */
struct bench_variant {
	const char *key;	/* short name, for comparisons and the chart */
	const char *name;	/* the table's words */
	enum bench_unit unit;
	int (*measure)(struct bench_ctx *ctx, long arg, struct bench_sample *out);
	long arg;
	/*
	 * The key of a variant without a measure of its own whose value this
	 * one's measurement gives too (out->also), e.g. the memory a timed
	 * MAP_POPULATE left: one populate, two numbers.
	 */
	const char *also;
};

/* A row of the table: subject / reference, and the target if any. */
struct bench_comparison {
	const char *subject;	/* variant keys */
	const char *reference;
	char op;		/* '<' (ratio <= target), '>' (ratio >= target), 0: none */
	double target;
};

struct bench_case {
	const char *name;
	const char *what;	/* one line: what is measured, for --list */
	/* Optional; 0, BENCH_UNAVAILABLE (whole case) or -errno, like measure. */
	int (*setup)(struct bench_ctx *ctx);
	void (*teardown)(struct bench_ctx *ctx);
	struct bench_variant variants[BENCH_MAX_VARIANTS];
	struct bench_comparison comparisons[BENCH_MAX_COMPARISONS];
};

/* The cases, in the order they run (bench_fault.c, bench_object.c). */
extern const struct bench_case bench_first_write, bench_large_folios, bench_first_read,
	bench_resident_read,
	bench_cow_after_read, bench_private_write, bench_fork, bench_scaling, bench_tracing;
extern const struct bench_case bench_file_read, bench_mmapcopy, bench_msync, bench_evict,
	bench_space, bench_populate;

/* bench_area.c: a mapping of the memory under test. */
struct bench_area {
	enum bench_kind kind;
	char *addr;		/* the pages under test */
	size_t len;
	void *map;		/* what to munmap (THP areas are aligned inside it) */
	size_t map_len;
	int fd;			/* a memfd this area owns, or -1 */
};

uint64_t bench_now_ns(void);
int bench_fail(struct bench_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int bench_unavailable(struct bench_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Map @pages pages of @kind at page @first of object @obj (device) or of
 * @memfd (memfd kinds; -1: a fresh memfd of its own).  @fresh: discard the
 * device's range first, so that every page is absent.  MAP_POPULATE etc.
 * in @extra_flags.
 */
int bench_area_map(struct bench_ctx *ctx, struct bench_area *area, enum bench_kind kind,
		   int obj, size_t first, size_t pages, int memfd, bool fresh, int extra_flags);
void bench_area_unmap(struct bench_area *area);
bool bench_kind_is_device(enum bench_kind kind);
/* Touch one byte of every @stride-th page of [addr, addr + pages * page). */
void bench_touch(const struct bench_ctx *ctx, char *addr, size_t pages, size_t stride, bool write);
/*
 * Time bench_touch() of every page of @area into @out: ns per page, and the
 * .fault calls per page of object @obj when @area is a device's.
 */
void bench_timed_touch(const struct bench_ctx *ctx, const struct bench_area *area, int obj,
		       bool write, struct bench_sample *out);
/* A memfd of @len bytes: fd or -errno. */
int bench_memfd(size_t len);
/* Discard the whole object @obj: every page absent, no file, no swap pages. */
int bench_reset_object(struct bench_ctx *ctx, int obj);
/* The module's .fault calls so far on object @obj, or -1. */
double bench_fault_calls(const struct bench_ctx *ctx, int obj);
/* The module's pages now (all objects), or -errno. */
long long bench_module_pages(const struct bench_ctx *ctx);

/* bench_env.c: the guest around the bench. */
int bench_param_save_set(struct bench_ctx *ctx, const char *name, const char *value);
int bench_param_restore(struct bench_ctx *ctx, const char *name);
/* large_folios=1, saved as bench_param_save_set() saves; BENCH_UNAVAILABLE where refused. */
int bench_large_folios_on(struct bench_ctx *ctx);
/* tracefs: the toymap events on (1) or off (0); BENCH_UNAVAILABLE without tracefs. */
int bench_tracepoints(struct bench_ctx *ctx, bool on);
/* Move this process into a memory cgroup of its own, and back out of it. */
int bench_memcg_enter(struct bench_ctx *ctx);
void bench_memcg_leave(void);
/* memory.current of that cgroup once it stops changing, or -errno. */
long long bench_memcg_current(void);
/* The kernel's swap: on (a RAM disk, brd) for the EVICT case, then off again. */
int bench_kernel_swap_on(struct bench_ctx *ctx, size_t pages);
void bench_kernel_swap_off(struct bench_ctx *ctx);
/* A counter of /proc/vmstat, or -1. */
long long bench_vmstat(const char *name);
/*
 * Run @argv with stdout to @out_fd (stdin and stderr: /dev/null and ours),
 * wait: 0 when it exited 0, else -errno or the status as a positive number.
 */
int bench_run(char *const argv[], int out_fd);
/* Pin this process to @cpu: 0 or -errno. */
int bench_pin(int cpu);
/* A THP setting other than "never": true. */
bool bench_thp_enabled(void);

#endif /* TOYMAP_BENCH_H */
