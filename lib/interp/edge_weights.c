/* The weights and hooks an edge pass reads, found by name through the
 * model interface (edge_impl.h). */
#include "interp/edge_impl.h"

#include <stdio.h>

/* The offset of the view `name` (block l's when l >= 0) into *off. */
static int view(const struct model *m, int l, const char *leaf, size_t *off,
		struct traj_error *err)
{
	char name[TRAJ_NAME_MAX];
	if (l >= 0)
		snprintf(name, sizeof name, "blocks.%d.%s", l, leaf);
	else
		snprintf(name, sizeof name, "%s", leaf);
	int i = model_find_view(m, name);
	if (i < 0)
		return traj_fail(err, TRAJ_EINTERNAL, -1, "edges: the model "
				 "has no weight '%s'", name);
	*off = m->views[i].offset;
	return 0;
}

static int hook(const struct model *m, int l, const char *leaf, int *out,
		struct traj_error *err)
{
	char name[HOOK_NAME_MAX];
	snprintf(name, sizeof name, "blocks.%d.%s", l, leaf);
	*out = model_find_hook(m, name);
	if (*out < 0)
		return traj_fail(err, TRAJ_EINTERNAL, -1, "edges: the model "
				 "has no hook '%s'", name);
	return 0;
}

static int find_layer(const struct model *m, const struct transformer_config *c,
		      int l, struct edge_layer *p, struct traj_error *err)
{
	int rc = 0;
	*p = (struct edge_layer){ .hook_post = -1, .hook_resid_post = -1 };
	if (c->layernorm)
		rc |= view(m, l, "ln1.w", &p->ln1_w, err) |
		      view(m, l, "ln1.b", &p->ln1_b, err);
	rc |= view(m, l, "attn.W_Q", &p->W_Q, err) |
	      view(m, l, "attn.W_K", &p->W_K, err) |
	      view(m, l, "attn.W_V", &p->W_V, err) |
	      view(m, l, "attn.W_O", &p->W_O, err) |
	      view(m, l, "attn.b_Q", &p->b_Q, err) |
	      view(m, l, "attn.b_K", &p->b_K, err) |
	      view(m, l, "attn.b_V", &p->b_V, err) |
	      view(m, l, "attn.b_O", &p->b_O, err) |
	      hook(m, l, "attn.hook_z", &p->hook_z, err);
	if (l == c->n_layers - 1)
		rc |= hook(m, l, "hook_resid_post", &p->hook_resid_post, err);
	if (c->attn_only)
		return rc ? -1 : 0;
	if (c->layernorm)
		rc |= view(m, l, "ln2.w", &p->ln2_w, err) |
		      view(m, l, "ln2.b", &p->ln2_b, err);
	rc |= view(m, l, "mlp.W_in", &p->W_in, err) |
	      view(m, l, "mlp.b_in", &p->b_in, err) |
	      view(m, l, "mlp.W_out", &p->W_out, err) |
	      view(m, l, "mlp.b_out", &p->b_out, err) |
	      hook(m, l, "mlp.hook_post", &p->hook_post, err);
	return rc ? -1 : 0;
}

int edge_weights_find(const struct model *m, const struct edge_graph *g,
		      struct edge_weights *w, struct traj_error *err)
{
	const struct transformer_config *c = &g->cfg;
	int rc = view(m, -1, "embed.W_E", &w->W_E, err) |
		 view(m, -1, "pos_embed.W_pos", &w->W_pos, err) |
		 view(m, -1, "unembed.W_U", &w->W_U, err) |
		 view(m, -1, "unembed.b_U", &w->b_U, err);
	if (c->layernorm)
		rc |= view(m, -1, "ln_final.w", &w->lnf_w, err) |
		      view(m, -1, "ln_final.b", &w->lnf_b, err);
	for (int l = 0; l < c->n_layers; l++)
		rc |= find_layer(m, c, l, &w->lp[l], err);
	return rc ? -1 : 0;
}
