/* traj-ablate: which components of a network carry a behaviour, by
 * ablation, activation patching, attribution patching, patching across
 * training time, and circuit search; metric lines out. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "ablate.h"
#include "atomicfile.h"
#include "circuit.h"
#include "cli.h"
#include "edges.h"
#include "filebuf.h"
#include "logit_freq.h"
#include "metrics.h"
#include "model.h"
#include "nameglob.h"
#include "npy.h"
#include "patch.h"
#include "runmeta.h"
#include "stream.h"
#include "task.h"

static const char usage[] =
"Usage: traj-ablate [OPTION]... [FILE]\n"
"Find the components of a network that carry its behaviour on a checkpoint\n"
"of a traj stream (traj-stream(5)): the last one, or --step N. Components\n"
"are neurons (blocks.L.mlp.nJ, layers.I.nJ), attention heads\n"
"(blocks.L.attn.headH), whole layers (blocks.L.attn, blocks.L.mlp,\n"
"layers.I), a residual-stream direction (--direction), with --by freq the\n"
"Fourier frequencies of a modular task's logits (logits.freq.K), or, with\n"
"--by edge, the edges between a transformer's components\n"
"(embed->blocks.0.attn.head2.v, blocks.0.attn.head2->blocks.0.mlp, ...).\n"
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
"                       are transformed; zero or mean method)\n""      --by edge        components are edges SENDER->RECEIVER: senders embed,\n"
"                       heads, MLPs; receivers a head's q, k or v input, an\n"
"                       MLP, the logits (not with --from, --direction)\n"
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
	    by_edge;
	enum mode mode;
	enum corruption corrupt;
	double threshold;
	uint64_t seed;
};

/* A checkpoint and everything needed to evaluate it. */
struct subject {
	struct run_config rc;
	struct dataset data;
	struct model *m;
	int64_t step;
	int ready, have_data;
};

static void subject_free(struct subject *s)
{
	if (!s->ready)
		return;
	model_free(s->m);
	if (s->have_data)
		dataset_free(&s->data);
	run_config_free(&s->rc);
	s->ready = 0;
}

/* Evaluation chunk: bounds scratch memory whatever the split size. */
#define ABLATE_BATCH 4096

static int subject_setup(struct subject *s, const cJSON *run, int need_data,
			 struct traj_error *err)
{
	if (s->ready)
		return traj_fail(err, TRAJ_EDATA, -1, "several runs in one "
				 "stream; select one with traj-snapshot");
	if (run_from_json(run, &s->rc, err) < 0)
		return -1;
	s->m = model_from_json(s->rc.model, ABLATE_BATCH, err);
	if (!s->m) {
		run_config_free(&s->rc);
		return -1;
	}
	s->ready = 1;
	if (need_data && dataset_build(&s->rc.task, &s->data, err) < 0)
		return -1;
	s->have_data = need_data;
	return 0;
}

/* Reads `path` and loads the checkpoint at `step` (-1: the last) into
 * s->m; with other set, also the checkpoint at other_step into other
 * (same run). */
static int read_subject(const char *path, int64_t step, struct subject *s,
			int need_data, int64_t other_step,
			struct subject *other, struct traj_error *err)
{
	const char *name;
	FILE *in = cli_open_input(path, &name);
	struct traj_reader *r = stream_reader_open(in, name, NULL, err);
	if (!r)
		cli_die_error(name, err);
	stream_reader_skip_prefix(r, "optim/");
	int rec, rc = 0;
	s->step = -1;
	if (other)
		other->step = -1;
	int64_t first = -1, last = -1;
	while (rc == 0 && (rec = stream_read_next(r, err)) > 0) {
		if (rec == TRAJ_REC_RUN) {
			rc = subject_setup(s, stream_reader_run(r), need_data, err);
			if (rc == 0 && other)
				rc = subject_setup(other, stream_reader_run(r), 0, err);
			continue;
		}
		if (rec != TRAJ_REC_CKPT)
			continue;
		const struct traj_ckpt *c = stream_reader_ckpt(r);
		first = first < 0 ? c->step : first;
		last = c->step;
		if ((step < 0 || c->step == step) &&
		    (rc = model_load(s->m, c->tensors, c->ntensors, err)) == 0)
			s->step = c->step;
		if (rc == 0 && other && c->step == other_step &&
		    (rc = model_load(other->m, c->tensors, c->ntensors, err)) == 0)
			other->step = c->step;
		if (step >= 0 && s->step == step &&
		    (!other || other->step == other_step))
			break;
	}
	if (rc < 0 && err->offset < 0)
		err->offset = stream_reader_offset(r);
	stream_reader_free(r);
	cli_close_input(in);
	if (rc < 0 || rec < 0)
		cli_die_error(name, err);
	int64_t missing = s->step < 0 ? step : other && other->step < 0 ? other_step : -2;
	if (missing != -2) {
		if (last < 0)
			cli_die(TRAJ_EDATA, "%s: no checkpoint", name);
		cli_die(TRAJ_EDATA, "%s: no checkpoint at step %lld (steps %lld..%lld)",
			name, (long long)missing, (long long)first, (long long)last);
	}
	return 0;
}

