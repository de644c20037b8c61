/* Times one training step (loss with gradients + AdamW) of the grokking
 * MLP on (a + b) mod p, full batch over a random fraction of all pairs:
 * the C side of bench/torch_mlp.py. Prints "traj_ms_per_step\t<median>".
 *
 * Also times, right after each step, the step's own matrix products
 * alone (per product layer: the forward product, the weight gradient and
 * the input gradient, at the step's shapes, on buffers of their own), and
 * prints "sgemm_ms_per_step\t<median>": the time sgemm needs for the
 * step's products, under the same load as the step (one is timed right
 * after the other, so a busy machine slows both).
 *
 * MLP_STEP_CPU=1 times the calling thread's CPU time instead of the wall
 * clock: with OPENBLAS_NUM_THREADS=1 that thread does all the work, and a
 * loaded machine then adds little of other programs' time to it.
 * Usage: mlp_step [p] [frac] [width] [depth] [steps] [activation] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/linalg.h"
#include "model/mlp.h"
#include "model/optim.h"
#include "common/rng.h"

#include "benchtime.h"

/* Buffers for the products of one step: the activations (n, H), the
 * output gradient (n, C), the weights (H, C), their gradient (H, C) and
 * the input gradient (n, H), as many floats as the largest layer needs. */
struct products {
	int n, width, depth, classes;
	float *act, *dy, *w, *gw, *da;
};

static int products_new(struct products *g, int n, int width, int depth,
			int classes)
{
	int c = classes > width ? classes : width;
	*g = (struct products){ n, width, depth, classes, NULL, NULL, NULL,
				NULL, NULL };
	size_t nh = (size_t)n * width, nc = (size_t)n * c, hc = (size_t)width * c;
	g->act = malloc(nh * sizeof *g->act);
	g->dy = malloc(nc * sizeof *g->dy);
	g->w = malloc(hc * sizeof *g->w);
	g->gw = malloc(hc * sizeof *g->gw);
	g->da = malloc(nh * sizeof *g->da);
	if (!g->act || !g->dy || !g->w || !g->gw || !g->da)
		return -1;
	struct rng r;
	rng_seed(&r, 1);
	for (size_t i = 0; i < nh; i++)
		g->act[i] = (float)rng_uniform(&r);
	for (size_t i = 0; i < nc; i++)
		g->dy[i] = (float)rng_uniform(&r) - 0.5f;
	for (size_t i = 0; i < hc; i++)
		g->w[i] = g->gw[i] = (float)rng_uniform(&r) - 0.5f;
	return 0;
}

/* The products mlp.c's training step makes, in its order: layer 0 is a
 * row gather (no product); each later layer one forward product, then
 * backward the weight gradient and the input gradient. */
static void products_run(const struct products *g)
{
	int n = g->n, H = g->width;
	for (int i = 1; i <= g->depth; i++) {
		int out = i == g->depth ? g->classes : H;
		linalg_matmul(n, out, H, g->act, g->w, 0.0f, g->dy);
	}
	for (int i = g->depth; i >= 1; i--) {
		int out = i == g->depth ? g->classes : H;
		linalg_matmul_tn_acc(H, out, n, g->act, g->dy, g->gw);
		linalg_matmul_nt(n, H, out, g->dy, g->w, g->da);
	}
}

static void products_free(struct products *g)
{
	free(g->act);
	free(g->dy);
	free(g->w);
	free(g->gw);
	free(g->da);
}

static clockid_t clock_id = CLOCK_MONOTONIC;

static double clock_ms(void)
{
	struct timespec ts;
	clock_gettime(clock_id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

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
	const char *cpu = getenv("MLP_STEP_CPU");
	if (cpu && *cpu == '1')
		clock_id = CLOCK_THREAD_CPUTIME_ID;
	int32_t *pairs = malloc((size_t)p * p * sizeof *pairs);
	int32_t *tok = malloc((size_t)n * 2 * sizeof *tok);
	int32_t *lab = malloc((size_t)n * sizeof *lab);
	double *ms = malloc((size_t)steps * sizeof *ms);
	double *gemm_ms = malloc((size_t)steps * sizeof *gemm_ms);
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
	struct products g;
	if (!ms || !gemm_ms || products_new(&g, n, width, depth, p) < 0) {
		fprintf(stderr, "mlp_step: out of memory\n");
		return 1;
	}
	float loss = 0;
	for (int s = -5; s < steps; s++) {
		double t0 = clock_ms();
		for (size_t i = 0; i < m->nparams; i++)
			m->grads[i] = 0.0f;
		if (m->ops->loss(m, &b, 1, &loss, &err) < 0) {
			fprintf(stderr, "mlp_step: %s\n", err.msg);
			return 1;
		}
		optim_step(&o, m->params, m->grads);
		double t1 = clock_ms();
		products_run(&g);
		if (s >= 0) {
			ms[s] = t1 - t0;
			gemm_ms[s] = clock_ms() - t1;
		}
	}
	qsort(ms, (size_t)steps, sizeof *ms, cmp_double);
	qsort(gemm_ms, (size_t)steps, sizeof *gemm_ms, cmp_double);
	fprintf(stderr, "mlp_step: blas core %s, final loss %g, min %.2f ms\n",
		linalg_init(), loss, ms[0]);
	printf("traj_ms_per_step\t%.3f\n", ms[steps / 2]);
	printf("sgemm_ms_per_step\t%.3f\n", gemm_ms[steps / 2]);
	optim_free(&o);
	model_free(m);
	free(pairs);
	free(tok);
	free(lab);
	free(ms);
	free(gemm_ms);
	products_free(&g);
	return 0;
}
