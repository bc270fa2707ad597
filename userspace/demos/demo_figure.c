// SPDX-License-Identifier: GPL-2.0
/*
 * demo_figure: the chapter's figures drawn from the run, one DOT file per
 * step, rendered by Graphviz's dot.  See demo_figure.h.
 *
 * The scene is what the story has seen so far: per process, its areas and,
 * per area, the pages it mapped, looked at, read or written (the last view
 * of each).  A figure draws the whole scene at the end of a step, so that
 * each one stands alone, as the chapter's figures do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo_util.h"
#include "demo_figure.h"

#define FIG_MAX_PAGES	8	/* pages of one area a figure shows */
#define FIG_MAX_FRAMES	(DEMO_MAX_PROCS * DEMO_MAX_AREAS * FIG_MAX_PAGES)

#define FIG_CHANGED_FILL	DEMO_FIGURE_CHANGED
#define FIG_CHANGED_EDGE	DEMO_FIGURE_CHANGED_EDGE
#define FIG_PROC_FILL		DEMO_FIGURE_PROC
#define FIG_AREA_FILL		DEMO_FIGURE_AREA
#define FIG_MEM_FILL		DEMO_FIGURE_MEMORY
#define FIG_OBJECT_FILL		DEMO_FIGURE_OBJECT
#define FIG_FILE_FILL		DEMO_FIGURE_FILE

struct fig_page {
	uint64_t page;			/* in the area */
	struct demo_view v;		/* the last view of it */
	bool seen;			/* v holds one */
	bool hole;			/* unmapped on its own: in no area */
	int changed;			/* step of its last change */
	unsigned long seq;		/* when v was taken: a frame shows its latest contents */
	char access[96];		/* an access in step access_step, and what came of it */
	int access_step;
};

struct fig_area {
	bool used;
	uint64_t start, pages, offset;
	int flags;			/* MAP_SHARED, MAP_PRIVATE, | MAP_ANONYMOUS */
	char prot[4];			/* "rw-" */
	int changed;
	struct fig_page pg[FIG_MAX_PAGES];
	unsigned int npg;
};

struct fig_proc {
	const char *name;
	pid_t pid;
	bool gone;
	enum demo_figure_side side;
	struct fig_area area[DEMO_MAX_AREAS];
};

/* A frame of the figure: one row of physical memory. */
struct fig_frame {
	uint64_t key;			/* PFN, LOOKUP's identity, or a row of its own */
	const struct fig_page *latest;	/* the newest view of it */
	const struct fig_area *area;	/* ... and its area */
	bool changed;
};

static struct {
	bool on, render, said_no_dot;
	char dir[PATH_MAX - 64];	/* room for "/step-NN.svg" */
	struct fig_proc proc[DEMO_MAX_PROCS];
	unsigned int nproc;
	int step;			/* the step being told; 0 before the first */
	char title[256];
	char counters[512];
	bool custom;			/* the demo draws this step itself */
	bool drawn;			/* this step's figure is written */
	unsigned long seq;
	int file_fd;			/* the object's backing file, -1: none */
	uint64_t file_offset, file_length;
	char file_path[PATH_MAX];
	int swap_fd;
	char swap_path[PATH_MAX];
	struct fig_frame frames[FIG_MAX_FRAMES];
	unsigned int nframes;
} fig = { .file_fd = -1, .swap_fd = -1 };

/* ------------------------------------------------------ options, files */

/* mkdir -p @dir */
static int make_dir(const char *dir)
{
	char path[PATH_MAX];
	char *slash;

	snprintf(path, sizeof(path), "%s", dir);
	for (slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

bool demo_figure_option(const char *option, const char *dir)
{
	int err;

	if (strcmp(option, "--svg") && strcmp(option, "--dot"))
		return false;
	fig.render = !strcmp(option, "--svg");
	snprintf(fig.dir, sizeof(fig.dir), "%s", dir);
	err = make_dir(fig.dir);
	if (err) {
		fprintf(stderr, "cannot make the directory %s: %s\n", fig.dir, strerror(-err));
		exit(DEMO_EXIT_CANNOT_RUN);
	}
	fig.on = true;
	return true;
}

static void fd_path(int fd, char *path, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, len - 1);
	path[n > 0 ? n : 0] = '\0';
}

void demo_figure_text(FILE *f, const char *text)
{
	for (; *text; text++) {
		switch (*text) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*text >= 0x20 && *text < 0x7f ? *text : '.', f);
		}
	}
}

