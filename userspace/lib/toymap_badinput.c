// SPDX-License-Identifier: GPL-2.0
/*
 * toymap_badinput: the table of ioctl inputs and the errno each must get,
 * and the code that lays out an argument from a row (toymap_badinput.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "libtoymap.h"
#include "toymap_badinput.h"

/* Where the x86-64 kernel's text starts: never a user address. */
#define KERNEL_ADDRESS		0xffffffff81000000UL
/* A descriptor number the table keeps closed (far above what programs open). */
#define CLOSED_FD_MIN		1000

/* An offset or length: pages, pages and bytes, half a page, the end + pages, bytes. */
#define PAGES(n)		{ .half_pages = 2 * (n) }
#define PAGES_BYTES(n, b)	{ .half_pages = 2 * (n), .bytes = (b) }
#define HALF_PAGE		{ .half_pages = 1 }
#define END(n)			{ .half_pages = 2 * (n), .ends = 1 }
#define BYTES(b)		{ .bytes = (b) }
#define OVER_LLONG_MAX		((uint64_t)LLONG_MAX + 1)

/*
 * One row: its name, the command (TOYMAP_IOC_ without the prefix, or any
 * command with CMD_ROW), the size field (TOYMAP_SIZE_...), the place
 * (TOYMAP_ARG_...), the errno expected (0: success), then what the struct
 * needs of .flags, .offset, .length, .fd, .reserved and .out (0 and
 * TOYMAP_FD_FILE otherwise), and .needs.  Both paste their arguments
 * directly: the place NULL must not expand.
 */
#define ROW(row_name, row_ioc, row_size, row_place, row_expect, ...)		\
	{ .name = (row_name), .cmd = TOYMAP_IOC_##row_ioc,			\
	  .size = TOYMAP_SIZE_##row_size, .place = TOYMAP_ARG_##row_place,	\
	  .expect = (row_expect), __VA_ARGS__ }
#define CMD_ROW(row_name, row_cmd, row_size, row_place, row_expect, ...)	\
	{ .name = (row_name), .cmd = (row_cmd),					\
	  .size = TOYMAP_SIZE_##row_size, .place = TOYMAP_ARG_##row_place,	\
	  .expect = (row_expect), __VA_ARGS__ }

/*
 * The rows, run in order on one object by the selftests: some change the
 * object (attach, set a swap file) for the rows after them, so that a bad
 * input a check let through would succeed, or leave the object so that
 * later rows fail.  For each ioctl and field: 0, 1, the maximum, unaligned
 * values and sums that overflow; sizes from 0 to UINT32_MAX (short, larger
 * with a zero or non-zero tail); bad pointers; bad descriptors.  The
 * object ends as it started: anonymous, empty, never mapped.
 */
