/* Corruptions and component weights; see patch.h. */
#include "interp/patch.h"

#include <stdio.h>
#include <string.h>

int patch_corruption_from_name(const char *name, enum corruption *out)
{
	if (strcmp(name, "a") == 0)
		*out = CORRUPT_A;
	else if (strcmp(name, "b") == 0)
		*out = CORRUPT_B;
	else
		return -1;
	return 0;
}

int patch_corrupt_tokens(const struct task_config *task, const struct split *s,
		   int n_inputs, enum corruption which, uint64_t seed,
		   int32_t **out, struct traj_error *err)
{
	return task_corrupt_tokens(task, s, n_inputs, which == CORRUPT_B, seed,
				   out, err);
}

static int view(const struct model *m, const char *fmt, int layer,
		const struct param_view **v)
{
	char name[TRAJ_NAME_MAX];
	snprintf(name, sizeof name, fmt, layer);
	int i = model_find_view(m, name);
	*v = i >= 0 ? &m->views[i] : NULL;
	return i;
}

/* view(), for a view the component cannot do without: TRAJ_EDATA naming
 * it when m lacks it. */
static int need(const struct model *m, const char *fmt, int layer,
		const struct param_view **v, struct traj_error *err)
{
	if (view(m, fmt, layer, v) >= 0)
		return 0;
	char name[TRAJ_NAME_MAX];
	snprintf(name, sizeof name, fmt, layer);
	return traj_fail(err, TRAJ_EDATA, -1, "the model has no weights "
			 "'%s'", name);
}

/* The whole view, or row `row` (of len floats) of it. */
static struct weight_slice rows_of(const struct param_view *v, int row,
				   int len)
{
	if (row < 0)
		return (struct weight_slice){ v->offset, 0, 1, (int)v->numel };
	return (struct weight_slice){ v->offset + (size_t)row * len, 0, 1, len };
}

/* Column `col` of a (rows, cols) view, or the whole view. */
static struct weight_slice column_of(const struct param_view *v, int col)
{
	if (col < 0)
		return rows_of(v, -1, 0);
	return (struct weight_slice){ v->offset + (size_t)col,
				      (size_t)v->shape[1], (int)v->shape[0], 1 };
}

static int head_weights(const struct model *m, const struct component *c,
			struct weight_slice *out, struct traj_error *err)
{
	static const char *const names[] = {
		"blocks.%d.attn.W_Q", "blocks.%d.attn.W_K", "blocks.%d.attn.W_V",
		"blocks.%d.attn.W_O", "blocks.%d.attn.b_Q", "blocks.%d.attn.b_K",
		"blocks.%d.attn.b_V",
	};
	int n = 0;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const struct param_view *v;
		if (need(m, names[i], c->layer, &v, err) < 0)
			return -1;
		int per_head = (int)(v->numel / (size_t)v->shape[0]);
		out[n++] = rows_of(v, c->index, per_head);
	}
	if (c->kind == COMP_LAYER) {
		const struct param_view *v;
		if (need(m, "blocks.%d.attn.b_O", c->layer, &v, err) < 0)
			return -1;
		out[n++] = rows_of(v, -1, 0);
	}
	return n;
}

/* A neuron (or, index -1, the layer) between an input matrix whose
 * column it is and an output matrix whose row it is. */
static int neuron_weights(const struct model *m, const struct component *c,
			  const char *in, const char *bias, const char *outw,
			  const char *outb, int out_layer,
			  struct weight_slice *out, struct traj_error *err)
{
	const struct param_view *vi, *vb, *vo, *vob;
	if (need(m, in, c->layer, &vi, err) < 0 ||
	    need(m, outw, out_layer, &vo, err) < 0)
		return -1;
	int n = 0;
	out[n++] = column_of(vi, c->index);
	if (view(m, bias, c->layer, &vb) >= 0)
		out[n++] = rows_of(vb, c->index, 1);
	out[n++] = rows_of(vo, c->index, (int)vo->shape[1]);
	if (c->index < 0 && outb && view(m, outb, out_layer, &vob) >= 0)
		out[n++] = rows_of(vob, -1, 0);
	return n;
}

int patch_component_weights(const struct model *m, const struct component *c,
			    struct weight_slice *out, struct traj_error *err)
{
	if (c->kind == COMP_DIRECTION)
		return 0;
	if (c->is_attn)
		return head_weights(m, c, out, err);
	if (strncmp(c->name, "blocks.", 7) == 0)
		return neuron_weights(m, c, "blocks.%d.mlp.W_in",
				      "blocks.%d.mlp.b_in", "blocks.%d.mlp.W_out",
				      "blocks.%d.mlp.b_out", c->layer, out, err);
	return neuron_weights(m, c, "layers.%d.W", "layers.%d.b", "layers.%d.W",
			      NULL, c->layer + 1, out, err);
}

void patch_weights_copy(float *dst, const float *src, const struct weight_slice *s,
		  int n)
{
	for (int i = 0; i < n; i++)
		for (int r = 0; r < s[i].count; r++) {
			size_t o = s[i].offset + (size_t)r * s[i].stride;
			memcpy(dst + o, src + o, (size_t)s[i].len * sizeof *dst);
		}
}
