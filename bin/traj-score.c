/* traj-score: loss and accuracy of every checkpoint, as metric lines. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/metric_out.h"
#include "cli/options.h"
#include "cli/state_lock.h"
#include "cli/stream_input.h"
#include "format/metrics.h"
#include "common/atomicfile.h"
#include "run/run_subject.h"
#include "run/score_state.h"
#include "task/label_groups.h"

/* Evaluation chunk: bounds scratch memory whatever the data set size. */
#define SCORE_BATCH 4096

static void print_split(const struct run_subject *s, int64_t step,
			const char *split, struct eval_result r)
{
	char metric[64];
	snprintf(metric, sizeof metric, "%s/loss", split);
	cli_metric(s->rc.id, step, metric, r.loss);
	snprintf(metric, sizeof metric, "%s/acc", split);
	cli_metric(s->rc.id, step, metric, r.acc);
}

/* SPLIT/GROUP/{loss,acc} for each non-empty group of each of the task's
 * groupings of labels (task/label_groups.h): the repetition task's first
 * and repeat positions, addition's carry chains. */
static int score_groups(const struct run_subject *s, int64_t step,
			const char *split, const struct split *sp,
			const struct task_groupings *gs, struct traj_error *err)
{
	struct batch b = task_split_batch(sp);
	for (int i = 0; i < gs->n; i++) {
		const struct task_grouping *g = &gs->g[i];
		double v[2 * TASK_MAX_GROUPS]; /* losses, then accuracies */
		if (model_evaluate_groups(s->model, &b, g->ids, g->ngroups, v,
					  v + g->ngroups, err) < 0)
			return -1;
		char metric[96];
		for (int k = 0; k < g->ngroups; k++) {
			if (!g->count[k])
				continue;
			snprintf(metric, sizeof metric, "%s/%s/loss", split,
				 g->names[k]);
			cli_metric(s->rc.id, step, metric, v[k]);
			snprintf(metric, sizeof metric, "%s/%s/acc", split,
				 g->names[k]);
			cli_metric(s->rc.id, step, metric, v[g->ngroups + k]);
		}
	}
	return 0;
}

/* Loss and accuracy; for a model with K > 1 labelled positions also
 * SPLIT/pos/I/loss and SPLIT/pos/I/acc for each position I = 0..K-1 (the
 * task's labelled positions in order: answer digits, sequence positions)
 * and SPLIT/seq_acc, the fraction of examples with every label right. */
static int score_split(const struct run_subject *s, int64_t step,
		       const char *split, const struct batch *b,
		       struct traj_error *err)
{
	int K = s->model->n_outputs;
	struct eval_result r;
	if (K == 1) {
		if (model_evaluate(s->model, b, &r, err) < 0)
			return -1;
		print_split(s, step, split, r);
		return 0;
	}
	double *pos = malloc(2 * (size_t)K * sizeof *pos), seq = NAN;
	if (!pos)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = model_evaluate_detail(s->model, b, pos, pos + K, &seq, &r,
				       err);
	if (rc == 0) {
		print_split(s, step, split, r);
		char metric[64];
		for (int k = 0; k < K; k++) {
			snprintf(metric, sizeof metric, "%s/pos/%d/loss", split, k);
			cli_metric(s->rc.id, step, metric, pos[k]);
			snprintf(metric, sizeof metric, "%s/pos/%d/acc", split, k);
			cli_metric(s->rc.id, step, metric, pos[K + k]);
		}
		snprintf(metric, sizeof metric, "%s/seq_acc", split);
		cli_metric(s->rc.id, step, metric, seq);
	}
	free(pos);
	return rc;
}

/* The groupings of the current run's train and test labels. */
static struct task_groupings train_groups, test_groups;

