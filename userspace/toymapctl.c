// SPDX-License-Identifier: GPL-2.0
/*
 * toymapctl: load and unload the toymap module, show its objects and
 * counters, switch tracing and fault-around, discard pages.
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
	"                       lab), trace (0/1), fault_around (0/1)\n"
	"  unload               unload the module\n"
	"  info [DEVICE ...]    a table of the objects (default: every\n"
	"                       " TOYMAP_DEV_PREFIX "N): size, resident pages, counters;\n"
	"                       the module's pages and parameters\n"
	"  trace on|off         log every fault to the kernel log (dmesg)\n"
	"  fault-around on|off  let a read fault map resident neighbours too\n"
	"  discard DEVICE OFFSET LENGTH\n"
	"                       free the object's pages in [OFFSET, OFFSET+LENGTH):\n"
	"                       page-aligned; numbers may end in K, M or G\n"
	"  help                 this text\n"
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

/* The per-object columns of the table: everything but the size and module-wide values. */
static bool is_column(const struct toymap_field *f)
{
	return !f->module_wide && f->kind != TOYMAP_FIELD_CONFIG;
}

struct row {
	const char *device;
	struct toymap_info info;
};

static void print_table(const struct row *rows, int n)
{
	char size[32], value[32];
	int size_width = (int)strlen("size"), device_width = (int)strlen("device");
	int width[MAX_FIELDS];
	size_t i, nfields = toymap_info_nfields < MAX_FIELDS ? toymap_info_nfields : MAX_FIELDS;
	const struct toymap_field *f;
	int r, w;

	for (i = 0; i < nfields; i++)
		width[i] = (int)strlen(toymap_info_fields[i].column);
	for (r = 0; r < n; r++) {
		w = (int)strlen(rows[r].device);
		device_width = w > device_width ? w : device_width;
		w = (int)strlen(toymap_format_size(rows[r].info.object_size, size, sizeof(size)));
		size_width = w > size_width ? w : size_width;
		for (i = 0; i < nfields; i++) {
			w = snprintf(value, sizeof(value), "%" PRIu64,
				     toymap_info_value(&rows[r].info, &toymap_info_fields[i]));
			width[i] = w > width[i] ? w : width[i];
		}
	}

	printf("%-*s  %*s", device_width, "device", size_width, "size");
	for (i = 0; i < nfields; i++)
		if (is_column(&toymap_info_fields[i]))
			printf("  %*s", width[i], toymap_info_fields[i].column);
	putchar('\n');
	for (r = 0; r < n; r++) {
		printf("%-*s  %*s", device_width, rows[r].device, size_width,
		       toymap_format_size(rows[r].info.object_size, size, sizeof(size)));
		for (i = 0; i < nfields; i++) {
			f = &toymap_info_fields[i];
			if (!is_column(f))
				continue;
			printf("  %*" PRIu64, width[i], toymap_info_value(&rows[r].info, f));
		}
		putchar('\n');
	}
}

static void print_module_line(const struct toymap_info *info)
{
	static const char *const state[] = { "off", "on" };
	int fault_around = toymap_param_get_bool("fault_around");
	int trace = toymap_param_get_bool("trace");
	long page = toymap_page_size();
	char held[32], limit[32];

	printf("\nmodule: %llu pages held (%s) of max_pages %llu (%s); trace %s, fault-around %s\n",
	       (unsigned long long)info->module_pages,
	       toymap_format_size(info->module_pages * (uint64_t)page, held, sizeof(held)),
	       (unsigned long long)info->max_pages,
	       toymap_format_size(info->max_pages * (uint64_t)page, limit, sizeof(limit)),
	       trace < 0 ? "?" : state[trace], fault_around < 0 ? "?" : state[fault_around]);
}

static void print_legend(void)
{
	const struct toymap_field *f;
	size_t i;

	printf("\n");
	for (i = 0; i < toymap_info_nfields; i++) {
		f = &toymap_info_fields[i];
		if (is_column(f) || !strcmp(f->name, "object_size"))
			printf("  %-10s %s\n", f->column, f->meaning);
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
			fprintf(stderr, "toymapctl: %s: TOYMAP_IOC_INFO: %s\n", device,
				err == -ENOTTY ? "not a toymap device" : strerror(-err));
			status = EXIT_FAILURE;
			continue;
		}
		rows[n++].device = device;
	}
	if (!n)
		return status;
	print_table(rows, n);
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

static int cmd_discard(int argc, char **argv)
{
	struct toymap_info before, after;
	uint64_t offset, length;
	long page = toymap_page_size();
	char size[32];
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
	fd = toymap_open_path(argv[1], O_RDWR);
	if (fd < 0) {
		toymap_perror_open(argv[1], fd);
		return EXIT_FAILURE;
	}
	err = toymap_get_info(fd, &before);
	if (!err)
		err = toymap_discard(fd, offset, length);
	if (!err)
		err = toymap_get_info(fd, &after);
	close(fd);
	if (err == -EINVAL) {
		fprintf(stderr, "toymapctl: %s: the range does not lie inside the object (%s)\n",
			argv[1], toymap_format_size(before.object_size, size, sizeof(size)));
		return EXIT_FAILURE;
	}
	if (err) {
		fprintf(stderr, "toymapctl: %s: %s\n", argv[1],
			err == -ENOTTY ? "not a toymap device" : strerror(-err));
		return EXIT_FAILURE;
	}
	printf("%s: discarded %llu page(s); %llu page(s) of the object remain resident\n",
	       argv[1], (unsigned long long)(after.discarded_pages - before.discarded_pages),
	       (unsigned long long)after.resident_pages);
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
	if (!strcmp(cmd, "discard"))
		return cmd_discard(argc, argv);
	return usage_error("unknown command \"%s\"", cmd);
}
