// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_lookup: TOYMAP_IOC_LOOKUP (toymap_lookup.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "toymap_lookup.h"

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
