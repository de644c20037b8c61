/* traj-ablate: which components of a network carry a behaviour, by
 * ablation, activation patching, attribution patching, patching across
 * training time, and circuit search; metric lines out. The engines are
 * in lib/ (ablate.h, ablate_rank.h, ablate_time.h, ablate_select.h,
 * edges.h, logit_freq.h); this program chooses and prints. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "interp/ablate.h"
#include "interp/ablate_direction.h"
#include "interp/ablate_groups.h"
#include "interp/ablate_lines.h"
#include "interp/ablate_rank.h"
#include "interp/ablate_select.h"
#include "interp/ablate_time.h"
#include "common/atomicfile.h"
#include "interp/circuit.h"
#include "cli/cli.h"
#include "interp/edges.h"
#include "interp/logit_freq.h"
#include "model/model.h"
#include "interp/neuron_freq.h"
#include "interp/patch.h"
#include "run/run_subject.h"
#include "format/stream.h"
#include "task/task.h"

static const char usage[] =
"Usage: traj-ablate [OPTION]... [FILE]\n"
"Find the components of a network that carry its behaviour on a checkpoint\n"
"of a traj stream (traj-stream(5)): the last one, or --step N. Components\n"
"are neurons (blocks.L.mlp.nJ, layers.I.nJ), attention heads\n"
"(blocks.L.attn.headH), whole layers (blocks.L.attn, blocks.L.mlp,\n"
"layers.I), a residual-stream direction (--direction), with --by freq the\n"
"Fourier frequencies of a modular task's logits (logits.freq.K), with --by\n"
"neuron-freq the last MLP's neurons grouped by frequency\n"
"(blocks.L.mlp.freqK), or, with --by edge, the edges between a\n"
"transformer's components (embed->blocks.0.attn.head2.v,\n"
"blocks.0.attn.head2->blocks.0.mlp, ...).\n"
"Prints metric lines, per component in rank order (rank 1 = most\n"
"responsible):\n"
"  ablate/C/loss_delta, ablate/C/acc_delta (ablated minus clean),\n"
"  ablate/C/attrib (attribution estimate of loss_delta), ablate/C/rank\n"
"so `grep /rank | sort -k4 -g | head` or `grep acc_delta | sort -k4 -g |\n"
"head` lists the most responsible. With no FILE, or when FILE is -, read\n"
"standard input.\n"
"\n"
"  -s, --step N         study the checkpoint at step N (default: the last)\n"
"      --split S        test (default) or train examples\n"
"      --limit N        only the first N examples of the split\n"
"  -m, --method M       zero, mean (default) or resample ablation\n"
"  -c, --component GLOB components whose name matches (repeatable, or\n"
"                       comma-separated); default: all\n"
"      --list           print the selected component names and exit\n"
"      --by freq        components are the logits' frequencies k = 1..(p-1)/2\n"
"                       (modular tasks; one forward pass, then the logits\n"
"                       are transformed; zero or mean method)\n"
"      --by edge        components are edges SENDER->RECEIVER: senders embed,\n"
"                       heads, MLPs; receivers a head's q, k or v input, an\n"
"                       MLP, the logits (not with --from, --direction)\n""      --by neuron-freq components are the last MLP's neurons grouped by the\n"
"                       strongest frequency of their logit direction,\n"
"                       blocks.L.mlp.freqK (modular tasks)\n"
"      --joint          ablate the selected components together\n"
"      --direction F    a direction (.npy, one vector) in a residual hook\n"
"      --direction-hook H  its hook (default: the last hook_resid_post, or\n"
"                       an MLP's last layers.I.hook_post)\n"
"      --patch a|b      activation patching: clean activations into inputs\n"
"                       whose operand a (or b) was changed (patch/C/...)\n"
"      --attrib         rank by attribution patching only (one forward and\n"
"                       one backward pass)\n"
"      --budget N       at most N forward passes: attribution patching, then\n"
"                       real ablations of the top components\n"
"      --from-step K    patch across training time: each component's weights\n"
"                       from step K into the checkpoint, and the reverse\n"
"      --from FILE      the step-K checkpoint comes from FILE (default: the\n"
"                       input; its last checkpoint without --from-step)\n"
"      --from-mode M    weights (default) or acts (activations)\n"
"      --circuit        a small set of components keeping the loss within\n"
"                       --threshold of the clean loss (circuit/...)\n"
"      --threshold X    allowed loss increase in nats (0.1)\n"
"      --dot FILE       also write the circuit as Graphviz DOT (atomically)\n"
"      --seed N         resampling and corruptions (1)\n"
"      --threads N      BLAS threads (OPENBLAS_NUM_THREADS, else all cores)\n"
"  -q, --quiet          no pass count on standard error\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Exit status: 0 success, 64 usage error (also an unknown component or hook,\n"
"a budget too small for the method), 65 invalid stream, no checkpoint at\n"
"the step, or a model this build cannot run, 66 cannot open a file, 73\n"
"cannot create --dot FILE, 74 read or write error, 75 truncated stream.\n";

enum mode { MODE_ABLATE, MODE_PATCH, MODE_TIME, MODE_CIRCUIT };

struct options {
	int64_t step, from_step, limit, budget;
	const char *split, *direction, *direction_hook, *from, *dot;
	enum ablate_method method;
	char **globs;
	int nglobs, list, joint, attrib, from_acts, quiet, threads, by_freq,
	    by_edge, by_neuron_freq;
	enum mode mode;
	enum corruption corrupt;
	double threshold;
	uint64_t seed;
};

/* Evaluation chunk: bounds scratch memory whatever the split size. */
#define ABLATE_BATCH 4096

