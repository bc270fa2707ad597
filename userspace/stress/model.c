// SPDX-License-Identifier: GPL-2.0
/*
 * model.c: the shadow model.  Its pages and locks, the mappings a thread
 * holds, accesses guarded against SIGBUS and SIGSEGV, and the checks of
 * what an access sees (bytes, signals, pagemap).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "stress.h"

/* ------------------------------------------------------------------ locks */

/*
 * Lock model page @mi, @excl to change it.  Pages are locked one at a time,
 * or in ascending order by one caller (DISCARD, a populating mmap): no cycle.
 */
int page_lock(struct worker *w, struct object *o, long mi, bool excl)
{
	int err = excl ? pthread_rwlock_wrlock(&o->locks[mi]) : pthread_rwlock_rdlock(&o->locks[mi]);

	if (err) {
		fail(w, "locking model page %ld of toymap%u: %s", mi, o->index, strerror(err));
		return -1;
	}
	return 0;
}

void page_unlock(struct object *o, long mi)
{
	pthread_rwlock_unlock(&o->locks[mi]);
}

/* Lock the model pages [first, first + n) in ascending order. */
int range_lock(struct worker *w, struct object *o, long first, long n, bool excl)
{
	long i;

	for (i = 0; i < n; i++) {
		if (page_lock(w, o, first + i, excl)) {
			while (i--)
				page_unlock(o, first + i);
			return -1;
		}
	}
	return 0;
}

void range_unlock(struct object *o, long first, long n)
{
	long i;

	for (i = n; i-- > 0;)
		page_unlock(o, first + i);
}

int swap_lock(struct worker *w, struct object *o, bool excl)
{
	int err = excl ? pthread_rwlock_wrlock(o->swap_lock) : pthread_rwlock_rdlock(o->swap_lock);

	if (err)
		fail(w, "locking the swap setting of toymap%u: %s", o->index, strerror(err));
	return err ? -1 : 0;
}

void swap_unlock(struct object *o)
{
	pthread_rwlock_unlock(o->swap_lock);
}

int file_state_lock(struct worker *w)
{
	int err = pthread_mutex_lock(&sh->file.lock);

	if (err == EOWNERDEAD)
		err = pthread_mutex_consistent(&sh->file.lock);
	if (err)
		fail(w, "locking the attach cycle's state: %s", strerror(err));
	return err ? -1 : 0;
}

void file_state_unlock(void)
{
	pthread_mutex_unlock(&sh->file.lock);
}

/* --------------------------------------------- touching memory, guarded */

static __thread sigjmp_buf fault_env;
static __thread volatile sig_atomic_t fault_armed;
static __thread void *volatile fault_addr;
static __thread volatile int fault_code;

/*
 * SIGBUS and SIGSEGV: inside guarded_copy() jump back with the signal;
 * anywhere else they are a bug of this program: die of it.
 */
void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!fault_armed) {
		signal(sig, SIG_DFL);
		return;		/* the access faults again, by default */
	}
	fault_armed = 0;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(fault_env, sig);
}

/*
 * Copy @len bytes, in chunks of 32, yielding between chunks while *@until is
 * 0 (@until NULL: never): a write another thread's DISCARD can land in the
 * middle of.  *@seen is set to the first byte stored after *@until was seen
 * set (@len if never): those stores happen after the DISCARD returned.
 * Returns 0, or the signal (SIGBUS/SIGSEGV) the first access raised.
 */
int __attribute__((noinline)) guarded_copy_paced(volatile uint8_t *dst,
						 const volatile uint8_t *src, size_t len,
						 const int *until, size_t *seen)
{
	size_t i, k, n;
	int sig;

	*seen = len;
	sig = sigsetjmp(fault_env, 1);
	if (sig)
		return sig;
	fault_armed = 1;
	for (i = 0; i < len; i += n) {
		n = len - i < 32 ? len - i : 32;
		for (k = i; k < i + n; k++)
			dst[k] = src[k];
		if (!until || n < 32 || *seen != len)
			continue;
		if (__atomic_load_n(until, __ATOMIC_ACQUIRE))
			*seen = i + n;
		else
			sched_yield();
	}
	fault_armed = 0;
	return 0;
}

