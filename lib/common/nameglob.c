#include "common/nameglob.h"

#include <fnmatch.h>

int nameglob_match(char *const *globs, int n, const char *name)
{
	if (n == 0)
		return 1;
	for (int i = 0; i < n; i++)
		if (fnmatch(globs[i], name, 0) == 0)
			return 1;
	return 0;
}
