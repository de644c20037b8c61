/* The matrix products of PGD on an MLP with one hidden layer, alone: what
 * any implementation of the attack must compute per gradient step, on
 * every example, at the shapes of bench/attack.sh (784-256-10). Per step:
 * the hidden layer (n, F) @ (F, H), the logits (n, H) @ (H, C), and back
 * to the input (n, C) @ (C, H)^T, then (n, H) @ (F, H)^T.
 *
 * Timed two ways, each `iters` steps over n examples on `threads` threads,
 * and the faster printed: the whole set as one product of OpenBLAS's
 * threads (as PyTorch's one batch), and the set split between the threads
 * by rows, each thread's share in chunks of `chunk` rows with products on
 * that thread alone (as traj's attack). The input rows are pixels in
 * [0, 1] and the weights those of a default-initialised layer: the
 * products do not depend on the values, only denormals would.
 *
 * Prints "pgd_products_s\t<seconds>\t<form>" (wall time, the faster form)
 * and both forms on stderr, then the CPU seconds of the busiest thread of
 * the split form ("pgd_products_split_busy_s"): what its wall time would
 * be if no other program took a core. With `attack` as a fifth argument, also times
 * traj's own PGD (attack_run: the same steps from the clean input, every
 * iterate offered, L-infinity eps 0.1) on the same rows with a randomly
 * initialised 784-256-10 MLP, and prints "pgd_attack_s", per thread of
 * the attack the CPU seconds it computed, the seconds it waited for the
 * others and the rest of the run, when other programs had its core
 * ("pgd_attack_thread"), then the process
 * CPU time of both, "cpu_s\tattack A\tproducts P": at 1 thread, figures
 * that the load of other programs barely moves (the products' CPU time is
 * the one-batch form's).
 * Usage: pgd_products n iters threads [chunk [attack]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/linalg.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "interp/attack.h"
#include "model/mlp.h"

#include "benchtime.h"

enum { F = 784, H = 256, C = 10 };

struct set {
	int n, iters, chunk, parts;
	float *x, *w0, *w1, *h, *z, *dh, *dx;
	double cpu[64]; /* the split form: CPU seconds of each part */
};

/* Rows [e0, e0 + k) through one step's products. */
static void products(const struct set *s, int e0, int k)
{
	size_t o = (size_t)e0;
	linalg_matmul(k, H, F, s->x + o * F, s->w0, 0.0f, s->h + o * H);
	linalg_matmul(k, C, H, s->h + o * H, s->w1, 0.0f, s->z + o * C);
	linalg_matmul_nt(k, H, C, s->z + o * C, s->w1, s->dh + o * H);
	linalg_matmul_nt(k, F, H, s->dh + o * H, s->w0, s->dx + o * F);
}

