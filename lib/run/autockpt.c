#include "run/autockpt.h"

#include <math.h>

void autockpt_init(struct autockpt *a, int64_t probe)
{
	*a = (struct autockpt){.probe = probe, .max_gap = 25 * probe,
		.acc_step = 0.05, .loss_decades = 1};
}

static struct eval_result eval_head(struct model *m, const struct split *s)
{
	struct batch b = task_split_batch(s);
	if (b.n > AUTO_PROBE_MAX)
		b.n = AUTO_PROBE_MAX;
	return model_evaluate(m, &b);
}

static void measure(struct model *m, const struct dataset *d,
		    struct auto_metrics *x)
{
	struct eval_result tr = eval_head(m, &d->train);
	struct eval_result te = d->test.n ? eval_head(m, &d->test) :
		(struct eval_result){NAN, NAN, 0};
	*x = (struct auto_metrics){tr.loss, tr.acc, te.loss, te.acc};
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
		   const struct dataset *d, int64_t step, int forced)
{
	if (!forced && (step % a->probe != 0 || (a->have && step - a->last < a->probe)))
		return 0;
	struct auto_metrics x;
	measure(m, d, &x);
	int want = forced || !a->have || step - a->last >= a->max_gap ||
		   autockpt_changed(a, &x);
	if (want) {
		a->ref = x;
		a->last = step;
		a->have = 1;
	}
	return want;
}
