/* A study of a checkpoint's components (ablate_study.h): choosing them,
 * running a mode over them, and what the families share. */
#include "interp/ablate_study_impl.h"

#include <stdlib.h>
#include <string.h>

#include "interp/ablate_select.h"

/* err's message after "what: ". */
static int with_context(struct traj_error *err, const char *what)
{
	char msg[sizeof err->msg];
	snprintf(msg, sizeof msg, "%s", err->msg);
	return traj_fail(err, err->status, err->offset, "%s: %s", what, msg);
}

static const char *first_glob(const struct ablate_study *st)
{
	return st->nglobs ? st->globs[0] : "*";
}

static int select_edges(const struct ablate_study *st, const struct model *m,
			struct ablate_selection *sel, struct traj_error *err)
{
	char valid[1024];
	if (edge_graph_build(m, &sel->graph, err) < 0)
		return with_context(err, "--by edge");
	sel->n = ablate_select_edges(&sel->graph, st->globs, st->nglobs,
				     &sel->comps, valid, sizeof valid, err);
	if (sel->n == 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--component: no edge "
				 "matches '%s'; valid: %s (see --by edge "
				 "--list)", first_glob(st), valid);
	return sel->n < 0 ? -1 : 0;
}

/* The last block's neurons grouped by the frequency of their logit
 * direction (neuron_freq.h), each group a component. */
static int select_groups(const struct ablate_study *st, const struct model *m,
			 struct ablate_selection *sel, struct traj_error *err)
{
	if (neuron_freq_assign(m, &sel->nf, err) < 0)
		return with_context(err, "--by neuron-freq");
	sel->nall = ablate_components_list(m, &sel->all, err);
	if (sel->nall < 0)
		return -1;
	sel->n = neuron_freq_groups(&sel->nf, sel->all, sel->nall, st->globs,
				    st->nglobs, &sel->comps, &sel->start,
				    &sel->members, err);
	if (sel->n == 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--component: no neuron "
				 "group matches '%s' (see --by neuron-freq "
				 "--list)", first_glob(st));
	return sel->n < 0 ? -1 : 0;
}

/* Neurons, heads, layers (and the direction), or the logits'
 * frequencies. */
static int select_components(const struct ablate_study *st,
			     const struct run_subject *s,
			     struct ablate_selection *sel,
			     struct traj_error *err)
{
	char valid[1024];
	sel->n = st->by == ABLATE_BY_FREQ ?
		ablate_select_freqs(s->rc.task.p, st->globs, st->nglobs,
				    &sel->comps, valid, sizeof valid, err) :
		ablate_select_components(s->model, st->globs, st->nglobs,
					 st->dir_comp, &sel->comps, valid,
					 sizeof valid, err);
	if (sel->n == 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--component: no "
				 "component matches '%s'; valid: %s",
				 first_glob(st), valid);
	return sel->n < 0 ? -1 : 0;
}

int ablate_family_from_name(const char *name, enum ablate_family *out)
{
	static const char *const names[] = { "freq", "edge", "neuron-freq" };
	static const enum ablate_family by[] = { ABLATE_BY_FREQ, ABLATE_BY_EDGE,
						 ABLATE_BY_NEURON_FREQ };
	for (int i = 0; i < 3; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = by[i];
			return 0;
		}
	return -1;
}

/* The mode's restrictions, then the family's. */
static const char *conflict(const struct ablate_study *st, int time_source,
			    int direction)
{
	int by_freq = st->by == ABLATE_BY_FREQ, by_edge = st->by == ABLATE_BY_EDGE;
	if ((st->mode == ABLATE_MODE_PATCH || st->mode == ABLATE_MODE_CIRCUIT) &&
	    time_source)
		return "--from/--from-step go with neither --patch nor --circuit";
	if (st->dot && st->mode != ABLATE_MODE_CIRCUIT)
		return "--dot: only with --circuit";
	int joint_ok = st->mode == ABLATE_MODE_ABLATE ||
		       (by_edge && st->mode == ABLATE_MODE_PATCH) ||
		       (by_freq && st->mode == ABLATE_MODE_TIME);
	if (st->joint && (!joint_ok || st->attrib || st->budget))
		return "--joint: only for plain ablation (and --by edge "
		       "--patch, --by freq --from-step)";
	if (st->mode == ABLATE_MODE_TIME && (st->attrib || st->budget))
		return "--attrib/--budget: not with --from/--from-step";
	if (st->attrib && st->budget)
		return "--attrib and --budget exclude each other";
	if (by_freq && (st->mode == ABLATE_MODE_PATCH || st->from_acts ||
			st->attrib || st->budget || direction || st->dot))
		return "--by freq: not with --patch, --from-mode acts, "
		       "--attrib, --budget, --direction or --dot";
	if (by_freq && st->method == ABL_RESAMPLE)
		return "--by freq: --method zero or mean";
	if (st->by == ABLATE_BY_NEURON_FREQ && (st->mode == ABLATE_MODE_PATCH ||
	    st->mode == ABLATE_MODE_TIME || direction || st->dot))
		return "--by neuron-freq: not with --patch, --from, "
		       "--direction or --dot";
	if (by_edge && (st->mode == ABLATE_MODE_TIME || direction))
		return "--by edge: not with --from or --direction";
	/* attribution and the circuit search differentiate the whole loss */
	if (st->label >= 0 && ((st->by != ABLATE_BY_HOOK && !by_edge) ||
	    st->attrib || st->budget || st->mode == ABLATE_MODE_TIME ||
	    st->mode == ABLATE_MODE_CIRCUIT))
		return "--label: only for plain ablation and --patch of "
		       "neurons, heads, layers, directions and edges";
	return NULL;
}

