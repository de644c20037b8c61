/* traj-probe: linear probes and representation similarity on the
 * activations of every checkpoint, as metric lines. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "analysis/cka.h"
#include "cli/cli.h"
#include "format/metrics.h"
#include "analysis/probe.h"
#include "analysis/probe_capture.h"
#include "analysis/probe_subject.h"
#include "format/stream.h"

static const char usage[] =
"Usage: traj-probe [OPTION]... [FILE]\n"
"Capture activations at hook points for a task's inputs at every checkpoint\n"
"of a traj stream, fit linear probes (closed-form ridge regression) from\n"
"them to the task's variables, and print metric lines\n"
"  RUN<TAB>STEP<TAB>probe/HOOK/TARGET/acc   (categorical targets)\n"
"  RUN<TAB>STEP<TAB>probe/HOOK/TARGET/r2    (numeric targets)\n"
"scored on held-out inputs. With no FILE, or when FILE is -, read standard\n"
"input; checkpoints are probed as they arrive.\n"
"\n"
"Activations:\n"
"  -k, --hook GLOB      hook points to probe (repeatable; shell patterns such\n"
"                       as '*.hook_resid_post'); default every\n"
"                       '*hook_resid_post' of a transformer, every\n"
"                       'layers.*.hook_post' of an MLP\n"
"  -l, --list-hooks     print the model's hook points and their shapes, exit\n"
"      --inputs         print the probe inputs in order, one a line (tokens,\n"
"                       a tab, labels; features are left out), exit: the\n"
"                       order of a --labels file\n"
"      --pos P          sequence position kept: 'last' (default) or an index,\n"
"                       negative from the end\n"
"      --split S        probe inputs: all (default), train or test\n"
"      --max N          at most the first N inputs of the split\n"
"\n"
"Targets:\n"
"  -T, --target GLOB    targets to probe (repeatable); default all the task's\n"
"      --freq LIST      modular arithmetic: frequencies k for the\n"
"                       cos/sin(2 pi k x / p) targets, '1,5,17' or 'all'\n"
"                       (default all)\n"
"      --labels FILE    one label per probe input instead of the task's\n"
"                       targets (target 'label')\n"
"\n"
"Probes:\n"
"      --test-frac F    share of the inputs held out for the score (0.2)\n"
"      --val-frac F     share of the rest for choosing lambda (0.25)\n"
"      --lambda LIST    regularisation grid, relative to the mean eigenvalue\n"
"                       of the centred Gram matrix (1e-6,1e-5,...,10)\n"
"      --seed N         seed of the split of the inputs (0)\n"
"      --group VAR      split over the values of the task's categorical\n"
"                       variable VAR (such as a) instead of over inputs: the\n"
"                       probe is scored on values it was not fitted on\n"
"      --show-lambda    also print probe/HOOK/TARGET/lambda, the value chosen\n"
"      --no-probe       print CKA lines only\n"
"\n"
"Similarity (linear CKA, lines cka/HOOK/HOOK2 and cka/HOOK/ref):\n"
"      --cka HOOK2      between each probed hook and HOOK2\n"
"      --cka-ref REF    between each checkpoint and a reference: STEP, the\n"
"                       checkpoint of FILE at that step (FILE is read twice,\n"
"                       so not standard input), or a stream file (its last\n"
"                       checkpoint, or --cka-ref-step's) on the same inputs\n"
"      --cka-ref-step N the reference stream's checkpoint to use\n"
"\n"
"  -H, --header         print a '# run step metric value' comment line first\n"
"      --threads N      BLAS threads (OPENBLAS_NUM_THREADS, else all cores)\n"
"  -f, --follow         at the end of FILE wait for more, like tail -f, until\n"
"                       the run's end record, SIGINT or SIGTERM (status 0)\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Exit status: 0 success, 64 usage error (also an unknown hook or target),\n"
"65 invalid stream, labels or a model this build cannot run, 66 cannot\n"
"open an input, 74 read or write error, 75 truncated stream (every\n"
"complete checkpoint was probed first).\n";

#define MAX_GLOBS 64
#define MAX_FREQS 4096

struct options {
	char *hooks[MAX_GLOBS], *targets[MAX_GLOBS];
	int nhooks, ntargets;
	int list, inputs, pos, nfreq, show_lambda, no_probe, header, follow;
	int freqs[MAX_FREQS];
	enum probe_split_set split;
	int64_t max, ref_step;
	const char *labels, *cka_hook, *cka_ref, *group;
	struct probe_opts probe;
};

/* Everything rebuilt at a run record. */
struct prober {
	struct probe_subject subj;
	struct target_set ts;
	struct probe_split split;
	struct capture cap;      /* probed hooks, then the --cka hook */
	int nprobe;              /* slots 0..nprobe-1 are probed */
	int cka_slot;            /* -1 without --cka */
	struct capture ref;      /* --cka-ref: the same hooks, reference */
	struct probe_result *res;
	int option_error;        /* the failure is about an option, not FILE */
};

