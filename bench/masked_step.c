/* Times a training step (loss with gradients + AdamW) of the lottery
 * MLP (784-300-300-10, ReLU, batches of 128 random inputs), dense and
 * masked (the mask of the gradient before the optimiser and of the
 * weights after it, as lib/run/trainer.c does) at a density of 0.2 in
 * each weight matrix: the C side of bench/torch_masked.py. Prints
 * "traj_dense_ms\t<median>" and "traj_masked_ms\t<median>".
 * Usage: masked_step [steps] [width] [batch] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/linalg.h"
#include "common/rng.h"
#include "model/mask.h"
#include "model/mlp.h"
#include "model/optim.h"

#include "benchtime.h"

static double median_step(struct model *m, const struct model_mask *k,
			  const struct batch *b, int steps)
{
	struct optim_config oc;
	struct optim o;
	optim_config_default(&oc, OPTIM_ADAMW);
	oc.weight_decay = 0;
	optim_init(&o, &oc, m->nparams);
	model_init(m, 1);
	if (k)
		mask_apply(k, m, m->params);
	double *ms = malloc((size_t)steps * sizeof *ms);
	for (int s = -5; s < steps; s++) {
		double t0 = now_ms();
		memset(m->grads, 0, m->nparams * sizeof *m->grads);
		float loss;
		struct traj_error err;
		if (m->ops->loss(m, b, 1, &loss, &err) < 0) {
			fprintf(stderr, "masked_step: %s\n", err.msg);
			exit(1);
		}
		if (k)
			mask_apply(k, m, m->grads);
		optim_step(&o, m->params, m->grads);
		if (k)
			mask_apply(k, m, m->params);
		if (s >= 0)
			ms[s] = now_ms() - t0;
	}
	qsort(ms, (size_t)steps, sizeof *ms, cmp_double);
	double med = ms[steps / 2];
	free(ms);
	optim_free(&o);
	return med;
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 200;
	int width = argc > 2 ? atoi(argv[2]) : 300;
	int B = argc > 3 ? atoi(argv[3]) : 128;
	if (steps < 1 || width < 1 || B < 1)
		return 2;
	struct mlp_config cfg = { 784, 0, width, 2, 10, ACT_RELU, 1 };
	struct traj_error err;
	struct model *m = mlp_new(&cfg, B, &err);
	if (!m) {
		fprintf(stderr, "masked_step: %s\n", err.msg);
		return 1;
	}
	float *x = malloc((size_t)B * 784 * sizeof *x);
	int32_t *y = malloc((size_t)B * sizeof *y);
	struct rng r;
	rng_seed(&r, 0);
	for (int i = 0; i < B * 784; i++)
		x[i] = rng_uniform(&r);
	for (int i = 0; i < B; i++)
		y[i] = (int32_t)rng_below(&r, 10);
	struct batch b = { B, NULL, x, y };
	struct model_mask k;
	if (mask_init(&k, m, &err) < 0)
		return 1;
	for (int i = 0; i < m->nviews; i++) {
		const struct param_view *v = &m->views[i];
		if (v->rank < 2)
			continue;
		k.masked[i] = 1;
		for (size_t j = 0; j < v->numel; j++)
			k.keep[v->offset + j] = rng_uniform(&r) < 0.2f;
	}
	double dense = median_step(m, NULL, &b, steps);
	double masked = median_step(m, &k, &b, steps);
	fprintf(stderr, "masked_step: blas core %s\n", linalg_init());
	printf("traj_dense_ms\t%.3f\ntraj_masked_ms\t%.3f\n", dense, masked);
	mask_free(&k);
	model_free(m);
	free(x);
	free(y);
	return 0;
}
