// SPDX-License-Identifier: GPL-2.0
/*
 * ops_map.c: the operations on a thread's mappings: mmap, munmap,
 * mprotect, mremap, madvise, msync, and reads and writes through them and
 * through GUP (process_vm_readv/writev).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "stress.h"

/* Read @t through the mapping and check it (under the page's lock). */
int check_read(struct worker *w, struct target *t)
{
	struct mapping *m = t->m;
	bool locked = needs_lock(m, t->page, t->mi);
	int want = expected_signal(m, t->page, false);
	int sig, ret = 0;

	if (locked && page_lock(w, m->obj, t->mi, false))
		return -1;
	sig = guarded_copy(w->buf, t->addr, t->len);
	if (check_signal(w, m, t->page, t->addr, sig, want, "read"))
		ret = -1;
	else if (!sig && compare(w, m, t->page, t->mi, t->off, w->buf, t->len, "read"))
		ret = -1;
	else if (!sig && !rnd(w, 4))
		ret = check_pagemap(w, m, t->page, t->addr);
	if (locked)
		page_unlock(m->obj, t->mi);
	return ret;
}

/* Pick the bytes of @m an access (@what) touches, and start its log entry. */
static void start_access(struct worker *w, struct mapping *m, struct target *t, const char *what)
{
	char desc[128];

	pick_target(w, m, t);
	log_op(w, "%s %s page %zu +%zu len %zu", what, map_desc(w, m, desc, sizeof(desc)),
	       t->page, t->off, t->len);
}

int op_read(struct worker *w, struct mapping *m)
{
	struct target t;

	start_access(w, m, &t, "read");
	return check_read(w, &t);
}

/* A private page's first write: its COW copy starts as the object's page. */
static uint8_t *new_shadow(struct worker *w, const struct mapping *m, long mi)
{
	uint8_t *shadow = xmalloc(psz);

	if (!shadow) {
		fail(w, "out of memory for a COW shadow");
		return NULL;
	}
	memcpy(shadow, model_page(m->obj, mi), psz);
	return shadow;
}

/* Record in the model that @len bytes of @src were written at @t. */
static void model_write(struct worker *w, struct target *t, const uint8_t *src, uint8_t *shadow)
{
	struct mapping *m = t->m;
	struct page_state *ps = &m->ps[t->page];

	if (m->shared) {
		memcpy(model_page(m->obj, t->mi) + t->off, src, t->len);
		return;
	}
	if (!ps->cow) {
		ps->shadow = shadow;
		ps->cow = true;
		STAT_ADD(w, cows, 1);
		log_more(w, " (cow)");
	}
	memcpy(ps->shadow + t->off, src, t->len);
}

/*
 * Write @t, through the mapping or (@gup) with process_vm_writev, and
 * update the model; on a modelled page both happen under the page's lock.
 */
static int do_write(struct worker *w, struct target *t, bool gup)
{
	struct mapping *m = t->m;
	bool locked = needs_lock(m, t->page, t->mi);
	int want = expected_signal(m, t->page, true);
	uint8_t *shadow = NULL;
	size_t k;
	int sig, ret = 0;

	for (k = 0; k < t->len; k++)
		w->buf[k] = (uint8_t)rnd64(w);
	/* A private write only copies the object's page: a shared lock is enough. */
	if (locked && page_lock(w, m->obj, t->mi, m->shared))
		return -1;
	if (!want && !m->shared && !m->ps[t->page].cow) {
		shadow = new_shadow(w, m, t->mi);
		if (!shadow) {
			ret = -1;
			goto out;
		}
	}
	if (gup) {
		ssize_t n = want ? gup_xfer(true, w->buf, t->addr, t->len) :
				   gup_xfer_all(w, true, w->buf, t->addr, t->len);
		int err = n < 0 ? errno : 0;

		STAT_ADD(w, checks, 1);
		if (want && n < 0 && err != EFAULT && injected(w, err, INJ_ENOMEM))
			goto out;
		if (want ? !(n < 0 && err == EFAULT) : n != (ssize_t)t->len) {
			fail(w, "process_vm_writev of %zu bytes at %p: %zd (%s), expected %s",
			     t->len, (void *)t->addr, n, n < 0 ? strerror(err) : "bytes",
			     want ? "EFAULT" : "success");
			ret = -1;
			goto out;
		}
		sig = want;
		if (sig) {
			STAT_ADD(w, errnos, 1);
			log_more(w, " -> EFAULT as expected");
		}
	} else {
		sig = guarded_copy(t->addr, w->buf, t->len);
		if (check_signal(w, m, t->page, t->addr, sig, want, "write")) {
			ret = -1;
			goto out;
		}
	}
	if (sig)
		goto out;
	model_write(w, t, w->buf, shadow);
	shadow = NULL;
	/* Read the whole page back now and then: a bad COW copy shows at once. */
	if (!rnd(w, 4)) {
		sig = guarded_copy(w->buf2, m->addr + t->page * psz, psz);
		if (check_signal(w, m, t->page, t->addr, sig, 0, "read back") ||
		    compare(w, m, t->page, t->mi, 0, w->buf2, psz, "read back after a write") ||
		    check_pagemap(w, m, t->page, t->addr))
			ret = -1;
	}
out:
	free(shadow);
	if (locked)
		page_unlock(m->obj, t->mi);
	return ret;
}

