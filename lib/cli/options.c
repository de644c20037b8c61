#include "cli/options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "cli/cli.h"

/* Long-only options get getopt values above every char. */
#define LONG_ONLY_BASE 256

/* The column where help text starts, as in GNU tools' --help. */
#define HELP_COLUMN 24

static int takes_arg(const struct cli_opt *o)
{
	return o->arg_name != NULL;
}

static int is_option(const struct cli_opt *o)
{
	return o->type != CLI_T_GROUP && o->type != CLI_T_NOTE;
}

static size_t table_len(const struct cli_opt *opts)
{
	size_t n = 0;
	while (opts[n].type != CLI_T_END)
		n++;
	return n;
}

/* "--name" or "-x": how a message names the option the user gave. */
static void option_label(const struct cli_opt *o, char *buf, size_t cap)
{
	if (o->long_name)
		snprintf(buf, cap, "--%s", o->long_name);
	else
		snprintf(buf, cap, "-%c", o->short_name);
}

static void apply(const struct cli_spec *spec, const struct cli_opt *o,
		  const char *arg)
{
	char label[64];
	option_label(o, label, sizeof label);
	if (o->given)
		*o->given = 1;
	switch (o->type) {
	case CLI_T_FLAG:
		*(int *)o->value = 1;
		break;
	case CLI_T_INT:
		*(int *)o->value = (int)cli_int(label, arg, o->min, o->max);
		break;
	case CLI_T_THREADS:
		*(int *)o->value = (int)cli_int(label, arg, o->min, o->max);
		break;
	case CLI_T_I64:
		*(int64_t *)o->value = (int64_t)cli_int(label, arg, o->min, o->max);
		break;
	case CLI_T_DOUBLE:
		*(double *)o->value = cli_double(label, arg, o->dmin, o->dmax);
		break;
	case CLI_T_STRING:
		*(const char **)o->value = arg;
		break;
	case CLI_T_CALLBACK:
		o->callback(arg, o->value);
		break;
	case CLI_T_HELP:
		cli_help(spec, stdout);
		exit(cli_finish(0));
	case CLI_T_VERSION:
		cli_print_version();
	default:
		cli_die(TRAJ_EINTERNAL, "%s: option table entry of type %d",
			label, (int)o->type);
	}
}

/* The getopt_long tables of `opts`, in `longopts` (n + 1 entries) and
 * `shortopts` (at most 2 n + 3 chars: a leading ':' and "x:" each). */
static void build_getopt(const struct cli_opt *opts, size_t n,
			 struct option *longopts, char *shortopts)
{
	size_t nl = 0;
	char *s = shortopts;
	*s++ = ':'; /* a missing value is reported as ':', not printed by getopt */
	for (size_t i = 0; i < n; i++) {
		const struct cli_opt *o = &opts[i];
		if (!is_option(o))
			continue;
		int val = o->short_name ? o->short_name : LONG_ONLY_BASE + (int)i;
		if (o->long_name)
			longopts[nl++] = (struct option){o->long_name,
				takes_arg(o) ? required_argument : no_argument, NULL, val};
		if (o->short_name) {
			*s++ = (char)o->short_name;
			if (takes_arg(o))
				*s++ = ':';
		}
	}
	*s = '\0';
	longopts[nl] = (struct option){0, 0, 0, 0};
}

static const struct cli_opt *find_by_val(const struct cli_opt *opts, size_t n,
					 int val)
{
	if (val >= LONG_ONLY_BASE && (size_t)(val - LONG_ONLY_BASE) < n)
		return &opts[val - LONG_ONLY_BASE];
	for (size_t i = 0; i < n; i++)
		if (is_option(&opts[i]) && opts[i].short_name == val)
			return &opts[i];
	return NULL;
}

/* The option getopt stopped at, for a message: argv's word, up to '='. */
static void unknown_option(char **argv, int ind, int optopt_char)
{
	const char *word = ind > 0 ? argv[ind - 1] : "";
	if (optopt_char && !(word[0] == '-' && word[1] == '-'))
		cli_usage_error("unknown option '-%c'", optopt_char);
	size_t len = strcspn(word, "=");
	cli_usage_error("unknown option '%.*s'", (int)len, word);
}

