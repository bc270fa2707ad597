// SPDX-License-Identifier: GPL-2.0
/*
 * bench_object.c - the object cases: a file section read through the object
 * (against the file's own mmap and read()), mmapcopy against cat, msync
 * write-back, EVICT to a swap file and swap-in (against the kernel's swap),
 * and what a large sparse object holds (against the bytes touched), with
 * MAP_POPULATE for contrast.
 *
 * Files are made in toymap_temp_dir() ($TMPDIR or /tmp: a tmpfs in the
 * guest), so that the file's pages are in memory and the cases measure the
 * object, not a disk.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bench.h"
#include "libtoymap.h"
#include "toymap_io.h"

#define MIB		(1024.0 * 1024.0)
#define READ_CHUNK	(256UL << 10)	/* bytes a read() of the read() variant */
#define SPACE_STRIDE	100		/* the space case touches 1 page in 100 */

/* A variant's arg. */
#define PAGEOUT		0x1	/* EVICT, MADV_PAGEOUT (else the swap-in after it) */
#define UNTOUCHED	0x2	/* space: map, touch nothing */
#define MODULE_BYTES	0x4	/* space: the module's pages (else the memory cgroup's) */
#define LARGE_FOLIOS	0x8	/* space: large_folios=1, MADV_HUGEPAGE, 2 MiB aligned */

/*
 * Fill ctx->file_fd with @pages pages of a pattern (no page is zero, so
 * that a page read from the file differs from a demand-zero one).
 */
static int fill_file(struct bench_ctx *ctx, size_t pages)
{
	char *page = malloc(ctx->page);
	size_t i;
	int err = 0;

	if (!page)
		return bench_fail(ctx, ENOMEM, "malloc");
	for (i = 0; i < pages && !err; i++) {
		memset(page, 'a' + (int)(i % 26), ctx->page);
		err = toymap_pwrite_full(ctx->file_fd, page, ctx->page, (off_t)(i * ctx->page));
	}
	free(page);
	return err ? bench_fail(ctx, -err, "writing a scratch file in %s", toymap_temp_dir()) : 0;
}

/*
 * A scratch file of @pages pages in ctx->file_fd; its name in ctx->file_path
 * if @named (removed by file_teardown), else it has none.
 */
static int make_file(struct bench_ctx *ctx, const char *tag, size_t pages, bool named)
{
	ctx->file_fd = toymap_temp_file(tag, named ? ctx->file_path : NULL,
					named ? sizeof(ctx->file_path) : 0);
	if (ctx->file_fd < 0)
		return bench_fail(ctx, -ctx->file_fd, "a scratch file in %s", toymap_temp_dir());
	return fill_file(ctx, pages);
}

/* Object 0 backed by the whole of ctx->file_fd, in memory beforehand. */
static int attach_file(struct bench_ctx *ctx, size_t pages)
{
	int err = bench_reset_object(ctx, 0);

	if (!err)
		err = toymap_attach(ctx->dev[0], ctx->file_fd, 0, pages * ctx->page);
	return err < 0 ? bench_fail(ctx, -err, "TOYMAP_IOC_ATTACH of a scratch file") : err;
}

/* Detach, close and remove what the file cases made. */
static void file_teardown(struct bench_ctx *ctx)
{
	toymap_detach(ctx->dev[0]);
	bench_reset_object(ctx, 0);
	if (ctx->file_fd >= 0)
		close(ctx->file_fd);
	ctx->file_fd = -1;
	if (ctx->out_path[0])
		unlink(ctx->out_path);
	if (ctx->file_path[0])
		unlink(ctx->file_path);
	ctx->out_path[0] = ctx->file_path[0] = '\0';
	free(ctx->buf);
	ctx->buf = NULL;
}