static void die_if(int rc, const struct traj_error *err)
{
	if (rc < 0)
		cli_die(err->status, "%s", err->msg);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n + 1, size);
	if (!p)
		cli_die(TRAJ_ENOMEM, "out of memory");
	return p;
}

/* Reads `path` and loads the checkpoints `want` names into s (and
 * other). */
static void read_subject(const char *path, const struct run_load *want,
			 struct run_subject *s, struct run_subject *other)
{
	const char *name;
	struct traj_error err;
	FILE *in = cli_open_input(path, &name);
	struct traj_reader *r = stream_reader_open(in, name, NULL, &err);
	if (!r)
		cli_die_error(name, &err);
	stream_reader_skip_prefix(r, "optim/");
	int rc = run_subject_read(r, want, s, other, &err);
	stream_reader_free(r);
	cli_close_input(in);
	if (rc < 0)
		cli_die_error(name, &err);
}

/* The examples every pass evaluates. */
static struct batch eval_batch(const struct run_subject *s,
			       const struct options *o)
{
	return run_subject_batch(s, strcmp(o->split, "train") == 0, o->limit);
}

/* The unit vector of --direction, and its component. */
static float *load_direction(const struct options *o, const struct model *m,
			     struct component *out)
{
	float *u;
	int d;
	struct traj_error err;
	if (ablate_direction_read(o->direction, &u, &d, &err) < 0)
		cli_die_error(o->direction, &err);
	const char *hook = o->direction_hook ? o->direction_hook :
			   ablate_direction_default_hook(m);
	if (ablate_component_direction(m, hook, d, out, &err) < 0)
		cli_die(err.status, "--direction-hook: %s", err.msg);
	return u;
}

/* The components the globs select: neurons, heads, layers (and the
 * direction), or with --by freq the logits' frequencies. */
static struct component *choose_components(const struct options *o,
					   const struct run_subject *s,
					   const struct component *dir, int *n)
{
	struct component *c = NULL;
	struct traj_error err;
	char valid[1024];
	if (o->by_freq && s->rc.task.family != TASK_MODULAR)
		cli_usage_error("--by freq: task '%s' is not modular arithmetic",
				s->rc.task.name);
	*n = o->by_freq ? ablate_select_freqs(s->rc.task.p, o->globs, o->nglobs, &c,
				       valid, sizeof valid, &err)
			: ablate_select_components(s->model, o->globs, o->nglobs, dir,
					    &c, valid, sizeof valid, &err);
	die_if(*n, &err);
	if (*n == 0)
		cli_die(TRAJ_EUSAGE, "--component: no component matches '%s'; "
			"valid: %s", o->globs[0], valid);
	return c;
}

static void print_names(const struct component *comps, int n)
{
	for (int i = 0; i < n; i++) {
		printf("%s\n", comps[i].name);
		cli_check_output(stdout);
	}
}

/* Metric lines of s to standard output, checked after each group. */
#define OUT(s) (&(struct metric_sink){ stdout, (s)->rc.id, (s)->step })

static void print_metric(const struct run_subject *s, const char *prefix,
			 const char *comp, const char *what, double v)
{
	ablate_line(OUT(s), prefix, comp, what, v);
	cli_check_output(stdout);
}

static void report_passes(const struct options *o,
			  const struct run_subject *s, const char *prefix,
			  int64_t forward, int64_t backward, int examples)
{
	print_metric(s, prefix, NULL, "forward_passes", (double)forward);
	print_metric(s, prefix, NULL, "backward_passes", (double)backward);
	if (!o->quiet)
		fprintf(stderr, "%s: %lld forward passes, %lld backward "
			"passes, over %d examples\n", cli_prog(),
			(long long)forward, (long long)backward, examples);
}

static void report_ablator(const struct options *o,
			   const struct run_subject *s, const char *prefix,
			   const struct ablator *a)
{
	report_passes(o, s, prefix, a->forward_passes, a->backward_passes,
		      a->data.n);
}

