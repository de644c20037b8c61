/* The MLP against a double-precision reference written from the definition
 * (one-hot input materialised, naive loops, no BLAS), hand-computed losses,
 * and the model interface: JSON config, init, load, evaluate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "eval_check.h"
#include "model/mlp.h"
#include "model/model.h"

enum { T = 2, V = 5, F = 3, H = 6, C = 4, N = 9 };

/* Example inputs for N examples: tokens (N, T), features (N, F), labels. */
static const int32_t tokens[N * T] = { 0, 1, 4, 4, 2, 0, 1, 1, 3, 2,
				       0, 0, 4, 1, 2, 3, 1, 4 };
static const float features[N * F] = {
	0.5f, -1.0f, 2.0f,  1.5f, 0.25f, -0.5f, -2.0f, 1.0f, 0.0f,
	0.1f, 0.2f, 0.3f,   -0.7f, -0.4f, 1.2f, 2.2f, -1.1f, 0.9f,
	0.0f, 0.0f, 1.0f,   1.0f, 1.0f, -1.0f, -0.3f, 0.8f, -1.6f,
};
static const int32_t labels[N] = { 0, 3, 1, 2, 2, 0, 1, 3, 0 };

static struct batch make_batch(int vocab)
{
	struct batch b = { N, NULL, NULL, labels };
	if (vocab)
		b.tokens = tokens;
	else
		b.features = features;
	return b;
}

static struct mlp_config make_config(int vocab, int depth, enum activation act,
				     int bias)
{
	struct mlp_config c = { vocab ? T : F, vocab ? V : 0, H, depth, C,
				act, bias, {0} };
	if (depth == 3) { /* per-layer widths, narrower and wider than H */
		c.widths[0] = 3;
		c.widths[1] = H + 1;
		c.widths[2] = 2;
	}
	return c;
}

static double ref_act(enum activation act, double x)
{
	switch (act) {
	case ACT_RELU: return x > 0 ? x : 0;
	case ACT_GELU: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
	case ACT_QUAD: return x * x;
	default: return NAN;
	}
}

/* Mean cross-entropy of the MLP with parameters p (m's layout) in double. */
static double ref_loss(const struct model *m, const struct mlp_config *c,
		       const double *p, const struct batch *b)
{
	double total = 0;
	for (int e = 0; e < b->n; e++) {
		double x[64], y[64]; // x (d_in), y (d_out)
		int din = c->vocab ? c->n_inputs * c->vocab : c->n_inputs;
		for (int i = 0; i < din; i++)
			x[i] = c->vocab ? 0.0 : b->features[e * din + i];
		for (int t = 0; c->vocab && t < c->n_inputs; t++)
			x[t * c->vocab + b->tokens[e * c->n_inputs + t]] = 1.0;
		for (int l = 0; l <= c->depth; l++) {
			char name[32];
			snprintf(name, sizeof name, "layers.%d.W", l);
			const struct param_view *w =
				&m->views[model_find_view(m, name)];
			snprintf(name, sizeof name, "layers.%d.b", l);
			int bi = model_find_view(m, name);
			int dout = (int)w->shape[1];
			for (int j = 0; j < dout; j++) {
				y[j] = bi >= 0 ? p[m->views[bi].offset + j] : 0;
				for (int i = 0; i < din; i++)
					y[j] += x[i] * p[w->offset + (size_t)i * dout + j];
			}
			for (int j = 0; j < dout; j++)
				x[j] = l < c->depth ? ref_act(c->act, y[j]) : y[j];
			din = dout;
		}
		double mx = x[0], s = 0;
		for (int j = 1; j < c->n_classes; j++)
			mx = fmax(mx, x[j]);
		for (int j = 0; j < c->n_classes; j++)
			s += exp(x[j] - mx);
		total += mx + log(s) - x[b->labels[e]];
	}
	return total / b->n;
}

