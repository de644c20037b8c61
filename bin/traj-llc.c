/* traj-llc: the local learning coefficient of every checkpoint, by SGLD,
 * with its diagnostics, as metric lines; or a calibration grid. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "analysis/llc_lines.h"
#include "analysis/llc_model.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/stream_input.h"
#include "format/metrics.h"
#include "format/select.h"
#include "run/run_subject.h"

#define MAX_GRID 32

struct grid { double v[MAX_GRID]; int n; };

struct options {
	struct llc_config c;
	double nbeta;           /* 0: batch / ln(batch) */
	int trace, header, quiet, threads, calibrate;
	int64_t lo, hi, step;   /* checkpoint range; calibration's (-1: last) */
	struct grid eps, nbetas;
	long long seed;
};

static void eps_grid(const char *arg, void *ctx)
{
	struct grid *g = &((struct options *)ctx)->eps;
	g->n = cli_positive_list("--eps-grid", arg, g->v, MAX_GRID);
}

static void nbeta_grid(const char *arg, void *ctx)
{
	struct grid *g = &((struct options *)ctx)->nbetas;
	g->n = cli_positive_list("--nbeta-grid", arg, g->v, MAX_GRID);
}

static void steps_range(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (ckpt_select_parse_range(arg, &o->lo, &o->hi) < 0)
		cli_usage_error("--steps: '%s': expected A:B, A: or :B", arg);
}

static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->c = (struct llc_config){ .sgld = { .eps = 1e-3, .gamma = 100,
		.sigma = 1 }, .chains = 10, .draws = 100, .every = 1,
		.batch = 256 };
	o->trace = 10;
	o->eps = (struct grid){ { 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3 }, 6 };
	o->lo = 0;
	o->hi = INT64_MAX;
	o->step = -1;
	const struct cli_opt opts[] = {
		CLI_GROUP("Sampler (SGLD localised at the checkpoint):"),
		CLI_DOUBLE(0, "eps", &o->c.sgld.eps, "E", 1e-300, 1e300,
			"step size (0.001)"),
		CLI_DOUBLE(0, "nbeta", &o->nbeta, "B", 1e-300, 1e300,
			"inverse temperature n beta (batch / ln(batch))"),
		CLI_DOUBLE(0, "gamma", &o->c.sgld.gamma, "G", 0, 1e300,
			"localisation strength (100)"),
		CLI_DOUBLE(0, "noise", &o->c.sgld.sigma, "S", 0, 1e300,
			"noise scale (1: the tempered posterior)"),
		CLI_INT(0, "chains", &o->c.chains, "N", 1, 100000,
			"independent chains (10)"),
		CLI_INT(0, "draws", &o->c.draws, "N", 1, 100000000,
			"draws per chain (100)"),
		CLI_INT(0, "burnin", &o->c.burnin, "N", 0, 100000000,
			"steps before the first draw, at most --draws (0)"),
		CLI_INT(0, "thin", &o->c.every, "N", 1, 1000000,
			"steps from one draw to the next (1)"),
		CLI_INT('b', "batch", &o->c.batch, "N", 1, 1 << 20,
			"minibatch size (256, at most the training examples)"),
		CLI_I64(0, "seed", &o->seed, "N", 0, INT64_MAX,
			"seed of the chains' noise and minibatches (0)"),
		CLI_GROUP("Checkpoints and output:"),
		CLI_CALLBACK(0, "steps", steps_range, o, "A:B",
			"only checkpoints with steps in A..B"),
		CLI_INT(0, "trace", &o->trace, "N", 0, 1000000,
			"loss trace points per chain, llc/trace/C/D (10; 0 none)"),
		CLI_FLAG('H', "header", &o->header,
			"print a '# run step metric value' comment line first"),
		CLI_GROUP("Calibration:"),
		CLI_FLAG(0, "calibrate", &o->calibrate,
			"estimate on one checkpoint for every --eps-grid x\n"
			"--nbeta-grid pair instead"),
		CLI_I64(0, "step", &o->step, "N", 0, INT64_MAX,
			"the checkpoint to calibrate on (the last)"),
		CLI_CALLBACK(0, "eps-grid", eps_grid, o, "LIST",
			"step sizes (1e-5,3e-5,1e-4,3e-4,1e-3,3e-3)"),
		CLI_CALLBACK(0, "nbeta-grid", nbeta_grid, o, "LIST",
			"inverse temperatures (B/10,B/3,B,3B,10B of --nbeta)"),
		CLI_OPT_THREADS(&o->threads),
		CLI_OPT_QUIET(&o->quiet),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-llc [OPTION]... [FILE]",
		.intro =
"Estimate the local learning coefficient (LLC) of every checkpoint of a traj\n"
"stream by SGLD chains localised at the checkpoint w*, on the training split\n"
"its run header describes:\n"
"  llc = nbeta (mean minibatch loss over the draws - L_n(w*))\n"
"and print metric lines RUN<TAB>STEP<TAB>METRIC<TAB>VALUE: llc/mean,\n"
"llc/std (across chains), llc/init_loss, llc/below_init_frac,\n"
"llc/chain/C and the thinned loss trace llc/trace/C/D. With no FILE, or\n"
"when FILE is -, read standard input.\n",
		.opts = opts,
		.one_file = 1,
		.footer =
"Exit status: 0 success, 64 usage error, 65 invalid stream, a model that\n"
"cannot run or a chain that diverged (the other checkpoints are estimated),\n"
"66 cannot open FILE, 74 read or write error, 75 truncated stream.\n",
	};
	return cli_parse(&spec, argc, argv);
}