static void check_budget(const struct options *o, int fixed)
{
	/* `fixed` clean passes, then the forward half of the gradient pass */
	if (o->budget > 0 && o->budget < fixed + 1)
		cli_die(TRAJ_EUSAGE, "--budget %lld: attribution patching needs "
			"%d forward passes", (long long)o->budget, fixed + 1);
}

static void print_clean(const struct run_subject *s, const struct fn_run *fr)
{
	if (strcmp(fr->prefix, "circuit")) {
		ablate_lines_eval(OUT(s), fr->prefix, "clean", fr->base);
		cli_check_output(stdout);
	}
}

static void print_joint(const struct run_subject *s, const struct fn_run *fr)
{
	struct eval_result r;
	struct traj_error err;
	die_if(ablate_rank_joint(fr, &r, &err), &err);
	ablate_lines_joint(OUT(s), fr->prefix, r, fr->base, fr->n);
	cli_check_output(stdout);
}

/* Plain ablation or patching: the components together (--joint) or one
 * by one, ranked (`fixed` passes spent before). */
static void print_rank(const struct options *o, const struct run_subject *s,
		       const struct fn_run *fr, int fixed)
{
	if (o->joint) {
		print_joint(s, fr);
		return;
	}
	struct traj_error err;
	struct rank_result *res = ablate_rank_results_new(fr->n);
	if (!res)
		cli_die(TRAJ_ENOMEM, "out of memory");
	die_if(ablate_rank_components(fr, o->attrib, o->budget, fixed, res, &err), &err);
	ablate_lines_ranked(OUT(s), fr->prefix, fr->comps, res, fr->n);
	cli_check_output(stdout);
	free(res);
}

static void print_circuit(const struct options *o, const struct run_subject *s,
			  const struct component *comps, int n,
			  const unsigned char *keep, const double *imp,
			  const struct circuit_result *cr, int ncand,
			  struct eval_result base)
{
	ablate_lines_circuit(OUT(s), comps, n, keep, imp, cr, ncand,
			     o->threshold, base);
	cli_check_output(stdout);
}

/* Plain ablation or patching of fr's components, ranked, or a circuit
 * of them ranked by real one-by-one passes: its keep[] and imp[] (NULL
 * otherwise) are the caller's to free. */
static void study(const struct options *o, const struct run_subject *s,
		  const struct fn_run *fr, int fixed, unsigned char **keep,
		  double **imp)
{
	struct circuit_result cr;
	struct traj_error err;
	*keep = NULL;
	*imp = NULL;
	if (o->mode != MODE_PATCH)
		print_clean(s, fr);
	if (o->mode != MODE_CIRCUIT) {
		print_rank(o, s, fr, fixed);
		return;
	}
	die_if(ablate_rank_circuit(fr, o->threshold, keep, imp, &cr, &err), &err);
	print_circuit(o, s, fr->comps, fr->n, *keep, *imp, &cr, fr->n, fr->base);
}

/* --dot FILE is written atomically: opened, then committed. */
static FILE *dot_open(const struct options *o, struct atomic_file *af)
{
	struct traj_error err;
	if (atomic_open(af, o->dot, &err) < 0)
		cli_die_error(o->dot, &err);
	return af->f;
}

static void dot_commit(const struct options *o, struct atomic_file *af)
{
	struct traj_error err;
	if (atomic_commit(af, &err) < 0)
		cli_die_error(o->dot, &err);
}

static void run_ablate(const struct options *o, struct run_subject *s,
		       struct ablator *a)
{
	check_budget(o, 1);
	if (ablator_reuse(a) < 0)
		cli_die(TRAJ_ENOMEM, "out of memory");
	struct fn_run fr = ablator_fn_run(a, ablator_baseline(a), 1, "ablate");
	print_clean(s, &fr);
	print_rank(o, s, &fr, 1);
	report_ablator(o, s, "ablate", a);
}

static void print_patch_base(const struct run_subject *s,
			     struct eval_result clean,
			     struct eval_result corrupted)
{
	ablate_lines_eval(OUT(s), "patch", "clean", clean);
	ablate_lines_eval(OUT(s), "patch", "corrupted", corrupted);
	cli_check_output(stdout);
}

/* Activation patching: data are the corrupted inputs, the source the
 * clean activations; deltas are patched minus corrupted. */
static void run_patch(const struct options *o, struct run_subject *s,
		      struct ablator *a, const struct batch *clean)
{
	check_budget(o, 2);
	struct eval_result cl = ablator_capture_source(a, a->m, clean);
	if (isnan(cl.loss))
		cli_die(TRAJ_ENOMEM, "out of memory");
	struct eval_result corr = ablator_baseline(a);
	print_patch_base(s, cl, corr);
	struct fn_run fr = ablator_fn_run(a, corr, -1, "patch");
	print_rank(o, s, &fr, 2);
	report_ablator(o, s, "patch", a);
}

