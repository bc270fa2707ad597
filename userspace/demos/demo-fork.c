// SPDX-License-Identifier: GPL-2.0
/*
 * demo-fork: fork() revisited (CS:APP 9.8.2).  A parent with a shared and a
 * private area of the object forks.  The shared area stays shared; the
 * private area becomes copy-on-write in both processes, and the first
 * write after fork copies the page.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "demo_util.h"

/* Areas of the parent, inherited by the child. */
#define SHARED_AREA	0	/* object page 0, MAP_SHARED */
#define PRIVATE_AREA	1	/* object page 1, MAP_PRIVATE */

static const char about[] =
	"The parent maps page 0 of the object with MAP_SHARED and page 1 with\n"
	"MAP_PRIVATE, writes to both, and forks. Shows that the child's shared\n"
	"area reaches the parent's frame (after its own page fault: Linux does not\n"
	"copy the page table entries of a shared driver mapping), and that a write\n"
	"to the private area after fork gives the writer its own copy.";

struct figure {
	struct demo d;
	struct demo_proc parent, child;
	/* what each saw last, per area */
	struct demo_view parent_shared, parent_private, child_shared, child_private;
};

static const char shared_text[] = "parent's shared";
static const char private_text[] = "parent's copy";

/* The parent's two areas, and the child's once it is forked. */
static void rows(struct figure *f)
{
	demo_row_pair(&f->parent, "shared", &f->parent_shared, "private", &f->parent_private);
	if (f->child.request_fd >= 0)
		demo_row_pair(&f->child, "shared", &f->child_shared, "private",
			      &f->child_private);
}

static void parent_maps(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "The parent maps the object twice, and writes to both areas.");
	demo_map(&f->parent, SHARED_AREA, 0, 1, MAP_SHARED, 0, &f->parent_shared);
	demo_map(&f->parent, PRIVATE_AREA, (uint64_t)d->page_size, 1, MAP_PRIVATE, 0,
		 &f->parent_private);
	demo_write(&f->parent, SHARED_AREA, 0, shared_text, &f->parent_shared);
	demo_write(&f->parent, PRIVATE_AREA, 0, private_text, &f->parent_private);
	rows(f);
	demo_counters(d);
	demo_say("The shared area writes go to the object's page 0. The private area's\n"
		 "first touch is a write, so the parent got its own anonymous copy of the\n"
		 "object's page 1 at once.");
	demo_expect(d, f->parent_shared.pte.file, "the shared area maps the object's page");
	demo_expect(d, !f->parent_private.pte.file && f->parent_private.pte.exclusive,
		    "the private area maps the parent's own copy (anon, exclusive)");
	demo_expect_delta(d, cow_faults, 1, "the private write copied the object's page");
}

static void parent_forks(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "The parent calls fork().");
	demo_fork(&f->child, "child");
	demo_look(&f->child, SHARED_AREA, 0, &f->child_shared);
	demo_look(&f->child, PRIVATE_AREA, 0, &f->child_private);
	demo_look(&f->parent, SHARED_AREA, 0, &f->parent_shared);
	demo_look(&f->parent, PRIVATE_AREA, 0, &f->parent_private);
	rows(f);
	demo_counters(d);
	demo_say("The kernel copied the parent's area structs and marked the private area\n"
		 "copy-on-write in both processes. Nothing was touched yet (pagemap only).");
	demo_expect_delta(d, vma_opens, 2, "the child got a copy of both areas");
	if (!f->child_shared.pte.present)
		demo_say("The child's shared area has no frame: the textbook copies every page\n"
			 "table entry, but Linux skips those of a shared driver mapping. They\n"
			 "are cheap to fault in again.");
	else
		demo_say("The child's shared area already maps a frame: the kernel copied its\n"
			 "page table entry, as the textbook describes.");
	demo_expect(d, f->child_private.pte.present && !f->child_private.pte.file,
		    "the child's private area maps the parent's anonymous page");
	demo_expect_frames(d, &f->child_private, &f->parent_private, true,
			   "private area, parent and child");
	demo_expect(d, !f->child_private.pte.exclusive && !f->parent_private.pte.exclusive,
		    "the private page is no longer exclusive: two processes map it");
}

