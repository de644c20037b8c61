#include "run/runplan.h"

#include <stdio.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/linalg.h"

void run_plan_default(struct run_plan *p)
{
	memset(p, 0, sizeof *p);
	task_from_name("modadd", &p->rc.task);
	p->rc.task.p = 97;
	p->rc.task.frac = 0.5;
	p->rc.seed = 1;
	p->tf = (struct transformer_config){.n_layers = 1, .d_model = 128,
					   .n_heads = 4, .n_outputs = 1,
					   .act = ACT_RELU};
	p->mlp = (struct mlp_config){.width = 512, .depth = 1, .act = ACT_RELU,
				     .bias = 1};
	p->rc.optim.kind = OPTIM_ADAMW;
	p->rc.train = (struct train_config){.steps = 3000, .every = 100};
	p->data_seed = p->order_seed = -1;
	stream_write_opts_default(&p->wopts);
	p->lr = p->weight_decay = p->beta1 = p->beta2 = p->eps =
		p->momentum = NAN;
}

static void set_if_given(double *field, double value)
{
	if (!isnan(value))
		*field = value;
}

/* The optimiser's defaults under what was given. */
static void finish_optim(struct run_plan *p)
{
	struct optim_config *oc = &p->rc.optim;
	int64_t warmup = oc->warmup;
	int nesterov = oc->nesterov;
	optim_config_default(oc, oc->kind);
	oc->warmup = warmup;
	oc->nesterov = nesterov;
	set_if_given(&oc->lr, p->lr);
	set_if_given(&oc->weight_decay, p->weight_decay);
	set_if_given(&oc->beta1, p->beta1);
	set_if_given(&oc->beta2, p->beta2);
	set_if_given(&oc->eps, p->eps);
	set_if_given(&oc->momentum, p->momentum);
}

/* Task defaults, the sequence form for transformers, and the checks
 * that need the model: errors name the options ("--seq-len"). */
static int finish_task(struct run_plan *p, struct traj_error *err)
{
	struct task_config *tc = &p->rc.task;
	task_fill_defaults(tc);
	if (task_needs_transformer(tc) && !p->transformer)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--task: %s needs --model transformer", tc->name);
	if (task_needs_mlp(tc) && p->transformer)
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--task: %s needs --model mlp", tc->name);
	tc->eq_token = p->transformer && task_takes_eq_token(tc);
	if (task_validate(tc, "--", err) < 0) {
		for (char *c = err->msg; *c && *c != ':'; c++)
			if (*c == '_')
				*c = '-'; /* JSON field to option name */
		return -1;
	}
	return 0;
}

static cJSON *transformer_json(struct transformer_config *tf,
			       const struct task_dims *d,
			       struct traj_error *err)
{
	if (tf->act == ACT_QUAD) {
		traj_fail(err, TRAJ_EUSAGE, -1,
			  "--activation: a transformer takes relu or gelu");
		return NULL;
	}
	if (!tf->d_head) {
		if (tf->d_model % tf->n_heads != 0) {
			traj_fail(err, TRAJ_EUSAGE, -1,
				  "--heads: d-model %d is not divisible by %d "
				  "heads (or give --d-head)", tf->d_model,
				  tf->n_heads);
			return NULL;
		}
		tf->d_head = tf->d_model / tf->n_heads;
	}
	if (!tf->d_mlp)
		tf->d_mlp = 4 * tf->d_model;
	tf->d_vocab = d->vocab;
	tf->d_vocab_out = d->n_classes;
	tf->n_ctx = d->n_inputs;
	tf->n_outputs = d->n_outputs;
	return transformer_config_to_json(tf);
}

/* --width N (every hidden layer) or N1,N2,... (one per layer, and as
 * many layers unless --depth says otherwise, which must then agree). */
static int widths_from_name(struct run_plan *p, struct traj_error *err)
{
	const char *s = p->names.width;
	struct mlp_config *c = &p->mlp;
	int n = 0;
	while (s) {
		char *end;
		errno = 0;
		long w = strtol(s, &end, 10);
		if (end == s || (*end && *end != ',') || errno || w < 1 ||
		    w > MLP_MAX_DIM)
			return traj_fail(err, TRAJ_EUSAGE, -1, "--width: '%s' is "
					 "not N or N,N,... with each N in 1..%d",
					 p->names.width, MLP_MAX_DIM);
		if (n == MLP_MAX_DEPTH)
			return traj_fail(err, TRAJ_EUSAGE, -1, "--width: more "
					 "than %d layers", MLP_MAX_DEPTH);
		c->widths[n++] = (int)w;
		s = *end ? end + 1 : NULL;
	}
	if (n > 0)
		c->width = c->widths[0];
	if (n == 1)
		c->widths[0] = 0;
	if (n > 1 && p->depth && p->depth != n)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--depth %d: --width "
				 "lists %d layers", p->depth, n);
	if (p->depth)
		c->depth = p->depth;
	else if (n > 1)
		c->depth = n;
	return 0;
}

