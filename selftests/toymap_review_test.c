// SPDX-License-Identifier: GPL-2.0
/*
 * toymap selftests of the defects of issue 9, one test (or more) each, as a
 * process observes them: contents, errnos, INFO and EVICT counters, and
 * whether a process finishes at all.
 *
 *   defect 1  attach_racing_mmap_leaves_no_file
 *   defect 2  evict_vs_write_from_the_mapping, fsync_vs_write_from_the_mapping
 *   defect 3  write_from_an_untouched_mapping_into_its_file,
 *             o_direct_descriptor_is_refused, file_without_page_cache_is_refused
 *   defect 4  swap_in_frees_the_slot, stale_swap_copy_never_wins
 *   defect 5  evict_keeps_a_page_a_pipe_references
 *   defect 6  readonly_opener_cannot_change_the_object,
 *             mapper_needs_access_to_the_backing_file
 *   defect 7  one_swap_file_per_object
 *   defect 8  writeback_never_regrows_a_truncated_file
 *
 * Backing and swap files are unlinked temporary files in $TMPDIR (default
 * /tmp, a tmpfs in the test guest); selftests/run.sh runs this program again
 * with TMPDIR on an ext4 and on an XFS file system, where defect 3 shows.
 *
 * The tests that could deadlock run the risky operations in children and
 * wait for them with a time limit: a deadlocked task cannot be killed, so
 * the test fails and leaves them.  The object is stuck then (its locks are
 * held), and so is every later test of it: the deadlock tests come last.
 * Defect 1 leaves /dev/toymap1 pointing at a file it holds no reference to;
 * that test comes after every other user of /dev/toymap1.
 *
 * Needs the module loaded; root for the test that changes users.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toymap_fixture.h"

#define SECOND_INDEX	1	/* the other object, for the tests of two */
#define NOBODY		65534
#define FILE_SEED	1	/* what a backing file starts with */
#define WRITE_SEED	2	/* what a test writes through a mapping */
#define STUCK_SECONDS	60	/* a child still running after this is deadlocked */
#define RACE_SECONDS	2	/* how long a race is tried (the old module lost each at once) */

FIXTURE(review)
{
	struct object obj;
	struct object second;	/* /dev/toymap1, when a test opens it */
	int file;
	int swap;
	char dev_path[64];	/* a device node whose mode a test changed ... */
	mode_t dev_mode;	/* ... and its mode before */
};

FIXTURE_SETUP(review)
{
	self->second.fd = -1;
	self->file = -1;
	self->swap = -1;
	self->dev_path[0] = '\0';
	open_clean_object(_metadata, &self->obj);
}

FIXTURE_TEARDOWN(review)
{
	if (self->dev_path[0])
		chmod(self->dev_path, self->dev_mode);
	close_object(&self->obj);
	release_object(&self->second);
	if (self->second.fd >= 0)
		close(self->second.fd);
	if (self->file >= 0)
		close(self->file);
	if (self->swap >= 0)
		close(self->swap);
}

/* A temporary file of @size bytes of the pattern @seed: its fd, or the test fails. */
#define PATTERN_FILE(size, seed) ({						\
	int __fd = toymap_temp_file("test", NULL, 0);				\
	ASSERT_LE(0, __fd) TH_LOG("a file in $TMPDIR: %s", strerror(-__fd));	\
	ASSERT_EQ(0, fill_file(__fd, (size), (seed)))				\
		TH_LOG("writing %zu bytes: %s", (size_t)(size), strerror(errno));	\
	__fd;									\
})

/* Write @size bytes of the pattern @seed at the start of @fd: 0, or < 0 with errno set. */
static int fill_file(int fd, size_t size, unsigned int seed)
{
	unsigned char *buf = malloc(size + 1);
	int ret;

	if (!buf)
		return -1;
	fill_pattern(buf, size, 0, seed);
	ret = toymap_pwrite_full(fd, buf, size, 0);
	free(buf);
	return ret;
}

/* True when @len bytes of @fd at @offset are the pattern @seed from @start. */
static bool file_has_pattern(int fd, size_t len, off_t offset, uint64_t start,
			     unsigned int seed)
{
	unsigned char *want = malloc(len), *got = malloc(len);
	bool same = false;

	if (want && got && !toymap_pread_full(fd, got, len, offset)) {
		fill_pattern(want, len, start, seed);
		same = !memcmp(want, got, len);
	}
	free(want);
	free(got);
	return same;
}

static off_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : st.st_size;
}

/* Open /dev/toymap1 as self->second, or skip: the tests of two objects need it. */
#define OPEN_SECOND() do {							\
	int __fd = toymap_open(SECOND_INDEX, O_RDONLY | O_CLOEXEC);		\
	if (__fd == -ENOENT)							\
		SKIP_TEST("needs /dev/toymap%d: load toymap with devices=2 or more",	\
			  SECOND_INDEX);					\
	if (__fd >= 0)								\
		close(__fd);							\
	open_device(_metadata, SECOND_INDEX, &self->second);			\
} while (0)

