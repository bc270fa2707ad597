// SPDX-License-Identifier: GPL-2.0
/*
 * demo-swap: swapping an anonymous page out and in (CS:APP 9.3.4 and 9.8:
 * a demand-zero page, once written, is like any other page, swapped out to
 * the swap file when evicted).  A page of an anonymous object is written
 * and evicted: without a swap file it must stay in memory; with one it is
 * written there and leaves memory and the page table, and the next touch
 * reads it back with its data.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo_util.h"

#define AREA		0
#define AREA_PAGES	2	/* page 0 written (dirty), page 1 only read (clean) */

static const char about[] =
	"Maps two pages of an anonymous object with MAP_SHARED, writes page 0 and\n"
	"reads page 1, and evicts both (TOYMAP_IOC_EVICT): first with no swap file\n"
	"(the dirty page must stay), then with a swap file in $TMPDIR (default /tmp):\n"
	"the page is swapped out, gone from the page table and from memory, and the\n"
	"next touch swaps it back in with its data. The swap file is removed at the\n"
	"end.";

struct figure {
	struct demo d;
	struct demo_proc self;
	struct demo_view page0, page1;	/* what this process saw last */
	char text[DEMO_TEXT_LEN];	/* what it wrote to page 0 */
	char swap_path[256];
	int swap_fd;
};

static long resident_in_area(struct figure *f)
{
	long resident = toymap_mincore_count(demo_area_addr(AREA),
					     AREA_PAGES * (size_t)f->d.page_size);

	printf("  mincore(): %ld of %d pages of the area resident\n", resident, AREA_PAGES);
	return resident;
}

static void print_evicted(const struct toymap_evict *e)
{
	printf("  TOYMAP_IOC_EVICT: %llu dropped, %llu written back, %llu swapped out, "
	       "%llu kept\n", (unsigned long long)e->dropped,
	       (unsigned long long)e->written_back, (unsigned long long)e->swapped_out,
	       (unsigned long long)e->kept);
}

static void rows(struct figure *f)
{
	demo_row_pair(&f->self, "page 0", &f->page0, "page 1", &f->page1);
}

static void write_page(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "Map two pages; write to page 0, read page 1.");
	demo_map(&f->self, AREA, 0, AREA_PAGES, MAP_SHARED, 0, &f->page0);
	snprintf(f->text, sizeof(f->text), "before eviction");
	demo_write(&f->self, AREA, 0, f->text, &f->page0);
	demo_read(&f->self, AREA, 1, &f->page1);
	rows(f);
	demo_counters(d);
	demo_say("Both pages are demand-zero: created, zero-filled, at the first touch.\n"
		 "Page 0 was written, so it is dirty: its bytes exist only in this frame.\n"
		 "Page 1 is clean: all zeros, the kernel can make it again at any time.");
	demo_expect_delta(d, zero_fills, AREA_PAGES, "both pages were created zero-filled");
	demo_expect_delta(d, page_mkwrites, 1, "the write made page 0 dirty");
}

static void evict_without_swap(struct figure *f)
{
	struct demo *d = &f->d;
	struct toymap_evict e;
	long resident;

	demo_step(d, "Evict both pages, with no swap file.");
	demo_evict(d, 0, AREA_PAGES * (uint64_t)d->page_size, &e);
	demo_look(&f->self, AREA, 0, &f->page0);
	demo_look(&f->self, AREA, 1, &f->page1);
	print_evicted(&e);
	rows(f);
	resident = resident_in_area(f);
	demo_counters(d);
	demo_say("Eviction first unmaps the pages from every page table, then saves what\n"
		 "must be saved and frees the frames. Page 1 was clean: dropped, nothing\n"
		 "to save. Page 0 is dirty and belongs to no file: with no swap file its\n"
		 "bytes could go nowhere, so it stays in memory (Linux without swap keeps\n"
		 "anonymous pages the same way). Only the page table entries are gone.");
	demo_expect(d, e.kept == 1 && e.swapped_out == 0,
		    "the dirty anonymous page was kept: nowhere to write it");
	demo_expect(d, e.dropped == 1, "the clean page was dropped");
	demo_expect(d, !f->page0.pte.present && !f->page1.pte.present,
		    "both pages are gone from this process's page table");
	demo_expect(d, d->now.resident_pages == 1 && resident == 1,
		    "page 0 is still in memory (resident_pages 1, mincore 1)");
}

