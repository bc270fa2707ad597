// SPDX-License-Identifier: GPL-2.0
/*
 * ops_object.c: the operations on a general object: DISCARD, EVICT,
 * fsync, its swap file, INFO, and unloading the module under it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "stress.h"

/*
 * Read up to ZERO_CHECK_PAGES pages of @o from page @first through a new
 * mapping, right after they were discarded (their locks held): every byte
 * must be zero.  A stale byte is data of a freed page reaching user space.
 */
static int read_zero_pages(struct worker *w, struct object *o, int fd, uint64_t first, uint64_t n,
			   const char *after)
{
	size_t pages = n < ZERO_CHECK_PAGES ? n : ZERO_CHECK_PAGES, i, k;
	uint8_t *p;
	int sig;

	p = mmap(NULL, pages * psz, PROT_READ, MAP_SHARED, fd, (off_t)(first * psz));
	if (p == MAP_FAILED) {
		fail(w, "mmap of %zu pages of toymap%u at page %" PRIu64 " (%s): %s", pages,
		     o->index, first, after, strerror(errno));
		return -1;
	}
	for (i = 0; i < pages; i++) {
		sig = guarded_copy(w->buf2, p + i * psz, psz);
		STAT_ADD(w, checks, 1);
		STAT_ADD(w, bytes, psz);
		for (k = 0; !sig && k < psz && !w->buf2[k]; k++)
			;
		if (sig || k < psz) {
			if (sig)
				fail(w, "reading page %" PRIu64 " of toymap%u right after %s: %s",
				     first + i, o->index, after, sig_name(sig));
			else
				fail(w, "page %" PRIu64 " of toymap%u read right after %s is not "
				     "zero: byte +%zu is 0x%02x (stale data reached user space)",
				     first + i, o->index, after, k, w->buf2[k]);
			munmap(p, pages * psz);
			return -1;
		}
		STAT_ADD(w, zero_pages, 1);
	}
	munmap(p, pages * psz);
	return 0;
}

/* ... with injection off: a check. */
static int check_zero_pages(struct worker *w, struct object *o, int fd, uint64_t first, uint64_t n,
			    const char *after)
{
	bool was = fi_pause();
	int ret = read_zero_pages(w, o, fd, first, n, after);

	fi_resume(was);
	return ret;
}

int op_discard(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	uint64_t first, n;
	long mi, nm;
	int err, ret = 0;

	if (!rnd(w, 10))
		return bad_input(w, o, TOYMAP_IOC_DISCARD);
	pick_object_range(w, o, &first, &n);
	modelled_span(o, first, n, &mi, &nm);
	log_op(w, "discard toymap%u pages %" PRIu64 "+%" PRIu64, o->index, first, n);
	if (range_lock(w, o, mi, nm, true))
		return -1;
	err = toymap_discard(o->fd, first * psz, n * psz);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "TOYMAP_IOC_DISCARD of pages %" PRIu64 "+%" PRIu64 " of toymap%u: %s",
		     first, n, o->index, strerror(-err));
		ret = -1;
	} else {
		memset(model_page(o, mi), 0, (size_t)nm * psz);
		if (!rnd(w, 3))
			ret = check_zero_pages(w, o, o->fd_ro, first, n, "DISCARD");
	}
	range_unlock(o, mi, nm);
	return ret;
}

/* The counts an EVICT returned: into the summary and the log entry. */
void count_evict(struct worker *w, const struct toymap_evict *ev)
{
	STAT_ADD(w, evicted[EVICT_DROPPED], ev->dropped);
	STAT_ADD(w, evicted[EVICT_WRITTEN], ev->written_back);
	STAT_ADD(w, evicted[EVICT_SWAPPED], ev->swapped_out);
	STAT_ADD(w, evicted[EVICT_KEPT], ev->kept);
	log_more(w, " -> dropped %" PRIu64 " written back %" PRIu64 " swapped out %" PRIu64
		 " kept %" PRIu64, U64(ev->dropped), U64(ev->written_back),
		 U64(ev->swapped_out), U64(ev->kept));
}

