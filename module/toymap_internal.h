/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toymap internals shared by toymap_dev.c (devices, parameters, ioctls),
 * toymap_vm.c (the page store and its max_pages budget, mmap, the fault
 * path), toymap_backing.c (the backing file, write-back, the swap file) and
 * toymap_evict.c (eviction and discard).
 */
#ifndef TOYMAP_INTERNAL_H
#define TOYMAP_INTERNAL_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/jump_label.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

/* Per-object counters, reported by TOYMAP_IOC_INFO (see struct toymap_info). */
enum toymap_stat {
	TOYMAP_STAT_FAULTS,
	TOYMAP_STAT_ZERO_FILLS,
	TOYMAP_STAT_COW_FAULTS,
	TOYMAP_STAT_FAULT_AROUND_CALLS,
	TOYMAP_STAT_FAULT_AROUND_HITS,
	TOYMAP_STAT_PAGE_MKWRITES,
	TOYMAP_STAT_VMA_OPENS,
	TOYMAP_STAT_VMA_CLOSES,
	TOYMAP_STAT_SIGBUS_FAULTS,
	TOYMAP_STAT_DISCARDED_PAGES,
	TOYMAP_STAT_FILE_READS,
	TOYMAP_STAT_WRITE_BACKS,
	TOYMAP_STAT_SWAP_OUTS,
	TOYMAP_STAT_SWAP_INS,
	TOYMAP_STAT_EVICTIONS,
	TOYMAP_NR_STATS
};

/* What one fault found or did: the trace's "outcome". */
enum toymap_outcome {
	TOYMAP_ZERO_FILL,	/* no page yet: allocated and zeroed one */
	TOYMAP_FILE_READ,	/* no page yet: filled from the backing file */
	TOYMAP_SWAP_IN,		/* no page yet: read back from the swap file */
	TOYMAP_RESIDENT,	/* the page was already in the object */
	TOYMAP_SIGBUS_EOF,	/* offset at or past the end of the object */
	TOYMAP_SIGBUS_LIMIT,	/* the module holds max_pages already */
	TOYMAP_ALLOC_FAILED,	/* no memory for a new page */
	TOYMAP_READ_FAILED,	/* the file or swap file could not be read */
};

/* The counter of each way a new page is filled. */
static inline enum toymap_stat toymap_fill_stat(enum toymap_outcome how)
{
	if (how == TOYMAP_FILE_READ)
		return TOYMAP_STAT_FILE_READS;
	if (how == TOYMAP_SWAP_IN)
		return TOYMAP_STAT_SWAP_INS;
	return TOYMAP_STAT_ZERO_FILLS;
}

/* One CPU's share of an object's counters. */
struct toymap_stats {
	u64 count[TOYMAP_NR_STATS];
};

