// SPDX-License-Identifier: GPL-2.0
/*
 * toymap selftests: what a process observes when it maps /dev/toymapN.
 *
 * Each test starts from a clean object (the fixture discards all of it) and
 * checks what a user can see: the bytes, the frames and flags that
 * /proc/self/pagemap reports, the object's counters (as before/after deltas:
 * they are per object and only grow), errnos and signals.  Children are
 * synchronised with their parent through pipes, never by sleeping; the
 * harness's per-test alarm kills a test that hangs, with all its children
 * (they share its process group).
 *
 * Needs the module loaded and root (the device nodes are 0600 by default;
 * PFNs in pagemap need CAP_SYS_ADMIN): selftests/run.sh does both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toymap_fixture.h"
#include "toymap_badinput.h"

#define DEMAND_ZERO_MAP_MAX	(64UL << 20)

/*
 * @priv, a private mapping, reads the object through the object's own page:
 * the bytes and the frame of @shared, a shared mapping of the same offset.
 */
static void assert_maps_object_page(struct __test_metadata *_metadata, struct object *obj,
				    char *priv, char *shared)
{
	struct toymap_pte pte;

	ASSERT_EQ(0, memcmp(priv, shared, pagesize))
		TH_LOG("the private mapping does not read the object's data");
	pte = PTE(priv);
	ASSERT_TRUE(pte.present);
	ASSERT_TRUE(pte.file) TH_LOG("not the object's (file) page");
	ASSERT_SAME_FRAME(obj, pte, PTE(shared));
}

/*
 * @priv holds a private anonymous copy, every byte @byte, mapped by this
 * process only, while the object (seen through @shared) holds @object_byte.
 */
static void assert_private_copy(struct __test_metadata *_metadata, char *priv, char byte,
				char *shared, char object_byte)
{
	struct toymap_pte pte = PTE(priv);

	ASSERT_TRUE(pte.present) TH_LOG("the private copy is not mapped");
	EXPECT_FALSE(pte.file) TH_LOG("the private copy must be anonymous, not the object's page");
	EXPECT_TRUE(pte.exclusive) TH_LOG("the private copy must be this process's only");
	EXPECT_TRUE(mem_is(priv, byte, pagesize)) TH_LOG("the private copy lost its data");
	EXPECT_TRUE(mem_is(shared, object_byte, pagesize)) TH_LOG("a private write reached the object");
}

/* ------------------------------------------------------------------------ */
/* Tests about one object, each of which picks its own kinds of mappings.   */

FIXTURE(object)
{
	struct object obj;
};

FIXTURE_SETUP(object)
{
	open_clean_object(_metadata, &self->obj);
}

FIXTURE_TEARDOWN(object)
{
	close_object(&self->obj);
}

/*
 * large_folios=1 is taken where the kernel has large folios in the page
 * cache (THP), and refused with EINVAL where it has none (6.12-rt), the
 * parameter left off; a value that is no boolean is EINVAL everywhere.
 */
TEST_F(object, large_folios_needs_thp)
{
	bool thp = !access("/sys/kernel/mm/transparent_hugepage", F_OK);
	int ret;

	SKIP_UNLESS_ROOT("setting the large_folios parameter");
	ret = toymap_param_set(PARAM_LARGE_FOLIOS, "1");
	EXPECT_EQ(thp ? 0 : -EINVAL, ret) TH_LOG("large_folios=1 %s THP: %s",
						thp ? "with" : "without", strerror(-ret));
	EXPECT_EQ(thp ? 1 : 0, toymap_param_get_bool(PARAM_LARGE_FOLIOS));
	EXPECT_EQ(-EINVAL, toymap_param_set(PARAM_LARGE_FOLIOS, "2"));
	ASSERT_EQ(0, toymap_param_set(PARAM_LARGE_FOLIOS, "0"));
	EXPECT_EQ(0, toymap_param_get_bool(PARAM_LARGE_FOLIOS));
}

/* What the child of shared_frame_two_processes reports to its parent. */
struct frame_report {
	struct toymap_pte pte;	/* the child's page 0 */
};

static int child_share_frame(const struct object *obj, struct sync_pipes *sp)
{
	struct frame_report report;
	char *mem = map_object(obj, 3, 0, RW, MAP_SHARED);

	CHILD_CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	CHILD_CHECK(read_byte(mem) == 'p', "the parent's write not seen by the child");
	CHILD_CHECK(!toymap_pagemap_frame(frame_fd, mem, &report.pte), "pagemap");
	write_byte(page_of(mem, 1), 'c');
	CHILD_CHECK(!sync_send(sp, &report, sizeof(report)), "parent gone");
	CHILD_CHECK(!sync_wait(sp), "parent gone");
	CHILD_CHECK(read_byte(page_of(mem, 2)) == 'q',
		    "the parent's write after the child's mmap not seen by the child");
	return 0;
}

/*
 * Two processes map the object at different virtual addresses: both map
 * the same frame, and each sees what the other writes.
 */
