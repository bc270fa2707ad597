// SPDX-License-Identifier: GPL-2.0
/*
 * cycle.c: the attach cycle's table of operations and its process: a
 * backing file and a section of it, ATTACH, random operations, DETACH and
 * the checks, over and over; and ATTACH racing mmap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "cycle.h"

/*
 * The attach cycle's operations, drawn by weight within a cycle (0: once
 * per cycle, counted where they run); one that fails ends the cycle.
 */
const struct op fop_table[NR_FOPS] = {
	[FOP_ATTACH]	= { "attach",	0 },
	[FOP_DETACH]	= { "detach",	0 },
	[FOP_MMAP]	= { "mmap",	30, .run = fc_mmap },
	[FOP_MUNMAP]	= { "munmap",	15, .run_map = fc_munmap },
	[FOP_READ]	= { "read",	110, .run_map = fc_read },
	[FOP_WRITE]	= { "write",	110, .run_map = fc_write },
	[FOP_GUP]	= { "gup",	20, .run_map = fc_gup },
	[FOP_MSYNC]	= { "msync",	20, .run_map = fc_msync },
	[FOP_FSYNC]	= { "fsync",	8, .run = fc_fsync },
	[FOP_EVICT]	= { "evict",	25, .run = fc_evict },
	[FOP_DISCARD]	= { "discard",	8, .run = fc_discard },
	[FOP_PAGEOUT]	= { "pageout",	8, .run_map = fc_pageout },
	[FOP_POKE]	= { "poke",	15, .run = fc_poke },
	[FOP_SWAP]	= { "swap",	6, .run = fc_swap },
	[FOP_VERIFY]	= { "verify",	5, .run = fc_verify },
	[FOP_INFO]	= { "info",	8, .run = fc_info },
	/* Issue 9 */
	[FOP_SELFIO]	= { "selfio",	12, .run_map = fc_selfio },
	[FOP_TRUNCATE]	= { "truncate",	8, .run = fc_truncate },
	[FOP_SPLICE]	= { "vmsplice",	6, .run_map = fc_splice },
	[FOP_XSWAP]	= { "xswap",	4, .run = fc_xswap },
	/* Issue 12: the read-ahead of a MADV_SEQUENTIAL mapping */
	[FOP_SEQREAD]	= { "seqread",	10, .run_map = fc_seqread },
	[FOP_ATTACH_RACE] = { "attach-race", 0 },
};

/* An operation of the attach cycle, also one of the file process's (OP_FILE). */
void fc_count(struct worker *w, unsigned int kind)
{
	STAT_ADD(w, fops[kind], 1);
	STAT_ADD(w, ops[OP_FILE], 1);
}

const struct fuzzer cycle_fuzzer = {
	.ops = fop_table, .nops = NR_FOPS, .mmap = FOP_MMAP, .munmap = FOP_MUNMAP,
	.max_maps = FILE_MAPS, .fallback = FOP_INFO, .count = fc_count,
};

#define ATTACH_RACE_PAGES	8192	/* clean pages before the dirty one */
#define ATTACH_RACE_TRIES	150

/* The thread that maps and unmaps the object while ATTACH runs. */
struct attach_racer {
	struct worker *w;
	int stop;
	uint64_t maps;
	uint64_t rng;	/* the pause after each munmap: ATTACH starts unmapped, mmap lands in its scan */
	int err;
};

static void *attach_racer_main(void *arg)
{
	struct attach_racer *r = arg;
	void *p;

	/*
	 * Not counted in the shared state (no lock to slow it down): other
	 * processes then see the object unmapped and leave it alone.
	 */
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		p = mmap(NULL, psz, PROT_READ, MAP_SHARED, fc.fd, 0);
		if (p == MAP_FAILED) {
			r->err = errno;
			break;
		}
		r->maps++;
		munmap(p, psz);
		/* munmap is slow (a TLB shootdown): stay unmapped as long, at random. */
		r->rng = mix64(r->rng);
		for (double until = now() + (double)(r->rng % 3000) / 1e6; now() < until;)
			;
	}
	return NULL;
}

/*
 * Issue 9 (1): ATTACH racing mmap().  The object (anonymous, unattached)
 * gets many clean pages and one dirty page after them, so that ATTACH's
 * look for dirty pages is long; a thread maps and unmaps it meanwhile.
 * Every ATTACH must be EBUSY and leave no file attached (INFO, and DETACH
 * says EINVAL after); the dirty page keeps its bytes, the others read zero.
 * Then the object is emptied (DISCARD) for the cycle's own ATTACH.
 */
