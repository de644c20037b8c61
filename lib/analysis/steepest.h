/* The steepest change of a series over log-step: for every point j, the
 * change v(j) - v(i) from the earliest point i at most `window` decades
 * before it (log10 of the step, step 0 counted as step 1); the largest in
 * magnitude wins. That is the steepest mean slope d v / d log10(step) over
 * a window of that width. Online, with memory for the points of one window
 * only; the answer is known at the end of the series. Non-finite values
 * are ignored. */
#ifndef TRAJ_STEEPEST_H
#define TRAJ_STEEPEST_H

#include <stdint.h>

struct steep_point { int64_t step; double value; };

struct steepest {
	struct steep_point *ring; /* the points of the current window */
	int cap, head, n;
	int have;                 /* a best window was found */
	int64_t from, to, mid;    /* its first, last and half-way steps */
	double before, after;
};

void steepest_init(struct steepest *s);
void steepest_free(struct steepest *s);
/* Adds a point (steps increasing). Returns -1 when out of
 * memory, else 0. */
int steepest_add(struct steepest *s, double window, int64_t step, double value);

#endif
