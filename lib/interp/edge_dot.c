/* A circuit of edges as Graphviz DOT (edges.h): the nodes are those the
 * kept edges join, a head's q, k and v inputs one node. */
#include "interp/edges.h"

#include <inttypes.h>

/* The node an edge's receiver belongs to: a head for its q, k, v. */
static void receiver_node(const struct edge_graph *g, int r, char *buf,
			  size_t size)
{
	const struct edge_receiver *x = &g->recv[r];
	if (x->input <= EI_V)
		snprintf(buf, size, "blocks.%d.attn.head%d", x->layer, x->head);
	else
		snprintf(buf, size, "%s", x->name);
}

void edge_write_dot(FILE *out, const char *run, int64_t step,
		    const struct edge_graph *g, const unsigned char *keep,
		    const double *weight)
{
	static const char *const input_label[] = { "q", "k", "v", "", "" };
	fprintf(out, "digraph circuit {\n"
		"  label=\"%s step %" PRId64 " (edges)\";\n  rankdir=LR;\n"
		"  node [shape=box];\n  \"embed\" [shape=ellipse];\n"
		"  \"logits\" [shape=ellipse];\n", run, step);
	for (int e = 0; e < g->nedges; e++) {
		if (!keep[e])
			continue;
		const struct edge *x = &g->edges[e];
		char to[EDGE_NODE_MAX];
		receiver_node(g, x->receiver, to, sizeof to);
		const char *in = input_label[g->recv[x->receiver].input];
		fprintf(out, "  \"%s\" -> \"%s\" [label=\"%s%s%.3g\"];\n",
			g->send[x->sender].name, to, in, *in ? " " : "",
			weight[e]);
	}
	fprintf(out, "}\n");
}
