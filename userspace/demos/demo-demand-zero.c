// SPDX-License-Identifier: GPL-2.0
/*
 * demo-demand-zero: an area of demand-zero pages (CS:APP 9.8).  Mapping a
 * large area costs no memory; each page is created, zero-filled, on its
 * first touch, and only the pages touched exist.  The object's pages are
 * shared page-cache pages; a private anonymous area beside it shows the
 * chapter's own kind (a read maps the shared zero page, a write a new frame).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "demo_util.h"

#define FIGURE_BYTES	(1ULL << 30)	/* the walk-through maps 1 GiB */
#define TOUCHES		3
#define OBJECT_AREA	0
#define ANON_AREA	1		/* MAP_PRIVATE | MAP_ANONYMOUS, for contrast */

static const char about[] =
	"Maps up to 1 GiB of a toymap object with MAP_SHARED, and as much private\n"
	"anonymous memory (MAP_PRIVATE|MAP_ANONYMOUS) beside it for contrast; shows\n"
	"that no page exists, touches three pages far apart in each, and shows that\n"
	"exactly those now exist, made by the kernel on first touch: zero-filled\n"
	"pages of the object (shared page-cache pages), and private anonymous pages\n"
	"(a read maps the kernel's shared zero page; a write gets a new frame).";

static const char text[] = "written by demo";

/* Start from a fresh object: no page of it in memory. */
static void start_fresh(struct demo *d)
{
	uint64_t resident = d->now.resident_pages;

	if (!resident)
		return;
	demo_step(d, "Start from a fresh object.");
	demo_discard(d, 0, d->now.object_size);
	demo_say("The object still held %llu page(s) from an earlier run: a shared object\n"
		 "keeps its pages after the processes that used it exit. TOYMAP_IOC_DISCARD\n"
		 "freed them, so every page is demand-zero again.",
		 (unsigned long long)resident);
	demo_expect(d, d->now.resident_pages == 0, "the object has no page in memory now");
}

static long resident_in(struct demo *d, unsigned int area, size_t pages)
{
	return toymap_mincore_count(demo_area_addr(area), pages * (size_t)d->page_size);
}

/* Map the two areas: the kernel records them, and allocates nothing. */
static size_t map_areas(struct demo *d, struct demo_proc *self)
{
	uint64_t bytes = d->now.object_size < FIGURE_BYTES ? d->now.object_size : FIGURE_BYTES;
	size_t pages = (size_t)(bytes / (uint64_t)d->page_size);
	struct demo_view obj, anon;
	char size[32];
	long resident;

	toymap_format_size(bytes, size, sizeof(size));
	demo_step(d, "Map %s of the object, and %s of anonymous memory.", size, size);
	demo_map(self, OBJECT_AREA, 0, pages, MAP_SHARED, 0, &obj);
	demo_map(self, ANON_AREA, 0, pages, MAP_PRIVATE | MAP_ANONYMOUS, 0, &anon);
	demo_row_pair(self, "object", &obj, "anon", &anon);
	resident = resident_in(d, OBJECT_AREA, pages);
	printf("  mincore(), the object's area: %ld of %zu pages resident\n", resident, pages);
	demo_counters(d);
	if (bytes < FIGURE_BYTES)
		demo_say("The walk-through maps 1 GiB, but this object is only %s (the module's\n"
			 "\"size\" parameter; make demo loads it with size=1G). So it maps the\n"
			 "whole object. For 1 GiB: toymapctl unload; toymapctl load size=1G",
			 size);
	demo_say("mmap() returned twice. The kernel only recorded two new areas (two\n"
		 "vm_area_structs) of %zu virtual pages each: no frame, no page table\n"
		 "entry, no memory. \"object\" is a MAP_SHARED mapping of %s; \"anon\"\n"
		 "is MAP_PRIVATE|MAP_ANONYMOUS, the chapter's area of demand-zero pages.",
		 pages, d->device);
	demo_expect(d, resident == 0, "mincore() finds no resident page in the object's area");
	demo_expect(d, d->now.resident_pages == 0, "the object has no page in memory");
	demo_expect(d, !anon.pte.present, "the anonymous area has no page either");
	return pages;
}

/* Read, write, read three pages far apart of @area; @v gets what each holds. */
static void touch_three(struct demo_proc *self, unsigned int area, const size_t *touched,
			struct demo_view *v)
{
	int i;

	for (i = 0; i < TOUCHES; i++) {
		if (i == 1)
			demo_write(self, area, touched[i], text, &v[i]);
		demo_read(self, area, touched[i], &v[i]);
	}
}

