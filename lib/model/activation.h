/* Element-wise activations fused with the neighbouring bias add (forward)
 * and bias-gradient reduction (backward), so each hidden layer costs one
 * pass over its (B, H) activations in each direction. The names live in
 * model.h (activation_name, activation_from_name). */
#ifndef TRAJ_ACTIVATION_H
#define TRAJ_ACTIVATION_H

#include "model/model.h"

/* One row of H units: pre += bias (if bias), post = act(pre). For relu,
 * post may equal pre (in place): relu's backward only needs the sign,
 * which post keeps, and this saves one (B, H) buffer and its traffic. */
void activation_forward_row(enum activation act, int h, float *pre,
			    const float *bias, float *post);
/* One row: d = d * act'(pre) in place (d holds d loss / d post on entry,
 * d loss / d pre on exit); gbias += d if gbias. */
void activation_backward_row(enum activation act, int h, const float *pre,
			     float *d, float *gbias);

#endif
