// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_io: whole reads and writes, and scratch files (toymap_io.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "toymap_io.h"

/*
 * read()/write(), or at @offset pread()/pwrite() (@offset < 0: at the file
 * position), until @len bytes went through.
 */
static int transfer(int fd, char *buf, size_t len, off_t offset, bool out)
{
	while (len) {
		ssize_t n;

		if (offset < 0)
			n = out ? write(fd, buf, len) : read(fd, buf, len);
		else
			n = out ? pwrite(fd, buf, len, offset) : pread(fd, buf, len, offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = out ? EIO : ENODATA;
		if (n <= 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
		if (offset >= 0)
			offset += n;
	}
	return 0;
}

int toymap_read_full(int fd, void *buf, size_t len)
{
	return transfer(fd, buf, len, -1, false);
}

int toymap_write_full(int fd, const void *buf, size_t len)
{
	return transfer(fd, (char *)buf, len, -1, true);	/* only read from */
}

int toymap_pread_full(int fd, void *buf, size_t len, off_t offset)
{
	return transfer(fd, buf, len, offset, false);
}

int toymap_pwrite_full(int fd, const void *buf, size_t len, off_t offset)
{
	return transfer(fd, (char *)buf, len, offset, true);	/* only read from */
}

const char *toymap_temp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir && *dir ? dir : "/tmp";
}

int toymap_temp_file(const char *tag, char *path, size_t len)
{
	char name[PATH_MAX];
	int fd;

	if (!path) {
		path = name;
		len = sizeof(name);
	}
	if ((size_t)snprintf(path, len, "%s/toymap-%s.XXXXXX", toymap_temp_dir(), tag) >= len) {
		errno = ENAMETOOLONG;
		return -errno;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (path == name)
		unlink(name);
	return fd;
}