int op_write(struct worker *w, struct mapping *m)
{
	struct target t;

	start_access(w, m, &t, "write");
	return do_write(w, &t, false);
}

/* Read through GUP (process_vm_readv on ourselves), checked like a read. */
static int gup_read(struct worker *w, struct target *t)
{
	struct mapping *m = t->m;
	bool locked = needs_lock(m, t->page, t->mi);
	bool want_fault = expected_signal(m, t->page, false) != 0;
	ssize_t n;
	int ret = 0;

	if (locked && page_lock(w, m->obj, t->mi, false))
		return -1;
	n = want_fault ? gup_xfer(false, w->buf, t->addr, t->len) :
			 gup_xfer_all(w, false, w->buf, t->addr, t->len);
	STAT_ADD(w, checks, 1);
	if (want_fault && n < 0 && errno != EFAULT && injected(w, errno, INJ_ENOMEM)) {
		/* Nothing to check. */
	} else if (want_fault && n < 0 && errno == EFAULT) {
		STAT_ADD(w, errnos, 1);
		log_more(w, " -> EFAULT as expected");
	} else if (want_fault || n != (ssize_t)t->len) {
		fail(w, "process_vm_readv of %zu bytes at %p: %zd (%s), expected %s", t->len,
		     (void *)t->addr, n, n < 0 ? strerror(errno) : "bytes", want_fault ?
		     "EFAULT" : "success");
		ret = -1;
	} else {
		ret = compare(w, m, t->page, t->mi, t->off, w->buf, t->len, "process_vm_readv");
	}
	if (locked)
		page_unlock(m->obj, t->mi);
	return ret;
}

int op_gup(struct worker *w, struct mapping *m)
{
	bool write = rnd(w, 2);
	struct target t;

	start_access(w, m, &t, write ? "gup write" : "gup read");
	return write ? do_write(w, &t, true) : gup_read(w, &t);
}

/* Check every page of @m the model knows (after msync, mremap, fork). */
static int check_map_pages(struct worker *w, struct mapping *m, size_t first, size_t n)
{
	struct target t;
	size_t i;

	for (i = first; i < first + n; i++) {
		t.m = m;
		t.page = i;
		t.mi = model_index(m->obj, m->pgoff + i);
		t.off = 0;
		t.len = psz;
		t.addr = m->addr + i * psz;
		if (check_read(w, &t))
			return -1;
	}
	return 0;
}

/* Where a new mapping goes: mostly the window, sometimes across the end. */
static void pick_place(struct worker *w, const struct object *o, uint64_t *pgoff, size_t *pages)
{
	uint64_t start, limit, room, tail = o->pages - o->tail_start;

	if (rnd(w, 7)) {
		start = rnd(w, o->window);
		room = o->window - start;
	} else {
		/* The tail, or the last pages of the window if the window reaches the end. */
		if (!tail)
			tail = o->pages < TAIL_PAGES ? o->pages : TAIL_PAGES;
		limit = o->pages + BEYOND_PAGES;
		start = o->pages - tail + rnd(w, tail + BEYOND_PAGES);
		room = limit - start;
	}
	*pgoff = start;
	*pages = 1 + rnd(w, room < MAX_MAP_PAGES ? room : MAX_MAP_PAGES);
}

