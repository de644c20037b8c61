/* Layer normalisation over rows of d floats, as TransformerLens's
 * LayerNorm: y = (x - mean) / sqrt(var + eps) * w + b, var the biased
 * variance, eps 1e-5. The forward pass keeps (mean, rstd) per row so the
 * backward pass needs only the input and these two numbers. */
#ifndef TRAJ_LAYERNORM_H
#define TRAJ_LAYERNORM_H

#define LAYERNORM_EPS 1e-5f

/* x, y (rows, d); stats (rows, 2) receive mean and 1/sqrt(var + eps). */
void layernorm_forward(int rows, int d, const float *x, const float *w,
		       const float *b, float *y, float *stats);
/* From dy (rows, d): dx += d loss / d x, dw += d loss / d w,
 * db += d loss / d b. */
void layernorm_backward(int rows, int d, const float *x, const float *stats,
			const float *w, const float *dy, float *dx, float *dw,
			float *db);

#endif
