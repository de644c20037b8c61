/* The ablation engine (ablate.h): one forward hook that captures
 * activations and replaces those of the active components. */
#include "interp/ablate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "interp/ablate_fast.h"
#include "model/xent.h"

static const char *const method_names[] = { "zero", "mean", "resample",
					    "patch" };

const char *ablate_method_name(enum ablate_method m)
{
	return m <= ABL_PATCH ? method_names[m] : NULL;
}

int ablate_method_from_name(const char *name, enum ablate_method *out)
{
	for (int i = 0; i <= ABL_PATCH; i++)
		if (strcmp(name, method_names[i]) == 0) {
			*out = (enum ablate_method)i;
			return 0;
		}
	return -1;
}

/* Per-hook buffers of `per` floats for the hooks the components use. */
static float **hook_buffers(const struct ablator *a, size_t per_example)
{
	struct model *m = a->m;
	float **buf = calloc((size_t)m->nhooks, sizeof *buf);
	for (int i = 0; buf && i < a->ncomps; i++) {
		int h = a->comps[i].hook;
		if (buf[h])
			continue;
		size_t count = m->hooks[h].numel * per_example;
		buf[h] = malloc((count ? count : 1) * sizeof **buf);
		if (!buf[h]) {
			for (int k = 0; k < m->nhooks; k++)
				free(buf[k]);
			free(buf);
			return NULL;
		}
	}
	return buf;
}

static void free_buffers(float **buf, int n)
{
	for (int i = 0; buf && i < n; i++)
		free(buf[i]);
	free(buf);
}