/*
 * Wait for @n children for at most STUCK_SECONDS each; fail the test when
 * one is still running then (a deadlock: its state is printed, 'D' for
 * uninterruptible) or did not exit 0.  A stuck child is sent SIGKILL and
 * left behind.
 */
static void wait_children(struct __test_metadata *_metadata, const pid_t *pids,
			  const char *const *names, size_t n)
{
	bool stuck = false;

	for (size_t i = 0; i < n; i++) {
		int code = child_wait_timeout(pids[i], stuck ? 1 : STUCK_SECONDS);

		if (code == CHILD_STUCK) {
			stuck = true;
			TH_LOG("%s (pid %d) still runs after %d s, state %c: deadlocked",
			       names[i], (int)pids[i], STUCK_SECONDS, proc_state(pids[i]));
			kill(pids[i], SIGKILL);
			_metadata->passed = 0;
			continue;
		}
		EXPECT_EQ(0, code) TH_LOG("%s: %s %d", names[i],
					  code > 128 ? "killed by signal" : "exit code",
					  code > 128 ? code - 128 : code);
	}
	ASSERT_FALSE(stuck) TH_LOG("a deadlock: the object's locks stay held, later tests of it hang");
}

/* ------------------------------------------------------------------------ */
/* Defect 6a: who may change or destroy the object.                          */

/*
 * Every ioctl that changes or destroys the object needs the device open for
 * writing, as fallocate() needs a writable fd: on an O_RDONLY descriptor
 * DISCARD, EVICT, ATTACH, DETACH and SET_SWAP fail with EBADF and change
 * nothing.  INFO and a read-only shared mapping work.
 */
TEST_F(review, readonly_opener_cannot_change_the_object)
{
	struct object *obj = &self->obj;
	struct toymap_info before, after, seen;
	struct toymap_evict ev;
	char *mem, *view;
	int ro, ret;

	self->file = PATTERN_FILE(pagesize, FILE_SEED);
	self->swap = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, self->swap);
	mem = MAP_OBJECT(obj, 2, 0, RW, MAP_SHARED);
	memset(mem, 'A', pagesize);
	ASSERT_EQ(0, munmap(mem, 2 * pagesize));
	ro = toymap_open(OBJECT_INDEX, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro) TH_LOG("open O_RDONLY: %s", strerror(-ro));
	before = INFO(obj);

	ret = toymap_discard(ro, 0, pagesize);
	EXPECT_EQ(-EBADF, ret) TH_LOG("DISCARD on O_RDONLY: %s", errno_name(-ret));
	ret = toymap_evict(ro, 0, pagesize, &ev);
	EXPECT_EQ(-EBADF, ret) TH_LOG("EVICT on O_RDONLY: %s", errno_name(-ret));
	ret = toymap_set_swap(ro, self->swap);
	EXPECT_EQ(-EBADF, ret) TH_LOG("SET_SWAP on O_RDONLY: %s", errno_name(-ret));
	ret = toymap_attach(ro, self->file, 0, pagesize);
	EXPECT_EQ(-EBADF, ret) TH_LOG("ATTACH on O_RDONLY: %s", errno_name(-ret));
	ret = toymap_detach(ro);
	EXPECT_EQ(-EBADF, ret) TH_LOG("DETACH on O_RDONLY: %s", errno_name(-ret));
	ret = toymap_set_swap(ro, -1);
	EXPECT_EQ(-EBADF, ret) TH_LOG("SET_SWAP -1 on O_RDONLY: %s", errno_name(-ret));

	ret = toymap_get_info(ro, &seen);
	EXPECT_EQ(0, ret) TH_LOG("INFO on O_RDONLY: %s", errno_name(-ret));
	view = mmap(NULL, pagesize, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_NE(MAP_FAILED, view) TH_LOG("MAP_SHARED, PROT_READ on O_RDONLY: %s",
					   strerror(errno));
	EXPECT_TRUE(mem_is(view, 'A', pagesize)) TH_LOG("the page written before is gone");
	ASSERT_EQ(0, munmap(view, pagesize));
	close(ro);
	after = INFO(obj);
	EXPECT_EQ(0, BACKING(after)) TH_LOG("a read-only opener set a file or a swap file");
	EXPECT_EQ(0, DELTA(after, before, discarded_pages));
	EXPECT_EQ(0, DELTA(after, before, evictions));
	EXPECT_EQ(NOW(before, resident_pages), NOW(after, resident_pages));
}

/* ------------------------------------------------------------------------ */
/* Defect 4: a swap copy is never older than the page.                       */

/*
 * A swap-in frees the slot (INFO swapped_pages goes down) and leaves the
 * page dirty, its only copy being in memory: the next EVICT swaps it out
 * again, though nobody wrote to it since.
 */
