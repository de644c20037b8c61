/* From a collect table and early metric lines to a feature matrix. */
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predict/design.h"

static const char *const class_names[PREDICT_NCLASS] = {
	"comprehension", "grokking", "memorisation", "confusion"};

const char *predict_class_name(int c)
{
	return c >= 0 && c < PREDICT_NCLASS ? class_names[c] : "NA";
}

void predict_data_free(struct predict_data *D)
{
	for (int j = 0; j < D->d; j++)
		free(D->names[j]);
	free(D->names);
	free(D->row);
	free(D->group);
	free(D->cls);
	free(D->y);
	free(D->logstep);
	free(D->x);
	memset(D, 0, sizeof *D);
}

static int is_seed(const char *name)
{
	return strcmp(name, "seed") == 0 || strcmp(name, "data-seed") == 0;
}

char *predict_default_features(const struct tsv_table *t, struct traj_error *err)
{
	int from = tsv_col(t, "status"), to = tsv_col(t, "final_step");
	if (from < 0 || to < 0 || to <= from + 1) {
		traj_fail(err, TRAJ_EDATA, -1, "no configuration columns between "
			  "status and final_step: name the features (--features)");
		return NULL;
	}
	size_t cap = 1, len = 0;
	for (int c = from + 1; c < to; c++)
		cap += strlen(t->names[c]) + 6;
	char *out = calloc(cap, 1);
	if (!out) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		return NULL;
	}
	for (int c = from + 1; c < to; c++) {
		int numeric = 1, positive = 1, varies = 0;
		double first = NAN, v = 0;
		for (int r = 0; r < t->nrows && numeric; r++) {
			if (strcmp(tsv_cell(t, r, from), "done") != 0)
				continue;
			numeric = tsv_number(tsv_cell(t, r, c), &v) == 0;
			positive &= v > 0;
			if (isnan(first))
				first = v;
			varies |= v != first;
		}
		if (!numeric || !varies || is_seed(t->names[c]))
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%s%s%s", len ? "," : "",
					positive ? "log:" : "", t->names[c]);
	}
	if (!len) {
		free(out);
		traj_fail(err, TRAJ_EDATA, -1, "no configuration column varies over the "
			  "runs: name the features (--features)");
		return NULL;
	}
	return out;
}

/* Adds a feature column to D (n rows), named `name`; returns its index
 * or -1. */
static int add_feature(struct predict_data *D, const char *name)
{
	char **nn = realloc(D->names, (size_t)(D->d + 1) * sizeof *nn);
	if (!nn)
		return -1;
	D->names = nn;
	double *x = malloc((size_t)D->n * (size_t)(D->d + 1) * sizeof *x + 1);
	if (!x || !(nn[D->d] = strdup(name))) {
		free(x);
		return -1;
	}
	for (int i = 0; i < D->n; i++)
		for (int j = 0; j < D->d; j++)
			x[(size_t)i * (size_t)(D->d + 1) + (size_t)j] =
				D->x[(size_t)i * (size_t)D->d + (size_t)j];
	free(D->x);
	D->x = x;
	return D->d++;
}

static double *cell(struct predict_data *D, int i, int j)
{
	return &D->x[(size_t)i * (size_t)D->d + (size_t)j];
}

/* The early value of series s of a run whose budget is final_step. */
static int early_value(const struct metric_series *s, double cutoff, int delta,
		       double *out)
{
	int have = 0;
	double first = 0, last = 0;
	for (size_t k = 0; k < s->n && (double)s->pts[k].step <= cutoff; k++) {
		if (!have)
			first = s->pts[k].value;
		last = s->pts[k].value;
		have = 1;
	}
	*out = delta ? last - first : last;
	return have ? 0 : -1;
}

