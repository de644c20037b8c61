/* The element-wise thread pool (common/parallel.h) and the MLP passes that
 * use it: ranges cover every item once, small passes stay serial, and the
 * MLP's loss, gradients and logits are bit for bit the same with the pool
 * at 1, 2, 3 and 4 threads (the serial path is checked against finite
 * differences in test_mlp). OpenBLAS stays at one thread: its own sums
 * may round differently at another thread count for some shapes. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "eval_check.h"
#include "model/mlp.h"
#include "model/model.h"
#include "common/parallel.h"

struct cover {
	int *hits;  /* (n) times each item was visited */
	int *calls; /* (n) calls that started at each item */
};

static void count_hits(void *ctx, int lo, int hi)
{
	struct cover *c = ctx;
	c->calls[lo]++;
	for (int i = lo; i < hi; i++)
		c->hits[i]++;
}

/* Runs a pass over n items of cost cost; returns the number of calls and
 * whether every item was visited exactly once. */
static int run_cover(struct parallel *p, int n, size_t cost, int *once)
{
	struct cover c = { calloc((size_t)n, sizeof(int)),
			   calloc((size_t)n, sizeof(int)) };
	parallel_for(p, n, cost, count_hits, &c);
	int calls = 0;
	*once = 1;
	for (int i = 0; i < n; i++) {
		calls += c.calls[i];
		*once &= c.hits[i] == 1;
	}
	free(c.hits);
	free(c.calls);
	return calls;
}

static void test_ranges_cover_once(void)
{
	struct parallel *p = parallel_new();
	CHECK(p != NULL);
	const int sizes[] = { 1, 2, 3, 7, 97, 1000, 4704 };
	for (int threads = 1; threads <= 4; threads++) {
		openblas_set_num_threads(threads);
		CHECK(parallel_threads() == threads);
		parallel_set_threads(5 - threads);
		CHECK(parallel_threads() == 5 - threads);
		parallel_set_threads(0);
		for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
			int n = sizes[s], once;
			int calls = run_cover(p, n, 1 << 20, &once);
			CHECK(once);
			CHECK(threads == 1 ? calls == 1 :
			      calls >= (n < threads ? n : threads));
		}
	}
	parallel_free(p);
}

static void test_small_passes_serial(void)
{
	struct parallel *p = parallel_new();
	int once;
	openblas_set_num_threads(4);
	CHECK(run_cover(p, 100, 1, &once) == 1);
	CHECK(once);
	CHECK(run_cover(NULL, 100, 1 << 20, &once) == 1);
	CHECK(once);
	parallel_for(p, 0, 1 << 20, count_hits, NULL); /* nothing to do */
	parallel_free(p);
	parallel_free(NULL);
}

/* parallel_run: each part once, in a call of its own, however many
 * threads start; a NULL pool runs them all in one call. */
static void test_run_parts_once(void)
{
	struct parallel *p = parallel_new();
	CHECK(p != NULL);
	for (int parts = 1; parts <= 5; parts++) {
		int hits[5] = { 0 }, calls[5] = { 0 };
		struct cover c = { hits, calls };
		parallel_run(p, parts, count_hits, &c);
		for (int t = 0; t < 5; t++) {
			CHECK(hits[t] == (t < parts));
			CHECK(calls[t] == (t < parts));
		}
	}
	int hits[3] = { 0 }, calls[3] = { 0 };
	struct cover c = { hits, calls };
	parallel_run(NULL, 3, count_hits, &c);
	CHECK(calls[0] == 1 && hits[0] == 1 && hits[1] == 1 && hits[2] == 1);
	parallel_run(p, 0, count_hits, NULL); /* nothing to do */
	parallel_free(p);
}

/* Sizes that give every pass several threads and columns that are not a
 * multiple of the 16-float blocks. */
enum { T = 2, V = 23, H = 200, C = 23, N = 700 };

struct result {
	float loss, eval_loss;
	float *grads;  /* (nparams) */
	float *logits; /* (N, C) */
};

