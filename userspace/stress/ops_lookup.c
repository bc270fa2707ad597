// SPDX-License-Identifier: GPL-2.0
/*
 * TOYMAP_IOC_LOOKUP in the stress: every pagemap check asks LOOKUP too
 * (check_lookup()), and the operation "lookup" asks about a page of a
 * mapping without touching it, about addresses outside toymap's mappings,
 * through the O_RDONLY descriptor as well, and tries its bad inputs.
 *
 * What LOOKUP must say whatever runs at the same time (faults, DISCARD,
 * EVICT, reclaim, migration in other threads and processes):
 *   - in a toymap mapping: its object and page offset, and a kind of
 *     ABSENT (always possible: a page may go at any moment), OBJECT unless
 *     the model holds a private copy there, PRIVATE only where it does;
 *   - a frame identity exactly for OBJECT and PRIVATE, and "once" or
 *     "several" with it;
 *   - where pagemap shows PFNs: the same identity for the same PFN and
 *     another for another PFN, across every check of the thread (the key
 *     is drawn at load, and the stress never unloads the module).  A PFN is
 *     paired with an identity only when two LOOKUPs around the pagemap read
 *     agree, so that a page that moved meanwhile is not taken for a
 *     collision;
 *   - outside: OTHER for this thread's own buffer, NONE for an address
 *     below mmap_min_addr.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "stress.h"

/* The (PFN, identity) pairs this thread saw, by PFN and by identity. */
#define SEEN_SLOTS	256
struct seen {
	uint64_t pfn;
	uint64_t id;
};
static __thread struct seen seen_by_pfn[SEEN_SLOTS], seen_by_id[SEEN_SLOTS];

static unsigned int seen_slot(uint64_t key)
{
	return (unsigned int)((key * 0x9e3779b97f4a7c15ULL) >> 56) % SEEN_SLOTS;
}

/* PFN and identity agree with every pair seen before: 0, or -1 after fail(). */
static int check_pair(struct worker *w, uint64_t pfn, uint64_t id, const void *addr)
{
	struct seen *p = &seen_by_pfn[seen_slot(pfn)], *i = &seen_by_id[seen_slot(id)];

	if (p->id && p->pfn == pfn && p->id != id) {
		fail(w, "LOOKUP at %p: pfn %#" PRIx64 " has identity %#" PRIx64 ", earlier %#" PRIx64,
		     addr, pfn, id, p->id);
		return -1;
	}
	if (i->id == id && i->pfn != pfn) {
		fail(w, "LOOKUP at %p: identity %#" PRIx64 " for pfn %#" PRIx64 " and earlier %#" PRIx64,
		     addr, id, pfn, i->pfn);
		return -1;
	}
	*p = (struct seen){ .pfn = pfn, .id = id };
	*i = *p;
	return 0;
}

/* One answer for page @i of @m: 0, or -1 after fail(). */
static int check_answer(struct worker *w, const struct mapping *m, size_t i, const void *addr,
			const struct toymap_lookup *l)
{
	bool has_frame = l->kind == TOYMAP_LOOKUP_OBJECT || l->kind == TOYMAP_LOOKUP_PRIVATE;
	bool want_private = !m->shared && m->ps[i].cow;
	char desc[128];

	if (l->kind != TOYMAP_LOOKUP_ABSENT && !has_frame)
		goto bad;
	if (l->index != m->obj->index || l->pgoff != m->pgoff + i)
		goto bad;
	if (has_frame != (l->frame != 0) ||
	    (has_frame ? l->mapped != TOYMAP_MAPPED_ONCE && l->mapped != TOYMAP_MAPPED_SEVERAL
		       : l->mapped != 0))
		goto bad;
	if (has_frame && want_private != (l->kind == TOYMAP_LOOKUP_PRIVATE))
		goto bad;
	return 0;
bad:
	fail(w, "LOOKUP of page %zu of %s at %p: %s (toymap%u page %" PRIu64 ", identity %#"
	     PRIx64 ", mapped %u), expected toymap%u page %" PRIu64 ", %s or no page", i,
	     map_desc(w, m, desc, sizeof(desc)), addr, toymap_lookup_kind_name(l->kind), l->index,
	     (uint64_t)l->pgoff, (uint64_t)l->frame, l->mapped, m->obj->index,
	     m->pgoff + i, want_private ? "a private copy" : "the object's page");
	return -1;
}

int check_lookup(struct worker *w, const struct mapping *m, size_t i, const void *addr, int fd)
{
	struct toymap_lookup before, after;
	struct toymap_pte pte;
	int err;

	err = toymap_lookup(fd, addr, &before);
	if (!err) {
		err = pagemap_entry(addr, &pte);	/* never under injection */
		if (err) {
			fail(w, "reading /proc/self/pagemap: %s", strerror(-err));
			return -1;
		}
		err = toymap_lookup(fd, addr, &after);
	}
	/* --fail-alloc: copying the argument in or out may fail (EFAULT, ENOMEM). */
	if (err && injected(w, -err, INJ_IOCTL))
		return 0;
	if (err) {
		fail(w, "LOOKUP at %p: %s", addr, strerror(-err));
		return -1;
	}
	STAT_ADD(w, lookups, 2);
	if (check_answer(w, m, i, addr, &before) || check_answer(w, m, i, addr, &after))
		return -1;
	if (before.frame && before.frame == after.frame && pte.present && pte.pfn_known)
		return check_pair(w, pte.pfn, before.frame, addr);
	return 0;
}

/* LOOKUP of an address outside toymap's mappings: @want, and nothing else told. */
static int lookup_outside(struct worker *w, int fd, const void *addr, uint32_t want)
{
	struct toymap_lookup l;
	int err = toymap_lookup(fd, addr, &l);

	if (err && injected(w, -err, INJ_IOCTL))
		return 0;
	if (err) {
		fail(w, "LOOKUP at %p: %s", addr, strerror(-err));
		return -1;
	}
	STAT_ADD(w, lookups, 1);
	if (l.kind == want && !l.index && !l.pgoff && !l.frame && !l.mapped)
		return 0;
	fail(w, "LOOKUP at %p: %s (toymap%u page %" PRIu64 ", identity %#" PRIx64 "), expected %s "
	     "and nothing more", addr, toymap_lookup_kind_name(l.kind), l.index, (uint64_t)l.pgoff,
	     (uint64_t)l.frame, toymap_lookup_kind_name(want));
	return -1;
}

int op_lookup(struct worker *w, struct mapping *m)
{
	struct object *o = m->obj;
	size_t i = (size_t)rnd(w, m->pages);
	uint8_t *addr = m->addr + i * psz + rnd(w, psz);
	int fd = rnd(w, 2) ? o->fd : o->fd_ro;

	switch (rnd(w, 8)) {
	case 0:
		log_op(w, "lookup: bad input on toymap%u", o->index);
		return bad_input(w, o, TOYMAP_IOC_LOOKUP);
	case 1:
		log_op(w, "lookup: this thread's buffer, and an address below mmap_min_addr");
		if (lookup_outside(w, fd, w->buf, TOYMAP_LOOKUP_OTHER))
			return -1;
		return lookup_outside(w, fd, (const void *)(uintptr_t)psz, TOYMAP_LOOKUP_NONE);
	default:
		log_op(w, "lookup: page %zu of map %u at %p through the %s descriptor", i,
		       map_id(w, m), (void *)addr, fd == o->fd ? "O_RDWR" : "O_RDONLY");
		return check_lookup(w, m, i, addr, fd);
	}
}
