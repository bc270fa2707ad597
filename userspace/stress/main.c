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
 * arguments (rows of the table in lib/toymap_badinput.c, which the selftests
 * run too: EINVAL, EFAULT, EBADF, EOVERFLOW, ENOTTY), INFO, and attempts to unload
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
 *
 * The files of the program and what each does: stress.h and cycle.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "stress.h"

/* The command line, one copy per process (fork copies it). */
struct config cfg;

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
unsigned int kill_children(const pid_t *pids, unsigned int n)
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
	dfd = toymap_open_direct("stress-direct");
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
	if (!watches_create()) {
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
	/* op_folios() switched it: as it was (best effort: root only). */
	if (cfg.large_folios >= 0)
		toymap_param_set("large_folios", cfg.large_folios ? "1" : "0");
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
