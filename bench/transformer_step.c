/* Times one training step (loss with gradients + AdamW lr 1e-3, weight
 * decay 1, betas 0.9/0.98) of Nanda et al.'s grokking transformer on
 * (a + b) mod p as "a b =", full batch over a random fraction of all
 * pairs: the C side of bench/torch_transformer.py. Also times OpenBLAS
 * sgemm on a large square product with the same threads, for the peak.
 * Prints tab-separated lines:
 *   traj_ms_per_step   <median>
 *   gemm_gflop_per_step <matrix-product work of one step, from the shapes>
 *   sgemm_peak_gflops  <1024^3 sgemm rate>
 *   gemm_ms_per_step   <time inside the step's matrix products>
 *   gemm_gflops        <their achieved rate: counted work / that time>
 *   gemm_calls_per_step
 * Usage: transformer_step [p] [frac] [d_model] [heads] [d_mlp] [steps]
 *                         [table: -1 auto, 0 off] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/linalg.h"
#include "model/optim.h"
#include "task/task.h"
#include "model/transformer.h"

#include "benchtime.h"

/* 2 m n k summed over the products of one step of a one-block model with
 * one labelled position: Q/K/V on T*V table rows (or B*T rows, queries on
 * B) forward and backward, W_O, the MLP and the unembedding on B rows. */
static double step_flops(const struct transformer_config *c, double B,
			 int table)
{
	double D = c->d_model, HE = (double)c->n_heads * c->d_head;
	double M = c->d_mlp, U = c->d_vocab_out, T = c->n_ctx;
	double qkv = table ? 9 * (T * c->d_vocab) * D * HE
			   : 3 * (2 * B * T + B) * D * HE;
	return 2 * (qkv + 3 * B * D * HE + 6 * B * M * D + 3 * B * U * D);
}

static double sgemm_peak(void)
{
	enum { N = 1024, REPS = 6 };
	float *a = calloc((size_t)N * N, sizeof *a);
	float *b = calloc((size_t)N * N, sizeof *b);
	float *c = calloc((size_t)N * N, sizeof *c);
	for (size_t i = 0; i < (size_t)N * N; i++)
		a[i] = b[i] = 1.0f / (float)(1 + i % 7);
	double best = 1e30;
	for (int r = 0; r < REPS; r++) {
		double t0 = now_ms();
		linalg_matmul(N, N, N, a, b, 0.0f, c);
		double dt = now_ms() - t0;
		best = dt < best ? dt : best;
	}
	free(a);
	free(b);
	free(c);
	return 2.0 * N * N * N / (best * 1e6);
}

int main(int argc, char **argv)
{
	int p = argc > 1 ? atoi(argv[1]) : 113;
	double frac = argc > 2 ? atof(argv[2]) : 0.3;
	int d_model = argc > 3 ? atoi(argv[3]) : 128;
	int heads = argc > 4 ? atoi(argv[4]) : 4;
	int d_mlp = argc > 5 ? atoi(argv[5]) : 512;
	int steps = argc > 6 ? atoi(argv[6]) : 30;
	int table = argc > 7 ? atoi(argv[7]) : -1;
	struct task_config tc;
	memset(&tc, 0, sizeof tc);
	task_from_name("modadd", &tc);
	tc.p = p;
	tc.frac = frac;
	tc.seed = 0;
	tc.eq_token = 1;
	struct dataset ds;
	struct traj_error err;
	if (steps < 1 || heads < 1 || task_dataset_build(&tc, &ds, &err) < 0)
		return 2;
	struct transformer_config c = {
		.n_layers = 1, .d_model = d_model, .n_heads = heads,
		.d_head = d_model / heads, .d_mlp = d_mlp, .d_vocab = ds.vocab,
		.d_vocab_out = ds.n_classes, .n_ctx = ds.n_inputs,
		.n_outputs = 1, .act = ACT_RELU,
	};
	struct model *m = transformer_new(&c, (int)ds.train.n, &err);
	if (!m) {
		fprintf(stderr, "transformer_step: %s\n", err.msg);
		return 1;
	}
	transformer_set_table(m, table);
	model_init(m, 1);
	struct optim_config oc;
	optim_config_default(&oc, OPTIM_ADAMW);
	struct optim opt;
	optim_init(&opt, &oc, m->nparams);
	struct batch b = task_split_batch(&ds.train);
	double *ms = malloc((size_t)steps * sizeof *ms);
	float loss = 0;
	for (int s = -3; s < steps; s++) {
		if (s == 0) /* the warm-up steps are not counted */
			linalg_count(1);
		double t0 = now_ms();
		for (size_t i = 0; i < m->nparams; i++)
			m->grads[i] = 0.0f;
		if (m->ops->loss(m, &b, 1, &loss, &err) < 0) {
			fprintf(stderr, "transformer_step: %s\n", err.msg);
			return 1;
		}
		optim_step(&opt, m->params, m->grads);
		if (s >= 0)
			ms[s] = now_ms() - t0;
	}
	linalg_count(0);
	struct linalg_counts lc = linalg_counted();
	qsort(ms, (size_t)steps, sizeof *ms, cmp_double);
	int use_table = table != 0 && c.d_vocab <= b.n;
	fprintf(stderr, "transformer_step: blas core %s, batch %d, table %d, "
		"final loss %.6g, min %.2f ms\n", linalg_init(), b.n,
		use_table, loss, ms[0]);
	printf("traj_ms_per_step\t%.3f\n", ms[steps / 2]);
	printf("gemm_gflop_per_step\t%.4f\n",
	       step_flops(&c, b.n, use_table) / 1e9);
	printf("sgemm_peak_gflops\t%.1f\n", sgemm_peak());
	printf("gemm_ms_per_step\t%.3f\n", lc.seconds * 1e3 / steps);
	printf("gemm_gflops\t%.1f\n", lc.flop / lc.seconds / 1e9);
	printf("gemm_calls_per_step\t%.1f\n", (double)lc.calls / steps);
	free(ms);
	optim_free(&opt);
	model_free(m);
	task_dataset_free(&ds);
	return 0;
}