/* ------------------------------------------------------ the scene */

static struct fig_proc *find_proc(pid_t pid)
{
	unsigned int i;

	for (i = 0; i < fig.nproc; i++)
		if (fig.proc[i].pid == pid && !fig.proc[i].gone)
			return &fig.proc[i];
	return NULL;
}

static struct fig_area *find_area(pid_t pid, unsigned int area)
{
	struct fig_proc *p = find_proc(pid);

	return p && area < DEMO_MAX_AREAS && p->area[area].used ? &p->area[area] : NULL;
}

/* The page @page of @a, added if new (NULL when the area shows enough). */
static struct fig_page *find_page(struct fig_area *a, uint64_t page)
{
	unsigned int i;

	for (i = 0; i < a->npg; i++)
		if (a->pg[i].page == page)
			return &a->pg[i];
	if (a->npg == FIG_MAX_PAGES)
		return NULL;
	memset(&a->pg[a->npg], 0, sizeof(a->pg[0]));
	a->pg[a->npg].page = page;
	return &a->pg[a->npg++];
}

void demo_figure_proc(const char *name, pid_t pid, enum demo_figure_side side)
{
	struct fig_proc *p;

	if (fig.nproc == DEMO_MAX_PROCS)
		return;
	p = &fig.proc[fig.nproc++];
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->pid = pid;
	p->side = side;
}

void demo_figure_fork(pid_t parent, pid_t child)
{
	struct fig_proc *from = find_proc(parent), *to = find_proc(child);
	unsigned int i;

	if (!from || !to)
		return;
	for (i = 0; i < DEMO_MAX_AREAS; i++) {
		to->area[i] = from->area[i];
		/* What the child sees of the pages, it must look at itself. */
		to->area[i].npg = 0;
		to->area[i].changed = fig.step;
	}
}

void demo_figure_proc_gone(pid_t pid)
{
	struct fig_proc *p = find_proc(pid);

	if (p)
		p->gone = true;
}

void demo_figure_map(pid_t pid, unsigned int area, uint64_t start, uint64_t pages,
		     uint64_t offset, int flags)
{
	struct fig_proc *p = find_proc(pid);
	struct fig_area *a;

	if (!p || area >= DEMO_MAX_AREAS)
		return;
	a = &p->area[area];
	memset(a, 0, sizeof(*a));
	a->used = true;
	a->start = start;
	a->pages = pages;
	a->offset = offset;
	a->flags = flags;
	a->changed = fig.step;
	snprintf(a->prot, sizeof(a->prot), "rw-");
}

void demo_figure_unmap(pid_t pid, unsigned int area)
{
	struct fig_area *a = find_area(pid, area);

	if (a)
		a->used = false;
}

void demo_figure_prot(pid_t pid, unsigned int area, const char *prot)
{
	struct fig_area *a = find_area(pid, area);

	if (!a)
		return;
	snprintf(a->prot, sizeof(a->prot), "%s", prot);
	a->changed = fig.step;
}

static bool same_frame(const struct demo_view *a, const struct demo_view *b)
{
	return a->pte.present && b->pte.present && a->pte.pfn == b->pte.pfn &&
	       a->frame == b->frame;
}

/*
 * Did the page change between two views: another frame, or other contents?
 * (Reading a page, or others mapping its frame too, changes nothing drawn.)
 */
static bool view_changed(const struct demo_view *old, const struct demo_view *now)
{
	return old->pte.present != now->pte.present || old->pte.file != now->pte.file ||
	       (now->pte.present && !same_frame(old, now)) ||
	       (old->has_text && now->has_text && strcmp(old->text, now->text));
}

void demo_figure_view(pid_t pid, unsigned int area, uint64_t page, const struct demo_view *v)
{
	struct fig_area *a = find_area(pid, area);
	struct fig_page *pg = a ? find_page(a, page) : NULL;
	struct demo_view old;

	if (!pg)
		return;
	old = pg->v;
	pg->v = *v;
	/* A look reads no contents: those of the same frame stay. */
	if (!v->has_text && pg->seen && old.has_text && same_frame(&old, v)) {
		pg->v.has_text = true;
		pg->v.zero_bytes = old.zero_bytes;
		memcpy(pg->v.text, old.text, sizeof(old.text));
	}
	if (!pg->seen || view_changed(&old, &pg->v))
		pg->changed = fig.step;
	pg->seen = true;
	pg->seq = ++fig.seq;
}