const struct toymap_bad_row toymap_bad_rows[] = {
	ROW("info: exact size", INFO, EXACT, BUFFER, 0),
	ROW("info: first published size", INFO, FIRST, BUFFER, 0),
	ROW("info: first size + 1, unaligned", INFO, UNALIGNED, BUFFER, 0),
	ROW("info: size 0", INFO, ZERO, BUFFER, EINVAL),
	ROW("info: size 1", INFO, ONE, BUFFER, EINVAL),
	ROW("info: size below the first", INFO, SHORT, BUFFER, EINVAL),
	ROW("info: larger, zero tail", INFO, LONG_ZERO_TAIL, BUFFER, 0),
	ROW("info: larger, non-zero tail", INFO, LONG_DIRTY_TAIL, BUFFER, EINVAL),
	ROW("info: a page, zero tail", INFO, PAGE, BUFFER, 0),
	ROW("info: a page, last byte not zero", INFO, PAGE_DIRTY_END, BUFFER, EINVAL),
	ROW("info: size over a page", INFO, OVER_PAGE, BUFFER, EINVAL),
	ROW("info: size UINT32_MAX", INFO, U32_MAX, BUFFER, EINVAL),
	ROW("info: output fields all ones on input", INFO, EXACT, BUFFER, 0, .out = UINT64_MAX),
	ROW("info: NULL pointer", INFO, EXACT, NULL, EFAULT),
	ROW("info: unmapped pointer", INFO, EXACT, UNMAPPED, EFAULT),
	ROW("info: kernel pointer", INFO, EXACT, KERNEL, EFAULT),
	ROW("info: tail unmapped", INFO, EXACT, TAIL_UNMAPPED, EFAULT),
	ROW("info: unaligned pointer", INFO, EXACT, UNALIGNED, 0),
	ROW("info: on a read-only page", INFO, EXACT, READONLY, EFAULT),
	CMD_ROW("info: another size in the command", _IOWR(TOYMAP_IOC_MAGIC, 0x00, __u64), EXACT,
	    BUFFER, 0),

	ROW("discard: one page", DISCARD, EXACT, BUFFER, 0, .length = PAGES(1)),
	ROW("discard: whole object", DISCARD, EXACT, BUFFER, 0, .length = END(0)),
	ROW("discard: last page", DISCARD, EXACT, BUFFER, 0, .offset = END(-1), .length = PAGES(1)),
	ROW("discard: size 0", DISCARD, ZERO, BUFFER, EINVAL, .length = PAGES(1)),
	ROW("discard: size 1", DISCARD, ONE, BUFFER, EINVAL, .length = PAGES(1)),
	ROW("discard: size below the struct", DISCARD, SHORT, BUFFER, EINVAL, .length = PAGES(1)),
	ROW("discard: size + 1, unaligned", DISCARD, UNALIGNED, BUFFER, 0, .length = PAGES(1)),
	ROW("discard: larger, zero tail", DISCARD, LONG_ZERO_TAIL, BUFFER, 0, .length = PAGES(1)),
	ROW("discard: larger, non-zero tail", DISCARD, LONG_DIRTY_TAIL, BUFFER, EINVAL,
	    .length = PAGES(1)),
	ROW("discard: a page, zero tail", DISCARD, PAGE, BUFFER, 0, .length = PAGES(1)),
	ROW("discard: a page, last byte not zero", DISCARD, PAGE_DIRTY_END, BUFFER, EINVAL,
	    .length = PAGES(1)),
	ROW("discard: size over a page", DISCARD, OVER_PAGE, BUFFER, EINVAL, .length = PAGES(1)),
	ROW("discard: size UINT32_MAX", DISCARD, U32_MAX, BUFFER, EINVAL, .length = PAGES(1)),
	ROW("discard: flags 1", DISCARD, EXACT, BUFFER, EINVAL, .flags = 1, .length = PAGES(1)),
	ROW("discard: flags 1<<31", DISCARD, EXACT, BUFFER, EINVAL, .flags = 1u << 31,
	    .length = PAGES(1)),
	ROW("discard: flags UINT32_MAX", DISCARD, EXACT, BUFFER, EINVAL, .flags = UINT32_MAX,
	    .length = PAGES(1)),
	ROW("discard: offset 1", DISCARD, EXACT, BUFFER, EINVAL, .offset = BYTES(1),
	    .length = PAGES(1)),
	ROW("discard: offset a page + 1", DISCARD, EXACT, BUFFER, EINVAL,
	    .offset = PAGES_BYTES(1, 1), .length = PAGES(1)),
	ROW("discard: offset UINT64_MAX", DISCARD, EXACT, BUFFER, EINVAL,
	    .offset = BYTES(UINT64_MAX), .length = PAGES(1)),
	ROW("discard: offset at the end", DISCARD, EXACT, BUFFER, EINVAL, .offset = END(0),
	    .length = PAGES(1)),
	ROW("discard: offset far past the end", DISCARD, EXACT, BUFFER, EINVAL,
	    .offset = END(1024), .length = PAGES(1)),
	ROW("discard: length 0", DISCARD, EXACT, BUFFER, EINVAL),
	ROW("discard: length 1", DISCARD, EXACT, BUFFER, EINVAL, .length = BYTES(1)),
	ROW("discard: length half a page", DISCARD, EXACT, BUFFER, EINVAL, .length = HALF_PAGE),
	ROW("discard: length a page + 1", DISCARD, EXACT, BUFFER, EINVAL,
	    .length = PAGES_BYTES(1, 1)),
	ROW("discard: length UINT64_MAX", DISCARD, EXACT, BUFFER, EINVAL,
	    .length = BYTES(UINT64_MAX)),
	ROW("discard: length past the end", DISCARD, EXACT, BUFFER, EINVAL, .length = END(1)),
	ROW("discard: range past the end", DISCARD, EXACT, BUFFER, EINVAL, .offset = END(-1),
	    .length = PAGES(2)),
	ROW("discard: offset a page + the whole object", DISCARD, EXACT, BUFFER, EINVAL,
	    .offset = PAGES(1), .length = END(0)),
	ROW("discard: offset+length wraps to a page", DISCARD, EXACT, BUFFER, EINVAL,
	    .offset = PAGES(2), .length = PAGES(-1)),
	ROW("discard: offset+length wraps to 0", DISCARD, EXACT, BUFFER, EINVAL,
	    .offset = PAGES(-1), .length = PAGES(1)),
	ROW("discard: NULL pointer", DISCARD, EXACT, NULL, EFAULT, .length = PAGES(1)),
	ROW("discard: unmapped pointer", DISCARD, EXACT, UNMAPPED, EFAULT, .length = PAGES(1)),
	ROW("discard: kernel pointer", DISCARD, EXACT, KERNEL, EFAULT, .length = PAGES(1)),
	ROW("discard: tail unmapped", DISCARD, EXACT, TAIL_UNMAPPED, EFAULT, .length = PAGES(1)),
	ROW("discard: unaligned pointer", DISCARD, EXACT, UNALIGNED, 0, .length = PAGES(1)),
	ROW("discard: on a read-only page", DISCARD, EXACT, READONLY, 0, .length = PAGES(1)),

	ROW("attach: exact size", ATTACH, EXACT, BUFFER, 0, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("attach: attached already", ATTACH, EXACT, BUFFER, EBUSY, .length = PAGES(1),
	    .fd = TOYMAP_FD_SWAP, .needs = TOYMAP_BAD_ORDER),
	/* Bad detaches while a file is attached: without the check they succeed. */
	ROW("detach: size 0", DETACH, ZERO, BUFFER, EINVAL),
	ROW("detach: size 1", DETACH, ONE, BUFFER, EINVAL),
	ROW("detach: size below the struct", DETACH, SHORT, BUFFER, EINVAL),
	ROW("detach: larger, non-zero tail", DETACH, LONG_DIRTY_TAIL, BUFFER, EINVAL),
	ROW("detach: a page, last byte not zero", DETACH, PAGE_DIRTY_END, BUFFER, EINVAL),
	ROW("detach: size over a page", DETACH, OVER_PAGE, BUFFER, EINVAL),
	ROW("detach: size UINT32_MAX", DETACH, U32_MAX, BUFFER, EINVAL),
	ROW("detach: flags 1", DETACH, EXACT, BUFFER, EINVAL, .flags = 1),
	ROW("detach: flags 1<<31", DETACH, EXACT, BUFFER, EINVAL, .flags = 1u << 31),
	ROW("detach: flags UINT32_MAX", DETACH, EXACT, BUFFER, EINVAL, .flags = UINT32_MAX),
	ROW("detach: NULL pointer", DETACH, EXACT, NULL, EFAULT),
	ROW("detach: unmapped pointer", DETACH, EXACT, UNMAPPED, EFAULT),
	ROW("detach: kernel pointer", DETACH, EXACT, KERNEL, EFAULT),
	ROW("detach: tail unmapped", DETACH, EXACT, TAIL_UNMAPPED, EFAULT),
	ROW("set_swap: the backing file", SET_SWAP, EXACT, BUFFER, EINVAL, .fd = TOYMAP_FD_FILE,
	    .needs = TOYMAP_BAD_ORDER),
	ROW("set_swap: the backing file as fd 0", SET_SWAP, EXACT, BUFFER, EINVAL,
	    .fd = TOYMAP_FD_ZERO, .needs = TOYMAP_BAD_ORDER),
	ROW("detach: exact size", DETACH, EXACT, BUFFER, 0),
	ROW("detach: nothing attached", DETACH, EXACT, BUFFER, EINVAL, .needs = TOYMAP_BAD_ORDER),
	/* Good attaches, each undone by a good detach. */
	ROW("attach: fd 0", ATTACH, EXACT, BUFFER, 0, .length = PAGES(1), .fd = TOYMAP_FD_ZERO),
	ROW("detach: size + 1, unaligned", DETACH, UNALIGNED, BUFFER, 0),
	ROW("attach: size + 1, unaligned", ATTACH, UNALIGNED, BUFFER, 0, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("detach: larger, zero tail", DETACH, LONG_ZERO_TAIL, BUFFER, 0),
	ROW("attach: larger, zero tail", ATTACH, LONG_ZERO_TAIL, BUFFER, 0, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("detach: a page, zero tail", DETACH, PAGE, BUFFER, 0),
	ROW("attach: a page, zero tail", ATTACH, PAGE, BUFFER, 0, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("detach: unaligned pointer", DETACH, EXACT, UNALIGNED, 0),
	ROW("attach: unaligned pointer", ATTACH, EXACT, UNALIGNED, 0, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("detach: on a read-only page", DETACH, EXACT, READONLY, 0),
	ROW("attach: on a read-only page", ATTACH, EXACT, READONLY, 0, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("detach: after the read-only page", DETACH, EXACT, BUFFER, 0),
	ROW("attach: offset 1, length 1", ATTACH, EXACT, BUFFER, 0, .offset = BYTES(1),
	    .length = BYTES(1), .fd = TOYMAP_FD_FILE),
	ROW("detach: after offset 1", DETACH, EXACT, BUFFER, 0),
	ROW("attach: length a page + 1", ATTACH, EXACT, BUFFER, 0, .length = PAGES_BYTES(1, 1),
	    .fd = TOYMAP_FD_FILE),
	ROW("detach: after length a page + 1", DETACH, EXACT, BUFFER, 0),
	ROW("attach: length LLONG_MAX", ATTACH, EXACT, BUFFER, 0, .length = BYTES(LLONG_MAX),
	    .fd = TOYMAP_FD_FILE),
	ROW("detach: after length LLONG_MAX", DETACH, EXACT, BUFFER, 0),
	ROW("attach: O_RDONLY, section ends at LLONG_MAX", ATTACH, EXACT, BUFFER, 0,
	    .offset = BYTES(1), .length = BYTES(LLONG_MAX - 1), .fd = TOYMAP_FD_RDONLY),
	ROW("detach: the read-only file", DETACH, EXACT, BUFFER, 0),
	/* Bad attaches with nothing attached: without the check they succeed. */
	ROW("attach: size 0", ATTACH, ZERO, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("attach: size 1", ATTACH, ONE, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("attach: size below the struct", ATTACH, SHORT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("attach: larger, non-zero tail", ATTACH, LONG_DIRTY_TAIL, BUFFER, EINVAL,
	    .length = PAGES(1), .fd = TOYMAP_FD_FILE),
	ROW("attach: a page, last byte not zero", ATTACH, PAGE_DIRTY_END, BUFFER, EINVAL,
	    .length = PAGES(1), .fd = TOYMAP_FD_FILE),
	ROW("attach: size over a page", ATTACH, OVER_PAGE, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("attach: size UINT32_MAX", ATTACH, U32_MAX, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("attach: flags 1", ATTACH, EXACT, BUFFER, EINVAL, .flags = 1, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("attach: flags 1<<31", ATTACH, EXACT, BUFFER, EINVAL, .flags = 1u << 31,
	    .length = PAGES(1), .fd = TOYMAP_FD_FILE),
	ROW("attach: flags UINT32_MAX", ATTACH, EXACT, BUFFER, EINVAL, .flags = UINT32_MAX,
	    .length = PAGES(1), .fd = TOYMAP_FD_FILE),
	ROW("attach: reserved 1", ATTACH, EXACT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE, .reserved = 1),
	ROW("attach: reserved UINT32_MAX", ATTACH, EXACT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE, .reserved = UINT32_MAX),
	ROW("attach: length 0", ATTACH, EXACT, BUFFER, EINVAL, .fd = TOYMAP_FD_FILE),
	ROW("attach: length past LLONG_MAX", ATTACH, EXACT, BUFFER, EOVERFLOW,
	    .length = BYTES(OVER_LLONG_MAX), .fd = TOYMAP_FD_FILE),
	ROW("attach: length UINT64_MAX", ATTACH, EXACT, BUFFER, EOVERFLOW,
	    .length = BYTES(UINT64_MAX), .fd = TOYMAP_FD_FILE),
	ROW("attach: offset past LLONG_MAX", ATTACH, EXACT, BUFFER, EOVERFLOW,
	    .offset = BYTES(OVER_LLONG_MAX), .length = PAGES(1), .fd = TOYMAP_FD_FILE),
	ROW("attach: offset UINT64_MAX", ATTACH, EXACT, BUFFER, EOVERFLOW,
	    .offset = BYTES(UINT64_MAX), .length = BYTES(1), .fd = TOYMAP_FD_FILE),
	ROW("attach: offset+length past LLONG_MAX", ATTACH, EXACT, BUFFER, EOVERFLOW,
	    .offset = BYTES(LLONG_MAX), .length = BYTES(1), .fd = TOYMAP_FD_FILE),
	ROW("attach: offset+length wraps to a page", ATTACH, EXACT, BUFFER, EOVERFLOW,
	    .offset = PAGES(2), .length = PAGES(-1), .fd = TOYMAP_FD_FILE),
	ROW("attach: offset+length wraps to 1", ATTACH, EXACT, BUFFER, EOVERFLOW,
	    .offset = BYTES(UINT64_MAX), .length = BYTES(2), .fd = TOYMAP_FD_FILE),
	ROW("attach: fd 1, a pipe", ATTACH, EXACT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_ONE),
	ROW("attach: fd -1", ATTACH, EXACT, BUFFER, EBADF, .length = PAGES(1),
	    .fd = TOYMAP_FD_MINUS_1),
	ROW("attach: fd -2", ATTACH, EXACT, BUFFER, EBADF, .length = PAGES(1),
	    .fd = TOYMAP_FD_MINUS_2),
	ROW("attach: fd INT_MAX", ATTACH, EXACT, BUFFER, EBADF, .length = PAGES(1),
	    .fd = TOYMAP_FD_INT_MAX),
	ROW("attach: fd INT_MIN", ATTACH, EXACT, BUFFER, EBADF, .length = PAGES(1),
	    .fd = TOYMAP_FD_INT_MIN),
	ROW("attach: closed fd", ATTACH, EXACT, BUFFER, EBADF, .length = PAGES(1),
	    .fd = TOYMAP_FD_CLOSED),
	ROW("attach: O_WRONLY fd", ATTACH, EXACT, BUFFER, EBADF, .length = PAGES(1),
	    .fd = TOYMAP_FD_WRONLY),
	ROW("attach: O_PATH fd", ATTACH, EXACT, BUFFER, EBADF, .length = PAGES(1),
	    .fd = TOYMAP_FD_PATH),
	ROW("attach: a directory", ATTACH, EXACT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_DIR),
	ROW("attach: a pipe", ATTACH, EXACT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_PIPE),
	ROW("attach: O_APPEND fd", ATTACH, EXACT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_APPEND),
	ROW("attach: O_DIRECT fd", ATTACH, EXACT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_DIRECT),
	ROW("attach: the object's own device", ATTACH, EXACT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_DEVICE),
	ROW("attach: NULL pointer", ATTACH, EXACT, NULL, EFAULT, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("attach: unmapped pointer", ATTACH, EXACT, UNMAPPED, EFAULT, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("attach: kernel pointer", ATTACH, EXACT, KERNEL, EFAULT, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),
	ROW("attach: tail unmapped", ATTACH, EXACT, TAIL_UNMAPPED, EFAULT, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE),

	ROW("set_swap: exact size", SET_SWAP, EXACT, BUFFER, 0, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: another file", SET_SWAP, EXACT, BUFFER, 0, .fd = TOYMAP_FD_FILE),
	ROW("attach: the swap file", ATTACH, EXACT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_FILE, .needs = TOYMAP_BAD_ORDER),
	ROW("attach: the swap file as fd 0", ATTACH, EXACT, BUFFER, EINVAL, .length = PAGES(1),
	    .fd = TOYMAP_FD_ZERO, .needs = TOYMAP_BAD_ORDER),
	ROW("set_swap: fd -1 drops it", SET_SWAP, EXACT, BUFFER, 0, .fd = TOYMAP_FD_MINUS_1),
	ROW("set_swap: fd -1, none set", SET_SWAP, EXACT, BUFFER, 0, .fd = TOYMAP_FD_MINUS_1),
	ROW("set_swap: fd 0", SET_SWAP, EXACT, BUFFER, 0, .fd = TOYMAP_FD_ZERO),
	ROW("set_swap: size + 1, unaligned", SET_SWAP, UNALIGNED, BUFFER, 0, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: larger, zero tail", SET_SWAP, LONG_ZERO_TAIL, BUFFER, 0,
	    .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: a page, zero tail", SET_SWAP, PAGE, BUFFER, 0, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: unaligned pointer", SET_SWAP, EXACT, UNALIGNED, 0, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: on a read-only page", SET_SWAP, EXACT, READONLY, 0, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: size 0", SET_SWAP, ZERO, BUFFER, EINVAL, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: size 1", SET_SWAP, ONE, BUFFER, EINVAL, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: size below the struct", SET_SWAP, SHORT, BUFFER, EINVAL,
	    .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: larger, non-zero tail", SET_SWAP, LONG_DIRTY_TAIL, BUFFER, EINVAL,
	    .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: a page, last byte not zero", SET_SWAP, PAGE_DIRTY_END, BUFFER, EINVAL,
	    .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: size over a page", SET_SWAP, OVER_PAGE, BUFFER, EINVAL,
	    .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: size UINT32_MAX", SET_SWAP, U32_MAX, BUFFER, EINVAL, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: flags 1", SET_SWAP, EXACT, BUFFER, EINVAL, .flags = 1, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: flags 1<<31", SET_SWAP, EXACT, BUFFER, EINVAL, .flags = 1u << 31,
	    .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: flags UINT32_MAX", SET_SWAP, EXACT, BUFFER, EINVAL, .flags = UINT32_MAX,
	    .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: reserved 1", SET_SWAP, EXACT, BUFFER, EINVAL, .fd = TOYMAP_FD_SWAP,
	    .reserved = 1),
	ROW("set_swap: reserved UINT32_MAX", SET_SWAP, EXACT, BUFFER, EINVAL, .fd = TOYMAP_FD_SWAP,
	    .reserved = UINT32_MAX),
	ROW("set_swap: fd 1, a pipe", SET_SWAP, EXACT, BUFFER, EINVAL, .fd = TOYMAP_FD_ONE),
	ROW("set_swap: fd -2", SET_SWAP, EXACT, BUFFER, EBADF, .fd = TOYMAP_FD_MINUS_2),
	ROW("set_swap: fd INT_MAX", SET_SWAP, EXACT, BUFFER, EBADF, .fd = TOYMAP_FD_INT_MAX),
	ROW("set_swap: fd INT_MIN", SET_SWAP, EXACT, BUFFER, EBADF, .fd = TOYMAP_FD_INT_MIN),
	ROW("set_swap: closed fd", SET_SWAP, EXACT, BUFFER, EBADF, .fd = TOYMAP_FD_CLOSED),
	ROW("set_swap: O_RDONLY fd", SET_SWAP, EXACT, BUFFER, EBADF, .fd = TOYMAP_FD_RDONLY),
	ROW("set_swap: O_WRONLY fd", SET_SWAP, EXACT, BUFFER, EBADF, .fd = TOYMAP_FD_WRONLY),
	ROW("set_swap: O_PATH fd", SET_SWAP, EXACT, BUFFER, EBADF, .fd = TOYMAP_FD_PATH),
	ROW("set_swap: a directory", SET_SWAP, EXACT, BUFFER, EINVAL, .fd = TOYMAP_FD_DIR),
	ROW("set_swap: a pipe", SET_SWAP, EXACT, BUFFER, EINVAL, .fd = TOYMAP_FD_PIPE),
	ROW("set_swap: O_APPEND fd", SET_SWAP, EXACT, BUFFER, EINVAL, .fd = TOYMAP_FD_APPEND),
	ROW("set_swap: O_DIRECT fd", SET_SWAP, EXACT, BUFFER, EINVAL, .fd = TOYMAP_FD_DIRECT),
	ROW("set_swap: the object's own device", SET_SWAP, EXACT, BUFFER, EINVAL,
	    .fd = TOYMAP_FD_DEVICE),
	ROW("set_swap: NULL pointer", SET_SWAP, EXACT, NULL, EFAULT, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: unmapped pointer", SET_SWAP, EXACT, UNMAPPED, EFAULT, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: kernel pointer", SET_SWAP, EXACT, KERNEL, EFAULT, .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: tail unmapped", SET_SWAP, EXACT, TAIL_UNMAPPED, EFAULT,
	    .fd = TOYMAP_FD_SWAP),
	ROW("set_swap: fd -1 drops it again", SET_SWAP, EXACT, BUFFER, 0, .fd = TOYMAP_FD_MINUS_1),

	ROW("evict: one page", EVICT, EXACT, BUFFER, 0, .length = PAGES(1)),
	ROW("evict: whole object", EVICT, EXACT, BUFFER, 0, .length = END(0)),
	ROW("evict: last page", EVICT, EXACT, BUFFER, 0, .offset = END(-1), .length = PAGES(1)),
	ROW("evict: output fields all ones on input", EVICT, EXACT, BUFFER, 0, .length = PAGES(1),
	    .out = UINT64_MAX),
	ROW("evict: size 0", EVICT, ZERO, BUFFER, EINVAL, .length = PAGES(1)),
	ROW("evict: size 1", EVICT, ONE, BUFFER, EINVAL, .length = PAGES(1)),
	ROW("evict: size below the struct", EVICT, SHORT, BUFFER, EINVAL, .length = PAGES(1)),
	ROW("evict: size + 1, unaligned", EVICT, UNALIGNED, BUFFER, 0, .length = PAGES(1)),
	ROW("evict: larger, zero tail", EVICT, LONG_ZERO_TAIL, BUFFER, 0, .length = PAGES(1)),
	ROW("evict: larger, non-zero tail", EVICT, LONG_DIRTY_TAIL, BUFFER, EINVAL,
	    .length = PAGES(1)),
	ROW("evict: a page, zero tail", EVICT, PAGE, BUFFER, 0, .length = PAGES(1)),
	ROW("evict: a page, last byte not zero", EVICT, PAGE_DIRTY_END, BUFFER, EINVAL,
	    .length = PAGES(1)),
	ROW("evict: size over a page", EVICT, OVER_PAGE, BUFFER, EINVAL, .length = PAGES(1)),
	ROW("evict: size UINT32_MAX", EVICT, U32_MAX, BUFFER, EINVAL, .length = PAGES(1)),
	ROW("evict: flags 1", EVICT, EXACT, BUFFER, EINVAL, .flags = 1, .length = PAGES(1)),
	ROW("evict: flags 1<<31", EVICT, EXACT, BUFFER, EINVAL, .flags = 1u << 31,
	    .length = PAGES(1)),
	ROW("evict: flags UINT32_MAX", EVICT, EXACT, BUFFER, EINVAL, .flags = UINT32_MAX,
	    .length = PAGES(1)),
	ROW("evict: offset 1", EVICT, EXACT, BUFFER, EINVAL, .offset = BYTES(1),
	    .length = PAGES(1)),
	ROW("evict: offset a page + 1", EVICT, EXACT, BUFFER, EINVAL, .offset = PAGES_BYTES(1, 1),
	    .length = PAGES(1)),
	ROW("evict: offset UINT64_MAX", EVICT, EXACT, BUFFER, EINVAL, .offset = BYTES(UINT64_MAX),
	    .length = PAGES(1)),
	ROW("evict: offset at the end", EVICT, EXACT, BUFFER, EINVAL, .offset = END(0),
	    .length = PAGES(1)),
	ROW("evict: offset far past the end", EVICT, EXACT, BUFFER, EINVAL, .offset = END(1024),
	    .length = PAGES(1)),
	ROW("evict: length 0", EVICT, EXACT, BUFFER, EINVAL),
	ROW("evict: length 1", EVICT, EXACT, BUFFER, EINVAL, .length = BYTES(1)),
	ROW("evict: length half a page", EVICT, EXACT, BUFFER, EINVAL, .length = HALF_PAGE),
	ROW("evict: length a page + 1", EVICT, EXACT, BUFFER, EINVAL, .length = PAGES_BYTES(1, 1)),
	ROW("evict: length UINT64_MAX", EVICT, EXACT, BUFFER, EINVAL, .length = BYTES(UINT64_MAX)),
	ROW("evict: length past the end", EVICT, EXACT, BUFFER, EINVAL, .length = END(1)),
	ROW("evict: range past the end", EVICT, EXACT, BUFFER, EINVAL, .offset = END(-1),
	    .length = PAGES(2)),
	ROW("evict: offset a page + the whole object", EVICT, EXACT, BUFFER, EINVAL,
	    .offset = PAGES(1), .length = END(0)),
	ROW("evict: offset+length wraps to a page", EVICT, EXACT, BUFFER, EINVAL,
	    .offset = PAGES(2), .length = PAGES(-1)),
	ROW("evict: offset+length wraps to 0", EVICT, EXACT, BUFFER, EINVAL, .offset = PAGES(-1),
	    .length = PAGES(1)),
	ROW("evict: NULL pointer", EVICT, EXACT, NULL, EFAULT, .length = PAGES(1)),
	ROW("evict: unmapped pointer", EVICT, EXACT, UNMAPPED, EFAULT, .length = PAGES(1)),
	ROW("evict: kernel pointer", EVICT, EXACT, KERNEL, EFAULT, .length = PAGES(1)),
	ROW("evict: tail unmapped", EVICT, EXACT, TAIL_UNMAPPED, EFAULT, .length = PAGES(1)),
	ROW("evict: unaligned pointer", EVICT, EXACT, UNALIGNED, 0, .length = PAGES(1)),
	/* The counts cannot be written back (the eviction itself happened). */
	ROW("evict: on a read-only page", EVICT, EXACT, READONLY, EFAULT, .length = PAGES(1),
	    .needs = TOYMAP_BAD_WORKS),

	ROW("lookup: exact size, address 0", LOOKUP, EXACT, BUFFER, 0),
	ROW("lookup: size 0", LOOKUP, ZERO, BUFFER, EINVAL),
	ROW("lookup: size 1", LOOKUP, ONE, BUFFER, EINVAL),
	ROW("lookup: size below the struct", LOOKUP, SHORT, BUFFER, EINVAL),
	ROW("lookup: size + 1, unaligned", LOOKUP, UNALIGNED, BUFFER, 0),
	ROW("lookup: larger, zero tail", LOOKUP, LONG_ZERO_TAIL, BUFFER, 0),
	ROW("lookup: larger, non-zero tail", LOOKUP, LONG_DIRTY_TAIL, BUFFER, EINVAL),
	ROW("lookup: a page, zero tail", LOOKUP, PAGE, BUFFER, 0),
	ROW("lookup: a page, last byte not zero", LOOKUP, PAGE_DIRTY_END, BUFFER, EINVAL),
	ROW("lookup: size over a page", LOOKUP, OVER_PAGE, BUFFER, EINVAL),
	ROW("lookup: size UINT32_MAX", LOOKUP, U32_MAX, BUFFER, EINVAL),
	ROW("lookup: flags 1", LOOKUP, EXACT, BUFFER, EINVAL, .flags = 1),
	ROW("lookup: flags 1<<31", LOOKUP, EXACT, BUFFER, EINVAL, .flags = 1u << 31),
	ROW("lookup: reserved 1", LOOKUP, EXACT, BUFFER, EINVAL, .reserved = 1),
	ROW("lookup: reserved UINT32_MAX", LOOKUP, EXACT, BUFFER, EINVAL, .reserved = UINT32_MAX),
	ROW("lookup: address UINT64_MAX", LOOKUP, EXACT, BUFFER, 0, .offset = BYTES(UINT64_MAX)),
	ROW("lookup: output fields all ones on input", LOOKUP, EXACT, BUFFER, 0,
	    .out = UINT64_MAX),
	ROW("lookup: NULL pointer", LOOKUP, EXACT, NULL, EFAULT),
	ROW("lookup: unmapped pointer", LOOKUP, EXACT, UNMAPPED, EFAULT),
	ROW("lookup: kernel pointer", LOOKUP, EXACT, KERNEL, EFAULT),
	ROW("lookup: tail unmapped", LOOKUP, EXACT, TAIL_UNMAPPED, EFAULT),
	ROW("lookup: unaligned pointer", LOOKUP, EXACT, UNALIGNED, 0),
	ROW("lookup: on a read-only page", LOOKUP, EXACT, READONLY, EFAULT),

	CMD_ROW("unknown: command 0", 0, EXACT, BUFFER, ENOTTY),
	CMD_ROW("unknown: number 0x7f", _IO(TOYMAP_IOC_MAGIC, 0x7f), EXACT, BUFFER, ENOTTY),
	CMD_ROW("unknown: number 0x07", _IOWR(TOYMAP_IOC_MAGIC, 0x07, struct toymap_range), EXACT,
	    BUFFER, ENOTTY),
	CMD_ROW("unknown: another magic", _IOWR(TOYMAP_IOC_MAGIC + 1, 0x00, struct toymap_info),
	    EXACT, BUFFER, ENOTTY),
	CMD_ROW("unknown: info without direction bits", _IO(TOYMAP_IOC_MAGIC, 0x00), EXACT, BUFFER,
	    ENOTTY),
	CMD_ROW("unknown: discard as _IOR", _IOR(TOYMAP_IOC_MAGIC, 0x01, struct toymap_range),
	    EXACT, BUFFER, ENOTTY),

};
const size_t toymap_bad_nrows = sizeof(toymap_bad_rows) / sizeof(toymap_bad_rows[0]);

unsigned int toymap_bad_needs(const struct toymap_bad_row *row)
{
	bool takes_fd = row->cmd == TOYMAP_IOC_ATTACH || row->cmd == TOYMAP_IOC_SET_SWAP;
	unsigned int needs = row->needs;

	if (!row->expect)
		needs |= TOYMAP_BAD_WORKS;
	if (takes_fd && (row->fd == TOYMAP_FD_ZERO || row->fd == TOYMAP_FD_ONE))
		needs |= TOYMAP_BAD_STDIO;
	if (takes_fd && row->fd == TOYMAP_FD_DIRECT)
		needs |= TOYMAP_BAD_DIRECT;
	return needs;
}

size_t toymap_bad_struct_size(unsigned long cmd)
{
	switch (cmd) {
	case TOYMAP_IOC_DISCARD:
		return sizeof(struct toymap_range);
	case TOYMAP_IOC_ATTACH:
		return sizeof(struct toymap_attach);
	case TOYMAP_IOC_DETACH:
		return sizeof(struct toymap_detach);
	case TOYMAP_IOC_SET_SWAP:
		return sizeof(struct toymap_swap);
	case TOYMAP_IOC_EVICT:
		return sizeof(struct toymap_evict);
	case TOYMAP_IOC_LOOKUP:
		return sizeof(struct toymap_lookup);
	default:
		return sizeof(struct toymap_info);
	}
}

uint64_t toymap_bad_value(const struct toymap_bad_value *value, uint64_t page, uint64_t end)
{
	return (uint64_t)(int64_t)value->half_pages * (page / 2) +
	       (uint64_t)(int64_t)value->ends * end + value->bytes;
}

/* The smallest size the kernel accepts: the first published layout. */
static size_t min_size(unsigned long cmd)
{
	return cmd == TOYMAP_IOC_INFO ? TOYMAP_INFO_SIZE_VER0 : toymap_bad_struct_size(cmd);
}

static uint32_t size_field(unsigned long cmd, enum toymap_bad_size size, size_t len, size_t page)
{
	switch (size) {
	case TOYMAP_SIZE_ZERO:
		return 0;
	case TOYMAP_SIZE_ONE:
		return 1;
	case TOYMAP_SIZE_SHORT:
		return min_size(cmd) - 4;
	case TOYMAP_SIZE_FIRST:
		return min_size(cmd);
	case TOYMAP_SIZE_UNALIGNED:
		return min_size(cmd) + 1;
	case TOYMAP_SIZE_LONG_ZERO_TAIL:
	case TOYMAP_SIZE_LONG_DIRTY_TAIL:
		return len + 8;
	case TOYMAP_SIZE_PAGE:
	case TOYMAP_SIZE_PAGE_DIRTY_END:
		return page;
	case TOYMAP_SIZE_OVER_PAGE:
		return page + 8;
	case TOYMAP_SIZE_U32_MAX:
		return UINT32_MAX;
	default:
		return len;
	}
}

/* Any of the ioctl arguments, each starting with its size. */
union bad_arg {
	uint32_t size;
	struct toymap_info info;
	struct toymap_range range;
	struct toymap_attach attach;
	struct toymap_detach detach;
	struct toymap_swap swap;
	struct toymap_evict evict;
	struct toymap_lookup lookup;
};

/* The struct of @row, its size field aside. */
static void fill_arg(union bad_arg *a, const struct toymap_bad_row *row,
		     const struct toymap_bad_target *t, uint64_t page)
{
	uint64_t offset = toymap_bad_value(&row->offset, page, t->end);
	uint64_t length = toymap_bad_value(&row->length, page, t->end);
	int fd = row->fd == TOYMAP_FD_DEVICE ? t->device_fd : t->fds->fd[row->fd];

	memset(a, 0, sizeof(*a));
	switch (row->cmd) {
	case TOYMAP_IOC_DISCARD:
		a->range = (struct toymap_range){ .flags = row->flags, .offset = offset,
						  .length = length };
		break;
	case TOYMAP_IOC_ATTACH:
		a->attach = (struct toymap_attach){ .flags = row->flags, .fd = fd,
						    .reserved = row->reserved, .offset = offset,
						    .length = length };
		break;
	case TOYMAP_IOC_DETACH:
		a->detach = (struct toymap_detach){ .flags = row->flags };
		break;
	case TOYMAP_IOC_SET_SWAP:
		a->swap = (struct toymap_swap){ .flags = row->flags, .fd = fd,
						.reserved = row->reserved };
		break;
	case TOYMAP_IOC_EVICT:
		a->evict = (struct toymap_evict){ .flags = row->flags, .offset = offset,
						  .length = length, .dropped = row->out,
						  .written_back = row->out,
						  .swapped_out = row->out, .kept = row->out };
		break;
	case TOYMAP_IOC_LOOKUP:
		a->lookup = (struct toymap_lookup){ .flags = row->flags, .addr = offset,
						    .reserved = row->reserved,
						    .kind = (uint32_t)row->out,
						    .index = (uint32_t)row->out, .pgoff = row->out,
						    .frame = row->out, .mapped = (uint32_t)row->out };
		break;
	default:	/* toymap_info, also for unknown commands */
		memset(&a->info, row->out ? 0xff : 0, sizeof(a->info));
		break;
	}
}

int toymap_bad_arg(const struct toymap_bad_row *row, const struct toymap_bad_target *t,
		   void **arg)
{
	size_t page = (size_t)toymap_page_size(), len = toymap_bad_struct_size(row->cmd);
	uint32_t size = size_field(row->cmd, row->size, len, page);
	char *readonly = t->buf + 3 * page, *p = t->buf;
	union bad_arg a;

	memset(t->buf, 0, 2 * page);
	switch (row->place) {
	case TOYMAP_ARG_NULL:
		*arg = NULL;
		return 0;
	case TOYMAP_ARG_UNMAPPED:
		*arg = t->buf + 2 * page;
		return 0;
	case TOYMAP_ARG_KERNEL:
		*arg = (void *)KERNEL_ADDRESS;
		return 0;
	case TOYMAP_ARG_TAIL_UNMAPPED:
		p = t->buf + 2 * page - len;
		size = len + 8;
		break;
	case TOYMAP_ARG_UNALIGNED:
		p = t->buf + 1;
		break;
	case TOYMAP_ARG_READONLY:
		if (mprotect(readonly, page, PROT_READ | PROT_WRITE))
			return -errno;
		p = readonly;
		memset(p, 0, page);
		break;
	case TOYMAP_ARG_BUFFER:
		break;
	}
	if (row->size == TOYMAP_SIZE_LONG_DIRTY_TAIL)
		p[len + 3] = 1;
	if (row->size == TOYMAP_SIZE_PAGE_DIRTY_END)
		p[page - 1] = 1;
	fill_arg(&a, row, t, page);
	a.size = size;
	memcpy(p, &a, len);
	if (row->place == TOYMAP_ARG_READONLY && mprotect(readonly, page, PROT_READ))
		return -errno;
	*arg = p;
	return 0;
}

char *toymap_bad_buf(void)
{
	size_t page = (size_t)toymap_page_size();
	char *buf = mmap(NULL, TOYMAP_BAD_BUF_PAGES * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (buf == MAP_FAILED)
		return NULL;
	if (!mprotect(buf + 2 * page, page, PROT_NONE) &&
	    !mprotect(buf + 3 * page, page, PROT_READ))
		return buf;
	err = errno;
	munmap(buf, TOYMAP_BAD_BUF_PAGES * page);
	errno = err;
	return NULL;
}

void toymap_bad_buf_free(char *buf)
{
	if (buf)
		munmap(buf, TOYMAP_BAD_BUF_PAGES * (size_t)toymap_page_size());
}

int toymap_open_direct(const char *tag)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	const char *dirs[2] = { toymap_temp_dir(), exe };
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int fd, err = -ENOENT;

	exe[n > 0 ? n : 0] = 0;
	if (strrchr(exe, '/'))
		*strrchr(exe, '/') = 0;
	for (unsigned int k = 0; k < 2; k++) {
		if (!dirs[k][0])
			continue;
		snprintf(path, sizeof(path), "%s/toymap-%s.XXXXXX", dirs[k], tag);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		close(fd);
		fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
		err = fd < 0 ? -errno : 0;
		unlink(path);
		if (fd >= 0)
			return fd;
	}
	return err;
}

/* The regular files: the first by name, opened again in every mode, and the second. */
static int open_files(struct toymap_bad_fds *f, const char *tag)
{
	static const struct { enum toymap_bad_fd kind; int flags; } again[] = {
		{ TOYMAP_FD_RDONLY, O_RDONLY }, { TOYMAP_FD_WRONLY, O_WRONLY },
		{ TOYMAP_FD_APPEND, O_RDWR | O_APPEND }, { TOYMAP_FD_PATH, O_PATH },
	};
	char path[PATH_MAX];
	int err = 0;

	f->fd[TOYMAP_FD_FILE] = toymap_temp_file(tag, path, sizeof(path));
	if (f->fd[TOYMAP_FD_FILE] < 0)
		return f->fd[TOYMAP_FD_FILE];
	for (unsigned int k = 0; k < sizeof(again) / sizeof(again[0]) && !err; k++) {
		f->fd[again[k].kind] = open(path, again[k].flags | O_CLOEXEC);
		if (f->fd[again[k].kind] < 0)
			err = -errno;
	}
	unlink(path);
	if (!err)
		f->fd[TOYMAP_FD_SWAP] = toymap_temp_file(tag, NULL, 0);
	return err ? err : f->fd[TOYMAP_FD_SWAP] < 0 ? f->fd[TOYMAP_FD_SWAP] : 0;
}

/* Numbers 0 and 1 become the first file and the pipe; the old ones are saved. */
static int borrow_stdio(struct toymap_bad_fds *f)
{
	fflush(stdout);
	f->saved[0] = fcntl(0, F_DUPFD_CLOEXEC, 3);
	f->saved[1] = fcntl(1, F_DUPFD_CLOEXEC, 3);
	f->made |= TOYMAP_BAD_STDIO;
	if (dup2(f->fd[TOYMAP_FD_FILE], 0) < 0 || dup2(f->pipe[0], 1) < 0)
		return -errno;
	return 0;
}

int toymap_bad_fds_open(struct toymap_bad_fds *f, const char *tag, unsigned int want)
{
	int err, closed = -1;

	for (unsigned int k = 0; k < TOYMAP_NR_FDS; k++)
		f->fd[k] = -1;
	f->pipe[0] = f->pipe[1] = f->saved[0] = f->saved[1] = -1;
	f->made = 0;
	err = open_files(f, tag);
	if (!err) {
		f->fd[TOYMAP_FD_DIR] = open(toymap_temp_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (f->fd[TOYMAP_FD_DIR] < 0 || pipe2(f->pipe, O_CLOEXEC))
			err = -errno;
	}
	/* Far above the lowest free numbers that later opens take. */
	if (!err) {
		closed = fcntl(f->fd[TOYMAP_FD_DIR], F_DUPFD_CLOEXEC, CLOSED_FD_MIN);
		if (closed < 0)
			err = -errno;
		else
			close(closed);
	}
	f->fd[TOYMAP_FD_PIPE] = f->pipe[0];
	f->fd[TOYMAP_FD_ZERO] = 0;
	f->fd[TOYMAP_FD_ONE] = 1;
	f->fd[TOYMAP_FD_CLOSED] = closed;
	f->fd[TOYMAP_FD_MINUS_1] = -1;
	f->fd[TOYMAP_FD_MINUS_2] = -2;
	f->fd[TOYMAP_FD_INT_MAX] = INT_MAX;
	f->fd[TOYMAP_FD_INT_MIN] = INT_MIN;
	if (!err && (want & TOYMAP_BAD_STDIO))
		err = borrow_stdio(f);
	if (!err && (want & TOYMAP_BAD_DIRECT)) {
		f->fd[TOYMAP_FD_DIRECT] = toymap_open_direct(tag);
		if (f->fd[TOYMAP_FD_DIRECT] >= 0)
			f->made |= TOYMAP_BAD_DIRECT;
		else
			f->fd[TOYMAP_FD_DIRECT] = -1;
	}
	if (err) {
		toymap_bad_fds_close(f);
		errno = -err;
	}
	return err;
}

void toymap_bad_fds_close(struct toymap_bad_fds *f)
{
	static const enum toymap_bad_fd own[] = {
		TOYMAP_FD_FILE, TOYMAP_FD_SWAP, TOYMAP_FD_RDONLY, TOYMAP_FD_WRONLY,
		TOYMAP_FD_APPEND, TOYMAP_FD_PATH, TOYMAP_FD_DIR, TOYMAP_FD_DIRECT,
	};

	for (int n = 0; n < 2 && (f->made & TOYMAP_BAD_STDIO); n++) {
		if (f->saved[n] >= 0) {
			dup2(f->saved[n], n);
			close(f->saved[n]);
		} else {
			close(n);
		}
	}
	for (unsigned int k = 0; k < sizeof(own) / sizeof(own[0]); k++)
		if (f->fd[own[k]] >= 0)
			close(f->fd[own[k]]);
	for (int i = 0; i < 2; i++)
		if (f->pipe[i] >= 0)
			close(f->pipe[i]);
	for (unsigned int k = 0; k < TOYMAP_NR_FDS; k++)
		f->fd[k] = -1;
	f->pipe[0] = f->pipe[1] = -1;
	f->made = 0;
}
