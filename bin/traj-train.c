/* traj-train: train a model on a task and stream its checkpoints. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/train_progress.h"
#include "format/stream.h"
#include "interp/attack_train.h"
#include "run/resume_policy.h"
#include "run/runplan.h"
#include "run/runstart.h"
#include "run/trainloop.h"

/* Seeds travel as JSON numbers, exact only below 2^53. */
#define SEED_MAX ((1LL << 53) - 1)

struct options {
	struct run_plan plan;
	struct run_start start;
	int64_t reinit;
	const char *out, *resume, *adv;
	struct attack_train attack;
	int threads, force, quiet, allow_nonfinite;
	int steps_given;
	int config_given;    /* an option that --resume takes from FILE */
};

/* The options --resume takes from its FILE: all but these. */
static const char *const keep_with_resume[] = {
	"steps", "threads", "quiet", "force", "resume", "allow-nonfinite",
	"help", "version", NULL,
};

static void parse_args(int argc, char **argv, struct options *o)
{
	struct run_plan *p = &o->plan;
	struct task_config *tk = &p->rc.task;
	struct train_config *tr = &p->rc.train;
	struct optim_config *oc = &p->rc.optim;
	struct run_plan_names *nm = &p->names;
	struct cli_opt opts[] = {
		CLI_GROUP("Task:"),
		CLI_STRING(0, "task", &nm->task, "NAME",
			"modadd, modsub, modmul, moddiv, modquad, add,\n"
			"parity, repeat, fashion (modadd); see traj-train(1)"),
		CLI_INT(0, "p", &tk->p, "N", 2, 4096, "modulus (97)"),
		CLI_DOUBLE(0, "frac", &tk->frac, "F", 0, 1,
			"fraction of pairs in the train split, in (0,1) (0.5)"),
		CLI_I64(0, "data-seed", &p->data_seed, "N", 0, SEED_MAX,
			"seed of the train/test split (the run seed)"),
		CLI_INT(0, "digits", &tk->digits, "N", 1, 9,
			"add: digits per operand (3)"),
		CLI_INT(0, "bits", &tk->bits, "N", 1, 62, "parity: input bits (20)"),
		CLI_INT(0, "k", &tk->k, "N", 1, 62, "parity: relevant bits (3)"),
		CLI_INT(0, "seq-len", &tk->seq_len, "N", 2, 2048,
			"repeat: length of the random half (10)"),
		CLI_INT(0, "vocab", &tk->vocab, "N", 2, 65536,
			"repeat: alphabet size (20)"),
		CLI_INT(0, "filler", &tk->filler, "N", 0, 4096,
			"repeat: N random tokens around and between the copies,\n"
			"split at random: only induction heads predict the repeat (0)"),
		CLI_I64(0, "n-train", &tk->n_train, "N", 1, 1 << 24,
			"add, parity, repeat: train examples (add 5000,\n"
			"else 2000); fashion: the first N (0 = all)"),
		CLI_I64(0, "n-test", &tk->n_test, "N", 1, 1 << 24,
			"test examples (1000; fashion: 0 = all)"),
		CLI_I64(0, "n-val", &tk->n_val, "N", 1, 59999, "fashion: the N training "
			"images after --n-train, held out: validation (0)"),
		CLI_GROUP("Model:"),
		CLI_STRING(0, "model", &nm->model, "NAME", "mlp or transformer (mlp)"),
		CLI_STRING(0, "activation", &nm->activation, "NAME",
			"relu, gelu, or (MLP only) quad (relu)"),
		CLI_GROUP("MLP:"),
		CLI_STRING(0, "width", &nm->width, "N[,N]...", "hidden units per "
			"layer, or of each (300,100) (512)"),
		CLI_INT(0, "depth", &p->depth, "N", 1, 64, "hidden layers (1, or as --width lists)"),
		CLI_FLAG(0, "no-bias", &p->no_bias, "layers without biases"),
		CLI_GROUP("Transformer (defaults: Nanda et al.'s grokking model):"),
		CLI_INT(0, "layers", &p->tf.n_layers, "N", 1, TF_MAX_LAYERS, "blocks (1)"),
		CLI_INT(0, "d-model", &p->tf.d_model, "N", 1, TF_MAX_DIM,
			"residual stream width (128)"),
		CLI_INT(0, "heads", &p->tf.n_heads, "N", 1, TF_MAX_DIM,
			"attention heads per block (4)"),
		CLI_INT(0, "d-head", &p->tf.d_head, "N", 1, TF_MAX_DIM,
			"width of a head (d-model / heads)"),
		CLI_INT(0, "d-mlp", &p->tf.d_mlp, "N", 1, TF_MAX_DIM,
			"MLP hidden units (4 * d-model)"),
		CLI_FLAG(0, "layernorm", &p->tf.layernorm,
			"pre-LayerNorm blocks and a final LayerNorm"),
		CLI_FLAG(0, "attn-only", &p->tf.attn_only, "blocks without MLPs"),
		CLI_NOTE("  Modular tasks become the sequence 'a b =' (token p is '=')."),
		CLI_GROUP("Optimiser:"),
		CLI_STRING(0, "optim", &nm->optim, "NAME", "adamw or sgd (adamw)"),
		CLI_DOUBLE(0, "lr", &p->lr, "X", 0, 1e6,
			"learning rate (adamw 1e-3, sgd 0.1)"),
		CLI_DOUBLE(0, "wd", &p->weight_decay, "X", 0, 1e6,
			"weight decay, decoupled for adamw (adamw 1, sgd 0)"),
		CLI_DOUBLE(0, "weight-decay", &p->weight_decay, "X", 0, 1e6, "the same as --wd"),
		CLI_DOUBLE(0, "beta1", &p->beta1, "X", 0, 1, "adamw first moment (0.9)"),
		CLI_DOUBLE(0, "beta2", &p->beta2, "X", 0, 1, "adamw second moment (0.98)"),
		CLI_DOUBLE(0, "eps", &p->eps, "X", 0, 1, "adamw epsilon (1e-8)"),
		CLI_DOUBLE(0, "momentum", &p->momentum, "X", 0, 1, "sgd momentum (0.9)"),
		CLI_FLAG(0, "nesterov", &oc->nesterov, "sgd with Nesterov momentum"),
		CLI_I64(0, "warmup", &oc->warmup, "N", 0, INT32_MAX,
			"linear learning-rate warm-up steps (0)"),
		CLI_GROUP("Training:"),
		CLI_I64(0, "steps", &tr->steps, "N", 0, INT64_MAX / 4,
			"optimiser updates (3000)"),
		CLI_I64(0, "batch", &tr->batch, "N", 0, INT32_MAX,
			"examples per step; 0 = full batch (0)"),
		CLI_I64(0, "seed", &p->rc.seed, "N", 0, SEED_MAX,
			"seed of initialisation and batch order (1)"),
		CLI_I64(0, "order-seed", &p->order_seed, "N", 0, SEED_MAX, "seed of the batch order alone (--seed)"),
		CLI_OPT_THREADS(&o->threads),
		CLI_STRING(0, "blas-core", &nm->blas_core, "NAME",
			"pin OpenBLAS's kernels (Haswell, SkylakeX, ...): the same\n"
			"bits on every CPU with their instructions ($TRAJ_BLAS_CORE)"),
		CLI_FLAG(0, "allow-nonfinite", &o->allow_nonfinite,
			"go on when the loss or a parameter becomes NaN or\n"
			"infinite (else stop there, status 65)"),
		CLI_GROUP("Lottery tickets (docs/lottery.md):"),
		CLI_STRING(0, "mask", &o->start.mask, "FILE",
			"train with the masks of FILE's last checkpoint (traj\n"
			"prune): pruned weights stay exactly 0"),
		CLI_STRING(0, "init-from", &o->start.init_from, "STREAM[:STEP]",
			"start from the weights, optimiser state and batch order\n"
			"of STREAM at STEP (0): rewinding; --order-seed: a new order"),
		CLI_I64(0, "reinit", &o->reinit, "SEED", 0, SEED_MAX,
			"fresh weights from SEED instead (a control)"),
		CLI_STRING(0, "adv", &o->adv, "SPEC",
			"adversarial training in an eps-ball: pgd:eps=E[,iters=7,\n"
			"step=S,norm=linf|l2,random-start=1] or fgsm:eps=E"),
		CLI_GROUP("Checkpoints:"),
		CLI_STRING(0, "every", &nm->every, "N",
			"a checkpoint every N steps; 0 = none (100); or\n"
			"auto[:N]: checkpoints where train/test accuracy or\n"
			"loss change, checked every N steps (10): dense in\n"
			"transitions, one per 25 N steps where nothing moves"),
		CLI_I64(0, "log-every", &tr->log_every, "N", 0, 1000,
			"also N log-spaced checkpoints per decade of steps (0)"),
		CLI_STRING(0, "encoding", &nm->encoding, "NAME",
			"raw, shuffle, xor, pred2, delta (pred2)"),
		CLI_INT(0, "key-every", &p->wopts.key_every, "N", 1, 1 << 20,
			"a key checkpoint every N checkpoints (16)"),
		CLI_INT(0, "level", &p->wopts.level, "N", 1, 19,
			"zstd level, 1..19 (default in traj-stream(5))"),
		CLI_STRING(0, "run-id", &nm->run_id, "ID",
			"the run's name in metric lines (TASK-pP-sSEED)"),
		CLI_OPT_OUT(&o->out, "write to FILE instead of standard output; each\n"
			"checkpoint is synced to disk before the next"),
		CLI_STRING(0, "state", &nm->state, "WHICH",
			"checkpoints with the optimiser state (--resume): key\n"
			"(key checkpoints and the last), all or none (key)"),
		CLI_FLAG(0, "no-state", &p->no_state, "the same as --state none"),
		CLI_STRING(0, "resume", &o->resume, "FILE",
			"continue the run in FILE (--out) from its last checkpoint\n"
			"with the state, replaying the later ones bit for bit;\n"
			"only --steps, --threads and --quiet may be given"),
		CLI_FLAG('f', "force", &o->force,
			"write binary to a terminal anyway; replace a run\n"
			"in --out FILE"),
		CLI_OPT_QUIET(&o->quiet),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-train [OPTION]... [--out FILE]",
		.intro =
"Train a model and write its checkpoint stream (traj-stream(5)) to FILE or\n"
"standard output.\n",
		.opts = opts,
		.footer =
"Steps 0 and the last step are always checkpointed. The same options, seed\n"
"and thread count give a bit-identical stream, also when interrupted and\n"
"resumed.\n"
"\n"
"Exit status: 0 success, 64 usage error, 65 invalid stream to resume or a\n"
"loss or parameter became non-finite (the checkpoints before it are kept),\n"
"66 cannot open the file to resume, 71 out of memory, 73 cannot create\n"
"FILE or it holds a run (--resume, --force), 74 write error.\n",
	};
	cli_mark_given(opts, &o->config_given, keep_with_resume);
	for (struct cli_opt *opt = opts; opt->type != CLI_T_END; opt++)
		if (opt->long_name && strcmp(opt->long_name, "steps") == 0)
			opt->given = &o->steps_given;
	o->reinit = -1;
	int first = cli_parse(&spec, argc, argv);
	struct traj_error err = {0};
	if (o->adv && attack_train_parse(o->adv, &o->plan.rc.adv, &err) < 0)
		cli_usage_error("%s", err.msg);
	else if (*err.msg) /* a spec that works but is likely not meant */
		fprintf(stderr, "%s: warning: %s\n", cli_prog(), err.msg);
	o->start.reinit = o->reinit >= 0;
	o->start.reinit_seed = (uint64_t)o->reinit;
	if (o->resume && o->config_given)
		cli_usage_error("--resume: the run's options come from '%s'; only "
				"--steps, --threads and --quiet may be given",
				o->resume);
	if (first < argc)
		cli_usage_error("unexpected argument '%s'", argv[first]);
}

