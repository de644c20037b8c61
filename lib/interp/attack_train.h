/* Adversarial training (Madry et al. 2018; Goodfellow et al. 2015 for
 * FGSM): every step trains on the worst case the attack finds for each
 * example of its batch, within an eps-ball around it and inside the
 * input box [0, 1]. The run header records it as "adv"
 * (formats/run-header.md), so --resume, traj score and the other tools
 * see how a run was trained. */
#ifndef TRAJ_ATTACK_TRAIN_H
#define TRAJ_ATTACK_TRAIN_H

#include "common/error.h"
#include "interp/attack.h"
#include "run/trainer.h"

/* "pgd:eps=0.1,iters=7,step=0.036,norm=linf,random-start=1" or
 * "fgsm:eps=0.1" into the header's "adv" object (*out, a new object):
 *   eps           radius, > 0 (required), in pixel units as traj-attack's
 *   iters         PGD steps, 1..1000 (7); FGSM is one step of eps
 *   step          PGD step size, in pixel units (2.5 eps / iters)
 *   norm          linf or l2 (linf)
 *   random-start  PGD: 1 to start uniformly in the ball (1), 0 at x
 * An L-infinity eps above 1 covers the whole box (a radius on a 0..255
 * scale): TRAJ_EUSAGE. On success err->msg is left alone, or holds a
 * warning for a spec that works but is likely not meant: a PGD step
 * larger than eps, an L2 eps below 0.3 or above 28 (off the L2 scale of
 * 784 pixels, as traj-attack warns).
 * Errors: TRAJ_EUSAGE naming the key; TRAJ_ENOMEM. */
int attack_train_parse(const char *spec, cJSON **out, struct traj_error *err);

struct attack_train {
	struct attack_params params;
	double eps;
	struct attack_result res;  /* (batch, F) worst cases of a step */
	uint64_t seed;             /* the run's */
};

/* Trains t on adversarial inputs when its run header has "adv" (else
 * does nothing): checks the object and that the model has dense input,
 * and sets t's batch hook. Errors: TRAJ_EUSAGE for a model with token
 * input, TRAJ_EDATA naming the field of a bad "adv", TRAJ_ENOMEM. */
int attack_train_attach(struct attack_train *a, struct trainer *t,
			struct traj_error *err);
void attack_train_free(struct attack_train *a);

#endif
