// SPDX-License-Identifier: GPL-2.0
/*
 * demo-demand-zero: an area of demand-zero pages (CS:APP 9.8).  Mapping a
 * large area costs no memory; each page is created, zero-filled, on its
 * first touch, and only the pages touched exist.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "demo_util.h"

#define FIGURE_BYTES	(1ULL << 30)	/* the walk-through maps 1 GiB */
#define TOUCHES		3

static const char about[] =
	"Maps up to 1 GiB of a toymap object with MAP_SHARED, shows that no page\n"
	"exists, touches three pages far apart, and shows that exactly those three\n"
	"now exist, created by the kernel and filled with zeros on first touch.";

/* Start from a fresh object: no page of it in memory. */
static void start_fresh(struct demo *d)
{
	if (!d->now.resident_pages)
		return;
	demo_step(d, "Start from a fresh object.");
	demo_say("The object still holds %llu page(s) from an earlier run: a shared object\n"
		 "keeps its pages after the processes that used it exit. TOYMAP_IOC_DISCARD\n"
		 "frees them, so every page is demand-zero again.",
		 (unsigned long long)d->now.resident_pages);
	demo_discard(d, 0, d->now.object_size);
	demo_expect(d, d->now.resident_pages == 0, "the object has no page in memory now");
}

/* Map the area: the kernel records it, and allocates nothing. */
static size_t map_area(struct demo *d, struct demo_proc *self)
{
	uint64_t bytes = d->now.object_size < FIGURE_BYTES ? d->now.object_size : FIGURE_BYTES;
	size_t pages = (size_t)(bytes / (uint64_t)d->page_size);
	struct demo_view v;
	char size[32];
	long resident;

	demo_step(d, "Map %s of the object.", toymap_format_size(bytes, size, sizeof(size)));
	if (bytes < FIGURE_BYTES)
		demo_say("The walk-through maps 1 GiB, but this object is only %s (the module's\n"
			 "\"size\" parameter; 64 MiB by default). So it maps the whole object.\n"
			 "For the full 1 GiB: toymapctl unload; toymapctl load size=%llu",
			 size, (unsigned long long)FIGURE_BYTES);
	else
		demo_say("The object is %s, so the demo maps 1 GiB of it.",
			 toymap_format_size(d->now.object_size, size, sizeof(size)));
	demo_map(self, 0, 0, pages, MAP_SHARED, 0, &v);
	demo_say("mmap() returned. The kernel only recorded a new area (a vm_area_struct):\n"
		 "%zu virtual pages, no frame, no page table entry, no memory.", pages);
	demo_row(self, "page 0", &v);
	resident = toymap_mincore_count(demo_area_addr(0), pages * (size_t)d->page_size);
	printf("  mincore(): %ld of %zu pages resident\n", resident, pages);
	demo_counters(d);
	demo_expect(d, resident == 0, "mincore() finds no resident page in the area");
	demo_expect(d, d->now.resident_pages == 0, "the object has no page in memory");
	return pages;
}

/* Touch three pages far apart, and check each is a new page of zeros. */
static void touch_pages(struct demo *d, struct demo_proc *self, size_t pages)
{
	const size_t touched[TOUCHES] = { 0, pages / 2, pages - 1 };
	const char *text = "written by the demo";
	struct demo_view v[TOUCHES];
	char label[32];
	long resident;
	int i;

	demo_step(d, "Touch three pages: read the first, write the middle, read the last.");
	demo_say("Each first touch is a page fault: no page table entry exists. The kernel\n"
		 "calls the module's .fault, which allocates a frame, fills it with zeros\n"
		 "and hands it back; the kernel maps it and restarts the instruction.");
	for (i = 0; i < TOUCHES; i++) {
		if (i == 1) {
			demo_write(self, 0, touched[i], text, &v[i]);
			demo_read(self, 0, touched[i], &v[i]);
		} else {
			demo_read(self, 0, touched[i], &v[i]);
		}
		snprintf(label, sizeof(label), "page %zu", touched[i]);
		demo_row(self, label, &v[i]);
	}
	resident = toymap_mincore_count(demo_area_addr(0), pages * (size_t)d->page_size);
	printf("  mincore(): %ld of %zu pages resident\n", resident, pages);
	demo_counters(d);

	for (i = 0; i < TOUCHES; i++)
		demo_expect(d, v[i].pte.present && v[i].pte.file,
			    "page %zu is present, a page of the object", touched[i]);
	demo_expect(d, v[0].zero_bytes == d->page_size && v[2].zero_bytes == d->page_size,
		    "the two pages read hold only zero bytes (demand-zero)");
	demo_expect(d, v[1].zero_bytes == d->page_size - strlen(text),
		    "the page written holds the text, and zeros after it");
	demo_expect_delta(d, zero_fills, TOUCHES, "the module zero-filled one page per touch");
	demo_expect_delta(d, faults, TOUCHES, "one page fault reached the module per first touch");
	demo_expect(d, resident == TOUCHES && d->now.resident_pages == TOUCHES,
		    "exactly %d pages exist: mincore() %ld, the object's resident_pages %llu",
		    TOUCHES, resident, (unsigned long long)d->now.resident_pages);
}

/* The pages between were never touched: still nothing behind them. */
static void show_untouched(struct demo *d, struct demo_proc *self, size_t pages)
{
	struct demo_view v;

	demo_step(d, "Look at a neighbour that was not touched.");
	demo_look(self, 0, 1, &v);
	demo_row(self, "page 1", &v);
	demo_say("The other %zu pages of the area still have no frame. They cost nothing\n"
		 "until touched. The three pages stay with the object after this process\n"
		 "exits, as a file's pages do; the next run discards them first.",
		 pages - TOUCHES);
	demo_expect(d, !v.pte.present, "page 1, never touched, has no frame");
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
	pages = map_area(&d, &self);
	if (pages < 4) {
		fprintf(stderr, "the object is too small for this demo (%zu pages)\n", pages);
		return DEMO_EXIT_CANNOT_RUN;
	}
	touch_pages(&d, &self, pages);
	show_untouched(&d, &self, pages);
	return demo_finish(&d);
}
