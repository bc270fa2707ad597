// SPDX-License-Identifier: GPL-2.0
/*
 * quiz_mapping: the questions on mapping an object (CS:APP 9.8-9.8.2):
 * demand-zero pages, fault-around, a shared object, a private copy-on-write
 * object, fork().  Each step does what its question asks about and names
 * what happened as an outcome (quiz.h); the options say which outcome makes
 * each one true.  A section starts with a fresh object; its steps build on
 * each other.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "quiz.h"

/* The demand-zero section maps the object, up to this much of it. */
#define DZ_MAX_BYTES	(1ULL << 30)
#define FA_PAGES	4	/* the fault-around section's pages */

/* What the scenarios remember from one step to the next. */
static uint64_t dz_pages;
static struct quiz_view seen_a, seen_b;

static const char text_a[] = "hello from A";
static const char text_b[] = "hello from B";
static const char object_text[] = "the object's bytes";
static const char private_text[] = "B's private change";
static const char parent_shared[] = "parent's shared data";
static const char parent_private[] = "parent's private data";
static const char child_private[] = "the child's private data";
static const char child_shared[] = "the child was here";

/* ------------------------------------------------------ demand-zero */

static int dz_prepare(struct quiz *q)
{
	dz_pages = q->object_pages;
	if (dz_pages * q->page_size > DZ_MAX_BYTES)
		dz_pages = DZ_MAX_BYTES / q->page_size;
	return quiz_fresh_object(q);
}

static int dz_mmap(struct quiz *q, struct quiz_result *r)
{
	long in_core;

	if (quiz_map(&q->self, AREA_A, 0, dz_pages, MAP_SHARED) || quiz_observe(q))
		return -1;
	in_core = quiz_mincore(q, AREA_A, dz_pages);
	quiz_note(r, "A mapped %llu pages; mincore(): %ld of them resident",
		  (unsigned long long)dz_pages, in_core);
	if (q->after.resident_pages == dz_pages)
		r->outcome = OUT_ALL;
	else
		r->outcome = (long)q->after.resident_pages;
	return 0;
}

static int dz_touch(struct quiz *q, struct quiz_result *r)
{
	struct quiz_view v;

	if (quiz_read(&q->self, AREA_A, 0, 3, &v) || quiz_observe(q))
		return -1;
	r->outcome = QUIZ_DELTA(q, zero_fills) == (long)dz_pages ? OUT_ALL :
		     QUIZ_DELTA(q, zero_fills);
	return 0;
}

static int dz_zero(struct quiz *q, struct quiz_result *r)
{
	struct quiz_view v;

	if (quiz_read(&q->self, AREA_A, 0, 3, &v))
		return -1;
	quiz_note(r, "A read all %ld bytes of pages 0-2: %s", 3 * q->page_size,
		  v.zero ? "every one zero" : "some not zero");
	r->outcome = v.zero ? OUT_ZERO : OUT_OLD;
	return 0;
}

static int dz_write(struct quiz *q, struct quiz_result *r)
{
	struct quiz_view v;

	if (quiz_write(&q->self, AREA_A, 0, text_a, &v) || quiz_observe(q))
		return -1;
	r->outcome = quiz_callback_outcome(q);
	return 0;
}

/* ------------------------------------------------------ fault-around */

static int fa_prepare(struct quiz *q)
{
	struct quiz_view v;

	return quiz_fresh_object(q) || quiz_map(&q->self, AREA_A, 0, FA_PAGES, MAP_SHARED) ||
	       quiz_read(&q->self, AREA_A, 0, FA_PAGES, &v) || quiz_unmap(&q->self, AREA_A) ? -1 : 0;
}

static int fa_remap(struct quiz *q, struct quiz_result *r)
{
	struct quiz_view v;

	if (quiz_map(&q->self, AREA_A, 0, FA_PAGES, MAP_SHARED) ||
	    quiz_read(&q->self, AREA_A, 0, FA_PAGES, &v) || quiz_observe(q))
		return -1;
	r->outcome = QUIZ_DELTA(q, faults);
	return 0;
}

static int fa_again(struct quiz *q)
{
	return quiz_unmap(&q->self, AREA_A) || quiz_map(&q->self, AREA_A, 0, FA_PAGES, MAP_SHARED);
}

