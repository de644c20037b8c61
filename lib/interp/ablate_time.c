#include "interp/ablate_time.h"

#include <stdlib.h>
#include <string.h>

#include "interp/patch.h"

/* Component c's weights of mk in ms (fwd) and of ms in mk (rev), each
 * restored after its pass. Errors: patch_component_weights's,
 * model_evaluate's. */
static int swap_weights(struct ablator *a, struct model *ms, struct model *mk,
			const float *saved_s, const float *saved_k, int c,
			struct time_pair *p, struct traj_error *err)
{
	struct weight_slice sl[COMP_MAX_SLICES];
	int n = patch_component_weights(ms, &a->comps[c], sl, err);
	if (n < 0)
		return -1;
	patch_weights_copy(ms->params, saved_k, sl, n);
	int rc = model_evaluate(ms, &a->data, &p->fwd, err);
	patch_weights_copy(ms->params, saved_s, sl, n);
	if (rc < 0)
		return -1;
	patch_weights_copy(mk->params, saved_s, sl, n);
	rc = model_evaluate(mk, &a->data, &p->rev, err);
	patch_weights_copy(mk->params, saved_k, sl, n);
	a->forward_passes += 2;
	return rc;
}

static float *copy_params(const struct model *m)
{
	float *p = malloc((m->nparams + 1) * sizeof *p);
	if (p)
		memcpy(p, m->params, m->nparams * sizeof *p);
	return p;
}

static int by_weights(struct ablator *a, struct model *ms, struct model *mk,
		      struct time_patch *t, struct traj_error *err)
{
	float *saved_s = copy_params(ms), *saved_k = copy_params(mk);
	int rc = saved_s && saved_k ? 0 :
		 traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	if (rc == 0)
		rc = model_evaluate(ms, &a->data, &t->bs, err) < 0 ||
		     model_evaluate(mk, &a->data, &t->bk, err) < 0 ? -1 : 0;
	if (rc == 0)
		a->forward_passes += 2;
	for (int c = 0; rc == 0 && c < a->ncomps; c++)
		rc = swap_weights(a, ms, mk, saved_s, saved_k, c, &t->pair[c],
				  err);
	free(saved_s);
	free(saved_k);
	return rc;
}

/* back patches the activations of ms into mk, a those of mk into ms. */
static int by_acts(struct ablator *a, struct model *ms, struct model *mk,
		   uint64_t seed, struct time_patch *t, struct traj_error *err)
{
	struct ablator back;
	if (ablator_init(&back, mk, &a->data, a->comps, a->ncomps, ABL_PATCH,
			 a->dir, seed, err) < 0)
		return -1;
	int rc = ablator_capture_source(&back, ms, &a->data, &t->bs, err) < 0 ||
		 ablator_capture_source(a, mk, &a->data, &t->bk, err) < 0 ?
		 -1 : 0;
	for (int c = 0; rc == 0 && c < a->ncomps; c++)
		rc = ablator_eval_in(a, ms, &c, 1, &t->pair[c].fwd, err) < 0 ||
		     ablator_eval_in(&back, mk, &c, 1, &t->pair[c].rev, err) < 0 ?
		     -1 : 0;
	a->forward_passes += back.forward_passes;
	ablator_free(&back);
	return rc;
}

int patch_time_run(struct ablator *a, struct model *ms, struct model *mk,
		   int acts, uint64_t seed, struct time_patch *out,
		   struct traj_error *err)
{
	*out = (struct time_patch){ 0 };
	out->pair = malloc(((size_t)a->ncomps + 1) * sizeof *out->pair);
	if (!out->pair)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = acts ? by_acts(a, ms, mk, seed, out, err) :
		 by_weights(a, ms, mk, out, err);
	if (rc < 0)
		patch_time_free(out);
	return rc;
}

int patch_time_fns(const struct fn_run *fwd, const struct fn_run *rev,
		   int joint, struct time_patch *out, struct traj_error *err)
{
	int n = fwd->n, count = joint ? 1 : n;
	int *all = malloc(((size_t)n + 1) * sizeof *all);
	*out = (struct time_patch){ .bs = fwd->base, .bk = rev->base };
	out->pair = malloc(((size_t)count + 1) * sizeof *out->pair);
	if (!all || !out->pair) {
		free(all);
		patch_time_free(out);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	for (int i = 0; i < n; i++)
		all[i] = i;
	int rc = 0;
	for (int c = 0; rc == 0 && c < count; c++) {
		const int *active = joint ? all : &c;
		int k = joint ? n : 1;
		if (fwd->eval(fwd->ctx, active, k, &out->pair[c].fwd, err) < 0 ||
		    rev->eval(rev->ctx, active, k, &out->pair[c].rev, err) < 0)
			rc = -1;
	}
	free(all);
	if (rc < 0)
		patch_time_free(out);
	return rc;
}

void patch_time_free(struct time_patch *t)
{
	free(t->pair);
	t->pair = NULL;
}
