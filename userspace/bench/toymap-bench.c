// SPDX-License-Identifier: GPL-2.0
/*
 * toymap-bench - what a page of a toymap object costs, against the kernel's
 * own memory measured in the same boot.  How a case is measured: bench.h;
 * how to read the table: README.md, "Benchmark".
 *
 * As root, with the module loaded (two objects; make bench loads it with
 * size=1G).  Progress goes to stderr; the Markdown table, its notes and what
 * could not be measured here go to stdout, and with --csv the same rows to a
 * CSV file.  Exit status: 0 done, 1 a measurement failed (the message says
 * which), 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "libtoymap.h"

#define EXIT_USAGE	2
#define MAX_ROWS	128
#define MAX_LINES	64
#define MIB		(1UL << 20)

static const struct bench_case *const cases[] = {
	&bench_first_write, &bench_large_folios, &bench_first_read, &bench_resident_read, &bench_cow_after_read,
	&bench_private_write, &bench_fork, &bench_file_read, &bench_mmapcopy, &bench_msync,
	&bench_evict, &bench_space, &bench_populate, &bench_scaling, &bench_tracing,
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* Sizes of a full run and of --short (make check: correctness only). */
struct bench_sizes {
	int rounds;
	size_t pages, file_bytes, trace_pages, space_bytes;
};
static const struct bench_sizes full_sizes = { 7, 4096, 64 * MIB, 1024, 1024 * MIB };
static const struct bench_sizes short_sizes = { 3, 64, 1 * MIB, 8, 16 * MIB };

static const char usage_text[] =
	"usage: toymap-bench [--short] [--rounds N] [--pages N] [--only WORD] [--csv FILE]\n"
	"                    [--label NAME] [--kernel-swap] [--list]\n"
	"\n"
	"Measures what a page of /dev/toymap0 and /dev/toymap1 costs against the kernel's\n"
	"own memory (anonymous, memfd, tmpfs, swap), every case a round at a time, and\n"
	"prints a Markdown table: the median and min-max of each, and the median of\n"
	"the per-round ratios. As root, with the module loaded (best with size=1G).\n"
	"\n"
	"  --short        few pages, 3 rounds: proves the bench works (make check)\n"
	"  --rounds N     rounds after the warm-up (default 7)\n"
	"  --pages N      pages a fault case touches (default 4096)\n"
	"  --only WORD    only the cases whose name contains WORD\n"
	"  --csv FILE     the rows as CSV too\n"
	"  --label NAME   the kernel's name in the CSV (default $TOYMAP_KERNEL or uname -r)\n"
	"  --kernel-swap  the EVICT case's reference: swap on a RAM disk (brd) for its\n"
	"                 duration (in a test guest; it changes the machine's swap)\n"
	"  --list         print the cases and what each measures\n";

/* What one variant measured over the rounds. */
struct variant_result {
	double values[BENCH_MAX_ROUNDS];
	double faults[BENCH_MAX_ROUNDS];
	int n;
	bool unavailable;
	char why[BENCH_NOTE_LEN];
	char note[BENCH_NOTE_LEN];
};

struct stats {
	double median, min, max;
};

/* A row of the table. */
struct row {
	const struct bench_case *bcase;
	const struct bench_comparison *cmp;
	const struct bench_variant *subject, *reference;
	struct stats s, r, ratio;
	double fault_calls;	/* the subject's median, or -1 */
};

static struct row rows[MAX_ROWS];
static int nrows;
static char *notes[MAX_LINES], *missing[MAX_LINES];
static int nnotes, nmissing;

