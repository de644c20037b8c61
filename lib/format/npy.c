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

/* The dict is a Python literal that numpy reads with ast.literal_eval;
 * this reads the subset numpy writes, exactly: {'descr': '<f4',
 * 'fortran_order': False, 'shape': (2, 3), } then spaces and a newline.
 * Anything two readers could read differently is refused: a key twice
 * (Python keeps the last), a key numpy refuses, bytes after the dict,
 * (3) for (3,), escapes, NUL or non-ASCII bytes. */
struct dict_parse {
	const char *s;
	size_t len, i;
	const char *why; /* the error, at byte i of the dict */
	char why_buf[96];
};

static int fail_at(struct dict_parse *p, const char *why)
{
	p->why = why;
	return -1;
}

static void skip_ws(struct dict_parse *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
				 p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int expect(struct dict_parse *p, char c)
{
	skip_ws(p);
	if (p->i >= p->len || p->s[p->i] != c) {
		snprintf(p->why_buf, sizeof p->why_buf, "'%c' expected", c);
		return fail_at(p, p->why_buf);
	}
	p->i++;
	return 0;
}

/* A quoted string without escapes into out[0 .. cap). */
static int py_string(struct dict_parse *p, char *out, size_t cap)
{
	skip_ws(p);
	if (p->i >= p->len || (p->s[p->i] != '\'' && p->s[p->i] != '"'))
		return fail_at(p, "a quoted string expected");
	char q = p->s[p->i++];
	size_t n = 0;
	for (;; p->i++) {
		if (p->i >= p->len)
			return fail_at(p, "unterminated string");
		unsigned char c = (unsigned char)p->s[p->i];
		if (c == (unsigned char)q)
			break;
		if (c == '\\')
			return fail_at(p, "escape in a string (not written by numpy)");
		if (c < ' ' || c > '~')
			return fail_at(p, c ? "control or non-ASCII byte in a string"
					    : "NUL byte in a string");
		if (n + 1 >= cap)
			return fail_at(p, "string too long");
		out[n++] = (char)c;
	}
	p->i++;
	out[n] = '\0';
	return 0;
}

static int py_bool(struct dict_parse *p, int *v)
{
	skip_ws(p);
	const char *w = p->s + p->i;
	size_t left = p->len - p->i, n;
	if (left >= 4 && memcmp(w, "True", 4) == 0)
		n = 4, *v = 1;
	else if (left >= 5 && memcmp(w, "False", 5) == 0)
		n = 5, *v = 0;
	else
		return fail_at(p, "True or False expected");
	if (n < left && (isalnum((unsigned char)w[n]) || w[n] == '_'))
		return fail_at(p, "True or False expected");
	p->i += n;
	return 0;
}

/* A tuple of non-negative integers as Python writes it: (), (3,), (2, 3). */
static int py_shape(struct dict_parse *p, struct traj_tensor *t)
{
	if (expect(p, '('))
		return -1;
	t->rank = 0;
	int comma = 0;
	for (;;) {
		skip_ws(p);
		if (p->i < p->len && p->s[p->i] == ')')
			break;
		if (t->rank && !comma)
			return fail_at(p, "',' or ')' expected in shape");
		if (p->i >= p->len || !isdigit((unsigned char)p->s[p->i]))
			return fail_at(p, "shape: an integer expected");
		if (t->rank == TRAJ_MAX_RANK)
			return fail_at(p, "shape: rank too large");
		if (p->s[p->i] == '0' && p->i + 1 < p->len &&
		    isdigit((unsigned char)p->s[p->i + 1]))
			return fail_at(p, "shape: leading zero (not Python)");
		int64_t v = 0;
		for (; p->i < p->len && isdigit((unsigned char)p->s[p->i]); p->i++) {
			if (v > INT64_MAX / 20)
				return fail_at(p, "shape: dimension too large");
			v = v * 10 + (p->s[p->i] - '0');
		}
		t->shape[t->rank++] = v;
		skip_ws(p);
		comma = p->i < p->len && p->s[p->i] == ',';
		if (comma)
			p->i++;
	}
	if (t->rank == 1 && !comma)
		return fail_at(p, "shape: (n) is not a tuple, (n,) is");
	p->i++;
	return 0;
}

enum { K_DESCR, K_FORTRAN, K_SHAPE, NKEYS };
static const char *const key_names[NKEYS] = {"descr", "fortran_order", "shape"};

static int parse_dict(struct dict_parse *p, struct traj_tensor *t)
{
	int seen[NKEYS] = {0}, fortran = 0;
	char key[32], descr[16];
	if (expect(p, '{'))
		return -1;
	for (;;) {
		skip_ws(p);
		if (p->i < p->len && p->s[p->i] == '}')
			break;
		size_t at = p->i;
		if (py_string(p, key, sizeof key))
			return -1;
		int k = 0;
		while (k < NKEYS && strcmp(key, key_names[k]) != 0)
			k++;
		if (k == NKEYS) {
			p->i = at;
			snprintf(p->why_buf, sizeof p->why_buf, "unknown key '%s'"
				 " (numpy refuses it)", key);
			return fail_at(p, p->why_buf);
		}
		if (seen[k]++) {
			p->i = at;
			snprintf(p->why_buf, sizeof p->why_buf, "key '%s' twice", key);
			return fail_at(p, p->why_buf);
		}
		if (expect(p, ':'))
			return -1;
		int r = k == K_DESCR ? py_string(p, descr, sizeof descr)
		      : k == K_FORTRAN ? py_bool(p, &fortran) : py_shape(p, t);
		if (r)
			return -1;
		skip_ws(p);
		if (p->i < p->len && p->s[p->i] == ',')
			p->i++;
		else if (p->i >= p->len || p->s[p->i] != '}')
			return fail_at(p, "',' or '}' expected");
	}
	p->i++;
	skip_ws(p);
	if (p->i < p->len)
		return fail_at(p, p->s[p->i] ? "bytes after the header dict"
					     : "NUL byte after the header dict");
	for (int k = 0; k < NKEYS; k++)
		if (!seen[k]) {
			snprintf(p->why_buf, sizeof p->why_buf, "the header lacks '%s'",
				 key_names[k]);
			return fail_at(p, p->why_buf);
		}
	if (dtype_of_descr(descr, &t->dtype) < 0)
		return fail_at(p, "unsupported dtype (f2, f4, f8, i1, i2, i4, i8, u1,"
			       " little-endian)");
	if (fortran)
		return fail_at(p, "Fortran order is not supported");
	return 0;
}

int npy_parse(const unsigned char *buf, size_t len, const char *name,
	      struct traj_tensor *t, struct traj_error *err)
{
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
	struct traj_tensor h = {0};
	struct dict_parse p = {.s = (const char *)buf + start, .len = hl};
	if (parse_dict(&p, &h) < 0)
		return traj_fail(err, TRAJ_EDATA, (int64_t)(start + p.i),
				 "npy header: %s", p.why);
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
