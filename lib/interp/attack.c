/* FGSM and PGD by chunks of examples: each chunk is attacked restart by
 * restart, and each example keeps the point that fooled the model, or
 * else the one with the highest loss (lowest, for a target). */
#include "interp/attack.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/linalg.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "common/vecops.h"

#define ATTACK_MAX_RESTARTS 1024

double attack_default_step(int iters)
{
	return iters > 0 ? 2.5 / iters : 0.0;
}

int attack_result_init(struct attack_result *r, int64_t n, int features,
		       struct traj_error *err)
{
	memset(r, 0, sizeof *r);
	size_t nn = n > 0 ? (size_t)n : 1;
	r->adv = malloc(nn * (size_t)features * sizeof *r->adv);
	r->fooled = malloc(nn);
	r->loss = malloc(nn * sizeof *r->loss);
	r->n = n;
	if (!r->adv || !r->fooled || !r->loss) {
		attack_result_free(r);
		return traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
	}
	return 0;
}

static void work_free(struct attack_work *w);

void attack_result_free(struct attack_result *r)
{
	work_free(r->work);
	free(r->adv);
	free(r->fooled);
	free(r->loss);
	memset(r, 0, sizeof *r);
}

void attack_predict(const float *logits, int64_t n, int classes,
		    int32_t *pred)
{
	for (int64_t e = 0; e < n; e++) {
		const float *z = logits + e * classes;
		int32_t best = 0;
		for (int c = 0; c < classes; c++) {
			if (!isfinite(z[c])) {
				best = -1;
				break;
			}
			if (z[c] > z[best])
				best = c;
		}
		pred[e] = best;
	}
}

/* Cross-entropy of class y from logits z, in double; NAN if y's logit
 * or the normaliser is not finite. */
static float xent_of(const float *z, int classes, int32_t y)
{
	double mx = z[0];
	for (int c = 1; c < classes; c++)
		if (z[c] > mx)
			mx = z[c];
	double s = 0.0;
	for (int c = 0; c < classes; c++)
		s += exp((double)z[c] - mx);
	double l = mx + log(s) - z[y];
	return isfinite(l) ? (float)l : NAN;
}

/* A generator for one example's one restart: independent of chunking. */
static void example_rng(struct rng *r, uint64_t seed, int64_t e, int restart)
{
	rng_seed(r, seed ^ (0x9E3779B97F4A7C15ULL *
			    ((uint64_t)e * ATTACK_MAX_RESTARTS +
			     (uint64_t)restart + 1)));
}

