#include "analysis/weightstats.h"

#include <math.h>

/* The sums run in LANES independent accumulators, added at the end: one
 * chain of dependent additions would wait on the adder's latency at every
 * element (4x slower on the weight tensors of traj diff), and the
 * compiler may not reorder floating-point sums by itself. */
enum { LANES = 4 };

static double lanes_sum(const double s[LANES])
{
	return (s[0] + s[1]) + (s[2] + s[3]);
}

double weightstats_norm(const double *a, size_t n)
{
	double s[LANES] = {0};
	size_t i = 0;
	for (; i + LANES <= n; i += LANES)
		for (int j = 0; j < LANES; j++)
			s[j] += a[i + j] * a[i + j];
	for (; i < n; i++)
		s[0] += a[i] * a[i];
	return sqrt(lanes_sum(s));
}

void weightstats_pair(const double *a, const double *b, size_t n,
		struct pair_stats *out)
{
	double aa[LANES] = {0}, bb[LANES] = {0}, ab[LANES] = {0}, dd[LANES] = {0};
	size_t i = 0;
	for (; i + LANES <= n; i += LANES)
		for (int j = 0; j < LANES; j++) {
			double x = a[i + j], y = b[i + j], d = x - y;
			aa[j] += x * x;
			bb[j] += y * y;
			ab[j] += x * y;
			dd[j] += d * d;
		}
	for (; i < n; i++) {
		double d = a[i] - b[i];
		aa[0] += a[i] * a[i];
		bb[0] += b[i] * b[i];
		ab[0] += a[i] * b[i];
		dd[0] += d * d;
	}
	double saa = lanes_sum(aa), sbb = lanes_sum(bb), sab = lanes_sum(ab),
	       sdd = lanes_sum(dd);
	out->norm_a = sqrt(saa);
	out->norm_b = sqrt(sbb);
	out->l2 = sqrt(sdd);
	/* The distance from its own sum, not from aa + bb - 2ab, which
	 * cancels catastrophically for consecutive checkpoints. */
	if (sbb > 0)
		out->rel_change = out->l2 / out->norm_b;
	else
		out->rel_change = sdd > 0 ? INFINITY : 0;
	out->cos = saa > 0 && sbb > 0 ? sab / (out->norm_a * out->norm_b) : NAN;
}
