/* Fashion-MNIST from the gzip IDX files of Debian's dataset-fashion-mnist
 * (FASHION_DIR, or the directory in $TRAJ_FASHION_DIR). IDX: a big-endian
 * magic (0x00000803 for u8 images of rank 3, 0x00000801 for u8 labels),
 * the dimensions as big-endian u32, then the bytes. Pixels are scaled to
 * [0, 1]; the first n_train (n_test) examples of each file are used, all
 * of them when 0. The validation split is the n_val training images
 * after the first n_train: held out, never trained on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/jsonutil.h"
#include "task/task_impl.h"

#define FASHION_PIXELS 784
#define FASHION_TRAIN 60000
#define FASHION_TEST 10000
#define FASHION_PACKAGE "dataset-fashion-mnist"

static void dims(const struct task_config *cfg, struct task_dims *d)
{
	(void)cfg;
	d->n_inputs = FASHION_PIXELS;
	d->vocab = 0;
	d->n_classes = 10;
	d->n_outputs = 1;
}

static int validate(const struct task_config *cfg, const char *prefix,
		    struct traj_error *err)
{
	if (cfg->n_train < 0 || cfg->n_train > FASHION_TRAIN)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sn_train: %lld outside 0..%d",
				 prefix, (long long)cfg->n_train, FASHION_TRAIN);
	if (cfg->n_test < 0 || cfg->n_test > FASHION_TEST)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sn_test: %lld outside 0..%d",
				 prefix, (long long)cfg->n_test, FASHION_TEST);
	if (cfg->n_val < 0 || cfg->n_val > FASHION_TRAIN - 1)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sn_val: %lld outside 0..%d",
				 prefix, (long long)cfg->n_val, FASHION_TRAIN - 1);
	if (cfg->n_val && !cfg->n_train)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sn_val: needs n_train "
				 "(0, every training image, leaves none to hold "
				 "out)", prefix);
	if (cfg->n_train + cfg->n_val > FASHION_TRAIN)
		return traj_fail(err, TRAJ_EUSAGE, -1, "%sn_val: %lld images after "
				 "the first %lld, but the training file has %d",
				 prefix, (long long)cfg->n_val,
				 (long long)cfg->n_train, FASHION_TRAIN);
	return 0;
}

struct idx { gzFile f; char path[512]; };

static int idx_open(struct idx *x, const char *name, struct traj_error *err)
{
	const char *dir = getenv("TRAJ_FASHION_DIR");
	snprintf(x->path, sizeof x->path, "%s/%s", dir && *dir ? dir : FASHION_DIR,
		 name);
	x->f = gzopen(x->path, "rb");
	if (!x->f)
		return traj_fail(err, TRAJ_ENOINPUT, -1,
				 "%s: cannot open (install Debian's %s package)",
				 x->path, FASHION_PACKAGE);
	return 0;
}

static int idx_read(struct idx *x, void *buf, size_t n, struct traj_error *err)
{
	int got = gzread(x->f, buf, (unsigned)n);
	if (got < 0 || (size_t)got != n)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: %s", x->path,
				 got < 0 ? "not a valid gzip file" :
				 "truncated IDX file");
	return 0;
}

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* Reads the header, checks magic and dimensions; returns the item count
 * or -1. */
static int64_t idx_header(struct idx *x, int images, struct traj_error *err)
{
	unsigned char h[16];
	size_t len = images ? 16 : 8;
	if (idx_read(x, h, len, err) < 0)
		return -1;
	uint32_t magic = images ? 0x803 : 0x801;
	if (be32(h) != magic)
		return traj_fail(err, TRAJ_EDATA, -1,
				 "%s: IDX magic 0x%08x, expected 0x%08x", x->path,
				 be32(h), magic);
	if (images && (be32(h + 8) != 28 || be32(h + 12) != 28))
		return traj_fail(err, TRAJ_EDATA, -1, "%s: images of %ux%u, expected 28x28",
				 x->path, be32(h + 8), be32(h + 12));
	return be32(h + 4);
}

/* Skips n items of size bytes each. */
static int idx_skip(struct idx *x, int64_t n, size_t size, struct traj_error *err)
{
	if (n && gzseek(x->f, (z_off_t)((size_t)n * size), SEEK_CUR) < 0)
		return traj_fail(err, TRAJ_EDATA, -1, "%s: truncated IDX file",
				 x->path);
	return 0;
}

