/* The MLP forward and backward passes. Letters: B examples in a chunk,
 * T tokens, V vocabulary, F features, H the width of the hidden layer at
 * hand (W(i) = mlp_layer_width), C classes, L = depth + 1 linear layers.
 * Layer i maps d_in(i) to d_out(i). */
#include "model/mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/activation.h"
#include "common/linalg.h"
#include "common/parallel.h"
#include "common/vecops.h"
#include "model/xent.h"

/* Keeps every buffer comfortably addressable and checkpoint tensors small
 * enough for the stream's limits. */
#define MLP_MAX_PARAMS ((size_t)1 << 31)
#define MLP_MAX_BATCH (1 << 24)

struct mlp {
	struct mlp_config cfg;
	int nlayers;                     /* L */
	int hmax;                        /* the widest hidden layer */
	size_t w_off[MLP_MAX_DEPTH + 1]; /* offset of layers.i.W in params */
	size_t b_off[MLP_MAX_DEPTH + 1]; /* offset of layers.i.b, if bias */
	/* hidden layer i's rows are (n, W(i)) from i * max_batch * hmax */
	float *pre;     /* (depth, max_batch, hmax) pre-activations */
	float *post;    /* (depth, max_batch, hmax) activations; == pre for relu */
	float *logits;  /* (max_batch, C), then d loss / d logits */
	float *dbuf;    /* (2, max_batch, hmax) backward ping-pong */
	double *rowloss; /* (max_batch) loss of each example of a chunk */
	struct hook_point *hooks; /* layers.i.hook_post, i < depth */
	int live;       /* hooks fire in this pass */
	struct parallel *pool; /* element-wise passes across BLAS's threads;
				  NULL in a worker view (model_worker_new) */
	int view;       /* 1: a worker view, owning its scratch only */
};

/* What a pass over part of a chunk works on (see parallel.h). Row passes
 * compute whole rows, each row the same way whoever runs it; each sum
 * over rows is added up by one thread in row order (the loss and most
 * bias gradients serially, the one-hot layer's gradients by position
 * and column slice in gather_back_units), so every float is the same at
 * any thread count. Fields a pass does not use stay 0. */
struct pass {
	struct model *m;
	int n;                 /* rows in the chunk */
	int layer;             /* hidden layer i */
	const int32_t *tok;    /* (n, T) token input of the chunk */
	float *d;              /* (n, H) a backward gradient */
	float *z;              /* (n, C) logits */
	const int32_t *labels; /* (n); NULL: only add the output bias */
	float scale;           /* loss weight of one example */
	int grad;              /* 1: logits become d loss / d logits */
};

/* Runs a row pass over the chunk, each row costing cols elements. */
static void rows_pass(struct pass *ps, int cols,
		      void (*fn)(void *ctx, int lo, int hi))
{
	struct mlp *p = ps->m->impl;
	parallel_for(p->pool, ps->n, (size_t)cols, fn, ps);
}

int mlp_layer_width(const struct mlp_config *c, int i)
{
	return i >= 0 && i < MLP_MAX_DEPTH && c->widths[i] ? c->widths[i]
							   : c->width;
}

static int d_in(const struct mlp_config *c, int i)
{
	if (i > 0)
		return mlp_layer_width(c, i - 1);
	return c->vocab ? c->n_inputs * c->vocab : c->n_inputs;
}

static int d_out(const struct mlp_config *c, int i)
{
	return i == c->depth ? c->n_classes : mlp_layer_width(c, i);
}

/* W(i) of the model */
static int wid(const struct model *m, int i)
{
	return mlp_layer_width(&((const struct mlp *)m->impl)->cfg, i);
}

static float *weight(struct model *m, float *base, int i)
{
	return base + ((struct mlp *)m->impl)->w_off[i];
}

static float *bias(struct model *m, float *base, int i)
{
	struct mlp *p = m->impl;
	return p->cfg.bias ? base + p->b_off[i] : NULL;
}

/* Hidden layer i's buffer (pre, post, ...) for chunk row 0. */
static float *hidden(struct model *m, float *buf, int i)
{
	struct mlp *p = m->impl;
	return buf + (size_t)i * (size_t)m->max_batch * (size_t)p->hmax;
}

/* Layer 0 for token input: row r of pre = b + sum_t W[t*V + token_t],
 * the product of the concatenated one-hot vectors with W. */
