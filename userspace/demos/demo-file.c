// SPDX-License-Identifier: GPL-2.0
/*
 * demo-file: an area backed by a regular file (CS:APP 9.8).  A file is
 * attached to the object; two separate programs map it MAP_SHARED at
 * different addresses.  Each page is read from the file at its first touch
 * (demand paging), so a change to the file reaches a page touched after it
 * and not one already in memory.  A write through the shared mapping makes
 * the page dirty, msync() writes it back to the file, and a write through a
 * MAP_PRIVATE mapping never reaches the file.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo_util.h"

#define FILE_PAGES	3
#define AREA		0		/* each process's one area */

static const char about[] =
	"Writes a file of three pages to $TMPDIR (default /tmp) and attaches it to the\n"
	"object. Two separate processes map the object with MAP_SHARED at different\n"
	"addresses. Shows each page read from the file at its first touch, a change\n"
	"to the file seen by a page touched later but not by one already in memory,\n"
	"a dirty page written back to the file by msync(), and a write through a\n"
	"MAP_PRIVATE mapping that never reaches the file. The file is removed at the\n"
	"end.";

struct figure {
	struct demo d;
	struct demo_proc self, p1, p2;
	struct demo_view v1, v2, mine;	/* what each process saw last */
	char path[256];
	int file_fd;
};

/* What the file holds: its first version, and page k after a change. */
static void first_text(int page, char *text)
{
	snprintf(text, DEMO_TEXT_LEN, "file's page %d", page);
}

static void changed_text(int page, char *text)
{
	snprintf(text, DEMO_TEXT_LEN, "changed page %d", page);
}

/* Print the text that starts page @page of the file, read with read(). */
static const char *show_file_page(struct figure *f, int page, char *text)
{
	demo_file_text(f->file_fd, (uint64_t)page * (uint64_t)f->d.page_size, text);
	printf("  the file's page %d, by read(): \"%s\"\n", page, text);
	return text;
}

static void write_file_page(struct figure *f, int page, const char *text)
{
	demo_pwrite(f->file_fd, (uint64_t)page * (uint64_t)f->d.page_size, text,
		    strlen(text) + 1);
}

static void attach_file(struct figure *f)
{
	struct demo *d = &f->d;
	char text[DEMO_TEXT_LEN];
	int page;

	demo_step(d, "A file of %d pages is attached to the object.", FILE_PAGES);
	f->file_fd = demo_tmpfile("demo-file", f->path, sizeof(f->path));
	if (ftruncate(f->file_fd, FILE_PAGES * d->page_size) < 0) {
		perror("ftruncate");
		exit(DEMO_EXIT_CANNOT_RUN);
	}
	for (page = 0; page < FILE_PAGES; page++) {
		first_text(page, text);
		write_file_page(f, page, text);
	}
	demo_attach(d, f->file_fd, 0, FILE_PAGES * (uint64_t)d->page_size);
	for (page = 0; page < FILE_PAGES; page++)
		show_file_page(f, page, text);
	demo_counters(d);
	demo_say("This process wrote %s (%d pages, each starting with\n"
		 "its own line) and attached bytes 0..%ld of it to the object\n"
		 "(TOYMAP_IOC_ATTACH). From now on page k of the object starts with the\n"
		 "file's bytes at k * %ld. The module only took note: it read nothing.",
		 f->path, FILE_PAGES, FILE_PAGES * d->page_size - 1, d->page_size);
	demo_expect(d, d->now.backing_flags & TOYMAP_BACKING_FILE,
		    "the object is backed by the file");
	demo_expect(d, d->now.resident_pages == 0 && DEMO_DELTA(d, file_reads) == 0,
		    "attach read nothing: the object has no page in memory");
}

static void map_twice(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "Process 1 and process 2 map the object's %d pages with MAP_SHARED.",
		  FILE_PAGES);
	demo_map_apart(d, &f->p1, &f->p2, AREA, FILE_PAGES, MAP_SHARED, "page 0",
		       "Two programs, each with its own open of the device and its own mmap().\n"
		       "Process 2 first reserved 1 MiB of address space, so its area starts at\n"
		       "another virtual address. The file section is now mapped twice; no frame\n"
		       "is mapped yet, and no byte of the file has been read.",
		       &f->v1, &f->v2);
}

