#include "format/names.h"

#include <string.h>

#include "common/tensor.h"

int stream_run_id_valid(const char *id)
{
	size_t len = strnlen(id, STREAM_RUN_ID_MAX);
	/* "." and ".." are refused too: a run id may become a whole path
	 * component. */
	if (len == 0 || len >= STREAM_RUN_ID_MAX || strcmp(id, ".") == 0 ||
	    strcmp(id, "..") == 0)
		return 0;
	return strspn(id, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") == len;
}

int stream_name_path_valid(const char *name)
{
	if (!tensor_name_valid(name))
		return 0;
	for (const char *p = name;;) {
		size_t len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!p[len])
			return 1;
		p += len + 1;
	}
}
