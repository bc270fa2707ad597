// SPDX-License-Identifier: GPL-2.0
/*
 * ops_perm.c: who may do what (issue 9): O_RDONLY descriptors of the
 * objects, and a second user (uid 65534).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "stress.h"

/*
 * A valid ioctl @cmd (@name) on the O_RDONLY descriptor of @o: EBADF, the
 * first check of every ioctl that changes or destroys the object.  Returns
 * the ioctl's errno (0: it did its work) after the check.
 */
static int rdonly_expect(struct worker *w, struct object *o, unsigned long cmd, void *arg,
			 const char *name)
{
	int err = ioctl(o->fd_ro, cmd, arg) ? errno : 0;

	STAT_ADD(w, checks, 1);
	if (err == EBADF || injected(w, err, INJ_IOCTL)) {
		STAT_ADD(w, errnos, err == EBADF);
		log_more(w, " -> %s", strerror(err));
		return err;
	}
	fail(w, "%s with valid arguments on an O_RDONLY descriptor of /dev/toymap%u: %s, "
	     "expected EBADF (changing the object needs the device open for writing)", name,
	     o->index, err ? strerror(err) : "success");
	return err;
}

/* INFO and a PROT_READ mapping work on an O_RDONLY descriptor; the page reads as the model. */
static int rdonly_read(struct worker *w, struct object *o)
{
	uint64_t pg = rnd(w, o->window);
	struct toymap_info info;
	int err, sig;
	uint8_t *p;

	log_op(w, "info, mmap PROT_READ of page %" PRIu64 " of toymap%u through an O_RDONLY fd",
	       pg, o->index);
	err = toymap_get_info(o->fd_ro, &info);
	STAT_ADD(w, checks, 1);
	if (err && !injected(w, -err, INJ_IOCTL)) {
		fail(w, "TOYMAP_IOC_INFO on an O_RDONLY descriptor: %s", strerror(-err));
		return -1;
	}
	p = mmap(NULL, psz, PROT_READ, MAP_SHARED, o->fd_ro, (off_t)(pg * psz));
	STAT_ADD(w, checks, 1);
	if (p == MAP_FAILED) {
		if (injected(w, errno, INJ_ENOMEM))
			return 0;
		fail(w, "mmap(MAP_SHARED, PROT_READ) of an O_RDONLY descriptor: %s", strerror(errno));
		return -1;
	}
	if (page_lock(w, o, (long)pg, false)) {
		munmap(p, psz);
		return -1;
	}
	sig = guarded_copy(w->buf2, p, psz);
	err = sig || memcmp(w->buf2, model_page(o, (long)pg), psz);
	page_unlock(o, (long)pg);
	munmap(p, psz);
	STAT_ADD(w, bytes, psz);
	if (err)
		fail(w, "page %" PRIu64 " of toymap%u read through an O_RDONLY descriptor: %s", pg,
		     o->index, sig ? sig_name(sig) : "differs from the model");
	return err ? -1 : 0;
}

/*
 * Issue 9 (6a): on an O_RDONLY descriptor of a general object, DISCARD,
 * EVICT, ATTACH, DETACH and SET_SWAP with valid arguments answer EBADF
 * before any other check; INFO and a PROT_READ mapping work.  What an old
 * module does anyway is kept in the model (the page locks, the swap lock).
 */
int op_rdonly(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	struct toymap_attach a = { .size = sizeof(a), .fd = PROBE_FILE, .length = psz };
	struct toymap_detach d = { .size = sizeof(d) };
	struct toymap_swap sw = { .size = sizeof(sw), .fd = rnd(w, 2) ? -1 : PROBE_FILE };
	struct toymap_evict ev = { .size = sizeof(ev) };
	uint64_t first, n;
	long mi, nm;
	int err;

	switch (rnd(w, 6)) {
	case 0:
		pick_object_range(w, o, &first, &n);
		modelled_span(o, first, n, &mi, &nm);
		ev.offset = first * psz;
		ev.length = n * psz;
		log_op(w, "discard toymap%u pages %" PRIu64 "+%" PRIu64 " through an O_RDONLY fd",
		       o->index, first, n);
		if (range_lock(w, o, mi, nm, true))
			return -1;
		/* struct toymap_range is the head of struct toymap_evict. */
		ev.size = sizeof(struct toymap_range);
		err = rdonly_expect(w, o, TOYMAP_IOC_DISCARD, &ev, "TOYMAP_IOC_DISCARD");
		if (!err)
			memset(model_page(o, mi), 0, (size_t)nm * psz);
		range_unlock(o, mi, nm);
		break;
	case 1:
		pick_object_range(w, o, &first, &n);
		ev.offset = first * psz;
		ev.length = n * psz;
		log_op(w, "evict toymap%u pages %" PRIu64 "+%" PRIu64 " through an O_RDONLY fd",
		       o->index, first, n);
		if (swap_lock(w, o, false))
			return -1;
		err = rdonly_expect(w, o, TOYMAP_IOC_EVICT, &ev, "TOYMAP_IOC_EVICT");
		swap_unlock(o);
		break;
	case 2:
		log_op(w, "attach a file to toymap%u through an O_RDONLY fd", o->index);
		err = rdonly_expect(w, o, TOYMAP_IOC_ATTACH, &a, "TOYMAP_IOC_ATTACH");
		break;
	case 3:
		log_op(w, "detach toymap%u through an O_RDONLY fd", o->index);
		err = rdonly_expect(w, o, TOYMAP_IOC_DETACH, &d, "TOYMAP_IOC_DETACH");
		break;
	case 4:
		log_op(w, "swap toymap%u: %s through an O_RDONLY fd", o->index,
		       sw.fd < 0 ? "drop the swap file" : "a new swap file");
		if (swap_lock(w, o, true))
			return -1;
		err = rdonly_expect(w, o, TOYMAP_IOC_SET_SWAP, &sw, "TOYMAP_IOC_SET_SWAP");
		swap_unlock(o);
		break;
	default:
		return rdonly_read(w, o);
	}
	return w->failed ? -1 : 0;
}