static struct model *new_model(const struct mlp_config *c, int max_batch)
{
	struct traj_error err;
	struct model *m = mlp_new(c, max_batch, &err);
	if (!m)
		printf("# mlp_new: %s\n", err.msg);
	return m;
}

static double worst_grad_err;

/* Central differences of the double reference for every parameter of
 * every view, against the float analytic gradient. The error of a view is
 * max |analytic - numeric| / max |numeric|, so tiny gradient entries do
 * not inflate it. max_batch 4 < N also exercises chunked accumulation. */
static void check_gradients(int vocab, int depth, enum activation act,
			    int bias)
{
	struct mlp_config c = make_config(vocab, depth, act, bias);
	struct model *m = new_model(&c, 4);
	CHECK(m != NULL);
	if (!m)
		return;
	model_init(m, 42 + (uint64_t)act * 8 + (uint64_t)depth * 2 + bias);
	struct batch b = make_batch(vocab);
	memset(m->grads, 0, m->nparams * sizeof(float));
	float loss = loss_model(m, &b, 1);
	double *p = malloc(m->nparams * sizeof *p);
	for (size_t i = 0; i < m->nparams; i++)
		p[i] = m->params[i];
	double ref = ref_loss(m, &c, p, &b);
	CHECK_NEAR(loss, ref, 1e-5 * fabs(ref));
	const double eps = 1e-6;
	for (int v = 0; v < m->nviews; v++) {
		const struct param_view *pv = &m->views[v];
		double maxdiff = 0, maxnum = 0;
		for (size_t k = pv->offset; k < pv->offset + pv->numel; k++) {
			double saved = p[k];
			p[k] = saved + eps;
			double up = ref_loss(m, &c, p, &b);
			p[k] = saved - eps;
			double down = ref_loss(m, &c, p, &b);
			p[k] = saved;
			double num = (up - down) / (2 * eps);
			maxdiff = fmax(maxdiff, fabs(num - m->grads[k]));
			maxnum = fmax(maxnum, fabs(num));
		}
		double rel = maxdiff / fmax(maxnum, 1e-12);
		worst_grad_err = fmax(worst_grad_err, rel);
		if (!(rel < 1e-3) || !(maxnum > 0))
			printf("#   %s %s depth %d bias %d: %s rel err %.3g "
			       "(max |grad| %.3g)\n", vocab ? "tokens" : "dense",
			       activation_name(act), depth, bias, pv->name,
			       rel, maxnum);
		CHECK(rel < 1e-3);
		CHECK(maxnum > 0); // every view takes part in the loss
	}
	free(p);
	model_free(m);
}

static void test_gradients_every_view(void)
{
	worst_grad_err = 0;
	for (int act = 0; act < NACTIVATIONS; act++)
		for (int vocab = 0; vocab <= 1; vocab++)
			for (int depth = 1; depth <= 3; depth++)
				for (int bias = 0; bias <= 1; bias++)
					check_gradients(vocab, depth,
							(enum activation)act,
							bias);
	printf("# gradient check: worst relative error %.3g over 36 models\n",
	       worst_grad_err);
}

static void set_view(struct model *m, const char *name, const float *vals)
{
	int i = model_find_view(m, name);
	CHECK(i >= 0);
	if (i >= 0)
		memcpy(m->params + m->views[i].offset, vals,
		       m->views[i].numel * sizeof(float));
}

/* One input x = 2, one hidden unit: h = 0.5 * 2 + 0.5 = 1.5, relu keeps it;
 * logits = h * [1, -1] + [0, 0.5] = [1.5, -1.0], a margin of 2.5. So
 * CE(label 0) = log(1 + e^-2.5), CE(label 1) = 2.5 + log(1 + e^-2.5), and
 * the mean is 1.25 + log1p(e^-2.5) = 1.328889.... The output bias
 * gradient is the mean of softmax - onehot: [s - 0.5, 0.5 - s] with
 * s = sigmoid(2.5). With quad, h^2 = 2.25 gives logits [2.25, -1.75],
 * margin 4, mean loss 2 + log1p(e^-4). */
