#include "run/runmeta.h"

#include <math.h>
#include <string.h>

#include "common/jsonutil.h"
#include "format/names.h"

int run_id_valid(const char *id)
{
	return stream_run_id_valid(id); /* one rule, the reader's */
}

cJSON *run_optim_to_json(const struct optim_config *cfg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", optim_kind_name(cfg->kind));
	cJSON_AddNumberToObject(o, "lr", cfg->lr);
	cJSON_AddNumberToObject(o, "weight_decay", cfg->weight_decay);
	if (cfg->kind == OPTIM_SGD) {
		cJSON_AddNumberToObject(o, "momentum", cfg->momentum);
		cJSON_AddBoolToObject(o, "nesterov", cfg->nesterov);
	} else {
		cJSON_AddNumberToObject(o, "beta1", cfg->beta1);
		cJSON_AddNumberToObject(o, "beta2", cfg->beta2);
		cJSON_AddNumberToObject(o, "eps", cfg->eps);
	}
	cJSON_AddNumberToObject(o, "warmup", (double)cfg->warmup);
	return o;
}

int run_optim_from_json(const cJSON *json, struct optim_config *cfg,
		    struct traj_error *err)
{
	const char *kind;
	enum optim_kind k;
	if (!cJSON_IsObject(json))
		return traj_fail(err, TRAJ_EDATA, -1, "run.optim: expected an object");
	if (json_get_string(json, "optim", "kind", &kind, err) < 0)
		return -1;
	if (optim_kind_from_name(kind, &k) < 0)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "optim.kind: unknown optimiser '%.64s'", kind);
	optim_config_default(cfg, k);
	int nesterov = cfg->nesterov;
	if (json_get_number(json, "optim", "lr", 0, 1e6, &cfg->lr, err) < 0 ||
	    json_opt_number(json, "optim", "weight_decay", 0, 1e6,
			    &cfg->weight_decay, err) < 0 ||
	    json_opt_number(json, "optim", "momentum", 0, 1, &cfg->momentum, err) < 0 ||
	    json_opt_number(json, "optim", "beta1", 0, 1, &cfg->beta1, err) < 0 ||
	    json_opt_number(json, "optim", "beta2", 0, 1, &cfg->beta2, err) < 0 ||
	    json_opt_number(json, "optim", "eps", 0, 1, &cfg->eps, err) < 0 ||
	    json_opt_int(json, "optim", "warmup", 0, INT64_MAX / 2, &cfg->warmup,
			 err) < 0)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(json, "nesterov") &&
	    json_get_bool(json, "optim", "nesterov", &nesterov, err) < 0)
		return -1;
	cfg->nesterov = nesterov;
	return 0;
}

int run_optim_check(const struct optim_config *cfg, int options,
		    struct traj_error *err)
{
	const struct {
		const char *option, *field;
		double value;
		int below_one;     /* [0, 1) */
		int positive;      /* > 0 */
		int at_most_one;   /* [0, 1] */
		int sgd;           /* of SGD, else of AdamW (or both, -1) */
	} r[] = {
		{ "lr", "lr", cfg->lr, 0, 0, 0, -1 },
		{ "wd", "weight_decay", cfg->weight_decay, 0, 0, 0, -1 },
		{ "beta1", "beta1", cfg->beta1, 1, 0, 0, 0 },
		{ "beta2", "beta2", cfg->beta2, 1, 0, 0, 0 },
		{ "eps", "eps", cfg->eps, 0, 1, 0, 0 },
		{ "momentum", "momentum", cfg->momentum, 0, 0, 1, 1 },
	};
	int sgd = cfg->kind == OPTIM_SGD;
	enum traj_status status = options ? TRAJ_EUSAGE : TRAJ_EDATA;
	const char *pre = options ? "--" : "optim.";
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
		const char *name = options ? r[i].option : r[i].field;
		double x = r[i].value;
		if (r[i].sgd >= 0 && r[i].sgd != sgd)
			continue; /* the other optimiser's, unused */
		if (!isfinite(x) || x < 0 || (r[i].positive && x == 0) ||
		    (r[i].below_one && x >= 1) || (r[i].at_most_one && x > 1))
			return traj_fail(err, status, -1, "%s%s: %g outside %s", pre,
					 name, x, r[i].below_one ? "[0, 1)" :
					 r[i].positive ? "(0, inf)" :
					 r[i].at_most_one ? "[0, 1]" : "[0, inf)");
	}
	if (sgd && cfg->nesterov && cfg->momentum == 0)
		return traj_fail(err, status, -1, "%snesterov: needs a momentum"
				 " above 0", pre);
	return 0;
}