/*
 * The second user: the device nodes are 0666 for the run when we are root
 * (user_nodes_open()); the modes found are restored at the end.
 */
#define NOBODY_ID	65534
static bool user_nodes;
static mode_t user_node_modes[MAX_DEVICES];

static void user_node_path(unsigned int index, char *path, size_t len)
{
	snprintf(path, len, TOYMAP_DEV_PREFIX "%u", index);
}

void user_nodes_open(void)
{
	char path[64];
	struct stat st;
	unsigned int k;

	if (geteuid() != 0)
		return;
	for (k = 0; k < nobj; k++) {
		user_node_path(objs[k].index, path, sizeof(path));
		if (stat(path, &st) || chmod(path, 0666)) {
			fprintf(stderr, "toymap-stress: chmod 0666 %s: %s (no second user)\n", path,
				strerror(errno));
			return;
		}
		user_node_modes[k] = st.st_mode & 07777;
	}
	user_nodes = true;
}

void user_nodes_restore(void)
{
	char path[64];
	unsigned int k;

	for (k = 0; user_nodes && k < nobj; k++) {
		user_node_path(objs[k].index, path, sizeof(path));
		if (chmod(path, user_node_modes[k]))
			fprintf(stderr, "toymap-stress: restoring the mode of %s: %s\n", path,
				strerror(errno));
	}
}

/* The second user's part, in a child that is uid and gid 65534: 0, or EXIT_FAIL after fail(). */
static int user_child(struct worker *w, struct object *o, uint64_t pg, bool file_attached)
{
	char path[64];
	uint8_t *p;
	int fd, sig;

	if (setgroups(0, NULL) || setgid(NOBODY_ID) || setuid(NOBODY_ID)) {
		fail(w, "becoming uid 65534: %s", strerror(errno));
		return EXIT_FAIL;
	}
	user_node_path(o->index, path, sizeof(path));
	fd = open(path, rnd(w, 2) ? O_RDWR : O_RDONLY);
	p = fd < 0 ? MAP_FAILED : mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, (off_t)(pg * psz));
	if (p == MAP_FAILED) {
		fail(w, "uid 65534: %s of %s (mode 0666, an anonymous object): %s, expected success",
		     fd < 0 ? "open" : "mmap(MAP_SHARED, PROT_READ)", path, strerror(errno));
		return EXIT_FAIL;
	}
	close(fd);
	sig = guarded_copy(w->buf2, p, psz);
	STAT_ADD(w, checks, 1);
	STAT_ADD(w, bytes, psz);
	if (sig || memcmp(w->buf2, model_page(o, (long)pg), psz)) {
		fail(w, "uid 65534: page %" PRIu64 " of %s: %s", pg, path,
		     sig ? sig_name(sig) : "differs from the model");
		return EXIT_FAIL;
	}
	munmap(p, psz);
	if (!file_attached)
		return 0;
	/* The attach cycle's file: root's, mode 0600; its state is locked by our parent. */
	user_node_path(fobj->index, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fail(w, "uid 65534: open %s (mode 0666): %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	p = mmap(NULL, psz, PROT_READ, rnd(w, 2) ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	STAT_ADD(w, checks, 1);
	if (p != MAP_FAILED || errno != EACCES) {
		fail(w, "uid 65534: mmap(PROT_READ) of %s, backed by a file of root's with mode "
		     "0600: %s, expected EACCES (it would read what it may not read)", path,
		     p == MAP_FAILED ? strerror(errno) : "success");
		if (p != MAP_FAILED)
			munmap(p, psz);
		return EXIT_FAIL;
	}
	STAT_ADD(w, errnos, 1);
	close(fd);
	return 0;
}

/*
 * Issue 9 (6b): a child that becomes uid 65534 maps a general object (the
 * nodes are 0666) and reads a page as the model says (its lock held shared
 * meanwhile); while the attach cycle has its file attached (its state held
 * locked), mapping that object is EACCES: the file is root's, 0600.
 */
int op_user(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	uint64_t pg = rnd(w, o->window);
	bool file_locked = false, attached = false, was;
	int status, ret = 0;
	pid_t pid;

	if (!user_nodes)
		return 0;
	if (fobj && !rnd(w, 2)) {
		if (file_state_lock(w))
			return -1;
		file_locked = true;
		attached = sh->file.attached;
	}
	log_op(w, "user 65534: map page %" PRIu64 " of toymap%u%s", pg, o->index,
	       attached ? ", and the attach cycle's object with its 0600 file" : "");
	if (page_lock(w, o, (long)pg, false)) {
		if (file_locked)
			file_state_unlock();
		return -1;
	}
	was = fi_pause();
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(user_child(w, o, pg, attached));
	if (pid < 0) {
		fail(w, "fork: %s", strerror(errno));
		ret = -1;
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fail(w, "waitpid(%d): %s", (int)pid, strerror(errno));
			ret = -1;
			break;
		}
	}
	fi_resume(was);
	page_unlock(o, (long)pg);
	if (file_locked)
		file_state_unlock();
	if (ret)
		return ret;
	STAT_ADD(w, checks, 1);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAIL) {
		w->failed = true;	/* the child reported it */
		return -1;
	}
	fail(w, "the uid 65534 child %d ended with status %#x", (int)pid, status);
	return -1;
}
