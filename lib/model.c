/* Model-independent parts of the model interface: construction from JSON,
 * initialisation, loading checkpoints, evaluation. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "rng.h"
#include "xent.h"

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

struct eval_result model_evaluate(struct model *m, const struct batch *all)
{
	struct eval_result res = { NAN, NAN, all->n };
	int C = m->n_classes;
	float *z = malloc((size_t)m->max_batch * C * sizeof *z); // (B, C)
	if (!z || all->n <= 0 || !all->labels) {
		free(z);
		return res;
	}
	double loss = 0.0;
	int64_t correct = 0;
	for (int e0 = 0; e0 < all->n; e0 += m->max_batch) {
		int n = all->n - e0 < m->max_batch ? all->n - e0 : m->max_batch;
		struct batch chunk = *all;
		chunk.n = n;
		chunk.labels = all->labels + e0;
		if (all->tokens)
			chunk.tokens = all->tokens + (size_t)e0 * m->n_inputs;
		if (all->features)
			chunk.features = all->features + (size_t)e0 * m->n_inputs;
		m->ops->logits(m, &chunk, z);
		for (int r = 0; r < n; r++) {
			int y = chunk.labels[r];
			if (y < 0 || y >= C) {
				free(z);
				return res;
			}
			loss += xent_row(z + (size_t)r * C, C, y);
			correct += xent_argmax(z + (size_t)r * C, C) == y;
		}
	}
	free(z);
	res.loss = loss / all->n;
	res.acc = (double)correct / all->n;
	return res;
}
