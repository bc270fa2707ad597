// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_backing.c - file-backed objects, write-back, the swap file, eviction.
 *
 * An object may be backed by a section [offset, offset + length) of a regular
 * file: page k of the object starts with the section's bytes at k * PAGE_SIZE
 * (as far as the section and the file go; the rest is zero, like .bss after
 * .data).  The file is read when a page is first touched, never at attach.
 * Dirty pages go back to the section on fsync/msync, eviction, detach and the
 * last close, and never a byte outside it.  Dirty pages with bytes outside the
 * section (anonymous bytes) go to the swap file, if one is set, on eviction.
 * A dirty page is dropped only once every byte of it has a copy somewhere.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/sched.h>

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

/**
 * toymap_fill_folio - fill a new page of the object before it is visible
 * @obj:	the object
 * @folio:	a zeroed, not yet inserted folio
 * @index:	its page offset
 * @outcome:	set to TOYMAP_SWAP_IN, TOYMAP_FILE_READ or TOYMAP_ZERO_FILL
 *
 * Called by the fault path with the invalidate_lock held shared, so the
 * backing and swap settings are stable.  A swap copy wins over the file.
 * A short read (the section runs past the end of the file) leaves zeros.
 *
 * Return: 0, or the read's -errno.
 */
int toymap_fill_folio(struct toymap_object *obj, struct folio *folio, pgoff_t index,
		      enum toymap_outcome *outcome)
{
	struct file *file;
	ssize_t ret;
	size_t len;
	loff_t pos;
	void *kaddr;

	if (obj->swap && xa_load(&obj->swapped, index)) {
		file = obj->swap;
		pos = (loff_t)index << PAGE_SHIFT;
		len = PAGE_SIZE;
		*outcome = TOYMAP_SWAP_IN;
	} else {
		len = toymap_section_bytes(obj, index);
		*outcome = len ? TOYMAP_FILE_READ : TOYMAP_ZERO_FILL;
		if (!len)
			return 0;
		file = obj->backing;
		pos = obj->backing_offset + ((loff_t)index << PAGE_SHIFT);
	}