static int score_ckpt(struct run_subject *s, const struct traj_ckpt *c,
		      struct traj_error *err)
{
	if (model_load(s->model, c->tensors, c->ntensors, err) < 0)
		return -1;
	struct batch train = run_subject_batch(s, 1, 0);
	struct batch test = run_subject_batch(s, 0, 0);
	if (score_split(s, c->step, "train", &train, err) < 0 ||
	    score_groups(s, c->step, "train", &s->data.train, &train_groups,
			 err) < 0 ||
	    score_split(s, c->step, "test", &test, err) < 0 ||
	    score_groups(s, c->step, "test", &s->data.test, &test_groups,
			 err) < 0)
		return -1;
	struct batch val = task_split_batch(&s->data.val);
	if (val.n > 0 && score_split(s, c->step, "val", &val, err) < 0)
		return -1;
	fflush(stdout);
	cli_check_output(stdout);
	return 0;
}

/* --state FILE: where the last run stopped (run/score_state.h). */
static const char *state_path;

static void save_state(const struct score_state *st)
{
	struct atomic_file a;
	struct traj_error err;
	if (atomic_open(&a, state_path, &err) < 0)
		cli_die_error(state_path, &err);
	if (scorestate_save(st, a.f, &err) < 0) {
		atomic_abort(&a);
		cli_die_error(state_path, &err);
	}
	if (atomic_commit(&a, &err) < 0)
		cli_die_error(state_path, &err);
}

/* Reads the state; a bad one is one line and a start from the beginning.
 * Returns the exit status it deserves. */
static int load_state(struct score_state *st)
{
	scorestate_init(st);
	FILE *f = fopen(state_path, "r");
	if (!f && errno == ENOENT)
		return TRAJ_OK;
	if (!f)
		cli_die(TRAJ_ENOINPUT, "cannot open '%s': %s", state_path,
			strerror(errno));
	struct traj_error err;
	int rc = scorestate_load(st, f, state_path, &err);
	fclose(f);
	if (rc == 0)
		return TRAJ_OK;
	fprintf(stderr, "%s: %s; scoring from the start\n", cli_prog(), err.msg);
	return TRAJ_EDATA;
}

/* Goes on where the state says, or from the start if the stream is not
 * the one it was written for (a line on stderr). Returns whether the
 * reader stands after the recorded checkpoint, its run record read. */
static int resume(struct cli_stream_input *in, const char *path,
		  struct score_state *st)
{
	if (st->run_at < 0)
		return 0;
	struct traj_error err;
	int rc = scorestate_resume(in->reader, st, &err);
	if (rc < 0)
		cli_die_error(in->name, &err);
	if (rc > 0)
		return 1;
	fprintf(stderr, "%s: %s: %s; scoring from the start\n", cli_prog(),
		in->name, err.msg);
	cli_stream_close(in);
	cli_stream_open(in, path, NULL, 1);
	scorestate_init(st);
	return 0;
}

/* Sets up the scoring of the run the reader just read. */
static int setup_run(struct run_subject *s, const struct traj_reader *r,
		     struct traj_error *err)
{
	run_subject_free(s);
	task_groupings_free(&train_groups);
	task_groupings_free(&test_groups);
	int rc = run_subject_setup(s, stream_reader_run(r), 1, SCORE_BATCH, err);
	if (rc == 0)
		rc = task_label_groupings(&s->rc.task, &s->data.train,
					  &train_groups, err);
	if (rc == 0)
		rc = task_label_groupings(&s->rc.task, &s->data.test,
					  &test_groups, err);
	return rc;
}

/* Scores every checkpoint of the input (after the run record already
 * read when `resumed`), noting each in st when there is one; ends the
 * program on an error, after every checkpoint before it was scored.
 * With a state, a stream that ends inside a checkpoint is one still
 * being written: the checkpoint is left for the next run. */
