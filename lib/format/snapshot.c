#include "format/snapshot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "common/halfprec.h"
#include "common/nameglob.h"
#include "format/names.h"

/* A copy of a checkpoint, for --last. */
struct saved {
	int have;
	int64_t step, stored;
	int n;
	struct traj_tensor *t;
	cJSON *metrics;
};

struct snapshot {
	const struct snapshot_opts *o;
	struct ckpt_select sel;     /* the selection and its state */
	FILE *out;
	const char *out_name;
	cJSON *run;                 /* the first input's run record (copy) */
	char run_id[64];
	char *run_from;             /* the input it came from */
	int have_step;
	int64_t last_step;
	struct traj_writer *w;      /* the output stream, unless list/split */
	struct saved last;
	void *conv;                 /* --dtype buffer */
	size_t conv_cap;
};

static int enomem(struct traj_error *err)
{
	return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
}

static int tensor_wanted(const struct snapshot *s, const char *name)
{
	return nameglob_match(s->o->globs, s->o->nglobs, name);
}

static int count_wanted(const struct snapshot *s, const struct traj_tensor *t,
			int n)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += tensor_wanted(s, t[i].name);
	return k;
}

/* ---- list ---- */

static double l2norm(const struct traj_tensor *t)
{
	if (!dtype_is_float(t->dtype))
		return NAN;
	double sum = 0;
	size_t n = (size_t)tensor_numel(t);
	for (size_t i = 0; i < n; i++) {
		double v = tensor_get_f64(t->data, t->dtype, i);
		sum += v * v;
	}
	return sqrt(sum);
}

static void print_shape(FILE *out, const struct traj_tensor *t)
{
	if (t->rank == 0)
		fputs("scalar", out);
	for (int d = 0; d < t->rank; d++)
		fprintf(out, d ? "x%lld" : "%lld", (long long)t->shape[d]);
}

static int list_ckpt(struct snapshot *s, const struct traj_ckpt *c,
		     int64_t stored, struct traj_error *err)
{
	FILE *out = s->out;
	int64_t raw = 0;
	for (int i = 0; i < c->ntensors; i++)
		if (tensor_wanted(s, c->tensors[i].name))
			raw += (int64_t)tensor_nbytes(&c->tensors[i]);
	fprintf(out, "ckpt\t%s\t%lld\t%d\t%lld\t%lld\t%.4g\n", s->run_id,
		(long long)c->step, count_wanted(s, c->tensors, c->ntensors),
		(long long)raw, (long long)stored,
		stored ? (double)raw / (double)stored : 0.0);
	for (int i = 0; s->o->verbose && i < c->ntensors; i++) {
		const struct traj_tensor *t = &c->tensors[i];
		if (!tensor_wanted(s, t->name))
			continue;
		fprintf(out, "tensor\t%s\t%lld\t%s\t%s\t", s->run_id,
			(long long)c->step, t->name, dtype_name(t->dtype));
		print_shape(out, t);
		fprintf(out, "\t%.9g\n", l2norm(t));
	}
	if (ferror(out)) {
		int e = errno;
		traj_fail(err, TRAJ_EFAIL, -1, "write error: %s",
			  e ? strerror(e) : "unknown error");
		errno = e;
		return -1;
	}
	return 0;
}

/* ---- writing ---- */

/* The run record for the output: the input's, marked when --dtype makes
 * it lossy (traj train --resume refuses such a stream). */
static cJSON *output_run(const struct snapshot *s)
{
	cJSON *run = cJSON_Duplicate(s->run, 1);
	if (run && s->o->dtype != TRAJ_F32 &&
	    !cJSON_GetObjectItemCaseSensitive(run, "lossy")) {
		cJSON *l = cJSON_AddObjectToObject(run, "lossy");
		if (!l || !cJSON_AddStringToObject(l, "dtype", dtype_name(s->o->dtype)) ||
		    !cJSON_AddStringToObject(l, "by", s->o->creator)) {
			cJSON_Delete(run);
			return NULL;
		}
	}
	return run;
}

static struct traj_writer *open_writer(struct snapshot *s, FILE *out,
				       const char *name, struct traj_error *err)
{
	cJSON *run = output_run(s);
	if (!run) {
		enomem(err);
		return NULL;
	}
	struct traj_writer *w = stream_writer_open(out, run, &s->o->wopts, err);
	cJSON_Delete(run);
	if (!w)
		traj_error_prefix(err, name);
	return w;
}

