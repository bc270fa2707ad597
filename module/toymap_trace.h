/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of system "toymap": one per fault, read-ahead, fault-around,
 * page_mkwrite, discard, write-back (to the file or the swap file) and
 * eviction.  Numeric fields only, so the format is the same on every
 * kernel.  Enable with:
 *   echo 1 > /sys/kernel/tracing/events/toymap/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM toymap

#if !defined(_TOYMAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TOYMAP_TRACE_H

#include <linux/tracepoint.h>

#include "toymap_internal.h"

/*
 * enum toymap_outcome by name in the trace output.  TRACE_DEFINE_ENUM() puts
 * each value into the events' format files in place of the enum's name, which
 * user space cannot know, so that trace-cmd, perf and tracefs alike print the
 * names of toymap_show_outcome().  (As ext4's show_criteria(), not with the
 * EM()/EMe() list macros of other trace headers: checkpatch --strict refuses
 * those.)  Keep the two lists in step with the enum.
 */
TRACE_DEFINE_ENUM(TOYMAP_ZERO_FILL);
TRACE_DEFINE_ENUM(TOYMAP_FILE_READ);
TRACE_DEFINE_ENUM(TOYMAP_SWAP_IN);
TRACE_DEFINE_ENUM(TOYMAP_RESIDENT);
TRACE_DEFINE_ENUM(TOYMAP_SIGBUS_EOF);
TRACE_DEFINE_ENUM(TOYMAP_SIGBUS_LIMIT);
TRACE_DEFINE_ENUM(TOYMAP_ALLOC_FAILED);
TRACE_DEFINE_ENUM(TOYMAP_READ_FAILED);

#define toymap_show_outcome(outcome)					\
	__print_symbolic(outcome,					\
			 { TOYMAP_ZERO_FILL,	"zero-fill" },		\
			 { TOYMAP_FILE_READ,	"file-read" },		\
			 { TOYMAP_SWAP_IN,	"swap-in" },		\
			 { TOYMAP_RESIDENT,	"resident" },		\
			 { TOYMAP_SIGBUS_EOF,	"sigbus-past-end" },	\
			 { TOYMAP_SIGBUS_LIMIT,	"sigbus-max-pages" },	\
			 { TOYMAP_ALLOC_FAILED,	"alloc-failed" },	\
			 { TOYMAP_READ_FAILED,	"read-failed" })

/* One .fault call; @order: the order of the folio it added (large_folios=1), else 0. */
TRACE_EVENT(toymap_fault,
	TP_PROTO(unsigned int dev, unsigned long address, unsigned long pgoff,
		 bool write, bool shared, bool cow, int outcome, unsigned int order),
	TP_ARGS(dev, address, pgoff, write, shared, cow, outcome, order),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, address)
		__field(unsigned long, pgoff)
		__field(bool, write)
		__field(bool, shared)
		__field(bool, cow)
		__field(int, outcome)
		__field(unsigned int, order)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->address = address;
		__entry->pgoff = pgoff;
		__entry->write = write;
		__entry->shared = shared;
		__entry->cow = cow;
		__entry->outcome = outcome;
		__entry->order = order;
	),
	TP_printk("toymap%u va=0x%lx pgoff=%lu %s %s cow=%d outcome=%s order=%u",
		  __entry->dev, __entry->address, __entry->pgoff,
		  __entry->write ? "write" : "read",
		  __entry->shared ? "shared" : "private", __entry->cow,
		  toymap_show_outcome(__entry->outcome), __entry->order)
);

/* The pages a MADV_SEQUENTIAL fault read after its own (toymap_readahead()). */
TRACE_EVENT(toymap_readahead,
	TP_PROTO(unsigned int dev, unsigned long start, unsigned long nr),
	TP_ARGS(dev, start, nr),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, start)
		__field(unsigned long, nr)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->start = start;
		__entry->nr = nr;
	),
	TP_printk("toymap%u pgoff=%lu nr=%lu",
		  __entry->dev, __entry->start, __entry->nr)
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

TRACE_EVENT(toymap_writeback,
	TP_PROTO(unsigned int dev, unsigned long pgoff, unsigned long bytes, bool to_swap),
	TP_ARGS(dev, pgoff, bytes, to_swap),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, pgoff)
		__field(unsigned long, bytes)
		__field(bool, to_swap)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->pgoff = pgoff;
		__entry->bytes = bytes;
		__entry->to_swap = to_swap;
	),
	TP_printk("toymap%u pgoff=%lu bytes=%lu to=%s",
		  __entry->dev, __entry->pgoff, __entry->bytes,
		  __entry->to_swap ? "swap" : "file")
);

TRACE_EVENT(toymap_evict,
	TP_PROTO(unsigned int dev, unsigned long start, unsigned long nr,
		 unsigned long dropped, unsigned long long written_back,
		 unsigned long long swapped_out, unsigned long long kept),
	TP_ARGS(dev, start, nr, dropped, written_back, swapped_out, kept),
	TP_STRUCT__entry(
		__field(unsigned int, dev)
		__field(unsigned long, start)
		__field(unsigned long, nr)
		__field(unsigned long, dropped)
		__field(unsigned long long, written_back)
		__field(unsigned long long, swapped_out)
		__field(unsigned long long, kept)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->start = start;
		__entry->nr = nr;
		__entry->dropped = dropped;
		__entry->written_back = written_back;
		__entry->swapped_out = swapped_out;
		__entry->kept = kept;
	),
	TP_printk("toymap%u pgoff=%lu nr=%lu dropped=%lu written_back=%llu swapped_out=%llu kept=%llu",
		  __entry->dev, __entry->start, __entry->nr, __entry->dropped,
		  __entry->written_back, __entry->swapped_out, __entry->kept)
);

#endif /* _TOYMAP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE toymap_trace
#include <trace/define_trace.h>
