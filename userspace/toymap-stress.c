// SPDX-License-Identifier: GPL-2.0
/*
 * toymap-stress - a seeded fuzzer of the toymap objects, checked against a
 * shadow model.
 *
 *   toymap-stress [--seed S] [--seconds T] [--procs P] [--threads N]
 *                 [--pages K] [--ops LIST] [--devices LIST] [--verbose]
 *
 * P processes of N threads each do random operations on /dev/toymapN:
 * mmap (shared or private, at random page offsets, some reaching past the
 * end of the object, where a touch must raise SIGBUS), munmap, mprotect,
 * mremap (shrink and move work, growth fails with EFAULT), madvise, fork,
 * reads and writes through the mapping and through GUP (process_vm_readv/
 * writev), a write racing a DISCARD of its page, msync, the DISCARD and INFO
 * ioctls, and attempts to unload the module (EBUSY while a device is open).
 *
 * The shadow model lives in MAP_SHARED memory created before the first fork,
 * so every process sees it: the expected bytes of the first K pages (the
 * "window") and of the last TAIL_PAGES pages of every object, and one
 * process-shared rwlock per page.  A shared write updates the object and the
 * model with the page's lock held exclusive; DISCARD takes every lock of its
 * range exclusive, punches the hole and zeroes the model; every read of a
 * shared page, and of a private page this mapping has not written, is
 * compared with the model with the lock held shared.  A private mapping
 * keeps, in the process's own memory (so a fork copies it, as the kernel
 * copies the COW pages), a shadow of each page it has written: its COW copy,
 * which DISCARD does not touch and MADV_DONTNEED drops.  MAP_PRIVATE does not
 * snapshot: a page the mapping has not written reads whatever the object
 * holds now.  /proc/self/pagemap must agree: a COW copy is an anonymous page,
 * every other page of the mapping the object's file page.
 *
 * Each thread draws its operations from its own PRNG, seeded from (seed,
 * process, thread), so --seed S replays the same streams of operations (not
 * their interleaving).  A failure prints the seed, the operation number and
 * the last LOG_ENTRIES operations of the failing thread.  After the run the
 * objects' windows are compared with the model, each object's vma_opens and
 * vma_closes must have grown by the same amount, and no process of the run
 * may be left.  Exit status: 0 on PASS, 1 on FAIL, 2 on a usage or setup
 * error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "libtoymap.h"

#define MAX_DEVICES	64
#define MAX_PROCS	64
#define MAX_THREADS	64
#define MAX_MAPS	12	/* mappings one thread holds at most */
#define MAX_MAP_PAGES	48	/* pages of one mapping at most */
#define TAIL_PAGES	8	/* modelled pages at the end of each object */
#define BEYOND_PAGES	4	/* how far a mapping may reach past the end */
#define MAX_ACCESS	64	/* bytes of one small read or write */
#define MAX_DISCARD	32	/* pages of one small discard */
#define CHILD_OPS	12	/* a fork child does 2..CHILD_OPS operations */
#define LOG_ENTRIES	50	/* operations kept per thread for the report */
#define LOG_LEN		200
/* INFO may see module_pages above max_pages by the faults in flight. */
#define MODULE_PAGES_SLACK	256

#define EXIT_PASS	0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* ------------------------------------------------------------ operations */

enum op_kind {
	OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MREMAP, OP_MADVISE, OP_FORK,
	OP_READ, OP_WRITE, OP_GUP, OP_RACE, OP_MSYNC, OP_DISCARD, OP_INFO, OP_UNLOAD,
	NR_OPS
};

static const struct {
	const char *name;
	unsigned int weight;	/* relative frequency */
	bool needs_map;		/* works on one of the thread's mappings */
} op_table[NR_OPS] = {
	[OP_MMAP]	= { "mmap",	80, false },
	[OP_MUNMAP]	= { "munmap",	45, true },
	[OP_MPROTECT]	= { "mprotect",	45, true },
	[OP_MREMAP]	= { "mremap",	40, true },
	[OP_MADVISE]	= { "madvise",	45, true },
	[OP_FORK]	= { "fork",	6, false },
	[OP_READ]	= { "read",	260, true },
	[OP_WRITE]	= { "write",	260, true },
	[OP_GUP]	= { "gup",	40, true },
	[OP_RACE]	= { "race",	15, true },
	[OP_MSYNC]	= { "msync",	25, true },
	[OP_DISCARD]	= { "discard",	30, false },
	[OP_INFO]	= { "info",	20, false },
	[OP_UNLOAD]	= { "unload",	3, false },
};

/* -------------------------------------------------- state of the whole run */

/* The command line, one copy per process (fork copies it). */
static struct config {
	uint64_t seed;
	unsigned int seconds;
	unsigned int procs;
	unsigned int threads;
	unsigned int pages;		/* the window: modelled pages at the start */
	bool ops[NR_OPS];		/* enabled operations */
	unsigned int devices[MAX_DEVICES];
	unsigned int ndevices;
	bool verbose;
	char cmdline[512];		/* for the replay hint */
} cfg;

/*
 * Counters of one thread (and of the fork children it starts), in shared
 * memory so the first process can sum them.  Updated with atomic adds: a
 * thread and its fork child may add at the same time.
 */
struct slot {
	uint64_t ops[NR_OPS];
	uint64_t checks;	/* comparisons and expectations verified */
	uint64_t bytes;		/* bytes compared with the model */
	uint64_t sigbus;	/* expected SIGBUS seen (past the end) */
	uint64_t sigsegv;	/* expected SIGSEGV seen (protection) */
	uint64_t errnos;	/* expected errors seen */
	uint64_t cows;		/* first private writes to a page (COW) */
	uint64_t pagemaps;	/* pagemap entries checked */
	uint64_t children;	/* fork children that ran */
	uint64_t races;		/* write-vs-DISCARD races run */
	uint64_t race_cuts;	/* ... shared, with DISCARD inside the write */
	uint64_t msync_einval;	/* msync(MS_SYNC) on a shared mapping: EINVAL */
	uint64_t failures;
};

/* The part of the run every process shares (MAP_SHARED, created first). */
struct shared {
	pthread_mutex_t print_lock;	/* protects: reports on stderr/stdout */
	int stop;			/* set at the first failure */
	struct slot slots[];		/* procs * threads */
};

/*
 * struct object - one device and its shadow model
 * @index:	N of /dev/toymapN
 * @pages:	pages in the object (its size)
 * @window:	modelled pages at the start: [0, window)
 * @tail_start:	first modelled page at the end: [tail_start, pages)
 * @nmodel:	modelled pages: window + tail
 * @model:	shared: the expected content of the modelled pages
 * @locks:	shared: one rwlock per modelled page; protects that page of
 *		@model and the object's page.  Taken exclusive to change the
 *		object (shared writes, DISCARD), shared to read it (reads, the
 *		first write of a private page, which copies it): concurrent
 *		faults on one page still happen.
 * @fd:		this process's O_RDWR descriptor
 * @fd_ro:	this process's O_RDONLY descriptor
 * @before:	TOYMAP_IOC_INFO before the run
 */
struct object {
	unsigned int index;
	uint64_t pages;
	uint64_t window;
	uint64_t tail_start;
	uint64_t nmodel;
	uint8_t *model;
	pthread_rwlock_t *locks;
	int fd;
	int fd_ro;
	struct toymap_info before;
};

static struct object objs[MAX_DEVICES];
static unsigned int nobj;
static struct shared *sh;
static size_t psz;

/* ----------------------------------------------------- a thread's mappings */

/* One page of a mapping: its protection and, if private and written, its COW copy. */
struct page_state {
	uint8_t prot;
	bool cow;
	uint8_t *shadow;	/* psz bytes: the private copy's expected content */
};

/*
 * struct mapping - a mapping this thread made, and what the model expects of it
 * @split:	mprotect of a part may have split it into several VMAs: a move
 *		with mremap (which needs one VMA) is not tried
 * @ro_fd:	mapped from an O_RDONLY descriptor (shared: never writable)
 */
struct mapping {
	bool used;
	uint8_t *addr;
	struct object *obj;
	uint64_t pgoff;
	size_t pages;
	bool shared;
	bool ro_fd;
	bool split;
	struct page_state *ps;
};

/* One thread of a worker process (or the fork child it became). */
struct worker {
	unsigned int proc;
	unsigned int thread;
	bool child;			/* this is a fork child */
	uint64_t rng;
	uint64_t opno;			/* operations started by the thread */
	uint64_t child_opno;		/* operations of the fork child */
	double deadline;
	bool failed;
	struct slot *slot;
	struct mapping maps[MAX_MAPS];
	struct toymap_info seen[MAX_DEVICES];	/* last INFO per object */
	uint8_t *buf;			/* psz bytes */
	uint8_t *buf2;			/* psz bytes */
	uint64_t logged;		/* log entries ever written */
	char log[LOG_ENTRIES][LOG_LEN];
};

/* The UAPI's __u64 is unsigned long long: print it with PRIu64 as uint64_t. */
#define U64(x) ((uint64_t)(x))

#define STAT_ADD(w, field, n) __atomic_fetch_add(&(w)->slot->field, (n), __ATOMIC_RELAXED)

/* ------------------------------------------------------------------ utils */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* splitmix64: the thread's op stream depends on this state only. */
static uint64_t rnd64(struct worker *w)
{
	w->rng += 0x9e3779b97f4a7c15ULL;
	return mix64(w->rng);
}

/* A number in [0, n), n > 0. */
static uint64_t rnd(struct worker *w, uint64_t n)
{
	return rnd64(w) % n;
}

static bool stopping(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_RELAXED);
}

static const char *prot_name(int prot)
{
	if (prot & PROT_WRITE)
		return "rw";
	return prot & PROT_READ ? "r" : "none";
}

/* --------------------------------------------------------- the op log */

static char *log_entry(struct worker *w)
{
	return w->log[(w->logged - 1) % LOG_ENTRIES];
}

/* Start the log entry of a new operation. */
static void __attribute__((format(printf, 2, 3))) log_op(struct worker *w, const char *fmt, ...)
{
	char *e;
	int n;
	va_list ap;

	w->logged++;
	e = log_entry(w);
	if (w->child)
		n = snprintf(e, LOG_LEN, "#%" PRIu64 " child.%" PRIu64 " ", w->opno, w->child_opno);
	else
		n = snprintf(e, LOG_LEN, "#%" PRIu64 " ", w->opno);
	va_start(ap, fmt);
	vsnprintf(e + n, LOG_LEN - n, fmt, ap);
	va_end(ap);
}

/* Append to the current log entry (the outcome). */
static void __attribute__((format(printf, 2, 3))) log_more(struct worker *w, const char *fmt, ...)
{
	char *e = log_entry(w);
	size_t n = strlen(e);
	va_list ap;

	if (n + 1 >= LOG_LEN)
		return;
	va_start(ap, fmt);
	vsnprintf(e + n, LOG_LEN - n, fmt, ap);
	va_end(ap);
}

