/* Edge ablation (edges.h): the graph of a transformer; a clean edge pass
 * gives the model's own logits; ablating every edge out of a head or an
 * MLP is ablating that component (ablate.h), by zero, mean and resample;
 * and sets of edges ablated by mean agree with a naive per-example,
 * per-position reference written from the definition; a label scores
 * one labelled position. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/edges.h"
#include "harness.h"
#include "eval_check.h"
#include "interp/attrib.h"
#include "model/mlp.h"
#include "model/xent.h"

enum { P = 7, N = 24, D = 8, H = 2, E = 4, M = 6, T = 3, KMAX = 2 };

static int32_t tokens[N * T], labels[N * KMAX];

static void make_data(void)
{
	for (int e = 0; e < N; e++) {
		int a = e % P, b = (e * 3 + 1) % P;
		tokens[T * e] = a;
		tokens[T * e + 1] = b;
		tokens[T * e + 2] = P;
		labels[KMAX * e] = (a + b) % P;
		labels[KMAX * e + 1] = (a * b) % P;
	}
}

struct shape { int layers, outputs, layernorm, attn_only; enum activation act; };

static struct model *tiny(struct shape s)
{
	struct transformer_config c = {
		.n_layers = s.layers, .d_model = D, .n_heads = H, .d_head = E,
		.d_mlp = M, .d_vocab = P + 1, .d_vocab_out = P, .n_ctx = T,
		.n_outputs = s.outputs, .act = s.act, .layernorm = s.layernorm,
		.attn_only = s.attn_only,
	};
	struct traj_error err;
	struct model *m = transformer_new(&c, N, &err);
	CHECK(m != NULL);
	if (m)
		model_init(m, 11 + (uint64_t)s.layers * 3 + (uint64_t)s.layernorm);
	return m;
}

static struct batch data(int outputs)
{
	/* labels are (N, K): with K = 1 use the first column only */
	static int32_t one[N];
	for (int e = 0; e < N; e++)
		one[e] = labels[KMAX * e];
	return (struct batch){ .n = N, .tokens = tokens,
			       .labels = outputs == 1 ? one : labels };
}

static void test_graph(void)
{
	struct model *m = tiny((struct shape){ 1, 1, 0, 0, ACT_RELU });
	struct edge_graph g;
	struct traj_error err;
	CHECK(edge_graph_build(m, &g, &err) == 0);
	CHECK(g.nsend == 4 && g.nrecv == 8);
	CHECK(g.nedges == 6 * 1 + 3 + 4);
	CHECK(edge_find(&g, "embed->blocks.0.attn.head1.k") >= 0);
	CHECK(edge_find(&g, "blocks.0.attn.head1->blocks.0.mlp") >= 0);
	CHECK(edge_find(&g, "blocks.0.mlp->logits") == g.nedges - 1);
	CHECK(edge_find(&g, "blocks.0.attn.head0->blocks.0.attn.head1.q") < 0);
	CHECK(edge_find(&g, "blocks.0.mlp->blocks.0.mlp") < 0);
	edge_graph_free(&g);
	model_free(m);
	m = tiny((struct shape){ 2, 1, 0, 1, ACT_RELU });
	CHECK(edge_graph_build(m, &g, &err) == 0);
	/* senders embed, 2 + 2 heads; receivers 6 + 6 head inputs, logits */
	CHECK(g.nsend == 5 && g.nrecv == 13);
	CHECK(g.nedges == 6 * 1 + 6 * 3 + 5);
	CHECK(edge_find(&g, "blocks.0.attn.head1->blocks.1.attn.head0.v") >= 0);
	edge_graph_free(&g);
	model_free(m);
}

static void test_not_transformer(void)
{
	struct mlp_config c = { .n_inputs = 2, .vocab = P, .width = 4,
				.depth = 1, .n_classes = P, .act = ACT_RELU,
				.bias = 1 };
	struct traj_error err;
	struct model *m = mlp_new(&c, 4, &err);
	CHECK(m != NULL);
	struct edge_graph g;
	CHECK(edge_graph_build(m, &g, &err) < 0);
	CHECK(err.status == TRAJ_EUSAGE);
	CHECK(strcmp(err.msg, "the model is not a transformer") == 0);
	model_free(m);
}