static int fc_attach_race(struct worker *w)
{
	uint64_t npages = min_u64(min_u64(ATTACH_RACE_PAGES, fobj->pages - 1),
				  fobj->before.max_pages / 8), k;
	size_t len = (npages + 1) * psz;
	struct attach_racer r = { .w = w, .rng = rnd64(w) };
	struct toymap_info info;
	unsigned int tries;
	pthread_t tid;
	uint8_t *p;
	int err;

	fc_count(w, FOP_ATTACH_RACE);
	log_op(w, "attach race on toymap%u: %" PRIu64 " clean pages, a dirty one, ATTACH against "
	       "mmap and munmap", fobj->index, npages);
	p = fc_mmap_locked(w, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fc.fd, 0);
	if (p == MAP_FAILED) {
		fail(w, "mmap of %" PRIu64 " pages of toymap%u: %s", npages + 1, fobj->index,
		     strerror(errno));
		return -1;
	}
	fill_nonzero(w, w->buf, psz);
	memcpy(p + npages * psz, w->buf, psz);
	if (fc_munmap_locked(w, p, len)) {
		fail(w, "munmap: %s", strerror(errno));
		return -1;
	}
	err = pthread_create(&tid, NULL, attach_racer_main, &r);
	if (err) {
		fail(w, "pthread_create: %s", strerror(err));
		return -1;
	}
	for (tries = 0; tries < ATTACH_RACE_TRIES; tries++) {
		err = toymap_attach(fc.fd, fc.file_fd, fc.off, fc.len);
		STAT_ADD(w, checks, 2);
		if (err != -EBUSY) {
			fail(w, "TOYMAP_IOC_ATTACH of toymap%u holding a dirty page, racing mmap: %s, "
			     "expected EBUSY", fobj->index, err ? strerror(-err) : "success");
			break;
		}
		STAT_ADD(w, errnos, 1);
		err = toymap_get_info(fc.fd, &info);
		if (err || (info.backing_flags & TOYMAP_BACKING_FILE)) {
			fail(w, "after TOYMAP_IOC_ATTACH returned EBUSY (try %u, racing mmap): INFO %s, "
			     "backing_flags %#x: a file is attached that the caller was told was "
			     "not", tries, err ? strerror(-err) : "done", info.backing_flags);
			break;
		}
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(tid, NULL);
	log_more(w, "; %u EBUSY, %" PRIu64 " mmaps beside", tries, r.maps);
	if (w->failed)
		return -1;
	if (r.err) {
		fail(w, "mmap of toymap%u racing ATTACH: %s", fobj->index, strerror(r.err));
		return -1;
	}
	if (fc_expect(w, toymap_detach(fc.fd), EINVAL, "TOYMAP_IOC_DETACH after ATTACH was "
		      "refused"))
		return -1;
	/* The object as it was: the dirty page, zeros. */
	p = fc_mmap_locked(w, len, PROT_READ, MAP_SHARED, fc.fd, 0);
	if (p == MAP_FAILED) {
		fail(w, "mmap of toymap%u: %s", fobj->index, strerror(errno));
		return -1;
	}
	err = memcmp(p + npages * psz, w->buf, psz);
	for (k = 0; !err && k < npages; k += 1 + rnd(w, 64)) {
		size_t b;

		for (b = 0; b < psz && !p[k * psz + b]; b++)
			;
		err = b < psz;
		STAT_ADD(w, zero_pages, !err);
	}
	STAT_ADD(w, checks, 1);
	fc_munmap_locked(w, p, len);
	if (err) {
		fail(w, "toymap%u after the refused ATTACHes: page %" PRIu64 " is not what it held "
		     "(%s)", fobj->index, k < npages ? k : npages, k < npages ?
		     "zeros" : "the bytes written");
		return -1;
	}
	err = toymap_discard(fc.fd, 0, fobj->pages * psz);
	return fc_expect(w, err, 0, "TOYMAP_IOC_DISCARD after the attach race");
}

/* The backing file of a cycle: its size, content, section and mode. */
static int fc_make_file(struct worker *w, char *path, size_t len)
{
	unsigned int r = (unsigned int)rnd(w, 8);
	uint64_t max = (uint64_t)(FILE_PAGES + FILE_SLACK_PAGES) * psz;
	int err;

	fc.fsize = r == 0 ? 0 : r == 1 ? (1 + rnd(w, FILE_PAGES)) * psz : 1 + rnd(w, max);
	r = (unsigned int)rnd(w, 8);
	fc.off = r == 0 ? 0 : r < 3 ? rnd(w, fc.fsize / psz + 1) * psz : r < 6 ?
		 rnd(w, fc.fsize + 1) : r == 6 ? fc.fsize : fc.fsize + rnd(w, 2 * psz);
	r = (unsigned int)rnd(w, 6);
	if (r == 0)
		fc.len = LLONG_MAX - fc.off;
	else if (r == 1 && fc.off < fc.fsize)
		fc.len = fc.fsize - fc.off + 1 + rnd(w, 4 * psz);
	else
		fc.len = 1 + rnd(w, (FILE_PAGES + 2) * psz);
	fc.readonly = !rnd(w, 4);

	fc.file = xmalloc(fc.fsize ? fc.fsize : 1);
	fc.obj = fc.obj ? fc.obj : xmalloc(FILE_PAGES * psz);
	if (!fc.file || !fc.obj) {
		fail(w, "out of memory");
		return -1;
	}
	fill_nonzero(w, fc.file, fc.fsize);
	fc.file_fd = toymap_temp_file("stress-file", path, len);
	if (fc.file_fd < 0) {
		fail(w, "creating the backing file in %s: %s", toymap_temp_dir(),
		     strerror(-fc.file_fd));
		return -1;
	}
	err = toymap_pwrite_full(fc.file_fd, fc.file, fc.fsize, 0);
	if (err) {
		fail(w, "writing the backing file: %s", strerror(-err));
		return -1;
	}
	return 0;
}

/* ATTACH the section (EINVAL first for the swap file as the backing file). */
static int fc_attach(struct worker *w, const char *path)
{
	struct toymap_attach a = {
		.size = sizeof(a), .fd = -1, .offset = fc.off, .length = fc.len,
	};
	int fd = fc.file_fd, err;
	char sect[128];

	log_op(w, "attach toymap%u: %s", fobj->index, fc_desc(sect, sizeof(sect)));
	fc_count(w, FOP_ATTACH);
	if (fc_expect(w, toymap_detach(fc.fd), EINVAL, "TOYMAP_IOC_DETACH, nothing attached"))
		return -1;
	if (fc.swap_fd >= 0 &&
	    fc_expect(w, toymap_attach(fc.fd, fc.swap_fd, fc.off, fc.len), EINVAL,
		      "TOYMAP_IOC_ATTACH of the swap file"))
		return -1;
	if (ngeneral && !rnd(w, 2)) {
		bool was = fi_pause();

		err = fc_attach_other_swap(w);
		fi_resume(was);
		if (err)
			return -1;
	}
	if (fc.readonly) {
		bool was = fi_pause();

		fd = open(path, O_RDONLY | O_CLOEXEC);
		fi_resume(was);
		if (fd < 0) {
			fail(w, "open %s: %s", path, strerror(errno));
			return -1;
		}
	}
	a.fd = fd;
	if (file_state_lock(w)) {
		if (fd != fc.file_fd)
			close(fd);
		return -1;
	}
	err = ioctl(fc.fd, TOYMAP_IOC_ATTACH, &a) ? -errno : 0;
	if (err && injected(w, -err, INJ_IOCTL)) {
		/* ATTACH fails before any change (toymap_attach()): redo it. */
		bool was = fi_pause();

		err = ioctl(fc.fd, TOYMAP_IOC_ATTACH, &a) ? -errno : 0;
		fi_resume(was);
	}
	if (!err)
		sh->file.attached = 1;
	file_state_unlock();
	if (fd != fc.file_fd)
		close(fd);
	if (fc_expect(w, err, 0, "TOYMAP_IOC_ATTACH"))
		return -1;
	/* The object's pages were dropped: the first touch reads the file. */
	memset(fc.dirty, 0, sizeof(fc.dirty));
	memset(fc.swapped, 0, sizeof(fc.swapped));
	memset(fc.resident, 0, sizeof(fc.resident));
	for (uint64_t k = 0; k < FILE_PAGES; k++)
		fc_fill(k);
	if (fc_get_info(w, &fc.info, true))
		return -1;
	return fc_expect(w, toymap_attach(fc.fd, PROBE_FILE, 0, psz), EBUSY,
			 "TOYMAP_IOC_ATTACH of a second file");
}

/* Unmap everything the cycle maps. */
static int fc_unmap_all(struct worker *w)
{
	unsigned int k;

	for (k = 0; k < MAX_MAPS; k++)
		if (w->maps[k].used && fc_munmap(w, &w->maps[k]))
			return -1;
	return 0;
}

/* After DETACH: every page reads zero through a new mapping. */
static int fc_detach_zero(struct worker *w)
{
	uint64_t k;
	uint8_t *p;
	int sig;

	p = fc_mmap_locked(w, FILE_PAGES * psz, PROT_READ, MAP_SHARED, fc.fd, 0);
	if (p == MAP_FAILED) {
		fail(w, "mmap of toymap%u after DETACH: %s", fobj->index, strerror(errno));
		return -1;
	}
	for (k = 0; k < FILE_PAGES; k++) {
		size_t b;

		sig = guarded_copy(w->buf2, p + k * psz, psz);
		for (b = 0; !sig && b < psz && !w->buf2[b]; b++)
			;
		STAT_ADD(w, checks, 1);
		STAT_ADD(w, bytes, psz);
		if (sig || b < psz) {
			fail(w, "page %" PRIu64 " of toymap%u after DETACH: %s%s", k, fobj->index,
			     sig ? sig_name(sig) : "not zero", sig ? "" :
			     " (the file's or an old page's bytes reached an anonymous object)");
			fc_munmap_locked(w, p, FILE_PAGES * psz);
			return -1;
		}
		STAT_ADD(w, zero_pages, 1);
	}
	if (fc_munmap_locked(w, p, FILE_PAGES * psz)) {
		fail(w, "munmap: %s", strerror(errno));
		return -1;
	}
	return fc_expect(w, toymap_detach(fc.fd), EINVAL, "TOYMAP_IOC_DETACH, nothing attached");
}

/*
 * DETACH: every dirty page's file bytes are written back, every page and
 * swap copy goes; the file must be exactly the model, and the object,
 * anonymous again, reads zero.
 */
static int fc_detach(struct worker *w)
{
	struct toymap_info after;
	bool was, redone = false;
	int err, ret;
	uint64_t wb;

	log_op(w, "detach toymap%u", fobj->index);
	fc_count(w, FOP_DETACH);
	if (fc_get_info(w, &fc.info, true))
		return -1;
	wb = fc_sync_model(0, FILE_PAGES);
	if (file_state_lock(w))
		return -1;
	err = toymap_detach(fc.fd);
	if (err && injected(w, -err, INJ_IOCTL)) {
		/*
		 * A failed write-back leaves the file attached, some pages
		 * written: redo it without injection; the file must then be
		 * exactly the model, only write_backs adds up two attempts.
		 */
		was = fi_pause();
		err = toymap_detach(fc.fd);
		fi_resume(was);
		redone = true;
	}
	if (!err)
		sh->file.attached = 0;
	file_state_unlock();
	log_more(w, " -> %s, %" PRIu64 " to write back", err ? strerror(-err) : "done", wb);
	if (fc_expect(w, err, 0, "TOYMAP_IOC_DETACH"))
		return -1;
	memset(fc.swapped, 0, sizeof(fc.swapped));
	if (fc_get_info(w, &after, false) ||
	    fc_check_delta(w, "write_backs", fc.info.write_backs, after.write_backs, wb,
			   "DETACH", redone) ||
	    fc_check_delta(w, "resident_pages", 0, after.resident_pages, 0, "DETACH", false) ||
	    fc_verify_file(w, "DETACH"))
		return -1;
	/* Anonymous again: demand-zero, nothing of the file or the old pages (a check: off). */
	was = fi_pause();
	ret = fc_detach_zero(w);
	fi_resume(was);
	return ret;
}

/* The end of a cycle, also after a failure: nothing mapped, attached or set. */
static void fc_cleanup(struct worker *w)
{
	unsigned int k;

	for (k = 0; k < MAX_MAPS; k++) {
		if (!w->maps[k].used)
			continue;
		fc_munmap_locked(w, w->maps[k].addr, w->maps[k].pages * psz);
		forget_map(&w->maps[k]);
	}
	if (!file_state_lock(w)) {
		if (!toymap_detach(fc.fd))
			sh->file.attached = 0;
		file_state_unlock();
	}
	if (fc.swap_fd >= 0) {
		toymap_set_swap(fc.fd, -1);
		close(fc.swap_fd);
		fc.swap_fd = -1;
	}
	if (fc.file_fd >= 0)
		close(fc.file_fd);
	fc.file_fd = -1;
	free(fc.file);
	fc.file = NULL;
}

/*
 * One attach cycle: a new backing file and section, a swap file or not,
 * ATTACH, random operations, everything unmapped, DETACH, the checks, the
 * swap file dropped.
 */
static int fc_cycle(struct worker *w)
{
	char path[PATH_MAX] = "";
	unsigned int nops, i;
	int ret = -1, err;
	bool was;

	/* The files and the swap file: not the module's, with injection off. */
	was = fi_pause();
	err = fc_make_file(w, path, sizeof(path));
	if (!err && !rnd(w, 3))
		err = fc_attach_race(w);
	if (!err && rnd(w, 2)) {
		fc.swap_fd = toymap_temp_file("stress-swap", NULL, 0);
		err = fc.swap_fd < 0 ? fc.swap_fd : toymap_set_swap(fc.fd, fc.swap_fd);
		err = fc_expect(w, err, 0, "TOYMAP_IOC_SET_SWAP before ATTACH");
	}
	fi_resume(was);
	if (err)
		goto out;
	err = fc_attach(w, path);
	unlink(path);
	if (err)
		goto out;
	nops = 30 + (unsigned int)rnd(w, 170);
	for (i = 0; i < nops && !w->failed && !stopping() && now() < w->deadline; i++) {
		w->opno++;
		if (run_op(w, &cycle_fuzzer, pick_op(w, &cycle_fuzzer, ALL_OPS), ALL_OPS))
			goto out;
	}
	/* Unmapping everything must succeed: off (the fsync and DETACH redo a failure). */
	was = fi_pause();
	err = fc_unmap_all(w);
	fi_resume(was);
	if (err || (!rnd(w, 3) && fc_fsync(w)) || fc_detach(w))
		goto out;
	if (fc.swap_fd >= 0) {
		was = fi_pause();
		err = toymap_set_swap(fc.fd, -1);
		fi_resume(was);
		close(fc.swap_fd);
		fc.swap_fd = -1;
		if (fc_expect(w, err, 0, "TOYMAP_IOC_SET_SWAP(-1) after DETACH"))
			goto out;
	}
	STAT_ADD(w, cycles, 1);
	ret = 0;
out:
	was = fi_pause();
	if (path[0])
		unlink(path);
	fc_cleanup(w);
	fi_resume(was);
	return ret;
}

/* The attach cycle's process: cycles until the deadline. */
void __attribute__((noreturn)) file_main(double deadline)
{
	struct worker *w = calloc(1, sizeof(*w));

	signal(SIGALRM, SIG_DFL);
	alarm(cfg.seconds * 2 + 60);
	if (!w || !(w->buf = malloc(psz)) || !(w->buf2 = malloc(psz))) {
		fprintf(stderr, "toymap-stress: out of memory\n");
		_exit(EXIT_FAIL);
	}
	w->proc = cfg.procs;
	w->deadline = deadline;
	w->slot = &sh->slots[cfg.procs * cfg.threads];
	w->rng = mix64(cfg.seed ^ 0xa77ac4c7c1eULL);
	fc.fd = toymap_open(fobj->index, O_RDWR | O_CLOEXEC);
	if (fc.fd < 0 || open_probe_fds()) {
		fprintf(stderr, "toymap-stress: the attach cycle cannot open /dev/toymap%u or its "
			"probe files in %s\n", fobj->index, toymap_temp_dir());
		_exit(EXIT_FAIL);
	}
	fi_altstack_start();
	fi_start();
	while (!w->failed && !stopping() && now() < deadline) {
		w->opno++;
		fc_cycle(w);
	}
	watch_idle(w);
	fi_stop();
	fflush(NULL);
	_exit(w->failed ? EXIT_FAIL : EXIT_PASS);
}