/* A robust mutex: a process that died printing does not block the report. */
static void print_lock(void)
{
	if (pthread_mutex_lock(&sh->print_lock) == EOWNERDEAD)
		pthread_mutex_consistent(&sh->print_lock);
}

static void print_unlock(void)
{
	pthread_mutex_unlock(&sh->print_lock);
}

static const char *who(const struct worker *w, char *buf, size_t len)
{
	snprintf(buf, len, "proc %u thread %u%s (pid %d)", w->proc, w->thread,
		 w->child ? " fork child" : "", (int)getpid());
	return buf;
}

/*
 * Report a failure with the replay information and the thread's last
 * operations, and make every thread stop.  print_lock is the innermost lock:
 * fail() may run with page locks held, nothing locks a page under it.
 */
static void __attribute__((format(printf, 2, 3))) fail(struct worker *w, const char *fmt, ...)
{
	char msg[1024], name[96];
	uint64_t i, first;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->failed = true;
	STAT_ADD(w, failures, 1);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);

	first = w->logged > LOG_ENTRIES ? w->logged - LOG_ENTRIES : 0;
	print_lock();
	fprintf(stderr, "toymap-stress: FAILURE seed=%" PRIu64 " %s op #%" PRIu64 "%s: %s\n",
		cfg.seed, who(w, name, sizeof(name)), w->opno, w->child ? " (in the fork child)" : "",
		msg);
	fprintf(stderr, "  replay the op streams: %s\n", cfg.cmdline);
	fprintf(stderr, "  the last %" PRIu64 " operations of this thread, oldest first:\n",
		w->logged - first);
	for (i = first; i < w->logged; i++)
		fprintf(stderr, "    %s\n", w->log[i % LOG_ENTRIES]);
	fflush(stderr);
	print_unlock();
}

/* ------------------------------------------------------------ the model */

/* The model page of object page @pgoff, or -1 when it is not modelled. */
static long model_index(const struct object *o, uint64_t pgoff)
{
	if (pgoff < o->window)
		return (long)pgoff;
	if (pgoff >= o->tail_start && pgoff < o->pages)
		return (long)(o->window + pgoff - o->tail_start);
	return -1;
}

static uint8_t *model_page(const struct object *o, long mi)
{
	return o->model + (size_t)mi * psz;
}

/*
 * Lock model page @mi, @excl to change it.  Pages are locked one at a time,
 * or in ascending order by one caller (DISCARD, a populating mmap): no cycle.
 */
static int page_lock(struct worker *w, struct object *o, long mi, bool excl)
{
	int err = excl ? pthread_rwlock_wrlock(&o->locks[mi]) : pthread_rwlock_rdlock(&o->locks[mi]);

	if (err) {
		fail(w, "locking model page %ld of toymap%u: %s", mi, o->index, strerror(err));
		return -1;
	}
	return 0;
}

static void page_unlock(struct object *o, long mi)
{
	pthread_rwlock_unlock(&o->locks[mi]);
}

/* Lock the model pages [first, first + n) in ascending order. */
static int range_lock(struct worker *w, struct object *o, long first, long n, bool excl)
{
	long i;

	for (i = 0; i < n; i++) {
		if (page_lock(w, o, first + i, excl)) {
			while (i--)
				page_unlock(o, first + i);
			return -1;
		}
	}
	return 0;
}

static void range_unlock(struct object *o, long first, long n)
{
	long i;

	for (i = n; i-- > 0;)
		page_unlock(o, first + i);
}

/* --------------------------------------------- touching memory, guarded */

static __thread sigjmp_buf fault_env;
static __thread volatile sig_atomic_t fault_armed;
static __thread void *volatile fault_addr;
static __thread volatile int fault_code;

/*
 * SIGBUS and SIGSEGV: inside guarded_copy() jump back with the signal;
 * anywhere else they are a bug of this program: die of it.
 */
static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!fault_armed) {
		signal(sig, SIG_DFL);
		return;		/* the access faults again, by default */
	}
	fault_armed = 0;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(fault_env, sig);
}

/* Copy @len bytes; 0, or the signal (SIGBUS/SIGSEGV) the first access raised. */
static int __attribute__((noinline)) guarded_copy(volatile uint8_t *dst,
						  const volatile uint8_t *src, size_t len)
{
	size_t i;
	int sig;

	sig = sigsetjmp(fault_env, 1);
	if (sig)
		return sig;
	fault_armed = 1;
	for (i = 0; i < len; i++)
		dst[i] = src[i];
	fault_armed = 0;
	return 0;
}

/*
 * guarded_copy() in chunks of 32 bytes, yielding between chunks while
 * *@until is 0: a write another thread's DISCARD can land in the middle of.
 * *@seen is set to the first byte stored after *@until was seen set (@len if
 * never): those stores happen after the DISCARD returned.
 */
static int __attribute__((noinline)) guarded_copy_paced(volatile uint8_t *dst,
							const volatile uint8_t *src, size_t len,
							const int *until, size_t *seen)
{
	size_t i;
	int sig;

	*seen = len;
	sig = sigsetjmp(fault_env, 1);
	if (sig)
		return sig;
	fault_armed = 1;
	for (i = 0; i < len; i++) {
		dst[i] = src[i];
		if (i % 32 != 31 || *seen != len)
			continue;
		if (__atomic_load_n(until, __ATOMIC_ACQUIRE))
			*seen = i + 1;
		else
			sched_yield();
	}
	fault_armed = 0;
	return 0;
}

/* ---------------------------------------------------------- mappings */

static struct mapping *pick_map(struct worker *w)
{
	unsigned int i, n = 0, k;

	for (i = 0; i < MAX_MAPS; i++)
		n += w->maps[i].used;
	if (!n)
		return NULL;
	k = (unsigned int)rnd(w, n);
	for (i = 0; i < MAX_MAPS; i++)
		if (w->maps[i].used && !k--)
			return &w->maps[i];
	return NULL;
}

static struct mapping *free_map(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (!w->maps[i].used)
			return &w->maps[i];
	return NULL;
}

static unsigned int map_id(const struct worker *w, const struct mapping *m)
{
	return (unsigned int)(m - w->maps);
}

/* "map3 toymap0 S rw pgoff 12+9" for the log */
static const char *map_desc(const struct worker *w, const struct mapping *m, char *buf, size_t len)
{
	snprintf(buf, len, "map%u[toymap%u %s pgoff %" PRIu64 "+%zu%s]", map_id(w, m),
		 m->obj->index, m->shared ? "shared" : "private", m->pgoff, m->pages,
		 m->split ? " split" : "");
	return buf;
}

static void drop_shadow(struct page_state *ps)
{
	free(ps->shadow);
	ps->shadow = NULL;
	ps->cow = false;
}

static void drop_pages(struct mapping *m, size_t first, size_t n)
{
	size_t i;

	for (i = first; i < first + n; i++)
		drop_shadow(&m->ps[i]);
}

static void forget_map(struct mapping *m)
{
	drop_pages(m, 0, m->pages);
	free(m->ps);
	memset(m, 0, sizeof(*m));
}

/* A random sub-range [*first, *first + *n) of @m's pages; whole with chance 1/@whole. */
static void pick_range(struct worker *w, const struct mapping *m, unsigned int whole,
		       size_t *first, size_t *n)
{
	if (m->pages == 1 || !rnd(w, whole)) {
		*first = 0;
		*n = m->pages;
		return;
	}
	*first = rnd(w, m->pages);
	*n = 1 + rnd(w, m->pages - *first);
}

/* ------------------------------------------------------- access checks */

/* What touching page @i of @m must do: 0, SIGSEGV (protection) or SIGBUS (past the end). */
static int expected_signal(const struct mapping *m, size_t i, bool write)
{
	int prot = m->ps[i].prot;

	if (!(prot & PROT_READ) || (write && !(prot & PROT_WRITE)))
		return SIGSEGV;
	if (m->pgoff + i >= m->obj->pages)
		return SIGBUS;
	return 0;
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case 0:
		return "no signal";
	case SIGBUS:
		return "SIGBUS";
	case SIGSEGV:
		return "SIGSEGV";
	default:
		return "?";
	}
}

/* The page must take the lock for an access: modelled, and not a COW copy. */
static bool needs_lock(const struct mapping *m, size_t i, long mi)
{
	return mi >= 0 && (m->shared || !m->ps[i].cow);
}

/* The bytes page @i of @m must hold (call with its lock held if needs_lock). */
static const uint8_t *expected_page(const struct mapping *m, size_t i, long mi)
{
	if (!m->shared && m->ps[i].cow)
		return m->ps[i].shadow;
	return model_page(m->obj, mi);
}

/* Check the signal an access raised against the expected one. */
static int check_signal(struct worker *w, const struct mapping *m, size_t i, uint8_t *addr,
			int got, int want, const char *what)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(psz - 1);
	char desc[128];

	STAT_ADD(w, checks, 1);
	if (got != want) {
		fail(w, "%s of page %zu (object page %" PRIu64 ") of %s at %p: %s, expected %s",
		     what, i, m->pgoff + i, map_desc(w, m, desc, sizeof(desc)), (void *)addr,
		     sig_name(got), sig_name(want));
		return -1;
	}
	if (!got)
		return 0;
	if (((uintptr_t)fault_addr & ~(uintptr_t)(psz - 1)) != page) {
		fail(w, "%s at %p: %s reported si_addr %p, not in the page touched", what,
		     (void *)addr, sig_name(got), fault_addr);
		return -1;
	}
	if ((got == SIGBUS && fault_code != BUS_ADRERR) ||
	    (got == SIGSEGV && fault_code != SEGV_ACCERR)) {
		fail(w, "%s at %p: %s with si_code %d, expected %s", what, (void *)addr,
		     sig_name(got), fault_code, got == SIGBUS ? "BUS_ADRERR" : "SEGV_ACCERR");
		return -1;
	}
	if (got == SIGBUS)
		STAT_ADD(w, sigbus, 1);
	else
		STAT_ADD(w, sigsegv, 1);
	log_more(w, " -> %s as expected", sig_name(got));
	return 0;
}

/*
 * What pagemap must say of a page the model knows: a private COW copy is an
 * anonymous page, every other page of a toymap mapping is the object's (file)
 * page.  Called with the page's lock held when it needs one.
 */