static void test_hand_computed_dense(void)
{
	const float x[2] = { 2.0f, 2.0f };
	const int32_t y[2] = { 0, 1 };
	struct batch b = { 2, NULL, x, y };
	for (int quad = 0; quad <= 1; quad++) {
		struct mlp_config c = { 1, 0, 1, 1, 2,
					quad ? ACT_QUAD : ACT_RELU, 1, {0} };
		struct model *m = new_model(&c, 8);
		CHECK(m != NULL);
		if (!m)
			return;
		set_view(m, "layers.0.W", (const float[]){ 0.5f });
		set_view(m, "layers.0.b", (const float[]){ 0.5f });
		set_view(m, "layers.1.W", (const float[]){ 1.0f, -1.0f });
		set_view(m, "layers.1.b", (const float[]){ 0.0f, 0.5f });
		memset(m->grads, 0, m->nparams * sizeof(float));
		double margin = quad ? 4.0 : 2.5;
		CHECK_NEAR(loss_model(m, &b, 1),
			   margin / 2 + log1p(exp(-margin)), 1e-6);
		double s = 1 / (1 + exp(-margin));
		const float *gb = m->grads + m->views[3].offset;
		CHECK_NEAR(gb[0], s - 0.5, 1e-6);
		CHECK_NEAR(gb[1], 0.5 - s, 1e-6);
		model_free(m);
	}
}

/* Token input: tokens (2, 1) select rows 2 and V + 1 = 4 of layers.0.W,
 * h = 0.3 + 2.0 = 2.3; logits [2.3, 0]; label 1 costs log(1 + e^2.3). */
static void test_hand_computed_tokens(void)
{
	struct mlp_config c = { 2, 3, 1, 1, 2, ACT_RELU, 0, {0} };
	struct model *m = new_model(&c, 8);
	CHECK(m != NULL);
	if (!m)
		return;
	set_view(m, "layers.0.W",
		 (const float[]){ 0.1f, 0.2f, 0.3f, 1.0f, 2.0f, 3.0f });
	set_view(m, "layers.1.W", (const float[]){ 1.0f, 0.0f });
	const int32_t tok[2] = { 2, 1 }, y[1] = { 1 };
	struct batch b = { 1, tok, NULL, y };
	CHECK_NEAR(loss_model(m, &b, 0), log1p(exp(2.3)), 1e-6);
	model_free(m);
}

/* Refuses a batch it cannot compute on: ops->loss returns -1 with
 * TRAJ_EDATA naming the example and value, *loss and the gradients left
 * alone (never a NAN standing for the failure, never a stray read). */
static int refused(struct model *m, const struct batch *b, const char *want)
{
	float loss = 12345.0f;
	struct traj_error err = { 0 };
	memset(m->grads, 0, m->nparams * sizeof *m->grads);
	int rc = m->ops->loss(m, b, 1, &loss, &err);
	int untouched = loss == 12345.0f;
	for (size_t i = 0; i < m->nparams; i++)
		untouched &= m->grads[i] == 0.0f;
	if (rc == 0 || strcmp(err.msg, want) != 0)
		printf("#   rc %d, got '%s', want '%s'\n", rc, err.msg, want);
	return rc == -1 && err.status == TRAJ_EDATA &&
	       strcmp(err.msg, want) == 0 && untouched;
}

