/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toymap-stress: what its files share.  main.c says what the program does;
 * each file does one thing:
 *
 *   main.c		the command line, the processes, the exit status
 *   run.c		the objects and the shared model set up; the checks and the
 *			summary after the run
 *   log.c		each thread's operation log, failure reports, --verbose, the
 *			watchdog
 *   inject.c		--fail-alloc: fault injection, and which errors it explains
 *   model.c		the shadow model: its pages and locks, a thread's mappings,
 *			guarded accesses, the checks of what an access sees
 *   worker.c		the worker processes and threads: the table of operations and
 *			the one dispatch both fuzzers use; fork
 *   ops_map.c		operations on mappings: mmap, munmap, mprotect, mremap,
 *			madvise, msync, read, write, GUP
 *   ops_object.c	operations on objects: DISCARD, EVICT, fsync, SET_SWAP, INFO,
 *			unloading
 *   ops_race.c		a write racing DISCARD or EVICT of its page
 *   ops_badinput.c	bad inputs (rows of lib/toymap_badinput.c); ATTACH, DETACH
 *   ops_perm.c		who may do what: O_RDONLY descriptors, a second user
 *   ops_lookup.c	TOYMAP_IOC_LOOKUP: kinds, objects, frame identities
 *   cycle*.c		the attach cycle, a fuzzer of its own (cycle.h)
 */
#ifndef TOYMAP_STRESS_H
#define TOYMAP_STRESS_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include "libtoymap.h"
#include "toymap_badinput.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MAX_DEVICES	64
#define MAX_PROCS	64
#define MAX_THREADS	64
#define MAX_MAPS	12	/* mappings one thread holds at most */
#define MAX_MAP_PAGES	48	/* pages of one mapping at most */
#define TAIL_PAGES	8	/* modelled pages at the end of each object */
#define BEYOND_PAGES	4	/* how far a mapping may reach past the end */
#define MAX_ACCESS	64	/* bytes of one small read or write */
#define MAX_DISCARD	32	/* pages of one small discard or evict */
#define LARGE_FOLIO_PAGES 512	/* the largest folio (large_folios=1): 2 MiB */
#define EVICT_PTE_CHECKS 16	/* pages whose PTE is checked after an EVICT */
#define ZERO_CHECK_PAGES 4	/* pages read back right after a DISCARD */
#define FILE_PAGES	40	/* object pages the attach cycle maps and models */
#define READ_AHEAD	32	/* a MADV_SEQUENTIAL read from the file reads this many */
#define FILE_MAP_PAGES	16	/* pages of one attach-cycle mapping at most */
#define FILE_SLACK_PAGES 4	/* how far the backing file may reach past FILE_PAGES */
#define MAX_POKE	64	/* bytes of one change to the backing file */
#define RACE_CHUNK	64	/* bytes of one process_vm_writev racing EVICT */
#define CHILD_OPS	12	/* a fork child does 2..CHILD_OPS operations */
#define LOG_ENTRIES	50	/* operations kept per thread for the report */
#define LOG_LEN		200
/*
 * INFO may see module_pages above max_pages by the faults in flight: each
 * charges its folio before it checks the limit, up to 512 pages at once
 * with large_folios=1.
 */
#define MODULE_PAGES_SLACK	4096

#define EXIT_PASS	0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* ------------------------------------------------------------ operations */

enum op_kind {
	OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MREMAP, OP_MADVISE, OP_FORK,
	OP_READ, OP_WRITE, OP_GUP, OP_RACE, OP_MSYNC, OP_FSYNC, OP_DISCARD, OP_EVICT,
	OP_SWAP, OP_ATTACH, OP_INFO, OP_UNLOAD, OP_RDONLY, OP_USER, OP_LOOKUP, OP_FOLIOS, OP_FILE,
	NR_OPS
};

/* The operations of the attach cycle (the "file" process). */
enum fop_kind {
	FOP_ATTACH, FOP_DETACH, FOP_MMAP, FOP_MUNMAP, FOP_READ, FOP_WRITE, FOP_GUP,
	FOP_MSYNC, FOP_FSYNC, FOP_EVICT, FOP_DISCARD, FOP_PAGEOUT, FOP_POKE, FOP_SWAP,
	FOP_VERIFY, FOP_INFO, FOP_SELFIO, FOP_TRUNCATE, FOP_SPLICE, FOP_XSWAP, FOP_SEQREAD,
	FOP_ATTACH_RACE,
	NR_FOPS
};

