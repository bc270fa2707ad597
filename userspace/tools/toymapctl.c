// SPDX-License-Identifier: GPL-2.0
/*
 * toymapctl: load and unload the toymap module, show its objects and
 * counters, switch tracing and fault-around, discard pages, back an object
 * with a file section or a swap file, evict its pages, sync it.
 *
 * Exit status: 0 done, 1 failed (the message says why), 2 usage.
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
#include <sys/stat.h>
#include <unistd.h>

#include "libtoymap.h"

#define EXIT_USAGE	2
#define MAX_DEVICES	256	/* rows of "info" */
#define MAX_FIELDS	32	/* columns of "info" */

static const char usage_text[] =
	"usage: toymapctl COMMAND [ARGS]\n"
	"\n"
	"  load [--ko PATH] [param=value ...]\n"
	"                       load the module (from PATH, or found in\n"
	"                       /lib/modules/$(uname -r)); parameters: devices,\n"
	"                       size (bytes), max_pages, mode (e.g. mode=0666 for a\n"
	"                       lab), trace (0/1), fault_around (0/1),\n"
	"                       large_folios (0/1)\n"
	"  unload               unload the module\n"
	"  info [DEVICE ...]    a table of the objects (default: every\n"
	"                       " TOYMAP_DEV_PREFIX "N): size, resident pages, counters;\n"
	"                       the module's pages and parameters\n"
	"  trace on|off         log every fault to the kernel log (dmesg)\n"
	"  fault-around on|off  let a read fault map resident neighbours too\n"
	"  large-folios on|off  let a fault make a folio of 16 KiB to 2 MiB\n"
	"  discard DEVICE OFFSET LENGTH\n"
	"                       free the object's pages in [OFFSET, OFFSET+LENGTH):\n"
	"                       page-aligned; numbers may end in K, M or G\n"
	"  attach [-r] DEVICE FILE [OFFSET [LENGTH]]\n"
	"                       back the object with bytes [OFFSET, OFFSET+LENGTH) of\n"
	"                       FILE (default: from 0 to the end of FILE): page k of\n"
	"                       the object starts with FILE's bytes OFFSET + k*page,\n"
	"                       read at the first touch; the rest is demand-zero.\n"
	"                       FILE is opened read-write (read-only with -r, or when\n"
	"                       it is not writable: then shared writable mappings of\n"
	"                       the object are refused)\n"
	"  detach DEVICE        write dirty pages back to the file, drop every page:\n"
	"                       the object is anonymous again\n"
	"  swap DEVICE FILE|none\n"
	"                       where eviction writes dirty anonymous pages (FILE is\n"
	"                       created if missing), or no swap file\n"
	"  evict DEVICE [OFFSET LENGTH]\n"
	"                       evict the object's pages (default: all of it): unmap\n"
	"                       them, write dirty pages to the file or the swap file,\n"
	"                       drop the clean ones; the next touch reads them back\n"
	"  sync DEVICE          write the dirty pages back to the file (fsync)\n"
	"  help                 this text\n"
	"\n"
	"The module holds the files of attach and swap open itself: they stay set after\n"
	"toymapctl exits, until detach, swap DEVICE none, or unload.\n"
	"\n"
	"Exit status: 0 done, 1 failed, 2 usage.\n";

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("toymapctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* ------------------------------------------------------ load, unload */

static int append_option(char *options, size_t len, const char *param)
{
	size_t used = strlen(options);
	int n;

	n = snprintf(options + used, len - used, "%s%s", used ? " " : "", param);
	return n < 0 || (size_t)n >= len - used ? -1 : 0;
}

/* The kernel ignores unknown parameters (a dmesg line): say so here. */
static void warn_unknown_params(char *options)
{
	char name[128], path[256];
	char *param, *save = NULL;

	if (access(TOYMAP_PARAM_DIR, F_OK) < 0)
		return;
	for (param = strtok_r(options, " ", &save); param; param = strtok_r(NULL, " ", &save)) {
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(param, "="), param);
		snprintf(path, sizeof(path), TOYMAP_PARAM_DIR "/%s", name);
		if (access(path, F_OK) < 0)
			fprintf(stderr, "toymapctl: warning: toymap has no parameter \"%s\"; "
				"the kernel ignored it (see dmesg)\n", name);
	}
}

