/* libFuzzer target: a run header from outside, as traj-score gets it:
 * the JSON text checks, strict parsing, then run_from_json (run id, task,
 * optimiser, training) and model_from_json. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "common/jsontext.h"
#include "model/model.h"
#include "run/runmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	const char *why, *end;
	size_t pos;
	cJSON *json = NULL;
	if (!memchr(text, 0, size) &&
	    json_text_check(text, size, JSON_MAX_DEPTH, &why, &pos) == 0)
		json = cJSON_ParseWithLengthOpts(text, size + 1, &end, 1);
	struct run_config rc;
	struct traj_error err;
	if (json && run_from_json(json, &rc, &err) == 0) {
		struct model *m = model_from_json(rc.model, 4, &err);
		model_free(m);
		run_config_free(&rc);
	}
	cJSON_Delete(json);
	free(text);
	return 0;
}