static int pick_prot(struct worker *w)
{
	unsigned int r = (unsigned int)rnd(w, 10);

	return r < 7 ? PROT_READ | PROT_WRITE : r < 9 ? PROT_READ : PROT_NONE;
}

/* MAP_SHARED|PROT_WRITE of an O_RDONLY descriptor must fail with EACCES. */
static int mmap_readonly_fd(struct worker *w, struct object *o)
{
	void *p;

	log_op(w, "mmap toymap%u shared rw from an O_RDONLY fd", o->index);
	p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, o->fd_ro, 0);
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED && errno != EACCES && injected(w, errno, INJ_ENOMEM))
		return 0;
	if (p != MAP_FAILED || errno != EACCES) {
		fail(w, "mmap(MAP_SHARED, PROT_WRITE) of an O_RDONLY fd: %s, expected EACCES",
		     p == MAP_FAILED ? strerror(errno) : "success");
		if (p != MAP_FAILED)
			munmap(p, psz);
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> EACCES as expected");
	return 0;
}

/*
 * MAP_POPULATE of a private writable mapping write-faults every page (the
 * kernel breaks COW, populate_vma_page_range): those pages are COW copies of
 * what the object held then.  Hold the locks of the modelled pages across the
 * mmap so "then" is well defined, and ask pagemap which pages were copied.
 */
static int note_populated_cows(struct worker *w, struct mapping *m)
{
	struct toymap_pte pte;
	size_t i;
	long mi;
	int err;

	for (i = 0; i < m->pages; i++) {
		mi = model_index(m->obj, m->pgoff + i);
		if (mi < 0)
			continue;
		err = pagemap_entry(m->addr + i * psz, &pte);
		if (err) {
			fail(w, "reading /proc/self/pagemap: %s", strerror(-err));
			return -1;
		}
		if (!pte.present || pte.file)
			continue;
		m->ps[i].shadow = new_shadow(w, m, mi);
		if (!m->ps[i].shadow)
			return -1;
		m->ps[i].cow = true;
		STAT_ADD(w, cows, 1);
	}
	return 0;
}

int op_mmap(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	bool shared = rnd(w, 2), fresh = !rnd(w, 4), ro_fd, populate;
	int prot = pick_prot(w), flags, fd, err;
	struct mapping *m = free_map(w);
	long lock_first = -1, lock_n = 0;
	size_t pages, i;
	uint64_t pgoff;
	int ret = -1;
	void *p;

	if (shared && !rnd(w, 25))
		return mmap_readonly_fd(w, o);
	pick_place(w, o, &pgoff, &pages);
	ro_fd = shared ? !(prot & PROT_WRITE) && !rnd(w, 3) : !rnd(w, 4);
	populate = !rnd(w, 5);
	flags = (shared ? MAP_SHARED : MAP_PRIVATE) | (populate ? MAP_POPULATE : 0);
	log_op(w, "mmap toymap%u %s %s pgoff %" PRIu64 " pages %zu%s%s%s -> map%u", o->index,
	       shared ? "shared" : "private", prot_name(prot), pgoff, pages,
	       ro_fd ? " O_RDONLY" : "", fresh ? " fresh-fd" : "", populate ? " populate" : "",
	       map_id(w, m));

	fd = ro_fd ? o->fd_ro : o->fd;
	if (fresh && (err = open_fresh(w, o->index, ro_fd ? O_RDONLY : O_RDWR, &fd)))
		return err > 0 ? 0 : -1;
	/* A private writable populate copies pages: hold their locks (ascending). */
	if (populate && !shared && (prot & PROT_WRITE)) {
		modelled_span(o, pgoff, pages, &lock_first, &lock_n);
		if (lock_n && range_lock(w, o, lock_first, lock_n, false))
			goto out_close;
	}
	p = mmap(NULL, pages * psz, prot, flags, fd, (off_t)(pgoff * psz));
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED && injected(w, errno, INJ_ENOMEM)) {
		ret = 0;
		goto out_unlock;
	}
	if (p == MAP_FAILED) {
		fail(w, "mmap of %zu pages at page offset %" PRIu64 " of toymap%u: %s", pages,
		     pgoff, o->index, strerror(errno));
		goto out_unlock;
	}
	*m = (struct mapping) {
		.used = true, .addr = p, .obj = o, .pgoff = pgoff, .pages = pages,
		.shared = shared, .ro_fd = ro_fd,
	};
	m->ps = xcalloc(pages, sizeof(*m->ps));
	if (!m->ps) {
		fail(w, "out of memory");
		goto out_unlock;
	}
	for (i = 0; i < pages; i++)
		m->ps[i].prot = (uint8_t)prot;
	log_more(w, " at %p", p);
	if (lock_n && note_populated_cows(w, m))
		goto out_unlock;
	ret = 0;
