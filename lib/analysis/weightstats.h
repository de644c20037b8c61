/* How two versions of a tensor compare: one pass over both gives the
 * squared norms, their dot product and the squared distance, from which
 * the L2 distance, the relative change and the cosine similarity follow.
 * Sums are kept in double whatever the tensors' dtype. */
#ifndef TRAJ_WEIGHTSTATS_H
#define TRAJ_WEIGHTSTATS_H

#include <stddef.h>

struct pair_stats {
	double l2;          /* ||a - b|| */
	double rel_change;  /* ||a - b|| / ||b||, b the earlier (reference);
			       inf if b is 0 and a is not, 0 if both are 0 */
	double cos;         /* <a, b> / (||a|| ||b||); nan if either is 0 */
	double norm_a, norm_b;
};

/* `a` is the new version, `b` the reference; n elements each. */
void weightstats_pair(const double *a, const double *b, size_t n,
		struct pair_stats *out);
double weightstats_norm(const double *a, size_t n);

#endif
