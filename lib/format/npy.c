#include "format/npy.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/halfprec.h"

static const char magic[6] = "\x93NUMPY";

/* NumPy's dtype strings; bf16 has none. */
static const char *descr_of(enum traj_dtype d)
{
	switch (d) {
	case TRAJ_F32: case TRAJ_BF16: return "<f4";
	case TRAJ_F64: return "<f8";
	case TRAJ_F16: return "<f2";
	case TRAJ_I8: return "|i1";
	case TRAJ_I16: return "<i2";
	case TRAJ_I32: return "<i4";
	case TRAJ_I64: return "<i8";
	case TRAJ_U8: return "|u1";
	default: return NULL;
	}
}

static int dtype_of_descr(const char *s, enum traj_dtype *d)
{
	static const struct { const char *descr; enum traj_dtype d; } tab[] = {
		{"<f4", TRAJ_F32}, {"<f8", TRAJ_F64}, {"<f2", TRAJ_F16},
		{"|i1", TRAJ_I8}, {"<i1", TRAJ_I8}, {"<i2", TRAJ_I16},
		{"<i4", TRAJ_I32}, {"<i8", TRAJ_I64}, {"|u1", TRAJ_U8},
		{"<u1", TRAJ_U8},
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(s, tab[i].descr) == 0) {
			*d = tab[i].d;
			return 0;
		}
	return -1;
}

/* The header dict, padded so that 10 + its length is a multiple of 64. */
static size_t header_text(const struct traj_tensor *t, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "{'descr': '%s', 'fortran_order': False, 'shape': (",
			 descr_of(t->dtype));
	/* as Python prints a tuple: (), (11,), (22, 32) */
	for (int d = 0; d < t->rank; d++)
		n += snprintf(buf + n, cap - (size_t)n, "%s%lld%s", d ? ", " : "",
			      (long long)t->shape[d], t->rank == 1 ? "," : "");
	n += snprintf(buf + n, cap - (size_t)n, "), }");
	size_t total = ((size_t)n + 1 + 10 + 63) / 64 * 64 - 10;
	memset(buf + n, ' ', total - 1 - (size_t)n);
	buf[total - 1] = '\n';
	return total;
}

size_t npy_size(const struct traj_tensor *t)
{
	char h[512];
	size_t n = (size_t)tensor_numel(t);
	return 10 + header_text(t, h, sizeof h) +
	       n * (t->dtype == TRAJ_BF16 ? 4 : dtype_size(t->dtype));
}

int npy_write(FILE *out, const struct traj_tensor *t, struct traj_error *err)
{
	char h[512];
	if (!descr_of(t->dtype))
		return traj_fail(err, TRAJ_EINTERNAL, -1, "%s: no npy dtype", t->name);
	size_t hl = header_text(t, h, sizeof h), n = (size_t)tensor_numel(t);
	unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
				 (unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
	int ok = fwrite(pre, 1, 10, out) == 10 && fwrite(h, 1, hl, out) == hl;
	if (ok && t->dtype == TRAJ_BF16) {
		const uint16_t *v = t->data;
		for (size_t i = 0; ok && i < n; i++) {
			float f = half_bf16_to_f32(v[i]);
			ok = fwrite(&f, 4, 1, out) == 1;
		}
	} else if (ok) {
		ok = fwrite(t->data, dtype_size(t->dtype), n, out) == n;
	}
	return ok ? 0 : traj_fail(err, TRAJ_EFAIL, -1, "write failed");
}

/* ---- parsing the header dict ---- */

/* The value text after 'key': in the dict, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
	char pat[32];
	snprintf(pat, sizeof pat, "'%s':", key);
	const char *p = strstr(dict, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	return p;
}

static int parse_shape(const char *p, struct traj_tensor *t)
{
	if (*p++ != '(')
		return -1;
	t->rank = 0;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == ')')
			return 0;
		if (!isdigit((unsigned char)*p) || t->rank == TRAJ_MAX_RANK)
			return -1;
		char *end;
		long long v = strtoll(p, &end, 10);
		if (v < 0 || v > INT64_MAX / 2)
			return -1;
		t->shape[t->rank++] = v;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p != ')')
			return -1;
	}
}

static int parse_dict(const char *dict, struct traj_tensor *t, const char **why)
{
	const char *descr = dict_value(dict, "descr");
	const char *fo = dict_value(dict, "fortran_order");
	const char *shape = dict_value(dict, "shape");
	char ds[8] = "";
	if (!descr || !fo || !shape) {
		*why = "header lacks descr, fortran_order or shape";
		return -1;
	}
	if (*descr != '\'' || !strchr(descr + 1, '\'') ||
	    strchr(descr + 1, '\'') - descr - 1 >= (long)sizeof ds) {
		*why = "descr is not a simple dtype";
		return -1;
	}
	memcpy(ds, descr + 1, (size_t)(strchr(descr + 1, '\'') - descr - 1));
	if (dtype_of_descr(ds, &t->dtype) < 0) {
		*why = "unsupported dtype (f2, f4, f8, i1, i2, i4, i8, u1, little-endian)";
		return -1;
	}
	if (strncmp(fo, "False", 5) != 0) {
		*why = "Fortran order is not supported";
		return -1;
	}
	if (parse_shape(shape, t) < 0) {
		*why = "bad shape";
		return -1;
	}
	return 0;
}

int npy_parse(const unsigned char *buf, size_t len, const char *name,
	      struct traj_tensor *t, struct traj_error *err)
{
	const char *why;
	size_t hl, start;
	if (len < 10 || memcmp(buf, magic, 6) != 0)
		return traj_fail(err, TRAJ_EDATA, 0, "not a .npy file (bad magic)");
	if (buf[6] == 1) {
		hl = buf[8] | (size_t)buf[9] << 8;
		start = 10;
	} else if ((buf[6] == 2 || buf[6] == 3) && len >= 12) {
		hl = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
		start = 12;
	} else {
		return traj_fail(err, TRAJ_EDATA, 6, "unsupported .npy version %d.%d",
				 buf[6], buf[7]);
	}
	if (hl > len - start || hl > 65536)
		return traj_fail(err, TRAJ_EDATA, 8, "truncated header");
	char *dict = malloc(hl + 1);
	if (!dict)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	memcpy(dict, buf + start, hl);
	dict[hl] = 0;
	struct traj_tensor h = {0};
	int bad = parse_dict(dict, &h, &why);
	free(dict);
	if (bad)
		return traj_fail(err, TRAJ_EDATA, (int64_t)start, "%s", why);
	int64_t n = tensor_numel_checked(h.rank, h.shape, INT64_MAX / 8);
	size_t data = start + hl;
	if (n < 0)
		return traj_fail(err, TRAJ_EDATA, (int64_t)start, "shape too large");
	size_t need = (size_t)n * dtype_size(h.dtype);
	if (need != len - data)
		return traj_fail(err, TRAJ_EDATA, (int64_t)data, "the shape needs %zu"
				 " bytes of data, the file has %zu", need, len - data);
	if (!tensor_name_valid(name))
		return traj_fail(err, TRAJ_EDATA, -1, "'%s' is not a valid tensor name", name);
	if (tensor_alloc(t, name, h.dtype, h.rank, h.shape) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	memcpy(t->data, buf + data, need);
	return 0;
}
