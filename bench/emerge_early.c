/* How early traj-emerge --early (and so a cron tick, --state) prints a
 * change under way, and how often such a provisional line is false, at the
 * default settings, on synthetic series with known truth (issue 12, cron):
 * flat series with white and AR(1) noise, spikes of one checkpoint and
 * spikes decaying over three, sharp and slow rises and a fall, each a
 * change of 5 noise s.d. (at least 0.1). For every case, `seeds` series
 * (default 1000) go through the tool's engine (analysis/emerge.h), point
 * by point, noting the point at which each line was printed.
 *
 * Retract lines are counted apart: false provisional lines withdrawn, and
 * true changes whose provisional line was withdrawn.
 *
 * Usage: emerge_early [SEEDS [WARMUP]]    prints a table on stdout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/emerge.h"
#include "benchtime.h"
#include "common/rng.h"

enum shape { FLAT, SPIKE1, SPIKE3, SHARP, SLOW, FALL };

struct kase {
	const char *name;
	enum shape shape;
	double sd, rho; /* noise s.d. (marginal), AR(1) correlation */
	int n;
	int mid;        /* where the change is, if not at MID */
};

#define MAXN 500
#define MID 150 /* where rises and falls are (their middle) */

struct seen {
	int now;             /* the point being fed */
	int prov, prov_ok, prov_at, final, final_ok, final_at;
	int want;            /* +1 a rise, -1 a fall, 0 none */
	int last_right;      /* the last provisional line was the true change */
	int withdrawn;       /* false provisional lines retracted */
	int true_withdrawn;  /* the true change's provisional line retracted */
};

static int collect(const struct emerge_event *e, void *ctx)
{
	struct seen *s = ctx;
	int up = strcmp(e->kind, "rising") == 0 || strcmp(e->kind, "rise") == 0;
	int down = strcmp(e->kind, "falling") == 0 || strcmp(e->kind, "fall") == 0;
	int right = (s->want > 0 && up) || (s->want < 0 && down);
	if (strcmp(e->kind, "retract") == 0) {
		if (s->last_right)
			s->true_withdrawn = 1;
		else
			s->withdrawn++;
	} else if (strcmp(e->kind, "rising") == 0 || strcmp(e->kind, "falling") == 0) {
		s->last_right = right && !s->prov_ok;
		if (right && !s->prov_ok) {
			s->prov_ok = 1;
			s->prov_at = s->now;
		} else {
			s->prov++;
		}
	} else if (up || down) {
		if (right && !s->final_ok) {
			s->final_ok = 1;
			s->final_at = s->now;
		} else {
			s->final++;
		}
	}
	return 0;
}

