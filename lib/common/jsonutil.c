#include "common/jsonutil.h"

#include <math.h>

/* 2^53 + 1 parses as 2^53: refuse both, since they cannot be told apart. */
#define JSON_EXACT_INT 9007199254740992.0

static const cJSON *field(const cJSON *obj, const char *where, const char *key,
			  int required, struct traj_error *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!item && required)
		traj_fail(err, TRAJ_EDATA, -1, "%s.%s: missing", where, key);
	return item;
}

static int number_of(const cJSON *item, const char *where, const char *key,
		     double min, double max, double *out, struct traj_error *err)
{
	if (!cJSON_IsNumber(item))
		return traj_fail(err, TRAJ_EDATA, -1, "%s.%s: expected a number",
				 where, key);
	double v = item->valuedouble;
	if (!isfinite(v) || v < min || v > max)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "%s.%s: %g outside %g..%g", where, key, v, min, max);
	*out = v;
	return 0;
}

static int int_of(const cJSON *item, const char *where, const char *key,
		  int64_t min, int64_t max, int64_t *out, struct traj_error *err)
{
	double v;
	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) ||
	    fabs(item->valuedouble) >= JSON_EXACT_INT ||
	    item->valuedouble != floor(item->valuedouble))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "%s.%s: expected an integer", where, key);
	v = item->valuedouble;
	if (v < (double)min || v > (double)max)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "%s.%s: %.0f outside %lld..%lld", where, key, v,
				 (long long)min, (long long)max);
	*out = (int64_t)v;
	return 0;
}

int json_get_int(const cJSON *obj, const char *where, const char *key,
		 int64_t min, int64_t max, int64_t *out, struct traj_error *err)
{
	const cJSON *item = field(obj, where, key, 1, err);
	return item ? int_of(item, where, key, min, max, out, err) : -1;
}

int json_opt_int(const cJSON *obj, const char *where, const char *key,
		 int64_t min, int64_t max, int64_t *out, struct traj_error *err)
{
	const cJSON *item = field(obj, where, key, 0, err);
	return item ? int_of(item, where, key, min, max, out, err) : 0;
}

int json_get_number(const cJSON *obj, const char *where, const char *key,
		    double min, double max, double *out, struct traj_error *err)
{
	const cJSON *item = field(obj, where, key, 1, err);
	return item ? number_of(item, where, key, min, max, out, err) : -1;
}

int json_opt_number(const cJSON *obj, const char *where, const char *key,
		    double min, double max, double *out, struct traj_error *err)
{
	const cJSON *item = field(obj, where, key, 0, err);
	return item ? number_of(item, where, key, min, max, out, err) : 0;
}

int json_get_string(const cJSON *obj, const char *where, const char *key,
		    const char **out, struct traj_error *err)
{
	const cJSON *item = field(obj, where, key, 1, err);
	if (!item)
		return -1;
	if (!cJSON_IsString(item) || !item->valuestring)
		return traj_fail(err, TRAJ_EDATA, -1, "%s.%s: expected a string",
				 where, key);
	*out = item->valuestring;
	return 0;
}

int json_get_bool(const cJSON *obj, const char *where, const char *key,
		  int *out, struct traj_error *err)
{
	const cJSON *item = field(obj, where, key, 1, err);
	if (!item)
		return -1;
	if (!cJSON_IsBool(item))
		return traj_fail(err, TRAJ_EDATA, -1, "%s.%s: expected true or false",
				 where, key);
	*out = cJSON_IsTrue(item);
	return 0;
}
