// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the toymap selftests: pipes between a parent and a child,
 * waiting for children, reading /dev/kmsg, reopening files, a memory
 * cgroup.  See test_util.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

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

int sync_send(struct sync_pipes *sp, const void *msg, size_t len)
{
	return toymap_write_full(sp->is_child ? sp->to_parent[1] : sp->to_child[1], msg, len);
}

int sync_recv(struct sync_pipes *sp, void *msg, size_t len)
{
	return toymap_read_full(sp->is_child ? sp->to_child[0] : sp->to_parent[0], msg, len);
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

/* The status of a child that waitpid() returned, as child_wait() reports it. */
static int child_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int child_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return child_status(status);
}

int child_wait_timeout(pid_t pid, int seconds)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	long ticks = seconds * 100L;
	int status;
	pid_t ret;

	while ((ret = waitpid(pid, &status, WNOHANG)) == 0 && ticks-- > 0)
		nanosleep(&tick, NULL);
	if (ret == 0)
		return CHILD_STUCK;
	return ret < 0 ? -1 : child_status(status);
}

char proc_state(pid_t pid)
{
	char path[64], buf[512], *paren;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return '?';
	buf[len] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
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

long first_difference(const void *a, const void *b, size_t len)
{
	const unsigned char *pa = a, *pb = b;

	for (size_t i = 0; i < len; i++)
		if (pa[i] != pb[i])
			return (long)i;
	return -1;
}

int touch_in_child(char *addr, bool write)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		child_no_core_dump();
		if (write)
			*(volatile char *)addr = 'x';
		else
			(void)*(volatile char *)addr;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

int reopen_fd(int fd, int flags)
{
	char path[64];
	int new_fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	new_fd = open(path, flags | O_CLOEXEC);
	return new_fd < 0 ? -errno : new_fd;
}

void fill_pattern(void *buf, size_t len, uint64_t start, unsigned int seed)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		uint64_t x = (start + i) * 0x9e3779b97f4a7c15ULL + seed * 0xbf58476d1ce4e5b9ULL;

		x ^= x >> 29;
		p[i] = 1 + (x >> 32) % 255;	/* 1..255 */
	}
}

/* @dir/@name into @path (PATH_MAX bytes): 0, or -ENAMETOOLONG. */
static int path_join(char *path, const char *dir, const char *name)
{
	return snprintf(path, PATH_MAX, "%s/%s", dir, name) < PATH_MAX ? 0 : -ENAMETOOLONG;
}

/* Write @text to the file @dir/@name: 0 or -errno. */
static int write_cgroup_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (path_join(path, dir, name))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* True when the file @dir/@name holds the word @word. */
static bool cgroup_file_has(const char *dir, const char *name, const char *word)
{
	char path[PATH_MAX], text[4096], *tok, *save;
	bool found = false;
	ssize_t n;
	int fd;

	if (path_join(path, dir, name))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	for (tok = strtok_r(text, " \n", &save); tok && !found; tok = strtok_r(NULL, " \n", &save))
		found = !strcmp(tok, word);
	return found;
}

/* The mount point of a cgroup2 hierarchy's root, from /proc/self/mountinfo. */
static bool find_cgroup2(char *dir, size_t len)
{
	char line[4096], root[PATH_MAX], point[PATH_MAX], *sep;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		/* "id parent major:minor root mountpoint options... - fstype source opts" */
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep, " - cgroup2 ", 11))
			continue;
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2)
			continue;
		if (strcmp(root, "/"))
			continue;	/* a mount of a sub-group, not of the root */
		found = snprintf(dir, len, "%s", point) < (int)len;
	}
	fclose(f);
	return found;
}

static int memcg_fail(char *why, size_t why_len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return err;
}

int memcg_create(struct memcg *cg, const char *name, char *why, size_t why_len)
{
	char path[PATH_MAX];
	int err;

	memset(cg, 0, sizeof(*cg));
	if (!find_cgroup2(cg->root, sizeof(cg->root))) {
		if (path_join(cg->mount_dir, toymap_temp_dir(), "toymap-cgroup.XXXXXX") ||
		    !mkdtemp(cg->mount_dir)) {
			err = -errno;
			cg->mount_dir[0] = '\0';
			return memcg_fail(why, why_len, err, "mkdtemp for a cgroup2 mount: %s",
					  strerror(-err));
		}
		if (mount("cgroup2", cg->mount_dir, "cgroup2", 0, NULL)) {
			err = -errno;
			rmdir(cg->mount_dir);
			cg->mount_dir[0] = '\0';
			return memcg_fail(why, why_len, err,
					  "no cgroup2 mounted, and mounting one failed: %s",
					  strerror(-err));
		}
		memcpy(cg->root, cg->mount_dir, sizeof(cg->root));
	}
	if (!cgroup_file_has(cg->root, "cgroup.controllers", "memory"))
		return memcg_fail(why, why_len, -ENODEV,
				  "no memory controller in the cgroup2 hierarchy at %s", cg->root);
	if (!cgroup_file_has(cg->root, "cgroup.subtree_control", "memory")) {
		err = write_cgroup_file(cg->root, "cgroup.subtree_control", "+memory");
		if (err)
			return memcg_fail(why, why_len, err, "enabling memory in %s: %s",
					  cg->root, strerror(-err));
		cg->enabled = true;
	}
	if (path_join(path, cg->root, name))
		return memcg_fail(why, why_len, -ENAMETOOLONG, "cgroup path too long");
	if (mkdir(path, 0755) && errno != EEXIST) {
		err = -errno;
		return memcg_fail(why, why_len, err, "mkdir %s: %s", path, strerror(-err));
	}
	memcpy(cg->path, path, sizeof(cg->path));
	if (path_join(path, cg->path, "memory.reclaim") || access(path, W_OK))
		return memcg_fail(why, why_len, -ENOENT,
				  "no memory.reclaim in the cgroup (added in Linux 5.19)");
	return 0;
}

int memcg_enter(const struct memcg *cg)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return write_cgroup_file(cg->path, "cgroup.procs", pid);
}

int memcg_reclaim(const struct memcg *cg, const char *amount)
{
	return write_cgroup_file(cg->path, "memory.reclaim", amount);
}

void memcg_destroy(struct memcg *cg)
{
	if (cg->path[0])
		rmdir(cg->path);
	if (cg->enabled)
		write_cgroup_file(cg->root, "cgroup.subtree_control", "-memory");
	if (cg->mount_dir[0]) {
		umount2(cg->mount_dir, MNT_DETACH);
		rmdir(cg->mount_dir);
	}
	memset(cg, 0, sizeof(*cg));
}
