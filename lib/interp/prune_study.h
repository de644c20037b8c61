/* The engine of traj-prune: reads a checkpoint and the mask it trained
 * under, prunes (prune.h), and writes the new mask as a stream or lists
 * its densities as metric lines. Never prints on its own. */
#ifndef TRAJ_PRUNE_STUDY_H
#define TRAJ_PRUNE_STUDY_H

#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "common/error.h"
#include "interp/prune.h"
#include "model/mask.h"
#include "model/model.h"
#include "run/runsource.h"

struct prune_job {
	const char *input;      /* the stream ("-": standard input) */
	int64_t step;           /* its checkpoint; -1: the last */
	const char *mask;       /* the mask to prune further, or NULL: the
				   checkpoint's own mask/ tensors, if any */
	int prune;              /* 0: only list the mask as it is */
	struct prune_opts opts;
};

struct prune_result {
	struct run_source src;  /* the input, its checkpoint */
	struct model *model;
	struct model_mask mask; /* the new mask */
	char mask_from[4096];   /* where the old mask came from, or "" */
	int have_weights;       /* the checkpoint holds the parameters (a
				   mask file does not) */
};

/* Reads, checks and prunes. Errors name the file and the tensor or
 * step (TRAJ_EDATA), TRAJ_ENOINPUT, TRAJ_EUSAGE (prune_select). */
int prune_study_run(const struct prune_job *j, struct prune_result *r,
		    struct traj_error *err);
/* The mask as a stream: the input's run record with "mask" (where it
 * comes from, how it was pruned, the densities), one key checkpoint at
 * the input's step holding the tensors "mask/<parameter>" (u8). */
int prune_study_write(const struct prune_job *j, const struct prune_result *r,
		      FILE *out, struct traj_error *err);
/* Metric lines RUN STEP prune/<tensor>/density (and /kept, and
 * /nonzero: the fraction of the checkpoint's weights that are not 0,
 * when it holds them) per masked tensor and prune/total/density over them. */
int prune_study_list(const struct prune_result *r, FILE *out);
void prune_result_free(struct prune_result *r);

#endif