void demo_figure_hole(pid_t pid, unsigned int area, uint64_t page)
{
	struct fig_area *a = find_area(pid, area);
	struct fig_page *pg = a ? find_page(a, page) : NULL;

	if (!pg)
		return;
	pg->hole = true;
	pg->seen = false;
	pg->changed = fig.step;
	if (page + 1 == a->pages)
		a->pages = page;	/* the area ends before it now */
}

void demo_figure_access(pid_t pid, unsigned int area, uint64_t page, const char *what)
{
	struct fig_area *a = find_area(pid, area);
	struct fig_page *pg = a ? find_page(a, page) : NULL;

	if (!pg)
		return;
	snprintf(pg->access, sizeof(pg->access), "%s", what);
	pg->access_step = fig.step;
}

void demo_figure_file(int fd, uint64_t offset, uint64_t length)
{
	fig.file_fd = fd;
	fig.file_offset = offset;
	fig.file_length = length;
	fig.file_path[0] = '\0';
	if (fd >= 0)
		fd_path(fd, fig.file_path, sizeof(fig.file_path));
}

void demo_figure_swap(int fd)
{
	fig.swap_fd = fd;
	fig.swap_path[0] = '\0';
	if (fd >= 0)
		fd_path(fd, fig.swap_path, sizeof(fig.swap_path));
}

static void draw_step(struct demo *d);

void demo_figure_counters(struct demo *d, const char *changes)
{
	snprintf(fig.counters, sizeof(fig.counters), "%s", changes);
	draw_step(d);
}

/* ------------------------------------------------------ drawing */

static uint64_t page_size(void)
{
	return (uint64_t)toymap_page_size();
}

static bool object_backed(const struct fig_area *a)
{
	return !(a->flags & MAP_ANONYMOUS);
}

static uint64_t pgoff_of(const struct fig_area *a, const struct fig_page *pg)
{
	return a->offset / page_size() + pg->page;
}

/* The frame row of a present page: its key, shared by every view of the frame. */
static uint64_t frame_key(const struct fig_proc *p, const struct fig_area *a,
			  const struct fig_page *pg)
{
	if (pg->v.pte.pfn_known)
		return pg->v.pte.pfn;
	if (pg->v.frame)
		return pg->v.frame;
	/* Neither PFN nor identity: a row of its own. */
	return (1ULL << 63) | ((uint64_t)p->pid << 24) | ((uint64_t)(a - p->area) << 16) |
	       (pg->page & 0xffff);
}

static int frame_index(uint64_t key)
{
	unsigned int i;

	for (i = 0; i < fig.nframes; i++)
		if (fig.frames[i].key == key)
			return (int)i;
	return -1;
}

/* Gather the frames of the present pages, in the order the scene holds them. */
static void collect_frames(void)
{
	const struct fig_proc *p;
	const struct fig_area *a;
	const struct fig_page *pg;
	struct fig_frame *fr;
	unsigned int i, j, k;
	int at;

	fig.nframes = 0;
	for (i = 0; i < fig.nproc; i++)
		for (j = 0, p = &fig.proc[i]; j < DEMO_MAX_AREAS && !p->gone; j++)
			for (k = 0, a = &p->area[j]; a->used && k < a->npg; k++) {
				pg = &a->pg[k];
				if (!pg->seen || !pg->v.pte.present)
					continue;
				at = frame_index(frame_key(p, a, pg));
				if (at < 0) {
					if (fig.nframes == FIG_MAX_FRAMES)
						continue;
					at = (int)fig.nframes++;
					fr = &fig.frames[at];
					memset(fr, 0, sizeof(*fr));
					fr->key = frame_key(p, a, pg);
				}
				fr = &fig.frames[at];
				if (!fr->latest || pg->seq > fr->latest->seq) {
					fr->latest = pg;
					fr->area = a;
				}
				fr->changed |= pg->changed == fig.step;
			}
}

/* What a frame is, in the chapter's words. */
static const char *frame_kind(const struct fig_frame *fr)
{
	const struct demo_view *v = &fr->latest->v;

	if (v->pte.file)
		return "a page of the object (page cache)";
	if (object_backed(fr->area))
		return "private copy (anonymous)";
	if (!v->pte.exclusive && v->has_text && v->zero_bytes == page_size())
		return "the shared zero page";
	return "anonymous page";
}

