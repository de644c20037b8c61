#include "run/score_state.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/statefile.h"

#define MAGIC "traj-score-state"
#define FNV_START STATEFILE_FNV_START
#define HASH_TENSOR_MAX ((size_t)1 << 20) /* bytes of each tensor hashed */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	return statefile_fnv(h, p, n);
}

void scorestate_init(struct score_state *st)
{
	memset(st, 0, sizeof *st);
	strcpy(st->run, "-");
	st->run_at = st->key_at = -1;
	st->step = -1;
}

uint64_t scorestate_run_hash(const cJSON *run)
{
	char *text = run ? cJSON_PrintUnformatted(run) : NULL;
	uint64_t h = text ? fnv(FNV_START, text, strlen(text)) : 0;
	free(text);
	return h;
}

uint64_t scorestate_ckpt_hash(const struct traj_ckpt *c)
{
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%" PRId64 " %d", c->step, c->ntensors);
	uint64_t h = fnv(FNV_START, buf, (size_t)n);
	char *m = c->metrics ? cJSON_PrintUnformatted(c->metrics) : NULL;
	if (m)
		h = fnv(h, m, strlen(m));
	free(m);
	for (int i = 0; i < c->ntensors; i++) {
		const struct traj_tensor *t = &c->tensors[i];
		h = fnv(h, t->name, strlen(t->name) + 1);
		h = fnv(h, t->shape, (size_t)t->rank * sizeof t->shape[0]);
		size_t bytes = tensor_nbytes(t);
		if (t->data)
			h = fnv(h, t->data, bytes < HASH_TENSOR_MAX ? bytes : HASH_TENSOR_MAX);
	}
	return h;
}

uint64_t scorestate_identity(const struct score_state *st,
			     const struct traj_ckpt *first)
{
	uint64_t h[2] = {st->run_hash, scorestate_ckpt_hash(first)};
	return fnv(FNV_START, h, sizeof h);
}

int scorestate_note(struct score_state *st, const struct traj_reader *r,
		    int rec, struct traj_error *err)
{
	(void)err;
	if (rec == TRAJ_REC_RUN) {
		const cJSON *run = stream_reader_run(r);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "run");
		snprintf(st->run, sizeof st->run, "%s",
			 cJSON_IsString(id) ? id->valuestring : "-");
		st->run_hash = scorestate_run_hash(run);
		st->run_at = stream_reader_record_offset(r);
		st->key_at = -1;
		st->step = -1;
		st->ckpt_hash = 0;
	} else if (rec == TRAJ_REC_CKPT) {
		const struct traj_ckpt *c = stream_reader_ckpt(r);
		if (c->key)
			st->key_at = stream_reader_record_offset(r);
		st->step = c->step;
		st->ckpt_hash = scorestate_ckpt_hash(c);
		st->ckpts++;
	}
	st->next = stream_reader_offset(r);
	return 0;
}

/* ---- the file ---- */

int scorestate_save(const struct score_state *st, FILE *f,
		    struct traj_error *err)
{
	struct statefile_writer w;
	statefile_write_begin(&w, f, MAGIC, SCORE_STATE_VERSION);
	statefile_printf(&w, "run\t%s\t%016" PRIx64 "\t%" PRId64 "\n", st->run,
			 st->run_hash, st->run_at);
	statefile_printf(&w, "key\t%" PRId64 "\n", st->key_at);
	statefile_printf(&w, "next\t%" PRId64 "\t%" PRId64 "\t%016" PRIx64 "\t%" PRId64 "\n",
			 st->next, st->step, st->ckpt_hash, st->ckpts);
	return statefile_write_end(&w, NULL, err);
}