/* Copy @len bytes; 0, or the signal (SIGBUS/SIGSEGV) the first access raised. */
int guarded_copy(volatile uint8_t *dst, const volatile uint8_t *src, size_t len)
{
	size_t seen;

	return guarded_copy_paced(dst, src, len, NULL, &seen);
}

/* ---------------------------------------------------------- mappings */

/* The mappings the thread holds. */
unsigned int nmaps(const struct worker *w)
{
	unsigned int k, n = 0;

	for (k = 0; k < MAX_MAPS; k++)
		n += w->maps[k].used;
	return n;
}

struct mapping *pick_map(struct worker *w)
{
	unsigned int i, n = 0, k;

	for (i = 0; i < MAX_MAPS; i++)
		n += w->maps[i].used;
	if (!n)
		return NULL;
	k = (unsigned int)rnd(w, n);
	for (i = 0; i < MAX_MAPS; i++)
		if (w->maps[i].used && !k--)
			return &w->maps[i];
	return NULL;
}

struct mapping *free_map(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (!w->maps[i].used)
			return &w->maps[i];
	return NULL;
}

unsigned int map_id(const struct worker *w, const struct mapping *m)
{
	return (unsigned int)(m - w->maps);
}

/* "map3 toymap0 S rw pgoff 12+9" for the log */
const char *map_desc(const struct worker *w, const struct mapping *m, char *buf, size_t len)
{
	snprintf(buf, len, "map%u[toymap%u %s pgoff %" PRIu64 "+%zu%s]", map_id(w, m),
		 m->obj->index, m->shared ? "shared" : "private", m->pgoff, m->pages,
		 m->split ? " split" : "");
	return buf;
}

static void drop_shadow(struct page_state *ps)
{
	free(ps->shadow);
	ps->shadow = NULL;
	ps->cow = false;
}

void drop_pages(struct mapping *m, size_t first, size_t n)
{
	size_t i;

	for (i = first; i < first + n; i++)
		drop_shadow(&m->ps[i]);
}

void forget_map(struct mapping *m)
{
	drop_pages(m, 0, m->pages);
	free(m->ps);
	memset(m, 0, sizeof(*m));
}

/* A random sub-range [*first, *first + *n) of @m's pages; whole with chance 1/@whole. */
void pick_range(struct worker *w, const struct mapping *m, unsigned int whole,
		       size_t *first, size_t *n)
{
	if (m->pages == 1 || !rnd(w, whole)) {
		*first = 0;
		*n = m->pages;
		return;
	}
	*first = rnd(w, m->pages);
	*n = 1 + rnd(w, m->pages - *first);
}

const char *prot_name(int prot)
{
	if (prot & PROT_WRITE)
		return "rw";
	return prot & PROT_READ ? "r" : "none";
}

/* ------------------------------------------------------- access checks */

/* What touching page @i of @m must do: 0, SIGSEGV (protection) or SIGBUS (past the end). */
int expected_signal(const struct mapping *m, size_t i, bool write)
{
	int prot = m->ps[i].prot;

	if (!(prot & PROT_READ) || (write && !(prot & PROT_WRITE)))
		return SIGSEGV;
	if (m->pgoff + i >= m->obj->pages)
		return SIGBUS;
	return 0;
}

const char *sig_name(int sig)
{
	switch (sig) {
	case 0:
		return "no signal";
	case SIGBUS:
		return "SIGBUS";
	case SIGSEGV:
		return "SIGSEGV";
	default:
		return "?";
	}
}

/* The page must take the lock for an access: modelled, and not a COW copy. */
bool needs_lock(const struct mapping *m, size_t i, long mi)
{
	return mi >= 0 && (m->shared || !m->ps[i].cow);
}

/* The bytes page @i of @m must hold (call with its lock held if needs_lock). */
const uint8_t *expected_page(const struct mapping *m, size_t i, long mi)
{
	if (!m->shared && m->ps[i].cow)
		return m->ps[i].shadow;
	return model_page(m->obj, mi);
}