/* t, or its --dtype conversion in the snapshot's buffer. */
static int converted(struct snapshot *s, const struct traj_tensor *t,
		     struct traj_tensor *c)
{
	*c = *t;
	if (s->o->dtype == TRAJ_F32 || t->dtype != TRAJ_F32)
		return 0;
	size_t n = (size_t)tensor_numel(t), need = n * 2 + 1;
	if (need > s->conv_cap) {
		free(s->conv);
		s->conv_cap = need;
		if (!(s->conv = malloc(need))) {
			s->conv_cap = 0;
			return -1;
		}
	}
	dtype_convert_f32(t->data, n, s->o->dtype, s->conv);
	c->dtype = s->o->dtype;
	c->data = s->conv;
	c->borrowed = 1;
	return 0;
}

static int write_ckpt(struct snapshot *s, struct traj_writer *w, int64_t step,
		      const struct traj_tensor *t, int n, const cJSON *metrics,
		      const char *name, struct traj_error *err)
{
	if (stream_write_begin(w, step, count_wanted(s, t, n), metrics, err) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		struct traj_tensor c;
		if (!tensor_wanted(s, t[i].name))
			continue;
		if (converted(s, &t[i], &c) < 0)
			return enomem(err);
		if (stream_write_tensor(w, &c, err) < 0)
			goto fail;
	}
	if (stream_write_end(w, err) < 0)
		goto fail;
	return 0;
fail:
	traj_error_prefix(err, name);
	return -1;
}

/* --split: DIR/RUN-STEP.traj, a whole stream, written atomically. */
static int write_split(struct snapshot *s, int64_t step,
		       const struct traj_tensor *t, int n, const cJSON *metrics,
		       struct traj_error *err)
{
	struct atomic_file af;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s-%09lld.traj", s->o->split, s->run_id,
		 (long long)step);
	if (atomic_open(&af, path, err) < 0)
		return -1;
	struct traj_writer *w = open_writer(s, af.f, path, err);
	if (!w || write_ckpt(s, w, step, t, n, metrics, path, err) < 0) {
		stream_writer_free(w);
		atomic_abort(&af);
		return -1;
	}
	if (stream_writer_close(w, err) < 0 || atomic_commit(&af, err) < 0) {
		atomic_abort(&af);
		traj_error_prefix(err, path);
		return -1;
	}
	return 0;
}

static int emit(struct snapshot *s, int64_t step, const struct traj_tensor *t,
		int n, const cJSON *metrics, struct traj_error *err)
{
	if (s->o->split)
		return write_split(s, step, t, n, metrics, err);
	if (!s->w && !(s->w = open_writer(s, s->out, s->out_name, err)))
		return -1;
	return write_ckpt(s, s->w, step, t, n, metrics, s->out_name, err);
}

/* ---- --last ---- */

static void saved_clear(struct saved *v)
{
	for (int i = 0; i < v->n; i++)
		tensor_free(&v->t[i]);
	free(v->t);
	cJSON_Delete(v->metrics);
	memset(v, 0, sizeof *v);
}

static int save(struct snapshot *s, const struct traj_ckpt *c, int64_t stored,
		struct traj_error *err)
{
	struct saved *v = &s->last;
	saved_clear(v);
	v->t = calloc((size_t)c->ntensors + 1, sizeof *v->t);
	if (!v->t || (c->metrics && !(v->metrics = cJSON_Duplicate(c->metrics, 1))))
		return enomem(err);
	for (int i = 0; i < c->ntensors; i++) {
		const struct traj_tensor *t = &c->tensors[i];
		if (!tensor_wanted(s, t->name))
			continue;
		if (tensor_alloc(&v->t[v->n], t->name, t->dtype, t->rank, t->shape) < 0)
			return enomem(err);
		memcpy(v->t[v->n++].data, t->data, tensor_nbytes(t));
	}
	v->step = c->step;
	v->stored = stored;
	v->have = 1;
	return 0;
}

/* ---- reading ---- */

static const char *run_id_of(const cJSON *run)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "run");
	return cJSON_IsString(id) ? id->valuestring : "-";
}