static int check_pagemap(struct worker *w, const struct mapping *m, size_t i, uint8_t *addr)
{
	bool want_anon = !m->shared && m->ps[i].cow;
	struct toymap_pte pte;
	char desc[128];
	int err;

	err = toymap_pagemap(addr, &pte);
	if (err) {
		fail(w, "reading /proc/self/pagemap: %s", strerror(-err));
		return -1;
	}
	STAT_ADD(w, pagemaps, 1);
	if (!pte.present || pte.file != want_anon)
		return 0;
	fail(w, "pagemap of page %zu of %s at %p: %s page, expected %s", i,
	     map_desc(w, m, desc, sizeof(desc)), (void *)addr, pte.file ? "file" : "anonymous",
	     want_anon ? "an anonymous COW copy" : "the object's file page");
	return -1;
}

/* Report bytes that differ from the model, with what the kernel says of the page. */
static void report_mismatch(struct worker *w, const struct mapping *m, size_t i, size_t off,
			    const uint8_t *got, const uint8_t *want, size_t len, const char *what)
{
	uint8_t *addr = m->addr + i * psz + off;
	char desc[128], frame[96];
	size_t k, bad = 0, first = len;

	for (k = 0; k < len; k++) {
		if (got[k] != want[k]) {
			bad++;
			if (first == len)
				first = k;
		}
	}
	toymap_describe_frame(addr, frame, sizeof(frame));
	fail(w, "%s of page %zu (object page %" PRIu64 ") of %s at %p+%zu: %zu of %zu bytes "
	     "differ from the model, first at +%zu: read 0x%02x, expected 0x%02x "
	     "(page is %s; model says %s; pagemap: %s)", what, i, m->pgoff + i,
	     map_desc(w, m, desc, sizeof(desc)), (void *)(m->addr + i * psz), off, bad, len,
	     off + first, got[first], want[first], prot_name(m->ps[i].prot),
	     m->shared ? "shared: the object's bytes" :
	     m->ps[i].cow ? "private, written here: its COW copy" :
	     "private, not written here: the object's bytes", frame);
}

/* Compare @len bytes read at @off of page @i with what the model expects. */
static int compare(struct worker *w, const struct mapping *m, size_t i, long mi, size_t off,
		   const uint8_t *got, size_t len, const char *what)
{
	const uint8_t *want = expected_page(m, i, mi) + off;

	STAT_ADD(w, checks, 1);
	STAT_ADD(w, bytes, len);
	if (!memcmp(got, want, len))
		return 0;
	report_mismatch(w, m, i, off, got, want, len, what);
	return -1;
}

/* A page and a byte range of it, for the access operations. */
struct target {
	struct mapping *m;
	size_t page;
	long mi;		/* model page, -1 past the end */
	size_t off;
	size_t len;
	uint8_t *addr;
};

static void pick_target(struct worker *w, struct mapping *m, struct target *t)
{
	t->m = m;
	t->page = rnd(w, m->pages);
	t->mi = model_index(m->obj, m->pgoff + t->page);
	if (!rnd(w, 6)) {
		t->off = 0;
		t->len = psz;
	} else {
		t->len = 1 + rnd(w, MAX_ACCESS);
		t->off = rnd(w, psz - t->len + 1);
	}
	t->addr = m->addr + t->page * psz + t->off;
}

/* ---------------------------------------------------------- read, write */

/* Read @t through the mapping and check it (under the page's lock). */
static int check_read(struct worker *w, struct target *t)
{
	struct mapping *m = t->m;
	bool locked = needs_lock(m, t->page, t->mi);
	int want = expected_signal(m, t->page, false);
	int sig, ret = 0;

	if (locked && page_lock(w, m->obj, t->mi, false))
		return -1;
	sig = guarded_copy(w->buf, t->addr, t->len);
	if (check_signal(w, m, t->page, t->addr, sig, want, "read"))
		ret = -1;
	else if (!sig && compare(w, m, t->page, t->mi, t->off, w->buf, t->len, "read"))
		ret = -1;
	else if (!sig && !rnd(w, 4))
		ret = check_pagemap(w, m, t->page, t->addr);
	if (locked)
		page_unlock(m->obj, t->mi);
	return ret;
}

static int op_read(struct worker *w, struct mapping *m)
{
	struct target t;
	char desc[128];

	pick_target(w, m, &t);
	log_op(w, "read %s page %zu +%zu len %zu", map_desc(w, m, desc, sizeof(desc)),
	       t.page, t.off, t.len);
	return check_read(w, &t);
}

/* A private page's first write: its COW copy starts as the object's page. */
static uint8_t *new_shadow(struct worker *w, const struct mapping *m, long mi)
{
	uint8_t *shadow = malloc(psz);

	if (!shadow) {
		fail(w, "out of memory for a COW shadow");
		return NULL;
	}
	memcpy(shadow, model_page(m->obj, mi), psz);
	return shadow;
}

/* Record in the model that @len bytes of @src were written at @t. */
static void model_write(struct worker *w, struct target *t, const uint8_t *src, uint8_t *shadow)
{
	struct mapping *m = t->m;
	struct page_state *ps = &m->ps[t->page];

	if (m->shared) {
		memcpy(model_page(m->obj, t->mi) + t->off, src, t->len);
		return;
	}
	if (!ps->cow) {
		ps->shadow = shadow;
		ps->cow = true;
		STAT_ADD(w, cows, 1);
		log_more(w, " (cow)");
	}
	memcpy(ps->shadow + t->off, src, t->len);
}

/*
 * Write @t, through the mapping or (@gup) with process_vm_writev, and
 * update the model; on a modelled page both happen under the page's lock.
 */
static int do_write(struct worker *w, struct target *t, bool gup)
{
	struct mapping *m = t->m;
	bool locked = needs_lock(m, t->page, t->mi);
	int want = expected_signal(m, t->page, true);
	uint8_t *shadow = NULL;
	size_t k;
	int sig, ret = 0;

	for (k = 0; k < t->len; k++)
		w->buf[k] = (uint8_t)rnd64(w);
	/* A private write only copies the object's page: a shared lock is enough. */
	if (locked && page_lock(w, m->obj, t->mi, m->shared))
		return -1;
	if (!want && !m->shared && !m->ps[t->page].cow) {
		shadow = new_shadow(w, m, t->mi);
		if (!shadow) {
			ret = -1;
			goto out;
		}
	}
	if (gup) {
		struct iovec local = { w->buf, t->len }, remote = { t->addr, t->len };
		ssize_t n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);

		int err = n < 0 ? errno : 0;

		STAT_ADD(w, checks, 1);
		if (want ? !(n < 0 && err == EFAULT) : n != (ssize_t)t->len) {
			fail(w, "process_vm_writev of %zu bytes at %p: %zd (%s), expected %s",
			     t->len, (void *)t->addr, n, n < 0 ? strerror(err) : "bytes",
			     want ? "EFAULT" : "success");
			ret = -1;
			goto out;
		}
		sig = want;
		if (sig) {
			STAT_ADD(w, errnos, 1);
			log_more(w, " -> EFAULT as expected");
		}
	} else {
		sig = guarded_copy(t->addr, w->buf, t->len);
		if (check_signal(w, m, t->page, t->addr, sig, want, "write")) {
			ret = -1;
			goto out;
		}
	}
	if (sig)
		goto out;
	model_write(w, t, w->buf, shadow);
	shadow = NULL;
	/* Read the whole page back now and then: a bad COW copy shows at once. */
	if (!rnd(w, 4)) {
		sig = guarded_copy(w->buf2, m->addr + t->page * psz, psz);
		if (check_signal(w, m, t->page, t->addr, sig, 0, "read back") ||
		    compare(w, m, t->page, t->mi, 0, w->buf2, psz, "read back after a write") ||
		    check_pagemap(w, m, t->page, t->addr))
			ret = -1;
	}
out:
	free(shadow);
	if (locked)
		page_unlock(m->obj, t->mi);
	return ret;
}

static int op_write(struct worker *w, struct mapping *m)
{
	struct target t;
	char desc[128];

	pick_target(w, m, &t);
	log_op(w, "write %s page %zu +%zu len %zu", map_desc(w, m, desc, sizeof(desc)),
	       t.page, t.off, t.len);
	return do_write(w, &t, false);
}

/* Read through GUP (process_vm_readv on ourselves), checked like a read. */
static int gup_read(struct worker *w, struct target *t)
{
	struct mapping *m = t->m;
	bool locked = needs_lock(m, t->page, t->mi);
	bool want_fault = expected_signal(m, t->page, false) != 0;
	struct iovec local = { w->buf, t->len }, remote = { t->addr, t->len };
	ssize_t n;
	int ret = 0;

	if (locked && page_lock(w, m->obj, t->mi, false))
		return -1;
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	STAT_ADD(w, checks, 1);
	if (want_fault && n < 0 && errno == EFAULT) {
		STAT_ADD(w, errnos, 1);
		log_more(w, " -> EFAULT as expected");
	} else if (want_fault || n != (ssize_t)t->len) {
		fail(w, "process_vm_readv of %zu bytes at %p: %zd (%s), expected %s", t->len,
		     (void *)t->addr, n, n < 0 ? strerror(errno) : "bytes", want_fault ?
		     "EFAULT" : "success");
		ret = -1;
	} else {
		ret = compare(w, m, t->page, t->mi, t->off, w->buf, t->len, "process_vm_readv");
	}
	if (locked)
		page_unlock(m->obj, t->mi);
	return ret;
}

static int op_gup(struct worker *w, struct mapping *m)
{
	bool write = rnd(w, 2);
	struct target t;
	char desc[128];

	pick_target(w, m, &t);
	log_op(w, "gup %s %s page %zu +%zu len %zu", write ? "write" : "read",
	       map_desc(w, m, desc, sizeof(desc)), t.page, t.off, t.len);
	return write ? do_write(w, &t, true) : gup_read(w, &t);
}

/* ------------------------------------------------ a write racing DISCARD */

