#include "interp/ablate_select.h"

#include <stdio.h>
#include <stdlib.h>

#include "interp/logit_freq.h"
#include "common/nameglob.h"

/* The components of `all` that match, and extra, into a new array. */
static int matches(const struct component *all, int total,
		   char *const *globs, int nglobs,
		   const struct component *extra, struct component **out,
		   struct traj_error *err)
{
	struct component *sel = malloc(((size_t)total + 1) * sizeof *sel);
	if (!sel)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int n = 0;
	for (int i = 0; i < total; i++)
		if (nameglob_match(globs, nglobs, all[i].name))
			sel[n++] = all[i];
	if (extra)
		sel[n++] = *extra;
	*out = n ? sel : NULL;
	if (!n)
		free(sel);
	return n;
}

int ablate_select_components(const struct model *m, char *const *globs, int nglobs,
		      const struct component *extra, struct component **out,
		      char *valid, size_t size, struct traj_error *err)
{
	struct component *all;
	int total = ablate_components_list(m, &all, err);
	if (total < 0)
		return -1;
	int n = matches(all, total, globs, nglobs, extra, out, err);
	if (n == 0)
		ablate_components_describe(all, total, valid, size);
	free(all);
	return n;
}

int ablate_select_freqs(int p, char *const *globs, int nglobs,
		 struct component **out, char *valid, size_t size,
		 struct traj_error *err)
{
	int nf = logit_freq_count(p);
	struct component *all = calloc((size_t)nf + 1, sizeof *all);
	if (!all)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (int i = 0; i < nf; i++) {
		snprintf(all[i].name, sizeof all[i].name, "logits.freq.%d", i + 1);
		all[i].kind = COMP_FREQ;
		all[i].index = i;
	}
	int n = matches(all, nf, globs, nglobs, NULL, out, err);
	if (n == 0)
		snprintf(valid, size, "logits.freq.1..%d", nf);
	free(all);
	return n;
}

int ablate_select_edges(const struct edge_graph *g, char *const *globs, int nglobs,
		 struct component **out, char *valid, size_t size,
		 struct traj_error *err)
{
	struct component *all = calloc((size_t)g->nedges + 1, sizeof *all);
	if (!all)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (int e = 0; e < g->nedges; e++) {
		snprintf(all[e].name, sizeof all[e].name, "%s", g->edges[e].name);
		all[e].kind = COMP_EDGE;
		all[e].index = e;
	}
	int n = matches(all, g->nedges, globs, nglobs, NULL, out, err);
	if (n == 0)
		snprintf(valid, size, "%s .. %s", g->edges[0].name,
			 g->edges[g->nedges - 1].name);
	free(all);
	return n;
}
