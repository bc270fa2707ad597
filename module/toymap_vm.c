// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_vm.c - the page store, mmap and the fault path of a toymap object.
 *
 * The object's pages live in the page cache of its inode (see
 * struct toymap_object).  A page exists only once it has been touched:
 * .fault finds it there or allocates a zeroed one (demand-zero), charged to
 * the module-wide max_pages budget kept here.  Core mm does the rest:
 * MAP_PRIVATE copy-on-write, fault-around through filemap_map_pages(), rmap,
 * mincore() and reclaim of clean pages.
 * The model is shmem_fault()/shmem_get_folio() in mm/shmem.c.
 */

#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/percpu_counter.h>
#include <linux/writeback.h>
#include <linux/sched.h>

#include "compat.h"
#include "toymap_internal.h"

#define CREATE_TRACE_POINTS
#include "toymap_trace.h"

/*
 * The max_pages budget: every page in the page cache of any object is
 * charged before it is allocated and uncharged when the page cache frees it
 * (toymap_free_folio()), or at once if it never got there.
 */
static unsigned long toymap_max_pages;
module_param_named(max_pages, toymap_max_pages, ulong, 0644);
MODULE_PARM_DESC(max_pages, "pages all objects may hold together; 0 = a quarter of RAM (default 0)");

/*
 * large_folios=1: a fault may allocate a folio of 16 KiB to 2 MiB (see
 * toymap_fault_order()).  Off by default, so that every page of the demos,
 * the figures and the trace is the chapter's 4 KiB page.
 */
static bool toymap_large_folios;

/* large_folios=1 on a kernel without large folios in the page cache: EINVAL, said why. */
static int toymap_large_folios_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int err = kstrtobool(val ?: "1", &on);

	if (err)
		return err;
	if (on && !TOYMAP_MAX_ORDER) {
		pr_err("toymap: large_folios=1 needs large folios in the page cache (CONFIG_TRANSPARENT_HUGEPAGE), which this kernel lacks\n");
		return -EINVAL;
	}
	WRITE_ONCE(toymap_large_folios, on);
	return 0;
}

static const struct kernel_param_ops toymap_large_folios_ops = {
	.set = toymap_large_folios_set,
	.get = param_get_bool,
};

module_param_cb(large_folios, &toymap_large_folios_ops, &toymap_large_folios, 0644);
MODULE_PARM_DESC(large_folios, "let faults of an anonymous object allocate folios of 16K..2M for MADV_HUGEPAGE or sequential touches (default 0)");

/*
 * Pages charged to the budget: grows on insert, shrinks in free_folio.  A
 * per-CPU counter, so that faults on different CPUs write no shared cache
 * line; it is summed exactly near the limit and for INFO.
 */
static struct percpu_counter toymap_nr_pages;

int __init toymap_budget_init(void)
{
	return percpu_counter_init(&toymap_nr_pages, 0, GFP_KERNEL);
}

/* After every object is gone: nothing can charge or uncharge any more. */
void toymap_budget_exit(void)
{
	percpu_counter_destroy(&toymap_nr_pages);
}

/* The budget now: max_pages, or a quarter of RAM when it is 0. */
unsigned long toymap_page_limit(void)
{
	return READ_ONCE(toymap_max_pages) ?: totalram_pages() / 4;
}

long toymap_pages_held(void)
{
	return percpu_counter_sum(&toymap_nr_pages);
}

static void toymap_uncharge_pages(long nr)
{
	percpu_counter_sub(&toymap_nr_pages, nr);
}

/*
 * Charge @nr pages to the budget; false when that would exceed max_pages.
 * Add, compare (exactly, summing every CPU, when near the limit) and take
 * it back if over: the budget is never exceeded, though two charges racing
 * for the last pages may both be refused.  (shmem's
 * percpu_counter_limited_add() is not exported to modules.)
 */
static bool toymap_charge_pages(long nr)
{
	percpu_counter_add(&toymap_nr_pages, nr);
	if (percpu_counter_compare(&toymap_nr_pages, toymap_page_limit()) <= 0)
		return true;
	toymap_uncharge_pages(nr);
	return false;
}

