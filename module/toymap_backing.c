// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_backing.c - file-backed objects, write-back, the swap file.
 *
 * An object may be backed by a section [offset, offset + length) of a regular
 * file: page k of the object starts with the section's bytes at k * PAGE_SIZE
 * (as far as the section and the file go; the rest is zero, like .bss after
 * .data).  The file is read when a page is first touched, never at attach.
 * Dirty pages go back to the section on fsync/msync, eviction, detach and the
 * last close, and never a byte outside it.  Dirty pages with bytes outside the
 * section (anonymous bytes) go to the swap file, if one is set, on eviction.
 * A dirty page is dropped only once every byte of it has a copy somewhere
 * (toymap_evict.c drops them).
 *
 * Both files are read through their page cache and written with
 * kernel_write(), never with the object's folio lock held across the I/O:
 * see the lock order in toymap_internal.h.
 */

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "compat.h"
#include "toymap.h"
#include "toymap_internal.h"
#include "toymap_trace.h"

/* Bytes of page @index that lie in the file section: 0 .. PAGE_SIZE. */
static size_t toymap_section_bytes(struct toymap_object *obj, pgoff_t index)
{
	loff_t start = (loff_t)index << PAGE_SHIFT;

	if (!obj->backing || start >= obj->backing_length)
		return 0;
	return min_t(loff_t, PAGE_SIZE, obj->backing_length - start);
}

/*
 * toymap_read_file - copy @len bytes at @pos of @file into @dst
 *
 * Through the file's page cache, as a fault of a mapping of the file itself
 * would (filemap_fault() under the file's invalidate_lock), never through
 * ->read_iter: XFS, NFS and every O_DIRECT read take the file's i_rwsem,
 * which write(2) holds while it faults on a mapping of this object.  It
 * stops at the end of the file, also when a truncation that does not take
 * the invalidate_lock (tmpfs, 9p) races the read: a page the file no longer
 * has is past the end.
 *
 * Return: the bytes copied (fewer than @len at the end of the file), or the
 * -errno of reading a page of the file.
 */
static ssize_t toymap_read_file(struct file *file, loff_t pos, void *dst, size_t len)
{
	struct address_space *mapping = file->f_mapping;
	ssize_t copied = 0;
	struct page *page;
	size_t offset, n;
	loff_t in_file;

	filemap_invalidate_lock_shared(mapping);
	in_file = i_size_read(file_inode(file)) - pos;
	len = in_file > 0 ? min_t(loff_t, len, in_file) : 0;
	for (; len; dst += n, pos += n, len -= n, copied += n) {
		offset = offset_in_page(pos);
		n = min_t(size_t, len, PAGE_SIZE - offset);
		page = toymap_read_cache_page(file, pos >> PAGE_SHIFT);
		if (IS_ERR(page)) {
			if (pos < i_size_read(file_inode(file)))
				copied = PTR_ERR(page);
			break;
		}
		memcpy_from_page(dst, page, offset, n);
		put_page(page);
	}
	filemap_invalidate_unlock_shared(mapping);
	return copied;
}

/*
 * Where page @index of the object comes from, decided under the
 * invalidate_lock (shared), so that the backing and swap settings are
 * stable.  A swap copy wins over the file: it is never older than the page
 * (toymap_fill_folio() frees it once the page is read back).  @file, @pos
 * and @len say what to read; @len is 0 for a page with nothing to copy
 * (demand-zero, or a page of the section wholly past the end of the file).
 *
 * Return: TOYMAP_SWAP_IN, TOYMAP_FILE_READ, TOYMAP_ZERO_FILL, or
 * TOYMAP_READ_FAILED for a swap copy a truncation of the swap file lost.
 */
static enum toymap_outcome toymap_page_source(struct toymap_object *obj, pgoff_t index,
					      struct file **file, loff_t *pos, size_t *len)
{
	if (obj->swap && xa_load(&obj->swapped, index)) {
		*file = obj->swap;
		*pos = (loff_t)index << PAGE_SHIFT;
		*len = PAGE_SIZE;
		/* Truncated behind our back: the copy is lost, say so (SIGBUS). */
		if (*pos + PAGE_SIZE > i_size_read(file_inode(*file)))
			return TOYMAP_READ_FAILED;
		return TOYMAP_SWAP_IN;
	}
	*len = toymap_section_bytes(obj, index);
	if (!*len)
		return TOYMAP_ZERO_FILL;
	*file = obj->backing;
	*pos = obj->backing_offset + ((loff_t)index << PAGE_SHIFT);
	if (*pos >= i_size_read(file_inode(*file))) {
		*len = 0;
		return TOYMAP_ZERO_FILL;
	}
	return TOYMAP_FILE_READ;
}

