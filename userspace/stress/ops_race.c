// SPDX-License-Identifier: GPL-2.0
/*
 * ops_race.c: a write racing a DISCARD or EVICTs of its page in a second
 * thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "stress.h"

/*
 * The other side of op_race(): DISCARD one page as soon as told to, or EVICT
 * it again and again until the write is done.
 */
struct racer {
	struct object *obj;
	uint64_t pgoff;
	bool evict;		/* EVICT in a loop, not one DISCARD */
	int go;			/* set when the write starts */
	int writer_done;	/* set when the write is done (the EVICT loop ends) */
	int done;		/* set when the DISCARD (the last EVICT) returned */
	int err;		/* toymap_discard()'s or toymap_evict()'s result */
	unsigned int evicts;	/* EVICTs done */
	bool bad_counts;	/* an EVICT returned inconsistent counts: @bad */
	struct toymap_evict bad;
	unsigned int inj_enomem;	/* --fail-alloc: failures injection explains */
	unsigned int inj_efault;
};

/* The racer's injected(): an EVICT's -errno @err an injected failure explains. */
static bool racer_injected(struct racer *r, int err)
{
	if (!fi_on || (err != -ENOMEM && err != -EFAULT))
		return false;
	if (err == -ENOMEM)
		r->inj_enomem++;
	else
		r->inj_efault++;
	return true;
}

/* Add the racer's injected failures to the thread's. */
static void racer_count(struct worker *w, const struct racer *r)
{
	STAT_ADD(w, inj_enomem, r->inj_enomem);
	STAT_ADD(w, inj_efault, r->inj_efault);
	if (r->inj_enomem + r->inj_efault)
		log_more(w, " (racer: %u ENOMEM, %u EFAULT injected)", r->inj_enomem, r->inj_efault);
}

/* EVICT one page until the writer is done; 0 or -errno. */
static int racer_evict(struct racer *r)
{
	uint64_t span = evict_span(r->obj, r->pgoff, 1);
	struct toymap_evict ev;
	int err;

	do {
		err = pthread_rwlock_rdlock(r->obj->swap_lock);
		if (err)
			return -err;
		err = toymap_evict(r->obj->fd, r->pgoff * psz, psz, &ev);
		pthread_rwlock_unlock(r->obj->swap_lock);
		if (err && racer_injected(r, err))
			continue;
		if (err)
			return err;
		r->evicts++;
		/*
		 * One page of an anonymous object: nothing written back, at
		 * most one page, or the large folio that holds it.
		 */
		if (!r->bad_counts && (ev.written_back || ev.kept + ev.swapped_out > span ||
				       ev.dropped > span)) {
			r->bad = ev;
			r->bad_counts = true;
		}
		sched_yield();
	} while (!__atomic_load_n(&r->writer_done, __ATOMIC_ACQUIRE));
	return 0;
}

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	unsigned int spins = 0;

	fi_start();
	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		if (++spins % 64 == 0)
			sched_yield();
	if (r->evict) {
		r->err = racer_evict(r);
	} else {
		/* DISCARD allocates nothing: any error fails the race, as in op_discard(). */
		r->err = toymap_discard(r->obj->fd, r->pgoff * psz, psz);
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	fi_stop();
	return NULL;
}

/*
 * After a shared write of @b over the whole page raced a DISCARD of it, the
 * object's page must be zero up to a cut and @b from it: the stores before
 * the cut went to the old page (freed), the ones after it to the new page.
 * Old bytes are stale data; a zero after a stored byte is a lost write.
 * Returns the cut, or -1.
 */
static long race_cut(const uint8_t *got, const uint8_t *b)
{
	size_t cut = psz, k;

	while (cut > 0 && got[cut - 1] == b[cut - 1])
		cut--;
	for (k = 0; k < cut; k++)
		if (got[k])
			return -1;
	return (long)cut;
}

/* The private side: the object page must be zero, the private page whole. */
static int race_check_private(struct worker *w, struct mapping *m, size_t i, const uint8_t *obj,
			      const uint8_t *priv, const uint8_t *old, size_t half)
{
	size_t k;
	bool was_old = true, was_zero = true;

	for (k = 0; k < psz; k++) {
		if (obj[k]) {
			fail(w, "race: after DISCARD, byte +%zu of object page %" PRIu64 " is 0x%02x, "
			     "not zero", k, m->pgoff + i, obj[k]);
			return -1;
		}
	}
	if (memcmp(priv, w->buf, half)) {
		fail(w, "race: the private write to page %zu of map%u is not in its page", i,
		     map_id(w, m));
		return -1;
	}
	/* The rest is the copy: all old (COW before DISCARD) or all zero (after). */
	for (k = half; k < psz; k++) {
		was_old &= priv[k] == old[k];
		was_zero &= !priv[k];
	}
	/* A page copied before the race keeps its copy: DISCARD leaves COW pages alone. */
	if (!was_old && (m->ps[i].cow || !was_zero)) {
		fail(w, "race: the private page %zu of map%u (%s before the race) is %s", i,
		     map_id(w, m), m->ps[i].cow ? "a COW copy" : "not copied yet",
		     m->ps[i].cow ? "not its copy any more" :
		     "neither a copy of the page before the DISCARD nor of a zero page");
		return -1;
	}
	return 0;
}