static void first_touch(struct figure *f)
{
	struct demo *d = &f->d;
	char text[DEMO_TEXT_LEN];

	demo_step(d, "Process 1 reads page 0.");
	demo_read(&f->p1, AREA, 0, &f->v1);
	demo_row(&f->p1, "page 0", &f->v1);
	demo_counters(d);
	demo_say("A page fault. The object had no page 0, so the module allocated a frame\n"
		 "and filled it from the file (file-read): demand paging. Only this page was\n"
		 "read; pages 1 and 2 are still on \"disk\", in the file.");
	first_text(0, text);
	demo_expect_delta(d, file_reads, 1, "page 0 was read from the file at its first touch");
	demo_expect_delta(d, zero_fills, 0, "nothing was zero-filled: the page is in the section");
	demo_expect(d, f->v1.pte.present && f->v1.pte.file && !strcmp(f->v1.text, text),
		    "process 1 maps the object's page, which holds the file's bytes");
}

static void second_touch(struct figure *f)
{
	struct demo *d = &f->d;

	demo_step(d, "Process 2 reads page 0.");
	demo_read(&f->p2, AREA, 0, &f->v2);
	demo_read(&f->p1, AREA, 0, &f->v1);
	demo_row(&f->p1, "page 0", &f->v1);
	demo_row(&f->p2, "page 0", &f->v2);
	demo_counters(d);
	demo_say("Process 2 faults too, but the object has page 0 in memory already: the\n"
		 "kernel maps that frame at process 2's own address. The file is not read\n"
		 "again.");
	demo_expect_fault_seen(d, "process 2's");
	demo_expect_delta(d, file_reads, 0, "the file was not read again");
	demo_expect(d, !strcmp(f->v1.text, f->v2.text), "both read the same bytes");
	demo_expect_frames(d, &f->v1, &f->v2, true, "processes 1 and 2");
}

static void file_changes(struct figure *f)
{
	struct demo *d = &f->d;
	char first[DEMO_TEXT_LEN], changed[DEMO_TEXT_LEN], text[DEMO_TEXT_LEN];

	demo_step(d, "The file changes under a page in memory: here toymap differs from mmap.");
	changed_text(0, text);
	write_file_page(f, 0, text);
	changed_text(1, text);
	write_file_page(f, 1, text);
	demo_read(&f->p2, AREA, 1, &f->v2);
	demo_read(&f->p1, AREA, 0, &f->v1);
	show_file_page(f, 0, text);
	show_file_page(f, 1, text);
	demo_row(&f->p1, "page 0", &f->v1);
	demo_row(&f->p2, "page 1", &f->v2);
	demo_counters(d);
	demo_say("This process wrote new bytes into pages 0 and 1 of the file with\n"
		 "write(), not through the mapping; then process 2 read page 1 and process\n"
		 "1 page 0. Page 1 of the object did not exist yet: process 2's touch\n"
		 "faulted it in from the file, and got the new bytes.");
	first_text(0, first);
	changed_text(1, changed);
	demo_expect_delta(d, file_reads, 1, "page 1 was read from the file now");
	demo_expect(d, !strcmp(f->v2.text, changed),
		    "page 1, touched after the change, holds the file's new bytes");
	demo_say("(Page 0 is where toymap differs from an mmap() of the file itself. There\n"
		 "the mapping is the file's own page cache, which write() updates: process\n"
		 "1 would read the new bytes at once. toymap's object is memory in front of\n"
		 "the file, as DRAM is in front of the disk in the chapter: a page is read\n"
		 "from the file at its first touch, and not again while it stays in memory.\n"
		 "Page 0 was read at step 3 and is still in memory, so:)");
	demo_expect(d, !strcmp(f->v1.text, first),
		    "page 0, in memory since before the change, holds the old bytes");
}

static void shared_write(struct figure *f)
{
	struct demo *d = &f->d;
	char text[DEMO_TEXT_LEN], first[DEMO_TEXT_LEN];

	demo_step(d, "Process 1 writes to page 2.");
	snprintf(text, sizeof(text), "process 1 wrote");
	demo_write(&f->p1, AREA, 2, text, &f->v1);
	demo_row(&f->p1, "page 2", &f->v1);
	show_file_page(f, 2, text);
	demo_counters(d);
	demo_say("The first touch of page 2 is a write. The module read the page from the\n"
		 "file, then the kernel called its page_mkwrite: the page is dirty now, it\n"
		 "differs from the file. The new bytes are in memory only; read() of the\n"
		 "file still gets the old ones.");
	first_text(2, first);
	demo_expect_delta(d, page_mkwrites, 1, "the first write marked the page dirty");
	demo_expect_delta(d, write_backs, 0, "nothing was written to the file yet");
	demo_expect(d, !strcmp(text, first), "the file still holds its old page 2");
}