/* The examples every pass evaluates. */
static struct batch eval_batch(const struct subject *s, const struct options *o)
{
	const struct split *sp = strcmp(o->split, "train") == 0 ?
				 &s->data.train : &s->data.test;
	struct batch b = split_batch(sp);
	if (o->limit > 0 && o->limit < b.n)
		b.n = (int)o->limit;
	return b;
}

/* The unit vector of --direction, and its component. */
static float *load_direction(const struct options *o, const struct model *m,
			     struct component *out)
{
	unsigned char *buf;
	size_t len;
	struct traj_error err;
	struct traj_tensor t;
	if (file_read_all(o->direction, (size_t)1 << 26, &buf, &len, &err) < 0 ||
	    npy_parse(buf, len, "direction", &t, &err) < 0)
		cli_die_error(o->direction, &err);
	free(buf);
	if (t.dtype != TRAJ_F32 || t.rank != 1 || t.shape[0] < 1)
		cli_die(TRAJ_EUSAGE, "%s: expected a 1-d float32 array", o->direction);
	int d = (int)t.shape[0];
	float *u = t.data;
	double norm = 0.0;
	for (int k = 0; k < d; k++)
		norm += (double)u[k] * u[k];
	if (!(norm > 0.0) || !isfinite(norm))
		cli_die(TRAJ_EUSAGE, "%s: the direction has no length", o->direction);
	for (int k = 0; k < d; k++)
		u[k] = (float)(u[k] / sqrt(norm));
	char hook[HOOK_NAME_MAX];
	if (o->direction_hook)
		snprintf(hook, sizeof hook, "%s", o->direction_hook);
	else
		snprintf(hook, sizeof hook, "%s",
			 m->hooks[m->nhooks - 1].name);
	for (int h = m->nhooks - 1; !o->direction_hook && h >= 0; h--)
		if (strstr(m->hooks[h].name, "hook_resid_post") ||
		    strstr(m->hooks[h].name, "layers.")) {
			snprintf(hook, sizeof hook, "%s", m->hooks[h].name);
			break;
		}
	if (component_direction(m, hook, d, out, &err) < 0)
		cli_die(err.status, "--direction-hook: %s", err.msg);
	return u;
}

/* The components the globs select, copied into a new array. */
static struct component *select_components(const struct options *o,
					   const struct model *m,
					   struct component *dir, int *n)
{
	struct component *all;
	struct traj_error err;
	int total = components_list(m, &all, &err);
	if (total < 0)
		cli_die(err.status, "%s", err.msg);
	struct component *sel = malloc(((size_t)total + 1) * sizeof *sel);
	if (!sel)
		cli_die(TRAJ_ENOMEM, "out of memory");
	*n = 0;
	for (int i = 0; i < total; i++)
		if (name_matches(o->globs, o->nglobs, all[i].name))
			sel[(*n)++] = all[i];
	if (dir)
		sel[(*n)++] = *dir;
	if (*n == 0) {
		char valid[1024];
		components_describe(all, total, valid, sizeof valid);
		cli_die(TRAJ_EUSAGE, "--component: no component matches '%s'; "
			"valid: %s", o->globs[0], valid);
	}
	free(all);
	return sel;
}

/* Per-component results, printed in rank order. */
struct result {
	double loss_delta, acc_delta, attrib, importance;
	int measured, attributed, index;
};

static int by_rank(const void *x, const void *y)
{
	const struct result *a = x, *b = y;
	if (a->measured != b->measured)
		return b->measured - a->measured;
	if (a->importance != b->importance)
		return a->importance < b->importance ? 1 : -1;
	return a->index - b->index;
}

static void print_metric(const struct subject *s, const char *prefix,
			 const char *comp, const char *what, double v)
{
	char metric[256];
	if (comp)
		snprintf(metric, sizeof metric, "%s/%s/%s", prefix, comp, what);
	else
		snprintf(metric, sizeof metric, "%s/%s", prefix, what);
	metric_print(stdout, s->rc.id, s->step, metric, v);
	cli_check_output(stdout);
}

static void print_ranked(const struct subject *s, const char *prefix,
			 const struct component *comps, struct result *res,
			 int n)
{
	qsort(res, (size_t)n, sizeof *res, by_rank);
	for (int i = 0; i < n; i++) {
		const char *name = comps[res[i].index].name;
		if (res[i].measured) {
			print_metric(s, prefix, name, "loss_delta", res[i].loss_delta);
			print_metric(s, prefix, name, "acc_delta", res[i].acc_delta);
		}
		if (res[i].attributed)
			print_metric(s, prefix, name, "attrib", res[i].attrib);
		print_metric(s, prefix, name, "rank", i + 1);
	}
}

static void report_passes(const struct options *o, const struct subject *s,
			  const char *prefix, const struct ablator *a)
{
	print_metric(s, prefix, NULL, "forward_passes", (double)a->forward_passes);
	print_metric(s, prefix, NULL, "backward_passes", (double)a->backward_passes);
	if (!o->quiet)
		fprintf(stderr, "%s: %lld forward passes, %lld backward "
			"passes, over %d examples\n", cli_prog(),
			(long long)a->forward_passes,
			(long long)a->backward_passes, a->data.n);
}

static void die_if(int rc, const struct traj_error *err)
{
	if (rc < 0)
		cli_die(err->status, "%s", err->msg);
}

