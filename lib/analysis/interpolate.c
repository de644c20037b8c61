#include "analysis/interpolate.h"
#include "model/mlp.h"
#include "model/transformer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double lmc_t(int i, int n)
{
	if (i <= 0)
		return 0.0;
	if (i >= n - 1)
		return 1.0;
	return (double)i / (double)(n - 1);
}

void lmc_blend(float *out, const float *a, const float *b, size_t n,
	       double t)
{
	if (t == 0.0) {
		memcpy(out, a, n * sizeof *out);
		return;
	}
	if (t == 1.0) {
		memcpy(out, b, n * sizeof *out);
		return;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (float)((double)a[i] + t * ((double)b[i] - (double)a[i]));
}

/* "[784, 300]" */
static void shape_text(const struct param_view *v, char *buf, size_t size)
{
	size_t k = (size_t)snprintf(buf, size, "[");
	for (int d = 0; d < v->rank && k < size; d++)
		k += (size_t)snprintf(buf + k, size - k, "%s%lld", d ? ", " : "",
				      (long long)v->shape[d]);
	if (k < size)
		snprintf(buf + k, size - k, "]");
}

static int same_shape(const struct param_view *x, const struct param_view *y)
{
	if (x->rank != y->rank)
		return 0;
	for (int d = 0; d < x->rank; d++)
		if (x->shape[d] != y->shape[d])
			return 0;
	return 1;
}

static int check_views(const struct model *a, const struct model *b,
		       struct traj_error *err)
{
	char sa[128], sb[128];
	for (int i = 0; i < a->nviews; i++)
		if (model_find_view(b, a->views[i].name) < 0)
			return traj_fail(err, TRAJ_EDATA, -1,
					 "tensor '%s' is missing",
					 a->views[i].name);
	for (int j = 0; j < b->nviews; j++)
		if (model_find_view(a, b->views[j].name) < 0)
			return traj_fail(err, TRAJ_EDATA, -1, "tensor '%s': "
					 "not in the other model",
					 b->views[j].name);
	for (int i = 0; i < a->nviews; i++) {
		const struct param_view *va = &a->views[i];
		int j = model_find_view(b, va->name);
		if (!same_shape(va, &b->views[j])) {
			shape_text(&b->views[j], sb, sizeof sb);
			shape_text(va, sa, sizeof sa);
			return traj_fail(err, TRAJ_EDATA, -1, "tensor '%s': "
					 "shape %s, not %s", va->name, sb, sa);
		}
		if (b->views[j].offset != va->offset)
			return traj_fail(err, TRAJ_EDATA, -1, "tensor '%s': "
					 "at another place in the model",
					 va->name);
	}
	if (a->nparams != b->nparams)
		return traj_fail(err, TRAJ_EDATA, -1, "%zu parameters, not %zu",
				 b->nparams, a->nparams);
	return 0;
}

/* The compact JSON text of x ("missing" for NULL), for messages. */
static void json_text(const cJSON *x, char *buf, size_t size)
{
	char *s = x ? cJSON_PrintUnformatted(x) : NULL;
	snprintf(buf, size, "%s", s ? s : "missing");
	free(s);
}

static int config_field_fail(const char *key, const cJSON *xa,
			     const cJSON *xb, struct traj_error *err)
{
	char ta[96], tb[96];
	json_text(xa, ta, sizeof ta);
	json_text(xb, tb, sizeof tb);
	return traj_fail(err, TRAJ_EDATA, -1, "model.%s: %s, not %s", key,
			 tb, ta);
}

static int compare_config(const cJSON *ca, const cJSON *cb,
			  struct traj_error *err);

/* The configuration with every field written (defaults filled in), or a
 * copy of it for a kind this file does not know. */
static cJSON *normalised(const cJSON *c)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(c, "kind");
	struct traj_error err;
	struct mlp_config mc;
	struct transformer_config tc;
	const char *k = cJSON_IsString(kind) ? kind->valuestring : "";
	if (strcmp(k, "mlp") == 0 && mlp_config_from_json(c, &mc, &err) == 0)
		return mlp_config_to_json(&mc);
	if (strcmp(k, "transformer") == 0 &&
	    transformer_config_from_json(c, &tc, &err) == 0)
		return transformer_config_to_json(&tc);
	return cJSON_Duplicate(c, 1);
}

static int check_config(const cJSON *cfg_a, const cJSON *cfg_b,
			struct traj_error *err)
{
	cJSON *ca = normalised(cfg_a), *cb = normalised(cfg_b);
	int rc = ca && cb ? compare_config(ca, cb, err)
			  : traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	cJSON_Delete(ca);
	cJSON_Delete(cb);
	return rc;
}

