/* The attacks: eps 0 changes nothing, results stay in the box and the
 * ball, more steps and restarts never fool fewer examples than FGSM on
 * these cases, a target is reached, the minimal eps is where the attack
 * starts to fool, and bad input is refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "interp/attack.h"
#include "model/mlp.h"

enum { F = 8, H = 16, C = 3, N = 40 };

static float x[N * F];
static int32_t y[N];

static struct model *make(void)
{
	struct mlp_config c = { F, 0, H, 2, C, ACT_RELU, 1, {0} };
	struct traj_error err;
	struct model *m = mlp_new(&c, 64, &err);
	if (!m)
		return NULL;
	model_init(m, 11);
	/* inputs in [0, 1] with default-sized weights barely move the logits:
	 * sharpen the first layer so the box holds every class */
	const struct param_view *w0 = &m->views[model_find_view(m, "layers.0.W")];
	for (size_t i = 0; i < w0->numel; i++)
		m->params[w0->offset + i] *= 12.0f;
	struct rng r;
	rng_seed(&r, 5);
	for (int i = 0; i < N * F; i++)
		x[i] = rng_uniform(&r);
	/* labels: the model's own prediction for most, so it starts right */
	float z[N * C];
	int32_t pred[N];
	struct batch b = { N, NULL, x, y };
	m->ops->logits(m, &b, z);
	attack_predict(z, N, C, pred);
	for (int e = 0; e < N; e++)
		y[e] = e % 5 == 0 ? (pred[e] + 1) % C : pred[e];
	return m;
}

static struct attack_params pgd(enum attack_norm norm, int iters,
				int restarts)
{
	struct attack_params p = {
		.norm = norm, .iters = iters,
		.step = attack_default_step(iters), .random_start = 1,
		.restarts = restarts, .every_iterate = 1, .seed = 9,
		.lo = 0.0f, .hi = 1.0f,
	};
	return p;
}

static int count(const uint8_t *v)
{
	int k = 0;
	for (int e = 0; e < N; e++)
		k += v[e];
	return k;
}

static void eps_zero_is_clean(void)
{
	struct model *m = make();
	CHECK(m != NULL);
	if (!m)
		return;
	struct batch b = { N, NULL, x, y };
	struct attack_result r;
	struct traj_error err;
	CHECK(attack_result_init(&r, N, F, &err) == 0);
	struct attack_params p = pgd(ATTACK_LINF, 10, 3);
	CHECK(attack_run(m, &b, NULL, 0.0, &p, &r, &err) == 0);
	CHECK(memcmp(r.adv, x, sizeof x) == 0);
	CHECK(count(r.fooled) == N / 5); /* exactly the mislabelled ones */
	p = pgd(ATTACK_L2, 10, 3);
	CHECK(attack_run(m, &b, NULL, 0.0, &p, &r, &err) == 0);
	CHECK(memcmp(r.adv, x, sizeof x) == 0);
	CHECK(count(r.fooled) == N / 5);
	attack_result_free(&r);
	model_free(m);
}

static void inside_box_and_ball(void)
{
	struct model *m = make();
	CHECK(m != NULL);
	if (!m)
		return;
	struct batch b = { N, NULL, x, y };
	struct attack_result r;
	struct traj_error err;
	CHECK(attack_result_init(&r, N, F, &err) == 0);
	for (int norm = ATTACK_LINF; norm <= ATTACK_L2; norm++) {
		double eps = norm == ATTACK_LINF ? 0.3 : 0.8;
		struct attack_params p = pgd(norm, 20, 2);
		CHECK(attack_run(m, &b, NULL, eps, &p, &r, &err) == 0);
		int moved = 0;
		for (int e = 0; e < N; e++) {
			double l2 = 0, linf = 0;
			for (int i = 0; i < F; i++) {
				float a = r.adv[e * F + i];
				CHECK(a >= 0.0f && a <= 1.0f);
				double d = fabs((double)a - x[e * F + i]);
				l2 += d * d;
				linf = d > linf ? d : linf;
			}
			double size = norm == ATTACK_LINF ? linf : sqrt(l2);
			CHECK(size <= eps * (1 + 1e-5));
			moved += size > 0.5 * eps;
		}
		CHECK(moved > N / 2); /* the attack does go somewhere */
	}
	attack_result_free(&r);
	model_free(m);
}

