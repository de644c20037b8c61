/* traj-score: loss and accuracy of every checkpoint, as metric lines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/stream_input.h"
#include "format/metrics.h"
#include "run/run_subject.h"

/* Evaluation chunk: bounds scratch memory whatever the data set size. */
#define SCORE_BATCH 4096

static void print_split(const struct run_subject *s, int64_t step,
			const char *split, struct eval_result r)
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
static void score_repeat(const struct run_subject *s, int64_t step,
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
static void score_split(const struct run_subject *s, int64_t step,
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

static int score_ckpt(struct run_subject *s, const struct traj_ckpt *c,
		      struct traj_error *err)
{
	if (model_load(s->model, c->tensors, c->ntensors, err) < 0)
		return -1;
	struct batch train = run_subject_batch(s, 1, 0);
	struct batch test = run_subject_batch(s, 0, 0);
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

/* Scores every checkpoint of the input; ends the program on an error,
 * after every checkpoint before it was scored. */
static void score_stream(struct cli_stream_input *in)
{
	struct run_subject s = {0};
	struct traj_error err;
	int rec, rc = 0;
	while ((rec = stream_read_next(in->reader, &err)) > 0) {
		if (rec == TRAJ_REC_RUN) {
			run_subject_free(&s);
			rc = run_subject_setup(&s, stream_reader_run(in->reader), 1,
					       SCORE_BATCH, &err);
		} else if (rec == TRAJ_REC_CKPT) {
			rc = score_ckpt(&s, stream_reader_ckpt(in->reader), &err);
		}
		if (rc < 0)
			break;
	}
	if (rc < 0 && err.offset < 0)
		err.offset = stream_reader_offset(in->reader);
	run_subject_free(&s);
	if (rec >= 0 && rc == 0)
		return;
	cli_finish(TRAJ_OK);
	cli_die_error(in->name, &err);
}

int main(int argc, char **argv)
{
	int header = 0, threads = 0, follow = 0;
	cli_init("traj-score");
	const struct cli_opt opts[] = {
		CLI_FLAG('H', "header", &header,
			"print a '# run step metric value' comment line first"),
		CLI_OPT_THREADS(&threads),
		CLI_FLAG('f', "follow", &follow,
			"at the end of FILE wait for more, like tail -f, until\n"
			"the run's end record, SIGINT or SIGTERM (status 0)"),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-score [OPTION]... [FILE]",
		.intro =
"Score every checkpoint of a traj stream (traj-stream(5)) on the train and\n"
"test splits its run header describes, and print metric lines\n"
"  RUN<TAB>STEP<TAB>METRIC<TAB>VALUE\n"
"for train/loss, train/acc, test/loss and test/acc. With no FILE, or when\n"
"FILE is -, read standard input; checkpoints are scored as they arrive.\n",
		.opts = opts,
		.footer =
"Exit status: 0 success, 64 usage error, 65 invalid stream, 66 cannot open\n"
"FILE, 74 read or write error, 75 truncated stream (every complete\n"
"checkpoint was scored first).\n",
	};
	optind = cli_parse(&spec, argc, argv);
	if (argc - optind > 1)
		cli_usage_error("expected at most one FILE, got %d", argc - optind);
	if (threads)
		cli_apply_threads(threads);
	/* Scores need the parameters only: the optimiser state is checked
	 * but not decompressed. */
	struct cli_stream_input in;
	cli_stream_open(&in, optind < argc ? argv[optind] : NULL, NULL, 1);
	if (follow)
		stream_reader_follow(in.reader, cli_stop_on_signals());
	if (header)
		fputs(METRIC_HEADER, stdout);
	score_stream(&in);
	cli_stream_close(&in);
	return cli_finish(TRAJ_OK);
}
