/* traj-train: train a model on a task and stream its checkpoints. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "cli/cli.h"
#include "model/mlp.h"
#include "run/runmeta.h"
#include "run/autockpt.h"
#include "run/schedule.h"
#include "format/stream.h"
#include "run/resume.h"
#include "run/trainer.h"
#include "run/trainstate.h"
#include "model/transformer.h"

static const char usage[] =
"Usage: traj-train [OPTION]... [--out FILE]\n"
"Train a model and write its checkpoint stream (traj-stream(5)) to FILE or\n"
"standard output.\n"
"\n"
"Task:\n"
"  --task NAME          modadd, modsub, modmul, moddiv, modquad, add,\n"
"                       parity, repeat, fashion (modadd); see traj-train(1)\n"
"  --p N                modulus (97)\n"
"  --frac F             fraction of pairs in the train split, in (0,1) (0.5)\n"
"  --data-seed N        seed of the train/test split (the run seed)\n"
"  --digits N           add: digits per operand (3)\n"
"  --bits N --k N       parity: input bits (20), relevant bits (3)\n"
"  --seq-len N          repeat: length of the random half (10)\n"
"  --vocab N            repeat: alphabet size (20)\n"
"  --filler N           repeat: N random tokens before, between and after\n"
"                       the copies, split at random, so that only\n"
"                       induction heads predict the repeat (0)\n"
"  --n-train N          add, parity, repeat: train examples (add 5000,\n"
"                       else 2000); fashion: the first N (0 = all)\n"
"  --n-test N           test examples (1000; fashion: 0 = all)\n"
"Model:\n"
"  --model NAME         mlp or transformer (mlp)\n"
"  --activation NAME    relu, gelu, or (MLP only) quad (relu)\n"
"MLP:\n"
"  --width N            hidden units per layer (512)\n"
"  --depth N            hidden layers (1)\n"
"  --no-bias            layers without biases\n"
"Transformer (defaults: Nanda et al.'s grokking model):\n"
"  --layers N           blocks (1)\n"
"  --d-model N          residual stream width (128)\n"
"  --heads N            attention heads per block (4)\n"
"  --d-head N           width of a head (d-model / heads)\n"
"  --d-mlp N            MLP hidden units (4 * d-model)\n"
"  --layernorm          pre-LayerNorm blocks and a final LayerNorm\n"
"  --attn-only          blocks without MLPs\n"
"  Modular tasks become the sequence 'a b =' (token p is '=').\n"
"Optimiser:\n"
"  --optim NAME         adamw or sgd (adamw)\n"
"  --lr X               learning rate (adamw 1e-3, sgd 0.1)\n"
"  --wd X               weight decay, decoupled for adamw (adamw 1, sgd 0)\n"
"  --beta1 X --beta2 X  adamw moments (0.9, 0.98)\n"
"  --eps X              adamw epsilon (1e-8)\n"
"  --momentum X         sgd momentum (0.9)\n"
"  --nesterov           sgd with Nesterov momentum\n"
"  --warmup N           linear learning-rate warm-up steps (0)\n"
"Training:\n"
"  --steps N            optimiser updates (3000)\n"
"  --batch N            examples per step; 0 = full batch (0)\n"
"  --seed N             seed of initialisation and batch order (1)\n"
"  --threads N          BLAS threads (OPENBLAS_NUM_THREADS, else all cores)\n"
"Checkpoints:\n"
"  --every N            a checkpoint every N steps; 0 = none (100)\n"
"  --every auto[:N]     checkpoints where train/test accuracy or loss change,\n"
"                       checked every N steps (10): dense in transitions,\n"
"                       one per 25 N steps where nothing moves\n"
"  --log-every N        also N log-spaced checkpoints per decade of steps (0)\n"
"  --encoding NAME      raw, shuffle, xor, pred2, delta (pred2)\n"
"  --key-every N        a key checkpoint every N checkpoints (16)\n"
"  --level N            zstd level, 1..19 (default in traj-stream(5))\n"
"  --run-id ID          the run's name in metric lines (TASK-pP-sSEED)\n"
"  -o, --out FILE       write to FILE instead of standard output; each\n"
"                       checkpoint is synced to disk before the next\n"
"      --state WHICH    checkpoints that carry the optimiser state for\n"
"                       --resume: key (key checkpoints and the last), all,\n"
"                       or none (key)\n"
"      --no-state       the same as --state none\n"
"      --resume FILE    continue the run in FILE (written by --out) from its\n"
"                       last complete checkpoint that carries the state,\n"
"                       replaying the checkpoints after it bit for bit;\n"
"                       only --steps, --threads and --quiet may be given\n"
"  -f, --force          write binary to a terminal anyway\n"
"  -q, --quiet          no progress and no summary on stderr\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Steps 0 and the last step are always checkpointed. The same options, seed\n"
"and thread count give a bit-identical stream, also when interrupted and\n"
"resumed.\n"
"\n"
"Exit status: 0 success, 64 usage error, 65 invalid stream to resume,\n"
"66 cannot open the file to resume, 71 out of memory, 73 cannot create\n"
"FILE, 74 write error.\n";

/* Seeds travel as JSON numbers, exact only below 2^53. */
#define SEED_MAX ((1LL << 53) - 1)