TEST_F(review, swap_in_frees_the_slot)
{
	struct object *obj = &self->obj;
	struct toymap_info evicted, back;
	struct toymap_evict ev;
	char *mem;
	int ret;

	self->swap = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, self->swap);
	ret = toymap_set_swap(obj->fd, self->swap);
	ASSERT_EQ(0, ret) TH_LOG("SET_SWAP: %s", strerror(-ret));
	mem = MAP_OBJECT(obj, 2, 0, RW, MAP_SHARED);
	memset(mem, 'A', 2 * pagesize);
	ev = EVICT(obj, 0, 2);
	EXPECT_EVICTED(ev, 2, 0, 2, 0);
	evicted = INFO(obj);
	EXPECT_EQ(2, NOW(evicted, swapped_pages));

	EXPECT_EQ('A', read_byte(mem));
	back = INFO(obj);
	EXPECT_EQ(1, DELTA(back, evicted, swap_ins));
	EXPECT_EQ(1, NOW(back, swapped_pages)) TH_LOG("the swap-in kept its slot");

	ev = EVICT(obj, 0, 1);
	EXPECT_EVICTED(ev, 1, 0, 1, 0);
	EXPECT_EQ(2, NOW(INFO(obj), swapped_pages));
	EXPECT_TRUE(mem_is(mem, 'A', 2 * pagesize)) TH_LOG("a page came back changed");
}

/*
 * The reproducer of issue 9: a 100-byte file, a section of a page; 'A'
 * written and evicted goes to the swap file (the page has bytes past the
 * file); the file grows to a page; 'B' written and evicted goes wholly to
 * the file.  The page must come back 'B', as the file holds, never the
 * older swap copy 'A'.
 */
TEST_F(review, stale_swap_copy_never_wins)
{
	struct object *obj = &self->obj;
	struct toymap_evict ev;
	char *mem, byte = 0;
	int ret;

	self->file = PATTERN_FILE(100, FILE_SEED);
	self->swap = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, self->swap);
	ret = toymap_set_swap(obj->fd, self->swap);
	ASSERT_EQ(0, ret) TH_LOG("SET_SWAP: %s", strerror(-ret));
	ret = toymap_attach(obj->fd, self->file, 0, pagesize);
	ASSERT_EQ(0, ret) TH_LOG("ATTACH: %s", strerror(-ret));
	mem = MAP_OBJECT(obj, 1, 0, RW, MAP_SHARED);

	write_byte(mem, 'A');
	ev = EVICT(obj, 0, 1);
	EXPECT_EVICTED(ev, 1, 1, 1, 0);
	ASSERT_EQ(0, ftruncate(self->file, pagesize));
	EXPECT_EQ('A', read_byte(mem));
	write_byte(mem, 'B');
	ev = EVICT(obj, 0, 1);
	EXPECT_EQ(1, (long long)ev.written_back);
	EXPECT_EQ(0, (long long)ev.swapped_out) TH_LOG("a page wholly in the file went to swap");
	EXPECT_EQ(0, NOW(INFO(obj), swapped_pages)) TH_LOG("a swap copy outlived its page");
	ASSERT_EQ(0, toymap_pread_full(self->file, &byte, 1, 0));
	EXPECT_EQ('B', byte) TH_LOG("the file's byte 0");
	EXPECT_EQ('B', read_byte(mem)) TH_LOG("the page came back from a stale swap copy");
}

/* ------------------------------------------------------------------------ */
/* Defect 5: EVICT keeps a page that someone else holds a reference to.      */

/*
 * vmsplice() puts a reference to the mapped page itself in a pipe (FOLL_GET,
 * not a pin).  EVICT must keep that page in the object, as reclaim would:
 * not dropped (nor counted as kept, which is for dirty pages), so that what
 * the pipe holds is still the object's page: a write through the mapping
 * after EVICT is what the pipe's reader gets.
 */
TEST_F(review, evict_keeps_a_page_a_pipe_references)
{
	struct object *obj = &self->obj;
	char *mem, *got = malloc(MAX_PAGE_SIZE);
	struct toymap_evict ev;
	struct iovec iov;
	int pipefd[2];

	ASSERT_NE(NULL, got);
	mem = MAP_OBJECT(obj, 1, 0, RW, MAP_SHARED);
	EXPECT_EQ(0, read_byte(mem));
	ASSERT_EQ(0, pipe(pipefd));
	iov = (struct iovec){ .iov_base = mem, .iov_len = pagesize };
	ASSERT_EQ((ssize_t)pagesize, vmsplice(pipefd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));

	ev = EVICT(obj, 0, 1);
	EXPECT_EVICTED(ev, 0, 0, 0, 0);
	EXPECT_EQ(1, NOW(INFO(obj), resident_pages)) TH_LOG("the page the pipe holds left the object");
	memset(mem, 'B', pagesize);
	ASSERT_EQ(0, toymap_read_full(pipefd[0], got, pagesize));
	EXPECT_TRUE(mem_is(got, 'B', pagesize))
		TH_LOG("the pipe holds byte 0x%02x, not the object's 'B': a page that left the object",
		       (unsigned char)got[0]);
	close(pipefd[0]);
	close(pipefd[1]);
	free(got);
}