static void add_line(char **lines, int *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_line(char **lines, int *n, const char *fmt, ...)
{
	va_list ap;

	if (*n >= MAX_LINES)
		return;
	va_start(ap, fmt);
	if (vasprintf(&lines[*n], fmt, ap) >= 0)
		(*n)++;
	va_end(ap);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct stats stats_of(const double *values, int n)
{
	double sorted[BENCH_MAX_ROUNDS];

	memcpy(sorted, values, n * sizeof(double));
	qsort(sorted, n, sizeof(double), cmp_double);
	return (struct stats){
		.median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
		.min = sorted[0],
		.max = sorted[n - 1],
	};
}

static const struct bench_variant *find_variant(const struct bench_case *bc, const char *key, int *index)
{
	int i;

	for (i = 0; i < BENCH_MAX_VARIANTS && bc->variants[i].key; i++) {
		if (!strcmp(bc->variants[i].key, key)) {
			*index = i;
			return &bc->variants[i];
		}
	}
	return NULL;
}

static int nvariants(const struct bench_case *bc)
{
	int n = 0;

	while (n < BENCH_MAX_VARIANTS && bc->variants[n].key)
		n++;
	return n;
}

/* The table rows and notes of a case once its rounds are done. */
static void add_rows(const struct bench_case *bc, const struct variant_result *res)
{
	const struct bench_comparison *cmp;
	double ratios[BENCH_MAX_ROUNDS];
	int i, k, si = 0, ri = 0;

	for (k = 0; k < nvariants(bc); k++)
		if (res[k].note[0])
			add_line(notes, &nnotes, "%s, %s: %s", bc->name, bc->variants[k].name, res[k].note);
	for (cmp = bc->comparisons; cmp < bc->comparisons + BENCH_MAX_COMPARISONS && cmp->subject; cmp++) {
		struct row *row = &rows[nrows];

		row->subject = find_variant(bc, cmp->subject, &si);
		row->reference = find_variant(bc, cmp->reference, &ri);
		if (res[si].unavailable || res[ri].unavailable) {
			add_line(missing, &nmissing, "%s, %s / %s: %s", bc->name, row->subject->name,
				 row->reference->name, res[si].unavailable ? res[si].why : res[ri].why);
			continue;
		}
		for (i = 0; i < res[ri].n && res[ri].values[i] > 0; i++)
			ratios[i] = res[si].values[i] / res[ri].values[i];
		if (i < res[ri].n) {
			add_line(missing, &nmissing, "%s, %s: measured 0, no ratio", bc->name,
				 row->reference->name);
			continue;
		}
		if (nrows >= MAX_ROWS)
			break;
		row->bcase = bc;
		row->cmp = cmp;
		row->s = stats_of(res[si].values, res[si].n);
		row->r = stats_of(res[ri].values, res[ri].n);
		row->ratio = stats_of(ratios, res[si].n);
		row->fault_calls = res[si].faults[0] < 0 ? -1 : stats_of(res[si].faults, res[si].n).median;
		nrows++;
	}
}

/* Mark every variant of @res unavailable for ctx->why. */
static void all_unavailable(const struct bench_ctx *ctx, struct variant_result *res, int n)
{
	int k;

	for (k = 0; k < n; k++) {
		res[k].unavailable = true;
		snprintf(res[k].why, sizeof(res[k].why), "%s", ctx->why);
	}
}

/* Record @value (and @faults, @note if any) as variant @k's measurement of this round. */
static void record(struct variant_result *res, int k, double value, double faults, const char *note)
{
	res[k].values[res[k].n] = value;
	res[k].faults[res[k].n++] = faults;
	if (note && note[0])
		snprintf(res[k].note, sizeof(res[k].note), "%s", note);
}

/* One round: each variant once, in reverse order every other round. */
static int run_round(struct bench_ctx *ctx, const struct bench_case *bc, struct variant_result *res,
		     int round)
{
	int n = nvariants(bc), i, k, also, err;
	struct bench_sample sample;

	for (i = 0; i < n; i++) {
		k = round % 2 ? n - 1 - i : i;
		if (res[k].unavailable || !bc->variants[k].measure)
			continue;
		ctx->why[0] = ctx->note[0] = '\0';
		sample = (struct bench_sample){ .fault_calls = -1 };
		err = bc->variants[k].measure(ctx, bc->variants[k].arg, &sample);
		if (err < 0) {
			fprintf(stderr, "\ntoymap-bench: %s, %s: %s\n", bc->name, bc->variants[k].name, ctx->why);
			return err;
		}
		also = k;
		if (bc->variants[k].also)
			find_variant(bc, bc->variants[k].also, &also);
		if (err == BENCH_UNAVAILABLE) {
			res[k].unavailable = res[also].unavailable = true;
			snprintf(res[k].why, sizeof(res[k].why), "%s", ctx->why);
			snprintf(res[also].why, sizeof(res[also].why), "%s", ctx->why);
		} else if (round >= 0) {
			record(res, k, sample.value, sample.fault_calls, ctx->note);
			if (also != k)
				record(res, also, sample.also, -1, NULL);
		}
	}
	return 0;
}

/*
 * Run one case: setup, a warm-up round (not counted), ctx->rounds rounds,
 * teardown; progress on stderr.  0, or -errno when something failed.
 */
static int run_case(struct bench_ctx *ctx, const struct bench_case *bc, int number, int total)
{
	struct variant_result res[BENCH_MAX_VARIANTS];
	uint64_t start = bench_now_ns();
	int round, err = 0;

	memset(res, 0, sizeof(res));
	ctx->memfd = ctx->file_fd = ctx->swap_fd = -1;
	ctx->why[0] = '\0';
	fprintf(stderr, "toymap-bench: [%2d/%d] %-20s ", number, total, bc->name);
	if (bc->setup)
		err = bc->setup(ctx);
	if (err < 0)
		fprintf(stderr, "\ntoymap-bench: %s: setup: %s\n", bc->name, ctx->why);
	if (err == BENCH_UNAVAILABLE) {
		all_unavailable(ctx, res, nvariants(bc));
		fprintf(stderr, "not measured here: %s", ctx->why);
		err = 0;
	} else {
		for (round = -1; round < ctx->rounds && !err; round++) {
			err = run_round(ctx, bc, res, round);
			fputc(round < 0 ? 'w' : '.', stderr);
			fflush(stderr);
		}
	}
	if (bc->teardown)
		bc->teardown(ctx);
	if (ctx->memfd >= 0)
		close(ctx->memfd);
	if (err)
		return err;
	fprintf(stderr, " %.1f s\n", (double)(bench_now_ns() - start) / 1e9);
	add_rows(bc, res);
	return 0;
}

static const char *unit_name(enum bench_unit unit)
{
	static const char *const names[] = {
		[BENCH_NS_PER_PAGE] = "ns/page", [BENCH_PAGES_PER_S] = "pages/s",
		[BENCH_MIB_PER_S] = "MiB/s", [BENCH_BYTES] = "MiB",
	};
	return names[unit];
}

/* A value in its unit as the table prints it. */
static const char *fmt_value(char *buf, size_t len, enum bench_unit unit, double v)
{
	snprintf(buf, len, unit == BENCH_MIB_PER_S ? "%.1f" : unit == BENCH_BYTES ? "%.2f" : "%.0f", v);
	return buf;
}

static const char *fmt_stats(char *buf, size_t len, enum bench_unit unit, const struct stats *st)
{
	char a[32], b[32], c[32];

	snprintf(buf, len, "%s (%s-%s)", fmt_value(a, sizeof(a), unit, st->median),
		 fmt_value(b, sizeof(b), unit, st->min), fmt_value(c, sizeof(c), unit, st->max));
	return buf;
}

static const char *fmt_target(char *buf, size_t len, const struct bench_comparison *cmp)
{
	if (!cmp->op)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%s %.2f", cmp->op == '<' ? "<=" : ">=", cmp->target);
	return buf;
}

static const char *met(const struct row *row)
{
	if (!row->cmp->op)
		return "";
	if (row->cmp->op == '<')
		return row->ratio.median <= row->cmp->target ? "yes" : "no";
	return row->ratio.median >= row->cmp->target ? "yes" : "no";
}

static void print_table(const struct bench_ctx *ctx, const char *label)
{
	char s[128], r[128], t[32], f[32];
	int i;

	printf("\n## toymap-bench: %s\n\n", label);
	printf("%d CPUs, %zu-byte pages, %d rounds after a warm-up; %zu pages a fault case, "
	       "a %zu MiB file, a %llu MiB sparse object\n\n", ctx->cpus, ctx->page, ctx->rounds,
	       ctx->pages, ctx->file_pages * ctx->page / MIB, (unsigned long long)(ctx->space_size / MIB));
	printf("| case | subject | reference | unit | subject median (min-max) | reference median (min-max) "
	       "| ratio | ratio min-max | target | met | .fault/page |\n");
	printf("|---|---|---|---|--:|--:|--:|--:|---|---|--:|\n");
	for (i = 0; i < nrows; i++) {
		const struct row *row = &rows[i];
		enum bench_unit unit = row->subject->unit;

		snprintf(f, sizeof(f), row->fault_calls < 0 ? "-" : "%.3f", row->fault_calls);
		printf("| %s | %s | %s | %s | %s | %s | %.2f | %.2f-%.2f | %s | %s | %s |\n",
		       row->bcase->name, row->subject->name, row->reference->name, unit_name(unit),
		       fmt_stats(s, sizeof(s), unit, &row->s), fmt_stats(r, sizeof(r), unit, &row->r),
		       row->ratio.median, row->ratio.min, row->ratio.max,
		       fmt_target(t, sizeof(t), row->cmp), met(row), f);
	}
	if (nnotes) {
		printf("\nNotes:\n");
		for (i = 0; i < nnotes; i++)
			printf("- %s\n", notes[i]);
	}
	if (nmissing) {
		printf("\nNot measured here:\n");
		for (i = 0; i < nmissing; i++)
			printf("- %s\n", missing[i]);
	}
}

/* Text for a CSV field: a comma or a quote becomes ';' (scripts/bench.sh splits at commas). */
static const char *csv_text(char *buf, size_t len, const char *text)
{
	size_t i;

	snprintf(buf, len, "%s", text);
	for (i = 0; buf[i]; i++)
		if (buf[i] == ',' || buf[i] == '"')
			buf[i] = ';';
	return buf;
}

static int write_csv(const char *path, const char *label, int rounds)
{
	char a[128], b[128], c[128], d[128], e[128], g[128], h[128], t[32];
	FILE *f = fopen(path, "we");
	int i;

	if (!f)
		return -errno;
	fprintf(f, "kernel,case,subject,reference,unit,rounds,subject_median,subject_min,subject_max,"
		"reference_median,reference_min,reference_max,ratio,ratio_min,ratio_max,target,met,"
		"fault_calls_per_page,label\n");
	for (i = 0; i < nrows; i++) {
		const struct row *row = &rows[i];

		fprintf(f, "%s,%s,%s,%s,%s,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.4f,%.4f,%.4f,%s,%s,",
			csv_text(a, sizeof(a), label), csv_text(d, sizeof(d), row->bcase->name),
			csv_text(e, sizeof(e), row->subject->name),
			csv_text(g, sizeof(g), row->reference->name), unit_name(row->subject->unit), rounds,
			row->s.median, row->s.min, row->s.max, row->r.median, row->r.min, row->r.max,
			row->ratio.median, row->ratio.min, row->ratio.max,
			fmt_target(t, sizeof(t), row->cmp), met(row));
		if (row->fault_calls >= 0)
			fprintf(f, "%.3f", row->fault_calls);
		fprintf(f, ",%s: %s/%s\n", csv_text(b, sizeof(b), row->bcase->name),
			csv_text(c, sizeof(c), row->subject->key),
			csv_text(h, sizeof(h), row->reference->key));
	}
	if (fclose(f))
		return -errno;
	return 0;
}

static void list_cases(void)
{
	size_t i;

	for (i = 0; i < NCASES; i++)
		printf("%-20s %s\n", cases[i]->name, cases[i]->what);
}

static size_t parse_count(const char *arg, const char *option, size_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || v < 1 || v > max) {
		fprintf(stderr, "toymap-bench: %s wants a number from 1 to %zu, not '%s'\n", option, max, arg);
		exit(EXIT_USAGE);
	}
	return (size_t)v;
}

/*
 * The module's run-time parameters every case starts from (the defaults: no
 * log line a fault, fault-around on), and their values before the run.
 */
static const char *const run_params[][2] = { { "trace", "0" }, { "fault_around", "1" } };
static char saved_params[2][32];

static int set_run_params(void)
{
	int i, err = 0;

	for (i = 0; i < 2 && !err; i++) {
		err = toymap_param_get(run_params[i][0], saved_params[i], sizeof(saved_params[i]));
		if (!err)
			err = toymap_param_set(run_params[i][0], run_params[i][1]);
		if (err)
			fprintf(stderr, "toymap-bench: the module parameter %s: %s\n", run_params[i][0],
				strerror(-err));
	}
	return err;
}

static void restore_run_params(void)
{
	int i;

	for (i = 0; i < 2; i++)
		if (saved_params[i][0])
			toymap_param_set(run_params[i][0], saved_params[i]);
}

/* Open both objects and size the cases to them. */
static int open_objects(struct bench_ctx *ctx)
{
	struct toymap_info info;
	size_t object_pages;
	int i, err;

	for (i = 0; i < 2; i++) {
		ctx->dev[i] = toymap_open(i, O_RDWR | O_CLOEXEC);
		if (ctx->dev[i] < 0) {
			char path[32];

			snprintf(path, sizeof(path), TOYMAP_DEV_PREFIX "%d", i);
			toymap_perror_open(path, -ctx->dev[i]);
			fprintf(stderr, "toymap-bench: needs two objects (devices=2, the default), as root\n");
			return 1;
		}
	}
	err = toymap_get_info(ctx->dev[0], &info);
	if (err) {
		fprintf(stderr, "toymap-bench: TOYMAP_IOC_INFO: %s\n", strerror(-err));
		return 1;
	}
	ctx->object_size = info.object_size;
	object_pages = info.object_size / ctx->page;
	if (ctx->pages * 2 > object_pages || ctx->file_pages > object_pages) {
		fprintf(stderr, "toymap-bench: the objects are %llu MiB: too small for %zu pages a case "
			"and a %zu MiB file (load the module with size=1G, as make bench does)\n",
			(unsigned long long)(info.object_size / MIB), ctx->pages,
			ctx->file_pages * ctx->page / MIB);
		return 1;
	}
	if (ctx->space_size > info.object_size)
		ctx->space_size = info.object_size;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "short", no_argument, NULL, 's' }, { "rounds", required_argument, NULL, 'r' },
		{ "pages", required_argument, NULL, 'p' }, { "only", required_argument, NULL, 'o' },
		{ "csv", required_argument, NULL, 'c' }, { "label", required_argument, NULL, 'l' },
		{ "kernel-swap", no_argument, NULL, 'k' }, { "list", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct bench_ctx ctx = { .dev = { -1, -1 }, .memfd = -1, .file_fd = -1, .swap_fd = -1 };
	const char *only = NULL, *csv = NULL, *label = getenv("TOYMAP_KERNEL");
	const struct bench_sizes *sizes = &full_sizes;
	size_t rounds = 0, pages = 0, i, total = 0, number = 0;
	char exe[PATH_MAX];
	struct utsname uts;
	ssize_t len;
	int opt, err = 0;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 's': sizes = &short_sizes; break;
		case 'r': rounds = parse_count(optarg, "--rounds", BENCH_MAX_ROUNDS); break;
		case 'p': pages = parse_count(optarg, "--pages", 1 << 20); break;
		case 'o': only = optarg; break;
		case 'c': csv = optarg; break;
		case 'l': label = optarg; break;
		case 'k': ctx.kernel_swap = true; break;
		case 'L': list_cases(); return 0;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	uname(&uts);
	if (!label || !*label)
		label = uts.release;
	ctx.page = (size_t)toymap_page_size();
	ctx.rounds = rounds ? (int)rounds : sizes->rounds;
	ctx.pages = pages ? pages : sizes->pages;
	ctx.file_pages = sizes->file_bytes / ctx.page;
	ctx.trace_pages = sizes->trace_pages;
	ctx.space_size = sizes->space_bytes;
	ctx.cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = '\0';
	snprintf(ctx.bin_dir, sizeof(ctx.bin_dir), "%s", dirname(exe));
	if (open_objects(&ctx) || set_run_params())
		return 1;
	/* One CPU for the whole run, so that no case migrates; scaling pins its own. */
	if (ctx.cpus >= 2)
		bench_pin(0);

	for (i = 0; i < NCASES; i++)
		total += !only || strcasestr(cases[i]->name, only);
	if (!total) {
		fprintf(stderr, "toymap-bench: no case matches '%s' (--list)\n", only);
		return EXIT_USAGE;
	}
	fprintf(stderr, "toymap-bench: %s, %zu cases, %d rounds after a warm-up (w), %zu pages a case\n",
		label, total, ctx.rounds, ctx.pages);
	for (i = 0; i < NCASES && !err; i++)
		if (!only || strcasestr(cases[i]->name, only))
			err = run_case(&ctx, cases[i], (int)++number, (int)total);
	restore_run_params();
	if (err) {
		fprintf(stderr, "toymap-bench: FAILED\n");
		return 1;
	}
	print_table(&ctx, label);
	if (csv) {
		err = write_csv(csv, label, ctx.rounds);
		if (err) {
			fprintf(stderr, "toymap-bench: %s: %s\n", csv, strerror(-err));
			return 1;
		}
	}
	return 0;
}
