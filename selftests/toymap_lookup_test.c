// SPDX-License-Identifier: GPL-2.0
/*
 * toymap selftests of TOYMAP_IOC_LOOKUP: what backs an address of the
 * caller, and the frame identity that stands in for the PFN.
 *
 * Each test checks what LOOKUP says (kind, object, page offset, mapped once
 * or several times) against what the test did, and, as root, its frame
 * identities against the PFNs pagemap shows: equal identities exactly where
 * the PFNs are equal.  nobody_compares_what_root_sees does so for the user
 * nobody, who sees no PFN.  That identities change with every module load
 * is checked by selftests/run.sh with toymap_frames around a reload.
 *
 * Needs the module loaded; root for the tests that compare with PFNs or
 * change users.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toymap_fixture.h"
#include "toymap_io.h"
#include "toymap_lookup.h"

#define NOBODY		65534
#define PAGES		8

#define ASSERT_KIND(res, want)							\
	ASSERT_EQ((uint32_t)(want), (res).kind) TH_LOG("kind %s, expected %s",		\
		toymap_lookup_kind_name((res).kind), toymap_lookup_kind_name(want))

/* A page of the object, mapped: its kind, object, offset and an identity. */
#define ASSERT_PAGE(res, want_kind, want_pgoff) do {				\
	ASSERT_KIND(res, want_kind);						\
	ASSERT_EQ(OBJECT_INDEX, (int)(res).index);				\
	ASSERT_EQ((uint64_t)(want_pgoff), (res).pgoff);				\
	ASSERT_NE(0ULL, (unsigned long long)(res).frame);			\
} while (0)

/*
 * As root: the identities of @n lookups agree with the PFNs of the same
 * pages, pair by pair (equal identities exactly where the PFNs are equal).
 */
static void expect_ids_match_pfns(struct __test_metadata *_metadata, const uint64_t *ids,
				  const uint64_t *pfns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			EXPECT_EQ(pfns[i] == pfns[j], ids[i] == ids[j])
				TH_LOG("pages %zu and %zu: pfn %#llx/%#llx, identity %#llx/%#llx",
				       i, j, (unsigned long long)pfns[i],
				       (unsigned long long)pfns[j], (unsigned long long)ids[i],
				       (unsigned long long)ids[j]);
		}
	}
}

FIXTURE(lookup) {
	struct object obj;
};

FIXTURE_SETUP(lookup)
{
	open_clean_object(_metadata, &self->obj);
}

FIXTURE_TEARDOWN(lookup)
{
	close_object(&self->obj);
}

/* Two shared mappings of one page show one frame, mapped several times. */
TEST_F(lookup, shared_mappings_show_one_frame)
{
	char *a = MAP_OBJECT(&self->obj, PAGES, 0, RW, MAP_SHARED);
	char *b = MAP_OBJECT(&self->obj, PAGES, 2, RW, MAP_SHARED);
	struct toymap_lookup la, lb, l1;
	struct toymap_info before, after;

	before = INFO(&self->obj);
	la = LOOKUP(self->obj.fd, a);
	ASSERT_KIND(la, TOYMAP_LOOKUP_ABSENT);
	ASSERT_EQ(0ULL, (unsigned long long)la.frame);
	ASSERT_EQ(0U, la.mapped);
	after = INFO(&self->obj);
	ASSERT_EQ(0, DELTA(after, before, faults)) TH_LOG("LOOKUP faulted a page in");
	ASSERT_EQ(0, NOW(after, resident_pages));

	write_byte(page_of(a, 2), 'a');
	la = LOOKUP(self->obj.fd, page_of(a, 2) + 100);
	ASSERT_PAGE(la, TOYMAP_LOOKUP_OBJECT, 2);
	ASSERT_EQ((uint32_t)TOYMAP_MAPPED_ONCE, la.mapped);
	lb = LOOKUP(self->obj.fd, b);
	ASSERT_KIND(lb, TOYMAP_LOOKUP_ABSENT);
	ASSERT_EQ(2ULL, (unsigned long long)lb.pgoff);

	ASSERT_EQ('a', read_byte(b));
	lb = LOOKUP(self->obj.fd, b);
	ASSERT_PAGE(lb, TOYMAP_LOOKUP_OBJECT, 2);
	ASSERT_EQ(la.frame, lb.frame);
	ASSERT_EQ((uint32_t)TOYMAP_MAPPED_SEVERAL, lb.mapped);

	write_byte(page_of(a, 1), 'b');
	l1 = LOOKUP(self->obj.fd, page_of(a, 1));
	ASSERT_PAGE(l1, TOYMAP_LOOKUP_OBJECT, 1);
	ASSERT_NE(la.frame, l1.frame);

	if (toymap_can_read_pfn()) {
		uint64_t ids[] = { la.frame, lb.frame, l1.frame };
		uint64_t pfns[] = { PTE(page_of(a, 2)).pfn, PTE(b).pfn, PTE(page_of(a, 1)).pfn };

		expect_ids_match_pfns(_metadata, ids, pfns, ARRAY_SIZE(ids));
	}
	munmap(a, PAGES * pagesize);
	munmap(b, PAGES * pagesize);
}

