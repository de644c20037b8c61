/* traj-interpolate: loss and accuracy along the straight line between two
 * checkpoints, and the barrier on it (linear mode connectivity), as
 * metric lines. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/interpolate.h"
#include "cli/cli.h"
#include "cli/metric_out.h"
#include "cli/options.h"
#include "cli/stream_input.h"
#include "format/metrics.h"
#include "run/run_subject.h"

/* Evaluation chunk, as traj-score's: the same sums, the same bits. */
#define INTERP_BATCH 4096
#define NSPLITS 2

static const char *const split_names[NSPLITS] = { "train", "test" };

struct options {
	int points, pairs, barrier_only, header, threads;
	int64_t step_a, step_b, examples;
};

/* One end of the line: a stream and a step (RUN_STEP_LAST, _FIRST). */
struct end {
	const char *path;
	int64_t step;
	int given;          /* a step was named */
};

/* "FILE:STEP" names the checkpoint at STEP of FILE, unless FILE:STEP is
 * itself a file; anything else is a FILE. */
static void parse_end(char *arg, struct end *e)
{
	char *colon = strrchr(arg, ':');
	e->path = arg;
	if (!colon || !colon[1] || access(arg, F_OK) == 0)
		return;
	for (const char *p = colon + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return;
	e->step = cli_int(arg, colon + 1, 0, INT64_MAX);
	e->given = 1;
	*colon = '\0';
}

static void set_step(struct end *e, int64_t step, const char *opt)
{
	if (step < 0)
		return;
	if (e->given)
		cli_usage_error("%s: the step is given twice", opt);
	e->step = step;
	e->given = 1;
}

/* Loads e's checkpoint into s (with the data set or not) and, when other
 * is not NULL, the checkpoint at other_step of the same stream into it. */
static void read_end(const struct end *e, int with_data, struct run_subject *s,
		     struct run_subject *other, int64_t other_step)
{
	struct run_load want = { .step = e->step, .with_data = with_data,
				 .batch = INTERP_BATCH, .other_step = other_step };
	cli_stream_read_subject(e->path, &want, s, other);
}

/* B's parameters must be read as A's model's; B's data set is not used. */
static void check_pair(const struct run_subject *sa, const char *name_a,
		       const struct run_subject *sb, const char *name_b)
{
	struct traj_error err;
	if (lmc_check_models(sa->model, sa->rc.model, sb->model, sb->rc.model,
			     &err) < 0)
		cli_die(TRAJ_EDATA, "%s: not the model of '%s': %s", name_b,
			name_a, err.msg);
	if (!run_subject_same_task(sa, sb))
		fprintf(stderr, "%s: note: '%s' has another task configuration; "
			"both ends are scored on the splits of '%s'\n",
			cli_prog(), name_b, name_a);
}

static void put(const char *run, int64_t step, const char *a, const char *b,
		const char *c, double v)
{
	char metric[96];
	snprintf(metric, sizeof metric, "interp/%s/%s/%s", a, b, c);
	cli_metric(run, step, metric, v);
}

/* The path from sa's loaded parameters to sb's, on sa's splits, as
 * metric lines at A's run and step. */
static void evaluate(const struct options *o, struct lmc_work *w,
		     struct run_subject *sa, const struct run_subject *sb)
{
	struct traj_error err;
	struct batch splits[NSPLITS] = {
		run_subject_batch(sa, 1, o->examples),
		run_subject_batch(sa, 0, o->examples),
	};
	if (lmc_work_path(w, sa->model, sb->model->params, splits, &err) < 0)
		cli_die(err.status, "%s", err.msg);
	const char *run = sa->rc.id;
	char t[32];
	for (int i = 0; i < o->points && !o->barrier_only; i++) {
		snprintf(t, sizeof t, "%.6g", lmc_t(i, o->points));
		for (int s = 0; s < NSPLITS; s++) {
			const struct eval_result *e = &w->path[i * NSPLITS + s];
			put(run, sa->step, t, split_names[s], "loss", e->loss);
			put(run, sa->step, t, split_names[s], "acc", e->acc);
		}
	}
	for (int s = 0; s < NSPLITS; s++) {
		struct lmc_barrier bl, be;
		const char *sp = split_names[s];
		lmc_work_barriers(w, s, &bl, &be);
		put(run, sa->step, "barrier", sp, "loss", bl.height);
		put(run, sa->step, "barrier", sp, "loss_t", bl.t);
		put(run, sa->step, "barrier", sp, "loss_mean", bl.above_mean);
		put(run, sa->step, "barrier", sp, "err", be.height);
		put(run, sa->step, "barrier", sp, "err_t", be.t);
		put(run, sa->step, "barrier", sp, "err_mean", be.above_mean);
	}
	fflush(stdout);
	cli_check_output(stdout);
}

/* The next checkpoint of in (1), or its end (0). */
static int next_ckpt(struct cli_stream_input *in, struct run_subject *s,
		     int with_data)
{
	struct traj_error err;
	int rc = run_subject_next(in->reader, s, with_data, INTERP_BATCH, &err);
	if (rc < 0)
		cli_die_error(in->name, &err);
	return rc;
}

static void load(struct cli_stream_input *in, struct run_subject *s)
{
	struct traj_error err;
	if (run_subject_load(in->reader, s, &err) < 0)
		cli_die_error(in->name, &err);
}

/* --pairs: A and B at every step both streams hold, in step order. */
static void run_pairs(const struct options *o, struct lmc_work *w,
		      const char *pa, const char *pb, struct run_subject *sa,
		      struct run_subject *sb)
{
	struct cli_stream_input a, b;
	int64_t pairs = 0;
	cli_stream_open(&a, pa, NULL, 1);
	cli_stream_open(&b, pb, NULL, 1);
	int ha = next_ckpt(&a, sa, 1), hb = next_ckpt(&b, sb, 0);
	while (ha && hb) {
		int64_t ka = stream_reader_ckpt(a.reader)->step;
		int64_t kb = stream_reader_ckpt(b.reader)->step;
		if (ka != kb) {
			if (ka < kb)
				ha = next_ckpt(&a, sa, 1);
			else
				hb = next_ckpt(&b, sb, 0);
			continue;
		}
		if (pairs++ == 0)
			check_pair(sa, a.name, sb, b.name);
		load(&a, sa);
		load(&b, sb);
		evaluate(o, w, sa, sb);
		ha = next_ckpt(&a, sa, 1);
		hb = next_ckpt(&b, sb, 0);
	}
	if (pairs == 0)
		cli_die(TRAJ_EDATA, "%s: no checkpoint at a step of '%s'",
			b.name, a.name);
	cli_stream_close(&a);
	cli_stream_close(&b);
}

static int parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .points = 11, .step_a = -1, .step_b = -1 };
	const struct cli_opt opts[] = {
		CLI_INT('n', "points", &o->points, "N", 2, LMC_POINTS_MAX,
			"points on the line, t = 0, 1/(N-1), ..., 1 (11)"),
		CLI_I64('a', "step-a", &o->step_a, "N", 0, INT64_MAX,
			"A is the checkpoint at step N (one FILE: the first;\n"
			"two: the last of A's FILE)"),
		CLI_I64('b', "step-b", &o->step_b, "N", 0, INT64_MAX,
			"B is the checkpoint at step N (the last)"),
		CLI_FLAG('p', "pairs", &o->pairs,
			"two streams: the line between their checkpoints at\n"
			"every step both hold"),
		CLI_I64('e', "examples", &o->examples, "N", 0, INT32_MAX,
			"score the first N examples of each split (0: all)"),
		CLI_FLAG(0, "barrier-only", &o->barrier_only,
			"print the interp/barrier lines only"),
		CLI_FLAG('H', "header", &o->header,
			"print a '# run step metric value' comment line first"),
		CLI_OPT_THREADS(&o->threads),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-interpolate [OPTION]... [A [B]]",
		.intro =
"Score the model at N points (1-t) A + t B of the straight line between two\n"
"checkpoints A and B of traj streams (traj-stream(5)) on the train and test\n"
"splits of A's run, and print metric lines\n"
"  RUN<TAB>STEP<TAB>interp/T/SPLIT/{loss,acc}<TAB>VALUE\n"
"and the barriers (linear mode connectivity, Frankle et al. 2020)\n"
"  interp/barrier/SPLIT/{loss,err}[_t,_mean]\n"
"RUN and STEP are A's. A and B are FILE or FILE:STEP: two streams (each\n"
"at its last checkpoint unless named), or with one FILE (- for standard\n"
"input, also with no FILE) its first and last checkpoints, or --step-a and\n"
"--step-b.\n",
		.opts = opts,
		.footer =
"Exit status: 0 success, 64 usage error, 65 invalid stream, no checkpoint\n"
"at a step, or A and B of different models, 66 cannot open a file, 74\n"
"read or write error, 75 truncated stream.\n",
	};
	int first = cli_parse(&spec, argc, argv);
	int nfiles = argc - first;
	if (nfiles > 2)
		cli_usage_error("expected one or two streams, got %d", nfiles);
	if (o->pairs && (nfiles != 2 || o->step_a >= 0 || o->step_b >= 0))
		cli_usage_error("--pairs: two streams and no steps");
	return first;
}