/* The other side of op_race(): DISCARD one page as soon as told to. */
struct racer {
	const struct object *obj;
	uint64_t pgoff;
	int go;			/* set when the write starts */
	int done;		/* set when the DISCARD returned */
	int err;		/* toymap_discard()'s result */
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	unsigned int spins = 0;

	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		if (++spins % 64 == 0)
			sched_yield();
	r->err = toymap_discard(r->obj->fd, r->pgoff * psz, psz);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * After a shared write of @b over the whole page raced a DISCARD of it, the
 * object's page must be zero up to a cut and @b from it: the stores before
 * the cut went to the old page (freed), the ones after it to the new page.
 * Old bytes are stale data; a zero after a stored byte is a lost write.
 * Returns the cut, or -1.
 */
static long race_cut(const uint8_t *got, const uint8_t *b)
{
	size_t cut = psz, k;

	while (cut > 0 && got[cut - 1] == b[cut - 1])
		cut--;
	for (k = 0; k < cut; k++)
		if (got[k])
			return -1;
	return (long)cut;
}

/* The private side: the object page must be zero, the private page whole. */
static int race_check_private(struct worker *w, struct mapping *m, size_t i, const uint8_t *obj,
			      const uint8_t *priv, const uint8_t *old, size_t half)
{
	size_t k;
	bool was_old = true, was_zero = true;

	for (k = 0; k < psz; k++) {
		if (obj[k]) {
			fail(w, "race: after DISCARD, byte +%zu of object page %" PRIu64 " is 0x%02x, "
			     "not zero", k, m->pgoff + i, obj[k]);
			return -1;
		}
	}
	if (memcmp(priv, w->buf, half)) {
		fail(w, "race: the private write to page %zu of map%u is not in its page", i,
		     map_id(w, m));
		return -1;
	}
	/* The rest is the copy: all old (COW before DISCARD) or all zero (after). */
	for (k = half; k < psz; k++) {
		was_old &= priv[k] == old[k];
		was_zero &= !priv[k];
	}
	/* A page copied before the race keeps its copy: DISCARD leaves COW pages alone. */
	if (!was_old && (m->ps[i].cow || !was_zero)) {
		fail(w, "race: the private page %zu of map%u (%s before the race) is %s", i,
		     map_id(w, m), m->ps[i].cow ? "a COW copy" : "not copied yet",
		     m->ps[i].cow ? "not its copy any more" :
		     "neither a copy of the page before the DISCARD nor of a zero page");
		return -1;
	}
	return 0;
}

/* Fill @buf with @n random non-zero bytes. */
static void fill_nonzero(struct worker *w, uint8_t *buf, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		buf[k] = (uint8_t)(1 + rnd(w, 255));
}

/* Start the racer, write @len bytes of w->buf at @page while it discards, join. */
static int race_run(struct worker *w, struct racer *r, uint8_t *page, size_t len, size_t *seen)
{
	pthread_t tid;
	int sig, err;

	err = pthread_create(&tid, NULL, racer_main, r);
	if (err) {
		fail(w, "race: pthread_create: %s", strerror(err));
		return -1;
	}
	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
	sig = guarded_copy_paced(page, w->buf, len, &r->done, seen);
	pthread_join(tid, NULL);
	STAT_ADD(w, races, 1);
	STAT_ADD(w, checks, 1);
	if (sig || r->err) {
		fail(w, "race: the write to object page %" PRIu64 ": %s; the DISCARD: %s", r->pgoff,
		     sig_name(sig), r->err ? strerror(-r->err) : "done");
		return -1;
	}
	return 0;
}

/* The shared side: the cut, and the racing mapping shows the object's page. */
static int race_check_shared(struct worker *w, struct mapping *m, size_t i, long mi,
			     const uint8_t *obj, const uint8_t *view, size_t seen)
{
	long cut = race_cut(obj, w->buf);

	if (cut < 0) {
		report_mismatch(w, m, i, 0, obj, w->buf, psz, "race: after a write raced DISCARD, "
				"the object page holds bytes that are neither zero nor the write's; "
				"the page vs the write (expected)");
		return -1;
	}
	log_more(w, " -> cut at +%ld, discard seen done at +%zu", cut, seen);
	if (cut > (long)seen) {
		fail(w, "race: page %zu of map%u: the bytes written from +%zu on, after the DISCARD "
		     "had returned, are lost (zero up to +%ld): a write went to the freed page", i,
		     map_id(w, m), seen, cut);
		return -1;
	}
	if (cut > 0 && cut < (long)psz)
		STAT_ADD(w, race_cuts, 1);
	memcpy(model_page(m->obj, mi), obj, psz);
	return compare(w, m, i, mi, 0, view, psz, "read after the race");
}

/* The private side passed: the object page is zero, the private page a COW copy. */
static int race_note_private(struct worker *w, struct mapping *m, size_t i, long mi,
			     const uint8_t *view, const uint8_t *old, size_t half)
{
	struct page_state *ps = &m->ps[i];

	memset(model_page(m->obj, mi), 0, psz);
	if (!ps->cow) {
		ps->shadow = malloc(psz);
		if (!ps->shadow) {
			fail(w, "out of memory");
			return -1;
		}
		ps->cow = true;
		STAT_ADD(w, cows, 1);
	}
	memcpy(ps->shadow, view, psz);
	log_more(w, " -> private copy of the %s page", memcmp(view + half, old + half, psz - half) ?
		 "zero" : "old");
	return 0;
}

/*
 * The thread's write races a DISCARD of the same page by a helper thread:
 * the module's page_mkwrite and fault paths against truncation, which the
 * other operations never let overlap (they lock the page).  The page is
 * first filled with a non-zero pattern through a second, shared mapping, so
 * stale bytes show.  Shared: check the cut; private: the object page is zero
 * and the private page is the write over a whole copy.  @obj_view is the
 * second mapping, @old and @view buffers of a page.
 */
static int race_page(struct worker *w, struct mapping *m, size_t i, long mi, uint8_t *obj_view,
		     uint8_t *old, uint8_t *view)
{
	size_t half = m->shared ? psz : psz / 2, seen;
	struct racer r = { .obj = m->obj, .pgoff = m->pgoff + i };
	uint8_t *page = m->addr + i * psz;
	int sig;

	/* The old content: a pattern in the object (and what a copy of it holds). */
	fill_nonzero(w, w->buf2, psz);
	fill_nonzero(w, w->buf, half);
	sig = guarded_copy(obj_view, w->buf2, psz);
	if (sig) {
		fail(w, "race: %s filling object page %" PRIu64, sig_name(sig), r.pgoff);
		return -1;
	}
	memcpy(model_page(m->obj, mi), w->buf2, psz);
	memcpy(old, expected_page(m, i, mi), psz);

	if (race_run(w, &r, page, half, &seen))
		return -1;
	/* What the object holds now, and what the racing mapping shows. */
	sig = guarded_copy(w->buf2, obj_view, psz);
	if (!sig)
		sig = guarded_copy(view, page, psz);
	if (sig) {
		fail(w, "race: %s reading object page %" PRIu64 " back", sig_name(sig), r.pgoff);
		return -1;
	}
	if (m->shared)
		return race_check_shared(w, m, i, mi, w->buf2, view, seen);
	if (race_check_private(w, m, i, w->buf2, view, old, half))
		return -1;
	return race_note_private(w, m, i, mi, view, old, half);
}

static int op_race(struct worker *w, struct mapping *m)
{
	size_t i = rnd(w, m->pages);
	long mi = model_index(m->obj, m->pgoff + i);
	uint8_t *obj_view, *old, *view;
	char desc[128];
	struct target t;
	int ret = -1;

	log_op(w, "race %s page %zu: write vs discard", map_desc(w, m, desc, sizeof(desc)), i);
	if (mi < 0 || m->ps[i].prot != (PROT_READ | PROT_WRITE)) {
		/* Not a writable page of the object: read it instead. */
		log_more(w, " (not writable: a read)");
		t = (struct target) { .m = m, .page = i, .mi = mi, .len = psz,
				      .addr = m->addr + i * psz };
		return check_read(w, &t);
	}
	old = malloc(psz);
	view = malloc(psz);
	obj_view = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, m->obj->fd,
			(off_t)((m->pgoff + i) * psz));
	if (!old || !view || obj_view == MAP_FAILED) {
		fail(w, "race: no memory, or mmap of the object page: %s", strerror(errno));
		goto out;
	}
	if (page_lock(w, m->obj, mi, true))
		goto out;
	ret = race_page(w, m, i, mi, obj_view, old, view);
	page_unlock(m->obj, mi);
out:
	if (obj_view != MAP_FAILED)
		munmap(obj_view, psz);
	free(view);
	free(old);
	return ret;
}

