/* Finding transitions in metric series (analysis/noise.h, changepoint.h,
 * steepest.h, emerge.h): the noise of white and correlated series, the
 * change-point detector (placement, spikes, drifts, false events on
 * noise), the steepest change over log-step, --when expressions and
 * crossings. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/changepoint.h"
#include "analysis/emerge.h"
#include "analysis/noise.h"
#include "harness.h"
#include "common/rng.h"
#include "analysis/steepest.h"

/* Standard normal deviates by Box-Muller from the project's RNG. */
static double gauss(struct rng *r)
{
	double u = (rng_uniform(r) + 0x1p-25), v = rng_uniform(r);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static const struct changepoint_opts defaults = {8, 5, 0.05};

struct found { int n; struct changepoint_change c[8]; };

/* Feeds values v[0..n-1] at steps 10 i; keeps the changes. */
static void detect(const double *v, int n, const struct changepoint_opts *o,
		   struct found *f)
{
	struct changepoint c;
	struct changepoint_change ch;
	struct traj_error err;
	CHECK(changepoint_init(&c, o, &err) == 0);
	f->n = 0;
	for (int i = 0; i < n; i++)
		if (changepoint_add(&c, o, 10 * i, v[i], &ch, &err) == 1 && f->n < 8)
			f->c[f->n++] = ch;
	changepoint_free(&c);
}

static void test_noise_of_white_and_correlated_noise(void)
{
	struct rng r;
	rng_seed(&r, 7);
	double x[256], scratch[512], e = 0;
	struct noise_est ne;
	double sig = 0, tau = 0, tau_ar = 0;
	for (int k = 0; k < 200; k++) {
		for (int i = 0; i < 256; i++)
			x[i] = 3 + 0.01 * i + gauss(&r); /* a trend is not noise */
		CHECK(noise_estimate(x, 256, 8, scratch, &ne) == 0);
		sig += ne.sigma / 200;
		tau += ne.tau / 200;
		/* AR(1), rho 0.5, marginal s.d. 1: long-run s.d. sqrt(3) */
		for (int i = 0; i < 256; i++)
			x[i] = e = 0.5 * e + sqrt(0.75) * gauss(&r);
		CHECK(noise_estimate(x, 256, 8, scratch, &ne) == 0);
		tau_ar += ne.tau / 200;
	}
	printf("# white noise s.d. 1: sigma %.3f tau %.3f; AR(1) 0.5: tau %.3f (sqrt 3 = 1.732)\n",
	       sig, tau, tau_ar);
	CHECK(sig > 1 && sig < 1.15);         /* erring upwards by ~1/sqrt(255) */
	CHECK(tau > 1 && tau < 1.3);
	CHECK(tau_ar > 1.45 && tau_ar < 2.0);
	/* a straight line has no noise at all; three points say nothing */
	for (int i = 0; i < 64; i++)
		x[i] = 0.5 * i;
	CHECK(noise_estimate(x, 64, 8, scratch, &ne) == 0);
	CHECK(ne.sigma == 0 && ne.tau == 0 && ne.point == 0);
	CHECK(noise_estimate(x, 3, 8, scratch, &ne) == -1 && isnan(ne.sigma));
}

static void test_a_clean_step_is_one_rise_where_it_is(void)
{
	double v[100];
	struct found f;
	for (int i = 0; i < 100; i++)
		v[i] = i < 50 ? 0.1 : 0.9;
	detect(v, 100, &defaults, &f);
	CHECK(f.n == 1);
	CHECK(f.c[0].kind == CP_RISE);
	CHECK(f.c[0].step == 500 && f.c[0].from == 490 && f.c[0].to == 500);
	CHECK_NEAR(f.c[0].before, 0.1, 1e-12);
	CHECK_NEAR(f.c[0].after, 0.9, 1e-12);
	CHECK(f.c[0].z > 5);
	/* the same as a fall, with a non-finite point that is skipped */
	for (int i = 0; i < 100; i++)
		v[i] = i == 30 ? NAN : i < 50 ? 2.0 : 1.0;
	detect(v, 100, &defaults, &f);
	CHECK(f.n == 1 && f.c[0].kind == CP_FALL && f.c[0].step == 500);
}

static void test_noisy_step_spike_and_drift(void)
{
	struct rng r;
	rng_seed(&r, 11);
	double v[400];
	struct found f;
	/* 0.2 = 6.7 s.d. of the noise, at point 200 */
	for (int i = 0; i < 400; i++)
		v[i] = 0.3 + (i >= 200 ? 0.2 : 0) + 0.03 * gauss(&r);
	detect(v, 400, &defaults, &f);
	CHECK(f.n == 1 && f.c[0].kind == CP_RISE);
	CHECK(f.c[0].step >= 1990 && f.c[0].step <= 2010);
	CHECK(f.c[0].z > 5 && f.c[0].noise.sigma > 0.02 && f.c[0].noise.sigma < 0.04);
	/* a loss spike of 3 points that recovers is a spike at its peak */
	for (int i = 0; i < 400; i++)
		v[i] = 0.5 + (i >= 200 && i < 203 ? 0.4 / (1 << (i - 200)) : 0) +
		       0.01 * gauss(&r);
	detect(v, 400, &defaults, &f);
	CHECK(f.n == 1 && f.c[0].kind == CP_SPIKE && f.c[0].step == 2000);
	CHECK(f.c[0].from == 2000 && f.c[0].to <= 2010);
	/* a slow drift of 0.1 over 400 points (less than min_delta / 2 per
	 * 2 x 64 points, the widest windows) is not a transition */
	for (int i = 0; i < 400; i++)
		v[i] = 0.5 + 0.1 * i / 400 + 0.01 * gauss(&r);
	detect(v, 400, &defaults, &f);
	CHECK(f.n == 0);
	/* a change below min_delta is not reported, however significant */
	struct changepoint_opts big = {8, 5, 0.25};
	for (int i = 0; i < 400; i++)
		v[i] = (i >= 200 ? 0.2 : 0) + 0.001 * gauss(&r);
	detect(v, 400, &big, &f);
	CHECK(f.n == 0);
	/* ... nor one below the threshold, however large */
	struct changepoint_opts strict = {8, 1000, 0.05};
	for (int i = 0; i < 400; i++)
		v[i] = (i >= 200 ? 0.2 : 0) + 0.03 * gauss(&r);
	detect(v, 400, &strict, &f);
	CHECK(f.n == 0);
}

/* The fraction of pure-noise series in which the detector reports
 * anything, at the defaults (bench/emerge_rates.c measures more cases). */
static void test_few_false_events_on_noise(void)
{
	struct rng r;
	rng_seed(&r, 42);
	double v[500];
	struct found f;
	int hit = 0;
	for (int k = 0; k < 300; k++) {
		for (int i = 0; i < 500; i++)
			v[i] = 0.5 + 0.05 * gauss(&r);
		detect(v, 500, &defaults, &f);
		hit += f.n > 0;
	}
	printf("# false events, 300 series of 500 points, s.d. 0.05: %d\n", hit);
	CHECK(hit <= 3);
}

/* Where every change of the n values v is (step / 10, i.e. the index),
 * those still under way at the end included; returns how many. */
static int changes_at(const double *v, int n, int *at, int max)
{
	struct changepoint c;
	struct changepoint_change ch;
	struct traj_error err;
	CHECK(changepoint_init(&c, &defaults, &err) == 0);
	int k = 0;
	for (int i = 0; i < n; i++)
		if (changepoint_add(&c, &defaults, 10 * i, v[i], &ch, &err) == 1) {
			if (k < max)
				at[k] = ch.kind == CP_RISE ? (int)(ch.step / 10) : -1;
			k++;
		}
	if (changepoint_open(&c, &defaults, &ch)) {
		if (k < max)
			at[k] = -1;
		k++;
	}
	changepoint_free(&c);
	return k;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* AR(1) noise of correlation 0.5 and s.d. 0.05 wanders by about min-delta
 * over tens of points; seed 23 made the detector of a white-noise world
 * report a rise of it at point 16. */
static void test_correlated_noise_is_not_a_change(void)
{
	double v[500];
	int at[8], events = 0;
	for (int seed = 1; seed <= 60; seed++) {
		struct rng r;
		rng_seed(&r, (uint64_t)seed);
		double e = gauss(&r);
		for (int i = 0; i < 500; i++) {
			v[i] = 0.5 + 0.05 * e;
			e = 0.5 * e + sqrt(0.75) * gauss(&r);
		}
		int k = changes_at(v, 500, at, 8);
		if (seed == 23)
			CHECK(k == 0);
		events += k;
	}
	printf("# AR(1) 0.5, s.d. 0.05: %d events in 60 series of 500 points\n", events);
	CHECK(events == 0);
}

/* AR(1) noise of correlation 0.8 (n points, marginal s.d. sd), plus
 * `jump` from point 100 on. */
static void ar08(int seed, double sd, double jump, double *v, int n)
{
	struct rng r;
	rng_seed(&r, (uint64_t)seed);
	double e = gauss(&r);
	for (int i = 0; i < n; i++) {
		v[i] = 0.1 + sd * e + (i >= 100 ? jump : 0);
		e = 0.8 * e + 0.6 * gauss(&r);
	}
}

/* AR(1) 0.8 of s.d. 0.05 (long-run s.d. 0.15, three times min-delta)
 * wanders by 0.1 over tens of points; judged against the noise of the
 * first 16 points, such wander was a change in 16 of these 100 series
 * (seed 1: a rise at 31). Judged when printed against the noise of the
 * points around it, levels before and after: 5, none for seed 1 (the
 * goal of 1% is not met). */
static void test_strongly_correlated_noise_early_on(void)
{
	double v[200];
	int at[8], hit = 0;
	for (int seed = 1; seed <= 100; seed++) {
		ar08(seed, 0.05, 0, v, 200);
		int k = changes_at(v, 200, at, 8);
		if (seed == 1)
			CHECK(k == 0);
		hit += k > 0;
	}
	printf("# AR(1) 0.8, s.d. 0.05: %d of 100 series of 200 points with events\n", hit);
	CHECK(hit <= 8);
}

/* A jump of 0.45 (5 long-run s.d.) in AR(1) 0.8 noise of s.d. 0.03 is
 * one rise where it is. The long-run s.d. was raised for the few
 * independent points it is measured from, counted with the s.d. of
 * neighbours' differences, which the correlation shrinks: 5 times too
 * few, the s.d. tripled, the rise not significant and taken for a spike
 * (seed 29), or wander before it for changes (seed 19: two spikes); 12
 * of these 60 series were not one rise at 100, now 2. */
static void test_a_jump_in_correlated_noise_is_a_rise(void)
{
	double v[200];
	int at[8], right = 0;
	for (int seed = 1; seed <= 60; seed++) {
		ar08(seed, 0.03, 0.45, v, 200);
		int k = changes_at(v, 200, at, 8);
		int one = k == 1 && at[0] == 100;
		if (seed == 19 || seed == 29)
			CHECK(one);
		right += one;
	}
	printf("# a jump of 5 long-run s.d. in AR(1) 0.8: one rise at it in %d of 60\n", right);
	CHECK(right >= 58);
}

/* A ramp of 0.1 over 50 points in noise of s.d. 0.01 is one rise, dated
 * at its middle (150); it was cut in two rises where a stretch of it
 * looked flat (seeds 17 and 39), and dated 5 points early (the median). A
 * slow logistic rise (10% to 90% over 30 points, 10 noise s.d.) is dated
 * at its midpoint within a point (it was 2). */
static void test_a_ramp_is_one_rise_at_its_middle(void)
{
	double v[300];
	int at[8], err_ramp[60], err_slow[60];
	for (int seed = 1; seed <= 60; seed++) {
		struct rng r;
		rng_seed(&r, (uint64_t)seed);
		for (int i = 0; i < 300; i++)
			v[i] = 0.1 + 0.1 * fmin(1, fmax(0, (i - 125) / 50.0)) +
			       0.01 * gauss(&r);
		CHECK(changes_at(v, 300, at, 8) == 1 && at[0] >= 0);
		err_ramp[seed - 1] = abs(at[0] - 150);
		rng_seed(&r, (uint64_t)seed);
		for (int i = 0; i < 300; i++)
			v[i] = 0.1 + 0.15 / (1 + exp(-(i - 150) * 4.39 / 30)) +
			       0.015 * gauss(&r);
		CHECK(changes_at(v, 300, at, 8) == 1 && at[0] >= 0);
		err_slow[seed - 1] = abs(at[0] - 150);
	}
	qsort(err_ramp, 60, sizeof *err_ramp, cmp_int);
	qsort(err_slow, 60, sizeof *err_slow, cmp_int);
	printf("# median error: ramp %d, slow rise %d (worst %d, %d)\n",
	       err_ramp[30], err_slow[30], err_ramp[59], err_slow[59]);
	CHECK(err_ramp[30] <= 1 && err_slow[30] <= 1);
	CHECK(err_ramp[59] <= 8 && err_slow[59] <= 4);
}

static void test_steepest_over_log_step(void)
{
	/* steps 1, 2, 4, ... 1024; value jumps from 0 to 1 between 64 and
	 * 128 and from 1 to 1.5 between 256 and 512. Window 0.35 decades
	 * (factor 2.24) holds two neighbours. */
	struct cp_point p[11];
	double work[CHANGEPOINT_RAMP_WORK(11)];
	struct steep_window w;
	for (int i = 0; i <= 10; i++) {
		int64_t step = 1LL << i;
		p[i] = (struct cp_point){step, step <= 64 ? 0 : step <= 256 ? 1 : 1.5};
	}
	steepest_find(p, 11, work, 0.35, 1, &w);
	CHECK(w.have);
	CHECK(w.from == 64 && w.to == 128 && w.mid == 128);
	CHECK(w.before == 0 && w.after == 1);
	/* a wider window spans both jumps */
	steepest_find(p, 11, work, 1, 1, &w);
	CHECK(w.have && w.before == 0 && w.after == 1.5);
	/* there is no fall */
	steepest_find(p, 11, work, 0.35, 0, &w);
	CHECK(!w.have);
}

/* 300 points of white noise of s.d. 0.03 at 0.1, with steps of 0.15 at
 * points 30 and 70. */
static void two_steps(int seed, double *v)
{
	struct rng r;
	rng_seed(&r, (uint64_t)seed);
	for (int i = 0; i < 300; i++)
		v[i] = 0.1 + (i >= 30 ? 0.15 : 0) + (i >= 70 ? 0.15 : 0) + 0.03 * gauss(&r);
}

/* Two steps of 0.15 (5 noise s.d.) at points 30 and 70 of 300, both
 * among a series' first 96 points: the first is a rise at its own
 * point (within 3), not taken into one change with the second. A
 * detector that held changes found in a series' first 96 points until
 * then (to spare correlated noise; 39990ea) merged them into one rise
 * between the two and dated the first right in none of these 100
 * series; this one, in 90. */
static void test_two_early_steps_are_not_one(void)
{
	double v[300];
	int right = 0;
	for (int seed = 1; seed <= 100; seed++) {
		two_steps(seed, v);
		struct found f;
		detect(v, 300, &defaults, &f);
		right += f.n > 0 && f.c[0].kind == CP_RISE && labs((long)(f.c[0].step / 10) - 30) <= 3;
	}
	printf("# two early steps: the first dated right in %d of 100 series\n", right);
	CHECK(right >= 70);
}

/* A ramp of 0.15 over 50 points (125 to 175) in noise of s.d. 0.03, at
 * steps 25 apart, points 95 to 224: the steepest rise over 0.3 decades
 * is placed at the ramp's middle within a checkpoint at the median (the
 * ramp fitted to all the points; bench/emerge_rates measures it on the
 * points the detector keeps, where the fit to the window alone was 2 off).
 * A fall of two stages, slow (4.2 to 2.7 over steps 200-700) then sudden
 * (2.6 to 0.8 over 900-1300), as the induction run's loss: the steepest
 * fall is the sudden one, not the middle of the ramp through both. */
static void test_steepest_is_placed_at_a_ramps_middle(void)
{
	enum { N = 300 };
	static struct cp_point p[N];
	static double work[CHANGEPOINT_RAMP_WORK(N)];
	int err[101];
	for (int seed = 1; seed <= 101; seed++) {
		struct rng r;
		rng_seed(&r, (uint64_t)seed);
		for (int i = 0; i < N; i++) {
			double ramp = i < 125 ? 0 : i > 175 ? 1 : (i - 125) / 50.0;
			p[i] = (struct cp_point){25 * (i + 1), 0.1 + 0.15 * ramp + 0.03 * gauss(&r)};
		}
		struct steep_window w;
		steepest_find(p + 95, 130, work, 0.3, 1, &w);
		CHECK(w.have);
		err[seed - 1] = abs((int)(w.mid / 25 - 1) - 150);
	}
	qsort(err, 101, sizeof err[0], cmp_int);
	double mean = 0;
	for (int k = 0; k < 101; k++)
		mean += err[k] / 101.0;
	printf("# steepest on a ramp of 50 points: median error %d, mean %.2f, q75 %d, worst %d\n",
	       err[50], mean, err[75], err[100]);
	CHECK(err[50] <= 1);
	for (int i = 0; i <= 30; i++) {
		int64_t step = 50 * i;
		double v = step <= 200 ? 4.2 : step <= 700 ? 4.2 - 1.5 * (step - 200) / 500.0
			 : step <= 900 ? 2.7 - 0.1 * (step - 700) / 200.0
			 : step <= 1300 ? 2.6 - 1.8 * (step - 900) / 400.0 : 0.8;
		p[i] = (struct cp_point){step, v};
	}
	struct steep_window w;
	steepest_find(p, 31, work, 0.3, 0, &w);
	CHECK(w.have && w.mid >= 900 && w.mid <= 1300);
}

static void test_when_parse(void)
{
	struct emerge_when w;
	struct traj_error err;
	CHECK(emerge_when_parse("test/acc>=0.95", &w, &err) == 0);
	CHECK(strcmp(w.pattern, "test/acc") == 0 && w.op == WHEN_GE && w.x == 0.95);
	CHECK(emerge_when_parse("*/loss<1e-2", &w, &err) == 0);
	CHECK(strcmp(w.pattern, "*/loss") == 0 && w.op == WHEN_LT && w.x == 0.01);
	CHECK(emerge_when_parse("a>3", &w, &err) == 0 && w.op == WHEN_GT);
	CHECK(emerge_when_parse("a<=3", &w, &err) == 0 && w.op == WHEN_LE);
	CHECK(emerge_when_parse("a<=-.5", &w, &err) == 0 && w.x == -0.5);
	CHECK(emerge_when_parse("a<=+5.", &w, &err) == 0 && w.x == 5);
	CHECK(emerge_when_parse("a<1e-400", &w, &err) == 0 && w.x == 0);
	CHECK(emerge_when_parse("test/acc=0.9", &w, &err) == -1);
	CHECK(emerge_when_parse(">=0.9", &w, &err) == -1);
	CHECK(emerge_when_parse("a>=", &w, &err) == -1);
	/* hexadecimal, overflow, blanks, words: a number as a person writes one */
	const char *bad[] = {"a>=0.9x", "a>=nan", "a>=inf", "a>=0x10", "a>=1e400",
			     "a>= 0.5", "a>=0.5 ", "a>=.", "a>=1e", "a>=--1", "a>=1e+"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECK(emerge_when_parse(bad[i], &w, &err) == -1);
		CHECK(err.status == TRAJ_EUSAGE);
		CHECK(strstr(err.msg, bad[i] + 3) != NULL);
	}
}

struct seen { int n; int64_t step[8]; char kind[8][8]; };

static int collect(const struct emerge_event *ev, void *ctx)
{
	struct seen *s = ctx;
	if (s->n < 8) {
		s->step[s->n] = ev->step;
		snprintf(s->kind[s->n], sizeof s->kind[0], "%s", ev->kind);
	}
	s->n++;
	return 0;
}

static void feed(struct emerge *e, const char *run, int64_t step,
		 const char *metric, double v, struct seen *s)
{
	struct metric_line m = {run, step, metric, v};
	struct traj_error err;
	CHECK(emerge_add(e, &m, collect, s, &err) == 0);
}

static void test_crossings_per_series_and_restart(void)
{
	struct emerge_when w;
	struct traj_error err;
	CHECK(emerge_when_parse("*acc>=0.5", &w, &err) == 0);
	struct emerge_opts o;
	emerge_opts_init(&o);
	o.when = &w;
	o.nwhen = 1;
	struct emerge *e = emerge_new(&o);
	struct seen s = {0};
	double acc[] = {0.1, 0.6, 0.4, 0.7, 0.8};
	for (int i = 0; i < 5; i++)
		feed(e, "a", 10 * i, "test/acc", acc[i], &s);
	feed(e, "b", 0, "test/acc", 0.9, &s);   /* another run: its own series */
	feed(e, "a", 0, "test/loss", 0.9, &s);  /* not matched */
	feed(e, "a", 0, "test/acc", 0.9, &s);   /* step went back: a restart */
	CHECK(s.n == 4);
	CHECK(s.step[0] == 10 && s.step[1] == 30 && s.step[2] == 0 && s.step[3] == 0);
	CHECK(strcmp(s.kind[0], "cross") == 0);
	CHECK(emerge_finish(e, collect, &s) == 0 && s.n == 4);
	emerge_free(e);
}

/* The changepoint events of one pass through the engine (emerge.h) over
 * v[0..n-1] at steps 10 i, and the point at which each was printed (n:
 * at the end of the input). */
struct printed { int n, now; int step[8], at[8]; char kind[8][8]; };

static int keep_printed(const struct emerge_event *ev, void *ctx)
{
	struct printed *p = ctx;
	if (p->n < 8) {
		p->step[p->n] = (int)(ev->step / 10);
		p->at[p->n] = p->now;
		snprintf(p->kind[p->n], sizeof p->kind[0], "%s", ev->kind);
	}
	p->n++;
	return 0;
}

static void emerge_pass(const double *v, int n, struct printed *p)
{
	struct emerge_opts o;
	emerge_opts_init(&o);
	o.changepoint = 1;
	struct emerge *e = emerge_new(&o);
	struct traj_error err;
	memset(p, 0, sizeof *p);
	for (int i = 0; i < n; i++) {
		struct metric_line m = {"r", 10 * i, "test/acc", v[i]};
		p->now = i;
		CHECK(emerge_add(e, &m, keep_printed, p, &err) == 0);
	}
	p->now = n;
	CHECK(emerge_finish(e, keep_printed, p) == 0);
	emerge_free(e);
}

/* The series of test_strongly_correlated_noise_early_on through the
 * engine: a change the detector finds in a series' first 96 points is
 * held until then and judged again against the noise of all of them
 * (emerge.h). The detector alone finds changes in 5 of these 100 series
 * (all before point 96); the engine prints one in none. */
static void test_early_changes_are_judged_on_more_points(void)
{
	double v[200];
	int at[8], detected = 0, printed = 0;
	for (int seed = 1; seed <= 100; seed++) {
		ar08(seed, 0.05, 0, v, 200);
		struct printed p;
		emerge_pass(v, 200, &p);
		detected += changes_at(v, 200, at, 8) > 0;
		printed += p.n > 0;
	}
	printf("# AR(1) 0.8, s.d. 0.05, through the engine: %d of 100 series with events"
	       " (the detector alone: %d)\n", printed, detected);
	CHECK(detected >= 3);
	CHECK(printed <= 1);
}

/* test_two_early_steps_are_not_one through the engine: both steps are
 * held until the series' 96th point (found at z < 50), judged, and
 * printed then as two rises, each at its own point (within 3). Before
 * the detector took the changes it found out of its noise, the first
 * step stayed in the noise of the next tens of points and the second
 * was missed or found late (the first judged against noise with a step
 * in it: dropped); two rises in 32 of these 100 series. */
static void test_two_held_steps_are_two_rises(void)
{
	double v[300];
	int right = 0, held = 0;
	for (int seed = 1; seed <= 100; seed++) {
		two_steps(seed, v);
		struct printed p;
		emerge_pass(v, 300, &p);
		int two = p.n == 2 && strcmp(p.kind[0], "rise") == 0 &&
			  strcmp(p.kind[1], "rise") == 0 && abs(p.step[0] - 30) <= 3 &&
			  abs(p.step[1] - 70) <= 3;
		right += two;
		held += two && p.at[0] == 95 && p.at[1] == 95;
	}
	printf("# two early steps through the engine: two rises at them in %d of 100"
	       " series, both held until the 96th point in %d\n", right, held);
	CHECK(right >= 70);
	CHECK(held >= right / 2);
}

int main(void)
{
	RUN(test_noise_of_white_and_correlated_noise);
	RUN(test_a_clean_step_is_one_rise_where_it_is);
	RUN(test_noisy_step_spike_and_drift);
	RUN(test_few_false_events_on_noise);
	RUN(test_correlated_noise_is_not_a_change);
	RUN(test_strongly_correlated_noise_early_on);
	RUN(test_a_jump_in_correlated_noise_is_a_rise);
	RUN(test_a_ramp_is_one_rise_at_its_middle);
	RUN(test_two_early_steps_are_not_one);
	RUN(test_steepest_over_log_step);
	RUN(test_steepest_is_placed_at_a_ramps_middle);
	RUN(test_when_parse);
	RUN(test_crossings_per_series_and_restart);
	RUN(test_early_changes_are_judged_on_more_points);
	RUN(test_two_held_steps_are_two_rises);
	return harness_done();
}