/*
 * Room for 2 * @nr more pages?  Read-ahead asks before it charges @nr, so
 * that it never takes the last pages of the budget from demand faults.
 */
bool toymap_budget_room(long nr)
{
	return percpu_counter_compare(&toymap_nr_pages, (s64)toymap_page_limit() - 2 * nr) <= 0;
}

/*
 * Called by the page cache once a folio has left the object: truncation,
 * discard, reclaim of a clean page, or the inode's eviction at unload.
 */
static void toymap_free_folio(struct folio *folio)
{
	toymap_uncharge_pages(folio_nr_pages(folio));
}

/*
 * No writepage: reclaim drops clean pages (they come back from the file, the
 * swap file, or as zero) and keeps dirty ones, which only toymap_sync() and
 * toymap_evict() write.  Dirty is the folio flag alone, as in shmem.
 */
const struct address_space_operations toymap_aops = {
	.dirty_folio	= noop_dirty_folio,
	.free_folio	= toymap_free_folio,
	.migrate_folio	= migrate_folio,
};

static const char * const toymap_outcome_names[] = {
	[TOYMAP_ZERO_FILL]	= "zero-fill",
	[TOYMAP_FILE_READ]	= "file-read",
	[TOYMAP_SWAP_IN]	= "swap-in",
	[TOYMAP_RESIDENT]	= "resident",
	[TOYMAP_SIGBUS_EOF]	= "sigbus",
	[TOYMAP_SIGBUS_LIMIT]	= "sigbus",
	[TOYMAP_ALLOC_FAILED]	= "allocation failed",
	[TOYMAP_READ_FAILED]	= "sigbus, the file read failed",
};

/* The trace=1 log line of one fault, mkwrite or fault-around. */
static void toymap_log(struct toymap_object *obj, struct vm_fault *vmf, const char *what)
{
	pr_info("toymap%u: pid %d (%s) va 0x%lx pgoff %lu %s %s: %s\n",
		obj->index, task_pid_nr(current), current->comm, vmf->address,
		vmf->pgoff, vmf->flags & FAULT_FLAG_WRITE ? "write" : "read",
		vmf->vma->vm_flags & VM_SHARED ? "shared" : "private", what);
}

static void toymap_note_fault(struct toymap_object *obj, struct vm_fault *vmf,
			      enum toymap_outcome outcome, unsigned int order, unsigned int ahead)
{
	char what[80];

	trace_toymap_fault(obj->index, vmf->address, vmf->pgoff,
			   vmf->flags & FAULT_FLAG_WRITE,
			   vmf->vma->vm_flags & VM_SHARED, vmf->cow_page, outcome, order);
	if (!toymap_tracing())
		return;

	switch (outcome) {
	case TOYMAP_SIGBUS_EOF:
		pr_info("toymap%u: pid %d (%s) va 0x%lx pgoff %lu: sigbus, past the end of the object (%lu pages)\n",
			obj->index, task_pid_nr(current), current->comm,
			vmf->address, vmf->pgoff, toymap_object_pages(obj));
		break;
	case TOYMAP_SIGBUS_LIMIT:
		pr_info("toymap%u: pid %d (%s) va 0x%lx pgoff %lu: sigbus, the module holds max_pages=%lu pages\n",
			obj->index, task_pid_nr(current), current->comm,
			vmf->address, vmf->pgoff, toymap_page_limit());
		break;
	default:
		/* A private write: core mm copies the page into vmf->cow_page. */
		snprintf(what, sizeof(what), "%s%s", toymap_outcome_names[outcome],
			 vmf->cow_page ? ", cow-by-kernel" : "");
		if (order)
			snprintf(what + strlen(what), sizeof(what) - strlen(what),
				 ", a %lu KiB folio", (PAGE_SIZE << order) >> 10);
		if (ahead)
			snprintf(what + strlen(what), sizeof(what) - strlen(what),
				 ", read ahead %u pages", ahead);
		toymap_log(obj, vmf, what);
	}
}

