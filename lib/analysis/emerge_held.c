/* Changes found early in a series, held back until it has enough points
 * to know its noise (EMERGE_JUDGE_WINDOWS, emerge.h).
 *
 * Why: the noise of the first few tens of points of correlated noise is
 * mostly underestimated (their means vary less than those of a long
 * stretch of it), and a change found there stands out of that noise by
 * 5 to 16 s.d. that it does not have: on flat AR(1) noise of correlation
 * 0.8, every false event came in points 31-60. Judged again at point 96
 * against the noise of all of them, such a change falls back into it; a
 * true one stays out. The detector is not held meanwhile: holding it
 * would make one change of two that come before the judgement. */
#include "analysis/emerge_impl.h"

#include <math.h>
#include <string.h>

static int64_t judging_point(const struct emerge *e)
{
	return (int64_t)EMERGE_JUDGE_WINDOWS * e->o->cp.window;
}

int emerge_past_judging(const struct emerge *e, const struct series *s)
{
	return s->cp.seen >= judging_point(e);
}

int emerge_holds(const struct emerge *e, const struct series *s,
		 const struct changepoint_change *c)
{
	return s->cp.seen < judging_point(e) && c->z < EMERGE_SURE_Z &&
	       s->nearly < EMERGE_EARLY_MAX;
}

void emerge_hold(const struct emerge *e, struct series *s,
		 const struct changepoint_change *c, int announced,
		 int64_t first, int64_t at)
{
	struct early_change *x = &s->early[s->nearly++];
	memset(x, 0, sizeof *x);
	x->kind = c->kind;
	x->step = c->step;
	x->from = c->from;
	x->to = c->to;
	x->before = c->before;
	x->after = c->after;
	x->z = c->z;
	x->noise = c->noise.sigma;
	x->n_before = c->n_before;
	x->n_after = c->n_after;
	x->announced = announced;
	x->announced_step = x->announced ? s->announced_step : 0;
	x->first = first;
	x->at = at;
	if (c->kind != CP_SPIKE && e->o->steepest)
		steepest_find(c->points, c->npoints, c->work, e->o->window,
			      c->kind == CP_RISE, &x->steep);
}

/* How far the held change x stands out of the noise ne: a rise or fall
 * by its levels' difference against their standard error, a spike by its
 * peak against one point's s.d. */
static double rejudge(const struct early_change *x, const struct noise_est *ne)
{
	double d = fabs(x->after - x->before);
	double se = x->kind == CP_SPIKE
		? ne->point
		: ne->tau * sqrt(1.0 / x->n_before + 1.0 / x->n_after);
	if (se > 0)
		return d / se;
	return d > 0 ? INFINITY : 0;
}

void emerge_offer_steepest(struct series *s, const struct steep_window *w,
			   double z, double noise)
{
	if (w->have && (!s->steep.have || fabs(w->after - w->before) >
					  fabs(s->steep.after - s->steep.before))) {
		s->steep = *w;
		s->steep_z = z;
		s->steep_noise = noise;
	}
}

int emerge_judge_early(const struct emerge *e, struct series *s,
		       emerge_emit emit, void *ctx)
{
	int n = s->nearly;
	s->nearly = 0;
	if (!n)
		return 0;
	/* the changes found taken out (the held ones too: true or not, a
	 * held change would otherwise count as noise against itself), and
	 * the points of a change under way */
	struct changepoint *cp = &s->cp;
	struct noise_est ne;
	int known = changepoint_noise_without(cp, &e->o->cp, cp->levels, cp->nlevels,
					      cp->moving ? cp->nkept : 0, &ne) == 0;
	for (int i = 0; i < n; i++) {
		const struct early_change *x = &s->early[i];
		double z = known ? rejudge(x, &ne) : x->z;
		double noise = known ? ne.sigma : x->noise;
		int kept = z >= e->o->cp.threshold;
		if (kept && x->kind != CP_SPIKE && e->o->steepest)
			emerge_offer_steepest(s, &x->steep, z, noise);
		if (!e->o->changepoint || (!kept && !x->announced) || !emit)
			continue;
		struct emerge_event ev = {
			s->run, s->metric, x->step, emerge_kinds[x->kind], x->before,
			x->after, x->from, x->to, "changepoint", z, noise,
		};
		if (!kept) {
			ev.step = x->announced_step;
			ev.kind = "retract";
			ev.from = x->first;
			ev.to = x->at;
		}
		int rc = emit(&ev, ctx);
		if (rc)
			return rc;
	}
	return 0;
}
