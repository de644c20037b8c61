/* The training loop: steps a trainer to the run's last step and writes a
 * checkpoint wherever the run asks for one: step 0 and the last step,
 * every `every` steps, `log_every` log-spaced steps per decade
 * (schedule.h), or, with auto_every, where the metrics move
 * (autockpt.h). */
#ifndef TRAJ_TRAINLOOP_H
#define TRAJ_TRAINLOOP_H

#include <stddef.h>
#include <stdint.h>

#include "format/stream.h"
#include "run/trainer.h"

/* Called after every update, for progress reports. */
typedef void trainer_progress_fn(const struct trainer *t, void *ctx);

struct trainer_loop {
	int resumed;          /* the checkpoint at the trainer's step is
				 already in the stream (--resume) */
	int allow_nonfinite;  /* go on when the loss or a parameter is not
				 finite (else stop: trainer_check_finite) */
	trainer_progress_fn *progress;  /* or NULL */
	void *ctx;
	int64_t ckpts;        /* out: checkpoints written */
	int stopped;          /* out: stopped at a non-finite value */
};

/* Trains from t->step to t->rc->train.steps, writing to w. Returns 0, or
 * -1 with err when a checkpoint cannot be written or the automatic
 * checkpoints' evaluation fails (autockpt_wants), or when an update
 * leaves a non-finite loss or parameter (loop->stopped; TRAJ_EDATA; the
 * checkpoints before it are written and w stays open for closing). */
int trainer_run(struct trainer *t, struct traj_writer *w,
		struct trainer_loop *loop, struct traj_error *err);

/* One line for people, without newline, into buf: "ID: N steps in S s
 * (M ms/step), K checkpoints, B bytes, last batch loss L" (bytes < 0:
 * left out), the steps counted from first_step (a rewound run starts
 * later than 0). */
void trainer_summary(const struct trainer *t, int64_t first_step, double secs,
		     int64_t ckpts, long bytes, char *buf, size_t len);

#endif
