/* The engines' components as fn_runs (ablate_rank.h), so that ranking,
 * circuits and patching across time treat them alike: an ablator's
 * hooks, a transformer's edges (edges.h) and a modular task's logit
 * frequencies (logit_freq.h). Edges and frequencies are components that
 * stand for an index of their engine (COMP_EDGE, COMP_FREQ: the edge's,
 * K - 1); the adapters map the components a pass ablates to those
 * indices. */
#ifndef TRAJ_ABLATE_FNS_H
#define TRAJ_ABLATE_FNS_H

#include <stdint.h>
#include <stdio.h>

#include "interp/ablate_rank.h"
#include "interp/edges.h"
#include "interp/logit_freq.h"

/* An ablator's components as a fn_run (a borrowed). */
struct fn_run ablator_fn_run(struct ablator *a, struct eval_result base,
			     int sign, const char *prefix);

/* The components comps[0..n) of an engine, each its index's. */
struct index_run {
	const struct component *comps;
	int n;
	int *idx;              /* scratch: the active components' indices */
};

/* The edges comps[0..n) (COMP_EDGE) of an edge ablator. */
struct edge_run {
	struct edge_ablator ea;
	struct index_run ir;
};
/* Allocates the scratch; TRAJ_ENOMEM. The edge ablator er->ea is the
 * caller's to initialise. */
int edge_run_init(struct edge_run *er, const struct component *comps,
		  int n, struct traj_error *err);
void edge_run_free(struct edge_run *er);
struct fn_run edge_fn_run(struct edge_run *er, int sign, const char *prefix);
/* A circuit of er's edges (keep[] and imp[] per selected edge) as DOT
 * (edge_write_dot). Errors: TRAJ_ENOMEM. */
int edge_run_write_dot(FILE *out, const char *run, int64_t step,
		       const struct edge_run *er, const unsigned char *keep,
		       const double *imp, struct traj_error *err);

/* The frequencies comps[0..n) (COMP_FREQ) of the logits of m over data,
 * one forward pass (zero: zero ablation, else mean); their evaluations
 * transform the logits and are counted in `evals`. Errors:
 * logit_freq_init's. */
struct freq_run {
	struct freq_logits f;
	struct index_run ir;
	int64_t evals;
};
int logit_freq_run_init(struct freq_run *fq, const struct component *comps,
			int n, struct model *m, const struct batch *data,
			int zero, struct traj_error *err);
void logit_freq_run_free(struct freq_run *fq);
/* base: the clean logits' loss and accuracy. */
struct fn_run logit_freq_fn_run(struct freq_run *fq, int sign,
				const char *prefix);

#endif
