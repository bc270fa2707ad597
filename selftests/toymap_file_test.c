// SPDX-License-Identifier: GPL-2.0
/*
 * toymap selftests of file-backed objects: a section of a regular file as
 * the object's initial bytes, write-back of shared writes, the swap file and
 * eviction, and the kernel's reclaim of clean pages, as a process observes
 * them.
 *
 * Each test starts from an anonymous, empty object (the fixture discards
 * it, detaches any file and drops any swap file) and makes its own backing
 * and swap files: unlinked temporary files in $TMPDIR (a tmpfs in the test
 * guest).  The test keeps its own copy of what the file and the object
 * should hold, and compares every byte: the file through pread(), the
 * object through a mapping.  Counters are checked as before/after deltas.
 * Children are synchronised with their parent through pipes, never by
 * sleeping; the harness's per-test alarm kills a test that hangs.
 *
 * Needs the module loaded and root: selftests/run.sh does both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toymap_fixture.h"

#define FILE_SEED	1	/* the pattern a backing file starts with */
#define WRITE_SEED	2	/* the pattern tests write through a mapping */
#define REWRITE_SEED	3	/* a second pattern, for a second write */

/* What trace=1 logs (module/: keep in step). */
#define TRACE_FILE_READ		"file-read"
#define TRACE_SWAP_IN		"swap-in"
#define TRACE_READ_FAILED	"sigbus, the file read failed"
#define TRACE_WRITE_BACK	"write-back to the file"
#define TRACE_SWAP_OUT		"swap-out to the swap file"
#define TRACE_EVICT		"evict from pgoff"

#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define MIN(a, b)		((a) < (b) ? (a) : (b))

/**
 * struct backed - the object, its backing and swap files, and what they hold
 * @obj:	the object under test
 * @file:	the backing file, O_RDWR; -1 for an anonymous object
 * @file_size:	bytes in @file
 * @file_bytes:	what @file should hold, @file_size bytes
 * @swap:	the swap file, O_RDWR, or -1
 * @offset:	the section attached: its byte offset in @file ...
 * @length:	... and its length (0: anonymous)
 * @pages:	pages of the object, from page 0, followed in @expect
 * @expect:	what those pages should hold
 */
struct backed {
	struct object obj;
	int file;
	size_t file_size;
	unsigned char *file_bytes;
	int swap;
	uint64_t offset;
	uint64_t length;
	size_t pages;
	unsigned char *expect;
};

static void backed_setup(struct __test_metadata *_metadata, struct backed *b)
{
	b->file = -1;
	b->swap = -1;
	open_clean_object(_metadata, &b->obj);
}

static void backed_teardown(struct backed *b)
{
	close_object(&b->obj);
	if (b->file >= 0)
		close(b->file);
	if (b->swap >= 0)
		close(b->swap);
	free(b->file_bytes);
	free(b->expect);
}

/* Make the backing file: @size bytes of the FILE_SEED pattern. */
static void backed_file(struct __test_metadata *_metadata, struct backed *b, size_t size)
{
	b->file = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, b->file) TH_LOG("a temporary file: %s", strerror(-b->file));
	b->file_size = size;
	b->file_bytes = malloc(size + 1);
	ASSERT_NE(NULL, b->file_bytes);
	fill_pattern(b->file_bytes, size, 0, FILE_SEED);
	ASSERT_EQ(0, toymap_pwrite_full(b->file, b->file_bytes, size, 0))
		TH_LOG("writing the file: %s", strerror(errno));
}

/* Make a swap file and set it. */
static void backed_swap(struct __test_metadata *_metadata, struct backed *b)
{
	int ret;

	b->swap = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, b->swap) TH_LOG("a temporary file: %s", strerror(-b->swap));
	ret = toymap_set_swap(b->obj.fd, b->swap);
	ASSERT_EQ(0, ret) TH_LOG("SET_SWAP: %s", strerror(-ret));
}

/*
 * Recompute pages [@first, @first + @count) of b->expect from the file as
 * the object reads it at a first touch: the section's bytes while inside
 * the section and the file, zero after.
 */
static void backed_reload(struct backed *b, size_t first, size_t count)
{
	for (size_t i = first * pagesize; i < (first + count) * pagesize; i++) {
		bool in_file = i < b->length && b->offset + i < b->file_size;

		b->expect[i] = in_file ? b->file_bytes[b->offset + i] : 0;
	}
}

/* Follow the first @pages pages of the object in b->expect, as yet untouched. */
static void backed_follow(struct __test_metadata *_metadata, struct backed *b, size_t pages)
{
	free(b->expect);
	b->pages = pages;
	b->expect = malloc(pages * pagesize);
	ASSERT_NE(NULL, b->expect);
	backed_reload(b, 0, pages);
}

/* Attach bytes [@offset, @offset + @length) of b->file; follow @pages pages. */
static void backed_attach(struct __test_metadata *_metadata, struct backed *b, uint64_t offset,
			  uint64_t length, size_t pages)
{
	int ret = toymap_attach(b->obj.fd, b->file, offset, length);

	ASSERT_EQ(0, ret) TH_LOG("ATTACH of bytes %llu+%llu: %s", (unsigned long long)offset,
				 (unsigned long long)length, strerror(-ret));
	b->offset = offset;
	b->length = length;
	backed_follow(_metadata, b, pages);
}

/*
 * Write the pattern @seed over pages [@first, @first + @count) of @mem, a
 * MAP_SHARED mapping of the object from page 0, and follow it in b->expect.
 */
static void backed_write(struct backed *b, char *mem, size_t first, size_t count,
			 unsigned int seed)
{
	size_t start = first * pagesize, len = count * pagesize;

	fill_pattern(b->expect + start, len, start, seed);
	memcpy(mem + start, b->expect + start, len);
}

/*
 * Pages [@first, @first + @count) were written back: the section's bytes of
 * them are in the file now (those of the section only, and only those the
 * file has: the tests never write past its end).
 */
static void backed_written_back(struct backed *b, size_t first, size_t count)
{
	for (size_t i = first * pagesize; i < (first + count) * pagesize && i < b->length; i++) {
		if (b->offset + i < b->file_size)
			b->file_bytes[b->offset + i] = b->expect[i];
	}
}

/* The file holds b->file_bytes, byte for byte. */
static void assert_file_holds(struct __test_metadata *_metadata, struct backed *b,
			      const char *when)
{
	unsigned char *now = malloc(b->file_size + 1);
	struct stat st;
	long diff;

	ASSERT_NE(NULL, now);
	ASSERT_EQ(0, fstat(b->file, &st));
	ASSERT_EQ((off_t)b->file_size, st.st_size) TH_LOG("%s: the file's size changed", when);
	ASSERT_EQ(0, toymap_pread_full(b->file, now, b->file_size, 0))
		TH_LOG("reading the file: %s", strerror(errno));
	diff = first_difference(b->file_bytes, now, b->file_size);
	free(now);
	ASSERT_EQ(-1, diff) TH_LOG("%s: file byte %ld is not what it should be (section %llu+%llu)",
				   when, diff, (unsigned long long)b->offset,
				   (unsigned long long)b->length);
}

/*
 * The first @count pages of @mem, a mapping of the object from page @pgoff,
 * hold what b->expect says.
 */
static void assert_object_holds(struct __test_metadata *_metadata, struct backed *b,
				const char *mem, size_t pgoff, size_t count, const char *when)
{
	for (size_t i = 0; i < count; i++) {
		const unsigned char *want = b->expect + (pgoff + i) * pagesize;
		const unsigned char *got = (const unsigned char *)mem + i * pagesize;
		long diff = first_difference(want, got, pagesize);

		ASSERT_EQ(-1, diff) TH_LOG("%s: page %zu, byte %ld: 0x%02x, expected 0x%02x",
					   when, pgoff + i, diff, diff < 0 ? 0 : got[diff],
					   diff < 0 ? 0 : want[diff]);
	}
}

/* No page of the first @count pages of @mem is mapped. */
static void assert_unmapped(struct __test_metadata *_metadata, char *mem, size_t count,
			    const char *when)
{
	for (size_t i = 0; i < count; i++) {
		EXPECT_FALSE(PTE(page_of(mem, i)).present) TH_LOG("%s: page %zu is mapped", when, i);
	}
}

/* ------------------------------------------------------------------------ */
/* The object's bytes are the file section's, whatever its shape.           */

FIXTURE(section)
{
	struct backed b;
};

/* The file, and the section attached: each a number of pages and bytes more. */
FIXTURE_VARIANT(section)
{
	size_t file_pages, file_bytes;
	size_t offset_pages, offset_bytes;
	size_t length_pages, length_bytes;
	int flags;		/* MAP_SHARED or MAP_PRIVATE */
};

