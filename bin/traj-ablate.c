/* traj-ablate: which components of a network carry a behaviour, by
 * ablation, activation patching, attribution patching, patching across
 * training time, and circuit search; metric lines out. The study is
 * lib/interp/ablate_study.h; this program reads the options and the
 * checkpoints, and reports. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/stream_input.h"
#include "interp/ablate_direction.h"
#include "interp/ablate_inputs.h"
#include "interp/ablate_study.h"
#include "run/run_subject.h"

/* Evaluation chunk: bounds scratch memory whatever the split size. */
#define ABLATE_BATCH 4096

struct options {
	struct ablate_study st;
	int64_t step, from_step, seed;
	const char *direction, *direction_hook, *from, *inputs;
	char **globs;
	int nglobs, list, threads, quiet, circuit;
};

static void set_split(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (strcmp(arg, "test") && strcmp(arg, "train"))
		cli_usage_error("--split: '%s', expected test or train", arg);
	o->st.train = strcmp(arg, "train") == 0;
}

static void set_method(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (ablate_method_from_name(arg, &o->st.method) < 0 ||
	    o->st.method == ABL_PATCH)
		cli_usage_error("--method: '%s', expected zero, mean or "
				"resample", arg);
}

/* -c values: repeatable, each comma-separated. */
static void add_globs(const char *arg, void *ctx)
{
	struct options *o = ctx;
	for (char *tok = strtok((char *)arg, ","); tok; tok = strtok(NULL, ",")) {
		char **g = realloc(o->globs, ((size_t)o->nglobs + 1) * sizeof *g);
		if (!g)
			cli_die(TRAJ_ENOMEM, "out of memory");
		o->globs = g;
		o->globs[o->nglobs++] = tok;
	}
}

static void set_by(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (ablate_family_from_name(arg, &o->st.by) < 0)
		cli_usage_error("--by: '%s', expected freq, edge or neuron-freq",
				arg);
}

/* The mode options: the last one given wins. */
static void set_patch(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (patch_corruption_from_name(arg, &o->st.corrupt) < 0)
		cli_usage_error("--patch: '%s', expected a or b", arg);
	o->st.mode = ABLATE_MODE_PATCH;
}

static void set_from_step(const char *arg, void *ctx)
{
	struct options *o = ctx;
	o->from_step = cli_int("--from-step", arg, 0, INT64_MAX);
	o->st.mode = ABLATE_MODE_TIME;
}

static void set_from(const char *arg, void *ctx)
{
	struct options *o = ctx;
	o->from = arg;
	o->st.mode = ABLATE_MODE_TIME;
}

static void set_circuit(const char *arg, void *ctx)
{
	struct options *o = ctx;
	(void)arg;
	o->st.mode = ABLATE_MODE_CIRCUIT;
}

static void set_from_mode(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (strcmp(arg, "weights") && strcmp(arg, "acts"))
		cli_usage_error("--from-mode: '%s', expected weights or acts", arg);
	o->st.from_acts = strcmp(arg, "acts") == 0;
}

static void check_options(const struct options *o)
{
	struct traj_error err;
	if (ablate_study_check(&o->st, o->from || o->from_step >= 0,
			       o->direction != NULL, &err) < 0)
		cli_usage_error("%s", err.msg);
}

