/* SPDX-License-Identifier: GPL-2.0 */
/*
 * demo_util: what the chapter's demos share.
 *
 * A demo is a short walk-through of one figure: processes (this one and
 * peers it drives over pipes), the areas they map from one toymap object,
 * the frames behind them (pagemap), the pages' contents, and the object's
 * counters before and after each step.  Every "demo_" helper prints; a
 * helper that cannot do its job (no device, mmap refused, a peer died)
 * says why and exits with DEMO_EXIT_CANNOT_RUN, so the demos read as
 * straight lines of steps.
 *
 * A peer is a separate program: the demo's own executable started again
 * with a role argument (demo_spawn), so it opens and maps the device
 * itself; or a fork()ed child (demo_fork), which inherits the areas.
 * Either way it serves requests (map, look, read, write) from the pipe.
 */
#ifndef DEMO_UTIL_H
#define DEMO_UTIL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libtoymap.h"

/* Exit status of every demo. */
#define DEMO_EXIT_OK		0	/* what it saw agrees with the chapter */
#define DEMO_EXIT_CONTRADICTION	1	/* what it saw contradicts the chapter */
#define DEMO_EXIT_USAGE		2
#define DEMO_EXIT_CANNOT_RUN	3	/* no device, no permission, a peer died */

#define DEMO_TEXT_LEN		48	/* bytes of a page's contents shown */
#define DEMO_MAX_AREAS		4	/* mappings per process */
#define DEMO_MAX_PROCS		4	/* processes of one story */
/* Address space a second process reserves first, so that its area lands elsewhere. */
#define DEMO_GUARD_BYTES	(1UL << 20)

/* The state of one demo run (the process that tells the story). */
struct demo {
	const char *name;		/* "demo-shared" */
	const char *device;		/* "/dev/toymap0" */
	int fd;				/* the device, opened O_RDWR */
	long page_size;
	bool pfn_readable;		/* root: pagemap shows PFNs */
	struct toymap_info before;	/* counters at the previous demo_counters() */
	struct toymap_info now;		/* counters at the last demo_counters() */
	int step;
	int contradictions;
};

