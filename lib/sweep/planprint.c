/* A plan as lines for GNU parallel or xargs -P. */
#include <stdlib.h>

#include "sweep/spec.h"

int sweep_plan_print(FILE *out, const struct sweep_plan *p, const char *dir)
{
	const struct sweep_spec *s = p->spec;
	const char **argv = calloc((size_t)(2 * s->naxes + 1), sizeof *argv);
	if (!argv)
		return -1;
	for (int k = 0; k < p->n && !ferror(out); k++) {
		const struct sweep_config *c = &p->configs[k];
		int n = sweep_config_argv(s, c, argv);
		fprintf(out, "%s\ttraj train", c->id);
		for (int i = 0; i < n; i++)
			fprintf(out, " %s", argv[i]);
		fprintf(out, " --run-id %s --threads 1 --quiet --out %s%s%s.traj\n", c->id,
			dir ? dir : "", dir ? "/runs/" : "", c->id);
	}
	free(argv);
	return ferror(out) ? -1 : 0;
}