static void contents_text(const struct demo_view *v, char *buf, size_t len)
{
	if (!v->has_text)
		snprintf(buf, len, "contents not read");
	else if (!v->text[0])
		snprintf(buf, len, "%s", v->zero_bytes == page_size() ? "all zero bytes" :
			 "starts with a zero byte");
	else
		snprintf(buf, len, "\"%s\"", v->text);
}

static const char *row_fill(bool changed)
{
	return changed ? FIG_CHANGED_FILL : "white";
}

static const char *edge_style(bool changed)
{
	return changed ? "color=\"" FIG_CHANGED_EDGE "\", penwidth=2.2" : "color=black";
}

void demo_figure_table_begin(FILE *f, const char *node, const char *fill, const char *heading)
{
	fprintf(f, "  %s [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" "
		"CELLPADDING=\"4\">\n    <TR><TD BGCOLOR=\"%s\">", node, fill);
	fputs(heading, f);
	fputs("</TD></TR>\n", f);
}

void demo_figure_table_end(FILE *f)
{
	fputs("  </TABLE>>];\n", f);
}

void demo_figure_table_row(FILE *f, const char *port, const char *fill, const char *text)
{
	fprintf(f, "    <TR><TD%s%s%s ALIGN=\"LEFT\" BGCOLOR=\"%s\">", port ? " PORT=\"" : "",
		port ? port : "", port ? "\"" : "", fill);
	demo_figure_text(f, text);
	fputs("</TD></TR>\n", f);
}