/**
 * toymap_alloc_folio - a new folio for the object's pages from @index
 * @obj:	the object
 * @index:	its first page offset
 * @order:	its order: 0, or a large folio of demand-zero pages
 *		(toymap_zero_range())
 * @gfp:	how to allocate it
 * @zeroed:	set when it was allocated zeroed
 * @outcome:	set to how it will be filled, as things stand
 *
 * The fill itself comes after the folio is in the page cache
 * (toymap_fill_folio()), which decides again; this guess only picks the
 * allocation: a folio with nothing to copy is allocated zeroed, as
 * anonymous memory is (with init_on_alloc, Debian's default, the allocator
 * zeroes every page anyway: zeroing it again would double the cost of a
 * first touch).  Called with the invalidate_lock held shared.
 *
 * Return: the folio, with a reference; or ERR_PTR(-ENOMEM) (@outcome
 * TOYMAP_ALLOC_FAILED), or ERR_PTR(-EIO) for a swap copy that a truncation
 * of the swap file lost (TOYMAP_READ_FAILED).
 */
struct folio *toymap_alloc_folio(struct toymap_object *obj, pgoff_t index, unsigned int order,
				 gfp_t gfp, bool *zeroed, enum toymap_outcome *outcome)
{
	struct file *file;
	struct folio *folio;
	size_t len = 0;
	loff_t pos;

	*outcome = order ? TOYMAP_ZERO_FILL : toymap_page_source(obj, index, &file, &pos, &len);
	if (*outcome == TOYMAP_READ_FAILED)
		return ERR_PTR(-EIO);
	*zeroed = !len;
	folio = folio_alloc(*zeroed ? gfp | __GFP_ZERO : gfp, order);
	if (!folio) {
		*outcome = TOYMAP_ALLOC_FAILED;
		return ERR_PTR(-ENOMEM);
	}
	return folio;
}

/*
 * Fill page @i of @folio (see toymap_fill_folio()): zero, or read from the
 * file or the swap file.  Return its outcome, or TOYMAP_READ_FAILED with
 * *@err set.
 */
static enum toymap_outcome toymap_fill_page(struct toymap_object *obj, struct folio *folio,
					    long i, bool zeroed, int *err)
{
	enum toymap_outcome how;
	struct file *file;
	ssize_t copied;
	loff_t pos;
	size_t len;
	void *kaddr;

	how = toymap_page_source(obj, folio->index + i, &file, &pos, &len);
	if (how == TOYMAP_READ_FAILED) {
		*err = -EIO;
		return how;
	}
	if (!len) {
		if (!zeroed)
			folio_zero_range(folio, i << PAGE_SHIFT, PAGE_SIZE);
		return how;
	}
	kaddr = kmap_local_folio(folio, i << PAGE_SHIFT);
	copied = toymap_read_file(file, pos, kaddr, len);
	if (copied >= 0)
		memset(kaddr + copied, 0, PAGE_SIZE - copied);
	kunmap_local(kaddr);
	if (copied < 0) {
		*err = copied;
		return TOYMAP_READ_FAILED;
	}
	return how;
}

/*
 * How a folio was filled, from toymap_fill_folio()'s tally of its pages: a
 * one-page folio's one way; a large folio (demand-zero pages, and swap
 * copies that appeared meanwhile) a swap-in if any page was one.
 */
static enum toymap_outcome toymap_fill_outcome(const long *filled)
{
	return filled[TOYMAP_SWAP_IN] ? TOYMAP_SWAP_IN :
	       filled[TOYMAP_FILE_READ] ? TOYMAP_FILE_READ : TOYMAP_ZERO_FILL;
}

/**
 * toymap_fill_folio - fill a folio that is in the object's page cache
 * @obj:	the object
 * @folio:	the folio: locked, in the page cache, not uptodate
 * @zeroed:	its bytes are all zero (toymap_alloc_folio())
 * @outcome:	set to how it was filled (a large folio: zero-fill, or
 *		swap-in if a page of it had a swap copy), or why not
 *
 * Each page's source (toymap_page_source()) is decided here, after the
 * folio went into the page cache, under its lock and the invalidate_lock
 * (shared), as filemap inserts a locked folio before ->read_folio fills
 * it: a page that write-back saved to the file or the swap file and reclaim
 * then dropped is gone before the folio could be inserted, so the decision
 * sees its copy.  (Deciding before the insertion would let that page come
 * and go in between, and a stale page or zeros replace the saved bytes.)
 * Pages read back from the swap file make the folio dirty, as shmem does on
 * swap-in: it is their only copy now, and their slots are freed, under the
 * folio lock, which write-back takes before it looks at the folio.
 *
 * The file reads take the backing or swap file's invalidate_lock and folio
 * locks under this folio's lock: see the lock order in toymap_internal.h.
 *
 * Return: 0; or the read's -errno: the folio stays, not uptodate and
 * clean, and the next fault fills it again.  Until then it counts as
 * resident (INFO, EVICT, DISCARD) and against max_pages, as a page cache
 * page whose read failed does for a file; mincore() says it is not.
 */
int toymap_fill_folio(struct toymap_object *obj, struct folio *folio, bool zeroed,
		      enum toymap_outcome *outcome)
{
	long i, nr = folio_nr_pages(folio), filled[TOYMAP_SWAP_IN + 1] = {};
	enum toymap_outcome how = TOYMAP_ZERO_FILL;
	int err = 0;

