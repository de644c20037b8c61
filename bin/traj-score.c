/* traj-score: loss and accuracy of every checkpoint, as metric lines. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "cli/cli.h"
#include "format/metrics.h"
#include "model/model.h"
#include "run/runmeta.h"
#include "format/stream.h"
#include "task/task.h"

static const char usage[] =
"Usage: traj-score [OPTION]... [FILE]\n"
"Score every checkpoint of a traj stream (traj-stream(5)) on the train and\n"
"test splits its run header describes, and print metric lines\n"
"  RUN<TAB>STEP<TAB>METRIC<TAB>VALUE\n"
"for train/loss, train/acc, test/loss and test/acc. With no FILE, or when\n"
"FILE is -, read standard input; checkpoints are scored as they arrive.\n"
"\n"
"  -H, --header         print a '# run step metric value' comment line first\n"
"      --threads N      BLAS threads (OPENBLAS_NUM_THREADS, else all cores)\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"  -f, --follow         at the end of FILE wait for more, like tail -f, until\n"
"                       the run's end record, SIGINT or SIGTERM (status 0)\n"
"\n"
"Exit status: 0 success, 64 usage error, 65 invalid stream, 66 cannot open\n"
"FILE, 74 read or write error, 75 truncated stream (every complete\n"
"checkpoint was scored first).\n";

/* Evaluation chunk: bounds scratch memory whatever the data set size. */
#define SCORE_BATCH 4096

struct scorer {
	struct run_config rc;
	struct dataset data;
	struct model *model;
	int ready;
};

static void scorer_reset(struct scorer *s)
{
	if (!s->ready)
		return;
	model_free(s->model);
	task_dataset_free(&s->data);
	run_config_free(&s->rc);
	s->ready = 0;
}

static int scorer_setup(struct scorer *s, const cJSON *run,
			struct traj_error *err)
{
	scorer_reset(s);
	if (run_from_json(run, &s->rc, err) < 0)
		return -1;
	if (task_dataset_build(&s->rc.task, &s->data, err) < 0) {
		run_config_free(&s->rc);
		return -1;
	}
	s->model = model_from_json(s->rc.model, SCORE_BATCH, err);
	if (!s->model) {
		task_dataset_free(&s->data);
		run_config_free(&s->rc);
		return -1;
	}
	s->ready = 1;
	return 0;
}

static void print_split(const struct scorer *s, int64_t step, const char *split,
			struct eval_result r)
{
	char metric[64];
	snprintf(metric, sizeof metric, "%s/loss", split);
	metric_print(stdout, s->rc.id, step, metric, r.loss);
	snprintf(metric, sizeof metric, "%s/acc", split);
	metric_print(stdout, s->rc.id, step, metric, r.acc);
}

/* For the repetition task, SPLIT/repeat/{loss,acc} over the labels that
 * copying predicts (the split's repeat mask) and SPLIT/first/{loss,acc}
 * over all others: with a random offset no one position is a repeat. */
static void score_repeat(const struct scorer *s, int64_t step,
			 const char *split, const struct split *sp)
{
	struct batch b = task_split_batch(sp);
	double loss[2], acc[2];
	if (model_evaluate_groups(s->model, &b, sp->repeat, 2, loss, acc) < 0)
		loss[0] = loss[1] = acc[0] = acc[1] = NAN;
	const char *names[2] = { "first", "repeat" };
	char metric[64];
	for (int g = 0; g < 2; g++) {
		snprintf(metric, sizeof metric, "%s/%s/loss", split, names[g]);
		metric_print(stdout, s->rc.id, step, metric, loss[g]);
		snprintf(metric, sizeof metric, "%s/%s/acc", split, names[g]);
		metric_print(stdout, s->rc.id, step, metric, acc[g]);
	}
}

/* Loss and accuracy; for a model with K > 1 labelled positions also
 * SPLIT/pos/I/loss and SPLIT/pos/I/acc for each position I = 0..K-1 (the
 * task's labelled positions in order: answer digits, sequence positions)
 * and SPLIT/seq_acc, the fraction of examples with every label right. */
