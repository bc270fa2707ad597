// SPDX-License-Identifier: GPL-2.0
/*
 * quiz_backing: the questions on an object's backing (CS:APP 9.3.4, 9.8):
 * an area backed by a file (read on demand, written back by msync, a
 * private write that never reaches it) and anonymous pages swapped out and
 * in.  As in quiz_mapping.c, each step names what happened as an outcome.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "quiz.h"

#define FILE_PAGES	2	/* the file section's pages */

/* What the scenarios remember from one step to the next. */
static struct quiz_view seen_a, seen_b;

static const char file_text0[] = "file page 0: original";
static const char file_text1[] = "file page 1: original";
static const char mem_text[] = "changed in memory";
static const char file_private[] = "a private change";
static const char write_text[] = "changed by write()";
static const char swap_text[] = "only in memory";

/* The text at the start of page @page of the backing file. */
static int file_text(struct quiz *q, unsigned int page, char *buf)
{
	int err = toymap_pread_full(q->file_fd, buf, QUIZ_TEXT_LEN, (off_t)page * q->page_size);

	buf[QUIZ_TEXT_LEN - 1] = '\0';
	return err ? quiz_fail("reading the backing file", err) : 0;
}

static int evict(struct quiz *q, unsigned int page, unsigned int count)
{
	int err = toymap_evict(q->fd, (uint64_t)page * q->page_size,
			       (uint64_t)count * q->page_size, &q->evicted);

	if (err) {
		toymap_perror_ioctl("", q->device, q->fd, TOYMAP_IOC_EVICT, err);
		return -1;
	}
	return 0;
}

static void note_evicted(struct quiz_result *r, const struct toymap_evict *e)
{
	quiz_note(r, "eviction: %llu dropped, %llu written back, %llu swapped out, %llu kept",
		  (unsigned long long)e->dropped,
		  (unsigned long long)e->written_back, (unsigned long long)e->swapped_out,
		  (unsigned long long)e->kept);
}

/* ------------------------------------------------------ a file */

static int fl_prepare(struct quiz *q)
{
	int fd, err;

	if (quiz_fresh_object(q))
		return -1;
	fd = toymap_temp_file("quiz-file", NULL, 0);
	if (fd < 0)
		return quiz_fail("making a file in $TMPDIR", fd);
	q->file_fd = fd;
	if (ftruncate(fd, FILE_PAGES * q->page_size))
		return quiz_fail("ftruncate", -errno);
	err = toymap_pwrite_full(fd, file_text0, sizeof(file_text0), 0);
	if (!err)
		err = toymap_pwrite_full(fd, file_text1, sizeof(file_text1), q->page_size);
	return err ? quiz_fail("writing the file", err) : 0;
}

static int fl_attach(struct quiz *q, struct quiz_result *r)
{
	int err = toymap_attach(q->fd, q->file_fd, 0, FILE_PAGES * (uint64_t)q->page_size);

	if (err) {
		toymap_perror_ioctl("", q->device, q->fd, TOYMAP_IOC_ATTACH, err);
		return -1;
	}
	if (quiz_map(&q->self, AREA_A, 0, FILE_PAGES, MAP_SHARED) || quiz_observe(q))
		return -1;
	r->outcome = QUIZ_DELTA(q, file_reads);
	return 0;
}

static int fl_read(struct quiz *q, struct quiz_result *r)
{
	if (quiz_read(&q->self, AREA_A, 0, 1, &seen_a) || quiz_observe(q))
		return -1;
	quiz_note(r, "A read \"%s\"", seen_a.text);
	r->outcome = QUIZ_DELTA(q, file_reads);
	return 0;
}

static int fl_write(struct quiz *q, struct quiz_result *r)
{
	char text[QUIZ_TEXT_LEN];

	if (quiz_write(&q->self, AREA_A, 0, mem_text, &seen_a) || file_text(q, 0, text))
		return -1;
	quiz_note(r, "pread() of the file at page 0: \"%s\"", text);
	r->outcome = quiz_which_text(text, mem_text, file_text0);
	return 0;
}

