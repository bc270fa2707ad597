// SPDX-License-Identifier: GPL-2.0
/*
 * toymap-stress - a seeded fuzzer of the toymap objects, checked against a
 * shadow model.
 *
 *   toymap-stress [--seed S] [--seconds T] [--procs P] [--threads N]
 *                 [--pages K] [--ops LIST] [--devices LIST]
 *                 [--attach-device N|none] [--fail-alloc PCT] [--verbose]
 *
 * P processes of N threads each do random operations on the general
 * objects, every /dev/toymapN but one: mmap (shared or private, at random
 * page offsets, some reaching past the end of the object, where a touch must
 * raise SIGBUS), munmap, mprotect, mremap (shrink and move work, growth fails
 * with EFAULT), madvise, fork, reads and writes through the mapping and
 * through GUP (process_vm_readv/writev), a write racing a DISCARD or an EVICT
 * of its page, msync and fsync (which must return 0), DISCARD, EVICT (which
 * must not change a byte any mapping sees), dropping the swap file (EBUSY
 * while swapped pages exist), ATTACH and DETACH where they must fail (EBUSY
 * on a mapped object, EINVAL with nothing attached), every new ioctl with bad
 * arguments (EINVAL, EFAULT, EBADF, EOVERFLOW), INFO, and attempts to unload
 * the module (EBUSY while a device is open; delete_module() is EPERM without
 * CAP_SYS_MODULE).
 * Every general object gets a swap file in $TMPDIR (default /tmp) at the
 * start, so EVICT swaps its dirty pages out and a later touch swaps them in.
 *
 * One more process runs the attach cycle on the last device (or
 * --attach-device N), which no other process maps: attach a section of a
 * temporary file (random offset and length, sometimes past the end of the
 * file, sometimes through an O_RDONLY descriptor; a swap file or not), map,
 * read, write, msync, fsync, evict, discard, page out, change the file under
 * pages that are not resident, then unmap, detach, and compare the file byte
 * for byte with its model: write-back reaches the file only within the
 * section and the file's size (bytes past the end of the file are the page's
 * anonymous bytes; the file never grows), and only for dirty pages.  Its
 * model of the object and the file predicts every count EVICT returns and
 * every write-back INFO reports.  Other processes try ATTACH and DETACH on
 * that object while it is mapped: EBUSY.
 *
 * The mixes of issue 9 (each in its own functions, see "issue 9" below):
 * workers use O_RDONLY descriptors (DISCARD, EVICT, ATTACH, DETACH and
 * SET_SWAP with valid arguments: EBADF; INFO and PROT_READ mappings work),
 * and become a second user (a child with uid 65534, the nodes 0666 for the
 * run: it maps a general object and reads the model's bytes; mapping the
 * attach cycle's object, backed by root's 0600 file, is EACCES); O_DIRECT
 * files are bad descriptors for ATTACH and SET_SWAP (EINVAL).  The attach
 * cycle races ATTACH against mmap (an object with a dirty page: every
 * ATTACH EBUSY, and no file attached after it), writes from a mapping of
 * its object into its own backing file (write, pwrite, writev, pwritev, and
 * the reads the other way) beside an EVICT, an fsync or faults in a second
 * thread, truncates the backing file up and down beside the same, holds a
 * page in a pipe (vmsplice) across EVICT (it stays), and offers swap and backing
 * files across objects (EBUSY).  Its model frees a swap slot when a fault
 * reads the page back (the page is dirty then) or write-back writes it
 * wholly to its file.  A watchdog in the first process names an operation
 * that has not ended in WATCHDOG_SECONDS (a deadlock) with the kernel
 * stacks of its process, and ends the run even if that process cannot die.
 *
 * The shadow model lives in MAP_SHARED memory created before the first fork,
 * so every process sees it: the expected bytes of the first K pages (the
 * "window") and of the last TAIL_PAGES pages of every general object, and one
 * process-shared rwlock per page.  A shared write updates the object and the
 * model with the page's lock held exclusive; DISCARD takes every lock of its
 * range exclusive, punches the hole and zeroes the model; every read of a
 * shared page, and of a private page this mapping has not written, is
 * compared with the model with the lock held shared.  EVICT takes no page
 * lock: it runs among the reads and writes, and must change nothing they
 * see.  A private mapping keeps, in the process's own memory (so a fork
 * copies it, as the kernel copies the COW pages), a shadow of each page it
 * has written: its COW copy, which DISCARD and EVICT do not touch and
 * MADV_DONTNEED drops.  MAP_PRIVATE does not snapshot: a page the mapping has
 * not written reads whatever the object holds now.  /proc/self/pagemap must
 * agree: a COW copy is an anonymous page, every other page of the mapping the
 * object's file page; right after EVICT no page of the range is mapped; and
 * a PFN shows only to CAP_SYS_ADMIN.  Freshly discarded pages, the objects
 * at the start (every object is emptied first) and the attach cycle's object
 * after DETACH are read back and must be zero: no page reaches user space
 * without being zeroed or filled.
 *
 * Each thread draws its operations from its own PRNG, seeded from (seed,
 * process, thread), so --seed S replays the same streams of operations (not
 * their interleaving).  A failure prints the seed, the operation number and
 * the last LOG_ENTRIES operations of the failing thread.  After the run the
 * objects' windows are compared with the model, each object's vma_opens and
 * vma_closes must have grown by the same amount, and no process of the run
 * may be left; then every object is emptied, its swap file dropped, and it
 * must hold no page.  Exit status: 0 on PASS, 1 on FAIL, 2 on a usage or
 * setup error.
 *
 * --fail-alloc PCT (root, a kernel with CONFIG_FAULT_INJECTION_DEBUG_FS,
 * FAIL_PAGE_ALLOC and FAILSLAB; debugfs is mounted if need be) makes PCT
 * percent of the page and slab allocations of the stress processes fail:
 * fail_page_alloc and failslab are set with task-filter=Y (saved first and
 * restored at exit), and every worker thread, fork child, racer thread and
 * the attach cycle writes 1 to its /proc/thread-self/make-it-fail; the first
 * process (setup, the checks after the run, the cleanup) never does.  A
 * failure an injected allocation failure explains is counted, not a FAIL:
 * see INJ_ENOMEM.  The model stays exact: a failed munmap, mremap shrink,
 * mmap, fork or ioctl changed nothing the model holds (mm/mmap.c,
 * mm/mremap.c); a failed mprotect, madvise, msync or fsync may have done
 * part of its work and is redone with injection off, which must succeed; a
 * failed mremap move is read back from /proc/self/maps.  A failed or short
 * process_vm_readv/writev of bytes that must be accessible is redone, the
 * same bytes with the page's lock still held, with injection off: it must
 * move them all (a fault handler that fails a valid page, or a copy that
 * under-reports, fails the redo too), and the model takes the whole
 * access.  In the attach cycle a failed EVICT, fsync, msync, ATTACH or
 * DETACH is redone with injection off: the counters that pair adds to must
 * have grown by at least what the model predicts (the object's resident
 * pages after DETACH are exactly 0), the bytes and the file are checked
 * exactly.  If a thread's injection state or its signal stack cannot be
 * set, its process reports it and exits EXIT_FAIL.  Checks (pagemap, the
 * backing file, zero pages) and the end of each thread run with injection
 * off.  A plain access sees nothing new (a user-mode fault that hits
 * VM_FAULT_OOM is retried), but the kernel does three things of its own:
 * an expected SIGSEGV or SIGBUS may come without its siginfo (si_code
 * SI_USER, si_addr 0: the sigqueue allocation failed), counted; a signal
 * frame that needs a new stack page kills the process, so the handlers run
 * on a MAP_SHARED signal stack; and a failed write of the rseq area on the
 * way back to user space sends SIGSEGV, so the program re-executes itself
 * with glibc.pthread.rseq=0.  The run fails if nothing was injected at all.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
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
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <grp.h>

#include "libtoymap.h"

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
#define EVICT_PTE_CHECKS 16	/* pages whose PTE is checked after an EVICT */
#define ZERO_CHECK_PAGES 4	/* pages read back right after a DISCARD */
#define FILE_PAGES	40	/* object pages the attach cycle maps and models */
#define FILE_MAP_PAGES	16	/* pages of one attach-cycle mapping at most */
#define FILE_SLACK_PAGES 4	/* how far the backing file may reach past FILE_PAGES */
#define MAX_POKE	64	/* bytes of one change to the backing file */
#define RACE_CHUNK	64	/* bytes of one process_vm_writev racing EVICT */
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
	OP_READ, OP_WRITE, OP_GUP, OP_RACE, OP_MSYNC, OP_FSYNC, OP_DISCARD, OP_EVICT,
	OP_SWAP, OP_ATTACH, OP_INFO, OP_UNLOAD, OP_RDONLY, OP_USER, OP_FILE,
	NR_OPS
};

static const struct {
	const char *name;
	unsigned int weight;	/* relative frequency; 0: not drawn */
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
	[OP_RACE]	= { "race",	18, true },
	[OP_MSYNC]	= { "msync",	25, true },
	[OP_FSYNC]	= { "fsync",	12, false },
	[OP_DISCARD]	= { "discard",	30, false },
	[OP_EVICT]	= { "evict",	35, false },
	[OP_SWAP]	= { "swap",	8, false },
	[OP_ATTACH]	= { "attach",	12, false },
	[OP_INFO]	= { "info",	20, false },
	[OP_UNLOAD]	= { "unload",	3, false },
	/* Issue 9: an O_RDONLY opener, a second user (uid 65534). */
	[OP_RDONLY]	= { "rdonly",	10, false },
	[OP_USER]	= { "user",	3, false },
	/* The attach cycle: its own process; counts its operations. */
	[OP_FILE]	= { "file",	0, false },
};

/* The operations of the attach cycle (the "file" process). */
enum fop_kind {
	FOP_ATTACH, FOP_DETACH, FOP_MMAP, FOP_MUNMAP, FOP_READ, FOP_WRITE, FOP_GUP,
	FOP_MSYNC, FOP_FSYNC, FOP_EVICT, FOP_DISCARD, FOP_PAGEOUT, FOP_POKE, FOP_SWAP,
	FOP_VERIFY, FOP_INFO, FOP_SELFIO, FOP_TRUNCATE, FOP_SPLICE, FOP_XSWAP, FOP_ATTACH_RACE,
	NR_FOPS
};

static const struct {
	const char *name;
	unsigned int weight;	/* in a cycle; 0: once per cycle */
	bool needs_map;
} fop_table[NR_FOPS] = {
	[FOP_ATTACH]	= { "attach",	0, false },
	[FOP_DETACH]	= { "detach",	0, false },
	[FOP_MMAP]	= { "mmap",	30, false },
	[FOP_MUNMAP]	= { "munmap",	15, true },
	[FOP_READ]	= { "read",	110, true },
	[FOP_WRITE]	= { "write",	110, true },
	[FOP_GUP]	= { "gup",	20, true },
	[FOP_MSYNC]	= { "msync",	20, true },
	[FOP_FSYNC]	= { "fsync",	8, false },
	[FOP_EVICT]	= { "evict",	25, false },
	[FOP_DISCARD]	= { "discard",	8, false },
	[FOP_PAGEOUT]	= { "pageout",	8, true },
	[FOP_POKE]	= { "poke",	15, false },
	[FOP_SWAP]	= { "swap",	6, false },
	[FOP_VERIFY]	= { "verify",	5, false },
	[FOP_INFO]	= { "info",	8, false },
	/* Issue 9 */
	[FOP_SELFIO]	= { "selfio",	12, true },
	[FOP_TRUNCATE]	= { "truncate",	8, false },
	[FOP_SPLICE]	= { "vmsplice",	6, true },
	[FOP_XSWAP]	= { "xswap",	4, false },
	[FOP_ATTACH_RACE] = { "attach-race", 0, false },
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
	int attach_device;		/* N of the attach cycle's object; -1: none */
	bool attach_given;		/* --attach-device was given */
	bool verbose;
	bool pfn_visible;		/* CAP_SYS_ADMIN: pagemap shows PFNs */
	bool can_unload;		/* CAP_SYS_MODULE: delete_module() is not EPERM */
	unsigned int fail_alloc;	/* --fail-alloc PCT: 0 off */
	char cmdline[512];		/* for the replay hint */
} cfg;

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
static struct object objs[MAX_DEVICES];
static unsigned int nobj;
static unsigned int ngeneral;
static struct object *fobj;	/* the attach cycle's object, or NULL */
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

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static const char *prot_name(int prot)
{
	if (prot & PROT_WRITE)
		return "rw";
	return prot & PROT_READ ? "r" : "none";
}

/*
 * Descriptors for the probes of ATTACH and SET_SWAP, one set per process:
 * regular files that must be refused, and one that is valid.
 */
static struct probe_fds {
	int dir;	/* a directory: EINVAL */
	int rdonly;	/* a regular file, O_RDONLY: EBADF as a swap file */
	int wronly;	/* ... O_WRONLY: EBADF (not readable) */
	int append;	/* ... O_RDWR | O_APPEND: EINVAL */
	int rw;		/* ... O_RDWR: valid for ATTACH and SET_SWAP */
	int direct;	/* ... O_RDWR | O_DIRECT: EINVAL; -1 where no file system here has it */
} probe = { -1, -1, -1, -1, -1, -1 };

static const char *tmp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir && *dir ? dir : "/tmp";
}

/*
 * Create a temporary file in $TMPDIR and leave its name in @path: an O_RDWR
 * descriptor, or -errno.  The caller opens what else it needs by the name,
 * then unlinks it.
 */
