// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_errors: why a device did not open or an ioctl failed
 * (toymap_errors.h).  The causes are the module's: keep them in step with
 * module/uapi/toymap.h and the ERRORS of man/toymap.4.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "libtoymap.h"

void toymap_perror_open(const char *path, int err)
{
	struct stat st;
	int n;

	err = err < 0 ? -err : err;
	if (err == ENOENT && !toymap_is_loaded()) {
		fprintf(stderr, "cannot open %s: %s — is the module loaded? (toymapctl load)\n",
			path, strerror(err));
	} else if (err == ENOENT) {
		n = toymap_count_devices();
		fprintf(stderr, "cannot open %s: %s (toymap is loaded with %d device%s: "
			TOYMAP_DEV_PREFIX "0..%d)\n", path, strerror(err), n,
			n == 1 ? "" : "s", n - 1);
	} else if ((err == EACCES || err == EPERM) && stat(path, &st) == 0) {
		fprintf(stderr, "cannot open %s: %s (the module's mode=%04o; %s)\n", path,
			strerror(err), (unsigned int)(st.st_mode & 07777),
			"load with mode=0666 for a lab");
	} else {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(err));
	}
}

/* ------------------------------------------------------------ the ioctls */

/* What each command does, said before the device's name: "cannot attach the file to". */
static const struct {
	unsigned long cmd;
	const char *action;
} ioctls[] = {
	{ TOYMAP_IOC_INFO, "read the counters of" },
	{ TOYMAP_IOC_DISCARD, "discard pages of" },
	{ TOYMAP_IOC_ATTACH, "attach the file to" },
	{ TOYMAP_IOC_DETACH, "detach the file from" },
	{ TOYMAP_IOC_SET_SWAP, "change the swap file of" },
	{ TOYMAP_IOC_EVICT, "evict pages of" },
	{ TOYMAP_IOC_LOOKUP, "look up an address through" },
};

#define NO_CMD		0UL	/* a cause that holds for every command */
#define RANGE_CAUSE	"the range is not page-aligned, is empty, or does not lie inside the object"
#define NOT_READ_BY_MODULE \
	"is on a file system the module cannot read through its page cache"

/* Why the module fails a command with an errno; the first match counts. */
static const struct {
	unsigned long cmd;
	int err;
	const char *cause;
} causes[] = {
	{ TOYMAP_IOC_INFO, EBADF, "not an open descriptor" },
	{ TOYMAP_IOC_INFO, EINVAL, "the module does not know this size of struct toymap_info" },
	{ TOYMAP_IOC_DISCARD, EINVAL, RANGE_CAUSE },
	{ TOYMAP_IOC_ATTACH, EBADF,
	  "the file is not open for reading, or the device is open read-only" },
	{ TOYMAP_IOC_ATTACH, EINVAL,
	  "the file is not a regular file, is open with O_APPEND or O_DIRECT, "
	  NOT_READ_BY_MODULE ", or is the object's swap file; or the length is 0" },
	{ TOYMAP_IOC_ATTACH, EOVERFLOW, "offset + length overflow" },
	{ TOYMAP_IOC_ATTACH, EBUSY,
	  "the object is mapped, holds dirty, pinned or swapped pages, or has a file "
	  "attached already; or the file is another object's swap file" },
	{ TOYMAP_IOC_ATTACH, EACCES,
	  "the opener of the object's swap file, or this process, may not read the file "
	  "(or write it, when it is open read-write)" },
	{ TOYMAP_IOC_DETACH, EINVAL, "no file is attached" },
	{ TOYMAP_IOC_DETACH, EBUSY,
	  "the object is mapped, a mapping came and went while it wrote back, or a page "
	  "of it is pinned" },
	{ TOYMAP_IOC_DETACH, EIO,
	  "writing a dirty page back to the file failed; the file stays attached" },
	{ TOYMAP_IOC_DETACH, ENOSPC,
	  "no space left to write a dirty page back; the file stays attached" },
	{ TOYMAP_IOC_SET_SWAP, EBADF,
	  "the file is not open for reading and writing, or the device is open read-only" },
	{ TOYMAP_IOC_SET_SWAP, EINVAL,
	  "the file is not a regular file, is open with O_APPEND or O_DIRECT, "
	  NOT_READ_BY_MODULE ", or is the object's backing file" },
	{ TOYMAP_IOC_SET_SWAP, EBUSY,
	  "pages live in the current swap file, or the file is another object's swap or "
	  "backing file" },
	{ TOYMAP_IOC_SET_SWAP, EACCES,
	  "this process, or the swap file's opener, may not read the object's backing "
	  "file (or write it, attached read-write)" },
	{ TOYMAP_IOC_EVICT, EINVAL, RANGE_CAUSE },
	{ TOYMAP_IOC_EVICT, EIO, "writing a dirty page to the file or the swap file failed" },
	{ TOYMAP_IOC_EVICT, ENOSPC,
	  "no space left to write a dirty page to the file or the swap file" },
	{ TOYMAP_IOC_LOOKUP, EINVAL,
	  "flags or reserved are not 0, or the module does not know this size of "
	  "struct toymap_lookup" },
	{ TOYMAP_IOC_LOOKUP, EINTR, "a fatal signal came while it waited for mmap_lock" },
	{ NO_CMD, ENOTTY, "not a toymap device (or a module without this ioctl)" },
	{ NO_CMD, EBADF,
	  "the device is open read-only: every ioctl but INFO and LOOKUP needs it open "
	  "for writing" },
	{ NO_CMD, EFAULT, "the argument is not in the caller's memory" },
};

