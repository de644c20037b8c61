#include "analysis/changepoint.h"

#include <math.h>
#include <string.h>

void changepoint_cusum_reset(struct cusum *c)
{
	memset(c, 0, sizeof *c);
}

static void side_restart(struct cusum_side *side, int64_t step)
{
	side->sum = 0;
	side->before = step;
	side->start = -1;
	side->run_sum = 0;
	side->run_n = 0;
}

/* The level and noise of the segment from its points so far. */
static void estimate(struct cusum *c, const struct cusum_opts *o)
{
	int nd = c->n - 1;
	double mean_d = c->dsum / nd;
	double var_d = nd > 1 ? (c->dsq - nd * mean_d * mean_d) / (nd - 1) : 0;
	double sigma = sqrt(var_d > 0 ? var_d / 2 : 0);
	c->mu = c->warm_sum / c->n;
	c->s = fmax(sigma, o->min_delta / 2);
	/* A perfectly flat segment with no floor: any change is a change,
	 * but a round-off wiggle is not. */
	if (c->s == 0)
		c->s = 1e-9 * fmax(1, fabs(c->mu));
}

/* Takes a point into the segment's statistics. */
static void absorb(struct cusum *c, int64_t step, double x)
{
	if (c->n > 0) {
		double d = x - c->prev;
		c->dsum += d;
		c->dsq += d * d;
	}
	c->warm_sum += x;
	c->n++;
	c->prev = x;
	c->prev_step = step;
}

static void warm(struct cusum *c, const struct cusum_opts *o, int64_t step,
		 double x)
{
	absorb(c, step, x);
	if (c->n < o->warmup)
		return;
	estimate(c, o);
	side_restart(&c->up, step);
	side_restart(&c->down, step);
}

/* Updates one side with the excess e (already centred and drifted);
 * returns 1 on an alarm. */
static int side_add(struct cusum_side *side, double e, double h, int64_t step,
		    double x)
{
	side->sum += e;
	if (side->sum <= 0) {
		side_restart(side, step);
		return 0;
	}
	if (side->start < 0)
		side->start = step;
	side->run_sum += x;
	side->run_n++;
	return side->sum > h;
}

static void fill_change(const struct cusum *c, const struct cusum_side *side,
			int rise, int64_t step, struct cusum_change *out)
{
	out->rise = rise;
	out->step = side->start;
	out->from = side->before;
	out->to = step;
	out->before = c->mu;
	out->after = side->run_sum / (double)side->run_n;
}

int changepoint_cusum_add(struct cusum *c, const struct cusum_opts *o, int64_t step,
	      double x, struct cusum_change *out)
{
	if (!isfinite(x))
		return 0;
	if (c->n < o->warmup) {
		warm(c, o, step, x);
		return 0;
	}
	double k = c->s / 2, h = o->threshold * c->s;
	int up = side_add(&c->up, x - c->mu - k, h, step, x);
	int down = side_add(&c->down, c->mu - x - k, h, step, x);
	if (up || down) {
		fill_change(c, up ? &c->up : &c->down, up, step, out);
		changepoint_cusum_reset(c);
		/* The alarm point already belongs to the new level. */
		warm(c, o, step, x);
		return 1;
	}
	/* Self-starting: in-control points sharpen the estimates, so an
	 * unlucky warm-up does not decide the whole segment; points far
	 * from the level (a change under way) must not move them. */
	if (fabs(x - c->mu) <= 3 * c->s) {
		absorb(c, step, x);
		estimate(c, o);
	}
	return 0;
}