static const struct shape shapes[] = {
	{ 1, 1, 0, 0, ACT_RELU }, { 1, 2, 0, 0, ACT_GELU },
	{ 2, 1, 0, 0, ACT_RELU }, { 2, 2, 1, 0, ACT_RELU },
	{ 1, 1, 1, 0, ACT_GELU }, { 2, 1, 0, 1, ACT_RELU },
};

static void test_clean_pass_is_the_model(void)
{
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
		struct model *m = tiny(shapes[i]);
		int K = shapes[i].outputs;
		struct batch b = data(K);
		struct edge_graph g;
		struct edge_ablator ea;
		struct traj_error err;
		CHECK(edge_graph_build(m, &g, &err) == 0);
		CHECK(edge_ablator_init(&ea, m, &g, &b, ABL_MEAN, 1, &err) == 0);
		static float want[N * KMAX * P], got[N * KMAX * P];
		m->ops->logits(m, &b, want);
		struct eval_result r = edge_eval(&ea, NULL, 0, got);
		struct eval_result ref = eval_model(m, &b);
		for (int j = 0; j < N * K * P; j++)
			CHECK_NEAR(got[j], want[j], 1e-5);
		CHECK_NEAR(r.loss, ref.loss, 1e-6);
		CHECK(r.acc == ref.acc);
		CHECK(ea.forward_passes == 1);
		edge_ablator_free(&ea);
		edge_graph_free(&g);
		model_free(m);
	}
}

/* Every edge out of sender s. */
static int out_edges(const struct edge_graph *g, int s, int *active)
{
	int n = 0;
	for (int e = 0; e < g->nedges; e++)
		if (g->edges[e].sender == s)
			active[n++] = e;
	return n;
}

static void compare_node(struct model *m, int K, const char *node,
			 enum ablate_method method)
{
	struct batch b = data(K);
	struct edge_graph g;
	struct edge_ablator ea;
	struct ablator a;
	struct component *comps;
	struct traj_error err;
	int nc = ablate_components_list(m, &comps, &err);
	int c = ablate_component_find(comps, nc, node);
	CHECK(c >= 0);
	CHECK(edge_graph_build(m, &g, &err) == 0);
	CHECK(edge_ablator_init(&ea, m, &g, &b, method, 7, &err) == 0);
	CHECK(ablator_init(&a, m, &b, comps, nc, method, NULL, 7, &err) == 0);
	struct eval_result clean = eval_baseline(&a);
	CHECK_NEAR(eval_edge_baseline(&ea).loss, clean.loss, 1e-6);
	int s = 0;
	while (s < g.nsend && strcmp(g.send[s].name, node))
		s++;
	CHECK(s < g.nsend);
	int active[64];
	int n = out_edges(&g, s, active);
	CHECK(n >= 1);
	struct eval_result want = eval_ablated(&a, &c, 1);
	struct eval_result got = edge_eval(&ea, active, n, NULL);
	CHECK_NEAR(got.loss, want.loss, 1e-5 * (1 + fabs(want.loss)));
	CHECK(got.acc == want.acc);
	CHECK(fabs(want.loss - clean.loss) > 1e-4); /* not vacuous */
	ablator_free(&a);
	edge_ablator_free(&ea);
	edge_graph_free(&g);
	free(comps);
}

static void test_all_out_edges_is_the_node(void)
{
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
		struct model *m = tiny(shapes[i]);
		int K = shapes[i].outputs;
		for (int meth = ABL_ZERO; meth <= ABL_RESAMPLE; meth++) {
			compare_node(m, K, "blocks.0.attn.head1", meth);
			if (!shapes[i].attn_only)
				compare_node(m, K, "blocks.0.mlp", meth);
			if (shapes[i].layers > 1)
				compare_node(m, K, "blocks.1.attn.head0", meth);
		}
		model_free(m);
	}
}

/* ---- the naive reference: one example, every position, no LayerNorm */