static void gather_rows(void *ctx, int lo, int hi)
{
	const struct pass *ps = ctx;
	struct model *m = ps->m;
	struct mlp *p = m->impl;
	int H = wid(m, 0), T = p->cfg.n_inputs, V = p->cfg.vocab;
	const float *w = weight(m, m->params, 0); // (T*V, H)
	const float *b = bias(m, m->params, 0);   // (H)
	const int32_t *tok = ps->tok;
	for (int r = lo; r < hi; r++) {
		float *pre = p->pre + (size_t)r * H;
		const int32_t *x = tok + (size_t)r * T;
		if (T == 2 && p->cfg.act == ACT_RELU) { /* pre is post */
			vec_add2_relu(H, pre, w + (size_t)x[0] * H,
				      w + ((size_t)V + x[1]) * H, b);
			continue;
		}
		memcpy(pre, w + (size_t)x[0] * H, (size_t)H * sizeof *pre);
		for (int t = 1; t < T; t++)
			vec_add(H, pre, w + ((size_t)t * V + x[t]) * H);
		activation_forward_row(p->cfg.act, H, pre, b,
				       p->post + (size_t)r * H);
	}
}

static void gather_forward(struct model *m, const int32_t *tok, int n)
{
	struct mlp *p = m->impl;
	struct pass ps = { .m = m, .n = n, .tok = tok };
	rows_pass(&ps, wid(m, 0) * (p->cfg.n_inputs + 1), gather_rows);
}

/* Pre-activations of hidden layer i are already in place; adds the bias
 * and applies the activation, row by row. */
static void bias_act_rows(void *ctx, int lo, int hi)
{
	const struct pass *ps = ctx;
	struct model *m = ps->m;
	struct mlp *p = m->impl;
	int i = ps->layer, H = wid(m, i);
	const float *b = bias(m, m->params, i);
	float *pre = hidden(m, p->pre, i), *post = hidden(m, p->post, i);
	for (int r = lo; r < hi; r++)
		activation_forward_row(p->cfg.act, H, pre + (size_t)r * H, b,
				       post + (size_t)r * H);
}

static void bias_act_forward(struct model *m, int i, int n)
{
	struct pass ps = { .m = m, .n = n, .layer = i };
	rows_pass(&ps, wid(m, i), bias_act_rows);
}

/* Hidden layer i's activations of examples [e0, e0 + n) to the hook
 * layers.i.hook_post, which may overwrite them. */
static void fire_post(struct model *m, int i, int e0, int n)
{
	struct mlp *p = m->impl;
	if (p->live)
		m->hook_fn(m->hook_ctx, i, m->hook_base + e0, n,
			   hidden(m, p->post, i));
}

/* Hidden activations of examples [e0, e0 + n) into pre and post. */
static void forward_hidden(struct model *m, const struct batch *b, int e0,
			   int n)
{
	struct mlp *p = m->impl;
	int H = wid(m, 0);
	if (p->cfg.vocab) {
		gather_forward(m, b->tokens + (size_t)e0 * p->cfg.n_inputs, n);
	} else {
		int F = p->cfg.n_inputs;
		linalg_matmul(n, H, F, b->features + (size_t)e0 * F,
			      weight(m, m->params, 0), 0.0f, p->pre);
		bias_act_forward(m, 0, n);
	}
	fire_post(m, 0, e0, n);
	for (int i = 1; i < p->cfg.depth; i++) {
		linalg_matmul(n, wid(m, i), wid(m, i - 1), hidden(m, p->post, i - 1),
			      weight(m, m->params, i), 0.0f,
			      hidden(m, p->pre, i));
		bias_act_forward(m, i, n);
		fire_post(m, i, e0, n);
	}
}

/* Logits without the output bias, (n, C) into out. */
static void forward_logits(struct model *m, int n, float *out)
{
	struct mlp *p = m->impl;
	int D = p->cfg.depth;
	linalg_matmul(n, p->cfg.n_classes, wid(m, D - 1),
		      hidden(m, p->post, D - 1), weight(m, m->params, D), 0.0f,
		      out);
}

/* d loss / d post into d loss / d pre, rows [lo, hi) of hidden layer
 * ps->layer: the element-wise half of a hidden layer's backward. */