/* A and B from the operands (nfiles of them) and --step-a, --step-b;
 * whether both are in one stream. */
static int parse_ends(const struct options *o, int nfiles, char **files,
		      struct end *a, struct end *b)
{
	*a = (struct end){ .path = "-", .step = RUN_STEP_LAST };
	*b = (struct end){ .step = RUN_STEP_LAST };
	if (nfiles >= 1)
		parse_end(files[0], a);
	if (nfiles == 2)
		parse_end(files[1], b);
	else
		b->path = a->path;
	if (o->pairs && (a->given || b->given))
		cli_usage_error("--pairs: two streams and no steps");
	set_step(a, o->step_a, "--step-a");
	set_step(b, o->step_b, "--step-b");
	if (nfiles < 2 && !a->given)
		a->step = RUN_STEP_FIRST;
	int same = nfiles < 2 || strcmp(a->path, b->path) == 0;
	if (same && nfiles == 2 && strcmp(a->path, "-") == 0)
		cli_usage_error("standard input twice: give one '-' and --step-a, "
				"--step-b");
	return same;
}

int main(int argc, char **argv)
{
	struct options o;
	struct run_subject sa = {0}, sb = {0};
	cli_init("traj-interpolate");
	int first = parse_args(argc, argv, &o);
	struct lmc_work w = { .points = o.points, .nsplits = NSPLITS };
	struct end a, b;
	int same = parse_ends(&o, argc - first, argv + first, &a, &b);
	if (o.header)
		fputs(METRIC_HEADER, stdout);
	if (o.pairs) {
		run_pairs(&o, &w, a.path, b.path, &sa, &sb);
	} else {
		read_end(&a, 1, &sa, same ? &sb : NULL, b.step);
		if (!same)
			read_end(&b, 0, &sb, NULL, 0);
		check_pair(&sa, a.path, &sb, b.path);
		evaluate(&o, &w, &sa, &sb);
	}
	lmc_work_free(&w);
	run_subject_free(&sa);
	run_subject_free(&sb);
	return cli_finish(TRAJ_OK);
}
