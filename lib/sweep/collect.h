/* traj sweep collect: one row per run of a sweep directory, with its
 * configuration, its final scores, the steps at which train and test
 * accuracy first reach their thresholds (threshold crossings found by the
 * emergence engine, analysis/emerge.h) and an outcome class after Liu et
 * al. 2022, "Towards understanding grokking" (docs/sweeps.md):
 *
 *   confusion      train accuracy never reaches its threshold
 *   memorisation   train does, test never does within the budget
 *   comprehension  test reaches it at most R times the train step
 *   grokking       test reaches it later than that; the delay is the
 *                  test step minus the train step
 *
 * R is the grokking ratio (sweep_outcome_opts). */
#ifndef TRAJ_SWEEP_COLLECT_H
#define TRAJ_SWEEP_COLLECT_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

enum sweep_outcome {
	SWEEP_OUTCOME_NA,            /* not known: the run is not done */
	SWEEP_OUTCOME_COMPREHENSION,
	SWEEP_OUTCOME_GROKKING,
	SWEEP_OUTCOME_MEMORISATION,
	SWEEP_OUTCOME_CONFUSION,
};

struct sweep_outcome_opts {
	double train_acc;  /* train has fit when train/acc first reaches it (0.9) */
	double test_acc;   /* test has risen when test/acc first reaches it (0.9) */
	double ratio;      /* grokking when test step > ratio * train step (3) */
	const char *train_metric, *test_metric; /* "train/acc", "test/acc" */
};
void sweep_outcome_opts_init(struct sweep_outcome_opts *o);

/* "comprehension", "grokking", "memorisation", "confusion" or "NA". */
const char *sweep_outcome_name(enum sweep_outcome c);
/* The class of a run whose accuracies first reached their thresholds at
 * train_step and test_step (-1: never). */
enum sweep_outcome sweep_outcome_classify(int64_t train_step, int64_t test_step,
					  const struct sweep_outcome_opts *o);

/* What collect says of one run's metric lines. NAN and -1 when unknown. */
struct sweep_summary {
	int64_t final_step;
	double train_loss, train_acc, test_loss, test_acc; /* at the last step */
	int64_t train_step, test_step;
	enum sweep_outcome outcome;
};

/* Summarises the metric lines of one run (traj score's) in `in`. Returns
 * 0, or -1 with err set (a malformed line, TRAJ_EDATA, naming `name`). */
int sweep_summarise(FILE *in, const char *name, const struct sweep_outcome_opts *o,
		    struct sweep_summary *s, struct traj_error *err);

/* Writes the table of sweep directory `dir` to out: a header, then one
 * row per run (ids in byte order): id, group, status (done, failed,
 * running, interrupted, pending), the configuration's axes (the union of
 * every run's, in order of first appearance; NA where a run has none),
 * final_step, train_loss, train_acc, test_loss, test_acc, train_step,
 * test_step, outcome, delay; NA where unknown (every run not done).
 * Refuses a directory without sweep.spec and runs/ (TRAJ_EDATA;
 * TRAJ_ENOINPUT when it does not exist). */
int sweep_collect(const char *dir, const struct sweep_outcome_opts *o, FILE *out,
		  struct traj_error *err);

#endif
