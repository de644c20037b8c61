#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/llc_model.h"

static double model_loss_grad(void *ctx, const int32_t *idx, int nidx)
{
	struct llc_model_target *t = ctx;
	const struct split *s = t->data;
	size_t D = (size_t)t->dims, K = (size_t)t->K;
	for (int i = 0; i < nidx; i++) {
		size_t e = (size_t)idx[i];
		if (s->tokens)
			memcpy(t->tokens + i * D, s->tokens + e * D,
			       D * sizeof *t->tokens);
		else
			memcpy(t->features + i * D, s->features + e * D,
			       D * sizeof *t->features);
		memcpy(t->labels + i * K, s->labels + e * K,
		       K * sizeof *t->labels);
	}
	struct batch b = { .n = nidx, .tokens = t->tokens,
			   .features = t->features, .labels = t->labels };
	struct model *m = t->model;
	memset(m->grads, 0, m->nparams * sizeof *m->grads);
	float loss;
	struct traj_error err;
	/* Cannot fail: llc_model_target_init checked every example, and a
	 * minibatch holds some of them. */
	if (m->ops->loss(m, &b, 1, &loss, &err) < 0)
		return NAN;
	return loss;
}

int llc_model_target_init(struct llc_model_target *t, struct model *m,
			  const struct split *data, int batch,
			  struct traj_error *err)
{
	memset(t, 0, sizeof *t);
	if (data->n > INT32_MAX)
		return traj_fail(err, TRAJ_EDATA, -1, "more than %d examples",
				 INT32_MAX);
	struct batch all = { .n = (int)data->n, .tokens = data->tokens,
			     .features = data->features, .labels = data->labels };
	if (model_batch_check(m, &all, 1, err) < 0)
		return -1;
	t->model = m;
	t->data = data;
	t->dims = m->n_inputs;
	t->K = m->n_outputs;
	size_t B = (size_t)batch, D = (size_t)t->dims;
	if (data->tokens)
		t->tokens = malloc(B * D * sizeof *t->tokens);
	else
		t->features = malloc(B * D * sizeof *t->features);
	t->labels = malloc(B * (size_t)t->K * sizeof *t->labels);
	if ((!t->tokens && !t->features) || !t->labels) {
		llc_model_target_free(t);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	t->target = (struct llc_target){ .w = m->params, .g = m->grads,
		.n = m->nparams, .n_examples = data->n,
		.loss_grad = model_loss_grad, .ctx = t };
	return 0;
}

void llc_model_target_free(struct llc_model_target *t)
{
	free(t->tokens);
	free(t->features);
	free(t->labels);
	t->tokens = NULL;
	t->features = NULL;
	t->labels = NULL;
}

void llc_models_free(struct llc_models *lm)
{
	for (int i = 0; i < lm->n; i++) {
		llc_model_target_free(&lm->targets[i]);
		if (i > 0 && lm->models[i])
			model_free(lm->models[i]);
	}
	free(lm->models);
	free(lm->targets);
	free(lm->views);
	free(lm->w0);
	memset(lm, 0, sizeof *lm);
}

int llc_models_init(struct llc_models *lm, struct model *m,
		    const cJSON *model_config, const struct split *train,
		    int batch, int workers, struct traj_error *err)
{
	memset(lm, 0, sizeof *lm);
	lm->train = train;
	lm->models = calloc((size_t)workers, sizeof *lm->models);
	lm->targets = calloc((size_t)workers, sizeof *lm->targets);
	lm->views = calloc((size_t)workers, sizeof *lm->views);
	lm->w0 = malloc(m->nparams * sizeof *lm->w0);
	if (!lm->models || !lm->targets || !lm->views || !lm->w0) {
		llc_models_free(lm);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	for (int i = 0; i < workers; i++) {
		lm->models[i] = i ? model_from_json(model_config, batch, err) : m;
		lm->n = i + 1;
		if (!lm->models[i] ||
		    llc_model_target_init(&lm->targets[i], lm->models[i], train,
					  batch, err) < 0) {
			llc_models_free(lm);
			return -1;
		}
		lm->views[i] = lm->targets[i].target;
	}
	return 0;
}

int llc_models_estimate(struct llc_models *lm, const struct llc_config *c,
			int64_t key, struct llc_result *res,
			struct traj_error *err)
{
	struct model *m = lm->models[0];
	struct batch all = task_split_batch(lm->train);
	struct eval_result r;
	if (model_evaluate(m, &all, &r, err) < 0)
		return -1;
	double init_loss = r.loss;
	if (!isfinite(init_loss))
		return traj_fail(err, TRAJ_EDATA, -1, "the training loss at "
				 "the checkpoint is not finite (%g)", init_loss);
	memcpy(lm->w0, m->params, m->nparams * sizeof *lm->w0);
	int rc = llc_estimate(c, lm->views, lm->n, lm->w0, init_loss, key,
			      res, err);
	memcpy(m->params, lm->w0, m->nparams * sizeof *lm->w0);
	return rc;
}
