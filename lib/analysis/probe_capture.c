#include "analysis/probe_capture.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Attention scores and patterns [H, T, T] carry the query position on
 * their second axis; every other transformer hook on its first. */
static int query_axis(const struct hook_point *h)
{
	return has_suffix(h->name, "hook_attn_scores") ||
	       has_suffix(h->name, "hook_pattern");
}

static int positional(const struct model *m)
{
	return strcmp(m->kind, "transformer") == 0;
}

static int kept_width(const struct model *m, const struct hook_point *h)
{
	if (!positional(m))
		return (int)h->numel;
	if (query_axis(h))
		return (int)(h->shape[0] * h->shape[2]);
	return (int)(h->numel / (size_t)h->shape[0]);
}

void probe_capture_free(struct capture *c)
{
	for (int i = 0; i < c->nh; i++)
		free(c->act[i]);
	memset(c, 0, sizeof *c);
}

int probe_capture_init(struct capture *c, const struct model *m, const int *hooks,
		 int nh, int pos, int64_t n, struct traj_error *err)
{
	memset(c, 0, sizeof *c);
	c->n = n;
	c->pos = -1;
	if (positional(m)) {
		int T = m->n_inputs;
		if (pos < -T || pos >= T)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "--pos: %d outside the sequence of %d positions (-%d..%d)",
					 pos, T, T, T - 1);
		c->pos = pos < 0 ? T + pos : pos;
	}
	for (int i = 0; i < nh && i < CAPTURE_MAX_HOOKS; i++) {
		c->hook[i] = hooks[i];
		c->width[i] = kept_width(m, &m->hooks[hooks[i]]);
		c->act[i] = malloc((size_t)n * c->width[i] * sizeof(float));
		c->nh++;
		if (!c->act[i]) {
			probe_capture_free(c);
			return traj_fail(err, TRAJ_ENOMEM, -1,
					 "out of memory for activations");
		}
	}
	return 0;
}

int probe_capture_slot(const struct capture *c, int hook)
{
	for (int i = 0; i < c->nh; i++)
		if (c->hook[i] == hook)
			return i;
	return -1;
}

struct capture_ctx {
	struct capture *c;
	const struct model *m;
};

static void keep(void *ctx, int hook, int64_t e0, int n, float *act)
{
	struct capture_ctx *x = ctx;
	struct capture *c = x->c;
	int slot = probe_capture_slot(c, hook);
	if (slot < 0)
		return;
	const struct hook_point *h = &x->m->hooks[hook];
	int w = c->width[slot];
	float *out = c->act[slot] + (c->chunk0 + e0) * w;
	for (int e = 0; e < n; e++, act += h->numel, out += w) {
		if (c->pos < 0) {
			memcpy(out, act, (size_t)w * sizeof *out);
		} else if (query_axis(h)) {
			int64_t H = h->shape[0], T = h->shape[1], K = h->shape[2];
			for (int64_t hd = 0; hd < H; hd++)
				memcpy(out + hd * K, act + (hd * T + c->pos) * K,
				       (size_t)K * sizeof *out);
		} else {
			memcpy(out, act + (size_t)c->pos * w, (size_t)w * sizeof *out);
		}
	}
}

int probe_capture_run(struct capture *c, struct model *m,
		const struct task_examples *in, struct traj_error *err)
{
	int64_t chunk = m->max_batch < CAPTURE_BATCH ? m->max_batch : CAPTURE_BATCH;
	float *logits = malloc((size_t)chunk * m->n_outputs * m->n_classes *
			       sizeof *logits);
	if (!logits)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	struct capture_ctx ctx = { c, m };
	model_set_hook(m, keep, &ctx);
	for (int64_t e = 0; e < in->n; e += chunk) {
		struct batch b = {
			.n = (int)(in->n - e < chunk ? in->n - e : chunk),
			.tokens = in->tokens ? in->tokens + e * in->T : NULL,
			.features = in->features ? in->features + e * in->F : NULL,
			.labels = in->labels + e * in->K,
		};
		c->chunk0 = e;
		m->ops->logits(m, &b, logits);
	}
	model_set_hook(m, NULL, NULL);
	free(logits);
	return 0;
}

int probe_capture_find_hooks(const struct model *m, char *const *globs, int nglobs,
		       int *hooks, int max, struct traj_error *err)
{
	for (int g = 0; g < nglobs; g++) {
		int found = 0;
		for (int h = 0; h < m->nhooks && !found; h++)
			found = fnmatch(globs[g], m->hooks[h].name, 0) == 0;
		if (found)
			continue;
		char list[1024] = "";
		size_t len = 0;
		for (int h = 0; h < m->nhooks && len + 8 < sizeof list; h++)
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
						h ? ", " : "", m->hooks[h].name);
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--hook '%s': no such hook point in this %s; hooks: %s",
				 globs[g], m->kind, m->nhooks ? list : "(none)");
	}
	int n = 0;
	for (int h = 0; h < m->nhooks; h++) {
		int match = 0;
		for (int g = 0; g < nglobs && !match; g++)
			match = fnmatch(globs[g], m->hooks[h].name, 0) == 0;
		if (match && n < max)
			hooks[n++] = h;
	}
	return n;
}