static void make_data(int32_t *tok, float *feat, int32_t *lab)
{
	for (int i = 0; i < N; i++) {
		tok[T * i] = i % V;
		tok[T * i + 1] = (i * 7 + 3) % V;
		lab[i] = (tok[T * i] + tok[T * i + 1]) % C;
		for (int f = 0; f < T; f++)
			feat[T * i + f] = (float)((i * 13 + f * 5) % 17) / 8.0f - 1.0f;
	}
}

/* Loss with gradients, loss without, and logits of one model at the given
 * thread count; max_batch below N also exercises the chunks. */
static struct result run_model(const struct mlp_config *c, int threads,
			       const struct batch *b)
{
	struct result r = { 0 };
	struct traj_error err;
	parallel_set_threads(threads);
	struct model *m = mlp_new(c, N - 100, &err);
	if (!m) {
		printf("# mlp_new: %s\n", err.msg);
		return r;
	}
	model_init(m, 7);
	memset(m->grads, 0, m->nparams * sizeof(float));
	r.loss = loss_model(m, b, 1);
	r.eval_loss = loss_model(m, b, 0);
	r.grads = malloc(m->nparams * sizeof(float));
	memcpy(r.grads, m->grads, m->nparams * sizeof(float));
	r.logits = malloc((size_t)N * C * sizeof(float));
	m->ops->logits(m, b, r.logits);
	model_free(m);
	return r;
}

static int same_result(const struct result *a, const struct result *b,
		       size_t nparams)
{
	return a->grads && b->grads &&
	       memcmp(&a->loss, &b->loss, sizeof a->loss) == 0 &&
	       memcmp(&a->eval_loss, &b->eval_loss, sizeof a->loss) == 0 &&
	       memcmp(a->grads, b->grads, nparams * sizeof(float)) == 0 &&
	       memcmp(a->logits, b->logits, (size_t)N * C * sizeof(float)) == 0;
}

static void check_thread_counts(int vocab, int depth, enum activation act,
				int bias, const struct batch *b)
{
	struct mlp_config c = { T, vocab ? V : 0, H, depth, C, act, bias, {0} };
	struct result one = run_model(&c, 1, b);
	size_t np = 0;
	for (int i = 0; i <= depth; i++) {
		int din = i ? H : (vocab ? T * V : T), dout = i == depth ? C : H;
		np += (size_t)din * dout + (bias ? (size_t)dout : 0);
	}
	for (int threads = 2; threads <= 4; threads++) {
		struct result r = run_model(&c, threads, b);
		int same = same_result(&one, &r, np);
		if (!same)
			printf("#   %s %s depth %d bias %d: %d threads differ "
			       "from 1\n", vocab ? "tokens" : "dense",
			       activation_name(act), depth, bias, threads);
		CHECK(same);
		free(r.grads);
		free(r.logits);
	}
	free(one.grads);
	free(one.logits);
}

static void test_mlp_same_at_any_thread_count(void)
{
	int32_t *tok = malloc((size_t)N * T * sizeof *tok);
	float *feat = malloc((size_t)N * T * sizeof *feat);
	int32_t *lab = malloc((size_t)N * sizeof *lab);
	make_data(tok, feat, lab);
	struct batch tb = { N, tok, NULL, lab }, fb = { N, NULL, feat, lab };
	for (int act = 0; act < NACTIVATIONS; act++)
		for (int vocab = 0; vocab <= 1; vocab++)
			for (int bias = 0; bias <= 1; bias++)
				check_thread_counts(vocab, 1 + bias,
						    (enum activation)act, bias,
						    vocab ? &tb : &fb);
	free(tok);
	free(feat);
	free(lab);
}

int main(void)
{
	RUN(test_ranges_cover_once);
	RUN(test_small_passes_serial);
	RUN(test_run_parts_once);
	openblas_set_num_threads(1);
	RUN(test_mlp_same_at_any_thread_count);
	parallel_set_threads(0);
	return harness_done();
}
