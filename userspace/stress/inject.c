// SPDX-License-Identifier: GPL-2.0
/*
 * inject.c: --fail-alloc.  Fault injection set up and restored, turned on
 * and off per thread, and which errors an injected failure explains.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/rseq.h>
#include <sys/uio.h>

#include "stress.h"

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
__thread bool fi_on;

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
int fi_setup(void)
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
void fi_start(void)
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
void fi_altstack_start(void)
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
void fi_stop(void)
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
int fi_no_rseq(char **argv)
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
bool fi_pause(void)
{
	bool was = fi_on;

	if (was)
		fi_write(false);
	return was;
}

void fi_resume(bool was)
{
	if (was)
		fi_write(true);
}

/* malloc() and calloc() for the model: an injected failure is retried without injection. */
void *xmalloc(size_t n)
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

void *xcalloc(size_t n, size_t size)
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

/* True, counted and logged, when an injected failure explains errno @err here. */
bool injected(struct worker *w, int err, unsigned int allowed)
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
ssize_t gup_xfer(bool write, void *buf, void *addr, size_t len)
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
ssize_t gup_xfer_all(struct worker *w, bool write, void *buf, void *addr, size_t len)
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
int pagemap_entry(const void *addr, struct toymap_pte *pte)
{
	bool was = fi_pause();
	int err = toymap_pagemap(addr, pte);

	fi_resume(was);
	return err;
}