int ablate_study_check(const struct ablate_study *st, int time_source,
		       int direction, struct traj_error *err)
{
	const char *why = conflict(st, time_source, direction);
	return why ? traj_fail(err, TRAJ_EUSAGE, -1, "%s", why) : 0;
}

int ablate_study_select(const struct ablate_study *st,
			const struct run_subject *s,
			struct ablate_selection *sel, struct traj_error *err)
{
	memset(sel, 0, sizeof *sel);
	if ((st->by == ABLATE_BY_FREQ || st->by == ABLATE_BY_NEURON_FREQ) &&
	    task_modulus(&s->rc.task) == 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--by %s: task '%s' is "
				 "not modular arithmetic", st->by ==
				 ABLATE_BY_FREQ ? "freq" : "neuron-freq",
				 s->rc.task.name);
	switch (st->by) {
	case ABLATE_BY_EDGE: return select_edges(st, s->model, sel, err);
	case ABLATE_BY_NEURON_FREQ: return select_groups(st, s->model, sel, err);
	default: return select_components(st, s, sel, err);
	}
}

void ablate_selection_free(struct ablate_selection *sel)
{
	free(sel->comps);
	edge_graph_free(&sel->graph);
	neuron_freq_free(&sel->nf);
	free(sel->all);
	free(sel->start);
	free(sel->members);
	memset(sel, 0, sizeof *sel);
}

int ablate_study_run(const struct ablate_study *st,
		     const struct ablate_selection *sel,
		     struct run_subject *s, struct run_subject *k, FILE *out,
		     struct ablate_cost *cost, struct traj_error *err)
{
	struct ablate_job j = { .st = st, .sel = sel, .s = s, .k = k,
				.sink = { out, s->rc.id, s->step },
				.cost = cost };
	*cost = (struct ablate_cost){ .logit_evals = -1 };
	switch (st->by) {
	case ABLATE_BY_FREQ: return ablate_study_freq(&j, err);
	case ABLATE_BY_EDGE: return ablate_study_edges(&j, err);
	case ABLATE_BY_NEURON_FREQ: return ablate_study_groups(&j, err);
	default: return ablate_study_hooks(&j, err);
	}
}

void ablate_cost_describe(const struct ablate_cost *c, char *buf,
			  size_t size)
{
	if (c->logit_evals >= 0)
		snprintf(buf, size, "%lld forward pass%s, %lld logit "
			 "evaluations, over %d examples", (long long)c->forward,
			 c->forward == 1 ? "" : "es",
			 (long long)c->logit_evals, c->examples);
	else
		snprintf(buf, size, "%lld forward passes, %lld backward "
			 "passes, over %d examples", (long long)c->forward,
			 (long long)c->backward, c->examples);
}

int ablate_study_written(const struct ablate_job *j, struct traj_error *err)
{
	if (ferror(j->sink.out))
		return traj_fail(err, TRAJ_EFAIL, -1, "cannot write the "
				 "metric lines");
	return 0;
}

const char *ablate_study_prefix(const struct ablate_study *st)
{
	return st->mode == ABLATE_MODE_CIRCUIT ? "circuit" :
	       st->mode == ABLATE_MODE_PATCH ? "patch" : "ablate";
}

int ablate_study_check_budget(const struct ablate_study *st, int fixed,
			      struct traj_error *err)
{
	/* `fixed` clean passes, then the forward half of the gradient pass */
	if (st->budget > 0 && st->budget < fixed + 1)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--budget %lld: "
				 "attribution patching needs %d forward "
				 "passes", (long long)st->budget, fixed + 1);
	return 0;
}

int ablate_study_check_label(const struct ablate_job *j,
			     struct traj_error *err)
{
	if (j->st->label >= j->s->model->n_outputs)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--label %lld: the "
				 "model has labelled positions 0..%d",
				 (long long)j->st->label,
				 j->s->model->n_outputs - 1);
	return 0;
}

