// SPDX-License-Identifier: GPL-2.0
/*
 * log.c: what each thread is doing and did: the operation log, the failure
 * report with the replay command, --verbose, and the watchdog that names an
 * operation that does not end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stress.h"

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

/* The watches of every slot, shared by the processes forked after it. */
bool watches_create(void)
{
	watches = map_shared(((size_t)cfg.procs * cfg.threads + 1) * sizeof(*watches));
	return watches;
}

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
void watch_idle(const struct worker *w)
{
	if (watches && w->slot)
		watches[w->slot - sh->slots].started = 0;
}

static char *log_entry(struct worker *w)
{
	return w->log[(w->logged - 1) % LOG_ENTRIES];
}

/* Start the log entry of a new operation. */
void __attribute__((format(printf, 2, 3))) log_op(struct worker *w, const char *fmt, ...)
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
void __attribute__((format(printf, 2, 3))) log_more(struct worker *w, const char *fmt, ...)
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
void print_lock(void)
{
	if (pthread_mutex_lock(&sh->print_lock) == EOWNERDEAD)
		pthread_mutex_consistent(&sh->print_lock);
}

void print_unlock(void)
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
void __attribute__((format(printf, 2, 3))) fail(struct worker *w, const char *fmt, ...)
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

/* --verbose: print the operation just done (with injection off). */
void print_op(struct worker *w)
{
	bool was = fi_pause();
	char name[96];

	print_lock();
	printf("%s: %s\n", who(w, name, sizeof(name)), log_entry(w));
	fflush(stdout);
	print_unlock();
	fi_resume(was);
}

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
void *watchdog_main(void *arg)
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
