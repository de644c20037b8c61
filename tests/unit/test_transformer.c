/* The transformer against a double-precision reference written from the
 * definition (every position computed, naive loops, no BLAS): loss and
 * logits, central-difference gradients of every parameter in every
 * configuration (LayerNorm, attention-only, ReLU/GELU, 1-2 layers, 1 to T
 * labelled positions), TransformerLens names and shapes, hooks, and the
 * JSON configuration. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "eval_check.h"
#include "model/model.h"
#include "model/transformer.h"

enum { T = 4, D = 6, H = 2, E = 3, M = 8, V = 7, U = 5, N = 5 };

static const int32_t tokens[N * T] = {
	0, 3, 6, 2,  1, 1, 4, 5,  6, 0, 2, 3,  5, 5, 5, 0,  2, 4, 1, 6,
};
static const int32_t labels[N * T] = {
	1, 4, 0, 2,  3, 3, 1, 0,  4, 2, 2, 1,  0, 1, 3, 4,  2, 0, 4, 3,
};

static struct transformer_config make_config(int layers, int ln,
					     int attn_only, enum activation act,
					     int k)
{
	struct transformer_config c = {
		.n_layers = layers, .d_model = D, .n_heads = H, .d_head = E,
		.d_mlp = M, .d_vocab = V, .d_vocab_out = U, .n_ctx = T,
		.n_outputs = k, .act = act, .layernorm = ln,
		.attn_only = attn_only,
	};
	return c;
}

/* Labels of the last k positions of each example, (N, k). */
static struct batch make_batch(int k, int32_t *lab)
{
	for (int b = 0; b < N; b++)
		for (int i = 0; i < k; i++)
			lab[b * k + i] = labels[b * T + T - k + i];
	struct batch bt = { N, tokens, NULL, lab };
	return bt;
}

/* The reference works on a double copy of the parameters in m's layout. */
struct ref {
	const struct model *m;
	const struct transformer_config *c;
	const double *p;
};

static const double *par(const struct ref *r, const char *name)
{
	int i = model_find_view(r->m, name);
	if (i < 0) {
		printf("# no view %s\n", name);
		abort();
	}
	return r->p + r->m->views[i].offset;
}

static const double *bpar(const struct ref *r, int l, const char *leaf)
{
	char name[64];
	snprintf(name, sizeof name, "blocks.%d.%s", l, leaf);
	return par(r, name);
}

static void ref_ln(const double *w, const double *b, const double *x,
		   double *y)
{
	for (int t = 0; t < T; t++) {
		double mean = 0, var = 0;
		for (int d = 0; d < D; d++)
			mean += x[t * D + d] / D;
		for (int d = 0; d < D; d++)
			var += (x[t * D + d] - mean) * (x[t * D + d] - mean) / D;
		for (int d = 0; d < D; d++)
			y[t * D + d] = (x[t * D + d] - mean) / sqrt(var + 1e-5) *
				       w[d] + b[d];
	}
}

static double ref_act(enum activation act, double x)
{
	return act == ACT_RELU ? (x > 0 ? x : 0)
			       : 0.5 * x * (1 + erf(x / sqrt(2.0)));
}

/* x (T, D) @ W [H, D, E] + b [H, E] -> y (T, H, E). */
static void ref_proj(const double *x, const double *w, const double *b,
		     double *y)
{
	for (int t = 0; t < T; t++)
		for (int h = 0; h < H; h++)
			for (int e = 0; e < E; e++) {
				double s = b[h * E + e];
				for (int d = 0; d < D; d++)
					s += x[t * D + d] * w[(h * D + d) * E + e];
				y[(t * H + h) * E + e] = s;
			}
}