static double normal(struct rng *r)
{
	double u = 1.0 - (double)rng_uniform(r); /* (0, 1] */
	double v = rng_uniform(r);
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* Projects d (F) onto the ball of radius eps. */
static void project(enum attack_norm norm, int F, float *d, float eps)
{
	if (norm == ATTACK_LINF) {
		for (int i = 0; i < F; i++)
			d[i] = d[i] > eps ? eps : d[i] < -eps ? -eps : d[i];
		return;
	}
	double s = 0.0;
	for (int i = 0; i < F; i++)
		s += (double)d[i] * d[i];
	double len = sqrt(s);
	if (len > eps) {
		float k = (float)(eps / len);
		for (int i = 0; i < F; i++)
			d[i] *= k;
	}
}

/* A start uniform in the ball: per coordinate for L-infinity; for L2 a
 * Gaussian direction at radius eps u^(1/F), uniform in the volume. */
static void random_start(const struct attack_params *p, int F, float *d,
			 float eps, struct rng *r)
{
	if (p->norm == ATTACK_LINF) {
		for (int i = 0; i < F; i++)
			d[i] = eps * (2.0f * rng_uniform(r) - 1.0f);
		return;
	}
	double s = 0.0;
	for (int i = 0; i < F; i++) {
		d[i] = (float)normal(r);
		s += (double)d[i] * d[i];
	}
	double radius = eps * pow(rng_uniform(r), 1.0 / F);
	float k = s > 0 ? (float)(radius / sqrt(s)) : 0.0f;
	for (int i = 0; i < F; i++)
		d[i] *= k;
}

/* cur = clip(x + d) to the box, after projecting d onto the ball. */
static void place(const struct attack_params *p, int F, const float *x,
		  float *d, float eps, float *cur)
{
	project(p->norm, F, d, eps);
	for (int i = 0; i < F; i++) {
		float v = x[i] + d[i];
		cur[i] = v < p->lo ? p->lo : v > p->hi ? p->hi : v;
	}
}

/* The L-infinity step of one pixel: sign step, ball, box. */
static inline float linf_pixel(float cur, float x, float g, float a,
			       float eps, float lo, float hi)
{
	float s = g > 0 ? a : 0.0f; /* a times the sign of g */
	s = g < 0 ? -a : s;
	float v = cur + s - x;
	v = v > eps ? eps : v;
	v = v < -eps ? -eps : v;
	v = x + v;
	v = v < lo ? lo : v;
	return v > hi ? hi : v;
}

/* linf_pixel over a row, in blocks of VEC_BLOCK pixels that GCC
 * vectorizes at -O2 (a loop of unknown length would need -O3; so would
 * nested conditional expressions): as branches, the random signs of the
 * gradient cost more than the step itself. */
static void linf_step(int F, float *restrict cur, const float *restrict x,
		      const float *restrict g, float a, float eps, float lo,
		      float hi)
{
	int i = 0;
	for (; i + VEC_BLOCK <= F; i += VEC_BLOCK)
		for (int k = 0; k < VEC_BLOCK; k++)
			cur[i + k] = linf_pixel(cur[i + k], x[i + k], g[i + k],
						a, eps, lo, hi);
	for (; i < F; i++)
		cur[i] = linf_pixel(cur[i], x[i], g[i], a, eps, lo, hi);
}

/* One gradient step from cur, then back into the ball around x. The
 * L-infinity step is one pass over the pixels (sign step, ball, box),
 * with the same float operations as the step, project and place of the
 * L2 path, so both norms round as PyTorch's reference does. */
static void step(const struct attack_params *p, int F, const float *x,
		 const float *g, float eps, float *d, float *cur)
{
	float a = (float)(p->step * eps) * (p->targeted ? -1.0f : 1.0f);
	if (p->norm == ATTACK_LINF) {
		linf_step(F, cur, x, g, a, eps, p->lo, p->hi);
		return;
	}
	double s = 0.0;
	for (int i = 0; i < F; i++)
		s += (double)g[i] * g[i];
	float k = s > 0 ? a / (float)sqrt(s) : 0.0f;
	for (int i = 0; i < F; i++)
		d[i] = cur[i] + k * g[i] - x[i];
	place(p, F, x, d, eps, cur);
}

/* One thread's scratch: a view of the model with scratch of its own
 * (model_worker_new) and the buffers of the block it attacks. */
struct chunk {
	struct model *m;
	float *cur, *d, *g, *z;
};

static int chunk_init(struct chunk *c, struct model *m, int n,
		      struct traj_error *err)
{
	int F = m->n_inputs, C = m->n_classes;
	c->m = model_worker_new(m, n, err);
	if (!c->m)
		return -1;
	c->cur = malloc((size_t)n * F * sizeof *c->cur);
	c->d = malloc((size_t)n * F * sizeof *c->d);
	c->g = malloc((size_t)n * F * sizeof *c->g);
	c->z = malloc((size_t)n * C * sizeof *c->z);
	if (c->cur && c->d && c->g && c->z)
		return 0;
	return traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
}

static void chunk_free(struct chunk *c)
{
	model_free(c->m);
	free(c->cur);
	free(c->d);
	free(c->g);
	free(c->z);
}

static int better(const struct attack_params *p, int fooled, float loss,
		  int best_fooled, float best_loss)
{
	if (fooled != best_fooled)
		return fooled;
	return p->targeted ? loss < best_loss : loss > best_loss;
}

/* What a per-example pass over the chunk [e0, e0 + n) works on. */
struct pass {
	const struct attack_params *p;
	int F, C, restart;
	int start, offer, move; /* which of the pass's parts run */
	const float *x;         /* (n, F) the clean inputs of the chunk */
	const int32_t *y;       /* (n) */
	const float *eps;       /* NULL: eps0 for every example */
	float eps0;
	int64_t e0;
	struct chunk *c;
	struct attack_result *out;
};

/* Offers example e's current point (its logits in c->z) as its worst
 * case. */
static void offer(const struct pass *ps, int e)
{
	const struct attack_params *p = ps->p;
	int F = ps->F, C = ps->C;
	const float *z = ps->c->z + (size_t)e * C;
	int32_t pred;
	attack_predict(z, 1, C, &pred);
	int fooled = p->targeted ? pred == ps->y[e] : pred != ps->y[e];
	float loss = xent_of(z, C, ps->y[e]);
	int64_t k = ps->e0 + e;
	struct attack_result *out = ps->out;
	if (better(p, fooled, loss, out->fooled[k], out->loss[k])) {
		out->fooled[k] = (uint8_t)fooled;
		out->loss[k] = loss;
		memcpy(out->adv + k * F, ps->c->cur + (size_t)e * F,
		       (size_t)F * sizeof *out->adv);
	}
}

/* Examples [lo, hi) of the chunk: the start of a restart, or the offer
 * of the current point and the step from it, in one visit of each
 * example's pixels. */
static void examples_pass(void *ctx, int lo, int hi)
{
	const struct pass *ps = ctx;
	const struct attack_params *p = ps->p;
	struct chunk *c = ps->c;
	int F = ps->F;
	for (int e = lo; e < hi; e++) {
		size_t o = (size_t)e * F;
		float r = ps->eps ? ps->eps[ps->e0 + e] : ps->eps0;
		if (ps->start) {
			if (p->random_start) {
				struct rng g;
				example_rng(&g, p->seed, ps->e0 + e, ps->restart);
				random_start(p, F, c->d + o, r, &g);
			} else {
				memset(c->d + o, 0, (size_t)F * sizeof *c->d);
			}
			place(p, F, ps->x + o, c->d + o, r, c->cur + o);
		}
		if (ps->offer)
			offer(ps, e);
		if (ps->move)
			step(p, F, ps->x + o, c->g + o, r, c->d + o, c->cur + o);
	}
}

static void run_pass(struct pass *ps, int n, int start, int offer, int move)
{
	ps->start = start;
	ps->offer = offer;
	ps->move = move;
	examples_pass(ps, 0, n);
}

/* One run from a start over examples [e0, e0 + n): with p->every_iterate
 * every point visited is offered as the worst case, else the last. */
static int attack_restart(const struct batch *clean,
			  const float *eps, double eps0,
			  const struct attack_params *p, int64_t e0, int n,
			  int restart, struct chunk *c,
			  struct attack_result *out, struct traj_error *err)
{
	struct model *m = c->m;
	int F = m->n_inputs, C = m->n_classes;
	struct pass ps = {
		.p = p, .F = F, .C = C, .restart = restart,
		.x = clean->features + e0 * F, .y = clean->labels + e0,
		.eps = eps, .eps0 = (float)eps0, .e0 = e0, .c = c, .out = out,
	};
	run_pass(&ps, n, 1, 0, 0);
	struct batch b = { n, NULL, c->cur, ps.y };
	for (int it = 0; it < p->iters; it++) {
		if (model_input_grad(m, &b, c->g, NULL, c->z, err) < 0)
			return -1;
		run_pass(&ps, n, 0, p->every_iterate, 1);
	}
	m->ops->logits(m, &b, c->z);
	run_pass(&ps, n, 0, 1, 0);
	return 0;
}

/* Before any point is offered: the clean input, worse than anything. */
static void chunk_reset(const struct attack_params *p, const float *x,
			int F, int64_t e0, int n, struct attack_result *out)
{
	for (int64_t k = e0; k < e0 + n; k++) {
		out->fooled[k] = 0;
		out->loss[k] = p->targeted ? INFINITY : -INFINITY;
	}
	memcpy(out->adv + e0 * F, x + e0 * F, (size_t)n * F * sizeof *x);
}

static int check_params(const struct model *m, const struct batch *clean,
			const float *eps, double eps0,
			const struct attack_params *p, struct traj_error *err)
{
	if (!m->ops->input_grad || m->vocab)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "the %s model takes tokens: it has no "
				 "continuous input to attack", m->kind);
	if (m->n_outputs != 1)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "attack: the model has %d outputs per example; "
				 "only classifiers are supported", m->n_outputs);
	if (p->iters < 1 || p->restarts < 1 ||
	    p->restarts > ATTACK_MAX_RESTARTS || !(p->step > 0) ||
	    !isfinite(p->step) || !(p->lo < p->hi))
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "attack: invalid parameters");
	int F = m->n_inputs;
	for (int64_t e = 0; e < clean->n; e++) {
		double r = eps ? eps[e] : eps0;
		if (!(r >= 0) || !isfinite(r))
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "attack: eps %g is not a finite "
					 "radius >= 0", r);
		for (int i = 0; i < F; i++) {
			float v = clean->features[e * F + i];
			if (!(v >= p->lo && v <= p->hi))
				return traj_fail(err, TRAJ_EDATA, -1,
						 "attack: input %lld feature %d "
						 "is %g, outside the box "
						 "[%g, %g]", (long long)e, i,
						 (double)v, (double)p->lo,
						 (double)p->hi);
		}
	}
	return 0;
}