static int temp_file(const char *what, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "%s/toymap-stress-%s.XXXXXX", tmp_dir(), what);
	fd = mkostemp(path, O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* An unlinked temporary file open read-write (a swap file): fd or -errno. */
static int temp_file_rw(const char *what)
{
	char path[PATH_MAX];
	int fd = temp_file(what, path, sizeof(path));

	if (fd >= 0)
		unlink(path);
	return fd;
}

/*
 * Issue 9 (3): a regular file open O_RDWR | O_DIRECT, which ATTACH and
 * SET_SWAP refuse with EINVAL.  tmpfs has O_DIRECT from 6.6 only: on an
 * older kernel, a file beside this program (the project tree: 9p in the
 * guest).  -1 when neither has it.
 */
static int open_direct_probe(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	const char *dirs[2] = { tmp_dir(), dir };
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	unsigned int k;
	int fd;

	dir[n > 0 ? n : 0] = 0;
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = 0;
	for (k = 0; k < ARRAY_SIZE(dirs); k++) {
		if (!dirs[k][0])
			continue;
		snprintf(path, sizeof(path), "%s/toymap-stress-direct.XXXXXX", dirs[k]);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			continue;
		close(fd);
		fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
		unlink(path);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

/* The probe descriptors of this process; -1 on failure (errno set). */
static int open_probe_fds(void)
{
	char path[PATH_MAX];
	int fd;

	fd = temp_file("probe", path, sizeof(path));
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	probe.rw = fd;
	probe.rdonly = open(path, O_RDONLY | O_CLOEXEC);
	probe.wronly = open(path, O_WRONLY | O_CLOEXEC);
	probe.append = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	probe.dir = open(tmp_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unlink(path);
	if (probe.rdonly < 0 || probe.wronly < 0 || probe.append < 0 || probe.dir < 0)
		return -1;
	probe.direct = open_direct_probe();
	/* Some bytes: what a valid ATTACH of it would show. */
	return pwrite(probe.rw, "toymap-stress probe file", 24, 0) == 24 ? 0 : -1;
}

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

/* ------------------------------------------- fault injection (--fail-alloc) */

#define DEBUGFS		"/sys/kernel/debug"
#define MAKE_IT_FAIL	"/proc/thread-self/make-it-fail"

/* The fault-injection attributes --fail-alloc sets: failslab has no highmem or order knob. */
static const char *const fi_attrs[] = { "fail_page_alloc", "failslab" };

/* What is set in each, in this order (probability last); NULL: the percentage. */
static const struct {
	const char *knob;
	const char *value;
	bool page_alloc_only;
} fi_knobs[] = {
	{ "interval", "1", false },
	{ "times", "-1", false },
	{ "space", "0", false },
	{ "verbose", "0", false },
	{ "task-filter", "Y", false },
	{ "ignore-gfp-wait", "N", false },
	{ "ignore-gfp-highmem", "N", true },
	{ "min-order", "0", true },
	{ "probability", NULL, false },
};

#define FI_MAX_SAVED	(2 * ARRAY_SIZE(fi_knobs))

/* The values found before, restored in reverse order at exit (probability first). */
static struct {
	char path[96];
	char old[32];
} fi_saved[FI_MAX_SAVED];
static unsigned int fi_nsaved;
static pid_t fi_owner;		/* the process that restores them */
static bool fi_mounted;		/* debugfs was mounted here */

/*
 * Per thread: this task's make-it-fail, open (a fork child reopens its own),
 * and whether injection is on.  Only threads that turned it on see it on:
 * the first process never does.
 */
static __thread int fi_fd = -1;
static __thread bool fi_on;

/*
 * The thread's signal stack: MAP_SHARED, so that it is never a COW page
 * after a fork.  A SIGSEGV or SIGBUS frame written to a page that needs a
 * new page (a stack page not touched yet, or COW after fork) fails under
 * injection, and the kernel then kills the process (force_sigsegv()).
 */
#define ALTSTACK_SIZE	(64 * 1024)
static __thread uint8_t *fi_altstack;

/* Read a debugfs knob into @buf (trailing newline cut): 0 or -errno. */
static int fi_read_knob(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Write @value to a knob: 0 or -errno.  Async-signal-safe. */
static int fi_write_knob(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Put every knob back as it was (probability first); at exit and on a fatal signal. */
static void fi_restore(void)
{
	unsigned int i;

	if (getpid() != fi_owner)
		return;
	for (i = fi_nsaved; i-- > 0;)
		fi_write_knob(fi_saved[i].path, fi_saved[i].old);
	fi_nsaved = 0;
	if (fi_mounted && !umount2(DEBUGFS, MNT_DETACH))
		fi_mounted = false;
}

static void fi_signal(int sig)
{
	fi_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A directory with no entry: a mount point with nothing mounted on it. */
static bool dir_is_empty(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *d;
	bool empty = true;

	if (!dir)
		return false;
	while (empty && (d = readdir(dir)))
		empty = !strcmp(d->d_name, ".") || !strcmp(d->d_name, "..");
	closedir(dir);
	return empty;
}

/*
 * --fail-alloc: mount debugfs if need be, save the fail_page_alloc and
 * failslab settings, restore them at exit, and set them: PCT percent of the
 * allocations of the tasks that turned make-it-fail on fail.  0, or -1 after
 * a message (a setup error).
 */
static int fi_setup(void)
{
	char path[96], value[32];
	unsigned int a, k;
	int err;

	if (geteuid() != 0) {
		fprintf(stderr, "toymap-stress: --fail-alloc needs root (debugfs fault injection)\n");
		return -1;
	}
	if (access(DEBUGFS "/fail_page_alloc", F_OK) && dir_is_empty(DEBUGFS)) {
		if (mount("debugfs", DEBUGFS, "debugfs", 0, NULL)) {
			fprintf(stderr, "toymap-stress: --fail-alloc: mounting debugfs on %s: %s\n",
				DEBUGFS, strerror(errno));
			return -1;
		}
		fi_mounted = true;
	}
	fi_owner = getpid();
	atexit(fi_restore);
	signal(SIGINT, fi_signal);
	signal(SIGTERM, fi_signal);
	signal(SIGHUP, fi_signal);
	for (a = 0; a < 2; a++) {
		snprintf(path, sizeof(path), DEBUGFS "/%s", fi_attrs[a]);
		if (access(path, F_OK)) {
			fprintf(stderr, "toymap-stress: --fail-alloc needs %s (CONFIG_FAULT_INJECTION_"
				"DEBUG_FS, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAILSLAB): %s\n", path,
				strerror(errno));
			return -1;
		}
	}
	if (access(MAKE_IT_FAIL, W_OK)) {
		fprintf(stderr, "toymap-stress: --fail-alloc needs %s: %s\n", MAKE_IT_FAIL,
			strerror(errno));
		return -1;
	}
	/* Save everything first: a failure half-way restores what was saved. */
	for (a = 0; a < 2; a++) {
		for (k = 0; k < ARRAY_SIZE(fi_knobs); k++) {
			if (a && fi_knobs[k].page_alloc_only)
				continue;
			snprintf(path, sizeof(path), DEBUGFS "/%s/%s", fi_attrs[a], fi_knobs[k].knob);
			err = fi_read_knob(path, value, sizeof(value));
			if (err) {
				fprintf(stderr, "toymap-stress: --fail-alloc: reading %s: %s\n", path,
					strerror(-err));
				return -1;
			}
			snprintf(fi_saved[fi_nsaved].path, sizeof(fi_saved[0].path), "%s", path);
			snprintf(fi_saved[fi_nsaved].old, sizeof(fi_saved[0].old), "%s", value);
			fi_nsaved++;
		}
	}
	for (k = 0; k < fi_nsaved; k++) {
		const char *knob = strrchr(fi_saved[k].path, '/') + 1;
		unsigned int j;

		for (j = 0; strcmp(fi_knobs[j].knob, knob); j++)
			;
		snprintf(value, sizeof(value), "%u", cfg.fail_alloc);
		err = fi_write_knob(fi_saved[k].path, fi_knobs[j].value ? fi_knobs[j].value : value);
		if (err) {
			fprintf(stderr, "toymap-stress: --fail-alloc: writing %s: %s\n",
				fi_saved[k].path, strerror(-err));
			return -1;
		}
	}
	printf("toymap-stress: fault injection: fail_page_alloc and failslab probability=%u%% "
	       "interval=1 times=-1 space=0 verbose=0 task-filter=Y ignore-gfp-wait=N, "
	       "fail_page_alloc ignore-gfp-highmem=N min-order=0%s; restored at exit\n",
	       cfg.fail_alloc, fi_mounted ? " (debugfs mounted here)" : "");
	fflush(stdout);
	return 0;
}

/*
 * This thread's injection state could not be set: running on would have the
 * kernel's make-it-fail and fi_on out of step (an injected failure taken
 * for a bug, or a check run with injection on).  Report it and end the
 * process: it exits EXIT_FAIL, which fails the run.
 */
static void __attribute__((noreturn)) fi_fatal(const char *what, int err)
{
	fprintf(stderr, "toymap-stress: FAILURE seed=%" PRIu64 " pid %d tid %d: --fail-alloc: "
		"%s: %s; the process stops\n", cfg.seed, (int)getpid(), (int)gettid(), what,
		strerror(err));
	fflush(NULL);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	_exit(EXIT_FAIL);
}

/* Set this task's make-it-fail; retried, as the write itself may fail while it is on. */
static void fi_write(bool on)
{
	char c = on ? '1' : '0';
	unsigned int tries;
	int err = 0;

	if (fi_fd < 0)
		return;
	for (tries = 0; tries < 1000; tries++) {
		if (write(fi_fd, &c, 1) == 1) {
			fi_on = on;
			return;
		}
		err = errno;
	}
	fi_fatal(on ? "writing 1 to " MAKE_IT_FAIL " failed 1000 times" :
		 "writing 0 to " MAKE_IT_FAIL " failed 1000 times", err);
}

/*
 * Turn injection on for this thread: a worker thread, a fork child (whose
 * make_it_fail, inherited, is on already, and whose descriptor was its
 * parent thread's), a racer thread, the attach cycle.
 */
static void fi_start(void)
{
	unsigned int tries;

	if (!cfg.fail_alloc)
		return;
	if (fi_fd >= 0)
		close(fi_fd);
	fi_fd = -1;
	for (tries = 0; tries < 1000 && fi_fd < 0; tries++)
		fi_fd = open(MAKE_IT_FAIL, O_WRONLY | O_CLOEXEC);
	if (fi_fd < 0)
		fi_fatal("opening " MAKE_IT_FAIL " failed 1000 times", errno);
	fi_write(true);
}

/*
 * The signal stack of a worker thread or the attach cycle, made with
 * injection off; a fork child shares its parent's (inherited), whose page
 * table entries fork did not copy: map them now, by user-mode stores (a
 * user-mode fault that fails is retried).
 */
static void fi_altstack_start(void)
{
	stack_t ss = { .ss_size = ALTSTACK_SIZE };
	size_t k;
	void *p;

	if (!cfg.fail_alloc)
		return;
	if (fi_altstack) {
		for (k = 0; k < ALTSTACK_SIZE; k += psz)
			((volatile uint8_t *)fi_altstack)[k] = 0;
		return;
	}
	p = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		fi_fatal("mmap of the signal stack", errno);
	ss.ss_sp = p;
	if (sigaltstack(&ss, NULL))
		fi_fatal("sigaltstack", errno);
	fi_altstack = p;
}

/* Off for good: the end of a thread. */
static void fi_stop(void)
{
	stack_t ss = { .ss_flags = SS_DISABLE };

	fi_write(false);
	if (fi_fd >= 0)
		close(fi_fd);
	fi_fd = -1;
	if (fi_altstack && !sigaltstack(&ss, NULL))
		munmap(fi_altstack, ALTSTACK_SIZE);
	fi_altstack = NULL;
}

/*
 * With --fail-alloc glibc must not register rseq: on the way back to user
 * space the kernel writes the thread's rseq area (__rseq_handle_notify_resume()),
 * and when that write needs a page (COW after a fork, even a failed one) and
 * the allocation is failed, it sends the thread a SIGSEGV (SI_KERNEL, si_addr
 * 0) out of the blue, or kills the process if it was delivering a SIGSEGV.
 * Re-executes this program once with glibc.pthread.rseq=0.  -1 on failure.
 */
static int fi_no_rseq(char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char val[512];

	if (!__rseq_size)
		return 0;
	if (old && strstr(old, "glibc.pthread.rseq=0")) {
		fprintf(stderr, "toymap-stress: --fail-alloc: glibc registered rseq despite "
			"GLIBC_TUNABLES=%s\n", old);
		return -1;
	}
	snprintf(val, sizeof(val), "%s%sglibc.pthread.rseq=0", old ? old : "",
		 old && *old ? ":" : "");
	setenv("GLIBC_TUNABLES", val, 1);
	fflush(NULL);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "toymap-stress: --fail-alloc: re-executing with GLIBC_TUNABLES=%s: %s\n",
		val, strerror(errno));
	return -1;
}

/* Off for a step that must not fail (a check, a recovery); returns what to resume. */
static bool fi_pause(void)
{
	bool was = fi_on;

	if (was)
		fi_write(false);
	return was;
}

static void fi_resume(bool was)
{
	if (was)
		fi_write(true);
}

/* malloc() and calloc() for the model: an injected failure is retried without injection. */
static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	bool was;

	if (p || !fi_on)
		return p;
	was = fi_pause();
	p = malloc(n);
	fi_resume(was);
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	bool was;

	if (p || !fi_on)
		return p;
	was = fi_pause();
	p = calloc(n, size);
	fi_resume(was);
	return p;
}

/* --------------------------------------------------------- the op log */

/*
 * The watchdog's view of each slot (a worker thread with its fork children,
 * the attach cycle): the operation it started last, and when.  A kernel
 * deadlock leaves a thread in one operation for good: the watchdog thread of
 * the first process reports it (which operation, the kernel stacks of the
 * process's tasks) after WATCHDOG_SECONDS, kills the run, and ends it even
 * when the stuck tasks cannot be killed (D state).
 */
#define WATCHDOG_SECONDS	90

struct watch {
	double started;		/* now() at the start of the operation; 0: idle */
	int pid;
	int tid;
	char what[LOG_LEN];
};

static struct watch *watches;	/* shared: one per slot; NULL until the run starts */

static void watch_note(const struct worker *w, const char *what)
{
	struct watch *x;

	if (!watches || !w->slot)
		return;
	x = &watches[w->slot - sh->slots];
	__atomic_store_n(&x->pid, (int)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&x->tid, (int)gettid(), __ATOMIC_RELAXED);
	snprintf(x->what, sizeof(x->what), "%s", what);
	x->started = now();
}

/* The thread is done: nothing to watch. */
static void watch_idle(const struct worker *w)
{
	if (watches && w->slot)
		watches[w->slot - sh->slots].started = 0;
}

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
	watch_note(w, e);
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
	if (w->proc == cfg.procs)
		snprintf(buf, len, "the attach cycle of toymap%u (pid %d)",
			 fobj ? fobj->index : 0, (int)getpid());
	else
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

	fi_pause();	/* the report must not fail; the thread stops */
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

/* True, counted and logged, when an injected failure explains errno @err here. */
static bool injected(struct worker *w, int err, unsigned int allowed)
{
	if (!fi_on)
		return false;
	if (err == ENOMEM && (allowed & INJ_ENOMEM))
		STAT_ADD(w, inj_enomem, 1);
	else if (err == EFAULT && (allowed & INJ_EFAULT))
		STAT_ADD(w, inj_efault, 1);
	else if (err == EAGAIN && (allowed & INJ_EAGAIN))
		STAT_ADD(w, inj_eagain, 1);
	else
		return false;
	log_more(w, " -> %s (injected)", strerror(err));
	return true;
}

/* process_vm_writev (@write) or process_vm_readv of @len bytes between @buf and @addr. */
static ssize_t gup_xfer(bool write, void *buf, void *addr, size_t len)
{
	struct iovec local = { buf, len }, remote = { addr, len };

	return write ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0) :
		       process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
}

/*
 * gup_xfer() of bytes that must all be accessible.  An error an injected
 * failure explains (ENOMEM, EFAULT) or a short count is not taken on trust:
 * the same call, of the same bytes (the caller's page lock still held), is
 * redone with injection off and must move all @len bytes, and only then is
 * the failure counted; what the caller sees is the redone call, so the model
 * takes all or nothing.  A module fault handler that fails a valid page, or
 * a copy that under-reports, fails the redo too.  Returns the count (errno
 * set when negative).
 */
static ssize_t gup_xfer_all(struct worker *w, bool write, void *buf, void *addr, size_t len)
{
	ssize_t n = gup_xfer(write, buf, addr, len), redo;
	int err = n < 0 ? errno : 0, rerr;
	bool was;

	if (n == (ssize_t)len || !fi_on || (n < 0 && err != ENOMEM && err != EFAULT)) {
		errno = err;
		return n;
	}
	was = fi_pause();
	redo = gup_xfer(write, buf, addr, len);
	rerr = redo < 0 ? errno : 0;
	fi_resume(was);
	if (redo != (ssize_t)len) {
		log_more(w, " -> %zd (%s), redone without injection: %zd (%s)", n,
			 n < 0 ? strerror(err) : "short", redo, redo < 0 ? strerror(rerr) : "short");
		errno = rerr;
		return redo;
	}
	if (n < 0) {
		injected(w, err, INJ_ENOMEM | INJ_EFAULT);
	} else {
		STAT_ADD(w, inj_short, 1);
		log_more(w, " -> %zd of %zu bytes (injected)", n, len);
	}
	log_more(w, ", redone");
	return redo;
}

/* /proc/self/pagemap, read with injection off: a check must not fail. */
static int pagemap_entry(const void *addr, struct toymap_pte *pte)
{
	bool was = fi_pause();
	int err = toymap_pagemap(addr, pte);

	fi_resume(was);
	return err;
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
	/*
	 * The signal came, but the sigqueue entry for its siginfo could not be
	 * allocated (__send_signal_locked(): "a silent loss of information"):
	 * si_code SI_USER, si_addr 0.
	 */
	if (fi_on && fault_code == SI_USER && !fault_addr) {
		STAT_ADD(w, inj_siginfo, 1);
		if (got == SIGBUS)
			STAT_ADD(w, sigbus, 1);
		else
			STAT_ADD(w, sigsegv, 1);
		log_more(w, " -> %s as expected, its siginfo lost (injected)", sig_name(got));
		return 0;
	}
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
 * A present pagemap entry shows the PFN to CAP_SYS_ADMIN only: to anyone
 * else the PFN bits read as 0, whatever the page.
 */
static int check_pfn(struct worker *w, const struct toymap_pte *pte, const void *addr)
{
	if (!pte->present)
		return 0;
	STAT_ADD(w, checks, 1);
	if ((pte->pfn != 0) == cfg.pfn_visible) {
		STAT_ADD(w, pfns, 1);
		return 0;
	}
	fail(w, "pagemap of %p: %s, expected %s", addr,
	     pte->pfn ? "a PFN shows" : "PFN 0",
	     cfg.pfn_visible ? "the PFN (we have CAP_SYS_ADMIN)" :
	     "no PFN (no CAP_SYS_ADMIN): the frame number leaked");
	return -1;
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

	err = pagemap_entry(addr, &pte);
	if (err) {
		fail(w, "reading /proc/self/pagemap: %s", strerror(-err));
		return -1;
	}
	STAT_ADD(w, pagemaps, 1);
	if (check_pfn(w, &pte, addr))
		return -1;
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
	uint8_t *shadow = xmalloc(psz);

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
		ssize_t n = want ? gup_xfer(true, w->buf, t->addr, t->len) :
				   gup_xfer_all(w, true, w->buf, t->addr, t->len);
		int err = n < 0 ? errno : 0;

		STAT_ADD(w, checks, 1);
		if (want && n < 0 && err != EFAULT && injected(w, err, INJ_ENOMEM))
			goto out;
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
	ssize_t n;
	int ret = 0;

	if (locked && page_lock(w, m->obj, t->mi, false))
		return -1;
	n = want_fault ? gup_xfer(false, w->buf, t->addr, t->len) :
			 gup_xfer_all(w, false, w->buf, t->addr, t->len);
	STAT_ADD(w, checks, 1);
	if (want_fault && n < 0 && errno != EFAULT && injected(w, errno, INJ_ENOMEM)) {
		/* Nothing to check. */
	} else if (want_fault && n < 0 && errno == EFAULT) {
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

/* ---------------------------------------- a write racing DISCARD or EVICT */

/*
 * The other side of op_race(): DISCARD one page as soon as told to, or EVICT
 * it again and again until the write is done.
 */
struct racer {
	struct object *obj;
	uint64_t pgoff;
	bool evict;		/* EVICT in a loop, not one DISCARD */
	int go;			/* set when the write starts */
	int writer_done;	/* set when the write is done (the EVICT loop ends) */
	int done;		/* set when the DISCARD (the last EVICT) returned */
	int err;		/* toymap_discard()'s or toymap_evict()'s result */
	unsigned int evicts;	/* EVICTs done */
	bool bad_counts;	/* an EVICT returned inconsistent counts: @bad */
	struct toymap_evict bad;
	unsigned int inj_enomem;	/* --fail-alloc: failures injection explains */
	unsigned int inj_efault;
};

/* The racer's injected(): an EVICT's -errno @err an injected failure explains. */
static bool racer_injected(struct racer *r, int err)
{
	if (!fi_on || (err != -ENOMEM && err != -EFAULT))
		return false;
	if (err == -ENOMEM)
		r->inj_enomem++;
	else
		r->inj_efault++;
	return true;
}

/* Add the racer's injected failures to the thread's. */
static void racer_count(struct worker *w, const struct racer *r)
{
	STAT_ADD(w, inj_enomem, r->inj_enomem);
	STAT_ADD(w, inj_efault, r->inj_efault);
	if (r->inj_enomem + r->inj_efault)
		log_more(w, " (racer: %u ENOMEM, %u EFAULT injected)", r->inj_enomem, r->inj_efault);
}

/* EVICT one page until the writer is done; 0 or -errno. */
static int racer_evict(struct racer *r)
{
	struct toymap_evict ev;
	int err;

	do {
		err = pthread_rwlock_rdlock(r->obj->swap_lock);
		if (err)
			return -err;
		err = toymap_evict(r->obj->fd, r->pgoff * psz, psz, &ev);
		pthread_rwlock_unlock(r->obj->swap_lock);
		if (err && racer_injected(r, err))
			continue;
		if (err)
			return err;
		r->evicts++;
		/* One page of an anonymous object: nothing written back, at most one page. */
		if (!r->bad_counts && (ev.written_back || ev.kept + ev.swapped_out > 1 ||
				       ev.dropped > 1)) {
			r->bad = ev;
			r->bad_counts = true;
		}
		sched_yield();
	} while (!__atomic_load_n(&r->writer_done, __ATOMIC_ACQUIRE));
	return 0;
}

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	unsigned int spins = 0;

	fi_start();
	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		if (++spins % 64 == 0)
			sched_yield();
	if (r->evict) {
		r->err = racer_evict(r);
	} else {
		/* DISCARD allocates nothing: any error fails the race, as in op_discard(). */
		r->err = toymap_discard(r->obj->fd, r->pgoff * psz, psz);
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	fi_stop();
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

/*
 * Start the racer, write @len bytes of w->buf at @page while it discards,
 * join.  0; 1 when no thread could be started (injected: nothing written).
 */
static int race_run(struct worker *w, struct racer *r, uint8_t *page, size_t len, size_t *seen)
{
	pthread_t tid;
	int sig, err;

	err = pthread_create(&tid, NULL, racer_main, r);
	if (err && injected(w, err, INJ_ENOMEM | INJ_EAGAIN))
		return 1;
	if (err) {
		fail(w, "race: pthread_create: %s", strerror(err));
		return -1;
	}
	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
	sig = guarded_copy_paced(page, w->buf, len, &r->done, seen);
	pthread_join(tid, NULL);
	racer_count(w, r);
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
		ps->shadow = xmalloc(psz);
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

	sig = race_run(w, &r, page, half, &seen);
	if (sig)
		return sig < 0 ? -1 : 0;
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

/*
 * The write for race_evict_page(): @len bytes of w->buf to @page, 32 bytes at
 * a time with a yield between (CPU stores), or RACE_CHUNK bytes at a time
 * through process_vm_writev (@gup: the kernel writes through a pinned page).
 * Returns 0, a signal, or -1 after a failure report.
 */
static int race_evict_write(struct worker *w, uint8_t *page, size_t len, bool gup)
{
	static const int never;
	size_t seen, k, n;
	ssize_t done;

	if (!gup)
		return guarded_copy_paced(page, w->buf, len, &never, &seen);
	for (k = 0; k < len; k += n) {
		n = len - k < RACE_CHUNK ? len - k : RACE_CHUNK;
		/* Injected: the chunk is redone without injection, the race needs every byte. */
		done = gup_xfer_all(w, true, w->buf + k, page + k, n);
		if (done != (ssize_t)n) {
			fail(w, "race: process_vm_writev of %zu bytes at %p: %zd (%s)", n,
			     (void *)(page + k), done, done < 0 ? strerror(errno) : "short");
			return -1;
		}
		sched_yield();
	}
	return 0;
}

/*
 * The thread's write races EVICTs of the same page by a helper thread, which
 * evicts it again and again until the write is done: the write-back, the
 * swap file and the swap-in against page_mkwrite, a CPU store or a pinned
 * page (GUP).  EVICT must lose nothing: a shared write is all in the object
 * after; a private one is all in the private page, over a copy of the
 * object's page, which stays as it was.  @obj_view is a second, shared
 * mapping of the page; @old, @view and @now buffers of a page.
 */
static int race_evict_page(struct worker *w, struct mapping *m, size_t i, long mi,
			   uint8_t *obj_view, uint8_t *old, uint8_t *view, uint8_t *now)
{
	size_t len = m->shared ? psz : psz / 2;
	struct racer r = { .obj = m->obj, .pgoff = m->pgoff + i, .evict = true };
	uint8_t *page = m->addr + i * psz;
	bool gup = rnd(w, 2);
	pthread_t tid;
	int sig, err;

	log_more(w, " (evict, %s)", gup ? "process_vm_writev" : "stores");
	/* The old content: a pattern in the object (and what a copy of it holds). */
	fill_nonzero(w, w->buf2, psz);
	fill_nonzero(w, w->buf, len);
	sig = guarded_copy(obj_view, w->buf2, psz);
	if (sig) {
		fail(w, "race: %s filling object page %" PRIu64, sig_name(sig), r.pgoff);
		return -1;
	}
	memcpy(model_page(m->obj, mi), w->buf2, psz);
	memcpy(old, expected_page(m, i, mi), psz);

	err = pthread_create(&tid, NULL, racer_main, &r);
	if (err && injected(w, err, INJ_ENOMEM | INJ_EAGAIN))
		return 0;
	if (err) {
		fail(w, "race: pthread_create: %s", strerror(err));
		return -1;
	}
	__atomic_store_n(&r.go, 1, __ATOMIC_RELEASE);
	sig = race_evict_write(w, page, len, gup);
	__atomic_store_n(&r.writer_done, 1, __ATOMIC_RELEASE);
	pthread_join(tid, NULL);
	racer_count(w, &r);
	STAT_ADD(w, evict_races, 1);
	STAT_ADD(w, race_evicts, r.evicts);
	STAT_ADD(w, checks, 1);
	if (sig < 0)
		return -1;
	if (sig || r.err) {
		fail(w, "race: the write to object page %" PRIu64 ": %s; the EVICTs: %s", r.pgoff,
		     sig_name(sig), r.err ? strerror(-r.err) : "done");
		return -1;
	}
	if (r.bad_counts) {
		fail(w, "race: EVICT of one page of toymap%u (anonymous, swap file set) returned "
		     "dropped %" PRIu64 " written back %" PRIu64 " swapped out %" PRIu64 " kept %"
		     PRIu64 ": expected nothing written back, at most one page dropped, at most "
		     "one swapped out or kept", m->obj->index, U64(r.bad.dropped),
		     U64(r.bad.written_back), U64(r.bad.swapped_out), U64(r.bad.kept));
		return -1;
	}
	log_more(w, " -> %u evicts", r.evicts);
	sig = guarded_copy(now, obj_view, psz);
	if (!sig)
		sig = guarded_copy(view, page, psz);
	if (sig) {
		fail(w, "race: %s reading object page %" PRIu64 " back", sig_name(sig), r.pgoff);
		return -1;
	}
	if (m->shared) {
		/* Every byte written, in the object and in the racing mapping. */
		memcpy(model_page(m->obj, mi), w->buf, psz);
		if (compare(w, m, i, mi, 0, now, psz, "race: the object page after a write "
			    "raced EVICT (lost bytes?)"))
			return -1;
		return compare(w, m, i, mi, 0, view, psz, "race: the racing mapping after EVICT");
	}
	/* The object as it was; the private page: the write over the copy. */
	STAT_ADD(w, checks, 1);
	if (memcmp(now, model_page(m->obj, mi), psz)) {
		report_mismatch(w, m, i, 0, now, model_page(m->obj, mi), psz, "race: the object "
				"page (read through a second, shared mapping) after a private write "
				"raced EVICT");
		return -1;
	}
	memcpy(old, w->buf, len);
	if (memcmp(view, old, psz)) {
		report_mismatch(w, m, i, 0, view, old, psz, "race: the private page after its "
				"write raced EVICT");
		return -1;
	}
	if (!m->ps[i].cow) {
		m->ps[i].shadow = xmalloc(psz);
		if (!m->ps[i].shadow) {
			fail(w, "out of memory");
			return -1;
		}
		m->ps[i].cow = true;
		STAT_ADD(w, cows, 1);
	}
	memcpy(m->ps[i].shadow, view, psz);
	return 0;
}

static int op_race(struct worker *w, struct mapping *m)
{
	size_t i = rnd(w, m->pages);
	long mi = model_index(m->obj, m->pgoff + i);
	bool evict = cfg.ops[OP_EVICT] && !rnd(w, 3);
	uint8_t *obj_view, *old, *view, *now;
	char desc[128];
	struct target t;
	int ret = -1;

	log_op(w, "race %s page %zu: write vs %s", map_desc(w, m, desc, sizeof(desc)), i,
	       evict ? "evict" : "discard");
	if (mi < 0 || m->ps[i].prot != (PROT_READ | PROT_WRITE)) {
		/* Not a writable page of the object: read it instead. */
		log_more(w, " (not writable: a read)");
		t = (struct target) { .m = m, .page = i, .mi = mi, .len = psz,
				      .addr = m->addr + i * psz };
		return check_read(w, &t);
	}
	old = xmalloc(psz);
	view = xmalloc(psz);
	now = xmalloc(psz);
	obj_view = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, m->obj->fd,
			(off_t)((m->pgoff + i) * psz));
	if (obj_view == MAP_FAILED && injected(w, errno, INJ_ENOMEM)) {
		ret = 0;
		goto out;
	}
	if (!old || !view || !now || obj_view == MAP_FAILED) {
		fail(w, "race: no memory, or mmap of the object page: %s", strerror(errno));
		goto out;
	}
	if (page_lock(w, m->obj, mi, true))
		goto out;
	if (evict)
		ret = race_evict_page(w, m, i, mi, obj_view, old, view, now);
	else
		ret = race_page(w, m, i, mi, obj_view, old, view);
	page_unlock(m->obj, mi);
out:
	if (obj_view != MAP_FAILED) {
		bool was = fi_pause();	/* it must go */

		munmap(obj_view, psz);
		fi_resume(was);
	}
	free(now);
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
	if (p == MAP_FAILED && errno != EACCES && injected(w, errno, INJ_ENOMEM))
		return 0;
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
		err = pagemap_entry(m->addr + i * psz, &pte);
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
	struct object *o = &objs[rnd(w, ngeneral)];
	bool shared = rnd(w, 2), fresh = !rnd(w, 4), ro_fd, populate;
	int prot = pick_prot(w), flags, fd;
	struct mapping *m = free_map(w);
	long lock_first = -1, lock_n = 0;
	size_t pages, i;
	uint64_t pgoff;
	int ret = -1;
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
		if (fd < 0 && injected(w, -fd, INJ_ENOMEM))
			return 0;
		if (fd < 0) {
			fail(w, "open /dev/toymap%u: %s", o->index, strerror(-fd));
			return -1;
		}
	}
	/* A private writable populate copies pages: hold their locks (ascending). */
	if (populate && !shared && (prot & PROT_WRITE)) {
		modelled_span(o, pgoff, pages, &lock_first, &lock_n);
		if (lock_n && range_lock(w, o, lock_first, lock_n, false))
			goto out_close;
	}
	p = mmap(NULL, pages * psz, prot, flags, fd, (off_t)(pgoff * psz));
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED && injected(w, errno, INJ_ENOMEM)) {
		ret = 0;
		goto out_unlock;
	}
	if (p == MAP_FAILED) {
		fail(w, "mmap of %zu pages at page offset %" PRIu64 " of toymap%u: %s", pages,
		     pgoff, o->index, strerror(errno));
		goto out_unlock;
	}
	*m = (struct mapping) {
		.used = true, .addr = p, .obj = o, .pgoff = pgoff, .pages = pages,
		.shared = shared, .ro_fd = ro_fd,
	};
	m->ps = xcalloc(pages, sizeof(*m->ps));
	if (!m->ps) {
		fail(w, "out of memory");
		goto out_unlock;
	}
	for (i = 0; i < pages; i++)
		m->ps[i].prot = (uint8_t)prot;
	log_more(w, " at %p", p);
	if (lock_n && note_populated_cows(w, m))
		goto out_unlock;
	ret = 0;
out_unlock:
	if (lock_n)
		range_unlock(o, lock_first, lock_n);
out_close:
	if (fresh)
		close(fd);
	return ret;
}

/* Unmap all, a head, a tail, or a middle of a mapping (the last splits the record). */
static int op_munmap(struct worker *w, struct mapping *m)
{
	struct mapping *right = NULL;
	size_t first, n;
	char desc[128];
	int err;

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
	err = munmap(m->addr + first * psz, n * psz) ? errno : 0;
	/* A failed munmap unmapped nothing (do_mas_align_munmap()), but may have split VMAs. */
	if (err && injected(w, err, INJ_ENOMEM)) {
		m->split = true;
		return 0;
	}
	if (err) {
		fail(w, "munmap of pages %zu+%zu of map%u: %s", first, n, map_id(w, m),
		     strerror(err));
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
		right->ps = xcalloc(right->pages, sizeof(*right->ps));
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
	/*
	 * A failed mprotect may have changed some VMAs of the range and not the
	 * others (do_mprotect_pkey() stops at the first error): redo it with
	 * injection off, which must then do what was asked.
	 */
	if (err && err != want && injected(w, err, INJ_ENOMEM)) {
		bool was = fi_pause();

		err = mprotect(m->addr + first * psz, n * psz, prot) ? errno : 0;
		fi_resume(was);
		m->split = true;
		log_more(w, ", redone: %s", err ? strerror(err) : "done");
	}
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
	if (p == MAP_FAILED && errno != EFAULT && injected(w, errno, INJ_ENOMEM))
		return 0;
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
	/* Shrinking is a munmap of the tail: a failed one unmapped nothing. */
	if (p == MAP_FAILED && injected(w, errno, INJ_ENOMEM)) {
		m->split = true;
		return 0;
	}
	if (p != m->addr) {
		fail(w, "mremap shrinking map%u from %zu to %zu pages: %s", map_id(w, m),
		     m->pages, new_pages, p == MAP_FAILED ? strerror(errno) : "moved");
		return -1;
	}
	drop_pages(m, new_pages, m->pages - new_pages);
	m->pages = new_pages;
	return 0;
}

/* What /proc/self/maps says of the VMA that holds an address. */
struct vma_info {
	int toymap;		/* N of the /dev/toymapN it maps, or -1 */
	uint64_t pgoff;		/* the file page at the address */
};

/* Look @addr up in /proc/self/maps (injection off): 0, 1 when unmapped, -1 on error. */
static int find_vma(const void *addr, struct vma_info *v)
{
	uintptr_t a = (uintptr_t)addr;
	unsigned long start, end, off;
	char line[512], *path;
	unsigned int idx;
	bool was = fi_pause();
	int ret = 1, n;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f) {
		fi_resume(was);
		return -1;
	}
	while (ret == 1 && fgets(line, sizeof(line), f)) {
		n = 0;
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s%n", &start, &end, &off, &n) < 3 ||
		    !n || a < start || a >= end)
			continue;
		path = line + n + strspn(line + n, " ");
		path[strcspn(path, "\n")] = 0;
		v->toymap = sscanf(path, TOYMAP_DEV_PREFIX "%u", &idx) == 1 ? (int)idx : -1;
		v->pgoff = off / psz + (a - start) / psz;
		ret = 0;
	}
	fclose(f);
	fi_resume(was);
	return ret;
}

/* Page @i of @m is still mapped where the model has it. */
static bool vma_maps(const struct vma_info *v, const struct mapping *m, size_t i)
{
	return v->toymap == (int)m->obj->index && v->pgoff == m->pgoff + i;
}

/*
 * An injected failure stopped a move of @m onto a placeholder as @new_pages pages.
 * mremap_to() may have unmapped the placeholder and the tail past
 * @new_pages before it failed; move_vma() moves the page tables back and
 * unmaps the new range (if that munmap fails too, the range stays mapped,
 * empty).  The mapping is at its old address: read back whether the tail
 * is, and check every page.  Whatever is left at the placeholder stays until the
 * process exits: once the placeholder may be gone, another thread may map
 * something there, and no test tells the two apart for sure.
 */
static int mremap_move_failed(struct worker *w, struct mapping *m, size_t new_pages)
{
	size_t len = new_pages * psz;
	struct vma_info v;
	int r;

	m->split = true;
	r = find_vma(m->addr, &v);
	if (r || !vma_maps(&v, m, 0)) {
		fail(w, "after a failed mremap move, map%u is not at %p any more (%s)", map_id(w, m),
		     (void *)m->addr, r < 0 ? "cannot read /proc/self/maps" : "maps says so");
		return -1;
	}
	if (new_pages < m->pages) {
		r = find_vma(m->addr + len, &v);
		if (r < 0) {
			fail(w, "reading /proc/self/maps: %s", strerror(errno));
			return -1;
		}
		if (r || !vma_maps(&v, m, new_pages)) {
			log_more(w, ", tail unmapped");
			drop_pages(m, new_pages, m->pages - new_pages);
			m->pages = new_pages;
		}
	}
	return check_map_pages(w, m, 0, m->pages);
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
	if (dst == MAP_FAILED && injected(w, errno, INJ_ENOMEM))
		return 0;
	if (dst == MAP_FAILED) {
		fail(w, "mmap of a placeholder: %s", strerror(errno));
		return -1;
	}
	p = mremap(m->addr, m->pages * psz, new_pages * psz, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED && injected(w, errno, INJ_ENOMEM))
		return mremap_move_failed(w, m, new_pages);
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
	unsigned int a = (unsigned int)rnd(w, ARRAY_SIZE(advices));
	size_t first, n;
	char desc[128];
	int err;

	pick_range(w, m, 2, &first, &n);
	log_op(w, "madvise %s pages %zu+%zu %s", map_desc(w, m, desc, sizeof(desc)), first, n,
	       advices[a].name);
	STAT_ADD(w, checks, 1);
	err = madvise(m->addr + first * psz, n * psz, advices[a].advice) ? errno : 0;
	/*
	 * A failed DONTNEED may have dropped some COW copies and not others:
	 * redo it with injection off, which must then do what was asked.
	 */
	if (err && injected(w, err, INJ_ENOMEM)) {
		bool was = fi_pause();

		err = madvise(m->addr + first * psz, n * psz, advices[a].advice) ? errno : 0;
		fi_resume(was);
		log_more(w, ", redone: %s", err ? strerror(err) : "done");
	}
	if (err) {
		fail(w, "madvise(MADV_%s) of pages %zu+%zu of map%u: %s", advices[a].name, first,
		     n, map_id(w, m), strerror(err));
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
	unsigned int k = (unsigned int)rnd(w, ARRAY_SIZE(modes));
	size_t first, n;
	char desc[128];
	int err;

	pick_range(w, m, 2, &first, &n);
	log_op(w, "msync %s pages %zu+%zu MS_%s", map_desc(w, m, desc, sizeof(desc)), first, n,
	       modes[k].name);
	err = msync(m->addr + first * psz, n * psz, modes[k].flags) ? errno : 0;
	STAT_ADD(w, checks, 1);
	/* An injected failure is redone with injection off, which must succeed. */
	if (err && injected(w, err, INJ_ENOMEM)) {
		bool was = fi_pause();

		err = msync(m->addr + first * psz, n * psz, modes[k].flags) ? errno : 0;
		fi_resume(was);
		log_more(w, ", redone: %s", err ? strerror(err) : "done");
	}
	/* MS_SYNC of a shared mapping calls toymap's .fsync: 0 (nothing to write). */
	if (err) {
		fail(w, "msync(MS_%s) of pages %zu+%zu of map%u: %s, expected success", modes[k].name,
		     first, n, map_id(w, m), strerror(err));
		return -1;
	}
	return rnd(w, 3) ? 0 : check_map_pages(w, m, first, n < 4 ? n : 4);
}

/* -------------------------------------------------------------- ioctls */

static bool has_map(const struct worker *w);

/*
 * Issue @cmd with @arg on @fd: it must fail with @want.  @name and @what
 * (the ioctl, the bad argument) are for the report.  0 as expected, -1 after
 * a failure report.
 */
static int expect_ioctl_error(struct worker *w, int fd, unsigned long cmd, void *arg, int want,
			      const char *name, const char *what)
{
	int err = ioctl(fd, cmd, arg) ? errno : 0;

	STAT_ADD(w, checks, 1);
	if (err != want && injected(w, err, INJ_IOCTL))
		return 0;
	if (err != want) {
		fail(w, "%s with %s: %s, expected %s", name, what, err ? strerror(err) : "success",
		     strerror(want));
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> %s as expected", strerror(err));
	return 0;
}

/*
 * The common bad sizes of an ioctl argument of @size bytes in @arg (room
 * for 8 more): @k (below NR_BAD_SIZES) 0 a size field 0, 1 one below the
 * first layout, 2 a larger struct with a non-zero tail, 3 a size above a
 * page, 4 a bad pointer (EFAULT).  Sets *@ptr, *@want and returns what was
 * done.
 */
#define NR_BAD_SIZES	5
static const char *bad_size(unsigned int k, void *arg, size_t size, void **ptr, int *want)
{
	uint32_t *size_field = arg;
	uint64_t one = 1;

	*ptr = arg;
	*want = EINVAL;
	switch (k) {
	case 0:
		*size_field = 0;
		return "size field 0";
	case 1:
		*size_field = 4;
		return "short size field";
	case 2:
		*size_field = (uint32_t)(size + sizeof(one));
		memcpy((uint8_t *)arg + size, &one, sizeof(one));
		return "larger struct with a non-zero tail";
	case 3:
		*size_field = (uint32_t)psz + 8;
		return "size field above a page";
	default:
		*ptr = (void *)16;
		*want = EFAULT;
		return "bad pointer";
	}
}

/*
 * The descriptors ATTACH and SET_SWAP must refuse, with the errno of each;
 * 0: not a bad descriptor for that ioctl (SET_SWAP's -1 drops the swap
 * file; ATTACH only reads its file).  @fd NULL: the object's own device.
 */
static const int fd_minus_1 = -1, fd_minus_2 = -2, fd_int_max = INT_MAX;
static const struct {
	const int *fd;
	int attach;
	int swap;
	const char *what;
} bad_fds[] = {
	{ &fd_minus_1,		EBADF,	0,	"fd -1" },
	{ &fd_minus_2,		EBADF,	EBADF,	"fd -2" },
	{ &fd_int_max,		EBADF,	EBADF,	"an fd not open" },
	{ &probe.dir,		EINVAL,	EINVAL,	"a directory" },
	{ NULL,			EINVAL,	EINVAL,	"the device itself (not a regular file)" },
	{ &probe.rdonly,	0,	EBADF,	"a file open O_RDONLY" },
	{ &probe.wronly,	EBADF,	EBADF,	"a file open O_WRONLY" },
	{ &probe.append,	EINVAL,	EINVAL,	"a file open O_APPEND" },
	{ &probe.direct,	EINVAL,	EINVAL,	"a file open O_DIRECT" },
};

/*
 * Pick a descriptor of bad_fds that ATTACH or (@swap) SET_SWAP on @o must
 * refuse: sets *@fd and *@want, returns what it is.
 */
static const char *bad_fd(struct worker *w, bool swap, const struct object *o, int *fd,
			  int *want)
{
	unsigned int k;

	do
		k = (unsigned int)rnd(w, ARRAY_SIZE(bad_fds));
	while (!(swap ? bad_fds[k].swap : bad_fds[k].attach) ||
	       (bad_fds[k].fd == &probe.direct && probe.direct < 0));
	*fd = bad_fds[k].fd ? *bad_fds[k].fd : o->fd;
	*want = swap ? bad_fds[k].swap : bad_fds[k].attach;
	return bad_fds[k].what;
}

/*
 * Arguments of DISCARD or (@evict) EVICT that must fail with EINVAL (or
 * EFAULT), changing nothing.  Both start with size, flags, offset, length.
 */
static int range_bad(struct worker *w, struct object *o, bool evict)
{
	struct { struct toymap_evict e; uint64_t tail; } arg;
	size_t size = evict ? sizeof(struct toymap_evict) : sizeof(struct toymap_range);
	const char *name = evict ? "TOYMAP_IOC_EVICT" : "TOYMAP_IOC_DISCARD", *what;
	unsigned int k = (unsigned int)rnd(w, 7 + NR_BAD_SIZES);
	void *ptr = &arg;
	int want = EINVAL;

	memset(&arg, 0, sizeof(arg));
	arg.e = (struct toymap_evict) { .size = (uint32_t)size, .offset = 0, .length = psz };
	switch (k) {
	case 0:
		arg.e.flags = 1 + (uint32_t)rnd(w, UINT32_MAX);
		what = "non-zero flags";
		break;
	case 1:
		arg.e.offset = 1 + rnd(w, psz - 1);
		what = "unaligned offset";
		break;
	case 2:
		arg.e.length = 0;
		what = "zero length";
		break;
	case 3:
		arg.e.length = psz + 1 + rnd(w, psz - 1);
		what = "unaligned length";
		break;
	case 4:
		arg.e.offset = (o->pages - 1) * psz;
		arg.e.length = 2 * psz;
		what = "range past the end";
		break;
	case 5:
		arg.e.offset = UINT64_MAX & ~(uint64_t)(psz - 1);
		arg.e.length = 2 * psz;
		what = "offset + length overflows";
		break;
	case 6:
		arg.e.offset = o->pages * psz;
		arg.e.length = psz;
		what = "offset at the end";
		break;
	default:
		what = bad_size(k - 7, &arg, size, &ptr, &want);
		break;
	}
	log_op(w, "%s toymap%u bad: %s", evict ? "evict" : "discard", o->index, what);
	return expect_ioctl_error(w, o->fd, evict ? TOYMAP_IOC_EVICT : TOYMAP_IOC_DISCARD, ptr,
				  want, name, what);
}

/*
 * A range for DISCARD or EVICT of general object @o, in pages: a piece of
 * the window, all of it, a piece of the tail, or the whole object.  Its
 * modelled pages are one run of model pages (modelled_span()).
 */
static void pick_object_range(struct worker *w, const struct object *o, uint64_t *first,
			      uint64_t *n)
{
	uint64_t tail = o->pages - o->tail_start;
	unsigned int r = (unsigned int)rnd(w, 18);

	if (r < 2) {
		*first = 0;
		*n = o->window;
	} else if (r < 5 && tail) {
		*first = o->tail_start + rnd(w, tail);
		*n = 1 + rnd(w, o->pages - *first);
	} else if (r == 5) {
		*first = 0;
		*n = o->pages;
	} else {
		*first = rnd(w, o->window);
		*n = 1 + rnd(w, min_u64(o->window - *first, MAX_DISCARD));
	}
}

/*
 * Read up to ZERO_CHECK_PAGES pages of @o from page @first through a new
 * mapping, right after they were discarded (their locks held): every byte
 * must be zero.  A stale byte is data of a freed page reaching user space.
 */
static int read_zero_pages(struct worker *w, struct object *o, int fd, uint64_t first, uint64_t n,
			   const char *after)
{
	size_t pages = n < ZERO_CHECK_PAGES ? n : ZERO_CHECK_PAGES, i, k;
	uint8_t *p;
	int sig;

	p = mmap(NULL, pages * psz, PROT_READ, MAP_SHARED, fd, (off_t)(first * psz));
	if (p == MAP_FAILED) {
		fail(w, "mmap of %zu pages of toymap%u at page %" PRIu64 " (%s): %s", pages,
		     o->index, first, after, strerror(errno));
		return -1;
	}
	for (i = 0; i < pages; i++) {
		sig = guarded_copy(w->buf2, p + i * psz, psz);
		STAT_ADD(w, checks, 1);
		STAT_ADD(w, bytes, psz);
		for (k = 0; !sig && k < psz && !w->buf2[k]; k++)
			;
		if (sig || k < psz) {
			if (sig)
				fail(w, "reading page %" PRIu64 " of toymap%u right after %s: %s",
				     first + i, o->index, after, sig_name(sig));
			else
				fail(w, "page %" PRIu64 " of toymap%u read right after %s is not "
				     "zero: byte +%zu is 0x%02x (stale data reached user space)",
				     first + i, o->index, after, k, w->buf2[k]);
			munmap(p, pages * psz);
			return -1;
		}
		STAT_ADD(w, zero_pages, 1);
	}
	munmap(p, pages * psz);
	return 0;
}

/* ... with injection off: a check. */
static int check_zero_pages(struct worker *w, struct object *o, int fd, uint64_t first, uint64_t n,
			    const char *after)
{
	bool was = fi_pause();
	int ret = read_zero_pages(w, o, fd, first, n, after);

	fi_resume(was);
	return ret;
}

static int op_discard(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	uint64_t first, n;
	long mi, nm;
	int err, ret = 0;

	if (!rnd(w, 10))
		return range_bad(w, o, false);
	pick_object_range(w, o, &first, &n);
	modelled_span(o, first, n, &mi, &nm);
	log_op(w, "discard toymap%u pages %" PRIu64 "+%" PRIu64, o->index, first, n);
	if (range_lock(w, o, mi, nm, true))
		return -1;
	err = toymap_discard(o->fd, first * psz, n * psz);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "TOYMAP_IOC_DISCARD of pages %" PRIu64 "+%" PRIu64 " of toymap%u: %s",
		     first, n, o->index, strerror(-err));
		ret = -1;
	} else {
		memset(model_page(o, mi), 0, (size_t)nm * psz);
		if (!rnd(w, 3))
			ret = check_zero_pages(w, o, o->fd_ro, first, n, "DISCARD");
	}
	range_unlock(o, mi, nm);
	return ret;
}

/* --------------------------------------------- EVICT, fsync, SET_SWAP */

static int swap_lock(struct worker *w, struct object *o, bool excl)
{
	int err = excl ? pthread_rwlock_wrlock(o->swap_lock) : pthread_rwlock_rdlock(o->swap_lock);

	if (err)
		fail(w, "locking the swap setting of toymap%u: %s", o->index, strerror(err));
	return err ? -1 : 0;
}

static void swap_unlock(struct object *o)
{
	pthread_rwlock_unlock(o->swap_lock);
}

static void count_evict(struct worker *w, const struct toymap_evict *ev)
{
	STAT_ADD(w, evicted[EVICT_DROPPED], ev->dropped);
	STAT_ADD(w, evicted[EVICT_WRITTEN], ev->written_back);
	STAT_ADD(w, evicted[EVICT_SWAPPED], ev->swapped_out);
	STAT_ADD(w, evicted[EVICT_KEPT], ev->kept);
}

/*
 * Right after EVICT of object pages [@first, @first + @n), no mapping of
 * this thread maps one of them any more (every PTE of the object's pages was
 * zapped), while a private mapping's COW copies stay, anonymous: pagemap
 * says so.  Checks EVICT_PTE_CHECKS pages at most.
 */
static int check_evicted_ptes(struct worker *w, const struct object *o, uint64_t first,
			      uint64_t n)
{
	unsigned int budget = EVICT_PTE_CHECKS, k;
	struct toymap_pte pte;
	char desc[128];
	uint64_t p, lo, hi;
	int err;

	for (k = 0; k < MAX_MAPS && budget; k++) {
		struct mapping *m = &w->maps[k];

		if (!m->used || m->obj != o)
			continue;
		lo = first > m->pgoff ? first : m->pgoff;
		hi = first + n < m->pgoff + m->pages ? first + n : m->pgoff + m->pages;
		for (p = lo; p < hi && budget; p++, budget--) {
			size_t i = p - m->pgoff;
			bool cow = !m->shared && m->ps[i].cow;
			uint8_t *addr = m->addr + i * psz;

			err = pagemap_entry(addr, &pte);
			if (err) {
				fail(w, "reading /proc/self/pagemap: %s", strerror(-err));
				return -1;
			}
			STAT_ADD(w, pagemaps, 1);
			STAT_ADD(w, checks, 1);
			if (check_pfn(w, &pte, addr))
				return -1;
			if (cow ? (pte.present && !pte.file) || pte.swapped : !pte.present) {
				STAT_ADD(w, unmapped, 1);
				continue;
			}
			fail(w, "after EVICT of pages %" PRIu64 "+%" PRIu64 ": page %zu of %s at %p "
			     "is %s, expected %s", first, n, i, map_desc(w, m, desc, sizeof(desc)),
			     (void *)addr, !pte.present ? "not present" : pte.file ?
			     "mapped to the object's page" : "an anonymous page",
			     cow ? "its COW copy, present and anonymous" : "no PTE (unmapped)");
			return -1;
		}
	}
	return 0;
}

/*
 * EVICT a range of a general object, among the other threads' reads and
 * writes: no byte may change (the reads check that), and the counts must add
 * up: an anonymous object writes nothing back; no more pages dropped, nor
 * swapped out and kept together, than the range holds.  (A dirty page with
 * the swap file set is swapped out, unless the module keeps it for a reason
 * of its own, such as a write through a pin in progress: the attach cycle,
 * where nothing runs beside the EVICT, predicts each count exactly.)
 */
static int op_evict(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	struct toymap_evict ev;
	uint64_t first, n;
	int err;

	if (!rnd(w, 10))
		return range_bad(w, o, true);
	pick_object_range(w, o, &first, &n);
	log_op(w, "evict toymap%u pages %" PRIu64 "+%" PRIu64, o->index, first, n);
	if (swap_lock(w, o, false))
		return -1;
	err = toymap_evict(o->fd, first * psz, n * psz, &ev);
	swap_unlock(o);
	STAT_ADD(w, checks, 1);
	/*
	 * A failed EVICT returns no counts; the pages it saved before the
	 * failure stay, clean (a failed save leaves the page dirty); none was
	 * dropped.  The reads of every thread check that no byte changed.
	 */
	if (err && injected(w, -err, INJ_IOCTL))
		return 0;
	if (err) {
		fail(w, "TOYMAP_IOC_EVICT of pages %" PRIu64 "+%" PRIu64 " of toymap%u: %s",
		     first, n, o->index, strerror(-err));
		return -1;
	}
	count_evict(w, &ev);
	log_more(w, " -> dropped %" PRIu64 " written back %" PRIu64 " swapped out %" PRIu64
		 " kept %" PRIu64, U64(ev.dropped), U64(ev.written_back), U64(ev.swapped_out),
		 U64(ev.kept));
	STAT_ADD(w, checks, 1);
	if (ev.written_back || ev.dropped > n || ev.swapped_out + ev.kept > n) {
		fail(w, "TOYMAP_IOC_EVICT of pages %" PRIu64 "+%" PRIu64 " of toymap%u "
		     "(anonymous, swap file set) returned dropped %" PRIu64 " written back %"
		     PRIu64 " swapped out %" PRIu64 " kept %" PRIu64 ": expected nothing written "
		     "back, at most %" PRIu64 " pages dropped, at most %" PRIu64 " swapped out "
		     "and kept", first, n, o->index, U64(ev.dropped), U64(ev.written_back),
		     U64(ev.swapped_out), U64(ev.kept), n, n);
		return -1;
	}
	return check_evicted_ptes(w, o, first, n);
}

/* fsync and fdatasync of a general object: 0 (an anonymous object has nothing to write). */
static int op_fsync(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	bool data = rnd(w, 2), ro = !rnd(w, 3);
	int fd = ro ? o->fd_ro : o->fd, err;

	log_op(w, "%s toymap%u%s", data ? "fdatasync" : "fsync", o->index,
	       ro ? " through an O_RDONLY fd" : "");
	err = (data ? fdatasync(fd) : fsync(fd)) ? errno : 0;
	STAT_ADD(w, checks, 1);
	/* An injected failure is redone with injection off, which must succeed. */
	if (err && injected(w, err, INJ_ENOMEM)) {
		bool was = fi_pause();

		err = (data ? fdatasync(fd) : fsync(fd)) ? errno : 0;
		fi_resume(was);
		log_more(w, ", redone: %s", err ? strerror(err) : "done");
	}
	if (err) {
		fail(w, "%s of /dev/toymap%u: %s, expected success", data ? "fdatasync" : "fsync",
		     o->index, strerror(err));
		return -1;
	}
	return 0;
}

/* SET_SWAP arguments that must fail, changing nothing. */
static int swap_bad(struct worker *w, struct object *o)
{
	struct { struct toymap_swap s; uint64_t tail; } arg;
	unsigned int k = (unsigned int)rnd(w, 3 + NR_BAD_SIZES);
	void *ptr = &arg;
	int want = EINVAL;
	const char *what;

	memset(&arg, 0, sizeof(arg));
	arg.s = (struct toymap_swap) { .size = sizeof(arg.s), .fd = probe.rw };
	switch (k) {
	case 0:
		arg.s.flags = 1 + (uint32_t)rnd(w, UINT32_MAX);
		what = "non-zero flags";
		break;
	case 1:
		arg.s.reserved = 1;
		what = "non-zero reserved";
		break;
	case 2:
		what = bad_fd(w, true, o, &arg.s.fd, &want);
		break;
	default:
		what = bad_size(k - 3, &arg, sizeof(arg.s), &ptr, &want);
		break;
	}
	log_op(w, "swap toymap%u bad: %s", o->index, what);
	return expect_ioctl_error(w, o->fd, TOYMAP_IOC_SET_SWAP, ptr, want, "TOYMAP_IOC_SET_SWAP",
				  what);
}

/*
 * Give general object @o a new swap file whose name stays in @o->swap_path
 * (the file is unlinked only when replaced and at the end), so that the
 * attach cycle can offer it to its own object: EBUSY (issue 9 (7)).  The
 * caller holds the swap lock exclusive, or runs alone.  0 or -errno.
 */
static int set_general_swap(struct object *o)
{
	char path[PATH_MAX];
	int fd = temp_file("swap", path, sizeof(path)), err;

	if (fd < 0)
		return fd;
	err = toymap_set_swap(o->fd, fd);
	close(fd);
	if (err) {
		unlink(path);
		return err;
	}
	if (o->swap_path[0])
		unlink(o->swap_path);
	snprintf(o->swap_path, PATH_MAX, "%s", path);
	return 0;
}

/*
 * Try to drop the swap file of a general object (no EVICT runs meanwhile):
 * EBUSY while it holds swapped pages (INFO.swapped_pages), done when none
 * (a DISCARD may have freed them meanwhile); then set a new one.
 */
static int swap_drop(struct worker *w, struct object *o)
{
	struct toymap_info before, after;
	int err, ret = -1;
	bool was = false;

	log_op(w, "swap toymap%u: drop the swap file", o->index);
	if (swap_lock(w, o, true))
		return -1;
	err = toymap_get_info(o->fd, &before);
	if (err && injected(w, -err, INJ_IOCTL)) {
		ret = 0;
		goto out;
	}
	if (err) {
		fail(w, "TOYMAP_IOC_INFO on toymap%u: %s", o->index, strerror(-err));
		goto out;
	}
	STAT_ADD(w, checks, 1);
	if (!(before.backing_flags & TOYMAP_BACKING_SWAP) ||
	    (before.backing_flags & TOYMAP_BACKING_FILE)) {
		fail(w, "toymap%u: INFO.backing_flags %#x, expected a swap file and no file",
		     o->index, before.backing_flags);
		goto out;
	}
	err = toymap_set_swap(o->fd, -1);
	log_more(w, " (%" PRIu64 " swapped pages) -> %s", U64(before.swapped_pages),
		 err ? strerror(-err) : "dropped");
	STAT_ADD(w, checks, 1);
	if (err && err != -EBUSY && injected(w, -err, INJ_IOCTL)) {
		ret = 0;
		goto out;
	}
	if (err == -EBUSY && before.swapped_pages) {
		STAT_ADD(w, swap_busy, 1);
		STAT_ADD(w, errnos, 1);
		ret = 0;
		goto out;
	}
	if (err) {
		fail(w, "TOYMAP_IOC_SET_SWAP(-1) on toymap%u with %" PRIu64 " swapped pages: %s, "
		     "expected %s", o->index, U64(before.swapped_pages), strerror(-err),
		     before.swapped_pages ? "EBUSY" : "success");
		goto out;
	}
	/* Dropped: a new one must be set, whatever happens (injection off). */
	was = fi_pause();
	err = toymap_get_info(o->fd, &after);
	STAT_ADD(w, checks, 1);
	if (err || after.swapped_pages || (after.backing_flags & TOYMAP_BACKING_SWAP)) {
		fail(w, "toymap%u after its swap file was dropped: %s, swapped_pages %" PRIu64
		     ", backing_flags %#x", o->index, err ? strerror(-err) : "INFO done",
		     U64(after.swapped_pages), after.backing_flags);
		goto out;
	}
	err = set_general_swap(o);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "TOYMAP_IOC_SET_SWAP of a new swap file on toymap%u: %s", o->index,
		     strerror(-err));
		goto out;
	}
	STAT_ADD(w, swap_drops, 1);
	ret = 0;
out:
	fi_resume(was);
	swap_unlock(o);
	return ret;
}

static int op_swap(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];

	return rnd(w, 2) ? swap_bad(w, o) : swap_drop(w, o);
}

/* -------------------------------------------------- ATTACH, DETACH */

static int file_state_lock(struct worker *w)
{
	int err = pthread_mutex_lock(&sh->file.lock);

	if (err == EOWNERDEAD)
		err = pthread_mutex_consistent(&sh->file.lock);
	if (err)
		fail(w, "locking the attach cycle's state: %s", strerror(err));
	return err ? -1 : 0;
}

static void file_state_unlock(void)
{
	pthread_mutex_unlock(&sh->file.lock);
}

/*
 * The attach cycle's object, its state locked, when it is mapped now (so a
 * valid ATTACH or DETACH must fail with EBUSY, and a bad argument shows as
 * its own errno); NULL otherwise, unlocked.
 */
static struct object *lock_mapped_fobj(struct worker *w, bool *attached)
{
	if (!fobj || file_state_lock(w))
		return NULL;
	if (sh->file.maps > 0) {
		*attached = sh->file.attached;
		return fobj;
	}
	file_state_unlock();
	return NULL;
}

/* ATTACH arguments that must fail, on the mapped attach cycle's object if it is. */
static int attach_bad(struct worker *w)
{
	struct { struct toymap_attach a; uint64_t tail; } arg;
	unsigned int k = (unsigned int)rnd(w, 6 + NR_BAD_SIZES);
	bool attached = false;
	struct object *busy = lock_mapped_fobj(w, &attached);
	struct object *o = busy ? busy : &objs[rnd(w, ngeneral)];
	void *ptr = &arg;
	int want = EINVAL, ret;
	const char *what;

	memset(&arg, 0, sizeof(arg));
	arg.a = (struct toymap_attach) { .size = sizeof(arg.a), .fd = probe.rw, .length = psz };
	switch (k) {
	case 0:
		arg.a.flags = 1 + (uint32_t)rnd(w, UINT32_MAX);
		what = "non-zero flags";
		break;
	case 1:
		arg.a.reserved = 1;
		what = "non-zero reserved";
		break;
	case 2:
		arg.a.length = 0;
		what = "zero length";
		break;
	case 3:
		arg.a.offset = 1ULL << 63;
		want = EOVERFLOW;
		what = "offset above LLONG_MAX";
		break;
	case 4:
		arg.a.offset = LLONG_MAX - rnd(w, psz);
		arg.a.length = psz + 1 + rnd(w, psz);
		want = EOVERFLOW;
		what = "offset + length above LLONG_MAX";
		break;
	case 5:
		what = bad_fd(w, false, o, &arg.a.fd, &want);
		break;
	default:
		what = bad_size(k - 6, &arg, sizeof(arg.a), &ptr, &want);
		break;
	}
	log_op(w, "attach toymap%u bad: %s%s", o->index, what,
	       busy ? " (mapped by the attach cycle)" : "");
	ret = expect_ioctl_error(w, o->fd, TOYMAP_IOC_ATTACH, ptr, want, "TOYMAP_IOC_ATTACH", what);
	if (busy)
		file_state_unlock();
	return ret;
}

/* DETACH arguments that must fail, on the mapped attach cycle's object if it is. */
static int detach_bad(struct worker *w)
{
	struct { struct toymap_detach d; uint64_t tail; } arg;
	unsigned int k = (unsigned int)rnd(w, 1 + NR_BAD_SIZES);
	bool attached = false;
	struct object *busy = lock_mapped_fobj(w, &attached);
	struct object *o = busy ? busy : &objs[rnd(w, ngeneral)];
	void *ptr = &arg;
	int want = EINVAL, ret;
	const char *what;

	memset(&arg, 0, sizeof(arg));
	arg.d = (struct toymap_detach) { .size = sizeof(arg.d) };
	if (k == 0) {
		arg.d.flags = 1 + (uint32_t)rnd(w, UINT32_MAX);
		what = "non-zero flags";
	} else {
		what = bad_size(k - 1, &arg, sizeof(arg.d), &ptr, &want);
	}
	log_op(w, "detach toymap%u bad: %s%s", o->index, what,
	       busy ? " (mapped by the attach cycle)" : "");
	ret = expect_ioctl_error(w, o->fd, TOYMAP_IOC_DETACH, ptr, want, "TOYMAP_IOC_DETACH", what);
	if (busy)
		file_state_unlock();
	return ret;
}

/* A valid ATTACH of a general object this thread maps: EBUSY. */
static int attach_mapped(struct worker *w)
{
	struct mapping *m = pick_map(w);
	struct toymap_attach a = { .size = sizeof(a), .fd = probe.rw, .length = psz };
	char desc[128];

	if (!m)
		return 0;
	log_op(w, "attach toymap%u while %s maps it", m->obj->index,
	       map_desc(w, m, desc, sizeof(desc)));
	return expect_ioctl_error(w, m->obj->fd, TOYMAP_IOC_ATTACH, &a, EBUSY, "TOYMAP_IOC_ATTACH",
				  "a valid file section while the object is mapped");
}

/* DETACH of a general object: EINVAL, nothing is attached. */
static int detach_anonymous(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	struct toymap_detach d = { .size = sizeof(d) };

	log_op(w, "detach toymap%u (anonymous)", o->index);
	return expect_ioctl_error(w, o->fd, TOYMAP_IOC_DETACH, &d, EINVAL, "TOYMAP_IOC_DETACH",
				  "no file attached");
}

/*
 * ATTACH and DETACH of the attach cycle's object while it maps it (from
 * another process): EBUSY; DETACH of it while it is mapped and anonymous
 * (the cycle reads it back after a DETACH): EINVAL.
 */
static int attach_cycle_probe(struct worker *w)
{
	struct toymap_attach a = { .size = sizeof(a), .fd = probe.rw, .length = psz };
	struct toymap_detach d = { .size = sizeof(d) };
	bool attached = false;
	struct object *o = lock_mapped_fobj(w, &attached);
	int ret;

	if (!o)
		return detach_anonymous(w);
	log_op(w, "attach, detach toymap%u while the attach cycle maps it (%s)", o->index,
	       attached ? "attached" : "anonymous");
	ret = expect_ioctl_error(w, o->fd, TOYMAP_IOC_ATTACH, &a, EBUSY, "TOYMAP_IOC_ATTACH",
				 "the object mapped by another process");
	if (!ret)
		ret = expect_ioctl_error(w, o->fd, TOYMAP_IOC_DETACH, &d, attached ? EBUSY : EINVAL,
					 "TOYMAP_IOC_DETACH", attached ?
					 "the object mapped by another process" :
					 "the object mapped, nothing attached");
	file_state_unlock();
	return ret;
}

static int op_attach(struct worker *w)
{
	switch (rnd(w, 6)) {
	case 0:
	case 1:
		return attach_bad(w);
	case 2:
		return detach_bad(w);
	case 3:
		return has_map(w) ? attach_mapped(w) : detach_anonymous(w);
	default:
		return attach_cycle_probe(w);
	}
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
	if (err != want && injected(w, err, INJ_IOCTL))
		return 0;
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
	if (err && injected(w, -err, INJ_IOCTL))
		return 0;
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

/*
 * Unloading while devices are open: libtoymap (as rmmod) sees the module in
 * use and says EBUSY; without CAP_SYS_MODULE the kernel itself refuses
 * delete_module() with EPERM first.
 */
static int op_unload(struct worker *w)
{
	bool was;
	int err;

	log_op(w, "unload");
	/* libkmod reads /proc and /sys: with injection off, so that it answers EBUSY. */
	was = fi_pause();
	err = toymap_unload();
	fi_resume(was);
	STAT_ADD(w, checks, 1);
	if (err != -EBUSY) {
		fail(w, "toymap_unload() while devices are open: %s, expected EBUSY%s",
		     err ? strerror(-err) : "success",
		     err ? "" : " -- THE MODULE WAS UNLOADED UNDER LIVE MAPPINGS");
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> EBUSY as expected");
	if (cfg.can_unload)
		return 0;
	err = syscall(SYS_delete_module, TOYMAP_MODULE_NAME, O_NONBLOCK) ? errno : 0;
	STAT_ADD(w, checks, 1);
	if (err != EPERM) {
		fail(w, "delete_module(\"%s\") without CAP_SYS_MODULE: %s, expected EPERM%s",
		     TOYMAP_MODULE_NAME, err ? strerror(err) : "success",
		     err ? "" : " -- THE MODULE WAS UNLOADED UNDER LIVE MAPPINGS");
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, "; delete_module -> EPERM as expected");
	return 0;
}

/* --verbose: print the operation just done (with injection off). */
static void print_op(struct worker *w)
{
	bool was = fi_pause();
	char name[96];

	print_lock();
	printf("%s: %s\n", who(w, name, sizeof(name)), log_entry(w));
	fflush(stdout);
	print_unlock();
	fi_resume(was);
}

/* ------------------------------- issue 9: read-only openers, a second user */

/*
 * A valid ioctl @cmd (@name) on the O_RDONLY descriptor of @o: EBADF, the
 * first check of every ioctl that changes or destroys the object.  Returns
 * the ioctl's errno (0: it did its work) after the check.
 */
static int rdonly_expect(struct worker *w, struct object *o, unsigned long cmd, void *arg,
			 const char *name)
{
	int err = ioctl(o->fd_ro, cmd, arg) ? errno : 0;

	STAT_ADD(w, checks, 1);
	if (err == EBADF || injected(w, err, INJ_IOCTL)) {
		STAT_ADD(w, errnos, err == EBADF);
		log_more(w, " -> %s", strerror(err));
		return err;
	}
	fail(w, "%s with valid arguments on an O_RDONLY descriptor of /dev/toymap%u: %s, "
	     "expected EBADF (changing the object needs the device open for writing)", name,
	     o->index, err ? strerror(err) : "success");
	return err;
}

/* INFO and a PROT_READ mapping work on an O_RDONLY descriptor; the page reads as the model. */
static int rdonly_read(struct worker *w, struct object *o)
{
	uint64_t pg = rnd(w, o->window);
	struct toymap_info info;
	int err, sig;
	uint8_t *p;

	log_op(w, "info, mmap PROT_READ of page %" PRIu64 " of toymap%u through an O_RDONLY fd",
	       pg, o->index);
	err = toymap_get_info(o->fd_ro, &info);
	STAT_ADD(w, checks, 1);
	if (err && !injected(w, -err, INJ_IOCTL)) {
		fail(w, "TOYMAP_IOC_INFO on an O_RDONLY descriptor: %s", strerror(-err));
		return -1;
	}
	p = mmap(NULL, psz, PROT_READ, MAP_SHARED, o->fd_ro, (off_t)(pg * psz));
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED) {
		if (injected(w, errno, INJ_ENOMEM))
			return 0;
		fail(w, "mmap(MAP_SHARED, PROT_READ) of an O_RDONLY descriptor: %s", strerror(errno));
		return -1;
	}
	if (page_lock(w, o, (long)pg, false)) {
		munmap(p, psz);
		return -1;
	}
	sig = guarded_copy(w->buf2, p, psz);
	err = sig || memcmp(w->buf2, model_page(o, (long)pg), psz);
	page_unlock(o, (long)pg);
	munmap(p, psz);
	STAT_ADD(w, bytes, psz);
	if (err)
		fail(w, "page %" PRIu64 " of toymap%u read through an O_RDONLY descriptor: %s", pg,
		     o->index, sig ? sig_name(sig) : "differs from the model");
	return err ? -1 : 0;
}

/*
 * Issue 9 (6a): on an O_RDONLY descriptor of a general object, DISCARD,
 * EVICT, ATTACH, DETACH and SET_SWAP with valid arguments answer EBADF
 * before any other check; INFO and a PROT_READ mapping work.  What an old
 * module does anyway is kept in the model (the page locks, the swap lock).
 */
static int op_rdonly(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	struct toymap_attach a = { .size = sizeof(a), .fd = probe.rw, .length = psz };
	struct toymap_detach d = { .size = sizeof(d) };
	struct toymap_swap sw = { .size = sizeof(sw), .fd = rnd(w, 2) ? -1 : probe.rw };
	struct toymap_evict ev = { .size = sizeof(ev) };
	uint64_t first, n;
	long mi, nm;
	int err;

	switch (rnd(w, 6)) {
	case 0:
		pick_object_range(w, o, &first, &n);
		modelled_span(o, first, n, &mi, &nm);
		ev.offset = first * psz;
		ev.length = n * psz;
		log_op(w, "discard toymap%u pages %" PRIu64 "+%" PRIu64 " through an O_RDONLY fd",
		       o->index, first, n);
		if (range_lock(w, o, mi, nm, true))
			return -1;
		/* struct toymap_range is the head of struct toymap_evict. */
		ev.size = sizeof(struct toymap_range);
		err = rdonly_expect(w, o, TOYMAP_IOC_DISCARD, &ev, "TOYMAP_IOC_DISCARD");
		if (!err)
			memset(model_page(o, mi), 0, (size_t)nm * psz);
		range_unlock(o, mi, nm);
		break;
	case 1:
		pick_object_range(w, o, &first, &n);
		ev.offset = first * psz;
		ev.length = n * psz;
		log_op(w, "evict toymap%u pages %" PRIu64 "+%" PRIu64 " through an O_RDONLY fd",
		       o->index, first, n);
		if (swap_lock(w, o, false))
			return -1;
		err = rdonly_expect(w, o, TOYMAP_IOC_EVICT, &ev, "TOYMAP_IOC_EVICT");
		swap_unlock(o);
		break;
	case 2:
		log_op(w, "attach a file to toymap%u through an O_RDONLY fd", o->index);
		err = rdonly_expect(w, o, TOYMAP_IOC_ATTACH, &a, "TOYMAP_IOC_ATTACH");
		break;
	case 3:
		log_op(w, "detach toymap%u through an O_RDONLY fd", o->index);
		err = rdonly_expect(w, o, TOYMAP_IOC_DETACH, &d, "TOYMAP_IOC_DETACH");
		break;
	case 4:
		log_op(w, "swap toymap%u: %s through an O_RDONLY fd", o->index,
		       sw.fd < 0 ? "drop the swap file" : "a new swap file");
		if (swap_lock(w, o, true))
			return -1;
		err = rdonly_expect(w, o, TOYMAP_IOC_SET_SWAP, &sw, "TOYMAP_IOC_SET_SWAP");
		swap_unlock(o);
		break;
	default:
		return rdonly_read(w, o);
	}
	return w->failed ? -1 : 0;
}

/*
 * The second user: the device nodes are 0666 for the run when we are root
 * (user_nodes_open()); the modes found are restored at the end.
 */
#define NOBODY_ID	65534
static bool user_nodes;
static mode_t user_node_modes[MAX_DEVICES];

static void user_node_path(unsigned int index, char *path, size_t len)
{
	snprintf(path, len, TOYMAP_DEV_PREFIX "%u", index);
}

static void user_nodes_open(void)
{
	char path[64];
	struct stat st;
	unsigned int k;

	if (geteuid() != 0)
		return;
	for (k = 0; k < nobj; k++) {
		user_node_path(objs[k].index, path, sizeof(path));
		if (stat(path, &st) || chmod(path, 0666)) {
			fprintf(stderr, "toymap-stress: chmod 0666 %s: %s (no second user)\n", path,
				strerror(errno));
			return;
		}
		user_node_modes[k] = st.st_mode & 07777;
	}
	user_nodes = true;
}

static void user_nodes_restore(void)
{
	char path[64];
	unsigned int k;

	for (k = 0; user_nodes && k < nobj; k++) {
		user_node_path(objs[k].index, path, sizeof(path));
		if (chmod(path, user_node_modes[k]))
			fprintf(stderr, "toymap-stress: restoring the mode of %s: %s\n", path,
				strerror(errno));
	}
}

/* The second user's part, in a child that is uid and gid 65534: 0, or EXIT_FAIL after fail(). */
static int user_child(struct worker *w, struct object *o, uint64_t pg, bool file_attached)
{
	char path[64];
	uint8_t *p;
	int fd, sig;

	if (setgroups(0, NULL) || setgid(NOBODY_ID) || setuid(NOBODY_ID)) {
		fail(w, "becoming uid 65534: %s", strerror(errno));
		return EXIT_FAIL;
	}
	user_node_path(o->index, path, sizeof(path));
	fd = open(path, rnd(w, 2) ? O_RDWR : O_RDONLY);
	p = fd < 0 ? MAP_FAILED : mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, (off_t)(pg * psz));
	if (p == MAP_FAILED) {
		fail(w, "uid 65534: %s of %s (mode 0666, an anonymous object): %s, expected success",
		     fd < 0 ? "open" : "mmap(MAP_SHARED, PROT_READ)", path, strerror(errno));
		return EXIT_FAIL;
	}
	close(fd);
	sig = guarded_copy(w->buf2, p, psz);
	STAT_ADD(w, checks, 1);
	STAT_ADD(w, bytes, psz);
	if (sig || memcmp(w->buf2, model_page(o, (long)pg), psz)) {
		fail(w, "uid 65534: page %" PRIu64 " of %s: %s", pg, path,
		     sig ? sig_name(sig) : "differs from the model");
		return EXIT_FAIL;
	}
	munmap(p, psz);
	if (!file_attached)
		return 0;
	/* The attach cycle's file: root's, mode 0600; its state is locked by our parent. */
	user_node_path(fobj->index, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fail(w, "uid 65534: open %s (mode 0666): %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	p = mmap(NULL, psz, PROT_READ, rnd(w, 2) ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	STAT_ADD(w, checks, 1);
	if (p != MAP_FAILED || errno != EACCES) {
		fail(w, "uid 65534: mmap(PROT_READ) of %s, backed by a file of root's with mode "
		     "0600: %s, expected EACCES (it would read what it may not read)", path,
		     p == MAP_FAILED ? strerror(errno) : "success");
		if (p != MAP_FAILED)
			munmap(p, psz);
		return EXIT_FAIL;
	}
	STAT_ADD(w, errnos, 1);
	close(fd);
	return 0;
}

/*
 * Issue 9 (6b): a child that becomes uid 65534 maps a general object (the
 * nodes are 0666) and reads a page as the model says (its lock held shared
 * meanwhile); while the attach cycle has its file attached (its state held
 * locked), mapping that object is EACCES: the file is root's, 0600.
 */
static int op_user(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	uint64_t pg = rnd(w, o->window);
	bool file_locked = false, attached = false, was;
	int status, ret = 0;
	pid_t pid;

	if (!user_nodes)
		return 0;
	if (fobj && !rnd(w, 2)) {
		if (file_state_lock(w))
			return -1;
		file_locked = true;
		attached = sh->file.attached;
	}
	log_op(w, "user 65534: map page %" PRIu64 " of toymap%u%s", pg, o->index,
	       attached ? ", and the attach cycle's object with its 0600 file" : "");
	if (page_lock(w, o, (long)pg, false)) {
		if (file_locked)
			file_state_unlock();
		return -1;
	}
	was = fi_pause();
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(user_child(w, o, pg, attached));
	if (pid < 0) {
		fail(w, "fork: %s", strerror(errno));
		ret = -1;
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fail(w, "waitpid(%d): %s", (int)pid, strerror(errno));
			ret = -1;
			break;
		}
	}
	fi_resume(was);
	page_unlock(o, (long)pg);
	if (file_locked)
		file_state_unlock();
	if (ret)
		return ret;
	STAT_ADD(w, checks, 1);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAIL) {
		w->failed = true;	/* the child reported it */
		return -1;
	}
	fail(w, "the uid 65534 child %d ended with status %#x", (int)pid, status);
	return -1;
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
	fi_altstack_start();	/* the parent's, shared */
	fi_start();		/* inherited on; its own descriptor */
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
	bool was;
	pid_t pid;

	log_op(w, "fork");
	fflush(NULL);
	pid = fork();
	/*
	 * A fork makes hundreds of allocations: under injection it nearly
	 * always fails.  Half the time, fork again without injection, so that
	 * children run too (they turn it on for themselves).
	 */
	if (pid < 0 && injected(w, errno, INJ_ENOMEM | INJ_EAGAIN)) {
		if (rnd(w, 2))
			return 0;
		was = fi_pause();
		pid = fork();
		if (pid)
			fi_resume(was);
		log_more(w, "; again without injection");
	}
	if (pid < 0) {
		fail(w, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		child_main(w);
	log_more(w, " -> pid %d", (int)pid);
	/* Off: waitpid() stores the status on our stack (EFAULT if that faulted). */
	was = fi_pause();
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fail(w, "waitpid(%d): %s", (int)pid, strerror(errno));
			return -1;
		}
	}
	fi_resume(was);
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
	case OP_FSYNC:
		ret = op_fsync(w);
		break;
	case OP_DISCARD:
		ret = op_discard(w);
		break;
	case OP_EVICT:
		ret = op_evict(w);
		break;
	case OP_SWAP:
		ret = op_swap(w);
		break;
	case OP_ATTACH:
		ret = op_attach(w);
		break;
	case OP_INFO:
		ret = op_info(w);
		break;
	case OP_UNLOAD:
		ret = op_unload(w);
		break;
	case OP_RDONLY:
		ret = op_rdonly(w);
		break;
	case OP_USER:
		ret = op_user(w);
		break;
	default:
		ret = 0;
		break;
	}
	STAT_ADD(w, ops[kind], 1);
	if (cfg.verbose && w->logged)
		print_op(w);
	return ret;
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	unsigned int i;

	w->rng = mix64(cfg.seed ^ mix64(((uint64_t)w->proc << 32 | w->thread) + 1));
	fi_altstack_start();
	fi_start();
	while (!w->failed && !stopping() && now() < w->deadline) {
		w->opno++;
		run_op(w, pick_op(w, true));
	}
	watch_idle(w);
	fi_stop();
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
	if (open_probe_fds()) {
		fprintf(stderr, "toymap-stress: proc %u: cannot create the probe files in %s: %s\n",
			proc, tmp_dir(), strerror(errno));
		_exit(EXIT_FAIL);
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

/* -------------------------------------------------- the attach cycle */

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

static struct fcycle fc = { .fd = -1, .file_fd = -1, .swap_fd = -1 };

static uint8_t *fc_page(uint64_t k)
{
	return fc.obj + k * psz;
}

/* Bytes of object page @k in the section: 0 .. psz. */
static uint64_t fc_section_bytes(uint64_t k)
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
static uint64_t fc_writeback_bytes(uint64_t k)
{
	return fc.readonly ? 0 : fc_file_bytes(k);
}

/* Page @k as a fault fills it when no page and no swap copy exist: the file, then zeros. */
static void fc_fill(uint64_t k)
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
static void fc_touch_page(uint64_t k)
{
	fc.resident[k] = true;
	if (fc.swapped[k]) {
		fc.swapped[k] = false;
		fc.dirty[k] = true;
	}
}

/*
 * Page @i of @m is touched: the object's page is in memory now, unless the
 * touch reaches @m's private COW copy instead (fc_touch_page()).
 */
static void fc_touch(const struct mapping *m, size_t i)
{
	uint64_t k = m->pgoff + i;

	fc.resident[k] = true;
	if (m->shared || !m->ps[i].cow)
		fc_touch_page(k);
}

static bool fc_any_swapped(uint64_t first, uint64_t n)
{
	uint64_t k;

	for (k = first; k < first + n; k++)
		if (fc.swapped[k])
			return true;
	return false;
}

static unsigned int fc_swapped_count(void)
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
static uint64_t fc_sync_model(uint64_t first, uint64_t n)
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

/* What EVICT must return, as the model predicts it. */
struct fc_evict_counts {
	uint64_t written_back;
	uint64_t swapped_out;
	uint64_t kept;
	uint64_t cleaned;	/* dirty pages saved, and so dropped */
};

/*
 * EVICT of object pages [@first, @first + @n): a dirty page's file bytes are
 * written; a page wholly in the file is then clean, one with anonymous bytes
 * goes to the swap file if one is set, else stays dirty (kept); every clean
 * page is dropped.
 */
static void fc_evict_model(uint64_t first, uint64_t n, struct fc_evict_counts *e)
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
static const uint8_t *fc_expected(const struct mapping *m, size_t i)
{
	if (!m->shared && m->ps[i].cow)
		return m->ps[i].shadow;
	return fc_page(m->pgoff + i);
}

/* "section 100+8192 of a 5000-byte file, read-only, swap file" */
static const char *fc_desc(char *buf, size_t len)
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

static int fc_compare(struct worker *w, const struct mapping *m, size_t i, size_t off,
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
	ssize_t n;

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
	n = pread(fc.file_fd, got, fc.fsize, 0);
	if (n != (ssize_t)fc.fsize) {
		fail(w, "reading the backing file: %zd of %" PRIu64 " bytes (%s)", n, fc.fsize,
		     n < 0 ? strerror(errno) : "short");
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
static int fc_verify_file(struct worker *w, const char *after)
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
static int fc_get_info(struct worker *w, struct toymap_info *info, bool attached)
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
static int fc_check_delta(struct worker *w, const char *name, uint64_t before, uint64_t after,
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

/* What pagemap must say of a page of an attach-cycle mapping. */
static int fc_check_pte(struct worker *w, const struct mapping *m, size_t i)
{
	bool want_anon = !m->shared && m->ps[i].cow;
	uint8_t *addr = m->addr + i * psz;
	struct toymap_pte pte;
	char desc[128];
	int err;

	err = pagemap_entry(addr, &pte);
	if (err) {
		fail(w, "reading /proc/self/pagemap: %s", strerror(-err));
		return -1;
	}
	STAT_ADD(w, pagemaps, 1);
	if (check_pfn(w, &pte, addr))
		return -1;
	if (!pte.present || pte.file != want_anon)
		return 0;
	fail(w, "pagemap of page %zu of %s at %p: %s page, expected %s", i,
	     map_desc(w, m, desc, sizeof(desc)), (void *)addr, pte.file ? "file" : "anonymous",
	     want_anon ? "an anonymous COW copy" : "the object's file page");
	return -1;
}

static unsigned int fc_nmaps(const struct worker *w)
{
	unsigned int k, n = 0;

	for (k = 0; k < MAX_MAPS; k++)
		n += w->maps[k].used;
	return n;
}

/* mmap or munmap under the shared state lock, counting the mappings for the probes. */
static void *fc_mmap_locked(struct worker *w, size_t len, int prot, int flags, int fd, off_t off)
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

static int fc_munmap_locked(struct worker *w, void *addr, size_t len)
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

/*
 * Map object pages of the model: shared or private, read-write or
 * read-only, sometimes through a new descriptor or populated.  Shared and
 * writable over a read-only attach is EACCES, and so is a later mprotect to
 * writable.
 */
static int fc_mmap(struct worker *w)
{
	struct mapping *m = free_map(w);
	uint64_t pgoff = rnd(w, FILE_PAGES);
	size_t pages = 1 + rnd(w, min_u64(FILE_MAP_PAGES, FILE_PAGES - pgoff)), i;
	bool shared = rnd(w, 2), fresh = !rnd(w, 5);
	int prot = rnd(w, 4) ? PROT_READ | PROT_WRITE : PROT_READ;
	/*
	 * Not over a swapped page: MAP_POPULATE ignores a failed fault (an
	 * injected allocation failure), and the model could not tell whether
	 * the page was swapped in.
	 */
	bool populate = !rnd(w, 6) && (shared || !(prot & PROT_WRITE)) &&
			!fc_any_swapped(pgoff, pages);
	bool refused = shared && (prot & PROT_WRITE) && fc.readonly;
	int fd = fc.fd, flags = (shared ? MAP_SHARED : MAP_PRIVATE) | (populate ? MAP_POPULATE : 0);
	void *p;

	log_op(w, "mmap toymap%u %s %s pgoff %" PRIu64 " pages %zu%s%s -> map%u", fobj->index,
	       shared ? "shared" : "private", prot_name(prot), pgoff, pages,
	       fresh ? " fresh-fd" : "", populate ? " populate" : "", map_id(w, m));
	if (fresh) {
		fd = toymap_open(fobj->index, O_RDWR | O_CLOEXEC);
		if (fd < 0 && injected(w, -fd, INJ_ENOMEM))
			return 0;
		if (fd < 0) {
			fail(w, "open /dev/toymap%u: %s", fobj->index, strerror(-fd));
			return -1;
		}
	}
	p = fc_mmap_locked(w, pages * psz, prot, flags, fd, (off_t)(pgoff * psz));
	if (fresh)
		close(fd);
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED && errno != EACCES && injected(w, errno, INJ_ENOMEM))
		return 0;
	if (refused) {
		if (p != MAP_FAILED || errno != EACCES) {
			fail(w, "mmap(MAP_SHARED, PROT_WRITE) of an object attached read-only: %s, "
			     "expected EACCES", p == MAP_FAILED ? strerror(errno) : "success");
			return -1;
		}
		STAT_ADD(w, errnos, 1);
		log_more(w, " -> EACCES as expected (attached read-only)");
		return 0;
	}
	if (p == MAP_FAILED) {
		fail(w, "mmap of %zu pages at page offset %" PRIu64 " of toymap%u: %s", pages, pgoff,
		     fobj->index, strerror(errno));
		return -1;
	}
	*m = (struct mapping) {
		.used = true, .addr = p, .obj = fobj, .pgoff = pgoff, .pages = pages,
		.shared = shared,
	};
	m->ps = xcalloc(pages, sizeof(*m->ps));
	if (!m->ps) {
		fail(w, "out of memory");
		return -1;
	}
	for (i = 0; i < pages; i++) {
		m->ps[i].prot = (uint8_t)prot;
		if (populate)
			fc.resident[pgoff + i] = true;
	}
	log_more(w, " at %p", p);
	if (shared && fc.readonly && !rnd(w, 2)) {
		int err = mprotect(p, pages * psz, PROT_READ | PROT_WRITE) ? errno : 0;

		STAT_ADD(w, checks, 1);
		if (err != EACCES && injected(w, err, INJ_ENOMEM))
			return 0;
		if (err != EACCES) {
			fail(w, "mprotect(PROT_WRITE) of a shared mapping of an object attached "
			     "read-only: %s, expected EACCES", err ? strerror(err) : "success");
			return -1;
		}
		STAT_ADD(w, errnos, 1);
		log_more(w, "; mprotect rw -> EACCES as expected");
	}
	return 0;
}

static int fc_munmap(struct worker *w, struct mapping *m)
{
	char desc[128];

	log_op(w, "munmap %s", map_desc(w, m, desc, sizeof(desc)));
	STAT_ADD(w, checks, 1);
	if (fc_munmap_locked(w, m->addr, m->pages * psz)) {
		/* Nothing was unmapped. */
		if (injected(w, errno, INJ_ENOMEM))
			return 0;
		fail(w, "munmap of map%u: %s", map_id(w, m), strerror(errno));
		return -1;
	}
	forget_map(m);
	return 0;
}

/* A byte range of a page of @m: the whole page now and then. */
static void fc_pick_bytes(struct worker *w, size_t *off, size_t *len)
{
	if (!rnd(w, 4)) {
		*off = 0;
		*len = psz;
		return;
	}
	*len = 1 + rnd(w, MAX_ACCESS);
	*off = rnd(w, psz - *len + 1);
}

/* Read a whole page of @m and compare it (the page is readable). */
static int fc_check_page(struct worker *w, struct mapping *m, size_t i, const char *what)
{
	int sig;

	fc_touch(m, i);
	sig = guarded_copy(w->buf2, m->addr + i * psz, psz);
	if (check_signal(w, m, i, m->addr + i * psz, sig, 0, what))
		return -1;
	return fc_compare(w, m, i, 0, w->buf2, psz, what);
}

static int fc_read(struct worker *w, struct mapping *m)
{
	size_t i = rnd(w, m->pages), off, len;
	uint8_t *addr;
	char desc[128];
	int sig;

	fc_pick_bytes(w, &off, &len);
	addr = m->addr + i * psz + off;
	log_op(w, "read %s page %zu +%zu len %zu", map_desc(w, m, desc, sizeof(desc)), i, off,
	       len);
	fc_touch(m, i);
	sig = guarded_copy(w->buf, addr, len);
	if (check_signal(w, m, i, addr, sig, 0, "read") ||
	    fc_compare(w, m, i, off, w->buf, len, "read"))
		return -1;
	return rnd(w, 4) ? 0 : fc_check_pte(w, m, i);
}

/*
 * Write through the mapping or (@gup) process_vm_writev: a shared write
 * makes the object's page dirty, a private one goes to its COW copy; a
 * read-only mapping refuses (SIGSEGV, EFAULT).
 */
static int fc_write(struct worker *w, struct mapping *m, bool gup)
{
	size_t i = rnd(w, m->pages), off, len, k;
	int want = m->ps[i].prot & PROT_WRITE ? 0 : SIGSEGV, sig;
	struct page_state *ps = &m->ps[i];
	uint64_t pg = m->pgoff + i;
	uint8_t *addr;
	char desc[128];

	fc_pick_bytes(w, &off, &len);
	addr = m->addr + i * psz + off;
	for (k = 0; k < len; k++)
		w->buf[k] = (uint8_t)rnd64(w);
	log_op(w, "%swrite %s page %zu +%zu len %zu", gup ? "gup " : "",
	       map_desc(w, m, desc, sizeof(desc)), i, off, len);
	/* A private page's first write copies what the object holds now. */
	if (!want && !m->shared && !ps->cow) {
		ps->shadow = xmalloc(psz);
		if (!ps->shadow) {
			fail(w, "out of memory");
			return -1;
		}
		memcpy(ps->shadow, fc_page(pg), psz);
	}
	/* A write a read-only mapping refuses faults nothing in. */
	if (!want)
		fc_touch(m, i);
	else
		fc.resident[pg] = true;
	if (gup) {
		ssize_t n = want ? gup_xfer(true, w->buf, addr, len) :
				   gup_xfer_all(w, true, w->buf, addr, len);
		int err = n < 0 ? errno : 0;

		STAT_ADD(w, checks, 1);
		/* No shadow was prepared: the write was to fail. */
		if (want && n < 0 && err != EFAULT && injected(w, err, INJ_ENOMEM))
			return 0;
		if (want ? !(n < 0 && err == EFAULT) : n != (ssize_t)len) {
			fail(w, "process_vm_writev of %zu bytes at %p: %zd (%s), expected %s", len,
			     (void *)addr, n, n < 0 ? strerror(err) : "bytes",
			     want ? "EFAULT" : "success");
			return -1;
		}
		if (want) {
			STAT_ADD(w, errnos, 1);
			log_more(w, " -> EFAULT as expected");
		}
		sig = want;
	} else {
		sig = guarded_copy(addr, w->buf, len);
		if (check_signal(w, m, i, addr, sig, want, "write"))
			return -1;
	}
	if (sig)
		return 0;
	if (m->shared) {
		memcpy(fc_page(pg) + off, w->buf, len);
		fc.dirty[pg] = true;
	} else {
		if (!ps->cow) {
			ps->cow = true;
			STAT_ADD(w, cows, 1);
			log_more(w, " (cow)");
		}
		memcpy(ps->shadow + off, w->buf, len);
	}
	return rnd(w, 4) ? 0 : fc_check_page(w, m, i, "read back after a write");
}

/*
 * msync of a range of @m: 0; MS_SYNC of a shared mapping writes back the
 * dirty pages of the range (INFO.write_backs says how many), nothing else
 * does; the file must then be what the model says.
 */
static int fc_msync(struct worker *w, struct mapping *m)
{
	static const struct { int flags; const char *name; } modes[] = {
		{ MS_SYNC, "SYNC" }, { MS_SYNC, "SYNC" }, { MS_SYNC, "SYNC" },
		{ MS_ASYNC, "ASYNC" }, { MS_SYNC | MS_INVALIDATE, "SYNC|INVALIDATE" },
	};
	unsigned int k = (unsigned int)rnd(w, ARRAY_SIZE(modes));
	struct toymap_info after;
	size_t first, n;
	char desc[128];
	bool redone = false;
	uint64_t wb = 0;
	int err;

	pick_range(w, m, 2, &first, &n);
	log_op(w, "msync %s pages %zu+%zu MS_%s", map_desc(w, m, desc, sizeof(desc)), first, n,
	       modes[k].name);
	if (fc_get_info(w, &fc.info, true))
		return -1;
	err = msync(m->addr + first * psz, n * psz, modes[k].flags) ? errno : 0;
	STAT_ADD(w, checks, 1);
	if (err && injected(w, err, INJ_ENOMEM)) {
		/* Some pages may be written back, some not: redo it without injection. */
		bool was = fi_pause();

		err = msync(m->addr + first * psz, n * psz, modes[k].flags) ? errno : 0;
		fi_resume(was);
		redone = true;
	}
	if (err) {
		fail(w, "msync(MS_%s) of pages %zu+%zu of map%u: %s, expected success",
		     modes[k].name, first, n, map_id(w, m), strerror(err));
		return -1;
	}
	if ((modes[k].flags & MS_SYNC) && m->shared)
		wb = fc_sync_model(m->pgoff + first, n);
	log_more(w, " -> %" PRIu64 " written back", wb);
	if (fc_get_info(w, &after, true) ||
	    fc_check_delta(w, "write_backs", fc.info.write_backs, after.write_backs, wb, "msync",
			   redone))
		return -1;
	fc.info = after;
	return fc_verify_file(w, "msync");
}

/* fsync or fdatasync of the object: every dirty page's file bytes are written. */
static int fc_fsync(struct worker *w)
{
	bool data = rnd(w, 2), ro = !rnd(w, 3);
	struct toymap_info after;
	int fd = fc.fd, err;
	bool redone = false;
	uint64_t wb;

	log_op(w, "%s toymap%u%s", data ? "fdatasync" : "fsync", fobj->index,
	       ro ? " through a new O_RDONLY fd" : "");
	if (fc_get_info(w, &fc.info, true))
		return -1;
	if (ro) {
		fd = toymap_open(fobj->index, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && injected(w, -fd, INJ_ENOMEM))
			return 0;
		if (fd < 0) {
			fail(w, "open /dev/toymap%u: %s", fobj->index, strerror(-fd));
			return -1;
		}
	}
	err = (data ? fdatasync(fd) : fsync(fd)) ? errno : 0;
	if (err && injected(w, err, INJ_ENOMEM)) {
		/* Some pages may be written back, some not: redo it without injection. */
		bool was = fi_pause();

		err = (data ? fdatasync(fd) : fsync(fd)) ? errno : 0;
		fi_resume(was);
		redone = true;
	}
	if (ro)
		close(fd);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "%s of /dev/toymap%u: %s, expected success", data ? "fdatasync" : "fsync",
		     fobj->index, strerror(err));
		return -1;
	}
	wb = fc_sync_model(0, FILE_PAGES);
	log_more(w, " -> %" PRIu64 " written back", wb);
	if (fc_get_info(w, &after, true) ||
	    fc_check_delta(w, "write_backs", fc.info.write_backs, after.write_backs, wb, "fsync",
			   redone))
		return -1;
	fc.info = after;
	return fc_verify_file(w, "fsync");
}

/* A range of the object for EVICT and DISCARD: in the model, or all of it. */
static void fc_pick_range(struct worker *w, uint64_t *first, uint64_t *n)
{
	if (!rnd(w, 6)) {
		*first = 0;
		*n = fobj->pages;
		return;
	}
	*first = rnd(w, FILE_PAGES);
	*n = 1 + rnd(w, FILE_PAGES - *first);
}

/*
 * EVICT: the model predicts every count, then pages are unmapped, the file
 * holds what it should, and every later read sees the same bytes (from the
 * file, the swap file, or a page that stayed).
 */
static int fc_evict_range(struct worker *w, uint64_t first, uint64_t n, uint64_t held)
{
	struct fc_evict_counts e;
	struct toymap_info after;
	struct toymap_evict ev;
	bool redone = false;
	char sect[128];
	int err;

	log_op(w, "evict toymap%u pages %" PRIu64 "+%" PRIu64 "%s", fobj->index, first, n,
	       held < FILE_PAGES ? " (a pipe holds a page)" : "");
	if (fc_get_info(w, &fc.info, true))
		return -1;
	fc_evict_model(first, n, &e);
	/*
	 * A clean page someone holds a reference to stays, resident, and is
	 * not counted as dropped (nor as kept: that is for dirty pages) (issue 9 (5)).
	 */
	if (held >= first && held - first < n)
		fc.resident[held] = true;
	err = toymap_evict(fc.fd, first * psz, n * psz, &ev);
	STAT_ADD(w, checks, 1);
	if (err && injected(w, -err, INJ_IOCTL)) {
		/*
		 * The pages saved before the failure are clean and stay (with
		 * their swap copies), a page whose save failed is dirty again,
		 * nothing was dropped: the same EVICT, redone, ends where the
		 * model says; only the counts add up two attempts.
		 */
		bool was = fi_pause();

		err = toymap_evict(fc.fd, first * psz, n * psz, &ev);
		fi_resume(was);
		redone = true;
	}
	if (err) {
		fail(w, "TOYMAP_IOC_EVICT of pages %" PRIu64 "+%" PRIu64 " of toymap%u: %s", first,
		     n, fobj->index, strerror(-err));
		return -1;
	}
	count_evict(w, &ev);
	log_more(w, " -> dropped %" PRIu64 " written back %" PRIu64 " swapped out %" PRIu64
		 " kept %" PRIu64, U64(ev.dropped), U64(ev.written_back), U64(ev.swapped_out),
		 U64(ev.kept));
	STAT_ADD(w, checks, 1);
	if (!redone &&
	    (ev.written_back != e.written_back || ev.swapped_out != e.swapped_out ||
	     ev.kept != e.kept || ev.dropped < e.cleaned || ev.dropped + ev.kept > n)) {
		fail(w, "TOYMAP_IOC_EVICT of pages %" PRIu64 "+%" PRIu64 " returned dropped %" PRIu64
		     " written back %" PRIu64 " swapped out %" PRIu64 " kept %" PRIu64 "; the model "
		     "expects %" PRIu64 " written back, %" PRIu64 " swapped out, %" PRIu64 " kept, "
		     "at least %" PRIu64 " dropped (%s)", first, n, U64(ev.dropped),
		     U64(ev.written_back), U64(ev.swapped_out), U64(ev.kept), e.written_back,
		     e.swapped_out, e.kept, e.cleaned, fc_desc(sect, sizeof(sect)));
		return -1;
	}
	if (fc_get_info(w, &after, true) ||
	    fc_check_delta(w, "evictions", fc.info.evictions, after.evictions, ev.dropped,
			   "EVICT", redone) ||
	    fc_check_delta(w, "swap_outs", fc.info.swap_outs, after.swap_outs, e.swapped_out,
			   "EVICT", redone) ||
	    fc_check_delta(w, "write_backs", fc.info.write_backs, after.write_backs,
			   e.written_back, "EVICT", redone) ||
	    fc_check_delta(w, "resident_pages (down)", after.resident_pages,
			   fc.info.resident_pages, ev.dropped, "EVICT", redone))
		return -1;
	fc.info = after;
	if (check_evicted_ptes(w, fobj, first, n))
		return -1;
	return fc_verify_file(w, "EVICT");
}

static int fc_evict(struct worker *w)
{
	uint64_t first, n;

	fc_pick_range(w, &first, &n);
	return fc_evict_range(w, first, n, UINT64_MAX);
}

/* DISCARD: the pages go, dirty or not, and their swap copies; a touch reads the file again. */
static int fc_discard(struct worker *w)
{
	uint64_t first, n, k;
	int err;

	fc_pick_range(w, &first, &n);
	log_op(w, "discard toymap%u pages %" PRIu64 "+%" PRIu64, fobj->index, first, n);
	err = toymap_discard(fc.fd, first * psz, n * psz);
	STAT_ADD(w, checks, 1);
	if (err) {
		fail(w, "TOYMAP_IOC_DISCARD of pages %" PRIu64 "+%" PRIu64 " of toymap%u: %s",
		     first, n, fobj->index, strerror(-err));
		return -1;
	}
	for (k = first; k < min_u64(first + n, FILE_PAGES); k++) {
		fc_fill(k);
		fc.dirty[k] = fc.swapped[k] = fc.resident[k] = false;
	}
	return fc_get_info(w, &fc.info, true);
}

/* MADV_PAGEOUT: reclaim drops clean pages, keeps dirty ones; every byte comes back. */
static int fc_pageout(struct worker *w, struct mapping *m)
{
	size_t first, n, i;
	char desc[128];

	pick_range(w, m, 2, &first, &n);
	log_op(w, "madvise %s pages %zu+%zu PAGEOUT, read back", map_desc(w, m, desc, sizeof(desc)),
	       first, n);
	STAT_ADD(w, checks, 1);
	if (madvise(m->addr + first * psz, n * psz, MADV_PAGEOUT) &&
	    !injected(w, errno, INJ_ENOMEM)) {
		fail(w, "madvise(MADV_PAGEOUT) of pages %zu+%zu of map%u: %s", first, n,
		     map_id(w, m), strerror(errno));
		return -1;
	}
	for (i = first; i < first + n; i++)
		if (fc_check_page(w, m, i, "read after MADV_PAGEOUT"))
			return -1;
	return 0;
}

/* Read object page @k through a mapping of the cycle that maps it, if one does. */
static int fc_check_mapped_page(struct worker *w, uint64_t k, const char *what)
{
	unsigned int j;

	for (j = 0; j < MAX_MAPS; j++) {
		struct mapping *m = &w->maps[j];

		if (m->used && k >= m->pgoff && k < m->pgoff + m->pages)
			return fc_check_page(w, m, k - m->pgoff, what);
	}
	return 0;
}

/*
 * May the file bytes [@pos, @pos + @n) change?  Only where the object's
 * page cannot hold them now in a way the model cannot tell: a page that is
 * surely not resident (its next touch reads the file), one with a swap copy
 * (which wins) or a dirty one (resident for sure).  A clean resident page
 * might be reclaimed and read again: not there.
 */
static bool fc_poke_safe(uint64_t pos, uint64_t n)
{
	uint64_t b, k;

	for (b = pos; b < pos + n; b++) {
		if (b < fc.off || b - fc.off >= fc.len)
			continue;
		k = (b - fc.off) / psz;
		if (k < FILE_PAGES && fc.resident[k] && !fc.swapped[k] && !fc.dirty[k])
			return false;
	}
	return true;
}

/*
 * Change bytes of the backing file behind the object's back: a page the
 * object does not hold and has no swap copy of shows the change at its next
 * touch (demand paging); bytes outside the section never show.
 */
static int fc_poke(struct worker *w)
{
	uint64_t pos = 0, n = 0, b, k, last = UINT64_MAX;
	unsigned int tries;
	ssize_t done;
	bool was;

	log_op(w, "poke the backing file");
	if (!fc.fsize) {
		log_more(w, ": empty");
		return 0;
	}
	for (tries = 0; tries < 8; tries++) {
		pos = rnd(w, fc.fsize);
		n = 1 + rnd(w, min_u64(MAX_POKE, fc.fsize - pos));
		if (fc_poke_safe(pos, n))
			break;
	}
	if (tries == 8) {
		log_more(w, ": no byte where a change is well defined");
		return 0;
	}
	fill_nonzero(w, w->buf, n);
	log_more(w, " bytes %" PRIu64 "+%" PRIu64, pos, n);
	/* Not the module's: with injection off. */
	was = fi_pause();
	done = pwrite(fc.file_fd, w->buf, n, (off_t)pos);
	fi_resume(was);
	STAT_ADD(w, checks, 1);
	if (done != (ssize_t)n) {
		fail(w, "pwrite of %" PRIu64 " bytes to the backing file: %zd (%s)", n, done,
		     done < 0 ? strerror(errno) : "short");
		return -1;
	}
	memcpy(fc.file + pos, w->buf, n);
	for (b = pos; b < pos + n; b++) {
		if (b < fc.off || b - fc.off >= fc.len)
			continue;
		k = (b - fc.off) / psz;
		if (k >= FILE_PAGES || k == last)
			continue;
		last = k;
		if (!fc.resident[k] && !fc.swapped[k] && !fc.dirty[k]) {
			fc_fill(k);
			STAT_ADD(w, pokes_seen, 1);
			log_more(w, ", page %" PRIu64 " must show it", k);
		} else {
			log_more(w, ", page %" PRIu64 " must not", k);
		}
		/* Read the page now: the change shows, or the page the object holds does. */
		if (fc_check_mapped_page(w, k, "read after its bytes in the backing file changed"))
			return -1;
	}
	return 0;
}

/*
 * The swap file of the file-backed object: drop it or set a new one (EBUSY
 * while swapped pages exist), or offer the backing file as the swap file
 * (EINVAL; EBUSY first while pages are swapped).
 */
static int fc_swap(struct worker *w)
{
	unsigned int nswapped = fc_swapped_count(), r = (unsigned int)rnd(w, 3);
	int want, err, new_fd = -1;

	if (r == 0) {
		want = nswapped ? EBUSY : EINVAL;
		log_op(w, "swap: the backing file as the swap file (%u swapped pages)", nswapped);
		err = toymap_set_swap(fc.fd, fc.file_fd);
		STAT_ADD(w, checks, 1);
		if (err != -want && injected(w, -err, INJ_IOCTL))
			return 0;
		if (err != -want) {
			fail(w, "TOYMAP_IOC_SET_SWAP of the backing file with %u swapped pages: %s, "
			     "expected %s", nswapped, err ? strerror(-err) : "success",
			     strerror(want));
			return -1;
		}
		STAT_ADD(w, errnos, 1);
		return 0;
	}
	if (fc.swap_fd < 0 || r == 2) {
		bool was = fi_pause();

		new_fd = temp_file_rw("swap");
		fi_resume(was);
		if (new_fd < 0) {
			fail(w, "creating a swap file in %s: %s", tmp_dir(), strerror(-new_fd));
			return -1;
		}
	}
	want = nswapped ? EBUSY : 0;
	log_op(w, "swap: %s (%u swapped pages)", new_fd < 0 ? "drop the swap file" :
	       fc.swap_fd < 0 ? "set a swap file" : "a new swap file", nswapped);
	err = toymap_set_swap(fc.fd, new_fd);
	STAT_ADD(w, checks, 1);
	if (err != -want && injected(w, -err, INJ_IOCTL)) {
		/* Refused before any change: redo it, the model has the outcome. */
		bool was = fi_pause();

		err = toymap_set_swap(fc.fd, new_fd);
		fi_resume(was);
	}
	if (err != -want) {
		fail(w, "TOYMAP_IOC_SET_SWAP(%s) with %u swapped pages: %s, expected %s",
		     new_fd < 0 ? "-1" : "a new file", nswapped, err ? strerror(-err) : "success",
		     want ? strerror(want) : "success");
		if (new_fd >= 0)
			close(new_fd);
		return -1;
	}
	if (err) {
		STAT_ADD(w, errnos, 1);
		log_more(w, " -> EBUSY as expected");
		if (new_fd >= 0)
			close(new_fd);
	} else {
		if (fc.swap_fd >= 0)
			close(fc.swap_fd);
		fc.swap_fd = new_fd;
	}
	return fc_get_info(w, &fc.info, true);
}

static int fc_info(struct worker *w)
{
	log_op(w, "info toymap%u", fobj->index);
	if (fc_get_info(w, &fc.info, true))
		return -1;
	log_more(w, " -> resident %" PRIu64 " file_reads %" PRIu64 " write_backs %" PRIu64
		 " swap_ins %" PRIu64, U64(fc.info.resident_pages), U64(fc.info.file_reads),
		 U64(fc.info.write_backs), U64(fc.info.swap_ins));
	return 0;
}

static int fc_expect(struct worker *w, int err, int want, const char *what);
static void fc_count(struct worker *w, enum fop_kind kind);
static int fc_evict_range(struct worker *w, uint64_t first, uint64_t n, uint64_t held);

/* ------------------------------------------- issue 9: the attach cycle's mixes */

/* What runs beside a mix's main step, in a second thread of the attach cycle. */
enum fc_side_kind { SIDE_NONE, SIDE_EVICT, SIDE_FSYNC, SIDE_FAULT, NR_SIDES };

static const char *const side_names[NR_SIDES] = {
	[SIDE_NONE] = "nothing", [SIDE_EVICT] = "EVICT", [SIDE_FSYNC] = "fsync",
	[SIDE_FAULT] = "faults",
};

/*
 * struct fc_side - the step beside a mix's main step (both with injection off)
 * @kind:	what it is
 * @first:	EVICT: its range; faults: the pages read, less @skip
 * @n:		... its pages
 * @skip:	faults: pages whose bytes the main step makes uncertain
 * @map:	faults: a shared read-only mapping of pages [0, FILE_PAGES)
 * @seen:	faults: FILE_PAGES pages, what each read returned
 * @e:		EVICT, fsync: what the model predicts
 * @ev:		EVICT: what it returned
 * @err:	the EVICT's or fsync's errno, or the signal a read got
 * @finished:	set when the side step is done (the main step repeats until then)
 */
struct fc_side {
	enum fc_side_kind kind;
	uint64_t first;
	uint64_t n;
	bool skip[FILE_PAGES];
	uint8_t *map;
	uint8_t *seen;
	struct fc_evict_counts e;
	struct toymap_evict ev;
	int err;
	int finished;
	pthread_t tid;
};

static void *fc_side_main(void *arg)
{
	struct fc_side *sd = arg;
	uint64_t k;

	if (sd->kind == SIDE_EVICT)
		sd->err = -toymap_evict(fc.fd, sd->first * psz, sd->n * psz, &sd->ev);
	else if (sd->kind == SIDE_FSYNC)
		sd->err = fsync(fc.fd) ? errno : 0;
	for (k = sd->first; sd->kind == SIDE_FAULT && k < sd->first + sd->n && !sd->err; k++)
		if (!sd->skip[k])
			sd->err = guarded_copy(sd->seen + k * psz, sd->map + k * psz, psz);
	__atomic_store_n(&sd->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A side step, EVICT and fsync twice as often as the others. */
static enum fc_side_kind fc_side_kind(struct worker *w)
{
	static const enum fc_side_kind kinds[] = {
		SIDE_NONE, SIDE_EVICT, SIDE_EVICT, SIDE_FSYNC, SIDE_FSYNC, SIDE_FAULT,
	};

	return kinds[rnd(w, ARRAY_SIZE(kinds))];
}

/*
 * Pick the side step: @kind, its range; EVICT's range from fc_pick_range(),
 * or half the time a few pages around object page @near (if below FILE_PAGES).
 */
static void fc_side_pick(struct worker *w, struct fc_side *sd, enum fc_side_kind kind,
			 uint64_t near)
{
	sd->kind = kind;
	if (kind == SIDE_EVICT && near < FILE_PAGES && rnd(w, 2)) {
		sd->first = near - rnd(w, min_u64(near, 4) + 1);
		sd->n = near - sd->first + 1 + rnd(w, min_u64(FILE_PAGES - near, 4));
	} else if (kind == SIDE_EVICT) {
		fc_pick_range(w, &sd->first, &sd->n);
	} else if (kind == SIDE_FAULT) {
		sd->first = rnd(w, FILE_PAGES);
		sd->n = 1 + rnd(w, FILE_PAGES - sd->first);
	}
}

/* Does the side step save (write back or swap out) object page @k? */
static bool fc_side_saves(const struct fc_side *sd, uint64_t k)
{
	return k < FILE_PAGES && fc.dirty[k] &&
	       (sd->kind == SIDE_FSYNC ||
		(sd->kind == SIDE_EVICT && k >= sd->first && k - sd->first < sd->n));
}

/* Object page whose section holds file byte @b, or UINT64_MAX. */
static uint64_t fc_page_of(uint64_t b)
{
	return b < fc.off || b - fc.off >= fc.len ? UINT64_MAX : (b - fc.off) / psz;
}

/* May the side step write file byte @b (a page it saves holds it)? */
static bool fc_side_writes(const struct fc_side *sd, uint64_t b)
{
	uint64_t k = fc_page_of(b);

	return k != UINT64_MAX && fc_side_saves(sd, k);
}

/*
 * Start the side step, its effect on the model applied first: the main
 * steps of the mixes are chosen so that the order does not matter.
 */
static int fc_side_start(struct worker *w, struct fc_side *sd)
{
	memset(&sd->e, 0, sizeof(sd->e));
	if (sd->kind == SIDE_EVICT)
		fc_evict_model(sd->first, sd->n, &sd->e);
	else if (sd->kind == SIDE_FSYNC)
		sd->e.written_back = fc_sync_model(0, FILE_PAGES);
	if (sd->kind == SIDE_FAULT) {
		sd->seen = xmalloc(FILE_PAGES * psz);
		sd->map = fc_mmap_locked(w, FILE_PAGES * psz, PROT_READ, MAP_SHARED, fc.fd, 0);
		if (!sd->seen || sd->map == MAP_FAILED) {
			fail(w, "the faults beside the mix: %s", sd->seen ? strerror(errno) :
			     "out of memory");
			free(sd->seen);
			sd->seen = NULL;
			sd->kind = SIDE_NONE;
			return -1;
		}
	}
	if (sd->kind == SIDE_NONE)
		return 0;
	sd->err = pthread_create(&sd->tid, NULL, fc_side_main, sd);
	if (sd->err)
		fail(w, "pthread_create: %s", strerror(sd->err));
	return sd->err ? -1 : 0;
}

/*
 * Join the side step and check it: EVICT's counts as the model predicts
 * (@slack pages may be kept, not dropped: the main step may hold them
 * mapped for a moment), the faults' reads against the model.
 */
static int fc_side_finish(struct worker *w, struct fc_side *sd, uint64_t slack)
{
	const struct fc_evict_counts *e = &sd->e;
	const struct toymap_evict *ev = &sd->ev;
	char sect[128];
	uint64_t k;
	int ret = 0;

	if (sd->kind == SIDE_NONE)
		return 0;
	pthread_join(sd->tid, NULL);
	STAT_ADD(w, checks, 1);
	if (sd->kind == SIDE_FAULT) {
		for (k = sd->first; !ret && !sd->err && k < sd->first + sd->n; k++) {
			if (sd->skip[k])
				continue;
			fc_touch_page(k);
			STAT_ADD(w, bytes, psz);
			if (memcmp(sd->seen + k * psz, fc_page(k), psz)) {
				fail(w, "object page %" PRIu64 ", read beside the mix, differs from the "
				     "model (%s)", k, fc_desc(sect, sizeof(sect)));
				ret = -1;
			}
		}
		if (sd->err)
			fail(w, "reading object pages beside the mix: %s", sig_name(sd->err));
		if (fc_munmap_locked(w, sd->map, FILE_PAGES * psz) && !ret && !sd->err)
			fail(w, "munmap: %s", strerror(errno));
		free(sd->seen);
		return sd->err || w->failed ? -1 : ret;
	}
	if (sd->err) {
		fail(w, "%s beside the mix: %s", side_names[sd->kind], strerror(sd->err));
		return -1;
	}
	if (sd->kind != SIDE_EVICT)
		return 0;
	count_evict(w, ev);
	log_more(w, "; EVICT %" PRIu64 "+%" PRIu64 " -> dropped %" PRIu64 " written back %" PRIu64
		 " swapped out %" PRIu64 " kept %" PRIu64, sd->first, sd->n, U64(ev->dropped),
		 U64(ev->written_back), U64(ev->swapped_out), U64(ev->kept));
	if (ev->written_back == e->written_back && ev->swapped_out == e->swapped_out &&
	    ev->kept >= e->kept && ev->kept <= e->kept + slack && ev->dropped + ev->kept <= sd->n &&
	    ev->dropped + slack >= e->cleaned)
		return 0;
	fail(w, "TOYMAP_IOC_EVICT of pages %" PRIu64 "+%" PRIu64 " beside the mix returned dropped %"
	     PRIu64 " written back %" PRIu64 " swapped out %" PRIu64 " kept %" PRIu64 "; the model "
	     "expects %" PRIu64 " written back, %" PRIu64 " swapped out, %" PRIu64 "..%" PRIu64
	     " kept, at least %" PRIu64 " dropped (%s)", sd->first, sd->n, U64(ev->dropped),
	     U64(ev->written_back), U64(ev->swapped_out), U64(ev->kept), e->written_back,
	     e->swapped_out, e->kept, e->kept + slack,
	     e->cleaned > slack ? e->cleaned - slack : 0, fc_desc(sect, sizeof(sect)));
	return -1;
}

/* After a mix: INFO against the model, write_backs and swap_outs grew as the side step's. */
static int fc_side_info(struct worker *w, const struct fc_side *sd,
			const struct toymap_info *before, const char *what)
{
	struct toymap_info after;

	if (fc_get_info(w, &after, true) ||
	    fc_check_delta(w, "write_backs", before->write_backs, after.write_backs,
			   sd->e.written_back, what, false) ||
	    fc_check_delta(w, "swap_outs", before->swap_outs, after.swap_outs, sd->e.swapped_out,
			   what, false))
		return -1;
	fc.info = after;
	return fc_verify_file(w, what);
}

/* Object pages whose file bytes lie in [@lo, @hi): they show a change of those bytes. */
static void fc_pages_of_bytes(uint64_t lo, uint64_t hi, bool *pages)
{
	uint64_t k;

	for (k = 0; k < FILE_PAGES; k++) {
		uint64_t start = fc.off + k * psz, end = start + fc_section_bytes(k);

		pages[k] = fc_section_bytes(k) && start < hi && end > lo;
	}
}

/*
 * File bytes [@lo, @hi) changed (the model's file has the new bytes): a page
 * the object does not hold, without a swap copy, shows them at its next
 * touch; read each such page through a mapping that maps it.
 */
static int fc_file_changed(struct worker *w, uint64_t lo, uint64_t hi, const char *what)
{
	bool pages[FILE_PAGES];
	uint64_t k;

	fc_pages_of_bytes(lo, hi, pages);
	for (k = 0; k < FILE_PAGES; k++) {
		if (!pages[k])
			continue;
		if (!fc.resident[k] && !fc.swapped[k] && !fc.dirty[k]) {
			fc_fill(k);
			STAT_ADD(w, pokes_seen, 1);
		}
		if (fc_check_mapped_page(w, k, what))
			return -1;
	}
	return 0;
}

/*
 * A page of @m: half the time one whose object page is dirty (an EVICT or
 * fsync beside writes it back while the file I/O faults on it), if any.
 */
static size_t fc_pick_dirty(struct worker *w, const struct mapping *m)
{
	size_t i = rnd(w, m->pages), j;
	bool dirty = rnd(w, 2);

	for (j = 0; dirty && j < m->pages; j++)
		if (fc.dirty[m->pgoff + (i + j) % m->pages] &&
		    (m->shared || !m->ps[(i + j) % m->pages].cow))
			return (i + j) % m->pages;
	return i;
}

/* write(2), pwrite(2), writev(2), pwritev(2) or (@in) their read counterparts. */
static ssize_t fc_file_io(int fd, bool in, unsigned int how, void *buf, size_t len, off_t pos)
{
	struct iovec iov[2] = { { buf, len / 2 }, { (uint8_t *)buf + len / 2, len - len / 2 } };

	if (how == 0 || how == 2) {
		if (lseek(fd, pos, SEEK_SET) != pos)
			return -1;
		if (how == 0)
			return in ? read(fd, buf, len) : write(fd, buf, len);
		return in ? readv(fd, iov, 2) : writev(fd, iov, 2);
	}
	if (how == 1)
		return in ? pread(fd, buf, len, pos) : pwrite(fd, buf, len, pos);
	return in ? preadv(fd, iov, 2, pos) : pwritev(fd, iov, 2, pos);
}

#define SELFIO_ROUNDS	64	/* file I/Os through new mappings beside one side step, at most */

static const char *const io_names[2][4] = {
	{ "write", "pwrite", "writev", "pwritev" }, { "read", "pread", "readv", "preadv" },
};

/*
 * Issue 9 (2, 3): write(2) and its kin from a mapping of the object into its
 * own backing file (or read(2) from the file into a writable mapping), while
 * a second thread evicts, fsyncs or faults pages of the object.  An EVICT or
 * fsync that held the page's lock across its write to the file deadlocked
 * with a write(2) that faulted on that page (the watchdog names it).  The
 * source is the page as the model has it (read first, so that a swap copy
 * comes back before), through @m or a new mapping that must fault; the file
 * bytes written are ones the side step does not write and whose pages'
 * content stays certain (fc_poke_safe()); EVICT may catch the source page
 * (and what fault-around mapped beside it) mapped: kept, not dropped.
 */
static int fc_selfio(struct worker *w, struct mapping *m)
{
	size_t i = fc_pick_dirty(w, m), off, len;
	uint64_t s = m->pgoff + i, pos = 0, b, slack = 0, tries;
	bool in = (m->ps[i].prot & PROT_WRITE) && !rnd(w, 2);
	bool reaches = m->shared || !m->ps[i].cow, fresh = reaches && !rnd(w, 2), was;
	unsigned int how = (unsigned int)rnd(w, 4);
	struct toymap_info before;
	struct fc_side sd = { 0 };
	unsigned int rounds;
	uint8_t *src;
	char desc[128];
	ssize_t done = 0;
	int ret = -1;

	fc_pick_bytes(w, &off, &len);
	if (len > fc.fsize) {
		log_op(w, "selfio: the backing file has %" PRIu64 " bytes", fc.fsize);
		return 0;
	}
	fc_side_pick(w, &sd, fc_side_kind(w), s);
	/* The source page in EVICT's range: only a page EVICT leaves certain. */
	if (sd.kind == SIDE_EVICT && reaches && s >= sd.first && s - sd.first < sd.n) {
		if (in || (fc.dirty[s] && fc_writeback_bytes(s) < psz))
			fc_side_pick(w, &sd, SIDE_FAULT, UINT64_MAX);
		else
			slack = fresh ? 1 : min_u64(sd.first + sd.n, m->pgoff + m->pages) -
					     (sd.first > m->pgoff ? sd.first : m->pgoff);
	}
	if (sd.kind == SIDE_FSYNC && in && m->shared)
		fc_side_pick(w, &sd, SIDE_FAULT, UINT64_MAX);
	for (tries = 0; tries < 8; tries++) {
		pos = rnd(w, fc.fsize - len + 1);
		for (b = pos; b < pos + len; b++)
			if (fc_side_writes(&sd, b) ||
			    (!in && (fc_page_of(b) == s || !fc_poke_safe(b, 1))))
				break;
		if (b == pos + len)
			break;
	}
	log_op(w, "selfio %s %zu bytes %s page %zu +%zu of %s%s %s file byte %" PRIu64
	       ", beside %s", io_names[in][how], len, in ? "into" : "from", i, off,
	       map_desc(w, m, desc, sizeof(desc)), fresh ? " (a new mapping)" : "",
	       in ? "from" : "to", pos, side_names[sd.kind]);
	if (tries == 8) {
		log_more(w, ": no file bytes where it is well defined");
		return 0;
	}
	was = fi_pause();
	/* The page first: a swap copy comes back now, not during the race. */
	if (fc_check_page(w, m, i, "read before a file I/O with it") ||
	    fc_get_info(w, &before, true))
		goto out;
	/* The faults beside leave alone the source page and the pages the write changes. */
	if (!in)
		fc_pages_of_bytes(pos, pos + len, sd.skip);
	sd.skip[s] = true;
	/* What must move: the page's bytes as the model has them, or the file's. */
	memcpy(w->buf, in ? fc.file + pos : fc_expected(m, i) + off, len);
	if (fc_side_start(w, &sd))
		goto out;
	/*
	 * Through @m once; through a new mapping again and again while the
	 * side step runs (the same bytes each time), so that each I/O faults
	 * on the page: a lock held across file I/O meets it.
	 */
	for (rounds = 0; rounds < SELFIO_ROUNDS; rounds++) {
		src = m->addr + i * psz;
		if (fresh)
			src = fc_mmap_locked(w, psz, in ? PROT_READ | PROT_WRITE : PROT_READ,
					     m->shared ? MAP_SHARED : MAP_PRIVATE, fc.fd,
					     (off_t)(s * psz));
		if (src == MAP_FAILED) {
			done = -errno;
			break;
		}
		done = fc_file_io(fc.file_fd, in, how, src + off, len, (off_t)pos);
		if (done < 0)
			done = -errno;
		if (fresh && fc_munmap_locked(w, src, psz))
			done = -errno;
		if (done != (ssize_t)len || !fresh || sd.kind == SIDE_NONE ||
		    __atomic_load_n(&sd.finished, __ATOMIC_ACQUIRE))
			break;
	}
	if (fc_side_finish(w, &sd, slack))
		goto out;
	STAT_ADD(w, checks, 1);
	if (done != (ssize_t)len) {
		fail(w, "%s of %zu bytes %s object page %" PRIu64 " (%s, round %u): %zd (%s)",
		     io_names[in][how], len, in ? "into" : "from", s, fresh ? "a new mapping" : desc,
		     rounds, done, done < 0 ? strerror((int)-done) : "short");
		goto out;
	}
	log_more(w, "; %u rounds", rounds + 1);
	if (in && m->shared) {
		memcpy(fc_page(s) + off, w->buf, len);
		fc.dirty[s] = true;
	} else if (in && !fresh) {
		/* Into @m's COW copy (a private new mapping's copy goes with it). */
		if (!m->ps[i].cow) {
			m->ps[i].shadow = xmalloc(psz);
			if (!m->ps[i].shadow) {
				fail(w, "out of memory");
				goto out;
			}
			memcpy(m->ps[i].shadow, fc_page(s), psz);
			m->ps[i].cow = true;
			STAT_ADD(w, cows, 1);
		}
		memcpy(m->ps[i].shadow + off, w->buf, len);
	} else if (!in) {
		memcpy(fc.file + pos, w->buf, len);
	}
	/* The source page again (certain now), the pages that show the new file bytes. */
	if (fc_check_page(w, m, i, in ? "read after a read(2) into it" :
			  "read after a write(2) from it") ||
	    (!in && fc_file_changed(w, pos, pos + len, "read after a write(2) from a mapping "
				    "changed its file bytes")) ||
	    fc_side_info(w, &sd, &before, in ? "read(2) from the backing file into a mapping" :
			 "write(2) from a mapping into the backing file"))
		goto out;
	ret = 0;
out:
	fi_resume(was);
	return ret;
}

/*
 * Issue 9 (4, 8): the backing file grows or shrinks (ftruncate) while a
 * second thread evicts, fsyncs or faults pages.  What the object holds
 * after: a page it does not hold and has no swap copy of reads the file as
 * it is now (zeros past its end); a shrink cuts only bytes of pages that
 * are not resident, dirty or swapped (fc_poke_safe()); the side step saves
 * no dirty page whose file bytes the size change moves, nor reads a page
 * whose bytes it changes.  The file keeps the size given (write-back never
 * makes it grow back).
 */
static int fc_truncate(struct worker *w)
{
	uint64_t max = (uint64_t)(FILE_PAGES + FILE_SLACK_PAGES) * psz, old = fc.fsize, size = 0;
	uint64_t lo, hi, k, tries;
	bool moved[FILE_PAGES], grow = old < max && (!old || rnd(w, 2)), was;
	struct toymap_info before;
	struct fc_side sd = { 0 };
	uint8_t *file;
	int ret = -1;

	for (tries = 0; tries < 8; tries++) {
		size = grow ? old + 1 + rnd(w, min_u64(max - old, 2 * psz)) : rnd(w, old);
		if (grow || fc_poke_safe(size, old - size))
			break;
	}
	lo = grow ? old : size;
	hi = grow ? size : old;
	fc_side_pick(w, &sd, fc_side_kind(w), UINT64_MAX);
	fc_pages_of_bytes(lo, hi, moved);
	for (k = 0; k < FILE_PAGES; k++)
		if (moved[k] && fc_side_saves(&sd, k))
			fc_side_pick(w, &sd, SIDE_FAULT, UINT64_MAX);
	log_op(w, "truncate the backing file from %" PRIu64 " to %" PRIu64 " bytes, beside %s",
	       old, size, side_names[sd.kind]);
	if (tries == 8) {
		log_more(w, ": no size where it is well defined");
		return 0;
	}
	was = fi_pause();
	file = realloc(fc.file, size ? size : 1);
	if (!file || fc_get_info(w, &before, true)) {
		if (!file)
			fail(w, "out of memory");
		goto out;
	}
	fc.file = file;
	memcpy(sd.skip, moved, sizeof(moved));
	if (fc_side_start(w, &sd))
		goto out;
	ret = ftruncate(fc.file_fd, (off_t)size) ? errno : 0;
	if (fc_side_finish(w, &sd, 0))
		goto out;
	STAT_ADD(w, checks, 1);
	if (ret) {
		fail(w, "ftruncate of the backing file to %" PRIu64 ": %s", size, strerror(ret));
		goto out;
	}
	ret = -1;
	if (grow)
		memset(fc.file + old, 0, size - old);
	fc.fsize = size;
	if (fc_file_changed(w, lo, hi, "read after the backing file was truncated") ||
	    fc_side_info(w, &sd, &before, "ftruncate of the backing file"))
		goto out;
	ret = 0;
out:
	fi_resume(was);
	return ret;
}

/*
 * Issue 9 (5): vmsplice() of a clean page of the object (through @m) into a
 * pipe holds a reference to it; EVICT of a range with it must keep it
 * (resident, as mincore() says, and not counted as dropped), and the pipe
 * must give the page's bytes.
 */
static int fc_splice(struct worker *w, struct mapping *m)
{
	size_t i = rnd(w, m->pages), j;
	uint64_t s, first, n;
	struct iovec iov;
	char desc[128];
	int pfd[2] = { -1, -1 }, ret = -1;
	unsigned char vec = 0;
	ssize_t done;
	bool was;

	/* A page of @m that shows the object's page and is clean. */
	for (j = 0; j < m->pages; j++, i = (i + 1) % m->pages)
		if ((m->shared || !m->ps[i].cow) && !fc.dirty[m->pgoff + i] &&
		    !fc.swapped[m->pgoff + i])
			break;
	s = m->pgoff + i;
	first = s - rnd(w, min_u64(s, 3) + 1);
	n = s - first + 1 + rnd(w, FILE_PAGES - s);
	log_op(w, "vmsplice page %zu of %s into a pipe, evict pages %" PRIu64 "+%" PRIu64, i,
	       map_desc(w, m, desc, sizeof(desc)), first, n);
	if (j == m->pages) {
		log_more(w, ": no clean page");
		return 0;
	}
	was = fi_pause();
	if (fc_check_page(w, m, i, "read before vmsplice"))
		goto out;
	memcpy(w->buf, fc_expected(m, i), psz);
	iov = (struct iovec) { m->addr + i * psz, psz };
	STAT_ADD(w, checks, 1);
	if (pipe2(pfd, O_CLOEXEC) || (done = vmsplice(pfd[1], &iov, 1, 0)) != (ssize_t)psz) {
		fail(w, "pipe2 and vmsplice of a page of the object: %s", strerror(errno));
		goto out;
	}
	if (fc_evict_range(w, first, n, s))
		goto out;
	STAT_ADD(w, checks, 1);
	if (mincore(m->addr + i * psz, psz, &vec)) {
		fail(w, "mincore: %s", strerror(errno));
		goto out;
	}
	if (!(vec & 1)) {
		fail(w, "object page %" PRIu64 ", which a pipe holds (vmsplice), is not resident "
		     "after EVICT (mincore): EVICT dropped a page someone else holds", s);
		goto out;
	}
	done = read(pfd[0], w->buf2, psz);
	STAT_ADD(w, checks, 1);
	STAT_ADD(w, bytes, psz);
	if (done != (ssize_t)psz || memcmp(w->buf, w->buf2, psz)) {
		fail(w, "the pipe gave %zd bytes%s after EVICT (vmsplice of object page %" PRIu64
		     ")", done, done == (ssize_t)psz ? " that differ from the page's" : "", s);
		goto out;
	}
	ret = fc_check_page(w, m, i, "read after EVICT kept a page a pipe holds");
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	fi_resume(was);
	return ret;
}

/* Expect EBUSY from @err, with @what for the report: 0 or -1. */
static int fc_expect_busy(struct worker *w, int err, const char *what)
{
	if (fc_expect(w, err, EBUSY, what))
		return -1;
	log_more(w, " -> EBUSY");
	return 0;
}

/*
 * Open the swap file of general object @o by its name, its swap lock held
 * shared (it stays that object's swap file meanwhile): fd or -1 after fail().
 */
static int fc_open_general_swap(struct worker *w, struct object *o)
{
	int fd;

	if (swap_lock(w, o, false))
		return -1;
	fd = open(o->swap_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail(w, "open %s (the swap file of toymap%u): %s", o->swap_path, o->index,
		     strerror(errno));
		swap_unlock(o);
	}
	return fd;
}

/*
 * Issue 9 (7): one swap file, two objects.  A general object may not take
 * the cycle's backing file or swap file as its swap file, nor the cycle's
 * object a general object's swap file: EBUSY.
 */
static int fc_xswap(struct worker *w)
{
	struct object *o = &objs[ngeneral ? rnd(w, ngeneral) : 0];
	unsigned int r = (unsigned int)rnd(w, 3);
	int fd, err, ret;
	bool was;

	if (!ngeneral)
		return 0;
	if (r == 1 && fc.swap_fd < 0)
		r = 2;
	log_op(w, "xswap: %s", r == 0 ? "the backing file as a general object's swap file" :
	       r == 1 ? "the swap file as a general object's swap file" :
	       "a general object's swap file as the swap file");
	was = fi_pause();
	if (r < 2) {
		fd = toymap_open(o->index, O_RDWR | O_CLOEXEC);
		ret = fd < 0 || swap_lock(w, o, true) ? -1 : 0;
		if (fd < 0)
			fail(w, "open /dev/toymap%u: %s", o->index, strerror(-fd));
		if (!ret) {
			err = toymap_set_swap(fd, r ? fc.swap_fd : fc.file_fd);
			swap_unlock(o);
			ret = fc_expect_busy(w, err, r ? "TOYMAP_IOC_SET_SWAP of another object's "
					     "swap file" : "TOYMAP_IOC_SET_SWAP of another object's "
					     "backing file");
		}
	} else {
		fd = fc_open_general_swap(w, o);
		ret = fd < 0 ? -1 : fc_expect_busy(w, toymap_set_swap(fc.fd, fd),
						    "TOYMAP_IOC_SET_SWAP of another object's swap file");
		if (fd >= 0)
			swap_unlock(o);
	}
	if (fd >= 0)
		close(fd);
	fi_resume(was);
	return ret;
}

/* ATTACH (the object unmapped, empty) of a general object's swap file: EBUSY. */
static int fc_attach_other_swap(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	int fd = fc_open_general_swap(w, o), ret;

	if (fd < 0)
		return -1;
	ret = fc_expect_busy(w, toymap_attach(fc.fd, fd, fc.off, fc.len),
			     "TOYMAP_IOC_ATTACH of another object's swap file");
	swap_unlock(o);
	close(fd);
	return ret;
}

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

static enum fop_kind fc_pick_op(struct worker *w)
{
	unsigned int total = 0, k, r;

	for (k = 0; k < NR_FOPS; k++)
		total += fop_table[k].weight;
	r = (unsigned int)rnd(w, total);
	for (k = 0; k < NR_FOPS; k++) {
		if (r < fop_table[k].weight)
			return (enum fop_kind)k;
		r -= fop_table[k].weight;
	}
	return FOP_INFO;
}

static void fc_count(struct worker *w, enum fop_kind kind)
{
	STAT_ADD(w, fops[kind], 1);
	STAT_ADD(w, ops[OP_FILE], 1);
}

static int fc_run_op(struct worker *w, enum fop_kind kind)
{
	struct mapping *m = NULL;
	int ret;

	if (fop_table[kind].needs_map && !fc_nmaps(w))
		kind = FOP_MMAP;
	if (kind == FOP_MMAP && fc_nmaps(w) >= FILE_MAPS)
		kind = FOP_MUNMAP;
	if (fop_table[kind].needs_map)
		m = pick_map(w);
	switch (kind) {
	case FOP_MMAP:
		ret = fc_mmap(w);
		break;
	case FOP_MUNMAP:
		ret = fc_munmap(w, m);
		break;
	case FOP_READ:
		ret = fc_read(w, m);
		break;
	case FOP_WRITE:
		ret = fc_write(w, m, false);
		break;
	case FOP_GUP:
		ret = fc_write(w, m, true);
		break;
	case FOP_MSYNC:
		ret = fc_msync(w, m);
		break;
	case FOP_FSYNC:
		ret = fc_fsync(w);
		break;
	case FOP_EVICT:
		ret = fc_evict(w);
		break;
	case FOP_DISCARD:
		ret = fc_discard(w);
		break;
	case FOP_PAGEOUT:
		ret = fc_pageout(w, m);
		break;
	case FOP_POKE:
		ret = fc_poke(w);
		break;
	case FOP_SWAP:
		ret = fc_swap(w);
		break;
	case FOP_SELFIO:
		ret = fc_selfio(w, m);
		break;
	case FOP_TRUNCATE:
		ret = fc_truncate(w);
		break;
	case FOP_SPLICE:
		ret = fc_splice(w, m);
		break;
	case FOP_XSWAP:
		ret = fc_xswap(w);
		break;
	case FOP_VERIFY:
		log_op(w, "verify the backing file");
		ret = fc_verify_file(w, "nothing in particular");
		break;
	default:
		ret = fc_info(w);
		break;
	}
	fc_count(w, kind);
	if (cfg.verbose && w->logged)
		print_op(w);
	return ret;
}

/* Expect @err (0 or -errno) to be -@want for the attach cycle's own probes. */
static int fc_expect(struct worker *w, int err, int want, const char *what)
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

/* The backing file of a cycle: its size, content, section and mode. */
static int fc_make_file(struct worker *w, char *path, size_t len)
{
	unsigned int r = (unsigned int)rnd(w, 8);
	uint64_t max = (uint64_t)(FILE_PAGES + FILE_SLACK_PAGES) * psz;

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
	fc.file_fd = temp_file("file", path, len);
	if (fc.file_fd < 0) {
		fail(w, "creating the backing file in %s: %s", tmp_dir(), strerror(-fc.file_fd));
		return -1;
	}
	if (fc.fsize && pwrite(fc.file_fd, fc.file, fc.fsize, 0) != (ssize_t)fc.fsize) {
		fail(w, "writing the backing file: %s", strerror(errno));
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
	return fc_expect(w, toymap_attach(fc.fd, probe.rw, 0, psz), EBUSY,
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
		fc.swap_fd = temp_file_rw("swap");
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
		if (fc_run_op(w, fc_pick_op(w)))
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
static void __attribute__((noreturn)) file_main(double deadline)
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
			"probe files in %s\n", fobj->index, tmp_dir());
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

/* ------------------------------------------------------ setup and end */

static void usage(FILE *out)
{
	unsigned int k;

	fprintf(out,
		"usage: toymap-stress [--seed S] [--seconds T] [--procs P] [--threads N]\n"
		"                     [--pages K] [--ops LIST] [--devices LIST]\n"
		"                     [--attach-device N|none] [--fail-alloc PCT] [--verbose]\n"
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
		"  --attach-device N|none\n"
		"                  the object of the attach cycle (operation \"file\"), which\n"
		"                  no other process maps (default: the last device, if there\n"
		"                  are two or more)\n"
		"  --fail-alloc PCT\n"
		"                  fail PCT%% (1..100) of the page and slab allocations of the\n"
		"                  stress processes (root; debugfs fail_page_alloc and failslab,\n"
		"                  restored at exit); failures they explain are counted; a user\n"
		"                  fault is retried until its allocation succeeds: at 100 the\n"
		"                  run stalls until the alarm guard kills it\n"
		"  --verbose       print every operation\n"
		"Every object is emptied first (DISCARD, DETACH, swap file dropped) and at\n"
		"the end; the general objects get a swap file in $TMPDIR (default /tmp).\n"
		"Exit status: 0 PASS, 1 FAIL, 2 usage or setup error.\n", MAX_MAPS);
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && !*end && *v <= max && s[0] != '-';
}

/*
 * The lists are cut up in a copy: argv must stay whole for the re-execution
 * of --fail-alloc (fi_no_rseq()).
 */
static int parse_ops(const char *arg)
{
	char *list = strdup(arg), *tok, *save = NULL;
	unsigned int k;
	int ret = 0;

	if (!list) {
		fprintf(stderr, "toymap-stress: out of memory\n");
		return -1;
	}
	memset(cfg.ops, 0, sizeof(cfg.ops));
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < NR_OPS; k++)
			if (!strcmp(tok, op_table[k].name))
				break;
		if (k == NR_OPS) {
			fprintf(stderr, "toymap-stress: unknown operation '%s'\n", tok);
			ret = -1;
			break;
		}
		cfg.ops[k] = true;
	}
	free(list);
	return ret;
}

static int parse_devices(const char *arg)
{
	char *list = strdup(arg), *tok, *save = NULL;
	unsigned long long v;
	int ret = 0;

	if (!list) {
		fprintf(stderr, "toymap-stress: out of memory\n");
		return -1;
	}
	cfg.ndevices = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!parse_uint(tok, MAX_DEVICES - 1, &v) || cfg.ndevices == MAX_DEVICES) {
			fprintf(stderr, "toymap-stress: bad device number '%s'\n", tok);
			ret = -1;
			break;
		}
		cfg.devices[cfg.ndevices++] = (unsigned int)v;
	}
	free(list);
	return ret || !cfg.ndevices ? -1 : 0;
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
		{ "attach-device", required_argument, NULL, 'a' },
		{ "fail-alloc", required_argument, NULL, 'f' },
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
		case 'a':
			cfg.attach_given = true;
			if (!strcmp(optarg, "none")) {
				cfg.attach_device = -1;
				break;
			}
			if (!parse_uint(optarg, MAX_DEVICES - 1, &v))
				goto bad;
			cfg.attach_device = (int)v;
			break;
		case 'f':
			if (!parse_uint(optarg, 100, &v))
				goto bad;
			cfg.fail_alloc = (unsigned int)v;
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
	char ops[256] = "", devs[256] = "", attach[16] = "none", fail[32] = "";
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
	if (fobj)
		snprintf(attach, sizeof(attach), "%u", fobj->index);
	if (cfg.fail_alloc)
		snprintf(fail, sizeof(fail), " --fail-alloc %u", cfg.fail_alloc);
	snprintf(cfg.cmdline, sizeof(cfg.cmdline),
		 "toymap-stress --seed %" PRIu64 " --seconds %u --procs %u --threads %u "
		 "--pages %u --ops %s --devices %s --attach-device %s%s", cfg.seed,
		 cfg.seconds, cfg.procs, cfg.threads, cfg.pages, ops, devs, attach, fail);
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
		fprintf(stderr, "toymap-stress: a swap file in %s for toymap%u: %s\n", tmp_dir(),
			o->index, strerror(-err));
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
static int setup(void)
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
	/* The workers' slots, then the attach cycle's. */
	hdr = sizeof(struct shared) + ((size_t)cfg.procs * cfg.threads + 1) * sizeof(struct slot);
	sh = map_shared(hdr);
	if (!sh || init_lock(&sh->print_lock) || init_lock(&sh->file.lock))
		return -1;
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
	/* --fail-alloc: on the thread's signal stack (fi_altstack_start()). */
	sa.sa_flags = SA_SIGINFO | (cfg.fail_alloc ? SA_ONSTACK : 0);
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

/* Every field of struct slot is a uint64_t counter: add them up as such. */
#define SLOT_WORDS	(sizeof(struct slot) / sizeof(uint64_t))
_Static_assert(sizeof(struct slot) % sizeof(uint64_t) == 0, "struct slot holds uint64_t only");

static void sum_slots(struct totals *t)
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
static uint64_t final_checks(uint64_t *checks, uint64_t *bytes)
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
static uint64_t cleanup_objects(uint64_t *checks)
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

static void print_summary(const struct totals *t, uint64_t checks, uint64_t bytes)
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

/*
 * Reap the @n processes of @pids; past the alarm guard, kill them.  Returns
 * the failures seen here; *@worker_failed is set when one exited with a
 * failure.
 */
static uint64_t wait_workers(pid_t *pids, unsigned int n, unsigned int running,
			     bool *worker_failed)
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
				kill_children(pids, n));
			failures++;
			timed_out = 0;
			continue;
		}
		if (pid < 0)
			break;
		for (p = 0; p < n && pids[p] != pid; p++)
			;
		if (p == n) {
			fprintf(stderr, "toymap-stress: FAILURE: process %d outlived its worker\n",
				(int)pid);
			failures++;
			continue;
		}
		pids[p] = 0;
		running--;
		if (WIFSIGNALED(status)) {
			fprintf(stderr, "toymap-stress: FAILURE: %s %u (pid %d) was killed by "
				"signal %d\n", p == cfg.procs ? "the attach cycle" : "worker", p,
				(int)pid, WTERMSIG(status));
			failures++;
		} else if (WEXITSTATUS(status) != EXIT_PASS) {
			*worker_failed = true;
		}
	}
	return failures;
}

