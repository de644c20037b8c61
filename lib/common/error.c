#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>

int traj_fail(struct traj_error *err, enum traj_status status, int64_t offset,
	      const char *fmt, ...)
{
	if (!err)
		return -1;
	err->status = status;
	err->offset = offset;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}