static void prober_reset(struct prober *p)
{
	probe_subject_reset(&p->subj);
	targets_free(&p->ts);
	probe_split_free(&p->split);
	probe_capture_free(&p->cap);
	probe_capture_free(&p->ref);
	free(p->res);
	memset(p, 0, sizeof *p);
	p->cka_slot = -1;
}

static void list_inputs(const struct probe_inputs *in)
{
	for (int64_t e = 0; e < in->n; e++) {
		for (int t = 0; t < in->T; t++)
			printf("%s%d", t ? " " : "", in->tokens[e * in->T + t]);
		for (int k = 0; k < in->K; k++)
			printf("%s%d", k ? " " : "\t", in->labels[e * in->K + k]);
		printf("\n");
		cli_check_output(stdout);
	}
}

static void list_hooks(const struct model *m)
{
	for (int h = 0; h < m->nhooks; h++) {
		printf("%s\t[", m->hooks[h].name);
		for (int i = 0; i < m->hooks[h].rank; i++)
			printf("%s%lld", i ? ", " : "", (long long)m->hooks[h].shape[i]);
		printf("]\n");
		cli_check_output(stdout);
	}
}

/* The hooks to probe: the globs given, or the residual stream after each
 * block (transformer) or each hidden layer's output (MLP). */
static int find_probe_hooks(const struct model *m, const struct options *o,
			    int *hooks, struct traj_error *err)
{
	static char resid[] = "*hook_resid_post", post[] = "layers.*.hook_post";
	char *def[1] = { strcmp(m->kind, "transformer") == 0 ? resid : post };
	if (o->nhooks)
		return probe_capture_find_hooks(m, (char *const *)o->hooks, o->nhooks,
					  hooks, CAPTURE_MAX_HOOKS - 1, err);
	return probe_capture_find_hooks(m, def, 1, hooks, CAPTURE_MAX_HOOKS - 1, err);
}

/* Over inputs, or with --group over the values of a task variable. */
static int make_split(struct prober *p, const struct options *o,
		      struct traj_error *err)
{
	if (!o->group)
		return probe_split_make(&p->split, p->subj.in.n, &o->probe, err);
	for (int i = 0; i < p->ts.count; i++) {
		const struct probe_target *t = &p->ts.t[i];
		if (strcmp(t->name, o->group) == 0 && t->nclass > 0 && !o->labels)
			return probe_split_grouped(&p->split, t->value, t->nclass,
						   p->subj.in.n, &o->probe, err);
	}
	return traj_fail(err, TRAJ_EUSAGE, -1,
			 "--group '%s': not a categorical variable of the task", o->group);
}

