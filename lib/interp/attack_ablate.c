/* Zero ablation folded into the weights (attack_ablate.h). */
#include <stdlib.h>
#include <string.h>

#include "interp/ablate_select.h"
#include "interp/attack_ablate.h"
#include "interp/patch.h"

/* Zeroes every component's weights; returns 0 or -1. */
static int zero_all(struct model *m, const struct component *c, int n,
		    struct traj_error *err)
{
	for (int i = 0; i < n; i++) {
		struct weight_slice sl[COMP_MAX_SLICES];
		if (c[i].kind != COMP_NEURON && c[i].kind != COMP_LAYER)
			return traj_fail(err, TRAJ_EUSAGE, -1, "%s: only neurons "
					 "and layers can be ablated in the "
					 "weights", c[i].name);
		int ns = patch_component_weights(m, &c[i], sl, err);
		if (ns < 0)
			return -1;
		for (int s = 0; s < ns; s++)
			for (int r = 0; r < sl[s].count; r++)
				memset(m->params + sl[s].offset +
				       (size_t)r * sl[s].stride, 0,
				       (size_t)sl[s].len * sizeof *m->params);
	}
	return 0;
}

int attack_ablate(struct model *m, const char *globs, struct traj_error *err)
{
	char *copy = strdup(globs), *save = NULL;
	char **g = malloc((strlen(globs) / 2 + 1) * sizeof *g);
	int ng = 0, n = -1;
	if (!copy || !g) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		goto done;
	}
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		g[ng++] = t;
	struct component *comps = NULL;
	char valid[256];
	n = ng ? ablate_select_components(m, g, ng, NULL, &comps, valid,
					  sizeof valid, err) : 0;
	if (n == 0)
		n = traj_fail(err, TRAJ_EUSAGE, -1, "no component matches '%s'; "
			      "valid: %s", globs, ng ? valid : "layers.I.nJ");
	else if (n > 0 && zero_all(m, comps, n, err) < 0)
		n = -1;
	free(comps);
done:
	free(copy);
	free(g);
	return n;
}
