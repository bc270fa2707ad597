// SPDX-License-Identifier: GPL-2.0
/*
 * bench_env.c - the guest around the bench: the module's run-time
 * parameters, tracefs, a memory cgroup to count what the space case costs,
 * a swap device in RAM for the kernel's own swap, child processes.
 *
 * Everything here is put back as it was: a parameter by
 * bench_param_restore(), the cgroup by bench_memcg_leave(), the swap device
 * by bench_kernel_swap_off().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "libtoymap.h"
#include "toymap_io.h"

extern char **environ;

/* The RAM disk the kernel's swap goes to: brd's first disk. */
#define RAM_DISK	"/dev/ram0"
/* We loaded brd (bench_kernel_swap_on), so we unload it. */
static bool brd_loaded;
/* Where tracefs may be: its own mount, or under debugfs. */
static const char *const tracefs_dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

int bench_param_save_set(struct bench_ctx *ctx, const char *name, const char *value)
{
	int err = toymap_param_get(name, ctx->saved_param, sizeof(ctx->saved_param));

	if (!err)
		err = toymap_param_set(name, value);
	return err ? bench_fail(ctx, -err, "the module parameter %s", name) : 0;
}

int bench_large_folios_on(struct bench_ctx *ctx)
{
	int err = toymap_param_get("large_folios", ctx->saved_param, sizeof(ctx->saved_param));

	if (!err)
		err = toymap_param_set("large_folios", "1");
	if (err == -EINVAL)
		return bench_unavailable(ctx, "no large folios on this kernel (no CONFIG_TRANSPARENT_HUGEPAGE)");
	return err ? bench_fail(ctx, -err, "the module parameter large_folios") : 0;
}

int bench_param_restore(struct bench_ctx *ctx, const char *name)
{
	int err = toymap_param_set(name, ctx->saved_param);

	return err ? bench_fail(ctx, -err, "restoring the module parameter %s", name) : 0;
}

/* Write @text to the file @dir/@name: 0 or -errno. */
static int write_text(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
	if (fd < 0)
		return -errno;
	err = toymap_write_full(fd, text, strlen(text));
	close(fd);
	return err;
}

int bench_tracepoints(struct bench_ctx *ctx, bool on)
{
	char events[PATH_MAX];
	size_t i;
	int err;

	for (i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		snprintf(events, sizeof(events), "%s/events/toymap", tracefs_dirs[i]);
		if (access(events, F_OK))
			continue;
		err = write_text(events, "enable", on ? "1" : "0");
		/* Off: empty the ring buffer the run filled. */
		if (!err && !on)
			err = write_text(tracefs_dirs[i], "trace", "");
		return err ? bench_fail(ctx, -err, "%s/enable", events) : 0;
	}
	return bench_unavailable(ctx, "no tracefs with toymap events (%s)", tracefs_dirs[0]);
}

/*
 * The memory cgroup of the space case: the cgroup2 hierarchy (mounted here
 * on a temporary directory if it is not mounted), a child of its root with
 * the memory controller, this process in it.
 */
static struct {
	char root[1024];	/* the hierarchy's root directory */
	char dir[1024 + 32];	/* our cgroup */
	bool mounted;		/* we mounted root */
	bool entered;
} memcg;

/* The mount point of a cgroup2 file system, from /proc/self/mountinfo. */
static bool find_cgroup2(char *dir, size_t len)
{
	char line[1024], mnt[PATH_MAX];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && !found && fgets(line, sizeof(line), f)) {
		const char *type = strstr(line, " - ");

		if (type && !strncmp(type, " - cgroup2 ", 11) &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1)
			found = snprintf(dir, len, "%s", mnt) < (int)len;
	}
	if (f)
		fclose(f);
	return found;
}

int bench_memcg_enter(struct bench_ctx *ctx)
{
	char buf[256];
	int err;

	if (!find_cgroup2(memcg.root, sizeof(memcg.root))) {
		snprintf(memcg.root, sizeof(memcg.root), "%s/toymap-bench-cg.XXXXXX",
			 toymap_temp_dir());
		if (!mkdtemp(memcg.root))
			return bench_unavailable(ctx, "mkdtemp for cgroup2: %s", strerror(errno));
		if (mount("cgroup2", memcg.root, "cgroup2", 0, NULL)) {
			err = errno;
			rmdir(memcg.root);
			return bench_unavailable(ctx, "no cgroup2 here: %s", strerror(err));
		}
		memcg.mounted = true;
	}
	err = write_text(memcg.root, "cgroup.subtree_control", "+memory");
	snprintf(memcg.dir, sizeof(memcg.dir), "%s/toymap-bench.%d", memcg.root, (int)getpid());
	if (!err && mkdir(memcg.dir, 0755))
		err = -errno;
	if (!err)
		err = write_text(memcg.dir, "cgroup.procs", "0");
	if (err) {
		snprintf(buf, sizeof(buf), "no memory cgroup at %.100s: %s", memcg.root, strerror(-err));
		bench_memcg_leave();
		return bench_unavailable(ctx, "%s", buf);
	}
	memcg.entered = true;
	return 0;
}

