// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_vm.c - mmap and the fault path of a toymap object.
 *
 * The object's pages live in the page cache of its inode (see
 * struct toymap_object).  A page exists only once it has been touched:
 * .fault finds it there or allocates a zeroed one (demand-zero).  Core mm does
 * the rest: MAP_PRIVATE copy-on-write, fault-around through
 * filemap_map_pages(), rmap, mincore() and reclaim of clean pages.
 * The model is shmem_fault()/shmem_get_folio() in mm/shmem.c.
 */

#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/writeback.h>
#include <linux/sched.h>

#include "compat.h"
#include "toymap_internal.h"

#define CREATE_TRACE_POINTS
#include "toymap_trace.h"

/* Pages in the page caches of all objects: grows on insert, shrinks in free_folio. */
static atomic_long_t toymap_nr_pages = ATOMIC_LONG_INIT(0);

static const char * const toymap_outcome_names[] = {
	[TOYMAP_ZERO_FILL]	= "zero-fill",
	[TOYMAP_RESIDENT]	= "resident",
	[TOYMAP_SIGBUS_EOF]	= "sigbus",
	[TOYMAP_SIGBUS_LIMIT]	= "sigbus",
	[TOYMAP_ALLOC_FAILED]	= "allocation failed",
};

long toymap_pages_held(void)
{
	return atomic_long_read(&toymap_nr_pages);
}

/* Reserve one page of the module's max_pages budget. */
static bool toymap_reserve_page(void)
{
	if (atomic_long_inc_return(&toymap_nr_pages) <= toymap_page_limit())
		return true;
	atomic_long_dec(&toymap_nr_pages);
	return false;
}

/*
 * Called by the page cache once a folio has left the object: truncation,
 * discard, reclaim of a clean page, or the inode's eviction at unload.
 */
static void toymap_free_folio(struct folio *folio)
{
	atomic_long_sub(folio_nr_pages(folio), &toymap_nr_pages);
}

/*
 * No writepage: reclaim drops clean pages (they come back as zero) and keeps
 * dirty ones.  Dirty pages are tagged in the page cache by filemap_dirty_folio.
 */
const struct address_space_operations toymap_aops = {
	.dirty_folio	= filemap_dirty_folio,
	.free_folio	= toymap_free_folio,
	.migrate_folio	= migrate_folio,
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
			      enum toymap_outcome outcome)
{
	char what[48];

	trace_toymap_fault(obj->index, vmf->address, vmf->pgoff,
			   vmf->flags & FAULT_FLAG_WRITE,
			   vmf->vma->vm_flags & VM_SHARED, vmf->cow_page, outcome);
	if (!READ_ONCE(toymap_trace))
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
		toymap_log(obj, vmf, what);
	}
}

/**
 * toymap_get_folio - find or create the object's page at @index
 * @obj:	the object
 * @index:	page offset in the object, below its size
 * @outcome:	set to what was found or done
 *
 * Caller holds the mapping's invalidate_lock shared, so no discard runs.
 * A new page is zeroed and uptodate before filemap_add_folio() makes it
 * visible; filemap_add_folio() locks it (and unlocks it again on failure).
 *
 * Return: the folio, locked and with a reference for the caller, or an
 * ERR_PTR: -ENOSPC over max_pages, -ENOMEM, or another filemap_add_folio()
 * error.
 */
static struct folio *toymap_get_folio(struct toymap_object *obj, pgoff_t index,
				      enum toymap_outcome *outcome)
{
	struct address_space *mapping = obj->inode->i_mapping;
	gfp_t gfp = mapping_gfp_mask(mapping);
	struct folio *folio;
	int err;

	for (;;) {
		folio = toymap_lock_folio(mapping, index);
		if (folio) {
			*outcome = TOYMAP_RESIDENT;
			return folio;
		}

		if (!toymap_reserve_page()) {
			*outcome = TOYMAP_SIGBUS_LIMIT;
			return ERR_PTR(-ENOSPC);
		}
		folio = folio_alloc(gfp | __GFP_ZERO, 0);
		if (!folio) {
			atomic_long_dec(&toymap_nr_pages);
			*outcome = TOYMAP_ALLOC_FAILED;
			return ERR_PTR(-ENOMEM);
		}
		__folio_mark_uptodate(folio);

		err = filemap_add_folio(mapping, folio, index, gfp);
		if (!err) {
			toymap_count(obj, TOYMAP_STAT_ZERO_FILLS);
			*outcome = TOYMAP_ZERO_FILL;
			return folio;
		}
		/* Never in the page cache, so free_folio will not see it. */
		folio_put(folio);
		atomic_long_dec(&toymap_nr_pages);
		if (err != -EEXIST) {
			*outcome = TOYMAP_ALLOC_FAILED;
			return ERR_PTR(err);
		}
		/* Another fault inserted the page first: use theirs. */
	}
}

/*
 * toymap_fault - a page of the object is not mapped at this address
 *
 * For a write fault on a MAP_PRIVATE mapping core mm has already allocated
 * vmf->cow_page: it copies our page into it and maps the copy, so the object
 * itself never changes.  A write to a private page that is already mapped
 * read-only is copied by do_wp_page() without calling us at all.
 */
