/* The Fourier spectrum of a token embedding over Z_p (Nanda et al. 2023,
 * "Progress measures for grokking via mechanistic interpretability"): a
 * network that has grokked modular addition embeds the tokens through a
 * few frequencies k, E[a] ~ sum over key k of u_k cos(2 pi k a / p) +
 * v_k sin(2 pi k a / p).
 *
 * The basis is the orthonormal real Fourier basis of R^p: the constant
 * 1/sqrt(p); for 1 <= k < p/2 the pairs sqrt(2/p) cos(2 pi k a / p) and
 * sqrt(2/p) sin(2 pi k a / p); for even p also (-1)^a / sqrt(p) at k = p/2.
 * The energy of frequency k is the squared norm of the projection of the
 * embedding columns on its (one or two) basis vectors, so the energies of
 * k = 0 .. floor(p/2) add up to ||E||^2 (Parseval). */
#ifndef TRAJ_FOURIER_H
#define TRAJ_FOURIER_H

#include <stddef.h>

#include "common/error.h"

/* The basis as a (p, p) matrix, row r the basis vector of frequency
 * (r + 1) / 2: the constant, then cos and sin of k = 1, 2, .., and for
 * even p the Nyquist row last. Built once per p and kept, with room for
 * the projections, so that each checkpoint costs one matrix product. */
struct fourier_work {
	int p;              /* the basis's p; 0 before the first call */
	double *basis;      /* row-major (p, p) */
	double *proj;       /* row-major (p, width): basis times a block */
	size_t proj_cap;    /* elements */
};

void fourier_work_init(struct fourier_work *w);
void fourier_work_free(struct fourier_work *w);

/* Adds to energy, row-major (p/2 + 1, width), the energy of frequency k
 * in column w of the row-major (p, width) block `e` (row a = token a),
 * for k = 0 .. p/2. Returns 0, or -1 with err set (TRAJ_ENOMEM). */
int fourier_add_energies(struct fourier_work *w, const double *e, int p,
			 int width, double *energy, struct traj_error *err);
/* Sums the columns: total[k] = sum over w of energy[k][w]. */
void fourier_total(const double *energy, int kmax, int width, double *total);
/* How far each column (an MLP neuron, a residual direction) is made of a
 * single frequency: sum over w of max_k energy[k][w] / sum over w, k of
 * energy[k][w], k >= 1. About (ln kmax + 0.58) / kmax for random columns,
 * 1 when every column has one frequency (different columns may have
 * different ones, as in a wide MLP that grokked, whose summed spectrum
 * then stays spread out). nan when the energy is 0. */
double fourier_column_top1(const double *energy, int kmax, int width);

/* Sparsity of a spectrum energy[1 .. kmax] (the constant k = 0 left out:
 * it says nothing of the algorithm):
 * top_frac: the share of the energy in the `top` largest frequencies;
 * ipr: inverse participation ratio sum q_k^2 with q_k = energy_k / sum,
 *      from 1/kmax (energy spread evenly) to 1 (a single frequency).
 * Both are nan when the energy is 0. */
double fourier_top_frac(const double *energy, int kmax, int top);
double fourier_ipr(const double *energy, int kmax);


#include <stdint.h>

#include <cJSON.h>

/* Where a run's token embedding lives, from its run header: for an MLP
 * (model.kind "mlp" with a vocabulary) the first layer's weight
 * "layers.0.W", (inputs * vocab, width), one block of rows per input
 * token; for a transformer "embed.W_E", (d_vocab, d_model), one block.
 * Rows 0 .. p-1 of each block embed the residues 0 .. p-1 (extra rows,
 * such as a transformer's "=" token, are left out). */
struct embed_spec {
	const char *tensor;
	int p;               /* task.p */
	int blocks;
	int64_t block_rows;  /* rows from one block to the next */
};

/* Returns 1 and fills *out for a modular-arithmetic run (task.p set) of a
 * model kind it knows, else 0. */
int fourier_embed_spec_from_run(const cJSON *run, struct embed_spec *out);

#endif