/*
 * A private mapping shows the object's frame until it writes: then a
 * private copy in a frame of its own, while the shared view keeps the
 * object's frame.
 */
TEST_F(lookup, private_write_gets_its_own_frame)
{
	char *s = MAP_OBJECT(&self->obj, 1, 0, RW, MAP_SHARED);
	char *p = MAP_OBJECT(&self->obj, 1, 0, RW, MAP_PRIVATE);
	struct toymap_lookup ls, lp, ls2;

	write_byte(s, 's');
	ASSERT_EQ('s', read_byte(p));
	ls = LOOKUP(self->obj.fd, s);
	lp = LOOKUP(self->obj.fd, p);
	ASSERT_PAGE(ls, TOYMAP_LOOKUP_OBJECT, 0);
	ASSERT_PAGE(lp, TOYMAP_LOOKUP_OBJECT, 0);
	ASSERT_EQ(ls.frame, lp.frame);

	write_byte(p, 'p');
	lp = LOOKUP(self->obj.fd, p);
	ASSERT_PAGE(lp, TOYMAP_LOOKUP_PRIVATE, 0);
	ASSERT_EQ((uint32_t)TOYMAP_MAPPED_ONCE, lp.mapped);
	ASSERT_NE(ls.frame, lp.frame);
	ls2 = LOOKUP(self->obj.fd, s);
	ASSERT_PAGE(ls2, TOYMAP_LOOKUP_OBJECT, 0);
	ASSERT_EQ(ls.frame, ls2.frame);
	ASSERT_EQ('s', read_byte(s));

	if (toymap_can_read_pfn()) {
		uint64_t ids[] = { ls2.frame, lp.frame };
		uint64_t pfns[] = { PTE(s).pfn, PTE(p).pfn };

		expect_ids_match_pfns(_metadata, ids, pfns, ARRAY_SIZE(ids));
	}
	munmap(s, pagesize);
	munmap(p, pagesize);
}

