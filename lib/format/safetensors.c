#include "format/safetensors.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "common/jsontext.h"

static const char *const st_names[TRAJ_NDTYPES] = {
	[TRAJ_F32] = "F32", [TRAJ_F64] = "F64", [TRAJ_F16] = "F16",
	[TRAJ_BF16] = "BF16", [TRAJ_I8] = "I8", [TRAJ_I16] = "I16",
	[TRAJ_I32] = "I32", [TRAJ_I64] = "I64", [TRAJ_U8] = "U8",
};

static cJSON *header_json(const struct traj_tensor *t, int n,
			  const char *const *meta)
{
	cJSON *h = cJSON_CreateObject(), *m = NULL;
	int64_t off = 0;
	int ok = h != NULL;
	if (ok && meta && meta[0]) {
		ok = (m = cJSON_AddObjectToObject(h, "__metadata__")) != NULL;
		for (int i = 0; ok && meta[i] && meta[i + 1]; i += 2)
			ok = cJSON_AddStringToObject(m, meta[i], meta[i + 1]) != NULL;
	}
	for (int i = 0; ok && i < n; i++) {
		cJSON *e = cJSON_AddObjectToObject(h, t[i].name);
		cJSON *shape = e ? cJSON_AddArrayToObject(e, "shape") : NULL;
		cJSON *offs = shape ? cJSON_AddArrayToObject(e, "data_offsets") : NULL;
		ok = offs && cJSON_AddStringToObject(e, "dtype", st_names[t[i].dtype]);
		for (int d = 0; ok && d < t[i].rank; d++)
			ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t[i].shape[d]));
		int64_t end = off + (int64_t)tensor_nbytes(&t[i]);
		ok = ok && cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off)) &&
		     cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)end));
		off = end;
	}
	if (!ok) {
		cJSON_Delete(h);
		return NULL;
	}
	return h;
}

int safetensors_write(FILE *out, const struct traj_tensor *t, int n,
		      const char *const *meta, struct traj_error *err)
{
	cJSON *h = header_json(t, n, meta);
	char *text = h ? cJSON_PrintUnformatted(h) : NULL;
	cJSON_Delete(h);
	if (!text)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	size_t len = strlen(text), padded = (len + 7) / 8 * 8;
	unsigned char pre[8];
	for (int i = 0; i < 8; i++)
		pre[i] = (unsigned char)((uint64_t)padded >> (8 * i));
	int ok = fwrite(pre, 1, 8, out) == 8 && fwrite(text, 1, len, out) == len;
	for (size_t i = len; ok && i < padded; i++)
		ok = fputc(' ', out) != EOF;
	free(text);
	for (int i = 0; ok && i < n; i++)
		ok = fwrite(t[i].data, 1, tensor_nbytes(&t[i]), out) == tensor_nbytes(&t[i]);
	return ok ? 0 : traj_fail(err, TRAJ_EFAIL, -1, "write failed");
}

static int st_dtype(const char *s, enum traj_dtype *d)
{
	for (int i = 0; i < TRAJ_NDTYPES; i++)
		if (st_names[i] && strcmp(s, st_names[i]) == 0) {
			*d = (enum traj_dtype)i;
			return 0;
		}
	return -1;
}

static int exact_int(const cJSON *v, int64_t *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 0x1p53 ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return -1;
	*out = (int64_t)v->valuedouble;
	return 0;
}

