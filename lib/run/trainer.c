#include "run/trainer.h"
#include "run/trainstate.h"

#include <zstd.h>

#include "common/linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Distinct streams of randomness from one seed: changing the batch order
 * must not change the initialisation. */
#define SEED_INIT  0x696e6974ULL /* "init" */
#define SEED_ORDER 0x6f726472ULL /* "ordr" */

static int alloc_batches(struct trainer *t, struct traj_error *err)
{
	int64_t n = t->data.train.n, T = t->data.n_inputs;
	t->batch = t->rc->train.batch > 0 && t->rc->train.batch < n
			   ? t->rc->train.batch : n;
	if (t->batch == n)
		return 0; /* full batch: the split itself is the batch */
	t->perm = malloc((size_t)n * sizeof *t->perm);
	if (t->data.train.tokens)
		t->batch_tokens = malloc((size_t)(t->batch * T) *
					 sizeof *t->batch_tokens);
	else
		t->batch_features = malloc((size_t)(t->batch * T) *
					   sizeof *t->batch_features);
	t->batch_labels = malloc((size_t)(t->batch * t->data.n_outputs) *
				 sizeof *t->batch_labels);
	if (!t->perm || !(t->batch_tokens || t->batch_features) ||
	    !t->batch_labels)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for batches");
	for (int64_t i = 0; i < n; i++)
		t->perm[i] = (int32_t)i;
	t->perm_pos = n; /* shuffle before the first batch */
	return 0;
}

int trainer_init(struct trainer *t, const struct run_config *rc,
		 struct traj_error *err)
{
	memset(t, 0, sizeof *t);
	t->rc = rc;
	if (task_dataset_build(&rc->task, &t->data, err) < 0 ||
	    alloc_batches(t, err) < 0)
		return -1;
	t->model = model_from_json(rc->model, (int)t->batch, err);
	if (!t->model)
		return -1;
	if (t->model->n_classes != t->data.n_classes ||
	    t->model->vocab != t->data.vocab ||
	    t->model->n_inputs != t->data.n_inputs ||
	    t->model->n_outputs != t->data.n_outputs)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "model does not fit task '%s' (inputs, vocab, "
				 "classes, outputs)", rc->task.name);
	model_init(t->model, rc->seed ^ SEED_INIT);
	trainer_reorder(t);
	if (optim_init(&t->opt, &rc->optim, t->model->nparams) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for the optimiser");
	return rc->mask ? trainer_mask_on(t, err) : 0;
}

int trainer_mask_on(struct trainer *t, struct traj_error *err)
{
	if (t->masked)
		return 0;
	if (mask_init(&t->mask, t->model, err) < 0)
		return -1;
	t->masked = 1;
	return 0;
}

void trainer_mask_apply(struct trainer *t)
{
	if (!t->masked)
		return;
	mask_apply(&t->mask, t->model, t->model->params);
	mask_apply(&t->mask, t->model, t->opt.m);
	if (t->opt.v)
		mask_apply(&t->mask, t->model, t->opt.v);
}

void trainer_reinit(struct trainer *t, uint64_t seed)
{
	model_init(t->model, seed ^ SEED_INIT);
}

void trainer_reorder(struct trainer *t)
{
	const struct run_config *rc = t->rc;
	rng_seed(&t->order, (rc->has_order_seed ? rc->order_seed : rc->seed) ^
			    SEED_ORDER);
	for (int64_t i = 0; t->perm && i < t->data.train.n; i++)
		t->perm[i] = (int32_t)i;
	t->perm_pos = t->data.train.n;
}

/* Without replacement within an epoch; a new shuffle each epoch. */
static struct batch next_batch(struct trainer *t)
{
	const struct split *s = &t->data.train;
	if (t->batch == s->n)
		return task_split_batch(s);
	int T = t->data.n_inputs, K = t->data.n_outputs;
	for (int64_t i = 0; i < t->batch; i++) {
		if (t->perm_pos == s->n) {
			rng_shuffle(&t->order, t->perm, s->n);
			t->perm_pos = 0;
		}
		int64_t k = t->perm[t->perm_pos++];
		if (s->tokens)
			memcpy(t->batch_tokens + i * T, s->tokens + k * T,
			       (size_t)T * sizeof *s->tokens);
		else
			memcpy(t->batch_features + i * T, s->features + k * T,
			       (size_t)T * sizeof *s->features);
		memcpy(t->batch_labels + i * K, s->labels + k * K,
		       (size_t)K * sizeof *s->labels);
	}
	struct batch b = {.n = (int)t->batch, .tokens = t->batch_tokens,
			  .features = t->batch_features,
			  .labels = t->batch_labels};
	return b;
}

