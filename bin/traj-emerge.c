/* traj-emerge: find phase transitions in metric lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/emerge.h"
#include "analysis/emerge_state.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/state_lock.h"
#include "common/atomicfile.h"
#include "format/metrics.h"

#define MAX_WHEN 64

struct options {
	struct emerge_when when[MAX_WHEN];
	char *metrics[MAX_WHEN];
	struct emerge_opts eo;
	int lenient;
	const char *state;
};

static void add_when(const char *arg, void *ctx)
{
	struct options *o = ctx;
	struct traj_error err;
	if (o->eo.nwhen == MAX_WHEN)
		cli_usage_error("--when: at most %d tests", MAX_WHEN);
	if (emerge_when_parse(arg, &o->when[o->eo.nwhen], &err) < 0)
		cli_usage_error("--when: '%s': %s", arg, err.msg);
	o->eo.nwhen++;
}

static void add_metric(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (o->eo.nmetrics == MAX_WHEN)
		cli_usage_error("--metric: at most %d patterns", MAX_WHEN);
	o->metrics[o->eo.nmetrics++] = (char *)arg;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	emerge_opts_init(&o->eo);
	o->eo.when = o->when;
	o->eo.metrics = o->metrics;
	const struct cli_opt opts[] = {
		CLI_GROUP("Methods (default: --changepoint --steepest, or only the --when tests):"),
		CLI_CALLBACK('w', "when", add_when, o, "EXPR",
			"threshold crossing, METRIC>=X, >X, <=X or <X; METRIC\n"
			"may be a glob; an event each time the series enters\n"
			"the region (repeatable)"),
		CLI_FLAG('c', "changepoint", &o->eo.changepoint,
			"level changes (rise, fall) and spikes, significant\n"
			"against the series' own noise, once they are over"),
		CLI_FLAG('s', "steepest", &o->eo.steepest,
			"the steepest significant change over log-step, per\n"
			"series, at the end of the input"),
		CLI_FLAG('e', "early", &o->eo.early,
			"a change under way is printed once, as rising or\n"
			"falling, as soon as it is significant (a few points\n"
			"in), then as rise or fall once it is over, or\n"
			"withdrawn by a retract line; not at the end of the\n"
			"input (implied by --state)"),
		CLI_CALLBACK('m', "metric", add_metric, o, "GLOB",
			"--changepoint and --steepest look only at matching\n"
			"metrics (repeatable; default all)"),
		CLI_DOUBLE('d', "min-delta", &o->eo.cp.min_delta, "D", 0, 1e300,
			"the smallest change of interest, in the metric's\n"
			"units (0.05)"),
		CLI_DOUBLE(0, "window", &o->eo.window, "W", 0, 100,
			"width of the --steepest window, decades of steps (0.3)"),
		CLI_DOUBLE(0, "threshold", &o->eo.cp.threshold, "Z", 0.1, 1e6,
			"significance a change needs, in noise s.d. (5)"),
		CLI_INT(0, "warmup", &o->eo.cp.window, "N", 2, 4096,
			"the smallest change-point window, in points (8)"),
		CLI_FLAG(0, "lenient", &o->lenient,
			"skip malformed lines, report their count at the end"),
		CLI_STRING(0, "state", &o->state, "FILE",
			"keep the detectors in FILE between runs (cron): feed\n"
			"only new lines, get only new events, each once"),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-emerge [OPTION]... [FILE]...",
		.intro =
"Read metric lines (RUN<TAB>STEP<TAB>METRIC<TAB>VALUE, from traj score, traj\n"
"diff or any tool) and print one event line per transition found in a\n"
"series (a run and a metric):\n"
"  RUN STEP METRIC KIND BEFORE AFTER FROM TO METHOD Z NOISE  (tab-separated)\n"
"KIND is rise, fall, spike or cross, or rising or falling for a change\n"
"still under way (provisional), or retract when the change did not end as\n"
"the provisional line of that RUN, STEP and METRIC said; Z is how many\n"
"standard errors of the series' own noise the change stands out by,\n"
"NOISE that noise's s.d.\n"
"With no FILE, or when FILE is -, read standard input; events are\n"
"printed as soon as they are known.\n",
		.opts = opts,
		.footer =
"Exit status: 0 success, 64 usage error, 65 malformed line (its number is\n"
"named) or a bad --state file (named; started afresh), 66 cannot open FILE,\n"
"73 cannot write the state, 74 read or write error.\n",
	};
	optind = cli_parse(&spec, argc, argv);
	if (o->state && o->eo.steepest)
		cli_usage_error("--steepest needs the whole series at once; not with --state");
	if (!o->eo.nwhen && !o->eo.changepoint && !o->eo.steepest)
		o->eo.changepoint = o->eo.steepest = !o->state;
	if (o->state && !o->eo.nwhen)
		o->eo.changepoint = 1;
	o->eo.skip_seen = o->state != NULL;
	/* a tick cannot tell the end of the input: a change under way is
	 * announced when it is known, in every tick as in one pass */
	if (o->state)
		o->eo.early = 1;
}

