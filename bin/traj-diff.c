/* traj-diff: how the weights move along a checkpoint stream, as metric
 * lines: distances between checkpoints, norms, singular values, and the
 * Fourier spectrum of a modular-arithmetic embedding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/metric_out.h"
#include "cli/options.h"
#include "cli/stream_input.h"
#include "analysis/fourier.h"
#include "format/metrics.h"
#include "common/nameglob.h"
#include "format/stream.h"
#include "analysis/svd.h"
#include "format/weightset.h"
#include "analysis/weightstats.h"

#define MAX_GLOBS 64
#define MAX_SV 1000

struct options {
	const char *ref;
	int64_t ref_step;           /* -1: none */
	char *globs[MAX_GLOBS];
	int nglobs;
	int sv, top, no_fourier, header;
};

struct differ {
	const struct options *o;
	const char *run_id;
	int have_spec;
	struct embed_spec spec;
	struct weightset ref, prev, cur;
	struct svd_work svd;
	struct fourier_work fourier;
	double *s;                  /* singular values */
	int s_cap;
};

static void add_glob(const char *arg, void *ctx)
{
	struct options *o = ctx;
	if (o->nglobs == MAX_GLOBS)
		cli_usage_error("--tensors: at most %d patterns", MAX_GLOBS);
	o->globs[o->nglobs++] = (char *)arg;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){.ref_step = -1, .sv = 3, .top = 5};
	const struct cli_opt opts[] = {
		CLI_STRING('r', "ref", &o->ref, "FILE",
			"compare every checkpoint with the first checkpoint of\n"
			"FILE (with --ref-step, its checkpoint at step N)"),
		CLI_I64('s', "ref-step", &o->ref_step, "N", 0, INT64_MAX,
			"compare with the checkpoint at step N (of --ref FILE,\n"
			"else of the input; from standard input, checkpoints\n"
			"before step N get no diff lines)"),
		CLI_CALLBACK('t', "tensors", add_glob, o, "GLOB",
			"only tensors whose name matches (repeatable)"),
		CLI_INT(0, "sv", &o->sv, "K", 0, MAX_SV,
			"singular values printed per matrix (3); 0 skips the\n"
			"SVD (no eff_rank or sv lines)"),
		CLI_INT(0, "top", &o->top, "N", 1, 1000,
			"fourier/embed/topN_frac: share of the N strongest\n"
			"frequencies (5)"),
		CLI_FLAG(0, "no-fourier", &o->no_fourier, "no fourier/ lines"),
		CLI_FLAG(0, "header", &o->header,
			"print the comment line naming the columns first"),
		CLI_OPT_HELP, CLI_OPT_VERSION, CLI_END,
	};
	const struct cli_spec spec = {
		.usage = "traj-diff [OPTION]... [FILE]",
		.intro =
"Measure how the weights of a traj stream (traj-stream(5)) move, as metric\n"
"lines (RUN<TAB>STEP<TAB>METRIC<TAB>VALUE). For every checkpoint and float\n"
"tensor: weights/T/norm, and for matrices weights/T/eff_rank and\n"
"weights/T/sv1.. (top singular values); against the previous checkpoint (or\n"
"the reference): diff/T/l2, diff/T/rel_change, diff/T/cos. For modular-\n"
"arithmetic runs, the embedding's Fourier spectrum: fourier/embed/k1..,\n"
"fourier/embed/top5_frac and fourier/embed/ipr. With no FILE, or when FILE\n"
"is -, read standard input. Optimiser state (optim/...) is left out.\n",
		.opts = opts,
		.footer =
"Exit status: 0 success, 64 usage error, 65 invalid stream or no checkpoint\n"
"at the --ref-step, 66 cannot open FILE, 70 LAPACK failure, 74 read or write\n"
"error, 75 truncated stream (every complete checkpoint was reported).\n",
	};
	optind = cli_parse(&spec, argc, argv);
	if (argc - optind > 1)
		cli_usage_error("one FILE at most (concatenate streams with cat)");
}

static int tensor_wanted(const char *name, void *ctx)
{
	const struct options *o = ctx;
	return strncmp(name, "optim/", 6) && nameglob_match(o->globs, o->nglobs, name);
}

