// SPDX-License-Identifier: GPL-2.0
/*
 * cycle_model.c: the attach cycle's model of its object and backing file,
 * what it predicts (EVICT's counts, write-back, the file), and its checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cycle.h"

/* The attach cycle's state and model, in its own process. */
struct fcycle fc = { .fd = -1, .file_fd = -1, .swap_fd = -1 };

uint8_t *fc_page(uint64_t k)
{
	return fc.obj + k * psz;
}

/* Bytes of object page @k in the section: 0 .. psz. */
uint64_t fc_section_bytes(uint64_t k)
{
	uint64_t start = k * psz;

	return start >= fc.len ? 0 : min_u64(fc.len - start, psz);
}

/* Bytes of page @k that come from the file: in the section and in the file. */
static uint64_t fc_file_bytes(uint64_t k)
{
	uint64_t pos = fc.off + k * psz;

	return pos >= fc.fsize ? 0 : min_u64(fc_section_bytes(k), fc.fsize - pos);
}

/* ... and that write-back writes: none through a read-only descriptor. */
uint64_t fc_writeback_bytes(uint64_t k)
{
	return fc.readonly ? 0 : fc_file_bytes(k);
}

/* Page @k as a fault fills it when no page and no swap copy exist: the file, then zeros. */
void fc_fill(uint64_t k)
{
	uint64_t n = fc_file_bytes(k);

	memset(fc_page(k), 0, psz);
	if (n)
		memcpy(fc_page(k), fc.file + fc.off + k * psz, n);
}

/*
 * A fault reached object page @k: it is in memory now.  A swap copy is read
 * back and leaves the swap file (the module frees the slot, as shmem does),
 * and the page, its only copy now, is dirty.
 */
void fc_touch_page(uint64_t k)
{
	fc.resident[k] = true;
	if (fc.swapped[k]) {
		fc.swapped[k] = false;
		fc.dirty[k] = true;
	}
}

/*
 * A touch of object page @k through a mapping advised MADV_SEQUENTIAL may
 * read pages @k + 1 .. @k + 31 from the file with it, up to the end of the
 * section or the file or a page with a swap copy, as toymap_readahead()
 * does: they may be in memory now.  "May": the module also stops at a page
 * already there, and reads nothing ahead of a page that was resident (the
 * model cannot know which: reclaim drops clean pages); its clean resident
 * pages are those it cannot be sure of, and no file change is made under
 * them (fc_poke_safe()), so marking more than the module read is safe.  No
 * file size change races a touch through an advised mapping (the side
 * steps fault through a mapping of their own).
 */
static void fc_read_ahead(uint64_t k)
{
	uint64_t j;

	for (j = k + 1; j < min_u64(k + READ_AHEAD, FILE_PAGES); j++) {
		if (!fc_file_bytes(j) || fc.swapped[j])
			break;
		fc.resident[j] = true;
	}
}

/* May a touch of object page @from through @m read page @k ahead? */
bool fc_reads_ahead_to(const struct mapping *m, uint64_t from, uint64_t k)
{
	return m->seq && k > from && k - from < READ_AHEAD;
}

/*
 * Page @i of @m is touched: the object's page is in memory now, unless the
 * touch reaches @m's private COW copy instead (fc_touch_page()).
 */
void fc_touch(const struct mapping *m, size_t i)
{
	uint64_t k = m->pgoff + i;

	fc.resident[k] = true;
	if (m->shared || !m->ps[i].cow)
		fc_touch_page(k);
	if (m->seq)
		fc_read_ahead(k);
}

bool fc_any_swapped(uint64_t first, uint64_t n)
{
	uint64_t k;

	for (k = first; k < first + n; k++)
		if (fc.swapped[k])
			return true;
	return false;
}

unsigned int fc_swapped_count(void)
{
	unsigned int k, n = 0;

	for (k = 0; k < FILE_PAGES; k++)
		n += fc.swapped[k];
	return n;
}

/* Dirty page @k is written back: its file bytes reach the file.  True if any. */
static bool fc_write_back(uint64_t k)
{
	uint64_t n = fc_writeback_bytes(k);

	if (!n)
		return false;
	memcpy(fc.file + fc.off + k * psz, fc_page(k), n);
	return true;
}

/*
 * fsync/msync of object pages [@first, @first + @n), and DETACH: every dirty
 * page's file bytes are written; a page wholly in the file is clean after,
 * one with anonymous bytes stays dirty.  Returns the pages written back.
 */
uint64_t fc_sync_model(uint64_t first, uint64_t n)
{
	uint64_t k, wb = 0, end = min_u64(first + n, FILE_PAGES);

	for (k = first; k < end; k++) {
		if (!fc.dirty[k] || !fc_write_back(k))
			continue;
		wb++;
		if (fc_writeback_bytes(k) == psz)
			fc.dirty[k] = false;
	}
	return wb;
}

