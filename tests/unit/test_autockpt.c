/* Which steps get a checkpoint (run/schedule.h, run/autockpt.h): the
 * fixed schedule's steps worked out by hand from traj-train(1), and the
 * automatic checkpoints of a real training checked against the rules of
 * autockpt.h recomputed here from the model's own evaluations. */
#include <math.h>

#include "run_fixture.h"
#include "eval_check.h"
#include "run/autockpt.h"
#include "run/schedule.h"

/* The steps in [0, last] the schedule wants, as a string "0 4 10 ...". */
static void wanted(const struct ckpt_schedule *s, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = 0;
	for (int64_t step = 0; step <= s->last; step++)
		if (schedule_wants(s, step))
			len += (size_t)snprintf(buf + len, cap - len, "%s%lld",
						len ? " " : "", (long long)step);
}

static void test_fixed_schedule_by_hand(void)
{
	char got[512];
	struct ckpt_schedule every = {10, 0, 35};
	wanted(&every, got, sizeof got);
	CHECK(strcmp(got, "0 10 20 30 35") == 0);
	/* 10^(k/2): 1, 3.16, 10, 31.6, 100 lie in (s-1, s] for s = 1, 4,
	 * 10, 32, 100 */
	struct ckpt_schedule log = {0, 2, 150};
	wanted(&log, got, sizeof got);
	CHECK(strcmp(got, "0 1 4 10 32 100 150") == 0);
	struct ckpt_schedule both = {40, 1, 120};
	wanted(&both, got, sizeof got);
	CHECK(strcmp(got, "0 1 10 40 80 100 120") == 0);
	struct ckpt_schedule none = {0, 0, 7};
	wanted(&none, got, sizeof got);
	CHECK(strcmp(got, "0 7") == 0);
}

static void test_change_thresholds(void)
{
	struct autockpt a;
	autockpt_init(&a, 10);
	CHECK(a.max_gap == 250);
	a.ref = (struct auto_metrics){1.0, 0.5, 2.0, 0.25};
	struct auto_metrics x = a.ref;
	CHECK(!autockpt_changed(&a, &x));
	x.test_acc = 0.29; /* moved 0.04 */
	CHECK(!autockpt_changed(&a, &x));
	x.test_acc = 0.31;
	CHECK(autockpt_changed(&a, &x));
	x = a.ref;
	x.train_loss = 0.11; /* a factor of 9.1 */
	CHECK(!autockpt_changed(&a, &x));
	x.train_loss = 0.099;
	CHECK(autockpt_changed(&a, &x));
	x = a.ref;
	x.test_loss = NAN; /* a split without examples never counts */
	CHECK(!autockpt_changed(&a, &x));
}

/* A model that does not change: checkpoints at the forced first step,
 * then every max_gap = 25 probes, then the forced last step. */
static void test_flat_run_gets_one_per_max_gap(void)
{
	struct run_plan p;
	struct trainer t;
	struct autockpt a;
	small_plan(&p, 0);
	CHECK(trainer_init(&t, &p.rc, NULL) == 0);
	autockpt_init(&a, 2);
	char got[256];
	size_t len = 0;
	for (int64_t step = 0; step <= 120; step++)
		if (autockpt_wants(&a, t.model, &t.data, step,
				   step == 0 || step == 120, NULL) == 1)
			len += (size_t)snprintf(got + len, sizeof got - len, "%s%lld",
						len ? " " : "", (long long)step);
	CHECK(strcmp(got, "0 50 100 120") == 0);
	trainer_free(&t);
	run_config_free(&p.rc);
}

/* A training that learns: at every probe step the decision is the one
 * the documented rules give on the metrics of the model at that step. */
static void test_learning_run_follows_the_rules(void)
{
	struct run_plan p;
	struct trainer t;
	struct autockpt a;
	small_plan(&p, 200);
	CHECK(trainer_init(&t, &p.rc, NULL) == 0);
	autockpt_init(&a, 5);
	struct batch tr = task_split_batch(&t.data.train),
		     te = task_split_batch(&t.data.test);
	struct auto_metrics ref = {0};
	int64_t last = 0;
	int written = 0, by_change = 0;
	for (;;) {
		struct eval_result r = eval_model(t.model, &tr),
				   s = eval_model(t.model, &te);
		struct auto_metrics x = {r.loss, r.acc, s.loss, s.acc};
		int forced = t.step == 0 || t.step == 200;
		int probe = t.step % 5 == 0;
		int moved = fabs(x.train_acc - ref.train_acc) >= 0.05 ||
			    fabs(x.test_acc - ref.test_acc) >= 0.05 ||
			    fabs(log10(fmax(x.train_loss, 1e-30)) -
				 log10(fmax(ref.train_loss, 1e-30))) >= 1 ||
			    fabs(log10(fmax(x.test_loss, 1e-30)) -
				 log10(fmax(ref.test_loss, 1e-30))) >= 1;
		int want = forced || (probe && (moved || t.step - last >= 125));
		CHECK(autockpt_wants(&a, t.model, &t.data, t.step, forced, NULL) == want);
		if (want) {
			by_change += !forced && moved;
			written++;
			ref = x;
			last = t.step;
		}
		if (t.step == 200)
			break;
		CHECK(trainer_step(&t, NULL) == 0);
	}
	/* lr 0.05 on 24 pairs: the train accuracy climbs in several moves */
	CHECK(by_change >= 3 && written < 41);
	trainer_free(&t);
	run_config_free(&p.rc);
}

int main(void)
{
	RUN(test_fixed_schedule_by_hand);
	RUN(test_change_thresholds);
	RUN(test_flat_run_gets_one_per_max_gap);
	RUN(test_learning_run_follows_the_rules);
	return harness_done();
}
