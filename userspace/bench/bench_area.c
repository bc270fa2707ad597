// SPDX-License-Identifier: GPL-2.0
/*
 * bench_area.c - the memory under test: a mapping of a toymap object, of a
 * memfd, or anonymous memory, and the touch loop that every case times.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "libtoymap.h"

#define THP_SIZE	(2UL << 20)

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int bench_fail(struct bench_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ctx->why, sizeof(ctx->why), fmt, ap);
	va_end(ap);
	if (err && n >= 0 && (size_t)n < sizeof(ctx->why))
		snprintf(ctx->why + n, sizeof(ctx->why) - n, ": %s", strerror(err));
	return err ? -err : -EIO;
}

int bench_unavailable(struct bench_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->why, sizeof(ctx->why), fmt, ap);
	va_end(ap);
	return BENCH_UNAVAILABLE;
}

bool bench_kind_is_device(enum bench_kind kind)
{
	return kind == BENCH_DEVICE_SHARED || kind == BENCH_DEVICE_PRIVATE ||
	       kind == BENCH_DEVICE_HUGE;
}

int bench_memfd(size_t len)
{
	int fd = memfd_create("toymap-bench", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int bench_reset_object(struct bench_ctx *ctx, int obj)
{
	int err = toymap_discard(ctx->dev[obj], 0, ctx->object_size);

	return err ? bench_fail(ctx, -err, "TOYMAP_IOC_DISCARD of /dev/toymap%d", obj) : 0;
}

double bench_fault_calls(const struct bench_ctx *ctx, int obj)
{
	struct toymap_info info;

	if (toymap_get_info(ctx->dev[obj], &info))
		return -1;
	return (double)info.faults;
}

long long bench_module_pages(const struct bench_ctx *ctx)
{
	struct toymap_info info;
	int err = toymap_get_info(ctx->dev[0], &info);

	return err ? err : (long long)info.module_pages;
}

/* Anonymous memory, THP off; or 2 MiB aligned inside a larger mapping, THP on. */
static int map_anon(struct bench_ctx *ctx, struct bench_area *area, int extra_flags)
{
	bool thp = area->kind == BENCH_ANON_THP;
	uintptr_t start;

	area->map_len = area->len + (thp ? THP_SIZE : 0);
	area->map = mmap(NULL, area->map_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
	if (area->map == MAP_FAILED)
		return bench_fail(ctx, errno, "mmap of %zu anonymous bytes", area->map_len);
	start = ((uintptr_t)area->map + THP_SIZE - 1) & ~(THP_SIZE - 1);
	area->addr = thp ? (char *)start : area->map;
	if (madvise(area->addr, area->len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) && thp)
		return bench_unavailable(ctx, "madvise(MADV_HUGEPAGE): %s", strerror(errno));
	return 0;
}

/*
 * The device at a 2 MiB aligned address (inside a larger reservation),
 * advised MADV_HUGEPAGE: with large_folios=1 core mm maps each 2 MiB folio
 * of the object with one PMD, as it maps anonymous THP.
 */
static int map_device_huge(struct bench_ctx *ctx, struct bench_area *area, int fd, off_t offset,
			   int flags)
{
	uintptr_t start;

	area->map_len = area->len + THP_SIZE;
	area->map = mmap(NULL, area->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area->map == MAP_FAILED)
		return bench_fail(ctx, errno, "mmap of %zu bytes to align in", area->map_len);
	start = ((uintptr_t)area->map + THP_SIZE - 1) & ~(THP_SIZE - 1);
	area->addr = mmap((void *)start, area->len, PROT_READ | PROT_WRITE, flags | MAP_FIXED,
			  fd, offset);
	if (area->addr == MAP_FAILED)
		return bench_fail(ctx, errno, "mmap of %zu bytes of the device, 2 MiB aligned",
				  area->len);
	if (madvise(area->addr, area->len, MADV_HUGEPAGE))
		return bench_unavailable(ctx, "madvise(MADV_HUGEPAGE) of the device: %s",
					 strerror(errno));
	return 0;
}

int bench_area_map(struct bench_ctx *ctx, struct bench_area *area, enum bench_kind kind,
		   int obj, size_t first, size_t pages, int memfd, bool fresh, int extra_flags)
{
	bool shared = kind == BENCH_DEVICE_SHARED || kind == BENCH_MEMFD_SHARED ||
		      kind == BENCH_DEVICE_HUGE;
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | extra_flags;
	off_t offset = (off_t)(first * ctx->page);
	int fd, err;

	*area = (struct bench_area){ .kind = kind, .len = pages * ctx->page, .fd = -1 };
	if (kind == BENCH_ANON || kind == BENCH_ANON_THP) {
		err = map_anon(ctx, area, extra_flags);
		if (err)
			bench_area_unmap(area);
		return err;
	}
	if (bench_kind_is_device(kind)) {
		fd = ctx->dev[obj];
		if (fresh) {
			err = toymap_discard(fd, (uint64_t)offset, area->len);
			if (err)
				return bench_fail(ctx, -err, "TOYMAP_IOC_DISCARD");
		}
	} else if (memfd >= 0) {
		fd = memfd;
	} else {
		fd = bench_memfd(offset + area->len);
		if (fd < 0)
			return bench_fail(ctx, -fd, "memfd_create");
		area->fd = fd;
	}
	if (kind == BENCH_DEVICE_HUGE) {
		err = map_device_huge(ctx, area, fd, offset, flags);
		if (err)
			bench_area_unmap(area);
		return err;
	}
	area->map_len = area->len;
	area->map = mmap(NULL, area->len, PROT_READ | PROT_WRITE, flags, fd, offset);
	if (area->map == MAP_FAILED) {
		err = bench_fail(ctx, errno, "mmap of %zu bytes of %s", area->len,
				 bench_kind_is_device(kind) ? "the device" : "a memfd");
		area->map = NULL;
		bench_area_unmap(area);
		return err;
	}
	area->addr = area->map;
	return 0;
}

void bench_area_unmap(struct bench_area *area)
{
	if (area->map && area->map != MAP_FAILED)
		munmap(area->map, area->map_len);
	if (area->fd >= 0)
		close(area->fd);
	area->map = NULL;
	area->fd = -1;
}

/*
 * The loop every case times: one access a page, through a volatile pointer
 * so that the compiler keeps each one.
 */
void bench_touch(const struct bench_ctx *ctx, char *addr, size_t pages, size_t stride, bool write)
{
	volatile char *p = addr;
	size_t step = stride * ctx->page, end = pages * ctx->page, off;
	char sum = 0;

	if (write) {
		for (off = 0; off < end; off += step)
			p[off] = 1;
		return;
	}
	for (off = 0; off < end; off += step)
		sum += p[off];
	__asm__ volatile("" : : "r"(sum));
}

void bench_timed_touch(const struct bench_ctx *ctx, const struct bench_area *area, int obj,
		       bool write, struct bench_sample *out)
{
	size_t pages = area->len / ctx->page;
	bool device = bench_kind_is_device(area->kind);
	double faults = device ? bench_fault_calls(ctx, obj) : -1;
	uint64_t start = bench_now_ns();

	bench_touch(ctx, area->addr, pages, 1, write);
	out->value = (double)(bench_now_ns() - start) / (double)pages;
	out->fault_calls = device ? (bench_fault_calls(ctx, obj) - faults) / (double)pages : -1;
}
