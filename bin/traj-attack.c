/* traj-attack: adversarial robustness of every checkpoint, as metric
 * lines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/stream_input.h"
#include "common/atomicfile.h"
#include "format/select.h"
#include "interp/attack_ablate.h"
#include "interp/attack_study.h"
#include "run/run_subject.h"

/* The model's scratch: the attack's chunk of examples. */
#define ATTACK_BATCH 4096

struct options {
	struct attack_study s;
	const char *split, *save;
	int64_t limit, at_step, every;
	int last, quiet, threads, header, no_random_start;
	const char *norm, *methods, *eps, *target, *ablate;
	double alpha;
};

/* "0.05,0.1,0.2" into s->eps. */
static void parse_eps(const char *arg, struct attack_study *s)
{
	char *copy = strdup(arg), *save = NULL;
	if (!copy)
		cli_die(TRAJ_ENOMEM, "out of memory");
	s->neps = 0;
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (s->neps == ATTACK_MAX_EPS)
			cli_usage_error("--eps: at most %d values", ATTACK_MAX_EPS);
		s->eps[s->neps++] = cli_double("--eps", t, 0, 1e6);
	}
	free(copy);
	if (!s->neps)
		cli_usage_error("--eps: expected a list such as 0.05,0.1");
}

static void parse_methods(const char *arg, struct attack_study *s)
{
	s->fgsm = s->pgd = 0;
	char *copy = strdup(arg), *save = NULL;
	if (!copy)
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "fgsm"))
			s->fgsm = 1;
		else if (!strcmp(t, "pgd"))
			s->pgd = 1;
		else
			cli_usage_error("--method: '%s': expected fgsm or pgd", t);
	}
	free(copy);
	if (!s->fgsm && !s->pgd)
		cli_usage_error("--method: expected fgsm, pgd or fgsm,pgd");
}

