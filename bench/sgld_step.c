/* Where the time of one SGLD step of traj llc goes, on the demo MLP
 * (a+b mod p, token input, one ReLU layer of `width`, minibatches of
 * `batch` random pairs): each phase timed by the calling thread's CPU
 * clock (run with OPENBLAS_NUM_THREADS=1: that thread then does all the
 * work, and a loaded machine adds little to it), median over the steps.
 *
 *   batch     copying the minibatch's examples into the model's input
 *   fwd_bwd   zeroing the gradient, forward and backward (the model)
 *   step      sgld_step: the normal draws and the update, fused
 *   noise     rng_normal_fill of the step's n normals alone (the part of
 *             `step` that is the draws)
 *   noise_libm  the same Box-Muller draws with libm's logf and sincosf,
 *             pair by pair (the sampler before rng_normal.c), for a ratio
 *             in the same run
 *
 * Prints "sgld_phase_ms<TAB>NAME<TAB>median<TAB>percent of a step" (the
 * step is batch + fwd_bwd + step) and "sgld_noise_speedup<TAB>x".
 * Usage: sgld_step [p] [width] [batch] [steps] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/sgld.h"
#include "common/rng.h"
#include "model/mlp.h"

#include "benchtime.h"

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void normal_fill_libm(struct rng *r, float *out, size_t n)
{
	for (size_t i = 0; i < n; i += 2) {
		uint64_t x = rng_next(r);
		float u1 = (float)((x >> 40) + 1) * (1.0f / 16777216.0f);
		float u2 = (float)((x >> 16) & 0xffffff) * (1.0f / 16777216.0f);
		float rad = sqrtf(-2.0f * logf(u1));
		out[i] = rad * cosf(6.28318531f * u2);
		if (i + 1 < n)
			out[i + 1] = rad * sinf(6.28318531f * u2);
	}
}

enum { BATCH, FWD_BWD, STEP, NOISE, NOISE_LIBM, PHASES };
static const char *names[PHASES] = { "batch", "fwd_bwd", "step", "noise",
				     "noise_libm" };

int main(int argc, char **argv)
{
	int p = argc > 1 ? atoi(argv[1]) : 97;
	int width = argc > 2 ? atoi(argv[2]) : 512;
	int B = argc > 3 ? atoi(argv[3]) : 256;
	int steps = argc > 4 ? atoi(argv[4]) : 200;
	if (p < 2 || width < 1 || B < 1 || steps < 1)
		return 2;
	struct traj_error err;
	struct mlp_config cfg = { 2, p, width, 1, p, ACT_RELU, 1, { 0 } };
	struct model *m = mlp_new(&cfg, B, &err);
	if (!m) {
		fprintf(stderr, "sgld_step: %s\n", err.msg);
		return 1;
	}
	size_t n = m->nparams, N = (size_t)p * p;
	int32_t *all_tok = malloc(N * 2 * sizeof *all_tok);
	int32_t *all_lab = malloc(N * sizeof *all_lab);
	int32_t *tok = malloc((size_t)B * 2 * sizeof *tok);
	int32_t *lab = malloc((size_t)B * sizeof *lab);
	float *w0 = malloc(n * sizeof *w0), *xi = malloc(n * sizeof *xi);
	double *t = malloc((size_t)steps * PHASES * sizeof *t);
	if (!all_tok || !all_lab || !tok || !lab || !w0 || !xi || !t) {
		fprintf(stderr, "sgld_step: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < N; i++) {
		all_tok[2 * i] = (int32_t)(i / p);
		all_tok[2 * i + 1] = (int32_t)(i % p);
		all_lab[i] = (int32_t)((i / p + i % p) % p);
	}
	memcpy(w0, m->params, n * sizeof *w0);
	struct sgld_params sp = { .eps = 1e-3, .nbeta = sgld_default_nbeta(B),
				  .gamma = 100, .sigma = 1 };
	struct rng r, rn;
	rng_seed(&r, 1);
	rng_seed(&rn, 2);
	struct batch b = { .n = B, .tokens = tok, .labels = lab };
	float loss = 0;
	for (int s = -10; s < steps; s++) {
		double *ts = t + (size_t)(s < 0 ? 0 : s) * PHASES;
		double t0 = cpu_ms();
		for (int i = 0; i < B; i++) {
			size_t e = rng_below(&r, N);
			memcpy(tok + 2 * i, all_tok + 2 * e, 2 * sizeof *tok);
			lab[i] = all_lab[e];
		}
		double t1 = cpu_ms();
		memset(m->grads, 0, n * sizeof *m->grads);
		if (m->ops->loss(m, &b, 1, &loss, &err) < 0) {
			fprintf(stderr, "sgld_step: %s\n", err.msg);
			return 1;
		}
		double t2 = cpu_ms();
		sgld_step(&sp, m->params, m->grads, w0, n, &r);
		double t3 = cpu_ms();
		rng_normal_fill(&rn, xi, n);
		double t4 = cpu_ms();
		normal_fill_libm(&rn, xi, n);
		double t5 = cpu_ms();
		ts[BATCH] = t1 - t0;
		ts[FWD_BWD] = t2 - t1;
		ts[STEP] = t3 - t2;
		ts[NOISE] = t4 - t3;
		ts[NOISE_LIBM] = t5 - t4;
	}
	double med[PHASES];
	double *col = malloc((size_t)steps * sizeof *col);
	for (int k = 0; k < PHASES; k++) {
		for (int s = 0; s < steps; s++)
			col[s] = t[(size_t)s * PHASES + k];
		qsort(col, (size_t)steps, sizeof *col, cmp_double);
		med[k] = col[steps / 2];
	}
	double whole = med[BATCH] + med[FWD_BWD] + med[STEP];
	for (int k = 0; k < PHASES; k++)
		printf("sgld_phase_ms\t%s\t%.3f\t%.1f%%\n", names[k], med[k],
		       100 * med[k] / whole);
	printf("sgld_noise_speedup\t%.2f\t(noise_libm / noise, %zu normals)\n",
	       med[NOISE_LIBM] / med[NOISE], n);
	fprintf(stderr, "sgld_step: final loss %g\n", (double)loss);
	free(col);
	free(t);
	free(all_tok);
	free(all_lab);
	free(tok);
	free(lab);
	free(w0);
	free(xi);
	model_free(m);
	return 0;
}