/*
 * Right after EVICT of object pages [@first, @first + @n), no mapping of
 * this thread maps one of them any more (every PTE of the object's pages was
 * zapped), while a private mapping's COW copies stay, anonymous: pagemap
 * says so.  Checks EVICT_PTE_CHECKS pages at most.
 */
int check_evicted_ptes(struct worker *w, const struct object *o, uint64_t first,
			      uint64_t n)
{
	unsigned int budget = EVICT_PTE_CHECKS, k;
	struct toymap_pte pte;
	char desc[128];
	uint64_t p, lo, hi;
	int err;

	for (k = 0; k < MAX_MAPS && budget; k++) {
		struct mapping *m = &w->maps[k];

		if (!m->used || m->obj != o)
			continue;
		lo = first > m->pgoff ? first : m->pgoff;
		hi = first + n < m->pgoff + m->pages ? first + n : m->pgoff + m->pages;
		for (p = lo; p < hi && budget; p++, budget--) {
			size_t i = p - m->pgoff;
			bool cow = !m->shared && m->ps[i].cow;
			uint8_t *addr = m->addr + i * psz;

			err = pagemap_entry(addr, &pte);
			if (err) {
				fail(w, "reading /proc/self/pagemap: %s", strerror(-err));
				return -1;
			}
			STAT_ADD(w, pagemaps, 1);
			STAT_ADD(w, checks, 1);
			if (check_pfn(w, &pte, addr))
				return -1;
			if (cow ? (pte.present && !pte.file) || pte.swapped : !pte.present) {
				STAT_ADD(w, unmapped, 1);
				continue;
			}
			fail(w, "after EVICT of pages %" PRIu64 "+%" PRIu64 ": page %zu of %s at %p "
			     "is %s, expected %s", first, n, i, map_desc(w, m, desc, sizeof(desc)),
			     (void *)addr, !pte.present ? "not present" : pte.file ?
			     "mapped to the object's page" : "an anonymous page",
			     cow ? "its COW copy, present and anonymous" : "no PTE (unmapped)");
			return -1;
		}
	}
	return 0;
}

/*
 * The most pages EVICT of [@first, @first + @n) of @o may count: @n; once
 * large_folios=1 was set, the range widened to whole folios of the largest
 * size, LARGE_FOLIO_PAGES (a large folio is evicted whole).
 */
uint64_t evict_span(const struct object *o, uint64_t first, uint64_t n)
{
	uint64_t end = (first + n + LARGE_FOLIO_PAGES - 1) / LARGE_FOLIO_PAGES * LARGE_FOLIO_PAGES;

	if (!__atomic_load_n(&sh->large_folios, __ATOMIC_ACQUIRE))
		return n;
	return min_u64(end, o->pages) - first / LARGE_FOLIO_PAGES * LARGE_FOLIO_PAGES;
}

/*
 * EVICT a range of a general object, among the other threads' reads and
 * writes: no byte may change (the reads check that), and the counts must add
 * up: an anonymous object writes nothing back; no more pages dropped, nor
 * swapped out and kept together, than the range holds, widened to whole
 * large folios (large_folios=1: a folio of up to 512 pages is evicted whole).  (A dirty page with
 * the swap file set is swapped out, unless the module keeps it for a reason
 * of its own, such as a write through a pin in progress: the attach cycle,
 * where nothing runs beside the EVICT, predicts each count exactly.)
 */
