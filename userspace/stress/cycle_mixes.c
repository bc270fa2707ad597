// SPDX-License-Identifier: GPL-2.0
/*
 * cycle_mixes.c: the attach cycle's mixes (issue 9): file I/O from a
 * mapping into its own backing file and truncation of that file, beside
 * EVICT, fsync or faults in a second thread; a page held in a pipe across
 * EVICT; one swap file offered to two objects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "cycle.h"

/* What runs beside a mix's main step, in a second thread of the attach cycle. */
enum fc_side_kind { SIDE_NONE, SIDE_EVICT, SIDE_FSYNC, SIDE_FAULT, NR_SIDES };

static const char *const side_names[NR_SIDES] = {
	[SIDE_NONE] = "nothing", [SIDE_EVICT] = "EVICT", [SIDE_FSYNC] = "fsync",
	[SIDE_FAULT] = "faults",
};

/*
 * struct fc_side - the step beside a mix's main step (both with injection off)
 * @kind:	what it is
 * @first:	EVICT: its range; faults: the pages read, less @skip
 * @n:		... its pages
 * @skip:	faults: pages whose bytes the main step makes uncertain
 * @map:	faults: a shared read-only mapping of pages [0, FILE_PAGES)
 * @seen:	faults: FILE_PAGES pages, what each read returned
 * @e:		EVICT, fsync: what the model predicts
 * @ev:		EVICT: what it returned
 * @err:	the EVICT's or fsync's errno, or the signal a read got
 * @finished:	set when the side step is done (the main step repeats until then)
 */
struct fc_side {
	enum fc_side_kind kind;
	uint64_t first;
	uint64_t n;
	bool skip[FILE_PAGES];
	uint8_t *map;
	uint8_t *seen;
	struct fc_evict_counts e;
	struct toymap_evict ev;
	int err;
	int finished;
	pthread_t tid;
};