static int file_read_setup(struct bench_ctx *ctx)
{
	int err = make_file(ctx, "bench-section", ctx->file_pages, false);

	if (!err)
		err = attach_file(ctx, ctx->file_pages);
	ctx->buf_len = READ_CHUNK;
	ctx->buf = err ? NULL : malloc(ctx->buf_len);
	if (!err && !ctx->buf)
		err = bench_fail(ctx, ENOMEM, "malloc");
	if (!err)
		memset(ctx->buf, 0, ctx->buf_len);
	return err;
}

/*
 * A sequential read of the section through a PROT_READ MAP_SHARED mapping:
 * of the object (@arg 1, or 2 advised MADV_SEQUENTIAL so that it reads
 * ahead; its pages dropped first, so that each is read from the file), or
 * of the file itself (@arg 0: its pages in the page cache, tmpfs).
 */
static int measure_mapped_read(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	size_t len = ctx->file_pages * ctx->page;
	struct bench_area area = { .kind = arg ? BENCH_DEVICE_SHARED : BENCH_MEMFD_SHARED,
				   .len = len, .map_len = len, .fd = -1 };

	if (arg && toymap_discard(ctx->dev[0], 0, len))
		return bench_fail(ctx, errno, "TOYMAP_IOC_DISCARD");
	area.map = mmap(NULL, len, PROT_READ, MAP_SHARED, arg ? ctx->dev[0] : ctx->file_fd, 0);
	if (area.map == MAP_FAILED)
		return bench_fail(ctx, errno, "mmap of the %s", arg ? "attached object" : "file");
	area.addr = area.map;
	if (arg == 2 && madvise(area.map, len, MADV_SEQUENTIAL)) {
		bench_area_unmap(&area);
		return bench_fail(ctx, errno, "madvise(MADV_SEQUENTIAL)");
	}
	bench_timed_touch(ctx, &area, 0, false, out);
	bench_area_unmap(&area);
	return 0;
}

static int measure_file_read(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	size_t len = ctx->file_pages * ctx->page, off, n;
	uint64_t start = bench_now_ns();
	int err = 0;

	(void)arg;
	for (off = 0; off < len && !err; off += n) {
		n = len - off < ctx->buf_len ? len - off : ctx->buf_len;
		err = toymap_pread_full(ctx->file_fd, ctx->buf, n, (off_t)off);
	}
	out->value = (double)(bench_now_ns() - start) / (double)ctx->file_pages;
	out->fault_calls = -1;
	return err ? bench_fail(ctx, -err, "read() of the file") : 0;
}

const struct bench_case bench_file_read = {
	.name = "file section read",
	.what = "sequential first read of a file section (the file in memory, tmpfs) through the object",
	.setup = file_read_setup,
	.teardown = file_teardown,
	.variants = {
		{ "toymap", "toymap file section", BENCH_NS_PER_PAGE, measure_mapped_read, 1 },
		{ "toymap-seq", "toymap MADV_SEQUENTIAL", BENCH_NS_PER_PAGE, measure_mapped_read, 2 },
		{ "file-mmap", "the file's own mmap", BENCH_NS_PER_PAGE, measure_mapped_read, 0 },
		{ "read", "read() of the file", BENCH_NS_PER_PAGE, measure_file_read, 0 },
	},
	.comparisons = {
		{ "toymap", "file-mmap", '<', 1.2 },
		{ "toymap-seq", "file-mmap", '<', 1.2 },
		{ "toymap", "read" },
		{ "toymap-seq", "read" },
	},
};

static int mmapcopy_setup(struct bench_ctx *ctx)
{
	int err = bench_reset_object(ctx, 0), fd;

	if (!err)
		err = make_file(ctx, "bench-copy-in", ctx->file_pages, true);
	if (err)
		return err;
	fd = toymap_temp_file("bench-copy-out", ctx->out_path, sizeof(ctx->out_path));
	if (fd < 0)
		return bench_fail(ctx, -fd, "a scratch file");
	close(fd);
	return 0;
}

