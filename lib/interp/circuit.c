/* Circuit search; see circuit.h for the method. */
#include "interp/circuit.h"

#include <stdlib.h>
#include <string.h>

struct order_item { int comp; double imp; };

static int by_importance_desc(const void *x, const void *y)
{
	const struct order_item *a = x, *b = y;
	if (a->imp != b->imp)
		return a->imp < b->imp ? 1 : -1;
	return a->comp - b->comp;
}

/* Loss with every candidate but the kept ones ablated, into *r; counts
 * the evaluation in *evals. */
static int ablate_rest(circuit_eval_fn eval, void *ctx,
		       const struct order_item *ord, int n,
		       const unsigned char *in, int *active, int *evals,
		       struct eval_result *r, struct traj_error *err)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		if (!in[i])
			active[k++] = ord[i].comp;
	++*evals;
	return eval(ctx, active, k, r, err);
}

static int ablator_eval_ctx(void *a, const int *active, int n,
			    struct eval_result *out, struct traj_error *err)
{
	return ablator_eval(a, active, n, out, err);
}

/* Binary search, then greedy pruning (circuit.h); in[] says which of
 * ord are kept. */
static int search(circuit_eval_fn eval, void *ctx, const struct order_item *ord,
		  int n, double clean_loss, double threshold,
		  unsigned char *in, int *active, struct circuit_result *res,
		  struct traj_error *err)
{
	int evals = 0;
	int lo = 0, hi = n; /* keeping the top hi passes (all: no ablation) */
	struct eval_result r;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		for (int i = 0; i < n; i++)
			in[i] = i < mid;
		if (ablate_rest(eval, ctx, ord, n, in, active, &evals, &r, err) < 0)
			return -1;
		if (r.loss - clean_loss <= threshold) {
			hi = mid;
			res->eval = r;
		} else {
			lo = mid + 1;
		}
	}
	res->search_passes = evals;
	for (int i = 0; i < n; i++)
		in[i] = i < hi;
	for (int i = hi - 1; i >= 0; i--) {
		in[i] = 0;
		if (ablate_rest(eval, ctx, ord, n, in, active, &evals, &r, err) < 0)
			return -1;
		if (r.loss - clean_loss <= threshold)
			res->eval = r;
		else
			in[i] = 1;
	}
	res->prune_passes = evals - res->search_passes;
	if (hi == n && res->eval.n == 0) /* nothing ablated passed: measure */
		return ablate_rest(eval, ctx, ord, n, in, active, &evals,
				   &res->eval, err);
	return 0;
}

int circuit_search(struct ablator *a, const int *cand, const double *imp,
		   int n, double clean_loss, double threshold,
		   unsigned char *keep, struct circuit_result *res,
		   struct traj_error *err)
{
	return circuit_search_fn(ablator_eval_ctx, a, a->ncomps, cand, imp, n,
				 clean_loss, threshold, keep, res, err);
}

int circuit_search_fn(circuit_eval_fn eval, void *ctx, int ncomps,
		      const int *cand, const double *imp, int n,
		      double clean_loss, double threshold,
		      unsigned char *keep, struct circuit_result *res,
		      struct traj_error *err)
{
	struct order_item *ord = malloc(((size_t)n + 1) * sizeof *ord);
	unsigned char *in = malloc((size_t)n + 1);
	int *active = malloc(((size_t)n + 1) * sizeof *active);
	if (!ord || !in || !active) {
		free(ord);
		free(in);
		free(active);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	for (int i = 0; i < n; i++)
		ord[i] = (struct order_item){ cand[i], imp[i] };
	qsort(ord, (size_t)n, sizeof *ord, by_importance_desc);
	memset(res, 0, sizeof *res);
	res->eval = (struct eval_result){ clean_loss, 0, 0 };
	int rc = search(eval, ctx, ord, n, clean_loss, threshold, in, active,
			res, err);
	memset(keep, 0, (size_t)ncomps);
	for (int i = 0; rc == 0 && i < n; i++) {
		keep[ord[i].comp] = in[i];
		res->size += in[i];
	}
	free(ord);
	free(in);
	free(active);
	return rc;
}