static void act_back_rows(void *ctx, int lo, int hi)
{
	const struct pass *ps = ctx;
	struct model *m = ps->m;
	struct mlp *p = m->impl;
	int H = wid(m, ps->layer);
	const float *pre = hidden(m, p->pre, ps->layer);
	for (int r = lo; r < hi; r++)
		activation_backward_row(p->cfg.act, H, pre + (size_t)r * H,
					ps->d + (size_t)r * H, NULL);
}

/* Column slices per position in gather_back_units: enough units for
 * every thread when there are fewer positions than threads. */
static int gather_back_slices(int T)
{
	int threads = parallel_threads();
	return threads > T ? (threads + T - 1) / T : 1;
}

/* Sums of d loss / d pre over rows into layer 0's gradients. Unit
 * u = s*T + t takes column slice s of the gradient rows of position t
 * (row t*V + v gets the rows whose token at t is v) and a 1/T share of
 * the slice's bias columns, scanning every row of the chunk in order:
 * each float of the gradients is added up in row order by one thread, as
 * a serial loop over rows would. For relu, d holds d loss / d post and
 * the mask is applied as it is read (d is not written): the backward of
 * the activation, the bias and the weight gradient in one pass over d. */
static void gather_back_units(void *ctx, int lo, int hi)
{
	const struct pass *ps = ctx;
	struct model *m = ps->m;
	struct mlp *p = m->impl;
	int H = wid(m, 0), T = p->cfg.n_inputs, V = p->cfg.vocab;
	int S = gather_back_slices(T), relu = p->cfg.act == ACT_RELU;
	float *gw = weight(m, m->grads, 0); // (T*V, H)
	float *gb = bias(m, m->grads, 0);   // (H)
	const float *pre = p->pre;
	for (int u = lo; u < hi; u++) {
		int t = u % T, s = u / T;
		int c0 = H * s / S, c1 = H * (s + 1) / S;
		int b0 = c0 + (c1 - c0) * t / T, b1 = c0 + (c1 - c0) * (t + 1) / T;
		for (int r = 0; r < ps->n; r++) {
			const float *d = ps->d + (size_t)r * H;
			const float *x = pre + (size_t)r * H;
			float *g = gw + ((size_t)t * V + ps->tok[(size_t)r * T + t]) * H;
			if (relu) {
				vec_add_relu_grad(c1 - c0, g + c0, x + c0, d + c0);
				if (gb)
					vec_add_relu_grad(b1 - b0, gb + b0, x + b0,
							  d + b0);
			} else {
				vec_add(c1 - c0, g + c0, d + c0);
				if (gb)
					vec_add(b1 - b0, gb + b0, d + b0);
			}
		}
	}
}

/* Layer 0 backward for token input: d (n, H) holds d loss / d post on
 * entry; adds each row, turned into d loss / d pre, to the bias gradient
 * and to the gradient rows its tokens selected (the transpose of the
 * gather). Other activations than relu turn d into d loss / d pre first,
 * by rows. */
static void gather_backward(struct model *m, const int32_t *tok, float *d,
			    int n)
{
	struct mlp *p = m->impl;
	int H = wid(m, 0), T = p->cfg.n_inputs;
	struct pass ps = { .m = m, .n = n, .layer = 0, .d = d, .tok = tok };
	if (p->cfg.act != ACT_RELU)
		rows_pass(&ps, H, act_back_rows);
	int units = T * gather_back_slices(T);
	parallel_for(p->pool, units, (size_t)n * H * 3 / (size_t)units,
		     gather_back_units, &ps);
}

/* d loss / d post into d loss / d pre for hidden layer i (by rows), and
 * its bias gradient, summed serially in row order: split by columns each
 * thread would read every row in strided pieces, which measured slower
 * (4704 x 512, 2 threads) than one thread on whole rows. */
static void bias_act_backward(struct model *m, int i, float *d, int n)
{
	int H = wid(m, i);
	float *gb = bias(m, m->grads, i);
	struct pass ps = { .m = m, .n = n, .layer = i, .d = d };
	rows_pass(&ps, H, act_back_rows);
	for (int r = 0; gb && r < n; r++)
		vec_add(H, gb, d + (size_t)r * H);
}

/* Accumulates parameter gradients from d loss / d logits in p->logits
 * (its bias gradient is already summed). */
