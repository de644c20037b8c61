#include "analysis/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/ridge.h"
#include "common/rng.h"

void probe_opts_default(struct probe_opts *o)
{
	memset(o, 0, sizeof *o);
	o->test_frac = 0.2;
	o->val_frac = 0.25;
	o->nlambda = 8;
	for (int i = 0; i < o->nlambda; i++)
		o->lambda[i] = pow(10, i - 6);
}

int probe_split_make(struct probe_split *s, int64_t n,
		     const struct probe_opts *o, struct traj_error *err)
{
	memset(s, 0, sizeof *s);
	int64_t n_test = (int64_t)(o->test_frac * (double)n + 0.5);
	int64_t n_val = (int64_t)(o->val_frac * (double)(n - n_test) + 0.5);
	if (n_test < 1 || n_val < 1 || n - n_test - n_val < 2)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "%lld probe inputs are too few to fit, validate and test",
				 (long long)n);
	int32_t *perm = malloc((size_t)n * sizeof *perm);
	s->order = malloc((size_t)n * sizeof *s->order);
	if (!perm || !s->order) {
		free(perm);
		probe_split_free(s);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	for (int64_t i = 0; i < n; i++)
		perm[i] = (int32_t)i;
	struct rng r;
	rng_seed(&r, o->seed);
	rng_shuffle(&r, perm, n);
	for (int64_t i = 0; i < n; i++)
		s->order[i] = perm[i];
	free(perm);
	s->n_test = n_test;
	s->n_val = n_val;
	s->n_fit = n - n_test - n_val;
	return 0;
}

int probe_split_grouped(struct probe_split *s, const double *group,
			int ngroups, int64_t n, const struct probe_opts *o,
			struct traj_error *err)
{
	struct probe_split g;
	if (probe_split_make(&g, ngroups, o, err) < 0)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--group: %d values are too few to fit, validate and test",
				 ngroups);
	int *part = malloc((size_t)ngroups * sizeof *part);
	memset(s, 0, sizeof *s);
	s->order = malloc((size_t)(n > 0 ? n : 1) * sizeof *s->order);
	if (!part || !s->order) {
		free(part);
		probe_split_free(&g);
		probe_split_free(s);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	for (int64_t i = 0; i < ngroups; i++)
		part[g.order[i]] = i < g.n_fit ? 0 : i < g.n_fit + g.n_val ? 1 : 2;
	int64_t k = 0, count[3] = {0};
	for (int p = 0; p < 3; p++)
		for (int64_t i = 0; i < n; i++)
			if (part[(int)group[i]] == p) {
				s->order[k++] = i;
				count[p]++;
			}
	free(part);
	probe_split_free(&g);
	s->n_fit = count[0];
	s->n_val = count[1];
	s->n_test = count[2];
	if (count[0] < 2 || !count[1] || !count[2]) {
		probe_split_free(s);
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--group: a part of the split has no input");
	}
	return 0;
}

void probe_split_free(struct probe_split *s)
{
	free(s->order);
	memset(s, 0, sizeof *s);
}

/* Accuracy of the argmax over a target's nclass columns (ties to the
 * lowest class); NAN when a prediction is not finite, which has no
 * argmax (ties would send it to class 0). */
static double accuracy(const struct probe_target *t, const double *pred,
		       int width, const int64_t *rows, int64_t n)
{
	int64_t right = 0;
	for (int64_t i = 0; i < n; i++) {
		const double *p = pred + i * width;
		int best = 0;
		for (int c = 0; c < t->nclass; c++)
			if (!isfinite(p[c]))
				return NAN;
		for (int c = 1; c < t->nclass; c++)
			if (p[c] > p[best])
				best = c;
		right += best == (int)t->value[rows[i]];
	}
	return n > 0 ? (double)right / (double)n : NAN;
}

/* 1 - SSE / SST, SST about the mean of the scored rows themselves; NAN
 * when the target is constant on them. */
static double r_squared(const struct probe_target *t, const double *pred,
			int width, const int64_t *rows, int64_t n)
{
	double mean = 0, sse = 0, sst = 0;
	for (int64_t i = 0; i < n; i++)
		mean += t->value[rows[i]];
	mean /= n > 0 ? (double)n : 1.0;
	for (int64_t i = 0; i < n; i++) {
		double y = t->value[rows[i]], e = y - pred[i * width];
		sse += e * e;
		sst += (y - mean) * (y - mean);
	}
	return sst > 0 ? 1 - sse / sst : NAN;
}

void probe_score(const struct target_set *ts, const double *pred,
		 const int64_t *rows, int64_t n, double *score)
{
	int width = targets_total_width(ts), off = 0;
	for (int i = 0; i < ts->count; i++) {
		const struct probe_target *t = &ts->t[i];
		score[i] = t->nclass > 0 ? accuracy(t, pred + off, width, rows, n)
					 : r_squared(t, pred + off, width, rows, n);
		off += targets_width(t);
	}
}

