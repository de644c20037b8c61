#include "model/activation.h"

#include <math.h>
#include <string.h>

#include "common/vecops.h"

static const char *const names[NACTIVATIONS] = {
	[ACT_RELU] = "relu", [ACT_GELU] = "gelu", [ACT_QUAD] = "quad",
};

const char *activation_name(enum activation act)
{
	return (unsigned)act < NACTIVATIONS ? names[act] : NULL;
}

int activation_from_name(const char *name, enum activation *out)
{
	for (int i = 0; i < NACTIVATIONS; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum activation)i;
			return 0;
		}
	}
	return -1;
}

#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f

/* Exact GELU, x * Phi(x), as torch.nn.GELU() with approximate='none'. */
static float gelu(float x)
{
	return 0.5f * x * (1.0f + erff(x * INV_SQRT2));
}

/* d/dx x Phi(x) = Phi(x) + x phi(x). */
static float gelu_grad(float x)
{
	return 0.5f * (1.0f + erff(x * INV_SQRT2)) +
	       x * INV_SQRT_2PI * expf(-0.5f * x * x);
}

void activation_forward_row(enum activation act, int h, float *pre,
			    const float *bias, float *post)
{
	if (bias)
		vec_add(h, pre, bias);
	switch (act) {
	case ACT_RELU:
		if (post != pre)
			memcpy(post, pre, (size_t)h * sizeof *post);
		vec_relu(h, post);
		break;
	case ACT_GELU:
		for (int j = 0; j < h; j++)
			post[j] = gelu(pre[j]);
		break;
	case ACT_QUAD:
		vec_square(h, pre, post);
		break;
	default:
		break;
	}
}

void activation_backward_row(enum activation act, int h, const float *pre,
			     float *d, float *gbias)
{
	switch (act) {
	case ACT_RELU:
		vec_relu_grad(h, pre, d);
		break;
	case ACT_GELU:
		for (int j = 0; j < h; j++)
			d[j] *= gelu_grad(pre[j]);
		break;
	case ACT_QUAD:
		vec_square_grad(h, pre, d);
		break;
	default:
		break;
	}
	if (gbias)
		vec_add(h, gbias, d);
}