static void backward(struct model *m, const struct batch *b, int e0, int n)
{
	struct mlp *p = m->impl;
	float *dy = p->logits; // (n, d_out(i))
	for (int i = p->cfg.depth; i >= 1; i--) {
		int dout = d_out(&p->cfg, i), H = wid(m, i - 1);
		float *da = p->dbuf + (size_t)(i & 1) * m->max_batch * p->hmax;
		linalg_matmul_tn_acc(H, dout, n, hidden(m, p->post, i - 1), dy,
				     weight(m, m->grads, i));
		linalg_matmul_nt(n, H, dout, dy, weight(m, m->params, i), da);
		if (m->grad_fn) /* da is d loss / d post of hidden layer i-1 */
			m->grad_fn(m->grad_ctx, i - 1, e0, n,
				   hidden(m, p->post, i - 1), da);
		if (i == 1 && p->cfg.vocab) {
			gather_backward(m, b->tokens +
					(size_t)e0 * p->cfg.n_inputs, da, n);
			return;
		}
		bias_act_backward(m, i - 1, da, n);
		dy = da;
	}
	int F = p->cfg.n_inputs;
	linalg_matmul_tn_acc(F, wid(m, 0), n, b->features + (size_t)e0 * F, dy,
			     weight(m, m->grads, 0));
}

/* Adds the output bias to rows of logits; with labels, their losses go
 * to rowloss and, with grad, the logits become scale * d loss / d z. */
static void xent_rows(void *ctx, int lo, int hi)
{
	const struct pass *ps = ctx;
	struct model *m = ps->m;
	struct mlp *p = m->impl;
	int C = p->cfg.n_classes;
	const float *ob = bias(m, m->params, p->cfg.depth);
	for (int r = lo; r < hi; r++) {
		float *z = ps->z + (size_t)r * C;
		if (ob)
			vec_add(C, z, ob);
		if (!ps->labels)
			continue;
		p->rowloss[r] = ps->grad ?
			xent_row_grad(z, C, ps->labels[r], ps->scale) :
			xent_row(z, C, ps->labels[r]);
	}
}

/* Summed (not mean) loss over examples [e0, e0 + n); with grad, adds
 * scale * d loss / d params to the gradients. */
static double loss_chunk(struct model *m, const struct batch *b, int e0,
			 int n, int grad, float scale)
{
	struct mlp *p = m->impl;
	int C = p->cfg.n_classes;
	float *gob = grad ? bias(m, m->grads, p->cfg.depth) : NULL;
	p->live = !grad && m->hook_fn;
	forward_hidden(m, b, e0, n);
	p->live = 0;
	forward_logits(m, n, p->logits);
	struct pass ps = { .m = m, .n = n, .z = p->logits,
			   .labels = b->labels + e0, .scale = scale,
			   .grad = grad };
	rows_pass(&ps, 4 * C, xent_rows);
	double sum = 0.0;
	for (int r = 0; r < n; r++) {
		sum += p->rowloss[r];
		if (gob)
			vec_add(C, gob, p->logits + (size_t)r * C);
	}
	if (grad)
		backward(m, b, e0, n);
	return sum;
}

/* Checks input kind and ranges once per call, so the inner loops can
 * index without checks. */
static int batch_valid(const struct model *m, const struct batch *b,
		       int need_labels)
{
	struct traj_error err;
	return model_batch_check(m, b, need_labels, &err) == 0;
}

static int mlp_loss(struct model *m, const struct batch *b, int grad,
		    float *loss, struct traj_error *err)
{
	if (model_batch_check(m, b, 1, err) < 0)
		return -1;
	if (b->n == 0)
		return traj_fail(err, TRAJ_EDATA, -1, "batch: no examples");
	float scale = 1.0f / (float)b->n;
	double sum = 0.0;
	for (int e0 = 0; e0 < b->n; e0 += m->max_batch) {
		int n = b->n - e0 < m->max_batch ? b->n - e0 : m->max_batch;
		sum += loss_chunk(m, b, e0, n, grad, scale);
	}
	*loss = (float)(sum / b->n);
	return 0;
}