static const char *const state_names[] = {
	[STATE_KEY] = "key", [STATE_ALL] = "all", [STATE_NONE] = "none",
};

const char *run_state_policy_name(enum state_policy p)
{
	return state_names[p];
}

int run_state_policy_from_name(const char *name, enum state_policy *out)
{
	for (int i = 0; i < 3; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum state_policy)i;
			return 0;
		}
	}
	return -1;
}

static cJSON *train_to_json(const struct train_config *t)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "steps", (double)t->steps);
	cJSON_AddNumberToObject(o, "batch", (double)t->batch);
	cJSON_AddNumberToObject(o, "every", (double)t->every);
	cJSON_AddNumberToObject(o, "log_every", (double)t->log_every);
	if (t->auto_every) /* absent otherwise: older headers stay as they were */
		cJSON_AddNumberToObject(o, "auto_every", (double)t->auto_every);
	cJSON_AddNumberToObject(o, "threads", t->threads);
	cJSON_AddStringToObject(o, "state", run_state_policy_name(t->state));
	if (t->blas_core[0]) /* only then: older headers stay as they were */
		cJSON_AddStringToObject(o, "blas_core", t->blas_core);
	return o;
}

static int train_from_json(const cJSON *json, struct train_config *t,
			   struct traj_error *err)
{
	int64_t threads = 0;
	memset(t, 0, sizeof *t);
	if (!json)
		return 0; /* optional: scorers do not need it */
	if (!cJSON_IsObject(json))
		return traj_fail(err, TRAJ_EDATA, -1, "run.train: expected an object");
	if (json_opt_int(json, "train", "steps", 0, INT64_MAX / 2, &t->steps, err) < 0 ||
	    json_opt_int(json, "train", "batch", 0, INT32_MAX, &t->batch, err) < 0 ||
	    json_opt_int(json, "train", "every", 0, INT64_MAX / 2, &t->every, err) < 0 ||
	    json_opt_int(json, "train", "log_every", 0, 1000, &t->log_every, err) < 0 ||
	    json_opt_int(json, "train", "auto_every", 0, INT64_MAX / 2, &t->auto_every, err) < 0 ||
	    json_opt_int(json, "train", "threads", 0, 4096, &threads, err) < 0)
		return -1;
	t->threads = (int)threads;
	const cJSON *core = cJSON_GetObjectItemCaseSensitive(json, "blas_core");
	if (core && (!cJSON_IsString(core) || !core->valuestring[0] ||
		     strlen(core->valuestring) >= sizeof t->blas_core ||
		     strspn(core->valuestring, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
		     strlen(core->valuestring)))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "train.blas_core: expected an OpenBLAS core name");
	if (core)
		strcpy(t->blas_core, core->valuestring);
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(json, "state");
	if (state && (!cJSON_IsString(state) ||
		      run_state_policy_from_name(state->valuestring, &t->state) < 0))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "train.state: expected \"key\", \"all\" or \"none\"");
	return 0;
}

