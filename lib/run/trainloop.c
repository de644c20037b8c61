#include "run/trainloop.h"

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
		int fixed = schedule_wants(&sched, t->step) || written;
		int want = tc->auto_every ? autockpt_wants(&au, t->model, &t->data,
							    t->step, fixed) : fixed;
		if (!written && want) {
			if (trainer_checkpoint(t, w, err) < 0)
				return -1;
			loop->ckpts++;
		}
		if (t->step == tc->steps)
			return 0;
		trainer_step(t);
		if (!loop->allow_nonfinite && trainer_check_finite(t, err) < 0) {
			loop->stopped = 1;
			return -1;
		}
		if (loop->progress)
			loop->progress(t, loop->ctx);
	}
}