static void mlp_logits(struct model *m, const struct batch *b, float *out)
{
	struct mlp *p = m->impl;
	int C = p->cfg.n_classes;
	if (!batch_valid(m, b, 0)) {
		for (size_t i = 0; i < (size_t)(b->n > 0 ? b->n : 0) * C; i++)
			out[i] = NAN;
		return;
	}
	for (int e0 = 0; e0 < b->n; e0 += m->max_batch) {
		int n = b->n - e0 < m->max_batch ? b->n - e0 : m->max_batch;
		float *z = out + (size_t)e0 * C;
		p->live = m->hook_fn != NULL;
		forward_hidden(m, b, e0, n);
		p->live = 0;
		forward_logits(m, n, z);
		struct pass ps = { .m = m, .n = n, .z = z };
		if (p->cfg.bias)
			rows_pass(&ps, C, xent_rows);
	}
}

/* The loss gradient of rows [lo, hi) of logits that already hold the
 * output bias: each row becomes d loss_e / d z, its loss to rowloss. */
static void xent_grad_rows(void *ctx, int lo, int hi)
{
	const struct pass *ps = ctx;
	struct mlp *p = ps->m->impl;
	int C = p->cfg.n_classes;
	for (int r = lo; r < hi; r++)
		p->rowloss[r] = xent_row_grad(ps->z + (size_t)r * C, C,
					      ps->labels[r], 1.0f);
}

/* d loss_e / d x_e of each example's own loss, for dense input: the
 * backward pass of loss_chunk through the activations only, no parameter
 * gradient, then through layer 0's weights to the input. */
static void input_grad_chunk(struct model *m, const struct batch *b, int e0,
			     int n, float *dx, float *loss, float *logits)
{
	struct mlp *p = m->impl;
	int F = p->cfg.n_inputs, C = p->cfg.n_classes;
	p->live = 0;
	forward_hidden(m, b, e0, n);
	forward_logits(m, n, p->logits);
	struct pass ps = { .m = m, .n = n, .z = p->logits,
			   .labels = b->labels + e0 };
	if (p->cfg.bias) {
		ps.labels = NULL;
		rows_pass(&ps, C, xent_rows);
		ps.labels = b->labels + e0;
	}
	if (logits)
		memcpy(logits + (size_t)e0 * C, p->logits,
		       (size_t)n * C * sizeof *logits);
	rows_pass(&ps, 4 * C, xent_grad_rows);
	for (int r = 0; loss && r < n; r++)
		loss[e0 + r] = (float)p->rowloss[r];
	float *dy = p->logits;
	for (int i = p->cfg.depth; i >= 1; i--) {
		int H = wid(m, i - 1);
		float *da = p->dbuf + (size_t)(i & 1) * m->max_batch * p->hmax;
		linalg_matmul_nt(n, H, d_out(&p->cfg, i), dy,
				 weight(m, m->params, i), da);
		struct pass back = { .m = m, .n = n, .layer = i - 1, .d = da };
		rows_pass(&back, H, act_back_rows);
		dy = da;
	}
	linalg_matmul_nt(n, F, wid(m, 0), dy, weight(m, m->params, 0),
			 dx + (size_t)e0 * F);
}

/* Rows a thread's share of an input gradient needs at least for its
 * products to pay for the thread. */
#define MLP_PART_ROWS 32

/* An input gradient split by rows into parts, one per thread. */
struct input_grad_parts {
	struct model *m;
	const struct batch *b;
	float *dx, *loss, *logits;
	int parts;
};

/* Parts [lo, hi): part t computes rows [n t / parts, n (t + 1) / parts)
 * of the batch alone (row passes serial, products single-threaded), in
 * chunks of its own slice of the scratch, rows [t S, (t + 1) S) of every
 * buffer for S = max_batch / parts: a copy of the model whose buffers
 * start at its slice, so input_grad_chunk runs unchanged. */
static void input_grad_part(void *ctx, int lo, int hi)
{
	const struct input_grad_parts *g = ctx;
	struct model *m = g->m;
	struct mlp *p = m->impl;
	int S = m->max_batch / g->parts, n = g->b->n;
	for (int t = lo; t < hi; t++) {
		size_t h0 = (size_t)t * S * p->hmax;
		struct mlp pt = *p;
		pt.pre = p->pre + h0;
		pt.post = p->post + h0;
		pt.dbuf = p->dbuf + h0;
		pt.logits = p->logits + (size_t)t * S * p->cfg.n_classes;
		pt.rowloss = p->rowloss + (size_t)t * S;
		pt.pool = NULL;
		struct model mt = *m;
		mt.impl = &pt;
		int end = (int)((long long)n * (t + 1) / g->parts);
		for (int e0 = (int)((long long)n * t / g->parts); e0 < end;
		     e0 += S) {
			int k = end - e0 < S ? end - e0 : S;
			input_grad_chunk(&mt, g->b, e0, k, g->dx, g->loss,
					 g->logits);
		}
	}
}

