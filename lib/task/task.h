/* Data sets. A task turns its configuration (the "task" object of a run
 * header) into a train and a test split; the split is a pure function of
 * the configuration, so a scorer rebuilds exactly the data the trainer saw.
 *
 * The family (one file each, lib/task/task_*.c, behind one table of
 * functions in task_impl.h):
 *
 * modadd, modsub, modmul, moddiv, modquad: every pair (a, b) in [0, p)^2
 *   (b != 0 for division) is one example with tokens (a, b) and label
 *   op(a, b) mod p, a `frac` of them for training. With eq_token (the
 *   Nanda et al. setup for transformers) the tokens are the sequence
 *   "a b =", the '=' token being p, so the vocabulary is p + 1 and the
 *   label is predicted at the last position.
 * add: n-digit addition as a sequence for transformers, "a + b = c" with
 *   digits most significant first, '+' = 10, '=' = 11, c of n + 1 digits
 *   (a leading carry digit, maybe 0). The answer is predicted
 *   autoregressively: the last n + 1 positions ('=' and the answer digits
 *   but the last) are labelled with the next answer digit, so output
 *   position I is answer digit I (0 = the carry digit).
 * parity: sparse parity, `bits` random bits whose label is the parity of
 *   `k` of them (a subset drawn from the seed); with eq_token a '=' token
 *   (2) ends the sequence.
 * repeat: `seq_len` random tokens from a `vocab`-token alphabet, then the
 *   same tokens again; every position is labelled with the next token, so
 *   the second half is predictable by copying (induction heads). With
 *   `filler` M > 0 the sequence has 2 seq_len + M tokens: M random tokens
 *   are split at random, per example, into a prefix of o (uniform in
 *   [0, M]), a gap of g between the copies (uniform in [0, M - o]) and a
 *   suffix, so neither the position of the repeat nor its distance to the
 *   first copy is fixed: only content-based copying (a previous-token
 *   head and an induction head) predicts it. The split's `repeat` mask
 *   marks the copyable labels: the second copy's tokens but its first.
 * fashion: Fashion-MNIST (784 pixels scaled to [0, 1], 10 classes) read
 *   from the gzip IDX files of Debian's dataset-fashion-mnist package, for
 *   MLPs.
 *
 * The sampled tasks (add, parity, repeat) draw n_train + n_test distinct
 * examples (distinct whenever the space of examples can be enumerated,
 * else independently from a space too large to repeat in practice). */
#ifndef TRAJ_TASK_H
#define TRAJ_TASK_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "common/error.h"
#include "model/model.h"

enum modop { MOD_ADD, MOD_SUB, MOD_MUL, MOD_DIV, MOD_QUAD, NMODOPS };

enum task_family { TASK_MODULAR, TASK_ADD, TASK_PARITY, TASK_REPEAT,
		   TASK_FASHION };

/* Where dataset-fashion-mnist installs its files. */
#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

struct task_config {
	char name[32];       /* see task_names() */
	enum task_family family;
	enum modop op;       /* modular */
	int p;               /* modular: modulus, a prime for division */
	double frac;         /* modular: fraction in the train split, (0, 1) */
	uint64_t seed;       /* split (and sampling) seed */
	int eq_token;        /* modular, parity: end with a '=' token */
	int digits;          /* add: digits per operand */
	int bits, k;         /* parity: sequence length, relevant bits */
	int seq_len, vocab;  /* repeat: length of the random half, alphabet */
	int filler;          /* repeat: random tokens around the copies */
	int64_t n_train, n_test; /* add, parity, repeat; fashion: 0 = all */
	int64_t n_val;       /* fashion: training images held out after the
				first n_train, the validation split; 0 none */
};

struct split {
	int64_t n;
	int32_t *tokens;  /* (n, T), or NULL for dense input */
	float *features;  /* (n, F), or NULL for token input */
	int32_t *labels;  /* (n, K) */
	uint8_t *repeat;  /* (n, K) repeat: 1 at copyable labels; else NULL */
};

/* The shape of a task's examples, which the model must match. */
struct task_dims {
	int n_inputs;     /* T tokens or F features */
	int vocab;        /* V; 0 for dense input */
	int n_classes;    /* C */
	int n_outputs;    /* K labels per example */
};

struct dataset {
	int n_inputs;     /* T or F */
	int vocab;        /* V, 0 for dense input */
	int n_classes;    /* C */
	int n_outputs;    /* K */
	struct split train, test;
	struct split val;  /* held out for validation (n_val); n 0: none */
};

/* Looks a task name up and sets name, family and op, and eq_token to 0;
 * other fields are left as they are. Returns -1 if unknown. */
int task_from_name(const char *name, struct task_config *cfg);
/* Gives the family-specific fields still 0 their defaults (digits 3;
 * bits 20, k 3; seq_len 10, vocab 20; n_train 5000 for add, 2000 for
 * parity and repeat; n_test 1000; fashion keeps 0, the whole files). */
