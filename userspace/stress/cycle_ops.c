// SPDX-License-Identifier: GPL-2.0
/*
 * cycle_ops.c: the attach cycle's operations on its mappings, its object
 * and its backing file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "cycle.h"

/*
 * Map object pages of the model: shared or private, read-write or
 * read-only, sometimes through a new descriptor or populated.  Shared and
 * writable over a read-only attach is EACCES, and so is a later mprotect to
 * writable.
 */
int fc_mmap(struct worker *w)
{
	struct mapping *m = free_map(w);
	uint64_t pgoff = rnd(w, FILE_PAGES);
	size_t pages = 1 + rnd(w, min_u64(FILE_MAP_PAGES, FILE_PAGES - pgoff)), i;
	bool shared = rnd(w, 2), fresh = !rnd(w, 5);
	int prot = rnd(w, 4) ? PROT_READ | PROT_WRITE : PROT_READ;
	/*
	 * Not over a swapped page: MAP_POPULATE ignores a failed fault (an
	 * injected allocation failure), and the model could not tell whether
	 * the page was swapped in.
	 */
	bool populate = !rnd(w, 6) && (shared || !(prot & PROT_WRITE)) &&
			!fc_any_swapped(pgoff, pages);
	bool refused = shared && (prot & PROT_WRITE) && fc.readonly;
	int fd = fc.fd, flags = (shared ? MAP_SHARED : MAP_PRIVATE) | (populate ? MAP_POPULATE : 0);
	void *p;
	int err;

	log_op(w, "mmap toymap%u %s %s pgoff %" PRIu64 " pages %zu%s%s -> map%u", fobj->index,
	       shared ? "shared" : "private", prot_name(prot), pgoff, pages,
	       fresh ? " fresh-fd" : "", populate ? " populate" : "", map_id(w, m));
	if (fresh && (err = open_fresh(w, fobj->index, O_RDWR | O_CLOEXEC, &fd)))
		return err > 0 ? 0 : -1;
	p = fc_mmap_locked(w, pages * psz, prot, flags, fd, (off_t)(pgoff * psz));
	if (fresh)
		close(fd);
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED && errno != EACCES && injected(w, errno, INJ_ENOMEM))
		return 0;
	if (refused) {
		if (p != MAP_FAILED || errno != EACCES) {
			fail(w, "mmap(MAP_SHARED, PROT_WRITE) of an object attached read-only: %s, "
			     "expected EACCES", p == MAP_FAILED ? strerror(errno) : "success");
			return -1;
		}
		STAT_ADD(w, errnos, 1);
		log_more(w, " -> EACCES as expected (attached read-only)");
		return 0;
	}
	if (p == MAP_FAILED) {
		fail(w, "mmap of %zu pages at page offset %" PRIu64 " of toymap%u: %s", pages, pgoff,
		     fobj->index, strerror(errno));
		return -1;
	}
	*m = (struct mapping) {
		.used = true, .addr = p, .obj = fobj, .pgoff = pgoff, .pages = pages,
		.shared = shared,
	};
	m->ps = xcalloc(pages, sizeof(*m->ps));
	if (!m->ps) {
		fail(w, "out of memory");
		return -1;
	}
	for (i = 0; i < pages; i++) {
		m->ps[i].prot = (uint8_t)prot;
		if (populate)
			fc.resident[pgoff + i] = true;
	}
	log_more(w, " at %p", p);
	if (shared && fc.readonly && !rnd(w, 2)) {
		err = mprotect(p, pages * psz, PROT_READ | PROT_WRITE) ? errno : 0;
		STAT_ADD(w, checks, 1);
		if (err != EACCES && injected(w, err, INJ_ENOMEM))
			return 0;
		if (err != EACCES) {
			fail(w, "mprotect(PROT_WRITE) of a shared mapping of an object attached "
			     "read-only: %s, expected EACCES", err ? strerror(err) : "success");
			return -1;
		}
		STAT_ADD(w, errnos, 1);
		log_more(w, "; mprotect rw -> EACCES as expected");
	}
	return 0;
}