/**
 * toymap_add_folio - a new folio of the object at @index, filled and inserted
 * @obj:	the object
 * @index:	page offset in the object, below its size, a multiple of
 *		the folio's pages
 * @order:	the folio's order: 0, or a large folio whose pages
 *		toymap_zero_range() found to be demand-zero (the fill checks
 *		each page again, once the folio is in the page cache)
 * @gfp:	how to allocate it
 * @outcome:	set to how it was filled, or why it was not
 *
 * Caller holds the mapping's invalidate_lock shared, so no discard, attach
 * or eviction's drop runs.  The folio goes into the page cache locked and
 * not uptodate (filemap_add_folio()), is filled there (file, swap file,
 * zeros: toymap_fill_folio()) and then marked uptodate: meanwhile a fault
 * waits for its lock, fault-around skips it.
 *
 * Return: the folio, locked, uptodate, with a reference for the caller; or
 * an ERR_PTR: -ENOSPC over max_pages, -ENOMEM, -EEXIST when another fault
 * inserted a page of it first, another filemap_add_folio() error, or the
 * fill's error (the folio then stays in the page cache, not uptodate, for
 * the next fault to fill).
 */
struct folio *toymap_add_folio(struct toymap_object *obj, pgoff_t index, unsigned int order,
			       gfp_t gfp, enum toymap_outcome *outcome)
{
	long nr = 1L << order;
	struct folio *folio;
	bool zeroed;
	int err;

	if (!toymap_charge_pages(nr)) {
		*outcome = TOYMAP_SIGBUS_LIMIT;
		return ERR_PTR(-ENOSPC);
	}
	folio = toymap_alloc_folio(obj, index, order, gfp, &zeroed, outcome);
	if (IS_ERR(folio)) {
		err = PTR_ERR(folio);
		goto uncharge;
	}
	err = filemap_add_folio(obj->inode->i_mapping, folio, index, gfp);
	if (err) {
		if (err != -EEXIST)
			*outcome = TOYMAP_ALLOC_FAILED;
		folio_put(folio);	/* never in the page cache: free_folio will not see it */
		goto uncharge;
	}
	/* In the page cache: from now on free_folio() uncharges it. */
	err = toymap_fill_folio(obj, folio, zeroed, outcome);
	if (err) {
		folio_unlock(folio);
		folio_put(folio);
		return ERR_PTR(err);
	}
	folio_mark_uptodate(folio);
	return folio;

uncharge:
	toymap_uncharge_pages(nr);
	return ERR_PTR(err);
}

/*
 * Can core mm map a PMD-sized folio at @vmf->address with one PMD?  The
 * mapping must cover the aligned 2 MiB around it, and its address and
 * page offset must agree modulo 2 MiB (as thp_vma_suitable_order() checks).
 */
static bool toymap_pmd_mappable(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long start = vmf->address & ~((PAGE_SIZE << TOYMAP_MAX_ORDER) - 1);

	return start >= vma->vm_start && start + (PAGE_SIZE << TOYMAP_MAX_ORDER) <= vma->vm_end &&
	       !(((vma->vm_start >> PAGE_SHIFT) - vma->vm_pgoff) & ((1UL << TOYMAP_MAX_ORDER) - 1));
}

/*
 * toymap_fault_order - the order of the folio a fault at @vmf->pgoff asks for
 *
 * 0 (a 4 KiB page, as the chapter draws it) unless large_folios is on, the
 * object has no file attached (write-back to a file goes a page at a time)
 * and the fault is no private write (core mm copies one page of what we
 * return: a large folio would be made for nothing).  Then: PMD-sized for a
 * mapping advised MADV_HUGEPAGE where core mm can map it with one PMD;
 * and for a sequential touch, one whose page before is resident, twice
 * that page's folio, from 16 KiB up, as read-ahead's window grows.  A
 * random touch, or MADV_NOHUGEPAGE or MADV_RANDOM, gets one page:
 * demand-zero allocates no more than was touched, rounded up to a folio.
 */