static const float *param(const struct model *m, const char *fmt, int l)
{
	char name[96];
	snprintf(name, sizeof name, fmt, l);
	int v = model_find_view(m, name);
	CHECK(v >= 0);
	return m->params + m->views[v].offset;
}

/* y (D) = x (k) @ W (k, D) + b. */
static void affine(int k, int d, const float *x, const float *W,
		   const float *b, float *y)
{
	for (int j = 0; j < d; j++) {
		double s = b ? b[j] : 0.0;
		for (int i = 0; i < k; i++)
			s += (double)x[i] * W[(size_t)i * d + j];
		y[j] = (float)s;
	}
}

#define MAXS 16

struct naive {
	const struct model *m;
	const struct edge_graph *g;
	const unsigned char *cut;
	float out[MAXS][T][D];    /* this example's sender outputs */
	float (*mean)[T][D];      /* per sender */
};

/* Receiver r's input at position t: every sender's output or mean, plus
 * the biases of the blocks before it. */
static void naive_input(struct naive *nv, int r, int t, float *x)
{
	const struct edge_receiver *rr = &nv->g->recv[r];
	memset(x, 0, D * sizeof *x);
	for (int s = 0; s < rr->nsend; s++) {
		const float *o = nv->cut[rr->first_edge + s] ? nv->mean[s][t]
							      : nv->out[s][t];
		for (int j = 0; j < D; j++)
			x[j] += o[j];
	}
	for (int l = 0; l < nv->g->cfg.n_layers; l++) {
		int heads_before = l < rr->layer ||
				   (l == rr->layer && rr->input >= EI_MLP);
		int mlp_before = l < rr->layer && !nv->g->cfg.attn_only;
		for (int j = 0; j < D; j++) {
			if (heads_before)
				x[j] += param(nv->m, "blocks.%d.attn.b_O", l)[j];
			if (mlp_before)
				x[j] += param(nv->m, "blocks.%d.mlp.b_out", l)[j];
		}
	}
}

static void naive_head(struct naive *nv, int l, int h)
{
	const struct model *m = nv->m;
	const struct edge_graph *g = nv->g;
	float q[T][E], k[T][E], v[T][E], x[D];
	const char *W[3] = { "blocks.%d.attn.W_Q", "blocks.%d.attn.W_K",
			     "blocks.%d.attn.W_V" };
	const char *B[3] = { "blocks.%d.attn.b_Q", "blocks.%d.attn.b_K",
			     "blocks.%d.attn.b_V" };
	float (*dst[3])[E] = { q, k, v };
	for (int i = 0; i < 3; i++)
		for (int t = 0; t < T; t++) {
			naive_input(nv, edge_head_receiver(g, l, h, i), t, x);
			affine(D, E, x, param(m, W[i], l) + (size_t)h * D * E,
			       param(m, B[i], l) + (size_t)h * E, dst[i][t]);
		}
	int s = edge_head_sender(g, l, h);
	for (int t = 0; t < T; t++) {
		double w[T], sum = 0.0, top = -INFINITY;
		for (int j = 0; j <= t; j++) {
			w[j] = 0.0;
			for (int i = 0; i < E; i++)
				w[j] += (double)q[t][i] * k[j][i];
			w[j] /= sqrt(E);
			top = w[j] > top ? w[j] : top;
		}
		for (int j = 0; j <= t; j++)
			sum += (w[j] = exp(w[j] - top));
		float z[E] = {0};
		for (int j = 0; j <= t; j++)
			for (int i = 0; i < E; i++)
				z[i] += (float)(w[j] / sum) * v[j][i];
		affine(E, D, z, param(m, "blocks.%d.attn.W_O", l) + (size_t)h * E * D,
		       NULL, nv->out[s][t]);
	}
}

static void naive_mlp(struct naive *nv, int l)
{
	const struct model *m = nv->m;
	float x[D], pre[M];
	int s = edge_mlp_sender(nv->g, l);
	for (int t = 0; t < T; t++) {
		naive_input(nv, edge_mlp_receiver(nv->g, l), t, x);
		affine(D, M, x, param(m, "blocks.%d.mlp.W_in", l),
		       param(m, "blocks.%d.mlp.b_in", l), pre);
		for (int i = 0; i < M; i++)
			pre[i] = pre[i] > 0 ? pre[i] : 0; /* relu */
		affine(M, D, pre, param(m, "blocks.%d.mlp.W_out", l), NULL,
		       nv->out[s][t]);
	}
}