static void print_start(void)
{
	unsigned int k;
	int dfd;

	printf("toymap-stress: seed=%" PRIu64 " seconds=%u procs=%u threads=%u pages=%u, "
	       "objects of %" PRIu64 " pages\n  %s\n", cfg.seed, cfg.seconds, cfg.procs,
	       cfg.threads, cfg.pages, objs[0].pages, cfg.cmdline);
	for (k = 0; k < nobj; k++)
		printf("  toymap%u: %s\n", objs[k].index, objs[k].file_object ?
		       "the attach cycle's (file sections, write-back, its own swap files)" :
		       "general, swap file set");
	if (cfg.ops[OP_FILE] && !fobj)
		printf("  no attach cycle: it needs a second device (--attach-device)\n");
	dfd = open_direct_probe();
	printf("  O_DIRECT descriptors for ATTACH and SET_SWAP (EINVAL): %s; a second user: %s\n",
	       dfd >= 0 ? "tried" : "none (no file system here has O_DIRECT)",
	       geteuid() ? "none (not root)" : "uid 65534, the nodes 0666 for the run");
	if (dfd >= 0)
		close(dfd);
	printf("  pagemap must %s PFNs; unloading must fail with EBUSY%s\n",
	       cfg.pfn_visible ? "show" : "hide", cfg.can_unload ? "" :
	       ", delete_module() with EPERM");
	fflush(stdout);
}

