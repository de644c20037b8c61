/* Softmax cross-entropy on one row of logits, with the log-sum-exp shifted
 * by the row maximum so large logits never overflow. */
#ifndef TRAJ_XENT_H
#define TRAJ_XENT_H

/* -log softmax(z)[y] for z (C). */
double xent_row(const float *z, int c, int y);
/* Same loss; then overwrites z with scale * (softmax(z) - onehot(y)),
 * the gradient of scale * loss with respect to z. */
double xent_row_grad(float *z, int c, int y, float scale);
/* Index of the largest logit; ties go to the lowest index. */
int xent_argmax(const float *z, int c);

#endif