/* The run header's "model" object for the chosen model and task. */
static cJSON *model_json(struct run_plan *p, struct traj_error *err)
{
	struct task_dims d;
	task_dims(&p->rc.task, &d);
	cJSON *model;
	if (p->transformer) {
		model = transformer_json(&p->tf, &d, err);
		if (!model)
			return NULL;
	} else {
		if (widths_from_name(p, err) < 0)
			return NULL;
		p->mlp.n_inputs = d.n_inputs;
		p->mlp.vocab = d.vocab;
		p->mlp.n_classes = d.n_classes;
		model = mlp_config_to_json(&p->mlp);
	}
	if (!model)
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	return model;
}

/* --every N, or --every auto[:N] (autockpt.h) */
static int every_from_name(const char *arg, struct train_config *tr,
			   struct traj_error *err)
{
	int auto_every = strncmp(arg, "auto", 4) == 0;
	const char *num = auto_every ? arg + 5 : arg;
	char *end;
	long long n = 10;
	if (auto_every && arg[4] != 0 && arg[4] != ':')
		return traj_fail(err, TRAJ_EUSAGE, -1,
				 "--every: '%s' is not N, auto or auto:N", arg);
	if (!auto_every || arg[4]) {
		errno = 0;
		n = strtoll(num, &end, 10);
		if (end == num || *end || errno)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "--every: '%s' is not an integer", num);
		if (n < auto_every || n > INT64_MAX / 4)
			return traj_fail(err, TRAJ_EUSAGE, -1,
					 "--every: %lld outside %d..%lld", n,
					 auto_every, (long long)(INT64_MAX / 4));
	}
	tr->every = auto_every ? 0 : n;
	tr->auto_every = auto_every ? n : 0;
	return 0;
}

static int unknown(const char *option, const char *what, const char *name,
		   const char *names, struct traj_error *err)
{
	return traj_fail(err, TRAJ_EUSAGE, -1, "--%s: unknown %s '%s' (%s)",
			 option, what, name, names);
}

/* The options given by name. */
static int from_names(struct run_plan *p, struct traj_error *err)
{
	const struct run_plan_names *n = &p->names;
	struct run_config *rc = &p->rc;
	if (n->task && task_from_name(n->task, &rc->task) < 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--task: unknown task '%s'"
				 " (one of %s)", n->task, task_names());
	if (n->model && strcmp(n->model, "mlp") != 0 &&
	    strcmp(n->model, "transformer") != 0)
		return unknown("model", "model", n->model, "mlp, transformer", err);
	p->transformer = n->model && strcmp(n->model, "transformer") == 0;
	if (n->activation && activation_from_name(n->activation, &p->mlp.act) < 0)
		return unknown("activation", "activation", n->activation,
			       "relu, gelu, quad", err);
	p->tf.act = p->mlp.act;
	if (n->optim && optim_kind_from_name(n->optim, &rc->optim.kind) < 0)
		return unknown("optim", "optimiser", n->optim, "adamw, sgd", err);
	if (n->encoding &&
	    stream_encoding_from_name(n->encoding, &p->wopts.encoding) < 0)
		return unknown("encoding", "encoding", n->encoding,
			       "raw, shuffle, xor, pred2, delta", err);
	if (p->no_bias)
		p->mlp.bias = 0;
	if (p->no_state)
		rc->train.state = STATE_NONE;
	else if (n->state &&
		 run_state_policy_from_name(n->state, &rc->train.state) < 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--state: '%s' is not key,"
				 " all or none", n->state);
	if (n->every && every_from_name(n->every, &rc->train, err) < 0)
		return -1;
	if (n->run_id && !run_id_valid(n->run_id))
		return traj_fail(err, TRAJ_EUSAGE, -1, "--run-id: '%s' must be 1-%d"
				 " of A-Z a-z 0-9 . _ + -", n->run_id, RUN_ID_MAX - 1);
	if (n->run_id)
		strcpy(rc->id, n->run_id);
	if (n->blas_core && n->blas_core[0]) {
		struct traj_error why;
		if (linalg_set_core(n->blas_core, &why) < 0)
			return traj_fail(err, TRAJ_EUSAGE, -1, "--blas-core: %s",
					 why.msg);
		snprintf(rc->train.blas_core, sizeof rc->train.blas_core, "%s",
			 linalg_core());
	}
	return 0;
}

int run_plan_finish(struct run_plan *p, struct traj_error *err)
{
	struct run_config *rc = &p->rc;
	if (from_names(p, err) < 0)
		return -1;
	finish_optim(p);
	if (run_optim_check(&rc->optim, 1, err) < 0)
		return -1;
	rc->task.seed = p->data_seed >= 0 ? (uint64_t)p->data_seed : rc->seed;
	rc->has_order_seed = p->order_seed >= 0;
	rc->order_seed = (uint64_t)p->order_seed;
	if (finish_task(p, err) < 0)
		return -1;
	if (!rc->id[0])
		task_default_run_id(&rc->task, rc->seed, rc->id, sizeof rc->id);
	rc->model = model_json(p, err);
	return rc->model ? 0 : -1;
}