out_unlock:
	if (lock_n)
		range_unlock(o, lock_first, lock_n);
out_close:
	if (fresh)
		close(fd);
	return ret;
}

/* Unmap all, a head, a tail, or a middle of a mapping (the last splits the record). */
int op_munmap(struct worker *w, struct mapping *m)
{
	struct mapping *right = NULL;
	size_t first, n;
	char desc[128];
	int err;

	pick_range(w, m, 3, &first, &n);
	if (first && first + n < m->pages) {
		right = free_map(w);
		if (!right) {
			first = 0;
			n = m->pages;
		}
	}
	log_op(w, "munmap %s pages %zu+%zu", map_desc(w, m, desc, sizeof(desc)), first, n);
	STAT_ADD(w, checks, 1);
	err = munmap(m->addr + first * psz, n * psz) ? errno : 0;
	/* A failed munmap unmapped nothing (do_mas_align_munmap()), but may have split VMAs. */
	if (err && injected(w, err, INJ_ENOMEM | INJ_EAGAIN)) {
		m->split = true;
		return 0;
	}
	if (err) {
		fail(w, "munmap of pages %zu+%zu of map%u: %s", first, n, map_id(w, m),
		     strerror(err));
		return -1;
	}
	if (n == m->pages) {
		forget_map(m);
		return 0;
	}
	drop_pages(m, first, n);
	if (right) {
		size_t rfirst = first + n;

		*right = *m;
		right->addr = m->addr + rfirst * psz;
		right->pgoff = m->pgoff + rfirst;
		right->pages = m->pages - rfirst;
		right->ps = xcalloc(right->pages, sizeof(*right->ps));
		if (!right->ps) {
			fail(w, "out of memory");
			return -1;
		}
		memcpy(right->ps, m->ps + rfirst, right->pages * sizeof(*m->ps));
		m->pages = first;
		log_more(w, " -> map%u keeps the right part", map_id(w, right));
	} else if (first == 0) {
		memmove(m->ps, m->ps + n, (m->pages - n) * sizeof(*m->ps));
		m->addr += n * psz;
		m->pgoff += n;
		m->pages -= n;
	} else {
		m->pages = first;
	}
	return 0;
}

int op_mprotect(struct worker *w, struct mapping *m)
{
	int prot = pick_prot(w), want, err;
	size_t first, n, i;
	char desc[128];

	pick_range(w, m, 2, &first, &n);
	/* A shared mapping of an O_RDONLY fd can never become writable. */
	want = m->shared && m->ro_fd && (prot & PROT_WRITE) ? EACCES : 0;
	log_op(w, "mprotect %s pages %zu+%zu %s", map_desc(w, m, desc, sizeof(desc)), first, n,
	       prot_name(prot));
	err = mprotect(m->addr + first * psz, n * psz, prot) ? errno : 0;
	STAT_ADD(w, checks, 1);
	/*
	 * A failed mprotect may have changed some VMAs of the range and not the
	 * others (do_mprotect_pkey() stops at the first error): redo it with
	 * injection off, which must then do what was asked.
	 */
	if (err && err != want && injected(w, err, INJ_ENOMEM)) {
		bool was = fi_pause();

		err = mprotect(m->addr + first * psz, n * psz, prot) ? errno : 0;
		fi_resume(was);
		m->split = true;
		log_more(w, ", redone: %s", err ? strerror(err) : "done");
	}
	if (err != want) {
		fail(w, "mprotect(%s) of pages %zu+%zu of map%u: %s, expected %s", prot_name(prot),
		     first, n, map_id(w, m), err ? strerror(err) : "success",
		     want ? strerror(want) : "success");
		return -1;
	}
	if (err) {
		STAT_ADD(w, errnos, 1);
		log_more(w, " -> %s as expected", strerror(err));
		return 0;
	}
	for (i = first; i < first + n; i++)
		m->ps[i].prot = (uint8_t)prot;
	if (n != m->pages)
		m->split = true;
	return 0;
}