/* Example e's logits at its K labelled positions into z (K, P). */
static void naive_example(struct naive *nv, int e, float *z)
{
	const struct transformer_config *c = &nv->g->cfg;
	const float *we = param(nv->m, "embed.W_E", 0);
	const float *wp = param(nv->m, "pos_embed.W_pos", 0);
	for (int t = 0; t < T; t++)
		for (int j = 0; j < D; j++)
			nv->out[0][t][j] = we[tokens[T * e + t] * D + j] + wp[t * D + j];
	for (int l = 0; l < c->n_layers; l++) {
		for (int h = 0; h < H; h++)
			naive_head(nv, l, h);
		if (!c->attn_only)
			naive_mlp(nv, l);
	}
	float x[D];
	for (int i = 0; i < c->n_outputs; i++) {
		naive_input(nv, nv->g->nrecv - 1, T - c->n_outputs + i, x);
		affine(D, P, x, param(nv->m, "unembed.W_U", 0),
		       param(nv->m, "unembed.b_U", 0), z + (size_t)i * P);
	}
}

static void naive_means(struct naive *nv)
{
	float z[KMAX * P];
	memset(nv->mean, 0, MAXS * sizeof *nv->mean);
	for (int e = 0; e < N; e++) {
		naive_example(nv, e, z);
		for (int s = 0; s < nv->g->nsend; s++)
			for (int t = 0; t < T; t++)
				for (int j = 0; j < D; j++)
					nv->mean[s][t][j] += nv->out[s][t][j] / N;
	}
}

/* Returns how far the ablation moved the logits (summed). */
static double compare_naive(struct shape sh, const int *pick, int npick)
{
	struct model *m = tiny(sh);
	int K = sh.outputs;
	struct batch b = data(K);
	struct edge_graph g;
	struct edge_ablator ea;
	struct traj_error err;
	CHECK(edge_graph_build(m, &g, &err) == 0);
	CHECK(g.nsend <= MAXS);
	CHECK(edge_ablator_init(&ea, m, &g, &b, ABL_MEAN, 1, &err) == 0);
	eval_edge_baseline(&ea);
	static float got[N * KMAX * P];
	static float mean[MAXS][T][D];
	unsigned char cut[256] = {0};
	struct naive nv = { .m = m, .g = &g, .cut = cut, .mean = mean };
	naive_means(&nv);
	int active[16], n = 0;
	for (int i = 0; i < npick; i++)
		active[n++] = pick[i] % g.nedges;
	for (int i = 0; i < n; i++)
		cut[active[i]] = 1;
	edge_eval(&ea, active, n, got);
	double maxdiff = 0.0, moved = 0.0;
	static float clean[N * KMAX * P];
	m->ops->logits(m, &b, clean);
	for (int e = 0; e < N; e++) {
		float z[KMAX * P];
		naive_example(&nv, e, z);
		for (int j = 0; j < K * P; j++) {
			double d = fabs(z[j] - got[(size_t)e * K * P + j]);
			maxdiff = d > maxdiff ? d : maxdiff;
			moved += fabs(z[j] - clean[(size_t)e * K * P + j]);
		}
	}
	CHECK(maxdiff < 1e-4);
	edge_ablator_free(&ea);
	edge_graph_free(&g);
	model_free(m);
	return moved;
}