/* Four pages and a partial fifth: the file, all of it. */
FIXTURE_VARIANT_ADD(section, partial_last_page_shared)
{
	.file_pages = 4, .file_bytes = 100, .length_pages = 4, .length_bytes = 100,
	.flags = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(section, partial_last_page_private)
{
	.file_pages = 4, .file_bytes = 100, .length_pages = 4, .length_bytes = 100,
	.flags = MAP_PRIVATE,
};

/* A section from byte 1000: every page of the object straddles two of the file. */
FIXTURE_VARIANT_ADD(section, unaligned_offset_shared)
{
	.file_pages = 8, .offset_bytes = 1000, .length_pages = 3, .length_bytes = 77,
	.flags = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(section, unaligned_offset_private)
{
	.file_pages = 8, .offset_bytes = 1000, .length_pages = 3, .length_bytes = 77,
	.flags = MAP_PRIVATE,
};

/* A section that runs 90 pages past the end of the file: zeros there. */
FIXTURE_VARIANT_ADD(section, longer_than_file_shared)
{
	.file_pages = 5, .file_bytes = 300, .offset_pages = 2, .offset_bytes = 5,
	.length_pages = 100, .flags = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(section, longer_than_file_private)
{
	.file_pages = 5, .file_bytes = 300, .offset_pages = 2, .offset_bytes = 5,
	.length_pages = 100, .flags = MAP_PRIVATE,
};

/* A section that ends inside the file: zeros after it, not the file's next bytes. */
FIXTURE_VARIANT_ADD(section, ends_inside_file_shared)
{
	.file_pages = 8, .offset_bytes = 123, .length_pages = 2, .length_bytes = 500,
	.flags = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(section, ends_inside_file_private)
{
	.file_pages = 8, .offset_bytes = 123, .length_pages = 2, .length_bytes = 500,
	.flags = MAP_PRIVATE,
};

FIXTURE_SETUP(section)
{
	backed_setup(_metadata, &self->b);
}

FIXTURE_TEARDOWN(section)
{
	backed_teardown(&self->b);
}

#define SECTION_MAP_PAGES	8

/*
 * Page k of the object holds the file's bytes offset + k * PAGE_SIZE while
 * they are inside the section and inside the file, and zeros after: byte
 * for byte, across page boundaries, through a mapping from page 0 and one
 * from page 1.  The file is read at the first touch of each page, not at
 * attach.
 */
TEST_F(section, contents_equal_the_section)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	const uint64_t offset = variant->offset_pages * pagesize + variant->offset_bytes;
	const uint64_t length = variant->length_pages * pagesize + variant->length_bytes;
	const size_t file_size = variant->file_pages * pagesize + variant->file_bytes;
	/* pages with a byte of the section; pages with a byte of the file */
	const size_t section_pages = MIN(DIV_ROUND_UP(length, pagesize), SECTION_MAP_PAGES);
	const size_t file_pages = MIN(DIV_ROUND_UP(MIN(length, file_size - offset), pagesize),
				      SECTION_MAP_PAGES);
	struct toymap_info before, attached, after;
	char *mem, *window;

	backed_file(_metadata, b, file_size);
	before = INFO(obj);
	backed_attach(_metadata, b, offset, length, SECTION_MAP_PAGES);
	attached = INFO(obj);
	EXPECT_EQ(TOYMAP_BACKING_FILE, BACKING(attached));
	EXPECT_EQ(offset, attached.backing_offset);
	EXPECT_EQ(length, attached.backing_length);
	EXPECT_EQ(0, DELTA(attached, before, file_reads)) TH_LOG("the file was read at attach");
	EXPECT_EQ(0, NOW(attached, resident_pages));

	mem = MAP_OBJECT(obj, SECTION_MAP_PAGES, 0, PROT_READ, variant->flags);
	assert_object_holds(_metadata, b, mem, 0, SECTION_MAP_PAGES, "a mapping from page 0");
	after = INFO(obj);
	EXPECT_EQ(SECTION_MAP_PAGES, NOW(after, resident_pages));
	EXPECT_EQ(SECTION_MAP_PAGES, DELTA(after, attached, file_reads) +
				     DELTA(after, attached, zero_fills));
	EXPECT_LE((long long)file_pages, DELTA(after, attached, file_reads))
		TH_LOG("a page with bytes of the file was not read from it");
	EXPECT_GE((long long)section_pages, DELTA(after, attached, file_reads))
		TH_LOG("a page outside the section was read from the file");

	window = MAP_OBJECT(obj, 2, 1, PROT_READ, variant->flags);
	assert_object_holds(_metadata, b, window, 1, 2, "a mapping from page 1");
	assert_file_holds(_metadata, b, "after reading");
}

/* ------------------------------------------------------------------------ */
/* Shared writes reach the file, within the section, at each way of writing */
/* back, and not before.                                                     */

enum write_back_how {
	BY_MSYNC,		/* msync(MS_SYNC) of the mapping */
	BY_FSYNC,		/* fsync() of the device */
	BY_EVICT,		/* TOYMAP_IOC_EVICT */
	BY_DETACH,		/* munmap, then TOYMAP_IOC_DETACH */
	BY_LAST_CLOSE,		/* munmap, then close the last fd */
	BY_LAST_MUNMAP,		/* close the fd, then munmap the last mapping */
};

FIXTURE(writeback)
{
	struct backed b;
};

FIXTURE_VARIANT(writeback)
{
	enum write_back_how how;
};

FIXTURE_VARIANT_ADD(writeback, msync)
{
	.how = BY_MSYNC,
};

FIXTURE_VARIANT_ADD(writeback, fsync)
{
	.how = BY_FSYNC,
};

FIXTURE_VARIANT_ADD(writeback, evict)
{
	.how = BY_EVICT,
};

FIXTURE_VARIANT_ADD(writeback, detach)
{
	.how = BY_DETACH,
};

FIXTURE_VARIANT_ADD(writeback, last_close)
{
	.how = BY_LAST_CLOSE,
};

FIXTURE_VARIANT_ADD(writeback, last_munmap)
{
	.how = BY_LAST_MUNMAP,
};

FIXTURE_SETUP(writeback)
{
	backed_setup(_metadata, &self->b);
}

FIXTURE_TEARDOWN(writeback)
{
	backed_teardown(&self->b);
}

/*
 * The layout: a file of 8 pages; a section from byte PAGE_SIZE/2 + 3 of
 * 3 pages and 100 bytes, so object pages 0-2 lie inside it, page 3 straddles
 * its end and pages 4-5 are past it (anonymous, like .bss).  Pages 0-4 are
 * written through MAP_SHARED, page 5 only read.
 */
#define WB_FILE_PAGES	8
#define WB_PAGES	6
#define WB_WRITTEN	5

/* After msync or fsync: a clean page is write-protected again. */
static void check_dirty_tracking_again(struct __test_metadata *_metadata, struct backed *b,
				       char *mem)
{
	struct object *obj = &b->obj;
	struct toymap_info before, written, synced;

	EXPECT_TRUE(PTE(mem).present) TH_LOG("write-back unmapped page 0");
	before = INFO(obj);
	backed_write(b, mem, 0, 1, REWRITE_SEED);
	written = INFO(obj);
	EXPECT_EQ(1, DELTA(written, before, page_mkwrites))
		TH_LOG("the write after write-back was not noticed: the page was not write-protected");
	ASSERT_EQ(0, fsync(obj->fd)) TH_LOG("fsync: %s", strerror(errno));
	synced = INFO(obj);
	/* Page 0 again, and page 3, dirty still: its anonymous bytes have no place to go. */
	EXPECT_EQ(2, DELTA(synced, written, write_backs));
	backed_written_back(b, 0, 1);
	assert_file_holds(_metadata, b, "after the second write and fsync");
}

/*
 * Shared writes reach the file only once written back (msync, fsync, evict,
 * detach, or the last close; munmap alone writes nothing), and only the
 * bytes of the section: not those before the offset, nor those past its
 * end in the straddling page and after.
 */
TEST_F(writeback, shared_writes_reach_the_section_only)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info base, before, written, after, reread;
	struct toymap_evict ev;
	char *mem;
	int ret;

	backed_file(_metadata, b, WB_FILE_PAGES * pagesize);
	base = INFO(obj);
	backed_attach(_metadata, b, pagesize / 2 + 3, 3 * pagesize + 100, WB_PAGES);
	mem = MAP_OBJECT(obj, WB_PAGES, 0, RW, MAP_SHARED);
	before = INFO(obj);
	backed_write(b, mem, 0, WB_WRITTEN, WRITE_SEED);
	read_byte(page_of(mem, WB_PAGES - 1));
	written = INFO(obj);
	EXPECT_EQ(WB_WRITTEN, DELTA(written, before, page_mkwrites));
	EXPECT_EQ(4, DELTA(written, before, file_reads));
	EXPECT_EQ(2, DELTA(written, before, zero_fills));
	assert_object_holds(_metadata, b, mem, 0, WB_PAGES, "after the writes");
	assert_file_holds(_metadata, b, "before any write-back");

	switch (variant->how) {
	case BY_MSYNC:
		ASSERT_EQ(0, msync(mem, WB_PAGES * pagesize, MS_SYNC)) TH_LOG("%s", strerror(errno));
		break;
	case BY_FSYNC:
		ASSERT_EQ(0, fsync(obj->fd)) TH_LOG("fsync: %s", strerror(errno));
		break;
	case BY_EVICT:
		ev = EVICT(&b->obj, 0, WB_PAGES);
		/* 0-2 written and dropped, 3 its section part written, 3-4 kept, 5 dropped */
		EXPECT_EVICTED(ev, 4, 4, 0, 2);
		break;
	case BY_DETACH:
		ASSERT_EQ(0, munmap(mem, WB_PAGES * pagesize));
		assert_file_holds(_metadata, b, "after munmap");
		ret = toymap_detach(obj->fd);
		ASSERT_EQ(0, ret) TH_LOG("DETACH: %s", strerror(-ret));
		break;
	case BY_LAST_CLOSE:
		ASSERT_EQ(0, munmap(mem, WB_PAGES * pagesize));
		assert_file_holds(_metadata, b, "after munmap, before the last close");
		ASSERT_EQ(0, close(obj->fd));
		obj->fd = -1;
		break;
	case BY_LAST_MUNMAP:
		ASSERT_EQ(0, close(obj->fd));
		obj->fd = -1;
		assert_file_holds(_metadata, b, "after close, the mapping still there");
		ASSERT_EQ(0, munmap(mem, WB_PAGES * pagesize));
		break;
	}
	backed_written_back(b, 0, WB_WRITTEN);
	assert_file_holds(_metadata, b, "after the write-back");
	if (obj->fd < 0) {
		obj->fd = toymap_open(OBJECT_INDEX, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, obj->fd) TH_LOG("opening again: %s", strerror(-obj->fd));
	}
	after = INFO(obj);
	EXPECT_EQ(4, DELTA(after, written, write_backs)) TH_LOG("pages 0-2, and page 3's section part");
	EXPECT_EQ(0, DELTA(after, written, swap_outs));

	switch (variant->how) {
	case BY_MSYNC:
	case BY_FSYNC:
		check_dirty_tracking_again(_metadata, b, mem);
		break;
	case BY_EVICT:
		assert_unmapped(_metadata, mem, WB_PAGES, "after EVICT");
		EXPECT_EQ(2, NOW(after, resident_pages)) TH_LOG("the dirty pages with anonymous bytes");
		EXPECT_EQ(4, DELTA(after, written, evictions));
		assert_object_holds(_metadata, b, mem, 0, WB_PAGES, "read back after EVICT");
		reread = INFO(obj);
		EXPECT_EQ(3, DELTA(reread, after, file_reads));
		EXPECT_EQ(1, DELTA(reread, after, zero_fills));
		break;
	case BY_DETACH:
		EXPECT_EQ(0, BACKING(after));
		EXPECT_EQ(0, NOW(after, resident_pages));
		EXPECT_EQ(NOW(base, module_pages), NOW(after, module_pages));
		b->length = 0;				/* anonymous again: zeros */
		backed_follow(_metadata, b, WB_PAGES);
		mem = MAP_OBJECT(obj, WB_PAGES, 0, PROT_READ, MAP_SHARED);
		assert_object_holds(_metadata, b, mem, 0, WB_PAGES, "after DETACH");
		break;
	case BY_LAST_CLOSE:
	case BY_LAST_MUNMAP:
		EXPECT_EQ(TOYMAP_BACKING_FILE, BACKING(after)) TH_LOG("the last close detached");
		mem = MAP_OBJECT(obj, WB_PAGES, 0, PROT_READ, MAP_SHARED);
		assert_object_holds(_metadata, b, mem, 0, WB_PAGES, "opened again");
		break;
	}
}

/* ------------------------------------------------------------------------ */
/* Eviction: every byte comes back, from the file, the swap file or as zero. */

FIXTURE(evict)
{
	struct backed b;
};

/*
 * The layout: 10 pages; page 0 read, pages 1-7 written, page 8 read, page 9
 * untouched.  With a file, a section of 5 pages and a half from byte 333
 * of a 16-page file: pages 0-4 lie inside it, page 5 straddles its end,
 * pages 6-9 are anonymous.
 */
FIXTURE_VARIANT(evict)
{
	bool file;
	bool swap;
	int dropped, written_back, swapped_out, kept;	/* what EVICT reports */
	int file_reads, swap_ins, zero_fills;		/* reading every page back */
};

/* 1-4 written back, 5 both, 6-7 swapped out; all dropped. */
FIXTURE_VARIANT_ADD(evict, file_and_swap)
{
	.file = true, .swap = true,
	.dropped = 9, .written_back = 5, .swapped_out = 3, .kept = 0,
	.file_reads = 5, .swap_ins = 3, .zero_fills = 2,
};

/* 1-4 written back, 5 its section part; 5-7 have nowhere to go and stay. */
FIXTURE_VARIANT_ADD(evict, file_no_swap)
{
	.file = true, .swap = false,
	.dropped = 6, .written_back = 5, .swapped_out = 0, .kept = 3,
	.file_reads = 5, .swap_ins = 0, .zero_fills = 2,
};

FIXTURE_VARIANT_ADD(evict, anonymous_and_swap)
{
	.file = false, .swap = true,
	.dropped = 9, .written_back = 0, .swapped_out = 7, .kept = 0,
	.file_reads = 0, .swap_ins = 7, .zero_fills = 3,
};

/* As Linux without swap: dirty anonymous pages cannot be evicted. */
FIXTURE_VARIANT_ADD(evict, anonymous_no_swap)
{
	.file = false, .swap = false,
	.dropped = 2, .written_back = 0, .swapped_out = 0, .kept = 7,
	.file_reads = 0, .swap_ins = 0, .zero_fills = 3,
};

FIXTURE_SETUP(evict)
{
	backed_setup(_metadata, &self->b);
}

FIXTURE_TEARDOWN(evict)
{
	backed_teardown(&self->b);
}

#define EVICT_PAGES	10
#define EVICT_FILE_PAGES 16
#define EVICT_VIEWED	9	/* pages the child reads: all but the untouched one */

/* A second process maps the object; EVICT in the parent unmaps it there too. */
static int child_evict_view(const struct object *obj, struct sync_pipes *sp)
{
	char *mem = map_object(obj, EVICT_PAGES, 0, PROT_READ, MAP_SHARED);
	struct toymap_pte pte;

	CHILD_CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	for (size_t i = 0; i < EVICT_VIEWED; i++) {
		read_byte(page_of(mem, i));
		CHILD_CHECK(!toymap_pagemap(page_of(mem, i), &pte), "pagemap");
		CHILD_CHECK(pte.present, "page %zu not mapped after reading it", i);
	}
	CHILD_CHECK(!sync_signal(sp), "parent gone");
	CHILD_CHECK(!sync_wait(sp), "parent gone");
	for (size_t i = 0; i < EVICT_VIEWED; i++) {
		CHILD_CHECK(!toymap_pagemap(page_of(mem, i), &pte), "pagemap");
		CHILD_CHECK(!pte.present, "page %zu still mapped in the child after EVICT", i);
	}
	return 0;
}

/*
 * EVICT unmaps the range from every process, writes dirty pages to the
 * file (inside the section) or to the swap file (with anonymous bytes),
 * keeps what has nowhere to go, drops the rest, and reports each count.
 * Reading back gives every byte the test wrote, from the file, the swap
 * file, or as zero for a page never written.
 */
TEST_F(evict, every_byte_comes_back)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info before, evicted, after;
	struct toymap_evict ev;
	struct sync_pipes sp;
	char *mem;
	pid_t pid;

	if (variant->file) {
		backed_file(_metadata, b, EVICT_FILE_PAGES * pagesize);
		backed_attach(_metadata, b, 333, 5 * pagesize + pagesize / 2, EVICT_PAGES);
	} else {
		backed_follow(_metadata, b, EVICT_PAGES);
	}
	if (variant->swap)
		backed_swap(_metadata, b);
	mem = MAP_OBJECT(obj, EVICT_PAGES, 0, RW, MAP_SHARED);
	read_byte(page_of(mem, 0));
	backed_write(b, mem, 1, 7, WRITE_SEED);
	read_byte(page_of(mem, 8));

	ASSERT_EQ(0, sync_open(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sync_as_child(&sp);
		_exit(child_evict_view(obj, &sp));
	}
	sync_as_parent(&sp);
	ASSERT_EQ(0, sync_wait(&sp)) TH_LOG("the child failed before the eviction");

	before = INFO(obj);
	EXPECT_EQ(EVICT_VIEWED, NOW(before, resident_pages));
	ev = EVICT(&b->obj, 0, EVICT_PAGES);
	EXPECT_EVICTED(ev, variant->dropped, variant->written_back, variant->swapped_out,
		       variant->kept);
	evicted = INFO(obj);
	EXPECT_EQ(variant->kept, NOW(evicted, resident_pages)) TH_LOG("the kept pages stay");
	EXPECT_EQ(variant->swapped_out, NOW(evicted, swapped_pages));
	EXPECT_EQ(variant->dropped, DELTA(evicted, before, evictions));
	EXPECT_EQ(variant->swapped_out, DELTA(evicted, before, swap_outs));
	EXPECT_EQ(variant->written_back, DELTA(evicted, before, write_backs));
	EXPECT_EQ(-variant->dropped, DELTA(evicted, before, module_pages));
	assert_unmapped(_metadata, mem, EVICT_PAGES, "after EVICT, in the parent");
	ASSERT_EQ(0, sync_signal(&sp));
	ASSERT_CHILD_OK(pid);
	sync_close(&sp);

	if (variant->file) {
		backed_written_back(b, 1, 5);
		assert_file_holds(_metadata, b, "after EVICT");
	}
	assert_object_holds(_metadata, b, mem, 0, EVICT_PAGES, "read back after EVICT");
	after = INFO(obj);
	EXPECT_EQ(variant->file_reads, DELTA(after, evicted, file_reads));
	EXPECT_EQ(variant->swap_ins, DELTA(after, evicted, swap_ins));
	EXPECT_EQ(variant->zero_fills, DELTA(after, evicted, zero_fills));
	EXPECT_EQ(EVICT_PAGES, NOW(after, resident_pages));
}

/* ------------------------------------------------------------------------ */
/* One object, with or without a file: each test sets up what it needs.      */

FIXTURE(file_object)
{
	struct backed b;
};

FIXTURE_SETUP(file_object)
{
	backed_setup(_metadata, &self->b);
}

FIXTURE_TEARDOWN(file_object)
{
	backed_teardown(&self->b);
}

/* msync of part of a mapping writes back that part only; fsync the rest. */
TEST_F(file_object, msync_writes_back_its_range)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info before, synced, all;
	char *mem;

	backed_file(_metadata, b, 4 * pagesize);
	backed_attach(_metadata, b, 0, 4 * pagesize, 4);
	mem = MAP_OBJECT(obj, 4, 0, RW, MAP_SHARED);
	backed_write(b, mem, 0, 3, WRITE_SEED);
	before = INFO(obj);

	ASSERT_EQ(0, msync(page_of(mem, 1), pagesize, MS_SYNC)) TH_LOG("%s", strerror(errno));
	synced = INFO(obj);
	EXPECT_EQ(1, DELTA(synced, before, write_backs));
	backed_written_back(b, 1, 1);
	assert_file_holds(_metadata, b, "after msync of page 1");

	ASSERT_EQ(0, fsync(obj->fd)) TH_LOG("fsync: %s", strerror(errno));
	all = INFO(obj);
	EXPECT_EQ(2, DELTA(all, synced, write_backs)) TH_LOG("pages 0 and 2");
	backed_written_back(b, 0, 3);
	assert_file_holds(_metadata, b, "after fsync");
}

/*
 * Private writes are the writer's own copies: no msync, fsync, eviction
 * (with a swap file set) or detach writes them to the file, the object
 * keeps the file's bytes, and eviction leaves the copies alone.
 */
TEST_F(file_object, private_writes_never_reach_the_file)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info before, after;
	struct toymap_evict ev;
	unsigned char *copy;
	char *view, *priv;
	size_t len;
	int ret;

	backed_file(_metadata, b, 4 * pagesize + 200);
	backed_attach(_metadata, b, 100, 4 * pagesize + 100, 6);	/* page 5: .bss */
	len = 6 * pagesize;
	copy = malloc(len);
	ASSERT_NE(NULL, copy);
	fill_pattern(copy, len, 0, WRITE_SEED);
	view = MAP_OBJECT(obj, 6, 0, PROT_READ, MAP_SHARED);
	priv = MAP_OBJECT(obj, 6, 0, RW, MAP_PRIVATE);
	before = INFO(obj);
	memcpy(priv, copy, len);
	after = INFO(obj);
	EXPECT_EQ(6, DELTA(after, before, cow_faults));
	EXPECT_EQ(0, DELTA(after, before, page_mkwrites));

	ASSERT_EQ(0, msync(priv, len, MS_SYNC)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, fsync(obj->fd)) TH_LOG("%s", strerror(errno));
	backed_swap(_metadata, b);
	ev = EVICT(&b->obj, 0, 6);
	EXPECT_EVICTED(ev, 6, 0, 0, 0);
	assert_file_holds(_metadata, b, "after msync, fsync and EVICT");
	for (size_t i = 0; i < 6; i++) {
		struct toymap_pte pte = PTE(page_of(priv, i));

		EXPECT_TRUE(pte.present && !pte.file) TH_LOG("page %zu: the private copy is gone", i);
	}
	EXPECT_EQ(0, memcmp(copy, priv, len)) TH_LOG("EVICT changed a private copy");
	assert_object_holds(_metadata, b, view, 0, 6, "the object, shared view");

	ASSERT_EQ(0, munmap(view, len));
	ASSERT_EQ(0, munmap(priv, len));
	ret = toymap_detach(obj->fd);
	ASSERT_EQ(0, ret) TH_LOG("DETACH: %s", strerror(-ret));
	assert_file_holds(_metadata, b, "after DETACH");
	after = INFO(obj);
	EXPECT_EQ(0, DELTA(after, before, write_backs));
	EXPECT_EQ(0, DELTA(after, before, swap_outs));
	free(copy);
}