static int fl_msync(struct quiz *q, struct quiz_result *r)
{
	char text[QUIZ_TEXT_LEN];

	if (quiz_msync(&q->self, AREA_A) || quiz_observe(q) || file_text(q, 0, text))
		return -1;
	quiz_note(r, "pread() of the file at page 0: \"%s\"", text);
	r->outcome = QUIZ_DELTA(q, write_backs);
	return 0;
}

static int fl_private(struct quiz *q, struct quiz_result *r)
{
	char text[QUIZ_TEXT_LEN];

	if (quiz_map(&q->self, AREA_B, 1, 1, MAP_PRIVATE) ||
	    quiz_write(&q->self, AREA_B, 0, file_private, &seen_b) ||
	    quiz_msync(&q->self, AREA_B) || file_text(q, 1, text))
		return -1;
	quiz_note_view(r, "A, private mapping of page 1", &seen_b);
	quiz_note(r, "pread() of the file at page 1: \"%s\"", text);
	r->outcome = quiz_which_text(text, file_text1, file_private);
	return 0;
}

static int fl_write_file(struct quiz *q)
{
	int err = toymap_pwrite_full(q->file_fd, write_text, sizeof(write_text), 0);

	return err ? quiz_fail("write() to the file", err) : 0;
}

static int fl_write_under(struct quiz *q, struct quiz_result *r)
{
	if (quiz_read(&q->self, AREA_A, 0, 1, &seen_a))
		return -1;
	quiz_note(r, "A read \"%s\"", seen_a.text);
	r->outcome = quiz_which_text(seen_a.text, mem_text, write_text);
	return 0;
}

static int fl_evict(struct quiz *q, struct quiz_result *r)
{
	if (evict(q, 0, 1) || quiz_read(&q->self, AREA_A, 0, 1, &seen_a))
		return -1;
	note_evicted(r, &q->evicted);
	quiz_note(r, "A read \"%s\"", seen_a.text);
	r->outcome = quiz_which_text(seen_a.text, mem_text, write_text);
	return 0;
}

/* ------------------------------------------------------ swap */

static int sw_prepare(struct quiz *q)
{
	struct quiz_view v;

	return quiz_fresh_object(q) || quiz_map(&q->self, AREA_A, 0, 2, MAP_SHARED) ||
	       quiz_write(&q->self, AREA_A, 0, swap_text, &v) ||
	       quiz_read(&q->self, AREA_A, 1, 1, &v) ? -1 : 0;
}

/* What became of a dirty page at an eviction. */
static long evicted_outcome(const struct toymap_evict *e)
{
	if (e->kept)
		return OUT_KEPT;
	if (e->swapped_out || e->written_back)
		return OUT_WRITTEN;
	return OUT_LOST;
}

static int sw_noswap(struct quiz *q, struct quiz_result *r)
{
	if (evict(q, 0, 2) || quiz_observe(q))
		return -1;
	note_evicted(r, &q->evicted);
	quiz_note(r, "resident_pages now: %llu", (unsigned long long)q->after.resident_pages);
	r->outcome = evicted_outcome(&q->evicted);
	return 0;
}

static int sw_set_swap(struct quiz *q)
{
	int fd = toymap_temp_file("quiz-swap", NULL, 0), err;

	if (fd < 0)
		return quiz_fail("making a swap file in $TMPDIR", fd);
	q->swap_fd = fd;
	err = toymap_set_swap(q->fd, fd);
	if (err) {
		toymap_perror_ioctl("", q->device, q->fd, TOYMAP_IOC_SET_SWAP, err);
		return -1;
	}
	return 0;
}

static int sw_swapout(struct quiz *q, struct quiz_result *r)
{
	if (evict(q, 0, 2) || quiz_observe(q))
		return -1;
	note_evicted(r, &q->evicted);
	r->outcome = QUIZ_DELTA(q, swap_outs);
	return 0;
}

/* Where a page read back came from: the swap file, a zero fill, or memory. */
static long refault_outcome(struct quiz *q)
{
	if (QUIZ_DELTA(q, swap_ins))
		return OUT_SWAP;
	if (QUIZ_DELTA(q, zero_fills))
		return OUT_ZERO;
	return QUIZ_DELTA(q, faults) ? QUIZ_UNEXPECTED : OUT_MEMORY;
}