/* Check the signal an access raised against the expected one. */
int check_signal(struct worker *w, const struct mapping *m, size_t i, uint8_t *addr,
			int got, int want, const char *what)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(psz - 1);
	char desc[128];
	bool lost;

	STAT_ADD(w, checks, 1);
	if (got != want) {
		fail(w, "%s of page %zu (object page %" PRIu64 ") of %s at %p: %s, expected %s",
		     what, i, m->pgoff + i, map_desc(w, m, desc, sizeof(desc)), (void *)addr,
		     sig_name(got), sig_name(want));
		return -1;
	}
	if (!got)
		return 0;
	/*
	 * The signal came, but the sigqueue entry for its siginfo could not be
	 * allocated (__send_signal_locked(): "a silent loss of information"):
	 * si_code SI_USER, si_addr 0.
	 */
	lost = fi_on && fault_code == SI_USER && !fault_addr;
	if (lost) {
		STAT_ADD(w, inj_siginfo, 1);
	} else if (((uintptr_t)fault_addr & ~(uintptr_t)(psz - 1)) != page) {
		fail(w, "%s at %p: %s reported si_addr %p, not in the page touched", what,
		     (void *)addr, sig_name(got), fault_addr);
		return -1;
	} else if ((got == SIGBUS && fault_code != BUS_ADRERR) ||
		   (got == SIGSEGV && fault_code != SEGV_ACCERR)) {
		fail(w, "%s at %p: %s with si_code %d, expected %s", what, (void *)addr,
		     sig_name(got), fault_code, got == SIGBUS ? "BUS_ADRERR" : "SEGV_ACCERR");
		return -1;
	}
	if (got == SIGBUS)
		STAT_ADD(w, sigbus, 1);
	else
		STAT_ADD(w, sigsegv, 1);
	log_more(w, " -> %s as expected%s", sig_name(got),
		 lost ? ", its siginfo lost (injected)" : "");
	return 0;
}

/*
 * A present pagemap entry shows the PFN to CAP_SYS_ADMIN only: to anyone
 * else the PFN bits read as 0, whatever the page.
 */
int check_pfn(struct worker *w, const struct toymap_pte *pte, const void *addr)
{
	if (!pte->present)
		return 0;
	STAT_ADD(w, checks, 1);
	if ((pte->pfn != 0) == cfg.pfn_visible) {
		STAT_ADD(w, pfns, 1);
		return 0;
	}
	fail(w, "pagemap of %p: %s, expected %s", addr,
	     pte->pfn ? "a PFN shows" : "PFN 0",
	     cfg.pfn_visible ? "the PFN (we have CAP_SYS_ADMIN)" :
	     "no PFN (no CAP_SYS_ADMIN): the frame number leaked");
	return -1;
}

/*
 * What pagemap must say of a page the model knows: a private COW copy is an
 * anonymous page, every other page of a toymap mapping is the object's (file)
 * page.  Called with the page's lock held when it needs one.
 */
int check_pagemap(struct worker *w, const struct mapping *m, size_t i, uint8_t *addr)
{
	bool want_anon = !m->shared && m->ps[i].cow;
	struct toymap_pte pte;
	char desc[128];
	int err;

	err = pagemap_entry(addr, &pte);
	if (err) {
		fail(w, "reading /proc/self/pagemap: %s", strerror(-err));
		return -1;
	}
	STAT_ADD(w, pagemaps, 1);
	if (check_pfn(w, &pte, addr))
		return -1;
	if (!pte.present || pte.file != want_anon)
		return check_lookup(w, m, i, addr, m->obj->fd);
	fail(w, "pagemap of page %zu of %s at %p: %s page, expected %s", i,
	     map_desc(w, m, desc, sizeof(desc)), (void *)addr, pte.file ? "file" : "anonymous",
	     want_anon ? "an anonymous COW copy" : "the object's file page");
	return -1;
}

