// SPDX-License-Identifier: GPL-2.0
/*
 * demo_util: the processes, pipes, figure rows, counters and checks that
 * the chapter's demos share.  See demo_util.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo_util.h"
#include "demo_figure.h"

#define PEER_ARG	"--peer"	/* argv[1] of a spawned peer */
#define ROW_WIDTH	80		/* columns of every line a demo prints */

enum demo_op {
	DEMO_OP_MAP = 1,
	DEMO_OP_LOOK,
	DEMO_OP_READ,
	DEMO_OP_WRITE,
	DEMO_OP_MSYNC,
	DEMO_OP_UNMAP,
	DEMO_OP_EXIT,
};

/* One request to a process, sent whole through a pipe (< PIPE_BUF). */
struct demo_request {
	uint32_t op;
	uint32_t area;
	int32_t flags;			/* map: MAP_SHARED or MAP_PRIVATE */
	uint32_t pad;
	uint64_t offset;		/* map: byte offset in the object */
	uint64_t pages;			/* map: length in pages */
	uint64_t guard_bytes;		/* map: address space to reserve first */
	uint64_t page;			/* look/read/write: page of the area */
	char text[DEMO_TEXT_LEN];	/* write: what to write */
};

/* Per process (a fork()ed child inherits a copy). */
static int device_fd = -1;		/* this process's open device */
static int device_err = -ENODEV;	/* why device_fd is -1 */
static const char *program_path;	/* argv[0], for spawned peers */
static bool row_heading_printed;	/* in the current step */
static struct {
	unsigned char *addr;
	size_t len;
} areas[DEMO_MAX_AREAS];

static void __attribute__((noreturn)) cannot_run(void)
{
	exit(DEMO_EXIT_CANNOT_RUN);
}

/* Say why @cmd failed (@when: what the demo was doing, or ""), and exit. */
static void __attribute__((noreturn)) ioctl_failed(struct demo *d, const char *when,
						    unsigned long cmd, int err)
{
	toymap_perror_ioctl(when, d->device, d->fd, cmd, err);
	cannot_run();
}

/* ------------------------------------------------------ operations */

static unsigned char *area_page(const struct demo_request *rq, int *err)
{
	size_t page_size = (size_t)toymap_page_size();

	if (rq->area >= DEMO_MAX_AREAS || !areas[rq->area].addr) {
		*err = -EINVAL;
		return NULL;
	}
	if (rq->page >= areas[rq->area].len / page_size) {
		*err = -ERANGE;
		return NULL;
	}
	return areas[rq->area].addr + rq->page * page_size;
}

/*
 * What backs @addr: pagemap's entry, and LOOKUP's frame identity, which
 * needs no root (0 when no page is mapped, or the module has no LOOKUP).
 */
static void look_page(const unsigned char *addr, struct demo_view *v)
{
	struct toymap_lookup l;

	v->va = (uintptr_t)addr;
	v->err = toymap_pagemap(addr, &v->pte);
	v->frame = toymap_lookup(device_fd, addr, &l) ? 0 : l.frame;
}

/* The text a row shows for @bytes: up to the first zero byte, printable. */
static void format_text(const volatile unsigned char *bytes, size_t len,
			char text[DEMO_TEXT_LEN])
{
	size_t i;

	for (i = 0; i < DEMO_TEXT_LEN - 1 && i < len && bytes[i]; i++)
		text[i] = (bytes[i] >= 0x20 && bytes[i] < 0x7f) ? (char)bytes[i] : '.';
	text[i] = '\0';
}

/* Read the whole page: the touch that faults it in, and what it holds. */
static void read_page(const volatile unsigned char *addr, struct demo_view *v)
{
	size_t page_size = (size_t)toymap_page_size();
	size_t i, zeros = 0;

	for (i = 0; i < page_size; i++)
		zeros += addr[i] == 0;
	format_text(addr, page_size, v->text);
	v->zero_bytes = (uint32_t)zeros;
	v->has_text = true;
}

static void do_map(const struct demo_request *rq, struct demo_view *v)
{
	size_t len = rq->pages * (size_t)toymap_page_size();
	bool anonymous = rq->flags & MAP_ANONYMOUS;
	void *addr;

	if (rq->area >= DEMO_MAX_AREAS || areas[rq->area].addr || !len) {
		v->err = -EINVAL;
		return;
	}
	if (device_fd < 0 && !anonymous) {
		v->err = device_err;
		return;
	}
	/* Never unmapped: it only holds the address range. */
	if (rq->guard_bytes && mmap(NULL, rq->guard_bytes, PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				    -1, 0) == MAP_FAILED) {
		v->err = -errno;
		return;
	}
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, rq->flags, anonymous ? -1 : device_fd,
		    anonymous ? 0 : (off_t)rq->offset);
	if (addr == MAP_FAILED) {
		v->err = -errno;
		return;
	}
	/* 4 KiB pages, as in the chapter: no transparent huge page here. */
	if (anonymous)
		madvise(addr, len, MADV_NOHUGEPAGE);
	areas[rq->area].addr = addr;
	areas[rq->area].len = len;
	look_page(addr, v);
}

