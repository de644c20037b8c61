/* The model interface. Every model keeps its parameters in one contiguous
 * float buffer with a table of named views into it (llm.c style): the
 * optimiser is a loop over one array, checkpointing a loop over views.
 * Gradients use the same layout in a second buffer.
 *
 * Dimension letters: B batch, T input tokens per example, V vocabulary,
 * F features (dense input), C classes, K labelled outputs per example
 * (1 for a classifier; a sequence model predicts at its last K
 * positions). */
#ifndef TRAJ_MODEL_H
#define TRAJ_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "common/error.h"
#include "common/tensor.h"

/* One named view into the parameter buffer. */
struct param_view {
	char name[TRAJ_NAME_MAX]; /* "layers.0.W", TransformerLens-style */
	int rank;
	int64_t shape[TRAJ_MAX_RANK];
	size_t offset;            /* in floats, from the buffer start */
	size_t numel;
};

/* A batch of examples: either tokens (B x T ints in [0, V)) or dense
 * features (B x F floats); labels are B x K ints in [0, C). */
struct batch {
	int n;                  /* B */
	const int32_t *tokens;  /* (B, T) or NULL */
	const float *features;  /* (B, F) or NULL */
	const int32_t *labels;  /* (B, K) */
};

/* An activation reachable by name, with TransformerLens's hook names
 * ("blocks.0.attn.hook_pattern") and shapes. `shape` leaves out the batch
 * dimension: a hook's buffer holds n consecutive examples of `numel`
 * floats each. */
#define HOOK_NAME_MAX 64
struct hook_point {
	char name[HOOK_NAME_MAX];
	int rank;
	int64_t shape[TRAJ_MAX_RANK];
	size_t numel;
	int has_grad;            /* 1: gradient hooks fire here too */
};

/* Called during forward passes without gradients (logits, and loss with
 * grad = 0) at every hook point, with the activation of the examples
 * [e0, e0 + n) of the batch. The callback may read the values (capture)
 * or overwrite them (patching, ablation): the forward pass continues from
 * the values it leaves. While a hook is set, models compute every
 * position, so the shapes in the table hold. */
typedef void (*model_hook_fn)(void *ctx, int hook, int64_t e0, int n,
			      float *act);

/* Called during gradient passes (loss with grad = 1) at the hook points
 * with has_grad set, during the backward pass, with the activation `act`
 * and `grad`, d loss / d act of the mean loss over the whole batch, of
 * the examples [e0, e0 + n), both (n, numel) and read-only. One gradient
 * pass thus gives the gradient at every such hook at once (attribution
 * patching). While a gradient hook is set, models compute every position
 * in gradient passes too. Forward hooks never fire in gradient passes. */
typedef void (*model_grad_fn)(void *ctx, int hook, int64_t e0, int n,
			      const float *act, const float *grad);

enum activation { ACT_RELU, ACT_GELU, ACT_QUAD, NACTIVATIONS };
const char *activation_name(enum activation act);
int activation_from_name(const char *name, enum activation *out);

struct model;

struct model_ops {
	/* Mean cross-entropy over the batch into *loss. When `grad` is
	 * set, also accumulates d loss / d params into m->grads (callers
	 * zero it). Returns 0, or -1 with err set for a batch that
	 * model_batch_check refuses, or one of no examples (TRAJ_EDATA);
	 * nothing is computed then. */
	int (*loss)(struct model *m, const struct batch *b, int grad,
		    float *loss, struct traj_error *err);
	/* Logits (B, K, C) into `logits`, for scoring; NAN everywhere for
	 * a batch model_batch_check refuses. */
	void (*logits)(struct model *m, const struct batch *b, float *logits);
	void (*free)(struct model *m);
	/* Optional: the model's own initialisation (model_init otherwise
	 * uses PyTorch's nn.Linear default). */
	void (*init)(struct model *m, uint64_t seed);
	/* Optional, for dense input: see model_input_grad. Returns -1 on
	 * an invalid batch. */
	int (*input_grad)(struct model *m, const struct batch *b, float *dx,
			  float *loss, float *logits);
	/* Optional, with input_grad: see model_worker_new. NULL when out
	 * of memory. */
	struct model *(*worker)(struct model *m, int rows);
};

struct model {
	const struct model_ops *ops;
	const char *kind;        /* "mlp", "transformer" */
	float *params;           /* (nparams) */
	float *grads;            /* (nparams), same layout */
	size_t nparams;
	struct param_view *views;
	int nviews;
	int n_inputs;            /* T for token input, F for dense input */
	int vocab;               /* V, 0 for dense input */
	int n_classes;           /* C */
	int n_outputs;           /* K, labels per example */
	int max_batch;           /* scratch sized for this many examples */
	const struct hook_point *hooks; /* (nhooks), may be empty */
	int nhooks;
	model_hook_fn hook_fn;   /* NULL: no hook (see model_set_hook) */
	void *hook_ctx;
	int64_t hook_base;       /* added to the e0 that hooks receive: where
				    the batch being computed starts within a
				    larger one (model_evaluate's chunks) */
	void *impl;
	model_grad_fn grad_fn;   /* NULL: none (see model_set_grad_hook) */
	void *grad_ctx;
};

