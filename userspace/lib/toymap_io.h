/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toymap_io: the file helpers every toymap program, demo, stress and
 * selftest shares: whole reads and writes, and scratch files.
 *
 * Each returns 0 (or a descriptor) on success and -errno on failure, and
 * leaves errno set to the same error, so that a caller may print
 * strerror(errno) or strerror(-ret).  Nothing here prints.
 */
#ifndef TOYMAP_IO_H
#define TOYMAP_IO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read or write exactly @len bytes, retrying on EINTR and short transfers.
 * A read that meets the end of the file (a pipe whose writer is gone)
 * fails with -ENODATA.
 */
int toymap_read_full(int fd, void *buf, size_t len);
int toymap_write_full(int fd, const void *buf, size_t len);
/* The same at @offset, with pread()/pwrite(): the file position is left alone. */
int toymap_pread_full(int fd, void *buf, size_t len, off_t offset);
int toymap_pwrite_full(int fd, const void *buf, size_t len, off_t offset);

/* $TMPDIR, or /tmp when it is unset or empty. */
const char *toymap_temp_dir(void);
/*
 * Create an empty regular file "toymap-@tag.XXXXXX" in toymap_temp_dir(),
 * open O_RDWR | O_CLOEXEC: the descriptor, or -errno.  With @path, its name
 * is left there (@len bytes) and the caller unlinks it when done; with
 * @path NULL the file is already unlinked, and nothing is left behind.
 */
int toymap_temp_file(const char *tag, char *path, size_t len);

#endif /* TOYMAP_IO_H */