/* Outside toymap's mappings LOOKUP tells nothing but that. */
TEST_F(lookup, other_addresses_tell_nothing)
{
	char *anon = mmap(NULL, pagesize, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct toymap_lookup l;
	int on_stack = 1;

	ASSERT_NE(MAP_FAILED, anon);
	write_byte(anon, 1);
	l = LOOKUP(self->obj.fd, anon);
	ASSERT_KIND(l, TOYMAP_LOOKUP_OTHER);
	ASSERT_EQ(0U, l.index);
	ASSERT_EQ(0ULL, (unsigned long long)(l.pgoff | l.frame | l.mapped));
	l = LOOKUP(self->obj.fd, &on_stack);
	ASSERT_KIND(l, TOYMAP_LOOKUP_OTHER);
	ASSERT_EQ(0ULL, (unsigned long long)l.frame);
	ASSERT_EQ(0, munmap(anon, pagesize));
	l = LOOKUP(self->obj.fd, anon);
	ASSERT_KIND(l, TOYMAP_LOOKUP_NONE);
	l = LOOKUP(self->obj.fd, NULL);
	ASSERT_KIND(l, TOYMAP_LOOKUP_NONE);
	l = LOOKUP(self->obj.fd, (void *)-4096L);
	ASSERT_KIND(l, TOYMAP_LOOKUP_NONE);
}

/* A page made PROT_NONE is still there, and a discarded one is gone. */
TEST_F(lookup, protection_and_discard)
{
	char *m = MAP_OBJECT(&self->obj, 2, 0, RW, MAP_SHARED);
	struct toymap_lookup before, l;

	write_byte(m, 'x');
	before = LOOKUP(self->obj.fd, m);
	ASSERT_PAGE(before, TOYMAP_LOOKUP_OBJECT, 0);
	ASSERT_EQ(0, mprotect(m, 2 * pagesize, PROT_NONE));
	l = LOOKUP(self->obj.fd, m);
	ASSERT_PAGE(l, TOYMAP_LOOKUP_OBJECT, 0);
	ASSERT_EQ(before.frame, l.frame);
	ASSERT_EQ(0, toymap_discard(self->obj.fd, 0, pagesize));
	l = LOOKUP(self->obj.fd, m);
	ASSERT_KIND(l, TOYMAP_LOOKUP_ABSENT);
	munmap(m, 2 * pagesize);
}

/* Bad arguments: EINVAL for flags, reserved and sizes, EFAULT for pointers. */
TEST_F(lookup, bad_arguments)
{
	struct toymap_lookup l = { .size = sizeof(l) };

	l.flags = 1;
	ASSERT_EQ(-1, ioctl(self->obj.fd, TOYMAP_IOC_LOOKUP, &l));
	ASSERT_EQ(EINVAL, errno);
	l.flags = 0;
	l.reserved = 1;
	ASSERT_EQ(-1, ioctl(self->obj.fd, TOYMAP_IOC_LOOKUP, &l));
	ASSERT_EQ(EINVAL, errno);
	l.reserved = 0;
	l.size = sizeof(l) - 8;
	ASSERT_EQ(-1, ioctl(self->obj.fd, TOYMAP_IOC_LOOKUP, &l));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ioctl(self->obj.fd, TOYMAP_IOC_LOOKUP, NULL));
	ASSERT_EQ(EFAULT, errno);
}

/* A read-only opener may look up (LOOKUP changes nothing). */
TEST_F(lookup, readonly_opener_may_look_up)
{
	int rd = toymap_open(OBJECT_INDEX, O_RDONLY | O_CLOEXEC);
	char *m = MAP_OBJECT(&self->obj, 1, 0, RW, MAP_SHARED);
	struct toymap_lookup l;

	ASSERT_LE(0, rd);
	write_byte(m, 'r');
	l = LOOKUP(rd, m);
	ASSERT_PAGE(l, TOYMAP_LOOKUP_OBJECT, 0);
	close(rd);
	munmap(m, pagesize);
}

/*
 * After fork, parent and child see the same frames for the shared mapping
 * and for private pages nobody wrote since; the child's write gives it a
 * frame of its own.  The child reports its identities through a pipe.
 */
