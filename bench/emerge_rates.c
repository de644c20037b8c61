/* The error rates of traj-emerge's change-point and steepest methods at
 * their default settings, on synthetic series with known truth (issue 12):
 * false events on flat series (white and autocorrelated noise, lengths 50
 * to 2,000, linear and log-spaced steps) and on slow drifts; recall and
 * localisation error on sharp and slow rises, ramps, falls, two-stage
 * rises and un-grokking drops; spikes that recover, which must come out as
 * `spike`, never as a rise or a fall. Each case runs `seeds` series
 * (default 1000) through the same engine as the tool (analysis/emerge.h).
 *
 * Usage: emerge_rates [SEEDS [TEXT]]    prints a table on stdout (only the
 * cases whose name contains TEXT, when given). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/emerge.h"
#include "benchtime.h"
#include "common/rng.h"

enum shape { FLAT, DRIFT, SHARP, SLOW, RAMP, TWO_STAGE, UNGROK, SPIKE };

struct kase {
	const char *name;
	enum shape shape;
	double sd, amp;      /* noise s.d.; size of the change (or spike) */
	int n, log_steps;
	double rho;          /* AR(1) correlation of the noise */
	int dir;             /* +1 rise, -1 fall */
	int width;           /* checkpoints of a ramp, a slow rise, a spike */
};

/* a true transition: where (index, fractional for a midpoint), which way */
struct truth { double at; int dir; };

#define MAXN 2000
#define MAXEV 256

struct evs {
	int n;
	struct { int64_t step; char kind[8]; int steepest; } ev[MAXEV];
};

static int collect(const struct emerge_event *e, void *ctx)
{
	struct evs *v = ctx;
	if (v->n < MAXEV) {
		v->ev[v->n].step = e->step;
		snprintf(v->ev[v->n].kind, sizeof v->ev[0].kind, "%s", e->kind);
		v->ev[v->n].steepest = strcmp(e->method, "steepest") == 0;
		v->n++;
	}
	return 0;
}