int op_evict(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	uint64_t first, n, span;
	struct toymap_evict ev;
	int err;

	if (!rnd(w, 10))
		return bad_input(w, o, TOYMAP_IOC_EVICT);
	pick_object_range(w, o, &first, &n);
	log_op(w, "evict toymap%u pages %" PRIu64 "+%" PRIu64, o->index, first, n);
	if (swap_lock(w, o, false))
		return -1;
	err = toymap_evict(o->fd, first * psz, n * psz, &ev);
	swap_unlock(o);
	STAT_ADD(w, checks, 1);
	/*
	 * A failed EVICT returns no counts; the pages it saved before the
	 * failure stay, clean (a failed save leaves the page dirty); none was
	 * dropped.  The reads of every thread check that no byte changed.
	 */
	if (err && injected(w, -err, INJ_IOCTL))
		return 0;
	if (err) {
		fail(w, "TOYMAP_IOC_EVICT of pages %" PRIu64 "+%" PRIu64 " of toymap%u: %s",
		     first, n, o->index, strerror(-err));
		return -1;
	}
	count_evict(w, &ev);
	STAT_ADD(w, checks, 1);
	span = evict_span(o, first, n);
	if (ev.written_back || ev.dropped > span || ev.swapped_out + ev.kept > span) {
		fail(w, "TOYMAP_IOC_EVICT of pages %" PRIu64 "+%" PRIu64 " of toymap%u "
		     "(anonymous, swap file set) returned dropped %" PRIu64 " written back %"
		     PRIu64 " swapped out %" PRIu64 " kept %" PRIu64 ": expected nothing written "
		     "back, at most %" PRIu64 " pages dropped, at most %" PRIu64 " swapped out "
		     "and kept", first, n, o->index, U64(ev.dropped), U64(ev.written_back),
		     U64(ev.swapped_out), U64(ev.kept), span, span);
		return -1;
	}
	return check_evicted_ptes(w, o, first, n);
}

/* fsync and fdatasync of a general object: 0 (an anonymous object has nothing to write). */
int op_fsync(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	bool data = rnd(w, 2), ro = !rnd(w, 3);
	int fd = ro ? o->fd_ro : o->fd, err;

	log_op(w, "%s toymap%u%s", data ? "fdatasync" : "fsync", o->index,
	       ro ? " through an O_RDONLY fd" : "");
	err = (data ? fdatasync(fd) : fsync(fd)) ? errno : 0;
	STAT_ADD(w, checks, 1);
	/* An injected failure is redone with injection off, which must succeed. */
	if (err && injected(w, err, INJ_ENOMEM)) {
		bool was = fi_pause();

		err = (data ? fdatasync(fd) : fsync(fd)) ? errno : 0;
		fi_resume(was);
		log_more(w, ", redone: %s", err ? strerror(err) : "done");
	}
	if (err) {
		fail(w, "%s of /dev/toymap%u: %s, expected success", data ? "fdatasync" : "fsync",
		     o->index, strerror(err));
		return -1;
	}
	return 0;
}

/*
 * Give general object @o a new swap file whose name stays in @o->swap_path
 * (the file is unlinked only when replaced and at the end), so that the
 * attach cycle can offer it to its own object: EBUSY (issue 9 (7)).  The
 * caller holds the swap lock exclusive, or runs alone.  0 or -errno.
 */
int set_general_swap(struct object *o)
{
	char path[PATH_MAX];
	int fd = toymap_temp_file("stress-swap", path, sizeof(path)), err;

	if (fd < 0)
		return fd;
	err = toymap_set_swap(o->fd, fd);
	close(fd);
	if (err) {
		unlink(path);
		return err;
	}
	if (o->swap_path[0])
		unlink(o->swap_path);
	snprintf(o->swap_path, PATH_MAX, "%s", path);
	return 0;
}

/*
 * Try to drop the swap file of a general object (no EVICT runs meanwhile):
 * EBUSY while it holds swapped pages (INFO.swapped_pages), done when none
 * (a DISCARD may have freed them meanwhile); then set a new one.
 */