static int setup_targets(struct prober *p, const struct options *o,
			 struct traj_error *err)
{
	const struct probe_inputs *in = &p->subj.in;
	if (o->labels) {
		FILE *f = fopen(o->labels, "r");
		if (!f)
			return traj_fail(err, TRAJ_ENOINPUT, -1, "--labels: cannot open '%s'",
					 o->labels);
		int rc = targets_from_file(f, in->n, &p->ts, err);
		fclose(f);
		if (rc < 0) {
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s", err->msg);
			return traj_fail(err, err->status, -1, "--labels '%s': %s",
					 o->labels, why);
		}
	} else if (targets_from_task(&p->subj.run.rc.task, in, o->freqs, o->nfreq,
				     &p->ts, err) < 0) {
		return -1;
	}
	if (make_split(p, o, err) < 0 ||
	    targets_select(&p->ts, (char *const *)o->targets, o->ntargets, err) < 0)
		return -1;
	p->res = malloc((size_t)p->ts.count * sizeof *p->res);
	if (!p->res)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	return 0;
}

static int same_inputs(const struct probe_inputs *a, const struct probe_inputs *b)
{
	if (a->n != b->n || a->T != b->T || a->F != b->F)
		return 0;
	if (a->T && memcmp(a->tokens, b->tokens, (size_t)a->n * a->T * 4))
		return 0;
	return !a->F || !memcmp(a->features, b->features, (size_t)a->n * a->F * 4);
}

/* Captures the probed hooks of the reference checkpoint c of subject s. */
static int capture_ref(struct prober *p, struct probe_subject *s,
		       const struct traj_ckpt *c, const struct options *o,
		       struct traj_error *err)
{
	if (!same_inputs(&p->subj.in, &s->in))
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--cka-ref: the reference run's task gives other probe inputs");
	int hooks[CAPTURE_MAX_HOOKS];
	for (int i = 0; i < p->nprobe; i++) {
		const char *name = p->subj.run.model->hooks[p->cap.hook[i]].name;
		hooks[i] = model_find_hook(s->run.model, name);
		if (hooks[i] < 0 || strcmp(s->run.model->kind, p->subj.run.model->kind))
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "--cka-ref: the reference model has no hook '%s'", name);
	}
	if (model_load(s->run.model, c->tensors, c->ntensors, err) < 0 ||
	    probe_capture_init(&p->ref, s->run.model, hooks, p->nprobe, o->pos, s->in.n, err) < 0)
		return -1;
	return probe_capture_run(&p->ref, s->run.model, &s->in, err);
}

/* Reads the reference stream up to its checkpoint at `step` (-1: the
 * last) and captures it. */
static int read_ref(struct prober *p, const char *path, int64_t step,
		    const struct options *o, struct traj_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return traj_fail(err, TRAJ_ENOINPUT, -1, "--cka-ref: cannot open '%s'", path);
	struct traj_reader *r = stream_reader_open(f, path, NULL, err);
	struct probe_subject s = {0};
	int rec = -1, rc = -1, done = 0;
	if (r) {
		stream_reader_skip_prefix(r, "optim/");
		while (!done && (rec = stream_read_next(r, err)) > 0) {
			if (rec == TRAJ_REC_RUN &&
			    probe_subject_setup(&s, stream_reader_run(r), o->split,
						o->max, err) < 0)
				break;
			done = rec == TRAJ_REC_CKPT && stream_reader_ckpt(r)->step == step;
		}
		const struct traj_ckpt *c = done ? stream_reader_ckpt(r) :
					    stream_reader_last_ckpt(r);
		if (rec == 0 && step < 0 && c->step >= 0)
			done = 1;
		if (done)
			rc = capture_ref(p, &s, c, o, err);
		else if (rec == 0)
			traj_fail(err, TRAJ_EUSAGE, -1, "--cka-ref: no checkpoint%s%lld in '%s'",
				  step < 0 ? "" : " at step ", step < 0 ? 0LL : (long long)step, path);
		stream_reader_free(r);
	}
	probe_subject_reset(&s);
	fclose(f);
	if (rc < 0 && err->msg[0] && strncmp(err->msg, "--cka-ref", 9) != 0) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		traj_fail(err, err->status, -1, "--cka-ref '%s': %s", path, why);
	}
	return rc;
}

