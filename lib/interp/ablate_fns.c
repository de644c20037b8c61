/* Components evaluated through functions (ablate_fns.h): the adapters
 * of the ablator, the edge ablator and the logit frequencies. */
#include "interp/ablate_fns.h"
#include "interp/attrib.h"

#include <stdlib.h>

static int ablator_eval_fn(void *ctx, const int *active, int n,
			   struct eval_result *out, struct traj_error *err)
{
	return ablator_eval(ctx, active, n, out, err);
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

static int index_run_init(struct index_run *ir, const struct component *comps,
			  int n, struct traj_error *err)
{
	*ir = (struct index_run){ .comps = comps, .n = n };
	ir->idx = malloc(((size_t)n + 1) * sizeof *ir->idx);
	if (!ir->idx)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	return 0;
}

static void index_run_free(struct index_run *ir)
{
	free(ir->idx);
	ir->idx = NULL;
}

/* The engine's indices of the components active[0..k). */
static const int *indices(const struct index_run *ir, const int *active,
			  int k)
{
	for (int i = 0; i < k; i++)
		ir->idx[i] = ir->comps[active[i]].index;
	return ir->idx;
}

int edge_run_init(struct edge_run *er, const struct component *comps,
		  int n, struct traj_error *err)
{
	*er = (struct edge_run){ 0 };
	return index_run_init(&er->ir, comps, n, err);
}

void edge_run_free(struct edge_run *er)
{
	index_run_free(&er->ir);
}

static int edge_run_eval(void *ctx, const int *active, int k,
			 struct eval_result *out, struct traj_error *err)
{
	struct edge_run *er = ctx;
	(void)err;
	*out = edge_eval(&er->ea, indices(&er->ir, active, k), k, NULL);
	return 0;
}

/* Scores of every edge of the graph, kept for the selected ones. */
static int edge_run_attribute(void *ctx, double *score, struct traj_error *err)
{
	struct edge_run *er = ctx;
	double *all = malloc(((size_t)er->ea.g->nedges + 1) * sizeof *all);
	if (!all)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = edge_attribute(&er->ea, all, err);
	for (int i = 0; rc == 0 && i < er->ir.n; i++)
		score[i] = all[er->ir.comps[i].index];
	free(all);
	return rc;
}

struct fn_run edge_fn_run(struct edge_run *er, int sign, const char *prefix)
{
	return (struct fn_run){
		.eval = edge_run_eval, .attribute = edge_run_attribute,
		.ctx = er, .comps = er->ir.comps, .n = er->ir.n, .sign = sign,
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
	for (int i = 0; rc == 0 && i < er->ir.n; i++) {
		ekeep[er->ir.comps[i].index] = keep[i];
		w[er->ir.comps[i].index] = imp[i];
	}
	if (rc == 0)
		edge_write_dot(out, run, step, g, ekeep, w);
	free(ekeep);
	free(w);
	return rc;
}

int logit_freq_run_init(struct freq_run *fq, const struct component *comps,
			int n, struct model *m, const struct batch *data,
			int zero, struct traj_error *err)
{
	*fq = (struct freq_run){ 0 };
	if (index_run_init(&fq->ir, comps, n, err) < 0)
		return -1;
	if (logit_freq_init(&fq->f, m, data, zero, err) < 0) {
		index_run_free(&fq->ir);
		return -1;
	}
	return 0;
}

void logit_freq_run_free(struct freq_run *fq)
{
	logit_freq_free(&fq->f);
	index_run_free(&fq->ir);
}

static int freq_run_eval(void *ctx, const int *active, int k,
			 struct eval_result *out, struct traj_error *err)
{
	struct freq_run *fq = ctx;
	(void)err;
	fq->evals++;
	*out = logit_freq_eval(&fq->f, indices(&fq->ir, active, k), k);
	return 0;
}

struct fn_run logit_freq_fn_run(struct freq_run *fq, int sign,
				const char *prefix)
{
	return (struct fn_run){
		.eval = freq_run_eval, .ctx = fq, .comps = fq->ir.comps,
		.n = fq->ir.n, .sign = sign,
		.base = logit_freq_eval(&fq->f, NULL, 0), .prefix = prefix,
	};
}
