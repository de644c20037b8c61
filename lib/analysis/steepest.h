/* The steepest change of a series over log-step: for every point j, the
 * change v(j) - v(i) from the earliest point i at most `window` decades
 * before it (log10 of the step, step 0 counted as step 1); the largest in
 * the given direction wins. That is the steepest mean slope
 * d v / d log10(step) over a window of that width.
 *
 * It is placed at the middle of the ramp fitted to all the n points
 * (changepoint_ramp_fit) when the window holds that middle and 3/4 of the
 * ramp's height (the change is one steep stretch), else at the middle of
 * the ramp fitted to the window and half its width either side (the
 * sudden stage of a change of two, slow then sudden).
 *
 * traj-emerge looks for it among the points of each significant change
 * its change-point detector found (analysis/changepoint.h), so that noise
 * alone never makes a steepest change, and keeps the steepest over the
 * series. */
#ifndef TRAJ_STEEPEST_H
#define TRAJ_STEEPEST_H

#include <stdint.h>

#include "analysis/changepoint.h"

struct steep_window {
	int have;
	int64_t from, to, mid;    /* first, last and half-way steps */
	double before, after;
};

/* The steepest rise (rising != 0) or fall among the n points p (steps
 * increasing); out->have is 0 when there is none. work: the
 * CHANGEPOINT_RAMP_WORK(n) doubles of changepoint_ramp_fit. */
void steepest_find(const struct cp_point *p, int n, double *work,
		   double window, int rising, struct steep_window *out);

#endif