struct batch ablate_study_batch(const struct ablate_job *j)
{
	return run_subject_batch(j->s, j->st->train, j->st->limit);
}

int ablate_study_inputs(const struct ablate_job *j, struct batch *data,
			struct batch *clean, int32_t **corrupted,
			struct traj_error *err)
{
	const struct run_subject *s = j->s;
	*data = *clean = ablate_study_batch(j);
	*corrupted = NULL;
	if (j->st->mode != ABLATE_MODE_PATCH)
		return 0;
	if (patch_corrupt_tokens(&s->rc.task, j->st->train ? &s->data.train :
				 &s->data.test, s->model->n_inputs,
				 j->st->corrupt, j->st->seed, corrupted,
				 err) < 0)
		return -1;
	data->tokens = *corrupted;
	return 0;
}

int ablate_study_patch_base(const struct ablate_job *j,
			    struct eval_result clean,
			    struct eval_result corrupted,
			    struct traj_error *err)
{
	ablate_lines_eval(&j->sink, "patch", "clean", clean);
	ablate_lines_eval(&j->sink, "patch", "corrupted", corrupted);
	return ablate_study_written(j, err);
}

int ablate_study_time_lines(const struct ablate_job *j,
			    const struct component *comps, int n,
			    const struct time_patch *t, struct traj_error *err)
{
	if (ablate_lines_time(&j->sink, j->k->step, comps, n, t, err) < 0)
		return -1;
	return ablate_study_written(j, err);
}

/* The components together (joint) or one by one, ranked. */
static int rank(const struct ablate_job *j, const struct fn_run *fr,
		int fixed, struct traj_error *err)
{
	const struct ablate_study *st = j->st;
	if (st->joint) {
		struct eval_result r;
		if (ablate_rank_joint(fr, &r, err) < 0)
			return -1;
		ablate_lines_joint(&j->sink, fr->prefix, r, fr->base, fr->n);
		return ablate_study_written(j, err);
	}
	struct rank_result *res = ablate_rank_results_new(fr->n);
	if (!res)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = ablate_rank_components(fr, st->attrib, st->budget, fixed, res,
					err);
	if (rc == 0) {
		ablate_lines_ranked(&j->sink, fr->prefix, fr->comps, res, fr->n);
		rc = ablate_study_written(j, err);
	}
	free(res);
	return rc;
}

int ablate_study_fns(const struct ablate_job *j, const struct fn_run *fr,
		     int fixed, unsigned char **keep, double **imp,
		     struct traj_error *err)
{
	const struct ablate_study *st = j->st;
	struct circuit_result cr;
	*keep = NULL;
	*imp = NULL;
	if (st->mode == ABLATE_MODE_ABLATE) {
		ablate_lines_eval(&j->sink, fr->prefix, "clean", fr->base);
		if (ablate_study_written(j, err) < 0)
			return -1;
	}
	if (st->mode != ABLATE_MODE_CIRCUIT)
		return rank(j, fr, fixed, err);
	if (ablate_rank_circuit(fr, st->threshold, keep, imp, &cr, err) < 0)
		return -1;
	return ablate_study_circuit_lines(j, fr->comps, fr->n, *keep, *imp, &cr,
					  fr->n, fr->base, err);
}

int ablate_study_circuit_lines(const struct ablate_job *j,
			       const struct component *comps, int n,
			       const unsigned char *keep, const double *imp,
			       const struct circuit_result *cr, int ncand,
			       struct eval_result base, struct traj_error *err)
{
	ablate_lines_circuit(&j->sink, comps, n, keep, imp, cr, ncand,
			     j->st->threshold, base);
	return ablate_study_written(j, err);
}

int ablate_study_passes(const struct ablate_job *j, const char *prefix,
			int64_t forward, int64_t backward, int examples,
			struct traj_error *err)
{
	ablate_line(&j->sink, prefix, NULL, "forward_passes", (double)forward);
	ablate_line(&j->sink, prefix, NULL, "backward_passes", (double)backward);
	j->cost->forward = forward;
	j->cost->backward = backward;
	j->cost->examples = examples;
	return ablate_study_written(j, err);
}

int ablate_study_freq_passes(const struct ablate_job *j, const char *prefix,
			     int forward, int64_t evals, int examples,
			     struct traj_error *err)
{
	if (ablate_study_passes(j, prefix, forward, 0, examples, err) < 0)
		return -1;
	ablate_line(&j->sink, prefix, NULL, "logit_evals", (double)evals);
	j->cost->logit_evals = evals;
	return ablate_study_written(j, err);
}

int ablate_study_dot_open(const struct ablate_job *j, struct atomic_file *af,
			  struct traj_error *err)
{
	return atomic_open(af, j->st->dot, err);
}