	for (i = 0; i < nr; i++) {
		how = toymap_fill_page(obj, folio, i, zeroed, &err);
		if (err) {
			*outcome = how;
			return err;
		}
		filled[how]++;
	}
	flush_dcache_folio(folio);
	/* Counted once the whole folio is filled: a failed fill is filled again. */
	for (how = TOYMAP_ZERO_FILL; how <= TOYMAP_SWAP_IN; how++)
		toymap_count_n(obj, toymap_fill_stat(how), filled[how]);
	*outcome = toymap_fill_outcome(filled);
	if (!filled[TOYMAP_SWAP_IN])
		return 0;
	folio_mark_dirty(folio);
	toymap_forget_swapped(obj, folio->index, folio->index + nr - 1);
	return 0;
}

/**
 * toymap_zero_range - may pages [@start, @start + @nr) be one large folio?
 * @obj:	the object; caller holds its invalidate_lock shared
 * @start:	first page offset
 * @nr:		pages
 *
 * True when no file is attached, none of the pages is resident and none
 * has a copy in the swap file: every page would be demand-zero.  (A shadow
 * entry that reclaim left is no page.)  A fault racing us may insert a
 * page after all: filemap_add_folio() then fails with -EEXIST.
 */
bool toymap_zero_range(struct toymap_object *obj, pgoff_t start, pgoff_t nr)
{
	XA_STATE(xas, &obj->inode->i_mapping->i_pages, start);
	unsigned long index = start;
	void *entry;

	if (obj->backing || xa_find(&obj->swapped, &index, start + nr - 1, XA_PRESENT))
		return false;
	rcu_read_lock();
	xas_for_each(&xas, entry, start + nr - 1) {
		if (xas_retry(&xas, entry) || xa_is_value(entry))
			continue;
		break;
	}
	rcu_read_unlock();
	return !entry;
}

/* Page @index is inside the object and would be read from the file. */
static bool toymap_may_read_ahead(struct toymap_object *obj, pgoff_t index)
{
	struct file *file;
	size_t len;
	loff_t pos;

	return index < toymap_object_pages(obj) &&
	       toymap_page_source(obj, index, &file, &pos, &len) == TOYMAP_FILE_READ;
}

/**
 * toymap_readahead - read on through the section after a sequential fault
 * @obj:	the object
 * @index:	the page after the one just read from the file
 * @nr:		pages to read at most
 *
 * A mapping advised MADV_SEQUENTIAL (VM_SEQ_READ) read a page from the file:
 * read the next ones too, as page_cache_sync_ra() does for such a mapping of
 * a file, so that fault-around maps them without calling .fault again.  They
 * are filled like any other page (toymap_fill_folio(), which decides each
 * page's source again: a swap copy that appeared meanwhile wins, and makes
 * it dirty) and charged to max_pages, but only while @nr more would leave
 * @nr for demand faults: read-ahead never takes the last pages of the budget.
 * Best effort: it stops at the first page already there, past the object,
 * the section or the file, at a page with a copy in the swap file (as far
 * as it can tell before filling), over max_pages, or when allocation
 * (without retrying) or the read fails; the fault it serves never fails
 * for it.  A truncation of the file that races
 * it may leave a zero page, as it would for a fault.
 *
 * Called by the fault with the object's invalidate_lock shared and the
 * faulting page's folio lock held; it never waits for a folio lock of the
 * object (a new folio is inserted locked; a present one ends it): see the
 * lock order in toymap_internal.h.
 *
 * Return: the pages read.
 */
unsigned int toymap_readahead(struct toymap_object *obj, pgoff_t index, unsigned int nr)
{
	struct address_space *mapping = obj->inode->i_mapping;
	gfp_t gfp = readahead_gfp_mask(mapping);
	enum toymap_outcome outcome;
	struct folio *folio;
	unsigned int done;
	void *entry;

	if (!toymap_budget_room(nr))
		return 0;
	for (done = 0; done < nr; done++, index++) {
		if (!toymap_may_read_ahead(obj, index))
			break;
		/* A value entry is a shadow of a reclaimed page: absent. */
		entry = xa_load(&mapping->i_pages, index);
		if (entry && !xa_is_value(entry))
			break;
		folio = toymap_add_folio(obj, index, 0, gfp, &outcome);
		if (IS_ERR(folio))
			break;
		folio_unlock(folio);
		folio_put(folio);
	}
	if (done)
		trace_toymap_readahead(obj->index, index - done, done);
	return done;
}

/*
 * Bytes of page @index that write-back may write: those in the section and
 * inside the file as it is now.  As for a real file mapping, bytes past the
 * end of the file are not written (the file never grows); they are the
 * page's anonymous bytes, like those past the section.
 */
static size_t toymap_file_bytes(struct toymap_object *obj, pgoff_t index)
{
	loff_t pos = obj->backing_offset + ((loff_t)index << PAGE_SHIFT);
	loff_t in_file = i_size_read(file_inode(obj->backing)) - pos;
	size_t bytes = toymap_section_bytes(obj, index);

	if (!bytes || obj->readonly || in_file <= 0)
		return 0;
	return min_t(loff_t, bytes, in_file);
}