/* Rows of a block, the examples one thread attacks at a time through
 * every restart and iteration. Enough rows for single-threaded products
 * to pay for packing the weights (at 784-256, pgd_products' busiest
 * thread: 64 rows ~10% slower than 512, 1024 no faster); few enough that
 * the block's buffers (the current point, the clean input and the
 * gradient, 3 F floats a row, and the hidden layers) take at most half
 * of the thread's share of the last-level cache, the rest for the weights
 * that every block reads. Smaller batches are cut in up to
 * ATTACK_MIN_BLOCKS blocks (of at least ATTACK_MIN_ROWS rows), so that
 * several threads get a share (adversarial training). The rows never
 * depend on the thread count, so neither do the results. */
#define ATTACK_MIN_ROWS 64
#define ATTACK_MAX_ROWS 512
#define ATTACK_MIN_BLOCKS 4
#define ATTACK_CACHE_DEFAULT 2097152.0 /* bytes per CPU, when unknown */

/* The CPUs in a sysfs list such as "0-3,8", or 0. */
static int cpus_in(const char *list)
{
	int count = 0;
	const char *q = list;
	while (*q >= '0' && *q <= '9') {
		char *end;
		long a = strtol(q, &end, 10), b = a;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		count += b >= a ? (int)(b - a + 1) : 0;
		q = *end == ',' ? end + 1 : end;
	}
	return count;
}