static int setup_cka(struct prober *p, const struct options *o,
		     const char *input, struct traj_error *err)
{
	if (o->cka_ref) {
		char *end;
		long long step = strtoll(o->cka_ref, &end, 10);
		int is_step = *o->cka_ref && *end == '\0' && step >= 0;
		if (is_step && (!input || strcmp(input, "-") == 0))
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "--cka-ref STEP: needs FILE, standard input cannot be read twice");
		if (read_ref(p, is_step ? input : o->cka_ref,
			     is_step ? step : o->ref_step, o, err) < 0)
			return -1;
	}
	return 0;
}

static int prober_setup(struct prober *p, const cJSON *run,
			const struct options *o, const char *input,
			struct traj_error *err)
{
	prober_reset(p);
	if (probe_subject_setup(&p->subj, run, o->split, o->max, err) < 0)
		return -1;
	const struct model *m = p->subj.run.model;
	p->option_error = 1; /* from here on, failures concern options */
	if (o->list || o->inputs) {
		if (o->list)
			list_hooks(m);
		else
			list_inputs(&p->subj.in);
		exit(cli_finish(TRAJ_OK));
	}
	int hooks[CAPTURE_MAX_HOOKS];
	int n = find_probe_hooks(m, o, hooks, err);
	if (n < 0)
		return -1;
	p->nprobe = n;
	if (o->cka_hook) {
		char *glob[1] = { (char *)o->cka_hook };
		int h;
		if (probe_capture_find_hooks(m, glob, 1, &h, 1, err) < 0)
			return -1;
		p->cka_slot = n;
		for (int i = 0; i < n; i++)
			if (hooks[i] == h)
				p->cka_slot = i;
		if (p->cka_slot == n)
			hooks[n++] = h;
	}
	if (probe_capture_init(&p->cap, m, hooks, n, o->pos, p->subj.in.n, err) < 0)
		return -1;
	if ((!o->no_probe && setup_targets(p, o, err) < 0) ||
	    setup_cka(p, o, input, err) < 0)
		return -1;
	p->option_error = 0;
	return 0;
}

static void print_probes(const struct prober *p, int slot, int64_t step,
			 const struct options *o)
{
	const char *run = p->subj.run.rc.id;
	const char *hook = p->subj.run.model->hooks[p->cap.hook[slot]].name;
	char metric[256];
	for (int i = 0; i < p->ts.count; i++) {
		const struct probe_target *t = &p->ts.t[i];
		snprintf(metric, sizeof metric, "probe/%s/%s/%s", hook, t->name,
			 t->nclass > 0 ? "acc" : "r2");
		metric_print(stdout, run, step, metric, p->res[i].score);
		if (o->show_lambda) {
			snprintf(metric, sizeof metric, "probe/%s/%s/lambda", hook,
				 t->name);
			metric_print(stdout, run, step, metric, p->res[i].lambda);
		}
	}
}

static int print_cka(const struct prober *p, int slot, int64_t step,
		     const struct capture *other, int oslot, const char *what,
		     struct traj_error *err)
{
	const struct capture *c = &p->cap;
	double v;
	if (cka_linear(c->act[slot], c->width[slot], other->act[oslot],
		       other->width[oslot], c->n, &v, err) < 0)
		return -1;
	char metric[256];
	snprintf(metric, sizeof metric, "cka/%s/%s",
		 p->subj.run.model->hooks[c->hook[slot]].name, what);
	metric_print(stdout, p->subj.run.rc.id, step, metric, v);
	return 0;
}

static int probe_ckpt(struct prober *p, const struct traj_ckpt *c,
		      const struct options *o, struct traj_error *err)
{
	struct model *m = p->subj.run.model;
	if (model_load(m, c->tensors, c->ntensors, err) < 0 ||
	    probe_capture_run(&p->cap, m, &p->subj.in, err) < 0)
		return -1;
	for (int s = 0; s < p->nprobe; s++) {
		if (!o->no_probe) {
			if (probe_run(p->cap.act[s], p->cap.width[s], &p->ts,
				      &p->split, &o->probe, p->res, err) < 0)
				return -1;
			print_probes(p, s, c->step, o);
		}
		if (p->cka_slot >= 0 && print_cka(p, s, c->step, &p->cap,
						  p->cka_slot, o->cka_hook, err) < 0)
			return -1;
		if (p->ref.nh && print_cka(p, s, c->step, &p->ref, s, "ref", err) < 0)
			return -1;
	}
	fflush(stdout);
	cli_check_output(stdout);
	return 0;
}