struct worker;
struct mapping;

/*
 * struct op - one operation of a fuzzer's table
 * @name:	for --ops and the summary
 * @weight:	relative frequency; 0: never drawn
 * @run:	the operation, when it needs no mapping
 * @run_map:	the operation, when it works on one of the thread's mappings
 */
struct op {
	const char *name;
	unsigned int weight;
	int (*run)(struct worker *w);
	int (*run_map)(struct worker *w, struct mapping *m);
};

/*
 * struct fuzzer - a table of operations, and what stands in for one that
 * cannot run: an operation on a mapping when the thread holds none becomes
 * @mmap; @mmap with @max_maps mappings held becomes @munmap
 * @fallback:	drawn when no enabled operation has a weight
 * @count:	counts operation @k for the summary
 */
struct fuzzer {
	const struct op *ops;
	unsigned int nops;
	unsigned int mmap;
	unsigned int munmap;
	unsigned int max_maps;
	unsigned int fallback;
	void (*count)(struct worker *w, unsigned int k);
};

/* The workers' operations (worker.c) and the attach cycle's (cycle.c). */
extern const struct op op_table[NR_OPS];
extern const struct op fop_table[NR_FOPS];
extern const struct fuzzer worker_fuzzer;
extern const struct fuzzer cycle_fuzzer;

/* Every operation of a table, for pick_op() and run_op(). */
#define ALL_OPS		UINT64_MAX
_Static_assert(NR_OPS <= 64 && NR_FOPS <= 64, "an op mask is a uint64_t");

/* -------------------------------------------------- state of the whole run */

/* The command line, one copy per process (fork copies it). */
struct config {
	uint64_t seed;
	unsigned int seconds;
	unsigned int procs;
	unsigned int threads;
	unsigned int pages;		/* the window: modelled pages at the start */
	bool ops[NR_OPS];		/* enabled operations */
	unsigned int devices[MAX_DEVICES];
	unsigned int ndevices;
	int attach_device;		/* N of the attach cycle's object; -1: none */
	bool attach_given;		/* --attach-device was given */
	bool verbose;
	bool pfn_visible;		/* CAP_SYS_ADMIN: pagemap shows PFNs */
	bool can_unload;		/* CAP_SYS_MODULE: delete_module() is not EPERM */
	int large_folios;		/* the parameter at the start (0, 1; -errno) */
	bool has_thp;			/* the kernel has THP: MADV_HUGEPAGE works,
					 * and so does large_folios=1 */
	unsigned int fail_alloc;	/* --fail-alloc PCT: 0 off */
	char cmdline[512];		/* for the replay hint */
};
extern struct config cfg;

/*
 * Counters of one thread (and of the fork children it starts), in shared
 * memory so the first process can sum them.  Updated with atomic adds: a
 * thread and its fork child may add at the same time.
 */
struct slot {
	uint64_t ops[NR_OPS];
	uint64_t fops[NR_FOPS];	/* the attach cycle's operations */
	uint64_t checks;	/* comparisons and expectations verified */
	uint64_t bytes;		/* bytes compared with the model */
	uint64_t sigbus;	/* expected SIGBUS seen (past the end) */
	uint64_t sigsegv;	/* expected SIGSEGV seen (protection) */
	uint64_t errnos;	/* expected errors seen */
	uint64_t cows;		/* first private writes to a page (COW) */
	uint64_t pagemaps;	/* pagemap entries checked */
	uint64_t lookups;	/* TOYMAP_IOC_LOOKUP answers checked */
	uint64_t pfns;		/* ... present, with the PFN shown or hidden as expected */
	uint64_t children;	/* fork children that ran */
	uint64_t races;		/* write-vs-DISCARD races run */
	uint64_t race_cuts;	/* ... shared, with DISCARD inside the write */
	uint64_t evict_races;	/* write-vs-EVICT races run */
	uint64_t race_evicts;	/* ... EVICTs done during the writes */
	uint64_t evicted[4];	/* EVICT results: dropped, written back, swapped out, kept */
	uint64_t unmapped;	/* pages found unmapped (or COW copies kept) after EVICT */
	uint64_t swap_drops;	/* swap files dropped (and a new one set) */
	uint64_t swap_busy;	/* ... refused with EBUSY: swapped pages exist */
	uint64_t zero_pages;	/* pages read right after DISCARD/DETACH: zero */
	uint64_t cycles;	/* attach cycles done */
	uint64_t pokes_seen;	/* file changes that a later touch must see */
	uint64_t file_checks;	/* backing files compared with their model */
	uint64_t inj_enomem;	/* --fail-alloc: ENOMEM an injected failure explains */
	uint64_t inj_efault;	/* ... EFAULT (a kernel-mode fault hit VM_FAULT_OOM) */
	uint64_t inj_eagain;	/* ... EAGAIN (fork, pthread_create) */
	uint64_t inj_short;	/* ... short process_vm_readv/writev */
	uint64_t inj_siginfo;	/* ... an expected signal that came without its siginfo */
	uint64_t failures;
};

