/* Grouped k-fold cross-validation of the outcome models. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "predict/crossval.h"
#include "predict/linear.h"
#include "predict/score.h"

void predict_opts_init(struct predict_opts *o)
{
	o->model = PREDICT_LOGISTIC;
	o->folds = 5;
	o->seed = 1;
	o->l2 = 1;
	o->degree = 2;
	o->k = 5;
	o->min_class = 0;
}

void predict_result_free(struct predict_result *r)
{
	free(r->fold);
	free(r->p);
	free(r->cls);
	free(r->logstep);
	memset(r, 0, sizeof *r);
}

/* The design of a fold: the features standardised with the mean and s.d.
 * of the fit's runs, then (degree 2) squares and products. */
struct design {
	int d, e;          /* raw features, expanded */
	double *mean, *sd; /* (d) */
	double *z;         /* (n, e) every run */
};

static int expand_dim(int d, int degree)
{
	return degree == 2 ? d + d * (d + 1) / 2 : d;
}

static int design_init(struct design *g, const struct predict_data *D,
		       const int *fit, int nfit, int degree)
{
	g->d = D->d;
	g->e = expand_dim(D->d, degree);
	g->mean = calloc((size_t)D->d, sizeof *g->mean);
	g->sd = calloc((size_t)D->d, sizeof *g->sd);
	g->z = malloc((size_t)D->n * (size_t)g->e * sizeof *g->z);
	if (!g->mean || !g->sd || !g->z)
		return -1;
	for (int j = 0; j < D->d; j++) {
		double s = 0, ss = 0;
		for (int q = 0; q < nfit; q++)
			s += D->x[(size_t)fit[q] * (size_t)D->d + (size_t)j];
		g->mean[j] = s / nfit;
		for (int q = 0; q < nfit; q++) {
			double v = D->x[(size_t)fit[q] * (size_t)D->d + (size_t)j] - g->mean[j];
			ss += v * v;
		}
		g->sd[j] = ss > 0 ? sqrt(ss / nfit) : 1;
	}
	for (int i = 0; i < D->n; i++) {
		double *z = g->z + (size_t)i * (size_t)g->e;
		for (int j = 0; j < D->d; j++)
			z[j] = (D->x[(size_t)i * (size_t)D->d + (size_t)j] - g->mean[j]) / g->sd[j];
		int k = D->d;
		for (int a = 0; degree == 2 && a < D->d; a++)
			for (int b = a; b < D->d; b++)
				z[k++] = z[a] * z[b];
	}
	return 0;
}

static void design_free(struct design *g)
{
	free(g->mean);
	free(g->sd);
	free(g->z);
}

/* Rows `fit` of the design into x (nfit, e) and target into y. */
static void gather(const struct design *g, const int *fit, int nfit, const double *t,
		   double *x, double *y)
{
	for (int q = 0; q < nfit; q++) {
		memcpy(x + (size_t)q * (size_t)g->e, g->z + (size_t)fit[q] * (size_t)g->e,
		       (size_t)g->e * sizeof *x);
		y[q] = t[fit[q]];
	}
}

static double dist2(const double *a, const double *b, int d)
{
	double s = 0;
	for (int j = 0; j < d; j++)
		s += (a[j] - b[j]) * (a[j] - b[j]);
	return s;
}

/* The k nearest of the fit's runs (those with `want` non-NaN target when
 * t is given) to run i; their indices into near (k), returns the count. */
static int nearest(const struct design *g, const int *fit, int nfit, int i, int k,
		   const double *t, int *near, double *nd)
{
	int m = 0;
	const double *zi = g->z + (size_t)i * (size_t)g->e;
	for (int q = 0; q < nfit; q++) {
		if (t && isnan(t[fit[q]]))
			continue;
		double dd = dist2(zi, g->z + (size_t)fit[q] * (size_t)g->e, g->d);
		int pos = m < k ? m++ : k;
		if (pos == k && dd >= nd[k - 1])
			continue;
		if (pos == k)
			pos = k - 1;
		while (pos > 0 && nd[pos - 1] > dd) {
			nd[pos] = nd[pos - 1];
			near[pos] = near[pos - 1];
			pos--;
		}
		nd[pos] = dd;
		near[pos] = fit[q];
	}
	return m;
}

static void knn_fold(const struct predict_data *D, const struct design *g, const int *fit,
		     int nfit, const int *held, int nheld, int k, struct predict_result *r,
		     int *near, double *nd)
{
	for (int h = 0; h < nheld; h++) {
		int i = held[h], m = nearest(g, fit, nfit, i, k, NULL, near, nd);
		double votes[PREDICT_NCLASS] = {0}, p = 0, ls = 0;
		for (int q = 0; q < m; q++) {
			p += D->y[near[q]] / m;
			votes[D->cls[near[q]]] += 1;
		}
		int best = 0;
		for (int c = 1; c < PREDICT_NCLASS; c++)
			if (votes[c] > votes[best])
				best = c;
		m = nearest(g, fit, nfit, i, k, D->logstep, near, nd);
		for (int q = 0; q < m; q++)
			ls += D->logstep[near[q]] / m;
		r->p[i] = p;
		r->cls[i] = best;
		r->logstep[i] = m ? ls : NAN;
	}
}

