#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

void traj_error_prefix(struct traj_error *err, const char *subject)
{
	char msg[sizeof err->msg];
	if (!err || !subject)
		return;
	memcpy(msg, err->msg, sizeof msg);
	if (err->offset >= 0)
		snprintf(err->msg, sizeof err->msg, "%.200s: byte %lld: %.280s", subject,
			 (long long)err->offset, msg);
	else
		snprintf(err->msg, sizeof err->msg, "%.200s: %.300s", subject, msg);
	err->offset = -1;
}
