/* traj-emerge: find phase transitions in metric lines. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "analysis/emerge.h"
#include "format/metrics.h"

static const char usage[] =
"Usage: traj-emerge [OPTION]... [FILE]...\n"
"Read metric lines (RUN<TAB>STEP<TAB>METRIC<TAB>VALUE, from traj score, traj\n"
"diff or any tool) and print one event line per transition found in a\n"
"series (a run and a metric):\n"
"  RUN STEP METRIC KIND BEFORE AFTER FROM TO METHOD   (tab-separated)\n"
"KIND is rise, fall or cross. With no FILE, or when FILE is -, read\n"
"standard input; events are printed as soon as they are known.\n"
"\n"
"Methods (default: --changepoint --steepest, or only the --when tests):\n"
"  -w, --when EXPR       threshold crossing, METRIC>=X, >X, <=X or <X; METRIC\n"
"                        may be a glob; an event each time the series enters\n"
"                        the region (repeatable)\n"
"  -c, --changepoint     online CUSUM change-point detector\n"
"  -s, --steepest        the steepest change over log-step, per series, at\n"
"                        the end of the input\n"
"  -m, --metric GLOB     --changepoint and --steepest look only at matching\n"
"                        metrics (repeatable; default all)\n"
"  -d, --min-delta D     the smallest change of interest, in the metric's\n"
"                        units (0.05)\n"
"      --window W        width of the --steepest window, decades of steps (0.3)\n"
"      --threshold H     CUSUM alarm level, in noise units (5)\n"
"      --warmup N        points that set a segment's level and noise (8)\n"
"      --lenient         skip malformed lines, report their count at the end\n"
"  -h, --help            show this help\n"
"  -V, --version         show the version\n"
"\n"
"Exit status: 0 success, 64 usage error, 65 malformed line (its number is\n"
"named), 66 cannot open FILE, 74 read or write error.\n";

#define MAX_WHEN 64

struct options {
	struct emerge_when when[MAX_WHEN];
	char *metrics[MAX_WHEN];
	struct emerge_opts eo;
	int lenient;
};

enum { OPT_WINDOW = 256, OPT_THRESHOLD, OPT_WARMUP, OPT_LENIENT };

static const struct option longopts[] = {
	{"when", 1, 0, 'w'}, {"changepoint", 0, 0, 'c'}, {"steepest", 0, 0, 's'},
	{"metric", 1, 0, 'm'}, {"min-delta", 1, 0, 'd'},
	{"window", 1, 0, OPT_WINDOW}, {"threshold", 1, 0, OPT_THRESHOLD},
	{"warmup", 1, 0, OPT_WARMUP}, {"lenient", 0, 0, OPT_LENIENT},
	{"help", 0, 0, 'h'}, {"version", 0, 0, 'V'}, {0, 0, 0, 0},
};

static void add_when(struct options *o, const char *arg)
{
	const char *why;
	if (o->eo.nwhen == MAX_WHEN)
		cli_usage_error("--when: at most %d tests", MAX_WHEN);
	if (emerge_when_parse(arg, &o->when[o->eo.nwhen], &why) < 0)
		cli_usage_error("--when: '%s': %s", arg, why);
	o->eo.nwhen++;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	int opt;
	memset(o, 0, sizeof *o);
	o->eo = (struct emerge_opts){.when = o->when, .metrics = o->metrics,
		.window = 0.3, .cusum = {8, 5, 0.05}};
	while ((opt = getopt_long(argc, argv, "w:csm:d:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'w': add_when(o, optarg); break;
		case 'c': o->eo.changepoint = 1; break;
		case 's': o->eo.steepest = 1; break;
		case 'm':
			if (o->eo.nmetrics == MAX_WHEN)
				cli_usage_error("--metric: at most %d patterns", MAX_WHEN);
			o->metrics[o->eo.nmetrics++] = optarg;
			break;
		case 'd': o->eo.cusum.min_delta = cli_double("--min-delta", optarg, 0, 1e300); break;
		case OPT_WINDOW: o->eo.window = cli_double("--window", optarg, 0, 100); break;
		case OPT_THRESHOLD: o->eo.cusum.threshold = cli_double("--threshold", optarg, 0.1, 1e6); break;
		case OPT_WARMUP: o->eo.cusum.warmup = (int)cli_int("--warmup", optarg, 2, 100000); break;
		case OPT_LENIENT: o->lenient = 1; break;
		case 'h': cli_print_help(usage);
		case 'V': cli_print_version();
		default: cli_usage_error("invalid option");
		}
	}
	if (!o->eo.nwhen && !o->eo.changepoint && !o->eo.steepest)
		o->eo.changepoint = o->eo.steepest = 1;
}

static int print_event(const struct emerge_event *ev, void *ctx)
{
	(void)ctx;
	emerge_event_print(stdout, ev);
	fflush(stdout);
	cli_check_output(stdout);
	return 0;
}

/* Feeds every line of `in`; returns the number of malformed lines skipped. */
static long feed(struct emerge *e, FILE *in, const char *name, int lenient)
{
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0, skipped = 0;
	struct traj_error err;
	while (getline(&line, &cap, in) != -1) {
		struct metric_line m;
		const char *why;
		lineno++;
		int rc = metric_parse(line, &m, &why);
		if (rc < 0 && lenient)
			skipped++;
		else if (rc < 0)
			cli_die(TRAJ_EDATA, "%s: line %ld: %s", name, lineno, why);
		else if (rc > 0 && emerge_add(e, &m, print_event, NULL, &err) < 0)
			cli_die_error(name, &err);
	}
	if (ferror(in))
		cli_die(TRAJ_EFAIL, "%s: read error at line %ld", name, lineno + 1);
	free(line);
	return skipped;
}

int main(int argc, char **argv)
{
	struct options o;
	cli_init("traj-emerge");
	parse_args(argc, argv, &o);
	struct emerge *e = emerge_new(&o.eo);
	if (!e)
		cli_die(TRAJ_ENOMEM, "out of memory");
	long skipped = 0;
	int nfiles = argc - optind;
	for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
		const char *name;
		FILE *in = cli_open_input(nfiles ? argv[optind + i] : NULL, &name);
		skipped += feed(e, in, name, o.lenient);
		cli_close_input(in);
	}
	emerge_finish(e, print_event, NULL);
	emerge_free(e);
	if (skipped)
		fprintf(stderr, "%s: skipped %ld malformed line%s\n", cli_prog(),
			skipped, skipped == 1 ? "" : "s");
	return cli_finish(TRAJ_OK);
}