static void print_loaded(void)
{
	char size[32], mode[32], human[32];
	int devices = toymap_count_devices();
	uint64_t bytes = 0;
	char *end;

	if (!toymap_param_get("size", size, sizeof(size)))
		bytes = strtoull(size, NULL, 0);
	if (!toymap_param_get("mode", mode, sizeof(mode)) && mode[0])
		snprintf(mode, sizeof(mode), "%04lo", strtoul(mode, &end, 0));
	else
		snprintf(mode, sizeof(mode), "?");
	printf("toymap loaded: %d device%s (" TOYMAP_DEV_PREFIX "0..%d), %s each, mode=%s\n",
	       devices, devices == 1 ? "" : "s", devices - 1,
	       bytes ? toymap_format_size(bytes, human, sizeof(human)) : "? bytes", mode);
}

static int cmd_load(int argc, char **argv)
{
	const char *ko = NULL;
	char options[1024] = "";
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ko")) {
			if (++i == argc)
				return usage_error("%s needs a path to toymap.ko", "--ko");
			ko = argv[i];
		} else if (!strncmp(argv[i], "--ko=", 5)) {
			ko = argv[i] + 5;
		} else if (argv[i][0] == '-' || argv[i][0] == '=') {
			return usage_error("load: unknown option \"%s\"", argv[i]);
		} else if (append_option(options, sizeof(options), argv[i])) {
			return usage_error("load: parameters too long at \"%s\"", argv[i]);
		}
	}
	err = toymap_load(ko, options);
	if (err == -EEXIST) {
		fprintf(stderr, "toymapctl: %s (toymapctl unload first, to load it with "
			"other parameters)\n", toymap_kmod_strerror(err));
		return EXIT_FAILURE;
	}
	if (err == -ENOENT) {
		if (ko)
			fprintf(stderr, "toymapctl: cannot load %s: no such file\n", ko);
		else
			fprintf(stderr, "toymapctl: toymap.ko is not installed in /lib/modules/"
				"$(uname -r): give --ko PATH (e.g. build/KERNEL/toymap.ko)\n");
		return EXIT_FAILURE;
	}
	if (err == -EKEYREJECTED) {
		fprintf(stderr, "toymapctl: cannot load %s: %s\n"
			"  The kernel loads only modules signed with a key it trusts (Secure Boot),\n"
			"  and this one is not. The way out on Debian or Ubuntu: sudo make install,\n"
			"  which has DKMS build and sign the module with its own key, then enroll\n"
			"  that key once: sudo mokutil --import /var/lib/dkms/mok.pub (choose a\n"
			"  password), reboot, and confirm the key in the blue MOK manager screen.\n"
			"  Or switch Secure Boot off in the firmware settings.\n",
			ko ? ko : TOYMAP_MODULE_NAME, toymap_kmod_strerror(err));
		return EXIT_FAILURE;
	}
	if (err) {
		fprintf(stderr, "toymapctl: cannot load %s: %s\n", ko ? ko : TOYMAP_MODULE_NAME,
			toymap_kmod_strerror(err));
		return EXIT_FAILURE;
	}
	warn_unknown_params(options);
	print_loaded();
	return EXIT_SUCCESS;
}

/* Does one line of /proc/PID/maps, or one fd link, name a toymap device? */
static bool names_device(const char *text)
{
	return strstr(text, TOYMAP_DEV_PREFIX);
}

static bool pid_has_device_open(const char *pid)
{
	char dir[300], link[600], target[256];
	bool found = false;
	struct dirent *de;
	ssize_t n;
	DIR *fds;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	fds = opendir(dir);
	if (!fds)
		return false;
	while (!found && (de = readdir(fds))) {
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = names_device(target);
		}
	}
	closedir(fds);
	return found;
}

