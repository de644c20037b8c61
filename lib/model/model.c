/* Model-independent parts of the model interface: construction from JSON,
 * initialisation, loading checkpoints, evaluation. */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/mlp.h"
#include "model/transformer.h"
#include "common/rng.h"
#include "model/xent.h"

int model_json_int(const cJSON *obj, const char *key, int lo, int hi, int def,
		   int *out, struct traj_error *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!it && def >= lo) {
		*out = def;
		return 0;
	}
	/* valuedouble holds the exact value; valueint saturates silently. */
	if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
	    it->valuedouble < lo || it->valuedouble > hi)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "model.%s: expected an integer in %d..%d",
				 key, lo, hi);
	*out = (int)it->valuedouble;
	return 0;
}

struct model *model_from_json(const cJSON *config, int max_batch,
			      struct traj_error *err)
{
	if (!cJSON_IsObject(config)) {
		traj_fail(err, TRAJ_EDATA, -1, "model: expected a JSON object");
		return NULL;
	}
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(config, "kind");
	if (!cJSON_IsString(kind)) {
		traj_fail(err, TRAJ_EDATA, -1, "model.kind: expected a string");
		return NULL;
	}
	if (strcmp(kind->valuestring, "mlp") == 0) {
		struct mlp_config cfg;
		if (mlp_config_from_json(config, &cfg, err) < 0)
			return NULL;
		return mlp_new(&cfg, max_batch, err);
	}
	if (strcmp(kind->valuestring, "transformer") == 0) {
		struct transformer_config cfg;
		if (transformer_config_from_json(config, &cfg, err) < 0)
			return NULL;
		return transformer_new(&cfg, max_batch, err);
	}
	traj_fail(err, TRAJ_EDATA, -1, "model.kind: unknown model '%.100s'",
		  kind->valuestring);
	return NULL;
}

void model_free(struct model *m)
{
	if (m)
		m->ops->free(m);
}

/* PyTorch's nn.Linear default: weights and biases uniform in
 * [-1/sqrt(fan_in), 1/sqrt(fan_in)], fan_in = d_in = shape[0] of the
 * layer's W. A bias view follows its weight, so it takes the fan-in of the
 * last weight seen. Views are filled in order from one generator. */
void model_init(struct model *m, uint64_t seed)
{
	if (m->ops->init) {
		m->ops->init(m, seed);
		return;
	}
	struct rng r;
	rng_seed(&r, seed);
	float bound = 1.0f;
	for (int i = 0; i < m->nviews; i++) {
		const struct param_view *v = &m->views[i];
		if (v->rank >= 2)
			bound = 1.0f / sqrtf((float)v->shape[0]);
		float *p = m->params + v->offset;
		for (size_t k = 0; k < v->numel; k++)
			p[k] = (2.0f * rng_uniform(&r) - 1.0f) * bound;
	}
}

void model_view_tensor(const struct model *m, int i, struct traj_tensor *out)
{
	const struct param_view *v = &m->views[i];
	memset(out, 0, sizeof *out);
	memcpy(out->name, v->name, sizeof out->name);
	out->dtype = TRAJ_F32;
	out->rank = v->rank;
	memcpy(out->shape, v->shape, sizeof out->shape);
	out->data = m->params + v->offset;
	out->borrowed = 1;
}

int model_find_view(const struct model *m, const char *name)
{
	for (int i = 0; i < m->nviews; i++)
		if (strcmp(m->views[i].name, name) == 0)
			return i;
	return -1;
}

static void format_shape(char *buf, size_t size, int rank,
			 const int64_t *shape)
{
	size_t len = (size_t)snprintf(buf, size, "[");
	for (int k = 0; k < rank && len < size; k++)
		len += (size_t)snprintf(buf + len, size - len, "%s%lld",
					k ? ", " : "", (long long)shape[k]);
	if (len < size)
		snprintf(buf + len, size - len, "]");
}

static int shape_equal(const struct param_view *v, const struct traj_tensor *t)
{
	if (t->rank != v->rank)
		return 0;
	for (int k = 0; k < v->rank; k++)
		if (t->shape[k] != v->shape[k])
			return 0;
	return 1;
}

static const struct traj_tensor *find_tensor(const struct traj_tensor *ts,
					     int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(ts[i].name, name) == 0)
			return &ts[i];
	return NULL;
}

/* Checks every view before copying any, so a failed load leaves the
 * parameters untouched. */