/*
 * Write all @len bytes of @buf to @file at @pos: kernel_write() again after
 * a short write (a write that stops early, as tmpfs's may when a page
 * cannot be allocated, says why on the next call).  0 or -errno.
 */
static int toymap_write_all(struct file *file, const void *buf, size_t len, loff_t pos)
{
	ssize_t ret;

	while (len) {
		ret = kernel_write(file, buf, len, &pos);
		if (ret < 0)
			return ret;
		if (!ret)
			return -EIO;
		buf += ret;
		len -= ret;
	}
	return 0;
}

/*
 * Write @len bytes of @buf, a copy of a page, to the backing file at @pos,
 * but none past its end: the size is sampled again right before the write,
 * under the file's i_rwsem (shared), so a truncation that ran or was queued
 * on that lock since toymap_file_bytes() keeps the file short.  One that
 * starts between this sample and the write itself is not seen:
 * kernel_write() takes the i_rwsem on its own, and no VFS call writes
 * without extending, so the window only narrows.
 *
 * Return: 0 when all @len bytes were written, -ENOSPC when the file became
 * shorter (the caller keeps the page dirty), or the write's -errno.
 */
static int toymap_write_backing(struct file *file, loff_t pos, const void *buf, size_t len)
{
	struct inode *inode = file_inode(file);
	size_t want = len;
	loff_t in_file;
	int ret;

	inode_lock_shared(inode);
	in_file = i_size_read(inode) - pos;
	inode_unlock_shared(inode);
	if (in_file <= 0)
		return -ENOSPC;
	len = min_t(loff_t, len, in_file);
	ret = toymap_write_all(file, buf, len, pos);
	if (ret)
		return ret;
	return len == want ? 0 : -ENOSPC;
}

/*
 * Write @nr pages copied to @buf, the object's pages from @index on, to
 * their slots in the swap file, and note the slots.
 */
static int toymap_write_swap(struct toymap_object *obj, pgoff_t index, unsigned long nr,
			     const void *buf)
{
	unsigned long i;
	int err;

	err = toymap_write_all(obj->swap, buf, nr << PAGE_SHIFT, (loff_t)index << PAGE_SHIFT);
	for (i = 0; i < nr && !err; i++) {
		if (xa_load(&obj->swapped, index + i))
			continue;
		err = xa_err(xa_store(&obj->swapped, index + i, xa_mk_value(1), GFP_KERNEL));
		if (!err)
			atomic_long_inc(&obj->nr_swapped);
	}
	return err;
}

/*
 * Clean a locked folio and write-protect its PTEs, so that the next write
 * through any mapping calls page_mkwrite again.  folio_clear_dirty_for_io()
 * skips folio_mkclean() for a mapping without write-back accounting (ours).
 */
static bool toymap_clean_folio(struct folio *folio)
{
	if (folio_mkclean(folio))
		folio_mark_dirty(folio);
	return folio_test_clear_dirty(folio);
}

static void toymap_note_writeback(struct toymap_object *obj, pgoff_t index, size_t bytes,
				  bool to_swap)
{
	/* Pages: a large folio goes to the swap file whole. */
	if (to_swap)
		toymap_count_n(obj, TOYMAP_STAT_SWAP_OUTS, bytes >> PAGE_SHIFT);
	else
		toymap_count(obj, TOYMAP_STAT_WRITE_BACKS);
	trace_toymap_writeback(obj->index, index, bytes, to_swap);
	if (toymap_tracing())
		pr_info("toymap%u: pid %d (%s) pgoff %lu: %s, %zu bytes\n",
			obj->index, task_pid_nr(current), current->comm, index,
			to_swap ? "swap-out to the swap file" : "write-back to the file", bytes);
}

/* Write-back of one page failed or fell short: it is dirty again, if still ours. */
static void toymap_redirty(struct toymap_object *obj, struct folio *folio)
{
	folio_lock(folio);
	if (folio->mapping == obj->inode->i_mapping)
		folio_mark_dirty(folio);
	folio_unlock(folio);
}

/*
 * One dirty folio's write-back: decided and copied under its lock, written
 * without.  A large folio (large_folios=1) is only ever in an object
 * without a file (toymap_zero_range()): it goes whole to the swap file, or
 * stays.
 */
struct toymap_wb_page {
	struct folio *folio;
	pgoff_t index;
	unsigned long nr;	/* its pages */
	size_t file_bytes;	/* bytes for the backing file: 0 .. PAGE_SIZE */
	bool to_swap;		/* the whole folio goes to the swap file too */
};

/* Copy every page of @folio to @buf. */
static void toymap_copy_folio(void *buf, struct folio *folio)
{
	long i;

	for (i = 0; i < folio_nr_pages(folio); i++)
		memcpy_from_page(buf + (i << PAGE_SHIFT), folio_page(folio, i), 0, PAGE_SIZE);
}

