/* The gradient with respect to the input, for the models that have one. */
#include "model/model.h"

int model_input_grad(struct model *m, const struct batch *b, float *dx,
		     float *loss, float *logits, struct traj_error *err)
{
	if (!m->ops->input_grad || m->vocab)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "the %s model takes tokens: it has no "
				 "continuous input to perturb", m->kind);
	if (m->ops->input_grad(m, b, dx, loss, logits) < 0)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "invalid batch for the model's input gradient");
	return 0;
}

struct model *model_worker_new(struct model *m, int rows,
			       struct traj_error *err)
{
	if (!m->ops->worker || m->vocab) {
		if (m->vocab)
			traj_fail(err, TRAJ_EUSAGE, -1, "the %s model takes "
				  "tokens: it has no continuous input to "
				  "perturb", m->kind);
		else
			traj_fail(err, TRAJ_EUSAGE, -1, "the %s model has no "
				  "per-thread view for input gradients",
				  m->kind);
		return NULL;
	}
	struct model *w = m->ops->worker(m, rows > 0 ? rows : 1);
	if (!w)
		traj_fail(err, TRAJ_ENOMEM, -1, "model: out of memory");
	return w;
}
