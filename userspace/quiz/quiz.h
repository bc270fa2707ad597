/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toymap-quiz: predict, then observe.  A question before each step of small
 * scenarios of CS:APP 9.7-9.8; the step runs on a toymap object and the
 * answer is checked against what this run's counters and frames show.
 *
 *   quiz.c          the command: options, answers, output, score
 *   quiz_mapping.c  the questions on mapping: demand-zero, fault-around,
 *                   shared, private copy-on-write, fork
 *   quiz_backing.c  the questions on backing: a file, the swap file
 *   quiz_proc.c     the object, the processes that map it, what they see
 */
#ifndef TOYMAP_QUIZ_H
#define TOYMAP_QUIZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libtoymap.h"

#define QUIZ_MAX_OPTIONS	4
#define QUIZ_TEXT_LEN		48	/* the text a step writes at a page's start */
#define QUIZ_AREAS		4	/* mappings a process holds at once */
#define QUIZ_EVIDENCE_LEN	2048

/*
 * An option is true when the step's outcome lies in [lo, hi]: a count
 * ("one": 1..1, "two or three": 2..3) or one of a question's named outcomes.
 */
struct quiz_option {
	const char *text;
	long lo, hi;
};

struct quiz;
struct quiz_result;

/*
 * One question.  @prepare (may be NULL) runs before the question is shown and
 * does what @setup tells; @step runs after the answer, does what @ask is
 * about, and sets the outcome from what it observed.  Both return 0, or -1
 * when the quiz cannot go on (they printed why).
 */
struct quiz_question {
	const char *name;	/* a short id, for TAP */
	const char *topic;	/* the section it opens, or NULL */
	const char *setup;	/* what happened before (printed first), or NULL */
	const char *ask;
	struct quiz_option options[QUIZ_MAX_OPTIONS];
	int (*prepare)(struct quiz *q);
	int (*step)(struct quiz *q, struct quiz_result *r);
	const char *why;	/* the explanation, shown after the evidence */
	bool fault_around;	/* the outcome depends on the fault_around parameter */
};

/* The questions of quiz_mapping.c and quiz_backing.c, asked in this order. */
extern const struct quiz_question quiz_mapping_questions[];
extern const size_t quiz_mapping_nquestions;
extern const struct quiz_question quiz_backing_questions[];
extern const size_t quiz_backing_nquestions;

/* What a step saw: an outcome the options are judged by, and the evidence. */
struct quiz_result {
	long outcome;
	char evidence[QUIZ_EVIDENCE_LEN];
};
/* An outcome no option names (a step that saw something unexpected). */
#define QUIZ_UNEXPECTED	(-1L)
/* An option true for one outcome. */
#define ONE(x)		x, x

/* Outcomes with names; counts are outcomes too, as themselves. */
enum {
	OUT_ALL = 1000,		/* every page of the area */
	OUT_NONE,		/* nothing happened */
	OUT_ZERO,		/* zero bytes, a zero-filled page */
	OUT_OLD,		/* bytes left by someone before */
	OUT_FAULT,		/* .fault ran */
	OUT_MKWRITE,		/* .page_mkwrite ran, not .fault */
	OUT_AROUND,		/* fault-around mapped the page, not .fault */
	OUT_SAME,		/* the same frame */
	OUT_COPY,		/* another frame */
	OUT_NOTHING,		/* no page mapped there */
	OUT_CHILD,		/* the child got the new frame */
	OUT_PARENT,		/* the parent did */
	OUT_TEXT0,		/* the first of two texts a question names */
	OUT_TEXT1,		/* the second */
	OUT_SWAP,		/* from the swap file */
	OUT_MEMORY,		/* it never left memory */
	OUT_KEPT,		/* eviction kept the page */
	OUT_LOST,		/* eviction dropped it */
	OUT_WRITTEN,		/* eviction wrote it somewhere */
};

/* A process's areas, by index. */
#define AREA_A		0
#define AREA_B		1

