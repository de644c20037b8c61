/* traj-progress: Nanda et al.'s progress measures of every checkpoint of
 * a modular addition or subtraction run, as metric lines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/progress.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/stream_input.h"
#include "format/metrics.h"
#include "run/run_subject.h"

struct options {
	int freqs[PROGRESS_MAX_FREQS];
	int nfreqs, want, given, header, quiet, threads;
};

static void parse_freqs(const char *arg, void *ctx)
{
	struct options *o = ctx;
	char *end;
	o->nfreqs = 0;
	for (const char *p = arg; *p; p = *end ? end + 1 : end) {
		long v = strtol(p, &end, 10);
		if (end == p || (*end && *end != ',') || v < 1 || v > 1 << 20)
			cli_usage_error("--freqs: '%s': expected positive "
					"integers separated by commas", arg);
		if (o->nfreqs == PROGRESS_MAX_FREQS)
			cli_usage_error("--freqs: at most %d", PROGRESS_MAX_FREQS);
		o->freqs[o->nfreqs++] = (int)v;
	}
	if (!o->nfreqs)
		cli_usage_error("--freqs: empty list");
	o->given = 1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	const struct cli_opt opts[] = {
		CLI_CALLBACK('k', "freqs", parse_freqs, o, "LIST",
			"key frequencies, in 1..(p-1)/2 (default: found at the\n"
			"last checkpoint, which needs a FILE)"),
		CLI_INT('n', "nfreqs", &o->want, "N", 1, PROGRESS_MAX_FREQS,
			"how many key frequencies to find (default: the fewest\n"
			"holding 90% of the logits' energy on (a+b) directions)"),
		CLI_FLAG('H', "header", &o->header,
			"print a '# run step metric value' comment line and the\n"
			"key frequencies as a comment first"),
		CLI_OPT_THREADS(&o->threads),
		CLI_OPT_QUIET(&o->quiet),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-progress [OPTION]... [FILE]",
		.intro =
"Print the progress measures of Nanda et al. (2023) for every checkpoint of\n"
"a modadd or modsub run as metric lines RUN<TAB>STEP<TAB>METRIC<TAB>VALUE:\n"
"progress/restricted_loss (the logits kept on the key frequencies, all\n"
"pairs), progress/excluded_loss (the key frequencies removed, train pairs),\n"
"progress/gini/embed and progress/gini/wl (Gini coefficients of the Fourier\n"
"spectra of the embedding and of the neuron-logit map) and\n"
"progress/weight_sq_sum. With no FILE, or when FILE is -, read standard\n"
"input (then --freqs is required).\n",
		.opts = opts,
		.one_file = 1,
		.footer =
"Exit status: 0 success, 64 usage error (a task other than modadd or\n"
"modsub, key frequencies outside 1..(p-1)/2), 65 invalid stream or a model\n"
"that cannot run, 66 cannot open FILE, 74 read or write error, 75\n"
"truncated stream.\n",
	};
	return cli_parse(&spec, argc, argv);
}

struct state {
	struct options *o;
	struct run_subject s;
	struct progress pr;
	const cJSON *run;
};

static void reset(struct state *st)
{
	progress_free(&st->pr);
	run_subject_free(&st->s);
}

static int setup(struct state *st, const cJSON *run, struct traj_error *err)
{
	if (st->s.ready)
		return traj_fail(err, TRAJ_EDATA, -1, "several runs in one "
				 "stream; select one with traj-snapshot");
	if (run_subject_setup(&st->s, run, 1, 4096, err) < 0)
		return -1;
	if (progress_init(&st->pr, &st->s.rc.task, &st->s.data.train, run,
			  st->s.model, err) < 0)
		return -1;
	if (st->o->given)
		return progress_check_freqs(&st->pr, st->o->freqs,
					    st->o->nfreqs, err);
	return 0;
}

static void print(const struct state *st, int64_t step,
		  const struct progress_result *r)
{
	const char *id = st->s.rc.id;
	metric_print(stdout, id, step, "progress/restricted_loss",
		     r->restricted_loss);
	if (isfinite(r->excluded_loss))
		metric_print(stdout, id, step, "progress/excluded_loss",
			     r->excluded_loss);
	if (isfinite(r->gini_embed))
		metric_print(stdout, id, step, "progress/gini/embed",
			     r->gini_embed);
	if (isfinite(r->gini_wl))
		metric_print(stdout, id, step, "progress/gini/wl", r->gini_wl);
	metric_print(stdout, id, step, "progress/weight_sq_sum",
		     r->weight_sq_sum);
	fflush(stdout);
	cli_check_output(stdout);
}

/* One pass over the stream: with `find`, only loads the checkpoints and
 * finds the key frequencies at the last; else measures every one. */
static int pass(struct state *st, struct traj_reader *r, int find,
		struct traj_error *err)
{
	int rec, rc = 0, have = 0;
	int64_t last = -1;
	while (rc == 0 && (rec = stream_read_next(r, err)) > 0) {
		if (rec == TRAJ_REC_RUN) {
			rc = setup(st, stream_reader_run(r), err);
		} else if (rec == TRAJ_REC_CKPT) {
			const struct traj_ckpt *c = stream_reader_ckpt(r);
			rc = model_load(st->s.model, c->tensors, c->ntensors, err);
			have = 1;
			last = c->step;
			struct progress_result res;
			if (rc == 0 && !find) {
				rc = progress_measure(&st->pr, st->s.model,
						      st->o->freqs, st->o->nfreqs,
						      &res, err);
				if (rc == 0)
					print(st, c->step, &res);
			}
		}
	}
	if (cli_stream_status(r, rc, rec, err) < 0)
		return -1;
	if (!find)
		return 0;
	if (!have)
		return traj_fail(err, TRAJ_EDATA, -1, "no checkpoint");
	int n = progress_key_freqs(&st->pr, st->s.model, st->o->want,
				   st->o->freqs, err);
	if (n < 0)
		return -1;
	st->o->nfreqs = n;
	if (!st->o->quiet) {
		fprintf(stderr, "%s: key frequencies at step %lld:", cli_prog(),
			(long long)last);
		for (int i = 0; i < st->o->nfreqs; i++)
			fprintf(stderr, " %d", st->o->freqs[i]);
		fputc('\n', stderr);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	cli_init("traj-progress");
	int first = parse_args(argc, argv, &o);
	const char *path = first < argc ? argv[first] : NULL;
	if (!o.given && (!path || strcmp(path, "-") == 0))
		cli_usage_error("--freqs is needed when reading standard input "
				"(finding them reads the stream twice)");
	struct state st = { .o = &o };
	struct traj_error err;
	struct cli_stream_input in;
	if (!o.given) {
		cli_stream_open(&in, path, NULL, 1);
		int rc = pass(&st, in.reader, 1, &err);
		cli_stream_close(&in);
		if (rc < 0)
			cli_die_input(in.name, &err);
		o.given = 1;
		reset(&st);
	}
	cli_stream_open(&in, path, NULL, 1);
	if (o.header) {
		fputs(METRIC_HEADER, stdout);
		fputs("# key frequencies:", stdout);
		for (int i = 0; i < o.nfreqs; i++)
			printf(" %d", o.freqs[i]);
		fputc('\n', stdout);
	}
	int rc = pass(&st, in.reader, 0, &err);
	reset(&st);
	cli_stream_close(&in);
	if (rc < 0)
		cli_die_input(in.name, &err);
	return cli_finish(TRAJ_OK);
}