/* Each block of examples is attacked by one thread alone, with
 * single-threaded products, in blocks whose size does not depend on the
 * thread count: at 3 threads (more threads than this machine may have
 * cores) the attack gives what it gives at 1, bit for bit, also when
 * blocks are taken in another order. */
static void threads_agree(void)
{
	enum { NT = 2000 };
	struct model *m = make();
	CHECK(m != NULL);
	if (!m)
		return;
	static float xt[NT * F];
	static int32_t yt[NT];
	struct rng g;
	rng_seed(&g, 6);
	for (int i = 0; i < NT * F; i++)
		xt[i] = rng_uniform(&g);
	struct batch b = { NT, NULL, xt, yt };
	static float z[NT * C];
	m->ops->logits(m, &b, z);
	attack_predict(z, NT, C, yt); /* right before the attack */
	struct traj_error err;
	for (int norm = ATTACK_LINF; norm <= ATTACK_L2; norm++) {
		struct attack_result r[3];
		struct attack_params p = pgd(norm, 10, 2);
		for (int k = 0; k < 3; k++) {
			CHECK(attack_result_init(&r[k], NT, F, &err) == 0);
			parallel_set_threads(k ? 3 : 1);
			CHECK(attack_run(m, &b, NULL, norm == ATTACK_LINF ? 0.1 : 0.5,
					 &p, &r[k], &err) == 0);
		}
		parallel_set_threads(0);
		for (int k = 1; k < 3; k++) {
			CHECK(memcmp(r[0].adv, r[k].adv, sizeof xt) == 0);
			CHECK(memcmp(r[0].fooled, r[k].fooled, NT) == 0);
			CHECK(memcmp(r[0].loss, r[k].loss,
				     NT * sizeof *r[0].loss) == 0);
		}
		int fooled = 0;
		for (int e = 0; e < NT; e++)
			fooled += r[0].fooled[e];
		CHECK(fooled > NT / 10); /* the attack does something */
		for (int k = 0; k < 3; k++)
			attack_result_free(&r[k]);
	}
	model_free(m);
}

static void pgd_at_least_fgsm(void)
{
	struct model *m = make();
	CHECK(m != NULL);
	if (!m)
		return;
	struct batch b = { N, NULL, x, y };
	struct attack_result r;
	struct traj_error err;
	CHECK(attack_result_init(&r, N, F, &err) == 0);
	struct attack_params fgsm = { .norm = ATTACK_LINF, .iters = 1,
				      .step = 1.0, .restarts = 1,
				      .lo = 0.0f, .hi = 1.0f };
	int more = 0;
	for (double eps = 0.05; eps < 0.5; eps *= 2) {
		CHECK(attack_run(m, &b, NULL, eps, &fgsm, &r, &err) == 0);
		uint8_t by_fgsm[N];
		memcpy(by_fgsm, r.fooled, N);
		struct attack_params p = pgd(ATTACK_LINF, 40, 3);
		CHECK(attack_run(m, &b, NULL, eps, &p, &r, &err) == 0);
		for (int e = 0; e < N; e++)
			CHECK(r.fooled[e] >= by_fgsm[e]); /* example by example */
		CHECK(count(by_fgsm) >= N / 5);
		more += count(r.fooled) > count(by_fgsm);
	}
	CHECK(more > 0); /* and PGD does find more somewhere */
	attack_result_free(&r);
	model_free(m);
}

/* FGSM by hand: x + eps sign(d loss / d x), clipped. */
static void fgsm_by_hand(void)
{
	struct model *m = make();
	CHECK(m != NULL);
	if (!m)
		return;
	struct batch b = { N, NULL, x, y };
	float g[N * F];
	struct traj_error err;
	CHECK(model_input_grad(m, &b, g, NULL, NULL, &err) == 0);
	struct attack_result r;
	CHECK(attack_result_init(&r, N, F, &err) == 0);
	struct attack_params fgsm = { .norm = ATTACK_LINF, .iters = 1,
				      .step = 1.0, .restarts = 1,
				      .lo = 0.0f, .hi = 1.0f };
	CHECK(attack_run(m, &b, NULL, 0.1, &fgsm, &r, &err) == 0);
	for (int i = 0; i < N * F; i++) {
		float want = x[i] + 0.1f * (float)((g[i] > 0) - (g[i] < 0));
		want = want < 0 ? 0 : want > 1 ? 1 : want;
		CHECK_NEAR(r.adv[i], want, 1e-7);
	}
	attack_result_free(&r);
	model_free(m);
}