/* mremap growth: VM_DONTEXPAND makes it fail with EFAULT, moving or not. */
static int mremap_grow(struct worker *w, struct mapping *m)
{
	size_t new_pages = m->pages + 1 + rnd(w, 8);
	int flags = rnd(w, 2) ? MREMAP_MAYMOVE : 0;
	char desc[128];
	void *p;

	log_op(w, "mremap grow %s to %zu pages%s", map_desc(w, m, desc, sizeof(desc)),
	       new_pages, flags ? " MAYMOVE" : "");
	p = mremap(m->addr, m->pages * psz, new_pages * psz, flags);
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED && errno != EFAULT && injected(w, errno, INJ_ENOMEM))
		return 0;
	if (p != MAP_FAILED || errno != EFAULT) {
		fail(w, "mremap growing map%u from %zu to %zu pages: %s, expected EFAULT "
		     "(VM_DONTEXPAND)", map_id(w, m), m->pages, new_pages,
		     p == MAP_FAILED ? strerror(errno) : "success");
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> EFAULT as expected");
	return 0;
}

static int mremap_shrink(struct worker *w, struct mapping *m)
{
	size_t new_pages = 1 + rnd(w, m->pages - 1);
	char desc[128];
	void *p;

	log_op(w, "mremap shrink %s to %zu pages", map_desc(w, m, desc, sizeof(desc)), new_pages);
	p = mremap(m->addr, m->pages * psz, new_pages * psz, 0);
	STAT_ADD(w, checks, 1);
	/* Shrinking is a munmap of the tail: a failed one unmapped nothing. */
	if (p == MAP_FAILED && injected(w, errno, INJ_ENOMEM)) {
		m->split = true;
		return 0;
	}
	if (p != m->addr) {
		fail(w, "mremap shrinking map%u from %zu to %zu pages: %s", map_id(w, m),
		     m->pages, new_pages, p == MAP_FAILED ? strerror(errno) : "moved");
		return -1;
	}
	drop_pages(m, new_pages, m->pages - new_pages);
	m->pages = new_pages;
	return 0;
}

/* What /proc/self/maps says of the VMA that holds an address. */
struct vma_info {
	int toymap;		/* N of the /dev/toymapN it maps, or -1 */
	uint64_t pgoff;		/* the file page at the address */
};

/* Look @addr up in /proc/self/maps (injection off): 0, 1 when unmapped, -1 on error. */
static int find_vma(const void *addr, struct vma_info *v)
{
	uintptr_t a = (uintptr_t)addr;
	unsigned long start, end, off;
	char line[512], *path;
	unsigned int idx;
	bool was = fi_pause();
	int ret = 1, n;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f) {
		fi_resume(was);
		return -1;
	}
	while (ret == 1 && fgets(line, sizeof(line), f)) {
		n = 0;
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s%n", &start, &end, &off, &n) < 3 ||
		    !n || a < start || a >= end)
			continue;
		path = line + n + strspn(line + n, " ");
		path[strcspn(path, "\n")] = 0;
		v->toymap = sscanf(path, TOYMAP_DEV_PREFIX "%u", &idx) == 1 ? (int)idx : -1;
		v->pgoff = off / psz + (a - start) / psz;
		ret = 0;
	}
	fclose(f);
	fi_resume(was);
	return ret;
}

/* Page @i of @m is still mapped where the model has it. */
static bool vma_maps(const struct vma_info *v, const struct mapping *m, size_t i)
{
	return v->toymap == (int)m->obj->index && v->pgoff == m->pgoff + i;
}