static int feature_from_metrics(struct predict_data *D, const struct tsv_table *t,
				const char *item, const char *glob, int logv, int delta,
				const struct predict_design_opts *o, struct traj_error *err)
{
	const struct metric_series_set *set = o->early_lines;
	int idcol = tsv_col(t, "id"), fcol = tsv_col(t, "final_step");
	if (idcol < 0 || fcol < 0)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: no id or final_step column "
				 "(early features need both)", o->table_name);
	/* the metrics the glob matches, each once, in order of appearance */
	int found = 0;
	for (size_t s = 0; set && s < set->n; s++) {
		const char *metric = set->s[s].metric;
		if (fnmatch(glob, metric, 0) != 0)
			continue;
		int seen = 0;
		for (size_t q = 0; q < s && !seen; q++)
			seen = strcmp(set->s[q].metric, metric) == 0 &&
			       fnmatch(glob, set->s[q].metric, 0) == 0;
		if (seen)
			continue;
		found = 1;
		char name[512];
		snprintf(name, sizeof name, "%s%s%s", logv ? "log:" : "",
			 delta ? "delta:" : "", metric);
		int j = add_feature(D, name);
		if (j < 0)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		for (int i = 0; i < D->n; i++) {
			const char *id = tsv_cell(t, D->row[i], idcol);
			double fs, v = NAN;
			tsv_number(tsv_cell(t, D->row[i], fcol), &fs);
			int ok = 0;
			for (size_t q = 0; q < set->n && !ok; q++)
				if (strcmp(set->s[q].run, id) == 0 &&
				    strcmp(set->s[q].metric, metric) == 0)
					ok = early_value(&set->s[q], o->early * fs, delta, &v) == 0;
			if (!ok)
				return traj_fail(err, TRAJ_EDATA, -1, "run %s: no '%s' line "
						 "in its first %g%% of steps", id, metric,
						 100 * o->early);
			if (logv && !(v > 0))
				return traj_fail(err, TRAJ_EDATA, -1, "run %s: feature '%s': "
						 "log of %g", id, item, v);
			*cell(D, i, j) = logv ? log10(v) : v;
		}
	}
	if (!found)
		return traj_fail(err, TRAJ_EDATA, -1, "feature '%s': no such column in "
				 "%s and no early metric line matches", item,
				 o->table_name);
	return 0;
}

