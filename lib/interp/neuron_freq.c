/* Neurons grouped by the frequency of their logit direction
 * (neuron_freq.h). */
#include "interp/neuron_freq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/linalg.h"
#include "interp/logit_freq.h"
#include "common/nameglob.h"
#include "model/transformer.h"

static const float *weight(const struct model *m, const char *name)
{
	int v = model_find_view(m, name);
	return v < 0 ? NULL : m->params + m->views[v].offset;
}

/* The strongest frequency of u (p values) and its share of the energy
 * of all k >= 1. */
static int strongest(const float *u, int p, const double *basis,
		     double *share)
{
	int best = 1, nf = logit_freq_count(p);
	double top = -1.0, total = 0.0;
	for (int k = 1; k <= nf; k++) {
		double co, si;
		logit_freq_coef(basis + (size_t)(k - 1) * 2 * p,
			  basis + ((size_t)(k - 1) * 2 + 1) * p, p, u, &co, &si);
		double e = co * co + si * si;
		total += e;
		if (e > top) {
			top = e;
			best = k;
		}
	}
	*share = total > 0.0 ? top / total : 0.0;
	return best;
}

static int assign(const float *W_out, const float *W_U, int M, int D,
		  struct neuron_freq *nf)
{
	int p = nf->p, nfreq = logit_freq_count(p);
	float *u = malloc((size_t)M * p * sizeof *u);
	double *basis = malloc((size_t)nfreq * 2 * p * sizeof *basis);
	if (!u || !basis) {
		free(u);
		free(basis);
		return -1;
	}
	for (int k = 1; k <= nfreq; k++)
		logit_freq_basis(p, k, basis + (size_t)(k - 1) * 2 * p,
			   basis + ((size_t)(k - 1) * 2 + 1) * p);
	linalg_matmul(M, p, D, W_out, W_U, 0.0f, u);
	for (int j = 0; j < M; j++)
		nf->freq[j] = strongest(u + (size_t)j * p, p, basis,
					&nf->share[j]);
	free(u);
	free(basis);
	return 0;
}

int neuron_freq_assign(const struct model *m, struct neuron_freq *nf,
		       struct traj_error *err)
{
	struct transformer_config c;
	memset(nf, 0, sizeof *nf);
	if (transformer_config_of(m, &c) < 0 || c.attn_only)
		return traj_fail(err, TRAJ_EUSAGE, -1, "the model is not a "
				 "transformer with MLPs");
	if (c.d_vocab_out % 2 == 0 || c.d_vocab_out < 3)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%d classes: the "
				 "frequencies need an odd number", c.d_vocab_out);
	char name[64];
	snprintf(name, sizeof name, "blocks.%d.mlp.W_out", c.n_layers - 1);
	const float *W_out = weight(m, name), *W_U = weight(m, "unembed.W_U");
	*nf = (struct neuron_freq){ .layer = c.n_layers - 1,
				    .nneurons = c.d_mlp, .p = c.d_vocab_out };
	nf->freq = malloc((size_t)c.d_mlp * sizeof *nf->freq);
	nf->share = malloc((size_t)c.d_mlp * sizeof *nf->share);
	if (!W_out || !W_U || !nf->freq || !nf->share ||
	    assign(W_out, W_U, c.d_mlp, c.d_model, nf) < 0) {
		neuron_freq_free(nf);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	return 0;
}

void neuron_freq_free(struct neuron_freq *nf)
{
	free(nf->freq);
	free(nf->share);
	memset(nf, 0, sizeof *nf);
}

/* Group K's members appended to members[*n..]; -1 when a neuron is not
 * among comps. */
static int add_members(const struct neuron_freq *nf, int k,
		       const struct component *comps, int ncomps,
		       int *members, int *n)
{
	for (int j = 0; j < nf->nneurons; j++) {
		if (nf->freq[j] != k)
			continue;
		char name[COMP_NAME_MAX];
		snprintf(name, sizeof name, "blocks.%d.mlp.n%d", nf->layer, j);
		int c = ablate_component_find(comps, ncomps, name);
		if (c < 0)
			return -1;
		members[(*n)++] = c;
	}
	return 0;
}

int neuron_freq_groups(const struct neuron_freq *nf,
		       const struct component *comps, int ncomps,
		       char *const *globs, int nglobs,
		       struct component **groups, int **start, int **members,
		       struct traj_error *err)
{
	int nfreq = logit_freq_count(nf->p), ng = 0, nm = 0;
	*groups = calloc((size_t)nfreq + 1, sizeof **groups);
	*start = malloc(((size_t)nfreq + 2) * sizeof **start);
	*members = malloc(((size_t)nf->nneurons + 1) * sizeof **members);
	if (!*groups || !*start || !*members)
		goto fail;
	for (int k = 1; k <= nfreq; k++) {
		struct component *g = &(*groups)[ng];
		snprintf(g->name, sizeof g->name, "blocks.%d.mlp.freq%d",
			 nf->layer, k);
		int used = 0;
		for (int j = 0; j < nf->nneurons; j++)
			used += nf->freq[j] == k;
		if (!used || !nameglob_match(globs, nglobs, g->name))
			continue;
		g->kind = COMP_GROUP;
		g->index = k;
		g->layer = nf->layer;
		(*start)[ng++] = nm;
		if (add_members(nf, k, comps, ncomps, *members, &nm) < 0) {
			traj_fail(err, TRAJ_EINTERNAL, -1, "neuron-freq: a "
				  "neuron of block %d is not a component",
				  nf->layer);
			goto free_all;
		}
	}
	(*start)[ng] = nm;
	return ng;
fail:
	traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
free_all:
	free(*groups);
	free(*start);
	free(*members);
	*groups = NULL;
	*start = *members = NULL;
	return -1;
}