/*
 * An injected failure stopped a move of @m onto a placeholder as @new_pages pages.
 * mremap_to() may have unmapped the placeholder and the tail past
 * @new_pages before it failed; move_vma() moves the page tables back and
 * unmaps the new range (if that munmap fails too, the range stays mapped,
 * empty).  The mapping is at its old address: read back whether the tail
 * is, and check every page.  Whatever is left at the placeholder stays until the
 * process exits: once the placeholder may be gone, another thread may map
 * something there, and no test tells the two apart for sure.
 */
static int mremap_move_failed(struct worker *w, struct mapping *m, size_t new_pages)
{
	size_t len = new_pages * psz;
	struct vma_info v;
	int r;

	m->split = true;
	r = find_vma(m->addr, &v);
	if (r || !vma_maps(&v, m, 0)) {
		fail(w, "after a failed mremap move, map%u is not at %p any more (%s)", map_id(w, m),
		     (void *)m->addr, r < 0 ? "cannot read /proc/self/maps" : "maps says so");
		return -1;
	}
	if (new_pages < m->pages) {
		r = find_vma(m->addr + len, &v);
		if (r < 0) {
			fail(w, "reading /proc/self/maps: %s", strerror(errno));
			return -1;
		}
		if (r || !vma_maps(&v, m, new_pages)) {
			log_more(w, ", tail unmapped");
			drop_pages(m, new_pages, m->pages - new_pages);
			m->pages = new_pages;
		}
	}
	return check_map_pages(w, m, 0, m->pages);
}

/*
 * Move (and maybe shrink) a mapping onto a placeholder: its pages, the COW
 * copies included, go along.  Only for a mapping that is one VMA.
 */
static int mremap_move(struct worker *w, struct mapping *m)
{
	size_t new_pages = 1 + rnd(w, m->pages);
	char desc[128];
	void *dst, *p;

	log_op(w, "mremap move %s to %zu pages", map_desc(w, m, desc, sizeof(desc)), new_pages);
	dst = mmap(NULL, new_pages * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED && injected(w, errno, INJ_ENOMEM))
		return 0;
	if (dst == MAP_FAILED) {
		fail(w, "mmap of a placeholder: %s", strerror(errno));
		return -1;
	}
	p = mremap(m->addr, m->pages * psz, new_pages * psz, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED && injected(w, errno, INJ_ENOMEM))
		return mremap_move_failed(w, m, new_pages);
	if (p != dst) {
		fail(w, "mremap moving map%u (%zu pages) to %p as %zu pages: %s", map_id(w, m),
		     m->pages, dst, new_pages, p == MAP_FAILED ? strerror(errno) : "elsewhere");
		return -1;
	}
	log_more(w, " -> %p", p);
	drop_pages(m, new_pages, m->pages - new_pages);
	m->addr = p;
	m->pages = new_pages;
	/* Now and then check every page at its new address. */
	return rnd(w, 4) ? 0 : check_map_pages(w, m, 0, m->pages);
}

int op_mremap(struct worker *w, struct mapping *m)
{
	unsigned int r = (unsigned int)rnd(w, 10);

	if (r < 3)
		return mremap_grow(w, m);
	if (r < 6 && !m->split)
		return mremap_move(w, m);
	if (m->pages == 1)
		return mremap_grow(w, m);
	return mremap_shrink(w, m);
}