static unsigned int toymap_fault_order(struct toymap_object *obj, struct vm_fault *vmf)
{
	vm_flags_t flags = vmf->vma->vm_flags;
	struct folio *prev;
	unsigned int order;

	if (!TOYMAP_MAX_ORDER || !READ_ONCE(toymap_large_folios) || obj->backing ||
	    vmf->cow_page || (flags & (VM_NOHUGEPAGE | VM_RAND_READ)))
		return 0;
	if ((flags & VM_HUGEPAGE) && toymap_pmd_mappable(vmf))
		return TOYMAP_MAX_ORDER;
	if (!vmf->pgoff)
		return 0;
	prev = toymap_find_folio(obj->inode->i_mapping, vmf->pgoff - 1);
	if (!prev)
		return 0;
	order = max(folio_order(prev) + 1, TOYMAP_MIN_ORDER);
	folio_put(prev);
	return min(order, TOYMAP_MAX_ORDER);
}

/*
 * toymap_add_large_folio - a large demand-zero folio holding page @index
 *
 * Tries @order and each smaller one down to 16 KiB: the folio starts at
 * @index rounded down to its size, and must lie inside the object, hold
 * only pages that are demand-zero (no page resident, none in the swap file)
 * and leave twice its pages of the max_pages budget to others.  Allocated
 * as read-ahead allocates (no retrying, no warning): memory short of a
 * large folio gets a smaller one.  Caller holds the invalidate_lock shared.
 *
 * Return: the folio, locked, with a reference; the fill's ERR_PTR when it
 * went into the page cache but could not be filled; or NULL: use one page.
 */
static struct folio *toymap_add_large_folio(struct toymap_object *obj, pgoff_t index,
					    unsigned int order, enum toymap_outcome *outcome)
{
	gfp_t gfp = readahead_gfp_mask(obj->inode->i_mapping);
	struct folio *folio;

	for (; order >= TOYMAP_MIN_ORDER; order--) {
		pgoff_t nr = 1UL << order, start = round_down(index, nr);

		if (start + nr > toymap_object_pages(obj) || !toymap_budget_room(nr) ||
		    !toymap_zero_range(obj, start, nr))
			continue;
		folio = toymap_add_folio(obj, start, order, gfp, outcome);
		/* In the page cache but not filled (a read failed): that is the answer. */
		if (!IS_ERR(folio) || *outcome == TOYMAP_READ_FAILED)
			return folio;
	}
	return NULL;
}

/**
 * toymap_get_folio - find or create the object's page at @index
 * @obj:	the object
 * @index:	page offset in the object, below its size
 * @order:	the folio to create if none is there (toymap_fault_order())
 * @outcome:	set to what was found or done
 *
 * Caller holds the mapping's invalidate_lock shared (toymap_add_folio()).
 *
 * Return: the folio that holds @index, locked, uptodate and with a
 * reference for the caller, or an ERR_PTR of toymap_add_folio(), never
 * -EEXIST.
 */
static struct folio *toymap_get_folio(struct toymap_object *obj, pgoff_t index,
				      unsigned int order, enum toymap_outcome *outcome)
{
	struct address_space *mapping = obj->inode->i_mapping;
	struct folio *folio;
	int err;

	for (;;) {
		folio = toymap_lock_folio(mapping, index);
		if (folio && folio_test_uptodate(folio)) {
			*outcome = TOYMAP_RESIDENT;
			return folio;
		}
		if (folio) {
			/* A fill that failed (a read error): fill it again. */
			err = toymap_fill_folio(obj, folio, false, outcome);
			if (!err) {
				folio_mark_uptodate(folio);
				return folio;
			}
			folio_unlock(folio);
			folio_put(folio);
			return ERR_PTR(err);
		}
		folio = order ? toymap_add_large_folio(obj, index, order, outcome) : NULL;
		if (!folio)
			folio = toymap_add_folio(obj, index, 0, mapping_gfp_mask(mapping), outcome);
		/* On -EEXIST another fault inserted the page first: use theirs. */
		if (!IS_ERR(folio) || PTR_ERR(folio) != -EEXIST)
			return folio;
	}
}