/* What the child of file_frames_shared_by_two_processes reports. */
struct frame_report {
	struct toymap_pte pte;	/* the child's page 0 */
};

static int child_share_file_frames(struct backed *b, struct sync_pipes *sp)
{
	char *mem = map_object(&b->obj, 3, 0, RW, MAP_SHARED);
	struct frame_report report;

	CHILD_CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	CHILD_CHECK(!memcmp(mem, b->expect, pagesize), "page 0 is not the file's in the child");
	CHILD_CHECK(!toymap_pagemap_frame(frame_fd, mem, &report.pte), "pagemap");
	backed_write(b, mem, 1, 1, WRITE_SEED);
	CHILD_CHECK(!sync_send(sp, &report, sizeof(report)), "parent gone");
	CHILD_CHECK(!sync_wait(sp), "parent gone");
	fill_pattern(b->expect + 2 * pagesize, pagesize, 2 * pagesize, REWRITE_SEED);
	CHILD_CHECK(!memcmp(page_of(mem, 2), b->expect + 2 * pagesize, pagesize),
		    "the parent's write not seen by the child");
	return 0;
}

/*
 * Two processes map a file-backed object at different addresses: both map
 * the same frames, each page is read from the file once, and each process
 * sees what the other writes, as does the file after fsync.
 */