static int logistic_fold(const struct predict_data *D, const struct design *g,
			 const int *fit, int nfit, const int *held, int nheld,
			 double l2, struct predict_result *r, double *x, double *y, double *t,
			 double *best, struct traj_error *err)
{
	struct predict_linear m;
	gather(g, fit, nfit, D->y, x, y);
	if (predict_logistic_fit(&m, x, y, nfit, g->e, l2, err) < 0)
		return -1;
	for (int h = 0; h < nheld; h++)
		r->p[held[h]] = predict_logistic_prob(&m, g->z + (size_t)held[h] * (size_t)g->e);
	predict_linear_free(&m);
	/* the classes, one against the rest */
	for (int h = 0; h < nheld; h++)
		best[h] = -1;
	for (int c = 0; c < PREDICT_NCLASS; c++) {
		int pos = 0;
		for (int q = 0; q < nfit; q++) {
			t[fit[q]] = D->cls[fit[q]] == c;
			pos += D->cls[fit[q]] == c;
		}
		if (pos == 0)
			continue;
		gather(g, fit, nfit, t, x, y);
		int constant = pos == nfit;
		if (!constant && predict_logistic_fit(&m, x, y, nfit, g->e, l2, err) < 0)
			return -1;
		for (int h = 0; h < nheld; h++) {
			double p = constant ? 1 : predict_logistic_prob(&m, g->z + (size_t)held[h] * (size_t)g->e);
			if (p > best[h]) {
				best[h] = p;
				r->cls[held[h]] = c;
			}
		}
		if (!constant)
			predict_linear_free(&m);
	}
	/* log10 of the test step, on the fit's runs that have one */
	int nl = 0;
	for (int q = 0; q < nfit; q++)
		if (!isnan(D->logstep[fit[q]])) {
			memcpy(x + (size_t)nl * (size_t)g->e, g->z + (size_t)fit[q] * (size_t)g->e,
			       (size_t)g->e * sizeof *x);
			y[nl++] = D->logstep[fit[q]];
		}
	if (nl < 2) {
		for (int h = 0; h < nheld; h++)
			r->logstep[held[h]] = NAN;
		return 0;
	}
	if (predict_ridge_fit(&m, x, y, nl, g->e, l2, err) < 0)
		return -1;
	for (int h = 0; h < nheld; h++)
		r->logstep[held[h]] = predict_linear_eval(&m, g->z + (size_t)held[h] * (size_t)g->e);
	predict_linear_free(&m);
	return 0;
}

static int check(const struct predict_data *D, const struct predict_opts *o,
		 struct traj_error *err)
{
	int yes = 0, need = o->min_class > 0 ? o->min_class : o->folds;
	for (int i = 0; i < D->n; i++)
		yes += D->y[i] > 0.5;
	if (yes < need || D->n - yes < need)
		return traj_fail(err, TRAJ_EDATA, -1, "only %d of %d runs %s within the "
				 "budget: at least %d of each class are needed (--min-class)",
				 yes < need ? yes : D->n - yes, D->n,
				 yes < need ? "generalise" : "do not generalise", need);
	if (D->ngroups < o->folds)
		return traj_fail(err, TRAJ_EDATA, -1, "%d configurations for %d folds "
				 "(--folds)", D->ngroups, o->folds);
	return 0;
}

