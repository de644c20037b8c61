#include "analysis/changepoint.h"

/* points between two estimates of the noise */
#define NOISE_EVERY 8

#include <math.h>
#include <stdlib.h>
#include <string.h>

int changepoint_init(struct changepoint *c, const struct changepoint_opts *o,
		     struct traj_error *err)
{
	memset(c, 0, sizeof *c);
	c->cap = 32 * o->window;
	c->ring = malloc((size_t)c->cap * sizeof *c->ring);
	c->scratch = malloc(3 * (size_t)c->cap * sizeof *c->scratch);
	if (!c->ring || !c->scratch) {
		changepoint_free(c);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	return 0;
}

void changepoint_free(struct changepoint *c)
{
	free(c->ring);
	free(c->kept);
	free(c->ramp_work);
	free(c->scratch);
	memset(c, 0, sizeof *c);
}

void changepoint_reset(struct changepoint *c)
{
	c->head = c->n = c->seg_n = c->moving = c->nkept = 0;
	c->seen = 0;
	c->have_noise = 0;
	c->nlevels = 0;
}

/* The i-th newest point (0: the last one added). */
static const struct cp_point *back(const struct changepoint *c, int i)
{
	return &c->ring[(c->head + c->n - 1 - i) % c->cap];
}

/* The mean of the points back(from) .. back(from + len - 1). */
static double mean_back(const struct changepoint *c, int from, int len)
{
	/* the ring index of back(from + len - 1), then forwards: no division
	 * per point (this loop is most of the detector's time) */
	int at = (c->head + c->n - from - len) % c->cap;
	double s = 0;
	for (int k = 0; k < len; k++) {
		s += c->ring[at].value;
		if (++at == c->cap)
			at = 0;
	}
	return s / len;
}

static void push(struct changepoint *c, int64_t step, double x)
{
	if (c->n == c->cap) {
		c->head = (c->head + 1) % c->cap;
		c->n--;
	}
	c->ring[(c->head + c->n) % c->cap] = (struct cp_point){step, x};
	c->n++;
	if (c->seg_n < c->n)
		c->seg_n++;
}

int changepoint_keep(struct changepoint *c, const struct cp_point *p,
		     struct traj_error *err)
{
	if (c->nkept == c->kept_cap) {
		int cap = c->kept_cap ? 2 * c->kept_cap : 64;
		struct cp_point *k = realloc(c->kept, (size_t)cap * sizeof *k);
		if (!k)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		c->kept = k;
		double *w = realloc(c->ramp_work,
				    CHANGEPOINT_RAMP_WORK(cap) * sizeof *w);
		if (!w)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		c->ramp_work = w;
		c->kept_cap = cap;
	}
	c->kept[c->nkept++] = *p;
	return 0;
}

/* Forgets the changes whose points have all left the ring: moving every
 * point by the same height changes nothing. */
static void prune_levels(struct changepoint *c)
{
	if (c->n == 0) {
		c->nlevels = 0;
		return;
	}
	int64_t oldest = back(c, c->n - 1)->step;
	int k = 0;
	for (int i = 0; i < c->nlevels; i++)
		if (oldest <= c->levels[i].skip_last || oldest < c->levels[i].shift_at)
			c->levels[k++] = c->levels[i];
	c->nlevels = k;
}

/* The noise of the points in the ring but the `skip` newest, the changes
 * found among them taken out. */
static int estimate_noise(struct changepoint *c, const struct changepoint_opts *o,
			  int skip)
{
	struct noise_est ne;
	prune_levels(c);
	if (changepoint_noise_without(c, o, c->levels, c->nlevels, skip, &ne) < 0)
		return -1;
	c->noise = ne;
	c->have_noise = 1;
	c->noise_seen = c->seen;
	return 0;
}

int changepoint_noise(struct changepoint *c, const struct changepoint_opts *o,
		      struct noise_est *out)
{
	/* The noise changes slowly; estimating it costs O(16 W) per call,
	 * too much for every point of every series. While a change is under
	 * way, the noise is that of the series before it: the change itself
	 * would pass for noise. */
	if (!c->have_noise ||
	    (!c->moving && c->seen - c->noise_seen >= NOISE_EVERY))
		if (estimate_noise(c, o, 0) < 0)
			return -1;
	*out = c->noise;
	return 0;
}

/* |d| / se, where se may be 0 (a perfectly flat series): any change is
 * then infinitely significant and min_delta alone decides. */
static double zscore(double d, double se)
{
	if (se > 0)
		return fabs(d) / se;
	return d != 0 ? INFINITY : 0;
}

/* Starts keeping the points of a change: the newest `right` points moved,
 * the `width` before them show the old level. */
static int alarm(struct changepoint *c, const struct changepoint_opts *o,
		 int right, int width, struct traj_error *err)
{
	estimate_noise(c, o, 0); /* a fresh estimate, frozen while moving */
	/* the old level from up to 2 width points, and at least 4 W: a jump
	 * seen by one point has a level of 2 W points before it, which with
	 * correlated noise is not much of a level */
	int nb = c->seg_n - right;
	int nbmax = 2 * width > 4 * o->window ? 2 * width : 4 * o->window;
	if (nb > nbmax)
		nb = nbmax;
	c->before = mean_back(c, right, nb);
	c->n_before = nb;
	c->scale = width;
	c->moving = 1;
	c->nkept = 0;
	int first = right + (width < nb ? width : nb);
	for (int i = first - 1; i >= 0; i--)
		if (changepoint_keep(c, back(c, i), err) < 0)
			return -1;
	c->since = 0;
	return 0;
}

static int watch(struct changepoint *c, const struct changepoint_opts *o,
		 struct traj_error *err)
{
	int W = o->window;
	struct noise_est ne;
	int have_noise = 0;
	if (c->seg_n < W + 1 || c->n < 2 * W)
		return 0;
	double d = back(c, 0)->value - mean_back(c, 1, W);
	if (fabs(d) >= o->min_delta) {
		have_noise = changepoint_noise(c, o, &ne) == 0;
		if (have_noise && zscore(d, ne.point) >= o->threshold)
			return alarm(c, o, 1, W, err);
	}
	for (int s = 0; s < CHANGEPOINT_SCALES; s++) {
		int w = W << s;
		if (c->seg_n < 2 * w)
			break;
		d = mean_back(c, 0, w) - mean_back(c, w, w);
		if (fabs(d) < o->min_delta / 2)
			continue;
		if (!have_noise && !(have_noise = changepoint_noise(c, o, &ne) == 0))
			return 0;
		if (zscore(d, ne.tau * sqrt(2.0 / w)) >= o->threshold)
			return alarm(c, o, w, w, err);
	}
	return 0;
}

/* Running sums of the points from index 0, for the ramp fit: sums over
 * any range in O(1). */
struct ramp_sums { double *n, *i, *ii, *x, *ix; };

#define RANGE(a, lo, hi) ((a)[hi] - (a)[lo]) /* over indices [lo, hi) */

/* The fit of a ramp from i1 to i2 (0 before i1, (i - i1) / (i2 - i1)
 * between, 1 from i2 on) to the n points: the share of their variance it
 * explains, the squared covariance of x with the ramp over the ramp's
 * variance. */
static double ramp_gain(const struct ramp_sums *s, int n, int i1, int i2)
{
	double len = i2 - i1;
	/* the ramp's values over (i1, i2): g = (i - i1) / len */
	double m0 = RANGE(s->n, i1 + 1, i2), m1 = RANGE(s->i, i1 + 1, i2);
	double m2 = RANGE(s->ii, i1 + 1, i2);
	double mx = RANGE(s->ix, i1 + 1, i2) - i1 * RANGE(s->x, i1 + 1, i2);
	double sg = (m1 - i1 * m0) / len + (n - i2);
	double sgg = (m2 - 2 * i1 * m1 + (double)i1 * i1 * m0) / (len * len) + (n - i2);
	double sxg = mx / len + RANGE(s->x, i2, n);
	double s0 = n, sx = s->x[n];
	double var = sgg - sg * sg / s0, cov = sxg - sg * sx / s0;
	return var > 0 ? cov * cov / var : 0;
}

void changepoint_ramp_fit(const struct cp_point *p, int n, double *buf,
			  int *from, int *to)
{
	*from = 0;
	*to = n > 1;
	if (n < 2)
		return;
	struct ramp_sums s = {buf, buf + n + 1, buf + 2 * (n + 1),
			      buf + 3 * (n + 1), buf + 4 * (n + 1)};
	s.n[0] = s.i[0] = s.ii[0] = s.x[0] = s.ix[0] = 0;
	for (int k = 0; k < n; k++) {
		s.n[k + 1] = k + 1;
		s.i[k + 1] = s.i[k] + k;
		s.ii[k + 1] = s.ii[k] + (double)k * k;
		s.x[k + 1] = s.x[k] + p[k].value;
		s.ix[k + 1] = s.ix[k] + k * p[k].value;
	}
	/* every ramp of a short change; of a long one, a coarse grid first,
	 * then every ramp near the best of it */
	int stride = n / 128 + 1, b1 = 0, b2 = 1;
	double best = -1;
	for (int i1 = 0; i1 < n - 1; i1 += stride)
		for (int i2 = i1 + 1; i2 < n; i2 += stride) {
			double g = ramp_gain(&s, n, i1, i2);
			if (g > best)
				best = g, b1 = i1, b2 = i2;
		}
	if (stride > 1) {
		int c1 = b1, c2 = b2;
		for (int i1 = c1 - stride; i1 <= c1 + stride; i1++)
			for (int i2 = c2 - stride; i2 <= c2 + stride; i2++) {
				if (i1 < 0 || i2 <= i1 || i2 >= n)
					continue;
				double g = ramp_gain(&s, n, i1, i2);
				if (g > best)
					best = g, b1 = i1, b2 = i2;
			}
	}
	*from = b1;
	*to = b2;
}

static void place_change(const struct changepoint *c, double after,
			 struct changepoint_change *out)
{
	double d = after - c->before, sign = d > 0 ? 1 : -1;
	/* the middle of the ramp that best fits the points (of a step, its
	 * first point at the new level) */
	int i1, i2;
	changepoint_ramp_fit(c->kept, c->nkept, c->ramp_work, &i1, &i2);
	int k = (i1 + i2 + 1) / 2;
	out->kind = d > 0 ? CP_RISE : CP_FALL;
	out->step = c->kept[k].step;
	out->from = k > 0 ? c->kept[k - 1].step : c->kept[0].step;
	for (int i = k - 1; i >= 0; i--)
		if (sign * (c->kept[i].value - (c->before + d / 4)) <= 0) {
			out->from = c->kept[i].step;
			break;
		}
	out->to = c->kept[c->nkept - 1].step;
	for (int i = k; i < c->nkept; i++)
		if (sign * (c->kept[i].value - (after - d / 4)) >= 0) {
			out->to = c->kept[i].step;
			break;
		}
	out->before = c->before;
	out->after = after;
}

/* A point far from `before` among the kept ones, when the series came
 * back: returns 1 and fills *out. */
static int find_spike(const struct changepoint *c, const struct changepoint_opts *o,
		      const struct noise_est *ne, struct changepoint_change *out)
{
	int j = 0;
	for (int i = 1; i < c->nkept; i++)
		if (fabs(c->kept[i].value - c->before) > fabs(c->kept[j].value - c->before))
			j = i;
	double d = c->kept[j].value - c->before;
	double z = zscore(d, ne->point);
	if (fabs(d) < o->min_delta || z < o->threshold)
		return 0;
	out->kind = CP_SPIKE;
	out->step = c->kept[j].step;
	out->before = c->before;
	out->after = c->kept[j].value;
	out->z = z;
	out->from = out->to = out->step;
	for (int i = j - 1; i >= 0 && fabs(c->kept[i].value - c->before) > fabs(d) / 2; i--)
		out->from = c->kept[i].step;
	for (int i = j + 1; i < c->nkept && fabs(c->kept[i].value - c->before) > fabs(d) / 2; i++)
		out->to = c->kept[i].step;
	return 1;
}

int changepoint_noise_without(struct changepoint *c, const struct changepoint_opts *o,
			      const struct cp_level_change *lc, int n,
			      int skip_newest, struct noise_est *out)
{
	double *x = c->scratch, *work = c->scratch + c->cap;
	int m = 0;
	for (int i = c->n - 1; i >= skip_newest; i--) {
		const struct cp_point *p = back(c, i);
		double v = p->value;
		int skip = 0;
		for (int j = 0; j < n; j++) {
			skip |= p->step >= lc[j].skip_first && p->step <= lc[j].skip_last;
			if (p->step >= lc[j].shift_at)
				v -= lc[j].height;
		}
		if (!skip)
			x[m++] = v;
	}
	return noise_estimate(x, m, o->window, work, out);
}

/* The noise of the levels around a change once it is over: the points of
 * the ring but those of the ramp fitted to the change (kept points i1 to
 * i2), the level after it moved back onto the level before (by the ramp's
 * height), so that each counts about its own mean (*lc: that change). A
 * change printed early in a series is then judged against the noise of
 * the level it reached as well, 2v points at least that were not there at
 * its alarm; the ramp itself, which a curve that is no ramp (a loss
 * falling as 1/t) leaves far from, is not noise. */
static int settled_noise(struct changepoint *c, const struct changepoint_opts *o,
			 int i1, int i2, struct cp_level_change *lc,
			 struct noise_est *out)
{
	int nk = c->nkept;
	double before = 0, after = 0;
	for (int k = 0; k <= i1; k++)
		before += c->kept[k].value / (i1 + 1);
	for (int k = i2; k < nk; k++)
		after += c->kept[k].value / (nk - i2);
	/* the ramp's inside, kept points i1 + 1 to i2 - 1 (none for a step) */
	*lc = (struct cp_level_change){c->kept[i1 + 1].step, c->kept[i2 - 1].step,
				       c->kept[i2].step, after - before};
	struct cp_level_change all[CHANGEPOINT_LEVELS + 1];
	prune_levels(c);
	memcpy(all, c->levels, (size_t)c->nlevels * sizeof *all);
	all[c->nlevels] = *lc;
	return changepoint_noise_without(c, o, all, c->nlevels + 1, 0, out);
}

static int settle(struct changepoint *c, const struct changepoint_opts *o,
		  struct changepoint_change *out)
{
	int v = c->scale / 2 > o->window ? c->scale / 2 : o->window;
	if (++c->since < 2 * v)
		return 0;
	struct noise_est ne;
	/* Still moving: the last v points differ significantly from the v
	 * before them, and at that pace the series would move by min_delta
	 * / 2 more in as long again as the change has lasted (a smooth,
	 * nearly noiseless curve creeping up to its asymptote is over). */
	double d = mean_back(c, 0, v) - mean_back(c, v, v);
	if (fabs(d) / v * c->nkept >= o->min_delta / 2) {
		if (changepoint_noise(c, o, &ne) < 0)
			return 0;
		if (zscore(d, ne.tau * sqrt(2.0 / v)) >= 2)
			return 0;
	}
	/* Nor is it over while the ramp that best fits its points ends
	 * among the last 2v: a slow ramp moves too little per v points to
	 * stand out of the noise, and would be cut in two. */
	int i1, i2;
	changepoint_ramp_fit(c->kept, c->nkept, c->ramp_work, &i1, &i2);
	if (c->nkept - 1 - i2 < 2 * v)
		return 0;
	changepoint_noise(c, o, &ne);
	/* decided on the noise of every point seen by now, not only of
	 * those before the alarm */
	struct noise_est all;
	struct cp_level_change level;
	if (settled_noise(c, o, i1, i2, &level, &all) == 0)
		ne = all;
	double after = mean_back(c, 0, 2 * v);
	double se = ne.tau * sqrt(1.0 / c->n_before + 1.0 / (2 * v));
	double z = zscore(after - c->before, se);
	int found = 0;
	if (fabs(after - c->before) >= o->min_delta && z >= o->threshold) {
		place_change(c, after, out);
		out->z = z;
		out->level = level;
		found = 1;
	} else {
		found = find_spike(c, o, &ne, out);
		/* its points, from the first half-way out to the last */
		if (found)
			out->level = (struct cp_level_change){out->from, out->to,
							      INT64_MAX, 0};
	}
	if (found) {
		if (c->nlevels == CHANGEPOINT_LEVELS) /* the oldest goes */
			memmove(c->levels, c->levels + 1,
				(CHANGEPOINT_LEVELS - 1) * sizeof *c->levels);
		else
			c->nlevels++;
		c->levels[c->nlevels - 1] = out->level;
		out->n_before = c->n_before;
		out->n_after = 2 * v;
		out->open = 0;
		out->noise = ne;
		out->points = c->kept;
		out->npoints = c->nkept;
		out->work = c->ramp_work;
	}
	c->moving = 0;
	c->nkept = 0;
	c->seg_n = 2 * v;
	return found;
}

int changepoint_open(struct changepoint *c, const struct changepoint_opts *o,
		     struct changepoint_change *out)
{
	if (!c->moving || c->since < 1)
		return 0;
	int v = c->scale / 2 > o->window ? c->scale / 2 : o->window;
	int na = c->since < v ? c->since : v;
	struct noise_est ne;
	if (changepoint_noise(c, o, &ne) < 0)
		return 0;
	double after = mean_back(c, 0, na);
	double se = ne.tau * sqrt(1.0 / c->n_before + 1.0 / na);
	double z = zscore(after - c->before, se);
	if (fabs(after - c->before) < o->min_delta || z < o->threshold)
		return 0;
	place_change(c, after, out);
	out->z = z;
	out->open = 1;
	out->n_before = c->n_before;
	out->n_after = na;
	out->level = (struct cp_level_change){INT64_MAX, INT64_MIN, INT64_MAX, 0};
	out->noise = ne;
	out->points = c->kept;
	out->npoints = c->nkept;
	out->work = c->ramp_work;
	return 1;
}

void changepoint_observe(struct changepoint *c, int64_t step, double x)
{
	if (isfinite(x)) {
		push(c, step, x);
		c->seen++;
	}
}

int changepoint_add(struct changepoint *c, const struct changepoint_opts *o,
		    int64_t step, double x, struct changepoint_change *out,
		    struct traj_error *err)
{
	if (!isfinite(x))
		return 0;
	push(c, step, x);
	c->seen++;
	if (!c->moving)
		return watch(c, o, err);
	if (changepoint_keep(c, back(c, 0), err) < 0)
		return -1;
	return settle(c, o, out);
}