#define COUNT(array)	(sizeof(array) / sizeof((array)[0]))

static const char *ioctl_action(unsigned long cmd)
{
	size_t i;

	for (i = 0; i < COUNT(ioctls); i++)
		if (ioctls[i].cmd == cmd)
			return ioctls[i].action;
	return "use";
}

const char *toymap_ioctl_strerror(unsigned long cmd, int err)
{
	size_t i;

	err = err < 0 ? -err : err;
	for (i = 0; i < COUNT(causes); i++)
		if ((causes[i].cmd == cmd || causes[i].cmd == NO_CMD) && causes[i].err == err)
			return causes[i].cause;
	return strerror(err);
}

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "?";
}

/* For @n things: "1 page lives" or "2 pages live", and "it" or "them". */
static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static const char *verb_s(uint64_t n)
{
	return n == 1 ? "s" : "";
}

static const char *them(uint64_t n)
{
	return n == 1 ? "it" : "them";
}

/* "  2 mappings of it exist now: a process maps it.", then @consequence. */
static void explain_mapped(uint64_t mappings, const char *consequence)
{
	fprintf(stderr, "  %" PRIu64 " mapping%s of it exist%s now: a process maps it.\n  %s\n",
		mappings, plural(mappings), verb_s(mappings), consequence);
}

/* After "cannot attach the file to DEVICE: ": which EBUSY reason holds. */
static void explain_attach_busy(const char *device, const struct toymap_info *info)
{
	uint64_t mappings = info->vma_opens - info->vma_closes;
	char size[32];

	fprintf(stderr, "the object is busy (EBUSY):\n");
	toymap_format_size(info->object_size, size, sizeof(size));
	if (info->backing_flags & TOYMAP_BACKING_FILE)
		fprintf(stderr, "  it has a file attached already (bytes %" PRIu64 "..%" PRIu64
			" of it). One file at a time:\n  toymapctl detach %s\n",
			(uint64_t)info->backing_offset,
			(uint64_t)(info->backing_offset + info->backing_length - 1), device);
	else if (mappings)
		explain_mapped(mappings, "The backing of a mapped object cannot change.");
	else if (info->swapped_pages)
		fprintf(stderr, "  %" PRIu64 " page%s of it live%s in its swap file; attaching "
			"would lose %s.\n  toymapctl discard %s 0 %" PRIu64 "   (frees %s)\n",
			(uint64_t)info->swapped_pages, plural(info->swapped_pages),
			verb_s(info->swapped_pages), them(info->swapped_pages), device,
			(uint64_t)info->object_size, them(info->swapped_pages));
	else if (!info->resident_pages)
		fprintf(stderr, "  the file is another object's swap file, and a swap file "
			"serves one object.\n");
	else
		fprintf(stderr, "  it holds dirty pages: data written through MAP_SHARED that an\n"
			"  anonymous object has nowhere to write. Attaching would lose them.\n"
			"  toymapctl discard %s 0 %" PRIu64 "   (frees them: the whole %s)\n"
			"  or use another device.\n", device, (uint64_t)info->object_size, size);
}