#define EVICT_DROPPED	0
#define EVICT_WRITTEN	1
#define EVICT_SWAPPED	2
#define EVICT_KEPT	3

/*
 * What the attach cycle tells the other processes about its object, so that
 * they know what ATTACH and DETACH must answer.
 * @lock:	protects @maps and @attached; the attach cycle holds it across
 *		each mmap, munmap, ATTACH and DETACH of its object, a probe
 *		across its ioctl
 * @maps:	mappings of the object that exist
 * @attached:	a file is attached
 */
struct file_state {
	pthread_mutex_t lock;
	int maps;
	int attached;
};

/* The part of the run every process shares (MAP_SHARED, created first). */
struct shared {
	pthread_mutex_t print_lock;	/* protects: reports on stderr/stdout */
	int stop;			/* set at the first failure */
	int large_folios;		/* large_folios=1 was set at some time */
	struct file_state file;
	struct slot slots[];		/* procs * threads, then the attach cycle's */
};

/*
 * struct object - one device and its shadow model
 * @index:	N of /dev/toymapN
 * @file_object: the attach cycle's object: no window model, mapped, evicted,
 *		discarded and synced by the attach cycle only
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
 * @swap_lock:	shared: keeps the swap file set while held shared (EVICT,
 *		whose counts depend on it); held exclusive to drop and replace it
 * @fd:		this process's O_RDWR descriptor
 * @fd_ro:	this process's O_RDONLY descriptor
 * @before:	TOYMAP_IOC_INFO before the run
 */
struct object {
	unsigned int index;
	bool file_object;
	uint64_t pages;
	uint64_t window;
	uint64_t tail_start;
	uint64_t nmodel;
	uint8_t *model;
	pthread_rwlock_t *locks;
	pthread_rwlock_t *swap_lock;
	int fd;
	int fd_ro;
	struct toymap_info before;
	char *swap_path;	/* shared: a general object's swap file, kept by name (issue 9 (7)) */
};

/* The general objects first, objs[0 .. ngeneral), then the attach cycle's. */
extern struct object objs[MAX_DEVICES];
extern unsigned int nobj;
extern unsigned int ngeneral;
extern struct object *fobj;	/* the attach cycle's object, or NULL */
extern struct shared *sh;
extern size_t psz;

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
	bool seq;		/* advised MADV_SEQUENTIAL somewhere: a touch may read ahead */
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
	char *argbuf;			/* the bad inputs' arguments (toymap_bad_buf()) */
	uint64_t logged;		/* log entries ever written */
	char log[LOG_ENTRIES][LOG_LEN];
};

/* The UAPI's __u64 is unsigned long long: print it with PRIu64 as uint64_t. */
#define U64(x) ((uint64_t)(x))

#define STAT_ADD(w, field, n) __atomic_fetch_add(&(w)->slot->field, (n), __ATOMIC_RELAXED)

/* A page and a byte range of it, for the access operations. */
struct target {
	struct mapping *m;
	size_t page;
	long mi;		/* model page, -1 past the end */
	size_t off;
	size_t len;
	uint8_t *addr;
};

/* ---------------------------------------------- the summary, the watchdog */

/* Every slot's counters added up (run.c). */
struct totals {
	struct slot sum;
	uint64_t ops;
};

/* The watchdog thread of the first process (log.c). */
struct watchdog {
	pid_t *pids;		/* the worker processes and the attach cycle */
	unsigned int n;
	int done;		/* set by main once every worker was reaped */
	uint64_t failures;	/* hung operations reported */
};

/* ----------------------------------------------- fault injection, probes */

