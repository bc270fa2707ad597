/* SPDX-License-Identifier: GPL-2.0 */
/*
 * demo_figure: the chapter's figures, drawn from the run (--svg DIR, --dot
 * DIR).  One figure per step, in Graphviz's DOT: each process's virtual
 * address space with its areas and the pages the story touched, physical
 * memory with the frames behind them, the object with its pages, and the
 * backing file and swap file; an arrow per page; what changed in the step
 * in yellow and red.  Graphviz's dot lays it out (ranks left to right:
 * virtual memory, physical memory, the object, the files), so nothing is
 * placed by hand.
 *
 * demo_util feeds it: every map, look, read and write of a process, every
 * unmap and exit, the object's file and swap file, the counters.  A demo
 * adds what only it knows (a hole, a fault's signal), or draws a step
 * itself (demo_figure_custom: demo-execve's address spaces).
 */
#ifndef DEMO_FIGURE_H
#define DEMO_FIGURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct demo;
struct demo_view;

/* Figure options: "--svg DIR" (DOT and SVG, by dot) or "--dot DIR" (DOT only). */
bool demo_figure_option(const char *option, const char *dir);

/* Steps: write the figure of the step that ends (if any), begin the next. */
void demo_figure_step(struct demo *d, const char *title);
void demo_figure_finish(struct demo *d);
/*
 * The counters' changes over the step ("faults +1, ..."): the step's
 * evidence is complete, its figure is drawn now (else at its end).
 */
void demo_figure_counters(struct demo *d, const char *changes);

/* What demo_util tells it. */
enum demo_figure_side { DEMO_FIGURE_LEFT, DEMO_FIGURE_RIGHT };
void demo_figure_proc(const char *name, pid_t pid, enum demo_figure_side side);
/* @child, forked by @parent, has its areas (and must look at their pages). */
void demo_figure_fork(pid_t parent, pid_t child);
void demo_figure_proc_gone(pid_t pid);
void demo_figure_map(pid_t pid, unsigned int area, uint64_t start, uint64_t pages,
		     uint64_t offset, int flags);
void demo_figure_unmap(pid_t pid, unsigned int area);
void demo_figure_view(pid_t pid, unsigned int area, uint64_t page, const struct demo_view *v);
/* The object's backing file section (@fd -1: none) and swap file. */
void demo_figure_file(int fd, uint64_t offset, uint64_t length);
void demo_figure_swap(int fd);

/* What a demo tells it. */
void demo_figure_prot(pid_t pid, unsigned int area, const char *prot);
/* Page @page of @area was unmapped on its own: an address in no area now. */
void demo_figure_hole(pid_t pid, unsigned int area, uint64_t page);
/* An access to page @page of @area and what came of it ("child reads: SIGSEGV"). */
void demo_figure_access(pid_t pid, unsigned int area, uint64_t page, const char *what);

/*
 * A step the demo draws itself: the DOT file of the current step, its
 * header written (the caption); the demo writes nodes and edges, then
 * demo_figure_custom_end().  NULL when no figures are asked for.
 */
FILE *demo_figure_custom(struct demo *d);
void demo_figure_custom_end(FILE *f);
/* Text for a DOT HTML-like label: &, <, >, " escaped. */
void demo_figure_text(FILE *f, const char *text);
/*
 * A node drawn as a table, as every figure draws memory: a heading (DOT
 * HTML, not escaped), then rows of text (escaped), each a port when @port
 * is not NULL.
 */
void demo_figure_table_begin(FILE *f, const char *node, const char *fill, const char *heading);
void demo_figure_table_row(FILE *f, const char *port, const char *fill, const char *text);
void demo_figure_table_end(FILE *f);

/* The colours: changed in the step; processes, their areas, memory, object, files. */
#define DEMO_FIGURE_CHANGED		"#ffe08a"
#define DEMO_FIGURE_CHANGED_EDGE	"#d62728"
#define DEMO_FIGURE_PROC		"#dde6f3"
#define DEMO_FIGURE_AREA		"#eef2f8"
#define DEMO_FIGURE_MEMORY		"#e3efdc"
#define DEMO_FIGURE_OBJECT		"#f6e7d3"
#define DEMO_FIGURE_FILE		"#ece3f3"

#endif /* DEMO_FIGURE_H */
