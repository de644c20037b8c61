/* A run rebuilt from a stream's run header (as traj-score does): its
 * configuration, optionally its data set, and a model with scratch for
 * `batch` examples; and the loading of checkpoints into it. Shared by
 * the programs that study checkpoints (traj-ablate, traj-probe). Never
 * prints. */
#ifndef TRAJ_RUN_SUBJECT_H
#define TRAJ_RUN_SUBJECT_H

#include <stdint.h>

#include <cJSON.h>

#include "model/model.h"
#include "run/runmeta.h"
#include "format/stream.h"
#include "task/task.h"

struct run_subject {
	struct run_config rc;
	struct dataset data;      /* built only with with_data */
	struct model *model;
	int64_t step;             /* the checkpoint loaded, -1: none */
	int ready, have_data;
};

/* Builds s from a run record (s zeroed or freed before): the model
 * first, so a model this build cannot run fails before the data set is
 * built. Errors name the run header field (TRAJ_EDATA), TRAJ_ENOINPUT
 * (data files missing), TRAJ_ENOMEM; on error s holds nothing to free
 * but what run_subject_free frees. */
int run_subject_setup(struct run_subject *s, const cJSON *run, int with_data,
		      int batch, struct traj_error *err);
void run_subject_free(struct run_subject *s);

/* The examples of the train or test split, the first `limit` (0: all). */
struct batch run_subject_batch(const struct run_subject *s, int train,
			       int64_t limit);
/* Whether two runs have the same model configuration. */
int run_subject_same_model(const struct run_subject *a,
			   const struct run_subject *b);
/* Whether two runs have the same task configuration (header "task"). */
int run_subject_same_task(const struct run_subject *a,
			  const struct run_subject *b);

/* What run_subject_read loads: the checkpoint at `step` (RUN_STEP_LAST,
 * RUN_STEP_FIRST: the last or the first) into a subject set up at the run
 * record, with the data set or not, scratch for `batch` examples;
 * optionally (other not NULL) the checkpoint at other_step (a step or
 * one of the same two) into other (same run, no data set). */
#define RUN_STEP_LAST (-1)
#define RUN_STEP_FIRST (-2)
struct run_load {
	int64_t step;
	int with_data, batch;
	int64_t other_step;
};

/* Reads r (one run) up to the checkpoints `want` names and loads them.
 * Errors: the reader's; TRAJ_EDATA for several runs in r ("several runs
 * in one stream; ..."), a run header or checkpoint that does not fit
 * (at the reader's offset), or a missing checkpoint ("no checkpoint",
 * or "no checkpoint at step N (steps FIRST..LAST)", no offset). */
int run_subject_read(struct traj_reader *r, const struct run_load *want,
		     struct run_subject *s, struct run_subject *other,
		     struct traj_error *err);

/* For reading a stream checkpoint by checkpoint: reads r up to its next
 * checkpoint (stream_reader_ckpt), setting s up at the run record as
 * run_subject_setup does (a second run record is TRAJ_EDATA, as for
 * run_subject_read). Returns 1 at a checkpoint, 0 at the end of the
 * stream, -1 on error. */
int run_subject_next(struct traj_reader *r, struct run_subject *s,
		     int with_data, int batch, struct traj_error *err);
/* Loads the reader's current checkpoint into s (its step into s->step);
 * errors carry the reader's offset. */
int run_subject_load(struct traj_reader *r, struct run_subject *s,
		     struct traj_error *err);

#endif