/* A new run: its header records the writer options for --resume. */
static FILE *start_run(struct options *o, struct trainer *t,
		       struct traj_writer **w)
{
	struct traj_error err;
	struct run_config *rc = &o->plan.rc;
	rc->train.threads = cli_apply_threads(o->threads);
	if (run_plan_finish(&o->plan, &err) < 0)
		err.status == TRAJ_EUSAGE ? cli_usage_error("%s", err.msg)
					  : cli_die_error(NULL, &err);
	o->plan.wopts.sync = 1;
	if (trainer_init(t, rc, &err) < 0)
		cli_die_error(NULL, &err);
	if (run_start_apply(t, rc, &o->start, &err) < 0 ||
	    attack_train_attach(&o->attack, t, &err) < 0)
		err.status == TRAJ_EUSAGE ? cli_usage_error("%s", err.msg)
					  : cli_die_error(NULL, &err);
	FILE *out = resume_output_open(o->out, o->force, &err);
	if (!out)
		cli_die_error(NULL, &err);
	cli_check_binary_output(out, o->force);
	*w = trainer_writer_open(t, out, &o->plan.wopts, &err);
	if (!*w)
		cli_die_error(o->out ? o->out : "-", &err);
	return out;
}

/* --resume FILE: the run, its writer options and its state come from FILE. */
static FILE *resume_run(struct options *o, struct resume_session *s,
			struct trainer *t, struct traj_writer **w)
{
	struct traj_error err;
	FILE *out;
	int rc = resume_begin(s, o->resume,
			      o->steps_given ? o->plan.rc.train.steps : -1, &err);
	if (rc < 0 && err.status == TRAJ_EUSAGE)
		cli_usage_error("%s", err.msg);
	if (rc < 0)
		cli_die_error(err.status == TRAJ_ENOINPUT ? NULL : o->resume, &err);
	if (rc > 0) {
		if (!o->quiet)
			fprintf(stderr, "%s: %s: the run is already complete at step %lld\n",
				cli_prog(), o->resume, (long long)s->last->step);
		exit(cli_finish(TRAJ_OK));
	}
	o->out = o->resume;
	if (o->threads)
		s->rc.train.threads = o->threads;
	cli_apply_threads(s->rc.train.threads);
	if (resume_continue(s, t, w, &out, &err) < 0 ||
	    attack_train_attach(&o->attack, t, &err) < 0)
		cli_die_error(o->resume, &err);
	return out;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct resume_session s;
	struct traj_error err;
	struct trainer t;
	struct traj_writer *w;
	cli_init("traj-train");
	run_plan_default(&o.plan);
	o.plan.names.blas_core = getenv("TRAJ_BLAS_CORE");
	parse_args(argc, argv, &o);
	FILE *out = o.resume ? resume_run(&o, &s, &t, &w) : start_run(&o, &t, &w);
	struct cli_train_progress p = {o.quiet, cli_seconds()};
	int64_t first_step = t.step;
	struct trainer_loop loop = {.resumed = o.resume != NULL,
		.allow_nonfinite = o.allow_nonfinite, .progress = cli_train_progress,
		.ctx = &p};
	struct traj_error stop;
	const char *name = o.out ? o.out : "-";
	if (trainer_run(&t, w, &loop, &stop) < 0 && !loop.stopped)
		cli_die_error(name, &stop);
	cli_progress_done();
	if (stream_writer_close(w, &err) < 0)
		cli_die_error(name, &err);
	if (loop.stopped) /* the stream ends well-formed before it */
		cli_die(stop.status, "%s: %s; the checkpoints before it are kept "
			"(--allow-nonfinite goes on)", name, stop.msg);
	if (!o.quiet) {
		char line[512];
		trainer_summary(&t, first_step, cli_seconds() - p.start,
				loop.ckpts, ftell(out), line, sizeof line);
		fprintf(stderr, "%s: %s\n", cli_prog(), line);
	}
	attack_train_free(&o.attack);
	trainer_free(&t);
	if (o.resume)
		resume_session_free(&s);
	else
		run_config_free(&o.plan.rc);
	if (out != stdout && fclose(out) != 0)
		cli_die(TRAJ_EFAIL, "cannot write '%s': %m", o.out);
	return cli_finish(TRAJ_OK);
}