/*
 * What an injected allocation failure may make an operation return (with
 * --fail-alloc, in a thread that has injection on):
 *   INJ_ENOMEM	mmap, munmap, mprotect, mremap, madvise, fork, open, msync,
 *		fsync, an ioctl, process_vm_readv/writev
 *   INJ_EFAULT	an ioctl or process_vm_* with a valid argument: a kernel-mode
 *		fault on our own memory that hit VM_FAULT_OOM is fixed up as
 *		EFAULT, and 6.1's process_vm_rw_single_vec() turns a failed pin
 *		into EFAULT
 *   INJ_EAGAIN	fork, pthread_create
 * A user-mode fault that hits VM_FAULT_OOM is retried by the kernel
 * (pagefault_out_of_memory()): a plain access sees nothing new, except an
 * expected signal without its siginfo (check_signal()).
 */
#define INJ_ENOMEM	1u
#define INJ_EFAULT	2u
#define INJ_EAGAIN	4u
#define INJ_IOCTL	(INJ_ENOMEM | INJ_EFAULT)

/* --fail-alloc: injection is on in this thread (inject.c). */
extern __thread bool fi_on;

/* The probe descriptors of this process (ops_badinput.c); a valid file for ATTACH and SET_SWAP. */
extern struct toymap_bad_fds probe;
#define PROBE_FILE	(probe.fd[TOYMAP_FD_FILE])

/* ------------------------------------------------------------------ utils */

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* splitmix64: the thread's op stream depends on this state only. */
static inline uint64_t rnd64(struct worker *w)
{
	w->rng += 0x9e3779b97f4a7c15ULL;
	return mix64(w->rng);
}

/* A number in [0, n), n > 0. */
static inline uint64_t rnd(struct worker *w, uint64_t n)
{
	return rnd64(w) % n;
}

static inline bool stopping(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_RELAXED);
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The model page of object page @pgoff, or -1 when it is not modelled. */
static inline long model_index(const struct object *o, uint64_t pgoff)
{
	if (pgoff < o->window)
		return (long)pgoff;
	if (pgoff >= o->tail_start && pgoff < o->pages)
		return (long)(o->window + pgoff - o->tail_start);
	return -1;
}

static inline uint8_t *model_page(const struct object *o, long mi)
{
	return o->model + (size_t)mi * psz;
}

/* ------------------------------------------------------------ prototypes */

/* main.c */
unsigned int kill_children(const pid_t *pids, unsigned int n);

/* run.c: set-up, the checks after the run, the summary */
void *map_shared(size_t len);
int setup(void);
void sum_slots(struct totals *t);
uint64_t final_checks(uint64_t *checks, uint64_t *bytes);
uint64_t cleanup_objects(uint64_t *checks);
void print_summary(const struct totals *t, uint64_t checks, uint64_t bytes);

/* log.c: the operation log, failure reports, the watchdog */
void __attribute__((format(printf, 2, 3))) log_op(struct worker *w, const char *fmt, ...);
void __attribute__((format(printf, 2, 3))) log_more(struct worker *w, const char *fmt, ...);
void __attribute__((format(printf, 2, 3))) fail(struct worker *w, const char *fmt, ...);
void print_lock(void);
void print_unlock(void);
void print_op(struct worker *w);
bool watches_create(void);
void watch_idle(const struct worker *w);
void *watchdog_main(void *arg);

/* inject.c: --fail-alloc */
int fi_no_rseq(char **argv);
int fi_setup(void);
void fi_start(void);
void fi_altstack_start(void);
void fi_stop(void);
bool fi_pause(void);
void fi_resume(bool was);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
bool injected(struct worker *w, int err, unsigned int allowed);
ssize_t gup_xfer(bool write, void *buf, void *addr, size_t len);
ssize_t gup_xfer_all(struct worker *w, bool write, void *buf, void *addr, size_t len);
int pagemap_entry(const void *addr, struct toymap_pte *pte);

/* model.c: locks */
int page_lock(struct worker *w, struct object *o, long mi, bool excl);
void page_unlock(struct object *o, long mi);
int range_lock(struct worker *w, struct object *o, long first, long n, bool excl);
void range_unlock(struct object *o, long first, long n);
int swap_lock(struct worker *w, struct object *o, bool excl);
void swap_unlock(struct object *o);
int file_state_lock(struct worker *w);
void file_state_unlock(void);
/* ... guarded accesses */
void fault_handler(int sig, siginfo_t *si, void *uc);
int guarded_copy(volatile uint8_t *dst, const volatile uint8_t *src, size_t len);
int guarded_copy_paced(volatile uint8_t *dst, const volatile uint8_t *src, size_t len,
		       const int *until, size_t *seen);