static int sw_swapin(struct quiz *q, struct quiz_result *r)
{
	if (quiz_read(&q->self, AREA_A, 0, 1, &seen_a) || quiz_observe(q))
		return -1;
	quiz_note(r, "A read \"%s\"", seen_a.text);
	r->outcome = refault_outcome(q);
	if (r->outcome == OUT_SWAP && strcmp(seen_a.text, swap_text))
		r->outcome = QUIZ_UNEXPECTED;
	return 0;
}

static int sw_clean(struct quiz *q, struct quiz_result *r)
{
	if (quiz_read(&q->self, AREA_A, 1, 1, &seen_a) || quiz_observe(q))
		return -1;
	quiz_note(r, "A read %s", seen_a.zero ? "zero bytes only" : "some bytes that are not zero");
	r->outcome = refault_outcome(q);
	return 0;
}

/* ------------------------------------------------------ the questions */

const struct quiz_question quiz_backing_questions[] = {
	{
		.name = "fl-attach",
		.topic = "An area backed by a file (CS:APP 9.8)",
		.setup = "The object was emptied. A file of two pages starts them with \"file\n"
		         "page 0: original\" and \"file page 1: original\".",
		.ask = "A attaches the file to the object (TOYMAP_IOC_ATTACH) and maps both\n"
		       "pages with MAP_SHARED. How many pages have been read from the file?",
		.options = {
			{ "two: the whole section", ONE(2) },
			{ "none: a page is read when first touched", ONE(0) },
			{ "one, the first", ONE(1) },
		},
		.prepare = fl_prepare,
		.step = fl_attach,
		.why = "Like a program's file, the object's pages are read from the file on\n"
		       "demand: at the first touch of each, in .fault. mmap() reads nothing.",
	},
	{
		.name = "fl-read",
		.ask = "A reads page 0. How many pages does the module read from the file?",
		.options = {
			{ "none", ONE(0) },
			{ "two", ONE(2) },
			{ "one", ONE(1) },
		},
		.step = fl_read,
		.why = "The fault on page 0 reads page 0. Fault-around maps only pages already\n"
		       "in memory, so page 1 waits for its own first touch.",
	},
	{
		.name = "fl-write",
		.ask = "A writes \"changed in memory\" to page 0. Does the file change at once\n"
		       "(read with pread())?",
		.options = {
			{ "yes: the mapping is the file", ONE(OUT_TEXT0) },
			{ "no, not yet", ONE(OUT_TEXT1) },
		},
		.step = fl_write,
		.why = "The store goes into the page in memory, which is now dirty. The file\n"
		       "changes when the page is written back: msync(), fsync(), an eviction.",
	},
	{
		.name = "fl-msync",
		.ask = "A calls msync(MS_SYNC) on its mapping. How many pages are written back\n"
		       "to the file?",
		.options = {
			{ "two: the whole section", ONE(2) },
			{ "none", ONE(0) },
			{ "one: the dirty page", ONE(1) },
		},
		.step = fl_msync,
		.why = "Only dirty pages go back: page 0. Page 1 was never touched. msync(MS_SYNC)\n"
		       "returns once the file holds the bytes.",
	},
	{
		.name = "fl-private",
		.ask = "A maps page 1 again, now MAP_PRIVATE, writes \"a private change\" to it\n"
		       "and calls msync(). What does the file hold at page 1?",
		.options = {
			{ "\"file page 1: original\"", ONE(OUT_TEXT0) },
			{ "\"a private change\"", ONE(OUT_TEXT1) },
		},
		.step = fl_private,
		.why = "A private write goes into an anonymous copy that belongs to no file:\n"
		       "nothing can write it back, not msync() either.",
	},
	{
		.name = "fl-write-under",
		.setup = "Another program write()s \"changed by write()\" into the file at page 0,\n"
		         "while the object's page 0 is in memory.",
		.ask = "A reads page 0 through its mapping. What does it read?",
		.options = {
			{ "\"changed in memory\": the object's page", ONE(OUT_TEXT0) },
			{ "\"changed by write()\": the file's new bytes", ONE(OUT_TEXT1) },
		},
		.prepare = fl_write_file,
		.step = fl_write_under,
		.why = "Here toymap differs from mapping the file itself. An mmap() of the file\n"
		       "maps the file's own page cache, so write() would show at once. The\n"
		       "object keeps its own copy of the section, filled at first touch, and\n"
		       "does not see a write() to the file until the page is read again.",
	},
	{
		.name = "fl-evict",
		.ask = "A evicts page 0 (TOYMAP_IOC_EVICT) and reads it again. What does it read?",
		.options = {
			{ "zero bytes", ONE(OUT_ZERO) },
			{ "\"changed in memory\"", ONE(OUT_TEXT0) },
			{ "\"changed by write()\"", ONE(OUT_TEXT1) },
		},
		.step = fl_evict,
		.why = "Page 0 was clean (written back by msync), so eviction just dropped it.\n"
		       "The next touch reads it from the file again: the file's bytes now.",
	},
	{
		.name = "sw-noswap",
		.topic = "Swapping (CS:APP 9.3.4, 9.8)",
		.setup = "The object was emptied: anonymous, no file. A maps pages 0-1 with\n"
		         "MAP_SHARED, writes \"only in memory\" to page 0 and reads page 1. The\n"
		         "object has no swap file.",
		.ask = "A evicts both pages (TOYMAP_IOC_EVICT). What happens to page 0?",
		.options = {
			{ "it is dropped: its bytes are lost", ONE(OUT_LOST) },
			{ "it stays in memory: there is nowhere to write it", ONE(OUT_KEPT) },
			{ "it is written to disk", ONE(OUT_WRITTEN) },
		},
		.prepare = sw_prepare,
		.step = sw_noswap,
		.why = "Page 0 is dirty and anonymous: its bytes exist only in this frame.\n"
		       "Without a swap file it cannot leave memory (Linux without swap keeps\n"
		       "anonymous pages the same way). Page 1 was clean: dropped, it can be\n"
		       "made again.",
	},
	{
		.name = "sw-swapout",
		.setup = "A gives the object a swap file (TOYMAP_IOC_SET_SWAP).",
		.ask = "A evicts both pages again. How many pages are written to the swap file?",
		.options = {
			{ "two", ONE(2) },
			{ "one", ONE(1) },
			{ "none", ONE(0) },
		},
		.prepare = sw_set_swap,
		.step = sw_swapout,
		.why = "Only page 0 holds bytes that exist nowhere else. Page 1 was dropped at\n"
		       "the first eviction; a clean page is never written to swap.",
	},
	{
		.name = "sw-swapin",
		.ask = "A reads page 0. Where do its bytes come from?",
		.options = {
			{ "nowhere: it is a new zero-filled page", ONE(OUT_ZERO) },
			{ "memory: it never left", ONE(OUT_MEMORY) },
			{ "the swap file", ONE(OUT_SWAP) },
		},
		.step = sw_swapin,
		.why = "The page fault reaches .fault, which finds the page's copy in the swap\n"
		       "file and reads it into a new frame (swap-in). The program sees its data\n"
		       "as if nothing happened; only the time it took tells. The page in memory\n"
		       "is the newest copy now, so its slot in the swap file is freed\n"
		       "(swapped_pages), as Linux does for tmpfs pages.",
	},
	{
		.name = "sw-clean",
		.ask = "A reads page 1, which it never wrote. Where does it come from?",
		.options = {
			{ "the swap file", ONE(OUT_SWAP) },
			{ "memory: it never left", ONE(OUT_MEMORY) },
			{ "a new zero-filled page", ONE(OUT_ZERO) },
		},
		.step = sw_clean,
		.why = "Page 1 was never written, so nothing was saved: it comes back\n"
		       "demand-zero, as new.",
	},
};

const size_t quiz_backing_nquestions =
	sizeof(quiz_backing_questions) / sizeof(quiz_backing_questions[0]);
