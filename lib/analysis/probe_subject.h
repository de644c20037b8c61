/* The model and inputs a probe studies, rebuilt from a stream's run
 * header (run_subject.h): the run configuration, its data set, a model
 * with scratch for CAPTURE_BATCH examples, and the probe inputs:
 * the examples of a split ("train", "test", or "all": train then test),
 * at most `max` of them (0: all), in the data set's order. */
#ifndef TRAJ_PROBE_SUBJECT_H
#define TRAJ_PROBE_SUBJECT_H

#include <stdio.h>

#include <cJSON.h>

#include "run/run_subject.h"
#include "analysis/targets.h"

enum probe_split_set { PROBE_SPLIT_ALL, PROBE_SPLIT_TRAIN, PROBE_SPLIT_TEST };

struct probe_subject {
	struct run_subject run;    /* run.rc, run.data, run.model */
	struct task_examples in;
	int32_t *tokens, *labels;  /* owned copies for "all" */
	float *features;
};

/* Errors name the run header field (TRAJ_EDATA: a model this build
 * cannot run), TRAJ_ENOINPUT (data files missing), TRAJ_ENOMEM. */
int probe_subject_setup(struct probe_subject *s, const cJSON *run,
			enum probe_split_set which, int64_t max,
			struct traj_error *err);
void probe_subject_reset(struct probe_subject *s);

/* traj-probe --list-hooks: the model's hook points, "NAME<TAB>[d0, d1]"
 * a line, to a FILE the caller checks for errors. */
void probe_subject_write_hooks(FILE *out, const struct probe_subject *s);
/* traj-probe --inputs: the probe inputs in order, a line each: the
 * tokens separated by spaces, a tab, the labels (features are left
 * out). */
void probe_subject_write_inputs(FILE *out, const struct probe_subject *s);

#endif