static int print_event(const struct emerge_event *ev, void *ctx)
{
	(void)ctx;
	emerge_event_print(stdout, ev);
	fflush(stdout);
	cli_check_output(stdout);
	return 0;
}

/* A run's identity ("# traj-run", traj score --state): another stream
 * under a run id seen before starts its series afresh. */
static void identity(struct emerge *e, char *line, const char *name,
		     long lineno)
{
	const char *run;
	uint64_t id;
	struct traj_error err;
	if (!metric_parse_identity(line, &run, &id))
		return;
	int rc = emerge_run_identity(e, run, id, print_event, NULL, &err);
	if (rc < 0)
		cli_die_error(name, &err);
	if (rc > 0)
		fprintf(stderr, "%s: %s: line %ld: run '%s' is another stream than the one seen before; its series start afresh\n",
			cli_prog(), name, lineno, run);
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
		else if (rc == 0)
			identity(e, line, name, lineno);
	}
	if (ferror(in))
		cli_die(TRAJ_EFAIL, "%s: read error at line %ld", name, lineno + 1);
	free(line);
	return skipped;
}

/* The detectors as the last run left them; a bad state is one line, and
 * a fresh start. Returns the exit status it deserves. */
static int load_state(struct emerge **e, const struct options *o)
{
	FILE *f = fopen(o->state, "r");
	if (!f && errno == ENOENT)
		return TRAJ_OK;
	if (!f)
		cli_die(TRAJ_ENOINPUT, "cannot open '%s': %s", o->state, strerror(errno));
	struct traj_error err;
	int rc = emerge_state_load(*e, f, o->state, &err);
	fclose(f);
	if (rc == 0)
		return TRAJ_OK;
	if (err.status == TRAJ_ENOMEM)
		cli_die_error(o->state, &err);
	fprintf(stderr, "%s: %s; starting afresh\n", cli_prog(), err.msg);
	emerge_free(*e);
	if (!(*e = emerge_new(&o->eo)))
		cli_die(TRAJ_ENOMEM, "out of memory");
	return TRAJ_EDATA;
}

static void save_state(const struct emerge *e, const char *state)
{
	struct atomic_file a;
	struct traj_error err;
	if (atomic_open(&a, state, &err) < 0)
		cli_die_error(state, &err);
	if (emerge_state_save(e, a.f, &err) < 0) {
		atomic_abort(&a);
		cli_die_error(state, &err);
	}
	if (atomic_commit(&a, &err) < 0)
		cli_die_error(state, &err);
}

int main(int argc, char **argv)
{
	struct options o;
	cli_init("traj-emerge");
	parse_args(argc, argv, &o);
	struct emerge *e = emerge_new(&o.eo);
	if (!e)
		cli_die(TRAJ_ENOMEM, "out of memory");
	int lock = -1, status = TRAJ_OK;
	if (o.state) {
		lock = cli_state_lock(o.state);
		status = load_state(&e, &o);
	}
	long skipped = 0;
	int nfiles = argc - optind;
	for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
		const char *name;
		FILE *in = cli_open_input(nfiles ? argv[optind + i] : NULL, &name);
		skipped += feed(e, in, name, o.lenient);
		cli_close_input(in);
	}
	/* With --state the series go on next time: what is known only at
	 * the end of the input is not known yet. */
	if (o.state) {
		save_state(e, o.state);
		close(lock);
	} else {
		emerge_finish(e, print_event, NULL);
	}
	emerge_free(e);
	if (skipped)
		fprintf(stderr, "%s: skipped %ld malformed line%s\n", cli_prog(),
			skipped, skipped == 1 ? "" : "s");
	return cli_finish(status);
}
