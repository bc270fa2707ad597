// SPDX-License-Identifier: GPL-2.0
/*
 * libtoymap: device and ioctl wrappers, module parameters, module load and
 * unload through libkmod, and a /proc/self/pagemap reader.
 *
 * Every function returns 0 (or a non-negative value) on success and -errno
 * on failure, and prints nothing: the messages are toymap_errors.c's.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libkmod.h>

#include "libtoymap.h"

/* pagemap entry bits, Documentation/admin-guide/mm/pagemap.rst */
#define PM_PRESENT	(1ULL << 63)
#define PM_SWAPPED	(1ULL << 62)
#define PM_FILE		(1ULL << 61)
#define PM_EXCLUSIVE	(1ULL << 56)
#define PM_PFN_MASK	((1ULL << 55) - 1)

/* ---------------------------------------------------------------- devices */

int toymap_open_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int toymap_open(unsigned int index, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), TOYMAP_DEV_PREFIX "%u", index);
	return toymap_open_path(path, flags);
}

int toymap_get_info(int fd, struct toymap_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, TOYMAP_IOC_INFO, info) < 0 ? -errno : 0;
}

int toymap_discard(int fd, uint64_t offset, uint64_t length)
{
	struct toymap_range range = {
		.size = sizeof(range),
		.flags = 0,
		.offset = offset,
		.length = length,
	};

	return ioctl(fd, TOYMAP_IOC_DISCARD, &range) < 0 ? -errno : 0;
}

int toymap_attach(int fd, int file_fd, uint64_t offset, uint64_t length)
{
	struct toymap_attach attach = {
		.size = sizeof(attach),
		.fd = file_fd,
		.offset = offset,
		.length = length,
	};

	return ioctl(fd, TOYMAP_IOC_ATTACH, &attach) < 0 ? -errno : 0;
}

int toymap_detach(int fd)
{
	struct toymap_detach detach = { .size = sizeof(detach) };

	return ioctl(fd, TOYMAP_IOC_DETACH, &detach) < 0 ? -errno : 0;
}

int toymap_set_swap(int fd, int swap_fd)
{
	struct toymap_swap swap = { .size = sizeof(swap), .fd = swap_fd };

	return ioctl(fd, TOYMAP_IOC_SET_SWAP, &swap) < 0 ? -errno : 0;
}

int toymap_evict(int fd, uint64_t offset, uint64_t length, struct toymap_evict *result)
{
	struct toymap_evict evict = {
		.size = sizeof(evict),
		.offset = offset,
		.length = length,
	};

	if (ioctl(fd, TOYMAP_IOC_EVICT, &evict) < 0)
		return -errno;
	if (result)
		*result = evict;
	return 0;
}

