/* traj-predict: learn from a sweep's collect table whether, and when, a
 * run will generalise, from its configuration or its first steps, with
 * cross-validation grouped by configuration. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "format/metric_series.h"
#include "format/tsv.h"
#include "predict/crossval.h"
#include "predict/design.h"

#define MAX_EARLY 64

struct options {
	struct predict_opts po;
	struct predict_design_opts dopts;
	const char *model, *report, *early[MAX_EARLY];
	int nearly, quiet;
};

static void add_early(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (o->nearly == MAX_EARLY)
		cli_usage_error("--early: at most %d files", MAX_EARLY);
	o->early[o->nearly++] = arg;
}

static const char footer[] =
"Output: one row per run, predicted while its configuration was held out:\n"
"  id group fold outcome predicted_outcome generalises p_generalises\n"
"  log_step predicted_log_step\n"
"--report FILE: the figures, one 'measure<TAB>value' line each (accuracy,\n"
"auroc, brier, outcome_accuracy, log_step_rmse, calibration/LO-HI/...).\n"
"\n"
"Examples:\n"
"  traj sweep collect grok > grok.tsv\n"
"  traj predict --report fig.tsv grok.tsv > pred.tsv\n"
"  traj predict --early early.tsv --features 'log:test/loss,fourier/embed/top5_frac' grok.tsv\n"
"\n"
"Exit status: 0 success, 64 usage error, 65 bad table (no target column,\n"
"a class with too few runs, a constant or non-numeric feature: named),\n"
"66 cannot open an input, 73 cannot create the report, 74 I/O error.\n";

static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	predict_opts_init(&o->po);
	o->dopts.outcome_col = "outcome";
	o->dopts.step_col = "test_step";
	o->dopts.early = 0.1;
	o->model = "logistic";
	const struct cli_opt opts[] = {
		CLI_GROUP("Features:"),
		CLI_STRING('F', "features", &o->dopts.features, "LIST",
			"comma-separated [log:|delta:]NAME: a column of TABLE,\n"
			"else a glob over the --early metrics (default: the\n"
			"configuration columns that vary, log: when positive)"),
		CLI_CALLBACK('e', "early", add_early, o, "FILE",
			"metric lines of the runs (RUN = the table's id); a\n"
			"metric feature is its value at the end of the early\n"
			"window, with delta: its change over it (repeatable)"),
		CLI_DOUBLE(0, "early-frac", &o->dopts.early, "F", 0, 1,
			"the early window: steps <= F * final_step (0.1)"),
		CLI_GROUP("Model:"),
		CLI_STRING('m', "model", &o->model, "NAME",
			"logistic (L2-penalised logistic regression, ridge for\n"
			"the step) or knn (logistic)"),
		CLI_DOUBLE(0, "l2", &o->po.l2, "X", 0, 1e9,
			"L2 penalty on standardised features (1)"),
		CLI_INT(0, "degree", &o->po.degree, "N", 1, 2,
			"2: add squares and products of the features (2)"),
		CLI_INT('k', "neighbours", &o->po.k, "N", 1, 1000, "knn: neighbours (5)"),
		CLI_GROUP("Cross-validation:"),
		CLI_INT(0, "folds", &o->po.folds, "K", 2, 1000,
			"folds of configuration groups (5)"),
		CLI_I64(0, "seed", &o->po.seed, "N", 0, INT64_MAX,
			"seed of the deal of groups into folds (1)"),
		CLI_INT(0, "min-class", &o->po.min_class, "N", 1, 1000000,
			"runs needed of each class of 'generalises' (--folds)"),
		CLI_GROUP("Table:"),
		CLI_STRING(0, "outcome", &o->dopts.outcome_col, "COL",
			"the outcome class column (outcome)"),
		CLI_STRING(0, "step", &o->dopts.step_col, "COL",
			"the test transition step column (test_step)"),
		CLI_STRING('r', "report", &o->report, "FILE",
			"write the held-out figures to FILE"),
		CLI_OPT_QUIET(&o->quiet),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-predict [OPTION]... [TABLE]",
		.intro =
"Fit on part of a collect table (traj sweep collect) and predict the rest:\n"
"whether a run generalises within its budget (comprehension or grokking),\n"
"its outcome class and the log10 of its test transition step, from its\n"
"configuration or from its first steps (--early). Cross-validation deals\n"
"configuration groups (runs that differ only in seeds) into folds, so no\n"
"seed of a predicted configuration is in the fit. With no TABLE, or when\n"
"TABLE is -, read standard input.\n",
		.opts = opts, .footer = footer,
	};
	int first = cli_parse(&spec, argc, argv);
	if (strcmp(o->model, "logistic") == 0)
		o->po.model = PREDICT_LOGISTIC;
	else if (strcmp(o->model, "knn") == 0)
		o->po.model = PREDICT_KNN;
	else
		cli_usage_error("--model: '%s' is not logistic or knn", o->model);
	if (argc - first > 1)
		cli_usage_error("one TABLE at most");
	return first;
}

static void read_early(struct metric_series_set *set, const struct options *o)
{
	struct traj_error err;
	for (int i = 0; i < o->nearly; i++) {
		const char *name;
		FILE *in = cli_open_input(o->early[i], &name);
		if (metric_series_read(set, in, name, NULL, 0, &err) < 0)
			cli_die_error(NULL, &err);
		cli_close_input(in);
	}
	if (metric_series_sort(set, &err) < 0)
		cli_die_error(NULL, &err);
}

static void print_predictions(const struct tsv_table *t, const struct predict_data *D,
			      const struct predict_result *r)
{
	int id = tsv_col(t, "id"), group = tsv_col(t, "group");
	printf("id\tgroup\tfold\toutcome\tpredicted_outcome\tgeneralises\t"
	       "p_generalises\tlog_step\tpredicted_log_step\n");
	for (int i = 0; i < D->n; i++) {
		int row = D->row[i];
		printf("%s\t%s\t%d\t%s\t%s\t%d\t%.6g\t", id >= 0 ? tsv_cell(t, row, id) : "NA",
		       group >= 0 ? tsv_cell(t, row, group) : "NA", r->fold[i] + 1,
		       predict_class_name(D->cls[i]), predict_class_name(r->cls[i]),
		       D->y[i] > 0.5, r->p[i]);
		if (isnan(D->logstep[i]))
			printf("NA\t");
		else
			printf("%.6g\t", D->logstep[i]);
		if (isnan(r->logstep[i]))
			printf("NA\n");
		else
			printf("%.6g\n", r->logstep[i]);
		cli_check_output(stdout);
	}
}

static void write_report(const struct options *o, const struct predict_data *D,
			 const struct predict_result *r)
{
	FILE *f = fopen(o->report, "w");
	if (!f)
		cli_die(TRAJ_ECREATE, "cannot create '%s'", o->report);
	predict_report(f, D, r, o->po.folds);
	if (ferror(f) | fclose(f))
		cli_die(TRAJ_EFAIL, "cannot write '%s'", o->report);
}

/* The headline figures on stderr. */
static void summary(const struct predict_data *D, const struct predict_result *r,
		    const struct options *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return;
	predict_report(m, D, r, o->po.folds);
	fclose(m);
	fprintf(stderr, "%s: %d runs (%d left out), %d configurations, %d folds, "
		"%d features (%s)\n", cli_prog(), D->n, D->skipped, D->ngroups,
		o->po.folds, D->d, o->model);
	for (char *save, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (!strchr(l, '/') && strncmp(l, "n\t", 2) && strncmp(l, "folds\t", 6))
			fprintf(stderr, "  %s\n", l);
	free(buf);
}

int main(int argc, char **argv)
{
	struct options o;
	struct traj_error err;
	cli_init("traj-predict");
	int first = parse_args(argc, argv, &o);
	const char *name;
	FILE *in = cli_open_input(first < argc ? argv[first] : NULL, &name);
	struct tsv_table t;
	if (tsv_read(&t, in, name, &err) < 0)
		cli_die_error(NULL, &err);
	cli_close_input(in);
	struct metric_series_set early = {0};
	read_early(&early, &o);
	o.dopts.early_lines = &early;
	o.dopts.table_name = name;
	struct predict_data D;
	struct predict_result r;
	if (predict_data_init(&D, &t, &o.dopts, &err) < 0 ||
	    predict_crossval(&D, &o.po, &r, &err) < 0)
		cli_die(err.status, "%s", err.msg);
	print_predictions(&t, &D, &r);
	if (o.report)
		write_report(&o, &D, &r);
	if (!o.quiet)
		summary(&D, &r, &o);
	predict_result_free(&r);
	predict_data_free(&D);
	metric_series_free(&early);
	tsv_free(&t);
	return cli_finish(TRAJ_OK);
}
