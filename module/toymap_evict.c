// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_evict.c - eviction and discard: the object's pages leave it.
 *
 * Both are truncation-like: under the mapping's invalidate_lock, held
 * exclusive, they unmap a range from every process and drop its pages
 * (toymap_drop_range()).  Discard drops every page and forgets its swap
 * copy, dirty or not: the next touch is demand-zero or reads the file.
 * Eviction first saves each dirty page (toymap_writeback_range() in
 * toymap_backing.c) and then drops only the clean pages nobody else holds,
 * as reclaim would: the next touch reads the page back.
 */

#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "toymap.h"
#include "toymap_internal.h"
#include "toymap_trace.h"

/*
 * Pages of @mapping's page cache in [@first, @last], counting only the
 * part of a large folio inside the range.  Reclaim elsewhere in the object
 * does not change it, unlike a difference of nrpages.
 */
static unsigned long toymap_count_range(struct address_space *mapping, pgoff_t first,
					pgoff_t last)
{
	struct folio_batch fbatch;
	pgoff_t index = first;
	unsigned long n = 0;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];
			pgoff_t end = folio->index + folio_nr_pages(folio) - 1;

			n += min(end, last) - max(folio->index, first) + 1;
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return n;
}

/*
 * Empty this CPU's LRU batches (the lru_add_drain() that the first
 * folio_batch_release() of a batch does): each folio waiting in one holds
 * a reference.  @arg is a folio of ours; the batch takes a reference of
 * its own on it and drops it again.
 */
static long toymap_drain_lru_here(void *arg)
{
	struct folio_batch fbatch;
	struct folio *folio = arg;

	folio_get(folio);
	folio_batch_init(&fbatch);
	folio_batch_add(&fbatch, folio);
	folio_batch_release(&fbatch);
	return 0;
}

/*
 * Empty every CPU's LRU batches, as lru_add_drain_all() would (modules
 * cannot call it): a page just unmapped sits in the activation batch of
 * the CPU that zapped its young PTE, a new one in the batch of the CPU
 * that faulted it, each with a reference that is nobody's use of the page.
 * @folio: any folio of the object, held by the caller.
 */
static void toymap_drain_lru(struct folio *folio)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		work_on_cpu(cpu, toymap_drain_lru_here, folio);
}

/*
 * True when someone besides the page cache and the caller's lookup holds
 * @folio, which is unmapped and, once the LRU batches are drained, in none
 * of them: a GUP reference (FOLL_PIN, or FOLL_GET as O_DIRECT on 6.1,
 * /proc/PID/mem and ptrace take), a pipe (vmsplice).  Reclaim keeps such a
 * page (mapping_evict_folio()); so does eviction.  A page that reclaim or
 * compaction has isolated for a moment counts as held too, and stays,
 * clean: nothing is lost.
 */
static bool toymap_folio_held(struct folio *folio)
{
	return folio_maybe_dma_pinned(folio) || folio_ref_count(folio) > folio_nr_pages(folio) + 1;
}

/*
 * Drop the clean pages of [@first, @last] that nobody else holds (a held
 * one stays, saved or not: evict's "dropped" leaves it out); return how
 * many were held.  Called with the range unmapped and the invalidate_lock
 * held exclusive: neither a fault nor fault-around (toymap_map_pages())
 * maps a page meanwhile, so no new reference can be taken through a
 * mapping between the check and the drop.  invalidate_inode_pages2_range()
 * drops a page whatever its references, so each page is checked first.
 */