static void ref_attn(const struct ref *r, int l, const double *resid,
		     double *mid)
{
	double x[T * D], q[T * H * E], k[T * H * E], v[T * H * E], z[T * H * E];
	if (r->c->layernorm)
		ref_ln(bpar(r, l, "ln1.w"), bpar(r, l, "ln1.b"), resid, x);
	else
		memcpy(x, resid, sizeof x);
	ref_proj(x, bpar(r, l, "attn.W_Q"), bpar(r, l, "attn.b_Q"), q);
	ref_proj(x, bpar(r, l, "attn.W_K"), bpar(r, l, "attn.b_K"), k);
	ref_proj(x, bpar(r, l, "attn.W_V"), bpar(r, l, "attn.b_V"), v);
	memset(z, 0, sizeof z);
	for (int h = 0; h < H; h++)
		for (int i = 0; i < T; i++) {
			double s[T], mx = -INFINITY, sum = 0;
			for (int j = 0; j <= i; j++) {
				s[j] = 0;
				for (int e = 0; e < E; e++)
					s[j] += q[(i * H + h) * E + e] *
						k[(j * H + h) * E + e];
				s[j] /= sqrt((double)E);
				mx = fmax(mx, s[j]);
			}
			for (int j = 0; j <= i; j++)
				sum += exp(s[j] - mx);
			for (int j = 0; j <= i; j++)
				for (int e = 0; e < E; e++)
					z[(i * H + h) * E + e] += exp(s[j] - mx) /
						sum * v[(j * H + h) * E + e];
		}
	const double *wo = bpar(r, l, "attn.W_O"), *bo = bpar(r, l, "attn.b_O");
	for (int t = 0; t < T; t++)
		for (int d = 0; d < D; d++) {
			double s = bo[d];
			for (int he = 0; he < H * E; he++)
				s += z[t * H * E + he] * wo[he * D + d];
			mid[t * D + d] = resid[t * D + d] + s;
		}
}

static void ref_mlp(const struct ref *r, int l, const double *mid,
		    double *post)
{
	double x[T * D], a[T * M];
	if (r->c->layernorm)
		ref_ln(bpar(r, l, "ln2.w"), bpar(r, l, "ln2.b"), mid, x);
	else
		memcpy(x, mid, sizeof x);
	const double *wi = bpar(r, l, "mlp.W_in"), *bi = bpar(r, l, "mlp.b_in");
	const double *wo = bpar(r, l, "mlp.W_out"), *bo = bpar(r, l, "mlp.b_out");
	for (int t = 0; t < T; t++)
		for (int j = 0; j < M; j++) {
			double s = bi[j];
			for (int d = 0; d < D; d++)
				s += x[t * D + d] * wi[d * M + j];
			a[t * M + j] = ref_act(r->c->act, s);
		}
	for (int t = 0; t < T; t++)
		for (int d = 0; d < D; d++) {
			double s = bo[d];
			for (int j = 0; j < M; j++)
				s += a[t * M + j] * wo[j * D + d];
			post[t * D + d] = mid[t * D + d] + s;
		}
}

/* Logits (T, U) of example e. */
static void ref_logits(const struct ref *r, int e, double *logits)
{
	double resid[T * D], mid[T * D], x[T * D];
	const double *we = par(r, "embed.W_E"), *wp = par(r, "pos_embed.W_pos");
	for (int t = 0; t < T; t++)
		for (int d = 0; d < D; d++)
			resid[t * D + d] = we[tokens[e * T + t] * D + d] + wp[t * D + d];
	for (int l = 0; l < r->c->n_layers; l++) {
		ref_attn(r, l, resid, mid);
		if (r->c->attn_only)
			memcpy(resid, mid, sizeof resid);
		else
			ref_mlp(r, l, mid, resid);
	}
	if (r->c->layernorm)
		ref_ln(par(r, "ln_final.w"), par(r, "ln_final.b"), resid, x);
	else
		memcpy(x, resid, sizeof x);
	const double *wu = par(r, "unembed.W_U"), *bu = par(r, "unembed.b_U");
	for (int t = 0; t < T; t++)
		for (int u = 0; u < U; u++) {
			double s = bu[u];
			for (int d = 0; d < D; d++)
				s += x[t * D + d] * wu[d * U + u];
			logits[t * U + u] = s;
		}
}

