/* Neurons grouped by frequency (traj-ablate --by neuron-freq), from the
 * weights alone. In a transformer trained on modular arithmetic the
 * last block's MLP neuron j writes to the logits along
 * u_j = W_out[j] W_U (one value per class c = 0..p-1). Grokked models
 * write cos/sin(2 pi k c / p) for a few key k (Nanda et al. 2023), so the
 * Fourier spectrum of u_j over the classes (logit_freq.h's orthonormal
 * pairs; the constant part left out) names the frequency the neuron
 * serves: the k with the most energy, and that energy's share of the
 * non-constant energy (1: a pure frequency; 2/(p-1) on average for
 * noise). ln_final, when present, rescales u_j per example and is left
 * out: the grouping is a heuristic, the ablations of the groups exact. */
#ifndef TRAJ_NEURON_FREQ_H
#define TRAJ_NEURON_FREQ_H

#include "interp/ablate.h"
#include "common/error.h"
#include "model/model.h"

struct neuron_freq {
	int layer;        /* the last block */
	int nneurons;     /* d_mlp */
	int p;            /* classes */
	int *freq;        /* per neuron: its frequency k, 1..(p-1)/2 */
	double *share;    /* per neuron: k's share of the energy */
};

/* Errors: TRAJ_EUSAGE (not a transformer with an MLP in its last block,
 * or an even number of classes), TRAJ_ENOMEM. */
int neuron_freq_assign(const struct model *m, struct neuron_freq *nf,
		       struct traj_error *err);
void neuron_freq_free(struct neuron_freq *nf);

/* The groups blocks.L.mlp.freqK of the neurons of frequency K, for every
 * K that has neurons and whose name matches one of the globs (all with
 * none), K increasing: *groups (COMP_GROUP, index K, malloc'd), *start
 * (ngroups + 1) and *members (indices into comps, components_list's
 * array of the same model; malloc'd). Returns the number of groups, or
 * -1 with err set (TRAJ_ENOMEM; TRAJ_EINTERNAL when a neuron is not
 * among comps). */
int neuron_freq_groups(const struct neuron_freq *nf,
		       const struct component *comps, int ncomps,
		       char *const *globs, int nglobs,
		       struct component **groups, int **start, int **members,
		       struct traj_error *err);

#endif
