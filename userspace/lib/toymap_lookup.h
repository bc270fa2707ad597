/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toymap_lookup: TOYMAP_IOC_LOOKUP, what backs an address of this process,
 * with a frame identity that any user may compare (no PFN needed).
 */
#ifndef TOYMAP_LOOKUP_H
#define TOYMAP_LOOKUP_H

#include <stdint.h>

#include "toymap.h"

/*
 * TOYMAP_IOC_LOOKUP through @fd (any toymap device, open for reading or
 * writing) of the address @addr of this process: 0 or -errno.
 */
int toymap_lookup(int fd, const void *addr, struct toymap_lookup *res);
/* "object page", "private copy", "no page", "not toymap's", "unmapped". */
const char *toymap_lookup_kind_name(uint32_t kind);

#endif /* TOYMAP_LOOKUP_H */