/* A line of a sysfs file of cpu0's cache `index`, or "" . */
static void cache_field(int index, const char *field, char *buf, int len)
{
	char path[96];
	snprintf(path, sizeof path,
		 "/sys/devices/system/cpu/cpu0/cache/index%d/%s", index, field);
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = 0;
		fclose(f);
	}
}

/* The bytes per CPU of the last-level cache, from Linux's sysfs
 * (sysconf's figure can be the whole package's on a VM), or the
 * default. */
static double cache_share(void)
{
	int best = 0;
	double share = ATTACK_CACHE_DEFAULT;
	for (int i = 0; i < 8; i++) {
		char lvl[32], type[32], size[32], list[256];
		cache_field(i, "level", lvl, sizeof lvl);
		cache_field(i, "type", type, sizeof type);
		cache_field(i, "size", size, sizeof size);
		cache_field(i, "shared_cpu_list", list, sizeof list);
		int level = atoi(lvl), cpus = cpus_in(list);
		char *unit;
		double bytes = strtod(size, &unit);
		bytes *= *unit == 'K' ? 1024.0 : *unit == 'M' ? 1048576.0 : 1.0;
		if (level > best && strncmp(type, "Data", 4) &&
		    strncmp(type, "Instruction", 11) && bytes > 0 && cpus > 0) {
			best = level;
			share = bytes / cpus;
		}
	}
	return share;
}

static double share; /* the same all along a process */
static pthread_once_t share_once = PTHREAD_ONCE_INIT;

static void share_init(void)
{
	share = cache_share();
}

static int block_rows(const struct model *m, int64_t n)
{
	pthread_once(&share_once, share_init);
	/* the hidden layers: params per input, about their total width */
	double row = 4.0 * (3.0 * m->n_inputs + 2.0 * (double)m->nparams /
			    m->n_inputs + m->n_classes);
	double rows = share / 2 / row;
	double small = ((double)n + ATTACK_MIN_BLOCKS - 1) / ATTACK_MIN_BLOCKS;
	if (rows > small)
		rows = small;
	if (rows < ATTACK_MIN_ROWS)
		rows = ATTACK_MIN_ROWS;
	if (rows > ATTACK_MAX_ROWS)
		rows = ATTACK_MAX_ROWS;
	return (int)rows;
}

/* attack_run's threads and their scratch, for one model and block
 * size; the pool's workers sleep between runs. */
struct attack_work {
	const struct model *m;
	const float *params;
	int inputs, classes, rows, threads;
	struct parallel *pool;  /* NULL for one thread */
	struct chunk c[];       /* one per thread */
};