void task_fill_defaults(struct task_config *cfg);
/* Comma-separated list of task names, for help texts and errors. */
const char *task_names(void);
/* Checks values (p range, primality for division, frac range, sizes);
 * the message names the offending field as `prefix` + field ("--p",
 * "task.p"). */
int task_validate(const struct task_config *cfg, const char *prefix,
		  struct traj_error *err);
/* Which models can learn the task: sequence tasks with several labelled
 * positions need a transformer, dense input an MLP. */
int task_needs_transformer(const struct task_config *cfg);
int task_needs_mlp(const struct task_config *cfg);
/* Whether a transformer reads the task's examples ending with a '='
 * token (eq_token): modular arithmetic and parity. */
int task_takes_eq_token(const struct task_config *cfg);
/* The modulus p of a task whose inputs and answer are residues mod p
 * (modular arithmetic), 0 for the others: the Fourier analyses (logit and
 * neuron frequencies, progress measures) need one. */
int task_modulus(const struct task_config *cfg);
/* The run id a run of the task gets when none is given: TASK-pP-sSEED
 * for modular arithmetic, the size parameters of the other families in
 * their place ("add-d3-s1", "repeat-l10v20-s1"). */
void task_default_run_id(const struct task_config *cfg, uint64_t seed,
			 char *buf, size_t cap);

/* The example shape of a valid configuration, without building data. */
void task_dims(const struct task_config *cfg, struct task_dims *dims);

cJSON *task_to_json(const struct task_config *cfg);
int task_from_json(const cJSON *json, struct task_config *cfg,
		   struct traj_error *err);

/* Errors: TRAJ_EUSAGE for a bad configuration, TRAJ_ENOMEM, and for
 * fashion TRAJ_ENOINPUT (files missing: the message names the package)
 * or TRAJ_EDATA (a file that is not the expected IDX). */
int task_dataset_build(const struct task_config *cfg, struct dataset *ds,
		  struct traj_error *err);
void task_dataset_free(struct dataset *ds);
/* A borrowed batch over a whole split. */
struct batch task_split_batch(const struct split *s);

/* Examples as a model reads them: n of a split (a prefix of it), T
 * tokens (with eq_token, as a transformer reads them) or F features each,
 * and K labels. */
struct task_examples {
	int64_t n;
	int T;                  /* tokens per example, or 0 */
	const int32_t *tokens;  /* (n, T) or NULL */
	int F;                  /* features per example, or 0 */
	const float *features;  /* (n, F) or NULL */
	int K;                  /* labels per example */
	const int32_t *labels;  /* (n, K) */
};

/* Receives one variable: returns the buffer of its n values for the
 * task to fill (a class index in 0..nclass-1, or a number when nclass is
 * 0), or NULL when out of memory. */
typedef double *task_variable_fn(void *ctx, int nclass, const char *name);

/* The variables a task defines for each example, the targets of probes,
 * each handed to `add` in this order:
 *   modular arithmetic: a, b, answer (categorical, p classes) and, for
 *     each frequency k, a_cosK, a_sinK, b_cosK, b_sinK, answer_cosK,
 *     answer_sinK = cos/sin(2 pi k x / p) of x = a, b, answer (numeric);
 *     freqs (nfreq of them) are the k, every k in 1..(p-1)/2 when nfreq
 *     is 0;
 *   add: a0..a{n-1}, b0..b{n-1} (operand digits, most significant first),
 *     c0..c{n} (answer digits, c0 the leading carry digit) and
 *     carry0..carry{n-1}, the carry out of digit column i (column 0 the
 *     most significant, so carry0 = c0) (categorical);
 *   parity: bit0..bit{bits-1} and parity (the label) (categorical);
 *   fashion: class (categorical, 10 classes).
 * The repetition task defines none. Families without frequencies ignore
 * freqs. Errors: TRAJ_EUSAGE (a frequency out of range; a task that
 * defines no variables), TRAJ_ENOMEM (add returned NULL). */
int task_variables(const struct task_config *cfg,
		   const struct task_examples *ex, const int *freqs,
		   int nfreq, task_variable_fn *add, void *ctx,
		   struct traj_error *err);

/* The corrupted inputs of activation patching: a copy of the split's
 * tokens (n, n_inputs) with operand `operand` (0: a, 1: b) of every
 * example replaced by another value drawn from the seed (never b = 0 for
 * division); the labels stay the clean ones. Modular arithmetic only:
 * other tasks are TRAJ_EUSAGE. *out is malloc'd. Errors: TRAJ_ENOMEM. */
int task_corrupt_tokens(const struct task_config *cfg, const struct split *s,
			int n_inputs, int operand, uint64_t seed,
			int32_t **out, struct traj_error *err);

#endif
