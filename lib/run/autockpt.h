/* Checkpoints where they matter (traj-train --every auto): the density of
 * checkpoints follows how fast the run's metrics change, so transitions
 * are captured densely while flat stretches, and steady declines of the
 * loss, cost little.
 *
 * Every `probe` steps the model is evaluated on at most AUTO_PROBE_MAX
 * examples of each split (the first ones: the splits are in random
 * order). A checkpoint is written at a probe when, since the last
 * checkpoint,
 *   - the train or the test accuracy moved by acc_step (0.05) or more, or
 *   - the train or the test loss changed by a factor of 10^loss_decades
 *     (10) or more, or
 *   - max_gap steps passed (25 probes);
 * and always at the first and last step. Between probes nothing is
 * evaluated, so the finest spacing is `probe` steps, and a stretch where
 * nothing moves costs one checkpoint every max_gap steps. The cost of a
 * probe is two forward passes over at most AUTO_PROBE_MAX examples. */
#ifndef TRAJ_AUTOCKPT_H
#define TRAJ_AUTOCKPT_H

#include <stdint.h>

#include "model/model.h"
#include "task/task.h"

#define AUTO_PROBE_MAX 8192

struct auto_metrics { double train_loss, train_acc, test_loss, test_acc; };

struct autockpt {
	int64_t probe, max_gap;
	double acc_step, loss_decades;
	int have;                 /* a reference (the last checkpoint) */
	int64_t last;             /* its step */
	struct auto_metrics ref;  /* its metrics */
};

/* Defaults from the probe interval (>= 1). */
void autockpt_init(struct autockpt *a, int64_t probe);
/* Whether to write a checkpoint at `step` (the model holds its
 * parameters). `forced`: one is written anyway (the first or last step,
 * or one already written when resuming): the metrics become the
 * reference. Evaluates the model only at probes and forced steps.
 * Returns 1 or 0, or -1 with err set (model_evaluate's errors). */
int autockpt_wants(struct autockpt *a, struct model *m,
		   const struct dataset *d, int64_t step, int forced,
		   struct traj_error *err);
/* Whether metrics `x` moved enough from the reference. */
int autockpt_changed(const struct autockpt *a, const struct auto_metrics *x);

#endif