static double gauss(struct rng *r)
{
	double u = rng_uniform(r) + 0x1p-25, v = rng_uniform(r);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static double logistic(double x) { return 1 / (1 + exp(-x)); }

/* The clean curve at index i, and its true transitions. */
static double curve(const struct kase *k, int i, struct truth *t, int *nt)
{
	double base = 0.1, a = k->amp * k->dir, c = k->n / 2.0;
	*nt = 0;
	switch (k->shape) {
	case FLAT:
		return base;
	case DRIFT:
		return base + a * i / (k->n - 1);
	case SHARP:
		t[(*nt)++] = (struct truth){c, k->dir};
		return base + a * logistic((i - c + 0.5) / 0.1);
	case SLOW: /* 10% to 90% over `width` checkpoints: 2 ln 9 = 4.39 scales */
		t[(*nt)++] = (struct truth){c, k->dir};
		return base + a * logistic((i - c) * 4.39 / k->width);
	case RAMP: {
		t[(*nt)++] = (struct truth){c, k->dir};
		double f = (i - (c - k->width / 2.0)) / k->width;
		return base + a * fmin(1, fmax(0, f));
	}
	case TWO_STAGE: { /* memorise, plateau, generalise */
		double c1 = 0.3 * k->n, c2 = 0.7 * k->n;
		t[(*nt)++] = (struct truth){c1, k->dir};
		t[(*nt)++] = (struct truth){c2, k->dir};
		return base + a * logistic((i - c1 + 0.5) / 0.1) +
		       a * logistic((i - c2) * 4.39 / k->width);
	}
	case UNGROK: { /* grokked, then test accuracy drops late in the run */
		double c2 = 0.8 * k->n;
		t[(*nt)++] = (struct truth){c2, -1};
		return base + k->amp - k->amp * logistic((i - c2) * 4.39 / k->width);
	}
	case SPIKE: { /* up at c, then back by halves */
		t[(*nt)++] = (struct truth){c, 0};
		int j = i - (int)c;
		return base + (j >= 0 && j < k->width ? a / (1 << j) : 0);
	}
	}
	return base;
}

static void make_steps(const struct kase *k, int64_t *steps)
{
	for (int i = 0; i < k->n; i++) {
		int64_t s = k->log_steps
			? (int64_t)llround(10 * pow(1e4, (double)i / (k->n - 1)))
			: 25 * (int64_t)i;
		steps[i] = i > 0 && s <= steps[i - 1] ? steps[i - 1] + 1 : s;
	}
}

static int index_of(const int64_t *steps, int n, int64_t step)
{
	int lo = 0, hi = n - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (steps[mid] < step)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct tally {
	long events, series, found, wanted, misclassified;
	double *err;        /* localisation errors, in checkpoints */
	long nerr;
};

/* Matches the events of one method against the truth: an event of the
 * right kind within tol checkpoints of a transition finds it (the nearest
 * one); every other event is a false one. */
static void score(struct tally *t, const struct evs *v, int steepest,
		  const int64_t *steps, int n, const struct truth *tr, int nt,
		  double tol)
{
	int used[MAXEV] = {0};
	t->series++;
	/* steepest reports one change per series: any of the transitions */
	if (steepest && nt > 0 && tr[0].dir != 0)
		t->wanted++;
	for (int j = 0; j < nt; j++) {
		const char *want = tr[j].dir > 0 ? "rise" : tr[j].dir < 0 ? "fall" : "spike";
		if (steepest && (tr[j].dir == 0 || t->found == t->wanted))
			continue;
		if (!steepest)
			t->wanted++;
		int best = -1;
		double best_d = tol;
		for (int i = 0; i < v->n; i++) {
			if (v->ev[i].steepest != steepest || used[i] ||
			    strcmp(v->ev[i].kind, want) != 0)
				continue;
			double d = fabs(index_of(steps, n, v->ev[i].step) - tr[j].at);
			if (d <= best_d) {
				best_d = d;
				best = i;
			}
		}
		if (best >= 0) {
			used[best] = 1;
			t->found++;
			t->err[t->nerr++] = best_d;
		}
	}
	for (int i = 0; i < v->n; i++)
		if (v->ev[i].steepest == steepest && !used[i]) {
			t->events++;
			if (strcmp(v->ev[i].kind, "spike") != 0)
				t->misclassified += nt > 0 && tr[0].dir == 0;
		}
}

static double median(double *x, long n)
{
	if (n == 0)
		return NAN;
	qsort(x, (size_t)n, sizeof *x, cmp_double);
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

static void run_case(const struct kase *k, int seeds, uint64_t seed0)
{
	static double x[MAXN];
	static int64_t steps[MAXN];
	struct truth tr[4];
	int nt = 0;
	struct tally t[2] = {{0}};
	for (int m = 0; m < 2; m++)
		t[m].err = malloc((size_t)seeds * 4 * sizeof(double));
	make_steps(k, steps);
	struct emerge_opts o;
	emerge_opts_init(&o);
	o.changepoint = o.steepest = 1;
	struct rng r;
	rng_seed(&r, seed0);
	for (int s = 0; s < seeds; s++) {
		double e = 0;
		for (int i = 0; i < k->n; i++) {
			e = k->rho * e + sqrt(1 - k->rho * k->rho) * gauss(&r);
			if (i == 0)
				e = gauss(&r);
			x[i] = curve(k, i, tr, &nt) + k->sd * e;
		}
		struct emerge *em = emerge_new(&o);
		struct evs v = {0};
		struct traj_error err;
		for (int i = 0; i < k->n; i++) {
			struct metric_line ml = {"r", steps[i], "test/acc", x[i]};
			if (emerge_add(em, &ml, collect, &v, &err) < 0) {
				fprintf(stderr, "emerge_rates: %s\n", err.msg);
				exit(1);
			}
		}
		emerge_finish(em, collect, &v);
		emerge_free(em);
#ifdef EMERGE_DEBUG
		for (int i = 0; i < v.n; i++)
			fprintf(stderr, "%d %s %s %d\n", s,
				v.ev[i].steepest ? "steepest" : "cp", v.ev[i].kind,
				index_of(steps, k->n, v.ev[i].step));
#endif
		double tol = 10 + k->width;
		for (int m = 0; m < 2; m++)
			score(&t[m], &v, m, steps, k->n, tr, nt, tol);
	}
	printf("%-24s %5.3f %5.3f %5d %4s %4.2f |", k->name, k->sd, k->amp, k->n,
	       k->log_steps ? "log" : "lin", k->rho);
	for (int m = 0; m < 2; m++) {
		const struct tally *q = &t[m];
		double recall = q->wanted ? (double)q->found / q->wanted : NAN;
		printf(" %7.4f %6.3f %5.1f %6.4f |", (double)q->events / q->series,
		       recall, median(t[m].err, t[m].nerr),
		       (double)q->misclassified / q->series);
		free(t[m].err);
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int seeds = argc > 1 ? atoi(argv[1]) : 1000;
	const char *only = argc > 2 ? argv[2] : "";
	if (seeds < 1) {
		fprintf(stderr, "usage: emerge_rates [SEEDS [TEXT]]\n");
		return 64;
	}
	static struct kase cases[128];
	int nc = 0;
	const double sds[] = {0.002, 0.01, 0.03, 0.05};
	const int lens[] = {50, 500, 2000};
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < 3; b++)
			for (int l = 0; l < 2; l++)
				cases[nc++] = (struct kase){"flat", FLAT, sds[a], 0,
					lens[b], l, 0, 1, 0};
	const double rhos[] = {0.5, 0.8}, ar_sds[] = {0.01, 0.05};
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++)
			for (int l = 1; l < 3; l++)
				cases[nc++] = (struct kase){"flat, AR(1)", FLAT, ar_sds[b],
					0, lens[l], 0, rhos[a], 1, 0};
	cases[nc++] = (struct kase){"drift 3 sd", DRIFT, 0.03, 0.09, 500, 0, 0, 1, 0};
	cases[nc++] = (struct kase){"drift 3 sd", DRIFT, 0.05, 0.15, 2000, 0, 0, -1, 0};
	cases[nc++] = (struct kase){"drift 0.3", DRIFT, 0.01, 0.3, 2000, 0, 0, 1, 0};
	/* rises and falls: 5 noise s.d. (and more at small noise, where
	 * 5 s.d. is below the default min-delta 0.05) */
	const double rsd[] = {0.002, 0.01, 0.03, 0.05}, ramp[] = {0.5, 0.1, 0.15, 0.25};
	for (int a = 0; a < 4; a++) {
		double sd = rsd[a], amp = ramp[a];
		cases[nc++] = (struct kase){"sharp rise", SHARP, sd, amp, 300, 0, 0, 1, 0};
		cases[nc++] = (struct kase){"sharp fall", SHARP, sd, amp, 300, 0, 0, -1, 0};
		cases[nc++] = (struct kase){"slow rise (30)", SLOW, sd, amp, 300, 0, 0, 1, 30};
		cases[nc++] = (struct kase){"ramp (50)", RAMP, sd, amp, 300, 0, 0, 1, 50};
		cases[nc++] = (struct kase){"two-stage rise", TWO_STAGE, sd, amp, 300, 0, 0, 1, 20};
		cases[nc++] = (struct kase){"un-grokking drop", UNGROK, sd, amp, 300, 0, 0, -1, 10};
	}
	cases[nc++] = (struct kase){"sharp rise, log steps", SHARP, 0.03, 0.15, 300, 1, 0, 1, 0};
	cases[nc++] = (struct kase){"sharp rise, AR(1)", SHARP, 0.03, 0.15, 300, 0, 0.5, 1, 0};
	cases[nc++] = (struct kase){"slow rise, AR(1)", SLOW, 0.03, 0.15, 300, 0, 0.5, 1, 30};
	/* 5 long-run s.d. of the same noise: sd sqrt((1 + rho) / (1 - rho)) */
	cases[nc++] = (struct kase){"sharp rise, AR(1), 5 lr", SHARP, 0.03, 0.26, 300, 0, 0.5, 1, 0};
	cases[nc++] = (struct kase){"slow rise, AR(1), 5 lr", SLOW, 0.03, 0.26, 300, 0, 0.5, 1, 30};
	cases[nc++] = (struct kase){"sharp rise, AR(1), 5 lr", SHARP, 0.03, 0.45, 300, 0, 0.8, 1, 0};
	cases[nc++] = (struct kase){"slow rise, AR(1), 5 lr", SLOW, 0.03, 0.45, 300, 0, 0.8, 1, 30};
	const double ssd[] = {0.01, 0.03};
	for (int a = 0; a < 2; a++)
		for (int w = 1; w <= 3; w += 2)
			cases[nc++] = (struct kase){w == 1 ? "loss spike (1)" : "loss spike (3)",
				SPIKE, ssd[a], 10 * ssd[a], 500, 0, 0, 1, w};
	printf("# traj-emerge at its defaults (threshold 5, min-delta 0.05, warmup 8,\n"
	       "# window 0.3), %d series per case. events: false events per series\n"
	       "# (for flat and drift: all events); recall: transitions found within\n"
	       "# 10 + width checkpoints, right kind; loc: median |error| in\n"
	       "# checkpoints; miscl: spikes reported as rise/fall, per series\n", seeds);
	printf("%-24s %5s %5s %5s %4s %4s | %-30s | %-30s\n", "case", "sd", "amp", "n",
	       "step", "rho", "changepoint: events recall loc miscl",
	       "steepest: events recall loc miscl");
	double t0 = now_ms();
	for (int i = 0; i < nc; i++)
		if (strstr(cases[i].name, only))
			run_case(&cases[i], seeds, 1000003ULL * (uint64_t)(i + 1));
	printf("# %d cases in %.1f s\n", nc, (now_ms() - t0) / 1e3);
	return 0;
}
