/* Linear probes: ridge regression from a layer's activations to targets
 * (targets.h), scored on held-out inputs.
 *
 * The n probe inputs are shuffled once from a seed and cut into a test
 * part (test_frac) and a training part; the training part is cut again
 * into a fitting part and a validation part (val_frac of it). For each
 * target the regularisation is chosen from a grid by the score on the
 * validation part of a fit on the fitting part; the probe is then refit
 * on the whole training part with that value and scored on the test part:
 * accuracy (argmax of one-vs-rest regressions to the one-hot code, ties
 * to the lowest class) for a categorical target, R^2 for a numeric one.
 * The test part never influences a fit or a choice. */
#ifndef TRAJ_PROBE_H
#define TRAJ_PROBE_H

#include <stdint.h>

#include "common/error.h"
#include "analysis/targets.h"

#define PROBE_MAX_LAMBDAS 16

struct probe_opts {
	double test_frac;   /* held out for the score, (0, 1) */
	double val_frac;    /* of the rest, for choosing lambda, (0, 1) */
	uint64_t seed;      /* the shuffle */
	int nlambda;
	/* The grid, relative to the mean eigenvalue of the centred Gram
	 * matrix (ridge_scale), so it does not depend on the scale of the
	 * activations or the number of inputs. */
	double lambda[PROBE_MAX_LAMBDAS];
};
/* test 0.2, val 0.25, seed 0, lambda 1e-6, 1e-5, ..., 10. */
void probe_opts_default(struct probe_opts *o);

struct probe_split {
	int64_t *order;     /* permutation of the inputs: fit, val, test */
	int64_t n_fit, n_val, n_test;
};
/* TRAJ_EUSAGE when n is too small for a part to be non-empty (at least
 * 2 inputs to fit, 1 to validate, 1 to test), TRAJ_ENOMEM. */
int probe_split_make(struct probe_split *s, int64_t n,
		     const struct probe_opts *o, struct traj_error *err);
/* The same cut made over the values of a categorical variable instead of
 * over inputs: the shuffled values 0..ngroups-1 are cut by the fractions,
 * and every input goes to the part of its value group[i]. A probe then
 * has to generalise to values it never saw in training (an embedding of
 * a, with one vector per value, is otherwise fitted by interpolation). */
int probe_split_grouped(struct probe_split *s, const double *group,
			int ngroups, int64_t n, const struct probe_opts *o,
			struct traj_error *err);
void probe_split_free(struct probe_split *s);

struct probe_result {
	double score;       /* test accuracy or R^2 (NAN: constant target) */
	double lambda;      /* chosen, relative (one of the grid) */
};

/* Probes x (n, d), the activations of the n inputs, for every target of
 * ts; res has ts->count entries. */
int probe_run(const float *x, int d, struct target_set *ts,
	      const struct probe_split *s, const struct probe_opts *o,
	      struct probe_result *res, struct traj_error *err);

/* The score of each target from predictions pred (n, total width) of the
 * inputs rows[0..n). */
void probe_score(const struct target_set *ts, const double *pred,
		 const int64_t *rows, int64_t n, double *score);

#endif