int fc_munmap(struct worker *w, struct mapping *m)
{
	char desc[128];

	log_op(w, "munmap %s", map_desc(w, m, desc, sizeof(desc)));
	STAT_ADD(w, checks, 1);
	if (fc_munmap_locked(w, m->addr, m->pages * psz)) {
		/* Nothing was unmapped. */
		if (injected(w, errno, INJ_ENOMEM))
			return 0;
		fail(w, "munmap of map%u: %s", map_id(w, m), strerror(errno));
		return -1;
	}
	forget_map(m);
	return 0;
}

/* A byte range of a page of @m: the whole page now and then. */
void fc_pick_bytes(struct worker *w, size_t *off, size_t *len)
{
	if (!rnd(w, 4)) {
		*off = 0;
		*len = psz;
		return;
	}
	*len = 1 + rnd(w, MAX_ACCESS);
	*off = rnd(w, psz - *len + 1);
}

/* Read a whole page of @m and compare it (the page is readable). */
int fc_check_page(struct worker *w, struct mapping *m, size_t i, const char *what)
{
	int sig;

	fc_touch(m, i);
	sig = guarded_copy(w->buf2, m->addr + i * psz, psz);
	if (check_signal(w, m, i, m->addr + i * psz, sig, 0, what))
		return -1;
	return fc_compare(w, m, i, 0, w->buf2, psz, what);
}

int fc_read(struct worker *w, struct mapping *m)
{
	size_t i = rnd(w, m->pages), off, len;
	uint8_t *addr;
	char desc[128];
	int sig;

	fc_pick_bytes(w, &off, &len);
	addr = m->addr + i * psz + off;
	log_op(w, "read %s page %zu +%zu len %zu", map_desc(w, m, desc, sizeof(desc)), i, off,
	       len);
	fc_touch(m, i);
	sig = guarded_copy(w->buf, addr, len);
	if (check_signal(w, m, i, addr, sig, 0, "read") ||
	    fc_compare(w, m, i, off, w->buf, len, "read"))
		return -1;
	return rnd(w, 4) ? 0 : check_pagemap(w, m, i, m->addr + i * psz);
}

/*
 * Write through the mapping or (@gup) process_vm_writev: a shared write
 * makes the object's page dirty, a private one goes to its COW copy; a
 * read-only mapping refuses (SIGSEGV, EFAULT).
 */
static int fc_store(struct worker *w, struct mapping *m, bool gup)
{
	size_t i = rnd(w, m->pages), off, len, k;
	int want = m->ps[i].prot & PROT_WRITE ? 0 : SIGSEGV, sig;
	struct page_state *ps = &m->ps[i];
	uint64_t pg = m->pgoff + i;
	uint8_t *addr;
	char desc[128];

	fc_pick_bytes(w, &off, &len);
	addr = m->addr + i * psz + off;
	for (k = 0; k < len; k++)
		w->buf[k] = (uint8_t)rnd64(w);
	log_op(w, "%swrite %s page %zu +%zu len %zu", gup ? "gup " : "",
	       map_desc(w, m, desc, sizeof(desc)), i, off, len);
	/* A private page's first write copies what the object holds now. */
	if (!want && !m->shared && !ps->cow) {
		ps->shadow = xmalloc(psz);
		if (!ps->shadow) {
			fail(w, "out of memory");
			return -1;
		}
		memcpy(ps->shadow, fc_page(pg), psz);
	}
	/* A write a read-only mapping refuses faults nothing in. */
	if (!want)
		fc_touch(m, i);
	else
		fc.resident[pg] = true;
	if (gup) {
		ssize_t n = want ? gup_xfer(true, w->buf, addr, len) :
				   gup_xfer_all(w, true, w->buf, addr, len);
		int err = n < 0 ? errno : 0;

		STAT_ADD(w, checks, 1);
		/* No shadow was prepared: the write was to fail. */
		if (want && n < 0 && err != EFAULT && injected(w, err, INJ_ENOMEM))
			return 0;
		if (want ? !(n < 0 && err == EFAULT) : n != (ssize_t)len) {
			fail(w, "process_vm_writev of %zu bytes at %p: %zd (%s), expected %s", len,
			     (void *)addr, n, n < 0 ? strerror(err) : "bytes",
			     want ? "EFAULT" : "success");
			return -1;
		}
		if (want) {
			STAT_ADD(w, errnos, 1);
			log_more(w, " -> EFAULT as expected");
		}
		sig = want;
	} else {
		sig = guarded_copy(addr, w->buf, len);
		if (check_signal(w, m, i, addr, sig, want, "write"))
			return -1;
	}
	if (sig)
		return 0;
	if (m->shared) {
		memcpy(fc_page(pg) + off, w->buf, len);
		fc.dirty[pg] = true;
	} else {
		if (!ps->cow) {
			ps->cow = true;
			STAT_ADD(w, cows, 1);
			log_more(w, " (cow)");
		}
		memcpy(ps->shadow + off, w->buf, len);
	}
	return rnd(w, 4) ? 0 : fc_check_page(w, m, i, "read back after a write");
}

