/* The examples of an .npz in place of a split (ablate_inputs.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/convert.h"
#include "interp/ablate_inputs.h"

static const struct traj_tensor *find(const struct convert_set *k,
				      const char *a, const char *b)
{
	for (int i = 0; i < k->n; i++)
		if (strcmp(k->t[i].name, a) == 0)
			return &k->t[i];
	for (int i = 0; i < k->n; i++)
		if (strcmp(k->t[i].name, b) == 0)
			return &k->t[i];
	return NULL;
}

static int64_t label_at(const struct traj_tensor *y, int64_t i)
{
	return y->dtype == TRAJ_I32 ? ((const int32_t *)y->data)[i] :
				      ((const int64_t *)y->data)[i];
}

/* Checks the arrays' shapes and values; returns n, or -1 with err set. */
static int64_t check(const char *path, const struct traj_tensor *x,
		     const struct traj_tensor *y, const struct dataset *d,
		     struct traj_error *err)
{
	if (!x || !y)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: no array '%s'",
				 path, !x ? "adv" : "label");
	if (x->dtype != TRAJ_F32 || x->rank != 2 || x->shape[1] != d->n_inputs ||
	    x->shape[0] < 1 || x->shape[0] > INT32_MAX)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: '%s' is not float32 "
				 "(n, %d) with n >= 1", path, x->name,
				 d->n_inputs);
	int64_t n = x->shape[0];
	if ((y->dtype != TRAJ_I32 && y->dtype != TRAJ_I64) || y->rank != 1 ||
	    y->shape[0] != n)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: '%s' is not int32 or "
				 "int64 (%lld)", path, y->name, (long long)n);
	const float *v = x->data;
	for (int64_t i = 0; i < n * d->n_inputs; i++)
		if (!isfinite(v[i]))
			return traj_fail(err, TRAJ_EDATA, -1, "%s: '%s' element %lld "
					 "is not finite", path, x->name,
					 (long long)i);
	for (int64_t i = 0; i < n; i++)
		if (label_at(y, i) < 0 || label_at(y, i) >= d->n_classes)
			return traj_fail(err, TRAJ_EDATA, -1, "%s: '%s'[%lld] = "
					 "%lld is not a class in [0, %d)", path,
					 y->name, (long long)i,
					 (long long)label_at(y, i), d->n_classes);
	return n;
}

int ablate_inputs_load(const char *path, const struct dataset *d,
		       struct split *sp, struct traj_error *err)
{
	if (d->vocab > 0 || d->n_outputs != 1)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%s: the model's input "
				 "is tokens; only a dense-input classifier can "
				 "be ablated on given inputs", path);
	struct convert_set k = {0};
	if (convert_import(CONVERT_NPZ, path, &k, err) < 0)
		return -1;
	const struct traj_tensor *x = find(&k, "adv", "x");
	const struct traj_tensor *y = find(&k, "label", "y");
	int64_t n = check(path, x, y, d, err);
	float *f = NULL;
	int32_t *l = NULL;
	if (n > 0) {
		f = malloc((size_t)n * d->n_inputs * sizeof *f);
		l = malloc((size_t)n * sizeof *l);
		if (!f || !l) {
			free(f);
			free(l);
			n = traj_fail(err, TRAJ_ENOMEM, -1, "%s: out of memory",
				      path);
		}
	}
	if (n > 0) {
		memcpy(f, x->data, (size_t)n * d->n_inputs * sizeof *f);
		for (int64_t i = 0; i < n; i++)
			l[i] = (int32_t)label_at(y, i);
		free(sp->tokens);
		free(sp->features);
		free(sp->labels);
		free(sp->repeat);
		*sp = (struct split){ .n = n, .features = f, .labels = l };
	}
	convert_set_free(&k);
	return n > 0 ? 0 : -1;
}
