#include "format/weightset.h"

#include <stdlib.h>
#include <string.h>

#include "common/halfprec.h"

void wset_init(struct weightset *w)
{
	memset(w, 0, sizeof *w);
}

void wset_free(struct weightset *w)
{
	for (int i = 0; i < w->cap; i++)
		free(w->t[i].v);
	free(w->t);
	wset_init(w);
}

static int copy_tensor(struct wtensor *d, const struct traj_tensor *s)
{
	int64_t n = tensor_numel(s);
	if (n > d->cap) {
		double *v = realloc(d->v, (size_t)n * sizeof *v);
		if (!v)
			return -1;
		d->v = v;
		d->cap = n;
	}
	memcpy(d->name, s->name, sizeof d->name);
	d->rank = s->rank;
	memcpy(d->shape, s->shape, sizeof d->shape);
	d->n = n;
	if (s->dtype == TRAJ_F32) { /* the common case, without a switch per element */
		const float *f = s->data;
		for (int64_t i = 0; i < n; i++)
			d->v[i] = f[i];
	} else {
		for (int64_t i = 0; i < n; i++)
			d->v[i] = tensor_get_f64(s->data, s->dtype, (size_t)i);
	}
	return 0;
}

int wset_load(struct weightset *w, const struct traj_ckpt *c, wset_filter keep,
	      void *ctx, struct traj_error *err)
{
	if (c->ntensors > w->cap) {
		struct wtensor *t = realloc(w->t, (size_t)c->ntensors * sizeof *t);
		if (!t)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		memset(t + w->cap, 0, (size_t)(c->ntensors - w->cap) * sizeof *t);
		w->t = t;
		w->cap = c->ntensors;
	}
	w->n = 0;
	for (int i = 0; i < c->ntensors; i++) {
		const struct traj_tensor *s = &c->tensors[i];
		if (!dtype_is_float(s->dtype) || (keep && !keep(s->name, ctx)))
			continue;
		if (copy_tensor(&w->t[w->n], s) < 0)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		w->n++;
	}
	w->step = c->step;
	w->have = 1;
	return 0;
}

void wset_swap(struct weightset *a, struct weightset *b)
{
	struct weightset t = *a;
	*a = *b;
	*b = t;
}

const struct wtensor *wset_find(const struct weightset *w, const char *name)
{
	for (int i = 0; i < w->n; i++)
		if (strcmp(w->t[i].name, name) == 0)
			return &w->t[i];
	return NULL;
}

int wset_same_shape(const struct wtensor *a, const struct wtensor *b)
{
	if (strcmp(a->name, b->name) != 0 || a->rank != b->rank)
		return 0;
	for (int d = 0; d < a->rank; d++)
		if (a->shape[d] != b->shape[d])
			return 0;
	return 1;
}