void bench_memcg_leave(void)
{
	if (memcg.entered)
		write_text(memcg.root, "cgroup.procs", "0");
	if (memcg.dir[0])
		rmdir(memcg.dir);
	if (memcg.mounted) {
		umount(memcg.root);
		rmdir(memcg.root);
	}
	memset(&memcg, 0, sizeof(memcg));
}

/* memory.current of our cgroup now, or -errno. */
static long long memcg_current_now(void)
{
	char path[sizeof(memcg.dir) + 32];
	long long value = -EIO;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.current", memcg.dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%lld", &value) != 1)
		value = -EIO;
	fclose(f);
	return value;
}

/*
 * memory.current once it holds still: what the last measurement unmapped
 * may still be on its way out (page tables are freed after an RCU grace
 * period, which takes tens of ms under TCG) and would be taken off the
 * next one.  Still: the same value 3 reads in a row, 30 ms apart (5 s at most).
 */
long long bench_memcg_current(void)
{
	long long now = memcg_current_now(), last = now;
	int i, same = 0;

	for (i = 0; i < 160 && now >= 0 && same < 2; i++) {
		usleep(30000);
		now = memcg_current_now();
		same = now == last ? same + 1 : 0;
		last = now;
	}
	return now;
}

long long bench_vmstat(const char *name)
{
	char key[64];
	long long value, found = -1;
	FILE *f = fopen("/proc/vmstat", "re");

	while (f && fscanf(f, "%63s %lld", key, &value) == 2)
		if (!strcmp(key, name))
			found = value;
	if (f)
		fclose(f);
	return found;
}

int bench_run(char *const argv[], int out_fd)
{
	posix_spawn_file_actions_t actions;
	int err, status;
	pid_t pid;

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
	else
		posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	err = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (err)
		return -err;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/*
 * The kernel's swap for the EVICT case's reference: a RAM disk of brd
 * (modprobe from TOYMAP_MODULES_ROOT, which scripts/vmrun.sh sets), mkswap,
 * swapon.  brd completes its writes at once,
 * so MADV_PAGEOUT frees the pages it writes, as zram would (without zram's
 * compression or its shortcut for pages of one repeated byte).
 */
int bench_kernel_swap_on(struct bench_ctx *ctx, size_t pages)
{
	const char *root = getenv("TOYMAP_MODULES_ROOT");
	char size[64], *modprobe[] = { "modprobe", "-d", (char *)(root ? root : "/"), "brd",
				       "rd_nr=1", size, NULL };
	char *mkswap[] = { "mkswap", RAM_DISK, NULL };
	int err;

	if (!ctx->kernel_swap)
		return bench_unavailable(ctx, "the kernel's swap: none made without --kernel-swap");
	/* KiB: twice the pages, and room for the swap header. */
	snprintf(size, sizeof(size), "rd_size=%zu", pages * ctx->page / 512 + 1024);
	err = bench_run(modprobe, -1);
	if (err)
		return bench_unavailable(ctx, "the kernel's swap: modprobe brd failed (%d)", err);
	brd_loaded = true;
	err = bench_run(mkswap, -1);
	if (err) {
		bench_kernel_swap_off(ctx);
		return bench_unavailable(ctx, "the kernel's swap: mkswap %s failed (%d)", RAM_DISK, err);
	}
	if (swapon(RAM_DISK, 0)) {
		err = errno;
		bench_kernel_swap_off(ctx);
		return bench_unavailable(ctx, "the kernel's swap: swapon %s: %s", RAM_DISK, strerror(err));
	}
	ctx->swap_on = true;
	return 0;
}

void bench_kernel_swap_off(struct bench_ctx *ctx)
{
	const char *root = getenv("TOYMAP_MODULES_ROOT");
	char *rmmod[] = { "modprobe", "-r", "-d", (char *)(root ? root : "/"), "brd", NULL };

	if (ctx->swap_on)
		swapoff(RAM_DISK);
	ctx->swap_on = false;
	if (brd_loaded)
		bench_run(rmmod, -1);
	brd_loaded = false;
}

int bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

bool bench_thp_enabled(void)
{
	char buf[128] = "";
	int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && !strstr(buf, "[never]");
}