/* msync or munmap a whole area. */
static void do_area_op(const struct demo_request *rq, struct demo_view *v)
{
	if (rq->area >= DEMO_MAX_AREAS || !areas[rq->area].addr) {
		v->err = -EINVAL;
		return;
	}
	if (rq->op == DEMO_OP_MSYNC) {
		if (msync(areas[rq->area].addr, areas[rq->area].len, MS_SYNC) < 0)
			v->err = -errno;
		return;
	}
	if (munmap(areas[rq->area].addr, areas[rq->area].len) < 0) {
		v->err = -errno;
		return;
	}
	areas[rq->area].addr = NULL;
	areas[rq->area].len = 0;
}

/* Carry out @rq in this process. */
static void do_request(const struct demo_request *rq, struct demo_view *v)
{
	unsigned char *addr;
	int err = 0;

	memset(v, 0, sizeof(*v));
	v->pid = getpid();
	if (rq->op == DEMO_OP_MAP) {
		do_map(rq, v);
		return;
	}
	if (rq->op == DEMO_OP_MSYNC || rq->op == DEMO_OP_UNMAP) {
		do_area_op(rq, v);
		return;
	}
	addr = area_page(rq, &err);
	if (!addr) {
		v->err = err;
		return;
	}
	if (rq->op == DEMO_OP_READ) {
		read_page(addr, v);
	} else if (rq->op == DEMO_OP_WRITE) {
		memcpy(addr, rq->text, strnlen(rq->text, DEMO_TEXT_LEN - 1) + 1);
		memcpy(v->text, rq->text, DEMO_TEXT_LEN);
		v->text[DEMO_TEXT_LEN - 1] = '\0';
		v->has_text = true;
	}
	look_page(addr, v);
}

/* ------------------------------------------------------ peers */

/* A peer's life: answer requests until told to exit or the pipe closes. */
static void __attribute__((noreturn)) serve(int request_fd, int view_fd)
{
	struct demo_request rq;
	struct demo_view v;

	for (;;) {
		if (toymap_read_full(request_fd, &rq, sizeof(rq)) || rq.op == DEMO_OP_EXIT)
			_exit(0);
		do_request(&rq, &v);
		if (toymap_write_full(view_fd, &v, sizeof(v)))
			_exit(1);
	}
}

/* argv: PROGRAM --peer NAME DEVICE REQUEST_FD VIEW_FD */
static void __attribute__((noreturn)) peer_main(char **argv)
{
	int request_fd = atoi(argv[4]);
	int view_fd = atoi(argv[5]);

	/* Started through /proc/self/exe, it would be "exe" in the kernel log. */
	prctl(PR_SET_NAME, argv[2]);
	/* A peer opens the device itself: its own open file, its own mmap. */
	device_fd = toymap_open_path(argv[3], O_RDWR);
	if (device_fd < 0)
		device_err = device_fd;
	serve(request_fd, view_fd);
}

static void __attribute__((noreturn)) peer_died(struct demo_proc *p)
{
	int status;

	fprintf(stderr, "%s (pid %d) stopped answering", p->name, (int)p->pid);
	if (waitpid(p->pid, &status, 0) == p->pid) {
		if (WIFSIGNALED(status))
			fprintf(stderr, ": killed by signal %d (%s)", WTERMSIG(status),
				strsignal(WTERMSIG(status)));
		else if (WIFEXITED(status))
			fprintf(stderr, ": exited with status %d", WEXITSTATUS(status));
	}
	fputc('\n', stderr);
	cannot_run();
}

/* What @p did (@rq) and saw (@v), for the figures. */
static void figure_request(const struct demo_proc *p, const struct demo_request *rq,
			   const struct demo_view *v)
{
	switch (rq->op) {
	case DEMO_OP_MAP:
		demo_figure_map(p->pid, rq->area, v->va, rq->pages, rq->offset, rq->flags);
		demo_figure_view(p->pid, rq->area, 0, v);
		break;
	case DEMO_OP_LOOK:
	case DEMO_OP_READ:
	case DEMO_OP_WRITE:
		demo_figure_view(p->pid, rq->area, rq->page, v);
		break;
	case DEMO_OP_UNMAP:
		demo_figure_unmap(p->pid, rq->area);
		break;
	default:
		break;
	}
}

/* Run @rq in process @p; on failure say what @p could not do, and exit. */
static void call(struct demo_proc *p, const struct demo_request *rq, struct demo_view *v,
		 const char *what)
{
	if (p->request_fd < 0)
		do_request(rq, v);
	else if (toymap_write_full(p->request_fd, rq, sizeof(*rq)) ||
		 toymap_read_full(p->view_fd, v, sizeof(*v)))
		peer_died(p);
	if (v->err) {
		fprintf(stderr, "%s (pid %d): %s: %s\n", p->name, (int)p->pid, what,
			strerror(-v->err));
		cannot_run();
	}
	figure_request(p, rq, v);
}

