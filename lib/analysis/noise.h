/* The noise of a metric series, estimated robustly (medians of absolute
 * deviations, so a trend, a jump or a few outliers hardly move it) and
 * without assuming the noise is independent from point to point: training
 * curves are smooth, a checkpoint's error is much like its neighbour's,
 * and a test that assumes white noise then sees changes everywhere.
 *
 * From the n recent values x and the window w of the test that will use
 * it:
 *   sigma  the s.d. of one point from the differences of neighbours,
 *          1.4826 MAD(x[t+1] - x[t]) / sqrt 2 (the classic estimate;
 *          it is what traj-emerge prints as NOISE);
 *   point  the s.d. of a point's deviation from the mean of the w points
 *          before it, and from the mean of the 4w before it, measured on
 *          the series itself (MAD of those deviations), at least sigma
 *          sqrt(1 + 1/w);
 *   tau    the long-run s.d.: sqrt(u / 2) times the s.d. of the difference
 *          between the means of two neighbouring u-point windows, measured
 *          on the series (MAD), the larger of u = w and u = 2w, and at
 *          least sigma. Means over u >= w points then differ with s.d.
 *          tau sqrt(2 / u). For white noise tau = sigma; for correlated
 *          noise it is larger, by as much as the correlation inflates the
 *          windows' means; and then raised by 3 / neff of itself, neff =
 *          n (s / tau)^2 the independent points among the n, s the
 *          marginal s.d. (a t-test's margin for a scale known from few
 *          of them).
 * The variogram at lags 1 and 2 (MADs of x[t+1] - x[t], x[t+2] - x[t])
 * gives the lag-1 correlation rho of AR(1) noise (their variances' ratio
 * is 1 + rho), hence s; a ratio above 3 is a curve's, not noise's (rho 0).
 * tau is at most what correlation 0.9 would make of the lag-1 variogram:
 * window means that differ by more are a curve's. 
 * Each MAD is times 1.4826, the s.d. of a normal sample. When more than
 * half the deviations are 0 (quantised values), the mean absolute
 * deviation (times sqrt(pi / 2)) speaks instead. With few points the
 * measured contrasts are few and loose; the floors keep the white-noise
 * estimate as the least. */
#ifndef TRAJ_NOISE_H
#define TRAJ_NOISE_H

struct noise_est {
	double sigma;   /* s.d. of one point, from neighbours */
	double point;   /* s.d. of a point against the mean of the w before it */
	double tau;     /* long-run s.d.: an n-point mean has tau / sqrt(n) */
};

/* Estimates from the n values x (in order) for windows of w points.
 * Returns 0, or -1 when n < 4 (*out is then all NaN). `scratch` holds at
 * least 2 n doubles. */
int noise_estimate(const double *x, int n, int w, double *scratch,
		   struct noise_est *out);

#endif