/* Check every page of @m the model knows (after msync, mremap, fork). */
static int check_map_pages(struct worker *w, struct mapping *m, size_t first, size_t n)
{
	struct target t;
	size_t i;

	for (i = first; i < first + n; i++) {
		t.m = m;
		t.page = i;
		t.mi = model_index(m->obj, m->pgoff + i);
		t.off = 0;
		t.len = psz;
		t.addr = m->addr + i * psz;
		if (check_read(w, &t))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------ mmap and munmap */

/* Where a new mapping goes: mostly the window, sometimes across the end. */
static void pick_place(struct worker *w, const struct object *o, uint64_t *pgoff, size_t *pages)
{
	uint64_t start, limit, room, tail = o->pages - o->tail_start;

	if (rnd(w, 7)) {
		start = rnd(w, o->window);
		room = o->window - start;
	} else {
		/* The tail, or the last pages of the window if the window reaches the end. */
		if (!tail)
			tail = o->pages < TAIL_PAGES ? o->pages : TAIL_PAGES;
		limit = o->pages + BEYOND_PAGES;
		start = o->pages - tail + rnd(w, tail + BEYOND_PAGES);
		room = limit - start;
	}
	*pgoff = start;
	*pages = 1 + rnd(w, room < MAX_MAP_PAGES ? room : MAX_MAP_PAGES);
}

static int pick_prot(struct worker *w)
{
	unsigned int r = (unsigned int)rnd(w, 10);

	return r < 7 ? PROT_READ | PROT_WRITE : r < 9 ? PROT_READ : PROT_NONE;
}

/* MAP_SHARED|PROT_WRITE of an O_RDONLY descriptor must fail with EACCES. */
static int mmap_readonly_fd(struct worker *w, struct object *o)
{
	void *p;

	log_op(w, "mmap toymap%u shared rw from an O_RDONLY fd", o->index);
	p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, o->fd_ro, 0);
	STAT_ADD(w, checks, 1);
	if (p != MAP_FAILED || errno != EACCES) {
		fail(w, "mmap(MAP_SHARED, PROT_WRITE) of an O_RDONLY fd: %s, expected EACCES",
		     p == MAP_FAILED ? strerror(errno) : "success");
		if (p != MAP_FAILED)
			munmap(p, psz);
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> EACCES as expected");
	return 0;
}

/*
 * MAP_POPULATE of a private writable mapping write-faults every page (the
 * kernel breaks COW, populate_vma_page_range): those pages are COW copies of
 * what the object held then.  Hold the locks of the modelled pages across the
 * mmap so "then" is well defined, and ask pagemap which pages were copied.
 */
static int note_populated_cows(struct worker *w, struct mapping *m)
{
	struct toymap_pte pte;
	size_t i;
	long mi;
	int err;

	for (i = 0; i < m->pages; i++) {
		mi = model_index(m->obj, m->pgoff + i);
		if (mi < 0)
			continue;
		err = toymap_pagemap(m->addr + i * psz, &pte);
		if (err) {
			fail(w, "reading /proc/self/pagemap: %s", strerror(-err));
			return -1;
		}
		if (!pte.present || pte.file)
			continue;
		m->ps[i].shadow = new_shadow(w, m, mi);
		if (!m->ps[i].shadow)
			return -1;
		m->ps[i].cow = true;
		STAT_ADD(w, cows, 1);
	}
	return 0;
}

/* The modelled pages of [pgoff, pgoff + pages): the first and the count, for locking. */
static void modelled_span(const struct object *o, uint64_t pgoff, size_t pages, long *first,
			  long *n)
{
	uint64_t p;
	long mi;

	*first = -1;
	*n = 0;
	for (p = pgoff; p < pgoff + pages; p++) {
		mi = model_index(o, p);
		if (mi < 0)
			continue;
		if (*first < 0)
			*first = mi;
		*n = mi - *first + 1;
	}
}

static int op_mmap(struct worker *w)
{
	struct object *o = &objs[rnd(w, nobj)];
	bool shared = rnd(w, 2), fresh = !rnd(w, 4), ro_fd, populate;
	int prot = pick_prot(w), flags, fd;
	struct mapping *m = free_map(w);
	long lock_first = -1, lock_n = 0;
	size_t pages, i;
	uint64_t pgoff;
	void *p;

	if (shared && !rnd(w, 25))
		return mmap_readonly_fd(w, o);
	pick_place(w, o, &pgoff, &pages);
	ro_fd = shared ? !(prot & PROT_WRITE) && !rnd(w, 3) : !rnd(w, 4);
	populate = !rnd(w, 5);
	flags = (shared ? MAP_SHARED : MAP_PRIVATE) | (populate ? MAP_POPULATE : 0);
	log_op(w, "mmap toymap%u %s %s pgoff %" PRIu64 " pages %zu%s%s%s -> map%u", o->index,
	       shared ? "shared" : "private", prot_name(prot), pgoff, pages,
	       ro_fd ? " O_RDONLY" : "", fresh ? " fresh-fd" : "", populate ? " populate" : "",
	       map_id(w, m));

	fd = ro_fd ? o->fd_ro : o->fd;
	if (fresh) {
		fd = toymap_open(o->index, ro_fd ? O_RDONLY : O_RDWR);
		if (fd < 0) {
			fail(w, "open /dev/toymap%u: %s", o->index, strerror(-fd));
			return -1;
		}
	}
	/* A private writable populate copies pages: hold their locks (ascending). */
	if (populate && !shared && (prot & PROT_WRITE)) {
		modelled_span(o, pgoff, pages, &lock_first, &lock_n);
		if (lock_n && range_lock(w, o, lock_first, lock_n, false))
			goto err_close;
	}
	p = mmap(NULL, pages * psz, prot, flags, fd, (off_t)(pgoff * psz));
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED) {
		fail(w, "mmap of %zu pages at page offset %" PRIu64 " of toymap%u: %s", pages,
		     pgoff, o->index, strerror(errno));
		goto err_unlock;
	}
	*m = (struct mapping) {
		.used = true, .addr = p, .obj = o, .pgoff = pgoff, .pages = pages,
		.shared = shared, .ro_fd = ro_fd,
	};
	m->ps = calloc(pages, sizeof(*m->ps));
	if (!m->ps) {
		fail(w, "out of memory");
		goto err_unlock;
	}
	for (i = 0; i < pages; i++)
		m->ps[i].prot = (uint8_t)prot;
	log_more(w, " at %p", p);
	if (lock_n && note_populated_cows(w, m))
		goto err_unlock;
	if (lock_n)
		range_unlock(o, lock_first, lock_n);
	if (fresh)
		close(fd);
	return 0;

err_unlock:
	if (lock_n)
		range_unlock(o, lock_first, lock_n);
err_close:
	if (fresh)
		close(fd);
	return -1;
}

/* Unmap all, a head, a tail, or a middle of a mapping (the last splits the record). */
static int op_munmap(struct worker *w, struct mapping *m)
{
	struct mapping *right = NULL;
	size_t first, n;
	char desc[128];

	pick_range(w, m, 3, &first, &n);
	if (first && first + n < m->pages) {
		right = free_map(w);
		if (!right) {
			first = 0;
			n = m->pages;
		}
	}
	log_op(w, "munmap %s pages %zu+%zu", map_desc(w, m, desc, sizeof(desc)), first, n);
	STAT_ADD(w, checks, 1);
	if (munmap(m->addr + first * psz, n * psz)) {
		fail(w, "munmap of pages %zu+%zu of map%u: %s", first, n, map_id(w, m),
		     strerror(errno));
		return -1;
	}
	if (n == m->pages) {
		forget_map(m);
		return 0;
	}
	drop_pages(m, first, n);
	if (right) {
		size_t rfirst = first + n;

		*right = *m;
		right->addr = m->addr + rfirst * psz;
		right->pgoff = m->pgoff + rfirst;
		right->pages = m->pages - rfirst;
		right->ps = calloc(right->pages, sizeof(*right->ps));
		if (!right->ps) {
			fail(w, "out of memory");
			return -1;
		}
		memcpy(right->ps, m->ps + rfirst, right->pages * sizeof(*m->ps));
		m->pages = first;
		log_more(w, " -> map%u keeps the right part", map_id(w, right));
	} else if (first == 0) {
		memmove(m->ps, m->ps + n, (m->pages - n) * sizeof(*m->ps));
		m->addr += n * psz;
		m->pgoff += n;
		m->pages -= n;
	} else {
		m->pages = first;
	}
	return 0;
}

/* ------------------------------------------- mprotect, mremap, madvise */

static int op_mprotect(struct worker *w, struct mapping *m)
{
	int prot = pick_prot(w), want, err;
	size_t first, n, i;
	char desc[128];

	pick_range(w, m, 2, &first, &n);
	/* A shared mapping of an O_RDONLY fd can never become writable. */
	want = m->shared && m->ro_fd && (prot & PROT_WRITE) ? EACCES : 0;
	log_op(w, "mprotect %s pages %zu+%zu %s", map_desc(w, m, desc, sizeof(desc)), first, n,
	       prot_name(prot));
	err = mprotect(m->addr + first * psz, n * psz, prot) ? errno : 0;
	STAT_ADD(w, checks, 1);
	if (err != want) {
		fail(w, "mprotect(%s) of pages %zu+%zu of map%u: %s, expected %s", prot_name(prot),
		     first, n, map_id(w, m), err ? strerror(err) : "success",
		     want ? strerror(want) : "success");
		return -1;
	}
	if (err) {
		STAT_ADD(w, errnos, 1);
		log_more(w, " -> %s as expected", strerror(err));
		return 0;
	}
	for (i = first; i < first + n; i++)
		m->ps[i].prot = (uint8_t)prot;
	if (n != m->pages)
		m->split = true;
	return 0;
}

/* mremap growth: VM_DONTEXPAND makes it fail with EFAULT, moving or not. */
static int mremap_grow(struct worker *w, struct mapping *m)
{
	size_t new_pages = m->pages + 1 + rnd(w, 8);
	int flags = rnd(w, 2) ? MREMAP_MAYMOVE : 0;
	char desc[128];
	void *p;

	log_op(w, "mremap grow %s to %zu pages%s", map_desc(w, m, desc, sizeof(desc)),
	       new_pages, flags ? " MAYMOVE" : "");
	p = mremap(m->addr, m->pages * psz, new_pages * psz, flags);
	STAT_ADD(w, checks, 1);
	if (p != MAP_FAILED || errno != EFAULT) {
		fail(w, "mremap growing map%u from %zu to %zu pages: %s, expected EFAULT "
		     "(VM_DONTEXPAND)", map_id(w, m), m->pages, new_pages,
		     p == MAP_FAILED ? strerror(errno) : "success");
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> EFAULT as expected");
	return 0;
}

static int mremap_shrink(struct worker *w, struct mapping *m)
{
	size_t new_pages = 1 + rnd(w, m->pages - 1);
	char desc[128];
	void *p;

	log_op(w, "mremap shrink %s to %zu pages", map_desc(w, m, desc, sizeof(desc)), new_pages);
	p = mremap(m->addr, m->pages * psz, new_pages * psz, 0);
	STAT_ADD(w, checks, 1);
	if (p != m->addr) {
		fail(w, "mremap shrinking map%u from %zu to %zu pages: %s", map_id(w, m),
		     m->pages, new_pages, p == MAP_FAILED ? strerror(errno) : "moved");
		return -1;
	}
	drop_pages(m, new_pages, m->pages - new_pages);
	m->pages = new_pages;
	return 0;
}

/*
 * Move (and maybe shrink) a mapping onto a placeholder: its pages, the COW
 * copies included, go along.  Only for a mapping that is one VMA.
 */
static int mremap_move(struct worker *w, struct mapping *m)
{
	size_t new_pages = 1 + rnd(w, m->pages);
	char desc[128];
	void *dst, *p;

	log_op(w, "mremap move %s to %zu pages", map_desc(w, m, desc, sizeof(desc)), new_pages);
	dst = mmap(NULL, new_pages * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED) {
		fail(w, "mmap of a placeholder: %s", strerror(errno));
		return -1;
	}
	p = mremap(m->addr, m->pages * psz, new_pages * psz, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	STAT_ADD(w, checks, 1);
	if (p != dst) {
		fail(w, "mremap moving map%u (%zu pages) to %p as %zu pages: %s", map_id(w, m),
		     m->pages, dst, new_pages, p == MAP_FAILED ? strerror(errno) : "elsewhere");
		return -1;
	}
	log_more(w, " -> %p", p);
	drop_pages(m, new_pages, m->pages - new_pages);
	m->addr = p;
	m->pages = new_pages;
	/* Now and then check every page at its new address. */
	return rnd(w, 4) ? 0 : check_map_pages(w, m, 0, m->pages);
}

static int op_mremap(struct worker *w, struct mapping *m)
{
	unsigned int r = (unsigned int)rnd(w, 10);

	if (r < 3)
		return mremap_grow(w, m);
	if (r < 6 && !m->split)
		return mremap_move(w, m);
	if (m->pages == 1)
		return mremap_grow(w, m);
	return mremap_shrink(w, m);
}

static int op_madvise(struct worker *w, struct mapping *m)
{
	static const struct { int advice; const char *name; } advices[] = {
		{ MADV_DONTNEED, "DONTNEED" }, { MADV_DONTNEED, "DONTNEED" },
		{ MADV_DONTNEED, "DONTNEED" }, { MADV_COLD, "COLD" },
		{ MADV_PAGEOUT, "PAGEOUT" }, { MADV_PAGEOUT, "PAGEOUT" },
		{ MADV_WILLNEED, "WILLNEED" },
	};
	unsigned int a = (unsigned int)rnd(w, sizeof(advices) / sizeof(advices[0]));
	size_t first, n;
	char desc[128];

	pick_range(w, m, 2, &first, &n);
	log_op(w, "madvise %s pages %zu+%zu %s", map_desc(w, m, desc, sizeof(desc)), first, n,
	       advices[a].name);
	STAT_ADD(w, checks, 1);
	if (madvise(m->addr + first * psz, n * psz, advices[a].advice)) {
		fail(w, "madvise(MADV_%s) of pages %zu+%zu of map%u: %s", advices[a].name, first,
		     n, map_id(w, m), strerror(errno));
		return -1;
	}
	/* DONTNEED drops a private mapping's COW copies: it reads the object again. */
	if (advices[a].advice == MADV_DONTNEED && !m->shared)
		drop_pages(m, first, n);
	/* Reclaim may have dropped pages: they must come back with the same bytes. */
	if (advices[a].advice == MADV_PAGEOUT && !rnd(w, 3))
		return check_map_pages(w, m, first, n);
	return 0;
}

static int op_msync(struct worker *w, struct mapping *m)
{
	static const struct { int flags; const char *name; } modes[] = {
		{ MS_ASYNC, "ASYNC" }, { MS_SYNC, "SYNC" }, { MS_INVALIDATE, "INVALIDATE" },
		{ MS_ASYNC | MS_INVALIDATE, "ASYNC|INVALIDATE" },
		{ MS_SYNC | MS_INVALIDATE, "SYNC|INVALIDATE" },
	};
	unsigned int k = (unsigned int)rnd(w, sizeof(modes) / sizeof(modes[0]));
	size_t first, n;
	char desc[128];
	int err;

	pick_range(w, m, 2, &first, &n);
	log_op(w, "msync %s pages %zu+%zu MS_%s", map_desc(w, m, desc, sizeof(desc)), first, n,
	       modes[k].name);
	err = msync(m->addr + first * psz, n * psz, modes[k].flags) ? errno : 0;
	STAT_ADD(w, checks, 1);
	/*
	 * MS_SYNC of a shared mapping calls the file's fsync; toymap's file
	 * operations have none, and vfs_fsync_range() then says EINVAL.
	 * Counted and reported in the summary, not a failure.
	 */
	if (err == EINVAL && m->shared && (modes[k].flags & MS_SYNC)) {
		STAT_ADD(w, msync_einval, 1);
		log_more(w, " -> EINVAL (no .fsync)");
	} else if (err) {
		fail(w, "msync(MS_%s) of pages %zu+%zu of map%u: %s", modes[k].name, first, n,
		     map_id(w, m), strerror(err));
		return -1;
	}
	return rnd(w, 3) ? 0 : check_map_pages(w, m, first, n < 4 ? n : 4);
}

/* -------------------------------------------------------------- ioctls */

/* DISCARD arguments that must fail with EINVAL (or EFAULT), changing nothing. */
static int discard_bad(struct worker *w, struct object *o)
{
	struct toymap_range r = { .size = sizeof(r), .offset = 0, .length = psz };
	struct { struct toymap_range r; uint64_t tail; } big;
	void *arg = &r;
	int want = EINVAL, err;
	const char *what;

	switch (rnd(w, 9)) {
	case 0:
		r.flags = 1;
		what = "flags 1";
		break;
	case 1:
		r.offset = 1 + rnd(w, psz - 1);
		what = "unaligned offset";
		break;
	case 2:
		r.length = 0;
		what = "zero length";
		break;
	case 3:
		r.length = psz + 1 + rnd(w, psz - 1);
		what = "unaligned length";
		break;
	case 4:
		r.offset = (o->pages - 1) * psz;
		r.length = 2 * psz;
		what = "range past the end";
		break;
	case 5:
		r.offset = UINT64_MAX & ~(uint64_t)(psz - 1);
		r.length = 2 * psz;
		what = "offset + length overflows";
		break;
	case 6:
		r.size = 4;
		what = "short size field";
		break;
	case 7:
		memset(&big, 0, sizeof(big));
		big.r = r;
		big.r.size = sizeof(big);
		big.tail = 1;
		arg = &big;
		what = "larger struct with a non-zero tail";
		break;
	default:
		arg = (void *)16;
		want = EFAULT;
		what = "bad pointer";
		break;
	}
	log_op(w, "discard toymap%u bad: %s", o->index, what);
	err = ioctl(o->fd, TOYMAP_IOC_DISCARD, arg) ? errno : 0;
	STAT_ADD(w, checks, 1);
	if (err != want) {
		fail(w, "TOYMAP_IOC_DISCARD with %s: %s, expected %s", what,
		     err ? strerror(err) : "success", strerror(want));
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> %s as expected", strerror(err));
	return 0;
}

static int op_discard(struct worker *w)
{
	struct object *o = &objs[rnd(w, nobj)];
	uint64_t tail = o->pages - o->tail_start, first, n;
	unsigned int r = (unsigned int)rnd(w, 20);
	long mi;
	int err;

	if (r < 2)
		return discard_bad(w, o);
	if (r < 4) {
		first = 0;
		n = o->window;
	} else if (r < 7 && tail) {
		first = o->tail_start + rnd(w, tail);
		n = 1 + rnd(w, o->pages - first);
	} else {
		first = rnd(w, o->window);
		n = 1 + rnd(w, o->window - first < MAX_DISCARD ? o->window - first : MAX_DISCARD);
	}
	mi = model_index(o, first);
	log_op(w, "discard toymap%u pages %" PRIu64 "+%" PRIu64, o->index, first, n);
	if (range_lock(w, o, mi, (long)n, true))
		return -1;
	err = toymap_discard(o->fd, first * psz, n * psz);
	if (!err)
		memset(model_page(o, mi), 0, n * psz);
	range_unlock(o, mi, (long)n);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "TOYMAP_IOC_DISCARD of pages %" PRIu64 "+%" PRIu64 " of toymap%u: %s",
		     first, n, o->index, strerror(-err));
		return -1;
	}
	return 0;
}

/* INFO arguments that must fail, and an unknown command. */
static int info_bad(struct worker *w, struct object *o)
{
	struct toymap_info info = { .size = 8 };
	unsigned long cmd = TOYMAP_IOC_INFO;
	void *arg = &info;
	int want = EINVAL, err;
	const char *what = "short size field";

	switch (rnd(w, 3)) {
	case 0:
		break;
	case 1:
		cmd = _IOWR(TOYMAP_IOC_MAGIC, 0x3f, struct toymap_info);
		info.size = sizeof(info);
		want = ENOTTY;
		what = "unknown command";
		break;
	default:
		arg = (void *)16;
		want = EFAULT;
		what = "bad pointer";
		break;
	}
	log_op(w, "info toymap%u bad: %s", o->index, what);
	err = ioctl(o->fd, cmd, arg) ? errno : 0;
	STAT_ADD(w, checks, 1);
	if (err != want) {
		fail(w, "toymap ioctl with %s: %s, expected %s", what,
		     err ? strerror(err) : "success", strerror(want));
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> %s as expected", strerror(err));
	return 0;
}

/* Counters only grow: compare with what this thread saw last time. */
static int check_counters(struct worker *w, const struct object *o, const struct toymap_info *old,
			  const struct toymap_info *info)
{
	size_t f;

	for (f = 0; f < toymap_info_nfields; f++) {
		const struct toymap_field *field = &toymap_info_fields[f];
		uint64_t was = toymap_info_value(old, field), is = toymap_info_value(info, field);

		if (field->kind != TOYMAP_FIELD_COUNTER || is >= was)
			continue;
		fail(w, "toymap%u counter %s went down: %" PRIu64 " then %" PRIu64, o->index,
		     field->name, was, is);
		return -1;
	}
	return 0;
}

static int op_info(struct worker *w)
{
	unsigned int k = (unsigned int)rnd(w, nobj);
	struct object *o = &objs[k];
	struct toymap_info info;
	int err;

	if (!rnd(w, 8))
		return info_bad(w, o);
	log_op(w, "info toymap%u", o->index);
	err = toymap_get_info(o->fd, &info);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "TOYMAP_IOC_INFO on toymap%u: %s", o->index, strerror(-err));
		return -1;
	}
	if (info.size != sizeof(info) || info.index != o->index ||
	    info.object_size != o->pages * psz || info.resident_pages > o->pages ||
	    info.module_pages > info.max_pages + MODULE_PAGES_SLACK) {
		fail(w, "TOYMAP_IOC_INFO on toymap%u: size %u index %u object_size %" PRIu64
		     " resident %" PRIu64 " module_pages %" PRIu64 " max_pages %" PRIu64
		     ": inconsistent", o->index, info.size, info.index, U64(info.object_size),
		     U64(info.resident_pages), U64(info.module_pages), U64(info.max_pages));
		return -1;
	}
	if (w->seen[k].size && check_counters(w, o, &w->seen[k], &info))
		return -1;
	w->seen[k] = info;
	log_more(w, " -> resident %" PRIu64 " faults %" PRIu64 " opens %" PRIu64 " closes %"
		 PRIu64, U64(info.resident_pages), U64(info.faults), U64(info.vma_opens),
		 U64(info.vma_closes));
	return 0;
}

static int op_unload(struct worker *w)
{
	int err;

	log_op(w, "unload");
	err = toymap_unload();
	STAT_ADD(w, checks, 1);
	if (err != -EBUSY) {
		fail(w, "toymap_unload() while devices are open: %s, expected EBUSY%s",
		     err ? strerror(-err) : "success",
		     err ? "" : " -- THE MODULE WAS UNLOADED UNDER LIVE MAPPINGS");
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> EBUSY as expected");
	return 0;
}

/* ------------------------------------------------------------- fork */

static int run_op(struct worker *w, enum op_kind kind);
static enum op_kind pick_op(struct worker *w, bool allow_fork);

/* The fork child: a few operations on the mappings it inherited, then exit. */
static void __attribute__((noreturn)) child_main(struct worker *w)
{
	double left = w->deadline - now();
	unsigned int ops, i;

	w->child = true;
	w->rng = mix64(w->rng ^ 0xc41dULL);
	alarm((unsigned int)(left > 0 ? left : 0) + 60);
	STAT_ADD(w, children, 1);
	/* What the parent's private mappings held is what the child's hold. */
	ops = 2 + (unsigned int)rnd(w, CHILD_OPS - 1);
	for (i = 0; i < ops && !w->failed && !stopping() && now() < w->deadline; i++) {
		w->child_opno++;
		run_op(w, pick_op(w, false));
	}
	fflush(NULL);
	_exit(w->failed ? EXIT_FAIL : EXIT_PASS);
}

static int op_fork(struct worker *w)
{
	int status;
	pid_t pid;

	log_op(w, "fork");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fail(w, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		child_main(w);
	log_more(w, " -> pid %d", (int)pid);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fail(w, "waitpid(%d): %s", (int)pid, strerror(errno));
			return -1;
		}
	}
	STAT_ADD(w, checks, 1);
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_PASS)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAIL) {
		/* The child has reported its failure. */
		w->failed = true;
		return -1;
	}
	fail(w, "fork child %d %s %d", (int)pid, WIFSIGNALED(status) ?
	     "was killed by signal" : "exited with status", WIFSIGNALED(status) ?
	     WTERMSIG(status) : WEXITSTATUS(status));
	return -1;
}