struct llc_state {
	struct options *o;
	struct run_subject s;
	struct llc_models lm;
	const char *name;
	int workers, failed, have_ckpt;
	int64_t ckpt_step;
};

static int setup(struct llc_state *st, const cJSON *run,
		 struct traj_error *err)
{
	llc_models_free(&st->lm);
	run_subject_free(&st->s);
	st->have_ckpt = 0;
	int batch = st->o->c.batch;
	if (run_subject_setup(&st->s, run, 1, batch, err) < 0)
		return -1;
	if (batch > st->s.data.train.n)
		batch = st->o->c.batch = (int)st->s.data.train.n;
	st->o->c.sgld.nbeta = st->o->nbeta > 0 ? st->o->nbeta
					       : sgld_default_nbeta(batch);
	return llc_models_init(&st->lm, st->s.model, st->s.rc.model,
			       &st->s.data.train, batch, st->workers, err);
}

/* Returns 0 when estimated or when its chain diverged (reported), -1 on
 * another error. */
static int estimate(struct llc_state *st, int64_t step, const char *prefix,
		    int details, struct traj_error *err)
{
	struct llc_result r;
	if (llc_models_estimate(&st->lm, &st->o->c, step, &r, err) < 0) {
		if (err->status != TRAJ_EDATA)
			return -1;
		fprintf(stderr, "%s: %s: step %lld: %s\n", cli_prog(), st->name,
			(long long)step, err->msg);
		st->failed = 1;
		return 0;
	}
	if (r.failed_chain >= 0) {
		fprintf(stderr, "%s: %s: step %lld: %s%schain %d diverged at "
			"SGLD step %lld (loss %s); lower --eps\n", cli_prog(),
			st->name, (long long)step, details ? "" : prefix,
			details ? "" : ": ", r.failed_chain,
			(long long)r.failed_step,
			isnan(r.failed_loss) ? "nan" : "inf");
		st->failed = 1;
	} else {
		llc_lines(stdout, st->s.rc.id, step, prefix, &r, &st->o->c,
			  st->o->trace, details);
		fflush(stdout);
		cli_check_output(stdout);
	}
	llc_result_free(&r);
	return 0;
}