/* ------------------------------------------------------ processes */

/*
 * The processes of the story, for the line that gives their pids (the rows
 * name a process, the kernel log its pid): shown above the first table
 * after each one starts.
 */
static struct {
	const char *name;
	pid_t pid;
	bool introduced;
} known[DEMO_MAX_PROCS];
static unsigned int nknown;
static unsigned int spawned;		/* peers started by demo_spawn */

static void introduce(const char *name, pid_t pid, enum demo_figure_side side)
{
	demo_figure_proc(name, pid, side);
	if (nknown == DEMO_MAX_PROCS)
		return;
	known[nknown].name = name;
	known[nknown++].pid = pid;
}

void demo_self(struct demo_proc *p, const char *name)
{
	p->name = name;
	p->pid = getpid();
	p->request_fd = -1;
	p->view_fd = -1;
	/* Its name in the kernel log, as in the rows. */
	prctl(PR_SET_NAME, name);
	introduce(name, p->pid, DEMO_FIGURE_LEFT);
}

static void make_pipes(int request[2], int view[2])
{
	if (pipe2(request, O_CLOEXEC) < 0 || pipe2(view, O_CLOEXEC) < 0) {
		perror("pipe2");
		cannot_run();
	}
}

void demo_spawn(struct demo *d, struct demo_proc *p, const char *name)
{
	char request_arg[16], view_arg[16];
	int request[2], view[2], err;
	char *argv[7];

	make_pipes(request, view);
	/* Only the peer's two ends cross exec; the next peer gets none of them. */
	if (fcntl(request[0], F_SETFD, 0) < 0 || fcntl(view[1], F_SETFD, 0) < 0) {
		perror("fcntl");
		cannot_run();
	}
	snprintf(request_arg, sizeof(request_arg), "%d", request[0]);
	snprintf(view_arg, sizeof(view_arg), "%d", view[1]);
	argv[0] = (char *)program_path;
	argv[1] = (char *)PEER_ARG;
	argv[2] = (char *)name;
	argv[3] = (char *)d->device;
	argv[4] = request_arg;
	argv[5] = view_arg;
	argv[6] = NULL;
	fflush(NULL);
	err = posix_spawn(&p->pid, "/proc/self/exe", NULL, NULL, argv, environ);
	if (err) {
		fprintf(stderr, "cannot start %s: %s\n", name, strerror(err));
		cannot_run();
	}
	close(request[0]);
	close(view[1]);
	p->name = name;
	p->request_fd = request[1];
	p->view_fd = view[0];
	/* In the figures, the first peer on the left, the second on the right. */
	introduce(name, p->pid, spawned++ % 2 ? DEMO_FIGURE_RIGHT : DEMO_FIGURE_LEFT);
}

void demo_fork(struct demo_proc *p, const char *name)
{
	int request[2], view[2];
	pid_t pid;

	make_pipes(request, view);
	fflush(NULL);		/* else the child would print the parent's buffer again */
	pid = fork();
	if (pid < 0) {
		perror("fork");
		cannot_run();
	}
	if (pid == 0) {
		/* Its name in the kernel log, as in the figure ("child"). */
		prctl(PR_SET_NAME, name);
		close(request[1]);
		close(view[0]);
		serve(request[0], view[1]);
	}
	close(request[0]);
	close(view[1]);
	p->name = name;
	p->pid = pid;
	p->request_fd = request[1];
	p->view_fd = view[0];
	introduce(name, pid, DEMO_FIGURE_RIGHT);
	demo_figure_fork(getpid(), pid);
}

void demo_end(struct demo_proc *p)
{
	struct demo_request rq = { .op = DEMO_OP_EXIT };
	int status;

	if (p->request_fd < 0)
		return;
	if (toymap_write_full(p->request_fd, &rq, sizeof(rq)) == 0 &&
	    waitpid(p->pid, &status, 0) == p->pid &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		fprintf(stderr, "%s (pid %d) ended badly (status 0x%x)\n", p->name,
			(int)p->pid, (unsigned int)status);
		cannot_run();
	}
	close(p->request_fd);
	close(p->view_fd);
	p->request_fd = -1;
	p->view_fd = -1;
	demo_figure_proc_gone(p->pid);
}

void demo_map(struct demo_proc *p, unsigned int area, uint64_t offset, size_t pages,
	      int flags, size_t guard_bytes, struct demo_view *v)
{
	struct demo_request rq = {
		.op = DEMO_OP_MAP, .area = area, .flags = flags, .offset = offset,
		.pages = pages, .guard_bytes = guard_bytes,
	};
	char what[96];

	snprintf(what, sizeof(what), "mmap(%s) of %zu page%s at object offset %" PRIu64,
		 (flags & MAP_ANONYMOUS) ? "MAP_PRIVATE|MAP_ANONYMOUS" :
		 (flags & MAP_SHARED) ? "MAP_SHARED" : "MAP_PRIVATE", pages,
		 pages == 1 ? "" : "s", offset);
	call(p, &rq, v, what);
}