/*
 * toymap_wb_copy - the locked half of write-back: decide, clean, copy
 * @buf:	a buffer of the folio's size for the copy
 *
 * A page wholly inside the section and the file goes to the file and is
 * cleaned.  A page with anonymous bytes (past the section or the end of the
 * file) is cleaned only when it can go to the swap file (@evict with a swap
 * file set); otherwise its file bytes, if any, are copied and it stays
 * dirty: nothing else may hold its anonymous bytes.
 *
 * Return: true when @buf holds a copy to write.  The folio is unlocked.
 */
static bool toymap_wb_copy(struct toymap_object *obj, struct toymap_wb_page *wb, bool evict,
			   struct toymap_wb_counts *counts, void *buf)
{
	struct folio *folio = wb->folio;
	bool copy = false;

	folio_lock(folio);
	if (folio->mapping != obj->inode->i_mapping || !folio_test_dirty(folio))
		goto unlock;
	/* Being written through a pin (GUP): cleaning it would let evict drop it. */
	if (evict && folio_maybe_dma_pinned(folio)) {
		counts->kept += wb->nr;
		goto unlock;
	}

	wb->file_bytes = obj->backing && wb->nr == 1 ? toymap_file_bytes(obj, wb->index) : 0;
	wb->to_swap = wb->file_bytes < PAGE_SIZE && evict && obj->swap;
	if (wb->file_bytes < PAGE_SIZE && !wb->to_swap) {
		/* Anonymous bytes with nowhere to go: the folio stays dirty. */
		if (evict)
			counts->kept += wb->nr;
		copy = wb->file_bytes != 0;
	} else {
		copy = toymap_clean_folio(folio);
	}
	if (copy)
		toymap_copy_folio(buf, folio);
unlock:
	folio_unlock(folio);
	return copy;
}

/*
 * toymap_wb_write - the I/O half of write-back: save the copy in @buf
 *
 * The file bytes go to the backing file, then, with @wb->to_swap, the whole
 * page to its swap slot; a page now wholly in the file loses its swap copy
 * (the file is newer).  A failed write makes the page dirty again.  A file
 * that became shorter than the page's file bytes (-ENOSPC) is no error: the
 * bytes past its end are anonymous now, and the page is dirty again unless
 * it goes to the swap file.
 *
 * Return: 0, or the write's -errno.
 */
static int toymap_wb_write(struct toymap_object *obj, const struct toymap_wb_page *wb,
			   struct toymap_wb_counts *counts, const void *buf)
{
	loff_t pos = obj->backing_offset + ((loff_t)wb->index << PAGE_SHIFT);
	int err;

	if (wb->file_bytes) {
		err = toymap_write_backing(obj->backing, pos, buf, wb->file_bytes);
		if (!err) {
			toymap_note_writeback(obj, wb->index, wb->file_bytes, false);
			counts->written_back++;
		} else if (err != -ENOSPC) {
			goto redirty;
		} else if (!wb->to_swap) {
			/* The file became shorter: the rest is anonymous now. */
			err = 0;
			goto redirty;
		}
	}
	if (wb->to_swap) {
		err = toymap_write_swap(obj, wb->index, wb->nr, buf);
		if (err)
			goto redirty;
		toymap_note_writeback(obj, wb->index, wb->nr << PAGE_SHIFT, true);
		counts->swapped_out += wb->nr;
	} else if (wb->file_bytes == PAGE_SIZE) {
		/* Wholly in the file now: a swap copy would be older. */
		toymap_forget_swapped(obj, wb->index, wb->index);
	}
	return 0;

redirty:
	toymap_redirty(obj, wb->folio);
	return err;
}

/*
 * toymap_writeback_folio - save one dirty folio (see toymap_wb_copy())
 * @buf:	a page-sized buffer for the copy of a one-page folio; a large
 *		one gets a buffer of its own
 *
 * The page is copied and cleaned under its lock, which is dropped before
 * the file I/O: write(2) into the backing file from a mapping of the object
 * holds the file's i_rwsem while it faults on this very page.  The caller's
 * reference keeps reclaim (and migration) off the clean page until its
 * copy is saved; obj->lock keeps discard, attach and detach off it.  A
 * write to the page meanwhile dirties it again through page_mkwrite.
 */
static int toymap_writeback_folio(struct toymap_object *obj, struct folio *folio, bool evict,
				  struct toymap_wb_counts *counts, void *buf)
{
	struct toymap_wb_page wb = {
		.folio = folio, .index = folio->index, .nr = folio_nr_pages(folio),
	};
	void *large = NULL;
	int err = 0;

	if (wb.nr > 1) {
		/* Nothing to save (checked again under the lock): no buffer. */
		if (!folio_test_dirty(folio))
			return 0;
		large = kvmalloc(folio_size(folio), GFP_KERNEL);
		if (!large)
			return -ENOMEM;
		buf = large;
	}
	if (toymap_wb_copy(obj, &wb, evict, counts, buf))
		err = toymap_wb_write(obj, &wb, counts, buf);
	kvfree(large);
	return err;
}