static void put(const struct differ *d, int64_t step, const char *kind,
		const char *tensor, const char *what, double v)
{
	char name[TRAJ_NAME_MAX + 64];
	snprintf(name, sizeof name, "%s/%s/%s", kind, tensor, what);
	cli_metric(d->run_id, step, name, v);
}

static int all_finite(const double *v, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

static void spectrum(struct differ *d, int64_t step, const struct wtensor *t)
{
	struct traj_error err;
	if (t->rank < 2 || d->o->sv == 0 || t->n == 0)
		return;
	int64_t n = t->shape[t->rank - 1], m = t->n / n; /* (all but last, last) */
	int k = (int)(m < n ? m : n), finite = all_finite(t->v, t->n);
	if (m > INT32_MAX || n > INT32_MAX)
		return;
	if (k > d->s_cap) {
		free(d->s);
		if (!(d->s = malloc((size_t)k * sizeof *d->s)))
			cli_die(TRAJ_ENOMEM, "out of memory");
		d->s_cap = k;
	}
	/* Non-finite weights have no spectrum (LAPACK does not converge). */
	for (int i = 0; !finite && i < k; i++)
		d->s[i] = NAN;
	if (finite && svd_values(&d->svd, t->v, (int)m, (int)n, d->s, &err) < 0)
		cli_die(err.status, "%s: step %lld: %s", t->name, (long long)step, err.msg);
	put(d, step, "weights", t->name, "eff_rank",
	    finite ? svd_effective_rank(d->s, k) : NAN);
	for (int i = 0; i < k && i < d->o->sv; i++) {
		char sv[16];
		snprintf(sv, sizeof sv, "sv%d", i + 1);
		put(d, step, "weights", t->name, sv, d->s[i]);
	}
}

static void compare(struct differ *d, int64_t step, const struct wtensor *t,
		    const struct weightset *ref)
{
	const struct wtensor *r = ref->have ? wset_find(ref, t->name) : NULL;
	struct pair_stats ps;
	if (!r || !wset_same_shape(t, r))
		return; /* nothing to compare with */
	weightstats_pair(t->v, r->v, (size_t)t->n, &ps);
	put(d, step, "diff", t->name, "l2", ps.l2);
	put(d, step, "diff", t->name, "rel_change", ps.rel_change);
	put(d, step, "diff", t->name, "cos", ps.cos);
}

static void fourier(struct differ *d, int64_t step, const struct weightset *w)
{
	const struct embed_spec *sp = &d->spec;
	const struct wtensor *e = d->have_spec ? wset_find(w, sp->tensor) : NULL;
	if (d->o->no_fourier || !e || e->rank != 2 ||
	    e->shape[0] < (int64_t)(sp->blocks - 1) * sp->block_rows + sp->p)
		return;
	int kmax = sp->p / 2, width = (int)e->shape[1];
	double *energy = calloc((size_t)(kmax + 1) * (size_t)(width + 1), sizeof *energy);
	if (!energy)
		cli_die(TRAJ_ENOMEM, "out of memory");
	double *total = energy + (size_t)(kmax + 1) * (size_t)width;
	struct traj_error err;
	for (int b = 0; b < sp->blocks; b++)
		if (fourier_add_energies(&d->fourier,
					 e->v + b * sp->block_rows * width,
					 sp->p, width, energy, &err) < 0)
			cli_die(err.status, "%s", err.msg);
	fourier_total(energy, kmax, width, total);
	char name[64];
	for (int k = 1; k <= kmax; k++) {
		snprintf(name, sizeof name, "fourier/embed/k%d", k);
		cli_metric(d->run_id, step, name, sqrt(total[k]));
	}
	snprintf(name, sizeof name, "fourier/embed/top%d_frac", d->o->top);
	cli_metric(d->run_id, step, name,
		     fourier_top_frac(total, kmax, d->o->top));
	cli_metric(d->run_id, step, "fourier/embed/ipr",
		     fourier_ipr(total, kmax));
	cli_metric(d->run_id, step, "fourier/embed/column_top1",
		     fourier_column_top1(energy, kmax, width));
	free(energy);
}

static void report(struct differ *d)
{
	const struct weightset *w = &d->cur;
	const struct weightset *ref = d->o->ref_step >= 0 || d->o->ref ? &d->ref : &d->prev;
	for (int i = 0; i < w->n; i++) {
		const struct wtensor *t = &w->t[i];
		put(d, w->step, "weights", t->name, "norm", weightstats_norm(t->v, (size_t)t->n));
		spectrum(d, w->step, t);
		compare(d, w->step, t, ref);
	}
	fourier(d, w->step, w);
	cli_check_output(stdout);
}

/* The reference: the checkpoint at --ref-step (or the first) of `path`. */
static void load_ref(struct differ *d, const char *path)
{
	struct traj_error err;
	struct cli_stream_input in;
	cli_stream_open(&in, path, NULL, 1);
	struct traj_reader *r = in.reader;
	const char *name = in.name;
	int rec;
	while (!d->ref.have && (rec = stream_read_next(r, &err)) != TRAJ_REC_EOF) {
		if (rec < 0)
			cli_die_error(name, &err);
		const struct traj_ckpt *c = stream_reader_ckpt(r);
		if (rec == TRAJ_REC_CKPT &&
		    (d->o->ref_step < 0 || c->step == d->o->ref_step) &&
		    wset_load(&d->ref, c, tensor_wanted, (void *)d->o, &err) < 0)
			cli_die_error(name, &err);
	}
	if (!d->ref.have && d->o->ref_step >= 0)
		cli_die(TRAJ_EDATA, "%s: no checkpoint at step %lld", name,
			(long long)d->o->ref_step);
	if (!d->ref.have)
		cli_die(TRAJ_EDATA, "%s: no checkpoint", name);
	cli_stream_close(&in);
}

static void on_run(struct differ *d, const cJSON *run)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "run");
	d->run_id = cJSON_IsString(id) ? id->valuestring : "-";
	d->have_spec = fourier_embed_spec_from_run(run, &d->spec);
	d->prev.have = 0; /* a new run: nothing to compare with yet */
}

