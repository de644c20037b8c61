#include "cli/train_progress.h"

#include "cli/cli.h"

void cli_train_progress(const struct trainer *t, void *ctx)
{
	const struct cli_train_progress *p = ctx;
	if (!p->quiet && t->step % 50 == 0)
		cli_progress("step %lld/%lld  loss %.4g  %.0f s", (long long)t->step,
			     (long long)t->rc->train.steps, (double)t->last_loss,
			     cli_seconds() - p->start);
}