/* Pages of @a in the order drawn: highest address on top, as the chapter draws. */
static unsigned int sorted_pages(const struct fig_area *a, const struct fig_page **out)
{
	unsigned int i, j, n = 0;
	const struct fig_page *t;

	for (i = 0; i < a->npg; i++)
		if (a->pg[i].seen || a->pg[i].hole || a->pg[i].access[0])
			out[n++] = &a->pg[i];
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && out[j - 1]->page < out[j]->page; j--) {
			t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static void gap_row(FILE *f, uint64_t pages)
{
	char text[64];

	if (!pages)
		return;
	snprintf(text, sizeof(text), "... %" PRIu64 " page%s not shown", pages,
		 pages == 1 ? "" : "s");
	demo_figure_table_row(f, NULL, "white", text);
}

static void draw_area(FILE *f, const struct fig_proc *p, unsigned int n)
{
	const struct fig_area *a = &p->area[n];
	const struct fig_page *pages[FIG_MAX_PAGES];
	unsigned int i, count = sorted_pages(a, pages);
	char text[256], port[48], size[32];
	uint64_t above = a->pages;

	snprintf(text, sizeof(text), "area %u: %s %s, 0x%" PRIx64 "-0x%" PRIx64, n,
		 a->flags & MAP_ANONYMOUS ? "MAP_PRIVATE|MAP_ANONYMOUS" :
		 a->flags & MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE", a->prot, a->start,
		 a->start + a->pages * page_size() - 1);
	demo_figure_table_row(f, NULL, a->changed == fig.step ? FIG_CHANGED_FILL : FIG_AREA_FILL, text);
	if (object_backed(a)) {
		snprintf(text, sizeof(text), "mmap offset 0x%" PRIx64 ", length %s", a->offset,
			 toymap_format_size(a->pages * page_size(), size, sizeof(size)));
		demo_figure_table_row(f, NULL, a->changed == fig.step ? FIG_CHANGED_FILL : FIG_AREA_FILL,
			  text);
	}
	for (i = 0; i < count; i++) {
		if (pages[i]->page < above)
			gap_row(f, above - pages[i]->page - 1);
		above = pages[i]->page;
		snprintf(port, sizeof(port), "a%up%" PRIu64, n, pages[i]->page);
		if (pages[i]->hole)
			snprintf(text, sizeof(text), "0x%" PRIx64 ": no area (unmapped)",
				 a->start + pages[i]->page * page_size());
		else
			snprintf(text, sizeof(text), "page %" PRIu64 " at 0x%" PRIx64 "%s",
				 pages[i]->page, a->start + pages[i]->page * page_size(),
				 pages[i]->v.pte.present ? "" : ": no page table entry");
		demo_figure_table_row(f, port, row_fill(pages[i]->changed == fig.step), text);
	}
	gap_row(f, above);
}

static void draw_proc(FILE *f, unsigned int i)
{
	const struct fig_proc *p = &fig.proc[i];
	unsigned int order[DEMO_MAX_AREAS], n = 0, j, k, t;
	char node[16], heading[160];

	for (j = 0; j < DEMO_MAX_AREAS; j++)
		if (p->area[j].used)
			order[n++] = j;
	/* Highest address on top. */
	for (j = 1; j < n; j++)
		for (k = j; k > 0 && p->area[order[k - 1]].start < p->area[order[k]].start; k--) {
			t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	snprintf(node, sizeof(node), "p%u", i);
	snprintf(heading, sizeof(heading), "<B>%s</B> (pid %d)<BR/>virtual memory", p->name,
		 (int)p->pid);
	demo_figure_table_begin(f, node, FIG_PROC_FILL, heading);
	for (j = 0; j < n; j++)
		draw_area(f, p, order[j]);
	demo_figure_table_end(f);
}

static void draw_memory(FILE *f)
{
	char port[16], text[256], contents[DEMO_TEXT_LEN + 32], name[32];
	const struct fig_frame *fr;
	unsigned int i;

	demo_figure_table_begin(f, "mem", FIG_MEM_FILL, "<B>physical memory</B><BR/>frames (4 KiB pages)");
	if (!fig.nframes)
		demo_figure_table_row(f, NULL, "white", "no frame mapped yet");
	for (i = 0; i < fig.nframes; i++) {
		fr = &fig.frames[i];
		if (fr->latest->v.pte.pfn_known)
			snprintf(name, sizeof(name), "pfn 0x%" PRIx64, fr->key);
		else if (fr->latest->v.frame)
			snprintf(name, sizeof(name), "frame #%06" PRIx64, fr->key >> 40);
		else
			snprintf(name, sizeof(name), "frame (pfn hidden)");
		contents_text(&fr->latest->v, contents, sizeof(contents));
		snprintf(text, sizeof(text), "%s: %s, %s", name, frame_kind(fr), contents);
		snprintf(port, sizeof(port), "f%u", i);
		demo_figure_table_row(f, port, row_fill(fr->changed), text);
	}
	demo_figure_table_end(f);
}

/* The object's pages that some area maps, highest first; their count. */
static unsigned int object_pages(uint64_t *pgoffs, bool *changed, unsigned int max)
{
	const struct fig_area *a;
	const struct fig_page *pg;
	unsigned int i, j, k, l, n = 0;
	uint64_t pgoff, t;
	bool c;

	for (i = 0; i < fig.nproc; i++)
		for (j = 0; j < DEMO_MAX_AREAS && !fig.proc[i].gone; j++)
			for (k = 0, a = &fig.proc[i].area[j]; a->used && object_backed(a) &&
			     k < a->npg; k++) {
				pg = &a->pg[k];
				if (!pg->seen)
					continue;
				pgoff = pgoff_of(a, pg);
				c = pg->changed == fig.step && pg->v.pte.file;
				for (l = 0; l < n && pgoffs[l] != pgoff; l++)
					;
				if (l < n) {
					changed[l] |= c;
				} else if (n < max) {
					pgoffs[n] = pgoff;
					changed[n++] = c;
				}
			}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && pgoffs[j - 1] < pgoffs[j]; j--) {
			t = pgoffs[j];
			pgoffs[j] = pgoffs[j - 1];
			pgoffs[j - 1] = t;
			c = changed[j];
			changed[j] = changed[j - 1];
			changed[j - 1] = c;
		}
	return n;
}

/* Does the swap file hold a page at @pgoff (anything but zeros at its start)? */
static bool in_swap(struct demo *d, uint64_t pgoff, char *text)
{
	if (fig.swap_fd < 0 || !d->now.swapped_pages)
		return false;
	demo_file_text(fig.swap_fd, pgoff * page_size(), text);
	return text[0] != '\0';
}

static bool in_section(uint64_t pgoff)
{
	return fig.file_fd >= 0 && pgoff * page_size() < fig.file_length;
}

static void draw_object(FILE *f, struct demo *d, const uint64_t *pgoffs, const bool *changed,
			unsigned int n)
{
	char heading[512], text[DEMO_TEXT_LEN + 96], port[32], size[32], swapped[DEMO_TEXT_LEN];
	unsigned int i;
	int len;

	len = snprintf(heading, sizeof(heading), "<B>the object</B> %s, %s<BR/>", d->device,
		       toymap_format_size(d->now.object_size, size, sizeof(size)));
	if (fig.file_fd >= 0)
		snprintf(heading + len, sizeof(heading) - len, "backed by a file section");
	else
		snprintf(heading + len, sizeof(heading) - len, "anonymous: demand-zero%s",
			 fig.swap_fd >= 0 ? ", with a swap file" : "");
	demo_figure_table_begin(f, "obj", FIG_OBJECT_FILL, heading);
	if (!n)
		demo_figure_table_row(f, NULL, "white", "no page of it shown yet");
	for (i = 0; i < n; i++) {
		snprintf(port, sizeof(port), "o%" PRIu64, pgoffs[i]);
		snprintf(text, sizeof(text), "page %" PRIu64 " (offset 0x%" PRIx64 ")%s",
			 pgoffs[i], pgoffs[i] * page_size(),
			 in_swap(d, pgoffs[i], swapped) ? ": in the swap file" : "");
		demo_figure_table_row(f, port, row_fill(changed[i]), text);
	}
	demo_figure_table_end(f);
}

static void draw_files(FILE *f, struct demo *d, const uint64_t *pgoffs, unsigned int n)
{
	char heading[PATH_MAX + 160], text[DEMO_TEXT_LEN + 96], port[32], bytes[DEMO_TEXT_LEN];
	uint64_t at;
	unsigned int i;

	if (fig.file_fd >= 0) {
		snprintf(heading, sizeof(heading), "<B>file</B> %s<BR/>section: offset 0x%" PRIx64
			 ", length 0x%" PRIx64, fig.file_path, fig.file_offset, fig.file_length);
		demo_figure_table_begin(f, "file", FIG_FILE_FILL, heading);
		for (i = 0; i < n; i++) {
			if (!in_section(pgoffs[i]))
				continue;
			at = fig.file_offset + pgoffs[i] * page_size();
			snprintf(port, sizeof(port), "b%" PRIu64, pgoffs[i]);
			snprintf(text, sizeof(text), "bytes 0x%" PRIx64 "-: \"%s\"", at,
				 demo_file_text(fig.file_fd, at, bytes));
			demo_figure_table_row(f, port, "white", text);
		}
		demo_figure_table_end(f);
		fputs("  obj -> file [style=invis];\n", f);
		for (i = 0; i < n; i++)
			if (in_section(pgoffs[i]))
				fprintf(f, "  obj:o%" PRIu64 ":e -> file:b%" PRIu64 ":w [style=dashed, "
					"arrowhead=none, label=\"its bytes\"];\n", pgoffs[i], pgoffs[i]);
	}
	if (fig.swap_fd < 0)
		return;
	snprintf(heading, sizeof(heading), "<B>swap file</B> %s", fig.swap_path);
	demo_figure_table_begin(f, "swap", FIG_FILE_FILL, heading);
	for (i = 0; i < n; i++) {
		if (!in_swap(d, pgoffs[i], bytes))
			continue;
		snprintf(port, sizeof(port), "s%" PRIu64, pgoffs[i]);
		snprintf(text, sizeof(text), "slot %" PRIu64 ": \"%s\"", pgoffs[i], bytes);
		demo_figure_table_row(f, port, "white", text);
	}
	demo_figure_table_end(f);
	fputs("  obj -> swap [style=invis];\n", f);
	for (i = 0; i < n; i++)
		if (in_swap(d, pgoffs[i], bytes))
			fprintf(f, "  obj:o%" PRIu64 ":e -> swap:s%" PRIu64 ":w [style=dashed, "
				"label=\"swapped out\"];\n", pgoffs[i], pgoffs[i]);
}

/*
 * An edge from a process's page to a node.  A page table entry of a right
 * process is drawn backwards, from memory, which ranks the process right of
 * memory (@pte); every other edge goes forward, to the object, which is
 * always further right.  (Graphviz 2.42 garbles edges with constraint=false.)
 */
static void page_edge(FILE *f, const struct fig_proc *p, unsigned int i, const char *port,
		      const char *to, bool pte, const char *attrs)
{
	if (pte && p->side == DEMO_FIGURE_RIGHT)
		fprintf(f, "  %s:e -> p%u:%s:w [dir=back, %s];\n", to, i, port, attrs);
	else
		fprintf(f, "  p%u:%s:e -> %s:w [%s];\n", i, port, to, attrs);
}

static void draw_page_edges(FILE *f, unsigned int i)
{
	const struct fig_proc *p = &fig.proc[i];
	const struct fig_area *a;
	const struct fig_page *pg;
	char port[48], to[48], attrs[160], access[16];
	unsigned int j, k;

	for (j = 0; j < DEMO_MAX_AREAS; j++)
		for (k = 0, a = &p->area[j]; a->used && k < a->npg; k++) {
			pg = &a->pg[k];
			snprintf(port, sizeof(port), "a%up%" PRIu64, j, pg->page);
			if (pg->access_step == fig.step && pg->access[0]) {
				snprintf(access, sizeof(access), "x%u_%u_%u", i, j, k);
				fprintf(f, "  %s [shape=box, style=\"rounded,filled\", fillcolor=\""
					FIG_CHANGED_FILL "\", label=<", access);
				demo_figure_text(f, pg->access);
				fprintf(f, ">];\n");
				if (p->side == DEMO_FIGURE_LEFT)
					fprintf(f, "  %s -> p%u:%s:w [color=\"" FIG_CHANGED_EDGE
						"\", penwidth=2.2];\n", access, i, port);
				else
					fprintf(f, "  p%u:%s:e -> %s [dir=back, color=\""
						FIG_CHANGED_EDGE "\", penwidth=2.2];\n", i, port,
						access);
			}
			if (!pg->seen)
				continue;
			if (pg->v.pte.present) {
				snprintf(to, sizeof(to), "mem:f%d",
					 frame_index(frame_key(p, a, pg)));
				page_edge(f, p, i, port, to, true,
					  edge_style(pg->changed == fig.step));
			} else if (object_backed(a)) {
				snprintf(to, sizeof(to), "obj:o%" PRIu64, pgoff_of(a, pg));
				snprintf(attrs, sizeof(attrs), "style=dotted, color=gray45, "
					 "label=\"no frame\"");
				page_edge(f, p, i, port, to, false, attrs);
			}
		}
}

/* Each frame of the object is its page; a private copy was copied from one. */
static void draw_frame_edges(FILE *f)
{
	const struct fig_frame *fr;
	const struct fig_area *a;
	unsigned int i;

	for (i = 0; i < fig.nframes; i++) {
		fr = &fig.frames[i];
		a = fr->area;
		if (!object_backed(a))
			continue;
		fprintf(f, "  mem:f%u:e -> obj:o%" PRIu64 ":w [%s, %s];\n", i,
			pgoff_of(a, fr->latest), fr->latest->v.pte.file ?
			"style=dashed, arrowhead=none, label=\"is\"" :
			"style=dotted, label=\"copied from\"", edge_style(fr->changed));
	}
}

static void caption(FILE *f, struct demo *d)
{
	fprintf(f, "digraph \"%s step %d\" {\n", d->name, fig.step);
	fputs("  graph [rankdir=LR, newrank=true, nodesep=0.35, ranksep=0.9, "
	      "fontname=\"Helvetica\", fontsize=12, labelloc=t, labeljust=l, label=<<B>", f);
	demo_figure_text(f, d->name);
	fprintf(f, ", step %d.</B> ", fig.step);
	demo_figure_text(f, fig.title);
	fputs("<BR ALIGN=\"LEFT\"/>", f);
	if (fig.counters[0]) {
		fputs("<FONT POINT-SIZE=\"10\">counters: ", f);
		demo_figure_text(f, fig.counters);
		fputs("</FONT><BR ALIGN=\"LEFT\"/>", f);
	}
	if (!fig.custom)
		fputs("<FONT POINT-SIZE=\"9\">yellow, red: changed in this step. Arrow: a page "
		      "table entry. Dashed: the frame is the object's page (page cache). Dotted: "
		      "no frame yet, or where a private copy came from.</FONT>"
		      "<BR ALIGN=\"LEFT\"/>", f);
	fputs(">];\n"
	      "  node [shape=plaintext, fontname=\"Helvetica\", fontsize=10];\n"
	      "  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n", f);
}

/* A process is drawn while it maps something. */
static bool drawn(const struct fig_proc *p)
{
	unsigned int i;

	for (i = 0; i < DEMO_MAX_AREAS && !p->gone; i++)
		if (p->area[i].used)
			return true;
	return false;
}

static void draw_scene(FILE *f, struct demo *d)
{
	uint64_t pgoffs[DEMO_MAX_PROCS * DEMO_MAX_AREAS * FIG_MAX_PAGES];
	bool changed[DEMO_MAX_PROCS * DEMO_MAX_AREAS * FIG_MAX_PAGES];
	unsigned int i, n;

	collect_frames();
	n = object_pages(pgoffs, changed, sizeof(pgoffs) / sizeof(pgoffs[0]));
	for (i = 0; i < fig.nproc; i++)
		if (drawn(&fig.proc[i]))
			draw_proc(f, i);
	draw_memory(f);
	draw_object(f, d, pgoffs, changed, n);
	/*
	 * The layers, left to right, whatever the edges: the left processes,
	 * memory, the right processes, the object, its files.
	 */
	for (i = 0; i < fig.nproc; i++) {
		if (!drawn(&fig.proc[i]))
			continue;
		if (fig.proc[i].side == DEMO_FIGURE_LEFT)
			fprintf(f, "  p%u -> mem [style=invis];\n", i);
		else
			fprintf(f, "  mem -> p%u -> obj [style=invis];\n", i);
	}
	fputs("  mem -> obj [style=invis];\n", f);
	draw_files(f, d, pgoffs, n);
	for (i = 0; i < fig.nproc; i++)
		if (drawn(&fig.proc[i]))
			draw_page_edges(f, i);
	draw_frame_edges(f);
}

/* ------------------------------------------------------ files of the steps */

static void step_path(char *path, size_t len, const char *ext)
{
	snprintf(path, len, "%s/step-%02d.%s", fig.dir, fig.step, ext);
}

static FILE *open_step(struct demo *d)
{
	char path[PATH_MAX];
	FILE *f;

	step_path(path, sizeof(path), "dot");
	f = fopen(path, "we");
	if (!f) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		exit(DEMO_EXIT_CANNOT_RUN);
	}
	caption(f, d);
	return f;
}

