/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toymap_badinput: the one table of ioctl inputs and the errno each must
 * get, for the selftests (which run it in order on every object) and the
 * stress (which picks its bad rows at random among other threads' work).
 *
 * A row names the command, how the struct's size field is filled, where the
 * argument lies, the value of each field (offsets and lengths in pages and
 * object sizes, descriptors by kind) and the one errno the module must
 * answer (0: the call succeeds).  toymap_bad_arg() lays the argument out;
 * the caller issues the ioctl and compares.  Nothing here prints or asserts.
 */
#ifndef TOYMAP_BADINPUT_H
#define TOYMAP_BADINPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a row fills the struct's size field. */
enum toymap_bad_size {
	TOYMAP_SIZE_EXACT,		/* sizeof the struct */
	TOYMAP_SIZE_ZERO,
	TOYMAP_SIZE_ONE,
	TOYMAP_SIZE_SHORT,		/* 4 bytes less than the first published size */
	TOYMAP_SIZE_FIRST,		/* the first published size (TOYMAP_INFO_SIZE_VER0) */
	TOYMAP_SIZE_UNALIGNED,		/* the first published size + 1, that byte zero */
	TOYMAP_SIZE_LONG_ZERO_TAIL,	/* 8 bytes more, all zero */
	TOYMAP_SIZE_LONG_DIRTY_TAIL,	/* 8 bytes more, one of them not zero */
	TOYMAP_SIZE_PAGE,		/* a page, zero past the struct */
	TOYMAP_SIZE_PAGE_DIRTY_END,	/* a page, its last byte not zero */
	TOYMAP_SIZE_OVER_PAGE,		/* a page and 8 bytes, all zero */
	TOYMAP_SIZE_U32_MAX,		/* UINT32_MAX */
};

/*
 * Where a row puts the argument, in a buffer from toymap_bad_buf():
 * TOYMAP_BAD_BUF_PAGES pages, two writable, one PROT_NONE, one PROT_READ.
 */
#define TOYMAP_BAD_BUF_PAGES	4
enum toymap_bad_place {
	TOYMAP_ARG_BUFFER,		/* at the start of the two writable pages */
	TOYMAP_ARG_NULL,
	TOYMAP_ARG_UNMAPPED,		/* on the PROT_NONE page */
	TOYMAP_ARG_KERNEL,		/* an x86-64 kernel text address */
	TOYMAP_ARG_TAIL_UNMAPPED,	/* the struct fits, its larger size runs into PROT_NONE */
	TOYMAP_ARG_UNALIGNED,		/* one byte into the writable pages */
	TOYMAP_ARG_READONLY,		/* on the PROT_READ page: readable, not writable */
};

/* The descriptor a row puts in an fd field (toymap_attach, toymap_swap). */
enum toymap_bad_fd {
	TOYMAP_FD_FILE,			/* a regular file, O_RDWR */
	TOYMAP_FD_SWAP,			/* another regular file, O_RDWR */
	TOYMAP_FD_RDONLY,		/* the first file again, O_RDONLY */
	TOYMAP_FD_WRONLY,		/* ... O_WRONLY */
	TOYMAP_FD_APPEND,		/* ... O_RDWR | O_APPEND */
	TOYMAP_FD_PATH,			/* ... O_PATH: fget() sees no file */
	TOYMAP_FD_DIR,			/* a directory, O_RDONLY */
	TOYMAP_FD_PIPE,			/* the read end of a pipe */
	TOYMAP_FD_DEVICE,		/* the object's own /dev/toymapN */
	TOYMAP_FD_ZERO,			/* number 0, the first file (TOYMAP_BAD_STDIO) */
	TOYMAP_FD_ONE,			/* number 1, the pipe (TOYMAP_BAD_STDIO) */
	TOYMAP_FD_CLOSED,		/* a number no descriptor has */
	TOYMAP_FD_MINUS_1,		/* -1 */
	TOYMAP_FD_MINUS_2,		/* -2 */
	TOYMAP_FD_INT_MAX,
	TOYMAP_FD_INT_MIN,
	TOYMAP_FD_DIRECT,		/* a regular file, O_RDWR | O_DIRECT (TOYMAP_BAD_DIRECT) */
	TOYMAP_NR_FDS
};

/*
 * An offset or length of a row, modulo 2^64: @half_pages half pages, plus
 * @ends times the object's size, plus @bytes.  -2 half pages is -page.
 */
struct toymap_bad_value {
	int32_t half_pages;
	int32_t ends;
	uint64_t bytes;
};

/*
 * What a row needs of the program that runs it (toymap_bad_needs()); a
 * program skips the rows that need what it does not do or have.
 * TOYMAP_BAD_ORDER	the errno holds only after the rows before it, run in
 *			order on an object of its own: they attach a file, set a
 *			swap file, or leave nothing attached
 * TOYMAP_BAD_WORKS	the call does its work: it succeeds (and may change the
 *			object), or it fails only after it (EVICT that cannot
 *			write its counts back)
 * TOYMAP_BAD_STDIO	descriptor 0 or 1, which toymap_bad_fds_open() made
 *			the table's file and pipe
 * TOYMAP_BAD_DIRECT	an O_DIRECT file, which toymap_bad_fds_open() made
 */
#define TOYMAP_BAD_ORDER	0x1u
#define TOYMAP_BAD_WORKS	0x2u
#define TOYMAP_BAD_STDIO	0x4u
#define TOYMAP_BAD_DIRECT	0x8u

/**
 * struct toymap_bad_row - one ioctl input and the errno it must get
 * @name:	"ioctl: what is bad", for reports
 * @cmd:	the command
 * @size:	how the size field is filled
 * @place:	where the argument lies
 * @expect:	the one errno; 0 when the call succeeds
 * @needs:	TOYMAP_BAD_ORDER, TOYMAP_BAD_WORKS where the row's fields do
 *		not say so (toymap_bad_needs() adds the rest)
 * @flags:	every struct but toymap_info
 * @offset:	toymap_range, toymap_evict, toymap_attach; toymap_lookup's addr
 * @length:	the same
 * @fd:		toymap_attach, toymap_swap
 * @reserved:	the same, and toymap_lookup
 * @out:	put in every output field on input (info, the evict counts,
 *		lookup's answer)
 */
struct toymap_bad_row {
	const char *name;
	unsigned long cmd;
	enum toymap_bad_size size;
	enum toymap_bad_place place;
	int expect;
	unsigned int needs;
	uint32_t flags;
	struct toymap_bad_value offset;
	struct toymap_bad_value length;
	enum toymap_bad_fd fd;
	uint32_t reserved;
	uint64_t out;
};

/* The rows, in the order the selftests run them on each object. */
extern const struct toymap_bad_row toymap_bad_rows[];
extern const size_t toymap_bad_nrows;

/* TOYMAP_BAD_* that @row needs: its @needs, and what its fields imply. */
unsigned int toymap_bad_needs(const struct toymap_bad_row *row);
/* The struct @cmd takes (toymap_info for an unknown command): its size. */
size_t toymap_bad_struct_size(unsigned long cmd);
/* @value for pages of @page bytes and an object of @end bytes. */
uint64_t toymap_bad_value(const struct toymap_bad_value *value, uint64_t page, uint64_t end);

/**
 * struct toymap_bad_fds - the descriptors of enum toymap_bad_fd
 * @fd:		one per kind; TOYMAP_FD_DEVICE is the caller's (struct
 *		toymap_bad_target), TOYMAP_FD_DIRECT -1 unless made
 * @made:	TOYMAP_BAD_STDIO, TOYMAP_BAD_DIRECT: what was made of what
 *		toymap_bad_fds_open() was asked
 * @pipe:	the pipe behind TOYMAP_FD_PIPE
 * @saved:	with TOYMAP_BAD_STDIO, descriptors 0 and 1 as they were (-1: closed)
 */
struct toymap_bad_fds {
	int fd[TOYMAP_NR_FDS];
	unsigned int made;
	int pipe[2];
	int saved[2];
};

/*
 * Make the descriptors: two regular files "toymap-@tag.XXXXXX" in
 * $TMPDIR (unlinked), the first opened again O_RDONLY, O_WRONLY, O_APPEND
 * and O_PATH, $TMPDIR itself, a pipe, a closed number.  @want may ask for
 * TOYMAP_BAD_STDIO: numbers 0 and 1 become the first file and the pipe
 * until toymap_bad_fds_close() (not in a program that uses stdin or stdout
 * meanwhile); and TOYMAP_BAD_DIRECT: an O_DIRECT file, made where one can
 * be (toymap_open_direct()), left out otherwise.  0 or -errno; on failure
 * what was made is closed.
 */
int toymap_bad_fds_open(struct toymap_bad_fds *f, const char *tag, unsigned int want);
void toymap_bad_fds_close(struct toymap_bad_fds *f);

/*
 * A regular file "toymap-@tag.XXXXXX" open O_RDWR | O_DIRECT, already
 * unlinked: in $TMPDIR, or where tmpfs has no O_DIRECT (before 6.6) in
 * the folder of this program.  fd or -errno.
 */
int toymap_open_direct(const char *tag);

/* The buffer for the arguments (TOYMAP_BAD_BUF_PAGES pages), or NULL (errno set). */
char *toymap_bad_buf(void);
void toymap_bad_buf_free(char *buf);

/**
 * struct toymap_bad_target - where and for which object an argument is laid out
 * @buf:	from toymap_bad_buf(), of this thread alone
 * @fds:	the descriptors
 * @device_fd:	the object's own device, for TOYMAP_FD_DEVICE
 * @end:	the object's size in bytes
 */
struct toymap_bad_target {
	char *buf;
	const struct toymap_bad_fds *fds;
	int device_fd;
	uint64_t end;
};

/*
 * Lay out the argument of @row in @t->buf; *@arg is what to pass to the
 * ioctl (NULL or an address that faults for some places).  0 or -errno (a
 * page's protection could not be changed).
 */
int toymap_bad_arg(const struct toymap_bad_row *row, const struct toymap_bad_target *t,
		   void **arg);

#endif /* TOYMAP_BADINPUT_H */