static void print_time(const struct run_subject *s,
		       const struct run_subject *k,
		       const struct component *comps, int n,
		       const struct time_patch *t)
{
	if (ablate_lines_time(OUT(s), k->step, comps, n, t) < 0)
		cli_die(TRAJ_ENOMEM, "out of memory");
	cli_check_output(stdout);
}

static void run_time(const struct options *o, struct run_subject *s,
		     struct run_subject *k, struct ablator *a)
{
	struct time_patch t;
	struct traj_error err;
	die_if(patch_time_run(a, s->model, k->model, o->from_acts, o->seed, &t,
			      &err), &err);
	print_time(s, k, a->comps, a->ncomps, &t);
	report_ablator(o, s, "timepatch", a);
	patch_time_free(&t);
}

static void run_circuit(const struct options *o, struct run_subject *s,
			struct ablator *a)
{
	struct traj_error err;
	if (ablator_reuse(a) < 0)
		cli_die(TRAJ_ENOMEM, "out of memory");
	struct eval_result base = ablator_baseline(a);
	double *imp;
	unsigned char *keep;
	int ncand;
	struct circuit_result cr;
	die_if(ablator_circuit(a, base.loss, o->threshold, &imp, &keep, &ncand,
			       &cr, &err), &err);
	if (ncand == 0)
		cli_usage_error("--circuit: no neuron, head or direction selected");
	print_circuit(o, s, a->comps, a->ncomps, keep, imp, &cr, ncand, base);
	if (o->dot) {
		struct atomic_file af;
		circuit_write_dot(dot_open(o, &af), s->rc.id, s->step, a->comps,
				  a->ncomps, keep, imp);
		dot_commit(o, &af);
	}
	report_ablator(o, s, "circuit", a);
	free(imp);
	free(keep);
}

/* --by freq: the logits' frequencies, each ablation a transformation of
 * the clean logits. */
struct freq_run {
	struct freq_logits f;
	const struct component *comps;
	int *idx;              /* scratch: frequency indices */
	int64_t evals;         /* logit transformations, not forward passes */
};

static struct eval_result freq_run_eval(void *ctx, const int *active, int k)
{
	struct freq_run *fr = ctx;
	for (int i = 0; i < k; i++)
		fr->idx[i] = fr->comps[active[i]].index;
	fr->evals++;
	struct eval_result r = logit_freq_eval(&fr->f, fr->idx, k);
	if (isnan(r.loss))
		cli_die(TRAJ_ENOMEM, "out of memory");
	return r;
}

/* The frequencies comps[0..n) of m's logits over data, as a fn_run. */
static struct fn_run freq_run_init(struct freq_run *fq,
				   const struct component *comps, int n,
				   struct model *m, const struct batch *data,
				   int zero)
{
	struct traj_error err;
	*fq = (struct freq_run){ .comps = comps };
	fq->idx = xcalloc((size_t)n, sizeof *fq->idx);
	die_if(logit_freq_init(&fq->f, m, data, zero, &err), &err);
	return (struct fn_run){ .eval = freq_run_eval, .ctx = fq,
				.comps = comps, .n = n, .sign = 1 };
}

static void freq_run_free(struct freq_run *fr)
{
	logit_freq_free(&fr->f);
	free(fr->idx);
}

static void freq_report(const struct options *o, const struct run_subject *s,
			const char *prefix, int passes, int64_t evals,
			int examples)
{
	print_metric(s, prefix, NULL, "forward_passes", passes);
	print_metric(s, prefix, NULL, "backward_passes", 0);
	print_metric(s, prefix, NULL, "logit_evals", (double)evals);
	if (!o->quiet)
		fprintf(stderr, "%s: %d forward pass%s, %lld logit evaluations, "
			"over %d examples\n", cli_prog(), passes,
			passes == 1 ? "" : "es", (long long)evals, examples);
}

static void run_freq(const struct options *o, struct run_subject *s,
		     const struct component *comps, int n)
{
	struct freq_run fq;
	struct batch data = eval_batch(s, o);
	struct fn_run fr = freq_run_init(&fq, comps, n, s->model, &data,
					 o->method == ABL_ZERO);
	fr.base = logit_freq_eval(&fq.f, NULL, 0);
	fr.prefix = o->mode == MODE_CIRCUIT ? "circuit" : "ablate";
	unsigned char *keep;
	double *imp;
	study(o, s, &fr, 1, &keep, &imp);
	free(keep);
	free(imp);
	freq_report(o, s, fr.prefix, 1, fq.evals, fq.f.n);
	freq_run_free(&fq);
}

/* --by freq --from-step K: each frequency's coefficients, example by
 * example, from step K's logits into the checkpoint's, and the reverse
 * (with --joint the selected frequencies together). */
