/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The object under test, as the toymap selftest programs share it: the
 * fixture helpers that open /dev/toymapN clean and restore it, and the
 * assertions on its counters, pagemap entries and frames.  Unlike
 * test_util.h this uses the kselftest harness (ASSERT_*, SKIP, TH_LOG): call
 * it from a test or fixture, never from a forked child.  Include it after
 * _GNU_SOURCE and the system headers, instead of kselftest_harness.h.
 */
#ifndef TOYMAP_FIXTURE_H
#define TOYMAP_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* 6.1's harness has a signal handler with an unused parameter: -Wextra. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#include "libtoymap.h"
#include "test_util.h"

#define OBJECT_INDEX		0	/* the tests use /dev/toymap0 */
#define MIN_OBJECT_PAGES	256	/* the largest test maps this many */
#define LONG_TIMEOUT		120	/* seconds, for tests slow under TCG */
#define RW			(PROT_READ | PROT_WRITE)
#define MAX_PAGE_SIZE		(64 << 10)	/* for page-sized buffers */

#define PARAM_TRACE		"trace"
#define PARAM_FAULT_AROUND	"fault_around"
#define PARAM_MAX_PAGES		"max_pages"
#define PARAM_LARGE_FOLIOS	"large_folios"

/* The writable module parameters a test may change: saved and restored. */
static const char *const writable_params[] = {
	PARAM_TRACE, PARAM_FAULT_AROUND, PARAM_MAX_PAGES, PARAM_LARGE_FOLIOS,
};

/* A trace line of object N for process P starts like this (module/: keep in step). */
#define TRACE_LINE_PREFIX_FMT	"toymap%d: pid %d "
#define TRACE_ZERO_FILL		"zero-fill"
#define TRACE_DISCARD		"discard"

#define NO_PFN_REASON \
	"frame identity not compared: /proc/self/pagemap shows no PFNs (needs CAP_SYS_ADMIN)"

static size_t pagesize;
/* A device for LOOKUP's frame identities in PTE() (open_clean_object sets it). */
static int frame_fd = -1;

/**
 * struct object - the object under test and what the fixture saved
 * @fd:			/dev/toymapN open read-write (-1 once a test closed it)
 * @size:		bytes in the object
 * @frames_unchecked:	a frame comparison was left out for want of PFNs;
 *			the test ends with a SKIP that says so
 * @saved_params:	writable_params[] before the test, restored after
 */
struct object {
	int fd;
	uint64_t size;
	bool frames_unchecked;
	char saved_params[ARRAY_SIZE(writable_params)][32];
};

/*
 * SKIP() in a fixture setup: 6.1's harness would run the test body after a
 * setup that skipped, so end the test process here with the harness's skip
 * status (exit code 255 in 6.1; the reason is already in shared memory).
 */
#define SETUP_SKIP(fmt, ...)	SKIP(_exit(255), "%s: " fmt, _metadata->name, ##__VA_ARGS__)

/* SKIP() from a test body; 6.1's harness prints no test name on a skip line. */
#define SKIP_TEST(fmt, ...)	SKIP(return, "%s: " fmt, _metadata->name, ##__VA_ARGS__)

/* The object's counters; the test fails when the ioctl does. */
#define INFO(obj) ({								\
	struct toymap_info __info;						\
	int __ret = toymap_get_info((obj)->fd, &__info);			\
	ASSERT_EQ(0, __ret) TH_LOG("TOYMAP_IOC_INFO: %s", strerror(-__ret));	\
	__info;									\
})

/* How much a counter grew between two INFO() snapshots. */
#define DELTA(after, before, field)	((long long)((after).field - (before).field))
/* A "now" value of an INFO() snapshot, signed for comparisons. */
#define NOW(info, field)		((long long)(info).field)

/*
 * What pagemap says about @addr, with LOOKUP's frame identity; the test
 * fails when pagemap cannot be read.
 */