/* ------------------------------------------------------- the watchdog */

struct watchdog {
	pid_t *pids;		/* the worker processes and the attach cycle */
	unsigned int n;
	int done;		/* set by main once every worker was reaped */
	uint64_t failures;	/* hung operations reported */
};

/* Print one line of /proc/@pid/task/@tid/@name (the whole file for "stack"). */
static void watch_print_proc(int pid, int tid, const char *name)
{
	char path[96], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		fprintf(stderr, "      %s: %s\n", name, strerror(errno));
		return;
	}
	buf[n] = 0;
	fprintf(stderr, "      %s: %s%s", name, strchr(buf, '\n') ? "\n" : "", buf);
	if (!n || buf[n - 1] != '\n')
		fprintf(stderr, "\n");
}

/* Every task of process @pid: its state, where it sleeps, its kernel stack (root). */
static void watch_print_tasks(int pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "    pid %d: %s\n", pid, strerror(errno));
		return;
	}
	while ((d = readdir(dir))) {
		int tid = atoi(d->d_name);

		if (tid <= 0)
			continue;
		fprintf(stderr, "    task %d of pid %d:\n", tid, pid);
		watch_print_proc(pid, tid, "stat");
		watch_print_proc(pid, tid, "wchan");
		watch_print_proc(pid, tid, "stack");
	}
	closedir(dir);
}