/* -------------------------------------------------------- the op loop */

static bool has_map(const struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (w->maps[i].used)
			return true;
	return false;
}

static enum op_kind pick_op(struct worker *w, bool allow_fork)
{
	unsigned int total = 0, k, r;

	for (k = 0; k < NR_OPS; k++)
		if (cfg.ops[k] && (allow_fork || k != OP_FORK))
			total += op_table[k].weight;
	if (!total)
		return OP_INFO;
	r = (unsigned int)rnd(w, total);
	for (k = 0; k < NR_OPS; k++) {
		if (!cfg.ops[k] || (!allow_fork && k == OP_FORK))
			continue;
		if (r < op_table[k].weight)
			return (enum op_kind)k;
		r -= op_table[k].weight;
	}
	return OP_INFO;
}

/*
 * Run one operation.  One that needs a mapping when the thread has none maps
 * one instead (if mmap is enabled); mmap with every slot used unmaps one.
 */
static int run_op(struct worker *w, enum op_kind kind)
{
	struct mapping *m = NULL;
	int ret;

	if (op_table[kind].needs_map) {
		if (!has_map(w)) {
			if (!cfg.ops[OP_MMAP])
				return 0;
			kind = OP_MMAP;
		} else {
			m = pick_map(w);
		}
	}
	if (kind == OP_MMAP && !free_map(w)) {
		kind = OP_MUNMAP;
		m = pick_map(w);
	}
	switch (kind) {
	case OP_MMAP:
		ret = op_mmap(w);
		break;
	case OP_MUNMAP:
		ret = op_munmap(w, m);
		break;
	case OP_MPROTECT:
		ret = op_mprotect(w, m);
		break;
	case OP_MREMAP:
		ret = op_mremap(w, m);
		break;
	case OP_MADVISE:
		ret = op_madvise(w, m);
		break;
	case OP_FORK:
		ret = op_fork(w);
		break;
	case OP_READ:
		ret = op_read(w, m);
		break;
	case OP_WRITE:
		ret = op_write(w, m);
		break;
	case OP_GUP:
		ret = op_gup(w, m);
		break;
	case OP_RACE:
		ret = op_race(w, m);
		break;
	case OP_MSYNC:
		ret = op_msync(w, m);
		break;
	case OP_DISCARD:
		ret = op_discard(w);
		break;
	case OP_INFO:
		ret = op_info(w);
		break;
	case OP_UNLOAD:
		ret = op_unload(w);
		break;
	default:
		ret = 0;
		break;
	}
	STAT_ADD(w, ops[kind], 1);
	if (cfg.verbose && w->logged) {
		char name[96];

		print_lock();
		printf("%s: %s\n", who(w, name, sizeof(name)), log_entry(w));
		fflush(stdout);
		print_unlock();
	}
	return ret;
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	unsigned int i;

	w->rng = mix64(cfg.seed ^ mix64(((uint64_t)w->proc << 32 | w->thread) + 1));
	while (!w->failed && !stopping() && now() < w->deadline) {
		w->opno++;
		run_op(w, pick_op(w, true));
	}
	/* Unmap what is left: the vma_opens/vma_closes balance is checked after the run. */
	for (i = 0; i < MAX_MAPS; i++) {
		struct mapping *m = &w->maps[i];

		if (!m->used)
			continue;
		if (munmap(m->addr, m->pages * psz) && !w->failed)
			fail(w, "munmap of map%u at the end: %s", i, strerror(errno));
		forget_map(m);
	}
	return NULL;
}