/* Rows are independent here, so the batch is split between the threads,
 * each running whole forward and backward passes with single-threaded
 * products: no hand-over between BLAS's threads and the pool's per
 * product, and no product split across threads. The thread count moves
 * where a row falls in a product, so its sums may round differently
 * (as they may with BLAS's own threads). */
static int mlp_input_grad(struct model *m, const struct batch *b, float *dx,
			  float *loss, float *logits)
{
	struct mlp *p = m->impl;
	if (p->cfg.vocab || !batch_valid(m, b, 1))
		return -1;
	/* a worker view stays on its caller's thread */
	int parts = p->view ? 1 : parallel_threads();
	if (parts > b->n / MLP_PART_ROWS)
		parts = b->n / MLP_PART_ROWS;
	if (parts > m->max_batch)
		parts = m->max_batch;
	if (parts > 1) {
		struct input_grad_parts g = { m, b, dx, loss, logits, parts };
		int blas = linalg_threads();
		linalg_set_threads(1);
		parallel_run(p->pool, parts, input_grad_part, &g);
		linalg_set_threads(blas);
		return 0;
	}
	for (int e0 = 0; e0 < b->n; e0 += m->max_batch) {
		int n = b->n - e0 < m->max_batch ? b->n - e0 : m->max_batch;
		input_grad_chunk(m, b, e0, n, dx, loss, logits);
	}
	return 0;
}

static void mlp_free(struct model *m)
{
	struct mlp *p = m->impl;
	if (p && p->view) {
		free(p->pre);
		free(p->rowloss);
		free(p);
		free(m);
		return;
	}
	if (p) {
		parallel_free(p->pool);
		free(p->pre);
		free(p->rowloss);
		free(p->hooks);
	}
	free(p);
	free(m->views);
	free(m->params);
	free(m->grads);
	free(m);
}

static int alloc_scratch(struct model *m, struct mlp *p);

/* A copy of the model and of its struct mlp that keeps the parameters,
 * views and hook table of m and has its own scratch and no pool. */
static struct model *mlp_worker(struct model *m, int rows)
{
	struct mlp *p = m->impl;
	if (p->cfg.vocab)
		return NULL;
	struct model *w = malloc(sizeof *w);
	struct mlp *q = malloc(sizeof *q);
	if (!w || !q) {
		free(w);
		free(q);
		return NULL;
	}
	*w = *m;
	*q = *p;
	w->impl = q;
	w->max_batch = rows;
	w->hook_fn = NULL;
	w->grad_fn = NULL;
	q->pool = NULL;
	q->view = 1;
	q->live = 0;
	q->pre = NULL;
	q->rowloss = NULL;
	if (alloc_scratch(w, q) < 0) {
		mlp_free(w);
		return NULL;
	}
	return w;
}

static const struct model_ops mlp_ops = {
	.loss = mlp_loss, .logits = mlp_logits, .free = mlp_free,
	.input_grad = mlp_input_grad, .worker = mlp_worker,
};

static int check_config(const struct mlp_config *c, int max_batch,
			struct traj_error *err)
{
	const char *bad = NULL;
	if (c->n_inputs < 1 || c->n_inputs > MLP_MAX_DIM)
		bad = "inputs";
	else if (c->vocab < 0 || c->vocab > MLP_MAX_DIM)
		bad = "vocab";
	else if (c->depth < 1 || c->depth > MLP_MAX_DEPTH)
		bad = "depth";
	else if (c->n_classes < 2 || c->n_classes > MLP_MAX_DIM)
		bad = "classes";
	else if (!activation_name(c->act))
		bad = "activation";
	for (int i = 0; !bad && i < c->depth; i++)
		if (mlp_layer_width(c, i) < 1 || mlp_layer_width(c, i) > MLP_MAX_DIM)
			bad = "width";
	if (bad)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "model.%s: value out of range", bad);
	if (max_batch < 1 || max_batch > MLP_MAX_BATCH)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "model: batch size %d not in 1..%d",
				 max_batch, MLP_MAX_BATCH);
	return 0;
}

