#include "interp/ablate_direction.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/filebuf.h"
#include "format/npy.h"

int ablate_direction_read(const char *path, float **u, int *d,
		   struct traj_error *err)
{
	unsigned char *buf;
	size_t len;
	struct traj_tensor t;
	if (file_read_all(path, (size_t)1 << 26, &buf, &len, err) < 0)
		return -1;
	int rc = npy_parse(buf, len, "direction", &t, err);
	free(buf);
	if (rc < 0)
		return -1;
	if (t.dtype != TRAJ_F32 || t.rank != 1 || t.shape[0] < 1) {
		free(t.data);
		return traj_fail(err, TRAJ_EUSAGE, -1, "expected a 1-d float32 array");
	}
	float *v = t.data;
	int n = (int)t.shape[0];
	double norm = 0.0;
	for (int k = 0; k < n; k++)
		norm += (double)v[k] * v[k];
	if (!(norm > 0.0) || !isfinite(norm)) {
		free(v);
		return traj_fail(err, TRAJ_EUSAGE, -1, "the direction has no length");
	}
	for (int k = 0; k < n; k++)
		v[k] = (float)(v[k] / sqrt(norm));
	*u = v;
	*d = n;
	return 0;
}

const char *ablate_direction_default_hook(const struct model *m)
{
	for (int h = m->nhooks - 1; h >= 0; h--)
		if (strstr(m->hooks[h].name, "hook_resid_post") ||
		    strstr(m->hooks[h].name, "layers."))
			return m->hooks[h].name;
	return m->hooks[m->nhooks - 1].name;
}