static void finish_options(struct options *o)
{
	struct attack_study *s = &o->s;
	if (!strcmp(o->norm, "linf"))
		s->norm = ATTACK_LINF;
	else if (!strcmp(o->norm, "l2"))
		s->norm = ATTACK_L2;
	else
		cli_usage_error("--norm: '%s': expected linf or l2", o->norm);
	parse_methods(o->methods, s);
	parse_eps(o->eps ? o->eps : s->norm == ATTACK_LINF ? "0.05,0.1,0.2" :
		  "0.5,1,2", s);
	for (int i = 0; i < s->neps; i++) {
		double e = s->eps[i];
		if (s->norm == ATTACK_LINF && e > 1)
			cli_usage_error("--eps %g: radii are in pixel units of inputs "
					"in [0,1], where %g covers the whole box (on "
					"a 0..255 scale, %g is %.4f)", e, e, e, e / 255);
		if (s->norm == ATTACK_L2 && e > 28)
			cli_usage_error("--eps %g with --norm l2: the L2 ball "
					"holds the whole box of 784 pixels in [0,1] "
					"from 28 on (its diagonal); 0.5 to 3 is usual", e);
		if (s->norm == ATTACK_L2 && e > 0 && e < 0.3)
			fprintf(stderr, "%s: warning: --eps %g with --norm l2: L2 "
				"radii over 784 pixels are ~28x the L-infinity "
				"ones (0.5 to 3 is usual)\n", cli_prog(), e);
	}
	if (strcmp(o->split, "test") && strcmp(o->split, "train"))
		cli_usage_error("--split: '%s': expected test or train", o->split);
	s->target = -1;
	if (o->target && !strcmp(o->target, "next"))
		s->target = -2;
	else if (o->target)
		s->target = (int)cli_int("--target", o->target, 0, 65535);
	s->alpha = o->alpha;
	s->random_start = !o->no_random_start;
	for (int i = 0; s->pgd && o->alpha > 0 && i < s->neps; i++)
		if (o->alpha > s->eps[i] && s->eps[i] > 0)
			fprintf(stderr, "%s: warning: --step-size %g is larger "
				"than --eps %g: PGD steps overshoot the ball\n",
				cli_prog(), o->alpha, s->eps[i]);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->split = "test";
	o->norm = "linf";
	o->methods = "fgsm,pgd";
	o->at_step = -1;
	o->s.iters = 40;
	o->s.restarts = 1;
	o->s.bisections = 10;
	o->s.seed = 1;
	int64_t seed = 1;
	const struct cli_opt opts[] = {
		CLI_GROUP("Attacks:"),
		CLI_STRING('m', "method", &o->methods, "LIST",
			"fgsm, pgd or fgsm,pgd (default)"),
		CLI_STRING(0, "norm", &o->norm, "N",
			"linf (default) or l2: the ball of the perturbation"),
		CLI_STRING('e', "eps", &o->eps, "LIST",
			"radii, in pixel units of inputs in [0,1] (linf:\n"
			"0.05,0.1,0.2; l2: 0.5,1,2)"),
		CLI_INT('n', "iters", &o->s.iters, "N", 1, 100000,
			"PGD steps (40)"),
		CLI_DOUBLE(0, "step-size", &o->alpha, "A", 0, 1e6,
			"PGD step size (default 2.5 eps / iters, Madry et al.)"),
		CLI_INT(0, "restarts", &o->s.restarts, "N", 1, 1024,
			"PGD random restarts; the worst case per example is\n"
			"kept (1)"),
		CLI_FLAG(0, "no-random-start", &o->no_random_start,
			"PGD starts at the clean input"),
		CLI_STRING(0, "target", &o->target, "C",
			"targeted: push every example to class C, or 'next'\n"
			"(label + 1 mod classes); adds .../hit lines"),
		CLI_DOUBLE(0, "min-eps", &o->s.min_eps_max, "MAX", 0, 1e6,
			"also the smallest radius up to MAX at which PGD fools\n"
			"each example (bisection): quartiles and 'unbroken'"),
		CLI_INT(0, "bisections", &o->s.bisections, "N", 1, 40,
			"bisection steps of --min-eps (10)"),
		CLI_FLAG(0, "per-class", &o->s.per_class,
			"accuracy per true class too (.../class/C/acc)"),
		CLI_I64(0, "seed", &seed, "N", 0, INT64_MAX,
			"random starts (1)"),
		CLI_STRING(0, "ablate", &o->ablate, "GLOBS", "attack the network with "
			   "these neurons zero-ablated\n(layers.I.nJ, comma-separated)"),
		CLI_GROUP("Examples and checkpoints:"),
		CLI_STRING(0, "split", &o->split, "S", "test (default) or train"),
		CLI_I64(0, "limit", &o->limit, "N", 1, INT64_MAX,
			"only the first N examples of the split"),
		CLI_I64('s', "step", &o->at_step, "N", 0, INT64_MAX,
			"only the checkpoint at step N"),
		CLI_I64(0, "every", &o->every, "K", 1, INT64_MAX,
			"only checkpoints at multiples of K steps"),
		CLI_FLAG(0, "last", &o->last, "only the last checkpoint"),
		CLI_GROUP("Output:"),
		CLI_STRING(0, "save", &o->save, "FILE",
			"write the last attack's inputs as .npz (adv, delta,\n"
			"label, pred), successful or not (atomically)"),
		CLI_FLAG('H', "header", &o->header,
			"print a '# run step metric value' comment line first"),
		CLI_OPT_THREADS(&o->threads), CLI_OPT_QUIET(&o->quiet),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-attack [OPTION]... [FILE]",
		.intro =
"Attack every checkpoint of a traj stream (traj-stream(5)) of a model with\n"
"continuous input (the Fashion-MNIST MLP: pixels in [0,1], kept there) on\n"
"the examples of its test split, with FGSM and PGD, and print metric lines\n"
"  RUN<TAB>STEP<TAB>attack/METHOD/NORM/EPS/acc<TAB>VALUE\n"
"(and .../loss, attack/clean/acc, ...). With no FILE, or when FILE is -,\n"
"read standard input.\n",
		.opts = opts,
		.one_file = 1,
		.footer =
"Exit status: 0 success, 64 usage error (also a model with token input),\n"
"65 invalid stream or inputs outside [0,1], 66 cannot open FILE, 73 cannot\n"
"create --save, 74 read or write error, 75 truncated stream.\n",
	};
	optind = cli_parse(&spec, argc, argv);
	o->s.seed = (uint64_t)seed;
	finish_options(o);
}