/*
 * Before a race on page @i of @m: a non-zero pattern in the object through
 * @obj_view (the model's page too), @old what the page of @m holds then, and
 * w->buf @len bytes to write.  0, or -1 after a failure report.
 */
static int race_fill(struct worker *w, struct mapping *m, size_t i, long mi, uint8_t *obj_view,
		     uint8_t *old, size_t len)
{
	int sig;

	fill_nonzero(w, w->buf2, psz);
	fill_nonzero(w, w->buf, len);
	sig = guarded_copy(obj_view, w->buf2, psz);
	if (sig) {
		fail(w, "race: %s filling object page %" PRIu64, sig_name(sig), m->pgoff + i);
		return -1;
	}
	memcpy(model_page(m->obj, mi), w->buf2, psz);
	memcpy(old, expected_page(m, i, mi), psz);
	return 0;
}

/* After a race: object page @pgoff into @obj (through @obj_view), and @page into @view. */
static int race_read_back(struct worker *w, const uint8_t *obj_view, uint8_t *obj,
			  const uint8_t *page, uint8_t *view, uint64_t pgoff)
{
	int sig = guarded_copy(obj, obj_view, psz);

	if (!sig)
		sig = guarded_copy(view, page, psz);
	if (sig)
		fail(w, "race: %s reading object page %" PRIu64 " back", sig_name(sig), pgoff);
	return sig ? -1 : 0;
}

/*
 * Start the racer, write @len bytes of w->buf at @page while it discards,
 * join.  0; 1 when no thread could be started (injected: nothing written).
 */
static int race_run(struct worker *w, struct racer *r, uint8_t *page, size_t len, size_t *seen)
{
	pthread_t tid;
	int sig, err;

	err = pthread_create(&tid, NULL, racer_main, r);
	if (err && injected(w, err, INJ_ENOMEM | INJ_EAGAIN))
		return 1;
	if (err) {
		fail(w, "race: pthread_create: %s", strerror(err));
		return -1;
	}
	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
	sig = guarded_copy_paced(page, w->buf, len, &r->done, seen);
	pthread_join(tid, NULL);
	racer_count(w, r);
	STAT_ADD(w, races, 1);
	STAT_ADD(w, checks, 1);
	if (sig || r->err) {
		fail(w, "race: the write to object page %" PRIu64 ": %s; the DISCARD: %s", r->pgoff,
		     sig_name(sig), r->err ? strerror(-r->err) : "done");
		return -1;
	}
	return 0;
}

/* The shared side: the cut, and the racing mapping shows the object's page. */
static int race_check_shared(struct worker *w, struct mapping *m, size_t i, long mi,
			     const uint8_t *obj, const uint8_t *view, size_t seen)
{
	long cut = race_cut(obj, w->buf);

	if (cut < 0) {
		report_mismatch(w, m, i, 0, obj, w->buf, psz, "race: after a write raced DISCARD, "
				"the object page holds bytes that are neither zero nor the write's; "
				"the page vs the write (expected)");
		return -1;
	}
	log_more(w, " -> cut at +%ld, discard seen done at +%zu", cut, seen);
	if (cut > (long)seen) {
		fail(w, "race: page %zu of map%u: the bytes written from +%zu on, after the DISCARD "
		     "had returned, are lost (zero up to +%ld): a write went to the freed page", i,
		     map_id(w, m), seen, cut);
		return -1;
	}
	if (cut > 0 && cut < (long)psz)
		STAT_ADD(w, race_cuts, 1);
	memcpy(model_page(m->obj, mi), obj, psz);
	return compare(w, m, i, mi, 0, view, psz, "read after the race");
}