struct options {
	struct run_config rc;
	struct mlp_config mlp;
	struct transformer_config tf;
	int transformer;     /* --model transformer */
	int d_head_set, d_mlp_set;
	struct traj_write_opts wopts;
	const char *out;
	const char *resume;  /* --resume FILE */
	int config_given;    /* an option that --resume takes from FILE */
	int steps_given;

	int force, quiet, data_seed_set;
	double lr, wd;       /* < 0: the optimiser's default */
	const char *beta1, *beta2, *eps, *momentum;
	int nesterov;
};

enum {
	OPT_TASK = 256, OPT_P, OPT_FRAC, OPT_DATA_SEED, OPT_WIDTH, OPT_DEPTH,
	OPT_ACT, OPT_NO_BIAS, OPT_OPTIM, OPT_LR, OPT_WD, OPT_BETA1, OPT_BETA2,
	OPT_EPS, OPT_MOMENTUM, OPT_NESTEROV, OPT_WARMUP, OPT_STEPS, OPT_BATCH,
	OPT_SEED, OPT_THREADS, OPT_EVERY, OPT_LOG_EVERY, OPT_ENCODING,
	OPT_KEY_EVERY, OPT_LEVEL, OPT_RUN_ID, OPT_RESUME, OPT_MODEL, OPT_LAYERS,
	OPT_D_MODEL, OPT_HEADS, OPT_D_HEAD, OPT_D_MLP, OPT_LAYERNORM,
	OPT_ATTN_ONLY, OPT_DIGITS, OPT_BITS, OPT_K, OPT_SEQ_LEN, OPT_VOCAB,
	OPT_FILLER, OPT_N_TRAIN, OPT_N_TEST, OPT_NO_STATE, OPT_STATE,
};

