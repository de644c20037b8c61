/* Strict accessors for JSON objects from outside input: case-sensitive keys,
 * integers that are exact, finite numbers. Errors name the field as
 * `where`.`key`. */
#ifndef TRAJ_JSONUTIL_H
#define TRAJ_JSONUTIL_H

#include <stdint.h>

#include <cJSON.h>

#include "common/error.h"

/* Each returns 0 on success, -1 with err set (TRAJ_EDATA). */
int json_get_int(const cJSON *obj, const char *where, const char *key,
		 int64_t min, int64_t max, int64_t *out, struct traj_error *err);
int json_get_number(const cJSON *obj, const char *where, const char *key,
		    double min, double max, double *out, struct traj_error *err);
int json_get_string(const cJSON *obj, const char *where, const char *key,
		    const char **out, struct traj_error *err);
int json_get_bool(const cJSON *obj, const char *where, const char *key,
		  int *out, struct traj_error *err);
/* Like the above, but a missing key leaves *out unchanged. */
int json_opt_int(const cJSON *obj, const char *where, const char *key,
		 int64_t min, int64_t max, int64_t *out, struct traj_error *err);
int json_opt_number(const cJSON *obj, const char *where, const char *key,
		    double min, double max, double *out, struct traj_error *err);

#endif