static void child_reads_shared(struct figure *f)
{
	struct demo *d = &f->d;
	bool was_present = f->child_shared.pte.present;

	demo_step(d, "The child reads its shared area.");
	demo_read(&f->child, SHARED_AREA, 0, &f->child_shared);
	rows(f);
	demo_counters(d);
	if (was_present)
		demo_say("The entry was there: no page fault.");
	else
		demo_say("A page fault: the child's entry was empty. The module found the page\n"
			 "the parent wrote, and the kernel mapped that frame. Nothing was created.");
	if (!was_present)
		demo_expect_fault_seen(d, "the child's");
	demo_expect_delta(d, zero_fills, 0, "no page was created");
	demo_expect_frames(d, &f->child_shared, &f->parent_shared, true,
			   "shared area, parent and child");
	demo_expect(d, !strcmp(f->child_shared.text, shared_text),
		    "the child reads the parent's shared data");
}

static void child_writes_private(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "The child writes to its private area.");
	demo_write(&f->child, PRIVATE_AREA, 0, "child's copy", &f->child_private);
	demo_read(&f->parent, PRIVATE_AREA, 0, &f->parent_private);
	rows(f);
	demo_counters(d);
	demo_say("Copy-on-write: the page is read-only in both processes since fork. The\n"
		 "write faults, and the kernel copies the page into a new frame for the\n"
		 "child. The parent keeps the old frame, which is its alone again. The\n"
		 "module is not involved: the page is anonymous, the kernel's own.");
	demo_expect(d, !f->child_private.pte.file && f->child_private.pte.exclusive,
		    "the child now has its own anonymous page (anon, exclusive)");
	demo_expect_frames(d, &f->child_private, &f->parent_private, false,
			   "private area, parent and child");
	demo_expect(d, !strcmp(f->parent_private.text, private_text),
		    "the parent still reads its own private data");
	demo_expect(d, f->parent_private.pte.exclusive,
		    "the parent's private page is exclusive again");
}

static void child_writes_shared(struct figure *f)
{
	struct demo *d = &f->d;
	char text[DEMO_TEXT_LEN];

	demo_step(d, "The child writes to its shared area; the parent reads it.");
	snprintf(text, sizeof(text), "child was here");
	demo_write(&f->child, SHARED_AREA, 0, text, &f->child_shared);
	demo_read(&f->parent, SHARED_AREA, 0, &f->parent_shared);
	rows(f);
	demo_counters(d);
	demo_say("A shared area stays shared across fork: no copy. The child's store lands\n"
		 "in the object's frame, where the parent reads it.");
	demo_expect(d, !strcmp(f->parent_shared.text, text),
		    "the parent sees the child's write");
	demo_expect_frames(d, &f->child_shared, &f->parent_shared, true,
			   "shared area, parent and child");
}

int main(int argc, char **argv)
{
	struct figure f;
	struct demo *d = &f.d;

	demo_init(d, argc, argv, about);
	demo_self(&f.parent, "parent");
	f.child.request_fd = -1;
	demo_title(d, "fork() revisited (CS:APP 9.8.2)");
	demo_say("fork() gives the child a copy of the parent's virtual memory. Copying\n"
		 "every page would be slow, so the kernel copies only the structures that\n"
		 "describe it. A shared area stays shared. A private area becomes\n"
		 "copy-on-write in both processes: the first write copies the page.\n"
		 "First, pages 0-1 of the object are discarded, so they start demand-zero.");
	demo_discard(d, 0, 2 * (uint64_t)d->page_size);

	parent_maps(&f);
	parent_forks(&f);
	child_reads_shared(&f);
	child_writes_private(&f);
	child_writes_shared(&f);

	demo_end(&f.child);
	return demo_finish(d);
}