/* ------------------------------------------------------------------------ */
/* Defect 8: write-back never makes a truncated backing file grow back.      */

#define REGROW_PAGES	2
#define STATE_TRIES	1000	/* 10 ms each: how long a thread may take to block */

/* A thread of writeback_never_regrows_a_truncated_file, and what it did. */
struct blocker {
	pthread_t thread;
	atomic_int tid;		/* set when it starts */
	atomic_bool done;	/* set when its call returned */
	int err;		/* the call's errno, 0 */
	int fd;
	off_t size;		/* ftruncate's */
	void *buf;		/* pwrite's source */
};

static void *pwrite_page(void *arg)
{
	struct blocker *b = arg;

	atomic_store(&b->tid, gettid());
	b->err = toymap_pwrite_full(b->fd, b->buf, pagesize, 0) ? errno : 0;
	atomic_store(&b->done, true);
	return NULL;
}

static void *truncate_file(void *arg)
{
	struct blocker *b = arg;

	atomic_store(&b->tid, gettid());
	b->err = ftruncate(b->fd, b->size) ? errno : 0;
	atomic_store(&b->done, true);
	return NULL;
}

static void *fsync_object(void *arg)
{
	struct blocker *b = arg;

	atomic_store(&b->tid, gettid());
	b->err = fsync(b->fd) ? errno : 0;
	atomic_store(&b->done, true);
	return NULL;
}

/* Start @fn in a thread; wait until it sleeps in the kernel ('D') or returned. */
static int start_blocked(struct blocker *b, void *(*fn)(void *))
{
	int ret = pthread_create(&b->thread, NULL, fn, b);

	for (int i = 0; !ret && i < STATE_TRIES; i++) {
		int tid = atomic_load(&b->tid);

		if (atomic_load(&b->done) || (tid && proc_state(tid) == 'D'))
			return 0;
		usleep(10 * 1000);
	}
	return ret ? -ret : -ETIMEDOUT;
}

/* A page of anonymous memory whose first touch waits on a userfaultfd. */
static int uffd_page(void **page)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC);

	if (uffd < 0)
		return -errno;
	*page = mmap(NULL, pagesize, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range = (struct uffdio_range){ .start = (uintptr_t)*page, .len = pagesize };
	if (*page == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		int err = -errno;

		close(uffd);
		return err;
	}
	return uffd;
}

/*
 * Write-back of a page must not write past the end of the backing file as
 * it is when it writes: a truncation between write-back's look at the size
 * and its write made the old module grow the file back (issue 9 defect 8).
 *
 * First without a race: page 1 of a 2-page section dirty, the file
 * truncated to a page, fsync: the file stays a page.  Then the order is
 * forced: a pwrite() into the file holds its inode lock while it waits on a
 * userfaultfd; a truncation to one page queues for that lock, then fsync of
 * the device (page 1 dirty again, the file 2 pages again) queues behind it;
 * the pwrite is let go.  The truncation runs first: fsync must see one page
 * and leave the file at that.
 */
TEST_F_TIMEOUT(review, writeback_never_regrows_a_truncated_file, LONG_TIMEOUT)
{
	struct object *obj = &self->obj;
	struct blocker writer = { .err = 0 }, truncator = { .err = 0 }, syncer = { .err = 0 };
	struct uffdio_zeropage zero = { .mode = 0 };
	struct uffd_msg msg;
	char *mem;
	int uffd, ret;

	self->file = PATTERN_FILE(REGROW_PAGES * pagesize, FILE_SEED);
	ret = toymap_attach(obj->fd, self->file, 0, REGROW_PAGES * pagesize);
	ASSERT_EQ(0, ret) TH_LOG("ATTACH: %s", strerror(-ret));
	mem = MAP_OBJECT(obj, REGROW_PAGES, 0, RW, MAP_SHARED);
	write_byte(page_of(mem, 1), 'x');
	ASSERT_EQ(0, ftruncate(self->file, pagesize));
	ASSERT_EQ(0, fsync(obj->fd));
	ASSERT_EQ((off_t)pagesize, file_size(self->file)) TH_LOG("fsync after the truncation");

	uffd = uffd_page(&writer.buf);
	if (uffd == -ENOSYS)
		SKIP_TEST("this kernel has no userfaultfd (CONFIG_USERFAULTFD), which holds the file's inode lock here; the deterministic half ran");
	if (uffd < 0)
		SKIP_TEST("userfaultfd, to hold the file's inode lock: %s", strerror(-uffd));
	ASSERT_EQ(0, ftruncate(self->file, REGROW_PAGES * pagesize));
	write_byte(page_of(mem, 1), 'y');
	writer.fd = self->file;
	ASSERT_EQ(0, pthread_create(&writer.thread, NULL, pwrite_page, &writer));
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)))
		TH_LOG("no userfault from the pwrite: %s", strerror(errno));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	truncator = (struct blocker){ .fd = self->file, .size = pagesize };
	ASSERT_EQ(0, start_blocked(&truncator, truncate_file));
	EXPECT_FALSE(atomic_load(&truncator.done)) TH_LOG("ftruncate did not wait for the pwrite");
	syncer = (struct blocker){ .fd = obj->fd };
	ASSERT_EQ(0, start_blocked(&syncer, fsync_object));

	zero.range = (struct uffdio_range){ .start = (uintptr_t)writer.buf, .len = pagesize };
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zero)) TH_LOG("%s", strerror(errno));
	pthread_join(writer.thread, NULL);
	pthread_join(truncator.thread, NULL);
	pthread_join(syncer.thread, NULL);
	close(uffd);
	EXPECT_EQ(0, writer.err) TH_LOG("pwrite: %s", strerror(writer.err));
	EXPECT_EQ(0, truncator.err) TH_LOG("ftruncate: %s", strerror(truncator.err));
	EXPECT_EQ(0, syncer.err) TH_LOG("fsync: %s", strerror(syncer.err));
	EXPECT_EQ((off_t)pagesize, file_size(self->file))
		TH_LOG("the file grew back to %lld bytes: fsync wrote past the truncation",
		       (long long)file_size(self->file));
}

