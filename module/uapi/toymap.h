/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * toymap user ABI: the ioctls of /dev/toymapN, shared by the module, the
 * user-space library, the programs and the selftests.
 *
 * Every ioctl argument starts with "__u32 size", which the caller sets to
 * sizeof(the struct it was compiled with).  The kernel accepts any size from
 * the first published layout up to one page; bytes past the layout it knows
 * must be zero (as openat2() does), else EINVAL.  Unknown commands fail with
 * ENOTTY, unknown flags with EINVAL.  The size encoded in the command number
 * is ignored: the size field is the version.
 */
#ifndef _UAPI_TOYMAP_H
#define _UAPI_TOYMAP_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define TOYMAP_IOC_MAGIC	0xB7

/**
 * struct toymap_info - one object's configuration and counters
 * @size:		in: sizeof(struct toymap_info)
 * @index:		out: N of /dev/toymapN
 * @object_size:	bytes in the object (the file size of its inode)
 * @resident_pages:	pages of the object in memory now
 * @faults:		.fault calls (page faults that reached the module)
 * @zero_fills:		pages allocated and zero-filled (demand-zero)
 * @cow_faults:		write faults on a MAP_PRIVATE mapping: the kernel
 *			copies the object's page into a private one
 * @fault_around_calls:	.map_pages calls (fault-around)
 * @fault_around_hits:	faults that fault-around resolved without .fault
 * @page_mkwrites:	first writes to a page through a MAP_SHARED mapping
 * @vma_opens:		mappings created: mmap() plus fork/split copies
 * @vma_closes:		mappings gone
 * @sigbus_faults:	faults answered with SIGBUS (past the end, max_pages)
 * @discarded_pages:	pages freed by TOYMAP_IOC_DISCARD
 * @module_pages:	pages the whole module holds now, all objects
 * @max_pages:		the module's limit on @module_pages
 *
 * Counters are per object and only grow, except the three "now" values.
 */
struct toymap_info {
	__u32 size;
	__u32 index;
	__u64 object_size;
	__u64 resident_pages;
	__u64 faults;
	__u64 zero_fills;
	__u64 cow_faults;
	__u64 fault_around_calls;
	__u64 fault_around_hits;
	__u64 page_mkwrites;
	__u64 vma_opens;
	__u64 vma_closes;
	__u64 sigbus_faults;
	__u64 discarded_pages;
	__u64 module_pages;
	__u64 max_pages;
};

/**
 * struct toymap_range - a page-aligned byte range of an object
 * @size:	in: sizeof(struct toymap_range)
 * @flags:	in: must be 0
 * @offset:	in: first byte, a multiple of the page size
 * @length:	in: bytes, a non-zero multiple of the page size; the range
 *		must lie inside the object
 */
struct toymap_range {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u64 length;
};

/* Read the object's configuration and counters. */
#define TOYMAP_IOC_INFO		_IOWR(TOYMAP_IOC_MAGIC, 0x00, struct toymap_info)
/*
 * Punch a hole: unmap the range from every process that maps the object
 * (private COW copies stay with their process) and free its pages.  The next
 * touch is demand-zero again.
 */
#define TOYMAP_IOC_DISCARD	_IOW(TOYMAP_IOC_MAGIC, 0x01, struct toymap_range)

#endif /* _UAPI_TOYMAP_H */
