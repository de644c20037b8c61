#include "analysis/steepest.h"

#include <math.h>
#include <string.h>

static double log_step(int64_t step)
{
	return log10(step > 1 ? (double)step : 1.0);
}

void steepest_find(const struct cp_point *p, int n, double *work,
		   double window, int rising, struct steep_window *out)
{
	double sign = rising ? 1 : -1, best = 0;
	int bi = -1, bj = -1;
	memset(out, 0, sizeof *out);
	for (int i = 0, j = 0; j < n; j++) {
		while (log_step(p[j].step) - log_step(p[i].step) > window)
			i++;
		double d = sign * (p[j].value - p[i].value);
		if (d > best) {
			best = d;
			bi = i;
			bj = j;
		}
	}
	if (bi < 0)
		return;
	out->have = 1;
	out->from = p[bi].step;
	out->to = p[bj].step;
	out->before = p[bi].value;
	out->after = p[bj].value;
	/* the middle of the ramp that best fits the points, when the window
	 * holds that middle and 3/4 of the ramp's height (the change is one
	 * steep stretch): all the points speak, and the levels either side
	 * are known from all of them (fitted to the window alone, a ramp of
	 * 50 points in noise of 1/5 of its height was 2 checkpoints off at
	 * the median, not 1); else, as in a change of two stages, a slow one
	 * and a sudden one, the middle of the ramp that best fits the window
	 * and half its width either side */
	int i1, i2;
	changepoint_ramp_fit(p, n, work, &i1, &i2);
	int mid = (i1 + i2 + 1) / 2;
	double lo_level = 0, hi_level = 0;
	for (int k = 0; k <= i1; k++)
		lo_level += p[k].value / (i1 + 1);
	for (int k = i2; k < n; k++)
		hi_level += p[k].value / (n - i2);
	if (mid < bi || mid > bj || best < 0.75 * fabs(hi_level - lo_level)) {
		int lo = bi - (bj - bi) / 2, hi = bj + (bj - bi) / 2;
		lo = lo < 0 ? 0 : lo;
		hi = hi >= n ? n - 1 : hi;
		changepoint_ramp_fit(p + lo, hi - lo + 1, work, &i1, &i2);
		mid = lo + (i1 + i2 + 1) / 2;
	}
	out->mid = p[mid].step;
}