static double ref_loss(const struct ref *r, const struct batch *b)
{
	int K = r->c->n_outputs;
	double total = 0;
	for (int e = 0; e < b->n; e++) {
		double z[T * U];
		ref_logits(r, e, z);
		for (int i = 0; i < K; i++) {
			const double *zr = z + (T - K + i) * U;
			double mx = zr[0], s = 0;
			for (int u = 1; u < U; u++)
				mx = fmax(mx, zr[u]);
			for (int u = 0; u < U; u++)
				s += exp(zr[u] - mx);
			total += mx + log(s) - zr[b->labels[e * K + i]];
		}
	}
	return total / (b->n * K);
}

static struct model *new_model(const struct transformer_config *c,
			       int max_batch)
{
	struct traj_error err;
	struct model *m = transformer_new(c, max_batch, &err);
	if (!m)
		printf("# transformer_new: %s\n", err.msg);
	return m;
}

static double *double_params(const struct model *m)
{
	double *p = malloc(m->nparams * sizeof *p);
	for (size_t i = 0; i < m->nparams; i++)
		p[i] = m->params[i];
	return p;
}

/* Moves every parameter off its initial value (biases start at 0 and LN
 * weights at 1, where some gradient paths vanish). */
static void perturb(struct model *m, unsigned seed)
{
	srand(seed);
	for (size_t i = 0; i < m->nparams; i++)
		m->params[i] += 0.3f * ((float)rand() / (float)RAND_MAX - 0.5f);
}

static double worst_grad_err;
static int n_checked;

/* Central differences of the double reference for every parameter of
 * every view against the float analytic gradient; the error of a view is
 * max |analytic - numeric| / max |numeric|. max_batch 3 < N exercises
 * chunked accumulation. */
static void check_gradients(int layers, int ln, int attn_only,
			    enum activation act, int k, int table)
{
	struct transformer_config c = make_config(layers, ln, attn_only, act, k);
	struct model *m = new_model(&c, 3);
	CHECK(m != NULL);
	if (!m)
		return;
	transformer_set_table(m, table);
	model_init(m, 7 + (uint64_t)layers * 3 + ln + 11 * k);
	perturb(m, (unsigned)(layers * 100 + ln * 10 + attn_only + k * 1000));
	int32_t lab[N * T];
	struct batch b = make_batch(k, lab);
	memset(m->grads, 0, m->nparams * sizeof(float));
	float loss = loss_model(m, &b, 1);
	double *p = double_params(m);
	struct ref r = { m, &c, p };
	double ref = ref_loss(&r, &b);
	CHECK_NEAR(loss, ref, 1e-5 * fabs(ref));
	const double eps = 1e-6;
	for (int vi = 0; vi < m->nviews; vi++) {
		const struct param_view *pv = &m->views[vi];
		double maxdiff = 0, maxnum = 0;
		for (size_t j = pv->offset; j < pv->offset + pv->numel; j++) {
			double saved = p[j];
			p[j] = saved + eps;
			double up = ref_loss(&r, &b);
			p[j] = saved - eps;
			double down = ref_loss(&r, &b);
			p[j] = saved;
			double num = (up - down) / (2 * eps);
			maxdiff = fmax(maxdiff, fabs(num - m->grads[j]));
			maxnum = fmax(maxnum, fabs(num));
		}
		n_checked++;
		/* b_K adds q.b_K to every score of a query: softmax ignores
		 * it, and its true gradient is 0. */
		if (strstr(pv->name, "attn.b_K")) {
			CHECK(maxnum < 1e-8 && maxdiff < 1e-6);
			continue;
		}
		double rel = maxdiff / fmax(maxnum, 1e-12);
		worst_grad_err = fmax(worst_grad_err, rel);
		/* Every other parameter takes part, even with one labelled
		 * position: earlier positions matter through attention. */
		if (!(rel < 1e-3) || !(maxnum > 0))
			printf("#   L%d ln%d attn_only%d %s K%d table%d: %s rel "
			       "err %.3g (max |grad| %.3g)\n", layers, ln,
			       attn_only, activation_name(act), k, table,
			       pv->name, rel, maxnum);
		CHECK(rel < 1e-3);
		CHECK(maxnum > 0);
	}
	free(p);
	model_free(m);
}