	kaddr = kmap_local_folio(folio, 0);
	ret = kernel_read(file, kaddr, len, &pos);
	kunmap_local(kaddr);
	if (ret < 0)
		return ret;
	/* A page of the section wholly past the end of the file is zeros. */
	if (!ret && *outcome == TOYMAP_FILE_READ)
		*outcome = TOYMAP_ZERO_FILL;
	return 0;
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

/* Write @len bytes of @folio to @file at @pos; a short write is -EIO. */
static int toymap_write_folio(struct file *file, loff_t pos, struct folio *folio, size_t len)
{
	void *kaddr = kmap_local_folio(folio, 0);
	ssize_t ret = kernel_write(file, kaddr, len, &pos);

	kunmap_local(kaddr);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
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

/* What a write-back pass did, for TOYMAP_IOC_EVICT. */
struct toymap_wb_counts {
	u64 written_back;
	u64 swapped_out;
	u64 kept;
};

static void toymap_note_writeback(struct toymap_object *obj, pgoff_t index, size_t bytes,
				  bool to_swap)
{
	toymap_count(obj, to_swap ? TOYMAP_STAT_SWAP_OUTS : TOYMAP_STAT_WRITE_BACKS);
	trace_toymap_writeback(obj->index, index, bytes, to_swap);
	if (READ_ONCE(toymap_trace))
		pr_info("toymap%u: pid %d (%s) pgoff %lu: %s, %zu bytes\n",
			obj->index, task_pid_nr(current), current->comm, index,
			to_swap ? "swap-out to the swap file" : "write-back to the file", bytes);
}

/*
 * toymap_writeback_folio - save one dirty page
 *
 * A page wholly inside the section and the file goes to the file and is
 * clean after.  A page with anonymous bytes (past the section or the end of
 * the file) is cleaned only when it can go to the swap file (@evict with a
 * swap file set); otherwise its file bytes, if any, are written and it stays
 * dirty: nothing else may hold its anonymous bytes.
 */
static int toymap_writeback_folio(struct toymap_object *obj, struct folio *folio, bool evict,
				  struct toymap_wb_counts *counts)
{
	pgoff_t index = folio->index;
	size_t file_bytes;
	loff_t file_pos;
	int err = 0;

	folio_lock(folio);
	if (folio->mapping != obj->inode->i_mapping || !folio_test_dirty(folio))
		goto unlock;
	/* Being written through a pin (GUP): cleaning it would let evict drop it. */
	if (evict && folio_maybe_dma_pinned(folio)) {
		counts->kept++;
		goto unlock;
	}

	file_bytes = obj->backing ? toymap_file_bytes(obj, index) : 0;
	file_pos = obj->backing_offset + ((loff_t)index << PAGE_SHIFT);
	if (file_bytes == PAGE_SIZE || (evict && obj->swap)) {
		if (!toymap_clean_folio(folio))
			goto unlock;
		if (file_bytes) {
			err = toymap_write_folio(obj->backing, file_pos, folio, file_bytes);
			if (err)
				goto redirty;
			toymap_note_writeback(obj, index, file_bytes, false);
			counts->written_back++;
		}
		if (file_bytes < PAGE_SIZE) {
			err = toymap_write_folio(obj->swap, (loff_t)index << PAGE_SHIFT, folio,
						 PAGE_SIZE);
			if (err)
				goto redirty;
			if (!xa_load(&obj->swapped, index)) {
				err = xa_err(xa_store(&obj->swapped, index, xa_mk_value(1),
						      GFP_KERNEL));
				if (err)
					goto redirty;
				atomic_long_inc(&obj->nr_swapped);
			}
			toymap_note_writeback(obj, index, PAGE_SIZE, true);
			counts->swapped_out++;
		}
		goto unlock;
	}

	/* Anonymous bytes with nowhere to go: the page stays dirty. */
	if (file_bytes) {
		err = toymap_write_folio(obj->backing, file_pos, folio, file_bytes);
		if (err)
			goto unlock;
		toymap_note_writeback(obj, index, file_bytes, false);
		counts->written_back++;
	}
	if (evict)
		counts->kept++;
	goto unlock;

redirty:
	folio_mark_dirty(folio);
unlock:
	folio_unlock(folio);
	return err;
}

/* Write back the dirty pages of [@first, @last]; caller holds obj->lock. */
static int toymap_writeback_range(struct toymap_object *obj, pgoff_t first, pgoff_t last,
				  bool evict, struct toymap_wb_counts *counts)
{
	struct address_space *mapping = obj->inode->i_mapping;
	struct folio_batch fbatch;
	pgoff_t index = first;
	unsigned int i;
	int err = 0;

	folio_batch_init(&fbatch);
	while (!err && filemap_get_folios(mapping, &index, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch) && !err; i++)
			err = toymap_writeback_folio(obj, fbatch.folios[i], evict, counts);
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return err;
}

/* True when a resident page of the object is dirty. */
static bool toymap_has_dirty(struct toymap_object *obj)
{
	struct folio_batch fbatch;
	pgoff_t index = 0;
	bool dirty = false;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (!dirty && filemap_get_folios(obj->inode->i_mapping, &index, ULONG_MAX, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++)
			dirty |= folio_test_dirty(fbatch.folios[i]);
		folio_batch_release(&fbatch);
	}
	return dirty;
}

/*
 * Mark dirty the folios of [@first, @last] that someone holds pinned (GUP):
 * they may be written through the pin right now, so the invalidation that
 * follows must keep them.  Called with the range unmapped and the
 * invalidate_lock held exclusive: no new pin can be taken meanwhile.
 */
static void toymap_keep_pinned(struct address_space *mapping, pgoff_t first, pgoff_t last)
{
	struct folio_batch fbatch;
	pgoff_t index = first;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			if (!folio_maybe_dma_pinned(folio))
				continue;
			folio_lock(folio);
			if (folio->mapping == mapping)
				folio_mark_dirty(folio);
			folio_unlock(folio);
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
}

/*
 * Pages of @mapping's page cache in [@first, @last]: one entry a page, as
 * the object's folios are all order 0.  Reclaim elsewhere in the object does
 * not change it, unlike a difference of nrpages.
 */
unsigned long toymap_count_range(struct address_space *mapping, pgoff_t first, pgoff_t last)
{
	XA_STATE(xas, &mapping->i_pages, first);
	unsigned long n = 0;
	void *entry;

	rcu_read_lock();
	xas_for_each(&xas, entry, last) {
		if (xas_retry(&xas, entry) || xa_is_value(entry))
			continue;
		n++;
	}
	rcu_read_unlock();
	return n;
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
	if (obj->backing && !obj->readonly && start < i_size_read(obj->inode)) {
		err = toymap_writeback_range(obj, start >> PAGE_SHIFT,
					     toymap_last_index(obj, end), false, &counts);
		if (!err && counts.written_back)
			err = vfs_fsync(obj->backing, 0);
	}
	mutex_unlock(&obj->lock);
	return err;
}

/* Drop the swap copies of [@first, @last]: the pages were discarded. */
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
 * written at explicit positions (no O_APPEND).  -EBADF or -EINVAL.
 */
static struct file *toymap_get_file(int fd, fmode_t fmode)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (!S_ISREG(file_inode(file)->i_mode) || (file->f_flags & O_APPEND)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	if ((file->f_mode & fmode) != fmode) {
		fput(file);
		return ERR_PTR(-EBADF);
	}
	return file;
}

static bool toymap_same_file(struct file *a, struct file *b)
{
	return a && b && file_inode(a) == file_inode(b);
}

/*
 * Publish or withdraw a backing file unless the object is mapped; with
 * map_lock, so that toymap_mmap() sees either the old or the new setting,
 * and this either sees its mapping or none.
 */
static bool toymap_set_backing_unmapped(struct toymap_object *obj, struct file *file,
					loff_t offset, loff_t length)
{
	bool mapped;

	spin_lock(&obj->map_lock);
	mapped = obj->live_vmas;
	if (!mapped) {
		obj->backing = file;
		obj->backing_offset = offset;
		obj->backing_length = length;
		obj->readonly = file && !(file->f_mode & FMODE_WRITE);
	}
	spin_unlock(&obj->map_lock);
	return !mapped;
}

/**
 * toymap_attach - back the object with a section of a regular file
 * @obj:	the object
 * @arg:	the request, copied in
 *
 * Refused with -EBUSY while the object is mapped, holds dirty or swapped
 * pages (they would be lost), or has a file already.  The object's clean
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

	mutex_lock(&obj->lock);
	if (obj->backing) {
		err = -EBUSY;
		goto unlock;
	}
	if (toymap_same_file(file, obj->swap)) {
		err = -EINVAL;
		goto unlock;
	}
	filemap_invalidate_lock(mapping);
	if (!toymap_set_backing_unmapped(obj, file, arg->offset, arg->length)) {
		err = -EBUSY;
	} else if (toymap_has_dirty(obj) || atomic_long_read(&obj->nr_swapped)) {
		toymap_set_backing_unmapped(obj, NULL, 0, 0);
		err = -EBUSY;
	} else {
		truncate_inode_pages(mapping, 0);
	}
	filemap_invalidate_unlock(mapping);
unlock:
	mutex_unlock(&obj->lock);
	if (err) {
		fput(file);
		return err;
	}
	if (READ_ONCE(toymap_trace))
		pr_info("toymap%u: pid %d (%s) attach: bytes %lld..%lld of the file%s\n",
			obj->index, task_pid_nr(current), current->comm, arg->offset,
			arg->offset + arg->length - 1,
			obj->readonly ? ", read-only" : "");
	return 0;
}

/**
 * toymap_detach - write back, drop every page: the object is anonymous again
 * @obj:	the object
 *
 * Return: 0; -EINVAL with no file attached; -EBUSY while mapped; or the
 * write-back's -errno (the file stays attached then).
 */
int toymap_detach(struct toymap_object *obj)
{
	struct address_space *mapping = obj->inode->i_mapping;
	struct toymap_wb_counts counts = {};
	struct file *file;
	int err;

	mutex_lock(&obj->lock);
	file = obj->backing;
	err = file ? 0 : -EINVAL;
	if (!err && READ_ONCE(obj->live_vmas))
		err = -EBUSY;
	if (!err && !obj->readonly)
		err = toymap_writeback_range(obj, 0, ULONG_MAX, false, &counts);
	if (!err && counts.written_back)
		err = vfs_fsync(file, 0);
	if (!err) {
		filemap_invalidate_lock(mapping);
		if (toymap_set_backing_unmapped(obj, NULL, 0, 0)) {
			truncate_inode_pages(mapping, 0);
			toymap_forget_swapped(obj, 0, ULONG_MAX);
		} else {
			err = -EBUSY;
		}
		filemap_invalidate_unlock(mapping);
	}
	mutex_unlock(&obj->lock);
	if (err)
		return err;

	fput(file);
	if (READ_ONCE(toymap_trace))
		pr_info("toymap%u: pid %d (%s) detach: %llu pages written back, the object is anonymous again\n",
			obj->index, task_pid_nr(current), current->comm, counts.written_back);
	return 0;
}

/**
 * toymap_set_swap - set or drop the swap file
 * @obj:	the object
 * @arg:	the request: a regular file open read-write, or fd -1 to drop
 *
 * Return: 0; -EBUSY while pages live in the current swap file; -EBADF,
 * -EINVAL for a bad fd.
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

	mutex_lock(&obj->lock);
	if (atomic_long_read(&obj->nr_swapped)) {
		err = -EBUSY;
	} else if (toymap_same_file(file, obj->backing)) {
		err = -EINVAL;
	} else {
		filemap_invalidate_lock(mapping);
		old = obj->swap;
		obj->swap = file;
		file = old;
		filemap_invalidate_unlock(mapping);
	}
	mutex_unlock(&obj->lock);
	if (file)
		fput(file);
	return err;
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
 * own anonymous pages: untouched.
 *
 * Return: 0 or the first write's -errno.
 */
int toymap_evict(struct toymap_object *obj, struct toymap_evict *arg)
{
	struct address_space *mapping = obj->inode->i_mapping;
	pgoff_t first = arg->offset >> PAGE_SHIFT;
	pgoff_t last = (arg->offset + arg->length - 1) >> PAGE_SHIFT;
	struct toymap_wb_counts counts = {};
	unsigned long before, dropped = 0;
	int err;

	mutex_lock(&obj->lock);
	unmap_mapping_range(mapping, arg->offset, arg->length, 0);
	err = toymap_writeback_range(obj, first, last, true, &counts);
	if (!err && counts.written_back)
		err = vfs_fsync(obj->backing, 0);
	if (!err) {
		/*
		 * Drop what is clean; a page written to since is dirty again and
		 * stays.  invalidate_inode_pages2_range(), unlike
		 * invalidate_mapping_pages(), also drops a page that another
		 * CPU's LRU batch still holds a reference to.
		 */
		filemap_invalidate_lock(mapping);
		before = toymap_count_range(mapping, first, last);
		unmap_mapping_range(mapping, arg->offset, arg->length, 0);
		toymap_keep_pinned(mapping, first, last);
		invalidate_inode_pages2_range(mapping, first, last);
		dropped = before - toymap_count_range(mapping, first, last);
		filemap_invalidate_unlock(mapping);
	}
	mutex_unlock(&obj->lock);

	arg->dropped = dropped;
	arg->written_back = counts.written_back;
	arg->swapped_out = counts.swapped_out;
	arg->kept = counts.kept;
	toymap_count_n(obj, TOYMAP_STAT_EVICTIONS, dropped);
	trace_toymap_evict(obj->index, first, last - first + 1, dropped, counts.written_back,
			   counts.swapped_out, counts.kept);
	if (READ_ONCE(toymap_trace))
		pr_info("toymap%u: pid %d (%s) evict from pgoff %lu, %lu pages: %lu dropped, %llu written back, %llu swapped out, %llu dirty kept\n",
			obj->index, task_pid_nr(current), current->comm, first,
			last - first + 1, dropped, counts.written_back, counts.swapped_out,
			counts.kept);
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