#define PTE(addr) ({								\
	struct toymap_pte __pte;						\
	int __ret = toymap_pagemap_frame(frame_fd, (addr), &__pte);		\
	ASSERT_EQ(0, __ret) TH_LOG("pagemap: %s", strerror(-__ret));		\
	__pte;									\
})

/* mmap() @pages pages of the object from page @pgoff on, or fail the test. */
#define MAP_OBJECT(obj, pages, pgoff, prot, flags) ({				\
	char *__mem = map_object((obj), (pages), (pgoff), (prot), (flags));	\
	ASSERT_NE(MAP_FAILED, __mem) TH_LOG("mmap of %zu pages at page %zu: %s",	\
		(size_t)(pages), (size_t)(pgoff), strerror(errno));		\
	__mem;									\
})

/* LOOKUP of @addr through @fd; the test fails when the ioctl does. */
#define LOOKUP(fd, addr) ({							\
	struct toymap_lookup __res;						\
	int __ret = toymap_lookup((fd), (addr), &__res);			\
	ASSERT_EQ(0, __ret) TH_LOG("LOOKUP of %p: %s", (void *)(addr), strerror(-__ret)); \
	__res;									\
})

/* The TOYMAP_BACKING_* bits of an INFO() snapshot. */
#define BACKING(info)		((int)(info).backing_flags)

/* EVICT @count pages from page @first of @obj; the test fails when the ioctl does. */
#define EVICT(obj, first, count) ({						\
	struct toymap_evict __ev;						\
	int __ret = toymap_evict((obj)->fd, (uint64_t)(first) * pagesize,	\
				 (uint64_t)(count) * pagesize, &__ev);		\
	ASSERT_EQ(0, __ret) TH_LOG("EVICT of pages %zu+%zu: %s", (size_t)(first),	\
				   (size_t)(count), strerror(-__ret));		\
	__ev;									\
})

/* What EVICT reported, against what the test expects. */
#define EXPECT_EVICTED(ev, drop, wb, swp, keep) do {				\
	EXPECT_EQ(drop, (long long)(ev).dropped) TH_LOG("EVICT: pages dropped");	\
	EXPECT_EQ(wb, (long long)(ev).written_back) TH_LOG("EVICT: pages written back"); \
	EXPECT_EQ(swp, (long long)(ev).swapped_out) TH_LOG("EVICT: pages swapped out"); \
	EXPECT_EQ(keep, (long long)(ev).kept) TH_LOG("EVICT: dirty pages kept");	\
} while (0)

/*
 * Two present PTEs map the same frame (or, with @same false, different
 * frames): by PFN where pagemap shows it, else by LOOKUP's identity.  With
 * neither the comparison is left out and remembered, and the test ends with
 * SKIP_IF_FRAMES_UNCHECKED() after its other checks passed.
 */
#define ASSERT_FRAMES(obj, pte_a, pte_b, same) do {				\
	struct toymap_pte __a = (pte_a), __b = (pte_b);				\
	ASSERT_TRUE(__a.present);						\
	ASSERT_TRUE(__b.present);						\
	if (__a.pfn_known && __b.pfn_known) {					\
		ASSERT_EQ(same, __a.pfn == __b.pfn)				\
			TH_LOG("pfn %#llx vs %#llx: expected %s frame",		\
			       (unsigned long long)__a.pfn,			\
			       (unsigned long long)__b.pfn,			\
			       (same) ? "the same" : "a different");		\
	} else if (__a.frame && __b.frame) {					\
		ASSERT_EQ(same, __a.frame == __b.frame)				\
			TH_LOG("frame identity %#llx vs %#llx: expected %s frame", \
			       (unsigned long long)__a.frame,			\
			       (unsigned long long)__b.frame,			\
			       (same) ? "the same" : "a different");		\
	} else {								\
		(obj)->frames_unchecked = true;					\
	}									\
} while (0)
#define ASSERT_SAME_FRAME(obj, a, b)	ASSERT_FRAMES(obj, a, b, true)
#define ASSERT_OTHER_FRAME(obj, a, b)	ASSERT_FRAMES(obj, a, b, false)

