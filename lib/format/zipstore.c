#include "format/zipstore.h"

#include <stdlib.h>
#include <string.h>

#include "format/stream.h" /* stream_crc32: the CRC-32 of zip too */

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u

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
	    nl > 0xffff || z->n == 0xffff)
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
	unsigned char end[22] = {0};
	put32(end, SIG_END);
	put16(end + 8, (unsigned)z->n);
	put16(end + 10, (unsigned)z->n);
	put32(end + 12, (uint32_t)(z->pos - start));
	put32(end + 16, (uint32_t)start);
	int r = put(z, end, 22, err);
	zip_writer_free(z);
	return r;
}

/* ---- reading ---- */

static int64_t find_end(const unsigned char *buf, size_t len)
{
	if (len < 22)
		return -1;
	size_t lo = len > 22 + 0xffff ? len - 22 - 0xffff : 0;
	for (size_t i = len - 22 + 1; i-- > lo;)
		if (get32(buf + i) == SIG_END)
			return (int64_t)i;
	return -1;
}

static int read_entry(const unsigned char *buf, size_t len, size_t c,
		      zip_visit visit, void *ctx, struct traj_error *err)
{
	const unsigned char *h = buf + c;
	unsigned method = get16(h + 10), nl = get16(h + 28);
	uint32_t crc = get32(h + 16), csize = get32(h + 20), usize = get32(h + 24);
	uint32_t off = get32(h + 42);
	if (c + 46 + nl > len)
		return traj_fail(err, TRAJ_EDATA, (int64_t)c, "truncated central directory");
	char *name = strndup((const char *)h + 46, nl);
	if (!name)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int r = 0;
	if (method != 0)
		r = traj_fail(err, TRAJ_EDATA, (int64_t)c, "%s: compressed entry (method %u);"
			      " only stored entries are read (numpy.savez, not"
			      " savez_compressed)", name, method);
	else if (csize != usize || csize == UINT32_MAX || (size_t)off + 30 > len ||
		 get32(buf + off) != SIG_LOCAL)
		r = traj_fail(err, TRAJ_EDATA, (int64_t)off, "%s: bad local header", name);
	else {
		size_t data = (size_t)off + 30 + get16(buf + off + 26) + get16(buf + off + 28);
		if (data > len || csize > len - data)
			r = traj_fail(err, TRAJ_EDATA, (int64_t)off, "%s: truncated entry", name);
		else if (stream_crc32(0, buf + data, csize) != crc)
			r = traj_fail(err, TRAJ_EDATA, (int64_t)data, "%s: CRC-32 mismatch", name);
		else
			r = visit(name, buf + data, csize, ctx, err);
	}
	free(name);
	return r;
}

int zip_read(const unsigned char *buf, size_t len, zip_visit visit, void *ctx,
	     struct traj_error *err)
{
	if (len < 4 || (get32(buf) != SIG_LOCAL && get32(buf) != SIG_END))
		return traj_fail(err, TRAJ_EDATA, 0, "not a zip (.npz) file (bad magic)");
	int64_t e = find_end(buf, len);
	if (e < 0)
		return traj_fail(err, TRAJ_EDATA, (int64_t)len, "truncated: no end of central directory");
	unsigned n = get16(buf + e + 10);
	uint32_t size = get32(buf + e + 12), off = get32(buf + e + 16);
	if (off == UINT32_MAX || (size_t)off + size > (size_t)e)
		return traj_fail(err, TRAJ_EDATA, e, "bad central directory (or ZIP64)");
	size_t c = off;
	for (unsigned i = 0; i < n; i++) {
		if (c + 46 > (size_t)e || get32(buf + c) != SIG_CENTRAL)
			return traj_fail(err, TRAJ_EDATA, (int64_t)c, "bad central directory entry");
		if (read_entry(buf, len, c, visit, ctx, err) < 0)
			return -1;
		c += 46 + get16(buf + c + 28) + get16(buf + c + 30) + get16(buf + c + 32);
	}
	return 0;
}
