/* An online change-point detector for one noisy series: a two-sided
 * CUSUM (Page 1954) on the level of the series, restarted after every
 * alarm. Each segment begins with `warmup` points that set its level mu
 * (their mean) and noise sigma (the standard deviation of their first
 * differences over sqrt 2, which a steady trend does not inflate); later
 * points within 3 s of the level refine both (self-starting). Then,
 * with s = max(sigma, min_delta / 2), k = s / 2 and h = threshold * s:
 *
 *   up   = max(0, up   + x - mu - k)    alarm "rise" when up   > h
 *   down = max(0, down + mu - x - k)    alarm "fall" when down > h
 *
 * The change is placed at the first point of the run that made the sum
 * grow from zero. (traj-emerge also drops alarms whose levels before and
 * after differ by less than min_delta.) A shift of min_delta is reported about 4 points after it
 * happens (threshold 5); a shift below min_delta / 4 never is. On pure
 * Gaussian noise with min_delta 0 the mean run length between false
 * alarms would be that of CUSUM with k = 0.5, h = 5 with known mu and
 * sigma, about 470 points for the two sides together (Siegmund's
 * approximation); estimating them makes it ~350 (measured in
 * test_emerge.c), and 40% of 120-point noise series get a false event.
 * With min_delta at 5 noise s.d. or more, noise alone practically never
 * raises one. */
#ifndef TRAJ_CHANGEPOINT_H
#define TRAJ_CHANGEPOINT_H

#include <stdint.h>

struct cusum_opts {
	int warmup;          /* points that start each segment, >= 2 */
	double threshold;    /* h in units of s */
	double min_delta;    /* the smallest change of interest, >= 0 */
};

/* One side of the CUSUM: its sum and the run of points since it left 0. */
struct cusum_side {
	double sum;
	int64_t start;       /* first step of the current run */
	int64_t before;      /* the last step before it */
	double run_sum;      /* sum of the run's values */
	int64_t run_n;
};

struct cusum {
	int n;               /* points seen in the segment */
	double warm_sum, prev, dsum, dsq;
	int64_t prev_step;
	double mu, s;
	struct cusum_side up, down;
};

struct cusum_change {
	int rise;            /* 1 rise, 0 fall */
	int64_t step;        /* first step at the new level */
	int64_t from;        /* the last step at the old level */
	int64_t to;          /* the step that raised the alarm */
	double before, after;
};

void changepoint_cusum_reset(struct cusum *c);
/* Adds one point; returns 1 and fills *out when it raises an alarm (the
 * detector then starts a new segment), else 0. Non-finite points are ignored. */
int changepoint_cusum_add(struct cusum *c, const struct cusum_opts *o, int64_t step,
	      double x, struct cusum_change *out);

#endif
