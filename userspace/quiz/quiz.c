// SPDX-License-Identifier: GPL-2.0
/*
 * toymap-quiz: predict, then observe (CS:APP 9.7-9.8).  Before each step of
 * its scenarios the quiz asks what the step will do; the learner answers on
 * the terminal, or all at once with --answers; the step runs on a toymap
 * object, and the answer is checked against what the run's own counters and
 * frames show, followed by the explanation.  --tap writes KTAP for graders.
 *
 * Exit status: 0 every answer right, 1 some wrong, 2 usage (or no answer
 * given), 3 the quiz cannot run (no device, a failed call, or a run that
 * contradicts every option of a question).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quiz.h"

#define EXIT_WRONG	1
#define EXIT_USAGE	2
#define EXIT_CANNOT	3
/* The scenarios use the object's first pages; the fault-around ones a window of 16. */
#define MIN_OBJECT_PAGES 16

struct options {
	const char *device;
	const char *answers;
	bool tap, list, explain;
};

#define MAX_QUESTIONS	64
#define WIDTH		78	/* columns of text, the "# " of TAP mode not counted */

static bool tap_mode;
/* Every question, in the order asked: quiz_mapping.c's, then quiz_backing.c's. */
static const struct quiz_question *questions[MAX_QUESTIONS];
static size_t nquestions;

static void gather(const struct quiz_question *list, size_t n)
{
	size_t i;

	for (i = 0; i < n && nquestions < MAX_QUESTIONS; i++)
		questions[nquestions++] = &list[i];
}

/*
 * Print one line after @indent, "# " first in TAP mode, wrapped at a space to
 * fit WIDTH columns; the lines it continues on start @hang columns in.
 */
static void emit(const char *indent, size_t hang, const char *line)
{
	size_t room, len, cut;
	bool first = true;

	while (*line) {
		room = WIDTH - (first ? strlen(indent) : hang);
		len = strlen(line);
		cut = len;
		if (len > room) {
			for (cut = room; cut > 0 && line[cut] != ' '; cut--)
				;
			if (!cut)
				cut = len;
		}
		printf("%s%*s%.*s\n", tap_mode ? "# " : "", first ? 0 : (int)hang,
		       first ? indent : "", (int)cut, line);
		line += cut;
		while (*line == ' ')
			line++;
		first = false;
	}
}

/*
 * Print text, line by line, after @indent (wrapped lines @hang columns in).
 * An empty line prints as one ("#" in TAP mode).
 */
static void say_hang(const char *indent, size_t hang, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say_hang(const char *indent, size_t hang, const char *fmt, ...)
{
	char buf[QUIZ_EVIDENCE_LEN + 256], *line, *next;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (line = buf; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else if (!*line)
			break;	/* after the last newline */
		if (*line)
			emit(indent, hang, line);
		else
			puts(tap_mode ? "#" : "");
	}
}

/* say_hang() with wrapped lines 4 columns further in than @indent. */
#define say(indent, ...) say_hang(indent, strlen(indent) + 4, __VA_ARGS__)

/* An empty line ("#" in TAP mode). */
static void blank(void)
{
	puts(tap_mode ? "#" : "");
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: toymap-quiz [--device DEV] [--answers LIST] [--tap [--explain]]\n"
		"       toymap-quiz --list\n"
		"Predict, then observe: a question before each step of small scenarios of\n"
		"CS:APP 9.7-9.8 on a toymap object; each answer is checked against what\n"
		"the run's own counters and frames show.\n"
		"  --device DEV    the object (default %s); its pages are discarded\n"
		"  --answers LIST  every answer at once, a letter a question: b,a,c,...\n"
		"  --tap           KTAP output, one result a question, \"# score: X/Y\"\n"
		"  --explain       with --tap: each question's explanation too\n"
		"  --list          print the questions and their options, run nothing\n"
		"Exit status: 0 all right, 1 some wrong, 2 usage, 3 cannot run.\n",
		TOYMAP_DEFAULT_DEVICE);
}

static size_t noptions(const struct quiz_question *qq)
{
	size_t n = 0;

	while (n < QUIZ_MAX_OPTIONS && qq->options[n].text)
		n++;
	return n;
}

/* ------------------------------------------------------ answers */

/* Parse "b,a,c,...": one letter a question, each naming one of its options. */
static int parse_answers(const char *list, char *letters)
{
	const char *p = list;
	size_t i = 0;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (i == nquestions) {
			if (*p) {
				fprintf(stderr, "toymap-quiz: --answers: more than %zu answers\n",
					nquestions);
				return -1;
			}
			return 0;
		}
		if (!islower((unsigned char)*p) ||
		    (size_t)(*p - 'a') >= noptions(questions[i])) {
			fprintf(stderr, "toymap-quiz: --answers: answer %zu must be a letter from a "
				"to %c (%zu answers, one a question)\n", i + 1,
				(int)('a' + noptions(questions[i]) - 1), nquestions);
			return -1;
		}
		letters[i++] = *p++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ',')
			p++;
		else if (*p || i < nquestions) {
			fprintf(stderr, "toymap-quiz: --answers: %zu answers given, %zu needed, "
				"separated by commas\n", i, nquestions);
			return -1;
		}
	}
}