static void test_gradients_every_parameter(void)
{
	worst_grad_err = 0;
	n_checked = 0;
	int ks[3] = { 1, 2, T };
	for (int table = 0; table <= 1; table++) {
		for (int layers = 1; layers <= 2; layers++)
			for (int ln = 0; ln <= 1; ln++)
				for (int ao = 0; ao <= 1; ao++)
					for (int ki = 0; ki < 3; ki++)
						check_gradients(layers, ln, ao,
								ACT_RELU,
								ks[ki], table);
		for (int ln = 0; ln <= 1; ln++)
			check_gradients(2, ln, 0, ACT_GELU, 2, table);
	}
	printf("# gradient check: worst relative error %.3g over %d views\n",
	       worst_grad_err, n_checked);
}

/* The logits the model computes at the last K positions equal the
 * reference's, for a chunked batch, with block 0 from tables or not. */
static void test_logits_match_reference(void)
{
	for (int k = 1; k <= T; k += T - 1) {
		struct transformer_config c = make_config(2, 1, 0, ACT_GELU, k);
		struct model *m = new_model(&c, 2);
		CHECK(m != NULL);
		if (!m)
			return;
		transformer_set_table(m, k == 1);
		model_init(m, 3);
		perturb(m, 5);
		int32_t lab[N * T];
		struct batch b = make_batch(k, lab);
		float *z = malloc((size_t)N * k * U * sizeof *z);
		m->ops->logits(m, &b, z);
		double *p = double_params(m);
		struct ref r = { m, &c, p };
		double maxdiff = 0;
		for (int e = 0; e < N; e++) {
			double zr[T * U];
			ref_logits(&r, e, zr);
			for (int i = 0; i < k * U; i++)
				maxdiff = fmax(maxdiff, fabs(zr[(T - k) * U + i] -
							     z[e * k * U + i]));
		}
		CHECK(maxdiff < 1e-5);
		free(z);
		free(p);
		model_free(m);
	}
}

static void test_names_and_shapes(void)
{
	struct transformer_config c = make_config(2, 1, 0, ACT_RELU, 1);
	struct model *m = new_model(&c, 4);
	CHECK(m != NULL);
	if (!m)
		return;
	struct { const char *name; int rank; int64_t shape[3]; } want[] = {
		{ "embed.W_E", 2, { V, D } },
		{ "pos_embed.W_pos", 2, { T, D } },
		{ "blocks.0.ln1.w", 1, { D } },
		{ "blocks.1.attn.W_Q", 3, { H, D, E } },
		{ "blocks.1.attn.W_O", 3, { H, E, D } },
		{ "blocks.0.attn.b_K", 2, { H, E } },
		{ "blocks.0.attn.b_O", 1, { D } },
		{ "blocks.1.mlp.W_in", 2, { D, M } },
		{ "blocks.1.mlp.W_out", 2, { M, D } },
		{ "ln_final.b", 1, { D } },
		{ "unembed.W_U", 2, { D, U } },
		{ "unembed.b_U", 1, { U } },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int vi = model_find_view(m, want[i].name);
		CHECK(vi >= 0);
		if (vi < 0)
			continue;
		CHECK(m->views[vi].rank == want[i].rank);
		for (int d = 0; d < want[i].rank; d++)
			CHECK(m->views[vi].shape[d] == want[i].shape[d]);
	}
	size_t total = 0;
	for (int i = 0; i < m->nviews; i++)
		total += m->views[i].numel;
	CHECK(total == m->nparams);
	CHECK(m->nviews == 2 + 2 * 16 + 2 + 2);
	int hp = model_find_hook(m, "blocks.1.attn.hook_pattern");
	CHECK(hp >= 0 && m->hooks[hp].shape[0] == H && m->hooks[hp].shape[2] == T);
	CHECK(model_find_hook(m, "blocks.0.mlp.hook_post") >= 0);
	CHECK(model_find_hook(m, "hook_embed") >= 0);
	CHECK(model_find_hook(m, "ln_final.hook_normalized") >= 0);
	model_free(m);
	c = make_config(1, 0, 1, ACT_RELU, 1);
	m = new_model(&c, 4);
	CHECK(model_find_view(m, "blocks.0.mlp.W_in") < 0);
	CHECK(model_find_view(m, "blocks.0.ln1.w") < 0);
	CHECK(model_find_hook(m, "blocks.0.mlp.hook_post") < 0);
	CHECK(model_find_hook(m, "blocks.0.hook_resid_post") >= 0);
	model_free(m);
}

