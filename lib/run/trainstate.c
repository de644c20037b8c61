#include "run/trainstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RNG_WORDS 4

static int minibatch(const struct trainer *t)
{
	return t->perm != NULL;
}

int trainstate_count(const struct trainer *t)
{
	int per_view = t->opt.v ? 2 : 1;
	return t->model->nviews * per_view + 2 + (minibatch(t) ? 2 : 0);
}

/* A borrowed tensor over caller memory. */
static struct traj_tensor state_tensor(const char *name, enum traj_dtype dtype,
				       int rank, const int64_t *shape,
				       const void *data)
{
	struct traj_tensor s;
	memset(&s, 0, sizeof s);
	snprintf(s.name, sizeof s.name, "%s", name);
	s.dtype = dtype;
	s.rank = rank;
	if (rank)
		memcpy(s.shape, shape, (size_t)rank * sizeof *shape);
	s.data = (void *)data;
	s.borrowed = 1;
	return s;
}

/* "optim/m/<param>" (or v) in the layout of the parameter view. */
static int write_moment(const struct trainer *t, const char *which,
			const float *buf, struct traj_writer *w,
			struct traj_error *err)
{
	for (int i = 0; i < t->model->nviews; i++) {
		const struct param_view *v = &t->model->views[i];
		char name[TRAJ_NAME_MAX];
		if (snprintf(name, sizeof name, "optim/%s/%s", which, v->name) >=
		    (int)sizeof name)
			return traj_fail(err, TRAJ_EINTERNAL, -1,
					 "parameter name '%s' too long", v->name);
		struct traj_tensor s = state_tensor(name, TRAJ_F32, v->rank,
						    v->shape, buf + v->offset);
		if (stream_write_tensor(w, &s, err))
			return -1;
	}
	return 0;
}

int trainstate_write(const struct trainer *t, struct traj_writer *w,
		     struct traj_error *err)
{
	int64_t opt_t = t->opt.t, pos = t->perm_pos, words[] = {RNG_WORDS};
	int64_t rng[RNG_WORDS], n[] = {t->data.train.n};
	for (int i = 0; i < RNG_WORDS; i++)
		rng[i] = (int64_t)t->order.s[i]; /* the bits, as i64 */
	struct traj_tensor s;
	if (write_moment(t, "m", t->opt.m, w, err) ||
	    (t->opt.v && write_moment(t, "v", t->opt.v, w, err)))
		return -1;
	s = state_tensor("optim/step", TRAJ_I64, 0, NULL, &opt_t);
	if (stream_write_tensor(w, &s, err))
		return -1;
	s = state_tensor("optim/order/rng", TRAJ_I64, 1, words, rng);
	if (stream_write_tensor(w, &s, err))
		return -1;
	if (!minibatch(t))
		return 0;
	s = state_tensor("optim/order/perm", TRAJ_I32, 1, n, t->perm);
	if (stream_write_tensor(w, &s, err))
		return -1;
	s = state_tensor("optim/order/pos", TRAJ_I64, 0, NULL, &pos);
	return stream_write_tensor(w, &s, err);
}

/* ---- restoring: everything below reads outside input ---- */

static const struct traj_tensor *need(const struct traj_ckpt *c,
				      const char *name, enum traj_dtype dtype,
				      int rank, const int64_t *shape,
				      struct traj_error *err)
{
	const struct traj_tensor *s = stream_ckpt_find(c, name);
	if (!s) {
		traj_fail(err, TRAJ_EDATA, -1,
			  "checkpoint at step %lld has no resume state "
			  "(tensor '%s' missing)", (long long)c->step, name);
		return NULL;
	}
	int same = s->dtype == dtype && s->rank == rank;
	for (int i = 0; same && i < rank; i++)
		same = s->shape[i] == shape[i];
	if (!same) {
		traj_fail(err, TRAJ_EDATA, -1,
			  "tensor '%s': dtype or shape does not fit this run", name);
		return NULL;
	}
	return s;
}