/* The private side passed: the object page is zero, the private page a COW copy. */
static int race_note_private(struct worker *w, struct mapping *m, size_t i, long mi,
			     const uint8_t *view, const uint8_t *old, size_t half)
{
	struct page_state *ps = &m->ps[i];

	memset(model_page(m->obj, mi), 0, psz);
	if (!ps->cow) {
		ps->shadow = xmalloc(psz);
		if (!ps->shadow) {
			fail(w, "out of memory");
			return -1;
		}
		ps->cow = true;
		STAT_ADD(w, cows, 1);
	}
	memcpy(ps->shadow, view, psz);
	log_more(w, " -> private copy of the %s page", memcmp(view + half, old + half, psz - half) ?
		 "zero" : "old");
	return 0;
}

/*
 * The thread's write races a DISCARD of the same page by a helper thread:
 * the module's page_mkwrite and fault paths against truncation, which the
 * other operations never let overlap (they lock the page).  The page is
 * first filled with a non-zero pattern through a second, shared mapping, so
 * stale bytes show.  Shared: check the cut; private: the object page is zero
 * and the private page is the write over a whole copy.  @obj_view is the
 * second mapping, @old and @view buffers of a page.
 */
static int race_page(struct worker *w, struct mapping *m, size_t i, long mi, uint8_t *obj_view,
		     uint8_t *old, uint8_t *view)
{
	size_t half = m->shared ? psz : psz / 2, seen;
	struct racer r = { .obj = m->obj, .pgoff = m->pgoff + i };
	uint8_t *page = m->addr + i * psz;
	int sig;

	if (race_fill(w, m, i, mi, obj_view, old, half))
		return -1;

	sig = race_run(w, &r, page, half, &seen);
	if (sig)
		return sig < 0 ? -1 : 0;
	/* What the object holds now, and what the racing mapping shows. */
	if (race_read_back(w, obj_view, w->buf2, page, view, r.pgoff))
		return -1;
	if (m->shared)
		return race_check_shared(w, m, i, mi, w->buf2, view, seen);
	if (race_check_private(w, m, i, w->buf2, view, old, half))
		return -1;
	return race_note_private(w, m, i, mi, view, old, half);
}

/*
 * The write for race_evict_page(): @len bytes of w->buf to @page, 32 bytes at
 * a time with a yield between (CPU stores), or RACE_CHUNK bytes at a time
 * through process_vm_writev (@gup: the kernel writes through a pinned page).
 * Returns 0, a signal, or -1 after a failure report.
 */
static int race_evict_write(struct worker *w, uint8_t *page, size_t len, bool gup)
{
	static const int never;
	size_t seen, k, n;
	ssize_t done;

	if (!gup)
		return guarded_copy_paced(page, w->buf, len, &never, &seen);
	for (k = 0; k < len; k += n) {
		n = len - k < RACE_CHUNK ? len - k : RACE_CHUNK;
		/* Injected: the chunk is redone without injection, the race needs every byte. */
		done = gup_xfer_all(w, true, w->buf + k, page + k, n);
		if (done != (ssize_t)n) {
			fail(w, "race: process_vm_writev of %zu bytes at %p: %zd (%s)", n,
			     (void *)(page + k), done, done < 0 ? strerror(errno) : "short");
			return -1;
		}
		sched_yield();
	}
	return 0;
}

/*
 * The thread's write races EVICTs of the same page by a helper thread, which
 * evicts it again and again until the write is done: the write-back, the
 * swap file and the swap-in against page_mkwrite, a CPU store or a pinned
 * page (GUP).  EVICT must lose nothing: a shared write is all in the object
 * after; a private one is all in the private page, over a copy of the
 * object's page, which stays as it was.  @obj_view is a second, shared
 * mapping of the page; @old, @view and @now buffers of a page.
 */