/* One header entry into t (borrowing data from buf). */
static int entry(const cJSON *e, const unsigned char *data, size_t dlen,
		 struct traj_tensor *t, int64_t at, struct traj_error *err)
{
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
	const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
	const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
	int64_t b, end;
	if (!tensor_name_valid(e->string))
		return traj_fail(err, TRAJ_EDATA, at, "'%s' is not a valid tensor name", e->string);
	if (!cJSON_IsString(dt) || st_dtype(dt->valuestring, &t->dtype) < 0)
		return traj_fail(err, TRAJ_EDATA, at, "%s: bad or unsupported dtype", e->string);
	if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) > TRAJ_MAX_RANK)
		return traj_fail(err, TRAJ_EDATA, at, "%s: bad shape", e->string);
	t->rank = 0;
	for (const cJSON *d = shape->child; d; d = d->next)
		if (exact_int(d, &t->shape[t->rank++]) < 0)
			return traj_fail(err, TRAJ_EDATA, at, "%s: bad shape", e->string);
	if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
	    exact_int(offs->child, &b) < 0 || exact_int(offs->child->next, &end) < 0 ||
	    b > end || (uint64_t)end > dlen)
		return traj_fail(err, TRAJ_EDATA, at, "%s: data_offsets outside the data"
				 " (%zu bytes): truncated?", e->string, dlen);
	int64_t n = tensor_numel_checked(t->rank, t->shape, INT64_MAX / 8);
	if (n < 0 || n * (int64_t)dtype_size(t->dtype) != end - b)
		return traj_fail(err, TRAJ_EDATA, at, "%s: the shape needs %lld bytes,"
				 " data_offsets give %lld", e->string,
				 (long long)(n < 0 ? -1 : n * (int64_t)dtype_size(t->dtype)),
				 (long long)(end - b));
	snprintf(t->name, sizeof t->name, "%s", e->string);
	t->data = (void *)(data + b);
	t->borrowed = 1;
	return 0;
}

/* Bytes of the header and its JSON object, after every check that does
 * not look inside the entries: text (jsontext), one object and nothing
 * after it but the padding, no key twice, __metadata__ strings only. */
static cJSON *parse_header(const unsigned char *buf, size_t len, size_t *hlen,
			   struct traj_error *err)
{
	uint64_t hl = 0;
	if (len < 8) {
		traj_fail(err, TRAJ_EDATA, 0, "truncated: no header length");
		return NULL;
	}
	for (int i = 7; i >= 0; i--)
		hl = hl << 8 | buf[i];
	if (hl < 2 || hl > len - 8 || hl > 100u << 20 || buf[8] != '{') {
		traj_fail(err, TRAJ_EDATA, 0, "not a safetensors file (header"
			  " length %llu, file %zu bytes)", (unsigned long long)hl, len);
		return NULL;
	}
	const char *text = (const char *)buf + 8, *why, *end = NULL;
	size_t pos;
	if (json_text_check(text, (size_t)hl, JSON_MAX_DEPTH, &why, &pos) < 0) {
		traj_fail(err, TRAJ_EDATA, 8 + (int64_t)pos, "header: %s", why);
		return NULL;
	}
	cJSON *h = cJSON_ParseWithLengthOpts(text, (size_t)hl, &end, 0);
	if (!cJSON_IsObject(h)) {
		traj_fail(err, TRAJ_EDATA, 8 + (h || !end ? 0 : end - text),
			  "header is not a JSON object");
		cJSON_Delete(h);
		return NULL;
	}
	/* the padding: spaces (JSON whitespace), as the reference reader allows */
	for (const char *p = end; p < text + hl; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			traj_fail(err, TRAJ_EDATA, 8 + (p - text),
				  "header: bytes after its JSON object");
			cJSON_Delete(h);
			return NULL;
		}
	int enomem = 0;
	const char *dup = json_duplicate_key(h, &enomem);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(h, "__metadata__");
	int bad_meta = m && !cJSON_IsObject(m);
	for (const cJSON *v = m ? m->child : NULL; v && !bad_meta; v = v->next)
		bad_meta = !cJSON_IsString(v);
	if (enomem || dup || bad_meta) {
		if (enomem)
			traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		else if (dup)
			traj_fail(err, TRAJ_EDATA, 8, "header: key '%.64s' twice", dup);
		else
			traj_fail(err, TRAJ_EDATA, 8, "header: __metadata__ is not"
				  " an object of strings");
		cJSON_Delete(h);
		return NULL;
	}
	*hlen = (size_t)hl;
	return h;
}

