// SPDX-License-Identifier: GPL-2.0
/*
 * demo-execve: how execve() maps a program (CS:APP 9.8.3, Figure 9.31).
 * The demo reads an ELF executable's PT_LOAD program headers and maps each
 * segment, one at a time, through the toymap object: the object is backed
 * by the segment's bytes of the file and mapped as large as the segment is
 * in memory.  Touching every page shows which come from the file (.text,
 * .rodata, .data) and which are demand-zero (.bss), beside the
 * /proc/PID/maps lines of a real process of the same binary, stopped right
 * after its execve().
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo_util.h"
#include "demo_figure.h"

/* A coreutils program whose .bss spans whole pages past its .data. */
#define DEFAULT_BINARY	"/usr/bin/tr"
#define MAX_SEGMENTS	16
#define MAX_MAPS	256	/* lines of /proc/PID/maps kept */
#define MAPS_LINE	512
#define MAX_RUNS	8	/* runs of pages alike, per segment, in its figure */

static const char about[] =
	"Reads the PT_LOAD program headers of an ELF executable (BINARY, default\n"
	DEFAULT_BINARY ") and maps each segment through the toymap object, as execve()\n"
	"maps it: the object is backed by the segment's bytes of the file, from\n"
	"p_offset rounded down to a page to p_offset + p_filesz, and mapped\n"
	"MAP_PRIVATE as large as the segment in memory (p_memsz, from p_vaddr's\n"
	"page). Touches every page and shows which come from the file and which\n"
	"are demand-zero (.bss), beside the /proc/PID/maps lines of a real process\n"
	"of the binary, stopped by ptrace right after its execve().";

/* One PT_LOAD segment and the object's view of it. */
struct segment {
	int number;			/* 1, 2, ... in program header order */
	Elf64_Phdr ph;
	uint64_t page_vaddr;		/* p_vaddr rounded down to a page */
	uint64_t pages;			/* pages the segment spans in memory */
	uint64_t section_offset;	/* p_offset rounded down to a page */
	uint64_t section_length;	/* to p_offset + p_filesz; 0: no file bytes */
	uint64_t file_pages;		/* pages the module read from the file */
	uint64_t zero_pages;		/* pages the module zero-filled */
	uint64_t real_pages;		/* pages of the real process's areas there */
	struct {			/* runs of pages alike, as the table shows them */
		uint64_t first, last;
		char did[32], kind[96];
	} runs[MAX_RUNS];
	int nruns;
};

/* One line of /proc/PID/maps. */
struct maps_line {
	uint64_t start, end, offset;
	unsigned int major, minor;
	uint64_t inode;
	char text[MAPS_LINE];		/* the line as the kernel wrote it */
	const char *path;		/* in text; "" for an anonymous area */
};

/* The real process of the binary, stopped after execve(). */
struct real_process {
	pid_t pid;			/* 0: none could be started */
	uint64_t bias;			/* where the binary's vaddr 0 is */
	struct maps_line maps[MAX_MAPS];
	int nmaps;
};

struct figure {
	struct demo d;
	const char *binary;
	char path[PATH_MAX];		/* the binary's real path */
	int file_fd;
	struct stat st;
	struct segment seg[MAX_SEGMENTS];
	int nseg;
	struct real_process real;
};

/* Say why the demo cannot go on, and exit. */
static void __attribute__((noreturn, format(printf, 1, 2))) give_up(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(DEMO_EXIT_CANNOT_RUN);
}

/* ------------------------------------------------------ the ELF file */