/**
 * toymap_writeback_range - save the dirty pages of [@first, @last]
 * @obj:	the object; the caller holds obj->lock
 * @first:	first page offset
 * @last:	last page offset, inclusive
 * @evict:	for eviction: pages with anonymous bytes go to the swap file,
 *		and @counts->kept counts those that stay dirty
 * @counts:	what was done, added to
 *
 * Then fsync the backing file, if a page went to it.
 *
 * Return: 0, or the first -errno.
 */
int toymap_writeback_range(struct toymap_object *obj, pgoff_t first, pgoff_t last,
			   bool evict, struct toymap_wb_counts *counts)
{
	struct address_space *mapping = obj->inode->i_mapping;
	u64 written_back = counts->written_back;
	struct folio_batch fbatch;
	pgoff_t index = first;
	unsigned int i;
	int err = 0;
	void *buf;

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	folio_batch_init(&fbatch);
	while (!err && filemap_get_folios(mapping, &index, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch) && !err; i++)
			err = toymap_writeback_folio(obj, fbatch.folios[i], evict, counts, buf);
		folio_batch_release(&fbatch);
		cond_resched();
	}
	kfree(buf);
	if (!err && counts->written_back != written_back)
		err = vfs_fsync(obj->backing, 0);
	return err;
}

/* True when @test holds for a resident page of the object. */
static bool toymap_any_folio(struct toymap_object *obj, bool (*test)(struct folio *folio))
{
	struct folio_batch fbatch;
	pgoff_t index = 0;
	bool found = false;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (!found && filemap_get_folios(obj->inode->i_mapping, &index, ULONG_MAX, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++)
			found |= test(fbatch.folios[i]);
		folio_batch_release(&fbatch);
	}
	return found;
}

/* Pinned by GUP: the pin may still write to the page (O_DIRECT, RDMA). */
static bool toymap_folio_pinned(struct folio *folio)
{
	return folio_maybe_dma_pinned(folio);
}

/*
 * Dirty, or pinned: a pin taken before the last munmap may still write to
 * the page and dirty it when released, so dropping the page could lose it.
 */
static bool toymap_folio_busy(struct folio *folio)
{
	return folio_test_dirty(folio) || toymap_folio_pinned(folio);
}

static pgoff_t toymap_last_index(struct toymap_object *obj, loff_t end)
{
	pgoff_t last = toymap_object_pages(obj) - 1;

	return min_t(loff_t, end >> PAGE_SHIFT, last);
}

/**
 * toymap_sync - write the dirty pages of [@start, @end] back to the file
 * @obj:	the object
 * @start:	first byte
 * @end:	last byte, inclusive (LLONG_MAX: to the end)
 *
 * fsync() and msync(MS_SYNC) on the device, and the last close.  Anonymous
 * objects have nowhere to write: their pages stay dirty.
 *
 * Return: 0 or the first write's -errno.
 */
int toymap_sync(struct toymap_object *obj, loff_t start, loff_t end)
{
	struct toymap_wb_counts counts = {};
	int err = 0;

	mutex_lock(&obj->lock);
	if (obj->backing && !obj->readonly && start < i_size_read(obj->inode))
		err = toymap_writeback_range(obj, start >> PAGE_SHIFT,
					     toymap_last_index(obj, end), false, &counts);
	mutex_unlock(&obj->lock);
	return err;
}

/*
 * Forget the swap copies of [@first, @last], which are no longer the newest
 * copy of their page: discarded, read back, written to the file, detached.
 */
void toymap_forget_swapped(struct toymap_object *obj, pgoff_t first, pgoff_t last)
{
	unsigned long index;
	void *entry;

	xa_for_each_range(&obj->swapped, index, entry, first, last) {
		if (xa_erase(&obj->swapped, index))
			atomic_long_dec(&obj->nr_swapped);
	}
}

/*
 * Fetch the file of @fd for the object: a regular file, open with @fmode,
 * written at explicit positions (no O_APPEND), read through its page cache
 * (toymap_read_file(): no O_DIRECT, a file system with ->read_folio or
 * tmpfs).  -EBADF or -EINVAL.
 *
 * The object keeps a file of its own, opened on the same path with the
 * same access and the caller's credentials: the caller's descriptor may
 * change its flags at any time (fcntl(F_SETFL, O_APPEND | O_DIRECT)), which
 * would make write-back append or fail.
 */
static struct file *toymap_get_file(int fd, fmode_t fmode)
{
	struct file *file = fget(fd), *own;
	int flags;

