/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the toymap selftests that are not toymap's own (those live in
 * userspace/libtoymap): parent/child synchronisation through pipes, waiting
 * for a child, reading the kernel log.  Nothing here uses the harness's
 * ASSERTs, so forked children may call all of it.
 */
#ifndef TOYMAP_TEST_UTIL_H
#define TOYMAP_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

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
/* Send or receive exactly @len bytes to/from the other side: 0 or -1. */
int sync_send(struct sync_pipes *sp, const void *msg, size_t len);
int sync_recv(struct sync_pipes *sp, void *msg, size_t len);
/* A one-byte "go on" token. */
int sync_signal(struct sync_pipes *sp);
int sync_wait(struct sync_pipes *sp);

/* Read or write exactly @len bytes on a file descriptor: 0 or -1. */
int read_full(int fd, void *buf, size_t len);
int write_full(int fd, const void *buf, size_t len);

/*
 * waitpid() for @pid: the exit code of a child that exited, 128 + the
 * signal number of one that was killed (as the shell reports it), -1 when
 * waitpid fails.
 */
int child_wait(pid_t pid);
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

#endif /* TOYMAP_TEST_UTIL_H */