static int wanted(const struct options *o, int64_t step)
{
	return (o->at_step < 0 || step == o->at_step) &&
	       (!o->every || step % o->every == 0);
}

static void attack_ckpt(const struct options *o, struct run_subject *s,
			struct attack_kept *kept, int64_t step)
{
	struct traj_error err;
	struct batch b = run_subject_batch(s, strcmp(o->split, "test") != 0,
					   o->limit);
	if (o->ablate && attack_ablate(s->model, o->ablate, &err) < 0)
		cli_die(err.status, "--ablate: %s", err.msg);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (attack_study_ckpt(&o->s, s->model, &b, stdout, s->rc.id, step,
			      kept, &err) < 0)
		cli_die_error(NULL, &err);
	fflush(stdout);
	cli_check_output(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!o->quiet)
		fprintf(stderr, "%s: %s step %lld: %d examples in %.1f s\n",
			cli_prog(), s->rc.id, (long long)step, b.n,
			(double)(t1.tv_sec - t0.tv_sec) +
			1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
}

static void save(const char *path, const struct attack_kept *kept)
{
	struct traj_error err;
	struct atomic_file a;
	if (!kept->n && !kept->adv)
		cli_die(TRAJ_EDATA, "--save: no checkpoint was attacked");
	if (atomic_open(&a, path, &err) < 0)
		cli_die_error(path, &err);
	if (attack_kept_write_npz(kept, a.f, &err) < 0) {
		atomic_abort(&a);
		cli_die_error(path, &err);
	}
	if (atomic_commit(&a, &err) < 0)
		cli_die_error(path, &err);
}

int main(int argc, char **argv)
{
	struct options o;
	cli_init("traj-attack");
	parse_args(argc, argv, &o);
	struct cli_stream_input in;
	cli_stream_open(&in, optind < argc ? argv[optind] : NULL, NULL, 1);
	if (o.header)
		fputs("# run\tstep\tmetric\tvalue\n", stdout);
	struct run_subject s = {0};
	struct attack_kept kept = {0};
	struct traj_error err;
	int rec, rc = 0, loaded = 0;
	int64_t loaded_step = -1;
	while (rc == 0 && (rec = stream_read_next(in.reader, &err)) > 0) {
		if (rec == TRAJ_REC_RUN) {
			if (loaded && o.last)
				attack_ckpt(&o, &s, &kept, loaded_step);
			loaded = 0;
			run_subject_free(&s);
			rc = run_subject_setup(&s, stream_reader_run(in.reader),
					       1, ATTACK_BATCH, &err);
			if (rc == 0 && s.model->vocab)
				cli_die(TRAJ_EUSAGE, "%s: the %s model of run %s "
					"takes tokens: it has no continuous "
					"input to attack", in.name,
					s.model->kind, s.rc.id);
		} else if (rec == TRAJ_REC_CKPT && s.ready) {
			const struct traj_ckpt *c = stream_reader_ckpt(in.reader);
			if (!wanted(&o, c->step))
				continue;
			rc = model_load(s.model, c->tensors, c->ntensors, &err);
			loaded = rc == 0;
			loaded_step = c->step;
			if (loaded && !o.last)
				attack_ckpt(&o, &s, &kept, c->step);
		}
	}
	if (cli_stream_status(in.reader, rc, rec, &err) < 0)
		cli_die_input(in.name, &err);
	if (loaded && o.last)
		attack_ckpt(&o, &s, &kept, loaded_step);
	if (!kept.adv && o.at_step >= 0)
		cli_die(TRAJ_EDATA, "%s: no checkpoint at step %lld", in.name,
			(long long)o.at_step);
	if (o.save)
		save(o.save, &kept);
	attack_kept_free(&kept);
	run_subject_free(&s);
	cli_stream_close(&in);
	return cli_finish(TRAJ_OK);
}
