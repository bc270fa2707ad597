/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attach cycle of toymap-stress: one process runs it on its own object
 * (main.c says what it does), a fuzzer of its own with the dispatch of
 * worker.c:
 *
 *   cycle.c		its table of operations, the cycle (a backing file, ATTACH,
 *			operations, DETACH, the checks), ATTACH racing mmap
 *   cycle_model.c	its model of the object and the file, and the checks
 *   cycle_ops.c	the operations on its mappings, object and file
 *   cycle_mixes.c	file I/O and truncation beside EVICT, fsync or faults in a
 *			second thread, vmsplice, one swap file for two objects
 */
#ifndef TOYMAP_STRESS_CYCLE_H
#define TOYMAP_STRESS_CYCLE_H

#include "stress.h"

#define FILE_MAPS	6	/* mappings the attach cycle holds at most */

/*
 * struct fcycle - the attach cycle's object and backing file, and their model
 * @fd:		the object, O_RDWR, this process's own descriptor
 * @file_fd:	the backing file, O_RDWR: to read it back and to change it
 * @swap_fd:	this cycle's swap file, or -1: none is set
 * @readonly:	the file is attached through an O_RDONLY descriptor
 * @fsize:	bytes in the backing file (write-back never changes that)
 * @off:	the section: its first byte in the file
 * @len:	the section's bytes (may run past the end of the file)
 * @file:	the backing file's expected bytes
 * @obj:	FILE_PAGES pages: what a shared mapping must show of the object
 * @dirty:	written through a shared mapping since it was last cleaned
 * @swapped:	has a copy in the swap file, which wins over the file; only
 *		while not resident: a swap-in frees the slot (fc_touch())
 * @resident:	may be in memory; false only when it surely is not (dropped
 *		by ATTACH, EVICT or DISCARD, and not touched since)
 * @info:	INFO after the last operation that checked the counters
 */
struct fcycle {
	int fd;
	int file_fd;
	int swap_fd;
	bool readonly;
	uint64_t fsize;
	uint64_t off;
	uint64_t len;
	uint8_t *file;
	uint8_t *obj;
	bool dirty[FILE_PAGES];
	bool swapped[FILE_PAGES];
	bool resident[FILE_PAGES];
	struct toymap_info info;
};

extern struct fcycle fc;

/* What EVICT must return, as the model predicts it. */
struct fc_evict_counts {
	uint64_t written_back;
	uint64_t swapped_out;
	uint64_t kept;
	uint64_t cleaned;	/* dirty pages saved, and so dropped */
};

/* cycle_model.c: the model */
uint8_t *fc_page(uint64_t k);
uint64_t fc_section_bytes(uint64_t k);
uint64_t fc_writeback_bytes(uint64_t k);
void fc_fill(uint64_t k);
void fc_touch_page(uint64_t k);
void fc_touch(const struct mapping *m, size_t i);
bool fc_reads_ahead_to(const struct mapping *m, uint64_t from, uint64_t k);
bool fc_any_swapped(uint64_t first, uint64_t n);
unsigned int fc_swapped_count(void);
uint64_t fc_sync_model(uint64_t first, uint64_t n);
void fc_evict_model(uint64_t first, uint64_t n, struct fc_evict_counts *e);
const uint8_t *fc_expected(const struct mapping *m, size_t i);
const char *fc_desc(char *buf, size_t len);
/* ... the checks */
int fc_compare(struct worker *w, const struct mapping *m, size_t i, size_t off,
	       const uint8_t *got, size_t len, const char *what);
int fc_verify_file(struct worker *w, const char *after);
int fc_get_info(struct worker *w, struct toymap_info *info, bool attached);
int fc_check_delta(struct worker *w, const char *name, uint64_t before, uint64_t after,
		   uint64_t want, const char *op, bool redone);
int fc_expect(struct worker *w, int err, int want, const char *what);
/* ... mappings counted for the other processes' probes */
void *fc_mmap_locked(struct worker *w, size_t len, int prot, int flags, int fd, off_t off);
int fc_munmap_locked(struct worker *w, void *addr, size_t len);

/* cycle_ops.c */
void fc_pick_bytes(struct worker *w, size_t *off, size_t *len);
void fc_pick_range(struct worker *w, uint64_t *first, uint64_t *n);
bool fc_poke_safe(uint64_t pos, uint64_t n);
int fc_check_page(struct worker *w, struct mapping *m, size_t i, const char *what);
int fc_check_mapped_page(struct worker *w, uint64_t k, const char *what);
int fc_evict_range(struct worker *w, uint64_t first, uint64_t n, uint64_t held);
int fc_mmap(struct worker *w);
int fc_munmap(struct worker *w, struct mapping *m);
int fc_read(struct worker *w, struct mapping *m);
int fc_write(struct worker *w, struct mapping *m);
int fc_gup(struct worker *w, struct mapping *m);
int fc_msync(struct worker *w, struct mapping *m);
int fc_fsync(struct worker *w);
int fc_evict(struct worker *w);
int fc_discard(struct worker *w);
int fc_pageout(struct worker *w, struct mapping *m);
int fc_seqread(struct worker *w, struct mapping *m);
int fc_poke(struct worker *w);
int fc_swap(struct worker *w);
int fc_verify(struct worker *w);
int fc_info(struct worker *w);

/* cycle_mixes.c */
int fc_selfio(struct worker *w, struct mapping *m);
int fc_truncate(struct worker *w);
int fc_splice(struct worker *w, struct mapping *m);
int fc_xswap(struct worker *w);
int fc_attach_other_swap(struct worker *w);

/* cycle.c */
void fc_count(struct worker *w, unsigned int kind);

#endif /* TOYMAP_STRESS_CYCLE_H */