/* Fills split s with s->n examples of one pair of files, from item skip. */
static int load_pair(struct split *s, const char *images, const char *labels,
		     int64_t skip, struct traj_error *err)
{
	struct idx xi = { 0 }, xl = { 0 };
	unsigned char *buf = malloc((size_t)s->n * FASHION_PIXELS + 1);
	int rc = -1;
	if (!buf) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for the data set");
		goto out;
	}
	int64_t ni, nl;
	if (idx_open(&xi, images, err) < 0 || idx_open(&xl, labels, err) < 0 ||
	    (ni = idx_header(&xi, 1, err)) < 0 || (nl = idx_header(&xl, 0, err)) < 0)
		goto out;
	if (ni != nl || ni < skip + s->n) {
		traj_fail(err, TRAJ_EDATA, -1, "%s: %lld images and %lld labels, "
			  "%lld needed", xi.path, (long long)ni, (long long)nl,
			  (long long)(skip + s->n));
		goto out;
	}
	if (idx_skip(&xi, skip, FASHION_PIXELS, err) < 0 ||
	    idx_skip(&xl, skip, 1, err) < 0 ||
	    idx_read(&xi, buf, (size_t)s->n * FASHION_PIXELS, err) < 0)
		goto out;
	for (size_t i = 0; i < (size_t)s->n * FASHION_PIXELS; i++)
		s->features[i] = (float)buf[i] / 255.0f;
	if (idx_read(&xl, buf, (size_t)s->n, err) < 0)
		goto out;
	for (int64_t i = 0; i < s->n; i++) {
		if (buf[i] > 9) {
			traj_fail(err, TRAJ_EDATA, -1, "%s: label %d of item %lld "
				  "outside 0..9", xl.path, buf[i], (long long)i);
			goto out;
		}
		s->labels[i] = buf[i];
	}
	rc = 0;
out:
	if (xi.f)
		gzclose(xi.f);
	if (xl.f)
		gzclose(xl.f);
	free(buf);
	return rc;
}

static int build(const struct task_config *cfg, struct dataset *ds,
		 struct traj_error *err)
{
	int64_t ntr = cfg->n_train ? cfg->n_train : FASHION_TRAIN;
	int64_t nte = cfg->n_test ? cfg->n_test : FASHION_TEST;
	if (task_dataset_alloc(cfg, ds, ntr, nte, err) < 0)
		return -1;
	if (cfg->n_val &&
	    task_split_alloc(&ds->val, cfg->n_val, 0, FASHION_PIXELS, 1) < 0) {
		task_dataset_free(ds);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory for the data set");
	}
	if (load_pair(&ds->train, "train-images-idx3-ubyte.gz",
		      "train-labels-idx1-ubyte.gz", 0, err) < 0 ||
	    (cfg->n_val && load_pair(&ds->val, "train-images-idx3-ubyte.gz",
				     "train-labels-idx1-ubyte.gz", ntr, err) < 0) ||
	    load_pair(&ds->test, "t10k-images-idx3-ubyte.gz",
		      "t10k-labels-idx1-ubyte.gz", 0, err) < 0) {
		task_dataset_free(ds);
		return -1;
	}
	return 0;
}

static void defaults(struct task_config *cfg)
{
	(void)cfg; /* n_train, n_test 0: the whole files */
}

/* n_val only when there is one: headers without read as before. */
static void to_json(const struct task_config *cfg, cJSON *o)
{
	if (cfg->n_val)
		cJSON_AddNumberToObject(o, "n_val", (double)cfg->n_val);
}

static int from_json(const cJSON *json, struct task_config *cfg,
		     struct traj_error *err)
{
	return json_opt_int(json, "task", "n_val", 0, FASHION_TRAIN - 1,
			    &cfg->n_val, err);
}

static void run_id(const struct task_config *cfg, unsigned long long seed,
		   char *buf, size_t cap)
{
	(void)cfg;
	snprintf(buf, cap, "fashion-s%llu", seed);
}

/* The class (the label). */
static int variables(const struct task_config *cfg,
		     const struct task_examples *ex, const int *freqs,
		     int nfreq, task_variable_fn *add, void *ctx,
		     struct traj_error *err)
{
	(void)cfg;
	(void)freqs;
	(void)nfreq;
	double *x = task_variable_add(add, ctx, 10, err, "class");
	if (!x)
		return -1;
	for (int64_t e = 0; e < ex->n; e++)
		x[e] = ex->labels[e * ex->K];
	return 0;
}

const struct task_family_ops task_fashion_ops = {
	.needs_mlp = 1, .counted = 1, .defaults = defaults, .dims = dims,
	.validate = validate, .build = build, .to_json = to_json,
	.from_json = from_json, .run_id = run_id, .variables = variables,
};