/* Components evaluated through functions: eval ablates a set and
 * returns the loss and accuracy, attribute (NULL when there is none)
 * estimates every component's loss change at once. The ablator's hooks
 * for neurons, heads, layers and directions; the transformed clean
 * logits of --by freq; the edge passes of --by edge. `sign` turns a loss
 * delta into importance (+1 ablation: an increase; -1 patching: a
 * decrease). */
typedef int (*attribute_fn)(void *ctx, double *score, struct traj_error *err);
struct fn_run {
	circuit_eval_fn eval;
	attribute_fn attribute;
	void *ctx;
	const struct component *comps;
	int n, sign;
	struct eval_result base;
	const char *prefix;
};

/* Attribution, then real passes for the components ranked first: all of
 * them without a budget, none with --attrib. `fixed` passes were spent
 * before. */
static void rank_components(const struct options *o, const struct fn_run *fr,
			    int fixed, struct result *res)
{
	int n = fr->n, verify = n;
	struct traj_error err;
	if (o->attrib || o->budget > 0) {
		double *score = malloc((size_t)n * sizeof *score);
		if (!score)
			cli_die(TRAJ_ENOMEM, "out of memory");
		die_if(fr->attribute(fr->ctx, score, &err), &err);
		/* Coarse to fine: whole layers are verified first, since a
		 * large ablation is where the first-order estimate fails
		 * most (a saturated softmax has a small gradient). */
		for (int i = 0; i < n; i++) {
			res[i].attrib = score[i];
			res[i].attributed = 1;
			res[i].importance = fr->comps[i].kind == COMP_LAYER &&
					    !o->attrib ? INFINITY
						       : fr->sign * score[i];
		}
		free(score);
		qsort(res, (size_t)n, sizeof *res, by_rank);
		verify = o->attrib ? 0 : (int)(o->budget - fixed - 1);
		verify = verify < n ? verify : n;
		for (int i = verify; i < n; i++)
			res[i].importance = fr->sign * res[i].attrib;
	}
	for (int i = 0; i < verify; i++) {
		struct eval_result r = fr->eval(fr->ctx, &res[i].index, 1);
		res[i].loss_delta = r.loss - fr->base.loss;
		res[i].acc_delta = r.acc - fr->base.acc;
		res[i].importance = fr->sign * res[i].loss_delta;
		res[i].measured = 1;
	}
}

static struct eval_result ablator_eval_fn(void *ctx, const int *active, int n)
{
	return ablator_eval(ctx, active, n);
}

static int ablator_attribute_fn(void *ctx, double *score,
				struct traj_error *err)
{
	return ablator_attribute(ctx, score, err);
}

static struct fn_run ablator_run(struct ablator *a, struct eval_result base,
				 int sign, const char *prefix)
{
	return (struct fn_run){
		.eval = ablator_eval_fn, .attribute = ablator_attribute_fn,
		.ctx = a, .comps = a->comps, .n = a->ncomps, .sign = sign,
		.base = base, .prefix = prefix,
	};
}

static void check_budget(const struct options *o, int fixed)
{
	/* `fixed` clean passes, then the forward half of the gradient pass */
	if (o->budget > 0 && o->budget < fixed + 1)
		cli_die(TRAJ_EUSAGE, "--budget %lld: attribution patching needs "
			"%d forward passes", (long long)o->budget, fixed + 1);
}

static struct result *new_results(int n)
{
	struct result *res = calloc((size_t)n, sizeof *res);
	if (!res)
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++)
		res[i].index = i;
	return res;
}

static void run_joint(const struct options *o, const struct subject *s,
		      struct ablator *a, struct eval_result base)
{
	int *all = malloc((size_t)a->ncomps * sizeof *all);
	if (!all)
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (int i = 0; i < a->ncomps; i++)
		all[i] = i;
	struct eval_result r = ablator_eval(a, all, a->ncomps);
	free(all);
	print_metric(s, "ablate", "joint", "loss_delta", r.loss - base.loss);
	print_metric(s, "ablate", "joint", "acc_delta", r.acc - base.acc);
	print_metric(s, "ablate", "joint", "acc", r.acc);
	print_metric(s, "ablate", "joint", "size", a->ncomps);
	(void)o;
}

static void run_ablate(const struct options *o, struct subject *s,
		       struct ablator *a)
{
	check_budget(o, 1);
	if (ablator_reuse(a) < 0)
		cli_die(TRAJ_ENOMEM, "out of memory");
	struct eval_result base = ablator_baseline(a);
	print_metric(s, "ablate", "clean", "loss", base.loss);
	print_metric(s, "ablate", "clean", "acc", base.acc);
	if (o->joint) {
		run_joint(o, s, a, base);
	} else {
		struct result *res = new_results(a->ncomps);
		struct fn_run fr = ablator_run(a, base, 1, "ablate");
		rank_components(o, &fr, 1, res);
		print_ranked(s, "ablate", a->comps, res, a->ncomps);
		free(res);
	}
	report_passes(o, s, "ablate", a);
}

/* Activation patching: data are the corrupted inputs, the source the
 * clean activations; deltas are patched minus corrupted. */