int fc_write(struct worker *w, struct mapping *m)
{
	return fc_store(w, m, false);
}

int fc_gup(struct worker *w, struct mapping *m)
{
	return fc_store(w, m, true);
}

/*
 * After msync or fsync (@what, @redone after an injected failure) wrote
 * back @wb pages as the model says: INFO.write_backs and the file agree.
 */
static int fc_synced(struct worker *w, uint64_t wb, const char *what, bool redone)
{
	struct toymap_info after;

	log_more(w, " -> %" PRIu64 " written back", wb);
	if (fc_get_info(w, &after, true) ||
	    fc_check_delta(w, "write_backs", fc.info.write_backs, after.write_backs, wb, what,
			   redone))
		return -1;
	fc.info = after;
	return fc_verify_file(w, what);
}

/*
 * msync of a range of @m: 0; MS_SYNC of a shared mapping writes back the
 * dirty pages of the range (INFO.write_backs says how many), nothing else
 * does; the file must then be what the model says.
 */
int fc_msync(struct worker *w, struct mapping *m)
{
	static const struct { int flags; const char *name; } modes[] = {
		{ MS_SYNC, "SYNC" }, { MS_SYNC, "SYNC" }, { MS_SYNC, "SYNC" },
		{ MS_ASYNC, "ASYNC" }, { MS_SYNC | MS_INVALIDATE, "SYNC|INVALIDATE" },
	};
	unsigned int k = (unsigned int)rnd(w, ARRAY_SIZE(modes));
	size_t first, n;
	char desc[128];
	bool redone = false;
	uint64_t wb = 0;
	int err;

	pick_range(w, m, 2, &first, &n);
	log_op(w, "msync %s pages %zu+%zu MS_%s", map_desc(w, m, desc, sizeof(desc)), first, n,
	       modes[k].name);
	if (fc_get_info(w, &fc.info, true))
		return -1;
	/* Injected, some pages may be written back, some not: redone without injection. */
	err = msync_redo(w, m->addr + first * psz, n * psz, modes[k].flags, &redone);
	if (err) {
		fail(w, "msync(MS_%s) of pages %zu+%zu of map%u: %s, expected success",
		     modes[k].name, first, n, map_id(w, m), strerror(err));
		return -1;
	}
	if ((modes[k].flags & MS_SYNC) && m->shared)
		wb = fc_sync_model(m->pgoff + first, n);
	return fc_synced(w, wb, "msync", redone);
}