/* ------------------------------------------------------------------------ */
/* Defect 7: a swap file belongs to one object.                              */

/*
 * SET_SWAP of another object's swap file, or of any object's backing file,
 * and ATTACH of another object's swap file fail with EBUSY and change
 * nothing: two objects would write each other's slots.
 */
TEST_F(review, one_swap_file_per_object)
{
	struct object *obj = &self->obj, *second = &self->second;
	int other, ret;

	OPEN_SECOND();
	self->swap = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, self->swap);
	self->file = PATTERN_FILE(pagesize, FILE_SEED);
	ASSERT_EQ(0, toymap_set_swap(obj->fd, self->swap));
	ret = toymap_attach(obj->fd, self->file, 0, pagesize);
	ASSERT_EQ(0, ret) TH_LOG("ATTACH: %s", strerror(-ret));

	expect_swap_refused(_metadata, second, self->swap, EBUSY, "toymap0's swap file");
	expect_swap_refused(_metadata, second, self->file, EBUSY, "toymap0's backing file");
	EXPECT_EQ(0, BACKING(INFO(second))) TH_LOG("a refused SET_SWAP set a swap file");

	ret = toymap_attach(second->fd, self->swap, 0, pagesize);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("ATTACH of toymap0's swap file: %s", errno_name(-ret));
	EXPECT_EQ(0, BACKING(INFO(second))) TH_LOG("a refused ATTACH attached a file");

	other = toymap_temp_file("test", NULL, 0);
	ASSERT_LE(0, other);
	ret = toymap_set_swap(second->fd, other);
	EXPECT_EQ(0, ret) TH_LOG("SET_SWAP of a file of its own: %s", errno_name(-ret));
	ret = toymap_attach(second->fd, self->file, 0, pagesize);
	EXPECT_EQ(0, ret) TH_LOG("ATTACH of toymap0's backing file (shared by both): %s",
				 errno_name(-ret));
	close(other);
	clean_object(_metadata, second, SECOND_INDEX);
}

/* ------------------------------------------------------------------------ */
/* Defect 6b: an attached file is served only to who may read (write) it.    */

/* A mapping that a user other than the file's owner tries. */
struct map_try {
	const char *what;
	int prot;
	int flags;
	int err;		/* mmap's errno, 0 when it must work */
	int mprotect_err;	/* then mprotect(PROT_READ | PROT_WRITE)'s, when mapped */
};

/* In a child: become uid/gid NOBODY, open the object and try each mapping. */
static int child_map_as_nobody(const struct map_try *tries, size_t n, unsigned char first_byte)
{
	int fd;

	CHILD_CHECK(!setgroups(0, NULL) && !setgid(NOBODY) && !setuid(NOBODY),
		    "becoming uid %d: %s", NOBODY, strerror(errno));
	fd = toymap_open(OBJECT_INDEX, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0, "open /dev/toymap%d as uid %d: %s", OBJECT_INDEX, NOBODY,
		    strerror(-fd));
	for (size_t i = 0; i < n; i++) {
		char *mem = mmap(NULL, pagesize, tries[i].prot, tries[i].flags, fd, 0);
		int err = mem == MAP_FAILED ? errno : 0;

		CHILD_CHECK(err == tries[i].err, "%s: %s, expected %s", tries[i].what,
			    errno_name(err), errno_name(tries[i].err));
		if (err)
			continue;
		CHILD_CHECK((unsigned char)read_byte(mem) == first_byte,
			    "%s: not the file's bytes", tries[i].what);
		err = mprotect(mem, pagesize, RW) ? errno : 0;
		CHILD_CHECK(err == tries[i].mprotect_err, "%s, then mprotect(RW): %s, expected %s",
			    tries[i].what, errno_name(err), errno_name(tries[i].mprotect_err));
		munmap(mem, pagesize);
	}
	return 0;
}