/* A worker process: N threads on shared descriptors of every object. */
static void __attribute__((noreturn)) proc_main(unsigned int proc, double deadline)
{
	pthread_t tids[MAX_THREADS];
	struct worker *ws[MAX_THREADS];
	bool failed = false;
	unsigned int t, k;
	int err;

	/* The guard of this process: die of SIGALRM if it hangs. */
	signal(SIGALRM, SIG_DFL);
	alarm(cfg.seconds * 2 + 60);
	for (k = 0; k < nobj; k++) {
		objs[k].fd = toymap_open(objs[k].index, O_RDWR);
		objs[k].fd_ro = toymap_open(objs[k].index, O_RDONLY);
		if (objs[k].fd < 0 || objs[k].fd_ro < 0) {
			fprintf(stderr, "toymap-stress: proc %u: cannot open /dev/toymap%u\n",
				proc, objs[k].index);
			_exit(EXIT_FAIL);
		}
	}
	for (t = 0; t < cfg.threads; t++) {
		ws[t] = calloc(1, sizeof(*ws[t]));
		if (ws[t]) {
			ws[t]->buf = malloc(psz);
			ws[t]->buf2 = malloc(psz);
		}
		if (!ws[t] || !ws[t]->buf || !ws[t]->buf2) {
			fprintf(stderr, "toymap-stress: out of memory\n");
			_exit(EXIT_FAIL);
		}
		ws[t]->proc = proc;
		ws[t]->thread = t;
		ws[t]->deadline = deadline;
		ws[t]->slot = &sh->slots[proc * cfg.threads + t];
		err = pthread_create(&tids[t], NULL, thread_main, ws[t]);
		if (err) {
			fprintf(stderr, "toymap-stress: pthread_create: %s\n", strerror(err));
			_exit(EXIT_FAIL);
		}
	}
	for (t = 0; t < cfg.threads; t++) {
		pthread_join(tids[t], NULL);
		failed |= ws[t]->failed;
	}
	fflush(NULL);
	_exit(failed ? EXIT_FAIL : EXIT_PASS);
}

/* ------------------------------------------------------ setup and end */

static void usage(FILE *out)
{
	unsigned int k;

	fprintf(out,
		"usage: toymap-stress [--seed S] [--seconds T] [--procs P] [--threads N]\n"
		"                     [--pages K] [--ops LIST] [--devices LIST] [--verbose]\n"
		"  --seed S        PRNG seed (default: from the clock, printed)\n"
		"  --seconds T     run time (default 10)\n"
		"  --procs P       worker processes, 1..%d (default 2)\n"
		"  --threads N     threads per process, 1..%d (default 2)\n"
		"  --pages K       modelled window at the start of each object (default 256)\n"
		"  --ops LIST      comma-separated operations (default all):\n"
		"                 ", MAX_PROCS, MAX_THREADS);
	for (k = 0; k < NR_OPS; k++)
		fprintf(out, " %s", op_table[k].name);
	fprintf(out,
		"\n                  (one that needs a mapping maps one first when mmap is listed;\n"
		"                  mmap with %d mappings held unmaps one)\n"
		"  --devices LIST  comma-separated device numbers N of /dev/toymapN (default all)\n"
		"  --verbose       print every operation\n"
		"Exit status: 0 PASS, 1 FAIL, 2 usage or setup error.\n", MAX_MAPS);
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && !*end && *v <= max && s[0] != '-';
}

static int parse_ops(char *list)
{
	char *tok, *save = NULL;
	unsigned int k;

	memset(cfg.ops, 0, sizeof(cfg.ops));
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < NR_OPS; k++)
			if (!strcmp(tok, op_table[k].name))
				break;
		if (k == NR_OPS) {
			fprintf(stderr, "toymap-stress: unknown operation '%s'\n", tok);
			return -1;
		}
		cfg.ops[k] = true;
	}
	return 0;
}

static int parse_devices(char *list)
{
	char *tok, *save = NULL;
	unsigned long long v;

	cfg.ndevices = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!parse_uint(tok, MAX_DEVICES - 1, &v) || cfg.ndevices == MAX_DEVICES) {
			fprintf(stderr, "toymap-stress: bad device number '%s'\n", tok);
			return -1;
		}
		cfg.devices[cfg.ndevices++] = (unsigned int)v;
	}
	return cfg.ndevices ? 0 : -1;
}

static int parse_args(int argc, char **argv)
{
	static const struct option options[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "procs", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 'n' },
		{ "pages", required_argument, NULL, 'k' },
		{ "ops", required_argument, NULL, 'o' },
		{ "devices", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	bool seeded = false;
	int c, k;

	cfg.seconds = 10;
	cfg.procs = 2;
	cfg.threads = 2;
	cfg.pages = 256;
	for (k = 0; k < NR_OPS; k++)
		cfg.ops[k] = true;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_uint(optarg, UINT64_MAX, &v))
				goto bad;
			cfg.seed = v;
			seeded = true;
			break;
		case 't':
			if (!parse_uint(optarg, 24 * 3600, &v) || !v)
				goto bad;
			cfg.seconds = (unsigned int)v;
			break;
		case 'p':
			if (!parse_uint(optarg, MAX_PROCS, &v) || !v)
				goto bad;
			cfg.procs = (unsigned int)v;
			break;
		case 'n':
			if (!parse_uint(optarg, MAX_THREADS, &v) || !v)
				goto bad;
			cfg.threads = (unsigned int)v;
			break;
		case 'k':
			if (!parse_uint(optarg, 1 << 20, &v) || !v)
				goto bad;
			cfg.pages = (unsigned int)v;
			break;
		case 'o':
			if (parse_ops(optarg))
				goto bad;
			break;
		case 'd':
			if (parse_devices(optarg))
				goto bad;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_PASS);
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (!seeded)
		cfg.seed = mix64((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20)) % 1000000000;
	return 0;
bad:
	usage(stderr);
	return -1;
}

/* The replay command: the same options with the seed made explicit. */
static void format_cmdline(void)
{
	char ops[256] = "", devs[256] = "";
	unsigned int k;
	size_t n;

	for (k = 0; k < NR_OPS; k++) {
		if (!cfg.ops[k])
			continue;
		n = strlen(ops);
		snprintf(ops + n, sizeof(ops) - n, "%s%s", n ? "," : "", op_table[k].name);
	}
	for (k = 0; k < cfg.ndevices; k++) {
		n = strlen(devs);
		snprintf(devs + n, sizeof(devs) - n, "%s%u", n ? "," : "", cfg.devices[k]);
	}
	snprintf(cfg.cmdline, sizeof(cfg.cmdline),
		 "toymap-stress --seed %" PRIu64 " --seconds %u --procs %u --threads %u "
		 "--pages %u --ops %s --devices %s", cfg.seed, cfg.seconds, cfg.procs,
		 cfg.threads, cfg.pages, ops, devs);
}

static void *map_shared(size_t len)
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
 * Copy @n pages of @o at page @pgoff into @dst (@compare false: initialise the
 * model) or compare them with @dst (@compare true: the final check), through
 * a fresh shared read-only mapping.  Returns the pages that differ, or -1.
 */
