// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_lookup.c - TOYMAP_IOC_LOOKUP: what backs one address of the
 * caller, with an opaque frame identity where pagemap would show the PFN.
 *
 * Why the identity is safe to show: the comment of struct toymap_lookup in
 * uapi/toymap.h.
 */
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "toymap_internal.h"
#include "toymap.h"

/* The key of the frame identities: drawn at load, never shown, read-only after. */
static siphash_key_t toymap_frame_key __ro_after_init;

void __init toymap_lookup_init(void)
{
	get_random_bytes(&toymap_frame_key, sizeof(toymap_frame_key));
}

static u64 toymap_frame_id(unsigned long pfn)
{
	u64 id = siphash_1u64(pfn, &toymap_frame_key);

	return id ?: 1;		/* 0 means "no frame" */
}

/*
 * The page mapped at @addr in @vma, with a reference, or NULL: GUP without
 * faulting (FOLL_NOFAULT), forced as /proc/PID/mem reads are, so that a
 * PROT_NONE area's pages are seen too.  Reading never breaks COW.
 */
static struct page *toymap_mapped_page(unsigned long addr)
{
	struct page *page;

	if (toymap_get_user_page(addr, FOLL_FORCE | FOLL_NOFAULT, &page) != 1)
		return NULL;
	return page;
}

/**
 * toymap_lookup - fill @res for the address @res->addr of the caller
 * @res:	in: @addr; out: the other fields (zeroed first)
 *
 * Who may call: any opener of any toymap device (O_RDONLY too): only the
 * caller's own page table is read.  It holds mmap_lock shared, which keeps
 * the VMA, and so its object (the VMA's file holds the device), and keeps
 * out fork, munmap, mremap and mprotect; GUP takes the page table lock.  A
 * fault, discard, evict or truncation may change the entry right after:
 * the answer is a snapshot, and the page reference keeps the folio's
 * fields readable meanwhile.  No object lock, no I/O, no allocation.
 *
 * Return: 0, or -EINTR (a fatal signal while waiting for mmap_lock).
 */
int toymap_lookup(struct toymap_lookup *res)
{
	unsigned long addr = untagged_addr((unsigned long)res->addr);
	struct mm_struct *mm = current->mm;
	struct toymap_object *obj;
	struct vm_area_struct *vma;
	struct folio *folio;
	struct page *page;

	if (!mm)
		return -EINVAL;
	if (mmap_read_lock_killable(mm))
		return -EINTR;

	vma = vma_lookup(mm, addr);
	if (!vma) {
		res->kind = TOYMAP_LOOKUP_NONE;
		goto out;
	}
	obj = toymap_vma_object(vma);
	if (!obj) {
		res->kind = TOYMAP_LOOKUP_OTHER;
		goto out;
	}
	res->index = obj->index;
	res->pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	res->kind = TOYMAP_LOOKUP_ABSENT;

	page = toymap_mapped_page(addr);
	if (!page)
		goto out;
	folio = page_folio(page);
	if (folio_test_anon(folio))
		res->kind = TOYMAP_LOOKUP_PRIVATE;
	else if (READ_ONCE(folio->mapping) == obj->inode->i_mapping)
		res->kind = TOYMAP_LOOKUP_OBJECT;
	/* else: truncated and on its way out of the page table: absent */
	if (res->kind != TOYMAP_LOOKUP_ABSENT) {
		res->frame = toymap_frame_id(page_to_pfn(page));
		res->mapped = toymap_mapped_more_than_once(folio, page) ? TOYMAP_MAPPED_SEVERAL :
									   TOYMAP_MAPPED_ONCE;
	}
	put_page(page);
out:
	mmap_read_unlock(mm);
	return 0;
}