TEST_F(file_object, file_frames_shared_by_two_processes)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info before, after;
	struct frame_report child;
	struct sync_pipes sp;
	char *mem;
	pid_t pid;

	backed_file(_metadata, b, 4 * pagesize);
	backed_attach(_metadata, b, 0, 4 * pagesize, 4);
	mem = MAP_OBJECT(obj, 3, 0, RW, MAP_SHARED);
	before = INFO(obj);
	assert_object_holds(_metadata, b, mem, 0, 1, "page 0 in the parent");

	ASSERT_EQ(0, sync_open(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sync_as_child(&sp);
		_exit(child_share_file_frames(b, &sp));
	}
	sync_as_parent(&sp);
	ASSERT_EQ(0, sync_recv(&sp, &child, sizeof(child)))
		TH_LOG("the child failed before reporting its frame");
	fill_pattern(b->expect + pagesize, pagesize, pagesize, WRITE_SEED);
	assert_object_holds(_metadata, b, page_of(mem, 1), 1, 1, "the child's write, in the parent");
	backed_write(b, mem, 2, 1, REWRITE_SEED);
	ASSERT_EQ(0, sync_signal(&sp));
	ASSERT_CHILD_OK(pid);
	sync_close(&sp);

	after = INFO(obj);
	EXPECT_EQ(3, DELTA(after, before, file_reads)) TH_LOG("each page read from the file once");
	EXPECT_EQ(3, NOW(after, resident_pages));
	ASSERT_EQ(0, fsync(obj->fd));
	backed_written_back(b, 0, 3);
	assert_file_holds(_metadata, b, "after fsync");
	ASSERT_SAME_FRAME(obj, PTE(mem), child.pte);
	SKIP_IF_FRAMES_UNCHECKED(obj);
}

/*
 * A file attached through an O_RDONLY descriptor: MAP_SHARED with
 * PROT_WRITE is refused (EACCES), at mmap and at mprotect; MAP_PRIVATE
 * writes work and stay private; nothing is ever written to the file.
 */
