/* Progress measures (lib/analysis/progress.c): the Gini coefficient by
 * hand. The measures themselves are checked on trained runs in
 * tests/cli/traj-progress.bats. */
#include <math.h>

#include "harness.h"
#include "analysis/progress.h"

static void test_gini_by_hand(void)
{
	double even[4] = { 1, 1, 1, 1 }, one[4] = { 0, 0, 0, 5 };
	double ramp[3] = { 1, 2, 3 };
	CHECK_NEAR(progress_gini(even, 4), 0, 1e-15);
	/* One of n holds everything: (n - 1) / n. */
	CHECK_NEAR(progress_gini(one, 4), 0.75, 1e-15);
	/* sum |xi - xj| = 2 (1 + 2 + 1) = 8, over 2 n sum = 36. */
	CHECK_NEAR(progress_gini(ramp, 3), 8.0 / 36, 1e-15);
	double zero[2] = { 0, 0 };
	CHECK(isnan(progress_gini(zero, 2)));
}

int main(void)
{
	RUN(test_gini_by_hand);
	return harness_done();
}
