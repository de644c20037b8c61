#include "common/filebuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(FILE *f, unsigned char *b, struct traj_error *err,
		enum traj_status st, const char *path, const char *why)
{
	free(b);
	if (f != stdin)
		fclose(f);
	return traj_fail(err, st, -1, "'%s': %s", path, why);
}

int file_read_all(const char *path, size_t limit, unsigned char **buf,
		  size_t *len, struct traj_error *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t n = 0, cap = 0;
	unsigned char *b = NULL;
	if (!f)
		return traj_fail(err, TRAJ_ENOINPUT, -1, "cannot open '%s': %s",
				 path, strerror(errno));
	for (;;) {
		if (n == cap) {
			if (cap > limit) /* limit + 1 bytes were read */
				return fail(f, b, err, TRAJ_EDATA, path, "too large");
			size_t want = cap < (1 << 16) ? 1 << 16 : 2 * cap;
			cap = want > limit + 1 ? limit + 1 : want;
			unsigned char *q = realloc(b, cap);
			if (!q)
				return fail(f, b, err, TRAJ_ENOMEM, path, "out of memory");
			b = q;
		}
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f))
		return fail(f, b, err, TRAJ_EFAIL, path, "read failed");
	if (f != stdin)
		fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

int file_read_text(const char *path, size_t limit, char **text, size_t *len,
		   struct traj_error *err)
{
	unsigned char *buf;
	if (file_read_all(path, limit, &buf, len, err) < 0)
		return -1;
	*text = realloc(buf, *len + 1);
	if (!*text) {
		free(buf);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	(*text)[*len] = '\0';
	return 0;
}