static long window_pass(struct object *o, uint64_t pgoff, uint64_t n, uint8_t *dst, bool compare,
			uint64_t *bytes)
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
	if (!compare) {
		memcpy(dst, p, n * psz);
	} else {
		for (i = 0; i < n; i++) {
			if (!memcmp(p + i * psz, dst + i * psz, psz))
				continue;
			if (!bad++)
				fprintf(stderr, "toymap-stress: FAILURE after the run: page %" PRIu64
					" of toymap%u differs from the model\n", pgoff + i,
					o->index);
		}
		*bytes += n * psz;
	}
	munmap(p, n * psz);
	return bad;
}

/* Open the devices, size the windows, create the shared model. */
static int setup(void)
{
	struct shared_size { size_t hdr, model, locks; } sz;
	unsigned int k;
	uint64_t i;
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
	sz.hdr = sizeof(struct shared) + (size_t)cfg.procs * cfg.threads * sizeof(struct slot);
	sh = map_shared(sz.hdr);
	if (!sh || init_lock(&sh->print_lock))
		return -1;
	for (k = 0; k < cfg.ndevices; k++) {
		struct object *o = &objs[nobj++];
		uint64_t tail;

		o->index = cfg.devices[k];
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
		o->window = cfg.pages < o->pages ? cfg.pages : o->pages;
		tail = o->pages - o->window < TAIL_PAGES ? o->pages - o->window : TAIL_PAGES;
		o->tail_start = o->pages - tail;
		o->nmodel = o->window + tail;
		sz.model = o->nmodel * psz;
		sz.locks = o->nmodel * sizeof(pthread_rwlock_t);
		o->model = map_shared(sz.model);
		o->locks = map_shared(sz.locks);
		if (!o->model || !o->locks)
			return -1;
		for (i = 0; i < o->nmodel; i++)
			if (init_rwlock(&o->locks[i]))
				return -1;
		/* The model starts as what the object holds now. */
		if (window_pass(o, 0, o->window, o->model, false, NULL) < 0 ||
		    window_pass(o, o->tail_start, tail, model_page(o, (long)o->window), false,
				NULL) < 0)
			return -1;
		/* The counters the vma balance starts from, after our own mapping is gone. */
		err = toymap_get_info(o->fd, &o->before);
		if (err)
			return -1;
	}
	return 0;
}

static volatile sig_atomic_t timed_out;

static void alarm_handler(int sig)
{
	(void)sig;
	timed_out = 1;
}

static int install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alarm_handler;	/* no SA_RESTART: waitpid returns EINTR */
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGALRM, &sa, NULL);
}

/* Kill and reap every child still there (the alarm guard); returns how many. */
static unsigned int kill_children(const pid_t *pids, unsigned int n)
{
	unsigned int i, killed = 0;

	for (i = 0; i < n; i++)
		if (pids[i] > 0 && kill(pids[i], SIGKILL) == 0)
			killed++;
	return killed;
}

/*
 * Every process of the run must be gone.  This process is a child subreaper:
 * a fork child that outlived its worker became ours.  Returns how many were
 * left (killed and reaped here).
 */
static unsigned int leftover_processes(void)
{
	char path[64], line[4096], *tok, *save = NULL;
	unsigned int left = 0;
	int status;
	pid_t pid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "r");
	if (f && fgets(line, sizeof(line), f)) {
		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
			fprintf(stderr, "toymap-stress: FAILURE: process %s is left after the run; "
				"killing it\n", tok);
			kill((pid_t)atoi(tok), SIGKILL);
			left++;
		}
	}
	if (f)
		fclose(f);
	while ((pid = waitpid(-1, &status, 0)) > 0)
		if (!left)
			fprintf(stderr, "toymap-stress: FAILURE: process %d outlived its worker\n",
				(int)pid);
	return left;
}

struct totals {
	struct slot sum;
	uint64_t ops;
};

static void sum_slots(struct totals *t)
{
	unsigned int s, k;

	memset(t, 0, sizeof(*t));
	for (s = 0; s < cfg.procs * cfg.threads; s++) {
		const struct slot *x = &sh->slots[s];

		for (k = 0; k < NR_OPS; k++) {
			t->sum.ops[k] += x->ops[k];
			t->ops += x->ops[k];
		}
		t->sum.checks += x->checks;
		t->sum.bytes += x->bytes;
		t->sum.sigbus += x->sigbus;
		t->sum.sigsegv += x->sigsegv;
		t->sum.errnos += x->errnos;
		t->sum.cows += x->cows;
		t->sum.pagemaps += x->pagemaps;
		t->sum.children += x->children;
		t->sum.races += x->races;
		t->sum.race_cuts += x->race_cuts;
		t->sum.msync_einval += x->msync_einval;
		t->sum.failures += x->failures;
	}
}

/* After the run: the model against the objects, and the vma_open/close balance. */
static uint64_t final_checks(uint64_t *checks, uint64_t *bytes)
{
	uint64_t failures = 0;
	unsigned int k;

	for (k = 0; k < nobj; k++) {
		struct object *o = &objs[k];
		struct toymap_info after;
		uint64_t opens, closes;
		long bad;

		bad = window_pass(o, 0, o->window, o->model, true, bytes);
		if (bad == 0)
			bad = window_pass(o, o->tail_start, o->pages - o->tail_start,
					  model_page(o, (long)o->window), true, bytes);
		(*checks)++;
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
		printf("toymap%u: vma_opens +%" PRIu64 " vma_closes +%" PRIu64 " faults +%" PRIu64
		       " zero_fills +%" PRIu64 " cow +%" PRIu64 " mkwrite +%" PRIu64 " sigbus +%"
		       PRIu64 " discarded +%" PRIu64 " resident %" PRIu64 "\n", o->index, opens,
		       closes, U64(after.faults - o->before.faults),
		       U64(after.zero_fills - o->before.zero_fills),
		       U64(after.cow_faults - o->before.cow_faults),
		       U64(after.page_mkwrites - o->before.page_mkwrites),
		       U64(after.sigbus_faults - o->before.sigbus_faults),
		       U64(after.discarded_pages - o->before.discarded_pages),
		       U64(after.resident_pages));
		if (k == nobj - 1)
			printf("module: %" PRIu64 " pages held, max_pages %" PRIu64 "\n",
			       U64(after.module_pages), U64(after.max_pages));
	}
	return failures;
}

static void print_summary(const struct totals *t, uint64_t checks, uint64_t bytes)
{
	unsigned int k;

	printf("ops:");
	for (k = 0; k < NR_OPS; k++)
		printf(" %s %" PRIu64, op_table[k].name, t->sum.ops[k]);
	printf("\nchecks: %" PRIu64 " (%" PRIu64 " bytes compared with the model, %" PRIu64
	       " expected SIGBUS, %" PRIu64 " expected SIGSEGV, %" PRIu64 " expected errors, %"
	       PRIu64 " pagemap entries)\n", checks, bytes, t->sum.sigbus, t->sum.sigsegv,
	       t->sum.errnos, t->sum.pagemaps);
	printf("private COW first writes: %" PRIu64 ", fork children: %" PRIu64 ", write-vs-discard "
	       "races: %" PRIu64 " (%" PRIu64 " shared with the cut inside the page)\n", t->sum.cows,
	       t->sum.children, t->sum.races, t->sum.race_cuts);
	if (t->sum.msync_einval)
		printf("note: msync(MS_SYNC) of a shared mapping failed with EINVAL %" PRIu64
		       " time(s): toymap's file_operations have no .fsync\n", t->sum.msync_einval);
}

/*
 * Reap the workers; past the alarm guard, kill them.  Returns the failures
 * seen here; *@worker_failed is set when a worker exited with a failure.
 */
static uint64_t wait_workers(pid_t *pids, unsigned int running, bool *worker_failed)
{
	uint64_t failures = 0;
	unsigned int p;
	int status;
	pid_t pid;

	while (running) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR && timed_out) {
			fprintf(stderr, "toymap-stress: FAILURE: the run did not end in %u s "
				"(alarm guard): killing %u worker(s)\n", cfg.seconds * 2 + 120,
				kill_children(pids, cfg.procs));
			failures++;
			timed_out = 0;
			continue;
		}
		if (pid < 0)
			break;
		for (p = 0; p < cfg.procs && pids[p] != pid; p++)
			;
		if (p == cfg.procs) {
			fprintf(stderr, "toymap-stress: FAILURE: process %d outlived its worker\n",
				(int)pid);
			failures++;
			continue;
		}
		pids[p] = 0;
		running--;
		if (WIFSIGNALED(status)) {
			fprintf(stderr, "toymap-stress: FAILURE: worker %u (pid %d) was killed by "
				"signal %d\n", p, (int)pid, WTERMSIG(status));
			failures++;
		} else if (WEXITSTATUS(status) != EXIT_PASS) {
			*worker_failed = true;
		}
	}
	return failures;
}

int main(int argc, char **argv)
{
	uint64_t failures, checks, bytes;
	pid_t pids[MAX_PROCS] = { 0 };
	unsigned int p, running = 0;
	bool worker_failed = false;
	struct totals totals;
	double deadline;

	psz = (size_t)toymap_page_size();
	if (parse_args(argc, argv))
		return EXIT_USAGE;
	if (setup())
		return EXIT_USAGE;
	format_cmdline();
	printf("toymap-stress: seed=%" PRIu64 " seconds=%u procs=%u threads=%u pages=%u, "
	       "objects of %" PRIu64 " pages\n  %s\n", cfg.seed, cfg.seconds, cfg.procs,
	       cfg.threads, cfg.pages, objs[0].pages, cfg.cmdline);
	fflush(stdout);
	if (install_handlers() || prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("toymap-stress: setup");
		return EXIT_USAGE;
	}
	alarm(cfg.seconds * 2 + 120);
	deadline = now() + cfg.seconds;
	for (p = 0; p < cfg.procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0) {
			perror("toymap-stress: fork");
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
			worker_failed = true;
			break;
		}
		if (pids[p] == 0)
			proc_main(p, deadline);
		running++;
	}
	failures = wait_workers(pids, running, &worker_failed);
	alarm(0);
	failures += leftover_processes();

	sum_slots(&totals);
	failures += totals.sum.failures;
	/* A worker that failed before it could count (setup) still fails the run. */
	if (worker_failed && !failures)
		failures = 1;
	checks = totals.sum.checks;
	bytes = totals.sum.bytes;
	failures += final_checks(&checks, &bytes);
	print_summary(&totals, checks, bytes);
	printf("failures: %" PRIu64 "\n", failures);
	printf("toymap-stress: %s seed=%" PRIu64 " ops=%" PRIu64 "\n", failures ? "FAIL" : "PASS",
	       cfg.seed, totals.ops);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
