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
 * @backing_flags:	TOYMAP_BACKING_* bits: file attached, read-only, swap file
 * @reserved:		zero
 * @backing_offset:	byte offset of the file section (when attached)
 * @backing_length:	bytes of the file section (when attached)
 * @file_reads:		pages whose bytes were read from the backing file
 * @write_backs:	pages written back to the backing file
 * @swap_outs:		pages written to the swap file
 * @swap_ins:		pages read back from the swap file
 * @evictions:		pages dropped by TOYMAP_IOC_EVICT
 * @swapped_pages:	pages with a copy in the swap file now
 *
 * Counters are per object and only grow, except the "now" values.  The
 * fields from @backing_flags on came with file-backed objects: a caller
 * built before them passes the older, smaller size and gets the fields up
 * to @max_pages.
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
	__u32 backing_flags;
	__u32 reserved;
	__u64 backing_offset;
	__u64 backing_length;
	__u64 file_reads;
	__u64 write_backs;
	__u64 swap_outs;
	__u64 swap_ins;
	__u64 evictions;
	__u64 swapped_pages;
};

/* The first published size of struct toymap_info, up to @max_pages. */
#define TOYMAP_INFO_SIZE_VER0	120

#define TOYMAP_BACKING_FILE	0x1	/* a file section is attached */
#define TOYMAP_BACKING_READONLY	0x2	/* ... through a read-only fd */
#define TOYMAP_BACKING_SWAP	0x4	/* a swap file is set */

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

/**
 * struct toymap_attach - back the object with a section of a regular file
 * @size:	in: sizeof(struct toymap_attach)
 * @flags:	in: must be 0
 * @fd:		in: a regular file, open for reading (and writing, for
 *		MAP_SHARED writes to reach it), without O_APPEND or
 *		O_DIRECT, on a file system read through its page cache
 * @reserved:	in: must be 0
 * @offset:	in: byte offset of the section in the file, any alignment
 * @length:	in: bytes of the section, non-zero; it may run past the end
 *		of the file and past the end of the object
 *
 * Page k of the object starts with file bytes offset + k * PAGE_SIZE while
 * they are inside the section and the file; every other byte is zero.
 * Whoever maps the object afterwards is checked against the file: mmap()
 * fails with EACCES unless the caller may read it, and a MAP_SHARED mapping
 * is writable only for a caller who may write it (and a file attached open
 * for writing).
 */
struct toymap_attach {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 reserved;
	__u64 offset;
	__u64 length;
};

/**
 * struct toymap_swap - set or drop the swap file of the object
 * @size:	in: sizeof(struct toymap_swap)
 * @flags:	in: must be 0
 * @fd:		in: a regular file open for reading and writing, without
 *		O_APPEND or O_DIRECT, that no other object uses as its swap
 *		or backing file; or -1 to drop the swap file
 * @reserved:	in: must be 0
 */
struct toymap_swap {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 reserved;
};

/**
 * struct toymap_detach - detach the backing file
 * @size:	in: sizeof(struct toymap_detach)
 * @flags:	in: must be 0
 */
struct toymap_detach {
	__u32 size;
	__u32 flags;
};

/**
 * struct toymap_evict - evict a range of the object from memory
 * @size:		in: sizeof(struct toymap_evict)
 * @flags:		in: must be 0
 * @offset:		in: first byte, a multiple of the page size
 * @length:		in: bytes, a non-zero multiple of the page size, inside
 *			the object
 * @dropped:		out: pages dropped (clean, or cleaned below); a page
 *			someone else holds (GUP, a pipe after vmsplice)
 *			stays, as reclaim keeps it
 * @written_back:	out: dirty pages written back to the backing file
 * @swapped_out:	out: dirty pages written to the swap file
 * @kept:		out: dirty pages that stay: nowhere to write them, or
 *			being written through a pin
 *
 * With large_folios=1 a large folio that the range cuts is evicted whole,
 * as reclaim does: the counts then include its pages outside the range.
 */
struct toymap_evict {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u64 length;
	__u64 dropped;
	__u64 written_back;
	__u64 swapped_out;
	__u64 kept;
};

