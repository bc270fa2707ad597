// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_lookup: TOYMAP_IOC_LOOKUP (toymap_lookup.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "libtoymap.h"

int toymap_lookup(int fd, const void *addr, struct toymap_lookup *res)
{
	memset(res, 0, sizeof(*res));
	res->size = sizeof(*res);
	res->addr = (uint64_t)(uintptr_t)addr;
	return ioctl(fd, TOYMAP_IOC_LOOKUP, res) ? -errno : 0;
}

const char *toymap_lookup_kind_name(uint32_t kind)
{
	switch (kind) {
	case TOYMAP_LOOKUP_NONE:
		return "unmapped";
	case TOYMAP_LOOKUP_OTHER:
		return "not toymap's";
	case TOYMAP_LOOKUP_ABSENT:
		return "no page";
	case TOYMAP_LOOKUP_OBJECT:
		return "object page";
	case TOYMAP_LOOKUP_PRIVATE:
		return "private copy";
	default:
		return "unknown kind";
	}
}

int toymap_pagemap_frame(int fd, const void *addr, struct toymap_pte *pte)
{
	struct toymap_lookup l;
	int err = toymap_pagemap(addr, pte);

	if (err || !pte->present || fd < 0)
		return err;
	if (!toymap_lookup(fd, addr, &l) &&
	    (l.kind == TOYMAP_LOOKUP_OBJECT || l.kind == TOYMAP_LOOKUP_PRIVATE))
		pte->frame = l.frame;
	return 0;
}
