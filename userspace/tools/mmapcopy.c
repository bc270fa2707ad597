// SPDX-License-Identifier: GPL-2.0
/*
 * mmapcopy: copy a file to stdout through memory mapping (CS:APP 9.8.4,
 * Practice Problem 9.5), with a toymap object in the place of the file's
 * own mapping: attach FILE to the object, mmap the object MAP_PRIVATE and
 * PROT_READ, write() the area to stdout, munmap, detach.  No read() of the
 * file: each page of the area is read from the file by the module when
 * write() first touches it.
 *
 * Exit status: 0 copied, 1 failed (the message says why), 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libtoymap.h"

#define EXIT_USAGE	2
#define CHUNK		(1UL << 20)	/* bytes per write(): a signal is seen between */

static const char usage_text[] =
	"usage: mmapcopy [-d|--device DEVICE] FILE\n"
	"\n"
	"Copies FILE to stdout through a toymap object: attaches FILE to the object\n"
	"(DEVICE, default " TOYMAP_DEFAULT_DEVICE "), maps it MAP_PRIVATE and PROT_READ,\n"
	"write()s the area to stdout, unmaps it and detaches FILE again. The object\n"
	"must be at least as large as FILE, unmapped, and hold no file or dirty page.\n"
	"\n"
	"Exit status: 0 copied, 1 failed, 2 usage.\n";

/* The signal that asked us to stop; the object is detached before we die of it. */
static volatile sig_atomic_t stop_signal;

static void note_signal(int sig)
{
	stop_signal = sig;
}

/* Interrupt a blocked write() on SIGINT, SIGTERM, SIGHUP; ignore SIGPIPE (EPIPE instead). */
static void catch_signals(void)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = note_signal };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Die of the signal that stopped us (SIGPIPE for EPIPE), as cat would. */
static void __attribute__((noreturn)) die_of(int sig)
{
	signal(sig, SIG_DFL);
	raise(sig);
	exit(EXIT_FAILURE);
}

/* Write @len bytes from @addr to stdout: 0, or -errno (-EINTR: a signal). */
static int write_out(const char *addr, size_t len)
{
	size_t chunk;
	ssize_t n;

	while (len) {
		if (stop_signal)
			return -EINTR;
		chunk = len < CHUNK ? len : CHUNK;
		n = write(STDOUT_FILENO, addr, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		addr += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Open FILE for the copy: a regular file open for reading, or exit 1 saying why. */
static int open_file(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "mmapcopy: cannot open %s: %s\n", path, strerror(errno));
		exit(EXIT_FAILURE);
	}
	if (fstat(fd, st) < 0) {
		fprintf(stderr, "mmapcopy: %s: %s\n", path, strerror(errno));
		exit(EXIT_FAILURE);
	}
	if (S_ISDIR(st->st_mode)) {
		fprintf(stderr, "mmapcopy: %s: is a directory\n", path);
		exit(EXIT_FAILURE);
	}
	if (!S_ISREG(st->st_mode)) {
		fprintf(stderr, "mmapcopy: %s: not a regular file: only a regular file's bytes "
			"can back a toymap object\n", path);
		exit(EXIT_FAILURE);
	}
	return fd;
}

/* Open the device and check that FILE fits in its object, or exit 1 saying why. */
static int open_device(const char *device, const char *path, uint64_t file_size)
{
	struct toymap_info info;
	char have[32], need[32];
	int fd, err;

	fd = toymap_open_path(device, O_RDWR);
	if (fd < 0) {
		fputs("mmapcopy: ", stderr);
		toymap_perror_open(device, fd);
		exit(EXIT_FAILURE);
	}
	err = toymap_get_info(fd, &info);
	if (err) {
		toymap_perror_ioctl("mmapcopy: ", device, -1, TOYMAP_IOC_INFO, err);
		exit(EXIT_FAILURE);
	}
	if (file_size > info.object_size) {
		fprintf(stderr, "mmapcopy: %s is %s (%" PRIu64 " bytes), larger than the object of "
			"%s (%s):\nthe whole file must fit in the object. Load the module with a "
			"larger size\n(toymapctl unload; toymapctl load size=%" PRIu64 "K).\n",
			path,
			toymap_format_size(file_size, need, sizeof(need)), file_size, device,
			toymap_format_size(info.object_size, have, sizeof(have)),
			(file_size + 4095) / 4096 * 4);
		exit(EXIT_FAILURE);
	}
	return fd;
}

/* Map the attached object, write it out, unmap: 0 or -errno, after saying why. */
static int copy_out(int dev_fd, const char *device, uint64_t size)
{
	void *addr;
	int err;

	addr = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, dev_fd, 0);
	if (addr == MAP_FAILED) {
		err = -errno;
		fprintf(stderr, "mmapcopy: mmap of %s: %s\n", device, strerror(-err));
		return err;
	}
	/* Read in order: the object reads ahead, as the kernel does for a file (a hint only). */
	madvise(addr, (size_t)size, MADV_SEQUENTIAL);
	err = write_out(addr, (size_t)size);
	if (err && err != -EINTR && err != -EPIPE)
		fprintf(stderr, "mmapcopy: write to stdout: %s\n", strerror(-err));
	munmap(addr, (size_t)size);
	return err;
}

int main(int argc, char **argv)
{
	const char *device = TOYMAP_DEFAULT_DEVICE, *path;
	int file_fd, dev_fd, opt, err, detach_err;
	struct stat st;

	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((opt = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			device = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_SUCCESS;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(optind == argc ? "mmapcopy: no FILE given\n\n"
				     : "mmapcopy: one FILE only\n\n", stderr);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	path = argv[optind];

	file_fd = open_file(path, &st);
	/* Nothing to copy, and an object cannot be backed by zero bytes. */
	if (st.st_size == 0)
		return EXIT_SUCCESS;
	dev_fd = open_device(device, path, (uint64_t)st.st_size);

	catch_signals();
	err = toymap_attach(dev_fd, file_fd, 0, (uint64_t)st.st_size);
	if (err) {
		toymap_perror_ioctl("mmapcopy: ", device, dev_fd, TOYMAP_IOC_ATTACH, err);
		return EXIT_FAILURE;
	}
	/* From here on, whatever happens, the object is detached before exit. */
	err = copy_out(dev_fd, device, (uint64_t)st.st_size);
	detach_err = toymap_detach(dev_fd);
	if (detach_err) {
		toymap_perror_ioctl("mmapcopy: ", device, dev_fd, TOYMAP_IOC_DETACH, detach_err);
		err = err ? err : detach_err;
	}
	if (err == -EPIPE)
		die_of(SIGPIPE);
	if (stop_signal)
		die_of(stop_signal);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