/**
 * struct toymap_lookup - what backs one virtual address of the caller
 * @size:	in: sizeof(struct toymap_lookup)
 * @flags:	in: must be 0
 * @addr:	in: a virtual address in the caller's own address space
 * @kind:	out: TOYMAP_LOOKUP_* below
 * @index:	out: N of /dev/toymapN whose mapping holds @addr (every kind
 *		but NONE and OTHER)
 * @pgoff:	out: the page of that object the mapping shows at @addr
 *		(its mmap offset + the distance from its start, in pages)
 * @frame:	out: the frame's identity (kinds OBJECT and PRIVATE), else 0
 * @mapped:	out: TOYMAP_MAPPED_* below (kinds OBJECT and PRIVATE), else 0
 * @reserved:	in: must be 0
 *
 * Nothing is faulted in: the answer is what the caller's page table holds
 * now, as /proc/PID/pagemap tells it (a PROT_NONE area's pages included).
 *
 * @frame stands in for the page frame number, which pagemap shows to
 * CAP_SYS_ADMIN only (since 4.2: physical placement helps Rowhammer).  It
 * is SipHash-2-4 of the PFN under a 128-bit key drawn at module load and
 * never shown, so it tells "same frame" from "another frame" and nothing
 * else: without the key, identities are unrelated to PFNs, to each other
 * and to adjacency, and the key changes at every load.  Only the caller's
 * own page table is read, and only inside toymap's mappings, where the
 * caller already sees the page's contents; for any other address it
 * learns no more than /proc/self/maps tells it.  What equal identities can
 * still tell: that two of its pages share a frame (which the mapping's
 * semantics promise anyway), and that a frame freed and faulted again came
 * back (a reuse the allocator makes, visible to timing too).
 */
struct toymap_lookup {
	__u32 size;
	__u32 flags;
	__u64 addr;
	__u32 kind;
	__u32 index;
	__u64 pgoff;
	__u64 frame;
	__u32 mapped;
	__u32 reserved;
};

#define TOYMAP_LOOKUP_NONE	0	/* no mapping at @addr */
#define TOYMAP_LOOKUP_OTHER	1	/* a mapping that is not toymap's: no more told */
#define TOYMAP_LOOKUP_ABSENT	2	/* a toymap mapping, no page mapped there now */
#define TOYMAP_LOOKUP_OBJECT	3	/* a page of the object (its page cache) */
#define TOYMAP_LOOKUP_PRIVATE	4	/* a private anonymous copy (MAP_PRIVATE, written) */

#define TOYMAP_MAPPED_ONCE	1	/* one page table entry maps the frame */
#define TOYMAP_MAPPED_SEVERAL	2	/* more than one: other processes or mappings */

/*
 * Every command but INFO and LOOKUP needs the device open for writing (EBADF);
 * unknown commands are ENOTTY.
 */

/* Read the object's configuration and counters. */
#define TOYMAP_IOC_INFO		_IOWR(TOYMAP_IOC_MAGIC, 0x00, struct toymap_info)
/*
 * Punch a hole: unmap the range from every process that maps the object
 * (private COW copies stay with their process) and free its pages.  The next
 * touch is demand-zero again.
 */
#define TOYMAP_IOC_DISCARD	_IOW(TOYMAP_IOC_MAGIC, 0x01, struct toymap_range)
/*
 * Attach a file section.  EBUSY while the object is mapped, holds dirty
 * pages or swapped pages, has a file attached already, or when the file is
 * another object's swap file.
 */
#define TOYMAP_IOC_ATTACH	_IOW(TOYMAP_IOC_MAGIC, 0x02, struct toymap_attach)
/* Write back what is dirty and drop every page: anonymous again. */
#define TOYMAP_IOC_DETACH	_IOW(TOYMAP_IOC_MAGIC, 0x03, struct toymap_detach)
/*
 * Set (fd >= 0) or drop (fd == -1) the swap file for dirty anonymous pages.
 * A page read back from it leaves it (its slot is freed, the page is dirty).
 * EBUSY while pages live in the current one, or when the file is another
 * object's swap or backing file.
 */
#define TOYMAP_IOC_SET_SWAP	_IOW(TOYMAP_IOC_MAGIC, 0x04, struct toymap_swap)
/*
 * Unmap the range from every process, write dirty pages to the file or the
 * swap file, and drop every page that is clean then.
 */
#define TOYMAP_IOC_EVICT	_IOWR(TOYMAP_IOC_MAGIC, 0x05, struct toymap_evict)
/*
 * What backs an address of the caller (struct toymap_lookup): any opener
 * may ask, of any toymap mapping of its own; no PFN is shown.
 */
#define TOYMAP_IOC_LOOKUP	_IOWR(TOYMAP_IOC_MAGIC, 0x06, struct toymap_lookup)

#endif /* _UAPI_TOYMAP_H */
