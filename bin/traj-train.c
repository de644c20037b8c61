/* traj-train: train a model on a task and stream its checkpoints. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "cli.h"
#include "mlp.h"
#include "runmeta.h"
#include "schedule.h"
#include "stream.h"
#include "trainer.h"

static const char usage[] =
"Usage: traj-train [OPTION]... [--out FILE]\n"
"Train a model and write its checkpoint stream (traj-stream(5)) to FILE or\n"
"standard output.\n"
"\n"
"Task:\n"
"  --task NAME          modadd, modsub, modmul, moddiv, modquad (modadd)\n"
"  --p N                modulus (97)\n"
"  --frac F             fraction of pairs in the train split, in (0,1) (0.5)\n"
"  --data-seed N        seed of the train/test split (the run seed)\n"
"Model (MLP):\n"
"  --width N            hidden units per layer (512)\n"
"  --depth N            hidden layers (1)\n"
"  --activation NAME    relu, gelu or quad (relu)\n"
"  --no-bias            layers without biases\n"
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
"  --log-every N        also N log-spaced checkpoints per decade of steps (0)\n"
"  --encoding NAME      raw, shuffle, xor or pred2 (pred2)\n"
"  --key-every N        a key checkpoint every N checkpoints (16)\n"
"  --level N            zstd level, 1..19 (default in traj-stream(5))\n"
"  --run-id ID          the run's name in metric lines (TASK-pP-sSEED)\n"
"  -o, --out FILE       write to FILE instead of standard output\n"
"  -f, --force          write binary to a terminal anyway\n"
"  -q, --quiet          no progress and no summary on stderr\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Steps 0 and the last step are always checkpointed. The same options, seed\n"
"and thread count give a bit-identical stream.\n";

/* Seeds travel as JSON numbers, exact only below 2^53. */
#define SEED_MAX ((1LL << 53) - 1)

struct options {
	struct run_config rc;
	struct mlp_config mlp;
	struct traj_write_opts wopts;
	const char *out;
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
	OPT_KEY_EVERY, OPT_LEVEL, OPT_RUN_ID,
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
		break;
	case OPT_OPTIM:
		if (optim_kind_from_name(arg, &o->rc.optim.kind) < 0)
			cli_usage_error("--optim: unknown optimiser '%s' (adamw, sgd)",
					arg);
		break;
	case OPT_ENCODING:
		if (encoding_from_name(arg, &o->wopts.encoding) < 0)
			cli_usage_error("--encoding: unknown encoding '%s'"
					" (raw, shuffle, xor, pred2)", arg);
		break;
	case OPT_RUN_ID:
		if (!run_id_valid(arg))
			cli_usage_error("--run-id: '%s' must be 1-%d of A-Z a-z 0-9 . _ + -",
					arg, RUN_ID_MAX - 1);
		strcpy(o->rc.id, arg);
		break;
	}
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
	case OPT_EVERY: tr->every = cli_int("--every", arg, 0, INT64_MAX / 4); break;
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
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': cli_print_help(usage);
		case 'V': cli_print_version();
		case OPT_NO_BIAS: o->mlp.bias = 0; break;
		case OPT_NESTEROV: o->nesterov = 1; break;
		case '?': cli_usage_error("invalid option");
		default: parse_number(opt, optarg, o);
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
}

/* Fills what depends on other options: optimiser defaults, seeds, run id,
 * the model's input shape. */
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
	if (!rc->id[0])
		snprintf(rc->id, sizeof rc->id, "%s-p%d-s%llu", rc->task.name,
			 rc->task.p, (unsigned long long)rc->seed);
	struct traj_error err;
	if (task_validate(&rc->task, "--", &err) < 0)
		cli_usage_error("%s", err.msg);
	o->mlp.n_inputs = 2;
	o->mlp.vocab = rc->task.p;
	o->mlp.n_classes = rc->task.p;
	rc->model = mlp_config_to_json(&o->mlp);
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

static void train(const struct options *o, struct trainer *t,
		  struct traj_writer *w, struct progress *p)
{
	struct traj_error err;
	const struct train_config *tc = &o->rc.train;
	struct ckpt_schedule sched = {tc->every, tc->log_every, tc->steps};
	const char *name = o->out ? o->out : "-";
	for (;;) {
		if (schedule_wants(&sched, t->step)) {
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

int main(int argc, char **argv)
{
	struct options o;
	struct traj_error err;
	struct trainer t;
	cli_init("traj-train");
	set_defaults(&o);
	parse_args(argc, argv, &o);
	finish_config(&o);
	openblas_set_num_threads(o.rc.train.threads);
	if (trainer_init(&t, &o.rc, &err) < 0)
		cli_die_error(NULL, &err);
	FILE *out = open_output(&o);
	cJSON *run = run_to_json(&o.rc);
	struct traj_writer *w = stream_writer_open(out, run, &o.wopts, &err);
	cJSON_Delete(run);
	if (!w)
		cli_die_error(o.out ? o.out : "-", &err);
	struct progress p = {0, now()};
	train(&o, &t, w, &p);
	if (stream_writer_close(w, &err) < 0)
		cli_die_error(o.out ? o.out : "-", &err);
	report(&o, &t, &p, ftell(out));
	trainer_free(&t);
	run_config_free(&o.rc);
	if (out != stdout && fclose(out) != 0)
		cli_die(TRAJ_EFAIL, "cannot write '%s': %m", o.out);
	return cli_finish(TRAJ_OK);
}
