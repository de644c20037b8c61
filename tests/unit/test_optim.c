/* SGD and AdamW against values worked out by hand from PyTorch's update
 * formulas (torch.optim.SGD, torch.optim.AdamW). */
#include <string.h>

#include "harness.h"
#include "model/optim.h"

static struct optim make(enum optim_kind kind, double lr, double wd,
			 size_t n)
{
	struct optim_config c;
	optim_config_default(&c, kind);
	c.lr = lr;
	c.weight_decay = wd;
	struct optim o;
	if (optim_init(&o, &c, n) < 0)
		printf("# optim_init failed\n");
	return o;
}

/* lr 0.1, wd 0.1, betas (0.9, 0.98), eps 1e-8; p = [1, 1], g = [0.5, 0]:
 *   decay:  p = 1 * (1 - 0.1 * 0.1) = 0.99
 *   p[0]:   m = 0.1 * 0.5 = 0.05,  v = 0.02 * 0.25 = 0.005
 *           mhat = 0.05 / (1 - 0.9) = 0.5, vhat = 0.005 / (1 - 0.98) = 0.25
 *           p = 0.99 - 0.1 * 0.5 / (sqrt(0.25) + 1e-8) = 0.89 (+2e-9)
 *   p[1]:   m = v = 0, so only the decoupled decay: p = 0.99 */
static void test_adamw_one_step(void)
{
	struct optim o = make(OPTIM_ADAMW, 0.1, 0.1, 2);
	float p[2] = { 1.0f, 1.0f };
	const float g[2] = { 0.5f, 0.0f };
	optim_step(&o, p, g);
	CHECK_NEAR(p[0], 0.99 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-7);
	CHECK_NEAR(p[0], 0.89, 1e-7);
	CHECK_NEAR(p[1], 0.99, 1e-7);
	CHECK(o.t == 1);
	optim_free(&o);
}

/* The step above, then g = -0.25 from p1 = 0.99 - 0.1 * 0.5 / (0.5 + 1e-8):
 *   decay:  p = p1 * 0.99
 *   m = 0.9 * 0.05 + 0.1 * (-0.25) = 0.02
 *   v = 0.98 * 0.005 + 0.02 * 0.0625 = 0.00615
 *   mhat = 0.02 / (1 - 0.9^2) = 0.02 / 0.19 = 0.1052632
 *   vhat = 0.00615 / (1 - 0.98^2) = 0.00615 / 0.0396 = 0.1553030
 *   p = p1 * 0.99 - 0.1 * mhat / (sqrt(vhat) + 1e-8)
 *     = 0.8811 - 0.0267109 = 0.8543891 */
static void test_adamw_two_steps_bias_correction(void)
{
	struct optim o = make(OPTIM_ADAMW, 0.1, 0.1, 1);
	float p[1] = { 1.0f };
	optim_step(&o, p, (const float[]){ 0.5f });
	optim_step(&o, p, (const float[]){ -0.25f });
	double p1 = 0.99 - 0.1 * 0.5 / (0.5 + 1e-8);
	double mhat = 0.02 / 0.19, vhat = 0.00615 / 0.0396;
	double want = p1 * 0.99 - 0.1 * mhat / (sqrt(vhat) + 1e-8);
	CHECK_NEAR(p[0], want, 1e-6);
	CHECK_NEAR(p[0], 0.8543891, 1e-6);
	CHECK_NEAR(o.m[0], 0.02, 1e-8);
	CHECK_NEAR(o.v[0], 0.00615, 1e-8);
	optim_free(&o);
}

/* lr 0.1, momentum 0.9, p = 1; gradients 1 then 0.5.
 *   plain:    buf = 1,              p = 1 - 0.1 * 1 = 0.9
 *             buf = 0.9 * 1 + 0.5 = 1.4, p = 0.9 - 0.14 = 0.76
 *   nesterov: buf = 1, step g + 0.9 buf = 1.9,  p = 1 - 0.19 = 0.81
 *             buf = 1.4, step 0.5 + 0.9 * 1.4 = 1.76, p = 0.81 - 0.176 = 0.634
 *   wd 0.1:   g = 1 + 0.1 * 1 = 1.1, buf = 1.1, p = 1 - 0.11 = 0.89 */
