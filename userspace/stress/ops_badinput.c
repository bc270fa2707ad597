// SPDX-License-Identifier: GPL-2.0
/*
 * ops_badinput.c: bad inputs, rows of the one table (lib/toymap_badinput.c)
 * picked at random, and ATTACH and DETACH where they must fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "stress.h"

/* The descriptors of this process for the rows (toymap_badinput.h). */
struct toymap_bad_fds probe;

/*
 * The rows of the table the stress tries, by command: bad inputs that fail
 * before they do anything, on objects other threads use meanwhile.  Left
 * out (toymap_bad_needs()): the valid rows and EVICT on a read-only page
 * (TOYMAP_BAD_WORKS: they would change the object under the model), the
 * rows whose errno needs the rows before them (TOYMAP_BAD_ORDER: the
 * table's own file attached or swap file set, nothing attached: the attach
 * cycle's object may be attached), descriptors 0 and 1 (TOYMAP_BAD_STDIO:
 * here they are stdin and stdout), and the O_DIRECT rows in a process that
 * could make no O_DIRECT file.  INFO's rows take the unknown commands too.
 */
enum probe_kind { PROBE_INFO, PROBE_DISCARD, PROBE_ATTACH, PROBE_DETACH, PROBE_SWAP,
		  PROBE_EVICT, NR_PROBES };

static struct probe_rows {
	unsigned long cmd;
	const char *ioctl;	/* for the report */
	unsigned int n;
	unsigned int *rows;	/* indexes in toymap_bad_rows[] */
} probes[NR_PROBES] = {
	[PROBE_INFO]	= { TOYMAP_IOC_INFO, "toymap ioctl" },
	[PROBE_DISCARD]	= { TOYMAP_IOC_DISCARD, "TOYMAP_IOC_DISCARD" },
	[PROBE_ATTACH]	= { TOYMAP_IOC_ATTACH, "TOYMAP_IOC_ATTACH" },
	[PROBE_DETACH]	= { TOYMAP_IOC_DETACH, "TOYMAP_IOC_DETACH" },
	[PROBE_SWAP]	= { TOYMAP_IOC_SET_SWAP, "TOYMAP_IOC_SET_SWAP" },
	[PROBE_EVICT]	= { TOYMAP_IOC_EVICT, "TOYMAP_IOC_EVICT" },
};

/* The kind of probe a command belongs to: its own, or INFO's for an unknown one. */
static enum probe_kind probe_kind(unsigned long cmd)
{
	unsigned int g;

	for (g = 0; g < NR_PROBES; g++)
		if (probes[g].cmd == cmd)
			return g;
	return PROBE_INFO;
}

/*
 * The probe descriptors of this process, with a file of some bytes (what a
 * valid ATTACH of it would show), and the rows it can try; -1 on failure
 * (errno set).
 */
int open_probe_fds(void)
{
	const char bytes[] = "toymap-stress probe file";
	unsigned int g, i;
	int err;

	err = toymap_bad_fds_open(&probe, "stress-probe", TOYMAP_BAD_DIRECT);
	if (!err)
		err = toymap_pwrite_full(PROBE_FILE, bytes, sizeof(bytes) - 1, 0);
	for (g = 0; g < NR_PROBES && !err; g++) {
		probes[g].rows = calloc(toymap_bad_nrows, sizeof(*probes[g].rows));
		if (!probes[g].rows)
			err = -ENOMEM;
	}
	if (err) {
		errno = -err;
		return -1;
	}
	for (i = 0; i < toymap_bad_nrows; i++) {
		const struct toymap_bad_row *row = &toymap_bad_rows[i];
		struct probe_rows *p = &probes[probe_kind(row->cmd)];

		if (!(toymap_bad_needs(row) & ~probe.made))
			p->rows[p->n++] = i;
	}
	for (g = 0; g < NR_PROBES; g++) {
		if (!probes[g].n) {
			errno = ENOENT;	/* the table has no row for a kind of probe */
			return -1;
		}
	}
	return 0;
}

/*
 * Issue @cmd with @arg on @fd: it must fail with @want.  @name and @what
 * (the ioctl, the bad argument) are for the report.  0 as expected, -1 after
 * a failure report.
 */
static int expect_ioctl_error(struct worker *w, int fd, unsigned long cmd, void *arg, int want,
			      const char *name, const char *what)
{
	int err = ioctl(fd, cmd, arg) ? errno : 0;

	STAT_ADD(w, checks, 1);
	if (err != want && injected(w, err, INJ_IOCTL))
		return 0;
	if (err != want) {
		fail(w, "%s with %s: %s, expected %s", name, what, err ? strerror(err) : "success",
		     strerror(want));
		return -1;
	}
	STAT_ADD(w, errnos, 1);
	log_more(w, " -> %s as expected", strerror(err));
	return 0;
}

/*
 * A row of @kind, picked at random, on @o (the attach cycle's object, which
 * it maps, when @busy): its errno, and nothing changes.
 */
