/* Attacking a network with some of its parts ablated (traj-attack
 * --ablate): the attack's gradients come from model_input_grad, which
 * fires no hooks, so the ablation is folded into the weights instead:
 * a neuron's input column, bias and output row are zeroed, which is zero
 * ablation exactly (its output row alone decides what it adds). This
 * asks whether a network without those parts is harder to attack, not
 * only whether perturbations made against the whole network still work
 * (traj-ablate --inputs). */
#ifndef TRAJ_ATTACK_ABLATE_H
#define TRAJ_ATTACK_ABLATE_H

#include "common/error.h"
#include "model/model.h"

/* Zero-ablates, in m's weights, the neurons and layers whose names match
 * the comma-separated globs (traj-ablate(1)'s names: layers.I.nJ,
 * layers.I). Returns how many components, or -1 with err set:
 * TRAJ_EUSAGE when nothing matches (naming the valid names) or for a
 * component that has no weights of its own (a direction), TRAJ_EDATA,
 * TRAJ_ENOMEM. */
int attack_ablate(struct model *m, const char *globs, struct traj_error *err);

#endif