static int swap_drop(struct worker *w, struct object *o)
{
	struct toymap_info before, after;
	int err, ret = -1;
	bool was = false;

	log_op(w, "swap toymap%u: drop the swap file", o->index);
	if (swap_lock(w, o, true))
		return -1;
	err = toymap_get_info(o->fd, &before);
	if (err && injected(w, -err, INJ_IOCTL)) {
		ret = 0;
		goto out;
	}
	if (err) {
		fail(w, "TOYMAP_IOC_INFO on toymap%u: %s", o->index, strerror(-err));
		goto out;
	}
	STAT_ADD(w, checks, 1);
	if (!(before.backing_flags & TOYMAP_BACKING_SWAP) ||
	    (before.backing_flags & TOYMAP_BACKING_FILE)) {
		fail(w, "toymap%u: INFO.backing_flags %#x, expected a swap file and no file",
		     o->index, before.backing_flags);
		goto out;
	}
	err = toymap_set_swap(o->fd, -1);
	log_more(w, " (%" PRIu64 " swapped pages) -> %s", U64(before.swapped_pages),
		 err ? strerror(-err) : "dropped");
	STAT_ADD(w, checks, 1);
	if (err && err != -EBUSY && injected(w, -err, INJ_IOCTL)) {
		ret = 0;
		goto out;
	}
	if (err == -EBUSY && before.swapped_pages) {
		STAT_ADD(w, swap_busy, 1);
		STAT_ADD(w, errnos, 1);
		ret = 0;
		goto out;
	}
	if (err) {
		fail(w, "TOYMAP_IOC_SET_SWAP(-1) on toymap%u with %" PRIu64 " swapped pages: %s, "
		     "expected %s", o->index, U64(before.swapped_pages), strerror(-err),
		     before.swapped_pages ? "EBUSY" : "success");
		goto out;
	}
	/* Dropped: a new one must be set, whatever happens (injection off). */
	was = fi_pause();
	err = toymap_get_info(o->fd, &after);
	STAT_ADD(w, checks, 1);
	if (err || after.swapped_pages || (after.backing_flags & TOYMAP_BACKING_SWAP)) {
		fail(w, "toymap%u after its swap file was dropped: %s, swapped_pages %" PRIu64
		     ", backing_flags %#x", o->index, err ? strerror(-err) : "INFO done",
		     U64(after.swapped_pages), after.backing_flags);
		goto out;
	}
	err = set_general_swap(o);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "TOYMAP_IOC_SET_SWAP of a new swap file on toymap%u: %s", o->index,
		     strerror(-err));
		goto out;
	}
	STAT_ADD(w, swap_drops, 1);
	ret = 0;
out:
	fi_resume(was);
	swap_unlock(o);
	return ret;
}

int op_swap(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];

	return rnd(w, 2) ? bad_input(w, o, TOYMAP_IOC_SET_SWAP) : swap_drop(w, o);
}

/* Counters only grow: compare with what this thread saw last time. */
static int check_counters(struct worker *w, const struct object *o, const struct toymap_info *old,
			  const struct toymap_info *info)
{
	size_t f;

	for (f = 0; f < toymap_info_nfields; f++) {
		const struct toymap_field *field = &toymap_info_fields[f];
		uint64_t was = toymap_info_value(old, field), is = toymap_info_value(info, field);

		if (field->kind != TOYMAP_FIELD_COUNTER || is >= was)
			continue;
		fail(w, "toymap%u counter %s went down: %" PRIu64 " then %" PRIu64, o->index,
		     field->name, was, is);
		return -1;
	}
	return 0;
}

