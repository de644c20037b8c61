/* What a probe tries to read out of activations: variables the task
 * defines for each input (task_variables in task/task.h lists them, with
 * the names metric lines use), or labels from a file. */
#ifndef TRAJ_TARGETS_H
#define TRAJ_TARGETS_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "task/task.h"

#define TARGET_NAME_MAX 48
#define TARGET_MAX_CLASSES 65536

struct probe_target {
	char name[TARGET_NAME_MAX];
	int nclass;     /* categorical: number of classes; 0: numeric */
	double *value;  /* (n): the class index, or the number */
};

struct target_set {
	int64_t n;      /* inputs */
	int count, cap;
	struct probe_target *t;
};

/* The task's variables for the inputs (task_variables: `freqs`, nfreq of
 * them, are the frequencies k for modular arithmetic; nfreq 0 means every
 * k in 1..(p-1)/2). Errors: TRAJ_EUSAGE (a frequency out of range, a task
 * without targets), TRAJ_ENOMEM. */
int targets_from_task(const struct task_config *cfg,
		      const struct task_examples *in, const int *freqs,
		      int nfreq, struct target_set *ts, struct traj_error *err);
/* One target "label" from a text file of one number per line, n lines:
 * categorical when every value is an integer in 0..TARGET_MAX_CLASSES-1
 * (classes = largest + 1), numeric otherwise. Errors (TRAJ_EDATA) name
 * the line, or the count of lines against n. */
int targets_from_file(FILE *f, int64_t n, struct target_set *ts,
		      struct traj_error *err);
/* Keeps the targets whose name matches one of the globs (all when n is
 * 0); TRAJ_EUSAGE listing the names when none is left. */
int targets_select(struct target_set *ts, char *const *globs, int nglobs,
		   struct traj_error *err);
void targets_free(struct target_set *ts);

/* Columns of a target in the regression: its classes (one-hot), or 1. */
int targets_width(const struct probe_target *t);
int targets_total_width(const struct target_set *ts);
/* The regression targets of input e (total width): one-hot codes and
 * values; a ridge_row_fn with ctx the target set. */
void targets_row(void *ts, int64_t e, double *y);

#endif