int op_madvise(struct worker *w, struct mapping *m)
{
	static const struct { int advice; const char *name; } advices[] = {
		{ MADV_DONTNEED, "DONTNEED" }, { MADV_DONTNEED, "DONTNEED" },
		{ MADV_DONTNEED, "DONTNEED" }, { MADV_COLD, "COLD" },
		{ MADV_PAGEOUT, "PAGEOUT" }, { MADV_PAGEOUT, "PAGEOUT" },
		{ MADV_WILLNEED, "WILLNEED" }, { MADV_SEQUENTIAL, "SEQUENTIAL" },
		{ MADV_NORMAL, "NORMAL" }, { MADV_HUGEPAGE, "HUGEPAGE" },
		{ MADV_NOHUGEPAGE, "NOHUGEPAGE" },
	};
	unsigned int a = (unsigned int)rnd(w, ARRAY_SIZE(advices));
	size_t first, n;
	char desc[128];
	int err;

	pick_range(w, m, 2, &first, &n);
	log_op(w, "madvise %s pages %zu+%zu %s", map_desc(w, m, desc, sizeof(desc)), first, n,
	       advices[a].name);
	STAT_ADD(w, checks, 1);
	/* These change the VMA's flags: on a part of it, they split it. */
	if (advices[a].advice == MADV_SEQUENTIAL || advices[a].advice == MADV_NORMAL ||
	    advices[a].advice == MADV_HUGEPAGE || advices[a].advice == MADV_NOHUGEPAGE)
		m->split = true;
	err = madvise(m->addr + first * psz, n * psz, advices[a].advice) ? errno : 0;
	/*
	 * A failed DONTNEED may have dropped some COW copies and not others:
	 * redo it with injection off, which must then do what was asked.
	 */
	if (err && injected(w, err, INJ_ENOMEM | INJ_EAGAIN)) {
		bool was = fi_pause();

		err = madvise(m->addr + first * psz, n * psz, advices[a].advice) ? errno : 0;
		fi_resume(was);
		log_more(w, ", redone: %s", err ? strerror(err) : "done");
	}
	/* A kernel without THP (PREEMPT_RT) knows no huge page advice. */
	if ((advices[a].advice == MADV_HUGEPAGE || advices[a].advice == MADV_NOHUGEPAGE) &&
	    !cfg.has_thp) {
		if (err == EINVAL) {
			STAT_ADD(w, errnos, 1);
			log_more(w, " -> EINVAL, no THP");
			return 0;
		}
		fail(w, "madvise(MADV_%s) without THP: %s, expected EINVAL", advices[a].name,
		     err ? strerror(err) : "success");
		return -1;
	}
	if (err) {
		fail(w, "madvise(MADV_%s) of pages %zu+%zu of map%u: %s", advices[a].name, first,
		     n, map_id(w, m), strerror(err));
		return -1;
	}
	/* DONTNEED drops a private mapping's COW copies: it reads the object again. */
	if (advices[a].advice == MADV_DONTNEED && !m->shared)
		drop_pages(m, first, n);
	/* Reclaim may have dropped pages: they must come back with the same bytes. */
	if (advices[a].advice == MADV_PAGEOUT && !rnd(w, 3))
		return check_map_pages(w, m, first, n);
	return 0;
}

/*
 * msync() of @len bytes at @addr: an injected failure is redone with
 * injection off (*@redone set), which must then do it all.  0 or the errno.
 */
int msync_redo(struct worker *w, void *addr, size_t len, int flags, bool *redone)
{
	int err = msync(addr, len, flags) ? errno : 0;

	STAT_ADD(w, checks, 1);
	*redone = false;
	if (err && injected(w, err, INJ_ENOMEM | INJ_EAGAIN)) {
		bool was = fi_pause();

		err = msync(addr, len, flags) ? errno : 0;
		fi_resume(was);
		*redone = true;
		log_more(w, ", redone: %s", err ? strerror(err) : "done");
	}
	return err;
}

int op_msync(struct worker *w, struct mapping *m)
{
	static const struct { int flags; const char *name; } modes[] = {
		{ MS_ASYNC, "ASYNC" }, { MS_SYNC, "SYNC" }, { MS_INVALIDATE, "INVALIDATE" },
		{ MS_ASYNC | MS_INVALIDATE, "ASYNC|INVALIDATE" },
		{ MS_SYNC | MS_INVALIDATE, "SYNC|INVALIDATE" },
	};
	unsigned int k = (unsigned int)rnd(w, ARRAY_SIZE(modes));
	size_t first, n;
	char desc[128];
	bool redone;
	int err;

	pick_range(w, m, 2, &first, &n);
	log_op(w, "msync %s pages %zu+%zu MS_%s", map_desc(w, m, desc, sizeof(desc)), first, n,
	       modes[k].name);
	err = msync_redo(w, m->addr + first * psz, n * psz, modes[k].flags, &redone);
	/* MS_SYNC of a shared mapping calls toymap's .fsync: 0 (nothing to write). */
	if (err) {
		fail(w, "msync(MS_%s) of pages %zu+%zu of map%u: %s, expected success", modes[k].name,
		     first, n, map_id(w, m), strerror(err));
		return -1;
	}
	return rnd(w, 3) ? 0 : check_map_pages(w, m, first, n < 4 ? n : 4);
}