static void on_ckpt(struct differ *d, const struct traj_ckpt *c, const char *name)
{
	struct traj_error err;
	if (wset_load(&d->cur, c, tensor_wanted, (void *)d->o, &err) < 0)
		cli_die_error(name, &err);
	/* --ref-step on the input itself: the reference arrives in it. */
	if (!d->o->ref && d->o->ref_step == c->step && !d->ref.have &&
	    wset_load(&d->ref, c, tensor_wanted, (void *)d->o, &err) < 0)
		cli_die_error(name, &err);
	report(d);
	wset_swap(&d->cur, &d->prev);
}

static void read_input(struct differ *d, const char *path)
{
	struct traj_error err;
	struct cli_stream_input in;
	cli_stream_open(&in, path, NULL, 1);
	int rec;
	while ((rec = stream_read_next(in.reader, &err)) != TRAJ_REC_EOF) {
		if (rec < 0)
			cli_die_error(in.name, &err);
		if (rec == TRAJ_REC_RUN)
			on_run(d, stream_reader_run(in.reader));
		else if (rec == TRAJ_REC_CKPT)
			on_ckpt(d, stream_reader_ckpt(in.reader), in.name);
	}
	cli_stream_close(&in);
}

int main(int argc, char **argv)
{
	struct options o;
	struct differ d = {.o = &o};
	cli_init("traj-diff");
	parse_args(argc, argv, &o);
	const char *path = optind < argc ? argv[optind] : NULL;
	wset_init(&d.ref);
	wset_init(&d.prev);
	wset_init(&d.cur);
	svd_work_init(&d.svd);
	fourier_work_init(&d.fourier);
	if (o.ref)
		load_ref(&d, o.ref);
	else if (o.ref_step >= 0 && path && strcmp(path, "-") != 0)
		load_ref(&d, path);
	if (o.header)
		fputs(METRIC_HEADER, stdout);
	read_input(&d, path);
	wset_free(&d.ref);
	wset_free(&d.prev);
	wset_free(&d.cur);
	svd_work_free(&d.svd);
	fourier_work_free(&d.fourier);
	free(d.s);
	return cli_finish(TRAJ_OK);
}
