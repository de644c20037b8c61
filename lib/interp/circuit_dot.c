/* The circuit as Graphviz DOT; see circuit.h. */
#include "interp/circuit.h"

#include <inttypes.h>

/* Stage of a component: 1 + 2 * layer, + 1 for an MLP in a transformer
 * block (after its attention); 0 is the input. */
static int stage(const struct component *c)
{
	int mlp_in_block = !c->is_attn && c->name[0] == 'b';
	return 1 + 2 * c->layer + mlp_in_block;
}

static int last_stage(const struct component *comps, int n,
		      const unsigned char *keep)
{
	int last = 0;
	for (int i = 0; i < n; i++)
		if (keep[i] && stage(&comps[i]) > last)
			last = stage(&comps[i]);
	return last;
}

/* The next stage after s holding a kept component, or -1. */
static int next_stage(const struct component *comps, int n,
		      const unsigned char *keep, int s)
{
	int best = -1;
	for (int i = 0; i < n; i++) {
		int t = stage(&comps[i]);
		if (keep[i] && t > s && (best < 0 || t < best))
			best = t;
	}
	return best;
}

static void edges_from(FILE *out, const char *from,
		       const struct component *comps, int n,
		       const unsigned char *keep, int s)
{
	int next = next_stage(comps, n, keep, s);
	if (next < 0) {
		fprintf(out, "  \"%s\" -> \"logits\";\n", from);
		return;
	}
	for (int i = 0; i < n; i++)
		if (keep[i] && stage(&comps[i]) == next)
			fprintf(out, "  \"%s\" -> \"%s\";\n", from, comps[i].name);
}

void circuit_write_dot(FILE *out, const char *run, int64_t step,
		       const struct component *comps, int ncomps,
		       const unsigned char *keep, const double *imp)
{
	fprintf(out, "digraph circuit {\n"
		"  label=\"%s step %" PRId64 "\";\n  rankdir=LR;\n"
		"  node [shape=box];\n  \"input\" [shape=ellipse];\n"
		"  \"logits\" [shape=ellipse];\n", run, step);
	for (int s = 1; s <= last_stage(comps, ncomps, keep); s++) {
		int any = 0;
		for (int i = 0; i < ncomps; i++)
			any |= keep[i] && stage(&comps[i]) == s;
		if (!any)
			continue;
		fprintf(out, "  subgraph cluster_%d {\n", s);
		for (int i = 0; i < ncomps; i++)
			if (keep[i] && stage(&comps[i]) == s)
				fprintf(out, "    \"%s\" [label=\"%s\\n%.3g\"];\n",
					comps[i].name, comps[i].name, imp[i]);
		fprintf(out, "  }\n");
	}
	edges_from(out, "input", comps, ncomps, keep, 0);
	for (int i = 0; i < ncomps; i++)
		if (keep[i])
			edges_from(out, comps[i].name, comps, ncomps, keep,
				   stage(&comps[i]));
	fprintf(out, "}\n");
}
