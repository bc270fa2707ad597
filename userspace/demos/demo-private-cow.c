// SPDX-License-Identifier: GPL-2.0
/*
 * demo-private-cow: a private copy-on-write object (CS:APP 9.8.1, Figure
 * 9.30).  Two separate programs map the object with MAP_PRIVATE.  Reads
 * share the object's frame; a write gives the writer a private copy, and
 * neither the other process nor the object sees the change.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "demo_util.h"

#define AREA_PAGES	2

static const char about[] =
	"Starts two separate processes that map the object with MAP_PRIVATE. Both\n"
	"read page 0 (the object's frame, shared); process 2 writes it (a private\n"
	"copy for process 2; process 1 and the object unchanged); process 1 writes\n"
	"page 1 before ever reading it (a copy made at the first fault, which the\n"
	"module counts as a COW fault). This process watches the object itself\n"
	"through a third, MAP_SHARED mapping.";

struct figure {
	struct demo d;
	struct demo_proc self, p1, p2;
	struct demo_view obj, v1, v2;	/* what each saw last */
};

static const char original[] = "object's data";

static void fill_object(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "The object holds some data.");
	demo_map(&f->self, 0, 0, AREA_PAGES, MAP_SHARED, 0, &f->obj);
	demo_write(&f->self, 0, 0, original, &f->obj);
	demo_row(&f->self, "object", &f->obj);
	demo_counters(d);
	demo_say("This process maps the object with MAP_SHARED and writes to page 0, as a\n"
		 "file holds data before a program maps it privately. Through this shared\n"
		 "mapping the demo sees the object itself.");
}

static void map_privately(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "Process 1 and process 2 map the object with MAP_PRIVATE.");
	demo_map_apart(d, &f->p1, &f->p2, 0, AREA_PAGES, MAP_PRIVATE, "private",
		       "Each process opened the device and called mmap() itself. The kernel\n"
		       "marks each area private copy-on-write. Nothing is mapped yet.",
		       &f->v1, &f->v2);
}

static void both_read(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "Both processes read page 0.");
	demo_read(&f->p1, 0, 0, &f->v1);
	demo_read(&f->p2, 0, 0, &f->v2);
	demo_look(&f->self, 0, 0, &f->obj);
	demo_row(&f->self, "object", &f->obj);
	demo_row(&f->p1, "private", &f->v1);
	demo_row(&f->p2, "private", &f->v2);
	demo_counters(d);
	demo_say("A read needs no copy. The kernel maps the object's own frame into both\n"
		 "processes, read-only, so that a later write will fault.");
	demo_expect(d, f->v1.pte.file && f->v2.pte.file,
		    "both map a page of the object (file page), not a copy");
	demo_expect_frames(d, &f->v1, &f->v2, true, "processes 1 and 2");
	demo_expect_frames(d, &f->v1, &f->obj, true, "process 1 and the object");
	demo_expect(d, !strcmp(f->v1.text, original) && !strcmp(f->v2.text, original),
		    "both read the object's data");
	demo_expect_delta(d, cow_faults, 0, "nothing was copied");
	demo_expect_delta(d, zero_fills, 0, "nothing was created");
}

static void explain_wp_copy(struct demo *d)
{
	if (DEMO_DELTA(d, cow_faults) == 0)
		demo_say("cow_faults +0: the module never saw this copy. The page was mapped\n"
			 "read-only, so the write was a protection fault, and the kernel's own\n"
			 "handler (do_wp_page) copied the page without calling the driver.");
	else
		demo_say("cow_faults +%" PRId64 ": the module counted this copy.",
			 DEMO_DELTA(d, cow_faults));
}

static void one_writes(struct figure *f)
{
	struct demo *d = &f->d;
	char text[DEMO_TEXT_LEN];

	demo_step(d, "Process 2 writes to page 0.");
	snprintf(text, sizeof(text), "process 2 wrote");
	demo_write(&f->p2, 0, 0, text, &f->v2);
	demo_read(&f->p1, 0, 0, &f->v1);
	demo_read(&f->self, 0, 0, &f->obj);
	demo_row(&f->self, "object", &f->obj);
	demo_row(&f->p1, "private", &f->v1);
	demo_row(&f->p2, "private", &f->v2);
	demo_counters(d);
	demo_say("The write hits a read-only page of a private area: a protection fault.\n"
		 "The kernel copies the page into a new frame, maps the copy writable for\n"
		 "process 2 alone, and restarts the store. Process 1 and the object keep\n"
		 "the old frame.");
	explain_wp_copy(d);
	demo_expect(d, f->v2.pte.present && !f->v2.pte.file && f->v2.pte.exclusive,
		    "process 2 now maps an anonymous page of its own (anon, exclusive)");
	demo_expect_frames(d, &f->v2, &f->v1, false, "processes 2 and 1");
	demo_expect(d, f->v1.pte.file, "process 1 still maps the object's page");
	demo_expect_frames(d, &f->v1, &f->obj, true, "process 1 and the object");
	demo_expect(d, !strcmp(f->v1.text, original),
		    "process 1 does not see process 2's change");
	demo_expect(d, !strcmp(f->obj.text, original), "the object is unchanged");
}

static void write_first(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "Process 1 writes to page 1, which no one has touched.");
	demo_write(&f->p1, 0, 1, "written first", &f->v1);
	demo_read(&f->self, 0, 1, &f->obj);
	demo_row(&f->p1, "private 1", &f->v1);
	demo_row(&f->self, "object 1", &f->obj);
	demo_counters(d);
	demo_say("This first touch is a write to a private area. The kernel asks the module\n"
		 "for the object's page (it does not exist yet: zero-fill), copies it into\n"
		 "a new frame for process 1 and maps only the copy. The module sees this\n"
		 "write fault and counts it as a COW fault. (This process then read the\n"
		 "object's page 1 through its MAP_SHARED mapping.)");
	demo_expect_delta(d, cow_faults, 1, "the kernel copied the object's page for process 1");
	demo_expect_delta(d, zero_fills, 1, "the object's page 1 was created to be copied");
	demo_expect(d, f->v1.pte.present && !f->v1.pte.file && f->v1.pte.exclusive,
		    "process 1 maps its own anonymous copy (anon, exclusive)");
	demo_expect(d, f->obj.zero_bytes == d->page_size,
		    "the object's page 1 holds only zeros: the write went to the copy");
}

int main(int argc, char **argv)
{
	struct figure f;
	struct demo *d = &f.d;

	demo_init(d, argc, argv, about);
	demo_self(&f.self, "this process");
	demo_title(d, "A private copy-on-write object (CS:APP 9.8.1, Figure 9.30)");
	demo_say("Process 1 and process 2 are two separate programs that map the same\n"
		 "object with MAP_PRIVATE. Until one of them writes, both use the object's\n"
		 "frames. A write gives the writer a private copy of that one page.\n"
		 "First, pages 0-%d of the object are discarded, so they start demand-zero.",
		 AREA_PAGES - 1);
	demo_discard(d, 0, AREA_PAGES * (uint64_t)d->page_size);
	demo_spawn(d, &f.p1, "process 1");
	demo_spawn(d, &f.p2, "process 2");

	fill_object(&f);
	map_privately(&f);
	both_read(&f);
	one_writes(&f);
	write_first(&f);

	demo_end(&f.p1);
	demo_end(&f.p2);
	return demo_finish(d);
}
