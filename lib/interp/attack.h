/* Adversarial examples for models with dense input in a box (pixels in
 * [0, 1]): the fast gradient sign method (Goodfellow et al. 2015) and
 * projected gradient descent (Madry et al. 2018) in L-infinity and L2
 * balls, with random starts and restarts that keep the worst case per
 * example, a targeted variant, and the minimal perturbation per example
 * by bisection over the radius. Gradients come from the model's own
 * backward pass (model_input_grad). Every random draw is a function of
 * (seed, example index, restart), so no draw depends on chunking or
 * threads; the rounding of the model's products may (see
 * docs/adversarial.md). */
#ifndef TRAJ_ATTACK_H
#define TRAJ_ATTACK_H

#include <stdint.h>

#include "common/error.h"
#include "model/model.h"

enum attack_norm { ATTACK_LINF, ATTACK_L2 };

struct attack_params {
	enum attack_norm norm;
	int iters;          /* gradient steps, >= 1; FGSM is 1 step of eps */
	double step;        /* step size relative to eps: each step moves
			       step * eps (sign step for L-infinity, a step
			       of that L2 length for L2) */
	int random_start;   /* start uniformly inside the ball */
	int restarts;       /* >= 1; the worst case per example is kept */
	int every_iterate;  /* PGD: the worst case is taken over the FGSM
			       point and every point visited (as AutoAttack
			       keeps its best iterate), not the last only */
	int targeted;       /* labels are targets: descend their loss */
	uint64_t seed;
	float lo, hi;       /* the input box every example is clipped to */
};

/* Madry et al.'s step for `iters` steps: 2.5 eps / iters, so a straight
 * path can cross the ball and come back. */
double attack_default_step(int iters);

/* How the last attack_run on a result spent its threads' time, for
 * benchmarks: per thread, the CPU seconds it computed and the seconds it
 * waited, from the start of the run, before its first block and after
 * its last (the wall time it spent neither computing nor waiting was
 * taken by other programs, or by the hypervisor). */
#define ATTACK_MAX_THREADS 64
struct attack_timing {
	int threads;
	int rows;        /* examples per block */
	double wall_s;   /* the whole run */
	double busy_s[ATTACK_MAX_THREADS];
	double wait_s[ATTACK_MAX_THREADS];
};

struct attack_work;

/* The result of one attack on n examples. */
struct attack_result {
	float *adv;     /* (n, F) adversarial inputs, in the box and the ball */
	uint8_t *fooled; /* (n) 1: predicted class != label (untargeted), or
			    == the target (targeted) */
	float *loss;    /* (n) cross-entropy of the label (target) at adv */
	int64_t n;
	/* attack_run's threads and scratch, kept for the next run on the
	 * same result (adversarial training attacks every batch) while the
	 * model is the same; freed by attack_result_free */
	struct attack_work *work;
	struct attack_timing timing;
};

int attack_result_init(struct attack_result *r, int64_t n, int features,
		       struct traj_error *err);
void attack_result_free(struct attack_result *r);

/* Attacks the examples of `clean` (features (n, F), labels (n): the true
 * classes, or the targets when p->targeted), each within radius eps[e]
 * (eps NULL: eps0 for all). FGSM is iters 1, step 1, no random start.
 * Errors: TRAJ_EUSAGE for a model without dense input or bad parameters,
 * TRAJ_EDATA for an input outside the box, TRAJ_ENOMEM. */
int attack_run(struct model *m, const struct batch *clean, const float *eps,
	       double eps0, const struct attack_params *p,
	       struct attack_result *out, struct traj_error *err);

/* The smallest radius in [0, eps_max] at which the attack fools each
 * example, to a precision of eps_max / 2^bisections: 0 for an example
 * already misclassified, INFINITY for one not fooled at eps_max. */
int attack_min_eps(struct model *m, const struct batch *clean,
		   const struct attack_params *p, double eps_max,
		   int bisections, float *min_eps, struct traj_error *err);

/* The predicted class of each of n examples' logits (n, C): the argmax,
 * ties to the lowest class, -1 when a logit is not finite. */
void attack_predict(const float *logits, int64_t n, int classes,
		    int32_t *pred);

#endif
