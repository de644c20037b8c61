/* Components evaluated through functions (ablate_rank.h): the adapters
 * of the ablator and of the edge ablator. */
#include "interp/ablate_rank.h"

#include <stdlib.h>

static struct eval_result ablator_eval_fn(void *ctx, const int *active, int n)
{
	return ablator_eval(ctx, active, n);
}

static int ablator_attribute_fn(void *ctx, double *score,
				struct traj_error *err)
{
	return ablator_attribute(ctx, score, err);
}

struct fn_run ablator_fn_run(struct ablator *a, struct eval_result base,
			     int sign, const char *prefix)
{
	return (struct fn_run){
		.eval = ablator_eval_fn, .attribute = ablator_attribute_fn,
		.ctx = a, .comps = a->comps, .n = a->ncomps, .sign = sign,
		.base = base, .prefix = prefix,
	};
}

int edge_run_init(struct edge_run *er, const struct component *comps,
		  int n, struct traj_error *err)
{
	*er = (struct edge_run){ .comps = comps, .n = n };
	er->idx = malloc(((size_t)n + 1) * sizeof *er->idx);
	if (!er->idx)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	return 0;
}

void edge_run_free(struct edge_run *er)
{
	free(er->idx);
	er->idx = NULL;
}

static struct eval_result edge_run_eval(void *ctx, const int *active, int k)
{
	struct edge_run *er = ctx;
	for (int i = 0; i < k; i++)
		er->idx[i] = er->comps[active[i]].index;
	return edge_eval(&er->ea, er->idx, k, NULL);
}

/* Scores of every edge of the graph, kept for the selected ones. */
static int edge_run_attribute(void *ctx, double *score, struct traj_error *err)
{
	struct edge_run *er = ctx;
	double *all = malloc(((size_t)er->ea.g->nedges + 1) * sizeof *all);
	if (!all)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = edge_attribute(&er->ea, all, err);
	for (int i = 0; rc == 0 && i < er->n; i++)
		score[i] = all[er->comps[i].index];
	free(all);
	return rc;
}

struct fn_run edge_fn_run(struct edge_run *er, int sign, const char *prefix)
{
	return (struct fn_run){
		.eval = edge_run_eval, .attribute = edge_run_attribute,
		.ctx = er, .comps = er->comps, .n = er->n, .sign = sign,
		.prefix = prefix,
	};
}

int edge_run_write_dot(FILE *out, const char *run, int64_t step,
		       const struct edge_run *er, const unsigned char *keep,
		       const double *imp, struct traj_error *err)
{
	const struct edge_graph *g = er->ea.g;
	unsigned char *ekeep = calloc((size_t)g->nedges + 1, 1);
	double *w = calloc((size_t)g->nedges + 1, sizeof *w);
	int rc = ekeep && w ? 0 : traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (int i = 0; rc == 0 && i < er->n; i++) {
		ekeep[er->comps[i].index] = keep[i];
		w[er->comps[i].index] = imp[i];
	}
	if (rc == 0)
		edge_write_dot(out, run, step, g, ekeep, w);
	free(ekeep);
	free(w);
	return rc;
}