/* Sum of squared errors over a target's columns (its one-hot code, or
 * its value): breaks ties of accuracy when choosing lambda. */
static double target_sse(const struct probe_target *t, const double *pred,
			 int width, const int64_t *rows, int64_t n)
{
	double sse = 0;
	for (int64_t i = 0; i < n; i++) {
		const double *p = pred + i * width;
		double y = t->value[rows[i]];
		if (t->nclass == 0) {
			sse += (y - p[0]) * (y - p[0]);
			continue;
		}
		for (int c = 0; c < t->nclass; c++) {
			double e = (c == (int)y) - p[c];
			sse += e * e;
		}
	}
	return sse;
}

/* Predictions of a fit for rows in the eigenbasis p, for each lambda of
 * the grid that `want` (NULL: all) asks for: the score into
 * score[l * count + i] and, when sse is not NULL, the squared error. */
static void score_grid(struct ridge *r, const double *p, int64_t n,
		       const int64_t *rows, const struct target_set *ts,
		       const struct probe_opts *o, const int *want,
		       double *pred, double *score, double *sse)
{
	double scale = ridge_scale(r);
	int width = targets_total_width(ts);
	for (int l = 0; l < o->nlambda; l++) {
		if (want && !want[l])
			continue;
		ridge_predict(r, p, n, o->lambda[l] * scale, pred);
		probe_score(ts, pred, rows, n, score + (size_t)l * ts->count);
		for (int i = 0, off = 0; sse && i < ts->count; i++) {
			sse[(size_t)l * ts->count + i] =
				target_sse(&ts->t[i], pred + off, width, rows, n);
			off += targets_width(&ts->t[i]);
		}
	}
}

/* For each target the lambda with the best validation score, ties going
 * to the smaller squared error (accuracy moves in steps); NAN scores
 * never win. */
static void choose(const double *score, const double *sse,
		   const struct target_set *ts, const struct probe_opts *o,
		   int *best)
{
	for (int i = 0; i < ts->count; i++) {
		best[i] = o->nlambda - 1;
		double top = -INFINITY, err = INFINITY;
		for (int l = 0; l < o->nlambda; l++) {
			double v = score[(size_t)l * ts->count + i];
			double e = sse[(size_t)l * ts->count + i];
			if (v > top || (v == top && e < err)) {
				top = v;
				err = e;
				best[i] = l;
			}
		}
	}
}

/* Fits on rows[0..nfit), projects rows[nfit..nfit+nscore) and scores them
 * for the lambdas `want` asks for. */
static int fit_and_score(const float *x, int d, struct target_set *ts,
			 const int64_t *rows, int64_t nfit, int64_t nscore,
			 const struct probe_opts *o, const int *want,
			 double *score, double *sse, struct traj_error *err)
{
	int width = targets_total_width(ts);
	struct ridge r;
	if (ridge_fit(&r, x, d, width, rows, nfit, targets_row, ts, err) < 0)
		return -1;
	double *p = malloc((size_t)nscore * d * sizeof *p);
	double *pred = malloc((size_t)nscore * width * sizeof *pred);
	int rc = -1;
	if (!p || !pred)
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for a probe");
	else if (ridge_project(&r, x, rows + nfit, nscore, p, err) == 0) {
		score_grid(&r, p, nscore, rows + nfit, ts, o, want, pred, score,
			   sse);
		rc = 0;
	}
	free(p);
	free(pred);
	ridge_free(&r);
	return rc;
}

int probe_run(const float *x, int d, struct target_set *ts,
	      const struct probe_split *s, const struct probe_opts *o,
	      struct probe_result *res, struct traj_error *err)
{
	int nt = ts->count, rc = -1;
	double *score = malloc((size_t)o->nlambda * nt * sizeof *score);
	double *sse = malloc((size_t)o->nlambda * nt * sizeof *sse);
	int *best = malloc((size_t)nt * sizeof *best);
	int want[PROBE_MAX_LAMBDAS] = {0};
	if (!score || !sse || !best) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for a probe");
		goto out;
	}
	if (fit_and_score(x, d, ts, s->order, s->n_fit, s->n_val, o, NULL,
			  score, sse, err) < 0)
		goto out;
	choose(score, sse, ts, o, best);
	for (int i = 0; i < nt; i++)
		want[best[i]] = 1;
	if (fit_and_score(x, d, ts, s->order, s->n_fit + s->n_val, s->n_test,
			  o, want, score, NULL, err) < 0)
		goto out;
	for (int i = 0; i < nt; i++) {
		res[i].lambda = o->lambda[best[i]];
		res[i].score = score[(size_t)best[i] * nt + i];
	}
	rc = 0;
out:
	free(score);
	free(sse);
	free(best);
	return rc;
}