static const struct option longopts[] = {
	{"task", 1, 0, OPT_TASK}, {"p", 1, 0, OPT_P}, {"frac", 1, 0, OPT_FRAC},
	{"data-seed", 1, 0, OPT_DATA_SEED}, {"width", 1, 0, OPT_WIDTH},
	{"depth", 1, 0, OPT_DEPTH}, {"activation", 1, 0, OPT_ACT},
	{"no-bias", 0, 0, OPT_NO_BIAS}, {"optim", 1, 0, OPT_OPTIM},
	{"lr", 1, 0, OPT_LR}, {"wd", 1, 0, OPT_WD},
	{"weight-decay", 1, 0, OPT_WD}, {"beta1", 1, 0, OPT_BETA1},
	{"beta2", 1, 0, OPT_BETA2}, {"eps", 1, 0, OPT_EPS},
	{"momentum", 1, 0, OPT_MOMENTUM}, {"nesterov", 0, 0, OPT_NESTEROV},
	{"warmup", 1, 0, OPT_WARMUP}, {"steps", 1, 0, OPT_STEPS},
	{"batch", 1, 0, OPT_BATCH}, {"seed", 1, 0, OPT_SEED},
	{"threads", 1, 0, OPT_THREADS}, {"every", 1, 0, OPT_EVERY},
	{"log-every", 1, 0, OPT_LOG_EVERY}, {"encoding", 1, 0, OPT_ENCODING},
	{"key-every", 1, 0, OPT_KEY_EVERY}, {"level", 1, 0, OPT_LEVEL},
	{"run-id", 1, 0, OPT_RUN_ID}, {"out", 1, 0, 'o'}, {"force", 0, 0, 'f'},
	{"resume", 1, 0, OPT_RESUME}, {"no-state", 0, 0, OPT_NO_STATE},
	{"state", 1, 0, OPT_STATE},
	{"model", 1, 0, OPT_MODEL}, {"layers", 1, 0, OPT_LAYERS},
	{"d-model", 1, 0, OPT_D_MODEL}, {"heads", 1, 0, OPT_HEADS},
	{"d-head", 1, 0, OPT_D_HEAD}, {"d-mlp", 1, 0, OPT_D_MLP},
	{"layernorm", 0, 0, OPT_LAYERNORM}, {"attn-only", 0, 0, OPT_ATTN_ONLY},
	{"digits", 1, 0, OPT_DIGITS}, {"bits", 1, 0, OPT_BITS}, {"k", 1, 0, OPT_K},
	{"seq-len", 1, 0, OPT_SEQ_LEN}, {"vocab", 1, 0, OPT_VOCAB},
	{"filler", 1, 0, OPT_FILLER},
	{"n-train", 1, 0, OPT_N_TRAIN}, {"n-test", 1, 0, OPT_N_TEST},
	{"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'},
	{0, 0, 0, 0},
};

static void set_defaults(struct options *o)
{
	memset(o, 0, sizeof *o);
	task_from_name("modadd", &o->rc.task);
	o->rc.task.p = 97;
	o->rc.task.frac = 0.5;
	o->rc.seed = 1;
	o->tf = (struct transformer_config){.n_layers = 1, .d_model = 128,
					   .n_heads = 4, .n_outputs = 1,
					   .act = ACT_RELU};
	o->mlp = (struct mlp_config){.width = 512, .depth = 1, .act = ACT_RELU,
				     .bias = 1};
	o->rc.optim.kind = OPTIM_ADAMW;
	o->lr = o->wd = -1;
	o->rc.train = (struct train_config){.steps = 3000, .every = 100};
	stream_write_opts_default(&o->wopts);
}

static int default_threads(void)
{
	const char *env = getenv("OPENBLAS_NUM_THREADS");
	long n = env ? atol(env) : sysconf(_SC_NPROCESSORS_ONLN);
	return n >= 1 && n <= 4096 ? (int)n : 1;
}

static void parse_choice(int opt, const char *arg, struct options *o)
{
	switch (opt) {
	case OPT_TASK:
		if (task_from_name(arg, &o->rc.task) < 0)
			cli_usage_error("--task: unknown task '%s' (one of %s)",
					arg, task_names());
		break;
	case OPT_ACT:
		if (activation_from_name(arg, &o->mlp.act) < 0)
			cli_usage_error("--activation: unknown activation '%s'"
					" (relu, gelu, quad)", arg);
		o->tf.act = o->mlp.act;
		break;
	case OPT_MODEL:
		if (strcmp(arg, "mlp") != 0 && strcmp(arg, "transformer") != 0)
			cli_usage_error("--model: unknown model '%s' (mlp, transformer)",
					arg);
		o->transformer = strcmp(arg, "transformer") == 0;
		break;
	case OPT_OPTIM:
		if (optim_kind_from_name(arg, &o->rc.optim.kind) < 0)
			cli_usage_error("--optim: unknown optimiser '%s' (adamw, sgd)",
					arg);
		break;
	case OPT_ENCODING:
		if (stream_encoding_from_name(arg, &o->wopts.encoding) < 0)
			cli_usage_error("--encoding: unknown encoding '%s'"
					" (raw, shuffle, xor, pred2, delta)", arg);
		break;
	case OPT_RUN_ID:
		if (!run_id_valid(arg))
			cli_usage_error("--run-id: '%s' must be 1-%d of A-Z a-z 0-9 . _ + -",
					arg, RUN_ID_MAX - 1);
		strcpy(o->rc.id, arg);
		break;
	}
}

/* --every N, or --every auto[:N] (autockpt.h) */
static void parse_every(const char *arg, struct train_config *tr)
{
	if (strncmp(arg, "auto", 4) != 0) {
		tr->every = cli_int("--every", arg, 0, INT64_MAX / 4);
		tr->auto_every = 0;
		return;
	}
	if (arg[4] != 0 && arg[4] != ':')
		cli_usage_error("--every: '%s' is not N, auto or auto:N", arg);
	tr->auto_every = arg[4] ? cli_int("--every", arg + 5, 1, INT64_MAX / 4) : 10;
	tr->every = 0;
}

static void parse_number(int opt, const char *arg, struct options *o)
{
	struct train_config *tr = &o->rc.train;
	switch (opt) {
	case OPT_P: o->rc.task.p = (int)cli_int("--p", arg, 2, 4096); break;
	case OPT_FRAC: o->rc.task.frac = cli_double("--frac", arg, 0, 1);
		if (o->rc.task.frac <= 0 || o->rc.task.frac >= 1)
			cli_usage_error("--frac: %s outside (0, 1)", arg);
		break;
	case OPT_DATA_SEED: o->rc.task.seed = (uint64_t)cli_int("--data-seed", arg, 0, SEED_MAX);
		o->data_seed_set = 1; break;
	case OPT_WIDTH: o->mlp.width = (int)cli_int("--width", arg, 1, 65536); break;
	case OPT_DEPTH: o->mlp.depth = (int)cli_int("--depth", arg, 1, 64); break;
	case OPT_DIGITS: o->rc.task.digits = (int)cli_int("--digits", arg, 1, 9); break;
	case OPT_BITS: o->rc.task.bits = (int)cli_int("--bits", arg, 1, 62); break;
	case OPT_K: o->rc.task.k = (int)cli_int("--k", arg, 1, 62); break;
	case OPT_SEQ_LEN: o->rc.task.seq_len = (int)cli_int("--seq-len", arg, 2, 2048); break;
	case OPT_VOCAB: o->rc.task.vocab = (int)cli_int("--vocab", arg, 2, 65536); break;
	case OPT_FILLER:
		o->rc.task.filler = (int)cli_int("--filler", arg, 0, 4096);
		break;
	case OPT_N_TRAIN: o->rc.task.n_train = cli_int("--n-train", arg, 1, 1 << 24); break;
	case OPT_N_TEST: o->rc.task.n_test = cli_int("--n-test", arg, 1, 1 << 24); break;
	case OPT_LAYERS: o->tf.n_layers = (int)cli_int("--layers", arg, 1, TF_MAX_LAYERS); break;
	case OPT_D_MODEL: o->tf.d_model = (int)cli_int("--d-model", arg, 1, TF_MAX_DIM); break;
	case OPT_HEADS: o->tf.n_heads = (int)cli_int("--heads", arg, 1, TF_MAX_DIM); break;
	case OPT_D_HEAD: o->tf.d_head = (int)cli_int("--d-head", arg, 1, TF_MAX_DIM);
		o->d_head_set = 1; break;
	case OPT_D_MLP: o->tf.d_mlp = (int)cli_int("--d-mlp", arg, 1, TF_MAX_DIM);
		o->d_mlp_set = 1; break;
	case OPT_LR: o->lr = cli_double("--lr", arg, 0, 1e6); break;
	case OPT_WD: o->wd = cli_double("--wd", arg, 0, 1e6); break;
	case OPT_BETA1: o->beta1 = arg; cli_double("--beta1", arg, 0, 1); break;
	case OPT_BETA2: o->beta2 = arg; cli_double("--beta2", arg, 0, 1); break;
	case OPT_EPS: o->eps = arg; cli_double("--eps", arg, 0, 1); break;
	case OPT_MOMENTUM: o->momentum = arg; cli_double("--momentum", arg, 0, 1); break;
	case OPT_WARMUP: o->rc.optim.warmup = cli_int("--warmup", arg, 0, INT32_MAX); break;
	case OPT_STEPS: tr->steps = cli_int("--steps", arg, 0, INT64_MAX / 4); break;
	case OPT_BATCH: tr->batch = cli_int("--batch", arg, 0, INT32_MAX); break;
	case OPT_SEED: o->rc.seed = (uint64_t)cli_int("--seed", arg, 0, SEED_MAX); break;
	case OPT_THREADS: tr->threads = (int)cli_int("--threads", arg, 1, 4096); break;
	case OPT_EVERY: parse_every(arg, tr); break;
	case OPT_LOG_EVERY: tr->log_every = cli_int("--log-every", arg, 0, 1000); break;
	case OPT_KEY_EVERY: o->wopts.key_every = (int)cli_int("--key-every", arg, 1, 1 << 20); break;
	case OPT_LEVEL: o->wopts.level = (int)cli_int("--level", arg, 1, 19); break;
	default: parse_choice(opt, arg, o);
	}
}

static void parse_args(int argc, char **argv, struct options *o)
{
	int opt;
	while ((opt = getopt_long(argc, argv, "o:fqhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': o->out = optarg; break;
		case OPT_RESUME: o->resume = optarg; break;
		case OPT_NO_STATE: o->rc.train.state = STATE_NONE;
			o->config_given = 1; break;
		case OPT_STATE:
			if (run_state_policy_from_name(optarg, &o->rc.train.state) < 0)
				cli_usage_error("--state: '%s' is not key, all or none",
						optarg);
			o->config_given = 1;
			break;
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': cli_print_help(usage);
		case 'V': cli_print_version();
		case OPT_NO_BIAS: o->mlp.bias = 0; break;
		case OPT_LAYERNORM: o->tf.layernorm = 1; break;
		case OPT_ATTN_ONLY: o->tf.attn_only = 1; break;
		case OPT_NESTEROV: o->nesterov = 1; break;
		case '?': cli_usage_error("invalid option");
		default: parse_number(opt, optarg, o);
		}
		o->steps_given |= opt == OPT_STEPS;
		o->config_given |= opt != 'o' && opt != 'f' && opt != 'q' &&
				   opt != OPT_RESUME && opt != OPT_STEPS &&
				   opt != OPT_THREADS;
	}
	if (o->resume && (o->config_given || o->out))
		cli_usage_error("--resume: the run's options come from '%s'; only "
				"--steps, --threads and --quiet may be given",
				o->resume);
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
}

/* Fills what depends on other options: optimiser defaults, seeds, run id,
 * the model's input shape. */
static cJSON *transformer_json(struct options *o, const struct task_dims *d)
{
	struct transformer_config *tf = &o->tf;
	if (tf->act == ACT_QUAD)
		cli_usage_error("--activation: a transformer takes relu or gelu");
	if (!o->d_head_set) {
		if (tf->d_model % tf->n_heads != 0)
			cli_usage_error("--heads: d-model %d is not divisible by %d "
					"heads (or give --d-head)", tf->d_model,
					tf->n_heads);
		tf->d_head = tf->d_model / tf->n_heads;
	}
	if (!o->d_mlp_set)
		tf->d_mlp = 4 * tf->d_model;
	tf->d_vocab = d->vocab;
	tf->d_vocab_out = d->n_classes;
	tf->n_ctx = d->n_inputs;
	tf->n_outputs = d->n_outputs;
	return transformer_config_to_json(tf);
}

/* The run header's "model" object for the chosen model and task. */
static cJSON *model_json(struct options *o)
{
	struct task_dims d;
	task_dims(&o->rc.task, &d);
	if (o->transformer)
		return transformer_json(o, &d);
	o->mlp.n_inputs = d.n_inputs;
	o->mlp.vocab = d.vocab;
	o->mlp.n_classes = d.n_classes;
	return mlp_config_to_json(&o->mlp);
}

/* Task defaults, the sequence form for transformers, and the checks
 * that need the model: errors name the options ("--seq-len"). */
static void finish_task(struct options *o)
{
	struct task_config *tc = &o->rc.task;
	task_fill_defaults(tc);
	if (task_needs_transformer(tc) && !o->transformer)
		cli_usage_error("--task: %s needs --model transformer", tc->name);
	if (task_needs_mlp(tc) && o->transformer)
		cli_usage_error("--task: %s needs --model mlp", tc->name);
	tc->eq_token = o->transformer && (tc->family == TASK_MODULAR ||
					  tc->family == TASK_PARITY);
	struct traj_error err;
	if (task_validate(tc, "--", &err) < 0) {
		for (char *c = err.msg; *c && *c != ':'; c++)
			if (*c == '_')
				*c = '-'; /* JSON field to option name */
		cli_usage_error("%s", err.msg);
	}
}

/* TASK-pP-sSEED for modular arithmetic, as always; the size parameters
 * of the other tasks in their place. */
static void default_run_id(struct run_config *rc)
{
	const struct task_config *t = &rc->task;
	unsigned long long seed = (unsigned long long)rc->seed;
	switch (t->family) {
	case TASK_MODULAR:
		snprintf(rc->id, sizeof rc->id, "%s-p%d-s%llu", t->name, t->p, seed);
		break;
	case TASK_ADD:
		snprintf(rc->id, sizeof rc->id, "add-d%d-s%llu", t->digits, seed);
		break;
	case TASK_PARITY:
		snprintf(rc->id, sizeof rc->id, "parity-n%dk%d-s%llu", t->bits,
			 t->k, seed);
		break;
	case TASK_REPEAT:
		if (t->filler)
			snprintf(rc->id, sizeof rc->id, "repeat-l%dv%df%d-s%llu",
				 t->seq_len, t->vocab, t->filler, seed);
		else
			snprintf(rc->id, sizeof rc->id, "repeat-l%dv%d-s%llu",
				 t->seq_len, t->vocab, seed);
		break;
	case TASK_FASHION:
		snprintf(rc->id, sizeof rc->id, "fashion-s%llu", seed);
		break;
	}
}

static void finish_config(struct options *o)
{
	struct run_config *rc = &o->rc;
	struct optim_config *oc = &rc->optim;
	int64_t warmup = oc->warmup;
	optim_config_default(oc, oc->kind);
	oc->warmup = warmup;
	if (o->lr >= 0) oc->lr = o->lr;
	if (o->wd >= 0) oc->weight_decay = o->wd;
	if (o->beta1) oc->beta1 = atof(o->beta1);
	if (o->beta2) oc->beta2 = atof(o->beta2);
	if (o->eps) oc->eps = atof(o->eps);
	if (o->momentum) oc->momentum = atof(o->momentum);
	oc->nesterov = o->nesterov;
	if (!o->data_seed_set)
		rc->task.seed = rc->seed;
	if (!rc->train.threads)
		rc->train.threads = default_threads();
	finish_task(o);
	if (!rc->id[0])
		default_run_id(rc);
	rc->model = model_json(o);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static FILE *open_output(const struct options *o)
{
	if (!o->out || strcmp(o->out, "-") == 0) {
		cli_check_binary_output(stdout, o->force);
		return stdout;
	}
	FILE *f = fopen(o->out, "wb");
	if (!f)
		cli_die(TRAJ_ECREATE, "cannot create '%s': %m", o->out);
	return f;
}

struct progress { int64_t ckpts; double start; };

static void report(const struct options *o, const struct trainer *t,
		   const struct progress *p, long bytes)
{
	if (o->quiet)
		return;
	double secs = now() - p->start;
	fprintf(stderr, "%s: %s: %lld steps in %.1f s (%.2f ms/step), "
		"%lld checkpoints", cli_prog(), o->rc.id, (long long)t->step,
		secs, t->step ? 1e3 * secs / (double)t->step : 0.0,
		(long long)p->ckpts);
	if (bytes >= 0)
		fprintf(stderr, ", %ld bytes", bytes);
	fprintf(stderr, ", last batch loss %.4g\n", (double)t->last_loss);
}

/* `resumed`: the checkpoint at the current step is already written. */
static void train(const struct options *o, struct trainer *t,
		  struct traj_writer *w, struct progress *p, int resumed)
{
	struct traj_error err;
	const struct train_config *tc = &o->rc.train;
	struct ckpt_schedule sched = {tc->every, tc->log_every, tc->steps};
	const char *name = o->out ? o->out : "-";
	struct autockpt au;
	autockpt_init(&au, tc->auto_every ? tc->auto_every : 1);
	for (int first = 1;; first = 0) {
		int fixed = schedule_wants(&sched, t->step) || (first && resumed);
		int want = tc->auto_every ? autockpt_wants(&au, t->model, &t->data,
							    t->step, fixed) : fixed;
		if (!(first && resumed) && want) {
			if (trainer_checkpoint(t, w, &err) < 0)
				cli_die_error(name, &err);
			p->ckpts++;
		}
		if (t->step == tc->steps)
			break;
		trainer_step(t);
		if (!o->quiet && (t->step % 50 == 0))
			cli_progress("step %lld/%lld  loss %.4g  %.0f s",
				     (long long)t->step, (long long)tc->steps,
				     (double)t->last_loss, now() - p->start);
	}
	cli_progress_done();
}

/* The run header with a new step count, for a resumed run that goes
 * further than the interrupted one planned. */
static cJSON *run_with_steps(const cJSON *run, int64_t steps)
{
	cJSON *copy = cJSON_Duplicate(run, 1);
	cJSON *train = cJSON_GetObjectItemCaseSensitive(copy, "train");
	cJSON *n = cJSON_CreateNumber((double)steps);
	if (!n || !cJSON_ReplaceItemInObjectCaseSensitive(train, "steps", n)) {
		cJSON_Delete(n);
		cJSON_Delete(copy);
		return NULL;
	}
	return copy;
}

/* Cuts FILE after its last complete checkpoint (or rewrites its header
 * when --steps changes the plan) and returns it open for appending. */
static FILE *resume_output(const struct options *o, FILE *f,
			   const struct resume_point *rp, int64_t header_steps)
{
	struct traj_error err;
	if (o->rc.train.steps == header_steps) {
		if (resume_truncate(f, rp, &err) < 0)
			cli_die_error(o->resume, &err);
		return f;
	}
	cJSON *run = run_with_steps(rp->run, o->rc.train.steps);
	if (!run)
		cli_die(TRAJ_ENOMEM, "out of memory");
	FILE *out = resume_rewrite(f, o->resume, rp, run, &err);
	cJSON_Delete(run);
	fclose(f);
	if (!out)
		cli_die_error(o->resume, &err);
	return out;
}

/* --resume: configuration, writer options and state come from the file. */
static FILE *resume_run(struct options *o, struct trainer *t,
			struct traj_writer **w)
{
	struct traj_error err;
	struct resume_point rp;
	const char *path = o->resume;
	int threads = o->rc.train.threads;
	int64_t steps = o->rc.train.steps;
	FILE *f = fopen(path, "r+b");
	if (!f)
		cli_die(TRAJ_ENOINPUT, "cannot open '%s': %m", path);
	if (resume_scan(f, &rp, &err) < 0)
		cli_die_error(path, &err);
	/* traj snapshot --dtype bf16|f16 marks rounded streams: continuing
	 * from rounded weights would not be the run it claims to be. */
	if (cJSON_GetObjectItemCaseSensitive(rp.run, "lossy"))
		cli_die(TRAJ_EDATA, "%s: a lossy stream (converted by traj snapshot"
			" --dtype) cannot be resumed", path);
	if (run_from_json(rp.run, &o->rc, &err) < 0 ||
	    stream_write_opts_from_json(cJSON_GetObjectItemCaseSensitive(rp.run,
				"writer"), &o->wopts, &err) < 0)
		cli_die_error(path, &err);
	o->out = path;
	o->wopts.sync = 1;
	const struct traj_ckpt *last = stream_reader_last_ckpt(rp.r);
	int64_t header_steps = o->rc.train.steps;
	if (o->steps_given)
		o->rc.train.steps = steps;
	if (threads)
		o->rc.train.threads = threads;
	/* A longer or shorter run checkpoints its old last step like any
	 * other, without state unless it is a key checkpoint: replay from
	 * the last key checkpoint so the stream is what an uninterrupted
	 * run with the new step count writes. */
	if (o->rc.train.steps != header_steps && rp.cut != rp.key_cut) {
		if (rp.key_cut < 0 || resume_rescan(f, &rp, rp.key_cut, &err) < 0)
			cli_die(TRAJ_EDATA, "%s: no key checkpoint with resume state"
				" to continue from with a new --steps", path);
		last = stream_reader_last_ckpt(rp.r);
	}
	if (o->rc.train.steps < last->step)
		cli_usage_error("--steps: %lld is before the last checkpoint, at step %lld",
				(long long)o->rc.train.steps, (long long)last->step);
	if (rp.ended && last->step == o->rc.train.steps) {
		if (!o->quiet)
			fprintf(stderr, "%s: %s: the run is already complete at step %lld\n",
				cli_prog(), path, (long long)last->step);
		exit(cli_finish(TRAJ_OK));
	}
	openblas_set_num_threads(o->rc.train.threads);
	if (trainer_init(t, &o->rc, &err) < 0 ||
	    trainstate_restore(t, last, &err) < 0)
		cli_die_error(path, &err);
	FILE *out = resume_output(o, f, &rp, header_steps);
	*w = stream_writer_resume(out, rp.r, &o->wopts, &err);
	if (!*w)
		cli_die_error(path, &err);
	resume_point_free(&rp);
	return out;
}

/* A new run: its header records the writer options for --resume. */
static FILE *start_run(struct options *o, struct trainer *t,
		       struct traj_writer **w)
{
	struct traj_error err;
	finish_config(o);
	o->wopts.sync = 1;
	openblas_set_num_threads(o->rc.train.threads);
	if (trainer_init(t, &o->rc, &err) < 0)
		cli_die_error(NULL, &err);
	FILE *out = open_output(o);
	cJSON *run = run_to_json(&o->rc);
	cJSON *wj = stream_write_opts_to_json(&o->wopts);
	if (!run || !wj || !cJSON_AddItemToObject(run, "writer", wj))
		cli_die(TRAJ_ENOMEM, "out of memory");
	*w = stream_writer_open(out, run, &o->wopts, &err);
	cJSON_Delete(run);
	if (!*w)
		cli_die_error(o->out ? o->out : "-", &err);
	return out;
}

int main(int argc, char **argv)
{
	struct options o;
	struct traj_error err;
	struct trainer t;
	struct traj_writer *w;
	cli_init("traj-train");
	set_defaults(&o);
	parse_args(argc, argv, &o);
	FILE *out = o.resume ? resume_run(&o, &t, &w) : start_run(&o, &t, &w);
	struct progress p = {0, now()};
	train(&o, &t, w, &p, o.resume != NULL);
	if (stream_writer_close(w, &err) < 0)
		cli_die_error(o.out ? o.out : "-", &err);
	report(&o, &t, &p, ftell(out));
	trainer_free(&t);
	run_config_free(&o.rc);
	if (out != stdout && fclose(out) != 0)
		cli_die(TRAJ_EFAIL, "cannot write '%s': %m", o.out);
	return cli_finish(TRAJ_OK);
}