static int parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .step = -1, .from_step = -1, .seed = 1,
			       .st = { .method = ABL_MEAN, .threshold = 0.1,
				       .label = -1 } };
	const struct cli_opt opts[] = {
		CLI_I64('s', "step", &o->step, "N", 0, INT64_MAX,
			"study the checkpoint at step N (default: the last)"),
		CLI_CALLBACK(0, "split", set_split, o, "S",
			     "test (default) or train examples"),
		CLI_I64(0, "limit", &o->st.limit, "N", 1, INT32_MAX,
			"only the first N examples of the split"),
		CLI_STRING(0, "inputs", &o->inputs, "FILE", "the split's examples "
			   "from an .npz (adv, label: traj-attack --save)"),
		CLI_I64(0, "label", &o->st.label, "K", 0, INT32_MAX,
			"score only labelled position K (0 = the first)"),
		CLI_CALLBACK('m', "method", set_method, o, "M",
			     "zero, mean (default) or resample ablation"),
		CLI_CALLBACK('c', "component", add_globs, o, "GLOB",
			     "components whose name matches (repeatable, or\n"
			     "comma-separated); default: all"),
		CLI_FLAG(0, "list", &o->list,
			 "print the selected component names and exit"),
		CLI_CALLBACK(0, "by", set_by, o, "KIND",
			     "freq: components are the logits' frequencies\n"
			     "k = 1..(p-1)/2 (modular tasks; one forward pass,\n"
			     "then the logits are transformed; zero or mean);\n"
			     "edge: edges SENDER->RECEIVER, senders embed, heads,\n"
			     "MLPs, receivers a head's q, k or v input, an MLP,\n"
			     "the logits (not with --from, --direction);\n"
			     "neuron-freq: the last MLP's neurons grouped by the\n"
			     "strongest frequency of their logit direction,\n"
			     "blocks.L.mlp.freqK (modular tasks)"),
		CLI_FLAG(0, "joint", &o->st.joint,
			 "ablate the selected components together"),
		CLI_STRING(0, "direction", &o->direction, "F",
			   "a direction (.npy, one vector) in a residual hook"),
		CLI_STRING(0, "direction-hook", &o->direction_hook, "H",
			   "its hook (default: the last hook_resid_post, or\n"
			   "an MLP's last layers.I.hook_post)"),
		CLI_CALLBACK(0, "patch", set_patch, o, "a|b",
			     "activation patching: clean activations into inputs\n"
			     "whose operand a (or b) was changed (patch/C/...)"),
		CLI_FLAG(0, "attrib", &o->st.attrib,
			 "rank by attribution patching only (one forward and\n"
			 "one backward pass)"),
		CLI_I64(0, "budget", &o->st.budget, "N", 1, INT32_MAX,
			"at most N forward passes: attribution patching, then\n"
			"real ablations of the top components"),
		CLI_CALLBACK(0, "from-step", set_from_step, o, "K",
			     "patch across training time: each component's weights\n"
			     "from step K into the checkpoint, and the reverse"),
		CLI_CALLBACK(0, "from", set_from, o, "FILE",
			     "the step-K checkpoint comes from FILE (default: the\n"
			     "input; its last checkpoint without --from-step)"),
		CLI_CALLBACK(0, "from-mode", set_from_mode, o, "M",
			     "weights (default) or acts (activations)"),
		CLI_CALLBACK(0, "circuit", set_circuit, o, NULL,
			     "a small set of components keeping the loss within\n"
			     "--threshold of the clean loss (circuit/...)"),
		CLI_DOUBLE(0, "threshold", &o->st.threshold, "X", 0, 1e6,
			   "allowed loss increase in nats (0.1)"),
		CLI_STRING(0, "dot", &o->st.dot, "FILE",
			   "also write the circuit as Graphviz DOT (atomically)"),
		CLI_I64(0, "seed", &o->seed, "N", 0, INT64_MAX,
			"resampling and corruptions (1)"),
		CLI_OPT_THREADS(&o->threads),
		CLI_OPT_QUIET(&o->quiet),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-ablate [OPTION]... [FILE]",
		.intro =
"Find the components of a network that carry its behaviour on a checkpoint\n"
"of a traj stream (traj-stream(5)): the last one, or --step N. Components\n"
"are neurons (blocks.L.mlp.nJ, layers.I.nJ), attention heads\n"
"(blocks.L.attn.headH), whole layers (blocks.L.attn, blocks.L.mlp,\n"
"layers.I), a residual-stream direction (--direction), or with --by the\n"
"logits' Fourier frequencies (logits.freq.K), the edges between a\n"
"transformer's components (embed->blocks.0.attn.head2.v, ...) or the\n"
"last MLP's neurons grouped by frequency (blocks.L.mlp.freqK).\n"
"Prints metric lines, per component in rank order (rank 1 = most\n"
"responsible):\n"
"  ablate/C/loss_delta, ablate/C/acc_delta (ablated minus clean),\n"
"  ablate/C/attrib (attribution estimate of loss_delta), ablate/C/rank\n"
"so `grep /rank | sort -k4 -g | head` or `grep acc_delta | sort -k4 -g |\n"
"head` lists the most responsible. With no FILE, or when FILE is -, read\n"
"standard input.\n",
		.opts = opts,
		.one_file = 1,
		.footer =
"Exit status: 0 success, 64 usage error (also an unknown component or hook,\n"
"a budget too small for the method), 65 invalid stream, no checkpoint at\n"
"the step, or a model this build cannot run, 66 cannot open a file, 73\n"
"cannot create --dot FILE, 74 read or write error, 75 truncated stream.\n",
	};
	int first = cli_parse(&spec, argc, argv);
	o->st.seed = (uint64_t)o->seed;
	o->st.globs = o->globs;
	o->st.nglobs = o->nglobs;
	check_options(o);
	return first;
}