static double gauss(struct rng *r)
{
	double u = rng_uniform(r) + 0x1p-25, v = rng_uniform(r);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* The series of case k, and which way its true change goes. */
static int make(const struct kase *k, struct rng *r, double *x)
{
	double amp = fmax(5 * k->sd, 0.1), e = 0;
	int mid = k->mid ? k->mid : MID;
	for (int i = 0; i < k->n; i++) {
		e = k->rho * e + sqrt(1 - k->rho * k->rho) * gauss(r);
		double level = 0.1;
		switch (k->shape) {
		case FLAT: break;
		case SPIKE1: level += i == 250 ? 2 * amp : 0; break;
		case SPIKE3: level += i >= 250 && i < 253 ? 2 * amp / (1 << (i - 250)) : 0; break;
		case SHARP: level += i >= mid ? amp : 0; break;
		/* 10% to 90% over 30 points */
		case SLOW: level += amp / (1 + exp(-4.394 / 30 * (i - MID))); break;
		case FALL: level += amp - amp / (1 + exp(-4.394 / 10 * (i - MID))); break;
		}
		x[i] = level + k->sd * e;
	}
	return k->shape == FALL ? -1 : k->shape >= SHARP ? 1 : 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static double median(int *v, int n)
{
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, cmp_int);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

int main(int argc, char **argv)
{
	int seeds = argc > 1 ? atoi(argv[1]) : 1000;
	int warmup = argc > 2 ? atoi(argv[2]) : 8;
	if (seeds < 1 || warmup < 2) {
		fprintf(stderr, "usage: emerge_early [SEEDS [WARMUP]]\n");
		return 64;
	}
	static const struct kase cases[] = {
		{"flat", FLAT, 0.01, 0, 500, 0}, {"flat", FLAT, 0.03, 0, 500, 0},
		{"flat", FLAT, 0.05, 0, 500, 0},
		{"flat, AR(1)", FLAT, 0.01, 0.5, 500, 0}, {"flat, AR(1)", FLAT, 0.03, 0.5, 500, 0},
		{"flat, AR(1)", FLAT, 0.05, 0.5, 500, 0},
		{"spike (1)", SPIKE1, 0.01, 0, 500, 0}, {"spike (1)", SPIKE1, 0.03, 0, 500, 0},
		{"spike (3)", SPIKE3, 0.01, 0, 500, 0}, {"spike (3)", SPIKE3, 0.03, 0, 500, 0},
		{"spike (3)", SPIKE3, 0.05, 0, 500, 0},
		{"sharp rise", SHARP, 0.01, 0, 300, 0}, {"sharp rise", SHARP, 0.03, 0, 300, 0},
		{"sharp rise", SHARP, 0.05, 0, 300, 0},
		{"slow rise (30)", SLOW, 0.01, 0, 300, 0}, {"slow rise (30)", SLOW, 0.03, 0, 300, 0},
		{"slow rise (30)", SLOW, 0.05, 0, 300, 0},
		{"fall (10)", FALL, 0.01, 0, 300, 0}, {"fall (10)", FALL, 0.03, 0, 300, 0},
		{"fall (10)", FALL, 0.05, 0, 300, 0},
		/* a jump before the detector can test (2 x warmup points), as
		 * train accuracy jumps in a run's first checkpoints */
		{"sharp rise @6", SHARP, 0.01, 0, 300, 6},
		{"sharp rise @6", SHARP, 0.03, 0, 300, 6},
	};
	struct emerge_opts o;
	emerge_opts_init(&o);
	o.changepoint = 1;
	o.early = 1;
	o.cp.window = warmup;
	static double x[MAXN];
	static int prov_lag[100000], final_lag[100000];
	if (seeds > 100000)
		seeds = 100000;
	double t0 = now_ms();
	printf("# traj-emerge --early (threshold 5, min-delta 0.05, warmup %d),\n"
	       "# %d series per case, changes of 5 noise s.d. (at least\n"
	       "# 0.1) at point %d (@6: at point 6). false: provisional (rising/falling) lines per\n"
	       "# series that no true change explains; found: true changes announced;\n"
	       "# early, final: median points from the change's middle to the\n"
	       "# provisional line and to the final rise/fall; final false: final\n"
	       "# rise/fall lines per series that no true change explains;\n"
	       "# withdrawn: false provisional lines per series later retracted;\n"
	       "# true wd: true changes whose provisional line was retracted;\n"
	       "# final found: true changes printed as a final rise/fall\n",
	       warmup, seeds, MID);
	printf("%-15s %5s %4s %4s | %7s %6s %6s %6s | %11s | %9s %7s | %11s\n", "case",
	       "sd", "rho", "n", "false", "found", "early", "final", "final false",
	       "withdrawn", "true wd", "final found");
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const struct kase *k = &cases[c];
		struct rng r;
		rng_seed(&r, 1000 + c);
		long prov = 0, fin = 0, wd = 0, true_wd = 0;
		int found = 0, nfinal = 0;
		for (int sd = 0; sd < seeds; sd++) {
			struct seen s = {0};
			s.want = make(k, &r, x);
			struct emerge *e = emerge_new(&o);
			struct traj_error err;
			if (!e)
				return 71;
			for (int i = 0; i < k->n; i++) {
				struct metric_line m = {"r", 25 * i, "m", x[i]};
				s.now = i;
				if (emerge_add(e, &m, collect, &s, &err) < 0)
					return 71;
			}
			emerge_free(e);
			prov += s.prov;
			fin += s.final;
			wd += s.withdrawn;
			true_wd += s.true_withdrawn;
			if (s.prov_ok)
				prov_lag[found++] = s.prov_at - (k->mid ? k->mid : MID);
			if (s.final_ok)
				final_lag[nfinal++] = s.final_at - (k->mid ? k->mid : MID);
		}
		int shift = k->shape >= SHARP;
		printf("%-15s %5.2f %4.1f %4d | %7.4f %6.3f %6.1f %6.1f | %11.4f | %9.4f %7.4f | %11.3f\n",
		       k->name, k->sd, k->rho, k->n, (double)prov / seeds,
		       shift ? (double)found / seeds : NAN,
		       median(prov_lag, found), median(final_lag, nfinal),
		       (double)fin / seeds, (double)wd / seeds,
		       shift ? (double)true_wd / seeds : NAN,
		       shift ? (double)nfinal / seeds : NAN);
		fflush(stdout);
	}
	printf("# %zu cases in %.1f s\n", sizeof cases / sizeof cases[0], (now_ms() - t0) / 1000);
	return 0;
}
