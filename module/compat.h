/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels toymap builds for (6.1 .. 7.x) lives
 * here, so the rest of the module reads as if written for one kernel.
 */
#ifndef TOYMAP_COMPAT_H
#define TOYMAP_COMPAT_H

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/version.h>

/*
 * struct folio_batch: <linux/pagevec.h>, which 7.x renamed <linux/folio_batch.h>;
 * <linux/writeback.h> includes whichever exists from 6.12 on.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#include <linux/pagevec.h>
#endif
#include <linux/writeback.h>

/* 6.3 made vma->vm_flags read-only behind vm_flags_set(). */
static inline void toymap_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void toymap_vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * filemap_get_folio() and filemap_lock_folio() return NULL for a missing
 * folio before 6.3 and ERR_PTR(-ENOENT) since: NULL on every kernel.
 */
static inline struct folio *toymap_folio_or_null(struct folio *folio)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	if (IS_ERR(folio))
		return NULL;
#endif
	return folio;
}

/* The folio holding @index, locked, or NULL if absent. */
static inline struct folio *toymap_lock_folio(struct address_space *mapping, pgoff_t index)
{
	return toymap_folio_or_null(filemap_lock_folio(mapping, index));
}

/* The folio holding @index, with a reference, or NULL if absent. */
static inline struct folio *toymap_find_folio(struct address_space *mapping, pgoff_t index)
{
	return toymap_folio_or_null(filemap_get_folio(mapping, index));
}

/*
 * toymap_read_cache_page - the page at @index of @file's page cache, read
 * in if absent, with a reference; or an ERR_PTR.  tmpfs has no ->read_folio
 * and its own reader: shmem_read_mapping_page(), which every kernel since
 * 6.1 exports (shmem_read_folio() only since 6.2).
 */
static inline struct page *toymap_read_cache_page(struct file *file, pgoff_t index)
{
	struct folio *folio;

	if (shmem_file(file))
		return shmem_read_mapping_page(file->f_mapping, index);
	folio = read_mapping_folio(file->f_mapping, index, file);
	if (IS_ERR(folio))
		return ERR_CAST(folio);
	return folio_file_page(folio, index);
}

/*
 * toymap_get_user_page - get_user_pages() of the one page at @addr of the
 * current process, mmap_lock held: 1 and *@page referenced, or -errno.
 * Its last argument, the VMAs, went in 6.5.
 */
static inline long toymap_get_user_page(unsigned long addr, unsigned int gup_flags,
					struct page **page)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return get_user_pages(addr, 1, gup_flags, page);
#else
	return get_user_pages(addr, 1, gup_flags, page, NULL);
#endif
}

/*
 * Is @page of @folio mapped by more than one page table entry?  6.1 counts
 * the page's own mappings (page_mapcount()).  From 6.12 on page_mapcount()
 * is going or gone: a one-page folio counts its mappings (folio_mapcount(),
 * inline from 6.12, not exported before); a page of a large folio
 * (large_folios=1) its PTE mappings plus the folio's PMD mappings, as the
 * kernel's folio_precise_page_mapcount() does, where the kernel keeps a
 * count per page (CONFIG_PAGE_MAPCOUNT, every kernel before 6.15); without
 * it, only whether more than one process may map the folio.
 */
static inline bool toymap_mapped_more_than_once(struct folio *folio, struct page *page)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
	return page_mapcount(page) > 1;
#else
	if (!folio_test_large(folio))
		return folio_mapcount(folio) > 1;
#ifdef CONFIG_NO_PAGE_MAPCOUNT
	return folio_maybe_mapped_shared(folio);
#else
	return atomic_read(&page->_mapcount) + 1 + folio_entire_mapcount(folio) > 1;
#endif
#endif
}

/* Large folios in the object's page cache; filemap_add_folio() takes them. */
static inline void toymap_mapping_set_large_folios(struct address_space *mapping)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	mapping_set_large_folios(mapping);
#endif
}

/* struct class's devnode() takes a const struct device since 6.2. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define TOYMAP_DEVNODE_CONST const
#else
#define TOYMAP_DEVNODE_CONST
#endif

#endif /* TOYMAP_COMPAT_H */