int model_load(struct model *m, const struct traj_tensor *tensors, int n,
	       struct traj_error *err)
{
	for (int i = 0; i < m->nviews; i++) {
		const struct param_view *v = &m->views[i];
		const struct traj_tensor *t = find_tensor(tensors, n, v->name);
		if (!t)
			return traj_fail(err, TRAJ_EDATA, -1,
					 "tensor '%s': missing from checkpoint",
					 v->name);
		if (t->dtype != TRAJ_F32)
			return traj_fail(err, TRAJ_EDATA, -1,
					 "tensor '%s': dtype %s, expected f32",
					 v->name, dtype_name(t->dtype) ?
					 dtype_name(t->dtype) : "?");
		if (!shape_equal(v, t)) {
			char want[128], got[128];
			format_shape(want, sizeof want, v->rank, v->shape);
			format_shape(got, sizeof got, t->rank, t->shape);
			return traj_fail(err, TRAJ_EDATA, -1,
					 "tensor '%s': shape %s, expected %s",
					 v->name, got, want);
		}
	}
	for (int i = 0; i < m->nviews; i++) {
		const struct param_view *v = &m->views[i];
		const struct traj_tensor *t = find_tensor(tensors, n, v->name);
		memcpy(m->params + v->offset, t->data, v->numel * sizeof(float));
	}
	return 0;
}

void model_set_hook(struct model *m, model_hook_fn fn, void *ctx)
{
	m->hook_fn = fn;
	m->hook_ctx = fn ? ctx : NULL;
}

void model_set_grad_hook(struct model *m, model_grad_fn fn, void *ctx)
{
	m->grad_fn = fn;
	m->grad_ctx = fn ? ctx : NULL;
}

int model_find_hook(const struct model *m, const char *name)
{
	for (int i = 0; i < m->nhooks; i++)
		if (strcmp(m->hooks[i].name, name) == 0)
			return i;
	return -1;
}

int model_batch_check(const struct model *m, const struct batch *b,
		      int need_labels, struct traj_error *err)
{
	if (b->n < 0)
		return traj_fail(err, TRAJ_EDATA, -1, "batch: a negative number "
				 "of examples (%d)", b->n);
	if (m->vocab ? !b->tokens : !b->features)
		return traj_fail(err, TRAJ_EDATA, -1, "batch: no %s", m->vocab ?
				 "tokens" : "features");
	if (need_labels && !b->labels)
		return traj_fail(err, TRAJ_EDATA, -1, "batch: no labels");
	size_t T = (size_t)m->n_inputs, K = (size_t)m->n_outputs;
	for (size_t i = 0; m->vocab && i < (size_t)b->n * T; i++)
		if (b->tokens[i] < 0 || b->tokens[i] >= m->vocab)
			return traj_fail(err, TRAJ_EDATA, -1, "example %zu: token "
					 "%d outside 0..%d", i / T,
					 (int)b->tokens[i], m->vocab - 1);
	for (size_t i = 0; need_labels && i < (size_t)b->n * K; i++)
		if (b->labels[i] < 0 || b->labels[i] >= m->n_classes)
			return traj_fail(err, TRAJ_EDATA, -1, "example %zu: label "
					 "%d outside 0..%d", i / K,
					 (int)b->labels[i], m->n_classes - 1);
	return 0;
}

/* Running sums of model_evaluate_detail; pos_* are (K). With `group`
 * (the chunk's (n, K) group of each label) grp holds loss, correct and
 * count of each group. */
struct eval_sums {
	double loss;
	double correct, seq_correct;  /* NAN once a row's logits are not finite */
	double *pos_loss, *pos_correct;
	const uint8_t *group;
	double (*grp)[3];
};

static int logits_finite(const float *z, int c)
{
	for (int i = 0; i < c; i++)
		if (!isfinite(z[i]))
			return 0;
	return 1;
}

/* Adds one chunk's logits z (n, K, C), whose first example is example
 * e0 of the batch; TRAJ_EDATA on a label out of range. */