struct capture { int hook; int calls; double row_sum_err; int causal_ok;
		 int zero_hook; };

static void capture_fn(void *ctx, int hook, int64_t e0, int n, float *act)
{
	struct capture *c = ctx;
	(void)e0;
	if (hook == c->zero_hook)
		memset(act, 0, (size_t)n * T * D * sizeof *act);
	if (hook != c->hook)
		return;
	c->calls++;
	for (int r = 0; r < n * H * T; r++) {
		const float *row = act + (size_t)r * T;
		int i = r % T;
		double s = 0;
		for (int j = 0; j < T; j++) {
			s += row[j];
			if (j > i && row[j] != 0.0f)
				c->causal_ok = 0;
		}
		c->row_sum_err = fmax(c->row_sum_err, fabs(s - 1));
	}
}

/* A capture hook sees causal patterns at every position without changing
 * the logits; an overwriting hook changes the forward pass: zeroing the
 * residual stream after the last block (no LN) leaves the logits b_U. */
static void test_hooks(void)
{
	struct transformer_config c = make_config(1, 0, 0, ACT_RELU, 2);
	struct model *m = new_model(&c, 2);
	CHECK(m != NULL);
	if (!m)
		return;
	model_init(m, 9);
	perturb(m, 9);
	int32_t lab[N * T];
	struct batch b = make_batch(2, lab);
	float plain[N * 2 * U], hooked[N * 2 * U];
	m->ops->logits(m, &b, plain);
	struct capture cap = { model_find_hook(m, "blocks.0.attn.hook_pattern"),
			       0, 0, 1, -1 };
	model_set_hook(m, capture_fn, &cap);
	m->ops->logits(m, &b, hooked);
	CHECK(cap.calls == 3); /* chunks of 2, 2, 1 */
	CHECK(cap.row_sum_err < 1e-6);
	CHECK(cap.causal_ok);
	double maxdiff = 0;
	for (int i = 0; i < N * 2 * U; i++)
		maxdiff = fmax(maxdiff, fabs(plain[i] - hooked[i]));
	CHECK(maxdiff < 1e-5);
	cap.zero_hook = model_find_hook(m, "blocks.0.hook_resid_post");
	m->ops->logits(m, &b, hooked);
	const float *bu = m->params + m->views[model_find_view(m, "unembed.b_U")].offset;
	for (int i = 0; i < N * 2 * U; i++)
		CHECK(hooked[i] == bu[i % U]);
	/* hooks never fire in a gradient pass */
	cap.calls = 0;
	memset(m->grads, 0, m->nparams * sizeof(float));
	CHECK(isfinite(loss_model(m, &b, 1)));
	CHECK(cap.calls == 0);
	model_set_hook(m, NULL, NULL);
	m->ops->logits(m, &b, hooked);
	CHECK(memcmp(plain, hooked, sizeof plain) == 0);
	model_free(m);
}

