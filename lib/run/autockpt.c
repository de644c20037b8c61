#include "run/autockpt.h"

#include <math.h>

void autockpt_init(struct autockpt *a, int64_t probe)
{
	*a = (struct autockpt){.probe = probe, .max_gap = 25 * probe,
		.acc_step = 0.05, .loss_decades = 1};
}

static int eval_head(struct model *m, const struct split *s,
		     struct eval_result *r, struct traj_error *err)
{
	struct batch b = task_split_batch(s);
	if (b.n > AUTO_PROBE_MAX)
		b.n = AUTO_PROBE_MAX;
	return model_evaluate(m, &b, r, err);
}

static int measure(struct model *m, const struct dataset *d,
		   struct auto_metrics *x, struct traj_error *err)
{
	struct eval_result tr, te = { NAN, NAN, 0 };
	if (eval_head(m, &d->train, &tr, err) < 0 ||
	    (d->test.n && eval_head(m, &d->test, &te, err) < 0))
		return -1;
	*x = (struct auto_metrics){tr.loss, tr.acc, te.loss, te.acc};
	return 0;
}

/* Change of a loss in decades; losses of 0 (or below) count as 1e-30,
 * and a NaN (a split without examples) as no change, since fmax would
 * take it for 1e-30. */
static double decades(double a, double b)
{
	if (isnan(a) || isnan(b))
		return 0;
	return fabs(log10(fmax(a, 1e-30)) - log10(fmax(b, 1e-30)));
}

int autockpt_changed(const struct autockpt *a, const struct auto_metrics *x)
{
	const struct auto_metrics *r = &a->ref;
	/* A NaN comparison is false: a split without examples never counts. */
	return fabs(x->train_acc - r->train_acc) >= a->acc_step ||
	       fabs(x->test_acc - r->test_acc) >= a->acc_step ||
	       decades(x->train_loss, r->train_loss) >= a->loss_decades ||
	       decades(x->test_loss, r->test_loss) >= a->loss_decades;
}

int autockpt_wants(struct autockpt *a, struct model *m,
		   const struct dataset *d, int64_t step, int forced,
		   struct traj_error *err)
{
	if (!forced && (step % a->probe != 0 || (a->have && step - a->last < a->probe)))
		return 0;
	struct auto_metrics x;
	if (measure(m, d, &x, err) < 0)
		return -1;
	int want = forced || !a->have || step - a->last >= a->max_gap ||
		   autockpt_changed(a, &x);
	if (want) {
		a->ref = x;
		a->last = step;
		a->have = 1;
	}
	return want;
}