/*
 * EVICT of object pages [@first, @first + @n): a dirty page's file bytes are
 * written; a page wholly in the file is then clean, one with anonymous bytes
 * goes to the swap file if one is set, else stays dirty (kept); every clean
 * page is dropped.
 */
void fc_evict_model(uint64_t first, uint64_t n, struct fc_evict_counts *e)
{
	uint64_t k, wb, end = min_u64(first + n, FILE_PAGES);

	memset(e, 0, sizeof(*e));
	for (k = first; k < end; k++) {
		if (!fc.dirty[k]) {
			fc.resident[k] = false;
			continue;
		}
		wb = fc_writeback_bytes(k);
		if (wb) {
			fc_write_back(k);
			e->written_back++;
		}
		if (wb < psz && fc.swap_fd < 0) {
			e->kept++;
			continue;
		}
		if (wb < psz) {
			fc.swapped[k] = true;
			e->swapped_out++;
		} else {
			fc.swapped[k] = false;	/* written wholly to its file: the slot goes */
		}
		fc.dirty[k] = false;
		fc.resident[k] = false;
		e->cleaned++;
	}
}

/* What page @i of @m must show: its COW copy, or the object's page. */
const uint8_t *fc_expected(const struct mapping *m, size_t i)
{
	if (!m->shared && m->ps[i].cow)
		return m->ps[i].shadow;
	return fc_page(m->pgoff + i);
}

/* "section 100+8192 of a 5000-byte file, read-only, swap file" */
const char *fc_desc(char *buf, size_t len)
{
	snprintf(buf, len, "section %" PRIu64 "+%" PRIu64 " of a %" PRIu64 "-byte file%s%s",
		 fc.off, fc.len, fc.fsize, fc.readonly ? ", attached read-only" : "",
		 fc.swap_fd >= 0 ? ", swap file set" : "");
	return buf;
}

/* "page 3: 4096 file bytes from 12388, dirty, swapped" */
static const char *fc_page_desc(uint64_t k, char *buf, size_t len)
{
	snprintf(buf, len, "object page %" PRIu64 ": %" PRIu64 " bytes from file offset %" PRIu64
		 " (%" PRIu64 " in the section), %s%s%s", k, fc_file_bytes(k), fc.off + k * psz,
		 fc_section_bytes(k), fc.dirty[k] ? "dirty" : "clean",
		 fc.swapped[k] ? ", has a swap copy" : "",
		 fc.resident[k] ? "" : ", not resident");
	return buf;
}

int fc_compare(struct worker *w, const struct mapping *m, size_t i, size_t off,
		      const uint8_t *got, size_t len, const char *what)
{
	const uint8_t *want = fc_expected(m, i) + off;
	char desc[128], page[192], sect[128], frame[96];
	size_t k, bad = 0, first = len;

	STAT_ADD(w, checks, 1);
	STAT_ADD(w, bytes, len);
	if (!memcmp(got, want, len))
		return 0;
	for (k = 0; k < len; k++) {
		if (got[k] != want[k]) {
			bad++;
			if (first == len)
				first = k;
		}
	}
	toymap_describe_frame(m->addr + i * psz + off, frame, sizeof(frame));
	fail(w, "%s of page %zu of %s +%zu: %zu of %zu bytes differ from the model, first at "
	     "+%zu: read 0x%02x, expected 0x%02x (%s; %s; %s; pagemap: %s)", what, i,
	     map_desc(w, m, desc, sizeof(desc)), off, bad, len, off + first, got[first],
	     want[first], !m->shared && m->ps[i].cow ? "private, written here: its COW copy" :
	     "the object's bytes", fc_page_desc(m->pgoff + i, page, sizeof(page)),
	     fc_desc(sect, sizeof(sect)), frame);
	return -1;
}

/*
 * The backing file, byte for byte and its size: write-back reached it
 * exactly where the model says (section bytes in the file of dirty pages),
 * and nowhere else.
 */
static int fc_read_file(struct worker *w, const char *after)
{
	char sect[128], where[160];
	uint8_t *got = NULL;
	struct stat st;
	uint64_t b;
	int err;

	STAT_ADD(w, checks, 1);
	if (fstat(fc.file_fd, &st) || (uint64_t)st.st_size != fc.fsize) {
		fail(w, "after %s the backing file is %lld bytes, expected %" PRIu64 " (write-back "
		     "never changes the file's size)", after, (long long)st.st_size, fc.fsize);
		return -1;
	}
	if (!fc.fsize)
		return 0;
	got = xmalloc(fc.fsize);
	if (!got) {
		fail(w, "out of memory");
		return -1;
	}
	err = toymap_pread_full(fc.file_fd, got, fc.fsize, 0);
	if (err) {
		fail(w, "reading the %" PRIu64 " bytes of the backing file: %s", fc.fsize,
		     strerror(-err));
		free(got);
		return -1;
	}
	STAT_ADD(w, file_checks, 1);
	STAT_ADD(w, bytes, fc.fsize);
	if (!memcmp(got, fc.file, fc.fsize)) {
		free(got);
		return 0;
	}
	for (b = 0; got[b] == fc.file[b]; b++)
		;
	if (b < fc.off || b - fc.off >= fc.len)
		snprintf(where, sizeof(where), "outside the section");
	else
		fc_page_desc((b - fc.off) / psz, where, sizeof(where));
	fail(w, "after %s byte %" PRIu64 " of the backing file is 0x%02x, expected 0x%02x (%s; "
	     "%s)", after, b, got[b], fc.file[b], where, fc_desc(sect, sizeof(sect)));
	free(got);
	return -1;
}

