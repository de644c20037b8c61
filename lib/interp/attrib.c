/* Attribution patching (Nanda 2023; Syed et al. 2023): the loss change
 * of replacing a component's activation x by r, to first order,
 * sum (r - x) . d loss / d x, for every component from one gradient
 * pass. See attrib.h. */
#include "interp/attrib.h"

#include <stdlib.h>
#include <string.h>

static void grab_grad(void *ctx, int hook, int64_t e0, int n,
		      const float *act, const float *grad)
{
	struct ablator *a = ctx;
	(void)act;
	if (!a->grad[hook])
		return;
	size_t numel = a->m->hooks[hook].numel;
	memcpy(a->grad[hook] + (size_t)e0 * numel, grad,
	       (size_t)n * numel * sizeof *grad);
}

/* sum over rows of (s - x) . g on the component, for one example. */
static double example_score(const struct ablator *a,
			    const struct component *c, const float *x,
			    const float *s, const float *g)
{
	double sum = 0.0;
	for (int r = 0; r < c->rows; r++) {
		size_t o = (size_t)r * c->width + c->lo;
		if (c->kind != COMP_DIRECTION) {
			for (int k = 0; k < c->len; k++)
				sum += ((s ? s[o + k] : 0.0f) - x[o + k]) *
				       (double)g[o + k];
			continue;
		}
		double d = 0.0, gu = 0.0; /* (s - x).u and g.u */
		for (int k = 0; k < c->len; k++) {
			d += ((s ? s[o + k] : 0.0f) - x[o + k]) * (double)a->dir[k];
			gu += g[o + k] * (double)a->dir[k];
		}
		sum += d * gu;
	}
	return sum;
}

/* A gradient buffer per captured hook, on first use (all or none). */
static int has_grad_buffers(struct ablator *a)
{
	if (a->grad)
		return 1;
	a->grad = calloc((size_t)a->m->nhooks, sizeof *a->grad);
	for (int h = 0; a->grad && h < a->m->nhooks; h++) {
		if (!a->cap[h])
			continue;
		a->grad[h] = malloc(((size_t)a->data.n * a->m->hooks[h].numel + 1) *
				    sizeof(float));
		if (!a->grad[h]) {
			for (int k = 0; k < h; k++)
				free(a->grad[k]);
			free(a->grad);
			a->grad = NULL;
		}
	}
	return a->grad != NULL;
}

int ablator_attribute(struct ablator *a, double *score,
		      struct traj_error *err)
{
	struct model *m = a->m;
	for (int i = 0; i < a->ncomps; i++)
		if (!m->hooks[a->comps[i].hook].has_grad)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "hook '%s' has no gradient for "
					 "attribution patching",
					 m->hooks[a->comps[i].hook].name);
	if (!has_grad_buffers(a))
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	memset(m->grads, 0, m->nparams * sizeof *m->grads);
	model_set_grad_hook(m, grab_grad, a);
	float loss;
	int rc = m->ops->loss(m, &a->data, 1, &loss, err);
	model_set_grad_hook(m, NULL, NULL);
	if (rc < 0)
		return -1;
	a->forward_passes++;
	a->backward_passes++;
	for (int i = 0; i < a->ncomps; i++) {
		const struct component *c = &a->comps[i];
		size_t numel = m->hooks[c->hook].numel;
		double sum = 0.0;
		for (int64_t e = 0; e < a->data.n; e++)
			sum += example_score(a, c, a->cap[c->hook] + (size_t)e * numel,
					     ablator_source(a, c->hook, e),
					     a->grad[c->hook] + (size_t)e * numel);
		score[i] = sum;
	}
	return 0;
}