/* p_flags as /proc/PID/maps shows an area's permissions: "r-x". */
static const char *segment_flags(const Elf64_Phdr *ph, char *buf)
{
	buf[0] = ph->p_flags & PF_R ? 'r' : '-';
	buf[1] = ph->p_flags & PF_W ? 'w' : '-';
	buf[2] = ph->p_flags & PF_X ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

/* What a loader needs of @ph, or exit: the file bytes and pages of the segment. */
static void plan_segment(struct figure *f, struct segment *s)
{
	uint64_t page = (uint64_t)f->d.page_size;
	uint64_t in_page = s->ph.p_vaddr % page;

	if (s->ph.p_offset % page != in_page || s->ph.p_filesz > s->ph.p_memsz ||
	    s->ph.p_offset + s->ph.p_filesz > (uint64_t)f->st.st_size)
		give_up("%s: a PT_LOAD segment no loader could map (offset and address "
			   "not congruent, or past the end of the file)", f->binary);
	s->page_vaddr = s->ph.p_vaddr - in_page;
	s->pages = (in_page + s->ph.p_memsz + page - 1) / page;
	s->section_offset = s->ph.p_offset - in_page;
	s->section_length = s->ph.p_filesz ? in_page + s->ph.p_filesz : 0;
	if (s->pages * page > f->d.now.object_size)
		give_up("a segment of %s is larger than the object: load the module with a "
			   "larger size (toymapctl load size=...)", f->binary);
}

static void read_elf(struct figure *f)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int i;

	f->file_fd = open(f->binary, O_RDONLY | O_CLOEXEC);
	if (f->file_fd < 0 || fstat(f->file_fd, &f->st) < 0)
		give_up("cannot open %s: %s", f->binary, strerror(errno));
	if (!realpath(f->binary, f->path))
		snprintf(f->path, sizeof(f->path), "%s", f->binary);
	if (pread(f->file_fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(ph))
		give_up("%s is not a 64-bit ELF executable", f->binary);
	for (i = 0; i < eh.e_phnum; i++) {
		demo_pread(f->file_fd, eh.e_phoff + (uint64_t)i * sizeof(ph), &ph, sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (f->nseg == MAX_SEGMENTS)
			give_up("%s has too many PT_LOAD segments for this demo", f->binary);
		f->seg[f->nseg].number = f->nseg + 1;
		f->seg[f->nseg].ph = ph;
		plan_segment(f, &f->seg[f->nseg]);
		f->nseg++;
	}
	if (!f->nseg)
		give_up("%s has no PT_LOAD segment", f->binary);
}

/* ------------------------------------------------------ /proc/PID/maps */

static int read_maps(pid_t pid, struct maps_line *maps, int max)
{
	char path[64];
	struct maps_line *m;
	int n = 0, path_at;
	unsigned long long start, end, offset, inode;
	FILE *file;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	file = fopen(path, "re");
	if (!file)
		return -errno;
	while (n < max && fgets(maps[n].text, sizeof(maps[n].text), file)) {
		m = &maps[n];
		m->text[strcspn(m->text, "\n")] = '\0';
		path_at = 0;
		if (sscanf(m->text, "%llx-%llx %*s %llx %x:%x %llu %n", &start, &end, &offset,
			   &m->major, &m->minor, &inode, &path_at) < 6)
			continue;
		m->start = start;
		m->end = end;
		m->offset = offset;
		m->inode = inode;
		m->path = path_at ? m->text + path_at : "";
		n++;
	}
	fclose(file);
	return n;
}

static bool is_binary(const struct figure *f, const struct maps_line *m)
{
	return (m->inode == f->st.st_ino && m->major == major(f->st.st_dev) &&
		m->minor == minor(f->st.st_dev)) || !strcmp(m->path, f->path);
}

/*
 * The load bias (where the binary's address 0 went): the binary's first
 * area that maps a segment's section is that segment's first page.  No such
 * area: r->pid becomes 0 (no real process to show).
 */
static void find_bias(struct figure *f)
{
	struct real_process *r = &f->real;
	const struct segment *seg;
	int i, s;

	for (i = 0; i < r->nmaps; i++) {
		if (!is_binary(f, &r->maps[i]))
			continue;
		for (s = 0; s < f->nseg; s++) {
			seg = &f->seg[s];
			if (seg->section_length && seg->section_offset == r->maps[i].offset) {
				r->bias = r->maps[i].start - seg->page_vaddr;
				return;
			}
		}
	}
	r->pid = 0;
}

/*
 * Start the binary stopped right after its execve(): PTRACE_TRACEME makes
 * the kernel stop it with SIGTRAP once the new program is mapped, before its
 * first instruction (and before the dynamic loader changes anything).
 */
static void start_real_process(struct figure *f)
{
	struct real_process *r = &f->real;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(126);
		execl(f->binary, f->binary, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		demo_say("(Could not start %s stopped under ptrace (status 0x%x): the real\n"
			 "process's areas are not shown.)", f->binary, (unsigned int)status);
		return;
	}
	r->pid = pid;
	r->nmaps = read_maps(pid, r->maps, MAX_MAPS);
	find_bias(f);
	if (!r->pid) {
		demo_say("(The binary's areas were not found in /proc/%d/maps.)", (int)pid);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
}

static void end_real_process(struct figure *f)
{
	int status;

	if (!f->real.pid)
		return;
	kill(f->real.pid, SIGKILL);
	waitpid(f->real.pid, &status, 0);
	f->real.pid = 0;
}

/* Print a line of /proc/PID/maps without the padding before its path. */
static void print_maps_line(const struct maps_line *m)
{
	int before_path = (int)(m->path - m->text);

	while (before_path > 0 && m->text[before_path - 1] == ' ')
		before_path--;
	printf("    %.*s%s%s\n", before_path, m->text, m->path[0] ? " " : "", m->path);
}

/* Print the real process's lines for segment @s; its pages there go to s->real_pages. */
static bool print_real_lines(struct figure *f, struct segment *s, uint64_t *first_offset)
{
	struct real_process *r = &f->real;
	uint64_t start = r->bias + s->page_vaddr;
	uint64_t end = start + s->pages * (uint64_t)f->d.page_size;
	uint64_t from, to;
	bool first = true;
	int i;

	printf("  The real process (pid %d, stopped after execve), /proc/%d/maps:\n",
	       (int)r->pid, (int)r->pid);
	s->real_pages = 0;
	for (i = 0; i < r->nmaps; i++) {
		if (r->maps[i].end <= start || r->maps[i].start >= end)
			continue;
		print_maps_line(&r->maps[i]);
		from = r->maps[i].start > start ? r->maps[i].start : start;
		to = r->maps[i].end < end ? r->maps[i].end : end;
		s->real_pages += (to - from) / (uint64_t)f->d.page_size;
		if (first)
			*first_offset = r->maps[i].offset;
		first = false;
	}
	return !first;
}

static void print_own_line(void *addr)
{
	struct maps_line maps[MAX_MAPS];
	int i, n = read_maps(getpid(), maps, MAX_MAPS);

	printf("  This process, /proc/self/maps:\n");
	for (i = 0; i < n; i++)
		if (maps[i].start == (uintptr_t)addr)
			print_maps_line(&maps[i]);
}

/* ------------------------------------------------------ the figures */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* What an area of the real process is, in the chapter's words (Figure 9.31). */
static const char *area_kind(const struct figure *f, const struct maps_line *m)
{
	const char *perms = m->text + strcspn(m->text, " ") + 1;

	if (is_binary(f, m)) {
		if (perms[2] == 'x')
			return "code (.text): private, file-backed";
		if (perms[1] == 'w')
			return ".data: private, file-backed";
		return m->offset ? "read-only data: private, file-backed" :
				   "ELF headers, tables: private, file-backed";
	}
	if (!strcmp(m->path, "[stack]"))
		return "user stack: private, demand-zero";
	if (!strcmp(m->path, "[heap]"))
		return "run-time heap: private, demand-zero";
	if (!strcmp(m->path, "[vdso]") || !strcmp(m->path, "[vvar]"))
		return "the kernel's pages for the process";
	if (strstr(m->path, "/ld-"))
		return "the dynamic linker, a shared library: file-backed";
	if (strstr(m->path, ".so"))
		return "a shared library: file-backed";
	if (!m->path[0])
		return "anonymous (.bss): private, demand-zero";
	return "file-backed";
}

/*
 * The real process's virtual memory as the chapter draws it (Figure 9.26):
 * kernel memory on top, then each area, highest first; row m<i> is line i of
 * its /proc/PID/maps.
 */
static void draw_address_space(FILE *out, const struct figure *f)
{
	const struct real_process *r = &f->real;
	const struct maps_line *m;
	char heading[160], text[MAPS_LINE + 96], port[16];
	int i;

	snprintf(heading, sizeof(heading), "<B>%s, pid %d: virtual memory</B><BR/>"
		 "right after execve() (its /proc/%d/maps)", f->binary, (int)r->pid, (int)r->pid);
	demo_figure_table_begin(out, "vm", DEMO_FIGURE_PROC, heading);
	demo_figure_table_row(out, NULL, "#d9d9d9", "kernel virtual memory: the same in "
			      "every process, not in maps");
	for (i = r->nmaps - 1; i >= 0; i--) {
		m = &r->maps[i];
		if (i < r->nmaps - 1 && m->end < r->maps[i + 1].start)
			demo_figure_table_row(out, NULL, "white", "... (unmapped)");
		snprintf(port, sizeof(port), "m%d", i);
		snprintf(text, sizeof(text), "0x%" PRIx64 "-0x%" PRIx64 " %.4s %s%s%s", m->start,
			 m->end - 1, m->text + strcspn(m->text, " ") + 1,
			 m->path[0] ? base_name(m->path) : "", m->path[0] ? ": " : "",
			 area_kind(f, m));
		demo_figure_table_row(out, port, "white", text);
	}
	demo_figure_table_row(out, NULL, "white", "... (unmapped, down to address 0)");
	demo_figure_table_end(out);
}

/* Figure 9.27: task_struct, mm_struct and the areas (vm_area_structs). */
static void figure_areas(struct figure *f)
{
	const struct real_process *r = &f->real;
	FILE *out = demo_figure_custom(&f->d);
	char node[16], text[MAPS_LINE + 64], heading[64];
	const struct maps_line *m;
	int i;

	if (!out || !r->pid) {
		demo_figure_custom_end(out);
		return;
	}
	snprintf(heading, sizeof(heading), "<B>task_struct</B> (pid %d)", (int)r->pid);
	demo_figure_table_begin(out, "task", DEMO_FIGURE_AREA, heading);
	demo_figure_table_row(out, "mm", "white", "mm: its virtual memory");
	demo_figure_table_end(out);
	demo_figure_table_begin(out, "mm", DEMO_FIGURE_AREA, "<B>mm_struct</B>");
	demo_figure_table_row(out, NULL, "white", "pgd: its page table");
	demo_figure_table_row(out, "mmap", "white", "mmap: its areas (the chapter's list;"
			      " a maple tree since Linux 6.1)");
	demo_figure_table_end(out);
	fputs("  task:mm:e -> mm [arrowsize=0.7];\n  subgraph areas {\n    rank=same;\n", out);
	for (i = r->nmaps - 1; i >= 0; i--) {
		m = &r->maps[i];
		snprintf(node, sizeof(node), "vma%d", i);
		demo_figure_table_begin(out, node, DEMO_FIGURE_AREA, "<B>vm_area_struct</B>");
		snprintf(text, sizeof(text), "vm_start 0x%" PRIx64 ", vm_end 0x%" PRIx64,
			 m->start, m->end);
		demo_figure_table_row(out, NULL, "white", text);
		snprintf(text, sizeof(text), "vm_prot %.3s, %s; vm_file %s, offset 0x%" PRIx64,
			 m->text + strcspn(m->text, " ") + 1,
			 m->text[strcspn(m->text, " ") + 4] == 's' ? "shared" : "private",
			 m->path[0] ? base_name(m->path) : "none", m->offset);
		demo_figure_table_row(out, NULL, "white", text);
		demo_figure_table_end(out);
	}
	fputs("  }\n", out);
	draw_address_space(out, f);
	fprintf(out, "  mm:mmap:e -> vma%d;\n", r->nmaps - 1);
	for (i = r->nmaps - 1; i >= 0; i--) {
		if (i > 0)
			fprintf(out, "  vma%d -> vma%d [label=\"vm_next\"];\n", i, i - 1);
		fprintf(out, "  vma%d:e -> vm:m%d:w [style=dashed];\n", i, i);
	}
	demo_figure_custom_end(out);
}

/* "page 3" or "pages 0-5": run @i of @s. */
static const char *run_pages(const struct segment *s, int i, char *buf)
{
	if (s->runs[i].first == s->runs[i].last)
		snprintf(buf, 48, "page %" PRIu64, s->runs[i].first);
	else
		snprintf(buf, 48, "pages %" PRIu64 "-%" PRIu64, s->runs[i].first, s->runs[i].last);
	return buf;
}

/* Figure 9.31 for one segment: the file's section, the object, the areas. */
static void figure_segment(struct figure *f, const struct segment *s, const void *addr)
{
	const struct real_process *r = &f->real;
	FILE *out = demo_figure_custom(&f->d);
	uint64_t page = (uint64_t)f->d.page_size, start = r->bias + s->page_vaddr;
	char heading[PATH_MAX + 160], text[256], port[16], pages[48];
	bool zeros = false;
	int i;

	if (!out)
		return;
	snprintf(heading, sizeof(heading), "<B>this process</B>: area 0x%" PRIx64 "-0x%" PRIx64
		 "<BR/>MAP_PRIVATE, mmap offset 0, length %" PRIu64 " pages",
		 (uint64_t)(uintptr_t)addr, (uint64_t)(uintptr_t)addr + s->pages * page - 1,
		 s->pages);
	demo_figure_table_begin(out, "area", DEMO_FIGURE_PROC, heading);
	for (i = s->nruns - 1; i >= 0; i--) {
		snprintf(port, sizeof(port), "v%d", i);
		snprintf(text, sizeof(text), "%s at 0x%" PRIx64, run_pages(s, i, pages),
			 (uint64_t)(uintptr_t)addr + s->runs[i].first * page);
		demo_figure_table_row(out, port, "white", text);
	}
	demo_figure_table_end(out);
	snprintf(heading, sizeof(heading), "<B>the object</B> %s<BR/>%s", f->d.device,
		 s->section_length ? "backed by the segment's bytes" : "anonymous");
	demo_figure_table_begin(out, "obj", DEMO_FIGURE_OBJECT, heading);
	for (i = s->nruns - 1; i >= 0; i--) {
		snprintf(port, sizeof(port), "r%d", i);
		snprintf(text, sizeof(text), "%s: %s, %s", run_pages(s, i, pages), s->runs[i].did,
			 s->runs[i].kind);
		demo_figure_table_row(out, port, DEMO_FIGURE_CHANGED, text);
	}
	demo_figure_table_end(out);
	snprintf(heading, sizeof(heading), "<B>%s</B>, the ELF file", f->path);
	demo_figure_table_begin(out, "file", DEMO_FIGURE_FILE, heading);
	if (s->section_length)
		snprintf(text, sizeof(text), "bytes 0x%" PRIx64 "-0x%" PRIx64 ": segment %d "
			 "(p_offset 0x%" PRIx64 ", p_filesz 0x%" PRIx64 ")", s->section_offset,
			 s->section_offset + s->section_length - 1, s->number,
			 (uint64_t)s->ph.p_offset, (uint64_t)s->ph.p_filesz);
	else
		snprintf(text, sizeof(text), "no byte of segment %d", s->number);
	demo_figure_table_row(out, "sec", "white", text);
	demo_figure_table_end(out);
	fputs("  area -> obj -> file [style=invis];\n", out);
	for (i = 0; i < s->nruns; i++) {
		fprintf(out, "  area:v%d:e -> obj:r%d:w [color=\"" DEMO_FIGURE_CHANGED_EDGE
			"\", penwidth=2, label=\"faulted in\"];\n", i, i);
		if (strncmp(s->runs[i].kind, "zeros", 5)) {
			fprintf(out, "  obj:r%d:e -> file:sec:w [style=dashed, label=\"read from\"];\n",
				i);
		} else {
			fprintf(out, "  obj:r%d:e -> zeros [style=dotted];\n", i);
			zeros = true;
		}
	}
	if (r->pid) {
		snprintf(heading, sizeof(heading), "<B>the real process</B> (pid %d)", (int)r->pid);
		demo_figure_table_begin(out, "real", DEMO_FIGURE_PROC, heading);
		for (i = r->nmaps - 1; i >= 0; i--) {
			if (r->maps[i].end <= start || r->maps[i].start >= start + s->pages * page)
				continue;
			snprintf(port, sizeof(port), "m%d", i);
			snprintf(text, sizeof(text), "0x%" PRIx64 "-0x%" PRIx64 ": %s",
				 r->maps[i].start, r->maps[i].end - 1, area_kind(f, &r->maps[i]));
			demo_figure_table_row(out, port, "white", text);
		}
		demo_figure_table_end(out);
		for (i = 0; i < r->nmaps; i++) {
			if (r->maps[i].end <= start || r->maps[i].start >= start + s->pages * page)
				continue;
			if (r->maps[i].path[0]) {
				fprintf(out, "  real:m%d:e -> file:sec:w [style=dashed, label=\"maps "
					"the same bytes\"];\n", i);
			} else {
				fprintf(out, "  real:m%d:e -> zeros [style=dotted];\n", i);
				zeros = true;
			}
		}
	}
	if (zeros)
		fputs("  zeros [shape=box, style=rounded, label=\"demand-zero: no byte of the "
		      "file\"];\n", out);
	demo_figure_custom_end(out);
}

/* Figure 9.31: each segment of the ELF file and the areas execve() made of it. */
static void figure_program(struct figure *f)
{
	const struct real_process *r = &f->real;
	FILE *out = demo_figure_custom(&f->d);
	const struct segment *s;
	char text[160], port[16], heading[PATH_MAX + 32], flags[4];
	int i, j;

	if (!out || !r->pid) {
		demo_figure_custom_end(out);
		return;
	}
	snprintf(heading, sizeof(heading), "<B>%s</B>: its PT_LOAD segments", f->path);
	demo_figure_table_begin(out, "elf", DEMO_FIGURE_FILE, heading);
	for (i = f->nseg - 1; i >= 0; i--) {
		s = &f->seg[i];
		snprintf(port, sizeof(port), "s%d", i);
		snprintf(text, sizeof(text), "segment %d %s: p_vaddr 0x%" PRIx64 ", %" PRIu64
			 " pages, %" PRIu64 " from the file, %" PRIu64 " demand-zero", s->number,
			 segment_flags(&s->ph, flags), (uint64_t)s->ph.p_vaddr, s->pages,
			 s->file_pages, s->zero_pages);
		demo_figure_table_row(out, port, "white", text);
	}
	demo_figure_table_end(out);
	draw_address_space(out, f);
	fputs("  elf -> vm [style=invis];\n", out);
	for (i = 0; i < f->nseg; i++)
		for (j = 0; j < r->nmaps; j++) {
			s = &f->seg[i];
			if (r->maps[j].end <= r->bias + s->page_vaddr ||
			    r->maps[j].start >= r->bias + s->page_vaddr + s->pages *
			    (uint64_t)f->d.page_size)
				continue;
			fprintf(out, "  elf:s%d:e -> vm:m%d:w;\n", i, j);
		}
	demo_figure_custom_end(out);
}

/* ------------------------------------------------------ one segment */

/* Bytes of page @k of the segment's object that come from the file. */
static uint64_t file_bytes_in(const struct figure *f, const struct segment *s, uint64_t k)
{
	uint64_t page = (uint64_t)f->d.page_size, start = k * page;

	if (start >= s->section_length)
		return 0;
	return s->section_length - start < page ? s->section_length - start : page;
}

/* What the module did for one page, and whether its bytes are as expected. */
struct page_result {
	const char *did;		/* "file-read", "zero-fill", ... */
	uint64_t file_bytes;
	bool as_expected;
};

/* Touch page @k at @addr: the fault; compare its bytes with the file's and zeros. */
static void touch_page(struct figure *f, struct segment *s, const unsigned char *addr,
		       uint64_t k, struct page_result *res)
{
	size_t page = (size_t)f->d.page_size, i;
	unsigned char *expected = calloc(1, page);
	struct toymap_info before, after;
	bool equal;

	if (!expected)
		give_up("out of memory");
	res->file_bytes = file_bytes_in(f, s, k);
	if (res->file_bytes)
		demo_pread(f->file_fd, s->section_offset + k * page, expected, res->file_bytes);
	toymap_get_info(f->d.fd, &before);
	equal = true;
	for (i = 0; i < page; i++)	/* the first load faults the page in */
		equal &= ((const volatile unsigned char *)addr)[i] == expected[i];
	toymap_get_info(f->d.fd, &after);
	free(expected);
	if (after.file_reads - before.file_reads == 1)
		res->did = "file-read";
	else if (after.zero_fills - before.zero_fills == 1)
		res->did = "zero-fill";
	else
		res->did = "(no fill)";
	res->as_expected = equal && !strcmp(res->did, res->file_bytes ? "file-read" : "zero-fill");
	s->file_pages += !strcmp(res->did, "file-read");
	s->zero_pages += !strcmp(res->did, "zero-fill");
}

/* What the bytes of a page are, in the words of the chapter. */
static const char *page_kind(const struct figure *f, const struct segment *s,
			     const struct page_result *res, char *buf, size_t len)
{
	bool bss = s->ph.p_memsz > s->ph.p_filesz;

	if (res->file_bytes == (uint64_t)f->d.page_size)
		snprintf(buf, len, "from the file");
	else if (res->file_bytes)
		snprintf(buf, len, "%" PRIu64 " file bytes, then %szeros", res->file_bytes,
			 bss ? ".bss " : "");
	else
		snprintf(buf, len, "zeros: demand-zero%s", bss ? " .bss" : "");
	return buf;
}

#define RUN_FORMAT "  %-6s %-15s %-13s %s\n"

static void print_run(const struct figure *f, struct segment *s, uint64_t first,
		      uint64_t last, const struct page_result *res, bool all_expected)
{
	uint64_t page = (uint64_t)f->d.page_size;
	char pages[32], vaddr[48], did[32], kind[96];

	if (first == last)
		snprintf(pages, sizeof(pages), "%" PRIu64, first);
	else
		snprintf(pages, sizeof(pages), "%" PRIu64 "-%" PRIu64, first, last);
	snprintf(vaddr, sizeof(vaddr), "0x%" PRIx64 "-0x%" PRIx64, s->page_vaddr + first * page,
		 s->page_vaddr + (last + 1) * page - 1);
	if (first == last)
		snprintf(did, sizeof(did), "%s", res->did);
	else
		snprintf(did, sizeof(did), "%s x%" PRIu64, res->did, last - first + 1);
	printf(RUN_FORMAT, pages, vaddr, did, page_kind(f, s, res, kind, sizeof(kind)));
	if (s->nruns < MAX_RUNS) {
		s->runs[s->nruns].first = first;
		s->runs[s->nruns].last = last;
		snprintf(s->runs[s->nruns].did, sizeof(s->runs[0].did), "%s", did);
		snprintf(s->runs[s->nruns].kind, sizeof(s->runs[0].kind), "%s", kind);
		s->nruns++;
	}
	if (!all_expected)
		printf("  %6s (some page here differs from the file's bytes and zeros)\n", "");
}

/* Touch every page; print one line per run of pages alike. */
static bool touch_segment(struct figure *f, struct segment *s, const unsigned char *addr)
{
	uint64_t page = (uint64_t)f->d.page_size, k, first = 0;
	struct page_result res, run = { 0 };
	bool all = true, run_ok = true;

	printf(RUN_FORMAT, "pages", "binary address", "the module", "bytes");
	for (k = 0; k < s->pages; k++) {
		touch_page(f, s, addr + k * page, k, &res);
		all &= res.as_expected;
		if (k && (strcmp(res.did, run.did) || res.file_bytes != run.file_bytes)) {
			print_run(f, s, first, k - 1, &run, run_ok);
			first = k;
			run_ok = true;
		}
		run = res;
		run_ok &= res.as_expected;
	}
	print_run(f, s, first, s->pages - 1, &run, run_ok);
	return all;
}

/* mmap the object like the segment: MAP_PRIVATE, with its permissions if we may. */
static void *map_segment(struct figure *f, struct segment *s, bool *no_exec)
{
	size_t len = s->pages * (size_t)f->d.page_size;
	int prot = PROT_READ;
	void *addr;

	prot |= s->ph.p_flags & PF_W ? PROT_WRITE : 0;
	prot |= s->ph.p_flags & PF_X ? PROT_EXEC : 0;
	*no_exec = false;
	addr = mmap(NULL, len, prot, MAP_PRIVATE, f->d.fd, 0);
	if (addr == MAP_FAILED && (prot & PROT_EXEC) && (errno == EPERM || errno == EACCES)) {
		*no_exec = true;	/* /dev mounted noexec */
		addr = mmap(NULL, len, prot & ~PROT_EXEC, MAP_PRIVATE, f->d.fd, 0);
	}
	if (addr == MAP_FAILED)
		give_up("mmap of the object: %s", strerror(errno));
	return addr;
}

static void explain_segment(const struct segment *s)
{
	const Elf64_Phdr *ph = &s->ph;

	if (ph->p_flags & PF_X)
		demo_say("The code (.text): read and execute, from the file.");
	else if (ph->p_flags & PF_W)
		demo_say("The data: .data from the file, then .bss, which is not in the file\n"
			 "(%" PRIu64 " bytes: p_memsz - p_filesz) and must read as zeros.",
			 (uint64_t)(ph->p_memsz - ph->p_filesz));
	else if (ph->p_offset == 0)
		demo_say("The ELF header, the program headers and the tables the dynamic\n"
			 "linker reads (symbols, relocations): read-only, from the file.");
	else
		demo_say("Read-only data (.rodata and the like), from the file.");
	if (s->section_length)
		demo_say("The object was backed by the file's bytes 0x%" PRIx64 "..0x%" PRIx64 ":\n"
			 "from p_offset rounded down to a page, to p_offset + p_filesz. It was\n"
			 "mapped MAP_PRIVATE, %" PRIu64 " page%s: p_memsz, counted from the page\n"
			 "of p_vaddr. Then the demo read every page of the area, in order.",
			 s->section_offset, s->section_offset + s->section_length - 1,
			 s->pages, s->pages == 1 ? "" : "s");
	else
		demo_say("No byte of it is in the file: the object stays anonymous, %" PRIu64
			 " page%s.", s->pages, s->pages == 1 ? "" : "s");
}

/* After the figure of segment @s: what differs in the real process, said once each. */
static void explain_real(struct figure *f, const struct segment *s, bool have_real)
{
	uint64_t tail = s->section_length % (uint64_t)f->d.page_size;
	static bool tail_said;

	if (tail && s->ph.p_memsz == s->ph.p_filesz && !tail_said) {
		demo_say("The last page is only partly in the segment: the object has zeros\n"
			 "after the section. The kernel's loader maps whole pages of the file, so\n"
			 "in the real process that page ends with the file's next bytes (usually\n"
			 "padding between segments).");
		tail_said = true;
	}
	if (have_real && s->ph.p_memsz > s->ph.p_filesz &&
	    s->pages > (s->section_length + (uint64_t)f->d.page_size - 1) /
		       (uint64_t)f->d.page_size)
		demo_say("The real process has two areas here: the file's pages (.data and\n"
			 "the first bytes of .bss, which the loader zeroed), then an anonymous\n"
			 "area (inode 0) for the rest of .bss: demand-zero pages. The object does\n"
			 "both in one area: past the section, the module fills pages with zeros.");
}

/* What the segment holds, for the title of its step. */
static const char *segment_name(const struct segment *s)
{
	if (s->ph.p_flags & PF_X)
		return "the code";
	if (s->ph.p_flags & PF_W)
		return "the data and .bss";
	return s->ph.p_offset == 0 ? "the headers and tables" : "read-only data";
}

static void show_segment(struct figure *f, struct segment *s)
{
	struct demo *d = &f->d;
	uint64_t expect_file = 0, expect_zero, k, real_offset = 0;
	bool all, no_exec, have_real;
	unsigned char *addr;
	char flags[4];

	demo_step(d, "Segment %d (%s): %s.", s->number, segment_flags(&s->ph, flags),
		  segment_name(s));
	printf("  p_offset 0x%" PRIx64 ", p_vaddr 0x%" PRIx64 ", p_filesz 0x%" PRIx64
	       ", p_memsz 0x%" PRIx64 "\n", (uint64_t)s->ph.p_offset, (uint64_t)s->ph.p_vaddr,
	       (uint64_t)s->ph.p_filesz, (uint64_t)s->ph.p_memsz);
	if (s->section_length)
		demo_attach(d, f->file_fd, s->section_offset, s->section_length);
	demo_counters_restart(d);
	addr = map_segment(f, s, &no_exec);
	all = touch_segment(f, s, addr);
	for (k = 0; k < s->pages; k++)
		expect_file += file_bytes_in(f, s, k) != 0;
	expect_zero = s->pages - expect_file;
	have_real = f->real.pid && print_real_lines(f, s, &real_offset);
	print_own_line(addr);
	demo_counters(d);
	explain_segment(s);
	if (no_exec)
		demo_say("(mmap with PROT_EXEC was refused: /dev is mounted noexec here. The\n"
			 "demo maps it without; it only reads the pages.)");
	explain_real(f, s, have_real);
	figure_segment(f, s, addr);

	demo_expect(d, all, "every page holds the file's bytes where the section has some, "
		    "and zeros elsewhere");
	demo_expect(d, s->file_pages == expect_file && DEMO_DELTA(d, file_reads) ==
		    (int64_t)expect_file, "%" PRIu64 " page%s read from the file (file_reads +%"
		    PRId64 ")", expect_file, expect_file == 1 ? "" : "s",
		    DEMO_DELTA(d, file_reads));
	if (expect_zero)
		demo_expect(d, s->zero_pages == expect_zero && DEMO_DELTA(d, zero_fills) ==
			    (int64_t)expect_zero, "%" PRIu64 " page%s demand-zero, no byte of the "
			    "file (zero_fills +%" PRId64 ")", expect_zero,
			    expect_zero == 1 ? "" : "s", DEMO_DELTA(d, zero_fills));
	if (have_real) {
		demo_expect(d, s->real_pages == s->pages, "the real process's areas span the "
			    "same %" PRIu64 " page%s", s->pages, s->pages == 1 ? "" : "s");
		if (s->section_length)
			demo_expect(d, real_offset == s->section_offset, "and map the file from "
				    "the same offset, 0x%" PRIx64, s->section_offset);
	}
	if (munmap(addr, s->pages * (size_t)d->page_size) < 0)
		give_up("munmap: %s", strerror(errno));
	if (s->section_length)
		demo_detach(d);
}

/* ------------------------------------------------------ the story */

static void show_headers(struct figure *f)
{
	struct demo *d = &f->d;
	char flags[4];
	int i;

	demo_step(d, "The program headers of %s.", f->path);
	printf("  %-8s %-5s %-10s %-18s %-10s %s\n", "segment", "flags", "p_offset",
	       "p_vaddr", "p_filesz", "p_memsz");
	for (i = 0; i < f->nseg; i++)
		printf("  %-8d %-5s 0x%08" PRIx64 " 0x%016" PRIx64 " 0x%08" PRIx64 " 0x%08"
		       PRIx64 "\n", f->seg[i].number, segment_flags(&f->seg[i].ph, flags),
		       (uint64_t)f->seg[i].ph.p_offset, (uint64_t)f->seg[i].ph.p_vaddr,
		       (uint64_t)f->seg[i].ph.p_filesz, (uint64_t)f->seg[i].ph.p_memsz);
	demo_say("execve() reads the ELF header and the program headers, and maps each\n"
		 "PT_LOAD segment: p_filesz bytes of the file from p_offset, at virtual\n"
		 "address p_vaddr, p_memsz bytes in memory. (As readelf -l shows them.)");
	start_real_process(f);
	if (f->real.pid)
		demo_say("A real process of it: %s started by this demo under ptrace, which\n"
			 "stops it right after execve(), before its first instruction: its areas\n"
			 "are what execve() mapped (pid %d).", f->binary, (int)f->real.pid);
	figure_areas(f);
	if (f->real.pid && f->real.bias)
		demo_say("The binary is position-independent: execve() placed it at a random\n"
			 "base address, 0x%" PRIx64 ". Add it to an address in the binary to\n"
			 "get the real process's address.", f->real.bias);
}

static void summary(struct figure *f)
{
	struct demo *d = &f->d;
	uint64_t from_file = 0, zero = 0;
	char flags[4];
	int i;

	demo_step(d, "The whole program.");
	printf("  %-8s %-5s %-7s %-15s %s\n", "segment", "flags", "pages", "from the file",
	       "demand-zero");
	for (i = 0; i < f->nseg; i++) {
		printf("  %-8d %-5s %-7" PRIu64 " %-15" PRIu64 " %" PRIu64 "\n", f->seg[i].number,
		       segment_flags(&f->seg[i].ph, flags), f->seg[i].pages,
		       f->seg[i].file_pages, f->seg[i].zero_pages);
		from_file += f->seg[i].file_pages;
		zero += f->seg[i].zero_pages;
	}
	demo_say("%" PRIu64 " pages came from the file, %" PRIu64 " were demand-zero.\n"
		 "execve() itself reads none of them: it only creates the areas. Each page\n"
		 "comes in at its first touch, from the binary or as zeros, as in this demo.",
		 from_file, zero);
	figure_program(f);
	if (!zero)
		demo_say("This binary's .bss fits in the last page of its .data, so no page of\n"
			 "it is demand-zero as a whole (its zeros are the tail of that page).\n"
			 "Try %s, whose .bss spans whole pages.", DEFAULT_BINARY);
}

int main(int argc, char **argv)
{
	struct figure f = { .binary = DEFAULT_BINARY };
	struct demo *d = &f.d;
	int i;

	demo_init_operand(d, argc, argv, about, "BINARY", &f.binary);
	read_elf(&f);
	demo_title(d, "Loading a program: execve() maps its segments (CS:APP 9.8.3, Figure 9.31)");
	demo_say("execve() does not copy a program into memory. It maps the program's\n"
		 "segments: code and data are areas backed by the executable file, and\n"
		 "the .bss (and later heap and stack) are demand-zero areas. Here the\n"
		 "object takes the place of each segment in turn.\n"
		 "First, the object is made fresh: no page, no file attached.");
	demo_fresh_object(d);

	show_headers(&f);
	for (i = 0; i < f.nseg; i++)
		show_segment(&f, &f.seg[i]);
	summary(&f);

	end_real_process(&f);
	close(f.file_fd);
	return demo_finish(d);
}