/*
 * toymap_fault - a page of the object is not mapped at this address
 *
 * For a write fault on a MAP_PRIVATE mapping core mm has already allocated
 * vmf->cow_page: it copies our page into it and maps the copy, so the object
 * itself never changes.  A write to a private page that is already mapped
 * read-only is copied by do_wp_page() without calling us at all.  A page read
 * from the file through a mapping advised MADV_SEQUENTIAL reads the next
 * VM_READAHEAD_PAGES - 1 pages of the section too (toymap_readahead()).
 */
static vm_fault_t toymap_fault(struct vm_fault *vmf)
{
	struct toymap_object *obj = vmf->vma->vm_private_data;
	struct address_space *mapping = obj->inode->i_mapping;
	unsigned int ahead = 0, order = 0;
	enum toymap_outcome outcome;
	struct folio *folio;
	vm_fault_t ret;

	toymap_count(obj, TOYMAP_STAT_FAULTS);
	if (vmf->cow_page)
		toymap_count(obj, TOYMAP_STAT_COW_FAULTS);

	if (vmf->pgoff >= toymap_object_pages(obj)) {
		outcome = TOYMAP_SIGBUS_EOF;
		ret = VM_FAULT_SIGBUS;
		goto out;
	}

	filemap_invalidate_lock_shared(mapping);
	folio = toymap_get_folio(obj, vmf->pgoff, toymap_fault_order(obj, vmf), &outcome);
	/* madvise(MADV_SEQUENTIAL): read on, as the kernel does for a file. */
	if (outcome == TOYMAP_FILE_READ && (vmf->vma->vm_flags & VM_SEQ_READ))
		ahead = toymap_readahead(obj, vmf->pgoff + 1, VM_READAHEAD_PAGES - 1);
	filemap_invalidate_unlock_shared(mapping);

	if (IS_ERR(folio)) {
		/* Over max_pages, or the file could not be read: as an I/O error. */
		ret = vmf_error(PTR_ERR(folio));
		goto out;
	}
	if (outcome != TOYMAP_RESIDENT)
		order = folio_order(folio);
	vmf->page = folio_file_page(folio, vmf->pgoff);
	ret = VM_FAULT_LOCKED;
out:
	if (ret & VM_FAULT_SIGBUS)
		toymap_count(obj, TOYMAP_STAT_SIGBUS_FAULTS);
	toymap_note_fault(obj, vmf, outcome, order, ahead);
	return ret;
}

/*
 * toymap_map_pages - fault-around: map the resident pages near a read fault
 *
 * Runs under RCU on 6.12: must not sleep.  filemap_map_pages() maps what is
 * already in the page cache and up to date; if it mapped the faulting address
 * it returns VM_FAULT_NOPAGE and .fault is not called.  Not while someone
 * holds the invalidate_lock exclusive (evict's drop phase, discard, attach):
 * then .fault waits for them, as it does for a page not yet there.
 */
static vm_fault_t toymap_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff,
				   pgoff_t end_pgoff)
{
	struct toymap_object *obj = vmf->vma->vm_private_data;
	struct address_space *mapping = obj->inode->i_mapping;
	vm_fault_t ret;
	bool hit;

	if (!READ_ONCE(toymap_fault_around))
		return 0;
	if (!filemap_invalidate_trylock_shared(mapping))
		return 0;
	ret = filemap_map_pages(vmf, start_pgoff, end_pgoff);
	filemap_invalidate_unlock_shared(mapping);
	hit = ret & VM_FAULT_NOPAGE;
	toymap_count(obj, TOYMAP_STAT_FAULT_AROUND_CALLS);
	if (hit)
		toymap_count(obj, TOYMAP_STAT_FAULT_AROUND_HITS);

	trace_toymap_fault_around(obj->index, vmf->address, start_pgoff, end_pgoff, hit);
	if (toymap_tracing())
		toymap_log(obj, vmf, hit ? "fault-around, resident" :
			   "fault-around found nothing, calling .fault");
	return ret;
}

/*
 * toymap_page_mkwrite - first write to a page through a MAP_SHARED mapping
 *
 * Marks the page dirty, as filemap_page_mkwrite() does.  The page may have
 * been discarded since it was mapped: then let the fault be retried.
 */