/* After "cannot detach the file from DEVICE: ": which EBUSY reason holds. */
static void explain_detach_busy(const struct toymap_info *info)
{
	uint64_t mappings = info->vma_opens - info->vma_closes;

	fprintf(stderr, "the object is busy (EBUSY):\n");
	if (mappings)
		explain_mapped(mappings, "Detach needs an unmapped object.");
	else
		fprintf(stderr, "  a page of it is pinned (a pipe after vmsplice, I/O in flight),\n"
			"  or a mapping came and went while it wrote back. Try again.\n");
}

/* After "cannot change the swap file of DEVICE: ": which EBUSY reason holds. */
static void explain_swap_busy(const char *device, const struct toymap_info *info)
{
	if (info->swapped_pages)
		fprintf(stderr, "the swap file is in use (EBUSY):\n  %" PRIu64 " page%s of the "
			"object live%s in it now. Discard %s first:\n  toymapctl discard %s 0 %"
			PRIu64 "\n", (uint64_t)info->swapped_pages, plural(info->swapped_pages),
			verb_s(info->swapped_pages), them(info->swapped_pages), device,
			(uint64_t)info->object_size);
	else
		fprintf(stderr, "the file is another object's swap or backing file (EBUSY)\n");
}

/*
 * Where the counters tell which cause of @err holds, print it (after the
 * "cannot ...: " already printed) and return true.
 */
static bool explain(const char *device, int fd, unsigned long cmd, int err)
{
	struct toymap_info info;
	char size[32];

	if (err == EBUSY && (cmd == TOYMAP_IOC_ATTACH || cmd == TOYMAP_IOC_DETACH ||
			     cmd == TOYMAP_IOC_SET_SWAP)) {
		if (fd < 0 || toymap_get_info(fd, &info))
			return false;
		if (cmd == TOYMAP_IOC_ATTACH)
			explain_attach_busy(device, &info);
		else if (cmd == TOYMAP_IOC_DETACH)
			explain_detach_busy(&info);
		else
			explain_swap_busy(device, &info);
		return true;
	}
	if (err == EINVAL && (cmd == TOYMAP_IOC_DISCARD || cmd == TOYMAP_IOC_EVICT)) {
		if (fd < 0 || toymap_get_info(fd, &info))
			return false;
		fprintf(stderr, "%s (EINVAL):\n  the object is %s (%" PRIu64 " bytes), the page "
			"size %ld bytes\n", RANGE_CAUSE,
			toymap_format_size(info.object_size, size, sizeof(size)),
			(uint64_t)info.object_size, toymap_page_size());
		return true;
	}
	return false;
}

void toymap_perror_ioctl(const char *prefix, const char *device, int fd, unsigned long cmd,
			 int err)
{
	err = err < 0 ? -err : err;
	fprintf(stderr, "%scannot %s %s: ", prefix, ioctl_action(cmd), device);
	if (!explain(device, fd, cmd, err))
		fprintf(stderr, "%s (%s)\n", toymap_ioctl_strerror(cmd, err), errno_name(err));
}
