/* Ranking through functions (ablate_rank.h) on a fake component set
 * whose losses are known: every verification pass, budget and order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/ablate_rank.h"
#include "harness.h"

/* Component i alone raises the loss by cost[i]; its attribution score
 * is est[i]; together the costs add. Evaluation number fail_at (from
 * 1; 0: none) fails as a pass out of memory would. */
struct fake {
	const double *cost, *est;
	int evals, fail_at;
};

static int fake_eval(void *ctx, const int *active, int k,
		     struct eval_result *out, struct traj_error *err)
{
	struct fake *f = ctx;
	struct eval_result r = { 1.0, 0.9, 10 };
	for (int i = 0; i < k; i++)
		r.loss += f->cost[active[i]];
	if (++f->evals == f->fail_at)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	*out = r;
	return 0;
}

static int fake_attribute(void *ctx, double *score, struct traj_error *err)
{
	struct fake *f = ctx;
	(void)err;
	for (int i = 0; i < 4; i++)
		score[i] = f->est[i];
	return 0;
}

static const double cost[4] = { 0.1, 0.5, 0.0, 0.3 };
static const double est[4] = { 0.4, 0.2, 0.3, 0.1 };
static struct component comps[4];

static struct fn_run fake_run(struct fake *f)
{
	for (int i = 0; i < 4; i++)
		snprintf(comps[i].name, sizeof comps[i].name, "n%d", i);
	*f = (struct fake){ cost, est, 0, 0 };
	return (struct fn_run){ .eval = fake_eval, .attribute = fake_attribute,
				.ctx = f, .comps = comps, .n = 4, .sign = 1,
				.base = { 1.0, 0.9, 10 }, .prefix = "ablate" };
}

/* The fake components ranked (one pass spent before); *evals passes. */
static struct rank_result *ranked(int attrib_only, int64_t budget, int *evals)
{
	struct fake f;
	struct fn_run fr = fake_run(&f);
	struct traj_error err;
	struct rank_result *res = ablate_rank_results_new(4);
	CHECK(ablate_rank_components(&fr, attrib_only, budget, 1, res, &err) == 0);
	ablate_rank_sort(res, 4);
	*evals = f.evals;
	return res;
}

static void test_every_component_measured(void)
{
	int evals;
	struct rank_result *res = ranked(0, 0, &evals);
	CHECK(evals == 4);
	int want[4] = { 1, 3, 0, 2 };
	for (int i = 0; i < 4; i++) {
		CHECK(res[i].index == want[i]);
		CHECK(res[i].measured && !res[i].attributed);
		CHECK_NEAR(res[i].loss_delta, cost[want[i]], 1e-12);
	}
	free(res);
}

/* Budget 4 with 1 pass spent and 1 for the gradient: the two best by
 * attribution (0, 2) are verified, then rank first by their real
 * deltas; the rest follow by attribution. */
static void test_budget_verifies_the_top(void)
{
	int evals;
	struct rank_result *res = ranked(0, 4, &evals);
	CHECK(evals == 2);
	int want[4] = { 0, 2, 1, 3 };
	for (int i = 0; i < 4; i++) {
		CHECK(res[i].index == want[i]);
		CHECK(res[i].attributed);
		CHECK(res[i].measured == (i < 2));
	}
	free(res);
}

static void test_attrib_only_and_joint(void)
{
	int evals;
	struct rank_result *res = ranked(1, 0, &evals);
	CHECK(evals == 0);
	CHECK(res[0].index == 0 && res[3].index == 3);
	free(res);
	struct fake f;
	struct fn_run fr = fake_run(&f);
	struct traj_error err;
	struct eval_result r;
	CHECK(ablate_rank_joint(&fr, &r, &err) == 0);
	CHECK_NEAR(r.loss, 1.9, 1e-12);
}

/* Threshold 0.35 over the clean loss: the circuit keeps 1 and 3
 * (ablating 0 and 2 costs 0.1). */
static void test_circuit(void)
{
	struct fake f;
	struct fn_run fr = fake_run(&f);
	struct traj_error err;
	struct circuit_result cr;
	unsigned char *keep;
	double *imp;
	CHECK(ablate_rank_circuit(&fr, 0.35, &keep, &imp, &cr, &err) == 0);
	CHECK(keep[1] && keep[3] && !keep[2]);
	CHECK(cr.eval.loss - 1.0 <= 0.35);
	CHECK_NEAR(imp[1], 0.5, 1e-12);
	free(keep);
	free(imp);
}

/* A failed evaluation is the caller's error, whichever pass fails. */
static void test_failed_eval_is_an_error(void)
{
	struct traj_error err = { 0 };
	for (int at = 1; at <= 4; at++) {
		struct fake f;
		struct fn_run fr = fake_run(&f);
		f.fail_at = at;
		struct rank_result *res = ablate_rank_results_new(4);
		CHECK(ablate_rank_components(&fr, 0, 0, 1, res, &err) < 0);
		CHECK(err.status == TRAJ_ENOMEM);
		free(res);
		fr = fake_run(&f);
		f.fail_at = at;
		unsigned char *keep = NULL;
		double *imp = NULL;
		struct circuit_result cr;
		err.status = TRAJ_OK;
		CHECK(ablate_rank_circuit(&fr, 0.35, &keep, &imp, &cr, &err) < 0);
		CHECK(err.status == TRAJ_ENOMEM && !keep && !imp);
	}
	struct fake f;
	struct fn_run fr = fake_run(&f);
	struct eval_result r;
	f.fail_at = 1;
	err.status = TRAJ_OK;
	CHECK(ablate_rank_joint(&fr, &r, &err) < 0 && err.status == TRAJ_ENOMEM);
}

int main(void)
{
	RUN(test_every_component_measured);
	RUN(test_budget_verifies_the_top);
	RUN(test_attrib_only_and_joint);
	RUN(test_circuit);
	RUN(test_failed_eval_is_an_error);
	return harness_done();
}
