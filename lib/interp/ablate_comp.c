/* The components of a model that traj-ablate acts on (see ablate_comp.h):
 * found from the hook table alone, so any model with TransformerLens's
 * hook_z / mlp.hook_post or the MLP's layers.i.hook_post has them. */
#include "interp/ablate_comp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct comp_list { struct component *c; int n, cap; };

static struct component *comp_add(struct comp_list *l)
{
	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 64;
		struct component *c = realloc(l->c, (size_t)cap * sizeof *c);
		if (!c)
			return NULL;
		l->c = c;
		l->cap = cap;
	}
	struct component *c = &l->c[l->n++];
	memset(c, 0, sizeof *c);
	return c;
}

/* The layer and its `units` components of `len` floats each, at hook h
 * (rows x width per example). */
static int add_group(struct comp_list *l, const struct model *m, int h,
		     const char *layer_name, const char *unit_fmt, int units,
		     int len, int layer, int is_attn)
{
	const struct hook_point *hp = &m->hooks[h];
	/* [T, ...] per position, or an MLP's [W] */
	int width = hp->rank >= 2 ? (int)(hp->numel / (size_t)hp->shape[0])
				  : (int)hp->numel;
	int rows = (int)(hp->numel / (size_t)width);
	for (int u = -1; u < units; u++) {
		struct component *c = comp_add(l);
		if (!c)
			return -1;
		c->hook = h;
		c->rows = rows;
		c->width = width;
		c->layer = layer;
		c->is_attn = is_attn;
		c->index = u;
		if (u < 0) {
			c->kind = COMP_LAYER;
			c->lo = 0;
			c->len = width;
			snprintf(c->name, sizeof c->name, "%s", layer_name);
		} else {
			c->kind = is_attn ? COMP_HEAD : COMP_NEURON;
			c->lo = u * len;
			c->len = len;
			snprintf(c->name, sizeof c->name, unit_fmt, layer_name, u);
		}
	}
	return 0;
}

/* The hook named by fmt with layer index i, or -1. */
static int find_layer_hook(const struct model *m, const char *fmt, int i)
{
	char name[HOOK_NAME_MAX];
	snprintf(name, sizeof name, fmt, i);
	return model_find_hook(m, name);
}

/* A transformer block's attention and MLP, if it has those hooks. */
static int add_block(struct comp_list *l, const struct model *m, int b)
{
	char base[COMP_NAME_MAX];
	int hz = find_layer_hook(m, "blocks.%d.attn.hook_z", b);
	if (hz < 0)
		return 0;
	const struct hook_point *z = &m->hooks[hz]; /* [T, H, E] */
	snprintf(base, sizeof base, "blocks.%d.attn", b);
	if (add_group(l, m, hz, base, "%s.head%d", (int)z->shape[1],
		      (int)z->shape[2], b, 1) < 0)
		return -1;
	int hp = find_layer_hook(m, "blocks.%d.mlp.hook_post", b);
	if (hp < 0)
		return 1;
	const struct hook_point *p = &m->hooks[hp]; /* [T, M] */
	snprintf(base, sizeof base, "blocks.%d.mlp", b);
	if (add_group(l, m, hp, base, "%s.n%d", (int)p->shape[1], 1, b, 0) < 0)
		return -1;
	return 1;
}

static int add_mlp_layer(struct comp_list *l, const struct model *m, int i)
{
	char base[COMP_NAME_MAX];
	int h = find_layer_hook(m, "layers.%d.hook_post", i);
	if (h < 0)
		return 0;
	snprintf(base, sizeof base, "layers.%d", i);
	if (add_group(l, m, h, base, "%s.n%d", (int)m->hooks[h].shape[0], 1,
		      i, 0) < 0)
		return -1;
	return 1;
}

int ablate_components_list(const struct model *m, struct component **out,
		    struct traj_error *err)
{
	struct comp_list l = { NULL, 0, 0 };
	int rc, i = 0;
	while ((rc = add_block(&l, m, i)) > 0)
		i++;
	if (rc == 0 && l.n == 0) /* not a transformer: MLP layers */
		for (i = 0; (rc = add_mlp_layer(&l, m, i)) > 0; i++)
			;
	if (rc < 0) {
		free(l.c);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	if (l.n == 0) {
		free(l.c);
		return traj_fail(err, TRAJ_EDATA, -1,
				 "model '%s' has no ablatable hooks "
				 "(attn.hook_z, mlp.hook_post, layers.i.hook_post)",
				 m->kind);
	}
	*out = l.c;
	return l.n;
}

int ablate_component_atomic(const struct component *c)
{
	return c->kind != COMP_LAYER;
}

/* Appends the hooks whose innermost dimension is dir_len. */
static void fitting_hooks(const struct model *m, int dir_len, char *buf,
			  size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int h = 0; h < m->nhooks && used < size; h++) {
		const struct hook_point *hp = &m->hooks[h];
		if (hp->shape[hp->rank - 1] != dir_len)
			continue;
		int w = snprintf(buf + used, size - used, "%s%s",
				 used ? ", " : "", hp->name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int ablate_component_direction(const struct model *m, const char *hook_name,
			int dir_len, struct component *out,
			struct traj_error *err)
{
	int h = model_find_hook(m, hook_name);
	char fits[1024];
	fitting_hooks(m, dir_len, fits, sizeof fits);
	if (h < 0 || m->hooks[h].shape[m->hooks[h].rank - 1] != dir_len)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "%s '%s' for a direction of length %d; "
				 "valid: %s", h < 0 ? "no hook" : "wrong size of hook",
				 hook_name, dir_len, fits[0] ? fits : "none");
	const struct hook_point *hp = &m->hooks[h];
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "direction");
	out->kind = COMP_DIRECTION;
	out->hook = h;
	out->width = dir_len;
	out->rows = (int)(hp->numel / (size_t)dir_len);
	out->len = dir_len;
	out->index = -1;
	return 0;
}

void ablate_components_describe(const struct component *c, int n, char *buf,
			 size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && used < size; i++) {
		if (c[i].kind != COMP_LAYER && c[i].kind != COMP_DIRECTION)
			continue;
		int units = 0;
		while (i + 1 + units < n && c[i + 1 + units].kind != COMP_LAYER)
			units++;
		int w = units ? snprintf(buf + used, size - used,
					 "%s%s, %s.%s0..%d", used ? ", " : "",
					 c[i].name, c[i].name,
					 c[i].is_attn ? "head" : "n", units - 1)
			      : snprintf(buf + used, size - used, "%s%s",
					 used ? ", " : "", c[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int ablate_component_find(const struct component *c, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return i;
	return -1;
}