/* fsync or fdatasync of the object: every dirty page's file bytes are written. */
int fc_fsync(struct worker *w)
{
	bool data = rnd(w, 2), ro = !rnd(w, 3);
	int fd = fc.fd, err;
	bool redone = false;
	uint64_t wb;

	log_op(w, "%s toymap%u%s", data ? "fdatasync" : "fsync", fobj->index,
	       ro ? " through a new O_RDONLY fd" : "");
	if (fc_get_info(w, &fc.info, true))
		return -1;
	if (ro && (err = open_fresh(w, fobj->index, O_RDONLY | O_CLOEXEC, &fd)))
		return err > 0 ? 0 : -1;
	err = (data ? fdatasync(fd) : fsync(fd)) ? errno : 0;
	if (err && injected(w, err, INJ_ENOMEM)) {
		/* Some pages may be written back, some not: redo it without injection. */
		bool was = fi_pause();

		err = (data ? fdatasync(fd) : fsync(fd)) ? errno : 0;
		fi_resume(was);
		redone = true;
	}
	if (ro)
		close(fd);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "%s of /dev/toymap%u: %s, expected success", data ? "fdatasync" : "fsync",
		     fobj->index, strerror(err));
		return -1;
	}
	wb = fc_sync_model(0, FILE_PAGES);
	return fc_synced(w, wb, "fsync", redone);
}

/* A range of the object for EVICT and DISCARD: in the model, or all of it. */
void fc_pick_range(struct worker *w, uint64_t *first, uint64_t *n)
{
	if (!rnd(w, 6)) {
		*first = 0;
		*n = fobj->pages;
		return;
	}
	*first = rnd(w, FILE_PAGES);
	*n = 1 + rnd(w, FILE_PAGES - *first);
}

/*
 * EVICT: the model predicts every count, then pages are unmapped, the file
 * holds what it should, and every later read sees the same bytes (from the
 * file, the swap file, or a page that stayed).
 */
int fc_evict_range(struct worker *w, uint64_t first, uint64_t n, uint64_t held)
{
	struct fc_evict_counts e;
	struct toymap_info after;
	struct toymap_evict ev;
	bool redone = false;
	char sect[128];
	int err;

	log_op(w, "evict toymap%u pages %" PRIu64 "+%" PRIu64 "%s", fobj->index, first, n,
	       held < FILE_PAGES ? " (a pipe holds a page)" : "");
	if (fc_get_info(w, &fc.info, true))
		return -1;
	fc_evict_model(first, n, &e);
	/*
	 * A clean page someone holds a reference to stays, resident, and is
	 * not counted as dropped (nor as kept: that is for dirty pages) (issue 9 (5)).
	 */
	if (held >= first && held - first < n)
		fc.resident[held] = true;
	err = toymap_evict(fc.fd, first * psz, n * psz, &ev);
	STAT_ADD(w, checks, 1);
	if (err && injected(w, -err, INJ_IOCTL)) {
		/*
		 * The pages saved before the failure are clean and stay (with
		 * their swap copies), a page whose save failed is dirty again,
		 * nothing was dropped: the same EVICT, redone, ends where the
		 * model says; only the counts add up two attempts.
		 */
		bool was = fi_pause();

		err = toymap_evict(fc.fd, first * psz, n * psz, &ev);
		fi_resume(was);
		redone = true;
	}
	if (err) {
		fail(w, "TOYMAP_IOC_EVICT of pages %" PRIu64 "+%" PRIu64 " of toymap%u: %s", first,
		     n, fobj->index, strerror(-err));
		return -1;
	}
	count_evict(w, &ev);
	STAT_ADD(w, checks, 1);
	if (!redone &&
	    (ev.written_back != e.written_back || ev.swapped_out != e.swapped_out ||
	     ev.kept != e.kept || ev.dropped < e.cleaned || ev.dropped + ev.kept > n)) {
		fail(w, "TOYMAP_IOC_EVICT of pages %" PRIu64 "+%" PRIu64 " returned dropped %" PRIu64
		     " written back %" PRIu64 " swapped out %" PRIu64 " kept %" PRIu64 "; the model "
		     "expects %" PRIu64 " written back, %" PRIu64 " swapped out, %" PRIu64 " kept, "
		     "at least %" PRIu64 " dropped (%s)", first, n, U64(ev.dropped),
		     U64(ev.written_back), U64(ev.swapped_out), U64(ev.kept), e.written_back,
		     e.swapped_out, e.kept, e.cleaned, fc_desc(sect, sizeof(sect)));
		return -1;
	}
	if (fc_get_info(w, &after, true) ||
	    fc_check_delta(w, "evictions", fc.info.evictions, after.evictions, ev.dropped,
			   "EVICT", redone) ||
	    fc_check_delta(w, "swap_outs", fc.info.swap_outs, after.swap_outs, e.swapped_out,
			   "EVICT", redone) ||
	    fc_check_delta(w, "write_backs", fc.info.write_backs, after.write_backs,
			   e.written_back, "EVICT", redone) ||
	    fc_check_delta(w, "resident_pages (down)", after.resident_pages,
			   fc.info.resident_pages, ev.dropped, "EVICT", redone))
		return -1;
	fc.info = after;
	if (check_evicted_ptes(w, fobj, first, n))
		return -1;
	return fc_verify_file(w, "EVICT");
}