static int fa_minflt(struct quiz *q, struct quiz_result *r)
{
	struct quiz_view v;

	if (quiz_read(&q->self, AREA_A, 0, FA_PAGES, &v))
		return -1;
	quiz_note(r, "getrusage(): A took %ld minor page fault%s for the four reads", v.minflt,
		  v.minflt == 1 ? "" : "s");
	r->outcome = v.minflt;
	return 0;
}

/* ------------------------------------------------------ a shared object */

static int sh_prepare(struct quiz *q)
{
	return quiz_fresh_object(q) || quiz_map(&q->self, AREA_A, 0, 1, MAP_SHARED) ||
	       quiz_write(&q->self, AREA_A, 0, text_a, &seen_a) ||
	       quiz_spawn(q, &q->other, "process B") ? -1 : 0;
}

static int sh_frame(struct quiz *q, struct quiz_result *r)
{
	if (quiz_map(&q->other, AREA_A, 0, 1, MAP_SHARED) ||
	    quiz_read(&q->other, AREA_A, 0, 1, &seen_b) || quiz_look(&q->self, AREA_A, 0, &seen_a))
		return -1;
	quiz_note_view(r, "A", &seen_a);
	quiz_note_view(r, "B", &seen_b);
	quiz_note(r, "B read \"%s\"", seen_b.text);
	r->outcome = quiz_frame_outcome(&seen_a, &seen_b);
	return 0;
}

static int sh_mkwrite(struct quiz *q, struct quiz_result *r)
{
	if (quiz_write(&q->other, AREA_A, 0, text_b, &seen_b) || quiz_observe(q))
		return -1;
	r->outcome = quiz_callback_outcome(q);
	return 0;
}

static int sh_seen(struct quiz *q, struct quiz_result *r)
{
	if (quiz_read(&q->self, AREA_A, 0, 1, &seen_a))
		return -1;
	quiz_note(r, "A read \"%s\"", seen_a.text);
	quiz_note_view(r, "A", &seen_a);
	quiz_note_view(r, "B", &seen_b);
	r->outcome = quiz_which_text(seen_a.text, text_b, text_a);
	return 0;
}

static int sh_unmap(struct quiz *q, struct quiz_result *r)
{
	if (quiz_unmap(&q->self, AREA_A) || quiz_unmap(&q->other, AREA_A) || quiz_observe(q))
		return -1;
	r->outcome = (long)q->after.resident_pages;
	return 0;
}

/* ------------------------------------------------------ private copy-on-write */

static int pc_prepare(struct quiz *q)
{
	return quiz_fresh_object(q) || quiz_map(&q->self, AREA_A, 1, 1, MAP_SHARED) ||
	       quiz_write(&q->self, AREA_A, 0, object_text, &seen_a) ||
	       quiz_spawn(q, &q->other, "process B") ||
	       quiz_map(&q->other, AREA_A, 1, 1, MAP_PRIVATE) ? -1 : 0;
}

static int pc_read(struct quiz *q, struct quiz_result *r)
{
	if (quiz_read(&q->other, AREA_A, 0, 1, &seen_b) || quiz_look(&q->self, AREA_A, 0, &seen_a))
		return -1;
	quiz_note_view(r, "A (shared)", &seen_a);
	quiz_note_view(r, "B (private)", &seen_b);
	r->outcome = quiz_frame_outcome(&seen_a, &seen_b);
	return 0;
}

static int pc_write(struct quiz *q, struct quiz_result *r)
{
	if (quiz_write(&q->other, AREA_A, 0, private_text, &seen_b) ||
	    quiz_look(&q->self, AREA_A, 0, &seen_a))
		return -1;
	quiz_note_view(r, "A (shared)", &seen_a);
	quiz_note_view(r, "B (private)", &seen_b);
	r->outcome = quiz_frame_outcome(&seen_a, &seen_b);
	return 0;
}

static int pc_object(struct quiz *q, struct quiz_result *r)
{
	if (quiz_read(&q->self, AREA_A, 0, 1, &seen_a))
		return -1;
	quiz_note(r, "A read \"%s\"", seen_a.text);
	r->outcome = quiz_which_text(seen_a.text, object_text, private_text);
	return 0;
}

static int pc_map_fresh(struct quiz *q)
{
	return quiz_map(&q->other, AREA_B, 2, 1, MAP_PRIVATE);
}