static int read_state(struct score_state *st, struct statefile_reader *r)
{
	if (statefile_next(r) < 0 || r->nfield != 4 || strcmp(r->field[0], "run") ||
	    strlen(r->field[1]) >= sizeof st->run ||
	    statefile_hex(r->field[2], &st->run_hash) ||
	    statefile_i64(r->field[3], -1, INT64_MAX, &st->run_at))
		return -1;
	strcpy(st->run, r->field[1]);
	if (statefile_next(r) < 0 || r->nfield != 2 || strcmp(r->field[0], "key") ||
	    statefile_i64(r->field[1], -1, INT64_MAX, &st->key_at))
		return -1;
	if (statefile_next(r) < 0 || r->nfield != 5 || strcmp(r->field[0], "next") ||
	    statefile_i64(r->field[1], 0, INT64_MAX, &st->next) ||
	    statefile_i64(r->field[2], -1, INT64_MAX, &st->step) ||
	    statefile_hex(r->field[3], &st->ckpt_hash) ||
	    statefile_i64(r->field[4], 0, INT64_MAX, &st->ckpts))
		return -1;
	if (statefile_next(r) < 0 || !statefile_at_end(r, 2))
		return -1;
	/* What the checksum cannot vouch for: offsets in order. */
	if (st->key_at > st->next || st->run_at >= st->next ||
	    (st->key_at >= 0 && st->key_at < st->run_at) ||
	    (st->step >= 0) != (st->key_at >= 0))
		return -1;
	return 0;
}

int scorestate_load(struct score_state *st, FILE *f, const char *name,
		    struct traj_error *err)
{
	struct statefile_reader r;
	scorestate_init(st);
	int rc = statefile_read_begin(&r, f, name, MAGIC, SCORE_STATE_VERSION,
				      "traj-score", err);
	if (rc == 0 && read_state(st, &r) < 0)
		rc = statefile_fail(&r, "damaged or truncated", err);
	statefile_read_free(&r);
	if (rc < 0)
		scorestate_init(st);
	return rc;
}

/* ---- going on ---- */

__attribute__((format(printf, 2, 3)))
static int other(struct traj_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err->status = TRAJ_EDATA;
	err->offset = -1;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return 0;
}

/* A reader's error while going on: the end of the program for what is not
 * about the data (memory, I/O); for the rest, another stream. */
static int read_failed(struct traj_error *err)
{
	if (err->status == TRAJ_ENOMEM || err->status == TRAJ_EFAIL)
		return -1;
	return other(err, "the stream changed (%s)", err->msg);
}

int scorestate_resume(struct traj_reader *r, const struct score_state *st,
		      struct traj_error *err)
{
	if (st->run_at < 0)
		return other(err, "the state records nothing");
	if (st->run_at > 0 && stream_reader_seek(r, st->run_at, err) < 0)
		return -1;
	int rec = stream_read_next(r, err);
	if (rec < 0)
		return read_failed(err);
	const cJSON *run = stream_reader_run(r);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "run");
	const char *run_id = cJSON_IsString(id) ? id->valuestring : "-";
	if (rec != TRAJ_REC_RUN || strcmp(run_id, st->run) ||
	    scorestate_run_hash(run) != st->run_hash)
		return other(err, "not the run it was written for (run '%s')", st->run);
	if (st->key_at >= 0 && stream_reader_seek(r, st->key_at, err) < 0)
		return -1;
	int64_t step = -1;
	uint64_t hash = 0;
	while (stream_reader_offset(r) < st->next) {
		rec = stream_read_next(r, err);
		if (rec < 0)
			return read_failed(err);
		if (rec == TRAJ_REC_EOF)
			return other(err, "the stream is shorter than it was (%lld bytes, %lld done)",
				     (long long)stream_reader_offset(r),
				     (long long)st->next);
		if (rec == TRAJ_REC_RUN)
			return other(err, "the stream changed (a run at byte %lld)",
				     (long long)stream_reader_record_offset(r));
		if (rec == TRAJ_REC_CKPT) {
			step = stream_reader_ckpt(r)->step;
			hash = scorestate_ckpt_hash(stream_reader_ckpt(r));
		}
	}
	if (stream_reader_offset(r) != st->next || step != st->step ||
	    hash != st->ckpt_hash)
		return other(err, "the stream changed (its checkpoint at step %lld is not the one scored)",
			     (long long)st->step);
	return 1;
}