static int calibrate(struct llc_state *st, struct traj_error *err)
{
	struct options *o = st->o;
	double nb0 = o->c.sgld.nbeta, e0 = o->c.sgld.eps;
	if (!o->nbetas.n) {
		const double f[] = { 0.1, 1 / 3.0, 1, 3, 10 };
		for (int i = 0; i < 5; i++)
			o->nbetas.v[i] = nb0 * f[i];
		o->nbetas.n = 5;
	}
	for (int i = 0; i < o->eps.n; i++)
		for (int j = 0; j < o->nbetas.n; j++) {
			char prefix[96];
			o->c.sgld.eps = o->eps.v[i];
			o->c.sgld.nbeta = o->nbetas.v[j];
			snprintf(prefix, sizeof prefix, "llc/calib/eps/%g/nbeta/%g",
				 o->eps.v[i], o->nbetas.v[j]);
			if (estimate(st, st->ckpt_step, prefix, 0, err) < 0)
				return -1;
		}
	o->c.sgld.eps = e0;
	o->c.sgld.nbeta = nb0;
	return 0;
}

static int run_stream(struct llc_state *st, struct traj_reader *r,
		      struct traj_error *err)
{
	struct options *o = st->o;
	int rec, rc = 0;
	while (rc == 0 && (rec = stream_read_next(r, err)) > 0) {
		if (rec == TRAJ_REC_RUN) {
			if (o->calibrate && st->s.ready)
				return traj_fail(err, TRAJ_EDATA, -1, "several "
					"runs in one stream; select one with "
					"traj-snapshot");
			rc = setup(st, stream_reader_run(r), err);
			continue;
		}
		if (rec != TRAJ_REC_CKPT)
			continue;
		const struct traj_ckpt *c = stream_reader_ckpt(r);
		if (c->step < o->lo || c->step > o->hi)
			continue;
		if (o->calibrate && o->step >= 0 && c->step != o->step)
			continue;
		rc = model_load(st->s.model, c->tensors, c->ntensors, err);
		st->have_ckpt = 1;
		st->ckpt_step = c->step;
		if (rc == 0 && !o->calibrate) {
			if (!o->quiet)
				cli_progress("step %lld", (long long)c->step);
			rc = estimate(st, c->step, "llc", 1, err);
		}
	}
	rc = cli_stream_status(r, rc, rec, err);
	if (!o->quiet)
		cli_progress_done();
	if (rc < 0)
		return -1;
	if (o->calibrate && !st->have_ckpt)
		return traj_fail(err, TRAJ_EDATA, -1, o->step >= 0 ?
				 "no checkpoint at step %lld" : "no checkpoint",
				 (long long)o->step);
	return o->calibrate ? calibrate(st, err) : 0;
}

int main(int argc, char **argv)
{
	struct options o;
	cli_init("traj-llc");
	int first = parse_args(argc, argv, &o);
	o.c.seed = (uint64_t)o.seed;
	struct traj_error err;
	/* Pre-check what needs no data, so a bad value fails before reading. */
	struct llc_config probe = o.c;
	probe.sgld.nbeta = o.nbeta > 0 ? o.nbeta : 1;
	if (llc_config_check(&probe, INT64_MAX, &err) < 0)
		cli_usage_error("%s", err.msg);
	struct llc_state st = { .o = &o };
	/* One chain per thread, each with single-threaded BLAS: the estimate
	 * is then the same for any --threads. */
	st.workers = cli_threads();
	if (st.workers > o.c.chains)
		st.workers = o.c.chains;
	openblas_set_num_threads(1);
	struct cli_stream_input in;
	cli_stream_open(&in, first < argc ? argv[first] : NULL, NULL, 1);
	st.name = in.name;
	if (o.header)
		fputs(METRIC_HEADER, stdout);
	int rc = run_stream(&st, in.reader, &err);
	llc_models_free(&st.lm);
	run_subject_free(&st.s);
	cli_stream_close(&in);
	if (rc < 0)
		cli_die_input(in.name, &err);
	return cli_finish(st.failed ? TRAJ_EDATA : TRAJ_OK);
}