static void set_view(struct param_view *v, const char *name, int layer,
		     int rank, const int64_t *shape, size_t offset)
{
	snprintf(v->name, sizeof v->name, "layers.%d.%s", layer, name);
	v->rank = rank;
	v->numel = 1;
	for (int k = 0; k < rank; k++) {
		v->shape[k] = shape[k];
		v->numel *= (size_t)shape[k];
	}
	v->offset = offset;
}

/* Lays the views out in name order: layers.0.W, layers.0.b, layers.1.W...
 * Returns the total parameter count. */
static size_t layout(struct model *m, struct mlp *p)
{
	const struct mlp_config *c = &p->cfg;
	size_t off = 0;
	int v = 0;
	for (int i = 0; i < p->nlayers; i++) {
		int64_t wshape[2] = { d_in(c, i), d_out(c, i) };
		p->w_off[i] = off;
		set_view(&m->views[v], "W", i, 2, wshape, off);
		off += m->views[v++].numel;
		if (!c->bias)
			continue;
		p->b_off[i] = off;
		set_view(&m->views[v], "b", i, 1, &wshape[1], off);
		off += m->views[v++].numel;
	}
	return off;
}

static size_t count_params(const struct mlp_config *c)
{
	size_t n = 0;
	for (int i = 0; i <= c->depth; i++)
		n += (size_t)d_in(c, i) * d_out(c, i) +
		     (c->bias ? (size_t)d_out(c, i) : 0);
	return n;
}

static int alloc_scratch(struct model *m, struct mlp *p)
{
	size_t B = (size_t)m->max_batch, H = (size_t)p->hmax;
	size_t hid = (size_t)p->cfg.depth * B * H;
	size_t npost = p->cfg.act == ACT_RELU ? 0 : hid;
	size_t total = hid + npost + B * (size_t)p->cfg.n_classes + 2 * B * H;
	p->pre = malloc(total * sizeof(float));
	p->rowloss = malloc(B * sizeof *p->rowloss);
	if (!p->pre || !p->rowloss)
		return -1;
	p->post = p->pre + npost;
	p->logits = p->pre + hid + npost;
	p->dbuf = p->logits + B * (size_t)p->cfg.n_classes;
	return 0;
}

struct model *mlp_new(const struct mlp_config *cfg, int max_batch,
		      struct traj_error *err)
{
	if (check_config(cfg, max_batch, err) < 0)
		return NULL;
	linalg_init();
	size_t np = count_params(cfg);
	if (np > MLP_MAX_PARAMS) {
		traj_fail(err, TRAJ_EDATA, -1,
			  "model: %zu parameters, more than the limit %zu", np,
			  MLP_MAX_PARAMS);
		return NULL;
	}
	struct model *m = calloc(1, sizeof *m);
	struct mlp *p = calloc(1, sizeof *p);
	if (!m || !p) {
		free(m);
		free(p);
		traj_fail(err, TRAJ_ENOMEM, -1, "model: out of memory");
		return NULL;
	}
	*m = (struct model){
		.ops = &mlp_ops, .kind = "mlp", .nparams = np,
		.nviews = (cfg->depth + 1) * (cfg->bias ? 2 : 1),
		.n_inputs = cfg->n_inputs, .vocab = cfg->vocab,
		.n_classes = cfg->n_classes, .n_outputs = 1,
		.max_batch = max_batch, .impl = p,
	};
	p->cfg = *cfg;
	p->nlayers = cfg->depth + 1;
	for (int i = 0; i < cfg->depth; i++)
		if (mlp_layer_width(cfg, i) > p->hmax)
			p->hmax = mlp_layer_width(cfg, i);
	m->views = calloc((size_t)m->nviews, sizeof *m->views);
	m->params = calloc(np, sizeof(float));
	m->grads = calloc(np, sizeof(float));
	p->hooks = calloc((size_t)cfg->depth, sizeof *p->hooks);
	p->pool = parallel_new();
	if (!m->views || !m->params || !m->grads || !p->hooks || !p->pool ||
	    alloc_scratch(m, p) < 0) {
		mlp_free(m);
		traj_fail(err, TRAJ_ENOMEM, -1, "model: out of memory");
		return NULL;
	}
	layout(m, p);
	for (int i = 0; i < cfg->depth; i++) {
		struct hook_point *h = &p->hooks[i];
		snprintf(h->name, sizeof h->name, "layers.%d.hook_post", i);
		h->rank = 1;
		h->shape[0] = mlp_layer_width(cfg, i);
		h->numel = (size_t)h->shape[0];
		h->has_grad = 1;
	}
	m->hooks = p->hooks;
	m->nhooks = cfg->depth;
	return m;
}