static void test_invalid_input_is_an_error(void)
{
	struct mlp_config c = make_config(1, 1, ACT_RELU, 1);
	struct model *m = new_model(&c, 4);
	const int32_t bad_tok[4] = { 0, 1, 0, V }, ok_tok[4] = { 0, 1, 2, 3 };
	const int32_t y[2] = { 0, 1 }, bad_y[2] = { 0, C };
	struct batch b = { 2, bad_tok, NULL, y };
	CHECK(refused(m, &b, "example 1: token 5 outside 0..4"));
	b.tokens = ok_tok;
	b.labels = bad_y;
	CHECK(refused(m, &b, "example 1: label 4 outside 0..3"));
	b.labels = NULL;
	CHECK(refused(m, &b, "batch: no labels"));
	b.labels = y;
	b.n = 0;
	CHECK(refused(m, &b, "batch: no examples"));
	b.n = -1;
	CHECK(refused(m, &b, "batch: a negative number of examples (-1)"));
	b.n = 2;
	b.tokens = NULL;
	b.features = features; // a token model given dense input
	CHECK(refused(m, &b, "batch: no tokens"));
	/* the same batch, valid, is computed */
	b.tokens = ok_tok;
	b.features = NULL;
	float loss = NAN;
	struct traj_error err;
	CHECK(m->ops->loss(m, &b, 0, &loss, &err) == 0 && isfinite(loss));
	model_free(m);
}

static void test_init_deterministic(void)
{
	struct mlp_config c = make_config(1, 2, ACT_GELU, 1);
	struct model *a = new_model(&c, 4), *b = new_model(&c, 4);
	model_init(a, 7);
	model_init(b, 7);
	size_t bytes = a->nparams * sizeof(float);
	CHECK(memcmp(a->params, b->params, bytes) == 0);
	model_init(b, 8);
	CHECK(memcmp(a->params, b->params, bytes) != 0);
	/* nn.Linear's bound 1/sqrt(fan_in), for W and b alike. */
	for (int v = 0; v < a->nviews; v++) {
		const struct param_view *pv = &a->views[v];
		double fan_in = (double)a->views[v & ~1].shape[0];
		double bound = 1 / sqrt(fan_in), mx = 0;
		for (size_t k = 0; k < pv->numel; k++)
			mx = fmax(mx, fabs(a->params[pv->offset + k]));
		CHECK(mx <= bound);
		CHECK(mx > 0.5 * bound);
	}
	model_free(a);
	model_free(b);
}

static void test_views_layout(void)
{
	struct mlp_config c = make_config(1, 2, ACT_RELU, 1);
	struct model *m = new_model(&c, 4);
	const char *names[] = { "layers.0.W", "layers.0.b", "layers.1.W",
				"layers.1.b", "layers.2.W", "layers.2.b" };
	CHECK(m->nviews == 6);
	size_t off = 0;
	for (int v = 0; v < m->nviews; v++) {
		CHECK(strcmp(m->views[v].name, names[v]) == 0);
		CHECK(m->views[v].offset == off);
		off += m->views[v].numel;
	}
	CHECK(off == m->nparams);
	CHECK(m->views[0].shape[0] == T * V && m->views[0].shape[1] == H);
	CHECK(m->views[4].shape[0] == H && m->views[4].shape[1] == C);
	struct traj_tensor t;
	model_view_tensor(m, 2, &t);
	CHECK(t.borrowed && t.dtype == TRAJ_F32 && t.rank == 2);
	CHECK(t.data == m->params + m->views[2].offset);
	CHECK(strcmp(t.name, "layers.1.W") == 0);
	model_free(m);
}

/* Returns the error message from model_from_json on `text`, "" if it
 * built a model. */
static const char *json_error(const char *text, enum traj_status *status)
{
	static struct traj_error err;
	memset(&err, 0, sizeof err);
	cJSON *j = cJSON_Parse(text);
	struct model *m = model_from_json(j, 16, &err);
	cJSON_Delete(j);
	*status = err.status;
	if (m) {
		model_free(m);
		return "";
	}
	return err.msg;
}