/* ... a thread's mappings */
unsigned int nmaps(const struct worker *w);
struct mapping *pick_map(struct worker *w);
struct mapping *free_map(struct worker *w);
unsigned int map_id(const struct worker *w, const struct mapping *m);
const char *map_desc(const struct worker *w, const struct mapping *m, char *buf, size_t len);
void drop_pages(struct mapping *m, size_t first, size_t n);
void forget_map(struct mapping *m);
void pick_range(struct worker *w, const struct mapping *m, unsigned int whole, size_t *first,
		size_t *n);
void modelled_span(const struct object *o, uint64_t pgoff, size_t pages, long *first, long *n);
void pick_object_range(struct worker *w, const struct object *o, uint64_t *first, uint64_t *n);
int open_fresh(struct worker *w, unsigned int index, int flags, int *fd);
void fill_nonzero(struct worker *w, uint8_t *buf, size_t n);
const char *prot_name(int prot);
/* ... what an access must see */
int expected_signal(const struct mapping *m, size_t i, bool write);
const char *sig_name(int sig);
bool needs_lock(const struct mapping *m, size_t i, long mi);
const uint8_t *expected_page(const struct mapping *m, size_t i, long mi);
int check_signal(struct worker *w, const struct mapping *m, size_t i, uint8_t *addr, int got,
		 int want, const char *what);
int check_pfn(struct worker *w, const struct toymap_pte *pte, const void *addr);
int check_pagemap(struct worker *w, const struct mapping *m, size_t i, uint8_t *addr);
void report_mismatch(struct worker *w, const struct mapping *m, size_t i, size_t off,
		     const uint8_t *got, const uint8_t *want, size_t len, const char *what);
int compare(struct worker *w, const struct mapping *m, size_t i, long mi, size_t off,
	    const uint8_t *got, size_t len, const char *what);
void pick_target(struct worker *w, struct mapping *m, struct target *t);

/* worker.c */
unsigned int pick_op(struct worker *w, const struct fuzzer *f, uint64_t enabled);
int run_op(struct worker *w, const struct fuzzer *f, unsigned int k, uint64_t enabled);
void __attribute__((noreturn)) proc_main(unsigned int proc, double deadline);
int op_fork(struct worker *w);

/* ops_map.c */
int check_read(struct worker *w, struct target *t);
int op_mmap(struct worker *w);
int op_munmap(struct worker *w, struct mapping *m);
int op_mprotect(struct worker *w, struct mapping *m);
int op_mremap(struct worker *w, struct mapping *m);
int op_madvise(struct worker *w, struct mapping *m);
int op_msync(struct worker *w, struct mapping *m);
int msync_redo(struct worker *w, void *addr, size_t len, int flags, bool *redone);
int op_read(struct worker *w, struct mapping *m);
int op_write(struct worker *w, struct mapping *m);
int op_gup(struct worker *w, struct mapping *m);

/* ops_object.c */
int op_discard(struct worker *w);
int op_evict(struct worker *w);
void count_evict(struct worker *w, const struct toymap_evict *ev);
int check_evicted_ptes(struct worker *w, const struct object *o, uint64_t first, uint64_t n);
int op_fsync(struct worker *w);
int set_general_swap(struct object *o);
int op_swap(struct worker *w);
int op_info(struct worker *w);
int op_unload(struct worker *w);
int op_folios(struct worker *w);
uint64_t evict_span(const struct object *o, uint64_t first, uint64_t n);

/* ops_race.c */
int op_race(struct worker *w, struct mapping *m);

/* ops_badinput.c */
int open_probe_fds(void);
int bad_input(struct worker *w, struct object *o, unsigned long cmd);
int op_attach(struct worker *w);

/* ops_perm.c */
int op_rdonly(struct worker *w);
int op_user(struct worker *w);
void user_nodes_open(void);
void user_nodes_restore(void);

/* ops_lookup.c */
int check_lookup(struct worker *w, const struct mapping *m, size_t i, const void *addr, int fd);
int op_lookup(struct worker *w, struct mapping *m);

/* cycle.c */
void __attribute__((noreturn)) file_main(double deadline);

#endif /* TOYMAP_STRESS_H */
