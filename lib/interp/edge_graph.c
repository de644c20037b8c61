/* The senders, receivers and edges of a transformer (edges.h). */
#include "interp/edges.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_sender(struct edge_graph *g, enum edge_sender_kind kind,
		       int layer, int head)
{
	struct edge_sender *s = &g->send[g->nsend++];
	s->kind = kind;
	s->layer = layer;
	s->head = head;
	if (kind == ES_EMBED)
		snprintf(s->name, sizeof s->name, "embed");
	else if (kind == ES_HEAD)
		snprintf(s->name, sizeof s->name, "blocks.%d.attn.head%d",
			 layer, head);
	else
		snprintf(s->name, sizeof s->name, "blocks.%d.mlp", layer);
}

static void add_receiver(struct edge_graph *g, enum edge_input input,
			 int layer, int head)
{
	static const char *const qkv = "qkv";
	struct edge_receiver *r = &g->recv[g->nrecv++];
	r->input = input;
	r->layer = layer;
	r->head = head;
	r->nsend = g->nsend;
	r->first_edge = g->nedges;
	g->nedges += g->nsend;
	if (input <= EI_V)
		snprintf(r->name, sizeof r->name, "blocks.%d.attn.head%d.%c",
			 layer, head, qkv[input]);
	else if (input == EI_MLP)
		snprintf(r->name, sizeof r->name, "blocks.%d.mlp", layer);
	else
		snprintf(r->name, sizeof r->name, "logits");
}

/* Senders and receivers interleaved in forward order: a receiver reads
 * exactly the senders added before it. */
static void build_nodes(struct edge_graph *g)
{
	const struct transformer_config *c = &g->cfg;
	add_sender(g, ES_EMBED, -1, -1);
	for (int l = 0; l < c->n_layers; l++) {
		for (int h = 0; h < c->n_heads; h++)
			for (int i = EI_Q; i <= EI_V; i++)
				add_receiver(g, (enum edge_input)i, l, h);
		for (int h = 0; h < c->n_heads; h++)
			add_sender(g, ES_HEAD, l, h);
		if (!c->attn_only) {
			add_receiver(g, EI_MLP, l, -1);
			add_sender(g, ES_MLP, l, -1);
		}
	}
	add_receiver(g, EI_LOGITS, c->n_layers, -1);
}

static void name_edges(struct edge_graph *g)
{
	for (int r = 0; r < g->nrecv; r++)
		for (int s = 0; s < g->recv[r].nsend; s++) {
			struct edge *e = &g->edges[g->recv[r].first_edge + s];
			e->sender = s;
			e->receiver = r;
			snprintf(e->name, sizeof e->name, "%s->%s",
				 g->send[s].name, g->recv[r].name);
		}
}

int edge_graph_build(const struct model *m, struct edge_graph *g,
		     struct traj_error *err)
{
	memset(g, 0, sizeof *g);
	if (transformer_config_of(m, &g->cfg) < 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "the model is not a "
				 "transformer");
	const struct transformer_config *c = &g->cfg;
	size_t blocks = (size_t)c->n_layers;
	size_t nsend = 1 + blocks * (c->n_heads + 1);
	size_t nrecv = 1 + blocks * (3 * c->n_heads + 1);
	g->send = calloc(nsend, sizeof *g->send);
	g->recv = calloc(nrecv, sizeof *g->recv);
	g->edges = calloc(nsend * nrecv, sizeof *g->edges);
	if (!g->send || !g->recv || !g->edges) {
		edge_graph_free(g);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	build_nodes(g);
	name_edges(g);
	return 0;
}

void edge_graph_free(struct edge_graph *g)
{
	free(g->send);
	free(g->recv);
	free(g->edges);
	memset(g, 0, sizeof *g);
}

int edge_find(const struct edge_graph *g, const char *name)
{
	for (int e = 0; e < g->nedges; e++)
		if (strcmp(g->edges[e].name, name) == 0)
			return e;
	return -1;
}

static int block_positions_of(const struct edge_graph *g, int layer)
{
	return layer < g->cfg.n_layers - 1 ? g->cfg.n_ctx : g->cfg.n_outputs;
}

int edge_sender_positions(const struct edge_graph *g, int s)
{
	const struct edge_sender *x = &g->send[s];
	return x->kind == ES_EMBED ? g->cfg.n_ctx : block_positions_of(g, x->layer);
}

int edge_receiver_positions(const struct edge_graph *g, int r)
{
	const struct edge_receiver *x = &g->recv[r];
	if (x->input == EI_K || x->input == EI_V)
		return g->cfg.n_ctx;
	if (x->input == EI_LOGITS)
		return g->cfg.n_outputs;
	return block_positions_of(g, x->layer);
}

/* Senders per block: its heads, then its MLP; 1 + ... for the embed. */
static int senders_per_block(const struct edge_graph *g)
{
	return g->cfg.n_heads + !g->cfg.attn_only;
}

static int receivers_per_block(const struct edge_graph *g)
{
	return 3 * g->cfg.n_heads + !g->cfg.attn_only;
}

int edge_head_sender(const struct edge_graph *g, int l, int h)
{
	return 1 + l * senders_per_block(g) + h;
}

int edge_mlp_sender(const struct edge_graph *g, int l)
{
	return 1 + l * senders_per_block(g) + g->cfg.n_heads;
}

int edge_head_receiver(const struct edge_graph *g, int l, int h,
		       enum edge_input input)
{
	return l * receivers_per_block(g) + 3 * h + (int)input;
}

int edge_mlp_receiver(const struct edge_graph *g, int l)
{
	return l * receivers_per_block(g) + 3 * g->cfg.n_heads;
}