/**
 * struct toymap_object - one memory object, the device /dev/toymapN
 * @dev:	the device; its release() frees the object
 * @cdev:	the character device, holding the module while open
 * @inode:	inode of the module's pseudo filesystem; its page cache
 *		(i_mapping) is the object's page store and its i_size the
 *		object size.  Every open file points f_mapping here, so all
 *		mappings of the object share pages and one i_mmap tree.
 * @index:	N of /dev/toymapN
 * @opens:	open files of the object; the last close writes back
 * @lock:	serialises attach, detach, set-swap, evict, discard and
 *		write-back, and protects changes of @backing, @swap and their
 *		settings
 * @map_lock:	protects @live_vmas, @mmaps and @readonly; mmap() counts a
 *		new mapping under it while holding the invalidate_lock shared,
 *		so an attach holding that lock exclusive sees every mapping
 * @live_vmas:	mappings of the object that exist now
 * @mmaps:	mmap() calls so far: a detach that saw none mapped tells by
 *		it whether a mapping came and went while it wrote back
 * @readonly:	the backing file was opened read-only: no shared writes
 * @backing:	the backing file, or NULL for an anonymous object
 * @backing_offset: byte offset of the section in @backing
 * @backing_length: bytes of the section
 * @swap:	the swap file for dirty anonymous pages, or NULL
 * @swapped:	pages with a copy in @swap (at index * PAGE_SIZE)
 * @nr_swapped:	entries in @swapped
 * @stats:	monotonic counters, per CPU, indexed by enum toymap_stat
 *
 * Locks, outermost first.  Folio locks are invisible to lockdep: this order
 * is kept by reading, so keep it true.
 *
 *   @lock                           ioctls, fsync, the last close
 *     sb_writers, i_rwsem           of the backing or swap file: write-back's
 *                                   kernel_write() and vfs_fsync(), under
 *                                   @lock and nothing else of ours
 *       mmap_lock (or a VMA lock)   every fault: write(2) to the backing file
 *                                   holds its i_rwsem while it faults in its
 *                                   buffer, which may map this object; mmap()
 *                                   holds it for writing
 *         the invalidate_lock       of the object's mapping: shared by faults,
 *                                   fault-around (a trylock) and mmap();
 *                                   exclusive by attach, detach and
 *                                   set-swap, and by toymap_drop_range()
 *                                   (discard, evict's drop phase)
 *           toymap_files_lock       (toymap_backing.c) every object's
 *                                   @backing and @swap pointers
 *           the object's folio lock the fault (VM_FAULT_LOCKED), page_mkwrite,
 *                                   write-back's copy (toymap_wb_copy()),
 *                                   truncation
 *             the backing or swap   toymap_read_file(): their page cache,
 *             file's invalidate_    never their i_rwsem, under the lock of
 *             lock, then its folio  the folio being filled
 *             locks                 (toymap_fill_folio()), and when reading
 *                                   ahead also the faulting page's lock
 *             i_mmap_rwsem, PTL     folio_mkclean(), unmap_mapping_pages()
 *           @map_lock               a spinlock, innermost
 *
 * Hence: no file I/O that may take an i_rwsem under the object's
 * invalidate_lock or folio lock (write-back copies the page and unlocks it
 * first, toymap_wb_write() does the I/O; faults read through the page
 * cache), and @lock is never taken under mmap_lock or an i_rwsem (msync()
 * drops mmap_lock before fsync; the last close runs from task work).
 * Faults read @backing, @swap and their settings under the invalidate_lock
 * shared; changes to those take it exclusive (and @lock).  A fill may
 * take a backing or swap file's locks under an object's folio lock because
 * nothing takes them the other way round: the module never locks an object's folio
 * under a backing file's lock, nor does the kernel (a write(2) copying from
 * a mapping of the object under the file's folio lock copies with page
 * faults disabled, and faults the page in before, holding only i_rwsem).
 */
struct toymap_object {
	struct device dev;
	struct cdev cdev;
	struct inode *inode;
	unsigned int index;
	atomic_t opens;
	struct mutex lock;		/* protects backing and swap settings */
	spinlock_t map_lock;		/* protects live_vmas, readonly */
	unsigned long live_vmas;
	unsigned long mmaps;
	bool readonly;
	struct file *backing;
	loff_t backing_offset;
	loff_t backing_length;
	struct file *swap;
	struct xarray swapped;
	atomic_long_t nr_swapped;
	struct toymap_stats __percpu *stats;
};

/* Module parameters, read at run time with READ_ONCE(). */
extern bool toymap_trace;
extern bool toymap_fault_around;

/*
 * trace=1: log to the kernel log.  A static key follows the parameter
 * (toymap_dev.c), so that with trace=0 the fault path pays a no-op, not a
 * load and a branch.
 */
DECLARE_STATIC_KEY_FALSE(toymap_trace_key);

static inline bool toymap_tracing(void)
{
	return static_branch_unlikely(&toymap_trace_key);
}