static int feature_from_column(struct predict_data *D, const struct tsv_table *t,
			       const char *item, int col, int logv,
			       const struct predict_design_opts *o, struct traj_error *err)
{
	int j = add_feature(D, item);
	if (j < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (int i = 0; i < D->n; i++) {
		const char *c = tsv_cell(t, D->row[i], col);
		double v;
		if (tsv_number(c, &v) < 0)
			return traj_fail(err, TRAJ_EDATA, -1, "%s: feature '%s': '%s' is "
					 "not a number", o->table_name, item, c);
		if (logv && !(v > 0))
			return traj_fail(err, TRAJ_EDATA, -1, "%s: feature '%s': log of %s",
					 o->table_name, item, c);
		*cell(D, i, j) = logv ? log10(v) : v;
	}
	return 0;
}

static int add_features(struct predict_data *D, const struct tsv_table *t,
			const struct predict_design_opts *o, const char *list,
			struct traj_error *err)
{
	char *copy = strdup(list);
	if (!copy)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = 0;
	for (char *save, *item = strtok_r(copy, ",", &save); item && rc == 0;
	     item = strtok_r(NULL, ",", &save)) {
		const char *name = item;
		int logv = 0, delta = 0;
		for (;;) {
			if (strncmp(name, "log:", 4) == 0 && !logv)
				logv = 1, name += 4;
			else if (strncmp(name, "delta:", 6) == 0 && !delta)
				delta = 1, name += 6;
			else
				break;
		}
		int col = tsv_col(t, name);
		if (!*name)
			rc = traj_fail(err, TRAJ_EUSAGE, -1, "--features: empty name in '%s'",
				       item);
		else if (col >= 0 && !delta)
			rc = feature_from_column(D, t, item, col, logv, o, err);
		else
			rc = feature_from_metrics(D, t, item, name, logv, delta, o, err);
	}
	free(copy);
	if (rc == 0 && D->d == 0)
		rc = traj_fail(err, TRAJ_EUSAGE, -1, "--features: no feature");
	for (int j = 0; j < D->d && rc == 0; j++) {
		int varies = 0;
		for (int i = 1; i < D->n && !varies; i++)
			varies = *cell(D, i, j) != *cell(D, 0, j);
		if (!varies)
			rc = traj_fail(err, TRAJ_EDATA, -1, "%s: feature '%s' is constant "
				       "(%g) over the %d runs", o->table_name, D->names[j],
				       *cell(D, 0, j), D->n);
	}
	return rc;
}

/* The runs with a known outcome, their classes, targets and groups. */
static int read_targets(struct predict_data *D, const struct tsv_table *t,
			const struct predict_design_opts *o, struct traj_error *err)
{
	int oc = tsv_col(t, o->outcome_col), sc = tsv_col(t, o->step_col);
	int st = tsv_col(t, "status"), gc = tsv_col(t, "group");
	if (oc < 0)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: no column '%s' (the target)",
				 o->table_name, o->outcome_col);
	if (sc < 0)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: no column '%s' (the test "
				 "transition step)", o->table_name, o->step_col);
	size_t n = (size_t)t->nrows + 1;
	D->row = malloc(n * sizeof *D->row);
	D->group = malloc(n * sizeof *D->group);
	D->cls = malloc(n * sizeof *D->cls);
	D->y = malloc(n * sizeof *D->y);
	D->logstep = malloc(n * sizeof *D->logstep);
	if (!D->row || !D->group || !D->cls || !D->y || !D->logstep)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (int r = 0; r < t->nrows; r++) {
		const char *out = tsv_cell(t, r, oc);
		if ((st >= 0 && strcmp(tsv_cell(t, r, st), "done") != 0) ||
		    strcmp(out, "NA") == 0) {
			D->skipped++;
			continue;
		}
		int c = 0;
		while (c < PREDICT_NCLASS && strcmp(out, class_names[c]) != 0)
			c++;
		if (c == PREDICT_NCLASS)
			return traj_fail(err, TRAJ_EDATA, -1, "%s: row %d: outcome '%s' is "
					 "not comprehension, grokking, memorisation or "
					 "confusion", o->table_name, r + 1, out);
		double step;
		int i = D->n++;
		D->row[i] = r;
		D->cls[i] = c;
		D->y[i] = c <= 1;
		D->logstep[i] = tsv_number(tsv_cell(t, r, sc), &step) == 0 && step > 0
				? log10(step) : NAN;
		/* the group: runs of one configuration (ids without a group
		 * column are each their own) */
		const char *g = tsv_cell(t, r, gc >= 0 ? gc : 0);
		D->group[i] = -1;
		for (int k = 0; k < i && D->group[i] < 0; k++)
			if (strcmp(tsv_cell(t, D->row[k], gc >= 0 ? gc : 0), g) == 0)
				D->group[i] = D->group[k];
		if (D->group[i] < 0)
			D->group[i] = D->ngroups++;
	}
	if (D->n == 0)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: no run with a known outcome",
				 o->table_name);
	return 0;
}

int predict_data_init(struct predict_data *D, const struct tsv_table *t,
		      const struct predict_design_opts *o, struct traj_error *err)
{
	memset(D, 0, sizeof *D);
	char *def = NULL;
	int rc = read_targets(D, t, o, err);
	if (rc == 0 && !o->features && !(def = predict_default_features(t, err)))
		rc = -1;
	if (rc == 0)
		rc = add_features(D, t, o, o->features ? o->features : def, err);
	free(def);
	if (rc < 0)
		predict_data_free(D);
	return rc;
}
