/* traj-probe: linear probes and representation similarity on the
 * activations of every checkpoint, as metric lines. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/probe_study.h"
#include "cli/cli.h"
#include "cli/metric_out.h"
#include "cli/options.h"
#include "cli/stream_input.h"
#include "format/metrics.h"

#define MAX_GLOBS 64
#define MAX_FREQS 4096

struct options {
	struct probe_study_opts so;
	char *hooks[MAX_GLOBS], *targets[MAX_GLOBS];
	int freqs[MAX_FREQS];
	int list, inputs, header, follow, threads;
};

static void add_glob(char **globs, int *n, const char *opt, const char *arg)
{
	if (*n == MAX_GLOBS)
		cli_usage_error("%s: more than %d patterns", opt, MAX_GLOBS);
	globs[(*n)++] = (char *)arg;
}

static void add_hook(const char *arg, void *ctx)
{
	struct options *o = ctx;
	add_glob(o->hooks, &o->so.nhooks, "--hook", arg);
}

static void add_target(const char *arg, void *ctx)
{
	struct options *o = ctx;
	add_glob(o->targets, &o->so.ntargets, "--target", arg);
}

/* Comma-separated integers, or "all" (none). */
static void parse_freqs(const char *arg, void *ctx)
{
	struct options *o = ctx;
	int n = 0;
	if (strcmp(arg, "all") == 0) {
		o->so.nfreq = 0;
		return;
	}
	char *copy = strdup(arg), *save = NULL;
	if (!copy)
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_FREQS)
			cli_usage_error("--freq: more than %d frequencies", MAX_FREQS);
		o->freqs[n++] = (int)cli_int("--freq", tok, 1, 1 << 20);
	}
	free(copy);
	if (n == 0)
		cli_usage_error("--freq: expected a list like 1,5,17 or 'all'");
	o->so.nfreq = n;
}

static void parse_lambdas(const char *arg, void *ctx)
{
	struct probe_opts *po = &((struct options *)ctx)->so.probe;
	char *copy = strdup(arg), *save = NULL;
	if (!copy)
		cli_die(TRAJ_ENOMEM, "out of memory");
	po->nlambda = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (po->nlambda == PROBE_MAX_LAMBDAS)
			cli_usage_error("--lambda: more than %d values", PROBE_MAX_LAMBDAS);
		double v = cli_double("--lambda", tok, 0, 1e12);
		if (po->nlambda && !(v > po->lambda[po->nlambda - 1]))
			cli_usage_error("--lambda: values must increase");
		po->lambda[po->nlambda++] = v;
	}
	free(copy);
	if (po->nlambda == 0)
		cli_usage_error("--lambda: expected a list like 1e-3,1e-2,0.1");
}

static void parse_pos(const char *arg, void *ctx)
{
	struct options *o = ctx;
	o->so.pos = strcmp(arg, "last") == 0 ? -1 :
		    (int)cli_int("--pos", arg, -4096, 4095);
}

static void parse_split(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (strcmp(arg, "all") == 0)
		o->so.split = PROBE_SPLIT_ALL;
	else if (strcmp(arg, "train") == 0)
		o->so.split = PROBE_SPLIT_TRAIN;
	else if (strcmp(arg, "test") == 0)
		o->so.split = PROBE_SPLIT_TEST;
	else
		cli_usage_error("--split: expected all, train or test, got '%s'", arg);
}