/* ... with injection off: a check (read() would EFAULT on a buffer page it fails to fault in). */
int fc_verify_file(struct worker *w, const char *after)
{
	bool was = fi_pause();
	int ret = fc_read_file(w, after);

	fi_resume(was);
	return ret;
}

/*
 * INFO of the object, checked against the cycle's state: the backing flags,
 * offset and length, the swapped pages.
 */
int fc_get_info(struct worker *w, struct toymap_info *info, bool attached)
{
	uint32_t want = (attached ? TOYMAP_BACKING_FILE : 0) |
			(attached && fc.readonly ? TOYMAP_BACKING_READONLY : 0) |
			(fc.swap_fd >= 0 ? TOYMAP_BACKING_SWAP : 0);
	int err = toymap_get_info(fc.fd, info);
	char sect[128];
	bool was;

	STAT_ADD(w, checks, 1);
	if (err && injected(w, -err, INJ_IOCTL)) {
		was = fi_pause();
		err = toymap_get_info(fc.fd, info);
		fi_resume(was);
	}
	if (err) {
		fail(w, "TOYMAP_IOC_INFO on toymap%u: %s", fobj->index, strerror(-err));
		return -1;
	}
	if (info->backing_flags == want && info->swapped_pages == fc_swapped_count() &&
	    (!attached || (info->backing_offset == fc.off && info->backing_length == fc.len)))
		return 0;
	fail(w, "TOYMAP_IOC_INFO on toymap%u: backing_flags %#x offset %" PRIu64 " length %"
	     PRIu64 " swapped_pages %" PRIu64 ", expected flags %#x, %u swapped pages (%s%s)",
	     fobj->index, info->backing_flags, U64(info->backing_offset),
	     U64(info->backing_length), U64(info->swapped_pages), want, fc_swapped_count(),
	     attached ? "" : "detached; ", fc_desc(sect, sizeof(sect)));
	return -1;
}

/*
 * A counter of INFO grew by @want from @before to @after.  @redone: the
 * operation failed by an injected failure and was redone without injection,
 * so the counter adds up two attempts: it grew by @want at least.
 */
int fc_check_delta(struct worker *w, const char *name, uint64_t before, uint64_t after,
			  uint64_t want, const char *op, bool redone)
{
	char sect[128];

	STAT_ADD(w, checks, 1);
	if (redone ? after >= before && after - before >= want : after - before == want)
		return 0;
	fail(w, "after %s%s INFO.%s grew by %" PRIu64 ", the model expects %s%" PRIu64 " (%s)", op,
	     redone ? " (redone after an injected failure)" : "", name, after - before,
	     redone ? "at least " : "", want, fc_desc(sect, sizeof(sect)));
	return -1;
}

/* mmap or munmap under the shared state lock, counting the mappings for the probes. */
void *fc_mmap_locked(struct worker *w, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;
	int err;

	if (file_state_lock(w))
		return MAP_FAILED;
	p = mmap(NULL, len, prot, flags, fd, off);
	err = errno;
	if (p != MAP_FAILED)
		sh->file.maps++;
	file_state_unlock();
	errno = err;
	return p;
}

int fc_munmap_locked(struct worker *w, void *addr, size_t len)
{
	int ret, err;

	if (file_state_lock(w))
		return -1;
	ret = munmap(addr, len);
	err = errno;
	if (!ret)
		sh->file.maps--;
	file_state_unlock();
	errno = err;
	return ret;
}

/* Expect @err (0 or -errno) to be -@want for the attach cycle's own probes. */
int fc_expect(struct worker *w, int err, int want, const char *what)
{
	STAT_ADD(w, checks, 1);
	if (err == -want) {
		if (want)
			STAT_ADD(w, errnos, 1);
		return 0;
	}
	/* A probe that must fail anyway (changes nothing). */
	if (want && injected(w, -err, INJ_IOCTL))
		return 0;
	fail(w, "%s: %s, expected %s", what, err ? strerror(-err) : "success",
	     want ? strerror(want) : "success");
	return -1;
}
