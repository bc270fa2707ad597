/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toymap internals shared by toymap_dev.c (devices, parameters, ioctls) and
 * toymap_vm.c (mmap, the fault path, the page store).
 */
#ifndef TOYMAP_INTERNAL_H
#define TOYMAP_INTERNAL_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mm.h>

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
	TOYMAP_NR_STATS
};

/* What one fault found or did: the trace's "outcome". */
enum toymap_outcome {
	TOYMAP_ZERO_FILL,	/* no page yet: allocated and zeroed one */
	TOYMAP_RESIDENT,	/* the page was already in the object */
	TOYMAP_SIGBUS_EOF,	/* offset at or past the end of the object */
	TOYMAP_SIGBUS_LIMIT,	/* the module holds max_pages already */
	TOYMAP_ALLOC_FAILED,	/* no memory for a new page */
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
 * @stats:	monotonic counters, indexed by enum toymap_stat
 *
 * Faults and truncation-like operations (discard) are serialised by the
 * mapping's invalidate_lock: shared in the fault path, exclusive in discard.
 */
struct toymap_object {
	struct device dev;
	struct cdev cdev;
	struct inode *inode;
	unsigned int index;
	atomic64_t stats[TOYMAP_NR_STATS];
};

/* Module parameters, read at run time with READ_ONCE(). */
extern bool toymap_trace;
extern bool toymap_fault_around;

static inline void toymap_count(struct toymap_object *obj, enum toymap_stat stat)
{
	atomic64_inc(&obj->stats[stat]);
}

static inline u64 toymap_stat(struct toymap_object *obj, enum toymap_stat stat)
{
	return atomic64_read(&obj->stats[stat]);
}

static inline void toymap_count_n(struct toymap_object *obj, enum toymap_stat stat, s64 n)
{
	atomic64_add(n, &obj->stats[stat]);
}

static inline pgoff_t toymap_object_pages(struct toymap_object *obj)
{
	return i_size_read(obj->inode) >> PAGE_SHIFT;
}

/* toymap_dev.c */
unsigned long toymap_page_limit(void);

/* toymap_vm.c */
extern const struct address_space_operations toymap_aops;
int toymap_mmap(struct file *file, struct vm_area_struct *vma);
unsigned long toymap_discard(struct toymap_object *obj, loff_t start, loff_t len);
long toymap_pages_held(void);

#endif /* TOYMAP_INTERNAL_H */