/* MiB per second of a program copying the file to ctx->out_path (emptied first). */
static int measure_copy(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	char program[PATH_MAX + 16];
	char *argv[] = { program, "--device", TOYMAP_DEFAULT_DEVICE, ctx->file_path, NULL };
	uint64_t start;
	int fd, status;

	if (arg) {
		snprintf(program, sizeof(program), "%s/mmapcopy", ctx->bin_dir);
	} else {
		snprintf(program, sizeof(program), "cat");
		argv[1] = ctx->file_path;
		argv[2] = NULL;
	}
	fd = open(ctx->out_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return bench_fail(ctx, errno, "%s", ctx->out_path);
	start = bench_now_ns();
	status = bench_run(argv, fd);
	out->value = (double)(ctx->file_pages * ctx->page) / MIB * 1e9 / (double)(bench_now_ns() - start);
	out->fault_calls = -1;
	close(fd);
	if (status < 0)
		return bench_fail(ctx, -status, "running %s", program);
	return status ? bench_fail(ctx, 0, "%s exited %d", program, status) : 0;
}

const struct bench_case bench_mmapcopy = {
	.name = "mmapcopy vs cat",
	.what = "throughput of copying the file to a tmpfs file: mmapcopy (through the object) and cat",
	.setup = mmapcopy_setup,
	.teardown = file_teardown,
	.variants = {
		{ "mmapcopy", "mmapcopy", BENCH_MIB_PER_S, measure_copy, 1 },
		{ "cat", "cat", BENCH_MIB_PER_S, measure_copy, 0 },
	},
	.comparisons = { { "mmapcopy", "cat", '>', 0.8 } },
};

static int msync_setup(struct bench_ctx *ctx)
{
	int err = make_file(ctx, "bench-msync", ctx->pages, false);

	if (!err)
		err = attach_file(ctx, ctx->pages);
	if (err)
		return err;
	ctx->memfd = bench_memfd(ctx->pages * ctx->page);
	return ctx->memfd < 0 ? bench_fail(ctx, -ctx->memfd, "memfd_create") : 0;
}

/* Every page dirtied (not timed), then msync(MS_SYNC) of the whole mapping. */
static int measure_msync(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	struct bench_area area;
	struct toymap_info before, after;
	uint64_t start;
	int err;

	err = bench_area_map(ctx, &area, (enum bench_kind)arg, 0, 0, ctx->pages, ctx->memfd, false, 0);
	if (err)
		return err;
	bench_touch(ctx, area.addr, ctx->pages, 1, true);
	toymap_get_info(ctx->dev[0], &before);
	start = bench_now_ns();
	err = msync(area.addr, area.len, MS_SYNC) ? errno : 0;
	out->value = (double)(bench_now_ns() - start) / (double)ctx->pages;
	toymap_get_info(ctx->dev[0], &after);
	out->fault_calls = -1;
	if (bench_kind_is_device(area.kind))
		snprintf(ctx->note, sizeof(ctx->note), "%.2f write-backs a page",
			 (double)(after.write_backs - before.write_backs) / (double)ctx->pages);
	bench_area_unmap(&area);
	return err ? bench_fail(ctx, err, "msync") : 0;
}

const struct bench_case bench_msync = {
	.name = "msync write-back",
	.what = "msync(MS_SYNC) of dirty pages: the object writes each to its file; tmpfs has nothing to do",
	.setup = msync_setup,
	.teardown = file_teardown,
	.variants = {
		{ "toymap", "toymap file section", BENCH_NS_PER_PAGE, measure_msync, BENCH_DEVICE_SHARED },
		{ "tmpfs", "tmpfs file (memfd)", BENCH_NS_PER_PAGE, measure_msync, BENCH_MEMFD_SHARED },
	},
	.comparisons = { { "toymap", "tmpfs" } },
};

/* Why the kernel's swap is not there, for the anonymous variants. */
static char swap_why[BENCH_NOTE_LEN];

/* Object 0 anonymous with a swap file; the kernel's swap on a RAM disk. */
static int evict_setup(struct bench_ctx *ctx)
{
	int err = bench_reset_object(ctx, 0);

	if (!err)
		err = make_file(ctx, "bench-swap", 0, false);
	if (err)
		return err;
	ctx->swap_fd = ctx->file_fd;
	ctx->file_fd = -1;
	err = toymap_set_swap(ctx->dev[0], ctx->swap_fd);
	if (err)
		return bench_fail(ctx, -err, "TOYMAP_IOC_SET_SWAP");
	/* Without the kernel's swap the device's variants still run, unmatched. */
	swap_why[0] = '\0';
	err = bench_kernel_swap_on(ctx, ctx->pages);
	if (err == BENCH_UNAVAILABLE)
		snprintf(swap_why, sizeof(swap_why), "%s", ctx->why);
	return err < 0 ? err : 0;
}

static void evict_teardown(struct bench_ctx *ctx)
{
	bench_reset_object(ctx, 0);
	toymap_set_swap(ctx->dev[0], -1);
	close(ctx->swap_fd);
	ctx->swap_fd = -1;
	bench_kernel_swap_off(ctx);
}

/* Write out every (dirty) page: EVICT to the swap file, or MADV_PAGEOUT to the kernel's swap. */
static int page_out(struct bench_ctx *ctx, const struct bench_area *area)
{
	struct toymap_evict result;
	int err;

	if (area->kind == BENCH_ANON)
		return madvise(area->addr, area->len, MADV_PAGEOUT) ?
			bench_fail(ctx, errno, "madvise(MADV_PAGEOUT)") : 0;
	err = toymap_evict(ctx->dev[0], 0, area->len, &result);
	if (err)
		return bench_fail(ctx, -err, "TOYMAP_IOC_EVICT");
	if (result.swapped_out != area->len / ctx->page)
		snprintf(ctx->note, sizeof(ctx->note), "EVICT swapped out %llu of %zu pages",
			 (unsigned long long)result.swapped_out, area->len / ctx->page);
	return 0;
}

/* Pages per second of writing every page out, or of reading them back in. */
static int measure_swap(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	enum bench_kind kind = arg & PAGEOUT ? (enum bench_kind)(arg & ~PAGEOUT) : (enum bench_kind)arg;
	long long swapped_in;
	struct bench_area area;
	uint64_t start;
	int err;

	if (kind == BENCH_ANON && !ctx->swap_on)
		return bench_unavailable(ctx, "%s", swap_why);
	err = bench_area_map(ctx, &area, kind, 0, 0, ctx->pages, -1, true, 0);
	if (err)
		return err;
	bench_touch(ctx, area.addr, ctx->pages, 1, true);
	out->fault_calls = -1;
	start = bench_now_ns();
	err = page_out(ctx, &area);
	if (!err && !(arg & PAGEOUT)) {
		swapped_in = bench_vmstat("pswpin");
		bench_timed_touch(ctx, &area, 0, false, out);
		out->value = 1e9 / out->value;
		if (kind == BENCH_ANON)
			snprintf(ctx->note, sizeof(ctx->note), "%.0f%% of the pages read from the swap device",
				 100.0 * (double)(bench_vmstat("pswpin") - swapped_in) / (double)ctx->pages);
	} else if (!err) {
		out->value = (double)ctx->pages * 1e9 / (double)(bench_now_ns() - start);
	}
	bench_area_unmap(&area);
	return err;
}

const struct bench_case bench_evict = {
	.name = "EVICT and swap-in",
	.what = "dirty anonymous pages written out (EVICT to a swap file on tmpfs; MADV_PAGEOUT to swap on a RAM disk), then read back",
	.setup = evict_setup,
	.teardown = evict_teardown,
	.variants = {
		{ "evict", "toymap EVICT", BENCH_PAGES_PER_S, measure_swap, BENCH_DEVICE_SHARED | PAGEOUT },
		{ "pageout", "anonymous MADV_PAGEOUT", BENCH_PAGES_PER_S, measure_swap, BENCH_ANON | PAGEOUT },
		{ "swap-in", "toymap swap-in", BENCH_PAGES_PER_S, measure_swap, BENCH_DEVICE_SHARED },
		{ "anon-swap-in", "anonymous swap-in", BENCH_PAGES_PER_S, measure_swap, BENCH_ANON },
	},
	.comparisons = {
		{ "evict", "pageout" },
		{ "swap-in", "anon-swap-in" },
	},
};

/* Object 0 empty, and max_pages room for all of the space (MAP_POPULATE). */
static int room_setup(struct bench_ctx *ctx)
{
	char pages[32];
	int err = bench_reset_object(ctx, 0);

	if (err)
		return err;
	snprintf(pages, sizeof(pages), "%llu",
		 (unsigned long long)(ctx->space_size / ctx->page + ctx->pages * 4));
	return bench_param_save_set(ctx, "max_pages", pages);
}

static void room_teardown(struct bench_ctx *ctx)
{
	bench_reset_object(ctx, 0);
	bench_param_restore(ctx, "max_pages");
	prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
}

/* Why there is no memory cgroup, for the guest memory variants. */
static char memcg_why[BENCH_NOTE_LEN];

/* The space case: the same, and this process in a memory cgroup of its own. */
static int space_setup(struct bench_ctx *ctx)
{
	int err = room_setup(ctx);

	memcg_why[0] = '\0';
	if (!err)
		err = bench_memcg_enter(ctx);
	if (err == BENCH_UNAVAILABLE)
		snprintf(memcg_why, sizeof(memcg_why), "%s", ctx->why);
	return err < 0 ? err : 0;
}

static void space_teardown(struct bench_ctx *ctx)
{
	room_teardown(ctx);
	bench_memcg_leave();
}

/* MiB of the pages bench_touch() touches in the space, 1 in SPACE_STRIDE. */
static int measure_touched(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	size_t pages = ctx->space_size / ctx->page;

	(void)arg;
	out->value = (double)((pages + SPACE_STRIDE - 1) / SPACE_STRIDE * ctx->page) / MIB;
	out->fault_calls = -1;
	return 0;
}

/*
 * Map the whole space, touch 1 page in 100 unless UNTOUCHED: MiB the module
 * gained, or MiB the memory cgroup gained.
 */
static int measure_space(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	enum bench_kind kind = arg & MODULE_BYTES ? BENCH_DEVICE_SHARED : (enum bench_kind)(arg >> 8);
	size_t pages = ctx->space_size / ctx->page;
	long long module = bench_module_pages(ctx), memory = bench_memcg_current();
	struct bench_area area;
	int err;

	if (arg & LARGE_FOLIOS) {
		kind = BENCH_DEVICE_HUGE;
		err = bench_large_folios_on(ctx);
		if (err)
			return err;
	}
	if (!(arg & MODULE_BYTES) && memcg_why[0])
		return bench_unavailable(ctx, "%s", memcg_why);
	if (module < 0)
		return bench_fail(ctx, (int)-module, "TOYMAP_IOC_INFO");
	if (!(arg & MODULE_BYTES) && memory < 0)
		return bench_fail(ctx, (int)-memory, "memory.current of the cgroup");
	err = bench_area_map(ctx, &area, kind, 0, 0, pages, -1, true, 0);
	if (err) {
		if (arg & LARGE_FOLIOS)
			bench_param_restore(ctx, "large_folios");
		return err;
	}
	if (!(arg & UNTOUCHED))
		bench_touch(ctx, area.addr, pages, SPACE_STRIDE, true);
	if (arg & LARGE_FOLIOS) {
		err = bench_param_restore(ctx, "large_folios");
		if (err) {
			bench_area_unmap(&area);
			return err;
		}
	}
	if (arg & MODULE_BYTES)
		out->value = (double)(bench_module_pages(ctx) - module) * (double)ctx->page / MIB;
	else
		out->value = (double)(bench_memcg_current() - memory) / MIB;
	out->fault_calls = -1;
	bench_area_unmap(&area);
	return bench_kind_is_device(kind) ? bench_reset_object(ctx, 0) : 0;
}

#define GUEST(kind)	((long)(kind) << 8)

const struct bench_case bench_space = {
	.name = "space",
	.what = "a large object (1 GiB) with 1 page in 100 written: what the module and the guest hold",
	.setup = space_setup,
	.teardown = space_teardown,
	.variants = {
		{ "touched", "bytes touched", BENCH_BYTES, measure_touched, 0 },
		{ "module", "toymap: module pages", BENCH_BYTES, measure_space, MODULE_BYTES },
		{ "untouched", "toymap untouched: module pages", BENCH_BYTES, measure_space,
		  MODULE_BYTES | UNTOUCHED },
		{ "module-large", "toymap large_folios=1, MADV_HUGEPAGE: module pages", BENCH_BYTES,
		  measure_space, MODULE_BYTES | LARGE_FOLIOS },
		{ "guest", "toymap: guest memory (cgroup)", BENCH_BYTES, measure_space,
		  GUEST(BENCH_DEVICE_SHARED) },
		{ "anon-guest", "anonymous: guest memory (cgroup)", BENCH_BYTES, measure_space,
		  GUEST(BENCH_ANON) },
	},
	.comparisons = {
		{ "module", "touched", '<', 1.01 },
		{ "untouched", "touched", '<', 0 },
		{ "module-large", "touched" },
		{ "guest", "touched" },
		{ "anon-guest", "touched" },
	},
};

/*
 * ns per page of mmap(MAP_POPULATE) of the whole space, and (out->also) the
 * MiB it left: the module's pages, or the memory cgroup's for anonymous
 * memory (THP off for the process: MADV_NOHUGEPAGE would come too late).
 */
static int measure_populate(struct bench_ctx *ctx, long arg, struct bench_sample *out)
{
	bool device = bench_kind_is_device(arg);
	size_t pages = ctx->space_size / ctx->page;
	long long before = device ? bench_module_pages(ctx) : bench_memcg_current(), after;
	double faults = device ? bench_fault_calls(ctx, 0) : -1;
	struct bench_area area;
	uint64_t start;
	int err;

	if (!device && memcg_why[0])
		return bench_unavailable(ctx, "%s", memcg_why);
	if (before < 0)
		return bench_fail(ctx, (int)-before, "counting memory");
	if (!device && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		return bench_fail(ctx, errno, "prctl(PR_SET_THP_DISABLE)");
	start = bench_now_ns();
	err = bench_area_map(ctx, &area, (enum bench_kind)arg, 0, 0, pages, -1, false, MAP_POPULATE);
	out->value = (double)(bench_now_ns() - start) / (double)pages;
	after = device ? bench_module_pages(ctx) * (long long)ctx->page : bench_memcg_current();
	out->also = (double)(after - (device ? before * (long long)ctx->page : before)) / MIB;
	out->fault_calls = device ? (bench_fault_calls(ctx, 0) - faults) / (double)pages : -1;
	prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
	if (err)
		return err;
	bench_area_unmap(&area);
	return device ? bench_reset_object(ctx, 0) : 0;
}

const struct bench_case bench_populate = {
	.name = "MAP_POPULATE",
	.what = "mmap(MAP_POPULATE) of the whole large object: every page made at once, time and memory",
	.setup = space_setup,
	.teardown = space_teardown,
	.variants = {
		{ "toymap", "toymap MAP_SHARED", BENCH_NS_PER_PAGE, measure_populate, BENCH_DEVICE_SHARED,
		  "toymap-mem" },
		{ "anon", "anonymous (THP off)", BENCH_NS_PER_PAGE, measure_populate, BENCH_ANON, "anon-mem" },
		{ "toymap-mem", "toymap: module pages", BENCH_BYTES },
		{ "anon-mem", "anonymous: guest memory (cgroup)", BENCH_BYTES },
		{ "touched", "bytes touched (1 in 100)", BENCH_BYTES, measure_touched },
	},
	.comparisons = {
		{ "toymap", "anon" },
		{ "toymap-mem", "touched" },
		{ "anon-mem", "touched" },
	},
};