/* Slots whose operation has run WATCHDOG_SECONDS: reported; returns how many. */
static unsigned int watch_scan(void)
{
	unsigned int s, nslots = cfg.procs * cfg.threads + 1, stuck = 0;
	double t = now();

	for (s = 0; s < nslots; s++) {
		struct watch *x = &watches[s];
		double started = x->started;
		char what[LOG_LEN];

		if (!started || t - started < WATCHDOG_SECONDS)
			continue;
		snprintf(what, sizeof(what), "%s", x->what);
		print_lock();
		if (s == cfg.procs * cfg.threads)
			fprintf(stderr, "toymap-stress: FAILURE seed=%" PRIu64 " watchdog: the attach "
				"cycle (pid %d, task %d)", cfg.seed, x->pid, x->tid);
		else
			fprintf(stderr, "toymap-stress: FAILURE seed=%" PRIu64 " watchdog: proc %u "
				"thread %u (pid %d, task %d)", cfg.seed, s / cfg.threads,
				s % cfg.threads, x->pid, x->tid);
		fprintf(stderr, " has been in one operation for %.0f s, hung: %s\n", t - started,
			what);
		watch_print_tasks(x->pid);
		fflush(stderr);
		print_unlock();
		stuck++;
	}
	return stuck;
}

/*
 * The watchdog thread of the first process, started after the forks: a
 * hung operation is reported, the run stopped and its processes killed; if
 * they cannot die (a kernel deadlock: D state), the run ends here, FAIL.
 */