struct span {
	int64_t b, e;
	const char *name;
};

static int by_begin(const void *x, const void *y)
{
	const struct span *a = x, *b = y;
	return a->b < b->b ? -1 : a->b > b->b ? 1 : (a->e > b->e) - (a->e < b->e);
}

/* The data must be covered exactly once: sorted by offset, each tensor
 * begins where the one before ends, the last ends at the end of the
 * file. No gap can hide other bytes, no two tensors share bytes. */
static int check_spans(struct span *s, int n, size_t dlen, struct traj_error *err)
{
	if (n > 1) /* qsort of NULL, 0 is undefined */
		qsort(s, (size_t)n, sizeof *s, by_begin);
	int64_t at = 0;
	for (int i = 0; i < n; i++) {
		if (s[i].b != at)
			return traj_fail(err, TRAJ_EDATA, 8, "%s: data_offsets [%lld, %lld]:"
					 " %s at byte %lld of the data", s[i].name,
					 (long long)s[i].b, (long long)s[i].e,
					 s[i].b < at ? "overlaps the tensor that ends"
						     : "a gap after the tensor that ends",
					 (long long)at);
		at = s[i].e;
	}
	if ((uint64_t)at != dlen)
		return traj_fail(err, TRAJ_EDATA, 8, "the tensors cover %lld bytes of"
				 " the data, the file has %zu after the header",
				 (long long)at, dlen);
	return 0;
}

int safetensors_read(const unsigned char *buf, size_t len, st_visit visit,
		     void *ctx, struct traj_error *err)
{
	size_t hl;
	cJSON *h = parse_header(buf, len, &hl, err);
	if (!h)
		return -1;
	const unsigned char *data = buf + 8 + hl;
	size_t dlen = len - 8 - hl;
	struct span *spans = NULL;
	int n = 0, cap = 0, r = 0;
	/* every entry checked before any is visited; the spans grow with
	 * valid entries only (each at least ~40 bytes of header) */
	for (const cJSON *e = h->child; e && r == 0; e = e->next) {
		struct traj_tensor t = {0};
		if (strcmp(e->string, "__metadata__") == 0)
			continue;
		if (!cJSON_IsObject(e)) {
			r = traj_fail(err, TRAJ_EDATA, 8, "%s: not an object", e->string);
			break;
		}
		if ((r = entry(e, data, dlen, &t, 8, err)) < 0)
			break;
		if (n == cap) {
			int c = cap ? 2 * cap : 16;
			struct span *g = realloc(spans, (size_t)c * sizeof *g);
			if (!g) {
				r = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
				break;
			}
			spans = g;
			cap = c;
		}
		spans[n].b = (const unsigned char *)t.data - data;
		spans[n].e = spans[n].b + (int64_t)tensor_nbytes(&t);
		spans[n++].name = e->string;
	}
	if (r == 0)
		r = check_spans(spans, n, dlen, err);
	for (const cJSON *e = h->child; e && r == 0; e = e->next) {
		struct traj_tensor t = {0};
		if (strcmp(e->string, "__metadata__") != 0 &&
		    (r = entry(e, data, dlen, &t, 8, err)) == 0)
			r = visit(&t, ctx, err);
	}
	free(spans);
	cJSON_Delete(h);
	return r;
}

int safetensors_metadata(const unsigned char *buf, size_t len, const char *key,
			 char **out, struct traj_error *err)
{
	size_t hl;
	*out = NULL;
	cJSON *h = parse_header(buf, len, &hl, err);
	if (!h)
		return -1;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(h, "__metadata__");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);
	int r = 0;
	if (cJSON_IsString(v) && !(*out = strdup(v->valuestring)))
		r = traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	cJSON_Delete(h);
	return r;
}
