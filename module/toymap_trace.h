/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of system "toymap": one per fault, fault-around, page_mkwrite
 * and discard.  Numeric fields only, so the format is the same on every
 * kernel.  Enable with:  echo 1 > /sys/kernel/tracing/events/toymap/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM toymap

#if !defined(_TOYMAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TOYMAP_TRACE_H

#include <linux/tracepoint.h>

#include "toymap_internal.h"

/* enum toymap_outcome, named in the trace output. */
TRACE_DEFINE_ENUM(TOYMAP_ZERO_FILL);
TRACE_DEFINE_ENUM(TOYMAP_RESIDENT);
TRACE_DEFINE_ENUM(TOYMAP_SIGBUS_EOF);
TRACE_DEFINE_ENUM(TOYMAP_SIGBUS_LIMIT);
TRACE_DEFINE_ENUM(TOYMAP_ALLOC_FAILED);

TRACE_EVENT(toymap_fault,
	TP_PROTO(unsigned int dev, unsigned long address, unsigned long pgoff,
		 bool write, bool shared, bool cow, int outcome),
	TP_ARGS(dev, address, pgoff, write, shared, cow, outcome),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, address)
		__field(unsigned long, pgoff)
		__field(bool, write)
		__field(bool, shared)
		__field(bool, cow)
		__field(int, outcome)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->address = address;
		__entry->pgoff = pgoff;
		__entry->write = write;
		__entry->shared = shared;
		__entry->cow = cow;
		__entry->outcome = outcome;
	),
	TP_printk("toymap%u va=0x%lx pgoff=%lu %s %s cow=%d outcome=%s",
		  __entry->dev, __entry->address, __entry->pgoff,
		  __entry->write ? "write" : "read",
		  __entry->shared ? "shared" : "private", __entry->cow,
		  __print_symbolic(__entry->outcome,
				   { TOYMAP_ZERO_FILL, "zero-fill" },
				   { TOYMAP_RESIDENT, "resident" },
				   { TOYMAP_SIGBUS_EOF, "sigbus-past-end" },
				   { TOYMAP_SIGBUS_LIMIT, "sigbus-max-pages" },
				   { TOYMAP_ALLOC_FAILED, "alloc-failed" }))
);

TRACE_EVENT(toymap_fault_around,
	TP_PROTO(unsigned int dev, unsigned long address, unsigned long start,
		 unsigned long end, bool hit),
	TP_ARGS(dev, address, start, end, hit),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, address)
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(bool, hit)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->address = address;
		__entry->start = start;
		__entry->end = end;
		__entry->hit = hit;
	),
	TP_printk("toymap%u va=0x%lx pgoff=%lu-%lu hit=%d",
		  __entry->dev, __entry->address, __entry->start, __entry->end,
		  __entry->hit)
);

TRACE_EVENT(toymap_mkwrite,
	TP_PROTO(unsigned int dev, unsigned long address, unsigned long pgoff),
	TP_ARGS(dev, address, pgoff),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, address)
		__field(unsigned long, pgoff)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->address = address;
		__entry->pgoff = pgoff;
	),
	TP_printk("toymap%u va=0x%lx pgoff=%lu",
		  __entry->dev, __entry->address, __entry->pgoff)
);

TRACE_EVENT(toymap_discard,
	TP_PROTO(unsigned int dev, unsigned long start, unsigned long nr,
		 unsigned long freed),
	TP_ARGS(dev, start, nr, freed),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, start)
		__field(unsigned long, nr)
		__field(unsigned long, freed)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->start = start;
		__entry->nr = nr;
		__entry->freed = freed;
	),
	TP_printk("toymap%u pgoff=%lu nr=%lu freed=%lu",
		  __entry->dev, __entry->start, __entry->nr, __entry->freed)
);

#endif /* _TOYMAP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE toymap_trace
#include <trace/define_trace.h>