static void test_json_errors(void)
{
	static const struct { const char *json, *msg; } cases[] = {
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"vocab\":97,\"width\":0,"
		  "\"depth\":1,\"classes\":97}",
		  "model.width: expected an integer in 1..65536" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"vocab\":97,\"width\":1.5,"
		  "\"depth\":1,\"classes\":97}", "model.width: expected" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"vocab\":97,\"width\":\"8\","
		  "\"depth\":1,\"classes\":97}", "model.width: expected" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"vocab\":97,\"Width\":8,"
		  "\"depth\":1,\"classes\":97}", "model.width: expected" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"width\":[8,0],"
		  "\"depth\":2,\"classes\":9}",
		  "model.width[1]: expected an integer in 1..65536" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"width\":[8,\"4\"],"
		  "\"depth\":2,\"classes\":9}", "model.width[1]: expected" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"width\":[8],"
		  "\"depth\":2,\"classes\":9}", "model.width: 1 widths for depth 2" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"width\":[],"
		  "\"depth\":1,\"classes\":9}", "model.width: 0 widths for depth 1" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"vocab\":97,\"width\":8,"
		  "\"depth\":65,\"classes\":97}",
		  "model.depth: expected an integer in 1..64" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"vocab\":-1,\"width\":8,"
		  "\"depth\":1,\"classes\":97}", "model.vocab: expected" },
		{ "{\"kind\":\"mlp\",\"inputs\":0,\"width\":8,"
		  "\"depth\":1,\"classes\":97}", "model.inputs: expected" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"width\":8,"
		  "\"depth\":1,\"classes\":1}", "model.classes: expected" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"width\":8,\"depth\":1,"
		  "\"classes\":9,\"activation\":\"tanh\"}", "model.activation" },
		{ "{\"kind\":\"mlp\",\"inputs\":2,\"width\":8,\"depth\":1,"
		  "\"classes\":9,\"bias\":1}", "model.bias: expected true" },
		{ "{\"kind\":\"xyz\"}", "model.kind: unknown model 'xyz'" },
		{ "{\"kind\":\"MLP\"}", "model.kind: unknown model 'MLP'" },
		{ "{\"inputs\":2}", "model.kind: expected a string" },
		{ "[1]", "model: expected a JSON object" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum traj_status st;
		const char *msg = json_error(cases[i].json, &st);
		if (!strstr(msg, cases[i].msg))
			printf("#   %s: got \"%s\", want \"%s\"\n",
			       cases[i].json, msg, cases[i].msg);
		CHECK(strstr(msg, cases[i].msg) != NULL);
		CHECK(st == TRAJ_EDATA);
	}
}

static void test_json_round_trip(void)
{
	struct mlp_config c = { 2, 97, 512, 1, 97, ACT_GELU, 0, {0} };
	cJSON *j = mlp_config_to_json(&c);
	struct mlp_config back;
	struct traj_error err;
	CHECK(mlp_config_from_json(j, &back, &err) == 0);
	CHECK(memcmp(&c, &back, sizeof c) == 0);
	struct model *m = model_from_json(j, 16, &err);
	CHECK(m && m->nparams == 2 * 97 * 512 + 512 * 97);
	CHECK(m && strcmp(m->kind, "mlp") == 0 && m->vocab == 97);
	model_free(m);
	cJSON_Delete(j);
	/* Omitted optional fields take their defaults. */
	j = cJSON_Parse("{\"kind\":\"mlp\",\"inputs\":3,\"width\":4,"
			"\"depth\":2,\"classes\":5}");
	CHECK(mlp_config_from_json(j, &back, &err) == 0);
	CHECK(back.vocab == 0 && back.act == ACT_RELU && back.bias == 1);
	cJSON_Delete(j);
	/* Per-layer widths: LeNet-300-100 */
	struct mlp_config le = { 784, 0, 300, 2, 10, ACT_RELU, 1, {300, 100} };
	j = mlp_config_to_json(&le);
	char *text = cJSON_PrintUnformatted(j);
	CHECK(text && strstr(text, "\"width\":[300,100],\"depth\":2") != NULL);
	free(text);
	CHECK(mlp_config_from_json(j, &back, &err) == 0);
	CHECK(memcmp(&le, &back, sizeof le) == 0);
	m = model_from_json(j, 16, &err);
	CHECK(m && m->nparams == 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10);
	CHECK(m && m->views[2].shape[0] == 300 && m->views[2].shape[1] == 100);
	CHECK(m && m->nhooks == 2 && m->hooks[1].numel == 100);
	model_free(m);
	cJSON_Delete(j);
	/* One width for every layer is written as one integer, as before */
	le.widths[1] = 300;
	j = mlp_config_to_json(&le);
	text = cJSON_PrintUnformatted(j);
	CHECK(text && strstr(text, "\"width\":300,\"depth\":2") != NULL);
	free(text);
	cJSON_Delete(j);
}