/* The checkpoint, and for patching across time the step-K model: from
 * --from FILE, or the input's --from-step. */
static void read_subjects(const struct options *o, const char *path,
			  struct run_subject *s, struct run_subject *k)
{
	int across_time = o->st.mode == ABLATE_MODE_TIME;
	struct run_load want = { .step = o->step, .with_data = 1,
		.batch = ABLATE_BATCH, .other_step = o->from_step };
	cli_stream_read_subject(path, &want, s,
				across_time && !o->from ? k : NULL);
	struct traj_error err;
	if (o->inputs && ablate_inputs_load(o->inputs, &s->data, o->st.train ?
			&s->data.train : &s->data.test, &err) < 0)
		cli_die_error(NULL, &err);
	if (!across_time || !o->from)
		return;
	want = (struct run_load){ .step = o->from_step, .batch = ABLATE_BATCH };
	cli_stream_read_subject(o->from, &want, k, NULL);
	if (!run_subject_same_model(s, k))
		cli_die(TRAJ_EDATA, "%s: a different model from the input's",
			o->from);
}

/* --direction: its unit vector and its component. */
static float *read_direction(struct options *o, const struct model *m,
			     struct component *comp)
{
	float *u;
	int d;
	struct traj_error err;
	if (ablate_direction_read(o->direction, &u, &d, &err) < 0)
		cli_die_error(o->direction, &err);
	const char *hook = o->direction_hook ? o->direction_hook :
			   ablate_direction_default_hook(m);
	if (ablate_component_direction(m, hook, d, comp, &err) < 0)
		cli_die(err.status, "--direction-hook: %s", err.msg);
	o->st.dir = u;
	o->st.dir_comp = comp;
	return u;
}

static void print_names(const struct ablate_selection *sel)
{
	for (int i = 0; i < sel->n; i++) {
		printf("%s\n", sel->comps[i].name);
		cli_check_output(stdout);
	}
}

static void report(const struct ablate_cost *c)
{
	char text[160];
	ablate_cost_describe(c, text, sizeof text);
	fprintf(stderr, "%s: %s\n", cli_prog(), text);
}

int main(int argc, char **argv)
{
	struct options o;
	struct run_subject s = {0}, k = {0};
	struct ablate_selection sel;
	struct ablate_cost cost;
	struct traj_error err;
	struct component dir_comp;
	cli_init("traj-ablate");
	int first = parse_args(argc, argv, &o);
	read_subjects(&o, first < argc ? argv[first] : NULL, &s, &k);
	float *dir = o.direction ? read_direction(&o, s.model, &dir_comp) : NULL;
	if (ablate_study_select(&o.st, &s, &sel, &err) < 0)
		cli_die(err.status, "%s", err.msg);
	if (o.list)
		print_names(&sel);
	else if (ablate_study_run(&o.st, &sel, &s, &k, stdout, &cost, &err) < 0) {
		cli_check_output(stdout); /* a write error is the one to report */
		cli_die_error(NULL, &err);
	} else if (!o.quiet)
		report(&cost);
	ablate_selection_free(&sel);
	free(dir);
	free(o.globs);
	run_subject_free(&s);
	run_subject_free(&k);
	return cli_finish(TRAJ_OK);
}
