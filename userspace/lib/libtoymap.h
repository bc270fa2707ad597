/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libtoymap: what every toymap program, demo and selftest needs, one header
 * for all of it: the device, its ioctls and counters, module parameters,
 * load and unload, pagemap (here); why an open or an ioctl failed
 * (toymap_errors.h); whole reads and writes, scratch files (toymap_io.h).
 * Functions return 0 (or a non-negative value) on success and -errno on
 * failure; none of them prints, except the toymap_perror_* ones.
 */
#ifndef LIBTOYMAP_H
#define LIBTOYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toymap.h"
#include "toymap_errors.h"
#include "toymap_io.h"
#include "toymap_lookup.h"

#define TOYMAP_MODULE_NAME	"toymap"
#define TOYMAP_PARAM_DIR	"/sys/module/toymap/parameters"
#define TOYMAP_DEV_PREFIX	"/dev/toymap"
#define TOYMAP_DEFAULT_DEVICE	TOYMAP_DEV_PREFIX "0"

/* Devices and ioctls */
int toymap_open(unsigned int index, int flags);	/* fd or -errno */
int toymap_get_info(int fd, struct toymap_info *info);
int toymap_discard(int fd, uint64_t offset, uint64_t length);
/* Back the object with bytes [offset, offset+length) of the file @file_fd. */
int toymap_attach(int fd, int file_fd, uint64_t offset, uint64_t length);
/* Write back, drop every page: the object is anonymous again. */
int toymap_detach(int fd);
/* Set the swap file (@swap_fd open read-write), or drop it (@swap_fd -1). */
int toymap_set_swap(int fd, int swap_fd);
/* Evict [offset, offset+length); @result (may be NULL) gets the counts. */
int toymap_evict(int fd, uint64_t offset, uint64_t length, struct toymap_evict *result);
/* Number of /dev/toymapN nodes present (0 when the module is not loaded). */
int toymap_count_devices(void);
/* Open a device node by path (any path, e.g. a demo's argument): fd or -errno. */
int toymap_open_path(const char *path, int flags);

/*
 * The fields of struct toymap_info, in struct order, for tables and
 * before/after differences.  Counters only grow; "now" values (resident
 * pages, module pages) go up and down; "config" values are settings.
 */
enum toymap_field_kind {
	TOYMAP_FIELD_CONFIG,
	TOYMAP_FIELD_NOW,
	TOYMAP_FIELD_COUNTER,
};
struct toymap_field {
	const char *name;		/* the struct member's name */
	const char *column;		/* short table heading */
	enum toymap_field_kind kind;
	bool module_wide;		/* the same for every object */
	size_t offset;			/* offsetof(struct toymap_info, name) */
	const char *meaning;		/* one line for a legend */
};
extern const struct toymap_field toymap_info_fields[];
extern const size_t toymap_info_nfields;
uint64_t toymap_info_value(const struct toymap_info *info, const struct toymap_field *field);
/* "64 MiB", "4 KiB", "1.5 GiB", "123 bytes".  Returns @buf. */
const char *toymap_format_size(uint64_t bytes, char *buf, size_t len);

/* Module parameters under /sys/module/toymap/parameters */
int toymap_param_get(const char *name, char *buf, size_t len);
int toymap_param_set(const char *name, const char *value);
/* A 0/1 parameter (the kernel shows bools as Y/N): 1, 0 or -errno. */
int toymap_param_get_bool(const char *name);

/*
 * Module load/unload through libkmod.  @ko is a path to toymap.ko, or NULL
 * to let libkmod find "toymap" in /lib/modules.  @options is the
 * "param=value ..." string (may be NULL).  Errors: -EEXIST already loaded,
 * -ENOENT not found, -EBUSY in use, others as libkmod reports them.
 */
int toymap_load(const char *ko, const char *options);
int toymap_unload(void);
bool toymap_is_loaded(void);
/* A one-line explanation of a toymap_load/toymap_unload error. */
const char *toymap_kmod_strerror(int err);

/* /proc/self/pagemap: what backs one virtual address of this process */
struct toymap_pte {
	bool present;		/* bit 63: a frame is mapped */
	bool swapped;		/* bit 62 */
	bool file;		/* bit 61: file page (the object's), not anon */
	bool exclusive;		/* bit 56: mapped by this process only */
	bool pfn_known;		/* PFN readable (CAP_SYS_ADMIN) and present */
	uint64_t pfn;		/* bits 0-54, valid when pfn_known */
	uint64_t frame;		/* LOOKUP's frame identity (toymap_pagemap_frame), 0: none */
};
int toymap_pagemap(const void *addr, struct toymap_pte *pte);
/*
 * toymap_pagemap() and, for a present page of a toymap mapping, LOOKUP's
 * frame identity through @fd (any toymap device; -1: none), which any user
 * may compare where the PFN is hidden.  A LOOKUP that fails leaves it 0.
 */
int toymap_pagemap_frame(int fd, const void *addr, struct toymap_pte *pte);
/* The text of toymap_describe_frame for an entry already read.  Returns @buf. */
const char *toymap_format_pte(const struct toymap_pte *pte, char *buf, size_t len);
/*
 * Describe the frame behind @addr for a demo: "pfn 0x1234 file excl" as root,
 * "file page, exclusive (PFN needs root)" otherwise, "not present" when no
 * frame is mapped.  Returns @buf.
 */
const char *toymap_describe_frame(const void *addr, char *buf, size_t len);
/* True when pagemap shows PFNs to this process. */
bool toymap_can_read_pfn(void);

/* Helpers for programs */
long toymap_page_size(void);
/* Resident pages of [addr, addr+len) by mincore(); -errno on failure. */
long toymap_mincore_count(void *addr, size_t len);

#endif /* LIBTOYMAP_H */