static void work_free(struct attack_work *w)
{
	if (!w)
		return;
	for (int t = 0; t < w->threads; t++)
		chunk_free(&w->c[t]);
	parallel_free(w->pool);
	free(w);
}

/* The result's work if it fits, else a new one in its place. */
static struct attack_work *work_get(struct attack_result *out,
				    struct model *m, int rows, int threads,
				    struct traj_error *err)
{
	struct attack_work *w = out->work;
	if (w && w->m == m && w->params == m->params &&
	    w->inputs == m->n_inputs && w->classes == m->n_classes &&
	    w->rows == rows && w->threads == threads)
		return w;
	work_free(w);
	out->work = w = calloc(1, sizeof *w + (size_t)threads * sizeof *w->c);
	if (!w) {
		traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
		return NULL;
	}
	*w = (struct attack_work){ m, m->params, m->n_inputs, m->n_classes,
				   rows, 0, NULL };
	if (threads > 1 && !(w->pool = parallel_new())) {
		traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
		goto fail;
	}
	for (; w->threads < threads; w->threads++)
		if (chunk_init(&w->c[w->threads], m, rows, err) < 0) {
			w->threads++;
			goto fail;
		}
	return w;
fail:
	work_free(w);
	out->work = NULL;
	return NULL;
}

static double seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* An attack_run: blocks of `rows` examples, taken in turn by the
 * threads, so a thread whose core is taken by another program costs
 * only the blocks it holds; no thread waits for another until the end. */
struct run {
	const struct batch *clean;
	const float *eps;
	double eps0;
	const struct attack_params *p, *fgsm;
	struct attack_result *out;
	struct chunk *c;        /* one per thread */
	int rows;
	int64_t n, blocks;
	double t0;              /* CLOCK_MONOTONIC at the start */
	double start[ATTACK_MAX_THREADS], end[ATTACK_MAX_THREADS];
	pthread_mutex_t mu;
	int64_t next;           /* the first block nobody took */
	int failed;             /* a thread's error: the others stop */
	struct traj_error err;  /* its message */
};

/* The next block, or -1 when none is left or a thread failed. */
static int64_t take_block(struct run *r)
{
	pthread_mutex_lock(&r->mu);
	int64_t b = !r->failed && r->next < r->blocks ? r->next++ : -1;
	pthread_mutex_unlock(&r->mu);
	return b;
}

/* Thread t attacks blocks until none is left, all their restarts. */
static void run_blocks(void *ctx, int lo, int hi)
{
	struct run *r = ctx;
	for (int t = lo; t < hi; t++) {
		struct chunk *c = &r->c[t];
		int F = c->m->n_inputs;
		struct traj_error err = { 0 };
		double cpu0 = seconds(CLOCK_THREAD_CPUTIME_ID);
		r->start[t] = seconds(CLOCK_MONOTONIC) - r->t0;
		int64_t b;
		while ((b = take_block(r)) >= 0) {
			int64_t e0 = b * r->rows;
			int k = r->n - e0 < r->rows ? (int)(r->n - e0) : r->rows;
			int rc = 0;
			chunk_reset(r->p, r->clean->features, F, e0, k, r->out);
			if (r->p->every_iterate)
				rc = attack_restart(r->clean, r->eps, r->eps0,
						    r->fgsm, e0, k, 0, c,
						    r->out, &err);
			for (int s = 0; s < r->p->restarts && rc == 0; s++)
				rc = attack_restart(r->clean, r->eps, r->eps0,
						    r->p, e0, k, s, c, r->out,
						    &err);
			if (rc < 0) {
				pthread_mutex_lock(&r->mu);
				if (!r->failed)
					r->err = err;
				r->failed = 1;
				pthread_mutex_unlock(&r->mu);
			}
		}
		r->end[t] = seconds(CLOCK_MONOTONIC) - r->t0;
		r->out->timing.busy_s[t] = seconds(CLOCK_THREAD_CPUTIME_ID) -
					   cpu0;
	}
}

