#include "weightstats.h"

#include <math.h>

double vec_norm(const double *a, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += a[i] * a[i];
	return sqrt(s);
}

void pair_stats(const double *a, const double *b, size_t n,
		struct pair_stats *out)
{
	double aa = 0, bb = 0, ab = 0, dd = 0;
	for (size_t i = 0; i < n; i++) {
		double d = a[i] - b[i];
		aa += a[i] * a[i];
		bb += b[i] * b[i];
		ab += a[i] * b[i];
		dd += d * d;
	}
	out->norm_a = sqrt(aa);
	out->norm_b = sqrt(bb);
	out->l2 = sqrt(dd);
	/* The distance from its own sum, not from aa + bb - 2ab, which
	 * cancels catastrophically for consecutive checkpoints. */
	if (bb > 0)
		out->rel_change = out->l2 / out->norm_b;
	else
		out->rel_change = dd > 0 ? INFINITY : 0;
	out->cos = aa > 0 && bb > 0 ? ab / (out->norm_a * out->norm_b) : NAN;
}