int fc_evict(struct worker *w)
{
	uint64_t first, n;

	fc_pick_range(w, &first, &n);
	return fc_evict_range(w, first, n, UINT64_MAX);
}

/* DISCARD: the pages go, dirty or not, and their swap copies; a touch reads the file again. */
int fc_discard(struct worker *w)
{
	uint64_t first, n, k;
	int err;

	fc_pick_range(w, &first, &n);
	log_op(w, "discard toymap%u pages %" PRIu64 "+%" PRIu64, fobj->index, first, n);
	err = toymap_discard(fc.fd, first * psz, n * psz);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "TOYMAP_IOC_DISCARD of pages %" PRIu64 "+%" PRIu64 " of toymap%u: %s",
		     first, n, fobj->index, strerror(-err));
		return -1;
	}
	for (k = first; k < min_u64(first + n, FILE_PAGES); k++) {
		fc_fill(k);
		fc.dirty[k] = fc.swapped[k] = fc.resident[k] = false;
	}
	return fc_get_info(w, &fc.info, true);
}

/* MADV_PAGEOUT: reclaim drops clean pages, keeps dirty ones; every byte comes back. */
int fc_pageout(struct worker *w, struct mapping *m)
{
	size_t first, n, i;
	char desc[128];

	pick_range(w, m, 2, &first, &n);
	log_op(w, "madvise %s pages %zu+%zu PAGEOUT, read back", map_desc(w, m, desc, sizeof(desc)),
	       first, n);
	STAT_ADD(w, checks, 1);
	if (madvise(m->addr + first * psz, n * psz, MADV_PAGEOUT) &&
	    !injected(w, errno, INJ_ENOMEM)) {
		fail(w, "madvise(MADV_PAGEOUT) of pages %zu+%zu of map%u: %s", first, n,
		     map_id(w, m), strerror(errno));
		return -1;
	}
	for (i = first; i < first + n; i++)
		if (fc_check_page(w, m, i, "read after MADV_PAGEOUT"))
			return -1;
	return 0;
}

/*
 * MADV_SEQUENTIAL (or, one time in four, NORMAL to take it back), then read
 * the range in order: a page read from the file reads the next ones ahead
 * (toymap_readahead()), and every byte must be the model's.  The advice stays,
 * so later reads, truncations, evictions and self-I/O meet the read-ahead.
 */