static void parse_seed(const char *arg, void *ctx)
{
	struct options *o = ctx;
	o->so.probe.seed = (uint64_t)cli_int("--seed", arg, 0, INT64_MAX);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	probe_study_opts_default(&o->so);
	o->so.hooks = o->hooks;
	o->so.targets = o->targets;
	o->so.freqs = o->freqs;
	const struct cli_opt opts[] = {
		CLI_GROUP("Activations:"),
		CLI_CALLBACK('k', "hook", add_hook, o, "GLOB",
			"hook points to probe (repeatable; shell patterns such\n"
			"as '*.hook_resid_post'); default every\n"
			"'*hook_resid_post' of a transformer, every\n"
			"'layers.*.hook_post' of an MLP"),
		CLI_FLAG('l', "list-hooks", &o->list,
			"print the model's hook points and their shapes, exit"),
		CLI_FLAG(0, "inputs", &o->inputs,
			"print the probe inputs in order, one a line (tokens,\n"
			"a tab, labels; features are left out), exit: the\n"
			"order of a --labels file"),
		CLI_CALLBACK(0, "pos", parse_pos, o, "P",
			"sequence position kept: 'last' (default) or an index,\n"
			"negative from the end"),
		CLI_CALLBACK(0, "split", parse_split, o, "S",
			"probe inputs: all (default), train or test"),
		CLI_I64(0, "max", &o->so.max, "N", 1, INT32_MAX,
			"at most the first N inputs of the split"),
		CLI_GROUP("\nTargets:"),
		CLI_CALLBACK('T', "target", add_target, o, "GLOB",
			"targets to probe (repeatable); default all the task's"),
		CLI_CALLBACK(0, "freq", parse_freqs, o, "LIST",
			"modular arithmetic: frequencies k for the\n"
			"cos/sin(2 pi k x / p) targets, '1,5,17' or 'all'\n"
			"(default all)"),
		CLI_STRING(0, "labels", &o->so.labels, "FILE",
			"one label per probe input instead of the task's\n"
			"targets (target 'label')"),
		CLI_GROUP("\nProbes:"),
		CLI_DOUBLE(0, "test-frac", &o->so.probe.test_frac, "F", 1e-9, 1 - 1e-9,
			"share of the inputs held out for the score (0.2)"),
		CLI_DOUBLE(0, "val-frac", &o->so.probe.val_frac, "F", 1e-9, 1 - 1e-9,
			"share of the rest for choosing lambda (0.25)"),
		CLI_CALLBACK(0, "lambda", parse_lambdas, o, "LIST",
			"regularisation grid, relative to the mean eigenvalue\n"
			"of the centred Gram matrix (1e-6,1e-5,...,10)"),
		CLI_CALLBACK(0, "seed", parse_seed, o, "N",
			"seed of the split of the inputs (0)"),
		CLI_STRING(0, "group", &o->so.group, "VAR",
			"split over the values of the task's categorical\n"
			"variable VAR (such as a) instead of over inputs: the\n"
			"probe is scored on values it was not fitted on"),
		CLI_FLAG(0, "show-lambda", &o->so.show_lambda,
			"also print probe/HOOK/TARGET/lambda, the value chosen"),
		CLI_FLAG(0, "no-probe", &o->so.no_probe, "print CKA lines only"),
		CLI_GROUP("\nSimilarity (linear CKA, lines cka/HOOK/HOOK2 and cka/HOOK/ref):"),
		CLI_STRING(0, "cka", &o->so.cka_hook, "HOOK2",
			"between each probed hook and HOOK2"),
		CLI_STRING(0, "cka-ref", &o->so.cka_ref, "REF",
			"between each checkpoint and a reference: STEP, the\n"
			"checkpoint of FILE at that step (FILE is read twice,\n"
			"so not standard input), or a stream file (its last\n"
			"checkpoint, or --cka-ref-step's) on the same inputs"),
		CLI_I64(0, "cka-ref-step", &o->so.ref_step, "N", 0, INT64_MAX,
			"the reference stream's checkpoint to use"),
		CLI_NOTE(""),
		CLI_FLAG('H', "header", &o->header,
			"print a '# run step metric value' comment line first"),
		CLI_OPT_THREADS(&o->threads),
		CLI_FLAG('f', "follow", &o->follow,
			"at the end of FILE wait for more, like tail -f, until\n"
			"the run's end record, SIGINT or SIGTERM (status 0)"),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-probe [OPTION]... [FILE]",
		.intro =
"Capture activations at hook points for a task's inputs at every checkpoint\n"
"of a traj stream, fit linear probes (closed-form ridge regression) from\n"
"them to the task's variables, and print metric lines\n"
"  RUN<TAB>STEP<TAB>probe/HOOK/TARGET/acc   (categorical targets)\n"
"  RUN<TAB>STEP<TAB>probe/HOOK/TARGET/r2    (numeric targets)\n"
"scored on held-out inputs. With no FILE, or when FILE is -, read standard\n"
"input; checkpoints are probed as they arrive.\n",
		.opts = opts,
		.one_file = 1,
		.footer =
"Exit status: 0 success, 64 usage error (also an unknown hook or target),\n"
"65 invalid stream, labels or a model this build cannot run, 66 cannot\n"
"open an input, 74 read or write error, 75 truncated stream (every\n"
"complete checkpoint was probed first).\n",
	};
	optind = cli_parse(&spec, argc, argv);
	const struct probe_study_opts *so = &o->so;
	if (so->no_probe && !so->cka_hook && !so->cka_ref && !o->list && !o->inputs)
		cli_usage_error("--no-probe: nothing to do without --cka or --cka-ref");
	if (so->ref_step >= 0 && !so->cka_ref)
		cli_usage_error("--cka-ref-step: needs --cka-ref FILE");
	o->so.input = optind < argc ? argv[optind] : NULL;
}