cJSON *run_to_json(const struct run_config *rc)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "run", rc->id);
	cJSON_AddStringToObject(o, "creator", "traj-train " TRAJ_VERSION);
	cJSON_AddNumberToObject(o, "seed", (double)rc->seed);
	if (rc->has_order_seed)
		cJSON_AddNumberToObject(o, "order_seed", (double)rc->order_seed);
	cJSON_AddItemToObject(o, "model", cJSON_Duplicate(rc->model, 1));
	cJSON_AddItemToObject(o, "task", task_to_json(&rc->task));
	cJSON_AddItemToObject(o, "optim", run_optim_to_json(&rc->optim));
	cJSON_AddItemToObject(o, "train", train_to_json(&rc->train));
	if (rc->init)
		cJSON_AddItemToObject(o, "init", cJSON_Duplicate(rc->init, 1));
	if (rc->mask)
		cJSON_AddItemToObject(o, "mask", cJSON_Duplicate(rc->mask, 1));
	if (rc->adv)
		cJSON_AddItemToObject(o, "adv", cJSON_Duplicate(rc->adv, 1));
	return o;
}

/* The header's optional objects, kept as they are for the modules that
 * read them (run/runstart.c, interp/attack_train.c). */
static cJSON **optional_object(struct run_config *rc, int i, const char **key)
{
	static const char *const keys[] = { "mask", "init", "adv" };
	cJSON **const fields[] = { &rc->mask, &rc->init, &rc->adv };
	*key = keys[i];
	return fields[i];
}
#define RUN_OPTIONAL_OBJECTS 3

int run_from_json(const cJSON *json, struct run_config *rc,
		  struct traj_error *err)
{
	const char *id;
	int64_t seed;
	memset(rc, 0, sizeof *rc);
	if (json_get_string(json, "run", "run", &id, err) < 0 ||
	    json_get_int(json, "run", "seed", 0, INT64_MAX, &seed, err) < 0)
		return -1;
	if (!run_id_valid(id))
		return traj_fail(err, TRAJ_EDATA, -1,
				 "run.run: invalid run id (1-%d of A-Z a-z 0-9 . _ + -)",
				 RUN_ID_MAX - 1);
	strcpy(rc->id, id);
	rc->seed = (uint64_t)seed;
	if (cJSON_GetObjectItemCaseSensitive(json, "order_seed")) {
		if (json_get_int(json, "run", "order_seed", 0, INT64_MAX, &seed,
				 err) < 0)
			return -1;
		rc->has_order_seed = 1;
		rc->order_seed = (uint64_t)seed;
	}
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(json, "model");
	if (!cJSON_IsObject(model))
		return traj_fail(err, TRAJ_EDATA, -1, "run.model: expected an object");
	if (task_from_json(cJSON_GetObjectItemCaseSensitive(json, "task"),
			   &rc->task, err) < 0 ||
	    run_optim_from_json(cJSON_GetObjectItemCaseSensitive(json, "optim"),
			    &rc->optim, err) < 0 ||
	    train_from_json(cJSON_GetObjectItemCaseSensitive(json, "train"),
			    &rc->train, err) < 0)
		return -1;
	for (int i = 0; i < RUN_OPTIONAL_OBJECTS; i++) {
		const char *key;
		optional_object(rc, i, &key);
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(json, key);
		if (o && !cJSON_IsObject(o))
			return traj_fail(err, TRAJ_EDATA, -1,
					 "run.%s: expected an object", key);
	}
	int nomem = !(rc->model = cJSON_Duplicate(model, 1));
	for (int i = 0; i < RUN_OPTIONAL_OBJECTS; i++) {
		const char *key;
		cJSON **field = optional_object(rc, i, &key);
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(json, key);
		if (o && !(*field = cJSON_Duplicate(o, 1)))
			nomem = 1;
	}
	if (nomem) {
		run_config_free(rc);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	return 0;
}

void run_config_free(struct run_config *rc)
{
	cJSON_Delete(rc->model);
	cJSON_Delete(rc->mask);
	cJSON_Delete(rc->init);
	cJSON_Delete(rc->adv);
	rc->model = rc->mask = rc->init = rc->adv = NULL;
}