static void *watchdog_main(void *arg)
{
	struct watchdog *wd = arg;
	unsigned int k;

	for (;;) {
		sleep(2);
		if (__atomic_load_n(&wd->done, __ATOMIC_ACQUIRE))
			return NULL;
		if (!watch_scan())
			continue;
		__atomic_add_fetch(&wd->failures, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "toymap-stress: watchdog: killing %u process(es) of the run\n",
			kill_children(wd->pids, wd->n));
		for (k = 0; k < 30 && !__atomic_load_n(&wd->done, __ATOMIC_ACQUIRE); k++)
			sleep(1);
		if (__atomic_load_n(&wd->done, __ATOMIC_ACQUIRE))
			return NULL;
		fprintf(stderr, "toymap-stress: FAILURE: watchdog: processes of the run did not die "
			"of SIGKILL in 30 s (stuck in the kernel: a deadlock); they are:\n");
		for (k = 0; k < wd->n; k++)
			if (wd->pids[k] > 0 && !kill(wd->pids[k], 0))
				watch_print_tasks(wd->pids[k]);
		printf("failures: 1 or more (the watchdog ended the run)\n");
		printf("toymap-stress: FAIL seed=%" PRIu64 " ops=unknown (hung)\n", cfg.seed);
		printf("toymap-stress: replay: %s\n", cfg.cmdline);
		fflush(NULL);
		_exit(EXIT_FAIL);
	}
}

