// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the toymap selftests: pipes between a parent and a child,
 * waiting for children, reading /dev/kmsg.  See test_util.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "test_util.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int sync_open(struct sync_pipes *sp)
{
	sp->is_child = false;
	if (pipe2(sp->to_parent, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(sp->to_child, O_CLOEXEC) < 0) {
		int err = -errno;

		close_fd(&sp->to_parent[0]);
		close_fd(&sp->to_parent[1]);
		return err;
	}
	return 0;
}

void sync_as_parent(struct sync_pipes *sp)
{
	sp->is_child = false;
	close_fd(&sp->to_parent[1]);
	close_fd(&sp->to_child[0]);
}

void sync_as_child(struct sync_pipes *sp)
{
	sp->is_child = true;
	close_fd(&sp->to_parent[0]);
	close_fd(&sp->to_child[1]);
}

void sync_close(struct sync_pipes *sp)
{
	close_fd(&sp->to_parent[0]);
	close_fd(&sp->to_parent[1]);
	close_fd(&sp->to_child[0]);
	close_fd(&sp->to_child[1]);
}

/* read() or write() until @len bytes went through: 0, or -1 on error or EOF. */
static int transfer_full(int fd, char *buf, size_t len, bool out)
{
	while (len) {
		ssize_t n = out ? write(fd, buf, len) : read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

int read_full(int fd, void *buf, size_t len)
{
	return transfer_full(fd, buf, len, false);
}

int write_full(int fd, const void *buf, size_t len)
{
	return transfer_full(fd, (char *)buf, len, true);	/* only read from */
}

int sync_send(struct sync_pipes *sp, const void *msg, size_t len)
{
	return write_full(sp->is_child ? sp->to_parent[1] : sp->to_child[1], msg, len);
}

int sync_recv(struct sync_pipes *sp, void *msg, size_t len)
{
	return read_full(sp->is_child ? sp->to_child[0] : sp->to_parent[0], msg, len);
}

int sync_signal(struct sync_pipes *sp)
{
	return sync_send(sp, "s", 1);
}

int sync_wait(struct sync_pipes *sp)
{
	char token;

	return sync_recv(sp, &token, 1);
}

int child_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

void child_no_core_dump(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
}

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int kmsg_read_new(int fd, char *buf, size_t len)
{
	char record[8192];
	size_t used = 0;
	int records = 0;

	if (!len)
		return -EINVAL;
	buf[0] = '\0';
	for (;;) {
		ssize_t n = read(fd, record, sizeof(record) - 1);
		char *text, *end;
		size_t text_len;

		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;	/* EPIPE: older records were overwritten */
		if (n < 0 && errno == EAGAIN)
			return records;
		if (n <= 0)
			return n < 0 ? -errno : records;
		record[n] = '\0';
		/* "prio,seq,usec,flags;text\n" then " KEY=value" lines */
		text = strchr(record, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		text_len = end ? (size_t)(end - text) : strlen(text);
		if (used + text_len + 2 > len)
			return -ENOSPC;
		memcpy(buf + used, text, text_len);
		used += text_len;
		buf[used++] = '\n';
		buf[used] = '\0';
		records++;
	}
}

int count_lines(const char *log, const char *needle, const char *needle2)
{
	int count = 0;

	while (*log) {
		const char *eol = strchrnul(log, '\n');
		const char *hit = memmem(log, eol - log, needle, strlen(needle));

		if (hit && (!needle2 || memmem(log, eol - log, needle2, strlen(needle2))))
			count++;
		log = *eol ? eol + 1 : eol;
	}
	return count;
}

bool mem_is(const void *mem, int byte, size_t len)
{
	const unsigned char *p = mem;

	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)byte)
			return false;
	return true;
}
