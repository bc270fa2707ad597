// SPDX-License-Identifier: GPL-2.0
/*
 * demo-shared: a shared object (CS:APP 9.8.1, Figure 9.29).  Two separate
 * programs map the same object with MAP_SHARED, each at its own virtual
 * address; both areas lead to the same physical frame, so a write by one
 * is seen by the other.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "demo_util.h"

static const char about[] =
	"Starts two separate processes. Each opens the device and maps page 0 of\n"
	"the object with MAP_SHARED itself, at a different virtual address. Shows\n"
	"the one frame behind both areas (PFN as root), and a write by one process\n"
	"seen by the other.";

struct figure {
	struct demo d;
	struct demo_proc p1, p2;
	struct demo_view v1, v2;	/* what each process saw last */
};

static void map_both(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "Each process maps page 0 of the object with MAP_SHARED.");
	demo_map_apart(d, &f->p1, &f->p2, 0, 1, MAP_SHARED, "shared",
		       "Two programs, two address spaces. Process 2 first reserved 1 MiB of\n"
		       "address space, so its area starts at another virtual address. mmap()\n"
		       "only created an area in each process; no frame is mapped yet.",
		       &f->v1, &f->v2);
}

static void first_touch(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "Process 1 reads the page.");
	demo_read(&f->p1, 0, 0, &f->v1);
	demo_row(&f->p1, "shared", &f->v1);
	demo_counters(d);
	demo_say("A page fault: process 1 had no page table entry. The object had no page\n"
		 "either, so the module allocated one and zero-filled it (demand-zero).");
	demo_expect(d, f->v1.pte.present && f->v1.pte.file,
		    "process 1 maps a page of the object");
	demo_expect_delta(d, zero_fills, 1, "the object's page was created now");
}

static void second_touch(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "Process 2 reads the page.");
	demo_read(&f->p2, 0, 0, &f->v2);
	demo_look(&f->p1, 0, 0, &f->v1);
	demo_row(&f->p1, "shared", &f->v1);
	demo_row(&f->p2, "shared", &f->v2);
	demo_counters(d);
	demo_say("Process 2 faults too: its own page table had no entry. But the object\n"
		 "already has a page at this offset, so the kernel maps that same frame.\n"
		 "Nothing is allocated or copied.");
	demo_expect_fault_seen(d, "process 2's");
	demo_expect_delta(d, zero_fills, 0, "no second page was created");
	demo_expect(d, f->v2.pte.present && f->v2.pte.file,
		    "process 2 maps a page of the object, the only one at this offset");
	demo_expect_frames(d, &f->v1, &f->v2, true, "processes 1 and 2");
}

static void write_and_see(struct figure *f)
{
	struct demo *d = &f->d;
	char text[DEMO_TEXT_LEN];

	demo_step(d, "Process 1 writes to the page; process 2 reads it.");
	snprintf(text, sizeof(text), "from process 1");
	demo_write(&f->p1, 0, 0, text, &f->v1);
	demo_read(&f->p2, 0, 0, &f->v2);
	demo_row(&f->p1, "shared", &f->v1);
	demo_row(&f->p2, "shared", &f->v2);
	demo_counters(d);
	demo_say("Process 1 stores into its virtual page; the bytes land in the frame.\n"
		 "Process 2 loads from its own virtual page, at another address, and gets\n"
		 "the same bytes: it reads the same frame.");
	demo_expect(d, strcmp(f->v2.text, text) == 0,
		    "process 2 sees what process 1 wrote: one frame behind both areas");
	demo_expect_frames(d, &f->v1, &f->v2, true, "after the write");
}

int main(int argc, char **argv)
{
	struct figure f;
	struct demo *d = &f.d;

	demo_init(d, argc, argv, about);
	demo_title(d, "A shared object (CS:APP 9.8.1, Figure 9.29)");
	demo_say("Process 1 and process 2 are two separate programs. Each opens %s\n"
		 "and calls mmap(MAP_SHARED) itself. Each gets its own area, at its own\n"
		 "virtual address. The object is shared, so both areas lead to the same\n"
		 "physical frames.\n"
		 "First, page 0 of the object is discarded, so it starts demand-zero.",
		 d->device);
	demo_discard(d, 0, (uint64_t)d->page_size);
	demo_spawn(d, &f.p1, "process 1");
	demo_spawn(d, &f.p2, "process 2");

	map_both(&f);
	first_touch(&f);
	second_touch(&f);
	write_and_see(&f);

	demo_end(&f.p1);
	demo_end(&f.p2);
	return demo_finish(d);
}