/* Builds a model from the "model" object of a run header (see runmeta.h);
 * scratch memory is sized for max_batch examples, and larger batches are
 * processed in chunks of max_batch (same result, no allocation). Errors
 * name the field ("model.width: expected an integer in 1..65536") with
 * status TRAJ_EDATA. Parameters start at zero. */
struct model *model_from_json(const cJSON *config, int max_batch,
			      struct traj_error *err);
void model_free(struct model *m);

/* Initialises parameters from a seed, reproducibly on every platform. */
void model_init(struct model *m, uint64_t seed);

/* Borrowed tensor for view i (data points into m->params). */
void model_view_tensor(const struct model *m, int i, struct traj_tensor *out);
/* Copies checkpoint tensors into the parameters; every view must be present
 * with its exact shape and dtype f32. Other tensors ("optim/...") are
 * ignored. On error nothing has been copied. */
int model_load(struct model *m, const struct traj_tensor *tensors, int n,
	       struct traj_error *err);

/* Whether m can compute on b: n >= 0, the input its kind reads (tokens
 * inside 0..vocab-1, or features) and, with need_labels, labels (n, K)
 * inside 0..C-1. Returns 0, or -1 with TRAJ_EDATA and a message naming
 * the first bad example ("example 3: token 99 outside 0..112"). */
int model_batch_check(const struct model *m, const struct batch *b,
		      int need_labels, struct traj_error *err);

/* Evaluates loss and accuracy over `n` examples in chunks of max_batch,
 * both averaged over the n * K labels, into *out. Accuracy takes the
 * argmax of the logits, ties going to the lowest class; it is NAN when
 * some logits are not finite (as the loss then is). Over no examples
 * (n = 0) both are NAN, the mean of nothing. Returns 0, or -1 with err
 * set: TRAJ_EDATA for a batch without labels, a negative n or a label
 * outside 0..C-1 (naming the example), TRAJ_ENOMEM. */
struct eval_result { double loss; double acc; int64_t n; };
int model_evaluate(struct model *m, const struct batch *all,
		   struct eval_result *out, struct traj_error *err);

/* The same, plus per-output-position figures for sequence tasks: when not
 * NULL, pos_loss and pos_acc (K each) receive the mean loss and accuracy
 * at each of the K labelled positions, and *seq_acc the fraction of
 * examples with all K labels right. */
int model_evaluate_detail(struct model *m, const struct batch *all,
			  double *pos_loss, double *pos_acc, double *seq_acc,
			  struct eval_result *out, struct traj_error *err);

/* Mean loss and accuracy over the labels of each of ngroups groups:
 * group ((n, K), values below ngroups) names each label's group. NAN for
 * an empty group. Errors: model_evaluate's. */
int model_evaluate_groups(struct model *m, const struct batch *all,
			  const uint8_t *group, int ngroups, double *loss,
			  double *acc, struct traj_error *err);

/* The gradient of each example's own cross-entropy with respect to its
 * input, d loss_e / d x_e, (B, F) into dx, each loss_e into loss (B
 * floats) and the logits into logits (B, C), both optional (NULL), for
 * models with dense input (attacks).
 * Parameters and their gradients are left alone; hooks do not fire.
 * TRAJ_EUSAGE for a model with token input (no continuous input to
 * differentiate), TRAJ_EDATA for an invalid batch. */
int model_input_grad(struct model *m, const struct batch *b, float *dx,
		     float *loss, float *logits, struct traj_error *err);

/* A view of m for one thread of a caller that splits its examples
 * between threads itself (attacks): it reads m's parameters, in place,
 * and has scratch of its own for batches of up to `rows` examples, so
 * several views of one model can compute at once, one per thread. A view
 * computes on its caller's thread alone (its products are as threaded as
 * BLAS is: callers set linalg_set_threads(1) around their threads) and
 * without hooks. Only model_input_grad and the logits may be called on a
 * view, not the loss. Free it with model_free, before m. TRAJ_EUSAGE for
 * a model without an input gradient, TRAJ_ENOMEM. */
struct model *model_worker_new(struct model *m, int rows,
			       struct traj_error *err);

/* Installs (or, with fn NULL, removes) the hook callback. */
void model_set_hook(struct model *m, model_hook_fn fn, void *ctx);
/* Installs (or, with fn NULL, removes) the gradient hook callback. */
void model_set_grad_hook(struct model *m, model_grad_fn fn, void *ctx);
/* Index of the hook point called `name`, or -1. */
int model_find_hook(const struct model *m, const char *name);

/* Index of the view called `name`, or -1. */
int model_find_view(const struct model *m, const char *name);

/* For model implementations parsing their JSON configuration: reads the
 * integer `key` of `obj` into *out, requiring lo <= value <= hi. A missing
 * key takes `def` unless def < lo, which makes the key required. Errors
 * read "model.<key>: expected an integer in lo..hi". */
int model_json_int(const cJSON *obj, const char *key, int lo, int hi, int def,
		   int *out, struct traj_error *err);

#endif