static void test_load(void)
{
	struct mlp_config c = make_config(1, 1, ACT_RELU, 1);
	struct model *src = new_model(&c, 4), *dst = new_model(&c, 4);
	model_init(src, 3);
	struct traj_tensor ts[5];
	for (int i = 0; i < 4; i++)
		model_view_tensor(src, i, &ts[i]);
	float extra[3] = { 1, 2, 3 };
	ts[4] = ts[0];
	strcpy(ts[4].name, "optim/m/layers.0.W"); // ignored
	ts[4].rank = 1;
	ts[4].shape[0] = 3;
	ts[4].data = extra;
	struct traj_error err;
	CHECK(model_load(dst, ts, 5, &err) == 0);
	CHECK(memcmp(src->params, dst->params,
		     src->nparams * sizeof(float)) == 0);

	memset(dst->params, 0, dst->nparams * sizeof(float));
	ts[2].shape[1] = C + 1;
	CHECK(model_load(dst, ts, 5, &err) < 0);
	CHECK(err.status == TRAJ_EDATA);
	CHECK(strstr(err.msg, "'layers.1.W'") != NULL);
	CHECK(strstr(err.msg, "shape [6, 5], expected [6, 4]") != NULL);
	CHECK(dst->params[0] == 0.0f); // nothing copied on failure
	ts[2].shape[1] = C;
	ts[1].dtype = TRAJ_F64;
	CHECK(model_load(dst, ts, 5, &err) < 0);
	CHECK(strstr(err.msg, "'layers.0.b'") && strstr(err.msg, "f64"));
	ts[1].dtype = TRAJ_F32;
	CHECK(model_load(dst, ts, 2, &err) < 0);
	CHECK(strstr(err.msg, "'layers.1.W': missing") != NULL);
	model_free(src);
	model_free(dst);
}

/* The same parameters evaluated 4 examples at a time and all at once. */
static void test_evaluate_chunking(void)
{
	for (int vocab = 0; vocab <= 1; vocab++) {
		struct mlp_config c = make_config(vocab, 2, ACT_GELU, 1);
		struct model *small = new_model(&c, 4), *big = new_model(&c, N);
		model_init(small, 11);
		memcpy(big->params, small->params,
		       small->nparams * sizeof(float));
		struct batch b = make_batch(vocab);
		struct eval_result rs = eval_model(small, &b);
		struct eval_result rb = eval_model(big, &b);
		CHECK(rs.n == N && rb.n == N);
		CHECK_NEAR(rs.loss, rb.loss, 1e-6);
		CHECK(rs.acc == rb.acc);
		CHECK_NEAR(rb.loss, loss_model(big, &b, 0), 1e-6);
		/* Chunked gradients equal the one-batch gradients. */
		memset(small->grads, 0, small->nparams * sizeof(float));
		memset(big->grads, 0, big->nparams * sizeof(float));
		loss_model(small, &b, 1);
		loss_model(big, &b, 1);
		double maxdiff = 0;
		for (size_t i = 0; i < big->nparams; i++)
			maxdiff = fmax(maxdiff,
				       fabs(small->grads[i] - big->grads[i]));
		CHECK(maxdiff < 1e-6);
		model_free(small);
		model_free(big);
	}
}