static int race_evict_page(struct worker *w, struct mapping *m, size_t i, long mi,
			   uint8_t *obj_view, uint8_t *old, uint8_t *view, uint8_t *now)
{
	size_t len = m->shared ? psz : psz / 2;
	struct racer r = { .obj = m->obj, .pgoff = m->pgoff + i, .evict = true };
	uint8_t *page = m->addr + i * psz;
	bool gup = rnd(w, 2);
	pthread_t tid;
	int sig, err;

	log_more(w, " (evict, %s)", gup ? "process_vm_writev" : "stores");
	if (race_fill(w, m, i, mi, obj_view, old, len))
		return -1;

	err = pthread_create(&tid, NULL, racer_main, &r);
	if (err && injected(w, err, INJ_ENOMEM | INJ_EAGAIN))
		return 0;
	if (err) {
		fail(w, "race: pthread_create: %s", strerror(err));
		return -1;
	}
	__atomic_store_n(&r.go, 1, __ATOMIC_RELEASE);
	sig = race_evict_write(w, page, len, gup);
	__atomic_store_n(&r.writer_done, 1, __ATOMIC_RELEASE);
	pthread_join(tid, NULL);
	racer_count(w, &r);
	STAT_ADD(w, evict_races, 1);
	STAT_ADD(w, race_evicts, r.evicts);
	STAT_ADD(w, checks, 1);
	if (sig < 0)
		return -1;
	if (sig || r.err) {
		fail(w, "race: the write to object page %" PRIu64 ": %s; the EVICTs: %s", r.pgoff,
		     sig_name(sig), r.err ? strerror(-r.err) : "done");
		return -1;
	}
	if (r.bad_counts) {
		fail(w, "race: EVICT of one page of toymap%u (anonymous, swap file set) returned "
		     "dropped %" PRIu64 " written back %" PRIu64 " swapped out %" PRIu64 " kept %"
		     PRIu64 ": expected nothing written back, at most %" PRIu64 " pages dropped "
		     "(the page's large folio), and as many swapped out or kept", m->obj->index,
		     U64(r.bad.dropped), U64(r.bad.written_back), U64(r.bad.swapped_out),
		     U64(r.bad.kept), evict_span(r.obj, r.pgoff, 1));
		return -1;
	}
	log_more(w, " -> %u evicts", r.evicts);
	if (race_read_back(w, obj_view, now, page, view, r.pgoff))
		return -1;
	if (m->shared) {
		/* Every byte written, in the object and in the racing mapping. */
		memcpy(model_page(m->obj, mi), w->buf, psz);
		if (compare(w, m, i, mi, 0, now, psz, "race: the object page after a write "
			    "raced EVICT (lost bytes?)"))
			return -1;
		return compare(w, m, i, mi, 0, view, psz, "race: the racing mapping after EVICT");
	}
	/* The object as it was; the private page: the write over the copy. */
	STAT_ADD(w, checks, 1);
	if (memcmp(now, model_page(m->obj, mi), psz)) {
		report_mismatch(w, m, i, 0, now, model_page(m->obj, mi), psz, "race: the object "
				"page (read through a second, shared mapping) after a private write "
				"raced EVICT");
		return -1;
	}
	memcpy(old, w->buf, len);
	if (memcmp(view, old, psz)) {
		report_mismatch(w, m, i, 0, view, old, psz, "race: the private page after its "
				"write raced EVICT");
		return -1;
	}
	if (!m->ps[i].cow) {
		m->ps[i].shadow = xmalloc(psz);
		if (!m->ps[i].shadow) {
			fail(w, "out of memory");
			return -1;
		}
		m->ps[i].cow = true;
		STAT_ADD(w, cows, 1);
	}
	memcpy(m->ps[i].shadow, view, psz);
	return 0;
}

int op_race(struct worker *w, struct mapping *m)
{
	size_t i = rnd(w, m->pages);
	long mi = model_index(m->obj, m->pgoff + i);
	bool evict = cfg.ops[OP_EVICT] && !rnd(w, 3);
	uint8_t *obj_view, *old, *view, *now;
	char desc[128];
	struct target t;
	int ret = -1;

	log_op(w, "race %s page %zu: write vs %s", map_desc(w, m, desc, sizeof(desc)), i,
	       evict ? "evict" : "discard");
	if (mi < 0 || m->ps[i].prot != (PROT_READ | PROT_WRITE)) {
		/* Not a writable page of the object: read it instead. */
		log_more(w, " (not writable: a read)");
		t = (struct target) { .m = m, .page = i, .mi = mi, .len = psz,
				      .addr = m->addr + i * psz };
		return check_read(w, &t);
	}
	old = xmalloc(psz);
	view = xmalloc(psz);
	now = xmalloc(psz);
	obj_view = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, m->obj->fd,
			(off_t)((m->pgoff + i) * psz));
	if (obj_view == MAP_FAILED && injected(w, errno, INJ_ENOMEM)) {
		ret = 0;
		goto out;
	}
	if (!old || !view || !now || obj_view == MAP_FAILED) {
		fail(w, "race: no memory, or mmap of the object page: %s", strerror(errno));
		goto out;
	}
	if (page_lock(w, m->obj, mi, true))
		goto out;
	if (evict)
		ret = race_evict_page(w, m, i, mi, obj_view, old, view, now);
	else
		ret = race_page(w, m, i, mi, obj_view, old, view);
	page_unlock(m->obj, mi);
out:
	if (obj_view != MAP_FAILED) {
		bool was = fi_pause();	/* it must go */

		munmap(obj_view, psz);
		fi_resume(was);
	}
	free(now);
	free(view);
	free(old);
	return ret;
}