/* "width": [W0, W1, ...], one per hidden layer, into cfg->widths;
 * cfg->width becomes W0. */
static int widths_from_json(const cJSON *arr, struct mlp_config *cfg,
			    struct traj_error *err)
{
	int n = cJSON_GetArraySize(arr), i = 0;
	if (n != cfg->depth)
		return traj_fail(err, TRAJ_EDATA, -1, "model.width: %d widths "
				 "for depth %d", n, cfg->depth);
	const cJSON *it;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
		    it->valuedouble < 1 || it->valuedouble > MLP_MAX_DIM)
			return traj_fail(err, TRAJ_EDATA, -1, "model.width[%d]: "
					 "expected an integer in 1..%d", i,
					 MLP_MAX_DIM);
		cfg->widths[i++] = (int)it->valuedouble;
	}
	cfg->width = cfg->widths[0];
	return 0;
}

int mlp_config_from_json(const cJSON *json, struct mlp_config *cfg,
			 struct traj_error *err)
{
	memset(cfg, 0, sizeof *cfg);
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(json, "width");
	if (model_json_int(json, "inputs", 1, MLP_MAX_DIM, 0, &cfg->n_inputs, err) < 0 ||
	    model_json_int(json, "vocab", 0, MLP_MAX_DIM, 0, &cfg->vocab, err) < 0 ||
	    (!cJSON_IsArray(w) &&
	     model_json_int(json, "width", 1, MLP_MAX_DIM, 0, &cfg->width, err) < 0) ||
	    model_json_int(json, "depth", 1, MLP_MAX_DEPTH, 0, &cfg->depth, err) < 0 ||
	    model_json_int(json, "classes", 2, MLP_MAX_DIM, 0, &cfg->n_classes, err) < 0 ||
	    (cJSON_IsArray(w) && widths_from_json(w, cfg, err) < 0))
		return -1;
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(json, "activation");
	cfg->act = ACT_RELU;
	if (act && (!cJSON_IsString(act) ||
		    activation_from_name(act->valuestring, &cfg->act) < 0))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "model.activation: expected one of "
				 "\"relu\", \"gelu\", \"quad\"");
	const cJSON *bias_item = cJSON_GetObjectItemCaseSensitive(json, "bias");
	if (bias_item && !cJSON_IsBool(bias_item))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "model.bias: expected true or false");
	cfg->bias = bias_item ? cJSON_IsTrue(bias_item) : 1;
	return 0;
}

/* "width": one integer when every hidden layer has the same width, so
 * that such runs keep the header they had before per-layer widths. */
static cJSON *width_json(const struct mlp_config *cfg)
{
	int w[MLP_MAX_DEPTH], n = cfg->depth < 1 ? 1 : cfg->depth, same = 1;
	if (n > MLP_MAX_DEPTH)
		n = MLP_MAX_DEPTH;
	for (int i = 0; i < n; i++) {
		w[i] = mlp_layer_width(cfg, i);
		same &= w[i] == w[0];
	}
	return same ? cJSON_CreateNumber(w[0]) : cJSON_CreateIntArray(w, n);
}

cJSON *mlp_config_to_json(const struct mlp_config *cfg)
{
	cJSON *j = cJSON_CreateObject();
	cJSON *w = width_json(cfg);
	if (!j || !w) {
		cJSON_Delete(j);
		cJSON_Delete(w);
		return NULL;
	}
	int ok = cJSON_AddStringToObject(j, "kind", "mlp") &&
		 cJSON_AddNumberToObject(j, "inputs", cfg->n_inputs) &&
		 cJSON_AddNumberToObject(j, "vocab", cfg->vocab);
	if (!ok || !cJSON_AddItemToObject(j, "width", w)) {
		cJSON_Delete(w);
		ok = 0;
	}
	ok = ok && cJSON_AddNumberToObject(j, "depth", cfg->depth) &&
		 cJSON_AddNumberToObject(j, "classes", cfg->n_classes) &&
		 cJSON_AddStringToObject(j, "activation",
					 activation_name(cfg->act)) &&
		 cJSON_AddBoolToObject(j, "bias", cfg->bias);
	if (!ok) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}
