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
	/* the middle of the ramp that best fits the window: all its points
	 * speak, not only the two at its ends */
	int lo = bi - (bj - bi) / 2, hi = bj + (bj - bi) / 2;
	lo = lo < 0 ? 0 : lo;
	hi = hi >= n ? n - 1 : hi;
	int i1, i2;
	changepoint_ramp_fit(p + lo, hi - lo + 1, work, &i1, &i2);
	out->mid = p[lo + (i1 + i2 + 1) / 2].step;
}