/* What one process sees at one page of one of its areas. */
struct quiz_view {
	int err;		/* 0, or -errno of the request */
	uint64_t va;
	uint32_t kind;		/* TOYMAP_LOOKUP_*: no page, object page, private copy */
	uint32_t mapped;	/* TOYMAP_MAPPED_*: by one page table entry or several */
	uint64_t frame;		/* the PFN (pfn_known) or LOOKUP's frame identity */
	bool pfn_known;
	bool zero;		/* every byte read was zero (reads only) */
	long minflt;		/* page faults the process took for the request */
	char text[QUIZ_TEXT_LEN];	/* the text at the page's start (reads) */
};

/* A process of a scenario: this one (pid 0), or a helper it talks to by pipes. */
struct quiz_proc {
	const char *name;
	pid_t pid;
	int req_fd, rep_fd;
};

/* The quiz's state: the object, its counters, the processes and files. */
struct quiz {
	const char *device;
	int fd;			/* the object, open read-write */
	long page_size;
	uint64_t object_pages;
	int fault_around;	/* the module parameter when the quiz started */
	bool pfn_readable;	/* pagemap shows PFNs: frames are compared by PFN */
	struct toymap_info before, after;	/* around the current step */
	struct quiz_proc self, other, child;	/* process A, B, and A's child */
	int file_fd, swap_fd;	/* unlinked scratch files, or -1 */
	struct toymap_evict evicted;	/* the last eviction's counts */
};

/* quiz_proc.c: the object */
int quiz_open(struct quiz *q, const char *device);
/* Unmap and end every helper, detach, discard and drop the swap file. */
int quiz_fresh_object(struct quiz *q);
void quiz_close(struct quiz *q);
/* Read the counters into q->after (q->before is taken before each step). */
int quiz_observe(struct quiz *q);
#define QUIZ_DELTA(q, field) ((long)((q)->after.field - (q)->before.field))
/* Print a failed call of the quiz's own and return -1. */
int quiz_fail(const char *what, int err);

/* quiz_proc.c: processes; each returns 0 or -1 (printed) */
void quiz_self(struct quiz_proc *p, const char *name);
/* A helper process with none of this one's mappings (an unrelated process). */
int quiz_spawn(struct quiz *q, struct quiz_proc *p, const char *name);
/* fork(): a helper that inherits this process's areas. */
int quiz_fork(struct quiz *q, struct quiz_proc *p, const char *name);
void quiz_end(struct quiz_proc *p);
/* Map @pages pages of the object from page @pgoff as @area, MAP_SHARED or MAP_PRIVATE. */
int quiz_map(struct quiz_proc *p, int area, uint64_t pgoff, uint64_t pages, int flags);
int quiz_unmap(struct quiz_proc *p, int area);
/* Read a byte of each of @count pages from @page; the view of @page. */
int quiz_read(struct quiz_proc *p, int area, unsigned int page, unsigned int count,
	      struct quiz_view *v);
int quiz_write(struct quiz_proc *p, int area, unsigned int page, const char *text,
	       struct quiz_view *v);
/* What backs the page now, without touching it. */
int quiz_look(struct quiz_proc *p, int area, unsigned int page, struct quiz_view *v);
int quiz_msync(struct quiz_proc *p, int area);
/* Pages of @area resident by mincore() (this process's areas only). */
long quiz_mincore(struct quiz *q, int area, uint64_t pages);

/* quiz_proc.c: telling what was seen */
bool quiz_same_frame(const struct quiz_view *a, const struct quiz_view *b);
/* "va 0x7f.. pfn 0x1a2b3 (object page)", "... frame #3fa2c1 (private copy)" */
const char *quiz_describe(const struct quiz_view *v, char *buf, size_t len);
/* OUT_TEXT0 or OUT_TEXT1 when @text is @t0 or @t1, OUT_ZERO when it is empty. */
long quiz_which_text(const char *text, const char *t0, const char *t1);
/* Which callback the step's fault reached: OUT_FAULT, _AROUND, _MKWRITE, _NONE. */
long quiz_callback_outcome(struct quiz *q);
/* @b's page against @a's: OUT_SAME frame, another (OUT_COPY), OUT_NOTHING mapped. */
long quiz_frame_outcome(const struct quiz_view *a, const struct quiz_view *b);
/* Append a line to the evidence. */
void quiz_note(struct quiz_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append "NAME: what it maps" for a view. */
void quiz_note_view(struct quiz_result *r, const char *who, const struct quiz_view *v);

#endif /* TOYMAP_QUIZ_H */