TEST_F(file_object, readonly_file_refuses_shared_writable)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info before, after;
	char *mem, *priv;
	int rfd, ret, err;

	backed_file(_metadata, b, 2 * pagesize);
	rfd = reopen_fd(b->file, O_RDONLY);
	ASSERT_LE(0, rfd) TH_LOG("reopening read-only: %s", strerror(-rfd));
	ret = toymap_attach(obj->fd, rfd, 0, 2 * pagesize);
	ASSERT_EQ(0, ret) TH_LOG("ATTACH of an O_RDONLY fd: %s", strerror(-ret));
	close(rfd);	/* the object holds the file */
	b->length = 2 * pagesize;
	backed_follow(_metadata, b, 2);
	before = INFO(obj);
	EXPECT_EQ(TOYMAP_BACKING_FILE | TOYMAP_BACKING_READONLY, BACKING(before));

	mem = mmap(NULL, 2 * pagesize, RW, MAP_SHARED, obj->fd, 0);
	err = mem == MAP_FAILED ? errno : 0;
	EXPECT_EQ(EACCES, err) TH_LOG("MAP_SHARED|PROT_WRITE: %s", errno_name(err));

	mem = MAP_OBJECT(obj, 2, 0, PROT_READ, MAP_SHARED);
	assert_object_holds(_metadata, b, mem, 0, 2, "read-only shared mapping");
	err = mprotect(mem, 2 * pagesize, RW) ? errno : 0;
	EXPECT_EQ(EACCES, err) TH_LOG("mprotect to writable: %s", errno_name(err));

	priv = MAP_OBJECT(obj, 2, 0, RW, MAP_PRIVATE);
	memset(priv, 'p', 2 * pagesize);
	EXPECT_TRUE(mem_is(priv, 'p', 2 * pagesize)) TH_LOG("the private write was lost");
	assert_object_holds(_metadata, b, mem, 0, 2, "the object after a private write");
	ASSERT_EQ(0, fsync(obj->fd)) TH_LOG("fsync: %s", strerror(errno));
	ASSERT_EQ(0, munmap(mem, 2 * pagesize));
	ASSERT_EQ(0, munmap(priv, 2 * pagesize));
	ret = toymap_detach(obj->fd);
	ASSERT_EQ(0, ret) TH_LOG("DETACH: %s", strerror(-ret));
	after = INFO(obj);
	EXPECT_EQ(0, DELTA(after, before, write_backs));
	assert_file_holds(_metadata, b, "at the end");
}

#define SWAP_PAGES	16

/*
 * An anonymous object with a swap file: evicted, every dirty page goes to
 * the swap file and comes back intact.  As in shmem, a swap-in frees the
 * page's slot and leaves the page dirty (it is the only copy now), so the
 * next eviction writes it out again, written since or not.  The swap file
 * cannot be changed while it holds pages.
 */
TEST_F(file_object, swap_round_trip)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info before, evicted, back, again;
	struct toymap_evict ev;
	int other, ret;
	char *mem;

	backed_follow(_metadata, b, SWAP_PAGES);
	backed_swap(_metadata, b);
	mem = MAP_OBJECT(obj, SWAP_PAGES, 0, RW, MAP_SHARED);
	backed_write(b, mem, 0, SWAP_PAGES, WRITE_SEED);
	before = INFO(obj);
	EXPECT_EQ(TOYMAP_BACKING_SWAP, BACKING(before));

	ev = EVICT(&b->obj, 0, SWAP_PAGES);
	EXPECT_EVICTED(ev, SWAP_PAGES, 0, SWAP_PAGES, 0);
	evicted = INFO(obj);
	EXPECT_EQ(SWAP_PAGES, NOW(evicted, swapped_pages));
	EXPECT_EQ(0, NOW(evicted, resident_pages));
	assert_unmapped(_metadata, mem, SWAP_PAGES, "after EVICT");
	assert_object_holds(_metadata, b, mem, 0, SWAP_PAGES, "swapped in");
	back = INFO(obj);
	EXPECT_EQ(SWAP_PAGES, DELTA(back, evicted, swap_ins));
	EXPECT_EQ(0, DELTA(back, evicted, zero_fills));
	EXPECT_EQ(0, NOW(back, swapped_pages)) TH_LOG("a swap-in frees the slot");

	backed_write(b, mem, 0, SWAP_PAGES / 2, REWRITE_SEED);
	ev = EVICT(&b->obj, 0, SWAP_PAGES);
	EXPECT_EVICTED(ev, SWAP_PAGES, 0, SWAP_PAGES, 0);
	again = INFO(obj);
	EXPECT_EQ(SWAP_PAGES, NOW(again, swapped_pages)) TH_LOG("one swap copy per page");

	ret = toymap_set_swap(obj->fd, -1);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("dropping a swap file that holds pages: %s", errno_name(-ret));
	other = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, other);
	ret = toymap_set_swap(obj->fd, other);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("changing a swap file that holds pages: %s", errno_name(-ret));
	close(other);
	assert_object_holds(_metadata, b, mem, 0, SWAP_PAGES, "swapped in again");
	EXPECT_EQ(0, NOW(INFO(obj), swapped_pages)) TH_LOG("the swap-ins free every slot");
	ev = EVICT(&b->obj, 0, SWAP_PAGES);
	EXPECT_EVICTED(ev, SWAP_PAGES, 0, SWAP_PAGES, 0);
	ASSERT_EQ(0, toymap_discard(obj->fd, 0, SWAP_PAGES * pagesize));
	EXPECT_EQ(0, NOW(INFO(obj), swapped_pages)) TH_LOG("DISCARD keeps swap copies");
	ret = toymap_set_swap(obj->fd, -1);
	EXPECT_EQ(0, ret) TH_LOG("dropping the swap file: %s", errno_name(-ret));
	EXPECT_EQ(0, BACKING(INFO(obj)));
}

/*
 * A page with bytes past the section goes whole to the swap file on
 * eviction (its section part to the file as well); when it comes back, the
 * swap copy wins over whatever the file holds by then.
 */
TEST_F(file_object, swap_copy_wins_over_the_file)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info before, after;
	struct toymap_evict ev;
	unsigned char *later;
	char *mem;

	backed_file(_metadata, b, 2 * pagesize);
	backed_attach(_metadata, b, 0, pagesize + 100, 2);
	backed_swap(_metadata, b);
	mem = MAP_OBJECT(obj, 2, 0, RW, MAP_SHARED);
	backed_write(b, mem, 1, 1, WRITE_SEED);
	ev = EVICT(&b->obj, 1, 1);
	EXPECT_EVICTED(ev, 1, 1, 1, 0);
	backed_written_back(b, 1, 1);
	assert_file_holds(_metadata, b, "after EVICT");

	later = b->file_bytes + pagesize;
	fill_pattern(later, 100, pagesize, REWRITE_SEED);
	ASSERT_EQ(0, toymap_pwrite_full(b->file, later, 100, pagesize));
	before = INFO(obj);
	assert_object_holds(_metadata, b, page_of(mem, 1), 1, 1, "page 1 after the file changed");
	after = INFO(obj);
	EXPECT_EQ(1, DELTA(after, before, swap_ins));
	EXPECT_EQ(0, DELTA(after, before, file_reads));
}

/* Run the calling thread on @cpu only: 0 or -errno. */
static int run_on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

#define CPU_PAGES	2

/*
 * A page made by a fault sits a while in the per-CPU batch of pages on
 * their way to the LRU lists, with a reference of that batch.  EVICT from
 * another CPU still drops it when it is clean: EVICT drops every clean page
 * of its range, wherever it was faulted, and says so in "dropped".
 */
TEST_F(file_object, evict_drops_clean_pages_faulted_on_another_cpu)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	int cpus[2], found = 0, ret;
	struct toymap_evict ev;
	cpu_set_t allowed;
	char *mem;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(allowed), &allowed));
	for (int cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++) {
		if (CPU_ISSET(cpu, &allowed))
			cpus[found++] = cpu;
	}
	if (found < 2)
		SKIP_TEST("needs two CPUs to run on");
	mem = MAP_OBJECT(obj, CPU_PAGES, 0, PROT_READ, MAP_SHARED);
	ret = run_on_cpu(cpus[1]);
	ASSERT_EQ(0, ret) TH_LOG("moving to CPU %d: %s", cpus[1], strerror(-ret));
	for (size_t i = 0; i < CPU_PAGES; i++)
		read_byte(page_of(mem, i));
	ret = run_on_cpu(cpus[0]);
	ASSERT_EQ(0, ret) TH_LOG("moving to CPU %d: %s", cpus[0], strerror(-ret));
	ev = EVICT(&b->obj, 0, CPU_PAGES);
	sched_setaffinity(0, sizeof(allowed), &allowed);
	EXPECT_EVICTED(ev, CPU_PAGES, 0, 0, 0);
	EXPECT_EQ(0, NOW(INFO(obj), resident_pages))
		TH_LOG("clean pages faulted on CPU %d stayed after EVICT on CPU %d", cpus[1],
		       cpus[0]);
}

static int child_hold_mapping(const struct object *obj, struct sync_pipes *sp)
{
	char *mem = map_object(obj, 1, 0, PROT_READ, MAP_SHARED);

	CHILD_CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	CHILD_CHECK(!sync_signal(sp), "parent gone");
	CHILD_CHECK(!sync_wait(sp), "parent gone");
	return 0;
}