static void run_freq_time(const struct options *o, struct run_subject *s,
			  struct run_subject *k, const struct component *comps,
			  int n)
{
	struct freq_run fs, fk;
	struct time_patch t;
	struct traj_error err;
	struct batch data = eval_batch(s, o);
	struct fn_run rs = freq_run_init(&fs, comps, n, s->model, &data, 0);
	struct fn_run rk = freq_run_init(&fk, comps, n, k->model, &data, 0);
	fs.f.source = &fk.f;
	fk.f.source = &fs.f;
	rs.base = logit_freq_eval(&fs.f, NULL, 0);
	rk.base = logit_freq_eval(&fk.f, NULL, 0);
	die_if(patch_time_fns(&rs, &rk, o->joint, &t, &err), &err);
	struct component joint = { .name = "joint", .kind = COMP_FREQ };
	print_time(s, k, o->joint ? &joint : comps, o->joint ? 1 : n, &t);
	if (o->joint)
		print_metric(s, "timepatch", "joint", "size", n);
	freq_report(o, s, "timepatch", 2, fs.evals + fk.evals, fs.f.n);
	patch_time_free(&t);
	freq_run_free(&fs);
	freq_run_free(&fk);
}

static void write_edge_dot(const struct options *o,
			   const struct run_subject *s,
			   const struct edge_run *er,
			   const unsigned char *keep, const double *imp)
{
	struct atomic_file af;
	struct traj_error err;
	die_if(edge_run_write_dot(dot_open(o, &af), s->rc.id, s->step, er, keep,
				  imp, &err), &err);
	dot_commit(o, &af);
}

/* The edge ablator's replacements: a clean pass (and for --patch the
 * clean run of the uncorrupted inputs first); returns the baseline. */
static struct eval_result edge_setup(const struct options *o,
				     struct run_subject *s,
				     struct edge_run *er,
				     const struct batch *clean)
{
	struct eval_result cl = { 0 };
	if (o->mode == MODE_PATCH)
		cl = edge_capture_source(&er->ea, clean);
	struct eval_result base = edge_baseline(&er->ea);
	if (isnan(base.loss) || isnan(cl.loss))
		cli_die(TRAJ_ENOMEM, "out of memory");
	if (o->mode == MODE_PATCH)
		print_patch_base(s, cl, base);
	return base;
}

static const char *mode_prefix(const struct options *o)
{
	return o->mode == MODE_CIRCUIT ? "circuit" :
	       o->mode == MODE_PATCH ? "patch" : "ablate";
}

static void run_edges(const struct options *o, struct run_subject *s,
		      const struct edge_graph *g, const struct component *comps,
		      int n, const struct batch *data, const struct batch *clean)
{
	struct edge_run er;
	/* a clean pass (and the patch source), then one for attribution */
	int fixed = 2 + (o->mode == MODE_PATCH);
	check_budget(o, fixed);
	struct traj_error err;
	die_if(edge_run_init(&er, comps, n, &err), &err);
	die_if(edge_ablator_init(&er.ea, s->model, g, data, o->mode == MODE_PATCH ?
				 ABL_PATCH : o->method, o->seed, &err), &err);
	struct fn_run fr = edge_fn_run(&er, o->mode == MODE_PATCH ? -1 : 1,
				       mode_prefix(o));
	fr.base = edge_setup(o, s, &er, clean);
	unsigned char *keep;
	double *imp;
	study(o, s, &fr, fixed, &keep, &imp);
	if (keep && o->dot)
		write_edge_dot(o, s, &er, keep, imp);
	free(keep);
	free(imp);
	report_passes(o, s, fr.prefix, er.ea.forward_passes,
		      er.ea.backward_passes, er.ea.data.n);
	edge_ablator_free(&er.ea);
	edge_run_free(&er);
}

enum {
	OPT_SPLIT = 256, OPT_LIMIT, OPT_LIST, OPT_JOINT, OPT_DIRECTION,
	OPT_DIRECTION_HOOK, OPT_PATCH, OPT_ATTRIB, OPT_BUDGET, OPT_FROM_STEP,
	OPT_FROM, OPT_FROM_MODE, OPT_CIRCUIT, OPT_THRESHOLD, OPT_DOT, OPT_SEED,
	OPT_THREADS, OPT_BY,
};