int ablator_init(struct ablator *a, struct model *m, const struct batch *data,
		 const struct component *comps, int ncomps,
		 enum ablate_method method, const float *dir, uint64_t seed,
		 struct traj_error *err)
{
	memset(a, 0, sizeof *a);
	a->m = m;
	a->data = *data;
	a->method = method;
	a->comps = comps;
	a->ncomps = ncomps;
	a->dir = dir;
	a->label = -1;
	a->cap = hook_buffers(a, (size_t)data->n);
	a->mean = hook_buffers(a, 1);
	a->perm = malloc(((size_t)data->n + 1) * sizeof *a->perm);
	if (!a->cap || !a->mean || !a->perm) {
		ablator_free(a);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	for (int32_t e = 0; e < data->n; e++)
		a->perm[e] = e;
	struct rng r;
	rng_seed(&r, seed);
	rng_shuffle(&r, a->perm, data->n);
	return 0;
}

void ablator_free(struct ablator *a)
{
	int n = a->m ? a->m->nhooks : 0;
	free_buffers(a->cap, n);
	free_buffers(a->mean, n);
	free_buffers(a->src, n);
	free_buffers(a->grad, n);
	free(a->perm);
	ablator_reuse_free(a);
	memset(a, 0, sizeof *a);
}

const float *ablator_source(const struct ablator *a, int h, int64_t e)
{
	size_t numel = a->m->hooks[h].numel;
	switch (a->method) {
	case ABL_MEAN: return a->mean[h];
	case ABL_RESAMPLE: return a->cap[h] + (size_t)a->perm[e] * numel;
	case ABL_PATCH: return a->src[h] + (size_t)e * numel;
	default: return NULL;
	}
}

void ablator_replace_row(const struct ablator *a, const struct component *c,
			 float *row, const float *src_row)
{
	float *x = row + c->lo;
	const float *s = src_row ? src_row + c->lo : NULL;
	if (c->kind != COMP_DIRECTION) {
		/* a loop, not memcpy: most components are one neuron wide */
		for (int k = 0; k < c->len; k++)
			x[k] = s ? s[k] : 0.0f;
		return;
	}
	double d = 0.0; /* (s - x).u */
	for (int k = 0; k < c->len; k++)
		d += ((s ? s[k] : 0.0f) - x[k]) * (double)a->dir[k];
	for (int k = 0; k < c->len; k++)
		x[k] += (float)(d * a->dir[k]);
}

/* x (rows x width of one example) takes s's values on the component. */
static void replace(const struct ablator *a, const struct component *c,
		    float *x, const float *s)
{
	for (int r = 0; r < c->rows; r++)
		ablator_replace_row(a, c, x + (size_t)r * c->width,
				    s ? s + (size_t)r * c->width : NULL);
}

static void ablate_hook(void *ctx, int hook, int64_t e0, int n, float *act)
{
	struct ablator *a = ctx;
	size_t numel = a->m->hooks[hook].numel;
	e0 += a->base;
	if (a->capture_into && a->capture_into[hook])
		memcpy(a->capture_into[hook] + (size_t)e0 * numel, act,
		       (size_t)n * numel * sizeof *act);
	for (int i = 0; i < a->nactive; i++) {
		const struct component *c = &a->comps[a->active[i]];
		if (c->hook != hook)
			continue;
		for (int e = 0; e < n; e++)
			replace(a, c, act + (size_t)e * numel,
				ablator_source(a, hook, e0 + e));
	}
}

/* Loss and accuracy over b like model_evaluate, chunk by chunk so that
 * the hook knows each chunk's first example (a->base): the model's own
 * e0 counts from the start of the batch it is given. Errors:
 * TRAJ_ENOMEM. */
static int evaluate(struct ablator *a, struct model *model,
		    const struct batch *b, struct eval_result *r,
		    struct traj_error *err)
{
	int K = model->n_outputs, C = model->n_classes, T = model->n_inputs;
	*r = (struct eval_result){ NAN, NAN, b->n };
	float *z = malloc((size_t)model->max_batch * K * C * sizeof *z);
	if (!z)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	double loss = 0.0;
	int64_t right = 0;
	for (int e0 = 0; e0 < b->n; e0 += model->max_batch) {
		struct batch chunk = *b;
		chunk.n = b->n - e0 < model->max_batch ? b->n - e0 : model->max_batch;
		if (b->tokens)
			chunk.tokens = b->tokens + (size_t)e0 * T;
		if (b->features)
			chunk.features = b->features + (size_t)e0 * T;
		chunk.labels = b->labels + (size_t)e0 * K;
		a->base = e0;
		model->ops->logits(model, &chunk, z);
		for (size_t i = 0; i < (size_t)chunk.n * K; i++) {
			if (a->label >= 0 && (int)(i % (size_t)K) != a->label)
				continue;
			loss += xent_row(z + i * C, C, chunk.labels[i]);
			right += xent_argmax(z + i * C, C) == chunk.labels[i];
		}
	}
	a->base = 0;
	/* over no examples: NAN, the mean of nothing */
	int per = a->label >= 0 ? 1 : K; /* labels counted per example */
	if (b->n > 0) {
		r->loss = loss / ((double)b->n * per);
		r->acc = (double)right / ((double)b->n * per);
	}
	free(z);
	return 0;
}

static int run_pass(struct ablator *a, struct model *model,
		    const struct batch *b, struct eval_result *r,
		    struct traj_error *err)
{
	model_set_hook(model, ablate_hook, a);
	int rc = evaluate(a, model, b, r, err);
	model_set_hook(model, NULL, NULL);
	a->capture_into = NULL;
	a->active = NULL;
	a->nactive = 0;
	a->forward_passes += rc == 0;
	return rc;
}

int ablator_baseline(struct ablator *a, struct eval_result *r,
		     struct traj_error *err)
{
	a->capture_into = a->cap;
	if (run_pass(a, a->m, &a->data, r, err) < 0)
		return -1;
	int64_t n = a->data.n;
	for (int h = 0; h < a->m->nhooks; h++) {
		if (!a->cap[h])
			continue;
		size_t numel = a->m->hooks[h].numel;
		for (size_t k = 0; k < numel; k++) {
			double sum = 0.0;
			for (int64_t e = 0; e < n; e++)
				sum += a->cap[h][(size_t)e * numel + k];
			a->mean[h][k] = n ? (float)(sum / (double)n) : 0.0f;
		}
	}
	return 0;
}

int ablator_capture_source(struct ablator *a, struct model *model,
			   const struct batch *b, struct eval_result *r,
			   struct traj_error *err)
{
	if (b->n != a->data.n)
		return traj_fail(err, TRAJ_EINTERNAL, -1, "patch source of %d "
				 "examples for %d", b->n, a->data.n);
	if (!a->src)
		a->src = hook_buffers(a, (size_t)a->data.n);
	if (!a->src)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	a->capture_into = a->src;
	return run_pass(a, model, b, r, err);
}

int ablator_eval_in(struct ablator *a, struct model *model, const int *active,
		    int n, struct eval_result *r, struct traj_error *err)
{
	if (model == a->m && ablator_reuse_applies(a, active, n))
		return ablator_reuse_eval(a, active, n, r, err);
	a->active = active;
	a->nactive = n;
	return run_pass(a, model, &a->data, r, err);
}

int ablator_eval(struct ablator *a, const int *active, int n,
		 struct eval_result *r, struct traj_error *err)
{
	return ablator_eval_in(a, a->m, active, n, r, err);
}
