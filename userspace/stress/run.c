// SPDX-License-Identifier: GPL-2.0
/*
 * run.c: the objects emptied and set up with their swap files and the shared
 * model before the run; after it, the model against the objects, the
 * counters, every object emptied again, and the summary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "stress.h"

/* The run's shared state (stress.h). */
struct object objs[MAX_DEVICES];
unsigned int nobj;
unsigned int ngeneral;
struct object *fobj;
struct shared *sh;
size_t psz;

/* True when this process has capability @cap in its effective set. */
static bool has_capability(unsigned int cap)
{
	char line[256];
	unsigned long long eff = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = true;
			break;
		}
	fclose(f);
	if (!found)
		return geteuid() == 0;
	return eff >> cap & 1;
}

#define CAP_SYS_MODULE_BIT	16
#define CAP_SYS_ADMIN_BIT	21

void *map_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A process-shared rwlock that lets a waiting writer (DISCARD) in first. */
static int init_rwlock(pthread_rwlock_t *lock)
{
	pthread_rwlockattr_t attr;
	int err;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	err = pthread_rwlock_init(lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	return err;
}

static int init_lock(pthread_mutex_t *lock)
{
	pthread_mutexattr_t attr;
	int err;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	err = pthread_mutex_init(lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return err;
}

/*
 * Compare @n pages of @o at page @pgoff with @want, through a fresh shared
 * read-only mapping; @when names the moment for a report.  Returns the pages
 * that differ, or -1.
 */
static long window_compare(struct object *o, uint64_t pgoff, uint64_t n, const uint8_t *want,
			   uint64_t *bytes, const char *when)
{
	uint8_t *p;
	uint64_t i;
	long bad = 0;

	if (!n)
		return 0;
	p = mmap(NULL, n * psz, PROT_READ, MAP_SHARED, o->fd, (off_t)(pgoff * psz));
	if (p == MAP_FAILED) {
		fprintf(stderr, "toymap-stress: mmap of toymap%u: %s\n", o->index, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!memcmp(p + i * psz, want + i * psz, psz))
			continue;
		if (!bad++)
			fprintf(stderr, "toymap-stress: FAILURE %s: page %" PRIu64 " of toymap%u "
				"differs from the model\n", when, pgoff + i, o->index);
	}
	*bytes += n * psz;
	munmap(p, n * psz);
	return bad;
}

/*
 * Empty object @o: DISCARD all of it, DETACH a file left attached, drop the
 * swap file.  0, or -errno after a message.
 */
static int empty_object(struct object *o)
{
	int err = toymap_discard(o->fd, 0, o->pages * psz);

	if (!err) {
		err = toymap_detach(o->fd);
		if (err == -EINVAL)
			err = 0;
	}
	if (!err)
		err = toymap_set_swap(o->fd, -1);
	if (err)
		fprintf(stderr, "toymap-stress: emptying toymap%u: %s%s\n", o->index,
			strerror(-err), err == -EBUSY ? " (another process maps it)" : "");
	return err;
}

/* Pages read back as zero at the start, right after the objects were emptied. */
static uint64_t setup_zero_pages;

/*
 * A general object: a swap file, the model (zero: the object was just
 * emptied, and must read so) and its locks.
 */
static int setup_general(struct object *o)
{
	uint64_t i, tail, bytes = 0;
	int err;

	o->swap_path = map_shared(PATH_MAX);
	err = o->swap_path ? set_general_swap(o) : -ENOMEM;
	if (err) {
		fprintf(stderr, "toymap-stress: a swap file in %s for toymap%u: %s\n",
			toymap_temp_dir(), o->index, strerror(-err));
		return -1;
	}
	o->window = cfg.pages < o->pages ? cfg.pages : o->pages;
	tail = o->pages - o->window < TAIL_PAGES ? o->pages - o->window : TAIL_PAGES;
	o->tail_start = o->pages - tail;
	o->nmodel = o->window + tail;
	o->model = map_shared(o->nmodel * psz);
	o->locks = map_shared(o->nmodel * sizeof(pthread_rwlock_t));
	o->swap_lock = map_shared(sizeof(pthread_rwlock_t));
	if (!o->model || !o->locks || !o->swap_lock || init_rwlock(o->swap_lock))
		return -1;
	for (i = 0; i < o->nmodel; i++)
		if (init_rwlock(&o->locks[i]))
			return -1;
	/* No stale data: every page of a freshly emptied object reads zero. */
	if (window_compare(o, 0, o->window, o->model, &bytes, "at the start (right after "
			   "DISCARD of the whole object, so all zero)") != 0 ||
	    window_compare(o, o->tail_start, tail, model_page(o, (long)o->window), &bytes,
			   "at the start (right after DISCARD of the whole object, so all "
			   "zero)") != 0)
		return -1;
	setup_zero_pages += bytes / psz;
	return 0;
}

/* The devices in their order: the general ones, then the attach cycle's. */
static int order_devices(unsigned int *order)
{
	unsigned int k, n = 0;
	int attach = cfg.attach_device;

	if (!cfg.ops[OP_FILE])
		attach = -1;
	else if (!cfg.attach_given)
		attach = cfg.ndevices >= 2 ? (int)cfg.devices[cfg.ndevices - 1] : -1;
	if (attach >= 0 && cfg.ndevices < 2) {
		fprintf(stderr, "toymap-stress: --attach-device needs a second device for the "
			"other operations\n");
		return -1;
	}
	for (k = 0; k < cfg.ndevices; k++)
		if ((int)cfg.devices[k] != attach)
			order[n++] = cfg.devices[k];
	if (attach >= 0 && n == cfg.ndevices) {
		fprintf(stderr, "toymap-stress: --attach-device %d is not one of the devices\n",
			attach);
		return -1;
	}
	if (attach >= 0)
		order[n++] = (unsigned int)attach;
	cfg.attach_device = attach;
	return 0;
}

/* Open the devices, empty them, size the windows, create the shared model. */
int setup(void)
{
	unsigned int order[MAX_DEVICES], k;
	size_t hdr;
	int n, err;

	if (!cfg.ndevices) {
		n = toymap_count_devices();
		if (n <= 0) {
			fprintf(stderr, "toymap-stress: no /dev/toymapN: is the module loaded?\n");
			return -1;
		}
		for (k = 0; k < (unsigned int)n && k < MAX_DEVICES; k++)
			cfg.devices[k] = k;
		cfg.ndevices = k;
	}
	if (order_devices(order))
		return -1;
	cfg.pfn_visible = has_capability(CAP_SYS_ADMIN_BIT);
	cfg.can_unload = has_capability(CAP_SYS_MODULE_BIT);
	cfg.large_folios = toymap_param_get_bool("large_folios");
	cfg.has_thp = !access("/sys/kernel/mm/transparent_hugepage", F_OK);
	/* The workers' slots, then the attach cycle's. */
	hdr = sizeof(struct shared) + ((size_t)cfg.procs * cfg.threads + 1) * sizeof(struct slot);
	sh = map_shared(hdr);
	if (!sh || init_lock(&sh->print_lock) || init_lock(&sh->file.lock))
		return -1;
	sh->large_folios = cfg.large_folios == 1;
	for (k = 0; k < cfg.ndevices; k++) {
		struct object *o = &objs[nobj++];

		o->index = order[k];
		o->file_object = (int)o->index == cfg.attach_device;
		o->fd = toymap_open(o->index, O_RDWR);
		if (o->fd < 0) {
			char path[64];

			snprintf(path, sizeof(path), TOYMAP_DEV_PREFIX "%u", o->index);
			toymap_perror_open(path, o->fd);
			return -1;
		}
		err = toymap_get_info(o->fd, &o->before);
		if (err) {
			fprintf(stderr, "toymap-stress: TOYMAP_IOC_INFO on toymap%u: %s\n",
				o->index, strerror(-err));
			return -1;
		}
		o->pages = o->before.object_size / psz;
		if (empty_object(o))
			return -1;
		if (o->file_object) {
			if (o->pages < FILE_PAGES) {
				fprintf(stderr, "toymap-stress: toymap%u has %" PRIu64 " pages: the "
					"attach cycle needs %d\n", o->index, o->pages, FILE_PAGES);
				return -1;
			}
			fobj = o;
		} else if (setup_general(o)) {
			return -1;
		} else {
			ngeneral++;
		}
		/* The counters the vma balance starts from, after our own mappings are gone. */
		err = toymap_get_info(o->fd, &o->before);
		if (err)
			return -1;
	}
	return 0;
}

/* Every field of struct slot is a uint64_t counter: add them up as such. */
#define SLOT_WORDS	(sizeof(struct slot) / sizeof(uint64_t))
_Static_assert(sizeof(struct slot) % sizeof(uint64_t) == 0, "struct slot holds uint64_t only");

void sum_slots(struct totals *t)
{
	unsigned int s, k, nslots = cfg.procs * cfg.threads + 1;
	uint64_t *sum = (uint64_t *)&t->sum;

	memset(t, 0, sizeof(*t));
	for (s = 0; s < nslots; s++) {
		const uint64_t *x = (const uint64_t *)&sh->slots[s];

		for (k = 0; k < SLOT_WORDS; k++)
			sum[k] += x[k];
	}
	for (k = 0; k < NR_OPS; k++)
		t->ops += t->sum.ops[k];
}

/* After the run: the model against the objects, and the vma_open/close balance. */
uint64_t final_checks(uint64_t *checks, uint64_t *bytes)
{
	static const char when[] = "after the run";
	uint64_t failures = 0;
	unsigned int k;

	for (k = 0; k < nobj; k++) {
		struct object *o = &objs[k];
		struct toymap_info after;
		uint64_t opens, closes;
		long bad = 0;

		if (!o->file_object) {
			bad = window_compare(o, 0, o->window, o->model, bytes, when);
			if (bad == 0)
				bad = window_compare(o, o->tail_start, o->pages - o->tail_start,
						     model_page(o, (long)o->window), bytes, when);
			(*checks)++;
		}
		if (bad) {
			fprintf(stderr, "toymap-stress: FAILURE after the run: toymap%u: %ld "
				"page(s) differ from the model\n", o->index, bad);
			failures++;
		}
		if (toymap_get_info(o->fd, &after)) {
			failures++;
			continue;
		}
		opens = after.vma_opens - o->before.vma_opens;
		closes = after.vma_closes - o->before.vma_closes;
		(*checks)++;
		if (opens != closes) {
			fprintf(stderr, "toymap-stress: FAILURE after the run: toymap%u: vma_opens "
				"+%" PRIu64 " but vma_closes +%" PRIu64 " with every mapping gone\n",
				o->index, opens, closes);
			failures++;
		}
		printf("toymap%u (%s): vma_opens +%" PRIu64 " vma_closes +%" PRIu64 " faults +%"
		       PRIu64 " zero_fills +%" PRIu64 " cow +%" PRIu64 " mkwrite +%" PRIu64
		       " sigbus +%" PRIu64 " discarded +%" PRIu64 " file_reads +%" PRIu64
		       " write_backs +%" PRIu64 " swap_outs +%" PRIu64 " swap_ins +%" PRIu64
		       " evictions +%" PRIu64 "; resident %" PRIu64 ", swapped %" PRIu64 "\n",
		       o->index, o->file_object ? "attach cycle" : "general", opens, closes,
		       U64(after.faults - o->before.faults),
		       U64(after.zero_fills - o->before.zero_fills),
		       U64(after.cow_faults - o->before.cow_faults),
		       U64(after.page_mkwrites - o->before.page_mkwrites),
		       U64(after.sigbus_faults - o->before.sigbus_faults),
		       U64(after.discarded_pages - o->before.discarded_pages),
		       U64(after.file_reads - o->before.file_reads),
		       U64(after.write_backs - o->before.write_backs),
		       U64(after.swap_outs - o->before.swap_outs),
		       U64(after.swap_ins - o->before.swap_ins),
		       U64(after.evictions - o->before.evictions),
		       U64(after.resident_pages), U64(after.swapped_pages));
	}
	return failures;
}

/*
 * Empty every object again (DISCARD, DETACH, swap file dropped): after it
 * each must hold no page, no swap copy, no file and no swap file, and the
 * module no page when the run covered every device.
 */
uint64_t cleanup_objects(uint64_t *checks)
{
	struct toymap_info info = { 0 };
	uint64_t failures = 0;
	unsigned int k;

	for (k = 0; k < nobj; k++) {
		struct object *o = &objs[k];

		(*checks)++;
		if (o->swap_path && o->swap_path[0])
			unlink(o->swap_path);
		if (empty_object(o) || toymap_get_info(o->fd, &info)) {
			failures++;
			continue;
		}
		if (info.resident_pages || info.swapped_pages || info.backing_flags) {
			fprintf(stderr, "toymap-stress: FAILURE after emptying toymap%u: resident %"
				PRIu64 " swapped %" PRIu64 " backing_flags %#x, expected none\n",
				o->index, U64(info.resident_pages), U64(info.swapped_pages),
				info.backing_flags);
			failures++;
		}
	}
	if (nobj && (int)cfg.ndevices == toymap_count_devices()) {
		(*checks)++;
		if (info.module_pages) {
			fprintf(stderr, "toymap-stress: FAILURE: the module holds %" PRIu64 " pages "
				"after every object was emptied\n", U64(info.module_pages));
			failures++;
		}
	}
	printf("after emptying every object: the module holds %" PRIu64 " pages, max_pages %"
	       PRIu64 "\n", U64(info.module_pages), U64(info.max_pages));
	return failures;
}

void print_summary(const struct totals *t, uint64_t checks, uint64_t bytes)
{
	const struct slot *x = &t->sum;
	unsigned int k;

	printf("ops:");
	for (k = 0; k < NR_OPS; k++)
		printf(" %s %" PRIu64, op_table[k].name, x->ops[k]);
	printf("\n");
	if (fobj) {
		printf("attach cycle on toymap%u: %" PRIu64 " cycles;", fobj->index, x->cycles);
		for (k = 0; k < NR_FOPS; k++)
			printf(" %s %" PRIu64, fop_table[k].name, x->fops[k]);
		printf("\n");
	}
	printf("evict: %" PRIu64 " pages dropped, %" PRIu64 " written back, %" PRIu64
	       " swapped out, %" PRIu64 " kept dirty; %" PRIu64 " writes raced %" PRIu64
	       " EVICTs of their page\n", x->evicted[EVICT_DROPPED], x->evicted[EVICT_WRITTEN],
	       x->evicted[EVICT_SWAPPED], x->evicted[EVICT_KEPT], x->evict_races, x->race_evicts);
	printf("swap files: %" PRIu64 " dropped and replaced, %" PRIu64 " drops refused with "
	       "EBUSY (swapped pages)\n", x->swap_drops, x->swap_busy);
	printf("checks: %" PRIu64 " (%" PRIu64 " bytes compared with the model, %" PRIu64
	       " expected SIGBUS, %" PRIu64 " expected SIGSEGV, %" PRIu64 " expected errors, %"
	       PRIu64 " pagemap entries, %" PRIu64 " present ones with the PFN %s)\n", checks,
	       bytes, x->sigbus, x->sigsegv, x->errnos, x->pagemaps, x->pfns,
	       cfg.pfn_visible ? "shown (CAP_SYS_ADMIN)" : "hidden (no CAP_SYS_ADMIN)");
	printf("lookups: %" PRIu64 " TOYMAP_IOC_LOOKUP answers checked (kind, object, page, and\n"
	       "  with PFNs shown, one identity per frame)\n", x->lookups);
	printf("no stale data: %" PRIu64 " pages read zero right after DISCARD or DETACH, %" PRIu64
	       " at the start; backing files compared %" PRIu64 " times; %" PRIu64 " file changes "
	       "a later touch had to see; %" PRIu64 " PTEs gone (or COW copies kept) after "
	       "EVICT\n", x->zero_pages, setup_zero_pages, x->file_checks, x->pokes_seen,
	       x->unmapped);
	printf("private COW first writes: %" PRIu64 ", fork children: %" PRIu64 ", write-vs-discard "
	       "races: %" PRIu64 " (%" PRIu64 " shared with the cut inside the page)\n", x->cows,
	       x->children, x->races, x->race_cuts);
	if (cfg.fail_alloc)
		printf("injected: %" PRIu64 " ENOMEM, %" PRIu64 " EFAULT, %" PRIu64 " EAGAIN, %"
		       PRIu64 " short, %" PRIu64 " siginfo lost (allocations failed at %u%%)\n",
		       x->inj_enomem, x->inj_efault, x->inj_eagain, x->inj_short, x->inj_siginfo,
		       cfg.fail_alloc);
}