int attack_run(struct model *m, const struct batch *clean, const float *eps,
	       double eps0, const struct attack_params *p,
	       struct attack_result *out, struct traj_error *err)
{
	if (check_params(m, clean, eps, eps0, p, err) < 0)
		return -1;
	int64_t n = clean->n;
	memset(&out->timing, 0, sizeof out->timing);
	if (n <= 0)
		return 0;
	/* PGD also offers the FGSM point, so it is never weaker than FGSM */
	struct attack_params fgsm = *p;
	fgsm.iters = 1;
	fgsm.step = 1.0;
	fgsm.random_start = 0;
	fgsm.every_iterate = 0;
	struct run r = {
		.clean = clean, .eps = eps, .eps0 = eps0, .p = p, .fgsm = &fgsm,
		.out = out, .n = n, .rows = block_rows(m, n),
	};
	r.blocks = (n + r.rows - 1) / r.rows;
	int threads = parallel_threads();
	if (threads > r.blocks)
		threads = (int)r.blocks;
	if (threads > ATTACK_MAX_THREADS)
		threads = ATTACK_MAX_THREADS;
	struct attack_work *w = work_get(out, m, r.rows, threads, err);
	if (!w)
		return -1;
	r.c = w->c;
	if (pthread_mutex_init(&r.mu, NULL) != 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
	/* each thread's products on its own core, one block at a time */
	int blas = linalg_threads();
	linalg_set_threads(1);
	r.t0 = seconds(CLOCK_MONOTONIC);
	parallel_run(w->pool, threads, run_blocks, &r);
	double wall = seconds(CLOCK_MONOTONIC) - r.t0;
	linalg_set_threads(blas);
	pthread_mutex_destroy(&r.mu);
	out->timing.threads = threads;
	out->timing.rows = r.rows;
	out->timing.wall_s = wall;
	for (int t = 0; t < threads; t++)
		out->timing.wait_s[t] = r.start[t] + wall - r.end[t];
	if (r.failed) {
		if (err)
			*err = r.err;
		return -1;
	}
	return 0;
}

/* Which examples the model gets wrong (right, for a target) unattacked. */
static int clean_fooled(struct model *m, const struct batch *clean,
			const struct attack_params *p, uint8_t *fooled,
			struct traj_error *err)
{
	int64_t n = clean->n;
	int C = m->n_classes;
	float *z = malloc((size_t)(n > 0 ? n : 1) * C * sizeof *z);
	int32_t *pred = malloc((size_t)(n > 0 ? n : 1) * sizeof *pred);
	if (!z || !pred) {
		free(z);
		free(pred);
		return traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
	}
	m->ops->logits(m, clean, z);
	attack_predict(z, n, C, pred);
	for (int64_t e = 0; e < n; e++)
		fooled[e] = p->targeted ? pred[e] == clean->labels[e] :
					  pred[e] != clean->labels[e];
	free(z);
	free(pred);
	return 0;
}

int attack_min_eps(struct model *m, const struct batch *clean,
		   const struct attack_params *p, double eps_max,
		   int bisections, float *min_eps, struct traj_error *err)
{
	int64_t n = clean->n;
	if (!(eps_max > 0) || !isfinite(eps_max) || bisections < 1)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "attack: the largest eps must be > 0 and "
				 "the bisections >= 1");
	struct attack_result r;
	if (attack_result_init(&r, n, m->n_inputs, err) < 0)
		return -1;
	size_t nn = (size_t)(n > 0 ? n : 1);
	float *lo = malloc(nn * sizeof *lo), *eps = calloc(nn, sizeof *eps);
	uint8_t *open = malloc(nn);
	int rc = -1;
	if (!lo || !eps || !open) {
		traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
		goto out;
	}
	if (clean_fooled(m, clean, p, open, err) < 0 ||
	    attack_run(m, clean, NULL, eps_max, p, &r, err) < 0)
		goto out;
	for (int64_t e = 0; e < n; e++) {
		lo[e] = 0.0f;
		min_eps[e] = open[e] ? 0.0f : r.fooled[e] ? (float)eps_max :
			     INFINITY;
		open[e] = !open[e] && r.fooled[e];
	}
	for (int b = 0; b < bisections; b++) {
		for (int64_t e = 0; e < n; e++)
			eps[e] = open[e] ? 0.5f * (lo[e] + min_eps[e]) : 0.0f;
		if (attack_run(m, clean, eps, 0.0, p, &r, err) < 0)
			goto out;
		for (int64_t e = 0; e < n; e++) {
			if (!open[e])
				continue;
			if (r.fooled[e])
				min_eps[e] = eps[e];
			else
				lo[e] = eps[e];
		}
	}
	rc = 0;
out:
	free(lo);
	free(eps);
	free(open);
	attack_result_free(&r);
	return rc;
}