int fc_seqread(struct worker *w, struct mapping *m)
{
	bool seq = rnd(w, 4);
	size_t first, n, i;
	char desc[128];
	int err;

	pick_range(w, m, 2, &first, &n);
	log_op(w, "madvise %s pages %zu+%zu %s, read in order", map_desc(w, m, desc, sizeof(desc)),
	       first, n, seq ? "SEQUENTIAL" : "NORMAL");
	STAT_ADD(w, checks, 1);
	/* The model's touches read ahead from now on (fc_touch()), even if it fails half-way. */
	if (seq)
		m->seq = true;
	/* Advice on part of a mapping splits it: that allocation may fail (EAGAIN). */
	err = madvise(m->addr + first * psz, n * psz, seq ? MADV_SEQUENTIAL : MADV_NORMAL) ? errno : 0;
	if (err && !injected(w, err, INJ_ENOMEM | INJ_EAGAIN)) {
		fail(w, "madvise(MADV_%s) of pages %zu+%zu of map%u: %s", seq ? "SEQUENTIAL" : "NORMAL",
		     first, n, map_id(w, m), strerror(err));
		return -1;
	}
	/* NORMAL of the whole mapping, done: no touch reads ahead any more. */
	if (!err && !seq && first == 0 && n == m->pages)
		m->seq = false;
	for (i = first; i < first + n; i++)
		if (fc_check_page(w, m, i, "sequential read"))
			return -1;
	return 0;
}

/* Read object page @k through a mapping of the cycle that maps it, if one does. */
int fc_check_mapped_page(struct worker *w, uint64_t k, const char *what)
{
	unsigned int j;

	for (j = 0; j < MAX_MAPS; j++) {
		struct mapping *m = &w->maps[j];

		if (m->used && k >= m->pgoff && k < m->pgoff + m->pages)
			return fc_check_page(w, m, k - m->pgoff, what);
	}
	return 0;
}

/*
 * May the file bytes [@pos, @pos + @n) change?  Only where the object's
 * page cannot hold them now in a way the model cannot tell: a page that is
 * surely not resident (its next touch reads the file), one with a swap copy
 * (which wins) or a dirty one (resident for sure).  A clean resident page
 * might be reclaimed and read again: not there.
 */
bool fc_poke_safe(uint64_t pos, uint64_t n)
{
	uint64_t b, k;

	for (b = pos; b < pos + n; b++) {
		if (b < fc.off || b - fc.off >= fc.len)
			continue;
		k = (b - fc.off) / psz;
		if (k < FILE_PAGES && fc.resident[k] && !fc.swapped[k] && !fc.dirty[k])
			return false;
	}
	return true;
}

/*
 * Change bytes of the backing file behind the object's back: a page the
 * object does not hold and has no swap copy of shows the change at its next
 * touch (demand paging); bytes outside the section never show.
 */
int fc_poke(struct worker *w)
{
	uint64_t pos = 0, n = 0, b, k, last;
	unsigned int tries, pass;
	int err;
	bool was;

	log_op(w, "poke the backing file");
	if (!fc.fsize) {
		log_more(w, ": empty");
		return 0;
	}
	for (tries = 0; tries < 8; tries++) {
		pos = rnd(w, fc.fsize);
		n = 1 + rnd(w, min_u64(MAX_POKE, fc.fsize - pos));
		if (fc_poke_safe(pos, n))
			break;
	}
	if (tries == 8) {
		log_more(w, ": no byte where a change is well defined");
		return 0;
	}
	fill_nonzero(w, w->buf, n);
	log_more(w, " bytes %" PRIu64 "+%" PRIu64, pos, n);
	/* Not the module's: with injection off. */
	was = fi_pause();
	err = toymap_pwrite_full(fc.file_fd, w->buf, n, (off_t)pos);
	fi_resume(was);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "pwrite of %" PRIu64 " bytes to the backing file: %s", n, strerror(-err));
		return -1;
	}
	memcpy(fc.file + pos, w->buf, n);
	/*
	 * What each page must show first, then read them: the change shows, or
	 * the page the object holds does.  (A read may read the next page ahead.)
	 */
	for (pass = 0; pass < 2; pass++) {
		for (b = pos, last = UINT64_MAX; b < pos + n; b++) {
			if (b < fc.off || b - fc.off >= fc.len)
				continue;
			k = (b - fc.off) / psz;
			if (k >= FILE_PAGES || k == last)
				continue;
			last = k;
			if (pass) {
				if (fc_check_mapped_page(w, k, "read after its bytes in the backing "
							 "file changed"))
					return -1;
			} else if (!fc.resident[k] && !fc.swapped[k] && !fc.dirty[k]) {
				fc_fill(k);
				STAT_ADD(w, pokes_seen, 1);
				log_more(w, ", page %" PRIu64 " must show it", k);
			} else {
				log_more(w, ", page %" PRIu64 " must not", k);
			}
		}
	}
	return 0;
}