int op_info(struct worker *w)
{
	unsigned int k = (unsigned int)rnd(w, nobj);
	struct object *o = &objs[k];
	struct toymap_info info;
	int err;

	if (!rnd(w, 8))
		return bad_input(w, o, TOYMAP_IOC_INFO);
	log_op(w, "info toymap%u", o->index);
	err = toymap_get_info(o->fd, &info);
	STAT_ADD(w, checks, 1);
	if (err && injected(w, -err, INJ_IOCTL))
		return 0;
	if (err) {
		fail(w, "TOYMAP_IOC_INFO on toymap%u: %s", o->index, strerror(-err));
		return -1;
	}
	if (info.size != sizeof(info) || info.index != o->index ||
	    info.object_size != o->pages * psz || info.resident_pages > o->pages ||
	    info.module_pages > info.max_pages + MODULE_PAGES_SLACK) {
		fail(w, "TOYMAP_IOC_INFO on toymap%u: size %u index %u object_size %" PRIu64
		     " resident %" PRIu64 " module_pages %" PRIu64 " max_pages %" PRIu64
		     ": inconsistent", o->index, info.size, info.index, U64(info.object_size),
		     U64(info.resident_pages), U64(info.module_pages), U64(info.max_pages));
		return -1;
	}
	if (w->seen[k].size && check_counters(w, o, &w->seen[k], &info))
		return -1;
	w->seen[k] = info;
	log_more(w, " -> resident %" PRIu64 " faults %" PRIu64 " opens %" PRIu64 " closes %"
		 PRIu64, U64(info.resident_pages), U64(info.faults), U64(info.vma_opens),
		 U64(info.vma_closes));
	return 0;
}

/*
 * Switch large_folios on or off (root; another user gets EACCES): folios of
 * 16 KiB to 2 MiB come and go in the general objects under every other
 * operation (madvise draws MADV_HUGEPAGE, a run of touches grows them), and
 * stay when it is switched off.  The reads check that no byte changes;
 * op_evict() allows for a folio evicted whole.  The start's value comes
 * back at the end (main.c).
 */
int op_folios(struct worker *w)
{
	bool on = rnd(w, 2);
	int err;

	log_op(w, "large_folios=%d", on);
	/* Before any large folio can exist: op_evict() allows for them from now on. */
	if (on)
		__atomic_store_n(&sh->large_folios, 1, __ATOMIC_RELEASE);
	err = toymap_param_set("large_folios", on ? "1" : "0");
	STAT_ADD(w, checks, 1);
	if (err && injected(w, -err, INJ_ENOMEM))
		return 0;
	/* A kernel without THP has no large folios: the module says EINVAL. */
	if (on && err == -EINVAL && !cfg.has_thp) {
		STAT_ADD(w, errnos, 1);
		log_more(w, " -> EINVAL, no THP");
		return 0;
	}
	if (err == -EACCES && geteuid()) {
		STAT_ADD(w, errnos, 1);
		log_more(w, " -> EACCES, not root");
		return 0;
	}
	if (err) {
		fail(w, "setting the parameter large_folios=%d: %s", on, strerror(-err));
		return -1;
	}
	return 0;
}

/*
 * Unloading while devices are open: libtoymap (as rmmod) sees the module in
 * use and says EBUSY; without CAP_SYS_MODULE the kernel itself refuses
 * delete_module() with EPERM first.
 */
int op_unload(struct worker *w)
{
	bool was;
	int err;

	log_op(w, "unload");
	/* libkmod reads /proc and /sys: with injection off, so that it answers EBUSY. */
	was = fi_pause();
	err = toymap_unload();
	fi_resume(was);
	STAT_ADD(w, checks, 1);
	if (err != -EBUSY) {
		fail(w, "toymap_unload() while devices are open: %s, expected EBUSY%s",
		     err ? strerror(-err) : "success",
		     err ? "" : " -- THE MODULE WAS UNLOADED UNDER LIVE MAPPINGS");
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> EBUSY as expected");
	if (cfg.can_unload)
		return 0;
	err = syscall(SYS_delete_module, TOYMAP_MODULE_NAME, O_NONBLOCK) ? errno : 0;
	STAT_ADD(w, checks, 1);
	if (err != EPERM) {
		fail(w, "delete_module(\"%s\") without CAP_SYS_MODULE: %s, expected EPERM%s",
		     TOYMAP_MODULE_NAME, err ? strerror(err) : "success",
		     err ? "" : " -- THE MODULE WAS UNLOADED UNDER LIVE MAPPINGS");
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, "; delete_module -> EPERM as expected");
	return 0;
}
