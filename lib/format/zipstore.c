#include "format/zipstore.h"

#include <stdlib.h>
#include <string.h>

#include "format/stream.h" /* stream_crc32: the CRC-32 of zip too */

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_LOCATOR64 0x07064b50u

static void put16(unsigned char *p, unsigned v) { p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; }
static void put32(unsigned char *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }
static unsigned get16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }
static uint32_t get32(const unsigned char *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

void zip_writer_init(struct zip_writer *z, FILE *f)
{
	memset(z, 0, sizeof *z);
	z->f = f;
}

void zip_writer_free(struct zip_writer *z)
{
	for (int i = 0; i < z->n; i++)
		free(z->e[i].name);
	free(z->e);
	z->e = NULL;
	z->n = z->cap = 0;
}

static int put(struct zip_writer *z, const void *p, size_t n, struct traj_error *err)
{
	if (fwrite(p, 1, n, z->f) != n)
		return traj_fail(err, TRAJ_EFAIL, -1, "write failed");
	z->pos += (int64_t)n;
	return 0;
}

/* The fields shared by local and central headers, from "version needed":
 * version 2.0, no flags, stored, time and date 0, CRC, sizes, name length. */
static void common(unsigned char *p, const struct zip_entry_rec *e, size_t namelen)
{
	put16(p, 20);
	put16(p + 2, 0);
	put16(p + 4, 0);
	put32(p + 6, 0);
	put32(p + 10, e->crc);
	put32(p + 14, e->size);
	put32(p + 18, e->size);
	put16(p + 22, (unsigned)namelen);
	put16(p + 24, 0);
}

int zip_add(struct zip_writer *z, const char *name, const void *data,
	    size_t len, struct traj_error *err)
{
	size_t nl = strlen(name);
	if (len >= UINT32_MAX || z->pos + (int64_t)len + 30 + (int64_t)nl >= UINT32_MAX ||
	    nl > 0xffff || z->n == INT32_MAX)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: too large for a zip without ZIP64", name);
	if (z->n == z->cap) {
		int cap = z->cap ? 2 * z->cap : 16;
		struct zip_entry_rec *e = realloc(z->e, (size_t)cap * sizeof *e);
		if (!e)
			return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		z->e = e;
		z->cap = cap;
	}
	struct zip_entry_rec *e = &z->e[z->n];
	if (!(e->name = strdup(name)))
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	z->n++;
	e->crc = stream_crc32(0, data, len);
	e->size = (uint32_t)len;
	e->offset = (uint32_t)z->pos;
	unsigned char h[30];
	put32(h, SIG_LOCAL);
	common(h + 4, e, nl);
	return put(z, h, 30, err) || put(z, name, nl, err) || put(z, data, len, err) ? -1 : 0;
}

int zip_finish(struct zip_writer *z, struct traj_error *err)
{
	int64_t start = z->pos;
	for (int i = 0; i < z->n; i++) {
		unsigned char h[46] = {0};
		size_t nl = strlen(z->e[i].name);
		put32(h, SIG_CENTRAL);
		put16(h + 4, 20); /* version made by */
		common(h + 6, &z->e[i], nl);
		put32(h + 42, z->e[i].offset); /* comment, disk, attributes: 0 */
		if (put(z, h, 46, err) || put(z, z->e[i].name, nl, err))
			return -1;
	}
	if (z->pos >= UINT32_MAX)
		return traj_fail(err, TRAJ_EDATA, -1, "too large for a zip without ZIP64");
	uint64_t n = (uint64_t)z->n, size = (uint64_t)(z->pos - start);
	if (n > 0xffff) {
		/* more entries than the end record counts: the ZIP64 end
		 * record and its locator (APPNOTE 4.3.14, 4.3.15) */
		unsigned char r[56 + 20] = {0};
		put32(r, SIG_END64);
		put32(r + 4, 44); /* the record's size after this field */
		put16(r + 12, 45); /* version made by, needed: 4.5 */
		put16(r + 14, 45);
		put32(r + 24, (uint32_t)n); /* entries below 2^31 */
		put32(r + 32, (uint32_t)n);
		put32(r + 40, (uint32_t)size);
		put32(r + 48, (uint32_t)start);
		put32(r + 56, SIG_LOCATOR64);
		put32(r + 56 + 8, (uint32_t)z->pos); /* the ZIP64 end record */
		put32(r + 56 + 16, 1);                /* disks */
		if (put(z, r, sizeof r, err))
			return -1;
		n = 0xffff;
	}
	unsigned char end[22] = {0};
	put32(end, SIG_END);
	put16(end + 8, (unsigned)n);
	put16(end + 10, (unsigned)n);
	put32(end + 12, (uint32_t)size);
	put32(end + 16, (uint32_t)start);
	int r = put(z, end, 22, err);
	zip_writer_free(z);
	return r;
}

/* ---- reading ---- */

/* The archive as the end records describe it: where the central
 * directory is, how long, how many entries. */
struct zip_dir {
	uint64_t n, size, off;
	size_t end; /* where the central directory must end: the first end record */
};

static uint64_t get64(const unsigned char *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The end of central directory record: the last signature, whose comment
 * reaches exactly to the end of the file (anything after it is junk). */
static int find_end(const unsigned char *buf, size_t len, size_t *at,
		    struct traj_error *err)
{
	if (len < 22)
		return traj_fail(err, TRAJ_EDATA, (int64_t)len,
				 "truncated: no end of central directory");
	size_t lo = len > 22 + 0xffff ? len - 22 - 0xffff : 0;
	for (size_t i = len - 22 + 1; i-- > lo;)
		if (get32(buf + i) == SIG_END) {
			size_t clen = get16(buf + i + 20);
			if (i + 22 + clen != len)
				return traj_fail(err, TRAJ_EDATA, (int64_t)i,
						 "end of central directory: its comment"
						 " of %zu bytes does not reach the end of"
						 " the file (%zu bytes after it)", clen,
						 len - i - 22);
			*at = i;
			return 0;
		}
	return traj_fail(err, TRAJ_EDATA, (int64_t)len,
			 "truncated: no end of central directory");
}

/* The ZIP64 end of central directory record that the locator just
 * before the end record points to (APPNOTE 4.3.14, 4.3.15). */
static int read_zip64_end(const unsigned char *buf, size_t e, struct zip_dir *d,
			  struct traj_error *err)
{
	size_t loc = e - 20;
	uint64_t at = get64(buf + loc + 8);
	if (get32(buf + loc + 4) != 0 || get32(buf + loc + 16) != 1)
		return traj_fail(err, TRAJ_EDATA, (int64_t)loc,
				 "ZIP64 locator: a multi-disk archive");
	if (at > loc || loc - at < 56 || get32(buf + at) != SIG_END64)
		return traj_fail(err, TRAJ_EDATA, (int64_t)loc,
				 "ZIP64 locator: no ZIP64 end record at byte %llu",
				 (unsigned long long)at);
	const unsigned char *r = buf + at;
	if (get64(r + 4) != loc - at - 12)
		return traj_fail(err, TRAJ_EDATA, (int64_t)at + 4,
				 "ZIP64 end record of %llu bytes, %llu before the locator",
				 (unsigned long long)get64(r + 4),
				 (unsigned long long)(loc - at - 12));
	if (get32(r + 16) != 0 || get32(r + 20) != 0 || get64(r + 24) != get64(r + 32))
		return traj_fail(err, TRAJ_EDATA, (int64_t)at + 16,
				 "ZIP64 end record: a multi-disk archive");
	d->n = get64(r + 32);
	d->size = get64(r + 40);
	d->off = get64(r + 48);
	d->end = (size_t)at;
	return 0;
}

static int read_dir(const unsigned char *buf, size_t len, struct zip_dir *d,
		    struct traj_error *err)
{
	size_t e = 0;
	if (find_end(buf, len, &e, err) < 0)
		return -1;
	unsigned n16 = get16(buf + e + 10);
	uint32_t size32 = get32(buf + e + 12), off32 = get32(buf + e + 16);
	if (get16(buf + e + 4) != 0 || get16(buf + e + 6) != 0 ||
	    get16(buf + e + 8) != n16)
		return traj_fail(err, TRAJ_EDATA, (int64_t)e + 4,
				 "end of central directory: a multi-disk archive");
	d->n = n16;
	d->size = size32;
	d->off = off32;
	d->end = e;
	if (e >= 20 && get32(buf + e - 20) == SIG_LOCATOR64) {
		if (read_zip64_end(buf, e, d, err) < 0)
			return -1;
		/* the 16- and 32-bit fields hold the value or all ones */
		if ((n16 != 0xffff && n16 != d->n) ||
		    (size32 != UINT32_MAX && size32 != d->size) ||
		    (off32 != UINT32_MAX && off32 != d->off))
			return traj_fail(err, TRAJ_EDATA, (int64_t)e,
					 "the end record and the ZIP64 end record disagree");
	}
	if (d->off > d->end || d->size != d->end - d->off)
		return traj_fail(err, TRAJ_EDATA, (int64_t)d->end,
				 "central directory of %llu bytes at byte %llu does"
				 " not end where its end record begins",
				 (unsigned long long)d->size, (unsigned long long)d->off);
	return 0;
}

/* An entry as its central directory header describes it, the ZIP64
 * extra field applied. */
struct zip_cent {
	char *name;
	unsigned flags, method, nl;
	uint32_t crc;
	uint64_t csize, usize, off;
	size_t hlen; /* bytes of the central header with name, extra, comment */
};

/* Applies the ZIP64 extended information field (id 1) found among the
 * extra fields x[0 .. xl): it holds, in this order, each of the sizes
 * and the offset whose 32-bit field is all ones. Every extra field must
 * fit exactly in the extra data. */
static const char *zip64_extra(const unsigned char *x, size_t xl, uint64_t *usize,
			       uint64_t *csize, uint64_t *off)
{
	int seen = 0;
	for (size_t i = 0; i < xl;) {
		if (xl - i < 4)
			return "extra field truncated";
		unsigned id = get16(x + i), fl = get16(x + i + 2);
		if (fl > xl - i - 4)
			return "extra field longer than the extra data";
		if (id == 1) {
			const unsigned char *p = x + i + 4, *q = p + fl;
			if (seen++)
				return "ZIP64 extra field twice";
			uint64_t *f[3] = {usize, csize, off};
			for (int k = 0; k < 3; k++) {
				if (!f[k] || *f[k] != UINT32_MAX)
					continue;
				if (q - p < 8)
					return "ZIP64 extra field too short";
				*f[k] = get64(p);
				p += 8;
			}
		}
		i += 4 + fl;
	}
	return NULL;
}

static int read_central(const unsigned char *buf, size_t c, size_t end,
			struct zip_cent *z, struct traj_error *err)
{
	const unsigned char *h = buf + c;
	if (end - c < 46 || get32(h) != SIG_CENTRAL)
		return traj_fail(err, TRAJ_EDATA, (int64_t)c, "bad central directory entry");
	unsigned xl = get16(h + 30), cl = get16(h + 32);
	z->flags = get16(h + 8);
	z->method = get16(h + 10);
	z->crc = get32(h + 16);
	z->csize = get32(h + 20);
	z->usize = get32(h + 24);
	z->nl = get16(h + 28);
	z->off = get32(h + 42);
	z->hlen = 46 + (size_t)z->nl + xl + cl;
	if (z->hlen > end - c)
		return traj_fail(err, TRAJ_EDATA, (int64_t)c, "truncated central directory");
	if (memchr(h + 46, 0, z->nl))
		return traj_fail(err, TRAJ_EDATA, (int64_t)c + 46,
				 "entry name holds a NUL byte");
	const char *why = zip64_extra(h + 46 + z->nl, xl, &z->usize, &z->csize,
				      &z->off);
	if (why)
		return traj_fail(err, TRAJ_EDATA, (int64_t)c + 46 + z->nl, "%.*s: %s",
				 (int)z->nl, (const char *)h + 46, why);
	if (get16(h + 34) != 0)
		return traj_fail(err, TRAJ_EDATA, (int64_t)c + 34,
				 "%.*s: on another disk", (int)z->nl, (const char *)h + 46);
	if (!(z->name = strndup((const char *)h + 46, z->nl)))
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	return 0;
}

/* The entry's data, after checking that its local header says what the
 * central directory says: name, method, and (without a data descriptor)
 * CRC-32 and sizes. Data must lie before the central directory. */
static int entry_data(const unsigned char *buf, size_t cd, const struct zip_cent *z,
		      size_t *data, struct traj_error *err)
{
	const char *n = z->name;
	if (z->flags & 1)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: encrypted entry", n);
	if (z->method != 0)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: compressed entry (method %u);"
				 " only stored entries are read (numpy.savez, not"
				 " savez_compressed)", n, z->method);
	if (z->csize != z->usize)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: stored entry whose sizes differ", n);
	if (z->off > cd || cd - z->off < 30 || get32(buf + z->off) != SIG_LOCAL)
		return traj_fail(err, TRAJ_EDATA, (int64_t)z->off, "%s: bad local header", n);
	const unsigned char *l = buf + z->off;
	unsigned nl = get16(l + 26), xl = get16(l + 28);
	if (cd - z->off - 30 < (size_t)nl + xl)
		return traj_fail(err, TRAJ_EDATA, (int64_t)z->off, "%s: bad local header", n);
	if (nl != z->nl || memcmp(l + 30, n, nl) != 0)
		return traj_fail(err, TRAJ_EDATA, (int64_t)z->off + 30, "%s: the local"
				 " header names '%.*s'", n, (int)nl, (const char *)l + 30);
	uint64_t lc = get32(l + 18), lu = get32(l + 22);
	const char *why = zip64_extra(l + 30 + nl, xl, &lu, &lc, NULL);
	if (why)
		return traj_fail(err, TRAJ_EDATA, (int64_t)z->off + 30 + nl, "%s: %s", n, why);
	if (get16(l + 8) != z->method ||
	    (!(z->flags & 8) && (get32(l + 14) != z->crc || lc != z->csize || lu != z->usize)))
		return traj_fail(err, TRAJ_EDATA, (int64_t)z->off, "%s: the local header"
				 " and the central directory disagree", n);
	*data = (size_t)z->off + 30 + nl + xl;
	if (z->csize > cd - *data)
		return traj_fail(err, TRAJ_EDATA, (int64_t)*data, "%s: truncated entry", n);
	return 0;
}

int zip_read(const unsigned char *buf, size_t len, zip_visit visit, void *ctx,
	     struct traj_error *err)
{
	if (len < 4 || (get32(buf) != SIG_LOCAL && get32(buf) != SIG_END))
		return traj_fail(err, TRAJ_EDATA, 0, "not a zip (.npz) file (bad magic)");
	struct zip_dir d = {0};
	if (read_dir(buf, len, &d, err) < 0)
		return -1;
	size_t c = (size_t)d.off;
	for (uint64_t i = 0; i < d.n; i++) {
		struct zip_cent z;
		size_t data = 0;
		if (read_central(buf, c, d.end, &z, err) < 0)
			return -1;
		int r = entry_data(buf, (size_t)d.off, &z, &data, err);
		if (r == 0 && stream_crc32(0, buf + data, (size_t)z.csize) != z.crc)
			r = traj_fail(err, TRAJ_EDATA, (int64_t)data, "%s: CRC-32 mismatch",
				      z.name);
		if (r == 0)
			r = visit(z.name, buf + data, (size_t)z.csize, ctx, err);
		free(z.name);
		if (r < 0)
			return -1;
		c += z.hlen;
	}
	if (c != d.end)
		return traj_fail(err, TRAJ_EDATA, (int64_t)c, "the central directory"
				 " holds more than the %llu entries its end record"
				 " counts", (unsigned long long)d.n);
	return 0;
}