static void score_stream(struct cli_stream_input *in, struct score_state *st,
			 int resumed)
{
	struct run_subject s = {0};
	struct traj_error err;
	int rec = 0, rc = resumed ? setup_run(&s, in->reader, &err) : 0;
	while (rc == 0 && (rec = stream_read_next(in->reader, &err)) > 0) {
		if (rec == TRAJ_REC_RUN)
			rc = setup_run(&s, in->reader, &err);
		else if (rec == TRAJ_REC_CKPT) {
			const struct traj_ckpt *c = stream_reader_ckpt(in->reader);
			if (st && st->step < 0) /* its run's first: who it is */
				metric_print_identity(stdout, s.rc.id, scorestate_identity(st, c));
			rc = score_ckpt(&s, c, &err);
		}
		if (rc == 0 && st)
			rc = scorestate_note(st, in->reader, rec, &err);
	}
	run_subject_free(&s);
	task_groupings_free(&train_groups);
	task_groupings_free(&test_groups);
	if (st && rec < 0 && err.status == TRAJ_ETRUNC)
		rec = 0;
	if (cli_stream_status(in->reader, rc, rec, &err) == 0)
		return;
	if (st)
		save_state(st);
	cli_die_input(in->name, &err);
}

int main(int argc, char **argv)
{
	int header = 0, threads = 0, follow = 0;
	cli_init("traj-score");
	const struct cli_opt opts[] = {
		CLI_FLAG('H', "header", &header,
			"print a '# run step metric value' comment line first\n"
			"(with --state, only when scoring from the start)"),
		CLI_OPT_THREADS(&threads),
		CLI_FLAG('f', "follow", &follow,
			"at the end of FILE wait for more, like tail -f, until\n"
			"the run's end record, SIGINT or SIGTERM (status 0)"),
		CLI_STRING(0, "state", &state_path, "FILE",
			"score only the checkpoints after those FILE records,\n"
			"then record where this run stopped (cron; FILE.lock\n"
			"keeps two runs from overlapping)"),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-score [OPTION]... [FILE]",
		.intro =
"Score every checkpoint of a traj stream (traj-stream(5)) on the train and\n"
"test splits its run header describes, and print metric lines\n"
"  RUN<TAB>STEP<TAB>METRIC<TAB>VALUE\n"
"for train/loss, train/acc, test/loss and test/acc (val/ too for a run with\n"
"--n-val; per-position and carry lines for add and repeat: traj-score(1)).\n"
"No FILE, or -: standard input; checkpoints are scored as they arrive.\n",
		.opts = opts,
		.one_file = 1,
		.footer =
"Exit status: 0 success, 64 usage error, 65 invalid stream or a bad --state\n"
"file (named; everything scored from the start), 66 cannot open FILE, 73\n"
"cannot write the state, 74 read or write error, 75 truncated stream\n"
"(every complete checkpoint was scored first; with --state, the stream is\n"
"taken to be still written: status 0, the checkpoint waits for next time).\n",
	};
	optind = cli_parse(&spec, argc, argv);
	const char *path = optind < argc ? argv[optind] : NULL;
	if (state_path && (!path || strcmp(path, "-") == 0))
		cli_usage_error("--state needs a FILE to go on in, not standard input");
	if (state_path && follow)
		cli_usage_error("--follow waits for ever, --state is for runs that end: not both");
	struct score_state st;
	int status = TRAJ_OK, resumed = 0;
	if (state_path) {
		cli_state_lock(state_path); /* held until the process ends */
		status = load_state(&st);
	}
	/* Scores need the parameters only: the optimiser state is checked
	 * but not decompressed. */
	struct cli_stream_input in;
	cli_stream_open(&in, path, NULL, 1);
	if (state_path)
		resumed = resume(&in, path, &st);
	if (follow)
		stream_reader_follow(in.reader, cli_stop_on_signals());
	if (header && !resumed)
		fputs(METRIC_HEADER, stdout);
	score_stream(&in, state_path ? &st : NULL, resumed);
	cli_stream_close(&in);
	if (state_path) {
		fflush(stdout);
		cli_check_output(stdout);
		save_state(&st);
	}
	return cli_finish(status);
}
