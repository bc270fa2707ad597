/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toymap_errors: why opening a device or one of its ioctls failed, in the
 * words of the module's rules (module/uapi/toymap.h, man/toymap.4), for
 * every program, demo and test to say it the same way.  The toymap_perror_*
 * functions print to stderr; toymap_ioctl_strerror() only returns a text.
 */
#ifndef TOYMAP_ERRORS_H
#define TOYMAP_ERRORS_H

/*
 * Print why opening @path failed with -@err, naming the cause: the module
 * not loaded, no such device index, or the node's mode (the module's "mode"
 * parameter).  Prints to stderr.
 */
void toymap_perror_open(const char *path, int err);

/*
 * The causes for which the module fails @cmd (a TOYMAP_IOC_* command) with
 * -@err (or @err): "no file is attached" for DETACH and EINVAL, "the
 * device is open read-only: ..." for DISCARD and EBADF; strerror() for an
 * errno the module does not give @cmd.  Without the errno's name.
 */
const char *toymap_ioctl_strerror(unsigned long cmd, int err);
/*
 * Print why @cmd on the device @device (open as @fd) failed with -@err:
 * "@prefix" "cannot attach the file to /dev/toymap0: " the cause and the
 * errno's name.  Where one errno has several causes (EBUSY of ATTACH,
 * DETACH and SET_SWAP; EINVAL of a range), the object's counters, read
 * through @fd (-1: not read), tell which holds, and what to do.
 */
void toymap_perror_ioctl(const char *prefix, const char *device, int fd, unsigned long cmd,
			 int err);

#endif /* TOYMAP_ERRORS_H */