static vm_fault_t toymap_fault(struct vm_fault *vmf)
{
	struct toymap_object *obj = vmf->vma->vm_private_data;
	struct address_space *mapping = obj->inode->i_mapping;
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
	folio = toymap_get_folio(obj, vmf->pgoff, &outcome);
	filemap_invalidate_unlock_shared(mapping);

	if (IS_ERR(folio)) {
		ret = PTR_ERR(folio) == -ENOSPC ? VM_FAULT_SIGBUS : vmf_error(PTR_ERR(folio));
		goto out;
	}
	vmf->page = folio_file_page(folio, vmf->pgoff);
	ret = VM_FAULT_LOCKED;
out:
	if (ret & VM_FAULT_SIGBUS)
		toymap_count(obj, TOYMAP_STAT_SIGBUS_FAULTS);
	toymap_note_fault(obj, vmf, outcome);
	return ret;
}

/*
 * toymap_map_pages - fault-around: map the resident pages near a read fault
 *
 * Runs under RCU on 6.12: must not sleep.  filemap_map_pages() maps what is
 * already in the page cache and up to date; if it mapped the faulting address
 * it returns VM_FAULT_NOPAGE and .fault is not called.
 */
static vm_fault_t toymap_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff,
				   pgoff_t end_pgoff)
{
	struct toymap_object *obj = vmf->vma->vm_private_data;
	vm_fault_t ret;
	bool hit;

	if (!READ_ONCE(toymap_fault_around))
		return 0;

	ret = filemap_map_pages(vmf, start_pgoff, end_pgoff);
	hit = ret & VM_FAULT_NOPAGE;
	toymap_count(obj, TOYMAP_STAT_FAULT_AROUND_CALLS);
	if (hit)
		toymap_count(obj, TOYMAP_STAT_FAULT_AROUND_HITS);

	trace_toymap_fault_around(obj->index, vmf->address, start_pgoff, end_pgoff, hit);
	if (READ_ONCE(toymap_trace))
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
	if (READ_ONCE(toymap_trace))
		toymap_log(obj, vmf, "page_mkwrite, page now dirty");
	return VM_FAULT_LOCKED;
}

/* A copy of a mapping: fork, or a split by munmap/mprotect of a part. */
static void toymap_vma_open(struct vm_area_struct *vma)
{
	toymap_count(vma->vm_private_data, TOYMAP_STAT_VMA_OPENS);
}

static void toymap_vma_close(struct vm_area_struct *vma)
{
	toymap_count(vma->vm_private_data, TOYMAP_STAT_VMA_CLOSES);
}

static const struct vm_operations_struct toymap_vm_ops = {
	.open		= toymap_vma_open,
	.close		= toymap_vma_close,
	.fault		= toymap_fault,
	.map_pages	= toymap_map_pages,
	.page_mkwrite	= toymap_page_mkwrite,
};

/*
 * toymap_mmap - map the object, shared or private, at any page offset
 *
 * Nothing is mapped here: every page arrives by a fault.  Mapping past the
 * end is allowed, as for a file; touching it raises SIGBUS.  VM_DONTEXPAND
 * makes mremap() refuse to grow the mapping.  core mm has already refused an
 * offset + length that overflows.
 */
int toymap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct toymap_object *obj = file->private_data;

	toymap_vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &toymap_vm_ops;
	vma->vm_private_data = obj;
	toymap_count(obj, TOYMAP_STAT_VMA_OPENS);
	return 0;
}

/**
 * toymap_discard - punch a hole in the object
 * @obj:	the object
 * @start:	first byte, page aligned
 * @len:	bytes, page aligned, non-zero, inside the object
 *
 * Unmaps the range from every process (private COW copies belong to their
 * process and stay) and frees its pages; the next touch is demand-zero.
 * The invalidate_lock keeps faults out until the pages are gone.
 *
 * Return: the number of pages freed.
 */
unsigned long toymap_discard(struct toymap_object *obj, loff_t start, loff_t len)
{
	struct address_space *mapping = obj->inode->i_mapping;
	unsigned long before, freed;

	filemap_invalidate_lock(mapping);
	before = READ_ONCE(mapping->nrpages);
	unmap_mapping_range(mapping, start, len, 0);
	truncate_inode_pages_range(mapping, start, start + len - 1);
	freed = before - READ_ONCE(mapping->nrpages);
	filemap_invalidate_unlock(mapping);

	toymap_count_n(obj, TOYMAP_STAT_DISCARDED_PAGES, freed);
	trace_toymap_discard(obj->index, start >> PAGE_SHIFT, len >> PAGE_SHIFT, freed);
	if (READ_ONCE(toymap_trace))
		pr_info("toymap%u: pid %d (%s) discard from pgoff %llu, %llu pages: %lu freed\n",
			obj->index, task_pid_nr(current), current->comm,
			start >> PAGE_SHIFT, len >> PAGE_SHIFT, freed);
	return freed;
}