static void run_patch(const struct options *o, struct subject *s,
		      struct ablator *a, const struct batch *clean)
{
	check_budget(o, 2);
	struct eval_result cl = ablator_capture_source(a, a->m, clean);
	if (isnan(cl.loss))
		cli_die(TRAJ_ENOMEM, "out of memory");
	struct eval_result corr = ablator_baseline(a);
	print_metric(s, "patch", "clean", "loss", cl.loss);
	print_metric(s, "patch", "clean", "acc", cl.acc);
	print_metric(s, "patch", "corrupted", "loss", corr.loss);
	print_metric(s, "patch", "corrupted", "acc", corr.acc);
	struct result *res = new_results(a->ncomps);
	struct fn_run fr = ablator_run(a, corr, -1, "patch");
	rank_components(o, &fr, 2, res);
	print_ranked(s, "patch", a->comps, res, a->ncomps);
	free(res);
	report_passes(o, s, "patch", a);
}

/* Patching across training time, weights: each component of s takes
 * its weights from `from`, and the reverse. */
struct time_pair { struct eval_result fwd, rev; };

static struct time_pair time_weights(struct ablator *a, struct model *ms,
				     struct model *mk, const float *saved_s,
				     const float *saved_k, int c)
{
	struct weight_slice sl[COMP_MAX_SLICES];
	int n = component_weights(ms, &a->comps[c], sl);
	struct time_pair p;
	weights_copy(ms->params, saved_k, sl, n > 0 ? n : 0);
	p.fwd = model_evaluate(ms, &a->data);
	weights_copy(ms->params, saved_s, sl, n > 0 ? n : 0);
	weights_copy(mk->params, saved_s, sl, n > 0 ? n : 0);
	p.rev = model_evaluate(mk, &a->data);
	weights_copy(mk->params, saved_k, sl, n > 0 ? n : 0);
	a->forward_passes += 2;
	return p;
}

static float *copy_params(const struct model *m)
{
	float *p = malloc(m->nparams * sizeof *p);
	if (!p)
		cli_die(TRAJ_ENOMEM, "out of memory");
	memcpy(p, m->params, m->nparams * sizeof *p);
	return p;
}

static void print_time(const struct subject *s, const char *name,
		       struct time_pair p, struct eval_result bs,
		       struct eval_result bk, int rank)
{
	double change = bs.acc - bk.acc;
	print_metric(s, "timepatch", name, "acc_delta", p.fwd.acc - bs.acc);
	print_metric(s, "timepatch", name, "loss_delta", p.fwd.loss - bs.loss);
	print_metric(s, "timepatch", name, "carried",
		     change != 0 ? (bs.acc - p.fwd.acc) / change : NAN);
	print_metric(s, "timepatch", name, "reverse_acc_delta", p.rev.acc - bk.acc);
	print_metric(s, "timepatch", name, "reverse_carried",
		     change != 0 ? (p.rev.acc - bk.acc) / change : NAN);
	print_metric(s, "timepatch", name, "rank", rank);
}

static struct time_pair *new_time_pairs(int n)
{
	struct time_pair *p = malloc(((size_t)n + 1) * sizeof *p);
	if (!p)
		cli_die(TRAJ_ENOMEM, "out of memory");
	return p;
}

/* The checkpoints' figures, then p[0..n) (components comps) in rank
 * order: the largest accuracy loss when step K's component comes in. */
static void print_time_ranked(const struct subject *s, const struct subject *k,
			      const struct component *comps, int n,
			      const struct time_pair *p, struct eval_result bs,
			      struct eval_result bk)
{
	print_metric(s, "timepatch", NULL, "acc", bs.acc);
	print_metric(s, "timepatch", NULL, "from_acc", bk.acc);
	print_metric(s, "timepatch", NULL, "from_step", (double)k->step);
	struct result *res = new_results(n);
	for (int c = 0; c < n; c++) {
		res[c].measured = 1;
		res[c].importance = bs.acc - p[c].fwd.acc;
	}
	qsort(res, (size_t)n, sizeof *res, by_rank);
	for (int i = 0; i < n; i++)
		print_time(s, comps[res[i].index].name, p[res[i].index], bs, bk,
			   i + 1);
	free(res);
}

static void run_time(const struct options *o, struct subject *s,
		     struct subject *k, struct ablator *a)
{
	struct ablator back; /* activations of s patched into k */
	struct traj_error err;
	struct eval_result bs, bk;
	float *saved_s = copy_params(s->m), *saved_k = copy_params(k->m);
	if (o->from_acts) {
		die_if(ablator_init(&back, k->m, &a->data, a->comps, a->ncomps,
				    ABL_PATCH, a->dir, o->seed, &err), &err);
		bs = ablator_capture_source(&back, s->m, &a->data);
		bk = ablator_capture_source(a, k->m, &a->data);
		if (isnan(bs.loss) || isnan(bk.loss))
			cli_die(TRAJ_ENOMEM, "out of memory");
	} else {
		bs = model_evaluate(s->m, &a->data);
		bk = model_evaluate(k->m, &a->data);
		a->forward_passes += 2;
	}
	struct time_pair *p = new_time_pairs(a->ncomps);
	for (int c = 0; c < a->ncomps; c++) {
		if (o->from_acts) {
			p[c].fwd = ablator_eval_in(a, s->m, &c, 1);
			p[c].rev = ablator_eval_in(&back, k->m, &c, 1);
		} else {
			p[c] = time_weights(a, s->m, k->m, saved_s, saved_k, c);
		}
	}
	print_time_ranked(s, k, a->comps, a->ncomps, p, bs, bk);
	if (o->from_acts) {
		a->forward_passes += back.forward_passes;
		ablator_free(&back);
	}
	report_passes(o, s, "timepatch", a);
	free(p);
	free(saved_s);
	free(saved_k);
}

