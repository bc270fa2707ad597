// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_frames - for selftests/run.sh: LOOKUP's frame identities change
 * with every load of the module (its SipHash key is drawn at load).
 *
 * With toymap loaded: write PAGES pages of /dev/toymap0 and note each one's
 * PFN (pagemap) and identity (LOOKUP); free them; unload and load the module
 * (through libkmod, KO or the installed toymap, without parameters); do the
 * same again.  A PFN met in both loads must have two identities.  That some
 * PFN comes back is the allocator's doing: the process stays on one CPU and
 * nothing runs between, so freed pages are handed out again soon; a round
 * with none is tried again, and ROUNDS with none fail.  Needs root.
 *
 * Prints one summary line.  Exit status 0, 1 with a message on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libtoymap.h"
#include "toymap_lookup.h"

#define ROUNDS	3

struct frame {
	uint64_t pfn;
	uint64_t id;
};

static void __attribute__((noreturn)) fail(const char *what, int err)
{
	fprintf(stderr, "toymap_frames: %s: %s\n", what, strerror(err));
	exit(1);
}

/* Write @pages pages of /dev/toymap0, note their frames, discard them. */
static void frames_of_this_load(struct frame *f, long pages)
{
	long page = toymap_page_size();
	struct toymap_lookup l;
	struct toymap_pte pte;
	char *mem;
	int fd, err;

	fd = toymap_open(0, O_RDWR);
	if (fd < 0)
		fail("open /dev/toymap0", -fd);
	mem = mmap(NULL, (size_t)(pages * page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		fail("mmap", errno);
	for (long i = 0; i < pages; i++) {
		mem[i * page] = 1;
		err = toymap_pagemap(mem + i * page, &pte);
		if (err)
			fail("pagemap", -err);
		if (!pte.pfn_known)
			fail("pagemap shows no PFN", EPERM);
		err = toymap_lookup(fd, mem + i * page, &l);
		if (err)
			fail("LOOKUP", -err);
		if (l.kind != TOYMAP_LOOKUP_OBJECT || !l.frame)
			fail("LOOKUP: not an object page", EINVAL);
		f[i] = (struct frame){ .pfn = pte.pfn, .id = l.frame };
	}
	munmap(mem, (size_t)(pages * page));
	err = toymap_discard(fd, 0, (uint64_t)(pages * page));
	if (err)
		fail("DISCARD", -err);
	close(fd);
}

int main(int argc, char **argv)
{
	long pages = argc >= 2 ? strtol(argv[1], NULL, 10) : 0;
	const char *ko = argc >= 3 ? argv[2] : NULL;
	struct frame *a, *b;
	cpu_set_t cpu;
	long met = 0, same = 0;
	int err;

	if (pages <= 0 || argc > 3) {
		fprintf(stderr, "usage: toymap_frames PAGES [toymap.ko]\n");
		return 2;
	}
	a = calloc((size_t)pages, sizeof(*a));
	b = calloc((size_t)pages, sizeof(*b));
	if (!a || !b)
		fail("calloc", ENOMEM);
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	if (sched_setaffinity(0, sizeof(cpu), &cpu))
		fail("sched_setaffinity", errno);

	frames_of_this_load(b, pages);
	for (int round = 1; round <= ROUNDS && !met; round++) {
		memcpy(a, b, (size_t)pages * sizeof(*a));
		err = toymap_unload();
		if (err)
			fail("unload", -err);
		err = toymap_load(ko, NULL);
		if (err)
			fail("load", -err);
		frames_of_this_load(b, pages);
		for (long i = 0; i < pages; i++) {
			for (long j = 0; j < pages; j++) {
				if (a[i].pfn != b[j].pfn)
					continue;
				met++;
				if (a[i].id == b[j].id) {
					same++;
					fprintf(stderr, "toymap_frames: pfn %#" PRIx64
						" has identity %#" PRIx64 " in two loads\n",
						a[i].pfn, a[i].id);
				}
			}
		}
	}
	printf("toymap_frames: %ld of %ld PFNs met again after a reload, %ld with the same identity\n",
	       met, pages, same);
	if (!met) {
		fprintf(stderr, "toymap_frames: no PFN came back in %d reloads\n", ROUNDS);
		return 1;
	}
	return same ? 1 : 0;
}