static void evict_to_swap(struct figure *f)
{
	struct demo *d = &f->d;
	char text[DEMO_TEXT_LEN];
	struct toymap_evict e;
	long resident;

	demo_step(d, "Give the object a swap file, and evict again.");
	f->swap_fd = demo_tmpfile("demo-swap", f->swap_path, sizeof(f->swap_path));
	demo_set_swap(d, f->swap_fd);
	demo_evict(d, 0, AREA_PAGES * (uint64_t)d->page_size, &e);
	demo_look(&f->self, AREA, 0, &f->page0);
	print_evicted(&e);
	rows(f);
	demo_file_text(f->swap_fd, 0, text);
	printf("  the swap file at offset 0, by read(): \"%s\"\n", text);
	resident = resident_in_area(f);
	demo_counters(d);
	demo_say("The swap file is %s (TOYMAP_IOC_SET_SWAP).\n"
		 "Now page 0 has a place to go: the module wrote it to the swap file\n"
		 "(swap-out), at the page's offset, and freed the frame. The page is\n"
		 "gone from the page table and from memory; its bytes are on \"disk\".",
		 f->swap_path);
	demo_expect(d, e.swapped_out == 1, "page 0 was written to the swap file");
	demo_expect(d, !f->page0.pte.present, "page 0 is not in the page table");
	demo_expect(d, d->now.resident_pages == 0 && resident == 0,
		    "page 0 is not in memory either (resident_pages 0, mincore 0)");
	demo_expect(d, !strcmp(text, f->text), "the swap file holds the page's bytes");
}

static void touch_again(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "Read page 0 and page 1 again.");
	demo_read(&f->self, AREA, 0, &f->page0);
	demo_read(&f->self, AREA, 1, &f->page1);
	rows(f);
	demo_counters(d);
	demo_say("Page 0: a page fault. The object has no page 0 in memory, but the\n"
		 "module knows a copy is in the swap file: it allocates a frame and reads\n"
		 "the page back (swap-in). The program sees its data, as if nothing had\n"
		 "happened. Page 1 was never written: it comes back demand-zero, as new.\n"
		 "As in Linux's shmem, the page left the swap file: its slot is free again\n"
		 "(swapped_pages), and the page in memory, its only copy now, is dirty.");
	demo_expect_delta(d, swap_ins, 1, "page 0 was read back from the swap file");
	demo_expect(d, f->page0.pte.present && !strcmp(f->page0.text, f->text),
		    "page 0 is mapped again and holds what was written before the eviction");
	demo_expect_delta(d, zero_fills, 1, "page 1, never written, came back zero-filled");
	demo_expect(d, f->page1.zero_bytes == d->page_size, "page 1 holds only zero bytes");
	demo_expect(d, d->now.swapped_pages == 0, "the swap file holds no page of the object now");
}

/* Leave the object as the demo found it: no page, no swap file. */
static void clean_up(struct figure *f)
{
	struct demo *d = &f->d;

	demo_unmap(&f->self, AREA);
	demo_fresh_object(d);
	unlink(f->swap_path);
	close(f->swap_fd);
	printf("\n");
	demo_say("The demo discarded its pages, dropped the swap file and removed it.");
}

int main(int argc, char **argv)
{
	struct figure f;
	struct demo *d = &f.d;

	demo_init(d, argc, argv, about);
	demo_self(&f.self, "this process");
	demo_title(d, "Swapping an anonymous page out and in (CS:APP 9.3.4, 9.8)");
	demo_say("A demand-zero page has no file behind it. Once written, its bytes exist\n"
		 "only in memory; to free the frame, the kernel must write them to a swap\n"
		 "file first (swap-out), and read them back when the page is touched again\n"
		 "(swap-in).\n"
		 "First, the object is made fresh: no page, no file, no swap file.");
	demo_fresh_object(d);

	write_page(&f);
	evict_without_swap(&f);
	evict_to_swap(&f);
	touch_again(&f);
	clean_up(&f);
	return demo_finish(d);
}