#define SKIP_IF_FRAMES_UNCHECKED(obj) do {					\
	if ((obj)->frames_unchecked && _metadata->passed)			\
		SKIP_TEST(NO_PFN_REASON);					\
} while (0)

#define SKIP_UNLESS_ROOT(what) do {						\
	if (geteuid() != 0)							\
		SKIP_TEST("%s needs root", (what));				\
} while (0)

/*
 * For a test that reads the trace=1 lines: root only (it sets trace), and
 * a skip when /dev/kmsg cannot be read.  @fd is set to the kernel log from
 * now on (kmsg_read_new()).
 */
#define KMSG_OPEN_OR_SKIP(fd) do {						\
	SKIP_UNLESS_ROOT("setting the trace parameter");			\
	(fd) = kmsg_open();							\
	if ((fd) < 0)								\
		SKIP_TEST("cannot read /dev/kmsg: %s", strerror(-(fd)));	\
} while (0)

#define SET_PARAM(name, value) do {						\
	int __ret = toymap_param_set((name), (value));				\
	ASSERT_EQ(0, __ret) TH_LOG("setting %s=%s: %s", (name), (value),	\
				   strerror(-__ret));				\
} while (0)

#define ASSERT_CHILD_OK(pid) do {						\
	int __code = child_wait(pid);						\
	ASSERT_EQ(0, __code) TH_LOG("child %d: %s %d", (int)(pid),		\
		__code > 128 ? "killed by signal" : "exit code",		\
		__code > 128 ? __code - 128 : __code);				\
} while (0)

static inline char *map_object(const struct object *obj, size_t pages, size_t pgoff, int prot,
			int flags)
{
	return mmap(NULL, pages * pagesize, prot, flags, obj->fd, (off_t)(pgoff * pagesize));
}

static inline char *page_of(char *mem, size_t index)
{
	return mem + index * pagesize;
}

static inline char read_byte(const char *addr)
{
	return *(const volatile char *)addr;
}

static inline void write_byte(char *addr, char value)
{
	*(volatile char *)addr = value;
}