static int eval_chunk(const struct model *m, const float *z,
		      const int32_t *labels, int64_t e0, int n,
		      struct eval_sums *s, struct traj_error *err)
{
	int C = m->n_classes, K = m->n_outputs;
	for (int r = 0; r < n; r++) {
		double all_right = 1;
		for (int k = 0; k < K; k++) {
			const float *zk = z + ((size_t)r * K + k) * C;
			int y = labels[(size_t)r * K + k];
			if (y < 0 || y >= C)
				return traj_fail(err, TRAJ_EDATA, -1, "example "
						 "%lld: label %d outside 0..%d",
						 (long long)(e0 + r), y, C - 1);
			double l = xent_row(zk, C, y);
			/* No argmax of non-finite logits: ties would go to
			 * class 0 and all-NaN logits score 1/C. */
			double right = logits_finite(zk, C) ?
				       xent_argmax(zk, C) == y : NAN;
			s->loss += l;
			s->correct += right;
			all_right *= right;
			if (s->pos_loss) {
				s->pos_loss[k] += l;
				s->pos_correct[k] += right;
			}
			if (s->group) {
				double *g = s->grp[s->group[(size_t)r * K + k]];
				g[0] += l;
				g[1] += right;
				g[2] += 1;
			}
		}
		s->seq_correct += all_right;
	}
	return 0;
}

/* Sums over every chunk of `all`, grouped by `group` ((n, K) or NULL).
 * Errors: model_evaluate's. */
static int eval_all(struct model *m, const struct batch *all,
		    const uint8_t *group, struct eval_sums *s,
		    struct traj_error *err)
{
	int C = m->n_classes, K = m->n_outputs;
	if (all->n < 0 || (all->n > 0 && !all->labels))
		return traj_fail(err, TRAJ_EDATA, -1, "evaluation: %s",
				 all->n < 0 ? "a negative number of examples" :
				 "examples without labels");
	/* the logits of a refused chunk are NAN: say why instead of
	 * scoring them (labels are checked as each chunk is scored) */
	if (all->n > 0 && model_batch_check(m, all, 0, err) < 0)
		return -1;
	float *z = malloc((size_t)m->max_batch * K * C * sizeof *z); // (B, K, C)
	if (!z)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = 0;
	for (int e0 = 0; rc == 0 && e0 < all->n; e0 += m->max_batch) {
		int n = all->n - e0 < m->max_batch ? all->n - e0 : m->max_batch;
		struct batch chunk = *all;
		chunk.n = n;
		chunk.labels = all->labels + (size_t)e0 * K;
		if (all->tokens)
			chunk.tokens = all->tokens + (size_t)e0 * m->n_inputs;
		if (all->features)
			chunk.features = all->features + (size_t)e0 * m->n_inputs;
		m->hook_base = e0;
		m->ops->logits(m, &chunk, z);
		s->group = group ? group + (size_t)e0 * K : NULL;
		rc = eval_chunk(m, z, chunk.labels, e0, n, s, err);
	}
	m->hook_base = 0;
	free(z);
	return rc;
}

int model_evaluate_detail(struct model *m, const struct batch *all,
			  double *pos_loss, double *pos_acc, double *seq_acc,
			  struct eval_result *out, struct traj_error *err)
{
	*out = (struct eval_result){ NAN, NAN, all->n };
	int K = m->n_outputs;
	double *pos = calloc(2 * (size_t)K, sizeof *pos);
	if (!pos)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	struct eval_sums s = { 0, 0, 0, pos, pos + K, NULL, NULL };
	int rc = eval_all(m, all, NULL, &s, err);
	if (rc == 0) {
		/* over no examples every mean is NAN, the mean of nothing */
		double n = all->n > 0 ? (double)all->n : NAN, nl = n * K;
		out->loss = s.loss / nl;
		out->acc = s.correct / nl;
		for (int k = 0; k < K; k++) {
			if (pos_loss)
				pos_loss[k] = s.pos_loss[k] / n;
			if (pos_acc)
				pos_acc[k] = s.pos_correct[k] / n;
		}
		if (seq_acc)
			*seq_acc = s.seq_correct / n;
	}
	free(pos);
	return rc;
}

int model_evaluate_groups(struct model *m, const struct batch *all,
			  const uint8_t *group, int ngroups, double *loss,
			  double *acc, struct traj_error *err)
{
	double (*grp)[3] = calloc((size_t)ngroups + 1, sizeof *grp);
	struct eval_sums s = { 0, 0, 0, NULL, NULL, NULL, grp };
	if (!grp)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = eval_all(m, all, group, &s, err);
	for (int g = 0; rc == 0 && g < ngroups; g++) {
		loss[g] = grp[g][2] ? grp[g][0] / grp[g][2] : NAN;
		acc[g] = grp[g][2] ? grp[g][1] / grp[g][2] : NAN;
	}
	free(grp);
	return rc;
}

int model_evaluate(struct model *m, const struct batch *all,
		   struct eval_result *out, struct traj_error *err)
{
	return model_evaluate_detail(m, all, NULL, NULL, NULL, out, err);
}