static const struct option longopts[] = {
	{"step", 1, 0, 's'}, {"split", 1, 0, OPT_SPLIT},
	{"limit", 1, 0, OPT_LIMIT}, {"method", 1, 0, 'm'},
	{"component", 1, 0, 'c'}, {"list", 0, 0, OPT_LIST},
	{"joint", 0, 0, OPT_JOINT}, {"direction", 1, 0, OPT_DIRECTION},
	{"direction-hook", 1, 0, OPT_DIRECTION_HOOK}, {"patch", 1, 0, OPT_PATCH},
	{"attrib", 0, 0, OPT_ATTRIB}, {"budget", 1, 0, OPT_BUDGET},
	{"from-step", 1, 0, OPT_FROM_STEP}, {"from", 1, 0, OPT_FROM},
	{"from-mode", 1, 0, OPT_FROM_MODE}, {"circuit", 0, 0, OPT_CIRCUIT},
	{"threshold", 1, 0, OPT_THRESHOLD}, {"dot", 1, 0, OPT_DOT},
	{"seed", 1, 0, OPT_SEED}, {"threads", 1, 0, OPT_THREADS},
	{"by", 1, 0, OPT_BY},
	{"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'},
	{0, 0, 0, 0},
};

/* -c values: repeatable, each comma-separated. */
static void add_globs(struct options *o, char *arg)
{
	for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
		char **g = realloc(o->globs, ((size_t)o->nglobs + 1) * sizeof *g);
		if (!g)
			cli_die(TRAJ_ENOMEM, "out of memory");
		o->globs = g;
		o->globs[o->nglobs++] = tok;
	}
}

static void parse_option(struct options *o, int opt, char *arg)
{
	switch (opt) {
	case 's': o->step = cli_int("--step", arg, 0, INT64_MAX); break;
	case OPT_SPLIT:
		if (strcmp(arg, "test") && strcmp(arg, "train"))
			cli_usage_error("--split: '%s', expected test or train", arg);
		o->split = arg;
		break;
	case OPT_LIMIT: o->limit = cli_int("--limit", arg, 1, INT32_MAX); break;
	case 'm':
		if (ablate_method_from_name(arg, &o->method) < 0 ||
		    o->method == ABL_PATCH)
			cli_usage_error("--method: '%s', expected zero, mean or "
					"resample", arg);
		break;
	case 'c': add_globs(o, arg); break;
	case OPT_LIST: o->list = 1; break;
	case OPT_JOINT: o->joint = 1; break;
	case OPT_DIRECTION: o->direction = arg; break;
	case OPT_DIRECTION_HOOK: o->direction_hook = arg; break;
	case OPT_PATCH:
		if (patch_corruption_from_name(arg, &o->corrupt) < 0)
			cli_usage_error("--patch: '%s', expected a or b", arg);
		o->mode = MODE_PATCH;
		break;
	case OPT_ATTRIB: o->attrib = 1; break;
	case OPT_BUDGET: o->budget = cli_int("--budget", arg, 1, INT32_MAX); break;
	case OPT_FROM_STEP:
		o->from_step = cli_int("--from-step", arg, 0, INT64_MAX);
		o->mode = MODE_TIME;
		break;
	case OPT_FROM: o->from = arg; o->mode = MODE_TIME; break;
	case OPT_FROM_MODE:
		if (strcmp(arg, "weights") && strcmp(arg, "acts"))
			cli_usage_error("--from-mode: '%s', expected weights or acts", arg);
		o->from_acts = strcmp(arg, "acts") == 0;
		break;
	case OPT_CIRCUIT: o->mode = MODE_CIRCUIT; break;
	case OPT_THRESHOLD: o->threshold = cli_double("--threshold", arg, 0, 1e6); break;
	case OPT_DOT: o->dot = arg; break;
	case OPT_SEED: o->seed = (uint64_t)cli_int("--seed", arg, 0, INT64_MAX); break;
	case OPT_THREADS: o->threads = (int)cli_int("--threads", arg, 1, 4096); break;
	case OPT_BY:
		o->by_freq = strcmp(arg, "freq") == 0;
		o->by_edge = strcmp(arg, "edge") == 0;
		o->by_neuron_freq = strcmp(arg, "neuron-freq") == 0;
		if (!o->by_freq && !o->by_edge && !o->by_neuron_freq)
			cli_usage_error("--by: '%s', expected freq, edge or "
					"neuron-freq", arg);
		break;
	case 'q': o->quiet = 1; break;
	case 'h': cli_print_help(usage);
	case 'V': cli_print_version();
	default: cli_usage_error("invalid option");
	}
}