static vm_fault_t toymap_page_mkwrite(struct vm_fault *vmf)
{
	struct toymap_object *obj = vmf->vma->vm_private_data;
	struct folio *folio = page_folio(vmf->page);

	folio_lock(folio);
	if (folio->mapping != obj->inode->i_mapping) {
		folio_unlock(folio);
		return VM_FAULT_NOPAGE;
	}
	folio_mark_dirty(folio);
	folio_wait_stable(folio);

	toymap_count(obj, TOYMAP_STAT_PAGE_MKWRITES);
	trace_toymap_mkwrite(obj->index, vmf->address, vmf->pgoff);
	if (toymap_tracing())
		toymap_log(obj, vmf, "page_mkwrite, page now dirty");
	return VM_FAULT_LOCKED;
}

/* A new mapping of the object exists: mmap, fork, or a split of one. */
static void toymap_vma_opened(struct toymap_object *obj)
{
	spin_lock(&obj->map_lock);
	obj->live_vmas++;
	spin_unlock(&obj->map_lock);
	toymap_count(obj, TOYMAP_STAT_VMA_OPENS);
}

static void toymap_vma_open(struct vm_area_struct *vma)
{
	toymap_vma_opened(vma->vm_private_data);
}

static void toymap_vma_close(struct vm_area_struct *vma)
{
	struct toymap_object *obj = vma->vm_private_data;

	spin_lock(&obj->map_lock);
	obj->live_vmas--;
	spin_unlock(&obj->map_lock);
	toymap_count(obj, TOYMAP_STAT_VMA_CLOSES);
}

static const struct vm_operations_struct toymap_vm_ops = {
	.open		= toymap_vma_open,
	.close		= toymap_vma_close,
	.fault		= toymap_fault,
	.map_pages	= toymap_map_pages,
	.page_mkwrite	= toymap_page_mkwrite,
};

/* The object @vma maps, or NULL when it is not a mapping of toymap's. */
struct toymap_object *toymap_vma_object(struct vm_area_struct *vma)
{
	return vma->vm_ops == &toymap_vm_ops ? vma->vm_private_data : NULL;
}

/*
 * May the caller map the object's backing file this way?  Checked against
 * the mapper's own credentials, since the file was attached by someone else
 * perhaps: reading needs read permission on the file; a shared mapping that
 * may become writable needs write permission and a file attached for
 * writing, else it is made without VM_MAYWRITE, or refused (EACCES) if it
 * asks for PROT_WRITE, as the kernel does for a file opened read-only.
 */
static int toymap_check_backing_access(struct toymap_object *obj, struct vm_area_struct *vma)
{
	if (!obj->backing)
		return 0;
	if (file_permission(obj->backing, MAY_READ))
		return -EACCES;
	if (!(vma->vm_flags & VM_SHARED) ||
	    (!obj->readonly && !file_permission(obj->backing, MAY_WRITE)))
		return 0;
	if (vma->vm_flags & VM_WRITE)
		return -EACCES;
	toymap_vm_flags_clear(vma, VM_MAYWRITE);
	return 0;
}

/*
 * toymap_mmap - map the object, shared or private, at any page offset
 *
 * Nothing is mapped here: every page arrives by a fault.  Mapping past the
 * end is allowed, as for a file; touching it raises SIGBUS.  VM_DONTEXPAND
 * makes mremap() refuse to grow the mapping.  core mm has already refused an
 * offset + length that overflows.  The invalidate_lock (shared) keeps the
 * backing settings stable and makes a new mapping wait for an attach or
 * detach that is deciding on an unmapped object.
 */
int toymap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct toymap_object *obj = file->private_data;
	struct address_space *mapping = obj->inode->i_mapping;
	int err;

	filemap_invalidate_lock_shared(mapping);
	err = toymap_check_backing_access(obj, vma);
	if (!err) {
		spin_lock(&obj->map_lock);
		obj->live_vmas++;
		obj->mmaps++;
		spin_unlock(&obj->map_lock);
	}
	filemap_invalidate_unlock_shared(mapping);
	if (err)
		return err;

	toymap_vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &toymap_vm_ops;
	vma->vm_private_data = obj;
	toymap_count(obj, TOYMAP_STAT_VMA_OPENS);
	return 0;
}