static void print_metric(void *ctx, const char *run, int64_t step,
			 const char *metric, double value)
{
	(void)ctx;
	cli_metric(run, step, metric, value);
}

/* --list-hooks and --inputs: the first run's subject, then exit. */
static void list_subject(struct probe_study *s, const cJSON *run,
			 const struct options *o, const char *name)
{
	struct traj_error err;
	if (probe_study_subject(s, run, &o->so, &err) < 0)
		cli_die_error(name, &err);
	if (o->list)
		probe_subject_write_hooks(stdout, &s->subj);
	else
		probe_subject_write_inputs(stdout, &s->subj);
	cli_check_output(stdout);
	exit(cli_finish(TRAJ_OK));
}

/* Probes every checkpoint of the input; ends the program on an error,
 * after every checkpoint before it was probed. */
static void probe_stream(struct cli_stream_input *in, const struct options *o)
{
	struct probe_study s;
	struct traj_error err;
	int rec, rc = 0;
	memset(&s, 0, sizeof s);
	while ((rec = stream_read_next(in->reader, &err)) > 0) {
		if (rec == TRAJ_REC_RUN && (o->list || o->inputs))
			list_subject(&s, stream_reader_run(in->reader), o, in->name);
		if (rec == TRAJ_REC_RUN)
			rc = probe_study_setup(&s, stream_reader_run(in->reader),
					       &o->so, &err);
		else if (rec == TRAJ_REC_CKPT)
			rc = probe_study_ckpt(&s, stream_reader_ckpt(in->reader),
					      &o->so, print_metric, NULL, &err);
		if (rc < 0)
			break;
		fflush(stdout);
		cli_check_output(stdout);
	}
	int option_error = rc < 0 && s.option_error;
	probe_study_free(&s);
	if (option_error) {
		cli_finish(TRAJ_OK);
		cli_die(err.status, "%s", err.msg);
	}
	if (cli_stream_status(in->reader, rc, rec, &err) < 0)
		cli_die_input(in->name, &err);
}

int main(int argc, char **argv)
{
	static struct options o;
	cli_init("traj-probe");
	parse_args(argc, argv, &o);
	struct cli_stream_input in;
	cli_stream_open(&in, o.so.input, NULL, 1);
	if (o.follow)
		stream_reader_follow(in.reader, cli_stop_on_signals());
	if (o.header && !o.list && !o.inputs)
		fputs(METRIC_HEADER, stdout);
	probe_stream(&in, &o);
	cli_stream_close(&in);
	return cli_finish(TRAJ_OK);
}