/* Returns 0 at a clean end, or -1 with err set, -2 when the error is
 * about an option (a hook, target, label file, reference) rather than
 * the input. */
static int probe_stream(struct traj_reader *r, const struct options *o,
			const char *input, struct traj_error *err)
{
	struct prober p;
	memset(&p, 0, sizeof p);
	int rec, rc = 0;
	while ((rec = stream_read_next(r, err)) > 0) {
		if (rec == TRAJ_REC_RUN)
			rc = prober_setup(&p, stream_reader_run(r), o, input, err);
		else if (rec == TRAJ_REC_CKPT)
			rc = probe_ckpt(&p, stream_reader_ckpt(r), o, err);
		if (rc < 0)
			break;
	}
	int option_error = rc < 0 && p.option_error;
	if (rc < 0 && err->offset < 0 && !option_error)
		err->offset = stream_reader_offset(r);
	prober_reset(&p);
	return option_error ? -2 : rec < 0 || rc < 0 ? -1 : 0;
}

/* Comma-separated integers (or "all": none) for --freq. */
static int parse_freqs(const char *arg, int *out)
{
	if (strcmp(arg, "all") == 0)
		return 0;
	int n = 0;
	char *copy = strdup(arg), *save = NULL;
	if (!copy)
		cli_die(TRAJ_ENOMEM, "out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_FREQS)
			cli_usage_error("--freq: more than %d frequencies", MAX_FREQS);
		out[n++] = (int)cli_int("--freq", tok, 1, 1 << 20);
	}
	free(copy);
	if (n == 0)
		cli_usage_error("--freq: expected a list like 1,5,17 or 'all'");
	return n;
}