/* Part t of the split form: its rows, every step, chunk by chunk. */
static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void part(void *ctx, int lo, int hi)
{
	struct set *s = ctx;
	for (int t = lo; t < hi; t++) {
		double c0 = thread_cpu_s();
		int a = (int)((long long)s->n * t / s->parts);
		int b = (int)((long long)s->n * (t + 1) / s->parts);
		for (int e0 = a; e0 < b; e0 += s->chunk) {
			int k = b - e0 < s->chunk ? b - e0 : s->chunk;
			for (int it = 0; it < s->iters; it++)
				products(s, e0, k);
		}
		if (t < 64)
			s->cpu[t] = thread_cpu_s() - c0;
	}
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* traj's PGD over the set's rows; its wall and CPU seconds, or -1. */
static int time_attack(const struct set *s, double *wall, double *cpu)
{
	struct mlp_config cfg = { F, 0, H, 1, C, ACT_RELU, 1, { 0 } };
	struct traj_error err;
	struct model *m = mlp_new(&cfg, 4096, &err);
	int32_t *y = malloc((size_t)s->n * sizeof *y);
	struct attack_result res;
	memset(&res, 0, sizeof res);
	int rc = -1;
	if (!m || !y || attack_result_init(&res, s->n, F, &err) < 0)
		goto out;
	model_init(m, 1);
	for (int e = 0; e < s->n; e++)
		y[e] = e % C;
	struct batch b = { s->n, NULL, s->x, y };
	struct attack_params p = {
		.norm = ATTACK_LINF, .iters = s->iters,
		.step = attack_default_step(s->iters), .restarts = 1,
		.every_iterate = 1, .lo = 0.0f, .hi = 1.0f,
	};
	double t0 = now_ms(), c0 = cpu_s();
	rc = attack_run(m, &b, NULL, 0.1, &p, &res, &err);
	*wall = (now_ms() - t0) / 1e3;
	*cpu = cpu_s() - c0;
	const struct attack_timing *tm = &res.timing;
	for (int t = 0; rc == 0 && t < tm->threads; t++)
		printf("pgd_attack_thread\t%d\tbusy %.3f s\twait %.3f s\t"
		       "neither %.3f s\t(blocks of %d rows)\n", t,
		       tm->busy_s[t], tm->wait_s[t],
		       tm->wall_s - tm->busy_s[t] - tm->wait_s[t], tm->rows);
out:
	if (rc < 0)
		fprintf(stderr, "pgd_products: attack: %s\n", m ? err.msg :
			"no model");
	attack_result_free(&res);
	model_free(m);
	free(y);
	return rc;
}

static float *filled(size_t count, float lo, float hi, struct rng *r)
{
	float *v = malloc(count * sizeof *v);
	for (size_t i = 0; v && i < count; i++)
		v[i] = lo + (hi - lo) * rng_uniform(r);
	return v;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	int iters = argc > 2 ? atoi(argv[2]) : 40;
	int threads = argc > 3 ? atoi(argv[3]) : 2;
	int chunk = argc > 4 ? atoi(argv[4]) : 512;
	if (n < 1 || iters < 1 || threads < 1 || threads > 64 || chunk < 1) {
		fprintf(stderr, "usage: pgd_products n iters threads [chunk]\n");
		return 2;
	}
	linalg_init();
	struct rng r;
	rng_seed(&r, 1);
	struct set s = { .n = n, .iters = iters, .chunk = chunk,
			 .parts = threads };
	size_t N = (size_t)n;
	s.x = filled(N * F, 0.0f, 1.0f, &r);
	s.w0 = filled((size_t)F * H, -0.0357f, 0.0357f, &r); /* 1/sqrt(F) */
	s.w1 = filled((size_t)H * C, -0.0625f, 0.0625f, &r); /* 1/sqrt(H) */
	s.h = filled(N * H, 0.0f, 0.0f, &r);
	s.z = filled(N * C, 0.0f, 0.0f, &r);
	s.dh = filled(N * H, 0.0f, 0.0f, &r);
	s.dx = filled(N * F, 0.0f, 0.0f, &r);
	struct parallel *pool = parallel_new();
	if (!s.x || !s.w0 || !s.w1 || !s.h || !s.z || !s.dh || !s.dx || !pool) {
		fprintf(stderr, "pgd_products: out of memory\n");
		return 1;
	}
	/* one untimed step of each form: threads started, pages touched */
	linalg_set_threads(threads);
	products(&s, 0, n);
	double t0 = now_ms(), c0 = cpu_s();
	for (int it = 0; it < iters; it++)
		products(&s, 0, n);
	double one = (now_ms() - t0) / 1e3, one_cpu = cpu_s() - c0;
	linalg_set_threads(1);
	struct set warm = s;
	warm.iters = 1;
	parallel_run(pool, threads, part, &warm);
	t0 = now_ms();
	parallel_run(pool, threads, part, &s);
	double split = (now_ms() - t0) / 1e3;
	linalg_set_threads(threads);
	fprintf(stderr, "pgd_products: %d examples, %d steps, %d threads, "
		"blas core %s: one batch %.3f s, split by rows in chunks of "
		"%d %.3f s\n", n, iters, threads, linalg_core(), one, chunk,
		split);
	printf("pgd_products_s\t%.3f\t%s\n", one < split ? one : split,
	       one < split ? "one-batch" : "split");
	double most = 0.0;
	for (int t = 0; t < threads; t++)
		most = s.cpu[t] > most ? s.cpu[t] : most;
	printf("pgd_products_split_busy_s\t%.3f\t(the busiest thread's CPU "
	       "seconds)\n", most);
	double wall, cpu;
	if (argc > 5 && !strcmp(argv[5], "attack")) {
		if (time_attack(&s, &wall, &cpu) < 0)
			return 1;
		printf("pgd_attack_s\t%.3f\n", wall);
		printf("cpu_s\tattack %.3f\tproducts %.3f\n", cpu, one_cpu);
	}
	parallel_free(pool);
	free(s.x);
	free(s.w0);
	free(s.w1);
	free(s.h);
	free(s.z);
	free(s.dh);
	free(s.dx);
	return 0;
}