static void *fc_side_main(void *arg)
{
	struct fc_side *sd = arg;
	uint64_t k;

	if (sd->kind == SIDE_EVICT)
		sd->err = -toymap_evict(fc.fd, sd->first * psz, sd->n * psz, &sd->ev);
	else if (sd->kind == SIDE_FSYNC)
		sd->err = fsync(fc.fd) ? errno : 0;
	for (k = sd->first; sd->kind == SIDE_FAULT && k < sd->first + sd->n && !sd->err; k++)
		if (!sd->skip[k])
			sd->err = guarded_copy(sd->seen + k * psz, sd->map + k * psz, psz);
	__atomic_store_n(&sd->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A side step, EVICT and fsync twice as often as the others. */
static enum fc_side_kind fc_side_kind(struct worker *w)
{
	static const enum fc_side_kind kinds[] = {
		SIDE_NONE, SIDE_EVICT, SIDE_EVICT, SIDE_FSYNC, SIDE_FSYNC, SIDE_FAULT,
	};

	return kinds[rnd(w, ARRAY_SIZE(kinds))];
}

/*
 * Pick the side step: @kind, its range; EVICT's range from fc_pick_range(),
 * or half the time a few pages around object page @near (if below FILE_PAGES).
 */
static void fc_side_pick(struct worker *w, struct fc_side *sd, enum fc_side_kind kind,
			 uint64_t near)
{
	sd->kind = kind;
	if (kind == SIDE_EVICT && near < FILE_PAGES && rnd(w, 2)) {
		sd->first = near - rnd(w, min_u64(near, 4) + 1);
		sd->n = near - sd->first + 1 + rnd(w, min_u64(FILE_PAGES - near, 4));
	} else if (kind == SIDE_EVICT) {
		fc_pick_range(w, &sd->first, &sd->n);
	} else if (kind == SIDE_FAULT) {
		sd->first = rnd(w, FILE_PAGES);
		sd->n = 1 + rnd(w, FILE_PAGES - sd->first);
	}
}

/* Does the side step save (write back or swap out) object page @k? */
static bool fc_side_saves(const struct fc_side *sd, uint64_t k)
{
	return k < FILE_PAGES && fc.dirty[k] &&
	       (sd->kind == SIDE_FSYNC ||
		(sd->kind == SIDE_EVICT && k >= sd->first && k - sd->first < sd->n));
}

/* Object page whose section holds file byte @b, or UINT64_MAX. */
static uint64_t fc_page_of(uint64_t b)
{
	return b < fc.off || b - fc.off >= fc.len ? UINT64_MAX : (b - fc.off) / psz;
}

/* May the side step write file byte @b (a page it saves holds it)? */
static bool fc_side_writes(const struct fc_side *sd, uint64_t b)
{
	uint64_t k = fc_page_of(b);

	return k != UINT64_MAX && fc_side_saves(sd, k);
}

/*
 * Start the side step, its effect on the model applied first: the main
 * steps of the mixes are chosen so that the order does not matter.
 */
static int fc_side_start(struct worker *w, struct fc_side *sd)
{
	memset(&sd->e, 0, sizeof(sd->e));
	if (sd->kind == SIDE_EVICT)
		fc_evict_model(sd->first, sd->n, &sd->e);
	else if (sd->kind == SIDE_FSYNC)
		sd->e.written_back = fc_sync_model(0, FILE_PAGES);
	if (sd->kind == SIDE_FAULT) {
		sd->seen = xmalloc(FILE_PAGES * psz);
		sd->map = fc_mmap_locked(w, FILE_PAGES * psz, PROT_READ, MAP_SHARED, fc.fd, 0);
		if (!sd->seen || sd->map == MAP_FAILED) {
			fail(w, "the faults beside the mix: %s", sd->seen ? strerror(errno) :
			     "out of memory");
			free(sd->seen);
			sd->seen = NULL;
			sd->kind = SIDE_NONE;
			return -1;
		}
	}
	if (sd->kind == SIDE_NONE)
		return 0;
	sd->err = pthread_create(&sd->tid, NULL, fc_side_main, sd);
	if (sd->err)
		fail(w, "pthread_create: %s", strerror(sd->err));
	return sd->err ? -1 : 0;
}

/*
 * Join the side step and check it: EVICT's counts as the model predicts
 * (@slack pages may be kept, not dropped: the main step may hold them
 * mapped for a moment), the faults' reads against the model.
 */
static int fc_side_finish(struct worker *w, struct fc_side *sd, uint64_t slack)
{
	const struct fc_evict_counts *e = &sd->e;
	const struct toymap_evict *ev = &sd->ev;
	char sect[128];
	uint64_t k;
	int ret = 0;

	if (sd->kind == SIDE_NONE)
		return 0;
	pthread_join(sd->tid, NULL);
	STAT_ADD(w, checks, 1);
	if (sd->kind == SIDE_FAULT) {
		for (k = sd->first; !ret && !sd->err && k < sd->first + sd->n; k++) {
			if (sd->skip[k])
				continue;
			fc_touch_page(k);
			STAT_ADD(w, bytes, psz);
			if (memcmp(sd->seen + k * psz, fc_page(k), psz)) {
				fail(w, "object page %" PRIu64 ", read beside the mix, differs from the "
				     "model (%s)", k, fc_desc(sect, sizeof(sect)));
				ret = -1;
			}
		}
		if (sd->err)
			fail(w, "reading object pages beside the mix: %s", sig_name(sd->err));
		if (fc_munmap_locked(w, sd->map, FILE_PAGES * psz) && !ret && !sd->err)
			fail(w, "munmap: %s", strerror(errno));
		free(sd->seen);
		return sd->err || w->failed ? -1 : ret;
	}
	if (sd->err) {
		fail(w, "%s beside the mix: %s", side_names[sd->kind], strerror(sd->err));
		return -1;
	}
	if (sd->kind != SIDE_EVICT)
		return 0;
	log_more(w, "; EVICT %" PRIu64 "+%" PRIu64, sd->first, sd->n);
	count_evict(w, ev);
	if (ev->written_back == e->written_back && ev->swapped_out == e->swapped_out &&
	    ev->kept >= e->kept && ev->kept <= e->kept + slack && ev->dropped + ev->kept <= sd->n &&
	    ev->dropped + slack >= e->cleaned)
		return 0;
	fail(w, "TOYMAP_IOC_EVICT of pages %" PRIu64 "+%" PRIu64 " beside the mix returned dropped %"
	     PRIu64 " written back %" PRIu64 " swapped out %" PRIu64 " kept %" PRIu64 "; the model "
	     "expects %" PRIu64 " written back, %" PRIu64 " swapped out, %" PRIu64 "..%" PRIu64
	     " kept, at least %" PRIu64 " dropped (%s)", sd->first, sd->n, U64(ev->dropped),
	     U64(ev->written_back), U64(ev->swapped_out), U64(ev->kept), e->written_back,
	     e->swapped_out, e->kept, e->kept + slack,
	     e->cleaned > slack ? e->cleaned - slack : 0, fc_desc(sect, sizeof(sect)));
	return -1;
}

/* After a mix: INFO against the model, write_backs and swap_outs grew as the side step's. */
static int fc_side_info(struct worker *w, const struct fc_side *sd,
			const struct toymap_info *before, const char *what)
{
	struct toymap_info after;

	if (fc_get_info(w, &after, true) ||
	    fc_check_delta(w, "write_backs", before->write_backs, after.write_backs,
			   sd->e.written_back, what, false) ||
	    fc_check_delta(w, "swap_outs", before->swap_outs, after.swap_outs, sd->e.swapped_out,
			   what, false))
		return -1;
	fc.info = after;
	return fc_verify_file(w, what);
}

/* Object pages whose file bytes lie in [@lo, @hi): they show a change of those bytes. */
static void fc_pages_of_bytes(uint64_t lo, uint64_t hi, bool *pages)
{
	uint64_t k;

	for (k = 0; k < FILE_PAGES; k++) {
		uint64_t start = fc.off + k * psz, end = start + fc_section_bytes(k);

		pages[k] = fc_section_bytes(k) && start < hi && end > lo;
	}
}

/*
 * File bytes [@lo, @hi) changed (the model's file has the new bytes): a page
 * the object does not hold, without a swap copy, shows them at its next
 * touch; read each such page through a mapping that maps it.
 */
static int fc_file_changed(struct worker *w, uint64_t lo, uint64_t hi, const char *what)
{
	bool pages[FILE_PAGES];
	uint64_t k;

	fc_pages_of_bytes(lo, hi, pages);
	for (k = 0; k < FILE_PAGES; k++) {
		if (pages[k] && !fc.resident[k] && !fc.swapped[k] && !fc.dirty[k]) {
			fc_fill(k);
			STAT_ADD(w, pokes_seen, 1);
		}
	}
	/* Only then read them: a read may read the next pages ahead (fc_touch()). */
	for (k = 0; k < FILE_PAGES; k++)
		if (pages[k] && fc_check_mapped_page(w, k, what))
			return -1;
	return 0;
}

/*
 * A page of @m: half the time one whose object page is dirty (an EVICT or
 * fsync beside writes it back while the file I/O faults on it), if any.
 */
static size_t fc_pick_dirty(struct worker *w, const struct mapping *m)
{
	size_t i = rnd(w, m->pages), j;
	bool dirty = rnd(w, 2);

	for (j = 0; dirty && j < m->pages; j++)
		if (fc.dirty[m->pgoff + (i + j) % m->pages] &&
		    (m->shared || !m->ps[(i + j) % m->pages].cow))
			return (i + j) % m->pages;
	return i;
}

/* write(2), pwrite(2), writev(2), pwritev(2) or (@in) their read counterparts. */
static ssize_t fc_file_io(int fd, bool in, unsigned int how, void *buf, size_t len, off_t pos)
{
	struct iovec iov[2] = { { buf, len / 2 }, { (uint8_t *)buf + len / 2, len - len / 2 } };

	if (how == 0 || how == 2) {
		if (lseek(fd, pos, SEEK_SET) != pos)
			return -1;
		if (how == 0)
			return in ? read(fd, buf, len) : write(fd, buf, len);
		return in ? readv(fd, iov, 2) : writev(fd, iov, 2);
	}
	if (how == 1)
		return in ? pread(fd, buf, len, pos) : pwrite(fd, buf, len, pos);
	return in ? preadv(fd, iov, 2, pos) : pwritev(fd, iov, 2, pos);
}

#define SELFIO_ROUNDS	64	/* file I/Os through new mappings beside one side step, at most */

static const char *const io_names[2][4] = {
	{ "write", "pwrite", "writev", "pwritev" }, { "read", "pread", "readv", "preadv" },
};

/*
 * Issue 9 (2, 3): write(2) and its kin from a mapping of the object into its
 * own backing file (or read(2) from the file into a writable mapping), while
 * a second thread evicts, fsyncs or faults pages of the object.  An EVICT or
 * fsync that held the page's lock across its write to the file deadlocked
 * with a write(2) that faulted on that page (the watchdog names it).  The
 * source is the page as the model has it (read first, so that a swap copy
 * comes back before), through @m or a new mapping that must fault; the file
 * bytes written are ones the side step does not write and whose pages'
 * content stays certain (fc_poke_safe()), and that a fault on the source
 * page through @m does not read ahead (fc_reads_ahead_to()); EVICT may catch the source page
 * (and what fault-around mapped beside it) mapped: kept, not dropped.
 */
int fc_selfio(struct worker *w, struct mapping *m)
{
	size_t i = fc_pick_dirty(w, m), off, len;
	uint64_t s = m->pgoff + i, pos = 0, b, slack = 0, tries;
	bool in = (m->ps[i].prot & PROT_WRITE) && !rnd(w, 2);
	bool reaches = m->shared || !m->ps[i].cow, fresh = reaches && !rnd(w, 2), was;
	unsigned int how = (unsigned int)rnd(w, 4);
	struct toymap_info before;
	struct fc_side sd = { 0 };
	unsigned int rounds;
	uint8_t *src;
	char desc[128];
	ssize_t done = 0;
	int ret = -1;

	fc_pick_bytes(w, &off, &len);
	if (len > fc.fsize) {
		log_op(w, "selfio: the backing file has %" PRIu64 " bytes", fc.fsize);
		return 0;
	}
	fc_side_pick(w, &sd, fc_side_kind(w), s);
	/* The source page in EVICT's range: only a page EVICT leaves certain. */
	if (sd.kind == SIDE_EVICT && reaches && s >= sd.first && s - sd.first < sd.n) {
		if (in || (fc.dirty[s] && fc_writeback_bytes(s) < psz))
			fc_side_pick(w, &sd, SIDE_FAULT, UINT64_MAX);
		else
			slack = fresh ? 1 : min_u64(sd.first + sd.n, m->pgoff + m->pages) -
					     (sd.first > m->pgoff ? sd.first : m->pgoff);
	}
	if (sd.kind == SIDE_FSYNC && in && m->shared)
		fc_side_pick(w, &sd, SIDE_FAULT, UINT64_MAX);
	for (tries = 0; tries < 8; tries++) {
		pos = rnd(w, fc.fsize - len + 1);
		for (b = pos; b < pos + len; b++)
			if (fc_side_writes(&sd, b) ||
			    (!in && (fc_page_of(b) == s || fc_reads_ahead_to(m, s, fc_page_of(b)) ||
				     !fc_poke_safe(b, 1))))
				break;
		if (b == pos + len)
			break;
	}
	log_op(w, "selfio %s %zu bytes %s page %zu +%zu of %s%s %s file byte %" PRIu64
	       ", beside %s", io_names[in][how], len, in ? "into" : "from", i, off,
	       map_desc(w, m, desc, sizeof(desc)), fresh ? " (a new mapping)" : "",
	       in ? "from" : "to", pos, side_names[sd.kind]);
	if (tries == 8) {
		log_more(w, ": no file bytes where it is well defined");
		return 0;
	}
	was = fi_pause();
	/* The page first: a swap copy comes back now, not during the race. */
	if (fc_check_page(w, m, i, "read before a file I/O with it") ||
	    fc_get_info(w, &before, true))
		goto out;
	/* The faults beside leave alone the source page and the pages the write changes. */
	if (!in)
		fc_pages_of_bytes(pos, pos + len, sd.skip);
	sd.skip[s] = true;
	/* What must move: the page's bytes as the model has them, or the file's. */
	memcpy(w->buf, in ? fc.file + pos : fc_expected(m, i) + off, len);
	if (fc_side_start(w, &sd))
		goto out;
	/*
	 * Through @m once; through a new mapping again and again while the
	 * side step runs (the same bytes each time), so that each I/O faults
	 * on the page: a lock held across file I/O meets it.
	 */
	for (rounds = 0; rounds < SELFIO_ROUNDS; rounds++) {
		src = m->addr + i * psz;
		if (fresh)
			src = fc_mmap_locked(w, psz, in ? PROT_READ | PROT_WRITE : PROT_READ,
					     m->shared ? MAP_SHARED : MAP_PRIVATE, fc.fd,
					     (off_t)(s * psz));
		if (src == MAP_FAILED) {
			done = -errno;
			break;
		}
		done = fc_file_io(fc.file_fd, in, how, src + off, len, (off_t)pos);
		if (done < 0)
			done = -errno;
		if (fresh && fc_munmap_locked(w, src, psz))
			done = -errno;
		if (done != (ssize_t)len || !fresh || sd.kind == SIDE_NONE ||
		    __atomic_load_n(&sd.finished, __ATOMIC_ACQUIRE))
			break;
	}
	if (fc_side_finish(w, &sd, slack))
		goto out;
	STAT_ADD(w, checks, 1);
	if (done != (ssize_t)len) {
		fail(w, "%s of %zu bytes %s object page %" PRIu64 " (%s, round %u): %zd (%s)",
		     io_names[in][how], len, in ? "into" : "from", s, fresh ? "a new mapping" : desc,
		     rounds, done, done < 0 ? strerror((int)-done) : "short");
		goto out;
	}
	log_more(w, "; %u rounds", rounds + 1);
	if (in && m->shared) {
		memcpy(fc_page(s) + off, w->buf, len);
		fc.dirty[s] = true;
	} else if (in && !fresh) {
		/* Into @m's COW copy (a private new mapping's copy goes with it). */
		if (!m->ps[i].cow) {
			m->ps[i].shadow = xmalloc(psz);
			if (!m->ps[i].shadow) {
				fail(w, "out of memory");
				goto out;
			}
			memcpy(m->ps[i].shadow, fc_page(s), psz);
			m->ps[i].cow = true;
			STAT_ADD(w, cows, 1);
		}
		memcpy(m->ps[i].shadow + off, w->buf, len);
	} else if (!in) {
		memcpy(fc.file + pos, w->buf, len);
	}
	/* The source page again (certain now), the pages that show the new file bytes. */
	if (fc_check_page(w, m, i, in ? "read after a read(2) into it" :
			  "read after a write(2) from it") ||
	    (!in && fc_file_changed(w, pos, pos + len, "read after a write(2) from a mapping "
				    "changed its file bytes")) ||
	    fc_side_info(w, &sd, &before, in ? "read(2) from the backing file into a mapping" :
			 "write(2) from a mapping into the backing file"))
		goto out;
	ret = 0;
out:
	fi_resume(was);
	return ret;
}

/*
 * Issue 9 (4, 8): the backing file grows or shrinks (ftruncate) while a
 * second thread evicts, fsyncs or faults pages.  What the object holds
 * after: a page it does not hold and has no swap copy of reads the file as
 * it is now (zeros past its end); a shrink cuts only bytes of pages that
 * are not resident, dirty or swapped (fc_poke_safe()); the side step saves
 * no dirty page whose file bytes the size change moves, nor reads a page
 * whose bytes it changes.  The file keeps the size given (write-back never
 * makes it grow back).
 */
int fc_truncate(struct worker *w)
{
	uint64_t max = (uint64_t)(FILE_PAGES + FILE_SLACK_PAGES) * psz, old = fc.fsize, size = 0;
	uint64_t lo, hi, k, tries;
	bool moved[FILE_PAGES], grow = old < max && (!old || rnd(w, 2)), was;
	struct toymap_info before;
	struct fc_side sd = { 0 };
	uint8_t *file;
	int ret = -1;

	for (tries = 0; tries < 8; tries++) {
		size = grow ? old + 1 + rnd(w, min_u64(max - old, 2 * psz)) : rnd(w, old);
		if (grow || fc_poke_safe(size, old - size))
			break;
	}
	lo = grow ? old : size;
	hi = grow ? size : old;
	fc_side_pick(w, &sd, fc_side_kind(w), UINT64_MAX);
	fc_pages_of_bytes(lo, hi, moved);
	for (k = 0; k < FILE_PAGES; k++)
		if (moved[k] && fc_side_saves(&sd, k))
			fc_side_pick(w, &sd, SIDE_FAULT, UINT64_MAX);
	log_op(w, "truncate the backing file from %" PRIu64 " to %" PRIu64 " bytes, beside %s",
	       old, size, side_names[sd.kind]);
	if (tries == 8) {
		log_more(w, ": no size where it is well defined");
		return 0;
	}
	was = fi_pause();
	file = realloc(fc.file, size ? size : 1);
	if (!file || fc_get_info(w, &before, true)) {
		if (!file)
			fail(w, "out of memory");
		goto out;
	}
	fc.file = file;
	memcpy(sd.skip, moved, sizeof(moved));
	if (fc_side_start(w, &sd))
		goto out;
	ret = ftruncate(fc.file_fd, (off_t)size) ? errno : 0;
	if (fc_side_finish(w, &sd, 0))
		goto out;
	STAT_ADD(w, checks, 1);
	if (ret) {
		fail(w, "ftruncate of the backing file to %" PRIu64 ": %s", size, strerror(ret));
		goto out;
	}
	ret = -1;
	if (grow)
		memset(fc.file + old, 0, size - old);
	fc.fsize = size;
	if (fc_file_changed(w, lo, hi, "read after the backing file was truncated") ||
	    fc_side_info(w, &sd, &before, "ftruncate of the backing file"))
		goto out;
	ret = 0;
out:
	fi_resume(was);
	return ret;
}

/*
 * Issue 9 (5): vmsplice() of a clean page of the object (through @m) into a
 * pipe holds a reference to it; EVICT of a range with it must keep it
 * (resident, as mincore() says, and not counted as dropped), and the pipe
 * must give the page's bytes.
 */
int fc_splice(struct worker *w, struct mapping *m)
{
	size_t i = rnd(w, m->pages), j;
	uint64_t s, first, n;
	struct iovec iov;
	char desc[128];
	int pfd[2] = { -1, -1 }, ret = -1;
	unsigned char vec = 0;
	ssize_t done;
	int err;
	bool was;

	/* A page of @m that shows the object's page and is clean. */
	for (j = 0; j < m->pages; j++, i = (i + 1) % m->pages)
		if ((m->shared || !m->ps[i].cow) && !fc.dirty[m->pgoff + i] &&
		    !fc.swapped[m->pgoff + i])
			break;
	s = m->pgoff + i;
	first = s - rnd(w, min_u64(s, 3) + 1);
	n = s - first + 1 + rnd(w, FILE_PAGES - s);
	log_op(w, "vmsplice page %zu of %s into a pipe, evict pages %" PRIu64 "+%" PRIu64, i,
	       map_desc(w, m, desc, sizeof(desc)), first, n);
	if (j == m->pages) {
		log_more(w, ": no clean page");
		return 0;
	}
	was = fi_pause();
	if (fc_check_page(w, m, i, "read before vmsplice"))
		goto out;
	memcpy(w->buf, fc_expected(m, i), psz);
	iov = (struct iovec) { m->addr + i * psz, psz };
	STAT_ADD(w, checks, 1);
	if (pipe2(pfd, O_CLOEXEC) || (done = vmsplice(pfd[1], &iov, 1, 0)) != (ssize_t)psz) {
		fail(w, "pipe2 and vmsplice of a page of the object: %s", strerror(errno));
		goto out;
	}
	if (fc_evict_range(w, first, n, s))
		goto out;
	STAT_ADD(w, checks, 1);
	if (mincore(m->addr + i * psz, psz, &vec)) {
		fail(w, "mincore: %s", strerror(errno));
		goto out;
	}
	if (!(vec & 1)) {
		fail(w, "object page %" PRIu64 ", which a pipe holds (vmsplice), is not resident "
		     "after EVICT (mincore): EVICT dropped a page someone else holds", s);
		goto out;
	}
	err = toymap_read_full(pfd[0], w->buf2, psz);
	STAT_ADD(w, checks, 1);
	STAT_ADD(w, bytes, psz);
	if (err || memcmp(w->buf, w->buf2, psz)) {
		fail(w, "the pipe gave %s after EVICT (vmsplice of object page %" PRIu64 ")",
		     err ? strerror(-err) : "bytes that differ from the page's", s);
		goto out;
	}
	ret = fc_check_page(w, m, i, "read after EVICT kept a page a pipe holds");
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	fi_resume(was);
	return ret;
}

/* Expect EBUSY from @err, with @what for the report: 0 or -1. */
static int fc_expect_busy(struct worker *w, int err, const char *what)
{
	if (fc_expect(w, err, EBUSY, what))
		return -1;
	log_more(w, " -> EBUSY");
	return 0;
}

/*
 * Open the swap file of general object @o by its name, its swap lock held
 * shared (it stays that object's swap file meanwhile): fd or -1 after fail().
 */
static int fc_open_general_swap(struct worker *w, struct object *o)
{
	int fd;

	if (swap_lock(w, o, false))
		return -1;
	fd = open(o->swap_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail(w, "open %s (the swap file of toymap%u): %s", o->swap_path, o->index,
		     strerror(errno));
		swap_unlock(o);
	}
	return fd;
}

/*
 * Issue 9 (7): one swap file, two objects.  A general object may not take
 * the cycle's backing file or swap file as its swap file, nor the cycle's
 * object a general object's swap file: EBUSY.
 */
int fc_xswap(struct worker *w)
{
	struct object *o = &objs[ngeneral ? rnd(w, ngeneral) : 0];
	unsigned int r = (unsigned int)rnd(w, 3);
	int fd, err, ret;
	bool was;

	if (!ngeneral)
		return 0;
	if (r == 1 && fc.swap_fd < 0)
		r = 2;
	log_op(w, "xswap: %s", r == 0 ? "the backing file as a general object's swap file" :
	       r == 1 ? "the swap file as a general object's swap file" :
	       "a general object's swap file as the swap file");
	was = fi_pause();
	if (r < 2) {
		fd = toymap_open(o->index, O_RDWR | O_CLOEXEC);
		ret = fd < 0 || swap_lock(w, o, true) ? -1 : 0;
		if (fd < 0)
			fail(w, "open /dev/toymap%u: %s", o->index, strerror(-fd));
		if (!ret) {
			err = toymap_set_swap(fd, r ? fc.swap_fd : fc.file_fd);
			swap_unlock(o);
			ret = fc_expect_busy(w, err, r ? "TOYMAP_IOC_SET_SWAP of another object's "
					     "swap file" : "TOYMAP_IOC_SET_SWAP of another object's "
					     "backing file");
		}
	} else {
		fd = fc_open_general_swap(w, o);
		ret = fd < 0 ? -1 : fc_expect_busy(w, toymap_set_swap(fc.fd, fd),
						    "TOYMAP_IOC_SET_SWAP of another object's swap file");
		if (fd >= 0)
			swap_unlock(o);
	}
	if (fd >= 0)
		close(fd);
	fi_resume(was);
	return ret;
}

/* ATTACH (the object unmapped, empty) of a general object's swap file: EBUSY. */
int fc_attach_other_swap(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	int fd = fc_open_general_swap(w, o), ret;

	if (fd < 0)
		return -1;
	ret = fc_expect_busy(w, toymap_attach(fc.fd, fd, fc.off, fc.len),
			     "TOYMAP_IOC_ATTACH of another object's swap file");
	swap_unlock(o);
	close(fd);
	return ret;
}
