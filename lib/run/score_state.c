#include "run/score_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "traj-score-state"
#define FNV_START 1469598103934665603ULL
#define HASH_TENSOR_MAX ((size_t)1 << 20) /* bytes of each tensor hashed */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
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

struct writer { FILE *f; uint64_t sum; };

__attribute__((format(printf, 2, 3)))
static void out(struct writer *w, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		n = 0; /* cannot happen: a run id is at most 63 bytes */
	w->sum = fnv(w->sum, buf, (size_t)n);
	fwrite(buf, 1, (size_t)n, w->f);
}

int scorestate_save(const struct score_state *st, FILE *f,
		    struct traj_error *err)
{
	struct writer w = {f, FNV_START};
	out(&w, "%s %d\n", MAGIC, SCORE_STATE_VERSION);
	out(&w, "run\t%s\t%016" PRIx64 "\t%" PRId64 "\n", st->run, st->run_hash,
	    st->run_at);
	out(&w, "key\t%" PRId64 "\n", st->key_at);
	out(&w, "next\t%" PRId64 "\t%" PRId64 "\t%016" PRIx64 "\t%" PRId64 "\n",
	    st->next, st->step, st->ckpt_hash, st->ckpts);
	fprintf(f, "end\t%016" PRIx64 "\n", w.sum);
	if (fflush(f) != 0 || ferror(f))
		return traj_fail(err, TRAJ_EFAIL, -1, "cannot write the state: %s",
				 strerror(errno));
	return 0;
}

/* The next line of f split at tabs into at most `max` fields; the number
 * of fields, or -1 at the end, on a line without its newline or a line
 * too long. */
static int fields(FILE *f, char *line, size_t cap, char **field, int max,
		  uint64_t *sum)
{
	if (!fgets(line, (int)cap, f))
		return -1;
	size_t n = strlen(line);
	if (sum)
		*sum = fnv(*sum, line, n);
	if (n == 0 || line[n - 1] != '\n')
		return -1;
	line[n - 1] = '\0';
	int k = 0;
	for (char *p = line; k < max;) {
		field[k++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	return k;
}

static int get_i64(const char *t, int64_t lo, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(t, &end, 10);
	if (end == t || *end || errno || x < lo)
		return -1;
	*v = x;
	return 0;
}

static int get_hex(const char *t, uint64_t *v)
{
	char *end;
	errno = 0;
	if (strlen(t) != 16)
		return -1;
	unsigned long long x = strtoull(t, &end, 16);
	if (*end || errno)
		return -1;
	*v = x;
	return 0;
}

int scorestate_load(struct score_state *st, FILE *f, const char *name,
		    struct traj_error *err)
{
	char line[512], *fl[8], expect[32];
	uint64_t sum = FNV_START;
	int version, lineno = 1;
	scorestate_init(st);
	const char *why = "not a traj-score state file";
	if (fields(f, line, sizeof line, fl, 8, &sum) != 1 ||
	    sscanf(line, MAGIC " %d", &version) != 1)
		goto fail;
	if (version > SCORE_STATE_VERSION) {
		traj_fail(err, TRAJ_EDATA, -1,
			  "%s: state format version %d is newer than this traj-score's (%d)",
			  name, version, SCORE_STATE_VERSION);
		return -1;
	}
	why = "damaged or truncated";
	lineno++;
	if (fields(f, line, sizeof line, fl, 8, &sum) != 4 || strcmp(fl[0], "run") ||
	    strlen(fl[1]) >= sizeof st->run || get_hex(fl[2], &st->run_hash) ||
	    get_i64(fl[3], -1, &st->run_at))
		goto fail;
	strcpy(st->run, fl[1]);
	lineno++;
	if (fields(f, line, sizeof line, fl, 8, &sum) != 2 || strcmp(fl[0], "key") ||
	    get_i64(fl[1], -1, &st->key_at))
		goto fail;
	lineno++;
	if (fields(f, line, sizeof line, fl, 8, &sum) != 5 || strcmp(fl[0], "next") ||
	    get_i64(fl[1], 0, &st->next) || get_i64(fl[2], -1, &st->step) ||
	    get_hex(fl[3], &st->ckpt_hash) || get_i64(fl[4], 0, &st->ckpts))
		goto fail;
	lineno++;
	snprintf(expect, sizeof expect, "%016" PRIx64, sum);
	if (fields(f, line, sizeof line, fl, 8, NULL) != 2 || strcmp(fl[0], "end") ||
	    strcmp(fl[1], expect) || getc(f) != EOF)
		goto fail;
	/* What the checksum cannot vouch for: offsets in order. */
	if (st->key_at > st->next || st->run_at >= st->next ||
	    (st->key_at >= 0 && st->key_at < st->run_at) ||
	    (st->step >= 0) != (st->key_at >= 0))
		goto fail;
	return 0;
fail:
	scorestate_init(st);
	return traj_fail(err, TRAJ_EDATA, -1, "%s: line %d: %s", name, lineno, why);
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