	if (!file)
		return ERR_PTR(-EBADF);
	if (!S_ISREG(file_inode(file)->i_mode) || (file->f_flags & (O_APPEND | O_DIRECT)) ||
	    (!shmem_file(file) && !file->f_mapping->a_ops->read_folio)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	if ((file->f_mode & fmode) != fmode) {
		fput(file);
		return ERR_PTR(-EBADF);
	}
	flags = (file->f_mode & FMODE_WRITE ? O_RDWR : O_RDONLY) | O_LARGEFILE;
	own = dentry_open(&file->f_path, flags, file->f_cred);
	fput(file);
	return own;
}

static bool toymap_same_file(struct file *a, struct file *b)
{
	return a && b && file_inode(a) == file_inode(b);
}

/* May @cred read @backing, and write it if it is attached for writing? */
static int toymap_cred_may_access(const struct cred *cred, struct file *backing)
{
	int mask = MAY_READ | (backing->f_mode & FMODE_WRITE ? MAY_WRITE : 0);
	const struct cred *old;
	int err;

	old = override_creds(cred);
	err = file_permission(backing, mask);
	revert_creds(old);
	return err ? -EACCES : 0;
}

/*
 * A swap file sees whole pages, file bytes included, and what it holds
 * comes back as the object's page, to be written back to the file: whoever
 * holds it must be allowed to read @backing, and to write it if it is
 * attached for writing.  Checked for the swap file's opener and for the
 * caller (a descriptor passed over a socket keeps its opener's
 * credentials).  -EACCES.
 */
static int toymap_swap_trusted(struct file *swap, struct file *backing)
{
	if (!swap || !backing)
		return 0;
	return toymap_cred_may_access(swap->f_cred, backing) ?:
	       toymap_cred_may_access(current_cred(), backing);
}

/*
 * Protects every object's @backing and @swap pointers for
 * toymap_file_claimed(), which reads other objects' settings: taken inside
 * their obj->lock and invalidate_lock, around each change of the pointers.
 */
static DEFINE_MUTEX(toymap_files_lock);

/*
 * True when @file is another object's swap file, or, with @backing_too,
 * another object's backing file.  Caller holds toymap_files_lock.  A swap
 * file belongs to one object: two objects would overwrite each other's
 * slots, and a backing file's bytes would be overwritten by swap-outs.
 */
static bool toymap_file_claimed(struct toymap_object *self, struct file *file, bool backing_too)
{
	struct toymap_object *obj;
	unsigned int i;

	lockdep_assert_held(&toymap_files_lock);
	for (i = 0; (obj = toymap_nth_object(i)); i++) {
		if (obj == self)
			continue;
		if (toymap_same_file(file, obj->swap) ||
		    (backing_too && toymap_same_file(file, obj->backing)))
			return true;
	}
	return false;
}

/*
 * Set the backing file (NULL: none).  Caller holds obj->lock, the
 * invalidate_lock exclusive (faults read the settings under it shared,
 * mmap() reads @readonly under it) and toymap_files_lock.
 */
static void toymap_set_backing(struct toymap_object *obj, struct file *file,
			       loff_t offset, loff_t length)
{
	lockdep_assert_held(&toymap_files_lock);
	spin_lock(&obj->map_lock);
	obj->backing = file;
	obj->backing_offset = offset;
	obj->backing_length = length;
	obj->readonly = file && !(file->f_mode & FMODE_WRITE);
	spin_unlock(&obj->map_lock);
}

/*
 * True while a mapping of the object exists; see toymap_mmap().  With
 * @mmaps, also when mmap() was called since *@mmaps was sampled (and
 * sample it for the next call).
 */
static bool toymap_mapped(struct toymap_object *obj, unsigned long *mmaps)
{
	bool mapped;

	spin_lock(&obj->map_lock);
	mapped = obj->live_vmas;
	if (mmaps) {
		mapped |= obj->mmaps != *mmaps;
		*mmaps = obj->mmaps;
	}
	spin_unlock(&obj->map_lock);
	return mapped;
}

/**
 * toymap_attach - back the object with a section of a regular file
 * @obj:	the object
 * @arg:	the request, copied in
 *
 * Refused with -EBUSY while the object is mapped, holds dirty or swapped
 * pages (they would be lost) or pinned ones, or has a file already;
 * -EACCES when the owner of the object's swap file may not read the file
 * (or write it, attached for writing).  The object's clean
 * pages (zeros) are dropped: the next touch reads the file.
 *
 * Return: 0 or -errno.
 */
int toymap_attach(struct toymap_object *obj, const struct toymap_attach *arg)
{
	struct address_space *mapping = obj->inode->i_mapping;
	struct file *file;
	int err = 0;

	if (arg->flags || arg->reserved || !arg->length)
		return -EINVAL;
	if (arg->offset > LLONG_MAX || arg->length > LLONG_MAX - arg->offset)
		return -EOVERFLOW;
	file = toymap_get_file(arg->fd, FMODE_READ);
	if (IS_ERR(file))
		return PTR_ERR(file);

	err = mutex_lock_killable(&obj->lock);
	if (err)
		goto put;
	if (obj->backing) {
		err = -EBUSY;
		goto unlock;
	}
	if (toymap_same_file(file, obj->swap)) {
		err = -EINVAL;
		goto unlock;
	}
	err = toymap_swap_trusted(obj->swap, file);
	if (err)
		goto unlock;
	/*
	 * Decide, then publish, all under the invalidate_lock, which mmap()
	 * takes too: while it is held no mapping appears, so an object found
	 * unmapped cannot get a dirty page before the file is in place.
	 */
	filemap_invalidate_lock(mapping);
	if (toymap_mapped(obj, NULL) || toymap_any_folio(obj, toymap_folio_busy) ||
	    atomic_long_read(&obj->nr_swapped)) {
		err = -EBUSY;
	} else {
		mutex_lock(&toymap_files_lock);
		if (toymap_file_claimed(obj, file, false))
			err = -EBUSY;
		else
			toymap_set_backing(obj, file, arg->offset, arg->length);
		mutex_unlock(&toymap_files_lock);
		/* The zero pages go: the next touch reads the file. */
		if (!err)
			truncate_inode_pages(mapping, 0);
	}
	filemap_invalidate_unlock(mapping);
unlock:
	mutex_unlock(&obj->lock);
put:
	if (err) {
		fput(file);
		return err;
	}
	if (toymap_tracing())
		pr_info("toymap%u: pid %d (%s) attach: bytes %lld..%lld of the file%s\n",
			obj->index, task_pid_nr(current), current->comm, arg->offset,
			arg->offset + arg->length - 1,
			file->f_mode & FMODE_WRITE ? "" : ", read-only");
	return 0;
}

/**
 * toymap_detach - write back, drop every page: the object is anonymous again
 * @obj:	the object
 *
 * Return: 0; -EINVAL with no file attached; -EBUSY while mapped (or a
 * mapping came and went meanwhile) or while a page is pinned; or the
 * write-back's -errno (the file stays attached then).
 */
int toymap_detach(struct toymap_object *obj)
{
	struct address_space *mapping = obj->inode->i_mapping;
	struct toymap_wb_counts counts = {};
	unsigned long mmaps = 0;
	struct file *file;
	int err;

	err = mutex_lock_killable(&obj->lock);
	if (err)
		return err;
	file = obj->backing;
	if (!file)
		err = -EINVAL;
	else if (toymap_mapped(obj, NULL))
		err = -EBUSY;
	toymap_mapped(obj, &mmaps);
	/*
	 * Write back without the invalidate_lock (file I/O under it would
	 * invert the lock order), then, under it, drop the pages unless a
	 * mapping exists or came and went meanwhile: it may have dirtied a
	 * page after write-back passed it.
	 */
	if (!err && !obj->readonly)
		err = toymap_writeback_range(obj, 0, ULONG_MAX, false, &counts);
	if (!err) {
		filemap_invalidate_lock(mapping);
		if (toymap_mapped(obj, &mmaps) || toymap_any_folio(obj, toymap_folio_pinned)) {
			err = -EBUSY;
		} else {
			mutex_lock(&toymap_files_lock);
			toymap_set_backing(obj, NULL, 0, 0);
			mutex_unlock(&toymap_files_lock);
			truncate_inode_pages(mapping, 0);
			toymap_forget_swapped(obj, 0, ULONG_MAX);
		}
		filemap_invalidate_unlock(mapping);
	}
	mutex_unlock(&obj->lock);
	if (err)
		return err;

	fput(file);
	if (toymap_tracing())
		pr_info("toymap%u: pid %d (%s) detach: %llu pages written back, the object is anonymous again\n",
			obj->index, task_pid_nr(current), current->comm, counts.written_back);
	return 0;
}

/**
 * toymap_set_swap - set or drop the swap file
 * @obj:	the object
 * @arg:	the request: a regular file open read-write, or fd -1 to drop
 *
 * Return: 0; -EBUSY while pages live in the current swap file, or when the
 * file is another object's swap or backing file; -EACCES when the caller
 * or the file's opener may not read the backing file (or write it, if it
 * is attached for writing); -EBADF, -EINVAL for a bad fd or the object's
 * own backing file.
 */
int toymap_set_swap(struct toymap_object *obj, const struct toymap_swap *arg)
{
	struct address_space *mapping = obj->inode->i_mapping;
	struct file *file = NULL, *old;
	int err = 0;

	if (arg->flags || arg->reserved)
		return -EINVAL;
	if (arg->fd != -1) {
		file = toymap_get_file(arg->fd, FMODE_READ | FMODE_WRITE);
		if (IS_ERR(file))
			return PTR_ERR(file);
	}

	err = mutex_lock_killable(&obj->lock);
	if (err)
		goto put;
	if (atomic_long_read(&obj->nr_swapped)) {
		err = -EBUSY;
	} else if (toymap_same_file(file, obj->backing)) {
		err = -EINVAL;
	} else if (toymap_swap_trusted(file, obj->backing)) {
		err = -EACCES;
	} else {
		filemap_invalidate_lock(mapping);
		mutex_lock(&toymap_files_lock);
		if (file && toymap_file_claimed(obj, file, true)) {
			err = -EBUSY;
		} else {
			old = obj->swap;
			obj->swap = file;
			file = old;
		}
		mutex_unlock(&toymap_files_lock);
		filemap_invalidate_unlock(mapping);
	}
	mutex_unlock(&obj->lock);
put:
	if (file)
		fput(file);
	return err;
}

/* The object goes away: its files are released (its pages are freed by iput). */
void toymap_backing_release(struct toymap_object *obj)
{
	if (obj->backing)
		fput(obj->backing);
	if (obj->swap)
		fput(obj->swap);
	xa_destroy(&obj->swapped);
}