int cli_parse(const struct cli_spec *spec, int argc, char **argv)
{
	size_t n = table_len(spec->opts);
	struct option *longopts = calloc(n + 1, sizeof *longopts);
	char *shortopts = malloc(2 * n + 3);
	if (!longopts || !shortopts)
		cli_die(TRAJ_ENOMEM, "out of memory");
	build_getopt(spec->opts, n, longopts, shortopts);

	opterr = 0;
	int c, longind;
	while (longind = -1,
	       (c = getopt_long(argc, argv, shortopts, longopts, &longind)) != -1) {
		if (c == '?')
			unknown_option(argv, optind, optopt);
		if (c == ':') {
			const struct cli_opt *o = find_by_val(spec->opts, n, optopt);
			char label[64];
			if (o)
				option_label(o, label, sizeof label);
			else
				snprintf(label, sizeof label, "%s", argv[optind - 1]);
			cli_usage_error("%s: a value is required", label);
		}
		const struct cli_opt *o = find_by_val(spec->opts, n, c);
		if (!o)
			cli_die(TRAJ_EINTERNAL, "option value %d not in the table", c);
		apply(spec, o, optarg);
	}
	free(longopts);
	free(shortopts);
	/* --threads, given or not, in every program that has it */
	for (size_t i = 0; i < n; i++)
		if (spec->opts[i].type == CLI_T_THREADS)
			cli_apply_threads(*(int *)spec->opts[i].value);
	if (spec->one_file && argc - optind > 1)
		cli_usage_error("expected at most one FILE, got %d", argc - optind);
	return optind;
}

/* "  -o, --out FILE" or "      --threads N", as --help shows it. */
static int option_words(const struct cli_opt *o, char *buf, size_t cap)
{
	char shortpart[8] = "    ";
	if (o->short_name)
		snprintf(shortpart, sizeof shortpart, "-%c%s", o->short_name,
			 o->long_name ? ", " : "");
	if (o->long_name)
		return snprintf(buf, cap, "  %s--%s%s%s", shortpart, o->long_name,
				takes_arg(o) ? " " : "",
				takes_arg(o) ? o->arg_name : "");
	return snprintf(buf, cap, "  %s%s%s", shortpart,
			takes_arg(o) ? " " : "", takes_arg(o) ? o->arg_name : "");
}

static void print_help_text(FILE *out, const char *help)
{
	for (const char *p = help; *p;) {
		size_t len = strcspn(p, "\n");
		fprintf(out, "%.*s\n", (int)len, p);
		p += len;
		if (*p == '\n' && *++p)
			fprintf(out, "%*s", HELP_COLUMN, "");
	}
}

void cli_help(const struct cli_spec *spec, FILE *out)
{
	fprintf(out, "Usage: %s\n", spec->usage);
	if (spec->intro)
		fputs(spec->intro, out);
	fputc('\n', out);
	for (const struct cli_opt *o = spec->opts; o->type != CLI_T_END; o++) {
		if (o->type == CLI_T_GROUP || o->type == CLI_T_NOTE) {
			fprintf(out, "%s\n", o->help);
			continue;
		}
		char words[128];
		int w = option_words(o, words, sizeof words);
		fputs(words, out);
		if (w + 2 > HELP_COLUMN)
			fprintf(out, "\n%*s", HELP_COLUMN, "");
		else
			fprintf(out, "%*s", HELP_COLUMN - w, "");
		print_help_text(out, o->help ? o->help : "");
	}
	if (spec->footer) {
		fputc('\n', out);
		fputs(spec->footer, out);
	}
}

static int threads_applied;

int cli_threads(void)
{
	return threads_applied;
}

int cli_apply_threads(int n)
{
	if (n <= 0) {
		const char *env = getenv("OPENBLAS_NUM_THREADS");
		long v = env ? atol(env) : sysconf(_SC_NPROCESSORS_ONLN);
		n = v >= 1 && v <= 4096 ? (int)v : 1;
	}
	openblas_set_num_threads(n);
	threads_applied = n;
	return n;
}

void cli_mark_given(struct cli_opt *opts, int *flag, const char *const *except)
{
	for (struct cli_opt *o = opts; o->type != CLI_T_END; o++) {
		o->given = flag;
		for (const char *const *e = except; *e; e++)
			if (o->long_name && strcmp(o->long_name, *e) == 0)
				o->given = NULL;
	}
}