static int compare_config(const cJSON *ca, const cJSON *cb,
			  struct traj_error *err)
{
	const cJSON *x;
	cJSON_ArrayForEach(x, ca) {
		const cJSON *y = cJSON_GetObjectItemCaseSensitive(cb, x->string);
		if (!y || !cJSON_Compare(x, y, 1))
			return config_field_fail(x->string, x, y, err);
	}
	cJSON_ArrayForEach(x, cb)
		if (!cJSON_GetObjectItemCaseSensitive(ca, x->string))
			return config_field_fail(x->string, NULL, x, err);
	return 0;
}

int lmc_check_models(const struct model *a, const cJSON *cfg_a,
		     const struct model *b, const cJSON *cfg_b,
		     struct traj_error *err)
{
	if (strcmp(a->kind, b->kind) != 0)
		return traj_fail(err, TRAJ_EDATA, -1, "model.kind: \"%s\", not "
				 "\"%s\"", b->kind, a->kind);
	if (check_views(a, b, err) < 0)
		return -1;
	if (cfg_a && cfg_b)
		return check_config(cfg_a, cfg_b, err);
	return 0;
}

int lmc_path(struct model *m, const float *a, const float *b, int n,
	     const struct batch *splits, int nsplits, struct eval_result *out,
	     struct traj_error *err)
{
	if (n < 2)
		return traj_fail(err, TRAJ_EUSAGE, -1, "a line needs at least "
				 "2 points, not %d", n);
	for (int i = 0; i < n; i++) {
		lmc_blend(m->params, a, b, m->nparams, lmc_t(i, n));
		for (int s = 0; s < nsplits; s++)
			if (model_evaluate(m, &splits[s],
					   &out[(size_t)i * (size_t)nsplits +
						(size_t)s], err) < 0)
				return -1;
	}
	return 0;
}

void lmc_barrier(const double *y, int n, struct lmc_barrier *out)
{
	*out = (struct lmc_barrier){ NAN, NAN, NAN };
	if (n < 2)
		return;
	for (int i = 0; i < n; i++)
		if (!isfinite(y[i]))
			return;
	double y0 = y[0], y1 = y[n - 1], top = y0;
	out->height = 0.0;
	out->t = 0.0;
	for (int i = 1; i < n - 1; i++) { /* the ends rise by 0 */
		double t = lmc_t(i, n);
		/* y0 + t (y1 - y0): exactly y0 everywhere when y0 == y1 */
		double rise = y[i] - (y0 + t * (y1 - y0));
		if (rise > out->height) {
			out->height = rise;
			out->t = t;
		}
	}
	for (int i = 1; i < n; i++)
		if (y[i] > top)
			top = y[i];
	out->above_mean = top - 0.5 * (y0 + y1);
}

void lmc_path_barriers(const struct eval_result *path, int n, int nsplits,
		       int s, double *scratch, struct lmc_barrier *loss,
		       struct lmc_barrier *error)
{
	for (int i = 0; i < n; i++)
		scratch[i] = path[(size_t)i * (size_t)nsplits + (size_t)s].loss;
	lmc_barrier(scratch, n, loss);
	for (int i = 0; i < n; i++)
		scratch[i] = 1.0 - path[(size_t)i * (size_t)nsplits + (size_t)s].acc;
	lmc_barrier(scratch, n, error);
}

int lmc_work_path(struct lmc_work *w, struct model *m, const float *b,
		  const struct batch *splits, struct traj_error *err)
{
	if (!w->a) {
		w->a = malloc(m->nparams * sizeof *w->a);
		w->path = malloc((size_t)w->points * (size_t)w->nsplits *
				 sizeof *w->path);
		w->scratch = malloc((size_t)w->points * sizeof *w->scratch);
		if (!w->a || !w->path || !w->scratch) {
			lmc_work_free(w);
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		}
	}
	memcpy(w->a, m->params, m->nparams * sizeof *w->a);
	return lmc_path(m, w->a, b, w->points, splits, w->nsplits, w->path,
			err);
}

void lmc_work_barriers(struct lmc_work *w, int s, struct lmc_barrier *loss,
		       struct lmc_barrier *error)
{
	lmc_path_barriers(w->path, w->points, w->nsplits, s, w->scratch, loss,
			  error);
}

void lmc_work_free(struct lmc_work *w)
{
	free(w->a);
	free(w->path);
	free(w->scratch);
	w->a = NULL;
	w->path = NULL;
	w->scratch = NULL;
}
