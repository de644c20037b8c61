/* Magnitude and random pruning of a mask. */
#include "interp/prune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/nameglob.h"
#include "common/rng.h"

int prune_select(const struct model *m, const struct prune_opts *o,
		 uint8_t *prunable, struct traj_error *err)
{
	int out = -1;
	for (int i = 0; i < m->nviews; i++) {
		const struct param_view *v = &m->views[i];
		prunable[i] = o->nglobs ? nameglob_match(o->globs, o->nglobs, v->name)
					: v->rank >= 2;
		if (prunable[i])
			out = i;
	}
	if (out < 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--tensors: no parameter "
				 "of the %s model matches", m->kind);
	return out;
}

/* A remaining weight: its magnitude and its place in the buffer. */
struct cand { float mag; uint32_t at; };

static int by_magnitude(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	if (a->mag != b->mag)
		return a->mag < b->mag ? -1 : 1;
	return a->at < b->at ? -1 : a->at > b->at;
}

static int64_t count_to_prune(double rate, int64_t remaining)
{
	return (int64_t)floor(rate * (double)remaining + 0.5);
}

/* The remaining weights of the views in `set` (NULL: view `one` only). */
static int64_t gather(const struct model_mask *k, const struct model *m,
		      const float *w, const uint8_t *set, int one,
		      struct cand *c)
{
	int64_t n = 0;
	for (int i = 0; i < m->nviews; i++) {
		if (set ? !set[i] : i != one)
			continue;
		const struct param_view *v = &m->views[i];
		for (size_t j = v->offset; j < v->offset + v->numel; j++)
			if (k->keep[j])
				c[n++] = (struct cand){fabsf(w[j]), (uint32_t)j};
	}
	return n;
}

/* Which view holds buffer position `at`. */
static int view_of(const struct model *m, size_t at)
{
	int i = 0;
	while (i + 1 < m->nviews && m->views[i + 1].offset <= at)
		i++;
	return i;
}

/* Prunes `p` of the n candidates: the smallest, or for the control a
 * uniform draw among them per view, in the counts the magnitudes give. */
static void prune_some(struct model_mask *k, const struct model *m,
		       struct cand *c, int64_t n, int64_t p,
		       const struct prune_opts *o, struct rng *r, int64_t *per_view)
{
	qsort(c, (size_t)n, sizeof *c, by_magnitude);
	if (!o->random) {
		for (int64_t i = 0; i < p; i++)
			k->keep[c[i].at] = 0;
		return;
	}
	memset(per_view, 0, (size_t)m->nviews * sizeof *per_view);
	for (int64_t i = 0; i < p; i++)
		per_view[view_of(m, c[i].at)]++;
	/* back to buffer order, so the draw depends on the seed only */
	for (int64_t i = 0; i < n; i++)
		c[i].mag = 0;
	qsort(c, (size_t)n, sizeof *c, by_magnitude);
	int64_t lo = 0;
	while (lo < n) {
		int v = view_of(m, c[lo].at);
		int64_t hi = lo;
		while (hi < n && view_of(m, c[hi].at) == v)
			hi++;
		for (int64_t i = 0; i < per_view[v]; i++) { /* partial Fisher-Yates */
			int64_t j = lo + i + (int64_t)rng_below(r, (uint64_t)(hi - lo - i));
			struct cand t = c[lo + i];
			c[lo + i] = c[j];
			c[j] = t;
			k->keep[c[lo + i].at] = 0;
		}
		lo = hi;
	}
}

int prune_mask(struct model_mask *k, const struct model *m, const float *w,
	       const struct prune_opts *o, struct traj_error *err)
{
	uint8_t *set = calloc((size_t)m->nviews, 1);
	struct cand *c = malloc((m->nparams ? m->nparams : 1) * sizeof *c);
	int64_t *per_view = malloc((size_t)m->nviews * sizeof *per_view);
	int rc = 0;
	if (!set || !c || !per_view) {
		rc = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for pruning");
		goto done;
	}
	int out = prune_select(m, o, set, err);
	if (out < 0) {
		rc = -1;
		goto done;
	}
	struct rng r;
	rng_seed(&r, o->seed);
	double out_rate = o->output_rate < 0 ? o->rate : o->output_rate;
	if (o->global) {
		set[out] = 0;
		int64_t n = gather(k, m, w, set, -1, c);
		prune_some(k, m, c, n, count_to_prune(o->rate, n), o, &r, per_view);
		set[out] = 1;
	}
	for (int i = 0; i < m->nviews; i++) {
		if (!set[i])
			continue;
		double rate = i == out ? out_rate : o->rate;
		if (!o->global || i == out) {
			int64_t n = gather(k, m, w, NULL, i, c);
			prune_some(k, m, c, n, count_to_prune(rate, n), o, &r,
				   per_view);
		}
		k->masked[i] = 1;
		if (mask_kept(k, m, i) == 0) {
			rc = traj_fail(err, TRAJ_EDATA, -1, "pruning '%s' at rate "
				       "%g leaves no weight of %zu", m->views[i].name,
				       rate, m->views[i].numel);
			goto done;
		}
	}
done:
	free(set);
	free(c);
	free(per_view);
	return rc;
}