static unsigned long toymap_drop_clean(struct address_space *mapping, pgoff_t first,
				       pgoff_t last)
{
	unsigned long held = 0;
	struct folio_batch fbatch;
	pgoff_t index = first;
	unsigned int i;

	folio_batch_init(&fbatch);
	if (!filemap_get_folios(mapping, &index, last, &fbatch))
		return 0;
	toymap_drain_lru(fbatch.folios[0]);
	folio_batch_release(&fbatch);
	index = first;
	while (filemap_get_folios(mapping, &index, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			/* Dirty since write-back: it stays (and was not saved). */
			if (folio_test_dirty(folio))
				continue;
			if (toymap_folio_held(folio)) {
				held++;
				continue;
			}
			invalidate_inode_pages2_range(mapping, folio->index, folio->index);
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return held;
}

/*
 * The large folio holding page @index, or NULL: a page, or none.  With a
 * reference.
 */
static struct folio *toymap_large_folio_at(struct address_space *mapping, pgoff_t index)
{
	struct folio *folio = toymap_find_folio(mapping, index);

	if (folio && !folio_test_large(folio)) {
		folio_put(folio);
		folio = NULL;
	}
	return folio;
}

/*
 * Widen [@first, @last] to the large folios it cuts (large_folios=1):
 * eviction saves and drops a folio whole, as reclaim does.
 */
static void toymap_round_to_folios(struct address_space *mapping, pgoff_t *first,
				   pgoff_t *last)
{
	struct folio *folio;

	folio = toymap_large_folio_at(mapping, *first);
	if (folio) {
		*first = min(*first, folio->index);
		folio_put(folio);
	}
	folio = toymap_large_folio_at(mapping, *last);
	if (folio) {
		*last = max(*last, folio->index + folio_nr_pages(folio) - 1);
		folio_put(folio);
	}
}

/* What toymap_drop_range() drops. */
enum toymap_drop {
	TOYMAP_DROP_ALL,	/* discard: every page, and its swap copy */
	TOYMAP_DROP_CLEAN,	/* evict: the clean pages nobody else holds */
};

/**
 * toymap_drop_range - unmap [@first, @last] from every process, drop pages
 * @obj:	the object; the caller holds obj->lock
 * @first:	first page offset
 * @last:	last page offset, inclusive
 * @how:	which pages go, see enum toymap_drop
 * @held:	with TOYMAP_DROP_CLEAN: set to the clean pages held by others
 *
 * Under the invalidate_lock exclusive, so no fault or fault-around maps a
 * page of the range again before the drop.  Private COW copies are their
 * processes' own anonymous pages: they stay.
 *
 * Return: the pages that left the object.
 */
static unsigned long toymap_drop_range(struct toymap_object *obj, pgoff_t first, pgoff_t last,
				       enum toymap_drop how, unsigned long *held)
{
	struct address_space *mapping = obj->inode->i_mapping;
	unsigned long before, dropped;

	filemap_invalidate_lock(mapping);
	before = toymap_count_range(mapping, first, last);
	unmap_mapping_pages(mapping, first, last - first + 1, false);
	if (how == TOYMAP_DROP_CLEAN) {
		*held = toymap_drop_clean(mapping, first, last);
	} else {
		/*
		 * A large folio the range cuts is split, and the pages of the
		 * range freed; if it cannot be (someone holds a reference: a
		 * pin, GUP), they are zeroed instead, and stay if the folio is
		 * dirty: the count says fewer pages freed.
		 */
		truncate_inode_pages_range(mapping, (loff_t)first << PAGE_SHIFT,
					   ((loff_t)(last + 1) << PAGE_SHIFT) - 1);
		toymap_forget_swapped(obj, first, last);
	}
	dropped = before - toymap_count_range(mapping, first, last);
	filemap_invalidate_unlock(mapping);
	return dropped;
}

/**
 * toymap_evict - evict a range: the kernel's page-out, made visible
 * @obj:	the object
 * @arg:	the request (range checked by the caller); counts filled in
 *
 * Unmaps the range from every process so that the next touch faults, saves
 * each dirty page (file or swap file, see toymap_writeback_folio()), then
 * drops every page that is clean.  Dirty anonymous pages with no swap file
 * stay, as in Linux without swap.  Private COW copies are the processes'
 * own anonymous pages: untouched.  A large folio the range cuts is evicted
 * whole, as reclaim would: the range widens to it, and so do the counts.
 *
 * Return: 0 or the first write's -errno.
 */
int toymap_evict(struct toymap_object *obj, struct toymap_evict *arg)
{
	struct address_space *mapping = obj->inode->i_mapping;
	pgoff_t first = arg->offset >> PAGE_SHIFT;
	pgoff_t last = (arg->offset + arg->length - 1) >> PAGE_SHIFT;
	struct toymap_wb_counts counts = {};
	unsigned long dropped = 0, held = 0;
	int err;

	err = mutex_lock_killable(&obj->lock);
	if (err)
		return err;
	toymap_round_to_folios(mapping, &first, &last);
	unmap_mapping_pages(mapping, first, last - first + 1, false);
	err = toymap_writeback_range(obj, first, last, true, &counts);
	/* Drop what is clean; a page written to since is dirty again and stays. */
	if (!err)
		dropped = toymap_drop_range(obj, first, last, TOYMAP_DROP_CLEAN, &held);
	mutex_unlock(&obj->lock);

	arg->dropped = dropped;
	arg->written_back = counts.written_back;
	arg->swapped_out = counts.swapped_out;
	arg->kept = counts.kept;
	toymap_count_n(obj, TOYMAP_STAT_EVICTIONS, dropped);
	trace_toymap_evict(obj->index, first, last - first + 1, dropped, counts.written_back,
			   counts.swapped_out, counts.kept);
	if (toymap_tracing())
		pr_info("toymap%u: pid %d (%s) evict from pgoff %lu, %lu pages: %lu dropped, %llu written back, %llu swapped out, %llu dirty kept, %lu held by others\n",
			obj->index, task_pid_nr(current), current->comm, first,
			last - first + 1, dropped, counts.written_back, counts.swapped_out,
			counts.kept, held);
	return err;
}

/**
 * toymap_discard - punch a hole in the object
 * @obj:	the object
 * @start:	first byte, page aligned
 * @len:	bytes, page aligned, non-zero, inside the object
 *
 * Unmaps the range from every process (private COW copies belong to their
 * process and stay) and frees its pages and their swap copies, dirty or not;
 * the next touch is demand-zero (or reads the backing file again).
 * The invalidate_lock keeps faults out until the pages are gone.
 *
 * Return: the number of pages freed, or -EINTR.
 */
long toymap_discard(struct toymap_object *obj, loff_t start, loff_t len)
{
	pgoff_t first = start >> PAGE_SHIFT, last = (start + len - 1) >> PAGE_SHIFT;
	unsigned long freed;

	if (mutex_lock_killable(&obj->lock))
		return -EINTR;
	freed = toymap_drop_range(obj, first, last, TOYMAP_DROP_ALL, NULL);
	mutex_unlock(&obj->lock);

	toymap_count_n(obj, TOYMAP_STAT_DISCARDED_PAGES, freed);
	trace_toymap_discard(obj->index, first, last - first + 1, freed);
	if (toymap_tracing())
		pr_info("toymap%u: pid %d (%s) discard from pgoff %llu, %llu pages: %lu freed\n",
			obj->index, task_pid_nr(current), current->comm,
			start >> PAGE_SHIFT, len >> PAGE_SHIFT, freed);
	return freed;
}