/* Report bytes that differ from the model, with what the kernel says of the page. */
void report_mismatch(struct worker *w, const struct mapping *m, size_t i, size_t off,
			    const uint8_t *got, const uint8_t *want, size_t len, const char *what)
{
	uint8_t *addr = m->addr + i * psz + off;
	char desc[128], frame[96];
	size_t k, bad = 0, first = len;

	for (k = 0; k < len; k++) {
		if (got[k] != want[k]) {
			bad++;
			if (first == len)
				first = k;
		}
	}
	toymap_describe_frame(addr, frame, sizeof(frame));
	fail(w, "%s of page %zu (object page %" PRIu64 ") of %s at %p+%zu: %zu of %zu bytes "
	     "differ from the model, first at +%zu: read 0x%02x, expected 0x%02x "
	     "(page is %s; model says %s; pagemap: %s)", what, i, m->pgoff + i,
	     map_desc(w, m, desc, sizeof(desc)), (void *)(m->addr + i * psz), off, bad, len,
	     off + first, got[first], want[first], prot_name(m->ps[i].prot),
	     m->shared ? "shared: the object's bytes" :
	     m->ps[i].cow ? "private, written here: its COW copy" :
	     "private, not written here: the object's bytes", frame);
}

/* Compare @len bytes read at @off of page @i with what the model expects. */
int compare(struct worker *w, const struct mapping *m, size_t i, long mi, size_t off,
		   const uint8_t *got, size_t len, const char *what)
{
	const uint8_t *want = expected_page(m, i, mi) + off;

	STAT_ADD(w, checks, 1);
	STAT_ADD(w, bytes, len);
	if (!memcmp(got, want, len))
		return 0;
	report_mismatch(w, m, i, off, got, want, len, what);
	return -1;
}

void pick_target(struct worker *w, struct mapping *m, struct target *t)
{
	t->m = m;
	t->page = rnd(w, m->pages);
	t->mi = model_index(m->obj, m->pgoff + t->page);
	if (!rnd(w, 6)) {
		t->off = 0;
		t->len = psz;
	} else {
		t->len = 1 + rnd(w, MAX_ACCESS);
		t->off = rnd(w, psz - t->len + 1);
	}
	t->addr = m->addr + t->page * psz + t->off;
}

/* ---------------------------------------- helpers of the operations */

/*
 * A descriptor of /dev/toymap@index of the operation's own, in *@fd: 0; 1
 * when an injected failure explains the error (nothing to do); -1 after a
 * failure report.
 */
int open_fresh(struct worker *w, unsigned int index, int flags, int *fd)
{
	*fd = toymap_open(index, flags);
	if (*fd < 0 && injected(w, -*fd, INJ_ENOMEM))
		return 1;
	if (*fd < 0) {
		fail(w, "open /dev/toymap%u: %s", index, strerror(-*fd));
		return -1;
	}
	return 0;
}

/* Fill @buf with @n random non-zero bytes. */
void fill_nonzero(struct worker *w, uint8_t *buf, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		buf[k] = (uint8_t)(1 + rnd(w, 255));
}

/* The modelled pages of [pgoff, pgoff + pages): the first and the count, for locking. */
void modelled_span(const struct object *o, uint64_t pgoff, size_t pages, long *first,
			  long *n)
{
	uint64_t p;
	long mi;

	*first = -1;
	*n = 0;
	for (p = pgoff; p < pgoff + pages; p++) {
		mi = model_index(o, p);
		if (mi < 0)
			continue;
		if (*first < 0)
			*first = mi;
		*n = mi - *first + 1;
	}
}

/*
 * A range for DISCARD or EVICT of general object @o, in pages: a piece of
 * the window, all of it, a piece of the tail, or the whole object.  Its
 * modelled pages are one run of model pages (modelled_span()).
 */
void pick_object_range(struct worker *w, const struct object *o, uint64_t *first,
			      uint64_t *n)
{
	uint64_t tail = o->pages - o->tail_start;
	unsigned int r = (unsigned int)rnd(w, 18);

	if (r < 2) {
		*first = 0;
		*n = o->window;
	} else if (r < 5 && tail) {
		*first = o->tail_start + rnd(w, tail);
		*n = 1 + rnd(w, o->pages - *first);
	} else if (r == 5) {
		*first = 0;
		*n = o->pages;
	} else {
		*first = rnd(w, o->window);
		*n = 1 + rnd(w, min_u64(o->window - *first, MAX_DISCARD));
	}
}