static void write_dot(const struct options *o, const struct subject *s,
		      const struct ablator *a, const unsigned char *keep,
		      const double *imp)
{
	struct atomic_file af;
	struct traj_error err;
	if (atomic_open(&af, o->dot, &err) < 0)
		cli_die_error(o->dot, &err);
	circuit_write_dot(af.f, s->rc.id, s->step, a->comps, a->ncomps, keep,
			  imp);
	if (atomic_commit(&af, &err) < 0)
		cli_die_error(o->dot, &err);
}

static void print_circuit(const struct options *o, const struct subject *s,
			  const struct circuit_result *cr, int ncand,
			  struct eval_result base)
{
	print_metric(s, "circuit", NULL, "size", cr->size);
	print_metric(s, "circuit", NULL, "candidates", ncand);
	print_metric(s, "circuit", NULL, "threshold", o->threshold);
	print_metric(s, "circuit", NULL, "clean_loss", base.loss);
	print_metric(s, "circuit", NULL, "clean_acc", base.acc);
	print_metric(s, "circuit", NULL, "loss_delta", cr->eval.loss - base.loss);
	print_metric(s, "circuit", NULL, "acc", cr->eval.acc);
}

static void run_circuit(const struct options *o, struct subject *s,
			struct ablator *a)
{
	struct traj_error err;
	int n = a->ncomps, ncand = 0;
	double *imp = malloc((size_t)n * sizeof *imp);
	double *cimp = malloc((size_t)n * sizeof *cimp);
	int *cand = malloc((size_t)n * sizeof *cand);
	unsigned char *keep = malloc((size_t)n);
	if (!imp || !cimp || !cand || !keep)
		cli_die(TRAJ_ENOMEM, "out of memory");
	if (ablator_reuse(a) < 0)
		cli_die(TRAJ_ENOMEM, "out of memory");
	struct eval_result base = ablator_baseline(a);
	die_if(ablator_attribute(a, imp, &err), &err);
	for (int i = 0; i < n; i++)
		if (component_atomic(&a->comps[i])) {
			cimp[ncand] = imp[i];
			cand[ncand++] = i;
		}
	if (ncand == 0)
		cli_usage_error("--circuit: no neuron, head or direction selected");
	struct circuit_result cr;
	die_if(circuit_search(a, cand, cimp, ncand, base.loss, o->threshold,
			      keep, &cr, &err), &err);
	for (int i = 0; i < n; i++)
		if (keep[i])
			print_metric(s, "circuit", a->comps[i].name, "importance",
				     imp[i]);
	print_circuit(o, s, &cr, ncand, base);
	if (o->dot)
		write_dot(o, s, a, keep, imp);
	report_passes(o, s, "circuit", a);
	free(imp);
	free(cimp);
	free(cand);
	free(keep);
}

/* --by freq: the Fourier frequencies of a modular task's logits
 * (logit_freq.h), selected by the globs. */
static struct component *freq_components(const struct options *o,
					 const struct subject *s, int *n)
{
	if (s->rc.task.family != TASK_MODULAR)
		cli_usage_error("--by freq: task '%s' is not modular arithmetic",
				s->rc.task.name);
	int nf = freq_count(s->rc.task.p);
	struct component *c = calloc((size_t)nf + 1, sizeof *c);
	if (!c)
		cli_die(TRAJ_ENOMEM, "out of memory");
	*n = 0;
	for (int i = 0; i < nf; i++) {
		struct component *x = &c[*n];
		snprintf(x->name, sizeof x->name, "logits.freq.%d", i + 1);
		x->kind = COMP_FREQ;
		x->index = i;
		*n += name_matches(o->globs, o->nglobs, x->name);
	}
	if (*n == 0)
		cli_die(TRAJ_EUSAGE, "--component: no component matches '%s'; "
			"valid: logits.freq.1..%d", o->globs[0], nf);
	return c;
}

/* Every component alone. */
static struct result *fn_one_by_one(const struct fn_run *fr)
{
	struct result *res = new_results(fr->n);
	for (int i = 0; i < fr->n; i++) {
		struct eval_result r = fr->eval(fr->ctx, &i, 1);
		res[i].loss_delta = r.loss - fr->base.loss;
		res[i].acc_delta = r.acc - fr->base.acc;
		res[i].importance = fr->sign * res[i].loss_delta;
		res[i].measured = 1;
	}
	return res;
}

/* Ranks by one-by-one ablation, then searches (circuit.h); keep[] and
 * imp[] (n each, malloc'd) say which components it keeps and their
 * importance. */