/*
 * The lab setting: the device is 0666.  Root attaches a file of its own;
 * the user nobody opens the device and maps it.  With the file 0600 every
 * mapping is refused (EACCES); 0644 lets nobody read it (private mappings,
 * shared read-only ones that cannot become writable); 0666 lets it write
 * the file through a shared mapping.
 */
TEST_F(review, mapper_needs_access_to_the_backing_file)
{
	static const struct map_try unreadable[] = {
		{ "MAP_SHARED, PROT_READ", PROT_READ, MAP_SHARED, EACCES, 0 },
		{ "MAP_PRIVATE, PROT_READ", PROT_READ, MAP_PRIVATE, EACCES, 0 },
		{ "MAP_PRIVATE, PROT_WRITE", RW, MAP_PRIVATE, EACCES, 0 },
		{ "MAP_SHARED, PROT_WRITE", RW, MAP_SHARED, EACCES, 0 },
	};
	static const struct map_try readable[] = {
		{ "MAP_SHARED, PROT_WRITE", RW, MAP_SHARED, EACCES, 0 },
		{ "MAP_SHARED, PROT_READ", PROT_READ, MAP_SHARED, 0, EACCES },
		{ "MAP_PRIVATE, PROT_WRITE", RW, MAP_PRIVATE, 0, 0 },
	};
	static const struct map_try writable[] = {
		{ "MAP_SHARED, PROT_WRITE", RW, MAP_SHARED, 0, 0 },
	};
	static const struct {
		mode_t mode;
		const struct map_try *tries;
		size_t n;
	} cases[] = {
		{ 0600, unreadable, ARRAY_SIZE(unreadable) },
		{ 0644, readable, ARRAY_SIZE(readable) },
		{ 0666, writable, ARRAY_SIZE(writable) },
	};
	struct object *obj = &self->obj;
	unsigned char first_byte;
	struct stat st;
	int ret;

	SKIP_UNLESS_ROOT("becoming another user");
	self->file = PATTERN_FILE(pagesize, FILE_SEED);
	ASSERT_EQ(0, toymap_pread_full(self->file, &first_byte, 1, 0));
	ret = toymap_attach(obj->fd, self->file, 0, pagesize);
	ASSERT_EQ(0, ret) TH_LOG("ATTACH: %s", strerror(-ret));
	snprintf(self->dev_path, sizeof(self->dev_path), "/dev/toymap%d", OBJECT_INDEX);
	ASSERT_EQ(0, stat(self->dev_path, &st)) TH_LOG("%s: %s", self->dev_path, strerror(errno));
	self->dev_mode = st.st_mode & 07777;
	ASSERT_EQ(0, chmod(self->dev_path, 0666));

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		pid_t pid;

		ASSERT_EQ(0, fchmod(self->file, cases[c].mode));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(child_map_as_nobody(cases[c].tries, cases[c].n, first_byte));
		TH_LOG("backing file mode 0%o, uid %d maps the object", cases[c].mode, NOBODY);
		ASSERT_CHILD_OK(pid);
	}
	EXPECT_TRUE(file_has_pattern(self->file, pagesize, 0, 0, FILE_SEED))
		TH_LOG("the file changed");
}

/* ------------------------------------------------------------------------ */
/* Defect 3: the fault never reads a file in a way that takes its i_rwsem.   */

/*
 * A descriptor opened O_DIRECT is refused as backing and as swap file
 * (EINVAL): its reads take the inode lock, which write(2) holds while it
 * faults on a mapping of the object.  Needs a file system with O_DIRECT
 * ($TMPDIR: run.sh runs this on ext4 and XFS).
 */
TEST_F(review, o_direct_descriptor_is_refused)
{
	struct object *obj = &self->obj;
	int direct, ret;

	self->file = PATTERN_FILE(pagesize, FILE_SEED);
	direct = reopen_fd(self->file, O_RDWR | O_DIRECT);
	if (direct == -EINVAL)
		SKIP_TEST("the file system of $TMPDIR (%s) has no O_DIRECT on this kernel; run.sh runs this on ext4 and XFS",
			  getenv("TMPDIR") ?: "/tmp");
	ASSERT_LE(0, direct) TH_LOG("reopening with O_DIRECT: %s", strerror(-direct));
	ret = toymap_attach(obj->fd, direct, 0, pagesize);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("ATTACH of an O_DIRECT descriptor: %s", errno_name(-ret));
	ret = toymap_set_swap(obj->fd, direct);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("SET_SWAP of an O_DIRECT descriptor: %s", errno_name(-ret));
	close(direct);
	EXPECT_EQ(0, BACKING(INFO(obj))) TH_LOG("a refused descriptor was kept");
}