void demo_map_apart(struct demo *d, struct demo_proc *a, struct demo_proc *b, unsigned int area,
		    size_t pages, int flags, const char *label, const char *why,
		    struct demo_view *va, struct demo_view *vb)
{
	demo_map(a, area, 0, pages, flags, 0, va);
	demo_map(b, area, 0, pages, flags, DEMO_GUARD_BYTES, vb);
	demo_row(a, label, va);
	demo_row(b, label, vb);
	demo_counters(d);
	demo_say("%s", why);
	if (va->va == vb->va)
		demo_say("(Both areas got the same virtual address by chance; that is allowed.)");
	demo_expect(d, !va->pte.present && !vb->pte.present,
		    "neither process has a frame before its first touch");
}

static void page_op(struct demo_proc *p, enum demo_op op, unsigned int area, size_t page,
		    const char *text, struct demo_view *v)
{
	struct demo_request rq = { .op = op, .area = area, .page = page };
	char what[64];

	if (text)
		snprintf(rq.text, sizeof(rq.text), "%s", text);
	snprintf(what, sizeof(what), "page %zu of area %u", page, area);
	call(p, &rq, v, what);
}

void demo_look(struct demo_proc *p, unsigned int area, size_t page, struct demo_view *v)
{
	page_op(p, DEMO_OP_LOOK, area, page, NULL, v);
}

void demo_read(struct demo_proc *p, unsigned int area, size_t page, struct demo_view *v)
{
	page_op(p, DEMO_OP_READ, area, page, NULL, v);
}

void demo_write(struct demo_proc *p, unsigned int area, size_t page, const char *text,
		struct demo_view *v)
{
	page_op(p, DEMO_OP_WRITE, area, page, text, v);
}

static void area_op(struct demo_proc *p, enum demo_op op, unsigned int area, const char *name)
{
	struct demo_request rq = { .op = op, .area = area };
	struct demo_view v;
	char what[64];

	snprintf(what, sizeof(what), "%s of area %u", name, area);
	call(p, &rq, &v, what);
}

void demo_msync(struct demo_proc *p, unsigned int area)
{
	area_op(p, DEMO_OP_MSYNC, area, "msync(MS_SYNC)");
}

void demo_unmap(struct demo_proc *p, unsigned int area)
{
	area_op(p, DEMO_OP_UNMAP, area, "munmap");
}

void *demo_area_addr(unsigned int area)
{
	return area < DEMO_MAX_AREAS ? areas[area].addr : NULL;
}

/*
 * Print @text after @first, broken at spaces into lines of ROW_WIDTH at
 * most, each further line after @rest (spaces, as wide as @first).
 */
static void print_wrapped(const char *first, const char *rest, const char *text)
{
	const char *lead = first, *end, *cut;
	size_t room;

	for (;;) {
		room = ROW_WIDTH - strlen(lead);
		if (strlen(text) <= room) {
			printf("%s%s\n", lead, text);
			return;
		}
		cut = NULL;
		for (end = text; end <= text + room; end++)
			if (*end == ' ')
				cut = end;
		if (!cut)
			cut = text + room;
		printf("%s%.*s\n", lead, (int)(cut - text), text);
		text = *cut == ' ' ? cut + 1 : cut;
		lead = rest;
	}
}

/* ------------------------------------------------------ the kernel log */

/*
 * With the module's trace=1 every call into it is a kernel log line.  The
 * demo reads /dev/kmsg (root: dmesg_restrict), from where the log ended
 * when it started, and prints each step's lines under that step; it also
 * writes a marker per step there, for whoever reads dmesg later.
 */
#define TRACE_MAX_LINES	12	/* printed per step; the rest are counted */

static int kmsg_read_fd = -1;
static int kmsg_write_fd = -1;
static bool trace_on;

static void trace_open(void)
{
	trace_on = toymap_param_get_bool("trace") == 1;
	kmsg_read_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_read_fd >= 0 && lseek(kmsg_read_fd, 0, SEEK_END) < 0) {
		close(kmsg_read_fd);
		kmsg_read_fd = -1;
	}
	kmsg_write_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
}

/* "toymap0: pid ...": a line of the module about one object. */
static bool is_trace_line(const char *msg)
{
	size_t digits;

	if (strncmp(msg, TOYMAP_MODULE_NAME, strlen(TOYMAP_MODULE_NAME)))
		return false;
	msg += strlen(TOYMAP_MODULE_NAME);
	digits = strspn(msg, "0123456789");
	return digits && msg[digits] == ':';
}

/*
 * Print the module's lines logged since the last call, under the heading
 * "kernel log"; with @say_none, also say when there was none.
 */