TEST_F(lookup, fork_shares_frames_until_a_write)
{
	char *s = MAP_OBJECT(&self->obj, 1, 0, RW, MAP_SHARED);
	char *p = MAP_OBJECT(&self->obj, 1, 1, RW, MAP_PRIVATE);
	struct toymap_lookup ls, lp;
	uint64_t child_ids[3];
	int pipefd[2];
	pid_t pid;

	write_byte(s, 's');
	write_byte(p, 'p');	/* a private copy before the fork */
	ls = LOOKUP(self->obj.fd, s);
	lp = LOOKUP(self->obj.fd, p);
	ASSERT_KIND(lp, TOYMAP_LOOKUP_PRIVATE);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct toymap_lookup a, b, c;

		close(pipefd[0]);
		(void)read_byte(s);	/* fork copies no PTE of a shared file mapping */
		(void)read_byte(p);
		if (toymap_lookup(self->obj.fd, s, &a) || toymap_lookup(self->obj.fd, p, &b))
			_exit(2);
		write_byte(p, 'c');
		if (toymap_lookup(self->obj.fd, p, &c) || c.kind != TOYMAP_LOOKUP_PRIVATE)
			_exit(3);
		child_ids[0] = a.frame;
		child_ids[1] = b.frame;
		child_ids[2] = c.frame;
		_exit(toymap_write_full(pipefd[1], child_ids, sizeof(child_ids)) ? 4 : 0);
	}
	close(pipefd[1]);
	ASSERT_EQ(0, toymap_read_full(pipefd[0], child_ids, sizeof(child_ids)));
	close(pipefd[0]);
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ(ls.frame, child_ids[0]) TH_LOG("the shared page in the child");
	ASSERT_EQ(lp.frame, child_ids[1]) TH_LOG("the private page before the child wrote");
	ASSERT_NE(lp.frame, child_ids[2]) TH_LOG("the child's own copy");
	ASSERT_EQ(lp.frame, LOOKUP(self->obj.fd, p).frame) TH_LOG("the parent keeps its copy");
	ASSERT_EQ('p', read_byte(p));
	munmap(s, pagesize);
	munmap(p, pagesize);
}

/*
 * The user nobody, who sees no PFN in pagemap, compares frames through
 * LOOKUP: its identities are equal exactly where the PFNs root reads for
 * the same pages are equal.  Root maps PAGES pages shared and PAGES
 * private (every other one written: a copy), then drops to nobody in a
 * child that keeps the mappings.
 */
TEST_F(lookup, nobody_compares_what_root_sees)
{
	char *s = MAP_OBJECT(&self->obj, PAGES, 0, RW, MAP_SHARED);
	char *p = MAP_OBJECT(&self->obj, PAGES, 0, RW, MAP_PRIVATE);
	uint64_t pfns[2 * PAGES], ids[2 * PAGES];
	int pipefd[2];
	pid_t pid;

	SKIP_UNLESS_ROOT("reading PFNs and becoming nobody");
	for (size_t i = 0; i < PAGES; i++) {
		write_byte(page_of(s, i), (char)('a' + i));
		if (i % 2)
			write_byte(page_of(p, i), 'P');
		else
			(void)read_byte(page_of(p, i));
	}
	for (size_t i = 0; i < 2 * PAGES; i++) {
		struct toymap_pte pte = PTE(page_of(i < PAGES ? s : p, i % PAGES));

		ASSERT_TRUE(pte.pfn_known) TH_LOG("root reads no PFN");
		pfns[i] = pte.pfn;
	}
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct toymap_lookup l;
		struct toymap_pte pte;

		close(pipefd[0]);
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY) ||
		    prctl(PR_SET_DUMPABLE, 1))	/* else /proc/self is root's */
			_exit(2);
		for (size_t i = 0; i < 2 * PAGES; i++) {
			char *addr = page_of(i < PAGES ? s : p, i % PAGES);

			(void)read_byte(addr);
			if (toymap_pagemap(addr, &pte) || pte.pfn_known)
				_exit(3);	/* nobody must not see PFNs */
			if (toymap_lookup(self->obj.fd, addr, &l) || !l.frame)
				_exit(4);
			ids[i] = l.frame;
		}
		_exit(toymap_write_full(pipefd[1], ids, sizeof(ids)) ? 5 : 0);
	}
	close(pipefd[1]);
	ASSERT_EQ(0, toymap_read_full(pipefd[0], ids, sizeof(ids)));
	close(pipefd[0]);
	ASSERT_CHILD_OK(pid);
	expect_ids_match_pfns(_metadata, ids, pfns, ARRAY_SIZE(ids));
	munmap(s, PAGES * pagesize);
	munmap(p, PAGES * pagesize);
}

TEST_HARNESS_MAIN
