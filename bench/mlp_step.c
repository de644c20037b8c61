/* Times one training step (loss with gradients + AdamW) of the grokking
 * MLP on (a + b) mod p, full batch over a random fraction of all pairs:
 * the C side of bench/torch_mlp.py. Prints "traj_ms_per_step\t<median>".
 * Usage: mlp_step [p] [frac] [width] [depth] [steps] [activation] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model/mlp.h"
#include "model/optim.h"
#include "common/linalg.h"
#include "common/rng.h"

#include "benchtime.h"

int main(int argc, char **argv)
{
	int p = argc > 1 ? atoi(argv[1]) : 97;
	double frac = argc > 2 ? atof(argv[2]) : 0.5;
	int width = argc > 3 ? atoi(argv[3]) : 512;
	int depth = argc > 4 ? atoi(argv[4]) : 1;
	int steps = argc > 5 ? atoi(argv[5]) : 50;
	enum activation act = ACT_RELU;
	if (argc > 6 && activation_from_name(argv[6], &act) < 0)
		return 2;
	int n = (int)(frac * p * p);
	if (steps < 1 || n < 1)
		return 2;
	int32_t *pairs = malloc((size_t)p * p * sizeof *pairs);
	int32_t *tok = malloc((size_t)n * 2 * sizeof *tok);
	int32_t *lab = malloc((size_t)n * sizeof *lab);
	double *ms = malloc((size_t)steps * sizeof *ms);
	struct rng r;
	rng_seed(&r, 0);
	for (int i = 0; i < p * p; i++)
		pairs[i] = i;
	rng_shuffle(&r, pairs, (int64_t)p * p);
	for (int i = 0; i < n; i++) {
		tok[2 * i] = pairs[i] / p;
		tok[2 * i + 1] = pairs[i] % p;
		lab[i] = (tok[2 * i] + tok[2 * i + 1]) % p;
	}
	struct mlp_config cfg = { 2, p, width, depth, p, act, 1 };
	struct traj_error err;
	struct model *m = mlp_new(&cfg, n, &err);
	if (!m) {
		fprintf(stderr, "mlp_step: %s\n", err.msg);
		return 1;
	}
	model_init(m, 1);
	struct optim_config oc;
	optim_config_default(&oc, OPTIM_ADAMW);
	struct optim o;
	optim_init(&o, &oc, m->nparams);
	struct batch b = { n, tok, NULL, lab };
	float loss = 0;
	for (int s = -5; s < steps; s++) {
		double t0 = now_ms();
		for (size_t i = 0; i < m->nparams; i++)
			m->grads[i] = 0.0f;
		loss = m->ops->loss(m, &b, 1);
		optim_step(&o, m->params, m->grads);
		if (s >= 0)
			ms[s] = now_ms() - t0;
	}
	qsort(ms, (size_t)steps, sizeof *ms, cmp_double);
	fprintf(stderr, "mlp_step: blas core %s, final loss %g, min %.2f ms\n",
		linalg_init(), loss, ms[0]);
	printf("traj_ms_per_step\t%.3f\n", ms[steps / 2]);
	optim_free(&o);
	model_free(m);
	free(pairs);
	free(tok);
	free(lab);
	free(ms);
	return 0;
}
