/* traj-emerge's cron ticks (analysis/emerge.h with opts.early,
 * analysis/emerge_state.h): a change is announced a few points after it
 * happens, however the series is cut into ticks, and the union of the
 * ticks' events is what one pass over the whole series prints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/emerge.h"
#include "analysis/emerge_state.h"
#include "common/rng.h"
#include "harness.h"

#define NPTS 300
#define JUMP 150 /* the point at which test/acc jumps */

static double gauss(struct rng *r)
{
	double u = (rng_uniform(r) + 0x1p-25), v = rng_uniform(r);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* Like the grokking demo's test accuracy: flat at 0.1 (noise 0.005), a
 * jump to 0.6 at JUMP, then a creep of 0.002 a point, significant against
 * the noise before the jump, that keeps the change from settling; train/acc beside it, flat at 1
 * after a rise at point 30 (a second metric per step, so that a cut can
 * fall inside a checkpoint). */
static void make_series(double *test, double *train)
{
	struct rng r;
	rng_seed(&r, 12);
	for (int i = 0; i < NPTS; i++) {
		double creep = i < JUMP ? 0 : 0.002 * (i - JUMP);
		test[i] = (i < JUMP ? 0.1 : 0.6 + creep) + 0.005 * gauss(&r);
		train[i] = (i < 30 ? 0.2 : 1) + 0.005 * gauss(&r);
	}
}

/* The same, but train/acc up to 1 only for points 30-35, then back: a
 * rise announced, then a spike after all, the announcement withdrawn. */
static void make_blip(double *test, double *train)
{
	make_series(test, train);
	for (int i = 36; i < NPTS; i++)
		train[i] -= 0.8;
}

static int count(const char *text, const char *what)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

/* The events, as printed, one after another; and the line (2 per point)
 * at which the first was printed. */
struct out {
	char text[8192];
	size_t len;
	long line, first_test;
};

static int collect(const struct emerge_event *ev, void *ctx)
{
	struct out *o = ctx;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	emerge_event_print(f, ev);
	fclose(f);
	if (o->len + n < sizeof o->text) {
		memcpy(o->text + o->len, buf, n + 1);
		o->len += n;
	}
	free(buf);
	if (strcmp(ev->metric, "test/acc") == 0 && o->first_test < 0)
		o->first_test = o->line;
	return 0;
}

/* traj-emerge -c --state's options */
static void tick_opts(struct emerge_opts *o)
{
	emerge_opts_init(o);
	o->changepoint = 1;
	o->skip_seen = 1;
	o->early = 1;
}

static void feed(struct emerge *e, const double *test, const double *train,
		 long from, long to, struct out *o)
{
	struct traj_error err;
	for (long k = from; k < to; k++) {
		int i = (int)(k / 2);
		struct metric_line m = {"run", 25 * i, k % 2 ? "train/acc" : "test/acc",
					k % 2 ? train[i] : test[i]};
		o->line = k;
		CHECK(emerge_add(e, &m, collect, o, &err) == 0);
	}
}

/* Feeds lines [0, 2 NPTS) in ticks ending at the given cuts (ascending,
 * the last 2 NPTS), the state saved and read back between ticks, as
 * traj-emerge --state does. */
static void ticks(const double *test, const double *train, const long *cuts,
		  int ncuts, struct out *o)
{
	struct emerge_opts opts;
	tick_opts(&opts);
	char *state = NULL;
	size_t n = 0;
	long prev = 0;
	struct traj_error err;
	memset(o, 0, sizeof *o);
	o->first_test = -1;
	for (int t = 0; t < ncuts; t++) {
		struct emerge *e = emerge_new(&opts);
		if (state) {
			FILE *f = fmemopen(state, n, "r");
			CHECK(emerge_state_load(e, f, "st", &err) == 0);
			fclose(f);
			free(state);
		}
		feed(e, test, train, prev, cuts[t], o);
		FILE *f = open_memstream(&state, &n);
		CHECK(emerge_state_save(e, f, &err) == 0);
		fclose(f);
		emerge_free(e);
		prev = cuts[t];
	}
	free(state);
}

static void one_pass(const double *test, const double *train, int early,
		     struct out *o)
{
	struct emerge_opts opts;
	emerge_opts_init(&opts);
	opts.changepoint = 1;
	opts.early = early;
	memset(o, 0, sizeof *o);
	o->first_test = -1;
	struct emerge *e = emerge_new(&opts);
	feed(e, test, train, 0, 2 * NPTS, o);
	CHECK(emerge_finish(e, collect, o) == 0);
	emerge_free(e);
}

/* Ticked at every line: the jump is printed a few points after it (the
 * detector's alarm, then EMERGE_EARLY_POINTS more), as `rising`; without
 * early it would wait for the creep to end. */
static void test_a_rise_is_printed_a_few_points_after_it_happens(void)
{
	static double test[NPTS], train[NPTS];
	static long cuts[2 * NPTS];
	static struct out o;
	make_series(test, train);
	for (int i = 0; i < 2 * NPTS; i++)
		cuts[i] = i + 1;
	ticks(test, train, cuts, 2 * NPTS, &o);
	long at = o.first_test / 2;
	printf("# the jump at point %d printed at point %ld\n", JUMP, at);
	CHECK(at >= JUMP && at <= JUMP + EMERGE_EARLY_POINTS + 2);
	CHECK(strstr(o.text, "\t3750\ttest/acc\trising\t") != NULL);
	/* one pass without early prints it only at the end of the input */
	static struct out late;
	one_pass(test, train, 0, &late);
	CHECK(late.first_test == 2 * NPTS - 1);
	CHECK(strstr(late.text, "\ttest/acc\trising\t") != NULL);
}

/* Any cuts, also between the two metrics of a step (inside a
 * checkpoint): the ticks print exactly what one pass with early prints,
 * in the same order. */
static void test_union_of_ticks_is_one_pass(void)
{
	static double test[NPTS], train[NPTS];
	static struct out one, t, plain;
	static long every[2 * NPTS];
	make_series(test, train);
	one_pass(test, train, 1, &one);
	CHECK(one.len > 0 && strstr(one.text, "\trise\t") != NULL);
	const long sets[][8] = {
		{1, 2, 3, 301, 302, 600},
		{100, 200, 301, 303, 305, 307, 309, 600},
		{61, 299, 300, 301, 311, 450, 599, 600},
	};
	const int nsets[] = {6, 8, 8};
	for (int s = 0; s < 3; s++) {
		ticks(test, train, sets[s], nsets[s], &t);
		CHECK(t.len == one.len && strcmp(t.text, one.text) == 0);
	}
	for (int i = 0; i < 2 * NPTS; i++)
		every[i] = i + 1;
	ticks(test, train, every, 2 * NPTS, &t);
	CHECK(strcmp(t.text, one.text) == 0);
	/* early adds lines, it changes none: the final lines are those of a
	 * plain pass, whose provisional line at the end early does not print */
	one_pass(test, train, 0, &plain);
	char *at = plain.text, *eol;
	int finals = 0;
	for (; (eol = strchr(at, '\n')); at = eol + 1) {
		*eol = '\0';
		if (!strstr(at, "\trising\t") && !strstr(at, "\tfalling\t")) {
			CHECK(strstr(one.text, at) != NULL);
			finals++;
		}
		*eol = '\n';
	}
	CHECK(finals == 1); /* train/acc's rise; test/acc is still rising */
}

/* Ticks ending at the given cuts, and ticks at every line, print what
 * one pass printed, line for line. */
static void check_ticks(const double *test, const double *train,
			const long *cuts, int ncuts, const struct out *one)
{
	static struct out t;
	static long every[2 * NPTS];
	ticks(test, train, cuts, ncuts, &t);
	CHECK(strcmp(t.text, one->text) == 0);
	for (int i = 0; i < 2 * NPTS; i++)
		every[i] = i + 1;
	ticks(test, train, every, 2 * NPTS, &t);
	CHECK(strcmp(t.text, one->text) == 0);
}

/* A provisional line withdrawn: the retraction printed once, at the
 * same line, however the series is cut into ticks. */
static void test_a_retraction_is_printed_once_in_ticks(void)
{
	static double test[NPTS], train[NPTS];
	static struct out one;
	make_blip(test, train);
	one_pass(test, train, 1, &one);
	CHECK(count(one.text, "\ttrain/acc\trising\t") == 1);
	CHECK(count(one.text, "\ttrain/acc\tspike\t") == 1);
	CHECK(count(one.text, "\ttrain/acc\tretract\t") == 1);
	CHECK(count(one.text, "\ttrain/acc\t") == 3);
	const long cuts[] = {60, 71, 73, 75, 90, 101, 103, 600};
	check_ticks(test, train, cuts, 8, &one);
}

/* test/acc: AR(1) noise of correlation 0.8 and s.d. 0.05 (seed 47),
 * whose wander the detector finds as a change in the first points;
 * train/acc: a step of 5 noise s.d. at point 30. Both are held until
 * the series' 96th point (emerge.h), the wander announced meanwhile (as
 * `rising`, z 10.6): it is then dropped (z 0.99 against the noise of all
 * 96 points), its provisional line withdrawn, and the step printed. */
static void make_early(double *test, double *train)
{
	struct rng r, w;
	rng_seed(&r, 47);
	rng_seed(&w, 1000);
	double e = gauss(&r);
	for (int i = 0; i < NPTS; i++) {
		test[i] = 0.5 + 0.05 * e;
		e = 0.8 * e + 0.6 * gauss(&r);
		train[i] = 0.2 + (i >= 30 ? 0.15 : 0) + 0.03 * gauss(&w);
	}
}

/* The line of the series' 96th point at which a held change is judged:
 * printed or withdrawn there, once, however the stream is cut. */
static void test_a_held_change_is_judged_once_in_ticks(void)
{
	static double test[NPTS], train[NPTS];
	static struct out one;
	make_early(test, train);
	one_pass(test, train, 1, &one);
	CHECK(count(one.text, "\ttest/acc\trising\t") +
	      count(one.text, "\ttest/acc\tfalling\t") == 1);
	CHECK(count(one.text, "\ttest/acc\tretract\t") == 1);
	CHECK(count(one.text, "\ttest/acc\t") == 2);
	CHECK(count(one.text, "\t750\ttrain/acc\trise\t") == 1);
	CHECK(count(one.text, "\ttrain/acc\t") == 1);
	/* judged at the 96th point: train/acc's rise is the last line, and
	 * it was printed by the tick that fed that point's lines */
	static struct out upto;
	const long before[] = {2 * 95}, at[] = {2 * 95 + 2};
	ticks(test, train, before, 1, &upto);
	CHECK(count(upto.text, "\tretract\t") == 0 && count(upto.text, "\trise\t") == 0);
	ticks(test, train, at, 1, &upto);
	CHECK(count(upto.text, "\tretract\t") == 1 && count(upto.text, "\trise\t") == 1);
	const long cuts[] = {40, 61, 150, 190, 191, 192, 193, 600};
	check_ticks(test, train, cuts, 8, &one);
}

int main(void)
{
	RUN(test_a_rise_is_printed_a_few_points_after_it_happens);
	RUN(test_union_of_ticks_is_one_pass);
	RUN(test_a_retraction_is_printed_once_in_ticks);
	RUN(test_a_held_change_is_judged_once_in_ticks);
	return harness_done();
}