static int pc_first_write(struct quiz *q, struct quiz_result *r)
{
	if (quiz_write(&q->other, AREA_B, 0, private_text, &seen_b) || quiz_observe(q))
		return -1;
	quiz_note_view(r, "B (private, page 2)", &seen_b);
	r->outcome = QUIZ_DELTA(q, resident_pages);
	return 0;
}

/* ------------------------------------------------------ fork */

/* The parent's areas: shared page 0, private page 1. */
static int fk_prepare(struct quiz *q)
{
	return quiz_fresh_object(q) || quiz_map(&q->self, AREA_A, 0, 1, MAP_SHARED) ||
	       quiz_write(&q->self, AREA_A, 0, parent_shared, &seen_a) ||
	       quiz_map(&q->self, AREA_B, 1, 1, MAP_PRIVATE) ||
	       quiz_write(&q->self, AREA_B, 0, parent_private, &seen_a) ? -1 : 0;
}

static int fk_pte(struct quiz *q, struct quiz_result *r)
{
	if (quiz_fork(q, &q->child, "the child") || quiz_look(&q->child, AREA_A, 0, &seen_b) ||
	    quiz_look(&q->self, AREA_A, 0, &seen_a))
		return -1;
	quiz_note_view(r, "parent, shared area", &seen_a);
	quiz_note_view(r, "child, shared area", &seen_b);
	r->outcome = quiz_frame_outcome(&seen_a, &seen_b);
	return 0;
}

static int fk_private(struct quiz *q, struct quiz_result *r)
{
	if (quiz_look(&q->child, AREA_B, 0, &seen_b) || quiz_look(&q->self, AREA_B, 0, &seen_a))
		return -1;
	quiz_note_view(r, "parent, private area", &seen_a);
	quiz_note_view(r, "child, private area", &seen_b);
	r->outcome = quiz_frame_outcome(&seen_a, &seen_b);
	return 0;
}

static int fk_read_shared(struct quiz *q, struct quiz_result *r)
{
	struct quiz_view v;

	if (quiz_read(&q->child, AREA_A, 0, 1, &v) || quiz_observe(q))
		return -1;
	quiz_note(r, "the child read \"%s\"", v.text);
	r->outcome = quiz_callback_outcome(q);
	return 0;
}

/* seen_a and seen_b hold the private area's frames since fork (fk_private). */
static int fk_write_private(struct quiz *q, struct quiz_result *r)
{
	struct quiz_view parent, child;
	bool parent_moved, child_moved;

	if (quiz_write(&q->child, AREA_B, 0, child_private, &child) ||
	    quiz_look(&q->self, AREA_B, 0, &parent))
		return -1;
	quiz_note_view(r, "parent, private area, before", &seen_a);
	quiz_note_view(r, "parent, private area, now", &parent);
	quiz_note_view(r, "child, private area, now", &child);
	parent_moved = !quiz_same_frame(&parent, &seen_a);
	child_moved = !quiz_same_frame(&child, &seen_b);
	if (quiz_same_frame(&parent, &child))
		r->outcome = OUT_NONE;
	else if (child_moved && !parent_moved)
		r->outcome = OUT_CHILD;
	else if (parent_moved && !child_moved)
		r->outcome = OUT_PARENT;
	else
		r->outcome = QUIZ_UNEXPECTED;
	return 0;
}

static int fk_parent_private(struct quiz *q, struct quiz_result *r)
{
	if (quiz_read(&q->self, AREA_B, 0, 1, &seen_a))
		return -1;
	quiz_note(r, "the parent read \"%s\"", seen_a.text);
	r->outcome = quiz_which_text(seen_a.text, parent_private, child_private);
	return 0;
}

static int fk_write_shared(struct quiz *q, struct quiz_result *r)
{
	if (quiz_write(&q->child, AREA_A, 0, child_shared, &seen_b) ||
	    quiz_read(&q->self, AREA_A, 0, 1, &seen_a))
		return -1;
	quiz_note(r, "the parent read \"%s\"", seen_a.text);
	quiz_note_view(r, "parent, shared area", &seen_a);
	quiz_note_view(r, "child, shared area", &seen_b);
	r->outcome = quiz_which_text(seen_a.text, child_shared, parent_shared);
	return 0;
}

/* ------------------------------------------------------ the questions */