static void fn_circuit(const struct options *o, const struct subject *s,
		       const struct fn_run *fr, unsigned char **keep_out,
		       double **imp_out)
{
	int n = fr->n;
	struct result *res = fn_one_by_one(fr);
	double *imp = malloc((size_t)n * sizeof *imp);
	int *cand = malloc((size_t)n * sizeof *cand);
	unsigned char *keep = malloc((size_t)n);
	if (!imp || !cand || !keep)
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		imp[i] = res[i].importance;
		cand[i] = i;
	}
	struct circuit_result cr;
	struct traj_error err;
	die_if(circuit_search_fn(fr->eval, fr->ctx, n, cand, imp, n,
				 fr->base.loss, o->threshold, keep, &cr, &err),
	       &err);
	for (int i = 0; i < n; i++)
		if (keep[i])
			print_metric(s, "circuit", fr->comps[i].name,
				     "importance", imp[i]);
	print_circuit(o, s, &cr, n, fr->base);
	free(res);
	free(cand);
	*keep_out = keep;
	*imp_out = imp;
}

static void fn_joint(const struct subject *s, const struct fn_run *fr)
{
	int *all = malloc((size_t)fr->n * sizeof *all);
	if (!all)
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (int i = 0; i < fr->n; i++)
		all[i] = i;
	struct eval_result r = fr->eval(fr->ctx, all, fr->n);
	free(all);
	print_metric(s, fr->prefix, "joint", "loss_delta", r.loss - fr->base.loss);
	print_metric(s, fr->prefix, "joint", "acc_delta", r.acc - fr->base.acc);
	print_metric(s, fr->prefix, "joint", "acc", r.acc);
	print_metric(s, fr->prefix, "joint", "size", fr->n);
}

/* Plain ablation or patching: the components together (--joint) or one
 * by one, ranked. */
static void fn_rank(const struct options *o, const struct subject *s,
		    const struct fn_run *fr, int fixed)
{
	if (o->joint) {
		fn_joint(s, fr);
		return;
	}
	struct result *res = new_results(fr->n);
	rank_components(o, fr, fixed, res);
	print_ranked(s, fr->prefix, fr->comps, res, fr->n);
	free(res);
}

static void print_clean(const struct subject *s, const struct fn_run *fr)
{
	if (strcmp(fr->prefix, "circuit")) {
		print_metric(s, fr->prefix, "clean", "loss", fr->base.loss);
		print_metric(s, fr->prefix, "clean", "acc", fr->base.acc);
	}
}

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
	struct eval_result r = freq_eval(&fr->f, fr->idx, k);
	if (isnan(r.loss))
		cli_die(TRAJ_ENOMEM, "out of memory");
	return r;
}

static void freq_report(const struct options *o, const struct subject *s,
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

static void run_freq(const struct options *o, struct subject *s,
		     const struct component *comps, int n)
{
	struct freq_run fq = { .comps = comps };
	struct traj_error err;
	struct batch data = eval_batch(s, o);
	fq.idx = malloc((size_t)n * sizeof *fq.idx);
	if (!fq.idx)
		cli_die(TRAJ_ENOMEM, "out of memory");
	die_if(freq_logits_init(&fq.f, s->m, &data, o->method == ABL_ZERO,
				&err), &err);
	struct fn_run fr = {
		.eval = freq_run_eval, .ctx = &fq, .comps = comps, .n = n,
		.sign = 1, .base = freq_eval(&fq.f, NULL, 0),
		.prefix = o->mode == MODE_CIRCUIT ? "circuit" : "ablate",
	};
	print_clean(s, &fr);
	if (o->mode == MODE_CIRCUIT) {
		unsigned char *keep;
		double *imp;
		fn_circuit(o, s, &fr, &keep, &imp);
		free(keep);
		free(imp);
	} else {
		fn_rank(o, s, &fr, 1);
	}
	freq_report(o, s, fr.prefix, 1, fq.evals, fq.f.n);
	freq_logits_free(&fq.f);
	free(fq.idx);
}

static void freq_run_init(struct freq_run *fr, const struct component *comps,
			  int n, struct model *m, const struct batch *data)
{
	struct traj_error err;
	*fr = (struct freq_run){ .comps = comps };
	fr->idx = malloc(((size_t)n + 1) * sizeof *fr->idx);
	if (!fr->idx)
		cli_die(TRAJ_ENOMEM, "out of memory");
	die_if(freq_logits_init(&fr->f, m, data, 0, &err), &err);
}

/* --by freq --from-step K: each frequency's coefficients, example by
 * example, from step K's logits into the checkpoint's, and the reverse
 * (with --joint the selected frequencies together). */
static void run_freq_time(const struct options *o, struct subject *s,
			  struct subject *k, const struct component *comps,
			  int n)
{
	struct freq_run fs, fk;
	struct batch data = eval_batch(s, o);
	freq_run_init(&fs, comps, n, s->m, &data);
	freq_run_init(&fk, comps, n, k->m, &data);
	fs.f.source = &fk.f;
	fk.f.source = &fs.f;
	struct eval_result bs = freq_eval(&fs.f, NULL, 0);
	struct eval_result bk = freq_eval(&fk.f, NULL, 0);
	int count = o->joint ? 1 : n;
	struct time_pair *p = new_time_pairs(count);
	struct component joint = { .name = "joint", .kind = COMP_FREQ };
	int *all = malloc(((size_t)n + 1) * sizeof *all);
	if (!all)
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++)
		all[i] = i;
	for (int c = 0; c < count; c++) {
		p[c].fwd = freq_run_eval(&fs, o->joint ? all : &c, o->joint ? n : 1);
		p[c].rev = freq_run_eval(&fk, o->joint ? all : &c, o->joint ? n : 1);
	}
	print_time_ranked(s, k, o->joint ? &joint : comps, count, p, bs, bk);
	if (o->joint)
		print_metric(s, "timepatch", "joint", "size", n);
	freq_report(o, s, "timepatch", 2, fs.evals + fk.evals, fs.f.n);
	free(all);
	free(p);
	freq_logits_free(&fs.f);
	freq_logits_free(&fk.f);
	free(fs.idx);
	free(fk.idx);
}