/*
 * The swap file of the file-backed object: drop it or set a new one (EBUSY
 * while swapped pages exist), or offer the backing file as the swap file
 * (EINVAL; EBUSY first while pages are swapped).
 */
int fc_swap(struct worker *w)
{
	unsigned int nswapped = fc_swapped_count(), r = (unsigned int)rnd(w, 3);
	int want, err, new_fd = -1;

	if (r == 0) {
		want = nswapped ? EBUSY : EINVAL;
		log_op(w, "swap: the backing file as the swap file (%u swapped pages)", nswapped);
		err = toymap_set_swap(fc.fd, fc.file_fd);
		STAT_ADD(w, checks, 1);
		if (err != -want && injected(w, -err, INJ_IOCTL))
			return 0;
		if (err != -want) {
			fail(w, "TOYMAP_IOC_SET_SWAP of the backing file with %u swapped pages: %s, "
			     "expected %s", nswapped, err ? strerror(-err) : "success",
			     strerror(want));
			return -1;
		}
		STAT_ADD(w, errnos, 1);
		return 0;
	}
	if (fc.swap_fd < 0 || r == 2) {
		bool was = fi_pause();

		new_fd = toymap_temp_file("stress-swap", NULL, 0);
		fi_resume(was);
		if (new_fd < 0) {
			fail(w, "creating a swap file in %s: %s", toymap_temp_dir(),
			     strerror(-new_fd));
			return -1;
		}
	}
	want = nswapped ? EBUSY : 0;
	log_op(w, "swap: %s (%u swapped pages)", new_fd < 0 ? "drop the swap file" :
	       fc.swap_fd < 0 ? "set a swap file" : "a new swap file", nswapped);
	err = toymap_set_swap(fc.fd, new_fd);
	STAT_ADD(w, checks, 1);
	if (err != -want && injected(w, -err, INJ_IOCTL)) {
		/* Refused before any change: redo it, the model has the outcome. */
		bool was = fi_pause();

		err = toymap_set_swap(fc.fd, new_fd);
		fi_resume(was);
	}
	if (err != -want) {
		fail(w, "TOYMAP_IOC_SET_SWAP(%s) with %u swapped pages: %s, expected %s",
		     new_fd < 0 ? "-1" : "a new file", nswapped, err ? strerror(-err) : "success",
		     want ? strerror(want) : "success");
		if (new_fd >= 0)
			close(new_fd);
		return -1;
	}
	if (err) {
		STAT_ADD(w, errnos, 1);
		log_more(w, " -> EBUSY as expected");
		if (new_fd >= 0)
			close(new_fd);
	} else {
		if (fc.swap_fd >= 0)
			close(fc.swap_fd);
		fc.swap_fd = new_fd;
	}
	return fc_get_info(w, &fc.info, true);
}

int fc_verify(struct worker *w)
{
	log_op(w, "verify the backing file");
	return fc_verify_file(w, "nothing in particular");
}

int fc_info(struct worker *w)
{
	log_op(w, "info toymap%u", fobj->index);
	if (fc_get_info(w, &fc.info, true))
		return -1;
	log_more(w, " -> resident %" PRIu64 " file_reads %" PRIu64 " write_backs %" PRIu64
		 " swap_ins %" PRIu64, U64(fc.info.resident_pages), U64(fc.info.file_reads),
		 U64(fc.info.write_backs), U64(fc.info.swap_ins));
	return 0;
}
