/* Distances between tensors (analysis/weightstats.h): norms, L2
 * distance, relative change and cosine on hand cases, at every position
 * of the unrolled loops. */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "analysis/weightstats.h"

static void test_pair_stats_hand_case(void)
{
	double a[2] = {3, 4}, b[2] = {0, 4}, z[2] = {0, 0};
	struct pair_stats ps;
	weightstats_pair(a, b, 2, &ps);
	CHECK_NEAR(ps.l2, 3, 1e-15);
	CHECK_NEAR(ps.rel_change, 0.75, 1e-15);      /* 3 / ||b|| = 3 / 4 */
	CHECK_NEAR(ps.cos, 16.0 / 20.0, 1e-15);      /* <a,b> / (5 * 4) */
	CHECK_NEAR(ps.norm_a, 5, 1e-15);
	weightstats_pair(a, z, 2, &ps);
	CHECK(isinf(ps.rel_change) && isnan(ps.cos));
	weightstats_pair(z, z, 2, &ps);
	CHECK(ps.rel_change == 0 && ps.l2 == 0);
}

/* Every element counts, whether in the unrolled body or the tail: a
 * single nonzero element at each position of n = 1 .. 9 (hand values:
 * norm 2, distance 2 from zero, cos 1 with itself). */
static void test_pair_stats_every_position(void)
{
	double a[9], z[9] = {0};
	struct pair_stats ps;
	for (int n = 1; n <= 9; n++)
		for (int i = 0; i < n; i++) {
			memset(a, 0, sizeof a);
			a[i] = -2;
			CHECK(weightstats_norm(a, (size_t)n) == 2);
			weightstats_pair(a, z, (size_t)n, &ps);
			CHECK(ps.norm_a == 2 && ps.l2 == 2 && ps.norm_b == 0);
			weightstats_pair(a, a, (size_t)n, &ps);
			CHECK(ps.cos == 1 && ps.l2 == 0);
		}
}

int main(void)
{
	RUN(test_pair_stats_hand_case);
	RUN(test_pair_stats_every_position);
	return harness_done();
}