/* Touch three pages far apart in both areas, and check each is a new page of zeros. */
static void touch_pages(struct demo *d, struct demo_proc *self, size_t pages)
{
	const size_t touched[TOUCHES] = { 0, pages / 2, pages - 1 };
	struct demo_view v[TOUCHES], a[TOUCHES];
	char label[32];
	long resident;
	int i;

	demo_step(d, "Read the first page of each area, write the middle one, read the last.");
	touch_three(self, OBJECT_AREA, touched, v);
	touch_three(self, ANON_AREA, touched, a);
	for (i = 0; i < TOUCHES; i++) {
		snprintf(label, sizeof(label), "obj %zu", touched[i]);
		demo_row(self, label, &v[i]);
	}
	for (i = 0; i < TOUCHES; i++) {
		snprintf(label, sizeof(label), "anon %zu", touched[i]);
		demo_row(self, label, &a[i]);
	}
	resident = resident_in(d, OBJECT_AREA, pages);
	printf("  mincore(), the object's area: %ld of %zu pages resident\n", resident, pages);
	demo_counters(d);
	demo_say("Each first touch was a page fault: no page table entry existed.\n"
		 "In the object's area the kernel called the module's .fault, which\n"
		 "allocated a frame, filled it with zeros, put it in the object's page\n"
		 "cache and handed it back; the kernel mapped it and restarted the\n"
		 "instruction. These pages are the object's: \"file\" pages of its page\n"
		 "cache, shared by every process that maps the object, and they stay after\n"
		 "this process exits. The chapter's demand-zero pages are private and\n"
		 "anonymous, as in \"anon\": the kernel handles those alone (the module's\n"
		 "counters and log saw none of them). A read there maps the kernel's one\n"
		 "shared zero page, read-only; only the write got a new frame of its own.");
	for (i = 0; i < TOUCHES; i++)
		demo_expect(d, v[i].pte.present && v[i].pte.file,
			    "object page %zu is present, a page of the object (file)", touched[i]);
	demo_expect(d, v[0].zero_bytes == d->page_size && v[2].zero_bytes == d->page_size,
		    "the two object pages read hold only zero bytes (demand-zero)");
	demo_expect(d, v[1].zero_bytes == d->page_size - strlen(text),
		    "the object page written holds the text, and zeros after it");
	demo_expect_delta(d, zero_fills, TOUCHES, "the module zero-filled one page per touch");
	demo_expect_delta(d, faults, TOUCHES, "one page fault reached the module per first touch");
	demo_expect(d, resident == TOUCHES && d->now.resident_pages == TOUCHES,
		    "exactly %d object pages exist: mincore() %ld, the object's resident_pages "
		    "%llu", TOUCHES, resident, (unsigned long long)d->now.resident_pages);
	demo_expect(d, a[1].pte.present && !a[1].pte.file && a[1].pte.exclusive &&
		    !strcmp(a[1].text, text),
		    "the anonymous page written is a private page of its own (anon, excl)");
	demo_expect(d, a[0].zero_bytes == d->page_size && a[2].zero_bytes == d->page_size &&
		    !a[0].pte.file && !a[2].pte.file,
		    "the anonymous pages read hold only zero bytes, and are no object's");
	if (d->pfn_readable)
		demo_expect(d, a[0].pte.present && a[2].pte.present && a[0].pte.pfn == a[2].pte.pfn &&
			    a[0].pte.pfn != a[1].pte.pfn, "both anonymous pages read map one frame "
			    "(pfn 0x%" PRIx64 ", the zero page), the written one another",
			    a[0].pte.pfn);
}

/* The pages between were never touched: still nothing behind them. */
static void show_untouched(struct demo *d, struct demo_proc *self, size_t pages)
{
	struct demo_view v, a;

	demo_step(d, "Look at a neighbour that was not touched, in each area.");
	demo_look(self, OBJECT_AREA, 1, &v);
	demo_look(self, ANON_AREA, 1, &a);
	demo_row_pair(self, "obj 1", &v, "anon 1", &a);
	demo_say("The other %zu pages of each area still have no frame. They cost nothing\n"
		 "until touched. The three object pages stay with the object after this\n"
		 "process exits, as a file's pages do (the next run discards them first);\n"
		 "the anonymous pages go with the process.", pages - TOUCHES);
	demo_expect(d, !v.pte.present && !a.pte.present, "page 1, never touched, has no frame");
}

int main(int argc, char **argv)
{
	struct demo_proc self;
	struct demo d;
	size_t pages;

	demo_init(&d, argc, argv, about);
	demo_self(&self, "this process");
	demo_title(&d, "Demand-zero pages (CS:APP 9.8: areas backed by anonymous files)");
	demo_say("A demand-zero page does not exist until the first touch. Then the kernel\n"
		 "finds a free frame, fills it with zeros, and maps it. No disk is read.");
	start_fresh(&d);
	pages = map_areas(&d, &self);
	if (pages < 4) {
		fprintf(stderr, "the object is too small for this demo (%zu pages)\n", pages);
		return DEMO_EXIT_CANNOT_RUN;
	}
	touch_pages(&d, &self, pages);
	show_untouched(&d, &self, pages);
	return demo_finish(&d);
}
