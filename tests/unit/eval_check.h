/* Evaluations a test expects to succeed: each CHECKs that the call
 * returned 0 (printing the error otherwise) and gives its result, so a
 * test reads `eval_model(m, &b).loss`. The failures themselves are
 * tested in test_allocfail.c and test_evaluate_errors. */
#ifndef TRAJ_EVAL_CHECK_H
#define TRAJ_EVAL_CHECK_H

#include "harness.h"
#include "interp/ablate.h"
#include "interp/edges.h"
#include "model/model.h"

static inline struct eval_result eval_checked(int rc,
					      const struct traj_error *err,
					      struct eval_result r)
{
	if (rc != 0)
		printf("#   evaluation failed: %s\n", err->msg);
	CHECK(rc == 0);
	return r;
}

/* The mean loss of a batch the model must accept (ops->loss). */
static inline double loss_model(struct model *m, const struct batch *b,
				int grad)
{
	float l = NAN;
	struct traj_error err;
	int rc = m->ops->loss(m, b, grad, &l, &err);
	if (rc != 0)
		printf("#   loss failed: %s\n", err.msg);
	CHECK(rc == 0);
	return l;
}

static inline struct eval_result eval_model(struct model *m,
					    const struct batch *b)
{
	struct eval_result r;
	struct traj_error err;
	int rc = model_evaluate(m, b, &r, &err);
	return eval_checked(rc, &err, r);
}

static inline struct eval_result eval_baseline(struct ablator *a)
{
	struct eval_result r;
	struct traj_error err;
	int rc = ablator_baseline(a, &r, &err);
	return eval_checked(rc, &err, r);
}

static inline struct eval_result eval_ablated(struct ablator *a,
					      const int *active, int n)
{
	struct eval_result r;
	struct traj_error err;
	int rc = ablator_eval(a, active, n, &r, &err);
	return eval_checked(rc, &err, r);
}

static inline struct eval_result eval_edge_baseline(struct edge_ablator *ea)
{
	struct eval_result r;
	struct traj_error err;
	int rc = edge_baseline(ea, &r, &err);
	return eval_checked(rc, &err, r);
}

#endif