/* All-zero parameters make every logit equal: the loss is log C and the
 * argmax tie goes to class 0, so accuracy is the share of label 0. */
static void test_evaluate_ties(void)
{
	struct mlp_config c = make_config(1, 1, ACT_RELU, 1);
	struct model *m = new_model(&c, 4);
	struct batch b = make_batch(1);
	struct eval_result r = eval_model(m, &b);
	CHECK_NEAR(r.loss, log(C), 1e-6);
	CHECK_NEAR(r.acc, 3.0 / N, 1e-12);
	model_free(m);
}

/* Non-finite logits have no argmax: accuracy is NAN, never the share of
 * class 0 that ties would give (all-NaN logits used to score 3/N here). */
static void test_evaluate_nonfinite(void)
{
	struct mlp_config c = make_config(1, 1, ACT_RELU, 1);
	struct model *m = new_model(&c, 4);
	struct batch b = make_batch(1);
	for (size_t i = 0; i < m->nparams; i++)
		m->params[i] = NAN;
	struct eval_result r = eval_model(m, &b);
	CHECK(isnan(r.loss));
	CHECK(isnan(r.acc));
	model_free(m);
}

/* Invalid input is an error with a message, never a NAN result; no
 * examples is a result, NAN: the mean of nothing. */
static void test_evaluate_errors(void)
{
	struct mlp_config c = make_config(1, 1, ACT_RELU, 1);
	struct model *m = new_model(&c, 4);
	struct batch b = make_batch(1);
	struct eval_result r;
	struct traj_error err = { 0 };
	int32_t bad[N];
	memcpy(bad, labels, sizeof bad);
	bad[6] = C; /* example 6 (chunk 2 of max_batch 4) */
	b.labels = bad;
	CHECK(model_evaluate(m, &b, &r, &err) == -1);
	CHECK(err.status == TRAJ_EDATA);
	CHECK(strcmp(err.msg, "example 6: label 4 outside 0..3") == 0);
	double loss[2], acc[2];
	uint8_t group[N] = { 0 };
	err.msg[0] = '\0';
	CHECK(model_evaluate_groups(m, &b, group, 2, loss, acc, &err) == -1);
	CHECK(strstr(err.msg, "label 4") != NULL);
	b.labels = labels;
	int32_t bad_tok[N * T];
	memcpy(bad_tok, b.tokens, sizeof bad_tok);
	bad_tok[T * 5 + 1] = V; /* example 5, in the second chunk */
	b.tokens = bad_tok;
	err.msg[0] = '\0';
	CHECK(model_evaluate(m, &b, &r, &err) == -1);
	CHECK(err.status == TRAJ_EDATA);
	CHECK(strcmp(err.msg, "example 5: token 5 outside 0..4") == 0);
	CHECK(model_evaluate_groups(m, &b, group, 2, loss, acc, &err) == -1);
	b.labels = NULL;
	CHECK(model_evaluate(m, &b, &r, &err) == -1);
	CHECK(err.status == TRAJ_EDATA);
	CHECK(strcmp(err.msg, "evaluation: examples without labels") == 0);
	b.n = 0;
	CHECK(model_evaluate(m, &b, &r, &err) == 0);
	CHECK(isnan(r.loss) && isnan(r.acc) && r.n == 0);
	model_free(m);
}

int main(void)
{
	RUN(test_gradients_every_view);
	RUN(test_hand_computed_dense);
	RUN(test_hand_computed_tokens);
	RUN(test_invalid_input_is_an_error);
	RUN(test_init_deterministic);
	RUN(test_views_layout);
	RUN(test_json_errors);
	RUN(test_json_round_trip);
	RUN(test_load);
	RUN(test_evaluate_chunking);
	RUN(test_evaluate_ties);
	RUN(test_evaluate_nonfinite);
	RUN(test_evaluate_errors);
	return harness_done();
}