/* --by edge: the edges between a transformer's components (edges.h),
 * selected by the globs. */
static struct component *edge_components(const struct options *o,
					 const struct edge_graph *g, int *n)
{
	struct component *c = calloc((size_t)g->nedges + 1, sizeof *c);
	if (!c)
		cli_die(TRAJ_ENOMEM, "out of memory");
	*n = 0;
	for (int e = 0; e < g->nedges; e++) {
		struct component *x = &c[*n];
		snprintf(x->name, sizeof x->name, "%s", g->edges[e].name);
		x->kind = COMP_EDGE;
		x->index = e;
		*n += name_matches(o->globs, o->nglobs, x->name);
	}
	if (*n == 0)
		cli_die(TRAJ_EUSAGE, "--component: no edge matches '%s'; valid: "
			"%s .. %s (see --by edge --list)", o->globs[0],
			g->edges[0].name, g->edges[g->nedges - 1].name);
	return c;
}

struct edge_run {
	struct edge_ablator ea;
	const struct component *comps;
	int n;
	int *idx;              /* scratch: edge indices */
};

static struct eval_result edge_run_eval(void *ctx, const int *active, int k)
{
	struct edge_run *er = ctx;
	for (int i = 0; i < k; i++)
		er->idx[i] = er->comps[active[i]].index;
	return edge_eval(&er->ea, er->idx, k, NULL);
}

static int edge_run_attribute(void *ctx, double *score, struct traj_error *err)
{
	struct edge_run *er = ctx;
	double *all = malloc(((size_t)er->ea.g->nedges + 1) * sizeof *all);
	if (!all)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = edge_attribute(&er->ea, all, err);
	for (int i = 0; rc == 0 && i < er->n; i++)
		score[i] = all[er->comps[i].index];
	free(all);
	return rc;
}

static void edge_report(const struct options *o, const struct subject *s,
			const char *prefix, const struct edge_ablator *ea)
{
	print_metric(s, prefix, NULL, "forward_passes", (double)ea->forward_passes);
	print_metric(s, prefix, NULL, "backward_passes", (double)ea->backward_passes);
	if (!o->quiet)
		fprintf(stderr, "%s: %lld forward passes, %lld backward passes, "
			"over %d examples\n", cli_prog(),
			(long long)ea->forward_passes,
			(long long)ea->backward_passes, ea->data.n);
}

static void write_edge_dot(const struct options *o, const struct subject *s,
			   const struct edge_graph *g, const struct fn_run *fr,
			   const unsigned char *keep, const double *imp)
{
	unsigned char *ekeep = calloc((size_t)g->nedges, 1);
	double *w = calloc((size_t)g->nedges, sizeof *w);
	struct atomic_file af;
	struct traj_error err;
	if (!ekeep || !w)
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (int i = 0; i < fr->n; i++) {
		ekeep[fr->comps[i].index] = keep[i];
		w[fr->comps[i].index] = imp[i];
	}
	if (atomic_open(&af, o->dot, &err) < 0)
		cli_die_error(o->dot, &err);
	edge_write_dot(af.f, s->rc.id, s->step, g, ekeep, w);
	if (atomic_commit(&af, &err) < 0)
		cli_die_error(o->dot, &err);
	free(ekeep);
	free(w);
}

/* The edge ablator's replacements: a clean pass (and for --patch the
 * clean run of the uncorrupted inputs first); returns the baseline. */
static struct eval_result edge_setup(const struct options *o,
				     struct subject *s, struct edge_run *er,
				     const struct batch *clean)
{
	struct eval_result cl = { 0 };
	if (o->mode == MODE_PATCH)
		cl = edge_capture_source(&er->ea, clean);
	struct eval_result base = edge_baseline(&er->ea);
	if (isnan(base.loss) || isnan(cl.loss))
		cli_die(TRAJ_ENOMEM, "out of memory");
	if (o->mode == MODE_PATCH) {
		print_metric(s, "patch", "clean", "loss", cl.loss);
		print_metric(s, "patch", "clean", "acc", cl.acc);
		print_metric(s, "patch", "corrupted", "loss", base.loss);
		print_metric(s, "patch", "corrupted", "acc", base.acc);
	}
	return base;
}