static void check_options(const struct options *o, int nfiles)
{
	if (nfiles > 1)
		cli_usage_error("expected at most one FILE, got %d", nfiles);
	int modes = (o->mode == MODE_PATCH) + (o->mode == MODE_CIRCUIT);
	if (modes && (o->from || o->from_step >= 0))
		cli_usage_error("--from/--from-step go with neither --patch nor --circuit");
	if (o->dot && o->mode != MODE_CIRCUIT)
		cli_usage_error("--dot: only with --circuit");
	int joint_ok = o->mode == MODE_ABLATE ||
		       (o->by_edge && o->mode == MODE_PATCH) ||
		       (o->by_freq && o->mode == MODE_TIME);
	if (o->joint && (!joint_ok || o->attrib || o->budget))
		cli_usage_error("--joint: only for plain ablation (and "
				"--by edge --patch, --by freq --from-step)");
	if (o->mode == MODE_TIME && (o->attrib || o->budget))
		cli_usage_error("--attrib/--budget: not with --from/--from-step");
	if (o->attrib && o->budget)
		cli_usage_error("--attrib and --budget exclude each other");
	if (o->by_freq && (o->mode == MODE_PATCH || o->from_acts ||
			   o->attrib || o->budget || o->direction || o->dot))
		cli_usage_error("--by freq: not with --patch, --from-mode acts, "
				"--attrib, --budget, --direction or --dot");
	if (o->by_freq && o->method == ABL_RESAMPLE)
		cli_usage_error("--by freq: --method zero or mean");
	if (o->by_neuron_freq && (o->mode == MODE_PATCH || o->mode == MODE_TIME ||
				  o->direction || o->dot))
		cli_usage_error("--by neuron-freq: not with --patch, --from, "
				"--direction or --dot");
	if (o->by_edge && (o->mode == MODE_TIME || o->direction))
		cli_usage_error("--by edge: not with --from or --direction");
}

static void parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .step = -1, .from_step = -1, .split = "test",
			       .method = ABL_MEAN, .threshold = 0.1, .seed = 1 };
	int opt;
	while ((opt = getopt_long(argc, argv, "s:m:c:qhV", longopts, NULL)) != -1)
		parse_option(o, opt, optarg);
	check_options(o, argc - optind);
	if (o->threads)
		openblas_set_num_threads(o->threads);
}


/* The checkpoint, and for patching across time the step-K model: from
 * --from FILE, or the input's --from-step. */
static void read_subjects(const struct options *o, const char *path,
			  struct run_subject *s, struct run_subject *k)
{
	struct run_load want = { .step = o->step, .with_data = 1,
				 .batch = ABLATE_BATCH,
				 .other_step = o->from_step };
	read_subject(path, &want, s, o->mode == MODE_TIME && !o->from ? k : NULL);
	if (o->mode != MODE_TIME || !o->from)
		return;
	want = (struct run_load){ .step = o->from_step, .batch = ABLATE_BATCH };
	read_subject(o->from, &want, k, NULL);
	if (!run_subject_same_model(s, k))
		cli_die(TRAJ_EDATA, "%s: a different model from the input's",
			o->from);
}

/* The inputs every pass evaluates: the split, or for --patch its
 * corrupted copy (*corrupted, to free; *clean the uncorrupted). */
static struct batch pass_inputs(const struct options *o,
				struct run_subject *s, struct batch *clean,
				int32_t **corrupted)
{
	struct traj_error err;
	struct batch data = eval_batch(s, o);
	*clean = data;
	*corrupted = NULL;
	if (o->mode == MODE_PATCH) {
		die_if(patch_corrupt_tokens(&s->rc.task, strcmp(o->split, "train") == 0 ?
				      &s->data.train : &s->data.test,
				      s->model->n_inputs, o->corrupt, o->seed,
				      corrupted, &err), &err);
		data.tokens = *corrupted;
	}
	return data;
}

static void run(const struct options *o, struct run_subject *s,
		struct run_subject *k, struct component *comps, int n,
		const float *dir)
{
	struct traj_error err;
	struct batch clean;
	int32_t *corrupted;
	struct batch data = pass_inputs(o, s, &clean, &corrupted);
	enum ablate_method method = o->method;
	if (o->mode == MODE_PATCH || (o->mode == MODE_TIME && o->from_acts))
		method = ABL_PATCH;
	struct ablator a;
	die_if(ablator_init(&a, s->model, &data, comps, n, method, dir, o->seed,
			    &err), &err);
	switch (o->mode) {
	case MODE_ABLATE: run_ablate(o, s, &a); break;
	case MODE_PATCH: run_patch(o, s, &a, &clean); break;
	case MODE_TIME: run_time(o, s, k, &a); break;
	case MODE_CIRCUIT: run_circuit(o, s, &a); break;
	}
	ablator_free(&a);
	free(corrupted);
}

static void run_by_edge(const struct options *o, struct run_subject *s)
{
	struct edge_graph g;
	struct traj_error err;
	char valid[1024];
	if (edge_graph_build(s->model, &g, &err) < 0)
		cli_die(err.status, "--by edge: %s", err.msg);
	struct component *comps;
	int n = ablate_select_edges(&g, o->globs, o->nglobs, &comps, valid,
			     sizeof valid, &err);
	die_if(n, &err);
	if (n == 0)
		cli_die(TRAJ_EUSAGE, "--component: no edge matches '%s'; valid: "
			"%s (see --by edge --list)", o->globs[0], valid);
	if (o->list) {
		print_names(comps, n);
	} else {
		struct batch clean;
		int32_t *corrupted;
		struct batch data = pass_inputs(o, s, &clean, &corrupted);
		run_edges(o, s, &g, comps, n, &data, &clean);
		free(corrupted);
	}
	free(comps);
	edge_graph_free(&g);
}