static void msync_back(struct figure *f)
{
	struct demo *d = &f->d;
	char text[DEMO_TEXT_LEN];

	demo_step(d, "Process 1 calls msync(MS_SYNC); process 2 reads page 2.");
	demo_msync(&f->p1, AREA);
	demo_read(&f->p2, AREA, 2, &f->v2);
	demo_row(&f->p1, "page 2", &f->v1);
	demo_row(&f->p2, "page 2", &f->v2);
	show_file_page(f, 2, text);
	demo_counters(d);
	demo_say("msync() asks the kernel to write the area's dirty pages to their file:\n"
		 "the module wrote page 2 back to its place in the file (write-back) and\n"
		 "marked it clean. Now read() of the file shows process 1's bytes. Process\n"
		 "2 sees them in memory too: it maps the same frame.");
	demo_expect_delta(d, write_backs, 1, "msync() wrote the dirty page back to the file");
	demo_expect(d, !strcmp(text, f->v1.text),
		    "the file holds what process 1 wrote into memory");
	demo_expect(d, !strcmp(f->v2.text, f->v1.text), "process 2 reads it too");
}

static void private_write(struct figure *f)
{
	struct demo *d = &f->d;
	char text[DEMO_TEXT_LEN], changed[DEMO_TEXT_LEN];

	demo_step(d, "This process maps the object with MAP_PRIVATE and writes page 1.");
	demo_map(&f->self, AREA, 0, FILE_PAGES, MAP_PRIVATE, 0, &f->mine);
	demo_write(&f->self, AREA, 1, "private change", &f->mine);
	if (fsync(d->fd) < 0)
		perror("fsync");
	demo_read(&f->p2, AREA, 1, &f->v2);
	demo_row(&f->self, "private 1", &f->mine);
	demo_row(&f->p2, "page 1", &f->v2);
	show_file_page(f, 1, text);
	demo_counters(d);
	demo_say("A write to a private area copies the page (copy-on-write): the change\n"
		 "lives in this process's own anonymous page. The object's page 1 is\n"
		 "untouched and not dirty, so fsync() on the device has nothing to write:\n"
		 "a private write never reaches the file.");
	changed_text(1, changed);
	demo_expect_delta(d, cow_faults, 1, "the kernel copied the object's page for the write");
	demo_expect(d, f->mine.pte.present && !f->mine.pte.file,
		    "this process maps its own anonymous copy");
	demo_expect_delta(d, write_backs, 0, "fsync() wrote nothing back");
	demo_expect(d, !strcmp(text, changed) && !strcmp(f->v2.text, changed),
		    "the file and process 2 still hold page 1 as the file had it");
}

static void detach_file(struct figure *f)
{
	struct demo *d = &f->d;
	char text[DEMO_TEXT_LEN], written[DEMO_TEXT_LEN];

	demo_step(d, "Process 1 writes page 2 again; all unmap; the file is detached.");
	snprintf(written, sizeof(written), "second write");
	demo_write(&f->p1, AREA, 2, written, &f->v1);
	demo_end(&f->p1);
	demo_end(&f->p2);
	demo_unmap(&f->self, AREA);
	demo_detach(d);
	demo_row(&f->p1, "page 2", &f->v1);
	show_file_page(f, 2, text);
	demo_counters(d);
	demo_say("msync() had also write-protected page 2 again, so this write faulted\n"
		 "and called page_mkwrite: the kernel notices every page that becomes\n"
		 "dirty. The processes exited and this one unmapped its area; then\n"
		 "TOYMAP_IOC_DETACH wrote the dirty page back and dropped every page. The\n"
		 "object is anonymous again.");
	demo_expect_delta(d, page_mkwrites, 1, "the write after msync() was noticed");
	demo_expect_delta(d, write_backs, 1, "detach wrote the dirty page back");
	demo_expect(d, !strcmp(text, written), "the file holds process 1's second write");
	demo_expect(d, d->now.resident_pages == 0 &&
		    !(d->now.backing_flags & TOYMAP_BACKING_FILE),
		    "the object has no page and no file now");
}

int main(int argc, char **argv)
{
	struct figure f;
	struct demo *d = &f.d;

	demo_init(d, argc, argv, about);
	demo_self(&f.self, "this process");
	demo_title(d, "An area backed by a regular file (CS:APP 9.8)");
	demo_say("An area can be backed by a section of a regular file: its pages start\n"
		 "with the file's bytes, read from the file when each page is first\n"
		 "touched. Here the object is backed by a file; process 1 and process 2 are\n"
		 "two separate programs that map it MAP_SHARED.\n"
		 "First, the object is made fresh: no page, no file attached.");
	demo_fresh_object(d);
	demo_spawn(d, &f.p1, "process 1");
	demo_spawn(d, &f.p2, "process 2");

	attach_file(&f);
	map_twice(&f);
	first_touch(&f);
	second_touch(&f);
	file_changes(&f);
	shared_write(&f);
	msync_back(&f);
	private_write(&f);
	detach_file(&f);

	unlink(f.path);
	close(f.file_fd);
	return demo_finish(d);
}
