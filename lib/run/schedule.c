#include "run/schedule.h"

#include <math.h>

/* Index of the last log-grid point 10^(k/n) at or below x. The epsilon
 * keeps exact powers of ten (where log10 is exact) on their own point. */
static int64_t grid_index(int64_t x, int64_t per_decade)
{
	return (int64_t)floor(log10((double)x) * (double)per_decade + 1e-9);
}

/* A step is on the grid when a grid point lies in (step-1, step]. */
static int on_log_grid(int64_t step, int64_t per_decade)
{
	if (step == 1)
		return 1;
	return step > 1 &&
	       grid_index(step, per_decade) > grid_index(step - 1, per_decade);
}

int schedule_wants(const struct ckpt_schedule *s, int64_t step)
{
	if (step == 0 || step == s->last)
		return 1;
	if (s->every > 0 && step % s->every == 0)
		return 1;
	return s->per_decade > 0 && on_log_grid(step, s->per_decade);
}