/*
 * A regular file whose file system has no page cache to read it through
 * (procfs) is refused at ATTACH (EINVAL).
 */
TEST_F(review, file_without_page_cache_is_refused)
{
	struct object *obj = &self->obj;
	int fd, ret;

	fd = open("/proc/version", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("/proc/version: %s", strerror(errno));
	ret = toymap_attach(obj->fd, fd, 0, pagesize);
	close(fd);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("ATTACH of /proc/version: %s", errno_name(-ret));
	EXPECT_EQ(0, BACKING(INFO(obj))) TH_LOG("a refused file was attached");
}

/* ------------------------------------------------------------------------ */
/* Defect 1: a refused ATTACH leaves no file behind, whatever mmap() does.   */

#define ATTACH_CLEAN_PAGES	2048	/* clean pages before the dirty one */

struct mapper {
	int fd;
	atomic_bool stop;
	long maps;
};

static void *map_unmap_loop(void *arg)
{
	struct mapper *m = arg;

	while (!atomic_load(&m->stop)) {
		void *mem = mmap(NULL, pagesize, PROT_READ, MAP_SHARED, m->fd, 0);

		if (mem != MAP_FAILED) {
			munmap(mem, pagesize);
			m->maps++;
		}
	}
	return NULL;
}

/*
 * ATTACH refuses an object with a dirty page (EBUSY).  One thread maps and
 * unmaps the object in a loop while ATTACH is tried again and again; the
 * dirty page comes after many clean ones, so ATTACH takes a while to find
 * it.  No refused ATTACH may leave the file attached: the old module did
 * (its undo was refused by a mapping that came in between), and kept a file
 * it held no reference to.  On /dev/toymap1: an old module's object is
 * broken after this.
 */
TEST_F_TIMEOUT(review, attach_racing_mmap_leaves_no_file, LONG_TIMEOUT)
{
	struct object *second = &self->second;
	struct mapper m = { .stop = false };
	struct toymap_info info = {};
	long tries = 0, busy = 0;
	int ret = 0, info_ret = 0;
	pthread_t thread;
	time_t end;
	char *mem;

	OPEN_SECOND();
	self->file = PATTERN_FILE(pagesize, FILE_SEED);
	mem = MAP_OBJECT(second, ATTACH_CLEAN_PAGES + 1, 0, RW, MAP_SHARED);
	for (size_t i = 0; i < ATTACH_CLEAN_PAGES; i++)
		read_byte(page_of(mem, i));
	write_byte(page_of(mem, ATTACH_CLEAN_PAGES), 'd');
	ASSERT_EQ(0, munmap(mem, (ATTACH_CLEAN_PAGES + 1) * pagesize));

	m.fd = second->fd;
	ASSERT_EQ(0, pthread_create(&thread, NULL, map_unmap_loop, &m));
	end = time(NULL) + RACE_SECONDS;
	while (time(NULL) < end) {
		ret = toymap_attach(second->fd, self->file, 0, pagesize);
		tries++;
		if (ret != -EBUSY)
			break;
		busy++;
		info_ret = toymap_get_info(second->fd, &info);
		if (info_ret || (info.backing_flags & TOYMAP_BACKING_FILE))
			break;
	}
	atomic_store(&m.stop, true);
	pthread_join(thread, NULL);
	TH_LOG("%ld ATTACHes (%ld EBUSY) against %ld mmaps", tries, busy, m.maps);
	ASSERT_EQ(0, info_ret) TH_LOG("INFO: %s", strerror(-info_ret));
	if (BACKING(info) & TOYMAP_BACKING_FILE) {
		/* The object holds no reference to the file: DETACH would put it twice. */
		close(second->fd);
		second->fd = -1;
	}
	ASSERT_EQ(0, BACKING(info) & TOYMAP_BACKING_FILE)
		TH_LOG("ATTACH %ld returned EBUSY and left the file attached", tries);
	ASSERT_EQ(-EBUSY, ret) TH_LOG("ATTACH with a dirty page: %s", errno_name(-ret));
	EXPECT_LT(0, m.maps) TH_LOG("no mmap raced the ATTACHes");
	ret = toymap_detach(second->fd);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("DETACH after the refused ATTACHes: %s", errno_name(-ret));
	clean_object(_metadata, second, SECOND_INDEX);
}

/* ------------------------------------------------------------------------ */
/* Deadlocks (defects 3 and 2): last, as an old module's object stays stuck. */

#define SELF_WRITE_PAGES	4

/* In a child: write an untouched mapping of the section into the file. */
static int child_write_from_mapping(const struct object *obj, int file)
{
	char *mem = map_object(obj, SELF_WRITE_PAGES, 0, PROT_READ, MAP_SHARED);
	size_t len = SELF_WRITE_PAGES * pagesize;

	CHILD_CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	CHILD_CHECK(!toymap_pwrite_full(file, mem, len, len), "pwrite from the mapping: %s",
		    strerror(errno));
	return 0;
}

/*
 * write(F, an untouched mapping of an object backed by F) holds F's inode
 * lock while it faults on the object, whose fault reads F: the read must
 * not take that lock again.  The old module read with kernel_read(), which
 * on XFS (and any O_DIRECT file) takes it: the writer deadlocked on itself.
 * The copy holds the section's bytes.
 */
TEST_F_TIMEOUT(review, write_from_an_untouched_mapping_into_its_file, LONG_TIMEOUT + STUCK_SECONDS)
{
	static const char *const names[] = { "the writer" };
	struct object *obj = &self->obj;
	size_t len = SELF_WRITE_PAGES * pagesize;
	struct toymap_info before;
	pid_t pid;
	int ret;

	self->file = PATTERN_FILE(2 * len, FILE_SEED);
	ret = toymap_attach(obj->fd, self->file, 0, len);
	ASSERT_EQ(0, ret) TH_LOG("ATTACH: %s", strerror(-ret));
	before = INFO(obj);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(child_write_from_mapping(obj, self->file));
	wait_children(_metadata, &pid, names, 1);
	EXPECT_TRUE(file_has_pattern(self->file, len, len, 0, FILE_SEED))
		TH_LOG("the copy is not the section's bytes");
	EXPECT_EQ(SELF_WRITE_PAGES, DELTA(INFO(obj), before, file_reads))
		TH_LOG("each page read from the file once");
}

#define RACE_PAGES	16

/* In a child: dirty the section and write it back, again and again. */
static int child_dirty_and_write_back(const struct object *obj, bool evict, time_t end)
{
	char *mem = map_object(obj, RACE_PAGES, 0, RW, MAP_SHARED);
	struct toymap_evict ev;
	unsigned int round = 0;
	int ret;

	CHILD_CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	while (time(NULL) < end) {
		fill_pattern(mem, RACE_PAGES * pagesize, 0, WRITE_SEED + round++);
		if (evict)
			ret = toymap_evict(obj->fd, 0, RACE_PAGES * pagesize, &ev);
		else
			ret = fsync(obj->fd) ? -errno : 0;
		CHILD_CHECK(!ret, "%s: %s", evict ? "EVICT" : "fsync", strerror(-ret));
	}
	return 0;
}

/* In a child: write fresh mappings of the section into the file, past it. */
static int child_write_mappings(const struct object *obj, int file, time_t end)
{
	size_t len = RACE_PAGES * pagesize;

	while (time(NULL) < end) {
		char *mem = map_object(obj, RACE_PAGES, 0, PROT_READ, MAP_SHARED);

		CHILD_CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
		CHILD_CHECK(!toymap_pwrite_full(file, mem, len, len), "pwrite from the mapping: %s",
			    strerror(errno));
		munmap(mem, len);
	}
	return 0;
}

/*
 * Write-back (EVICT or fsync) of dirty pages in one process while another
 * writes a mapping of the same pages into the backing file: the writer
 * holds the file's inode lock and faults on a page; write-back must not
 * hold that page's lock while it writes to the file.  The old module did:
 * both processes stuck for good.  Then the object and the file agree.
 */
static void race_writeback_and_write(struct __test_metadata *_metadata,
				     FIXTURE_DATA(review) *self, bool evict)
{
	static const char *const names[] = { "the write-back", "the writer" };
	struct object *obj = &self->obj;
	size_t len = RACE_PAGES * pagesize;
	pid_t pids[2];
	time_t end;
	char *mem;
	int ret;

	self->file = PATTERN_FILE(2 * len, FILE_SEED);
	ret = toymap_attach(obj->fd, self->file, 0, len);
	ASSERT_EQ(0, ret) TH_LOG("ATTACH: %s", strerror(-ret));
	end = time(NULL) + RACE_SECONDS;
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(i ? child_write_mappings(obj, self->file, end) :
				  child_dirty_and_write_back(obj, evict, end));
	}
	wait_children(_metadata, pids, names, 2);

	ASSERT_EQ(0, fsync(obj->fd));
	mem = MAP_OBJECT(obj, RACE_PAGES, 0, PROT_READ, MAP_SHARED);
	for (size_t i = 0; i < RACE_PAGES; i++) {
		unsigned char byte;

		ASSERT_EQ(0, toymap_pread_full(self->file, &byte, 1, i * pagesize));
		EXPECT_EQ(byte, (unsigned char)read_byte(page_of(mem, i)))
			TH_LOG("page %zu: the object and its file differ after fsync", i);
	}
}

TEST_F_TIMEOUT(review, evict_vs_write_from_the_mapping, LONG_TIMEOUT + STUCK_SECONDS)
{
	race_writeback_and_write(_metadata, self, true);
}

TEST_F_TIMEOUT(review, fsync_vs_write_from_the_mapping, LONG_TIMEOUT + STUCK_SECONDS)
{
	race_writeback_and_write(_metadata, self, false);
}

TEST_HARNESS_MAIN