/*
 * ATTACH while any process maps the object (shared, private, or only
 * another process) fails with EBUSY and changes nothing: the object stays
 * anonymous.  Once nothing maps it, ATTACH works; the clean zero pages made
 * before are dropped, so the next touch reads the file.
 */
TEST_F(file_object, attach_while_mapped_is_busy)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct sync_pipes sp;
	char *mem;
	pid_t pid;
	int ret;

	backed_file(_metadata, b, 2 * pagesize);
	backed_follow(_metadata, b, 2);		/* anonymous: zeros */
	mem = MAP_OBJECT(obj, 2, 0, PROT_READ, MAP_SHARED);
	read_byte(mem);
	ret = toymap_attach(obj->fd, b->file, 0, 2 * pagesize);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("ATTACH with a shared mapping: %s", errno_name(-ret));
	EXPECT_EQ(0, BACKING(INFO(obj))) TH_LOG("a failed ATTACH left a backing");
	assert_object_holds(_metadata, b, mem, 0, 2, "after a failed ATTACH");
	ASSERT_EQ(0, munmap(mem, 2 * pagesize));

	mem = MAP_OBJECT(obj, 2, 0, RW, MAP_PRIVATE);
	ret = toymap_attach(obj->fd, b->file, 0, 2 * pagesize);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("ATTACH with a private mapping: %s", errno_name(-ret));
	ASSERT_EQ(0, munmap(mem, 2 * pagesize));

	ASSERT_EQ(0, sync_open(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sync_as_child(&sp);
		_exit(child_hold_mapping(obj, &sp));
	}
	sync_as_parent(&sp);
	ASSERT_EQ(0, sync_wait(&sp)) TH_LOG("the child could not map the object");
	ret = toymap_attach(obj->fd, b->file, 0, 2 * pagesize);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("ATTACH while another process maps it: %s",
				      errno_name(-ret));
	ASSERT_EQ(0, sync_signal(&sp));
	ASSERT_CHILD_OK(pid);
	sync_close(&sp);

	EXPECT_EQ(2, NOW(INFO(obj), resident_pages)) TH_LOG("the zero pages read before");
	backed_attach(_metadata, b, 0, 2 * pagesize, 2);
	EXPECT_EQ(0, NOW(INFO(obj), resident_pages)) TH_LOG("ATTACH keeps the old zero page");
	mem = MAP_OBJECT(obj, 2, 0, PROT_READ, MAP_SHARED);
	assert_object_holds(_metadata, b, mem, 0, 2, "after ATTACH");
}

/*
 * ATTACH refuses an object whose pages would be lost (dirty, or with a copy
 * in the swap file) and one with a file already; DETACH refuses a mapped
 * object and one with no file.  A refusal changes nothing.
 */
TEST_F(file_object, attach_and_detach_refusals)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_evict ev;
	char *mem;
	int ret;

	backed_file(_metadata, b, 2 * pagesize);
	backed_follow(_metadata, b, 2);
	mem = MAP_OBJECT(obj, 2, 0, RW, MAP_SHARED);
	backed_write(b, mem, 0, 1, WRITE_SEED);
	ASSERT_EQ(0, munmap(mem, 2 * pagesize));
	ret = toymap_attach(obj->fd, b->file, 0, 2 * pagesize);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("ATTACH with a dirty page: %s", errno_name(-ret));

	backed_swap(_metadata, b);
	ev = EVICT(&b->obj, 0, 2);
	EXPECT_EVICTED(ev, 1, 0, 1, 0);
	ret = toymap_attach(obj->fd, b->file, 0, 2 * pagesize);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("ATTACH with a page in the swap file: %s", errno_name(-ret));
	EXPECT_EQ(TOYMAP_BACKING_SWAP, BACKING(INFO(obj)));
	mem = MAP_OBJECT(obj, 2, 0, PROT_READ, MAP_SHARED);
	assert_object_holds(_metadata, b, mem, 0, 2, "after the refused ATTACHes");
	ASSERT_EQ(0, munmap(mem, 2 * pagesize));

	ASSERT_EQ(0, toymap_discard(obj->fd, 0, 2 * pagesize));
	backed_attach(_metadata, b, 0, 2 * pagesize, 2);
	ret = toymap_attach(obj->fd, b->file, 0, pagesize);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("ATTACH with a file attached: %s", errno_name(-ret));

	mem = MAP_OBJECT(obj, 2, 0, RW, MAP_SHARED);
	backed_write(b, mem, 0, 1, REWRITE_SEED);
	ret = toymap_detach(obj->fd);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("DETACH while mapped: %s", errno_name(-ret));
	EXPECT_EQ(TOYMAP_BACKING_FILE | TOYMAP_BACKING_SWAP, BACKING(INFO(obj)));
	assert_object_holds(_metadata, b, mem, 0, 2, "after the refused DETACH");
	assert_file_holds(_metadata, b, "after the refused DETACH");
	ASSERT_EQ(0, munmap(mem, 2 * pagesize));
	ret = toymap_detach(obj->fd);
	EXPECT_EQ(0, ret) TH_LOG("DETACH: %s", errno_name(-ret));
	backed_written_back(b, 0, 1);
	assert_file_holds(_metadata, b, "after DETACH");
	ret = toymap_detach(obj->fd);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("DETACH with no file: %s", errno_name(-ret));
}

/*
 * The swap file and the backing file must be different files, whichever
 * is set first and through whichever descriptor.
 */
TEST_F(file_object, swap_file_is_not_the_backing_file)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	int ret;

	backed_file(_metadata, b, pagesize);
	backed_attach(_metadata, b, 0, pagesize, 1);
	expect_swap_refused(_metadata, obj, b->file, EINVAL, "the backing file");
	EXPECT_EQ(TOYMAP_BACKING_FILE, BACKING(INFO(obj)));

	ASSERT_EQ(0, toymap_detach(obj->fd));
	backed_swap(_metadata, b);
	ret = toymap_attach(obj->fd, b->swap, 0, pagesize);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("ATTACH of the swap file: %s", errno_name(-ret));
	EXPECT_EQ(TOYMAP_BACKING_SWAP, BACKING(INFO(obj)));
}

/*
 * Demand paging made visible: the file is read when a page is first
 * touched.  A change to the file after ATTACH is seen by a page touched
 * later, not by a page already resident, until that one is evicted.
 */
TEST_F(file_object, file_change_seen_by_later_touch)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_evict ev;
	size_t len = 2 * pagesize;
	char *mem;

	backed_file(_metadata, b, 4 * pagesize);
	backed_attach(_metadata, b, 0, 4 * pagesize, 4);
	mem = MAP_OBJECT(obj, 4, 0, PROT_READ, MAP_SHARED);
	assert_object_holds(_metadata, b, mem, 0, 1, "page 0, touched before the change");

	fill_pattern(b->file_bytes, len, 0, REWRITE_SEED);
	ASSERT_EQ(0, toymap_pwrite_full(b->file, b->file_bytes, len, 0));
	assert_object_holds(_metadata, b, mem, 0, 1, "page 0, resident, after the change");
	backed_reload(b, 1, 1);
	assert_object_holds(_metadata, b, page_of(mem, 1), 1, 1, "page 1, touched after the change");

	ev = EVICT(&b->obj, 0, 1);
	EXPECT_EVICTED(ev, 1, 0, 0, 0);
	backed_reload(b, 0, 1);
	assert_object_holds(_metadata, b, mem, 0, 1, "page 0, touched again after EVICT");
}

/*
 * A page is read from the file when it is touched, and only that page: the
 * chapter's demand paging.  Once the mapping is advised MADV_SEQUENTIAL, a
 * page read from the file reads the next 31 (VM_READAHEAD_PAGES, 128 KiB)
 * in the same fault, as the kernel does for a file; it stops at a page
 * already there and at the end of the section, and demand-zero pages past
 * the section are still made one at a time, when touched.
 */
TEST_F(file_object, sequential_mapping_reads_ahead)
{
	enum { SECTION = 40, PAGES = 48, AHEAD = 32 };
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info before, after;
	char *mem;

	backed_file(_metadata, b, SECTION * pagesize);
	backed_attach(_metadata, b, 0, SECTION * pagesize, PAGES);
	mem = MAP_OBJECT(obj, PAGES, 0, PROT_READ, MAP_SHARED);

	before = INFO(obj);
	read_byte(page_of(mem, 0));
	after = INFO(obj);
	EXPECT_EQ(1, DELTA(after, before, file_reads)) TH_LOG("no advice: page 0 alone");
	EXPECT_EQ(1, DELTA(after, before, resident_pages));

	ASSERT_EQ(0, madvise(mem, PAGES * pagesize, MADV_SEQUENTIAL)) TH_LOG("%s", strerror(errno));
	before = after;
	read_byte(page_of(mem, 2));
	after = INFO(obj);
	EXPECT_EQ(1, DELTA(after, before, faults));
	EXPECT_EQ(AHEAD, DELTA(after, before, file_reads)) TH_LOG("pages 2 to 33 in one fault");
	EXPECT_EQ(AHEAD, DELTA(after, before, resident_pages));

	before = after;
	read_byte(page_of(mem, 1));
	after = INFO(obj);
	EXPECT_EQ(1, DELTA(after, before, file_reads)) TH_LOG("page 2 is there: page 1 alone");

	before = after;
	read_byte(page_of(mem, 36));
	after = INFO(obj);
	EXPECT_EQ(SECTION - 36, DELTA(after, before, file_reads)) TH_LOG("36 to the section's end");
	EXPECT_EQ(0, DELTA(after, before, zero_fills));

	before = after;
	read_byte(page_of(mem, SECTION));
	after = INFO(obj);
	EXPECT_EQ(0, DELTA(after, before, file_reads));
	EXPECT_EQ(1, DELTA(after, before, zero_fills)) TH_LOG("past the section: one page");
	EXPECT_EQ(1, DELTA(after, before, resident_pages));

	assert_object_holds(_metadata, b, mem, 0, PAGES, "after reading ahead");
}

