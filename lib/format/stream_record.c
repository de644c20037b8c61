/* Record primitives shared by the stream's writer and reader
 * (formats/traj-stream.md): little-endian fields, the header CRC-32,
 * duplicate JSON keys, and checked access to a record's JSON fields. */
#include "format/stream_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

uint32_t stream_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void stream_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* CRC-32 as in zlib, gzip and PNG (reflected polynomial 0xEDB88320), so
 * any language can check a header; chained like zlib's crc32(). Bitwise,
 * since headers are small. */
uint32_t stream_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0 - (crc & 1)));
	}
	return ~crc;
}

int stream_grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	uint8_t *p = realloc(*buf, need);
	if (!p)
		return -1;
	*buf = p;
	*cap = need;
	return 0;
}

/* Fills `msg` with "<kind> record at byte N: <detail>". */
int stream_record_fail(struct traj_error *err, enum traj_status status,
		int64_t at, const char *kind, const char *fmt, ...)
{
	char detail[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return traj_fail(err, status, at, "%s record at byte %lld: %s", kind,
			 (long long)at, detail);
}

/* ---- JSON field access: every failure names the field ---- */

const cJSON *stream_field(const struct record *rec, const char *key, int type,
		   const char *type_name, struct traj_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec->json, key);
	if (!v) {
		stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
			    "missing field '%s'", key);
		return NULL;
	}
	if (!(v->type & type)) {
		stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
			    "field '%s' must be %s", key, type_name);
		return NULL;
	}
	return v;
}

const char *stream_field_string(const struct record *rec, const char *key,
			 struct traj_error *err)
{
	const cJSON *v = stream_field(rec, key, cJSON_String, "a string", err);
	return v ? v->valuestring : NULL;
}

int stream_exact_int(const cJSON *v, int64_t lo, int64_t hi, int64_t *out)
{
	double d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > MAX_EXACT_INT ||
	    d < (double)lo || d > (double)hi)
		return -1;
	*out = (int64_t)d;
	return 0;
}

int stream_field_int(const struct record *rec, const char *key, int64_t lo,
	      int64_t hi, int64_t *out, struct traj_error *err)
{
	const cJSON *v = stream_field(rec, key, cJSON_Number, "a number", err);
	if (!v)
		return -1;
	if (stream_exact_int(v, lo, hi, out))
		return stream_record_fail(err, TRAJ_EDATA, rec->at, rec->kind,
				   "field '%s' must be an integer in %lld..%lld",
				   key, (long long)lo, (long long)hi);
	return 0;
}
