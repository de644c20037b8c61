/* One option table per program, in the spirit of git's parse-options: one
 * declaration per option drives the parsing, the --help text and the man
 * page check (tests/cli/options.bats compares each table's option names
 * with its man page's synopsis and OPTIONS). The options every program
 * shares (-h, -V, -q, -f, -o, --threads) are the CLI_OPT_* macros below,
 * handled once here.
 *
 *	static const struct cli_opt opts[] = {
 *		CLI_GROUP("Task:"),
 *		CLI_INT(0, "p", &o.p, "N", 2, 65521, "modulus (97)"),
 *		CLI_CALLBACK('w', "when", parse_when, &o, "EXPR",
 *			     "threshold crossing (repeatable)"),
 *		CLI_OPT_QUIET(&o.quiet),
 *		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
 *	};
 *	static const struct cli_spec spec = {
 *		.usage = "traj-x [OPTION]... [FILE]...",
 *		.intro = "What it does, a few lines.\n",
 *		.opts = opts,
 *		.footer = "Exit status: 0 success, 64 usage error, ...\n",
 *	};
 *	int first_operand = cli_parse(&spec, argc, argv);
 *
 * A bad value is a usage error naming the option (status 64). */
#ifndef TRAJ_CLI_OPTIONS_H
#define TRAJ_CLI_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

enum cli_opt_type {
	CLI_T_END,      /* closes a table */
	CLI_T_GROUP,    /* a heading in --help, no option */
	CLI_T_NOTE,     /* a line of text in --help, no option */
	CLI_T_FLAG,     /* int *value = 1 */
	CLI_T_INT,      /* int *value, in [min, max] */
	CLI_T_I64,      /* int64_t *value, in [min, max] */
	CLI_T_DOUBLE,   /* double *value, finite, in [dmin, dmax] */
	CLI_T_STRING,   /* const char **value = the argument */
	CLI_T_CALLBACK, /* callback(arg or NULL, ctx) */
	CLI_T_HELP,
	CLI_T_VERSION,
	CLI_T_THREADS,  /* int *value, in [1, 4096]: see cli_apply_threads */
};

/* Called with the option's argument (NULL for an option without one);
 * on a bad value it calls cli_usage_error itself, naming the option. */
typedef void cli_opt_fn(const char *arg, void *ctx);

struct cli_opt {
	enum cli_opt_type type;
	int short_name;        /* 0: a long option only */
	const char *long_name;
	const char *arg_name;  /* "N", "FILE"; NULL: the option takes none */
	void *value;
	long long min, max;    /* CLI_T_INT, CLI_T_I64 */
	double dmin, dmax;     /* CLI_T_DOUBLE */
	cli_opt_fn *callback;  /* CLI_T_CALLBACK */
	const char *help;      /* '\n' continues on an indented line */
	int *given;            /* if not NULL, set to 1 when the option is
				  given: for options that exclude others */
};

#define CLI_END { .type = CLI_T_END }
#define CLI_GROUP(title) { .type = CLI_T_GROUP, .help = (title) }
#define CLI_NOTE(text) { .type = CLI_T_NOTE, .help = (text) }
#define CLI_FLAG(s, l, v, h) \
	{ .type = CLI_T_FLAG, .short_name = (s), .long_name = (l), \
	  .value = (v), .help = (h) }
#define CLI_INT(s, l, v, a, lo, hi, h) \
	{ .type = CLI_T_INT, .short_name = (s), .long_name = (l), \
	  .arg_name = (a), .value = (v), .min = (lo), .max = (hi), .help = (h) }
#define CLI_I64(s, l, v, a, lo, hi, h) \
	{ .type = CLI_T_I64, .short_name = (s), .long_name = (l), \
	  .arg_name = (a), .value = (v), .min = (lo), .max = (hi), .help = (h) }
#define CLI_DOUBLE(s, l, v, a, lo, hi, h) \
	{ .type = CLI_T_DOUBLE, .short_name = (s), .long_name = (l), \
	  .arg_name = (a), .value = (v), .dmin = (lo), .dmax = (hi), .help = (h) }
#define CLI_STRING(s, l, v, a, h) \
	{ .type = CLI_T_STRING, .short_name = (s), .long_name = (l), \
	  .arg_name = (a), .value = (v), .help = (h) }
/* a == NULL: the callback gets arg NULL (an option without a value). */
#define CLI_CALLBACK(s, l, fn, ctx, a, h) \
	{ .type = CLI_T_CALLBACK, .short_name = (s), .long_name = (l), \
	  .arg_name = (a), .value = (ctx), .callback = (fn), .help = (h) }

/* The shared options: one spelling, one help line, everywhere. */
#define CLI_OPT_HELP { .type = CLI_T_HELP, .short_name = 'h', \
	.long_name = "help", .help = "show this help" }
#define CLI_OPT_VERSION { .type = CLI_T_VERSION, .short_name = 'V', \
	.long_name = "version", .help = "show the version" }
#define CLI_OPT_QUIET(v) CLI_FLAG('q', "quiet", (v), \
	"no progress and no summary on stderr")
#define CLI_OPT_FORCE(v) CLI_FLAG('f', "force", (v), \
	"write binary to a terminal anyway")
#define CLI_OPT_OUT(v, h) CLI_STRING('o', "out", (v), "FILE", (h))
#define CLI_OPT_THREADS(v) { .type = CLI_T_THREADS, .long_name = "threads", \
	.arg_name = "N", .value = (v), .min = 1, .max = 4096, \
	.help = "threads for BLAS and the thread pool (OPENBLAS_NUM_THREADS,\n" \
		"else all cores)" }

struct cli_spec {
	const char *usage;   /* after "Usage: ", e.g. "traj-x [OPTION]... FILE" */
	const char *intro;   /* what the program does; ends with '\n' */
	const struct cli_opt *opts;
	const char *footer;  /* notes and exit statuses; ends with '\n' */
	int one_file;        /* at most one operand (FILE); more is a usage
				error, "expected at most one FILE, got N" */
};

/* Parses argv against the table, calling cli_usage_error (status 64, one
 * line plus a "Try" hint) on an unknown option, a missing or bad value.
 * A table with CLI_OPT_THREADS has its value applied at the end
 * (cli_apply_threads, given or not: cli_threads says how many).
 * --help prints cli_help to stdout and exits 0; --version likewise.
 * Options and operands may be mixed (GNU getopt's permutation; "--" ends
 * the options). Returns the index in argv of the first operand. */
int cli_parse(const struct cli_spec *spec, int argc, char **argv);

/* Points the `given` of every option of the table at *flag but of those
 * whose long names are in `except` (NULL-terminated), which get NULL:
 * for options that exclude a group of others (traj-train --resume). */
void cli_mark_given(struct cli_opt *opts, int *flag,
		    const char *const *except);

/* The whole --help text: usage, intro, the option table, footer. */
void cli_help(const struct cli_spec *spec, FILE *out);

/* The threads a program runs with: n > 0 as given by --threads, else
 * OPENBLAS_NUM_THREADS, else the online cores. Sets OpenBLAS to it (the
 * thread pool in common/parallel.h follows OpenBLAS) and returns it. */
int cli_apply_threads(int n);
/* The threads cli_apply_threads last set (0 before it ran). */
int cli_threads(void);

#endif
