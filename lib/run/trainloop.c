#include "run/trainloop.h"

#include <stdio.h>

#include "run/autockpt.h"
#include "run/schedule.h"

int trainer_run(struct trainer *t, struct traj_writer *w,
		struct trainer_loop *loop, struct traj_error *err)
{
	const struct train_config *tc = &t->rc->train;
	struct ckpt_schedule sched = {tc->every, tc->log_every, tc->steps};
	struct autockpt au;
	autockpt_init(&au, tc->auto_every ? tc->auto_every : 1);
	for (int first = 1;; first = 0) {
		/* A resumed run's first step is already written, but it is
		 * still the reference of the automatic checkpoints. */
		int written = first && loop->resumed;
		/* The first step is always written: step 0, or the step a
		 * rewound run (--init-from) starts at. */
		int fixed = first || schedule_wants(&sched, t->step);
		int want = tc->auto_every ? autockpt_wants(&au, t->model, &t->data,
							    t->step, fixed, err) : fixed;
		if (want < 0)
			return -1;
		if (!written && want) {
			if (trainer_checkpoint(t, w, err) < 0)
				return -1;
			loop->ckpts++;
		}
		if (t->step == tc->steps)
			return 0;
		if (trainer_step(t, err) < 0)
			return -1;
		if (!loop->allow_nonfinite && trainer_check_finite(t, err) < 0) {
			loop->stopped = 1;
			return -1;
		}
		if (loop->progress)
			loop->progress(t, loop->ctx);
	}
}

void trainer_summary(const struct trainer *t, int64_t first_step, double secs,
		     int64_t ckpts, long bytes, char *buf, size_t len)
{
	int64_t n = t->step - first_step;
	char b[48] = "";
	if (bytes >= 0)
		snprintf(b, sizeof b, ", %ld bytes", bytes);
	snprintf(buf, len, "%s: %lld steps in %.1f s (%.2f ms/step), %lld "
		 "checkpoints%s, last batch loss %.4g", t->rc->id, (long long)n,
		 secs, n > 0 ? 1e3 * secs / (double)n : 0.0, (long long)ckpts, b,
		 (double)t->last_loss);
}