/* One output run: every run record must equal the first. */
static int on_run(struct snapshot *s, const cJSON *run, const char *name,
		  struct traj_error *err)
{
	if (!s->run) {
		if (s->o->split && !stream_run_id_valid(run_id_of(run)))
			return traj_fail(err, TRAJ_EDATA, -1, "%s: run id '%s' cannot"
					 " name a file in '%s': 1..63 of A-Z a-z"
					 " 0-9 . _ + - are needed", name,
					 run_id_of(run), s->o->split);
		if (!(s->run = cJSON_Duplicate(run, 1)) ||
		    !(s->run_from = strdup(name)))
			return enomem(err);
		snprintf(s->run_id, sizeof s->run_id, "%s", run_id_of(run));
		return 0;
	}
	/* a listing names each run: cat a.traj b.traj is a valid stream */
	if (s->o->list && !cJSON_Compare(s->run, run, 1)) {
		cJSON *copy = cJSON_Duplicate(run, 1);
		if (!copy)
			return enomem(err);
		cJSON_Delete(s->run);
		s->run = copy;
		snprintf(s->run_id, sizeof s->run_id, "%s", run_id_of(run));
		s->have_step = 0;
		return 0;
	}
	if (!cJSON_Compare(s->run, run, 1))
		return traj_fail(err, TRAJ_EDATA, -1, "%s: run '%s' is not the run"
				 " '%s' of '%s'; concatenate only streams of one run",
				 name, run_id_of(run), s->run_id, s->run_from);
	return 0;
}

static int on_ckpt(struct snapshot *s, const struct traj_ckpt *c,
		   int64_t stored, struct traj_error *err)
{
	/* Joined streams (a resumed run) may repeat steps: keep the first. */
	if (s->have_step && c->step <= s->last_step)
		return 0;
	s->have_step = 1;
	s->last_step = c->step;
	if (!ckpt_select_wants(&s->sel, c->step))
		return 0;
	if (s->o->sel.last)
		return save(s, c, stored, err);
	if (s->o->list)
		return list_ckpt(s, c, stored, err);
	return emit(s, c->step, c->tensors, c->ntensors, c->metrics, err);
}

struct snapshot *snapshot_new(const struct snapshot_opts *opts, FILE *out,
			      const char *out_name)
{
	struct snapshot *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->o = opts;
	s->sel = opts->sel;
	s->out = out;
	s->out_name = out_name;
	return s;
}

int snapshot_read(struct snapshot *s, struct traj_reader *r, const char *name,
		  struct traj_error *err)
{
	int rec = 0;
	int64_t before = 0;
	while (!ckpt_select_done(&s->sel) && (rec = stream_read_next(r, err)) > 0) {
		int64_t after = stream_reader_offset(r);
		int bad = 0;
		if (rec == TRAJ_REC_RUN)
			bad = on_run(s, stream_reader_run(r), name, err);
		else if (rec == TRAJ_REC_CKPT)
			bad = on_ckpt(s, stream_reader_ckpt(r), after - before, err);
		if (bad)
			return -1;
		before = after;
	}
	if (!ckpt_select_done(&s->sel) && rec < 0) {
		traj_error_prefix(err, name);
		return -1;
	}
	return ckpt_select_done(&s->sel);
}

int snapshot_finish(struct snapshot *s, struct traj_error *err)
{
	struct saved *v = &s->last;
	struct traj_ckpt c = {v->step, 1, v->n, v->t, v->metrics};
	int bad = 0;
	/* --step N names one checkpoint: its absence is an error, as in
	 * traj diff, ablate and convert, not an empty stream */
	if (s->sel.lo == s->sel.hi && s->sel.kept == 0)
		return traj_fail(err, TRAJ_EDATA, -1, "no checkpoint at step %lld",
				 (long long)s->sel.lo);
	if (v->have && s->o->list)
		bad = list_ckpt(s, &c, v->stored, err);
	else if (v->have)
		bad = emit(s, v->step, v->t, v->n, v->metrics, err);
	saved_clear(v);
	if (bad || s->o->list || s->o->split)
		return bad;
	if (!s->w && s->run && !(s->w = open_writer(s, s->out, s->out_name, err)))
		return -1;
	if (s->w) {
		struct traj_writer *w = s->w;
		s->w = NULL;
		if (stream_writer_close(w, err) < 0) {
			traj_error_prefix(err, s->out_name);
			return -1;
		}
	}
	return 0;
}

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	stream_writer_free(s->w);
	saved_clear(&s->last);
	cJSON_Delete(s->run);
	free(s->run_from);
	free(s->conv);
	free(s);
}