static int bad_row(struct worker *w, struct object *o, enum probe_kind kind, bool busy)
{
	const struct probe_rows *p = &probes[kind];
	const struct toymap_bad_row *row = &toymap_bad_rows[p->rows[rnd(w, p->n)]];
	struct toymap_bad_target t = {
		.buf = w->argbuf, .fds = &probe, .device_fd = o->fd, .end = o->pages * psz,
	};
	void *arg;
	bool was;
	int err;

	log_op(w, "bad input on toymap%u: %s%s", o->index, row->name,
	       busy ? " (mapped by the attach cycle)" : "");
	/* The argument is ours to lay out, not the module's work: injection off. */
	was = fi_pause();
	err = toymap_bad_arg(row, &t, &arg);
	fi_resume(was);
	if (err) {
		fail(w, "laying out the argument of \"%s\": %s", row->name, strerror(-err));
		return -1;
	}
	return expect_ioctl_error(w, o->fd, row->cmd, arg, row->expect, p->ioctl, row->name);
}

/* A bad input of @cmd (INFO: or an unknown command) on @o, a general object's or any. */
int bad_input(struct worker *w, struct object *o, unsigned long cmd)
{
	return bad_row(w, o, probe_kind(cmd), false);
}

/*
 * The attach cycle's object, its state locked, when it is mapped now (so a
 * valid ATTACH or DETACH must fail with EBUSY, and a bad argument shows as
 * its own errno); NULL otherwise, unlocked.
 */
static struct object *lock_mapped_fobj(struct worker *w, bool *attached)
{
	if (!fobj || file_state_lock(w))
		return NULL;
	if (sh->file.maps > 0) {
		*attached = sh->file.attached;
		return fobj;
	}
	file_state_unlock();
	return NULL;
}

/*
 * A bad ATTACH or (@detach) DETACH, on the attach cycle's object if it maps
 * it now (a bad argument shows as its own errno, not EBUSY).
 */
static int attach_bad(struct worker *w, bool detach)
{
	bool attached = false;
	struct object *busy = lock_mapped_fobj(w, &attached);
	struct object *o = busy ? busy : &objs[rnd(w, ngeneral)];
	int ret;

	ret = bad_row(w, o, detach ? PROBE_DETACH : PROBE_ATTACH, busy);
	if (busy)
		file_state_unlock();
	return ret;
}

/* A valid ATTACH of a general object this thread maps: EBUSY. */
static int attach_mapped(struct worker *w)
{
	struct mapping *m = pick_map(w);
	struct toymap_attach a = { .size = sizeof(a), .fd = PROBE_FILE, .length = psz };
	char desc[128];

	if (!m)
		return 0;
	log_op(w, "attach toymap%u while %s maps it", m->obj->index,
	       map_desc(w, m, desc, sizeof(desc)));
	return expect_ioctl_error(w, m->obj->fd, TOYMAP_IOC_ATTACH, &a, EBUSY, "TOYMAP_IOC_ATTACH",
				  "a valid file section while the object is mapped");
}

/* DETACH of a general object: EINVAL, nothing is attached. */
static int detach_anonymous(struct worker *w)
{
	struct object *o = &objs[rnd(w, ngeneral)];
	struct toymap_detach d = { .size = sizeof(d) };

	log_op(w, "detach toymap%u (anonymous)", o->index);
	return expect_ioctl_error(w, o->fd, TOYMAP_IOC_DETACH, &d, EINVAL, "TOYMAP_IOC_DETACH",
				  "no file attached");
}

/*
 * ATTACH and DETACH of the attach cycle's object while it maps it (from
 * another process): EBUSY; DETACH of it while it is mapped and anonymous
 * (the cycle reads it back after a DETACH): EINVAL.
 */
static int attach_cycle_probe(struct worker *w)
{
	struct toymap_attach a = { .size = sizeof(a), .fd = PROBE_FILE, .length = psz };
	struct toymap_detach d = { .size = sizeof(d) };
	bool attached = false;
	struct object *o = lock_mapped_fobj(w, &attached);
	int ret;

	if (!o)
		return detach_anonymous(w);
	log_op(w, "attach, detach toymap%u while the attach cycle maps it (%s)", o->index,
	       attached ? "attached" : "anonymous");
	ret = expect_ioctl_error(w, o->fd, TOYMAP_IOC_ATTACH, &a, EBUSY, "TOYMAP_IOC_ATTACH",
				 "the object mapped by another process");
	if (!ret)
		ret = expect_ioctl_error(w, o->fd, TOYMAP_IOC_DETACH, &d, attached ? EBUSY : EINVAL,
					 "TOYMAP_IOC_DETACH", attached ?
					 "the object mapped by another process" :
					 "the object mapped, nothing attached");
	file_state_unlock();
	return ret;
}

int op_attach(struct worker *w)
{
	switch (rnd(w, 6)) {
	case 0:
	case 1:
		return attach_bad(w, false);
	case 2:
		return attach_bad(w, true);
	case 3:
		return nmaps(w) ? attach_mapped(w) : detach_anonymous(w);
	default:
		return attach_cycle_probe(w);
	}
}