static void close_step(FILE *f)
{
	fputs("}\n", f);
	if (fclose(f)) {
		perror("writing a figure");
		exit(DEMO_EXIT_CANNOT_RUN);
	}
}

/* dot -Tsvg: the SVG beside the DOT file. */
static void render(void)
{
	char dot[PATH_MAX], svg[PATH_MAX];
	char *argv[] = { "dot", "-Tsvg", "-o", svg, dot, NULL };
	int err, status;
	pid_t pid;

	step_path(dot, sizeof(dot), "dot");
	step_path(svg, sizeof(svg), "svg");
	fflush(NULL);
	err = posix_spawnp(&pid, "dot", NULL, NULL, argv, environ);
	if (err == ENOENT) {
		if (!fig.said_no_dot)
			printf("  (The figures are DOT files in %s: Graphviz's dot is not\n"
			       "   installed to make SVG of them: apt-get install graphviz.)\n",
			       fig.dir);
		fig.said_no_dot = true;
		return;
	}
	if (err || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "dot -Tsvg %s failed\n", dot);
		exit(DEMO_EXIT_CANNOT_RUN);
	}
}

/* The figure of the step, once: at its evidence (the counters), or at its end. */
static void draw_step(struct demo *d)
{
	FILE *f;

	if (!fig.on || !fig.step || fig.drawn || fig.custom)
		return;
	f = open_step(d);
	draw_scene(f, d);
	close_step(f);
	fig.drawn = true;
}

static void end_step(struct demo *d)
{
	if (!fig.on || !fig.step)
		return;
	draw_step(d);
	if (fig.render)
		render();
}

void demo_figure_step(struct demo *d, const char *title)
{
	end_step(d);
	fig.step = d->step;
	snprintf(fig.title, sizeof(fig.title), "%s", title);
	fig.counters[0] = '\0';
	fig.custom = false;
	fig.drawn = false;
}

void demo_figure_finish(struct demo *d)
{
	end_step(d);
	fig.step = 0;
}

FILE *demo_figure_custom(struct demo *d)
{
	if (!fig.on || !fig.step)
		return NULL;
	fig.custom = true;
	return open_step(d);
}

void demo_figure_custom_end(FILE *f)
{
	if (f)
		close_step(f);
}
