/* traj-attack's study of one checkpoint: clean accuracy, then each method
 * (FGSM, PGD) at each radius, optionally the minimal radius per example,
 * as metric lines (formats/metric-lines.md, "attack/..."), written to a
 * FILE the caller passes and checks. The adversarial inputs of the last
 * attack are kept for --save. */
#ifndef TRAJ_ATTACK_STUDY_H
#define TRAJ_ATTACK_STUDY_H

#include <stdio.h>

#include "interp/attack.h"

#define ATTACK_MAX_EPS 64

struct attack_study {
	int fgsm, pgd;            /* the methods to run */
	enum attack_norm norm;
	double eps[ATTACK_MAX_EPS];
	int neps;
	int iters;                /* PGD steps */
	double alpha;             /* PGD step size; 0: 2.5 eps / iters */
	int random_start, restarts;
	int target;               /* -1: untargeted; -2: the next class
				     (label + 1 mod C); >= 0 that class */
	double min_eps_max;       /* > 0: the minimal radius, by bisection */
	int bisections;
	int per_class;            /* accuracy per true class too */
	uint64_t seed;
};

/* What the last attack of a checkpoint left, for --save. */
struct attack_kept {
	float *adv;               /* (n, F) */
	const float *clean;       /* (n, F), borrowed */
	const int32_t *labels;    /* (n), borrowed */
	int32_t *pred;            /* (n) predicted class at adv */
	int64_t n;
	int features;
	char what[64];            /* "pgd/linf/0.1" */
};

void attack_kept_free(struct attack_kept *k);

/* Studies the model on the examples b (true labels) and writes the lines
 * for run `run` at `step`. Errors: attack_run's, TRAJ_ENOMEM. */
int attack_study_ckpt(const struct attack_study *s, struct model *m,
		      const struct batch *b, FILE *out, const char *run,
		      int64_t step, struct attack_kept *kept,
		      struct traj_error *err);

/* Writes kept as an .npz (adv, delta, label, pred) to the FILE f. */
int attack_kept_write_npz(const struct attack_kept *k, FILE *f,
			  struct traj_error *err);

#endif
