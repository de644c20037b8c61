/* Adversarial training: the spec of --adv, the header's "adv" object, and
 * the trainer's batch hook that swaps each batch for its worst cases. */
#include "interp/attack_train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"

#define ADV_MAX_ITERS 1000
#define ADV_SPEC_MAX 256

/* The settings of a spec, before they become the "adv" object. */
struct adv_spec {
	int pgd;
	double eps, iters, step, random_start;
	int l2;
};

static int number(const char *key, const char *text, double lo, double hi,
		  double *out, struct traj_error *err)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (end == text || *end || errno || !isfinite(v) || v < lo || v > hi)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--adv: %s=%s: expected a number in [%g, %g]",
				 key, text, lo, hi);
	*out = v;
	return 0;
}

static int setting(struct adv_spec *s, char *kv, struct traj_error *err)
{
	char *eq = strchr(kv, '=');
	if (!eq)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--adv: '%s': expected KEY=VALUE", kv);
	*eq = 0;
	const char *v = eq + 1;
	if (strcmp(kv, "eps") == 0)
		return number(kv, v, 0, HUGE_VAL, &s->eps, err);
	if (strcmp(kv, "iters") == 0 && s->pgd)
		return number(kv, v, 1, ADV_MAX_ITERS, &s->iters, err) < 0 ? -1
		       : s->iters == floor(s->iters) ? 0
		       : traj_fail(err, TRAJ_EUSAGE, -1,
				   "--adv: iters=%s: expected an integer", v);
	if (strcmp(kv, "step") == 0 && s->pgd)
		return number(kv, v, 0, 1e3, &s->step, err);
	if (strcmp(kv, "random-start") == 0 && s->pgd)
		return number(kv, v, 0, 1, &s->random_start, err) < 0 ? -1
		       : s->random_start == 0 || s->random_start == 1 ? 0
		       : traj_fail(err, TRAJ_EUSAGE, -1,
				   "--adv: random-start=%s: expected 0 or 1", v);
	if (strcmp(kv, "norm") == 0) {
		if (strcmp(v, "linf") && strcmp(v, "l2"))
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "--adv: norm=%s: expected linf or l2", v);
		s->l2 = strcmp(v, "l2") == 0;
		return 0;
	}
	return traj_fail(err, TRAJ_EUSAGE, -1, "--adv: unknown key '%s' for %s "
			 "(pgd: eps, iters, step, norm, random-start; fgsm: "
			 "eps, norm)", kv, s->pgd ? "pgd" : "fgsm");
}

int attack_train_parse(const char *spec, cJSON **out, struct traj_error *err)
{
	char buf[ADV_SPEC_MAX];
	if (strlen(spec) >= sizeof buf)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--adv: too long");
	strcpy(buf, spec);
	char *rest = strchr(buf, ':');
	if (rest)
		*rest++ = 0;
	struct adv_spec s = { .eps = NAN, .iters = 7, .step = NAN,
			      .random_start = 1 };
	if (strcmp(buf, "pgd") == 0)
		s.pgd = 1;
	else if (strcmp(buf, "fgsm") != 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--adv: unknown method "
				 "'%s' (pgd or fgsm)", buf);
	for (char *kv = rest ? strtok(rest, ",") : NULL; kv;
	     kv = strtok(NULL, ","))
		if (setting(&s, kv, err) < 0)
			return -1;
	if (!(s.eps > 0))
		return traj_fail(err, TRAJ_EUSAGE, -1, "--adv: eps must be given, "
				 "> 0 (pixels are in [0, 1])");
	if (!s.l2 && s.eps > 1)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--adv: eps=%g: radii are in "
				 "pixel units of inputs in [0, 1], where %g covers "
				 "the whole box (on a 0..255 scale, %g is %.4f)",
				 s.eps, s.eps, s.eps, s.eps / 255);
	if (s.l2 && s.eps > 28)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--adv: eps=%g with norm=l2: "
				 "the L2 ball holds the whole box of 784 pixels in "
				 "[0, 1] from 28 on (its diagonal); 0.5 to 3 is "
				 "usual", s.eps);
	if (err && s.pgd && s.step > s.eps)
		snprintf(err->msg, sizeof err->msg, "--adv: step=%g is larger than "
			 "eps=%g: PGD steps overshoot the ball", s.step, s.eps);
	if (err && s.l2 && s.eps < 0.3)
		snprintf(err->msg, sizeof err->msg, "--adv: eps=%g with norm=l2: "
			 "L2 radii over 784 pixels are ~28x the L-infinity ones "
			 "(0.5 to 3 is usual)", s.eps);
	if (!s.pgd) {
		s.iters = 1;
		s.step = s.eps;
		s.random_start = 0;
	} else if (isnan(s.step)) {
		s.step = attack_default_step((int)s.iters) * s.eps;
	} else if (!(s.step > 0)) {
		return traj_fail(err, TRAJ_EUSAGE, -1, "--adv: step must be > 0");
	}
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "method", s.pgd ? "pgd" : "fgsm") ||
	    !cJSON_AddStringToObject(o, "norm", s.l2 ? "l2" : "linf") ||
	    !cJSON_AddNumberToObject(o, "eps", s.eps) ||
	    !cJSON_AddNumberToObject(o, "iters", s.iters) ||
	    !cJSON_AddNumberToObject(o, "step", s.step) ||
	    !cJSON_AddBoolToObject(o, "random_start", s.random_start != 0)) {
		cJSON_Delete(o);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	*out = o;
	return 0;
}