/* Ask on the terminal (standard input) until a valid letter comes: it, or -1 at EOF. */
static int ask_answer(const struct quiz_question *qq)
{
	FILE *prompt = tap_mode ? stderr : stdout;
	int last = 'a' + (int)noptions(qq) - 1;
	char line[64], *p;

	for (;;) {
		fprintf(prompt, "Your answer (a-%c): ", last);
		fflush(prompt);
		if (!fgets(line, sizeof(line), stdin))
			return -1;
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (p[0] >= 'a' && p[0] <= last && (!p[1] || isspace((unsigned char)p[1]))) {
			if (!isatty(STDIN_FILENO))	/* a terminal echoed it already */
				fprintf(prompt, "%c\n", p[0]);
			return p[0];
		}
		fprintf(prompt, "Please type one letter, a to %c.\n", last);
	}
}

/* ------------------------------------------------------ one question */

static void print_question(const struct quiz *q, const struct quiz_question *qq, size_t i)
{
	size_t k;

	if (qq->topic) {
		blank();
		say("", "== %s ==", qq->topic);
	}
	blank();
	say("", "Question %zu of %zu (%s)", i + 1, nquestions, qq->name);
	if (qq->setup)
		say("  ", "%s", qq->setup);
	if (qq->fault_around && q)
		say("  ", "(The module's fault_around parameter is %d: %s.)", q->fault_around,
		    q->fault_around ? "on" : "off");
	else if (qq->fault_around)
		say("  ", "(The answer depends on the module's fault_around parameter.)");
	say("  ", "%s", qq->ask);
	for (k = 0; k < noptions(qq); k++)
		say_hang("    ", 7, "%c) %s", (int)('a' + k), qq->options[k].text);
}

/* The counters that changed in the step, with what they mean (wrapped under it). */
#define COUNTER_HANG	26
static void print_counters(const struct quiz *q)
{
	const struct toymap_field *f;
	uint64_t before, after;
	bool any = false;
	size_t i;

	for (i = 0; i < toymap_info_nfields; i++) {
		f = &toymap_info_fields[i];
		if (f->kind == TOYMAP_FIELD_CONFIG || f->module_wide)
			continue;
		before = toymap_info_value(&q->before, f);
		after = toymap_info_value(&q->after, f);
		if (before == after)
			continue;
		any = true;
		say_hang("    ", COUNTER_HANG, "%-18s %+lld  %s", f->name, (long long)(after - before),
			 f->meaning);
	}
	if (!any)
		say("    ", "(no counter of the object changed)");
}

/* The option the outcome makes true, or -1. */
static int correct_option(const struct quiz_question *qq, long outcome)
{
	size_t k;

	for (k = 0; k < noptions(qq); k++)
		if (outcome >= qq->options[k].lo && outcome <= qq->options[k].hi)
			return (int)k;
	return -1;
}

/*
 * Run question @i with the learner's @answer ('a'...): 1 right, 0 wrong,
 * -1 a contradiction, -2 the step failed.
 */
static int judge(struct quiz *q, const struct quiz_question *qq, size_t i, int answer,
		 const struct options *opt)
{
	struct quiz_result r = { .outcome = QUIZ_UNEXPECTED };
	int right, given = answer - 'a';

	if (quiz_observe(q))
		return -2;
	q->before = q->after;
	if (qq->step(q, &r) || quiz_observe(q))
		return -2;
	right = correct_option(qq, r.outcome);
	say("  ", "What happened:");
	if (r.evidence[0])
		say("    ", "%s", r.evidence);
	print_counters(q);
	if (right < 0) {
		say("  ", "None of the options is what happened: this run contradicts them all.");
		say("  ", "(The kernel or module behaves unlike this quiz expects: please report it.)");
		if (tap_mode)
			printf("# correct: none\nnot ok %zu %s\n", i + 1, qq->name);
		return -1;
	}
	if (given == right)
		say_hang("  ", 12, "Right: %c) %s", answer, qq->options[right].text);
	else
		say_hang("  ", 5, "Not this time: you said %c).\nIt is %c) %s", answer, 'a' + right,
			 qq->options[right].text);
	if (!tap_mode || opt->explain) {
		char why[1024], *nl;

		/* One paragraph, wrapped to the width. */
		snprintf(why, sizeof(why), "%s", qq->why);
		while ((nl = strchr(why, '\n')))
			*nl = ' ';
		say_hang("  ", 2, "Why: %s", why);
	}
	if (tap_mode)
		printf("# correct: %c\n%sok %zu %s\n", 'a' + right, given == right ? "" : "not ",
		       i + 1, qq->name);
	return given == right;
}