/*
 * The counters are per CPU, so that faults on different CPUs write no
 * shared cache line; INFO sums them.  A u64 per CPU is read whole on 64-bit
 * machines; on 32-bit a sum may see a torn value while a CPU increments it.
 */
static inline void toymap_count_n(struct toymap_object *obj, enum toymap_stat stat, s64 n)
{
	this_cpu_add(obj->stats->count[stat], n);
}

static inline void toymap_count(struct toymap_object *obj, enum toymap_stat stat)
{
	toymap_count_n(obj, stat, 1);
}

static inline u64 toymap_stat(struct toymap_object *obj, enum toymap_stat stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(obj->stats, cpu)->count[stat];
	return sum;
}

/*
 * With large_folios=1 a fault may allocate folios of these orders (16 KiB
 * up to a PMD, 2 MiB on x86-64); TOYMAP_MAX_ORDER is 0 on a kernel without
 * large folios in the page cache.  Every other folio is one page.
 */
#define TOYMAP_MIN_ORDER	2U
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
#define TOYMAP_MAX_ORDER	((unsigned int)min(HPAGE_PMD_ORDER, MAX_PAGECACHE_ORDER))
#else
#define TOYMAP_MAX_ORDER	0U
#endif

static inline pgoff_t toymap_object_pages(struct toymap_object *obj)
{
	return i_size_read(obj->inode) >> PAGE_SHIFT;
}

/* toymap_dev.c */
struct toymap_object *toymap_nth_object(unsigned int i);

/* toymap_vm.c */
extern const struct address_space_operations toymap_aops;
int toymap_budget_init(void);
void toymap_budget_exit(void);
unsigned long toymap_page_limit(void);
long toymap_pages_held(void);
bool toymap_budget_room(long nr);
int toymap_mmap(struct file *file, struct vm_area_struct *vma);
struct folio *toymap_add_folio(struct toymap_object *obj, pgoff_t index, unsigned int order,
			       gfp_t gfp, enum toymap_outcome *outcome);
struct toymap_object *toymap_vma_object(struct vm_area_struct *vma);

/* toymap_backing.c */
struct toymap_attach;
struct toymap_swap;

/* What a write-back pass did, for TOYMAP_IOC_EVICT. */
struct toymap_wb_counts {
	u64 written_back;
	u64 swapped_out;
	u64 kept;
};

struct folio *toymap_alloc_folio(struct toymap_object *obj, pgoff_t index, unsigned int order,
				 gfp_t gfp, bool *zeroed, enum toymap_outcome *outcome);
int toymap_fill_folio(struct toymap_object *obj, struct folio *folio, bool zeroed,
		      enum toymap_outcome *outcome);
bool toymap_zero_range(struct toymap_object *obj, pgoff_t start, pgoff_t nr);
unsigned int toymap_readahead(struct toymap_object *obj, pgoff_t index, unsigned int nr);
int toymap_attach(struct toymap_object *obj, const struct toymap_attach *arg);
int toymap_detach(struct toymap_object *obj);
int toymap_set_swap(struct toymap_object *obj, const struct toymap_swap *arg);
int toymap_writeback_range(struct toymap_object *obj, pgoff_t first, pgoff_t last,
			   bool evict, struct toymap_wb_counts *counts);
int toymap_sync(struct toymap_object *obj, loff_t start, loff_t end);
void toymap_forget_swapped(struct toymap_object *obj, pgoff_t first, pgoff_t last);
void toymap_backing_release(struct toymap_object *obj);

/* toymap_evict.c */
struct toymap_evict;
int toymap_evict(struct toymap_object *obj, struct toymap_evict *arg);
long toymap_discard(struct toymap_object *obj, loff_t start, loff_t len);

/* toymap_lookup.c */
struct toymap_lookup;
void toymap_lookup_init(void);
int toymap_lookup(struct toymap_lookup *res);

#endif /* TOYMAP_INTERNAL_H */