/* Counter change over the last step: DEMO_DELTA(d, zero_fills). */
#define DEMO_DELTA(d, field)	((int64_t)((d)->now.field - (d)->before.field))
/* Expect a counter to have changed by @expected: "ok: zero_fills +1: @why". */
#define demo_expect_delta(d, field, expected, why)					\
	demo_expect((d), DEMO_DELTA(d, field) == (expected), "%s +%" PRId64 ": %s",	\
		    #field, DEMO_DELTA(d, field), (why))

/*
 * One process of the figure.  Its name is how the story calls it
 * ("process 1", "parent"); request_fd is -1 for this process itself.
 */
struct demo_proc {
	const char *name;
	pid_t pid;
	int request_fd;
	int view_fd;
};

/* What a process saw of one page of one of its areas, after an operation. */
struct demo_view {
	int32_t err;			/* 0, or -errno of the operation */
	int32_t pid;
	uint64_t va;			/* virtual address of the page */
	struct toymap_pte pte;		/* pagemap entry after the operation */
	uint64_t frame;			/* LOOKUP's frame identity, 0: none (no page) */
	bool has_text;			/* the page was read or written */
	uint32_t zero_bytes;		/* read: zero bytes in the page */
	char text[DEMO_TEXT_LEN];	/* read or written: the page's first bytes */
};

/*
 * Start a demo: a peer started by demo_spawn() runs its request loop here
 * and never returns.  Otherwise parse "[-h] [DEVICE]" (print @about for
 * -h), open the device, read its counters and say whether PFNs are shown.
 */
void demo_init(struct demo *d, int argc, char **argv, const char *about);
/*
 * The same for a demo with one operand before the device:
 * "[-h] [OPERAND [DEVICE]]", OPERAND named @operand_name in the usage line.
 * *@operand is set when one is given, else left as it is (the default).
 */
void demo_init_operand(struct demo *d, int argc, char **argv, const char *about,
		       const char *operand_name, const char **operand);
/* Print the verdict; the demo's exit status. */
int demo_finish(struct demo *d);

/*
 * Story telling: a title (with the object, the module's parameters, and how
 * frames are shown to this user), a paragraph (each line indented), a
 * numbered step.
 */
void demo_title(struct demo *d, const char *title);
void demo_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void demo_step(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One row of the figure: who, which area, virtual address, frame, contents. */
void demo_row(const struct demo_proc *p, const char *area, const struct demo_view *v);
/* The rows of two areas of one process: @area_a (@a), then @area_b (@b). */
void demo_row_pair(const struct demo_proc *p, const char *area_a, const struct demo_view *a,
		   const char *area_b, const struct demo_view *b);

/* Read the counters (now -> before, fresh -> now) and print what changed. */
void demo_counters(struct demo *d);
/* Read the counters without printing: the next demo_counters() shows changes since now. */
void demo_counters_restart(struct demo *d);
/*
 * Make the object's pages in [offset, offset+length) demand-zero again, and
 * start the counters afresh (the next demo_counters() shows changes since).
 */
void demo_discard(struct demo *d, uint64_t offset, uint64_t length);

/*
 * Checks against the chapter.  Each prints "ok: ..." or "CONTRADICTION: ..."
 * and counts contradictions; each returns @ok.
 */
bool demo_expect(struct demo *d, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Expect @a and @b to be the same frame (@same) or different frames.  With
 * PFNs it compares them; without, the frame identities TOYMAP_IOC_LOOKUP
 * gives every user (and only if the module has no LOOKUP, it says the
 * comparison needs root and returns true).
 */
bool demo_expect_frames(struct demo *d, const struct demo_view *a, const struct demo_view *b,
			bool same, const char *what);
/*
 * Expect that @who's page fault over the last step reached the module:
 * through .fault (faults) or through fault-around (fault_around_calls).
 */
bool demo_expect_fault_seen(struct demo *d, const char *who);

/* Processes */
void demo_self(struct demo_proc *p, const char *name);
void demo_spawn(struct demo *d, struct demo_proc *p, const char *name);
void demo_fork(struct demo_proc *p, const char *name);
/* Tell a peer to exit and reap it (a no-op for this process). */
void demo_end(struct demo_proc *p);

/*
 * Operations on a process's areas; each fills @v with what that process
 * saw afterwards.  demo_map() maps @pages pages of the object from byte
 * @offset with @flags (MAP_SHARED or MAP_PRIVATE) into area @area, first
 * reserving @guard_bytes of address space (to push the area elsewhere);
 * with MAP_PRIVATE | MAP_ANONYMOUS it maps anonymous memory instead (no
 * object, @offset ignored) in 4 KiB pages (MADV_NOHUGEPAGE).
 * @v describes page 0 of the area.  demo_look() reads pagemap only (no
 * touch); demo_read() reads the page (a touch); demo_write() writes @text.
 */
void demo_map(struct demo_proc *p, unsigned int area, uint64_t offset, size_t pages,
	      int flags, size_t guard_bytes, struct demo_view *v);
/*
 * The step "two processes map the object at different addresses": @a and
 * @b each map @pages pages of the object from offset 0 with @flags into
 * area @area, @b after reserving DEMO_GUARD_BYTES.  Then the story @why,
 * a row for page 0 of each area (named @label), the counters, and the
 * check that neither process has a frame before its first touch.
 */
void demo_map_apart(struct demo *d, struct demo_proc *a, struct demo_proc *b, unsigned int area,
		    size_t pages, int flags, const char *label, const char *why,
		    struct demo_view *va, struct demo_view *vb);
void demo_look(struct demo_proc *p, unsigned int area, size_t page, struct demo_view *v);
void demo_read(struct demo_proc *p, unsigned int area, size_t page, struct demo_view *v);
void demo_write(struct demo_proc *p, unsigned int area, size_t page, const char *text,
		struct demo_view *v);
/* msync(MS_SYNC) of all of area @area, by process @p. */
void demo_msync(struct demo_proc *p, unsigned int area);
/* munmap() area @area of process @p; the area number is free again. */
void demo_unmap(struct demo_proc *p, unsigned int area);
/* The base address of area @area of this process. */
void *demo_area_addr(unsigned int area);
/*
 * The line of /proc/@pid/maps whose area holds @addr, without the padding
 * before its path: true, or false with @line "" when no area holds it.
 */
bool demo_maps_line(pid_t pid, uint64_t addr, char *line, size_t len);

/*
 * The object's backing, through this process's open device.  Each helper
 * that fails says why and exits with DEMO_EXIT_CANNOT_RUN.
 *
 * demo_fresh_object() makes the object anonymous and empty whatever an
 * earlier run left: it detaches a file, discards every page (dirty ones
 * too) and drops the swap file, then starts the counters afresh.
 */
void demo_fresh_object(struct demo *d);
void demo_attach(struct demo *d, int file_fd, uint64_t offset, uint64_t length);
void demo_detach(struct demo *d);
void demo_set_swap(struct demo *d, int swap_fd);
void demo_evict(struct demo *d, uint64_t offset, uint64_t length, struct toymap_evict *result);
/*
 * Scratch files (a backing file, a swap file) in $TMPDIR or /tmp.
 * demo_tmpfile() creates an empty file toymap-@tag.XXXXXX, open read-write;
 * its path goes to @path.  demo_pread() reads exactly @len bytes at
 * @offset.  demo_file_text() gives the text at @offset as a demo row shows
 * a page's contents (@text has DEMO_TEXT_LEN bytes).
 */
int demo_tmpfile(const char *tag, char *path, size_t len);
void demo_pread(int fd, uint64_t offset, void *buf, size_t len);
void demo_pwrite(int fd, uint64_t offset, const void *buf, size_t len);
const char *demo_file_text(int fd, uint64_t offset, char *text);

#endif /* DEMO_UTIL_H */