static void parse_lambdas(const char *arg, struct probe_opts *po)
{
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

static int parse_pos(const char *arg)
{
	return strcmp(arg, "last") == 0 ? -1 : (int)cli_int("--pos", arg, -4096, 4095);
}

static enum probe_split_set parse_split(const char *arg)
{
	if (strcmp(arg, "all") == 0)
		return PROBE_SPLIT_ALL;
	if (strcmp(arg, "train") == 0)
		return PROBE_SPLIT_TRAIN;
	if (strcmp(arg, "test") == 0)
		return PROBE_SPLIT_TEST;
	cli_usage_error("--split: expected all, train or test, got '%s'", arg);
}

static void add_glob(char **globs, int *n, const char *opt, char *arg)
{
	if (*n == MAX_GLOBS)
		cli_usage_error("%s: more than %d patterns", opt, MAX_GLOBS);
	globs[(*n)++] = arg;
}

enum { OPT_POS = 256, OPT_SPLIT, OPT_MAX, OPT_FREQ, OPT_LABELS, OPT_TEST,
       OPT_VAL, OPT_LAMBDA, OPT_SEED, OPT_SHOW, OPT_NOPROBE, OPT_CKA,
       OPT_REF, OPT_REFSTEP, OPT_THREADS, OPT_GROUP,
       OPT_INPUTS };

static const struct option longopts[] = {
	{"hook", 1, 0, 'k'}, {"list-hooks", 0, 0, 'l'}, {"inputs", 0, 0, OPT_INPUTS}, {"pos", 1, 0, OPT_POS},
	{"split", 1, 0, OPT_SPLIT}, {"max", 1, 0, OPT_MAX},
	{"target", 1, 0, 'T'}, {"freq", 1, 0, OPT_FREQ},
	{"labels", 1, 0, OPT_LABELS}, {"test-frac", 1, 0, OPT_TEST},
	{"val-frac", 1, 0, OPT_VAL}, {"lambda", 1, 0, OPT_LAMBDA},
	{"seed", 1, 0, OPT_SEED}, {"group", 1, 0, OPT_GROUP}, {"show-lambda", 0, 0, OPT_SHOW},
	{"no-probe", 0, 0, OPT_NOPROBE}, {"cka", 1, 0, OPT_CKA},
	{"cka-ref", 1, 0, OPT_REF}, {"cka-ref-step", 1, 0, OPT_REFSTEP},
	{"header", 0, 0, 'H'}, {"threads", 1, 0, OPT_THREADS},
	{"follow", 0, 0, 'f'}, {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'},
	{0, 0, 0, 0},
};

static void parse_option(int opt, struct options *o)
{
	switch (opt) {
	case 'k': add_glob(o->hooks, &o->nhooks, "--hook", optarg); break;
	case 'l': o->list = 1; break;
	case OPT_INPUTS: o->inputs = 1; break;
	case OPT_POS: o->pos = parse_pos(optarg); break;
	case OPT_SPLIT: o->split = parse_split(optarg); break;
	case OPT_MAX: o->max = cli_int("--max", optarg, 1, INT32_MAX); break;
	case 'T': add_glob(o->targets, &o->ntargets, "--target", optarg); break;
	case OPT_FREQ: o->nfreq = parse_freqs(optarg, o->freqs); break;
	case OPT_LABELS: o->labels = optarg; break;
	case OPT_TEST: o->probe.test_frac = cli_double("--test-frac", optarg, 1e-9, 1 - 1e-9); break;
	case OPT_VAL: o->probe.val_frac = cli_double("--val-frac", optarg, 1e-9, 1 - 1e-9); break;
	case OPT_LAMBDA: parse_lambdas(optarg, &o->probe); break;
	case OPT_SEED: o->probe.seed = (uint64_t)cli_int("--seed", optarg, 0, INT64_MAX); break;
	case OPT_SHOW: o->show_lambda = 1; break;
	case OPT_GROUP: o->group = optarg; break;
	case OPT_NOPROBE: o->no_probe = 1; break;
	case OPT_CKA: o->cka_hook = optarg; break;
	case OPT_REF: o->cka_ref = optarg; break;
	case OPT_REFSTEP: o->ref_step = cli_int("--cka-ref-step", optarg, 0, INT64_MAX); break;
	case OPT_THREADS: openblas_set_num_threads((int)cli_int("--threads", optarg, 1, 4096)); break;
	case 'H': o->header = 1; break;
	case 'f': o->follow = 1; break;
	case 'h': cli_print_help(usage);
	case 'V': cli_print_version();
	default: cli_usage_error("invalid option");
	}
}

int main(int argc, char **argv)
{
	static struct options o;
	int opt;
	cli_init("traj-probe");
	o.pos = -1;
	o.ref_step = -1;
	probe_opts_default(&o.probe);
	while ((opt = getopt_long(argc, argv, "k:lT:HfhV", longopts, NULL)) != -1)
		parse_option(opt, &o);
	if (argc - optind > 1)
		cli_usage_error("expected at most one FILE, got %d", argc - optind);
	if (o.no_probe && !o.cka_hook && !o.cka_ref && !o.list && !o.inputs)
		cli_usage_error("--no-probe: nothing to do without --cka or --cka-ref");
	if (o.ref_step >= 0 && !o.cka_ref)
		cli_usage_error("--cka-ref-step: needs --cka-ref FILE");
	const char *path = optind < argc ? argv[optind] : NULL, *name;
	FILE *in = cli_open_input(path, &name);
	struct traj_error err;
	struct traj_reader *r = stream_reader_open(in, name, NULL, &err);
	if (!r)
		cli_die_error(name, &err);
	stream_reader_skip_prefix(r, "optim/");
	if (o.follow)
		stream_reader_follow(r, cli_stop_on_signals());
	if (o.header && !o.list && !o.inputs)
		fputs(METRIC_HEADER, stdout);
	int rc = probe_stream(r, &o, path, &err);
	stream_reader_free(r);
	cli_close_input(in);
	if (rc < 0) {
		cli_finish(TRAJ_OK);
		if (rc == -2)
			cli_die(err.status, "%s", err.msg);
		cli_die_error(name, &err);
	}
	return cli_finish(TRAJ_OK);
}
