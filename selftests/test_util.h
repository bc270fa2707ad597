/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the toymap selftests that are not toymap's own (those live in
 * userspace/lib, whole reads and writes and scratch files among them:
 * toymap_io.h): parent/child synchronisation through pipes, waiting for a
 * child, reading the kernel log, reopening files, a memory cgroup.  Nothing
 * here uses the harness's ASSERTs, so forked children may call all of it.
 */
#ifndef TOYMAP_TEST_UTIL_H
#define TOYMAP_TEST_UTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "toymap_io.h"

/**
 * struct sync_pipes - a parent and one forked child talking through two pipes
 * @to_parent:	the child writes, the parent reads
 * @to_child:	the parent writes, the child reads
 * @is_child:	set by sync_as_child(): which ends sync_send/sync_recv use
 *
 * After fork() each side calls sync_as_parent() or sync_as_child(), which
 * closes the ends it does not use, so that a side that dies makes the
 * other's sync_recv() return an error instead of blocking forever.
 */
struct sync_pipes {
	int to_parent[2];
	int to_child[2];
	bool is_child;
};

int sync_open(struct sync_pipes *sp);		/* 0 or -errno */
void sync_as_parent(struct sync_pipes *sp);
void sync_as_child(struct sync_pipes *sp);
void sync_close(struct sync_pipes *sp);
/*
 * Send or receive exactly @len bytes to/from the other side: 0 or -errno
 * (-ENODATA: the other side is gone), errno set.
 */
int sync_send(struct sync_pipes *sp, const void *msg, size_t len);
int sync_recv(struct sync_pipes *sp, void *msg, size_t len);
/* A one-byte "go on" token. */
int sync_signal(struct sync_pipes *sp);
int sync_wait(struct sync_pipes *sp);

/*
 * waitpid() for @pid: the exit code of a child that exited, 128 + the
 * signal number of one that was killed (as the shell reports it), -1 when
 * waitpid fails.
 */
int child_wait(pid_t pid);
/*
 * child_wait() for at most @seconds: CHILD_STUCK when @pid is still running
 * then (it is left running: a task stuck in the kernel cannot be killed, so
 * never wait for it without a bound).
 */
#define CHILD_STUCK	(-2)
int child_wait_timeout(pid_t pid, int seconds);
/* The state letter of /proc/@pid/stat ('D': uninterruptible sleep), '?' if unknown. */
char proc_state(pid_t pid);
/* In a child that is meant to die of a signal: no core file. */
void child_no_core_dump(void);

/*
 * CHILD_CHECK - in a forked child, where ASSERT_*() must not be used (it
 * would run the fixture teardown in the child): report a failed check on
 * stderr as a KTAP diagnostic line and return 1 from the child's function.
 */
#define CHILD_CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "# child %d: %s:%d: " fmt "\n",		\
			(int)getpid(), __func__, __LINE__, ##__VA_ARGS__);	\
		return 1;						\
	}								\
} while (0)

/*
 * The kernel log through /dev/kmsg.  kmsg_open() positions at the end, so
 * that kmsg_read_new() returns what was logged after it: the text of each
 * record, one line each, into @buf (always NUL-terminated).  Returns the
 * number of records read or -errno.
 */
int kmsg_open(void);
int kmsg_read_new(int fd, char *buf, size_t len);
/* Lines of @log containing @needle and, when not NULL, @needle2 as well. */
int count_lines(const char *log, const char *needle, const char *needle2);

/* True when the @len bytes at @mem all equal @byte. */
bool mem_is(const void *mem, int byte, size_t len);
/* The index of the first byte where @a and @b differ, -1 when they are equal. */
long first_difference(const void *a, const void *b, size_t len);

/*
 * Fork a child that reads or writes @addr once.  Returns the signal that
 * killed it, 0 when it survived, -1 when fork or wait failed.
 */
int touch_in_child(char *addr, bool write);

/*
 * Open the file of @fd again with @flags (O_RDONLY, O_WRONLY, O_APPEND...)
 * through /proc/self/fd: fd or -errno.
 */
int reopen_fd(int fd, int flags);
/*
 * A pattern of bytes, none of them zero (so a page of it is never mistaken
 * for demand-zero), that differs with @seed and with the position: byte i
 * of @buf gets the pattern's byte at @start + i.
 */
void fill_pattern(void *buf, size_t len, uint64_t start, unsigned int seed);

/**
 * struct memcg - a cgroup v2 group with the memory controller, for reclaim
 * @path:	the group's directory
 * @root:	the cgroup2 hierarchy's root directory that holds it
 * @mount_dir:	a mount of cgroup2 made for the test, "" when one existed
 * @enabled:	the test enabled "memory" in the root's cgroup.subtree_control
 */
struct memcg {
	char path[PATH_MAX];
	char root[PATH_MAX];
	char mount_dir[PATH_MAX];
	bool enabled;
};

/*
 * Create the group @name under the root of the cgroup2 hierarchy (mounting
 * one under $TMPDIR when none is mounted), with the memory controller and
 * memory.reclaim.  Returns 0, or -errno with what is missing in @why (for a
 * SKIP); memcg_destroy() undoes whatever was done in both cases.
 */
int memcg_create(struct memcg *cg, const char *name, char *why, size_t why_len);
/* Move the calling process into the group: 0 or -errno. */
int memcg_enter(const struct memcg *cg);
/* Write @amount ("1M") to memory.reclaim: 0, -EAGAIN (reclaimed less), -errno. */
int memcg_reclaim(const struct memcg *cg, const char *amount);
void memcg_destroy(struct memcg *cg);

#endif /* TOYMAP_TEST_UTIL_H */
