#include "analysis/noise.h"

#include <math.h>

/* 1 / Phi^-1(3/4): the MAD of a normal sample times this is its s.d. */
#define MAD_TO_SD 1.482602218505602
/* the largest correlation read from the variogram: beyond it the noise
 * is a random walk to this estimate, its long-run s.d. unbounded */
#define NOISE_RHO_MAX 0.9
/* g2 / g1 - 1 beyond which the variogram is a curve's: stationary noise
 * has g2 <= 4 g1 (a straight line's is 4 g1), positively correlated noise
 * g2 <= 2 g1, read from 32 points of AR(1) 0.8 as up to about 2.5 g1 */
#define NOISE_CURVE 2.0

static void swap(double *a, double *b)
{
	double t = *a;
	*a = *b;
	*b = t;
}

/* The k-th smallest of v[0..n-1] (Hoare's selection; reorders v). */
static double select_kth(double *v, int n, int k)
{
	int lo = 0, hi = n - 1;
	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		int i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j)
				swap(&v[i++], &v[j--]);
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

static double median(double *v, int n)
{
	double hi = select_kth(v, n, n / 2);
	if (n % 2)
		return hi;
	/* after selection, everything below n/2 is <= hi */
	double lo = v[0];
	for (int i = 1; i < n / 2; i++)
		if (v[i] > lo)
			lo = v[i];
	return (lo + hi) / 2;
}

/* The s.d. of the m values d (reordered), from their MAD about their
 * median; when more than half of them equal the median (quantised values)
 * the MAD is 0 and the mean absolute deviation (times sqrt(pi/2)) speaks
 * instead. */
static double robust_sd(double *d, int m)
{
	double med = median(d, m);
	double mean_abs = 0;
	for (int i = 0; i < m; i++) {
		d[i] = fabs(d[i] - med);
		mean_abs += d[i];
	}
	double mad = median(d, m);
	if (mad > 0)
		return MAD_TO_SD * mad;
	return sqrt(M_PI / 2) * mean_abs / m;
}

int noise_estimate(const double *x, int n, int w, double *scratch,
		   struct noise_est *out)
{
	if (n < 4) {
		*out = (struct noise_est){NAN, NAN, NAN};
		return -1;
	}
	double *d = scratch, *prefix = scratch + n;
	for (int i = 0; i + 1 < n; i++)
		d[i] = x[i + 1] - x[i];
	/* A scale estimated from m values is off by about 1/sqrt(m) of
	 * itself; erring upwards by as much keeps short series from seeing
	 * changes in their own noise. */
	double g1 = robust_sd(d, n - 1), g2 = 0;
	g1 *= g1 / 2;
	double sigma = sqrt(g1) * (1 + 1 / sqrt(n - 1));
	out->sigma = sigma;
	out->point = sigma * sqrt(1 + 1.0 / w);
	out->tau = sigma;
	/* The variogram at lags 1 and 2: for AR(1) noise of correlation rho
	 * and marginal variance s^2, s^2 (1 - rho) and s^2 (1 - rho^2), so
	 * their ratio is 1 + rho, whatever the level does between jumps;
	 * hence the marginal s.d. (loose: the ratio of two MADs reads rho 0.5
	 * as anything from 0.2 to 0.9 at 150 points, so it only counts the
	 * independent points below) */
	for (int i = 0; i + 2 < n; i++)
		d[i] = x[i + 2] - x[i];
	if (n >= 5) {
		g2 = robust_sd(d, n - 2);
		g2 *= g2 / 2;
	}
	double rho = g1 > 0 ? g2 / g1 - 1 : 0;
	/* a variogram that grows faster than noise's is a curve's (a loss
	 * falling as 1 / t): no correlation is read from it */
	rho = rho > NOISE_CURVE ? 0 : fmin(fmax(rho, 0), NOISE_RHO_MAX);
	double marg = sqrt(g1 / (1 - rho)) * (1 + 1 / sqrt(n - 1));
	/* prefix[i] = x[0] + ... + x[i - 1], in the second half of scratch
	 * (n doubles: prefix[n] is not needed, the last window ends at n) */
	prefix[0] = 0;
	for (int i = 1; i < n; i++)
		prefix[i] = prefix[i - 1] + x[i - 1];
	double total = prefix[n - 1] + x[n - 1];
#define SUM(a, b) (((b) == n ? total : prefix[b]) - prefix[a]) /* x[a..b) */
	int m = 0;
	for (int t = w; t < n; t++)
		d[m++] = x[t] - SUM(t - w, t) / w;
	if (m >= 4)
		out->point = fmax(out->point, robust_sd(d, m) * (1 + 1 / sqrt(m)));
	/* and from the mean of the 4 w before it: a spike is measured from
	 * a level of at least 4 w points, and correlated noise wanders from
	 * it further than from the last w */
	m = 0;
	for (int t = 4 * w; t < n; t++)
		d[m++] = x[t] - SUM(t - 4 * w, t) / (4 * w);
	if (m >= 4)
		out->point = fmax(out->point, robust_sd(d, m) * (1 + 1 / sqrt(m)));
	/* at w and 2w: with correlation longer than w, the means of w points
	 * understate the long-run s.d. that longer windows see */
	for (int u = w; u <= 2 * w; u += w) {
		m = 0;
		for (int t = 2 * u; t <= n; t++)
			d[m++] = (SUM(t - u, t) - SUM(t - 2 * u, t - u)) / u;
		if (m >= 4)
			out->tau = fmax(out->tau, robust_sd(d, m) * sqrt(u / 2.0));
	}
#undef SUM
	/* Stationary noise of correlation at most NOISE_RHO_MAX has a
	 * long-run s.d. of at most sqrt((1 + r) / (1 - r)) / sqrt(1 - r) of
	 * sqrt(g1); window means that differ by more are a curve, not noise
	 * (a loss falling as 1 / t, whose contrasts shrink along it). */
	double most = sqrt(g1 * (1 + NOISE_RHO_MAX)) / (1 - NOISE_RHO_MAX);
	out->tau = fmin(out->tau, fmax(sigma, most));
	/* Correlated noise is measured from fewer independent points than
	 * there are: about n (s / tau)^2, s the marginal s.d. (not sigma,
	 * which the correlation shrinks: AR(1) 0.8 then had 5 times too few,
	 * and a sharp rise of 5 long-run s.d. passed for a spike). From few
	 * of them the long-run s.d. is badly known and mostly underestimated
	 * (the means of a short correlated series vary less than those of a
	 * long one; and in the first 2 w + 3 points there are no contrasts
	 * to show the correlation at all), which a test at 5 standard errors cannot afford: raise it,
	 * as a t-test's critical value rises above the normal one, by
	 * 3 / (independent points). White noise: 3 / n, 19% at 16 points, 1%
	 * at 256. */
	if (out->tau > 0) {
		double neff = n * (marg / out->tau) * (marg / out->tau);
		out->tau *= 1 + 3 / (neff > 1 ? neff : 1);
	}
	return 0;
}
