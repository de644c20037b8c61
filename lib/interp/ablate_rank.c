#include "interp/ablate_rank.h"
#include "interp/attrib.h"

#include <math.h>
#include <stdlib.h>

struct rank_result *ablate_rank_results_new(int n)
{
	struct rank_result *res = calloc((size_t)n + 1, sizeof *res);
	for (int i = 0; res && i < n; i++)
		res[i].index = i;
	return res;
}

static int by_rank(const void *x, const void *y)
{
	const struct rank_result *a = x, *b = y;
	if (a->measured != b->measured)
		return b->measured - a->measured;
	if (a->importance != b->importance)
		return a->importance < b->importance ? 1 : -1;
	return a->index - b->index;
}

void ablate_rank_sort(struct rank_result *res, int n)
{
	qsort(res, (size_t)n, sizeof *res, by_rank);
}

static int measure(const struct fn_run *fr, struct rank_result *r,
		   struct traj_error *err)
{
	struct eval_result e;
	if (fr->eval(fr->ctx, &r->index, 1, &e, err) < 0)
		return -1;
	r->loss_delta = e.loss - fr->base.loss;
	r->acc_delta = e.acc - fr->base.acc;
	r->importance = fr->sign * r->loss_delta;
	r->measured = 1;
	return 0;
}

/* Attribution scores into res, sorted for verification: coarse to fine,
 * whole layers first, since a large ablation is where the first-order
 * estimate fails most (a saturated softmax has a small gradient). */
static int attribute(const struct fn_run *fr, int attrib_only,
		     struct rank_result *res, struct traj_error *err)
{
	int n = fr->n;
	double *score = malloc(((size_t)n + 1) * sizeof *score);
	if (!score)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	if (fr->attribute(fr->ctx, score, err) < 0) {
		free(score);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		res[i].attrib = score[i];
		res[i].attributed = 1;
		res[i].importance = fr->comps[i].kind == COMP_LAYER &&
				    !attrib_only ? INFINITY
						 : fr->sign * score[i];
	}
	free(score);
	ablate_rank_sort(res, n);
	return 0;
}

int ablate_rank_components(const struct fn_run *fr, int attrib_only,
		    int64_t budget, int fixed, struct rank_result *res,
		    struct traj_error *err)
{
	int n = fr->n, verify = n;
	if (attrib_only || budget > 0) {
		if (attribute(fr, attrib_only, res, err) < 0)
			return -1;
		verify = attrib_only ? 0 : (int)(budget - fixed - 1);
		verify = verify < n ? verify : n;
		for (int i = verify; i < n; i++)
			res[i].importance = fr->sign * res[i].attrib;
	}
	for (int i = 0; i < verify; i++)
		if (measure(fr, &res[i], err) < 0)
			return -1;
	return 0;
}

int ablate_rank_one_by_one(const struct fn_run *fr, struct rank_result **out,
			   struct traj_error *err)
{
	struct rank_result *res = ablate_rank_results_new(fr->n);
	*out = NULL;
	if (!res)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (int i = 0; i < fr->n; i++)
		if (measure(fr, &res[i], err) < 0) {
			free(res);
			return -1;
		}
	*out = res;
	return 0;
}

int ablate_rank_joint(const struct fn_run *fr, struct eval_result *out,
	       struct traj_error *err)
{
	int *all = malloc(((size_t)fr->n + 1) * sizeof *all);
	if (!all)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (int i = 0; i < fr->n; i++)
		all[i] = i;
	int rc = fr->eval(fr->ctx, all, fr->n, out, err);
	free(all);
	return rc;
}

/* A circuit's arrays to the caller, or freed after a failure. */
static int hand_over(int rc, double *imp, unsigned char *keep,
		     double **imp_out, unsigned char **keep_out)
{
	if (rc < 0) {
		free(imp);
		free(keep);
		return -1;
	}
	*imp_out = imp;
	*keep_out = keep;
	return 0;
}

int ablate_rank_circuit(const struct fn_run *fr, double threshold,
		 unsigned char **keep_out, double **imp_out,
		 struct circuit_result *cr, struct traj_error *err)
{
	int n = fr->n, rc = -1;
	struct rank_result *res = NULL;
	double *imp = malloc(((size_t)n + 1) * sizeof *imp);
	int *cand = malloc(((size_t)n + 1) * sizeof *cand);
	unsigned char *keep = malloc((size_t)n + 1);
	if (!imp || !cand || !keep) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	} else if (ablate_rank_one_by_one(fr, &res, err) == 0) {
		for (int i = 0; i < n; i++) {
			imp[i] = res[i].importance;
			cand[i] = i;
		}
		rc = circuit_search_fn(fr->eval, fr->ctx, n, cand, imp, n,
				       fr->base.loss, threshold, keep, cr, err);
	}
	free(res);
	free(cand);
	return hand_over(rc, imp, keep, imp_out, keep_out);
}

/* The atomic components' scores, into cand and cimp; their count. */
static int atomic_candidates(const struct ablator *a, const double *imp,
			     int *cand, double *cimp)
{
	int ncand = 0;
	for (int i = 0; i < a->ncomps; i++)
		if (ablate_component_atomic(&a->comps[i])) {
			cimp[ncand] = imp[i];
			cand[ncand++] = i;
		}
	return ncand;
}

int ablator_circuit(struct ablator *a, double clean_loss, double threshold,
		    double **imp_out, unsigned char **keep_out, int *ncand,
		    struct circuit_result *cr, struct traj_error *err)
{
	size_t n = (size_t)a->ncomps + 1;
	double *imp = malloc(n * sizeof *imp), *cimp = malloc(n * sizeof *cimp);
	int *cand = malloc(n * sizeof *cand), rc = -1;
	unsigned char *keep = malloc(n);
	*ncand = 0;
	if (!imp || !cimp || !cand || !keep)
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	else if (ablator_attribute(a, imp, err) == 0)
		rc = 0;
	if (rc == 0 && (*ncand = atomic_candidates(a, imp, cand, cimp)) > 0)
		rc = circuit_search(a, cand, cimp, *ncand, clean_loss,
				    threshold, keep, cr, err);
	free(cimp);
	free(cand);
	return hand_over(rc, imp, keep, imp_out, keep_out);
}
