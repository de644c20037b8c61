/* Linear mode connectivity (Frankle et al. 2020, "Linear mode
 * connectivity and the lottery ticket hypothesis"): the loss and the
 * accuracy of one model at points theta(t) = (1 - t) A + t B of the
 * straight line between two parameter vectors A and B, and the barrier
 * along it. Never prints.
 *
 * Points: t_i = i / (N - 1), i = 0..N-1, so t_0 = 0 and t_{N-1} = 1
 * exactly. The parameters at t are A + t (B - A) computed in double and
 * rounded once to float, except at the ends, which are A and B bit for
 * bit: the path starts and ends at the checkpoints themselves, and a
 * path from a checkpoint to itself is that checkpoint at every t. */
#ifndef TRAJ_ANALYSIS_INTERPOLATE_H
#define TRAJ_ANALYSIS_INTERPOLATE_H

#include <stddef.h>

#include <cJSON.h>

#include "common/error.h"
#include "model/model.h"

#define LMC_POINTS_MAX 10001

/* t_i = i / (n - 1) for n >= 2: exactly 0 at i = 0, 1 at i = n - 1. */
double lmc_t(int i, int n);

/* out = A + t (B - A) (n floats), A itself at t = 0 and B at t = 1.
 * out may be neither a nor b. */
void lmc_blend(float *out, const float *a, const float *b, size_t n,
	       double t);

/* Whether parameters of model b can be read as parameters of model a:
 * the same views (names, order, shapes) and the same "model" configuration
 * objects (cfg_a, cfg_b; either may be NULL to skip that part). TRAJ_EDATA
 * with one line naming the first tensor that differs ("tensor
 * 'layers.0.W': shape [784, 256], not [784, 300]", "tensor 'x' is
 * missing") or the configuration field ("model.activation: \"gelu\", not
 * \"relu\""). */
int lmc_check_models(const struct model *a, const cJSON *cfg_a,
		     const struct model *b, const cJSON *cfg_b,
		     struct traj_error *err);

/* Evaluates m at the n points of the line from a to b (each m->nparams
 * floats, neither being m->params) on the nsplits batches: out[i *
 * nsplits + s] is the loss and accuracy of point i on split s
 * (model_evaluate). m->params holds b afterwards. TRAJ_EUSAGE for n < 2;
 * model_evaluate's errors (m->params then holds the point it failed at). */
int lmc_path(struct model *m, const float *a, const float *b, int n,
	     const struct batch *splits, int nsplits, struct eval_result *out,
	     struct traj_error *err);

/* The barrier of a curve y (n >= 2 values at t_i = i / (n - 1)):
 *   height = max_i [ y_i - ((1 - t_i) y_0 + t_i y_{n-1}) ]
 * the largest rise above the linear interpolation of the end values
 * (>= 0: the ends count), at t (the first such point);
 *   above_mean = max_i y_i - (y_0 + y_{n-1}) / 2
 * the largest rise above the mean of the ends, Frankle et al.'s "error
 * barrier height" (the two agree when the ends are equal).
 * NAN everywhere when a value is not finite. */
struct lmc_barrier {
	double height, t, above_mean;
};
void lmc_barrier(const double *y, int n, struct lmc_barrier *out);

/* The barriers of the loss and of the error (1 - acc) of split s of a
 * path (lmc_path's out, n points, nsplits splits); scratch holds n. */
void lmc_path_barriers(const struct eval_result *path, int n, int nsplits,
		       int s, double *scratch, struct lmc_barrier *loss,
		       struct lmc_barrier *error);

/* A path from a model's loaded parameters, as traj-interpolate scores one
 * for every pair of checkpoints: its buffers are allocated at the first
 * path and kept for the next (same model, same points). */
struct lmc_work {
	int points, nsplits;
	float *a;                    /* (nparams) copy of the start A */
	struct eval_result *path;    /* (points, nsplits), lmc_path's out */
	double *scratch;             /* (points) */
};

/* w->points and w->nsplits set, the rest zero: evaluates the line from
 * m's current parameters to b (m->nparams floats) on the splits, into
 * w->path (lmc_path; m->params holds b afterwards). Errors: lmc_path's,
 * TRAJ_ENOMEM. */
int lmc_work_path(struct lmc_work *w, struct model *m, const float *b,
		  const struct batch *splits, struct traj_error *err);
/* lmc_path_barriers of split s of the last path. */
void lmc_work_barriers(struct lmc_work *w, int s, struct lmc_barrier *loss,
		       struct lmc_barrier *error);
void lmc_work_free(struct lmc_work *w);

#endif