int predict_crossval(const struct predict_data *D, const struct predict_opts *o,
		     struct predict_result *r, struct traj_error *err)
{
	memset(r, 0, sizeof *r);
	if (check(D, o, err) < 0)
		return -1;
	size_t n = (size_t)D->n;
	int e = expand_dim(D->d, o->degree);
	r->fold = malloc(n * sizeof *r->fold);
	r->p = malloc(n * sizeof *r->p);
	r->cls = calloc(n, sizeof *r->cls);
	r->logstep = malloc(n * sizeof *r->logstep);
	int32_t *perm = malloc((size_t)D->ngroups * sizeof *perm);
	int *fit = malloc(n * sizeof *fit), *held = malloc(n * sizeof *held);
	int *near = malloc(((size_t)o->k + 1) * sizeof *near);
	double *nd = malloc(((size_t)o->k + 1) * sizeof *nd);
	double *x = malloc(n * (size_t)e * sizeof *x), *y = malloc(n * sizeof *y);
	double *t = malloc(n * sizeof *t), *best = malloc(n * sizeof *best);
	int rc = 0;
	if (!r->fold || !r->p || !r->cls || !r->logstep || !perm || !fit || !held ||
	    !near || !nd || !x || !y || !t || !best)
		rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	if (rc == 0) {
		/* groups shuffled, then dealt round the folds */
		struct rng g;
		rng_seed(&g, o->seed);
		for (int k = 0; k < D->ngroups; k++)
			perm[k] = k;
		rng_shuffle(&g, perm, D->ngroups);
		int *fold_of = (int *)perm; /* reused in place: group -> fold */
		int *tmp = malloc((size_t)D->ngroups * sizeof *tmp);
		if (!tmp)
			rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		for (int k = 0; tmp && k < D->ngroups; k++)
			tmp[perm[k]] = k % o->folds;
		for (int k = 0; tmp && k < D->ngroups; k++)
			fold_of[k] = tmp[k];
		free(tmp);
		for (int i = 0; rc == 0 && i < D->n; i++)
			r->fold[i] = fold_of[D->group[i]];
	}
	for (int f = 0; rc == 0 && f < o->folds; f++) {
		int nfit = 0, nheld = 0;
		for (int i = 0; i < D->n; i++) {
			if (r->fold[i] == f)
				held[nheld++] = i;
			else
				fit[nfit++] = i;
		}
		struct design g = {0};
		if (design_init(&g, D, fit, nfit, o->model == PREDICT_KNN ? 1 : o->degree) < 0)
			rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		else if (o->model == PREDICT_KNN)
			knn_fold(D, &g, fit, nfit, held, nheld, o->k, r, near, nd);
		else
			rc = logistic_fold(D, &g, fit, nfit, held, nheld, o->l2, r, x, y, t,
					   best, err);
		design_free(&g);
	}
	free(perm);
	free(fit);
	free(held);
	free(near);
	free(nd);
	free(x);
	free(y);
	free(t);
	free(best);
	if (rc < 0)
		predict_result_free(r);
	return rc;
}

void predict_report(FILE *out, const struct predict_data *D,
		    const struct predict_result *r, int folds)
{
	int n = D->n, right = 0, cright = 0, yes = 0, nl = 0;
	double brier = 0, se = 0, ae = 0, mean = 0, base = 0;
	for (int i = 0; i < n; i++) {
		right += (r->p[i] >= 0.5) == (D->y[i] > 0.5);
		cright += r->cls[i] == D->cls[i];
		yes += D->y[i] > 0.5;
		brier += (r->p[i] - D->y[i]) * (r->p[i] - D->y[i]) / n;
	}
	/* the baseline of the step: each fold's mean of its fit */
	for (int i = 0; i < n; i++) {
		if (isnan(D->logstep[i]) || isnan(r->logstep[i]))
			continue;
		double s = 0;
		int m = 0;
		for (int q = 0; q < n; q++)
			if (r->fold[q] != r->fold[i] && !isnan(D->logstep[q])) {
				s += D->logstep[q];
				m++;
			}
		mean = m ? s / m : NAN;
		double dv = r->logstep[i] - D->logstep[i];
		se += dv * dv;
		ae += fabs(dv);
		base += (mean - D->logstep[i]) * (mean - D->logstep[i]);
		nl++;
	}
	fprintf(out, "n\t%d\nfolds\t%d\n", n, folds);
	fprintf(out, "accuracy\t%.6g\n", (double)right / n);
	fprintf(out, "majority\t%.6g\n", (double)(yes > n - yes ? yes : n - yes) / n);
	fprintf(out, "auroc\t%.6g\n", predict_auroc(r->p, D->y, n));
	fprintf(out, "brier\t%.6g\n", brier);
	fprintf(out, "outcome_accuracy\t%.6g\n", (double)cright / n);
	fprintf(out, "log_step_n\t%d\n", nl);
	fprintf(out, "log_step_rmse\t%.6g\n", nl ? sqrt(se / nl) : NAN);
	fprintf(out, "log_step_mae\t%.6g\n", nl ? ae / nl : NAN);
	fprintf(out, "log_step_baseline_rmse\t%.6g\n", nl ? sqrt(base / nl) : NAN);
	int count[10];
	double mp[10], obs[10];
	predict_calibration(r->p, D->y, n, 10, count, mp, obs);
	for (int b = 0; b < 10; b++) {
		fprintf(out, "calibration/%.1f-%.1f/n\t%d\n", b / 10.0, (b + 1) / 10.0, count[b]);
		fprintf(out, "calibration/%.1f-%.1f/mean_p\t%.6g\n", b / 10.0, (b + 1) / 10.0, mp[b]);
		fprintf(out, "calibration/%.1f-%.1f/observed\t%.6g\n", b / 10.0, (b + 1) / 10.0, obs[b]);
	}
}
