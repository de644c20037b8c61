/* Parameter masks: loading from tensors, applying, counting. */
#include "model/mask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mask_init(struct model_mask *k, const struct model *m,
	      struct traj_error *err)
{
	memset(k, 0, sizeof *k);
	k->n = m->nparams;
	k->nviews = m->nviews;
	k->keep = malloc(m->nparams ? m->nparams : 1);
	k->masked = calloc((size_t)(m->nviews ? m->nviews : 1), 1);
	if (!k->keep || !k->masked) {
		mask_free(k);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for a mask");
	}
	memset(k->keep, 1, m->nparams);
	return 0;
}

void mask_free(struct model_mask *k)
{
	free(k->keep);
	free(k->masked);
	memset(k, 0, sizeof *k);
}

static void format_shape(char *buf, size_t len, int rank, const int64_t *shape)
{
	size_t at = (size_t)snprintf(buf, len, "[");
	for (int i = 0; i < rank && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%lld", i ? "," : "",
				       (long long)shape[i]);
	if (at < len)
		snprintf(buf + at, len - at, "]");
}

/* Checks one mask tensor against view v; -1 with err naming it. */
static int check_tensor(const struct traj_tensor *t, const struct param_view *v,
			struct traj_error *err)
{
	if (t->dtype != TRAJ_U8)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "mask tensor '%s': dtype %s, expected u8",
				 t->name, dtype_name(t->dtype));
	int same = t->rank == v->rank;
	for (int i = 0; same && i < v->rank; i++)
		same = t->shape[i] == v->shape[i];
	if (!same) {
		char got[128], want[128];
		format_shape(got, sizeof got, t->rank, t->shape);
		format_shape(want, sizeof want, v->rank, v->shape);
		return traj_fail(err, TRAJ_EDATA, -1,
				 "mask tensor '%s': shape %s, the parameter's "
				 "is %s", t->name, got, want);
	}
	const uint8_t *b = t->data;
	size_t kept = 0;
	for (size_t j = 0; j < v->numel; j++) {
		if (b[j] > 1)
			return traj_fail(err, TRAJ_EDATA, -1,
					 "mask tensor '%s': element %zu is %u, "
					 "expected 0 or 1", t->name, j, b[j]);
		kept += b[j];
	}
	if (!kept)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "mask tensor '%s': keeps no parameter "
				 "(density 0)", t->name);
	return 0;
}

int mask_load(struct model_mask *k, const struct model *m,
	      const struct traj_tensor *t, int n, struct traj_error *err)
{
	const size_t plen = strlen(MASK_PREFIX);
	int found = 0;
	for (int pass = 0; pass < 2; pass++) {  /* check all, then copy */
		for (int j = 0; j < n; j++) {
			if (strncmp(t[j].name, MASK_PREFIX, plen) != 0)
				continue;
			int i = model_find_view(m, t[j].name + plen);
			if (i < 0)
				return traj_fail(err, TRAJ_EDATA, -1,
						 "mask tensor '%s': the model has "
						 "no parameter '%s'", t[j].name,
						 t[j].name + plen);
			const struct param_view *v = &m->views[i];
			if (pass == 0) {
				if (check_tensor(&t[j], v, err) < 0)
					return -1;
				found++;
				continue;
			}
			memcpy(k->keep + v->offset, t[j].data, v->numel);
			k->masked[i] = 1;
		}
	}
	return found;
}

void mask_apply(const struct model_mask *k, const struct model *m, float *x)
{
	for (int i = 0; i < m->nviews; i++) {
		if (!k->masked[i])
			continue;
		const struct param_view *v = &m->views[i];
		const uint8_t *keep = k->keep + v->offset;
		float *y = x + v->offset;
		for (size_t j = 0; j < v->numel; j++)
			y[j] = keep[j] ? y[j] : 0.0f;
	}
}

int mask_count(const struct model_mask *k)
{
	int c = 0;
	for (int i = 0; i < k->nviews; i++)
		c += k->masked[i];
	return c;
}

int64_t mask_kept(const struct model_mask *k, const struct model *m, int i)
{
	const struct param_view *v = &m->views[i];
	int64_t c = 0;
	for (size_t j = 0; j < v->numel; j++)
		c += k->keep[v->offset + j];
	return c;
}

int64_t mask_nonzero(const struct model *m, const float *x, int i)
{
	const struct param_view *v = &m->views[i];
	int64_t c = 0;
	for (size_t j = 0; j < v->numel; j++)
		c += x[v->offset + j] != 0.0f;
	return c;
}

int mask_view_tensor(const struct model_mask *k, const struct model *m,
		     int i, struct traj_tensor *out)
{
	const struct param_view *v = &m->views[i];
	memset(out, 0, sizeof *out);
	if (snprintf(out->name, sizeof out->name, MASK_PREFIX "%s", v->name) >=
	    (int)sizeof out->name)
		return -1;
	out->dtype = TRAJ_U8;
	out->rank = v->rank;
	memcpy(out->shape, v->shape, sizeof v->shape);
	out->data = k->keep + v->offset;
	out->borrowed = 1;
	return 0;
}

cJSON *mask_densities_json(const struct model_mask *k, const struct model *m)
{
	cJSON *o = cJSON_CreateObject();
	int64_t kept = 0, all = 0;
	for (int i = 0; o && i < m->nviews; i++) {
		if (!k->masked[i])
			continue;
		int64_t c = mask_kept(k, m, i);
		kept += c;
		all += (int64_t)m->views[i].numel;
		if (!cJSON_AddNumberToObject(o, m->views[i].name,
					     (double)c / (double)m->views[i].numel)) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	if (o && !cJSON_AddNumberToObject(o, "total",
					  all ? (double)kept / (double)all : 1.0)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