static void test_json_round_trip(void)
{
	struct transformer_config c = make_config(2, 1, 0, ACT_GELU, 3), back;
	cJSON *j = transformer_config_to_json(&c);
	struct traj_error err;
	CHECK(transformer_config_from_json(j, &back, &err) == 0);
	CHECK(memcmp(&c, &back, sizeof c) == 0);
	struct model *m = model_from_json(j, 4, &err);
	CHECK(m && strcmp(m->kind, "transformer") == 0 && m->n_outputs == 3);
	model_free(m);
	cJSON_Delete(j);
	const char *bad[][2] = {
		{ "{\"kind\":\"transformer\",\"n_layers\":1,\"d_model\":8,\"n_heads\":2,"
		  "\"d_head\":4,\"d_vocab\":5,\"d_vocab_out\":4,\"n_ctx\":3}",
		  "model.d_mlp: expected an integer in 1..65536" },
		{ "{\"kind\":\"transformer\",\"n_layers\":1,\"d_model\":8,\"n_heads\":2,"
		  "\"d_head\":4,\"d_mlp\":8,\"d_vocab\":5,\"d_vocab_out\":4,\"n_ctx\":3,"
		  "\"n_outputs\":4}", "model.n_outputs: expected an integer in 1..3" },
		{ "{\"kind\":\"transformer\",\"n_layers\":1,\"d_model\":8,\"n_heads\":2,"
		  "\"d_head\":4,\"d_mlp\":8,\"d_vocab\":5,\"d_vocab_out\":4,\"n_ctx\":3,"
		  "\"act_fn\":\"quad\"}", "model.act_fn: expected \"relu\" or \"gelu\"" },
		{ "{\"kind\":\"transformer\",\"n_layers\":1,\"d_model\":8,\"n_heads\":2,"
		  "\"d_head\":4,\"d_mlp\":8,\"d_vocab\":5,\"d_vocab_out\":4,\"n_ctx\":3,"
		  "\"normalization_type\":\"RMS\"}",
		  "model.normalization_type: expected null or \"LN\"" },
		{ "{\"kind\":\"transformers\"}",
		  "model.kind: unknown model 'transformers'" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cJSON *b = cJSON_Parse(bad[i][0]);
		CHECK(b != NULL);
		m = model_from_json(b, 4, &err);
		CHECK(m == NULL);
		if (m)
			model_free(m);
		else if (strcmp(err.msg, bad[i][1]) != 0)
			printf("#   got '%s', want '%s'\n", err.msg, bad[i][1]);
		CHECK(!m && strcmp(err.msg, bad[i][1]) == 0 &&
		      err.status == TRAJ_EDATA);
		cJSON_Delete(b);
	}
}

/* Out-of-range tokens or labels are an error naming the example (never
 * NAN standing for the failure, never a stray read). */
static void test_bad_batch(void)
{
	struct transformer_config c = make_config(1, 0, 0, ACT_RELU, 1);
	struct model *m = new_model(&c, 4);
	int32_t tok[2 * T] = { 0, 1, 2, 3, 0, 1, 2, V }, lab[2] = { 0, 0 };
	struct batch b = { 2, tok, NULL, lab };
	float loss = 12345.0f;
	struct traj_error err;
	CHECK(m->ops->loss(m, &b, 0, &loss, &err) == -1 &&
	      err.status == TRAJ_EDATA && loss == 12345.0f &&
	      strcmp(err.msg, "example 1: token 7 outside 0..6") == 0);
	tok[2 * T - 1] = 1;
	lab[1] = U;
	CHECK(m->ops->loss(m, &b, 1, &loss, &err) == -1 &&
	      err.status == TRAJ_EDATA && loss == 12345.0f &&
	      strcmp(err.msg, "example 1: label 5 outside 0..4") == 0);
	b.features = (const float[]){ 0 };
	b.tokens = NULL;
	CHECK(m->ops->loss(m, &b, 0, &loss, &err) == -1 &&
	      strcmp(err.msg, "batch: no tokens") == 0);
	b.tokens = tok;
	lab[1] = U - 1;
	CHECK(isfinite(loss_model(m, &b, 0)));
	model_free(m);
}

int main(void)
{
	RUN(test_gradients_every_parameter);
	RUN(test_logits_match_reference);
	RUN(test_names_and_shapes);
	RUN(test_hooks);
	RUN(test_json_round_trip);
	RUN(test_bad_batch);
	return harness_done();
}