/*
 * A section may be longer than the object: read-ahead stops at the
 * object's last page as every fault does, and holds nothing past it.
 */
TEST_F(file_object, read_ahead_stops_at_the_object_end)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	size_t pages = obj->size / pagesize;
	struct toymap_info before, after;
	char *mem;
	int ret;

	ASSERT_LE((size_t)4, pages);
	b->file = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, b->file) TH_LOG("a temporary file: %s", strerror(-b->file));
	/* 64 pages more than the object, sparse: its holes read as zeros. */
	ASSERT_EQ(0, ftruncate(b->file, (off_t)((pages + 64) * pagesize))) TH_LOG("%s", strerror(errno));
	ret = toymap_attach(obj->fd, b->file, 0, (pages + 64) * pagesize);
	ASSERT_EQ(0, ret) TH_LOG("ATTACH: %s", strerror(-ret));
	mem = MAP_OBJECT(obj, 4, pages - 4, PROT_READ, MAP_SHARED);
	ASSERT_EQ(0, madvise(mem, 4 * pagesize, MADV_SEQUENTIAL)) TH_LOG("%s", strerror(errno));

	before = INFO(obj);
	read_byte(page_of(mem, 2));
	after = INFO(obj);
	EXPECT_EQ(2, DELTA(after, before, file_reads)) TH_LOG("the object's last two pages only");
	EXPECT_EQ(2, DELTA(after, before, resident_pages));
	EXPECT_EQ(NOW(before, module_pages) + 2, NOW(after, module_pages));
}

/*
 * Read-ahead never takes the last pages of max_pages from demand faults:
 * with room for 40 pages, a read of the first of 40 reads that one alone,
 * and every page still comes, a fault each.
 */
TEST_F(file_object, read_ahead_leaves_max_pages_to_faults)
{
	enum { PAGES = 40 };
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info before, after;
	char limit[32];
	char *mem;

	SKIP_UNLESS_ROOT("setting the max_pages parameter");
	backed_file(_metadata, b, PAGES * pagesize);
	backed_attach(_metadata, b, 0, PAGES * pagesize, PAGES);
	mem = MAP_OBJECT(obj, PAGES, 0, PROT_READ, MAP_SHARED);
	ASSERT_EQ(0, madvise(mem, PAGES * pagesize, MADV_SEQUENTIAL)) TH_LOG("%s", strerror(errno));
	before = INFO(obj);
	snprintf(limit, sizeof(limit), "%llu", (unsigned long long)before.module_pages + PAGES);
	SET_PARAM(PARAM_MAX_PAGES, limit);

	read_byte(page_of(mem, 0));
	after = INFO(obj);
	EXPECT_EQ(1, DELTA(after, before, file_reads)) TH_LOG("no read-ahead into the last pages");
	assert_object_holds(_metadata, b, mem, 0, PAGES, "every page up to max_pages");
	after = INFO(obj);
	EXPECT_EQ(PAGES, DELTA(after, before, faults)) TH_LOG("a fault each");
	EXPECT_EQ(0, DELTA(after, before, sigbus_faults));
	EXPECT_EQ(NOW(after, max_pages), NOW(after, module_pages));
}

/*
 * A swap copy lost to a truncation of the swap file behind the module's
 * back cannot come back: the touch is SIGBUS, and the kernel log names it a
 * failed read, not a swap-in (nor does swap_ins count it).
 */
TEST_F(file_object, lost_swap_copy_is_a_failed_read)
{
	static char log[1 << 14];
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info before, after;
	struct toymap_evict ev;
	char prefix[64];
	int kmsg, ret;
	char *mem;

	KMSG_OPEN_OR_SKIP(kmsg);
	snprintf(prefix, sizeof(prefix), "toymap%d: pid ", OBJECT_INDEX);
	backed_swap(_metadata, b);
	mem = MAP_OBJECT(obj, 1, 0, RW, MAP_SHARED);
	write_byte(mem, 'x');
	ev = EVICT(obj, 0, 1);
	EXPECT_EVICTED(ev, 1, 0, 1, 0);
	ASSERT_EQ(0, ftruncate(b->swap, 0)) TH_LOG("%s", strerror(errno));

	before = INFO(obj);
	SET_PARAM(PARAM_TRACE, "1");
	EXPECT_EQ(SIGBUS, touch_in_child(mem, false)) TH_LOG("the copy is gone");
	SET_PARAM(PARAM_TRACE, "0");
	after = INFO(obj);
	EXPECT_EQ(1, DELTA(after, before, sigbus_faults));
	EXPECT_EQ(0, DELTA(after, before, swap_ins));
	ret = kmsg_read_new(kmsg, log, sizeof(log));
	ASSERT_LE(0, ret) TH_LOG("reading /dev/kmsg: %s", strerror(-ret));
	EXPECT_EQ(1, count_lines(log, prefix, "pgoff 0 read shared: " TRACE_READ_FAILED))
		TH_LOG("no line \"%s...%s\" in:\n%s", prefix, TRACE_READ_FAILED, log);
	EXPECT_EQ(0, count_lines(log, prefix, "pgoff 0 read shared: " TRACE_SWAP_IN)) TH_LOG("%s", log);
	close(kmsg);
}

/*
 * The pages of a file-backed object, resident, dirty, written back or
 * swapped out, all go at DETACH: the module holds as many pages as before
 * ATTACH, no swap copy is left, and the object is anonymous again.
 */
TEST_F(file_object, detach_returns_every_page)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info base, after;
	struct toymap_evict ev;
	const size_t pages = 32;
	char *mem;
	int ret;

	base = INFO(obj);
	backed_file(_metadata, b, 8 * pagesize + 10);
	backed_swap(_metadata, b);
	backed_attach(_metadata, b, 0, 8 * pagesize + 10, pages);
	mem = MAP_OBJECT(obj, pages, 0, RW, MAP_SHARED);
	assert_object_holds(_metadata, b, mem, 0, pages, "the first read");
	backed_write(b, mem, 0, 16, WRITE_SEED);
	ev = EVICT(&b->obj, 8, 8);	/* 8 straddles: both ways; 9-15 swapped out */
	EXPECT_EVICTED(ev, 8, 1, 8, 0);
	EXPECT_EQ(8, NOW(INFO(obj), swapped_pages));
	EXPECT_EQ((long long)pages - 8, NOW(INFO(obj), module_pages) - NOW(base, module_pages));
	ASSERT_EQ(0, munmap(mem, pages * pagesize));

	ret = toymap_detach(obj->fd);
	ASSERT_EQ(0, ret) TH_LOG("DETACH: %s", strerror(-ret));
	after = INFO(obj);
	EXPECT_EQ(NOW(base, module_pages), NOW(after, module_pages)) TH_LOG("pages left behind");
	EXPECT_EQ(0, NOW(after, resident_pages));
	EXPECT_EQ(0, NOW(after, swapped_pages));
	EXPECT_EQ(TOYMAP_BACKING_SWAP, BACKING(after));
	EXPECT_EQ(0, NOW(after, backing_offset));
	EXPECT_EQ(0, NOW(after, backing_length));
	backed_written_back(b, 0, 9);
	assert_file_holds(_metadata, b, "after DETACH");
	ret = toymap_set_swap(obj->fd, -1);
	EXPECT_EQ(0, ret) TH_LOG("dropping the swap file after DETACH: %s", errno_name(-ret));

	b->length = 0;
	backed_follow(_metadata, b, pages);
	mem = MAP_OBJECT(obj, pages, 0, PROT_READ, MAP_SHARED);
	assert_object_holds(_metadata, b, mem, 0, pages, "anonymous again");
}

/*
 * With trace=1, each way a page is filled (file-read, zero-fill, swap-in),
 * each write-back and swap-out, and each eviction logs a line naming the
 * process and the page offset.
 */