static void test_against_naive_reference(void)
{
	/* single edges of every kind, and mixtures */
	struct shape one = { 1, 1, 0, 0, ACT_RELU };
	struct shape two = { 2, 2, 0, 0, ACT_RELU };
	struct shape attn = { 2, 1, 0, 1, ACT_RELU };
	/* Only the '=' token sits at the last position, so the edges from
	 * embed into what reads only that position (the last block's
	 * queries, its MLP, the logits: 4 edges here) change nothing: the
	 * mean is the value. Every other single edge moves the logits. */
	int moved = 0;
	for (int e = 0; e < 13; e++)
		moved += compare_naive(one, &e, 1) > 1e-3;
	CHECK(moved == 13 - 4);
	int mix1[] = { 1, 5, 8, 11 }, mix2[] = { 3, 17, 30, 41, 52, 60 };
	CHECK(compare_naive(one, mix1, 4) > 1e-3);
	CHECK(compare_naive(two, mix2, 6) > 1e-3);
	for (int e = 0; e < 29; e += 4)
		compare_naive(two, &e, 1);
	CHECK(compare_naive(attn, mix2, 6) > 1e-3);
}

/* Attribution: for every edge, the derivative of the loss along the
 * ablation path (central differences on cut_scale), and per sender the
 * sum over its edges equals the node's attribution score (ablate.h). */
static void check_attribution(struct shape sh, enum ablate_method method)
{
	struct model *m = tiny(sh);
	struct batch b = data(sh.outputs);
	struct edge_graph g;
	struct edge_ablator ea;
	struct traj_error err;
	CHECK(edge_graph_build(m, &g, &err) == 0);
	CHECK(edge_ablator_init(&ea, m, &g, &b, method, 5, &err) == 0);
	eval_edge_baseline(&ea);
	double score[256];
	CHECK(g.nedges <= 256);
	CHECK(edge_attribute(&ea, score, &err) == 0);
	CHECK(ea.backward_passes == 1 && ea.forward_passes == 3);
	int nonzero = 0;
	for (int e = 0; e < g.nedges; e++) {
		const double h = 2e-3;
		ea.cut_scale = (float)h;
		double up = edge_eval(&ea, &e, 1, NULL).loss;
		ea.cut_scale = (float)-h;
		double down = edge_eval(&ea, &e, 1, NULL).loss;
		double fd = (up - down) / (2 * h);
		CHECK_NEAR(score[e], fd, 2e-4 + 1e-2 * fabs(fd));
		nonzero += fabs(fd) > 1e-3;
	}
	CHECK(nonzero >= g.nedges / 3);
	ea.cut_scale = 1.0f;
	/* per sender: the node's attribution score */
	struct component *comps;
	int nc = ablate_components_list(m, &comps, &err);
	struct ablator a;
	CHECK(ablator_init(&a, m, &b, comps, nc, method, NULL, 5, &err) == 0);
	eval_baseline(&a);
	double *node = calloc((size_t)nc, sizeof *node);
	CHECK(ablator_attribute(&a, node, &err) == 0);
	for (int s = 1; s < g.nsend; s++) {
		double sum = 0.0;
		for (int e = 0; e < g.nedges; e++)
			if (g.edges[e].sender == s)
				sum += score[e];
		int c = ablate_component_find(comps, nc, g.send[s].name);
		CHECK(c >= 0);
		CHECK_NEAR(sum, node[c], 1e-4 * (1 + fabs(node[c])));
	}
	free(node);
	free(comps);
	ablator_free(&a);
	edge_ablator_free(&ea);
	edge_graph_free(&g);
	model_free(m);
}

static void test_attribution(void)
{
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
		check_attribution(shapes[i], ABL_MEAN);
	check_attribution(shapes[2], ABL_ZERO);
	check_attribution(shapes[3], ABL_RESAMPLE);
}

/* Zero and mean passes without the kept clean outputs (too large to
 * keep) compute every sender and give the same results. */
static void test_without_clean_outputs(void)
{
	struct model *m = tiny(shapes[2]);
	struct batch b = data(1);
	struct edge_graph g;
	struct edge_ablator with, without;
	struct traj_error err;
	CHECK(edge_graph_build(m, &g, &err) == 0);
	CHECK(edge_ablator_init(&with, m, &g, &b, ABL_MEAN, 1, &err) == 0);
	CHECK(edge_ablator_init(&without, m, &g, &b, ABL_MEAN, 1, &err) == 0);
	for (int s = 0; s < g.nsend; s++)
		free(without.clean[s]);
	free(without.clean);
	without.clean = NULL;
	CHECK(eval_edge_baseline(&with).loss == eval_edge_baseline(&without).loss);
	CHECK(with.have_clean && !without.have_clean);
	for (int e = 0; e < g.nedges; e += 3) {
		struct eval_result a = edge_eval(&with, &e, 1, NULL);
		struct eval_result c = edge_eval(&without, &e, 1, NULL);
		CHECK_NEAR(a.loss, c.loss, 1e-6);
		CHECK(a.acc == c.acc);
	}
	edge_ablator_free(&with);
	edge_ablator_free(&without);
	edge_graph_free(&g);
	model_free(m);
}