static void test_sgd_momentum_nesterov(void)
{
	for (int nesterov = 0; nesterov <= 1; nesterov++) {
		struct optim o = make(OPTIM_SGD, 0.1, 0.0, 1);
		o.cfg.nesterov = nesterov;
		float p[1] = { 1.0f };
		optim_step(&o, p, (const float[]){ 1.0f });
		CHECK_NEAR(p[0], nesterov ? 0.81 : 0.9, 1e-7);
		optim_step(&o, p, (const float[]){ 0.5f });
		CHECK_NEAR(p[0], nesterov ? 0.634 : 0.76, 1e-7);
		CHECK_NEAR(o.m[0], 1.4, 1e-7);
		optim_free(&o);
	}
	struct optim o = make(OPTIM_SGD, 0.1, 0.1, 1);
	float p[1] = { 1.0f };
	optim_step(&o, p, (const float[]){ 1.0f });
	CHECK_NEAR(p[0], 0.89, 1e-7);
	optim_free(&o);
}

/* Momentum 0 is plain gradient descent and keeps no buffer state. */
static void test_sgd_plain(void)
{
	struct optim o = make(OPTIM_SGD, 0.5, 0.0, 1);
	o.cfg.momentum = 0;
	float p[1] = { 1.0f };
	optim_step(&o, p, (const float[]){ 1.0f });
	optim_step(&o, p, (const float[]){ 1.0f });
	CHECK_NEAR(p[0], 0.0, 1e-7);
	optim_free(&o);
}

/* lr ramps as lr * min(1, t / warmup), t counted from 1. */
static void test_warmup(void)
{
	struct optim_config c;
	optim_config_default(&c, OPTIM_SGD);
	c.lr = 1.0;
	c.warmup = 4;
	const double want[6] = { 0, 0.25, 0.5, 0.75, 1.0, 1.0 };
	for (int t = 1; t <= 5; t++)
		CHECK_NEAR(optim_lr(&c, t), want[t], 1e-12);
	c.warmup = 0;
	CHECK_NEAR(optim_lr(&c, 1), 1.0, 1e-12);
	/* The step uses the warmed-up rate: SGD without momentum moves
	 * p by 0.25 * g on step 1. */
	c.warmup = 4;
	c.momentum = 0;
	struct optim o;
	CHECK(optim_init(&o, &c, 1) == 0);
	float p[1] = { 1.0f };
	optim_step(&o, p, (const float[]){ 1.0f });
	CHECK_NEAR(p[0], 0.75, 1e-7);
	optim_free(&o);
	/* AdamW's first step moves by about lr_t, and the decay uses lr_t. */
	optim_config_default(&c, OPTIM_ADAMW);
	c.lr = 0.1;
	c.warmup = 10;
	c.weight_decay = 0.5;
	CHECK(optim_init(&o, &c, 1) == 0);
	p[0] = 1.0f;
	optim_step(&o, p, (const float[]){ 2.0f });
	CHECK_NEAR(p[0], 1.0 * (1 - 0.01 * 0.5) - 0.01, 1e-7);
	optim_free(&o);
}

static void test_defaults_and_names(void)
{
	struct optim_config c;
	optim_config_default(&c, OPTIM_ADAMW);
	CHECK(c.kind == OPTIM_ADAMW && c.lr == 1e-3 && c.weight_decay == 1.0);
	CHECK(c.beta1 == 0.9 && c.beta2 == 0.98 && c.eps == 1e-8);
	CHECK(c.warmup == 0);
	optim_config_default(&c, OPTIM_SGD);
	CHECK(c.kind == OPTIM_SGD && c.lr == 0.1 && c.momentum == 0.9);
	CHECK(c.weight_decay == 0.0 && !c.nesterov);
	enum optim_kind k;
	CHECK(optim_kind_from_name("adamw", &k) == 0 && k == OPTIM_ADAMW);
	CHECK(optim_kind_from_name("sgd", &k) == 0 && k == OPTIM_SGD);
	CHECK(optim_kind_from_name("adam", &k) < 0);
	CHECK(optim_kind_from_name("SGD", &k) < 0);
	CHECK(strcmp(optim_kind_name(OPTIM_ADAMW), "adamw") == 0);
	CHECK(strcmp(optim_kind_name(OPTIM_SGD), "sgd") == 0);
}

int main(void)
{
	RUN(test_adamw_one_step);
	RUN(test_adamw_two_steps_bias_correction);
	RUN(test_sgd_momentum_nesterov);
	RUN(test_sgd_plain);
	RUN(test_warmup);
	RUN(test_defaults_and_names);
	return harness_done();
}
