/* The components traj-ablate studies, chosen by name globs (nameglob.h;
 * none: all): a model's neurons, heads, layers (ablate_comp.h), a modular
 * task's logit frequencies (logit_freq.h), a transformer's edges
 * (edges.h). Each returns the count and a malloc'd array in *out, or -1
 * (TRAJ_ENOMEM, or components_list's errors). When nothing matches it
 * returns 0, *out NULL, and describes the valid names in valid (size
 * bytes) for the caller's message. Never prints. */
#ifndef TRAJ_ABLATE_SELECT_H
#define TRAJ_ABLATE_SELECT_H

#include "interp/ablate.h"
#include "interp/edges.h"

/* extra (a direction; NULL: none) is appended to the matches. */
int ablate_select_components(const struct model *m, char *const *globs, int nglobs,
		      const struct component *extra, struct component **out,
		      char *valid, size_t size, struct traj_error *err);
/* logits.freq.1..(p-1)/2, COMP_FREQ with index K - 1. */
int ablate_select_freqs(int p, char *const *globs, int nglobs,
		 struct component **out, char *valid, size_t size,
		 struct traj_error *err);
/* COMP_EDGE, index the edge's in g; valid: "FIRST .. LAST". */
int ablate_select_edges(const struct edge_graph *g, char *const *globs, int nglobs,
		 struct component **out, char *valid, size_t size,
		 struct traj_error *err);

#endif
