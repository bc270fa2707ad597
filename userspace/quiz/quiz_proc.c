// SPDX-License-Identifier: GPL-2.0
/*
 * quiz_proc: the object, and the processes of the quiz's scenarios.
 *
 * Process A is the quiz itself; B (an unrelated process) and A's child are
 * helpers, forked, that do what A asks over a pipe, one request at a time,
 * and answer with what they see: the frame behind a page (its PFN when
 * pagemap shows PFNs, else TOYMAP_IOC_LOOKUP's frame identity, which any
 * user may compare), the text there, the page faults they took.  A request
 * is done when its answer is back, so the object's counters read after it
 * count that request alone.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "quiz.h"

/*
 * Areas start at a multiple of this, so that fault-around's window (64 KiB
 * by default: the kernel's fault_around_bytes, aligned in virtual memory)
 * holds an area's first pages whatever address the kernel picks.
 */
#define AREA_ALIGN	(64UL << 10)
/* What an unrelated helper reserves first, so that its areas land elsewhere. */
#define SPACER_LEN	(1UL << 20)

/* OP_READY: answered once a new helper has set itself up. */
enum quiz_op { OP_READY, OP_MAP, OP_UNMAP, OP_READ, OP_WRITE, OP_LOOK, OP_MSYNC, OP_EXIT };

struct quiz_request {
	enum quiz_op op;
	int area;
	int flags;		/* OP_MAP: MAP_SHARED or MAP_PRIVATE */
	unsigned int page;	/* the page of the area */
	unsigned int count;	/* OP_READ: pages read from @page */
	uint64_t pgoff, pages;	/* OP_MAP: the object's pages to map */
	char text[QUIZ_TEXT_LEN];	/* OP_WRITE */
};

/* This process's areas (a forked child inherits them, as fork does). */
static struct {
	char *addr;
	size_t len;
} areas[QUIZ_AREAS];
/* The object, and whether frames are PFNs: set once by quiz_open, inherited. */
static int object_fd = -1;
static bool pfn_readable;
static long page_size;