int main(int argc, char **argv)
{
	uint64_t failures, checks, bytes;
	pid_t pids[MAX_PROCS + 1] = { 0 };
	unsigned int p, nprocs, running = 0;
	bool worker_failed = false;
	struct watchdog wd = { 0 };
	struct totals totals;
	pthread_t wd_thread;
	bool wd_started;
	sigset_t alrm;
	double deadline;

	psz = (size_t)toymap_page_size();
	if (parse_args(argc, argv))
		return EXIT_USAGE;
	if (cfg.fail_alloc && (fi_no_rseq(argv) || fi_setup()))
		return EXIT_USAGE;
	if (setup())
		return EXIT_USAGE;
	format_cmdline();
	print_start();
	user_nodes_open();
	if (install_handlers() || prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("toymap-stress: setup");
		return EXIT_USAGE;
	}
	watches = map_shared(((size_t)cfg.procs * cfg.threads + 1) * sizeof(*watches));
	if (!watches) {
		perror("toymap-stress: setup");
		return EXIT_USAGE;
	}
	alarm(cfg.seconds * 2 + 120);
	deadline = now() + cfg.seconds;
	/* The workers, then the attach cycle's process. */
	nprocs = cfg.procs + (fobj ? 1 : 0);
	for (p = 0; p < nprocs; p++) {
		pids[p] = fork();
		if (pids[p] < 0) {
			perror("toymap-stress: fork");
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
			worker_failed = true;
			break;
		}
		if (pids[p] == 0 && p == cfg.procs)
			file_main(deadline);
		if (pids[p] == 0)
			proc_main(p, deadline);
		running++;
	}
	wd.pids = pids;
	wd.n = nprocs;
	/* SIGALRM stays the main thread's: it interrupts waitpid() (the alarm guard). */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	wd_started = !pthread_create(&wd_thread, NULL, watchdog_main, &wd);
	if (!wd_started) {
		perror("toymap-stress: the watchdog thread");
		__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
		worker_failed = true;
	}
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	failures = wait_workers(pids, nprocs, running, &worker_failed);
	__atomic_store_n(&wd.done, 1, __ATOMIC_RELEASE);
	if (wd_started)
		pthread_join(wd_thread, NULL);
	failures += wd.failures;
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
	failures += cleanup_objects(&checks);
	user_nodes_restore();
	print_summary(&totals, checks, bytes);
	if (cfg.fail_alloc && !(totals.sum.inj_enomem + totals.sum.inj_efault +
				totals.sum.inj_eagain + totals.sum.inj_short +
				totals.sum.inj_siginfo)) {
		fprintf(stderr, "toymap-stress: FAILURE: --fail-alloc %u but no operation saw an "
			"injected failure: is fault injection working?\n", cfg.fail_alloc);
		failures++;
	}
	printf("failures: %" PRIu64 "\n", failures);
	printf("toymap-stress: %s seed=%" PRIu64 " ops=%" PRIu64 "\n", failures ? "FAIL" : "PASS",
	       cfg.seed, totals.ops);
	if (failures)
		printf("toymap-stress: replay: %s\n", cfg.cmdline);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
