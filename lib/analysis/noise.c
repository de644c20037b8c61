#include "analysis/noise.h"

#include <math.h>

/* 1 / Phi^-1(3/4): the MAD of a normal sample times this is its s.d. */
#define MAD_TO_SD 1.482602218505602

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
	double sigma = robust_sd(d, n - 1) / sqrt(2) * (1 + 1 / sqrt(n - 1));
	out->sigma = sigma;
	out->point = sigma * sqrt(1 + 1.0 / w);
	out->tau = sigma;
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
	/* Correlated noise is measured from fewer independent points than
	 * there are: about n (sigma / tau)^2. From few of them the long-run
	 * s.d. is badly known and mostly underestimated (the means of a short
	 * correlated series vary less than those of a long one; and in the
	 * first 2 w + 3 points there are no contrasts to show the correlation
	 * at all), which a test at 5 standard errors cannot afford: raise it,
	 * as a t-test's critical value rises above the normal one, by
	 * 3 / (independent points). White noise: 3 / n, 19% at 16 points, 1%
	 * at 256. */
	if (out->tau > 0) {
		double neff = n * (sigma / out->tau) * (sigma / out->tau);
		out->tau *= 1 + 3 / (neff > 1 ? neff : 1);
	}
	return 0;
}