static void targeted_reaches_target(void)
{
	struct model *m = make();
	CHECK(m != NULL);
	if (!m)
		return;
	int32_t target[N];
	/* classes 1 and 2 (class 0 has no region in this model's box) */
	for (int e = 0; e < N; e++)
		target[e] = y[e] == 2 ? 1 : 2;
	struct batch b = { N, NULL, x, target };
	struct attack_result r;
	struct traj_error err;
	CHECK(attack_result_init(&r, N, F, &err) == 0);
	struct attack_params p = pgd(ATTACK_LINF, 40, 1);
	p.targeted = 1;
	CHECK(attack_run(m, &b, NULL, 0.0, &p, &r, &err) == 0);
	int at_zero = count(r.fooled);
	CHECK(attack_run(m, &b, NULL, 1.0, &p, &r, &err) == 0);
	CHECK(count(r.fooled) > at_zero);
	CHECK(count(r.fooled) >= N / 2);
	attack_result_free(&r);
	model_free(m);
}

static void min_eps_is_where_it_fools(void)
{
	struct model *m = make();
	CHECK(m != NULL);
	if (!m)
		return;
	struct batch b = { N, NULL, x, y };
	float me[N];
	struct traj_error err;
	struct attack_params p = pgd(ATTACK_LINF, 20, 1);
	CHECK(attack_min_eps(m, &b, &p, 0.5, 8, me, &err) == 0);
	int zeros = 0, finite = 0;
	for (int e = 0; e < N; e++) {
		zeros += me[e] == 0.0f;
		finite += isfinite(me[e]) && me[e] > 0;
		CHECK(me[e] == INFINITY || (me[e] >= 0 && me[e] <= 0.5f));
	}
	CHECK(zeros == N / 5);
	CHECK(finite > 0);
	/* at each example's own eps the attack fools it */
	float eps[N];
	for (int e = 0; e < N; e++)
		eps[e] = isfinite(me[e]) ? me[e] : 0.0f;
	struct attack_result r;
	CHECK(attack_result_init(&r, N, F, &err) == 0);
	CHECK(attack_run(m, &b, eps, 0.0, &p, &r, &err) == 0);
	for (int e = 0; e < N; e++)
		if (isfinite(me[e]))
			CHECK(r.fooled[e]);
	attack_result_free(&r);
	model_free(m);
}

static void bad_input_refused(void)
{
	struct model *m = make();
	CHECK(m != NULL);
	if (!m)
		return;
	struct attack_result r;
	struct traj_error err;
	CHECK(attack_result_init(&r, N, F, &err) == 0);
	struct attack_params p = pgd(ATTACK_LINF, 5, 1);
	struct batch b = { N, NULL, x, y };
	CHECK(attack_run(m, &b, NULL, -0.1, &p, &r, &err) == -1);
	CHECK(err.status == TRAJ_EUSAGE);
	CHECK(attack_run(m, &b, NULL, NAN, &p, &r, &err) == -1);
	float saved = x[3];
	x[3] = 1.5f;
	CHECK(attack_run(m, &b, NULL, 0.1, &p, &r, &err) == -1);
	CHECK(err.status == TRAJ_EDATA);
	CHECK(strstr(err.msg, "outside the box") != NULL);
	x[3] = saved;
	p.iters = 0;
	CHECK(attack_run(m, &b, NULL, 0.1, &p, &r, &err) == -1);
	attack_result_free(&r);
	model_free(m);
}

int main(void)
{
	RUN(eps_zero_is_clean);
	RUN(inside_box_and_ball);
	RUN(pgd_at_least_fgsm);
	RUN(threads_agree);
	RUN(fgsm_by_hand);
	RUN(targeted_reaches_target);
	RUN(min_eps_is_where_it_fools);
	RUN(bad_input_refused);
	return harness_done();
}