static inline void save_param(const char *name, char *buf, size_t len)
{
	if (toymap_param_get(name, buf, len) < 0) {
		buf[0] = '\0';
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
}

static inline void restore_param(const char *name, const char *value)
{
	if (value[0])
		toymap_param_set(name, value);
}

/*
 * Empty @obj, /dev/toymap@index open read-write with its size known: all of
 * it discarded, no file attached, no swap file.
 */
static inline void clean_object(struct __test_metadata *_metadata, struct object *obj,
				unsigned int index)
{
	struct toymap_info info;
	int ret;

	ret = toymap_discard(obj->fd, 0, obj->size);
	ASSERT_EQ(0, ret) TH_LOG("toymap%u: discarding the whole object: %s", index, strerror(-ret));
	ret = toymap_detach(obj->fd);
	ASSERT_TRUE(ret == 0 || ret == -EINVAL) TH_LOG("toymap%u: detaching a file left attached: %s",
						     index, strerror(-ret));
	ret = toymap_set_swap(obj->fd, -1);
	ASSERT_EQ(0, ret) TH_LOG("toymap%u: dropping a swap file left set: %s", index, strerror(-ret));
	info = INFO(obj);
	ASSERT_EQ(0, NOW(info, resident_pages)) TH_LOG("toymap%u: pages left after discarding all",
						       index);
	ASSERT_EQ(0U, info.backing_flags) TH_LOG("toymap%u is not anonymous", index);
}

/* Open /dev/toymap@index read-write as @dev, emptied as clean_object() does. */
static inline void open_device(struct __test_metadata *_metadata, unsigned int index,
			       struct object *dev)
{
	struct toymap_info info;

	dev->fd = toymap_open(index, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev->fd) TH_LOG("open /dev/toymap%u: %s", index, strerror(-dev->fd));
	info = INFO(dev);
	ASSERT_EQ(index, info.index);
	dev->size = info.object_size;
	ASSERT_LE(MIN_OBJECT_PAGES * pagesize, dev->size) TH_LOG("toymap%u is too small", index);
	clean_object(_metadata, dev, index);
}

/*
 * Open the object, check it is big enough, and make it anonymous and empty:
 * discard all of it (dirty pages and swap copies a failed test left go
 * without being written anywhere), detach its file, drop its swap file.
 */
static inline void open_clean_object(struct __test_metadata *_metadata, struct object *obj)
{
	struct toymap_info info;

	pagesize = toymap_page_size();
	obj->fd = -1;
	if (!toymap_is_loaded())
		SETUP_SKIP("module toymap is not loaded (run selftests/run.sh, or toymapctl load)");
	obj->fd = toymap_open(OBJECT_INDEX, O_RDWR | O_CLOEXEC);
	if (obj->fd == -ENOENT)
		SETUP_SKIP("/dev/toymap%d does not exist", OBJECT_INDEX);
	if (obj->fd == -EACCES || obj->fd == -EPERM)
		SETUP_SKIP("no access to /dev/toymap%d: run as root", OBJECT_INDEX);
	ASSERT_LE(0, obj->fd) TH_LOG("open /dev/toymap%d: %s", OBJECT_INDEX, strerror(-obj->fd));

	info = INFO(obj);
	obj->size = info.object_size;
	if (obj->size < MIN_OBJECT_PAGES * pagesize)
		SETUP_SKIP("object of %llu bytes: the tests need %zu (module parameter size)",
			   (unsigned long long)obj->size, MIN_OBJECT_PAGES * pagesize);

	clean_object(_metadata, obj, OBJECT_INDEX);
	frame_fd = obj->fd;
	for (size_t i = 0; i < ARRAY_SIZE(writable_params); i++)
		save_param(writable_params[i], obj->saved_params[i], sizeof(obj->saved_params[i]));
}

/*
 * Best effort, for a teardown: @obj empty and anonymous again, its backing
 * and swap files released, unless a mapping the test left makes DETACH
 * refuse (run.sh detaches every object after a program).
 */
static inline void release_object(struct object *obj)
{
	if (obj->fd < 0)
		return;
	toymap_discard(obj->fd, 0, obj->size);
	toymap_detach(obj->fd);
	toymap_set_swap(obj->fd, -1);
}

static inline void close_object(struct object *obj)
{
	for (size_t i = 0; i < ARRAY_SIZE(writable_params); i++)
		restore_param(writable_params[i], obj->saved_params[i]);
	release_object(obj);
	if (obj->fd >= 0)
		close(obj->fd);
	obj->fd = -1;
}

static inline const char *errno_name(int err)
{
	return err ? strerrorname_np(err) ?: "unknown errno" : "success";
}

/*
 * SET_SWAP of @file, and of the same file opened again, fails with -@err
 * (@what names the file in the messages).
 */
static inline void expect_swap_refused(struct __test_metadata *_metadata,
				       const struct object *obj, int file, int err,
				       const char *what)
{
	int again, ret;

	ret = toymap_set_swap(obj->fd, file);
	EXPECT_EQ(-err, ret) TH_LOG("SET_SWAP of %s: %s", what, errno_name(-ret));
	again = reopen_fd(file, O_RDWR);
	ASSERT_LE(0, again) TH_LOG("reopening %s: %s", what, strerror(-again));
	ret = toymap_set_swap(obj->fd, again);
	EXPECT_EQ(-err, ret) TH_LOG("SET_SWAP of %s opened again: %s", what, errno_name(-ret));
	close(again);
}

#endif /* TOYMAP_FIXTURE_H */