/* True for "toymap" followed by one or more digits and nothing else. */
static bool is_device_name(const char *name)
{
	const char *base = TOYMAP_DEV_PREFIX + strlen("/dev/");
	size_t len = strlen(base);
	const char *p;

	if (strncmp(name, base, len) != 0 || name[len] == '\0')
		return false;
	for (p = name + len; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

int toymap_count_devices(void)
{
	struct dirent *de;
	int count = 0;
	DIR *dir;

	dir = opendir("/dev");
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (is_device_name(de->d_name))
			count++;
	closedir(dir);
	return count;
}

/* ------------------------------------------------------ struct toymap_info */

#define FIELD(member, col, kind, wide, text) \
	{ #member, col, kind, wide, offsetof(struct toymap_info, member), text }

const struct toymap_field toymap_info_fields[] = {
	FIELD(object_size, "size", TOYMAP_FIELD_CONFIG, false,
	      "bytes in the object"),
	FIELD(resident_pages, "resident", TOYMAP_FIELD_NOW, false,
	      "pages of the object in memory now"),
	FIELD(faults, "faults", TOYMAP_FIELD_COUNTER, false,
	      "page faults that reached the module's .fault"),
	FIELD(zero_fills, "zero_fills", TOYMAP_FIELD_COUNTER, false,
	      "pages allocated and zero-filled (demand-zero)"),
	FIELD(cow_faults, "cow", TOYMAP_FIELD_COUNTER, false,
	      "write faults on MAP_PRIVATE that reached .fault: the kernel copied the page"),
	FIELD(fault_around_calls, "fa_calls", TOYMAP_FIELD_COUNTER, false,
	      ".map_pages calls (fault-around)"),
	FIELD(fault_around_hits, "fa_hits", TOYMAP_FIELD_COUNTER, false,
	      "faults that fault-around resolved without .fault"),
	FIELD(page_mkwrites, "mkwrite", TOYMAP_FIELD_COUNTER, false,
	      "first writes to a page through a MAP_SHARED mapping"),
	FIELD(vma_opens, "vma_open", TOYMAP_FIELD_COUNTER, false,
	      "mappings created: mmap() plus fork/split copies"),
	FIELD(vma_closes, "vma_close", TOYMAP_FIELD_COUNTER, false,
	      "mappings gone"),
	FIELD(sigbus_faults, "sigbus", TOYMAP_FIELD_COUNTER, false,
	      "faults answered with SIGBUS (past the end, max_pages)"),
	FIELD(discarded_pages, "discarded", TOYMAP_FIELD_COUNTER, false,
	      "pages freed by TOYMAP_IOC_DISCARD"),
	FIELD(module_pages, "module_pages", TOYMAP_FIELD_NOW, true,
	      "pages the whole module holds now, all objects"),
	FIELD(max_pages, "max_pages", TOYMAP_FIELD_CONFIG, true,
	      "the module's limit on module_pages"),
	FIELD(backing_offset, "file_off", TOYMAP_FIELD_CONFIG, false,
	      "byte offset of the backing file section"),
	FIELD(backing_length, "file_len", TOYMAP_FIELD_CONFIG, false,
	      "bytes of the backing file section"),
	FIELD(file_reads, "file_reads", TOYMAP_FIELD_COUNTER, false,
	      "pages filled from the backing file"),
	FIELD(write_backs, "write_backs", TOYMAP_FIELD_COUNTER, false,
	      "dirty pages written back to the backing file"),
	FIELD(swap_outs, "swap_outs", TOYMAP_FIELD_COUNTER, false,
	      "dirty pages written to the swap file"),
	FIELD(swap_ins, "swap_ins", TOYMAP_FIELD_COUNTER, false,
	      "pages read back from the swap file"),
	FIELD(evictions, "evicted", TOYMAP_FIELD_COUNTER, false,
	      "pages dropped by TOYMAP_IOC_EVICT"),
	FIELD(swapped_pages, "swapped", TOYMAP_FIELD_NOW, false,
	      "pages with a copy in the swap file now"),
};
const size_t toymap_info_nfields = sizeof(toymap_info_fields) / sizeof(toymap_info_fields[0]);

#undef FIELD

uint64_t toymap_info_value(const struct toymap_info *info, const struct toymap_field *field)
{
	uint64_t value;

	memcpy(&value, (const char *)info + field->offset, sizeof(value));
	return value;
}

const char *toymap_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	uint64_t scale = 1024;
	int i;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
		return buf;
	}
	for (i = 0; i < 3 && bytes >= scale * 1024; i++)
		scale *= 1024;
	if (bytes % scale == 0)
		snprintf(buf, len, "%" PRIu64 " %s", bytes / scale, units[i]);
	else
		snprintf(buf, len, "%.1f %s", (double)bytes / (double)scale, units[i]);
	return buf;
}

/* ------------------------------------------------------ module parameters */

static int param_path(const char *name, char *path, size_t len)
{
	if (!name[0] || strchr(name, '/'))
		return -EINVAL;
	if ((size_t)snprintf(path, len, TOYMAP_PARAM_DIR "/%s", name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int toymap_param_get(const char *name, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd, err;

	if (len == 0)
		return -EINVAL;
	err = param_path(name, path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

int toymap_param_set(const char *name, const char *value)
{
	size_t len = strlen(value);
	char path[256];
	ssize_t n;
	int fd, err;

	err = param_path(name, path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

int toymap_param_get_bool(const char *name)
{
	char value[16];
	int err;

	err = toymap_param_get(name, value, sizeof(value));
	if (err)
		return err;
	if (!strcmp(value, "Y") || !strcmp(value, "1"))
		return 1;
	if (!strcmp(value, "N") || !strcmp(value, "0"))
		return 0;
	return -EINVAL;
}

/* ----------------------------------------------------------- libkmod */

/* libkmod logs errors to stderr by default; the library reports, not prints. */
static void kmod_log_quiet(void *data, int priority, const char *file, int line,
			   const char *fn, const char *format, va_list args)
{
	(void)data; (void)priority; (void)file; (void)line; (void)fn;
	(void)format; (void)args;
}

static struct kmod_ctx *kmod_ctx_new(void)
{
	const char *null_config = NULL;
	struct kmod_ctx *ctx;

	/* As kmod's insmod and rmmod: no modprobe.d configuration. */
	ctx = kmod_new(NULL, &null_config);
	if (ctx)
		kmod_set_log_fn(ctx, kmod_log_quiet, NULL);
	return ctx;
}

/* Live or coming: the module is in the kernel now. */
static bool module_is_loaded(struct kmod_module *mod)
{
	int state = kmod_module_get_initstate(mod);

	return state == KMOD_MODULE_LIVE || state == KMOD_MODULE_COMING ||
	       state == KMOD_MODULE_BUILTIN;
}

/* A libkmod context and toymap's module: from the file @ko, or by name. */
static int module_get(const char *ko, struct kmod_ctx **ctxp, struct kmod_module **modp)
{
	struct kmod_ctx *ctx = kmod_ctx_new();
	int err;

	if (!ctx)
		return -ENOMEM;
	if (ko)
		err = kmod_module_new_from_path(ctx, ko, modp);
	else
		err = kmod_module_new_from_name(ctx, TOYMAP_MODULE_NAME, modp);
	if (err < 0) {
		kmod_unref(ctx);
		return err;
	}
	*ctxp = ctx;
	return 0;
}

static void module_put(struct kmod_ctx *ctx, struct kmod_module *mod)
{
	kmod_module_unref(mod);
	kmod_unref(ctx);
}

bool toymap_is_loaded(void)
{
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	bool loaded;

	if (module_get(NULL, &ctx, &mod))
		return access("/sys/module/" TOYMAP_MODULE_NAME, F_OK) == 0;
	loaded = module_is_loaded(mod);
	module_put(ctx, mod);
	return loaded;
}

/*
 * init_module(2) reuses errno values: ENOENT from the kernel means "unknown
 * symbol" (the file itself was found), ESRCH a wrong symbol version.  Fold
 * them into the library's meanings: ENOENT is kept for "no such module".
 */
static int insert_error(int err)
{
	switch (err) {
	case -ENOENT:
	case -ESRCH:
		return -ENOEXEC;
	case -EKEYREJECTED:
	case -ENOKEY:
	case -EBADMSG:
		return -EKEYREJECTED;
	default:
		return err;
	}
}

int toymap_load(const char *ko, const char *options)
{
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int err;

	if (ko && access(ko, R_OK) < 0)
		return -errno;
	/* By name: a .ko file may be named otherwise (toymap-6.1.ko). */
	if (toymap_is_loaded())
		return -EEXIST;
	err = module_get(ko, &ctx, &mod);
	if (err)
		return err;
	if (!ko && !kmod_module_get_path(mod)) {
		err = -ENOENT;		/* not in modules.dep of this kernel */
	} else {
		err = kmod_module_insert_module(mod, 0, options ? options : "");
		if (err < 0)
			err = insert_error(err);
	}
	module_put(ctx, mod);
	return err;
}

int toymap_unload(void)
{
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int err;

	err = module_get(NULL, &ctx, &mod);
	if (err)
		return err;
	/* As kmod's rmmod: look before removing, for a clear error. */
	if (!module_is_loaded(mod)) {
		err = -ENOENT;
	} else if (kmod_module_get_refcnt(mod) > 0) {
		err = -EBUSY;
	} else {
		err = kmod_module_remove_module(mod, 0);
		/* delete_module(O_NONBLOCK) says EWOULDBLOCK for a held module */
		if (err == -EAGAIN || err == -EWOULDBLOCK)
			err = -EBUSY;
	}
	module_put(ctx, mod);
	return err;
}

const char *toymap_kmod_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case EEXIST:
		return "toymap is already loaded";
	case ENOENT:
		return "not found: no such toymap.ko file, or none installed in "
		       "/lib/modules/$(uname -r) (give --ko PATH); or toymap is not loaded";
	case EBUSY:
		return "module in use (a process has /dev/toymapN open or mapped)";
	case EPERM:
		return "operation not permitted (loading and unloading modules needs root, "
		       "CAP_SYS_MODULE; or module loading is disabled)";
	case EACCES:
		return "permission denied (cannot read the .ko file)";
	case ENOEXEC:
		return "invalid module format: built for another kernel? (see dmesg)";
	case EINVAL:
		return "invalid module or bad parameter value (see dmesg)";
	case EKEYREJECTED:
		return "module signature rejected or missing (this kernel enforces signed modules)";
	case ENOMEM:
		return "out of memory (is size or max_pages too large?)";
	case ENOSYS:
		return "this kernel cannot load modules (built without module support: "
		       "try scripts/vmrun.sh)";
	case ENODEV:
		return "the module refused to start (see dmesg)";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

/* ----------------------------------------------------------- pagemap */

long toymap_page_size(void)
{
	static long page_size;

	if (!page_size)
		page_size = sysconf(_SC_PAGESIZE);
	return page_size;
}

int toymap_pagemap(const void *addr, struct toymap_pte *pte)
{
	uint64_t entry;
	off_t offset;
	ssize_t n;
	int fd;

	/*
	 * Opened on each call, never cached: after fork(), a cached fd would
	 * still read the parent's page table (/proc/self was resolved at open).
	 */
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	offset = (off_t)((uintptr_t)addr / (uintptr_t)toymap_page_size()) * sizeof(entry);
	n = pread(fd, &entry, sizeof(entry), offset);
	close(fd);
	if (n < 0)
		return -errno;
	if (n != sizeof(entry))
		return -EIO;

	memset(pte, 0, sizeof(*pte));
	pte->present = entry & PM_PRESENT;
	pte->swapped = entry & PM_SWAPPED;
	pte->file = entry & PM_FILE;
	pte->exclusive = entry & PM_EXCLUSIVE;
	/* Without CAP_SYS_ADMIN the kernel reports PFN 0 for present pages. */
	pte->pfn = pte->present ? (entry & PM_PFN_MASK) : 0;
	pte->pfn_known = pte->pfn != 0;
	return 0;
}

bool toymap_can_read_pfn(void)
{
	static volatile char probe = 1;	/* in .data: present once written */
	struct toymap_pte pte;

	probe = 1;
	return toymap_pagemap((const void *)&probe, &pte) == 0 && pte.pfn_known;
}

const char *toymap_format_pte(const struct toymap_pte *pte, char *buf, size_t len)
{
	const char *kind = pte->file ? "file" : "anon";

	if (!pte->present)
		snprintf(buf, len, pte->swapped ? "swapped out" : "not present");
	else if (pte->pfn_known)
		snprintf(buf, len, "pfn 0x%" PRIx64 " %s%s", pte->pfn, kind,
			 pte->exclusive ? " excl" : "");
	else
		snprintf(buf, len, "%s page%s (PFN needs root)", kind,
			 pte->exclusive ? ", exclusive" : "");
	return buf;
}

const char *toymap_describe_frame(const void *addr, char *buf, size_t len)
{
	struct toymap_pte pte;
	int err;

	err = toymap_pagemap(addr, &pte);
	if (err) {
		snprintf(buf, len, "pagemap: %s", strerror(-err));
		return buf;
	}
	return toymap_format_pte(&pte, buf, len);
}

long toymap_mincore_count(void *addr, size_t len)
{
	size_t page = (size_t)toymap_page_size();
	size_t pages = (len + page - 1) / page;
	unsigned char *vec;
	long resident = 0;
	size_t i;

	vec = malloc(pages ? pages : 1);
	if (!vec)
		return -ENOMEM;
	if (mincore(addr, len, vec) < 0) {
		resident = -errno;
		goto out;
	}
	for (i = 0; i < pages; i++)
		resident += vec[i] & 1;
out:
	free(vec);
	return resident;
}
