/* The runs traj predict learns from: their targets, read from a collect
 * table (traj sweep collect), and their features, from the table's
 * configuration columns and from early metric lines.
 *
 * A feature is [log:|delta:]NAME. NAME is a column of the table or, when
 * no column has that name, a glob over metric names in the early metric
 * lines, one feature per metric it matches: the metric's value at the
 * last step within the early window (steps <= early * final_step of the
 * run), or with delta: its change since the window's first step. log:
 * takes log10 of the value (which must be positive). */
#ifndef TRAJ_PREDICT_DESIGN_H
#define TRAJ_PREDICT_DESIGN_H

#include "common/error.h"
#include "format/metric_series.h"
#include "format/tsv.h"

#define PREDICT_NCLASS 4 /* comprehension, grokking, memorisation, confusion */

/* "comprehension", "grokking", "memorisation", "confusion". */
const char *predict_class_name(int c);

struct predict_data {
	int n;              /* runs: table rows with a known outcome */
	int *row;           /* (n) their rows in the table */
	int *group;         /* (n) index of their configuration group */
	int ngroups;
	int *cls;           /* (n) outcome, 0..PREDICT_NCLASS-1 in the order above */
	double *y;          /* (n) generalises within the budget: 1 or 0 */
	double *logstep;    /* (n) log10 of the test step, NAN if none */
	int d;
	char **names;       /* (d) feature names */
	double *x;          /* (n, d) */
	int skipped;        /* rows left out: not done, or outcome NA */
};

struct predict_design_opts {
	const char *features;     /* comma-separated; NULL: the configuration
				     columns (see predict_default_features) */
	const char *outcome_col;  /* "outcome" */
	const char *step_col;     /* "test_step" */
	double early;             /* the early window, a fraction of final_step */
	const struct metric_series_set *early_lines; /* may be empty */
	const char *table_name;   /* for messages */
};

/* The default features of a collect table: every column between status
 * and final_step that is numeric in every used row, varies, and is not a
 * seed (seed, data-seed); log: when all its values are positive. Caller
 * frees. NULL with err set when there is none (TRAJ_EDATA). */
char *predict_default_features(const struct tsv_table *t, struct traj_error *err);

/* Builds the data. Errors (TRAJ_EDATA, one line naming the table, the
 * column, the run or the feature): no outcome or step column, an unknown
 * outcome, a feature that is not a number, not positive under log:, a
 * metric glob that matches no early line, a run without it in its early
 * window, or a feature constant over every run. */
int predict_data_init(struct predict_data *D, const struct tsv_table *t,
		      const struct predict_design_opts *o, struct traj_error *err);
void predict_data_free(struct predict_data *D);

#endif