/* ------------------------------------------------------ the command */

static void list_questions(void)
{
	size_t i;

	printf("toymap-quiz: %zu questions (answers a, b, ... in this order)\n", nquestions);
	for (i = 0; i < nquestions; i++)
		print_question(NULL, questions[i], i);
}

static void introduce(const struct quiz *q, const struct options *opt)
{
	char size[32];

	say("", "toymap-quiz: predict, then observe (CS:APP 9.7-9.8)");
	say("", "%zu questions. Each asks what the next step will do; the step then runs\n"
	    "on the object, and your answer is checked against what the kernel and\n"
	    "the module report in this run.", nquestions);
	say("", "The object: %s, %s (%llu pages of %ld bytes); fault_around=%d.", q->device,
	    toymap_format_size(q->after.object_size, size, sizeof(size)),
	    (unsigned long long)q->object_pages, q->page_size, q->fault_around);
	if (q->pfn_readable)
		say("", "Frames are shown by number (pfn 0x...), as you are root.");
	else
		say("", "Frames are shown as identities (frame #3fa2c1) from TOYMAP_IOC_LOOKUP:\n"
		    "pagemap hides frame numbers from you. The same identity is the same\n"
		    "frame; it tells nothing more.");
	if (!opt->answers)
		say("", "Answer each question with its letter.");
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "answers", required_argument, NULL, 'a' },
		{ "tap", no_argument, NULL, 't' },
		{ "list", no_argument, NULL, 'l' },
		{ "explain", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->device = TOYMAP_DEFAULT_DEVICE;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt->device = optarg;
			break;
		case 'a':
			opt->answers = optarg;
			break;
		case 't':
			opt->tap = true;
			break;
		case 'l':
			opt->list = true;
			break;
		case 'e':
			opt->explain = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "toymap-quiz: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Say why the quiz stops, clean up, and give the exit status. */
static int cannot_run(struct quiz *q, const char *why)
{
	fprintf(stderr, "toymap-quiz: cannot run: %s\n", why);
	if (tap_mode)
		printf("# cannot run: %s\n", why);
	quiz_close(q);
	return EXIT_CANNOT;
}

int main(int argc, char **argv)
{
	static char letters[MAX_QUESTIONS];
	struct options opt;
	struct quiz q;
	size_t i, score = 0, contradictions = 0;
	int answer, ret;

	if (parse_options(argc, argv, &opt))
		return EXIT_USAGE;
	gather(quiz_mapping_questions, quiz_mapping_nquestions);
	gather(quiz_backing_questions, quiz_backing_nquestions);
	if (opt.list) {
		list_questions();
		return 0;
	}
	if (opt.answers && parse_answers(opt.answers, letters))
		return EXIT_USAGE;
	tap_mode = opt.tap;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (tap_mode)
		printf("TAP version 13\n1..%zu\n", nquestions);
	if (quiz_open(&q, opt.device))
		return cannot_run(&q, "the object cannot be used (above)");
	if (q.object_pages < MIN_OBJECT_PAGES)
		return cannot_run(&q, "the object is smaller than 16 pages (module parameter size)");
	introduce(&q, &opt);
	for (i = 0; i < nquestions; i++) {
		const struct quiz_question *qq = questions[i];

		if (qq->prepare && qq->prepare(&q))
			return cannot_run(&q, "a step's preparation failed (above)");
		print_question(&q, qq, i);
		if (opt.answers) {
			answer = letters[i];
			say("  ", "Your answer: %c", answer);
		} else {
			answer = ask_answer(qq);
			if (answer < 0) {
				quiz_close(&q);
				fprintf(stderr, "\ntoymap-quiz: no answer (end of input); "
					"--answers gives them all at once\n");
				return EXIT_USAGE;
			}
		}
		ret = judge(&q, qq, i, answer, &opt);
		if (ret == -2)
			return cannot_run(&q, "a step failed (above)");
		if (ret < 0)
			contradictions++;
		else
			score += (size_t)ret;
	}
	quiz_close(&q);
	blank();
	if (tap_mode)
		printf("# score: %zu/%zu\n", score, nquestions);
	else
		printf("Score: %zu of %zu.\n", score, nquestions);
	if (contradictions) {
		say("", "%zu question(s) could not be judged: the run contradicted every option.",
		    contradictions);
		return EXIT_CANNOT;
	}
	return score == nquestions ? 0 : EXIT_WRONG;
}