TEST_F(object, shared_frame_two_processes)
{
	struct object *obj = &self->obj;
	char *mem = MAP_OBJECT(obj, 3, 0, RW, MAP_SHARED);
	struct frame_report child;
	struct sync_pipes sp;
	pid_t pid;

	write_byte(mem, 'p');
	ASSERT_EQ(0, sync_open(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sync_as_child(&sp);
		/* the parent's mapping, inherited, keeps the child's mmap elsewhere */
		_exit(child_share_frame(obj, &sp));
	}
	sync_as_parent(&sp);
	ASSERT_EQ(0, sync_recv(&sp, &child, sizeof(child)))
		TH_LOG("the child failed before reporting its frame");
	EXPECT_EQ('c', read_byte(page_of(mem, 1)))
		TH_LOG("the child's write not seen by the parent");
	write_byte(page_of(mem, 2), 'q');
	ASSERT_EQ(0, sync_signal(&sp));
	ASSERT_CHILD_OK(pid);
	sync_close(&sp);

	ASSERT_SAME_FRAME(obj, PTE(mem), child.pte);
	SKIP_IF_FRAMES_UNCHECKED(obj);
}

/* A read through MAP_PRIVATE maps the object's own frame, as a file page. */
TEST_F(object, private_read_maps_object_frame)
{
	struct object *obj = &self->obj;
	char *shared = MAP_OBJECT(obj, 1, 0, RW, MAP_SHARED);
	char *priv = MAP_OBJECT(obj, 1, 0, RW, MAP_PRIVATE);

	memset(shared, 'o', pagesize);
	assert_maps_object_page(_metadata, obj, priv, shared);
	SKIP_IF_FRAMES_UNCHECKED(obj);
}

/*
 * A write through MAP_PRIVATE gets a private anonymous copy: a new frame,
 * exclusive, not a file page.  The object, and another private mapping that
 * only read it, still see the old data.
 */
TEST_F(object, private_write_copies)
{
	struct object *obj = &self->obj;
	char *shared = MAP_OBJECT(obj, 1, 0, RW, MAP_SHARED);
	char *priv = MAP_OBJECT(obj, 1, 0, RW, MAP_PRIVATE);
	char *other = MAP_OBJECT(obj, 1, 0, RW, MAP_PRIVATE);
	struct toymap_pte before;

	memset(shared, 'o', pagesize);
	ASSERT_EQ('o', read_byte(priv));
	ASSERT_EQ('o', read_byte(other));
	before = PTE(priv);
	ASSERT_TRUE(before.file);

	memset(priv, 'w', pagesize);
	assert_private_copy(_metadata, priv, 'w', shared, 'o');
	ASSERT_OTHER_FRAME(obj, PTE(priv), before);
	assert_maps_object_page(_metadata, obj, other, shared);
	SKIP_IF_FRAMES_UNCHECKED(obj);
}

/*
 * The first write to an untouched page of a private mapping reaches the
 * module as one fault with a COW page; a write after a read is copied by the
 * kernel alone and is not counted.
 */
TEST_F(object, private_first_write_is_one_cow_fault)
{
	struct object *obj = &self->obj;
	char *priv = MAP_OBJECT(obj, 2, 0, RW, MAP_PRIVATE);
	struct toymap_info before, after_write, after_read, after_second;

	before = INFO(obj);
	write_byte(priv, 'w');
	after_write = INFO(obj);
	EXPECT_EQ(1, DELTA(after_write, before, cow_faults));
	EXPECT_EQ(1, DELTA(after_write, before, faults));
	EXPECT_EQ(1, DELTA(after_write, before, zero_fills))
		TH_LOG("the object's page is made (zero) to copy from");
	EXPECT_EQ(1, NOW(after_write, resident_pages));
	EXPECT_EQ(0, DELTA(after_write, before, page_mkwrites));
	EXPECT_FALSE(PTE(priv).file);

	read_byte(page_of(priv, 1));
	after_read = INFO(obj);
	EXPECT_EQ(0, DELTA(after_read, after_write, cow_faults));
	EXPECT_TRUE(PTE(page_of(priv, 1)).file);
	write_byte(page_of(priv, 1), 'w');
	after_second = INFO(obj);
	EXPECT_EQ(0, DELTA(after_second, after_read, cow_faults))
		TH_LOG("a write after a read is the kernel's COW, never the module's");
	EXPECT_EQ(0, DELTA(after_second, after_read, faults));
	EXPECT_FALSE(PTE(page_of(priv, 1)).file);
}

static int child_fork_views(char *shared, char *priv, struct sync_pipes *sp)
{
	CHILD_CHECK(read_byte(shared) == 'a', "the shared page written before fork not seen");
	CHILD_CHECK(read_byte(priv) == 'p', "the private copy made before fork not inherited");
	write_byte(shared, 'c');
	write_byte(priv, 'C');
	write_byte(page_of(priv, 1), 'C');
	CHILD_CHECK(!sync_signal(sp), "parent gone");
	CHILD_CHECK(!sync_wait(sp), "parent gone");
	CHILD_CHECK(read_byte(shared) == 'P', "the parent's shared write not seen by the child");
	CHILD_CHECK(read_byte(priv) == 'C', "the parent's private write leaked into the child");
	CHILD_CHECK(read_byte(page_of(priv, 1)) == 'C', "the child lost its private copy");
	return 0;
}

/*
 * fork(): a MAP_SHARED area stays shared both ways; a MAP_PRIVATE area
 * becomes copy-on-write in both processes, so no private write leaks in
 * either direction, nor into the object.  Every VMA opened is closed.
 */
TEST_F(object, fork_shared_and_private)
{
	struct object *obj = &self->obj;
	struct toymap_info before, after;
	char *shared, *priv, *view;
	struct sync_pipes sp;
	pid_t pid;

	before = INFO(obj);
	shared = MAP_OBJECT(obj, 1, 0, RW, MAP_SHARED);
	priv = MAP_OBJECT(obj, 2, 1, RW, MAP_PRIVATE);
	write_byte(shared, 'a');
	write_byte(priv, 'p');	/* a private copy before fork; page 1 never written */

	ASSERT_EQ(0, sync_open(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sync_as_child(&sp);
		_exit(child_fork_views(shared, priv, &sp));
	}
	sync_as_parent(&sp);
	ASSERT_EQ(0, sync_wait(&sp)) TH_LOG("the child failed before writing");
	EXPECT_EQ('c', read_byte(shared)) TH_LOG("the child's shared write not seen by the parent");
	EXPECT_EQ('p', read_byte(priv)) TH_LOG("the child's private write leaked into the parent");
	EXPECT_EQ(0, read_byte(page_of(priv, 1)))
		TH_LOG("the child's private write leaked into the parent's view of the object");
	write_byte(shared, 'P');
	write_byte(priv, 'q');
	ASSERT_EQ(0, sync_signal(&sp));
	ASSERT_CHILD_OK(pid);
	sync_close(&sp);

	view = MAP_OBJECT(obj, 2, 1, PROT_READ, MAP_SHARED);
	EXPECT_TRUE(mem_is(view, 0, 2 * pagesize)) TH_LOG("a private write reached the object");
	ASSERT_EQ(0, munmap(view, 2 * pagesize));
	ASSERT_EQ(0, munmap(shared, pagesize));
	ASSERT_EQ(0, munmap(priv, 2 * pagesize));
	after = INFO(obj);
	EXPECT_EQ(DELTA(after, before, vma_opens), DELTA(after, before, vma_closes));
	EXPECT_EQ(5, DELTA(after, before, vma_opens)) TH_LOG("3 mmaps and 2 fork copies");
}

/*
 * MADV_DONTNEED on a private mapping drops the private copy: the next read
 * sees the object's data again, through the object's frame.
 */
TEST_F(object, madv_dontneed_drops_private_copy)
{
	struct object *obj = &self->obj;
	char *shared = MAP_OBJECT(obj, 1, 0, RW, MAP_SHARED);
	char *priv = MAP_OBJECT(obj, 1, 0, RW, MAP_PRIVATE);

	memset(shared, 'o', pagesize);
	memset(priv, 'p', pagesize);
	assert_private_copy(_metadata, priv, 'p', shared, 'o');
	ASSERT_EQ(0, madvise(priv, pagesize, MADV_DONTNEED));
	EXPECT_FALSE(PTE(priv).present) TH_LOG("the private copy is still mapped");
	assert_maps_object_page(_metadata, obj, priv, shared);
	SKIP_IF_FRAMES_UNCHECKED(obj);
}

/* A private PROT_READ mapping made writable by mprotect() writes privately. */
TEST_F(object, mprotect_private_readonly_to_writable)
{
	struct object *obj = &self->obj;
	char *shared = MAP_OBJECT(obj, 1, 0, RW, MAP_SHARED);
	char *priv = MAP_OBJECT(obj, 1, 0, PROT_READ, MAP_PRIVATE);

	memset(shared, 'o', pagesize);
	ASSERT_EQ('o', read_byte(priv));
	ASSERT_TRUE(PTE(priv).file);
	ASSERT_EQ(0, mprotect(priv, pagesize, RW)) TH_LOG("mprotect: %s", strerror(errno));
	memset(priv, 'w', pagesize);
	assert_private_copy(_metadata, priv, 'w', shared, 'o');
}

/*
 * DISCARD takes pages away from the object, but a private COW copy belongs
 * to its process and survives; the private mapping's other pages read the
 * object's new zeros.
 */
TEST_F(object, discard_keeps_private_copies)
{
	struct object *obj = &self->obj;
	char *shared = MAP_OBJECT(obj, 2, 0, RW, MAP_SHARED);
	char *priv = MAP_OBJECT(obj, 2, 0, RW, MAP_PRIVATE);

	memset(shared, 'S', 2 * pagesize);
	memset(priv, 'P', pagesize);		/* page 0: a private copy */
	ASSERT_EQ('S', read_byte(page_of(priv, 1)));	/* page 1: the object's */
	ASSERT_EQ(0, toymap_discard(obj->fd, 0, 2 * pagesize));

	assert_private_copy(_metadata, priv, 'P', shared, 0);
	EXPECT_FALSE(PTE(page_of(priv, 1)).present)
		TH_LOG("the object's page is still mapped privately after DISCARD");
	EXPECT_TRUE(mem_is(page_of(priv, 1), 0, pagesize));
	EXPECT_TRUE(mem_is(shared, 0, 2 * pagesize)) TH_LOG("the object is not zero after DISCARD");
}

/*
 * module_pages (all objects) grows by one per page made, not for private
 * copies, stays when mappings go, and shrinks back when pages are discarded.
 */
TEST_F(object, module_pages_follow_the_pages)
{
	struct object *obj = &self->obj;
	struct toymap_info before, made, copied, unmapped, discarded;
	char *shared, *priv;

	before = INFO(obj);
	shared = MAP_OBJECT(obj, 8, 0, RW, MAP_SHARED);
	for (size_t i = 0; i < 8; i++)
		write_byte(page_of(shared, i), 1);
	made = INFO(obj);
	EXPECT_EQ(8, DELTA(made, before, module_pages));
	EXPECT_EQ(8, NOW(made, resident_pages));

	priv = MAP_OBJECT(obj, 1, 8, RW, MAP_PRIVATE);
	write_byte(priv, 1);
	copied = INFO(obj);
	EXPECT_EQ(1, DELTA(copied, made, module_pages))
		TH_LOG("the object's page counts, the private copy does not");

	ASSERT_EQ(0, munmap(shared, 8 * pagesize));
	ASSERT_EQ(0, munmap(priv, pagesize));
	unmapped = INFO(obj);
	EXPECT_EQ(0, DELTA(unmapped, copied, module_pages)) TH_LOG("munmap freed object pages");
	EXPECT_EQ(9, NOW(unmapped, resident_pages));

	ASSERT_EQ(0, toymap_discard(obj->fd, 0, 9 * pagesize));
	discarded = INFO(obj);
	EXPECT_EQ(0, DELTA(discarded, before, module_pages));
	EXPECT_EQ(0, NOW(discarded, resident_pages));
	EXPECT_EQ(9, DELTA(discarded, unmapped, discarded_pages));
	EXPECT_GE(NOW(discarded, max_pages), NOW(made, module_pages));
}

/*
 * Over max_pages (module-wide) a fault that needs a new page gets SIGBUS;
 * the pages already made stay readable.
 */
TEST_F(object, sigbus_over_max_pages)
{
	struct object *obj = &self->obj;
	struct toymap_info before, after;
	char limit[32];
	char *mem;

	SKIP_UNLESS_ROOT("setting the max_pages parameter");
	before = INFO(obj);
	snprintf(limit, sizeof(limit), "%llu", (unsigned long long)before.module_pages + 2);
	mem = MAP_OBJECT(obj, 3, 0, RW, MAP_SHARED);
	SET_PARAM(PARAM_MAX_PAGES, limit);
	write_byte(page_of(mem, 0), 'a');
	write_byte(page_of(mem, 1), 'b');
	EXPECT_EQ(SIGBUS, touch_in_child(page_of(mem, 2), false)) TH_LOG("a page over max_pages");
	after = INFO(obj);
	EXPECT_EQ(NOW(before, module_pages) + 2, NOW(after, max_pages));
	EXPECT_EQ(NOW(after, max_pages), NOW(after, module_pages));
	EXPECT_EQ(1, DELTA(after, before, sigbus_faults));
	EXPECT_EQ(2, NOW(after, resident_pages));
	EXPECT_EQ('a', read_byte(page_of(mem, 0)));
	EXPECT_EQ('b', read_byte(page_of(mem, 1)));
}

/*
 * With trace=1 every fault and discard logs a line that names the process
 * and the page offset; with trace=0 nothing is logged.
 */
TEST_F(object, trace_lines_follow_trace_param)
{
	static char log[1 << 16];
	struct object *obj = &self->obj;
	char prefix[64], pgoff[32];
	int kmsg, ret;
	char *mem;

	KMSG_OPEN_OR_SKIP(kmsg);
	snprintf(prefix, sizeof(prefix), TRACE_LINE_PREFIX_FMT, OBJECT_INDEX, (int)getpid());
	mem = MAP_OBJECT(obj, 4, 0, RW, MAP_SHARED);

	SET_PARAM(PARAM_TRACE, "1");
	read_byte(page_of(mem, 0));
	read_byte(page_of(mem, 1));
	write_byte(page_of(mem, 2), 1);
	ASSERT_EQ(0, toymap_discard(obj->fd, 3 * pagesize, pagesize));
	ret = kmsg_read_new(kmsg, log, sizeof(log));
	ASSERT_LE(0, ret) TH_LOG("reading /dev/kmsg: %s", strerror(-ret));
	for (int i = 0; i < 3; i++) {
		snprintf(pgoff, sizeof(pgoff), "pgoff %d ", i);
		EXPECT_LE(1, count_lines(log, prefix, pgoff))
			TH_LOG("no trace line \"%s...%s\" in:\n%s", prefix, pgoff, log);
	}
	EXPECT_LE(2, count_lines(log, prefix, TRACE_ZERO_FILL));
	EXPECT_LE(1, count_lines(log, prefix, TRACE_DISCARD))
		TH_LOG("no trace line for the discard in:\n%s", log);

	SET_PARAM(PARAM_TRACE, "0");
	read_byte(page_of(mem, 3));
	write_byte(page_of(mem, 0), 1);
	ASSERT_EQ(0, toymap_discard(obj->fd, 0, 4 * pagesize));
	ret = kmsg_read_new(kmsg, log, sizeof(log));
	ASSERT_LE(0, ret) TH_LOG("reading /dev/kmsg: %s", strerror(-ret));
	EXPECT_EQ(0, count_lines(log, prefix, NULL)) TH_LOG("traced with trace=0:\n%s", log);
	close(kmsg);
}

/* ------------------------------------------------------------------------ */
/* The bad-input tables: every ioctl and mmap case, on every object.        */

#define PARAM_DEVICES		"devices"

/* How many objects the module has: its devices= parameter, checked against /dev. */
static unsigned int count_devices(struct __test_metadata *_metadata)
{
	char value[32], *end;
	unsigned long devices;
	int ret, fd;

	ret = toymap_param_get(PARAM_DEVICES, value, sizeof(value));
	ASSERT_EQ(0, ret) TH_LOG("reading parameter %s: %s", PARAM_DEVICES, strerror(-ret));
	devices = strtoul(value, &end, 10);
	ASSERT_TRUE(end != value && !*end && devices >= 1) TH_LOG("%s=%s", PARAM_DEVICES, value);
	ASSERT_EQ((int)devices, toymap_count_devices())
		TH_LOG("/dev/toymapN nodes other than %s=%lu", PARAM_DEVICES, devices);
	fd = toymap_open(devices, O_RDONLY | O_CLOEXEC);
	ASSERT_EQ(-ENOENT, fd) TH_LOG("/dev/toymap%lu exists with %s=%lu", devices,
				      PARAM_DEVICES, devices);
	return devices;
}

/*
 * The rows of the one table of bad inputs (userspace/lib/toymap_badinput.c)
 * on one object, in order: every row but the O_DIRECT ones, which are the
 * stress's (the descriptors here are made without TOYMAP_BAD_DIRECT).
 */
static void ioctl_rows_run(struct __test_metadata *_metadata, unsigned int index,
			   const struct toymap_bad_target *t)
{
	for (size_t i = 0; i < toymap_bad_nrows; i++) {
		const struct toymap_bad_row *row = &toymap_bad_rows[i];
		void *arg;
		int err;

		if (toymap_bad_needs(row) & TOYMAP_BAD_DIRECT)
			continue;
		err = toymap_bad_arg(row, t, &arg);
		ASSERT_EQ(0, err) TH_LOG("toymap%u: %s: laying out the argument: %s", index,
					 row->name, strerror(-err));
		err = ioctl(t->device_fd, row->cmd, arg) < 0 ? errno : 0;
		EXPECT_EQ(row->expect, err) TH_LOG("toymap%u: %s: expected %s, got %s", index,
						   row->name, errno_name(row->expect),
						   errno_name(err));
	}
}

/*
 * Every malformed ioctl fails with its own errno, on every object: a wrong
 * size, non-zero tail bytes, flags or reserved fields, a bad range, a bad
 * pointer, a bad file descriptor, an unknown command.  Each object ends as
 * it started: anonymous, empty, never mapped.
 */
TEST_F(object, bad_ioctl_inputs)
{
	unsigned int devices = count_devices(_metadata);
	char *buf = toymap_bad_buf();
	struct toymap_bad_fds fds;
	int ret;

	ASSERT_NE(NULL, buf) TH_LOG("the argument buffer: %s", strerror(errno));
	ret = toymap_bad_fds_open(&fds, "test", TOYMAP_BAD_STDIO);
	ASSERT_EQ(0, ret) TH_LOG("making the descriptors: %s", strerror(-ret));
	for (unsigned int i = 0; i < devices; i++) {
		struct toymap_info before, after;
		struct toymap_bad_target t;
		struct object dev;

		open_device(_metadata, i, &dev);
		before = INFO(&dev);
		t = (struct toymap_bad_target){
			.buf = buf, .fds = &fds, .device_fd = dev.fd, .end = dev.size,
		};
		ioctl_rows_run(_metadata, i, &t);
		after = INFO(&dev);
		EXPECT_EQ(i, after.index);
		EXPECT_EQ(dev.size, after.object_size) TH_LOG("toymap%u: the object changed", i);
		EXPECT_EQ(0U, after.backing_flags)
			TH_LOG("toymap%u: a file or swap file stayed set", i);
		EXPECT_EQ(0, NOW(after, resident_pages)) TH_LOG("toymap%u: pages appeared", i);
		EXPECT_EQ(0, DELTA(after, before, vma_opens)) TH_LOG("toymap%u: mapped", i);
		close(dev.fd);
	}
	toymap_bad_fds_close(&fds);
	toymap_bad_buf_free(buf);
}

/* What a row of bad_mmap_inputs checks on the mapping it made. */
enum map_outcome {
	MAP_FAILS,		/* mmap() fails: nothing more */
	MAP_READS,		/* every page reads the object's bytes at its offset */
	MAP_SIGBUS,		/* a read of page 0 is SIGBUS, one sigbus fault */
	MAP_WRITES_PRIVATE,	/* a write makes a private copy; the object is unchanged */
	MAP_MPROTECT_REFUSED,	/* mprotect() to PROT_READ|PROT_WRITE is EACCES */
	MAP_REPLACES,		/* MAP_FIXED: the old mapping closed, the object's bytes */
	MAP_MREMAP,		/* growth is EFAULT (VM_DONTEXPAND), shrinking works */
	MAP_DONTFORK,		/* after MADV_DONTFORK a child has no mapping: SIGSEGV */
};

/* The descriptor of the object a row of bad_mmap_inputs maps. */
enum map_fd {
	MAP_FD_RDWR,
	MAP_FD_RDONLY,
	MAP_FD_WRONLY,
	NR_MAP_FDS
};

struct mmap_case {
	const char *name;
	size_t length;
	int prot;
	int flags;		/* with MAP_FIXED(_NOREPLACE): over a mapping made first */
	off_t offset;
	enum map_fd fd;
	int expect;		/* errno of mmap(), 0 when it maps */
	enum map_outcome outcome;	/* when it maps */
};

/*
 * One row: its name, length, prot, flags, offset, the descriptor (RDWR,
 * RDONLY or WRONLY), the errno of mmap() (0: it maps) and the outcome.
 */
#define MAP_ROW(row_name, row_length, row_prot, row_flags, row_offset, row_fd, row_expect,	\
		row_outcome)								\
	{ .name = (row_name), .length = (row_length), .prot = (row_prot),			\
	  .flags = (row_flags), .offset = (row_offset), .fd = MAP_FD_##row_fd,		\
	  .expect = (row_expect), .outcome = (row_outcome) }

/* The first pages of each object hold FILLED_PAGES different bytes; the rest are zero. */
#define FILLED_PAGES	4
/* Rows that write through a mapping use pages from here on. */
#define SCRATCH_PAGE	8

static char filled_byte(unsigned int index, size_t pgoff)
{
	if (pgoff >= FILLED_PAGES)
		return 0;
	return (char)(0x80 | ((index * FILLED_PAGES + pgoff) & 0x7f));
}

/* Fill the first pages of object @index, through a mapping made and undone here. */
static void fill_object(struct __test_metadata *_metadata, struct object *dev, unsigned int index)
{
	char *mem = MAP_OBJECT(dev, FILLED_PAGES, 0, RW, MAP_SHARED);

	for (size_t i = 0; i < FILLED_PAGES; i++)
		memset(page_of(mem, i), filled_byte(index, i), pagesize);
	ASSERT_EQ(0, munmap(mem, FILLED_PAGES * pagesize));
}

/* The checks of MAP_MREMAP on @mem, 4 pages mapped writable; it unmaps @mem. */
static void check_mremap(struct __test_metadata *_metadata, unsigned int index, const char *name,
			 char *mem)
{
	char *moved;
	int err;

	for (size_t i = 0; i < 4; i++)
		write_byte(page_of(mem, i), 'a' + i);
	moved = mremap(mem, 4 * pagesize, 8 * pagesize, MREMAP_MAYMOVE);
	err = moved == MAP_FAILED ? errno : 0;
	EXPECT_EQ(EFAULT, err) TH_LOG("toymap%u: %s: growing, may move: %s", index, name,
				      errno_name(err));
	moved = mremap(mem, 4 * pagesize, 8 * pagesize, 0);
	err = moved == MAP_FAILED ? errno : 0;
	EXPECT_EQ(EFAULT, err) TH_LOG("toymap%u: %s: growing in place: %s", index, name,
				      errno_name(err));

	moved = mremap(mem, 4 * pagesize, 2 * pagesize, 0);
	ASSERT_EQ(mem, moved) TH_LOG("toymap%u: %s: shrinking: %s", index, name, strerror(errno));
	EXPECT_EQ('a', read_byte(mem));
	EXPECT_EQ('b', read_byte(page_of(mem, 1)));
	EXPECT_EQ(SIGSEGV, touch_in_child(page_of(mem, 2), false))
		TH_LOG("toymap%u: %s: the cut-off part", index, name);
	ASSERT_EQ(0, munmap(mem, 2 * pagesize));
}

/* What a row that mapped @mem from page @pgoff of object @index expects of it. */
static void check_outcome(struct __test_metadata *_metadata, struct object *dev,
			  unsigned int index, const struct mmap_case *c, char *mem)
{
	size_t pgoff = c->offset / pagesize, pages = (c->length + pagesize - 1) / pagesize;
	char *view, byte = filled_byte(index, pgoff);
	struct toymap_info before = INFO(dev), after;
	int err, sig;

	switch (c->outcome) {
	case MAP_FAILS:
		break;
	case MAP_READS:
	case MAP_REPLACES:
		for (size_t i = 0; i < pages; i++) {
			byte = filled_byte(index, pgoff + i);
			EXPECT_TRUE(mem_is(page_of(mem, i), byte, pagesize))
				TH_LOG("toymap%u: %s: page %zu is not the object's", index,
				       c->name, i);
		}
		break;
	case MAP_SIGBUS:
		sig = touch_in_child(mem, false);
		after = INFO(dev);
		EXPECT_EQ(SIGBUS, sig) TH_LOG("toymap%u: %s: the touch got signal %d", index,
					      c->name, sig);
		EXPECT_EQ(1, DELTA(after, before, sigbus_faults)) TH_LOG("toymap%u: %s", index,
									  c->name);
		break;
	case MAP_WRITES_PRIVATE:
		view = MAP_OBJECT(dev, 1, pgoff, PROT_READ, MAP_SHARED);
		memset(mem, 'w', pagesize);
		assert_private_copy(_metadata, mem, 'w', view, byte);
		ASSERT_EQ(0, munmap(view, pagesize));
		break;
	case MAP_MPROTECT_REFUSED:
		EXPECT_EQ(byte, read_byte(mem)) TH_LOG("toymap%u: %s", index, c->name);
		err = mprotect(mem, c->length, RW) ? errno : 0;
		EXPECT_EQ(EACCES, err) TH_LOG("toymap%u: %s: mprotect to writable: %s", index,
					      c->name, errno_name(err));
		break;
	case MAP_MREMAP:
		check_mremap(_metadata, index, c->name, mem);
		break;
	case MAP_DONTFORK:
		write_byte(mem, 'd');
		ASSERT_EQ(0, madvise(mem, c->length, MADV_DONTFORK)) TH_LOG("%s", strerror(errno));
		before = INFO(dev);
		sig = touch_in_child(mem, false);
		after = INFO(dev);
		EXPECT_EQ(SIGSEGV, sig) TH_LOG("toymap%u: %s: the child's touch got signal %d",
					       index, c->name, sig);
		EXPECT_EQ(0, DELTA(after, before, vma_opens))
			TH_LOG("toymap%u: %s: the child got a mapping", index, c->name);
		EXPECT_EQ('d', read_byte(mem)) TH_LOG("toymap%u: %s: the parent lost its data",
						      index, c->name);
		break;
	}
}

/*
 * One row on object @index: mmap() fails with the row's errno and opens no
 * mapping, or maps (one mapping opened; with MAP_FIXED one closed too) and
 * then behaves as the row's outcome says.  Every mapping is gone after.
 */
static void mmap_row_run(struct __test_metadata *_metadata, struct object *dev,
			 unsigned int index, const int *fds, const struct mmap_case *c)
{
	bool fixed = c->flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	struct toymap_info start = INFO(dev), before, after;
	char *old = NULL, *mem;
	int err;

	if (fixed) {
		old = MAP_OBJECT(dev, (c->length + pagesize - 1) / pagesize, 0, RW, MAP_PRIVATE);
		memset(old, 'x', c->length);
	}
	before = INFO(dev);
	mem = mmap(old, c->length, c->prot, c->flags, fds[c->fd], c->offset);
	err = mem == MAP_FAILED ? errno : 0;
	after = INFO(dev);
	EXPECT_EQ(c->expect, err) TH_LOG("toymap%u: %s: expected %s, got %s", index, c->name,
					 errno_name(c->expect), errno_name(err));
	EXPECT_EQ(err ? 0 : 1, DELTA(after, before, vma_opens))
		TH_LOG("toymap%u: %s: mappings opened", index, c->name);
	if (c->outcome == MAP_REPLACES || c->expect == EEXIST) {
		EXPECT_EQ(err ? 0 : 1, DELTA(after, before, vma_closes))
			TH_LOG("toymap%u: %s: old mappings closed", index, c->name);
		EXPECT_EQ(err ? 'x' : filled_byte(index, c->offset / pagesize), read_byte(old))
			TH_LOG("toymap%u: %s: what the address reads", index, c->name);
	}
	if (!err && !c->expect)
		check_outcome(_metadata, dev, index, c, mem);
	if (!err && c->outcome != MAP_MREMAP)
		ASSERT_EQ(0, munmap(mem, c->length));
	if (old)
		ASSERT_EQ(0, munmap(old, c->length));
	after = INFO(dev);
	EXPECT_EQ(DELTA(after, start, vma_opens), DELTA(after, start, vma_closes))
		TH_LOG("toymap%u: %s: a mapping left open", index, c->name);
}

/*
 * The rows of bad_mmap_inputs for object @index (@dev, also open read-only
 * and write-only in @fds).  The errnos are core mm's (mm/mmap.c, mm/mremap.c,
 * the same on 6.1, 6.12 and 7.3) and the module's: an offset+length past
 * what an offset can hold is EOVERFLOW (file_mmap_ok()), a length past the
 * address space ENOMEM; a mapping past the end of the object is allowed and
 * a touch there is SIGBUS; VM_DONTEXPAND makes growth EFAULT.
 */
static void mmap_rows_run(struct __test_metadata *_metadata, struct object *dev,
			  unsigned int index, const int *fds)
{
	const size_t pg = pagesize;
	const off_t end = dev->size, scratch = SCRATCH_PAGE * pg, top = -(off_t)pg;
	const int shared = MAP_SHARED, private = MAP_PRIVATE, rd = PROT_READ;
	const struct mmap_case cases[] = {
		MAP_ROW("zero length, shared", 0, rd, shared, 0, RDWR, EINVAL, MAP_FAILS),
		MAP_ROW("zero length, private", 0, rd, private, 0, RDWR, EINVAL, MAP_FAILS),
		MAP_ROW("length 1: a page", 1, rd, shared, 0, RDWR, 0, MAP_READS),
		MAP_ROW("length a page + 1: two pages", pg + 1, rd, private, pg, RDWR, 0,
			MAP_READS),
		MAP_ROW("length 2^47, past the address space", 1UL << 47, rd, shared, 0, RDWR,
			ENOMEM, MAP_FAILS),
		MAP_ROW("length SIZE_MAX - a page + 1", -pg, rd, shared, 0, RDWR, ENOMEM,
			MAP_FAILS),
		MAP_ROW("length SIZE_MAX, 0 when page-aligned", SIZE_MAX, rd, shared, 0, RDWR,
			ENOMEM, MAP_FAILS),
		MAP_ROW("offset 1", pg, rd, shared, 1, RDWR, EINVAL, MAP_FAILS),
		MAP_ROW("offset a page + 1", pg, rd, private, pg + 1, RDWR, EINVAL, MAP_FAILS),
		MAP_ROW("offset -1", pg, rd, shared, -1, RDWR, EINVAL, MAP_FAILS),
		MAP_ROW("offset+length overflows, shared", 2 * pg, rd, shared, top, RDWR,
			EOVERFLOW, MAP_FAILS),
		MAP_ROW("offset+length overflows, private", 2 * pg, rd, private, top, RDWR,
			EOVERFLOW, MAP_FAILS),
		MAP_ROW("offset+length ends at 2^64", pg, rd, shared, top, RDWR, EOVERFLOW,
			MAP_FAILS),
		MAP_ROW("offset 2^63 maps, past the end", pg, rd, shared, INT64_MIN, RDWR, 0,
			MAP_SIGBUS),
		MAP_ROW("offset at the end", pg, rd, shared, end, RDWR, 0, MAP_SIGBUS),
		MAP_ROW("offset past the end, shared", pg, rd, shared, end + 16 * pg, RDWR, 0,
			MAP_SIGBUS),
		MAP_ROW("offset past the end, private", pg, rd, private, end + 16 * pg, RDWR, 0,
			MAP_SIGBUS),
		MAP_ROW("neither MAP_SHARED nor MAP_PRIVATE", pg, rd, 0, 0, RDWR, EINVAL,
			MAP_FAILS),
		MAP_ROW("MAP_SHARED_VALIDATE, MAP_SYNC", pg, rd, MAP_SHARED_VALIDATE | MAP_SYNC, 0,
			RDWR, EOPNOTSUPP, MAP_FAILS),
		MAP_ROW("MAP_SHARED_VALIDATE, known flags", pg, rd, MAP_SHARED_VALIDATE, 0, RDWR, 0,
			MAP_READS),
		MAP_ROW("MAP_GROWSDOWN", pg, rd, private | MAP_GROWSDOWN, 0, RDWR, EINVAL,
			MAP_FAILS),
		MAP_ROW("MAP_FIXED over a mapping, shared", 2 * pg, RW, shared | MAP_FIXED, pg,
			RDWR, 0, MAP_REPLACES),
		MAP_ROW("MAP_FIXED over a mapping, private", 2 * pg, rd, private | MAP_FIXED, pg,
			RDWR, 0, MAP_REPLACES),
		MAP_ROW("MAP_FIXED_NOREPLACE over a mapping", 2 * pg, rd,
			shared | MAP_FIXED_NOREPLACE, pg, RDWR, EEXIST, MAP_FAILS),
		MAP_ROW("O_RDONLY: MAP_SHARED, PROT_WRITE", pg, RW, shared, 0, RDONLY, EACCES,
			MAP_FAILS),
		MAP_ROW("O_RDONLY: MAP_SHARED, PROT_READ", pg, rd, shared, 0, RDONLY, 0,
			MAP_MPROTECT_REFUSED),
		MAP_ROW("O_RDONLY: MAP_PRIVATE, PROT_WRITE", pg, RW, private, pg, RDONLY, 0,
			MAP_WRITES_PRIVATE),
		MAP_ROW("O_WRONLY: MAP_SHARED, PROT_WRITE", pg, RW, shared, 0, WRONLY, EACCES,
			MAP_FAILS),
		MAP_ROW("O_WRONLY: MAP_PRIVATE", pg, rd, private, 0, WRONLY, EACCES, MAP_FAILS),
		MAP_ROW("mremap growth, shared", 4 * pg, RW, shared, scratch, RDWR, 0, MAP_MREMAP),
		MAP_ROW("mremap growth, private", 4 * pg, RW, private, scratch, RDWR, 0,
			MAP_MREMAP),
		MAP_ROW("fork after MADV_DONTFORK, shared", pg, RW, shared, scratch + 4 * pg, RDWR,
			0, MAP_DONTFORK),
		MAP_ROW("fork after MADV_DONTFORK, private", pg, RW, private, scratch + 4 * pg,
			RDWR, 0, MAP_DONTFORK),
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		mmap_row_run(_metadata, dev, index, fds, &cases[i]);
}

/*
 * mmap(), mprotect(), mremap() and MADV_DONTFORK with bad and edge inputs,
 * on every object: each row fails with its errno and opens no mapping, or
 * maps and then behaves as the row says.  No row leaves a mapping, and the
 * object's data stays as the test wrote it.
 */
TEST_F(object, bad_mmap_inputs)
{
	unsigned int devices = count_devices(_metadata);

	for (unsigned int i = 0; i < devices; i++) {
		struct toymap_info before, after;
		int fds[NR_MAP_FDS];
		struct object dev;
		char *mem;

		open_device(_metadata, i, &dev);
		fds[MAP_FD_RDWR] = dev.fd;
		fds[MAP_FD_RDONLY] = toymap_open(i, O_RDONLY | O_CLOEXEC);
		fds[MAP_FD_WRONLY] = toymap_open(i, O_WRONLY | O_CLOEXEC);
		ASSERT_LE(0, fds[MAP_FD_RDONLY]) TH_LOG("%s", strerror(-fds[MAP_FD_RDONLY]));
		ASSERT_LE(0, fds[MAP_FD_WRONLY]) TH_LOG("%s", strerror(-fds[MAP_FD_WRONLY]));
		fill_object(_metadata, &dev, i);

		before = INFO(&dev);
		mmap_rows_run(_metadata, &dev, i, fds);
		after = INFO(&dev);
		EXPECT_EQ(DELTA(after, before, vma_opens), DELTA(after, before, vma_closes))
			TH_LOG("toymap%u: mappings left open", i);

		mem = MAP_OBJECT(&dev, FILLED_PAGES, 0, PROT_READ, MAP_SHARED);
		for (size_t p = 0; p < FILLED_PAGES; p++) {
			EXPECT_TRUE(mem_is(page_of(mem, p), filled_byte(i, p), pagesize))
				TH_LOG("toymap%u: page %zu of the object changed", i, p);
		}
		ASSERT_EQ(0, munmap(mem, FILLED_PAGES * pagesize));
		ASSERT_EQ(0, toymap_discard(dev.fd, 0, dev.size));
		close(fds[MAP_FD_WRONLY]);
		close(fds[MAP_FD_RDONLY]);
		close(dev.fd);
	}
}

/*
 * A program built against the first published struct toymap_info passes
 * TOYMAP_INFO_SIZE_VER0: it gets the fields it knows with size 120, and no
 * byte past them is written.  A program built now gets every field.
 */
TEST_F(object, info_first_published_size)
{
	struct object *obj = &self->obj;
	union {
		struct toymap_info info;
		unsigned char bytes[sizeof(struct toymap_info) + 64];
	} old;
	struct toymap_info now;

	_Static_assert(offsetof(struct toymap_info, backing_flags) == TOYMAP_INFO_SIZE_VER0,
		       "TOYMAP_INFO_SIZE_VER0 ends where the file-backed fields start");
	now = INFO(obj);
	EXPECT_EQ(sizeof(struct toymap_info), now.size);

	memset(&old, 0xa5, sizeof(old));
	old.info.size = TOYMAP_INFO_SIZE_VER0;
	ASSERT_EQ(0, ioctl(obj->fd, TOYMAP_IOC_INFO, &old)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ((uint32_t)TOYMAP_INFO_SIZE_VER0, old.info.size);
	EXPECT_EQ((uint32_t)OBJECT_INDEX, old.info.index);
	EXPECT_EQ(now.object_size, old.info.object_size);
	EXPECT_EQ(now.max_pages, old.info.max_pages);
	EXPECT_EQ(0, NOW(old.info, resident_pages));
	EXPECT_TRUE(mem_is(old.bytes + TOYMAP_INFO_SIZE_VER0, 0xa5,
			   sizeof(old) - TOYMAP_INFO_SIZE_VER0))
		TH_LOG("INFO wrote past the %d bytes the caller passed", TOYMAP_INFO_SIZE_VER0);
}

/*
 * The module cannot be unloaded while a process uses it: with an open
 * descriptor, or with only a mapping left (descriptor closed).
 */
TEST_F(object, unload_refused_while_in_use)
{
	struct object *obj = &self->obj;
	char *mem;
	int ret;

	SKIP_UNLESS_ROOT("unloading a module");
	ret = toymap_unload();
	ASSERT_EQ(-EBUSY, ret) TH_LOG("unload with an open fd: %s", toymap_kmod_strerror(ret));
	ASSERT_TRUE(toymap_is_loaded());

	mem = MAP_OBJECT(obj, 1, 0, RW, MAP_SHARED);
	write_byte(mem, 'u');
	ASSERT_EQ(0, close(obj->fd));
	obj->fd = -1;
	ret = toymap_unload();
	ASSERT_EQ(-EBUSY, ret) TH_LOG("unload with a mapping: %s", toymap_kmod_strerror(ret));
	ASSERT_TRUE(toymap_is_loaded());
	EXPECT_EQ('u', read_byte(mem)) TH_LOG("the mapping broke");
	ASSERT_EQ(0, munmap(mem, pagesize));
}

/* ------------------------------------------------------------------------ */
/* Tests run once through MAP_SHARED and once through MAP_PRIVATE.           */

FIXTURE(mapping)
{
	struct object obj;
};

FIXTURE_VARIANT(mapping)
{
	int flags;		/* MAP_SHARED or MAP_PRIVATE */
};

FIXTURE_VARIANT_ADD(mapping, shared)
{
	.flags = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(mapping, private)
{
	.flags = MAP_PRIVATE,
};

FIXTURE_SETUP(mapping)
{
	open_clean_object(_metadata, &self->obj);
}

FIXTURE_TEARDOWN(mapping)
{
	close_object(&self->obj);
}

/*
 * Demand-zero: a large mapping holds no page until touched; each page
 * touched is one new zero page of the object, nothing more.
 */
TEST_F(mapping, demand_zero)
{
	struct object *obj = &self->obj;
	size_t len = obj->size < DEMAND_ZERO_MAP_MAX ? obj->size : DEMAND_ZERO_MAP_MAX;
	size_t pages = len / pagesize, touched[] = { 0, pages / 2, pages - 1 };
	struct toymap_info before, after;
	char *mem;

	before = INFO(obj);
	mem = MAP_OBJECT(obj, pages, 0, RW, variant->flags);
	EXPECT_EQ(0, toymap_mincore_count(mem, len));
	EXPECT_EQ(0, NOW(INFO(obj), resident_pages));

	for (size_t i = 0; i < ARRAY_SIZE(touched); i++) {
		EXPECT_TRUE(mem_is(page_of(mem, touched[i]), 0, pagesize))
			TH_LOG("page %zu is not zero", touched[i]);
	}
	after = INFO(obj);
	EXPECT_EQ(3, toymap_mincore_count(mem, len));
	EXPECT_EQ(3, NOW(after, resident_pages));
	EXPECT_EQ(3, DELTA(after, before, zero_fills));
	EXPECT_EQ(3, DELTA(after, before, faults));
	EXPECT_EQ(3, DELTA(after, before, module_pages));
	for (size_t i = 0; i < ARRAY_SIZE(touched); i++) {
		EXPECT_TRUE(PTE(page_of(mem, touched[i])).file);
	}
}

/*
 * An mmap straddling the end of the object is allowed; the page inside reads
 * zero, touching the page past the end raises SIGBUS.
 */
TEST_F(mapping, sigbus_past_end)
{
	struct object *obj = &self->obj;
	char *mem = MAP_OBJECT(obj, 2, obj->size / pagesize - 1, RW, variant->flags);
	struct toymap_info before, after;

	before = INFO(obj);
	EXPECT_TRUE(mem_is(mem, 0, pagesize)) TH_LOG("the object's last page is not zero");
	EXPECT_EQ(SIGBUS, touch_in_child(page_of(mem, 1), false)) TH_LOG("reading past the end");
	EXPECT_EQ(SIGBUS, touch_in_child(page_of(mem, 1), true)) TH_LOG("writing past the end");
	after = INFO(obj);
	EXPECT_EQ(2, DELTA(after, before, sigbus_faults));
	EXPECT_EQ(1, NOW(after, resident_pages));
}

/* A write to a PROT_READ mapping kills the writer; the object is unchanged. */
TEST_F(mapping, write_to_readonly_mapping_segfaults)
{
	struct object *obj = &self->obj;
	char *mem = MAP_OBJECT(obj, 1, 0, PROT_READ, variant->flags);
	struct toymap_info before, after;

	ASSERT_EQ(0, read_byte(mem));
	before = INFO(obj);
	EXPECT_EQ(SIGSEGV, touch_in_child(mem, true));
	after = INFO(obj);
	EXPECT_EQ(0, DELTA(after, before, page_mkwrites));
	EXPECT_EQ(0, DELTA(after, before, cow_faults));
	EXPECT_TRUE(mem_is(mem, 0, pagesize));
}

/* After munmap the address faults; what a shared write left stays in the object. */
TEST_F(mapping, access_after_munmap_segfaults)
{
	struct object *obj = &self->obj;
	char *mem = MAP_OBJECT(obj, 1, 0, RW, variant->flags);
	char expect = variant->flags == MAP_SHARED ? 'x' : 0;

	write_byte(mem, 'x');
	ASSERT_EQ(0, munmap(mem, pagesize));
	EXPECT_EQ(SIGSEGV, touch_in_child(mem, false));
	mem = MAP_OBJECT(obj, 1, 0, PROT_READ, MAP_SHARED);
	EXPECT_EQ(expect, read_byte(mem)) TH_LOG("what the object holds after munmap");
}

#define DISCARD_PAGES	4

static int child_discard_view(const struct object *obj, int flags, struct sync_pipes *sp)
{
	char *mem = map_object(obj, DISCARD_PAGES, 0, PROT_READ, flags);
	struct toymap_pte pte;

	CHILD_CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	for (size_t i = 0; i < DISCARD_PAGES; i++)
		CHILD_CHECK(read_byte(page_of(mem, i)) == (char)('d' + i),
			    "page %zu: the data written by the parent not seen", i);
	CHILD_CHECK(!sync_signal(sp), "parent gone");
	CHILD_CHECK(!sync_wait(sp), "parent gone");
	for (size_t i = 0; i < DISCARD_PAGES; i++) {
		CHILD_CHECK(!toymap_pagemap(page_of(mem, i), &pte), "pagemap");
		CHILD_CHECK(!pte.present, "page %zu still mapped in the child after DISCARD", i);
	}
	for (size_t i = 0; i < DISCARD_PAGES; i++) {
		CHILD_CHECK(mem_is(page_of(mem, i), 0, pagesize),
			    "page %zu not zero in the child after DISCARD", i);
		CHILD_CHECK(!toymap_pagemap(page_of(mem, i), &pte), "pagemap");
		CHILD_CHECK(pte.present && pte.file, "page %zu: not the object's page", i);
	}
	return 0;
}

/*
 * DISCARD unmaps the range from every process that maps it and frees the
 * pages; the next touch, in any process, is demand-zero again.
 */
TEST_F(mapping, discard_unmaps_everywhere)
{
	struct object *obj = &self->obj;
	struct toymap_info before, discarded, refilled;
	struct sync_pipes sp;
	char *writer;
	pid_t pid;

	writer = MAP_OBJECT(obj, DISCARD_PAGES, 0, RW, MAP_SHARED);
	for (size_t i = 0; i < DISCARD_PAGES; i++)
		memset(page_of(writer, i), 'd' + i, pagesize);
	ASSERT_EQ(0, sync_open(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sync_as_child(&sp);
		_exit(child_discard_view(obj, variant->flags, &sp));
	}
	sync_as_parent(&sp);
	ASSERT_EQ(0, sync_wait(&sp)) TH_LOG("the child failed before the discard");

	before = INFO(obj);
	ASSERT_EQ(0, toymap_discard(obj->fd, 0, DISCARD_PAGES * pagesize));
	discarded = INFO(obj);
	EXPECT_EQ(0, NOW(discarded, resident_pages));
	EXPECT_EQ(DISCARD_PAGES, DELTA(discarded, before, discarded_pages));
	EXPECT_EQ(-DISCARD_PAGES, DELTA(discarded, before, module_pages));
	for (size_t i = 0; i < DISCARD_PAGES; i++) {
		EXPECT_FALSE(PTE(page_of(writer, i)).present)
			TH_LOG("page %zu still mapped in the parent after DISCARD", i);
	}

	ASSERT_EQ(0, sync_signal(&sp));
	ASSERT_CHILD_OK(pid);
	sync_close(&sp);
	refilled = INFO(obj);
	EXPECT_EQ(DISCARD_PAGES, DELTA(refilled, discarded, zero_fills));
	EXPECT_TRUE(mem_is(writer, 0, DISCARD_PAGES * pagesize));
}

/*
 * Every VMA the module sees opened (mmap, the fork copy, the pieces of a
 * split) is closed again once all is unmapped.
 */
TEST_F(mapping, vma_opens_equal_closes)
{
	struct object *obj = &self->obj;
	struct toymap_info before, mapped, forked, after;
	char *mem;
	pid_t pid;

	before = INFO(obj);
	mem = MAP_OBJECT(obj, 4, 0, RW, variant->flags);
	mapped = INFO(obj);
	EXPECT_EQ(1, DELTA(mapped, before, vma_opens));
	EXPECT_EQ(0, DELTA(mapped, before, vma_closes));
	write_byte(mem, 1);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(read_byte(mem) == 1 ? 0 : 1);
	ASSERT_CHILD_OK(pid);
	forked = INFO(obj);
	EXPECT_EQ(1, DELTA(forked, mapped, vma_opens)) TH_LOG("the child's copy");
	EXPECT_EQ(1, DELTA(forked, mapped, vma_closes)) TH_LOG("the child's copy");

	ASSERT_EQ(0, mprotect(page_of(mem, 1), pagesize, PROT_READ));	/* split in three */
	ASSERT_EQ(0, munmap(mem, 4 * pagesize));
	after = INFO(obj);
	EXPECT_LE(4, DELTA(after, before, vma_opens));
	EXPECT_EQ(DELTA(after, before, vma_opens), DELTA(after, before, vma_closes));
}

#define AROUND_PAGES	64

/* Read each page of a new mapping of the first AROUND_PAGES pages; return the counters' growth. */
static int read_fresh_mapping(const struct object *obj, int flags, struct toymap_info *before,
			      struct toymap_info *after)
{
	char *mem = map_object(obj, AROUND_PAGES, 0, PROT_READ, flags);

	if (mem == MAP_FAILED || toymap_get_info(obj->fd, before))
		return -1;
	for (size_t i = 0; i < AROUND_PAGES; i++)
		read_byte(page_of(mem, i));
	if (toymap_get_info(obj->fd, after))
		return -1;
	return munmap(mem, AROUND_PAGES * pagesize);
}

/*
 * Pages made resident by an earlier mapping: with fault_around=0 each read
 * of a new mapping costs one .fault call; with fault_around=1 .map_pages
 * maps neighbours, so fewer faults reach .fault.
 */
TEST_F(mapping, fault_around)
{
	struct object *obj = &self->obj;
	struct toymap_info before, after, made;

	SKIP_UNLESS_ROOT("setting the fault_around parameter");
	ASSERT_EQ(0, read_fresh_mapping(obj, variant->flags, &before, &made));
	ASSERT_EQ(AROUND_PAGES, DELTA(made, before, zero_fills));

	SET_PARAM(PARAM_FAULT_AROUND, "0");
	ASSERT_EQ(0, read_fresh_mapping(obj, variant->flags, &before, &after));
	EXPECT_EQ(AROUND_PAGES, DELTA(after, before, faults));
	EXPECT_EQ(0, DELTA(after, before, fault_around_hits));
	EXPECT_EQ(0, DELTA(after, before, zero_fills));

	SET_PARAM(PARAM_FAULT_AROUND, "1");
	ASSERT_EQ(0, read_fresh_mapping(obj, variant->flags, &before, &after));
	EXPECT_GT(AROUND_PAGES, DELTA(after, before, faults));
	EXPECT_LT(0, DELTA(after, before, fault_around_hits));
	EXPECT_LT(0, DELTA(after, before, fault_around_calls));
	EXPECT_EQ(0, DELTA(after, before, zero_fills));
	EXPECT_EQ(AROUND_PAGES, NOW(after, resident_pages));
}

#define RACE_PAGES	256
#define RACERS		2	/* threads per process, two processes */

/**
 * struct racer - one thread faulting the same pages as all the others
 * @mem:	the mapping, RACE_PAGES pages
 * @id:		0 .. 2 * RACERS - 1: the byte of each page it writes
 * @write:	write (MAP_SHARED) or read (MAP_PRIVATE: the object's frames)
 * @go_fd:	read end of the pipe that starts every racer at once
 * @failed:	set when the start signal never came
 */
struct racer {
	char *mem;
	int id;
	bool write;
	int go_fd;
	bool failed;
};

static void *racer_run(void *arg)
{
	struct racer *r = arg;
	char go;

	if (toymap_read_full(r->go_fd, &go, 1)) {
		r->failed = true;
		return NULL;
	}
	for (size_t i = 0; i < RACE_PAGES; i++) {
		if (r->write)
			write_byte(page_of(r->mem, i) + r->id, 1 + r->id);
		else
			read_byte(page_of(r->mem, i) + r->id);
	}
	return NULL;
}

/* Start RACERS threads waiting on @go_fd; 0 or -1. */
static int racers_start(struct racer *r, pthread_t *threads, char *mem, bool write,
			int first_id, int go_fd)
{
	for (int i = 0; i < RACERS; i++) {
		r[i] = (struct racer){ .mem = mem, .id = first_id + i, .write = write,
				       .go_fd = go_fd };
		if (pthread_create(&threads[i], NULL, racer_run, &r[i]))
			return -1;
	}
	return 0;
}

static int racers_join(struct racer *r, pthread_t *threads)
{
	int ret = 0;

	for (int i = 0; i < RACERS; i++) {
		pthread_join(threads[i], NULL);
		if (r[i].failed)
			ret = -1;
	}
	return ret;
}

static int child_race(char *mem, bool write, int go_fd, struct sync_pipes *sp)
{
	static struct toymap_pte ptes[RACE_PAGES];
	struct racer r[RACERS];
	pthread_t threads[RACERS];

	CHILD_CHECK(!racers_start(r, threads, mem, write, RACERS, go_fd), "pthread_create");
	CHILD_CHECK(!sync_signal(sp), "parent gone");
	CHILD_CHECK(!racers_join(r, threads), "no start signal");
	for (size_t i = 0; i < RACE_PAGES; i++)
		CHILD_CHECK(!toymap_pagemap_frame(frame_fd, page_of(mem, i), &ptes[i]), "pagemap");
	CHILD_CHECK(!sync_send(sp, ptes, sizeof(ptes)), "parent gone");
	return 0;
}

/*
 * Two threads in each of two processes fault the same pages at once: the
 * object holds exactly one page per offset, and every racer maps it.
 */
TEST_F_TIMEOUT(mapping, concurrent_faults_one_page_per_offset, LONG_TIMEOUT)
{
	static struct toymap_pte child_ptes[RACE_PAGES];
	struct object *obj = &self->obj;
	bool write = variant->flags == MAP_SHARED;
	char *mem = MAP_OBJECT(obj, RACE_PAGES, 0, RW, variant->flags);
	const char go[2 * RACERS] = { 0 };
	struct toymap_info before, after;
	pthread_t threads[RACERS];
	struct racer r[RACERS];
	struct sync_pipes sp;
	int go_pipe[2];
	pid_t pid;

	before = INFO(obj);
	ASSERT_EQ(0, pipe(go_pipe));
	ASSERT_EQ(0, sync_open(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(go_pipe[1]);
		sync_as_child(&sp);
		_exit(child_race(mem, write, go_pipe[0], &sp));
	}
	sync_as_parent(&sp);
	ASSERT_EQ(0, racers_start(r, threads, mem, write, 0, go_pipe[0]));
	ASSERT_EQ(0, sync_wait(&sp)) TH_LOG("the child could not start its threads");
	ASSERT_EQ(0, toymap_write_full(go_pipe[1], go, sizeof(go)));
	ASSERT_EQ(0, racers_join(r, threads));
	ASSERT_EQ(0, sync_recv(&sp, child_ptes, sizeof(child_ptes)));
	ASSERT_CHILD_OK(pid);
	sync_close(&sp);

	after = INFO(obj);
	EXPECT_EQ(RACE_PAGES, NOW(after, resident_pages));
	EXPECT_EQ(RACE_PAGES, DELTA(after, before, zero_fills));
	EXPECT_EQ(RACE_PAGES, DELTA(after, before, module_pages));
	for (size_t i = 0; i < RACE_PAGES; i++) {
		char *page = page_of(mem, i);

		for (int id = 0; write && id < 2 * RACERS; id++) {
			ASSERT_EQ(1 + id, read_byte(page + id))
				TH_LOG("page %zu: racer %d's write lost", i, id);
		}
		ASSERT_SAME_FRAME(obj, PTE(page), child_ptes[i]);
	}
	SKIP_IF_FRAMES_UNCHECKED(obj);
}

/* ------------------------------------------------------------------------ */
/* vmsplice and COW, after tools/testing/selftests/mm/cow.c, on a private   */
/* mapping whose page is either a private copy or the object's own page.    */

FIXTURE(cow_vmsplice)
{
	struct object obj;
	char *view;		/* MAP_SHARED: what the object holds */
	char *mem;		/* MAP_PRIVATE: the page spliced */
	char old[MAX_PAGE_SIZE];	/* @mem's bytes before anyone writes */
};

FIXTURE_VARIANT(cow_vmsplice)
{
	bool private_copy;	/* @mem was written (an anonymous COW copy) */
};

FIXTURE_VARIANT_ADD(cow_vmsplice, private_copy)
{
	.private_copy = true,
};

FIXTURE_VARIANT_ADD(cow_vmsplice, object_page)
{
	.private_copy = false,
};

FIXTURE_SETUP(cow_vmsplice)
{
	struct object *obj = &self->obj;

	open_clean_object(_metadata, obj);
	ASSERT_LE(pagesize, sizeof(self->old));
	self->view = MAP_OBJECT(obj, 1, 0, RW, MAP_SHARED);
	memset(self->view, 'o', pagesize);
	self->mem = MAP_OBJECT(obj, 1, 0, RW, MAP_PRIVATE);
	if (variant->private_copy) {
		memset(self->mem, 'v', pagesize);
	} else {
		ASSERT_EQ('o', read_byte(self->mem));
	}
	ASSERT_EQ(!variant->private_copy, PTE(self->mem).file);
	memcpy(self->old, self->mem, pagesize);
}

FIXTURE_TEARDOWN(cow_vmsplice)
{
	close_object(&self->obj);
}

static int child_write_when_told(char *mem, struct sync_pipes *sp)
{
	CHILD_CHECK(!sync_signal(sp), "parent gone");
	CHILD_CHECK(!sync_wait(sp), "parent gone");
	memset(mem, 0xff, pagesize);
	return 0;
}

/*
 * The parent vmsplices its private page into a pipe after fork, unmaps it,
 * and the child writes to its copy: the pipe must still hold the old bytes.
 */
TEST_F(cow_vmsplice, vmsplice_in_parent_after_fork)
{
	struct iovec iov = { .iov_base = self->mem, .iov_len = pagesize };
	char spliced[sizeof(self->old)];
	struct sync_pipes sp;
	int fds[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, sync_open(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sync_as_child(&sp);
		_exit(child_write_when_told(self->mem, &sp));
	}
	sync_as_parent(&sp);
	ASSERT_EQ((ssize_t)pagesize, vmsplice(fds[1], &iov, 1, 0))
		TH_LOG("vmsplice: %s", strerror(errno));
	ASSERT_EQ(0, sync_wait(&sp));
	ASSERT_EQ(0, munmap(self->mem, pagesize));
	ASSERT_EQ(0, sync_signal(&sp));
	ASSERT_CHILD_OK(pid);
	sync_close(&sp);

	ASSERT_EQ(0, toymap_read_full(fds[0], spliced, pagesize));
	EXPECT_EQ(0, memcmp(self->old, spliced, pagesize))
		TH_LOG("leak from child into parent: the pipe holds the child's write");
	EXPECT_TRUE(mem_is(self->view, 'o', pagesize)) TH_LOG("the child's write reached the object");
	close(fds[0]);
	close(fds[1]);
}

static int child_vmsplice(char *mem, const char *old, struct sync_pipes *sp)
{
	struct iovec iov = { .iov_base = mem, .iov_len = pagesize };
	char spliced[MAX_PAGE_SIZE];
	int fds[2];

	CHILD_CHECK(!pipe(fds), "pipe: %s", strerror(errno));
	CHILD_CHECK(vmsplice(fds[1], &iov, 1, 0) == (ssize_t)pagesize,
		    "vmsplice: %s", strerror(errno));
	CHILD_CHECK(!munmap(mem, pagesize), "munmap");
	CHILD_CHECK(!sync_signal(sp), "parent gone");
	CHILD_CHECK(!sync_wait(sp), "parent gone");
	CHILD_CHECK(!toymap_read_full(fds[0], spliced, pagesize), "reading the pipe");
	CHILD_CHECK(!memcmp(old, spliced, pagesize),
		    "leak from parent into child: the pipe holds the parent's write");
	return 0;
}

/*
 * The child vmsplices its (inherited) private page into a pipe and unmaps
 * it; the parent writes: the child's pipe must still hold the old bytes.
 */
TEST_F(cow_vmsplice, vmsplice_in_child)
{
	struct sync_pipes sp;
	pid_t pid;

	ASSERT_EQ(0, sync_open(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sync_as_child(&sp);
		_exit(child_vmsplice(self->mem, self->old, &sp));
	}
	sync_as_parent(&sp);
	ASSERT_EQ(0, sync_wait(&sp)) TH_LOG("the child failed to vmsplice");
	memset(self->mem, 0xff, pagesize);
	ASSERT_EQ(0, sync_signal(&sp));
	ASSERT_CHILD_OK(pid);
	sync_close(&sp);
	EXPECT_FALSE(PTE(self->mem).file);
	EXPECT_TRUE(mem_is(self->view, 'o', pagesize)) TH_LOG("the parent's write reached the object");
}

/* ------------------------------------------------------------------------ */
/* large_folios=1: folios of 16 KiB to 2 MiB in an anonymous object.        */

#define PMD_PAGES	512	/* pages of a PMD-sized folio (x86-64: 2 MiB) */

FIXTURE(large)
{
	struct object obj;
	char *reserved;		/* the aligned window map_aligned() maps into */
	size_t reserved_len;
};

FIXTURE_SETUP(large)
{
	int ret;

	open_clean_object(_metadata, &self->obj);
	self->reserved = MAP_FAILED;
	if (geteuid() != 0)
		SETUP_SKIP("setting the large_folios parameter needs root");
	ASSERT_LE(4 * PMD_PAGES * pagesize, self->obj.size);
	ret = toymap_param_set(PARAM_LARGE_FOLIOS, "1");
	/* The module refuses it where the page cache holds no large folios (PREEMPT_RT). */
	if (ret == -EINVAL)
		SETUP_SKIP("this kernel has no large folios (no CONFIG_TRANSPARENT_HUGEPAGE)");
	ASSERT_EQ(0, ret) TH_LOG("setting large_folios=1: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(large)
{
	if (self->reserved != MAP_FAILED)
		munmap(self->reserved, self->reserved_len);
	close_object(&self->obj);
}

/*
 * Map @pages pages of the object from page 0, shared or private, at an
 * address aligned to a PMD, so that core mm may map a PMD-sized folio with
 * one PMD; advised MADV_HUGEPAGE with @huge.
 */
static char *map_aligned(struct __test_metadata *_metadata, FIXTURE_DATA(large) *self,
			 size_t pages, int flags, bool huge)
{
	size_t align = PMD_PAGES * pagesize;
	char *base, *mem;

	self->reserved_len = pages * pagesize + align;
	self->reserved = mmap(NULL, self->reserved_len, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (self->reserved == MAP_FAILED)
		return MAP_FAILED;
	base = (char *)(((uintptr_t)self->reserved + align - 1) & ~(uintptr_t)(align - 1));
	mem = mmap(base, pages * pagesize, RW, flags | MAP_FIXED, self->obj.fd, 0);
	if (mem == MAP_FAILED)
		return MAP_FAILED;
	if (huge && madvise(mem, pages * pagesize, MADV_HUGEPAGE)) {
		TH_LOG("madvise(MADV_HUGEPAGE): %s", strerror(errno));
		return MAP_FAILED;
	}
	return mem;
}

/* Write @byte + page number to the first byte of pages [@first, @first + @n). */
static void stamp_pages(char *mem, size_t first, size_t n, char byte)
{
	for (size_t i = first; i < first + n; i++)
		write_byte(page_of(mem, i), (char)(byte + i));
}

/*
 * MADV_HUGEPAGE: the first touch allocates one PMD-sized folio, zeroed,
 * which core mm maps with one PMD: touching its other 511 pages faults no
 * more.  Its pages are consecutive frames.  Memory: the touched byte
 * rounded up to the folio.
 */
TEST_F(large, hugepage_advice_makes_one_pmd_folio)
{
	struct object *obj = &self->obj;
	struct toymap_info before, after;
	struct toymap_pte first, last;
	char *mem;

	mem = map_aligned(_metadata, self, 2 * PMD_PAGES, MAP_SHARED, true);
	ASSERT_NE(MAP_FAILED, mem);
	before = INFO(obj);
	write_byte(page_of(mem, 3), 'x');
	after = INFO(obj);
	EXPECT_EQ(PMD_PAGES, NOW(after, resident_pages)) TH_LOG("one write, one 2 MiB folio");
	EXPECT_EQ(PMD_PAGES, DELTA(after, before, module_pages));
	EXPECT_EQ(PMD_PAGES, DELTA(after, before, zero_fills));
	EXPECT_EQ(1, DELTA(after, before, faults));

	for (size_t i = 0; i < PMD_PAGES; i++) {
		ASSERT_EQ(i == 3 ? 'x' : 0, read_byte(page_of(mem, i))) TH_LOG("page %zu", i);
	}
	stamp_pages(mem, 0, PMD_PAGES, 'a');
	after = INFO(obj);
	EXPECT_EQ(1, DELTA(after, before, faults)) TH_LOG("the PMD maps all 512 pages");
	EXPECT_EQ(PMD_PAGES, NOW(after, resident_pages));

	first = PTE(mem);
	last = PTE(page_of(mem, PMD_PAGES - 1));
	EXPECT_TRUE(first.present && first.file && last.present && last.file);
	if (first.pfn_known && last.pfn_known)
		EXPECT_EQ(first.pfn + PMD_PAGES - 1, last.pfn) TH_LOG("one folio: frames in a row");
}

/*
 * Without advice, a sequential touch grows the folio as read-ahead grows its
 * window, twice the folio before: pages 0-3 one at a time (a folio must
 * start at a multiple of its size, and 16 KiB is the smallest), then folios
 * of 4, 8, 16 and 32 pages, each starting at the page touched.  Memory follows: after page 4 the
 * object holds 8 pages, after page 8 16, after 16 32, after 32 64.
 */
TEST_F(large, sequential_touches_grow_the_folio)
{
	static const struct { size_t page; long long resident; } steps[] = {
		{ 0, 1 }, { 1, 2 }, { 2, 3 }, { 3, 4 }, { 4, 8 }, { 7, 8 },
		{ 8, 16 }, { 15, 16 }, { 16, 32 }, { 31, 32 }, { 32, 64 }, { 63, 64 },
	};
	struct object *obj = &self->obj;
	struct toymap_info info;
	char *mem;

	mem = MAP_OBJECT(obj, 128, 0, RW, MAP_SHARED);
	for (size_t k = 0, p = 0; k < ARRAY_SIZE(steps); k++) {
		for (; p <= steps[k].page; p++)
			write_byte(page_of(mem, p), (char)p);
		info = INFO(obj);
		EXPECT_EQ(steps[k].resident, NOW(info, resident_pages))
			TH_LOG("after writing pages 0..%zu", steps[k].page);
	}
	for (size_t p = 0; p < 128; p++) {
		ASSERT_EQ(p < 64 ? (char)p : 0, read_byte(page_of(mem, p))) TH_LOG("page %zu", p);
	}
}

/* A touch here and there allocates one page each, advice or not: MADV_RANDOM. */
TEST_F(large, random_touches_get_one_page_each)
{
	struct object *obj = &self->obj;
	struct toymap_info info;
	char *mem;

	mem = MAP_OBJECT(obj, 256, 0, RW, MAP_SHARED);
	write_byte(page_of(mem, 10), 1);
	write_byte(page_of(mem, 50), 2);
	write_byte(page_of(mem, 100), 3);
	info = INFO(obj);
	EXPECT_EQ(3, NOW(info, resident_pages)) TH_LOG("random touches, one page each");

	ASSERT_EQ(0, madvise(mem, 256 * pagesize, MADV_RANDOM));
	for (size_t p = 101; p < 110; p++)
		write_byte(page_of(mem, p), 4);
	info = INFO(obj);
	EXPECT_EQ(12, NOW(info, resident_pages)) TH_LOG("MADV_RANDOM: one page a touch");
}

/* large_folios=0 (the default): MADV_HUGEPAGE or not, a fault makes one page. */
TEST_F(large, off_every_folio_is_one_page)
{
	struct object *obj = &self->obj;
	struct toymap_info before, after;
	char *mem;

	SET_PARAM(PARAM_LARGE_FOLIOS, "0");
	mem = map_aligned(_metadata, self, PMD_PAGES, MAP_SHARED, true);
	ASSERT_NE(MAP_FAILED, mem);
	before = INFO(obj);
	stamp_pages(mem, 0, 16, 'a');
	after = INFO(obj);
	EXPECT_EQ(16, NOW(after, resident_pages));
	EXPECT_EQ(16, DELTA(after, before, zero_fills));
	EXPECT_EQ(16, DELTA(after, before, faults)) TH_LOG("one fault a page");
}

/*
 * A file attached: every page is one page (write-back to the file goes a
 * page at a time), MADV_HUGEPAGE or not.
 */
TEST_F(large, file_backed_object_keeps_small_pages)
{
	struct object *obj = &self->obj;
	struct toymap_info info;
	char buf[64] = "from the file";
	int file, ret;
	char *mem;

	file = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, file);
	ASSERT_EQ((ssize_t)sizeof(buf), pwrite(file, buf, sizeof(buf), 0));
	ret = toymap_attach(obj->fd, file, 0, 4 * pagesize);
	close(file);
	ASSERT_EQ(0, ret) TH_LOG("ATTACH: %s", strerror(-ret));
	mem = map_aligned(_metadata, self, PMD_PAGES, MAP_SHARED, true);
	ASSERT_NE(MAP_FAILED, mem);
	EXPECT_EQ(0, memcmp(mem, buf, sizeof(buf)));
	stamp_pages(mem, 8, 8, 'a');
	info = INFO(obj);
	EXPECT_EQ(9, NOW(info, resident_pages)) TH_LOG("a file-backed object: one page a fault");
}

/*
 * DISCARD of part of a large folio: truncation splits it, frees the pages
 * of the hole (zero when read again) and keeps the rest, bytes intact.
 */
TEST_F(large, discard_splits_a_large_folio)
{
	struct object *obj = &self->obj;
	struct toymap_info before, after;
	char *mem;
	int ret;

	mem = map_aligned(_metadata, self, PMD_PAGES, MAP_SHARED, true);
	ASSERT_NE(MAP_FAILED, mem);
	stamp_pages(mem, 0, PMD_PAGES, 'a');
	before = INFO(obj);
	ASSERT_EQ(PMD_PAGES, NOW(before, resident_pages));

	ret = toymap_discard(obj->fd, 100 * pagesize, 100 * pagesize);
	ASSERT_EQ(0, ret) TH_LOG("DISCARD of 100 pages of a 512-page folio: %s", strerror(-ret));
	after = INFO(obj);
	EXPECT_EQ(100, DELTA(after, before, discarded_pages));
	EXPECT_EQ(PMD_PAGES - 100, NOW(after, resident_pages));
	EXPECT_EQ(-100, DELTA(after, before, module_pages));
	for (size_t p = 0; p < PMD_PAGES; p++) {
		ASSERT_EQ(p >= 100 && p < 200 ? 0 : (char)('a' + p), read_byte(page_of(mem, p)))
			TH_LOG("page %zu after the DISCARD", p);
	}
}

/*
 * EVICT of ten pages of a dirty large folio with a swap file set: the folio
 * goes whole, as reclaim takes it: 512 pages swapped out and dropped, and
 * read back one page at a time.  Without a swap file it stays, all 512
 * pages counted kept.
 */
TEST_F(large, evict_takes_a_large_folio_whole)
{
	struct object *obj = &self->obj;
	struct toymap_info before, after;
	struct toymap_evict ev;
	int swap, ret;
	char *mem;

	mem = map_aligned(_metadata, self, PMD_PAGES, MAP_SHARED, true);
	ASSERT_NE(MAP_FAILED, mem);
	stamp_pages(mem, 0, PMD_PAGES, 'a');

	ev = EVICT(obj, 10, 10);
	EXPECT_EVICTED(ev, 0, 0, 0, PMD_PAGES);
	EXPECT_EQ(PMD_PAGES, NOW(INFO(obj), resident_pages));

	swap = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, swap);
	ret = toymap_set_swap(obj->fd, swap);
	close(swap);
	ASSERT_EQ(0, ret) TH_LOG("SET_SWAP: %s", strerror(-ret));
	before = INFO(obj);
	ev = EVICT(obj, 10, 10);
	EXPECT_EVICTED(ev, PMD_PAGES, 0, PMD_PAGES, 0);
	after = INFO(obj);
	EXPECT_EQ(0, NOW(after, resident_pages));
	EXPECT_EQ(PMD_PAGES, NOW(after, swapped_pages));
	EXPECT_EQ(PMD_PAGES, DELTA(after, before, swap_outs));

	for (size_t p = 0; p < PMD_PAGES; p++) {
		ASSERT_EQ((char)('a' + p), read_byte(page_of(mem, p))) TH_LOG("page %zu", p);
	}
	after = INFO(obj);
	EXPECT_EQ(PMD_PAGES, DELTA(after, before, swap_ins)) TH_LOG("swapped in a page at a time");
	EXPECT_EQ(0, NOW(after, swapped_pages));
}

/*
 * A private mapping reads the large folio; a write copies one page of it:
 * the object's folio stays as it was, the copy is anonymous.
 */
TEST_F(large, private_write_copies_one_page_of_the_folio)
{
	struct object *obj = &self->obj;
	struct toymap_pte pte;
	char *priv, *shared;

	priv = map_aligned(_metadata, self, PMD_PAGES, MAP_PRIVATE, true);
	ASSERT_NE(MAP_FAILED, priv);
	ASSERT_EQ(0, read_byte(page_of(priv, 5)));
	EXPECT_EQ(PMD_PAGES, NOW(INFO(obj), resident_pages));
	memset(page_of(priv, 5), 'p', pagesize);

	shared = MAP_OBJECT(obj, PMD_PAGES, 0, RW, MAP_SHARED);
	assert_private_copy(_metadata, page_of(priv, 5), 'p', page_of(shared, 5), 0);
	EXPECT_EQ(0, read_byte(page_of(priv, 6)));
	pte = PTE(page_of(priv, 6));
	EXPECT_TRUE(pte.present && pte.file) TH_LOG("the next page maps the object's folio");
	ASSERT_SAME_FRAME(obj, pte, PTE(page_of(shared, 6)));
	EXPECT_EQ(PMD_PAGES, NOW(INFO(obj), resident_pages));
	SKIP_IF_FRAMES_UNCHECKED(obj);
}

/*
 * A large folio never takes the last pages of max_pages: it must leave as
 * many pages again.  With room for 100 pages, MADV_HUGEPAGE touches get
 * folios of 32 (room 100), 32 (68), 16 (36), 8 (20), 4 (12) and 4 (8)
 * pages, then single pages: no touch gets SIGBUS before the budget is
 * used up.
 */
TEST_F(large, max_pages_limits_the_folio)
{
	static const struct { size_t page; long long resident; } steps[] = {
		{ 0, 32 }, { 64, 64 }, { 128, 80 }, { 160, 88 }, { 176, 92 }, { 184, 96 },
		{ 190, 97 }, { 250, 98 },
	};
	struct object *obj = &self->obj;
	struct toymap_info before, after;
	char limit[32];
	char *mem;

	mem = map_aligned(_metadata, self, PMD_PAGES, MAP_SHARED, true);
	ASSERT_NE(MAP_FAILED, mem);
	before = INFO(obj);
	snprintf(limit, sizeof(limit), "%llu", (unsigned long long)before.module_pages + 100);
	SET_PARAM(PARAM_MAX_PAGES, limit);
	for (size_t k = 0; k < ARRAY_SIZE(steps); k++) {
		write_byte(page_of(mem, steps[k].page), 1);
		after = INFO(obj);
		EXPECT_EQ(steps[k].resident, NOW(after, resident_pages))
			TH_LOG("after a write to page %zu, with room for 100 pages", steps[k].page);
	}
	EXPECT_EQ(0, DELTA(after, before, sigbus_faults));
}

/*
 * MADV_HUGEPAGE where core mm cannot map a PMD (the mapping's address one
 * page off the 2 MiB its offset needs), and a private write (the kernel
 * copies one page of what the module makes): no 2 MiB folio, one page.
 */
TEST_F(large, no_pmd_folio_where_it_cannot_be_used)
{
	struct object *obj = &self->obj;
	struct toymap_info info;
	char *mem, *priv;

	mem = map_aligned(_metadata, self, 2 * PMD_PAGES, MAP_SHARED, false);
	ASSERT_NE(MAP_FAILED, mem);
	mem = mmap(mem + pagesize, PMD_PAGES * pagesize, RW, MAP_SHARED | MAP_FIXED, obj->fd, 0);
	ASSERT_NE(MAP_FAILED, mem) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, madvise(mem, PMD_PAGES * pagesize, MADV_HUGEPAGE));
	write_byte(mem, 1);
	info = INFO(obj);
	EXPECT_EQ(1, NOW(info, resident_pages)) TH_LOG("misaligned: one page");

	priv = mmap(NULL, 4 * PMD_PAGES * pagesize, RW, MAP_PRIVATE, obj->fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	ASSERT_EQ(0, madvise(priv, 4 * PMD_PAGES * pagesize, MADV_HUGEPAGE));
	write_byte(page_of(priv, 2 * PMD_PAGES), 2);
	info = INFO(obj);
	EXPECT_EQ(2, NOW(info, resident_pages)) TH_LOG("a private write: one page");
	ASSERT_EQ(0, munmap(priv, 4 * PMD_PAGES * pagesize));
}

/*
 * LOOKUP on a page of a 2 MiB folio says how many page table entries map
 * that page, not the folio: once through the PMD, twice when a second
 * mapping in the same process maps it too, and once for a page of the
 * folio that only the PMD maps.
 */
TEST_F(large, lookup_counts_the_page_not_the_folio)
{
	struct object *obj = &self->obj;
	struct toymap_lookup l;
	char *mem, *other;
	int ret;

	mem = map_aligned(_metadata, self, PMD_PAGES, MAP_SHARED, true);
	ASSERT_NE(MAP_FAILED, mem);
	write_byte(page_of(mem, 3), 'x');
	ASSERT_EQ(PMD_PAGES, NOW(INFO(obj), resident_pages));
	ret = toymap_lookup(obj->fd, page_of(mem, 3), &l);
	ASSERT_EQ(0, ret) TH_LOG("LOOKUP: %s", strerror(-ret));
	EXPECT_EQ((uint32_t)TOYMAP_MAPPED_ONCE, l.mapped);

	other = MAP_OBJECT(obj, 4, 0, PROT_READ, MAP_SHARED);
	ASSERT_EQ('x', read_byte(page_of(other, 3)));
	ret = toymap_lookup(obj->fd, page_of(mem, 3), &l);
	ASSERT_EQ(0, ret) TH_LOG("LOOKUP: %s", strerror(-ret));
	EXPECT_EQ((uint32_t)TOYMAP_MAPPED_SEVERAL, l.mapped) TH_LOG("page 3, mapped twice");
	ret = toymap_lookup(obj->fd, page_of(mem, 300), &l);
	ASSERT_EQ(0, ret) TH_LOG("LOOKUP: %s", strerror(-ret));
	EXPECT_EQ((uint32_t)TOYMAP_LOOKUP_OBJECT, l.kind);
	EXPECT_EQ((uint32_t)TOYMAP_MAPPED_ONCE, l.mapped) TH_LOG("page 300, mapped once");
	ASSERT_EQ(0, munmap(other, 4 * pagesize));
}

/*
 * DISCARD of part of a large folio that cannot be split (a pipe holds a
 * page of it, after vmsplice): the hole reads zero, the rest keeps its
 * bytes, and the folio stays whole: no page is counted freed.
 */
TEST_F(large, discard_zeroes_a_folio_it_cannot_split)
{
	struct object *obj = &self->obj;
	struct toymap_info before, after;
	struct iovec iov;
	int pipefd[2], ret;
	char *mem;

	mem = map_aligned(_metadata, self, PMD_PAGES, MAP_SHARED, true);
	ASSERT_NE(MAP_FAILED, mem);
	stamp_pages(mem, 0, PMD_PAGES, 'a');
	ASSERT_EQ(0, pipe(pipefd));
	iov = (struct iovec){ .iov_base = page_of(mem, 300), .iov_len = pagesize };
	ASSERT_EQ((ssize_t)pagesize, vmsplice(pipefd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));

	before = INFO(obj);
	ret = toymap_discard(obj->fd, 100 * pagesize, 100 * pagesize);
	ASSERT_EQ(0, ret) TH_LOG("DISCARD: %s", strerror(-ret));
	after = INFO(obj);
	EXPECT_EQ(0, DELTA(after, before, discarded_pages)) TH_LOG("the folio stays whole");
	EXPECT_EQ(PMD_PAGES, NOW(after, resident_pages));
	for (size_t p = 0; p < PMD_PAGES; p++) {
		ASSERT_EQ(p >= 100 && p < 200 ? 0 : (char)('a' + p), read_byte(page_of(mem, p)))
			TH_LOG("page %zu after the DISCARD", p);
	}
	close(pipefd[0]);
	close(pipefd[1]);
}

/*
 * ATTACH after large folios: clean ones (only read) go, and the next touch
 * reads the file, not the zeros they held; a dirty one makes ATTACH refuse.
 */
TEST_F(large, attach_after_large_folios)
{
	struct object *obj = &self->obj;
	char buf[64] = "from the file";
	int file, ret;
	char *mem;

	mem = map_aligned(_metadata, self, PMD_PAGES, MAP_SHARED, true);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, read_byte(page_of(mem, 7)));
	ASSERT_EQ(PMD_PAGES, NOW(INFO(obj), resident_pages));
	write_byte(page_of(mem, 400), 1);
	ASSERT_EQ(0, munmap(self->reserved, self->reserved_len));
	self->reserved = MAP_FAILED;

	file = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, file);
	ASSERT_EQ((ssize_t)sizeof(buf), pwrite(file, buf, sizeof(buf), 0));
	ret = toymap_attach(obj->fd, file, 0, pagesize);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("ATTACH over a dirty large folio: %s", strerror(-ret));

	ASSERT_EQ(0, toymap_discard(obj->fd, 0, obj->size));
	mem = map_aligned(_metadata, self, PMD_PAGES, MAP_SHARED, true);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, read_byte(page_of(mem, 7)));
	ASSERT_EQ(PMD_PAGES, NOW(INFO(obj), resident_pages)) TH_LOG("a clean 2 MiB folio");
	ASSERT_EQ(0, munmap(self->reserved, self->reserved_len));
	self->reserved = MAP_FAILED;
	ret = toymap_attach(obj->fd, file, 0, pagesize);
	close(file);
	ASSERT_EQ(0, ret) TH_LOG("ATTACH over a clean large folio: %s", strerror(-ret));
	EXPECT_EQ(0, NOW(INFO(obj), resident_pages));
	mem = MAP_OBJECT(obj, 1, 0, PROT_READ, MAP_SHARED);
	EXPECT_EQ(0, memcmp(mem, buf, sizeof(buf))) TH_LOG("the file, not the folio's zeros");
	ASSERT_EQ(0, munmap(mem, pagesize));
}

/*
 * An ordinary mmap() of the object, 2 MiB or more, is placed where a PMD
 * can map a 2 MiB folio (the device's .get_unmapped_area): MADV_HUGEPAGE
 * then gets one without the caller aligning anything.
 */
TEST_F(large, plain_mmap_gets_pmd_folios)
{
	struct object *obj = &self->obj;
	struct toymap_info before, after;
	char *mem;

	mem = MAP_OBJECT(obj, 2 * PMD_PAGES, 0, RW, MAP_SHARED);
	EXPECT_EQ(0UL, (uintptr_t)mem % (PMD_PAGES * pagesize)) TH_LOG("%p is not 2 MiB aligned", mem);
	ASSERT_EQ(0, madvise(mem, 2 * PMD_PAGES * pagesize, MADV_HUGEPAGE));
	before = INFO(obj);
	stamp_pages(mem, 0, 2 * PMD_PAGES, 'a');
	after = INFO(obj);
	EXPECT_EQ(2, DELTA(after, before, faults)) TH_LOG("two 2 MiB folios, one fault each");
	EXPECT_EQ(2 * PMD_PAGES, NOW(after, resident_pages));
	ASSERT_EQ(0, munmap(mem, 2 * PMD_PAGES * pagesize));
}

TEST_HARNESS_MAIN
