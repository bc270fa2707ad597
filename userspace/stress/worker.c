// SPDX-License-Identifier: GPL-2.0
/*
 * worker.c: the worker processes and threads.  The table of operations,
 * the one dispatch both fuzzers use (pick_op(), run_op()), and fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "stress.h"

/* The workers' operations; --ops names them, the summary counts them. */
const struct op op_table[NR_OPS] = {
	[OP_MMAP]	= { "mmap",	80, .run = op_mmap },
	[OP_MUNMAP]	= { "munmap",	45, .run_map = op_munmap },
	[OP_MPROTECT]	= { "mprotect",	45, .run_map = op_mprotect },
	[OP_MREMAP]	= { "mremap",	40, .run_map = op_mremap },
	[OP_MADVISE]	= { "madvise",	45, .run_map = op_madvise },
	[OP_FORK]	= { "fork",	6, .run = op_fork },
	[OP_READ]	= { "read",	260, .run_map = op_read },
	[OP_WRITE]	= { "write",	260, .run_map = op_write },
	[OP_GUP]	= { "gup",	40, .run_map = op_gup },
	[OP_RACE]	= { "race",	18, .run_map = op_race },
	[OP_MSYNC]	= { "msync",	25, .run_map = op_msync },
	[OP_FSYNC]	= { "fsync",	12, .run = op_fsync },
	[OP_DISCARD]	= { "discard",	30, .run = op_discard },
	[OP_EVICT]	= { "evict",	35, .run = op_evict },
	[OP_SWAP]	= { "swap",	8, .run = op_swap },
	[OP_ATTACH]	= { "attach",	12, .run = op_attach },
	[OP_INFO]	= { "info",	20, .run = op_info },
	[OP_UNLOAD]	= { "unload",	3, .run = op_unload },
	/* Issue 9: an O_RDONLY opener, a second user (uid 65534). */
	[OP_RDONLY]	= { "rdonly",	10, .run = op_rdonly },
	[OP_USER]	= { "user",	3, .run = op_user },
	/* Issue 11: what backs an address, and frame identities. */
	[OP_LOOKUP]	= { "lookup",	15, .run_map = op_lookup },
	/* Issue 12: large_folios switched on and off under everything else. */
	[OP_FOLIOS]	= { "folios",	4, .run = op_folios },
	/* The attach cycle: its own process (cycle.c); counts its operations. */
	[OP_FILE]	= { "file",	0 },
};

static void count_op(struct worker *w, unsigned int k)
{
	STAT_ADD(w, ops[k], 1);
}

const struct fuzzer worker_fuzzer = {
	.ops = op_table, .nops = NR_OPS, .mmap = OP_MMAP, .munmap = OP_MUNMAP,
	.max_maps = MAX_MAPS, .fallback = OP_INFO, .count = count_op,
};

/* The operations --ops enabled, as a mask; a fork child forks no more. */
static uint64_t enabled_ops(bool allow_fork)
{
	uint64_t mask = 0;
	unsigned int k;

	for (k = 0; k < NR_OPS; k++)
		if (cfg.ops[k] && (allow_fork || k != OP_FORK))
			mask |= 1ULL << k;
	return mask;
}

/* Draw an operation of @f among the @enabled ones, by weight. */
unsigned int pick_op(struct worker *w, const struct fuzzer *f, uint64_t enabled)
{
	unsigned int total = 0, k, r;

	for (k = 0; k < f->nops; k++)
		if (enabled >> k & 1)
			total += f->ops[k].weight;
	if (!total)
		return f->fallback;
	r = (unsigned int)rnd(w, total);
	for (k = 0; k < f->nops; k++) {
		if (!(enabled >> k & 1))
			continue;
		if (r < f->ops[k].weight)
			return k;
		r -= f->ops[k].weight;
	}
	return f->fallback;
}

/*
 * Run operation @k of @f.  One that needs a mapping when the thread has none
 * maps one instead (if mmap is enabled: else nothing runs, nothing is
 * counted); mmap with every slot used unmaps one.
 */
int run_op(struct worker *w, const struct fuzzer *f, unsigned int k, uint64_t enabled)
{
	struct mapping *m = NULL;
	int ret = 0;

	if (f->ops[k].run_map && !nmaps(w)) {
		if (!(enabled >> f->mmap & 1))
			return 0;
		k = f->mmap;
	}
	if (k == f->mmap && nmaps(w) >= f->max_maps)
		k = f->munmap;
	if (f->ops[k].run_map) {
		m = pick_map(w);
		ret = f->ops[k].run_map(w, m);
	} else if (f->ops[k].run) {
		ret = f->ops[k].run(w);
	}
	f->count(w, k);
	if (cfg.verbose && w->logged)
		print_op(w);
	return ret;
}

/* The fork child: a few operations on the mappings it inherited, then exit. */
static void __attribute__((noreturn)) child_main(struct worker *w)
{
	double left = w->deadline - now();
	uint64_t enabled = enabled_ops(false);
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
		run_op(w, &worker_fuzzer, pick_op(w, &worker_fuzzer, enabled), enabled);
	}
	fflush(NULL);
	_exit(w->failed ? EXIT_FAIL : EXIT_PASS);
}

int op_fork(struct worker *w)
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

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	uint64_t enabled = enabled_ops(true);
	unsigned int i;

	w->rng = mix64(cfg.seed ^ mix64(((uint64_t)w->proc << 32 | w->thread) + 1));
	fi_altstack_start();
	fi_start();
	while (!w->failed && !stopping() && now() < w->deadline) {
		w->opno++;
		run_op(w, &worker_fuzzer, pick_op(w, &worker_fuzzer, enabled), enabled);
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
void __attribute__((noreturn)) proc_main(unsigned int proc, double deadline)
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
			proc, toymap_temp_dir(), strerror(errno));
		_exit(EXIT_FAIL);
	}
	for (t = 0; t < cfg.threads; t++) {
		ws[t] = calloc(1, sizeof(*ws[t]));
		if (ws[t]) {
			ws[t]->buf = malloc(psz);
			ws[t]->buf2 = malloc(psz);
			ws[t]->argbuf = toymap_bad_buf();
		}
		if (!ws[t] || !ws[t]->buf || !ws[t]->buf2 || !ws[t]->argbuf) {
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
