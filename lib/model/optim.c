/* SGD and AdamW with PyTorch's update formulas (torch.optim.SGD with
 * dampening 0, torch.optim.AdamW with amsgrad off), so a run can be
 * compared with PyTorch step for step. Scalars are computed in double,
 * the element updates in float. */
#include "model/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* AdamW: betas (0.9, 0.98) as in Nanda et al.'s grokking runs, where
 * PyTorch's default is (0.9, 0.999); weight decay 1.0 likewise. */
void optim_config_default(struct optim_config *cfg, enum optim_kind kind)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->kind = kind;
	if (kind == OPTIM_SGD) {
		cfg->lr = 0.1;
		cfg->momentum = 0.9;
		cfg->weight_decay = 0.0;
	} else {
		cfg->lr = 1e-3;
		cfg->weight_decay = 1.0;
		cfg->beta1 = 0.9;
		cfg->beta2 = 0.98;
		cfg->eps = 1e-8;
	}
}

const char *optim_kind_name(enum optim_kind kind)
{
	switch (kind) {
	case OPTIM_SGD: return "sgd";
	case OPTIM_ADAMW: return "adamw";
	}
	return NULL;
}

int optim_kind_from_name(const char *name, enum optim_kind *out)
{
	if (strcmp(name, "sgd") == 0)
		*out = OPTIM_SGD;
	else if (strcmp(name, "adamw") == 0)
		*out = OPTIM_ADAMW;
	else
		return -1;
	return 0;
}

int optim_init(struct optim *o, const struct optim_config *cfg, size_t n)
{
	memset(o, 0, sizeof *o);
	o->cfg = *cfg;
	o->n = n;
	o->m = calloc(n ? n : 1, sizeof *o->m);
	if (cfg->kind == OPTIM_ADAMW)
		o->v = calloc(n ? n : 1, sizeof *o->v);
	if (!o->m || (cfg->kind == OPTIM_ADAMW && !o->v)) {
		optim_free(o);
		return -1;
	}
	return 0;
}

void optim_free(struct optim *o)
{
	free(o->m);
	free(o->v);
	o->m = o->v = NULL;
}

double optim_lr(const struct optim_config *cfg, int64_t t)
{
	if (cfg->warmup > 0 && t < cfg->warmup)
		return cfg->lr * (double)t / (double)cfg->warmup;
	return cfg->lr;
}

/* g += wd p; buf = momentum buf + g (buf = g on the first step);
 * g = nesterov ? g + momentum buf : buf; p -= lr g. */
static void sgd_step(struct optim *o, float *p, const float *grad, float lr)
{
	float wd = (float)o->cfg.weight_decay, mu = (float)o->cfg.momentum;
	int first = o->t == 1, nesterov = o->cfg.nesterov;
	float *buf = o->m;
	for (size_t i = 0; i < o->n; i++) {
		float g = grad[i] + wd * p[i];
		if (mu != 0.0f) {
			buf[i] = first ? g : mu * buf[i] + g;
			g = nesterov ? g + mu * buf[i] : buf[i];
		}
		p[i] -= lr * g;
	}
}

/* p *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). */
static void adamw_step(struct optim *o, float *p, const float *grad, double lr)
{
	const struct optim_config *c = &o->cfg;
	float decay = (float)(1.0 - lr * c->weight_decay);
	float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
	float step = (float)(lr / (1.0 - pow(c->beta1, (double)o->t)));
	float inv_bc2 = (float)(1.0 / sqrt(1.0 - pow(c->beta2, (double)o->t)));
	float *m = o->m, *v = o->v;
	for (size_t i = 0; i < o->n; i++) {
		float g = grad[i];
		m[i] = b1 * m[i] + (1.0f - b1) * g;
		v[i] = b2 * v[i] + (1.0f - b2) * g * g;
		p[i] = p[i] * decay -
		       step * m[i] / (sqrtf(v[i]) * inv_bc2 + eps);
	}
}

void optim_step(struct optim *o, float *params, const float *grads)
{
	o->t++;
	double lr = optim_lr(&o->cfg, o->t);
	if (o->cfg.kind == OPTIM_SGD)
		sgd_step(o, params, grads, (float)lr);
	else
		adamw_step(o, params, grads, lr);
}