static void run_edges(const struct options *o, struct subject *s,
		      const struct edge_graph *g, const struct component *comps,
		      int n, const struct batch *data, const struct batch *clean)
{
	struct edge_run er = { .comps = comps, .n = n };
	/* a clean pass (and the patch source), then one for attribution */
	int fixed = 2 + (o->mode == MODE_PATCH);
	check_budget(o, fixed);
	struct traj_error err;
	er.idx = malloc((size_t)n * sizeof *er.idx);
	if (!er.idx)
		cli_die(TRAJ_ENOMEM, "out of memory");
	die_if(edge_ablator_init(&er.ea, s->m, g, data, o->mode == MODE_PATCH ?
				 ABL_PATCH : o->method, o->seed, &err), &err);
	struct fn_run fr = {
		.eval = edge_run_eval, .attribute = edge_run_attribute,
		.ctx = &er, .comps = comps, .n = n,
		.sign = o->mode == MODE_PATCH ? -1 : 1,
		.base = edge_setup(o, s, &er, clean),
		.prefix = o->mode == MODE_CIRCUIT ? "circuit" :
			  o->mode == MODE_PATCH ? "patch" : "ablate",
	};
	if (o->mode != MODE_PATCH)
		print_clean(s, &fr);
	if (o->mode == MODE_CIRCUIT) {
		unsigned char *keep;
		double *imp;
		fn_circuit(o, s, &fr, &keep, &imp);
		if (o->dot)
			write_edge_dot(o, s, g, &fr, keep, imp);
		free(keep);
		free(imp);
	} else {
		fn_rank(o, s, &fr, fixed);
	}
	edge_report(o, s, fr.prefix, &er.ea);
	edge_ablator_free(&er.ea);
	free(er.idx);
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
		if (corruption_from_name(arg, &o->corrupt) < 0)
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
		if (strcmp(arg, "freq") && strcmp(arg, "edge"))
			cli_usage_error("--by: '%s', expected freq or edge", arg);
		o->by_freq = strcmp(arg, "freq") == 0;
		o->by_edge = !o->by_freq;
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

/* The step-K model: from --from FILE, or the input's --from-step. */
static void read_subjects(const struct options *o, const char *path,
			  struct subject *s, struct subject *k)
{
	struct traj_error err;
	if (o->mode == MODE_TIME && !o->from)
		read_subject(path, o->step, s, 1, o->from_step, k, &err);
	else
		read_subject(path, o->step, s, 1, 0, NULL, &err);
	if (o->mode == MODE_TIME && o->from) {
		read_subject(o->from, o->from_step, k, 0, 0, NULL, &err);
		char *a = cJSON_PrintUnformatted(s->rc.model);
		char *b = cJSON_PrintUnformatted(k->rc.model);
		int differ = !a || !b || strcmp(a, b) != 0;
		free(a);
		free(b);
		if (differ)
			cli_die(TRAJ_EDATA, "%s: a different model from the input's",
				o->from);
	}
}

/* The inputs every pass evaluates: the split, or for --patch its
 * corrupted copy (*corrupted, to free; *clean the uncorrupted). */
static struct batch pass_inputs(const struct options *o, struct subject *s,
				struct batch *clean, int32_t **corrupted)
{
	struct traj_error err;
	struct batch data = eval_batch(s, o);
	*clean = data;
	*corrupted = NULL;
	if (o->mode == MODE_PATCH) {
		die_if(corrupt_tokens(&s->rc.task, strcmp(o->split, "train") == 0 ?
				      &s->data.train : &s->data.test,
				      s->m->n_inputs, o->corrupt, o->seed,
				      corrupted, &err), &err);
		data.tokens = *corrupted;
	}
	return data;
}

static void run(const struct options *o, struct subject *s, struct subject *k,
		struct component *comps, int n, const float *dir)
{
	struct traj_error err;
	struct batch clean;
	int32_t *corrupted;
	struct batch data = pass_inputs(o, s, &clean, &corrupted);
	enum ablate_method method = o->method;
	if (o->mode == MODE_PATCH || (o->mode == MODE_TIME && o->from_acts))
		method = ABL_PATCH;
	struct ablator a;
	die_if(ablator_init(&a, s->m, &data, comps, n, method, dir, o->seed,
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

static void run_by_edge(const struct options *o, struct subject *s)
{
	struct edge_graph g;
	struct traj_error err;
	if (edge_graph_build(s->m, &g, &err) < 0)
		cli_die(err.status, "--by edge: %s", err.msg);
	int n;
	struct component *comps = edge_components(o, &g, &n);
	if (o->list) {
		for (int i = 0; i < n; i++) {
			printf("%s\n", comps[i].name);
			cli_check_output(stdout);
		}
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

int main(int argc, char **argv)
{
	struct options o;
	cli_init("traj-ablate");
	parse_args(argc, argv, &o);
	const char *path = optind < argc ? argv[optind] : NULL;
	struct subject s = {0}, k = {0};
	read_subjects(&o, path, &s, &k);
	if (o.by_edge) {
		run_by_edge(&o, &s);
		free(o.globs);
		subject_free(&s);
		return cli_finish(TRAJ_OK);
	}
	struct component dir_comp;
	float *dir = o.direction ? load_direction(&o, s.m, &dir_comp) : NULL;
	int n;
	struct component *comps = o.by_freq ? freq_components(&o, &s, &n) :
				  select_components(&o, s.m,
						    dir ? &dir_comp : NULL, &n);
	if (o.list) {
		for (int i = 0; i < n; i++) {
			printf("%s\n", comps[i].name);
			cli_check_output(stdout);
		}
	} else if (o.by_freq && o.mode == MODE_TIME) {
		run_freq_time(&o, &s, &k, comps, n);
	} else if (o.by_freq) {
		run_freq(&o, &s, comps, n);
	} else {
		run(&o, &s, &k, comps, n, dir);
	}
	free(comps);
	free(dir);
	free(o.globs);
	subject_free(&s);
	subject_free(&k);
	return cli_finish(TRAJ_OK);
}