int trainer_step(struct trainer *t, struct traj_error *err)
{
	struct batch b = next_batch(t);
	struct model *m = t->model;
	if (t->batch_fn && t->batch_fn(t->batch_ctx, m, &b, t->step, err) < 0)
		return -1;
	memset(m->grads, 0, m->nparams * sizeof *m->grads);
	if (m->ops->loss(m, &b, 1, &t->last_loss, err) < 0)
		return -1;
	if (t->masked)
		mask_apply(&t->mask, m, m->grads);
	optim_step(&t->opt, m->params, m->grads);
	if (t->masked) /* open_lth's classic bug is to forget this one */
		mask_apply(&t->mask, m, m->params);
	t->step++;
	return 0;
}

static const char *nonfinite_name(double x)
{
	return isnan(x) ? "nan" : x > 0 ? "inf" : "-inf";
}

int trainer_check_finite(const struct trainer *t, struct traj_error *err)
{
	if (!isfinite(t->last_loss))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "step %lld: the batch loss is %s",
				 (long long)t->step, nonfinite_name(t->last_loss));
	const struct model *m = t->model;
	for (int i = 0; i < m->nviews; i++) {
		const struct param_view *v = &m->views[i];
		const float *x = m->params + v->offset;
		for (size_t j = 0; j < v->numel; j++)
			if (!isfinite(x[j]))
				return traj_fail(err, TRAJ_EDATA, -1,
						 "step %lld: parameter '%s' became %s",
						 (long long)t->step, v->name,
						 nonfinite_name(x[j]));
	}
	return 0;
}

struct traj_writer *trainer_writer_open(const struct trainer *t, FILE *out,
					const struct traj_write_opts *wo,
					struct traj_error *err)
{
	cJSON *run = run_to_json(t->rc);
	cJSON *wj = stream_write_opts_to_json(wo);
	cJSON *build = cJSON_CreateObject();
	struct traj_writer *w = NULL;
	/* what the bits depend on besides the run's options and threads */
	cJSON_AddStringToObject(build, "traj", TRAJ_VERSION);
	cJSON_AddStringToObject(build, "openblas", linalg_library());
	cJSON_AddStringToObject(build, "blas_core", linalg_core());
	cJSON_AddStringToObject(build, "zstd", ZSTD_versionString());
	int ok = run && wj && cJSON_AddItemToObject(run, "writer", wj);
	if (!ok)
		cJSON_Delete(wj);
	if (!ok || !build || !cJSON_AddItemToObject(run, "build", build)) {
		cJSON_Delete(build);
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	} else {
		w = stream_writer_open(out, run, wo, err);
	}
	cJSON_Delete(run);
	return w;
}

/* Key checkpoints are where a reader (and --resume) can start anyway; the
 * last checkpoint lets a finished run be extended without a replay. */
static int wants_state(const struct trainer *t, const struct traj_writer *w)
{
	switch (t->rc->train.state) {
	case STATE_ALL: return 1;
	case STATE_NONE: return 0;
	default: return stream_writer_next_is_key(w) ||
			t->step == t->rc->train.steps;
	}
}

int trainer_checkpoint(struct trainer *t, struct traj_writer *w,
		       struct traj_error *err)
{
	cJSON *metrics = NULL;
	if (t->step > 0) {
		metrics = cJSON_CreateObject();
		cJSON_AddNumberToObject(metrics, "train/batch_loss", t->last_loss);
	}
	int nstate = wants_state(t, w) ? trainstate_count(t) : 0;
	int nmask = t->masked ? mask_count(&t->mask) : 0;
	int rc = stream_write_begin(w, t->step, t->model->nviews + nmask + nstate,
				    metrics, err);
	cJSON_Delete(metrics);
	for (int i = 0; rc == 0 && i < t->model->nviews; i++) {
		struct traj_tensor view;
		model_view_tensor(t->model, i, &view);
		rc = stream_write_tensor(w, &view, err);
	}
	for (int i = 0; rc == 0 && nmask && i < t->model->nviews; i++) {
		struct traj_tensor view;
		if (!t->mask.masked[i])
			continue;
		if (mask_view_tensor(&t->mask, t->model, i, &view) < 0)
			rc = traj_fail(err, TRAJ_EINTERNAL, -1, "parameter name "
				       "'%s' too long for a mask", t->model->views[i].name);
		else
			rc = stream_write_tensor(w, &view, err);
	}
	if (rc == 0 && nstate)
		rc = trainstate_write(t, w, err);
	return rc == 0 ? stream_write_end(w, err) : -1;
}

void trainer_free(struct trainer *t)
{
	if (t->masked)
		mask_free(&t->mask);
	model_free(t->model);
	optim_free(&t->opt);
	task_dataset_free(&t->data);
	free(t->perm);
	free(t->batch_tokens);
	free(t->batch_features);
	free(t->batch_labels);
	memset(t, 0, sizeof *t);
}
