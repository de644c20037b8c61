/* Data sets. A task turns its configuration (the "task" object of a run
 * header) into a train and a test split; the split is a pure function of
 * the configuration, so a scorer rebuilds exactly the data the trainer saw.
 *
 * Modular arithmetic: every pair (a, b) in [0, p)^2 (b != 0 for division)
 * is one example with tokens (a, b) and label op(a, b) mod p. */
#ifndef TRAJ_TASK_H
#define TRAJ_TASK_H

#include <stdint.h>

#include <cJSON.h>

#include "error.h"
#include "model.h"

enum modop { MOD_ADD, MOD_SUB, MOD_MUL, MOD_DIV, MOD_QUAD, NMODOPS };

struct task_config {
	char name[32];       /* "modadd", "modsub", "modmul", "moddiv", "modquad" */
	enum modop op;
	int p;               /* modulus, a prime for division */
	double frac;         /* fraction of examples in the train split, (0, 1) */
	uint64_t seed;       /* split seed */
};

struct split {
	int64_t n;
	int32_t *tokens;  /* (n, T) */
	int32_t *labels;  /* (n) */
};

struct dataset {
	int n_inputs;     /* T */
	int vocab;        /* V */
	int n_classes;    /* C */
	struct split train, test;
};

/* Looks a task name up; returns -1 if unknown. */
int task_from_name(const char *name, struct task_config *cfg);
/* Comma-separated list of task names, for help texts and errors. */
const char *task_names(void);
/* Checks values (p range, primality for division, frac range); the message
 * names the offending field as `prefix` + field ("--p", "task.p"). */
int task_validate(const struct task_config *cfg, const char *prefix,
		  struct traj_error *err);

cJSON *task_to_json(const struct task_config *cfg);
int task_from_json(const cJSON *json, struct task_config *cfg,
		   struct traj_error *err);

int dataset_build(const struct task_config *cfg, struct dataset *ds,
		  struct traj_error *err);
void dataset_free(struct dataset *ds);
/* A borrowed batch over a whole split. */
struct batch split_batch(const struct split *s);

#endif