static bool pid_has_device_mapped(const char *pid)
{
	char path[300], line[512];
	bool found = false;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	maps = fopen(path, "re");
	if (!maps)
		return false;
	while (!found && fgets(line, sizeof(line), maps))
		found = names_device(line);
	fclose(maps);
	return found;
}

/* Name the processes that hold the module (those this user may see). */
static void print_users(void)
{
	char comm[64], path[300];
	bool opened, mapped;
	struct dirent *de;
	DIR *proc;
	FILE *f;

	proc = opendir("/proc");
	if (!proc)
		return;
	while ((de = readdir(proc))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		opened = pid_has_device_open(de->d_name);
		mapped = pid_has_device_mapped(de->d_name);
		if (!opened && !mapped)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f || !fgets(comm, sizeof(comm), f))
			snprintf(comm, sizeof(comm), "?");
		if (f)
			fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		fprintf(stderr, "  pid %s (%s) has a toymap device %s\n", de->d_name, comm,
			opened && mapped ? "open and mapped" : opened ? "open" : "mapped");
	}
	closedir(proc);
}

static int cmd_unload(int argc, char **argv)
{
	int err;

	(void)argv;
	if (argc > 1)
		return usage_error("unload takes no arguments");
	if (!toymap_is_loaded()) {
		fprintf(stderr, "toymapctl: toymap is not loaded\n");
		return EXIT_FAILURE;
	}
	err = toymap_unload();
	if (err) {
		fprintf(stderr, "toymapctl: cannot unload toymap: %s\n", toymap_kmod_strerror(err));
		if (err == -EBUSY)
			print_users();
		return EXIT_FAILURE;
	}
	printf("toymap unloaded\n");
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------ info */

/*
 * The per-object columns of the tables: everything but the settings and the
 * module-wide values.  The first table holds the fields up to max_pages, the
 * second those of file-backed objects (from backing_flags on).
 */
static bool is_column(const struct toymap_field *f)
{
	return !f->module_wide && f->kind != TOYMAP_FIELD_CONFIG;
}

static bool is_backing_field(const struct toymap_field *f)
{
	return f->offset >= offsetof(struct toymap_info, backing_flags);
}

struct row {
	const char *device;
	struct toymap_info info;
};

/* "anonymous", "file bytes 0..12287, read-only", "..., swap file": @buf. */
static const char *describe_backing(const struct toymap_info *info, char *buf, size_t len)
{
	const char *swap = info->backing_flags & TOYMAP_BACKING_SWAP ? ", swap file" : "";

	if (info->backing_flags & TOYMAP_BACKING_FILE)
		snprintf(buf, len, "file bytes %" PRIu64 "..%" PRIu64 "%s%s",
			 (uint64_t)info->backing_offset,
			 (uint64_t)(info->backing_offset + info->backing_length - 1),
			 info->backing_flags & TOYMAP_BACKING_READONLY ? ", read-only" : "", swap);
	else
		snprintf(buf, len, "anonymous%s", swap);
	return buf;
}

/* The text of the second column: the size (first table) or the backing. */
static const char *first_column(const struct row *row, bool backing, char *buf, size_t len)
{
	return backing ? describe_backing(&row->info, buf, len)
		       : toymap_format_size(row->info.object_size, buf, len);
}

/* One table: the counters of every row, or (@backing) their backing and its counters. */
static void print_table(const struct row *rows, int n, bool backing)
{
	const char *heading = backing ? "backing" : "size";
	int first_width = (int)strlen(heading), device_width = (int)strlen("device");
	size_t i, nfields = toymap_info_nfields < MAX_FIELDS ? toymap_info_nfields : MAX_FIELDS;
	bool shown[MAX_FIELDS];
	char text[96], value[32];
	int width[MAX_FIELDS];
	int r, w;

	for (i = 0; i < nfields; i++) {
		shown[i] = is_column(&toymap_info_fields[i]) &&
			   is_backing_field(&toymap_info_fields[i]) == backing;
		width[i] = (int)strlen(toymap_info_fields[i].column);
	}
	for (r = 0; r < n; r++) {
		w = (int)strlen(rows[r].device);
		device_width = w > device_width ? w : device_width;
		w = (int)strlen(first_column(&rows[r], backing, text, sizeof(text)));
		first_width = w > first_width ? w : first_width;
		for (i = 0; i < nfields; i++) {
			w = snprintf(value, sizeof(value), "%" PRIu64,
				     toymap_info_value(&rows[r].info, &toymap_info_fields[i]));
			width[i] = w > width[i] ? w : width[i];
		}
	}

	/* The size is a number (right-aligned), the backing a text (left-aligned). */
	printf("%-*s  %*s", device_width, "device", backing ? -first_width : first_width, heading);
	for (i = 0; i < nfields; i++)
		if (shown[i])
			printf("  %*s", width[i], toymap_info_fields[i].column);
	putchar('\n');
	for (r = 0; r < n; r++) {
		printf("%-*s  %*s", device_width, rows[r].device,
		       backing ? -first_width : first_width,
		       first_column(&rows[r], backing, text, sizeof(text)));
		for (i = 0; i < nfields; i++)
			if (shown[i])
				printf("  %*" PRIu64, width[i],
				       toymap_info_value(&rows[r].info, &toymap_info_fields[i]));
		putchar('\n');
	}
}

static void print_module_line(const struct toymap_info *info)
{
	static const char *const state[] = { "off", "on" };
	int fault_around = toymap_param_get_bool("fault_around");
	int large = toymap_param_get_bool("large_folios");
	int trace = toymap_param_get_bool("trace");
	long page = toymap_page_size();
	char held[32], limit[32];

	printf("\nmodule: %llu pages held (%s) of max_pages %llu (%s); trace %s, fault-around %s, "
	       "large folios %s\n",
	       (unsigned long long)info->module_pages,
	       toymap_format_size(info->module_pages * (uint64_t)page, held, sizeof(held)),
	       (unsigned long long)info->max_pages,
	       toymap_format_size(info->max_pages * (uint64_t)page, limit, sizeof(limit)),
	       trace < 0 ? "?" : state[trace], fault_around < 0 ? "?" : state[fault_around],
	       large < 0 ? "?" : state[large]);
}

static void print_legend(void)
{
	const struct toymap_field *f;
	size_t i;

	printf("\n");
	for (i = 0; i < toymap_info_nfields; i++) {
		f = &toymap_info_fields[i];
		if (is_column(f) || !strcmp(f->name, "object_size"))
			printf("  %-11s %s\n", f->column, f->meaning);
		if (!strcmp(f->name, "max_pages"))
			printf("  %-11s %s\n", "backing", "anonymous, or the file section attached "
			       "(read-only: through a read-only fd); swap file set");
	}
}

/* Paths of the device nodes present, in index order. */
static int list_devices(char paths[][32], int max)
{
	int total = toymap_count_devices(), found = 0, i;

	for (i = 0; found < total && found < max && i < 4096; i++) {
		snprintf(paths[found], 32, TOYMAP_DEV_PREFIX "%d", i);
		if (access(paths[found], F_OK) == 0)
			found++;
	}
	return found;
}

static int cmd_info(int argc, char **argv)
{
	static char found[MAX_DEVICES][32];
	static struct row rows[MAX_DEVICES];
	int i, n = 0, nodes, status = EXIT_SUCCESS, fd, err;
	const char *device;

	if (argc > MAX_DEVICES + 1)
		return usage_error("info: at most %d devices", MAX_DEVICES);
	nodes = argc > 1 ? argc - 1 : list_devices(found, MAX_DEVICES);
	if (nodes == 0) {
		fprintf(stderr, toymap_is_loaded()
			? "toymapctl: toymap is loaded but no " TOYMAP_DEV_PREFIX "N exists\n"
			: "toymapctl: toymap is not loaded (toymapctl load)\n");
		return EXIT_FAILURE;
	}
	for (i = 0; i < nodes; i++) {
		device = argc > 1 ? argv[i + 1] : found[i];
		fd = toymap_open_path(device, O_RDONLY);
		if (fd < 0) {
			toymap_perror_open(device, fd);
			status = EXIT_FAILURE;
			continue;
		}
		err = toymap_get_info(fd, &rows[n].info);
		close(fd);
		if (err) {
			toymap_perror_ioctl("toymapctl: ", device, -1, TOYMAP_IOC_INFO, err);
			status = EXIT_FAILURE;
			continue;
		}
		rows[n++].device = device;
	}
	if (!n)
		return status;
	print_table(rows, n, false);
	putchar('\n');
	print_table(rows, n, true);
	print_module_line(&rows[0].info);
	print_legend();
	return status;
}

/* ------------------------------------------------------ parameters */

static int cmd_switch(const char *param, int argc, char **argv)
{
	const char *value;
	int err;

	if (argc != 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off")))
		return usage_error("%s takes \"on\" or \"off\"", argv[0]);
	value = strcmp(argv[1], "on") ? "0" : "1";
	err = toymap_param_set(param, value);
	if (err == -ENOENT && !toymap_is_loaded()) {
		fprintf(stderr, "toymapctl: toymap is not loaded (toymapctl load)\n");
		return EXIT_FAILURE;
	}
	if (err == -EACCES || err == -EPERM) {
		fprintf(stderr, "toymapctl: cannot write " TOYMAP_PARAM_DIR "/%s: %s "
			"(needs root)\n", param, strerror(-err));
		return EXIT_FAILURE;
	}
	if (err) {
		fprintf(stderr, "toymapctl: cannot write " TOYMAP_PARAM_DIR "/%s: %s\n",
			param, strerror(-err));
		return EXIT_FAILURE;
	}
	printf("%s: %s\n", argv[0], argv[1]);
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------ discard */

/* A byte count: decimal, 0x hex or 0 octal, optionally K, M or G (powers of 1024). */
static int parse_bytes(const char *text, uint64_t *bytes)
{
	unsigned long long value;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	value = strtoull(text, &end, 0);
	if (errno)
		return -errno;
	switch (toupper((unsigned char)*end)) {
	case 'G':
		shift = 30;
		break;
	case 'M':
		shift = 20;
		break;
	case 'K':
		shift = 10;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1] && strcasecmp(end + 1, "iB") && strcasecmp(end + 1, "B"))
		return -EINVAL;
	if (value > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)value << shift;
	return 0;
}

/* Say why @cmd on @device (open as @fd, or -1) failed: the exit status. */
static int ioctl_failed(const char *device, int fd, unsigned long cmd, int err)
{
	toymap_perror_ioctl("toymapctl: ", device, fd, cmd, err);
	return EXIT_FAILURE;
}

/* Open DEVICE read-write and read its info: the fd, or -1 after saying why. */
static int open_object(const char *device, struct toymap_info *info)
{
	int fd, err;

	fd = toymap_open_path(device, O_RDWR);
	if (fd < 0) {
		fputs("toymapctl: ", stderr);
		toymap_perror_open(device, fd);
		return -1;
	}
	err = toymap_get_info(fd, info);
	if (err) {
		toymap_perror_ioctl("toymapctl: ", device, -1, TOYMAP_IOC_INFO, err);
		close(fd);
		return -1;
	}
	return fd;
}

static int cmd_discard(int argc, char **argv)
{
	struct toymap_info before, after;
	uint64_t offset, length;
	long page = toymap_page_size();
	int fd, err;

	if (argc != 4)
		return usage_error("discard takes DEVICE OFFSET LENGTH");
	if (parse_bytes(argv[2], &offset))
		return usage_error("discard: OFFSET \"%s\" is not a byte count", argv[2]);
	if (parse_bytes(argv[3], &length))
		return usage_error("discard: LENGTH \"%s\" is not a byte count", argv[3]);
	if (offset % (uint64_t)page || length % (uint64_t)page || !length) {
		fprintf(stderr, "toymapctl: OFFSET and LENGTH must be multiples of the page "
			"size (%ld), LENGTH non-zero\n", page);
		return EXIT_FAILURE;
	}
	fd = open_object(argv[1], &before);
	if (fd < 0)
		return EXIT_FAILURE;
	err = toymap_discard(fd, offset, length);
	if (err)
		return ioctl_failed(argv[1], fd, TOYMAP_IOC_DISCARD, err);
	err = toymap_get_info(fd, &after);
	if (err)
		return ioctl_failed(argv[1], -1, TOYMAP_IOC_INFO, err);
	close(fd);
	printf("%s: discarded %llu page(s); %llu page(s) of the object remain resident\n",
	       argv[1], (unsigned long long)(after.discarded_pages - before.discarded_pages),
	       (unsigned long long)after.resident_pages);
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------ backing, evict, sync */

/* Open FILE for attach: read-write unless @readonly or not writable; -1 after saying why. */
static int open_backing_file(const char *path, bool *readonly, struct stat *st)
{
	int fd = -1;

	if (!*readonly) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 && (errno == EACCES || errno == EROFS || errno == ETXTBSY ||
			       errno == EPERM))
			*readonly = true;
		else if (fd < 0 && errno != EISDIR)
			goto fail;
	}
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (fstat(fd, st) < 0)
		goto fail;
	if (!S_ISREG(st->st_mode)) {
		fprintf(stderr, "toymapctl: %s: %s\n", path, S_ISDIR(st->st_mode) ?
			"is a directory" : "not a regular file (only a regular file can back "
			"an object)");
		close(fd);
		return -1;
	}
	return fd;
fail:
	fprintf(stderr, "toymapctl: cannot open %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Say what the attached section means for the object's pages. */
static void print_attached(const char *device, const char *path, uint64_t offset,
			   uint64_t length, bool readonly, const struct stat *st,
			   const struct toymap_info *info)
{
	uint64_t page = (uint64_t)toymap_page_size();
	uint64_t in_file = (uint64_t)st->st_size > offset ? (uint64_t)st->st_size - offset : 0;
	uint64_t from_file = length < in_file ? length : in_file;
	uint64_t pages;

	if (from_file > info->object_size)
		from_file = info->object_size;
	pages = (from_file + page - 1) / page;
	printf("%s: bytes %" PRIu64 "..%" PRIu64 " of %s attached, %s\n", device, offset,
	       offset + length - 1, path, readonly ?
	       "read-only (shared writable mappings are refused; private writes stay private)" :
	       "read-write (dirty pages go back to the file)");
	if (pages == 1)
		printf("  object page 0 starts with the file's bytes, read at the first touch;\n"
		       "  the rest of the object is demand-zero\n");
	else if (pages)
		printf("  object pages 0..%" PRIu64 " start with the file's bytes, read at the "
		       "first touch;\n  the rest of the object is demand-zero\n", pages - 1);
	else
		printf("  the section lies past the end of the file: every page starts "
		       "demand-zero\n");
	if (length > in_file && in_file)
		printf("  (the section runs %" PRIu64 " bytes past the end of the file: "
		       "zeros there)\n", length - in_file);
	printf("  The module holds the file open: it stays attached after toymapctl exits,\n"
	       "  until toymapctl detach %s.\n", device);
}

static int cmd_attach(int argc, char **argv)
{
	uint64_t offset = 0, length;
	struct toymap_info info;
	bool readonly = false;
	int fd, file_fd, err;
	struct stat st;

	if (argc > 1 && !strcmp(argv[1], "-r")) {
		readonly = true;
		argc--;
		argv++;
	}
	if (argc < 3 || argc > 5)
		return usage_error("attach takes [-r] DEVICE FILE [OFFSET [LENGTH]]");
	if (argc > 3 && parse_bytes(argv[3], &offset))
		return usage_error("attach: OFFSET \"%s\" is not a byte count", argv[3]);
	if (argc > 4 && (parse_bytes(argv[4], &length) || !length))
		return usage_error("attach: LENGTH \"%s\" is not a non-zero byte count", argv[4]);
	file_fd = open_backing_file(argv[2], &readonly, &st);
	if (file_fd < 0)
		return EXIT_FAILURE;
	if (argc <= 4) {
		if (offset >= (uint64_t)st.st_size) {
			fprintf(stderr, "toymapctl: %s is %lld bytes: nothing from OFFSET %" PRIu64
				" to its end (give a LENGTH)\n", argv[2], (long long)st.st_size,
				offset);
			return EXIT_FAILURE;
		}
		length = (uint64_t)st.st_size - offset;
	}
	fd = open_object(argv[1], &info);
	if (fd < 0)
		return EXIT_FAILURE;
	err = toymap_attach(fd, file_fd, offset, length);
	if (err)
		return ioctl_failed(argv[1], fd, TOYMAP_IOC_ATTACH, err);
	print_attached(argv[1], argv[2], offset, length, readonly, &st, &info);
	return EXIT_SUCCESS;
}

static int cmd_detach(int argc, char **argv)
{
	struct toymap_info before, after;
	int fd, err;

	if (argc != 2)
		return usage_error("detach takes DEVICE");
	fd = open_object(argv[1], &before);
	if (fd < 0)
		return EXIT_FAILURE;
	err = toymap_detach(fd);
	if (err)
		return ioctl_failed(argv[1], fd, TOYMAP_IOC_DETACH, err);
	err = toymap_get_info(fd, &after);
	if (err)
		return ioctl_failed(argv[1], -1, TOYMAP_IOC_INFO, err);
	printf("%s: detached; %" PRIu64 " dirty page(s) written back to the file; the object "
	       "is anonymous again\n", argv[1], (uint64_t)(after.write_backs - before.write_backs));
	return EXIT_SUCCESS;
}

static int cmd_swap(int argc, char **argv)
{
	struct toymap_info info;
	int fd, swap_fd = -1, err;
	bool none;

	if (argc != 3)
		return usage_error("swap takes DEVICE FILE, or DEVICE none");
	none = !strcmp(argv[2], "none");
	if (!none) {
		swap_fd = open(argv[2], O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (swap_fd < 0) {
			fprintf(stderr, "toymapctl: cannot open %s read-write: %s\n", argv[2],
				strerror(errno));
			return EXIT_FAILURE;
		}
	}
	fd = open_object(argv[1], &info);
	if (fd < 0)
		return EXIT_FAILURE;
	err = toymap_set_swap(fd, swap_fd);
	if (err)
		return ioctl_failed(argv[1], fd, TOYMAP_IOC_SET_SWAP, err);
	if (none)
		printf("%s: no swap file: evicting a dirty anonymous page keeps it in memory\n",
		       argv[1]);
	else
		printf("%s: swap file %s: evicted dirty anonymous pages go there, and a later\n"
		       "  touch reads them back. The module holds the file open: it stays set\n"
		       "  after toymapctl exits, until toymapctl swap %s none.\n",
		       argv[1], argv[2], argv[1]);
	return EXIT_SUCCESS;
}

static int cmd_evict(int argc, char **argv)
{
	uint64_t offset = 0, length, page = (uint64_t)toymap_page_size();
	struct toymap_evict result;
	struct toymap_info info;
	int fd, err;

	if (argc != 2 && argc != 4)
		return usage_error("evict takes DEVICE [OFFSET LENGTH]");
	if (argc == 4 && parse_bytes(argv[2], &offset))
		return usage_error("evict: OFFSET \"%s\" is not a byte count", argv[2]);
	if (argc == 4 && parse_bytes(argv[3], &length))
		return usage_error("evict: LENGTH \"%s\" is not a byte count", argv[3]);
	fd = open_object(argv[1], &info);
	if (fd < 0)
		return EXIT_FAILURE;
	if (argc == 2)
		length = info.object_size;
	if (offset % page || length % page || !length || offset > info.object_size ||
	    length > info.object_size - offset) {
		fprintf(stderr, "toymapctl: OFFSET and LENGTH must be multiples of the page size "
			"(%" PRIu64 "), LENGTH non-zero,\nand the range inside the object (%" PRIu64
			" bytes)\n", page, (uint64_t)info.object_size);
		return EXIT_FAILURE;
	}
	err = toymap_evict(fd, offset, length, &result);
	if (err)
		return ioctl_failed(argv[1], fd, TOYMAP_IOC_EVICT, err);
	printf("%s: evicted pages %" PRIu64 "..%" PRIu64 ":\n"
	       "  %" PRIu64 " dropped (clean, or cleaned below)\n"
	       "  %" PRIu64 " written back to the file\n"
	       "  %" PRIu64 " swapped out to the swap file\n"
	       "  %" PRIu64 " dirty and kept in memory (nowhere to write them)\n",
	       argv[1], offset / page, (offset + length) / page - 1,
	       (uint64_t)result.dropped, (uint64_t)result.written_back,
	       (uint64_t)result.swapped_out, (uint64_t)result.kept);
	if (result.kept && !(info.backing_flags & TOYMAP_BACKING_SWAP))
		printf("  (a swap file would take them: toymapctl swap %s FILE)\n", argv[1]);
	return EXIT_SUCCESS;
}

static int cmd_sync(int argc, char **argv)
{
	struct toymap_info before, after;
	int fd;

	if (argc != 2)
		return usage_error("sync takes DEVICE");
	fd = open_object(argv[1], &before);
	if (fd < 0)
		return EXIT_FAILURE;
	if (fsync(fd) < 0) {
		fprintf(stderr, "toymapctl: fsync %s: %s\n", argv[1], strerror(errno));
		return EXIT_FAILURE;
	}
	if (toymap_get_info(fd, &after))
		after = before;
	if (!(before.backing_flags & TOYMAP_BACKING_FILE))
		printf("%s: no file attached: an anonymous object has nowhere to write its "
		       "dirty pages\n", argv[1]);
	else if (before.backing_flags & TOYMAP_BACKING_READONLY)
		printf("%s: the file is attached read-only: nothing can be written back\n",
		       argv[1]);
	else
		printf("%s: %" PRIu64 " dirty page(s) written back to the file\n", argv[1],
		       (uint64_t)(after.write_backs - before.write_backs));
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------ main */

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return usage_error("no command given");
	argc--;
	argv++;
	if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(usage_text, stdout);
		return EXIT_SUCCESS;
	}
	if (!strcmp(cmd, "load"))
		return cmd_load(argc, argv);
	if (!strcmp(cmd, "unload"))
		return cmd_unload(argc, argv);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc, argv);
	if (!strcmp(cmd, "trace"))
		return cmd_switch("trace", argc, argv);
	if (!strcmp(cmd, "fault-around"))
		return cmd_switch("fault_around", argc, argv);
	if (!strcmp(cmd, "large-folios"))
		return cmd_switch("large_folios", argc, argv);
	if (!strcmp(cmd, "discard"))
		return cmd_discard(argc, argv);
	if (!strcmp(cmd, "attach"))
		return cmd_attach(argc, argv);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(argc, argv);
	if (!strcmp(cmd, "swap"))
		return cmd_swap(argc, argv);
	if (!strcmp(cmd, "evict"))
		return cmd_evict(argc, argv);
	if (!strcmp(cmd, "sync"))
		return cmd_sync(argc, argv);
	return usage_error("unknown command \"%s\"", cmd);
}