/* --by neuron-freq: the last block's neurons grouped by the frequency
 * of their logit direction (neuron_freq.h), each group a component. */
struct neuron_groups {
	struct neuron_freq nf;
	struct component *all, *groups;
	int nall, ngroups;
	int *start, *members;
};

static void neuron_groups_build(const struct options *o,
				const struct run_subject *s,
				struct neuron_groups *ng)
{
	struct traj_error err;
	if (s->rc.task.family != TASK_MODULAR)
		cli_usage_error("--by neuron-freq: task '%s' is not modular "
				"arithmetic", s->rc.task.name);
	if (neuron_freq_assign(s->model, &ng->nf, &err) < 0)
		cli_die(err.status, "--by neuron-freq: %s", err.msg);
	ng->nall = ablate_components_list(s->model, &ng->all, &err);
	die_if(ng->nall, &err);
	ng->ngroups = neuron_freq_groups(&ng->nf, ng->all, ng->nall, o->globs,
					 o->nglobs, &ng->groups, &ng->start,
					 &ng->members, &err);
	die_if(ng->ngroups, &err);
	if (ng->ngroups == 0)
		cli_die(TRAJ_EUSAGE, "--component: no neuron group matches '%s' "
			"(see --by neuron-freq --list)", o->globs[0]);
}

static void neuron_groups_free(struct neuron_groups *ng)
{
	neuron_freq_free(&ng->nf);
	free(ng->all);
	free(ng->groups);
	free(ng->start);
	free(ng->members);
}

/* Each group's size, then the study of the groups. */
static void study_groups(const struct options *o, struct run_subject *s,
			 struct neuron_groups *ng, struct ablator *a)
{
	struct group_run gr;
	struct traj_error err;
	die_if(ablate_group_run_init(&gr, a, ng->groups, ng->ngroups, ng->start,
			      ng->members, &err), &err);
	const char *prefix = o->mode == MODE_CIRCUIT ? "circuit" : "ablate";
	struct fn_run fr = ablate_group_fn_run(&gr, ablator_baseline(a), 1, prefix);
	for (int g = 0; g < ng->ngroups; g++)
		print_metric(s, prefix, ng->groups[g].name, "neurons",
			     ng->start[g + 1] - ng->start[g]);
	unsigned char *keep;
	double *imp;
	study(o, s, &fr, 1, &keep, &imp);
	int kept = 0;
	for (int g = 0; keep && g < ng->ngroups; g++)
		kept += keep[g] ? ng->start[g + 1] - ng->start[g] : 0;
	if (keep)
		print_metric(s, prefix, NULL, "neurons", kept);
	report_ablator(o, s, prefix, a);
	free(keep);
	free(imp);
	ablate_group_run_free(&gr);
}

static void run_by_neuron_freq(const struct options *o, struct run_subject *s)
{
	struct neuron_groups ng = {0};
	struct traj_error err;
	neuron_groups_build(o, s, &ng);
	if (o->list) {
		print_names(ng.groups, ng.ngroups);
	} else {
		check_budget(o, 1);
		struct batch data = eval_batch(s, o);
		struct ablator a;
		die_if(ablator_init(&a, s->model, &data, ng.all, ng.nall,
				    o->method, NULL, o->seed, &err), &err);
		if (ablator_reuse(&a) < 0)
			cli_die(TRAJ_ENOMEM, "out of memory");
		study_groups(o, s, &ng, &a);
		ablator_free(&a);
	}
	neuron_groups_free(&ng);
}

/* Neurons, heads, layers and directions, or frequencies. */
static void run_components(const struct options *o, struct run_subject *s,
			   struct run_subject *k)
{
	struct component dir_comp;
	float *dir = o->direction ? load_direction(o, s->model, &dir_comp) : NULL;
	int n;
	struct component *comps = choose_components(o, s, dir ? &dir_comp : NULL,
						     &n);
	if (o->list)
		print_names(comps, n);
	else if (o->by_freq && o->mode == MODE_TIME)
		run_freq_time(o, s, k, comps, n);
	else if (o->by_freq)
		run_freq(o, s, comps, n);
	else
		run(o, s, k, comps, n, dir);
	free(comps);
	free(dir);
}

int main(int argc, char **argv)
{
	struct options o;
	cli_init("traj-ablate");
	parse_args(argc, argv, &o);
	const char *path = optind < argc ? argv[optind] : NULL;
	struct run_subject s = {0}, k = {0};
	read_subjects(&o, path, &s, &k);
	if (o.by_edge)
		run_by_edge(&o, &s);
	else if (o.by_neuron_freq)
		run_by_neuron_freq(&o, &s);
	else
		run_components(&o, &s, &k);
	free(o.globs);
	run_subject_free(&s);
	run_subject_free(&k);
	return cli_finish(TRAJ_OK);
}