static void score_split(const struct scorer *s, int64_t step,
			const char *split, const struct batch *b)
{
	int K = s->model->n_outputs;
	if (K == 1) {
		print_split(s, step, split, model_evaluate(s->model, b));
		return;
	}
	double *pos = malloc(2 * (size_t)K * sizeof *pos), seq = NAN;
	if (!pos)
		cli_die(TRAJ_ENOMEM, "out of memory");
	print_split(s, step, split, model_evaluate_detail(s->model, b, pos,
							  pos + K, &seq));
	char metric[64];
	for (int k = 0; k < K; k++) {
		snprintf(metric, sizeof metric, "%s/pos/%d/loss", split, k);
		metric_print(stdout, s->rc.id, step, metric, pos[k]);
		snprintf(metric, sizeof metric, "%s/pos/%d/acc", split, k);
		metric_print(stdout, s->rc.id, step, metric, pos[K + k]);
	}
	snprintf(metric, sizeof metric, "%s/seq_acc", split);
	metric_print(stdout, s->rc.id, step, metric, seq);
	free(pos);
}

static int score_ckpt(struct scorer *s, const struct traj_ckpt *c,
		      struct traj_error *err)
{
	if (model_load(s->model, c->tensors, c->ntensors, err) < 0)
		return -1;
	struct batch train = task_split_batch(&s->data.train);
	struct batch test = task_split_batch(&s->data.test);
	score_split(s, c->step, "train", &train);
	if (s->data.train.repeat)
		score_repeat(s, c->step, "train", &s->data.train);
	score_split(s, c->step, "test", &test);
	if (s->data.test.repeat)
		score_repeat(s, c->step, "test", &s->data.test);
	fflush(stdout);
	cli_check_output(stdout);
	return 0;
}

/* Returns 0 at a clean end, or -1 with err set. */
static int score_stream(struct traj_reader *r, struct traj_error *err)
{
	struct scorer s = {0};
	int rec, rc = 0;
	while ((rec = stream_read_next(r, err)) > 0) {
		if (rec == TRAJ_REC_RUN)
			rc = scorer_setup(&s, stream_reader_run(r), err);
		else if (rec == TRAJ_REC_CKPT)
			rc = score_ckpt(&s, stream_reader_ckpt(r), err);
		if (rc < 0)
			break;
	}
	if (rc < 0 && err->offset < 0)
		err->offset = stream_reader_offset(r);
	scorer_reset(&s);
	return rec < 0 || rc < 0 ? -1 : 0;
}

static const struct option longopts[] = {
	{"header", 0, 0, 'H'}, {"threads", 1, 0, 't'}, {"follow", 0, 0, 'f'},
	{"help", 0, 0, 'h'}, {"version", 0, 0, 'V'}, {0, 0, 0, 0},
};

int main(int argc, char **argv)
{
	int opt, header = 0, threads = 0, follow = 0;
	cli_init("traj-score");
	while ((opt = getopt_long(argc, argv, "HfhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'H': header = 1; break;
		case 'f': follow = 1; break;
		case 't': threads = (int)cli_int("--threads", optarg, 1, 4096); break;
		case 'h': cli_print_help(usage);
		case 'V': cli_print_version();
		default: cli_usage_error("invalid option");
		}
	}
	if (argc - optind > 1)
		cli_usage_error("expected at most one FILE, got %d", argc - optind);
	if (threads)
		openblas_set_num_threads(threads);
	const char *name;
	FILE *in = cli_open_input(optind < argc ? argv[optind] : NULL, &name);
	struct traj_error err;
	struct traj_reader *r = stream_reader_open(in, name, NULL, &err);
	if (!r)
		cli_die_error(name, &err);
	/* Scores need the parameters only: the optimiser state is checked
	 * but not decompressed. */
	stream_reader_skip_prefix(r, "optim/");
	if (follow)
		stream_reader_follow(r, cli_stop_on_signals());
	if (header)
		fputs(METRIC_HEADER, stdout);
	int rc = score_stream(r, &err);
	stream_reader_free(r);
	cli_close_input(in);
	if (rc < 0) {
		cli_finish(TRAJ_OK);
		cli_die_error(name, &err);
	}
	return cli_finish(TRAJ_OK);
}