static void trace_print(bool say_none)
{
	char record[1024], *msg;
	unsigned int shown = 0, more = 0;
	ssize_t n;

	if (kmsg_read_fd < 0 || !trace_on)
		return;
	for (;;) {
		n = read(kmsg_read_fd, record, sizeof(record) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten before we read it: go on */
		if (n <= 0)
			break;		/* EAGAIN: nothing more */
		record[n] = '\0';
		msg = strchr(record, ';');
		if (!msg)
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = '\0';
		if (!is_trace_line(msg))
			continue;
		if (!shown && !more)
			printf("  kernel log (trace=1):\n");
		if (shown++ < TRACE_MAX_LINES)
			print_wrapped("    ", "        ", msg);
		else
			more++;
	}
	if (more)
		printf("    ... and %u more line%s (dmesg has them all)\n", more,
		       more == 1 ? "" : "s");
	else if (!shown && say_none)
		printf("  kernel log (trace=1): no line of the module in this step\n");
}

static void trace_mark(struct demo *d, const char *title)
{
	char line[320];
	int len;

	if (kmsg_write_fd < 0)
		return;
	len = snprintf(line, sizeof(line), "toymap-demo: %s step %d: %s", d->name, d->step,
		       title);
	if (len > 0 && write(kmsg_write_fd, line, strlen(line)) < 0) {
		close(kmsg_write_fd);
		kmsg_write_fd = -1;
	}
}

bool demo_maps_line(pid_t pid, uint64_t addr, char *line, size_t len)
{
	unsigned long long start, end;
	char path[64], text[512];
	int path_at, cut;
	bool found = false;
	FILE *file;

	line[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	file = fopen(path, "re");
	if (!file)
		return false;
	while (!found && fgets(text, sizeof(text), file)) {
		text[strcspn(text, "\n")] = '\0';
		path_at = 0;
		if (sscanf(text, "%llx-%llx %*s %*s %*s %*s %n", &start, &end, &path_at) < 2 ||
		    addr < start || addr >= end)
			continue;
		for (cut = path_at; cut > 0 && text[cut - 1] == ' '; cut--)
			;
		snprintf(line, len, "%.*s%s%s", cut, text, text[path_at] ? " " : "",
			 text + path_at);
		found = true;
	}
	fclose(file);
	return found;
}

/* ------------------------------------------------------ telling the story */

static void usage(const char *name, const char *about, const char *operand_name, FILE *out)
{
	if (operand_name)
		fprintf(out, "usage: %s [--svg DIR | --dot DIR] [%s [DEVICE]]\n"
			"       (default device " TOYMAP_DEFAULT_DEVICE ")", name, operand_name);
	else
		fprintf(out, "usage: %s [--svg DIR | --dot DIR] [DEVICE]   (default "
			TOYMAP_DEFAULT_DEVICE ")", name);
	fprintf(out,
		"\n\n%s\n\n"
		"--svg DIR  a figure of each step, drawn as the chapter draws them, in DIR:\n"
		"           step-NN.dot (Graphviz) and step-NN.svg (by Graphviz's dot)\n"
		"--dot DIR  the same, the DOT files only (render: dot -Tsvg -O DIR/*.dot)\n\n"
		"Exit status: %d what it saw agrees with the chapter, %d it contradicts the\n"
		"chapter, %d usage, %d could not run (no device, no permission, ...).\n",
		about, DEMO_EXIT_OK, DEMO_EXIT_CONTRADICTION, DEMO_EXIT_USAGE,
		DEMO_EXIT_CANNOT_RUN);
}

static void init(struct demo *d, int argc, char **argv, const char *about,
		 const char *operand_name, const char **operand)
{
	int operands = operand_name ? 2 : 1, first = 1, nargs, i;
	const char *slash;
	int fd, err;

	if (argc == 6 && strcmp(argv[1], PEER_ARG) == 0)
		peer_main(argv);

	memset(d, 0, sizeof(*d));
	program_path = argv[0];
	slash = strrchr(argv[0], '/');
	d->name = slash ? slash + 1 : argv[0];
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(d->name, about, operand_name, stdout);
		exit(DEMO_EXIT_OK);
	}
	/* The options first, then the operands: argv[first..]. */
	while (argc - first >= 2 && demo_figure_option(argv[first], argv[first + 1]))
		first += 2;
	nargs = argc - first;
	for (i = first; i < argc; i++)
		if (argv[i][0] == '-')
			break;
	if (nargs > operands || i < argc) {
		usage(d->name, about, operand_name, stderr);
		exit(DEMO_EXIT_USAGE);
	}
	if (operand_name && nargs > 0)
		*operand = argv[first];
	d->device = nargs >= operands ? argv[first + operands - 1] : TOYMAP_DEFAULT_DEVICE;
	/* A peer that dies must show up as an error, not kill us by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	fd = toymap_open_path(d->device, O_RDWR);
	if (fd < 0) {
		toymap_perror_open(d->device, fd);
		cannot_run();
	}
	d->fd = device_fd = fd;
	d->page_size = toymap_page_size();
	d->pfn_readable = toymap_can_read_pfn();
	err = toymap_get_info(fd, &d->now);
	if (err)
		ioctl_failed(d, "", TOYMAP_IOC_INFO, err);
	d->before = d->now;
	trace_open();
}

void demo_init(struct demo *d, int argc, char **argv, const char *about)
{
	init(d, argc, argv, about, NULL, NULL);
}

void demo_init_operand(struct demo *d, int argc, char **argv, const char *about,
		       const char *operand_name, const char **operand)
{
	init(d, argc, argv, about, operand_name, operand);
}

int demo_finish(struct demo *d)
{
	trace_print(false);
	demo_figure_finish(d);
	putchar('\n');
	if (!d->contradictions) {
		printf("Result: everything this run saw agrees with the chapter.\n");
		return DEMO_EXIT_OK;
	}
	printf("Result: %d observation%s CONTRADICT%s the chapter (marked CONTRADICTION above).\n",
	       d->contradictions, d->contradictions == 1 ? "" : "s",
	       d->contradictions == 1 ? "S" : "");
	return DEMO_EXIT_CONTRADICTION;
}

/* Print @text with each line indented by two spaces. */
static void print_indented(const char *text)
{
	const char *nl;

	for (;;) {
		nl = strchr(text, '\n');
		printf("  %.*s\n", nl ? (int)(nl - text) : (int)strlen(text), text);
		if (!nl || !nl[1])
			break;
		text = nl + 1;
	}
}

void demo_title(struct demo *d, const char *title)
{
	static const char *const state[] = { "off", "on" };
	int fault_around = toymap_param_get_bool("fault_around");
	int trace = toymap_param_get_bool("trace");
	char size[32];
	size_t i;

	printf("%s\n", title);
	for (i = 0; title[i]; i++)
		putchar('=');
	putchar('\n');
	demo_say("The object: %s, %s, %llu page%s resident now.\n"
		 "The module: fault-around %s, trace %s.",
		 d->device, toymap_format_size(d->now.object_size, size, sizeof(size)),
		 (unsigned long long)d->now.resident_pages, d->now.resident_pages == 1 ? "" : "s",
		 fault_around < 0 ? "?" : state[fault_around], trace < 0 ? "?" : state[trace]);
	if (toymap_param_get_bool("large_folios") == 1)
		demo_say("large_folios=1: a fault may make a folio of several pages at once,\n"
			 "where the chapter draws one page (toymapctl large-folios off).");
	if (d->pfn_readable)
		demo_say("You are root, so /proc/self/pagemap shows each frame's number (PFN).");
	else
		demo_say("You are not root, so /proc/self/pagemap hides frame numbers. The\n"
			 "module's TOYMAP_IOC_LOOKUP names each frame instead (\"#3fa2c1\"):\n"
			 "a keyed hash of its number, the same for the same frame, and nothing\n"
			 "about where it is. Run it as root to see the PFNs.");
	demo_say("The frame column: \"file\" = a page of the object (in the page cache),\n"
		 "\"anon\" = a private anonymous page, \"excl\" = mapped by one process only.");
	if (trace_on && kmsg_read_fd >= 0)
		demo_say("Each step shows its evidence first (the table, the counters, the\n"
			 "module's kernel log lines), then what it means and the checks (ok:).");
	else
		demo_say("Each step shows its evidence first (the table, the counters), then what\n"
			 "it means and the checks (ok:).%s", !trace_on ? "" :
			 " The module logs every fault (trace=1), but\n"
			 "reading the kernel log needs root here: sudo dmesg shows it.");
}

void demo_say(const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	print_indented(text);
}

void demo_step(struct demo *d, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	trace_print(false);
	printf("\nStep %d. %s\n", ++d->step, text);
	row_heading_printed = false;
	trace_mark(d, text);
	demo_figure_step(d, text);
}

/*
 * A row fits 80 columns: process, area, virtual address, frame, contents.
 * The frame is "pfn 0x1a2b file excl" as root, else LOOKUP's identity
 * shortened to "#3fa2c1 file excl".
 */
#define ROW_FORMAT	"  %-12s %-10s %-14s %-21s %s\n"
#define IDENTITY_DIGITS	6

static void format_frame(const struct demo_view *v, char *buf, size_t len)
{
	const char *kind = v->pte.file ? "file" : "anon";
	const char *excl = v->pte.exclusive ? " excl" : "";

	if (!v->pte.present)
		snprintf(buf, len, "%s", v->pte.swapped ? "swapped out" : "not present");
	else if (v->pte.pfn_known)
		snprintf(buf, len, "pfn 0x%" PRIx64 " %s%s", v->pte.pfn, kind, excl);
	else if (v->frame)
		snprintf(buf, len, "#%0*" PRIx64 " %s%s", IDENTITY_DIGITS,
			 v->frame >> (64 - 4 * IDENTITY_DIGITS), kind, excl);
	else
		snprintf(buf, len, "pfn hidden, %s%s", kind, excl);
}

/* The contents column, cut to @width with "..." when longer. */
static void format_contents(const struct demo_view *v, char *buf, size_t len, size_t width)
{
	if (!v->has_text)
		snprintf(buf, len, "(not touched)");
	else if (!v->text[0])
		snprintf(buf, len, "%s", v->zero_bytes == (uint32_t)toymap_page_size()
			 ? "(all zero bytes)" : "(starts with 0)");
	else
		snprintf(buf, len, "\"%s\"", v->text);
	if (width > 3 && strlen(buf) > width)
		strcpy(buf + width - 3, "...");
}

/* Above a step's first table: the pids of processes not named before. */
static void print_pids(void)
{
	char line[ROW_WIDTH + 64] = "";
	unsigned int i;
	size_t at;

	for (i = 0; i < nknown; i++) {
		if (known[i].introduced)
			continue;
		known[i].introduced = true;
		at = strlen(line);
		snprintf(line + at, sizeof(line) - at, "%s%s = pid %d", at ? ", " : "",
			 known[i].name, (int)known[i].pid);
	}
	if (line[0])
		printf("  (%s)\n", line);
}

void demo_row(const struct demo_proc *p, const char *area, const struct demo_view *v)
{
	char va[32], frame[48], contents[DEMO_TEXT_LEN + 16];
	int prefix;

	if (!row_heading_printed) {
		print_pids();
		printf(ROW_FORMAT, "process", "area", "virtual addr", "frame", "contents");
		row_heading_printed = true;
	}
	snprintf(va, sizeof(va), "0x%012" PRIx64, v->va);
	format_frame(v, frame, sizeof(frame));
	prefix = snprintf(NULL, 0, ROW_FORMAT, p->name, area, va, frame, "") - 1;
	format_contents(v, contents, sizeof(contents),
			prefix < ROW_WIDTH - 8 ? (size_t)(ROW_WIDTH - prefix) : 8);
	printf(ROW_FORMAT, p->name, area, va, frame, contents);
}

void demo_row_pair(const struct demo_proc *p, const char *area_a, const struct demo_view *a,
		   const char *area_b, const struct demo_view *b)
{
	demo_row(p, area_a, a);
	demo_row(p, area_b, b);
}

/* ------------------------------------------------------ counters, checks */

/* now -> before, fresh counters -> now */
static void read_counters(struct demo *d)
{
	int err;

	d->before = d->now;
	err = toymap_get_info(d->fd, &d->now);
	if (err)
		ioctl_failed(d, "", TOYMAP_IOC_INFO, err);
}

void demo_counters(struct demo *d)
{
	const struct toymap_field *f;
	char value[48], line[256], changes[512] = "";
	bool any = false;
	size_t at;
	uint64_t a, b;
	size_t i;

	read_counters(d);
	printf("  the object's counters, what changed:\n");
	for (i = 0; i < toymap_info_nfields; i++) {
		f = &toymap_info_fields[i];
		a = toymap_info_value(&d->before, f);
		b = toymap_info_value(&d->now, f);
		if (a == b)
			continue;
		if (f->kind == TOYMAP_FIELD_COUNTER)
			snprintf(value, sizeof(value), "+%" PRIu64, b - a);
		else
			snprintf(value, sizeof(value), "%" PRIu64 " -> %" PRIu64, a, b);
		snprintf(line, sizeof(line), "%-8s %s (%s)", value, f->meaning, f->name);
		print_wrapped("    ", "             ", line);
		at = strlen(changes);
		snprintf(changes + at, sizeof(changes) - at, "%s%s %s", at ? ", " : "", f->name,
			 value);
		any = true;
	}
	demo_figure_counters(d, changes);
	if (!any)
		printf("    nothing\n");
	trace_print(true);
}

void demo_counters_restart(struct demo *d)
{
	read_counters(d);
	d->before = d->now;
}

void demo_discard(struct demo *d, uint64_t offset, uint64_t length)
{
	int err = toymap_discard(d->fd, offset, length);

	if (err)
		ioctl_failed(d, "", TOYMAP_IOC_DISCARD, err);
	read_counters(d);
	d->before = d->now;
}

bool demo_expect(struct demo *d, bool ok, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	print_wrapped(ok ? "  ok: " : "  CONTRADICTION: ", "      ", text);
	if (!ok)
		d->contradictions++;
	return ok;
}

bool demo_expect_fault_seen(struct demo *d, const char *who)
{
	return demo_expect(d, DEMO_DELTA(d, faults) + DEMO_DELTA(d, fault_around_calls) >= 1,
			   "%s page fault reached the module (faults +%" PRId64
			   ", fault_around_calls +%" PRId64 ")", who, DEMO_DELTA(d, faults),
			   DEMO_DELTA(d, fault_around_calls));
}

bool demo_expect_frames(struct demo *d, const struct demo_view *a, const struct demo_view *b,
			bool same, const char *what)
{
	bool equal;

	if (!d->pfn_readable && a->pte.present && b->pte.present && a->frame && b->frame) {
		equal = a->frame == b->frame;
		return demo_expect(d, equal == same,
				   "%s: %s frame (identity #%0*" PRIx64 " %s #%0*" PRIx64 ")",
				   what, equal ? "the same" : "different", IDENTITY_DIGITS,
				   a->frame >> (64 - 4 * IDENTITY_DIGITS), equal ? "=" : "!=",
				   IDENTITY_DIGITS, b->frame >> (64 - 4 * IDENTITY_DIGITS));
	}
	if (!d->pfn_readable && a->pte.present && b->pte.present) {
		printf("  (%s: %s frame? This module has no TOYMAP_IOC_LOOKUP and\n", what,
		       same ? "the same" : "a different");
		printf("   comparing PFNs needs root; the flags and contents tell.)\n");
		return true;
	}
	if (!a->pte.present || !b->pte.present)
		return demo_expect(d, false, "%s: expected %s frame, but a page is not present",
				   what, same ? "the same" : "a different");
	equal = a->pte.pfn == b->pte.pfn;
	return demo_expect(d, equal == same, "%s: %s frame (pfn 0x%" PRIx64 " %s 0x%" PRIx64 ")",
			   what, equal ? "the same" : "different", a->pte.pfn,
			   equal ? "=" : "!=", b->pte.pfn);
}

/* ------------------------------------------------------ the backing */

void demo_fresh_object(struct demo *d)
{
	int err;

	read_counters(d);
	if (d->now.backing_flags & TOYMAP_BACKING_FILE) {
		err = toymap_detach(d->fd);
		if (err)
			ioctl_failed(d, "making the object fresh: ", TOYMAP_IOC_DETACH, err);
		demo_say("(An earlier run left a file attached to %s: detached it.)", d->device);
	}
	err = toymap_discard(d->fd, 0, d->now.object_size);
	if (err)
		ioctl_failed(d, "making the object fresh: ", TOYMAP_IOC_DISCARD, err);
	if (d->now.backing_flags & TOYMAP_BACKING_SWAP) {
		err = toymap_set_swap(d->fd, -1);
		if (err)
			ioctl_failed(d, "making the object fresh: ", TOYMAP_IOC_SET_SWAP, err);
	}
	demo_figure_file(-1, 0, 0);
	demo_figure_swap(-1);
	demo_counters_restart(d);
}

void demo_attach(struct demo *d, int file_fd, uint64_t offset, uint64_t length)
{
	int err = toymap_attach(d->fd, file_fd, offset, length);

	if (err)
		ioctl_failed(d, "", TOYMAP_IOC_ATTACH, err);
	demo_figure_file(file_fd, offset, length);
}

void demo_detach(struct demo *d)
{
	int err = toymap_detach(d->fd);

	if (err)
		ioctl_failed(d, "", TOYMAP_IOC_DETACH, err);
	demo_figure_file(-1, 0, 0);
}

void demo_set_swap(struct demo *d, int swap_fd)
{
	int err = toymap_set_swap(d->fd, swap_fd);

	if (err)
		ioctl_failed(d, "", TOYMAP_IOC_SET_SWAP, err);
	demo_figure_swap(swap_fd);
}

void demo_evict(struct demo *d, uint64_t offset, uint64_t length, struct toymap_evict *result)
{
	int err = toymap_evict(d->fd, offset, length, result);

	if (err)
		ioctl_failed(d, "", TOYMAP_IOC_EVICT, err);
}

/* ------------------------------------------------------ scratch files */

int demo_tmpfile(const char *tag, char *path, size_t len)
{
	int fd = toymap_temp_file(tag, path, len);

	if (fd < 0) {
		fprintf(stderr, "cannot create %s: %s\n", path, strerror(-fd));
		cannot_run();
	}
	return fd;
}

/* Say why a whole read or write at @offset failed with -@err, and exit. */
static void __attribute__((noreturn)) file_io_failed(const char *call, uint64_t offset, int err)
{
	fprintf(stderr, "%s() of a file at offset %" PRIu64 ": %s\n", call, offset,
		err == -ENODATA ? "end of file" : strerror(-err));
	cannot_run();
}

void demo_pread(int fd, uint64_t offset, void *buf, size_t len)
{
	int err = toymap_pread_full(fd, buf, len, (off_t)offset);

	if (err)
		file_io_failed("read", offset, err);
}

void demo_pwrite(int fd, uint64_t offset, const void *buf, size_t len)
{
	int err = toymap_pwrite_full(fd, buf, len, (off_t)offset);

	if (err)
		file_io_failed("write", offset, err);
}

const char *demo_file_text(int fd, uint64_t offset, char *text)
{
	unsigned char bytes[DEMO_TEXT_LEN];
	ssize_t n;

	n = pread(fd, bytes, sizeof(bytes) - 1, (off_t)offset);
	if (n < 0)
		file_io_failed("read", offset, -errno);
	format_text(bytes, (size_t)n, text);
	return text;
}