/* The header's "adv" into attack parameters. */
static int from_json(const cJSON *o, struct attack_train *a,
		     struct traj_error *err)
{
	const char *method, *norm;
	int64_t iters;
	int random_start;
	if (json_get_string(o, "run.adv", "method", &method, err) < 0 ||
	    json_get_string(o, "run.adv", "norm", &norm, err) < 0 ||
	    json_get_number(o, "run.adv", "eps", 0, HUGE_VAL, &a->eps, err) < 0 ||
	    json_get_int(o, "run.adv", "iters", 1, ADV_MAX_ITERS, &iters, err) < 0 ||
	    json_get_number(o, "run.adv", "step", 0, 1e3, &a->params.step,
			    err) < 0 ||
	    json_get_bool(o, "run.adv", "random_start", &random_start, err) < 0)
		return -1;
	if (strcmp(method, "pgd") && strcmp(method, "fgsm"))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "run.adv.method: '%s' (pgd or fgsm)", method);
	if (strcmp(norm, "linf") && strcmp(norm, "l2"))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "run.adv.norm: '%s' (linf or l2)", norm);
	if (!(a->eps > 0) || !(a->params.step > 0))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "run.adv: eps and step must be > 0");
	a->params.step /= a->eps; /* attack_params: relative to eps */
	a->params.norm = strcmp(norm, "l2") == 0 ? ATTACK_L2 : ATTACK_LINF;
	a->params.iters = (int)iters;
	a->params.random_start = random_start;
	a->params.restarts = 1;
	a->params.lo = 0;
	a->params.hi = 1;
	return 0;
}

/* Madry et al. train on the last iterate: with one restart and no
 * every_iterate, attack_run keeps exactly that point. The random start of
 * each step is a function of (run seed, step, example in the batch). */
static int perturb(void *ctx, struct model *m, struct batch *b, int64_t step,
		   struct traj_error *err)
{
	struct attack_train *a = ctx;
	a->params.seed = a->seed * 0x9E3779B97F4A7C15ULL + (uint64_t)step;
	if (attack_run(m, b, NULL, a->eps, &a->params, &a->res, err) < 0)
		return -1;
	b->features = a->res.adv;
	return 0;
}

int attack_train_attach(struct attack_train *a, struct trainer *t,
			struct traj_error *err)
{
	memset(a, 0, sizeof *a);
	const cJSON *o = t->rc->adv;
	if (!o)
		return 0;
	if (from_json(o, a, err) < 0)
		return -1;
	struct model *m = t->model;
	if (!m->ops->input_grad || m->vocab || m->n_outputs != 1)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--adv: the %s model of "
				 "task '%s' has no continuous input to attack "
				 "(a dense-input classifier, such as --task "
				 "fashion, has)", m->kind, t->rc->task.name);
	a->seed = t->rc->seed;
	if (attack_result_init(&a->res, t->batch, m->n_inputs, err) < 0)
		return -1;
	t->batch_fn = perturb;
	t->batch_ctx = a;
	return 0;
}

void attack_train_free(struct attack_train *a)
{
	attack_result_free(&a->res);
}