/* A patch source must match the data: else an error, not a pass that
 * writes past the source buffers (or, not patching, into none). */
static void test_capture_source_errors(void)
{
	struct model *m = tiny((struct shape){ 1, 1, 0, 0, ACT_RELU });
	struct batch b = data(1), half = b;
	half.n = b.n / 2;
	struct edge_graph g;
	struct edge_ablator ea;
	struct eval_result r;
	struct traj_error err;
	CHECK(edge_graph_build(m, &g, &err) == 0);
	for (int patch = 0; patch <= 1; patch++) {
		CHECK(edge_ablator_init(&ea, m, &g, &b, patch ? ABL_PATCH : ABL_MEAN,
					1, &err) == 0);
		err.msg[0] = '\0';
		CHECK(edge_capture_source(&ea, patch ? &half : &b, &r, &err) == -1);
		CHECK(err.status == TRAJ_EINTERNAL);
		CHECK(strstr(err.msg, "edge patch source") != NULL);
		if (patch)
			CHECK(edge_capture_source(&ea, &b, &r, &err) == 0 &&
			      r.n == b.n);
		edge_ablator_free(&ea);
	}
	edge_graph_free(&g);
	model_free(m);
}

/* With a label, a pass scores that labelled position alone: the mean
 * over the examples of its rows of the (unchanged) logits, and the
 * positions' losses average to the whole loss. */
static void test_label(void)
{
	struct shape sh = { 2, 2, 1, 0, ACT_RELU };
	struct model *m = tiny(sh);
	struct batch b = data(2);
	struct edge_graph g;
	struct edge_ablator ea;
	struct traj_error err;
	CHECK(edge_graph_build(m, &g, &err) == 0);
	CHECK(edge_ablator_init(&ea, m, &g, &b, ABL_MEAN, 1, &err) == 0);
	CHECK(ea.label == -1);
	eval_edge_baseline(&ea);
	int active[] = { 3, 17, 30 };
	static float all[N * KMAX * P], one[N * KMAX * P];
	for (int n = 0; n <= 3; n += 3) {
		struct eval_result whole = edge_eval(&ea, active, n, all);
		double sum = 0.0, right = 0.0;
		for (int k = 0; k < 2; k++) {
			ea.label = k;
			struct eval_result r = edge_eval(&ea, active, n, one);
			ea.label = -1;
			double loss = 0.0;
			int hits = 0;
			for (int e = 0; e < N; e++) {
				const float *z = one + ((size_t)e * 2 + k) * P;
				loss += xent_row(z, P, b.labels[e * 2 + k]);
				hits += xent_argmax(z, P) == b.labels[e * 2 + k];
			}
			CHECK_NEAR(r.loss, loss / N, 1e-9);
			CHECK_NEAR(r.acc, (double)hits / N, 1e-12);
			for (int j = 0; j < N * 2 * P; j++)
				CHECK(one[j] == all[j]);
			sum += r.loss;
			right += r.acc;
		}
		CHECK_NEAR(sum / 2, whole.loss, 1e-9);
		CHECK_NEAR(right / 2, whole.acc, 1e-12);
	}
	edge_ablator_free(&ea);
	edge_graph_free(&g);
	model_free(m);
}

int main(void)
{
	make_data();
	RUN(test_graph);
	RUN(test_not_transformer);
	RUN(test_clean_pass_is_the_model);
	RUN(test_all_out_edges_is_the_node);
	RUN(test_against_naive_reference);
	RUN(test_attribution);
	RUN(test_without_clean_outputs);
	RUN(test_capture_source_errors);
	RUN(test_label);
	return harness_done();
}