TEST_F(file_object, trace_names_each_outcome)
{
	static char log[1 << 16];
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	const struct {
		const char *what;
		const char *text;
	} lines[] = {
		{ "page 0 read from the file", "pgoff 0 read shared: " TRACE_FILE_READ },
		{ "page 1 zero-filled", "pgoff 1 read shared: " TRACE_ZERO_FILL },
		{ "page 2 swapped out", "pgoff 2: " TRACE_SWAP_OUT },
		{ "the eviction", TRACE_EVICT " 0" },
		{ "page 2 swapped in", "pgoff 2 read shared: " TRACE_SWAP_IN },
		{ "page 0 written back", "pgoff 0: " TRACE_WRITE_BACK },
	};
	struct toymap_evict ev;
	char prefix[64];
	int kmsg, ret;
	char *mem;

	KMSG_OPEN_OR_SKIP(kmsg);
	snprintf(prefix, sizeof(prefix), TRACE_LINE_PREFIX_FMT, OBJECT_INDEX, (int)getpid());
	backed_file(_metadata, b, pagesize);
	backed_swap(_metadata, b);
	backed_attach(_metadata, b, 0, pagesize, 3);
	mem = MAP_OBJECT(obj, 3, 0, RW, MAP_SHARED);

	SET_PARAM(PARAM_TRACE, "1");
	read_byte(page_of(mem, 0));
	read_byte(page_of(mem, 1));
	backed_write(b, mem, 2, 1, WRITE_SEED);
	ev = EVICT(&b->obj, 0, 3);
	EXPECT_EVICTED(ev, 3, 0, 1, 0);
	read_byte(page_of(mem, 2));
	backed_write(b, mem, 0, 1, WRITE_SEED);
	ASSERT_EQ(0, fsync(obj->fd));
	SET_PARAM(PARAM_TRACE, "0");

	ret = kmsg_read_new(kmsg, log, sizeof(log));
	ASSERT_LE(0, ret) TH_LOG("reading /dev/kmsg: %s", strerror(-ret));
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		EXPECT_LE(1, count_lines(log, prefix, lines[i].text))
			TH_LOG("%s: no line \"%s...%s\" in:\n%s", lines[i].what, prefix,
			       lines[i].text, log);
	}
	close(kmsg);
}

/* ------------------------------------------------------------------------ */
/* The kernel's reclaim drops clean pages of the object, never dirty ones.   */

FIXTURE(reclaim)
{
	struct backed b;
	struct memcg cg;
};

FIXTURE_SETUP(reclaim)
{
	char name[64], why[256];

	backed_setup(_metadata, &self->b);
	if (geteuid() != 0)
		SETUP_SKIP("a memory cgroup needs root");
	snprintf(name, sizeof(name), "toymap-reclaim-%d", (int)getpid());
	if (memcg_create(&self->cg, name, why, sizeof(why))) {
		memcg_destroy(&self->cg);
		SETUP_SKIP("%s", why);
	}
}

FIXTURE_TEARDOWN(reclaim)
{
	memcg_destroy(&self->cg);
	backed_teardown(&self->b);
}

/*
 * The layout: a file of 8 pages, all of it the section; 16 pages of the
 * object.  Clean: 0-1 read from the file, 2-3 written and msync'ed, 6-7
 * read, 8-9 read as zero (.bss).  Dirty: 4-5 (file), 10-11 (.bss), and
 * 12-13, written, evicted to the swap file and swapped in (a swap-in frees
 * the slot: the page is the only copy).  14-15 untouched.
 */
#define RECLAIM_PAGES		16
#define RECLAIM_FILE_PAGES	8
#define RECLAIM_CLEAN		8
#define RECLAIM_DIRTY		6
#define RECLAIM_TRIES		8

static const size_t reclaim_read[] = { 0, 1, 6, 7, 8, 9 };
static const size_t reclaim_written[] = { 2, 3, 4, 5, 10, 11, 12, 13 };

/* In the memory cgroup, so that the object's new pages are charged to it. */
static int child_reclaim_touches(struct backed *b, const struct memcg *cg)
{
	struct toymap_evict ev;
	char *mem;
	int ret;

	ret = memcg_enter(cg);
	CHILD_CHECK(!ret, "entering %s: %s", cg->path, strerror(-ret));
	mem = map_object(&b->obj, RECLAIM_PAGES, 0, RW, MAP_SHARED);
	CHILD_CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(reclaim_read); i++)
		read_byte(page_of(mem, reclaim_read[i]));
	for (size_t i = 0; i < ARRAY_SIZE(reclaim_written); i++) {
		size_t page = reclaim_written[i];

		memcpy(page_of(mem, page), b->expect + page * pagesize, pagesize);
	}
	CHILD_CHECK(!msync(page_of(mem, 2), 2 * pagesize, MS_SYNC), "msync: %s", strerror(errno));
	ret = toymap_evict(b->obj.fd, 12 * pagesize, 2 * pagesize, &ev);
	CHILD_CHECK(!ret, "EVICT: %s", strerror(-ret));
	CHILD_CHECK(ev.swapped_out == 2 && ev.dropped == 2, "EVICT: %llu swapped out, %llu dropped",
		    (unsigned long long)ev.swapped_out, (unsigned long long)ev.dropped);
	CHILD_CHECK(!memcmp(page_of(mem, 12), b->expect + 12 * pagesize, 2 * pagesize),
		    "pages 12-13 not intact after the swap-in");
	CHILD_CHECK(!munmap(mem, RECLAIM_PAGES * pagesize), "munmap: %s", strerror(errno));
	return 0;
}

/*
 * memory.reclaim of a cgroup v2 holding the object's pages: the kernel
 * drops every clean page (written back, read from the file or zero) and
 * keeps the dirty ones, which it has no way to write (no writepage): those
 * written and the two swapped in (a swap-in frees the slot: the page is the
 * only copy).  Touched again, each page comes back with its bytes: from the
 * file or as zero.
 */
TEST_F_TIMEOUT(reclaim, drops_clean_pages_keeps_dirty, LONG_TIMEOUT)
{
	struct backed *b = &self->b;
	struct object *obj = &b->obj;
	struct toymap_info touched, reclaimed, after;
	struct sync_pipes sp;
	char *mem;
	pid_t pid;
	int ret;

	backed_file(_metadata, b, RECLAIM_FILE_PAGES * pagesize);
	backed_attach(_metadata, b, 0, RECLAIM_FILE_PAGES * pagesize, RECLAIM_PAGES);
	backed_swap(_metadata, b);
	for (size_t i = 0; i < ARRAY_SIZE(reclaim_written); i++) {
		size_t start = reclaim_written[i] * pagesize;

		fill_pattern(b->expect + start, pagesize, start, WRITE_SEED);
	}

	ASSERT_EQ(0, sync_open(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sync_as_child(&sp);
		_exit(child_reclaim_touches(b, &self->cg));
	}
	sync_as_parent(&sp);
	ASSERT_CHILD_OK(pid);
	sync_close(&sp);
	touched = INFO(obj);
	ASSERT_EQ(RECLAIM_CLEAN + RECLAIM_DIRTY, NOW(touched, resident_pages));
	backed_written_back(b, 2, 2);
	assert_file_holds(_metadata, b, "after the child's msync");

	reclaimed = touched;
	for (int i = 0; i < RECLAIM_TRIES && NOW(reclaimed, resident_pages) > RECLAIM_DIRTY; i++) {
		ret = memcg_reclaim(&self->cg, "1M");
		ASSERT_TRUE(ret == 0 || ret == -EAGAIN) TH_LOG("memory.reclaim: %s", strerror(-ret));
		reclaimed = INFO(obj);
	}
	EXPECT_EQ(RECLAIM_DIRTY, NOW(reclaimed, resident_pages))
		TH_LOG("%d reclaims left %lld pages: expected the %d dirty ones", RECLAIM_TRIES,
		       NOW(reclaimed, resident_pages), RECLAIM_DIRTY);
	EXPECT_EQ(-RECLAIM_CLEAN, DELTA(reclaimed, touched, module_pages));
	for (int i = 0; i < 2; i++) {
		ret = memcg_reclaim(&self->cg, "1M");
		ASSERT_TRUE(ret == 0 || ret == -EAGAIN) TH_LOG("memory.reclaim: %s", strerror(-ret));
	}
	reclaimed = INFO(obj);
	EXPECT_EQ(RECLAIM_DIRTY, NOW(reclaimed, resident_pages)) TH_LOG("a dirty page was dropped");
	assert_file_holds(_metadata, b, "after reclaim: nothing written");

	mem = MAP_OBJECT(obj, RECLAIM_PAGES, 0, PROT_READ, MAP_SHARED);
	assert_object_holds(_metadata, b, mem, 0, RECLAIM_PAGES, "touched after reclaim");
	after = INFO(obj);
	EXPECT_EQ(6, DELTA(after, reclaimed, file_reads)) TH_LOG("pages 0-3 and 6-7");
	EXPECT_EQ(0, DELTA(after, reclaimed, swap_ins)) TH_LOG("pages 12-13 stayed, dirty");
	EXPECT_EQ(4, DELTA(after, reclaimed, zero_fills)) TH_LOG("pages 8-9 and 14-15");
}

TEST_HARNESS_MAIN