int quiz_fail(const char *what, int err)
{
	fprintf(stderr, "toymap-quiz: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return -1;
}

/* ------------------------------------------------------ a request, done here */

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void look(const void *addr, struct quiz_view *v)
{
	struct toymap_lookup res;
	struct toymap_pte pte;
	int err;

	v->va = (uint64_t)(uintptr_t)addr;
	err = toymap_lookup(object_fd, addr, &res);
	if (err) {
		v->err = err;
		return;
	}
	v->kind = res.kind;
	v->mapped = res.mapped;
	v->frame = res.frame;
	v->pfn_known = false;
	if (pfn_readable && !toymap_pagemap(addr, &pte) && pte.pfn_known) {
		v->frame = pte.pfn;
		v->pfn_known = true;
	}
}

static int map_area(const struct quiz_request *req)
{
	size_t len = req->pages * (size_t)page_size, span = len + AREA_ALIGN;
	char *res, *start, *addr;

	if (areas[req->area].addr)
		return -EEXIST;
	res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return -errno;
	start = (char *)(((uintptr_t)res + AREA_ALIGN - 1) & ~(AREA_ALIGN - 1));
	addr = mmap(start, len, PROT_READ | PROT_WRITE, req->flags | MAP_FIXED, object_fd,
		    (off_t)(req->pgoff * (uint64_t)page_size));
	if (addr == MAP_FAILED) {
		int err = -errno;

		munmap(res, span);
		return err;
	}
	if (start > res)
		munmap(res, (size_t)(start - res));
	if (res + span > start + len)
		munmap(start + len, (size_t)(res + span - (start + len)));
	areas[req->area].addr = addr;
	areas[req->area].len = len;
	return 0;
}

static int unmap_area(int area)
{
	if (!areas[area].addr)
		return 0;
	if (munmap(areas[area].addr, areas[area].len))
		return -errno;
	areas[area].addr = NULL;
	return 0;
}

static void read_pages(const struct quiz_request *req, char *page, struct quiz_view *v)
{
	size_t i, n = req->count * (size_t)page_size;
	long before = minor_faults();

	for (i = 0; i < req->count; i++)
		(void)*(volatile char *)(page + i * page_size);
	v->minflt = minor_faults() - before;
	v->zero = true;
	for (i = 0; i < n && v->zero; i++)
		v->zero = !page[i];
	memcpy(v->text, page, sizeof(v->text) - 1);
	v->text[sizeof(v->text) - 1] = '\0';
}

/* Do @req in this process. */
static void do_request(const struct quiz_request *req, struct quiz_view *v)
{
	char *page;
	long before;

	memset(v, 0, sizeof(*v));
	if (req->area < 0 || req->area >= QUIZ_AREAS) {
		v->err = -EINVAL;
		return;
	}
	switch (req->op) {
	case OP_MAP:
		v->err = map_area(req);
		return;
	case OP_UNMAP:
		v->err = unmap_area(req->area);
		return;
	case OP_READY:
	case OP_EXIT:
		return;
	default:
		break;
	}
	if (!areas[req->area].addr ||
	    (req->page + (size_t)(req->count ? req->count : 1)) * page_size > areas[req->area].len) {
		v->err = -EFAULT;
		return;
	}
	page = areas[req->area].addr + req->page * (size_t)page_size;
	switch (req->op) {
	case OP_READ:
		read_pages(req, page, v);
		break;
	case OP_WRITE:
		before = minor_faults();
		memcpy(page, req->text, sizeof(req->text));
		v->minflt = minor_faults() - before;
		memcpy(v->text, page, sizeof(v->text));
		break;
	case OP_MSYNC:
		if (msync(areas[req->area].addr, areas[req->area].len, MS_SYNC))
			v->err = -errno;
		break;
	default:
		break;
	}
	look(page, v);
}

/* ------------------------------------------------------ helpers */

static _Noreturn void serve(int req_fd, int rep_fd)
{
	struct quiz_request req;
	struct quiz_view v;

	while (!toymap_read_full(req_fd, &req, sizeof(req))) {
		do_request(&req, &v);
		if (toymap_write_full(rep_fd, &v, sizeof(v)) || req.op == OP_EXIT)
			break;
	}
	_exit(0);
}

/* fork() a helper for @p; in the child, return 0 with its pipe ends in @fds. */
static pid_t fork_helper(struct quiz *q, struct quiz_proc *p, const char *name, int fds[2])
{
	int to_child[2], to_parent[2];
	pid_t parent = getpid(), pid;

	if (pipe2(to_child, O_CLOEXEC))
		return quiz_fail("pipe", errno);
	if (pipe2(to_parent, O_CLOEXEC)) {
		close(to_child[0]);
		close(to_child[1]);
		return quiz_fail("pipe", errno);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(to_child[0]);
		close(to_child[1]);
		close(to_parent[0]);
		close(to_parent[1]);
		return quiz_fail("fork", err);
	}
	if (pid == 0) {
		/* No other helper's pipe stays open here: each sees its EOF. */
		if (q->other.pid > 0) {
			close(q->other.req_fd);
			close(q->other.rep_fd);
		}
		if (q->child.pid > 0) {
			close(q->child.req_fd);
			close(q->child.rep_fd);
		}
		close(to_child[1]);
		close(to_parent[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		fds[0] = to_child[0];
		fds[1] = to_parent[1];
		return 0;
	}
	close(to_child[0]);
	close(to_parent[1]);
	p->name = name;
	p->pid = pid;
	p->req_fd = to_child[1];
	p->rep_fd = to_parent[0];
	return pid;
}

/* Do @req in @p: here, or in the helper, waiting for its answer. */
static int request(struct quiz_proc *p, const struct quiz_request *req, struct quiz_view *v)
{
	char what[96];
	int err;

	if (p->pid == 0) {
		do_request(req, v);
	} else {
		err = toymap_write_full(p->req_fd, req, sizeof(*req));
		if (!err)
			err = toymap_read_full(p->rep_fd, v, sizeof(*v));
		if (err) {
			snprintf(what, sizeof(what), "talking to %s (pid %d)", p->name, (int)p->pid);
			return quiz_fail(what, err);
		}
	}
	if (v->err) {
		static const char *const verbs[] = {
			[OP_READY] = "start", [OP_MAP] = "mmap", [OP_UNMAP] = "munmap",
			[OP_READ] = "read", [OP_WRITE] = "write", [OP_LOOK] = "look up",
			[OP_MSYNC] = "msync", [OP_EXIT] = "exit",
		};

		snprintf(what, sizeof(what), "%s: %s in area %d", p->name, verbs[req->op],
			 req->area);
		return quiz_fail(what, v->err);
	}
	return 0;
}

/* Wait until the new helper @p is set up: the step's counters count none of it. */
static int ready(struct quiz_proc *p)
{
	struct quiz_request req = { .op = OP_READY };
	struct quiz_view v;

	return request(p, &req, &v);
}

int quiz_fork(struct quiz *q, struct quiz_proc *p, const char *name)
{
	int fds[2];
	pid_t pid = fork_helper(q, p, name, fds);

	if (pid == 0)
		serve(fds[0], fds[1]);
	return pid < 0 ? -1 : ready(p);
}

int quiz_spawn(struct quiz *q, struct quiz_proc *p, const char *name)
{
	int fds[2], area;
	pid_t pid = fork_helper(q, p, name, fds);

	if (pid != 0)
		return pid < 0 ? -1 : ready(p);
	for (area = 0; area < QUIZ_AREAS; area++)
		unmap_area(area);
	if (mmap(NULL, SPACER_LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		 0) == MAP_FAILED)
		_exit(1);
	serve(fds[0], fds[1]);
}

void quiz_self(struct quiz_proc *p, const char *name)
{
	p->name = name;
	p->pid = 0;
	p->req_fd = p->rep_fd = -1;
}

void quiz_end(struct quiz_proc *p)
{
	struct quiz_request req = { .op = OP_EXIT };
	struct quiz_view v;

	if (p->pid <= 0)
		return;
	if (!toymap_write_full(p->req_fd, &req, sizeof(req)))
		toymap_read_full(p->rep_fd, &v, sizeof(v));
	close(p->req_fd);
	close(p->rep_fd);
	waitpid(p->pid, NULL, 0);
	p->pid = -1;
}

int quiz_map(struct quiz_proc *p, int area, uint64_t pgoff, uint64_t pages, int flags)
{
	struct quiz_request req = {
		.op = OP_MAP, .area = area, .pgoff = pgoff, .pages = pages, .flags = flags,
	};
	struct quiz_view v;

	return request(p, &req, &v);
}

int quiz_unmap(struct quiz_proc *p, int area)
{
	struct quiz_request req = { .op = OP_UNMAP, .area = area };
	struct quiz_view v;

	return request(p, &req, &v);
}

int quiz_read(struct quiz_proc *p, int area, unsigned int page, unsigned int count,
	      struct quiz_view *v)
{
	struct quiz_request req = { .op = OP_READ, .area = area, .page = page, .count = count };

	return request(p, &req, v);
}

int quiz_write(struct quiz_proc *p, int area, unsigned int page, const char *text,
	       struct quiz_view *v)
{
	struct quiz_request req = { .op = OP_WRITE, .area = area, .page = page };

	snprintf(req.text, sizeof(req.text), "%s", text);
	return request(p, &req, v);
}

int quiz_look(struct quiz_proc *p, int area, unsigned int page, struct quiz_view *v)
{
	struct quiz_request req = { .op = OP_LOOK, .area = area, .page = page };

	return request(p, &req, v);
}

int quiz_msync(struct quiz_proc *p, int area)
{
	struct quiz_request req = { .op = OP_MSYNC, .area = area };
	struct quiz_view v;

	return request(p, &req, &v);
}

long quiz_mincore(struct quiz *q, int area, uint64_t pages)
{
	(void)q;
	return toymap_mincore_count(areas[area].addr, pages * (size_t)page_size);
}

/* ------------------------------------------------------ the object */

int quiz_observe(struct quiz *q)
{
	int err = toymap_get_info(q->fd, &q->after);

	return err ? quiz_fail("reading the counters (TOYMAP_IOC_INFO)", err) : 0;
}

int quiz_open(struct quiz *q, const char *device)
{
	int fd, fa;

	memset(q, 0, sizeof(*q));
	q->device = device;
	q->fd = object_fd = -1;
	q->file_fd = q->swap_fd = -1;
	quiz_self(&q->self, "process A");
	q->other.pid = q->child.pid = -1;
	q->page_size = page_size = toymap_page_size();
	fd = toymap_open_path(device, O_RDWR);
	if (fd < 0) {
		toymap_perror_open(device, fd);
		return -1;
	}
	q->fd = object_fd = fd;
	if (quiz_observe(q))
		return -1;
	q->object_pages = q->after.object_size / (uint64_t)page_size;
	fa = toymap_param_get_bool("fault_around");
	if (fa < 0)
		return quiz_fail("reading the module parameter fault_around", fa);
	q->fault_around = fa;
	q->pfn_readable = pfn_readable = toymap_can_read_pfn();
	return 0;
}

int quiz_fresh_object(struct quiz *q)
{
	int area, err;

	for (area = 0; area < QUIZ_AREAS; area++)
		if (unmap_area(area))
			return quiz_fail("munmap", errno);
	quiz_end(&q->other);
	quiz_end(&q->child);
	if (quiz_observe(q))
		return -1;
	if (q->after.backing_flags & TOYMAP_BACKING_FILE) {
		err = toymap_detach(q->fd);
		if (err) {
			toymap_perror_ioctl("", q->device, q->fd, TOYMAP_IOC_DETACH, err);
			return -1;
		}
	}
	err = toymap_discard(q->fd, 0, q->after.object_size);
	if (err) {
		toymap_perror_ioctl("", q->device, q->fd, TOYMAP_IOC_DISCARD, err);
		return -1;
	}
	if (q->after.backing_flags & TOYMAP_BACKING_SWAP) {
		err = toymap_set_swap(q->fd, -1);
		if (err) {
			toymap_perror_ioctl("", q->device, q->fd, TOYMAP_IOC_SET_SWAP, err);
			return -1;
		}
	}
	if (q->file_fd >= 0)
		close(q->file_fd);
	if (q->swap_fd >= 0)
		close(q->swap_fd);
	q->file_fd = q->swap_fd = -1;
	return quiz_observe(q);
}

void quiz_close(struct quiz *q)
{
	if (q->fd < 0)
		return;
	quiz_fresh_object(q);
	close(q->fd);
	q->fd = object_fd = -1;
}

/* ------------------------------------------------------ what was seen */

bool quiz_same_frame(const struct quiz_view *a, const struct quiz_view *b)
{
	bool a_page = a->kind == TOYMAP_LOOKUP_OBJECT || a->kind == TOYMAP_LOOKUP_PRIVATE;
	bool b_page = b->kind == TOYMAP_LOOKUP_OBJECT || b->kind == TOYMAP_LOOKUP_PRIVATE;

	return a_page && b_page && a->pfn_known == b->pfn_known && a->frame == b->frame;
}

const char *quiz_describe(const struct quiz_view *v, char *buf, size_t len)
{
	const char *kind = toymap_lookup_kind_name(v->kind);

	if (v->kind != TOYMAP_LOOKUP_OBJECT && v->kind != TOYMAP_LOOKUP_PRIVATE)
		snprintf(buf, len, "va 0x%llx: %s", (unsigned long long)v->va, kind);
	else if (v->pfn_known)
		snprintf(buf, len, "va 0x%llx: pfn 0x%llx, %s", (unsigned long long)v->va,
			 (unsigned long long)v->frame, kind);
	else	/* an identity's first 24 bits tell frames apart in a figure */
		snprintf(buf, len, "va 0x%llx: frame #%06llx, %s", (unsigned long long)v->va,
			 (unsigned long long)(v->frame >> 40), kind);
	return buf;
}

void quiz_note(struct quiz_result *r, const char *fmt, ...)
{
	size_t used = strlen(r->evidence);
	va_list ap;

	if (used >= sizeof(r->evidence) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(r->evidence + used, sizeof(r->evidence) - used, fmt, ap);
	va_end(ap);
	used = strlen(r->evidence);
	if (used < sizeof(r->evidence) - 1) {
		r->evidence[used] = '\n';
		r->evidence[used + 1] = '\0';
	}
}

void quiz_note_view(struct quiz_result *r, const char *who, const struct quiz_view *v)
{
	char buf[128];

	quiz_note(r, "%s: %s", who, quiz_describe(v, buf, sizeof(buf)));
}

/* ------------------------------------------------------ outcomes */

long quiz_which_text(const char *text, const char *t0, const char *t1)
{
	if (!strcmp(text, t0))
		return OUT_TEXT0;
	if (!strcmp(text, t1))
		return OUT_TEXT1;
	return text[0] ? QUIZ_UNEXPECTED : OUT_ZERO;
}

long quiz_callback_outcome(struct quiz *q)
{
	if (QUIZ_DELTA(q, faults))
		return OUT_FAULT;
	if (QUIZ_DELTA(q, fault_around_hits))
		return OUT_AROUND;
	if (QUIZ_DELTA(q, page_mkwrites))
		return OUT_MKWRITE;
	return OUT_NONE;
}

long quiz_frame_outcome(const struct quiz_view *a, const struct quiz_view *b)
{
	if (quiz_same_frame(a, b))
		return OUT_SAME;
	if (b->kind == TOYMAP_LOOKUP_ABSENT)
		return OUT_NOTHING;
	return b->kind == TOYMAP_LOOKUP_OBJECT || b->kind == TOYMAP_LOOKUP_PRIVATE ?
	       OUT_COPY : QUIZ_UNEXPECTED;
}