static int restore_moment(struct trainer *t, const struct traj_ckpt *c,
			  const char *which, float *buf, struct traj_error *err)
{
	for (int i = 0; i < t->model->nviews; i++) {
		const struct param_view *v = &t->model->views[i];
		char name[TRAJ_NAME_MAX + 16];
		snprintf(name, sizeof name, "optim/%s/%s", which, v->name);
		const struct traj_tensor *s =
			need(c, name, TRAJ_F32, v->rank, v->shape, err);
		if (!s)
			return -1;
		memcpy(buf + v->offset, s->data, v->numel * sizeof *buf);
	}
	return 0;
}

/* The permutation indexes the train split: each index exactly once. */
static int restore_order(struct trainer *t, const struct traj_ckpt *c,
			 struct traj_error *err)
{
	int64_t words[] = {RNG_WORDS}, n = t->data.train.n, shape[] = {n};
	const struct traj_tensor *rng =
		need(c, "optim/order/rng", TRAJ_I64, 1, words, err);
	if (!rng)
		return -1;
	uint64_t any = 0;
	for (int i = 0; i < RNG_WORDS; i++)
		any |= t->order.s[i] = (uint64_t)((const int64_t *)rng->data)[i];
	if (!any) /* xoshiro's one bad state: zeros forever */
		return traj_fail(err, TRAJ_EDATA, -1,
				 "tensor 'optim/order/rng': all-zero generator state");
	if (!minibatch(t))
		return 0;
	const struct traj_tensor *perm =
		need(c, "optim/order/perm", TRAJ_I32, 1, shape, err);
	const struct traj_tensor *pos =
		perm ? need(c, "optim/order/pos", TRAJ_I64, 0, NULL, err) : NULL;
	if (!pos)
		return -1;
	int64_t at = *(const int64_t *)pos->data;
	if (at < 0 || at > n)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "tensor 'optim/order/pos': %lld outside 0..%lld",
				 (long long)at, (long long)n);
	uint8_t *seen = calloc((size_t)n, 1);
	if (!seen)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	const int32_t *p = perm->data;
	int64_t i = 0;
	while (i < n && p[i] >= 0 && p[i] < n && !seen[p[i]])
		seen[p[i++]] = 1;
	free(seen);
	if (i < n)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "tensor 'optim/order/perm': not a permutation of "
				 "0..%lld (element %lld)", (long long)n - 1,
				 (long long)i);
	memcpy(t->perm, p, (size_t)n * sizeof *p);
	t->perm_pos = at;
	return 0;
}

/* The loss of the latest batch rides in the checkpoint's metrics. */
static void restore_loss(struct trainer *t, const struct traj_ckpt *c)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(c->metrics,
							  "train/batch_loss");
	t->last_loss = cJSON_IsNumber(l) ? (float)l->valuedouble : 0.0f;
}

int trainstate_restore(struct trainer *t, const struct traj_ckpt *c,
		       struct traj_error *err)
{
	const struct traj_tensor *step =
		need(c, "optim/step", TRAJ_I64, 0, NULL, err);
	if (!step)
		return -1;
	if (*(const int64_t *)step->data != c->step)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "tensor 'optim/step' is %lld in the checkpoint at step %lld",
				 (long long)*(const int64_t *)step->data,
				 (long long)c->step);
	if (model_load(t->model, c->tensors, c->ntensors, err) ||
	    restore_moment(t, c, "m", t->opt.m, err) ||
	    (t->opt.v && restore_moment(t, c, "v", t->opt.v, err)) ||
	    restore_order(t, c, err))
		return -1;
	if (t->masked) {
		int n = mask_load(&t->mask, t->model, c->tensors, c->ntensors, err);
		if (n == 0)
			return traj_fail(err, TRAJ_EDATA, -1,
					 "checkpoint at step %lld of a masked run "
					 "has no mask tensors (mask/...)",
					 (long long)c->step);
		if (n < 0)
			return -1;
		trainer_mask_apply(t);
	}
	t->opt.t = c->step;
	t->step = c->step;
	restore_loss(t, c);
	return 0;
}
