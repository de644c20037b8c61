/* Optimisers over one flat parameter array. State (moments) has the same
 * layout as the parameters. Formulas follow PyTorch's SGD and AdamW so runs
 * can be compared against it step for step. */
#ifndef TRAJ_OPTIM_H
#define TRAJ_OPTIM_H

#include <stddef.h>
#include <stdint.h>

enum optim_kind { OPTIM_SGD, OPTIM_ADAMW };

struct optim_config {
	enum optim_kind kind;
	double lr;
	double weight_decay; /* AdamW: decoupled; SGD: added to the gradient */
	double momentum;     /* SGD */
	int nesterov;        /* SGD */
	double beta1, beta2, eps; /* AdamW */
	int64_t warmup;      /* linear warm-up steps of the learning rate, 0 none */
};
void optim_config_default(struct optim_config *cfg, enum optim_kind kind);
const char *optim_kind_name(enum optim_kind kind);
int optim_kind_from_name(const char *name, enum optim_kind *out);

struct optim {
	struct optim_config cfg;
	size_t n;
	float *m;        /* (n) first moment / SGD momentum buffer */
	float *v;        /* (n) second moment, AdamW only */
	int64_t t;       /* steps taken */
};

int optim_init(struct optim *o, const struct optim_config *cfg, size_t n);
void optim_free(struct optim *o);
/* One update of params (n) from grads (n). */
void optim_step(struct optim *o, float *params, const float *grads);
/* Learning rate used at step t (1-based), after warm-up. */
double optim_lr(const struct optim_config *cfg, int64_t t);

#endif