const struct quiz_question quiz_mapping_questions[] = {
	{
		.name = "dz-mmap",
		.topic = "Demand-zero pages (CS:APP 9.8)",
		.setup = "The object was just emptied: no page of it exists.",
		.ask = "Process A maps the object (all of it, up to 1 GiB) with MAP_SHARED and\n"
		       "touches nothing. How many of the object's pages are in memory now?",
		.options = {
			{ "one, the first page", ONE(1) },
			{ "all of the mapped pages", ONE(OUT_ALL) },
			{ "none", ONE(0) },
		},
		.prepare = dz_prepare,
		.step = dz_mmap,
		.why = "mmap() only creates the area: the kernel records it (a vm_area_struct)\n"
		       "and allocates nothing. A page is made when it is first touched.",
	},
	{
		.name = "dz-touch",
		.ask = "A reads one byte from each of pages 0, 1 and 2 of its mapping. How many\n"
		       "pages does the module create (allocate and fill with zeros)?",
		.options = {
			{ "none: mmap() made them already", ONE(0) },
			{ "sixteen: the kernel brings in the pages around each fault", ONE(16) },
			{ "all of the mapped pages", ONE(OUT_ALL) },
			{ "three: one at each first touch", ONE(3) },
		},
		.step = dz_touch,
		.why = "Demand-zero: each first touch is a page fault that reaches the module's\n"
		       ".fault, which allocates one page, fills it with zeros and hands it to the\n"
		       "kernel. Fault-around maps only pages that already exist; it makes none.",
	},
	{
		.name = "dz-zero",
		.ask = "A reads every byte of pages 0-2. What does it find?",
		.options = {
			{ "zero bytes only", ONE(OUT_ZERO) },
			{ "whatever the frames held before (another program's bytes)", ONE(OUT_OLD) },
		},
		.step = dz_zero,
		.why = "A demand-zero page is filled with zeros before any process can see it:\n"
		       "a frame's old contents would leak another program's data.",
	},
	{
		.name = "dz-write",
		.ask = "A writes to page 0, which it has already read (the page is mapped).\n"
		       "Which of the module's callbacks does the kernel call?",
		.options = {
			{ "none: the page is mapped, the write just happens", ONE(OUT_NONE) },
			{ ".fault: the write needs a page of its own", ONE(OUT_FAULT) },
			{ ".page_mkwrite: the first write to a clean shared page", ONE(OUT_MKWRITE) },
		},
		.step = dz_write,
		.why = "A read fault maps a shared page read-only, so that the first write\n"
		       "faults again: the kernel calls .page_mkwrite and the module marks the\n"
		       "page dirty. That is how the kernel knows which pages to write back.",
	},
	{
		.name = "fa-remap",
		.topic = "Fault-around",
		.setup = "Pages 0-3 of the object are in memory: A read them through a mapping,\n"
		         "then unmapped it. The object keeps its pages.",
		.ask = "A maps pages 0-3 again and reads the four pages in order. How many times\n"
		       "does the kernel call the module's .fault?",
		.options = {
			{ "none", ONE(0) },
			{ "once", ONE(1) },
			{ "two or three times", 2, 3 },
			{ "four times", ONE(4) },
		},
		.prepare = fa_prepare,
		.step = fa_remap,
		.why = "With fault_around on, the first read fault first asks .map_pages to map\n"
		       "the pages around it that are already in memory (up to 16 pages): it maps\n"
		       "all four, and .fault is never needed. With fault_around off, each first\n"
		       "touch is one .fault call, which finds the page in memory.",
		.fault_around = true,
	},
	{
		.name = "fa-minflt",
		.setup = "A unmaps the four pages and maps them once more; all are still in\n"
		         "memory.",
		.ask = "A reads the four pages in order. How many page faults does A take\n"
		       "(getrusage()'s minor faults)?",
		.options = {
			{ "none: the pages are in memory", ONE(0) },
			{ "one", ONE(1) },
			{ "two or three", 2, 3 },
			{ "four", ONE(4) },
		},
		.prepare = fa_again,
		.step = fa_minflt,
		.why = "In memory is not mapped: a new mapping has no page table entries, so\n"
		       "the first touch faults. With fault_around on, that one fault maps all\n"
		       "four pages; with it off, every page costs a fault of its own. (Minor\n"
		       "faults: no disk was read.)",
		.fault_around = true,
	},
	{
		.name = "sh-frame",
		.topic = "A shared object (CS:APP 9.8.1, Figure 9.29)",
		.setup = "The object was emptied. A maps page 0 with MAP_SHARED and writes\n"
		         "\"hello from A\" to it. B is another process, not related to A.",
		.ask = "B maps page 0 with MAP_SHARED (at an address of its own) and reads it.\n"
		       "Which frame does B's page map?",
		.options = {
			{ "a copy of A's frame, B's own", ONE(OUT_COPY) },
			{ "the same frame as A's", ONE(OUT_SAME) },
		},
		.prepare = sh_prepare,
		.step = sh_frame,
		.why = "A shared object has one page per offset, whoever maps it: B's page\n"
		       "table points at the frame A's points at, at another virtual address.",
	},
	{
		.name = "sh-mkwrite",
		.setup = "A wrote the page, so it is dirty already; B has only read it.",
		.ask = "B writes \"hello from B\" to the page. Which of the module's callbacks\n"
		       "runs?",
		.options = {
			{ ".fault", ONE(OUT_FAULT) },
			{ "none: the page is dirty already", ONE(OUT_NONE) },
			{ ".page_mkwrite: B's page table entry is read-only", ONE(OUT_MKWRITE) },
		},
		.step = sh_mkwrite,
		.why = "Write permission lives in each page table entry, not in the page: B's\n"
		       "read mapped the page read-only, so B's first write faults and the\n"
		       "kernel calls .page_mkwrite, although A made the page dirty before.",
	},
	{
		.name = "sh-seen",
		.ask = "A reads the page. What does it read?",
		.options = {
			{ "\"hello from B\"", ONE(OUT_TEXT0) },
			{ "\"hello from A\"", ONE(OUT_TEXT1) },
			{ "zero bytes", ONE(OUT_ZERO) },
		},
		.step = sh_seen,
		.why = "One frame: B's store went into it, and A reads it from there.",
	},
	{
		.name = "sh-unmap",
		.ask = "A and B both unmap the page (munmap). How many pages does the object\n"
		       "keep in memory?",
		.options = {
			{ "none: the last munmap frees the page", ONE(0) },
			{ "one: the object keeps its page", ONE(1) },
		},
		.step = sh_unmap,
		.why = "The page belongs to the object (its page cache), not to the mappings,\n"
		       "as a file's pages stay cached after a program that mapped it exits.\n"
		       "The next mapping finds it there.",
	},
	{
		.name = "pc-read",
		.topic = "A private copy-on-write object (CS:APP 9.8.1, Figure 9.30)",
		.setup = "The object was emptied. A maps page 1 with MAP_SHARED and writes \"the\n"
		         "object's bytes\". B maps page 1 with MAP_PRIVATE.",
		.ask = "B reads its private mapping. Which frame does B's page map?",
		.options = {
			{ "the object's frame, the one A maps", ONE(OUT_SAME) },
			{ "a private copy, B's own", ONE(OUT_COPY) },
		},
		.prepare = pc_prepare,
		.step = pc_read,
		.why = "Private is copy-on-write: until B writes, there is nothing to copy, and\n"
		       "B maps the object's frame read-only, like A.",
	},
	{
		.name = "pc-write",
		.ask = "B writes \"B's private change\" to its private mapping. Which frame does\n"
		       "B's page map now?",
		.options = {
			{ "the object's frame: the write goes to the object", ONE(OUT_SAME) },
			{ "a new frame: B's own copy of the page", ONE(OUT_COPY) },
		},
		.step = pc_write,
		.why = "The write faults on the read-only entry; the kernel copies the page\n"
		       "into a new anonymous frame, maps it writable for B, and the write goes\n"
		       "there. The module is not called (faults +0): core mm makes the copy.",
	},
	{
		.name = "pc-object",
		.ask = "A reads page 1 through its shared mapping. What does it read?",
		.options = {
			{ "\"B's private change\"", ONE(OUT_TEXT1) },
			{ "\"the object's bytes\"", ONE(OUT_TEXT0) },
		},
		.step = pc_object,
		.why = "B's write went into B's private copy; the object and everyone who maps\n"
		       "it shared never see it.",
	},
	{
		.name = "pc-first-write",
		.setup = "B maps page 2 with MAP_PRIVATE; the object has no page 2 yet.",
		.ask = "B's first touch of it is a write. How many pages does the object gain\n"
		       "(its resident pages)?",
		.options = {
			{ "one: the object's page is made, then copied for B", ONE(1) },
			{ "none: the write makes only B's private page", ONE(0) },
		},
		.prepare = pc_map_fresh,
		.step = pc_first_write,
		.why = "A private write fault copies the object's page, so the page must exist:\n"
		       "the kernel calls .fault (a cow fault), the module makes page 2 (zeros),\n"
		       "and the kernel copies it into B's new private frame.",
	},
	{
		.name = "fk-pte",
		.topic = "fork() (CS:APP 9.8.2)",
		.setup = "The object was emptied. A, the parent, maps page 0 with MAP_SHARED and\n"
		         "page 1 with MAP_PRIVATE, and writes to both; its private page is its\n"
		         "own copy.",
		.ask = "A calls fork(). Before the child touches anything, what does the\n"
		       "child's page table hold for the shared area?",
		.options = {
			{ "an entry for the parent's frame, copied by fork()", ONE(OUT_SAME) },
			{ "nothing yet: the child will fault", ONE(OUT_NOTHING) },
		},
		.prepare = fk_prepare,
		.step = fk_pte,
		.why = "The book copies every page table entry at fork. Linux skips the entries\n"
		       "of a shared area with no anonymous pages: they are cheap to fault in\n"
		       "again, and a fork followed by exec never needs them.",
	},
	{
		.name = "fk-private",
		.ask = "And for the private area, still untouched by the child?",
		.options = {
			{ "nothing yet: the child will fault", ONE(OUT_NOTHING) },
			{ "a new copy, made by fork()", ONE(OUT_COPY) },
			{ "the parent's private frame, shared until someone writes", ONE(OUT_SAME) },
		},
		.step = fk_private,
		.why = "The parent's private copy is anonymous: it exists nowhere else, so fork\n"
		       "must copy its entry. Both entries become read-only, both processes map\n"
		       "one frame, and the first write copies it (copy-on-write).",
	},
	{
		.name = "fk-read-shared",
		.ask = "The child reads its shared area. What reaches the module?",
		.options = {
			{ "nothing: no page fault", ONE(OUT_NONE) },
			{ ".fault, which finds the parent's page", ONE(OUT_FAULT) },
			{ "fault-around: .map_pages maps the page, .fault is not called", ONE(OUT_AROUND) },
		},
		.step = fk_read_shared,
		.why = "The child's entry is empty, so the read faults. With fault_around on,\n"
		       ".map_pages finds the page in memory and maps it; with it off, .fault\n"
		       "finds it. Either way the child gets the parent's frame, nothing new.",
		.fault_around = true,
	},
	{
		.name = "fk-write-private",
		.ask = "The child writes to its private area. Who gets a new frame?",
		.options = {
			{ "the parent", ONE(OUT_PARENT) },
			{ "the child", ONE(OUT_CHILD) },
			{ "nobody: both see the write", ONE(OUT_NONE) },
		},
		.step = fk_write_private,
		.why = "Copy-on-write: the writer faults on its read-only entry and the kernel\n"
		       "copies the page for it. The parent keeps the old frame, its alone now.",
	},
	{
		.name = "fk-parent-private",
		.ask = "The parent reads its private area. What does it read?",
		.options = {
			{ "\"parent's private data\"", ONE(OUT_TEXT0) },
			{ "\"the child's private data\"", ONE(OUT_TEXT1) },
		},
		.step = fk_parent_private,
		.why = "After fork, each process's private area is its own: the child's write\n"
		       "went into the child's copy.",
	},
	{
		.name = "fk-write-shared",
		.ask = "The child writes \"the child was here\" to its shared area. What does the\n"
		       "parent read in its own shared area?",
		.options = {
			{ "\"parent's shared data\"", ONE(OUT_TEXT1) },
			{ "\"the child was here\"", ONE(OUT_TEXT0) },
		},
		.step = fk_write_shared,
		.why = "A shared area stays shared across fork: one frame, no copy.",
	},
};

const size_t quiz_mapping_nquestions =
	sizeof(quiz_mapping_questions) / sizeof(quiz_mapping_questions[0]);
